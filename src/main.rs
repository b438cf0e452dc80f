//! The `vspc-billing` command: parses arguments, calls the library, maps the result to an
//! exit status.

mod cli;

// The parse and the invoice builder allocate many small strings and vectors; mimalloc
// handles that pattern markedly faster than the system allocator (see BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
