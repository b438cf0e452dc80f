//! Findings: problems in the input, as values.
//!
//! A finding has a stable kebab-case code (documented in [`crate::codes`]), a severity,
//! the file, a JSON pointer and (once located) the line and column, a plain message and,
//! where a number is wrong, the exact `expected` and `found` values. Checks produce
//! findings; printers in the binary render them.

use crate::codes::Code;
use crate::locate::{LineIndex, locate_offsets};
use serde::Serialize;
use std::fmt;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The data is wrong or unusable as it is.
    Error,
    /// Probably wrong; look at it.
    Warning,
    /// Worth knowing.
    Info,
}

impl Severity {
    /// Lower-case name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found in one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The code (shown and serialized as its stable kebab-case name); `vspc-billing
    /// explain CODE` describes it.
    pub code: Code,
    /// Severity.
    pub severity: Severity,
    /// The file, as named on the command line (`-` reads as `<stdin>`).
    pub file: String,
    /// JSON pointer to the value concerned (`""` is the whole document).
    pub pointer: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column in characters, when known.
    pub column: Option<usize>,
    /// What is wrong, in plain words.
    pub message: String,
    /// The value recomputed by the tool, exact.
    pub expected: Option<String>,
    /// The value found in the input.
    pub found: Option<String>,
}

impl Finding {
    /// A finding at a pointer, not yet located.
    #[must_use]
    pub fn new(
        code: Code,
        severity: Severity,
        file: &str,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            code,
            severity,
            file: file.to_owned(),
            pointer: pointer.into(),
            line: None,
            column: None,
            message: message.into(),
            expected: None,
            found: None,
        }
    }

    /// A finding with the code's documented default severity ([`crate::codes`]).
    #[must_use]
    pub fn of(
        code: Code,
        file: &str,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::new(code, code.severity(), file, pointer, message)
    }

    /// Adds the expected and found values.
    #[must_use]
    pub fn with_values(mut self, expected: impl fmt::Display, found: impl fmt::Display) -> Self {
        self.expected = Some(expected.to_string());
        self.found = Some(found.to_string());
        self
    }

    /// Sets the position.
    #[must_use]
    pub const fn at(mut self, line: usize, column: usize) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    /// `file:line:column` (or `file` alone when the position is unknown).
    #[must_use]
    pub fn location(&self) -> String {
        match (self.line, self.column) {
            (Some(l), Some(c)) => format!("{}:{l}:{c}", self.file),
            _ => self.file.clone(),
        }
    }
}

/// Fills in line and column of every finding that has none, from its pointer, in one
/// pass over the text.
pub fn resolve_locations(text: &[u8], findings: &mut [Finding]) {
    let pending: Vec<usize> = (0..findings.len())
        .filter(|&i| findings[i].line.is_none())
        .collect();
    if pending.is_empty() {
        return;
    }
    let pointers: Vec<&str> = pending
        .iter()
        .map(|&i| findings[i].pointer.as_str())
        .collect();
    let offsets = locate_offsets(text, &pointers);
    let index = LineIndex::new(text);
    let found: Vec<usize> = offsets.iter().flatten().copied().collect();
    let mut positions = index.positions(&found).into_iter();
    for (&i, off) in pending.iter().zip(offsets) {
        if off.is_some()
            && let Some(p) = positions.next()
        {
            findings[i].line = Some(p.line);
            findings[i].column = Some(p.column);
        }
    }
}

/// Orders findings for output: by file, then position, then code and message.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(finding_order);
}

/// The order of [`sort_findings`]: by file, then position, then code and message.
#[must_use]
pub fn finding_order(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    (
        &a.file,
        a.line.unwrap_or(0),
        a.column.unwrap_or(0),
        &a.pointer,
        a.code,
        &a.message,
    )
        .cmp(&(
            &b.file,
            b.line.unwrap_or(0),
            b.column.unwrap_or(0),
            &b.pointer,
            b.code,
            &b.message,
        ))
}
