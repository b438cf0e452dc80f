//! What the types of a card cannot say, checked with the key path of each problem.

use super::amount::Amount;
use super::card::{
    ElectronicAddress, MAX_DECIMALS, MAX_DUE_DAYS, MAX_INVOICE_START, Payment, PostalAddress,
    RateCard, TaxCategory, TenantTerms, WorkloadPrice,
};
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
        let provider = [KeySeg::Key("provider".into())];
        check_details(
            &provider,
            &Details {
                vat_id: self.provider.vat_id.as_deref(),
                postal: self.provider.postal_address.as_ref(),
                electronic: self.provider.electronic_address.as_ref(),
            },
            p,
        );
        if let Some(pay) = &self.provider.payment {
            check_payment(pay, &with(&provider, "payment"), p);
        }
        self.check_tax(None, &[], p);
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
            check_details(
                &base,
                &Details {
                    vat_id: t.vat_id.as_deref(),
                    postal: t.postal_address.as_ref(),
                    electronic: t.electronic_address.as_ref(),
                },
                p,
            );
            if t.buyer_reference
                .as_deref()
                .is_some_and(|r| r.trim().is_empty())
            {
                p.push(
                    &with(&base, "buyer_reference"),
                    false,
                    "empty buyer reference",
                );
            }
            self.check_tax(Some(t), &base, p);
            let mut path = base.to_vec();
            path.push(KeySeg::Key("workloads".into()));
            check_workloads(&t.workloads, &path, p);
        }
    }

    /// The tax of a tenant (`terms`, at `base`), or of the card's `[tax]` (`None`): a
    /// category that agrees with the percent, and the note a 0 % needs.
    fn check_tax(&self, terms: Option<&TenantTerms>, base: &[KeySeg], p: &mut Problems<'_>) {
        let tax = self.tax.as_ref();
        let t = self.tax_terms(terms);
        // Whether the tenant writes a key; where a part comes from: the tenant's key when
        // it writes one, else `[tax]`'s.
        let has = |f: fn(&TenantTerms) -> bool| terms.is_some_and(f);
        let at = |tenant_has: bool, key: &str, card_key: &str| {
            if tenant_has {
                with(base, key)
            } else {
                vec![KeySeg::Key("tax".into()), KeySeg::Key(card_key.into())]
            }
        };
        let category_at = at(
            has(|t| t.tax_category.is_some()),
            "tax_category",
            "category",
        );
        let percent_at = at(has(|t| t.tax_percent.is_some()), "tax_percent", "percent");
        let note_at = at(has(|t| t.tax_note.is_some()), "tax_note", "note");
        let written = match terms {
            Some(terms) => terms.tax_note.as_deref(),
            None => tax.and_then(|t| t.note.as_deref()),
        };
        if written.is_some_and(|n| n.trim().is_empty()) {
            p.push(&note_at, false, "empty tax note");
        }
        if tax.is_none() {
            if let Some(c) = terms.and_then(|t| t.tax_category) {
                p.push(
                    &category_at,
                    false,
                    format!(
                        "tax_category = \"{}\" needs a [tax] table (the tax's name and percent)",
                        c.as_str()
                    ),
                );
            }
            return;
        }
        if terms.is_some() && !has(|t| t.tax_category.is_some() || t.tax_percent.is_some()) {
            // The tenant takes the card's category and percent, checked once for [tax].
            return;
        }
        match t.category {
            Some(TaxCategory::Standard) if t.percent.is_zero() => p.push(
                if has(|t| t.tax_percent.is_some()) {
                    &percent_at
                } else {
                    &category_at
                },
                false,
                "a standard rate of 0 %: give the percent, or the category that says why there is no tax (reverse-charge, exempt, zero-rated, outside-scope)",
            ),
            Some(c) if c != TaxCategory::Standard && !t.percent.is_zero() => p.push(
                &percent_at,
                false,
                format!(
                    "{} % with tax_category \"{}\": that category is taxed at 0 %",
                    t.percent,
                    c.as_str()
                ),
            ),
            Some(c) if c.needs_note() && t.note.is_none() => p.push(
                &category_at,
                false,
                format!(
                    "\"{}\" needs the reason printed on the invoice: add {} = \"...\" (e.g. the article of the law)",
                    c.as_str(),
                    if terms.is_some() { "tax_note" } else { "note" }
                ),
            ),
            None => p.push(
                &percent_at,
                false,
                "a 0 % tax needs its reason on the invoice: add tax_category = \"reverse-charge\", \"exempt\", \"zero-rated\" or \"outside-scope\" (with tax_note)",
            ),
            _ => {}
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

/// `base` with one more key.
fn with(base: &[KeySeg], key: &str) -> Vec<KeySeg> {
    let mut v = base.to_vec();
    v.push(KeySeg::Key(key.to_owned()));
    v
}

/// The e-invoicing details of the provider or a tenant.
struct Details<'a> {
    vat_id: Option<&'a str>,
    postal: Option<&'a PostalAddress>,
    electronic: Option<&'a ElectronicAddress>,
}

fn check_details(base: &[KeySeg], d: &Details<'_>, p: &mut Problems<'_>) {
    if let Some(v) = d.vat_id {
        let ok = v.len() >= 4
            && v.len() <= 20
            && v.bytes().take(2).all(|b| b.is_ascii_uppercase())
            && v.bytes().all(|b| b.is_ascii_alphanumeric());
        if !ok {
            p.push(
                &with(base, "vat_id"),
                false,
                format!(
                    "\"{v}\" is not a VAT identification number: its country's two capital letters, then letters and digits, without spaces (DE123456789)"
                ),
            );
        }
    }
    if let Some(a) = d.postal {
        let at = with(base, "postal_address");
        for (key, value) in [
            ("street", Some(&a.street)),
            ("city", Some(&a.city)),
            ("additional", a.additional.as_ref()),
            ("postcode", a.postcode.as_ref()),
        ] {
            if value.is_some_and(|v| v.trim().is_empty()) {
                p.push(&with(&at, key), false, format!("empty {key}"));
            }
        }
        if super::country_name(&a.country).is_none() {
            let upper = a.country.to_ascii_uppercase();
            let hint = if super::country_name(&upper).is_some() {
                format!("; write it as {upper}")
            } else {
                " (two capital letters, e.g. DE, FR, US)".to_owned()
            };
            p.push(
                &with(&at, "country"),
                false,
                format!(
                    "\"{}\" is not an ISO 3166-1 alpha-2 country code{hint}",
                    a.country
                ),
            );
        }
    }
    if let Some(e) = d.electronic {
        let at = with(base, "electronic_address");
        let scheme_ok = e.scheme == "EM"
            || (e.scheme.len() == 4 && e.scheme.bytes().all(|b| b.is_ascii_digit()));
        if !scheme_ok {
            p.push(
                &with(&at, "scheme"),
                false,
                format!(
                    "\"{}\" is not an EAS scheme code: EM (e-mail) or four digits (0204 Leitweg-ID, 9930 German VAT number, 0088 GLN...)",
                    e.scheme
                ),
            );
        }
        if e.id.trim().is_empty() || (e.scheme == "EM" && !e.id.contains('@')) {
            p.push(
                &with(&at, "id"),
                false,
                format!("\"{}\" is not an address of scheme {}", e.id, e.scheme),
            );
        }
    }
}

fn check_payment(pay: &Payment, base: &[KeySeg], p: &mut Problems<'_>) {
    if !iban_valid(&pay.iban_compact()) {
        p.push(
            &with(base, "iban"),
            false,
            format!(
                "\"{}\" is not an IBAN (country code, 2 check digits that agree, up to 30 letters and digits)",
                pay.iban
            ),
        );
    }
    if let Some(b) = &pay.bic {
        let ok = (b.len() == 8 || b.len() == 11)
            && b.bytes().take(6).all(|c| c.is_ascii_uppercase())
            && b.bytes()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if !ok {
            p.push(
                &with(base, "bic"),
                false,
                format!("\"{b}\" is not a BIC (8 or 11 capital letters and digits)"),
            );
        }
    }
}

/// Whether `iban` (compact, upper case) has the form of an IBAN and its check digits
/// agree (ISO 13616: the number moved to the end, letters as 10..35, modulo 97 is 1).
#[must_use]
pub(super) fn iban_valid(iban: &str) -> bool {
    let b = iban.as_bytes();
    if !(15..=34).contains(&b.len())
        || !b[..2].iter().all(u8::is_ascii_uppercase)
        || !b[2..4].iter().all(u8::is_ascii_digit)
        || !b
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        return false;
    }
    let mut rem = 0u32;
    for &c in b[4..].iter().chain(&b[..4]) {
        let v = if c.is_ascii_digit() {
            u32::from(c - b'0')
        } else {
            u32::from(c - b'A') + 10
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}
