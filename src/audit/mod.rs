//! Audit: recompute every point exactly and flag each inconsistency with a stable code.
//!
//! [`check_file`] runs every check on one loaded file and returns its findings (located
//! and sorted) and small per-report keys; [`CrossFile`] takes the keys of every file and
//! finds what needs several files: `duplicate-report` across files and `missing-month`;
//! [`trends::History`] compares each owner's consecutive months (`usage-spike` and the
//! other trend codes) from the small per-report numbers [`check_file`] keeps.
//! The checks of license reports are in `reports.rs`, those of site usage in `site.rs`;
//! every comparison of numbers goes through [`compare::Rule`]; expected weights come
//! from [`weights::Weights`]. Every code is documented in [`crate::codes`].
//!
//! Work per file is independent (files can be checked in parallel); nothing on the path
//! of a consistent row allocates: pointers and messages are built only for a finding.
//! Within a file loaded with [`Split`] on, the entries of `usageDetails` (and the
//! comparisons of organizations with them) are checked in chunks on several threads and
//! merged in order into exactly what one pass gives (`reports.rs`, `details_in_chunks`).

pub mod compare;
pub mod copies;
mod reports;
pub mod run;
mod site;
pub mod trends;
pub mod weights;

use crate::codes::Code;
use crate::date::Month;
use crate::diag::{Finding, Severity, finding_order, sort_findings};
use crate::load::{Document, LoadedFile, Split};
use crate::locate::{LineIndex, locate_offsets};
use crate::model::{ApiError, ResponseMetadata};
use compare::Rule;
use rayon::prelude::*;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use weights::Weights;

/// Options of an audit.
#[derive(Debug, Clone, Default)]
pub struct AuditOptions {
    /// `Some(x)`: numbers agree when they differ by at most `x` (`--tolerance`), instead
    /// of the precision rule of [`compare`].
    pub tolerance: Option<Decimal>,
    /// Expected weights (`weight-unexpected`): the built-in table and the user's file.
    pub weights: Weights,
    /// `--allow`, `--deny`: which codes to drop or raise to errors.
    pub policy: Policy,
    /// Thresholds of the findings across months (`usage-spike`...).
    pub trends: trends::Thresholds,
}

impl AuditOptions {
    /// The comparison rule these options give.
    #[must_use]
    pub const fn rule(&self) -> Rule {
        Rule {
            tolerance: self.tolerance,
        }
    }
}

/// What to do with some codes: drop them (`--allow CODE`), or make them errors
/// (`--deny CODE`, `--deny warnings`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    allow: BTreeSet<Code>,
    deny: BTreeSet<Code>,
    deny_warnings: bool,
}

/// Codes that say a file could not be loaded: allowing them would hide a file that was
/// not checked at all.
const LOAD_CODES: &[Code] = &[
    Code::IoError,
    Code::InputTooLarge,
    Code::EmptyFile,
    Code::ByteOrderMark,
    Code::InvalidUtf8,
    Code::InvalidJson,
    Code::UnknownDocument,
    Code::SchemaViolation,
    Code::TypeError,
];

/// The registry's spelling of a documented code, or an error that suggests near codes.
///
/// # Errors
/// When `code` is not documented in [`crate::codes::CODES`].
pub fn known_code(code: &str) -> Result<Code, String> {
    if let Some(c) = Code::parse(code) {
        return Ok(c);
    }
    let near = crate::text::did_you_mean(code, Code::ALL.iter().map(|c| c.as_str()));
    let hint = if near.is_empty() {
        "`vspc-billing explain` lists the codes".to_owned()
    } else {
        format!("did you mean {}?", near.join(", "))
    };
    Err(format!("unknown finding code {code:?}; {hint}"))
}

impl Policy {
    /// Builds a policy from `--allow` and `--deny` values; `warnings` in `deny` makes every
    /// warning an error.
    ///
    /// # Errors
    /// When a code is unknown, both allowed and denied, or says a file could not be
    /// loaded (those cannot be allowed).
    pub fn new<S: AsRef<str>>(allow: &[S], deny: &[S]) -> Result<Self, String> {
        let mut p = Self::default();
        for a in allow {
            let code = known_code(a.as_ref())?;
            if LOAD_CODES.contains(&code) {
                return Err(format!(
                    "{code} cannot be allowed: a file that fails to load is not checked at all"
                ));
            }
            p.allow.insert(code);
        }
        for d in deny {
            let d = d.as_ref();
            if d == "warnings" {
                p.deny_warnings = true;
                continue;
            }
            let code = known_code(d)?;
            if p.allow.contains(&code) {
                return Err(format!("{code} is both allowed and denied"));
            }
            p.deny.insert(code);
        }
        Ok(p)
    }

    /// Whether `code` was allowed (`--allow CODE`): also how `invoice` is told to go on past
    /// a check of its own (`unknown-tenant`).
    #[must_use]
    pub fn allows(&self, code: Code) -> bool {
        self.allow.contains(&code)
    }

    /// Drops allowed findings and raises denied ones to errors; returns how many were dropped.
    pub fn apply(&self, findings: &mut Vec<Finding>) -> usize {
        if self.allow.is_empty() && self.deny.is_empty() && !self.deny_warnings {
            return 0;
        }
        let before = findings.len();
        findings.retain_mut(|f| self.keep(f));
        before - findings.len()
    }

    /// Whether a finding is kept (not allowed); raises it to an error when denied.
    fn keep(&self, f: &mut Finding) -> bool {
        if self.allow.contains(&f.code) {
            return false;
        }
        if self.deny.contains(&f.code) || (self.deny_warnings && f.severity == Severity::Warning) {
            f.severity = Severity::Error;
        }
        true
    }
}

/// A calendar day, `(year, month, day)`.
pub type Ymd = (i32, u32, u32);

/// A report's identity and period, kept to compare reports across files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportKey {
    /// Index of the report in its file.
    pub index: usize,
    /// JSON pointer of the report's parameters.
    pub pointer: String,
    /// Line of the parameters in the file.
    pub line: Option<usize>,
    /// Column of the parameters in the file.
    pub column: Option<usize>,
    /// `reportId`.
    pub report_id: i64,
    /// `organizationUid` of the report owner, in lower case.
    pub owner_uid: String,
    /// `organizationName` of the report owner.
    pub owner_name: String,
    /// First day of the interval `(year, month, day)` (an impossible day clamped to the month).
    pub start: Ymd,
    /// Last day of the interval, likewise.
    pub end: Ymd,
}

impl ReportKey {
    /// The month the report covers: that of its first day.
    #[must_use]
    pub const fn month(&self) -> Month {
        Month::new(self.start.0, self.start.1)
    }

    /// What makes reports copies of each other ([`copies`]): owner and month.
    #[must_use]
    pub fn identity(&self) -> copies::ReportIdentity {
        copies::ReportIdentity::new(&self.owner_uid, self.month())
    }

    fn period(&self) -> String {
        format!("{} to {}", ymd(self.start), ymd(self.end))
    }

    fn place(&self, file: &str) -> String {
        match (self.line, self.column) {
            (Some(l), Some(c)) => format!("{file}:{l}:{c}"),
            _ => format!("{file} ({})", self.pointer),
        }
    }
}

fn ymd((y, m, d): Ymd) -> String {
    format!("{y:04}-{m:02}-{d:02}")
}

/// The audit of one file.
#[derive(Debug, Clone, Default)]
pub struct FileAudit {
    /// Findings, located (line and column filled where the pointer exists) and sorted.
    pub findings: Vec<Finding>,
    /// One key per report with parameters and a usable period, for [`CrossFile`].
    pub keys: Vec<ReportKey>,
    /// The findings grouped per report: one entry per report of a license report export,
    /// in file order (none for site usage or a file that did not load).
    pub reports: Vec<ReportFindings>,
    /// Positions in [`FileAudit::findings`] of the findings of no report: load problems,
    /// the page's `meta`, the API's `errors`, and every finding of site usage. They
    /// concern every report of the file.
    pub outside: Vec<usize>,
    /// Findings dropped by `--allow`.
    pub allowed: usize,
    /// What the comparisons across months need of each report with a key (located).
    pub usage: Vec<trends::ReportUsage>,
}

/// The findings of one report, as the checks of that report made them (no pointer is
/// matched to find them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFindings {
    /// Position of the report in its file.
    pub index: usize,
    /// The report's identity (owner, period, report id), when it has parameters and a
    /// usable period.
    pub key: Option<ReportKey>,
    /// Positions in [`FileAudit::findings`], ascending.
    pub findings: Vec<usize>,
}

impl FileAudit {
    /// The findings that concern report `index` of the file: its own and those of no
    /// report ([`FileAudit::outside`]), in the order of [`FileAudit::findings`].
    #[must_use]
    pub fn findings_of_report(&self, index: usize) -> Vec<&Finding> {
        let own = self.reports.get(index).map_or(&[][..], |r| &r.findings[..]);
        let mut at: Vec<usize> = own.iter().chain(&self.outside).copied().collect();
        at.sort_unstable();
        at.into_iter().map(|i| &self.findings[i]).collect()
    }
}

/// Runs every check on one loaded file. A file that failed to load yields its load
/// problems. Never panics on a loaded document.
#[must_use]
pub fn check_file(file: &LoadedFile, opts: &AuditOptions) -> FileAudit {
    let mut ctx = Ctx::new(&file.name, opts, file.split);
    let (mut keys, report_of, count, mut usage) = match &file.document {
        None => (Vec::new(), Vec::new(), 0, Vec::new()),
        Some(Document::Reports(doc)) => {
            let (keys, report_of) = reports::check(&mut ctx, doc);
            let usage = trends::extract(doc, &keys);
            (keys, report_of, doc.reports.len(), usage)
        }
        Some(Document::SiteUsage(doc)) => {
            site::check(&mut ctx, doc);
            (Vec::new(), Vec::new(), 0, Vec::new())
        }
    };
    let mut findings = file.problems.clone();
    let mut report_of: Vec<Option<usize>> = std::iter::repeat_n(None, findings.len())
        .chain(report_of)
        .collect();
    findings.append(&mut ctx.out);
    report_of.resize(findings.len(), None);
    locate(&file.text, &mut findings, &mut keys, &mut usage);
    for u in &mut usage {
        if let Some(k) = keys.iter().find(|k| k.index == u.key.index) {
            u.key.clone_from(k);
        }
    }
    // Policy and order, each finding keeping its report.
    let mut tagged: Vec<(Finding, Option<usize>)> = findings.into_iter().zip(report_of).collect();
    let before = tagged.len();
    tagged.retain_mut(|(f, _)| opts.policy.keep(f));
    let allowed = before - tagged.len();
    tagged.sort_by(|(a, _), (b, _)| finding_order(a, b));
    let mut reports: Vec<ReportFindings> = (0..count)
        .map(|index| ReportFindings {
            index,
            key: None,
            findings: Vec::new(),
        })
        .collect();
    for k in &keys {
        reports[k.index].key = Some(k.clone());
    }
    let mut outside = Vec::new();
    let findings = tagged
        .into_iter()
        .enumerate()
        .map(|(at, (f, report))| {
            match report.and_then(|r| reports.get_mut(r)) {
                Some(r) => r.findings.push(at),
                None => outside.push(at),
            }
            f
        })
        .collect();
    FileAudit {
        findings,
        keys,
        reports,
        outside,
        allowed,
        usage,
    }
}

/// Fills line and column of findings, keys and the places of the usage kept for the
/// comparisons across months, in one pass over the text.
fn locate(
    text: &[u8],
    findings: &mut [Finding],
    keys: &mut [ReportKey],
    usage: &mut [trends::ReportUsage],
) {
    let pending: Vec<usize> = (0..findings.len())
        .filter(|&i| findings[i].line.is_none())
        .collect();
    if pending.is_empty() && keys.is_empty() && usage.is_empty() {
        return;
    }
    let mut pointers: Vec<&str> = pending
        .iter()
        .map(|&i| findings[i].pointer.as_str())
        .collect();
    pointers.extend(keys.iter().map(|k| k.pointer.as_str()));
    let places = pointers.len();
    pointers.extend(
        usage
            .iter()
            .flat_map(trends::ReportUsage::places)
            .map(|p| p.pointer.as_str()),
    );
    let places = pointers.len() - places;
    let mut offsets = locate_offsets(text, &pointers);
    drop(pointers);
    // Each report's tenants: the entries of its organizationsUsage (the first of its
    // places), found by one scan of the array rather than one pointer each.
    let mut at = pending.len() + keys.len();
    let mut tenants = Vec::new();
    for u in usage.iter() {
        let items = offsets[at].map_or_else(Vec::new, |a| crate::locate::array_items(text, a));
        at += u.places().count();
        tenants.extend(u.tenants.iter().map(|t| items.get(t.index).copied()));
    }
    offsets.append(&mut tenants);
    // Lines are counted only up to the last place needed, not through a whole large file.
    let end = offsets
        .iter()
        .flatten()
        .max()
        .map_or(0, |&m| (m + 1).min(text.len()));
    let index = LineIndex::new(&text[..end]);
    let found: Vec<usize> = offsets.iter().flatten().copied().collect();
    let mut positions = index.positions(&found).into_iter();
    let mut next = |off: &Option<usize>| off.and_then(|_| positions.next());
    let (for_findings, rest) = offsets.split_at(pending.len());
    let (for_keys, rest) = rest.split_at(keys.len());
    let (for_places, for_tenants) = rest.split_at(places);
    for (&i, off) in pending.iter().zip(for_findings) {
        if let Some(p) = next(off) {
            findings[i].line = Some(p.line);
            findings[i].column = Some(p.column);
        }
    }
    for (k, off) in keys.iter_mut().zip(for_keys) {
        if let Some(p) = next(off) {
            k.line = Some(p.line);
            k.column = Some(p.column);
        }
    }
    let places = usage.iter_mut().flat_map(trends::ReportUsage::places_mut);
    for (place, off) in places.zip(for_places) {
        if let Some(p) = next(off) {
            place.line = Some(p.line);
            place.column = Some(p.column);
        }
    }
    let tenants = usage.iter_mut().flat_map(|u| u.tenants.iter_mut());
    for (t, off) in tenants.zip(for_tenants) {
        if let Some(p) = next(off) {
            t.line = Some(p.line);
            t.column = Some(p.column);
        }
    }
}

thread_local! {
    static CHUNKED_SCOPES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

fn count_chunked_scope() {
    CHUNKED_SCOPES.set(CHUNKED_SCOPES.get() + 1);
}

/// How many `usageDetails` arrays the audits run on this thread have checked in chunks
/// so far ([`LoadedFile::split`]): lets tests tell that the chunked path ran.
#[doc(hidden)]
#[must_use]
pub fn details_chunked_on_this_thread() -> usize {
    CHUNKED_SCOPES.get()
}

/// Checks that need every file: `duplicate-report` across files and `missing-month`.
///
/// Add each file's keys in input order, then [`CrossFile::finish`]. Findings point at the
/// later file's report. Duplicates within one file are reported by [`check_file`].
#[derive(Debug, Default)]
pub struct CrossFile {
    files: Vec<String>,
    keys: Vec<(usize, ReportKey)>,
    policy: Policy,
}

impl CrossFile {
    /// An accumulator applying the policy of `opts` to its findings.
    #[must_use]
    pub fn new(opts: &AuditOptions) -> Self {
        Self {
            policy: opts.policy.clone(),
            ..Self::default()
        }
    }

    /// Adds the keys of one file.
    pub fn add(&mut self, file: &str, keys: &[ReportKey]) {
        let f = self.files.len();
        self.files.push(file.to_owned());
        self.keys.extend(keys.iter().map(|k| (f, k.clone())));
    }

    /// The cross-file findings (policy applied), sorted.
    #[must_use]
    pub fn finish(self) -> Vec<Finding> {
        self.finish_counted().0
    }

    /// The cross-file findings (policy applied), sorted, and how many the policy dropped.
    #[must_use]
    pub fn finish_counted(self) -> (Vec<Finding>, usize) {
        let mut out = Vec::new();
        self.duplicates(&mut out);
        self.gaps(&mut out);
        let allowed = self.policy.apply(&mut out);
        sort_findings(&mut out);
        (out, allowed)
    }

    /// `duplicate-report` across files: in each later file, its first copy of a report of
    /// an earlier file (the others of that file, [`check_file`] has reported).
    fn duplicates(&self, out: &mut Vec<Finding>) {
        for group in copies::copies(self.keys.iter().map(|(_, k)| Some(k.identity()))) {
            let (ef, ek) = &self.keys[group[0]];
            let mut files = BTreeSet::from([*ef]);
            for &n in &group[1..] {
                let (f, k) = &self.keys[n];
                if !files.insert(*f) {
                    continue;
                }
                let there = ek.place(&self.files[*ef]);
                out.push(
                    Finding::of(
                        crate::codes::Code::DuplicateReport,
                        &self.files[*f],
                        k.pointer.clone(),
                        duplicate_message(k, ek, &there),
                    )
                    .at_opt(k.line, k.column),
                );
            }
        }
    }

    fn gaps(&self, out: &mut Vec<Finding>) {
        // Per owner, the months seen with their first report.
        let mut months: BTreeMap<&str, BTreeMap<Month, usize>> = BTreeMap::new();
        for (n, (_, k)) in self.keys.iter().enumerate() {
            months
                .entry(k.owner_uid.as_str())
                .or_default()
                .entry(k.month())
                .or_insert(n);
        }
        for seen in months.values() {
            let mut prev: Option<(Month, usize)> = None;
            for (&m, &n) in seen {
                if let Some((pm, pn)) = prev {
                    let first_missing = pm.next();
                    if first_missing < m {
                        let last_missing = m.previous();
                        let (f, k) = &self.keys[n];
                        let (pf, pk) = &self.keys[pn];
                        let missing = if first_missing == last_missing {
                            first_missing.to_string()
                        } else {
                            format!("{first_missing} to {last_missing}")
                        };
                        out.push(
                            Finding::of(crate::codes::Code::MissingMonth,
                                &self.files[*f],
                                k.pointer.clone(),
                                format!(
                                    "no report of {:?} ({}) for {missing}: the inputs have {} ({}) and then {} (here)",
                                    k.owner_name,
                                    k.owner_uid,
                                    pm,
                                    pk.place(&self.files[*pf]),
                                    m,
                                ),
                            )
                            .at_opt(k.line, k.column),
                        );
                    }
                }
                prev = Some((m, n));
            }
        }
    }
}

pub(crate) fn duplicate_message(k: &ReportKey, first: &ReportKey, there: &str) -> String {
    if (k.start, k.end) != (first.start, first.end) {
        format!(
            "report {} of {:?} for {} is of the same month, {}, as report {} at {there} (for {}): bill from one of them",
            k.report_id,
            k.owner_name,
            k.period(),
            k.month(),
            first.report_id,
            first.period()
        )
    } else if k.report_id == first.report_id {
        format!(
            "report {} of {:?} for {} is also at {there}: counting both would count the month twice",
            k.report_id,
            k.owner_name,
            k.period()
        )
    } else {
        format!(
            "report {} of {:?} covers the same period, {}, as report {} at {there}: bill from one of them",
            k.report_id,
            k.owner_name,
            k.period(),
            first.report_id
        )
    }
}

trait AtOpt {
    fn at_opt(self, line: Option<usize>, column: Option<usize>) -> Self;
}

impl AtOpt for Finding {
    fn at_opt(mut self, line: Option<usize>, column: Option<usize>) -> Self {
        self.line = line;
        self.column = column;
        self
    }
}

// ---------------------------------------------------------------------------------------
// Shared machinery of the checks.

/// One step of a JSON pointer.
#[derive(Debug, Clone, Copy)]
enum PtrSeg<'a> {
    /// The pointer of the item the checks start from (`/data/3`, `/data`, or empty).
    Root(&'a str),
    Key(&'static str),
    Index(usize),
    /// A member and an index in it (`/usageDetails/4`), in one step.
    KeyIndex(&'static str, usize),
}

/// A JSON pointer under construction: a chain of steps on the stack, each borrowing its
/// parent, so that a child costs a few words and text is made only by [`Ptr::render`],
/// when a finding is emitted.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ptr<'a> {
    parent: Option<&'a Ptr<'a>>,
    seg: PtrSeg<'a>,
}

impl<'a> Ptr<'a> {
    pub(crate) const fn root(root: &'a str) -> Self {
        Self {
            parent: None,
            seg: PtrSeg::Root(root),
        }
    }

    pub(crate) const fn key(&'a self, k: &'static str) -> Self {
        Self {
            parent: Some(self),
            seg: PtrSeg::Key(k),
        }
    }

    pub(crate) const fn at(&'a self, i: usize) -> Self {
        Self {
            parent: Some(self),
            seg: PtrSeg::Index(i),
        }
    }

    pub(crate) const fn key_at(&'a self, k: &'static str, i: usize) -> Self {
        Self {
            parent: Some(self),
            seg: PtrSeg::KeyIndex(k, i),
        }
    }

    pub(crate) fn render(&self) -> String {
        let mut steps = Vec::with_capacity(16);
        let mut p = Some(self);
        while let Some(x) = p {
            steps.push(x.seg);
            p = x.parent;
        }
        let mut s = String::with_capacity(16 * steps.len());
        for seg in steps.iter().rev() {
            match seg {
                PtrSeg::Root(r) => s.push_str(r),
                PtrSeg::Key(k) => {
                    s.push('/');
                    s.push_str(k);
                }
                PtrSeg::Index(i) => {
                    let _ = write!(s, "/{i}");
                }
                PtrSeg::KeyIndex(k, i) => {
                    let _ = write!(s, "/{k}/{i}");
                }
            }
        }
        s
    }
}

/// Exact `a + b`; `None` when it cannot be held exactly (`Decimal::checked_add` would
/// drop the digits past 28 instead: a recomputed total must never be rounded). The result
/// is `checked_add`'s, scale included (the findings show it), once it is known to be exact.
pub(crate) fn exact_add(a: Decimal, b: Decimal) -> Option<Decimal> {
    let sum = a.checked_add(b)?;
    // `checked_add` drops digits only by lowering the scale below that of its operands.
    if sum.scale() >= a.scale().max(b.scale()) || a.is_zero() || b.is_zero() {
        return Some(sum);
    }
    (crate::billing::money::add(a, b, "a sum").ok()? == sum).then_some(sum)
}

/// Exact `a × b`; `None` when it cannot be held exactly (see [`exact_add`]).
pub(crate) fn exact_mul(a: Decimal, b: Decimal) -> Option<Decimal> {
    let product = a.checked_mul(b)?;
    // `checked_mul` drops digits only by lowering the scale below the sum of the scales.
    if product.scale() == a.scale() + b.scale() {
        return Some(product);
    }
    (crate::billing::money::Exact::product(a, b).to_decimal()? == product).then_some(product)
}

/// A running exact sum; `None` once it cannot be held exactly.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sum(Option<Decimal>);

impl Sum {
    pub(crate) const ZERO: Self = Self(Some(Decimal::ZERO));

    pub(crate) fn add(&mut self, d: Decimal) {
        self.0 = self.0.and_then(|s| exact_add(s, d));
    }

    pub(crate) const fn value(self) -> Option<Decimal> {
        self.0
    }
}

/// What a comparison found.
pub(crate) enum Verdict {
    /// The values agree.
    Agree,
    /// They differ; the recomputed value.
    Differ(Decimal),
    /// The recomputation overflowed.
    Overflow,
}

/// State of the checks of one file.
pub(crate) struct Ctx<'o> {
    pub(crate) file: &'o str,
    pub(crate) rule: Rule,
    pub(crate) weights: &'o Weights,
    pub(crate) out: Vec<Finding>,
    /// Whether large arrays are checked in chunks on several threads (as the file was
    /// loaded).
    split: Split,
}

impl<'o> Ctx<'o> {
    fn new(file: &'o str, opts: &'o AuditOptions, split: Split) -> Self {
        Self {
            file,
            rule: opts.rule(),
            weights: &opts.weights,
            out: Vec::new(),
            split,
        }
    }

    /// The context of a chunk of a file's checks: its own findings, no further split.
    pub(crate) const fn chunk(file: &'o str, rule: Rule, weights: &'o Weights) -> Self {
        Self {
            file,
            rule,
            weights,
            out: Vec::new(),
            split: Split::Never,
        }
    }

    /// How many entries of an array of `n` to check per chunk, when the array is checked
    /// in chunks: about four chunks a thread, of at least 64 entries.
    pub(crate) fn chunk_len(&self, n: usize) -> Option<usize> {
        let min = self.split.min_items()?;
        if n < min {
            return None;
        }
        Some(match self.split {
            Split::Fine(k) => k.max(1),
            _ => n.div_ceil(4 * rayon::current_num_threads()).max(64),
        })
    }

    /// Runs `f` on each item in order, with this context; when the file is split and the
    /// items are many, on chunks in parallel, each with its own findings, appended in
    /// order: the same findings as one pass, as `f` reads no other state.
    pub(crate) fn each<T: Sync>(
        &mut self,
        items: &[T],
        f: impl Fn(&mut Ctx<'o>, usize, &T) + Sync,
    ) {
        let Some(len) = self.chunk_len(items.len()) else {
            for (i, t) in items.iter().enumerate() {
                f(self, i, t);
            }
            return;
        };
        let (file, rule, weights) = (self.file, self.rule, self.weights);
        let outs: Vec<Vec<Finding>> = items
            .par_chunks(len)
            .enumerate()
            .map(|(c, part)| {
                let mut ctx = Ctx::chunk(file, rule, weights);
                for (k, t) in part.iter().enumerate() {
                    f(&mut ctx, c * len + k, t);
                }
                ctx.out
            })
            .collect();
        for mut out in outs {
            self.out.append(&mut out);
        }
    }

    pub(crate) fn emit(&mut self, f: Finding) {
        self.out.push(f);
    }

    /// Compares a reported value with a recomputed one (by [`Rule`]).
    pub(crate) fn verdict(&self, expected: Option<Decimal>, found: Decimal) -> Verdict {
        match expected {
            None => Verdict::Overflow,
            Some(e) if self.rule.agrees(e, found) => Verdict::Agree,
            Some(e) => Verdict::Differ(e),
        }
    }

    /// Reports a recomputation that overflowed.
    pub(crate) fn overflow(&mut self, ptr: Ptr<'_>, what: &str) {
        let f = Finding::of(
            crate::codes::Code::NumberOutOfRange,
            self.file,
            ptr.render(),
            format!(
                "recomputing {what} goes beyond the exact decimal range (28 digits): the values are corrupt"
            ),
        );
        self.emit(f);
    }

    /// Reports a negative number.
    pub(crate) fn negative(
        &mut self,
        ptr: Ptr<'_>,
        field: &'static str,
        value: impl std::fmt::Display,
    ) {
        let mut f = Finding::of(
            crate::codes::Code::NegativeValue,
            self.file,
            ptr.key(field).render(),
            format!("{field} is {value}: points, units and counts cannot be negative"),
        );
        f.found = Some(value.to_string());
        self.emit(f);
    }

    /// Checks `meta.pagingInfo` against the number of items.
    pub(crate) fn paging(&mut self, meta: Option<&ResponseMetadata>, items: usize, noun: &str) {
        let Some(p) = meta.and_then(|m| m.paging_info.as_ref()) else {
            return;
        };
        let root = Ptr::root("");
        let meta = root.key("meta");
        let ptr = meta.key("pagingInfo");
        let have = i64::try_from(items).unwrap_or(i64::MAX);
        if let (Some(total), Some(count)) = (p.total, p.count) {
            let offset = p.offset.unwrap_or(0);
            let end = offset.saturating_add(count);
            if end > total {
                let f = Finding::of(crate::codes::Code::PagingIncomplete,
                    self.file,
                    ptr.key("offset").render(),
                    format!(
                        "pagingInfo says this page holds {noun} {} to {end}, but there are only {total}: the paging information is wrong",
                        offset.saturating_add(1)
                    ),
                )
                .with_values(total, end);
                self.emit(f);
            } else if total > end {
                let f = Finding::of(crate::codes::Code::PagingIncomplete,
                    self.file,
                    ptr.key("total").render(),
                    format!(
                        "this page holds {noun} {} to {end} of {total}: {} {noun} are in other pages; export every page (offset) or a larger limit",
                        offset.saturating_add(1),
                        total.saturating_sub(end)
                    ),
                )
                .with_values(total, end);
                self.emit(f);
            }
        }
        if let Some(count) = p.count
            && count != have
        {
            let f = Finding::of(crate::codes::Code::PagingIncomplete,
                self.file,
                ptr.key("count").render(),
                format!(
                    "pagingInfo.count is {count} but data holds {items} {noun}: the file may have been cut or edited"
                ),
            )
            .with_values(items, count);
            self.emit(f);
        }
    }

    /// Reports the errors the API returned with the data.
    pub(crate) fn api_errors(&mut self, errors: &[ApiError]) {
        for (i, e) in errors.iter().enumerate() {
            let mut what = String::new();
            if let Some(k) = &e.kind {
                let _ = write!(what, "type {k:?}, ");
            }
            if let Some(c) = &e.code {
                let _ = write!(what, "code {c}, ");
            }
            let message = e.message.as_deref().unwrap_or("(no message)");
            let f = Finding::of(
                crate::codes::Code::ApiError,
                self.file,
                Ptr::root("").key_at("errors", i).render(),
                format!(
                    "the API returned an error with the data ({what}message {message:?}): the data may be incomplete"
                ),
            );
            self.emit(f);
        }
    }

    /// Reports a value of an enumeration this tool does not know.
    pub(crate) fn unknown_enum(&mut self, ptr: Ptr<'_>, field: &str, value: &str, known: &[&str]) {
        let f = Finding::of(
            crate::codes::Code::UnknownEnumValue,
            self.file,
            ptr.render(),
            format!(
                "{field} {value:?} is not a value this tool knows (known: {}); it is kept as written",
                known.join(", ")
            ),
        );
        self.emit(f);
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    fn slow_add(a: Decimal, b: Decimal) -> Option<Decimal> {
        let sum = a.checked_add(b)?;
        (crate::billing::money::add(a, b, "a sum").ok()? == sum).then_some(sum)
    }

    fn slow_mul(a: Decimal, b: Decimal) -> Option<Decimal> {
        let product = a.checked_mul(b)?;
        (crate::billing::money::Exact::product(a, b).to_decimal()? == product).then_some(product)
    }

    fn decimal() -> impl Strategy<Value = Decimal> {
        (any::<i128>(), 0u32..=28).prop_map(|(m, scale)| {
            let m = m % 79_228_162_514_264_337_593_543_950_335;
            Decimal::from_i128_with_scale(m, scale)
        })
    }

    proptest! {
        /// The fast paths of the exact sum and product say what the exact check says, to
        /// the scale.
        #[test]
        fn exact_arithmetic_takes_its_fast_path_only_when_exact(a in decimal(), b in decimal()) {
            let (fast, slow) = (exact_add(a, b), slow_add(a, b));
            prop_assert_eq!(fast.map(|d| (d, d.scale())), slow.map(|d| (d, d.scale())));
            let (fast, slow) = (exact_mul(a, b), slow_mul(a, b));
            prop_assert_eq!(fast.map(|d| (d, d.scale())), slow.map(|d| (d, d.scale())));
        }
    }

    use super::*;

    #[test]
    fn pointers_render_only_what_was_pushed() {
        let prefix = String::from("/data/3");
        let root = Ptr::root(&prefix);
        let summary = root.key("reportSummary");
        let product = summary.key_at("productsUsage", 2);
        assert_eq!(product.render(), "/data/3/reportSummary/productsUsage/2");
        assert_eq!(
            product.at(0).render(),
            "/data/3/reportSummary/productsUsage/2/0"
        );
        assert_eq!(Ptr::root("").render(), "");
        assert_eq!(Ptr::root("").key_at("errors", 1).render(), "/errors/1");
        assert!(std::mem::size_of::<Ptr<'_>>() <= 40);
    }

    #[test]
    fn policy_allows_denies_and_refuses_bad_codes() {
        let p = Policy::new(&["missing-month"], &["warnings", "report-not-approved"]).unwrap();
        let mut v = vec![
            Finding::of(crate::codes::Code::MissingMonth, "a", "", "m"),
            Finding::of(crate::codes::Code::WeightUnexpected, "a", "", "w"),
            Finding::new(
                crate::codes::Code::ReportNotApproved,
                Severity::Info,
                "a",
                "",
                "r",
            ),
        ];
        assert_eq!(p.apply(&mut v), 1);
        assert!(v.iter().all(|f| f.severity == Severity::Error));
        assert!(Policy::new(&["points-mismatch"], &["points-mismatch"]).is_err());
        assert!(Policy::new(&["invalid-json"], &[] as &[&str]).is_err());
        let e = Policy::new(&["points-mismach"], &[] as &[&str]).unwrap_err();
        assert!(e.contains("did you mean points-mismatch"), "{e}");
    }
}
