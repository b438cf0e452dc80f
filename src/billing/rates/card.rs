//! The rate card's types, as written in TOML, and what they give (prices, terms, rounding).

use super::amount::{Amount, Percent};
use super::currency::{currency_decimals, currency_schema};
use crate::billing::money::{Rounding, RoundingMode};
use crate::billing::numbering::{DEFAULT_INVOICE_NUMBER, MAX_NUMBER_PATTERN};
use crate::enums::WorkloadType;
use rust_decimal::Decimal;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The longest due period, in days.
pub const MAX_DUE_DAYS: u32 = 366;

/// The most decimals of a currency.
pub(super) const MAX_DECIMALS: u32 = 4;

/// A rate card, as written in its TOML file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "vspc-billing rate card",
    description = "What a provider charges its tenants for the workloads in VSPC license usage reports, and what it pays Veeam. TOML; read by `vspc-billing invoice --rates FILE`."
)]
pub struct RateCard {
    /// ISO 4217 currency code of every price and amount, e.g. `EUR`: a current code of a
    /// currency (not a superseded one, nor gold, SDR or the testing code).
    #[schemars(schema_with = "currency_schema")]
    pub currency: String,
    /// Decimals of every line amount, discount and tax: each is rounded to this many
    /// places. Default: the currency's minor unit in ISO 4217 (2 for EUR and USD, 0 for
    /// JPY, 3 for BHD); at most 4.
    #[serde(default)]
    #[schemars(range(max = MAX_DECIMALS))]
    pub decimals: Option<u32>,
    /// How halves are rounded: `half-up` (0.005 → 0.01) or `half-even` (0.005 → 0.00).
    pub rounding: RoundingMode,
    /// Days from the issue date to the due date, at most a year.
    #[serde(default = "default_due_days")]
    #[schemars(range(max = MAX_DUE_DAYS))]
    pub due_days: u32,
    /// Invoice number pattern. Placeholders: `{period}` (`2026-10`), `{year}`, `{month}`
    /// (with `{year}`), and `{seq}` or `{seq:0N}` (the invoice's number in its series,
    /// zero-padded to N digits), once. The series is the pattern without `{seq}`: with
    /// `{period}` a series per month, with `{year}` only a series per year, with neither
    /// one continuous series (`INV-{seq:05}`). Other characters: letters, digits, `-`,
    /// `_`, `.`; at most 64 characters.
    #[serde(default = "default_invoice_number")]
    #[schemars(length(max = MAX_NUMBER_PATTERN))]
    pub invoice_number: String,
    /// First `{seq}` of every new series (to continue a series started elsewhere: the
    /// last number issued there plus one). With a register, a series goes on from the
    /// highest number it holds.
    #[serde(default = "default_invoice_start")]
    #[schemars(range(min = 1, max = MAX_INVOICE_START))]
    pub invoice_start: u64,
    /// The register of issued invoices (SQLite), relative to this card's folder; used by
    /// `invoice` when `--register` is not given. See `vspc-billing invoice --help`.
    #[serde(default)]
    pub register: Option<String>,
    /// The provider: who sends the invoices.
    pub provider: Party,
    /// Sales tax, VAT or GST added to every invoice (a tenant may override the percent).
    #[serde(default)]
    pub tax: Option<Tax>,
    /// Prices for anything without a unit price, and the default discount and minimum.
    pub default: Defaults,
    /// Prices per workload type, keyed by the type's spec spelling (`VBR_VM`,
    /// `VB365_User`, `CC_VM_Replica`...).
    #[serde(default)]
    #[schemars(schema_with = "workloads_schema")]
    pub workloads: BTreeMap<String, WorkloadPrice>,
    /// Terms of single tenants, keyed by the organization UID of the reports (a UUID,
    /// matched ignoring case). A UID that matches no organization of the reports stops
    /// the `invoice` run (`unknown-tenant`) unless allowed.
    #[serde(default)]
    #[schemars(schema_with = "tenants_schema")]
    pub tenants: BTreeMap<String, TenantTerms>,
    /// What the provider pays Veeam for the points of a report.
    #[serde(default)]
    pub cost: Option<Cost>,
    /// Refuse to invoice a tenant without a billing address (`address` in its
    /// `[tenants."UID"]`): the tenant is refused with `buyer-address-missing` and the run
    /// exits 1. Default: false (an invoice without an address is issued).
    #[serde(default)]
    pub require_buyer_address: bool,
    /// Paper size of the PDF invoices (`--outputs pdf`): `a4` (210 × 297 mm, the default)
    /// or `letter` (8.5 × 11 in).
    #[serde(default)]
    pub paper: Paper,
}

/// The paper size of PDF invoices.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Paper {
    /// ISO A4, 210 × 297 mm.
    #[default]
    A4,
    /// US Letter, 8.5 × 11 in.
    Letter,
}

impl Paper {
    /// The spelling of the rate card (typst calls letter `us-letter`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::A4 => "a4",
            Self::Letter => "letter",
        }
    }
}

const fn default_due_days() -> u32 {
    30
}
const fn default_invoice_start() -> u64 {
    1
}

/// Highest `invoice_start`.
pub(super) const MAX_INVOICE_START: u64 = 999_999_999_999;

fn default_invoice_number() -> String {
    DEFAULT_INVOICE_NUMBER.to_owned()
}

/// A name and postal address: the provider, or a tenant's billing details.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Party {
    /// Legal name, as printed on the invoice.
    pub name: String,
    /// Postal address, one entry per line.
    #[serde(default)]
    pub address: Vec<String>,
    /// E-mail address for invoices.
    #[serde(default)]
    pub email: Option<String>,
    /// VAT or tax registration number.
    #[serde(default)]
    pub tax_id: Option<String>,
    /// Payment instructions printed under the totals (bank account, reference to quote).
    #[serde(default)]
    pub payment_instructions: Option<String>,
}

/// A tax added to the invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tax {
    /// Name printed on the invoice (`VAT`, `GST`, `Sales tax`).
    pub name: String,
    /// Rate in percent of the amount after discount.
    pub percent: Percent,
    /// How halves of the tax are rounded (`half-up` or `half-even`), at the card's decimals.
    /// Default: the card's `rounding`.
    #[serde(default)]
    pub rounding: Option<RoundingMode>,
}

/// Defaults for every tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// Price of one license point, for every workload without a unit price on this card
    /// and for tenants whose report has no usage details.
    pub per_point: Amount,
    /// Discount in percent of the subtotal.
    #[serde(default)]
    pub discount_percent: Option<Percent>,
    /// Monthly minimum: an invoice whose subtotal is below it gets a top-up line.
    #[serde(default)]
    pub minimum: Option<Amount>,
    /// When the minimum applies: `before-discount` (default: the minimum tops up the
    /// subtotal, then the discount comes off it) or `after-discount` (the discount comes
    /// off the lines, then the minimum tops up what is left).
    #[serde(default)]
    pub minimum_applies: MinimumApplies,
    /// Charge workloads activated this month (`newCount`) with the others. Default: false,
    /// as VSPC counts them from the next month: the charged quantity is `reportedCount`,
    /// and the invoice says how many new workloads it leaves out.
    #[serde(default)]
    pub charge_new: bool,
}

/// When the monthly minimum applies, relative to the discount.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum MinimumApplies {
    /// The minimum tops up the subtotal; the discount is then taken off the subtotal.
    #[default]
    BeforeDiscount,
    /// The discount is taken off the lines; the minimum then tops up the amount after
    /// discount (the discount is not taken off the top-up).
    AfterDiscount,
}

/// How the cost owed to Veeam is shown per tenant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Allocate {
    /// Each organization carries its points × `per_point`; what the commitment and the
    /// round-up add stays unallocated, on a line of its own.
    #[default]
    None,
    /// The commitment and round-up are spread over the organizations by points (whole
    /// cents, the remainder by largest remainder, then points, then UID), so that the
    /// shares add up to the cost owed to Veeam.
    ProRata,
}

/// The price of one workload type. Exactly one charge model: `per_unit` and/or
/// `editions`, or `graduated`, or `volume`, or `package`. `free_units` come off the
/// quantity first; the model prices the rest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkloadPrice {
    /// Description on the invoice line (default: the report's description of the workload).
    #[serde(default)]
    pub label: Option<String>,
    /// Name of one unit on the invoice (`VM`, `user`, `agent`).
    #[serde(default)]
    pub unit: Option<String>,
    /// Price of one unit.
    #[serde(default)]
    pub per_unit: Option<Amount>,
    /// Price of one unit per license edition (`Standard`, `Enterprise`, `EnterprisePlus`,
    /// matched case-insensitively); an edition not listed uses `per_unit`, and without
    /// `per_unit` is priced by points.
    #[serde(default)]
    pub editions: BTreeMap<String, Amount>,
    /// Units included free of charge each month.
    #[serde(default)]
    pub free_units: u64,
    /// Graduated tiers: each unit is priced by the tier it falls in.
    #[serde(default)]
    pub graduated: Option<Vec<Tier>>,
    /// Volume tiers: every unit is priced by the tier the whole quantity reaches.
    #[serde(default)]
    pub volume: Option<Vec<Tier>>,
    /// Packages: a price per started pack of `size` units.
    #[serde(default)]
    pub package: Option<Package>,
}

/// One tier of a graduated or volume price. Tiers are listed in increasing order; each
/// covers the units after the previous tier's `up_to` up to its own (inclusive); the last
/// tier has no `up_to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    /// Last unit of the tier (inclusive); absent on the last tier.
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub up_to: Option<u64>,
    /// Price of one unit in this tier.
    pub per_unit: Amount,
}

/// A price per started pack of units (e.g. Microsoft 365 users per 10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Package {
    /// Units in one pack.
    #[schemars(range(min = 1))]
    pub size: u64,
    /// Price of one pack.
    pub price: Amount,
}

/// The terms of one tenant: billing details and any price of the card.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantTerms {
    /// Billing name (default: the organization name in the report).
    #[serde(default)]
    pub name: Option<String>,
    /// Billing address, one entry per line.
    #[serde(default)]
    pub address: Vec<String>,
    /// E-mail address for invoices.
    #[serde(default)]
    pub email: Option<String>,
    /// The tenant's VAT or tax registration number.
    #[serde(default)]
    pub tax_id: Option<String>,
    /// Price of one point for this tenant.
    #[serde(default)]
    pub per_point: Option<Amount>,
    /// Discount in percent of the subtotal.
    #[serde(default)]
    pub discount_percent: Option<Percent>,
    /// Tax rate in percent (0 for a reverse-charge customer).
    #[serde(default)]
    pub tax_percent: Option<Percent>,
    /// Monthly minimum.
    #[serde(default)]
    pub minimum: Option<Amount>,
    /// When the minimum applies (default: the card's `[default] minimum_applies`).
    #[serde(default)]
    pub minimum_applies: Option<MinimumApplies>,
    /// Charge workloads activated this month (default: the card's `[default] charge_new`).
    #[serde(default)]
    pub charge_new: Option<bool>,
    /// Prices of this tenant; each entry replaces the card's entry for that workload type.
    #[serde(default)]
    #[schemars(schema_with = "workloads_schema")]
    pub workloads: BTreeMap<String, WorkloadPrice>,
}

/// What the provider pays Veeam: `max(points, minimum_points) × per_point`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cost {
    /// Price of one point under the provider's rental agreement.
    pub per_point: Amount,
    /// Monthly commitment in points.
    #[serde(default)]
    pub minimum_points: Option<Amount>,
    /// Round a report's non-integer point total up, as Veeam's portal does.
    #[serde(default)]
    pub round_up_points: bool,
    /// How the cost is shown per organization in the summary: `none` (default: points ×
    /// `per_point` each; the commitment and round-up unallocated) or `pro-rata` (spread
    /// over the organizations by points).
    #[serde(default)]
    pub allocate: Allocate,
}

fn workloads_schema(g: &mut SchemaGenerator) -> Schema {
    let price = g.subschema_for::<WorkloadPrice>();
    json_schema!({
        "type": "object",
        "description": "Keyed by workload type in the spec's spelling.",
        "propertyNames": { "enum": WorkloadType::KNOWN },
        "additionalProperties": price,
    })
}

/// A UUID as VSPC writes organization UIDs, any case (what [`super::check`] accepts).
const UUID_PATTERN: &str =
    "^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$";

fn tenants_schema(g: &mut SchemaGenerator) -> Schema {
    let terms = g.subschema_for::<TenantTerms>();
    json_schema!({
        "type": "object",
        "description": "Keyed by organization UID (organizationUid in the reports).",
        "propertyNames": { "pattern": UUID_PATTERN },
        "additionalProperties": terms,
    })
}

/// The charge model of a checked [`WorkloadPrice`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model<'a> {
    /// A price per unit, possibly per edition.
    PerUnit {
        /// Price for editions not listed.
        per_unit: Option<Decimal>,
        /// Prices per edition.
        editions: &'a BTreeMap<String, Amount>,
    },
    /// Graduated tiers.
    Graduated(&'a [Tier]),
    /// Volume tiers.
    Volume(&'a [Tier]),
    /// A price per started pack.
    Package(&'a Package),
}

impl WorkloadPrice {
    /// The charge model (the first present, in the order of the fields; a checked card
    /// has exactly one).
    #[must_use]
    pub fn model(&self) -> Model<'_> {
        if let Some(t) = &self.graduated {
            Model::Graduated(t)
        } else if let Some(t) = &self.volume {
            Model::Volume(t)
        } else if let Some(p) = &self.package {
            Model::Package(p)
        } else {
            Model::PerUnit {
                per_unit: self.per_unit.map(|a| a.0),
                editions: &self.editions,
            }
        }
    }

    /// The per-unit price of `edition`: its own price, else `per_unit`.
    #[must_use]
    pub fn edition_price(&self, edition: Option<&str>) -> Option<Decimal> {
        edition
            .and_then(|e| {
                self.editions
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(e))
                    .map(|(_, a)| a.0)
            })
            .or(self.per_unit.map(|a| a.0))
    }
}

impl RateCard {
    /// Decimals of every amount: `decimals` when the card gives it, else the currency's
    /// minor unit (2 for a currency the card check refuses).
    #[must_use]
    pub fn decimals(&self) -> u32 {
        self.decimals
            .or_else(|| currency_decimals(&self.currency).ok())
            .unwrap_or(2)
    }

    /// The precision and rounding of every amount.
    #[must_use]
    pub fn rounding(&self) -> Rounding {
        Rounding {
            decimals: self.decimals(),
            mode: self.rounding,
        }
    }

    /// The precision and rounding of the tax: the card's decimals, with `[tax] rounding`
    /// when given, else the card's mode.
    #[must_use]
    pub fn tax_rounding(&self) -> Rounding {
        Rounding {
            mode: self
                .tax
                .as_ref()
                .and_then(|t| t.rounding)
                .unwrap_or(self.rounding),
            ..self.rounding()
        }
    }

    /// Whether the workloads activated this month are charged for a tenant: its own
    /// `charge_new`, else the card's.
    #[must_use]
    pub fn charge_new(&self, terms: Option<&TenantTerms>) -> bool {
        terms
            .and_then(|t| t.charge_new)
            .unwrap_or(self.default.charge_new)
    }

    /// When the monthly minimum applies for a tenant: its own choice, else the card's.
    #[must_use]
    pub fn minimum_applies(&self, terms: Option<&TenantTerms>) -> MinimumApplies {
        terms
            .and_then(|t| t.minimum_applies)
            .unwrap_or(self.default.minimum_applies)
    }

    /// The terms of a tenant, matched case-insensitively on the organization UID.
    #[must_use]
    pub fn tenant(&self, uid: &str) -> Option<&TenantTerms> {
        self.tenants
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(uid))
            .map(|(_, t)| t)
    }

    /// The price of a workload type for a tenant: the tenant's entry, else the card's.
    #[must_use]
    pub fn workload_price<'a>(
        &'a self,
        tenant: Option<&'a TenantTerms>,
        workload: &WorkloadType,
    ) -> Option<&'a WorkloadPrice> {
        let key = workload.as_str();
        tenant
            .and_then(|t| t.workloads.get(key))
            .or_else(|| self.workloads.get(key))
    }
}
