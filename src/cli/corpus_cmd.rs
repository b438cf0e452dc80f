//! `vspc-billing corpus`: writes a synthetic corpus for benchmarks and tests.

use super::Status;
use std::path::PathBuf;
use vspc_billing::corpus::{Spec, write};
use vspc_billing::date::Month;

/// Write a deterministic synthetic corpus of license usage reports (for benchmarks and tests).
///
/// Files are `DIR/owner-OO/YYYY-MM.json`, one report page per owner and month, compact JSON as
/// the API sends it. The same options always write the same bytes.
#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// Folder to write into (created if missing)
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Report owners (consoles); one file per owner and month
    #[arg(long, default_value_t = 1)]
    owners: usize,
    /// Consecutive months per owner
    #[arg(long, default_value_t = 1)]
    months: usize,
    /// Tenant organizations per report (every tenth goes to the appendix)
    #[arg(long, default_value_t = 100)]
    tenants: usize,
    /// Products (licenses) per tenant, 1 to 4
    #[arg(long, default_value_t = 2)]
    products: usize,
    /// Workload rows per product, 1 to 4
    #[arg(long, default_value_t = 3)]
    rows: usize,
    /// Seed of the pseudo-random numbers
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Inconsistencies injected into each report (0: consistent)
    #[arg(long, default_value_t = 0)]
    inject: usize,
    /// First month of the series, YYYY-MM
    #[arg(long, default_value = "2025-01", value_parser = parse_month)]
    first_month: Month,
    /// Indent the JSON
    #[arg(long)]
    pretty: bool,
}

fn parse_month(s: &str) -> Result<Month, String> {
    Month::parse(s).ok_or_else(|| "expected YYYY-MM, a month 01 to 12".to_owned())
}

pub(super) fn run(a: &Args) -> Status {
    let spec = Spec {
        owners: a.owners,
        months: a.months,
        tenants: a.tenants,
        products: a.products,
        rows: a.rows,
        seed: a.seed,
        inject: a.inject,
        first_month: a.first_month,
    };
    match write(&spec, &a.out, a.pretty) {
        Ok(files) => {
            let bytes: u64 = files
                .iter()
                .filter_map(|f| std::fs::metadata(f).ok())
                .map(|m| m.len())
                .sum();
            #[allow(clippy::cast_precision_loss)] // a size for people to read
            let mb = bytes as f64 / 1e6;
            println!(
                "wrote {} files, {mb:.1} MB, in {}",
                files.len(),
                a.out.display()
            );
            Status::Ok
        }
        Err(e) => super::usage_error(&format!("cannot write the corpus: {e}")),
    }
}
