//! A large file is parsed and audited on several threads ([`Split`]); the result must be
//! the one of a single thread, byte for byte: the same document, the same problems (with
//! their messages, pointers, lines and columns), the same findings.

mod common;

use proptest::prelude::*;
use serde_json::Value;
use vspc_billing::corpus::{Spec, collection};
use vspc_billing::load::{LoadOptions, LoadedFile, SchemaCheck, Split, load_bytes};
use vspc_billing::split::arrays_split_on_this_thread;

fn load(bytes: &[u8], split: Split, schema_check: SchemaCheck) -> LoadedFile {
    load_bytes(
        "s.json",
        bytes.to_vec(),
        &LoadOptions {
            kind: None,
            schema_check,
            split,
            max_input: vspc_billing::load::DEFAULT_MAX_INPUT,
        },
    )
}

/// Everything a load tells, apart from the split setting itself.
fn same_load(a: &LoadedFile, b: &LoadedFile) -> Result<(), TestCaseError> {
    prop_assert_eq!(&a.name, &b.name);
    prop_assert_eq!(a.kind, b.kind);
    prop_assert_eq!(a.shape, b.shape);
    prop_assert_eq!(&a.problems, &b.problems);
    prop_assert!(a.document == b.document, "documents differ");
    Ok(())
}

fn generated(spec: &Spec) -> Vec<u8> {
    serde_json::to_vec(&collection(spec, 0, 0).0).unwrap()
}

#[test]
fn a_split_parse_gives_the_same_document() {
    let spec = Spec {
        tenants: 40,
        products: 3,
        rows: 3,
        inject: 3,
        seed: 5,
        ..Spec::default()
    };
    let bytes = generated(&spec);
    let plain = load(&bytes, Split::Never, SchemaCheck::OnFailure);
    assert!(plain.is_valid(), "{:?}", plain.problems);
    for split in [
        Split::Fine(1),
        Split::Fine(3),
        Split::Fine(4),
        Split::Fine(35),
        Split::Fine(36),
        Split::Always,
    ] {
        let before = arrays_split_on_this_thread();
        let f = load(&bytes, split, SchemaCheck::OnFailure);
        same_load(&plain, &f).unwrap();
        let split_arrays = arrays_split_on_this_thread() - before;
        // usageDetails and organizationsUsage of the owner (36 items) and of the appendix
        // (4) are split when longer than the threshold.
        let expected = match split {
            Split::Fine(1 | 3) => 4,
            Split::Fine(4 | 35) => 2,
            _ => 0,
        };
        assert_eq!(split_arrays, expected, "{split:?}");
    }
}

#[test]
fn a_large_report_is_split_by_default_threshold() {
    let spec = Spec {
        tenants: 400,
        products: 2,
        rows: 2,
        inject: 2,
        seed: 9,
        ..Spec::default()
    };
    let bytes = generated(&spec);
    let plain = load(&bytes, Split::Never, SchemaCheck::Always);
    assert!(plain.is_valid(), "{:?}", plain.problems);
    let before = arrays_split_on_this_thread();
    let split = load(&bytes, Split::Always, SchemaCheck::Always);
    assert_eq!(
        arrays_split_on_this_thread() - before,
        2,
        "360 details, 360 orgs"
    );
    same_load(&plain, &split).unwrap();
}

#[test]
fn errors_in_a_split_array_are_those_of_one_thread() {
    let text = r#"{"data": [{"reportStatus": "Approved",
 "organizationsUsage": [
  {"organizationUid": "a", "usedPoints": 1},
  {"organizationUid": "b", "usedPoints": "x"},
  {"organizationUid": "c", "usedPoints": 1e40}
 ],
 "usageDetails": [{"organizationUid": "a"}, {"organizationUid": "b"} {"organizationUid": "c"}]
}]}"#;
    for check in [SchemaCheck::OnFailure, SchemaCheck::Always] {
        let plain = load(text.as_bytes(), Split::Never, check);
        assert!(!plain.problems.is_empty());
        let split = load(text.as_bytes(), Split::Fine(1), check);
        same_load(&plain, &split).unwrap();
        // The comma missing on line 7 is reported, not the type errors before it.
        assert_eq!(plain.problems[0].code, "invalid-json");
        assert_eq!(plain.problems[0].line, Some(7));
    }
    // Only a number out of range (which the schema accepts): the typed parse's error,
    // located in the document, not in the item's own text.
    let text = text
        .replace(
            r#"{"organizationUid": "b"} {"#,
            r#"{"organizationUid": "b"}, {"#,
        )
        .replace(r#""usedPoints": "x""#, r#""usedPoints": 2"#);
    let plain = load(text.as_bytes(), Split::Never, SchemaCheck::OnFailure);
    let split = load(text.as_bytes(), Split::Fine(1), SchemaCheck::OnFailure);
    same_load(&plain, &split).unwrap();
    assert_eq!(plain.problems.len(), 1, "{:?}", plain.problems);
    assert_eq!(plain.problems[0].code, "type-error");
    assert_eq!(
        plain.problems[0].pointer,
        "/data/0/organizationsUsage/2/usedPoints"
    );
    assert_eq!(
        (plain.problems[0].line, plain.problems[0].column),
        (Some(5), Some(46))
    );
}

fn small_spec(seed: u64) -> Spec {
    Spec {
        seed,
        tenants: 12,
        products: 3,
        rows: 3,
        inject: 2,
        ..Spec::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// A changed value, or a removed member, anywhere: same verdict, problems and document.
    #[test]
    fn split_and_one_thread_agree_on_mutations(seed in 0u64..1000, pick in any::<prop::sample::Index>(), choice in any::<u8>(), fine in 1usize..6, always in any::<bool>()) {
        let mut doc: Value = serde_json::from_slice(&generated(&small_spec(seed))).unwrap();
        if common::mutate(&mut doc, pick, common::replacement(choice, 14)).is_none() { return Ok(()); }
        // Pretty: errors have lines and columns worth comparing.
        let bytes = serde_json::to_vec_pretty(&doc).unwrap();
        let check = if always { SchemaCheck::Always } else { SchemaCheck::OnFailure };
        same_load(&load(&bytes, Split::Never, check), &load(&bytes, Split::Fine(fine), check))?;
    }

    /// Broken text: cut short, a byte replaced, a byte inserted.
    #[test]
    fn split_and_one_thread_agree_on_broken_text(seed in 0u64..1000, at in any::<prop::sample::Index>(), byte in prop::sample::select(b"{}[],:\"0-ex \n\\".to_vec()), how in 0u8..3, fine in 1usize..6) {
        let mut bytes = serde_json::to_vec_pretty(&collection(&small_spec(seed), 0, 0).0).unwrap();
        let i = at.index(bytes.len());
        match how {
            0 => bytes.truncate(i),
            1 => bytes[i] = byte,
            _ => bytes.insert(i, byte),
        }
        same_load(&load(&bytes, Split::Never, SchemaCheck::OnFailure), &load(&bytes, Split::Fine(fine), SchemaCheck::OnFailure))?;
    }
}

// ---------------------------------------------------------------------------------------
// The audit of a split file: `usageDetails` checked in chunks, merged in order.

use vspc_billing::audit::{AuditOptions, FileAudit, check_file, details_chunked_on_this_thread};
use vspc_billing::enums::{ProductType, WorkloadType};
use vspc_billing::model::{
    LicenseReportCollection, OrganizationUsageOfLicensesWithSameSupportId, WorkloadLicenseUsage,
};
use vspc_billing::num::parse_decimal;

fn audit(bytes: &[u8], split: Split) -> FileAudit {
    let f = load(bytes, split, SchemaCheck::OnFailure);
    assert!(f.is_valid(), "{:?}", f.problems);
    check_file(&f, &AuditOptions::default())
}

fn same_audit(a: &FileAudit, b: &FileAudit) -> Result<(), TestCaseError> {
    prop_assert_eq!(&a.findings, &b.findings);
    prop_assert_eq!(&a.keys, &b.keys);
    prop_assert_eq!(a.allowed, b.allowed);
    Ok(())
}

/// One change to a generated report, of a kind whose findings depend on the other
/// entries of the report: reported once per report, compared across rows, summed.
#[derive(Debug, Clone)]
enum Change {
    /// A row's weight (`weight-unexpected`, `weight-inconsistent`).
    Weight(usize, usize, &'static str),
    /// A row's points (sums per type and organization; out of the exact range too).
    Points(usize, usize, &'static str),
    /// A product of a type this tool does not know (`unknown-enum-value`, once).
    ProductType(usize),
    /// A workload type this tool does not know.
    WorkloadType(usize, usize),
    /// An entry copied to another place (`duplicate-organization`, sums).
    CopyDetail(usize, usize),
    /// An organization removed from `organizationsUsage`.
    RemoveOrg(usize),
    /// Servers not collected for an entry.
    Servers(usize),
}

const WEIGHTS: &[&str] = &["5.0", "6", "4.5", "11.0", "2.5", "1"];
const POINTS: &[&str] = &[
    "0",
    "0.00",
    "0.000",
    "12.3456789012",
    "0.00000000001",
    "-1.5",
    "99999999999",
    "79228162514264337593543950335",
    "7922816251426433759354395033.5",
    "0.0000000000000000000000000006",
    "7.25",
];

fn change() -> impl Strategy<Value = Change> {
    let i = 0usize..1000;
    prop_oneof![
        (i.clone(), i.clone(), prop::sample::select(WEIGHTS))
            .prop_map(|(d, w, v)| Change::Weight(d, w, v)),
        (i.clone(), i.clone(), prop::sample::select(POINTS))
            .prop_map(|(d, w, v)| Change::Points(d, w, v)),
        i.clone().prop_map(Change::ProductType),
        (i.clone(), i.clone()).prop_map(|(d, w)| Change::WorkloadType(d, w)),
        (i.clone(), i.clone()).prop_map(|(a, b)| Change::CopyDetail(a, b)),
        i.clone().prop_map(Change::RemoveOrg),
        i.prop_map(Change::Servers),
    ]
}

/// Row `w` (of any product) of entry `d`, both taken modulo the counts.
fn row(
    details: &mut [OrganizationUsageOfLicensesWithSameSupportId],
    d: usize,
    w: usize,
) -> &mut WorkloadLicenseUsage {
    let n = details.len();
    let products = details[d % n]
        .usage_by_license_and_product
        .as_mut()
        .unwrap();
    let k = products.len();
    let rows = products[w % k].workload_usage.as_mut().unwrap();
    let m = rows.len();
    &mut rows[(w / k) % m]
}

fn apply(doc: &mut LicenseReportCollection, change: &Change) {
    let r = &mut doc.data[0];
    let details = r.usage_details.as_mut().unwrap();
    let n = details.len();
    match *change {
        Change::Weight(d, w, v) => row(details, d, w).weight = parse_decimal(v).unwrap(),
        Change::Points(d, w, v) => row(details, d, w).used_points = parse_decimal(v).unwrap(),
        Change::ProductType(d) => {
            let products = details[d % n]
                .usage_by_license_and_product
                .as_mut()
                .unwrap();
            products[0].product_type = Some(ProductType::Other("Mystery".to_owned()));
        }
        Change::WorkloadType(d, w) => {
            row(details, d, w).workload_type = WorkloadType::Other("VBR_Mystery".to_owned());
        }
        Change::CopyDetail(a, b) => {
            let copy = details[a % n].clone();
            details.insert(b % (n + 1), copy);
        }
        Change::RemoveOrg(k) => {
            let orgs = r.organizations_usage.as_mut().unwrap();
            if !orgs.is_empty() {
                let n = orgs.len();
                orgs.remove(k % n);
            }
        }
        Change::Servers(d) => {
            details[d % n].not_collected_client_servers = Some(vec!["srv-1".to_owned()]);
        }
    }
}

fn changed(spec: &Spec, changes: &[Change]) -> Vec<u8> {
    let mut doc = collection(spec, 0, 0).0;
    for c in changes {
        apply(&mut doc, c);
    }
    serde_json::to_vec(&doc).unwrap()
}

/// Changes that give findings of every kind that depends on several entries, spread over
/// the report.
fn many_changes() -> Vec<Change> {
    let mut changes = Vec::new();
    for i in 0..12 {
        changes.push(Change::Weight(i * 31, i, WEIGHTS[i % 3]));
        changes.push(Change::ProductType(i * 17 + 3));
        changes.push(Change::WorkloadType(i * 23 + 5, i));
        changes.push(Change::Servers(i * 29 + 1));
        changes.push(Change::Points(i * 13 + 7, i, POINTS[i % 5]));
    }
    changes.extend([
        Change::CopyDetail(2, 300),
        Change::CopyDetail(40, 41),
        Change::CopyDetail(100, 5),
        Change::RemoveOrg(77),
        Change::RemoveOrg(150),
    ]);
    changes
}

#[test]
fn a_chunked_audit_gives_the_same_findings() {
    let spec = Spec {
        tenants: 400,
        products: 3,
        rows: 3,
        inject: 2,
        seed: 21,
        ..Spec::default()
    };
    let bytes = changed(&spec, &many_changes());
    let plain = audit(&bytes, Split::Never);
    // The changes gave what they are for: otherwise this test would prove little.
    let codes: Vec<&str> = plain.findings.iter().map(|f| f.code.as_str()).collect();
    for code in [
        "weight-unexpected",
        "weight-inconsistent",
        "unknown-enum-value",
        "duplicate-organization",
        "details-total-mismatch",
        "details-summary-mismatch",
        "servers-not-collected",
        "points-mismatch",
    ] {
        assert!(codes.contains(&code), "no {code}: {codes:?}");
    }
    assert!(
        plain
            .findings
            .iter()
            .any(|f| f.message.contains("more like it in this report"))
    );
    for split in [
        Split::Always,
        Split::Fine(1),
        Split::Fine(2),
        Split::Fine(7),
        Split::Fine(64),
        Split::Fine(359),
    ] {
        let before = details_chunked_on_this_thread();
        let chunked = audit(&bytes, split);
        assert!(
            details_chunked_on_this_thread() > before,
            "{split:?} was not chunked"
        );
        same_audit(&plain, &chunked).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random changes, random chunk sizes: the same findings, in the same order.
    #[test]
    fn chunked_and_one_pass_audits_agree(seed in 0u64..1000, tenants in 2usize..60, changes in prop::collection::vec(change(), 0..12), fine in 1usize..9) {
        let spec = Spec { seed, tenants, products: 3, rows: 3, inject: 2, ..Spec::default() };
        let bytes = changed(&spec, &changes);
        same_audit(&audit(&bytes, Split::Never), &audit(&bytes, Split::Fine(fine)))?;
    }
}

// ---------------------------------------------------------------------------------------
// The command line: the same bytes on one thread (no split) and on several (split).

fn run(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, Vec<u8>, Vec<u8>) {
    let out = assert_cmd::Command::cargo_bin("vspc-billing")
        .unwrap()
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .args(args)
        .output()
        .unwrap();
    (out.status.code(), out.stdout, out.stderr)
}

/// The files of a folder, by name (the tool's own `.vspc-billing` folder apart).
fn files_in(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name() != vspc_billing::output::STATE_DIR)
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn the_command_line_prints_the_same_bytes_split_or_not() {
    let dir = tempfile::tempdir().unwrap();
    let spec = Spec {
        tenants: 400,
        products: 3,
        rows: 3,
        inject: 2,
        seed: 33,
        ..Spec::default()
    };
    let bytes = changed(&spec, &many_changes());
    std::fs::write(dir.path().join("big.json"), &bytes).unwrap();
    let other = changed(
        &Spec {
            seed: 34,
            ..spec.clone()
        },
        &many_changes()[..20],
    );
    std::fs::write(dir.path().join("other.json"), &other).unwrap();
    // Cut inside usageDetails: a problem located deep in a file that splits.
    std::fs::write(dir.path().join("cut.json"), &bytes[..bytes.len() * 2 / 3]).unwrap();
    let rates = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/rates.toml");
    let commands: Vec<Vec<&str>> = vec![
        vec!["audit", "--format", "text", "big.json"],
        vec!["audit", "--format", "json", "big.json"],
        vec!["audit", "--format", "sarif", "big.json"],
        vec!["audit", "--format", "csv", "big.json"],
        vec!["audit", "--format", "json", "big.json", "other.json"],
        vec!["audit", "--format", "json", "cut.json"],
        vec!["validate", "--format", "json", "big.json", "cut.json"],
        vec![
            "validate",
            "--format",
            "text",
            "--schema-check",
            "on-failure",
            "cut.json",
        ],
        vec![
            "validate",
            "--format",
            "text",
            "--schema-check",
            "on-failure",
            "big.json",
        ],
    ];
    for args in &commands {
        let one = run(dir.path(), &[args.as_slice(), &["-j1"]].concat());
        assert!(!one.1.is_empty(), "{args:?}");
        for threads in ["-j2", "-j4"] {
            let many = run(dir.path(), &[args.as_slice(), &[threads]].concat());
            assert!(one == many, "{args:?} {threads}: output differs");
        }
    }
    let invoice = |threads: &str| {
        let work = tempfile::tempdir().unwrap();
        let input = dir.path().join("big.json");
        let input = input.to_str().unwrap();
        let args = [
            "invoice",
            input,
            "--rates",
            rates,
            "--out",
            "out",
            "--outputs",
            "csv,summary",
            "--allow-findings",
            // The sample card's tenants are not in the generated report.
            "--allow",
            "unknown-tenant",
            "-q",
            threads,
        ];
        let printed = run(work.path(), &args);
        (printed, files_in(&work.path().join("out")))
    };
    let one = invoice("-j1");
    assert!(!one.1.is_empty());
    assert!(one == invoice("-j4"), "invoice output differs");
}
