//! Checks of license usage reports (`/licensing/reports`).
//!
//! Per report: its status and parameters (dates, interval, generation), then the owner's
//! part and each appendix the same way: server lists, every workload row
//! (`usedPoints = reportedCount × weight`, or the sum over `objectsByWeight`), and every
//! roll-up (product, summary, organizations, usage details, details per workload type).
//! A roll-up compares a reported total with the sum of the reported values one level
//! below it: a wrong number breaks each relation it takes part in (a row's points: its own
//! product and its product's total), and each broken relation is reported where it is.
//!
//! One concern a file, all methods of one `ReportCheck` walk: `parameters` (status,
//! dates, interval, the report's key), `organizations` (a scope: server lists,
//! organizations, usage details), `chunks` (a long `usageDetails` checked on chunks in
//! parallel), `workloads` (workload rows and weights), `totals` (summary roll-ups).

mod chunks;
mod organizations;
mod parameters;
mod totals;
mod workloads;

use super::compare::rounded_up;
use super::{Ctx, Ptr, ReportKey, Sum};
use crate::date::Month;
use crate::diag::Finding;
use crate::enums::WorkloadType;
use crate::load::ReportsDocument;
use crate::model::{
    LicenseReportSummary, OrganizationLicenseUsage, OrganizationUsageOfLicensesWithSameSupportId,
    SingleLicenseReport,
};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::fmt;

/// Checks every report of a document; returns the keys of the reports that have an owner
/// and a period, and the report of each finding of `ctx.out` (`None`: of no report).
pub(crate) fn check(
    ctx: &mut Ctx<'_>,
    doc: &ReportsDocument,
) -> (Vec<ReportKey>, Vec<Option<usize>>) {
    ctx.paging(doc.meta.as_ref(), doc.reports.len(), "reports");
    ctx.api_errors(&doc.errors);
    let mut report_of = vec![None; ctx.out.len()];
    let mut keys = Vec::new();
    for (i, r) in doc.reports.iter().enumerate() {
        let prefix = doc.shape.item_pointer(i);
        let check = ReportCheck {
            ctx: &mut *ctx,
            root: Ptr::root(&prefix),
            month: None,
            weights_seen: BTreeMap::new(),
            dedupe: BTreeMap::new(),
            pending: Vec::new(),
        };
        keys.extend(check.run(r, i));
        report_of.resize(ctx.out.len(), Some(i));
    }
    duplicates_within(ctx, &keys, &mut report_of);
    (keys, report_of)
}

/// `duplicate-report` within one file: every copy after the first ([`super::copies`]).
fn duplicates_within(ctx: &mut Ctx<'_>, keys: &[ReportKey], report_of: &mut Vec<Option<usize>>) {
    for group in super::copies::copies(keys.iter().map(|k| Some(k.identity()))) {
        let e = &keys[group[0]];
        let there = format!("{} in this file", e.pointer);
        for &n in &group[1..] {
            let k = &keys[n];
            let f = Finding::of(
                crate::codes::Code::DuplicateReport,
                ctx.file,
                k.pointer.clone(),
                super::duplicate_message(k, e, &there),
            );
            ctx.emit(f);
            report_of.push(Some(k.index));
        }
    }
}

/// Who a workload row belongs to, for messages.
#[derive(Debug, Clone, Copy)]
enum Who<'r> {
    Summary,
    AppendixSummary(Option<&'r str>),
    Org(Option<&'r str>),
}

impl fmt::Display for Who<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Summary => f.write_str("in reportSummary"),
            Self::AppendixSummary(Some(c)) => write!(f, "in the appendix of {c:?}"),
            Self::AppendixSummary(None) => f.write_str("in an appendix"),
            Self::Org(Some(n)) => write!(f, "of {n:?}"),
            Self::Org(None) => f.write_str("of an organization without name"),
        }
    }
}

/// The owner's part of a report, or one appendix: checked the same way.
struct Scope<'r> {
    summary_key: &'static str,
    summary: Option<&'r LicenseReportSummary>,
    orgs: &'r [OrganizationLicenseUsage],
    details: &'r [OrganizationUsageOfLicensesWithSameSupportId],
    servers: Servers<'r>,
    company: Option<&'r str>,
}

struct Servers<'r> {
    names: [&'static str; 3],
    lists: [Option<&'r [String]>; 3],
}

/// Points of one workload type in the summary and in the details, and the first row of
/// each (rendered once per type).
struct TypeSums {
    summary: Sum,
    details: Sum,
    summary_at: Option<String>,
    details_at: Option<String>,
}

impl TypeSums {
    const fn new() -> Self {
        Self {
            summary: Sum::ZERO,
            details: Sum::ZERO,
            summary_at: None,
            details_at: None,
        }
    }
}

/// Rows of one weight, and the first of them (rendered once per weight).
struct WeightSeen {
    weight: Decimal,
    rows: usize,
    first: String,
}

type DedupeKey<'r> = (&'static str, &'r str, &'r str, Decimal);

struct ReportCheck<'c, 'o, 'r, 'p> {
    ctx: &'c mut Ctx<'o>,
    root: Ptr<'p>,
    /// The report's month, once known (for dated weight rules).
    month: Option<Month>,
    /// The weights of each (workload type, edition): how many rows, and the first.
    weights_seen: BTreeMap<(&'r WorkloadType, &'r str), Vec<WeightSeen>>,
    /// Findings reported once per report: index in `ctx.out` and how many more there were.
    dedupe: BTreeMap<DedupeKey<'r>, (usize, usize)>,
    /// Summary rows of the scope being checked whose usedPoints is not reportedCount ×
    /// weight, to be checked against the usageDetails rows they sum.
    pending: Vec<PendingRow<'r>>,
}

/// A row's counts and points.
#[derive(Debug, Clone, Copy)]
struct RowNumbers {
    reported: i64,
    new: i64,
    weight: Decimal,
    used: Decimal,
}

/// A summary row without `workloadsByPlatform` whose usedPoints is not reportedCount ×
/// weight. A summary row sums the usageDetails rows of its workload type and edition, and
/// objects of different weights show only there (6 VMs of weight 5 and 2 of weight 2.5:
/// reportedCount 8, weight 5, usedPoints 35): the row is flagged only when those rows
/// do not explain it.
struct PendingRow<'r> {
    /// The row's pointer.
    at: String,
    /// `{workloadType} {who}`, for the message.
    what: String,
    workload: &'r WorkloadType,
    /// License edition, trimmed and in lower case.
    edition: String,
    numbers: RowNumbers,
    /// reportedCount × weight.
    expected: Decimal,
}

/// What the usageDetails rows of one workload type and edition add up to.
#[derive(Clone, Copy)]
struct DetailRows {
    rows: usize,
    points: Sum,
    reported: Option<i64>,
}

/// A license edition as rows of the summary and of the details are matched: trimmed, in
/// lower case (`""` for none).
fn edition_key(edition: Option<&str>) -> String {
    edition.unwrap_or("").trim().to_ascii_lowercase()
}

/// The note added when the reported value is the recomputed one rounded up.
fn ceiling_note(expected: Decimal, found: Decimal) -> String {
    if rounded_up(expected, found) {
        format!(
            "; {found} is {} rounded up, as Veeam's portal rounds non-integer point totals up",
            expected.normalize()
        )
    } else {
        String::new()
    }
}

impl<'r> ReportCheck<'_, '_, 'r, '_> {
    fn run(mut self, r: &'r SingleLicenseReport, index: usize) -> Option<ReportKey> {
        self.status(r);
        let key = match (&r.report_parameters, &r.report_paremeters) {
            (None, None) => {
                let f = Finding::of(
                    crate::codes::Code::MissingParameters,
                    self.ctx.file,
                    self.root.render(),
                    "the report has neither reportParameters nor reportParemeters: its owner and month are unknown, so it cannot be placed in a series or billed",
                );
                self.ctx.emit(f);
                None
            }
            (Some(p), old) => {
                if let Some(o) = old {
                    let differ = if o == p { "" } else { ", and they differ" };
                    let f = Finding::of(
                        crate::codes::Code::ConflictingFields,
                        self.ctx.file,
                        Ptr::key(&self.root, "reportParemeters").render(),
                        format!(
                            "both reportParameters (API 3.6+) and reportParemeters (the misspelled name up to 3.5.1) are present{differ}: reportParameters is used"
                        ),
                    );
                    self.ctx.emit(f);
                }
                self.parameters(p, "reportParameters", index)
            }
            (None, Some(p)) => self.parameters(p, "reportParemeters", index),
        };
        let owner = Scope {
            summary_key: "reportSummary",
            summary: r.report_summary.as_ref(),
            orgs: r.organizations(),
            details: r.details(),
            servers: Servers {
                names: [
                    "notCollectedCloudServers",
                    "clonedCloudServers",
                    "unsupportedCloudServers",
                ],
                lists: [
                    r.not_collected_cloud_servers.as_deref(),
                    r.cloned_cloud_servers.as_deref(),
                    r.unsupported_cloud_servers.as_deref(),
                ],
            },
            company: None,
        };
        let root = self.root;
        self.scope(&owner, root, Who::Summary);
        for (k, a) in r.appendix_list().iter().enumerate() {
            let company = a.license_company_name.as_deref();
            let scope = Scope {
                summary_key: "appendixSummary",
                summary: a.appendix_summary.as_ref(),
                orgs: a.organizations(),
                details: a.details(),
                servers: Servers {
                    names: [
                        "notCollectedCloudServers",
                        "clonedCloudServers",
                        "unsupportedCloudServers",
                    ],
                    lists: [
                        a.not_collected_cloud_servers.as_deref(),
                        a.cloned_cloud_servers.as_deref(),
                        a.unsupported_cloud_servers.as_deref(),
                    ],
                },
                company,
            };
            let root = self.root;
            let at = root.key_at("appendices", k);
            self.scope(&scope, at, Who::AppendixSummary(company));
        }
        self.inconsistent_weights();
        for &(i, more) in self.dedupe.values() {
            if more > 0
                && let Some(f) = self.ctx.out.get_mut(i)
            {
                f.message
                    .push_str(&format!(" ({more} more like it in this report)"));
            }
        }
        key
    }

    /// Whether a finding with this key is the first of the report; counts the others.
    fn first_time(&mut self, key: DedupeKey<'r>) -> bool {
        let next = self.ctx.out.len();
        match self.dedupe.entry(key) {
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert((next, 0));
                true
            }
            std::collections::btree_map::Entry::Occupied(mut o) => {
                o.get_mut().1 += 1;
                false
            }
        }
    }

    fn unknown(&mut self, ptr: Ptr<'_>, field: &'static str, value: &'r str, known: &[&str]) {
        if self.first_time(("unknown-enum-value", field, value, Decimal::ZERO)) {
            self.ctx.unknown_enum(ptr, field, value, known);
        }
    }
}
