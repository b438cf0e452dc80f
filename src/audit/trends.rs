//! The audit across months: per-tenant monthly series and the findings that compare one
//! month of a report owner with the previous one.
//!
//! [`extract`] keeps, for each report of a file, the small numbers the comparisons need
//! (points per tenant, counts per workload type and edition, points per product, the total,
//! the weights), each with its located place; never the document. [`History`] takes them
//! file by file in input order; [`History::check`] compares each owner's consecutive
//! months (`usage-spike`, `usage-drop`, `tenant-appeared`, `tenant-disappeared`,
//! `workload-count-doubled`, `weight-changed`, `report-total-jump`) with the
//! [`Thresholds`], and [`History::series`] gives the monthly series (for `report`).
//!
//! What is compared: the owner's own part of each report (`organizationsUsage`,
//! `usageDetails`, `reportSummary`); appendices are left out, as from the owner's totals.
//! When an owner has two reports for one month (`duplicate-report`), the first is used. A
//! month missing from the inputs (`missing-month`) is skipped: the months on either side
//! are compared, and the message names both. Every comparison is exact; a value that
//! cannot be compared within the exact decimal range is a `number-out-of-range` finding.

use super::{Policy, ReportKey, exact_add, exact_mul};
use crate::codes::Code;
use crate::diag::{Finding, sort_findings};
use crate::load::ReportsDocument;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The thresholds of the trend findings; every one has a documented default and can be
/// set on the command line and in `[audit]` of `vspc-billing.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thresholds {
    /// `usage-spike` / `usage-drop`: a tenant's points change by more than this percentage
    /// of the previous month's (default 50)...
    pub change_percent: Decimal,
    /// ...and by at least this many points (default 100).
    pub change_min_points: Decimal,
    /// `report-total-jump`: the report's total changes by more than this percentage
    /// (default 20).
    pub total_percent: Decimal,
    /// `workload-count-doubled`: one workload type's count is at least this many times the
    /// previous month's (default 1.9)...
    pub doubling_ratio: Decimal,
    /// ...from at least this many workloads (default 5)...
    pub doubling_min_count: i64,
    /// ...while every other type of the tenant changes by at most this percentage
    /// (default 10).
    pub stable_percent: Decimal,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            change_percent: Decimal::from(50),
            change_min_points: Decimal::from(100),
            total_percent: Decimal::from(20),
            doubling_ratio: Decimal::new(19, 1),
            doubling_min_count: 5,
            stable_percent: Decimal::from(10),
        }
    }
}

impl Thresholds {
    /// Checks the values: none negative, a doubling ratio above 1.
    ///
    /// # Errors
    /// The first value out of range, named by its option.
    pub fn validate(&self) -> Result<(), String> {
        for (name, v) in [
            ("--change-percent", self.change_percent),
            ("--change-min-points", self.change_min_points),
            ("--total-change-percent", self.total_percent),
            ("--stable-percent", self.stable_percent),
        ] {
            if v.is_sign_negative() && !v.is_zero() {
                return Err(format!("{name} {v} must not be negative"));
            }
        }
        if self.doubling_ratio <= Decimal::ONE {
            return Err(format!(
                "--doubling-ratio {} must be more than 1",
                self.doubling_ratio
            ));
        }
        if self.doubling_min_count < 1 {
            return Err(format!(
                "--doubling-min-count {} must be at least 1",
                self.doubling_min_count
            ));
        }
        Ok(())
    }
}

/// A JSON pointer in a file, with its line and column once located.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Place {
    /// JSON pointer.
    pub pointer: String,
    /// 1-based line, when found.
    pub line: Option<usize>,
    /// 1-based column in characters, when found.
    pub column: Option<usize>,
}

impl Place {
    fn new(pointer: String) -> Self {
        Self {
            pointer,
            line: None,
            column: None,
        }
    }

    fn shown(&self, file: &str) -> String {
        match (self.line, self.column) {
            (Some(l), Some(c)) => format!("{file}:{l}:{c}"),
            _ => format!("{file} ({})", self.pointer),
        }
    }
}

/// A workload type and license edition, as written (`VBR_VM`, `Standard`).
pub type Kind = (String, String);

/// One tenant in one report.
#[derive(Debug, Clone)]
pub struct TenantMonth {
    /// `organizationUid`, in lower case.
    pub uid: String,
    /// Name as written (cleaned for a document), or the uid when there is none.
    pub name: String,
    /// `usedPoints` in `organizationsUsage`.
    pub points: Decimal,
    /// Its index in `organizationsUsage` ([`ReportUsage::tenant_place`]).
    pub index: usize,
    /// Line of its `organizationsUsage` entry, once located.
    pub line: Option<usize>,
    /// Column of its `organizationsUsage` entry, once located.
    pub column: Option<usize>,
    /// `reportedCount` summed over its `usageDetails` rows, per index into
    /// [`ReportUsage::kinds`]; `None` when the sum leaves 64 bits.
    pub counts: Vec<(usize, Option<i64>)>,
}

/// What the comparisons across months keep of one report.
#[derive(Debug, Clone)]
pub struct ReportUsage {
    /// Identity, period and place of the report.
    pub key: ReportKey,
    /// `reportSummary.totalPoints`, with its place.
    pub total: Option<(Decimal, Place)>,
    /// Points per product of the summary (`productType`, else the legacy `productName`).
    pub products: Vec<(String, Decimal)>,
    /// Workload types and editions seen in the report.
    pub kinds: Vec<Kind>,
    /// Weights of the summary rows: index into `kinds`, weight, place of the first row.
    pub weights: Vec<(usize, Decimal, Place)>,
    /// `organizationsUsage`, with its place.
    pub organizations: Place,
    /// Tenants, in the order of `organizationsUsage` (a uid listed twice, once).
    pub tenants: Vec<TenantMonth>,
}

impl ReportUsage {
    /// Every place but the tenants', `organizationsUsage` first, to be located in one pass
    /// (the tenants' entries are found by a scan of that array).
    pub(crate) fn places(&self) -> impl Iterator<Item = &Place> {
        std::iter::once(&self.organizations)
            .chain(self.total.iter().map(|(_, p)| p))
            .chain(self.weights.iter().map(|(_, _, p)| p))
    }

    /// [`ReportUsage::places`], to fill in.
    pub(crate) fn places_mut(&mut self) -> impl Iterator<Item = &mut Place> {
        std::iter::once(&mut self.organizations)
            .chain(self.total.iter_mut().map(|(_, p)| p))
            .chain(self.weights.iter_mut().map(|(_, _, p)| p))
    }

    /// The place of a tenant's `organizationsUsage` entry.
    #[must_use]
    pub fn tenant_place(&self, t: &TenantMonth) -> Place {
        Place {
            pointer: format!("{}/{}", self.organizations.pointer, t.index),
            line: t.line,
            column: t.column,
        }
    }
}

fn intern(kinds: &mut Vec<Kind>, index: &mut HashMap<Kind, usize>, kind: Kind) -> usize {
    *index.entry(kind).or_insert_with_key(|k| {
        kinds.push(k.clone());
        kinds.len() - 1
    })
}

/// The index of a workload type and edition in a report's few kinds, added when new; no
/// allocation for a kind already there (the path of every row). `hint` is the kind after
/// the last one found: tenants list their rows in the same order, so it is usually the
/// one.
fn kind_of(kinds: &mut Vec<Kind>, hint: &mut usize, workload: &str, edition: &str) -> usize {
    let same = |(w, e): &Kind| w == workload && e == edition;
    let k = match kinds.get(*hint) {
        Some(k) if same(k) => *hint,
        _ => kinds.iter().position(same).unwrap_or_else(|| {
            kinds.push((workload.to_owned(), edition.to_owned()));
            kinds.len() - 1
        }),
    };
    *hint = k + 1;
    k
}

/// `s` in lower case, borrowed when it already is.
fn lower(s: &str) -> std::borrow::Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(s.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// What the comparisons keep of each report with a usable period (one per `keys`).
#[must_use]
pub fn extract(doc: &ReportsDocument, keys: &[ReportKey]) -> Vec<ReportUsage> {
    keys.iter()
        .filter_map(|k| Some(extract_one(doc.reports.get(k.index)?, k, doc)))
        .collect()
}

fn extract_one(
    r: &crate::model::SingleLicenseReport,
    key: &ReportKey,
    doc: &ReportsDocument,
) -> ReportUsage {
    let prefix = doc.shape.item_pointer(key.index);
    let mut kinds = Vec::new();
    let mut hint = 0;
    let mut products: Vec<(String, Decimal)> = Vec::new();
    let mut weights: Vec<(usize, Decimal, Place)> = Vec::new();
    let mut total = None;
    if let Some(s) = &r.report_summary {
        total = Some((
            s.total_points,
            Place::new(format!("{prefix}/reportSummary/totalPoints")),
        ));
        for (pi, p) in s.products_usage.iter().enumerate() {
            let label = p
                .product_type
                .as_ref()
                .map(|t| t.as_str().to_owned())
                .or_else(|| p.product_name.clone())
                .unwrap_or_else(|| "(no product)".to_owned());
            let points = p.total_points.or_else(|| {
                p.workloads()
                    .iter()
                    .try_fold(Decimal::ZERO, |a, w| exact_add(a, w.used_points))
            });
            if let Some(points) = points {
                match products.iter_mut().find(|(l, _)| *l == label) {
                    Some((_, sum)) => {
                        // A sum beyond the exact range is left as it was: the audit of the
                        // file reports it (number-out-of-range).
                        if let Some(s) = exact_add(*sum, points) {
                            *sum = s;
                        }
                    }
                    None => products.push((label, points)),
                }
            }
            let edition = p.license_edition.as_deref().unwrap_or_default();
            for (wi, w) in p.workloads().iter().enumerate() {
                let k = kind_of(&mut kinds, &mut hint, w.workload_type.as_str(), edition);
                if !weights.iter().any(|(i, x, _)| *i == k && *x == w.weight) {
                    weights.push((
                        k,
                        w.weight,
                        Place::new(format!(
                            "{prefix}/reportSummary/productsUsage/{pi}/workloadUsage/{wi}/weight"
                        )),
                    ));
                }
            }
        }
    }
    let mut tenants: Vec<TenantMonth> = Vec::with_capacity(r.organizations().len());
    // Uids in lower case, borrowed from the document when they already are.
    let mut by_uid: HashMap<std::borrow::Cow<'_, str>, usize> =
        HashMap::with_capacity(r.organizations().len());
    for (i, o) in r.organizations().iter().enumerate() {
        let key = lower(&o.organization_uid);
        if by_uid.contains_key(&key) {
            continue; // duplicate-organization is reported by the file's audit
        }
        let uid = key.clone().into_owned();
        let name = o
            .organization_name
            .as_deref()
            .map(crate::text::clean)
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| uid.clone());
        by_uid.insert(key, tenants.len());
        tenants.push(TenantMonth {
            uid,
            name,
            points: o.used_points,
            index: i,
            line: None,
            column: None,
            counts: Vec::new(),
        });
    }
    for (i, d) in r.details().iter().enumerate() {
        // Details usually come in the order of organizationsUsage: no lookup then.
        let t = match tenants.get(i) {
            Some(t) if t.uid.eq_ignore_ascii_case(&d.organization_uid) => i,
            _ => {
                let Some(&t) = by_uid.get(&lower(&d.organization_uid)) else {
                    continue;
                };
                t
            }
        };
        let rows: usize = d.products().iter().map(|p| p.workloads().len()).sum();
        tenants[t].counts.reserve(rows);
        for p in d.products() {
            let edition = p.license_edition.as_deref().unwrap_or_default();
            for w in p.workloads() {
                let k = kind_of(&mut kinds, &mut hint, w.workload_type.as_str(), edition);
                let counts = &mut tenants[t].counts;
                match counts.iter_mut().find(|(c, _)| *c == k) {
                    Some((_, slot)) => *slot = slot.and_then(|s| s.checked_add(w.reported_count)),
                    None => counts.push((k, Some(w.reported_count))),
                }
            }
        }
    }
    ReportUsage {
        key: key.clone(),
        total,
        products,
        kinds,
        weights,
        organizations: Place::new(format!("{prefix}/organizationsUsage")),
        tenants,
    }
}

/// The reports of every file, kept to compare an owner's months ([`History::check`]) and
/// to give its series ([`History::series`]).
#[derive(Debug, Default)]
pub struct History {
    files: Vec<String>,
    /// `(file index, report)`, in input order.
    reports: Vec<(usize, ReportUsage)>,
    /// Trend codes found per `(owner uid, tenant uid)`, after the policy.
    flags: HashMap<(String, String), Vec<Code>>,
}

/// One owner's reports, one per month, oldest first: indexes into `History::reports`.
struct OwnerMonths {
    uid: String,
    reports: Vec<usize>,
}

impl History {
    /// Adds the reports of one file (files in input order).
    pub fn add(&mut self, file: &str, reports: Vec<ReportUsage>) {
        let f = self.files.len();
        self.files.push(file.to_owned());
        self.reports.extend(reports.into_iter().map(|r| (f, r)));
    }

    /// Per owner (by uid), its months in order, the first report of a month only.
    fn owners(&self) -> Vec<OwnerMonths> {
        let mut by_owner: BTreeMap<&str, BTreeMap<crate::date::Month, usize>> = BTreeMap::new();
        for (n, (_, r)) in self.reports.iter().enumerate() {
            by_owner
                .entry(r.key.owner_uid.as_str())
                .or_default()
                .entry(r.key.month())
                .or_insert(n);
        }
        by_owner
            .into_iter()
            .map(|(uid, months)| OwnerMonths {
                uid: uid.to_owned(),
                reports: months.into_values().collect(),
            })
            .collect()
    }

    /// The findings of every owner's consecutive months, the policy applied, sorted; and
    /// how many the policy dropped. Remembers which tenants were flagged, for
    /// [`History::series`].
    pub fn check(&mut self, th: &Thresholds, policy: &Policy) -> (Vec<Finding>, usize) {
        let mut out = Vec::new();
        let mut flagged: Vec<(String, String, Code)> = Vec::new();
        for owner in self.owners() {
            for pair in owner.reports.windows(2) {
                let (fa, a) = &self.reports[pair[0]];
                let (fb, b) = &self.reports[pair[1]];
                let a_to_b = a
                    .kinds
                    .iter()
                    .enumerate()
                    .map(|(k, kind)| {
                        b.kinds
                            .iter()
                            .position(|x| x == kind)
                            .unwrap_or(b.kinds.len() + k)
                    })
                    .collect();
                let cmp = Pair {
                    th,
                    file_a: &self.files[*fa],
                    file_b: &self.files[*fb],
                    a,
                    b,
                    a_to_b,
                };
                cmp.run(&mut out, &mut flagged);
            }
        }
        // The flags follow the findings the policy keeps.
        let allowed = policy.apply(&mut out);
        if allowed > 0 {
            let kept: std::collections::HashSet<Code> = out.iter().map(|f| f.code).collect();
            flagged.retain(|(_, _, c)| kept.contains(c));
        }
        self.flags.clear();
        for (owner, tenant, code) in flagged {
            let codes = self.flags.entry((owner, tenant)).or_default();
            if !codes.contains(&code) {
                codes.push(code);
            }
        }
        sort_findings(&mut out);
        (out, allowed)
    }

    /// The monthly series of every owner, by owner name (then uid); tenants by uid within
    /// an owner.
    #[must_use]
    pub fn series(&self) -> Series {
        let mut owners: Vec<OwnerSeries> = self
            .owners()
            .into_iter()
            .map(|o| self.owner_series(&o))
            .collect();
        owners.sort_by(|a, b| (&a.name, &a.uid).cmp(&(&b.name, &b.uid)));
        Series { owners }
    }

    fn owner_series(&self, o: &OwnerMonths) -> OwnerSeries {
        let n = o.reports.len();
        let reports: Vec<(&str, &ReportUsage)> = o
            .reports
            .iter()
            .map(|&i| (self.files[self.reports[i].0].as_str(), &self.reports[i].1))
            .collect();
        let last = reports[n - 1].1;
        let mut products: Vec<ProductSeries> = Vec::new();
        let mut tenants: BTreeMap<&str, TenantSeries> = BTreeMap::new();
        let mut kinds: Vec<Kind> = Vec::new();
        let mut kind_index: HashMap<Kind, usize> = HashMap::new();
        for (m, (_, r)) in reports.iter().enumerate() {
            for (label, points) in &r.products {
                let at = if let Some(i) = products.iter().position(|p| p.product == *label) {
                    i
                } else {
                    products.push(ProductSeries {
                        product: label.clone(),
                        points: vec![None; n],
                    });
                    products.len() - 1
                };
                products[at].points[m] = Some(*points);
            }
            let local: Vec<usize> = r
                .kinds
                .iter()
                .map(|k| intern(&mut kinds, &mut kind_index, k.clone()))
                .collect();
            for t in &r.tenants {
                let s = tenants.entry(&t.uid).or_insert_with(|| TenantSeries {
                    uid: t.uid.clone(),
                    name: t.name.clone(),
                    points: vec![None; n],
                    workloads: Vec::new(),
                    flags: self
                        .flags
                        .get(&(o.uid.clone(), t.uid.clone()))
                        .map(|c| c.iter().map(|c| c.as_str()).collect())
                        .unwrap_or_default(),
                });
                s.name.clone_from(&t.name); // the latest name
                s.points[m] = Some(t.points);
                for &(k, count) in &t.counts {
                    let k = local[k];
                    let at = if let Some(i) = s.workloads.iter().position(|w| w.kind == k) {
                        i
                    } else {
                        s.workloads.push(CountSeries {
                            kind: k,
                            workload: kinds[k].0.clone(),
                            edition: kinds[k].1.clone(),
                            counts: vec![None; n],
                        });
                        s.workloads.len() - 1
                    };
                    s.workloads[at].counts[m] = count;
                }
            }
        }
        let mut tenants: Vec<TenantSeries> = tenants.into_values().collect();
        for t in &mut tenants {
            t.workloads
                .sort_by(|a, b| kinds[a.kind].cmp(&kinds[b.kind]));
        }
        OwnerSeries {
            uid: o.uid.clone(),
            name: last.key.owner_name.clone(),
            months: reports
                .iter()
                .map(|(_, r)| r.key.month().to_string())
                .collect(),
            reports: reports
                .iter()
                .map(|(f, r)| ReportRef {
                    file: (*f).to_owned(),
                    line: r.key.line,
                    report_id: r.key.report_id,
                })
                .collect(),
            total: reports
                .iter()
                .map(|(_, r)| r.total.as_ref().map(|t| t.0))
                .collect(),
            products,
            tenants,
        }
    }
}

/// The monthly series of every report owner in the inputs.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Series {
    /// By owner name, then uid.
    pub owners: Vec<OwnerSeries>,
}

/// One report owner (console): its months and what each tenant used in each.
#[derive(Debug, Clone, Serialize)]
pub struct OwnerSeries {
    /// `organizationUid` of the owner, lower case.
    pub uid: String,
    /// Its name in the latest report.
    pub name: String,
    /// `YYYY-MM`, oldest first: the months with a report in the inputs.
    pub months: Vec<String>,
    /// The report of each month.
    pub reports: Vec<ReportRef>,
    /// `reportSummary.totalPoints` per month.
    pub total: Vec<Option<Decimal>>,
    /// Points per product per month, products in order of appearance.
    pub products: Vec<ProductSeries>,
    /// Every tenant seen, by uid.
    pub tenants: Vec<TenantSeries>,
}

/// Where the report of a month is.
#[derive(Debug, Clone, Serialize)]
pub struct ReportRef {
    /// The file, as named on the command line.
    pub file: String,
    /// Line of its parameters.
    pub line: Option<usize>,
    /// `reportId`.
    pub report_id: i64,
}

/// One product's points per month.
#[derive(Debug, Clone, Serialize)]
pub struct ProductSeries {
    /// `productType` (or the legacy `productName`).
    pub product: String,
    /// Points per month; `null` where the product is absent.
    pub points: Vec<Option<Decimal>>,
}

/// One tenant's months.
#[derive(Debug, Clone, Serialize)]
pub struct TenantSeries {
    /// `organizationUid`, lower case.
    pub uid: String,
    /// Its latest name.
    pub name: String,
    /// Points per month; `null` where the tenant is not in the report.
    pub points: Vec<Option<Decimal>>,
    /// Counts per workload type and edition.
    pub workloads: Vec<CountSeries>,
    /// The trend codes found for this tenant (after `--allow`).
    pub flags: Vec<&'static str>,
}

/// The workloads of one type and edition of one tenant, per month.
#[derive(Debug, Clone, Serialize)]
pub struct CountSeries {
    #[serde(skip)]
    pub(crate) kind: usize,
    /// `workloadType`.
    pub workload: String,
    /// `licenseEdition`.
    pub edition: String,
    /// `reportedCount` summed over the tenant's rows, per month.
    pub counts: Vec<Option<i64>>,
}

/// Two consecutive months of one owner.
struct Pair<'a> {
    th: &'a Thresholds,
    file_a: &'a str,
    file_b: &'a str,
    a: &'a ReportUsage,
    b: &'a ReportUsage,
    /// Each kind of `a` as an index into `b.kinds` (one only in `a`: past them).
    a_to_b: Vec<usize>,
}

/// How a value changed between two months.
enum Change {
    Up(Decimal),
    Down(Decimal),
    Same,
}

/// `b − a`, exact, as a direction and a magnitude.
fn change(a: Decimal, b: Decimal) -> Option<Change> {
    let d = exact_add(b, -a)?;
    Some(if d.is_zero() {
        Change::Same
    } else if d.is_sign_negative() {
        Change::Down(-d)
    } else {
        Change::Up(d)
    })
}

/// Whether `delta` is more than `percent` % of `base` (a zero base: any positive delta).
/// `None` when a product leaves the exact range.
fn beyond_percent(delta: Decimal, base: Decimal, percent: Decimal) -> Option<bool> {
    if base.is_zero() {
        return Some(!delta.is_zero());
    }
    Some(exact_mul(delta, Decimal::ONE_HUNDRED)? > exact_mul(base.abs(), percent)?)
}

/// `delta / base` as a percentage with one decimal, for messages (rounded half up by
/// [`crate::billing::money::round`]); `None` for a zero base.
fn percent_text(delta: Decimal, base: Decimal) -> Option<String> {
    use crate::billing::money::{Rounding, RoundingMode, round};
    if base.is_zero() {
        return None;
    }
    let ratio = delta.checked_mul(Decimal::ONE_HUNDRED)?.checked_div(base)?;
    let r = Rounding {
        decimals: 1,
        mode: RoundingMode::HalfUp,
    };
    round(ratio, r, "a percentage")
        .ok()
        .map(|m| m.value().normalize().to_string())
}

impl Pair<'_> {
    fn month_a(&self) -> String {
        self.a.key.month().to_string()
    }

    fn month_b(&self) -> String {
        self.b.key.month().to_string()
    }

    fn at_b(&self, code: Code, place: &Place, message: String) -> Finding {
        let mut f = Finding::of(code, self.file_b, place.pointer.clone(), message);
        f.line = place.line;
        f.column = place.column;
        f
    }

    fn overflow(&self, place: &Place, what: &str) -> Finding {
        self.at_b(
            Code::NumberOutOfRange,
            place,
            format!(
                "comparing {what} with {} goes beyond the exact decimal range (28 digits): the values are corrupt",
                self.month_a()
            ),
        )
    }

    fn run(&self, out: &mut Vec<Finding>, flagged: &mut Vec<(String, String, Code)>) {
        self.total(out);
        self.weights(out);
        let owner = &self.b.key.owner_uid;
        let mut flag = |t: &str, c: Code| flagged.push((owner.clone(), t.to_owned(), c));
        // Tenants usually keep their order from month to month: a map only when not.
        let mut by_uid: Option<HashMap<&str, &TenantMonth>> = None;
        let mut matched = 0usize;
        for (i, t) in self.b.tenants.iter().enumerate() {
            let before = match self.a.tenants.get(i) {
                Some(p) if p.uid == t.uid => Some(p),
                _ => by_uid
                    .get_or_insert_with(|| {
                        self.a.tenants.iter().map(|t| (t.uid.as_str(), t)).collect()
                    })
                    .get(t.uid.as_str())
                    .copied(),
            };
            if let Some(p) = before {
                matched += 1;
                for f in self.tenant(p, t) {
                    flag(&t.uid, f.code);
                    out.push(f);
                }
            } else {
                flag(&t.uid, Code::TenantAppeared);
                out.push(self.at_b(
                    Code::TenantAppeared,
                    &self.b.tenant_place(t),
                    format!(
                        "{:?} ({}) uses {} points in {} but was not in the report of {} ({}): a new tenant, or one moved from another console or support id",
                        t.name,
                        t.uid,
                        t.points,
                        self.month_b(),
                        self.month_a(),
                        self.a.key.place(self.file_a),
                    ),
                ));
            }
        }
        // Uids are unique in a report: every earlier tenant was matched, or some left.
        if matched == self.a.tenants.len() {
            return;
        }
        let after: std::collections::HashSet<&str> =
            self.b.tenants.iter().map(|t| t.uid.as_str()).collect();
        for t in &self.a.tenants {
            if !after.contains(t.uid.as_str()) {
                flag(&t.uid, Code::TenantDisappeared);
                out.push(self.at_b(
                    Code::TenantDisappeared,
                    &self.b.organizations,
                    format!(
                        "{:?} ({}) used {} points in {} ({}) but is not in the report of {}: check that it left, and that its backups are not running uncounted",
                        t.name,
                        t.uid,
                        t.points,
                        self.month_a(),
                        self.a.tenant_place(t).shown(self.file_a),
                        self.month_b(),
                    ),
                ));
            }
        }
    }

    fn total(&self, out: &mut Vec<Finding>) {
        let (Some((a, _)), Some((b, place))) = (&self.a.total, &self.b.total) else {
            return;
        };
        let Some(c) = change(*a, *b) else {
            out.push(self.overflow(place, "the report's totalPoints"));
            return;
        };
        let (delta, word) = match c {
            Change::Up(d) => (d, "up"),
            Change::Down(d) => (d, "down"),
            Change::Same => return,
        };
        match beyond_percent(delta, *a, self.th.total_percent) {
            None => out.push(self.overflow(place, "the report's totalPoints")),
            Some(false) => {}
            Some(true) => out.push(
                self.at_b(
                    Code::ReportTotalJump,
                    place,
                    format!(
                        "the report of {:?} totals {b} points in {}, {word} {delta}{} from {a} in {} ({}): more than the {}% threshold",
                        self.b.key.owner_name,
                        self.month_b(),
                        percent_text(delta, *a).map_or_else(String::new, |p| format!(" ({p}%)")),
                        self.month_a(),
                        self.a.key.place(self.file_a),
                        self.th.total_percent,
                    ),
                ),
            ),
        }
    }

    fn weights(&self, out: &mut Vec<Finding>) {
        // Weights per kind, by name, in each month.
        fn of(r: &ReportUsage) -> BTreeMap<&Kind, Vec<(Decimal, &Place)>> {
            let mut m: BTreeMap<&Kind, Vec<(Decimal, &Place)>> = BTreeMap::new();
            for (k, w, p) in &r.weights {
                m.entry(&r.kinds[*k]).or_default().push((*w, p));
            }
            m
        }
        let (wa, wb) = (of(self.a), of(self.b));
        for (kind, now) in &wb {
            let Some(then) = wa.get(kind) else { continue };
            let mut was: Vec<Decimal> = then.iter().map(|(w, _)| *w).collect();
            let mut is: Vec<Decimal> = now.iter().map(|(w, _)| *w).collect();
            was.sort();
            is.sort();
            if was == is {
                continue;
            }
            let list = |v: &[Decimal]| {
                v.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" and ")
            };
            let (workload, edition) = kind;
            let edition = if edition.is_empty() {
                String::new()
            } else {
                format!(" ({edition})")
            };
            out.push(
                self.at_b(
                    Code::WeightChanged,
                    now[0].1,
                    format!(
                        "{workload}{edition} weighs {} points in {} but {} in {} ({}): the same workloads now cost a different number of points",
                        list(&is),
                        self.month_b(),
                        list(&was),
                        self.month_a(),
                        then[0].1.shown(self.file_a),
                    ),
                ),
            );
        }
    }

    /// The findings of one tenant present in both months.
    fn tenant(&self, a: &TenantMonth, b: &TenantMonth) -> Vec<Finding> {
        let mut out = Vec::new();
        let th = self.th;
        let Some(c) = change(a.points, b.points) else {
            out.push(self.overflow(
                &self.b.tenant_place(b),
                &format!("the points of {:?}", b.name),
            ));
            return out;
        };
        let (delta, code, word) = match c {
            Change::Up(d) => (d, Code::UsageSpike, "up"),
            Change::Down(d) => (d, Code::UsageDrop, "down"),
            Change::Same => (Decimal::ZERO, Code::UsageSpike, ""),
        };
        if delta >= th.change_min_points && !delta.is_zero() {
            match beyond_percent(delta, a.points, th.change_percent) {
                None => out.push(self.overflow(
                    &self.b.tenant_place(b),
                    &format!("the points of {:?}", b.name),
                )),
                Some(false) => {}
                Some(true) => out.push(
                    self.at_b(
                        code,
                        &self.b.tenant_place(b),
                        format!(
                            "{:?} ({}) uses {} points in {}, {word} {delta}{} from {} in {} ({}): beyond the thresholds (more than {}% and at least {} points)",
                            b.name,
                            b.uid,
                            b.points,
                            self.month_b(),
                            percent_text(delta, a.points)
                                .map_or_else(String::new, |p| format!(" ({p}%)")),
                            a.points,
                            self.month_a(),
                            self.a.tenant_place(a).shown(self.file_a),
                            th.change_percent,
                            th.change_min_points,
                        ),
                    ),
                ),
            }
        }
        if let Some(f) = self.doubled(a, b) {
            out.push(f);
        }
        out
    }

    /// `workload-count-doubled`: one type at least `doubling_ratio` × its count (of at
    /// least `doubling_min_count`), every other type of the tenant (at least one) within
    /// `stable_percent`.
    fn doubled(&self, a: &TenantMonth, b: &TenantMonth) -> Option<Finding> {
        let th = self.th;
        if a.counts.len() < 2 {
            return None;
        }
        // Both months' counts by the later report's kinds: (kind, earlier, later).
        let mut both: Vec<(usize, i64, i64)> = Vec::with_capacity(a.counts.len() + 2);
        for &(k, c) in &a.counts {
            both.push((self.a_to_b[k], c?, 0));
        }
        for &(k, c) in &b.counts {
            let c = c?;
            match both.iter_mut().find(|(at, _, _)| *at == k) {
                Some(entry) => entry.2 = c,
                None => both.push((k, 0, c)),
            }
        }
        // The first kind that about doubled (most tenants have none: done).
        let (k, x, y) = both.iter().copied().find(|&(_, x, y)| {
            y > x
                && x >= th.doubling_min_count
                && exact_mul(Decimal::from(x), th.doubling_ratio)
                    .is_some_and(|limit| Decimal::from(y) >= limit)
        })?;
        // Every other kind stayed within the stable percentage.
        let others_stable = both.iter().all(|&(o, ox, oy)| {
            o == k
                || match change(Decimal::from(ox), Decimal::from(oy)) {
                    Some(Change::Same) => true,
                    Some(Change::Up(d) | Change::Down(d)) => {
                        ox != 0
                            && beyond_percent(d, Decimal::from(ox), th.stable_percent)
                                == Some(false)
                    }
                    None => false,
                }
        });
        if !others_stable {
            return None;
        }
        // A doubled kind is one of the later report's: its count grew from at least 1.
        let (workload, edition) = self.b.kinds.get(k)?;
        let edition = if edition.is_empty() {
            String::new()
        } else {
            format!(" ({edition})")
        };
        Some(
            self.at_b(
                Code::WorkloadCountDoubled,
                &self.b.tenant_place(b),
                format!(
                    "{:?} ({}) has {y} {workload}{edition} in {} against {x} in {} ({}), while its other workloads stayed within {}%: workloads counted twice (new machine ids after a reinstall?)",
                    b.name,
                    b.uid,
                    self.month_b(),
                    self.month_a(),
                    self.a.tenant_place(a).shown(self.file_a),
                    th.stable_percent,
                ),
            ),
        )
    }
}
