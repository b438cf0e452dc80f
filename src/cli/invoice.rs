//! `vspc-billing invoice`: one invoice per tenant, CSV for accounting, and the provider's
//! summary.

use super::config::{self, Config};
use super::progress::Progress;
use super::style::Style;
use super::{AuditArgs, InputArgs, Status, printable};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use vspc_billing::audit::{AuditOptions, check_file};
use vspc_billing::billing::invoice::{Invoice, Period};
use vspc_billing::billing::rates::{CardError, RateCard};
use vspc_billing::billing::{BillOptions, Biller, FileBill, FileInput, Ledger, Summary};
use vspc_billing::date::DateParts;
use vspc_billing::diag::Finding;
use vspc_billing::load::{
    LoadOptions, SchemaCheck, Source, expand, load_source, report_months, split_plan,
};
use vspc_billing::output::{
    Cleanup, OutDir, STATE_DIR, StagedWriter, Staging, resolved, same_file,
};
use vspc_billing::render::{
    ContextWriter, InvoiceContext, OutputFile, Outputs, Renderer, SummaryContext, Templates,
    invoices_csv_header, lines_csv_header,
};

/// Bill tenants: turn approved license usage reports into one invoice per tenant
/// organization (HTML, Markdown, text), `invoices.csv`, `lines.csv` and the provider's
/// summary (`summary.md`, `summary.csv`: revenue, cost owed to Veeam, margin,
/// reconciliation of points).
///
/// Reports that are not approved, or that have error findings, are refused (with the
/// reason) unless allowed. An invalid rate card or template writes nothing.
#[derive(Debug, clap::Args)]
pub struct Args {
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
fn card_errors(errors: &[CardError], card: &Path) -> Status {
    let text = std::fs::read_to_string(card).unwrap_or_default();
    for e in errors {
        eprintln!("vspc-billing: error: {}", printable(&e.to_string()));
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

pub fn run(args: &Args, config: &Config) -> Status {
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
    let outputs = settings.outputs;
    let inputs = expand(&args.input.paths);
    super::warn_inputs(&inputs);
    if let Some(context) = &args.context
        && let Err(e) = check_context(context, &settings, &inputs.sources)
    {
        return super::usage_error(&e);
    }
    let out = match OutDir::open(&settings.out) {
        Ok(o) => o,
        Err(e) => return super::usage_error(&e.to_string()),
    };
    warn_cleaned(out.cleaned(), &settings.out);
    let staging = match out.staging() {
        Ok(s) => s,
        Err(e) => {
            return super::usage_error(&format!(
                "cannot write into {}: {e}; nothing was written",
                settings.out.display()
            ));
        }
    };
    let job = Job {
        args,
        out: &settings.out,
        inputs: &inputs.sources,
        load_opts: &load_opts,
        audit_opts: &audit_opts,
        biller: Biller::new(&card, &opts),
        card: &card,
        renderer: Renderer::new(&templates, &card.provider, card.rounding.as_str(), outputs),
        outputs,
        staging: &staging,
    };
    let run = args
        .input
        .in_pool(config, || job.run())
        .and_then(|r| r)
        .and_then(|done| {
            refuse_existing(&settings.out, &staging, args.force)?;
            Ok(done)
        });
    let (summary, io_error) = match run {
        Ok(r) => r,
        Err(e) => {
            drop(staging);
            out.discard();
            return super::usage_error(&format!("{e}; nothing was written"));
        }
    };
    let written = match staging.commit() {
        Ok(n) => n - usize::from(args.context.is_some()),
        Err(e) => {
            if e.left.is_empty() {
                out.discard();
            }
            return super::usage_error(&e.to_string());
        }
    };
    let st = Style::stdout();
    warnings(&summary);
    super::emit(report(
        &summary,
        &inputs.problems,
        &settings.out,
        written,
        st,
    ));
    if io_error || !inputs.problems.is_empty() {
        Status::Usage
    } else if summary.refused.is_empty() {
        Status::Ok
    } else {
        Status::Invalid
    }
}

/// Below this much input, files are not pre-scanned for their months: every invoice of
/// the run is then held until the end, which is bounded by the input itself.
/// `VSPC_BILLING_PRESCAN_ABOVE` (bytes) overrides it, for the tests.
const PRESCAN_ABOVE: u64 = 32 << 20;

fn prescan_above() -> u64 {
    std::env::var("VSPC_BILLING_PRESCAN_ABOVE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(PRESCAN_ABOVE)
}

/// One run of the command: files are loaded, audited and billed in groups by month, and
/// each month's invoices are numbered, rendered (to staged files) and dropped as soon as
/// no file still to come can add to that month. Memory is that of the files in flight and
/// the open months, not of the whole run.
struct Job<'a> {
    args: &'a Args,
    out: &'a Path,
    inputs: &'a [Source],
    load_opts: &'a LoadOptions,
    audit_opts: &'a AuditOptions,
    biller: Biller<'a>,
    card: &'a RateCard,
    renderer: Renderer<'a>,
    outputs: Outputs,
    staging: &'a Staging,
}

/// The staged `invoices.csv`, `lines.csv` and `--context` file, written as months close.
struct Streams {
    invoices: Option<StagedWriter>,
    lines: Option<StagedWriter>,
    context: Option<ContextWriter<StagedWriter>>,
}

impl Job<'_> {
    fn run(&self) -> Result<(Summary, bool), String> {
        let (groups, claims) = self.plan();
        let progress = Progress::new(self.inputs, super::quiet());
        let mut streams = self.open_streams()?;
        let mut ledger = Ledger::new(self.card);
        let mut closed: BTreeSet<Period> = BTreeSet::new();
        let mut io_error = false;
        for (g, group) in groups.iter().enumerate() {
            // A file that is a large share of its group is itself parsed and checked on
            // several threads (one month of two consoles on many cores, one large file).
            let sources: Vec<Source> = group.iter().map(|&i| self.inputs[i].clone()).collect();
            let splits = split_plan(&sources, rayon::current_num_threads());
            let billed: Vec<(usize, FileBill, bool)> = group
                .par_iter()
                .zip(splits)
                .map(|(&i, split)| {
                    let load = LoadOptions {
                        split,
                        ..*self.load_opts
                    };
                    let file = load_source(&self.inputs[i], &load);
                    // Located, sorted, with the --allow'ed codes dropped.
                    let findings = check_file(&file, self.audit_opts).findings;
                    let bill = self.biller.file(&FileInput {
                        file: &file,
                        findings: &findings,
                    });
                    progress.file_done(file.text.len());
                    (i, bill, file.is_io_error())
                })
                .collect();
            for (i, bill, io) in billed {
                io_error |= io;
                if let Some(p) = bill.periods().intersection(&closed).next() {
                    // The pre-scan and the load read months the same way: not expected.
                    return Err(format!(
                        "internal error: {} has a report of {p}, which the first pass over the inputs did not see; please report this",
                        self.inputs[i].name()
                    ));
                }
                ledger.add(i, bill);
            }
            let later: BTreeSet<Period> = groups[g + 1..]
                .iter()
                .flatten()
                .filter_map(|&i| claims[i].as_ref())
                .flatten()
                .copied()
                .collect();
            while let Some(p) = ledger.next_period().filter(|p| !later.contains(p)) {
                let invoices = ledger.take_period(p);
                closed.insert(p);
                self.write_month(&invoices, &mut streams)?;
                // Freed on every thread: one thread freeing thousands of invoices shows.
                invoices.into_par_iter().for_each(drop);
            }
        }
        progress.finish();
        let summary = ledger.finish().map_err(|e| e.to_string())?;
        self.close_streams(streams, &summary)?;
        Ok((summary, io_error))
    }

    /// Groups of inputs to bill together, in order, and the months each input has reports
    /// for (`None`: not known before loading it). Inputs whose months are unknown come
    /// first, then one group per earliest month. Small runs are one group.
    fn plan(&self) -> (Vec<Vec<usize>>, Vec<Option<BTreeSet<Period>>>) {
        let all: Vec<usize> = (0..self.inputs.len()).collect();
        let size: u64 = self
            .inputs
            .iter()
            .map(|s| match s {
                Source::File(p) => p.metadata().map_or(0, |m| m.len()),
                Source::Stdin => 0,
            })
            .sum();
        if self.inputs.len() < 2 || size <= prescan_above() {
            return (vec![all], vec![None; self.inputs.len()]);
        }
        let claims: Vec<Option<BTreeSet<Period>>> = self
            .inputs
            .par_iter()
            .map(|s| match s {
                Source::File(p) => std::fs::read(p).ok().and_then(|text| {
                    report_months(&text, self.load_opts.kind).map(|months| {
                        months
                            .into_iter()
                            .filter(|(_, m)| (1..=12).contains(m))
                            .map(|(year, month)| Period { year, month })
                            .collect()
                    })
                }),
                Source::Stdin => None,
            })
            .collect();
        let mut by_month: BTreeMap<Option<Period>, Vec<usize>> = BTreeMap::new();
        for i in all {
            let first = claims[i].as_ref().and_then(|c| c.first().copied());
            by_month.entry(first).or_default().push(i);
        }
        (by_month.into_values().collect(), claims)
    }

    fn open_streams(&self) -> Result<Streams, String> {
        let open = |path: &Path| self.staging.open(path).map_err(cannot_write(path));
        let out = &self.out;
        let mut streams = Streams {
            invoices: None,
            lines: None,
            context: None,
        };
        if self.outputs.csv {
            let mut w = open(&out.join("invoices.csv"))?;
            w.write_all(&invoices_csv_header())
                .map_err(|e| e.to_string())?;
            streams.invoices = Some(w);
            let mut w = open(&out.join("lines.csv"))?;
            w.write_all(&lines_csv_header())
                .map_err(|e| e.to_string())?;
            streams.lines = Some(w);
        }
        if let Some(path) = &self.args.context {
            let w = open(path)?;
            streams.context = Some(ContextWriter::new(w).map_err(cannot_write(path))?);
        }
        Ok(streams)
    }

    /// Stages one rendered file in `--out`.
    fn stage(&self, f: OutputFile) -> Result<(), String> {
        let path = self.out.join(&f.name);
        self.staging
            .stage(&path, &f.bytes)
            .map_err(cannot_write(&path))
    }

    /// Renders one month's invoices: documents to staged files, rows to the CSV files.
    fn write_month(&self, invoices: &[Invoice], streams: &mut Streams) -> Result<(), String> {
        let out = &self.out;
        let rows = self
            .renderer
            .invoices(invoices, &|f| self.stage(f))
            .map_err(|e| e.to_string())?;
        let csv_error = cannot_write_into(out);
        for r in rows {
            if let Some(w) = &mut streams.invoices {
                w.write_all(&r.invoices).map_err(&csv_error)?;
            }
            if let Some(w) = &mut streams.lines {
                w.write_all(&r.lines).map_err(&csv_error)?;
            }
        }
        if let (Some(c), Some(path)) = (&mut streams.context, &self.args.context) {
            for invoice in invoices {
                c.invoice(&InvoiceContext {
                    provider: &self.card.provider,
                    invoice,
                    rounding: self.card.rounding.as_str(),
                })
                .map_err(cannot_write(path))?;
            }
        }
        Ok(())
    }

    fn close_streams(&self, streams: Streams, summary: &Summary) -> Result<(), String> {
        let csv_error = cannot_write_into(self.out);
        for w in [streams.invoices, streams.lines].into_iter().flatten() {
            self.staging.close(w).map_err(&csv_error)?;
        }
        if self.outputs.summary {
            self.renderer
                .summary(summary, &|f| self.stage(f))
                .map_err(|e| e.to_string())?;
        }
        if let (Some(c), Some(path)) = (streams.context, &self.args.context) {
            let w = c
                .finish(&SummaryContext {
                    provider: &self.card.provider,
                    summary,
                })
                .map_err(cannot_write(path))?;
            self.staging.close(w).map_err(cannot_write(path))?;
        }
        Ok(())
    }
}

/// The message of a failed write to the file `path`.
fn cannot_write(path: &Path) -> impl Fn(std::io::Error) -> String + '_ {
    move |e| format!("cannot write {}: {e}", path.display())
}

/// The message of a failed write into the folder `dir`.
fn cannot_write_into(dir: &Path) -> impl Fn(std::io::Error) -> String + '_ {
    move |e| format!("cannot write into {}: {e}", dir.display())
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
    super::warn(&format!(
        "removed {} unfinished file{} left in {} by an interrupted run{restored}",
        c.temporary,
        plural(c.temporary),
        out.join(STATE_DIR).display(),
    ));
}

/// `--context FILE` follows the rules of every output (not replaced without `--force`,
/// checked when the run ends) and may never be one of the run's inputs: an export, the
/// rate card or a template. Its folder is created if missing.
fn check_context(context: &Path, settings: &Settings, inputs: &[Source]) -> Result<(), String> {
    let shown = context.display();
    if context.as_os_str() == "-" {
        return Err("--context -: name a file".to_owned());
    }
    if std::fs::metadata(context).is_ok_and(|m| m.is_dir()) {
        return Err(format!("--context {shown} is a folder; name a file"));
    }
    let templates = settings
        .templates
        .iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path());
    let reads = inputs
        .iter()
        .filter_map(|s| match s {
            Source::File(p) => Some(p.clone()),
            Source::Stdin => None,
        })
        .chain([settings.rates.clone()])
        .chain(templates);
    for input in reads {
        if same_file(context, &input) {
            return Err(format!(
                "--context {shown} is {}, an input of this run; name another file",
                input.display()
            ));
        }
    }
    if let Some(dir) = context.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    Ok(())
}

/// Without `--force`, refuses to overwrite outputs that already exist (in `dir`, and the
/// `--context` file), checked before anything is renamed into place (the caller then
/// deletes the staged files). An output named twice (`--context` naming one of the run's
/// own files, or the tool's folder in `dir`) is refused even with `--force`.
fn refuse_existing(dir: &Path, staging: &Staging, force: bool) -> Result<(), String> {
    let paths = staging.paths();
    let state = resolved(&dir.join(STATE_DIR));
    let mut seen = std::collections::HashMap::new();
    for p in &paths {
        let here = resolved(p);
        if here == state || here.starts_with(&state) {
            return Err(format!(
                "{} is the tool's own folder in {}; --context must name another file",
                p.display(),
                dir.display()
            ));
        }
        if let Some(first) = seen.insert(here, p) {
            return Err(format!(
                "{} is also {}, another output of this run; --context must name a file of its own",
                p.display(),
                first.display()
            ));
        }
    }
    if force {
        return Ok(());
    }
    let existing: Vec<String> = paths
        .into_iter()
        .filter(|p| p.symlink_metadata().is_ok())
        .map(|p| p.display().to_string())
        .collect();
    if existing.is_empty() {
        return Ok(());
    }
    let shown: Vec<&str> = existing.iter().take(5).map(String::as_str).collect();
    let more = existing.len().saturating_sub(shown.len());
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    Err(format!(
        "{} already exist{} in {}: {}{more}; pass --force to overwrite them",
        if existing.len() == 1 {
            "1 file"
        } else {
            "files"
        },
        if existing.len() == 1 { "s" } else { "" },
        dir.display(),
        shown.join(", ")
    ))
}

/// What the run did: paths that could not be read and refusals (errors), then with
/// `--quiet` nothing more; else what was skipped, what was billed, and the totals.
fn report(s: &Summary, path_problems: &[Finding], out: &Path, written: usize, st: Style) -> String {
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
