//! Colour on standard output, decided once per run: `--color always|never|auto`; in `auto`,
//! `CLICOLOR_FORCE` (not `0`) forces it, `NO_COLOR` (<https://no-color.org>) turns it off, and
//! otherwise only a terminal gets it.

use anstyle::{AnsiColor, Effects, Style as Ansi};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU8, Ordering};
use vspc_billing::diag::Severity;

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub(super) enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set (`CLICOLOR_FORCE` forces it)
    #[default]
    Auto,
    /// Always, also into files and pipes
    Always,
    /// Never
    Never,
}

/// The run's choice (set once by `main`): 0 auto, 1 always, 2 never.
static CHOICE: AtomicU8 = AtomicU8::new(0);

/// Sets the run's colour choice.
pub(super) fn set_choice(c: ColorChoice) {
    CHOICE.store(
        match c {
            ColorChoice::Auto => 0,
            ColorChoice::Always => 1,
            ColorChoice::Never => 2,
        },
        Ordering::Relaxed,
    );
}

fn env_set(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Whether to colour a stream that is (or is not) a terminal.
fn colour(is_terminal: bool) -> bool {
    match CHOICE.load(Ordering::Relaxed) {
        1 => true,
        2 => false,
        _ => {
            if env_set("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
                true
            } else if env_set("NO_COLOR").is_some() {
                false
            } else {
                is_terminal
            }
        }
    }
}

/// Whether to colour, decided once per stream.
#[derive(Debug, Clone, Copy)]
pub(super) struct Style {
    color: bool,
}

impl Style {
    /// Style for standard output.
    pub(super) fn stdout() -> Self {
        Self {
            color: colour(std::io::stdout().is_terminal()),
        }
    }

    fn paint(self, text: &str, style: Ansi) -> String {
        if self.color {
            format!("{style}{text}{style:#}")
        } else {
            text.to_owned()
        }
    }

    /// Bold text.
    pub(super) fn bold(self, text: &str) -> String {
        self.paint(text, Ansi::new().effects(Effects::BOLD))
    }

    /// Green text.
    pub(super) fn good(self, text: &str) -> String {
        self.paint(text, AnsiColor::Green.on_default())
    }

    /// Text in the colour of a severity.
    pub(super) fn severity(self, s: Severity, text: &str) -> String {
        let style = match s {
            Severity::Error => AnsiColor::Red.on_default().effects(Effects::BOLD),
            Severity::Warning => AnsiColor::Yellow.on_default().effects(Effects::BOLD),
            Severity::Info => AnsiColor::Cyan.on_default(),
        };
        self.paint(text, style)
    }

    /// Dim text.
    pub(super) fn dim(self, text: &str) -> String {
        self.paint(text, Ansi::new().effects(Effects::DIMMED))
    }
}
