//! The `vspc-billing` command: parses arguments, calls the library, maps the result to an
//! exit status.

mod cli;

// The parse and the invoice builder allocate many small strings and vectors; mimalloc
// handles that pattern markedly faster than the system allocator (see BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    tune_allocator();
    cli::main()
}

/// mimalloc returns freed memory to the system after a delay (1 s by default). Files are
/// read, checked and dropped one after another, so a shorter delay keeps the peak memory
/// of a long run near that of the files in flight (BENCHMARKS.md: 120 MB against 85 MB
/// for the 400 MB corpus on two threads) at no measurable cost; much shorter delays cost
/// time. (The `no_thp` feature keeps mimalloc from asking for 2 MiB pages, which the
/// kernel zeroes whole: short runs spent more time there than in the program.)
fn tune_allocator() {
    // `mi_option_purge_delay` in mimalloc.h (libmimalloc-sys names the options before it and
    // after it, 14 and 16, but not this one).
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: `mi_option_set` only stores an integer option; `purge_delay` is read each
    // time mimalloc schedules a purge, so setting it at any time is sound.
    unsafe {
        libmimalloc_sys::mi_option_set(PURGE_DELAY, 100);
    }
}
