//! What `invoice` prints: rate card errors with the line they point at, what an interrupted
//! run had left, the run's refusals, billed reports and totals, and its warnings.

use super::style::Style;
use super::{Status, printable};
use std::fmt::Write as _;
use std::path::Path;
use vspc_billing::billing::Summary;
use vspc_billing::billing::rates::CardError;
use vspc_billing::diag::Finding;
use vspc_billing::output::{Cleanup, STATE_DIR};

/// Prints each rate card error with the line it points at and a caret under the place.
pub(super) fn card_errors(errors: &[CardError], card: &Path) -> Status {
    let text = std::fs::read_to_string(card).unwrap_or_default();
    for e in errors {
        eprintln!(
            "vspc-billing: error[{}]: {}",
            e.code,
            printable(&e.to_string())
        );
        if let (Some(line), Some(column), Some(source)) = (
            e.line,
            e.column,
            text.lines().nth(e.line.unwrap_or(1).saturating_sub(1)),
        ) {
            let width = line.to_string().len();
            let caret = " ".repeat(column.saturating_sub(1));
            eprintln!("{:width$} |", "");
            eprintln!("{line} | {}", printable(source));
            eprintln!("{:width$} | {caret}^", "");
        }
    }
    eprintln!(
        "vspc-billing: error: the rate card is invalid ({} problem{}); nothing was written",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    );
    Status::Usage
}

/// Says what an interrupted earlier run had left in the output folder, now removed.
pub(super) fn warn_cleaned(c: Cleanup, out: &Path) {
    if c == Cleanup::default() {
        return;
    }
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let restored = if c.restored > 0 {
        format!(
            ", and put back {} file{} it was replacing",
            c.restored,
            plural(c.restored)
        )
    } else {
        String::new()
    };
    super::warn(&format!(
        "removed {} unfinished file{} left in {} by an interrupted run{restored}",
        c.temporary,
        plural(c.temporary),
        out.join(STATE_DIR).display(),
    ));
}

/// What the run did: paths that could not be read and refusals (errors), then with
/// `--quiet` nothing more; else what was skipped, what was billed, and the totals.
pub(super) fn report(
    s: &Summary,
    path_problems: &[Finding],
    out: &Path,
    written: usize,
    st: Style,
) -> String {
    let mut o = String::new();
    for p in path_problems {
        let _ = writeln!(
            o,
            "{} {}: {}",
            st.severity(vspc_billing::diag::Severity::Error, "error  "),
            printable(&p.location()),
            printable(&p.message)
        );
    }
    for r in &s.refused {
        let _ = writeln!(
            o,
            "{} {}",
            st.severity(vspc_billing::diag::Severity::Error, "refused"),
            st.bold(&printable(&r.what()))
        );
        for reason in &r.reasons {
            let _ = writeln!(o, "  {}: {}", reason.code, printable(&reason.message));
            for f in reason.findings.iter().take(10) {
                let _ = writeln!(
                    o,
                    "    {}: error[{}] {}",
                    printable(&f.location),
                    f.code,
                    printable(&f.message)
                );
            }
            if reason.findings.len() > 10 {
                let _ = writeln!(o, "    ... and {} more", reason.findings.len() - 10);
            }
        }
    }
    if super::quiet() {
        return o;
    }
    for k in &s.skipped {
        let _ = writeln!(
            o,
            "{} {}: {}",
            st.dim("skipped"),
            printable(&k.file),
            printable(&k.reason)
        );
    }
    for r in &s.reports {
        let rec = &r.reconciliation;
        let balance = if rec.balanced {
            "reconciled".to_owned()
        } else {
            format!("DIFFERENCE of {} points", rec.difference)
        };
        let cost = r
            .cost
            .as_ref()
            .map(|c| {
                format!(
                    ", owed to Veeam {}, margin {}",
                    c.amount,
                    r.margin.map(|m| m.to_string()).unwrap_or_default()
                )
            })
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "{} {}: {} invoice{}, revenue {} {}{cost}; {} of {} points billed, {balance}",
            st.good("billed "),
            st.bold(&printable(&r.report.describe())),
            r.tenants.len(),
            if r.tenants.len() == 1 { "" } else { "s" },
            s.currency,
            r.revenue,
            rec.billed,
            rec.expected,
        );
    }
    let _ = writeln!(
        o,
        "{} invoice{}, total {} {} (revenue {}, tax {}); wrote {written} file{} to {}",
        s.totals.invoices,
        if s.totals.invoices == 1 { "" } else { "s" },
        s.currency,
        s.totals.total,
        s.totals.revenue,
        s.totals.tax,
        if written == 1 { "" } else { "s" },
        printable(&out.display().to_string())
    );
    o
}

/// Warnings about what was billed, on standard error.
pub(super) fn warnings(s: &Summary) {
    for r in &s.reports {
        for w in &r.warnings {
            super::warn(&format!("{}: {w}", printable(&r.report.describe())));
        }
    }
    for t in &s.unmatched_tenants {
        super::warn(&format!(
            "rate card tenant \"{}\" matches no organization of the billed reports",
            printable(t)
        ));
    }
}
