//! Checks of site Cloud Connect usage (`/licensing/sites/{siteUid}/usage`).
//!
//! Units divided by count is the weight of one object; it must agree across the rental,
//! new and used members of one counter (3.3 units for 10 objects and 0.66 for 2 are both
//! 0.33 each). Compared exactly, by cross-multiplication: the units a member should have
//! are `reference units × member count ÷ reference count`, the reference being the member
//! with the most objects.

use super::compare::show_expected;
use super::{Ctx, Ptr, exact_mul};
use crate::diag::Finding;
use crate::enums::{UnitType, WorkloadType};
use crate::load::SiteUsageDocument;
use crate::model::CloudLicenseCounter;
use rust_decimal::Decimal;
use std::collections::BTreeSet;

/// One member of a counter: rental, new or used.
#[derive(Clone, Copy)]
struct Member {
    units_field: &'static str,
    count_field: &'static str,
    units: Decimal,
    count: i64,
}

fn members(c: &CloudLicenseCounter) -> [Member; 3] {
    [
        Member {
            units_field: "usedUnits",
            count_field: "usedCount",
            units: c.used_units,
            count: c.used_count,
        },
        Member {
            units_field: "newUnits",
            count_field: "newCount",
            units: c.new_units,
            count: c.new_count,
        },
        Member {
            units_field: "rentalUnits",
            count_field: "rentalCount",
            units: c.rental_units,
            count: c.rental_count,
        },
    ]
}

/// The weight of one object, as exact as a decimal can say it.
fn per_object(units: Decimal, count: i64) -> String {
    let c = Decimal::from(count);
    match units.checked_div(c) {
        Some(w) if exact_mul(w, c) == Some(units) => w.normalize().to_string(),
        Some(w) => format!("about {}", w.round_dp(6).normalize()),
        None => "?".to_owned(),
    }
}

/// Checks every site of a document.
pub(crate) fn check(ctx: &mut Ctx<'_>, doc: &SiteUsageDocument) {
    ctx.paging(doc.meta.as_ref(), doc.sites.len(), "sites");
    ctx.api_errors(&doc.errors);
    // Unknown enumeration values are reported once per document.
    let mut unknown_seen: BTreeSet<(&'static str, &str)> = BTreeSet::new();
    for (i, s) in doc.sites.iter().enumerate() {
        let prefix = doc.shape.item_pointer(i);
        let root = Ptr::root(&prefix);
        for (ci, c) in s.counter_list().iter().enumerate() {
            let at = root.key_at("counters", ci);
            if let WorkloadType::Other(v) = &c.counter_type
                && unknown_seen.insert(("type", v))
            {
                ctx.unknown_enum(at.key("type"), "type", v, WorkloadType::KNOWN);
            }
            if let Some(UnitType::Other(v)) = &c.unit_type
                && unknown_seen.insert(("unitType", v))
            {
                ctx.unknown_enum(at.key("unitType"), "unitType", v, UnitType::KNOWN);
            }
            counter(ctx, c, at);
        }
    }
}

fn counter(ctx: &mut Ctx<'_>, c: &CloudLicenseCounter, at: Ptr<'_>) {
    let ty = c.counter_type.as_str();
    let ms = members(c);
    let mut negative = false;
    for m in &ms {
        if m.units.is_sign_negative() && !m.units.is_zero() {
            ctx.negative(at, m.units_field, m.units);
            negative = true;
        }
        if m.count < 0 {
            ctx.negative(at, m.count_field, m.count);
            negative = true;
        }
    }
    if negative {
        return; // a weight of negative numbers says nothing more
    }
    for m in &ms {
        if m.count == 0 && !m.units.is_zero() {
            let f = Finding::of(
                crate::codes::Code::CounterWeightInconsistent,
                ctx.file,
                at.key(m.units_field).render(),
                format!(
                    "{ty}: {} is {} for {} 0: units without objects",
                    m.units_field, m.units, m.count_field
                ),
            )
            .with_values(0, m.units);
            ctx.emit(f);
        }
    }
    // The member with the most objects gives the weight (ties: used, then new, then rental).
    let Some(reference) = ms
        .iter()
        .copied()
        .filter(|m| m.count > 0)
        .reduce(|a, b| if b.count > a.count { b } else { a })
    else {
        return;
    };
    for m in ms.iter().filter(|m| m.count > 0) {
        if m.units_field == reference.units_field {
            continue;
        }
        let expected = exact_mul(reference.units, Decimal::from(m.count))
            .and_then(|u| u.checked_div(Decimal::from(reference.count)));
        let uat = at.key(m.units_field);
        match ctx.verdict(expected, m.units) {
            super::Verdict::Agree => {}
            super::Verdict::Overflow => ctx.overflow(uat, "units x count"),
            super::Verdict::Differ(e) => {
                let f = Finding::of(crate::codes::Code::CounterWeightInconsistent,
                    ctx.file,
                    uat.render(),
                    format!(
                        "{ty}: {} {} for {} objects is {} each, but {} {} for {} objects is {} each: at that weight {} should be {}",
                        m.units_field,
                        m.units,
                        m.count,
                        per_object(m.units, m.count),
                        reference.units_field,
                        reference.units,
                        reference.count,
                        per_object(reference.units, reference.count),
                        m.units_field,
                        show_expected(e, m.units)
                    ),
                )
                .with_values(show_expected(e, m.units), m.units);
                ctx.emit(f);
            }
        }
    }
    // Points per object against the expected weights (units in instances are not points).
    if c.unit_type == Some(UnitType::Points) {
        let rule = ctx.rule;
        if let Some(w) = ctx.weights.unexpected_units(
            &c.counter_type,
            reference.count,
            reference.units,
            |e, f| rule.agrees(e, f),
        ) {
            let expected = exact_mul(w.points, Decimal::from(reference.count));
            let mut f = Finding::of(
                crate::codes::Code::WeightUnexpected,
                ctx.file,
                at.key(reference.units_field).render(),
                format!(
                    "{ty}: {} {} for {} objects is {} points each, but {} is expected ({})",
                    reference.units_field,
                    reference.units,
                    reference.count,
                    per_object(reference.units, reference.count),
                    w.points,
                    w.source
                ),
            );
            f.expected = expected.map(|e| show_expected(e, reference.units));
            f.found = Some(reference.units.to_string());
            ctx.emit(f);
        }
    }
}
