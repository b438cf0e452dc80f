//! The `vspc-billing` command: parses arguments, calls the library, maps the result to an
//! exit status.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
