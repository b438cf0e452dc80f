//! Money: THE rounding function, and the [`Money`] type it produces.
//!
//! Every amount on an invoice is a [`Money`]: a decimal already rounded to the rate card's
//! number of decimals by [`round`], with the card's [`RoundingMode`]. Nothing else in the
//! crate rounds money; [`allocate`] spreads an amount over parties in whole minor units.
//! Sums and differences of `Money` stay exact (they cannot gain decimals), so totals never
//! need a second rounding; a product (quantity × price, amount × percent) is held exactly
//! as an [`Exact`] until it goes through [`round`], once.
//!
//! Nothing here rounds or saturates silently: `rust_decimal`'s own `checked_mul` and
//! `checked_add` round when an exact result needs more than 28 digits, so products, sums
//! ([`add`], [`sub`], [`sum`]) and amounts are computed exactly and a value that cannot be
//! held is an [`Overflow`] naming what overflowed, for the caller to refuse.

use rust_decimal::Decimal;
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

/// A value that cannot be computed exactly: it needs more than 28 significant digits, or
/// an amount does not fit at its currency's decimals. Names what overflowed, for messages.
/// Never turned into a zero or a saturated value: the caller refuses what needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflow(pub &'static str);

impl fmt::Display for Overflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} cannot be computed exactly (it needs more than the 28 significant digits of an exact decimal)",
            self.0
        )
    }
}

/// An amount of money at the precision of its rate card: only [`round`] makes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(Decimal);

/// THE rounding function: rounds the exact `value` (a [`Decimal`], or an [`Exact`]
/// product) to `r.decimals` places with `r.mode`, once.
///
/// This is the only place in the crate where money is rounded.
///
/// # Errors
/// [`Overflow`] (naming `what`) when the rounded amount does not fit an exact decimal at
/// `r.decimals` places (more than 28 significant digits).
pub fn round(value: impl Into<Exact>, r: Rounding, what: &'static str) -> Result<Money, Overflow> {
    value
        .into()
        .rounded(r)
        .and_then(Exact::decimal_at_scale)
        .map(Money)
        .ok_or(Overflow(what))
}

impl Money {
    /// Zero at the given precision.
    #[must_use]
    pub fn zero(r: Rounding) -> Self {
        Self(Decimal::new(0, r.decimals.min(Decimal::MAX_SCALE)))
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

    /// Exact sum at the precision of the operands; `None` when it does not fit there.
    #[must_use]
    pub fn checked_add(self, other: Self) -> Option<Self> {
        Exact::from(self.0)
            .plus(Exact::from(other.0))?
            .decimal_at_scale()
            .map(Self)
    }

    /// Exact difference at the precision of the operands; `None` when it does not fit there.
    #[must_use]
    pub fn checked_sub(self, other: Self) -> Option<Self> {
        Exact::from(self.0)
            .plus(Exact::from(other.0).negated())?
            .decimal_at_scale()
            .map(Self)
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

/// Spreads `total` over parties by weight, in whole minor units of its precision (largest
/// remainder): each gets ⌊total × weight ÷ Σ weights⌋ units, and the units left go one
/// each to the largest remainders, then the largest weights, then the smallest keys. The
/// shares add up to `total` exactly. `Ok(None)` when the weights add up to zero (nothing
/// to spread by). Weights are not negative.
///
/// # Errors
/// [`Overflow`] (naming `what`) when a product does not fit 128 bits.
pub fn allocate(
    total: Money,
    weights: &[(Decimal, &str)],
    what: &'static str,
) -> Result<Option<Vec<Money>>, Overflow> {
    let scale = weights.iter().map(|(w, _)| w.scale()).max().unwrap_or(0);
    let ints: Vec<i128> = weights
        .iter()
        .map(|(w, _)| {
            10i128
                .checked_pow(scale - w.scale())
                .and_then(|f| w.mantissa().checked_mul(f))
                .filter(|v| *v >= 0)
                .ok_or(Overflow(what))
        })
        .collect::<Result<_, _>>()?;
    let sum = ints
        .iter()
        .try_fold(0i128, |a, &w| a.checked_add(w))
        .ok_or(Overflow(what))?;
    if sum == 0 {
        return Ok(None);
    }
    let units = total.0.mantissa();
    let magnitude = units.checked_abs().ok_or(Overflow(what))?;
    let mut shares = Vec::with_capacity(ints.len());
    let mut remainders = Vec::with_capacity(ints.len());
    for &w in &ints {
        let n = magnitude.checked_mul(w).ok_or(Overflow(what))?;
        shares.push(n / sum);
        remainders.push(n % sum);
    }
    let given: i128 = shares.iter().sum();
    let mut order: Vec<usize> = (0..ints.len()).collect();
    order.sort_by(|&a, &b| {
        remainders[b]
            .cmp(&remainders[a])
            .then(ints[b].cmp(&ints[a]))
            .then_with(|| weights[a].1.cmp(weights[b].1))
    });
    // Fewer units are left than parties: each remainder is below one unit.
    let left = usize::try_from(magnitude - given).map_err(|_| Overflow(what))?;
    for &i in order.iter().take(left) {
        shares[i] += 1;
    }
    let sign = if units < 0 { -1 } else { 1 };
    shares
        .into_iter()
        .map(|s| {
            Decimal::try_from_i128_with_scale(sign * s, total.0.scale())
                .map(Money)
                .map_err(|_| Overflow(what))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// Exact sum of amounts at precision `r`.
///
/// # Errors
/// [`Overflow`] (naming `what`) when the sum does not fit at that precision.
pub fn sum(
    r: Rounding,
    amounts: impl IntoIterator<Item = Money>,
    what: &'static str,
) -> Result<Money, Overflow> {
    amounts
        .into_iter()
        .try_fold(Money::zero(r), Money::checked_add)
        .ok_or(Overflow(what))
}

/// Exact `a + b` (points, prices): never rounded, unlike [`Decimal::checked_add`], which
/// drops digits when the exact sum needs more than 28.
///
/// # Errors
/// [`Overflow`] (naming `what`) when the exact sum does not fit a [`Decimal`].
pub fn add(a: Decimal, b: Decimal, what: &'static str) -> Result<Decimal, Overflow> {
    Exact::from(a)
        .plus(Exact::from(b))
        .and_then(Exact::to_decimal)
        .ok_or(Overflow(what))
}

/// Exact `a − b`; see [`add`].
///
/// # Errors
/// [`Overflow`] (naming `what`) when the exact difference does not fit a [`Decimal`].
pub fn sub(a: Decimal, b: Decimal, what: &'static str) -> Result<Decimal, Overflow> {
    Exact::from(a)
        .plus(Exact::from(b).negated())
        .and_then(Exact::to_decimal)
        .ok_or(Overflow(what))
}

/// An exact decimal wider than [`Decimal`]: a 256-bit magnitude, a sign and a scale (up to
/// 58 decimals). Products of two decimals and percentages of them are held exactly until
/// [`round`] rounds them once: `rust_decimal`'s own `checked_mul` rounds silently when a
/// product needs more than 28 digits, which would round a discount twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exact {
    negative: bool,
    magnitude: U256,
    scale: u32,
}

impl From<Decimal> for Exact {
    fn from(d: Decimal) -> Self {
        Self {
            negative: d.is_sign_negative() && !d.is_zero(),
            magnitude: U256::from_u128(d.mantissa().unsigned_abs()),
            scale: d.scale(),
        }
    }
}

impl Exact {
    /// `a × b`, exact.
    #[must_use]
    pub fn product(a: Decimal, b: Decimal) -> Self {
        Self {
            negative: a.is_sign_negative() != b.is_sign_negative() && !a.is_zero() && !b.is_zero(),
            magnitude: U256::product(a.mantissa().unsigned_abs(), b.mantissa().unsigned_abs()),
            scale: a.scale() + b.scale(),
        }
    }

    /// `value × percent / 100`, exact.
    #[must_use]
    pub fn percent(value: Decimal, percent: Decimal) -> Self {
        let p = Self::product(value, percent);
        Self {
            scale: p.scale + 2,
            ..p
        }
    }

    const fn negated(self) -> Self {
        Self {
            negative: !self.negative && !self.magnitude.is_zero(),
            ..self
        }
    }

    /// The exact sum; `None` beyond 256 bits (not reached by sums of decimals).
    fn plus(self, other: Self) -> Option<Self> {
        let scale = self.scale.max(other.scale);
        let a = self.magnitude.times_pow10(scale - self.scale)?;
        let b = other.magnitude.times_pow10(scale - other.scale)?;
        let (negative, magnitude) = if self.negative == other.negative {
            (self.negative, a.plus(b)?)
        } else if a >= b {
            (self.negative, a.minus(b))
        } else {
            (other.negative, b.minus(a))
        };
        Some(Self {
            negative: negative && !magnitude.is_zero(),
            magnitude,
            scale,
        })
    }

    /// At its own scale, when that fits a [`Decimal`].
    fn decimal_at_scale(self) -> Option<Decimal> {
        let m = i128::try_from(self.magnitude.to_u128()?).ok()?;
        Decimal::try_from_i128_with_scale(if self.negative { -m } else { m }, self.scale).ok()
    }

    /// The exact value, with only the trailing zeros dropped that a [`Decimal`] cannot hold.
    #[must_use]
    pub fn to_decimal(self) -> Option<Decimal> {
        let mut e = self;
        while e.decimal_at_scale().is_none() && e.scale > 0 {
            let (q, digit) = e.magnitude.div_rem_10();
            if digit != 0 {
                return None;
            }
            e.magnitude = q;
            e.scale -= 1;
        }
        e.decimal_at_scale()
    }

    /// Rounded to `r.decimals` places with `r.mode` (padded with zeros when it has fewer).
    fn rounded(self, r: Rounding) -> Option<Self> {
        if self.scale <= r.decimals {
            return Some(Self {
                magnitude: self.magnitude.times_pow10(r.decimals - self.scale)?,
                scale: r.decimals,
                ..self
            });
        }
        // Drop the digits beyond r.decimals, remembering the first dropped (the rounding
        // digit) and whether any after it is not zero.
        let mut q = self.magnitude;
        let (mut digit, mut rest) = (0, false);
        for _ in r.decimals..self.scale {
            rest |= digit != 0;
            (q, digit) = q.div_rem_10();
        }
        let up = match digit.cmp(&5) {
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Less => false,
            std::cmp::Ordering::Equal => {
                rest || match r.mode {
                    RoundingMode::HalfUp => true,
                    RoundingMode::HalfEven => q.is_odd(),
                }
            }
        };
        let magnitude = if up { q.plus(U256::from_u128(1))? } else { q };
        Some(Self {
            negative: self.negative && !magnitude.is_zero(),
            magnitude,
            scale: r.decimals,
        })
    }
}

/// An unsigned 256-bit integer, little-endian 64-bit limbs: room for the product of two
/// 96-bit mantissas times a power of ten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct U256([u64; 4]);

impl U256 {
    const fn from_u128(v: u128) -> Self {
        Self([v as u64, (v >> 64) as u64, 0, 0])
    }

    /// `a × b`, exact (at most 256 bits).
    const fn product(a: u128, b: u128) -> Self {
        let (a0, a1) = (a as u64 as u128, a >> 64);
        let (b0, b1) = (b as u64 as u128, b >> 64);
        let mut out = [0u64; 4];
        // Schoolbook multiplication of 64-bit limbs with 128-bit partial products.
        let mut carry: u128;
        let p00 = a0 * b0;
        out[0] = p00 as u64;
        carry = p00 >> 64;
        let p01 = a0 * b1;
        let p10 = a1 * b0;
        let (mid, c1) = p01.overflowing_add(p10);
        let (mid, c2) = mid.overflowing_add(carry);
        out[1] = mid as u64;
        carry = (mid >> 64) + (((c1 as u128) + (c2 as u128)) << 64);
        let p11 = a1 * b1;
        let (hi, c3) = p11.overflowing_add(carry);
        out[2] = hi as u64;
        out[3] = (hi >> 64) as u64;
        // a, b < 2^128, so a × b < 2^256 and the last addition cannot carry out.
        debug_assert!(!c3);
        Self(out)
    }

    const fn is_zero(self) -> bool {
        self.0[0] == 0 && self.0[1] == 0 && self.0[2] == 0 && self.0[3] == 0
    }

    const fn is_odd(self) -> bool {
        self.0[0] & 1 == 1
    }

    /// The value, when it fits 128 bits.
    const fn to_u128(self) -> Option<u128> {
        if self.0[2] == 0 && self.0[3] == 0 {
            Some(((self.0[1] as u128) << 64) | self.0[0] as u128)
        } else {
            None
        }
    }

    fn plus(self, other: Self) -> Option<Self> {
        let mut out = [0u64; 4];
        let mut carry = false;
        for (o, (a, b)) in out.iter_mut().zip(self.0.iter().zip(other.0)) {
            let (s, c1) = a.overflowing_add(b);
            let (s, c2) = s.overflowing_add(u64::from(carry));
            *o = s;
            carry = c1 || c2;
        }
        (!carry).then_some(Self(out))
    }

    /// `self − other`, for `self ≥ other`.
    fn minus(self, other: Self) -> Self {
        let mut out = [0u64; 4];
        let mut borrow = false;
        for (o, (a, b)) in out.iter_mut().zip(self.0.iter().zip(other.0)) {
            let (d, b1) = a.overflowing_sub(b);
            let (d, b2) = d.overflowing_sub(u64::from(borrow));
            *o = d;
            borrow = b1 || b2;
        }
        Self(out)
    }

    /// `self × 10^n`; `None` beyond 256 bits.
    fn times_pow10(self, n: u32) -> Option<Self> {
        let mut v = self;
        for _ in 0..n {
            let mut out = [0u64; 4];
            let mut carry = 0u128;
            for (o, limb) in out.iter_mut().zip(v.0) {
                let p = u128::from(limb) * 10 + carry;
                *o = p as u64;
                carry = p >> 64;
            }
            if carry != 0 {
                return None;
            }
            v = Self(out);
        }
        Some(v)
    }

    /// `(self / 10, self % 10)`.
    fn div_rem_10(self) -> (Self, u8) {
        let mut out = [0u64; 4];
        let mut rem = 0u128;
        for i in (0..4).rev() {
            let cur = (rem << 64) | u128::from(self.0[i]);
            out[i] = (cur / 10) as u64;
            rem = cur % 10;
        }
        (Self(out), rem as u8)
    }
}

impl PartialOrd for U256 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for U256 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.iter().rev().cmp(other.0.iter().rev())
    }
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

    /// An amount from its text (test input).
    pub(crate) fn money(s: &str, r: Rounding) -> Money {
        round(d(s), r, "a test amount").unwrap()
    }

    fn shares(total: &str, weights: &[(&str, &str)]) -> Option<Vec<String>> {
        let w: Vec<(Decimal, &str)> = weights.iter().map(|(p, k)| (d(p), *k)).collect();
        allocate(money(total, UP), &w, "a test")
            .unwrap()
            .map(|v| v.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn allocation_by_largest_remainder_adds_up_exactly() {
        // 37.20 over 88.5, 100 and 15 points: 16.1778, 18.2801, 2.7420 → floors 16.17,
        // 18.28, 2.74 (37.19); the cent left goes to the largest remainder, the first.
        assert_eq!(
            shares("37.20", &[("88.5", "a"), ("100", "b"), ("15", "c")]).unwrap(),
            ["16.18", "18.28", "2.74"]
        );
        // Equal remainders: the larger weight, then the smaller key, gets the cent.
        assert_eq!(
            shares("0.02", &[("1", "b"), ("1", "a"), ("1", "c")]).unwrap(),
            ["0.01", "0.01", "0.00"]
        );
        assert_eq!(
            shares("0.01", &[("1", "a"), ("2", "b")]).unwrap(),
            ["0.00", "0.01"]
        );
        // A negative amount is taken off the same way; a zero weight gets nothing.
        assert_eq!(
            shares("-0.05", &[("1", "a"), ("0", "z"), ("1", "b")]).unwrap(),
            ["-0.03", "0.00", "-0.02"]
        );
        // Nothing to spread by.
        assert_eq!(shares("1.00", &[("0", "a")]), None);
        assert_eq!(shares("1.00", &[]), None);
        // Weights beyond 128 bits once scaled are an overflow, not a wrong share.
        let w = [
            (Decimal::MAX, "a"),
            (d("0.0000000000000000000000000001"), "b"),
        ];
        assert_eq!(
            allocate(money("1.00", UP), &w, "a test"),
            Err(Overflow("a test"))
        );
    }

    #[test]
    fn half_a_cent_in_both_modes() {
        assert_eq!(money("0.005", UP).to_string(), "0.01");
        assert_eq!(money("0.005", EVEN).to_string(), "0.00");
        assert_eq!(money("0.015", UP).to_string(), "0.02");
        assert_eq!(money("0.015", EVEN).to_string(), "0.02");
        assert_eq!(money("0.025", UP).to_string(), "0.03");
        assert_eq!(money("0.025", EVEN).to_string(), "0.02");
        assert_eq!(money("-0.005", UP).to_string(), "-0.01");
        assert_eq!(money("-0.005", EVEN).to_string(), "0.00");
        // Just under and over the half are not ties.
        assert_eq!(money("0.0049999", UP).to_string(), "0.00");
        assert_eq!(money("0.0050001", EVEN).to_string(), "0.01");
    }

    #[test]
    fn amounts_show_their_cents() {
        assert_eq!(money("374", UP).to_string(), "374.00");
        assert_eq!(money("1.5", UP).to_string(), "1.50");
        let yen = Rounding {
            decimals: 0,
            mode: RoundingMode::HalfEven,
        };
        assert_eq!(money("2.5", yen).to_string(), "2");
        assert_eq!(money("3.5", yen).to_string(), "4");
        assert_eq!(Money::zero(UP).to_string(), "0.00");
    }

    #[test]
    fn sums_stay_at_precision() {
        let a = money("0.10", UP);
        let b = money("0.20", UP);
        assert_eq!(a.checked_add(b).unwrap().to_string(), "0.30");
        assert_eq!(b.checked_sub(a).unwrap().to_string(), "0.10");
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"0.10\"");
    }

    #[test]
    fn percent_is_exact() {
        let pct = |v: &str, p: &str| Exact::percent(d(v), d(p)).to_decimal().unwrap();
        assert_eq!(pct("400", "15"), d("60"));
        assert_eq!(pct("340", "10"), d("34"));
        assert_eq!(pct("0.05", "10"), d("0.005"));
        assert!(
            round(Exact::percent(Decimal::MAX, d("200")), UP, "the tax")
                == Err(Overflow("the tax"))
        );
    }

    /// The discount of the issue: 0.4999999999999999999999999995 % of 1.00 is
    /// 0.004999999999999999999999999995, below half a cent. `rust_decimal` rounds the
    /// product to 28 decimals (0.5000000000000000000000000000) and rounding its hundredth to cents
    /// gave 0.01: two roundings. Held exactly, it rounds once, to 0.00.
    #[test]
    fn a_percent_of_28_digits_rounds_once() {
        let p = d("0.4999999999999999999999999995");
        let old_way = d("1.00")
            .checked_mul(p)
            .and_then(|v| v.checked_div(Decimal::ONE_HUNDRED))
            .unwrap();
        assert_eq!(old_way, d("0.005"));
        assert_eq!(
            round(Exact::percent(d("1.00"), p), UP, "the discount")
                .unwrap()
                .to_string(),
            "0.00"
        );
        // Just above half a cent, and exactly half a cent, in both modes.
        let above = d("0.5000000000000000000000000005");
        assert_eq!(
            round(Exact::percent(d("1.00"), above), EVEN, "x")
                .unwrap()
                .to_string(),
            "0.01"
        );
        assert_eq!(
            round(Exact::percent(d("1.00"), d("0.5")), EVEN, "x")
                .unwrap()
                .to_string(),
            "0.00"
        );
        assert_eq!(
            round(Exact::percent(d("1.00"), d("0.5")), UP, "x")
                .unwrap()
                .to_string(),
            "0.01"
        );
    }

    #[test]
    fn amounts_that_do_not_fit_are_errors_never_rounded_or_saturated() {
        // 2^96 − 1 has 29 digits: at cents it would need 31.
        assert_eq!(round(Decimal::MAX, UP, "the tax"), Err(Overflow("the tax")));
        assert_eq!(
            round(
                Exact::product(d("7000000000000000000000000000"), d("203.5")),
                UP,
                "cost"
            ),
            Err(Overflow("cost"))
        );
        // The largest amount in cents, plus a cent: rust_decimal drops the cents to
        // make room; an exact sum has none.
        let top = Money(Decimal::from_i128_with_scale((1i128 << 96) - 1, 2));
        let cent = money("0.01", UP);
        assert_eq!(top.checked_add(cent), None);
        assert!(top.value().checked_add(cent.value()).is_some());
        assert_eq!(top.checked_sub(cent).unwrap().value().scale(), 2);
        assert_eq!(sum(UP, [top, cent], "revenue"), Err(Overflow("revenue")));
        // Points: 10^28 + 0.5 needs 30 digits; rust_decimal rounds it, add refuses it.
        let big = d("10000000000000000000000000000");
        assert!(big.checked_add(d("0.5")).is_some());
        assert_eq!(add(big, d("0.5"), "points"), Err(Overflow("points")));
        assert_eq!(add(big, d("0.50"), "points").ok(), None);
        assert_eq!(add(d("0.50"), d("0.25"), "p").unwrap().to_string(), "0.75");
        assert_eq!(sub(d("1.5"), d("2.25"), "p").unwrap().to_string(), "-0.75");
        // Trailing zeros that do not fit are dropped, digits never.
        assert_eq!(
            add(d("79228162514264337593543950330"), d("0.000"), "p").unwrap(),
            d("79228162514264337593543950330")
        );
    }

    /// `m × 10^-scale` from small parts.
    fn dec(m: i64, scale: u32) -> Decimal {
        Decimal::new(m, scale)
    }

    /// The reference: `|p| / 10^k` rounded with `mode`, on i128 (exact for these sizes).
    fn reference_round(p: i128, k: u32, mode: RoundingMode) -> i128 {
        let unit = 10i128.pow(k);
        let (q, rem) = (p.abs() / unit, p.abs() % unit);
        let up = match (2 * rem).cmp(&unit) {
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Less => false,
            std::cmp::Ordering::Equal => mode == RoundingMode::HalfUp || q % 2 == 1,
        };
        let q = q + i128::from(up);
        if p < 0 { -q } else { q }
    }

    /// The decimal digits of a product of two 96-bit mantissas, by schoolbook
    /// multiplication of digit strings.
    fn digits_product(a: u128, b: u128) -> String {
        let (x, y): (Vec<u32>, Vec<u32>) = (
            a.to_string()
                .bytes()
                .rev()
                .map(|c| u32::from(c - b'0'))
                .collect(),
            b.to_string()
                .bytes()
                .rev()
                .map(|c| u32::from(c - b'0'))
                .collect(),
        );
        let mut out = vec![0u32; x.len() + y.len()];
        for (i, dx) in x.iter().enumerate() {
            let mut carry = 0;
            for (j, dy) in y.iter().enumerate() {
                let t = out[i + j] + dx * dy + carry;
                out[i + j] = t % 10;
                carry = t / 10;
            }
            let mut k = i + y.len();
            while carry > 0 {
                let t = out[k] + carry;
                out[k] = t % 10;
                carry = t / 10;
                k += 1;
            }
        }
        while out.len() > 1 && out.last() == Some(&0) {
            out.pop();
        }
        out.iter()
            .rev()
            .map(|d| char::from_digit(*d, 10).unwrap())
            .collect()
    }

    fn u256_digits(mut v: U256) -> String {
        let mut s = Vec::new();
        loop {
            let (q, digit) = v.div_rem_10();
            s.push(char::from(b'0' + digit));
            v = q;
            if v.is_zero() {
                break;
            }
        }
        s.iter().rev().collect()
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn mode() -> impl Strategy<Value = RoundingMode> {
            prop_oneof![Just(RoundingMode::HalfUp), Just(RoundingMode::HalfEven)]
        }

        proptest! {
            /// `a × b` (and `a × b / 100`) rounded once to 0–4 decimals is the exact
            /// product rounded on i128.
            #[test]
            fn products_round_once_like_the_exact_reference(
                ma in -999_999_999i64..999_999_999, sa in 0u32..17,
                mb in -999_999_999i64..999_999_999, sb in 0u32..17,
                decimals in 0u32..5, mode in mode(), percent in any::<bool>(),
            ) {
                let (a, b) = (dec(ma, sa), dec(mb, sb));
                let r = Rounding { decimals, mode };
                let (exact, extra) = if percent {
                    (Exact::percent(a, b), 2)
                } else {
                    (Exact::product(a, b), 0)
                };
                let got = round(exact, r, "x").unwrap();
                let p = i128::from(ma) * i128::from(mb);
                let scale = sa + sb + extra;
                let want = if scale > decimals {
                    reference_round(p, scale - decimals, mode)
                } else {
                    p * 10i128.pow(decimals - scale)
                };
                prop_assert_eq!(got.value(), Decimal::from_i128_with_scale(want, decimals));
                prop_assert_eq!(got.value().scale(), decimals);
            }

            /// Exact sums and differences are the i128 ones, at the larger scale (below
            /// 2 × 9.3 × 10^27, so they always fit).
            #[test]
            fn sums_are_the_exact_reference(
                ma in any::<i64>(), sa in 0u32..10, mb in any::<i64>(), sb in 0u32..10,
            ) {
                let (a, b) = (dec(ma, sa), dec(mb, sb));
                let scale = sa.max(sb);
                let align = |m: i64, s: u32| i128::from(m) * 10i128.pow(scale - s);
                let want = |v: i128| Decimal::from_i128_with_scale(v, scale);
                prop_assert_eq!(add(a, b, "x").unwrap(), want(align(ma, sa) + align(mb, sb)));
                prop_assert_eq!(sub(a, b, "x").unwrap(), want(align(ma, sa) - align(mb, sb)));
            }

            /// The 256-bit product of two 96-bit mantissas is the schoolbook one.
            #[test]
            fn wide_products_are_exact(a in 0u128..(1 << 96), b in 0u128..(1 << 96)) {
                prop_assert_eq!(u256_digits(U256::product(a, b)), digits_product(a, b));
            }
        }
    }
}
