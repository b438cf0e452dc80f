//! `vspc-billing invoice`: one invoice per tenant, CSV for accounting, and the provider's
//! summary.

mod print;

use super::config::{self, Config};
use super::progress::Progress;
use super::{AuditArgs, InputArgs, Status};
use std::path::{Path, PathBuf};
use vspc_billing::accounting;
use vspc_billing::billing::BillOptions;
use vspc_billing::billing::rates::RateCard;
use vspc_billing::billing::run::{PRESCAN_ABOVE, RunOptions};
use vspc_billing::codes::Code;
use vspc_billing::date::DateParts;
use vspc_billing::invoicing::{self, Job, RegisterUse};
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
    /// invoice.md.tera, invoice.txt.tera, invoice.typ.tera, summary.md.tera)
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
    /// Files to write, comma-separated: html, md, txt, pdf (one file per invoice; pdf: A4
    /// or the card's `paper`, PDF/A-3b with its EN 16931 XML), csv (invoices.csv,
    /// lines.csv), summary (summary.md, summary.csv) [default: html,md,txt,csv,summary];
    /// cii (one EN 16931 XML per invoice); xero (xero-invoices.csv), quickbooks
    /// (quickbooks-invoices.csv, quickbooks-credit-notes.csv): import files for accounting
    /// tools, with the rate card's [accounting]
    #[arg(long, value_name = "LIST", value_parser = OutputList)]
    outputs: Vec<String>,
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
    /// Number the invoices from the register of issued invoices (SQLite): each invoice
    /// gets its number once, re-runs give the same numbers and documents, and an issued
    /// invoice that would change is refused (see --correct). Without FILE: `register` of
    /// the rate card, else register.sqlite in the card's folder; or `register` in
    /// [invoice] of vspc-billing.toml
    #[arg(long, value_name = "FILE", num_args = 0..=1)]
    #[allow(clippy::option_option, reason = "absent, bare, or with a file")]
    register: Option<Option<PathBuf>>,
    /// With a register: cancel each issued invoice that would change with a credit note
    /// and issue a new invoice in its place
    #[arg(long)]
    correct: bool,
    /// With a register: number and write the documents, but record nothing in the register
    #[arg(long)]
    dry_run: bool,
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
    /// <number>-<slug>.pdf per invoice (PDF/A-3b, the card's paper size)
    Pdf,
    /// invoices.csv and lines.csv
    Csv,
    /// summary.md and summary.csv
    Summary,
    /// xero-invoices.csv (Xero's sales invoice import)
    Xero,
    /// quickbooks-invoices.csv and quickbooks-credit-notes.csv (QuickBooks Online's imports)
    Quickbooks,
    /// <number>-<slug>.xml per invoice: the EN 16931 e-invoice (UN/CEFACT CII, Factur-X /
    /// ZUGFeRD EN 16931 profile; XRechnung 3.0 with a buyer reference)
    Cii,
}

/// `--outputs`: a comma list, kept as written (spaces allowed, checked with the config
/// file's list in [`settings`]); its values are offered to help and shell completions.
#[derive(Debug, Clone, Copy)]
struct OutputList;

impl clap::builder::TypedValueParser for OutputList {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        value
            .to_str()
            .map(str::to_owned)
            .ok_or_else(|| clap::Error::new(clap::error::ErrorKind::InvalidUtf8).with_cmd(cmd))
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        use clap::ValueEnum as _;
        Some(Box::new(
            OutputArg::value_variants()
                .iter()
                .filter_map(OutputArg::to_possible_value),
        ))
    }
}

fn outputs_of(list: &[OutputArg]) -> Outputs {
    let has = |o| list.contains(&o);
    Outputs {
        html: has(OutputArg::Html),
        md: has(OutputArg::Md),
        txt: has(OutputArg::Txt),
        pdf: has(OutputArg::Pdf),
        csv: has(OutputArg::Csv),
        summary: has(OutputArg::Summary),
        xero: has(OutputArg::Xero),
        quickbooks: has(OutputArg::Quickbooks),
        cii: has(OutputArg::Cii),
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
pub(super) struct Settings {
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
    let (given, source) = if args.outputs.is_empty() {
        (file.outputs.as_deref(), "outputs in the config file")
    } else {
        (Some(args.outputs.as_slice()), "--outputs")
    };
    let outputs = match given {
        None => vec![
            OutputArg::Html,
            OutputArg::Md,
            OutputArg::Txt,
            OutputArg::Csv,
            OutputArg::Summary,
        ],
        Some(values) => super::list(values)
            .iter()
            .map(|o| {
                <OutputArg as clap::ValueEnum>::from_str(o, true).map_err(|_| {
                    format!(
                        "{source}: unknown output {o:?} (html, md, txt, pdf, csv, summary, cii, xero or quickbooks)"
                    )
                })
            })
            .collect::<Result<_, _>>()?,
    };
    if outputs.contains(&OutputArg::Pdf) && !vspc_billing::pdf::AVAILABLE {
        return Err(format!("{source}: pdf: {}", vspc_billing::pdf::NOT_BUILT));
    }
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
        Err(e) => return print::card_errors(&e, &settings.rates),
    };
    let missing = accounting::check_card(&card, &settings.outputs.presets());
    if !missing.is_empty() {
        let text = std::fs::read_to_string(&settings.rates).unwrap_or_default();
        let errors = RateCard::key_errors(
            &settings.rates.display().to_string(),
            &text,
            &missing,
            Code::RateCardInvalid,
        );
        return print::card_errors(&errors, &settings.rates);
    }
    let templates = match Templates::load(settings.templates.as_deref()) {
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
        include_appendices: args.include_appendices || config.invoice.include_appendices,
        allow_unapproved: args.allow_unapproved || config.invoice.allow_unapproved,
        allow_findings: args.allow_findings || config.invoice.allow_findings,
        issue_date,
    };
    let audit_opts = match args.audit.options(config) {
        Ok(o) => o,
        Err(e) => return super::usage_error(&e),
    };
    let load_opts = match args.input.load_options(SchemaCheck::OnFailure, config) {
        Ok(o) => o,
        Err(e) => return super::usage_error(&e),
    };
    let pool = match args.input.pool(config) {
        Ok(p) => p,
        Err(e) => return super::usage_error(&e),
    };
    let inputs = expand(&args.input.paths);
    super::warn_inputs(&inputs);
    let context = args.context.as_deref();
    let register = match register_path(args, config, &settings.rates, &card) {
        Ok(r) => r,
        Err(e) => return super::usage_error(&e),
    };
    let job = Job {
        sources: &inputs.sources,
        card: &card,
        templates: &templates,
        outputs: settings.outputs,
        out: &settings.out,
        context,
        card_path: &settings.rates,
        templates_dir: settings.templates.as_deref(),
        force: args.force,
        allow_unknown_tenants: audit_opts.policy.allows(Code::UnknownTenant),
        run: RunOptions {
            load: load_opts,
            audit: &audit_opts,
            bill: opts,
            prescan_above: PRESCAN_ABOVE,
        },
        register: register.as_deref().map(|path| RegisterUse {
            path,
            correct: args.correct,
            dry_run: args.dry_run,
        }),
    };
    let progress = Progress::new(&inputs.sources, super::quiet());
    let done = invoicing::invoice(&job, &pool, &progress);
    progress.finish();
    print::finish(done, &inputs.problems, &settings)
}

/// The register to use ([`invoicing::register_path`]); `--correct` and `--dry-run` need one.
fn register_path(
    args: &Args,
    config: &Config,
    rates: &Path,
    card: &RateCard,
) -> Result<Option<PathBuf>, String> {
    let configured = config.path_or(None, config.invoice.register.as_ref());
    let path = invoicing::register_path(
        args.register.as_ref().map(Option::as_deref),
        configured,
        rates,
        card,
    );
    match [(args.correct, "--correct"), (args.dry_run, "--dry-run")]
        .iter()
        .find(|(set, _)| *set && path.is_none())
    {
        Some((_, flag)) => Err(format!(
            "{flag} needs a register: pass --register [FILE], or set `register` in the rate card"
        )),
        None => Ok(path),
    }
}
