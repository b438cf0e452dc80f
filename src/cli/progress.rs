//! A progress bar on stderr (files, MB, rate, ETA) for runs longer than a moment; hidden when
//! stderr is not a terminal or with `--quiet`, so output to files and pipes stays clean.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use vspc_billing::load::Source;
use vspc_billing::schedule::Observer;

/// Shown only after this long, so quick runs print nothing.
const DELAY: Duration = Duration::from_millis(400);

/// Progress over a list of inputs, safe to update from worker threads.
pub(super) struct Progress {
    bar: Option<ProgressBar>,
    start: Instant,
    shown: AtomicBool,
    files: AtomicUsize,
    total_files: usize,
}

impl Progress {
    /// Progress over `sources`; inert when `quiet` or stderr is not a terminal.
    pub(super) fn new(sources: &[Source], quiet: bool) -> Self {
        let enabled = !quiet && std::io::stderr().is_terminal();
        let bar = enabled.then(|| {
            let total: u64 = sources
                .iter()
                .map(|s| match s {
                    Source::File(p) => std::fs::metadata(p).map_or(0, |m| m.len()),
                    Source::Stdin => 0,
                })
                .sum();
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} {msg} files  {bytes}/{total_bytes}  {bytes_per_sec}  ETA {eta}  [{wide_bar}]",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar
        });
        Self {
            bar,
            start: Instant::now(),
            shown: AtomicBool::new(false),
            files: AtomicUsize::new(0),
            total_files: sources.len(),
        }
    }

    /// Clears the bar before the results are printed.
    pub(super) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Observer for Progress {
    /// Records one finished input of `bytes` bytes.
    fn file_done(&self, bytes: usize) {
        let Some(bar) = &self.bar else { return };
        let done = self.files.fetch_add(1, Ordering::Relaxed) + 1;
        if !self.shown.load(Ordering::Relaxed) && self.start.elapsed() > DELAY {
            self.shown.store(true, Ordering::Relaxed);
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.enable_steady_tick(Duration::from_millis(120));
        }
        bar.set_message(format!("{done}/{}", self.total_files));
        bar.inc(u64::try_from(bytes).unwrap_or(u64::MAX));
    }
}
