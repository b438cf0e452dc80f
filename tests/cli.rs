//! The real binary: exit statuses, JSON output, standard input, help.

use assert_cmd::Command;
use serde_json::Value;

fn bin() -> Command {
    let mut c = Command::cargo_bin("vspc-billing").unwrap();
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR");
    c
}

fn json_of(out: &[u8]) -> Value {
    serde_json::from_slice(out).expect("stdout is JSON")
}

#[test]
fn valid_samples_exit_zero() {
    let out = bin()
        .args([
            "validate",
            "samples/seed-license-reports.json",
            "samples/seed-site-usage.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("2 files: 2 valid, 0 invalid"), "{text}");
    assert!(
        !text.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
}

#[test]
fn samples_directory_reports_every_invalid_file_and_exits_one() {
    let out = bin()
        .args(["validate", "samples/", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v = json_of(&out.stdout);
    let files = v["files"].as_array().unwrap();
    let paths: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    // Recursive, sorted, and the seeds load.
    let mut sorted = paths.clone();
    sorted.sort_unstable();
    assert_eq!(paths, sorted);
    for f in files {
        let path = f["path"].as_str().unwrap();
        let valid = f["valid"].as_bool().unwrap();
        assert_eq!(valid, !path.contains("/invalid/"), "{path}");
        for e in f["errors"].as_array().unwrap() {
            assert!(
                e["line"].as_u64().unwrap() >= 1,
                "{path}: every error has a line"
            );
            assert!(
                e["column"].as_u64().unwrap() >= 1,
                "{path}: every error has a column"
            );
            assert!(e["pointer"].is_string() && e["message"].is_string());
        }
        if !valid {
            assert!(!f["errors"].as_array().unwrap().is_empty(), "{path}");
        }
    }
    assert!(paths.contains(&"samples/seed-license-reports.json"));
    assert_eq!(v["summary"]["files"], files.len());
}

#[test]
fn stdin_is_read_with_a_dash() {
    let seed = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/samples/seed-site-usage.json"
    ))
    .unwrap();
    let out = bin()
        .args(["validate", "-", "--format", "json"])
        .write_stdin(seed)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v = json_of(&out.stdout);
    assert_eq!(v["files"][0]["path"], "<stdin>");
    assert_eq!(v["files"][0]["kind"], "site-usage");

    let out = bin()
        .args(["validate", "-"])
        .write_stdin("{\"data\": [1,")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("<stdin>:1:12: error[invalid-json]"), "{text}");
}

#[test]
fn missing_paths_and_empty_directories_are_io_errors_and_others_still_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not json").unwrap();
    let out = bin()
        .args([
            "validate",
            "--format",
            "json",
            "does-not-exist.json",
            "samples/seed-site-usage.json",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v = json_of(&out.stdout);
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 3);
    let msg = |i: usize| {
        files[i]["errors"][0]["message"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(msg(0).contains("does-not-exist.json"));
    assert!(msg(1).contains("contains no .json file"));
    assert_eq!(
        files[2]["valid"], true,
        "the readable file is still checked"
    );
}

#[test]
fn kind_can_be_forced() {
    let out = bin()
        .args(["validate", "--kind", "site-usage", "--format", "json", "-"])
        .write_stdin(r#"{"data": {"note": "no telling keys"}}"#)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json_of(&out.stdout)["files"][0]["kind"], "site-usage");
    let out = bin()
        .args(["validate", "--format", "json", "-"])
        .write_stdin(r#"{"data": {"note": "no telling keys"}}"#)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        json_of(&out.stdout)["files"][0]["errors"][0]["code"],
        "unknown-document"
    );
}

#[test]
fn output_is_the_same_whatever_the_thread_count() {
    let run = |threads: &str| {
        bin()
            .args([
                "validate",
                "samples/",
                "--format",
                "json",
                "--threads",
                threads,
            ])
            .output()
            .unwrap()
            .stdout
    };
    assert_eq!(run("1"), run("4"));
}

#[test]
fn usage_errors_exit_two_and_every_command_has_help() {
    let out = bin().args(["validate"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = bin()
        .args(["validate", "--threads", "0", "samples/"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let help = bin().arg("--help").output().unwrap();
    assert_eq!(help.status.code(), Some(0));
    let text = String::from_utf8(help.stdout).unwrap();
    let commands: Vec<String> = text
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .filter(|c| c != "help")
        .collect();
    assert!(commands.contains(&"validate".to_owned()), "{text}");
    for c in commands {
        let out = bin().args([c.as_str(), "--help"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{c} --help");
        assert!(String::from_utf8(out.stdout).unwrap().contains("Usage:"));
    }
}

#[test]
fn schema_command_writes_what_the_drift_test_expects() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .args(["schema", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    for (name, content) in vspc_billing::schema::schema_files() {
        assert_eq!(
            std::fs::read_to_string(dir.path().join(name)).unwrap(),
            content
        );
    }
    let out = bin()
        .args(["schema", "--check", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    std::fs::write(dir.path().join("site-usage.schema.json"), "{}").unwrap();
    let out = bin()
        .args(["schema", "--check", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

fn run_in(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String, String) {
    let o = bin().current_dir(dir).args(args).output().unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn completions_for_every_shell_and_man_pages() {
    for (shell, marker) in [
        ("bash", "complete -F _vspc__billing"),
        ("zsh", "#compdef vspc-billing"),
        ("fish", "complete -c vspc-billing"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[vspc-billing]"),
    ] {
        let out = bin().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains(marker), "{shell}");
        assert!(
            text.contains("invoice") && text.contains("max-input-size"),
            "{shell}"
        );
        if shell == "bash" {
            // The values of `--outputs` (a comma list parsed by hand) are offered too.
            assert!(text.contains("html md txt pdf csv summary"), "{shell}");
        }
    }
    let out = bin().args(["man"]).output().unwrap();
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains(".TH vspc-billing 1")
    );
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, _) = run_in(dir.path(), &["man", "--out", "man1"]);
    assert_eq!(code, Some(0));
    assert_eq!(stdout.lines().count(), 11, "{stdout}");
    let page = std::fs::read_to_string(dir.path().join("man1/vspc-billing-invoice.1")).unwrap();
    assert!(page.contains(".TH vspc-billing-invoice 1"));
    assert!(
        page.contains("Exit status: 0"),
        "exit statuses are in the page"
    );
}

#[test]
fn help_shows_examples_and_exit_statuses() {
    for cmd in [
        "validate",
        "audit",
        "invoice",
        "explain",
        "schema",
        "corpus",
        "completions",
        "man",
    ] {
        let out = bin().args([cmd, "--help"]).output().unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("\nExamples:\n  vspc-billing "), "{cmd}");
        assert!(text.contains("\nExit status: 0 "), "{cmd}");
    }
}

#[test]
fn colour_follows_the_flag_and_the_environment() {
    let audit = |args: &[&str], env: &[(&str, &str)]| {
        let mut c = bin();
        c.args(["audit", "samples/seed-license-reports.json"])
            .args(args);
        for (k, v) in env {
            c.env(k, v);
        }
        String::from_utf8(c.output().unwrap().stdout).unwrap()
    };
    assert!(!audit(&[], &[]).contains('\x1b'), "not a terminal");
    assert!(audit(&["--color", "always"], &[]).contains("\x1b["));
    assert!(audit(&[], &[("CLICOLOR_FORCE", "1")]).contains("\x1b["));
    assert!(!audit(&[], &[("CLICOLOR_FORCE", "0")]).contains('\x1b'));
    // CLICOLOR_FORCE wins over NO_COLOR; the flag wins over both.
    assert!(audit(&[], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]).contains("\x1b["));
    assert!(!audit(&["--color", "never"], &[("CLICOLOR_FORCE", "1")]).contains('\x1b'));
    assert!(audit(&["--color", "always"], &[("NO_COLOR", "1")]).contains("\x1b["));
}

#[test]
fn quiet_prints_errors_only() {
    let out = bin()
        .args(["audit", "samples/seed-license-reports.json", "-q"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(text.contains("error[invalid-date]"), "{text}");
    assert!(
        !text.contains("info[") && !text.contains("files checked"),
        "{text}"
    );
    let out = bin()
        .args(["validate", "samples/", "--quiet"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text.contains("valid   ") && !text.contains("files:"),
        "{text}"
    );
    assert_eq!(text.matches("invalid samples/").count(), 7, "{text}");
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .args([
            "invoice",
            "samples/reports-api-3.6-approved.json",
            "samples/seed-license-reports.json",
            "--rates",
            "samples/rates.toml",
            "--allow-unapproved",
            "--allow-findings",
            "-q",
            "--out",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stdout.is_empty() && out.stderr.is_empty(),
        "nothing but errors"
    );
}

/// The monthly job in one line: the rate card, output folder and audit options come from
/// `vspc-billing.toml` in the working folder.
#[test]
fn a_config_file_makes_the_monthly_run_one_line() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        root.join("samples/rates.toml"),
        dir.path().join("rates.toml"),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("exports")).unwrap();
    std::fs::copy(
        root.join("samples/seed-license-reports.json"),
        dir.path().join("exports/2020-02.json"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("vspc-billing.toml"),
        "[invoice]\nrates = \"rates.toml\"\nout = \"invoices\"\noutputs = [\"csv\"]\nallow_unapproved = true\n\n[audit]\nallow = [\"invalid-date\", \"unknown-tenant\"]\n",
    )
    .unwrap();
    let (code, stdout, stderr) = run_in(dir.path(), &["invoice", "exports/"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("wrote 2 files to invoices"), "{stdout}");
    assert!(dir.path().join("invoices/invoices.csv").exists());
    // The command line wins, and --config names another file.
    std::fs::write(
        dir.path().join("other.toml"),
        "[invoice]\nrates = \"rates.toml\"\n",
    )
    .unwrap();
    let (code, _, stderr) = run_in(
        dir.path(),
        &["invoice", "exports/", "--config", "other.toml"],
    );
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("--out is required (or `out` in [invoice] of vspc-billing.toml)"),
        "{stderr}"
    );
    std::fs::write(
        dir.path().join("vspc-billing.toml"),
        "[invoice]\nrate = \"r.toml\"\n",
    )
    .unwrap();
    let (code, _, stderr) = run_in(dir.path(), &["audit", "exports/"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("vspc-billing.toml:2:1: unknown field `rate`"),
        "{stderr}"
    );
}

/// `invoice` takes the audit's options, with the same meaning.
#[test]
fn invoice_gates_on_the_audit_options() {
    let dir = tempfile::tempdir().unwrap();
    let invoice = |extra: &[&str]| {
        let out = dir.path().join(format!("out{}", extra.len()));
        let o = bin()
            .args([
                "invoice",
                "samples/seed-license-reports.json",
                "--rates",
                "samples/rates.toml",
                "--allow-unapproved",
                // The sample card's tenants are billed from another report.
                "--allow",
                "unknown-tenant",
                "--outputs",
                "csv",
                "--out",
            ])
            .arg(&out)
            .args(extra)
            .output()
            .unwrap();
        (o.status.code(), String::from_utf8(o.stdout).unwrap())
    };
    let (code, text) = invoice(&[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("error-findings"));
    let (code, text) = invoice(&["--allow", "invalid-date,weight-unexpected"]);
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = invoice(&["--allow", "invalid-date", "--deny", "report-not-approved"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("report-not-approved"), "{text}");
    let out = bin()
        .args(["audit", "samples/", "--allow", "pionts-mismatch"])
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("did you mean points-mismatch?"), "{err}");
}

/// A rate card error names the key path and shows the line, with a caret at the place.
#[test]
fn rate_card_errors_show_the_key_and_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let card = dir.path().join("rates.toml");
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/rates.toml"),
    )
    .unwrap()
    .replace("per_point = 1.10", "per_piont = 1.10");
    let line = 1 + text
        .lines()
        .position(|l| l.starts_with("per_piont"))
        .unwrap();
    std::fs::write(&card, text).unwrap();
    let out = bin()
        .args([
            "invoice",
            "samples/reports-api-3.6-approved.json",
            "--rates",
        ])
        .arg(&card)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(&format!(
            ":{line}:1: default.per_piont: unknown field `per_piont`"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "did you mean `per_point`?\n   |\n{line} | per_piont = 1.10\n   | ^\n"
        )),
        "{err}"
    );
    assert!(!dir.path().join("out").exists());
}
