//! What `invoice` prints: rate card errors with the line they point at, the refusals and
//! what was billed, what the register did, and the exit status of a run.

use super::Settings;
use crate::cli::style::Style;
use crate::cli::{Status, printable};
use std::fmt::Write as _;
use std::path::Path;
use vspc_billing::billing::Summary;
use vspc_billing::billing::rates::{CardError, RateCard};
use vspc_billing::codes::Code;
use vspc_billing::diag::Finding;
use vspc_billing::invoicing::{Done, JobError, Registered};
use vspc_billing::output::{Cleanup, STATE_DIR};
use vspc_billing::register::Outcome;

/// Prints what a job did (or why it wrote nothing) and gives the exit status.
pub(super) fn finish(
    done: Result<Done, JobError>,
    path_problems: &[Finding],
    settings: &Settings,
) -> Status {
    let done = match done {
        Ok(d) => d,
        Err(JobError::Changed(changes)) => {
            for c in &changes {
                eprintln!(
                    "vspc-billing: error[{}]: invoice {} to {} would change:",
                    Code::InvoiceChanged,
                    printable(&c.number),
                    printable(&c.customer)
                );
                for d in &c.differences {
                    eprintln!("    {}", printable(d));
                }
            }
            eprintln!("vspc-billing: error: {}", JobError::Changed(changes));
            return Status::Invalid;
        }
        Err(JobError::UnknownTenants(run)) => {
            unknown_tenants(&run.summary, &settings.rates);
            // What else is wrong, so that one run shows it all.
            crate::cli::emit(problems(&run.summary, path_problems, Style::stdout()));
            return if run.io_error || !path_problems.is_empty() {
                Status::Usage
            } else {
                Status::Invalid
            };
        }
        Err(JobError::CardIncomplete(missing)) => {
            let text = std::fs::read_to_string(&settings.rates).unwrap_or_default();
            let problems: Vec<(Vec<String>, String)> =
                missing.into_iter().map(|m| (m.key, m.message)).collect();
            let errors = RateCard::key_errors(
                &settings.rates.display().to_string(),
                &text,
                &problems,
                vspc_billing::codes::Code::RateCardInvalid,
            );
            if settings.outputs.pdf && !settings.outputs.cii {
                eprintln!(
                    "vspc-billing: note: each PDF invoice embeds its EN 16931 XML (Factur-X), which needs these; `factur_x = false` in the rate card writes plain PDFs"
                );
            }
            return card_errors(&errors, &settings.rates);
        }
        Err(e) => return crate::cli::usage_error(&format!("{e}; nothing was written")),
    };
    warn_cleaned(done.cleaned, &settings.out);
    warnings(&done.billing.summary);
    let mut text = report(
        &done.billing.summary,
        path_problems,
        &settings.out,
        (done.written, done.unchanged),
        Style::stdout(),
    );
    if let Some(r) = &done.register
        && !crate::cli::quiet()
    {
        text.push_str(&registered(r));
    }
    crate::cli::emit(text);
    if done.billing.io_error || !path_problems.is_empty() {
        Status::Usage
    } else if done.billing.summary.refused.is_empty() {
        Status::Ok
    } else {
        Status::Invalid
    }
}

/// Prints each rate card error with the line it points at and a caret under the place.
fn print_card_errors(errors: &[CardError], card: &Path) {
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
}

/// An invalid rate card: its errors, and nothing written.
pub(super) fn card_errors(errors: &[CardError], card: &Path) -> Status {
    print_card_errors(errors, card);
    eprintln!(
        "vspc-billing: error: the rate card is invalid ({} problem{}); nothing was written",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    );
    Status::Usage
}

/// What the register did: counts, and each correction.
fn registered(r: &Registered) -> String {
    let mut o = String::new();
    let (mut issued, mut unchanged, mut corrected) = (Vec::new(), 0, Vec::new());
    for outcome in &r.outcomes {
        match outcome {
            Outcome::Issued(n) => issued.push(n.as_str()),
            Outcome::Unchanged(_) => unchanged += 1,
            Outcome::Corrected(old, note, new) => corrected.push((old, note, new)),
        }
    }
    let range = match (issued.first(), issued.last()) {
        (Some(a), Some(b)) if a != b => format!(" ({a} to {b})"),
        (Some(a), _) => format!(" ({a})"),
        _ => String::new(),
    };
    let verb = if r.dry_run { "would issue" } else { "issued" };
    let _ = writeln!(
        o,
        "register {}: {verb} {}{range}, {unchanged} unchanged, {} corrected{}",
        printable(&r.path.display().to_string()),
        issued.len(),
        corrected.len(),
        if r.dry_run {
            "; dry run, nothing recorded"
        } else {
            ""
        }
    );
    for (old, note, new) in corrected {
        let _ = writeln!(
            o,
            "  {old}: cancelled by credit note {note}, replaced by {new}"
        );
    }
    if r.recovered.runs > 0 {
        let _ = writeln!(
            o,
            "  finished {} interrupted run{} (their documents put in place)",
            r.recovered.runs,
            if r.recovered.runs == 1 { "" } else { "s" }
        );
    }
    o
}

/// Rate card tenants that match no organization of the reports read, which stopped the run
/// (`unknown-tenant`, exit 1), each printed where the card names it.
fn unknown_tenants(s: &Summary, card: &Path) {
    let text = std::fs::read_to_string(card).unwrap_or_default();
    let errors = RateCard::tenant_errors(
        &card.display().to_string(),
        &text,
        &s.unmatched_tenants,
        Code::UnknownTenant,
        |uid| {
            format!(
                "\"{uid}\" matches no organization of the reports read (a mistyped UID?): its terms would be left unused"
            )
        },
    );
    print_card_errors(&errors, card);
    let n = errors.len();
    eprintln!(
        "vspc-billing: error: {n} rate card tenant{} match{} no organization; nothing was written (correct the UID, or pass --allow unknown-tenant when the tenant is billed from other reports)",
        if n == 1 { "" } else { "s" },
        if n == 1 { "es" } else { "" }
    );
}

/// Says what an interrupted earlier run had left in the output folder, now removed.
fn warn_cleaned(c: Cleanup, out: &Path) {
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
    let state = out.join(STATE_DIR);
    if c.temporary > 0 || c.restored > 0 {
        crate::cli::warn(&format!(
            "removed {} unfinished file{} left in {} by an interrupted run{restored}",
            c.temporary,
            plural(c.temporary),
            state.display(),
        ));
    }
    if c.finished > 0 {
        crate::cli::warn(&format!(
            "put in place {} file{} of an interrupted run that the register had recorded",
            c.finished,
            plural(c.finished)
        ));
    }
    if c.waiting > 0 {
        crate::cli::warn(&format!(
            "{} unfinished run{} in {} recorded {} files in a register: run `invoice` with that register to finish {}",
            c.waiting,
            plural(c.waiting),
            state.display(),
            if c.waiting == 1 { "its" } else { "their" },
            if c.waiting == 1 { "it" } else { "them" },
        ));
    }
}

/// Paths that could not be read and refusals: the errors of a run.
fn problems(s: &Summary, path_problems: &[Finding], st: Style) -> String {
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
    o
}

/// What the run did: paths that could not be read and refusals (errors), then with
/// `--quiet` nothing more; else what was skipped, what was billed, and the totals.
fn report(
    s: &Summary,
    path_problems: &[Finding],
    out: &Path,
    (written, unchanged): (usize, usize),
    st: Style,
) -> String {
    let mut o = problems(s, path_problems, st);
    if crate::cli::quiet() {
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
    if unchanged > 0 {
        o.pop();
        let _ = writeln!(
            o,
            " ({unchanged} already there with the same content, left as they were)"
        );
    }
    o
}

/// Warnings about what was billed, on standard error.
fn warnings(s: &Summary) {
    for r in &s.reports {
        for w in &r.warnings {
            crate::cli::warn(&format!("{}: {w}", printable(&r.report.describe())));
        }
    }
    for t in &s.unmatched_tenants {
        crate::cli::warn(&format!(
            "rate card tenant \"{}\" matches no organization of the billed reports",
            printable(t)
        ));
    }
}
