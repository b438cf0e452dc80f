//! The register of issued invoices, through the binary and real processes: numbers issued
//! once and never changed, re-runs byte-identical, series that continue across runs and
//! consoles, corrections by credit note, two runs at once, and runs killed at any moment.

use assert_cmd::Command;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

fn bin() -> Command {
    let mut c = Command::cargo_bin("vspc-billing").unwrap();
    c.env_remove("NO_COLOR");
    c
}

fn card(extra: &str) -> String {
    format!(
        r#"currency = "EUR"
rounding = "half-up"
{extra}
[provider]
name = "Provider GmbH"
[tax]
name = "VAT"
percent = 19
[default]
per_point = "1.10"
"#
    )
}

/// A folder with a corpus (`owners` consoles × `months` months of `tenants` tenants) and a
/// rate card.
struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new(owners: u32, months: u32, tenants: u32, card_extra: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        bin()
            .args(["corpus", "--out"])
            .arg(dir.path().join("corpus"))
            .args([
                "--owners",
                &owners.to_string(),
                "--months",
                &months.to_string(),
                "--tenants",
                &tenants.to_string(),
            ])
            .assert()
            .success();
        std::fs::write(dir.path().join("rates.toml"), card(card_extra)).unwrap();
        Self { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// `invoice INPUTS --rates rates.toml --out OUT --register register.sqlite EXTRA`.
    fn invoice(&self, inputs: &[&str], out: &str, extra: &[&str]) -> std::process::Output {
        let mut c = bin();
        c.arg("invoice");
        for i in inputs {
            c.arg(self.path(i));
        }
        c.arg("--rates")
            .arg(self.path("rates.toml"))
            .arg("--out")
            .arg(self.path(out))
            .arg("--register")
            .arg(self.path("register.sqlite"))
            .args(extra)
            .output()
            .unwrap()
    }

    /// `register list --format json`, as (number, kind, organization, total, superseded).
    fn list(&self) -> Vec<serde_json::Value> {
        let out = bin()
            .args(["register", "--register"])
            .arg(self.path("register.sqlite"))
            .args(["list", "--format", "json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

fn numbers(list: &[serde_json::Value]) -> Vec<String> {
    list.iter()
        .map(|e| e["number"].as_str().unwrap().to_owned())
        .collect()
}

fn ok(o: &std::process::Output) {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn numbers_are_issued_once_and_a_rerun_gives_the_same_documents() {
    let s = Setup::new(1, 1, 4, "");
    let first = s.invoice(&["corpus"], "out", &[]);
    ok(&first);
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(
        stdout.contains("issued 4 (2025-01-0001 to 2025-01-0004), 0 unchanged, 0 corrected"),
        "{stdout}"
    );
    let written = files(&s.path("out"));
    let inode = |name: &str| {
        use std::os::unix::fs::MetadataExt as _;
        std::fs::metadata(s.path("out").join(name)).unwrap().ino()
    };
    let first = written.keys().next().unwrap().clone();
    let before = inode(&first);
    // The same inputs again, into the same folder: no --force needed, same bytes, and the
    // files are left as they were (not written again).
    let again = s.invoice(&["corpus"], "out", &[]);
    ok(&again);
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert!(stdout.contains("issued 0, 4 unchanged"), "{stdout}");
    assert!(
        stdout.contains("wrote 0 files")
            && stdout.contains("16 already there with the same content"),
        "{stdout}"
    );
    assert!(files(&s.path("out")) == written, "the same files");
    assert_eq!(inode(&first), before);
    // And into another folder, through another path to the same file: the same documents.
    let again = s.invoice(&["corpus/owner-00/../owner-00/2025-01.json"], "other", &[]);
    ok(&again);
    let documents = |m: BTreeMap<String, Vec<u8>>| -> BTreeMap<String, Vec<u8>> {
        m.into_iter()
            .filter(|(n, _)| n.starts_with("2025-"))
            .collect()
    };
    let other = documents(files(&s.path("other")));
    assert_eq!(other.len(), 12);
    assert!(other == documents(written), "the same invoice documents");
    assert_eq!(
        numbers(&s.list()),
        [
            "2025-01-0001",
            "2025-01-0002",
            "2025-01-0003",
            "2025-01-0004"
        ]
    );
}

#[test]
fn another_console_billed_later_continues_the_series_and_runs_commute_per_console() {
    let s = Setup::new(2, 1, 3, "");
    ok(&s.invoice(&["corpus/owner-00"], "a", &[]));
    ok(&s.invoice(&["corpus/owner-01"], "b", &[]));
    let list = s.list();
    assert_eq!(numbers(&list).len(), 6);
    let a: BTreeSet<String> = files(&s.path("a")).into_keys().collect();
    let b: BTreeSet<String> = files(&s.path("b")).into_keys().collect();
    assert!(a.iter().any(|f| f.starts_with("2025-01-0001-")), "{a:?}");
    assert!(b.iter().any(|f| f.starts_with("2025-01-0004-")), "{b:?}");
    assert!(b.iter().any(|f| f.starts_with("2025-01-0006-")), "{b:?}");
    // Both consoles together now: every invoice is issued already, the numbers stay.
    let both = s.invoice(&["corpus"], "both", &[]);
    ok(&both);
    assert!(String::from_utf8_lossy(&both.stdout).contains("issued 0, 6 unchanged"));
    let all = files(&s.path("both"));
    for (name, bytes) in files(&s.path("a")).into_iter().chain(files(&s.path("b"))) {
        if name.starts_with("2025-") {
            assert!(all.get(&name) == Some(&bytes), "{name}");
        }
    }
}

#[test]
fn a_continuous_series_starts_where_the_card_says_and_spans_months() {
    let s = Setup::new(
        1,
        2,
        2,
        "invoice_number = \"INV-{seq:05}\"\ninvoice_start = 1000",
    );
    ok(&s.invoice(&["corpus/owner-00/2025-01.json"], "jan", &[]));
    ok(&s.invoice(&["corpus/owner-00/2025-02.json"], "feb", &[]));
    assert_eq!(
        numbers(&s.list()),
        ["INV-01000", "INV-01001", "INV-01002", "INV-01003"]
    );
    let feb: Vec<String> = files(&s.path("feb")).into_keys().collect();
    assert!(feb.iter().any(|f| f.starts_with("INV-01002-")), "{feb:?}");
}

#[test]
fn a_changed_invoice_is_refused_and_corrected_only_by_a_credit_note() {
    let s = Setup::new(1, 1, 2, "");
    ok(&s.invoice(&["corpus"], "out", &[]));
    let before = files(&s.path("out"));
    let issued = s.list();
    // Another price: refused, with the differences, and nothing written or recorded.
    std::fs::write(
        s.path("rates.toml"),
        card("").replace("per_point = \"1.10\"", "per_point = \"1.20\""),
    )
    .unwrap();
    let refused = s.invoice(&["corpus"], "out", &[]);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("error[invoice-changed]: invoice 2025-01-0001"),
        "{stderr}"
    );
    assert!(stderr.contains("unit_price: 1.10 → 1.20"), "{stderr}");
    assert!(stderr.contains("Pass --correct"), "{stderr}");
    assert!(files(&s.path("out")) == before, "nothing written");
    assert_eq!(s.list(), issued);
    // --correct: a credit note per invoice, and a new invoice with a new number.
    let corrected = s.invoice(&["corpus"], "out", &["--correct", "--force"]);
    ok(&corrected);
    let stdout = String::from_utf8_lossy(&corrected.stdout);
    assert!(
        stdout.contains(
            "2025-01-0001: cancelled by credit note 2025-01-0003, replaced by 2025-01-0004"
        ),
        "{stdout}"
    );
    let list = s.list();
    let by_number: BTreeMap<&str, &serde_json::Value> = list
        .iter()
        .map(|e| (e["number"].as_str().unwrap(), e))
        .collect();
    let old = by_number["2025-01-0001"];
    let note = by_number["2025-01-0003"];
    let new = by_number["2025-01-0004"];
    assert_eq!(old["superseded_by"], "2025-01-0003");
    assert_eq!(note["kind"], "credit-note");
    assert_eq!(note["corrects"], "2025-01-0001");
    assert_eq!(new["corrects"], "2025-01-0001");
    // The credit note cancels the issued amounts exactly.
    for k in ["subtotal", "discount", "net", "tax", "total"] {
        let a: rust_decimal::Decimal = old[k].as_str().unwrap().parse().unwrap();
        let b: rust_decimal::Decimal = note[k].as_str().unwrap().parse().unwrap();
        assert_eq!(a + b, rust_decimal::Decimal::ZERO, "{k}");
    }
    // The issued invoice's documents are untouched; the credit note says what it is.
    let after = files(&s.path("out"));
    for (name, bytes) in &before {
        if name.starts_with("2025-01-0001-") {
            assert!(&after[name] == bytes, "{name}");
        }
    }
    let note_txt = after
        .iter()
        .find(|(n, _)| n.starts_with("2025-01-0003-") && n.ends_with(".txt"))
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .unwrap();
    assert!(
        note_txt.starts_with("CREDIT NOTE 2025-01-0003"),
        "{note_txt}"
    );
    assert!(
        note_txt.contains("Cancels:         invoice 2025-01-0001 of"),
        "{note_txt}"
    );
    assert!(note_txt.contains("are credited to you"), "{note_txt}");
    let new_html = after
        .iter()
        .find(|(n, _)| n.starts_with("2025-01-0004-") && n.ends_with(".html"))
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .unwrap();
    assert!(
        new_html.contains("Replaces</td><td>invoice 2025-01-0001 of"),
        "{new_html}"
    );
    // Once corrected, the same inputs are unchanged again (into a new folder: the
    // correcting run's CSV files also list its credit notes).
    let again = s.invoice(&["corpus"], "again", &[]);
    ok(&again);
    assert!(String::from_utf8_lossy(&again.stdout).contains("issued 0, 2 unchanged, 0 corrected"));
}

#[test]
fn a_dry_run_records_nothing() {
    let s = Setup::new(1, 1, 2, "");
    let dry = s.invoice(&["corpus"], "out", &["--dry-run"]);
    ok(&dry);
    assert!(String::from_utf8_lossy(&dry.stdout).contains("would issue 2"));
    // Not even an empty register is left behind.
    assert!(!s.path("register.sqlite").exists());
    ok(&s.invoice(&["corpus"], "real", &[]));
    let issued = s.list();
    assert_eq!(issued.len(), 2);
    // Against a register that exists: the same numbers it would issue next, nothing recorded.
    let dry = s.invoice(&["corpus"], "dry2", &["--dry-run"]);
    ok(&dry);
    assert!(String::from_utf8_lossy(&dry.stdout).contains("would issue 0, 2 unchanged"));
    assert_eq!(s.list(), issued);
    let no_register = bin()
        .args(["invoice"])
        .arg(s.path("corpus"))
        .arg("--rates")
        .arg(s.path("rates.toml"))
        .arg("--out")
        .arg(s.path("x"))
        .arg("--correct")
        .output()
        .unwrap();
    assert_eq!(no_register.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_register.stderr).contains("--correct needs a register"));
}

#[test]
fn the_card_names_the_register_and_a_bare_flag_finds_it() {
    let s = Setup::new(1, 1, 1, "register = \"issued.sqlite\"");
    let o = bin()
        .arg("invoice")
        .arg(s.path("corpus"))
        .arg("--rates")
        .arg(s.path("rates.toml"))
        .arg("--out")
        .arg(s.path("out"))
        .output()
        .unwrap();
    ok(&o);
    assert!(s.path("issued.sqlite").is_file());
    assert!(String::from_utf8_lossy(&o.stdout).contains("issued 1"));
}

/// Every invoice of the register has all its documents in its output folder, and every
/// invoice document in the folders is in the register.
fn consistent(s: &Setup, outs: &[&str]) {
    let list = s.list();
    let recorded: BTreeSet<String> = list
        .iter()
        .flat_map(|e| e["documents"].as_array().unwrap().clone())
        .map(|d| d.as_str().unwrap().to_owned())
        .collect();
    let mut present = BTreeSet::new();
    for out in outs {
        if let Ok(dir) = std::fs::read_dir(s.path(out)) {
            for e in dir {
                let name = e.unwrap().file_name().to_string_lossy().into_owned();
                if name.starts_with("2025-") {
                    present.insert(name);
                }
            }
        }
    }
    assert_eq!(present, recorded, "documents on disk = documents recorded");
    let nums = numbers(&list);
    let unique: BTreeSet<&String> = nums.iter().collect();
    assert_eq!(unique.len(), nums.len(), "no number twice");
}

#[test]
fn two_runs_at_once_never_issue_the_same_number() {
    let s = Setup::new(2, 1, 150, "");
    let spawn = |input: &str, out: &str| {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("vspc-billing"));
        c.arg("invoice")
            .arg(s.path(input))
            .arg("--rates")
            .arg(s.path("rates.toml"))
            .arg("--out")
            .arg(s.path(out))
            .arg("--register")
            .arg(s.path("register.sqlite"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        c.spawn().unwrap()
    };
    let a = spawn("corpus/owner-00", "a");
    let b = spawn("corpus/owner-01", "b");
    for child in [a, b] {
        let o = child.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let nums = numbers(&s.list());
    // Every tenth tenant is in an appendix, not billed by default.
    assert_eq!(nums.len(), 270);
    let expected: Vec<String> = (1..=270).map(|n| format!("2025-01-{n:04}")).collect();
    assert_eq!(nums, expected, "one series without gaps or repeats");
    consistent(&s, &["a", "b"]);
}

#[test]
fn a_run_killed_at_any_moment_leaves_the_register_and_the_folder_consistent() {
    let s = Setup::new(1, 3, 120, "");
    // How long a whole run takes here, to spread the kills over it.
    let t = std::time::Instant::now();
    ok(&s.invoice(&["corpus/owner-00/2025-01.json"], "probe", &["--dry-run"]));
    let whole = t.elapsed();
    let months = ["2025-01", "2025-02", "2025-03"];
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (k, month) in (0u32..).zip(months.iter().cycle().take(8)) {
        let out = format!("out-{month}");
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("vspc-billing"));
        c.arg("invoice")
            .arg(s.path(&format!("corpus/owner-00/{month}.json")))
            .arg("--rates")
            .arg(s.path("rates.toml"))
            .arg("--out")
            .arg(s.path(&out))
            .arg("--register")
            .arg(s.path("register.sqlite"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = c.spawn().unwrap();
        if k % 2 == 0 {
            // Anywhere in the run.
            let at = whole.mul_f64(0.2 + 0.1 * f64::from(k));
            std::thread::sleep(at.min(Duration::from_secs(20)));
        } else {
            // Around the moment it records: as soon as its manifest appears, then a little
            // later each time (while it records, or renames).
            let state = s.path(&out).join(".vspc-billing");
            let started = std::time::Instant::now();
            while started.elapsed() < Duration::from_secs(30)
                && child.try_wait().unwrap().is_none()
                && !std::fs::read_dir(&state).is_ok_and(|d| {
                    d.filter_map(Result::ok)
                        .any(|e| e.path().join("manifest").exists())
                })
            {
                std::hint::spin_loop();
            }
            std::thread::sleep(Duration::from_millis(30 * u64::from(k)));
        }
        let finished_alone = child.try_wait().unwrap().is_some();
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        // The next run of the same month finishes or cleans up, and issues the rest.
        let next = s.invoice(&[&format!("corpus/owner-00/{month}.json")], &out, &[]);
        ok(&next);
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&next.stdout),
            String::from_utf8_lossy(&next.stderr)
        );
        let what = if finished_alone {
            "ended before the kill"
        } else if said.contains("finished 1 interrupted run") || said.contains("put in place") {
            "killed after recording: finished"
        } else if said.contains("removed") {
            "killed before recording: cleaned up"
        } else {
            "killed before staging"
        };
        *seen.entry(what).or_insert(0) += 1;
        consistent(
            &s,
            &months
                .iter()
                .map(|m| format!("out-{m}"))
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(s.list().len(), 3 * 108);
    // Which moments were hit depends on timing; printed for the record (--nocapture).
    eprintln!("kills: {seen:?}");
}
