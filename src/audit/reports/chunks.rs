//! The checks of a long `usageDetails` on chunks in parallel, merged in order with the same
//! findings and the same decimals as one pass.

use super::organizations::add_org_total;
use super::{DedupeKey, ReportCheck, TypeSums, WeightSeen};
use crate::audit::{Ctx, Ptr, Sum, exact_add};
use crate::diag::Finding;
use crate::enums::WorkloadType;
use crate::model::{OrganizationUsageOfLicensesWithSameSupportId, ProductLicenseUsage};
use rayon::prelude::*;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};
use std::iter::{Enumerate, Peekable};

/// What the checks of one chunk of `usageDetails` found, to be merged in order.
pub(super) struct Chunk<'r> {
    /// The chunk's findings, in order.
    out: Vec<Finding>,
    /// For each entry, how many findings the chunk had before it.
    starts: Vec<usize>,
    /// For each entry, its points.
    org_totals: Vec<Sum>,
    /// The findings reported once per report: index in `out`, key, how many more.
    once: Vec<(usize, DedupeKey<'r>, usize)>,
    /// The weights of each (workload type, edition) in the chunk.
    weights_seen: BTreeMap<(&'r WorkloadType, &'r str), Vec<WeightSeen>>,
    /// The chunk's points per workload type (`details` and `details_at` only).
    types: BTreeMap<&'r WorkloadType, TypeSums>,
    /// Whether every row's points are within [`exact_in_any_order`].
    exact: bool,
    /// Workload rows in the chunk.
    rows: usize,
}

/// Below this many rows, sums of values within [`exact_in_any_order`] stay exact.
pub(super) const MAX_ROWS_IN_ANY_ORDER: usize = 100_000_000;

/// Whether sums of these values give the same decimal in any order and grouping: every
/// value is non-negative, below 10^10 and has at most 10 decimals. Then any sum of fewer
/// than [`MAX_ROWS_IN_ANY_ORDER`] of them is below 10^18 and holds in 28 digits at scale 10:
/// no addition rounds or overflows. `rust_decimal` gives an exact non-zero sum the larger
/// scale of its operands, and returns the other operand unchanged when one is zero; with
/// no negative value a sum is zero only while every value so far is, so the result is the
/// exact sum at the largest scale of the non-zero values (or the last zero, when all are):
/// the same whatever the grouping of the values into non-empty groups (a type's sum in a
/// chunk exists only when the chunk has rows of it).
pub(super) fn exact_in_any_order(values: impl Iterator<Item = Decimal>) -> bool {
    const LIMIT: Decimal = Decimal::from_parts(1_410_065_408, 2, 0, false, 0); // 10^10
    values
        .into_iter()
        .all(|v| !v.is_sign_negative() && v.scale() <= 10 && v < LIMIT)
}

impl<'r> ReportCheck<'_, '_, 'r, '_> {
    /// The checks of `usageDetails` on chunks of `len` entries in parallel, then merged in
    /// order into exactly what one pass gives: the same findings in the same order, the
    /// same per-report state.
    ///
    /// Each chunk runs [`Self::detail`] with its own findings and its own once-per-report
    /// keys, weights and sums per workload type. The merge, in document order: a chunk's
    /// findings are appended, those reported once per report only if no earlier chunk had
    /// them (else counted with the first, as one pass counts them); duplicates of
    /// organization and support id, and the points per organization, are found entry by
    /// entry, as one pass does; the weights seen keep their first row and add their rows.
    /// The points per workload type are added chunk by chunk only when that gives the very
    /// decimal one pass gives (see [`exact_in_any_order`]); otherwise row by row again.
    pub(super) fn details_in_chunks(
        &mut self,
        details: &'r [OrganizationUsageOfLicensesWithSameSupportId],
        dp: Ptr<'_>,
        len: usize,
        types: &mut BTreeMap<&'r WorkloadType, TypeSums>,
        by_org: &mut HashMap<&'r str, (Sum, usize)>,
        support: &mut HashMap<(&'r str, Option<&'r str>), usize>,
    ) {
        crate::audit::count_chunked_scope();
        let (file, rule, weights) = (self.ctx.file, self.ctx.rule, self.ctx.weights);
        let (root, month) = (self.root, self.month);
        let chunks: Vec<Chunk<'r>> = details
            .par_chunks(len)
            .enumerate()
            .map(|(c, part)| {
                let mut ctx = Ctx::chunk(file, rule, weights);
                let mut check = ReportCheck {
                    ctx: &mut ctx,
                    root,
                    month,
                    weights_seen: BTreeMap::new(),
                    dedupe: BTreeMap::new(),
                    pending: Vec::new(),
                };
                let mut types = BTreeMap::new();
                let mut starts = Vec::with_capacity(part.len());
                let mut org_totals = Vec::with_capacity(part.len());
                for (k, d) in part.iter().enumerate() {
                    starts.push(check.ctx.out.len());
                    org_totals.push(check.detail(d, dp.at(c * len + k), &mut types));
                }
                let ReportCheck {
                    weights_seen,
                    dedupe,
                    ..
                } = check;
                let mut once: Vec<(usize, DedupeKey<'r>, usize)> = dedupe
                    .into_iter()
                    .map(|(key, (i, more))| (i, key, more))
                    .collect();
                once.sort_unstable_by_key(|o| o.0);
                let rows = part
                    .iter()
                    .flat_map(OrganizationUsageOfLicensesWithSameSupportId::products)
                    .flat_map(ProductLicenseUsage::workloads);
                Chunk {
                    out: ctx.out,
                    starts,
                    org_totals,
                    once,
                    weights_seen,
                    types,
                    exact: exact_in_any_order(rows.clone().map(|w| w.used_points)),
                    rows: rows.count(),
                }
            })
            .collect();

        let exact = chunks.iter().all(|c| c.exact)
            && chunks.iter().map(|c| c.rows).sum::<usize>() < MAX_ROWS_IN_ANY_ORDER;
        for (c, chunk) in chunks.into_iter().enumerate() {
            let Chunk {
                out,
                starts,
                org_totals,
                once,
                weights_seen,
                types: chunk_types,
                ..
            } = chunk;
            let mut out = out.into_iter().enumerate().peekable();
            let mut once = once.into_iter().peekable();
            let first = c * len;
            for (k, (d, org_total)) in details[first..].iter().zip(org_totals).enumerate() {
                self.append_chunk(&mut out, &mut once, starts[k]);
                let di = first + k;
                self.support_duplicate(support, d, di, dp.at(di), dp);
                add_org_total(by_org, d, org_total, di);
            }
            self.append_chunk(&mut out, &mut once, usize::MAX);
            for (key, seen) in weights_seen {
                let all = self.weights_seen.entry(key).or_default();
                for w in seen {
                    match all.iter_mut().find(|s| s.weight == w.weight) {
                        Some(s) => s.rows += w.rows,
                        None => all.push(w),
                    }
                }
            }
            for (wt, t) in chunk_types {
                let all = types.entry(wt).or_insert_with(TypeSums::new);
                all.details.0 = all
                    .details
                    .0
                    .and_then(|a| t.details.0.and_then(|b| exact_add(a, b)));
                if all.details_at.is_none() {
                    all.details_at = t.details_at;
                }
            }
        }
        if !exact {
            for t in types.values_mut() {
                t.details = Sum::ZERO;
            }
            for w in details
                .iter()
                .flat_map(OrganizationUsageOfLicensesWithSameSupportId::products)
                .flat_map(ProductLicenseUsage::workloads)
            {
                if let Some(t) = types.get_mut(&w.workload_type) {
                    t.details.add(w.used_points);
                }
            }
        }
    }

    /// Appends a chunk's findings up to its `end`th, those reported once per report only
    /// if they are the first of the report.
    pub(super) fn append_chunk(
        &mut self,
        out: &mut Peekable<Enumerate<std::vec::IntoIter<Finding>>>,
        once: &mut Peekable<std::vec::IntoIter<(usize, DedupeKey<'r>, usize)>>,
        end: usize,
    ) {
        while let Some((i, f)) = out.next_if(|(i, _)| *i < end) {
            let Some((_, key, more)) = once.next_if(|o| o.0 == i) else {
                self.ctx.emit(f);
                continue;
            };
            let next = self.ctx.out.len();
            match self.dedupe.entry(key) {
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert((next, more));
                    self.ctx.emit(f);
                }
                std::collections::btree_map::Entry::Occupied(mut o) => o.get_mut().1 += 1 + more,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sum(values: &[Decimal]) -> Sum {
        let mut s = Sum::ZERO;
        for &v in values {
            s.add(v);
        }
        s
    }

    /// Values of every kind `exact_in_any_order` accepts: zeros of several scales, small
    /// and large values of every scale up to 10.
    fn value() -> impl Strategy<Value = Decimal> {
        prop_oneof![
            (0u32..11).prop_map(|s| Decimal::new(0, s)),
            (0i64..1_000_000, 0u32..11).prop_map(|(m, s)| Decimal::new(m, s)),
            (0i64..100_000_000_000_000_000, 8u32..11).prop_map(|(m, s)| Decimal::new(m, s)),
        ]
    }

    proptest! {
        /// Where `exact_in_any_order` says so, adding chunk by chunk gives the very
        /// decimal (value and scale) that adding row by row gives.
        #[test]
        fn chunked_sums_are_the_sequential_ones(values in prop::collection::vec(value(), 0..60), cuts in prop::collection::vec(0usize..60, 0..8)) {
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(values.len())).collect();
            cuts.sort_unstable();
            let mut parts = Vec::new();
            let mut from = 0;
            for c in cuts.into_iter().chain([values.len()]) {
                parts.push(&values[from..c]);
                from = c;
            }
            let mut chunked = Sum::ZERO;
            // A chunk has a sum for a type only when it has rows of the type (adding the
            // zero of an empty chunk would change the scale of a zero sum).
            for p in parts.iter().filter(|p| !p.is_empty()) {
                chunked.0 = chunked.0.and_then(|a| sum(p).0.and_then(|b| exact_add(a, b)));
            }
            prop_assert!(exact_in_any_order(values.iter().copied()));
            let (a, b) = (sum(&values).0.unwrap(), chunked.0.unwrap());
            prop_assert_eq!((a, a.scale(), a.to_string()), (b, b.scale(), b.to_string()));
        }
    }

    #[test]
    fn the_exact_range_is_as_documented() {
        let d = |s: &str| crate::num::parse_decimal(s).unwrap();
        assert!(exact_in_any_order(
            ["0", "0.00", "9999999999.9999999999", "12.5"]
                .map(d)
                .into_iter()
        ));
        for out in ["10000000000", "-1", "-0.5", "0.00000000001"] {
            assert!(!exact_in_any_order([d(out)].into_iter()), "{out}");
        }
        // Zeros keep the scale of the last one while nothing else was added.
        assert_eq!(sum(&[d("0.00"), d("0.0")]).0.unwrap().to_string(), "0.0");
        assert_eq!(
            sum(&[d("0.0"), d("0.000"), d("1.5")])
                .0
                .unwrap()
                .to_string(),
            "1.5"
        );
    }
}
