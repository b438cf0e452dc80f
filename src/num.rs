//! Exact numbers read from the JSON text.
//!
//! A number field is deserialized as a borrowed `serde_json` `RawValue`: the characters
//! the vendor wrote (`5.0`, `0.33`, `1e1`), without allocation. They are parsed into
//! [`Decimal`] without ever passing through `f64`. Counts are integers; `2.0` is
//! accepted as 2 because JSON Schema's `integer` accepts it too. Serialization writes the
//! decimal's digits back as a JSON number, unchanged.
//!
//! Borrowing needs the input in memory: documents are parsed with `serde_json::from_str`.

use rust_decimal::Decimal;
use serde::de::Error;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// Parses a JSON number's text into an exact decimal.
///
/// # Errors
/// When the text is not a number or does not fit in a 96-bit decimal (28 digits).
pub fn parse_decimal(text: &str) -> Result<Decimal, String> {
    let parsed = if text.contains(['e', 'E']) {
        Decimal::from_scientific(text)
    } else {
        Decimal::from_str_exact(text)
    };
    parsed.map_err(|_| {
        format!("number {text} cannot be held exactly (at most 28 significant digits)")
    })
}

/// Parses a JSON number's text into an integer count.
///
/// # Errors
/// When the number has a fractional part or is out of the 64-bit range.
pub fn parse_count(text: &str) -> Result<i64, String> {
    if let Ok(v) = text.parse::<i64>() {
        return Ok(v);
    }
    let d = parse_decimal(text)?;
    if d.fract().is_zero() {
        i64::try_from(d).map_err(|_| format!("count {text} is out of range"))
    } else {
        Err(format!("expected a whole number, found {text}"))
    }
}

fn decimal_to_number(d: &Decimal) -> Box<RawValue> {
    // Decimal's Display (digits, optional sign and point, no exponent) is valid JSON.
    RawValue::from_string(d.to_string()).expect("decimal text is a JSON number")
}

/// The raw text of a value that must be a number (or `null` where `nullable`).
fn number_text<E: Error>(raw: &RawValue, nullable: bool) -> Result<Option<&str>, E> {
    let text = raw.get();
    match text.as_bytes().first() {
        Some(b'-' | b'0'..=b'9') => Ok(Some(text)),
        Some(b'n') if nullable => Ok(None),
        _ => Err(E::custom(format!(
            "invalid type: {text}, expected a number{}",
            if nullable { " or null" } else { "" }
        ))),
    }
}

/// `#[serde(with = "crate::num::decimal")]` for a required decimal.
pub mod decimal {
    use super::{Decimal, Deserialize, Deserializer, Error, RawValue, Serialize, Serializer};

    /// Deserializes a JSON number into an exact decimal.
    ///
    /// # Errors
    /// When the value is not a number, or cannot be held exactly.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let raw = <&RawValue>::deserialize(d)?;
        let text = super::number_text(raw, false)?.unwrap_or_default();
        super::parse_decimal(text).map_err(D::Error::custom)
    }

    /// Serializes a decimal as a JSON number with the same digits.
    ///
    /// # Errors
    /// Only those of the serializer.
    pub fn serialize<S: Serializer>(v: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        super::decimal_to_number(v).serialize(s)
    }
}

/// `#[serde(with = "crate::num::opt_decimal", default)]` for an optional, nullable decimal.
pub mod opt_decimal {
    use super::{Decimal, Deserialize, Deserializer, Error, RawValue, Serialize, Serializer};

    /// Deserializes `null` or a JSON number.
    ///
    /// # Errors
    /// When the value is neither, or cannot be held exactly.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        let raw = <&RawValue>::deserialize(d)?;
        match super::number_text(raw, true)? {
            None => Ok(None),
            Some(text) => super::parse_decimal(text)
                .map(Some)
                .map_err(D::Error::custom),
        }
    }

    /// Serializes `None` as `null`.
    ///
    /// # Errors
    /// Only those of the serializer.
    pub fn serialize<S: Serializer>(v: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        v.as_ref().map(super::decimal_to_number).serialize(s)
    }
}

/// `#[serde(with = "crate::num::count")]` for a required integer count.
pub mod count {
    use super::{Deserialize, Deserializer, Error, RawValue, Serializer};

    /// Deserializes an integral JSON number.
    ///
    /// # Errors
    /// When the value is not a whole number.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        let raw = <&RawValue>::deserialize(d)?;
        let text = super::number_text(raw, false)?.unwrap_or_default();
        super::parse_count(text).map_err(D::Error::custom)
    }

    /// Serializes the count.
    ///
    /// # Errors
    /// Only those of the serializer.
    #[allow(clippy::trivially_copy_pass_by_ref)] // serde's `with` passes a reference
    pub fn serialize<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(*v)
    }
}

/// `#[serde(with = "crate::num::opt_count", default)]` for an optional, nullable count.
pub mod opt_count {
    use super::{Deserialize, Deserializer, Error, RawValue, Serialize, Serializer};

    /// Deserializes `null` or an integral JSON number.
    ///
    /// # Errors
    /// When the value is neither.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        let raw = <&RawValue>::deserialize(d)?;
        match super::number_text(raw, true)? {
            None => Ok(None),
            Some(text) => super::parse_count(text).map(Some).map_err(D::Error::custom),
        }
    }

    /// Serializes `None` as `null`.
    ///
    /// # Errors
    /// Only those of the serializer.
    #[allow(clippy::ref_option)] // serde's `with` passes a reference
    pub fn serialize<S: Serializer>(v: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        v.serialize(s)
    }
}

/// JSON Schema fragments for the exact-number fields.
pub mod schema {
    use schemars::{Schema, SchemaGenerator, json_schema};

    /// A required JSON number.
    pub fn number(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "number" })
    }
    /// A JSON number or `null`.
    pub fn opt_number(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": ["number", "null"] })
    }
    /// A required whole number.
    pub fn integer(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "integer" })
    }
    /// A whole number or `null`.
    pub fn opt_integer(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": ["integer", "null"] })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_keep_their_text() {
        assert_eq!(parse_decimal("0.33").unwrap().to_string(), "0.33");
        assert_eq!(parse_decimal("5.0").unwrap().to_string(), "5.0");
        assert_eq!(parse_decimal("5").unwrap().to_string(), "5");
        assert_eq!(parse_decimal("5.0").unwrap(), parse_decimal("5").unwrap());
        assert_eq!(parse_decimal("-0.16").unwrap().to_string(), "-0.16");
        assert_eq!(parse_decimal("1e1").unwrap(), Decimal::from(10));
        assert_eq!(parse_decimal("2.5E-1").unwrap().to_string(), "0.25");
        // 0.1 + 0.2 is exactly 0.3, which binary floating point does not give.
        assert_eq!(
            parse_decimal("0.1").unwrap() + parse_decimal("0.2").unwrap(),
            parse_decimal("0.3").unwrap()
        );
    }

    #[test]
    fn decimals_out_of_range_are_errors() {
        assert!(parse_decimal("1e40").is_err());
        assert!(parse_decimal("123456789012345678901234567890").is_err());
    }

    #[test]
    fn counts_accept_integral_numbers_only() {
        assert_eq!(parse_count("3"), Ok(3));
        assert_eq!(parse_count("-2"), Ok(-2));
        assert_eq!(parse_count("2.0"), Ok(2));
        assert_eq!(parse_count("1e2"), Ok(100));
        assert!(parse_count("1.5").unwrap_err().contains("whole number"));
    }

    #[test]
    fn decimals_read_from_json_text_not_f64() {
        #[derive(Deserialize)]
        struct Row {
            #[serde(with = "decimal")]
            v: Decimal,
        }
        // 19 significant digits: f64 holds about 16.
        let r: Row = serde_json::from_str(r#"{"v": 1234567890.123456789}"#).unwrap();
        assert_eq!(r.v.to_string(), "1234567890.123456789");
        let r: Row = serde_json::from_str(r#"{"v": 0.33}"#).unwrap();
        assert_eq!(r.v.to_string(), "0.33");
        let back = serde_json::to_string(&serde_json::json!({"v": super::decimal_to_number(&r.v)}))
            .unwrap();
        assert_eq!(back, r#"{"v":0.33}"#);
    }
}
