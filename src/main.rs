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
    use libmimalloc_sys::{mi_option_t, mi_option_use_numa_nodes};
    // `mi_option_purge_delay` in mimalloc.h (v2 and v3) comes just before
    // `mi_option_use_numa_nodes`; libmimalloc-sys names the latter but not the former, so it
    // is named from its neighbour, and the build fails if the neighbour ever moves (the
    // enumeration was checked against the bundled headers of libmimalloc-sys 0.1.49).
    const PURGE_DELAY: mi_option_t = mi_option_use_numa_nodes - 1;
    const _: () = assert!(
        PURGE_DELAY == 15,
        "check mi_option_purge_delay in mimalloc.h"
    );
    // SAFETY: `mi_option_set` only stores an integer option; `purge_delay` is read each
    // time mimalloc schedules a purge, so setting it at any time is sound.
    unsafe {
        libmimalloc_sys::mi_option_set(PURGE_DELAY, 100);
    }
}
