//! PDF invoices: a typst source (what `invoice.typ.tera` renders, see [`crate::render`])
//! compiled to a PDF/A-3b file by typst, embedded as a library. No browser, no external
//! program, no file system: the source sees only the files attached to it.
//!
//! - Fonts come from `typst-assets` (Libertinus Serif, New Computer Modern, `DejaVu` Sans
//!   Mono), built into the binary, loaded once per process and shared by every invoice
//!   rendered, on any number of threads (one font book, one standard library).
//! - The bytes depend on the source and the attachments only: typst has no clock here
//!   (`datetime.today()` is an error); the template sets the document's date (`set
//!   document(date: ...)`, the issue date), and the document and instance IDs are hashes
//!   of the content.
//! - An [`Attachment`] becomes a PDF/A-3 associated file (`/AF`, with its relationship).
//!   With one named [`FACTUR_X_XML`], the XMP metadata also carries the Factur-X extension
//!   schema (`fx:DocumentType` `INVOICE`, `fx:DocumentFileName`, `fx:Version` `1.0`,
//!   `fx:ConformanceLevel` `EN 16931`) and its PDF/A description (`pdfaExtension`), so that
//!   the PDF is a Factur-X / `ZUGFeRD` invoice.
//!
//! Built only with the cargo feature `pdf` (on by default); without it, [`render`] returns
//! an error and [`AVAILABLE`] is false.

#[cfg(feature = "pdf")]
mod engine;
#[cfg(feature = "pdf")]
mod xmp;

use std::fmt;

/// Whether this build renders PDFs (the cargo feature `pdf`).
pub const AVAILABLE: bool = cfg!(feature = "pdf");

/// The name Factur-X and `ZUGFeRD` give the embedded XML invoice.
pub const FACTUR_X_XML: &str = "factur-x.xml";

/// Longest attachment name, in bytes.
pub const MAX_ATTACHMENT_NAME: usize = 64;

/// A file embedded in the PDF as a PDF/A-3 associated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// File name in the PDF: ASCII letters, digits, `.`, `_`, `-`, at most
    /// [`MAX_ATTACHMENT_NAME`] bytes (e.g. [`FACTUR_X_XML`]).
    pub name: String,
    /// MIME type, e.g. `text/xml`.
    pub mime: String,
    /// How the file relates to the document.
    pub relationship: Relationship,
    /// Shown by PDF readers in their list of attachments. PDF/A requires one: the name
    /// when empty.
    pub description: String,
    /// Content.
    pub bytes: Vec<u8>,
}

/// How an attached file relates to the PDF (PDF/A-3's `/AFRelationship`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relationship {
    /// The PDF was made from the file.
    Source,
    /// The file holds the data the PDF shows (Factur-X in France).
    Data,
    /// The file is another form of the document (Factur-X in Germany, `ZUGFeRD`).
    Alternative,
    /// The file adds to the document.
    Supplement,
}

impl Relationship {
    /// Typst's spelling of the relationship.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Source => "source",
            Self::Data => "data",
            Self::Alternative => "alternative",
            Self::Supplement => "supplement",
        }
    }
}

/// Why a PDF could not be made: the typst source does not compile (with its line, column
/// and the line's text), an attachment is refused, or this build has no PDF engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfError(pub String);

impl fmt::Display for PdfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PdfError {}

/// Checks the attachments' names: safe, and each once.
fn check_attachments(attachments: &[Attachment]) -> Result<(), PdfError> {
    for (n, a) in attachments.iter().enumerate() {
        let safe = !a.name.is_empty()
            && a.name.len() <= MAX_ATTACHMENT_NAME
            && !a.name.starts_with('.')
            && a.name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if !safe {
            return Err(PdfError(format!(
                "attachment {:?}: a name is 1 to {MAX_ATTACHMENT_NAME} ASCII letters, digits, `.`, `_` or `-`, not starting with `.`",
                crate::text::printable(&a.name)
            )));
        }
        if attachments[..n].iter().any(|b| b.name == a.name) {
            return Err(PdfError(format!("attachment {:?} is given twice", a.name)));
        }
    }
    Ok(())
}

/// Compiles the typst `source` into a PDF/A-3b file with `attachments` embedded (see the
/// [module docs](self)). Typst runs on a thread of the caller's own (one per calling
/// thread): to make many PDFs at once, call this from several threads that are not rayon
/// workers, as [`crate::render::Renderer`] does.
///
/// # Errors
/// The source does not compile (the message has the line and column in `source`), an
/// attachment's name is not safe or is given twice, or this build has no PDF engine.
pub fn render(source: &str, attachments: &[Attachment]) -> Result<Vec<u8>, PdfError> {
    check_attachments(attachments)?;
    #[cfg(feature = "pdf")]
    {
        let pdf = engine::compile(source, attachments)?;
        if attachments.iter().any(|a| a.name == FACTUR_X_XML) {
            xmp::add_factur_x(pdf)
        } else {
            Ok(pdf)
        }
    }
    #[cfg(not(feature = "pdf"))]
    {
        let _ = source;
        Err(PdfError(NOT_BUILT.to_owned()))
    }
}

/// What a build without the `pdf` feature says when asked for a PDF.
pub const NOT_BUILT: &str = "this vspc-billing was built without PDF support (the cargo feature `pdf`, on by default: build it without `--no-default-features`, or with `--features pdf`)";

#[cfg(test)]
mod tests {
    use super::*;

    fn attachment(name: &str) -> Attachment {
        Attachment {
            name: name.to_owned(),
            mime: "text/xml".to_owned(),
            relationship: Relationship::Alternative,
            description: String::new(),
            bytes: b"<x/>".to_vec(),
        }
    }

    #[test]
    fn attachment_names_are_checked() {
        check_attachments(&[attachment(FACTUR_X_XML), attachment("a-1_b.txt")]).unwrap();
        for bad in [
            "",
            "../x.xml",
            "a/b",
            ".hidden",
            "x y",
            "é.xml",
            &"a".repeat(65),
        ] {
            let e = check_attachments(&[attachment(bad)]).unwrap_err();
            assert!(
                e.0.contains("a name is 1 to 64 ASCII letters"),
                "{bad}: {e}"
            );
        }
        let e = check_attachments(&[attachment("a.xml"), attachment("a.xml")]).unwrap_err();
        assert_eq!(e.0, "attachment \"a.xml\" is given twice");
    }

    #[cfg(not(feature = "pdf"))]
    #[test]
    fn without_the_feature_render_says_so() {
        assert_eq!(render("x", &[]).unwrap_err().0, NOT_BUILT);
    }
}
