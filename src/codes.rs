//! Every finding code, documented in one place.
//!
//! `vspc-billing explain CODE` prints an entry; the README's table is generated from the
//! same list; a test keeps the list complete (every code the sources emit is here) and
//! unique.

use crate::diag::Severity;

/// Documentation of one finding code.
#[derive(Debug, Clone, Copy)]
pub struct CodeDoc {
    /// The stable kebab-case code.
    pub code: &'static str,
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
        code: "io-error",
        severity: Severity::Error,
        summary: "A path could not be read: it does not exist, is not readable, or is a directory with no .json file.",
        why: "Nothing in it was checked, so totals built from the run may be missing a file.",
        fix: "Check the path and permissions; name .json files or folders that contain them.",
    },
    CodeDoc {
        code: "input-too-large",
        severity: Severity::Error,
        summary: "An input is larger than the limit for one input (4 GiB unless --max-input-size says otherwise), or a stream did not end before it.",
        why: "A file is held in memory while it is checked (with its model, about three times its size); an endless stream (/dev/zero, a pipe that never closes) would fill the memory.",
        fix: "Check that the path names an export (a real one is tens of MB); for a genuinely larger export, raise the limit with --max-input-size 8GiB.",
    },
    CodeDoc {
        code: "not-a-regular-file",
        severity: Severity::Warning,
        summary: "A folder being searched holds a *.json entry that is not a regular file (a named pipe, a socket, a device): it was skipped.",
        why: "Reading a named pipe blocks until another program writes to it, which would hang the run; such an entry is not an export.",
        fix: "Name it on its own on the command line to read it anyway (it is then read up to the size limit), or remove it from the folder.",
    },
    CodeDoc {
        code: "symlink-loop",
        severity: Severity::Warning,
        summary: "A symbolic link in a folder being searched leads back to a folder that contains it: the link was not followed.",
        why: "Following it would read the same files again and again (and never end); each real file is read once.",
        fix: "Nothing to do for the run; remove the link if it was made by mistake.",
    },
    CodeDoc {
        code: "empty-file",
        severity: Severity::Error,
        summary: "The file is empty or holds only white space.",
        why: "An export that was interrupted or never written leaves an empty file; its month is missing.",
        fix: "Export the report again from VSPC (GET /api/v3/licensing/reports).",
    },
    CodeDoc {
        code: "byte-order-mark",
        severity: Severity::Error,
        summary: "The file starts with a UTF-8 byte-order mark (EF BB BF), which JSON forbids (RFC 8259, section 8.1).",
        why: "Windows PowerShell 5 (`Out-File -Encoding utf8`) writes one; strict JSON readers refuse the file.",
        fix: "Save without BOM: PowerShell 7 `Out-File -Encoding utf8NoBOM`, or `Set-Content -Encoding utf8NoBOM`; or strip the first three bytes.",
    },
    CodeDoc {
        code: "invalid-utf8",
        severity: Severity::Error,
        summary: "The file contains bytes that are not UTF-8 at the given place.",
        why: "JSON must be UTF-8; a file saved as UTF-16 or Windows-1252 cannot be read reliably (company names would be garbled).",
        fix: "Save the export as UTF-8 (PowerShell 7 `-Encoding utf8NoBOM`).",
    },
    CodeDoc {
        code: "invalid-json",
        severity: Severity::Error,
        summary: "The file is not well-formed JSON: a syntax error or a truncated file, at the given line and column.",
        why: "Nothing after the error can be read, so none of the file's figures can be checked or billed.",
        fix: "Re-export the file; if it was edited by hand, fix the syntax at the place given (often a missing comma or bracket).",
    },
    CodeDoc {
        code: "unknown-document",
        severity: Severity::Error,
        summary: "The JSON is neither a license usage report export nor a site usage export.",
        why: "The tool cannot tell what the figures mean, so it checks nothing.",
        fix: "Pass an export of GET /api/v3/licensing/reports or /licensing/sites/{siteUid}/usage, or force the kind with --kind.",
    },
    CodeDoc {
        code: "schema-violation",
        severity: Severity::Error,
        summary: "A value does not match the JSON Schema generated for this kind of document (schemas/).",
        why: "A missing or mistyped field (a number written as text, a missing usedPoints) makes the figures unusable.",
        fix: "Re-export the file; compare the value at the pointer with the schema in schemas/.",
    },
    CodeDoc {
        code: "type-error",
        severity: Severity::Error,
        summary: "A value has the right JSON type but cannot be held exactly (a number beyond 28 significant digits, a count beyond 64 bits).",
        why: "Points and money are computed exactly; a value that cannot be held would be rounded silently.",
        fix: "Check the value at the pointer; it is almost certainly corrupt.",
    },
    // Audit codes (`vspc-billing audit`).
    CodeDoc {
        code: "invalid-date",
        severity: Severity::Error,
        summary: "A date does not exist on the calendar (2020-02-31, month 13, 24:00); the message names the likely intended date (the last day of that month).",
        why: "The vendor's own example ends February 2020 on 2020-02-31. A tool that reads the date strictly fails or shifts the report into March, so the month is billed wrong or twice.",
        fix: "Read the date as the one suggested (the audit does so for its other checks); if the export is yours to correct, write that date. Report the defect to Veeam if the console wrote it.",
    },
    CodeDoc {
        code: "interval-reversed",
        severity: Severity::Error,
        summary: "The report interval starts after it ends (calendar dates compared).",
        why: "The period of the report is unknown, so it cannot be placed in a monthly series or billed to a month.",
        fix: "Export the report again from VSPC; check that startOfInterval and endOfInterval were not swapped by hand.",
    },
    CodeDoc {
        code: "interval-not-calendar-month",
        severity: Severity::Error,
        summary: "The report interval is not one calendar month (first day to last day of the same month).",
        why: "VSPC reports cover the previous calendar month; any other interval means a hand-made or corrupt file, and its points cannot be billed as one month.",
        fix: "Use the monthly report VSPC generated on the 1st (GET /api/v3/licensing/reports); do not bill from a report with a custom interval.",
    },
    CodeDoc {
        code: "generated-before-interval-end",
        severity: Severity::Error,
        summary: "The report was generated on or before the last day of its interval (calendar dates compared; start and end offsets may differ with daylight saving).",
        why: "The month was not over: usage after the generation date is missing, so the points are too low.",
        fix: "Wait for the report VSPC builds on the 1st of the next month, approve it, and export it again.",
    },
    CodeDoc {
        code: "missing-parameters",
        severity: Severity::Error,
        summary: "A report has neither reportParameters nor reportParemeters.",
        why: "Without parameters its owner, id and month are unknown: it cannot be checked for duplicates or gaps, nor billed to a period.",
        fix: "Export the report again; the API always sends the parameters.",
    },
    CodeDoc {
        code: "conflicting-fields",
        severity: Severity::Error,
        summary: "A report has both reportParameters (API 3.6+) and reportParemeters (the misspelled name up to 3.5.1); reportParameters is used.",
        why: "The console writes one or the other; both means the file was merged or edited, and the two may disagree on the owner or the month.",
        fix: "Keep the parameters of the console's API version and remove the other field, or export the report again.",
    },
    CodeDoc {
        code: "points-mismatch",
        severity: Severity::Error,
        summary: "A workload row's usedPoints is not reportedCount x weight, or not the sum of its objectsByWeight usedPoints when workloadsByPlatform is present. The message says when it matches (reportedCount - newCount) x weight instead, or the recomputed value rounded up.",
        why: "usedPoints is what Veeam charges; a row that does not add up means the provider pays, or bills tenants, for points that do not match the workloads.",
        fix: "Compare the row with the console's license usage view; correct the counts or adjust the report in VSPC before approving it, and tell Veeam support if the console computed it. A reportSummary row without workloadsByPlatform is also compared with the usageDetails rows of its workload type and edition, where objects of different weights show: it is flagged only when those rows do not have its usedPoints and reportedCount either, and the message says what they sum to.",
    },
    CodeDoc {
        code: "platform-count-mismatch",
        severity: Severity::Warning,
        summary: "A workload row's initialCount, reportedCount or newCount is not the sum of that count over its objectsByWeight.",
        why: "The per-platform breakdown and the row disagree on how many workloads there are, so one of them is wrong.",
        fix: "Check the workloads of that type in the console; export the report again.",
    },
    CodeDoc {
        code: "product-total-mismatch",
        severity: Severity::Error,
        summary: "A product's totalPoints in a summary is not the sum of its workloads' usedPoints.",
        why: "Product totals feed the report total that Veeam bills.",
        fix: "Find the row or the total that is wrong (the points-mismatch findings of its rows help) and correct or re-export the report.",
    },
    CodeDoc {
        code: "summary-total-mismatch",
        severity: Severity::Error,
        summary: "A summary's totalPoints (reportSummary or appendixSummary) is not the sum of its products' totalPoints.",
        why: "totalPoints is the number the provider is charged for; it must equal what the products add up to.",
        fix: "Check the products of the summary; re-export or have Veeam correct the report before it is submitted (by the 5th).",
    },
    CodeDoc {
        code: "organizations-total-mismatch",
        severity: Severity::Error,
        summary: "The organizations' usedPoints in organizationsUsage do not add up to the summary's totalPoints.",
        why: "Tenants are billed from their organization's points; if they do not add up to what Veeam charges, some points are billed to nobody or twice.",
        fix: "Look for a missing, duplicated or mistyped organization; re-export the report.",
    },
    CodeDoc {
        code: "details-total-mismatch",
        severity: Severity::Error,
        summary: "An organization's usedPoints is not the sum of its usageDetails (over every support id), or a license's usedPoints in usageDetails is not the sum of its workloads.",
        why: "The details are the per-license breakdown behind a tenant's bill; when they disagree with the organization's points, the tenant's bill cannot be explained.",
        fix: "Compare the organization's usage in the console; re-export the report.",
    },
    CodeDoc {
        code: "details-summary-mismatch",
        severity: Severity::Error,
        summary: "For one workload type, the usageDetails rows of every organization do not add up to the summary rows of that type.",
        why: "The summary is what Veeam bills, the details are what tenants are billed from; a difference is money billed to nobody or to the wrong tenant.",
        fix: "Find the organizations whose rows of that type are missing or wrong; re-export the report.",
    },
    CodeDoc {
        code: "reported-exceeds-initial",
        severity: Severity::Warning,
        summary: "A row's reportedCount is more than its initialCount.",
        why: "Adjustment only removes workloads; reporting more than were collected bills workloads that do not exist.",
        fix: "Check the report adjustment in VSPC before approving it.",
    },
    CodeDoc {
        code: "negative-value",
        severity: Severity::Error,
        summary: "A count, weight, number of points or units is negative.",
        why: "Negative usage lowers totals and bills; it never happens in a correct export.",
        fix: "The value is corrupt or edited by hand: export the report again.",
    },
    CodeDoc {
        code: "number-out-of-range",
        severity: Severity::Error,
        summary: "Recomputing a product or a sum went beyond the exact decimal range (28 significant digits).",
        why: "The audit never rounds silently; numbers that large are corrupt.",
        fix: "Check the values at the pointer and export the report again.",
    },
    CodeDoc {
        code: "report-not-approved",
        severity: Severity::Warning,
        summary: "The report status is not Approved (ApprovalRequired, Finalization, Unknown); an absent status (consoles before API 3.5.1) is reported as info.",
        why: "A report that is not approved may still change; billing tenants from it is a risk.",
        fix: "Review and approve the report in VSPC (it approves itself on the 3rd day of the month), then export it again.",
    },
    CodeDoc {
        code: "servers-not-collected",
        severity: Severity::Error,
        summary: "notCollectedCloudServers or notCollectedClientServers lists servers whose usage could not be collected.",
        why: "Their usage is missing from every total: Veeam is under-reported and tenants are under-billed.",
        fix: "Fix the connection to those servers and let VSPC collect again, or report their usage to Veeam by hand (allow the code with --allow once you have).",
    },
    CodeDoc {
        code: "servers-cloned",
        severity: Severity::Warning,
        summary: "clonedCloudServers or clonedClientServers lists servers excluded as clones (same installation id as another server).",
        why: "Their usage is left out of the report, so the totals are incomplete.",
        fix: "Give each cloned server its own installation (see Veeam KB on cloned backup servers) and report its usage by hand for this month.",
    },
    CodeDoc {
        code: "servers-unsupported",
        severity: Severity::Warning,
        summary: "unsupportedCloudServers or unsupportedClientServers lists servers excluded because their version is not supported.",
        why: "Their usage is left out of the report, so the totals are incomplete.",
        fix: "Upgrade those servers, and report their usage by hand for this month.",
    },
    CodeDoc {
        code: "paging-incomplete",
        severity: Severity::Warning,
        summary: "The export is one page of a longer collection (pagingInfo.total > offset + count), its paging is impossible (offset + count > total), or pagingInfo.count is not the number of items in data.",
        why: "The API returns 100 items by default: reports in other pages are missing from the run, or the file was cut.",
        fix: "Export every page (offset) or ask for a larger limit (?limit=1000); do not edit exports by hand.",
    },
    CodeDoc {
        code: "api-error",
        severity: Severity::Warning,
        summary: "The API response carries an errors array next to its data.",
        why: "The console reported a problem while building the response; the data may be incomplete.",
        fix: "Read the error in the message, fix its cause in VSPC, and export again.",
    },
    CodeDoc {
        code: "duplicate-organization",
        severity: Severity::Error,
        summary: "An organization appears twice in organizationsUsage, or twice with the same supportId in usageDetails.",
        why: "Its points would be counted, and billed, twice.",
        fix: "Export the report again; if files were merged by hand, merge them again without the duplicate.",
    },
    CodeDoc {
        code: "duplicate-report",
        severity: Severity::Error,
        summary: "Two reports of the same owner cover the same period, within a file or across the inputs (the same report id, or two different ids).",
        why: "Billing both counts the month twice.",
        fix: "Keep one export per month and owner (the latest approved one); remove the other from the inputs.",
    },
    CodeDoc {
        code: "missing-month",
        severity: Severity::Warning,
        summary: "The monthly series of one report owner has a gap: a month between the first and the last seen has no report in the inputs.",
        why: "A month not exported is a month not checked and not billed.",
        fix: "Export the missing month (GET /api/v3/licensing/reports/{date}) and add it to the inputs, or allow the code if the gap is expected.",
    },
    CodeDoc {
        code: "weight-inconsistent",
        severity: Severity::Warning,
        summary: "One workload type and license edition has different row weights in one report (objects of different weights inside workloadsByPlatform are legitimate and not compared).",
        why: "Veeam sets one weight per workload type and edition; different weights mean some rows are charged at the wrong rate.",
        fix: "Check the licenses of the rows named; ask Veeam support if the console reports both.",
    },
    CodeDoc {
        code: "weight-unexpected",
        severity: Severity::Warning,
        summary: "A weight differs from the expected one: the published weights built in (Cloud Connect VM backup 5 or 0, replica 10, workstation backup 3, server backup 7; Veeam Backup & Replication Standard VM 5) or the rules of --weights FILE.",
        why: "Weights change with the contract and over time; an unexpected weight changes every bill that uses it.",
        fix: "If the weight is right (a new price list, another edition), add a rule to your weights file (see the README) and pass it with --weights.",
    },
    CodeDoc {
        code: "unknown-enum-value",
        severity: Severity::Warning,
        summary: "A value of an enumeration (workloadType, productType, organizationType, reportStatus, counter type, unitType) is not one this version of the tool knows; it is kept as written.",
        why: "Veeam adds values between versions; a workload type the tool does not know gets no expected weight and may need a billing rate.",
        fix: "Check the value's spelling; if it is new, add a rate for it to the billing configuration and report it so the tool learns it.",
    },
    CodeDoc {
        code: "counter-weight-inconsistent",
        severity: Severity::Error,
        summary: "In a site usage counter, units divided by count (the weight of one object) differs between the rental, new and used members, or units are given for zero objects.",
        why: "One counter has one weight per object (3.3 units for 10 objects and 0.66 for 2 are both 0.33): a different ratio means the units charged do not match the objects.",
        fix: "Compare the counter with the console's Cloud Connect license usage; export the site usage again.",
    },
];

/// The documentation of a code.
#[must_use]
pub fn lookup(code: &str) -> Option<&'static CodeDoc> {
    CODES.iter().find(|c| c.code == code)
}

/// The default severity of a known code.
///
/// # Panics
/// When `code` is not in [`CODES`]: a programming error that the code-registry test catches.
#[must_use]
pub fn severity_of(code: &str) -> Severity {
    lookup(code)
        .unwrap_or_else(|| panic!("finding code {code} is not documented in codes.rs"))
        .severity
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_kebab_case() {
        let mut seen = std::collections::BTreeSet::new();
        for c in CODES {
            assert!(seen.insert(c.code), "duplicate code {}", c.code);
            assert!(
                c.code
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{} is not kebab-case",
                c.code
            );
            assert!(!c.summary.is_empty() && !c.why.is_empty() && !c.fix.is_empty());
        }
    }

    /// Every code string the sources hand to a finding is documented here.
    #[test]
    fn every_emitted_code_is_documented() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut missing = Vec::new();
        let mut stack = vec![src];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                if path.ends_with("codes.rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                // Findings are made with `Finding::of("code", ...)` or `Finding::new("code", ...)`.
                for marker in ["Finding::of(", "Finding::new("] {
                    for (i, _) in text.match_indices(marker) {
                        let rest = text[i + marker.len()..].trim_start();
                        if let Some(rest) = rest.strip_prefix('"') {
                            let code = &rest[..rest.find('"').unwrap()];
                            if lookup(code).is_none() {
                                missing.push(format!("{}: {code}", path.display()));
                            }
                        }
                    }
                }
            }
        }
        assert!(missing.is_empty(), "undocumented codes: {missing:?}");
    }
}
