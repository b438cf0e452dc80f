//! The real binary against careless or hostile input, flags and folder states: each test
//! here reproduces one class of failure found by trying to break the tool (crashes, hangs,
//! unbounded memory, data loss, false claims) and checks it stays fixed.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bin() -> Command {
    let mut c = Command::cargo_bin("vspc-billing").unwrap();
    c.current_dir(root())
        .env_remove("NO_COLOR")
        .timeout(Duration::from_mins(1));
    c
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Run {
    let o = bin().args(args).output().unwrap();
    Run {
        code: o.status.code(),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const APPROVED: &str = "samples/reports-api-3.6-approved.json";
const RATES: &str = "samples/rates.toml";

/// The visible files of a folder (the tool's own `.vspc-billing` folder apart), sorted.
fn visible(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != vspc_billing::output::STATE_DIR)
        .collect();
    v.sort();
    v
}

/// Issue 9.1: a lone surrogate escape in a key near the top of a document panicked the
/// sniffing scanner, and the whole run with it.
#[test]
fn a_lone_surrogate_in_a_key_is_a_located_error_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let docs = [
        r#"{"\ud800":1,"data":[]}"#,
        r#"{"data":{"\udfff":1,"siteUid":"x","counters":[]}}"#,
        r#"{"meta":{},"data":[{"a":1,"\ud83d":2,"reportStatus":"Approved"}]}"#,
        r#"[{"\udc00x":1}]"#,
    ];
    for (i, d) in docs.iter().enumerate() {
        std::fs::write(dir.path().join(format!("{i}.json")), d).unwrap();
    }
    std::fs::copy(root().join(APPROVED), dir.path().join("z-good.json")).unwrap();
    for cmd in ["validate", "audit"] {
        let r = run(&[cmd, s(dir.path()), "--format", "json"]);
        assert_eq!(r.code, Some(1), "{cmd}: {}", r.stderr);
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        let text = v.to_string();
        assert_eq!(text.matches("invalid-json").count(), 4, "{cmd}: {text}");
        assert!(text.contains("lone leading surrogate") || text.contains("surrogate"));
    }
    let r = run(&["validate", s(dir.path())]);
    assert!(r.stdout.contains("valid   "), "{}", r.stdout);
    assert!(
        r.stdout.contains("5 files: 1 valid, 4 invalid"),
        "{}",
        r.stdout
    );
}

/// Issue 9.3: endless input was read until the memory ran out.
#[test]
fn endless_and_oversized_input_is_refused_with_a_size_limit() {
    // A device that never ends: stops at once (its first byte cannot start JSON).
    let start = Instant::now();
    let r = run(&["audit", "/dev/zero"]);
    assert_eq!(r.code, Some(1), "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("invalid-json"), "{}", r.stdout);
    let o = std::process::Command::new(assert_cmd::cargo::cargo_bin("vspc-billing"))
        .args(["audit", "-"])
        .stdin(std::fs::File::open("/dev/zero").unwrap())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    // White space forever on standard input: read up to the limit, then refused.
    let o = bin()
        .args(["validate", "-", "--max-input-size", "1MiB"])
        .write_stdin(vec![b' '; 3 << 20])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains(
            "error[input-too-large] <stdin> is larger than the limit of 1048576 bytes (1 MiB)"
        ),
        "{out}"
    );
    // A file over the limit is refused before it is read; the others are checked.
    let r = run(&[
        "audit",
        APPROVED,
        "samples/seed-license-reports.json",
        "--max-input-size",
        "2000",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"input-too-large"), "{codes:?}");
    assert!(
        codes.contains(&"invalid-date"),
        "the small file is audited: {codes:?}"
    );
    let r = run(&["audit", APPROVED, "--max-input-size", "lots"]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("is not a size"), "{}", r.stderr);
    assert!(start.elapsed() < Duration::from_secs(30));
}

/// Issue 9.4 and 9.5: a pipe in a folder blocked the walk forever; links were followed
/// without a loop check (one loop read the same file 41 times, two never ended).
#[cfg(unix)]
#[test]
fn folder_walks_skip_pipes_and_read_each_real_file_once() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("a")).unwrap();
    std::fs::copy(root().join(APPROVED), d.join("a/report.json")).unwrap();
    let fifo = d.join("a/pipe.json");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    // Two loops, and a second way to the same folder.
    symlink(d, d.join("a/up")).unwrap();
    symlink(d.join("a"), d.join("a/self")).unwrap();
    symlink(d.join("a"), d.join("b")).unwrap();
    let start = Instant::now();
    let r = run(&[
        "invoice",
        s(d),
        "--rates",
        RATES,
        "--out",
        s(&d.join("out")),
        "--outputs",
        "csv",
    ]);
    assert!(start.elapsed() < Duration::from_secs(30));
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    assert!(!r.stdout.contains("duplicate-report"), "{}", r.stdout);
    assert_eq!(r.stdout.matches("billed ").count(), 1, "{}", r.stdout);
    assert!(
        r.stderr.contains("warning[not-a-regular-file]"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("pipe.json is not a regular file"),
        "{}",
        r.stderr
    );
    assert_eq!(
        r.stderr.matches("warning[symlink-loop]").count(),
        2,
        "{}",
        r.stderr
    );
    // Named twice, through a link or as is: read once.
    let r = run(&[
        "validate",
        APPROVED,
        s(&d.join("b/report.json")),
        s(&d.join("a/report.json")),
    ]);
    assert!(r.stdout.contains("2 files: 2 valid"), "{}", r.stdout);
    // Warnings do not change the exit status, nor the JSON on standard output.
    let r = run(&["audit", s(&d.join("a")), "--format", "json"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    serde_json::from_str::<Value>(&r.stdout).unwrap();
}

/// Issue 9.6: `--threads` had no upper bound (`-j 100000` ran for minutes).
#[test]
fn absurd_thread_counts_are_capped_with_a_message() {
    let start = Instant::now();
    let r = run(&["audit", APPROVED, "-j", "100000"]);
    assert_eq!(r.code, Some(0));
    assert!(start.elapsed() < Duration::from_secs(20));
    assert!(
        r.stderr.contains("--threads 100000 is far above"),
        "{}",
        r.stderr
    );
    let r = run(&["audit", APPROVED, "-j", "0"]);
    assert_eq!(r.code, Some(2));
}

/// Issue 9.7: `--context` overwrote any file, inputs included, and could silently replace
/// one of the run's own outputs while the run claimed it wrote them all.
#[test]
fn the_context_file_is_an_output_like_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = d.join("out");
    let rates = d.join("rates.toml");
    let report = d.join("report.json");
    std::fs::copy(root().join(RATES), &rates).unwrap();
    std::fs::copy(root().join(APPROVED), &report).unwrap();
    let before = (
        std::fs::read(&rates).unwrap(),
        std::fs::read(&report).unwrap(),
    );
    let invoice = |context: &Path, force: bool| {
        let mut a = vec![
            "invoice",
            s(&report),
            "--rates",
            s(&rates),
            "--out",
            s(&out),
        ];
        a.extend(["--context", s(context)]);
        if force {
            a.push("--force");
        }
        run(&a)
    };
    for input in [&rates, &report] {
        let r = invoice(input, true);
        assert_eq!(r.code, Some(2));
        assert!(r.stderr.contains("an input of this run"), "{}", r.stderr);
    }
    assert_eq!(
        (
            std::fs::read(&rates).unwrap(),
            std::fs::read(&report).unwrap()
        ),
        before
    );
    // One of the run's own outputs: refused even with --force, nothing written.
    let r = invoice(&out.join("invoices.csv"), true);
    assert_eq!(r.code, Some(2), "{}", r.stdout);
    assert!(
        r.stderr.contains("another output of this run"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("nothing was written"), "{}", r.stderr);
    assert!(!out.exists() || visible(&out).is_empty());
    // An existing file is not replaced without --force.
    let ctx = d.join("ctx.json");
    std::fs::write(&ctx, b"keep me").unwrap();
    let r = invoice(&ctx, false);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("ctx.json"), "{}", r.stderr);
    assert_eq!(std::fs::read(&ctx).unwrap(), b"keep me");
    let r = invoice(&ctx, true);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains("wrote 13 files"), "{}", r.stdout);
    serde_json::from_slice::<Value>(&std::fs::read(&ctx).unwrap()).unwrap();
}

/// Issue 9.8: a rename failing part-way through the commit left part of the new set while
/// the tool said "nothing was written".
#[test]
fn an_output_that_cannot_be_placed_leaves_the_folder_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::create_dir(out.join("lines.csv")).unwrap();
    std::fs::write(out.join("summary.md"), b"old summary").unwrap();
    let r = run(&[
        "invoice",
        APPROVED,
        "--rates",
        RATES,
        "--out",
        s(&out),
        "--force",
    ]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("lines.csv is a folder"), "{}", r.stderr);
    assert!(r.stderr.contains("nothing was written"), "{}", r.stderr);
    assert_eq!(visible(&out), ["lines.csv", "summary.md"]);
    assert_eq!(
        std::fs::read(out.join("summary.md")).unwrap(),
        b"old summary"
    );
}

/// Issue 9.10: two runs into the same folder both exited 0, one replacing the other's
/// files.
#[test]
fn one_run_at_a_time_writes_into_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // A run holding the folder (as the first of two would).
    let held = vspc_billing::output::OutDir::open(&out).unwrap();
    let r = run(&["invoice", APPROVED, "--rates", RATES, "--out", s(&out)]);
    assert_eq!(r.code, Some(2));
    assert!(
        r.stderr
            .contains("another vspc-billing run is writing into"),
        "{}",
        r.stderr
    );
    assert!(visible(&out).is_empty());
    drop(held);
    // Two real runs at once, of different inputs: never both written.
    let seed = "samples/seed-license-reports.json";
    let spawn = |input: &str| {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("vspc-billing"))
            .current_dir(root())
            .args(["invoice", input, "--rates", RATES, "--out", s(&out)])
            .args(["--allow-unapproved", "--allow-findings"])
            // The seed report has none of the sample card's tenants.
            .args(["--allow", "unknown-tenant"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let (mut a, mut b) = (spawn(APPROVED), spawn(seed));
    let codes = [a.wait().unwrap().code(), b.wait().unwrap().code()];
    assert_eq!(
        codes.iter().filter(|c| **c == Some(0)).count(),
        1,
        "{codes:?}"
    );
    assert!(codes.contains(&Some(2)), "{codes:?}");
    let csv = std::fs::read_to_string(out.join("invoices.csv")).unwrap();
    let files = visible(&out);
    if codes[0] == Some(0) {
        assert_eq!(csv.lines().count(), 4);
        assert_eq!(files.len(), 13);
    } else {
        assert_eq!(csv.lines().count(), 2);
        assert_eq!(files.len(), 7);
    }
}

/// Issue 9.9: after a kill, hidden temporary files stayed in `--out` for ever.
#[cfg(unix)]
#[test]
fn a_killed_run_leaves_no_visible_half_and_the_next_run_cleans_up() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    let out = dir.path().join("out");
    let r = run(&[
        "corpus",
        "--out",
        s(&corpus),
        "--owners",
        "1",
        "--months",
        "2",
        "--tenants",
        "1500",
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let args = [
        "invoice",
        s(&corpus),
        "--rates",
        RATES,
        "--out",
        s(&out),
        "-j",
        "1",
        "--allow-findings",
        "--allow-unapproved",
        // The sample card's tenants are not in the corpus.
        "--allow",
        "unknown-tenant",
    ];
    let mut left_behind = 0;
    for delay in [150, 300, 600] {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("vspc-billing"))
            .current_dir(root())
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        child.kill().unwrap(); // SIGKILL
        let _ = child.wait();
        if out.exists() {
            // Nothing visible but complete outputs of a finished run (none here: the run
            // was killed before its commit, or it had finished).
            let state = out.join(vspc_billing::output::STATE_DIR);
            let tmp: usize = std::fs::read_dir(&state).map_or(0, |d| {
                d.filter(|e| e.as_ref().unwrap().file_name() != "lock")
                    .count()
            });
            left_behind += tmp;
            if visible(&out).is_empty() {
                continue;
            }
            break;
        }
    }
    let r = run(&[&args[..], &["--force"]].concat());
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    if left_behind > 0 {
        assert!(r.stderr.contains("left in"), "{}", r.stderr);
        assert!(r.stderr.contains("by an interrupted run"), "{}", r.stderr);
    }
    let state: Vec<String> = std::fs::read_dir(out.join(vspc_billing::output::STATE_DIR))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(state, ["lock"]);
    // A complete set: three documents per invoice of invoices.csv, two CSV files and the
    // summary in two formats.
    let invoices = std::fs::read_to_string(out.join("invoices.csv"))
        .unwrap()
        .lines()
        .count()
        - 1;
    assert!(invoices > 1000);
    assert_eq!(visible(&out).len(), 3 * invoices + 4);
}

/// Issue 9.17: `--out` naming a file said "File exists (os error 17)"; `--out -` made a
/// folder named `-`.
#[test]
fn the_output_must_be_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, b"x").unwrap();
    let r = run(&["invoice", APPROVED, "--rates", RATES, "--out", s(&file)]);
    assert_eq!(r.code, Some(2));
    assert!(
        r.stderr.contains("is a file; it must be a folder"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read(&file).unwrap(), b"x");
    let r = run(&["invoice", APPROVED, "--rates", RATES, "--out", "-"]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("name a folder"), "{}", r.stderr);
    assert!(!root().join("-").exists());
    #[cfg(unix)]
    {
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(dir.path().join("gone"), &link).unwrap();
        let r = run(&["invoice", APPROVED, "--rates", RATES, "--out", s(&link)]);
        assert_eq!(r.code, Some(2));
        assert!(
            r.stderr
                .contains("symbolic link to something that does not exist"),
            "{}",
            r.stderr
        );
    }
}

/// Issue 9.18: a file name with a newline forged a "billed" line.
#[cfg(unix)]
#[test]
fn input_names_are_escaped_on_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let forged = dir.path().join("x.json\nbilled  everything.json");
    std::fs::copy(root().join("samples/seed-license-reports.json"), &forged).unwrap();
    let out = dir.path().join("out");
    let r = run(&["invoice", s(&forged), "--rates", RATES, "--out", s(&out)]);
    assert_eq!(r.code, Some(1));
    assert!(
        !r.stdout
            .lines()
            .any(|l| l.starts_with("billed  everything")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("x.json\\nbilled  everything.json"),
        "{}",
        r.stdout
    );
    let r = run(&["validate", s(&forged)]);
    assert!(
        r.stdout.contains("x.json\\nbilled  everything.json"),
        "{}",
        r.stdout
    );
}

/// Issue 9.19: bidirectional overrides and zero-width characters were kept in every
/// output; the CSV formula guards differed between commands.
#[test]
fn invisible_characters_do_not_reach_documents_and_csv_formulas_stay_text() {
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join(APPROVED)).unwrap()).unwrap();
    let evil = "\u{200B}=HYPERLINK(\"http://x\")\u{202E}gnp.exe";
    let report = &mut v["data"][0];
    let uid = report["organizationsUsage"][0]["organizationUid"].clone();
    report["organizationsUsage"][0]["organizationName"] = Value::from(evil);
    for d in report["usageDetails"].as_array_mut().unwrap() {
        if d["organizationUid"] == uid {
            d["organizationName"] = Value::from(evil);
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.json");
    std::fs::write(&file, serde_json::to_vec(&v).unwrap()).unwrap();
    // A card without tenant terms: the invoices carry the names of the report.
    let rates = dir.path().join("rates.toml");
    std::fs::write(
        &rates,
        "currency = \"EUR\"\nrounding = \"half-up\"\n[provider]\nname = \"P\"\n[default]\nper_point = 1\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let r = run(&[
        "invoice",
        s(&file),
        "--rates",
        s(&rates),
        "--out",
        s(&out),
        "--outputs",
        "html,txt,csv,summary",
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    for name in visible(&out) {
        let text = std::fs::read_to_string(out.join(&name)).unwrap();
        assert!(
            !text.contains('\u{202E}') && !text.contains('\u{200B}'),
            "{name}"
        );
        assert!(name.is_ascii(), "{name}");
    }
    let csv = std::fs::read_to_string(out.join("invoices.csv")).unwrap();
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    // The audit's CSV uses the same guard: a file name behind a zero-width space is text.
    let report = &mut v["data"][0];
    report["organizationsUsage"][0]["usedPoints"] = Value::from(1);
    std::fs::write(&file, serde_json::to_vec(&v).unwrap()).unwrap();
    let formula = dir.path().join("\u{200B}=1+1.json");
    std::fs::copy(&file, &formula).unwrap();
    let o = bin()
        .current_dir(dir.path())
        .args(["audit", "\u{200B}=1+1.json", "--format", "csv"])
        .output()
        .unwrap();
    let csv = String::from_utf8(o.stdout).unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    for row in csv.lines().skip(1) {
        assert!(row.contains(",error,'\u{200B}=1+1.json,"), "{csv}");
    }
    // On the terminal the characters are shown, not obeyed.
    let r = run(&["audit", s(&file)]);
    assert!(r.stdout.contains("\\u{202e}"), "{}", r.stdout);
    assert!(!r.stdout.contains('\u{202E}'));
}

/// Issue 9.21: a bare JSON array of reports (the v2 API, `jq .data`) or of sites was
/// refused as "the document is an array".
#[test]
fn bare_arrays_of_reports_and_sites_are_read() {
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join(APPROVED)).unwrap()).unwrap();
    let sites: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("samples/site-usage-collection.json")).unwrap(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("reports.json");
    let site_list = dir.path().join("sites.json");
    std::fs::write(&reports, serde_json::to_vec(&v["data"]).unwrap()).unwrap();
    std::fs::write(&site_list, serde_json::to_vec(&sites["data"]).unwrap()).unwrap();
    let r = run(&["validate", s(&reports), s(&site_list)]);
    assert_eq!(r.code, Some(0), "{}", r.stdout);
    assert!(
        r.stdout.contains("(reports, array, 1 report)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("(site-usage, array, 2 sites)"),
        "{}",
        r.stdout
    );
    // The same validation: a bad item is reported at its place in the array.
    let mut bad = v["data"].clone();
    bad[0]["reportSummary"]["totalPoints"] = Value::from("5.0");
    std::fs::write(&reports, serde_json::to_vec(&bad).unwrap()).unwrap();
    let r = run(&["validate", s(&reports), "--format", "json"]);
    assert_eq!(r.code, Some(1));
    assert!(
        r.stdout.contains("\"/0/reportSummary/totalPoints\""),
        "{}",
        r.stdout
    );
    // And billed as the page would be.
    std::fs::write(&reports, serde_json::to_vec(&v["data"]).unwrap()).unwrap();
    let out = dir.path().join("out");
    let r = run(&[
        "invoice",
        s(&reports),
        "--rates",
        RATES,
        "--out",
        s(&out),
        "--outputs",
        "csv",
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout.contains("3 invoices, total EUR 294.65"),
        "{}",
        r.stdout
    );
}

/// Found by the fuzzer: text from the report (an unknown reportStatus, an unknown workload
/// type in a finding's message) reached summary.md with its control characters.
#[test]
fn control_characters_from_a_report_never_reach_the_summary() {
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join(APPROVED)).unwrap()).unwrap();
    v["data"][0]["reportStatus"] = Value::from("Approved\u{0}\u{1b}[31m");
    v["data"][0]["reportSummary"]["productsUsage"][0]["workloadUsage"][0]["workloadType"] =
        Value::from("VM\u{7}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.json");
    std::fs::write(&file, serde_json::to_vec(&v).unwrap()).unwrap();
    for allow in [false, true] {
        let out = dir.path().join(format!("out-{allow}"));
        let mut args = vec!["invoice", s(&file), "--rates", RATES, "--out", s(&out)];
        if allow {
            args.extend(["--allow-unapproved", "--allow-findings"]);
        }
        let r = run(&args);
        assert!(r.code.is_some_and(|c| c <= 1), "{}", r.stderr);
        for name in ["summary.md", "summary.csv"] {
            let text = std::fs::read_to_string(out.join(name)).unwrap();
            assert!(
                !text
                    .chars()
                    .any(|c| c.is_control() && c != '\n' && c != '\r'),
                "{name}: {text:?}"
            );
        }
        let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
        assert!(md.contains("u{0}") && md.contains("u{1b}"), "{md}");
        assert!(!r.stdout.chars().any(|c| c.is_control() && c != '\n'));
    }
}
