//! The provider's summary: per billed report, what was invoiced, what is owed to Veeam, the
//! margin per tenant, and the reconciliation of points; and the run's totals.

use super::invoice::{BillError, Invoice, ReportRef, VeeamCost, cost_share, veeam_cost};
use super::money::{Money, Rounding};
use super::rates::{Allocate, RateCard};
use super::{Billed, Refusal, ReportBill, Skipped, money, points_sum, report_overflow};
use rust_decimal::Decimal;
use serde::Serialize;

/// An organization and its points, for the summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrgPoints {
    /// Organization UID.
    pub uid: String,
    /// Name in the report.
    pub name: String,
    /// Points.
    pub points: Decimal,
    /// Share of the provider's cost (points × cost per point), when `[cost]` is set.
    pub cost: Option<Money>,
}

/// An appendix (license issued to another company).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppendixRow {
    /// `licenseCompanyName`.
    pub company: String,
    /// `appendixSummary.totalPoints` (or Σ of its organizations).
    pub points: Decimal,
    /// Whether its tenants were billed (`--include-appendices`).
    pub billed: bool,
    /// Its organizations.
    pub organizations: Vec<OrgPoints>,
}

/// One invoiced tenant in the summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TenantRow {
    /// Invoice number.
    pub invoice_number: String,
    /// Organization UID.
    pub uid: String,
    /// Billing name.
    pub name: String,
    /// Points billed.
    pub points: Decimal,
    /// Subtotal.
    pub subtotal: Money,
    /// Discount.
    pub discount: Money,
    /// Revenue: subtotal − discount (tax is not revenue).
    pub revenue: Money,
    /// Tax.
    pub tax: Money,
    /// Invoice total.
    pub total: Money,
    /// Share of the cost owed to Veeam: points × cost per point.
    pub cost: Option<Money>,
    /// revenue − cost.
    pub margin: Option<Money>,
}

impl TenantRow {
    /// The row of an invoice, before numbering and without cost and margin.
    pub(super) fn of(i: &Invoice) -> Self {
        Self {
            invoice_number: String::new(),
            uid: i.customer.uid.clone(),
            name: i.customer.name.clone(),
            points: i.points,
            subtotal: i.subtotal,
            discount: i.discount,
            revenue: i.net,
            tax: i.tax,
            total: i.total,
            cost: None,
            margin: None,
        }
    }
}

/// Points billed against the report's total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reconciliation {
    /// `reportSummary.totalPoints` (appendices are outside it); Σ `organizationsUsage`
    /// when the report has no summary.
    pub report_total: Decimal,
    /// Whether `report_total` comes from `reportSummary` (else from the organizations).
    pub from_summary: bool,
    /// Σ appendix points.
    pub appendix_points: Decimal,
    /// Whether appendices were billed.
    pub appendices_billed: bool,
    /// Points that should be billed: the report total, plus the appendices when billed.
    pub expected: Decimal,
    /// Σ points on the invoices.
    pub billed: Decimal,
    /// Points of the provider's own organization (not invoiced).
    pub provider_own: Decimal,
    /// Points of tenants with nothing to invoice.
    pub not_invoiced: Decimal,
    /// Points of tenants refused (`buyer-address-missing`): not invoiced this run.
    pub refused: Decimal,
    /// expected − billed − `provider_own` − `not_invoiced` − `refused`: 0 when everything
    /// is accounted for.
    pub difference: Decimal,
    /// Whether the difference is 0.
    pub balanced: bool,
}

/// The provider's view of one report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportSummary {
    /// The report.
    pub report: ReportRef,
    /// Invoiced tenants, by invoice number.
    pub tenants: Vec<TenantRow>,
    /// Tenants with nothing to invoice: no usage, or usage that costs nothing (free units,
    /// new workloads) and no minimum.
    pub no_usage: Vec<OrgPoints>,
    /// Tenants refused (no invoice; the run's refusals say why).
    pub refused_tenants: Vec<OrgPoints>,
    /// The provider's own organization (not invoiced).
    pub provider_own: Vec<OrgPoints>,
    /// Appendices.
    pub appendices: Vec<AppendixRow>,
    /// Points billed against the report's total.
    pub reconciliation: Reconciliation,
    /// What is owed to Veeam for this report, when `[cost]` is set.
    pub cost: Option<VeeamCost>,
    /// Σ tenant revenue.
    pub revenue: Money,
    /// Σ invoice totals (with tax).
    pub invoiced: Money,
    /// Σ the cost shares of every organization.
    pub allocated_cost: Option<Money>,
    /// Veeam cost − allocated: commitment top-up and point round-up no tenant carries (0
    /// with `[cost] allocate = "pro-rata"`, which spreads them over the organizations).
    pub unallocated_cost: Option<Money>,
    /// revenue − Veeam cost.
    pub margin: Option<Money>,
    /// Warnings about billing this report (billed unapproved, billed despite findings).
    pub warnings: Vec<String>,
}

/// Totals over every billed report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SummaryTotals {
    /// Invoices issued.
    pub invoices: usize,
    /// Σ points billed.
    pub points: Decimal,
    /// Σ subtotals.
    pub subtotal: Money,
    /// Σ discounts.
    pub discount: Money,
    /// Σ revenue.
    pub revenue: Money,
    /// Σ tax.
    pub tax: Money,
    /// Σ invoice totals.
    pub total: Money,
    /// Σ Veeam cost.
    pub cost: Option<Money>,
    /// revenue − cost.
    pub margin: Option<Money>,
}

/// The provider's summary of a run: the context of `summary.md.tera`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Currency of every amount.
    pub currency: String,
    /// Rounding mode of the card.
    pub rounding: &'static str,
    /// Per billed report, in input order.
    pub reports: Vec<ReportSummary>,
    /// Over all reports.
    pub totals: SummaryTotals,
    /// Files and reports not billed, and why.
    pub refused: Vec<Refusal>,
    /// Files with nothing to bill.
    pub skipped: Vec<Skipped>,
    /// Rate card tenants that matched no organization of the reports read (a mistyped
    /// UID leaves its terms unused): the `invoice` command stops unless `--allow
    /// unknown-tenant` (`unknown-tenant`).
    pub unmatched_tenants: Vec<String>,
}

/// Everything a run produces.
#[derive(Debug, Clone)]
pub struct Billing {
    /// Invoices, numbered, in number order.
    pub invoices: Vec<Invoice>,
    /// The provider's summary.
    pub summary: Summary,
}

/// The provider's view of one report: tenant rows (numbered later), cost shares, the
/// reconciliation of points and the report's totals.
///
/// # Errors
/// A figure that cannot be computed exactly (a cost share, the cost owed to Veeam, a
/// total or a margin): the report is refused rather than shown with a wrong number.
pub(super) fn summarize(b: Billed, card: &RateCard) -> Result<ReportBill, BillError> {
    let r = card.rounding();
    let share = |points: Decimal| -> Result<Option<Money>, BillError> {
        card.cost
            .as_ref()
            .map(|c| cost_share(points, c, r))
            .transpose()
            .map_err(report_overflow)
    };
    let with_cost = |v: Vec<OrgPoints>| -> Result<Vec<OrgPoints>, BillError> {
        v.into_iter()
            .map(|o| {
                Ok(OrgPoints {
                    cost: share(o.points)?,
                    ..o
                })
            })
            .collect()
    };
    // Points and cost only (the rows keep the names): a month of 630,000 invoices holds
    // these beside its rows.
    let mut invoiced = b
        .invoiced
        .iter()
        .map(|i| {
            Ok(OrgPoints {
                uid: i.uid.clone(),
                name: String::new(),
                points: i.points,
                cost: share(i.points)?,
            })
        })
        .collect::<Result<Vec<OrgPoints>, BillError>>()?;
    let mut provider_own = with_cost(b.provider_own)?;
    let mut no_usage = with_cost(b.no_usage)?;
    let mut refused_tenants = with_cost(b.refused)?;
    let points_of = |v: &[OrgPoints], what| points_sum(v.iter().map(|o| o.points), what);
    let billed = points_of(&invoiced, "sum of invoiced points")?;
    let appendix_points = points_sum(
        b.appendices.iter().map(|x| x.points),
        "sum of appendix points",
    )?;
    let appendices_billed = b.appendices.iter().any(|a| a.billed);
    let expected = if appendices_billed {
        money::add(b.report_total, appendix_points, "points to bill").map_err(report_overflow)?
    } else {
        b.report_total
    };
    let own = points_of(&provider_own, "points of the provider's own organization")?;
    let not_invoiced = points_of(&no_usage, "points of tenants without invoice")?;
    let refused = points_of(&refused_tenants, "points of refused tenants")?;
    let difference = [billed, own, not_invoiced, refused]
        .into_iter()
        .try_fold(expected, |d, v| {
            money::sub(d, v, "difference of points billed")
        })
        .map_err(report_overflow)?;
    let cost = card
        .cost
        .as_ref()
        .map(|c| veeam_cost(b.report_total, c, r))
        .transpose()
        .map_err(report_overflow)?;
    let mut orgs: Vec<&mut OrgPoints> = invoiced
        .iter_mut()
        .chain(&mut provider_own)
        .chain(&mut no_usage)
        .chain(&mut refused_tenants)
        .collect();
    let (allocated_cost, unallocated_cost) = match (&card.cost, &cost) {
        (Some(c), Some(veeam)) => {
            let (allocated, unallocated) = allocate_cost(&mut orgs, veeam.amount, c.allocate, r)?;
            (Some(allocated), Some(unallocated))
        }
        _ => (None, None),
    };
    // Filled in place: the rows are not copied.
    let mut tenants = b.invoiced;
    for (row, o) in tenants.iter_mut().zip(&invoiced) {
        row.margin = o
            .cost
            .map(|c| {
                row.revenue
                    .checked_sub(c)
                    .ok_or(money::Overflow("margin of a tenant"))
            })
            .transpose()
            .map_err(report_overflow)?;
        row.cost = o.cost;
    }
    drop(invoiced);
    let revenue =
        money::sum(r, tenants.iter().map(|t| t.revenue), "revenue").map_err(report_overflow)?;
    let invoiced = money::sum(r, tenants.iter().map(|t| t.total), "sum of invoice totals")
        .map_err(report_overflow)?;
    let margin = cost
        .as_ref()
        .map(|c| {
            revenue
                .checked_sub(c.amount)
                .ok_or(money::Overflow("margin"))
        })
        .transpose()
        .map_err(report_overflow)?;
    let summary = ReportSummary {
        report: b.report.clone(),
        tenants,
        no_usage,
        refused_tenants,
        provider_own,
        appendices: b.appendices,
        reconciliation: Reconciliation {
            report_total: b.report_total,
            from_summary: b.from_summary,
            appendix_points: appendix_points.normalize(),
            appendices_billed,
            expected: expected.normalize(),
            billed: billed.normalize(),
            provider_own: own.normalize(),
            not_invoiced: not_invoiced.normalize(),
            refused: refused.normalize(),
            difference: difference.normalize(),
            balanced: difference.is_zero(),
        },
        cost,
        revenue,
        invoiced,
        allocated_cost,
        unallocated_cost,
        margin,
        warnings: Vec::new(),
    };
    Ok(ReportBill {
        report: b.report,
        invoices: b.invoices,
        summary,
    })
}

/// The cost shares of `orgs` (points × `per_point`, already set) and what no share carries;
/// with `pro-rata`, that remainder (the commitment top-up and the round-up) is spread over
/// the organizations by points ([`money::allocate`]), so that the shares add up to the
/// cost owed to Veeam. Returns (allocated, unallocated).
fn allocate_cost(
    orgs: &mut [&mut OrgPoints],
    cost: Money,
    how: Allocate,
    r: Rounding,
) -> Result<(Money, Money), BillError> {
    const WHAT: &str = "the cost allocated to tenants";
    let allocated =
        money::sum(r, orgs.iter().filter_map(|o| o.cost), WHAT).map_err(report_overflow)?;
    let unallocated = cost
        .checked_sub(allocated)
        .ok_or(money::Overflow("cost no tenant carries"))
        .map_err(report_overflow)?;
    if how == Allocate::None || unallocated.is_zero() {
        return Ok((allocated, unallocated));
    }
    let weights: Vec<(Decimal, &str)> = orgs.iter().map(|o| (o.points, o.uid.as_str())).collect();
    let Some(extra) = money::allocate(unallocated, &weights, WHAT).map_err(report_overflow)? else {
        // No points to spread by (a commitment over a month without usage).
        return Ok((allocated, unallocated));
    };
    for (o, e) in orgs.iter_mut().zip(extra) {
        o.cost = o
            .cost
            .map(|c| c.checked_add(e).ok_or(money::Overflow(WHAT)))
            .transpose()
            .map_err(report_overflow)?;
    }
    Ok((cost, Money::zero(r)))
}
