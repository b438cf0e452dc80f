//! `vspc-billing invoice`: one invoice per tenant, CSV for accounting, and the provider's
//! summary.

use super::config::{self, Config};
use super::progress::Progress;
use super::style::Style;
use super::{AuditArgs, InputArgs, Status, printable};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use vspc_billing::billing::BillOptions;
use vspc_billing::billing::Summary;
use vspc_billing::billing::rates::{CardError, RateCard};
use vspc_billing::billing::run::{PRESCAN_ABOVE, RunOptions};
use vspc_billing::codes::Code;
use vspc_billing::date::DateParts;
use vspc_billing::diag::Finding;
use vspc_billing::invoicing::{self, Job, JobError, RegisterUse, Registered};
use vspc_billing::load::{SchemaCheck, Source, expand};
use vspc_billing::output::{Cleanup, STATE_DIR, check_extra_output};
use vspc_billing::register::Outcome;
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
    #[arg(long, value_name = "LIST")]
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
fn card_errors(errors: &[CardError], card: &Path) -> Status {
    print_card_errors(errors, card);
    eprintln!(
        "vspc-billing: error: the rate card is invalid ({} problem{}); nothing was written",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    );
    Status::Usage
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
                    format!("{source}: unknown output {o:?} (html, md, txt, csv or summary)")
                })
            })
            .collect::<Result<_, _>>()?,
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
    if let Some(path) = context {
        let templates = settings
            .templates
            .iter()
            .filter_map(|d| std::fs::read_dir(d).ok());
        let reads = inputs
            .sources
            .iter()
            .filter_map(|s| match s {
                Source::File(p) => Some(p.clone()),
                Source::Stdin => None,
            })
            .chain([settings.rates.clone()])
            .chain(templates.flatten().filter_map(Result::ok).map(|e| e.path()));
        if let Err(e) = check_extra_output("--context", path, reads) {
            return super::usage_error(&e);
        }
    }
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
            super::emit(problems(&run.summary, &inputs.problems, Style::stdout()));
            return if run.io_error || !inputs.problems.is_empty() {
                Status::Usage
            } else {
                Status::Invalid
            };
        }
        Err(e) => return super::usage_error(&format!("{e}; nothing was written")),
    };
    warn_cleaned(done.cleaned, &settings.out);
    warnings(&done.billing.summary);
    let mut text = report(
        &done.billing.summary,
        &inputs.problems,
        &settings.out,
        done.written,
        Style::stdout(),
    );
    if let Some(r) = &done.register
        && !super::quiet()
    {
        text.push_str(&registered(r));
    }
    super::emit(text);
    if done.billing.io_error || !inputs.problems.is_empty() {
        Status::Usage
    } else if done.billing.summary.refused.is_empty() {
        Status::Ok
    } else {
        Status::Invalid
    }
}

/// The register to use: `--register FILE`, else `register` in vspc-billing.toml, else
/// (with a bare `--register`, or `register` in the card) the card's, relative to its
/// folder, else `register.sqlite` there. `None`: no register.
fn register_path(
    args: &Args,
    config: &Config,
    rates: &Path,
    card: &RateCard,
) -> Result<Option<PathBuf>, String> {
    let beside_card = |name: &str| rates.parent().unwrap_or_else(|| Path::new("")).join(name);
    let from_card = card.register.as_deref().map(beside_card);
    let path = match &args.register {
        Some(Some(p)) => Some(p.clone()),
        Some(None) => Some(
            config
                .path_or(None, config.invoice.register.as_ref())
                .or(from_card)
                .unwrap_or_else(|| beside_card(DEFAULT_REGISTER)),
        ),
        None => config
            .path_or(None, config.invoice.register.as_ref())
            .or(from_card),
    };
    if path.is_none() {
        for (set, flag) in [(args.correct, "--correct"), (args.dry_run, "--dry-run")] {
            if set {
                return Err(format!(
                    "{flag} needs a register: pass --register [FILE], or set `register` in the rate card"
                ));
            }
        }
    }
    Ok(path)
}

/// The register's file name beside the rate card, by default.
const DEFAULT_REGISTER: &str = "register.sqlite";

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
        super::warn(&format!(
            "removed {} unfinished file{} left in {} by an interrupted run{restored}",
            c.temporary,
            plural(c.temporary),
            state.display(),
        ));
    }
    if c.finished > 0 {
        super::warn(&format!(
            "put in place {} file{} of an interrupted run that the register had recorded",
            c.finished,
            plural(c.finished)
        ));
    }
    if c.waiting > 0 {
        super::warn(&format!(
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
fn report(s: &Summary, path_problems: &[Finding], out: &Path, written: usize, st: Style) -> String {
    let mut o = problems(s, path_problems, st);
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
fn warnings(s: &Summary) {
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
