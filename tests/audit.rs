//! The audit: for every check, a document that triggers it and one that does not;
//! snapshots of the findings of every sample; properties on generated reports.

use serde_json::{Value, json};
use std::path::Path;
use vspc_billing::audit::weights::Weights;
use vspc_billing::audit::{AuditOptions, CrossFile, FileAudit, check_file};
use vspc_billing::codes::Code;
use vspc_billing::diag::{Finding, Severity};
use vspc_billing::load::{LoadOptions, SchemaCheck, Source, Split, load_bytes, load_source};

const LOAD: LoadOptions = LoadOptions {
    kind: None,
    schema_check: SchemaCheck::OnFailure,
    split: Split::Never,
    max_input: vspc_billing::load::DEFAULT_MAX_INPUT,
};

fn sample_text(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("samples")
            .join(name),
    )
    .unwrap()
}

fn sample(name: &str) -> Value {
    serde_json::from_str(&sample_text(name)).unwrap()
}

/// The consistent, approved 3.6 report: three tenants, two-weight cloud VMs, an appendix.
fn approved() -> Value {
    sample("reports-api-3.6-approved.json")
}

fn audit_text_with(name: &str, text: &str, opts: &AuditOptions) -> FileAudit {
    let f = load_bytes(name, text.as_bytes().to_vec(), &LOAD);
    assert!(f.is_valid(), "{name} does not load: {:?}", f.problems);
    check_file(&f, opts)
}

fn audit_with(doc: &Value, opts: &AuditOptions) -> Vec<Finding> {
    audit_text_with("t.json", &pretty(doc), opts).findings
}

fn audit(doc: &Value) -> Vec<Finding> {
    audit_with(doc, &AuditOptions::default())
}

/// Marks a number whose text must be written exactly: `serde_json::Value` holds numbers
/// as `f64` (`8.250` would come back as `8.25`), so [`set`] stores a number as a marked
/// string and [`text`] writes the digits back.
const RAW: &str = "\u{1}raw:";

/// Replaces the value at `pointer` with the JSON `text`; numbers keep their digits.
fn set(doc: &mut Value, pointer: &str, text: &str) {
    let v: Value = serde_json::from_str(text).unwrap();
    let v = if v.is_number() {
        Value::String(format!("{RAW}{text}"))
    } else {
        v
    };
    *doc.pointer_mut(pointer)
        .unwrap_or_else(|| panic!("no {pointer}")) = v;
}

/// The JSON text of a document, numbers set by [`set`] written as given.
fn text_of(json: String) -> String {
    let marker = "\"\\u0001raw:";
    let mut out = String::with_capacity(json.len());
    let mut rest = json.as_str();
    while let Some(i) = rest.find(marker) {
        out.push_str(&rest[..i]);
        let after = &rest[i + marker.len()..];
        let end = after.find('"').unwrap();
        out.push_str(&after[..end]);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

fn text(doc: &Value) -> String {
    text_of(serde_json::to_string(doc).unwrap())
}

fn pretty(doc: &Value) -> String {
    text_of(serde_json::to_string_pretty(doc).unwrap())
}

fn remove(doc: &mut Value, pointer: &str) {
    let (parent, last) = pointer.rsplit_once('/').unwrap();
    match doc.pointer_mut(parent).unwrap() {
        Value::Object(m) => {
            m.remove(last).unwrap();
        }
        Value::Array(a) => {
            a.remove(last.parse::<usize>().unwrap());
        }
        _ => panic!("{parent} is not a container"),
    }
}

fn codes(findings: &[Finding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.code.as_str()).collect()
}

/// The finding with `code` at `pointer`; fails with every finding when there is none.
fn at<'a>(findings: &'a [Finding], code: &str, pointer: &str) -> &'a Finding {
    findings
        .iter()
        .find(|f| f.code == code && f.pointer == pointer)
        .unwrap_or_else(|| panic!("no {code} at {pointer}; findings: {findings:#?}"))
}

fn none_of(findings: &[Finding], code: &str) {
    assert!(
        findings.iter().all(|f| f.code != code),
        "unexpected {code}: {findings:#?}"
    );
}

const R: &str = "/data/0";
const VBR_VM: &str = "/data/0/reportSummary/productsUsage/0/workloadUsage/0";
const CLOUD_VM: &str = "/data/0/reportSummary/productsUsage/0/workloadUsage/1";
const CONTOSO: &str = "/data/0/usageDetails/0";
const PARAMS: &str = "/data/0/reportParameters";

// ---------------------------------------------------------------------------------------
// The samples.

#[test]
fn the_approved_sample_has_no_finding() {
    let f = audit(&approved());
    assert!(f.is_empty(), "{f:#?}");
}

#[test]
fn the_vendor_seed_gives_invalid_date_suggesting_the_29th_and_no_false_alarm() {
    let a = audit_text_with(
        "seed.json",
        &sample_text("seed-license-reports.json"),
        &AuditOptions::default(),
    );
    assert_eq!(
        codes(&a.findings),
        ["report-not-approved", "invalid-date"],
        "{:#?}",
        a.findings
    );
    let d = at(
        &a.findings,
        "invalid-date",
        "/data/0/reportParemeters/reportInterval/endOfInterval",
    );
    assert_eq!(d.severity, Severity::Error);
    assert!(d.message.contains("2020-02-31"), "{}", d.message);
    assert!(
        d.message.contains("2020-02-29, the last day of that month"),
        "{}",
        d.message
    );
    assert_eq!((d.line, d.column), (Some(1), Some(411)));
    // No status: info, not a warning.
    assert_eq!(a.findings[0].severity, Severity::Info);
    // The clamped end makes a calendar month, so the report keeps its key.
    assert_eq!(a.keys.len(), 1);
    assert_eq!(a.keys[0].end, (2020, 2, 29));
}

#[test]
fn the_site_samples_are_consistent() {
    for name in ["seed-site-usage.json", "site-usage-collection.json"] {
        let a = audit_text_with(name, &sample_text(name), &AuditOptions::default());
        assert!(a.findings.is_empty(), "{name}: {:#?}", a.findings);
    }
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Snapshot<'a> {
    findings: &'a [Finding],
    report_keys: usize,
}

#[test]
fn findings_of_every_sample() {
    insta::glob!("../samples", "**/*.json", |path| {
        let file = load_source(&Source::File(path.to_path_buf()), &LOAD);
        let mut a = check_file(&file, &AuditOptions::default());
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let name = path
            .strip_prefix(root)
            .unwrap_or(path)
            .display()
            .to_string();
        for f in &mut a.findings {
            f.file.clone_from(&name);
        }
        // Pretty JSON text of the findings in their declared field order (insta's own
        // serializer would show `arbitrary_precision` numbers as private maps).
        let v = Snapshot {
            findings: &a.findings,
            report_keys: a.keys.len(),
        };
        insta::assert_snapshot!(serde_json::to_string_pretty(&v).unwrap());
    });
}

// ---------------------------------------------------------------------------------------
// Dates and interval.

#[test]
fn invalid_generation_date_suggests_the_last_day_of_its_month() {
    let mut d = approved();
    set(
        &mut d,
        &format!("{PARAMS}/generationDate"),
        r#""2026-11-31T02:00:00+01:00""#,
    );
    let f = audit(&d);
    let x = at(&f, "invalid-date", &format!("{PARAMS}/generationDate"));
    assert!(x.message.contains("2026-11-30"), "{}", x.message);
    assert_eq!(codes(&f), ["invalid-date"]);
}

#[test]
fn a_month_that_does_not_exist_has_no_suggestion_and_skips_interval_checks() {
    let mut d = approved();
    set(
        &mut d,
        &format!("{PARAMS}/reportInterval/endOfInterval"),
        r#""2026-13-31""#,
    );
    let f = audit(&d);
    let x = at(
        &f,
        "invalid-date",
        &format!("{PARAMS}/reportInterval/endOfInterval"),
    );
    assert!(
        x.message.contains("month 13 does not exist"),
        "{}",
        x.message
    );
    assert!(x.message.contains("skipped"), "{}", x.message);
    assert_eq!(codes(&f), ["invalid-date"]);
}

#[test]
fn an_impossible_time_keeps_the_day_for_the_other_checks() {
    let mut d = approved();
    set(
        &mut d,
        &format!("{PARAMS}/generationDate"),
        r#""2026-11-01T24:00:00+01:00""#,
    );
    let f = audit(&d);
    assert_eq!(codes(&f), ["invalid-date"]);
}

#[test]
fn interval_reversed() {
    let mut d = approved();
    set(
        &mut d,
        &format!("{PARAMS}/reportInterval/startOfInterval"),
        r#""2026-10-31""#,
    );
    set(
        &mut d,
        &format!("{PARAMS}/reportInterval/endOfInterval"),
        r#""2026-10-01""#,
    );
    let f = audit(&d);
    at(&f, "interval-reversed", &format!("{PARAMS}/reportInterval"));
    none_of(&f, "interval-not-calendar-month");
    // A one-day interval is not reversed (but is not a month either).
    let mut d = approved();
    set(
        &mut d,
        &format!("{PARAMS}/reportInterval/endOfInterval"),
        r#""2026-10-01""#,
    );
    let f = audit(&d);
    none_of(&f, "interval-reversed");
    at(
        &f,
        "interval-not-calendar-month",
        &format!("{PARAMS}/reportInterval"),
    );
}

#[test]
fn interval_not_calendar_month() {
    for (start, end) in [
        ("2026-10-02", "2026-10-31"),
        ("2026-10-01", "2026-10-30"),
        ("2026-10-01", "2026-11-30"),
        ("2026-09-15", "2026-10-14"),
    ] {
        let mut d = approved();
        set(
            &mut d,
            &format!("{PARAMS}/reportInterval/startOfInterval"),
            &format!("{start:?}"),
        );
        set(
            &mut d,
            &format!("{PARAMS}/reportInterval/endOfInterval"),
            &format!("{end:?}"),
        );
        set(
            &mut d,
            &format!("{PARAMS}/generationDate"),
            r#""2026-12-01""#,
        );
        let f = audit(&d);
        let x = at(
            &f,
            "interval-not-calendar-month",
            &format!("{PARAMS}/reportInterval"),
        );
        assert!(
            x.message.contains("is not one calendar month"),
            "{}",
            x.message
        );
    }
    // An exclusive end is named as such.
    let mut d = approved();
    set(
        &mut d,
        &format!("{PARAMS}/reportInterval/endOfInterval"),
        r#""2026-11-01T00:00:00+01:00""#,
    );
    set(
        &mut d,
        &format!("{PARAMS}/generationDate"),
        r#""2026-11-02""#,
    );
    let f = audit(&d);
    let x = at(
        &f,
        "interval-not-calendar-month",
        &format!("{PARAMS}/reportInterval"),
    );
    assert!(x.message.contains("exclusive end"), "{}", x.message);
    // Plain dates, and date-times whose offsets differ (daylight saving), are months.
    let mut d = approved();
    set(
        &mut d,
        &format!("{PARAMS}/reportInterval/startOfInterval"),
        r#""2026-02-01""#,
    );
    set(
        &mut d,
        &format!("{PARAMS}/reportInterval/endOfInterval"),
        r#""2026-02-28T23:59:59.9999999-05:00""#,
    );
    set(
        &mut d,
        &format!("{PARAMS}/generationDate"),
        r#""2026-03-01""#,
    );
    assert!(audit(&d).is_empty());
}

#[test]
fn generated_before_interval_end() {
    let mut d = approved();
    set(
        &mut d,
        &format!("{PARAMS}/generationDate"),
        r#""2026-10-31T23:00:00.0000000+01:00""#,
    );
    let f = audit(&d);
    let x = at(
        &f,
        "generated-before-interval-end",
        &format!("{PARAMS}/generationDate"),
    );
    assert!(x.message.contains("2026-10-31"), "{}", x.message);
    // Just after midnight on the 1st, by the calendar date as written: fine.
    let mut d = approved();
    set(
        &mut d,
        &format!("{PARAMS}/generationDate"),
        r#""2026-11-01T00:00:01-08:00""#,
    );
    assert!(audit(&d).is_empty());
}

#[test]
fn missing_and_conflicting_parameters() {
    let mut d = approved();
    let params = d.pointer(PARAMS).unwrap().clone();
    d["data"][0]["reportParemeters"] = params;
    let f = audit(&d);
    let x = at(&f, "conflicting-fields", "/data/0/reportParemeters");
    assert!(!x.message.contains("differ"), "{}", x.message);
    set(&mut d, "/data/0/reportParemeters/reportId", "4712");
    let f = audit(&d);
    assert!(
        at(&f, "conflicting-fields", "/data/0/reportParemeters")
            .message
            .contains("they differ")
    );

    let mut d = approved();
    remove(&mut d, PARAMS);
    let f = audit(&d);
    at(&f, "missing-parameters", R);
    none_of(&f, "conflicting-fields");
}

// ---------------------------------------------------------------------------------------
// Points.

#[test]
fn points_mismatch_gives_exact_expected_and_found() {
    let mut d = approved();
    set(&mut d, &format!("{VBR_VM}/usedPoints"), "90.0");
    let f = audit(&d);
    let x = at(&f, "points-mismatch", &format!("{VBR_VM}/usedPoints"));
    assert_eq!(x.expected.as_deref(), Some("85.0"));
    assert_eq!(x.found.as_deref(), Some("90.0"));
    assert_eq!(x.severity, Severity::Error);
    assert!(
        x.message.contains("reportedCount 17 x weight 5.0 = 85.0"),
        "{}",
        x.message
    );
    assert!(x.line.is_some() && x.column.is_some());
    // The product total no longer adds up either; nothing else moved.
    at(
        &f,
        "product-total-mismatch",
        "/data/0/reportSummary/productsUsage/0/totalPoints",
    );
    at(
        &f,
        "details-summary-mismatch",
        &format!("{VBR_VM}/usedPoints"),
    );
    assert_eq!(f.len(), 3, "{f:#?}");
}

#[test]
fn points_mismatch_says_when_new_workloads_were_left_out() {
    let mut d = approved();
    // 17 reported, 1 new: (17 - 1) x 5 = 80.
    set(&mut d, &format!("{VBR_VM}/usedPoints"), "80.0");
    let x = at(
        &audit(&d),
        "points-mismatch",
        &format!("{VBR_VM}/usedPoints"),
    )
    .clone();
    assert!(
        x.message
            .contains("(reportedCount - newCount) x weight = (17 - 1) x 5.0 = 80.0"),
        "{}",
        x.message
    );
    let mut d = approved();
    set(&mut d, &format!("{VBR_VM}/usedPoints"), "75.0");
    let x = at(
        &audit(&d),
        "points-mismatch",
        &format!("{VBR_VM}/usedPoints"),
    )
    .clone();
    assert!(!x.message.contains("newCount"), "{}", x.message);
}

#[test]
fn points_mismatch_says_when_the_value_is_rounded_up() {
    let mut d = approved();
    // 25 users at 0.33 = 8.25, reported as 9 (Veeam's portal rounds up).
    let row = "/data/0/reportSummary/productsUsage/1/workloadUsage/0";
    set(&mut d, &format!("{row}/weight"), "0.33");
    set(&mut d, &format!("{row}/usedPoints"), "9");
    let x = at(&audit(&d), "points-mismatch", &format!("{row}/usedPoints")).clone();
    assert!(x.message.contains("9 is 8.25 rounded up"), "{}", x.message);
    assert_eq!(x.expected.as_deref(), Some("8.25"));
}

#[test]
fn values_written_with_fewer_decimals_compare_at_their_precision() {
    let row = "/data/0/reportSummary/productsUsage/1/workloadUsage/0";
    let check = |weight: &str, used: &str, tolerance: Option<&str>| {
        let mut d = approved();
        set(&mut d, &format!("{row}/weight"), weight);
        set(&mut d, &format!("{row}/usedPoints"), used);
        let opts = AuditOptions {
            tolerance: tolerance.map(|t| t.parse().unwrap()),
            ..AuditOptions::default()
        };
        audit_with(&d, &opts)
            .into_iter()
            .any(|f| f.code == "points-mismatch")
    };
    // 25 x 0.33 = 8.25
    assert!(!check("0.33", "8.25", None));
    assert!(!check("0.33", "8.250", None));
    assert!(!check("0.33", "8.3", None)); // half away from zero at one decimal
    assert!(check("0.33", "8.2", None));
    assert!(check("0.33", "8", None)); // no decimals: exact
    assert!(!check("0.33", "8", Some("0.25")));
    assert!(check("0.33", "8", Some("0.24")));
}

#[test]
fn rows_with_objects_of_different_weights_are_summed() {
    let d = approved();
    // The cloud VM row: 6 x 2.5 = 15, but its objects are 4 x 2.5 + 2 x 1.75 = 13.5.
    assert_eq!(
        d.pointer(&format!("{CLOUD_VM}/usedPoints"))
            .unwrap()
            .to_string(),
        "13.5"
    );
    assert!(audit(&d).is_empty());

    let mut d = approved();
    set(&mut d, &format!("{CLOUD_VM}/usedPoints"), "15.0");
    let f = audit(&d);
    let x = at(&f, "points-mismatch", &format!("{CLOUD_VM}/usedPoints"));
    assert!(
        x.message.contains("sum of its objectsByWeight"),
        "{}",
        x.message
    );
    assert_eq!(x.expected.as_deref(), Some("13.5"));

    let obj = format!("{CLOUD_VM}/workloadsByPlatform/1/objectsByWeight/0");
    let mut d = approved();
    set(&mut d, &format!("{obj}/usedPoints"), "5.0");
    let f = audit(&d);
    let x = at(&f, "points-mismatch", &format!("{obj}/usedPoints"));
    assert!(x.message.contains("\"MicrosoftAzure\""), "{}", x.message);
    assert_eq!(x.expected.as_deref(), Some("3.5"));
}

#[test]
fn platform_count_mismatch() {
    let mut d = approved();
    set(&mut d, &format!("{CLOUD_VM}/reportedCount"), "5");
    let f = audit(&d);
    let x = at(
        &f,
        "platform-count-mismatch",
        &format!("{CLOUD_VM}/reportedCount"),
    );
    assert_eq!(
        (x.expected.as_deref(), x.found.as_deref()),
        (Some("6"), Some("5"))
    );
    assert_eq!(x.severity, Severity::Warning);
}

#[test]
fn product_and_summary_totals() {
    let mut d = approved();
    set(
        &mut d,
        "/data/0/reportSummary/productsUsage/0/totalPoints",
        "99.5",
    );
    let f = audit(&d);
    let x = at(
        &f,
        "product-total-mismatch",
        "/data/0/reportSummary/productsUsage/0/totalPoints",
    );
    assert_eq!(x.expected.as_deref(), Some("98.5"));
    assert!(
        x.message
            .contains("product BackupAndReplication (Standard)"),
        "{}",
        x.message
    );
    // The summary is compared with the products' totals as reported.
    at(
        &f,
        "summary-total-mismatch",
        "/data/0/reportSummary/totalPoints",
    );

    let mut d = approved();
    set(&mut d, "/data/0/reportSummary/totalPoints", "204");
    let f = audit(&d);
    let x = at(
        &f,
        "summary-total-mismatch",
        "/data/0/reportSummary/totalPoints",
    );
    assert_eq!(
        (x.expected.as_deref(), x.found.as_deref()),
        (Some("203.5"), Some("204"))
    );
    at(
        &f,
        "organizations-total-mismatch",
        "/data/0/organizationsUsage",
    );
    none_of(&f, "product-total-mismatch");
}

#[test]
fn organizations_total_mismatch() {
    let mut d = approved();
    set(&mut d, "/data/0/organizationsUsage/2/usedPoints", "16.0");
    let f = audit(&d);
    let x = at(
        &f,
        "organizations-total-mismatch",
        "/data/0/organizationsUsage",
    );
    assert_eq!(
        (x.expected.as_deref(), x.found.as_deref()),
        (Some("203.5"), Some("204.5"))
    );
    // The organization that moved is named where it is.
    at(
        &f,
        "details-total-mismatch",
        "/data/0/organizationsUsage/2/usedPoints",
    );
    none_of(&f, "summary-total-mismatch");
}

#[test]
fn details_total_mismatch() {
    // A license in the details that does not add up.
    let mut d = approved();
    set(
        &mut d,
        &format!("{CONTOSO}/usageByLicenseAndProduct/0/usedPoints"),
        "64.0",
    );
    let f = audit(&d);
    let x = at(
        &f,
        "details-total-mismatch",
        &format!("{CONTOSO}/usageByLicenseAndProduct/0/usedPoints"),
    );
    assert!(x.message.contains("\"Contoso Ltd\""), "{}", x.message);
    assert_eq!(x.expected.as_deref(), Some("63.5"));
    // ... and the organization against its details.
    let x = at(
        &f,
        "details-total-mismatch",
        "/data/0/organizationsUsage/0/usedPoints",
    );
    assert_eq!(
        (x.expected.as_deref(), x.found.as_deref()),
        (Some("89.0"), Some("88.5"))
    );

    // An organization in the details but not in organizationsUsage.
    let mut d = approved();
    remove(&mut d, "/data/0/organizationsUsage/2");
    let f = audit(&d);
    let x = at(&f, "details-total-mismatch", "/data/0/usageDetails/2");
    assert!(
        x.message.contains("no entry in organizationsUsage"),
        "{}",
        x.message
    );

    // One organization under two support ids: summed, no finding.
    let mut d = approved();
    let mut second = d.pointer(CONTOSO).unwrap().clone();
    second["supportId"] = json!("01276399");
    second["usageByLicenseAndProduct"]
        .as_array_mut()
        .unwrap()
        .remove(0);
    d.pointer_mut(&format!("{CONTOSO}/usageByLicenseAndProduct"))
        .unwrap()
        .as_array_mut()
        .unwrap()
        .remove(1);
    d["data"][0]["usageDetails"]
        .as_array_mut()
        .unwrap()
        .push(second);
    assert!(audit(&d).is_empty(), "{:#?}", audit(&d));
}

#[test]
fn details_summary_mismatch() {
    // Northwind's VBR_VM rows grow consistently, the summary does not.
    let mut d = approved();
    let n = "/data/0/usageDetails/2/usageByLicenseAndProduct/0";
    set(&mut d, &format!("{n}/workloadUsage/0/initialCount"), "4");
    set(&mut d, &format!("{n}/workloadUsage/0/reportedCount"), "4");
    set(&mut d, &format!("{n}/workloadUsage/0/usedPoints"), "20.0");
    set(&mut d, &format!("{n}/usedPoints"), "20.0");
    set(&mut d, "/data/0/organizationsUsage/2/usedPoints", "20.0");
    let f = audit(&d);
    let x = at(
        &f,
        "details-summary-mismatch",
        &format!("{VBR_VM}/usedPoints"),
    );
    assert_eq!(
        (x.expected.as_deref(), x.found.as_deref()),
        (Some("90.0"), Some("85.0"))
    );
    assert!(x.message.starts_with("VBR_VM:"), "{}", x.message);
    // organizationsUsage comes before reportSummary in the file.
    assert_eq!(
        codes(&f),
        ["organizations-total-mismatch", "details-summary-mismatch"]
    );
    // A type in the details only, with no points (the vendor seed's agents): no finding.
    let seed = sample("seed-license-reports.json");
    none_of(&audit(&seed), "details-summary-mismatch");
}

#[test]
fn appendices_are_checked_apart_from_the_owner() {
    let app = "/data/0/appendices/0";
    let mut d = approved();
    set(
        &mut d,
        &format!("{app}/appendixSummary/totalPoints"),
        "31.0",
    );
    let f = audit(&d);
    let x = at(
        &f,
        "summary-total-mismatch",
        &format!("{app}/appendixSummary/totalPoints"),
    );
    assert!(
        x.message
            .contains("in the appendix of \"Globex Corporation\""),
        "{}",
        x.message
    );
    at(
        &f,
        "organizations-total-mismatch",
        &format!("{app}/organizationsUsage"),
    );
    assert!(f.iter().all(|x| x.pointer.starts_with(app)), "{f:#?}");

    let mut d = approved();
    set(
        &mut d,
        &format!("{app}/usageDetails/0/usageByLicenseAndProduct/0/workloadUsage/0/usedPoints"),
        "25.0",
    );
    let f = audit(&d);
    at(
        &f,
        "points-mismatch",
        &format!("{app}/usageDetails/0/usageByLicenseAndProduct/0/workloadUsage/0/usedPoints"),
    );
    at(
        &f,
        "details-summary-mismatch",
        &format!("{app}/appendixSummary/productsUsage/0/workloadUsage/0/usedPoints"),
    );
}

#[test]
fn reported_exceeds_initial() {
    let mut d = approved();
    let row = "/data/0/reportSummary/productsUsage/1/workloadUsage/0";
    set(&mut d, &format!("{row}/initialCount"), "24");
    let f = audit(&d);
    let x = at(
        &f,
        "reported-exceeds-initial",
        &format!("{row}/reportedCount"),
    );
    assert_eq!(x.severity, Severity::Warning);
    assert_eq!(
        (x.expected.as_deref(), x.found.as_deref()),
        (Some("24"), Some("25"))
    );
    // Equal counts are fine.
    let mut d = approved();
    set(&mut d, &format!("{row}/initialCount"), "25");
    assert!(audit(&d).is_empty());
}

#[test]
fn negative_values() {
    let mut d = approved();
    set(&mut d, &format!("{VBR_VM}/newCount"), "-1");
    let f = audit(&d);
    let x = at(&f, "negative-value", &format!("{VBR_VM}/newCount"));
    assert_eq!(x.found.as_deref(), Some("-1"));
    let mut d = approved();
    set(&mut d, "/data/0/organizationsUsage/0/usedPoints", "-88.5");
    at(
        &audit(&d),
        "negative-value",
        "/data/0/organizationsUsage/0/usedPoints",
    );
    // Zero, even written -0.0, is not negative.
    let mut d = sample("seed-license-reports.json");
    set(
        &mut d,
        "/data/0/usageDetails/0/usageByLicenseAndProduct/1/usedPoints",
        "-0.0",
    );
    none_of(&audit(&d), "negative-value");
}

#[test]
fn number_out_of_range_instead_of_a_panic() {
    let mut d = approved();
    set(
        &mut d,
        &format!("{VBR_VM}/weight"),
        "79228162514264337593543950335",
    );
    let f = audit(&d);
    at(&f, "number-out-of-range", &format!("{VBR_VM}/usedPoints"));
}

// ---------------------------------------------------------------------------------------
// Status, servers, paging, duplicates.

#[test]
fn report_not_approved() {
    for status in ["ApprovalRequired", "finalization", "Unknown"] {
        let mut d = approved();
        set(&mut d, "/data/0/reportStatus", &format!("{status:?}"));
        let f = audit(&d);
        let x = at(&f, "report-not-approved", "/data/0/reportStatus");
        assert_eq!(x.severity, Severity::Warning);
        none_of(&f, "unknown-enum-value");
    }
    let mut d = approved();
    set(&mut d, "/data/0/reportStatus", "\"approved\"");
    assert!(audit(&d).is_empty());
    let mut d = approved();
    remove(&mut d, "/data/0/reportStatus");
    let f = audit(&d);
    assert_eq!(at(&f, "report-not-approved", R).severity, Severity::Info);
}

#[test]
fn server_lists() {
    let mut d = approved();
    set(
        &mut d,
        "/data/0/notCollectedCloudServers",
        r#"["cc-01", "cc-02"]"#,
    );
    set(&mut d, "/data/0/clonedCloudServers", r#"["cc-03"]"#);
    set(
        &mut d,
        "/data/0/appendices/0/unsupportedCloudServers",
        r#"["cc-old"]"#,
    );
    set(
        &mut d,
        &format!("{CONTOSO}/notCollectedClientServers"),
        r#"["vbr-contoso"]"#,
    );
    let f = audit(&d);
    let x = at(
        &f,
        "servers-not-collected",
        "/data/0/notCollectedCloudServers",
    );
    assert_eq!(x.severity, Severity::Error);
    assert!(
        x.message.contains("2 servers (\"cc-01\", \"cc-02\")"),
        "{}",
        x.message
    );
    assert_eq!(
        at(&f, "servers-cloned", "/data/0/clonedCloudServers").severity,
        Severity::Warning
    );
    at(
        &f,
        "servers-unsupported",
        "/data/0/appendices/0/unsupportedCloudServers",
    );
    let x = at(
        &f,
        "servers-not-collected",
        &format!("{CONTOSO}/notCollectedClientServers"),
    );
    assert!(x.message.starts_with("\"Contoso Ltd\": "), "{}", x.message);
    assert_eq!(f.len(), 4);
    // null and [] are no servers.
    let mut d = approved();
    set(&mut d, "/data/0/notCollectedCloudServers", "null");
    assert!(audit(&d).is_empty());
}

#[test]
fn paging_incomplete() {
    let mut d = approved();
    set(&mut d, "/meta/pagingInfo/total", "150");
    let f = audit(&d);
    let x = at(&f, "paging-incomplete", "/meta/pagingInfo/total");
    assert!(
        x.message.contains("149 reports are in other pages"),
        "{}",
        x.message
    );
    let mut d = approved();
    set(&mut d, "/meta/pagingInfo/count", "2");
    set(&mut d, "/meta/pagingInfo/total", "2");
    let f = audit(&d);
    let x = at(&f, "paging-incomplete", "/meta/pagingInfo/count");
    assert_eq!(
        (x.expected.as_deref(), x.found.as_deref()),
        (Some("1"), Some("2"))
    );
    let mut d = approved();
    set(&mut d, "/meta/pagingInfo/offset", "1");
    at(&audit(&d), "paging-incomplete", "/meta/pagingInfo/offset");
    // The second page of two is complete.
    let mut d = approved();
    set(
        &mut d,
        "/meta/pagingInfo",
        r#"{"total": 2, "count": 1, "offset": 1}"#,
    );
    assert!(audit(&d).is_empty());
}

#[test]
fn api_errors_are_findings() {
    let mut d = approved();
    d["errors"] =
        json!([{"message": "Collection failed on cc-01", "type": "warning", "code": 1001}]);
    let f = audit(&d);
    let x = at(&f, "api-error", "/errors/0");
    assert!(
        x.message.contains("\"Collection failed on cc-01\""),
        "{}",
        x.message
    );
    assert!(x.message.contains("code 1001"), "{}", x.message);
}

#[test]
fn duplicate_organization() {
    let mut d = approved();
    let org = d.pointer("/data/0/organizationsUsage/1").unwrap().clone();
    d["data"][0]["organizationsUsage"]
        .as_array_mut()
        .unwrap()
        .push(org);
    let f = audit(&d);
    let x = at(&f, "duplicate-organization", "/data/0/organizationsUsage/3");
    assert!(x.message.contains("\"Fabrikam, Inc.\""), "{}", x.message);
    assert!(
        x.message.contains("/data/0/organizationsUsage/1"),
        "{}",
        x.message
    );

    let mut d = approved();
    let det = d.pointer("/data/0/usageDetails/2").unwrap().clone();
    d["data"][0]["usageDetails"]
        .as_array_mut()
        .unwrap()
        .push(det);
    let f = audit(&d);
    at(&f, "duplicate-organization", "/data/0/usageDetails/3");
}

fn month_report(id: i64, owner: &str, year: i32, month: u32) -> Value {
    let mut d = approved();
    let last = vspc_billing::date::days_in_month(year, month);
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    set(&mut d, &format!("{PARAMS}/reportId"), &id.to_string());
    set(
        &mut d,
        &format!("{PARAMS}/organizationUid"),
        &format!("{owner:?}"),
    );
    set(
        &mut d,
        &format!("{PARAMS}/reportInterval/startOfInterval"),
        &format!("\"{year:04}-{month:02}-01\""),
    );
    set(
        &mut d,
        &format!("{PARAMS}/reportInterval/endOfInterval"),
        &format!("\"{year:04}-{month:02}-{last:02}\""),
    );
    set(
        &mut d,
        &format!("{PARAMS}/generationDate"),
        &format!("\"{ny:04}-{nm:02}-01\""),
    );
    d
}

fn file_audit(name: &str, doc: &Value) -> FileAudit {
    audit_text_with(name, &pretty(doc), &AuditOptions::default())
}

#[test]
fn duplicate_report_within_a_file() {
    let mut d = approved();
    let r = d["data"][0].clone();
    d["data"].as_array_mut().unwrap().push(r);
    set(
        &mut d,
        "/meta/pagingInfo",
        r#"{"total": 2, "count": 2, "offset": 0}"#,
    );
    let f = audit(&d);
    let x = at(&f, "duplicate-report", "/data/1/reportParameters");
    assert!(x.message.contains("report 4711 of \"Acme Cloud Services\" for 2026-10-01 to 2026-10-31 is also at /data/0/reportParameters in this file"), "{}", x.message);
    assert_eq!(f.len(), 1, "{f:#?}");
}

#[test]
fn findings_are_grouped_per_report_with_its_identity() {
    // Two reports: the second of another owner and month, with a wrong total; the page's
    // paging information concerns both.
    let mut d = approved();
    let mut r = d["data"][0].clone();
    r["reportParameters"]["reportId"] = json!(4712);
    r["reportParameters"]["organizationUid"] = json!("OTHER-OWNER");
    r["reportParameters"]["reportInterval"] =
        json!({"startOfInterval": "2026-11-01", "endOfInterval": "2026-11-30"});
    r["reportParameters"]["generationDate"] = json!("2026-12-01");
    d["data"].as_array_mut().unwrap().push(r);
    set(&mut d, "/data/1/reportSummary/totalPoints", "1");
    set(
        &mut d,
        "/meta/pagingInfo",
        r#"{"total": 3, "count": 2, "offset": 0}"#,
    );
    let a = file_audit("t.json", &d);
    assert_eq!(a.reports.len(), 2);
    assert!(a.reports[0].findings.is_empty(), "{:#?}", a.findings);
    let own: Vec<&Finding> = a.reports[1]
        .findings
        .iter()
        .map(|&i| &a.findings[i])
        .collect();
    assert!(!own.is_empty());
    assert!(
        own.iter().all(|f| f.pointer.starts_with("/data/1/")),
        "{own:#?}"
    );
    let outside: Vec<&str> = a
        .outside
        .iter()
        .map(|&i| a.findings[i].code.as_str())
        .collect();
    assert_eq!(outside, ["paging-incomplete"]);
    // Every finding is in one group.
    assert_eq!(own.len() + outside.len(), a.findings.len());
    // What concerns a report: its own findings and those of no report, in order.
    let of_first: Vec<&str> = a
        .findings_of_report(0)
        .iter()
        .map(|f| f.code.as_str())
        .collect();
    assert_eq!(of_first, ["paging-incomplete"]);
    assert_eq!(a.findings_of_report(1).len(), a.findings.len());
    let key = |i: usize| a.reports[i].key.as_ref().unwrap();
    assert_eq!(
        (
            a.reports[1].index,
            key(1).report_id,
            key(1).owner_uid.as_str()
        ),
        (1, 4712, "other-owner")
    );
    assert_eq!(
        (key(0).report_id, key(0).month().to_string()),
        (4711, "2026-10".to_owned())
    );
    assert_eq!(key(1).month().to_string(), "2026-11");
}

#[test]
fn copies_are_reports_of_one_owner_and_month_whatever_their_interval() {
    let mut d = approved();
    let mut r = d["data"][0].clone();
    r["reportParameters"]["reportId"] = json!(4712);
    r["reportParameters"]["organizationUid"] = json!(" A0C1D2E3-F4A5-4B6C-8D7E-9F0A1B2C3D4E ");
    r["reportParameters"]["reportInterval"]["endOfInterval"] = json!("2026-10-15");
    d["data"].as_array_mut().unwrap().push(r);
    set(
        &mut d,
        "/meta/pagingInfo",
        r#"{"total": 2, "count": 2, "offset": 0}"#,
    );
    let f = audit(&d);
    let x = at(&f, "duplicate-report", "/data/1/reportParameters");
    assert!(
        x.message.contains(
            "report 4712 of \"Acme Cloud Services\" for 2026-10-01 to 2026-10-15 is of the same month, 2026-10, as report 4711 at /data/0/reportParameters in this file (for 2026-10-01 to 2026-10-31)"
        ),
        "{}",
        x.message
    );
}

#[test]
fn duplicate_report_across_files() {
    let owner = "a0c1d2e3-f4a5-4b6c-8d7e-9f0a1b2c3d4e";
    let a = file_audit("a.json", &month_report(1, owner, 2026, 9));
    let b = file_audit("b.json", &month_report(1, owner, 2026, 9));
    let c = file_audit("c.json", &month_report(2, &owner.to_uppercase(), 2026, 9));
    let d = file_audit("d.json", &month_report(3, owner, 2026, 10));
    let mut cross = CrossFile::default();
    for (name, x) in [
        ("a.json", &a),
        ("b.json", &b),
        ("c.json", &c),
        ("d.json", &d),
    ] {
        cross.add(name, &x.keys);
    }
    let f = cross.finish();
    assert_eq!(
        codes(&f),
        ["duplicate-report", "duplicate-report"],
        "{f:#?}"
    );
    let x = &f[0];
    assert_eq!((x.file.as_str(), x.pointer.as_str()), ("b.json", PARAMS));
    assert!(x.line.is_some());
    assert!(x.message.contains("is also at a.json:"), "{}", x.message);
    // Another id for the same owner (uids compared without case) and month.
    assert_eq!(f[1].file, "c.json");
    assert!(
        f[1].message.contains("as report 1 at a.json"),
        "{}",
        f[1].message
    );
}

#[test]
fn missing_month_per_owner_across_files() {
    let owner = "a0c1d2e3-f4a5-4b6c-8d7e-9f0a1b2c3d4e";
    let other = "b0c1d2e3-f4a5-4b6c-8d7e-9f0a1b2c3d4e";
    let files = [
        ("2026-11.json", month_report(5, owner, 2026, 11)),
        ("other-2026-12.json", month_report(9, other, 2026, 12)),
        ("2026-10.json", month_report(4, owner, 2026, 10)),
        ("2027-02.json", month_report(8, owner, 2027, 2)),
    ];
    let mut cross = CrossFile::default();
    for (name, doc) in &files {
        cross.add(name, &file_audit(name, doc).keys);
    }
    let f = cross.finish();
    assert_eq!(codes(&f), ["missing-month"], "{f:#?}");
    assert_eq!(f[0].file, "2027-02.json");
    assert_eq!(f[0].severity, Severity::Warning);
    assert!(
        f[0].message.contains("for 2026-12 to 2027-01"),
        "{}",
        f[0].message
    );
    assert!(
        f[0].message.contains("2026-11 (2026-11.json:"),
        "{}",
        f[0].message
    );

    let mut cross = CrossFile::default();
    for (name, doc) in &files[..3] {
        cross.add(name, &file_audit(name, doc).keys);
    }
    assert!(cross.finish().is_empty());
}

// ---------------------------------------------------------------------------------------
// Weights and enumerations.

#[test]
fn weight_inconsistent_points_at_the_odd_one_out() {
    let mut d = approved();
    // Fabrikam's VBR_VM (Standard) at 4.0; four other rows say 5.0.
    let row = "/data/0/usageDetails/1/usageByLicenseAndProduct/0/workloadUsage/0";
    set(&mut d, &format!("{row}/weight"), "4.0");
    set(&mut d, &format!("{row}/usedPoints"), "16.0");
    let f = audit(&d);
    let x = at(&f, "weight-inconsistent", &format!("{row}/weight"));
    assert_eq!(
        (x.expected.as_deref(), x.found.as_deref()),
        (Some("5.0"), Some("4.0"))
    );
    assert!(
        x.message.contains(&format!(
            "but 5.0 in 3 rows of this report (first at {VBR_VM}/weight)"
        )),
        "{}",
        x.message
    );
    assert_eq!(
        f.iter().filter(|x| x.code == "weight-inconsistent").count(),
        1
    );
    // Objects of different weights, and another edition at another weight: fine.
    let mut d = approved();
    for row in [
        "/data/0/appendices/0/appendixSummary/productsUsage/0/workloadUsage/0",
        "/data/0/appendices/0/usageDetails/0/usageByLicenseAndProduct/0/workloadUsage/0",
    ] {
        set(&mut d, &format!("{row}/weight"), "6.0");
        set(&mut d, &format!("{row}/reportedCount"), "5");
    }
    assert!(audit(&d).is_empty(), "{:#?}", audit(&d));
}

#[test]
fn weight_unexpected_against_published_and_user_weights() {
    let mut d = approved();
    let replica = "/data/0/reportSummary/productsUsage/3/workloadUsage/0";
    let replica_details = "/data/0/usageDetails/1/usageByLicenseAndProduct/2/workloadUsage/0";
    for row in [replica, replica_details] {
        set(&mut d, &format!("{row}/weight"), "9.0");
        set(&mut d, &format!("{row}/usedPoints"), "18.0");
    }
    set(
        &mut d,
        "/data/0/reportSummary/productsUsage/3/totalPoints",
        "25.0",
    );
    set(
        &mut d,
        "/data/0/usageDetails/1/usageByLicenseAndProduct/2/usedPoints",
        "25.0",
    );
    set(&mut d, "/data/0/reportSummary/totalPoints", "201.5");
    set(&mut d, "/data/0/organizationsUsage/1/usedPoints", "98.0");
    let f = audit(&d);
    let x = at(&f, "weight-unexpected", &format!("{replica}/weight"));
    assert_eq!(
        (x.expected.as_deref(), x.found.as_deref()),
        (Some("10"), Some("9.0"))
    );
    assert!(
        x.message.contains("(1 more like it in this report)"),
        "{}",
        x.message
    );
    assert!(
        x.message
            .contains("built-in: published Cloud Connect weight"),
        "{}",
        x.message
    );
    assert_eq!(codes(&f), ["weight-unexpected"], "{f:#?}");

    // The provider's own table says 9 from October 2026.
    let weights = Weights::builtin()
        .with_toml(
            "w.toml",
            "[[weight]]\nworkload = \"CC_VM_Replica\"\npoints = 9\nfrom = \"2026-10\"\n",
        )
        .unwrap();
    let opts = AuditOptions {
        weights,
        ..AuditOptions::default()
    };
    assert!(audit_with(&d, &opts).is_empty());
    let opts = AuditOptions {
        weights: Weights::none(),
        ..AuditOptions::default()
    };
    assert!(audit_with(&d, &opts).is_empty());
    // The same rule flags the published weight in a report of that period.
    let weights = Weights::builtin()
        .with_toml(
            "w.toml",
            "[[weight]]\nworkload = \"CC_VM_Replica\"\npoints = 9\nfrom = \"2026-10\"\n",
        )
        .unwrap();
    let opts = AuditOptions {
        weights,
        ..AuditOptions::default()
    };
    let f = audit_with(&approved(), &opts);
    assert!(
        at(&f, "weight-unexpected", &format!("{replica}/weight"))
            .message
            .contains("(w.toml:2:12)")
    );
}

#[test]
fn unknown_enum_values_are_named_once_per_report() {
    let mut d = approved();
    set(
        &mut d,
        &format!("{VBR_VM}/workloadType"),
        "\"VBR_Quantum_VM\"",
    );
    set(
        &mut d,
        "/data/0/usageDetails/0/usageByLicenseAndProduct/0/workloadUsage/0/workloadType",
        "\"vbr_quantum_vm\"",
    );
    set(
        &mut d,
        "/data/0/organizationsUsage/0/organizationType",
        "\"Partner\"",
    );
    set(
        &mut d,
        "/data/0/reportSummary/productsUsage/1/productType",
        "\"VB366\"",
    );
    let f = audit(&d);
    let x = at(&f, "unknown-enum-value", &format!("{VBR_VM}/workloadType"));
    assert!(
        x.message.contains("workloadType \"VBR_Quantum_VM\""),
        "{}",
        x.message
    );
    assert!(
        x.message.contains("VBR_VM, VBR_Server_Agent"),
        "{}",
        x.message
    );
    at(
        &f,
        "unknown-enum-value",
        "/data/0/organizationsUsage/0/organizationType",
    );
    at(
        &f,
        "unknown-enum-value",
        "/data/0/reportSummary/productsUsage/1/productType",
    );
    assert_eq!(
        f.iter().filter(|x| x.code == "unknown-enum-value").count(),
        4,
        "{f:#?}"
    );
    // Casing of known values is no finding (the seed says vbR_VM, company).
    none_of(
        &audit(&sample("seed-license-reports.json")),
        "unknown-enum-value",
    );
}

// ---------------------------------------------------------------------------------------
// Site usage.

fn site() -> Value {
    sample("site-usage-collection.json")
}

#[test]
fn counter_weight_inconsistent() {
    let c = "/data/0/counters/1"; // server backups: 3.3 for 10, 0.66 for 2
    let mut d = site();
    set(&mut d, &format!("{c}/newUnits"), "0.68");
    let f = audit(&d);
    let x = at(&f, "counter-weight-inconsistent", &format!("{c}/newUnits"));
    assert_eq!(
        (x.expected.as_deref(), x.found.as_deref()),
        (Some("0.66"), Some("0.68"))
    );
    assert!(
        x.message.contains(
            "newUnits 0.68 for 2 objects is 0.34 each, but usedUnits 3.3 for 10 objects is 0.33 each"
        ),
        "{}",
        x.message
    );
    // 0.7 is 0.66 written at one decimal: the precision rule accepts it.
    let mut d = site();
    set(&mut d, &format!("{c}/newUnits"), "0.7");
    assert!(audit(&d).is_empty());
    // Units for no objects.
    let mut d = site();
    set(&mut d, &format!("{c}/rentalUnits"), "0.33");
    at(
        &audit(&d),
        "counter-weight-inconsistent",
        &format!("{c}/rentalUnits"),
    );
    // 1 unit for 3 objects and 0.33 for 1: a third each, written at two decimals.
    let mut d = site();
    set(&mut d, &format!("{c}/usedUnits"), "1.00");
    set(&mut d, &format!("{c}/usedCount"), "3");
    set(&mut d, &format!("{c}/newUnits"), "0.33");
    set(&mut d, &format!("{c}/newCount"), "1");
    assert!(audit(&d).is_empty(), "{:#?}", audit(&d));
}

#[test]
fn site_weights_units_and_enumerations() {
    let mut d = site();
    // Replicas at 9 points each where 10 are published.
    let c = "/data/1/counters/0";
    set(&mut d, &format!("{c}/usedUnits"), "27.0");
    set(&mut d, &format!("{c}/newUnits"), "9.0");
    let f = audit(&d);
    let x = at(&f, "weight-unexpected", &format!("{c}/usedUnits"));
    assert_eq!(
        (x.expected.as_deref(), x.found.as_deref()),
        (Some("30.0"), Some("27.0"))
    );
    assert_eq!(f.len(), 1);
    // Instances are not points: the server backups at 0.33 are not compared with 7.
    none_of(&audit(&site()), "weight-unexpected");
    let mut d = site();
    set(&mut d, "/data/0/counters/0/type", "\"CC_Tape_Backup\"");
    set(&mut d, "/data/0/counters/0/unitType", "\"Gigabytes\"");
    set(&mut d, "/data/1/counters/1/usedCount", "-4");
    let f = audit(&d);
    at(&f, "unknown-enum-value", "/data/0/counters/0/type");
    at(&f, "unknown-enum-value", "/data/0/counters/0/unitType");
    at(&f, "negative-value", "/data/1/counters/1/usedCount");
    let mut d = sample("seed-site-usage.json");
    set(&mut d, "/data/counters/0/newUnits", "-10.0");
    at(&audit(&d), "negative-value", "/data/counters/0/newUnits");
}

// ---------------------------------------------------------------------------------------
// Loading problems, locations, determinism.

#[test]
fn a_file_that_fails_to_load_yields_its_load_problems() {
    let f = load_source(
        &Source::File(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/invalid/wrong-types.json"),
        ),
        &LOAD,
    );
    let a = check_file(&f, &AuditOptions::default());
    assert!(!a.findings.is_empty());
    assert!(
        a.findings
            .iter()
            .all(|x| x.code == "schema-violation" && x.line.is_some())
    );
    assert!(a.keys.is_empty());
}

#[test]
fn findings_of_a_bare_report_and_an_envelope_use_their_prefix() {
    let d = approved();
    let mut bare = d["data"][0].clone();
    set(&mut bare, "/reportSummary/totalPoints", "1");
    let f = audit(&bare);
    at(&f, "summary-total-mismatch", "/reportSummary/totalPoints");
    let f = audit(&json!({ "data": bare }));
    at(
        &f,
        "summary-total-mismatch",
        "/data/reportSummary/totalPoints",
    );
}

#[test]
fn tenant_text_is_quoted_and_escaped_in_messages() {
    let mut d = approved();
    set(
        &mut d,
        "/data/0/organizationsUsage/0/organizationName",
        "\"=cmd|' /C calc'!A0\\u001b[2J\"",
    );
    set(&mut d, "/data/0/organizationsUsage/0/usedPoints", "1");
    let f = audit(&d);
    let x = at(
        &f,
        "details-total-mismatch",
        "/data/0/organizationsUsage/0/usedPoints",
    );
    assert!(
        x.message.starts_with("\"=cmd|' /C calc'!A0\\u{1b}[2J\""),
        "{}",
        x.message
    );
}

#[test]
fn findings_are_sorted_and_located() {
    let mut d = approved();
    set(&mut d, "/data/0/reportSummary/totalPoints", "1");
    set(&mut d, &format!("{VBR_VM}/usedPoints"), "1");
    let f = audit(&d);
    let positions: Vec<(usize, usize)> = f
        .iter()
        .map(|x| (x.line.unwrap(), x.column.unwrap()))
        .collect();
    let mut sorted = positions.clone();
    sorted.sort_unstable();
    assert_eq!(positions, sorted);
}

// ---------------------------------------------------------------------------------------
// Properties on generated reports.

/// Pointers of every value in a document.
fn all_pointers(v: &Value, at: &str, out: &mut Vec<String>) {
    out.push(at.to_owned());
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                all_pointers(c, &format!("{at}/{k}"), out);
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                all_pointers(c, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;
    use vspc_billing::corpus::{Spec, collection};

    /// Pointers of every number in a document.
    fn numbers(v: &Value, at: &str, out: &mut Vec<String>) {
        match v {
            Value::Number(_) => out.push(at.to_owned()),
            Value::Object(m) => {
                for (k, c) in m {
                    numbers(c, &format!("{at}/{k}"), out);
                }
            }
            Value::Array(a) => {
                for (i, c) in a.iter().enumerate() {
                    numbers(c, &format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
    }

    fn parent(p: &str) -> &str {
        p.rsplit_once('/').map_or("", |(a, _)| a)
    }

    /// Numbers no arithmetic ties to another: the report id (an identity), and the
    /// initial and new counts of a row (compared with nothing in the vendor's rules,
    /// except initialCount >= reportedCount and the per-platform sums checked below).
    fn is_tied(p: &str, doc: &Value) -> bool {
        let last = p.rsplit('/').next().unwrap_or("");
        if last == "reportId" {
            return false;
        }
        if last == "initialCount" || last == "newCount" {
            // Tied only in rows with objectsByWeight (their sums).
            return doc
                .pointer(parent(p))
                .is_some_and(|row| row.get("workloadsByPlatform").is_some_and(|w| !w.is_null()));
        }
        if last == "weight" {
            // A weight of no objects multiplies nothing.
            return doc
                .pointer(&format!("{}/reportedCount", parent(p)))
                .and_then(Value::as_i64)
                .is_some_and(|n| n != 0);
        }
        true
    }

    fn spec(seed: u64, tenants: usize, products: usize, rows: usize) -> Spec {
        Spec {
            seed,
            tenants,
            products,
            rows,
            ..Spec::default()
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn a_generated_consistent_report_has_no_finding(seed in 0u64..10_000, tenants in 1usize..25, products in 1usize..5, rows in 1usize..5) {
            let (doc, injected) = collection(&spec(seed, tenants, products, rows), 0, 0);
            prop_assert!(injected.is_empty());
            let text = serde_json::to_string(&doc).unwrap();
            let a = audit_text_with("g.json", &text, &AuditOptions::default());
            prop_assert!(a.findings.is_empty(), "{:#?}", a.findings);
        }

        #[test]
        fn changing_any_tied_number_yields_a_finding_at_it_or_its_row(
            seed in 0u64..10_000,
            pick in any::<prop::sample::Index>(),
            delta in prop::sample::select(vec!["1", "0.5", "2", "10", "0.25"]),
        ) {
            let (doc, _) = collection(&spec(seed, 12, 4, 4), 0, 0);
            let mut doc = serde_json::to_value(&doc).unwrap();
            let mut all = Vec::new();
            numbers(&doc, "", &mut all);
            let tied: Vec<&String> = all.iter().filter(|p| is_tied(p, &doc)).collect();
            let target = tied[pick.index(tied.len())].clone();
            let old = doc.pointer(&target).unwrap().to_string();
            let is_count = !old.contains('.') && !target.ends_with("Points") && !target.ends_with("weight");
            let delta = if is_count { "1" } else { delta };
            let new: rust_decimal::Decimal = old.parse::<rust_decimal::Decimal>().unwrap() + delta.parse::<rust_decimal::Decimal>().unwrap();
            set(&mut doc, &target, &new.to_string());
            let a = audit_text_with("g.json", &text(&doc), &AuditOptions::default());
            let row = parent(&target);
            prop_assert!(
                a.findings.iter().any(|f| f.pointer == target || parent(&f.pointer) == row),
                "{} changed from {} to {}: {:#?}", target, old, new, a.findings
            );
        }

        #[test]
        fn the_audit_never_panics_on_a_loaded_document(
            seed in 0u64..10_000,
            picks in prop::collection::vec((any::<prop::sample::Index>(), 0usize..14), 1..4),
        ) {
            let (doc, _) = collection(&spec(seed, 4, 4, 4), 0, 0);
            let mut doc = serde_json::to_value(&doc).unwrap();
            let mut all = Vec::new();
            all_pointers(&doc, "", &mut all);
            for (pick, choice) in picks {
                let target = all[pick.index(all.len())].clone();
                if doc.pointer(&target).is_none() {
                    continue;
                }
                let text = [
                    "79228162514264337593543950335", "-79228162514264337593543950335",
                    "9223372036854775807", "-9223372036854775808", "0", "-0.0", "0.0000000000000000000000000001",
                    "\"2020-13-45\"", "\"0000-00-00T24:61:61-15:00\"", "\"9999-12-31\"",
                    "null", "[]", "\"x\\u001b[2Jy\"", "{}",
                ][choice];
                set(&mut doc, &target, text);
            }
            let bytes = text(&doc).into_bytes();
            let f = load_bytes("m.json", bytes, &LOAD);
            let a = check_file(&f, &AuditOptions::default());
            let mut cross = CrossFile::default();
            cross.add("m.json", &a.keys);
            cross.add("n.json", &a.keys);
            let _ = cross.finish();
        }

        #[test]
        fn lowering_an_initial_count_below_the_reported_one_is_flagged(seed in 0u64..10_000, pick in any::<prop::sample::Index>()) {
            let (doc, _) = collection(&spec(seed, 5, 4, 4), 0, 0);
            let mut doc = serde_json::to_value(&doc).unwrap();
            let mut all = Vec::new();
            numbers(&doc, "", &mut all);
            let initial: Vec<&String> = all.iter().filter(|p| p.ends_with("/initialCount")).collect();
            let target = initial[pick.index(initial.len())].clone();
            let reported = doc.pointer(&format!("{}/reportedCount", parent(&target))).and_then(Value::as_i64).unwrap();
            set(&mut doc, &target, &(reported - 1).to_string());
            let a = audit_text_with("g.json", &text(&doc), &AuditOptions::default());
            let expected = format!("{}/reportedCount", parent(&target));
            prop_assert!(a.findings.iter().any(|f| f.code == "reported-exceeds-initial" && f.pointer == expected), "{:#?}", a.findings);
        }

        #[test]
        fn a_generated_series_has_no_cross_file_finding_until_a_month_is_dropped(seed in 0u64..10_000, drop in 1usize..5) {
            let s = Spec { seed, owners: 2, months: 6, tenants: 3, ..Spec::default() };
            let mut cross = CrossFile::default();
            let mut gap = CrossFile::default();
            for owner in 0..2 {
                for m in 0..6 {
                    let (doc, _) = collection(&s, owner, m);
                    let name = format!("{owner}-{m}.json");
                    let a = audit_text_with(&name, &serde_json::to_string(&doc).unwrap(), &AuditOptions::default());
                    prop_assert!(a.findings.is_empty());
                    cross.add(&name, &a.keys);
                    if !(owner == 1 && m == drop) {
                        gap.add(&name, &a.keys);
                    }
                }
            }
            prop_assert!(cross.finish().is_empty());
            let f = gap.finish();
            prop_assert_eq!(f.len(), 1);
            prop_assert_eq!(f[0].code, "missing-month");
            prop_assert_eq!(f[0].file.clone(), format!("1-{}.json", drop + 1));
        }
    }
}

// ---------------------------------------------------------------------------------------
// The command line.

mod cli {
    use super::*;
    use assert_cmd::Command;

    fn bin() -> Command {
        let mut c = Command::cargo_bin("vspc-billing").unwrap();
        c.current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_remove("NO_COLOR");
        c
    }

    struct Run {
        code: Option<i32>,
        stdout: String,
        stderr: String,
    }

    fn run(args: &[&str], stdin: Option<String>) -> Run {
        let mut c = bin();
        c.args(args);
        if let Some(s) = stdin {
            c.write_stdin(s);
        }
        let out = c.output().unwrap();
        Run {
            code: out.status.code(),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }

    fn not_approved() -> String {
        let mut d = approved();
        set(&mut d, "/data/0/reportStatus", "\"ApprovalRequired\"");
        pretty(&d)
    }

    #[test]
    fn samples_give_findings_grouped_by_file_and_exit_one() {
        let r = run(&["audit", "samples/"], None);
        assert_eq!(r.code, Some(1), "{}", r.stderr);
        assert!(!r.stdout.contains('\x1b'));
        assert!(
            r.stdout
                .contains("samples/seed-license-reports.json (1 error, 1 info)\n"),
            "{}",
            r.stdout
        );
        assert!(r.stdout.contains(
            "  samples/seed-license-reports.json:1:411: error[invalid-date] endOfInterval 2020-02-31T00:00:00.0000000-07:00 is not a real date"
        ), "{}", r.stdout);
        assert!(r.stdout.ends_with(
            "11 files checked (2 reports, 3 sites, 7 not loaded): 13 errors, 0 warnings, 1 info\n"
        ), "{}", r.stdout);
        // Consistent files are not listed.
        assert!(!r.stdout.contains("reports-api-3.6-approved.json"));
    }

    #[test]
    fn consistent_files_exit_zero() {
        let r = run(
            &[
                "audit",
                "samples/reports-api-3.6-approved.json",
                "samples/site-usage-collection.json",
            ],
            None,
        );
        assert_eq!(r.code, Some(0));
        assert_eq!(
            r.stdout,
            "2 files checked (1 report, 2 sites): 0 errors, 0 warnings, 0 infos\n"
        );
    }

    #[test]
    fn io_and_usage_errors_exit_two() {
        let r = run(
            &["audit", "samples/seed-site-usage.json", "no/such/file.json"],
            None,
        );
        assert_eq!(r.code, Some(2));
        assert!(
            r.stdout
                .contains("error[io-error] cannot read no/such/file.json"),
            "{}",
            r.stdout
        );
        for args in [
            &["audit", "--allow", "points-mismach", "samples/"][..],
            &["audit", "--allow", "invalid-json", "samples/"],
            &[
                "audit",
                "--allow",
                "missing-month",
                "--deny",
                "missing-month",
                "samples/",
            ],
            &["audit", "--tolerance", "abc", "samples/"],
            &["audit", "--tolerance", "-1", "samples/"],
            &["audit", "--weights", "no/such/weights.toml", "samples/"],
            &["audit", "--format", "xml", "samples/"],
        ] {
            let r = run(args, None);
            assert_eq!(r.code, Some(2), "{args:?}: {}", r.stdout);
            assert!(!r.stderr.is_empty());
        }
        let r = run(&["audit", "--allow", "points-mismach", "samples/"], None);
        assert!(
            r.stderr.contains("did you mean points-mismatch?"),
            "{}",
            r.stderr
        );
    }

    #[test]
    fn deny_and_allow_change_the_verdict() {
        let r = run(&["audit", "-"], Some(not_approved()));
        assert_eq!(r.code, Some(0), "{}", r.stdout);
        assert!(r.stdout.contains("<stdin>:"), "{}", r.stdout);
        assert!(
            r.stdout.contains("0 errors, 1 warning, 0 infos"),
            "{}",
            r.stdout
        );
        let r = run(&["audit", "--deny", "warnings", "-"], Some(not_approved()));
        assert_eq!(r.code, Some(1));
        assert!(
            r.stdout.contains("error[report-not-approved]"),
            "{}",
            r.stdout
        );
        let r = run(
            &["audit", "--deny", "report-not-approved", "-"],
            Some(not_approved()),
        );
        assert_eq!(r.code, Some(1));
        let r = run(
            &[
                "audit",
                "--allow",
                "report-not-approved",
                "--deny",
                "warnings",
                "-",
            ],
            Some(not_approved()),
        );
        assert_eq!(r.code, Some(0));
        assert!(
            r.stdout
                .ends_with("0 errors, 0 warnings, 0 infos; 1 allowed\n"),
            "{}",
            r.stdout
        );
        // An error can be allowed too: the seed's date.
        let r = run(
            &[
                "audit",
                "--allow",
                "invalid-date",
                "samples/seed-license-reports.json",
            ],
            None,
        );
        assert_eq!(r.code, Some(0), "{}", r.stdout);
    }

    #[test]
    fn tolerance_and_weights_files() {
        let mut d = approved();
        set(&mut d, &format!("{VBR_VM}/usedPoints"), "85.5");
        set(
            &mut d,
            "/data/0/reportSummary/productsUsage/0/totalPoints",
            "99.0",
        );
        set(&mut d, "/data/0/reportSummary/totalPoints", "204.0");
        set(&mut d, "/data/0/organizationsUsage/2/usedPoints", "15.5");
        set(
            &mut d,
            "/data/0/usageDetails/2/usageByLicenseAndProduct/0/usedPoints",
            "15.5",
        );
        set(
            &mut d,
            "/data/0/usageDetails/2/usageByLicenseAndProduct/0/workloadUsage/0/usedPoints",
            "15.5",
        );
        let text = text(&d);
        let r = run(&["audit", "--format", "json", "-"], Some(text.clone()));
        assert_eq!(r.code, Some(1));
        let r = run(
            &["audit", "--tolerance", "0.5", "--format", "json", "-"],
            Some(text),
        );
        assert_eq!(r.code, Some(0), "{}", r.stdout);

        let dir = tempfile::tempdir().unwrap();
        let w = dir.path().join("weights.toml");
        std::fs::write(&w, "[[weight]]\nworkload = \"VB365_User\"\npoints = 0.8\n").unwrap();
        let w = w.to_str().unwrap();
        let r = run(
            &[
                "audit",
                "--weights",
                w,
                "samples/reports-api-3.6-approved.json",
            ],
            None,
        );
        assert_eq!(r.code, Some(0));
        assert!(r.stdout.contains("warning[weight-unexpected] VB365_User (Standard) in reportSummary has weight 1.0, but 0.8 is expected"), "{}", r.stdout);
        std::fs::write(
            dir.path().join("weights.toml"),
            "[[weight]]\nworkload = \"VB365_User\"\npoints = \"lots\"\n",
        )
        .unwrap();
        let r = run(&["audit", "--weights", w, "samples/"], None);
        assert_eq!(r.code, Some(2));
        assert!(
            r.stderr.contains("weights.toml:3:10: points:"),
            "{}",
            r.stderr
        );
    }

    #[test]
    fn json_output_has_the_documented_shape() {
        let r = run(&["audit", "--format", "json", "samples/"], None);
        assert_eq!(r.code, Some(1));
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        let findings = v["findings"].as_array().unwrap();
        assert_eq!(findings.len(), 14);
        for f in findings {
            let keys: Vec<&str> = f.as_object().unwrap().keys().map(String::as_str).collect();
            let mut want = vec![
                "code", "severity", "file", "pointer", "line", "column", "message", "expected",
                "found",
            ];
            want.sort_unstable();
            assert_eq!(keys, want);
        }
        let s = &v["summary"];
        assert_eq!(
            (
                s["files"].as_u64(),
                s["errors"].as_u64(),
                s["warnings"].as_u64(),
                s["infos"].as_u64()
            ),
            (Some(11), Some(13), Some(0), Some(1))
        );
    }

    #[test]
    fn sarif_output_is_one_run_with_rules_and_located_results() {
        let r = run(
            &[
                "audit",
                "--format",
                "sarif",
                "samples/seed-license-reports.json",
            ],
            None,
        );
        assert_eq!(r.code, Some(1));
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(v["version"], "2.1.0");
        let runs = v["runs"].as_array().unwrap();
        assert_eq!(runs.len(), 1);
        let rules = runs[0]["tool"]["driver"]["rules"].as_array().unwrap();
        assert_eq!(rules.len(), vspc_billing::codes::CODES.len());
        let results = runs[0]["results"].as_array().unwrap();
        assert_eq!(results.len(), 2);
        let date = &results[1];
        assert_eq!(date["ruleId"], "invalid-date");
        assert_eq!(date["level"], "error");
        assert_eq!(results[0]["level"], "note");
        let i = usize::try_from(date["ruleIndex"].as_u64().unwrap()).unwrap();
        assert_eq!(rules[i]["id"], "invalid-date");
        let loc = &date["locations"][0]["physicalLocation"];
        assert_eq!(
            loc["artifactLocation"]["uri"],
            "samples/seed-license-reports.json"
        );
        assert_eq!(loc["region"]["startLine"].as_u64(), Some(1));
        assert_eq!(loc["region"]["startColumn"].as_u64(), Some(411));
        assert!(
            date["message"]["text"]
                .as_str()
                .unwrap()
                .contains("2020-02-29")
        );
    }

    #[test]
    fn csv_output_neutralises_formulas() {
        let mut d = approved();
        set(&mut d, &format!("{VBR_VM}/newCount"), "-1");
        let r = run(&["audit", "--format", "csv", "-"], Some(text(&d)));
        assert_eq!(r.code, Some(1));
        let mut lines = r.stdout.lines();
        assert_eq!(
            lines.next(),
            Some("code,severity,file,line,column,pointer,message,expected,found")
        );
        let row = lines.next().unwrap();
        assert!(row.starts_with("negative-value,error,<stdin>,"), "{row}");
        assert!(row.ends_with(",,'-1"), "{row}");
    }

    #[test]
    fn output_is_the_same_whatever_the_thread_count() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().to_str().unwrap();
        let r = run(
            &[
                "corpus",
                "--out",
                out,
                "--owners",
                "3",
                "--months",
                "4",
                "--tenants",
                "20",
                "--inject",
                "2",
            ],
            None,
        );
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        std::fs::remove_file(dir.path().join("owner-01/2025-02.json")).unwrap();
        let one = run(
            &["audit", "--format", "json", "-j", "1", out, "samples/"],
            None,
        );
        let many = run(
            &["audit", "--format", "json", "-j", "4", out, "samples/"],
            None,
        );
        assert_eq!(one.code, Some(1));
        assert_eq!(one.stdout, many.stdout);
        assert!(one.stdout.contains("\"missing-month\""));
    }

    #[test]
    fn explain_every_code() {
        let r = run(&["explain", "points-mismatch"], None);
        assert_eq!(r.code, Some(0));
        assert!(
            r.stdout.starts_with("points-mismatch (error)\n\n"),
            "{}",
            r.stdout
        );
        assert!(r.stdout.contains("\n\nWhy it matters: "));
        assert!(r.stdout.contains("\n\nHow to fix it: "));
        let r = run(&["explain", "points-mismach"], None);
        assert_eq!(r.code, Some(2));
        assert!(
            r.stderr.contains("did you mean points-mismatch?"),
            "{}",
            r.stderr
        );
        let r = run(&["explain"], None);
        assert_eq!(r.code, Some(0));
        assert_eq!(r.stdout.lines().count(), vspc_billing::codes::CODES.len());
        for c in vspc_billing::codes::CODES {
            assert!(r.stdout.contains(c.code.as_str()));
        }
        let r = run(&["explain", "--markdown"], None);
        assert_eq!(
            r.stdout.lines().count(),
            vspc_billing::codes::CODES.len() + 2
        );
    }
}

/// Every code is reachable: a table of runs, one a code (a pipe and a link loop need Unix).
#[cfg(unix)]
mod reachability {
    use super::*;

    /// How a code is produced through the library: a document audited, a run billed, inputs
    /// expanded. Each entry of [`code_triggers`] gives the codes one such run reports.
    enum Trigger {
        /// The approved sample, changed, audited.
        Report(fn(&mut Value)),
        /// The site usage sample, changed, audited.
        Site(fn(&mut Value)),
        /// A file's bytes, loaded and audited.
        Bytes(&'static [u8]),
        /// Any other run of the library; returns the codes it reported.
        Run(fn() -> Vec<Code>),
    }

    /// One tenant with 80 VMs of weight 5 (400 points) in `month` of 2026.
    fn four_hundred_points(month: u32) -> Value {
        json!({"data": {
            "reportStatus": "Approved",
            "reportParameters": {
                "reportId": month, "organizationName": "P", "organizationUid": "p",
                "licenseCompanyName": "P", "generationDate": format!("2026-{:02}-01", month + 1),
                "reportInterval": {"startOfInterval": format!("2026-{month:02}-01"), "endOfInterval": format!("{}-{:02}", vspc_billing::date::Month::new(2026, month), vspc_billing::date::Month::new(2026, month).days())}
            },
            "reportSummary": {"totalPoints": 400, "productsUsage": []},
            "organizationsUsage": [{"organizationType": "Company", "organizationName": "T", "organizationUid": "t", "usedPoints": 400}],
            "usageDetails": [{"organizationName": "T", "organizationUid": "t", "usageByLicenseAndProduct": [
                {"productType": "BackupAndReplication", "licenseEdition": "Standard", "usedPoints": 400, "workloadUsage": [
                    {"workloadType": "VBR_VM", "initialCount": 80, "reportedCount": 80, "newCount": 0, "weight": 5, "usedPoints": 400}
                ]}
            ]}]
        }})
    }

    /// A tenant's workload rows: type, count, weight.
    type Rows<'a> = &'a [(&'a str, i64, i64)];

    /// A consistent, approved report of owner "p" for `month` of 2026: each tenant (uid,
    /// rows of workload type, count, weight) with its usage details, the summary rows and
    /// every total.
    fn tenants_month(month: u32, tenants: &[(&str, Rows)]) -> Value {
        let m = vspc_billing::date::Month::new(2026, month);
        let mut summary: Vec<(String, i64, i64)> = Vec::new();
        let (mut orgs, mut details, mut total) = (Vec::new(), Vec::new(), 0);
        for (uid, rows) in tenants {
            let points: i64 = rows.iter().map(|(_, c, w)| c * w).sum();
            total += points;
            orgs.push(json!({"organizationType": "Company", "organizationName": uid, "organizationUid": uid, "usedPoints": points}));
            let workloads: Vec<Value> = rows
                .iter()
                .map(|(t, c, w)| json!({"workloadType": t, "initialCount": c, "reportedCount": c, "newCount": 0, "weight": w, "usedPoints": c * w}))
                .collect();
            details.push(json!({"organizationName": uid, "organizationUid": uid, "usageByLicenseAndProduct": [
                {"productType": "BackupAndReplication", "licenseEdition": "Standard", "usedPoints": points, "workloadUsage": workloads}
            ]}));
            for (t, c, w) in *rows {
                match summary.iter_mut().find(|(x, _, y)| x == t && y == w) {
                    Some(row) => row.1 += c,
                    None => summary.push(((*t).to_owned(), *c, *w)),
                }
            }
        }
        let rows: Vec<Value> = summary
            .iter()
            .map(|(t, c, w)| json!({"workloadType": t, "initialCount": c, "reportedCount": c, "newCount": 0, "weight": w, "usedPoints": c * w}))
            .collect();
        json!({"data": {
            "reportStatus": "Approved",
            "reportParameters": {
                "reportId": month, "organizationName": "P", "organizationUid": "p",
                "licenseCompanyName": "P", "generationDate": format!("{}-01", m.next()),
                "reportInterval": {"startOfInterval": format!("{m}-01"), "endOfInterval": format!("{m}-{:02}", m.days())}
            },
            "reportSummary": {"totalPoints": total, "productsUsage": [
                {"productType": "BackupAndReplication", "licenseEdition": "Standard", "totalPoints": total, "workloadUsage": rows}
            ]},
            "organizationsUsage": orgs,
            "usageDetails": details
        }})
    }

    /// Audits the documents as consecutive files of one run; the codes it reports.
    fn run_codes(docs: &[Value]) -> Vec<Code> {
        let dir = tempfile::tempdir().unwrap();
        let paths: Vec<std::path::PathBuf> = docs
            .iter()
            .enumerate()
            .map(|(k, d)| {
                let p = dir.path().join(format!("m{k}.json"));
                std::fs::write(&p, text(d)).unwrap();
                p
            })
            .collect();
        let inputs = vspc_billing::load::expand(&paths);
        vspc_billing::audit::run::run(
            &inputs,
            &LOAD,
            &AuditOptions::default(),
            &vspc_billing::schedule::Unobserved,
        )
        .findings
        .iter()
        .map(|f| f.code)
        .collect()
    }

    /// Bills documents (one file each, audited) on a card; the codes of the refusals, or of
    /// the error that refused the run. `allow_findings`: bill despite error findings.
    fn billing_codes(docs: &[Value], card: &str, allow_findings: bool) -> Vec<Code> {
        use vspc_billing::billing::rates::RateCard;
        use vspc_billing::billing::{BillOptions, FileInput, bill};
        let files: Vec<_> = docs
            .iter()
            .enumerate()
            .map(|(k, d)| {
                let f = load_bytes(&format!("r{k}.json"), text(d).into_bytes(), &LOAD);
                let a = check_file(&f, &AuditOptions::default());
                (f, a)
            })
            .collect();
        let inputs: Vec<FileInput<'_>> = files
            .iter()
            .map(|(file, audit)| FileInput { file, audit })
            .collect();
        let card = RateCard::parse("card.toml", card).unwrap();
        let opts = BillOptions {
            allow_findings,
            ..BillOptions::default()
        };
        match bill(&inputs, &card, &opts) {
            Ok(b) => b
                .summary
                .refused
                .iter()
                .flat_map(|r| r.reasons.iter().map(|x| x.code))
                .collect(),
            Err(e) => Code::parse(e.to_string().split(':').next().unwrap())
                .into_iter()
                .collect(),
        }
    }

    const CARD: &str = "currency = \"EUR\"\nrounding = \"half-up\"\n[provider]\nname = \"P\"\n[default]\nper_point = 1\n";

    /// Runs the `invoice` job on one document with `card`, into a fresh folder, with a
    /// register when given; the code of the error that stopped it, if any.
    fn job_code(doc: &Value, card: &str, register: Option<&Path>) -> Option<Code> {
        use vspc_billing::billing::run::{PRESCAN_ABOVE, RunOptions};
        use vspc_billing::billing::{BillOptions, rates::RateCard};
        use vspc_billing::invoicing::{Job, JobError, RegisterUse, invoice};
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("r.json");
        std::fs::write(&input, text(doc)).unwrap();
        let card_path = dir.path().join("card.toml");
        let card = RateCard::parse("card.toml", card).unwrap();
        let templates = vspc_billing::render::Templates::load(None).unwrap();
        let sources = [Source::File(input)];
        let audit = AuditOptions::default();
        let job = Job {
            sources: &sources,
            card: &card,
            card_path: &card_path,
            templates_dir: None,
            templates: &templates,
            outputs: vspc_billing::render::Outputs {
                html: false,
                md: false,
                txt: true,
                pdf: false,
                csv: false,
                summary: false,
                xero: false,
                quickbooks: false,
                cii: false,
            },
            out: &dir.path().join("out"),
            context: None,
            force: false,
            allow_unknown_tenants: false,
            run: RunOptions {
                load: LOAD,
                audit: &audit,
                bill: BillOptions::default(),
                prescan_above: PRESCAN_ABOVE,
            },
            register: register.map(|path| RegisterUse {
                path,
                correct: false,
                dry_run: false,
            }),
        };
        let pool = vspc_billing::schedule::Pool::new(Some(1)).unwrap();
        match invoice(&job, &pool, &vspc_billing::schedule::Unobserved) {
            Ok(_) => None,
            Err(JobError::Changed(_)) => Some(Code::InvoiceChanged),
            Err(JobError::UnknownTenants(_)) => Some(Code::UnknownTenant),
            Err(JobError::CardIncomplete(_)) => Some(Code::RateCardInvalid),
            Err(JobError::Failed(m)) => panic!("{m}"),
        }
    }

    /// For every code, a run of the library that reports it.
    #[allow(clippy::too_many_lines)] // one line a code
    fn code_triggers() -> Vec<(Code, Trigger)> {
        use Trigger::{Bytes, Report, Run, Site};
        const ROW: &str = "/data/0/reportSummary/productsUsage/1/workloadUsage/0";
        const FABRIKAM_VM: &str =
            "/data/0/usageDetails/1/usageByLicenseAndProduct/0/workloadUsage/0";
        vec![
            (Code::IoError, Run(|| {
                let f = load_source(&Source::File("no/such/file.json".into()), &LOAD);
                f.problems.iter().map(|p| p.code).collect()
            })),
            (Code::InputTooLarge, Run(|| {
                let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/reports-api-3.6-approved.json");
                let f = load_source(&Source::File(path), &LoadOptions { max_input: 10, ..LOAD });
                f.problems.iter().map(|p| p.code).collect()
            })),
            (Code::NotARegularFile, Run(|| {
                let dir = tempfile::tempdir().unwrap();
                let made = std::process::Command::new("mkfifo").arg(dir.path().join("pipe.json")).status();
                assert!(made.is_ok_and(|s| s.success()), "mkfifo");
                let inputs = vspc_billing::load::expand(&[dir.path().to_owned()]);
                inputs.warnings.iter().map(|w| w.code).collect()
            })),
            (Code::SymlinkLoop, Run(|| {
                let dir = tempfile::tempdir().unwrap();
                std::fs::write(dir.path().join("a.json"), "{}").unwrap();
                std::os::unix::fs::symlink(dir.path(), dir.path().join("up")).unwrap();
                let inputs = vspc_billing::load::expand(&[dir.path().to_owned()]);
                inputs.warnings.iter().map(|w| w.code).collect()
            })),
            (Code::EmptyFile, Bytes(b" \n")),
            (Code::ByteOrderMark, Bytes(b"\xEF\xBB\xBF{}")),
            (Code::InvalidUtf8, Bytes(b"{\"a\": \"\xff\"}")),
            (Code::InvalidJson, Bytes(b"{\"data\": [")),
            (Code::UnknownDocument, Bytes(b"{\"hello\": 1}")),
            (Code::SchemaViolation, Bytes(br#"{"data": {"siteUid": "s", "counters": [{"type": "CC_VM_Backup", "rentalUnits": "1"}]}}"#)),
            (Code::TypeError, Bytes(br#"{"data": {"counters": [{"type": "CC_VM_Backup", "rentalUnits": 1e40, "newUnits": 0, "usedUnits": 0, "rentalCount": 1, "newCount": 0, "usedCount": 0}]}}"#)),
            (Code::InvalidDate, Report(|d| set(d, &format!("{PARAMS}/generationDate"), "\"2026-11-31\""))),
            (Code::IntervalReversed, Report(|d| set(d, &format!("{PARAMS}/reportInterval/startOfInterval"), "\"2026-11-01\""))),
            (Code::IntervalNotCalendarMonth, Report(|d| set(d, &format!("{PARAMS}/reportInterval/endOfInterval"), "\"2026-10-15\""))),
            (Code::GeneratedBeforeIntervalEnd, Report(|d| set(d, &format!("{PARAMS}/generationDate"), "\"2026-10-15\""))),
            (Code::MissingParameters, Report(|d| remove(d, PARAMS))),
            (Code::ConflictingFields, Report(|d| d["data"][0]["reportParemeters"] = d["data"][0]["reportParameters"].clone())),
            (Code::PointsMismatch, Report(|d| set(d, &format!("{VBR_VM}/usedPoints"), "90.0"))),
            (Code::PlatformCountMismatch, Report(|d| set(d, &format!("{CLOUD_VM}/reportedCount"), "5"))),
            (Code::ProductTotalMismatch, Report(|d| set(d, "/data/0/reportSummary/productsUsage/0/totalPoints", "99.5"))),
            (Code::SummaryTotalMismatch, Report(|d| set(d, "/data/0/reportSummary/totalPoints", "204"))),
            (Code::OrganizationsTotalMismatch, Report(|d| set(d, "/data/0/organizationsUsage/2/usedPoints", "16.0"))),
            (Code::DetailsTotalMismatch, Report(|d| remove(d, "/data/0/organizationsUsage/2"))),
            (Code::DetailsSummaryMismatch, Report(|d| {
                let n = "/data/0/usageDetails/2/usageByLicenseAndProduct/0";
                set(d, &format!("{n}/workloadUsage/0/initialCount"), "4");
                set(d, &format!("{n}/workloadUsage/0/reportedCount"), "4");
                set(d, &format!("{n}/workloadUsage/0/usedPoints"), "20.0");
                set(d, &format!("{n}/usedPoints"), "20.0");
                set(d, "/data/0/organizationsUsage/2/usedPoints", "20.0");
            })),
            (Code::ReportedExceedsInitial, Report(|d| set(d, &format!("{ROW}/initialCount"), "24"))),
            (Code::NegativeValue, Report(|d| set(d, &format!("{VBR_VM}/newCount"), "-1"))),
            (Code::NumberOutOfRange, Report(|d| set(d, &format!("{VBR_VM}/weight"), "79228162514264337593543950335"))),
            (Code::ReportNotApproved, Report(|d| set(d, "/data/0/reportStatus", "\"ApprovalRequired\""))),
            (Code::ServersNotCollected, Report(|d| set(d, "/data/0/notCollectedCloudServers", r#"["cc-01"]"#))),
            (Code::ServersCloned, Report(|d| set(d, "/data/0/clonedCloudServers", r#"["cc-03"]"#))),
            (Code::ServersUnsupported, Report(|d| set(d, "/data/0/unsupportedCloudServers", r#"["cc-04"]"#))),
            (Code::PagingIncomplete, Report(|d| set(d, "/meta/pagingInfo/total", "150"))),
            (Code::ApiError, Report(|d| d["errors"] = json!([{"message": "Collection failed", "type": "warning", "code": 1001}]))),
            (Code::DuplicateOrganization, Report(|d| {
                let org = d["data"][0]["organizationsUsage"][0].clone();
                d["data"][0]["organizationsUsage"].as_array_mut().unwrap().push(org);
            })),
            (Code::DuplicateReport, Report(|d| {
                let r = d["data"][0].clone();
                d["data"].as_array_mut().unwrap().push(r);
            })),
            (Code::MissingMonth, Run(|| {
                let owner = "a0c1d2e3-f4a5-4b6c-8d7e-9f0a1b2c3d4e";
                let mut cross = CrossFile::default();
                for (name, month) in [("a.json", 9), ("b.json", 11)] {
                    cross.add(name, &file_audit(name, &month_report(1, owner, 2026, month)).keys);
                }
                cross.finish().iter().map(|f| f.code).collect()
            })),
            (Code::WeightInconsistent, Report(|d| {
                set(d, &format!("{FABRIKAM_VM}/weight"), "4.0");
                set(d, &format!("{FABRIKAM_VM}/usedPoints"), "16.0");
            })),
            (Code::WeightUnexpected, Report(|d| {
                let replica = "/data/0/reportSummary/productsUsage/3/workloadUsage/0";
                set(d, &format!("{replica}/weight"), "9.0");
            })),
            (Code::UnknownEnumValue, Report(|d| set(d, &format!("{VBR_VM}/workloadType"), "\"VBR_Quantum_VM\""))),
            (Code::CounterWeightInconsistent, Site(|d| set(d, "/data/0/counters/1/newUnits", "0.68"))),
            (Code::InvalidFile, Run(|| {
                let broken = load_bytes("r.json", b"{".to_vec(), &LOAD);
                let audit = check_file(&broken, &AuditOptions::default());
                let card = vspc_billing::billing::rates::RateCard::parse("card.toml", CARD).unwrap();
                let input = vspc_billing::billing::FileInput { file: &broken, audit: &audit };
                let b = vspc_billing::billing::bill(&[input], &card, &vspc_billing::billing::BillOptions::default()).unwrap();
                b.summary.refused.iter().flat_map(|r| r.reasons.iter().map(|x| x.code)).collect()
            })),
            (Code::NotApproved, Run(|| {
                let mut d = approved();
                set(&mut d, "/data/0/reportStatus", "\"ApprovalRequired\"");
                billing_codes(&[d], CARD, false)
            })),
            (Code::StatusMissing, Run(|| {
                let mut d = approved();
                remove(&mut d, "/data/0/reportStatus");
                billing_codes(&[d], CARD, false)
            })),
            (Code::ErrorFindings, Run(|| {
                let mut d = approved();
                set(&mut d, &format!("{VBR_VM}/usedPoints"), "90.0");
                billing_codes(&[d], CARD, false)
            })),
            (Code::NoPeriod, Run(|| {
                let mut d = approved();
                set(&mut d, &format!("{PARAMS}/reportInterval/startOfInterval"), "\"2026-13-01\"");
                billing_codes(&[d], CARD, false)
            })),
            (Code::UnbillableData, Run(|| {
                // 400 points owed at 7 × 10^27 each.
                let card = CARD.replace("per_point = 1", "per_point = 1\n[cost]\nper_point = 7000000000000000000000000000");
                billing_codes(&[four_hundred_points(3)], &card, true)
            })),
            (Code::AmountOverflow, Run(|| {
                // Each month's revenue holds with its cents; their sum does not.
                let card = CARD.replace("per_point = 1", "per_point = 1250000000000000000000000");
                billing_codes(&[four_hundred_points(3), four_hundred_points(4)], &card, true)
            })),
            (Code::BuyerAddressMissing, Run(|| {
                billing_codes(&[approved()], &CARD.replace("[provider]", "require_buyer_address = true\n[provider]"), false)
            })),
            (Code::UnknownTenant, Run(|| {
                let card = format!("{CARD}[tenants.\"c1a2b3c4-0009-4000-8000-000000000009\"]\nminimum = 1\n");
                job_code(&approved(), &card, None).into_iter().collect()
            })),
            (Code::InvoiceChanged, Run(|| {
                let dir = tempfile::tempdir().unwrap();
                let register = dir.path().join("register.sqlite");
                assert_eq!(job_code(&approved(), CARD, Some(&register)), None);
                let dearer = CARD.replace("per_point = 1", "per_point = 2");
                job_code(&approved(), &dearer, Some(&register)).into_iter().collect()
            })),
            (Code::UsageSpike, Run(|| {
                let stable: &[(&str, i64, i64)] = &[("VBR_VM", 1000, 5)];
                run_codes(&[
                    tenants_month(3, &[("big", stable), ("t", &[("VBR_VM", 40, 5)])]),
                    tenants_month(4, &[("big", stable), ("t", &[("VBR_VM", 100, 5)])]),
                ])
            })),
            (Code::UsageDrop, Run(|| {
                let stable: &[(&str, i64, i64)] = &[("VBR_VM", 1000, 5)];
                run_codes(&[
                    tenants_month(3, &[("big", stable), ("t", &[("VBR_VM", 100, 5)])]),
                    tenants_month(4, &[("big", stable), ("t", &[("VBR_VM", 40, 5)])]),
                ])
            })),
            (Code::TenantAppeared, Run(|| {
                let stable: &[(&str, i64, i64)] = &[("VBR_VM", 1000, 5)];
                run_codes(&[
                    tenants_month(3, &[("big", stable)]),
                    tenants_month(4, &[("big", stable), ("t", &[("VBR_VM", 10, 5)])]),
                ])
            })),
            (Code::TenantDisappeared, Run(|| {
                let stable: &[(&str, i64, i64)] = &[("VBR_VM", 1000, 5)];
                run_codes(&[
                    tenants_month(3, &[("big", stable), ("t", &[("VBR_VM", 10, 5)])]),
                    tenants_month(4, &[("big", stable)]),
                ])
            })),
            (Code::WorkloadCountDoubled, Run(|| {
                let stable: &[(&str, i64, i64)] = &[("VBR_VM", 1000, 5)];
                run_codes(&[
                    tenants_month(3, &[("big", stable), ("t", &[("VBR_VM", 10, 5), ("VBR_Server_Agent", 10, 7)])]),
                    tenants_month(4, &[("big", stable), ("t", &[("VBR_VM", 20, 5), ("VBR_Server_Agent", 10, 7)])]),
                ])
            })),
            (Code::WeightChanged, Run(|| {
                run_codes(&[
                    tenants_month(3, &[("t", &[("VBR_VM", 100, 5)])]),
                    tenants_month(4, &[("t", &[("VBR_VM", 100, 6)])]),
                ])
            })),
            (Code::ReportTotalJump, Run(|| {
                run_codes(&[
                    tenants_month(3, &[("t", &[("VBR_VM", 100, 5)])]),
                    tenants_month(4, &[("t", &[("VBR_VM", 200, 5)])]),
                ])
            })),
            (Code::RateCardInvalid, Run(|| {
                let e = vspc_billing::billing::rates::RateCard::parse("card.toml", "currency = 1").unwrap_err();
                e.iter().map(|x| x.code).collect()
            })),
        ]
    }

    /// Every code a user can see is reported by some run of the library: a table gives, for
    /// each code, a run that reports it (a code without an entry fails), so that `explain` and
    /// the README document nothing that cannot happen.
    #[test]
    fn every_documented_code_is_reported_by_some_run() {
        let table = code_triggers();
        for code in Code::ALL {
            let runs: Vec<&Trigger> = table
                .iter()
                .filter(|(c, _)| *c == code)
                .map(|(_, t)| t)
                .collect();
            let [trigger] = runs.as_slice() else {
                panic!(
                    "{code}: {} entries in code_triggers, expected one: add a run that reports it",
                    runs.len()
                );
            };
            let seen: Vec<Code> = match trigger {
                Trigger::Report(change) | Trigger::Site(change) => {
                    let mut d = if matches!(trigger, Trigger::Report(_)) {
                        approved()
                    } else {
                        site()
                    };
                    change(&mut d);
                    audit(&d).iter().map(|f| f.code).collect()
                }
                Trigger::Bytes(bytes) => {
                    let f = load_bytes("t.json", bytes.to_vec(), &LOAD);
                    check_file(&f, &AuditOptions::default())
                        .findings
                        .iter()
                        .map(|f| f.code)
                        .collect()
                }
                Trigger::Run(run) => run(),
            };
            assert!(
                seen.contains(&code),
                "{code} is not reported by its run, which reports {seen:?}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// Summary rows against the usage details they sum.

/// One tenant's `VBR_VM` rows: a summary row (no `workloadsByPlatform`) and a usage-details
/// row with the objects `(count, new, weight, points)`.
fn mixed_weights_report(
    summary: (i64, i64, &str),
    details: (i64, &[(i64, i64, &str, &str)]),
) -> Value {
    let (s_count, s_new, s_used) = summary;
    let (d_count, objects) = details;
    let objects: Vec<String> = objects
        .iter()
        .map(|(n, new, w, p)| {
            format!(r#"{{"weight": {w}, "initialCount": {n}, "reportedCount": {n}, "newCount": {new}, "usedPoints": {p}}}"#)
        })
        .collect();
    let d_new: i64 = details.1.iter().map(|o| o.1).sum();
    let d_used: f64 = details.1.iter().map(|o| o.3.parse::<f64>().unwrap()).sum();
    let text = format!(
        r#"{{"data": {{
  "reportStatus": "Approved",
  "reportParameters": {{"reportId": 1, "organizationName": "P", "organizationUid": "p", "licenseCompanyName": "P",
    "generationDate": "2026-04-01", "reportInterval": {{"startOfInterval": "2026-03-01", "endOfInterval": "2026-03-31"}}}},
  "reportSummary": {{"totalPoints": {s_used}, "productsUsage": [{{"productType": "BackupAndReplication", "licenseEdition": "Standard", "totalPoints": {s_used},
    "workloadUsage": [{{"workloadType": "VBR_VM", "initialCount": {s_count}, "reportedCount": {s_count}, "newCount": {s_new}, "weight": 5.0, "usedPoints": {s_used}}}]}}]}},
  "organizationsUsage": [{{"organizationType": "Company", "organizationName": "T", "organizationUid": "t", "usedPoints": {d_used:.1}}}],
  "usageDetails": [{{"organizationName": "T", "organizationUid": "t", "usageByLicenseAndProduct": [{{"productType": "BackupAndReplication", "licenseEdition": "standard", "usedPoints": {d_used:.1},
    "workloadUsage": [{{"workloadType": "vbR_VM", "initialCount": {d_count}, "reportedCount": {d_count}, "newCount": {d_new}, "weight": 5.0, "usedPoints": {d_used:.1},
      "workloadsByPlatform": [{{"typeId": "VMware", "objectsByWeight": [{}]}}]}}]}}]}}]
}}}}"#,
        objects.join(", ")
    );
    serde_json::from_str(&text).unwrap()
}

const SUMMARY_VM: &str = "/data/reportSummary/productsUsage/0/workloadUsage/0";

/// 6 VMs of weight 5 and 2 of weight 2.5 are 35 points: a summary row that says
/// reportedCount 8, weight 5.0, usedPoints 35.0 agrees with the details it sums. It was
/// flagged (8 x 5 = 40), with a claim that new workloads were left out ((8 - 1) x 5).
#[test]
fn a_summary_row_that_agrees_with_its_details_of_different_weights_is_clean() {
    let d = mixed_weights_report(
        (8, 1, "35.0"),
        (8, &[(6, 1, "5.0", "30.0"), (2, 0, "2.5", "5.0")]),
    );
    assert!(audit(&d).is_empty(), "{:#?}", audit(&d));
    // The same in an appendix.
    let mut a = approved();
    let app = "/data/0/appendices/0";
    let src = &d["data"];
    for key in ["organizationsUsage", "usageDetails"] {
        *a.pointer_mut(&format!("{app}/{key}")).unwrap() = src[key].clone();
    }
    *a.pointer_mut(&format!("{app}/appendixSummary")).unwrap() = src["reportSummary"].clone();
    assert!(audit(&a).is_empty(), "{:#?}", audit(&a));
}

/// A summary row that disagrees with its details is still flagged, with what the details
/// sum to; the new-workloads hint is given since it explains the difference.
#[test]
fn a_summary_row_that_disagrees_with_its_details_is_flagged() {
    let d = mixed_weights_report((8, 1, "35.0"), (8, &[(8, 1, "5.0", "40.0")]));
    let f = audit(&d);
    let x = at(&f, "points-mismatch", &format!("{SUMMARY_VM}/usedPoints"));
    assert_eq!(
        x.message,
        "VBR_VM in reportSummary: usedPoints 35.0 is not reportedCount 8 x weight 5.0 = 40.0; the usageDetails rows of this type and edition sum to 40.0 points for reportedCount 8; it matches (reportedCount - newCount) x weight = (8 - 1) x 5.0 = 35.0: the new workloads were left out"
    );
    assert_eq!(
        (x.expected.as_deref(), x.found.as_deref()),
        (Some("40.0"), Some("35.0"))
    );
    at(
        &f,
        "details-summary-mismatch",
        &format!("{SUMMARY_VM}/usedPoints"),
    );
    // Without usage details, the row is checked on its own, as before.
    let mut d = d;
    remove(&mut d, "/data/usageDetails");
    let f = audit(&d);
    let x = at(&f, "points-mismatch", &format!("{SUMMARY_VM}/usedPoints"));
    assert!(
        x.message
            .ends_with("(8 - 1) x 5.0 = 35.0: the new workloads were left out"),
        "{}",
        x.message
    );
}

/// The details explain the points (objects of different weights) but not the count: the
/// row is flagged, and not with the new-workloads hint, although (9 - 2) x 5 = 35.
#[test]
fn the_new_workloads_hint_is_given_only_when_nothing_else_explains_the_difference() {
    let d = mixed_weights_report(
        (9, 2, "35.0"),
        (8, &[(6, 1, "5.0", "30.0"), (2, 1, "2.5", "5.0")]),
    );
    let f = audit(&d);
    let x = at(&f, "points-mismatch", &format!("{SUMMARY_VM}/usedPoints"));
    assert_eq!(
        x.message,
        "VBR_VM in reportSummary: usedPoints 35.0 is not reportedCount 9 x weight 5.0 = 45.0; the usageDetails rows of this type and edition sum to 35.0 points for reportedCount 8, the same points (objects of different weights) but not the same count as this row's 9"
    );
    none_of(&f, "details-summary-mismatch");
}

/// A recomputed sum that needs more than 28 significant digits is never rounded into
/// agreement: `Decimal::checked_add` would drop the last digit and find
/// 9999999999999999999999999999 + 0.1 equal to 9999999999999999999999999999.
#[test]
fn sums_past_28_digits_are_not_rounded_into_agreement() {
    let mut doc = approved();
    let big = "9999999999999999999999999999";
    set(&mut doc, "/data/0/reportSummary/totalPoints", big);
    set(&mut doc, "/data/0/organizationsUsage/0/usedPoints", big);
    set(&mut doc, "/data/0/organizationsUsage/1/usedPoints", "0.1");
    set(&mut doc, "/data/0/organizationsUsage/2/usedPoints", "0");
    let findings = audit(&doc);
    let f = at(
        &findings,
        "number-out-of-range",
        "/data/0/organizationsUsage",
    );
    assert!(
        f.message.contains("sum of organizationsUsage goes beyond"),
        "{}",
        f.message
    );
}
