//! Command-line interface: argument parsing, printers and exit statuses. The work itself
//! is done by the library.

mod audit;
mod config;
mod corpus_cmd;
mod docs;
mod explain;
mod invoice;
mod progress;
mod register_cmd;
mod report;
mod schema_cmd;
mod style;
mod validate;

use clap::{Parser, Subcommand, ValueEnum};
use config::Config;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use vspc_billing::audit::trends::Thresholds;
use vspc_billing::audit::weights::Weights;
use vspc_billing::audit::{AuditOptions, Policy};
use vspc_billing::load::{DEFAULT_MAX_INPUT, Kind, LoadOptions, SchemaCheck, Split};
use vspc_billing::schedule::Pool;

/// Exit statuses, documented in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Everything checked out.
    Ok = 0,
    /// Some input is invalid (or has error findings).
    Invalid = 1,
    /// Usage or I/O error.
    Usage = 2,
}

impl From<Status> for ExitCode {
    fn from(s: Status) -> Self {
        Self::from(s as u8)
    }
}

/// Load, validate, audit and bill Veeam Service Provider Console license usage exports.
#[derive(Debug, Parser)]
#[command(
    name = "vspc-billing",
    version,
    about,
    long_about = None,
    propagate_version = true,
    after_help = docs::MAIN_AFTER_HELP,
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
    /// When to colour the output: auto (a terminal, unless `NO_COLOR` is set; `CLICOLOR_FORCE`
    /// forces it), always, never
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "auto",
        value_name = "WHEN"
    )]
    color: style::ColorChoice,
    /// Print errors only: no progress bar, no warnings, no lines about what went well
    /// (JSON, SARIF and CSV output is unchanged)
    #[arg(long, short = 'q', global = true)]
    quiet: bool,
    /// Defaults for the options (rate card, output folder, audit options...); without it,
    /// vspc-billing.toml in the working folder is read if there is one
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check exports against the generated JSON Schemas and load them
    #[command(after_help = docs::VALIDATE_AFTER_HELP)]
    Validate(validate::Args),
    /// Recompute every point exactly and flag each inconsistency with a stable code
    #[command(after_help = docs::AUDIT_AFTER_HELP)]
    Audit(audit::Args),
    /// Bill tenants: one invoice per organization, CSV, and the provider's summary
    #[command(after_help = docs::INVOICE_AFTER_HELP)]
    Invoice(invoice::Args),
    /// Show the register of issued invoices (list, show)
    #[command(after_help = docs::REGISTER_AFTER_HELP)]
    Register(register_cmd::Args),
    /// Audit several months and show the trends: one HTML page with charts, or the series
    #[command(after_help = docs::REPORT_AFTER_HELP)]
    Report(report::Args),
    /// Explain a finding code: what it means, why it matters, how to fix it
    #[command(after_help = docs::EXPLAIN_AFTER_HELP)]
    Explain(explain::Args),
    /// Write the JSON Schemas generated from the tool's types
    #[command(after_help = docs::SCHEMA_AFTER_HELP)]
    Schema(schema_cmd::Args),
    /// Write a synthetic corpus of reports (for benchmarks and tests)
    #[command(after_help = docs::CORPUS_AFTER_HELP)]
    Corpus(corpus_cmd::Args),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    #[command(after_help = docs::COMPLETIONS_AFTER_HELP)]
    Completions(docs::CompletionsArgs),
    /// Print the man page, or write one per command into a folder
    #[command(after_help = docs::MAN_AFTER_HELP)]
    Man(docs::ManArgs),
}

/// `--kind`: force the document kind instead of telling it from the shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    /// License usage reports (GET /api/v3/licensing/reports)
    Reports,
    /// Site Cloud Connect usage (GET /api/v3/licensing/sites/{siteUid}/usage)
    SiteUsage,
}

impl From<KindArg> for Kind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::Reports => Self::Reports,
            KindArg::SiteUsage => Self::SiteUsage,
        }
    }
}

/// `--schema-check`: when the JSON Schema validator runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaCheckArg {
    /// On every file
    Always,
    /// Only on files the typed parse refuses (same verdict: the parse accepts what the schema accepts)
    OnFailure,
}

impl From<SchemaCheckArg> for SchemaCheck {
    fn from(s: SchemaCheckArg) -> Self {
        match s {
            SchemaCheckArg::Always => Self::Always,
            SchemaCheckArg::OnFailure => Self::OnFailure,
        }
    }
}

/// Inputs shared by the commands that read exports.
#[derive(Debug, clap::Args)]
pub(crate) struct InputArgs {
    /// Files, directories (searched recursively for *.json) or - for standard input
    #[arg(required = true, value_name = "PATHS")]
    pub paths: Vec<PathBuf>,
    /// Force the document kind instead of telling it from the shape
    #[arg(long, value_enum)]
    pub kind: Option<KindArg>,
    /// Worker threads (default: all cores); output is the same whatever the number. Files
    /// go to threads whole; a file that is a large share of the input (size × threads >
    /// 1.5 × total) is itself parsed and checked on several threads
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// Largest input read, per file or standard input: bytes, or with KB, MB, GB, KiB,
    /// MiB, GiB [default: 4GiB]. A larger file, or an endless stream, is refused
    /// (input-too-large)
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_input_size: Option<u64>,
}

/// The audit's options, the same for `audit` and for the audit that gates `invoice`.
#[derive(Debug, clap::Args)]
pub(crate) struct AuditArgs {
    /// Drop findings with this code (repeat, or separate with commas; `vspc-billing
    /// explain` lists the codes)
    #[arg(long, value_name = "CODE", value_delimiter = ',')]
    pub allow: Vec<String>,
    /// Make findings with this code errors; `warnings` makes every warning an error
    #[arg(long, value_name = "CODE|warnings", value_delimiter = ',')]
    pub deny: Vec<String>,
    /// Numbers agree when they differ by at most this many points, instead of the
    /// precision rule (exact, at the precision the vendor wrote)
    #[arg(long, value_name = "POINTS")]
    pub tolerance: Option<String>,
    /// TOML file of expected weights ([[weight]] workload, edition, points, from, until),
    /// applied before the built-in published weights
    #[arg(long, value_name = "FILE")]
    pub weights: Option<PathBuf>,
}

/// The thresholds of the findings across months (`audit` and `report`); the config file's
/// `[audit]` gives what they leave out, the documented defaults the rest.
#[derive(Debug, clap::Args)]
pub(crate) struct TrendArgs {
    /// usage-spike / usage-drop: a tenant's points change by more than this percentage of
    /// the previous month's [default: 50]...
    #[arg(long, value_name = "PERCENT")]
    pub change_percent: Option<String>,
    /// ...and by at least this many points [default: 100]
    #[arg(long, value_name = "POINTS")]
    pub change_min_points: Option<String>,
    /// report-total-jump: a report's totalPoints changes by more than this percentage
    /// [default: 20]
    #[arg(long, value_name = "PERCENT")]
    pub total_change_percent: Option<String>,
    /// workload-count-doubled: one workload type's count grows at least this many times
    /// [default: 1.9]...
    #[arg(long, value_name = "RATIO")]
    pub doubling_ratio: Option<String>,
    /// ...from at least this many workloads [default: 5]...
    #[arg(long, value_name = "N")]
    pub doubling_min_count: Option<i64>,
    /// ...while the tenant's other types change by at most this percentage [default: 10]
    #[arg(long, value_name = "PERCENT")]
    pub stable_percent: Option<String>,
}

/// A CSV table for spreadsheets: the header, then each row with every cell neutralised
/// ([`vspc_billing::text::neutralise`]: a cell starting with `= + - @` cannot run as a formula).
///
/// # Errors
/// What the CSV writer refused.
pub(crate) fn csv_table<R, C>(header: &[&str], rows: R) -> Result<String, csv::Error>
where
    R: IntoIterator<Item = C>,
    C: IntoIterator,
    C::Item: AsRef<str>,
{
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header)?;
    for row in rows {
        w.write_record(
            row.into_iter()
                .map(|c| vspc_billing::text::neutralise(c.as_ref()).into_owned()),
        )?;
    }
    let bytes = w.into_inner().map_err(csv::IntoInnerError::into_error)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// What `audit` and `report` run with: the audit's options with the trend thresholds, how
/// inputs are loaded, and the thread pool.
pub(crate) fn audit_setup(
    audit: &AuditArgs,
    trends: &TrendArgs,
    input: &InputArgs,
    config: &Config,
) -> Result<
    (
        vspc_billing::audit::AuditOptions,
        vspc_billing::load::LoadOptions,
        Pool,
    ),
    String,
> {
    let opts = vspc_billing::audit::AuditOptions {
        trends: trends.thresholds(config)?,
        ..audit.options(config)?
    };
    let load = input.load_options(vspc_billing::load::SchemaCheck::OnFailure, config)?;
    Ok((opts, load, input.pool(config)?))
}

impl TrendArgs {
    /// The thresholds: these options, else the config file's, else the defaults.
    pub(crate) fn thresholds(&self, config: &Config) -> Result<Thresholds, String> {
        let file = &config.audit;
        let mut th = Thresholds::default();
        let decimal = |flag: &str,
                       cli: &Option<String>,
                       file: &Option<config::Number>,
                       into: &mut rust_decimal::Decimal| {
            if let Some(text) = cli.as_ref().or(file.as_ref().map(|n| &n.0)) {
                *into = vspc_billing::num::parse_decimal(text.trim())
                    .map_err(|_| format!("--{flag} {text:?} is not a decimal number"))?;
            }
            Ok::<(), String>(())
        };
        decimal(
            "change-percent",
            &self.change_percent,
            &file.change_percent,
            &mut th.change_percent,
        )?;
        decimal(
            "change-min-points",
            &self.change_min_points,
            &file.change_min_points,
            &mut th.change_min_points,
        )?;
        decimal(
            "total-change-percent",
            &self.total_change_percent,
            &file.total_change_percent,
            &mut th.total_percent,
        )?;
        decimal(
            "doubling-ratio",
            &self.doubling_ratio,
            &file.doubling_ratio,
            &mut th.doubling_ratio,
        )?;
        decimal(
            "stable-percent",
            &self.stable_percent,
            &file.stable_percent,
            &mut th.stable_percent,
        )?;
        if let Some(n) = self.doubling_min_count.or(file.doubling_min_count) {
            th.doubling_min_count = n;
        }
        th.validate()?;
        Ok(th)
    }
}

impl AuditArgs {
    /// The audit options of these arguments, with the config file's `[audit]` for what
    /// they leave out (lists are joined).
    pub(crate) fn options(&self, config: &Config) -> Result<AuditOptions, String> {
        let file = &config.audit;
        let allow = list(self.allow.iter().chain(&file.allow));
        let deny = list(self.deny.iter().chain(&file.deny));
        let policy = Policy::new(&allow, &deny)?;
        let tolerance = match self.tolerance.as_ref().or(file.tolerance.as_ref()) {
            None => None,
            Some(t) => {
                let d = vspc_billing::num::parse_decimal(t.trim())
                    .map_err(|_| format!("--tolerance {t:?} is not a decimal number"))?;
                if d.is_sign_negative() && !d.is_zero() {
                    return Err(format!("--tolerance {t} must not be negative"));
                }
                Some(d)
            }
        };
        let weights = match config.path_or(self.weights.as_ref(), file.weights.as_ref()) {
            None => Weights::builtin(),
            Some(p) => Weights::builtin().with_file(&p)?,
        };
        Ok(AuditOptions {
            tolerance,
            weights,
            policy,
            trends: Thresholds::default(),
        })
    }
}

/// The items of a list option, however given: repeated (`--allow a --allow b`), as a comma
/// list (`--allow a,b`, `--allow "a, b"`), or as the entries of a list in the config file
/// (`allow = ["a", "b, c"]`). Items are trimmed; empty items are dropped.
pub(crate) fn list<'a>(values: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    values
        .into_iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn parse_size(s: &str) -> Result<u64, String> {
    vspc_billing::load::parse_size(s)
}

impl InputArgs {
    /// Load options for these arguments (the config file's `[input]` for what they leave
    /// out).
    pub(crate) fn load_options(
        &self,
        schema_check: SchemaCheck,
        config: &Config,
    ) -> Result<LoadOptions, String> {
        let max_input = match (self.max_input_size, &config.input.max_input_size) {
            (Some(n), _) => n,
            (None, Some(text)) => vspc_billing::load::parse_size(text)
                .map_err(|e| format!("max_input_size in the config file: {e}"))?,
            (None, None) => DEFAULT_MAX_INPUT,
        };
        Ok(LoadOptions {
            kind: self.kind.map(Into::into),
            schema_check,
            split: Split::Never,
            max_input,
        })
    }

    /// The run's threads (`--threads`, else the config file's, else all cores); a number
    /// far above the cores is capped, with a warning.
    pub(crate) fn pool(&self, config: &Config) -> Result<Pool, String> {
        let pool = Pool::new(self.threads.or(config.input.threads))?;
        if let Some(n) = pool.capped_from {
            let cores = vspc_billing::schedule::cores();
            warn(&format!(
                "--threads {n} is far above the {cores} core{} of this machine: using {} (the output is the same whatever the number)",
                if cores == 1 { "" } else { "s" },
                pool.threads()
            ));
        }
        Ok(pool)
    }
}

/// `--format` of the validate command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum TextOrJson {
    /// Readable text, coloured on a terminal (honours `NO_COLOR`)
    Text,
    /// JSON for tools
    Json,
}

/// `--quiet`, for the whole run.
static QUIET: AtomicBool = AtomicBool::new(false);

/// Whether only errors are printed (`--quiet`).
pub(crate) fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

pub(crate) fn main() -> ExitCode {
    let cli = Cli::parse();
    style::set_choice(cli.color);
    QUIET.store(cli.quiet, Ordering::Relaxed);
    let reads_config = matches!(
        cli.command,
        Command::Validate(_)
            | Command::Audit(_)
            | Command::Invoice(_)
            | Command::Register(_)
            | Command::Report(_)
    );
    let config = if reads_config {
        match Config::load(cli.config.as_deref()) {
            Ok(c) => c,
            Err(e) => return usage_error(&format!("config: {e}")).into(),
        }
    } else {
        Config::default()
    };
    let status = match &cli.command {
        Command::Validate(a) => validate::run(a, &config),
        Command::Audit(a) => audit::run(a, &config),
        Command::Invoice(a) => invoice::run(a, &config),
        Command::Register(a) => register_cmd::run(a, &config),
        Command::Report(a) => report::run(a, &config),
        Command::Explain(a) => explain::run(a),
        Command::Schema(a) => schema_cmd::run(a),
        Command::Corpus(a) => corpus_cmd::run(a),
        Command::Completions(a) => docs::completions(a),
        Command::Man(a) => docs::man(a),
    };
    status.into()
}

/// Writes `text` to standard output. A reader that went away (`vspc-billing audit | head`)
/// ends the output quietly instead of a panic; the run's status is kept.
pub(crate) fn emit(text: impl AsRef<[u8]>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_ref()).and_then(|()| out.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("vspc-billing: error: cannot write to standard output: {e}");
    }
}

/// Prints a warning on standard error (the output on standard output stays clean for
/// tools); nothing with `--quiet`.
pub(crate) fn warn(msg: &str) {
    if !quiet() {
        eprintln!("vspc-billing: warning: {msg}");
    }
}

/// Prints the warnings of an input walk (files left out, link loops) on standard error.
pub(crate) fn warn_inputs(inputs: &vspc_billing::load::Inputs) {
    for w in &inputs.warnings {
        warn(&format!(
            "{}[{}] {}",
            w.severity,
            w.code,
            printable(&w.message)
        ));
    }
}

/// Text from the input made safe to print on a terminal ([`vspc_billing::text::printable`]).
pub(crate) use vspc_billing::text::printable;

/// Prints an error about the invocation and returns the usage status.
pub(crate) fn usage_error(msg: &str) -> Status {
    eprintln!("vspc-billing: error: {msg}");
    Status::Usage
}
