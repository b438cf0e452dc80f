//! `audit` and `invoice` run the JSON Schema validator only on files the typed parse
//! refuses (`SchemaCheck::OnFailure`). That is sound only if the typed parse never accepts
//! what the schema refuses. These properties check it on generated reports and on random
//! mutations of them: a changed type, a removed member, an impossible value, arrays and
//! objects nested up to 300 deep anywhere, numbers a decimal or an `f64` cannot hold.

mod common;

use proptest::prelude::*;
use serde_json::Value;
use vspc_billing::corpus::{Spec, collection};
use vspc_billing::diag::Finding;
use vspc_billing::load::{LoadOptions, LoadedFile, SchemaCheck, Split, load_bytes};
use vspc_billing::strict::MAX_DEPTH;

fn verdicts(bytes: &[u8]) -> (bool, bool) {
    let fast = load_bytes(
        "m.json",
        bytes.to_vec(),
        &LoadOptions {
            kind: None,
            schema_check: SchemaCheck::OnFailure,
            split: Split::Never,
            max_input: vspc_billing::load::DEFAULT_MAX_INPUT,
        },
    );
    let full = load_bytes("m.json", bytes.to_vec(), &LoadOptions::default());
    (fast.is_valid(), full.is_valid())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn generated_reports_are_valid_both_ways(seed in 0u64..1000, tenants in 1usize..15, products in 1usize..5, rows in 1usize..5) {
        let spec = Spec { seed, tenants, products, rows, ..Spec::default() };
        let bytes = serde_json::to_vec(&collection(&spec, 0, 0).0).unwrap();
        prop_assert_eq!(verdicts(&bytes), (true, true));
    }

    #[test]
    fn typed_parse_and_schema_agree_on_mutations(seed in 0u64..1000, pick in any::<prop::sample::Index>(), choice in any::<u8>()) {
        let spec = Spec { seed, tenants: 3, products: 4, rows: 2, ..Spec::default() };
        let bytes = serde_json::to_vec(&collection(&spec, 0, 0).0).unwrap();
        let mut doc: Value = serde_json::from_slice(&bytes).unwrap();
        let Some(target) = common::mutate(&mut doc, pick, common::replacement(choice, 12)) else { return Ok(()); };
        let mutated = serde_json::to_vec(&doc).unwrap();
        let (fast, full) = verdicts(&mutated);
        prop_assert_eq!(fast, full, "mutation at {} ({})", target, choice % 12);
    }
}

fn load(bytes: &[u8], schema_check: SchemaCheck, split: Split) -> LoadedFile {
    load_bytes(
        "m.json",
        bytes.to_vec(),
        &LoadOptions {
            kind: None,
            schema_check,
            split,
            ..LoadOptions::DEFAULT
        },
    )
}

/// The problems of `bytes` in both modes, and with its arrays split: the same, or a failure
/// naming the mode that differs.
fn same_in_every_mode(bytes: &[u8]) -> Result<Vec<Finding>, TestCaseError> {
    let fast = load(bytes, SchemaCheck::OnFailure, Split::Never);
    let full = load(bytes, SchemaCheck::Always, Split::Never);
    let split = load(bytes, SchemaCheck::OnFailure, Split::Fine(1));
    prop_assert_eq!(
        fast.is_valid(),
        full.is_valid(),
        "verdicts: {:?}",
        full.problems
    );
    prop_assert_eq!(&fast.problems, &full.problems);
    prop_assert_eq!(fast.is_valid(), split.is_valid());
    prop_assert_eq!(&fast.problems, &split.problems);
    prop_assert!(fast.document == split.document);
    Ok(fast.problems)
}

fn small_report(seed: u64) -> Value {
    let spec = Spec {
        seed,
        tenants: 3,
        products: 2,
        rows: 2,
        ..Spec::default()
    };
    serde_json::to_value(collection(&spec, 0, 0).0).unwrap()
}

/// Every object of `v` with its pointer and depth (the arrays and objects around a member put
/// in it, the object included).
fn objects(v: &Value, at: &str, depth: usize, out: &mut Vec<(String, usize)>) {
    match v {
        Value::Object(m) => {
            out.push((at.to_owned(), depth + 1));
            for (k, c) in m {
                objects(
                    c,
                    &format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    depth + 1,
                    out,
                );
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                objects(c, &format!("{at}/{i}"), depth + 1, out);
            }
        }
        _ => {}
    }
}

/// `doc` with a member `zzUnknown` (which the model ignores) added to the object at `at`,
/// holding `levels` arrays and objects nested around `leaf`.
fn with_unknown_member(doc: &Value, at: &str, levels: usize, style: u64, leaf: &str) -> Vec<u8> {
    let mut doc = doc.clone();
    doc.pointer_mut(at)
        .unwrap()
        .as_object_mut()
        .unwrap()
        .insert("zzUnknown".into(), Value::from("@@nested@@"));
    serde_json::to_string(&doc)
        .unwrap()
        .replace("\"@@nested@@\"", &common::nested(levels, style, leaf))
        .into_bytes()
}

/// Checks the verdict on a member nested `levels` deep in the object at `at` (of `depth`):
/// valid up to [`MAX_DEPTH`] in all, else refused at the first array or object too deep,
/// with the same finding in every mode.
fn check_nesting(
    doc: &Value,
    at: &str,
    depth: usize,
    levels: usize,
    style: u64,
    leaf: &str,
) -> Result<(), TestCaseError> {
    let bytes = with_unknown_member(doc, at, levels, style, leaf);
    let problems = same_in_every_mode(&bytes)?;
    if depth + levels <= MAX_DEPTH {
        prop_assert!(
            problems.is_empty(),
            "{} deep at {}: {:?}",
            depth + levels,
            at,
            problems
        );
    } else {
        prop_assert_eq!(problems.len(), 1, "{:?}", problems);
        let p = &problems[0];
        prop_assert_eq!(p.code, "invalid-json");
        prop_assert!(
            p.message.starts_with("nested deeper than 127 levels"),
            "{}",
            p.message
        );
        // The pointer names the first array or object beyond the limit.
        let prefix = format!("{at}/zzUnknown");
        prop_assert!(p.pointer.starts_with(&prefix), "{}", p.pointer);
        let tokens = p.pointer.split('/').count() - 1;
        prop_assert_eq!(tokens, MAX_DEPTH);
        let text = std::str::from_utf8(&bytes).unwrap();
        let line: &str = text.lines().nth(p.line.unwrap() - 1).unwrap();
        let at_char = line.chars().nth(p.column.unwrap() - 1);
        prop_assert!(matches!(at_char, Some('[' | '{')), "{:?}", at_char);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// An unknown member nested 1 to 300 deep, anywhere: both modes (and a split parse)
    /// give the same verdict, valid exactly up to 127 levels in all.
    #[test]
    fn both_modes_agree_on_deep_nesting(seed in 0u64..1000, pick in any::<prop::sample::Index>(), levels in 1usize..300, style in any::<u64>(), leaf in 0usize..4) {
        let doc = small_report(seed);
        let mut places = Vec::new();
        objects(&doc, "", 0, &mut places);
        let (at, depth) = &places[pick.index(places.len())];
        check_nesting(&doc, at, *depth, levels, style, ["1", "\"x\"", "1e400", "null"][leaf])?;
    }

    /// Any value (a known member too) replaced by arrays and objects nested 100 to 300 deep:
    /// the same problems in both modes, a depth problem when too deep.
    #[test]
    fn both_modes_agree_on_deep_values(seed in 0u64..1000, pick in any::<prop::sample::Index>(), levels in 100usize..300, style in any::<u64>()) {
        let mut doc = small_report(seed);
        let Some(target) = common::mutate(&mut doc, pick, Some(Value::from("@@nested@@"))) else { return Ok(()); };
        let bytes = serde_json::to_string(&doc)
            .unwrap()
            .replace("\"@@nested@@\"", &common::nested(levels, style, "0.5"))
            .into_bytes();
        let problems = same_in_every_mode(&bytes)?;
        let depth = target.split('/').count() - 1;
        // (A report replaced is not told for one: the kind is told before the parse.)
        if depth + levels > MAX_DEPTH && problems[0].code != "unknown-document" {
            prop_assert_eq!(problems.len(), 1, "{:?}", problems);
            prop_assert!(problems[0].message.starts_with("nested deeper than"), "{:?}", problems);
        }
    }
}

/// At the edge, at several places: the root, a report, paging, a usage detail's workload.
#[test]
fn nesting_is_refused_beyond_127_levels_in_both_modes() {
    let doc = small_report(7);
    let mut places = Vec::new();
    objects(&doc, "", 0, &mut places);
    let deepest = places.iter().max_by_key(|(_, d)| *d).unwrap().clone();
    assert!(deepest.1 >= 7, "{deepest:?}");
    let chosen = [
        (String::new(), 1),
        ("/data/0".to_owned(), 3),
        ("/meta/pagingInfo".to_owned(), 3),
        deepest,
    ];
    for (at, depth) in &chosen {
        assert!(places.contains(&(at.clone(), *depth)), "{at}");
        for levels in [MAX_DEPTH - depth, MAX_DEPTH - depth + 1, 300, 100_000] {
            check_nesting(&doc, at, *depth, levels, 0x5555, "1").unwrap();
            check_nesting(&doc, at, *depth, levels, 0, "\"x\"").unwrap();
        }
    }
}

/// A report whose first organization's `usedPoints` is written `number`.
fn with_used_points(number: &str) -> Vec<u8> {
    let mut doc = small_report(3);
    doc["data"][0]["organizationsUsage"][0]["usedPoints"] = Value::from("@@n@@");
    serde_json::to_string(&doc)
        .unwrap()
        .replace("\"@@n@@\"", number)
        .into_bytes()
}

/// `1e400` is valid JSON, a number the schema accepts, that no decimal holds: a
/// `type-error` in both modes (it was `invalid-json` in the full mode). In a member the model
/// ignores, it is no problem in either mode.
#[test]
fn numbers_beyond_f64_are_type_errors_in_both_modes() {
    for number in ["1e400", "-1e400", "1E+400", "123e99999999999999999999"] {
        let problems = same_in_every_mode(&with_used_points(number)).unwrap();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].code, "type-error", "{problems:?}");
        assert_eq!(
            problems[0].pointer,
            "/data/0/organizationsUsage/0/usedPoints"
        );
        assert!(
            problems[0]
                .message
                .contains(&format!("number {number} cannot be held exactly")),
            "{}",
            problems[0].message
        );
    }
    let doc = small_report(3);
    for leaf in ["1e400", "-1e400", "[1e400, {\"a\": 1e999}]"] {
        let bytes = with_unknown_member(&doc, "/data/0", 1, 0, leaf);
        assert!(same_in_every_mode(&bytes).unwrap().is_empty(), "{leaf}");
    }
}

/// Only significant digits count: trailing zeros beyond 28 places are accepted, a number
/// that needs more digits is a `type-error` (an exponent did not round it either).
#[test]
fn trailing_zeros_count_for_nothing_significant_digits_do() {
    for (number, value) in [
        ("5.000000000000000000000000000000000000", "5"),
        ("5.000000000000000000000000000000000000e0", "5"),
        ("0.50000000000000000000000000000000000e1", "5"),
        ("500000000000000000000000000000000000e-35", "5"),
    ] {
        let bytes = with_used_points(number);
        assert!(same_in_every_mode(&bytes).unwrap().is_empty(), "{number}");
        let f = load(&bytes, SchemaCheck::OnFailure, Split::Never);
        let Some(vspc_billing::load::Document::Reports(d)) = &f.document else {
            panic!()
        };
        assert_eq!(
            d.reports[0].organizations()[0].used_points,
            value.parse().unwrap(),
            "{number}"
        );
    }
    for number in [
        "1.00000000000000000000000000001",
        "1.00000000000000000000000000001e0",
        "0.00000000000000000000000000001",
        "79228162514264337593543950336",
    ] {
        let problems = same_in_every_mode(&with_used_points(number)).unwrap();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].code, "type-error", "{number}: {problems:?}");
    }
}

/// Schema messages quote numbers as the file writes them, not as an `f64` prints them.
#[test]
fn schema_messages_quote_numbers_as_written() {
    let mut doc = small_report(3);
    let row = "/data/0/reportSummary/productsUsage/0/workloadUsage/0";
    let w = doc.pointer_mut(row).unwrap();
    w["reportedCount"] = Value::from("@@a@@");
    w["newCount"] = Value::from("@@b@@");
    w["weight"] = Value::from("@@c@@");
    let text = serde_json::to_string(&doc)
        .unwrap()
        .replace("\"@@a@@\"", "3.33333333333333333333")
        .replace("\"@@b@@\"", "0.0000000000000000000000000001")
        .replace("\"@@c@@\"", "{\"v\": [1.10, 1e400]}");
    let problems = same_in_every_mode(text.as_bytes()).unwrap();
    let messages: Vec<(&str, &str)> = problems
        .iter()
        .map(|p| (p.pointer.strip_prefix(row).unwrap(), p.message.as_str()))
        .collect();
    assert_eq!(
        messages,
        [
            (
                "/newCount",
                "0.0000000000000000000000000001 is not of type \"integer\""
            ),
            (
                "/reportedCount",
                "3.33333333333333333333 is not of type \"integer\""
            ),
            ("/weight", "{\"v\":[1.10,1e400]} is not of type \"number\""),
        ]
    );
}

/// `serde_json` skips a member without decoding its strings, but the validator's parser
/// refuses a lone UTF-16 surrogate escape: refused in both modes, in a member the model
/// ignores too, at its place.
#[test]
fn lone_surrogates_are_refused_in_both_modes() {
    let doc = small_report(3);
    for leaf in [
        r#""\ud800""#,
        r#""a\udc00b""#,
        r#"{"\ud800": 1}"#,
        r#"["\ud83d\ud83d"]"#,
    ] {
        let bytes = with_unknown_member(&doc, "/data/0", 1, 0, leaf);
        let problems = same_in_every_mode(&bytes).unwrap();
        assert_eq!(problems.len(), 1, "{leaf}: {problems:?}");
        assert_eq!(problems[0].code, "invalid-json");
        assert!(
            problems[0]
                .message
                .contains("surrogates) must come in pairs"),
            "{}",
            problems[0].message
        );
    }
    // A pair, an escaped backslash: no problem.
    for leaf in [r#""\ud83d\ude00""#, r#""\\ud800""#] {
        let bytes = with_unknown_member(&doc, "/data/0", 1, 0, leaf);
        assert!(same_in_every_mode(&bytes).unwrap().is_empty(), "{leaf}");
    }
}
