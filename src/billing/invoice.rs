//! Invoice arithmetic: one tenant's usage in one report becomes an [`Invoice`].
//!
//! - Lines come from the tenant's `usageDetails` workload rows, summed per workload type
//!   and license edition over its support ids and licenses (quantity = `reportedCount`).
//!   A row type with a unit price on the card is priced by its charge model; any other is
//!   priced by its points at `per_point`. Workloads activated this month (`newCount`) are
//!   shown on a line of their own, not charged.
//! - A tenant without usage details is billed its `organizationsUsage` points.
//! - Each line amount is rounded once ([`crate::billing::money::round`]).
//! - subtotal = Σ lines, plus a minimum line when below the tenant's monthly minimum;
//!   discount = round(subtotal × discount %); tax = round((subtotal − discount) × tax %);
//!   total = subtotal − discount + tax (exact: every term is already rounded).
//!
//! The provider's side of a report: what it owes Veeam (`max(points, minimum_points) ×
//! per_point`, with the point total rounded up when the card says so), the cost and
//! margin of each tenant, and the reconciliation of points billed with the report's total.

use crate::billing::charge::{self, Part, PartKind, PartUnit};
use crate::billing::money::{self, Exact, Money, Overflow, Rounding, round};
use crate::billing::rates::{
    Cost, ElectronicAddress, MinimumApplies, PostalAddress, RateCard, TaxCategory, TenantTerms,
};
use crate::enums::WorkloadType;
use crate::model::{
    OrganizationLicenseUsage, OrganizationUsageOfLicensesWithSameSupportId, WorkloadLicenseUsage,
};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// A billing month: the month a report's interval starts in (a real one), `YYYY-MM`.
pub type Period = crate::date::Month;

/// Which report an invoice or a summary comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportRef {
    /// The file, as named on the command line.
    pub file: String,
    /// Position of the report in the file (0 for a single report).
    pub index: usize,
    /// JSON pointer of the report in the file.
    pub pointer: String,
    /// `reportId`.
    pub report_id: Option<i64>,
    /// Name of the report owner (the provider's organization in VSPC).
    pub owner_name: Option<String>,
    /// UID of the report owner.
    pub owner_uid: Option<String>,
    /// `reportStatus` in the spec's spelling, when present.
    pub status: Option<String>,
    /// The billing month (the month the report's interval starts in).
    pub period: Option<Period>,
    /// First day of the interval, `YYYY-MM-DD` (clamped to the month).
    pub period_start: Option<String>,
    /// Last day of the interval, `YYYY-MM-DD` (clamped to the month: the vendor's example
    /// ends February on the 31st).
    pub period_end: Option<String>,
}

impl ReportRef {
    /// `file report N (id 10, Owner, 2026-10)`, for messages.
    #[must_use]
    pub fn describe(&self) -> String {
        let mut bits = Vec::new();
        if let Some(id) = self.report_id {
            bits.push(format!("id {id}"));
        }
        if let Some(o) = &self.owner_name {
            bits.push(o.clone());
        }
        if let Some(p) = self.period {
            bits.push(p.to_string());
        }
        let extra = if bits.is_empty() {
            String::new()
        } else {
            format!(" ({})", bits.join(", "))
        };
        format!("{} report {}{extra}", self.file, self.index)
    }
}

/// Where an invoice's lines come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LineSource {
    /// The tenant's `usageDetails` workload rows.
    UsageDetails,
    /// The tenant's points in `organizationsUsage` (no usage details in the report).
    OrganizationPoints,
}

/// The customer of an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Customer {
    /// Organization UID in the report.
    pub uid: String,
    /// Billing name: the rate card's, else the name in the report.
    pub name: String,
    /// Name in the report.
    pub reported_name: String,
    /// `organizationType` (`Company`, `Reseller`...).
    pub organization_type: Option<String>,
    /// Billing address lines from the rate card.
    pub address: Vec<String>,
    /// E-mail from the rate card.
    pub email: Option<String>,
    /// Tax registration number from the rate card.
    pub tax_id: Option<String>,
    /// VAT identification number from the rate card.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_id: Option<String>,
    /// Structured address from the rate card.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_address: Option<PostalAddress>,
    /// Electronic address from the rate card.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub electronic_address: Option<ElectronicAddress>,
    /// Buyer reference (Leitweg-ID) from the rate card.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_reference: Option<String>,
}

/// What the report says the tenant used of one workload type and edition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UsageItem {
    /// Workload type, spec spelling (`None` for a tenant billed by points only).
    pub workload: Option<String>,
    /// Description (the report's, or the workload type).
    pub description: String,
    /// Product (`BackupAndReplication`, `VB365`...).
    pub product: Option<String>,
    /// License edition.
    pub edition: Option<String>,
    /// Σ `reportedCount`.
    pub reported: i64,
    /// Σ `newCount`.
    pub new: i64,
    /// Σ `usedPoints`.
    pub points: Decimal,
}

/// One invoice line: `quantity × unit_price = amount`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    /// `charge`, `free-units`, `new` or `minimum`.
    pub kind: PartKind,
    /// Workload type, spec spelling.
    pub workload: Option<String>,
    /// License edition.
    pub edition: Option<String>,
    /// What is billed.
    pub description: String,
    /// How the price was chosen (tier, pack), when it needs saying.
    pub detail: Option<String>,
    /// Quantity.
    pub quantity: Decimal,
    /// Unit of the quantity (`VM`, `pack of 10`, `point`).
    pub unit: String,
    /// Price of one unit, with at least the currency's decimals.
    pub unit_price: Decimal,
    /// Amount, rounded once.
    pub amount: Money,
}

/// One tenant's invoice for one report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invoice {
    /// Invoice number, from the card's pattern (empty until numbered).
    pub number: String,
    /// Billing month.
    pub period: Period,
    /// First day of the billed interval.
    pub period_start: String,
    /// Last day of the billed interval.
    pub period_end: String,
    /// Issue date, `YYYY-MM-DD`.
    pub issue_date: String,
    /// Due date, `YYYY-MM-DD`.
    pub due_date: String,
    /// ISO 4217 currency code.
    pub currency: String,
    /// The customer.
    pub customer: Customer,
    /// The report billed.
    pub report: ReportRef,
    /// Where the lines come from.
    pub source: LineSource,
    /// Name of the appendix (license issued to another company) the usage came from,
    /// when appendices are billed.
    pub appendix: Option<String>,
    /// What the report says the tenant used.
    pub usage: Vec<UsageItem>,
    /// Σ points of the usage.
    pub points: Decimal,
    /// The lines.
    pub lines: Vec<Line>,
    /// Σ line amounts (including a minimum line).
    pub subtotal: Money,
    /// Discount rate.
    pub discount_percent: Decimal,
    /// round(subtotal × discount %).
    pub discount: Money,
    /// subtotal − discount: the provider's revenue.
    pub net: Money,
    /// Tax name (`VAT`); `None` when the card has no tax.
    pub tax_name: Option<String>,
    /// Tax rate.
    pub tax_percent: Decimal,
    /// VAT category (`None`: no tax). Left out of the context when standard, as invoices
    /// with a tax were before categories existed: their register digests stay the same.
    #[serde(skip_serializing_if = "is_standard_or_none")]
    pub tax_category: Option<TaxCategory>,
    /// The note the tax category needs (the legal reason of a 0 % tax).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_note: Option<String>,
    /// round(net × tax %).
    pub tax: Money,
    /// net + tax.
    pub total: Money,
    /// A credit note, or an invoice replacing one issued before (with a register and
    /// `--correct`); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correction: Option<Correction>,
}

#[allow(
    clippy::ref_option,
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if passes a reference"
)]
fn is_standard_or_none(c: &Option<TaxCategory>) -> bool {
    matches!(c, None | Some(TaxCategory::Standard))
}

/// How a document corrects an invoice issued before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Correction {
    /// `credit-note` (cancels the invoice in full) or `replacement` (the new invoice).
    pub kind: CorrectionKind,
    /// The number of the invoice corrected.
    pub number: String,
    /// Its issue date.
    pub issue_date: String,
    /// For a replacement, the credit note that cancelled the invoice it replaces.
    pub credit_note: Option<String>,
}

/// What a correcting document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CorrectionKind {
    /// Cancels an invoice in full (negative amounts).
    CreditNote,
    /// Replaces a cancelled invoice.
    Replacement,
}

/// The money at the bottom of an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    /// The top-up to the monthly minimum, when the lines are below it.
    pub minimum_top_up: Option<Money>,
    /// Σ lines + top-up.
    pub subtotal: Money,
    /// round(subtotal × discount %).
    pub discount: Money,
    /// subtotal − discount.
    pub net: Money,
    /// round(net × tax %).
    pub tax: Money,
    /// net + tax.
    pub total: Money,
}

/// What the totals of one tenant's invoice depend on besides its lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TotalsTerms {
    /// The monthly minimum, when any.
    pub minimum: Option<Decimal>,
    /// Whether the minimum tops up the subtotal before the discount, or the amount after it.
    pub minimum_applies: MinimumApplies,
    /// Discount rate.
    pub discount_percent: Decimal,
    /// Tax rate.
    pub tax_percent: Decimal,
    /// Precision and mode of the tax (the card's, unless `[tax] rounding` says otherwise).
    pub tax_rounding: Rounding,
}

/// subtotal, discount, tax and total from the sum of the lines.
///
/// With the minimum before the discount (the default), the top-up brings the subtotal to
/// the minimum and the discount is taken off the subtotal; after the discount, the
/// discount is taken off the lines and the top-up brings what is left to the minimum.
/// Discount and tax are each rounded once: the discount by the card's mode, the tax by
/// `tax_rounding`, on the subtotal after discount. The total adds rounded amounts, so it
/// needs no rounding of its own.
///
/// # Errors
/// [`Overflow`] for amounts beyond an exact decimal.
pub fn totals(lines: Money, terms: &TotalsTerms, r: Rounding) -> Result<Totals, Overflow> {
    let top_up = |amount: Money| -> Result<Option<Money>, Overflow> {
        match terms.minimum {
            Some(m) if amount.value() < m => Some(round(
                money::sub(m, amount.value(), "the top-up to the monthly minimum")?,
                r,
                "the top-up to the monthly minimum",
            ))
            .transpose(),
            _ => Ok(None),
        }
    };
    let plus = |a: Money, b: Option<Money>, what| match b {
        Some(b) => a.checked_add(b).ok_or(Overflow(what)),
        None => Ok(a),
    };
    let discount_of = |amount: Money| {
        round(
            Exact::percent(amount.value(), terms.discount_percent),
            r,
            "the discount",
        )
    };
    let (minimum_top_up, subtotal, discount, net) = match terms.minimum_applies {
        MinimumApplies::BeforeDiscount => {
            let minimum_top_up = top_up(lines)?;
            let subtotal = plus(
                lines,
                minimum_top_up,
                "the subtotal with the minimum top-up",
            )?;
            let discount = discount_of(subtotal)?;
            let net = subtotal
                .checked_sub(discount)
                .ok_or(Overflow("the subtotal after discount"))?;
            (minimum_top_up, subtotal, discount, net)
        }
        MinimumApplies::AfterDiscount => {
            let discount = discount_of(lines)?;
            let after = lines
                .checked_sub(discount)
                .ok_or(Overflow("the subtotal after discount"))?;
            let minimum_top_up = top_up(after)?;
            let subtotal = plus(
                lines,
                minimum_top_up,
                "the subtotal with the minimum top-up",
            )?;
            let net = plus(after, minimum_top_up, "the subtotal after discount")?;
            (minimum_top_up, subtotal, discount, net)
        }
    };
    let tax = round(
        Exact::percent(net.value(), terms.tax_percent),
        terms.tax_rounding,
        "the tax",
    )?;
    let total = net.checked_add(tax).ok_or(Overflow("the invoice total"))?;
    Ok(Totals {
        minimum_top_up,
        subtotal,
        discount,
        net,
        tax,
        total,
    })
}

/// Why a tenant's usage cannot be billed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BillError {
    /// A count or point value is negative.
    Negative(String),
    /// An amount beyond an exact decimal.
    Overflow(String),
    /// A date beyond the calendar the invoices can show (after 9999-12-31).
    Date(String),
}

impl fmt::Display for BillError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Negative(s) | Self::Overflow(s) | Self::Date(s) => f.write_str(s),
        }
    }
}

/// Text read from a report, for documents: [`crate::text::clean`] (control characters
/// replaced, invisible format characters such as bidirectional overrides dropped, trimmed).
#[must_use]
pub fn clean_text(s: &str) -> String {
    crate::text::clean(s)
}

/// A price shown with at least the currency's decimals (`6.5` → `6.50`; `0.0125` stays).
/// Only pads with zeros: the value is unchanged.
#[must_use]
pub fn price_text(d: Decimal, decimals: u32) -> Decimal {
    let mut n = d.normalize();
    if n.scale() < decimals {
        n.rescale(decimals);
    }
    n
}

/// Everything the report holds about one tenant.
#[derive(Debug, Default)]
pub struct TenantUsage<'r> {
    /// UID as first written in the report.
    pub uid: &'r str,
    /// `organizationsUsage` entry (main report or billed appendix).
    pub org: Option<&'r OrganizationLicenseUsage>,
    /// `usageDetails` entries (one per support id).
    pub details: Vec<&'r OrganizationUsageOfLicensesWithSameSupportId>,
    /// Appendix (license company name) the usage came from, if any.
    pub appendix: Option<&'r str>,
}

impl TenantUsage<'_> {
    /// Name in the report: `organizationsUsage`'s, else the first detail's.
    #[must_use]
    pub fn reported_name(&self) -> String {
        self.org
            .and_then(|o| o.organization_name.as_deref())
            .or_else(|| {
                self.details
                    .iter()
                    .find_map(|d| d.organization_name.as_deref())
            })
            .map_or_else(String::new, clean_text)
    }

    /// `organizationType` in the spec's spelling.
    #[must_use]
    pub fn organization_type(&self) -> Option<String> {
        self.org
            .and_then(|o| o.organization_type.as_ref())
            .map(|t| clean_text(t.as_str()))
    }
}

/// Product and edition of a row.
struct ProductInfo<'r> {
    product: Option<&'r str>,
    edition: Option<&'r str>,
}

/// Identity of a usage item: workload type and edition (ignoring ASCII case), borrowed
/// from the report so that grouping rows allocates nothing.
#[derive(Debug, Clone, Copy)]
struct ItemKey<'r> {
    workload: &'r str,
    edition: &'r str,
}

impl Ord for ItemKey<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.workload.cmp(other.workload).then_with(|| {
            let a = self.edition.bytes().map(|b| b.to_ascii_lowercase());
            let b = other.edition.bytes().map(|b| b.to_ascii_lowercase());
            a.cmp(b)
        })
    }
}

impl PartialOrd for ItemKey<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for ItemKey<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for ItemKey<'_> {}

/// Sums the tenant's workload rows per workload type and edition (ordered by type, then
/// edition). `None` when the details hold no workload row.
///
/// # Errors
/// A negative count or point value, or a sum beyond range.
pub fn usage_items(t: &TenantUsage<'_>) -> Result<Option<Vec<UsageItem>>, BillError> {
    let mut items: BTreeMap<ItemKey<'_>, UsageItem> = BTreeMap::new();
    let mut any = false;
    for d in &t.details {
        for p in d.products() {
            let info = ProductInfo {
                product: p
                    .product_type
                    .as_ref()
                    .map(crate::enums::ProductType::as_str),
                edition: p.license_edition.as_deref().map(str::trim),
            };
            for w in p.workloads() {
                any = true;
                add_row(&mut items, &info, w, t)?;
            }
        }
    }
    Ok(any.then(|| items.into_values().collect()))
}

fn add_row<'r>(
    items: &mut BTreeMap<ItemKey<'r>, UsageItem>,
    info: &ProductInfo<'r>,
    w: &'r WorkloadLicenseUsage,
    t: &TenantUsage<'_>,
) -> Result<(), BillError> {
    if w.reported_count < 0
        || w.new_count < 0
        || w.used_points.is_sign_negative() && !w.used_points.is_zero()
    {
        return Err(BillError::Negative(format!(
            "{} ({}) has a negative value for {} (reportedCount {}, newCount {}, usedPoints {})",
            t.reported_name(),
            t.uid,
            w.workload_type,
            w.reported_count,
            w.new_count,
            w.used_points
        )));
    }
    let key = ItemKey {
        workload: w.workload_type.as_str(),
        edition: info.edition.unwrap_or(""),
    };
    let overflow = |what: &str| {
        BillError::Overflow(format!(
            "{} ({}): {what} is beyond range (more than the 28 significant digits of an exact decimal)",
            t.reported_name(),
            t.uid
        ))
    };
    let item = items.entry(key).or_insert_with(|| UsageItem {
        workload: Some(clean_text(w.workload_type.as_str())),
        description: w
            .description
            .as_deref()
            .map(clean_text)
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| default_description(&w.workload_type)),
        product: info.product.map(clean_text),
        edition: info.edition.map(clean_text).filter(|e| !e.is_empty()),
        reported: 0,
        new: 0,
        points: Decimal::ZERO,
    });
    item.reported = item
        .reported
        .checked_add(w.reported_count)
        .ok_or_else(|| overflow(&format!("the sum of reportedCount of {}", w.workload_type)))?;
    item.new = item
        .new
        .checked_add(w.new_count)
        .ok_or_else(|| overflow(&format!("the sum of newCount of {}", w.workload_type)))?;
    item.points = money::add(item.points, w.used_points, "the sum of usedPoints")
        .map_err(|e| overflow(&format!("{} of {}", e.0, w.workload_type)))?;
    Ok(())
}

/// A plain description of a workload type, for reports without `description` (API
/// before 3.3).
#[must_use]
pub fn default_description(w: &WorkloadType) -> String {
    use WorkloadType as W;
    let text = match w {
        W::VbrVm | W::VbrVsphereVm | W::VbrHyperVVm | W::VbrNutanixVm => "Virtual machines",
        W::VbrServerAgent => "Server agents (Veeam Backup & Replication)",
        W::VbrWorkstationAgent => "Workstation agents (Veeam Backup & Replication)",
        W::VacServerAgent => "Server agents",
        W::VacWorkstationAgent => "Workstation agents",
        W::VbrApplicationPlugins => "Application plug-ins",
        W::VbrCloudVm => "Cloud VMs",
        W::VbrCloudDatabase => "Cloud databases",
        W::VbrCloudFileShare => "Cloud file shares",
        W::VbrNasBackup => "NAS backups",
        W::VbrNasServer => "NAS servers",
        W::VbrTapeBackup => "Tape backups",
        W::VbrTapeServer => "Tape servers",
        W::CcVmBackup => "Cloud Connect VM backups",
        W::CcVmReplica => "Cloud Connect replicas",
        W::CcServerBackup => "Cloud Connect server backups",
        W::CcWorkstationBackup => "Cloud Connect workstation backups",
        W::Vb365User => "Microsoft 365 users",
        W::VoneVm => "Veeam ONE: virtual machines",
        W::VoneServerAgent => "Veeam ONE: server agents",
        W::VoneWorkstationAgent => "Veeam ONE: workstation agents",
        W::VoneCloudVm => "Veeam ONE: cloud VMs",
        W::VoneCloudDatabase => "Veeam ONE: cloud databases",
        W::VoneCloudFileShare => "Veeam ONE: cloud file shares",
        W::VoneNasBackup => "Veeam ONE: NAS backups",
        W::VoneTapeBackup => "Veeam ONE: tape backups",
        W::VoneUser => "Veeam ONE: users",
        W::Unknown | W::Dynamic | W::Other(_) => return clean_text(w.as_str()),
    };
    text.to_owned()
}

/// The unit of a workload type when the card does not name one.
#[must_use]
pub fn default_unit(workload: &str) -> &'static str {
    let has = |part: &str| {
        workload
            .as_bytes()
            .windows(part.len())
            .any(|w| w.eq_ignore_ascii_case(part.as_bytes()))
    };
    let ends = |part: &str| {
        workload.len() >= part.len()
            && workload.as_bytes()[workload.len() - part.len()..]
                .eq_ignore_ascii_case(part.as_bytes())
    };
    if ends("_user") {
        "user"
    } else if ends("_vm") {
        "VM"
    } else if has("agent") {
        "agent"
    } else if has("server") {
        "server"
    } else if has("database") {
        "database"
    } else if has("file_share") {
        "file share"
    } else {
        "workload"
    }
}

/// Identity and dates shared by the invoices of one report.
#[derive(Debug, Clone)]
pub struct InvoiceHeader<'a> {
    /// The report.
    pub report: &'a ReportRef,
    /// Billing month.
    pub period: Period,
    /// Issue date.
    pub issue_date: String,
    /// Due date.
    pub due_date: String,
}

/// Bills one tenant on its `terms` (the card's `[tenants."<uid>"]`, when any).
/// `Ok(None)`: nothing to bill (no usage, no minimum).
///
/// # Errors
/// Negative values or amounts beyond range in the tenant's usage.
pub fn bill_tenant(
    t: &TenantUsage<'_>,
    card: &RateCard,
    terms: Option<&TenantTerms>,
    header: &InvoiceHeader<'_>,
) -> Result<Option<Invoice>, BillError> {
    let r = card.rounding();
    let overflow = |e: Overflow| {
        BillError::Overflow(format!(
            "{} ({}): {e}; check the rate card's prices and the report's figures",
            t.reported_name(),
            t.uid
        ))
    };
    let per_point = terms
        .and_then(|t| t.per_point)
        .unwrap_or(card.default.per_point)
        .0;
    let charge_new = card.charge_new(terms);
    let (source, usage) = match usage_items(t)? {
        Some(items) => (LineSource::UsageDetails, items),
        None => match t.org {
            Some(o) => {
                if o.used_points.is_sign_negative() && !o.used_points.is_zero() {
                    return Err(BillError::Negative(format!(
                        "{} ({}) has negative usedPoints {}",
                        t.reported_name(),
                        t.uid,
                        o.used_points
                    )));
                }
                (
                    LineSource::OrganizationPoints,
                    vec![UsageItem {
                        workload: None,
                        description: "License points".to_owned(),
                        product: None,
                        edition: None,
                        reported: 0,
                        new: 0,
                        points: o.used_points,
                    }],
                )
            }
            None => (LineSource::OrganizationPoints, Vec::new()),
        },
    };
    // A charge, a free-units and a new-workloads line per item at most, a few more for
    // tiers, and the minimum.
    let mut lines = Vec::with_capacity(usage.len() * 2 + 1);
    for item in &usage {
        let Some(workload_name) = &item.workload else {
            if !item.points.is_zero() {
                let p = charge::charge_points(item.points, per_point, r).map_err(overflow)?;
                lines.push(make_line(item, None, p, "point", card));
            }
            continue;
        };
        let wt = WorkloadType::parse(workload_name);
        let price = card.workload_price(terms, &wt);
        // Never negative: add_row refuses negative counts.
        let count = |n: i64, what| u64::try_from(n).map_err(|_| overflow(Overflow(what)));
        let reported = count(item.reported, "a negative reportedCount")?;
        let new = count(item.new, "a negative newCount")?;
        let quantity = if charge_new {
            reported
                .checked_add(new)
                .ok_or_else(|| overflow(Overflow("reportedCount + newCount")))?
        } else {
            reported
        };
        let parts = match price {
            Some(p) => {
                charge::charge_units(p, item.edition.as_deref(), quantity, r).map_err(overflow)?
            }
            None => None,
        };
        let unit = price
            .and_then(|p| p.unit.as_deref())
            .unwrap_or_else(|| default_unit(workload_name));
        let label = price.and_then(|p| p.label.as_deref());
        // New workloads are in the charged quantity only when priced by unit: points
        // count them from the next month.
        let new_charged = charge_new && parts.is_some();
        match parts {
            Some(parts) => {
                for p in parts {
                    lines.push(make_line(item, label, p, unit, card));
                }
            }
            None if item.reported != 0 || !item.points.is_zero() => {
                let p = charge::charge_points(item.points, per_point, r).map_err(overflow)?;
                lines.push(make_line(item, label, p, unit, card));
            }
            None => {}
        }
        if new > 0 {
            let p = charge::new_workloads(new, new_charged, r).map_err(overflow)?;
            lines.push(make_line(item, label, p, unit, card));
        }
    }
    let minimum = terms
        .and_then(|t| t.minimum)
        .or(card.default.minimum)
        .map(|m| m.0);
    let sum =
        money::sum(r, lines.iter().map(|l| l.amount), "the sum of the lines").map_err(overflow)?;
    // Nothing to bill and no minimum: no invoice (the summary lists the tenant).
    if sum.is_zero() && minimum.is_none_or(|m| m.is_zero()) {
        return Ok(None);
    }
    let tax_terms = card.tax_terms(terms);
    let total_terms = TotalsTerms {
        minimum,
        minimum_applies: card.minimum_applies(terms),
        discount_percent: terms
            .and_then(|t| t.discount_percent)
            .or(card.default.discount_percent)
            .map_or(Decimal::ZERO, |p| p.0),
        tax_percent: tax_terms.percent,
        tax_rounding: card.tax_rounding(),
    };
    let (discount_percent, tax_percent) = (total_terms.discount_percent, total_terms.tax_percent);
    let tot = totals(sum, &total_terms, r).map_err(overflow)?;
    if let (Some(top_up), Some(minimum)) = (tot.minimum_top_up, minimum) {
        let minimum = round(minimum, r, "the monthly minimum").map_err(overflow)?;
        let detail = match total_terms.minimum_applies {
            MinimumApplies::BeforeDiscount => {
                format!("minimum {minimum} {}, usage {sum}", card.currency)
            }
            MinimumApplies::AfterDiscount => format!(
                "minimum {minimum} {} after discount, usage {sum} less discount {}",
                card.currency, tot.discount
            ),
        };
        lines.push(Line {
            kind: PartKind::Minimum,
            workload: None,
            edition: None,
            description: "Monthly minimum".to_owned(),
            detail: Some(detail),
            quantity: Decimal::ONE,
            unit: "month".to_owned(),
            unit_price: top_up.value(),
            amount: top_up,
        });
    }
    let points = usage
        .iter()
        .try_fold(Decimal::ZERO, |a, i| {
            money::add(a, i.points, "the sum of the points")
        })
        .map_err(overflow)?;
    let reported_name = t.reported_name();
    let customer = Customer {
        uid: clean_text(t.uid),
        name: terms
            .and_then(|x| x.name.clone())
            .unwrap_or_else(|| reported_name.clone()),
        reported_name,
        organization_type: t.organization_type(),
        address: terms
            .map(|x| match (&x.postal_address, x.address.is_empty()) {
                (Some(a), true) => a.lines(),
                _ => x.address.clone(),
            })
            .unwrap_or_default(),
        email: terms.and_then(|x| x.email.clone()),
        tax_id: terms.and_then(|x| x.tax_id.clone()),
        vat_id: terms.and_then(|x| x.vat_id.clone()),
        postal_address: terms.and_then(|x| x.postal_address.clone()),
        electronic_address: terms.and_then(|x| x.electronic_address.clone()),
        buyer_reference: terms.and_then(|x| x.buyer_reference.clone()),
    };
    Ok(Some(Invoice {
        number: String::new(),
        period: header.period,
        period_start: header.report.period_start.clone().unwrap_or_default(),
        period_end: header.report.period_end.clone().unwrap_or_default(),
        issue_date: header.issue_date.clone(),
        due_date: header.due_date.clone(),
        currency: card.currency.clone(),
        customer,
        report: header.report.clone(),
        source,
        appendix: t.appendix.map(clean_text),
        usage: usage
            .into_iter()
            .map(|mut u| {
                u.points = u.points.normalize();
                u
            })
            .collect(),
        points: points.normalize(),
        lines,
        subtotal: tot.subtotal,
        discount_percent: discount_percent.normalize(),
        discount: tot.discount,
        net: tot.net,
        // A tenant's own tax rate shows even when the card has no [tax].
        tax_name: card
            .tax
            .as_ref()
            .map(|t| t.name.clone())
            .or_else(|| (!tax_percent.is_zero()).then(|| "Tax".to_owned())),
        tax_percent: tax_percent.normalize(),
        tax_category: tax_terms.category,
        tax_note: tax_terms.note,
        tax: tot.tax,
        total: tot.total,
        correction: None,
    }))
}

fn make_line(item: &UsageItem, label: Option<&str>, p: Part, unit: &str, card: &RateCard) -> Line {
    let unit = match p.unit {
        PartUnit::Workload => unit.to_owned(),
        PartUnit::Pack(n) => format!("pack of {n}"),
        PartUnit::Point => "point".to_owned(),
        PartUnit::Month => "month".to_owned(),
    };
    let description = label.map_or_else(|| item.description.clone(), str::to_owned);
    let detail = match (p.kind, p.detail) {
        (PartKind::Charge, None) if p.unit == PartUnit::Point && item.workload.is_some() => Some(
            format!("{} points at the point price", item.points.normalize()),
        ),
        (_, d) => d,
    };
    Line {
        kind: p.kind,
        workload: item.workload.clone(),
        edition: item.edition.clone(),
        description,
        detail,
        quantity: p.quantity.normalize(),
        unit,
        unit_price: price_text(p.unit_price, card.decimals()),
        amount: p.amount,
    }
}

/// What the provider owes Veeam for one report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VeeamCost {
    /// Points of the report (`reportSummary.totalPoints`).
    pub report_points: Decimal,
    /// Those points rounded up to a whole number, when the card says so; else the same.
    pub counted_points: Decimal,
    /// Monthly commitment.
    pub minimum_points: Decimal,
    /// max(counted, minimum).
    pub charged_points: Decimal,
    /// Price of one point.
    pub per_point: Decimal,
    /// charged × `per_point`, rounded once.
    pub amount: Money,
}

/// `max(points, minimum_points) × per_point`, the points rounded up first when
/// `round_up_points` is set.
///
/// # Errors
/// [`Overflow`] for amounts beyond an exact decimal.
pub fn veeam_cost(points: Decimal, cost: &Cost, r: Rounding) -> Result<VeeamCost, Overflow> {
    let counted = if cost.round_up_points {
        points.ceil()
    } else {
        points
    };
    let minimum = cost.minimum_points.map_or(Decimal::ZERO, |m| m.0);
    let charged = counted.max(minimum);
    let amount = round(
        Exact::product(charged, cost.per_point.0),
        r,
        "the amount owed to Veeam (points × [cost] per_point)",
    )?;
    Ok(VeeamCost {
        report_points: points.normalize(),
        counted_points: counted.normalize(),
        minimum_points: minimum.normalize(),
        charged_points: charged.normalize(),
        per_point: price_text(cost.per_point.0, r.decimals),
        amount,
    })
}

/// A tenant's share of the provider's cost: its points × the price per point.
///
/// # Errors
/// [`Overflow`] for amounts beyond an exact decimal.
pub fn cost_share(points: Decimal, cost: &Cost, r: Rounding) -> Result<Money, Overflow> {
    round(
        Exact::product(points, cost.per_point.0),
        r,
        "a tenant's share of the cost (points × [cost] per_point)",
    )
}

/// The last year an invoice date can have (dates are written with four digits).
pub const LAST_YEAR: i32 = 9999;

/// Adds `days` to a calendar date (`chrono`, proleptic Gregorian); `None` when the date
/// does not exist or the result is not in the years 0 to [`LAST_YEAR`].
#[must_use]
pub fn add_days(year: i32, month: u32, day: u32, days: i64) -> Option<(i32, u32, u32)> {
    use chrono::Datelike;
    let date = chrono::NaiveDate::from_ymd_opt(year, month, day)?
        .checked_add_signed(chrono::TimeDelta::try_days(days)?)?;
    (0..=LAST_YEAR)
        .contains(&date.year())
        .then(|| (date.year(), date.month(), date.day()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::money::tests::{EVEN, UP, d, money};
    use crate::billing::rates::{Allocate, Amount};

    /// The totals with the minimum before the discount and the tax rounded like the lines.
    fn tot(
        lines: Money,
        minimum: Option<Decimal>,
        discount_percent: Decimal,
        tax_percent: Decimal,
        r: Rounding,
    ) -> Result<Totals, Overflow> {
        let terms = TotalsTerms {
            minimum,
            minimum_applies: MinimumApplies::BeforeDiscount,
            discount_percent,
            tax_percent,
            tax_rounding: r,
        };
        totals(lines, &terms, r)
    }

    fn show(t: &Totals) -> [String; 5] {
        [
            t.subtotal.to_string(),
            t.discount.to_string(),
            t.net.to_string(),
            t.tax.to_string(),
            t.total.to_string(),
        ]
    }

    #[test]
    fn vspc_worked_example() {
        // Gross 400, discount 15 % = 60 → 340, tax 10 % = 34 → 374.00.
        let t = tot(money("400", UP), None, d("15"), d("10"), UP).unwrap();
        assert_eq!(show(&t), ["400.00", "60.00", "340.00", "34.00", "374.00"]);
        assert_eq!(t.minimum_top_up, None);
    }

    #[test]
    fn zero_and_full_discount() {
        let t = tot(money("123.45", UP), None, d("0"), d("19"), UP).unwrap();
        // 123.45 × 19 % = 23.4555 → 23.46
        assert_eq!(show(&t), ["123.45", "0.00", "123.45", "23.46", "146.91"]);
        let t = tot(money("123.45", UP), None, d("100"), d("19"), UP).unwrap();
        assert_eq!(show(&t), ["123.45", "123.45", "0.00", "0.00", "0.00"]);
    }

    #[test]
    fn discount_and_tax_halves_follow_the_mode() {
        // 10.10 × 5 % = 0.505: half-up 0.51, half-even 0.50.
        let up = tot(money("10.10", UP), None, d("5"), d("0"), UP).unwrap();
        assert_eq!(show(&up), ["10.10", "0.51", "9.59", "0.00", "9.59"]);
        let even = tot(money("10.10", EVEN), None, d("5"), d("0"), EVEN).unwrap();
        assert_eq!(show(&even), ["10.10", "0.50", "9.60", "0.00", "9.60"]);
        // Tax on 0.50 at 1 % = 0.005: half-up 0.01, half-even 0.00.
        let up = tot(money("0.50", UP), None, d("0"), d("1"), UP).unwrap();
        assert_eq!(show(&up), ["0.50", "0.00", "0.50", "0.01", "0.51"]);
        let even = tot(money("0.50", EVEN), None, d("0"), d("1"), EVEN).unwrap();
        assert_eq!(show(&even), ["0.50", "0.00", "0.50", "0.00", "0.50"]);
    }

    #[test]
    fn minimum_tops_up_before_discount() {
        // Lines 62.50 below a minimum of 100: top-up 37.50, then 10 % off and 20 % tax.
        let t = tot(money("62.50", UP), Some(d("100")), d("10"), d("20"), UP).unwrap();
        assert_eq!(t.minimum_top_up.unwrap().to_string(), "37.50");
        assert_eq!(show(&t), ["100.00", "10.00", "90.00", "18.00", "108.00"]);
        // At or above the minimum: no top-up.
        let t = tot(money("100", UP), Some(d("100")), d("0"), d("0"), UP).unwrap();
        assert_eq!(t.minimum_top_up, None);
        let t = tot(money("100.01", UP), Some(d("100")), d("0"), d("0"), UP).unwrap();
        assert_eq!(t.minimum_top_up, None);
    }

    #[test]
    fn the_minimum_can_apply_after_the_discount() {
        // Lines 62.50, minimum 100, 10 % off, 20 % tax. After the discount: 62.50 − 6.25 =
        // 56.25, topped up by 43.75 to 100.00 (before it, the discount took 10.00 off the
        // minimum: 90.00).
        let terms = TotalsTerms {
            minimum: Some(d("100")),
            minimum_applies: MinimumApplies::AfterDiscount,
            discount_percent: d("10"),
            tax_percent: d("20"),
            tax_rounding: UP,
        };
        let t = totals(money("62.50", UP), &terms, UP).unwrap();
        assert_eq!(t.minimum_top_up.unwrap().to_string(), "43.75");
        assert_eq!(show(&t), ["106.25", "6.25", "100.00", "20.00", "120.00"]);
        // Above the minimum after the discount: no top-up, the same as before it.
        let t = totals(money("200", UP), &terms, UP).unwrap();
        assert_eq!(t.minimum_top_up, None);
        assert_eq!(show(&t), ["200.00", "20.00", "180.00", "36.00", "216.00"]);
        // 105 − 10 % = 94.50: below 100 after the discount, above it before.
        let t = totals(money("105", UP), &terms, UP).unwrap();
        assert_eq!(show(&t), ["110.50", "10.50", "100.00", "20.00", "120.00"]);
    }

    #[test]
    fn tax_can_have_its_own_rounding_mode() {
        // Tax on 0.50 at 1 % = 0.005: lines half-up, tax half-even → 0.00.
        let terms = TotalsTerms {
            minimum: None,
            minimum_applies: MinimumApplies::BeforeDiscount,
            discount_percent: d("0"),
            tax_percent: d("1"),
            tax_rounding: EVEN,
        };
        let t = totals(money("0.50", UP), &terms, UP).unwrap();
        assert_eq!(show(&t), ["0.50", "0.00", "0.50", "0.00", "0.50"]);
        // The discount keeps the card's mode: 10.10 × 5 % = 0.505 → 0.51 half-up.
        let terms = TotalsTerms {
            discount_percent: d("5"),
            tax_percent: d("0"),
            ..terms
        };
        let t = totals(money("10.10", UP), &terms, UP).unwrap();
        assert_eq!(show(&t), ["10.10", "0.51", "9.59", "0.00", "9.59"]);
    }

    #[test]
    fn veeam_cost_with_commitment_and_round_up() {
        let cost = Cost {
            per_point: Amount(d("0.80")),
            minimum_points: Some(Amount(d("100"))),
            round_up_points: true,
            allocate: Allocate::None,
        };
        // 203.5 points → 204 counted → 204 × 0.80 = 163.20
        let c = veeam_cost(d("203.5"), &cost, UP).unwrap();
        assert_eq!(
            (
                c.counted_points.to_string(),
                c.charged_points.to_string(),
                c.amount.to_string()
            ),
            ("204".into(), "204".into(), "163.20".into())
        );
        // 5 points under a 100-point commitment → 100 × 0.80 = 80.00
        let c = veeam_cost(d("5"), &cost, UP).unwrap();
        assert_eq!(
            (c.charged_points.to_string(), c.amount.to_string()),
            ("100".into(), "80.00".into())
        );
        let exact = Cost {
            round_up_points: false,
            minimum_points: None,
            ..cost
        };
        // 203.5 × 0.80 = 162.80
        assert_eq!(
            veeam_cost(d("203.5"), &exact, UP)
                .unwrap()
                .amount
                .to_string(),
            "162.80"
        );
        assert_eq!(
            cost_share(d("88.5"), &exact, UP).unwrap().to_string(),
            "70.80"
        );
    }

    #[test]
    fn dates() {
        assert_eq!(add_days(2026, 11, 1, 30), Some((2026, 12, 1)));
        assert_eq!(add_days(2020, 2, 28, 1), Some((2020, 2, 29)));
        assert_eq!(add_days(2021, 2, 28, 1), Some((2021, 3, 1)));
        assert_eq!(add_days(2026, 12, 31, 1), Some((2027, 1, 1)));
        assert_eq!(add_days(2000, 3, 1, -1), Some((2000, 2, 29)));
        assert_eq!(add_days(1970, 1, 1, 0), Some((1970, 1, 1)));
        // Four-digit years only: 4,000,000,000 days from 2026 was the year 10953654.
        assert_eq!(add_days(9999, 12, 1, 30), Some((9999, 12, 31)));
        assert_eq!(add_days(9999, 12, 31, 1), None);
        assert_eq!(add_days(2026, 11, 1, 4_000_000_000), None);
        assert_eq!(add_days(2026, 11, 1, i64::MAX), None);
        assert_eq!(add_days(0, 1, 1, -1), None);
    }

    #[test]
    fn text_from_reports_loses_its_control_characters() {
        assert_eq!(
            clean_text(" Evil\u{1b}[31mCorp\r\n"),
            "Evil\u{FFFD}[31mCorp"
        );
        assert_eq!(clean_text("Fabrikam, Inc."), "Fabrikam, Inc.");
    }

    #[test]
    fn prices_are_padded_never_rounded() {
        assert_eq!(price_text(d("6.5"), 2).to_string(), "6.50");
        assert_eq!(price_text(d("0.0125"), 2).to_string(), "0.0125");
        assert_eq!(price_text(d("4.000"), 2).to_string(), "4.00");
        assert_eq!(price_text(d("4"), 0).to_string(), "4");
    }
}
