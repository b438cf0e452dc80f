//! Vendor dates: `YYYY-MM-DD` or the .NET round-trip form
//! `2020-02-01T00:00:00.0000000-08:00`.
//!
//! A date keeps the text the vendor wrote and the parts read from it. Parsing checks the
//! *shape* only (the same shape as the `pattern` in the generated JSON Schema), so an
//! impossible calendar date such as `2020-02-31` still loads; [`DateParts::calendar_error`]
//! tells the audit what is wrong with it.

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;

/// The regular expression of the accepted shape, as written into the JSON Schema.
/// [`DateParts::parse`] accepts exactly the strings this pattern matches.
pub const DATE_PATTERN: &str = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?$";

/// A date as the vendor wrote it, with its parsed parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VspcDate {
    /// The original text.
    pub text: String,
    /// The parts read from the text.
    pub parts: DateParts,
}

/// The fields of a date; values are as written, not yet checked against the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateParts {
    /// Year, four digits.
    pub year: i32,
    /// Month as written (1 to 12 when valid).
    pub month: u32,
    /// Day as written.
    pub day: u32,
    /// Time of day, when the text has one.
    pub time: Option<TimeParts>,
}

/// The time part of a date-time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeParts {
    /// Hour as written.
    pub hour: u32,
    /// Minute as written.
    pub minute: u32,
    /// Second as written (0 when absent).
    pub second: u32,
    /// Fraction of a second in nanoseconds.
    pub nanos: u32,
    /// Offset from UTC in minutes; `None` for a local time without offset.
    pub offset_minutes: Option<i32>,
}

/// Whether `year` is a Gregorian leap year.
#[must_use]
pub const fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Number of days in `month` of `year`; 0 for a month outside 1..=12.
#[must_use]
pub const fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// A calendar month, `YYYY-MM`: the period of a monthly report and of its invoices, the
/// range of a dated weight rule. Ordered by time (year, then month). The month is as
/// written, so that a vendor's month 13 can be held and reported; [`Month::is_real`] says
/// whether it exists, and the arithmetic is meant for real months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    /// Year.
    pub year: i32,
    /// Month, 1 to 12 when real.
    pub month: u32,
}

impl Month {
    /// The month `month` of `year`.
    #[must_use]
    pub const fn new(year: i32, month: u32) -> Self {
        Self { year, month }
    }

    /// The month of a date (as written: see [`Month::is_real`]).
    #[must_use]
    pub const fn of(date: &DateParts) -> Self {
        Self::new(date.year, date.month)
    }

    /// Whether the month exists (1 to 12).
    #[must_use]
    pub const fn is_real(self) -> bool {
        self.month >= 1 && self.month <= 12
    }

    /// The month after this one.
    #[must_use]
    pub const fn next(self) -> Self {
        if self.month >= 12 {
            Self::new(self.year + 1, 1)
        } else {
            Self::new(self.year, self.month + 1)
        }
    }

    /// The month before this one.
    #[must_use]
    pub const fn previous(self) -> Self {
        if self.month <= 1 {
            Self::new(self.year - 1, 12)
        } else {
            Self::new(self.year, self.month - 1)
        }
    }

    /// The month `n` months after this one; `None` beyond the years an `i32` holds.
    #[must_use]
    pub fn plus(self, n: usize) -> Option<Self> {
        let index = i64::from(self.year) * 12 + i64::from(self.month) - 1;
        let index = index.checked_add(i64::try_from(n).ok()?)?;
        Some(Self::new(
            i32::try_from(index.div_euclid(12)).ok()?,
            u32::try_from(index.rem_euclid(12)).ok()? + 1,
        ))
    }

    /// Number of days of the month (0 for a month that does not exist).
    #[must_use]
    pub const fn days(self) -> u32 {
        days_in_month(self.year, self.month)
    }

    /// Parses `YYYY-MM` (four digits, two digits, a real month).
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        let (y, m) = s.split_once('-')?;
        if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(Self::new(y.parse().ok()?, m.parse().ok()?)).filter(|m| m.is_real())
    }
}

impl fmt::Display for Month {
    /// `YYYY-MM`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Serialize for Month {
    /// As [`fmt::Display`] writes it: `"2026-10"`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, n: usize) -> Option<u32> {
        let s = self.b.get(self.i..self.i + n)?;
        if !s.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.i += n;
        Some(s.iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0')))
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
}

impl DateParts {
    /// Reads the parts of a date in one of the accepted shapes ([`DATE_PATTERN`]).
    ///
    /// # Errors
    /// When the text does not have that shape; the message says what was expected.
    pub fn parse(text: &str) -> Result<Self, String> {
        Self::parse_inner(text).ok_or_else(|| {
            format!(
                "{text:?} is not a date: expected YYYY-MM-DD or YYYY-MM-DDThh:mm:ss[.fffffff][Z|±hh:mm]"
            )
        })
    }

    fn parse_inner(text: &str) -> Option<Self> {
        let mut c = Cursor {
            b: text.as_bytes(),
            i: 0,
        };
        let year = i32::try_from(c.digits(4)?).ok()?;
        if !c.eat(b'-') {
            return None;
        }
        let month = c.digits(2)?;
        if !c.eat(b'-') {
            return None;
        }
        let day = c.digits(2)?;
        let mut time = None;
        if c.eat(b'T') {
            let hour = c.digits(2)?;
            if !c.eat(b':') {
                return None;
            }
            let minute = c.digits(2)?;
            let mut second = 0;
            let mut nanos = 0;
            if c.eat(b':') {
                second = c.digits(2)?;
                if c.eat(b'.') {
                    let start = c.i;
                    while c.peek().is_some_and(|b| b.is_ascii_digit()) {
                        c.i += 1;
                    }
                    let frac = &c.b[start..c.i];
                    if frac.is_empty() || frac.len() > 9 {
                        return None;
                    }
                    let mut n = frac
                        .iter()
                        .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
                    for _ in frac.len()..9 {
                        n *= 10;
                    }
                    nanos = n;
                }
            }
            let offset_minutes = match c.peek() {
                Some(b'Z') => {
                    c.i += 1;
                    Some(0)
                }
                Some(sign @ (b'+' | b'-')) => {
                    c.i += 1;
                    let h = c.digits(2)?;
                    if !c.eat(b':') {
                        return None;
                    }
                    let m = c.digits(2)?;
                    let total = i32::try_from(h * 60 + m).ok()?;
                    Some(if sign == b'-' { -total } else { total })
                }
                _ => None,
            };
            time = Some(TimeParts {
                hour,
                minute,
                second,
                nanos,
                offset_minutes,
            });
        }
        (c.i == c.b.len()).then_some(Self {
            year,
            month,
            day,
            time,
        })
    }

    /// What makes this date impossible on the calendar, if anything.
    #[must_use]
    pub fn calendar_error(&self) -> Option<String> {
        if !(1..=12).contains(&self.month) {
            return Some(format!("month {:02} does not exist", self.month));
        }
        let last = days_in_month(self.year, self.month);
        if self.day == 0 || self.day > last {
            return Some(format!(
                "day {:02} does not exist in {:04}-{:02}, which has {last} days",
                self.day, self.year, self.month
            ));
        }
        if let Some(t) = self.time {
            if t.hour > 23 || t.minute > 59 || t.second > 59 {
                return Some(format!(
                    "time {:02}:{:02}:{:02} does not exist",
                    t.hour, t.minute, t.second
                ));
            }
            if let Some(off) = t.offset_minutes
                && (off.abs() > 14 * 60)
            {
                return Some(format!("offset of {off} minutes is beyond ±14:00"));
            }
        }
        None
    }

    /// The last valid day of this date's month, when the month exists: the likely
    /// intended date for a day past the month's end (`2020-02-31` → `2020-02-29`).
    #[must_use]
    pub fn clamped_to_month(&self) -> Option<Self> {
        let last = days_in_month(self.year, self.month);
        // `then`, not `then_some`: the clamp must not run for a month that does not exist.
        (last > 0).then(|| Self {
            day: self.day.clamp(1, last),
            ..*self
        })
    }

    /// `(year, month, day)` as a sortable key.
    #[must_use]
    pub const fn ymd(&self) -> (i32, u32, u32) {
        (self.year, self.month, self.day)
    }

    /// The date part as `YYYY-MM-DD`.
    #[must_use]
    pub fn date_string(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl fmt::Display for VspcDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl VspcDate {
    /// Parses a date, keeping its text.
    ///
    /// # Errors
    /// See [`DateParts::parse`].
    pub fn parse(text: &str) -> Result<Self, String> {
        DateParts::parse(text).map(|parts| Self {
            text: text.to_owned(),
            parts,
        })
    }
}

impl<'de> Deserialize<'de> for VspcDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Cow::<str>::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl Serialize for VspcDate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl JsonSchema for VspcDate {
    fn schema_name() -> Cow<'static, str> {
        "VspcDate".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A date (YYYY-MM-DD) or a .NET round-trip date-time (2020-02-01T00:00:00.0000000-08:00). The shape is checked here; whether the day exists on the calendar is an audit finding.",
            "type": "string",
            "pattern": DATE_PATTERN,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_date() {
        let d = DateParts::parse("2020-02-29").unwrap();
        assert_eq!(d.ymd(), (2020, 2, 29));
        assert!(d.time.is_none());
        assert!(d.calendar_error().is_none());
    }

    #[test]
    fn dotnet_round_trip_with_offsets() {
        let d = DateParts::parse("2020-02-01T00:00:00.0000000-08:00").unwrap();
        assert_eq!(d.ymd(), (2020, 2, 1));
        let t = d.time.unwrap();
        assert_eq!(t.offset_minutes, Some(-480));
        assert_eq!(t.nanos, 0);
        let d = DateParts::parse("2021-03-31T23:59:59.1234567+05:30").unwrap();
        let t = d.time.unwrap();
        assert_eq!(t.offset_minutes, Some(330));
        assert_eq!(t.nanos, 123_456_700);
        let d = DateParts::parse("2021-03-31T10:00:00Z").unwrap();
        assert_eq!(d.time.unwrap().offset_minutes, Some(0));
        let d = DateParts::parse("2021-03-31T10:00").unwrap();
        assert_eq!(d.time.unwrap().offset_minutes, None);
    }

    #[test]
    fn impossible_date_loads_and_is_flagged() {
        let d = DateParts::parse("2020-02-31T00:00:00.0000000-07:00").unwrap();
        let msg = d.calendar_error().unwrap();
        assert!(msg.contains("day 31 does not exist in 2020-02"), "{msg}");
        assert_eq!(d.clamped_to_month().unwrap().date_string(), "2020-02-29");
        let d = DateParts::parse("2019-02-29").unwrap();
        assert!(d.calendar_error().is_some());
        assert_eq!(d.clamped_to_month().unwrap().date_string(), "2019-02-28");
        assert!(
            DateParts::parse("2020-13-01")
                .unwrap()
                .calendar_error()
                .is_some()
        );
        assert!(
            DateParts::parse("2020-13-31")
                .unwrap()
                .clamped_to_month()
                .is_none()
        );
        assert!(
            DateParts::parse("2020-04-00")
                .unwrap()
                .calendar_error()
                .is_some()
        );
        assert!(
            DateParts::parse("2020-04-01T24:00:00")
                .unwrap()
                .calendar_error()
                .is_some()
        );
        assert!(
            DateParts::parse("2000-02-29")
                .unwrap()
                .calendar_error()
                .is_none()
        );
        assert!(
            DateParts::parse("1900-02-29")
                .unwrap()
                .calendar_error()
                .is_some()
        );
    }

    #[test]
    fn wrong_shapes_are_rejected() {
        for bad in [
            "",
            "2020-2-01",
            "20-02-01",
            "2020/02/01",
            "2020-02-01T",
            "2020-02-01 00:00:00",
            "2020-02-01T00:00:00.",
            "2020-02-01T00:00:00.1234567890",
            "2020-02-01T00:00:00-0800",
            "2020-02-01T00:00:00+08",
            "2020-02-01x",
            "yesterday",
        ] {
            assert!(DateParts::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn months_count_parse_and_print() {
        let m = Month::new(2025, 12);
        assert_eq!(m.next(), Month::new(2026, 1));
        assert_eq!(Month::new(2026, 1).previous(), m);
        assert_eq!(m.next().previous(), m);
        assert_eq!(Month::new(2026, 2).days(), 28);
        assert_eq!(m.plus(13), Some(Month::new(2027, 1)));
        assert_eq!(Month::new(i32::MAX, 12).plus(1), None);
        assert!(Month::new(2025, 1) < Month::new(2025, 2) && m < Month::new(2026, 1));
        assert_eq!(m.to_string(), "2025-12");
        assert_eq!(Month::new(7, 3).to_string(), "0007-03");
        assert_eq!(serde_json::to_string(&m).unwrap(), "\"2025-12\"");
        assert_eq!(Month::parse("2025-12"), Some(m));
        for bad in [
            "2025-13", "2025-00", "2025-1", "25-01", "2025", "2025-1a", "+025-01",
        ] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
        assert!(!Month::new(2025, 13).is_real());
    }
}
