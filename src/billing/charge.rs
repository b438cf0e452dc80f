//! Charge models: a quantity and a price become priced parts, each rounded once.
//!
//! Free units are the first units of the month (units 1 to `free_units`); the model prices
//! the rest:
//! - per unit (optionally per license edition): `quantity × price`;
//! - graduated tiers: each unit at the price of the tier it falls in, one part per tier
//!   touched (so every part reads `quantity × price = amount`); the free units are the
//!   first units of the ladder, so the charged units start after them;
//! - volume tiers: every charged unit at the price of the tier the whole quantity reaches
//!   (free units included), so a free unit never raises a bill;
//! - package: `⌈quantity ÷ size⌉ × price per pack`;
//! - per point (anything without a unit price): `points × price per point`.
//!
//! Every part's amount goes through [`crate::billing::money::round`] exactly once.

pub use crate::billing::money::Overflow;
use crate::billing::money::{Exact, Money, Rounding, round};
use crate::billing::rates::{Model, Package, Tier, WorkloadPrice};
use rust_decimal::Decimal;
use serde::Serialize;

/// What a part is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PartKind {
    /// Charged usage.
    Charge,
    /// Units included free of charge.
    FreeUnits,
    /// Workloads activated this month, not charged.
    New,
    /// Top-up to the monthly minimum.
    Minimum,
    /// A credit note's line: the cancelled invoice.
    Credit,
}

impl PartKind {
    /// The kebab-case name (as serialized).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Charge => "charge",
            Self::FreeUnits => "free-units",
            Self::New => "new",
            Self::Minimum => "minimum",
            Self::Credit => "credit",
        }
    }
}

/// One priced part of a charge: `quantity × unit_price = amount` (before rounding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// What the part is.
    pub kind: PartKind,
    /// Quantity: units, packs or points.
    pub quantity: Decimal,
    /// What one unit of the quantity is: `None` for the workload's own unit, or a pack
    /// (`pack of 10`), or `point`.
    pub unit: PartUnit,
    /// Price of one unit of the quantity.
    pub unit_price: Decimal,
    /// `quantity × unit_price`, rounded once.
    pub amount: Money,
    /// How the price was chosen (`units 11–50`, `volume tier 11–50`, `25 users`).
    pub detail: Option<String>,
}

/// The unit of a part's quantity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartUnit {
    /// The workload's own unit (VM, user, agent).
    Workload,
    /// A pack of this many units.
    Pack(u64),
    /// A license point.
    Point,
    /// A month (the minimum).
    Month,
}

/// What overflows when a part's amount does not fit.
const LINE_AMOUNT: &str = "the amount of a line (quantity × unit price)";

fn part(
    kind: PartKind,
    quantity: Decimal,
    unit: PartUnit,
    unit_price: Decimal,
    detail: Option<String>,
    r: Rounding,
) -> Result<Part, Overflow> {
    Ok(Part {
        kind,
        amount: round(Exact::product(quantity, unit_price), r, LINE_AMOUNT)?,
        quantity,
        unit,
        unit_price,
        detail,
    })
}

/// Prices `quantity` units of a workload of license `edition`.
///
/// Free units are the first units of the month: units 1 to `free_units` of the quantity.
/// With graduated tiers they are the first units of the ladder (the charged units start
/// at unit `free_units + 1`, in whatever tier that is); with volume tiers the tier is the
/// one the whole quantity reaches, and the free units then come off its count. A free
/// unit therefore never raises a bill.
///
/// Returns `Ok(None)` when the price has no unit price for this edition (per-unit model
/// without `per_unit` and without this edition): the caller prices it by points (a
/// checked card has no `free_units` on such a price).
/// A quantity of 0 gives no part.
///
/// # Errors
/// [`Overflow`] when an amount does not fit an exact decimal.
pub fn charge_units(
    price: &WorkloadPrice,
    edition: Option<&str>,
    quantity: u64,
    r: Rounding,
) -> Result<Option<Vec<Part>>, Overflow> {
    let mut parts = Vec::new();
    let free = quantity.min(price.free_units);
    let billable = quantity - free;
    let model = price.model();
    if let Model::PerUnit { .. } = model
        && price.edition_price(edition).is_none()
    {
        return Ok(None);
    }
    if free > 0 {
        let detail = match model {
            Model::Graduated(_) => format!(
                "included free ({} of the tiers, each month)",
                range_text(1, Some(free))
            ),
            _ => format!("included free (first {} each month)", price.free_units),
        };
        parts.push(part(
            PartKind::FreeUnits,
            Decimal::from(free),
            PartUnit::Workload,
            Decimal::ZERO,
            Some(detail),
            r,
        )?);
    }
    if billable == 0 {
        return Ok(Some(parts));
    }
    match model {
        Model::PerUnit { .. } => {
            let p = price.edition_price(edition).unwrap_or_default();
            parts.push(part(
                PartKind::Charge,
                Decimal::from(billable),
                PartUnit::Workload,
                p,
                None,
                r,
            )?);
        }
        Model::Graduated(tiers) => parts.extend(graduated(tiers, free + 1, quantity, r)?),
        Model::Volume(tiers) => parts.push(volume(tiers, quantity, billable, r)?),
        Model::Package(pk) => parts.push(package(pk, billable, r)?),
    }
    Ok(Some(parts))
}

/// The units `from..=to` of each tier (`to` is `None` for the last, open tier); a tier
/// after one that ends at `u64::MAX` holds no unit and is left out.
fn tier_bounds(tiers: &[Tier]) -> impl Iterator<Item = (u64, Option<u64>, &Tier)> {
    let mut from = Some(1u64);
    tiers.iter().map_while(move |t| {
        let b = (from?, t.up_to, t);
        if let Some(u) = t.up_to {
            from = u.checked_add(1);
        }
        Some(b)
    })
}

fn range_text(from: u64, to: Option<u64>) -> String {
    match to {
        Some(to) if to == from => format!("unit {from}"),
        Some(to) => format!("units {from}–{to}"),
        None => format!("units {from} and up"),
    }
}

/// Graduated: units `first..=last` of the ladder, one part per tier that holds some of
/// them (labelled with the tier's units, from `first` in the tier it falls in).
fn graduated(tiers: &[Tier], first: u64, last: u64, r: Rounding) -> Result<Vec<Part>, Overflow> {
    let mut parts = Vec::new();
    for (from, to, t) in tier_bounds(tiers) {
        if last < from {
            break;
        }
        if to.is_some_and(|to| to < first) {
            continue;
        }
        let from = from.max(first);
        let last_unit = to.map_or(last, |to| to.min(last));
        let n = last_unit - from + 1;
        parts.push(part(
            PartKind::Charge,
            Decimal::from(n),
            PartUnit::Workload,
            t.per_unit.0,
            Some(range_text(from, to)),
            r,
        )?);
    }
    Ok(parts)
}

/// Volume: `billable` units at the price of the tier the whole `quantity` falls in.
fn volume(tiers: &[Tier], quantity: u64, billable: u64, r: Rounding) -> Result<Part, Overflow> {
    let (from, to, t) = tier_bounds(tiers)
        .find(|(_, to, _)| to.is_none_or(|to| quantity <= to))
        .or_else(|| tier_bounds(tiers).last())
        .ok_or(Overflow("a volume price without tiers"))?;
    part(
        PartKind::Charge,
        Decimal::from(billable),
        PartUnit::Workload,
        t.per_unit.0,
        Some(if billable == quantity {
            format!("volume price for {}", range_text(from, to))
        } else {
            format!(
                "volume price for {}, the tier of all {quantity} units",
                range_text(from, to)
            )
        }),
        r,
    )
}

/// Package: a price per started pack.
fn package(pk: &Package, quantity: u64, r: Rounding) -> Result<Part, Overflow> {
    let size = pk.size.max(1);
    let packs = quantity.div_ceil(size);
    part(
        PartKind::Charge,
        Decimal::from(packs),
        PartUnit::Pack(size),
        pk.price.0,
        Some(format!(
            "{quantity} {} in {packs} {} of {size}",
            if quantity == 1 { "unit" } else { "units" },
            if packs == 1 { "pack" } else { "packs" }
        )),
        r,
    )
}

/// Prices license points.
///
/// # Errors
/// [`Overflow`] when the amount does not fit an exact decimal.
pub fn charge_points(points: Decimal, per_point: Decimal, r: Rounding) -> Result<Part, Overflow> {
    part(
        PartKind::Charge,
        points,
        PartUnit::Point,
        per_point,
        None,
        r,
    )
}

/// A part for workloads activated this month, at 0.00: it says whether the charged
/// quantity above it includes them (`charged`, the card's `charge_new`) or leaves them
/// out (VSPC counts them from the next month).
///
/// # Errors
/// Never in practice (0 × anything).
pub fn new_workloads(count: u64, charged: bool, r: Rounding) -> Result<Part, Overflow> {
    let detail = if charged {
        "activated this month: included in the charged quantity"
    } else {
        "activated this month: not in the charged quantity, not charged"
    };
    part(
        PartKind::New,
        Decimal::from(count),
        PartUnit::Workload,
        Decimal::ZERO,
        Some(detail.to_owned()),
        r,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::money::RoundingMode;
    use crate::billing::rates::Amount;
    use std::collections::BTreeMap;
    use std::str::FromStr;

    const R: Rounding = Rounding {
        decimals: 2,
        mode: RoundingMode::HalfUp,
    };

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn a(s: &str) -> Amount {
        Amount(d(s))
    }

    fn tiers() -> Vec<Tier> {
        // 1–10 at 3.00, 11–50 at 2.50, 51 and up at 2.00
        vec![
            Tier {
                up_to: Some(10),
                per_unit: a("3.00"),
            },
            Tier {
                up_to: Some(50),
                per_unit: a("2.50"),
            },
            Tier {
                up_to: None,
                per_unit: a("2.00"),
            },
        ]
    }

    /// `(quantity, unit price, amount, detail)` of each part.
    fn rows(parts: &[Part]) -> Vec<(String, String, String, String)> {
        parts
            .iter()
            .map(|p| {
                (
                    p.quantity.to_string(),
                    p.unit_price.to_string(),
                    p.amount.to_string(),
                    p.detail.clone().unwrap_or_default(),
                )
            })
            .collect()
    }

    fn row(q: &str, p: &str, a: &str, det: &str) -> (String, String, String, String) {
        (q.into(), p.into(), a.into(), det.into())
    }

    #[test]
    fn per_unit() {
        let price = WorkloadPrice {
            per_unit: Some(a("4.25")),
            ..WorkloadPrice::default()
        };
        let parts = charge_units(&price, Some("Standard"), 17, R)
            .unwrap()
            .unwrap();
        assert_eq!(rows(&parts), [row("17", "4.25", "72.25", "")]);
        assert_eq!(parts[0].kind, PartKind::Charge);
        assert!(
            charge_units(&price, None, 0, R)
                .unwrap()
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn per_edition_and_fallback_to_points() {
        let mut editions = BTreeMap::new();
        editions.insert("Enterprise".to_owned(), a("5"));
        editions.insert("EnterprisePlus".to_owned(), a("6.5"));
        let only_editions = WorkloadPrice {
            editions: editions.clone(),
            ..WorkloadPrice::default()
        };
        let parts = charge_units(&only_editions, Some("enterpriseplus"), 3, R)
            .unwrap()
            .unwrap();
        assert_eq!(rows(&parts), [row("3", "6.5", "19.50", "")]);
        // Standard is not listed and there is no per_unit: priced by points instead.
        assert_eq!(
            charge_units(&only_editions, Some("Standard"), 3, R),
            Ok(None)
        );
        assert_eq!(charge_units(&only_editions, None, 3, R), Ok(None));
        let with_default = WorkloadPrice {
            per_unit: Some(a("4")),
            editions,
            ..WorkloadPrice::default()
        };
        let parts = charge_units(&with_default, Some("Standard"), 3, R)
            .unwrap()
            .unwrap();
        assert_eq!(rows(&parts), [row("3", "4", "12.00", "")]);
    }

    #[test]
    fn free_units_come_off_first() {
        let price = WorkloadPrice {
            per_unit: Some(a("4")),
            free_units: 2,
            ..WorkloadPrice::default()
        };
        let parts = charge_units(&price, None, 5, R).unwrap().unwrap();
        assert_eq!(
            rows(&parts),
            [
                row("2", "0", "0.00", "included free (first 2 each month)"),
                row("3", "4", "12.00", "")
            ]
        );
        assert_eq!(parts[0].kind, PartKind::FreeUnits);
        // Fewer units than the free allowance: all free, nothing charged.
        let parts = charge_units(&price, None, 1, R).unwrap().unwrap();
        assert_eq!(
            rows(&parts),
            [row("1", "0", "0.00", "included free (first 2 each month)")]
        );
        // Exactly the allowance.
        let parts = charge_units(&price, None, 2, R).unwrap().unwrap();
        assert_eq!(
            rows(&parts),
            [row("2", "0", "0.00", "included free (first 2 each month)")]
        );
    }

    #[test]
    fn graduated_tiers_at_their_edges() {
        let price = WorkloadPrice {
            graduated: Some(tiers()),
            ..WorkloadPrice::default()
        };
        let g = |q| rows(&charge_units(&price, None, q, R).unwrap().unwrap());
        assert_eq!(g(1), [row("1", "3.00", "3.00", "units 1–10")]);
        assert_eq!(g(10), [row("10", "3.00", "30.00", "units 1–10")]);
        assert_eq!(
            g(11),
            [
                row("10", "3.00", "30.00", "units 1–10"),
                row("1", "2.50", "2.50", "units 11–50")
            ]
        );
        assert_eq!(
            g(50),
            [
                row("10", "3.00", "30.00", "units 1–10"),
                row("40", "2.50", "100.00", "units 11–50")
            ]
        );
        // 10 × 3 + 40 × 2.5 + 1 × 2 = 132
        assert_eq!(
            g(51),
            [
                row("10", "3.00", "30.00", "units 1–10"),
                row("40", "2.50", "100.00", "units 11–50"),
                row("1", "2.00", "2.00", "units 51 and up")
            ]
        );
    }

    #[test]
    fn graduated_free_units_are_the_first_units_of_the_ladder() {
        let price = WorkloadPrice {
            graduated: Some(tiers()),
            free_units: 5,
            ..WorkloadPrice::default()
        };
        // 17 units: units 1–5 free, 6–10 at 3.00, 11–17 at 2.50 (the tiers do not restart
        // at unit 1 after the free units: that charged 10 × 3.00 + 2 × 2.50 = 35.00).
        let parts = charge_units(&price, None, 17, R).unwrap().unwrap();
        assert_eq!(
            rows(&parts),
            [
                row(
                    "5",
                    "0",
                    "0.00",
                    "included free (units 1–5 of the tiers, each month)"
                ),
                row("5", "3.00", "15.00", "units 6–10"),
                row("7", "2.50", "17.50", "units 11–50")
            ]
        );
        // Free units past the first tier: units 1–12 free, 13–20 at 2.50.
        let past = WorkloadPrice {
            free_units: 12,
            ..price.clone()
        };
        assert_eq!(
            rows(&charge_units(&past, None, 20, R).unwrap().unwrap()),
            [
                row(
                    "12",
                    "0",
                    "0.00",
                    "included free (units 1–12 of the tiers, each month)"
                ),
                row("8", "2.50", "20.00", "units 13–50")
            ]
        );
        // Fewer units than free: all free, the label names the units used.
        assert_eq!(
            rows(&charge_units(&price, None, 1, R).unwrap().unwrap()),
            [row(
                "1",
                "0",
                "0.00",
                "included free (unit 1 of the tiers, each month)"
            )]
        );
    }

    #[test]
    fn volume_tier_is_chosen_by_the_whole_quantity_then_free_units_come_off() {
        // 11 agents, up to 10 at 14.00, more at 12.00, 1 free: the 11 units reach the
        // 12.00 tier and 10 are charged, 120.00 (it was 10 units at the 14.00 tier: 140.00,
        // more than the 132.00 without the free unit).
        let price = WorkloadPrice {
            volume: Some(vec![
                Tier {
                    up_to: Some(10),
                    per_unit: a("14.00"),
                },
                Tier {
                    up_to: None,
                    per_unit: a("12.00"),
                },
            ]),
            free_units: 1,
            ..WorkloadPrice::default()
        };
        assert_eq!(
            rows(&charge_units(&price, None, 11, R).unwrap().unwrap()),
            [
                row("1", "0", "0.00", "included free (first 1 each month)"),
                row(
                    "10",
                    "12.00",
                    "120.00",
                    "volume price for units 11 and up, the tier of all 11 units"
                )
            ]
        );
    }

    /// Σ of the charged amounts of `quantity` units.
    fn charged(price: &WorkloadPrice, quantity: u64) -> Decimal {
        charge_units(price, None, quantity, R)
            .unwrap()
            .unwrap()
            .iter()
            .map(|p| p.amount.value())
            .sum()
    }

    #[test]
    fn a_free_unit_never_raises_a_bill() {
        let pk = Package {
            size: 3,
            price: a("10.00"),
        };
        for model in [
            WorkloadPrice {
                graduated: Some(tiers()),
                ..WorkloadPrice::default()
            },
            WorkloadPrice {
                volume: Some(tiers()),
                ..WorkloadPrice::default()
            },
            WorkloadPrice {
                package: Some(pk),
                ..WorkloadPrice::default()
            },
            WorkloadPrice {
                per_unit: Some(a("4")),
                ..WorkloadPrice::default()
            },
        ] {
            for q in 0..=60 {
                let mut previous = charged(&model, q);
                for free in 1..=q + 1 {
                    let p = WorkloadPrice {
                        free_units: free,
                        ..model.clone()
                    };
                    let now = charged(&p, q);
                    assert!(
                        now <= previous,
                        "{model:?}: {q} units, {free} free: {now} > {previous}"
                    );
                    previous = now;
                }
                assert_eq!(previous, Decimal::ZERO);
            }
        }
    }

    #[test]
    fn volume_tiers_at_their_edges() {
        let price = WorkloadPrice {
            volume: Some(tiers()),
            ..WorkloadPrice::default()
        };
        let v = |q| rows(&charge_units(&price, None, q, R).unwrap().unwrap());
        assert_eq!(
            v(1),
            [row("1", "3.00", "3.00", "volume price for units 1–10")]
        );
        assert_eq!(
            v(10),
            [row("10", "3.00", "30.00", "volume price for units 1–10")]
        );
        // One more unit moves every unit to the next tier: 11 × 2.5 = 27.5.
        assert_eq!(
            v(11),
            [row("11", "2.50", "27.50", "volume price for units 11–50")]
        );
        assert_eq!(
            v(50),
            [row("50", "2.50", "125.00", "volume price for units 11–50")]
        );
        assert_eq!(
            v(51),
            [row(
                "51",
                "2.00",
                "102.00",
                "volume price for units 51 and up"
            )]
        );
        assert!(v(0).is_empty());
    }

    #[test]
    fn packages_are_started_packs() {
        let price = WorkloadPrice {
            package: Some(Package {
                size: 10,
                price: a("15.00"),
            }),
            ..WorkloadPrice::default()
        };
        let p = |q| rows(&charge_units(&price, None, q, R).unwrap().unwrap());
        assert_eq!(p(1), [row("1", "15.00", "15.00", "1 unit in 1 pack of 10")]);
        assert_eq!(
            p(10),
            [row("1", "15.00", "15.00", "10 units in 1 pack of 10")]
        );
        assert_eq!(
            p(11),
            [row("2", "15.00", "30.00", "11 units in 2 packs of 10")]
        );
        assert_eq!(
            p(25),
            [row("3", "15.00", "45.00", "25 units in 3 packs of 10")]
        );
        assert!(p(0).is_empty());
        let parts = charge_units(&price, None, 25, R).unwrap().unwrap();
        assert_eq!(parts[0].unit, PartUnit::Pack(10));
    }

    #[test]
    fn points_and_new_workloads() {
        let p = charge_points(d("13.5"), d("1.25"), R).unwrap();
        // 13.5 × 1.25 = 16.875 → 16.88 half-up
        assert_eq!(
            (p.quantity.to_string(), p.amount.to_string()),
            ("13.5".into(), "16.88".into())
        );
        assert_eq!(p.unit, PartUnit::Point);
        let even = Rounding {
            decimals: 2,
            mode: RoundingMode::HalfEven,
        };
        assert_eq!(
            charge_points(d("13.5"), d("1.25"), even)
                .unwrap()
                .amount
                .to_string(),
            "16.88"
        );
        // 0.33 × 1.5 = 0.495 → 0.50 half-up, 0.50 half-even (9 is odd, so up to even 0.50)
        assert_eq!(
            charge_points(d("0.33"), d("1.5"), R)
                .unwrap()
                .amount
                .to_string(),
            "0.50"
        );
        // 0.1 × 0.05 = 0.005 → 0.01 half-up, 0.00 half-even
        assert_eq!(
            charge_points(d("0.1"), d("0.05"), R)
                .unwrap()
                .amount
                .to_string(),
            "0.01"
        );
        assert_eq!(
            charge_points(d("0.1"), d("0.05"), even)
                .unwrap()
                .amount
                .to_string(),
            "0.00"
        );
        let n = new_workloads(3, false, R).unwrap();
        assert_eq!(
            (n.kind, n.amount.to_string()),
            (PartKind::New, "0.00".into())
        );
    }

    #[test]
    fn huge_quantities_overflow_instead_of_panicking() {
        let price = WorkloadPrice {
            per_unit: Some(Amount(Decimal::MAX)),
            ..WorkloadPrice::default()
        };
        assert_eq!(
            charge_units(&price, None, u64::MAX, R),
            Err(Overflow(LINE_AMOUNT))
        );
    }
}
