//! `vspc-billing invoice`: one invoice per tenant, CSV for accounting, and the provider's
//! summary.

use super::progress::Progress;
use super::style::Style;
use super::{InputArgs, Status};
use rayon::prelude::*;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use vspc_billing::audit::{AuditOptions, Policy, check_file};
use vspc_billing::billing::rates::{CardError, RateCard};
use vspc_billing::billing::{BillOptions, Biller, Billing, FileBill, FileInput};
use vspc_billing::date::DateParts;
use vspc_billing::diag::Finding;
use vspc_billing::load::{SchemaCheck, expand, load_source};
use vspc_billing::output::Staging;
use vspc_billing::render::{Outputs, Templates, context, output_names, render_into};

/// Bill tenants: turn approved license usage reports into one invoice per tenant
/// organization (HTML, Markdown, text), `invoices.csv`, `lines.csv` and the provider's
/// summary (`summary.md`, `summary.csv`: revenue, cost owed to Veeam, margin,
/// reconciliation of points).
///
/// Reports that are not approved, or that have error findings, are refused (with the
/// reason) unless allowed. An invalid rate card or template writes nothing. Exit status:
/// 0 everything billed, 1 some file or report refused, 2 usage or I/O error (nothing
/// written).
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    input: InputArgs,
    /// Rate card (TOML; see samples/rates.toml and schemas/rate-card.schema.json)
    #[arg(long, value_name = "FILE")]
    rates: PathBuf,
    /// Folder to write into (created if missing)
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Folder of templates replacing the embedded ones by name (invoice.html.tera,
    /// invoice.md.tera, invoice.txt.tera, summary.md.tera)
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
    /// Outputs to write, comma-separated: html, md, txt (one file per invoice), csv
    /// (invoices.csv, lines.csv), summary (summary.md, summary.csv)
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "html,md,txt,csv,summary"
    )]
    format: Vec<OutputArg>,
    /// Also write the exact JSON handed to the templates to FILE
    #[arg(long, value_name = "FILE")]
    context: Option<PathBuf>,
    /// Overwrite files that already exist in --out
    #[arg(long)]
    force: bool,
    /// Also bill the tenants of appendices (licenses issued to other companies)
    #[arg(long)]
    include_appendices: bool,
    /// Bill reports whose status is not Approved, or that have no status
    #[arg(long)]
    allow_unapproved: bool,
    /// Bill reports that have error findings from the audit
    #[arg(long)]
    allow_findings: bool,
    /// Ignore this finding code when deciding whether a report can be billed (repeatable;
    /// `vspc-billing explain` lists the codes)
    #[arg(long, value_name = "CODE")]
    allow: Vec<String>,
    /// Issue date of every invoice, YYYY-MM-DD (default: the report's generation date)
    #[arg(long, value_name = "DATE")]
    issue_date: Option<String>,
}

/// One value of `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputArg {
    /// <number>-<slug>.html per invoice
    Html,
    /// <number>-<slug>.md per invoice
    Md,
    /// <number>-<slug>.txt per invoice
    Txt,
    /// invoices.csv and lines.csv
    Csv,
    /// summary.md and summary.csv
    Summary,
}

fn outputs(list: &[OutputArg]) -> Outputs {
    let has = |o| list.contains(&o);
    Outputs {
        html: has(OutputArg::Html),
        md: has(OutputArg::Md),
        txt: has(OutputArg::Txt),
        csv: has(OutputArg::Csv),
        summary: has(OutputArg::Summary),
    }
}

fn parse_date(s: &str) -> Result<(i32, u32, u32), String> {
    let p = DateParts::parse(s)
        .ok()
        .filter(|p| p.time.is_none())
        .ok_or_else(|| format!("--issue-date {s}: expected YYYY-MM-DD"))?;
    if let Some(e) = p.calendar_error() {
        return Err(format!("--issue-date {s}: {e}"));
    }
    Ok((p.year, p.month, p.day))
}

fn card_errors(errors: &[CardError]) -> Status {
    for e in errors {
        eprintln!("vspc-billing: error: {e}");
    }
    eprintln!(
        "vspc-billing: error: the rate card is invalid ({} problem{}); nothing was written",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    );
    Status::Usage
}

pub fn run(args: &Args) -> Status {
    let card = match RateCard::load(&args.rates) {
        Ok(c) => c,
        Err(e) => return card_errors(&e),
    };
    let templates = match Templates::load(args.templates.as_deref()) {
        Ok(t) => t,
        Err(e) => {
            return super::usage_error(&format!("{e}; nothing was written"));
        }
    };
    let issue_date = match args.issue_date.as_deref().map(parse_date).transpose() {
        Ok(d) => d,
        Err(e) => return super::usage_error(&e),
    };
    let opts = BillOptions {
        include_appendices: args.include_appendices,
        allow_unapproved: args.allow_unapproved,
        allow_findings: args.allow_findings,
        issue_date,
    };
    let audit_opts = match Policy::new(&args.allow, &[] as &[String]) {
        Ok(policy) => AuditOptions {
            policy,
            ..AuditOptions::default()
        },
        Err(e) => return super::usage_error(&e),
    };
    let outputs = outputs(&args.format);
    let inputs = expand(&args.input.paths);
    let load_opts = args.input.load_options(SchemaCheck::OnFailure);
    let progress = Progress::new(&inputs.sources, args.input.quiet);
    let biller = Biller::new(&card, &opts);
    let run = args.input.in_pool(|| {
        // Each file is loaded, audited, billed and dropped: only its bill is kept.
        let per_source = InputArgs::per_source(&inputs.sources, load_opts);
        let billed: Vec<(FileBill, bool)> = inputs
            .sources
            .par_iter()
            .zip(&per_source)
            .map(|(s, load_opts)| {
                let file = load_source(s, load_opts);
                // Located, sorted, with the --allow'ed codes dropped.
                let findings = check_file(&file, &audit_opts).findings;
                let bill = biller.file(&FileInput {
                    file: &file,
                    findings: &findings,
                });
                progress.file_done(file.text.len());
                (bill, file.is_io_error())
            })
            .collect();
        progress.finish();
        let io_error = billed.iter().any(|(_, io)| *io);
        let billing = biller.finish(billed.into_iter().map(|(b, _)| b).collect());
        (billing, io_error)
    });
    let (billing, io_error) = match run {
        Ok(r) => r,
        Err(e) => return super::usage_error(&e),
    };
    let names = output_names(&billing, outputs);
    if let Err(status) = refuse_existing(&args.out, &names, args.force) {
        return status;
    }
    let written = match write_outputs(args, &billing, &card, &templates, outputs) {
        Ok(n) => n,
        Err(e) => return super::usage_error(&format!("{e}; nothing was written")),
    };
    let st = Style::stdout();
    print!(
        "{}",
        report(&billing, &inputs.problems, &args.out, written, st)
    );
    let status = if io_error || !inputs.problems.is_empty() {
        Status::Usage
    } else if billing.summary.refused.is_empty() {
        Status::Ok
    } else {
        Status::Invalid
    };
    // The process ends here: freeing every invoice one by one would only cost time
    // (about a tenth of a run of thousands of tenants).
    std::mem::forget(billing);
    status
}

fn prepare_dir(dir: Option<&Path>) -> Result<(), String> {
    match dir {
        Some(d) if !d.as_os_str().is_empty() => {
            std::fs::create_dir_all(d).map_err(|e| format!("cannot create {}: {e}", d.display()))
        }
        _ => Ok(()),
    }
}

/// Without `--force`, refuses to run when any output already exists (before anything is
/// written).
fn refuse_existing(dir: &Path, names: &[String], force: bool) -> Result<(), Status> {
    if !force {
        let existing: Vec<String> = names
            .iter()
            .map(|n| dir.join(n))
            .filter(|p| p.symlink_metadata().is_ok())
            .map(|p| p.display().to_string())
            .collect();
        if !existing.is_empty() {
            let shown: Vec<&str> = existing.iter().take(5).map(String::as_str).collect();
            let more = existing.len().saturating_sub(shown.len());
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            return Err(super::usage_error(&format!(
                "{} already exist{}: {}{more}; pass --force to overwrite them; nothing was written",
                if existing.len() == 1 {
                    "1 file"
                } else {
                    "files"
                },
                if existing.len() == 1 { "s" } else { "" },
                shown.join(", ")
            )));
        }
    }
    Ok(())
}

/// Renders every output (and the `--context` file) straight to temporary files, then
/// renames them all into place: a template or write that fails leaves nothing behind.
/// Returns how many files went into `--out`.
fn write_outputs(
    args: &Args,
    billing: &Billing,
    card: &RateCard,
    templates: &Templates,
    outputs: Outputs,
) -> Result<usize, String> {
    let created = !args.out.exists();
    prepare_dir(Some(&args.out))?;
    let staging = Staging::new();
    let staged = args
        .input
        .in_pool(|| {
            render_into(billing, &card.provider, templates, outputs, |f| {
                let path = args.out.join(&f.name);
                staging
                    .stage(&path, &f.bytes)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))
            })
            .map_err(|e| e.to_string())
        })
        .and_then(|r| r)
        .and_then(|()| match &args.context {
            None => Ok(()),
            Some(path) => {
                prepare_dir(path.parent())?;
                staging
                    .stage_with(path, |w| {
                        serde_json::to_writer_pretty(&mut *w, &context(billing, &card.provider))
                            .map_err(std::io::Error::other)?;
                        w.write_all(b"\n")
                    })
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))
            }
        });
    let committed = match staged {
        Ok(()) => staging
            .commit()
            .map_err(|e| format!("cannot write into {}: {e}", args.out.display())),
        Err(e) => {
            drop(staging); // deletes every temporary file
            Err(e)
        }
    };
    match committed {
        Ok(n) => Ok(n - usize::from(args.context.is_some())),
        Err(e) => {
            if created {
                // Only removes the folder this run made, and only if it is still empty.
                let _ = std::fs::remove_dir(&args.out);
            }
            Err(e)
        }
    }
}

fn report(
    billing: &Billing,
    path_problems: &[Finding],
    out: &Path,
    written: usize,
    st: Style,
) -> String {
    let s = &billing.summary;
    let mut o = String::new();
    for p in path_problems {
        let _ = writeln!(
            o,
            "{} {}: {}",
            st.severity(vspc_billing::diag::Severity::Error, "error  "),
            p.location(),
            p.message
        );
    }
    for r in &s.refused {
        let _ = writeln!(
            o,
            "{} {}",
            st.severity(vspc_billing::diag::Severity::Error, "refused"),
            st.bold(&r.what())
        );
        for reason in &r.reasons {
            let _ = writeln!(o, "  {}: {}", reason.code, reason.message);
            for f in reason.findings.iter().take(10) {
                let _ = writeln!(o, "    {}: error[{}] {}", f.location, f.code, f.message);
            }
            if reason.findings.len() > 10 {
                let _ = writeln!(o, "    ... and {} more", reason.findings.len() - 10);
            }
        }
    }
    for k in &s.skipped {
        let _ = writeln!(o, "{} {}: {}", st.dim("skipped"), k.file, k.reason);
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
            st.bold(&r.report.describe()),
            r.tenants.len(),
            if r.tenants.len() == 1 { "" } else { "s" },
            s.currency,
            r.revenue,
            rec.billed,
            rec.expected,
        );
        for w in &r.warnings {
            let _ = writeln!(
                o,
                "  {}: {w}",
                st.severity(vspc_billing::diag::Severity::Warning, "warning")
            );
        }
    }
    for t in &s.unmatched_tenants {
        let _ = writeln!(
            o,
            "{}: rate card tenant \"{t}\" matches no organization of the billed reports",
            st.severity(vspc_billing::diag::Severity::Warning, "warning")
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
        out.display()
    );
    o
}
