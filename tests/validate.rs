//! Loading and validation: snapshots over every sample, the schema drift test, and the
//! agreement between the typed parse and the JSON Schema validator.

use serde_json::json;
use std::path::Path;
use vspc_billing::load::{
    Document, LoadOptions, SchemaCheck, Source, Split, load_bytes, load_source,
};

/// What the typed model read, to show that casing, spellings and decimals came through.
fn digest(doc: &Document) -> serde_json::Value {
    match doc {
        Document::Reports(d) => json!(d.reports.iter().map(|r| {
            let p = r.parameters();
            json!({
                "parametersField": r.parameters_field(),
                "status": r.report_status.as_ref().map(vspc_billing::enums::ReportStatus::as_str),
                "owner": p.map(|p| p.organization_name.as_str()),
                "start": p.map(|p| p.report_interval.start_of_interval.parts.date_string()),
                "end": p.map(|p| p.report_interval.end_of_interval.parts.date_string()),
                "totalPoints": r.report_summary.as_ref().map(|s| s.total_points.to_string()),
                "workloadTypes": r.report_summary.iter().flat_map(|s| &s.products_usage)
                    .flat_map(vspc_billing::model::TotalProductLicenseUsage::workloads).map(|w| format!("{} x{} @{} = {}", w.workload_type, w.reported_count, w.weight, w.used_points))
                    .collect::<Vec<_>>(),
                "organizations": r.organizations().iter().map(|o| format!("{} {} {}",
                    o.organization_type.as_ref().map_or("-", |t| t.as_str()),
                    o.organization_name.as_deref().unwrap_or("-"), o.used_points)).collect::<Vec<_>>(),
                "appendices": r.appendix_list().len(),
            })
        }).collect::<Vec<_>>()),
        Document::SiteUsage(d) => json!(d.sites.iter().map(|s| json!({
            "siteUid": s.site_uid,
            "counters": s.counter_list().iter().map(|c| format!("{} ({}): rental {}/{}, new {}/{}, used {}/{}",
                c.counter_type, c.unit_type.as_ref().map_or("-", |u| u.as_str()),
                c.rental_units, c.rental_count, c.new_units, c.new_count, c.used_units, c.used_count)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>()),
    }
}

fn relative(path: &Path) -> String {
    path.strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(path)
        .display()
        .to_string()
}

#[test]
fn validation_of_every_sample() {
    insta::glob!("../samples", "**/*.json", |path| {
        let loaded = load_source(&Source::File(path.to_path_buf()), &LoadOptions::default());
        let errors: Vec<_> = loaded
            .problems
            .iter()
            .map(|p| {
                json!({
                    "code": p.code,
                    "severity": p.severity,
                    "pointer": p.pointer,
                    "line": p.line,
                    "column": p.column,
                    "message": p.message,
                })
            })
            .collect();
        // Pretty JSON text, as `validate --format json` writes it.
        let report = json!({
            "path": relative(path),
            "kind": loaded.kind.map(vspc_billing::load::Kind::as_str),
            "shape": loaded.shape.map(vspc_billing::load::Shape::as_str),
            "items": loaded.document.as_ref().map(vspc_billing::load::Document::len),
            "valid": loaded.is_valid(),
            "errors": errors,
            "read": loaded.document.as_ref().map(digest),
        });
        insta::assert_snapshot!(serde_json::to_string_pretty(&report).unwrap());
    });
}

#[test]
fn committed_schemas_match_the_generated_ones() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    let mut committed: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    committed.sort();
    let mut generated: Vec<(&str, String)> = vspc_billing::schema::schema_files();
    generated.sort();
    let names: Vec<&str> = generated.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        committed, names,
        "schemas/ holds other files than the generated ones; run `vspc-billing schema --out schemas`"
    );
    for (name, content) in generated {
        let on_disk = std::fs::read_to_string(dir.join(name)).unwrap();
        assert!(
            on_disk == content,
            "schemas/{name} differs from the generated schema; run `cargo run -- schema --out schemas` and commit it"
        );
    }
}

/// In fast mode (`OnFailure`) the schema validator runs only when the typed parse refuses a
/// file; that is sound only if both give the same verdict. Check it on every sample.
#[test]
fn typed_parse_and_schema_agree_on_every_sample() {
    insta::glob!("../samples", "**/*.json", |path| {
        let text = std::fs::read(path).unwrap();
        let name = relative(path);
        let fast = load_bytes(
            &name,
            text.clone(),
            &LoadOptions {
                kind: None,
                schema_check: SchemaCheck::OnFailure,
                split: Split::Never,
                max_input: vspc_billing::load::DEFAULT_MAX_INPUT,
            },
        );
        let full = load_bytes(&name, text, &LoadOptions::default());
        assert_eq!(fast.is_valid(), full.is_valid(), "{name}");
        assert_eq!(fast.document, full.document, "{name}");
        let codes = |f: &vspc_billing::load::LoadedFile| {
            f.problems
                .iter()
                .map(|p| (p.code, p.pointer.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(codes(&fast), codes(&full), "{name}");
    });
}
