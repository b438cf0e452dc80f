//! The invoices of a run, period by period: duplicates refused, numbers assigned in a
//! total order, each period's invoices handed over and only the summary rows kept.

use super::CHUNK;
use super::invoice::{BillError, Invoice, Period};
use super::money::Money;
use super::numbering::Numbering;
use super::rates::RateCard;
use super::{
    FileBill, Reason, Refusal, ReportBill, ReportSummary, Skipped, Summary, SummaryTotals, money,
};
use crate::audit::copies::{ReportIdentity, copies};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

/// The invoices of a run, period by period.
///
/// Invoices are numbered within their period, by organization UID across every file, and
/// the same owner and period in two files refuses both reports: a period can be numbered
/// only once every file that has reports for it is billed. The ledger keeps the billed
/// reports of the periods still open ([`Ledger::add`]); [`Ledger::take_period`] numbers
/// one period and hands its invoices over (to be rendered and dropped), keeping only the
/// small per-tenant rows of the summary; [`Ledger::finish`] gives the summary. Memory is
/// that of the open periods, not of the whole run. Take periods in ascending order
/// ([`Ledger::next_period`]) for output identical to an in-memory run.
#[derive(Debug)]
pub struct Ledger<'a> {
    card: &'a RateCard,
    /// Billed reports of the open periods, with their place in the input (file, report).
    open: BTreeMap<Period, Vec<(Place, ReportBill)>>,
    /// Summaries of the reports of taken periods, with their place in the input.
    reports: Vec<(Place, ReportSummary)>,
    /// Refusals and skips of each file, with the file's place in the input.
    refused: Vec<(usize, Refusal)>,
    skipped: Vec<(usize, Skipped)>,
    /// Duplicate reports refused when their period was taken (in period order).
    duplicates: Vec<Refusal>,
    /// Lower-case UIDs of every organization of the reports read.
    seen: BTreeSet<String>,
    totals: Running,
}

/// Where a report is in the input: (file, report billed in the file).
type Place = (usize, usize);

/// Totals accumulated over the invoices of taken periods, in number order; `None` once a
/// total cannot be computed exactly ([`Ledger::finish`] then refuses the run).
#[derive(Debug)]
struct Running {
    invoices: usize,
    points: Option<Decimal>,
    subtotal: Option<Money>,
    discount: Option<Money>,
    revenue: Option<Money>,
    tax: Option<Money>,
    total: Option<Money>,
}

/// A run-wide total that overflowed: the run is refused.
pub(super) fn run_total<T>(v: Option<T>, what: &str) -> Result<T, BillError> {
    v.ok_or_else(|| {
        BillError::Overflow(format!(
            "{}: the run's {what}, over every billed report, cannot be computed exactly (it needs more than the 28 significant digits of an exact decimal); bill fewer reports at once",
            crate::codes::Code::AmountOverflow
        ))
    })
}

impl<'a> Ledger<'a> {
    /// An empty ledger.
    #[must_use]
    pub fn new(card: &'a RateCard) -> Self {
        let zero = Some(Money::zero(card.rounding()));
        Self {
            card,
            open: BTreeMap::new(),
            reports: Vec::new(),
            refused: Vec::new(),
            skipped: Vec::new(),
            duplicates: Vec::new(),
            seen: BTreeSet::new(),
            totals: Running {
                invoices: 0,
                points: Some(Decimal::ZERO),
                subtotal: zero,
                discount: zero,
                revenue: zero,
                tax: zero,
                total: zero,
            },
        }
    }

    /// Adds the bill of the file at position `file` of the input.
    pub fn add(&mut self, file: usize, bill: FileBill) {
        for (k, b) in bill.bills.into_iter().enumerate() {
            if let Some(p) = b.report.period {
                self.open.entry(p).or_default().push(((file, k), b));
            }
        }
        self.refused
            .extend(bill.refused.into_iter().map(|r| (file, r)));
        self.skipped
            .extend(bill.skipped.into_iter().map(|s| (file, s)));
        self.seen.extend(bill.organizations);
    }

    /// The earliest open period.
    #[must_use]
    pub fn next_period(&self) -> Option<Period> {
        self.open.keys().next().copied()
    }

    /// Whether a period has billed reports waiting.
    #[must_use]
    pub fn is_open(&self, p: Period) -> bool {
        self.open.contains_key(&p)
    }

    /// Closes period `p`: refuses duplicate reports, has `numbering` number its invoices
    /// (by [`numbering_key`], in chunks of [`CHUNK`]) and returns the period's
    /// documents: each chunk of invoices followed by the documents the numbering issued
    /// for it (credit notes of corrected invoices). Nothing of `p` may be added afterwards.
    ///
    /// # Errors
    /// What the numbering refused.
    pub fn take_period(
        &mut self,
        p: Period,
        numbering: &mut dyn Numbering,
    ) -> Result<Vec<Invoice>, String> {
        let mut entries = self.open.remove(&p).unwrap_or_default();
        entries.sort_by_key(|(at, _)| *at);
        let (mut places, mut bills): (Vec<Place>, Vec<ReportBill>) = entries.into_iter().unzip();
        let kept = refuse_duplicates(&mut bills, &mut self.duplicates);
        places = kept.into_iter().map(|i| places[i]).collect();
        // Numbered in one order whatever the files: by organization, then report.
        let mut order: Vec<(usize, usize)> = bills
            .iter()
            .enumerate()
            .flat_map(|(b, bill)| (0..bill.invoices.len()).map(move |i| (b, i)))
            .collect();
        order.sort_by_cached_key(|&(b, i)| numbering_key(&bills[b].invoices[i]));
        let mut slots: Vec<Vec<Option<Invoice>>> = bills
            .iter_mut()
            .map(|b| b.invoices.drain(..).map(Some).collect())
            .collect();
        let mut invoices = order.iter().filter_map(|&(b, i)| slots[b][i].take());
        let mut documents = Vec::with_capacity(order.len());
        let mut at = 0;
        loop {
            let mut chunk: Vec<Invoice> = invoices.by_ref().take(CHUNK).collect();
            if chunk.is_empty() {
                break;
            }
            let others = numbering.number(&mut chunk)?;
            for (&(b, i), inv) in order[at..].iter().zip(&chunk) {
                bills[b].summary.tenants[i]
                    .invoice_number
                    .clone_from(&inv.number);
            }
            at += chunk.len();
            self.count(&chunk);
            documents.extend(chunk);
            documents.extend(others);
        }
        for (place, b) in places.into_iter().zip(bills) {
            self.close_report(place, b.summary);
        }
        Ok(documents)
    }

    /// Closes period `p` whose only billed report is `bill` (billed with
    /// [`super::Biller::file_rows`], at `place`), its invoices coming in `chunks` in the order
    /// of its summary rows: numbers each chunk as [`Ledger::take_period`] would and hands
    /// it, with the documents its numbering issued, to `emit` at once. The same numbers
    /// and documents as adding the report and taking its period, with one chunk of
    /// invoices in memory.
    ///
    /// # Errors
    /// What the numbering, a chunk or `emit` refused, or chunks that do not match the rows.
    pub(super) fn take_streamed(
        &mut self,
        place: (usize, usize),
        mut bill: ReportBill,
        numbering: &mut dyn Numbering,
        chunks: impl Iterator<Item = Result<Vec<Invoice>, String>>,
        emit: &mut dyn FnMut(&[Invoice]) -> Result<(), String>,
    ) -> Result<(), String> {
        let mismatch = || {
            format!(
                "internal error: the invoices of {} came out differently the second time; please report this",
                bill.report.describe()
            )
        };
        let rows = &mut bill.summary.tenants;
        let mut at = 0;
        for chunk in chunks {
            let mut chunk = chunk?;
            let others = numbering.number(&mut chunk)?;
            let Some(these) = rows.get_mut(at..at + chunk.len()) else {
                return Err(mismatch());
            };
            for (row, inv) in these.iter_mut().zip(&chunk) {
                if row.uid != inv.customer.uid || row.total != inv.total {
                    return Err(mismatch());
                }
                row.invoice_number.clone_from(&inv.number);
            }
            at += chunk.len();
            self.count(&chunk);
            chunk.extend(others);
            emit(&chunk)?;
        }
        if at != bill.summary.tenants.len() {
            return Err(mismatch());
        }
        self.close_report(place, bill.summary);
        Ok(())
    }

    /// Keeps the summary of a report whose invoices are numbered.
    fn close_report(&mut self, place: Place, mut summary: ReportSummary) {
        summary
            .tenants
            .sort_by(|x, y| x.invoice_number.cmp(&y.invoice_number));
        self.reports.push((place, summary));
    }

    /// Adds numbered invoices to the run's totals.
    fn count(&mut self, invoices: &[Invoice]) {
        let t = &mut self.totals;
        for i in invoices {
            t.invoices += 1;
            t.points = t
                .points
                .and_then(|a| money::add(a, i.points, "points").ok());
            for (acc, v) in [
                (&mut t.subtotal, i.subtotal),
                (&mut t.discount, i.discount),
                (&mut t.revenue, i.net),
                (&mut t.tax, i.tax),
                (&mut t.total, i.total),
            ] {
                *acc = acc.and_then(|a| a.checked_add(v));
            }
        }
    }

    /// The provider's summary of everything taken. Periods still open are left out: take
    /// them all first.
    ///
    /// # Errors
    /// A total over every billed report (points, subtotal, discount, revenue, tax, total,
    /// cost, margin) that cannot be computed exactly: the whole run is refused
    /// (`amount-overflow`), since its summary would be wrong.
    pub fn finish(mut self) -> Result<Summary, BillError> {
        let card = self.card;
        self.reports.sort_by_key(|(at, _)| *at);
        let reports: Vec<ReportSummary> = self.reports.into_iter().map(|(_, r)| r).collect();
        self.refused.sort_by_key(|(f, _)| *f);
        let mut refused: Vec<Refusal> = self.refused.into_iter().map(|(_, r)| r).collect();
        refused.extend(self.duplicates);
        self.skipped.sort_by_key(|(f, _)| *f);
        let skipped = self.skipped.into_iter().map(|(_, s)| s).collect();
        let unmatched_tenants = card
            .tenants
            .keys()
            .filter(|k| !self.seen.contains(&k.to_ascii_lowercase()))
            .cloned()
            .collect();
        let r = card.rounding();
        let t = self.totals;
        let revenue = run_total(t.revenue, "revenue")?;
        let cost = match card.cost {
            Some(_) => Some(run_total(
                money::sum(
                    r,
                    reports
                        .iter()
                        .filter_map(|s| s.cost.as_ref().map(|c| c.amount)),
                    "cost owed to Veeam",
                )
                .ok(),
                "cost owed to Veeam",
            )?),
            None => None,
        };
        let margin = match cost {
            Some(c) => Some(run_total(revenue.checked_sub(c), "margin")?),
            None => None,
        };
        let totals = SummaryTotals {
            invoices: t.invoices,
            points: run_total(t.points, "points")?.normalize(),
            subtotal: run_total(t.subtotal, "subtotal")?,
            discount: run_total(t.discount, "discount")?,
            revenue,
            tax: run_total(t.tax, "tax")?,
            total: run_total(t.total, "invoice total")?,
            margin,
            cost,
        };
        Ok(Summary {
            currency: card.currency.clone(),
            rounding: card.rounding.as_str(),
            reports,
            totals,
            refused,
            skipped,
            unmatched_tenants,
        })
    }
}

/// The order in which a period's invoices are numbered: organization UID, report owner,
/// then the report's place in the input.
pub(super) fn numbering_key(i: &Invoice) -> (Period, String, String, String, usize) {
    (
        i.period,
        i.customer.uid.to_ascii_lowercase(),
        i.report
            .owner_uid
            .as_deref()
            .unwrap_or("")
            .to_ascii_lowercase(),
        i.report.file.clone(),
        i.report.index,
    )
}

/// The same owner and period twice would invoice every tenant twice: refuse every copy
/// ([`crate::audit::copies`], the rule the audit's `duplicate-report` uses). The audit flags
/// only the later copies; billing cannot know which copy is right, so it bills none.
/// Returns the positions (in `bills` as given) of the bills kept.
fn refuse_duplicates(bills: &mut Vec<ReportBill>, refused: &mut Vec<Refusal>) -> Vec<usize> {
    let groups = copies(bills.iter().map(|b| {
        let owner = b.report.owner_uid.as_deref().unwrap_or("");
        b.report.period.map(|p| ReportIdentity::new(owner, p))
    }));
    let mut drop = BTreeSet::new();
    for idx in &groups {
        for &i in idx {
            let b = &bills[i];
            refused.push(Refusal {
                file: b.report.file.clone(),
                report: Some(b.report.clone()),
                reasons: vec![Reason {
                    code: crate::codes::Code::DuplicateReport,
                    message: duplicate_message(bills, idx, i),
                    findings: Vec::new(),
                }],
            });
            drop.insert(i);
        }
    }
    let kept: Vec<usize> = (0..bills.len()).filter(|i| !drop.contains(i)).collect();
    let mut i = 0;
    bills.retain(|_| {
        let keep = !drop.contains(&i);
        i += 1;
        keep
    });
    kept
}

/// Reports named in a `duplicate-report` refusal; the others are counted, so that the
/// refusals of N copies stay linear in N.
const DUPLICATES_NAMED: usize = 3;

/// Why report `i` of the copies `idx` (positions in `bills`) is refused: the first few
/// other copies by name, and how many more there are.
fn duplicate_message(bills: &[ReportBill], idx: &[usize], i: usize) -> String {
    let mut named: Vec<String> = idx
        .iter()
        .filter(|&&j| j != i)
        .take(DUPLICATES_NAMED)
        .map(|&j| bills[j].report.describe())
        .collect();
    let more = idx.len() - 1 - named.len();
    if more > 0 {
        named.push(format!("and {more} more"));
    }
    let copies = idx.len();
    let consequence = if copies == 2 {
        "billing both would invoice every tenant twice".to_owned()
    } else {
        format!("billing all {copies} would invoice every tenant {copies} times")
    };
    format!(
        "the same owner and period as {}: {consequence}; pass only one of them",
        named.join(", ")
    )
}
