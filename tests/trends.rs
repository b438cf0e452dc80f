//! The audit across months: each trend code with a series that triggers it and one that
//! does not (stable tenants with a few percent of drift give none), the thresholds, the
//! policy, and the series `report` draws.

use rust_decimal::Decimal;
use std::path::{Path, PathBuf};
use vspc_billing::audit::AuditOptions;
use vspc_billing::audit::run::{AuditRun, run};
use vspc_billing::audit::trends::Thresholds;
use vspc_billing::codes::Code;
use vspc_billing::diag::Finding;
use vspc_billing::enums::{OrganizationType, ProductType, ReportStatus, WorkloadType};
use vspc_billing::load::{LoadOptions, SchemaCheck, expand};
use vspc_billing::model::{
    LicenseReportCollection, LicenseReportParameters, OrganizationLicenseUsage,
    OrganizationUsageOfLicensesWithSameSupportId, ProductLicenseUsage, ReportInterval,
    SingleLicenseReport, WorkloadLicenseUsage,
};
use vspc_billing::schedule::Unobserved;

const TREND_CODES: [Code; 7] = [
    Code::UsageSpike,
    Code::UsageDrop,
    Code::TenantAppeared,
    Code::TenantDisappeared,
    Code::WorkloadCountDoubled,
    Code::WeightChanged,
    Code::ReportTotalJump,
];

/// One workload row of a tenant: type, edition, count, weight.
type Row = (&'static str, &'static str, i64, &'static str);

/// A tenant of one month: name (its uid is derived from it) and rows.
#[derive(Clone)]
struct Tenant {
    name: &'static str,
    rows: Vec<Row>,
}

fn tenant(name: &'static str, rows: &[Row]) -> Tenant {
    Tenant {
        name,
        rows: rows.to_vec(),
    }
}

/// `tenants` next to a large tenant that does not change, so that the report's total
/// moves by less than its threshold.
fn among_stable(tenants: Vec<Tenant>) -> Vec<Tenant> {
    let mut v = vec![tenant(
        "Big Stable",
        &[("VBR_VM", "Enterprise", 4000, "5.0")],
    )];
    v.extend(tenants);
    v
}

fn uid(name: &str) -> String {
    let n: u64 = name.bytes().map(u64::from).sum::<u64>() * 7919 + name.len() as u64;
    format!("00000000-0000-4000-8000-{n:012}")
}

fn dec(s: &str) -> Decimal {
    vspc_billing::num::parse_decimal(s).unwrap()
}

/// A consistent, approved report of owner "Acme" for `month` (every total adds up).
fn report((y, m): (i32, u32), tenants: &[Tenant]) -> String {
    let mut details = Vec::new();
    let mut orgs = Vec::new();
    for t in tenants {
        let workloads: Vec<WorkloadLicenseUsage> = t
            .rows
            .iter()
            .map(|&(w, _, count, weight)| WorkloadLicenseUsage {
                workload_type: WorkloadType::parse(w),
                description: None,
                initial_count: count,
                reported_count: count,
                new_count: 0,
                weight: dec(weight),
                used_points: dec(weight) * Decimal::from(count),
                workloads_by_platform: None,
            })
            .collect();
        // One product per edition.
        let mut products: Vec<ProductLicenseUsage> = Vec::new();
        for (row, w) in t.rows.iter().zip(workloads) {
            let edition = row.1;
            match products
                .iter_mut()
                .find(|p| p.license_edition.as_deref() == Some(edition))
            {
                Some(p) => {
                    p.used_points += w.used_points;
                    p.workload_usage.as_mut().unwrap().push(w);
                }
                None => products.push(ProductLicenseUsage {
                    license_id: Some(format!("lic-{edition}")),
                    product_type: Some(ProductType::BackupAndReplication),
                    license_edition: Some(edition.to_owned()),
                    used_points: w.used_points,
                    workload_usage: Some(vec![w]),
                }),
            }
        }
        let used: Decimal = products.iter().map(|p| p.used_points).sum();
        details.push(OrganizationUsageOfLicensesWithSameSupportId {
            organization_name: Some(t.name.to_owned()),
            organization_uid: uid(t.name),
            tenant_uid: None,
            support_id: Some("0100".to_owned()),
            not_collected_client_servers: None,
            cloned_client_servers: None,
            unsupported_client_servers: None,
            usage_by_license_and_product: Some(products),
        });
        orgs.push(OrganizationLicenseUsage {
            organization_type: Some(OrganizationType::Company),
            organization_name: Some(t.name.to_owned()),
            organization_uid: uid(t.name),
            tenant_uid: None,
            used_points: used,
        });
    }
    let last = vspc_billing::date::days_in_month(y, m);
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    let date = |s: String| vspc_billing::date::VspcDate::parse(&s).unwrap();
    let r = SingleLicenseReport {
        report_status: Some(ReportStatus::Approved),
        report_paremeters: None,
        report_parameters: Some(LicenseReportParameters {
            report_id: i64::from(y) * 100 + i64::from(m),
            organization_name: "Acme".to_owned(),
            organization_uid: "aaaaaaaa-0000-4000-8000-000000000001".to_owned(),
            license_company_name: "Acme".to_owned(),
            generation_date: date(format!("{ny:04}-{nm:02}-01")),
            report_interval: ReportInterval {
                start_of_interval: date(format!("{y:04}-{m:02}-01")),
                end_of_interval: date(format!("{y:04}-{m:02}-{last:02}")),
            },
        }),
        report_summary: Some(vspc_billing::corpus::summarize(&details)),
        organizations_usage: Some(orgs),
        not_collected_cloud_servers: None,
        cloned_cloud_servers: None,
        unsupported_cloud_servers: None,
        usage_details: Some(details),
        appendices: None,
    };
    serde_json::to_string_pretty(&LicenseReportCollection {
        meta: None,
        data: vec![r],
        errors: None,
    })
    .unwrap()
}

/// Writes one report per month (from 2026-01) and audits them with `opts`.
fn audit_months(dir: &Path, months: &[Vec<Tenant>], opts: &AuditOptions) -> AuditRun {
    let mut paths: Vec<PathBuf> = Vec::new();
    for (i, tenants) in months.iter().enumerate() {
        let m = u32::try_from(i).unwrap() + 1;
        let p = dir.join(format!("2026-{m:02}.json"));
        std::fs::write(&p, report((2026, m), tenants)).unwrap();
        paths.push(p);
    }
    let inputs = expand(&paths);
    let load = LoadOptions {
        schema_check: SchemaCheck::OnFailure,
        ..LoadOptions::DEFAULT
    };
    run(&inputs, &load, opts, &Unobserved)
}

fn trends(months: &[Vec<Tenant>]) -> Vec<Finding> {
    trends_with(months, &AuditOptions::default())
}

fn trends_with(months: &[Vec<Tenant>], opts: &AuditOptions) -> Vec<Finding> {
    let dir = tempfile::tempdir().unwrap();
    let run = audit_months(dir.path(), months, opts);
    // Each finding is where its pointer says (tenants are found by a scan of the array).
    for f in &run.findings {
        let text = std::fs::read(&f.file).unwrap();
        let at = vspc_billing::locate::locate(&text, &[f.pointer.as_str()])[0].unwrap();
        assert_eq!(
            (f.line, f.column),
            (Some(at.line), Some(at.column)),
            "{f:?}"
        );
    }
    // The reports are consistent: only trend findings may appear.
    for f in &run.findings {
        assert!(
            TREND_CODES.contains(&f.code),
            "unexpected {}: {}",
            f.code,
            f.message
        );
    }
    run.findings
}

fn codes(findings: &[Finding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.code.as_str()).collect()
}

/// Five tenants of a few workload types each, scaled by `percent` (rounded down).
fn stable_month(percent: i64) -> Vec<Tenant> {
    let rows = |vm: i64, agents: i64, edition: &'static str| -> Vec<Row> {
        vec![
            ("VBR_VM", edition, vm * percent / 100, "5.0"),
            ("VBR_Server_Agent", edition, agents * percent / 100, "7.0"),
        ]
    };
    vec![
        tenant("Contoso", &rows(40, 10, "Standard")),
        tenant("Fabrikam", &rows(120, 30, "Enterprise")),
        tenant("Northwind", &rows(60, 20, "Standard")),
        tenant("Tailspin", &rows(200, 50, "EnterprisePlus")),
        tenant("Wingtip", &rows(25, 8, "Standard")),
    ]
}

#[test]
fn stable_tenants_with_a_few_percent_of_drift_give_no_trend_finding() {
    let months = vec![
        stable_month(100),
        stable_month(103),
        stable_month(98),
        stable_month(104),
    ];
    assert_eq!(codes(&trends(&months)), Vec::<&str>::new());
}

#[test]
fn a_spike_beyond_both_thresholds_is_flagged_with_tenant_months_and_values() {
    let jan = among_stable(vec![tenant(
        "Contoso",
        &[("VBR_VM", "Standard", 200, "5.0")],
    )]);
    // 1000 -> 1600 points: +60 %, +600 points.
    let feb = among_stable(vec![tenant(
        "Contoso",
        &[("VBR_VM", "Standard", 320, "5.0")],
    )]);
    let f = trends(&[jan.clone(), feb]);
    assert_eq!(codes(&f), ["usage-spike"]);
    let m = &f[0].message;
    for part in [
        "\"Contoso\"",
        &uid("Contoso"),
        "1600.0",
        "1000.0",
        "2026-02",
        "2026-01",
        "60%",
    ] {
        assert!(m.contains(part), "{part} not in {m}");
    }
    assert!(f[0].file.ends_with("2026-02.json"));
    assert_eq!(f[0].pointer, "/data/0/organizationsUsage/1");
    assert!(f[0].line.is_some(), "located");
    assert!(m.contains("2026-01.json:"), "the earlier place: {m}");

    // +40 %: below the percentage.
    let feb = among_stable(vec![tenant(
        "Contoso",
        &[("VBR_VM", "Standard", 280, "5.0")],
    )]);
    assert!(trends(&[jan, feb]).is_empty());
    // +90 % but 90 points: below the minimum.
    let small = among_stable(vec![tenant(
        "Wingtip",
        &[("VBR_VM", "Standard", 20, "5.0")],
    )]);
    let grown = among_stable(vec![tenant(
        "Wingtip",
        &[("VBR_VM", "Standard", 38, "5.0")],
    )]);
    assert!(trends(&[small, grown]).is_empty());
}

#[test]
fn a_drop_beyond_both_thresholds_is_flagged_and_a_small_one_is_not() {
    let jan = among_stable(vec![tenant(
        "Fabrikam",
        &[("VBR_VM", "Standard", 200, "5.0")],
    )]);
    let feb = among_stable(vec![tenant(
        "Fabrikam",
        &[("VBR_VM", "Standard", 60, "5.0")],
    )]);
    let f = trends(&[jan.clone(), feb]);
    assert_eq!(codes(&f), ["usage-drop"]);
    assert!(
        f[0].message.contains("down 700.0 (70%) from 1000.0"),
        "{}",
        f[0].message
    );
    let feb = among_stable(vec![tenant(
        "Fabrikam",
        &[("VBR_VM", "Standard", 150, "5.0")],
    )]);
    assert!(trends(&[jan, feb]).is_empty());
}

#[test]
fn tenants_appearing_and_disappearing_are_flagged_both_ways() {
    let base = stable_month(100);
    let mut without = base.clone();
    let gone = without.remove(2);
    let f = trends(&[base.clone(), without.clone(), base]);
    assert_eq!(codes(&f), ["tenant-disappeared", "tenant-appeared"]);
    assert!(f[0].message.contains(gone.name) && f[0].message.contains("2026-01"));
    assert!(f[0].file.ends_with("2026-02.json"));
    assert_eq!(f[0].pointer, "/data/0/organizationsUsage");
    assert!(f[1].message.contains(gone.name) && f[1].message.contains("2026-02"));
    assert!(f[1].file.ends_with("2026-03.json"));
    // The same tenants every month: nothing.
    assert!(trends(&[without.clone(), without]).is_empty());
}

#[test]
fn one_workload_type_doubling_while_the_others_stay_is_double_counting() {
    let rows = |vm: i64, agents: i64, ws: i64| -> Vec<Row> {
        vec![
            ("VBR_VM", "Standard", vm, "5.0"),
            ("VBR_Server_Agent", "Standard", agents, "7.0"),
            ("VBR_Workstation_Agent", "Standard", ws, "1.0"),
        ]
    };
    let month = |vm, agents, ws| among_stable(vec![tenant("Tailspin", &rows(vm, agents, ws))]);
    let th = AuditOptions {
        // Only the doubling: the points thresholds out of the way.
        trends: Thresholds {
            change_percent: Decimal::from(1000),
            ..Thresholds::default()
        },
        ..AuditOptions::default()
    };
    let f = trends_with(&[month(30, 40, 10), month(60, 41, 10)], &th);
    assert_eq!(codes(&f), ["workload-count-doubled"]);
    let m = &f[0].message;
    assert!(
        m.contains("has 60 VBR_VM (Standard) in 2026-02 against 30 in 2026-01"),
        "{m}"
    );
    // Not quite 1.9 times.
    assert!(trends_with(&[month(30, 40, 10), month(56, 40, 10)], &th).is_empty());
    // Another type moved too: growth, not double counting.
    assert!(trends_with(&[month(30, 40, 10), month(60, 50, 10)], &th).is_empty());
    // Below the minimum count.
    assert!(trends_with(&[month(4, 40, 10), month(8, 40, 10)], &th).is_empty());
    // A tenant with one type only: a spike, not the signature.
    let one = |vm| among_stable(vec![tenant("Solo", &[("VBR_VM", "Standard", vm, "5.0")])]);
    assert!(trends_with(&[one(30), one(60)], &th).is_empty());
}

#[test]
fn a_weight_that_differs_from_the_previous_month_is_flagged() {
    let month = |w: &'static str| {
        vec![tenant(
            "Contoso",
            &[
                ("VBR_VM", "Standard", 10, w),
                ("VBR_Server_Agent", "Standard", 3, "7.0"),
            ],
        )]
    };
    // The built-in table expects 5 for this row: leave that to weight-unexpected.
    let opts = AuditOptions {
        policy: vspc_billing::audit::Policy::new(&["weight-unexpected"], &[] as &[&str]).unwrap(),
        ..AuditOptions::default()
    };
    let f = trends_with(&[month("5.0"), month("6.0")], &opts);
    assert_eq!(codes(&f), ["weight-changed"]);
    let m = &f[0].message;
    assert!(
        m.contains("VBR_VM (Standard) weighs 6.0 points in 2026-02 but 5.0 in 2026-01"),
        "{m}"
    );
    assert!(f[0].pointer.ends_with("/weight"), "{}", f[0].pointer);
    // 5 and 5.0 are the same weight.
    assert!(trends_with(&[month("5.0"), month("5")], &opts).is_empty());
}

#[test]
fn a_jump_of_the_report_total_is_flagged_beyond_its_threshold() {
    let f = trends(&[stable_month(100), stable_month(130)]);
    assert!(codes(&f).contains(&"report-total-jump"), "{:?}", codes(&f));
    let jump = f.iter().find(|f| f.code == Code::ReportTotalJump).unwrap();
    assert!(jump.pointer.ends_with("/reportSummary/totalPoints"));
    assert!(jump.message.contains("\"Acme\"") && jump.message.contains("2026-01"));
    assert!(
        !codes(&trends(&[stable_month(100), stable_month(115)])).contains(&"report-total-jump")
    );
}

#[test]
fn thresholds_and_policy_change_what_is_reported() {
    let jan = among_stable(vec![tenant(
        "Contoso",
        &[("VBR_VM", "Standard", 200, "5.0")],
    )]);
    let feb = among_stable(vec![tenant(
        "Contoso",
        &[("VBR_VM", "Standard", 280, "5.0")],
    )]);
    let lower = AuditOptions {
        trends: Thresholds {
            change_percent: Decimal::from(30),
            ..Thresholds::default()
        },
        ..AuditOptions::default()
    };
    assert_eq!(
        codes(&trends_with(&[jan.clone(), feb.clone()], &lower)),
        ["usage-spike"]
    );
    let allowed = AuditOptions {
        policy: vspc_billing::audit::Policy::new(&["usage-spike"], &[] as &[&str]).unwrap(),
        ..lower.clone()
    };
    let dir = tempfile::tempdir().unwrap();
    let run = audit_months(dir.path(), &[jan.clone(), feb.clone()], &allowed);
    assert!(run.findings.is_empty());
    assert_eq!(run.summary.allowed, 1);
    let denied = AuditOptions {
        policy: vspc_billing::audit::Policy::new(&[] as &[&str], &["warnings"]).unwrap(),
        ..lower
    };
    let f = trends_with(&[jan, feb], &denied);
    assert_eq!(f[0].severity, vspc_billing::diag::Severity::Error);
}

#[test]
fn the_series_hold_every_month_of_every_tenant_and_their_flags() {
    let mut months = vec![stable_month(100), stable_month(100)];
    months[1].remove(0);
    months[1][0].rows[0].2 *= 3; // Fabrikam's VMs: a spike
    let dir = tempfile::tempdir().unwrap();
    let run = audit_months(dir.path(), &months, &AuditOptions::default());
    let series = run.history.series();
    assert_eq!(series.owners.len(), 1);
    let o = &series.owners[0];
    assert_eq!(o.months, ["2026-01", "2026-02"]);
    assert_eq!(o.name, "Acme");
    assert_eq!(o.tenants.len(), 5);
    let contoso = o.tenants.iter().find(|t| t.name == "Contoso").unwrap();
    assert_eq!(contoso.points, [Some(dec("270.0")), None]);
    assert_eq!(contoso.flags, ["tenant-disappeared"]);
    let fabrikam = o.tenants.iter().find(|t| t.name == "Fabrikam").unwrap();
    assert_eq!(fabrikam.points, [Some(dec("810.0")), Some(dec("2010.0"))]);
    // Its agents stayed: the VMs alone tripled.
    assert_eq!(fabrikam.flags, ["usage-spike", "workload-count-doubled"]);
    let vm = fabrikam
        .workloads
        .iter()
        .find(|w| w.workload == "VBR_VM")
        .unwrap();
    assert_eq!(
        (vm.workload.as_str(), vm.edition.as_str()),
        ("VBR_VM", "Enterprise")
    );
    assert_eq!(vm.counts, [Some(120), Some(360)]);
    let total: Decimal = o.total[1].unwrap();
    assert_eq!(total, o.products[0].points[1].unwrap());
}

// ---------------------------------------------------------------------------------------
// The command line: `report`, and the thresholds from flags and from vspc-billing.toml.

fn bin(dir: &Path) -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("vspc-billing").unwrap();
    c.current_dir(dir);
    c
}

/// Two months in `dir`: Contoso up 40 % (below the default threshold of 50 %).
fn two_months(dir: &Path) {
    let jan = among_stable(vec![tenant(
        "Contoso",
        &[("VBR_VM", "Standard", 200, "5.0")],
    )]);
    let feb = among_stable(vec![tenant(
        "Contoso",
        &[("VBR_VM", "Standard", 280, "5.0")],
    )]);
    std::fs::create_dir_all(dir.join("exports")).unwrap();
    std::fs::write(dir.join("exports/2026-01.json"), report((2026, 1), &jan)).unwrap();
    std::fs::write(dir.join("exports/2026-02.json"), report((2026, 2), &feb)).unwrap();
}

#[test]
fn audit_takes_the_thresholds_from_flags_and_from_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    two_months(dir.path());
    let out = bin(dir.path()).args(["audit", "exports"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("usage-spike"), "{text}");
    let out = bin(dir.path())
        .args(["audit", "exports", "--change-percent", "30"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "a warning");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("warning[usage-spike] \"Contoso\""), "{text}");
    std::fs::write(
        dir.path().join("vspc-billing.toml"),
        "[audit]\nchange_percent = 30\nchange_min_points = \"500\"\n",
    )
    .unwrap();
    // 400 points: below the file's minimum of 500.
    let out = bin(dir.path()).args(["audit", "exports"]).output().unwrap();
    assert!(
        !String::from_utf8(out.stdout)
            .unwrap()
            .contains("usage-spike")
    );
    // The command line wins over the file.
    let out = bin(dir.path())
        .args(["audit", "exports", "--change-min-points", "100"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("usage-spike")
    );
    let out = bin(dir.path())
        .args(["audit", "exports", "--doubling-ratio", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("must be more than 1")
    );
}

#[test]
fn report_writes_one_page_and_the_series_and_never_replaces_without_force() {
    let dir = tempfile::tempdir().unwrap();
    two_months(dir.path());
    let out = bin(dir.path())
        .args([
            "report",
            "exports",
            "--out",
            "r/report.html",
            "--change-percent",
            "30",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = std::fs::read_to_string(dir.path().join("r/report.html")).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("id=\"chart-products-0\"") && page.contains("class=\"spark\""));
    assert!(page.contains("usage-spike"), "the finding is on the page");
    let again = bin(dir.path())
        .args(["report", "exports", "--out", "r/report.html"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8(again.stderr).unwrap().contains("--force"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("r/report.html")).unwrap(),
        page
    );
    let forced = bin(dir.path())
        .args(["report", "exports", "--out", "r/report.html", "--force"])
        .output()
        .unwrap();
    assert_eq!(forced.status.code(), Some(0));
    // An input is never the output.
    let onto = bin(dir.path())
        .args([
            "report",
            "exports",
            "--out",
            "exports/2026-01.json",
            "--force",
        ])
        .output()
        .unwrap();
    assert_eq!(onto.status.code(), Some(2));
    // HTML needs a file; the series go to standard output.
    let no_out = bin(dir.path())
        .args(["report", "exports"])
        .output()
        .unwrap();
    assert_eq!(no_out.status.code(), Some(2));
    let csv = bin(dir.path())
        .args(["report", "exports", "--format", "csv"])
        .output()
        .unwrap();
    let csv = String::from_utf8(csv.stdout).unwrap();
    assert!(
        csv.contains(",2026-02,tenant,") && csv.contains(",1400.0,"),
        "{csv}"
    );
    let json = bin(dir.path())
        .args(["report", "exports", "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        v["owners"][0]["months"],
        serde_json::json!(["2026-01", "2026-02"])
    );
}

#[test]
fn report_shows_the_billing_figures_of_an_invoice_run() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let out = bin(root)
        .args([
            "invoice",
            "samples/reports-api-3.6-approved.json",
            "--rates",
            "samples/rates.toml",
            "--outputs",
            "summary",
            "--out",
        ])
        .arg(dir.path().join("inv"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = dir.path().join("report.html");
    let out = bin(root)
        .args([
            "report",
            "samples/reports-api-3.6-approved.json",
            "--invoices",
        ])
        .arg(dir.path().join("inv"))
        .arg("--out")
        .arg(&page)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = std::fs::read_to_string(page).unwrap();
    // The sample's figures (README): 203.5 points billed of 203.5, revenue 263.87, owed to
    // Veeam 200.00, margin 63.87.
    for cell in [
        "data-v=\"203.5\">203.5<",
        "data-v=\"263.87\">263.87<",
        "data-v=\"200.00\">200.00<",
        "data-v=\"63.87\">63.87<",
    ] {
        assert!(page.contains(cell), "{cell}");
    }
    assert!(!page.contains("class=\"unreconciled\""));
    let missing = bin(root)
        .args([
            "report",
            "samples/reports-api-3.6-approved.json",
            "--format",
            "json",
            "--invoices",
        ])
        .arg(dir.path().join("nowhere"))
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn tenants_are_matched_by_uid_whatever_its_case_and_the_order_of_the_rows() {
    let months = [stable_month(100), stable_month(101)];
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (i, tenants) in months.iter().enumerate() {
        let m = u32::try_from(i).unwrap() + 1;
        let mut v: serde_json::Value = serde_json::from_str(&report((2026, m), tenants)).unwrap();
        if m == 2 {
            // The later month: upper-case uids, organizations and details in other orders.
            let r = &mut v["data"][0];
            r["organizationsUsage"].as_array_mut().unwrap().reverse();
            r["usageDetails"].as_array_mut().unwrap().rotate_left(2);
            for list in ["organizationsUsage", "usageDetails"] {
                for o in r[list].as_array_mut().unwrap() {
                    let up = o["organizationUid"].as_str().unwrap().to_ascii_uppercase();
                    o["organizationUid"] = serde_json::Value::String(up);
                }
            }
        }
        let p = dir.path().join(format!("2026-{m:02}.json"));
        std::fs::write(&p, serde_json::to_string(&v).unwrap()).unwrap();
        paths.push(p);
    }
    let load = LoadOptions {
        schema_check: SchemaCheck::OnFailure,
        ..LoadOptions::DEFAULT
    };
    let run = run(
        &expand(&paths),
        &load,
        &AuditOptions::default(),
        &Unobserved,
    );
    assert_eq!(codes(&run.findings), Vec::<&str>::new());
    let o = &run.history.series().owners[0];
    assert_eq!(o.tenants.len(), 5);
    let tailspin = o.tenants.iter().find(|t| t.name == "Tailspin").unwrap();
    let vm = tailspin
        .workloads
        .iter()
        .find(|w| w.workload == "VBR_VM")
        .unwrap();
    assert_eq!(vm.counts, [Some(200), Some(202)]);
}

/// `report --register FILE`: what the register holds in force per report (points, revenue).
#[test]
fn report_shows_what_the_register_holds_in_force() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let register = dir.path().join("register.sqlite");
    let out = bin(root)
        .args([
            "invoice",
            "samples/reports-api-3.6-approved.json",
            "--rates",
            "samples/rates.toml",
            "--outputs",
            "summary",
            "--register",
        ])
        .arg(&register)
        .arg("--out")
        .arg(dir.path().join("inv"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = dir.path().join("report.html");
    let out = bin(root)
        .args([
            "report",
            "samples/reports-api-3.6-approved.json",
            "--register",
        ])
        .arg(&register)
        .arg("--out")
        .arg(&page)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = std::fs::read_to_string(page).unwrap();
    // 203.5 points and revenue 263.87 (README), from 3 invoices of report 4711.
    for cell in [
        "data-v=\"203.5\">203.5<",
        "data-v=\"263.87\">263.87<",
        "3 invoices in force, report 4711",
    ] {
        assert!(page.contains(cell), "{cell}");
    }
    let both = bin(root)
        .args([
            "report",
            "samples/",
            "--format",
            "json",
            "--invoices",
            "x",
            "--register",
        ])
        .arg(&register)
        .output()
        .unwrap();
    assert_eq!(both.status.code(), Some(2));
}
