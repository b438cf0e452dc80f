//! Billing tenants from license usage reports.
//!
//! - [`rates`]: the rate card (TOML), checked with located errors;
//! - [`money`]: THE rounding function and the [`money::Money`] it makes;
//! - [`charge`]: the charge models (per unit, per edition, free units, graduated,
//!   volume, package, per point);
//! - [`invoice`]: one tenant's invoice, the totals, the provider's cost.
//!
//! [`bill`] runs the whole thing over loaded files: it refuses what must not be billed
//! (files that did not load, reports not approved, reports with error findings, reports
//! without a period, the same report twice), bills every tenant of every other report
//! (files and tenants in parallel), numbers the invoices in a stable order, and builds
//! the provider's summary. Same input, same output, whatever the thread count.

pub mod charge;
pub mod invoice;
pub mod money;
pub mod rates;
pub mod run;

use crate::diag::{Finding, Severity};
use crate::enums::{OrganizationType, ReportStatus};
use crate::load::{Document, LoadedFile, Shape};
use crate::model::{LicenseReportAppendix, SingleLicenseReport};
use invoice::{
    BillError, Invoice, InvoiceHeader, Period, ReportRef, TenantUsage, VeeamCost, bill_tenant,
    clean_text, cost_share, usage_items, veeam_cost,
};
use money::Money;
use rates::{RateCard, render_number};
use rayon::prelude::*;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Choices of one billing run.
#[derive(Debug, Clone, Copy, Default)]
pub struct BillOptions {
    /// Bill the tenants of appendices (licenses issued to other companies) too.
    pub include_appendices: bool,
    /// Bill reports that are not `Approved` (or have no status).
    pub allow_unapproved: bool,
    /// Bill reports that have error findings.
    pub allow_findings: bool,
    /// Issue date of every invoice (default: the report's generation date).
    pub issue_date: Option<(i32, u32, u32)>,
}

/// One loaded file and the audit's findings about it.
#[derive(Debug, Clone, Copy)]
pub struct FileInput<'a> {
    /// The file.
    pub file: &'a LoadedFile,
    /// Findings of the audit (only errors matter here).
    pub findings: &'a [Finding],
}

/// A finding, as quoted in a refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingNote {
    /// Code.
    pub code: crate::codes::Code,
    /// `file:line:column`, or the file.
    pub location: String,
    /// JSON pointer.
    pub pointer: String,
    /// Message.
    pub message: String,
}

impl FindingNote {
    /// The finding as documents quote it: text from the input (a file name, an unknown
    /// workload type in a message) with control and invisible characters shown escaped.
    fn of(f: &Finding) -> Self {
        let shown = |s: &str| crate::text::printable(s).into_owned();
        Self {
            code: f.code,
            location: shown(&f.location()),
            pointer: shown(&f.pointer),
            message: shown(&f.message),
        }
    }
}

/// One reason a file or report is not billed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// The code: `invalid-file`, `not-approved`, `status-missing`, `error-findings`,
    /// `no-period`, `duplicate-report`, `unbillable-data` (`vspc-billing explain` knows each).
    pub code: crate::codes::Code,
    /// What is wrong and what to do.
    pub message: String,
    /// The findings behind it (load problems or audit errors).
    pub findings: Vec<FindingNote>,
}

/// A file or report that is not billed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// The file.
    pub file: String,
    /// The report, when one report is refused rather than the whole file.
    pub report: Option<ReportRef>,
    /// Why (every reason found).
    pub reasons: Vec<Reason>,
}

impl Refusal {
    /// `file` or `file report N (...)`.
    #[must_use]
    pub fn what(&self) -> String {
        self.report
            .as_ref()
            .map_or_else(|| self.file.clone(), ReportRef::describe)
    }
}

/// A file with nothing to bill (not an error).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The file.
    pub file: String,
    /// Why.
    pub reason: String,
}

/// An organization and its points, for the summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrgPoints {
    /// Organization UID.
    pub uid: String,
    /// Name in the report.
    pub name: String,
    /// Points.
    pub points: Decimal,
    /// Share of the provider's cost (points × cost per point), when `[cost]` is set.
    pub cost: Option<Money>,
}

/// An appendix (license issued to another company).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppendixRow {
    /// `licenseCompanyName`.
    pub company: String,
    /// `appendixSummary.totalPoints` (or Σ of its organizations).
    pub points: Decimal,
    /// Whether its tenants were billed (`--include-appendices`).
    pub billed: bool,
    /// Its organizations.
    pub organizations: Vec<OrgPoints>,
}

/// One invoiced tenant in the summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TenantRow {
    /// Invoice number.
    pub invoice_number: String,
    /// Organization UID.
    pub uid: String,
    /// Billing name.
    pub name: String,
    /// Points billed.
    pub points: Decimal,
    /// Subtotal.
    pub subtotal: Money,
    /// Discount.
    pub discount: Money,
    /// Revenue: subtotal − discount (tax is not revenue).
    pub revenue: Money,
    /// Tax.
    pub tax: Money,
    /// Invoice total.
    pub total: Money,
    /// Share of the cost owed to Veeam: points × cost per point.
    pub cost: Option<Money>,
    /// revenue − cost.
    pub margin: Option<Money>,
}

/// Points billed against the report's total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reconciliation {
    /// `reportSummary.totalPoints` (appendices are outside it); Σ `organizationsUsage`
    /// when the report has no summary.
    pub report_total: Decimal,
    /// Whether `report_total` comes from `reportSummary` (else from the organizations).
    pub from_summary: bool,
    /// Σ appendix points.
    pub appendix_points: Decimal,
    /// Whether appendices were billed.
    pub appendices_billed: bool,
    /// Points that should be billed: the report total, plus the appendices when billed.
    pub expected: Decimal,
    /// Σ points on the invoices.
    pub billed: Decimal,
    /// Points of the provider's own organization (not invoiced).
    pub provider_own: Decimal,
    /// Points of tenants with nothing to invoice.
    pub not_invoiced: Decimal,
    /// expected − billed − `provider_own` − `not_invoiced`: 0 when everything is accounted for.
    pub difference: Decimal,
    /// Whether the difference is 0.
    pub balanced: bool,
}

/// The provider's view of one report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportSummary {
    /// The report.
    pub report: ReportRef,
    /// Invoiced tenants, by invoice number.
    pub tenants: Vec<TenantRow>,
    /// Tenants with no usage (no invoice).
    pub no_usage: Vec<OrgPoints>,
    /// The provider's own organization (not invoiced).
    pub provider_own: Vec<OrgPoints>,
    /// Appendices.
    pub appendices: Vec<AppendixRow>,
    /// Points billed against the report's total.
    pub reconciliation: Reconciliation,
    /// What is owed to Veeam for this report, when `[cost]` is set.
    pub cost: Option<VeeamCost>,
    /// Σ tenant revenue.
    pub revenue: Money,
    /// Σ invoice totals (with tax).
    pub invoiced: Money,
    /// Σ tenant and provider-own cost shares.
    pub allocated_cost: Option<Money>,
    /// Veeam cost − allocated: commitment top-up and point round-up no tenant carries.
    pub unallocated_cost: Option<Money>,
    /// revenue − Veeam cost.
    pub margin: Option<Money>,
    /// Warnings about billing this report (billed unapproved, billed despite findings).
    pub warnings: Vec<String>,
}

/// Totals over every billed report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SummaryTotals {
    /// Invoices issued.
    pub invoices: usize,
    /// Σ points billed.
    pub points: Decimal,
    /// Σ subtotals.
    pub subtotal: Money,
    /// Σ discounts.
    pub discount: Money,
    /// Σ revenue.
    pub revenue: Money,
    /// Σ tax.
    pub tax: Money,
    /// Σ invoice totals.
    pub total: Money,
    /// Σ Veeam cost.
    pub cost: Option<Money>,
    /// revenue − cost.
    pub margin: Option<Money>,
}

/// The provider's summary of a run: the context of `summary.md.tera`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Currency of every amount.
    pub currency: String,
    /// Rounding mode of the card.
    pub rounding: &'static str,
    /// Per billed report, in input order.
    pub reports: Vec<ReportSummary>,
    /// Over all reports.
    pub totals: SummaryTotals,
    /// Files and reports not billed, and why.
    pub refused: Vec<Refusal>,
    /// Files with nothing to bill.
    pub skipped: Vec<Skipped>,
    /// Rate card tenants that matched no organization of the billed reports (a mistyped
    /// UID leaves its terms unused).
    pub unmatched_tenants: Vec<String>,
}

/// Everything a run produces.
#[derive(Debug, Clone)]
pub struct Billing {
    /// Invoices, numbered, in number order.
    pub invoices: Vec<Invoice>,
    /// The provider's summary.
    pub summary: Summary,
}

/// One report billed, before numbering: its invoices and its summary (whose tenant rows
/// get their invoice numbers when the invoices are numbered).
#[derive(Debug)]
struct ReportBill {
    report: ReportRef,
    invoices: Vec<Invoice>,
    summary: ReportSummary,
}

/// The tenants of one report sorted by outcome, before the report's summary is made.
#[derive(Debug)]
struct Billed {
    report: ReportRef,
    invoices: Vec<Invoice>,
    no_usage: Vec<OrgPoints>,
    provider_own: Vec<OrgPoints>,
    appendices: Vec<AppendixRow>,
    report_total: Decimal,
    from_summary: bool,
}

/// What one file gives: its reports billed (not yet numbered), refused and skipped.
/// Small next to the file itself: the file can be dropped once this is made.
#[derive(Debug, Default)]
pub struct FileBill {
    bills: Vec<ReportBill>,
    refused: Vec<Refusal>,
    skipped: Vec<Skipped>,
}

/// Bills every report of every file, in memory (for small runs, tests and library users;
/// the `invoice` command streams with [`Biller`] and [`Ledger`]).
///
/// Files and the tenants of each report are processed in parallel (on the current rayon
/// pool); the result does not depend on the number of threads.
///
/// # Errors
/// A total over every billed report that cannot be computed exactly (see
/// [`Ledger::finish`]); a report whose own figures overflow is refused instead.
pub fn bill(
    inputs: &[FileInput<'_>],
    card: &RateCard,
    opts: &BillOptions,
) -> Result<Billing, BillError> {
    let biller = Biller::new(card, opts);
    let files: Vec<FileBill> = inputs.par_iter().map(|i| biller.file(i)).collect();
    let mut ledger = Ledger::new(card);
    for (i, f) in files.into_iter().enumerate() {
        ledger.add(i, f);
    }
    let mut invoices = Vec::new();
    while let Some(p) = ledger.next_period() {
        invoices.extend(ledger.take_period(p));
    }
    Ok(Billing {
        invoices,
        summary: ledger.finish()?,
    })
}

/// Billing one file at a time: [`Biller::file`] for each file (in parallel, dropping each
/// file once billed), then a [`Ledger`] over the results.
#[derive(Debug)]
pub struct Biller<'a> {
    ctx: Ctx<'a>,
}

impl<'a> Biller<'a> {
    /// A biller for one run.
    #[must_use]
    pub fn new(card: &'a RateCard, opts: &'a BillOptions) -> Self {
        Self {
            ctx: Ctx {
                card,
                opts,
                tenants: card
                    .tenants
                    .iter()
                    .map(|(k, v)| (k.to_ascii_lowercase(), v))
                    .collect(),
            },
        }
    }

    /// Bills every report of one file (its tenants in parallel).
    #[must_use]
    pub fn file(&self, input: &FileInput<'_>) -> FileBill {
        bill_file(input, &self.ctx)
    }
}

impl FileBill {
    /// The periods this file has billed reports for.
    #[must_use]
    pub fn periods(&self) -> BTreeSet<Period> {
        self.bills.iter().filter_map(|b| b.report.period).collect()
    }
}

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
    /// Lower-case UIDs of every organization of the billed reports.
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
fn run_total<T>(v: Option<T>, what: &str) -> Result<T, BillError> {
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

    /// Closes period `p`: refuses duplicate reports, numbers its invoices and returns them
    /// in number order. Nothing of `p` may be added afterwards.
    pub fn take_period(&mut self, p: Period) -> Vec<Invoice> {
        let mut entries = self.open.remove(&p).unwrap_or_default();
        entries.sort_by_key(|(at, _)| *at);
        let (mut places, mut bills): (Vec<Place>, Vec<ReportBill>) = entries.into_iter().unzip();
        let kept = refuse_duplicates(&mut bills, &mut self.duplicates);
        places = kept.into_iter().map(|i| places[i]).collect();
        number_invoices(&mut bills, self.card);
        let mut invoices = Vec::new();
        for (place, mut b) in places.into_iter().zip(bills) {
            self.seen.extend(organizations(&b.summary));
            for (row, i) in b.summary.tenants.iter_mut().zip(&b.invoices) {
                row.invoice_number.clone_from(&i.number);
            }
            b.summary
                .tenants
                .sort_by(|x, y| x.invoice_number.cmp(&y.invoice_number));
            self.reports.push((place, b.summary));
            invoices.extend(b.invoices);
        }
        invoices.sort_by_cached_key(numbering_key);
        let t = &mut self.totals;
        for i in &invoices {
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
        invoices
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

fn numbering_key(i: &Invoice) -> (Period, String, String, String, usize) {
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

/// Numbers the invoices: by period, then organization UID, then report; `{seq}` counts
/// from 1 within each period.
fn number_invoices(bills: &mut [ReportBill], card: &RateCard) {
    let parts = card.number_parts();
    let mut all: Vec<&mut Invoice> = bills
        .iter_mut()
        .flat_map(|b| b.invoices.iter_mut())
        .collect();
    all.sort_by_cached_key(|i| numbering_key(i));
    let mut seq = 0usize;
    let mut period = None;
    for inv in all {
        if period != Some(inv.period) {
            period = Some(inv.period);
            seq = 0;
        }
        seq += 1;
        inv.number = render_number(&parts, inv.period.year, inv.period.month, seq);
    }
}

/// The same owner and period twice would invoice every tenant twice: refuse them all.
/// Returns the positions (in `bills` as given) of the bills kept.
fn refuse_duplicates(bills: &mut Vec<ReportBill>, refused: &mut Vec<Refusal>) -> Vec<usize> {
    let mut groups: BTreeMap<(Period, String), Vec<usize>> = BTreeMap::new();
    for (i, b) in bills.iter().enumerate() {
        if let Some(p) = b.report.period {
            let owner = b
                .report
                .owner_uid
                .as_deref()
                .unwrap_or("")
                .to_ascii_lowercase();
            groups.entry((p, owner)).or_default().push(i);
        }
    }
    let mut drop = BTreeSet::new();
    for idx in groups.values().filter(|v| v.len() > 1) {
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

/// Lower-case UIDs of every organization of a billed report (to tell which rate card
/// tenants matched nothing).
fn organizations(b: &ReportSummary) -> impl Iterator<Item = String> + '_ {
    b.tenants
        .iter()
        .map(|i| i.uid.as_str())
        .chain(b.no_usage.iter().map(|o| o.uid.as_str()))
        .chain(b.provider_own.iter().map(|o| o.uid.as_str()))
        .chain(
            b.appendices
                .iter()
                .flat_map(|a| a.organizations.iter().map(|o| o.uid.as_str())),
        )
        .map(str::to_ascii_lowercase)
}

/// What every file of a run shares.
#[derive(Debug)]
struct Ctx<'a> {
    card: &'a RateCard,
    opts: &'a BillOptions,
    /// The card's tenant terms by lower-case UID.
    tenants: BTreeMap<String, &'a rates::TenantTerms>,
}

impl Ctx<'_> {
    fn terms(&self, uid: &str) -> Option<&rates::TenantTerms> {
        self.tenants.get(&uid.to_ascii_lowercase()).copied()
    }
}

fn bill_file(input: &FileInput<'_>, ctx: &Ctx<'_>) -> FileBill {
    let opts = ctx.opts;
    let file = input.file;
    // The file's name as documents show it (a name may hold any character).
    let name = crate::text::printable(&file.name).into_owned();
    let mut out = FileBill::default();
    let Some(doc) = &file.document else {
        let errors: Vec<FindingNote> = file
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .map(FindingNote::of)
            .collect();
        out.refused.push(Refusal {
            file: name.clone(),
            report: None,
            reasons: vec![Reason {
                code: crate::codes::Code::InvalidFile,
                message: "the file did not load; run `vspc-billing validate` on it for details"
                    .into(),
                findings: errors,
            }],
        });
        return out;
    };
    let reports = match doc {
        Document::SiteUsage(_) => {
            out.skipped.push(Skipped {
                file: name.clone(),
                reason:
                    "site usage export: Cloud Connect counters per site, with no tenant to bill"
                        .into(),
            });
            return out;
        }
        Document::Reports(r) => r,
    };
    if reports.reports.is_empty() {
        out.skipped.push(Skipped {
            file: name.clone(),
            reason: "no report in the file".into(),
        });
    }
    for (i, report) in reports.reports.iter().enumerate() {
        let rref = report_ref(&name, reports.shape, i, report);
        let mut reasons = Vec::new();
        let mut warnings = Vec::new();
        if rref.period.is_none() {
            reasons.push(Reason {
                code: crate::codes::Code::NoPeriod,
                message: "the report has no reportParameters or its interval's month does not exist: the billing period is unknown".into(),
                findings: Vec::new(),
            });
        }
        match (&report.report_status, opts.allow_unapproved) {
            (Some(ReportStatus::Approved), _) => {}
            (status, false) => reasons.push(not_approved(status.as_ref())),
            (status, true) => warnings.push(format!(
                "billed although not approved ({}), because of --allow-unapproved",
                crate::text::printable(
                    status
                        .as_ref()
                        .map_or("no reportStatus", ReportStatus::as_str)
                )
            )),
        }
        let errors = report_errors(input.findings, reports.shape, reports.reports.len(), i);
        if !errors.is_empty() {
            let codes: BTreeSet<&str> = errors.iter().map(|f| f.code.as_str()).collect();
            let codes: Vec<&str> = codes.into_iter().collect();
            if opts.allow_findings {
                warnings.push(format!(
                    "billed despite error findings ({}), because of --allow-findings",
                    codes.join(", ")
                ));
            } else {
                reasons.push(Reason {
                    code: crate::codes::Code::ErrorFindings,
                    message: format!(
                        "the audit found errors ({}); fix the export, or pass --allow-findings to bill it as it is",
                        codes.join(", ")
                    ),
                    findings: errors.into_iter().map(FindingNote::of).collect(),
                });
            }
        }
        let Some(period) = rref.period.filter(|_| reasons.is_empty()) else {
            out.refused.push(Refusal {
                file: name.clone(),
                report: Some(rref),
                reasons,
            });
            continue;
        };
        match bill_report(report, rref.clone(), period, ctx) {
            Ok(mut b) => {
                b.summary.warnings = warnings;
                out.bills.push(b);
            }
            Err(e) => out.refused.push(Refusal {
                file: name.clone(),
                report: Some(rref),
                reasons: vec![Reason {
                    code: crate::codes::Code::UnbillableData,
                    message: crate::text::printable(&e.to_string()).into_owned(),
                    findings: Vec::new(),
                }],
            }),
        }
    }
    out
}

fn not_approved(status: Option<&ReportStatus>) -> Reason {
    match status {
        None => Reason {
            code: crate::codes::Code::StatusMissing,
            message: "the report has no reportStatus (exports before API 3.5.1 do not say whether a report is approved); check in VSPC that it is approved, then pass --allow-unapproved".into(),
            findings: Vec::new(),
        },
        Some(s) => Reason {
            code: crate::codes::Code::NotApproved,
            message: format!(
                "reportStatus is {}, not Approved: the figures may still change; approve it in VSPC and export it again, or pass --allow-unapproved",
                crate::text::printable(&s.to_string())
            ),
            findings: Vec::new(),
        },
    }
}

/// The error findings that concern report `i`: those in it ([`Shape::item_of`]), and those
/// of the file outside any report (they concern every report).
fn report_errors(findings: &[Finding], shape: Shape, n: usize, i: usize) -> Vec<&Finding> {
    findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .filter(|f| match shape.item_of(&f.pointer) {
            Some(j) if j < n => j == i,
            _ => true,
        })
        .collect()
}

fn report_ref(file: &str, shape: Shape, i: usize, r: &SingleLicenseReport) -> ReportRef {
    let p = r.parameters();
    let start = p.map(|p| p.report_interval.start_of_interval.parts);
    let end = p.map(|p| p.report_interval.end_of_interval.parts);
    let period = start
        .filter(|s| (1..=12).contains(&s.month))
        .map(|s| Period {
            year: s.year,
            month: s.month,
        });
    ReportRef {
        file: file.to_owned(),
        index: i,
        pointer: shape.item_pointer(i),
        report_id: p.map(|p| p.report_id),
        owner_name: p.map(|p| clean_text(&p.organization_name)),
        owner_uid: p.map(|p| clean_text(&p.organization_uid)),
        status: r.report_status.as_ref().map(|s| clean_text(s.as_str())),
        period,
        period_start: start
            .and_then(|d| d.clamped_to_month())
            .map(|d| d.date_string()),
        period_end: end
            .and_then(|d| d.clamped_to_month())
            .map(|d| d.date_string()),
    }
}

/// The tenants of a report (and of its appendices when billed), by lower-case UID.
fn tenants<'r>(
    r: &'r SingleLicenseReport,
    opts: &BillOptions,
) -> BTreeMap<String, TenantUsage<'r>> {
    let mut map: BTreeMap<String, TenantUsage<'r>> = BTreeMap::new();
    let add_org = |map: &mut BTreeMap<String, TenantUsage<'r>>,
                   o: &'r crate::model::OrganizationLicenseUsage,
                   app: Option<&'r str>| {
        let t = map
            .entry(o.organization_uid.to_ascii_lowercase())
            .or_default();
        if t.uid.is_empty() {
            t.uid = &o.organization_uid;
        }
        if t.org.is_none() {
            t.org = Some(o);
        }
        if t.appendix.is_none() {
            t.appendix = app;
        }
    };
    for o in r.organizations() {
        add_org(&mut map, o, None);
    }
    let add_detail = |map: &mut BTreeMap<String, TenantUsage<'r>>,
                      d: &'r crate::model::OrganizationUsageOfLicensesWithSameSupportId,
                      app: Option<&'r str>| {
        let t = map
            .entry(d.organization_uid.to_ascii_lowercase())
            .or_default();
        if t.uid.is_empty() {
            t.uid = &d.organization_uid;
        }
        if t.appendix.is_none() {
            t.appendix = app;
        }
        t.details.push(d);
    };
    for d in r.details() {
        add_detail(&mut map, d, None);
    }
    if opts.include_appendices {
        for a in r.appendix_list() {
            let name = a.license_company_name.as_deref().or(Some(""));
            for o in a.organizations() {
                add_org(&mut map, o, name);
            }
            for d in a.details() {
                add_detail(&mut map, d, name);
            }
        }
    }
    map
}

/// The exact sum of `values`; [`BillError::Overflow`] naming `what` of the report.
fn points_sum(
    values: impl IntoIterator<Item = Decimal>,
    what: &'static str,
) -> Result<Decimal, BillError> {
    values
        .into_iter()
        .try_fold(Decimal::ZERO, |a, v| money::add(a, v, what))
        .map_err(report_overflow)
}

/// A figure of a report that cannot be computed exactly: the report is refused.
fn report_overflow(e: money::Overflow) -> BillError {
    BillError::Overflow(format!(
        "in the provider's summary of the report, {e}; check the rate card's prices and [cost], and the report's points"
    ))
}

fn usage_points(t: &TenantUsage<'_>) -> Result<Decimal, BillError> {
    Ok(match usage_items(t)? {
        Some(items) => points_sum(items.iter().map(|i| i.points), "sum of a tenant's points")?,
        None => t.org.map_or(Decimal::ZERO, |o| o.used_points),
    }
    .normalize())
}

enum TenantOutcome {
    Invoice(Box<Invoice>),
    NoUsage(OrgPoints),
    ProviderOwn(OrgPoints),
}

fn bill_report(
    r: &SingleLicenseReport,
    rref: ReportRef,
    period: Period,
    ctx: &Ctx<'_>,
) -> Result<ReportBill, BillError> {
    let (card, opts) = (ctx.card, ctx.opts);
    // Default issue date: the report's generation date (VSPC builds it on the 1st of the
    // next month); the 1st of the next month when that date is unusable.
    let issue = match opts.issue_date.or_else(|| {
        r.parameters()
            .and_then(|p| p.generation_date.parts.clamped_to_month())
            .map(|d| (d.year, d.month, d.day))
    }) {
        Some(d) => d,
        None if period.month < 12 => (period.year, period.month + 1, 1),
        None if period.year < invoice::LAST_YEAR => (period.year + 1, 1, 1),
        None => {
            return Err(BillError::Date(format!(
                "the report's period {period} has no next month to issue its invoices in (dates end with {}); pass --issue-date",
                invoice::LAST_YEAR
            )));
        }
    };
    let due = invoice::add_days(issue.0, issue.1, issue.2, i64::from(card.due_days)).ok_or_else(
        || {
            BillError::Date(format!(
                "the due date, {:04}-{:02}-{:02} + {} days, is after {}-12-31",
                issue.0,
                issue.1,
                issue.2,
                card.due_days,
                invoice::LAST_YEAR
            ))
        },
    )?;
    let header = InvoiceHeader {
        report: &rref,
        period,
        issue_date: format!("{:04}-{:02}-{:02}", issue.0, issue.1, issue.2),
        due_date: format!("{:04}-{:02}-{:02}", due.0, due.1, due.2),
    };
    let map = tenants(r, opts);
    let outcomes: Vec<Result<TenantOutcome, BillError>> = map
        .par_iter()
        .map(|(_, t)| {
            let org = || -> Result<OrgPoints, BillError> {
                Ok(OrgPoints {
                    uid: clean_text(t.uid),
                    name: t.reported_name(),
                    points: usage_points(t)?,
                    cost: None,
                })
            };
            if t.org.and_then(|o| o.organization_type.as_ref()) == Some(&OrganizationType::Provider)
            {
                return Ok(TenantOutcome::ProviderOwn(org()?));
            }
            Ok(match bill_tenant(t, card, ctx.terms(t.uid), &header)? {
                Some(i) => TenantOutcome::Invoice(Box::new(i)),
                None => TenantOutcome::NoUsage(org()?),
            })
        })
        .collect();
    let mut bill = Billed {
        report: rref,
        invoices: Vec::new(),
        no_usage: Vec::new(),
        provider_own: Vec::new(),
        appendices: appendix_rows(r.appendix_list(), opts.include_appendices)?,
        report_total: Decimal::ZERO,
        from_summary: r.report_summary.is_some(),
    };
    for o in outcomes {
        match o? {
            TenantOutcome::Invoice(i) => bill.invoices.push(*i),
            TenantOutcome::NoUsage(p) => bill.no_usage.push(p),
            TenantOutcome::ProviderOwn(p) => bill.provider_own.push(p),
        }
    }
    bill.report_total = match &r.report_summary {
        Some(s) => s.total_points,
        None => points_sum(
            r.organizations().iter().map(|o| o.used_points),
            "sum of organizationsUsage points",
        )?,
    }
    .normalize();
    summarize(bill, ctx.card)
}

fn appendix_rows(
    apps: &[LicenseReportAppendix],
    billed: bool,
) -> Result<Vec<AppendixRow>, BillError> {
    apps.iter()
        .map(|a| {
            let organizations: Vec<OrgPoints> = a
                .organizations()
                .iter()
                .map(|o| OrgPoints {
                    uid: clean_text(&o.organization_uid),
                    name: o
                        .organization_name
                        .as_deref()
                        .map_or_else(String::new, clean_text),
                    points: o.used_points.normalize(),
                    cost: None,
                })
                .collect();
            let points = match &a.appendix_summary {
                Some(s) => s.total_points,
                None => points_sum(
                    organizations.iter().map(|o| o.points),
                    "sum of an appendix's organization points",
                )?,
            };
            Ok(AppendixRow {
                company: a
                    .license_company_name
                    .as_deref()
                    .map_or_else(String::new, clean_text),
                points: points.normalize(),
                billed,
                organizations,
            })
        })
        .collect()
}

/// The provider's view of one report: tenant rows (numbered later), cost shares, the
/// reconciliation of points and the report's totals.
///
/// # Errors
/// A figure that cannot be computed exactly (a cost share, the cost owed to Veeam, a
/// total or a margin): the report is refused rather than shown with a wrong number.
fn summarize(b: Billed, card: &RateCard) -> Result<ReportBill, BillError> {
    let r = card.rounding();
    let share = |points: Decimal| -> Result<Option<Money>, BillError> {
        card.cost
            .as_ref()
            .map(|c| cost_share(points, c, r))
            .transpose()
            .map_err(report_overflow)
    };
    let tenants = b
        .invoices
        .iter()
        .map(|i| {
            let cost = share(i.points)?;
            let margin = cost
                .map(|c| {
                    i.net
                        .checked_sub(c)
                        .ok_or(money::Overflow("margin of a tenant"))
                })
                .transpose()
                .map_err(report_overflow)?;
            Ok(TenantRow {
                invoice_number: String::new(),
                uid: i.customer.uid.clone(),
                name: i.customer.name.clone(),
                points: i.points,
                subtotal: i.subtotal,
                discount: i.discount,
                revenue: i.net,
                tax: i.tax,
                total: i.total,
                cost,
                margin,
            })
        })
        .collect::<Result<Vec<TenantRow>, BillError>>()?;
    let with_cost = |v: Vec<OrgPoints>| -> Result<Vec<OrgPoints>, BillError> {
        v.into_iter()
            .map(|o| {
                Ok(OrgPoints {
                    cost: share(o.points)?,
                    ..o
                })
            })
            .collect()
    };
    let provider_own = with_cost(b.provider_own)?;
    let no_usage = with_cost(b.no_usage)?;
    let points_of = |v: &[OrgPoints], what| points_sum(v.iter().map(|o| o.points), what);
    let billed = points_sum(tenants.iter().map(|t| t.points), "sum of invoiced points")?;
    let appendix_points = points_sum(
        b.appendices.iter().map(|x| x.points),
        "sum of appendix points",
    )?;
    let appendices_billed = b.appendices.iter().any(|a| a.billed);
    let expected = if appendices_billed {
        money::add(b.report_total, appendix_points, "points to bill").map_err(report_overflow)?
    } else {
        b.report_total
    };
    let own = points_of(&provider_own, "points of the provider's own organization")?;
    let not_invoiced = points_of(&no_usage, "points of tenants without invoice")?;
    let difference = [billed, own, not_invoiced]
        .into_iter()
        .try_fold(expected, |d, v| {
            money::sub(d, v, "difference of points billed")
        })
        .map_err(report_overflow)?;
    let revenue =
        money::sum(r, tenants.iter().map(|t| t.revenue), "revenue").map_err(report_overflow)?;
    let invoiced = money::sum(r, tenants.iter().map(|t| t.total), "sum of invoice totals")
        .map_err(report_overflow)?;
    let cost = card
        .cost
        .as_ref()
        .map(|c| veeam_cost(b.report_total, c, r))
        .transpose()
        .map_err(report_overflow)?;
    let allocated_cost = card
        .cost
        .as_ref()
        .map(|_| {
            money::sum(
                r,
                tenants
                    .iter()
                    .filter_map(|t| t.cost)
                    .chain(provider_own.iter().filter_map(|o| o.cost))
                    .chain(no_usage.iter().filter_map(|o| o.cost)),
                "cost allocated to tenants",
            )
        })
        .transpose()
        .map_err(report_overflow)?;
    let unallocated_cost = cost
        .as_ref()
        .zip(allocated_cost)
        .map(|(c, a)| {
            c.amount
                .checked_sub(a)
                .ok_or(money::Overflow("cost no tenant carries"))
        })
        .transpose()
        .map_err(report_overflow)?;
    let margin = cost
        .as_ref()
        .map(|c| {
            revenue
                .checked_sub(c.amount)
                .ok_or(money::Overflow("margin"))
        })
        .transpose()
        .map_err(report_overflow)?;
    let summary = ReportSummary {
        report: b.report.clone(),
        tenants,
        no_usage,
        provider_own,
        appendices: b.appendices,
        reconciliation: Reconciliation {
            report_total: b.report_total,
            from_summary: b.from_summary,
            appendix_points: appendix_points.normalize(),
            appendices_billed,
            expected: expected.normalize(),
            billed: billed.normalize(),
            provider_own: own.normalize(),
            not_invoiced: not_invoiced.normalize(),
            difference: difference.normalize(),
            balanced: difference.is_zero(),
        },
        cost,
        revenue,
        invoiced,
        allocated_cost,
        unallocated_cost,
        margin,
        warnings: Vec::new(),
    };
    Ok(ReportBill {
        report: b.report,
        invoices: b.invoices,
        summary,
    })
}
