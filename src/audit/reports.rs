//! Checks of license usage reports (`/licensing/reports`).
//!
//! Per report: its status and parameters (dates, interval, generation), then the owner's
//! part and each appendix the same way: server lists, every workload row
//! (`usedPoints = reportedCount × weight`, or the sum over `objectsByWeight`), and every
//! roll-up (product, summary, organizations, usage details, details per workload type).
//! A roll-up compares a reported total with the sum of the reported values one level
//! below it: a wrong number breaks each relation it takes part in (a row's points: its own
//! product and its product's total), and each broken relation is reported where it is.

use super::compare::{rounded_up, show_expected};
use super::weights::Month;
use super::{Ctx, Ptr, ReportKey, Sum, Verdict, exact_add, exact_mul};
use crate::date::{DateParts, VspcDate, days_in_month};
use crate::diag::{Finding, Severity};
use crate::enums::{OrganizationType, ProductType, ReportStatus, WorkloadType};
use crate::load::ReportsDocument;
use crate::model::{
    LicenseReportParameters, LicenseReportSummary, OrganizationLicenseUsage,
    OrganizationUsageOfLicensesWithSameSupportId, ProductLicenseUsage, SingleLicenseReport,
    WorkloadLicenseUsage,
};
use rayon::prelude::*;
use rust_decimal::Decimal;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::iter::{Enumerate, Peekable};

/// Checks every report of a document; returns the keys of the reports that have an owner
/// and a period.
pub(crate) fn check(ctx: &mut Ctx<'_>, doc: &ReportsDocument) -> Vec<ReportKey> {
    ctx.paging(doc.meta.as_ref(), doc.reports.len(), "reports");
    ctx.api_errors(&doc.errors);
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
    }
    duplicates_within(ctx, &keys);
    keys
}

/// `duplicate-report` within one file.
fn duplicates_within(ctx: &mut Ctx<'_>, keys: &[ReportKey]) {
    let mut first: BTreeMap<super::Period<'_>, usize> = BTreeMap::new();
    for (n, k) in keys.iter().enumerate() {
        match first.entry((k.owner_uid.as_str(), k.start, k.end)) {
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(n);
            }
            std::collections::btree_map::Entry::Occupied(o) => {
                let e = &keys[*o.get()];
                let there = format!("{} in this file", e.pointer);
                let f = Finding::of(
                    crate::codes::Code::DuplicateReport,
                    ctx.file,
                    k.pointer.clone(),
                    super::duplicate_message(k, e, &there),
                );
                ctx.emit(f);
            }
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

/// Rows of one weight, and the first of them (rendered once per weight).
struct WeightSeen {
    weight: Decimal,
    rows: usize,
    first: String,
}

type DedupeKey<'r> = (&'static str, &'r str, &'r str, Decimal);

/// What the checks of one chunk of `usageDetails` found, to be merged in order.
struct Chunk<'r> {
    /// The chunk's findings, in order.
    out: Vec<Finding>,
    /// For each entry, how many findings the chunk had before it.
    starts: Vec<usize>,
    /// For each entry, its points.
    org_totals: Vec<Sum>,
    /// The findings reported once per report: index in `out`, key, how many more.
    once: Vec<(usize, DedupeKey<'r>, usize)>,
    /// The weights of each (workload type, edition) in the chunk.
    weights_seen: BTreeMap<(&'r WorkloadType, &'r str), Vec<WeightSeen>>,
    /// The chunk's points per workload type (`details` and `details_at` only).
    types: BTreeMap<&'r WorkloadType, TypeSums>,
    /// Whether every row's points are within [`exact_in_any_order`].
    exact: bool,
    /// Workload rows in the chunk.
    rows: usize,
}

/// Below this many rows, sums of values within [`exact_in_any_order`] stay exact.
const MAX_ROWS_IN_ANY_ORDER: usize = 100_000_000;

/// Whether sums of these values give the same decimal in any order and grouping: every
/// value is non-negative, below 10^10 and has at most 10 decimals. Then any sum of fewer
/// than [`MAX_ROWS_IN_ANY_ORDER`] of them is below 10^18 and holds in 28 digits at scale 10:
/// no addition rounds or overflows. `rust_decimal` gives an exact non-zero sum the larger
/// scale of its operands, and returns the other operand unchanged when one is zero; with
/// no negative value a sum is zero only while every value so far is, so the result is the
/// exact sum at the largest scale of the non-zero values (or the last zero, when all are):
/// the same whatever the grouping of the values into non-empty groups (a type's sum in a
/// chunk exists only when the chunk has rows of it).
fn exact_in_any_order(values: impl Iterator<Item = Decimal>) -> bool {
    const LIMIT: Decimal = Decimal::from_parts(1_410_065_408, 2, 0, false, 0); // 10^10
    values
        .into_iter()
        .all(|v| !v.is_sign_negative() && v.scale() <= 10 && v < LIMIT)
}

/// Adds an entry's points to its organization's (first entry kept).
fn add_org_total<'r>(
    by_org: &mut HashMap<&'r str, (Sum, usize)>,
    d: &'r OrganizationUsageOfLicensesWithSameSupportId,
    org_total: Sum,
    di: usize,
) {
    match by_org.entry(d.organization_uid.as_str()) {
        Entry::Vacant(v) => {
            v.insert((org_total, di));
        }
        Entry::Occupied(mut o) => {
            let (acc, _) = o.get_mut();
            acc.0 = acc
                .0
                .and_then(|a| org_total.0.and_then(|t| exact_add(a, t)));
        }
    }
}

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

fn server_names(list: &[String]) -> String {
    let shown: Vec<String> = list.iter().take(5).map(|s| format!("{s:?}")).collect();
    let more = list.len().saturating_sub(5);
    format!(
        "{} server{} ({}{})",
        list.len(),
        if list.len() == 1 { "" } else { "s" },
        shown.join(", "),
        if more > 0 {
            format!(", and {more} more")
        } else {
            String::new()
        }
    )
}

/// Which end of its month an impossible day is nearer to (day 0, or past the last day).
fn nearest_day_word(parts: &DateParts) -> &'static str {
    if parts.day == 0 { "first" } else { "last" }
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

    fn status(&mut self, r: &'r SingleLicenseReport) {
        match &r.report_status {
            None => {
                let mut f = Finding::of(
                    crate::codes::Code::ReportNotApproved,
                    self.ctx.file,
                    self.root.render(),
                    "the report has no reportStatus (consoles before API 3.5.1 do not send it): whether it is final cannot be told",
                );
                f.severity = Severity::Info;
                self.ctx.emit(f);
            }
            Some(ReportStatus::Approved) => {}
            Some(s) => {
                let root = self.root;
                let at = root.key("reportStatus");
                if let ReportStatus::Other(v) = s {
                    self.unknown(at, "reportStatus", v, ReportStatus::KNOWN);
                }
                let f = Finding::of(
                    crate::codes::Code::ReportNotApproved,
                    self.ctx.file,
                    at.render(),
                    format!(
                        "reportStatus is {}, not Approved: the report may still change; approve it in VSPC (it approves itself on the 3rd) before billing from it",
                        s.as_str()
                    ),
                );
                self.ctx.emit(f);
            }
        }
    }

    /// Reports an impossible date; returns the calendar date the other checks use.
    fn date(&mut self, at: Ptr<'_>, field: &str, d: &VspcDate) -> Option<DateParts> {
        let Some(err) = d.parts.calendar_error() else {
            return Some(d.parts);
        };
        let day_only = DateParts {
            time: None,
            ..d.parts
        };
        let (usable, advice) = if day_only.calendar_error().is_none() {
            (
                Some(day_only),
                "; the date itself is used for the other checks".to_owned(),
            )
        } else {
            match day_only
                .clamped_to_month()
                .filter(|c| c.calendar_error().is_none())
            {
                Some(c) => (
                    Some(c),
                    format!(
                        "; {}, the {} day of that month, is probably meant (the other checks use it)",
                        c.date_string(),
                        nearest_day_word(&d.parts)
                    ),
                ),
                None => (None, "; the checks that need it are skipped".to_owned()),
            }
        };
        let f = Finding::of(
            crate::codes::Code::InvalidDate,
            self.ctx.file,
            at.render(),
            format!("{field} {} is not a real date: {err}{advice}", d.text),
        );
        self.ctx.emit(f);
        usable
    }

    fn parameters(
        &mut self,
        p: &'r LicenseReportParameters,
        field: &'static str,
        index: usize,
    ) -> Option<ReportKey> {
        let root = self.root;
        let pp = root.key(field);
        let generated = self.date(
            pp.key("generationDate"),
            "generationDate",
            &p.generation_date,
        );
        let ip = pp.key("reportInterval");
        let interval = &p.report_interval;
        let start = self.date(
            ip.key("startOfInterval"),
            "startOfInterval",
            &interval.start_of_interval,
        );
        let end = self.date(
            ip.key("endOfInterval"),
            "endOfInterval",
            &interval.end_of_interval,
        );
        if let (Some(s), Some(e)) = (start, end) {
            if s.ymd() > e.ymd() {
                let f = Finding::of(
                    crate::codes::Code::IntervalReversed,
                    self.ctx.file,
                    ip.render(),
                    format!(
                        "the interval starts on {} after it ends on {}",
                        s.date_string(),
                        e.date_string()
                    ),
                );
                self.ctx.emit(f);
            } else {
                let last = days_in_month(s.year, s.month);
                if s.day != 1 || (e.year, e.month, e.day) != (s.year, s.month, last) {
                    let next = if s.month == 12 {
                        (s.year + 1, 1, 1)
                    } else {
                        (s.year, s.month + 1, 1)
                    };
                    let exclusive = if s.day == 1 && e.ymd() == next {
                        "; an end on the 1st of the next month reads as an exclusive end, but VSPC writes the last day of the month"
                    } else {
                        ""
                    };
                    let f = Finding::of(
                        crate::codes::Code::IntervalNotCalendarMonth,
                        self.ctx.file,
                        ip.render(),
                        format!(
                            "the interval {} to {} is not one calendar month (a monthly report covers {:04}-{:02}-01 to {:04}-{:02}-{last:02}){exclusive}",
                            s.date_string(),
                            e.date_string(),
                            s.year,
                            s.month,
                            s.year,
                            s.month
                        ),
                    );
                    self.ctx.emit(f);
                }
            }
        }
        if let (Some(g), Some(e)) = (generated, end)
            && g.ymd() <= e.ymd()
        {
            let f = Finding::of(
                crate::codes::Code::GeneratedBeforeIntervalEnd,
                self.ctx.file,
                pp.key("generationDate").render(),
                format!(
                    "the report was generated on {}, before its interval ended ({}): usage of the rest of the month is missing",
                    g.date_string(),
                    e.date_string()
                ),
            );
            self.ctx.emit(f);
        }
        self.month = start.map(|s| (s.year, s.month));
        let (s, e) = (start?, end?);
        Some(ReportKey {
            index,
            pointer: pp.render(),
            line: None,
            column: None,
            report_id: p.report_id,
            owner_uid: p.organization_uid.to_ascii_lowercase(),
            owner_name: p.organization_name.clone(),
            start: s.ymd(),
            end: e.ymd(),
        })
    }

    fn servers(&mut self, at: Ptr<'_>, s: &Servers<'r>, who: &dyn Fn() -> String) {
        let [nc, cl, un] = s.lists;
        let [ncn, cln, unn] = s.names;
        if let Some(l) = nc.filter(|l| !l.is_empty()) {
            let f = Finding::of(
                crate::codes::Code::ServersNotCollected,
                self.ctx.file,
                at.key(ncn).render(),
                format!(
                    "{}{ncn} lists {}: their usage could not be collected, so the totals miss it; collect again, or report it to Veeam by hand",
                    who(),
                    server_names(l)
                ),
            );
            self.ctx.emit(f);
        }
        if let Some(l) = cl.filter(|l| !l.is_empty()) {
            let f = Finding::of(
                crate::codes::Code::ServersCloned,
                self.ctx.file,
                at.key(cln).render(),
                format!(
                    "{}{cln} lists {}: cloned servers (same installation id) are left out of the report, so the totals are incomplete",
                    who(),
                    server_names(l)
                ),
            );
            self.ctx.emit(f);
        }
        if let Some(l) = un.filter(|l| !l.is_empty()) {
            let f = Finding::of(
                crate::codes::Code::ServersUnsupported,
                self.ctx.file,
                at.key(unn).render(),
                format!(
                    "{}{unn} lists {}: unsupported servers are left out of the report, so the totals are incomplete",
                    who(),
                    server_names(l)
                ),
            );
            self.ctx.emit(f);
        }
    }

    #[allow(clippy::too_many_lines)] // one roll-up after the other, in the order of the data
    fn scope(&mut self, s: &Scope<'r>, at: Ptr<'_>, who: Who<'r>) {
        let company = s.company;
        self.servers(at, &s.servers, &|| {
            company.map_or(String::new(), |c| format!("appendix of {c:?}: "))
        });
        let mut types: BTreeMap<&'r WorkloadType, TypeSums> = BTreeMap::new();
        if let Some(summary) = s.summary {
            let sat = at.key(s.summary_key);
            self.summary(summary, sat, who, &mut types);
        }

        // organizationsUsage
        let op = at.key("organizationsUsage");
        let mut org_index: HashMap<&'r str, usize> = HashMap::with_capacity(s.orgs.len());
        let mut org_sum = Sum::ZERO;
        for (k, o) in s.orgs.iter().enumerate() {
            let oat = op.at(k);
            if let Some(OrganizationType::Other(v)) = &o.organization_type {
                self.unknown(
                    oat.key("organizationType"),
                    "organizationType",
                    v,
                    OrganizationType::KNOWN,
                );
            }
            if o.used_points.is_sign_negative() && !o.used_points.is_zero() {
                self.ctx.negative(oat, "usedPoints", o.used_points);
            }
            match org_index.entry(o.organization_uid.as_str()) {
                Entry::Vacant(v) => {
                    v.insert(k);
                }
                Entry::Occupied(first) => {
                    let f = Finding::of(
                        crate::codes::Code::DuplicateOrganization,
                        self.ctx.file,
                        oat.render(),
                        format!(
                            "{:?} ({}) appears again in organizationsUsage (first at {}): its points would be counted twice",
                            o.organization_name.as_deref().unwrap_or(""),
                            o.organization_uid,
                            op.at(*first.get()).render()
                        ),
                    );
                    self.ctx.emit(f);
                }
            }
            org_sum.add(o.used_points);
        }
        if let Some(summary) = s.summary
            && !s.orgs.is_empty()
        {
            match org_sum.value() {
                None => self.ctx.overflow(op, "the sum of organizationsUsage"),
                Some(sum) => {
                    if !self.ctx.rule.agrees(summary.total_points, sum) {
                        let f = Finding::of(crate::codes::Code::OrganizationsTotalMismatch,
                            self.ctx.file,
                            op.render(),
                            format!(
                                "the organizations' usedPoints sum to {sum}, but {}.totalPoints is {}{}",
                                s.summary_key,
                                summary.total_points,
                                company.map_or(String::new(), |c| format!(
                                    " (appendix of {c:?})"
                                ))
                            ),
                        )
                        .with_values(summary.total_points, sum);
                        self.ctx.emit(f);
                    }
                }
            }
        }

        // usageDetails
        let dp = at.key("usageDetails");
        let mut by_org: HashMap<&'r str, (Sum, usize)> = HashMap::with_capacity(s.details.len());
        let mut support: HashMap<(&'r str, Option<&'r str>), usize> =
            HashMap::with_capacity(s.details.len());
        if let Some(len) = self.ctx.chunk_len(s.details.len()) {
            self.details_in_chunks(s.details, dp, len, &mut types, &mut by_org, &mut support);
        } else {
            for (di, d) in s.details.iter().enumerate() {
                let dat = dp.at(di);
                self.support_duplicate(&mut support, d, di, dat, dp);
                let org_total = self.detail(d, dat, &mut types);
                add_org_total(&mut by_org, d, org_total, di);
            }
        }

        self.summary_rows_against_details(s.details);

        // Each organization against its usage details (in chunks on several threads when
        // the file is split: the maps are only read).
        if !s.orgs.is_empty() && !s.details.is_empty() {
            let (org_index, by_org) = (&org_index, &by_org);
            self.ctx.each(s.orgs, |ctx, k, o| {
                org_against_details(ctx, k, o, op, org_index, by_org);
            });
            self.ctx.each(s.details, |ctx, di, d| {
                detail_without_org(ctx, di, d, dp, org_index, by_org);
            });
        }

        // Per workload type, the details against the summary.
        if s.summary.is_some() && !s.details.is_empty() {
            for (wt, t) in &types {
                let (Some(found), Some(expected)) = (t.summary.value(), t.details.value()) else {
                    let f = Finding::of(
                        crate::codes::Code::NumberOutOfRange,
                        self.ctx.file,
                        t.summary_at
                            .clone()
                            .or_else(|| t.details_at.clone())
                            .unwrap_or_else(|| at.render()),
                        format!(
                            "recomputing the points of {wt} goes beyond the exact decimal range (28 digits): the values are corrupt"
                        ),
                    );
                    self.ctx.emit(f);
                    continue;
                };
                if self.ctx.rule.agrees(expected, found) {
                    continue;
                }
                let place = match (&t.summary_at, &t.details_at) {
                    (Some(p), _) | (None, Some(p)) => format!("{p}/usedPoints"),
                    (None, None) => at.render(),
                };
                let f = Finding::of(crate::codes::Code::DetailsSummaryMismatch,
                    self.ctx.file,
                    place,
                    format!(
                        "{wt}: the {} rows give {found} points, but the usageDetails rows sum to {}{}",
                        s.summary_key,
                        show_expected(expected, found),
                        company.map_or(String::new(), |c| format!(" (appendix of {c:?})"))
                    ),
                )
                .with_values(show_expected(expected, found), found);
                self.ctx.emit(f);
            }
        }
    }

    /// The checks of `usageDetails` on chunks of `len` entries in parallel, then merged in
    /// order into exactly what one pass gives: the same findings in the same order, the
    /// same per-report state.
    ///
    /// Each chunk runs [`Self::detail`] with its own findings and its own once-per-report
    /// keys, weights and sums per workload type. The merge, in document order: a chunk's
    /// findings are appended, those reported once per report only if no earlier chunk had
    /// them (else counted with the first, as one pass counts them); duplicates of
    /// organization and support id, and the points per organization, are found entry by
    /// entry, as one pass does; the weights seen keep their first row and add their rows.
    /// The points per workload type are added chunk by chunk only when that gives the very
    /// decimal one pass gives (see [`exact_in_any_order`]); otherwise row by row again.
    fn details_in_chunks(
        &mut self,
        details: &'r [OrganizationUsageOfLicensesWithSameSupportId],
        dp: Ptr<'_>,
        len: usize,
        types: &mut BTreeMap<&'r WorkloadType, TypeSums>,
        by_org: &mut HashMap<&'r str, (Sum, usize)>,
        support: &mut HashMap<(&'r str, Option<&'r str>), usize>,
    ) {
        super::count_chunked_scope();
        let (file, rule, weights) = (self.ctx.file, self.ctx.rule, self.ctx.weights);
        let (root, month) = (self.root, self.month);
        let chunks: Vec<Chunk<'r>> = details
            .par_chunks(len)
            .enumerate()
            .map(|(c, part)| {
                let mut ctx = Ctx::chunk(file, rule, weights);
                let mut check = ReportCheck {
                    ctx: &mut ctx,
                    root,
                    month,
                    weights_seen: BTreeMap::new(),
                    dedupe: BTreeMap::new(),
                    pending: Vec::new(),
                };
                let mut types = BTreeMap::new();
                let mut starts = Vec::with_capacity(part.len());
                let mut org_totals = Vec::with_capacity(part.len());
                for (k, d) in part.iter().enumerate() {
                    starts.push(check.ctx.out.len());
                    org_totals.push(check.detail(d, dp.at(c * len + k), &mut types));
                }
                let ReportCheck {
                    weights_seen,
                    dedupe,
                    ..
                } = check;
                let mut once: Vec<(usize, DedupeKey<'r>, usize)> = dedupe
                    .into_iter()
                    .map(|(key, (i, more))| (i, key, more))
                    .collect();
                once.sort_unstable_by_key(|o| o.0);
                let rows = part
                    .iter()
                    .flat_map(OrganizationUsageOfLicensesWithSameSupportId::products)
                    .flat_map(ProductLicenseUsage::workloads);
                Chunk {
                    out: ctx.out,
                    starts,
                    org_totals,
                    once,
                    weights_seen,
                    types,
                    exact: exact_in_any_order(rows.clone().map(|w| w.used_points)),
                    rows: rows.count(),
                }
            })
            .collect();

        let exact = chunks.iter().all(|c| c.exact)
            && chunks.iter().map(|c| c.rows).sum::<usize>() < MAX_ROWS_IN_ANY_ORDER;
        for (c, chunk) in chunks.into_iter().enumerate() {
            let Chunk {
                out,
                starts,
                org_totals,
                once,
                weights_seen,
                types: chunk_types,
                ..
            } = chunk;
            let mut out = out.into_iter().enumerate().peekable();
            let mut once = once.into_iter().peekable();
            let first = c * len;
            for (k, (d, org_total)) in details[first..].iter().zip(org_totals).enumerate() {
                self.append_chunk(&mut out, &mut once, starts[k]);
                let di = first + k;
                self.support_duplicate(support, d, di, dp.at(di), dp);
                add_org_total(by_org, d, org_total, di);
            }
            self.append_chunk(&mut out, &mut once, usize::MAX);
            for (key, seen) in weights_seen {
                let all = self.weights_seen.entry(key).or_default();
                for w in seen {
                    match all.iter_mut().find(|s| s.weight == w.weight) {
                        Some(s) => s.rows += w.rows,
                        None => all.push(w),
                    }
                }
            }
            for (wt, t) in chunk_types {
                let all = types.entry(wt).or_insert_with(TypeSums::new);
                all.details.0 = all
                    .details
                    .0
                    .and_then(|a| t.details.0.and_then(|b| exact_add(a, b)));
                if all.details_at.is_none() {
                    all.details_at = t.details_at;
                }
            }
        }
        if !exact {
            for t in types.values_mut() {
                t.details = Sum::ZERO;
            }
            for w in details
                .iter()
                .flat_map(OrganizationUsageOfLicensesWithSameSupportId::products)
                .flat_map(ProductLicenseUsage::workloads)
            {
                if let Some(t) = types.get_mut(&w.workload_type) {
                    t.details.add(w.used_points);
                }
            }
        }
    }

    /// Appends a chunk's findings up to its `end`th, those reported once per report only
    /// if they are the first of the report.
    fn append_chunk(
        &mut self,
        out: &mut Peekable<Enumerate<std::vec::IntoIter<Finding>>>,
        once: &mut Peekable<std::vec::IntoIter<(usize, DedupeKey<'r>, usize)>>,
        end: usize,
    ) {
        while let Some((i, f)) = out.next_if(|(i, _)| *i < end) {
            let Some((_, key, more)) = once.next_if(|o| o.0 == i) else {
                self.ctx.emit(f);
                continue;
            };
            let next = self.ctx.out.len();
            match self.dedupe.entry(key) {
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert((next, more));
                    self.ctx.emit(f);
                }
                std::collections::btree_map::Entry::Occupied(mut o) => o.get_mut().1 += 1 + more,
            }
        }
    }

    /// `duplicate-organization` in `usageDetails`: the same organization and support id
    /// again.
    fn support_duplicate(
        &mut self,
        support: &mut HashMap<(&'r str, Option<&'r str>), usize>,
        d: &'r OrganizationUsageOfLicensesWithSameSupportId,
        di: usize,
        dat: Ptr<'_>,
        dp: Ptr<'_>,
    ) {
        let uid = d.organization_uid.as_str();
        match support.entry((uid, d.support_id.as_deref())) {
            Entry::Vacant(v) => {
                v.insert(di);
            }
            Entry::Occupied(first) => {
                let f = Finding::of(
                    crate::codes::Code::DuplicateOrganization,
                    self.ctx.file,
                    dat.render(),
                    format!(
                        "{:?} ({uid}) appears again in usageDetails with the same supportId (first at {}): its points would be counted twice",
                        d.organization_name.as_deref().unwrap_or(""),
                        dp.at(*first.get()).render()
                    ),
                );
                self.ctx.emit(f);
            }
        }
    }

    /// The checks of one entry of `usageDetails` that need no other entry: its servers,
    /// products and workload rows. Adds its rows to `types`; returns its points.
    fn detail(
        &mut self,
        d: &'r OrganizationUsageOfLicensesWithSameSupportId,
        dat: Ptr<'_>,
        types: &mut BTreeMap<&'r WorkloadType, TypeSums>,
    ) -> Sum {
        let name = d.organization_name.as_deref();
        self.servers(
            dat,
            &Servers {
                names: [
                    "notCollectedClientServers",
                    "clonedClientServers",
                    "unsupportedClientServers",
                ],
                lists: [
                    d.not_collected_client_servers.as_deref(),
                    d.cloned_client_servers.as_deref(),
                    d.unsupported_client_servers.as_deref(),
                ],
            },
            &|| format!("{:?}: ", name.unwrap_or("")),
        );
        let mut org_total = Sum::ZERO;
        for (li, lp) in d.products().iter().enumerate() {
            let lat = dat.key_at("usageByLicenseAndProduct", li);
            if let Some(ProductType::Other(v)) = &lp.product_type {
                self.unknown(lat.key("productType"), "productType", v, ProductType::KNOWN);
            }
            if lp.used_points.is_sign_negative() && !lp.used_points.is_zero() {
                self.ctx.negative(lat, "usedPoints", lp.used_points);
            }
            let edition = lp.license_edition.as_deref();
            let mut sum = Sum::ZERO;
            for (wi, w) in lp.workloads().iter().enumerate() {
                let wat = lat.key_at("workloadUsage", wi);
                self.workload(w, wat, edition, Who::Org(name));
                sum.add(w.used_points);
                let t = types.entry(&w.workload_type).or_insert_with(TypeSums::new);
                t.details.add(w.used_points);
                if t.details_at.is_none() {
                    t.details_at = Some(wat.render());
                }
            }
            if lp.workload_usage.is_some() {
                let uat = lat.key("usedPoints");
                match self.ctx.verdict(sum.value(), lp.used_points) {
                    Verdict::Agree => {}
                    Verdict::Overflow => self.ctx.overflow(uat, "the sum of workloadUsage"),
                    Verdict::Differ(e) => {
                        let f = Finding::of(crate::codes::Code::DetailsTotalMismatch,
                            self.ctx.file,
                            uat.render(),
                            format!(
                                "{:?}, license {} ({}): usedPoints {} is not the sum of its workloads' usedPoints, {}{}",
                                name.unwrap_or(""),
                                lp.license_id.as_deref().map_or_else(|| "without id".to_owned(), |l| format!("{l:?}")),
                                lp.product_type.as_ref().map_or("no productType", ProductType::as_str),
                                lp.used_points,
                                show_expected(e, lp.used_points),
                                ceiling_note(e, lp.used_points)
                            ),
                        )
                        .with_values(show_expected(e, lp.used_points), lp.used_points);
                        self.ctx.emit(f);
                    }
                }
            }
            org_total.add(lp.used_points);
        }
        org_total
    }

    fn summary(
        &mut self,
        s: &'r LicenseReportSummary,
        at: Ptr<'_>,
        who: Who<'r>,
        types: &mut BTreeMap<&'r WorkloadType, TypeSums>,
    ) {
        if s.total_points.is_sign_negative() && !s.total_points.is_zero() {
            self.ctx.negative(at, "totalPoints", s.total_points);
        }
        let pp = at.key("productsUsage");
        let mut total = Sum::ZERO;
        for (pi, p) in s.products_usage.iter().enumerate() {
            let pat = pp.at(pi);
            if let Some(ProductType::Other(v)) = &p.product_type {
                self.unknown(pat.key("productType"), "productType", v, ProductType::KNOWN);
            }
            let edition = p.license_edition.as_deref();
            let mut sum = Sum::ZERO;
            for (wi, w) in p.workloads().iter().enumerate() {
                let wat = pat.key_at("workloadUsage", wi);
                self.workload(w, wat, edition, who);
                sum.add(w.used_points);
                let t = types.entry(&w.workload_type).or_insert_with(TypeSums::new);
                t.summary.add(w.used_points);
                if t.summary_at.is_none() {
                    t.summary_at = Some(wat.render());
                }
            }
            match p.total_points {
                Some(tp) => {
                    if tp.is_sign_negative() && !tp.is_zero() {
                        self.ctx.negative(pat, "totalPoints", tp);
                    }
                    if p.workload_usage.is_some() {
                        let tat = pat.key("totalPoints");
                        match self.ctx.verdict(sum.value(), tp) {
                            Verdict::Agree => {}
                            Verdict::Overflow => {
                                self.ctx.overflow(tat, "the sum of workloadUsage");
                            }
                            Verdict::Differ(e) => {
                                let product = p
                                    .product_type
                                    .as_ref()
                                    .map(ProductType::as_str)
                                    .or(p.product_name.as_deref())
                                    .unwrap_or("without productType");
                                let f = Finding::of(crate::codes::Code::ProductTotalMismatch,
                                    self.ctx.file,
                                    tat.render(),
                                    format!(
                                        "product {product}{} {who}: totalPoints {tp} is not the sum of its workloads' usedPoints, {}{}",
                                        edition.map_or(String::new(), |e| format!(" ({e})")),
                                        show_expected(e, tp),
                                        ceiling_note(e, tp)
                                    ),
                                )
                                .with_values(show_expected(e, tp), tp);
                                self.ctx.emit(f);
                            }
                        }
                    }
                    total.add(tp);
                }
                None => total.0 = total.0.and_then(|t| sum.0.and_then(|v| exact_add(t, v))),
            }
        }
        let tat = at.key("totalPoints");
        match self.ctx.verdict(total.value(), s.total_points) {
            Verdict::Agree => {}
            Verdict::Overflow => self.ctx.overflow(tat, "the sum of productsUsage"),
            Verdict::Differ(e) => {
                let f = Finding::of(
                    crate::codes::Code::SummaryTotalMismatch,
                    self.ctx.file,
                    tat.render(),
                    format!(
                        "totalPoints {} {who} is not the sum of the products' totalPoints, {}{}",
                        s.total_points,
                        show_expected(e, s.total_points),
                        ceiling_note(e, s.total_points)
                    ),
                )
                .with_values(show_expected(e, s.total_points), s.total_points);
                self.ctx.emit(f);
            }
        }
    }

    /// One row of `usedPoints` against `count × weight`.
    fn row_points(&mut self, at: Ptr<'_>, what: &dyn Fn() -> String, n: RowNumbers) {
        let uat = at.key("usedPoints");
        let expected = exact_mul(Decimal::from(n.reported), n.weight);
        match self.ctx.verdict(expected, n.used) {
            Verdict::Agree => {}
            Verdict::Overflow => self.ctx.overflow(uat, "reportedCount x weight"),
            Verdict::Differ(e) => self.points_mismatch(uat.render(), &what(), n, e, None),
        }
    }

    /// `points-mismatch` of a row whose usedPoints is not reportedCount × weight = `e`;
    /// `details`: what the usageDetails rows a summary row sums add up to, when it has any.
    fn points_mismatch(
        &mut self,
        uat: String,
        what: &str,
        n: RowNumbers,
        e: Decimal,
        details: Option<(Decimal, i64)>,
    ) {
        let RowNumbers {
            reported,
            new,
            weight,
            used,
        } = n;
        let mut message = format!(
            "{what}: usedPoints {used} is not reportedCount {reported} x weight {weight} = {}",
            show_expected(e, used)
        );
        // The usageDetails rows explain the points (objects of different weights) but
        // not the count: say so, and nothing about new workloads.
        let explained = details.is_some_and(|(points, _)| self.ctx.rule.agrees(points, used));
        if let Some((points, count)) = details {
            message.push_str(&format!(
                "; the usageDetails rows of this type and edition sum to {points} points for reportedCount {count}"
            ));
            if explained {
                message.push_str(&format!(
                    ", the same points (objects of different weights) but not the same count as this row's {reported}"
                ));
            }
        }
        if !explained
            && new != 0
            && let Some(without_new) = reported
                .checked_sub(new)
                .and_then(|c| exact_mul(Decimal::from(c), weight))
            && self.ctx.rule.agrees(without_new, used)
        {
            message.push_str(&format!(
                "; it matches (reportedCount - newCount) x weight = ({reported} - {new}) x {weight} = {}: the new workloads were left out",
                show_expected(without_new, used)
            ));
        }
        message.push_str(&ceiling_note(e, used));
        let f = Finding::of(
            crate::codes::Code::PointsMismatch,
            self.ctx.file,
            uat,
            message,
        )
        .with_values(show_expected(e, used), used);
        self.ctx.emit(f);
    }

    /// The pending summary rows of this scope against the usageDetails rows they sum: a
    /// row whose points and reportedCount are those of its type and edition in the
    /// details agrees with them (objects of different weights); any other is a
    /// `points-mismatch`. One pass over the details, only when a row is pending.
    fn summary_rows_against_details(
        &mut self,
        details: &'r [OrganizationUsageOfLicensesWithSameSupportId],
    ) {
        let pending = std::mem::take(&mut self.pending);
        if pending.is_empty() {
            return;
        }
        // By workload type, then edition.
        let mut sums: BTreeMap<&'r WorkloadType, BTreeMap<String, DetailRows>> = BTreeMap::new();
        for p in &pending {
            sums.entry(p.workload).or_default().insert(
                p.edition.clone(),
                DetailRows {
                    rows: 0,
                    points: Sum::ZERO,
                    reported: Some(0),
                },
            );
        }
        for lp in details
            .iter()
            .flat_map(OrganizationUsageOfLicensesWithSameSupportId::products)
        {
            let edition = edition_key(lp.license_edition.as_deref());
            for w in lp.workloads() {
                if let Some(t) = sums
                    .get_mut(&w.workload_type)
                    .and_then(|e| e.get_mut(edition.as_str()))
                {
                    t.rows += 1;
                    t.points.add(w.used_points);
                    t.reported = t.reported.and_then(|c| c.checked_add(w.reported_count));
                }
            }
        }
        for p in &pending {
            let t = sums[p.workload][p.edition.as_str()];
            let details = match (t.rows, t.points.value(), t.reported) {
                (0, _, _) => None,
                (_, Some(points), Some(count)) => Some((points, count)),
                _ => {
                    self.ctx.overflow(
                        Ptr::root(&p.at),
                        "the sum of the usageDetails rows of this type",
                    );
                    continue;
                }
            };
            let agrees = details.is_some_and(|(points, count)| {
                count == p.numbers.reported && self.ctx.rule.agrees(points, p.numbers.used)
            });
            if !agrees {
                self.points_mismatch(
                    format!("{}/usedPoints", p.at),
                    &p.what,
                    p.numbers,
                    p.expected,
                    details,
                );
            }
        }
    }

    #[allow(clippy::too_many_lines)]
    fn workload(
        &mut self,
        w: &'r WorkloadLicenseUsage,
        at: Ptr<'_>,
        edition: Option<&'r str>,
        who: Who<'r>,
    ) {
        let wt = w.workload_type.as_str();
        if let WorkloadType::Other(v) = &w.workload_type {
            self.unknown(
                at.key("workloadType"),
                "workloadType",
                v,
                WorkloadType::KNOWN,
            );
        }
        self.counts(at, w.initial_count, w.reported_count, w.new_count);
        for (field, v) in [("weight", w.weight), ("usedPoints", w.used_points)] {
            if v.is_sign_negative() && !v.is_zero() {
                self.ctx.negative(at, field, v);
            }
        }
        let has_objects = w.platforms().iter().any(|p| !p.objects().is_empty());
        if has_objects {
            let mut sum = Sum::ZERO;
            let mut counts = [Some(0i64); 3];
            for (pi, p) in w.platforms().iter().enumerate() {
                for (oi, o) in p.objects().iter().enumerate() {
                    let plat = at.key_at("workloadsByPlatform", pi);
                    let oat = plat.key_at("objectsByWeight", oi);
                    self.counts(oat, o.initial_count, o.reported_count, o.new_count);
                    for (field, v) in [("weight", o.weight), ("usedPoints", o.used_points)] {
                        if v.is_sign_negative() && !v.is_zero() {
                            self.ctx.negative(oat, field, v);
                        }
                    }
                    let platform = p.type_id.as_deref().or(p.description.as_deref());
                    self.row_points(
                        oat,
                        &|| {
                            format!(
                                "{wt} {who}, platform {:?}, objects of weight {}",
                                platform.unwrap_or(""),
                                o.weight
                            )
                        },
                        RowNumbers {
                            reported: o.reported_count,
                            new: o.new_count,
                            weight: o.weight,
                            used: o.used_points,
                        },
                    );
                    sum.add(o.used_points);
                    for (c, v) in
                        counts
                            .iter_mut()
                            .zip([o.initial_count, o.reported_count, o.new_count])
                    {
                        *c = c.and_then(|c| c.checked_add(v));
                    }
                }
            }
            let uat = at.key("usedPoints");
            match self.ctx.verdict(sum.value(), w.used_points) {
                Verdict::Agree => {}
                Verdict::Overflow => self.ctx.overflow(uat, "the sum of objectsByWeight"),
                Verdict::Differ(e) => {
                    let f = Finding::of(crate::codes::Code::PointsMismatch,
                        self.ctx.file,
                        uat.render(),
                        format!(
                            "{wt} {who}: usedPoints {} is not the sum of its objectsByWeight usedPoints, {}{}",
                            w.used_points,
                            show_expected(e, w.used_points),
                            ceiling_note(e, w.used_points)
                        ),
                    )
                    .with_values(show_expected(e, w.used_points), w.used_points);
                    self.ctx.emit(f);
                }
            }
            let fields = [
                ("initialCount", w.initial_count),
                ("reportedCount", w.reported_count),
                ("newCount", w.new_count),
            ];
            for ((field, have), sum) in fields.into_iter().zip(counts) {
                if let Some(sum) = sum
                    && sum != have
                {
                    let f = Finding::of(crate::codes::Code::PlatformCountMismatch,
                        self.ctx.file,
                        at.key(field).render(),
                        format!(
                            "{wt} {who}: {field} {have} is not the sum of its objectsByWeight {field}, {sum}"
                        ),
                    )
                    .with_values(sum, have);
                    self.ctx.emit(f);
                }
            }
        } else {
            let n = RowNumbers {
                reported: w.reported_count,
                new: w.new_count,
                weight: w.weight,
                used: w.used_points,
            };
            let expected = exact_mul(Decimal::from(n.reported), n.weight);
            match (who, self.ctx.verdict(expected, n.used)) {
                // A summary row sums usageDetails rows, whose objects may weigh
                // differently: checked against them once they are read.
                (Who::Summary | Who::AppendixSummary(_), Verdict::Differ(e)) => {
                    self.pending.push(PendingRow {
                        at: at.render(),
                        what: format!("{wt} {who}"),
                        workload: &w.workload_type,
                        edition: edition_key(edition),
                        numbers: n,
                        expected: e,
                    });
                }
                _ => self.row_points(at, &|| format!("{wt} {who}"), n),
            }
        }

        // Weights: against the table, and against the other rows of the report.
        let weights = self.ctx.weights;
        if let Some(rule) = weights.unexpected(&w.workload_type, edition, self.month, w.weight)
            && self.first_time(("weight-unexpected", wt, edition.unwrap_or(""), w.weight))
        {
            let f = Finding::of(
                crate::codes::Code::WeightUnexpected,
                self.ctx.file,
                at.key("weight").render(),
                format!(
                    "{wt}{} {who} has weight {}, but {} is expected ({})",
                    edition.map_or(String::new(), |e| format!(" ({e})")),
                    w.weight,
                    rule.points,
                    rule.source
                ),
            )
            .with_values(rule.points, w.weight);
            self.ctx.emit(f);
        }
        let seen = self
            .weights_seen
            .entry((&w.workload_type, edition.unwrap_or("")))
            .or_default();
        match seen.iter_mut().find(|s| s.weight == w.weight) {
            Some(s) => s.rows += 1,
            None => seen.push(WeightSeen {
                weight: w.weight,
                rows: 1,
                first: at.render(),
            }),
        }
    }

    /// `weight-inconsistent`: per workload type and edition, every weight other than the
    /// one most rows have (the first seen on a tie), at its first row.
    fn inconsistent_weights(&mut self) {
        let seen = std::mem::take(&mut self.weights_seen);
        for ((wt, edition), weights) in &seen {
            if weights.len() < 2 {
                continue;
            }
            let mut main = &weights[0];
            for w in &weights[1..] {
                if w.rows > main.rows {
                    main = w;
                }
            }
            let edition = if edition.is_empty() {
                String::new()
            } else {
                format!(" ({edition})")
            };
            for w in weights.iter().filter(|w| w.weight != main.weight) {
                let others = if w.rows > 1 {
                    format!(" and in {} more rows", w.rows - 1)
                } else {
                    String::new()
                };
                let f = Finding::of(crate::codes::Code::WeightInconsistent,
                    self.ctx.file,
                    format!("{}/weight", w.first),
                    format!(
                        "{wt}{edition} has weight {} here{others}, but {} in {} row{} of this report (first at {}/weight): one workload type and edition has one weight in a report",
                        w.weight,
                        main.weight,
                        main.rows,
                        if main.rows == 1 { "" } else { "s" },
                        main.first
                    ),
                )
                .with_values(main.weight, w.weight);
                self.ctx.emit(f);
            }
        }
    }

    /// Counts of a row: not negative, and no more reported than collected.
    fn counts(&mut self, at: Ptr<'_>, initial: i64, reported: i64, new: i64) {
        for (field, v) in [
            ("initialCount", initial),
            ("reportedCount", reported),
            ("newCount", new),
        ] {
            if v < 0 {
                self.ctx.negative(at, field, v);
            }
        }
        if reported > initial {
            let f = Finding::of(crate::codes::Code::ReportedExceedsInitial,
                self.ctx.file,
                at.key("reportedCount").render(),
                format!(
                    "reportedCount {reported} is more than initialCount {initial}: the report bills more workloads than were collected"
                ),
            )
            .with_values(initial, reported);
            self.ctx.emit(f);
        }
    }
}

/// `details-total-mismatch`: organization `k` of `organizationsUsage` against the sum of
/// its usage details.
fn org_against_details(
    ctx: &mut Ctx<'_>,
    k: usize,
    o: &OrganizationLicenseUsage,
    op: Ptr<'_>,
    org_index: &HashMap<&str, usize>,
    by_org: &HashMap<&str, (Sum, usize)>,
) {
    let uid = o.organization_uid.as_str();
    if org_index.get(uid) != Some(&k) {
        return; // a duplicate, reported above
    }
    let oat = op.at(k);
    let uat = oat.key("usedPoints");
    let expected = by_org
        .get(uid)
        .map_or(Some(Decimal::ZERO), |(s, _)| s.value());
    match ctx.verdict(expected, o.used_points) {
        Verdict::Agree => {}
        Verdict::Overflow => ctx.overflow(uat, "the sum of usageDetails"),
        Verdict::Differ(e) => {
            let f = Finding::of(crate::codes::Code::DetailsTotalMismatch,
                ctx.file,
                uat.render(),
                format!(
                    "{:?} ({uid}) uses {} points in organizationsUsage, but its usageDetails sum to {}{}",
                    o.organization_name.as_deref().unwrap_or(""),
                    o.used_points,
                    show_expected(e, o.used_points),
                    ceiling_note(e, o.used_points)
                ),
            )
            .with_values(show_expected(e, o.used_points), o.used_points);
            ctx.emit(f);
        }
    }
}

/// `details-total-mismatch`: the first usage detail of an organization missing from
/// `organizationsUsage`, when it uses points.
fn detail_without_org(
    ctx: &mut Ctx<'_>,
    di: usize,
    d: &OrganizationUsageOfLicensesWithSameSupportId,
    dp: Ptr<'_>,
    org_index: &HashMap<&str, usize>,
    by_org: &HashMap<&str, (Sum, usize)>,
) {
    let uid = d.organization_uid.as_str();
    if org_index.contains_key(uid) {
        return;
    }
    let Some(&(sum, first)) = by_org.get(uid) else {
        return;
    };
    if first != di {
        return;
    }
    match sum.value() {
        None => ctx.overflow(dp.at(di), "the sum of usageDetails"),
        Some(v) if v.is_zero() => {}
        Some(v) => {
            let f = Finding::of(crate::codes::Code::DetailsTotalMismatch,
                ctx.file,
                dp.at(di).render(),
                format!(
                    "{:?} ({uid}) uses {v} points in usageDetails but has no entry in organizationsUsage",
                    d.organization_name.as_deref().unwrap_or("")
                ),
            )
            .with_values(v, 0);
            ctx.emit(f);
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sum(values: &[Decimal]) -> Sum {
        let mut s = Sum::ZERO;
        for &v in values {
            s.add(v);
        }
        s
    }

    /// Values of every kind `exact_in_any_order` accepts: zeros of several scales, small
    /// and large values of every scale up to 10.
    fn value() -> impl Strategy<Value = Decimal> {
        prop_oneof![
            (0u32..11).prop_map(|s| Decimal::new(0, s)),
            (0i64..1_000_000, 0u32..11).prop_map(|(m, s)| Decimal::new(m, s)),
            (0i64..100_000_000_000_000_000, 8u32..11).prop_map(|(m, s)| Decimal::new(m, s)),
        ]
    }

    proptest! {
        /// Where `exact_in_any_order` says so, adding chunk by chunk gives the very
        /// decimal (value and scale) that adding row by row gives.
        #[test]
        fn chunked_sums_are_the_sequential_ones(values in prop::collection::vec(value(), 0..60), cuts in prop::collection::vec(0usize..60, 0..8)) {
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(values.len())).collect();
            cuts.sort_unstable();
            let mut parts = Vec::new();
            let mut from = 0;
            for c in cuts.into_iter().chain([values.len()]) {
                parts.push(&values[from..c]);
                from = c;
            }
            let mut chunked = Sum::ZERO;
            // A chunk has a sum for a type only when it has rows of the type (adding the
            // zero of an empty chunk would change the scale of a zero sum).
            for p in parts.iter().filter(|p| !p.is_empty()) {
                chunked.0 = chunked.0.and_then(|a| sum(p).0.and_then(|b| exact_add(a, b)));
            }
            prop_assert!(exact_in_any_order(values.iter().copied()));
            let (a, b) = (sum(&values).0.unwrap(), chunked.0.unwrap());
            prop_assert_eq!((a, a.scale(), a.to_string()), (b, b.scale(), b.to_string()));
        }
    }

    #[test]
    fn the_exact_range_is_as_documented() {
        let d = |s: &str| crate::num::parse_decimal(s).unwrap();
        assert!(exact_in_any_order(
            ["0", "0.00", "9999999999.9999999999", "12.5"]
                .map(d)
                .into_iter()
        ));
        for out in ["10000000000", "-1", "-0.5", "0.00000000001"] {
            assert!(!exact_in_any_order([d(out)].into_iter()), "{out}");
        }
        // Zeros keep the scale of the last one while nothing else was added.
        assert_eq!(sum(&[d("0.00"), d("0.0")]).0.unwrap().to_string(), "0.0");
        assert_eq!(
            sum(&[d("0.0"), d("0.000"), d("1.5")])
                .0
                .unwrap()
                .to_string(),
            "1.5"
        );
    }
}
