//! Scheduling: which thread does what, in which order, and when memory is freed.
//!
//! The checks and the billing are written as if they ran on one file at a time; this module
//! runs them over many:
//! - [`Pool`]: the threads of a run (`--threads`, capped far above the cores);
//! - [`each_file`]: files go to the threads whole and their results come back in input
//!   order, so the output is the same whatever the number of threads ([`with_file`]: one
//!   file, for work that writes while it is loaded);
//! - [`split_plan`]: a file that is a large share of the input is itself parsed and audited on
//!   several threads ([`Split`]);
//! - a split file's model is freed on a thread of its own, off the path to the output;
//! - [`Observer`]: progress, one call per finished file.

use crate::load::{LoadOptions, LoadedFile, Source, Split, load_source};
use rayon::prelude::*;

/// Told about the progress of a run (the command line draws a progress bar with it).
pub trait Observer: Sync {
    /// One input of `bytes` bytes is done.
    fn file_done(&self, bytes: usize) {
        let _ = bytes;
    }
}

/// An observer that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unobserved;

impl Observer for Unobserved {}

/// The threads of one run.
#[derive(Debug)]
pub struct Pool {
    pool: rayon::ThreadPool,
    /// The number asked for, when it was capped ([`Pool::new`]).
    pub capped_from: Option<usize>,
}

/// The most threads a run starts: far more than the cores only costs time (each thread has
/// its own stack and queue) and never changes the output.
#[must_use]
pub fn thread_cap(cores: usize) -> usize {
    cores.saturating_mul(4).max(64)
}

impl Pool {
    /// `threads` threads (all cores when `None`), at most [`thread_cap`].
    ///
    /// # Errors
    /// Zero threads, or threads that cannot be started.
    pub fn new(threads: Option<usize>) -> Result<Self, String> {
        let mut b = rayon::ThreadPoolBuilder::new();
        let mut capped_from = None;
        if let Some(n) = threads {
            if n == 0 {
                return Err("--threads must be at least 1".to_owned());
            }
            let cap = thread_cap(cores());
            if n > cap {
                capped_from = Some(n);
            }
            b = b.num_threads(n.min(cap));
        }
        let pool = b
            .build()
            .map_err(|e| format!("cannot start threads: {e}"))?;
        Ok(Self { pool, capped_from })
    }

    /// The number of threads.
    #[must_use]
    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// Runs `f` on the pool's threads.
    pub fn install<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        self.pool.install(f)
    }
}

/// The cores of this machine.
#[must_use]
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// Decides, for each input, whether to split it ([`Split`]), given the threads of the pool.
///
/// Across files the pool is kept busy by giving each thread whole files; a file is split
/// only when it alone is a large share of the work: the pool has more than one thread and
/// `size × threads > 1.5 × total size of the inputs`. One large file on 2 threads: split;
/// two equal files on 2 threads: not; two on 16 threads: split; 48 files of 8 MB on 16
/// threads: not. Sizes are those of the file system before reading; standard input, of
/// unknown size, is split only when it is the only input.
#[must_use]
pub fn split_plan(sources: &[Source], threads: usize) -> Vec<Split> {
    if threads <= 1 {
        return vec![Split::Never; sources.len()];
    }
    if let [Source::Stdin] = sources {
        return vec![Split::Always];
    }
    let sizes: Vec<u64> = sources
        .iter()
        .map(|s| match s {
            Source::File(p) => std::fs::metadata(p).map_or(0, |m| m.len()),
            Source::Stdin => 0,
        })
        .collect();
    let total: u128 = sizes.iter().map(|&s| u128::from(s)).sum();
    let threads = threads as u128;
    sizes
        .into_iter()
        .map(|size| {
            // size × threads > 1.5 × total, in integers.
            if 2 * u128::from(size) * threads > 3 * total {
                Split::Always
            } else {
                Split::Never
            }
        })
        .collect()
}

/// Loads each source (with `base`, split where [`split_plan`] says so for the current
/// pool), hands it to `work`, tells `observer`, and frees it; the results come back in the
/// order of `sources`. Call it inside [`Pool::install`].
pub fn each_file<R: Send>(
    sources: &[Source],
    base: &LoadOptions,
    observer: &dyn Observer,
    work: impl Fn(&LoadedFile) -> R + Sync,
) -> Vec<R> {
    let dropper = Dropper::new();
    let plan = split_plan(sources, rayon::current_num_threads());
    sources
        .par_iter()
        .zip(plan)
        .map(|(source, split)| {
            let file = load_source(source, &LoadOptions { split, ..*base });
            let result = work(&file);
            observer.file_done(file.text.len());
            dropper.free(file);
            result
        })
        .collect()
}

/// Loads one source as [`each_file`] would load it alone and hands it to `work`, which may
/// hold mutable borrows (a run that numbers and writes while the file is loaded). Call it
/// inside [`Pool::install`].
pub fn with_file<R>(
    source: &Source,
    base: &LoadOptions,
    observer: &dyn Observer,
    work: impl FnOnce(&LoadedFile) -> R,
) -> R {
    let split = split_plan(std::slice::from_ref(source), rayon::current_num_threads())
        .pop()
        .unwrap_or(Split::Never);
    let file = load_source(source, &LoadOptions { split, ..*base });
    let result = work(&file);
    observer.file_done(file.text.len());
    Dropper::new().free(file);
    result
}

/// Frees loaded files on a thread of its own. Freeing the typed model of one large file is
/// one thread's work of tens of milliseconds (about 45 ms for 100 MB) that would otherwise
/// sit between its checks and the output; here it overlaps the rest of the run, and a file
/// still being freed when the command ends is left to the operating system, which takes the
/// process's memory back at once. One file waits at most: memory stays bounded.
struct Dropper {
    tx: std::sync::mpsc::SyncSender<LoadedFile>,
}

impl Dropper {
    /// Starts the freeing thread (it ends when the sender is dropped, or with the process).
    fn new() -> Self {
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
    fn free(&self, file: LoadedFile) {
        if file.split == Split::Never {
            return;
        }
        if let Err(e) = self.tx.send(file) {
            drop(e.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_split_only_when_it_is_a_large_share_of_the_input() {
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, size: usize| {
            let p = dir.path().join(name);
            std::fs::write(&p, vec![b' '; size]).unwrap();
            Source::File(p)
        };
        let big = file("big.json", 1000);
        let twin = file("twin.json", 1000);
        let small: Vec<Source> = (0..48).map(|i| file(&format!("{i}.json"), 100)).collect();
        let (n, a) = (Split::Never, Split::Always);
        assert_eq!(split_plan(std::slice::from_ref(&big), 1), [n]);
        assert_eq!(split_plan(std::slice::from_ref(&big), 2), [a]);
        assert_eq!(split_plan(&[big.clone(), twin.clone()], 2), [n, n]);
        // 1000 × 3 is not more than 1.5 × 2000; 1000 × 4 is.
        assert_eq!(split_plan(&[big.clone(), twin.clone()], 3), [n, n]);
        assert_eq!(split_plan(&[big.clone(), twin.clone()], 4), [a, a]);
        assert_eq!(split_plan(&[big.clone(), twin], 16), [a, a]);
        assert_eq!(split_plan(&small, 16), vec![n; 48]);
        // One large file among small ones: 1000 × 4 > 1.5 × 1300.
        let mut mixed = vec![big];
        mixed.extend(small[..3].iter().cloned());
        assert_eq!(split_plan(&mixed, 4), [a, n, n, n]);
        assert_eq!(split_plan(&[Source::Stdin], 2), [a]);
        assert_eq!(split_plan(&[Source::Stdin], 1), [n]);
        assert_eq!(split_plan(&[Source::Stdin, small[0].clone()], 2), [n, a]);
        let missing = Source::File(dir.path().join("missing.json"));
        assert_eq!(split_plan(&[missing], 2), [n]);
    }

    #[test]
    fn results_come_back_in_input_order_on_any_pool() {
        let dir = tempfile::tempdir().unwrap();
        let sources: Vec<Source> = (0..20)
            .map(|i| {
                let p = dir.path().join(format!("{i}.json"));
                std::fs::write(&p, format!("{{\"reportStatus\":\"Approved\",\"x\":{i}}}")).unwrap();
                Source::File(p)
            })
            .collect();
        for threads in [1, 3, 8] {
            let pool = Pool::new(Some(threads)).unwrap();
            let names = pool.install(|| {
                each_file(&sources, &LoadOptions::DEFAULT, &Unobserved, |f| {
                    f.name.clone()
                })
            });
            let expected: Vec<String> = sources.iter().map(Source::name).collect();
            assert_eq!(names, expected);
        }
        assert_eq!(
            Pool::new(Some(1_000_000)).unwrap().capped_from,
            Some(1_000_000)
        );
        assert!(Pool::new(Some(0)).is_err());
    }
}
