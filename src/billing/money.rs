//! Money: THE rounding function, and the [`Money`] type it produces.
//!
//! Every amount on an invoice is a [`Money`]: a decimal already rounded to the rate card's
//! number of decimals by [`round`], with the card's [`RoundingMode`]. Nothing else in the
//! crate rounds money. Sums and differences of `Money` stay exact (they cannot gain
//! decimals), so totals never need a second rounding; a product (quantity × price,
//! amount × percent) is a plain [`Decimal`] until it goes through [`round`] again.

use rust_decimal::{Decimal, RoundingStrategy};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How a value exactly halfway between two representable amounts is rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RoundingMode {
    /// Commercial rounding: halves go away from zero (0.005 → 0.01, −0.005 → −0.01).
    HalfUp,
    /// Banker's rounding: halves go to the even neighbour (0.005 → 0.00, 0.015 → 0.02).
    HalfEven,
}

impl RoundingMode {
    /// The spelling used in the rate card.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::HalfUp => "half-up",
            Self::HalfEven => "half-even",
        }
    }

    const fn strategy(self) -> RoundingStrategy {
        match self {
            Self::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            Self::HalfEven => RoundingStrategy::MidpointNearestEven,
        }
    }
}

impl fmt::Display for RoundingMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The precision and rounding mode of one currency on one rate card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rounding {
    /// Decimals of the currency's minor unit (2 for EUR and USD, 0 for JPY).
    pub decimals: u32,
    /// How halves are rounded.
    pub mode: RoundingMode,
}

/// An amount of money at the precision of its rate card: only [`round`] makes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(Decimal);

/// THE rounding function: rounds `value` to `r.decimals` places with `r.mode`.
///
/// This is the only place in the crate where money is rounded.
#[must_use]
pub fn round(value: Decimal, r: Rounding) -> Money {
    let mut v = value.round_dp_with_strategy(r.decimals, r.mode.strategy());
    // Fewer decimals than the currency's: pad (exact) so every amount shows its cents.
    if v.scale() < r.decimals {
        v.rescale(r.decimals);
    }
    Money(v)
}

impl Money {
    /// Zero at the given precision.
    #[must_use]
    pub fn zero(r: Rounding) -> Self {
        round(Decimal::ZERO, r)
    }

    /// The exact value.
    #[must_use]
    pub const fn value(self) -> Decimal {
        self.0
    }

    /// Whether the amount is zero.
    #[must_use]
    pub const fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    /// Exact sum (both at the same precision, so no rounding is needed); `None` on overflow.
    #[must_use]
    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.0.checked_add(other.0).map(Self)
    }

    /// Exact difference; `None` on overflow.
    #[must_use]
    pub fn checked_sub(self, other: Self) -> Option<Self> {
        self.0.checked_sub(other.0).map(Self)
    }
}

impl fmt::Display for Money {
    /// The amount with exactly its currency's decimals (`374.00`): padding only, never
    /// rounding, since a `Money` is already rounded.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for Money {
    /// As a string (`"374.00"`), so no reader turns it into a binary float.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Exact sum of amounts at precision `r`; `None` on overflow.
#[must_use]
pub fn sum(r: Rounding, amounts: impl IntoIterator<Item = Money>) -> Option<Money> {
    amounts
        .into_iter()
        .try_fold(Money::zero(r), Money::checked_add)
}

/// `value × percent / 100`, exact (rounding is the caller's, through [`round`]); `None` on
/// overflow.
#[must_use]
pub fn percent_of(value: Decimal, percent: Decimal) -> Option<Decimal> {
    value
        .checked_mul(percent)
        .and_then(|v| v.checked_div(Decimal::ONE_HUNDRED))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::str::FromStr;

    /// A decimal from its text (test input).
    pub(crate) fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    /// Cents, half-up.
    pub(crate) const UP: Rounding = Rounding {
        decimals: 2,
        mode: RoundingMode::HalfUp,
    };
    /// Cents, half-even.
    pub(crate) const EVEN: Rounding = Rounding {
        decimals: 2,
        mode: RoundingMode::HalfEven,
    };

    #[test]
    fn half_a_cent_in_both_modes() {
        assert_eq!(round(d("0.005"), UP).to_string(), "0.01");
        assert_eq!(round(d("0.005"), EVEN).to_string(), "0.00");
        assert_eq!(round(d("0.015"), UP).to_string(), "0.02");
        assert_eq!(round(d("0.015"), EVEN).to_string(), "0.02");
        assert_eq!(round(d("0.025"), UP).to_string(), "0.03");
        assert_eq!(round(d("0.025"), EVEN).to_string(), "0.02");
        assert_eq!(round(d("-0.005"), UP).to_string(), "-0.01");
        assert_eq!(round(d("-0.005"), EVEN).to_string(), "0.00");
        // Just under and over the half are not ties.
        assert_eq!(round(d("0.0049999"), UP).to_string(), "0.00");
        assert_eq!(round(d("0.0050001"), EVEN).to_string(), "0.01");
    }

    #[test]
    fn amounts_show_their_cents() {
        assert_eq!(round(d("374"), UP).to_string(), "374.00");
        assert_eq!(round(d("1.5"), UP).to_string(), "1.50");
        let yen = Rounding {
            decimals: 0,
            mode: RoundingMode::HalfEven,
        };
        assert_eq!(round(d("2.5"), yen).to_string(), "2");
        assert_eq!(round(d("3.5"), yen).to_string(), "4");
        assert_eq!(Money::zero(UP).to_string(), "0.00");
    }

    #[test]
    fn sums_stay_at_precision() {
        let a = round(d("0.10"), UP);
        let b = round(d("0.20"), UP);
        assert_eq!(a.checked_add(b).unwrap().to_string(), "0.30");
        assert_eq!(b.checked_sub(a).unwrap().to_string(), "0.10");
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"0.10\"");
    }

    #[test]
    fn percent_is_exact() {
        assert_eq!(percent_of(d("400"), d("15")).unwrap(), d("60"));
        assert_eq!(percent_of(d("340"), d("10")).unwrap(), d("34"));
        assert_eq!(percent_of(d("0.05"), d("10")).unwrap(), d("0.005"));
        assert!(percent_of(Decimal::MAX, d("200")).is_none());
    }
}
