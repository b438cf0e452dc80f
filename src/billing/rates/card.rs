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
    /// What accounting tools' import files need (`invoice --outputs xero,quickbooks`):
    /// account code, the tool's names of tax rates, item codes, date format.
    #[serde(default)]
    pub accounting: Option<super::accounting::Accounting>,
    /// Paper size of the PDF invoices (`--outputs pdf`): `a4` (210 × 297 mm, the default)
    /// or `letter` (8.5 × 11 in).
    #[serde(default)]
    pub paper: Paper,
    /// Whether each PDF invoice embeds its EN 16931 XML (`factur-x.xml`: a Factur-X /
    /// `ZUGFeRD` invoice). It then needs what `--outputs cii` needs (addresses with country,
    /// the seller's VAT ID or tax number, the payment account...). Default: true; false
    /// writes plain PDF/A-3b invoices from a card without those data.
    #[serde(default = "default_true")]
    pub factur_x: bool,
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

const fn default_true() -> bool {
    true
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
    /// VAT identification number, with its country prefix (`DE123456789`): EN 16931
    /// BT-31, printed as "VAT ID".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_id: Option<String>,
    /// Tax number of the tax office (German Steuernummer): EN 16931 BT-32.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_number: Option<String>,
    /// The structured address e-invoices need; printed when `address` is empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_address: Option<PostalAddress>,
    /// Where e-invoices are sent or answered (EN 16931 BT-34).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub electronic_address: Option<ElectronicAddress>,
    /// Who answers questions about invoices (XRechnung needs name, phone and e-mail).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    /// The account invoices are paid to, as e-invoices state it (EN 16931 BG-16, BG-17).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<Payment>,
}

/// A structured postal address (EN 16931 BG-5, BG-8). Printed, when the `address` lines
/// are absent, as: street, additional line, `postcode city`, the country's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PostalAddress {
    /// Street and number.
    pub street: String,
    /// An additional address line (building, floor, c/o).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional: Option<String>,
    /// City.
    pub city: String,
    /// Postcode (XRechnung needs it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postcode: Option<String>,
    /// ISO 3166-1 alpha-2 country code, upper case (`DE`, `FR`, `US`).
    #[schemars(schema_with = "country_schema")]
    pub country: String,
}

impl PostalAddress {
    /// The printed lines: street, additional line, `postcode city`, the country's name.
    #[must_use]
    pub fn lines(&self) -> Vec<String> {
        let mut v = vec![self.street.clone()];
        v.extend(self.additional.clone());
        v.push(match &self.postcode {
            Some(p) => format!("{p} {}", self.city),
            None => self.city.clone(),
        });
        v.push(
            super::country_name(&self.country).map_or_else(|| self.country.clone(), str::to_owned),
        );
        v
    }
}

fn country_schema(_: &mut SchemaGenerator) -> Schema {
    let codes: Vec<&str> = super::countries::COUNTRIES.iter().map(|c| c.0).collect();
    json_schema!({
        "type": "string",
        "description": "ISO 3166-1 alpha-2 country code, upper case.",
        "enum": codes,
    })
}

/// An electronic address (EN 16931 BT-34, BT-49): an identifier and its scheme from the
/// EAS code list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ElectronicAddress {
    /// EAS code of the scheme: `EM` (e-mail), `0204` (German Leitweg-ID), `9930`
    /// (German VAT number), `0088` (GLN)... `EM` or four digits.
    #[schemars(regex(pattern = r"^(EM|[0-9]{4})$"))]
    pub scheme: String,
    /// The address in that scheme.
    pub id: String,
}

/// A contact for questions about invoices (EN 16931 BG-6).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// Person or department.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Telephone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// How invoices are paid (EN 16931 BG-16, BG-17).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Payment {
    /// `sepa-credit-transfer` (UNTDID 4461 code 58, the default) or `credit-transfer` (30).
    #[serde(default)]
    pub means: PaymentMeans,
    /// IBAN of the account paid to (spaces allowed; checked with its check digits).
    pub iban: String,
    /// BIC of the bank (8 or 11 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bic: Option<String>,
    /// Name of the account (default: none given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_name: Option<String>,
}

impl Payment {
    /// The IBAN without spaces, upper case.
    #[must_use]
    pub fn iban_compact(&self) -> String {
        self.iban
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect()
    }
}

/// A payment means of UNTDID 4461.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PaymentMeans {
    /// SEPA credit transfer (code 58).
    #[default]
    SepaCreditTransfer,
    /// Credit transfer (code 30).
    CreditTransfer,
}

impl PaymentMeans {
    /// The UNTDID 4461 code.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::SepaCreditTransfer => "58",
            Self::CreditTransfer => "30",
        }
    }
}

/// The VAT category of an invoice (EN 16931 BT-151, UNCL 5305 codes).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum TaxCategory {
    /// Standard rate (`S`): a percent above 0.
    Standard,
    /// Reverse charge (`AE`): 0 %, the recipient owes the VAT.
    ReverseCharge,
    /// Exempt from VAT (`E`): 0 %, with the exemption's reason in `tax_note`.
    Exempt,
    /// Zero-rated (`Z`): 0 %, with the reason in `tax_note`.
    ZeroRated,
    /// Outside the scope of VAT (`O`): 0 %, with the reason in `tax_note`.
    OutsideScope,
}

/// The note a reverse-charge invoice carries when the card gives none (Article 226(11a)
/// of Council Directive 2006/112/EC requires the mention "Reverse charge").
pub const REVERSE_CHARGE_NOTE: &str =
    "Reverse charge: VAT is due from the recipient (Article 196 of Council Directive 2006/112/EC).";

impl TaxCategory {
    /// The EN 16931 / UNCL 5305 code.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Standard => "S",
            Self::ReverseCharge => "AE",
            Self::Exempt => "E",
            Self::ZeroRated => "Z",
            Self::OutsideScope => "O",
        }
    }

    /// The kebab-case name, as written on the card.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::ReverseCharge => "reverse-charge",
            Self::Exempt => "exempt",
            Self::ZeroRated => "zero-rated",
            Self::OutsideScope => "outside-scope",
        }
    }

    /// The note printed when the card gives none (reverse charge only: the reason of an
    /// exemption, a zero rate or a supply outside the scope is the card's to state).
    #[must_use]
    pub const fn default_note(self) -> Option<&'static str> {
        match self {
            Self::ReverseCharge => Some(REVERSE_CHARGE_NOTE),
            _ => None,
        }
    }

    /// Whether the category needs `tax_note` on the card (no default wording).
    #[must_use]
    pub const fn needs_note(self) -> bool {
        matches!(self, Self::Exempt | Self::ZeroRated | Self::OutsideScope)
    }

    /// Parses the kebab-case name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Standard,
            Self::ReverseCharge,
            Self::Exempt,
            Self::ZeroRated,
            Self::OutsideScope,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// What a tenant is taxed: category, percent and the note its invoices carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxTerms {
    /// The category: the tenant's, else `[tax] category`, else standard for a percent
    /// above 0; `None` without a tax, or for a 0 % without a category (a card error when
    /// the card has a `[tax]`).
    pub category: Option<TaxCategory>,
    /// The percent: the tenant's `tax_percent`; else 0 for a category other than
    /// standard given on the tenant, else `[tax] percent`; else 0.
    pub percent: Decimal,
    /// The note: the tenant's `tax_note`, else `[tax] note` (when the category is the
    /// card's), else the category's default wording.
    pub note: Option<String>,
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
    /// The VAT category of every tenant without its own `tax_category`: `standard`,
    /// `reverse-charge`, `exempt`, `zero-rated` or `outside-scope`. Default: standard when
    /// `percent` is above 0; a card whose percent is 0 must say why.
    #[serde(default)]
    pub category: Option<TaxCategory>,
    /// The note invoices of this category carry (the legal reason of a 0 % tax). Required
    /// for `exempt`, `zero-rated` and `outside-scope`; `reverse-charge` has a default.
    #[serde(default)]
    pub note: Option<String>,
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
    /// Tax rate in percent. Default: 0 with a `tax_category` other than `standard`, else
    /// `[tax] percent`.
    #[serde(default)]
    pub tax_percent: Option<Percent>,
    /// The tenant's VAT category (default: `[tax] category`): `standard`,
    /// `reverse-charge`, `exempt`, `zero-rated` or `outside-scope`.
    #[serde(default)]
    pub tax_category: Option<TaxCategory>,
    /// The note the tenant's invoices carry: the legal reason of a 0 % tax. Required with
    /// `exempt`, `zero-rated` and `outside-scope`; `reverse-charge` has a default
    /// ("Reverse charge: VAT is due from the recipient (Article 196 of Council Directive
    /// 2006/112/EC).").
    #[serde(default)]
    pub tax_note: Option<String>,
    /// The tenant's VAT identification number (EN 16931 BT-48), printed as "VAT ID".
    #[serde(default)]
    pub vat_id: Option<String>,
    /// The structured address e-invoices need; printed when `address` is empty.
    #[serde(default)]
    pub postal_address: Option<PostalAddress>,
    /// The tenant's electronic address (EN 16931 BT-49).
    #[serde(default)]
    pub electronic_address: Option<ElectronicAddress>,
    /// The buyer reference (EN 16931 BT-10): a German public buyer's Leitweg-ID, or the
    /// reference the buyer asks invoices to quote. With it, `--outputs cii` writes
    /// XRechnung 3.0.
    #[serde(default)]
    pub buyer_reference: Option<String>,
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

    /// The tax of a tenant (see [`TaxTerms`] for where each part comes from).
    #[must_use]
    pub fn tax_terms(&self, terms: Option<&TenantTerms>) -> TaxTerms {
        let tax = self.tax.as_ref();
        let own = terms.and_then(|t| t.tax_category);
        let category = own.or_else(|| tax.and_then(|t| t.category));
        let card_percent = || tax.map(|t| t.percent.0);
        let percent = terms
            .and_then(|t| t.tax_percent)
            .map(|p| p.0)
            .or_else(|| match own {
                Some(c) if c != TaxCategory::Standard => Some(Decimal::ZERO),
                _ => card_percent(),
            });
        let percent = percent.unwrap_or(Decimal::ZERO);
        let category =
            category.or_else(|| (percent > Decimal::ZERO).then_some(TaxCategory::Standard));
        let card_note = if own.is_none() {
            tax.and_then(|t| t.note.clone())
        } else {
            None
        };
        let note = terms
            .and_then(|t| t.tax_note.clone())
            .or(card_note)
            .or_else(|| {
                category
                    .and_then(TaxCategory::default_note)
                    .map(str::to_owned)
            });
        TaxTerms {
            category,
            percent,
            note,
        }
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
