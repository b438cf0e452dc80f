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
//! change_percent = 50      # across months (audit and report): usage-spike, usage-drop...
//! change_min_points = 100
//! total_change_percent = 20
//! doubling_ratio = "1.9"   # decimals as strings, to keep them exact
//! doubling_min_count = 5
//! stable_percent = 10
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
    /// `--change-percent`.
    pub change_percent: Option<Number>,
    /// `--change-min-points`.
    pub change_min_points: Option<Number>,
    /// `--total-change-percent`.
    pub total_change_percent: Option<Number>,
    /// `--doubling-ratio`.
    pub doubling_ratio: Option<Number>,
    /// `--doubling-min-count`.
    pub doubling_min_count: Option<i64>,
    /// `--stable-percent`.
    pub stable_percent: Option<Number>,
}

/// A threshold in the file: an integer (`50`) or a decimal written as a string (`"1.9"`),
/// kept as its text and read exactly; a TOML float is refused (it would go through binary
/// floating point).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Number(pub String);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Number;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an integer, or a decimal written as a string (\"1.9\")")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Number, E> {
                Ok(Number(v.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Number, E> {
                Ok(Number(v.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Number, E> {
                Err(E::custom(format!(
                    "write the decimal {v} as a string (\"{v}\") so that it is read exactly"
                )))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Number, E> {
                Ok(Number(v.to_owned()))
            }
        }
        d.deserialize_any(V)
    }
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

    #[test]
    fn thresholds_are_integers_or_decimal_strings_never_floats() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(
            &p,
            "[audit]\nchange_percent = 30\ndoubling_ratio = \"1.75\"\ndoubling_min_count = 3\n",
        )
        .unwrap();
        let c = Config::load(Some(&p)).unwrap();
        assert_eq!(c.audit.change_percent, Some(Number("30".into())));
        assert_eq!(c.audit.doubling_ratio, Some(Number("1.75".into())));
        assert_eq!(c.audit.doubling_min_count, Some(3));
        std::fs::write(&p, "[audit]\nstable_percent = 2.5\n").unwrap();
        let e = Config::load(Some(&p)).unwrap_err();
        assert!(
            e.contains("c.toml:2:18") && e.contains("as a string"),
            "{e}"
        );
    }
}
