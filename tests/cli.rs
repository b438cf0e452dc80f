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
