//! Typed model of the two documents VSPC exports (see `README.md`, "Data model").
//!
//! Field names are the vendor's JSON names. Points, weights and units are exact
//! [`Decimal`]s read from the JSON text; counts are integers; dates keep their text.
//! Unknown fields are ignored, so newer exports load. The JSON Schemas in `schemas/`
//! are generated from these types.

use crate::date::VspcDate;
use crate::enums::{OrganizationType, ProductType, ReportStatus, UnitType, WorkloadType};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `meta` of a collection response.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ResponseMetadata {
    /// Paging of the collection.
    #[serde(
        rename = "pagingInfo",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub paging_info: Option<PagingInfo>,
}

/// Paging of a collection response: `total > offset + count` means pages are missing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PagingInfo {
    /// Number of items on the server.
    #[serde(
        with = "crate::num::opt_count",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(schema_with = "crate::num::schema::opt_integer")]
    pub total: Option<i64>,
    /// Number of items in this page.
    #[serde(
        with = "crate::num::opt_count",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(schema_with = "crate::num::schema::opt_integer")]
    pub count: Option<i64>,
    /// Items skipped before this page.
    #[serde(
        with = "crate::num::opt_count",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(schema_with = "crate::num::schema::opt_integer")]
    pub offset: Option<i64>,
}

/// An error object the API may add to a response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ApiError {
    /// Message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Error type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Error code, a number or a string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<serde_json::Value>,
}

/// `GET /licensing/reports`: a page of reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LicenseReportCollection {
    /// Paging information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<ResponseMetadata>,
    /// The reports of this page.
    pub data: Vec<SingleLicenseReport>,
    /// Errors the API reported alongside the data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<ApiError>>,
}

/// `GET /licensing/reports/latest` and `/licensing/reports/{date}`: one report in `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LicenseReportEnvelope {
    /// The report.
    pub data: SingleLicenseReport,
    /// Errors the API reported alongside the data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<ApiError>>,
}

/// One monthly license usage report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SingleLicenseReport {
    /// Status (API 3.5.1+); only `Approved` is final.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_status: Option<ReportStatus>,
    /// Report parameters under the vendor's misspelled name (API up to 3.5.1).
    #[serde(
        rename = "reportParemeters",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub report_paremeters: Option<LicenseReportParameters>,
    /// Report parameters under the corrected name (API 3.6+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_parameters: Option<LicenseReportParameters>,
    /// Totals for the report owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_summary: Option<LicenseReportSummary>,
    /// Points per managed organization.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::split::opt_vec"
    )]
    pub organizations_usage: Option<Vec<OrganizationLicenseUsage>>,
    /// Cloud Connect servers whose data could not be collected: their usage is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_collected_cloud_servers: Option<Vec<String>>,
    /// Cloned Cloud Connect servers, excluded from the report (API 3.3+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloned_cloud_servers: Option<Vec<String>>,
    /// Unsupported Cloud Connect servers, excluded from the report (API 3.3+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsupported_cloud_servers: Option<Vec<String>>,
    /// Usage per organization, support id, license and product.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::split::opt_vec"
    )]
    pub usage_details: Option<Vec<OrganizationUsageOfLicensesWithSameSupportId>>,
    /// Usage of licenses issued to other companies; not part of the owner's total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appendices: Option<Vec<LicenseReportAppendix>>,
}

impl SingleLicenseReport {
    /// The parameters under whichever name is present (the 3.6 spelling first).
    #[must_use]
    pub fn parameters(&self) -> Option<&LicenseReportParameters> {
        self.report_parameters
            .as_ref()
            .or(self.report_paremeters.as_ref())
    }

    /// The JSON name the parameters were found under.
    #[must_use]
    pub fn parameters_field(&self) -> Option<&'static str> {
        if self.report_parameters.is_some() {
            Some("reportParameters")
        } else if self.report_paremeters.is_some() {
            Some("reportParemeters")
        } else {
            None
        }
    }

    /// `organizationsUsage`, empty when absent or null.
    #[must_use]
    pub fn organizations(&self) -> &[OrganizationLicenseUsage] {
        self.organizations_usage.as_deref().unwrap_or_default()
    }

    /// `usageDetails`, empty when absent or null.
    #[must_use]
    pub fn details(&self) -> &[OrganizationUsageOfLicensesWithSameSupportId] {
        self.usage_details.as_deref().unwrap_or_default()
    }

    /// `appendices`, empty when absent or null.
    #[must_use]
    pub fn appendix_list(&self) -> &[LicenseReportAppendix] {
        self.appendices.as_deref().unwrap_or_default()
    }
}

/// Identity and period of a report. All fields are required by the vendor's schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LicenseReportParameters {
    /// Report id.
    #[serde(with = "crate::num::count")]
    #[schemars(schema_with = "crate::num::schema::integer")]
    pub report_id: i64,
    /// Name of the report owner.
    pub organization_name: String,
    /// UID of the report owner.
    #[schemars(extend("format" = "uuid"))]
    pub organization_uid: String,
    /// Company the license is issued to.
    pub license_company_name: String,
    /// When the report was generated.
    pub generation_date: VspcDate,
    /// The period the report covers.
    pub report_interval: ReportInterval,
}

/// The period a report covers: one calendar month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportInterval {
    /// First day.
    pub start_of_interval: VspcDate,
    /// Last day.
    pub end_of_interval: VspcDate,
}

/// Totals of a report (`reportSummary`) or of an appendix (`appendixSummary`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LicenseReportSummary {
    /// Total points.
    #[serde(with = "crate::num::decimal")]
    #[schemars(schema_with = "crate::num::schema::number")]
    pub total_points: Decimal,
    /// Totals per product.
    pub products_usage: Vec<TotalProductLicenseUsage>,
}

/// Totals of one product in a summary.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TotalProductLicenseUsage {
    /// Product.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_type: Option<ProductType>,
    /// Product under its legacy (API v2) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_name: Option<String>,
    /// Points of the product.
    #[serde(
        with = "crate::num::opt_decimal",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(schema_with = "crate::num::schema::opt_number")]
    pub total_points: Option<Decimal>,
    /// License edition, e.g. `Standard`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_edition: Option<String>,
    /// Workloads of the product.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload_usage: Option<Vec<WorkloadLicenseUsage>>,
}

impl TotalProductLicenseUsage {
    /// `workloadUsage`, empty when absent or null.
    #[must_use]
    pub fn workloads(&self) -> &[WorkloadLicenseUsage] {
        self.workload_usage.as_deref().unwrap_or_default()
    }
}

/// Usage of one workload type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadLicenseUsage {
    /// Workload type.
    pub workload_type: WorkloadType,
    /// Description (API 3.3+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Managed workloads as collected.
    #[serde(with = "crate::num::count")]
    #[schemars(schema_with = "crate::num::schema::integer")]
    pub initial_count: i64,
    /// Workloads after adjustment and finalization.
    #[serde(with = "crate::num::count")]
    #[schemars(schema_with = "crate::num::schema::integer")]
    pub reported_count: i64,
    /// Workloads activated this calendar month.
    #[serde(with = "crate::num::count")]
    #[schemars(schema_with = "crate::num::schema::integer")]
    pub new_count: i64,
    /// Points one workload uses.
    #[serde(with = "crate::num::decimal")]
    #[schemars(schema_with = "crate::num::schema::number")]
    pub weight: Decimal,
    /// Points used by all workloads of this type.
    #[serde(with = "crate::num::decimal")]
    #[schemars(schema_with = "crate::num::schema::number")]
    pub used_points: Decimal,
    /// Workloads per platform, each with objects of possibly different weights (API 3.3+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workloads_by_platform: Option<Vec<WorkloadsByPlatform>>,
}

impl WorkloadLicenseUsage {
    /// `workloadsByPlatform`, empty when absent or null.
    #[must_use]
    pub fn platforms(&self) -> &[WorkloadsByPlatform] {
        self.workloads_by_platform.as_deref().unwrap_or_default()
    }
}

/// Workloads of one platform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadsByPlatform {
    /// Platform id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_id: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Objects grouped by weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objects_by_weight: Option<Vec<ObjectsByWeight>>,
}

impl WorkloadsByPlatform {
    /// `objectsByWeight`, empty when absent or null.
    #[must_use]
    pub fn objects(&self) -> &[ObjectsByWeight] {
        self.objects_by_weight.as_deref().unwrap_or_default()
    }
}

/// Objects of one weight on one platform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ObjectsByWeight {
    /// Points one object uses.
    #[serde(with = "crate::num::decimal")]
    #[schemars(schema_with = "crate::num::schema::number")]
    pub weight: Decimal,
    /// Objects as collected.
    #[serde(with = "crate::num::count")]
    #[schemars(schema_with = "crate::num::schema::integer")]
    pub initial_count: i64,
    /// Objects after adjustment.
    #[serde(with = "crate::num::count")]
    #[schemars(schema_with = "crate::num::schema::integer")]
    pub reported_count: i64,
    /// Objects activated this month.
    #[serde(with = "crate::num::count")]
    #[schemars(schema_with = "crate::num::schema::integer")]
    pub new_count: i64,
    /// Points used.
    #[serde(with = "crate::num::decimal")]
    #[schemars(schema_with = "crate::num::schema::number")]
    pub used_points: Decimal,
}

/// Points used by one managed organization.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationLicenseUsage {
    /// Kind of organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_type: Option<OrganizationType>,
    /// Name, as the tenant wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_name: Option<String>,
    /// UID.
    #[schemars(extend("format" = "uuid"))]
    pub organization_uid: String,
    /// Tenant UID (API 3.5.1; null for resellers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_uid: Option<String>,
    /// Points used.
    #[serde(with = "crate::num::decimal")]
    #[schemars(schema_with = "crate::num::schema::number")]
    pub used_points: Decimal,
}

/// Usage of one organization under one support id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationUsageOfLicensesWithSameSupportId {
    /// Name, as the tenant wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_name: Option<String>,
    /// UID.
    #[schemars(extend("format" = "uuid"))]
    pub organization_uid: String,
    /// Tenant UID (API 3.5.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_uid: Option<String>,
    /// Support id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_id: Option<String>,
    /// Client servers whose data could not be collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_collected_client_servers: Option<Vec<String>>,
    /// Cloned client servers (API 3.3+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloned_client_servers: Option<Vec<String>>,
    /// Unsupported client servers (API 3.3+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsupported_client_servers: Option<Vec<String>>,
    /// Usage per license and product.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_by_license_and_product: Option<Vec<ProductLicenseUsage>>,
}

impl OrganizationUsageOfLicensesWithSameSupportId {
    /// `usageByLicenseAndProduct`, empty when absent or null.
    #[must_use]
    pub fn products(&self) -> &[ProductLicenseUsage] {
        self.usage_by_license_and_product
            .as_deref()
            .unwrap_or_default()
    }
}

/// Usage of one license and product by one organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductLicenseUsage {
    /// License id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_id: Option<String>,
    /// Product.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_type: Option<ProductType>,
    /// License edition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_edition: Option<String>,
    /// Points used.
    #[serde(with = "crate::num::decimal")]
    #[schemars(schema_with = "crate::num::schema::number")]
    pub used_points: Decimal,
    /// Workloads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload_usage: Option<Vec<WorkloadLicenseUsage>>,
}

impl ProductLicenseUsage {
    /// `workloadUsage`, empty when absent or null.
    #[must_use]
    pub fn workloads(&self) -> &[WorkloadLicenseUsage] {
        self.workload_usage.as_deref().unwrap_or_default()
    }
}

/// Usage of licenses issued to another company (a tenant with its own Veeam contract).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LicenseReportAppendix {
    /// Company the license is issued to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_company_name: Option<String>,
    /// Totals of the appendix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appendix_summary: Option<LicenseReportSummary>,
    /// Points per organization.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::split::opt_vec"
    )]
    pub organizations_usage: Option<Vec<OrganizationLicenseUsage>>,
    /// Servers whose data could not be collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_collected_cloud_servers: Option<Vec<String>>,
    /// Cloned servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloned_cloud_servers: Option<Vec<String>>,
    /// Unsupported servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsupported_cloud_servers: Option<Vec<String>>,
    /// Usage details.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::split::opt_vec"
    )]
    pub usage_details: Option<Vec<OrganizationUsageOfLicensesWithSameSupportId>>,
}

impl LicenseReportAppendix {
    /// `organizationsUsage`, empty when absent or null.
    #[must_use]
    pub fn organizations(&self) -> &[OrganizationLicenseUsage] {
        self.organizations_usage.as_deref().unwrap_or_default()
    }

    /// `usageDetails`, empty when absent or null.
    #[must_use]
    pub fn details(&self) -> &[OrganizationUsageOfLicensesWithSameSupportId] {
        self.usage_details.as_deref().unwrap_or_default()
    }
}

/// `GET /licensing/sites/{siteUid}/usage`: one site in `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SiteUsageEnvelope {
    /// The site's usage.
    pub data: SiteCloudLicenseUsage,
    /// Errors the API reported alongside the data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<ApiError>>,
}

/// `GET /licensing/sites/usage`: every site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SiteUsageCollection {
    /// Usage per site.
    pub data: Vec<SiteCloudLicenseUsage>,
    /// Paging information, when the console sends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<ResponseMetadata>,
    /// Errors the API reported alongside the data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<ApiError>>,
}

/// Cloud Connect license usage of one site (API 3.0 to 3.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SiteCloudLicenseUsage {
    /// Installation id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "uuid"))]
    pub installation_id: Option<String>,
    /// Site UID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "uuid"))]
    pub site_uid: Option<String>,
    /// License id; not a UUID (`BackupServerLicense_BackupServer:…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_id: Option<String>,
    /// Counters per workload type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counters: Option<Vec<CloudLicenseCounter>>,
}

impl SiteCloudLicenseUsage {
    /// `counters`, empty when absent or null.
    #[must_use]
    pub fn counter_list(&self) -> &[CloudLicenseCounter] {
        self.counters.as_deref().unwrap_or_default()
    }
}

/// One Cloud Connect counter: rental, new and used objects with their units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CloudLicenseCounter {
    /// Workload type, e.g. `CC_VM_Replica`.
    #[serde(rename = "type")]
    pub counter_type: WorkloadType,
    /// Unit of the `*Units` fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_type: Option<UnitType>,
    /// Units of objects whose tenant has its own rental license.
    #[serde(with = "crate::num::decimal")]
    #[schemars(schema_with = "crate::num::schema::number")]
    pub rental_units: Decimal,
    /// Units of objects activated this month.
    #[serde(with = "crate::num::decimal")]
    #[schemars(schema_with = "crate::num::schema::number")]
    pub new_units: Decimal,
    /// Units of licensed, fully managed objects.
    #[serde(with = "crate::num::decimal")]
    #[schemars(schema_with = "crate::num::schema::number")]
    pub used_units: Decimal,
    /// Objects whose tenant has its own rental license.
    #[serde(with = "crate::num::count")]
    #[schemars(schema_with = "crate::num::schema::integer")]
    pub rental_count: i64,
    /// Objects activated this month.
    #[serde(with = "crate::num::count")]
    #[schemars(schema_with = "crate::num::schema::integer")]
    pub new_count: i64,
    /// Licensed, fully managed objects.
    #[serde(with = "crate::num::count")]
    #[schemars(schema_with = "crate::num::schema::integer")]
    pub used_count: i64,
}
