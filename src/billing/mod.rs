//! Billing tenants from license usage reports.
//!
//! - [`rates`]: the rate card (TOML), checked with located errors;
//! - [`money`]: THE rounding function and the [`money::Money`] it makes;
//! - [`charge`]: the charge models (per unit, per edition, free units, graduated,
//!   volume, package, per point);
//! - [`invoice`]: one tenant's invoice, the totals, the provider's cost;
//! - `ledger` ([`Ledger`]): the invoices of a run period by period, duplicates refused,
//!   numbers assigned;
//! - `summary` ([`Summary`]): the provider's view of each billed report and the run's totals;
//! - [`run`]: the whole run over many inputs, month by month, into an [`run::InvoiceSink`].
//!
//! This file holds what one file gives ([`Biller`]): refusals, tenants, the bill of a report.
//!
//! [`bill`] runs the whole thing over loaded files: it refuses what must not be billed
//! (files that did not load, reports not approved, reports with error findings, reports
//! without a period, the same report twice), bills every tenant of every other report
//! (files and tenants in parallel), numbers the invoices in a stable order, and builds
//! the provider's summary. Same input, same output, whatever the thread count.

pub mod charge;
pub mod invoice;
mod ledger;
pub mod money;
pub mod numbering;
pub mod rates;
pub mod run;
mod summary;

pub use ledger::Ledger;
use summary::summarize;
pub use summary::{
    AppendixRow, Billing, OrgPoints, Reconciliation, ReportSummary, Summary, SummaryTotals,
    TenantRow,
};

use crate::audit::FileAudit;
use crate::diag::{Finding, Severity};
use crate::enums::{OrganizationType, ReportStatus};
use crate::load::{Document, LoadedFile, Shape};
use crate::model::{LicenseReportAppendix, SingleLicenseReport};
use invoice::{
    BillError, Invoice, InvoiceHeader, Period, ReportRef, TenantUsage, bill_tenant, clean_text,
    usage_items,
};
use rates::RateCard;
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
    /// The audit of the file ([`crate::audit::check_file`]): its error findings, report by
    /// report ([`FileAudit::findings_of_report`]), decide what is refused.
    pub audit: &'a FileAudit,
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
    /// The invoices, when kept ([`Keep`]).
    invoices: Vec<Invoice>,
    /// One summary row per invoice, in invoice order (cost and margin filled by
    /// [`summarize`]).
    invoiced: Vec<TenantRow>,
    no_usage: Vec<OrgPoints>,
    refused: Vec<OrgPoints>,
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
    /// Lower-case UIDs of the rate card's tenants that an organization of the file's
    /// reports has, billed or not (to tell which card tenants match nothing): a few, not
    /// one per organization of the file.
    organizations: BTreeSet<String>,
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
    let mut ranks = numbering::Ranks::new(card);
    while let Some(p) = ledger.next_period() {
        // Ranks issue no other documents.
        invoices.extend(
            ledger
                .take_period(p, &mut ranks)
                .map_err(BillError::Overflow)?,
        );
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
    ctx: BillCtx<'a>,
}

impl<'a> Biller<'a> {
    /// A biller for one run.
    #[must_use]
    pub fn new(card: &'a RateCard, opts: &'a BillOptions) -> Self {
        Self {
            ctx: BillCtx {
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
        bill_file(input, &self.ctx, Keep::Invoices)
    }

    /// Bills every report of one file like [`Biller::file`], keeping of each invoice only
    /// its summary row: the invoices of a report then come from [`Biller::invoices`], in
    /// chunks, while `input` is still loaded.
    #[must_use]
    pub fn file_rows(&self, input: &FileInput<'_>) -> FileBill {
        bill_file(input, &self.ctx, Keep::Rows)
    }

    /// The invoices of a report billed by [`Biller::file_rows`] from `input`, in chunks of
    /// [`CHUNK`] tenants, in the order of the report's summary rows (numbering
    /// order: organization UID).
    ///
    /// # Errors
    /// The report is not in `input` (or not a report billed from it).
    pub fn invoices<'f>(
        &'f self,
        input: &FileInput<'f>,
        report: &ReportRef,
    ) -> Result<ReportInvoices<'f>, String> {
        let found = match &input.file.document {
            Some(Document::Reports(r)) => r.reports.get(report.index),
            _ => None,
        };
        let (Some(r), Some(period)) = (found, report.period) else {
            return Err(format!(
                "internal error: {} is not a billed report of {}; please report this",
                report.describe(),
                input.file.name
            ));
        };
        let dates = Dates::of_report(r, period, &self.ctx).map_err(|e| e.to_string())?;
        Ok(ReportInvoices {
            ctx: &self.ctx,
            report: report.clone(),
            dates,
            tenants: tenants(r, self.ctx.opts).into_values().collect(),
            at: 0,
            pending: Vec::new(),
        })
    }
}

/// The invoices of one report, a chunk of tenants at a time ([`Biller::invoices`]).
#[derive(Debug)]
pub struct ReportInvoices<'f> {
    ctx: &'f BillCtx<'f>,
    report: ReportRef,
    dates: Dates,
    tenants: Vec<TenantUsage<'f>>,
    /// The next tenant to bill.
    at: usize,
    /// Invoices billed and not handed out yet (fewer than [`CHUNK`] between calls).
    pending: Vec<Invoice>,
}

impl Iterator for ReportInvoices<'_> {
    type Item = Result<Vec<Invoice>, String>;

    /// The next [`CHUNK`] invoices (fewer at the end), billed a chunk of tenants at a time
    /// in parallel, the same as [`Biller::file`] gives for them.
    fn next(&mut self) -> Option<Self::Item> {
        while self.pending.len() < CHUNK {
            let Some(tenants) = self
                .tenants
                .get(self.at..)
                .and_then(|t| t.chunks(CHUNK).next())
            else {
                break;
            };
            self.at += tenants.len();
            let header = self.dates.of(&self.report);
            let outcomes: Result<Vec<TenantOutcome>, BillError> = tenants
                .par_iter()
                .map(|t| outcome(t, &header, self.ctx))
                .collect();
            match outcomes {
                Ok(o) => self.pending.extend(o.into_iter().filter_map(|o| match o {
                    TenantOutcome::Invoice(i) => Some(*i),
                    _ => None,
                })),
                Err(e) => {
                    self.at = self.tenants.len();
                    self.pending.clear();
                    return Some(Err(e.to_string()));
                }
            }
        }
        if self.pending.is_empty() {
            return None;
        }
        let n = self.pending.len().min(CHUNK);
        let rest = self.pending.split_off(n);
        Some(Ok(std::mem::replace(&mut self.pending, rest)))
    }
}

impl FileBill {
    /// The periods this file has billed reports for.
    #[must_use]
    pub fn periods(&self) -> BTreeSet<Period> {
        self.bills.iter().filter_map(|b| b.report.period).collect()
    }
}

/// What every file of a run shares.
#[derive(Debug)]
struct BillCtx<'a> {
    card: &'a RateCard,
    opts: &'a BillOptions,
    /// The card's tenant terms by lower-case UID.
    tenants: BTreeMap<String, &'a rates::TenantTerms>,
}

impl BillCtx<'_> {
    fn terms(&self, uid: &str) -> Option<&rates::TenantTerms> {
        self.tenants.get(&uid.to_ascii_lowercase()).copied()
    }
}

fn bill_file(input: &FileInput<'_>, ctx: &BillCtx<'_>, keep: Keep) -> FileBill {
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
        out.organizations
            .extend(organizations(report).filter(|uid| ctx.tenants.contains_key(uid.as_str())));
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
        let errors: Vec<&Finding> = input
            .audit
            .findings_of_report(i)
            .into_iter()
            .filter(|f| f.severity == Severity::Error)
            .collect();
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
        match bill_report(report, rref.clone(), period, ctx, keep) {
            Ok((mut b, tenants_refused)) => {
                b.summary.warnings = warnings;
                out.bills.push(b);
                if !tenants_refused.is_empty() {
                    out.refused.push(Refusal {
                        file: name.clone(),
                        report: Some(rref),
                        reasons: tenants_refused,
                    });
                }
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

/// Lower-case UIDs of every organization of a report, its appendices included.
fn organizations(r: &SingleLicenseReport) -> impl Iterator<Item = String> + '_ {
    fn of<'a>(
        orgs: &'a [crate::model::OrganizationLicenseUsage],
        details: &'a [crate::model::OrganizationUsageOfLicensesWithSameSupportId],
    ) -> impl Iterator<Item = &'a String> {
        orgs.iter()
            .map(|o| &o.organization_uid)
            .chain(details.iter().map(|d| &d.organization_uid))
    }
    of(r.organizations(), r.details())
        .chain(
            r.appendix_list()
                .iter()
                .flat_map(|a| of(a.organizations(), a.details())),
        )
        .map(|u| u.to_ascii_lowercase())
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

fn report_ref(file: &str, shape: Shape, i: usize, r: &SingleLicenseReport) -> ReportRef {
    let p = r.parameters();
    let start = p.map(|p| p.report_interval.start_of_interval.parts);
    let end = p.map(|p| p.report_interval.end_of_interval.parts);
    let period = start.map(|s| Period::of(&s)).filter(|m| m.is_real());
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
    Refused(OrgPoints, Reason),
}

/// Why a tenant without a billing address is not invoiced (`require_buyer_address`).
fn no_address(i: &Invoice) -> Reason {
    Reason {
        code: crate::codes::Code::BuyerAddressMissing,
        message: crate::text::printable(&format!(
            "\"{}\" ({}) has no billing address and the rate card says require_buyer_address = true: it is not invoiced; add address = [...] to [tenants.\"{}\"]",
            i.customer.name, i.customer.uid, i.customer.uid
        ))
        .into_owned(),
        findings: Vec::new(),
    }
}

/// The dates of a report's invoices.
#[derive(Debug, Clone)]
struct Dates {
    period: Period,
    issue_date: String,
    due_date: String,
}

impl Dates {
    /// Issue date: `--issue-date`, else the report's generation date (VSPC builds it on the
    /// 1st of the next month), else the 1st of the next month; due date: + `due_days`.
    fn of_report(
        r: &SingleLicenseReport,
        period: Period,
        ctx: &BillCtx<'_>,
    ) -> Result<Self, BillError> {
        let next = period.next();
        let issue = match ctx.opts.issue_date.or_else(|| {
            r.parameters()
                .and_then(|p| p.generation_date.parts.clamped_to_month())
                .map(|d| (d.year, d.month, d.day))
        }) {
            Some(d) => d,
            None if next.year <= invoice::LAST_YEAR => (next.year, next.month, 1),
            None => {
                return Err(BillError::Date(format!(
                    "the report's period {period} has no next month to issue its invoices in (dates end with {}); pass --issue-date",
                    invoice::LAST_YEAR
                )));
            }
        };
        let due_days = ctx.card.due_days;
        let due =
            invoice::add_days(issue.0, issue.1, issue.2, i64::from(due_days)).ok_or_else(|| {
                BillError::Date(format!(
                    "the due date, {:04}-{:02}-{:02} + {due_days} days, is after {}-12-31",
                    issue.0,
                    issue.1,
                    issue.2,
                    invoice::LAST_YEAR
                ))
            })?;
        Ok(Self {
            period,
            issue_date: format!("{:04}-{:02}-{:02}", issue.0, issue.1, issue.2),
            due_date: format!("{:04}-{:02}-{:02}", due.0, due.1, due.2),
        })
    }

    fn of<'a>(&self, report: &'a ReportRef) -> InvoiceHeader<'a> {
        InvoiceHeader {
            report,
            period: self.period,
            issue_date: self.issue_date.clone(),
            due_date: self.due_date.clone(),
        }
    }
}

/// What becomes of one tenant of a report.
fn outcome(
    t: &TenantUsage<'_>,
    header: &InvoiceHeader<'_>,
    ctx: &BillCtx<'_>,
) -> Result<TenantOutcome, BillError> {
    let card = ctx.card;
    let org = || -> Result<OrgPoints, BillError> {
        Ok(OrgPoints {
            uid: clean_text(t.uid),
            name: t.reported_name(),
            points: usage_points(t)?,
            cost: None,
        })
    };
    if t.org.and_then(|o| o.organization_type.as_ref()) == Some(&OrganizationType::Provider) {
        return Ok(TenantOutcome::ProviderOwn(org()?));
    }
    Ok(match bill_tenant(t, card, ctx.terms(t.uid), header)? {
        Some(i) if card.require_buyer_address && i.customer.address.is_empty() => {
            TenantOutcome::Refused(org()?, no_address(&i))
        }
        Some(i) => TenantOutcome::Invoice(Box::new(i)),
        None => TenantOutcome::NoUsage(org()?),
    })
}

/// Tenants billed, and invoices numbered, at a time: with [`Keep::Rows`] (and
/// [`ReportInvoices`]), the memory of a report's invoices is that of a chunk or two. Fixed,
/// so that numbering in chunks gives the same numbers whatever the machine and whichever
/// way a period's invoices come ([`Ledger::take_period`], [`Ledger::take_streamed`]).
pub const CHUNK: usize = 4096;

/// Whether a report's bill keeps its invoices, or only their summary rows (the invoices
/// then come again, in chunks, from [`Biller::invoices`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// The invoices and their rows.
    Invoices,
    /// Only the rows.
    Rows,
}

/// Bills a report: its bill, and the reasons tenants of it were refused.
fn bill_report(
    r: &SingleLicenseReport,
    rref: ReportRef,
    period: Period,
    ctx: &BillCtx<'_>,
    keep: Keep,
) -> Result<(ReportBill, Vec<Reason>), BillError> {
    let opts = ctx.opts;
    let dates = Dates::of_report(r, period, ctx)?;
    let header = dates.of(&rref);
    let tenants: Vec<TenantUsage<'_>> = tenants(r, ctx.opts).into_values().collect();
    let mut bill = Billed {
        report: rref.clone(),
        invoices: Vec::new(),
        invoiced: Vec::new(),
        no_usage: Vec::new(),
        refused: Vec::new(),
        provider_own: Vec::new(),
        appendices: appendix_rows(r.appendix_list(), opts.include_appendices)?,
        report_total: Decimal::ZERO,
        from_summary: r.report_summary.is_some(),
    };
    let mut reasons = Vec::new();
    // In chunks: without the invoices kept, memory is that of one chunk of them.
    for chunk in tenants.chunks(CHUNK) {
        let outcomes: Vec<Result<TenantOutcome, BillError>> =
            chunk.par_iter().map(|t| outcome(t, &header, ctx)).collect();
        for o in outcomes {
            match o? {
                TenantOutcome::Invoice(i) => {
                    bill.invoiced.push(TenantRow::of(&i));
                    if keep == Keep::Invoices {
                        bill.invoices.push(*i);
                    }
                }
                TenantOutcome::NoUsage(p) => bill.no_usage.push(p),
                TenantOutcome::ProviderOwn(p) => bill.provider_own.push(p),
                TenantOutcome::Refused(p, reason) => {
                    bill.refused.push(p);
                    reasons.push(reason);
                }
            }
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
    Ok((summarize(bill, ctx.card)?, reasons))
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
