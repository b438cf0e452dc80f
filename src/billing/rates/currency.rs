//! The currencies a card can bill in (ISO 4217) and their minor units.

use iso_currency::Currency;
use schemars::{Schema, SchemaGenerator, json_schema};
use std::sync::OnceLock;

/// The ISO 4217 currencies a card can bill in, from the table of the `iso_currency` crate
/// (ISO 4217 as published, via Wikipedia's list): every current code of a currency with
/// minor units. Superseded codes (HRK, now EUR) and the codes of no currency (XAU gold,
/// XDR, XTS for testing) are left out. In the order of their codes.
pub(super) fn billing_currencies() -> &'static [Currency] {
    static CELL: OnceLock<Vec<Currency>> = OnceLock::new();
    CELL.get_or_init(|| {
        // The crate has no list of its codes without an extra dependency: try every
        // three-letter code (17,576 look-ups, once).
        let letters = b'A'..=b'Z';
        letters
            .clone()
            .flat_map(|a| letters.clone().map(move |b| [a, b]))
            .flat_map(|ab| letters.clone().map(move |c| [ab[0], ab[1], c]))
            .filter_map(|code| Currency::from_code(std::str::from_utf8(&code).ok()?))
            .filter(|c| billable(*c))
            .collect()
    })
}

fn billable(c: Currency) -> bool {
    c.exponent().is_some() && !c.is_special() && c.is_superseded().is_none()
}

/// The currency of `code` and its minor unit (decimals), when a card can bill in it.
///
/// # Errors
/// Why not: not an ISO 4217 code (with the code probably meant, when one is near),
/// superseded, or not a currency.
pub fn currency_decimals(code: &str) -> Result<u32, String> {
    if let Some(c) = Currency::from_code(code) {
        if let Some(new) = c.is_superseded() {
            return Err(format!(
                "{code} ({}) is no longer an ISO 4217 currency: it was replaced by {}; bill in {}",
                c.name(),
                new.code(),
                new.code()
            ));
        }
        if let Some(e) = c.exponent().filter(|_| billable(c)) {
            return Ok(u32::from(e));
        }
        return Err(format!(
            "{code} ({}) is an ISO 4217 code, but not of a currency to bill in",
            c.name()
        ));
    }
    let all = billing_currencies();
    let upper = code.trim().to_ascii_uppercase();
    let near: Vec<&str> = if let Some(c) = all.iter().find(|c| c.code() == upper) {
        vec![c.code()]
    } else if let Some(c) = all
        .iter()
        .find(|c| c.name().eq_ignore_ascii_case(code.trim()))
    {
        vec![c.code()]
    } else {
        // One letter off (EUE for EUR), at most three.
        all.iter()
            .map(iso_currency::Currency::code)
            .filter(|k| {
                upper.len() == 3
                    && k.bytes().zip(upper.bytes()).filter(|(a, b)| a != b).count() == 1
            })
            .take(3)
            .collect()
    };
    let hint = if near.is_empty() {
        " (three capital letters, e.g. EUR, USD, JPY)".to_owned()
    } else {
        format!("; did you mean {}?", near.join(" or "))
    };
    Err(format!("\"{code}\" is not an ISO 4217 currency code{hint}"))
}

pub(super) fn currency_schema(_: &mut SchemaGenerator) -> Schema {
    let codes: Vec<&str> = billing_currencies()
        .iter()
        .map(iso_currency::Currency::code)
        .collect();
    json_schema!({
        "type": "string",
        "enum": codes,
    })
}
