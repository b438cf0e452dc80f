//! The invoice run's documents: an [`InvoiceSink`] that renders each month's invoices
//! (HTML, Markdown, text), appends their rows to `invoices.csv` and `lines.csv`, streams the
//! template context (`--context`), and writes the provider's summary at the end, every file
//! staged in an output folder's [`Staging`] (nothing appears until the run commits).
//!
//! [`DocumentOptions::open`] and [`OpenFolder::write`] are the `invoice` command's run: the
//! output folder locked, every source billed into a [`DocumentSink`], files already there
//! refused unless forced, and the commit (all or nothing).

use crate::billing::Summary;
use crate::billing::invoice::Invoice;
use crate::billing::rates::RateCard;
use crate::billing::run::{BillingRun, InvoiceSink, RunOptions};
use crate::load::Source;
use crate::output::{Cleanup, OutDir, StagedWriter, Staging, check_extra_output};
use crate::render::{
    ContextWriter, InvoiceContext, OutputFile, Outputs, Renderer, SummaryContext, Templates,
    invoices_csv_header, lines_csv_header,
};
use crate::schedule::Observer;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Renders a run's invoices into staged files ([module docs](self)).
pub struct DocumentSink<'a> {
    out: &'a Path,
    card: &'a RateCard,
    renderer: Renderer<'a>,
    outputs: Outputs,
    staging: &'a Staging,
    invoices: Option<StagedWriter>,
    lines: Option<StagedWriter>,
    context: Option<(PathBuf, ContextWriter<StagedWriter>)>,
}

/// The message of a failed write to `path`.
fn cannot_write(path: &Path) -> impl Fn(std::io::Error) -> String + '_ {
    move |e| format!("cannot write {}: {e}", path.display())
}

impl<'a> DocumentSink<'a> {
    /// A sink writing `outputs` into `out` (and the context into `context`), staged in
    /// `staging`; the CSV files and the context are opened at once.
    ///
    /// # Errors
    /// A file that cannot be created.
    pub fn new(
        out: &'a Path,
        card: &'a RateCard,
        templates: &'a Templates,
        outputs: Outputs,
        context: Option<&Path>,
        staging: &'a Staging,
    ) -> Result<Self, String> {
        let open = |path: &Path, header: &[u8]| -> Result<StagedWriter, String> {
            let mut w = staging.open(path).map_err(cannot_write(path))?;
            w.write_all(header).map_err(cannot_write(path))?;
            Ok(w)
        };
        let (invoices, lines) = if outputs.csv {
            (
                Some(open(&out.join("invoices.csv"), &invoices_csv_header())?),
                Some(open(&out.join("lines.csv"), &lines_csv_header())?),
            )
        } else {
            (None, None)
        };
        let context = match context {
            None => None,
            Some(path) => {
                let w = staging.open(path).map_err(cannot_write(path))?;
                Some((
                    path.to_owned(),
                    ContextWriter::new(w).map_err(cannot_write(path))?,
                ))
            }
        };
        Ok(Self {
            out,
            card,
            renderer: Renderer::new(templates, &card.provider, card.rounding.as_str(), outputs),
            outputs,
            staging,
            invoices,
            lines,
            context,
        })
    }

    /// Stages one rendered file in the output folder.
    fn stage(&self, f: OutputFile) -> Result<(), String> {
        let path = self.out.join(&f.name);
        self.staging
            .stage(&path, &f.bytes)
            .map_err(cannot_write(&path))
    }
}

impl InvoiceSink for DocumentSink<'_> {
    fn month(&mut self, invoices: &[Invoice]) -> Result<(), String> {
        let rows = self
            .renderer
            .invoices(invoices, &|f| self.stage(f))
            .map_err(|e| e.to_string())?;
        for r in rows {
            if let Some(w) = &mut self.invoices {
                w.write_all(&r.invoices)
                    .map_err(cannot_write(&self.out.join("invoices.csv")))?;
            }
            if let Some(w) = &mut self.lines {
                w.write_all(&r.lines)
                    .map_err(cannot_write(&self.out.join("lines.csv")))?;
            }
        }
        if let Some((path, c)) = &mut self.context {
            for invoice in invoices {
                c.invoice(&InvoiceContext {
                    provider: &self.card.provider,
                    invoice,
                    rounding: self.card.rounding.as_str(),
                })
                .map_err(cannot_write(path))?;
            }
        }
        Ok(())
    }

    fn finish(&mut self, summary: &Summary) -> Result<(), String> {
        for (name, w) in [
            ("invoices.csv", self.invoices.take()),
            ("lines.csv", self.lines.take()),
        ] {
            if let Some(w) = w {
                self.staging
                    .close(w)
                    .map_err(cannot_write(&self.out.join(name)))?;
            }
        }
        if self.outputs.summary {
            self.renderer
                .summary(summary, &|f| self.stage(f))
                .map_err(|e| e.to_string())?;
        }
        if let Some((path, c)) = self.context.take() {
            let w = c
                .finish(&SummaryContext {
                    provider: &self.card.provider,
                    summary,
                })
                .map_err(cannot_write(&path))?;
            self.staging.close(w).map_err(cannot_write(&path))?;
        }
        Ok(())
    }
}

/// Where a run's documents go, and which: the output folder, the templates, the files, the
/// template context (`--context`), and whether files already there are replaced.
#[derive(Debug, Clone, Copy)]
pub struct DocumentOptions<'a> {
    /// The output folder (created if missing).
    pub out: &'a Path,
    /// The templates.
    pub templates: &'a Templates,
    /// Which files are written.
    pub outputs: Outputs,
    /// Also the exact JSON handed to the templates, into this file.
    pub context: Option<&'a Path>,
    /// Replace files that already exist.
    pub force: bool,
}

/// A run's output folder, opened ([`DocumentOptions::open`]): locked for the run, cleaned of
/// what an interrupted run left.
#[derive(Debug)]
pub struct OpenFolder<'a> {
    opts: DocumentOptions<'a>,
    dir: OutDir,
}

/// What a run wrote.
#[derive(Debug)]
pub struct Written {
    /// The billing run: its summary, and whether an input could not be read.
    pub run: BillingRun,
    /// Files written into the output folder (the context file not counted).
    pub files: usize,
}

impl<'a> DocumentOptions<'a> {
    /// Checks the context file, an output named on its own, against the run's inputs: the
    /// exports, the rate card and the files of the templates folder
    /// ([`check_extra_output`]).
    ///
    /// # Errors
    /// What is wrong with the context file (nothing when there is none).
    pub fn check_context(
        &self,
        sources: &[Source],
        rates: &Path,
        templates_dir: Option<&Path>,
    ) -> Result<(), String> {
        let Some(path) = self.context else {
            return Ok(());
        };
        let templates = templates_dir
            .into_iter()
            .filter_map(|d| std::fs::read_dir(d).ok())
            .flatten()
            .filter_map(Result::ok)
            .map(|e| e.path());
        let exports = sources.iter().filter_map(|s| match s {
            Source::File(p) => Some(p.clone()),
            Source::Stdin => None,
        });
        let reads = exports.chain([rates.to_owned()]).chain(templates);
        check_extra_output("--context", path, reads)
    }

    /// Opens the output folder ([`OutDir::open`]).
    ///
    /// # Errors
    /// A folder that is not one, is busy, or cannot be created.
    pub fn open(self) -> Result<OpenFolder<'a>, String> {
        let dir = OutDir::open(self.out).map_err(|e| e.to_string())?;
        Ok(OpenFolder { opts: self, dir })
    }
}

impl OpenFolder<'_> {
    /// What an interrupted earlier run had left, now removed.
    #[must_use]
    pub const fn cleaned(&self) -> Cleanup {
        self.dir.cleaned()
    }

    /// Bills every source ([`crate::billing::run::run`]) into the documents, staged in the
    /// folder, and writes them all, or nothing: files already in the folder are not
    /// replaced without [`DocumentOptions::force`], and a folder this run created is
    /// removed again when nothing is written.
    ///
    /// # Errors
    /// The run's error or a file that cannot be written, said with "nothing was written"
    /// when nothing was.
    pub fn write(
        self,
        sources: &[Source],
        card: &RateCard,
        opts: &RunOptions<'_>,
        observer: &dyn Observer,
    ) -> Result<Written, String> {
        let Self { opts: docs, dir } = self;
        let staging = dir.staging().map_err(|e| {
            format!(
                "cannot write into {}: {e}; nothing was written",
                docs.out.display()
            )
        })?;
        let run = DocumentSink::new(
            docs.out,
            card,
            docs.templates,
            docs.outputs,
            docs.context,
            &staging,
        )
        .and_then(|mut sink| crate::billing::run::run(sources, card, opts, &mut sink, observer))
        .and_then(|run| {
            staging.refuse_existing(docs.out, docs.force)?;
            Ok(run)
        });
        let run = match run {
            Ok(r) => r,
            Err(e) => {
                drop(staging);
                dir.discard();
                return Err(format!("{e}; nothing was written"));
            }
        };
        match staging.commit() {
            Ok(n) => Ok(Written {
                run,
                files: n - usize::from(docs.context.is_some()),
            }),
            Err(e) => {
                if e.left.is_empty() {
                    dir.discard();
                }
                Err(e.to_string())
            }
        }
    }
}
