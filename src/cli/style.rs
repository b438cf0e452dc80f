//! Colour on a terminal only, and never when NO_COLOR is set (<https://no-color.org>).

use std::io::IsTerminal;
use vspc_billing::diag::Severity;

/// Whether to colour, decided once per stream.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    color: bool,
}

impl Style {
    /// Style for standard output.
    pub fn stdout() -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Self {
            color: !no_color && std::io::stdout().is_terminal(),
        }
    }

    fn paint(self, text: &str, code: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    /// Bold text.
    pub fn bold(self, text: &str) -> String {
        self.paint(text, "1")
    }

    /// Green text.
    pub fn good(self, text: &str) -> String {
        self.paint(text, "32")
    }

    /// Text in the colour of a severity.
    pub fn severity(self, s: Severity, text: &str) -> String {
        match s {
            Severity::Error => self.paint(text, "1;31"),
            Severity::Warning => self.paint(text, "1;33"),
            Severity::Info => self.paint(text, "36"),
        }
    }

    /// Dim text.
    pub fn dim(self, text: &str) -> String {
        self.paint(text, "2")
    }
}
