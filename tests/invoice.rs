//! `vspc-billing invoice`: snapshots of every output for the samples, refusals, hostile
//! tenant names, byte-identical output whatever the thread count, the rate card's schema,
//! and the rules that protect existing files.

use assert_cmd::Command;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use vspc_billing::audit::FileAudit;
use vspc_billing::billing::invoice::BillError;
use vspc_billing::billing::rates::RateCard;
use vspc_billing::billing::{BillOptions, Billing, FileInput, bill};
use vspc_billing::load::{LoadOptions, SchemaCheck, Split, load_bytes};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn bin() -> Command {
    let mut c = Command::cargo_bin("vspc-billing").unwrap();
    c.current_dir(root()).env_remove("NO_COLOR");
    c
}

/// Every file of a folder, by name (the tool's own `.vspc-billing` folder apart: it must
/// hold nothing but the lock file once a run has ended).
fn read_dir(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let state = dir.join(vspc_billing::output::STATE_DIR);
    if state.exists() {
        let left: Vec<_> = std::fs::read_dir(&state)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["lock"], "the state folder holds nothing else");
    }
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name() != vspc_billing::output::STATE_DIR)
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    files: BTreeMap<String, Vec<u8>>,
}

/// Runs `invoice` with `args` into a fresh folder and reads back what it wrote.
fn invoice(args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out_s = out.to_str().unwrap();
    let mut full = vec!["invoice"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["--out", out_s]);
    let o = bin().args(&full).output().unwrap();
    let files = if out.exists() {
        read_dir(&out)
    } else {
        BTreeMap::new()
    };
    assert!(
        files.keys().all(|n| !n.ends_with(".tmp")),
        "no temporary file is left: {:?}",
        files.keys()
    );
    Run {
        code: o.status.code(),
        stdout: String::from_utf8(o.stdout).unwrap().replace(out_s, "<OUT>"),
        stderr: String::from_utf8(o.stderr).unwrap(),
        files,
    }
}

fn text(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap()
}

const ALL_SAMPLES: &[&str] = &[
    "samples/",
    "--rates",
    "samples/rates.toml",
    "--allow-unapproved",
    "--allow-findings",
];

/// Every file written for the samples (the seed included, by allowing it): read, checked
/// by hand against samples/rates.toml, and kept as snapshots.
#[test]
fn outputs_for_the_samples() {
    let run = invoice(ALL_SAMPLES);
    // The invalid samples are refused, so the run says so with status 1.
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let names: Vec<&str> = run.files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "INV-00001-beta-c576523a.html",
            "INV-00001-beta-c576523a.md",
            "INV-00001-beta-c576523a.txt",
            "INV-00002-contoso-ltd-00000001.html",
            "INV-00002-contoso-ltd-00000001.md",
            "INV-00002-contoso-ltd-00000001.txt",
            "INV-00003-fabrikam-inc-00000002.html",
            "INV-00003-fabrikam-inc-00000002.md",
            "INV-00003-fabrikam-inc-00000002.txt",
            "INV-00004-northwind-traders-gmbh-00000003.html",
            "INV-00004-northwind-traders-gmbh-00000003.md",
            "INV-00004-northwind-traders-gmbh-00000003.txt",
            "invoices.csv",
            "lines.csv",
            "summary.csv",
            "summary.md",
        ]
    );
    for (name, bytes) in &run.files {
        insta::assert_snapshot!(format!("samples@{name}"), text(bytes));
    }
    insta::assert_snapshot!("samples@stdout", run.stdout);
    // Warnings go to standard error, with the report they concern.
    assert_eq!(
        run.stderr,
        "vspc-billing: warning: samples/seed-license-reports.json report 0 (id 10, Veeam Software AG, 2020-02): billed although not approved (no reportStatus), because of --allow-unapproved\n\
         vspc-billing: warning: samples/seed-license-reports.json report 0 (id 10, Veeam Software AG, 2020-02): billed despite error findings (invalid-date), because of --allow-findings\n"
    );
}

/// Without the allowances the seed is refused, with both reasons and the finding.
#[test]
fn unapproved_reports_and_error_findings_are_refused_with_reasons() {
    let run = invoice(&[
        "samples/seed-license-reports.json",
        "samples/reports-api-3.6-approved.json",
        "samples/seed-site-usage.json",
        "--rates",
        "samples/rates.toml",
    ]);
    assert_eq!(run.code, Some(1));
    insta::assert_snapshot!(run.stdout);
    // Only the approved report is billed.
    assert!(run.files.keys().all(|n| !n.starts_with("2020-02")));
    assert!(
        run.files
            .contains_key("INV-00001-contoso-ltd-00000001.html")
    );
    let summary = text(&run.files["summary.md"]);
    assert!(summary.contains("`status-missing`"), "{summary}");
    assert!(summary.contains("`error-findings`"), "{summary}");
    assert!(
        summary.contains("`invalid-date` at samples/seed-license-reports.json:1:411"),
        "{summary}"
    );
    // A finding code can be allowed on its own.
    let run = invoice(&[
        "samples/seed-license-reports.json",
        "--rates",
        "samples/rates.toml",
        "--allow-unapproved",
        "--allow",
        "invalid-date,unknown-tenant",
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    assert!(run.files.contains_key("INV-00001-beta-c576523a.txt"));
}

#[test]
fn only_approved_and_clean_reports_give_exit_zero() {
    let run = invoice(&[
        "samples/reports-api-3.6-approved.json",
        "--rates",
        "samples/rates.toml",
    ]);
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert_eq!(run.files.len(), 3 * 3 + 4);
}

#[test]
fn appendices_are_billed_only_when_asked() {
    let run = invoice(&[
        "samples/reports-api-3.6-approved.json",
        "--rates",
        "samples/rates.toml",
        "--include-appendices",
        "--outputs",
        "txt,summary",
    ]);
    assert_eq!(run.code, Some(0));
    let globex = "INV-00004-globex-corporation-00000004.txt";
    let inv = text(&run.files[globex]);
    // Six Enterprise VMs at the Enterprise edition price 7.50 = 45.00, VAT 19 % = 8.55.
    assert!(
        inv.contains("Virtual machines (Enterprise)                          6 VM                 7.50        45.00"),
        "{inv}"
    );
    assert!(inv.contains("TOTAL DUE EUR        53.55"), "{inv}");
    assert!(
        inv.contains("usage under the license of Globex Corporation"),
        "{inv}"
    );
    let summary = text(&run.files["summary.md"]);
    assert!(
        summary.contains("| + appendices, billed | 30 |"),
        "{summary}"
    );
    assert!(
        summary.contains("| − invoiced to tenants | 233.5 |"),
        "{summary}"
    );
    assert!(
        summary.contains("| **= difference** | **0** |"),
        "{summary}"
    );
    assert!(
        summary.contains("- Globex Corporation: 30 points, billed"),
        "{summary}"
    );
}

/// Company names come from tenants: they must stay text in every output, and never
/// reach a path.
#[test]
fn hostile_names_stay_text_and_never_reach_a_path() {
    let sample =
        std::fs::read_to_string(root().join("samples/reports-api-3.6-approved.json")).unwrap();
    let hostile = sample
        .replace("Contoso Ltd", "<script>alert(1)</script>")
        .replace(
            "Fabrikam, Inc.",
            r#"=HYPERLINK(\"http://evil.example\",\"click\")"#,
        )
        .replace("Northwind Traders (reseller)", "../../etc/passwd")
        .replace("c1a2b3c4-0003-4000-8000-000000000003", "../../../tmp/evil")
        .replace(
            "Globex Corporation",
            r"Evil\u001b[31mCorp\r\n| injected | row |",
        );
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("hostile.json");
    std::fs::write(&input, hostile).unwrap();
    let card = dir.path().join("rates.toml");
    std::fs::write(
        &card,
        "currency = \"EUR\"\nrounding = \"half-up\"\n[provider]\nname = \"P\"\n[default]\nper_point = 1\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = bin()
        .args(["invoice", "--include-appendices", "--rates"])
        .arg(&card)
        .arg("--out")
        .arg(&out)
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // Everything is in --out, nothing elsewhere, and every name is a plain safe name.
    let mut in_tmp: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    in_tmp.sort();
    assert_eq!(in_tmp, ["hostile.json", "out", "rates.toml"]);
    let files = read_dir(&out);
    for name in files.keys() {
        assert!(
            name.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_'),
            "{name}"
        );
        assert!(!name.contains(".."), "{name}");
        assert!(name.len() < 100, "{name}");
    }
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert!(
        names.contains(&"2026-10-0002-script-alert-1-script-00000001.html"),
        "{names:?}"
    );
    assert!(
        names.contains(&"2026-10-0004-evil-31mcorp-injected-row-00000004.txt"),
        "{names:?}"
    );
    // The path traversal name and UID became a slug: etc-passwd, and the UID's letters.
    assert!(
        names.contains(&"2026-10-0001-etc-passwd-tmpevil.md"),
        "{names:?}"
    );
    for (name, bytes) in &files {
        let t = text(bytes);
        assert!(!t.contains('\u{1b}'), "{name} holds an escape character");
        if name.ends_with(".html") {
            assert!(!t.contains("<script>"), "{name}");
            if name.contains("script") {
                assert!(
                    t.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"),
                    "{name}"
                );
            }
        }
        if name.ends_with(".md") {
            assert!(!t.contains("<script>"), "{name}");
            assert!(
                !t.contains("| injected |"),
                "{name}: a name must not open a table cell"
            );
        }
        if name.ends_with(".txt") || name.ends_with(".md") {
            assert!(!t.contains('\r'), "{name} holds a carriage return");
        }
    }
    // CSV: the formula is neutralised, every cell that would start one is.
    for csv_name in ["invoices.csv", "lines.csv", "summary.csv"] {
        let mut r = csv::Reader::from_reader(files[csv_name].as_slice());
        let headers = r.headers().unwrap().clone();
        let mut seen_formula = false;
        for rec in r.records() {
            let rec = rec.unwrap();
            for (h, cell) in headers.iter().zip(rec.iter()) {
                if cell.contains("HYPERLINK") {
                    seen_formula = true;
                    assert!(cell.starts_with("'="), "{csv_name} {h}: {cell}");
                }
                if !NUMERIC_COLUMNS.contains(&h) {
                    assert!(
                        !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                        "{csv_name} {h}: {cell}"
                    );
                }
            }
        }
        assert!(seen_formula, "{csv_name} holds the tenant's name");
    }
}

/// Columns the tool writes numbers into (a negative margin stays a number).
const NUMERIC_COLUMNS: &[&str] = &[
    "line",
    "report_id",
    "quantity",
    "unit_price",
    "amount",
    "points",
    "subtotal",
    "discount",
    "tax",
    "total",
    "net",
    "tax_percent",
    "revenue",
    "cost",
    "margin",
    "expected_points",
    "points_difference",
];

/// Same input, same bytes: twice, and with 1 or 4 threads.
#[test]
fn output_is_byte_identical_whatever_the_thread_count() {
    let runs: Vec<Run> = ["1", "4", "4"]
        .iter()
        .map(|t| {
            let mut args = ALL_SAMPLES.to_vec();
            args.extend_from_slice(&["--threads", t]);
            invoice(&args)
        })
        .collect();
    assert!(runs[0].files.len() > 10);
    for r in &runs[1..] {
        assert_eq!(r.files, runs[0].files);
        assert_eq!(r.stdout, runs[0].stdout);
    }
}

/// A run over several months bills, numbers, renders and drops one month at a time (after a
/// first pass over the inputs for their months); the output is the same as when the whole
/// run is held in memory, whatever the thread count, duplicates and broken files included.
#[test]
fn months_are_billed_one_at_a_time_with_the_same_output() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    let o = bin()
        .args(["corpus", "--out", corpus.to_str().unwrap()])
        .args(["--owners", "2", "--months", "3", "--tenants", "12"])
        .args(["--seed", "5", "--first-month", "2025-11"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    // The same owner and month twice (refused, both), and a file that does not load.
    std::fs::copy(
        corpus.join("owner-01/2025-12.json"),
        corpus.join("owner-01-again.json"),
    )
    .unwrap();
    std::fs::copy(
        root().join("samples/invalid/truncated.json"),
        corpus.join("broken.json"),
    )
    .unwrap();
    // One file with the reports of two months (the second a duplicate of another file's).
    let read = |p: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(corpus.join(p)).unwrap()).unwrap()
    };
    let (a, b) = (read("owner-00/2025-11.json"), read("owner-00/2026-01.json"));
    let both = json!({"data": [a["data"][0], b["data"][0]]});
    std::fs::remove_file(corpus.join("owner-00/2025-11.json")).unwrap();
    std::fs::write(corpus.join("owner-00/both.json"), both.to_string()).unwrap();
    // The library run, as the command makes it, on a pool of `threads`, closing months
    // early when the input is above `prescan_above` bytes.
    let expanded = vspc_billing::load::expand(std::slice::from_ref(&corpus));
    // Numbers per month (the sample card's series is continuous).
    let mut card = RateCard::load(&root().join("samples/rates.toml")).unwrap();
    card.invoice_number = "{period}-{seq:04}".to_owned();
    let templates = vspc_billing::render::Templates::load(None).unwrap();
    let audit = vspc_billing::audit::AuditOptions::default();
    let run = |threads: usize, prescan_above: u64| {
        let out = dir.path().join(format!("out-{threads}-{prescan_above}"));
        let ctx = dir
            .path()
            .join(format!("ctx-{threads}-{prescan_above}.json"));
        let folder = vspc_billing::output::OutDir::open(&out).unwrap();
        let staging = folder.staging().unwrap();
        let outputs = vspc_billing::render::Outputs {
            html: true,
            md: true,
            txt: true,
            pdf: false,
            csv: true,
            summary: true,
            xero: false,
            quickbooks: false,
            cii: false,
        };
        let opts = vspc_billing::billing::run::RunOptions {
            load: LoadOptions {
                schema_check: SchemaCheck::OnFailure,
                ..LoadOptions::DEFAULT
            },
            audit: &audit,
            bill: BillOptions::default(),
            prescan_above,
        };
        let pool = vspc_billing::schedule::Pool::new(Some(threads)).unwrap();
        let mut sink = vspc_billing::documents::DocumentSink::new(
            &out,
            &card,
            &templates,
            outputs,
            Some(&ctx),
            &staging,
        )
        .unwrap();
        let done = pool
            .install(|| {
                vspc_billing::billing::run::run(
                    &expanded.sources,
                    &card,
                    &opts,
                    &mut sink,
                    &mut vspc_billing::billing::numbering::Ranks::new(&card),
                    &vspc_billing::schedule::Unobserved,
                )
            })
            .unwrap();
        drop(sink);
        staging.commit().unwrap();
        (read_dir(&out), std::fs::read(&ctx).unwrap(), done.summary)
    };
    // All in memory (the default below 32 MB of input), then month by month.
    let whole = run(1, 100_000_000);
    let refused: Vec<&str> = whole
        .2
        .refused
        .iter()
        .flat_map(|r| r.reasons.iter().map(|x| x.code.as_str()))
        .collect();
    assert!(refused.contains(&"duplicate-report"), "{refused:?}");
    assert!(
        whole
            .2
            .refused
            .iter()
            .any(|r| r.file.ends_with("broken.json")),
        "{:?}",
        whole.2.refused
    );
    let names: Vec<&String> = whole.0.keys().filter(|n| n.ends_with(".html")).collect();
    // Numbers restart every month: three months, and invoice 0001 in each.
    for month in ["2025-11", "2025-12", "2026-01"] {
        assert!(
            names
                .iter()
                .any(|n| n.starts_with(&format!("{month}-0001-"))),
            "{names:?}"
        );
    }
    for (threads, above) in [(1, 0), (4, 0), (4, 100_000_000)] {
        let r = run(threads, above);
        assert_eq!(
            r.0, whole.0,
            "files, {threads} threads, pre-scan above {above}"
        );
        assert_eq!(
            r.1, whole.1,
            "context, {threads} threads, pre-scan above {above}"
        );
        assert_eq!(
            r.2, whole.2,
            "summary, {threads} threads, pre-scan above {above}"
        );
    }
}

#[test]
fn existing_files_are_not_overwritten_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let args = |extra: &[&str]| {
        let mut a = vec![
            "invoice",
            "samples/reports-api-3.6-approved.json",
            "--rates",
            "samples/rates.toml",
            "--outputs",
            "html",
            "--out",
        ];
        a.push(out.to_str().unwrap());
        a.extend_from_slice(extra);
        a.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    assert_eq!(
        bin().args(args(&[])).output().unwrap().status.code(),
        Some(0)
    );
    let victim = out.join("INV-00002-fabrikam-inc-00000002.html");
    std::fs::write(&victim, "edited by hand").unwrap();
    let ctx = dir.path().join("ctx.json");
    let o = bin()
        .args(args(&["--context", ctx.to_str().unwrap()]))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(!ctx.exists(), "nothing is written when a run is refused");
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        err.contains("already exist") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "edited by hand");
    let o = bin().args(args(&["--force"])).output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(
        std::fs::read_to_string(&victim)
            .unwrap()
            .contains("Fabrikam, Inc.")
    );
    // No temporary file is left behind.
    assert_eq!(read_dir(&out).len(), 3);
}

#[test]
fn an_invalid_rate_card_writes_nothing_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let card = dir.path().join("bad.toml");
    let text = std::fs::read_to_string(root().join("samples/rates.toml"))
        .unwrap()
        .replace("per_unit = 12.50", "per_unt = 12.50")
        .replace(
            "up_to = 50, per_unit = 12.00",
            "up_to = 5, per_unit = 12.00",
        );
    let line_of = |needle: &str| 1 + text.lines().position(|l| l.contains(needle)).unwrap();
    let (typo, tier) = (line_of("per_unt = 12.50"), line_of("up_to = 5, per_unit"));
    std::fs::write(&card, &text).unwrap();
    let out = dir.path().join("out");
    let o = bin()
        .args(["invoice", "samples/", "--rates"])
        .arg(&card)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(!out.exists());
    let err = String::from_utf8(o.stderr).unwrap();
    // The typo stops the typed read; it is reported at its line and column.
    assert!(
        err.contains(&format!(
            "bad.toml:{typo}:1: workloads.CC_Server_Backup.per_unt: unknown field `per_unt`"
        )),
        "{err}"
    );
    assert!(err.contains("nothing was written"), "{err}");
    // Fixing it shows the next problem, also located.
    let text = std::fs::read_to_string(&card)
        .unwrap()
        .replace("per_unt = 12.50", "per_unit = 12.50");
    std::fs::write(&card, text).unwrap();
    let o = bin()
        .args(["invoice", "samples/", "--rates"])
        .arg(&card)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        err.contains(&format!("bad.toml:{tier}:13: workloads.VAC_Server_Agent.volume[1].up_to: up_to 5 must be greater than the previous tier's 10")),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn templates_can_be_replaced_and_a_broken_one_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let tpl = dir.path().join("tpl");
    std::fs::create_dir(&tpl).unwrap();
    std::fs::write(
        tpl.join("invoice.txt.tera"),
        "{{ invoice.number }} {{ invoice.customer.name }} {{ invoice.currency }} {{ invoice.total }}\n",
    )
    .unwrap();
    let run = invoice(&[
        "samples/reports-api-3.6-approved.json",
        "--rates",
        "samples/rates.toml",
        "--outputs",
        "txt",
        "--templates",
        tpl.to_str().unwrap(),
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        text(&run.files["INV-00002-fabrikam-inc-00000002.txt"]),
        "INV-00002 Fabrikam, Inc. EUR 178.50\n"
    );
    // A misspelt template name is refused rather than silently ignored.
    let typo = dir.path().join("typo");
    std::fs::create_dir(&typo).unwrap();
    std::fs::write(typo.join("invoice.htm.tera"), "x").unwrap();
    let run = invoice(&[
        "samples/reports-api-3.6-approved.json",
        "--rates",
        "samples/rates.toml",
        "--templates",
        typo.to_str().unwrap(),
    ]);
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("invoice.htm.tera"), "{}", run.stderr);
    // A template that does not compile.
    std::fs::write(tpl.join("invoice.html.tera"), "{% if %}").unwrap();
    let run = invoice(&[
        "samples/reports-api-3.6-approved.json",
        "--rates",
        "samples/rates.toml",
        "--templates",
        tpl.to_str().unwrap(),
    ]);
    assert_eq!(run.code, Some(2));
    assert!(run.files.is_empty());
    // The message says what is wrong, then the file, line and column, the line itself, and
    // ends with what failed.
    let at = format!(" --> {}:1:7\n", tpl.join("invoice.html.tera").display());
    assert!(
        run.stderr
            .starts_with("vspc-billing: error: Found `%}` but expected one of")
            && run.stderr.contains(&at)
            && run.stderr.contains("1 | {% if %}\n")
            && run
                .stderr
                .ends_with("\nthe templates do not compile; nothing was written\n"),
        "{}",
        run.stderr
    );
    // A filter that does not exist is refused before anything is rendered.
    std::fs::write(
        tpl.join("invoice.html.tera"),
        "{{ invoice.number }}\n{{ invoice.total | money }}",
    )
    .unwrap();
    let run = invoice(&[
        "samples/reports-api-3.6-approved.json",
        "--rates",
        "samples/rates.toml",
        "--templates",
        tpl.to_str().unwrap(),
    ]);
    assert_eq!(run.code, Some(2));
    assert!(run.files.is_empty());
    let at = format!(" --> {}:2:20\n", tpl.join("invoice.html.tera").display());
    assert!(
        run.stderr
            .starts_with("vspc-billing: error: Unknown filter `money`\n")
            && run.stderr.contains(&at),
        "{}",
        run.stderr
    );
    // A template that compiles but fails to render on the last invoice only: the files
    // already rendered are discarded too, and a folder made for the run is removed.
    std::fs::write(
        tpl.join("invoice.html.tera"),
        "{% if invoice.number == \"INV-00003\" %}{{ invoice.no_such_field }}{% endif %}ok",
    )
    .unwrap();
    let run = invoice(&[
        "samples/reports-api-3.6-approved.json",
        "--rates",
        "samples/rates.toml",
        "--templates",
        tpl.to_str().unwrap(),
    ]);
    assert_eq!(run.code, Some(2));
    assert!(run.files.is_empty());
    let at = format!(" --> {}:1:", tpl.join("invoice.html.tera").display());
    assert!(
        run.stderr
            .starts_with("vspc-billing: error: Field `no_such_field` is not defined")
            && run.stderr.contains(&at)
            && run.stderr.ends_with(
                "\ntemplate invoice.html.tera fails on invoice INV-00003; nothing was written\n"
            ),
        "{}",
        run.stderr
    );
    // Into an existing folder: it is left as it was, without temporary files.
    let out = dir.path().join("existing");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("keep.txt"), "mine").unwrap();
    let o = bin()
        .args([
            "invoice",
            "samples/reports-api-3.6-approved.json",
            "--rates",
            "samples/rates.toml",
            "--templates",
        ])
        .arg(&tpl)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(read_dir(&out).into_keys().collect::<Vec<_>>(), ["keep.txt"]);
}

/// Partials (`_*.tera`) of a templates folder: included templates and components, both
/// escaped as the HTML template that uses them, whatever their own name.
#[test]
fn partials_hold_includes_and_components_escaped_as_their_caller() {
    let dir = tempfile::tempdir().unwrap();
    let tpl = dir.path().join("tpl");
    std::fs::create_dir(&tpl).unwrap();
    std::fs::write(
        tpl.join("_parts.tera"),
        "{% component money(amount: string, currency: string) %}{{ currency }}\u{a0}{{ amount }}{% endcomponent money %}",
    )
    .unwrap();
    std::fs::write(tpl.join("_name.tera"), "<b>{{ invoice.customer.name }}</b>").unwrap();
    std::fs::write(
        tpl.join("invoice.html.tera"),
        "{% include \"_name.tera\" %} {{<money amount={invoice.total} currency={invoice.currency} />}}\n",
    )
    .unwrap();
    std::fs::write(
        tpl.join("invoice.txt.tera"),
        "{% include \"_name.tera\" %} {{<money amount={invoice.total} currency={invoice.currency} />}}\n",
    )
    .unwrap();
    let sample =
        std::fs::read_to_string(root().join("samples/reports-api-3.6-approved.json")).unwrap();
    let input = dir.path().join("r.json");
    std::fs::write(&input, sample.replace("Fabrikam, Inc.", "Fab & <i>Co</i>")).unwrap();
    let card = dir.path().join("rates.toml");
    std::fs::write(
        &card,
        "currency = \"EUR\"\nrounding = \"half-up\"\n[provider]\nname = \"P\"\n[default]\nper_point = 1\n",
    )
    .unwrap();
    let run = invoice(&[
        input.to_str().unwrap(),
        "--rates",
        card.to_str().unwrap(),
        "--outputs",
        "html,txt",
        "--templates",
        tpl.to_str().unwrap(),
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        text(&run.files["2026-10-0002-fab-i-co-i-00000002.html"]),
        "<b>Fab &amp; &lt;i&gt;Co&lt;&#x2F;i&gt;</b> EUR\u{a0}100.00\n"
    );
    assert_eq!(
        text(&run.files["2026-10-0002-fab-i-co-i-00000002.txt"]),
        "<b>Fab & <i>Co</i></b> EUR\u{a0}100.00\n"
    );
}

#[test]
fn format_picks_outputs_and_context_is_what_templates_get() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = dir.path().join("ctx.json");
    let run = invoice(&[
        "samples/reports-api-3.6-approved.json",
        "--rates",
        "samples/rates.toml",
        "--outputs",
        "csv",
        "--context",
        ctx.to_str().unwrap(),
        "--issue-date",
        "2026-11-05",
    ]);
    assert_eq!(run.code, Some(0));
    let names: Vec<&str> = run.files.keys().map(String::as_str).collect();
    assert_eq!(names, ["invoices.csv", "lines.csv"]);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&ctx).unwrap()).unwrap();
    let invoices = v["invoices"].as_array().unwrap();
    assert_eq!(invoices.len(), 3);
    let first = &invoices[0];
    let keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["invoice", "paper", "provider", "rounding"]);
    assert_eq!(first["paper"], "a4");
    assert_eq!(first["invoice"]["number"], "INV-00001");
    assert_eq!(first["invoice"]["total"], "101.87");
    assert_eq!(first["invoice"]["issue_date"], "2026-11-05");
    assert_eq!(first["invoice"]["due_date"], "2026-12-05");
    assert_eq!(first["provider"]["name"], "Acme Cloud Services GmbH");
    // Money is handed to templates as exact text, never as a float.
    assert_eq!(first["invoice"]["lines"][2]["amount"], json!("14.85"));
    assert_eq!(v["summary"]["summary"]["totals"]["revenue"], "263.87");
}

/// The committed schema accepts the sample rate card and refuses a typo, as the tool does.
#[test]
fn rate_card_schema_agrees_with_the_tool() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schemas/rate-card.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    let text = std::fs::read_to_string(root().join("samples/rates.toml")).unwrap();
    let as_json =
        |t: &str| serde_json::to_value(toml::from_str::<toml::Table>(t).unwrap()).unwrap();
    assert!(RateCard::parse("rates.toml", &text).is_ok());
    let errors: Vec<String> = validator
        .iter_errors(&as_json(&text))
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    for bad in [
        text.replace("per_point = 1.10", "per_pont = 1.10"),
        text.replace("rounding = \"half-up\"", "rounding = \"up\""),
        text.replace("[workloads.VBR_VM]", "[workloads.VBR_VMs]"),
        text.replace("currency = \"EUR\"", "currency = \"euro\""),
    ] {
        assert!(RateCard::parse("rates.toml", &bad).is_err());
        assert!(!validator.is_valid(&as_json(&bad)));
    }
}

fn bill_text(report: &Value, card: &str, opts: &BillOptions) -> Billing {
    try_bill(&[report], card, opts).unwrap()
}

/// Bills reports (one file each) on a card, in memory.
fn try_bill(reports: &[&Value], card: &str, opts: &BillOptions) -> Result<Billing, BillError> {
    let files: Vec<_> = reports
        .iter()
        .enumerate()
        .map(|(k, report)| {
            let f = load_bytes(
                &format!("r{k}.json"),
                serde_json::to_vec(report).unwrap(),
                &LoadOptions {
                    kind: None,
                    schema_check: SchemaCheck::OnFailure,
                    split: Split::Never,
                    max_input: vspc_billing::load::DEFAULT_MAX_INPUT,
                },
            );
            assert!(f.is_valid(), "{:?}", f.problems);
            f
        })
        .collect();
    let no_findings = FileAudit::default();
    let inputs: Vec<FileInput<'_>> = files
        .iter()
        .map(|f| FileInput {
            file: f,
            audit: &no_findings,
        })
        .collect();
    let card = RateCard::parse("card.toml", card).unwrap();
    bill(&inputs, &card, opts)
}

fn one_tenant_report(workloads: Value) -> Value {
    json!({"data": {
        "reportStatus": "Approved",
        "reportParameters": {
            "reportId": 1, "organizationName": "P", "organizationUid": "p",
            "licenseCompanyName": "P", "generationDate": "2026-04-01",
            "reportInterval": {"startOfInterval": "2026-03-01", "endOfInterval": "2026-03-31"}
        },
        "reportSummary": {"totalPoints": 400, "productsUsage": []},
        "organizationsUsage": [{"organizationType": "Company", "organizationName": "T", "organizationUid": "0000000a-0000-4000-8000-000000000001", "usedPoints": 400}],
        "usageDetails": [{"organizationName": "T", "organizationUid": "0000000a-0000-4000-8000-000000000001", "usageByLicenseAndProduct": [
            {"productType": "BackupAndReplication", "licenseEdition": "Standard", "usedPoints": 400, "workloadUsage": workloads}
        ]}]
    }})
}

/// VSPC's own worked example, end to end: gross 400, discount 15 %, tax 10 % → 374.00.
#[test]
fn vspc_worked_example_end_to_end() {
    let report = one_tenant_report(json!([
        {"workloadType": "VBR_VM", "initialCount": 80, "reportedCount": 80, "newCount": 0, "weight": 5, "usedPoints": 400}
    ]));
    let card = r#"
currency = "USD"
rounding = "half-even"
[provider]
name = "P"
[tax]
name = "Sales tax"
percent = 10
[default]
per_point = 1
discount_percent = 15
[workloads.VBR_VM]
per_unit = 5
"#;
    let b = bill_text(&report, card, &BillOptions::default());
    assert_eq!(b.invoices.len(), 1);
    let i = &b.invoices[0];
    assert_eq!(
        [i.subtotal, i.discount, i.net, i.tax, i.total].map(|m| m.to_string()),
        ["400.00", "60.00", "340.00", "34.00", "374.00"]
    );
    assert_eq!(i.number, "2026-03-0001");
    assert_eq!(
        (i.issue_date.as_str(), i.due_date.as_str()),
        ("2026-04-01", "2026-05-01")
    );
    assert!(b.summary.reports[0].reconciliation.balanced);
}

/// Tenants without usage details are billed their organization points; the provider's own
/// organization is not invoiced but reconciled.
#[test]
fn points_fallback_and_provider_own_usage() {
    let mut report = one_tenant_report(json!([]));
    report["data"]["usageDetails"] = json!([]);
    report["data"]["reportSummary"]["totalPoints"] = json!(412.25);
    report["data"]["organizationsUsage"] = json!([
        {"organizationType": "Company", "organizationName": "T", "organizationUid": "t", "usedPoints": 400.25},
        {"organizationType": "Provider", "organizationName": "P", "organizationUid": "p", "usedPoints": 12}
    ]);
    let card = "currency = \"EUR\"\nrounding = \"half-up\"\n[provider]\nname = \"P\"\n[default]\nper_point = 0.5\n";
    let b = bill_text(&report, card, &BillOptions::default());
    assert_eq!(b.invoices.len(), 1);
    let i = &b.invoices[0];
    assert_eq!(i.lines.len(), 1);
    // 400.25 points × 0.50 = 200.125 → 200.13 half-up
    assert_eq!(
        (
            i.lines[0].quantity.to_string(),
            i.lines[0].unit.as_str(),
            i.lines[0].amount.to_string()
        ),
        ("400.25".to_owned(), "point", "200.13".to_owned())
    );
    let rec = &b.summary.reports[0].reconciliation;
    assert_eq!(
        (
            rec.billed.to_string(),
            rec.provider_own.to_string(),
            rec.difference.to_string()
        ),
        ("400.25".to_owned(), "12".to_owned(), "0".to_owned())
    );
}

/// The same report twice would invoice every tenant twice: both are refused.
/// `--context` is written piece by piece as months are rendered: byte for byte what
/// `serde_json` writes for the whole context at once.
#[test]
fn the_streamed_context_is_the_whole_context() {
    use vspc_billing::render::{ContextWriter, InvoiceContext, SummaryContext, context};
    let card = RateCard::load(&root().join("samples/rates.toml")).unwrap();
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("samples/reports-api-3.6-approved.json")).unwrap(),
    )
    .unwrap();
    let card_text = std::fs::read_to_string(root().join("samples/rates.toml")).unwrap();
    let with = bill_text(&report, &card_text, &BillOptions::default());
    // No invoice at all: `"invoices": []`.
    let mut none = with.clone();
    none.invoices.clear();
    for billing in [&with, &none] {
        let mut whole = serde_json::to_vec_pretty(&context(billing, &card)).unwrap();
        whole.push(b'\n');
        let mut w = ContextWriter::new(Vec::new()).unwrap();
        for invoice in &billing.invoices {
            w.invoice(&InvoiceContext::new(&card, invoice)).unwrap();
        }
        let streamed = w
            .finish(&SummaryContext {
                provider: &card.provider,
                summary: &billing.summary,
            })
            .unwrap();
        assert_eq!(
            String::from_utf8(streamed).unwrap(),
            String::from_utf8(whole).unwrap()
        );
    }
    assert_eq!(with.invoices.len(), 3);
}

#[test]
fn the_same_report_twice_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.json");
    std::fs::copy(root().join("samples/reports-api-3.6-approved.json"), &copy).unwrap();
    let run = invoice(&[
        "samples/reports-api-3.6-approved.json",
        copy.to_str().unwrap(),
        "--rates",
        "samples/rates.toml",
        "--outputs",
        "csv",
    ]);
    assert_eq!(run.code, Some(1));
    assert_eq!(
        run.stdout.matches("duplicate-report").count(),
        2,
        "{}",
        run.stdout
    );
    assert_eq!(text(&run.files["invoices.csv"]).lines().count(), 1);
}

/// The audit and billing share one rule for which reports are copies of each other (same
/// owner, its uid compared without case and surrounding spaces, and same month): billing
/// refuses every copy of a group, the audit flags the later ones, and nothing else.
#[test]
fn billing_refuses_exactly_the_copies_the_audit_finds() {
    let sample: Value = serde_json::from_slice(
        &std::fs::read(root().join("samples/reports-api-3.6-approved.json")).unwrap(),
    )
    .unwrap();
    let uid = sample["data"][0]["reportParameters"]["organizationUid"]
        .as_str()
        .unwrap()
        .to_owned();
    let with = |id: i64, uid: &str, start: &str, end: &str| {
        let mut d = sample.clone();
        let p = &mut d["data"][0]["reportParameters"];
        p["reportId"] = json!(id);
        p["organizationUid"] = json!(uid);
        p["reportInterval"] = json!({"startOfInterval": start, "endOfInterval": end});
        d
    };
    let reports = [
        with(1, &uid, "2026-10-01", "2026-10-31"),
        // The same owner: letter case and spaces aside.
        with(
            2,
            &format!(" {} ", uid.to_uppercase()),
            "2026-10-01",
            "2026-10-31",
        ),
        // The same month, another interval.
        with(3, &uid, "2026-10-01", "2026-10-15"),
        with(4, &uid, "2026-11-01", "2026-11-30"),
        with(5, "another-owner", "2026-10-01", "2026-10-31"),
    ];
    let opts = vspc_billing::audit::AuditOptions::default();
    let files: Vec<_> = reports
        .iter()
        .enumerate()
        .map(|(k, r)| {
            let f = load_bytes(
                &format!("r{k}.json"),
                serde_json::to_vec(r).unwrap(),
                &LoadOptions::default(),
            );
            assert!(f.is_valid(), "{:?}", f.problems);
            let audit = vspc_billing::audit::check_file(&f, &opts);
            (f, audit)
        })
        .collect();
    let mut cross = vspc_billing::audit::CrossFile::new(&opts);
    for (f, a) in &files {
        cross.add(&f.name, &a.keys);
    }
    let flagged: Vec<String> = cross
        .finish()
        .into_iter()
        .filter(|f| f.code == "duplicate-report")
        .map(|f| f.file)
        .collect();
    assert_eq!(flagged, ["r1.json", "r2.json"]);
    let inputs: Vec<FileInput<'_>> = files
        .iter()
        .map(|(file, audit)| FileInput { file, audit })
        .collect();
    let card = RateCard::load(&root().join("samples/rates.toml")).unwrap();
    let opts = BillOptions {
        allow_findings: true,
        ..BillOptions::default()
    };
    let billing = bill(&inputs, &card, &opts).unwrap();
    let refused: Vec<&str> = billing
        .summary
        .refused
        .iter()
        .filter(|r| r.reasons.iter().any(|x| x.code == "duplicate-report"))
        .map(|r| r.file.as_str())
        .collect();
    assert_eq!(refused, ["r0.json", "r1.json", "r2.json"]);
    let billed: Vec<&str> = billing
        .summary
        .reports
        .iter()
        .map(|r| r.report.file.as_str())
        .collect();
    assert_eq!(billed, ["r3.json", "r4.json"]);
}

#[test]
fn summary_points_balance_for_every_sample_report() {
    let b = {
        let files: Vec<PathBuf> = ["reports-api-3.6-approved.json", "seed-license-reports.json"]
            .iter()
            .map(|n| root().join("samples").join(n))
            .collect();
        let loaded: Vec<_> = files
            .iter()
            .map(|p| {
                vspc_billing::load::load_source(
                    &vspc_billing::load::Source::File(p.clone()),
                    &LoadOptions::default(),
                )
            })
            .collect();
        let no_findings = FileAudit::default();
        let inputs: Vec<FileInput<'_>> = loaded
            .iter()
            .map(|f| FileInput {
                file: f,
                audit: &no_findings,
            })
            .collect();
        let card = RateCard::load(&root().join("samples/rates.toml")).unwrap();
        bill(
            &inputs,
            &card,
            &BillOptions {
                allow_unapproved: true,
                ..BillOptions::default()
            },
        )
        .unwrap()
    };
    assert_eq!(b.summary.reports.len(), 2);
    for r in &b.summary.reports {
        assert!(r.reconciliation.balanced, "{r:?}");
        // Revenue minus the Veeam cost is the margin; the cost is split into tenant shares
        // and what no tenant carries.
        let cost = r.cost.as_ref().unwrap().amount;
        assert_eq!(r.margin.unwrap().value(), r.revenue.value() - cost.value());
        assert_eq!(
            r.allocated_cost.unwrap().value() + r.unallocated_cost.unwrap().value(),
            cost.value()
        );
    }
}

/// A tenant's own terms: billing name, tax rate without a card-wide tax, minimum and a
/// price of its own.
#[test]
fn tenant_terms_override_the_card() {
    let report = one_tenant_report(json!([
        {"workloadType": "vbR_VM", "initialCount": 3, "reportedCount": 3, "newCount": 0, "weight": 5, "usedPoints": 15}
    ]));
    let card = r#"
currency = "CHF"
rounding = "half-up"
[provider]
name = "P"
[default]
per_point = 1
[workloads.VBR_VM]
per_unit = 5
[tenants."0000000A-0000-4000-8000-000000000001"]
name = "T Holding AG"
tax_percent = 7.7
minimum = 20
[tenants."0000000A-0000-4000-8000-000000000001".workloads.VBR_VM]
per_unit = 4.5
"#;
    let b = bill_text(&report, card, &BillOptions::default());
    let i = &b.invoices[0];
    assert_eq!(i.customer.name, "T Holding AG");
    assert_eq!(i.customer.reported_name, "T");
    // 3 × 4.50 = 13.50, topped up to 20.00; tax 7.7 % of 20.00 = 1.54.
    let lines: Vec<(String, String)> = i
        .lines
        .iter()
        .map(|l| (l.description.clone(), l.amount.to_string()))
        .collect();
    assert_eq!(
        lines,
        [
            ("Virtual machines".to_owned(), "13.50".to_owned()),
            ("Monthly minimum".to_owned(), "6.50".to_owned())
        ]
    );
    assert_eq!(i.tax_name.as_deref(), Some("Tax"));
    assert_eq!(
        [i.subtotal, i.tax, i.total].map(|m| m.to_string()),
        ["20.00", "1.54", "21.54"]
    );
}

/// Loads the approved sample under `n` names.
fn sample_copies(n: usize) -> Vec<vspc_billing::load::LoadedFile> {
    let bytes = std::fs::read(root().join("samples/reports-api-3.6-approved.json")).unwrap();
    (0..n)
        .map(|k| {
            load_bytes(
                &format!("copy-{k:04}.json"),
                bytes.clone(),
                &LoadOptions {
                    kind: None,
                    schema_check: SchemaCheck::OnFailure,
                    split: Split::Never,
                    max_input: vspc_billing::load::DEFAULT_MAX_INPUT,
                },
            )
        })
        .collect()
}

/// The refusals of many copies of one report name a few of the others and count the
/// rest: their size grows linearly with the copies, not with their square.
#[test]
fn many_copies_of_one_report_give_refusals_of_bounded_size() {
    let card = RateCard::load(&root().join("samples/rates.toml")).unwrap();
    let refusals = |n: usize| {
        let files = sample_copies(n);
        let no_findings = FileAudit::default();
        let inputs: Vec<FileInput<'_>> = files
            .iter()
            .map(|f| FileInput {
                file: f,
                audit: &no_findings,
            })
            .collect();
        let b = bill(&inputs, &card, &BillOptions::default()).unwrap();
        assert!(b.invoices.is_empty());
        b.summary.refused
    };
    let two = refusals(2);
    let messages: Vec<&str> = two.iter().map(|r| r.reasons[0].message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "the same owner and period as copy-0001.json report 0 (id 4711, Acme Cloud Services, 2026-10): billing both would invoice every tenant twice; pass only one of them",
            "the same owner and period as copy-0000.json report 0 (id 4711, Acme Cloud Services, 2026-10): billing both would invoice every tenant twice; pass only one of them",
        ]
    );
    let many = refusals(300);
    assert_eq!(many.len(), 300);
    assert!(many.iter().all(|r| r.reasons[0].code == "duplicate-report"));
    assert_eq!(
        many[299].reasons[0].message,
        "the same owner and period as copy-0000.json report 0 (id 4711, Acme Cloud Services, 2026-10), copy-0001.json report 0 (id 4711, Acme Cloud Services, 2026-10), copy-0002.json report 0 (id 4711, Acme Cloud Services, 2026-10), and 296 more: billing all 300 would invoice every tenant 300 times; pass only one of them"
    );
    let longest = many.iter().map(|r| r.reasons[0].message.len()).max();
    assert!(longest < Some(400), "{longest:?}");
}

/// A card of `EUR` with the sections in `rest`.
fn card_with(rest: &str) -> String {
    format!("currency = \"EUR\"\nrounding = \"half-up\"\n[provider]\nname = \"P\"\n{rest}")
}

/// The report of one tenant "t" with 80 VMs of weight 5 (400 points), for `month`.
fn vm_report(month: u32) -> Value {
    let mut r = one_tenant_report(json!([
        {"workloadType": "VBR_VM", "initialCount": 80, "reportedCount": 80, "newCount": 0, "weight": 5, "usedPoints": 400}
    ]));
    let p = &mut r["data"]["reportParameters"];
    p["reportInterval"] = json!({
        "startOfInterval": format!("2026-{month:02}-01"),
        "endOfInterval": format!("2026-{month:02}-{}", [31, 28, 31, 30, 31, 30][month as usize - 1]),
    });
    p["generationDate"] = json!(format!("2026-{:02}-01", month + 1));
    r
}

/// An amount that cannot be computed exactly refuses its report with a message naming
/// what overflowed, instead of a zero, a saturated number or an amount without its cents.
#[test]
fn overflowing_amounts_refuse_the_report_and_say_what_overflowed() {
    let report = vm_report(3);
    for (rest, what) in [
        // 400 points × 7e27: "Owed to Veeam 0.00" and the whole revenue as margin before.
        (
            "[default]\nper_point = 1\n[cost]\nper_point = 7000000000000000000000000000\n",
            "[cost] per_point",
        ),
        // 80 × 10^25 = 8 × 10^26 holds in a decimal, but not with its cents.
        (
            "[default]\nper_point = 1\n[workloads.VBR_VM]\nper_unit = 10000000000000000000000000\n",
            "the amount of a line (quantity × unit price)",
        ),
        (
            "[default]\nper_point = 1\nminimum = 79228162514264337593543950335\n",
            "the top-up to the monthly minimum",
        ),
        // 400 × 1.25 × 10^24 = 5 × 10^26 fits with cents; with 100 % tax, the total does not.
        (
            "[tax]\nname = \"VAT\"\npercent = 100\n[default]\nper_point = 1250000000000000000000000\n",
            "the invoice total",
        ),
    ] {
        let b = bill_text(&report, &card_with(rest), &BillOptions::default());
        assert!(b.invoices.is_empty(), "{rest}: {:?}", b.invoices);
        assert!(b.summary.reports.is_empty(), "{rest}");
        let reasons = &b.summary.refused[0].reasons;
        assert_eq!(reasons[0].code, "unbillable-data", "{rest}");
        assert!(
            reasons[0].message.contains(what)
                && reasons[0].message.contains("cannot be computed exactly"),
            "{rest}: {}",
            reasons[0].message
        );
    }
}

/// Totals that overflow: over the tenants of one report, the report is refused; over the
/// reports of a run, the run is (`amount-overflow`), and the command writes nothing.
#[test]
fn totals_that_overflow_refuse_the_report_or_the_run() {
    // Each tenant: 400 points × 1.25 × 10^24 = 5 × 10^26, which holds with cents; two of
    // them do not.
    let card = card_with("[default]\nper_point = 1250000000000000000000000\n");
    let mut two = vm_report(3);
    let mut second = two["data"]["usageDetails"][0].clone();
    second["organizationUid"] = json!("u");
    two["data"]["usageDetails"]
        .as_array_mut()
        .unwrap()
        .push(second);
    two["data"]["organizationsUsage"]
        .as_array_mut()
        .unwrap()
        .push(json!({"organizationType": "Company", "organizationName": "U", "organizationUid": "u", "usedPoints": 400}));
    two["data"]["reportSummary"]["totalPoints"] = json!(800);
    let b = bill_text(&two, &card, &BillOptions::default());
    assert!(b.invoices.is_empty());
    let reason = &b.summary.refused[0].reasons[0];
    assert_eq!(reason.code, "unbillable-data");
    assert!(reason.message.contains("revenue"), "{}", reason.message);
    // One tenant a month: each report is fine, their sum is not.
    let (march, april) = (vm_report(3), vm_report(4));
    assert_eq!(
        try_bill(&[&march], &card, &BillOptions::default())
            .unwrap()
            .summary
            .totals
            .revenue
            .to_string(),
        "500000000000000000000000000.00"
    );
    let Err(BillError::Overflow(e)) = try_bill(&[&march, &april], &card, &BillOptions::default())
    else {
        panic!("the run is refused");
    };
    assert!(e.starts_with("amount-overflow: the run's"), "{e}");
    // The command: status 2, and nothing written.
    let dir = tempfile::tempdir().unwrap();
    for (name, r) in [("march.json", &march), ("april.json", &april)] {
        std::fs::write(dir.path().join(name), serde_json::to_vec(r).unwrap()).unwrap();
    }
    std::fs::write(dir.path().join("card.toml"), &card).unwrap();
    let out = dir.path().join("out");
    let o = bin()
        .arg("invoice")
        .arg(dir.path().join("march.json"))
        .arg(dir.path().join("april.json"))
        .arg("--rates")
        .arg(dir.path().join("card.toml"))
        .arg("--out")
        .arg(&out)
        // The made-up reports have no products in their summary.
        .arg("--allow-findings")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("amount-overflow"), "{stderr}");
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert!(!out.exists() || std::fs::read_dir(&out).unwrap().next().is_none());
}

/// A discount of 0.4999999999999999999999999995 % on 1.00 is below half a cent: 0.00.
/// Rounding the product to 28 digits first made it 0.01.
#[test]
fn a_discount_with_28_significant_digits_is_rounded_once() {
    let report = one_tenant_report(json!([
        {"workloadType": "VBR_VM", "initialCount": 4, "reportedCount": 4, "newCount": 0, "weight": 5, "usedPoints": 20}
    ]));
    let card = card_with(
        "[default]\nper_point = 1\ndiscount_percent = \"0.4999999999999999999999999995\"\n[workloads.VBR_VM]\nper_unit = 0.25\n",
    );
    let b = bill_text(&report, &card, &BillOptions::default());
    let i = &b.invoices[0];
    assert_eq!(
        [i.subtotal, i.discount, i.net].map(|m| m.to_string()),
        ["1.00", "0.00", "1.00"]
    );
}

/// A card with every key the rate-card schema bounds, valid for the tool and the schema.
const BOUNDS_BASE: &str = r#"
currency = "EUR"
decimals = 2
rounding = "half-up"
due_days = 30
invoice_number = "{period}-{seq:04}"
[provider]
name = "P"
electronic_address = { scheme = "EM", id = "invoices@p.example" }
postal_address = { street = "S 1", city = "C", country = "DE" }
payment = { iban = "DE89370400440532013000", means = "sepa-credit-transfer" }
[tax]
name = "VAT"
percent = 19
[default]
per_point = 1
discount_percent = 0
minimum = 10
[workloads.VBR_VM]
per_unit = 6
editions = { Enterprise = 7 }
free_units = 1
[workloads.VAC_Workstation_Agent]
graduated = [{ up_to = 2, per_unit = 5 }, { per_unit = 3 }]
[workloads.VAC_Server_Agent]
volume = [{ up_to = 10, per_unit = 14 }, { per_unit = 10 }]
[workloads.VB365_User]
package = { size = 10, price = 15 }
[tenants.c1a2b3c4-0002-4000-8000-000000000002]
per_point = 1
discount_percent = 0
tax_percent = 0
tax_category = "zero-rated"
tax_note = "Zero-rated supply"
postal_address = { street = "S 2", city = "C", country = "FR" }
minimum = 10
[tenants.c1a2b3c4-0003-4000-8000-000000000003]
tax_category = "standard"
tax_note = "The reason of the category"
[tenants.c1a2b3c4-0002-4000-8000-000000000002.workloads.VBR_VM]
per_unit = 5
free_units = 0
[cost]
per_point = 0.8
minimum_points = 250
"#;

/// Keywords of JSON Schema that bound a value.
const BOUND_KEYWORDS: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "pattern",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "enum",
    "const",
];

/// Every bound keyword of a schema: (JSON pointer of the keyword, the subschema holding it).
fn schema_bounds(schema: &Value, at: &str, out: &mut Vec<(String, Value)>) {
    let Some(obj) = schema.as_object() else {
        return;
    };
    for (k, v) in obj {
        let here = format!("{at}/{k}");
        if BOUND_KEYWORDS.contains(&k.as_str()) {
            out.push((here.clone(), schema.clone()));
        }
        match k.as_str() {
            "properties" | "$defs" | "patternProperties" => {
                for (name, sub) in v.as_object().into_iter().flatten() {
                    schema_bounds(sub, &format!("{here}/{name}"), out);
                }
            }
            "anyOf" | "oneOf" | "allOf" | "prefixItems" => {
                for (i, sub) in v.as_array().into_iter().flatten().enumerate() {
                    schema_bounds(sub, &format!("{here}/{i}"), out);
                }
            }
            "items" | "additionalProperties" | "propertyNames" | "not" | "contains" => {
                schema_bounds(v, &here, out);
            }
            _ => {}
        }
    }
}

/// Sets the value at a dotted path (numbers index arrays), or adds key `key` there.
fn set_path(card: &mut toml::Value, path: &str, key: Option<&str>, value: toml::Value) {
    let mut v = card;
    for seg in path.split('.') {
        v = match seg.parse::<usize>() {
            Ok(i) => &mut v.as_array_mut().unwrap()[i],
            Err(_) => v
                .as_table_mut()
                .unwrap()
                .entry(seg)
                .or_insert_with(|| toml::Value::Table(toml::Table::new())),
        };
    }
    match key {
        Some(k) => {
            v.as_table_mut().unwrap().insert(k.to_owned(), value);
        }
        None => *v = value,
    }
}

fn toml_value(literal: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {literal}")).unwrap()["v"].clone()
}

/// Every bound of the committed rate-card schema (each minimum, maximum, pattern, enum,
/// const, maxLength... found by walking it) is enforced by the card loader: at every
/// place the bound applies, a card at the bound is accepted and a card one step outside it
/// is refused, by `RateCard::parse` and by the JSON Schema validator alike. A bound added
/// to the schema without a case here fails the test.
#[test]
fn every_bound_of_the_rate_card_schema_is_enforced_by_the_loader() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schemas/rate-card.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    let mut bounds = Vec::new();
    schema_bounds(&schema, "", &mut bounds);

    let amounts: &[&str] = &[
        "default.per_point",
        "default.minimum",
        "workloads.VBR_VM.per_unit",
        "workloads.VBR_VM.editions.Enterprise",
        "workloads.VAC_Workstation_Agent.graduated.0.per_unit",
        "workloads.VAC_Server_Agent.volume.1.per_unit",
        "workloads.VB365_User.package.price",
        "tenants.c1a2b3c4-0002-4000-8000-000000000002.per_point",
        "tenants.c1a2b3c4-0002-4000-8000-000000000002.minimum",
        "tenants.c1a2b3c4-0002-4000-8000-000000000002.workloads.VBR_VM.per_unit",
        "cost.per_point",
        "cost.minimum_points",
    ];
    // A tax percent is bounded by its category too (0 % for all but standard, checked by
    // `tax_categories_agree_with_their_percent_and_carry_their_note`): the bounds of a
    // percent are tried where every percent is valid.
    let percents: &[&str] = &[
        "default.discount_percent",
        "tenants.c1a2b3c4-0002-4000-8000-000000000002.discount_percent",
    ];
    let categories: &[&str] = &["tenants.c1a2b3c4-0003-4000-8000-000000000003.tax_category"];
    let countries: &[&str] = &[
        "provider.postal_address.country",
        "tenants.c1a2b3c4-0002-4000-8000-000000000002.postal_address.country",
    ];
    // Where each bound applies; for strings, the values at and outside it.
    let places: BTreeMap<&str, &[&str]> = [
        ("/$defs/Amount/anyOf/0/minimum", amounts),
        ("/$defs/Amount/anyOf/1/pattern", amounts),
        ("/$defs/Percent/anyOf/0/minimum", percents),
        ("/$defs/Percent/anyOf/0/maximum", percents),
        ("/$defs/Percent/anyOf/1/pattern", percents),
        (
            "/$defs/Package/properties/size/minimum",
            &["workloads.VB365_User.package.size"][..],
        ),
        (
            "/$defs/Tier/properties/up_to/minimum",
            &[
                "workloads.VAC_Workstation_Agent.graduated.0.up_to",
                "workloads.VAC_Server_Agent.volume.0.up_to",
            ],
        ),
        (
            "/$defs/WorkloadPrice/properties/free_units/minimum",
            &[
                "workloads.VBR_VM.free_units",
                "tenants.c1a2b3c4-0002-4000-8000-000000000002.workloads.VBR_VM.free_units",
            ],
        ),
        (
            "/$defs/RoundingMode/oneOf/0/const",
            &["rounding", "tax.rounding"],
        ),
        (
            "/$defs/RoundingMode/oneOf/1/const",
            &["rounding", "tax.rounding"],
        ),
        (
            "/$defs/MinimumApplies/oneOf/0/const",
            &[
                "default.minimum_applies",
                "tenants.c1a2b3c4-0002-4000-8000-000000000002.minimum_applies",
            ],
        ),
        (
            "/$defs/MinimumApplies/oneOf/1/const",
            &[
                "default.minimum_applies",
                "tenants.c1a2b3c4-0002-4000-8000-000000000002.minimum_applies",
            ],
        ),
        ("/$defs/TaxCategory/oneOf/0/const", categories),
        ("/$defs/TaxCategory/oneOf/1/const", categories),
        ("/$defs/TaxCategory/oneOf/2/const", categories),
        ("/$defs/TaxCategory/oneOf/3/const", categories),
        ("/$defs/TaxCategory/oneOf/4/const", categories),
        (
            "/$defs/PaymentMeans/oneOf/0/const",
            &["provider.payment.means"][..],
        ),
        (
            "/$defs/PaymentMeans/oneOf/1/const",
            &["provider.payment.means"][..],
        ),
        ("/$defs/PostalAddress/properties/country/enum", countries),
        (
            "/$defs/ElectronicAddress/properties/scheme/pattern",
            &["provider.electronic_address.scheme"][..],
        ),
        ("/$defs/Allocate/oneOf/0/const", &["cost.allocate"]),
        ("/$defs/Allocate/oneOf/1/const", &["cost.allocate"]),
        (
            "/$defs/DateFormat/oneOf/0/const",
            &["accounting.date_format"],
        ),
        (
            "/$defs/DateFormat/oneOf/1/const",
            &["accounting.date_format"],
        ),
        ("/$defs/Paper/oneOf/0/const", &["paper"]),
        ("/$defs/Paper/oneOf/1/const", &["paper"]),
        ("/properties/tenants/propertyNames/pattern", &["tenants"]),
        (
            "/$defs/TenantTerms/properties/workloads/propertyNames/enum",
            &["tenants.c1a2b3c4-0002-4000-8000-000000000002.workloads"],
        ),
        ("/properties/workloads/propertyNames/enum", &["workloads"]),
        ("/properties/currency/enum", &["currency"]),
        ("/properties/decimals/minimum", &["decimals"]),
        ("/properties/decimals/maximum", &["decimals"]),
        ("/properties/due_days/minimum", &["due_days"]),
        ("/properties/due_days/maximum", &["due_days"]),
        ("/properties/invoice_number/maxLength", &["invoice_number"]),
        ("/properties/invoice_start/minimum", &["invoice_start"]),
        ("/properties/invoice_start/maximum", &["invoice_start"]),
    ]
    .into_iter()
    .collect();
    let found: Vec<&str> = bounds.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        found
            .iter()
            .copied()
            .collect::<std::collections::BTreeSet<_>>(),
        places.keys().copied().collect(),
        "every bound of the schema has a case, and every case a bound"
    );

    let q = |s: &str| format!("{s:?}");
    let base: toml::Value = toml::Value::Table(toml::from_str(BOUNDS_BASE).unwrap());
    let mut checked = 0;
    for (pointer, sub) in &bounds {
        let keyword = pointer.rsplit('/').next().unwrap();
        let bound = &sub[keyword];
        let integer = sub["type"] == "integer";
        let number = |v: f64| {
            if integer {
                format!("{v}")
            } else {
                format!("{v:.2}")
            }
        };
        let step = if integer { 1.0 } else { 0.01 };
        // (literals at the bound, literals outside it, whether they are keys)
        let (at, out, key): (Vec<String>, Vec<String>, bool) = match keyword {
            "minimum" => {
                let m = bound.as_f64().unwrap();
                (vec![number(m)], vec![number(m - step)], false)
            }
            "maximum" => {
                let m = bound.as_f64().unwrap();
                (vec![number(m)], vec![number(m + step)], false)
            }
            "const" => {
                let c = bound.as_str().unwrap();
                // Another case of the same letters (`DD/MM/YYYY` has no upper case).
                let cased = if c.to_uppercase() == c {
                    c.to_lowercase()
                } else {
                    c.to_uppercase()
                };
                (vec![q(c)], vec![q(&cased), q("half-down")], false)
            }
            "maxLength" => {
                let n = usize::try_from(bound.as_u64().unwrap()).unwrap();
                let valid = |len: usize| format!("{{period}}-{{seq:04}}-{}", "A".repeat(len - 18));
                (vec![q(&valid(n))], vec![q(&valid(n + 1))], false)
            }
            "enum" if pointer.ends_with("propertyNames/enum") => {
                let all = bound.as_array().unwrap();
                let first = all[0].as_str().unwrap();
                let last = all[all.len() - 1].as_str().unwrap();
                (
                    vec![first.into(), last.into(), "CC_VM_Backup".into()],
                    vec!["VBR_VMs".into(), "vbr_vm".into(), "Other".into()],
                    true,
                )
            }
            "enum" if pointer.contains("country") => {
                let all = bound.as_array().unwrap();
                let first = all[0].as_str().unwrap();
                let last = all[all.len() - 1].as_str().unwrap();
                (
                    [first, last, "DE", "US", "GB"].map(q).to_vec(),
                    ["de", "UK", "XX", "DEU", "EU", ""].map(q).to_vec(),
                    false,
                )
            }
            "enum" => {
                let all = bound.as_array().unwrap();
                let first = all[0].as_str().unwrap();
                let last = all[all.len() - 1].as_str().unwrap();
                (
                    [first, last, "EUR", "JPY", "BHD", "CHF"].map(q).to_vec(),
                    ["ABC", "eur", "EURO", "HRK", "XAU", "XTS", ""]
                        .map(q)
                        .to_vec(),
                    false,
                )
            }
            "pattern" if pointer.ends_with("propertyNames/pattern") => (
                vec![
                    "c1a2b3c4-0002-4000-8000-000000000099".into(),
                    "ABCDEF01-abcd-4000-8000-00000000000A".into(),
                ],
                vec![
                    "t".into(),
                    "c1a2b3c4-0002-4000-8000-00000000009".into(),
                    "c1a2b3c4-0002-4000-8000-0000000000999".into(),
                    "c1a2b3c4_0002-4000-8000-000000000099".into(),
                    "{c1a2b3c4-0002-4000-8000-000000000099}".into(),
                    "g1a2b3c4-0002-4000-8000-000000000099".into(),
                    String::new(),
                ],
                true,
            ),
            "pattern" if pointer.contains("scheme") => (
                ["EM", "0204", "9930", "0088"].map(q).to_vec(),
                ["em", "EMX", "020", "02045", "", " EM", "E-M"]
                    .map(q)
                    .to_vec(),
                false,
            ),
            "pattern" if pointer.contains("Percent") => (
                [
                    "0",
                    "100",
                    "100.000",
                    "99.99",
                    "007.5",
                    "0.4999999999999999999999999995",
                ]
                .map(q)
                .to_vec(),
                [
                    "100.01", "101", "1000", "-1", ".5", "5.", " 5", "5 ", "1e2", "+5", "",
                ]
                .map(q)
                .to_vec(),
                false,
            ),
            "pattern" => (
                ["0", "12.50", "007", "1.5"].map(q).to_vec(),
                [
                    ".5", "5.", "-0", "-1", "1e3", " 1", "1 ", "1 000", "", "+1", "1.2.3", "١",
                ]
                .map(q)
                .to_vec(),
                false,
            ),
            _ => panic!("no case for {pointer}"),
        };
        for path in places[pointer.as_str()] {
            for (literals, accepted) in [(&at, true), (&out, false)] {
                for lit in literals {
                    let mut card = base.clone();
                    if key {
                        // A tenant's terms, or a workload's price.
                        let value = if *path == "tenants" {
                            "{ minimum = 1 }"
                        } else {
                            "{ per_unit = 1 }"
                        };
                        set_path(&mut card, path, Some(lit), toml_value(value));
                    } else {
                        set_path(&mut card, path, None, toml_value(lit));
                    }
                    let text = toml::to_string(&card).unwrap();
                    let tool = RateCard::parse("bounds.toml", &text);
                    let schema_ok = validator.is_valid(&serde_json::to_value(&card).unwrap());
                    assert_eq!(
                        (tool.is_ok(), schema_ok),
                        (accepted, accepted),
                        "{pointer} at {path} = {lit}: the tool says {:?}\n{text}",
                        tool.as_ref().err()
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 200, "{checked}");
}

/// Invoice dates have four-digit years: a due date after 9999-12-31 refuses the report.
#[test]
fn due_dates_after_the_year_9999_refuse_the_report() {
    let mut report = vm_report(3);
    report["data"]["reportParameters"]["generationDate"] = json!("9999-12-31");
    let card = |due: u32| {
        format!(
            "due_days = {due}\n{}",
            card_with("[default]\nper_point = 1\n")
        )
    };
    let b = bill_text(&report, &card(30), &BillOptions::default());
    assert!(b.invoices.is_empty());
    let reason = &b.summary.refused[0].reasons[0];
    assert_eq!(
        (reason.code.as_str(), reason.message.as_str()),
        (
            "unbillable-data",
            "the due date, 9999-12-31 + 30 days, is after 9999-12-31"
        )
    );
    let b = bill_text(&report, &card(0), &BillOptions::default());
    assert_eq!(b.invoices[0].due_date, "9999-12-31");
    // The same with --issue-date.
    let opts = BillOptions {
        issue_date: Some((9999, 12, 2)),
        ..BillOptions::default()
    };
    assert_eq!(
        bill_text(&vm_report(3), &card(29), &opts).invoices[0].due_date,
        "9999-12-31"
    );
    assert!(
        bill_text(&vm_report(3), &card(30), &opts)
            .invoices
            .is_empty()
    );
}

/// Without `decimals`, amounts have the currency's minor unit: none for the yen.
#[test]
fn amounts_in_yen_have_no_decimals_by_default() {
    let card = "currency = \"JPY\"\nrounding = \"half-up\"\n[provider]\nname = \"P\"\n[tax]\nname = \"VAT\"\npercent = 10\n[default]\nper_point = 1\n[workloads.VBR_VM]\nper_unit = 6.33\n";
    let b = bill_text(&vm_report(3), card, &BillOptions::default());
    let i = &b.invoices[0];
    // 80 × 6.33 = 506.4 → 506; 10 % tax = 50.6 → 51.
    assert_eq!(
        [i.lines[0].amount, i.subtotal, i.tax, i.total].map(|m| m.to_string()),
        ["506", "506", "51", "557"]
    );
    assert_eq!(i.lines[0].unit_price.to_string(), "6.33");
}

/// The sample card with `from` replaced by `to`, written to a temporary file.
fn sample_card_with(from: &str, to: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rates.toml");
    let text = std::fs::read_to_string(root().join("samples/rates.toml")).unwrap();
    assert!(text.contains(from), "{from}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    (dir, path.to_str().unwrap().to_owned())
}

/// A `[tenants."UID"]` with one mistyped character matches nobody: Fabrikam would be
/// billed without its minimum, address and tax ID (178.50 became 149.35) and the run
/// exited 0 with a warning. Now it stops before anything is written, at the key's place.
#[test]
fn a_card_tenant_that_matches_no_organization_stops_the_run() {
    let (_dir, card) = sample_card_with(
        "[tenants.\"c1a2b3c4-0002-4000-8000-000000000002\"]",
        "[tenants.\"c1a2b3c4-0002-4000-8000-00000000002b\"]",
    );
    let line = 1 + std::fs::read_to_string(&card)
        .unwrap()
        .lines()
        .position(|l| l.contains("00000000002b"))
        .unwrap();
    let run = invoice(&["samples/reports-api-3.6-approved.json", "--rates", &card]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.files.is_empty(), "{:?}", run.files.keys());
    assert!(
        run.stderr.contains(
            "error[unknown-tenant]: /tmp/" // the card's path, then its place
        ) && run.stderr.contains(&format!(
            "/rates.toml:{line}:10: tenants.c1a2b3c4-0002-4000-8000-00000000002b: \"c1a2b3c4-0002-4000-8000-00000000002b\" matches no organization of the reports read"
        )),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing was written"), "{}", run.stderr);
    // Allowed (in a comma list with an audit code), it bills as before, with a warning:
    // Fabrikam without its terms: 125.50 + 19 % VAT (23.845, half-even as the sample's
    // [tax] rounding says: 23.84) = 149.34.
    let run = invoice(&[
        "samples/reports-api-3.6-approved.json",
        "--rates",
        &card,
        "--allow",
        "weight-unexpected, unknown-tenant",
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "rate card tenant \"c1a2b3c4-0002-4000-8000-00000000002b\" matches no organization"
        ),
        "{}",
        run.stderr
    );
    let fabrikam = text(&run.files["INV-00002-fabrikam-inc-00000002.txt"]);
    assert!(
        fabrikam.contains("TOTAL DUE EUR       149.34"),
        "{fabrikam}"
    );
    let summary = text(&run.files["summary.md"]);
    assert!(
        summary.contains("## Rate card tenants not found"),
        "{summary}"
    );
}

/// `require_buyer_address = true` refuses the tenants without an address, with a code, and
/// invoices the others; the refused tenant's points are accounted for.
#[test]
fn tenants_without_an_address_are_refused_when_the_card_requires_one() {
    let (_dir, card) = sample_card_with(
        "# require_buyer_address = true",
        "require_buyer_address = true",
    );
    let (_dir2, card2) = {
        let text = std::fs::read_to_string(&card).unwrap().replacen(
            "postal_address = { street = \"Hafenweg 3\", postcode = \"20457\", city = \"Hamburg\", country = \"DE\" }\n",
            "",
            1,
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rates.toml");
        std::fs::write(&path, text).unwrap();
        (dir, path.to_str().unwrap().to_owned())
    };
    let run = invoice(&["samples/reports-api-3.6-approved.json", "--rates", &card2]);
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert!(
        run.stdout.contains("refused samples/reports-api-3.6-approved.json report 0")
            && run.stdout.contains(
                "buyer-address-missing: \"Northwind Traders GmbH\" (c1a2b3c4-0003-4000-8000-000000000003) has no billing address"
            ),
        "{}",
        run.stdout
    );
    let names: Vec<&str> = run.files.keys().map(String::as_str).collect();
    assert!(
        names.contains(&"INV-00001-contoso-ltd-00000001.txt"),
        "{names:?}"
    );
    assert!(
        names.contains(&"INV-00002-fabrikam-inc-00000002.txt"),
        "{names:?}"
    );
    assert!(names.iter().all(|n| !n.contains("northwind")), "{names:?}");
    let summary = text(&run.files["summary.md"]);
    assert!(
        summary.contains("| (refused, see above) | Northwind Traders (reseller) | 15 |"),
        "{summary}"
    );
    assert!(
        summary.contains("| − tenants refused, not invoiced | 15 |"),
        "{summary}"
    );
    assert!(
        summary.contains("Balanced: every point of the report is accounted for."),
        "{summary}"
    );
    // Every tenant with an address: billed as without the option.
    let run = invoice(&["samples/reports-api-3.6-approved.json", "--rates", &card]);
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    assert!(
        run.files
            .contains_key("INV-00003-northwind-traders-gmbh-00000003.txt")
    );
}

/// Comma lists are read the same everywhere: `--outputs`, `--allow` and `--deny` take
/// repeated values or comma lists with spaces, on the command line and in the config file.
#[test]
fn every_list_option_takes_comma_lists() {
    let run = invoice(&[
        "samples/reports-api-3.6-approved.json",
        "--rates",
        "samples/rates.toml",
        "--outputs",
        "txt, csv",
        "--outputs",
        "summary",
        "--allow",
        "weight-unexpected,missing-month",
        "--deny",
        " paging-incomplete , api-error",
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let names: Vec<&str> = run.files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "INV-00001-contoso-ltd-00000001.txt",
            "INV-00002-fabrikam-inc-00000002.txt",
            "INV-00003-northwind-traders-gmbh-00000003.txt",
            "invoices.csv",
            "lines.csv",
            "summary.csv",
            "summary.md"
        ]
    );
    let run = invoice(&[
        "samples/reports-api-3.6-approved.json",
        "--rates",
        "samples/rates.toml",
        "--outputs",
        "txt,docx",
    ]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr
            .contains("--outputs: unknown output \"docx\" (html, md, txt, pdf, csv, summary, cii, xero or quickbooks)"),
        "{}",
        run.stderr
    );
    // The config file's lists: entries, and comma lists in an entry.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("vspc-billing.toml");
    std::fs::write(
        &config,
        "[audit]\nallow = [\"weight-unexpected, missing-month\"]\n[invoice]\noutputs = [\"md,csv\"]\n",
    )
    .unwrap();
    let run = invoice(&[
        "--config",
        config.to_str().unwrap(),
        "samples/reports-api-3.6-approved.json",
        "--rates",
        "samples/rates.toml",
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.files.len(), 5, "{:?}", run.files.keys());
    let audit = bin()
        .args([
            "audit",
            "samples/seed-license-reports.json",
            "--allow",
            "invalid-date, report-not-approved",
        ])
        .output()
        .unwrap();
    assert_eq!(audit.status.code(), Some(0));
}

/// A tenant with nothing to bill gets no invoice when there is no minimum or the minimum
/// is 0 (it got a numbered 0.00 invoice): it is listed in the summary instead.
#[test]
fn no_invoice_for_a_tenant_with_nothing_to_bill() {
    // One replica, free; one new VM, not charged: the lines come to 0.00.
    let report = one_tenant_report(json!([
        {"workloadType": "CC_VM_Replica", "initialCount": 1, "reportedCount": 1, "newCount": 0, "weight": 10, "usedPoints": 10},
        {"workloadType": "VBR_VM", "initialCount": 1, "reportedCount": 0, "newCount": 1, "weight": 5, "usedPoints": 0}
    ]));
    let mut report = report;
    report["data"]["reportSummary"]["totalPoints"] = json!(10);
    report["data"]["organizationsUsage"][0]["usedPoints"] = json!(10);
    for minimum in ["", "minimum = 0\n"] {
        let card = card_with(&format!(
            "[default]\nper_point = 1\n{minimum}[workloads.CC_VM_Replica]\nper_unit = 25\nfree_units = 1\n[workloads.VBR_VM]\nper_unit = 6\n"
        ));
        let b = bill_text(&report, &card, &BillOptions::default());
        assert!(b.invoices.is_empty(), "{minimum}: {:?}", b.invoices);
        let r = &b.summary.reports[0];
        assert_eq!(r.no_usage.len(), 1);
        assert_eq!(r.reconciliation.not_invoiced.to_string(), "10");
        assert!(r.reconciliation.balanced);
    }
    // A minimum above 0 still invoices the top-up.
    let card = card_with(
        "[default]\nper_point = 1\nminimum = 5\n[workloads.CC_VM_Replica]\nper_unit = 25\nfree_units = 1\n[workloads.VBR_VM]\nper_unit = 6\n",
    );
    let b = bill_text(&report, &card, &BillOptions::default());
    assert_eq!(b.invoices.len(), 1);
    assert_eq!(b.invoices[0].total.to_string(), "5.00");
}

/// The charged quantity leaves out the workloads activated this month, and the invoice
/// says so; `charge_new = true` (on the card, or for one tenant) charges them.
#[test]
fn new_workloads_are_left_out_unless_the_card_charges_them() {
    let report = one_tenant_report(json!([
        {"workloadType": "VBR_VM", "initialCount": 5, "reportedCount": 3, "newCount": 2, "weight": 5, "usedPoints": 15}
    ]));
    let lines = |card: &str| -> Vec<(String, String, String)> {
        bill_text(&report, card, &BillOptions::default()).invoices[0]
            .lines
            .iter()
            .map(|l| {
                (
                    l.quantity.to_string(),
                    l.amount.to_string(),
                    l.detail.clone().unwrap_or_default(),
                )
            })
            .collect()
    };
    let row = |q: &str, a: &str, d: &str| (q.to_owned(), a.to_owned(), d.to_owned());
    let prices = "[workloads.VBR_VM]\nper_unit = 6\n";
    assert_eq!(
        lines(&card_with(&format!("[default]\nper_point = 1\n{prices}"))),
        [
            row("3", "18.00", ""),
            row(
                "2",
                "0.00",
                "activated this month: not in the charged quantity, not charged"
            )
        ]
    );
    let charged = [
        row("5", "30.00", ""),
        row(
            "2",
            "0.00",
            "activated this month: included in the charged quantity",
        ),
    ];
    assert_eq!(
        lines(&card_with(&format!(
            "[default]\nper_point = 1\ncharge_new = true\n{prices}"
        ))),
        charged
    );
    // Per tenant, both ways.
    let tenant = "[tenants.\"0000000A-0000-4000-8000-000000000001\"]";
    assert_eq!(
        lines(&card_with(&format!(
            "[default]\nper_point = 1\n{prices}{tenant}\ncharge_new = true\n"
        ))),
        charged
    );
    assert_eq!(
        lines(&card_with(&format!(
            "[default]\nper_point = 1\ncharge_new = true\n{prices}{tenant}\ncharge_new = false\n"
        )))[0],
        row("3", "18.00", "")
    );
}

/// `minimum_applies` and `[tax] rounding`, end to end through a card.
#[test]
fn minimum_after_discount_and_tax_rounding_from_the_card() {
    // 3 VMs × 20.83 = 62.49; 10 % discount; minimum 100; tax 8 %.
    let report = one_tenant_report(json!([
        {"workloadType": "VBR_VM", "initialCount": 3, "reportedCount": 3, "newCount": 0, "weight": 5, "usedPoints": 15}
    ]));
    let card = |applies: &str, tax_rounding: &str| {
        card_with(&format!(
            "[tax]\nname = \"VAT\"\npercent = 8\n{tax_rounding}[default]\nper_point = 1\ndiscount_percent = 10\nminimum = 100\n{applies}[workloads.VBR_VM]\nper_unit = 20.83\n"
        ))
    };
    let totals = |card: &str| {
        let i = &bill_text(&report, card, &BillOptions::default()).invoices[0];
        [i.subtotal, i.discount, i.net, i.tax, i.total].map(|m| m.to_string())
    };
    // Before the discount (the default): top-up 37.51 to 100.00, then 10 % off: 90.00.
    assert_eq!(
        totals(&card("", "")),
        ["100.00", "10.00", "90.00", "7.20", "97.20"]
    );
    // After it: 62.49 − 6.25 = 56.24, topped up by 43.76 to 100.00.
    let after = card("minimum_applies = \"after-discount\"\n", "");
    assert_eq!(
        totals(&after),
        ["106.25", "6.25", "100.00", "8.00", "108.00"]
    );
    let i = &bill_text(&report, &after, &BillOptions::default()).invoices[0];
    assert_eq!(
        i.lines.last().unwrap().detail.as_deref(),
        Some("minimum 100.00 EUR after discount, usage 62.49 less discount 6.25")
    );
    // Tax of its own mode: 3 × 18.80 = 56.40, 6.25 % tax = 3.525: half-up (the card's
    // rounding) 3.53, half-even 3.52.
    let tax_card = |rounding: &str| {
        card_with(&format!(
            "[tax]\nname = \"VAT\"\npercent = 6.25\n{rounding}[default]\nper_point = 1\n[workloads.VBR_VM]\nper_unit = 18.80\n"
        ))
    };
    let tax = |card: &str| {
        bill_text(&report, card, &BillOptions::default()).invoices[0]
            .tax
            .to_string()
    };
    assert_eq!(tax(&tax_card("")), "3.53");
    assert_eq!(tax(&tax_card("rounding = \"half-even\"\n")), "3.52");
}

/// A file whose months are its own is billed while it is loaded, a chunk of tenants at a
/// time (its invoices never all in memory); with another input beside it, the same file's
/// months are held until they close. Both give the same invoices, numbers and CSV, across
/// more than one chunk ([`vspc_billing::billing::CHUNK`]) and two months.
#[test]
fn a_file_billed_in_chunks_gives_what_a_held_month_gives() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    let tenants = vspc_billing::billing::CHUNK + 700;
    let o = bin()
        .args(["corpus", "--out", corpus.to_str().unwrap()])
        .args(["--owners", "1", "--months", "2", "--tenants"])
        .arg(tenants.to_string())
        .args(["--seed", "3", "--first-month", "2025-11"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let read = |p: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(corpus.join(p)).unwrap()).unwrap()
    };
    let (a, b) = (read("owner-00/2025-11.json"), read("owner-00/2025-12.json"));
    let both = dir.path().join("both.json");
    std::fs::write(
        &both,
        json!({"data": [b["data"][0], a["data"][0]]}).to_string(),
    )
    .unwrap();
    let run = |name: &str, extra: &[&str]| {
        let out = dir.path().join(name);
        let ctx = dir.path().join(format!("{name}.json"));
        let o = bin()
            .args([
                "invoice",
                "-q",
                "--allow-findings",
                "--allow",
                "unknown-tenant",
            ])
            .args(["--rates", "samples/rates.toml", "--outputs", "csv"])
            .arg("--out")
            .arg(&out)
            .arg("--context")
            .arg(&ctx)
            .arg(&both)
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{o:?}");
        let ctx: Value = serde_json::from_str(&std::fs::read_to_string(&ctx).unwrap()).unwrap();
        (read_dir(&out), ctx)
    };
    let (streamed, s_ctx) = run("streamed", &[]);
    let (held, h_ctx) = run("held", &["samples/seed-site-usage.json"]);
    assert_eq!(streamed, held);
    let invoices = s_ctx["invoices"].as_array().unwrap();
    assert_eq!(invoices, h_ctx["invoices"].as_array().unwrap());
    // Both months cross a chunk: numbered in one series, months in order.
    let months: Vec<&str> = invoices
        .iter()
        .map(|i| i["invoice"]["period"].as_str().unwrap())
        .collect();
    for m in ["2025-11", "2025-12"] {
        assert!(months.iter().filter(|&&p| p == m).count() > vspc_billing::billing::CHUNK);
    }
    assert!(months.windows(2).all(|w| w[0] <= w[1]));
    let numbers: Vec<&str> = invoices
        .iter()
        .map(|i| i["invoice"]["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers.first(), Some(&"INV-00001"));
    assert_eq!(
        numbers.last().copied(),
        Some(format!("INV-{:05}", numbers.len()).as_str())
    );
    // The summary's tenant rows carry the same numbers.
    for (name, ctx) in [("streamed", &s_ctx), ("held", &h_ctx)] {
        let rows: usize = ctx["summary"]["summary"]["reports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["tenants"].as_array().unwrap().len())
            .sum();
        assert_eq!(rows, numbers.len(), "{name}");
    }
}

/// A build without the `pdf` feature refuses `--outputs pdf` before anything is read or
/// written, saying how to get it.
#[cfg(not(feature = "pdf"))]
#[test]
fn without_the_pdf_feature_pdf_output_is_refused() {
    let run = invoice(&[
        "samples/reports-api-3.6-approved.json",
        "--rates",
        "samples/rates.toml",
        "--outputs",
        "txt,pdf",
    ]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("--outputs: pdf: this vspc-billing was built without PDF support (the cargo feature `pdf`"),
        "{}",
        run.stderr
    );
    assert!(run.files.is_empty());
}
