//! The rate card: what the provider charges its tenants and pays Veeam, in TOML.
//!
//! A rate card is read in three steps, and every problem is reported with its line and
//! column:
//! 1. the TOML is parsed, keeping the text of every number;
//! 2. the text is read into [`RateCard`]; unknown keys are refused (a typo such as
//!    `per_unt` would otherwise silently leave a price out);
//! 3. [`RateCard::check`] verifies what types cannot say (one charge model per workload,
//!    increasing tiers, a usable invoice number pattern, known workload types...).
//!
//! Prices are exact decimals. A TOML float (`per_unit = 4.5`) is read from its text: the
//! tool checks that the text and the number agree exactly and refuses a price written with
//! more digits than a TOML float can hold (write it as a string, `"0.123456789012345678"`).
//!
//! The JSON Schema `schemas/rate-card.schema.json` is generated from these types
//! ([`crate::schema::schema_files`]); editors that read `#:schema` comments (Taplo, Even
//! Better TOML) use it to complete and check the file as it is typed.
//!
//! The files: `card.rs` (the card's types and what they give), `accounting.rs` (the
//! `[accounting]` section the import presets read), `amount.rs` (exact prices
//! and percentages as written), `currency.rs` (ISO 4217), `parse.rs` (reading the TOML,
//! located errors), `check.rs` (what types cannot say), `countries.rs` (ISO 3166-1 codes).

mod accounting;
mod amount;
mod card;
mod check;
mod countries;
mod currency;
mod parse;

pub use accounting::{Accounting, DateFormat};
pub use amount::{Amount, Percent};
pub use card::{
    Allocate, Contact, Cost, Defaults, ElectronicAddress, MAX_DUE_DAYS, MinimumApplies, Model,
    Package, Paper, Party, Payment, PaymentMeans, PostalAddress, REVERSE_CHARGE_NOTE, RateCard,
    Tax, TaxCategory, TaxTerms, TenantTerms, Tier, WorkloadPrice,
};
pub use currency::currency_decimals;
pub use parse::CardError;

/// The English short name of an ISO 3166-1 alpha-2 code (upper case), when it is one.
#[must_use]
pub fn country_name(code: &str) -> Option<&'static str> {
    countries::COUNTRIES
        .binary_search_by(|(c, _)| (*c).cmp(code))
        .ok()
        .map(|i| countries::COUNTRIES[i].1)
}

#[cfg(test)]
mod tests;
