//! The owner's part and each appendix: server lists, `organizationsUsage`, each entry of
//! `usageDetails`, and organizations against their details.

use super::{ReportCheck, Scope, Servers, TypeSums, Who, ceiling_note};
use crate::audit::compare::show_expected;
use crate::audit::{Ctx, Ptr, Sum, Verdict, exact_add};
use crate::diag::Finding;
use crate::enums::{OrganizationType, ProductType, WorkloadType};
use crate::model::{OrganizationLicenseUsage, OrganizationUsageOfLicensesWithSameSupportId};
use rust_decimal::Decimal;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};

pub(super) fn server_names(list: &[String]) -> String {
    let shown: Vec<String> = list.iter().take(5).map(|s| format!("{s:?}")).collect();
    let more = list.len().saturating_sub(5);
    format!(
        "{} server{} ({}{})",
        list.len(),
        if list.len() == 1 { "" } else { "s" },
        shown.join(", "),
        if more > 0 {
            format!(", and {more} more")
        } else {
            String::new()
        }
    )
}

/// Adds an entry's points to its organization's (first entry kept).
pub(super) fn add_org_total<'r>(
    by_org: &mut HashMap<&'r str, (Sum, usize)>,
    d: &'r OrganizationUsageOfLicensesWithSameSupportId,
    org_total: Sum,
    di: usize,
) {
    match by_org.entry(d.organization_uid.as_str()) {
        Entry::Vacant(v) => {
            v.insert((org_total, di));
        }
        Entry::Occupied(mut o) => {
            let (acc, _) = o.get_mut();
            acc.0 = acc
                .0
                .and_then(|a| org_total.0.and_then(|t| exact_add(a, t)));
        }
    }
}

/// `details-total-mismatch`: organization `k` of `organizationsUsage` against the sum of
/// its usage details.
pub(super) fn org_against_details(
    ctx: &mut Ctx<'_>,
    k: usize,
    o: &OrganizationLicenseUsage,
    op: Ptr<'_>,
    org_index: &HashMap<&str, usize>,
    by_org: &HashMap<&str, (Sum, usize)>,
) {
    let uid = o.organization_uid.as_str();
    if org_index.get(uid) != Some(&k) {
        return; // a duplicate, reported above
    }
    let oat = op.at(k);
    let uat = oat.key("usedPoints");
    let expected = by_org
        .get(uid)
        .map_or(Some(Decimal::ZERO), |(s, _)| s.value());
    match ctx.verdict(expected, o.used_points) {
        Verdict::Agree => {}
        Verdict::Overflow => ctx.overflow(uat, "the sum of usageDetails"),
        Verdict::Differ(e) => {
            let f = Finding::of(crate::codes::Code::DetailsTotalMismatch,
                ctx.file,
                uat.render(),
                format!(
                    "{:?} ({uid}) uses {} points in organizationsUsage, but its usageDetails sum to {}{}",
                    o.organization_name.as_deref().unwrap_or(""),
                    o.used_points,
                    show_expected(e, o.used_points),
                    ceiling_note(e, o.used_points)
                ),
            )
            .with_values(show_expected(e, o.used_points), o.used_points);
            ctx.emit(f);
        }
    }
}

/// `details-total-mismatch`: the first usage detail of an organization missing from
/// `organizationsUsage`, when it uses points.
pub(super) fn detail_without_org(
    ctx: &mut Ctx<'_>,
    di: usize,
    d: &OrganizationUsageOfLicensesWithSameSupportId,
    dp: Ptr<'_>,
    org_index: &HashMap<&str, usize>,
    by_org: &HashMap<&str, (Sum, usize)>,
) {
    let uid = d.organization_uid.as_str();
    if org_index.contains_key(uid) {
        return;
    }
    let Some(&(sum, first)) = by_org.get(uid) else {
        return;
    };
    if first != di {
        return;
    }
    match sum.value() {
        None => ctx.overflow(dp.at(di), "the sum of usageDetails"),
        Some(v) if v.is_zero() => {}
        Some(v) => {
            let f = Finding::of(crate::codes::Code::DetailsTotalMismatch,
                ctx.file,
                dp.at(di).render(),
                format!(
                    "{:?} ({uid}) uses {v} points in usageDetails but has no entry in organizationsUsage",
                    d.organization_name.as_deref().unwrap_or("")
                ),
            )
            .with_values(v, 0);
            ctx.emit(f);
        }
    }
}

impl<'r> ReportCheck<'_, '_, 'r, '_> {
    pub(super) fn servers(&mut self, at: Ptr<'_>, s: &Servers<'r>, who: &dyn Fn() -> String) {
        let [nc, cl, un] = s.lists;
        let [ncn, cln, unn] = s.names;
        if let Some(l) = nc.filter(|l| !l.is_empty()) {
            let f = Finding::of(
                crate::codes::Code::ServersNotCollected,
                self.ctx.file,
                at.key(ncn).render(),
                format!(
                    "{}{ncn} lists {}: their usage could not be collected, so the totals miss it; collect again, or report it to Veeam by hand",
                    who(),
                    server_names(l)
                ),
            );
            self.ctx.emit(f);
        }
        if let Some(l) = cl.filter(|l| !l.is_empty()) {
            let f = Finding::of(
                crate::codes::Code::ServersCloned,
                self.ctx.file,
                at.key(cln).render(),
                format!(
                    "{}{cln} lists {}: cloned servers (same installation id) are left out of the report, so the totals are incomplete",
                    who(),
                    server_names(l)
                ),
            );
            self.ctx.emit(f);
        }
        if let Some(l) = un.filter(|l| !l.is_empty()) {
            let f = Finding::of(
                crate::codes::Code::ServersUnsupported,
                self.ctx.file,
                at.key(unn).render(),
                format!(
                    "{}{unn} lists {}: unsupported servers are left out of the report, so the totals are incomplete",
                    who(),
                    server_names(l)
                ),
            );
            self.ctx.emit(f);
        }
    }

    #[allow(clippy::too_many_lines)] // one roll-up after the other, in the order of the data
    pub(super) fn scope(&mut self, s: &Scope<'r>, at: Ptr<'_>, who: Who<'r>) {
        let company = s.company;
        self.servers(at, &s.servers, &|| {
            company.map_or(String::new(), |c| format!("appendix of {c:?}: "))
        });
        let mut types: BTreeMap<&'r WorkloadType, TypeSums> = BTreeMap::new();
        if let Some(summary) = s.summary {
            let sat = at.key(s.summary_key);
            self.summary(summary, sat, who, &mut types);
        }

        // organizationsUsage
        let op = at.key("organizationsUsage");
        let mut org_index: HashMap<&'r str, usize> = HashMap::with_capacity(s.orgs.len());
        let mut org_sum = Sum::ZERO;
        for (k, o) in s.orgs.iter().enumerate() {
            let oat = op.at(k);
            if let Some(OrganizationType::Other(v)) = &o.organization_type {
                self.unknown(
                    oat.key("organizationType"),
                    "organizationType",
                    v,
                    OrganizationType::KNOWN,
                );
            }
            if o.used_points.is_sign_negative() && !o.used_points.is_zero() {
                self.ctx.negative(oat, "usedPoints", o.used_points);
            }
            match org_index.entry(o.organization_uid.as_str()) {
                Entry::Vacant(v) => {
                    v.insert(k);
                }
                Entry::Occupied(first) => {
                    let f = Finding::of(
                        crate::codes::Code::DuplicateOrganization,
                        self.ctx.file,
                        oat.render(),
                        format!(
                            "{:?} ({}) appears again in organizationsUsage (first at {}): its points would be counted twice",
                            o.organization_name.as_deref().unwrap_or(""),
                            o.organization_uid,
                            op.at(*first.get()).render()
                        ),
                    );
                    self.ctx.emit(f);
                }
            }
            org_sum.add(o.used_points);
        }
        if let Some(summary) = s.summary
            && !s.orgs.is_empty()
        {
            match org_sum.value() {
                None => self.ctx.overflow(op, "the sum of organizationsUsage"),
                Some(sum) => {
                    if !self.ctx.rule.agrees(summary.total_points, sum) {
                        let f = Finding::of(crate::codes::Code::OrganizationsTotalMismatch,
                            self.ctx.file,
                            op.render(),
                            format!(
                                "the organizations' usedPoints sum to {sum}, but {}.totalPoints is {}{}",
                                s.summary_key,
                                summary.total_points,
                                company.map_or(String::new(), |c| format!(
                                    " (appendix of {c:?})"
                                ))
                            ),
                        )
                        .with_values(summary.total_points, sum);
                        self.ctx.emit(f);
                    }
                }
            }
        }

        // usageDetails
        let dp = at.key("usageDetails");
        let mut by_org: HashMap<&'r str, (Sum, usize)> = HashMap::with_capacity(s.details.len());
        let mut support: HashMap<(&'r str, Option<&'r str>), usize> =
            HashMap::with_capacity(s.details.len());
        if let Some(len) = self.ctx.chunk_len(s.details.len()) {
            self.details_in_chunks(s.details, dp, len, &mut types, &mut by_org, &mut support);
        } else {
            for (di, d) in s.details.iter().enumerate() {
                let dat = dp.at(di);
                self.support_duplicate(&mut support, d, di, dat, dp);
                let org_total = self.detail(d, dat, &mut types);
                add_org_total(&mut by_org, d, org_total, di);
            }
        }

        self.summary_rows_against_details(s.details);

        // Each organization against its usage details (in chunks on several threads when
        // the file is split: the maps are only read).
        if !s.orgs.is_empty() && !s.details.is_empty() {
            let (org_index, by_org) = (&org_index, &by_org);
            self.ctx.each(s.orgs, |ctx, k, o| {
                org_against_details(ctx, k, o, op, org_index, by_org);
            });
            self.ctx.each(s.details, |ctx, di, d| {
                detail_without_org(ctx, di, d, dp, org_index, by_org);
            });
        }

        // Per workload type, the details against the summary.
        if s.summary.is_some() && !s.details.is_empty() {
            for (wt, t) in &types {
                let (Some(found), Some(expected)) = (t.summary.value(), t.details.value()) else {
                    let f = Finding::of(
                        crate::codes::Code::NumberOutOfRange,
                        self.ctx.file,
                        t.summary_at
                            .clone()
                            .or_else(|| t.details_at.clone())
                            .unwrap_or_else(|| at.render()),
                        format!(
                            "recomputing the points of {wt} goes beyond the exact decimal range (28 digits): the values are corrupt"
                        ),
                    );
                    self.ctx.emit(f);
                    continue;
                };
                if self.ctx.rule.agrees(expected, found) {
                    continue;
                }
                let place = match (&t.summary_at, &t.details_at) {
                    (Some(p), _) | (None, Some(p)) => format!("{p}/usedPoints"),
                    (None, None) => at.render(),
                };
                let f = Finding::of(crate::codes::Code::DetailsSummaryMismatch,
                    self.ctx.file,
                    place,
                    format!(
                        "{wt}: the {} rows give {found} points, but the usageDetails rows sum to {}{}",
                        s.summary_key,
                        show_expected(expected, found),
                        company.map_or(String::new(), |c| format!(" (appendix of {c:?})"))
                    ),
                )
                .with_values(show_expected(expected, found), found);
                self.ctx.emit(f);
            }
        }
    }

    /// `duplicate-organization` in `usageDetails`: the same organization and support id
    /// again.
    pub(super) fn support_duplicate(
        &mut self,
        support: &mut HashMap<(&'r str, Option<&'r str>), usize>,
        d: &'r OrganizationUsageOfLicensesWithSameSupportId,
        di: usize,
        dat: Ptr<'_>,
        dp: Ptr<'_>,
    ) {
        let uid = d.organization_uid.as_str();
        match support.entry((uid, d.support_id.as_deref())) {
            Entry::Vacant(v) => {
                v.insert(di);
            }
            Entry::Occupied(first) => {
                let f = Finding::of(
                    crate::codes::Code::DuplicateOrganization,
                    self.ctx.file,
                    dat.render(),
                    format!(
                        "{:?} ({uid}) appears again in usageDetails with the same supportId (first at {}): its points would be counted twice",
                        d.organization_name.as_deref().unwrap_or(""),
                        dp.at(*first.get()).render()
                    ),
                );
                self.ctx.emit(f);
            }
        }
    }

    /// The checks of one entry of `usageDetails` that need no other entry: its servers,
    /// products and workload rows. Adds its rows to `types`; returns its points.
    pub(super) fn detail(
        &mut self,
        d: &'r OrganizationUsageOfLicensesWithSameSupportId,
        dat: Ptr<'_>,
        types: &mut BTreeMap<&'r WorkloadType, TypeSums>,
    ) -> Sum {
        let name = d.organization_name.as_deref();
        self.servers(
            dat,
            &Servers {
                names: [
                    "notCollectedClientServers",
                    "clonedClientServers",
                    "unsupportedClientServers",
                ],
                lists: [
                    d.not_collected_client_servers.as_deref(),
                    d.cloned_client_servers.as_deref(),
                    d.unsupported_client_servers.as_deref(),
                ],
            },
            &|| format!("{:?}: ", name.unwrap_or("")),
        );
        let mut org_total = Sum::ZERO;
        for (li, lp) in d.products().iter().enumerate() {
            let lat = dat.key_at("usageByLicenseAndProduct", li);
            if let Some(ProductType::Other(v)) = &lp.product_type {
                self.unknown(lat.key("productType"), "productType", v, ProductType::KNOWN);
            }
            if lp.used_points.is_sign_negative() && !lp.used_points.is_zero() {
                self.ctx.negative(lat, "usedPoints", lp.used_points);
            }
            let edition = lp.license_edition.as_deref();
            let mut sum = Sum::ZERO;
            for (wi, w) in lp.workloads().iter().enumerate() {
                let wat = lat.key_at("workloadUsage", wi);
                self.workload(w, wat, edition, Who::Org(name));
                sum.add(w.used_points);
                let t = types.entry(&w.workload_type).or_insert_with(TypeSums::new);
                t.details.add(w.used_points);
                if t.details_at.is_none() {
                    t.details_at = Some(wat.render());
                }
            }
            if lp.workload_usage.is_some() {
                let uat = lat.key("usedPoints");
                match self.ctx.verdict(sum.value(), lp.used_points) {
                    Verdict::Agree => {}
                    Verdict::Overflow => self.ctx.overflow(uat, "the sum of workloadUsage"),
                    Verdict::Differ(e) => {
                        let f = Finding::of(crate::codes::Code::DetailsTotalMismatch,
                            self.ctx.file,
                            uat.render(),
                            format!(
                                "{:?}, license {} ({}): usedPoints {} is not the sum of its workloads' usedPoints, {}{}",
                                name.unwrap_or(""),
                                lp.license_id.as_deref().map_or_else(|| "without id".to_owned(), |l| format!("{l:?}")),
                                lp.product_type.as_ref().map_or("no productType", ProductType::as_str),
                                lp.used_points,
                                show_expected(e, lp.used_points),
                                ceiling_note(e, lp.used_points)
                            ),
                        )
                        .with_values(show_expected(e, lp.used_points), lp.used_points);
                        self.ctx.emit(f);
                    }
                }
            }
            org_total.add(lp.used_points);
        }
        org_total
    }
}
