//! A deterministic generator of realistic license usage reports, for benchmarks and
//! property tests.
//!
//! A [`Spec`] sizes the corpus (report owners, months, tenants, products per tenant,
//! workload rows per product); the same spec and seed always give the same bytes. A
//! generated report is consistent (every total adds up, dates exist, status Approved),
//! unless [`Spec::inject`] asks for known inconsistencies, which are returned with the
//! report so that tests know what the audit must find.

use crate::date::{Month, VspcDate};
use crate::enums::{OrganizationType, ProductType, ReportStatus, WorkloadType};
use crate::model::{
    LicenseReportAppendix, LicenseReportCollection, LicenseReportParameters, LicenseReportSummary,
    ObjectsByWeight, OrganizationLicenseUsage, OrganizationUsageOfLicensesWithSameSupportId,
    PagingInfo, ProductLicenseUsage, ReportInterval, ResponseMetadata, SingleLicenseReport,
    TotalProductLicenseUsage, WorkloadLicenseUsage, WorkloadsByPlatform,
};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Size and seed of a corpus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// Report owners (one VSPC console each); each gets one file per month.
    pub owners: usize,
    /// Consecutive months, ending with the month before `end`.
    pub months: usize,
    /// Tenant organizations per report.
    pub tenants: usize,
    /// Products (licenses) per tenant, 1 to 4.
    pub products: usize,
    /// Workload rows per product, 1 to 4.
    pub rows: usize,
    /// Seed of the pseudo-random numbers.
    pub seed: u64,
    /// Inconsistencies to inject into each report (0: a consistent corpus).
    pub inject: usize,
    /// Year and month of the first report's interval.
    pub first_month: Month,
}

impl Default for Spec {
    fn default() -> Self {
        Self {
            owners: 1,
            months: 1,
            tenants: 10,
            products: 2,
            rows: 3,
            seed: 1,
            inject: 0,
            first_month: Month::new(2025, 1),
        }
    }
}

/// An inconsistency put into a report on purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Injected {
    /// The finding code the audit is expected to report.
    pub code: crate::codes::Code,
    /// Pointer to the changed value, relative to the report.
    pub pointer: String,
}

/// `SplitMix64`: small, fast and good enough for test data; no dependency.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for a seed.
    #[must_use]
    pub const fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub const fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// A UUID-shaped string.
    pub fn uuid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xFFFF,
            a & 0xFFF,
            0x8000 | ((b >> 48) & 0x3FFF),
            b & 0xFFFF_FFFF_FFFF
        )
    }
}

struct ProductKind {
    product: ProductType,
    edition: &'static str,
    workloads: &'static [(WorkloadType, &'static str)],
}

/// Workload weights used by the generator: the published Cloud Connect weights and the
/// values of the vendor's examples.
const PRODUCTS: &[ProductKind] = &[
    ProductKind {
        product: ProductType::BackupAndReplication,
        edition: "Standard",
        workloads: &[
            (WorkloadType::VbrVm, "5.0"),
            (WorkloadType::VbrCloudVm, "2.5"),
            (WorkloadType::VbrServerAgent, "5.0"),
            (WorkloadType::VbrWorkstationAgent, "1.0"),
        ],
    },
    ProductKind {
        product: ProductType::Vspc,
        edition: "EnterprisePlus",
        workloads: &[
            (WorkloadType::VacServerAgent, "11.0"),
            (WorkloadType::VacWorkstationAgent, "4.0"),
        ],
    },
    ProductKind {
        product: ProductType::CloudConnect,
        edition: "EnterprisePlus",
        workloads: &[
            (WorkloadType::CcVmBackup, "5.0"),
            (WorkloadType::CcVmReplica, "10.0"),
            (WorkloadType::CcServerBackup, "7.0"),
            (WorkloadType::CcWorkstationBackup, "3.0"),
        ],
    },
    ProductKind {
        product: ProductType::Vb365,
        edition: "Standard",
        workloads: &[(WorkloadType::Vb365User, "1.0")],
    },
];

fn dec(s: &str) -> Decimal {
    crate::num::parse_decimal(s).expect("generator constants are decimals")
}

const COMPANY_WORDS: &[&str] = &[
    "Alpine", "Baltic", "Cedar", "Delta", "Ember", "Fjord", "Granite", "Harbor", "Iris", "Juniper",
    "Krona", "Lumen", "Meridian", "Nordic", "Orchid", "Pioneer", "Quartz", "Rhine", "Summit",
    "Tundra", "Umbra", "Vertex", "Willow", "Zenith",
];
const COMPANY_SUFFIX: &[&str] = &["GmbH", "Ltd", "Inc.", "S.A.", "B.V.", "AG", "S.r.l.", "Oy"];

fn workload_row(rng: &mut Rng, workload: &WorkloadType, weight: Decimal) -> WorkloadLicenseUsage {
    let reported = i64::try_from(rng.below(60)).unwrap_or(0) + 1;
    let removed = i64::try_from(rng.below(3)).unwrap_or(0);
    let new = i64::try_from(rng.below(3)).unwrap_or(0);
    let initial = reported + removed;
    if *workload == WorkloadType::VbrCloudVm {
        // Objects of two weights on two platforms: the row total is their sum.
        let first = i64::try_from(rng.below(u64::try_from(reported + 1).unwrap_or(1))).unwrap_or(0);
        let second = reported - first;
        let platform =
            |type_id: &str, w: Decimal, n: i64, init: i64, new: i64| WorkloadsByPlatform {
                type_id: Some(type_id.to_owned()),
                description: Some(type_id.to_owned()),
                objects_by_weight: Some(vec![ObjectsByWeight {
                    weight: w,
                    initial_count: init,
                    reported_count: n,
                    new_count: new,
                    used_points: w * Decimal::from(n),
                }]),
            };
        let platforms = vec![
            platform("AmazonEc2", weight, first, first + removed, new),
            platform("MicrosoftAzure", dec("1.75"), second, second, 0),
        ];
        let used = platforms
            .iter()
            .flat_map(WorkloadsByPlatform::objects)
            .map(|o| o.used_points)
            .sum();
        return WorkloadLicenseUsage {
            workload_type: workload.clone(),
            description: Some("Cloud VMs".to_owned()),
            initial_count: initial,
            reported_count: reported,
            new_count: new,
            weight,
            used_points: used,
            workloads_by_platform: Some(platforms),
        };
    }
    WorkloadLicenseUsage {
        workload_type: workload.clone(),
        description: None,
        initial_count: initial,
        reported_count: reported,
        new_count: new,
        weight,
        used_points: weight * Decimal::from(reported),
        workloads_by_platform: None,
    }
}

/// Tenant `t` of a report: its details (one support id) and its `organizationsUsage` row.
fn tenant(
    spec: &Spec,
    rng: &mut Rng,
    t: usize,
    uid: &str,
) -> (
    OrganizationUsageOfLicensesWithSameSupportId,
    OrganizationLicenseUsage,
) {
    let name = format!(
        "{} {} {:05} {}",
        COMPANY_WORDS[t % COMPANY_WORDS.len()],
        COMPANY_WORDS[(t / COMPANY_WORDS.len()) % COMPANY_WORDS.len()],
        t,
        COMPANY_SUFFIX[t % COMPANY_SUFFIX.len()]
    );
    let reseller = t % 50 == 49;
    let first_product = t % PRODUCTS.len();
    let mut products = Vec::new();
    for k in 0..spec.products.clamp(1, PRODUCTS.len()) {
        let kind = &PRODUCTS[(first_product + k) % PRODUCTS.len()];
        let rows = spec.rows.clamp(1, kind.workloads.len());
        let workloads: Vec<WorkloadLicenseUsage> = kind.workloads[..rows]
            .iter()
            .map(|(w, weight)| workload_row(rng, w, dec(weight)))
            .collect();
        products.push(ProductLicenseUsage {
            license_id: Some(format!("lic-{:08x}", spec.seed ^ (k as u64))),
            product_type: Some(kind.product.clone()),
            license_edition: Some(kind.edition.to_owned()),
            used_points: workloads.iter().map(|w| w.used_points).sum(),
            workload_usage: Some(workloads),
        });
    }
    let used: Decimal = products.iter().map(|p| p.used_points).sum();
    let tenant_uid = (!reseller).then(|| rng.uuid());
    let details = OrganizationUsageOfLicensesWithSameSupportId {
        organization_name: Some(name.clone()),
        organization_uid: uid.to_owned(),
        tenant_uid: tenant_uid.clone(),
        support_id: Some(format!("{:08}", 1_000_000 + t)),
        not_collected_client_servers: Some(Vec::new()),
        cloned_client_servers: Some(Vec::new()),
        unsupported_client_servers: Some(Vec::new()),
        usage_by_license_and_product: Some(products),
    };
    let org = OrganizationLicenseUsage {
        organization_type: Some(if reseller {
            OrganizationType::Reseller
        } else {
            OrganizationType::Company
        }),
        organization_name: Some(name),
        organization_uid: uid.to_owned(),
        tenant_uid,
        used_points: used,
    };
    (details, org)
}

/// The summary of a set of details: per product and edition, per workload type.
#[must_use]
pub fn summarize(details: &[OrganizationUsageOfLicensesWithSameSupportId]) -> LicenseReportSummary {
    type Key = (String, String);
    let mut groups: BTreeMap<Key, BTreeMap<String, WorkloadLicenseUsage>> = BTreeMap::new();
    let mut order: Vec<Key> = Vec::new();
    for p in details
        .iter()
        .flat_map(super::model::OrganizationUsageOfLicensesWithSameSupportId::products)
    {
        let key = (
            p.product_type
                .as_ref()
                .map_or("", |t| t.as_str())
                .to_owned(),
            p.license_edition.clone().unwrap_or_default(),
        );
        if !groups.contains_key(&key) {
            order.push(key.clone());
        }
        let group = groups.entry(key).or_default();
        for w in p.workloads() {
            let row = group
                .entry(w.workload_type.as_str().to_owned())
                .or_insert_with(|| WorkloadLicenseUsage {
                    initial_count: 0,
                    reported_count: 0,
                    new_count: 0,
                    used_points: Decimal::ZERO,
                    workloads_by_platform: None,
                    ..w.clone()
                });
            row.initial_count += w.initial_count;
            row.reported_count += w.reported_count;
            row.new_count += w.new_count;
            row.used_points += w.used_points;
            merge_platforms(row, w.platforms());
        }
    }
    let products: Vec<TotalProductLicenseUsage> = order
        .into_iter()
        .map(|key| {
            let rows: Vec<WorkloadLicenseUsage> = groups
                .remove(&key)
                .unwrap_or_default()
                .into_values()
                .collect();
            TotalProductLicenseUsage {
                product_type: Some(ProductType::parse(&key.0)),
                product_name: None,
                total_points: Some(rows.iter().map(|w| w.used_points).sum()),
                license_edition: Some(key.1),
                workload_usage: Some(rows),
            }
        })
        .collect();
    LicenseReportSummary {
        total_points: products.iter().filter_map(|p| p.total_points).sum(),
        products_usage: products,
    }
}

fn merge_platforms(row: &mut WorkloadLicenseUsage, platforms: &[WorkloadsByPlatform]) {
    if platforms.is_empty() {
        return;
    }
    let merged = row.workloads_by_platform.get_or_insert_with(Vec::new);
    for p in platforms {
        let target = if let Some(i) = merged.iter().position(|m| m.type_id == p.type_id) {
            &mut merged[i]
        } else {
            merged.push(WorkloadsByPlatform {
                objects_by_weight: Some(Vec::new()),
                ..p.clone()
            });
            let last = merged.len() - 1;
            &mut merged[last]
        };
        let objects = target.objects_by_weight.get_or_insert_with(Vec::new);
        for o in p.objects() {
            if let Some(t) = objects.iter_mut().find(|t| t.weight == o.weight) {
                t.initial_count += o.initial_count;
                t.reported_count += o.reported_count;
                t.new_count += o.new_count;
                t.used_points += o.used_points;
            } else {
                objects.push(o.clone());
            }
        }
    }
}

fn month_of(spec: &Spec, m: usize) -> Month {
    spec.first_month.plus(m).unwrap_or(spec.first_month)
}

fn date(text: String) -> VspcDate {
    VspcDate::parse(&text).expect("generator dates are well-formed")
}

/// The report of owner `owner` for month `m`, with the inconsistencies injected into it.
#[must_use]
pub fn report(spec: &Spec, owner: usize, m: usize) -> (SingleLicenseReport, Vec<Injected>) {
    let mut owner_rng = Rng::new(spec.seed ^ (owner as u64).wrapping_mul(0x1000_0001));
    let owner_uid = owner_rng.uuid();
    // Tenant uids are stable across months; usage varies per month.
    let tenant_uids: Vec<String> = (0..spec.tenants).map(|_| owner_rng.uuid()).collect();
    let mut rng = Rng::new(
        spec.seed
            .wrapping_mul(31)
            .wrapping_add((owner as u64) << 32)
            .wrapping_add(m as u64),
    );
    let month = month_of(spec, m);
    // Every tenth tenant has its own Veeam contract: it goes to the appendix.
    let mut details = Vec::new();
    let mut orgs = Vec::new();
    let mut app_details = Vec::new();
    let mut app_orgs = Vec::new();
    for (t, uid) in tenant_uids.iter().enumerate() {
        let (d, o) = tenant(spec, &mut rng, t, uid);
        if t % 10 == 9 {
            app_details.push(d);
            app_orgs.push(o);
        } else {
            details.push(d);
            orgs.push(o);
        }
    }
    let appendices = if app_details.is_empty() {
        Vec::new()
    } else {
        vec![LicenseReportAppendix {
            license_company_name: Some("Tenants with their own contract".to_owned()),
            appendix_summary: Some(summarize(&app_details)),
            organizations_usage: Some(app_orgs),
            not_collected_cloud_servers: Some(Vec::new()),
            cloned_cloud_servers: Some(Vec::new()),
            unsupported_cloud_servers: Some(Vec::new()),
            usage_details: Some(app_details),
        }]
    };
    let mut r = SingleLicenseReport {
        report_status: Some(ReportStatus::Approved),
        report_paremeters: None,
        report_parameters: Some(LicenseReportParameters {
            report_id: i64::try_from(owner * 10_000 + m + 1).unwrap_or(i64::MAX),
            organization_name: format!("Provider {owner:02}"),
            organization_uid: owner_uid,
            license_company_name: format!("Provider {owner:02} Ltd"),
            generation_date: date(format!("{}-01T02:00:00.0000000+01:00", month.next())),
            report_interval: ReportInterval {
                start_of_interval: date(format!("{month}-01T00:00:00.0000000+01:00")),
                end_of_interval: date(format!(
                    "{month}-{:02}T00:00:00.0000000+01:00",
                    month.days()
                )),
            },
        }),
        report_summary: Some(summarize(&details)),
        organizations_usage: Some(orgs),
        not_collected_cloud_servers: Some(Vec::new()),
        cloned_cloud_servers: Some(Vec::new()),
        unsupported_cloud_servers: Some(Vec::new()),
        usage_details: Some(details),
        appendices: Some(appendices),
    };
    let injected = (0..spec.inject)
        .filter_map(|i| inject(&mut r, &mut rng, i))
        .collect();
    (r, injected)
}

/// Changes one value of a consistent report and says which.
fn inject(r: &mut SingleLicenseReport, rng: &mut Rng, i: usize) -> Option<Injected> {
    let one = Decimal::ONE;
    match i % 4 {
        0 => {
            // A workload row whose points do not match its count.
            let details = r.usage_details.as_mut()?;
            let d = rng.below(details.len() as u64) as usize;
            let products = details[d].usage_by_license_and_product.as_mut()?;
            let p = rng.below(products.len() as u64) as usize;
            let rows = products[p].workload_usage.as_mut()?;
            let w = rng.below(rows.len() as u64) as usize;
            rows[w].used_points += one;
            Some(Injected {
                code: crate::codes::Code::PointsMismatch,
                pointer: format!(
                    "/usageDetails/{d}/usageByLicenseAndProduct/{p}/workloadUsage/{w}/usedPoints"
                ),
            })
        }
        1 => {
            let orgs = r.organizations_usage.as_mut()?;
            let o = rng.below(orgs.len() as u64) as usize;
            orgs[o].used_points += one;
            Some(Injected {
                code: crate::codes::Code::OrganizationsTotalMismatch,
                pointer: format!("/organizationsUsage/{o}/usedPoints"),
            })
        }
        2 => {
            let s = r.report_summary.as_mut()?;
            s.total_points += one;
            Some(Injected {
                code: crate::codes::Code::SummaryTotalMismatch,
                pointer: "/reportSummary/totalPoints".to_owned(),
            })
        }
        _ => {
            r.report_status = Some(ReportStatus::ApprovalRequired);
            Some(Injected {
                code: crate::codes::Code::ReportNotApproved,
                pointer: "/reportStatus".to_owned(),
            })
        }
    }
}

/// The export of owner `owner` for month `m`: a one-report page, as the API returns it.
#[must_use]
pub fn collection(spec: &Spec, owner: usize, m: usize) -> (LicenseReportCollection, Vec<Injected>) {
    let (r, injected) = report(spec, owner, m);
    (
        LicenseReportCollection {
            meta: Some(ResponseMetadata {
                paging_info: Some(PagingInfo {
                    total: Some(1),
                    count: Some(1),
                    offset: Some(0),
                }),
            }),
            data: vec![r],
            errors: None,
        },
        injected,
    )
}

/// Writes the corpus into `dir` (created if missing): `owner-OO/YYYY-MM.json`, compact JSON
/// as the API sends it (or indented with `pretty`). Returns the files written, in order.
///
/// # Errors
/// When a file cannot be written.
pub fn write(spec: &Spec, dir: &Path, pretty: bool) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for owner in 0..spec.owners {
        let sub = dir.join(format!("owner-{owner:02}"));
        std::fs::create_dir_all(&sub)?;
        for m in 0..spec.months {
            let (doc, _) = collection(spec, owner, m);
            let path = sub.join(format!("{}.json", month_of(spec, m)));
            let bytes = if pretty {
                serde_json::to_vec_pretty(&doc)
            } else {
                serde_json::to_vec(&doc)
            }
            .map_err(std::io::Error::other)?;
            crate::output::write_atomic(&path, &bytes)?;
            files.push(path);
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes() {
        let spec = Spec {
            tenants: 25,
            ..Spec::default()
        };
        let a = serde_json::to_vec(&collection(&spec, 0, 0).0).unwrap();
        let b = serde_json::to_vec(&collection(&spec, 0, 0).0).unwrap();
        assert_eq!(a, b);
        let other = Spec { seed: 2, ..spec };
        assert_ne!(a, serde_json::to_vec(&collection(&other, 0, 0).0).unwrap());
    }

    #[test]
    fn generated_totals_add_up() {
        let spec = Spec {
            tenants: 40,
            products: 4,
            rows: 4,
            ..Spec::default()
        };
        let (r, injected) = report(&spec, 0, 0);
        assert!(injected.is_empty());
        let summary = r.report_summary.as_ref().unwrap();
        let orgs: Decimal = r.organizations().iter().map(|o| o.used_points).sum();
        assert_eq!(orgs, summary.total_points);
        let products: Decimal = summary
            .products_usage
            .iter()
            .filter_map(|p| p.total_points)
            .sum();
        assert_eq!(products, summary.total_points);
        assert_eq!(r.appendix_list().len(), 1);
        assert_eq!(r.details().len(), 36);
    }

    #[test]
    fn round_trips_through_the_loader() {
        let spec = Spec {
            tenants: 12,
            inject: 3,
            ..Spec::default()
        };
        let (doc, injected) = collection(&spec, 0, 0);
        assert_eq!(injected.len(), 3);
        let bytes = serde_json::to_vec(&doc).unwrap();
        let loaded = crate::load::load_bytes("g.json", bytes, &crate::load::LoadOptions::default());
        assert!(loaded.is_valid(), "{:?}", loaded.problems);
        match loaded.document.unwrap() {
            crate::load::Document::Reports(d) => assert_eq!(d.reports[0], doc.data[0]),
            crate::load::Document::SiteUsage(_) => panic!("wrong kind"),
        }
    }

    #[test]
    fn months_roll_over_years() {
        let spec = Spec {
            first_month: Month::new(2024, 11),
            ..Spec::default()
        };
        assert_eq!(month_of(&spec, 0), Month::new(2024, 11));
        assert_eq!(month_of(&spec, 2), Month::new(2025, 1));
        assert_eq!(month_of(&spec, 14), Month::new(2026, 1));
    }
}
