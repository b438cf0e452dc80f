//! `vspc-billing register`: what the register of issued invoices holds.

use super::config::Config;
use super::{Status, printable};
use std::fmt::Write as _;
use std::path::PathBuf;
use vspc_billing::register::{Entry, Register};

/// Show the register of issued invoices: every invoice and credit note, with its number,
/// dates, customer, amounts and the documents written.
#[derive(Debug, clap::Args)]
pub(super) struct Args {
    #[command(subcommand)]
    command: Sub,
    /// The register (SQLite); or `register` in [invoice] of vspc-billing.toml
    #[arg(long, value_name = "FILE", global = true)]
    register: Option<PathBuf>,
}

#[derive(Debug, clap::Subcommand)]
enum Sub {
    /// List invoices and credit notes, by period and number
    List {
        /// Only this billing month, YYYY-MM
        #[arg(long, value_name = "PERIOD")]
        period: Option<String>,
        /// Only the organization with this UID, or whose name contains this text
        #[arg(long, value_name = "UID")]
        tenant: Option<String>,
        /// Output format
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Show one invoice or credit note, with the context its documents were rendered from
    Show {
        /// Its number
        number: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// One line per document
    Text,
    /// A JSON array
    Json,
    /// One row per document, for spreadsheets (cells starting with = + - @ are neutralised)
    Csv,
}

pub(super) fn run(args: &Args, config: &Config) -> Status {
    let Some(path) = config.path_or(args.register.as_ref(), config.invoice.register.as_ref())
    else {
        return super::usage_error(
            "--register FILE is required (or `register` in [invoice] of vspc-billing.toml)",
        );
    };
    if !path.is_file() {
        return super::usage_error(&format!("register {}: no such file", path.display()));
    }
    let register = match Register::open(&path) {
        Ok(r) => r,
        Err(e) => return super::usage_error(&e),
    };
    match &args.command {
        Sub::List {
            period,
            tenant,
            format,
        } => match register.list(period.as_deref(), tenant.as_deref()) {
            Ok(entries) => {
                let out = match format {
                    Format::Text => Ok(text(&entries)),
                    Format::Json => Ok(json(&entries)),
                    Format::Csv => csv(&entries),
                };
                match out {
                    Ok(t) => {
                        super::emit(t);
                        Status::Ok
                    }
                    Err(e) => super::usage_error(&format!("cannot write the CSV: {e}")),
                }
            }
            Err(e) => super::usage_error(&e),
        },
        Sub::Show { number } => match register.show(number) {
            Ok(Some((entry, context))) => {
                let shown = serde_json::json!({ "entry": entry, "context": context });
                super::emit(format!(
                    "{}\n",
                    serde_json::to_string_pretty(&shown).unwrap_or_default()
                ));
                Status::Ok
            }
            Ok(None) => {
                eprintln!(
                    "vspc-billing: error: {} is not in register {}",
                    printable(number),
                    path.display()
                );
                Status::Invalid
            }
            Err(e) => super::usage_error(&e),
        },
    }
}

fn text(entries: &[Entry]) -> String {
    let mut o = String::new();
    for e in entries {
        let note = match (&e.corrects, &e.superseded_by) {
            (Some(c), _) if e.kind == "credit-note" => format!("  cancels {c}"),
            (Some(c), None) => format!("  replaces {c}"),
            (_, Some(s)) => format!("  cancelled by {s}"),
            _ => String::new(),
        };
        let _ = writeln!(
            o,
            "{:<16} {:<11} {} {} {:>12} {}  {} ({}){note}",
            printable(&e.number),
            e.kind,
            e.issue_date,
            e.period,
            e.total,
            e.currency,
            printable(&e.organization_name),
            printable(&e.organization_uid),
        );
    }
    let _ = writeln!(
        o,
        "{} document{}",
        entries.len(),
        if entries.len() == 1 { "" } else { "s" }
    );
    o
}

fn json(entries: &[Entry]) -> String {
    format!(
        "{}\n",
        serde_json::to_string_pretty(entries).unwrap_or_default()
    )
}

const CSV_HEADER: [&str; 16] = [
    "number",
    "kind",
    "issue_date",
    "due_date",
    "period",
    "organization_uid",
    "organization_name",
    "currency",
    "points",
    "subtotal",
    "discount",
    "tax",
    "total",
    "corrects",
    "superseded_by",
    "documents",
];

fn csv(entries: &[Entry]) -> Result<String, csv::Error> {
    super::csv_table(
        &CSV_HEADER,
        entries.iter().map(|e| {
            [
                e.number.clone(),
                e.kind.clone(),
                e.issue_date.clone(),
                e.due_date.clone(),
                e.period.clone(),
                e.organization_uid.clone(),
                e.organization_name.clone(),
                e.currency.clone(),
                e.points.clone(),
                e.subtotal.clone(),
                e.discount.clone(),
                e.tax.clone(),
                e.total.clone(),
                e.corrects.clone().unwrap_or_default(),
                e.superseded_by.clone().unwrap_or_default(),
                e.documents.join(" "),
            ]
        }),
    )
}
