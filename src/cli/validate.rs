//! `vspc-billing validate`: schema check and typed load of every input.

use super::config::Config;
use super::progress::Progress;
use super::style::Style;
use super::{InputArgs, SchemaCheckArg, Status, TextOrJson};
use serde::Serialize;
use vspc_billing::diag::{Finding, Severity};
use vspc_billing::load::{LoadOptions, LoadedFile, expand};
use vspc_billing::schedule::each_file;

/// Check exports against the generated JSON Schemas and load them into the typed model.
///
/// Every violation in a file is reported with its JSON pointer, line and column; the other
/// files are still checked.
#[derive(Debug, clap::Args)]
pub(super) struct Args {
    #[command(flatten)]
    input: InputArgs,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    format: TextOrJson,
    /// When the JSON Schema validator runs
    #[arg(long, value_enum, default_value = "always")]
    schema_check: SchemaCheckArg,
}

/// What `validate` reports about one file.
#[derive(Debug, Serialize)]
pub(super) struct FileReport {
    path: String,
    kind: Option<&'static str>,
    shape: Option<&'static str>,
    items: Option<usize>,
    valid: bool,
    errors: Vec<ErrorReport>,
}

#[derive(Debug, Serialize)]
struct ErrorReport {
    code: vspc_billing::codes::Code,
    severity: Severity,
    pointer: String,
    line: Option<usize>,
    column: Option<usize>,
    message: String,
}

#[derive(Debug, Serialize)]
struct ValidateSummary {
    files: usize,
    valid: usize,
    invalid: usize,
}

#[derive(Debug, Serialize)]
struct Output {
    files: Vec<FileReport>,
    summary: ValidateSummary,
}

fn report(f: &LoadedFile) -> FileReport {
    FileReport {
        path: f.name.clone(),
        kind: f.kind.map(vspc_billing::load::Kind::as_str),
        shape: f.shape.map(vspc_billing::load::Shape::as_str),
        items: f.document.as_ref().map(vspc_billing::load::Document::len),
        valid: f.is_valid(),
        errors: f.problems.iter().map(error_report).collect(),
    }
}

fn error_report(p: &Finding) -> ErrorReport {
    ErrorReport {
        code: p.code,
        severity: p.severity,
        pointer: p.pointer.clone(),
        line: p.line,
        column: p.column,
        message: p.message.clone(),
    }
}

fn io_report(p: &Finding) -> FileReport {
    FileReport {
        path: p.file.clone(),
        kind: None,
        shape: None,
        items: None,
        valid: false,
        errors: vec![error_report(p)],
    }
}

pub(super) fn run(args: &Args, config: &Config) -> Status {
    let opts: LoadOptions = match args.input.load_options(args.schema_check.into(), config) {
        Ok(o) => o,
        Err(e) => return super::usage_error(&e),
    };
    let pool = match args.input.pool(config) {
        Ok(p) => p,
        Err(e) => return super::usage_error(&e),
    };
    let inputs = expand(&args.input.paths);
    super::warn_inputs(&inputs);
    let progress = Progress::new(&inputs.sources, super::quiet());
    let loaded = pool.install(|| {
        each_file(&inputs.sources, &opts, &progress, |f| {
            (report(f), f.is_io_error())
        })
    });
    progress.finish();
    let io_error = !inputs.problems.is_empty() || loaded.iter().any(|(_, io)| *io);
    let mut files: Vec<FileReport> = inputs.problems.iter().map(io_report).collect();
    files.extend(loaded.into_iter().map(|(r, _)| r));
    let valid = files.iter().filter(|f| f.valid).count();
    let out = Output {
        summary: ValidateSummary {
            files: files.len(),
            valid,
            invalid: files.len() - valid,
        },
        files,
    };
    match args.format {
        TextOrJson::Json => {
            super::emit(serde_json::to_string_pretty(&out).expect("report serializes") + "\n");
        }
        TextOrJson::Text => super::emit(render_text(&out, Style::stdout())),
    }
    if io_error {
        Status::Usage
    } else if out.summary.invalid > 0 {
        Status::Invalid
    } else {
        Status::Ok
    }
}

fn render_text(out: &Output, st: Style) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let quiet = super::quiet();
    for f in out.files.iter().filter(|f| !(quiet && f.valid)) {
        let what = match (f.kind, f.shape, f.items) {
            (Some(k), Some(sh), Some(n)) => {
                let noun = match (k, n) {
                    ("reports", 1) => "report",
                    ("reports", _) => "reports",
                    (_, 1) => "site",
                    _ => "sites",
                };
                format!(" ({k}, {sh}, {n} {noun})")
            }
            (Some(k), Some(sh), None) => format!(" ({k}, {sh})"),
            (Some(k), None, _) => format!(" ({k})"),
            _ => String::new(),
        };
        let verdict = if f.valid {
            st.good("valid  ")
        } else {
            st.severity(Severity::Error, "invalid")
        };
        let path = super::printable(&f.path);
        let _ = writeln!(s, "{verdict} {}{}", st.bold(&path), st.dim(&what));
        for e in &f.errors {
            let loc = match (e.line, e.column) {
                (Some(l), Some(c)) => format!("{path}:{l}:{c}"),
                _ => path.to_string(),
            };
            let at = if e.pointer.is_empty() {
                String::new()
            } else {
                format!(" (at {})", e.pointer)
            };
            let _ = writeln!(
                s,
                "  {loc}: {} {}{}",
                st.severity(e.severity, &format!("{}[{}]", e.severity, e.code)),
                super::printable(&e.message),
                st.dim(&at)
            );
        }
    }
    if quiet {
        return s;
    }
    let _ = writeln!(
        s,
        "{} file{}: {} valid, {} invalid",
        out.summary.files,
        if out.summary.files == 1 { "" } else { "s" },
        out.summary.valid,
        out.summary.invalid
    );
    s
}
