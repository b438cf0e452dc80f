//! What the types of a card cannot say, checked with the key path of each problem.

use super::amount::Amount;
use super::card::{MAX_DECIMALS, MAX_DUE_DAYS, MAX_INVOICE_START, RateCard, WorkloadPrice};
use super::currency::currency_decimals;
use super::parse::{CardError, KeySeg, Problems};
use crate::billing::numbering::parse_number_pattern;
use crate::enums::WorkloadType;
use std::collections::BTreeMap;

impl RateCard {
    /// Checks what the types cannot say; every problem, with its key path (no position).
    ///
    /// # Errors
    /// The problems found.
    pub fn check(&self) -> Result<(), Vec<CardError>> {
        let mut p = Problems::new("rate card", "", None);
        self.check_into(&mut p);
        if p.out.is_empty() { Ok(()) } else { Err(p.out) }
    }

    pub(super) fn check_into(&self, p: &mut Problems<'_>) {
        let key = |k: &str| vec![KeySeg::Key(k.to_owned())];
        if let Err(e) = currency_decimals(&self.currency) {
            p.push(&key("currency"), false, e);
        }
        if self.decimals.is_some_and(|d| d > MAX_DECIMALS) {
            p.push(
                &key("decimals"),
                false,
                format!("at most {MAX_DECIMALS} decimals (no currency has more)"),
            );
        }
        if self.due_days > MAX_DUE_DAYS {
            p.push(
                &key("due_days"),
                false,
                format!(
                    "{} days is more than a year: at most {MAX_DUE_DAYS}",
                    self.due_days
                ),
            );
        }
        if let Err(e) = parse_number_pattern(&self.invoice_number) {
            p.push(&key("invoice_number"), false, e);
        }
        if !(1..=MAX_INVOICE_START).contains(&self.invoice_start) {
            p.push(
                &key("invoice_start"),
                false,
                format!("the first number of a series is 1 to {MAX_INVOICE_START}"),
            );
        }
        if self
            .register
            .as_deref()
            .is_some_and(|r| r.trim().is_empty())
        {
            p.push(&key("register"), false, "the register's path is empty");
        }
        if self.provider.name.trim().is_empty() {
            p.push(
                &[KeySeg::Key("provider".into()), KeySeg::Key("name".into())],
                false,
                "the provider's name is empty",
            );
        }
        if let Some(m) = self.default.minimum {
            self.check_money(
                m,
                &[KeySeg::Key("default".into()), KeySeg::Key("minimum".into())],
                p,
            );
        }
        check_workloads(&self.workloads, &[KeySeg::Key("workloads".into())], p);
        if let Some(a) = &self.accounting {
            a.check_into(p);
        }
        let mut seen: BTreeMap<String, &str> = BTreeMap::new();
        for (uid, t) in &self.tenants {
            let base = [KeySeg::Key("tenants".into()), KeySeg::Key(uid.clone())];
            if !is_uuid(uid) {
                p.push(
                    &base,
                    true,
                    format!(
                        "\"{uid}\" is not an organization UID: write the organizationUid of the report, a UUID (8-4-4-4-12 hexadecimal digits, e.g. c1a2b3c4-0002-4000-8000-000000000002)"
                    ),
                );
            }
            if let Some(first) = seen.insert(uid.to_ascii_lowercase(), uid) {
                p.push(
                    &base,
                    true,
                    format!("the same organization as tenants.\"{first}\" (UIDs are matched ignoring case)"),
                );
            }
            if let Some(m) = t.minimum {
                let mut path = base.to_vec();
                path.push(KeySeg::Key("minimum".into()));
                self.check_money(m, &path, p);
            }
            if t.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
                let mut path = base.to_vec();
                path.push(KeySeg::Key("name".into()));
                p.push(&path, false, "empty billing name");
            }
            let mut path = base.to_vec();
            path.push(KeySeg::Key("workloads".into()));
            check_workloads(&t.workloads, &path, p);
        }
    }

    fn check_money(&self, m: Amount, path: &[KeySeg], p: &mut Problems<'_>) {
        if m.0.normalize().scale() > self.decimals() {
            p.push(
                path,
                false,
                format!(
                    "{} has more decimals than the currency's {} (an amount of money, not a price)",
                    m.0,
                    self.decimals()
                ),
            );
        }
    }
}

fn check_workloads(map: &BTreeMap<String, WorkloadPrice>, base: &[KeySeg], p: &mut Problems<'_>) {
    for (name, price) in map {
        let mut path = base.to_vec();
        path.push(KeySeg::Key(name.clone()));
        if !WorkloadType::KNOWN.contains(&name.as_str()) {
            let hint = WorkloadType::KNOWN
                .iter()
                .find(|k| k.eq_ignore_ascii_case(name))
                .map_or_else(
                    || format!(" (known: {})", WorkloadType::KNOWN.join(", ")),
                    |k| format!("; write it as {k}"),
                );
            p.push(&path, true, format!("unknown workload type {name}{hint}"));
        }
        check_price(price, &path, p);
    }
}

fn check_price(price: &WorkloadPrice, base: &[KeySeg], p: &mut Problems<'_>) {
    let with = |k: &str| {
        let mut v = base.to_vec();
        v.push(KeySeg::Key(k.to_owned()));
        v
    };
    let mut models = Vec::new();
    if price.per_unit.is_some() || !price.editions.is_empty() {
        models.push("per_unit/editions");
    }
    for (name, present) in [
        ("graduated", price.graduated.is_some()),
        ("volume", price.volume.is_some()),
        ("package", price.package.is_some()),
    ] {
        if present {
            models.push(name);
        }
    }
    match models.len() {
        0 => p.push(
            base,
            true,
            "no price: give per_unit, editions, graduated, volume or package",
        ),
        1 => {}
        _ => p.push(
            base,
            true,
            format!(
                "one charge model per workload, found {}",
                models.join(" and ")
            ),
        ),
    }
    if price.free_units > 0
        && price.per_unit.is_none()
        && !price.editions.is_empty()
        && models.len() == 1
    {
        p.push(
            &with("free_units"),
            false,
            "an edition not listed in editions is priced by points, where units cannot be free: add per_unit (the price of the other editions) so that free_units always apply",
        );
    }
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for e in price.editions.keys() {
        let mut path = with("editions");
        path.push(KeySeg::Key(e.clone()));
        if e.trim().is_empty() {
            p.push(&path, true, "empty edition name");
        }
        if let Some(first) = seen.insert(e.to_ascii_lowercase(), e) {
            p.push(
                &path,
                true,
                format!("the same edition as \"{first}\" (editions are matched ignoring case)"),
            );
        }
    }
    for (name, tiers) in [("graduated", &price.graduated), ("volume", &price.volume)] {
        let Some(tiers) = tiers else { continue };
        let path = with(name);
        if tiers.is_empty() {
            p.push(&path, false, "no tiers");
            continue;
        }
        let mut previous = 0u64;
        for (i, t) in tiers.iter().enumerate() {
            let mut tp = path.clone();
            tp.push(KeySeg::Index(i));
            let last = i + 1 == tiers.len();
            match (t.up_to, last) {
                (None, true) => {}
                (None, false) => p.push(&tp, false, "only the last tier may omit up_to"),
                (Some(_), true) => {
                    tp.push(KeySeg::Key("up_to".into()));
                    p.push(
                        &tp,
                        false,
                        "the last tier must not have up_to, so that every quantity has a price",
                    );
                }
                (Some(u), false) => {
                    if u <= previous {
                        tp.push(KeySeg::Key("up_to".into()));
                        p.push(
                            &tp,
                            false,
                            format!(
                                "up_to {u} must be greater than the previous tier's {previous}"
                            ),
                        );
                    }
                    previous = u;
                }
            }
        }
    }
    if let Some(pk) = &price.package
        && pk.size == 0
    {
        let mut path = with("package");
        path.push(KeySeg::Key("size".into()));
        p.push(&path, false, "a pack holds at least 1 unit");
    }
}

/// Whether `s` is a UUID as VSPC writes organization UIDs: 8-4-4-4-12 hexadecimal digits
/// (any case), nothing around them.
#[must_use]
pub(super) fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}
