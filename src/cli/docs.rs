//! What the command says about itself: examples and exit statuses under every `--help`,
//! shell completions (`completions SHELL`) and man pages (`man`, `man --out DIR`).

use super::{Cli, Status};
use clap::CommandFactory;
use std::path::PathBuf;

macro_rules! after_help {
    ($examples:expr, $status:expr) => {
        concat!("Examples:\n", $examples, "\nExit status: ", $status)
    };
}

/// Under `vspc-billing --help`.
pub(super) const MAIN_AFTER_HELP: &str = after_help!(
    "  vspc-billing validate exports/
  vspc-billing audit exports/ --format sarif > audit.sarif
  vspc-billing invoice exports/2026-11/ --rates rates.toml --out invoices/2026-11/
  vspc-billing invoice exports/2026-11/        (with vspc-billing.toml giving rates and out)
  vspc-billing explain points-mismatch
",
    "0 everything checked out or was billed; 1 some input is invalid, has error findings or \
was refused; 2 usage error, unreadable path, or nothing written."
);

/// Under `validate --help`.
pub(super) const VALIDATE_AFTER_HELP: &str = after_help!(
    "  vspc-billing validate samples/
  vspc-billing validate export.json --format json
  curl ... | vspc-billing validate -
",
    "0 every input is valid; 1 some input is invalid; 2 usage error or unreadable path."
);

/// Under `audit --help`.
pub(super) const AUDIT_AFTER_HELP: &str = after_help!(
    "  vspc-billing audit exports/
  vspc-billing audit exports/ --allow weight-unexpected,report-not-approved
  vspc-billing audit exports/ --deny warnings --format json
  vspc-billing audit exports/ --format csv > findings.csv
",
    "0 no error finding; 1 some error finding (after --allow and --deny); 2 usage error or \
unreadable path."
);

/// Under `invoice --help`.
pub(super) const INVOICE_AFTER_HELP: &str = after_help!(
    "  vspc-billing invoice exports/2026-11/ --rates rates.toml --out invoices/2026-11/
  vspc-billing invoice report.json --rates rates.toml --out out/ --outputs csv,summary
  vspc-billing invoice exports/ --rates rates.toml --out out/ --allow-unapproved --force
  vspc-billing invoice exports/2026-11/        (rates and out from vspc-billing.toml)
  vspc-billing invoice exports/2026-11/ --rates rates.toml --out invoices/2026-11/ --register
  vspc-billing invoice exports/2026-11/ --rates rates.toml --out invoices/2026-11/ --register --correct --force
",
    "0 everything billed; 1 some file, report or tenant refused (the others are written), a \
[tenants.\"UID\"] of the rate card matches no organization (unknown-tenant: nothing written; \
--allow unknown-tenant bills anyway), or an issued invoice would change (invoice-changed: \
nothing written); 2 usage or I/O error, invalid rate card or template, existing files without \
--force, another run writing into --out, or a register in use for longer than a minute \
(nothing written)."
);

/// Under `register --help`.
pub(super) const REGISTER_AFTER_HELP: &str = after_help!(
    "  vspc-billing register --register register.sqlite list --period 2026-11
  vspc-billing register --register register.sqlite list --tenant contoso --format csv
  vspc-billing register --register register.sqlite show 2026-11-0042
",
    "0 listed or shown; 1 no such number; 2 usage error, or a register that cannot be read."
);

/// Under `report --help`.
pub(super) const REPORT_AFTER_HELP: &str = after_help!(
    "  vspc-billing report exports/ --out report.html
  vspc-billing report exports/ --out report.html --change-percent 30 --allow tenant-appeared
  vspc-billing report exports/ --format csv > series.csv
  vspc-billing report exports/ --format json --out series.json
",
    "0 written, no error finding; 1 written, some error finding (after --allow and --deny); 2 \
usage error, unreadable path, or --out exists without --force (nothing written)."
);

/// Under `explain --help`.
pub(super) const EXPLAIN_AFTER_HELP: &str = after_help!(
    "  vspc-billing explain points-mismatch
  vspc-billing explain
  vspc-billing explain --markdown
",
    "0 explained; 2 unknown code."
);

/// Under `schema --help`.
pub(super) const SCHEMA_AFTER_HELP: &str = after_help!(
    "  vspc-billing schema --out schemas/
  vspc-billing schema --out schemas/ --check
",
    "0 written or up to date; 1 --check found a difference; 2 cannot write."
);

/// Under `corpus --help`.
pub(super) const CORPUS_AFTER_HELP: &str = after_help!(
    "  vspc-billing corpus --out /tmp/corpus --tenants 30 --inject 3
  vspc-billing corpus --out /tmp/big --owners 2 --months 24 --tenants 4300
",
    "0 written; 2 usage error or cannot write."
);

/// Under `completions --help`.
pub(super) const COMPLETIONS_AFTER_HELP: &str = after_help!(
    "  vspc-billing completions bash > ~/.local/share/bash-completion/completions/vspc-billing
  vspc-billing completions zsh > ~/.zfunc/_vspc-billing
  vspc-billing completions fish > ~/.config/fish/completions/vspc-billing.fish
",
    "0 printed."
);

/// Under `man --help`.
pub(super) const MAN_AFTER_HELP: &str = after_help!(
    "  vspc-billing man | man -l -
  vspc-billing man --out /usr/local/share/man/man1
",
    "0 printed or written; 2 cannot write."
);

/// `completions SHELL`.
#[derive(Debug, clap::Args)]
pub(super) struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// `man [--out DIR]`.
#[derive(Debug, clap::Args)]
pub(super) struct ManArgs {
    /// Write vspc-billing.1 and one page per command (vspc-billing-audit.1, ...) into this
    /// folder (created if missing) instead of printing the main page
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

pub(super) fn completions(args: &CompletionsArgs) -> Status {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "vspc-billing", &mut script);
    super::emit(script);
    Status::Ok
}

/// The man pages: the main one, then one per command, as (file name, roff text).
fn man_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let cmd = Cli::command();
    let mut pages = Vec::new();
    let mut main = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut main)?;
    pages.push(("vspc-billing.1".to_owned(), main));
    for sub in cmd.get_subcommands() {
        let name = format!("vspc-billing-{}", sub.get_name());
        let mut page = Vec::new();
        clap_mangen::Man::new(sub.clone().name(name.clone())).render(&mut page)?;
        pages.push((format!("{name}.1"), page));
    }
    Ok(pages)
}

pub(super) fn man(args: &ManArgs) -> Status {
    let pages = match man_pages() {
        Ok(p) => p,
        Err(e) => return super::usage_error(&format!("cannot render the man pages: {e}")),
    };
    let Some(dir) = &args.out else {
        super::emit(&pages[0].1);
        return Status::Ok;
    };
    if let Err(e) = std::fs::create_dir_all(dir) {
        return super::usage_error(&format!("cannot create {}: {e}", dir.display()));
    }
    for (name, page) in &pages {
        let path = dir.join(name);
        if let Err(e) = vspc_billing::output::write_atomic(&path, page) {
            return super::usage_error(&format!("cannot write {}: {e}", path.display()));
        }
        if !super::quiet() {
            println!("wrote {}", path.display());
        }
    }
    Status::Ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_has_examples_and_exit_statuses() {
        let cmd = Cli::command();
        cmd.clone().debug_assert();
        for sub in cmd.get_subcommands() {
            let help = sub
                .get_after_help()
                .map(ToString::to_string)
                .unwrap_or_default();
            assert!(
                help.starts_with("Examples:\n  vspc-billing "),
                "{}",
                sub.get_name()
            );
            assert!(help.contains("\nExit status: 0 "), "{}", sub.get_name());
        }
    }

    #[test]
    fn a_man_page_per_command() {
        let pages = man_pages().unwrap();
        let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names[0], "vspc-billing.1");
        for sub in [
            "validate",
            "audit",
            "invoice",
            "report",
            "explain",
            "schema",
            "corpus",
            "completions",
            "man",
        ] {
            assert!(
                names.contains(&format!("vspc-billing-{sub}.1").as_str()),
                "{names:?}"
            );
        }
        let main = String::from_utf8(pages[0].1.clone()).unwrap();
        assert!(
            main.starts_with(".ie \\n(.g .ds Aq \\(aq"),
            "{}",
            &main[..60]
        );
        assert!(
            main.contains("vspc\\-billing\\-invoice(1)"),
            "the main page lists the commands"
        );
    }
}
