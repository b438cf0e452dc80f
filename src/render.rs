//! Rendering a billing run: invoices and summary through tera templates, CSV files, and
//! safe file names.
//!
//! The templates in `templates/` are embedded in the binary; a folder given with
//! `--templates DIR` replaces any of them by name (and may add partials). They are all
//! compiled once, before anything is rendered; the files rendered are staged and renamed
//! into place only when the whole run succeeded ([`crate::output::Staging`]): a broken
//! template produces no output at all.
//!
//! The engine is tera 2: a call to an unknown filter, test, function or template is refused
//! when the templates compile, with the file, line and column. Two things are kept as tera 1
//! had them, so that documents stay byte for byte what they were: HTML escaping
//! (`escape_html`: `'` as `&#x27;`, `/` as `&#x2F;`), and maps walked in a fixed order (the
//! `preserve_order` feature: the order of `--context`; tera 2 alone walks them in hash order,
//! which changes from run to run), `group_by` included (its groups in key order). Each invoice is converted to template values once
//! and rendered by every format from them; the provider once per batch.
//!
//! The PDF invoice is a typst source that `invoice.typ.tera` renders, compiled by
//! [`crate::pdf`] (with the cargo feature `pdf`); it is rendered on the same threads as the
//! other documents, from the same context, plus `paper` (the card's paper size).
//!
//! Safety of tenant-provided text (company names come from tenants):
//! - HTML templates are autoescaped (`<script>` stays text);
//! - typst templates (`*.typ.tera`) are autoescaped for typst markup ([`typst_escape`]:
//!   `#import`, `$x$`, `*a*`, `]`, `//` print as written); a value inside a typst string
//!   literal goes through the `typ_str` filter ([`typst_string`]);
//! - Markdown templates escape it with the `md` filter;
//! - control characters are replaced when the report is read
//!   ([`crate::billing::invoice::clean_text`]);
//! - CSV text cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab,
//!   CR) get a leading `'`; amounts are written as plain numbers;
//! - file names are the invoice number and an ASCII slug of the name plus part of the
//!   UID ([`slug`]): no `/`, no `..`, bounded length.

use crate::billing::invoice::Invoice;
use crate::billing::rates::{Paper, Party, RateCard};
use crate::billing::{Billing, Summary};
use crate::pdf::Attachment;
use serde::Serialize;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use tera::{Context, Kwargs, State, Tera, Value};

/// Names of the templates, as embedded and as looked up in `--templates DIR`.
pub const TEMPLATE_NAMES: [&str; 5] = [
    "invoice.html.tera",
    "invoice.md.tera",
    "invoice.txt.tera",
    "invoice.typ.tera",
    "summary.md.tera",
];

const EMBEDDED: [(&str, &str); 5] = [
    (
        "invoice.html.tera",
        include_str!("../templates/invoice.html.tera"),
    ),
    (
        "invoice.md.tera",
        include_str!("../templates/invoice.md.tera"),
    ),
    (
        "invoice.txt.tera",
        include_str!("../templates/invoice.txt.tera"),
    ),
    (
        "invoice.typ.tera",
        include_str!("../templates/invoice.typ.tera"),
    ),
    (
        "summary.md.tera",
        include_str!("../templates/summary.md.tera"),
    ),
];

/// A template that does not compile or does not render, with tera's whole chain of causes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderError(pub String);

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RenderError {}

/// Tera's error with every cause, for terminals: a template's file instead of its name
/// where it came from `--templates DIR` (`files`), control characters escaped, and no
/// leading `error: `, which the command line prints itself. A syntax or rendering error
/// reads as tera 2 writes it, the message and then where:
///
/// ```text
/// Unknown filter `totl`
///  --> tpl/invoice.txt.tera:3:25
///   |
/// 3 | Total: {{ invoice.total | totl }}
///   |                           ^^^^
/// ```
fn tera_text(e: &tera::Error, files: &BTreeMap<String, PathBuf>) -> String {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    for (name, path) in files {
        msg = msg.replace(&format!("--> {name}:"), &format!("--> {}:", path.display()));
    }
    let msg = msg.strip_prefix("error: ").unwrap_or(&msg);
    msg.split('\n')
        .map(printable)
        .collect::<Vec<_>>()
        .join("\n")
}

/// `what` with tera's error: after it on one line, or, when tera shows where (several
/// lines), on the last line, so that the message ends with what went wrong.
fn tera_error(what: &str, e: &tera::Error, files: &BTreeMap<String, PathBuf>) -> RenderError {
    let text = tera_text(e, files);
    RenderError(if text.contains('\n') {
        format!("{text}\n{what}")
    } else {
        format!("{what}: {text}")
    })
}

/// The per-invoice documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DocFormat {
    /// `invoice.html.tera`.
    Html,
    /// `invoice.md.tera`.
    Md,
    /// `invoice.txt.tera`.
    Txt,
    /// `invoice.typ.tera`, compiled to PDF.
    Pdf,
}

impl DocFormat {
    /// File extension.
    #[must_use]
    pub const fn extension(self) -> &'static str {
        match self {
            Self::Html => "html",
            Self::Md => "md",
            Self::Txt => "txt",
            Self::Pdf => "pdf",
        }
    }

    const fn template(self) -> &'static str {
        match self {
            Self::Html => "invoice.html.tera",
            Self::Md => "invoice.md.tera",
            Self::Txt => "invoice.txt.tera",
            Self::Pdf => "invoice.typ.tera",
        }
    }
}

/// The extension of the CII file of an invoice (`--outputs cii`).
pub const CII_EXTENSION: &str = "xml";

/// Which outputs to produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outputs {
    /// `<number>-<slug>.html`.
    pub html: bool,
    /// `<number>-<slug>.md`.
    pub md: bool,
    /// `<number>-<slug>.txt`.
    pub txt: bool,
    /// `<number>-<slug>.pdf`.
    pub pdf: bool,
    /// `invoices.csv` and `lines.csv`.
    pub csv: bool,
    /// `summary.md` and `summary.csv`.
    pub summary: bool,
    /// `xero-invoices.csv` ([`crate::accounting`]).
    pub xero: bool,
    /// `quickbooks-invoices.csv` and `quickbooks-credit-notes.csv`.
    pub quickbooks: bool,
    /// `<number>-<slug>.xml`: the EN 16931 CII ([`crate::einvoice::cii`]).
    pub cii: bool,
}

impl Outputs {
    /// The accounting presets asked for.
    #[must_use]
    pub fn presets(self) -> Vec<crate::accounting::Preset> {
        use crate::accounting::Preset;
        [
            (self.xero, Preset::Xero),
            (self.quickbooks, Preset::QuickBooks),
        ]
        .into_iter()
        .filter_map(|(on, p)| on.then_some(p))
        .collect()
    }

    fn docs(self) -> Vec<DocFormat> {
        [
            (self.html, DocFormat::Html),
            (self.md, DocFormat::Md),
            (self.txt, DocFormat::Txt),
            (self.pdf, DocFormat::Pdf),
        ]
        .into_iter()
        .filter_map(|(on, f)| on.then_some(f))
        .collect()
    }

    /// The documents written for one invoice (file names in the output folder).
    #[must_use]
    pub fn document_names(self, invoice: &Invoice) -> Vec<String> {
        let stem = file_stem(invoice);
        self.docs()
            .into_iter()
            .map(DocFormat::extension)
            .chain(self.cii.then_some(CII_EXTENSION))
            .map(|ext| format!("{stem}.{ext}"))
            .collect()
    }
}

/// The compiled templates: typst templates (`*.typ.tera`) in an engine of their own, whose
/// autoescaping is typst's ([`typst_escape`]), the others in one that escapes HTML.
#[derive(Debug)]
pub struct Templates {
    tera: Tera,
    typst: Tera,
    /// The file each template of `--templates DIR` was read from, by template name.
    files: BTreeMap<String, PathBuf>,
}

impl Templates {
    /// The embedded templates, replaced by name by the `*.tera` files of `dir` (files whose
    /// name starts with `_` are partials, for `{% include %}` and components).
    ///
    /// # Errors
    /// A file that cannot be read, a `.tera` file that is neither a template name nor a
    /// partial (a typo would leave the embedded template in use), or a template that does
    /// not compile.
    pub fn load(dir: Option<&Path>) -> Result<Self, RenderError> {
        let mut sources: BTreeMap<String, String> = EMBEDDED
            .iter()
            .map(|(n, s)| ((*n).to_owned(), (*s).to_owned()))
            .collect();
        let mut files = BTreeMap::new();
        if let Some(dir) = dir {
            let entries = std::fs::read_dir(dir).map_err(|e| {
                RenderError(format!(
                    "cannot read templates folder {}: {e}",
                    dir.display()
                ))
            })?;
            let mut found = Vec::new();
            for e in entries {
                let path = e
                    .map_err(|e| RenderError(format!("cannot read {}: {e}", dir.display())))?
                    .path();
                let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                    continue;
                };
                if path.is_file() && name.ends_with(".tera") {
                    found.push((name.to_owned(), path));
                }
            }
            if found.is_empty() {
                return Err(RenderError(format!(
                    "no *.tera file in {} (expected any of {})",
                    dir.display(),
                    TEMPLATE_NAMES.join(", ")
                )));
            }
            let unknown: Vec<&str> = found
                .iter()
                .map(|(n, _)| n.as_str())
                .filter(|n| !TEMPLATE_NAMES.contains(n) && !n.starts_with('_'))
                .collect();
            if !unknown.is_empty() {
                return Err(RenderError(format!(
                    "{} in {}: not a template name (expected {}; partials for {{% include %}} start with _)",
                    unknown.join(", "),
                    dir.display(),
                    TEMPLATE_NAMES.join(", ")
                )));
            }
            found.sort();
            for (name, path) in found {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| RenderError(format!("cannot read {}: {e}", path.display())))?;
                sources.insert(name.clone(), text);
                files.insert(name, path);
            }
        }
        Self::from_sources(&sources, files)
    }

    fn from_sources(
        sources: &BTreeMap<String, String>,
        files: BTreeMap<String, PathBuf>,
    ) -> Result<Self, RenderError> {
        // Partials (`_*`) go to both engines, so that either may include them.
        let (typst, other): (Vec<_>, Vec<_>) =
            sources.iter().partition(|(n, _)| n.ends_with(TYPST_SUFFIX));
        let partials = || other.iter().copied().filter(|(n, _)| n.starts_with('_'));
        let tera = Self::engine(
            other.iter().copied(),
            &[".html.tera", ".html", ".htm"],
            escape_html,
            &files,
        )?;
        let typst = Self::engine(
            typst.into_iter().chain(partials()),
            &[TYPST_SUFFIX],
            escape_typst,
            &files,
        )?;
        Ok(Self { tera, typst, files })
    }

    /// One tera engine with the crate's filters, autoescaping the templates whose name
    /// ends with one of `suffixes` with `escape`.
    fn engine<'s>(
        sources: impl Iterator<Item = (&'s String, &'s String)>,
        suffixes: &[&'static str],
        escape: tera::EscapeFn,
        files: &BTreeMap<String, PathBuf>,
    ) -> Result<Tera, RenderError> {
        let mut tera = Tera::default();
        tera.autoescape_on(suffixes.iter().copied());
        tera.set_escape_fn(escape);
        // Filters first: tera 2 refuses a template that calls an unknown filter.
        tera.register_filter("md", md_filter);
        tera.register_filter("negate", negate_filter);
        tera.register_filter("pad", pad_filter);
        tera.register_filter("group_by", group_by_filter);
        tera.register_filter("typ_str", typ_str_filter);
        tera.add_raw_templates(sources.map(|(n, s)| (n.as_str(), s.as_str())))
            .map_err(|e| tera_error("the templates do not compile", &e, files))?;
        Ok(tera)
    }

    /// Renders template `name`; `what` says what failed if it does (the template and the
    /// document).
    fn render(
        &self,
        name: &str,
        ctx: &Context,
        what: impl Fn() -> String,
    ) -> Result<String, RenderError> {
        let tera = if name.ends_with(TYPST_SUFFIX) {
            &self.typst
        } else {
            &self.tera
        };
        tera.render(name, ctx)
            .map_err(|e| tera_error(&what(), &e, &self.files))
    }
}

/// The names of typst templates, autoescaped with [`typst_escape`].
const TYPST_SUFFIX: &str = ".typ.tera";

/// The autoescaping of typst templates: [`typst_escape`].
fn escape_typst(input: &str, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    out.write_all(typst_escape(input).as_bytes())
}

/// Text as typst markup that prints it as written: every ASCII punctuation character
/// backslash-escaped (`#`, `$`, `*`, `_`, `[`, `]`, `\`, `"`, `<`, `@`, `/`, `=`, `-`...: no
/// code, math, emphasis, label, reference, comment, heading, list, smart quote or
/// shorthand can start), a line break as typst's line break, other control characters as
/// `\u{..}` escapes.
#[must_use]
pub fn typst_escape(s: &str) -> String {
    use fmt::Write as _;
    let mut out = String::with_capacity(s.len() + s.len() / 4);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\\n"),
            '\r' => {}
            '\t' => out.push(' '),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c if c.is_ascii_punctuation() => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Text as a typst string literal, quotes included: `\`, `"` and control characters
/// escaped.
#[must_use]
pub fn typst_string(s: &str) -> String {
    use fmt::Write as _;
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `typ_str` filter: a value as a typst string literal ([`typst_string`]), for typst
/// arguments that take a string (`set document(author: {{ provider.name | typ_str | safe
/// }})`); `| safe` after it, since typst templates are autoescaped as markup.
fn typ_str_filter(v: &Value, _: Kwargs, _: &State) -> String {
    typst_string(&filter_text(v))
}

/// The autoescaping of HTML templates: `& < > " ' /` as entities, byte for byte what tera 1
/// wrote (tera 2's own escaping leaves `/` alone and writes `'` as `&#39;`).
fn escape_html(input: &str, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let bytes = input.as_bytes();
    let mut start = 0;
    for (i, b) in bytes.iter().enumerate() {
        let entity: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'"' => b"&quot;",
            b'\'' => b"&#x27;",
            b'/' => b"&#x2F;",
            _ => continue,
        };
        out.write_all(&bytes[start..i])?;
        out.write_all(entity)?;
        start = i + 1;
    }
    out.write_all(&bytes[start..])
}

/// What an invoice template receives.
#[derive(Debug, Clone, Serialize)]
pub struct InvoiceContext<'a> {
    /// The provider (the rate card's `[provider]`).
    pub provider: &'a Party,
    /// The invoice.
    pub invoice: &'a Invoice,
    /// The card's rounding mode.
    pub rounding: &'a str,
    /// The card's paper size (for the PDF: `a4` or `letter`). Not part of the invoice's
    /// content: the register's digest leaves it out.
    pub paper: Paper,
}

impl<'a> InvoiceContext<'a> {
    /// The context of `invoice` billed with `card`.
    #[must_use]
    pub fn new(card: &'a RateCard, invoice: &'a Invoice) -> Self {
        Self {
            provider: &card.provider,
            invoice,
            rounding: card.rounding.as_str(),
            paper: card.paper,
        }
    }
}

/// What the summary template receives.
#[derive(Debug, Clone, Serialize)]
pub struct SummaryContext<'a> {
    /// The provider.
    pub provider: &'a Party,
    /// The summary.
    pub summary: &'a Summary,
}

/// The exact JSON handed to the templates (`--context FILE`).
#[derive(Debug, Clone, Serialize)]
pub struct FullContext<'a> {
    /// One entry per invoice, as handed to `invoice.*.tera`.
    pub invoices: Vec<InvoiceContext<'a>>,
    /// As handed to `summary.md.tera`.
    pub summary: SummaryContext<'a>,
}

/// The context of a whole run.
#[must_use]
pub fn context<'a>(billing: &'a Billing, card: &'a RateCard) -> FullContext<'a> {
    FullContext {
        invoices: billing
            .invoices
            .iter()
            .map(|invoice| InvoiceContext::new(card, invoice))
            .collect(),
        summary: SummaryContext {
            provider: &card.provider,
            summary: &billing.summary,
        },
    }
}

/// Writes the `--context` file piece by piece, byte for byte what `serde_json`'s pretty
/// printer writes for [`FullContext`]: the invoices as their periods are rendered, then
/// the summary.
#[derive(Debug)]
pub struct ContextWriter<W: std::io::Write> {
    w: W,
    invoices: usize,
}

impl<W: std::io::Write> ContextWriter<W> {
    /// Starts the document.
    ///
    /// # Errors
    /// Those of `w`.
    pub fn new(mut w: W) -> std::io::Result<Self> {
        w.write_all(b"{\n  \"invoices\": [")?;
        Ok(Self { w, invoices: 0 })
    }

    /// Adds one invoice (in number order).
    ///
    /// # Errors
    /// Those of `w`, or of serialization.
    pub fn invoice(&mut self, c: &InvoiceContext<'_>) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(c).map_err(std::io::Error::other)?;
        self.w
            .write_all(if self.invoices == 0 { b"\n" } else { b",\n" })?;
        for (n, line) in text.split('\n').enumerate() {
            if n > 0 {
                self.w.write_all(b"\n")?;
            }
            self.w.write_all(b"    ")?;
            self.w.write_all(line.as_bytes())?;
        }
        self.invoices += 1;
        Ok(())
    }

    /// Ends the document with the summary; returns the writer.
    ///
    /// # Errors
    /// Those of `w`, or of serialization.
    pub fn finish(mut self, summary: &SummaryContext<'_>) -> std::io::Result<W> {
        let text = serde_json::to_string_pretty(summary).map_err(std::io::Error::other)?;
        self.w
            .write_all(if self.invoices == 0 { b"]" } else { b"\n  ]" })?;
        self.w.write_all(b",\n  \"summary\": ")?;
        for (n, line) in text.split('\n').enumerate() {
            if n > 0 {
                self.w.write_all(b"\n  ")?;
            }
            self.w.write_all(line.as_bytes())?;
        }
        self.w.write_all(b"\n}\n")?;
        Ok(self.w)
    }
}

/// One file to write: a name (no folder) and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// File name, safe: ASCII `[A-Za-z0-9._-]`.
    pub name: String,
    /// Content.
    pub bytes: Vec<u8>,
}

/// Renders a run invoice by invoice, so that the `invoice` command can render each
/// period's invoices and drop them ([`crate::billing::Ledger`]): documents go to a sink as
/// soon as they are made, and the CSV rows of a batch come back in order, to be appended
/// to `invoices.csv` and `lines.csv` (whose headers are [`invoices_csv_header`] and
/// [`lines_csv_header`]).
pub struct Renderer<'a> {
    templates: &'a Templates,
    card: &'a RateCard,
    docs: Vec<DocFormat>,
    csv: bool,
    cii: bool,
    attachments: Option<&'a Attachments<'a>>,
}

/// What gives the files embedded in an invoice's PDF ([`Renderer::with_attachments`]).
pub type Attachments<'f> = dyn Fn(&Invoice) -> Result<Vec<Attachment>, String> + Sync + 'f;

impl fmt::Debug for Renderer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Renderer")
            .field("docs", &self.docs)
            .field("csv", &self.csv)
            .field("attachments", &self.attachments.is_some())
            .finish_non_exhaustive()
    }
}

/// Invoices rendered on one thread at a time: large chunks for the text documents (cheap,
/// and one CSV buffer each), single invoices for PDFs (milliseconds each), so that a few
/// invoices keep every core busy.
fn chunk_len(docs: &[DocFormat]) -> usize {
    // The text documents of 64 invoices take about as long as one PDF.
    if docs.contains(&DocFormat::Pdf) {
        1
    } else {
        64
    }
}

/// `work(0)`, `work(1)`... `work(count - 1)` on `threads` threads (at least one, the caller's
/// when none can be started), taken in order; the results in order, or the first error in
/// that order, whatever the threads: after an error no later item is started.
///
/// The threads are the operating system's, not rayon's: typst, which makes the PDFs, waits
/// for its own tasks on rayon, and a rayon worker that waits runs queued work, here other
/// invoices, on top of its stack, which overflowed in debug builds with a few hundred
/// invoices. Each thread here renders one item at a time.
fn in_order<T: Send, E: Send>(
    count: usize,
    threads: usize,
    work: impl Fn(usize) -> Result<T, E> + Sync,
) -> Result<Vec<T>, E> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Mutex, PoisonError};
    let next = AtomicUsize::new(0);
    let failed = AtomicUsize::new(usize::MAX);
    let done = Mutex::new(Vec::with_capacity(count));
    let run = || {
        loop {
            let n = next.fetch_add(1, Ordering::SeqCst);
            if n >= count || n > failed.load(Ordering::SeqCst) {
                break;
            }
            let r = work(n);
            if r.is_err() {
                failed.fetch_min(n, Ordering::SeqCst);
            }
            done.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((n, r));
        }
    };
    std::thread::scope(|s| {
        let started = (0..threads.min(count))
            .filter(|_| std::thread::Builder::new().spawn_scoped(s, run).is_ok())
            .count();
        if started == 0 {
            run();
        }
    });
    let mut done = done.into_inner().unwrap_or_else(PoisonError::into_inner);
    done.sort_unstable_by_key(|(n, _)| *n);
    done.into_iter().map(|(_, r)| r).collect()
}

/// The CSV rows of a batch of invoices (no header).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CsvRows {
    /// Rows of `invoices.csv`.
    pub invoices: Vec<u8>,
    /// Rows of `lines.csv`.
    pub lines: Vec<u8>,
}

impl<'a> Renderer<'a> {
    /// A renderer of `outputs`, with the card's provider, rounding mode and paper size.
    #[must_use]
    pub fn new(templates: &'a Templates, card: &'a RateCard, outputs: Outputs) -> Self {
        Self {
            templates,
            card,
            docs: outputs.docs(),
            csv: outputs.csv,
            cii: outputs.cii,
            attachments: None,
        }
    }

    /// Embeds in each invoice's PDF the files `attachments` gives for it (a
    /// [`crate::pdf::FACTUR_X_XML`] makes it a Factur-X invoice); its error stops the run,
    /// as a template's does.
    #[must_use]
    pub fn with_attachments(mut self, attachments: &'a Attachments<'a>) -> Self {
        self.attachments = Some(attachments);
        self
    }

    /// Renders the documents of `invoices` (in parallel) and hands each to `sink`; returns
    /// their CSV rows in order, a piece per chunk of invoices (empty when CSV is not
    /// wanted).
    ///
    /// # Errors
    /// The first template that fails, in invoice order, or the first error of `sink`.
    pub fn invoices<F>(&self, invoices: &[Invoice], sink: &F) -> Result<Vec<CsvRows>, RenderError>
    where
        F: Fn(OutputFile) -> Result<(), String> + Sync,
    {
        let shared = self.shared_context()?;
        let size = chunk_len(&self.docs);
        in_order(
            invoices.len().div_ceil(size),
            rayon::current_num_threads(),
            |n| {
                let chunk = &invoices[n * size..invoices.len().min((n + 1) * size)];
                self.chunk(&shared, chunk, sink)
            },
        )
    }

    /// The documents of `chunk`, to `sink`, and its CSV rows.
    fn chunk<F>(
        &self,
        shared: &Context,
        chunk: &[Invoice],
        sink: &F,
    ) -> Result<CsvRows, RenderError>
    where
        F: Fn(OutputFile) -> Result<(), String> + Sync,
    {
        let mut rows = self.csv.then(|| {
            let lines = chunk.iter().map(|i| i.lines.len() + 1).sum::<usize>();
            (
                CsvOut::new(None, chunk.len() * 200),
                CsvOut::new(None, lines * 220),
            )
        });
        for i in chunk {
            self.documents(shared, i, sink)?;
            if let Some((a, b)) = &mut rows {
                invoice_row(a, i);
                line_rows(b, i);
            }
        }
        Ok(rows.map_or_else(CsvRows::default, |(a, b)| CsvRows {
            invoices: a.finish(),
            lines: b.finish(),
        }))
    }

    /// What every invoice's context holds besides the invoice (see [`InvoiceContext`]):
    /// converted to template values once, not once per invoice.
    fn shared_context(&self) -> Result<Context, RenderError> {
        let mut c = Context::new();
        c.insert_value("provider", self.value("the provider", &self.card.provider)?);
        c.insert_value("rounding", Value::from(self.card.rounding.as_str()));
        c.insert_value("paper", Value::from(self.card.paper.as_str()));
        Ok(c)
    }

    /// `v` as a template value.
    fn value(&self, what: &str, v: &impl Serialize) -> Result<Value, RenderError> {
        Value::try_from_serializable(v).map_err(|e| {
            tera_error(
                &format!("{what} cannot be handed to the templates"),
                &e,
                &self.templates.files,
            )
        })
    }

    fn documents<F>(&self, shared: &Context, invoice: &Invoice, sink: &F) -> Result<(), RenderError>
    where
        F: Fn(OutputFile) -> Result<(), String> + Sync,
    {
        let stem = file_stem(invoice);
        if self.cii {
            let bytes = crate::einvoice::cii::xml(invoice, &self.card.provider)
                .map_err(|e| RenderError(format!("invoice {}: {e}", invoice.number)))?;
            sink(OutputFile {
                name: format!("{stem}.{CII_EXTENSION}"),
                bytes,
            })
            .map_err(RenderError)?;
        }
        if self.docs.is_empty() {
            return Ok(());
        }
        // One context per invoice, converted once and rendered by every format.
        let mut context = shared.clone();
        context.insert_value(
            "invoice",
            self.value(&format!("invoice {}", invoice.number), invoice)?,
        );
        for f in &self.docs {
            let text = self.templates.render(f.template(), &context, || {
                format!(
                    "template {} fails on invoice {}",
                    f.template(),
                    invoice.number
                )
            })?;
            let bytes = match f {
                DocFormat::Pdf => self.pdf(&text, invoice)?,
                _ => text.into_bytes(),
            };
            sink(OutputFile {
                name: format!("{stem}.{}", f.extension()),
                bytes,
            })
            .map_err(RenderError)?;
        }
        Ok(())
    }

    /// The PDF of the typst `source` of `invoice`, with its attachments.
    fn pdf(&self, source: &str, invoice: &Invoice) -> Result<Vec<u8>, RenderError> {
        let attachments = match self.attachments {
            Some(f) => f(invoice).map_err(|e| {
                RenderError(format!(
                    "the attachments of invoice {}: {e}",
                    invoice.number
                ))
            })?,
            None => Vec::new(),
        };
        crate::pdf::render(source, &attachments).map_err(|e| {
            let from = self.templates.files.get(DocFormat::Pdf.template()).map_or_else(
                || format!("the embedded {}", DocFormat::Pdf.template()),
                |p| p.display().to_string(),
            );
            RenderError(format!(
                "{e}\nthe PDF of invoice {} cannot be made from the typst source that {from} renders",
                invoice.number
            ))
        })
    }

    /// `summary.md` and `summary.csv`, to `sink`.
    ///
    /// # Errors
    /// The summary template fails, or `sink` does.
    pub fn summary<F>(&self, summary: &Summary, sink: &F) -> Result<(), RenderError>
    where
        F: Fn(OutputFile) -> Result<(), String> + Sync,
    {
        let ctx = SummaryContext {
            provider: &self.card.provider,
            summary,
        };
        let ctx = Context::from_serialize(&ctx).map_err(|e| {
            tera_error(
                "the summary cannot be handed to the templates",
                &e,
                &self.templates.files,
            )
        })?;
        let text = self.templates.render("summary.md.tera", &ctx, || {
            "template summary.md.tera fails".to_owned()
        })?;
        sink(OutputFile {
            name: "summary.md".into(),
            bytes: text.into_bytes(),
        })
        .map_err(RenderError)?;
        sink(OutputFile {
            name: "summary.csv".into(),
            bytes: summary_csv(summary),
        })
        .map_err(RenderError)
    }
}

/// `<invoice-number>-<slug>`: the file name of an invoice without extension.
#[must_use]
pub fn file_stem(i: &Invoice) -> String {
    let number: String = i
        .number
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!(
        "{}-{}",
        number.trim_start_matches('.'),
        slug(&i.customer.name, &i.customer.uid)
    )
}

/// Longest slug of a name, in characters.
pub const SLUG_MAX: usize = 40;

/// German umlauts as Germans write them without (`Müller` → `mueller`); every other letter
/// as `deunicode` transliterates it (`Łódź` → `lodz`, `Αθήνα` → `athena`).
fn transliterate(c: char) -> Option<&'static str> {
    match c {
        'ä' | 'Ä' | 'æ' | 'Æ' => Some("ae"),
        'ö' | 'Ö' | 'œ' | 'Œ' => Some("oe"),
        'ü' | 'Ü' => Some("ue"),
        'ß' => Some("ss"),
        _ => deunicode::deunicode_char(c),
    }
}

/// A file-name-safe slug: ASCII `[a-z0-9-]` of the name (at most [`SLUG_MAX`]
/// characters; `tenant` when nothing is left), a `-`, and the last 8 letters and digits
/// of the UID (so that two tenants with the same name get different files).
#[must_use]
pub fn slug(name: &str, uid: &str) -> String {
    let mut s = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if let Some(t) =
            transliterate(c).filter(|t| t.bytes().any(|b| b.is_ascii_alphanumeric()))
        {
            for b in t.bytes() {
                if b.is_ascii_alphanumeric() {
                    s.push(char::from(b.to_ascii_lowercase()));
                } else if !s.ends_with('-') {
                    s.push('-');
                }
            }
        } else if !s.ends_with('-') {
            s.push('-');
        }
    }
    let mut s: String = s.trim_matches('-').chars().take(SLUG_MAX).collect();
    while s.ends_with('-') {
        s.pop();
    }
    if s.is_empty() {
        s.push_str("tenant");
    }
    let id: Vec<char> = uid
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let tail: String = id[id.len().saturating_sub(8)..].iter().collect();
    if tail.is_empty() {
        s
    } else {
        format!("{s}-{tail}")
    }
}

use crate::text::{neutralise, printable};

/// A CSV file written row by row: text cells neutralised, number cells as written.
pub(crate) struct CsvOut {
    w: csv::Writer<Vec<u8>>,
    buf: String,
}

impl CsvOut {
    pub(crate) fn new(header: Option<&[&str]>, capacity: usize) -> Self {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::with_capacity(capacity));
        if let Some(header) = header {
            // Writing to a Vec cannot fail.
            let _ = w.write_record(header);
        }
        Self {
            w,
            buf: String::new(),
        }
    }

    /// Text from people or from the input: neutralised.
    pub(crate) fn text(&mut self, s: &str) -> &mut Self {
        let _ = self.w.write_field(neutralise(s).as_bytes());
        self
    }

    /// A number the tool formats (a decimal, a count, a period).
    pub(crate) fn num(&mut self, v: impl fmt::Display) -> &mut Self {
        use fmt::Write as _;
        self.buf.clear();
        let _ = write!(self.buf, "{v}");
        let _ = self.w.write_field(self.buf.as_bytes());
        self
    }

    /// A number when there is one, else an empty cell.
    pub(crate) fn opt_num(&mut self, v: Option<impl fmt::Display>) -> &mut Self {
        match v {
            Some(v) => self.num(v),
            None => self.text(""),
        }
    }

    pub(crate) fn end(&mut self) {
        let _ = self.w.write_record(None::<&[u8]>);
    }

    pub(crate) fn finish(self) -> Vec<u8> {
        self.w.into_inner().unwrap_or_default()
    }
}

const INVOICES_CSV: [&str; 15] = [
    "invoice_number",
    "period",
    "issue_date",
    "due_date",
    "organization_uid",
    "organization_name",
    "currency",
    "points",
    "subtotal",
    "discount",
    "tax",
    "total",
    "net",
    "document_kind",
    "corrects",
];

/// `lines.csv`: the lines of [`crate::accounting::entries`] (the discount a line of its
/// own), whose amounts add up to each invoice's net amount.
const LINES_CSV: [&str; 19] = [
    "invoice_number",
    "line",
    "organization_uid",
    "organization_name",
    "kind",
    "workload",
    "edition",
    "description",
    "detail",
    "quantity",
    "unit",
    "unit_price",
    "amount",
    "currency",
    "tax_name",
    "tax_percent",
    "tax_category",
    "document_kind",
    "corrects",
];

/// The header line of `invoices.csv`.
#[must_use]
pub fn invoices_csv_header() -> Vec<u8> {
    CsvOut::new(Some(&INVOICES_CSV), 256).finish()
}

/// The header line of `lines.csv`.
#[must_use]
pub fn lines_csv_header() -> Vec<u8> {
    CsvOut::new(Some(&LINES_CSV), 256).finish()
}

fn invoice_row(c: &mut CsvOut, i: &Invoice) {
    c.text(&i.number)
        .num(i.period)
        .text(&i.issue_date)
        .text(&i.due_date)
        .text(&i.customer.uid)
        .text(&i.customer.name)
        .text(&i.currency)
        .num(i.points)
        .num(i.subtotal)
        .num(i.discount)
        .num(i.tax)
        .num(i.total)
        .num(i.net)
        .text(crate::accounting::document_kind(i))
        .text(crate::accounting::corrects(i))
        .end();
}

fn line_rows(c: &mut CsvOut, i: &Invoice) {
    let tax_name = i.tax_name.as_deref().unwrap_or("");
    let category = i.tax_category.map_or("", |c| c.code());
    let (kind, corrects) = (
        crate::accounting::document_kind(i),
        crate::accounting::corrects(i),
    );
    for (n, l) in crate::accounting::entries(i).iter().enumerate() {
        c.text(&i.number)
            .num(n + 1)
            .text(&i.customer.uid)
            .text(&i.customer.name)
            .text(l.kind)
            .text(l.workload.unwrap_or(""))
            .text(l.edition.unwrap_or(""))
            .text(&l.description)
            .text(l.detail.unwrap_or(""))
            .num(l.quantity)
            .text(l.unit)
            .num(l.unit_price)
            .num(l.amount)
            .text(&i.currency)
            .text(tax_name)
            .num(i.tax_percent)
            .text(category)
            .text(kind)
            .text(corrects)
            .end();
    }
}

/// `summary.csv`: per report, one row per tenant, then the provider's own usage, tenants
/// without usage, appendices, the cost no tenant carries, and the report's total with its
/// reconciliation.
#[must_use]
pub fn summary_csv(s: &Summary) -> Vec<u8> {
    let mut c = CsvOut::new(
        Some(&[
            "kind",
            "period",
            "report_file",
            "report_id",
            "invoice_number",
            "organization_uid",
            "organization_name",
            "points",
            "revenue",
            "cost",
            "margin",
            "expected_points",
            "points_difference",
        ]),
        4096,
    );
    let none = None::<u8>;
    for r in &s.reports {
        let start = |c: &mut CsvOut, kind: &str| {
            c.text(kind)
                .opt_num(r.report.period)
                .text(&r.report.file)
                .opt_num(r.report.report_id);
        };
        for t in &r.tenants {
            start(&mut c, "tenant");
            c.text(&t.invoice_number)
                .text(&t.uid)
                .text(&t.name)
                .num(t.points)
                .num(t.revenue)
                .opt_num(t.cost)
                .opt_num(t.margin)
                .opt_num(none)
                .opt_num(none)
                .end();
        }
        for (kind, list) in [
            ("provider-own", &r.provider_own),
            ("no-usage", &r.no_usage),
            ("refused", &r.refused_tenants),
        ] {
            for o in list {
                start(&mut c, kind);
                c.text("")
                    .text(&o.uid)
                    .text(&o.name)
                    .num(o.points)
                    .opt_num(none)
                    .opt_num(o.cost)
                    .opt_num(none)
                    .opt_num(none)
                    .opt_num(none)
                    .end();
            }
        }
        for a in &r.appendices {
            start(
                &mut c,
                if a.billed {
                    "appendix-billed"
                } else {
                    "appendix"
                },
            );
            c.text("")
                .text("")
                .text(&a.company)
                .num(a.points)
                .opt_num(none)
                .opt_num(none)
                .opt_num(none)
                .opt_num(none)
                .opt_num(none)
                .end();
        }
        if let Some(u) = r.unallocated_cost {
            start(&mut c, "unallocated-cost");
            c.text("")
                .text("")
                .text("")
                .opt_num(none)
                .opt_num(none)
                .num(u)
                .opt_num(none)
                .opt_num(none)
                .opt_num(none)
                .end();
        }
        start(&mut c, "report-total");
        c.text("")
            .text(r.report.owner_uid.as_deref().unwrap_or(""))
            .text(r.report.owner_name.as_deref().unwrap_or(""))
            .num(r.reconciliation.billed)
            .num(r.revenue)
            .opt_num(r.cost.as_ref().map(|c| c.amount))
            .opt_num(r.margin)
            .num(r.reconciliation.expected)
            .num(r.reconciliation.difference)
            .end();
    }
    c.finish()
}

/// The text a filter works on: a string as it is, nothing for `none`, anything else as
/// `{{ value }}` prints it.
fn filter_text(v: &Value) -> std::borrow::Cow<'_, str> {
    match v.as_str() {
        Some(s) => s.into(),
        None if v.is_none() => "".into(),
        None => v.to_string().into(),
    }
}

/// `negate` filter: an amount with its sign changed (`-101.87` → `101.87`), exactly (a
/// credit note's amounts are negative; its text says them as positive sums). Text that is
/// not a decimal number is refused.
fn negate_filter(v: &Value, _: Kwargs, _: &State) -> tera::TeraResult<String> {
    let text = filter_text(v);
    rust_decimal::Decimal::from_str_exact(&text)
        .map(|d| (-d).to_string())
        .map_err(|_| tera::Error::message(format!("negate needs an amount, not {text:?}")))
}

/// `md` filter: escapes Markdown and inline HTML in text, so a tenant's name stays text.
fn md_filter(v: &Value, _: Kwargs, _: &State) -> String {
    md_escape(&filter_text(v))
}

/// Backslash-escapes the characters that make Markdown or HTML out of text (`CommonMark`
/// lets any ASCII punctuation be escaped). `(` and `)` are left alone: with `[` and `]`
/// escaped they cannot form a link. `$` is escaped for renderers with math.
#[must_use]
pub fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '!' | '~' | '&' | '$'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Widest `pad` a template may ask for, in characters.
pub const PAD_MAX: usize = 1000;

/// `pad(width=N, right=true)` filter: pads text with spaces to N characters (on the left
/// with `right=true`, to align numbers); longer text is left as it is. Any other argument
/// is refused (a misspelt `rigth=true` would otherwise be ignored).
fn pad_filter(v: &Value, kwargs: Kwargs, _: &State) -> tera::TeraResult<String> {
    let bad_width = || {
        tera::Error::message(format!(
            "pad needs width=N, a whole number of characters up to {PAD_MAX}"
        ))
    };
    let (mut width, mut right) = (None, false);
    // Two arguments at most: walked, not looked up by hash.
    for (key, value) in kwargs.iter() {
        match key.as_str() {
            Some("width") => {
                width = Some(
                    value
                        .as_u64()
                        .and_then(|w| usize::try_from(w).ok())
                        .filter(|w| *w <= PAD_MAX)
                        .ok_or_else(bad_width)?,
                );
            }
            Some("right") => {
                right = value
                    .as_bool()
                    .ok_or_else(|| tera::Error::message("pad takes right=true or right=false"))?;
            }
            _ => {
                return Err(tera::Error::message(format!(
                    "pad takes width=N and right=true|false, not `{}`",
                    key.as_value()
                )));
            }
        }
    }
    let width = width.ok_or_else(bad_width)?;
    let s = filter_text(v);
    let n = s.chars().count();
    if n >= width {
        return Ok(s.into_owned());
    }
    let mut out = String::with_capacity(s.len() + width - n);
    if !right {
        out.push_str(&s);
    }
    out.extend(std::iter::repeat_n(' ', width - n));
    if right {
        out.push_str(&s);
    }
    Ok(out)
}

/// `group_by(attribute="a.b")` filter, in place of tera 2's own: the items of an array
/// grouped by the value at a dotted path, the groups in the order of their keys, as tera 1
/// gave them (tera 2's filter returns them in hash order, which changes from run to run).
/// Items whose value is `none` are left out; an item without the attribute is an error.
fn group_by_filter(items: &[Value], kwargs: Kwargs, _: &State) -> tera::TeraResult<tera::Map> {
    use tera::value::Key;
    let attribute = kwargs.must_get::<&str>("attribute")?;
    let mut groups: BTreeMap<Key<'static>, Vec<Value>> = BTreeMap::new();
    for (n, item) in items.iter().enumerate() {
        let v = item.get_from_path(attribute).ok_or_else(|| {
            tera::Error::message(format!(
                "item {n} (of type `{}`) has no `{attribute}`",
                item.name()
            ))
        })?;
        let key = if v.is_none() {
            continue;
        } else if let Some(s) = v.as_str() {
            Key::String(s.into())
        } else if let Some(b) = v.as_bool() {
            Key::Bool(b)
        } else if let Some(i) = v.as_i64() {
            Key::I64(i)
        } else if let Some(u) = v.as_u64() {
            Key::U64(u)
        } else {
            return Err(tera::Error::message(format!(
                "`{attribute}` of item {n} is of type `{}`: items are grouped by text, a whole number or a boolean",
                v.name()
            )));
        };
        groups.entry(key).or_default().push(item.clone());
    }
    Ok(groups
        .into_iter()
        .map(|(k, v)| (k, Value::from(v)))
        .collect())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn slugs_are_safe_bounded_and_distinct() {
        assert_eq!(
            slug("Contoso Ltd", "c1a2b3c4-0001-4000-8000-000000000001"),
            "contoso-ltd-00000001"
        );
        assert_eq!(slug("Müller & Söhne GmbH", "AB"), "mueller-soehne-gmbh-ab");
        assert_eq!(slug("../../etc/passwd", "x/../y"), "etc-passwd-xy");
        assert_eq!(
            slug("<script>alert(1)</script>", "1"),
            "script-alert-1-script-1"
        );
        assert_eq!(slug("\u{1b}[31m", ""), "31m");
        assert_eq!(slug("日本語", "u-1"), "ri-ben-yu-u1");
        assert_eq!(
            slug("Łódź Żółć Spółka", "00000042"),
            "lodz-zolc-spolka-00000042"
        );
        assert_eq!(slug("Αθήνα ΑΕ", "1"), "athena-ae-1");
        assert_eq!(slug("\u{202E}", "u-1"), "tenant-u1");
        let long = slug(&"a".repeat(500), "ffffffff-ffff");
        assert_eq!(long.len(), SLUG_MAX + 1 + 8);
        for s in [long, slug("=HYPERLINK(\"http://x\")", "9")] {
            assert!(
                s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{s}"
            );
        }
    }

    /// `in_order` gives every result in order, or the first error in order, on any number
    /// of threads, and runs the work off rayon's workers (typst, which makes the PDFs,
    /// would run other invoices on a waiting worker's stack).
    #[test]
    fn in_order_keeps_order_and_the_first_error_off_rayon() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .unwrap();
        for threads in [1, 2, 4, 64] {
            let ok: Result<Vec<usize>, usize> = pool.install(|| {
                in_order(100, threads, |n| {
                    assert!(rayon::current_thread_index().is_none(), "on a rayon worker");
                    Ok(n * 2)
                })
            });
            assert_eq!(ok.unwrap(), (0..100).map(|n| n * 2).collect::<Vec<_>>());
            let first = in_order(100, threads, |n| {
                if n == 10 {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                if n >= 10 { Err(n) } else { Ok(n) }
            });
            assert_eq!(first, Err(10), "{threads} threads");
            assert_eq!(in_order(0, threads, Ok::<_, ()>), Ok(vec![]));
        }
    }

    #[test]
    fn formulas_are_neutralised() {
        for s in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "＝1"] {
            assert!(neutralise(s).starts_with('\''), "{s}");
        }
        assert_eq!(neutralise("Contoso"), "Contoso");
        assert_eq!(neutralise(""), "");
        let mut c = CsvOut::new(Some(&["a", "b"]), 0);
        c.text("=HYPERLINK(\"http://evil\",\"x\")")
            .num("-5.00")
            .end();
        let bytes = c.finish();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "a,b\r\n\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",-5.00\r\n"
        );
    }

    #[test]
    fn markdown_escaping_keeps_text_as_text() {
        assert_eq!(
            md_escape("<script>alert(1)</script>"),
            "\\<script\\>alert(1)\\</script\\>"
        );
        assert_eq!(md_escape("A | B"), "A \\| B");
        assert_eq!(md_escape("Fabrikam, Inc."), "Fabrikam, Inc.");
    }

    /// Templates from text, none from a folder.
    fn templates(sources: &[(&str, &str)]) -> Result<Templates, RenderError> {
        let sources = sources
            .iter()
            .map(|(n, s)| ((*n).to_owned(), (*s).to_owned()))
            .collect();
        Templates::from_sources(&sources, BTreeMap::new())
    }

    fn render(t: &Templates, name: &str, ctx: &serde_json::Value) -> Result<String, RenderError> {
        let ctx = Context::from_serialize(ctx).unwrap();
        t.render(name, &ctx, || format!("template {name} fails"))
    }

    #[test]
    fn embedded_templates_compile_and_html_autoescapes() {
        Templates::load(None).unwrap();
        let t = templates(&[
            (
                "x.html.tera",
                "{{ name }}|{{ name | md }}|{{ name | safe }}",
            ),
            ("x.md.tera", "{{ name | md }}"),
            (
                "x.txt.tera",
                "{{ name }}|[{{ n | pad(width=5, right=true) }}]",
            ),
        ])
        .unwrap();
        let ctx = serde_json::json!({"name": "<b a='1'>&\"</b>", "n": "1.00"});
        // HTML is escaped as tera 1 did it, `'` and `/` included (tera 2 alone leaves `/`
        // and writes `&#39;`): the same bytes as before the move to tera 2.
        assert_eq!(
            render(&t, "x.html.tera", &ctx).unwrap(),
            "&lt;b a=&#x27;1&#x27;&gt;&amp;&quot;&lt;&#x2F;b&gt;\
             |\\&lt;b a=&#x27;1&#x27;\\&gt;\\&amp;&quot;\\&lt;&#x2F;b\\&gt;\
             |<b a='1'>&\"</b>"
        );
        assert_eq!(
            render(&t, "x.md.tera", &ctx).unwrap(),
            "\\<b a='1'\\>\\&\"\\</b\\>"
        );
        assert_eq!(
            render(&t, "x.txt.tera", &ctx).unwrap(),
            "<b a='1'>&\"</b>|[ 1.00]"
        );
    }

    #[test]
    fn filters_take_any_value_and_pad_is_bounded() {
        let t = templates(&[(
            "x.txt.tera",
            "[{{ n | pad(width=4, right=true) }}|{{ none | pad(width=2) }}|{{ none | md }}\
             |{{ flag | md }}|{{ \"ab\" | pad(width=1) }}]",
        )])
        .unwrap();
        let ctx = serde_json::json!({"n": 25, "none": null, "flag": true});
        assert_eq!(
            render(&t, "x.txt.tera", &ctx).unwrap(),
            "[  25|  ||true|ab]"
        );
        // A width that cannot be allocated is an error, not an abort.
        for width in ["1001", "9223372036854775807", "-1", "\"4\""] {
            let t = templates(&[(
                "x.txt.tera",
                &format!("{{{{ \"x\" | pad(width={width}) }}}}"),
            )])
            .unwrap();
            let e = render(&t, "x.txt.tera", &serde_json::json!({})).unwrap_err();
            assert!(
                e.0.contains("pad needs width=N, a whole number of characters up to 1000"),
                "{width}: {e}"
            );
        }
        // A misspelt argument is refused, not ignored.
        for (args, message) in [
            (
                "width=3, rigth=true",
                "pad takes width=N and right=true|false, not `rigth`",
            ),
            (
                "width=3, right=\"yes\"",
                "pad takes right=true or right=false",
            ),
            ("right=true", "pad needs width=N"),
        ] {
            let t = templates(&[("x.txt.tera", &format!("{{{{ 1 | pad({args}) }}}}"))]).unwrap();
            let e = render(&t, "x.txt.tera", &serde_json::json!({})).unwrap_err();
            assert!(e.0.contains(message), "{args}: {e}");
        }
    }

    #[test]
    fn broken_templates_are_reported_with_file_line_and_cause() {
        let e = templates(&[("invoice.html.tera", "<p>\n{% if %}")]).unwrap_err();
        assert!(
            e.0.contains("--> invoice.html.tera:2:7\n")
                && e.0.contains("2 | {% if %}\n")
                && e.0.ends_with("\nthe templates do not compile"),
            "{e}"
        );
        assert!(!e.0.starts_with("error:"), "{e}");
        // A filter that does not exist is found before anything is rendered.
        let e = templates(&[("x.txt.tera", "{{ 1 }}\n{{ x | totl }}")]).unwrap_err();
        assert!(
            e.0.starts_with("Unknown filter `totl`\n --> x.txt.tera:2:8\n"),
            "{e}"
        );
        // A template read from a folder is named by its file, control characters escaped.
        let sources = [("x.txt.tera".to_owned(), "{{ x.\u{1b} }}".to_owned())].into();
        let files = [("x.txt.tera".to_owned(), PathBuf::from("tpl/x.txt.tera"))].into();
        let e = Templates::from_sources(&sources, files).unwrap_err();
        assert!(
            e.0.contains("--> tpl/x.txt.tera:1:") && e.0.contains("{{ x.\\u{1b} }}"),
            "{e}"
        );
        // A rendering error says where, then what failed.
        let t = templates(&[("x.txt.tera", "a\n{{ missing }}")]).unwrap();
        let e = render(&t, "x.txt.tera", &serde_json::json!({"present": 1})).unwrap_err();
        assert!(
            e.0.starts_with("Variable `missing` is not defined")
                && e.0.contains("--> x.txt.tera:2:4\n")
                && e.0.ends_with("\ntemplate x.txt.tera fails"),
            "{e}"
        );
    }

    /// The samples billed with the sample card (also for other modules' tests).
    pub(crate) fn sample_billing() -> (Billing, crate::billing::rates::RateCard) {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let card = crate::billing::rates::RateCard::load(&root.join("samples/rates.toml")).unwrap();
        let text = std::fs::read(root.join("samples/reports-api-3.6-approved.json")).unwrap();
        let file = crate::load::load_bytes("r.json", text, &crate::load::LoadOptions::DEFAULT);
        let audit = crate::audit::FileAudit::default();
        let input = crate::billing::FileInput {
            file: &file,
            audit: &audit,
        };
        let billing =
            crate::billing::bill(&[input], &card, &crate::billing::BillOptions::default()).unwrap();
        (billing, card)
    }

    /// The context an invoice template gets is, key for key and value for value, the
    /// [`InvoiceContext`] that `--context` writes.
    #[test]
    fn templates_get_what_the_context_file_shows() {
        let (billing, card) = sample_billing();
        let t = Templates::load(None).unwrap();
        let r = Renderer::new(
            &t,
            &card,
            Outputs {
                html: true,
                md: false,
                txt: false,
                pdf: false,
                csv: false,
                summary: false,
                xero: false,
                quickbooks: false,
                cii: false,
            },
        );
        let shared = r.shared_context().unwrap();
        for invoice in &billing.invoices {
            let mut built = shared.clone();
            built.insert_value("invoice", r.value("invoice", invoice).unwrap());
            let expected = Context::from_serialize(&InvoiceContext::new(&card, invoice)).unwrap();
            assert_eq!(built, expected);
        }
        assert_eq!(billing.invoices.len(), 3);
    }

    /// `group_by` gives its groups in key order, in every run (tera 2's own filter gives
    /// them in hash order).
    #[test]
    fn group_by_gives_groups_in_key_order() {
        let (billing, card) = sample_billing();
        let t = templates(&[(
            "x.txt.tera",
            "{% for w, items in invoice.usage | group_by(attribute=\"workload\") %}\
             {{ w }}={{ items | length }};{% endfor %}\
             {% for k, lines in invoice.lines | group_by(attribute=\"kind\") %}\
             {{ k }}={{ lines | length }};{% endfor %}\
             {% for d, lines in invoice.lines | group_by(attribute=\"detail\") %}{{ d }};{% endfor %}",
        )])
        .unwrap();
        let ctx =
            Context::from_serialize(&InvoiceContext::new(&card, &billing.invoices[1])).unwrap();
        assert_eq!(
            t.render("x.txt.tera", &ctx, String::new).unwrap(),
            "CC_Server_Backup=1;CC_VM_Replica=1;VAC_Server_Agent=1;VAC_Workstation_Agent=1;VBR_VM=1;\
             charge=6;free-units=1;minimum=1;new=1;\
             activated this month: not in the charged quantity, not charged;included free (first 1 each month);\
             minimum 150.00 EUR, usage 125.50;units 1–2;units 3–10;volume price for units 1–10;"
        );
        let e = t
            .render(
                "x.txt.tera",
                &Context::from_serialize(&serde_json::json!({
                    "invoice": {"usage": [{"workload": 1.5}], "lines": []}
                }))
                .unwrap(),
                String::new,
            )
            .unwrap_err();
        assert!(e.0.contains("`workload` of item 0 is of type `f64`"), "{e}");
    }

    /// Maps are walked in the order of their fields, as `--context` writes them, in every
    /// run (tera 2 alone keeps maps in a hash map, whose order changes from run to run).
    #[test]
    fn maps_are_walked_in_field_order() {
        let (billing, card) = sample_billing();
        let t = templates(&[(
            "x.txt.tera",
            "{% for k, v in invoice.customer %}{{ k }},{% endfor %}\
             {% for k in provider | keys %}{{ k }},{% endfor %}",
        )])
        .unwrap();
        let ctx =
            Context::from_serialize(&InvoiceContext::new(&card, &billing.invoices[0])).unwrap();
        assert_eq!(
            t.render("x.txt.tera", &ctx, String::new).unwrap(),
            "uid,name,reported_name,organization_type,address,email,tax_id,postal_address,\
             name,address,email,tax_id,payment_instructions,vat_id,tax_number,postal_address,\
             electronic_address,contact,payment,"
        );
    }
}
