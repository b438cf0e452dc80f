//! The typed parse of a placed document, and the schema check when it fails (or always).

use super::{Document, Kind, ReportsDocument, SchemaCheck, Shape, SiteUsageDocument, Split};
use crate::diag::Finding;
use crate::locate::LineIndex;
use crate::model::{ApiError, ResponseMetadata, SingleLicenseReport, SiteCloudLicenseUsage};
use serde::de::DeserializeOwned;

/// Converts a `serde_path_to_error` path into a JSON pointer.
fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path {
        match seg {
            Segment::Seq { index } => {
                out.push('/');
                out.push_str(&index.to_string());
            }
            Segment::Map { key } => {
                out.push('/');
                out.push_str(&crate::locate::escape_token(key));
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    out
}

/// `serde_json`'s message without its " at line L column C" suffix.
fn bare_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    full.strip_suffix(&suffix).unwrap_or(&full).to_owned()
}

pub(super) struct Parsed<T> {
    pub(super) value: Option<T>,
    pub(super) problems: Vec<Finding>,
}

impl<T> Parsed<T> {
    pub(super) fn map<U>(self, f: impl FnOnce(T) -> U) -> Parsed<U> {
        Parsed {
            value: self.value.map(f),
            problems: self.problems,
        }
    }
}

pub(super) fn reports_doc(
    shape: Shape,
    meta: Option<ResponseMetadata>,
    reports: Vec<SingleLicenseReport>,
    errors: Option<Vec<ApiError>>,
) -> Document {
    Document::Reports(ReportsDocument {
        shape,
        meta,
        reports,
        errors: errors.unwrap_or_default(),
    })
}

pub(super) fn sites_doc(
    shape: Shape,
    meta: Option<ResponseMetadata>,
    sites: Vec<SiteCloudLicenseUsage>,
    errors: Option<Vec<ApiError>>,
) -> Document {
    Document::SiteUsage(SiteUsageDocument {
        shape,
        meta,
        sites,
        errors: errors.unwrap_or_default(),
    })
}

/// Parses `b` into `T`; on failure, reports a syntax error where it is, or every schema
/// violation (falling back to the typed error when the schema accepts the text).
///
/// Both modes refuse a document nested deeper than [`crate::strict::MAX_DEPTH`] with the
/// same finding ([`depth_problem`]): the typed parse counts the depth everywhere, and the
/// validator's `Value` cannot be built deeper.
pub(super) fn parse_shape<T: DeserializeOwned>(
    name: &str,
    text: &str,
    kind: Kind,
    shape: Shape,
    check: SchemaCheck,
    split: Split,
) -> Parsed<T> {
    let b = text.as_bytes();
    // From `&str`: the text is known to be UTF-8, so strings are not checked again, and
    // numbers are borrowed from it (see `num`). `strict`: structs from objects only, as the
    // schema says. Split: the large arrays' items on several threads (see `split`); on any
    // error the text is parsed again without, so that errors are those of one thread.
    let typed = crate::split::with(None, || match split.min_items() {
        None => crate::strict::from_str::<T>(text),
        Some(min) => crate::split::with(Some(min), || crate::strict::from_str::<T>(text))
            .or_else(|_| crate::strict::from_str::<T>(text)),
    });
    // Every schema violation, or why the document cannot be checked.
    let schema = || match crate::schema::instance(text) {
        Ok(value) => schema_problems(name, b, kind, shape, &value),
        Err(e) if crate::strict::is_too_deep(&e) => vec![depth_problem(name, b)],
        Err(e) => vec![syntax_problem(name, b, &e, String::new())],
    };
    match typed {
        Ok(v) => {
            let problems = if check == SchemaCheck::Always {
                schema()
            } else {
                Vec::new()
            };
            Parsed {
                value: problems.is_empty().then_some(v),
                problems,
            }
        }
        Err(e) if crate::strict::is_too_deep(&e) => Parsed {
            value: None,
            problems: vec![depth_problem(name, b)],
        },
        Err(e) if e.is_syntax() || e.is_eof() => {
            let pointer = typed_error_path::<T>(text).unwrap_or_default();
            Parsed {
                value: None,
                problems: vec![syntax_problem(name, b, &e, pointer)],
            }
        }
        Err(e) => {
            let mut problems = schema();
            if problems.is_empty() {
                let pointer = typed_error_path::<T>(text).unwrap_or_default();
                let index = LineIndex::new(b);
                let pos = index.position(index.offset_of_byte_column(e.line(), e.column()));
                problems.push(
                    Finding::of(
                        crate::codes::Code::TypeError,
                        name,
                        pointer,
                        bare_message(&e),
                    )
                    .at(pos.line, pos.column),
                );
            }
            Parsed {
                value: None,
                problems,
            }
        }
    }
}

fn typed_error_path<T: DeserializeOwned>(text: &str) -> Option<String> {
    let mut de = serde_json::Deserializer::from_str(text);
    crate::split::with(None, || {
        crate::strict::at_depth(0, || {
            match serde_path_to_error::deserialize::<_, T>(crate::strict::Strict(&mut de)) {
                Ok(_) => None,
                Err(e) => Some(path_to_pointer(e.path())),
            }
        })
    })
}

/// The finding of a document nested deeper than [`crate::strict::MAX_DEPTH`], at the
/// first array or object too deep.
fn depth_problem(name: &str, b: &[u8]) -> Finding {
    let (pointer, at) =
        crate::locate::too_deep(b, crate::strict::MAX_DEPTH).unwrap_or((String::new(), 0));
    let pos = LineIndex::new(b).position(at);
    Finding::of(crate::codes::Code::InvalidJson,
        name,
        pointer,
        format!(
            "nested deeper than {0} levels: arrays and objects nested more than {0} deep are not read",
            crate::strict::MAX_DEPTH
        ),
    )
    .at(pos.line, pos.column)
}

fn syntax_problem(name: &str, b: &[u8], e: &serde_json::Error, pointer: String) -> Finding {
    let index = LineIndex::new(b);
    let pos = index.position(index.offset_of_byte_column(e.line(), e.column()));
    let mut message = bare_message(e);
    if e.is_eof() {
        message = format!("the file ends before the JSON is complete (truncated?): {message}");
    } else if message.starts_with("expected `,` or") {
        message.push_str(": a comma is probably missing before this point");
    } else if message == "lone leading surrogate in hex escape"
        || message == "unexpected end of hex escape"
    {
        message.push_str(
            ": the escapes \\ud800 to \\udfff (UTF-16 surrogates) must come in pairs, \\ud800-\\udbff then \\udc00-\\udfff",
        );
    }
    Finding::of(crate::codes::Code::InvalidJson, name, pointer, message).at(pos.line, pos.column)
}

fn schema_problems(
    name: &str,
    b: &[u8],
    kind: Kind,
    shape: Shape,
    value: &serde_json::Value,
) -> Vec<Finding> {
    let validator = crate::schema::validator(kind, shape);
    let errors: Vec<jsonschema::ValidationError<'_>> = validator.iter_errors(value).collect();
    let mut violations = Vec::new();
    for err in &errors {
        real_violations(err, &mut violations);
    }
    // Each instance's place in the text, in one pass: its position, and its text as written.
    let pointers: Vec<String> = violations
        .iter()
        .map(|e| e.instance_path().as_str().to_owned())
        .collect();
    let pointers: Vec<&str> = pointers.iter().map(String::as_str).collect();
    let offsets = crate::locate::locate_offsets(b, &pointers);
    let mut out: Vec<Finding> = violations
        .iter()
        .zip(&offsets)
        .map(|(err, &at)| push_violation(name, b, err, at))
        .collect();
    crate::diag::resolve_locations(b, &mut out);
    crate::diag::sort_findings(&mut out);
    out
}

/// Whether the errors of an `anyOf` branch only say "not null": the branch that
/// `Option<T>` adds beside `T`.
fn is_null_branch(errors: &[jsonschema::ValidationError<'_>]) -> bool {
    errors.len() == 1
        && errors[0].kind().keyword() == "type"
        && errors[0].masked().to_string().ends_with("\"null\"")
}

/// The violations to report for `err`: an `anyOf` between a definition and `null` is
/// replaced by the definition's own errors, which say what is actually wrong.
fn real_violations<'e, 'v>(
    err: &'e jsonschema::ValidationError<'v>,
    out: &mut Vec<&'e jsonschema::ValidationError<'v>>,
) {
    if let jsonschema::error::ValidationErrorKind::AnyOf { context } = err.kind() {
        let real: Vec<&Vec<jsonschema::ValidationError<'static>>> =
            context.iter().filter(|b| !is_null_branch(b)).collect();
        if let [only] = real.as_slice() {
            for e in *only {
                real_violations(e, out);
            }
            return;
        }
    }
    out.push(err);
}

/// Reports a violation, located at `at` (the instance's offset in `b`, when found). The
/// instance is quoted as written in the file (`0.0000000000000000000000000001`, `1e400`),
/// not as the validator's binary floating point renders it (`1e-28`, which it cannot
/// even hold).
fn push_violation(
    name: &str,
    b: &[u8],
    err: &jsonschema::ValidationError<'_>,
    at: Option<usize>,
) -> Finding {
    let shown = crate::locate::source_text(b, at, err.instance(), 80)
        .or_else(|| Some(err.instance().to_string()).filter(|t| t.len() <= 80))
        .unwrap_or_else(|| {
            match err.instance().as_ref() {
                serde_json::Value::Object(_) => "the object",
                serde_json::Value::Array(_) => "the array",
                _ => "the value",
            }
            .to_owned()
        });
    let message = if err.kind().keyword() == "pattern"
        && err.to_string().contains(crate::date::DATE_PATTERN)
    {
        format!(
            "{shown} is not a date: expected YYYY-MM-DD or YYYY-MM-DDThh:mm:ss[.fffffff][Z|±hh:mm]"
        )
    } else {
        err.masked_with(shown).to_string()
    };
    Finding::of(
        crate::codes::Code::SchemaViolation,
        name,
        err.instance_path().as_str().to_owned(),
        message,
    )
}

pub(super) fn utf8_problem(name: &str, b: &[u8], err: &std::str::Utf8Error) -> Finding {
    let at = err.valid_up_to();
    let pos = LineIndex::new(b).position(at);
    Finding::of(
        crate::codes::Code::InvalidUtf8,
        name,
        "",
        format!(
            "byte 0x{:02X} at offset {at} is not valid UTF-8; JSON must be UTF-8",
            b[at]
        ),
    )
    .at(pos.line, pos.column)
}

/// The finding for a document the sniffer could not place: the reason the text cannot be
/// read, if any (a syntax error, a lone surrogate escape even in a key, nesting deeper than
/// [`crate::strict::MAX_DEPTH`], as the typed parse would say it), else `otherwise`.
pub(super) fn unreadable_or(name: &str, text: &str, otherwise: Finding) -> Finding {
    let b = text.as_bytes();
    match crate::strict::from_str::<serde::de::IgnoredAny>(text) {
        Err(e) if crate::strict::is_too_deep(&e) => depth_problem(name, b),
        Err(e) => syntax_problem(name, b, &e, String::new()),
        Ok(_) => otherwise,
    }
}

#[cfg(test)]
mod tests {
    use crate::load::load_text as load;

    #[test]
    fn syntax_errors_are_located() {
        let f = load(
            "{\"data\": {\"siteUid\": \"a\",\n \"counters\": [{\"type\": \"x\" \"unitType\": 1}]}}",
        );
        let p = &f.problems[0];
        assert_eq!(p.code, "invalid-json");
        assert_eq!((p.line, p.column), (Some(2), Some(28)));
        assert_eq!(p.pointer, "/data/counters/0");
        let f = load("{\"data\": [{\"reportStatus\": \"Approved\"");
        assert!(f.problems[0].message.contains("truncated"));
    }

    #[test]
    fn every_schema_violation_is_reported() {
        let f = load(
            r#"{"data": {"counters": [{"type": "CC_VM_Backup", "rentalUnits": "1", "newUnits": 0, "usedUnits": 0, "rentalCount": 1.5, "newCount": 0}]}}"#,
        );
        let pointers: Vec<&str> = f.problems.iter().map(|p| p.pointer.as_str()).collect();
        assert!(
            pointers.contains(&"/data/counters/0/rentalUnits"),
            "{pointers:?}"
        );
        assert!(
            pointers.contains(&"/data/counters/0/rentalCount"),
            "{pointers:?}"
        );
        assert!(pointers.contains(&"/data/counters/0"), "{pointers:?}"); // usedCount missing
        assert!(
            f.problems
                .iter()
                .all(|p| p.code == crate::codes::Code::SchemaViolation && p.line == Some(1))
        );
    }

    #[test]
    fn out_of_range_number_is_a_type_error() {
        let f = load(
            r#"{"data": {"counters": [{"type": "CC_VM_Backup", "rentalUnits": 1e40, "newUnits": 0, "usedUnits": 0, "rentalCount": 1, "newCount": 0, "usedCount": 0}]}}"#,
        );
        assert_eq!(f.problems.len(), 1);
        assert_eq!(f.problems[0].code, "type-error");
        assert_eq!(f.problems[0].pointer, "/data/counters/0/rentalUnits");
    }
}
