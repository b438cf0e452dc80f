//! The invoice run's documents: an [`InvoiceSink`] that renders each month's invoices
//! (HTML, Markdown, text, PDF), appends their rows to `invoices.csv` and `lines.csv` and to
//! the accounting presets' files ([`crate::accounting`]), streams the
//! template context (`--context`), and writes the provider's summary at the end, every file
//! staged in an output folder's [`Staging`] (nothing appears until the run commits). With
//! `cii` or `pdf` (whose file embeds the CII as `factur-x.xml`), every invoice of a month is
//! checked for what the e-invoice needs first: a month with a gap stops the run
//! ([`DocumentSink::missing`]), so nothing is written.

use crate::accounting::{PresetFile, PresetWriter};
use crate::billing::Summary;
use crate::billing::invoice::Invoice;
use crate::billing::rates::RateCard;
use crate::billing::run::InvoiceSink;
use crate::einvoice::Missing;
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
    /// The accounting presets' files, with what writes their rows.
    presets: Vec<(PresetFile, StagedWriter)>,
    preset_writer: Option<PresetWriter<'a>>,
    context: Option<(PathBuf, ContextWriter<StagedWriter>)>,
    missing: Vec<Missing>,
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
    /// A file that cannot be created, or an accounting preset asked for with a card that
    /// has no `[accounting]` (checked before, with located errors:
    /// [`crate::accounting::check_card`]).
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
        let presets = outputs
            .presets()
            .iter()
            .flat_map(|p| p.files())
            .map(|&f| Ok((f, open(&out.join(f.name()), &f.header())?)))
            .collect::<Result<Vec<_>, String>>()?;
        let preset_writer = PresetWriter::new(card);
        if !presets.is_empty() && preset_writer.is_none() {
            return Err("the accounting presets need an [accounting] section in the rate card; nothing was written".to_owned());
        }
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
            presets,
            preset_writer,
            context,
            missing: Vec::new(),
        })
    }

    /// What the card lacks for the e-invoices of the month that stopped the run (see
    /// [`crate::einvoice::missing`]), each key once; empty otherwise.
    #[must_use]
    pub fn missing(&self) -> &[Missing] {
        &self.missing
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
        // A PDF embeds the invoice's CII (Factur-X, unless the card says `factur_x =
        // false`): it needs what cii needs.
        let factur_x = self.outputs.pdf && self.card.factur_x;
        if let Some(format) = [(self.outputs.cii, "cii"), (factur_x, "pdf")]
            .into_iter()
            .find_map(|(on, f)| on.then_some(f))
        {
            let mut missing: Vec<Missing> = invoices
                .iter()
                .flat_map(|i| crate::einvoice::missing(i, &self.card.provider, format))
                .collect();
            missing.sort();
            missing.dedup_by(|a, b| a.key == b.key);
            if !missing.is_empty() {
                self.missing = missing;
                return Err(format!("the rate card lacks what --outputs {format} needs"));
            }
        }
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
        if let Some(pw) = &self.preset_writer {
            for (file, w) in &mut self.presets {
                let rows = pw.rows(*file, invoices)?;
                w.write_all(&rows)
                    .map_err(cannot_write(&self.out.join(file.name())))?;
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
        for (file, w) in std::mem::take(&mut self.presets) {
            self.staging
                .close(w)
                .map_err(cannot_write(&self.out.join(file.name())))?;
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
