//! Baseline for the benchmark: typed, exact-decimal parsing alone (read the file, parse it
//! into the model, drop it), one thread, no checks. `audit` is measured against this.
//!
//! `cargo run --release --example parse_baseline -- FILES_OR_DIRS...`

use std::time::Instant;

// The same allocator as the tool, so that the comparison is of the work, not the allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use vspc_billing::load::{Source, expand};
use vspc_billing::model::LicenseReportCollection;

fn main() {
    let paths: Vec<std::path::PathBuf> = std::env::args_os().skip(1).map(Into::into).collect();
    let inputs = expand(&paths);
    let start = Instant::now();
    let mut bytes = 0usize;
    let mut reports = 0usize;
    for s in &inputs.sources {
        let Source::File(p) = s else { continue };
        let text = std::fs::read(p).expect("readable file");
        bytes += text.len();
        let Ok(text) = std::str::from_utf8(&text) else {
            continue;
        };
        match vspc_billing::strict::from_str::<LicenseReportCollection>(text) {
            Ok(c) => reports += c.data.len(),
            Err(e) => eprintln!("{}: {e}", p.display()),
        }
    }
    let secs = start.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss)]
    let mb = bytes as f64 / 1e6;
    println!(
        "{reports} reports, {mb:.1} MB in {secs:.3} s: {:.1} MB/s",
        mb / secs
    );
}
