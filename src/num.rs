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

/// The largest mantissa of a [`Decimal`], 2^96 − 1.
const MAX_MANTISSA: u128 = (1 << 96) - 1;

/// The most decimal places a [`Decimal`] holds.
const MAX_SCALE: i64 = 28;

/// Parses a JSON number's text into an exact decimal.
///
/// The value is the one written, never rounded. Its scale is the number of decimal places
/// written (`5.0` has one, `2.5E-1` two, `1e1` none), or as many of them as a 96-bit
/// decimal holds when more are written: `5.` followed by 36 zeros is 5 with 28 places, since
/// only significant digits need to be held.
///
/// # Errors
/// When the text is not a number, or its value cannot be held exactly: more than 28
/// significant digits (29 below 2^96), beyond ±79228162514264337593543950335, or more than
/// 28 decimal places that are not zeros.
pub fn parse_decimal(text: &str) -> Result<Decimal, String> {
    // Nearly every number: the library's parser, which refuses rather than rounds.
    if !text.contains(['e', 'E'])
        && let Ok(d) = Decimal::from_str_exact(text)
    {
        return Ok(d);
    }
    parse_decimal_slowly(text)
}

/// [`parse_decimal`] of exponents (`Decimal::from_scientific` rounds a long mantissa), and
/// of what is beyond the library's parser: more than 28 places, or trailing zeros beyond 96
/// bits. Kept apart, so that the common case stays small.
#[cold]
#[inline(never)]
fn parse_decimal_slowly(text: &str) -> Result<Decimal, String> {
    let parts =
        NumberParts::of(text).ok_or_else(|| format!("{} is not a decimal number", shown(text)))?;
    parts
        .decimal()
        .map_err(|why| format!("number {} cannot be held exactly: {why}", shown(text)))
}

/// A number's text cut short for a message (a number may have thousands of digits).
fn shown(text: &str) -> std::borrow::Cow<'_, str> {
    const KEEP: usize = 40;
    match text.char_indices().nth(KEEP) {
        None => text.into(),
        Some((end, _)) => format!("{}… ({} characters)", &text[..end], text.chars().count()).into(),
    }
}

/// A decimal number's text taken apart: `-` `int` `.` `frac` `e` `exp`.
struct NumberParts<'a> {
    negative: bool,
    int: &'a [u8],
    frac: &'a [u8],
    /// The exponent, capped at ±10^12 (far beyond any value a decimal holds, and small
    /// enough that sums of it with lengths of text cannot overflow).
    exp: i64,
}

impl<'a> NumberParts<'a> {
    /// Reads `[+-]digits[.digits][(e|E)[+-]digits]` (the JSON syntax, also with a `+`
    /// sign, a leading or trailing point, or leading zeros); `None` for anything else.
    fn of(text: &'a str) -> Option<Self> {
        const EXP_CAP: i64 = 1_000_000_000_000;
        let b = text.as_bytes();
        let digits =
            |from: usize| from + b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
        let (negative, start) = match b.first() {
            Some(b'-') => (true, 1),
            Some(b'+') => (false, 1),
            _ => (false, 0),
        };
        let int_end = digits(start);
        let (frac, mut i) = if b.get(int_end) == Some(&b'.') {
            let end = digits(int_end + 1);
            (&b[int_end + 1..end], end)
        } else {
            (&b[int_end..int_end], int_end)
        };
        let int = &b[start..int_end];
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        let mut exp = 0i64;
        if matches!(b.get(i), Some(b'e' | b'E')) {
            let sign = match b.get(i + 1) {
                Some(b'-') => -1,
                Some(b'+') => {
                    i += 1;
                    1
                }
                _ => 1,
            };
            if sign < 0 {
                i += 1;
            }
            let end = digits(i + 1);
            if end == i + 1 {
                return None;
            }
            for &c in &b[i + 1..end] {
                exp = (exp * 10 + i64::from(c - b'0')).min(EXP_CAP);
            }
            exp *= sign;
            i = end;
        }
        (i == b.len()).then_some(Self {
            negative,
            int,
            frac,
            exp,
        })
    }

    /// The power of ten of the first significant digit (`None` for zero): 2 for `123.4`,
    /// −2 for `0.012`, 400 for `1e400`.
    fn magnitude(&self) -> Option<i64> {
        let digits = self.int.iter().chain(self.frac);
        let leading = digits.clone().take_while(|&&c| c == b'0').count();
        let total = self.int.len() + self.frac.len();
        (leading < total).then(|| {
            #[allow(clippy::cast_possible_wrap)] // lengths of a text in memory
            let before_point = self.int.len() as i64 - leading as i64;
            before_point - 1 + self.exp
        })
    }

    /// The exact decimal, with as many of the written decimal places as fit; the reason
    /// when it cannot be held.
    fn decimal(&self) -> Result<Decimal, &'static str> {
        let all = || self.int.iter().chain(self.frac).copied();
        let leading = all().take_while(|&c| c == b'0').count();
        let total = self.int.len() + self.frac.len();
        #[allow(clippy::cast_possible_wrap)] // lengths of a text in memory
        let written_scale = self.frac.len() as i64 - self.exp;
        let mut d = if leading == total {
            // Zero, with the places written (at most 28).
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // 0..=28
            Decimal::new(0, written_scale.clamp(0, MAX_SCALE) as u32)
        } else {
            // The value is `core × 10^(trailing − written_scale)`, `core` being the
            // significant digits without their trailing zeros.
            let significant = &all().skip(leading).collect::<Vec<u8>>();
            let trailing = significant.iter().rev().take_while(|&&c| c == b'0').count();
            let core = &significant[..significant.len() - trailing];
            #[allow(clippy::cast_possible_wrap)]
            let lowest = written_scale - trailing as i64;
            // The smallest scale that holds the value, and the one written.
            let least = lowest.max(0);
            if least > MAX_SCALE {
                return Err("it has more than 28 decimal places");
            }
            if core.len() > 29 {
                return Err(if least == 0 {
                    "it is beyond ±79228162514264337593543950335"
                } else {
                    "it has more than 28 significant digits"
                });
            }
            let core_value = core
                .iter()
                .fold(0u128, |v, &c| v * 10 + u128::from(c - b'0'));
            let mantissa = |scale: i64| {
                u32::try_from(scale - lowest)
                    .ok()
                    .and_then(|zeros| 10u128.checked_pow(zeros))
                    .and_then(|p| core_value.checked_mul(p))
                    .filter(|&m| m <= MAX_MANTISSA)
            };
            let fits = (least..=written_scale.clamp(least, MAX_SCALE))
                .rev()
                .find_map(|scale| mantissa(scale).map(|m| (m, scale)));
            let Some((m, scale)) = fits else {
                return Err(if least == 0 {
                    "it is beyond ±79228162514264337593543950335"
                } else {
                    "it has more than 28 significant digits"
                });
            };
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // 0..=28
            let scale = scale as u32;
            #[allow(clippy::cast_possible_wrap)] // at most 2^96 − 1
            Decimal::from_i128_with_scale(m as i128, scale)
        };
        d.set_sign_negative(self.negative);
        Ok(d)
    }
}

/// A copy of the JSON `text` in which every number of magnitude 10^300 or more (outside
/// strings) is written `1e0…0300` (or `-1e0…0300`) with as many characters, so that every
/// position in the text stays the same; `None` when there is none.
///
/// `serde_json` refuses a number beyond the range of `f64` (`1e400`), which is valid JSON.
/// For the JSON Schema validator, which reads the document as a `serde_json::Value`, such a
/// number is the same as 1e300: a number, and a whole one. (Messages quote the number from
/// the original text; the typed parse says whether a decimal can hold it.)
#[must_use]
pub fn tame_huge_numbers(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let mut out: Option<Vec<u8>> = None;
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'"' => {
                // To the closing quote, over escapes.
                i += 1;
                while let Some(&c) = b.get(i) {
                    i += if c == b'\\' { 2 } else { 1 };
                    if c == b'"' {
                        break;
                    }
                }
            }
            b'-' | b'0'..=b'9' => {
                let len = b[i..]
                    .iter()
                    .take_while(|c| matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                    .count();
                let token = &text[i..i + len];
                let huge = NumberParts::of(token)
                    .and_then(|p| p.magnitude())
                    .is_some_and(|m| m >= 300);
                let sign = usize::from(token.starts_with('-'));
                if huge && len >= sign + 5 {
                    let out = out.get_or_insert_with(|| b.to_vec());
                    let tame = format!(
                        "{}1e{}300",
                        if sign == 1 { "-" } else { "" },
                        "0".repeat(len - sign - 5)
                    );
                    out[i..i + len].copy_from_slice(tame.as_bytes());
                }
                i += len;
            }
            _ => i += 1,
        }
    }
    out.map(|v| String::from_utf8(v).expect("ASCII replaced by ASCII"))
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
        _ => Err(not_a_number(text, nullable)),
    }
}

#[cold]
#[inline(never)]
fn not_a_number<E: Error>(text: &str, nullable: bool) -> E {
    E::custom(format!(
        "invalid type: {}, expected a number{}",
        shown(text),
        if nullable { " or null" } else { "" }
    ))
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
    #[must_use]
    pub fn number(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "number" })
    }
    /// A JSON number or `null`.
    #[must_use]
    pub fn opt_number(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": ["number", "null"] })
    }
    /// A required whole number.
    #[must_use]
    pub fn integer(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "integer" })
    }
    /// A whole number or `null`.
    #[must_use]
    pub fn opt_integer(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": ["integer", "null"] })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
        let e = parse_decimal("1e400").unwrap_err();
        assert_eq!(
            e,
            "number 1e400 cannot be held exactly: it is beyond ±79228162514264337593543950335"
        );
        let e = parse_decimal("1.00000000000000000000000000001").unwrap_err();
        assert!(e.ends_with("it has more than 28 decimal places"), "{e}");
        let e = parse_decimal("12345678901.1234567890123456789").unwrap_err();
        assert!(e.ends_with("it has more than 28 significant digits"), "{e}");
        // A number of a thousand digits is cut short in the message.
        let long = format!("1{}", "0".repeat(1000));
        let e = parse_decimal(&long).unwrap_err();
        assert!(
            e.starts_with(&format!(
                "number 1{}… (1001 characters) cannot",
                "0".repeat(39)
            )),
            "{e}"
        );
        assert!(parse_decimal("1e99999999999999999999999").is_err());
        assert!(
            parse_decimal("abc")
                .unwrap_err()
                .contains("not a decimal number")
        );
        assert!(parse_decimal("1e").is_err());
        assert!(parse_decimal("").is_err());
    }

    /// `Decimal::from_scientific` rounds a mantissa of more than 28 digits: the exponent
    /// form is read exactly, like any other.
    #[test]
    fn exponents_are_read_exactly() {
        assert!(parse_decimal("1.00000000000000000000000000001e0").is_err());
        assert!(parse_decimal("1.00000000000000000000000000001E+1").is_err());
        assert_eq!(parse_decimal("1.5e3").unwrap().to_string(), "1500");
        assert_eq!(parse_decimal("1.50e1").unwrap().to_string(), "15.0");
        assert_eq!(parse_decimal("-2.5e-3").unwrap().to_string(), "-0.0025");
        assert_eq!(parse_decimal("0e400").unwrap(), Decimal::ZERO);
        assert_eq!(
            parse_decimal("1e-28").unwrap().to_string(),
            "0.0000000000000000000000000001"
        );
        assert!(parse_decimal("1e-29").is_err());
        assert_eq!(
            parse_decimal("1e28").unwrap(),
            Decimal::from_i128_with_scale(10i128.pow(28), 0)
        );
    }

    /// Only significant digits count: trailing zeros beyond what 96 bits hold are dropped,
    /// keeping as many of the written places as fit.
    #[test]
    fn trailing_zeros_beyond_28_places_are_accepted() {
        let five = parse_decimal("5.000000000000000000000000000000000000").unwrap();
        assert_eq!(five, Decimal::from(5));
        assert_eq!(five.scale(), 28);
        let fifty = parse_decimal("50.000000000000000000000000000000").unwrap();
        assert_eq!((fifty, fifty.scale()), (Decimal::from(50), 27));
        let zero = parse_decimal("0.000000000000000000000000000000000").unwrap();
        assert_eq!((zero, zero.scale()), (Decimal::ZERO, 28));
        assert_eq!(
            parse_decimal("0.10000000000000000000000000000000")
                .unwrap()
                .to_string(),
            "0.1000000000000000000000000000"
        );
        assert_eq!(parse_count("5.000000000000000000000000000000000000"), Ok(5));
        assert_eq!(parse_count("1e1"), Ok(10));
    }

    fn digits(n: std::ops::Range<usize>) -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(b"0000123456789".to_vec()), n)
            .prop_map(|d| String::from_utf8(d).unwrap())
    }

    /// The exact value of a decimal text: its significant digits without trailing zeros,
    /// and the power of ten of the last one (`("", 0)` for zero).
    fn exact_value(text: &str) -> (String, i64) {
        let p = NumberParts::of(text).unwrap();
        let all: String = p.int.iter().chain(p.frac).map(|&c| char::from(c)).collect();
        let sig = all.trim_start_matches('0');
        let core = sig.trim_end_matches('0');
        if core.is_empty() {
            return (String::new(), 0);
        }
        #[allow(clippy::cast_possible_wrap)]
        let last = (sig.len() - core.len()) as i64 - p.frac.len() as i64 + p.exp;
        (core.to_owned(), last)
    }

    proptest::proptest! {
        /// Whatever the text, an accepted number has exactly the value written, and a number
        /// of at most 28 significant digits, below 10^28 and with at most 28 places that
        /// matter is accepted.
        #[test]
        fn numbers_are_exact_or_refused(
            negative in proptest::bool::ANY,
            int in digits(1..34),
            frac in proptest::option::of(digits(0..34)),
            exp in proptest::option::of(-40i64..40),
        ) {
            let mut text = format!("{}{int}", if negative { "-" } else { "" });
            if let Some(f) = &frac {
                text.push('.');
                text.push_str(f);
                if f.is_empty() { text.push('0'); }
            }
            if let Some(e) = exp {
                text.push_str(&format!("e{e}"));
            }
            let (core, last) = exact_value(&text);
            match parse_decimal(&text) {
                Ok(d) => {
                    prop_assert_eq!(exact_value(&d.to_string()), (core.clone(), last), "{}", text);
                    prop_assert!(d.is_zero() || d.is_sign_negative() == negative);
                }
                Err(e) => {
                    #[allow(clippy::cast_possible_wrap)]
                    let magnitude = last + core.len() as i64;
                    prop_assert!(core.len() > 28 || magnitude > 28 || last < -28, "{}: {}", text, e);
                }
            }
        }
    }

    #[test]
    fn huge_numbers_are_tamed_in_place() {
        let text = r#"{"a": 1e400, "b": "1e400", "c": [-12.5E+0400, 1e299, 1.5], "1e999": 0}"#;
        let tame = tame_huge_numbers(text).unwrap();
        assert_eq!(
            tame,
            r#"{"a": 1e300, "b": "1e400", "c": [-1e00000300, 1e299, 1.5], "1e999": 0}"#
        );
        assert_eq!(tame.len(), text.len());
        assert!(serde_json::from_str::<serde_json::Value>(&tame).is_ok());
        assert_eq!(tame_huge_numbers(r#"{"a": 1e299, "b": "\"1e400"}"#), None);
        let digits = format!("[{}]", "9".repeat(400));
        assert_eq!(
            tame_huge_numbers(&digits).unwrap(),
            format!("[1e{}300]", "0".repeat(395))
        );
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
