//! `invoice` over many inputs: every file loaded, audited and billed (on the run's
//! threads, see [`crate::schedule`]), each month's invoices numbered and handed to an
//! [`InvoiceSink`] (documents, CSV, a register...) as soon as no file still to come can add
//! to that month, then dropped. Memory is that of the files in flight and the open months,
//! not of the whole run.

use super::invoice::{Invoice, Period};
use super::numbering::Numbering;
use super::rates::RateCard;
use super::{BillOptions, Biller, FileBill, FileInput, Ledger, Summary};
use crate::audit::{AuditOptions, check_file};
use crate::load::{LoadOptions, Source, report_months};
use crate::schedule::{Observer, each_file};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Where a run's invoices go.
pub trait InvoiceSink {
    /// One month's invoices, numbered, in number order (months in ascending order).
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
        let later: BTreeSet<Period> = groups[g + 1..]
            .iter()
            .flatten()
            .filter_map(|&i| claims[i].as_ref())
            .flatten()
            .copied()
            .collect();
        while let Some(p) = ledger.next_period().filter(|p| !later.contains(p)) {
            let (mut invoices, others) = ledger.take_period(p, numbering)?;
            invoices.extend(others);
            closed.insert(p);
            sink.month(&invoices)?;
            // Freed on every thread: one thread freeing thousands of invoices shows.
            invoices.into_par_iter().for_each(drop);
        }
    }
    let summary = ledger.finish().map_err(|e| e.to_string())?;
    sink.finish(&summary)?;
    Ok(BillingRun { summary, io_error })
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
