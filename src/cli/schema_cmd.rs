//! `vspc-billing schema`: writes the generated JSON Schemas.

use super::Status;
use std::path::PathBuf;

/// Write the JSON Schemas (draft 2020-12) generated from the tool's types.
#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// Folder to write into (created if missing); without it, the schemas are listed
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Compare the files in --out with the generated schemas instead of writing; exit 1 when they differ
    #[arg(long, requires = "out")]
    check: bool,
}

pub(super) fn run(args: &Args) -> Status {
    let files = vspc_billing::schema::schema_files();
    let Some(dir) = &args.out else {
        for (name, _) in &files {
            println!("{name}");
        }
        return Status::Ok;
    };
    if args.check {
        let mut status = Status::Ok;
        for (name, content) in &files {
            let path = dir.join(name);
            match std::fs::read_to_string(&path) {
                Ok(existing) if existing == *content => println!("up to date  {}", path.display()),
                Ok(_) => {
                    println!("differs     {}", path.display());
                    status = Status::Invalid;
                }
                Err(e) => {
                    println!("missing     {} ({e})", path.display());
                    status = Status::Invalid;
                }
            }
        }
        return status;
    }
    if let Err(e) = std::fs::create_dir_all(dir) {
        return super::usage_error(&format!("cannot create {}: {e}", dir.display()));
    }
    for (name, content) in &files {
        let path = dir.join(name);
        if let Err(e) = vspc_billing::output::write_atomic(&path, content.as_bytes()) {
            return super::usage_error(&format!("cannot write {}: {e}", path.display()));
        }
        println!("wrote {}", path.display());
    }
    Status::Ok
}
