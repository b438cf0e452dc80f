//! A large file is parsed and audited on several threads ([`Split`]); the result must be
//! the one of a single thread, byte for byte: the same document, the same problems (with
//! their messages, pointers, lines and columns), the same findings.

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
        Split::Fine(36),
        Split::Always,
    ] {
        let before = arrays_split_on_this_thread();
        let f = load(&bytes, split, SchemaCheck::OnFailure);
        same_load(&plain, &f).unwrap();
        let split_arrays = arrays_split_on_this_thread() - before;
        match split {
            // usageDetails and organizationsUsage of the owner (36) and of the appendix (4).
            Split::Fine(1 | 3) => assert_eq!(split_arrays, 4, "{split:?}"),
            Split::Fine(_) => assert_eq!(split_arrays, 2, "{split:?}"),
            _ => assert_eq!(split_arrays, 0, "{split:?}: below the threshold"),
        }
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

fn pointers(v: &Value, at: &str, out: &mut Vec<String>) {
    out.push(at.to_owned());
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                pointers(
                    c,
                    &format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                pointers(c, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn replacement(choice: u8) -> Option<Value> {
    let text = match choice % 14 {
        0 => "\"text\"",
        1 => "1.5",
        2 => "null",
        3 => "true",
        4 => "-3",
        5 => "\"2020-02-31\"",
        6 => "123456789012345678901234567890",
        7 => "{}",
        8 => "[]",
        9 => "\"vbR_Unknown_Type\"",
        10 => "2.0",
        11 => {
            return Some(
                serde_json::from_str(&format!("{}{}", "[".repeat(120), "]".repeat(120))).unwrap(),
            );
        }
        12 => "-0.0",
        _ => return None, // remove the member
    };
    Some(serde_json::from_str(text).unwrap())
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
        let mut all = Vec::new();
        pointers(&doc, "", &mut all);
        let target = all[pick.index(all.len())].clone();
        let Some((parent, last)) = target.rsplit_once('/') else { return Ok(()); };
        match replacement(choice) {
            Some(v) => *doc.pointer_mut(&target).unwrap() = v,
            None => match doc.pointer_mut(parent).unwrap() {
                Value::Object(m) => { m.remove(&last.replace("~1", "/").replace("~0", "~")); }
                Value::Array(a) => { a.remove(last.parse::<usize>().unwrap()); }
                _ => unreachable!(),
            },
        }
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
