//! `vspc-billing.toml`: the defaults of the monthly routine, so that the monthly job is
//! `vspc-billing invoice exports/2026-11/`.
//!
//! Read from `--config FILE`, else from `vspc-billing.toml` in the working folder when there
//! is one. Every key is optional; an option given on the command line wins over the file
//! (lists such as `allow` are joined). Paths in the file are relative to the file's folder.
//!
//! ```toml
//! [input]
//! threads = 4
//! max_input_size = "4GiB"
//!
//! [audit]                  # audit, and the audit that gates invoice
//! allow = ["weight-unexpected"]
//! deny = ["warnings"]
//! tolerance = "0.01"
//! weights = "weights.toml"
//!
//! [invoice]
//! rates = "rates.toml"
//! out = "invoices"
//! outputs = ["html", "csv", "summary"]
//! templates = "templates"
//! include_appendices = false
//! allow_unapproved = false
//! allow_findings = false
//! ```

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The file looked for in the working folder when `--config` is not given.
pub(super) const DEFAULT_FILE: &str = "vspc-billing.toml";

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Config {
    /// `[input]`.
    #[serde(default)]
    pub input: InputConfig,
    /// `[audit]`.
    #[serde(default)]
    pub audit: AuditConfig,
    /// `[invoice]`.
    #[serde(default)]
    pub invoice: InvoiceConfig,
    /// Where the file was found (paths in it are relative to its folder).
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

/// `[input]`: how inputs are read.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InputConfig {
    /// `--threads`.
    pub threads: Option<usize>,
    /// `--max-input-size`, e.g. `"4GiB"`.
    pub max_input_size: Option<String>,
}

/// `[audit]`: the audit's options, also for the audit that gates `invoice`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditConfig {
    /// `--allow`.
    #[serde(default)]
    pub allow: Vec<String>,
    /// `--deny`.
    #[serde(default)]
    pub deny: Vec<String>,
    /// `--tolerance` (a decimal, written as a string to keep it exact).
    pub tolerance: Option<String>,
    /// `--weights`.
    pub weights: Option<PathBuf>,
}

/// `[invoice]`: the invoice run's defaults.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InvoiceConfig {
    /// `--rates`.
    pub rates: Option<PathBuf>,
    /// `--out`.
    pub out: Option<PathBuf>,
    /// `--outputs`.
    pub outputs: Option<Vec<String>>,
    /// `--templates`.
    pub templates: Option<PathBuf>,
    /// `--register`.
    pub register: Option<PathBuf>,
    /// `--include-appendices`.
    #[serde(default)]
    pub include_appendices: bool,
    /// `--allow-unapproved`.
    #[serde(default)]
    pub allow_unapproved: bool,
    /// `--allow-findings`.
    #[serde(default)]
    pub allow_findings: bool,
}

impl Config {
    /// Reads `--config FILE`, else `vspc-billing.toml` in the working folder if it exists,
    /// else nothing.
    ///
    /// # Errors
    /// A file that cannot be read or parsed (with its place and the key), or a `--config`
    /// that does not exist.
    pub(crate) fn load(explicit: Option<&Path>) -> Result<Self, String> {
        let path = match explicit {
            Some(p) => p.to_owned(),
            None if Path::new(DEFAULT_FILE).is_file() => PathBuf::from(DEFAULT_FILE),
            None => return Ok(Self::default()),
        };
        let shown = path.display();
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("cannot read {shown}: {e}"))?;
        let mut config: Self = toml::from_str(&text).map_err(|e| {
            let at = e.span().map_or_else(String::new, |span| {
                let line = text[..span.start].matches('\n').count() + 1;
                let column = text[..span.start]
                    .rsplit('\n')
                    .next()
                    .map_or(1, |l| l.chars().count() + 1);
                format!(":{line}:{column}")
            });
            format!("{shown}{at}: {}", e.message())
        })?;
        config.path = Some(path);
        Ok(config)
    }

    /// A path written in the file, relative to the file's folder.
    #[must_use]
    pub(crate) fn resolve(&self, p: &Path) -> PathBuf {
        match self.path.as_deref().and_then(Path::parent) {
            Some(dir) if p.is_relative() && !dir.as_os_str().is_empty() => dir.join(p),
            _ => p.to_owned(),
        }
    }

    /// `what` from the command line, else from the file (resolved), else `None`.
    #[must_use]
    pub(crate) fn path_or(&self, cli: Option<&PathBuf>, file: Option<&PathBuf>) -> Option<PathBuf> {
        cli.cloned().or_else(|| file.map(|p| self.resolve(p)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked_and_paths_are_relative_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(
            &p,
            "[invoice]\nrates = \"rates.toml\"\nout = \"/abs/out\"\n[audit]\nallow = [\"x\"]\n",
        )
        .unwrap();
        let c = Config::load(Some(&p)).unwrap();
        assert_eq!(
            c.path_or(None, c.invoice.rates.as_ref()),
            Some(dir.path().join("rates.toml"))
        );
        assert_eq!(
            c.path_or(None, c.invoice.out.as_ref()),
            Some(PathBuf::from("/abs/out"))
        );
        let cli = PathBuf::from("mine.toml");
        assert_eq!(c.path_or(Some(&cli), c.invoice.rates.as_ref()), Some(cli));
        std::fs::write(&p, "[invoice]\nrate = \"r.toml\"\n").unwrap();
        let e = Config::load(Some(&p)).unwrap_err();
        assert!(e.contains("c.toml:2:1: unknown field `rate`"), "{e}");
        assert!(Config::load(Some(&dir.path().join("none.toml"))).is_err());
    }
}
