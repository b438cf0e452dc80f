//! `audit` over many inputs: every file checked (on the run's threads, see
//! [`crate::schedule`]), the cross-file checks, the comparisons across months
//! ([`super::trends`]), the policy, and one ordered list of findings with the run's counts.
//! Printers (text, JSON, SARIF, CSV) take an [`AuditRun`]; `report` also takes its
//! [`AuditRun::history`] for the monthly series.

use super::trends::History;
use super::{AuditOptions, CrossFile, FileAudit, check_file};
use crate::diag::{Finding, Severity};
use crate::load::{Document, Inputs, LoadOptions};
use crate::schedule::{Observer, each_file};
use serde::Serialize;
use std::collections::HashMap;

/// The counts of a run (the `summary` of `audit --format json`).
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct AuditSummary {
    /// Inputs, those that could not be read included.
    pub files: usize,
    /// Inputs that loaded.
    pub loaded: usize,
    /// License usage reports checked.
    pub reports: usize,
    /// Sites checked.
    pub sites: usize,
    /// Error findings.
    pub errors: usize,
    /// Warnings.
    pub warnings: usize,
    /// Infos.
    pub infos: usize,
    /// Findings dropped by `--allow`.
    pub allowed: usize,
}

/// Everything an audit run found.
#[derive(Debug)]
pub struct AuditRun {
    /// Every finding: files in input order, within a file by place; paths that could not be
    /// expanded first, cross-file findings with the file they point at.
    pub findings: Vec<Finding>,
    /// The counts.
    pub summary: AuditSummary,
    /// Whether some path or file could not be read (exit status 2).
    pub io_error: bool,
    /// The small per-report numbers of every file, for the monthly series
    /// ([`History::series`]).
    pub history: History,
}

/// One file's part of a run.
struct FileResult {
    name: String,
    io: bool,
    /// Reports and sites, when the file loaded.
    items: Option<(usize, usize)>,
    audit: FileAudit,
}

/// Audits every input (call it inside [`crate::schedule::Pool::install`]).
#[must_use]
pub fn run(
    inputs: &Inputs,
    load: &LoadOptions,
    opts: &AuditOptions,
    observer: &dyn Observer,
) -> AuditRun {
    let results = each_file(&inputs.sources, load, observer, |f| FileResult {
        name: f.name.clone(),
        io: f.is_io_error(),
        items: f.document.as_ref().map(|d| match d {
            Document::Reports(r) => (r.reports.len(), 0),
            Document::SiteUsage(s) => (0, s.sites.len()),
        }),
        audit: check_file(f, opts),
    });
    // Files in input order; within a file, by position.
    let mut order: HashMap<String, usize> = HashMap::new();
    let mut findings: Vec<(usize, Finding)> = Vec::new();
    let mut summary = AuditSummary::default();
    for p in &inputs.problems {
        let n = order.len();
        let o = *order.entry(p.file.clone()).or_insert(n);
        findings.push((o, p.clone()));
    }
    let mut cross = CrossFile::new(opts);
    let mut history = History::default();
    let mut results = results;
    for r in &mut results {
        let n = order.len();
        order.entry(r.name.clone()).or_insert(n);
        cross.add(&r.name, &r.audit.keys);
        history.add(&r.name, std::mem::take(&mut r.audit.usage));
        summary.allowed += r.audit.allowed;
        if let Some((reports, sites)) = r.items {
            summary.loaded += 1;
            summary.reports += reports;
            summary.sites += sites;
        }
    }
    let (mut cross, allowed) = cross.finish_counted();
    summary.allowed += allowed;
    let (mut trends, allowed) = history.check(&opts.trends, &opts.policy);
    summary.allowed += allowed;
    cross.append(&mut trends);
    let io_error = !inputs.problems.is_empty() || results.iter().any(|r| r.io);
    summary.files = inputs.problems.len() + results.len();
    for r in results {
        let at = order[&r.name];
        findings.extend(r.audit.findings.into_iter().map(|f| (at, f)));
    }
    findings.extend(cross.into_iter().map(|f| {
        let o = order.get(&f.file).copied().unwrap_or(usize::MAX);
        (o, f)
    }));
    findings.sort_by(|(oa, a), (ob, b)| {
        (oa, a.line, a.column, &a.pointer, a.code, &a.message)
            .cmp(&(ob, b.line, b.column, &b.pointer, b.code, &b.message))
    });
    let findings: Vec<Finding> = findings.into_iter().map(|(_, f)| f).collect();
    for f in &findings {
        match f.severity {
            Severity::Error => summary.errors += 1,
            Severity::Warning => summary.warnings += 1,
            Severity::Info => summary.infos += 1,
        }
    }
    AuditRun {
        findings,
        summary,
        io_error,
        history,
    }
}
