//! Roll-ups of a summary: its rows, products and total against the sums below them, and
//! the summary rows against the usage details they sum.

use super::{DetailRows, ReportCheck, TypeSums, Who, ceiling_note, edition_key};
use crate::audit::compare::show_expected;
use crate::audit::{Ptr, Sum, Verdict, exact_add};
use crate::diag::Finding;
use crate::enums::{ProductType, WorkloadType};
use crate::model::{LicenseReportSummary, OrganizationUsageOfLicensesWithSameSupportId};
use std::collections::BTreeMap;

impl<'r> ReportCheck<'_, '_, 'r, '_> {
    pub(super) fn summary(
        &mut self,
        s: &'r LicenseReportSummary,
        at: Ptr<'_>,
        who: Who<'r>,
        types: &mut BTreeMap<&'r WorkloadType, TypeSums>,
    ) {
        if s.total_points.is_sign_negative() && !s.total_points.is_zero() {
            self.ctx.negative(at, "totalPoints", s.total_points);
        }
        let pp = at.key("productsUsage");
        let mut total = Sum::ZERO;
        for (pi, p) in s.products_usage.iter().enumerate() {
            let pat = pp.at(pi);
            if let Some(ProductType::Other(v)) = &p.product_type {
                self.unknown(pat.key("productType"), "productType", v, ProductType::KNOWN);
            }
            let edition = p.license_edition.as_deref();
            let mut sum = Sum::ZERO;
            for (wi, w) in p.workloads().iter().enumerate() {
                let wat = pat.key_at("workloadUsage", wi);
                self.workload(w, wat, edition, who);
                sum.add(w.used_points);
                let t = types.entry(&w.workload_type).or_insert_with(TypeSums::new);
                t.summary.add(w.used_points);
                if t.summary_at.is_none() {
                    t.summary_at = Some(wat.render());
                }
            }
            match p.total_points {
                Some(tp) => {
                    if tp.is_sign_negative() && !tp.is_zero() {
                        self.ctx.negative(pat, "totalPoints", tp);
                    }
                    if p.workload_usage.is_some() {
                        let tat = pat.key("totalPoints");
                        match self.ctx.verdict(sum.value(), tp) {
                            Verdict::Agree => {}
                            Verdict::Overflow => {
                                self.ctx.overflow(tat, "the sum of workloadUsage");
                            }
                            Verdict::Differ(e) => {
                                let product = p
                                    .product_type
                                    .as_ref()
                                    .map(ProductType::as_str)
                                    .or(p.product_name.as_deref())
                                    .unwrap_or("without productType");
                                let f = Finding::of(crate::codes::Code::ProductTotalMismatch,
                                    self.ctx.file,
                                    tat.render(),
                                    format!(
                                        "product {product}{} {who}: totalPoints {tp} is not the sum of its workloads' usedPoints, {}{}",
                                        edition.map_or(String::new(), |e| format!(" ({e})")),
                                        show_expected(e, tp),
                                        ceiling_note(e, tp)
                                    ),
                                )
                                .with_values(show_expected(e, tp), tp);
                                self.ctx.emit(f);
                            }
                        }
                    }
                    total.add(tp);
                }
                None => total.0 = total.0.and_then(|t| sum.0.and_then(|v| exact_add(t, v))),
            }
        }
        let tat = at.key("totalPoints");
        match self.ctx.verdict(total.value(), s.total_points) {
            Verdict::Agree => {}
            Verdict::Overflow => self.ctx.overflow(tat, "the sum of productsUsage"),
            Verdict::Differ(e) => {
                let f = Finding::of(
                    crate::codes::Code::SummaryTotalMismatch,
                    self.ctx.file,
                    tat.render(),
                    format!(
                        "totalPoints {} {who} is not the sum of the products' totalPoints, {}{}",
                        s.total_points,
                        show_expected(e, s.total_points),
                        ceiling_note(e, s.total_points)
                    ),
                )
                .with_values(show_expected(e, s.total_points), s.total_points);
                self.ctx.emit(f);
            }
        }
    }

    /// The pending summary rows of this scope against the usageDetails rows they sum: a
    /// row whose points and reportedCount are those of its type and edition in the
    /// details agrees with them (objects of different weights); any other is a
    /// `points-mismatch`. One pass over the details, only when a row is pending.
    pub(super) fn summary_rows_against_details(
        &mut self,
        details: &'r [OrganizationUsageOfLicensesWithSameSupportId],
    ) {
        let pending = std::mem::take(&mut self.pending);
        if pending.is_empty() {
            return;
        }
        // By workload type, then edition.
        let mut sums: BTreeMap<&'r WorkloadType, BTreeMap<String, DetailRows>> = BTreeMap::new();
        for p in &pending {
            sums.entry(p.workload).or_default().insert(
                p.edition.clone(),
                DetailRows {
                    rows: 0,
                    points: Sum::ZERO,
                    reported: Some(0),
                },
            );
        }
        for lp in details
            .iter()
            .flat_map(OrganizationUsageOfLicensesWithSameSupportId::products)
        {
            let edition = edition_key(lp.license_edition.as_deref());
            for w in lp.workloads() {
                if let Some(t) = sums
                    .get_mut(&w.workload_type)
                    .and_then(|e| e.get_mut(edition.as_str()))
                {
                    t.rows += 1;
                    t.points.add(w.used_points);
                    t.reported = t.reported.and_then(|c| c.checked_add(w.reported_count));
                }
            }
        }
        for p in &pending {
            let t = sums[p.workload][p.edition.as_str()];
            let details = match (t.rows, t.points.value(), t.reported) {
                (0, _, _) => None,
                (_, Some(points), Some(count)) => Some((points, count)),
                _ => {
                    self.ctx.overflow(
                        Ptr::root(&p.at),
                        "the sum of the usageDetails rows of this type",
                    );
                    continue;
                }
            };
            let agrees = details.is_some_and(|(points, count)| {
                count == p.numbers.reported && self.ctx.rule.agrees(points, p.numbers.used)
            });
            if !agrees {
                self.points_mismatch(
                    format!("{}/usedPoints", p.at),
                    &p.what,
                    p.numbers,
                    p.expected,
                    details,
                );
            }
        }
    }
}
