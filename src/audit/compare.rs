//! The one rule that decides whether a reported number agrees with the recomputed one.
//!
//! Every check in the audit compares through [`Rule::agrees`]; nothing else decides.
//!
//! **Exact, at the precision the vendor wrote.** The recomputed value (`expected`) is exact
//! ([`Decimal`] arithmetic on the numbers as written). The reported value (`found`) is
//! compared:
//!
//! 1. exactly when it is written with at least as many decimals as the exact recomputed
//!    value needs (trailing zeros do not count: `3.3` equals a computed `3.30`, and `85.0`
//!    equals `85`);
//! 2. at its own precision when it is written with fewer decimals (1 or more): the
//!    recomputed value is rounded to that many decimals, **half away from zero** (the rule
//!    of .NET's `ToString("0.##")` formatting, which the console is built on), so `0.3`
//!    agrees with a computed `0.33`, and `0.4` with `0.35`, but `0.3` does not with `0.36`;
//! 3. exactly when it is written **without decimals** (`5`): the vendor's own exports
//!    always carry a decimal point (`5.0`), so a bare integer comes from a tool that
//!    re-wrote the file and dropped trailing zeros, not from rounding; treating it as
//!    rounded to whole points would hide real differences (4.6 reported as `5`).
//!
//! With `--tolerance X` the rule is replaced by `|expected − found| ≤ X`.
//!
//! When a value does not agree, [`rounded_up`] tells whether it is the recomputed value
//! rounded **up** (to whole points or to the decimals written): Veeam's portal rounds
//! non-integer point totals up, and the finding says so.

use rust_decimal::{Decimal, RoundingStrategy};

/// How values are compared: the precision rule, or a tolerance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rule {
    /// `Some(x)`: agree when `|expected − found| ≤ x`, overriding the precision rule.
    pub tolerance: Option<Decimal>,
}

/// The rounding used when a reported value is compared at its own precision.
pub const ROUNDING: RoundingStrategy = RoundingStrategy::MidpointAwayFromZero;

/// Number of decimals a value needs (its scale without trailing zeros).
fn needed_decimals(d: Decimal) -> u32 {
    d.normalize().scale()
}

impl Rule {
    /// Whether `found` (as reported) agrees with `expected` (recomputed, exact).
    #[must_use]
    pub fn agrees(self, expected: Decimal, found: Decimal) -> bool {
        // Equal values agree under every rule (a tolerance is never negative).
        if expected == found {
            return true;
        }
        if let Some(t) = self.tolerance {
            return match expected.checked_sub(found) {
                Some(diff) => diff.abs() <= t,
                None => false,
            };
        }
        let written = found.scale();
        if written == 0 || written >= needed_decimals(expected) {
            expected == found
        } else {
            expected.round_dp_with_strategy(written, ROUNDING) == found
        }
    }
}

/// Whether `found` is `expected` rounded up, to whole points or to the decimals `found` is
/// written with (and not `expected` itself).
#[must_use]
pub fn rounded_up(expected: Decimal, found: Decimal) -> bool {
    if expected == found {
        return false;
    }
    found == expected.ceil()
        || found
            == expected.round_dp_with_strategy(found.scale(), RoundingStrategy::ToPositiveInfinity)
}

/// The recomputed value as shown in findings: exact, without trailing zeros beyond those of
/// the reported value (`85.0` next to a reported `90.0`, `0.33` next to `0.3`).
#[must_use]
pub fn show_expected(expected: Decimal, found: Decimal) -> String {
    let mut e = expected.normalize();
    let s = found.scale();
    if s > e.scale() {
        e.rescale(s);
    }
    e.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn exact_when_written_with_enough_decimals() {
        let r = Rule::default();
        assert!(r.agrees(d("3.30"), d("3.3")));
        assert!(r.agrees(d("3.3"), d("3.30")));
        assert!(r.agrees(d("85"), d("85.0")));
        assert!(!r.agrees(d("85"), d("85.1")));
        assert!(!r.agrees(d("0.33"), d("0.34")));
        assert!(!r.agrees(d("0.33"), d("0.330001")));
    }

    #[test]
    fn fewer_decimals_compare_at_their_own_precision_half_away_from_zero() {
        let r = Rule::default();
        assert!(r.agrees(d("0.33"), d("0.3")));
        assert!(r.agrees(d("0.35"), d("0.4")));
        assert!(!r.agrees(d("0.35"), d("0.3")));
        assert!(!r.agrees(d("0.36"), d("0.3")));
        assert!(r.agrees(d("-0.35"), d("-0.4")));
        assert!(r.agrees(d("4.96"), d("5.0")));
    }

    #[test]
    fn integers_are_exact() {
        let r = Rule::default();
        assert!(r.agrees(d("5.00"), d("5")));
        assert!(!r.agrees(d("4.6"), d("5")));
        assert!(!r.agrees(d("5.4"), d("5")));
    }

    #[test]
    fn tolerance_overrides_the_precision_rule() {
        let r = Rule {
            tolerance: Some(d("0.5")),
        };
        assert!(r.agrees(d("4.6"), d("5")));
        assert!(r.agrees(d("5.5"), d("5")));
        assert!(!r.agrees(d("5.51"), d("5")));
        let zero = Rule {
            tolerance: Some(Decimal::ZERO),
        };
        assert!(!zero.agrees(d("0.33"), d("0.3")));
        assert!(
            !Rule {
                tolerance: Some(d("1"))
            }
            .agrees(Decimal::MIN, Decimal::MAX)
        );
    }

    #[test]
    fn rounding_up_is_recognised() {
        assert!(rounded_up(d("4.6"), d("5")));
        assert!(rounded_up(d("4.6"), d("5.0")));
        assert!(rounded_up(d("0.331"), d("0.34")));
        assert!(!rounded_up(d("4.6"), d("4")));
        assert!(!rounded_up(d("5"), d("5")));
        assert!(!rounded_up(d("4.6"), d("6")));
    }

    #[test]
    fn expected_is_shown_exactly_with_the_found_decimals() {
        assert_eq!(show_expected(d("85.00"), d("90.0")), "85.0");
        assert_eq!(show_expected(d("0.33"), d("0.3")), "0.33");
        assert_eq!(show_expected(d("5"), d("6")), "5");
        assert_eq!(show_expected(d("3.30"), d("3")), "3.3");
    }
}
