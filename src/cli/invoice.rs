//! `vspc-billing invoice`: one invoice per tenant, CSV for accounting, and the provider's
//! summary.

use super::config::{self, Config};
use super::invoice_print::{card_errors, report, warn_cleaned, warnings};
use super::progress::Progress;
use super::style::Style;
use super::{AuditArgs, InputArgs, Status};
use std::path::PathBuf;
use vspc_billing::billing::BillOptions;
use vspc_billing::billing::rates::RateCard;
use vspc_billing::billing::run::{PRESCAN_ABOVE, RunOptions};
use vspc_billing::date::DateParts;
use vspc_billing::documents::{DocumentOptions, Written};
use vspc_billing::load::{SchemaCheck, expand};
use vspc_billing::render::{Outputs, Templates};

/// Bill tenants: turn approved license usage reports into one invoice per tenant
/// organization (HTML, Markdown, text), `invoices.csv`, `lines.csv` and the provider's
/// summary (`summary.md`, `summary.csv`: revenue, cost owed to Veeam, margin,
/// reconciliation of points).
///
/// Reports that are not approved, or that have error findings, are refused (with the
/// reason) unless allowed. An invalid rate card or template writes nothing.
#[derive(Debug, clap::Args)]
pub(super) struct Args {
    #[command(flatten)]
    input: InputArgs,
    /// Rate card (TOML; see samples/rates.toml and schemas/rate-card.schema.json); or
    /// `rates` in vspc-billing.toml
    #[arg(long, value_name = "FILE")]
    rates: Option<PathBuf>,
    /// Folder to write into (created if missing); or `out` in vspc-billing.toml
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Folder of templates replacing the embedded ones by name (invoice.html.tera,
    /// invoice.md.tera, invoice.txt.tera, summary.md.tera)
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
    /// Files to write, comma-separated: html, md, txt (one file per invoice), csv
    /// (invoices.csv, lines.csv), summary (summary.md, summary.csv) [default: all]
    #[arg(long, value_enum, value_delimiter = ',', value_name = "LIST")]
    outputs: Vec<OutputArg>,
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
    /// The audit that decides whether a report can be billed (an error finding refuses it)
    #[command(flatten)]
    audit: AuditArgs,
    /// Issue date of every invoice, YYYY-MM-DD (default: the report's generation date)
    #[arg(long, value_name = "DATE")]
    issue_date: Option<String>,
}

/// One value of `--outputs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum OutputArg {
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

fn outputs_of(list: &[OutputArg]) -> Outputs {
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

/// The run's paths and outputs: the command line's, else the config file's.
struct Settings {
    rates: PathBuf,
    out: PathBuf,
    templates: Option<PathBuf>,
    outputs: Outputs,
}

fn settings(args: &Args, config: &Config) -> Result<Settings, String> {
    let file = &config.invoice;
    let required = |cli: Option<&PathBuf>, key: Option<&PathBuf>, flag: &str| {
        config.path_or(cli, key).ok_or_else(|| {
            format!(
                "{flag} is required (or `{}` in [invoice] of {})",
                flag.trim_start_matches('-'),
                config::DEFAULT_FILE
            )
        })
    };
    let outputs = if args.outputs.is_empty() {
        match &file.outputs {
            None => vec![
                OutputArg::Html,
                OutputArg::Md,
                OutputArg::Txt,
                OutputArg::Csv,
                OutputArg::Summary,
            ],
            Some(list) => list
                .iter()
                .map(|o| {
                    <OutputArg as clap::ValueEnum>::from_str(o, true)
                        .map_err(|_| format!("outputs in the config file: unknown output {o:?}"))
                })
                .collect::<Result<_, _>>()?,
        }
    } else {
        args.outputs.clone()
    };
    Ok(Settings {
        rates: required(args.rates.as_ref(), file.rates.as_ref(), "--rates")?,
        out: required(args.out.as_ref(), file.out.as_ref(), "--out")?,
        templates: config.path_or(args.templates.as_ref(), file.templates.as_ref()),
        outputs: outputs_of(&outputs),
    })
}

pub(super) fn run(args: &Args, config: &Config) -> Status {
    let settings = match settings(args, config) {
        Ok(s) => s,
        Err(e) => return super::usage_error(&e),
    };
    let card = match RateCard::load(&settings.rates) {
        Ok(c) => c,
        Err(e) => return card_errors(&e, &settings.rates),
    };
    let templates = match Templates::load(settings.templates.as_deref()) {
        Ok(t) => t,
        Err(e) => return super::usage_error(&format!("{e}; nothing was written")),
    };
    let options = || -> Result<_, String> {
        let issue_date = args.issue_date.as_deref().map(parse_date).transpose()?;
        let audit = args.audit.options(config)?;
        let load = args.input.load_options(SchemaCheck::OnFailure, config)?;
        Ok((issue_date, audit, load, args.input.pool(config)?))
    };
    let (issue_date, audit, load, pool) = match options() {
        Ok(o) => o,
        Err(e) => return super::usage_error(&e),
    };
    let inputs = expand(&args.input.paths);
    super::warn_inputs(&inputs);
    let docs = DocumentOptions {
        out: &settings.out,
        templates: &templates,
        outputs: settings.outputs,
        context: args.context.as_deref(),
        force: args.force,
    };
    let folder = docs
        .check_context(
            &inputs.sources,
            &settings.rates,
            settings.templates.as_deref(),
        )
        .and_then(|()| docs.open());
    let folder = match folder {
        Ok(f) => f,
        Err(e) => return super::usage_error(&e),
    };
    warn_cleaned(folder.cleaned(), &settings.out);
    let run_opts = RunOptions {
        load,
        audit: &audit,
        bill: BillOptions {
            include_appendices: args.include_appendices || config.invoice.include_appendices,
            allow_unapproved: args.allow_unapproved || config.invoice.allow_unapproved,
            allow_findings: args.allow_findings || config.invoice.allow_findings,
            issue_date,
        },
        prescan_above: PRESCAN_ABOVE,
    };
    let progress = Progress::new(&inputs.sources, super::quiet());
    let written = pool.install(|| folder.write(&inputs.sources, &card, &run_opts, &progress));
    progress.finish();
    let Written { run, files } = match written {
        Ok(w) => w,
        Err(e) => return super::usage_error(&e),
    };
    warnings(&run.summary);
    let text = report(
        &run.summary,
        &inputs.problems,
        &settings.out,
        files,
        Style::stdout(),
    );
    super::emit(text);
    if run.io_error || !inputs.problems.is_empty() {
        Status::Usage
    } else if run.summary.refused.is_empty() {
        Status::Ok
    } else {
        Status::Invalid
    }
}
