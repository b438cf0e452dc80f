//! The typst world of one invoice: the shared standard library and fonts (built once per
//! process), the invoice's source and its attachments, and nothing else (no file system,
//! no packages, no clock).

use super::{Attachment, PdfError};
use crate::render::typst_string;
use crate::text::printable;
use std::fmt::Write as _;
use std::sync::LazyLock;
use typst::diag::{FileError, FileResult, Severity, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards};

/// The typst source's name, in its error messages.
const MAIN: &str = "invoice.typ";

/// Typst's memo cache is pruned every `EVICT_EVERY` compilations (pruning walks the whole
/// cache: after each one it took an eighth of the time), of the entries unused for
/// `EVICT_AGE` prunings: what the invoices share (fonts, the template's layout) stays, the
/// rest goes, so the cache does not grow with the run.
const EVICT_EVERY: usize = 16;
const EVICT_AGE: usize = 2;

/// Compilations so far, for [`EVICT_EVERY`].
static COMPILED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// What every invoice's world shares: built once, on first use.
struct Shared {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    main: FileId,
    standards: PdfStandards,
}

static SHARED: LazyLock<Shared> = LazyLock::new(|| {
    let fonts: Vec<Font> = typst_assets::fonts()
        .flat_map(|data| Font::iter(Bytes::new(data)))
        .collect();
    Shared {
        library: LazyHash::new(Library::default()),
        book: LazyHash::new(FontBook::from_fonts(&fonts)),
        fonts,
        main: file_id(&format!("/{MAIN}")),
        standards: PdfStandards::new(&[PdfStandard::A_3b])
            .unwrap_or_else(|e| unreachable!("PDF/A-3b alone is a valid set: {e:?}")),
    }
});

fn file_id(path: &str) -> FileId {
    let path =
        VirtualPath::new(path).unwrap_or_else(|e| unreachable!("{path} is a valid path: {e:?}"));
    RootedPath::new(VirtualRoot::Project, path).intern()
}

/// Where attachment `n`'s bytes are read from: a name no attachment has (they cannot start
/// with `.`), the same for every invoice, so that typst's table of paths stays small.
fn attachment_path(n: usize) -> String {
    format!("/.attachment/{n}")
}

/// One invoice's world.
struct InvoiceWorld<'a> {
    shared: &'a Shared,
    source: Source,
    files: Vec<(FileId, Bytes)>,
}

impl World for InvoiceWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.shared.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.shared.book
    }

    fn main(&self) -> FileId {
        self.shared.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.shared.main {
            Ok(self.source.clone())
        } else {
            Err(not_found(id))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.shared.main {
            return Ok(Bytes::from_string(self.source.text().to_owned()));
        }
        self.files
            .iter()
            .find(|(f, _)| *f == id)
            .map(|(_, b)| b.clone())
            .ok_or_else(|| not_found(id))
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.shared.fonts.get(index).cloned()
    }

    fn today(&self, _: Option<Duration>) -> Option<Datetime> {
        None
    }
}

/// What typst is told when the source reads a file other than its attachments.
fn not_found(id: FileId) -> FileError {
    FileError::Other(Some(
        format!(
            "{} is not available: an invoice's typst source can read only its attachments",
            id.vpath().get_with_slash()
        )
        .into(),
    ))
}

impl InvoiceWorld<'_> {
    /// The errors of a failed compilation, each with its line and column in the source and
    /// the line's text.
    fn describe(&self, diagnostics: &[SourceDiagnostic]) -> PdfError {
        let mut msg = String::new();
        for d in diagnostics.iter().filter(|d| d.severity == Severity::Error) {
            if !msg.is_empty() {
                msg.push('\n');
            }
            let lines = self.source.lines();
            match self
                .range(d.span)
                .and_then(|r| lines.byte_to_line_column(r.start))
            {
                Some((line, column)) => {
                    let text = self.source.text().lines().nth(line).unwrap_or_default();
                    let _ = write!(
                        msg,
                        "{MAIN}:{}:{}: {}\n  {} | {}",
                        line + 1,
                        column + 1,
                        printable(&d.message),
                        line + 1,
                        printable(text)
                    );
                }
                None => {
                    let _ = write!(msg, "{MAIN}: {}", printable(&d.message));
                }
            }
            for h in &d.hints {
                let _ = write!(msg, "\n  hint: {}", printable(&h.v));
            }
        }
        if msg.is_empty() {
            msg.push_str("typst failed without a message");
        }
        PdfError(msg)
    }
}

/// Stack of the thread typst runs on: what a debug build needs, with room to spare (it is
/// reserved, not used).
const TYPST_STACK: usize = 16 << 20;

thread_local! {
    /// The calling thread's own one-thread rayon pool, where typst runs and waits for its
    /// tasks: those tasks are one invoice's, never another's (a worker of a shared pool
    /// that waits runs whatever is queued, other invoices included, on top of its stack).
    static POOL: Result<rayon::ThreadPool, String> = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .stack_size(TYPST_STACK)
        .thread_name(|_| "typst".to_owned())
        .build()
        .map_err(|e| e.to_string());
}

/// Compiles `source`, its attachments appended as `pdf.attach` calls, into a PDF/A-3b file,
/// on the calling thread's typst pool ([`POOL`]).
pub(super) fn compile(source: &str, attachments: &[Attachment]) -> Result<Vec<u8>, PdfError> {
    POOL.with(|pool| match pool {
        Ok(pool) => pool.install(|| compile_here(source, attachments)),
        Err(e) => Err(PdfError(format!("cannot start a thread for typst: {e}"))),
    })
}

fn compile_here(source: &str, attachments: &[Attachment]) -> Result<Vec<u8>, PdfError> {
    let shared = &*SHARED;
    let mut text = String::with_capacity(source.len() + 200 * attachments.len());
    text.push_str(source);
    let mut files = Vec::with_capacity(attachments.len());
    for (n, a) in attachments.iter().enumerate() {
        let path = attachment_path(n);
        let _ = write!(
            text,
            "\n#pdf.attach({}, read({}, encoding: none), relationship: {}, mime-type: {}",
            typst_string(&a.name),
            typst_string(&path),
            typst_string(a.relationship.as_str()),
            typst_string(&a.mime),
        );
        let description = if a.description.is_empty() {
            &a.name
        } else {
            &a.description
        };
        let _ = write!(text, ", description: {})", typst_string(description));
        files.push((file_id(&path), Bytes::new(a.bytes.clone())));
    }
    let world = InvoiceWorld {
        shared,
        source: Source::new(shared.main, text),
        files,
    };
    let document = typst::compile::<PagedDocument>(&world)
        .output
        .map_err(|d| world.describe(&d))?;
    let options = PdfOptions {
        standards: shared.standards.clone(),
        ..PdfOptions::default()
    };
    let pdf = typst_pdf::pdf(&document, &options).map_err(|d| world.describe(&d));
    if COMPILED.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % EVICT_EVERY == EVICT_EVERY - 1
    {
        typst::comemo::evict(EVICT_AGE);
    }
    pdf
}
