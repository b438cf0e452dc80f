//! Exact prices and percentages, read from the text the card gives.

use rust_decimal::Decimal;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{Error as _, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;

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
