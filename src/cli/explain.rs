//! `vspc-billing explain`: what a finding code means, why it matters, how to fix it.

use super::Status;
use super::style::Style;
use vspc_billing::codes::{CODES, CodeDoc, lookup};

/// Explain a finding code: what it means, why it matters and how to fix it.
///
/// Without a code, lists every code with its severity and summary.
#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// The code, e.g. points-mismatch (omit to list every code)
    code: Option<String>,
    /// List every code as a Markdown table (the README's table)
    #[arg(long, conflicts_with = "code")]
    markdown: bool,
}

fn explain(c: &CodeDoc, st: Style) -> String {
    format!(
        "{} ({})\n\n{}\n\nWhy it matters: {}\n\nHow to fix it: {}\n",
        st.bold(c.code.as_str()),
        st.severity(c.severity, c.severity.as_str()),
        c.summary,
        c.why,
        c.fix
    )
}

fn list(st: Style) -> String {
    let width = CODES
        .iter()
        .map(|c| c.code.as_str().len())
        .max()
        .unwrap_or(0);
    let mut s = String::new();
    for c in CODES {
        s.push_str(&format!(
            "{}{} {} {}\n",
            st.bold(c.code.as_str()),
            " ".repeat(width - c.code.as_str().len()),
            st.severity(c.severity, &format!("{:<7}", c.severity.as_str())),
            c.summary
        ));
    }
    s
}

fn markdown() -> String {
    let mut s = String::from("| code | severity | meaning |\n|---|---|---|\n");
    for c in CODES {
        s.push_str(&format!(
            "| `{}` | {} | {} |\n",
            c.code,
            c.severity,
            c.summary.replace('|', "\\|")
        ));
    }
    s
}

pub(super) fn run(args: &Args) -> Status {
    let st = Style::stdout();
    match &args.code {
        None if args.markdown => super::emit(markdown()),
        None => super::emit(list(st)),
        Some(code) => {
            if let Some(c) = lookup(code.trim()) {
                super::emit(explain(c, st));
            } else {
                let msg = vspc_billing::audit::known_code(code.trim())
                    .err()
                    .unwrap_or_default();
                return super::usage_error(&msg);
            }
        }
    }
    Status::Ok
}
