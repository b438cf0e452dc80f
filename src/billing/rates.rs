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

use crate::billing::money::{Rounding, RoundingMode};
use crate::date::Month;
use crate::enums::WorkloadType;
use crate::locate::LineIndex;
use iso_currency::Currency;
use rust_decimal::Decimal;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{Error as _, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::str::FromStr;
use std::sync::OnceLock;
use toml::de::{DeTable, DeValue};

/// The default invoice number pattern.
pub const DEFAULT_INVOICE_NUMBER: &str = "{period}-{seq:04}";

/// The longest due period, in days.
pub const MAX_DUE_DAYS: u32 = 366;

/// The longest invoice number pattern, in characters.
const MAX_NUMBER_PATTERN: usize = 64;

/// The most decimals of a currency.
const MAX_DECIMALS: u32 = 4;

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
    /// Invoice number pattern. Placeholders: `{period}` (`2026-10`), `{year}`, `{month}`,
    /// `{seq}` or `{seq:0N}` (the invoice's rank within its period, zero-padded to N
    /// digits). Must name the period (`{period}`, or `{year}` and `{month}`) and `{seq}`;
    /// other characters: letters, digits, `-`, `_`, `.`; at most 64 characters.
    #[serde(default = "default_invoice_number")]
    #[schemars(length(max = MAX_NUMBER_PATTERN))]
    pub invoice_number: String,
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
    /// Terms of single tenants, keyed by the organization UID of the reports.
    #[serde(default)]
    pub tenants: BTreeMap<String, TenantTerms>,
    /// What the provider pays Veeam for the points of a report.
    #[serde(default)]
    pub cost: Option<Cost>,
}

const fn default_due_days() -> u32 {
    30
}
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
}

/// The ISO 4217 currencies a card can bill in, from the table of the `iso_currency` crate
/// (ISO 4217 as published, via Wikipedia's list): every current code of a currency with
/// minor units. Superseded codes (HRK, now EUR) and the codes of no currency (XAU gold,
/// XDR, XTS for testing) are left out. In the order of their codes.
fn billing_currencies() -> &'static [Currency] {
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

fn currency_schema(_: &mut SchemaGenerator) -> Schema {
    let codes: Vec<&str> = billing_currencies()
        .iter()
        .map(iso_currency::Currency::code)
        .collect();
    json_schema!({
        "type": "string",
        "enum": codes,
    })
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

/// A non-negative exact decimal: a price, an amount or a number of points. Written as a
/// TOML integer, float (read from its text) or string (`"0.0125"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(pub Decimal);

/// A percentage from 0 to 100, exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Percent(pub Decimal);

struct DecimalVisitor;

impl Visitor<'_> for DecimalVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number, or a decimal number in a string")
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_i128<E: serde::de::Error>(self, v: i128) -> Result<Decimal, E> {
        Decimal::try_from_i128_with_scale(v, 0)
            .map_err(|_| E::custom(format!("{v} is out of range (at most 28 digits)")))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Decimal, E> {
        // The shortest text that reads back as `v`. `check_floats` has verified, for every
        // float of the file, that this text has the same value as the text in the file.
        Decimal::from_str_exact(&v.to_string())
            .map_err(|_| E::custom(format!("{v} cannot be held as an exact decimal")))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Decimal, E> {
        // What DECIMAL_STRING_PATTERN accepts: digits, optionally `.` and digits.
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let ok = match v.split_once('.') {
            Some((int, frac)) => digits(int) && digits(frac),
            None => digits(v),
        };
        if !ok {
            return Err(E::custom(format!(
                "\"{v}\" is not a decimal number (write digits, optionally a `.` and more digits, e.g. \"0.0125\")"
            )));
        }
        Decimal::from_str_exact(v).map_err(|_| {
            E::custom(format!(
                "\"{v}\" cannot be held exactly (at most 28 significant digits)"
            ))
        })
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = d.deserialize_any(DecimalVisitor)?;
        if v.is_sign_negative() && !v.is_zero() {
            return Err(D::Error::custom(format!("{v} is negative")));
        }
        Ok(Self(v))
    }
}

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = d.deserialize_any(DecimalVisitor)?;
        if v < Decimal::ZERO || v > Decimal::ONE_HUNDRED {
            return Err(D::Error::custom(format!(
                "{v} is not a percentage from 0 to 100"
            )));
        }
        Ok(Self(v))
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl Serialize for Percent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

/// A decimal in a string: what [`DecimalVisitor::visit_str`] accepts.
const DECIMAL_STRING_PATTERN: &str = r"^[0-9]+(\.[0-9]+)?$";

/// A percentage from 0 to 100 in a string (leading zeros allowed, as the number reads).
const PERCENT_STRING_PATTERN: &str = r"^0*(100(\.0+)?|[0-9]{1,2}(\.[0-9]+)?)$";

impl JsonSchema for Amount {
    fn schema_name() -> Cow<'static, str> {
        "Amount".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A non-negative exact decimal: a number, or a string of digits for more digits than a TOML float holds (at most 28 significant digits).",
            "anyOf": [
                { "type": "number", "minimum": 0 },
                { "type": "string", "pattern": DECIMAL_STRING_PATTERN }
            ]
        })
    }
}

impl JsonSchema for Percent {
    fn schema_name() -> Cow<'static, str> {
        "Percent".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A percentage from 0 to 100: a number, or a string of digits (at most 28 significant digits).",
            "anyOf": [
                { "type": "number", "minimum": 0, "maximum": 100 },
                { "type": "string", "pattern": PERCENT_STRING_PATTERN }
            ]
        })
    }
}

/// One problem in a rate card, located.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CardError {
    /// The code (`rate-card-invalid`; `vspc-billing explain` knows it).
    pub code: crate::codes::Code,
    /// The file, as named on the command line.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column in characters, when known.
    pub column: Option<usize>,
    /// Dotted key path (`workloads.VBR_VM.graduated[1].up_to`), when known.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for CardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{l}:{c}: ", self.file)?,
            _ => write!(f, "{}: ", self.file)?,
        }
        if !self.key.is_empty() {
            write!(f, "{}: ", self.key)?;
        }
        f.write_str(&self.message)
    }
}

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Key(String),
    Index(usize),
}

fn key_text(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                let bare = !k.is_empty()
                    && k.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                if bare {
                    s.push_str(k);
                } else {
                    s.push('"');
                    s.push_str(&k.replace('\\', "\\\\").replace('"', "\\\""));
                    s.push('"');
                }
            }
            Seg::Index(i) => {
                s.push('[');
                s.push_str(&i.to_string());
                s.push(']');
            }
        }
    }
    s
}

/// Collects located problems while a card is checked.
struct Problems<'a> {
    file: &'a str,
    root: Option<&'a DeTable<'a>>,
    index: LineIndex<'a>,
    out: Vec<CardError>,
}

impl<'a> Problems<'a> {
    fn new(file: &'a str, text: &'a str, root: Option<&'a DeTable<'a>>) -> Self {
        Self {
            file,
            root,
            index: LineIndex::new(text.as_bytes()),
            out: Vec::new(),
        }
    }

    fn at_offset(&mut self, offset: Option<usize>, key: String, message: String) {
        let pos = offset.map(|o| self.index.position(o));
        self.out.push(CardError {
            code: crate::codes::Code::RateCardInvalid,
            file: self.file.to_owned(),
            line: pos.map(|p| p.line),
            column: pos.map(|p| p.column),
            key,
            message,
        });
    }

    /// A problem with the value at `path` (`key_only`: point at the key itself).
    fn push(&mut self, path: &[Seg], key_only: bool, message: impl Into<String>) {
        let span = self.root.and_then(|r| span_of(r, path, key_only));
        self.at_offset(span.map(|s| s.start), key_text(path), message.into());
    }
}

/// The key path of the deepest key or value whose text holds byte `offset` (a table's
/// own span is its header only, so every table is searched).
fn path_at(root: &DeTable<'_>, offset: usize) -> Vec<Seg> {
    fn search(value: &DeValue<'_>, offset: usize, path: &mut Vec<Seg>) -> bool {
        /// A child: its step, its value, and the span of its key (tables only).
        type Child<'v, 'a> = (Seg, &'v toml::Spanned<DeValue<'a>>, Option<Range<usize>>);
        let children: Vec<Child<'_, '_>> = match value {
            DeValue::Table(t) => t
                .iter()
                .map(|(k, v)| (Seg::Key(k.get_ref().to_string()), v, Some(k.span())))
                .collect(),
            DeValue::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, v)| (Seg::Index(i), v, None))
                .collect(),
            _ => return false,
        };
        for (seg, v, key) in children {
            path.push(seg);
            let here = key.is_some_and(|k| k.contains(&offset)) || v.span().contains(&offset);
            if search(v.get_ref(), offset, path) || here {
                return true;
            }
            path.pop();
        }
        false
    }
    let mut path = Vec::new();
    for (k, v) in root {
        path.push(Seg::Key(k.get_ref().to_string()));
        if search(v.get_ref(), offset, &mut path)
            || k.span().contains(&offset)
            || v.span().contains(&offset)
        {
            return path;
        }
        path.pop();
    }
    path
}

/// A deserializer's message, with a "did you mean" for a misspelt key or value
/// (`unknown field ``per_piont``, expected one of ``per_point``, ...`).
fn with_suggestion(message: &str) -> String {
    let names: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
    let (Some(first), true) = (names.first(), message.starts_with("unknown ")) else {
        return message.to_owned();
    };
    match crate::text::did_you_mean(first, names[1..].iter().copied()).first() {
        Some(near) => format!("{message}; did you mean `{near}`?"),
        None => message.to_owned(),
    }
}

/// Span of the value (or of the key, for `key_only`) at `path`; the deepest existing
/// ancestor when the path does not exist (a missing key).
fn span_of(root: &DeTable<'_>, path: &[Seg], key_only: bool) -> Option<Range<usize>> {
    let mut best: Option<Range<usize>> = None;
    let mut table: Option<&DeTable<'_>> = Some(root);
    let mut value: Option<&DeValue<'_>> = None;
    for (i, seg) in path.iter().enumerate() {
        let last = i + 1 == path.len();
        let next = match (seg, table, value) {
            (Seg::Key(k), Some(t), _) => t.get_key_value(k.as_str()).map(|(key, v)| {
                if last && key_only {
                    best = Some(key.span());
                }
                v
            }),
            (Seg::Index(n), _, Some(DeValue::Array(a))) => a.get(*n),
            _ => None,
        };
        let Some(v) = next else { break };
        if !(last && key_only) {
            best = Some(v.span());
        }
        value = Some(v.get_ref());
        table = v.get_ref().as_table();
    }
    best
}

/// Verifies that every TOML float's text has exactly the value that reaches the typed
/// card (the shortest text of the `f64` the parser makes of it).
fn check_floats(value: &DeValue<'_>, path: &mut Vec<Seg>, p: &mut Problems<'_>) {
    match value {
        DeValue::Float(f) => {
            let text = f.as_str();
            let written = crate::num::parse_decimal(text).ok();
            let read = text
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .and_then(|v| Decimal::from_str_exact(&v.to_string()).ok());
            match (written, read) {
                (Some(w), Some(r)) if w == r => {}
                (Some(_), _) => p.push(
                    path,
                    false,
                    format!(
                        "{text} has more digits than a TOML float holds exactly; write it as a string: \"{text}\""
                    ),
                ),
                (None, _) => p.push(path, false, format!("{text} is not a finite decimal number")),
            }
        }
        DeValue::Table(t) => {
            for (k, v) in t {
                path.push(Seg::Key(k.get_ref().to_string()));
                check_floats(v.get_ref(), path, p);
                path.pop();
            }
        }
        DeValue::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                path.push(Seg::Index(i));
                check_floats(v.get_ref(), path, p);
                path.pop();
            }
        }
        _ => {}
    }
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

/// The parts of an invoice number pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberPart {
    /// Text copied as is.
    Literal(String),
    /// `{period}`: `YYYY-MM`.
    Period,
    /// `{year}`: four digits.
    Year,
    /// `{month}`: two digits.
    Month,
    /// `{seq}` or `{seq:0N}`: the rank in the period, zero-padded to `width` digits.
    Seq {
        /// Minimum digits.
        width: usize,
    },
}

/// Parses an invoice number pattern.
///
/// # Errors
/// When a placeholder is unknown, a character is not allowed, or the period or `{seq}`
/// is missing.
pub fn parse_number_pattern(pattern: &str) -> Result<Vec<NumberPart>, String> {
    let mut parts = Vec::new();
    let mut rest = pattern;
    let mut lit = String::new();
    while let Some(c) = rest.chars().next() {
        if c == '{' {
            let end = rest
                .find('}')
                .ok_or_else(|| "a `{` is not closed".to_owned())?;
            let name = &rest[1..end];
            let part = match name {
                "period" => NumberPart::Period,
                "year" => NumberPart::Year,
                "month" => NumberPart::Month,
                "seq" => NumberPart::Seq { width: 1 },
                _ => match name.strip_prefix("seq:0") {
                    Some(w)
                        if !w.is_empty()
                            && w.len() <= 1
                            && w.bytes().all(|b| b.is_ascii_digit()) =>
                    {
                        NumberPart::Seq {
                            width: w.parse().unwrap_or(1),
                        }
                    }
                    _ => {
                        return Err(format!(
                            "unknown placeholder {{{name}}}; use {{period}}, {{year}}, {{month}}, {{seq}} or {{seq:04}}"
                        ));
                    }
                },
            };
            if !lit.is_empty() {
                parts.push(NumberPart::Literal(std::mem::take(&mut lit)));
            }
            parts.push(part);
            rest = &rest[end + 1..];
        } else {
            if !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
                return Err(format!(
                    "{c:?} is not allowed (invoice numbers name files: letters, digits, `-`, `_`, `.`)"
                ));
            }
            lit.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    if !lit.is_empty() {
        parts.push(NumberPart::Literal(lit));
    }
    let has = |f: fn(&NumberPart) -> bool| parts.iter().any(f);
    if !has(|p| matches!(p, NumberPart::Seq { .. })) {
        return Err("the pattern needs {seq} (or {seq:04}) so that numbers are unique".into());
    }
    let period = has(|p| *p == NumberPart::Period)
        || (has(|p| *p == NumberPart::Year) && has(|p| *p == NumberPart::Month));
    if !period {
        return Err(
            "the pattern needs the period ({period}, or {year} and {month}) so that months do not reuse numbers"
                .into(),
        );
    }
    if let Some(NumberPart::Literal(l)) = parts.first()
        && !l.starts_with(|c: char| c.is_ascii_alphanumeric())
    {
        return Err(
            "the pattern must start with a letter, a digit or a placeholder (numbers name files)"
                .into(),
        );
    }
    if pattern.chars().count() > MAX_NUMBER_PATTERN {
        return Err(format!(
            "the pattern is longer than {MAX_NUMBER_PATTERN} characters"
        ));
    }
    Ok(parts)
}

/// Renders an invoice number.
#[must_use]
pub fn render_number(parts: &[NumberPart], period: Month, seq: usize) -> String {
    let mut s = String::new();
    for p in parts {
        match p {
            NumberPart::Literal(l) => s.push_str(l),
            NumberPart::Period => s.push_str(&period.to_string()),
            NumberPart::Year => s.push_str(&format!("{:04}", period.year)),
            NumberPart::Month => s.push_str(&format!("{:02}", period.month)),
            NumberPart::Seq { width } => s.push_str(&format!("{seq:0width$}")),
        }
    }
    s
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

    /// The invoice number pattern, parsed (checked by [`Self::check`]).
    #[must_use]
    pub fn number_parts(&self) -> Vec<NumberPart> {
        parse_number_pattern(&self.invoice_number)
            .unwrap_or_else(|_| parse_number_pattern(DEFAULT_INVOICE_NUMBER).unwrap_or_default())
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

    /// Reads a rate card from a file.
    ///
    /// # Errors
    /// Every problem found, located; a file that cannot be read gives one error.
    pub fn load(path: &Path) -> Result<Self, Vec<CardError>> {
        let name = path.display().to_string();
        match std::fs::read(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => Self::parse(&name, &text),
                Err(e) => {
                    let off = e.utf8_error().valid_up_to();
                    let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
                    let mut p = Problems::new(&name, &text, None);
                    p.at_offset(
                        Some(off),
                        String::new(),
                        "the file is not UTF-8 (TOML must be UTF-8)".into(),
                    );
                    Err(p.out)
                }
            },
            Err(e) => Err(vec![CardError {
                code: crate::codes::Code::RateCardInvalid,
                file: name,
                line: None,
                column: None,
                key: String::new(),
                message: format!("cannot read the rate card: {e}"),
            }]),
        }
    }

    /// Reads a rate card from its text; `file` names it in errors.
    ///
    /// # Errors
    /// Every problem found, located.
    pub fn parse(file: &str, text: &str) -> Result<Self, Vec<CardError>> {
        let root = match DeTable::parse(text) {
            Ok(r) => r,
            Err(e) => {
                let mut p = Problems::new(file, text, None);
                p.at_offset(
                    e.span().map(|s| s.start),
                    String::new(),
                    e.message().trim().to_owned(),
                );
                return Err(p.out);
            }
        };
        let root_table = root.get_ref();
        let mut p = Problems::new(file, text, Some(root_table));
        for (k, v) in root_table {
            let mut path = vec![Seg::Key(k.get_ref().to_string())];
            check_floats(v.get_ref(), &mut path, &mut p);
        }
        if !p.out.is_empty() {
            return Err(p.out);
        }
        let card = match toml::de::Deserializer::parse(text).and_then(Self::deserialize) {
            Ok(c) => c,
            Err(e) => {
                let at = e.span().map(|s| s.start);
                let key = at.map_or_else(String::new, |o| key_text(&path_at(root_table, o)));
                p.at_offset(at, key, with_suggestion(e.message().trim()));
                return Err(p.out);
            }
        };
        card.check_into(&mut p);
        if p.out.is_empty() {
            Ok(card)
        } else {
            Err(p.out)
        }
    }

    /// Checks what the types cannot say; every problem, with its key path (no position).
    ///
    /// # Errors
    /// The problems found.
    pub fn check(&self) -> Result<(), Vec<CardError>> {
        let mut p = Problems::new("rate card", "", None);
        self.check_into(&mut p);
        if p.out.is_empty() { Ok(()) } else { Err(p.out) }
    }

    fn check_into(&self, p: &mut Problems<'_>) {
        let key = |k: &str| vec![Seg::Key(k.to_owned())];
        if let Err(e) = currency_decimals(&self.currency) {
            p.push(&key("currency"), false, e);
        }
        if self.decimals.is_some_and(|d| d > MAX_DECIMALS) {
            p.push(
                &key("decimals"),
                false,
                format!("at most {MAX_DECIMALS} decimals (no currency has more)"),
            );
        }
        if self.due_days > MAX_DUE_DAYS {
            p.push(
                &key("due_days"),
                false,
                format!(
                    "{} days is more than a year: at most {MAX_DUE_DAYS}",
                    self.due_days
                ),
            );
        }
        if let Err(e) = parse_number_pattern(&self.invoice_number) {
            p.push(&key("invoice_number"), false, e);
        }
        if self.provider.name.trim().is_empty() {
            p.push(
                &[Seg::Key("provider".into()), Seg::Key("name".into())],
                false,
                "the provider's name is empty",
            );
        }
        if let Some(m) = self.default.minimum {
            self.check_money(
                m,
                &[Seg::Key("default".into()), Seg::Key("minimum".into())],
                p,
            );
        }
        check_workloads(&self.workloads, &[Seg::Key("workloads".into())], p);
        let mut seen: BTreeMap<String, &str> = BTreeMap::new();
        for (uid, t) in &self.tenants {
            let base = [Seg::Key("tenants".into()), Seg::Key(uid.clone())];
            if uid.trim().is_empty() {
                p.push(&base, true, "empty organization UID");
            }
            if let Some(first) = seen.insert(uid.to_ascii_lowercase(), uid) {
                p.push(
                    &base,
                    true,
                    format!("the same organization as tenants.\"{first}\" (UIDs are matched ignoring case)"),
                );
            }
            if let Some(m) = t.minimum {
                let mut path = base.to_vec();
                path.push(Seg::Key("minimum".into()));
                self.check_money(m, &path, p);
            }
            if t.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
                let mut path = base.to_vec();
                path.push(Seg::Key("name".into()));
                p.push(&path, false, "empty billing name");
            }
            let mut path = base.to_vec();
            path.push(Seg::Key("workloads".into()));
            check_workloads(&t.workloads, &path, p);
        }
    }

    fn check_money(&self, m: Amount, path: &[Seg], p: &mut Problems<'_>) {
        if m.0.normalize().scale() > self.decimals() {
            p.push(
                path,
                false,
                format!(
                    "{} has more decimals than the currency's {} (an amount of money, not a price)",
                    m.0,
                    self.decimals()
                ),
            );
        }
    }
}

fn check_workloads(map: &BTreeMap<String, WorkloadPrice>, base: &[Seg], p: &mut Problems<'_>) {
    for (name, price) in map {
        let mut path = base.to_vec();
        path.push(Seg::Key(name.clone()));
        if !WorkloadType::KNOWN.contains(&name.as_str()) {
            let hint = WorkloadType::KNOWN
                .iter()
                .find(|k| k.eq_ignore_ascii_case(name))
                .map_or_else(
                    || format!(" (known: {})", WorkloadType::KNOWN.join(", ")),
                    |k| format!("; write it as {k}"),
                );
            p.push(&path, true, format!("unknown workload type {name}{hint}"));
        }
        check_price(price, &path, p);
    }
}

fn check_price(price: &WorkloadPrice, base: &[Seg], p: &mut Problems<'_>) {
    let with = |k: &str| {
        let mut v = base.to_vec();
        v.push(Seg::Key(k.to_owned()));
        v
    };
    let mut models = Vec::new();
    if price.per_unit.is_some() || !price.editions.is_empty() {
        models.push("per_unit/editions");
    }
    for (name, present) in [
        ("graduated", price.graduated.is_some()),
        ("volume", price.volume.is_some()),
        ("package", price.package.is_some()),
    ] {
        if present {
            models.push(name);
        }
    }
    match models.len() {
        0 => p.push(
            base,
            true,
            "no price: give per_unit, editions, graduated, volume or package",
        ),
        1 => {}
        _ => p.push(
            base,
            true,
            format!(
                "one charge model per workload, found {}",
                models.join(" and ")
            ),
        ),
    }
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for e in price.editions.keys() {
        let mut path = with("editions");
        path.push(Seg::Key(e.clone()));
        if e.trim().is_empty() {
            p.push(&path, true, "empty edition name");
        }
        if let Some(first) = seen.insert(e.to_ascii_lowercase(), e) {
            p.push(
                &path,
                true,
                format!("the same edition as \"{first}\" (editions are matched ignoring case)"),
            );
        }
    }
    for (name, tiers) in [("graduated", &price.graduated), ("volume", &price.volume)] {
        let Some(tiers) = tiers else { continue };
        let path = with(name);
        if tiers.is_empty() {
            p.push(&path, false, "no tiers");
            continue;
        }
        let mut previous = 0u64;
        for (i, t) in tiers.iter().enumerate() {
            let mut tp = path.clone();
            tp.push(Seg::Index(i));
            let last = i + 1 == tiers.len();
            match (t.up_to, last) {
                (None, true) => {}
                (None, false) => p.push(&tp, false, "only the last tier may omit up_to"),
                (Some(_), true) => {
                    tp.push(Seg::Key("up_to".into()));
                    p.push(
                        &tp,
                        false,
                        "the last tier must not have up_to, so that every quantity has a price",
                    );
                }
                (Some(u), false) => {
                    if u <= previous {
                        tp.push(Seg::Key("up_to".into()));
                        p.push(
                            &tp,
                            false,
                            format!(
                                "up_to {u} must be greater than the previous tier's {previous}"
                            ),
                        );
                    }
                    previous = u;
                }
            }
        }
    }
    if let Some(pk) = &price.package
        && pk.size == 0
    {
        let mut path = with("package");
        path.push(Seg::Key("size".into()));
        p.push(&path, false, "a pack holds at least 1 unit");
    }
}

impl FromStr for RateCard {
    type Err = Vec<CardError>;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse("rate card", s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let e =
            errors(&MINIMAL.replace("per_point = 1.25", "per_point = 1\ndiscount_percent = 101"));
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
    fn invoice_number_patterns() {
        let parts = parse_number_pattern("INV-{year}{month}-{seq:05}").unwrap();
        assert_eq!(
            render_number(&parts, Month::new(2026, 3), 7),
            "INV-202603-00007"
        );
        let parts = parse_number_pattern("{period}-{seq}").unwrap();
        assert_eq!(
            render_number(&parts, Month::new(2026, 10), 12),
            "2026-10-12"
        );
        assert!(
            parse_number_pattern("{period}")
                .unwrap_err()
                .contains("{seq}")
        );
        assert!(
            parse_number_pattern("{seq}")
                .unwrap_err()
                .contains("period")
        );
        assert!(
            parse_number_pattern("{year}-{seq}")
                .unwrap_err()
                .contains("period")
        );
        assert!(
            parse_number_pattern("{period}/{seq}")
                .unwrap_err()
                .contains("not allowed")
        );
        assert!(
            parse_number_pattern("{period}-{sequence}")
                .unwrap_err()
                .contains("unknown placeholder")
        );
        assert!(
            parse_number_pattern("{period}-{seq")
                .unwrap_err()
                .contains("not closed")
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

[tenants.\"ABC-1\"]
discount_percent = 10
[tenants.\"ABC-1\".workloads.VBR_VM]
per_unit = 3
"
        );
        let c = RateCard::parse("r.toml", &text).unwrap();
        let t = c.tenant("abc-1").unwrap();
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
        let e =
            errors(&card("JPY", "").replace("per_point = 1.25", "per_point = 1\nminimum = 100.5"));
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
}
