//! Workload rows: counts, `usedPoints = reportedCount × weight` (or the sum over
//! `objectsByWeight`), and one weight per workload type and edition in a report.

use super::{PendingRow, ReportCheck, RowNumbers, WeightSeen, Who, ceiling_note, edition_key};
use crate::audit::compare::show_expected;
use crate::audit::{Ptr, Sum, Verdict, exact_mul};
use crate::diag::Finding;
use crate::enums::WorkloadType;
use crate::model::WorkloadLicenseUsage;
use rust_decimal::Decimal;

impl<'r> ReportCheck<'_, '_, 'r, '_> {
    #[allow(clippy::too_many_lines)]
    pub(super) fn workload(
        &mut self,
        w: &'r WorkloadLicenseUsage,
        at: Ptr<'_>,
        edition: Option<&'r str>,
        who: Who<'r>,
    ) {
        let wt = w.workload_type.as_str();
        if let WorkloadType::Other(v) = &w.workload_type {
            self.unknown(
                at.key("workloadType"),
                "workloadType",
                v,
                WorkloadType::KNOWN,
            );
        }
        self.counts(at, w.initial_count, w.reported_count, w.new_count);
        for (field, v) in [("weight", w.weight), ("usedPoints", w.used_points)] {
            if v.is_sign_negative() && !v.is_zero() {
                self.ctx.negative(at, field, v);
            }
        }
        let has_objects = w.platforms().iter().any(|p| !p.objects().is_empty());
        if has_objects {
            let mut sum = Sum::ZERO;
            let mut counts = [Some(0i64); 3];
            for (pi, p) in w.platforms().iter().enumerate() {
                for (oi, o) in p.objects().iter().enumerate() {
                    let plat = at.key_at("workloadsByPlatform", pi);
                    let oat = plat.key_at("objectsByWeight", oi);
                    self.counts(oat, o.initial_count, o.reported_count, o.new_count);
                    for (field, v) in [("weight", o.weight), ("usedPoints", o.used_points)] {
                        if v.is_sign_negative() && !v.is_zero() {
                            self.ctx.negative(oat, field, v);
                        }
                    }
                    let platform = p.type_id.as_deref().or(p.description.as_deref());
                    self.row_points(
                        oat,
                        &|| {
                            format!(
                                "{wt} {who}, platform {:?}, objects of weight {}",
                                platform.unwrap_or(""),
                                o.weight
                            )
                        },
                        RowNumbers {
                            reported: o.reported_count,
                            new: o.new_count,
                            weight: o.weight,
                            used: o.used_points,
                        },
                    );
                    sum.add(o.used_points);
                    for (c, v) in
                        counts
                            .iter_mut()
                            .zip([o.initial_count, o.reported_count, o.new_count])
                    {
                        *c = c.and_then(|c| c.checked_add(v));
                    }
                }
            }
            let uat = at.key("usedPoints");
            match self.ctx.verdict(sum.value(), w.used_points) {
                Verdict::Agree => {}
                Verdict::Overflow => self.ctx.overflow(uat, "the sum of objectsByWeight"),
                Verdict::Differ(e) => {
                    let f = Finding::of(crate::codes::Code::PointsMismatch,
                        self.ctx.file,
                        uat.render(),
                        format!(
                            "{wt} {who}: usedPoints {} is not the sum of its objectsByWeight usedPoints, {}{}",
                            w.used_points,
                            show_expected(e, w.used_points),
                            ceiling_note(e, w.used_points)
                        ),
                    )
                    .with_values(show_expected(e, w.used_points), w.used_points);
                    self.ctx.emit(f);
                }
            }
            let fields = [
                ("initialCount", w.initial_count),
                ("reportedCount", w.reported_count),
                ("newCount", w.new_count),
            ];
            for ((field, have), sum) in fields.into_iter().zip(counts) {
                if let Some(sum) = sum
                    && sum != have
                {
                    let f = Finding::of(crate::codes::Code::PlatformCountMismatch,
                        self.ctx.file,
                        at.key(field).render(),
                        format!(
                            "{wt} {who}: {field} {have} is not the sum of its objectsByWeight {field}, {sum}"
                        ),
                    )
                    .with_values(sum, have);
                    self.ctx.emit(f);
                }
            }
        } else {
            let n = RowNumbers {
                reported: w.reported_count,
                new: w.new_count,
                weight: w.weight,
                used: w.used_points,
            };
            let expected = exact_mul(Decimal::from(n.reported), n.weight);
            match (who, self.ctx.verdict(expected, n.used)) {
                // A summary row sums usageDetails rows, whose objects may weigh
                // differently: checked against them once they are read.
                (Who::Summary | Who::AppendixSummary(_), Verdict::Differ(e)) => {
                    self.pending.push(PendingRow {
                        at: at.render(),
                        what: format!("{wt} {who}"),
                        workload: &w.workload_type,
                        edition: edition_key(edition),
                        numbers: n,
                        expected: e,
                    });
                }
                _ => self.row_points(at, &|| format!("{wt} {who}"), n),
            }
        }

        // Weights: against the table, and against the other rows of the report.
        let weights = self.ctx.weights;
        if let Some(rule) = weights.unexpected(&w.workload_type, edition, self.month, w.weight)
            && self.first_time(("weight-unexpected", wt, edition.unwrap_or(""), w.weight))
        {
            let f = Finding::of(
                crate::codes::Code::WeightUnexpected,
                self.ctx.file,
                at.key("weight").render(),
                format!(
                    "{wt}{} {who} has weight {}, but {} is expected ({})",
                    edition.map_or(String::new(), |e| format!(" ({e})")),
                    w.weight,
                    rule.points,
                    rule.source
                ),
            )
            .with_values(rule.points, w.weight);
            self.ctx.emit(f);
        }
        let seen = self
            .weights_seen
            .entry((&w.workload_type, edition.unwrap_or("")))
            .or_default();
        match seen.iter_mut().find(|s| s.weight == w.weight) {
            Some(s) => s.rows += 1,
            None => seen.push(WeightSeen {
                weight: w.weight,
                rows: 1,
                first: at.render(),
            }),
        }
    }

    /// One row of `usedPoints` against `count × weight`.
    pub(super) fn row_points(&mut self, at: Ptr<'_>, what: &dyn Fn() -> String, n: RowNumbers) {
        let uat = at.key("usedPoints");
        let expected = exact_mul(Decimal::from(n.reported), n.weight);
        match self.ctx.verdict(expected, n.used) {
            Verdict::Agree => {}
            Verdict::Overflow => self.ctx.overflow(uat, "reportedCount x weight"),
            Verdict::Differ(e) => self.points_mismatch(uat.render(), &what(), n, e, None),
        }
    }

    /// `points-mismatch` of a row whose usedPoints is not reportedCount × weight = `e`;
    /// `details`: what the usageDetails rows a summary row sums add up to, when it has any.
    pub(super) fn points_mismatch(
        &mut self,
        uat: String,
        what: &str,
        n: RowNumbers,
        e: Decimal,
        details: Option<(Decimal, i64)>,
    ) {
        let RowNumbers {
            reported,
            new,
            weight,
            used,
        } = n;
        let mut message = format!(
            "{what}: usedPoints {used} is not reportedCount {reported} x weight {weight} = {}",
            show_expected(e, used)
        );
        // The usageDetails rows explain the points (objects of different weights) but
        // not the count: say so, and nothing about new workloads.
        let explained = details.is_some_and(|(points, _)| self.ctx.rule.agrees(points, used));
        if let Some((points, count)) = details {
            message.push_str(&format!(
                "; the usageDetails rows of this type and edition sum to {points} points for reportedCount {count}"
            ));
            if explained {
                message.push_str(&format!(
                    ", the same points (objects of different weights) but not the same count as this row's {reported}"
                ));
            }
        }
        if !explained
            && new != 0
            && let Some(without_new) = reported
                .checked_sub(new)
                .and_then(|c| exact_mul(Decimal::from(c), weight))
            && self.ctx.rule.agrees(without_new, used)
        {
            message.push_str(&format!(
                "; it matches (reportedCount - newCount) x weight = ({reported} - {new}) x {weight} = {}: the new workloads were left out",
                show_expected(without_new, used)
            ));
        }
        message.push_str(&ceiling_note(e, used));
        let f = Finding::of(
            crate::codes::Code::PointsMismatch,
            self.ctx.file,
            uat,
            message,
        )
        .with_values(show_expected(e, used), used);
        self.ctx.emit(f);
    }

    /// `weight-inconsistent`: per workload type and edition, every weight other than the
    /// one most rows have (the first seen on a tie), at its first row.
    pub(super) fn inconsistent_weights(&mut self) {
        let seen = std::mem::take(&mut self.weights_seen);
        for ((wt, edition), weights) in &seen {
            if weights.len() < 2 {
                continue;
            }
            let mut main = &weights[0];
            for w in &weights[1..] {
                if w.rows > main.rows {
                    main = w;
                }
            }
            let edition = if edition.is_empty() {
                String::new()
            } else {
                format!(" ({edition})")
            };
            for w in weights.iter().filter(|w| w.weight != main.weight) {
                let others = if w.rows > 1 {
                    format!(" and in {} more rows", w.rows - 1)
                } else {
                    String::new()
                };
                let f = Finding::of(crate::codes::Code::WeightInconsistent,
                    self.ctx.file,
                    format!("{}/weight", w.first),
                    format!(
                        "{wt}{edition} has weight {} here{others}, but {} in {} row{} of this report (first at {}/weight): one workload type and edition has one weight in a report",
                        w.weight,
                        main.weight,
                        main.rows,
                        if main.rows == 1 { "" } else { "s" },
                        main.first
                    ),
                )
                .with_values(main.weight, w.weight);
                self.ctx.emit(f);
            }
        }
    }

    /// Counts of a row: not negative, and no more reported than collected.
    pub(super) fn counts(&mut self, at: Ptr<'_>, initial: i64, reported: i64, new: i64) {
        for (field, v) in [
            ("initialCount", initial),
            ("reportedCount", reported),
            ("newCount", new),
        ] {
            if v < 0 {
                self.ctx.negative(at, field, v);
            }
        }
        if reported > initial {
            let f = Finding::of(crate::codes::Code::ReportedExceedsInitial,
                self.ctx.file,
                at.key("reportedCount").render(),
                format!(
                    "reportedCount {reported} is more than initialCount {initial}: the report bills more workloads than were collected"
                ),
            )
            .with_values(initial, reported);
            self.ctx.emit(f);
        }
    }
}
