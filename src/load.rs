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

use crate::date::VspcDate;
use crate::diag::Finding;
use crate::locate::{LineIndex, first_keys, skip_ws};
use crate::model::{
    ApiError, LicenseReportCollection, LicenseReportEnvelope, ResponseMetadata,
    SingleLicenseReport, SiteCloudLicenseUsage, SiteUsageCollection, SiteUsageEnvelope,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::io::Read;
use std::path::{Path, PathBuf};

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

    /// The item a JSON pointer of a document of this shape is in: `Some(i)` under the
    /// item's pointer ([`Self::item_pointer`]), `None` outside every item (the page's
    /// `meta`, the whole document). A document of one item has everything in item 0.
    #[must_use]
    pub fn item_of(self, pointer: &str) -> Option<usize> {
        let rest = match self {
            Self::Envelope | Self::Bare => return Some(0),
            Self::Collection => pointer.strip_prefix("/data/")?,
            Self::Array => pointer.strip_prefix('/')?,
        };
        let index = rest.split('/').next()?;
        // A pointer token is an index only in its canonical form (`7`, not `07`).
        if index.len() > 1 && index.starts_with('0') {
            return None;
        }
        index.parse().ok()
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

/// Where an input comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file.
    File(PathBuf),
    /// Standard input (`-`).
    Stdin,
}

impl Source {
    /// Name used in messages.
    #[must_use]
    pub fn name(&self) -> String {
        match self {
            Self::File(p) => p.display().to_string(),
            Self::Stdin => "<stdin>".to_owned(),
        }
    }
}

/// Inputs named on the command line, expanded.
#[derive(Debug, Default)]
pub struct Inputs {
    /// Files to read, in a stable order: as named, directories expanded in sorted order;
    /// each real file once (a file reached again, through a link or named twice, is read
    /// the first time only).
    pub sources: Vec<Source>,
    /// Paths that could not be expanded (missing, unreadable, or folders with no `.json`).
    pub problems: Vec<Finding>,
    /// What the walk left out and why (non-regular files, symbolic link loops): warnings,
    /// the run goes on.
    pub warnings: Vec<Finding>,
}

fn is_json_name(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// The identity of a file on its file system (device and inode on Unix; the path made
/// canonical elsewhere), to read each real file once and to notice link loops.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum FileId {
    #[cfg(unix)]
    Inode(u64, u64),
    #[cfg_attr(unix, allow(dead_code))]
    Path(PathBuf),
}

fn file_id(path: &Path, meta: &std::fs::Metadata) -> FileId {
    #[cfg(unix)]
    {
        let _ = path;
        use std::os::unix::fs::MetadataExt;
        FileId::Inode(meta.dev(), meta.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        FileId::Path(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned()))
    }
}

/// A walk over the paths of one command line.
#[derive(Default)]
struct Walk {
    inputs: Inputs,
    /// Every file and folder met so far.
    seen: std::collections::HashSet<FileId>,
    /// The folders being walked, outermost first (a link to one of them is a loop).
    stack: Vec<(FileId, PathBuf)>,
    /// `*.json` entries met (read, already read, or skipped with a warning), and folders
    /// met again: a folder where this does not grow holds nothing to read.
    met: usize,
}

impl Walk {
    fn error(&mut self, name: &str, message: String) {
        self.inputs
            .problems
            .push(Finding::of(crate::codes::Code::IoError, name, "", message));
    }

    /// Adds a file once.
    fn file(&mut self, path: &Path, meta: &std::fs::Metadata) {
        self.met += 1;
        if self.seen.insert(file_id(path, meta)) {
            self.inputs.sources.push(Source::File(path.to_owned()));
        }
    }

    /// Walks a folder: `*.json` regular files in sorted order, sub-folders recursively
    /// (through links too, each real folder once).
    fn dir(&mut self, dir: &Path, meta: &std::fs::Metadata) -> std::io::Result<()> {
        let id = file_id(dir, meta);
        if let Some((_, first)) = self.stack.iter().find(|(s, _)| *s == id) {
            self.met += 1;
            let (name, first) = (dir.display().to_string(), first.display().to_string());
            self.inputs.warnings.push(Finding::of(crate::codes::Code::SymlinkLoop,
                &name,
                "",
                format!("{name} leads back to {first}, which is being read: a loop of symbolic links, not followed"),
            ));
            return Ok(());
        }
        if !self.seen.insert(id.clone()) {
            // The same folder through another link: its files are in already.
            self.met += 1;
            return Ok(());
        }
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        entries.sort();
        self.stack.push((id, dir.to_owned()));
        for p in entries {
            let name = p.display().to_string();
            match std::fs::metadata(&p) {
                Ok(m) if m.is_dir() => {
                    if let Err(e) = self.dir(&p, &m) {
                        self.error(&name, format!("cannot list directory {name}: {e}"));
                    }
                }
                _ if !is_json_name(&p) => {}
                Ok(m) if m.is_file() => self.file(&p, &m),
                Ok(_) => {
                    self.met += 1;
                    self.inputs.warnings.push(Finding::of(crate::codes::Code::NotARegularFile,
                        &name,
                        "",
                        format!("{name} is not a regular file (a pipe, socket or device): skipped; name it on its own to read it"),
                    ));
                }
                // A dangling link or an unreadable entry: the read reports it.
                Err(_) => {
                    self.met += 1;
                    self.inputs.sources.push(Source::File(p));
                }
            }
        }
        self.stack.pop();
        Ok(())
    }
}

/// Expands paths: a file is read whatever its name (also a pipe or a device, under the
/// size limit); a directory is searched recursively for regular `*.json` files (sorted;
/// links are followed, each real file and folder once, loops reported); `-` is standard
/// input.
#[must_use]
pub fn expand(paths: &[PathBuf]) -> Inputs {
    let mut walk = Walk::default();
    for path in paths {
        let name = path.display().to_string();
        if name == "-" {
            walk.inputs.sources.push(Source::Stdin);
            continue;
        }
        match std::fs::metadata(path) {
            Err(e) => walk.error(&name, format!("cannot read {name}: {e}")),
            Ok(m) if m.is_dir() => {
                let met = walk.met;
                match walk.dir(path, &m) {
                    Err(e) => walk.error(&name, format!("cannot list directory {name}: {e}")),
                    Ok(()) if walk.met == met => {
                        walk.error(&name, format!("directory {name} contains no .json file"));
                    }
                    Ok(()) => {}
                }
            }
            Ok(m) if m.is_file() => walk.file(path, &m),
            Ok(_) => walk.inputs.sources.push(Source::File(path.clone())),
        }
    }
    walk.inputs
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

/// Why an input could not be read.
#[derive(Debug)]
enum ReadError {
    Io(std::io::Error),
    /// Over [`LoadOptions::max_input`].
    TooLarge,
}

impl From<std::io::Error> for ReadError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

/// `4 GiB`, `512 MiB`, `1500 bytes`: a size as a person reads it (exact multiples only).
#[must_use]
pub fn size_text(bytes: u64) -> String {
    for (unit, shift) in [("GiB", 30), ("MiB", 20), ("KiB", 10)] {
        if bytes >= 1 << shift && bytes.is_multiple_of(1 << shift) {
            return format!("{} {unit}", bytes >> shift);
        }
    }
    format!("{bytes} bytes")
}

/// Parses a size: bytes, or a number with `K`/`KB` (10³), `KiB` (2¹⁰), `M`, `MB`, `MiB`,
/// `G`, `GB`, `GiB`, `T`, `TB`, `TiB` (letter case ignored).
///
/// # Errors
/// A text that is not such a size, or one beyond 2⁶⁴ bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(digits);
    let bad = || {
        format!(
            "{text:?} is not a size: expected bytes, or a number with KB, MB, GB, KiB, MiB or GiB"
        )
    };
    let n: u64 = number.parse().map_err(|_| bad())?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        "t" | "tb" => 1_000_000_000_000,
        "tib" => 1 << 40,
        _ => return Err(bad()),
    };
    n.checked_mul(factor)
        .ok_or_else(|| format!("{text:?} is too large a size"))
}

/// Reads a file under the size limit: a regular file larger than the limit is refused
/// before it is read; anything else (a pipe, a device) is read until the limit.
fn read_file(path: &Path, opts: &LoadOptions) -> Result<Vec<u8>, ReadError> {
    let mut file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_file() && meta.len() > opts.max_input {
        return Err(ReadError::TooLarge);
    }
    if meta.is_file()
        && opts.split != Split::Never
        && let Some(text) = read_split(&file, meta.len())?
    {
        return Ok(text);
    }
    let hint = if meta.is_file() { meta.len() } else { 0 };
    read_limited(&mut file, opts.max_input, hint)
}

/// Reads everything up to `limit` bytes (more is [`ReadError::TooLarge`]). A stream whose
/// first byte other than white space cannot start a JSON document is not read further:
/// the load reports it at that place, and `/dev/zero` does not fill the memory first.
fn read_limited(r: &mut dyn Read, limit: u64, hint: u64) -> Result<Vec<u8>, ReadError> {
    const FIRST: usize = 64 << 10;
    let cap = usize::try_from(hint.min(limit)).unwrap_or(0);
    let mut text = Vec::with_capacity(cap.saturating_add(1));
    let mut take = r.take(limit.saturating_add(1));
    // The first part on its own, to look at its first byte.
    (&mut take).take(FIRST as u64).read_to_end(&mut text)?;
    if let Some(i) = text
        .iter()
        .position(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
        && !matches!(
            text[i],
            b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n' | 0xEF
        )
    {
        // Keep the character itself (whole, so that a valid one stays valid UTF-8).
        let len = match text[i] {
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF7 => 4,
            _ => 1,
        };
        text.truncate((i + len).min(text.len()));
        return Ok(text);
    }
    take.read_to_end(&mut text)?;
    if text.len() as u64 > limit {
        return Err(ReadError::TooLarge);
    }
    Ok(text)
}

/// Reads a file that is split ([`Split`]) with several threads, each reading its own part
/// (`pread`): copying a large file out of the page cache into fresh memory is otherwise one
/// thread's work while the others wait. `None` for a small file, or one that changed size
/// while it was read (it is then read the ordinary way).
fn read_split(file: &std::fs::File, len: u64) -> std::io::Result<Option<Vec<u8>>> {
    #[cfg(unix)]
    {
        use rayon::prelude::*;
        use std::os::unix::fs::FileExt;
        const PART: usize = 4 << 20;
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if len > 2 * PART && len < isize::MAX as usize {
            // Zeroed memory straight from the system: no page is touched before it is read into.
            let mut text = vec![0u8; len];
            let parts = text
                .par_chunks_mut(PART)
                .enumerate()
                .try_for_each(|(i, part)| file.read_exact_at(part, (i * PART) as u64));
            let mut more = [0u8; 1];
            if parts.is_ok() && file.read_at(&mut more, len as u64)? == 0 {
                return Ok(Some(text));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (file, len);
    Ok(None)
}

const REPORT_KEYS: &[&str] = &[
    "reportParemeters",
    "reportParameters",
    "reportSummary",
    "reportStatus",
    "organizationsUsage",
    "usageDetails",
    "appendices",
    "notCollectedCloudServers",
    "clonedCloudServers",
    "unsupportedCloudServers",
];
const SITE_KEYS: &[&str] = &["installationId", "siteUid", "licenseId", "counters"];

fn kind_of_keys<S: AsRef<str>>(keys: &[S]) -> Option<Kind> {
    let has = |set: &[&str]| keys.iter().any(|k| set.contains(&k.as_ref()));
    if has(REPORT_KEYS) {
        Some(Kind::Reports)
    } else if has(SITE_KEYS) {
        Some(Kind::SiteUsage)
    } else {
        None
    }
}

fn is_decisive(k: &str) -> bool {
    REPORT_KEYS.contains(&k) || SITE_KEYS.contains(&k)
}

enum Sniff {
    Found(Kind, Shape),
    /// Not well-formed: the JSON parser will say where.
    Malformed,
    /// Well-formed but not a document we know.
    Unknown(String),
}

fn describe_keys(keys: &[String]) -> String {
    if keys.is_empty() {
        "no members".to_owned()
    } else {
        // Keys are the document's text: shown with control and invisible characters escaped.
        let shown: Vec<std::borrow::Cow<'_, str>> = keys
            .iter()
            .take(6)
            .map(|k| crate::text::printable(k))
            .collect();
        format!(
            "members {}{}",
            shown.join(", "),
            if keys.len() > 6 { ", ..." } else { "" }
        )
    }
}

const EXPECTED: &str = "expected a license usage report export ({\"meta\":...,\"data\":[{\"reportParameters\":...}]}, {\"data\":{...}}, one report or an array of reports) or a site usage export ({\"data\":{\"siteUid\":...,\"counters\":[...]}})";

/// Tells kind and shape from the first keys of the document.
fn sniff(b: &[u8], forced: Option<Kind>) -> Sniff {
    let i = skip_ws(b, 0);
    match b.get(i) {
        Some(b'{') => {}
        Some(b'[') => return sniff_items(b, i, forced, Shape::Array, "item 0"),
        Some(b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n') => {
            return Sniff::Unknown(format!("the document is not an object; {EXPECTED}"));
        }
        _ => return Sniff::Malformed,
    }
    let Some((keys, data_at)) = first_keys(b, i, |k| k == "data") else {
        return Sniff::Malformed;
    };
    let Some(j) = data_at else {
        // No `data`: a bare item.
        return match forced.or_else(|| kind_of_keys(&keys)) {
            Some(kind) => Sniff::Found(kind, Shape::Bare),
            None => Sniff::Unknown(format!(
                "the object has {} and no \"data\"; {EXPECTED}",
                describe_keys(&keys)
            )),
        };
    };
    match b.get(j) {
        Some(b'[') => sniff_items(b, j, forced, Shape::Collection, "data[0]"),
        Some(b'{') => match first_keys(b, j, is_decisive) {
            None => Sniff::Malformed,
            Some((item_keys, _)) => match forced.or_else(|| kind_of_keys(&item_keys)) {
                Some(kind) => Sniff::Found(kind, Shape::Envelope),
                None => Sniff::Unknown(format!(
                    "\"data\" has {}; {EXPECTED}",
                    describe_keys(&item_keys)
                )),
            },
        },
        Some(_) => match forced {
            Some(kind) => Sniff::Found(kind, Shape::Envelope),
            None => Sniff::Unknown(format!(
                "\"data\" is neither an object nor an array; {EXPECTED}"
            )),
        },
        None => Sniff::Malformed,
    }
}

/// Tells the kind of a list of items (the array at `i`) from its first item.
fn sniff_items(b: &[u8], i: usize, forced: Option<Kind>, shape: Shape, first: &str) -> Sniff {
    let k = skip_ws(b, i + 1);
    match b.get(k) {
        // An empty list: only a page's `meta` hints at the reports endpoint.
        Some(b']') => Sniff::Found(forced.unwrap_or(Kind::Reports), shape),
        Some(b'{') => match first_keys(b, k, is_decisive) {
            None => Sniff::Malformed,
            Some((item_keys, _)) => match forced.or_else(|| kind_of_keys(&item_keys)) {
                Some(kind) => Sniff::Found(kind, shape),
                None => Sniff::Unknown(format!(
                    "{first} has {}; {EXPECTED}",
                    describe_keys(&item_keys)
                )),
            },
        },
        Some(_) => match forced {
            Some(kind) => Sniff::Found(kind, shape),
            None => Sniff::Unknown(format!("{first} is not an object; {EXPECTED}")),
        },
        None => Sniff::Malformed,
    }
}

/// Months of the reports of a license report export, read without building the document:
/// one fast pass that skips everything but each report's
/// `reportParameters.reportInterval.startOfInterval` (or the misspelled
/// `reportParemeters`, as the model prefers them). `Some(empty)` for a site usage export
/// (nothing to bill); `None` when the text cannot be read this way (the full load then
/// says why). For a file the full load accepts, the months are those of its reports, as
/// `(year, month)` (the month may be out of 1 to 12 when the vendor wrote one).
#[must_use]
pub fn report_months(text: &[u8], forced: Option<Kind>) -> Option<Vec<(i32, u32)>> {
    #[derive(Deserialize)]
    struct Interval {
        #[serde(rename = "startOfInterval")]
        start: VspcDate,
    }
    #[derive(Deserialize)]
    struct Parameters {
        #[serde(rename = "reportInterval")]
        interval: Interval,
    }
    #[derive(Deserialize)]
    struct Report {
        #[serde(rename = "reportParameters")]
        parameters: Option<Parameters>,
        #[serde(rename = "reportParemeters")]
        paremeters: Option<Parameters>,
    }
    #[derive(Deserialize)]
    struct Collection {
        data: Vec<Report>,
    }
    #[derive(Deserialize)]
    struct Envelope {
        data: Report,
    }
    let reports = match sniff(text, forced) {
        Sniff::Found(Kind::SiteUsage, _) => return Some(Vec::new()),
        Sniff::Found(Kind::Reports, Shape::Collection) => {
            serde_json::from_slice::<Collection>(text).ok()?.data
        }
        Sniff::Found(Kind::Reports, Shape::Envelope) => {
            vec![serde_json::from_slice::<Envelope>(text).ok()?.data]
        }
        Sniff::Found(Kind::Reports, Shape::Bare) => {
            vec![serde_json::from_slice::<Report>(text).ok()?]
        }
        Sniff::Found(Kind::Reports, Shape::Array) => {
            serde_json::from_slice::<Vec<Report>>(text).ok()?
        }
        Sniff::Unknown(_) | Sniff::Malformed => return None,
    };
    Some(
        reports
            .into_iter()
            .filter_map(|r| r.parameters.or(r.paremeters))
            .map(|p| (p.interval.start.parts.year, p.interval.start.parts.month))
            .collect(),
    )
}

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

struct Parsed<T> {
    value: Option<T>,
    problems: Vec<Finding>,
}

impl<T> Parsed<T> {
    fn map<U>(self, f: impl FnOnce(T) -> U) -> Parsed<U> {
        Parsed {
            value: self.value.map(f),
            problems: self.problems,
        }
    }
}

fn reports_doc(
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

fn sites_doc(
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
fn parse_shape<T: DeserializeOwned>(
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

fn utf8_problem(name: &str, b: &[u8], err: &std::str::Utf8Error) -> Finding {
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
fn unreadable_or(name: &str, text: &str, otherwise: Finding) -> Finding {
    let b = text.as_bytes();
    match crate::strict::from_str::<serde::de::IgnoredAny>(text) {
        Err(e) if crate::strict::is_too_deep(&e) => depth_problem(name, b),
        Err(e) => syntax_problem(name, b, &e, String::new()),
        Ok(_) => otherwise,
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
mod tests {
    use super::*;

    fn load(text: &str) -> LoadedFile {
        load_bytes("t.json", text.as_bytes().to_vec(), &LoadOptions::default())
    }

    #[test]
    fn a_split_file_is_read_whole_in_parts() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.json");
        // Parts of 4 MiB: three and a bit, with a pattern that shows a misplaced part.
        let bytes: Vec<u8> = (0..(12 << 20) + 12_345u32)
            .map(|i| (i % 251) as u8)
            .collect();
        std::fs::write(&p, &bytes).unwrap();
        let split = |p: &Path| {
            let f = std::fs::File::open(p).unwrap();
            read_split(&f, f.metadata().unwrap().len()).unwrap()
        };
        assert!(split(&p).unwrap() == bytes);
        let opts = LoadOptions {
            split: Split::Always,
            ..LoadOptions::DEFAULT
        };
        assert!(read_file(&p, &opts).unwrap() == bytes);
        let small = dir.path().join("small.json");
        std::fs::write(&small, b"{}").unwrap();
        assert_eq!(split(&small), None);
        assert_eq!(read_file(&small, &opts).unwrap(), b"{}");
        assert!(read_file(&dir.path().join("missing.json"), &opts).is_err());
    }

    #[test]
    fn inputs_are_read_under_the_size_limit() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.json");
        std::fs::write(&p, br#"{"reportStatus":"Approved"}"#).unwrap();
        let limit = |max_input| LoadOptions {
            max_input,
            ..LoadOptions::DEFAULT
        };
        let f = load_source(&Source::File(p.clone()), &limit(27));
        assert!(f.is_valid(), "{:?}", f.problems);
        let f = load_source(&Source::File(p), &limit(26));
        assert_eq!(f.problems[0].code, "input-too-large");
        assert!(f.problems[0].message.contains("limit of 26 bytes"));
        // A stream has no size to look at first: it is read until the limit.
        let mut endless = std::io::repeat(b' ');
        assert!(matches!(
            read_limited(&mut endless, 1 << 20, 0),
            Err(ReadError::TooLarge)
        ));
        // One that cannot be JSON stops at its first byte (as `/dev/zero` does).
        let mut zeros = std::io::repeat(0);
        assert_eq!(read_limited(&mut zeros, u64::MAX, 0).unwrap(), [0]);
        let mut text = "  é".as_bytes().chain(std::io::repeat(b'x'));
        assert_eq!(
            read_limited(&mut text, u64::MAX, 0).unwrap(),
            "  é".as_bytes()
        );
        let f = load_bytes("z", vec![0], &LoadOptions::DEFAULT);
        assert_eq!(f.problems[0].code, "invalid-json");
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(parse_size("4GiB"), Ok(4 << 30));
        assert_eq!(parse_size("500 MB"), Ok(500_000_000));
        assert_eq!(parse_size("1k"), Ok(1000));
        assert_eq!(parse_size("123"), Ok(123));
        assert!(parse_size("-1").is_err());
        assert!(parse_size("1.5GB").is_err());
        assert!(parse_size("99999999999TiB").is_err());
        assert_eq!(size_text(4 << 30), "4 GiB");
        assert_eq!(size_text(1500), "1500 bytes");
    }

    #[test]
    fn months_are_read_without_loading() {
        let report = |start: &str| {
            format!(
                r#"{{"reportStatus":"Approved","organizationsUsage":[{{"organizationUid":"x","usedPoints":1}}],"reportParameters":{{"reportId":1,"reportInterval":{{"startOfInterval":"{start}","endOfInterval":"2026-10-31"}}}}}}"#
            )
        };
        let months = |text: &str| report_months(text.as_bytes(), None);
        let a = report("2026-10-01T00:00:00+02:00");
        let b = report("2026-11-01");
        assert_eq!(
            months(&format!(r#"{{"meta":{{}},"data":[{a},{b}]}}"#)),
            Some(vec![(2026, 10), (2026, 11)])
        );
        assert_eq!(
            months(&format!(r#"{{"data":{b}}}"#)),
            Some(vec![(2026, 11)])
        );
        assert_eq!(months(&a), Some(vec![(2026, 10)]));
        // The 3.5.1 spelling, and reportParameters first when both are there.
        let old = a.replace("reportParameters", "reportParemeters");
        assert_eq!(months(&old), Some(vec![(2026, 10)]));
        let both = old.replacen(
            '{',
            r#"{"reportParameters":{"reportInterval":{"startOfInterval":"2027-01-01"}},"#,
            1,
        );
        assert_eq!(months(&both), Some(vec![(2027, 1)]));
        // A report without parameters has no month; site usage has nothing to bill.
        assert_eq!(
            months(r#"{"data":[{"reportStatus":"Approved"}]}"#),
            Some(vec![])
        );
        assert_eq!(
            months(r#"{"data":{"siteUid":"s","counters":[]}}"#),
            Some(vec![])
        );
        // Unreadable this way: the full load says why.
        assert_eq!(
            months(r#"{"data":[{"reportParameters":{"reportInterval":{}}}]}"#),
            None
        );
        assert_eq!(months(r#"{"data":["#), None);
        assert_eq!(months("[1]"), None);
    }

    #[test]
    fn shapes_are_told_apart() {
        let f = load(r#"{"meta":{"pagingInfo":{"total":0,"count":0,"offset":0}},"data":[]}"#);
        assert_eq!(
            (f.kind, f.shape),
            (Some(Kind::Reports), Some(Shape::Collection))
        );
        let f = load(r#"{"data":{"siteUid":"x","counters":[]}}"#);
        assert_eq!(
            (f.kind, f.shape),
            (Some(Kind::SiteUsage), Some(Shape::Envelope))
        );
        let f = load(r#"{"reportStatus":"Approved"}"#);
        assert_eq!((f.kind, f.shape), (Some(Kind::Reports), Some(Shape::Bare)));
        assert!(f.is_valid());
        let f = load(r#"{"data":[{"installationId":"a","counters":null}]}"#);
        assert_eq!(
            (f.kind, f.shape),
            (Some(Kind::SiteUsage), Some(Shape::Collection))
        );
        assert!(f.is_valid(), "{:?}", f.problems);
    }

    #[test]
    fn unknown_documents_say_what_was_expected() {
        let f = load(r#"{"hello": 1}"#);
        assert_eq!(f.problems[0].code, "unknown-document");
        assert!(f.problems[0].message.contains("members hello"));
        assert!(
            f.problems[0]
                .message
                .contains("expected a license usage report")
        );
        let f = load("[1, 2]");
        assert!(f.problems[0].message.starts_with("item 0 is not an object"));
    }

    #[test]
    fn a_document_the_sniffer_cannot_place_says_why() {
        for (text, code) in [
            (r#"{"\ud800":1,"data":[]}"#, "invalid-json"),
            (r#"{"a":{"\udfff":1},"b":2}"#, "invalid-json"),
            (r#"[{"x":1}]"#, "unknown-document"),
            (r#"{"hello":[[[[1]]]]}"#, "unknown-document"),
        ] {
            let f = load(text);
            assert_eq!(f.problems[0].code, code, "{text}: {:?}", f.problems);
        }
        // As deep as the typed parse reads: unknown; one level deeper: too deep.
        let deep = |n: usize| format!("{{\"hello\":{}1{}}}", "[".repeat(n), "]".repeat(n));
        let f = load(&deep(crate::strict::MAX_DEPTH - 1));
        assert_eq!(f.problems[0].code, "unknown-document", "{:?}", f.problems);
        let f = load(&deep(crate::strict::MAX_DEPTH));
        assert!(
            f.problems[0].message.starts_with("nested deeper than"),
            "{:?}",
            f.problems
        );
    }

    #[test]
    fn pointers_belong_to_their_item() {
        assert_eq!(Shape::Collection.item_of("/data/3/usageDetails/0"), Some(3));
        assert_eq!(Shape::Collection.item_of("/data/12"), Some(12));
        assert_eq!(Shape::Collection.item_of("/meta/pagingInfo"), None);
        assert_eq!(Shape::Collection.item_of(""), None);
        assert_eq!(Shape::Collection.item_of("/data/03"), None);
        assert_eq!(Shape::Array.item_of("/1/reportSummary"), Some(1));
        assert_eq!(Shape::Array.item_of(""), None);
        assert_eq!(Shape::Envelope.item_of("/data/reportSummary"), Some(0));
        assert_eq!(Shape::Bare.item_of(""), Some(0));
        for shape in Shape::ALL {
            assert_eq!(
                shape.item_of(&shape.item_pointer(2)),
                Some(if shape.is_list() { 2 } else { 0 })
            );
        }
    }

    #[test]
    fn forced_kind_overrides_detection() {
        let f = load_bytes(
            "t.json",
            br#"{"data":{"hello":1}}"#.to_vec(),
            &LoadOptions {
                kind: Some(Kind::SiteUsage),
                ..LoadOptions::default()
            },
        );
        assert!(f.is_valid());
        assert_eq!(f.kind, Some(Kind::SiteUsage));
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
