//! Every finding code, documented in one place.
//!
//! `vspc-billing explain CODE` prints an entry; the README's table is generated from the
//! same list; a test keeps the list complete (every code the sources emit is here) and
//! unique.

use crate::diag::Severity;

/// Every code a user can see: findings (loading, audit), the reasons a report is not
/// billed, and rate card errors. Each has one [`CodeDoc`] (in [`CODES`], in this order), so
/// `explain` knows every code by construction. Shown, serialized and compared by its stable
/// kebab-case name ([`Code::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    /// `io-error`
    IoError,
    /// `input-too-large`
    InputTooLarge,
    /// `not-a-regular-file`
    NotARegularFile,
    /// `symlink-loop`
    SymlinkLoop,
    /// `empty-file`
    EmptyFile,
    /// `byte-order-mark`
    ByteOrderMark,
    /// `invalid-utf8`
    InvalidUtf8,
    /// `invalid-json`
    InvalidJson,
    /// `unknown-document`
    UnknownDocument,
    /// `schema-violation`
    SchemaViolation,
    /// `type-error`
    TypeError,
    /// `invalid-date`
    InvalidDate,
    /// `interval-reversed`
    IntervalReversed,
    /// `interval-not-calendar-month`
    IntervalNotCalendarMonth,
    /// `generated-before-interval-end`
    GeneratedBeforeIntervalEnd,
    /// `missing-parameters`
    MissingParameters,
    /// `conflicting-fields`
    ConflictingFields,
    /// `points-mismatch`
    PointsMismatch,
    /// `platform-count-mismatch`
    PlatformCountMismatch,
    /// `product-total-mismatch`
    ProductTotalMismatch,
    /// `summary-total-mismatch`
    SummaryTotalMismatch,
    /// `organizations-total-mismatch`
    OrganizationsTotalMismatch,
    /// `details-total-mismatch`
    DetailsTotalMismatch,
    /// `details-summary-mismatch`
    DetailsSummaryMismatch,
    /// `reported-exceeds-initial`
    ReportedExceedsInitial,
    /// `negative-value`
    NegativeValue,
    /// `number-out-of-range`
    NumberOutOfRange,
    /// `report-not-approved`
    ReportNotApproved,
    /// `servers-not-collected`
    ServersNotCollected,
    /// `servers-cloned`
    ServersCloned,
    /// `servers-unsupported`
    ServersUnsupported,
    /// `paging-incomplete`
    PagingIncomplete,
    /// `api-error`
    ApiError,
    /// `duplicate-organization`
    DuplicateOrganization,
    /// `duplicate-report`
    DuplicateReport,
    /// `missing-month`
    MissingMonth,
    /// `usage-spike`
    UsageSpike,
    /// `usage-drop`
    UsageDrop,
    /// `tenant-appeared`
    TenantAppeared,
    /// `tenant-disappeared`
    TenantDisappeared,
    /// `workload-count-doubled`
    WorkloadCountDoubled,
    /// `weight-changed`
    WeightChanged,
    /// `report-total-jump`
    ReportTotalJump,
    /// `weight-inconsistent`
    WeightInconsistent,
    /// `weight-unexpected`
    WeightUnexpected,
    /// `unknown-enum-value`
    UnknownEnumValue,
    /// `counter-weight-inconsistent`
    CounterWeightInconsistent,
    /// `invalid-file`
    InvalidFile,
    /// `not-approved`
    NotApproved,
    /// `status-missing`
    StatusMissing,
    /// `error-findings`
    ErrorFindings,
    /// `no-period`
    NoPeriod,
    /// `unbillable-data`
    UnbillableData,
    /// `buyer-address-missing`
    BuyerAddressMissing,
    /// `amount-overflow`
    AmountOverflow,
    /// `rate-card-invalid`
    RateCardInvalid,
    /// `invoice-changed`
    InvoiceChanged,
    /// `unknown-tenant`
    UnknownTenant,
}

impl Code {
    /// Every code, in the order of [`CODES`].
    pub const ALL: [Self; 58] = [
        Self::IoError,
        Self::InputTooLarge,
        Self::NotARegularFile,
        Self::SymlinkLoop,
        Self::EmptyFile,
        Self::ByteOrderMark,
        Self::InvalidUtf8,
        Self::InvalidJson,
        Self::UnknownDocument,
        Self::SchemaViolation,
        Self::TypeError,
        Self::InvalidDate,
        Self::IntervalReversed,
        Self::IntervalNotCalendarMonth,
        Self::GeneratedBeforeIntervalEnd,
        Self::MissingParameters,
        Self::ConflictingFields,
        Self::PointsMismatch,
        Self::PlatformCountMismatch,
        Self::ProductTotalMismatch,
        Self::SummaryTotalMismatch,
        Self::OrganizationsTotalMismatch,
        Self::DetailsTotalMismatch,
        Self::DetailsSummaryMismatch,
        Self::ReportedExceedsInitial,
        Self::NegativeValue,
        Self::NumberOutOfRange,
        Self::ReportNotApproved,
        Self::ServersNotCollected,
        Self::ServersCloned,
        Self::ServersUnsupported,
        Self::PagingIncomplete,
        Self::ApiError,
        Self::DuplicateOrganization,
        Self::DuplicateReport,
        Self::MissingMonth,
        Self::UsageSpike,
        Self::UsageDrop,
        Self::TenantAppeared,
        Self::TenantDisappeared,
        Self::WorkloadCountDoubled,
        Self::WeightChanged,
        Self::ReportTotalJump,
        Self::WeightInconsistent,
        Self::WeightUnexpected,
        Self::UnknownEnumValue,
        Self::CounterWeightInconsistent,
        Self::InvalidFile,
        Self::NotApproved,
        Self::StatusMissing,
        Self::ErrorFindings,
        Self::NoPeriod,
        Self::UnbillableData,
        Self::BuyerAddressMissing,
        Self::AmountOverflow,
        Self::RateCardInvalid,
        Self::InvoiceChanged,
        Self::UnknownTenant,
    ];

    /// The stable kebab-case name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::IoError => "io-error",
            Self::InputTooLarge => "input-too-large",
            Self::NotARegularFile => "not-a-regular-file",
            Self::SymlinkLoop => "symlink-loop",
            Self::EmptyFile => "empty-file",
            Self::ByteOrderMark => "byte-order-mark",
            Self::InvalidUtf8 => "invalid-utf8",
            Self::InvalidJson => "invalid-json",
            Self::UnknownDocument => "unknown-document",
            Self::SchemaViolation => "schema-violation",
            Self::TypeError => "type-error",
            Self::InvalidDate => "invalid-date",
            Self::IntervalReversed => "interval-reversed",
            Self::IntervalNotCalendarMonth => "interval-not-calendar-month",
            Self::GeneratedBeforeIntervalEnd => "generated-before-interval-end",
            Self::MissingParameters => "missing-parameters",
            Self::ConflictingFields => "conflicting-fields",
            Self::PointsMismatch => "points-mismatch",
            Self::PlatformCountMismatch => "platform-count-mismatch",
            Self::ProductTotalMismatch => "product-total-mismatch",
            Self::SummaryTotalMismatch => "summary-total-mismatch",
            Self::OrganizationsTotalMismatch => "organizations-total-mismatch",
            Self::DetailsTotalMismatch => "details-total-mismatch",
            Self::DetailsSummaryMismatch => "details-summary-mismatch",
            Self::ReportedExceedsInitial => "reported-exceeds-initial",
            Self::NegativeValue => "negative-value",
            Self::NumberOutOfRange => "number-out-of-range",
            Self::ReportNotApproved => "report-not-approved",
            Self::ServersNotCollected => "servers-not-collected",
            Self::ServersCloned => "servers-cloned",
            Self::ServersUnsupported => "servers-unsupported",
            Self::PagingIncomplete => "paging-incomplete",
            Self::ApiError => "api-error",
            Self::DuplicateOrganization => "duplicate-organization",
            Self::DuplicateReport => "duplicate-report",
            Self::MissingMonth => "missing-month",
            Self::UsageSpike => "usage-spike",
            Self::UsageDrop => "usage-drop",
            Self::TenantAppeared => "tenant-appeared",
            Self::TenantDisappeared => "tenant-disappeared",
            Self::WorkloadCountDoubled => "workload-count-doubled",
            Self::WeightChanged => "weight-changed",
            Self::ReportTotalJump => "report-total-jump",
            Self::WeightInconsistent => "weight-inconsistent",
            Self::WeightUnexpected => "weight-unexpected",
            Self::UnknownEnumValue => "unknown-enum-value",
            Self::CounterWeightInconsistent => "counter-weight-inconsistent",
            Self::InvalidFile => "invalid-file",
            Self::NotApproved => "not-approved",
            Self::StatusMissing => "status-missing",
            Self::ErrorFindings => "error-findings",
            Self::NoPeriod => "no-period",
            Self::UnbillableData => "unbillable-data",
            Self::BuyerAddressMissing => "buyer-address-missing",
            Self::AmountOverflow => "amount-overflow",
            Self::RateCardInvalid => "rate-card-invalid",
            Self::InvoiceChanged => "invoice-changed",
            Self::UnknownTenant => "unknown-tenant",
        }
    }

    /// The code of a name (exact, kebab-case).
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// Its documentation.
    #[must_use]
    pub fn doc(self) -> &'static CodeDoc {
        &CODES[self as usize]
    }

    /// Its default severity.
    #[must_use]
    pub fn severity(self) -> Severity {
        self.doc().severity
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Codes sort by name, so that output sorted by code is the same whatever the variant order.
impl Ord for Code {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for Code {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<Code> for &str {
    fn eq(&self, other: &Code) -> bool {
        *self == other.as_str()
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Documentation of one code.
#[derive(Debug, Clone, Copy)]
pub struct CodeDoc {
    /// The code.
    pub code: Code,
    /// Default severity.
    pub severity: Severity,
    /// One line: what the code means.
    pub summary: &'static str,
    /// Why it matters to a provider.
    pub why: &'static str,
    /// How to fix it.
    pub fix: &'static str,
}

/// All codes, loading codes first.
pub const CODES: &[CodeDoc] = &[
    CodeDoc {
        code: Code::IoError,
        severity: Severity::Error,
        summary: "A path could not be read: it does not exist, is not readable, or is a directory with no .json file.",
        why: "Nothing in it was checked, so totals built from the run may be missing a file.",
        fix: "Check the path and permissions; name .json files or folders that contain them.",
    },
    CodeDoc {
        code: Code::InputTooLarge,
        severity: Severity::Error,
        summary: "An input is larger than the limit for one input (4 GiB unless --max-input-size says otherwise), or a stream did not end before it.",
        why: "A file is held in memory while it is checked (with its model, about three times its size); an endless stream (/dev/zero, a pipe that never closes) would fill the memory.",
        fix: "Check that the path names an export (a real one is tens of MB); for a genuinely larger export, raise the limit with --max-input-size 8GiB.",
    },
    CodeDoc {
        code: Code::NotARegularFile,
        severity: Severity::Warning,
        summary: "A folder being searched holds a *.json entry that is not a regular file (a named pipe, a socket, a device): it was skipped.",
        why: "Reading a named pipe blocks until another program writes to it, which would hang the run; such an entry is not an export.",
        fix: "Name it on its own on the command line to read it anyway (it is then read up to the size limit), or remove it from the folder.",
    },
    CodeDoc {
        code: Code::SymlinkLoop,
        severity: Severity::Warning,
        summary: "A symbolic link in a folder being searched leads back to a folder that contains it: the link was not followed.",
        why: "Following it would read the same files again and again (and never end); each real file is read once.",
        fix: "Nothing to do for the run; remove the link if it was made by mistake.",
    },
    CodeDoc {
        code: Code::EmptyFile,
        severity: Severity::Error,
        summary: "The file is empty or holds only white space.",
        why: "An export that was interrupted or never written leaves an empty file; its month is missing.",
        fix: "Export the report again from VSPC (GET /api/v3/licensing/reports).",
    },
    CodeDoc {
        code: Code::ByteOrderMark,
        severity: Severity::Error,
        summary: "The file starts with a UTF-8 byte-order mark (EF BB BF), which JSON forbids (RFC 8259, section 8.1).",
        why: "Windows PowerShell 5 (`Out-File -Encoding utf8`) writes one; strict JSON readers refuse the file.",
        fix: "Save without BOM: PowerShell 7 `Out-File -Encoding utf8NoBOM`, or `Set-Content -Encoding utf8NoBOM`; or strip the first three bytes.",
    },
    CodeDoc {
        code: Code::InvalidUtf8,
        severity: Severity::Error,
        summary: "The file contains bytes that are not UTF-8 at the given place.",
        why: "JSON must be UTF-8; a file saved as UTF-16 or Windows-1252 cannot be read reliably (company names would be garbled).",
        fix: "Save the export as UTF-8 (PowerShell 7 `-Encoding utf8NoBOM`).",
    },
    CodeDoc {
        code: Code::InvalidJson,
        severity: Severity::Error,
        summary: "The file is not well-formed JSON: a syntax error or a truncated file, at the given line and column.",
        why: "Nothing after the error can be read, so none of the file's figures can be checked or billed.",
        fix: "Re-export the file; if it was edited by hand, fix the syntax at the place given (often a missing comma or bracket).",
    },
    CodeDoc {
        code: Code::UnknownDocument,
        severity: Severity::Error,
        summary: "The JSON is neither a license usage report export nor a site usage export.",
        why: "The tool cannot tell what the figures mean, so it checks nothing.",
        fix: "Pass an export of GET /api/v3/licensing/reports or /licensing/sites/{siteUid}/usage, or force the kind with --kind.",
    },
    CodeDoc {
        code: Code::SchemaViolation,
        severity: Severity::Error,
        summary: "A value does not match the JSON Schema generated for this kind of document (schemas/).",
        why: "A missing or mistyped field (a number written as text, a missing usedPoints) makes the figures unusable.",
        fix: "Re-export the file; compare the value at the pointer with the schema in schemas/.",
    },
    CodeDoc {
        code: Code::TypeError,
        severity: Severity::Error,
        summary: "A value has the right JSON type but cannot be held exactly (a number beyond 28 significant digits, a count beyond 64 bits).",
        why: "Points and money are computed exactly; a value that cannot be held would be rounded silently.",
        fix: "Check the value at the pointer; it is almost certainly corrupt.",
    },
    // Audit codes (`vspc-billing audit`).
    CodeDoc {
        code: Code::InvalidDate,
        severity: Severity::Error,
        summary: "A date does not exist on the calendar (2020-02-31, month 13, 24:00); the message names the likely intended date (the last day of that month).",
        why: "The vendor's own example ends February 2020 on 2020-02-31. A tool that reads the date strictly fails or shifts the report into March, so the month is billed wrong or twice.",
        fix: "Read the date as the one suggested (the audit does so for its other checks); if the export is yours to correct, write that date. Report the defect to Veeam if the console wrote it.",
    },
    CodeDoc {
        code: Code::IntervalReversed,
        severity: Severity::Error,
        summary: "The report interval starts after it ends (calendar dates compared).",
        why: "The period of the report is unknown, so it cannot be placed in a monthly series or billed to a month.",
        fix: "Export the report again from VSPC; check that startOfInterval and endOfInterval were not swapped by hand.",
    },
    CodeDoc {
        code: Code::IntervalNotCalendarMonth,
        severity: Severity::Error,
        summary: "The report interval is not one calendar month (first day to last day of the same month).",
        why: "VSPC reports cover the previous calendar month; any other interval means a hand-made or corrupt file, and its points cannot be billed as one month.",
        fix: "Use the monthly report VSPC generated on the 1st (GET /api/v3/licensing/reports); do not bill from a report with a custom interval.",
    },
    CodeDoc {
        code: Code::GeneratedBeforeIntervalEnd,
        severity: Severity::Error,
        summary: "The report was generated on or before the last day of its interval (calendar dates compared; start and end offsets may differ with daylight saving).",
        why: "The month was not over: usage after the generation date is missing, so the points are too low.",
        fix: "Wait for the report VSPC builds on the 1st of the next month, approve it, and export it again.",
    },
    CodeDoc {
        code: Code::MissingParameters,
        severity: Severity::Error,
        summary: "A report has neither reportParameters nor reportParemeters.",
        why: "Without parameters its owner, id and month are unknown: it cannot be checked for duplicates or gaps, nor billed to a period.",
        fix: "Export the report again; the API always sends the parameters.",
    },
    CodeDoc {
        code: Code::ConflictingFields,
        severity: Severity::Error,
        summary: "A report has both reportParameters (API 3.6+) and reportParemeters (the misspelled name up to 3.5.1); reportParameters is used.",
        why: "The console writes one or the other; both means the file was merged or edited, and the two may disagree on the owner or the month.",
        fix: "Keep the parameters of the console's API version and remove the other field, or export the report again.",
    },
    CodeDoc {
        code: Code::PointsMismatch,
        severity: Severity::Error,
        summary: "A workload row's usedPoints is not reportedCount x weight, or not the sum of its objectsByWeight usedPoints when workloadsByPlatform is present. The message says when it matches (reportedCount - newCount) x weight instead, or the recomputed value rounded up.",
        why: "usedPoints is what Veeam charges; a row that does not add up means the provider pays, or bills tenants, for points that do not match the workloads.",
        fix: "Compare the row with the console's license usage view; correct the counts or adjust the report in VSPC before approving it, and tell Veeam support if the console computed it. A reportSummary row without workloadsByPlatform is also compared with the usageDetails rows of its workload type and edition, where objects of different weights show: it is flagged only when those rows do not have its usedPoints and reportedCount either, and the message says what they sum to.",
    },
    CodeDoc {
        code: Code::PlatformCountMismatch,
        severity: Severity::Warning,
        summary: "A workload row's initialCount, reportedCount or newCount is not the sum of that count over its objectsByWeight.",
        why: "The per-platform breakdown and the row disagree on how many workloads there are, so one of them is wrong.",
        fix: "Check the workloads of that type in the console; export the report again.",
    },
    CodeDoc {
        code: Code::ProductTotalMismatch,
        severity: Severity::Error,
        summary: "A product's totalPoints in a summary is not the sum of its workloads' usedPoints.",
        why: "Product totals feed the report total that Veeam bills.",
        fix: "Find the row or the total that is wrong (the points-mismatch findings of its rows help) and correct or re-export the report.",
    },
    CodeDoc {
        code: Code::SummaryTotalMismatch,
        severity: Severity::Error,
        summary: "A summary's totalPoints (reportSummary or appendixSummary) is not the sum of its products' totalPoints.",
        why: "totalPoints is the number the provider is charged for; it must equal what the products add up to.",
        fix: "Check the products of the summary; re-export or have Veeam correct the report before it is submitted (by the 5th).",
    },
    CodeDoc {
        code: Code::OrganizationsTotalMismatch,
        severity: Severity::Error,
        summary: "The organizations' usedPoints in organizationsUsage do not add up to the summary's totalPoints.",
        why: "Tenants are billed from their organization's points; if they do not add up to what Veeam charges, some points are billed to nobody or twice.",
        fix: "Look for a missing, duplicated or mistyped organization; re-export the report.",
    },
    CodeDoc {
        code: Code::DetailsTotalMismatch,
        severity: Severity::Error,
        summary: "An organization's usedPoints is not the sum of its usageDetails (over every support id), or a license's usedPoints in usageDetails is not the sum of its workloads.",
        why: "The details are the per-license breakdown behind a tenant's bill; when they disagree with the organization's points, the tenant's bill cannot be explained.",
        fix: "Compare the organization's usage in the console; re-export the report.",
    },
    CodeDoc {
        code: Code::DetailsSummaryMismatch,
        severity: Severity::Error,
        summary: "For one workload type, the usageDetails rows of every organization do not add up to the summary rows of that type.",
        why: "The summary is what Veeam bills, the details are what tenants are billed from; a difference is money billed to nobody or to the wrong tenant.",
        fix: "Find the organizations whose rows of that type are missing or wrong; re-export the report.",
    },
    CodeDoc {
        code: Code::ReportedExceedsInitial,
        severity: Severity::Warning,
        summary: "A row's reportedCount is more than its initialCount.",
        why: "Adjustment only removes workloads; reporting more than were collected bills workloads that do not exist.",
        fix: "Check the report adjustment in VSPC before approving it.",
    },
    CodeDoc {
        code: Code::NegativeValue,
        severity: Severity::Error,
        summary: "A count, weight, number of points or units is negative.",
        why: "Negative usage lowers totals and bills; it never happens in a correct export.",
        fix: "The value is corrupt or edited by hand: export the report again.",
    },
    CodeDoc {
        code: Code::NumberOutOfRange,
        severity: Severity::Error,
        summary: "Recomputing a product or a sum went beyond the exact decimal range (28 significant digits).",
        why: "The audit never rounds silently; numbers that large are corrupt.",
        fix: "Check the values at the pointer and export the report again.",
    },
    CodeDoc {
        code: Code::ReportNotApproved,
        severity: Severity::Warning,
        summary: "The report status is not Approved (ApprovalRequired, Finalization, Unknown); an absent status (consoles before API 3.5.1) is reported as info.",
        why: "A report that is not approved may still change; billing tenants from it is a risk.",
        fix: "Review and approve the report in VSPC (it approves itself on the 3rd day of the month), then export it again.",
    },
    CodeDoc {
        code: Code::ServersNotCollected,
        severity: Severity::Error,
        summary: "notCollectedCloudServers or notCollectedClientServers lists servers whose usage could not be collected.",
        why: "Their usage is missing from every total: Veeam is under-reported and tenants are under-billed.",
        fix: "Fix the connection to those servers and let VSPC collect again, or report their usage to Veeam by hand (allow the code with --allow once you have).",
    },
    CodeDoc {
        code: Code::ServersCloned,
        severity: Severity::Warning,
        summary: "clonedCloudServers or clonedClientServers lists servers excluded as clones (same installation id as another server).",
        why: "Their usage is left out of the report, so the totals are incomplete.",
        fix: "Give each cloned server its own installation (see Veeam KB on cloned backup servers) and report its usage by hand for this month.",
    },
    CodeDoc {
        code: Code::ServersUnsupported,
        severity: Severity::Warning,
        summary: "unsupportedCloudServers or unsupportedClientServers lists servers excluded because their version is not supported.",
        why: "Their usage is left out of the report, so the totals are incomplete.",
        fix: "Upgrade those servers, and report their usage by hand for this month.",
    },
    CodeDoc {
        code: Code::PagingIncomplete,
        severity: Severity::Warning,
        summary: "The export is one page of a longer collection (pagingInfo.total > offset + count), its paging is impossible (offset + count > total), or pagingInfo.count is not the number of items in data.",
        why: "The API returns 100 items by default: reports in other pages are missing from the run, or the file was cut.",
        fix: "Export every page (offset) or ask for a larger limit (?limit=1000); do not edit exports by hand.",
    },
    CodeDoc {
        code: Code::ApiError,
        severity: Severity::Warning,
        summary: "The API response carries an errors array next to its data.",
        why: "The console reported a problem while building the response; the data may be incomplete.",
        fix: "Read the error in the message, fix its cause in VSPC, and export again.",
    },
    CodeDoc {
        code: Code::DuplicateOrganization,
        severity: Severity::Error,
        summary: "An organization appears twice in organizationsUsage, or twice with the same supportId in usageDetails.",
        why: "Its points would be counted, and billed, twice.",
        fix: "Export the report again; if files were merged by hand, merge them again without the duplicate.",
    },
    CodeDoc {
        code: Code::DuplicateReport,
        severity: Severity::Error,
        summary: "Two reports of the same owner cover the same period, within a file or across the inputs (the same report id, or two different ids).",
        why: "Billing both counts the month twice.",
        fix: "Keep one export per month and owner (the latest approved one); remove the other from the inputs.",
    },
    CodeDoc {
        code: Code::MissingMonth,
        severity: Severity::Warning,
        summary: "The monthly series of one report owner has a gap: a month between the first and the last seen has no report in the inputs.",
        why: "A month not exported is a month not checked and not billed.",
        fix: "Export the missing month (GET /api/v3/licensing/reports/{date}) and add it to the inputs, or allow the code if the gap is expected.",
    },
    CodeDoc {
        code: Code::UsageSpike,
        severity: Severity::Warning,
        summary: "A tenant's points rose from one month to the next (of one report owner) by more than --change-percent (default 50) of the earlier month and by at least --change-min-points (default 100).",
        why: "A sudden rise is billed at once: a misconfigured job, workloads counted twice, or a new contract the invoice should reflect.",
        fix: "Compare the tenant's workloads in both months in VSPC; if the rise is real, allow the code or raise the thresholds ([audit] change_percent, change_min_points).",
    },
    CodeDoc {
        code: Code::UsageDrop,
        severity: Severity::Warning,
        summary: "A tenant's points fell from one month to the next (of one report owner) by more than --change-percent (default 50) of the earlier month and by at least --change-min-points (default 100).",
        why: "Workloads that stopped being counted may still be protected (a server not collected, agents moved), and revenue is lost.",
        fix: "Check the tenant's jobs and servers in VSPC for the later month; if the drop is real, allow the code or raise the thresholds.",
    },
    CodeDoc {
        code: Code::TenantAppeared,
        severity: Severity::Warning,
        summary: "An organization is in one month's report of an owner but not in the previous month's in the inputs.",
        why: "A new tenant needs a contract and rates; a tenant moved from another console or support id may be counted twice.",
        fix: "Confirm the tenant is new (add it to the rate card if it has its own prices), or find where it was counted before.",
    },
    CodeDoc {
        code: Code::TenantDisappeared,
        severity: Severity::Warning,
        summary: "An organization is in one month's report of an owner but not in the next month's in the inputs.",
        why: "A tenant that left is fine; one whose backups still run but are no longer counted is revenue lost and a dispute later.",
        fix: "Confirm the tenant left; otherwise check its servers in VSPC (not collected, moved to another console) and export the report again.",
    },
    CodeDoc {
        code: Code::WorkloadCountDoubled,
        severity: Severity::Warning,
        summary: "One workload type of a tenant about doubled from one month to the next (at least --doubling-ratio, default 1.9, from at least --doubling-min-count, default 5) while its other types stayed within --stable-percent (default 10).",
        why: "The signature of double counting: after a backup server is reinstalled its machines get new ids and are counted next to the old ones.",
        fix: "Look for duplicate machines (old and new ids) in the tenant's jobs in VSPC; remove the stale ones and have the report recalculated before approving it.",
    },
    CodeDoc {
        code: Code::WeightChanged,
        severity: Severity::Warning,
        summary: "The weight of one workload type and license edition in the report summary differs from the previous month's report of the same owner.",
        why: "The same workloads now cost a different number of points: a price change by Veeam, or a license edition that changed.",
        fix: "Check Veeam's current rental point weights and the license edition; update the rate card or --weights file if the change is real.",
    },
    CodeDoc {
        code: Code::ReportTotalJump,
        severity: Severity::Warning,
        summary: "A report's totalPoints changed from the previous month's report of the same owner by more than --total-change-percent (default 20).",
        why: "The provider's bill from Veeam moves with it; a jump across the whole console points at a collection problem or a change of weights.",
        fix: "Look at the tenants and products that moved (vspc-billing report shows them); allow the code or raise the threshold if the change is real.",
    },
    CodeDoc {
        code: Code::WeightInconsistent,
        severity: Severity::Warning,
        summary: "One workload type and license edition has different row weights in one report (objects of different weights inside workloadsByPlatform are legitimate and not compared).",
        why: "Veeam sets one weight per workload type and edition; different weights mean some rows are charged at the wrong rate.",
        fix: "Check the licenses of the rows named; ask Veeam support if the console reports both.",
    },
    CodeDoc {
        code: Code::WeightUnexpected,
        severity: Severity::Warning,
        summary: "A weight differs from the expected one: the published weights built in (Cloud Connect VM backup 5 or 0, replica 10, workstation backup 3, server backup 7; Veeam Backup & Replication Standard VM 5) or the rules of --weights FILE.",
        why: "Weights change with the contract and over time; an unexpected weight changes every bill that uses it.",
        fix: "If the weight is right (a new price list, another edition), add a rule to your weights file (see the README) and pass it with --weights.",
    },
    CodeDoc {
        code: Code::UnknownEnumValue,
        severity: Severity::Warning,
        summary: "A value of an enumeration (workloadType, productType, organizationType, reportStatus, counter type, unitType) is not one this version of the tool knows; it is kept as written.",
        why: "Veeam adds values between versions; a workload type the tool does not know gets no expected weight and may need a billing rate.",
        fix: "Check the value's spelling; if it is new, add a rate for it to the billing configuration and report it so the tool learns it.",
    },
    CodeDoc {
        code: Code::CounterWeightInconsistent,
        severity: Severity::Error,
        summary: "In a site usage counter, units divided by count (the weight of one object) differs between the rental, new and used members, or units are given for zero objects.",
        why: "One counter has one weight per object (3.3 units for 10 objects and 0.66 for 2 are both 0.33): a different ratio means the units charged do not match the objects.",
        fix: "Compare the counter with the console's Cloud Connect license usage; export the site usage again.",
    },
    CodeDoc {
        code: Code::InvalidFile,
        severity: Severity::Error,
        summary: "A file given to invoice did not load (see its loading finding): nothing in it is billed.",
        why: "Its reports are not billed at all, so the month's invoices would miss their tenants.",
        fix: "Run `vspc-billing validate` on it, fix or export it again, and bill it with the others.",
    },
    CodeDoc {
        code: Code::NotApproved,
        severity: Severity::Error,
        summary: "A report's reportStatus is not Approved (ApprovalRequired, Finalization, Unknown): it is not billed.",
        why: "Until the report is approved its figures can still change; invoices built from it may not match what Veeam bills.",
        fix: "Approve the report in VSPC and export it again, or pass --allow-unapproved to bill it as it is.",
    },
    CodeDoc {
        code: Code::StatusMissing,
        severity: Severity::Error,
        summary: "A report has no reportStatus (consoles before API 3.5.1 do not send one): it is not billed unless allowed.",
        why: "Whether the figures are final cannot be told from the export.",
        fix: "Check in VSPC that the report is approved, then pass --allow-unapproved.",
    },
    CodeDoc {
        code: Code::ErrorFindings,
        severity: Severity::Error,
        summary: "The audit found errors in a report: it is not billed.",
        why: "Billing from inconsistent figures invoices tenants for points the report does not support.",
        fix: "Fix the export (see each finding), or pass --allow-findings (or --allow CODE) to bill it as it is.",
    },
    CodeDoc {
        code: Code::NoPeriod,
        severity: Severity::Error,
        summary: "A report has no reportParameters, or its interval's month does not exist: the billing period is unknown and it is not billed.",
        why: "Invoices are numbered and dated by period; without one they cannot be issued.",
        fix: "Export the report again from VSPC; its reportParameters.reportInterval must name a real month.",
    },
    CodeDoc {
        code: Code::UnbillableData,
        severity: Severity::Error,
        summary: "A report's figures or the rate card give an amount that cannot be computed exactly (more than 28 significant digits), or a due date after 9999-12-31: the report is not billed.",
        why: "An amount that cannot be held exactly would be rounded silently or shown as zero; the invoice would be wrong.",
        fix: "Check the rate card's prices and the report's figures named in the message.",
    },
    CodeDoc {
        code: Code::BuyerAddressMissing,
        severity: Severity::Error,
        summary: "A tenant has no billing address (address in its [tenants.\"UID\"]) and the rate card says require_buyer_address = true: it is not invoiced.",
        why: "An invoice without the buyer's address is not a valid invoice in many jurisdictions (the EU VAT Directive, art. 226(5)).",
        fix: "Add address = [\"line 1\", \"line 2\"] to the tenant's [tenants.\"UID\"] in the rate card, then run again.",
    },
    CodeDoc {
        code: Code::AmountOverflow,
        severity: Severity::Error,
        summary: "A total over every billed report (revenue, tax, points) cannot be computed exactly: the run stops and writes nothing.",
        why: "The summary and the CSV totals would be wrong.",
        fix: "Bill fewer reports at once, or check the rate card's prices.",
    },
    CodeDoc {
        code: Code::RateCardInvalid,
        severity: Severity::Error,
        summary: "The rate card has a problem: TOML syntax, an unknown or misspelt key, a value of the wrong type or out of range, a currency that is not ISO 4217. Nothing is written.",
        why: "Every invoice is priced from the card; a typo would misprice every tenant.",
        fix: "Fix the key or value at the line and column given (the message names the key path, and suggests the nearest key).",
    },
    CodeDoc {
        code: Code::InvoiceChanged,
        severity: Severity::Error,
        summary: "With a register, an invoice already issued would now be different (another rate card, a corrected report, another address): nothing is issued or written, and the differences are listed.",
        why: "An issued invoice must never change: the customer has it, and tax law requires a correction to be a document of its own.",
        fix: "If the new figures are right, run again with --correct: a credit note cancels the issued invoice and a new invoice with a new number replaces it. Otherwise bill with the card and reports used before.",
    },
    CodeDoc {
        code: Code::UnknownTenant,
        severity: Severity::Error,
        summary: "A [tenants.\"UID\"] of the rate card matches no organization of the reports read: the run stops and writes nothing, unless --allow unknown-tenant.",
        why: "A mistyped UID leaves the tenant's terms unused: it would be billed without its minimum, discount, address or tax ID.",
        fix: "Correct the UID (the organizationUid of the report), or pass --allow unknown-tenant when the tenant is billed from another console's reports.",
    },
];

/// The documentation of a code, by name.
#[must_use]
pub fn lookup(code: &str) -> Option<&'static CodeDoc> {
    Code::parse(code).map(Code::doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_its_documentation_in_order() {
        assert_eq!(CODES.len(), Code::ALL.len());
        let mut seen = std::collections::BTreeSet::new();
        for (c, doc) in Code::ALL.into_iter().zip(CODES) {
            assert_eq!(doc.code, c, "CODES is in the order of Code::ALL");
            assert_eq!(c.doc().summary, doc.summary);
            assert_eq!(Code::parse(c.as_str()), Some(c));
            assert!(seen.insert(c.as_str()), "duplicate code {c}");
            assert!(
                c.as_str()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{c} is not kebab-case"
            );
            assert!(!doc.summary.is_empty() && !doc.why.is_empty() && !doc.fix.is_empty());
        }
        assert_eq!(
            lookup("points-mismatch").map(|d| d.code),
            Some(Code::PointsMismatch)
        );
        assert!(lookup("pionts-mismatch").is_none());
    }
}
