//! Invoice numbers: the card's pattern, the series it gives, and who hands out the next
//! number of a series ([`Numbering`]: ranks within one run, or the register of issued
//! invoices, [`crate::register`]).
//!
//! A pattern's **series** is the pattern with the period filled in and the sequence left
//! open: `{period}-{seq:04}` gives one series per month (`2026-10-{seq}`), `INV-{year}-{seq}`
//! one per year, `INV-{seq:05}` one continuous series. `{seq}` counts within its series,
//! from the card's `invoice_start` (1 by default).

use super::invoice::{Invoice, Period};
use super::rates::RateCard;

/// The default invoice number pattern.
pub const DEFAULT_INVOICE_NUMBER: &str = "{period}-{seq:04}";

/// Longest invoice number pattern, in characters.
pub(crate) const MAX_NUMBER_PATTERN: usize = 64;

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
    /// `{seq}` or `{seq:0N}`: the rank in the series, zero-padded to `width` digits.
    Seq {
        /// Minimum digits.
        width: usize,
    },
}

/// Parses an invoice number pattern.
///
/// # Errors
/// When a placeholder is unknown, a character is not allowed, or `{seq}` is missing.
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
                    Some(w) if w.len() == 1 && w.bytes().all(|b| b.is_ascii_digit()) => {
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
    let seqs = parts
        .iter()
        .filter(|p| matches!(p, NumberPart::Seq { .. }))
        .count();
    if seqs != 1 {
        return Err(if seqs == 0 {
            "the pattern needs {seq} (or {seq:04}) so that numbers are unique".into()
        } else {
            "the pattern has {seq} more than once".into()
        });
    }
    if parts.contains(&NumberPart::Month) && !parts.contains(&NumberPart::Year) {
        return Err(
            "{month} without {year} would give January of every year the same series; add {year} or use {period}"
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

/// Renders an invoice number; with `seq` `None`, the series (`{seq}` left as is).
fn render(parts: &[NumberPart], period: Period, seq: Option<u64>) -> String {
    let Period { year, month } = period;
    let mut s = String::new();
    for p in parts {
        match p {
            NumberPart::Literal(l) => s.push_str(l),
            NumberPart::Period => s.push_str(&format!("{year:04}-{month:02}")),
            NumberPart::Year => s.push_str(&format!("{year:04}")),
            NumberPart::Month => s.push_str(&format!("{month:02}")),
            NumberPart::Seq { width } => match seq {
                Some(n) => s.push_str(&format!("{n:0width$}")),
                None => s.push_str("{seq}"),
            },
        }
    }
    s
}

/// An invoice number.
#[must_use]
pub fn render_number(parts: &[NumberPart], period: Period, seq: u64) -> String {
    render(parts, period, Some(seq))
}

/// The series of the invoices of `period`: the number with `{seq}` left open.
#[must_use]
pub fn series_of(parts: &[NumberPart], period: Period) -> String {
    render(parts, period, None)
}

impl RateCard {
    /// The invoice number pattern, parsed (checked by [`Self::check`]).
    #[must_use]
    pub fn number_parts(&self) -> Vec<NumberPart> {
        parse_number_pattern(&self.invoice_number)
            .unwrap_or_else(|_| parse_number_pattern(DEFAULT_INVOICE_NUMBER).unwrap_or_default())
    }
}

/// Who numbers a run's invoices.
pub trait Numbering: Send {
    /// Numbers one period's invoices, given in numbering order
    /// ([`super::ledger::numbering_key`]). Returns documents to issue besides them (credit
    /// notes of corrected invoices), numbered too.
    ///
    /// # Errors
    /// What stops the run (an invoice that differs from the one issued, a register that
    /// cannot be read or written).
    fn number(&mut self, invoices: &mut [Invoice]) -> Result<Vec<Invoice>, String>;
}

/// Numbers by rank within the run, each series from the card's `invoice_start`: the
/// numbering of a run without a register (the same inputs give the same numbers, but
/// another run may give them to other invoices).
#[derive(Debug)]
pub struct Ranks {
    parts: Vec<NumberPart>,
    start: u64,
    next: std::collections::HashMap<String, u64>,
}

impl Ranks {
    /// Ranks with the card's pattern and start.
    #[must_use]
    pub fn new(card: &RateCard) -> Self {
        Self {
            parts: card.number_parts(),
            start: card.invoice_start,
            next: std::collections::HashMap::new(),
        }
    }
}

impl Numbering for Ranks {
    fn number(&mut self, invoices: &mut [Invoice]) -> Result<Vec<Invoice>, String> {
        for inv in invoices {
            let next = self
                .next
                .entry(series_of(&self.parts, inv.period))
                .or_insert(self.start);
            inv.number = render_number(&self.parts, inv.period, *next);
            *next = next
                .checked_add(1)
                .ok_or("the invoice sequence is exhausted")?;
        }
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(year: i32, month: u32) -> Period {
        Period { year, month }
    }

    #[test]
    fn patterns_and_their_series() {
        let parts = parse_number_pattern("INV-{year}{month}-{seq:05}").unwrap();
        assert_eq!(render_number(&parts, p(2026, 3), 7), "INV-202603-00007");
        assert_eq!(series_of(&parts, p(2026, 3)), "INV-202603-{seq}");
        let parts = parse_number_pattern("{period}-{seq}").unwrap();
        assert_eq!(render_number(&parts, p(2026, 10), 12), "2026-10-12");
        let parts = parse_number_pattern("INV-{seq:05}").unwrap();
        assert_eq!(render_number(&parts, p(2026, 10), 1234), "INV-01234");
        assert_eq!(
            series_of(&parts, p(2026, 10)),
            series_of(&parts, p(2027, 1))
        );
        let parts = parse_number_pattern("{year}-{seq}").unwrap();
        assert_eq!(
            series_of(&parts, p(2026, 1)),
            series_of(&parts, p(2026, 12))
        );
        assert_ne!(series_of(&parts, p(2026, 1)), series_of(&parts, p(2027, 1)));
        let err = |s: &str| parse_number_pattern(s).unwrap_err();
        assert!(err("{period}").contains("{seq}"));
        assert!(err("{seq}-{seq}").contains("more than once"));
        assert!(err("{month}-{seq}").contains("{year}"));
        assert!(err("{period}/{seq}").contains("not allowed"));
        assert!(err("{period}-{sequence}").contains("unknown placeholder"));
        assert!(err("{period}-{seq").contains("not closed"));
        assert!(err("-{seq}").contains("must start"));
    }
}
