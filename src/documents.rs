//! The invoice run's documents: an [`InvoiceSink`] that renders each month's invoices
//! (HTML, Markdown, text, PDF), appends their rows to `invoices.csv` and `lines.csv`, streams the
//! template context (`--context`), and writes the provider's summary at the end, every file
//! staged in an output folder's [`Staging`] (nothing appears until the run commits).

use crate::billing::Summary;
use crate::billing::invoice::Invoice;
use crate::billing::rates::RateCard;
use crate::billing::run::InvoiceSink;
use crate::output::{StagedWriter, Staging};
use crate::render::{
    Attachments, ContextWriter, InvoiceContext, OutputFile, Outputs, Renderer, SummaryContext,
    Templates, invoices_csv_header, lines_csv_header,
};
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
            renderer: Renderer::new(templates, card, outputs),
            outputs,
            staging,
            invoices,
            lines,
            context,
        })
    }

    /// Embeds in each invoice's PDF the files `attachments` gives for it
    /// ([`Renderer::with_attachments`]).
    #[must_use]
    pub fn with_attachments(mut self, attachments: &'a Attachments<'a>) -> Self {
        self.renderer = self.renderer.with_attachments(attachments);
        self
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
                c.invoice(&InvoiceContext::new(self.card, invoice))
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
