//! `invoice` over many inputs: every file loaded, audited and billed (on the run's
//! threads, see [`crate::schedule`]), each month's invoices numbered and handed to an
//! [`InvoiceSink`] (documents, CSV, a register...) as soon as no file still to come can add
//! to that month, then dropped. Memory is that of the files in flight and the open months,
//! not of the whole run.
//!
//! A file whose months are its own (one large export, or a console's monthly files: known
//! from the first pass over large inputs) is billed twice while it is loaded: first keeping
//! only each invoice's summary row, then a chunk of tenants at a time
//! ([`Biller::invoices`]), each chunk numbered and handed to the sink at once
//! ([`Ledger::take_streamed`]). Its invoices then never are in memory all at once: a month
//! of 630,000 tenants costs the file and a few thousand invoices, not the month's invoices.
//! Both ways number in the same chunks ([`super::CHUNK`]), so they give the same documents.

use super::invoice::{Invoice, Period};
use super::numbering::Numbering;
use super::rates::RateCard;
use super::{BillOptions, Biller, FileBill, FileInput, Ledger, ReportBill, Summary};
use crate::audit::{AuditOptions, check_file};
use crate::load::{LoadOptions, Source, report_months};
use crate::schedule::{Observer, each_file, with_file};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Where a run's invoices go.
pub trait InvoiceSink {
    /// Invoices of one month, numbered, in chunks of [`super::CHUNK`]: each chunk's
    /// invoices in number order, then the documents their numbering issued (credit notes).
    /// A month may come in several calls; months come in ascending order.
    ///
    /// # Errors
    /// What the sink could not do (the run stops).
    fn month(&mut self, invoices: &[Invoice]) -> Result<(), String>;

    /// The run's summary, once every month is done.
    ///
    /// # Errors
    /// What the sink could not do.
    fn finish(&mut self, summary: &Summary) -> Result<(), String>;
}

/// Below this much input, files are not first read for their months ([`RunOptions`]).
pub const PRESCAN_ABOVE: u64 = 32 << 20;

/// Choices of one billing run.
#[derive(Debug, Clone)]
pub struct RunOptions<'a> {
    /// How inputs are loaded.
    pub load: LoadOptions,
    /// The audit that decides which reports can be billed.
    pub audit: &'a AuditOptions,
    /// What is billed.
    pub bill: BillOptions,
    /// Above this much input ([`PRESCAN_ABOVE`] by default), each file is first read
    /// quickly for the months of its reports, so that a month can be closed (numbered,
    /// handed to the sink and dropped) as soon as its last file is billed. Below it, every
    /// month is held until the end, which is bounded by the input itself.
    pub prescan_above: u64,
}

/// What a run did.
#[derive(Debug)]
pub struct BillingRun {
    /// The provider's summary: billed reports, refusals, totals.
    pub summary: Summary,
    /// Whether some file could not be read (exit status 2).
    pub io_error: bool,
}

/// Bills every source (call it inside [`crate::schedule::Pool::install`]), numbered by
/// `numbering` ([`super::numbering::Ranks`], or a register). Same input, same
/// invoices, numbers and summary, whatever the number of threads and whether months are
/// closed early.
///
/// # Errors
/// What the sink could not do, a total that overflowed, or an internal inconsistency.
pub fn run(
    sources: &[Source],
    card: &RateCard,
    opts: &RunOptions<'_>,
    sink: &mut dyn InvoiceSink,
    numbering: &mut dyn Numbering,
    observer: &dyn Observer,
) -> Result<BillingRun, String> {
    let (groups, claims) = plan(sources, opts);
    let biller = Biller::new(card, &opts.bill);
    let mut ledger = Ledger::new(card);
    let mut closed: BTreeSet<Period> = BTreeSet::new();
    let mut io_error = false;
    for (g, group) in groups.iter().enumerate() {
        let later: BTreeSet<Period> = groups[g + 1..]
            .iter()
            .flatten()
            .filter_map(|&i| claims[i].as_ref())
            .flatten()
            .copied()
            .collect();
        // A file alone in its group whose months no other file has, after every earlier
        // month is closed (one large file, or a console's monthly exports): its months
        // are numbered and written while it is loaded, a chunk of invoices at a time.
        let alone = match group[..] {
            [i] if ledger.next_period().is_none()
                && (sources.len() == 1
                    || claims[i].as_ref().is_some_and(|c| c.is_disjoint(&later))) =>
            {
                Some(i)
            }
            _ => None,
        };
        if let Some(i) = alone {
            let state = Streaming {
                biller: &biller,
                ledger: &mut ledger,
                numbering: &mut *numbering,
                sink: &mut *sink,
                closed: &mut closed,
            };
            let (io, rest) = with_file(&sources[i], &opts.load, observer, |file| {
                let audit = check_file(file, opts.audit);
                let input = FileInput {
                    file,
                    audit: &audit,
                };
                state.file(i, &input).map(|rest| (file.is_io_error(), rest))
            })?;
            io_error |= io;
            if let Some(bill) = rest {
                ledger.add(i, bill);
            }
        } else {
            // A file that is a large share of its group is itself parsed and checked on
            // several threads (one month of two consoles on many cores, one large file).
            let files: Vec<Source> = group.iter().map(|&i| sources[i].clone()).collect();
            let billed: Vec<(FileBill, bool)> = each_file(&files, &opts.load, observer, |file| {
                // Located, sorted, with the --allow'ed codes dropped, grouped per report.
                let audit = check_file(file, opts.audit);
                let bill = biller.file(&FileInput {
                    file,
                    audit: &audit,
                });
                (bill, file.is_io_error())
            });
            for (&i, (bill, io)) in group.iter().zip(billed) {
                io_error |= io;
                if let Some(p) = bill.periods().intersection(&closed).next() {
                    // The pre-scan and the load read months the same way: not expected.
                    return Err(format!(
                        "internal error: {} has a report of {p}, which the first pass over the inputs did not see; please report this",
                        sources[i].name()
                    ));
                }
                ledger.add(i, bill);
            }
        }
        while let Some(p) = ledger.next_period().filter(|p| !later.contains(p)) {
            let documents = ledger.take_period(p, numbering)?;
            closed.insert(p);
            sink.month(&documents)?;
            // Freed on every thread: one thread freeing thousands of invoices shows.
            documents.into_par_iter().for_each(drop);
        }
    }
    let summary = ledger.finish().map_err(|e| e.to_string())?;
    sink.finish(&summary)?;
    Ok(BillingRun { summary, io_error })
}

/// What a run writes with while a file is loaded ([`Streaming::file`]).
struct Streaming<'s, 'a> {
    biller: &'s Biller<'a>,
    ledger: &'s mut Ledger<'a>,
    numbering: &'s mut dyn Numbering,
    sink: &'s mut dyn InvoiceSink,
    closed: &'s mut BTreeSet<Period>,
}

impl Streaming<'_, '_> {
    /// Bills the file at position `file` of the input keeping only summary rows, then,
    /// month by month, numbers and hands over its invoices a chunk at a time
    /// ([`Ledger::take_streamed`]), billing them again from the loaded file. Returns the
    /// file's full bill instead, for the usual way, when a month has more than one report
    /// in it (two consoles, copies).
    fn file(self, file: usize, input: &FileInput<'_>) -> Result<Option<FileBill>, String> {
        let mut bill = self.biller.file_rows(input);
        let periods: Vec<Period> = bill.bills.iter().filter_map(|b| b.report.period).collect();
        if periods.iter().collect::<BTreeSet<_>>().len() != periods.len() {
            return Ok(Some(self.biller.file(input)));
        }
        let mut bills: Vec<(usize, ReportBill)> = bill.bills.drain(..).enumerate().collect();
        bills.sort_by_key(|(_, b)| b.report.period);
        let sink = self.sink;
        for (k, b) in bills {
            let chunks = self.biller.invoices(input, &b.report)?;
            let period = b.report.period;
            self.ledger
                .take_streamed((file, k), b, self.numbering, chunks, &mut |documents| {
                    sink.month(documents)
                })?;
            self.closed.extend(period);
        }
        self.ledger.add(file, bill);
        Ok(None)
    }
}

/// Groups of inputs to bill together, in order, and the months each input has reports for
/// (`None`: not known before loading it). Inputs whose months are unknown come first, then
/// one group per earliest month. Small runs are one group. Only regular files within the
/// size limit are read ahead (a pipe read twice would be empty the second time).
fn plan(
    sources: &[Source],
    opts: &RunOptions<'_>,
) -> (Vec<Vec<usize>>, Vec<Option<BTreeSet<Period>>>) {
    fn regular(s: &Source, max: u64) -> Option<(&Path, u64)> {
        match s {
            Source::File(p) => std::fs::metadata(p)
                .ok()
                .filter(|m| m.is_file() && m.len() <= max)
                .map(|m| (p.as_path(), m.len())),
            Source::Stdin => None,
        }
    }
    let all: Vec<usize> = (0..sources.len()).collect();
    let max = opts.load.max_input;
    let size: u64 = sources
        .iter()
        .filter_map(|s| regular(s, max))
        .map(|(_, n)| n)
        .sum();
    if sources.len() < 2 || size <= opts.prescan_above {
        return (vec![all], vec![None; sources.len()]);
    }
    let claims: Vec<Option<BTreeSet<Period>>> = sources
        .par_iter()
        .map(|s| {
            let (path, _) = regular(s, max)?;
            let text = std::fs::read(path).ok()?;
            report_months(&text, opts.load.kind)
                .map(|months| months.into_iter().filter(|m| m.is_real()).collect())
        })
        .collect();
    let mut by_month: BTreeMap<Option<Period>, Vec<usize>> = BTreeMap::new();
    for i in all {
        let first = claims[i].as_ref().and_then(|c| c.first().copied());
        by_month.entry(first).or_default().push(i);
    }
    (by_month.into_values().collect(), claims)
}
