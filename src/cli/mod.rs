//! Command-line interface: argument parsing, printers and exit statuses. The work itself
//! is done by the library.

mod audit;
mod corpus_cmd;
mod explain;
mod invoice;
mod progress;
mod schema_cmd;
mod style;
mod validate;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;
use vspc_billing::load::{Kind, LoadOptions, LoadedFile, SchemaCheck, Source, Split, split_plan};

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
#[command(name = "vspc-billing", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check exports against the generated JSON Schemas and load them
    Validate(validate::Args),
    /// Write the JSON Schemas generated from the tool's types
    Schema(schema_cmd::Args),
    /// Recompute every point exactly and flag each inconsistency with a stable code
    Audit(audit::Args),
    /// Explain a finding code: what it means, why it matters, how to fix it
    Explain(explain::Args),
    /// Write a synthetic corpus of reports (for benchmarks and tests)
    Corpus(corpus_cmd::Args),
    /// Bill tenants: one invoice per organization, CSV, and the provider's summary
    Invoice(invoice::Args),
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
pub struct InputArgs {
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
    /// No progress bar (it is shown only on a terminal, for runs longer than a moment)
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Largest input read, per file or standard input: bytes, or with KB, MB, GB, KiB,
    /// MiB, GiB. A larger file, or an endless stream, is refused (input-too-large)
    #[arg(long, value_name = "SIZE", default_value = "4GiB", value_parser = parse_size)]
    pub max_input_size: u64,
}

fn parse_size(s: &str) -> Result<u64, String> {
    vspc_billing::load::parse_size(s)
}

/// The most threads `--threads` starts: far more than the cores only costs time (each
/// thread has its own stack and queue) and never changes the output.
fn thread_cap(cores: usize) -> usize {
    cores.saturating_mul(4).max(64)
}

impl InputArgs {
    /// Load options for these arguments.
    pub fn load_options(&self, schema_check: SchemaCheck) -> LoadOptions {
        LoadOptions {
            kind: self.kind.map(Into::into),
            schema_check,
            split: Split::Never,
            max_input: self.max_input_size,
        }
    }

    /// Load options for each source: `base`, split where [`split_plan`] says so for the
    /// threads of the current pool (call it inside [`Self::in_pool`]).
    pub fn per_source(sources: &[Source], base: LoadOptions) -> Vec<LoadOptions> {
        split_plan(sources, rayon::current_num_threads())
            .into_iter()
            .map(|split| LoadOptions { split, ..base })
            .collect()
    }

    /// Runs `f` on a thread pool of the requested size.
    pub fn in_pool<T: Send>(&self, f: impl FnOnce() -> T + Send) -> Result<T, String> {
        let mut b = rayon::ThreadPoolBuilder::new();
        if let Some(n) = self.threads {
            if n == 0 {
                return Err("--threads must be at least 1".to_owned());
            }
            let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
            let cap = thread_cap(cores);
            if n > cap {
                warn(&format!(
                    "--threads {n} is far above the {cores} core{} of this machine: using {cap} (the output is the same whatever the number)",
                    if cores == 1 { "" } else { "s" }
                ));
            }
            b = b.num_threads(n.min(cap));
        }
        let pool = b
            .build()
            .map_err(|e| format!("cannot start threads: {e}"))?;
        Ok(pool.install(f))
    }
}

/// `--format` of the validate command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TextOrJson {
    /// Readable text, coloured on a terminal (honours NO_COLOR)
    Text,
    /// JSON for tools
    Json,
}

/// Runs the command line.
/// Frees loaded files on a thread of its own. Freeing the typed model of one large file is
/// one thread's work of tens of milliseconds (about 45 ms for 100 MB) that would otherwise
/// sit between its checks and the output; here it overlaps the rest of the run, and a file
/// still being freed when the command ends is left to the operating system, which takes the
/// process's memory back at once. One file waits at most: memory stays bounded.
pub struct Dropper {
    tx: std::sync::mpsc::SyncSender<LoadedFile>,
}

impl Dropper {
    /// Starts the freeing thread (it ends with the process).
    pub fn new() -> Self {
        let (tx, rx) = std::sync::mpsc::sync_channel::<LoadedFile>(1);
        let spawned = std::thread::Builder::new()
            .name("free".into())
            .spawn(move || rx.into_iter().for_each(drop));
        // Without the thread, `free` drops in place (the send fails).
        drop(spawned);
        Self { tx }
    }

    /// Frees `file`: in the background when it was split (a large file on several threads),
    /// here otherwise (many files already keep every thread busy).
    pub fn free(&self, file: LoadedFile) {
        if file.split == Split::Never {
            return;
        }
        if let Err(e) = self.tx.send(file) {
            drop(e.0);
        }
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let status = match cli.command {
        Command::Validate(a) => validate::run(&a),
        Command::Schema(a) => schema_cmd::run(&a),
        Command::Audit(a) => audit::run(&a),
        Command::Explain(a) => explain::run(&a),
        Command::Corpus(a) => corpus_cmd::run(&a),
        Command::Invoice(a) => invoice::run(&a),
    };
    status.into()
}

/// Prints a warning on standard error (the output on standard output stays clean for
/// tools).
pub fn warn(msg: &str) {
    eprintln!("vspc-billing: warning: {msg}");
}

/// Prints the warnings of an input walk (files left out, link loops) on standard error.
pub fn warn_inputs(inputs: &vspc_billing::load::Inputs) {
    for w in &inputs.warnings {
        warn(&format!(
            "{}[{}] {}",
            w.severity,
            w.code,
            printable(&w.message)
        ));
    }
}

/// Text from the input (file names, company names) made safe to print on a terminal:
/// control characters (escape sequences, a newline that would forge an output line) and
/// invisible format characters (bidirectional overrides, zero-width characters) are shown
/// escaped, as `\u{202e}`.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    vspc_billing::render::printable(s)
}

/// Prints an error about the invocation and returns the usage status.
pub fn usage_error(msg: &str) -> Status {
    eprintln!("vspc-billing: error: {msg}");
    Status::Usage
}
