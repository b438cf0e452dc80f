//! `vspc-billing audit`: every check on every input, printed as text, JSON, SARIF or CSV.

use super::config::Config;
use super::progress::Progress;
use super::style::Style;
use super::{AuditArgs, InputArgs, Status, TrendArgs};
use clap::ValueEnum;
use serde::Serialize;
use serde_json::json;
use vspc_billing::audit::run::AuditSummary;
use vspc_billing::codes::CODES;
use vspc_billing::diag::{Finding, Severity};
use vspc_billing::load::expand;

/// Recompute every point exactly and flag each inconsistency with a stable code.
///
/// Loads every input as `validate` does (a file that fails to load gives its problems as
/// findings) and runs every check: dates and interval, points of each row, every roll-up,
/// status, excluded servers, paging, duplicates and gaps across files, weights, site
/// counters. `vspc-billing explain CODE` tells what a code means.
#[derive(Debug, clap::Args)]
pub(super) struct Args {
    #[command(flatten)]
    input: InputArgs,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    #[command(flatten)]
    audit: AuditArgs,
    #[command(flatten)]
    trends: TrendArgs,
}

/// `--format` of the audit command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum Format {
    /// Findings grouped by file and a one-line summary; coloured on a terminal (honours `NO_COLOR`)
    Text,
    /// {"findings":[...],"summary":{...}}
    Json,
    /// SARIF 2.1.0, for code-scanning viewers
    Sarif,
    /// One row per finding, for spreadsheets (cells starting with = + - @ are neutralised)
    Csv,
}

#[derive(Debug, Serialize)]
struct Output<'a> {
    findings: &'a [Finding],
    summary: &'a AuditSummary,
}

pub(super) fn run(args: &Args, config: &Config) -> Status {
    let (opts, load, pool) =
        match super::audit_setup(&args.audit, &args.trends, &args.input, config) {
            Ok(x) => x,
            Err(e) => return super::usage_error(&e),
        };
    let inputs = expand(&args.input.paths);
    super::warn_inputs(&inputs);
    let progress = Progress::new(&inputs.sources, super::quiet());
    let run = pool.install(|| vspc_billing::audit::run::run(&inputs, &load, &opts, &progress));
    progress.finish();
    let (findings, summary) = (&run.findings, &run.summary);
    let text = match args.format {
        Format::Text => render_text(findings, summary, Style::stdout()),
        Format::Json => {
            serde_json::to_string_pretty(&Output { findings, summary }).expect("findings serialize")
                + "\n"
        }
        Format::Sarif => {
            serde_json::to_string_pretty(&sarif(findings)).expect("SARIF serializes") + "\n"
        }
        Format::Csv => match render_csv(findings) {
            Ok(s) => s,
            Err(e) => return super::usage_error(&format!("cannot write CSV: {e}")),
        },
    };
    super::emit(text);
    if run.io_error {
        Status::Usage
    } else if summary.errors > 0 {
        Status::Invalid
    } else {
        Status::Ok
    }
}

use super::printable as clean;

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Findings grouped by file, then the summary line; with `--quiet`, the error findings
/// alone.
fn render_text(findings: &[Finding], summary: &AuditSummary, st: Style) -> String {
    use std::fmt::Write;
    let quiet = super::quiet();
    let errors: Vec<Finding>;
    let findings = if quiet {
        errors = findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .cloned()
            .collect();
        &errors[..]
    } else {
        findings
    };
    let mut s = String::new();
    let mut i = 0;
    while i < findings.len() {
        let file = &findings[i].file;
        let group: Vec<&Finding> = findings[i..]
            .iter()
            .take_while(|f| &f.file == file)
            .collect();
        i += group.len();
        let count = |sev| group.iter().filter(|f| f.severity == sev).count();
        let mut counts = Vec::new();
        for (sev, one, many) in [
            (Severity::Error, "error", "errors"),
            (Severity::Warning, "warning", "warnings"),
            (Severity::Info, "info", "infos"),
        ] {
            let n = count(sev);
            if n > 0 {
                counts.push(plural(n, one, many));
            }
        }
        let _ = writeln!(
            s,
            "{} {}",
            st.bold(&clean(file)),
            st.dim(&format!("({})", counts.join(", ")))
        );
        for f in group {
            let _ = writeln!(
                s,
                "  {}: {} {}",
                clean(&f.location()),
                st.severity(f.severity, &format!("{}[{}]", f.severity, f.code)),
                clean(&f.message)
            );
            let mut detail = Vec::new();
            if let (Some(e), Some(v)) = (&f.expected, &f.found) {
                detail.push(format!("expected {e}, found {v}"));
            } else if let Some(v) = &f.found {
                detail.push(format!("found {v}"));
            }
            if !f.pointer.is_empty() {
                detail.push(format!("at {}", clean(&f.pointer)));
            }
            if !detail.is_empty() {
                let _ = writeln!(s, "      {}", st.dim(&detail.join("; ")));
            }
        }
    }
    if quiet {
        return s;
    }
    let mut what = vec![plural(summary.reports, "report", "reports")];
    what.push(plural(summary.sites, "site", "sites"));
    let not_loaded = summary.files - summary.loaded;
    if not_loaded > 0 {
        what.push(format!("{not_loaded} not loaded"));
    }
    let _ = write!(
        s,
        "{} checked ({}): {}, {}, {}",
        plural(summary.files, "file", "files"),
        what.join(", "),
        st.severity(Severity::Error, &plural(summary.errors, "error", "errors")),
        st.severity(
            Severity::Warning,
            &plural(summary.warnings, "warning", "warnings")
        ),
        st.severity(Severity::Info, &plural(summary.infos, "info", "infos")),
    );
    if summary.allowed > 0 {
        let _ = write!(s, "; {} allowed", summary.allowed);
    }
    s.push('\n');
    s
}

/// A file name as a SARIF artifact URI (RFC 3986: unreserved characters and `/` kept,
/// the rest percent-encoded; absolute paths become `file://` URIs).
fn artifact_uri(name: &str) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    /// RFC 3986 unreserved characters and `/` stay as they are.
    const KEEP: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~')
        .remove(b'/');
    let path = name.replace('\\', "/");
    let scheme = if path.starts_with('/') { "file://" } else { "" };
    format!("{scheme}{}", utf8_percent_encode(&path, KEEP))
}

const fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn sarif(findings: &[Finding]) -> serde_json::Value {
    let rules: Vec<serde_json::Value> = CODES
        .iter()
        .map(|c| {
            json!({
                "id": c.code,
                "shortDescription": { "text": c.summary },
                "fullDescription": { "text": c.why },
                "help": { "text": format!("{} (vspc-billing explain {})", c.fix, c.code) },
                "defaultConfiguration": { "level": sarif_level(c.severity) },
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| {
            let mut physical = json!({ "artifactLocation": { "uri": artifact_uri(&f.file) } });
            if let (Some(l), Some(c)) = (f.line, f.column) {
                physical["region"] = json!({ "startLine": l, "startColumn": c });
            }
            let mut location = json!({ "physicalLocation": physical });
            if !f.pointer.is_empty() {
                location["logicalLocations"] =
                    json!([{ "fullyQualifiedName": f.pointer, "kind": "member" }]);
            }
            let mut r = json!({
                "ruleId": f.code,
                "level": sarif_level(f.severity),
                "message": { "text": f.message },
                "locations": [location],
            });
            if let Some(i) = CODES.iter().position(|c| c.code == f.code) {
                r["ruleIndex"] = json!(i);
            }
            let mut props = serde_json::Map::new();
            props.insert("pointer".into(), json!(f.pointer));
            if let Some(e) = &f.expected {
                props.insert("expected".into(), json!(e));
            }
            if let Some(v) = &f.found {
                props.insert("found".into(), json!(v));
            }
            r["properties"] = serde_json::Value::Object(props);
            r
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "vspc-billing",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://github.com/vspc-billing/vspc-billing",
                    "rules": rules,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

fn render_csv(findings: &[Finding]) -> Result<String, csv::Error> {
    super::csv_table(
        &[
            "code", "severity", "file", "line", "column", "pointer", "message", "expected", "found",
        ],
        findings.iter().map(|f| {
            [
                f.code.as_str().to_owned(),
                f.severity.as_str().to_owned(),
                f.file.clone(),
                f.line.map(|l| l.to_string()).unwrap_or_default(),
                f.column.map(|c| c.to_string()).unwrap_or_default(),
                f.pointer.clone(),
                f.message.clone(),
                f.expected.clone().unwrap_or_default(),
                f.found.clone().unwrap_or_default(),
            ]
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(artifact_uri("samples/a b.json"), "samples/a%20b.json");
        assert_eq!(artifact_uri("/tmp/x.json"), "file:///tmp/x.json");
        assert_eq!(artifact_uri("dir\\ü.json"), "dir/%C3%BC.json");
        assert_eq!(artifact_uri("<stdin>"), "%3Cstdin%3E");
    }

    #[test]
    fn formula_cells_are_neutralised() {
        use vspc_billing::text::neutralise;
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("-5.0"), "'-5.0");
        assert_eq!(neutralise("@SUM"), "'@SUM");
        assert_eq!(neutralise("+1"), "'+1");
        assert_eq!(neutralise("points"), "points");
    }

    #[test]
    fn control_characters_are_escaped_in_text() {
        assert_eq!(clean("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(clean("Zürich"), "Zürich");
    }
}
