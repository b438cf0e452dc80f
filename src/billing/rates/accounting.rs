//! The card's `[accounting]` section: what the accounting tools' import files need that the
//! invoices do not say (account codes, the tool's names of tax rates, item codes, the date
//! format). Only the presets of `invoice --outputs` (`xero`, `quickbooks`) read it; a preset
//! asked for without the values its mandatory columns need is refused with a located card
//! error before anything is written ([`crate::accounting::check_card`]).

use super::parse::{KeySeg, Problems};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What accounting tools' import files need (`[accounting]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Accounting {
    /// Revenue account code of every line, as the tool shows it (Xero `AccountCode`, e.g.
    /// `200`). Needed by `--outputs xero`.
    #[serde(default)]
    pub account_code: Option<String>,
    /// The tool's name of the tax rate of `[tax] percent` (Xero `TaxType`, e.g.
    /// `20% (VAT on Income)`; QuickBooks `ItemTaxCode`, e.g. `20.0% S`). Needed by both
    /// presets when an invoice has that rate (without `[tax]`: the rate 0).
    #[serde(default)]
    pub tax_type: Option<String>,
    /// The tool's names of the other tax rates (tenants' `tax_percent`), keyed by the
    /// percent: `{ "0" = "Zero Rated EC Services", "7.7" = "..." }`. A rate with no name
    /// here nor in `tax_type` refuses the presets: the tool would apply another rate.
    #[serde(default)]
    pub tax_types: BTreeMap<String, String>,
    /// Item codes (Xero `InventoryItemCode`, QuickBooks `Item(Product/Service)`), keyed
    /// by workload type (`VBR_VM`...) or by `points` (usage billed by points without a
    /// workload type), `minimum`, `discount`, `credit` (a credit note's line). Optional.
    #[serde(default)]
    pub item_codes: BTreeMap<String, String>,
    /// How dates are written: `DD/MM/YYYY` (default; Xero and QuickBooks outside the US)
    /// or `MM/DD/YYYY` (US organisations).
    #[serde(default)]
    pub date_format: DateFormat,
    /// QuickBooks `Terms` of every invoice (`Net 30`), as named in QuickBooks. Optional.
    #[serde(default)]
    pub terms: Option<String>,
}

/// How the presets write dates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum DateFormat {
    /// Day first: `31/10/2026`.
    #[default]
    #[serde(rename = "DD/MM/YYYY")]
    DayFirst,
    /// Month first: `10/31/2026`.
    #[serde(rename = "MM/DD/YYYY")]
    MonthFirst,
}

impl DateFormat {
    /// A `YYYY-MM-DD` date in this format; anything else unchanged.
    #[must_use]
    pub fn format(self, iso: &str) -> String {
        let parts: Vec<&str> = iso.splitn(3, '-').collect();
        match (self, parts.as_slice()) {
            (Self::DayFirst, [y, m, d]) => format!("{d}/{m}/{y}"),
            (Self::MonthFirst, [y, m, d]) => format!("{m}/{d}/{y}"),
            _ => iso.to_owned(),
        }
    }
}

impl Accounting {
    /// The tool's name of the tax rate `percent`: `tax_types`' entry of that percent,
    /// else `tax_type` when `percent` is the card's rate (`card_percent`).
    #[must_use]
    pub fn tax_type_of(&self, percent: Decimal, card_percent: Decimal) -> Option<&str> {
        self.tax_types
            .iter()
            .find(|(k, _)| Decimal::from_str_exact(k).is_ok_and(|p| p == percent))
            .map(|(_, v)| v.as_str())
            .or_else(|| {
                (percent == card_percent)
                    .then_some(self.tax_type.as_deref())
                    .flatten()
            })
    }

    /// The item code of a line: by workload type, else by `key` (`points`, `minimum`,
    /// `discount`, `credit`).
    #[must_use]
    pub fn item_code(&self, key: &str) -> Option<&str> {
        self.item_codes.get(key).map(String::as_str)
    }

    pub(super) fn check_into(&self, p: &mut Problems<'_>) {
        let at = |k: &str| vec![KeySeg::Key("accounting".into()), KeySeg::Key(k.into())];
        let within = |k: &str, sub: &str| {
            let mut path = at(k);
            path.push(KeySeg::Key(sub.into()));
            path
        };
        for (key, value) in [
            ("account_code", &self.account_code),
            ("tax_type", &self.tax_type),
            ("terms", &self.terms),
        ] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                p.push(&at(key), false, "empty: leave the key out instead");
            }
        }
        for (percent, name) in &self.tax_types {
            let valid = Decimal::from_str_exact(percent)
                .is_ok_and(|d| !d.is_sign_negative() && d <= Decimal::ONE_HUNDRED);
            if !valid {
                p.push(
                    &within("tax_types", percent),
                    true,
                    format!("\"{percent}\" is not a percent from 0 to 100 (write it as `\"19\"` or `\"7.7\"`)"),
                );
            } else if name.trim().is_empty() {
                p.push(
                    &within("tax_types", percent),
                    false,
                    "an empty tax rate name",
                );
            }
        }
        for (key, code) in &self.item_codes {
            if code.trim().is_empty() {
                p.push(&within("item_codes", key), false, "an empty item code");
            }
        }
    }
}
