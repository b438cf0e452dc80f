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
