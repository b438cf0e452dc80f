//! Bytes to typed documents, with every problem located.
//!
//! The pipeline for one file:
//! 1. reject an empty file, a byte-order mark and non-UTF-8 bytes, each at its position;
//! 2. tell the document kind and shape from the first keys, without parsing the rest;
//! 3. parse straight into the typed model (exact decimals from the JSON text); the large
//!    arrays of a file chosen by [`crate::schedule::split_plan`] are parsed on several threads ([`Split`]);
//! 4. check against the generated JSON Schema with the `jsonschema` validator: always in
//!    [`SchemaCheck::Always`] mode, and in [`SchemaCheck::OnFailure`] mode only when the
//!    typed parse fails, to report *every* violation with its pointer.
//!
//! The typed parse accepts exactly what the generated schema accepts (the schema is
//! generated from the same types; `tests/schema_equivalence.rs` checks the two agree on
//! every sample, on generated corpora and on mutations), so the fast mode skips the
//! second parse that a separate schema pass would cost without weakening the check.
//!
//! One concern a file: `inputs` (the paths of a command line expanded, each real file
//! once), `read` (one input read under the size limit), `sniff` (kind and shape from the
//! first keys; the month pre-scan [`report_months`]), `parse` (the typed parse and the
//! schema check); this file holds the types and the pipeline ([`load_source`], [`load_bytes`]).

mod inputs;
mod parse;
mod read;
mod sniff;

pub use inputs::{Inputs, Source, expand};
pub use read::{parse_size, size_text};
pub use sniff::report_months;

use crate::diag::Finding;
use crate::model::{
    ApiError, LicenseReportCollection, LicenseReportEnvelope, ResponseMetadata,
    SingleLicenseReport, SiteCloudLicenseUsage, SiteUsageCollection, SiteUsageEnvelope,
};
use parse::{Parsed, parse_shape, reports_doc, sites_doc, unreadable_or, utf8_problem};
use read::{ReadError, read_file, read_limited};
use sniff::{EXPECTED, Sniff, sniff};

/// The two kinds of document the tool reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// License usage reports (`/licensing/reports`).
    Reports,
    /// Site Cloud Connect usage (`/licensing/sites/{siteUid}/usage`).
    SiteUsage,
}

impl Kind {
    /// Name used on the command line and in JSON output.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Reports => "reports",
            Self::SiteUsage => "site-usage",
        }
    }
}

/// How the items are wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Shape {
    /// `{"meta": ..., "data": [...]}`.
    Collection,
    /// `{"data": {...}}`.
    Envelope,
    /// The item object itself.
    Bare,
    /// A bare JSON array of items (`[{...}, ...]`: what the v2 API returned, and what
    /// `jq .data` of an export gives).
    Array,
}

impl Shape {
    /// Name used in output.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Collection => "collection",
            Self::Envelope => "envelope",
            Self::Bare => "bare",
            Self::Array => "array",
        }
    }

    /// Every shape, in the order of the generated schema's `anyOf`.
    pub const ALL: [Self; 4] = [Self::Collection, Self::Envelope, Self::Bare, Self::Array];

    /// Whether the document holds a list of items (each at `/data/i` or `/i`).
    #[must_use]
    pub const fn is_list(self) -> bool {
        matches!(self, Self::Collection | Self::Array)
    }

    /// JSON pointer of item `i` in a document of this shape.
    #[must_use]
    pub fn item_pointer(self, i: usize) -> String {
        match self {
            Self::Collection => format!("/data/{i}"),
            Self::Envelope => "/data".to_owned(),
            Self::Bare => String::new(),
            Self::Array => format!("/{i}"),
        }
    }
}

/// When the JSON Schema validator runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SchemaCheck {
    /// On every file (`validate`'s default).
    #[default]
    Always,
    /// Only on files the typed parse refuses, to list every violation (`audit` and `invoice`).
    OnFailure,
}

/// Whether one file's large arrays are parsed, and audited, on several threads.
///
/// Splitting costs one extra (cheap) scan of the arrays, so it pays only when the threads
/// would otherwise wait: see [`crate::schedule::split_plan`]. The result is the same either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Split {
    /// One thread per file.
    #[default]
    Never,
    /// `usageDetails` and `organizationsUsage` longer than [`SPLIT_MIN_ITEMS`] items are
    /// parsed in parallel (after their first items), and the checks of `usageDetails`
    /// (of at least as many entries) run on chunks in parallel.
    Always,
    /// As `Always`, from `n` items, with audit chunks of `n` details (at least 1): to test
    /// the split paths on small documents.
    Fine(usize),
}

/// [`Split::Always`] parses the first this many items of an array in place and splits the
/// rest of a longer one; audits in chunks arrays of at least this many entries.
pub const SPLIT_MIN_ITEMS: usize = 256;

impl Split {
    /// The threshold of arrays to split (see [`SPLIT_MIN_ITEMS`]); `None` when splitting is
    /// off.
    #[must_use]
    pub const fn min_items(self) -> Option<usize> {
        match self {
            Self::Never => None,
            Self::Always => Some(SPLIT_MIN_ITEMS),
            Self::Fine(n) => Some(if n == 0 { 1 } else { n }),
        }
    }
}

/// Options of a load.
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions {
    /// Force the kind instead of telling it from the shape.
    pub kind: Option<Kind>,
    /// When to run the schema validator.
    pub schema_check: SchemaCheck,
    /// Whether to parse (and audit) the file's large arrays on several threads.
    pub split: Split,
    /// The most bytes read from one input ([`DEFAULT_MAX_INPUT`]): a larger file, or an
    /// endless stream, is refused (`input-too-large`) instead of filling the memory.
    pub max_input: u64,
}

/// The default [`LoadOptions::max_input`]: 4 GiB. A file is held in memory with its typed
/// model (about three times its size), so this is already more than most machines audit
/// comfortably; the largest real exports are tens of MB.
pub const DEFAULT_MAX_INPUT: u64 = 4 << 30;

impl LoadOptions {
    /// Tell the kind, schema check always, no split, the default size limit.
    pub const DEFAULT: Self = Self {
        kind: None,
        schema_check: SchemaCheck::Always,
        split: Split::Never,
        max_input: DEFAULT_MAX_INPUT,
    };
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A loaded license report export.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportsDocument {
    /// How the reports were wrapped.
    pub shape: Shape,
    /// Paging information of a collection.
    pub meta: Option<ResponseMetadata>,
    /// The reports.
    pub reports: Vec<SingleLicenseReport>,
    /// Errors the API returned with the data.
    pub errors: Vec<ApiError>,
}

/// A loaded site usage export.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteUsageDocument {
    /// How the sites were wrapped.
    pub shape: Shape,
    /// Paging information, if the console sent it.
    pub meta: Option<ResponseMetadata>,
    /// The sites.
    pub sites: Vec<SiteCloudLicenseUsage>,
    /// Errors the API returned with the data.
    pub errors: Vec<ApiError>,
}

/// A loaded document of either kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Document {
    /// License usage reports.
    Reports(ReportsDocument),
    /// Site usage.
    SiteUsage(SiteUsageDocument),
}

impl Document {
    /// The kind.
    #[must_use]
    pub const fn kind(&self) -> Kind {
        match self {
            Self::Reports(_) => Kind::Reports,
            Self::SiteUsage(_) => Kind::SiteUsage,
        }
    }

    /// The shape.
    #[must_use]
    pub const fn shape(&self) -> Shape {
        match self {
            Self::Reports(d) => d.shape,
            Self::SiteUsage(d) => d.shape,
        }
    }

    /// Number of items (reports or sites).
    #[must_use]
    pub fn len(&self) -> usize {
        match self {
            Self::Reports(d) => d.reports.len(),
            Self::SiteUsage(d) => d.sites.len(),
        }
    }

    /// Whether there are no items.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One input after loading: its text (kept to locate later findings), what was read,
/// and the problems met.
#[derive(Debug)]
pub struct LoadedFile {
    /// Name as given on the command line (`<stdin>` for `-`).
    pub name: String,
    /// The bytes read.
    pub text: Vec<u8>,
    /// Kind, when it could be told or was forced.
    pub kind: Option<Kind>,
    /// Shape, when it could be told.
    pub shape: Option<Shape>,
    /// The document, present only when the file loaded without error.
    pub document: Option<Document>,
    /// Problems, located.
    pub problems: Vec<Finding>,
    /// Whether the file was loaded with its large arrays split ([`LoadOptions::split`]);
    /// the audit splits its checks the same way.
    pub split: Split,
}

impl LoadedFile {
    /// Whether no error was found.
    #[must_use]
    pub fn is_valid(&self) -> bool {
        self.document.is_some()
    }

    /// Whether the file could not be read at all.
    #[must_use]
    pub fn is_io_error(&self) -> bool {
        self.problems
            .iter()
            .any(|p| p.code == crate::codes::Code::IoError)
    }
}

/// Reads and loads one input.
#[must_use]
pub fn load_source(source: &Source, opts: &LoadOptions) -> LoadedFile {
    let name = source.name();
    let read = match source {
        Source::File(p) => read_file(p, opts),
        Source::Stdin => read_limited(&mut std::io::stdin().lock(), opts.max_input, 0),
    };
    let problem = match read {
        Ok(text) => return load_bytes(&name, text, opts),
        Err(ReadError::Io(e)) => Finding::of(
            crate::codes::Code::IoError,
            &name,
            "",
            format!("cannot read {name}: {e}"),
        ),
        Err(ReadError::TooLarge) => Finding::of(
            crate::codes::Code::InputTooLarge,
            &name,
            "",
            format!(
                "{name} is larger than the limit of {} bytes ({}) for one input; raise it with --max-input-size if the file is really an export",
                opts.max_input,
                size_text(opts.max_input)
            ),
        ),
    };
    LoadedFile {
        problems: vec![problem],
        name,
        text: Vec::new(),
        kind: None,
        shape: None,
        document: None,
        split: opts.split,
    }
}

/// Loads a document from its bytes.
#[must_use]
pub fn load_bytes(name: &str, text: Vec<u8>, opts: &LoadOptions) -> LoadedFile {
    let mut file = LoadedFile {
        name: name.to_owned(),
        text,
        kind: opts.kind,
        shape: None,
        document: None,
        problems: Vec::new(),
        split: opts.split,
    };
    let b = &file.text;
    if b.iter().all(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r')) {
        file.problems.push(
            Finding::of(
                crate::codes::Code::EmptyFile,
                name,
                "",
                "the file is empty; expected a JSON document",
            )
            .at(1, 1),
        );
        return file;
    }
    if b.starts_with(&[0xEF, 0xBB, 0xBF]) {
        file.problems.push(
            Finding::of(crate::codes::Code::ByteOrderMark,
                name,
                "",
                "the file starts with a UTF-8 byte-order mark (EF BB BF), which JSON does not allow; save it as UTF-8 without BOM",
            )
            .at(1, 1),
        );
        return file;
    }
    let text = match std::str::from_utf8(b) {
        Ok(t) => t,
        Err(e) => {
            file.problems.push(utf8_problem(name, b, &e));
            return file;
        }
    };
    let (kind, shape) = match sniff(b, opts.kind) {
        Sniff::Found(k, s) => (k, s),
        Sniff::Unknown(msg) => {
            // A syntax error says more than "unknown": report it first.
            let unknown = Finding::of(crate::codes::Code::UnknownDocument, name, "", msg).at(1, 1);
            let problem = unreadable_or(name, text, unknown);
            file.problems.push(problem);
            return file;
        }
        Sniff::Malformed => {
            // The scanner stops at what it cannot read; the parser says where and why (a
            // value the scanner skips, such as a lone surrogate in a key, is read in full).
            let unknown = Finding::of(
                crate::codes::Code::UnknownDocument,
                name,
                "",
                format!("the first members of the document could not be read; {EXPECTED}"),
            )
            .at(1, 1);
            let problem = unreadable_or(name, text, unknown);
            file.problems.push(problem);
            return file;
        }
    };
    file.kind = Some(kind);
    file.shape = Some(shape);
    let check = opts.schema_check;
    let split = opts.split;
    let parsed = match (kind, shape) {
        (Kind::Reports, Shape::Collection) => {
            parse_shape::<LicenseReportCollection>(name, text, kind, shape, check, split)
                .map(|c| reports_doc(shape, c.meta, c.data, c.errors))
        }
        (Kind::Reports, Shape::Envelope) => {
            parse_shape::<LicenseReportEnvelope>(name, text, kind, shape, check, split)
                .map(|e| reports_doc(shape, None, vec![e.data], e.errors))
        }
        (Kind::Reports, Shape::Bare) => {
            parse_shape::<SingleLicenseReport>(name, text, kind, shape, check, split)
                .map(|r| reports_doc(shape, None, vec![r], None))
        }
        (Kind::Reports, Shape::Array) => {
            parse_shape::<Vec<SingleLicenseReport>>(name, text, kind, shape, check, split)
                .map(|r| reports_doc(shape, None, r, None))
        }
        (Kind::SiteUsage, Shape::Collection) => {
            parse_shape::<SiteUsageCollection>(name, text, kind, shape, check, split)
                .map(|c| sites_doc(shape, c.meta, c.data, c.errors))
        }
        (Kind::SiteUsage, Shape::Envelope) => {
            parse_shape::<SiteUsageEnvelope>(name, text, kind, shape, check, split)
                .map(|e| sites_doc(shape, None, vec![e.data], e.errors))
        }
        (Kind::SiteUsage, Shape::Bare) => {
            parse_shape::<SiteCloudLicenseUsage>(name, text, kind, shape, check, split)
                .map(|s| sites_doc(shape, None, vec![s], None))
        }
        (Kind::SiteUsage, Shape::Array) => {
            parse_shape::<Vec<SiteCloudLicenseUsage>>(name, text, kind, shape, check, split)
                .map(|s| sites_doc(shape, None, s, None))
        }
    };
    let Parsed {
        value: document,
        problems,
    } = parsed;
    file.document = document;
    file.problems = problems;
    file
}

#[cfg(test)]
fn load_text(text: &str) -> LoadedFile {
    load_bytes("t.json", text.as_bytes().to_vec(), &LoadOptions::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use load_text as load;

    #[test]
    fn items_have_the_pointer_of_their_shape() {
        let pointers = Shape::ALL.map(|s| s.item_pointer(2));
        assert_eq!(pointers, ["/data/2", "/data", "", "/2"].map(String::from));
        for shape in Shape::ALL {
            assert_eq!(shape.is_list(), shape.item_pointer(2).ends_with('2'));
        }
    }

    #[test]
    fn byte_level_problems_are_located() {
        let f = load("");
        assert_eq!(f.problems[0].code, "empty-file");
        let f = load("\u{feff}{}");
        assert_eq!(f.problems[0].code, "byte-order-mark");
        let f = load_bytes(
            "t.json",
            b"{\"a\":\n \"\xff\"}".to_vec(),
            &LoadOptions::default(),
        );
        assert_eq!(f.problems[0].code, "invalid-utf8");
        assert_eq!(
            (f.problems[0].line, f.problems[0].column),
            (Some(2), Some(3))
        );
    }
}
