//! Invoice number patterns: placeholders parsed, numbers rendered.

use super::card::RateCard;

/// The default invoice number pattern.
pub const DEFAULT_INVOICE_NUMBER: &str = "{period}-{seq:04}";

/// The longest invoice number pattern, in characters.
pub(super) const MAX_NUMBER_PATTERN: usize = 64;

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
pub fn render_number(parts: &[NumberPart], year: i32, month: u32, seq: usize) -> String {
    let mut s = String::new();
    for p in parts {
        match p {
            NumberPart::Literal(l) => s.push_str(l),
            NumberPart::Period => s.push_str(&format!("{year:04}-{month:02}")),
            NumberPart::Year => s.push_str(&format!("{year:04}")),
            NumberPart::Month => s.push_str(&format!("{month:02}")),
            NumberPart::Seq { width } => s.push_str(&format!("{seq:0width$}")),
        }
    }
    s
}

impl RateCard {
    /// The invoice number pattern, parsed (checked by [`Self::check`]).
    #[must_use]
    pub fn number_parts(&self) -> Vec<NumberPart> {
        parse_number_pattern(&self.invoice_number)
            .unwrap_or_else(|_| parse_number_pattern(DEFAULT_INVOICE_NUMBER).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invoice_number_patterns() {
        let parts = parse_number_pattern("INV-{year}{month}-{seq:05}").unwrap();
        assert_eq!(render_number(&parts, 2026, 3, 7), "INV-202603-00007");
        let parts = parse_number_pattern("{period}-{seq}").unwrap();
        assert_eq!(render_number(&parts, 2026, 10, 12), "2026-10-12");
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
}
