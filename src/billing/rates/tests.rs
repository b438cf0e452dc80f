//! Tests of the rate card.

use super::*;
use crate::enums::WorkloadType;
use rust_decimal::Decimal;
use std::str::FromStr;

const MINIMAL: &str = r#"
currency = "EUR"
rounding = "half-up"

[provider]
name = "Acme Cloud Services GmbH"

[default]
per_point = 1.25
"#;

fn errors(text: &str) -> Vec<String> {
    RateCard::parse("r.toml", text)
        .expect_err("the card is refused")
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn minimal_card_has_defaults() {
    let c = RateCard::parse("r.toml", MINIMAL).unwrap();
    assert_eq!(c.decimals(), 2);
    assert_eq!(c.due_days, 30);
    assert_eq!(c.invoice_number, "{period}-{seq:04}");
    assert_eq!(c.default.per_point.0.to_string(), "1.25");
    assert!(c.tax.is_none() && c.cost.is_none());
}

#[test]
fn floats_are_read_from_their_text() {
    let c = RateCard::parse(
        "r.toml",
        &MINIMAL.replace("per_point = 1.25", "per_point = 0.1"),
    )
    .unwrap();
    assert_eq!(c.default.per_point.0, Decimal::from_str("0.1").unwrap());
    let c = RateCard::parse(
        "r.toml",
        &MINIMAL.replace("per_point = 1.25", "per_point = \"0.123456789012345678\""),
    )
    .unwrap();
    assert_eq!(c.default.per_point.0.to_string(), "0.123456789012345678");
    let e = errors(&MINIMAL.replace("per_point = 1.25", "per_point = 0.123456789012345678"));
    assert_eq!(
        e,
        [
            "r.toml:9:13: default.per_point: 0.123456789012345678 has more digits than a TOML float holds exactly; write it as a string: \"0.123456789012345678\""
        ]
    );
    let e = errors(&MINIMAL.replace("per_point = 1.25", "per_point = nan"));
    assert!(e[0].contains("not a finite decimal"), "{e:?}");
    // Integers are exact; beyond 28 digits they are refused, not rounded.
    let e = errors(&MINIMAL.replace(
        "per_point = 1.25",
        "per_point = 170141183460469231731687303715884105727",
    ));
    assert!(e[0].contains("out of range"), "{e:?}");
    let c = RateCard::parse(
        "r.toml",
        &MINIMAL.replace("per_point = 1.25", "per_point = 1_000"),
    )
    .unwrap();
    assert_eq!(c.default.per_point.0, Decimal::from(1000));
}

#[test]
fn unknown_keys_are_refused_with_their_place() {
    let e = errors(&MINIMAL.replace("per_point = 1.25", "per_point = 1.25\nper_unt = 2"));
    assert_eq!(e.len(), 1);
    assert!(
        e[0].starts_with("r.toml:10:1: default.per_unt: unknown field `per_unt`"),
        "{e:?}"
    );
    // A near miss is named, with the key path, at any depth.
    let e = errors(&MINIMAL.replace("per_point = 1.25", "per_piont = 1.25"));
    assert!(
        e[0].starts_with("r.toml:9:1: default.per_piont: unknown field `per_piont`"),
        "{e:?}"
    );
    assert!(e[0].ends_with("did you mean `per_point`?"), "{e:?}");
    let card = format!(
        "{MINIMAL}\n[workloads.VBR_VM]\ngraduated = [{{ up_to = 2, per_unit = 1 }}, {{ per_unti = 2 }}]\n"
    );
    let e = errors(&card);
    assert!(
        e[0].contains(": workloads.VBR_VM.graduated[1].per_unti: unknown field"),
        "{e:?}"
    );
    assert!(e[0].ends_with("did you mean `per_unit`?"), "{e:?}");
}

#[test]
fn syntax_errors_are_located() {
    let e = errors("currency = \"EUR\nrounding = 1");
    assert!(e[0].starts_with("r.toml:1:"), "{e:?}");
}

#[test]
fn negative_prices_and_bad_percentages_are_refused() {
    let e = errors(&MINIMAL.replace("per_point = 1.25", "per_point = -1"));
    assert!(e[0].contains("-1 is negative"), "{e:?}");
    let e = errors(&MINIMAL.replace("per_point = 1.25", "per_point = 1\ndiscount_percent = 101"));
    assert!(e[0].contains("101 is not a percentage"), "{e:?}");
}

#[test]
fn semantic_problems_are_all_reported_and_located() {
    let text = format!(
        "{MINIMAL}
[workloads.vbr_vm]
per_unit = 4

[workloads.VB365_User]
per_unit = 1
package = {{ size = 0, price = 10 }}

[workloads.VAC_Server_Agent]
graduated = [{{ up_to = 10, per_unit = 3 }}, {{ up_to = 10, per_unit = 2 }}, {{ up_to = 99, per_unit = 1 }}]

[workloads.CC_VM_Backup]
free_units = 2
"
    );
    let e = errors(&text);
    assert_eq!(
        e,
        [
            "r.toml:21:12: workloads.CC_VM_Backup: no price: give per_unit, editions, graduated, volume or package",
            "r.toml:19:54: workloads.VAC_Server_Agent.graduated[1].up_to: up_to 10 must be greater than the previous tier's 10",
            "r.toml:19:84: workloads.VAC_Server_Agent.graduated[2].up_to: the last tier must not have up_to, so that every quantity has a price",
            "r.toml:14:12: workloads.VB365_User: one charge model per workload, found per_unit/editions and package",
            "r.toml:16:20: workloads.VB365_User.package.size: a pack holds at least 1 unit",
            "r.toml:11:12: workloads.vbr_vm: unknown workload type vbr_vm; write it as VBR_VM",
        ]
    );
}

#[test]
fn minimum_is_money_at_the_currency_precision() {
    let e = errors(&MINIMAL.replace("per_point = 1.25", "per_point = 1.25\nminimum = 9.999"));
    assert!(
        e[0].contains("9.999 has more decimals than the currency's 2"),
        "{e:?}"
    );
    assert!(
        RateCard::parse(
            "r.toml",
            &MINIMAL.replace("per_point = 1.25", "per_point = 1.25\nminimum = 10.50")
        )
        .is_ok()
    );
}

#[test]
fn tenants_and_editions_match_ignoring_case() {
    let text = format!(
        "{MINIMAL}
[workloads.VBR_VM]
per_unit = 4
editions = {{ Enterprise = 5, enterpriseplus = 6 }}

[tenants.\"ABCDEF01-0000-4000-8000-00000000000A\"]
discount_percent = 10
[tenants.\"ABCDEF01-0000-4000-8000-00000000000A\".workloads.VBR_VM]
per_unit = 3
"
    );
    let c = RateCard::parse("r.toml", &text).unwrap();
    let t = c.tenant("abcdef01-0000-4000-8000-00000000000a").unwrap();
    assert_eq!(t.discount_percent.unwrap().0, Decimal::TEN);
    let vm = WorkloadType::VbrVm;
    assert_eq!(
        c.workload_price(Some(t), &vm).unwrap().per_unit.unwrap().0,
        Decimal::from(3)
    );
    let card_price = c.workload_price(None, &vm).unwrap();
    assert_eq!(
        card_price.edition_price(Some("EnterprisePlus")),
        Some(Decimal::from(6))
    );
    assert_eq!(
        card_price.edition_price(Some("standard")),
        Some(Decimal::from(4))
    );
    assert_eq!(card_price.edition_price(None), Some(Decimal::from(4)));
    assert!(c.workload_price(None, &WorkloadType::VbrCloudVm).is_none());
}

#[test]
fn due_days_are_at_most_a_year() {
    let e = errors(&MINIMAL.replace("rounding", "due_days = 4000000000\nrounding"));
    assert_eq!(
        e,
        ["r.toml:3:12: due_days: 4000000000 days is more than a year: at most 366"]
    );
    let ok = MINIMAL.replace("rounding", "due_days = 366\nrounding");
    assert_eq!(RateCard::parse("r.toml", &ok).unwrap().due_days, 366);
}

#[test]
fn decimal_strings_are_digits_and_one_point() {
    for bad in [".5", "5.", " 5", "-1", "1e3", "+1", ""] {
        let e = errors(&MINIMAL.replace("per_point = 1.25", &format!("per_point = \"{bad}\"")));
        assert!(e[0].contains("is not a decimal number"), "{bad}: {e:?}");
    }
    let e = errors(&MINIMAL.replace(
        "per_point = 1.25",
        "per_point = 1\ndiscount_percent = \"100.5\"",
    ));
    assert!(e[0].contains("100.5 is not a percentage"), "{e:?}");
}

#[test]
fn the_currency_is_an_iso_4217_code_and_gives_the_decimals() {
    let card = |currency: &str, extra: &str| {
        MINIMAL.replace(
            "currency = \"EUR\"",
            &format!("currency = \"{currency}\"{extra}"),
        )
    };
    for (code, decimals) in [("EUR", 2), ("USD", 2), ("JPY", 0), ("BHD", 3), ("CLF", 4)] {
        let c = RateCard::parse("r.toml", &card(code, "")).unwrap();
        assert_eq!(
            (c.decimals(), c.rounding().decimals),
            (decimals, decimals),
            "{code}"
        );
    }
    // An explicit number of decimals wins, up to 4.
    let c = RateCard::parse("r.toml", &card("JPY", "\ndecimals = 2")).unwrap();
    assert_eq!(c.decimals(), 2);
    let e = errors(&card("EUR", "\ndecimals = 5"));
    assert_eq!(
        e,
        ["r.toml:3:12: decimals: at most 4 decimals (no currency has more)"]
    );
    // A minimum in yen has no decimals.
    let e = errors(&card("JPY", "").replace("per_point = 1.25", "per_point = 1\nminimum = 100.5"));
    assert!(
        e[0].contains("100.5 has more decimals than the currency's 0"),
        "{e:?}"
    );
    for (code, message) in [
        (
            "ABC",
            "\"ABC\" is not an ISO 4217 currency code (three capital letters, e.g. EUR, USD, JPY)",
        ),
        (
            "eur",
            "\"eur\" is not an ISO 4217 currency code; did you mean EUR?",
        ),
        (
            "Euro",
            "\"Euro\" is not an ISO 4217 currency code; did you mean EUR?",
        ),
        (
            "EUE",
            "\"EUE\" is not an ISO 4217 currency code; did you mean EUR?",
        ),
        (
            "HRK",
            "HRK (Croatian kuna) is no longer an ISO 4217 currency: it was replaced by EUR; bill in EUR",
        ),
        (
            "XAU",
            "XAU (Gold (one troy ounce)) is an ISO 4217 code, but not of a currency to bill in",
        ),
        (
            "XTS",
            "XTS (Code reserved for testing) is an ISO 4217 code, but not of a currency to bill in",
        ),
    ] {
        assert_eq!(
            errors(&card(code, "")),
            [format!("r.toml:2:12: currency: {message}")],
            "{code}"
        );
    }
}

#[test]
fn a_tenant_key_is_an_organization_uid() {
    let card = |uid: &str| format!("{MINIMAL}\n[tenants.\"{uid}\"]\nminimum = 10\n");
    assert!(RateCard::parse("r.toml", &card("c1a2b3c4-0002-4000-8000-000000000002")).is_ok());
    // One character short, a name instead of the UID, braces, empty: each located at its key.
    for bad in [
        "c1a2b3c4-0002-4000-8000-00000000002",
        "Fabrikam, Inc.",
        "{c1a2b3c4-0002-4000-8000-000000000002}",
        "c1a2b3c4-0002-4000-8000-00000000000g",
        "",
    ] {
        let e = errors(&card(bad));
        assert_eq!(e.len(), 1, "{bad}: {e:?}");
        assert!(
            e[0].starts_with("r.toml:11:10: tenants.")
                && e[0].contains(&format!("\"{bad}\" is not an organization UID")),
            "{bad}: {e:?}"
        );
    }
}

#[test]
fn free_units_that_points_would_drop_are_refused() {
    // Editions without per_unit: another edition is priced by points, where free units
    // were silently dropped.
    let text = format!(
        "{MINIMAL}\n[workloads.CC_VM_Replica]\neditions = {{ EnterprisePlus = 25 }}\nfree_units = 1\n"
    );
    let e = errors(&text);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("r.toml:13:14: workloads.CC_VM_Replica.free_units: an edition not listed in editions is priced by points"),
        "{e:?}"
    );
    // With per_unit every edition has a unit price: accepted.
    let ok = text.replace("free_units = 1", "per_unit = 20\nfree_units = 1");
    assert!(RateCard::parse("r.toml", &ok).is_ok());
}
