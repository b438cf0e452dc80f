//! `vspc-billing report`: the audit of every input, with the monthly series of each report
//! owner, as one self-contained HTML page (or the series as JSON or CSV).

use super::config::Config;
use super::progress::Progress;
use super::{AuditArgs, InputArgs, Status, TrendArgs};
use clap::ValueEnum;
use std::path::PathBuf;
use vspc_billing::load::{Source, expand};
use vspc_billing::output::{check_extra_output, write_atomic};
use vspc_billing::report::{Billing, HtmlOptions, html, series_csv, series_json};

/// Audit several months and show the trends: one HTML page with charts, or the series.
///
/// Runs the audit (every check, and the comparisons of each owner's consecutive months)
/// and draws, per report owner, the points per month stacked by product, the top tenants
/// by points and by change, and a sortable table of tenants with a sparkline each; then
/// every finding, grouped by code. The page needs no network.
#[derive(Debug, clap::Args)]
pub(super) struct Args {
    #[command(flatten)]
    input: InputArgs,
    /// The file to write (the HTML page, or the series with --format json|csv); without it,
    /// JSON and CSV go to standard output
    #[arg(long, short = 'o', value_name = "FILE")]
    out: Option<PathBuf>,
    /// What to write
    #[arg(long, value_enum, default_value = "html")]
    format: Format,
    /// Replace --out if it exists
    #[arg(long)]
    force: bool,
    /// Tenants listed per owner by points, and again by change; the others are summed
    /// into one row
    #[arg(long, value_name = "N", default_value_t = 100)]
    top: usize,
    /// Findings listed per code on the page (the rest are counted)
    #[arg(long, value_name = "N", default_value_t = 200)]
    findings_per_code: usize,
    /// The output folder of an invoice run (or its summary.csv): its billing figures and
    /// reconciliation go on the page
    #[arg(long, value_name = "DIR|FILE")]
    invoices: Option<PathBuf>,
    /// A register of issued invoices: the invoices in force per report (points, revenue) go
    /// on the page
    #[arg(long, value_name = "FILE", conflicts_with = "invoices")]
    register: Option<PathBuf>,
    #[command(flatten)]
    audit: AuditArgs,
    #[command(flatten)]
    trends: TrendArgs,
}

/// `--format` of the report command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum Format {
    /// One self-contained HTML page with charts (needs --out)
    Html,
    /// The monthly series as JSON (exact decimals as strings)
    Json,
    /// The monthly series as CSV, one row per value
    Csv,
}

pub(super) fn run(args: &Args, config: &Config) -> Status {
    let (opts, load, pool) =
        match super::audit_setup(&args.audit, &args.trends, &args.input, config) {
            Ok(x) => x,
            Err(e) => return super::usage_error(&e),
        };
    if args.format == Format::Html && args.out.is_none() {
        return super::usage_error("--format html needs --out FILE (report.html)");
    }
    let billing = match (&args.invoices, &args.register) {
        (None, Some(path)) => {
            if !path.is_file() {
                return super::usage_error(&format!("--register {}: no such file", path.display()));
            }
            match vspc_billing::register::Register::open(path)
                .and_then(|r| Billing::from_register(&r))
            {
                Ok(b) => Some(b),
                Err(e) => return super::usage_error(&e),
            }
        }
        (None, None) => None,
        (Some(p), _) => {
            let file = if p.is_dir() {
                p.join("summary.csv")
            } else {
                p.clone()
            };
            let shown = file.display().to_string();
            let read = std::fs::read(&file)
                .map_err(|e| format!("--invoices: cannot read {shown}: {e}"))
                .and_then(|bytes| Billing::from_summary_csv(&shown, &bytes));
            match read {
                Ok(b) => Some(b),
                Err(e) => return super::usage_error(&e),
            }
        }
    };
    let inputs = expand(&args.input.paths);
    if let Some(out) = &args.out {
        let reads = inputs.sources.iter().filter_map(|s| match s {
            Source::File(p) => Some(p.clone()),
            Source::Stdin => None,
        });
        if let Err(e) = check_extra_output("--out", out, reads) {
            return super::usage_error(&e);
        }
        if !args.force && std::fs::symlink_metadata(out).is_ok() {
            return super::usage_error(&format!(
                "{} exists; pass --force to replace it",
                out.display()
            ));
        }
    }
    super::warn_inputs(&inputs);
    let progress = Progress::new(&inputs.sources, super::quiet());
    let run = pool.install(|| vspc_billing::audit::run::run(&inputs, &load, &opts, &progress));
    progress.finish();
    let series = run.history.series();
    let bytes = match args.format {
        Format::Json => series_json(&series).into_bytes(),
        Format::Csv => series_csv(&series),
        Format::Html => {
            let page_opts = HtmlOptions {
                top: args.top,
                per_code: args.findings_per_code,
                ..HtmlOptions::default()
            };
            match html(
                &series,
                &run.findings,
                &run.summary,
                billing.as_ref(),
                &page_opts,
            ) {
                Ok(h) => h.into_bytes(),
                Err(e) => return super::usage_error(&format!("{e}; nothing was written")),
            }
        }
    };
    match &args.out {
        None => super::emit(bytes),
        Some(out) => {
            if let Err(e) = write_atomic(out, &bytes) {
                return super::usage_error(&format!("cannot write {}: {e}", out.display()));
            }
            if !super::quiet() {
                let s = &run.summary;
                eprintln!(
                    "wrote {} ({} KiB): {} owner{}, {} file{}; {} error{}, {} warning{}, {} info{}",
                    super::printable(&out.display().to_string()),
                    bytes.len().div_ceil(1024),
                    series.owners.len(),
                    plural(series.owners.len()),
                    s.files,
                    plural(s.files),
                    s.errors,
                    plural(s.errors),
                    s.warnings,
                    plural(s.warnings),
                    s.infos,
                    plural(s.infos),
                );
            }
        }
    }
    if run.io_error {
        Status::Usage
    } else if run.summary.errors > 0 {
        Status::Invalid
    } else {
        Status::Ok
    }
}

const fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
