//! `audit` and `invoice` run the JSON Schema validator only on files the typed parse
//! refuses (`SchemaCheck::OnFailure`). That is sound only if the typed parse never accepts
//! what the schema refuses. These properties check it on generated reports and on random
//! mutations of them: a changed type, a removed member, an impossible value.

mod common;

use proptest::prelude::*;
use serde_json::Value;
use vspc_billing::corpus::{Spec, collection};
use vspc_billing::load::{LoadOptions, SchemaCheck, Split, load_bytes};

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
