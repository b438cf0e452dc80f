//! Reading a card: TOML parsed keeping every number's text, then typed; every problem located.

use super::card::RateCard;
use crate::locate::LineIndex;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::str::FromStr;
use toml::de::{DeTable, DeValue};

/// One problem in a rate card, located.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CardError {
    /// The code (`rate-card-invalid`; `vspc-billing explain` knows it).
    pub code: crate::codes::Code,
    /// The file, as named on the command line.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column in characters, when known.
    pub column: Option<usize>,
    /// Dotted key path (`workloads.VBR_VM.graduated[1].up_to`), when known.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for CardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{l}:{c}: ", self.file)?,
            _ => write!(f, "{}: ", self.file)?,
        }
        if !self.key.is_empty() {
            write!(f, "{}: ", self.key)?;
        }
        f.write_str(&self.message)
    }
}

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum KeySeg {
    Key(String),
    Index(usize),
}

fn key_text(path: &[KeySeg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            KeySeg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                let bare = !k.is_empty()
                    && k.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                if bare {
                    s.push_str(k);
                } else {
                    s.push('"');
                    s.push_str(&k.replace('\\', "\\\\").replace('"', "\\\""));
                    s.push('"');
                }
            }
            KeySeg::Index(i) => {
                s.push('[');
                s.push_str(&i.to_string());
                s.push(']');
            }
        }
    }
    s
}

/// Collects located problems while a card is checked.
pub(super) struct Problems<'a> {
    file: &'a str,
    root: Option<&'a DeTable<'a>>,
    index: LineIndex<'a>,
    pub(super) out: Vec<CardError>,
}

impl<'a> Problems<'a> {
    pub(super) fn new(file: &'a str, text: &'a str, root: Option<&'a DeTable<'a>>) -> Self {
        Self {
            file,
            root,
            index: LineIndex::new(text.as_bytes()),
            out: Vec::new(),
        }
    }

    pub(super) fn at_offset(&mut self, offset: Option<usize>, key: String, message: String) {
        let pos = offset.map(|o| self.index.position(o));
        self.out.push(CardError {
            code: crate::codes::Code::RateCardInvalid,
            file: self.file.to_owned(),
            line: pos.map(|p| p.line),
            column: pos.map(|p| p.column),
            key,
            message,
        });
    }

    /// A problem with the value at `path` (`key_only`: point at the key itself).
    pub(super) fn push(&mut self, path: &[KeySeg], key_only: bool, message: impl Into<String>) {
        let span = self.root.and_then(|r| span_of(r, path, key_only));
        self.at_offset(span.map(|s| s.start), key_text(path), message.into());
    }
}

/// The key path of the deepest key or value whose text holds byte `offset` (a table's
/// own span is its header only, so every table is searched).
fn path_at(root: &DeTable<'_>, offset: usize) -> Vec<KeySeg> {
    fn search(value: &DeValue<'_>, offset: usize, path: &mut Vec<KeySeg>) -> bool {
        /// A child: its step, its value, and the span of its key (tables only).
        type Child<'v, 'a> = (KeySeg, &'v toml::Spanned<DeValue<'a>>, Option<Range<usize>>);
        let children: Vec<Child<'_, '_>> = match value {
            DeValue::Table(t) => t
                .iter()
                .map(|(k, v)| (KeySeg::Key(k.get_ref().to_string()), v, Some(k.span())))
                .collect(),
            DeValue::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, v)| (KeySeg::Index(i), v, None))
                .collect(),
            _ => return false,
        };
        for (seg, v, key) in children {
            path.push(seg);
            let here = key.is_some_and(|k| k.contains(&offset)) || v.span().contains(&offset);
            if search(v.get_ref(), offset, path) || here {
                return true;
            }
            path.pop();
        }
        false
    }
    let mut path = Vec::new();
    for (k, v) in root {
        path.push(KeySeg::Key(k.get_ref().to_string()));
        if search(v.get_ref(), offset, &mut path)
            || k.span().contains(&offset)
            || v.span().contains(&offset)
        {
            return path;
        }
        path.pop();
    }
    path
}

/// A deserializer's message, with a "did you mean" for a misspelt key or value
/// (`unknown field ``per_piont``, expected one of ``per_point``, ...`).
fn with_suggestion(message: &str) -> String {
    let names: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
    let (Some(first), true) = (names.first(), message.starts_with("unknown ")) else {
        return message.to_owned();
    };
    match crate::text::did_you_mean(first, names[1..].iter().copied()).first() {
        Some(near) => format!("{message}; did you mean `{near}`?"),
        None => message.to_owned(),
    }
}

/// Span of the value (or of the key, for `key_only`) at `path`; the deepest existing
/// ancestor when the path does not exist (a missing key).
fn span_of(root: &DeTable<'_>, path: &[KeySeg], key_only: bool) -> Option<Range<usize>> {
    let mut best: Option<Range<usize>> = None;
    let mut table: Option<&DeTable<'_>> = Some(root);
    let mut value: Option<&DeValue<'_>> = None;
    for (i, seg) in path.iter().enumerate() {
        let last = i + 1 == path.len();
        let next = match (seg, table, value) {
            (KeySeg::Key(k), Some(t), _) => t.get_key_value(k.as_str()).map(|(key, v)| {
                if last && key_only {
                    best = Some(key.span());
                }
                v
            }),
            (KeySeg::Index(n), _, Some(DeValue::Array(a))) => a.get(*n),
            _ => None,
        };
        let Some(v) = next else { break };
        if !(last && key_only) {
            best = Some(v.span());
        }
        value = Some(v.get_ref());
        table = v.get_ref().as_table();
    }
    best
}

/// Verifies that every TOML float's text has exactly the value that reaches the typed
/// card (the shortest text of the `f64` the parser makes of it).
fn check_floats(value: &DeValue<'_>, path: &mut Vec<KeySeg>, p: &mut Problems<'_>) {
    match value {
        DeValue::Float(f) => {
            let text = f.as_str();
            let written = crate::num::parse_decimal(text).ok();
            let read = text
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .and_then(|v| Decimal::from_str_exact(&v.to_string()).ok());
            match (written, read) {
                (Some(w), Some(r)) if w == r => {}
                (Some(_), _) => p.push(
                    path,
                    false,
                    format!(
                        "{text} has more digits than a TOML float holds exactly; write it as a string: \"{text}\""
                    ),
                ),
                (None, _) => p.push(path, false, format!("{text} is not a finite decimal number")),
            }
        }
        DeValue::Table(t) => {
            for (k, v) in t {
                path.push(KeySeg::Key(k.get_ref().to_string()));
                check_floats(v.get_ref(), path, p);
                path.pop();
            }
        }
        DeValue::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                path.push(KeySeg::Index(i));
                check_floats(v.get_ref(), path, p);
                path.pop();
            }
        }
        _ => {}
    }
}

impl RateCard {
    /// Located problems with the `[tenants."UID"]` entries `uids` of the card `text`, each
    /// with `code` and the message `message(uid)`: the place of the entry's key.
    #[must_use]
    pub fn tenant_errors(
        file: &str,
        text: &str,
        uids: &[String],
        code: crate::codes::Code,
        message: impl Fn(&str) -> String,
    ) -> Vec<CardError> {
        let problems: Vec<(Vec<String>, String)> = uids
            .iter()
            .map(|uid| (vec!["tenants".to_owned(), uid.clone()], message(uid)))
            .collect();
        Self::key_errors(file, text, &problems, code)
    }

    /// Located problems of the card `text`, each a key path (`["accounting",
    /// "account_code"]`) and a message, with `code`: at the key, or, when it is missing,
    /// at the deepest table of the path that the card has.
    #[must_use]
    pub fn key_errors(
        file: &str,
        text: &str,
        problems: &[(Vec<String>, String)],
        code: crate::codes::Code,
    ) -> Vec<CardError> {
        let root = DeTable::parse(text).ok();
        let mut p = Problems::new(file, text, root.as_ref().map(toml::Spanned::get_ref));
        for (path, message) in problems {
            let path: Vec<KeySeg> = path.iter().map(|k| KeySeg::Key(k.clone())).collect();
            p.push(&path, true, message.clone());
        }
        p.out.into_iter().map(|e| CardError { code, ..e }).collect()
    }

    /// Reads a rate card from a file.
    ///
    /// # Errors
    /// Every problem found, located; a file that cannot be read gives one error.
    pub fn load(path: &Path) -> Result<Self, Vec<CardError>> {
        let name = path.display().to_string();
        match std::fs::read(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => Self::parse(&name, &text),
                Err(e) => {
                    let off = e.utf8_error().valid_up_to();
                    let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
                    let mut p = Problems::new(&name, &text, None);
                    p.at_offset(
                        Some(off),
                        String::new(),
                        "the file is not UTF-8 (TOML must be UTF-8)".into(),
                    );
                    Err(p.out)
                }
            },
            Err(e) => Err(vec![CardError {
                code: crate::codes::Code::RateCardInvalid,
                file: name,
                line: None,
                column: None,
                key: String::new(),
                message: format!("cannot read the rate card: {e}"),
            }]),
        }
    }

    /// Reads a rate card from its text; `file` names it in errors.
    ///
    /// # Errors
    /// Every problem found, located.
    pub fn parse(file: &str, text: &str) -> Result<Self, Vec<CardError>> {
        let root = match DeTable::parse(text) {
            Ok(r) => r,
            Err(e) => {
                let mut p = Problems::new(file, text, None);
                p.at_offset(
                    e.span().map(|s| s.start),
                    String::new(),
                    e.message().trim().to_owned(),
                );
                return Err(p.out);
            }
        };
        let root_table = root.get_ref();
        let mut p = Problems::new(file, text, Some(root_table));
        for (k, v) in root_table {
            let mut path = vec![KeySeg::Key(k.get_ref().to_string())];
            check_floats(v.get_ref(), &mut path, &mut p);
        }
        if !p.out.is_empty() {
            return Err(p.out);
        }
        let card = match toml::de::Deserializer::parse(text).and_then(Self::deserialize) {
            Ok(c) => c,
            Err(e) => {
                let at = e.span().map(|s| s.start);
                let key = at.map_or_else(String::new, |o| key_text(&path_at(root_table, o)));
                p.at_offset(at, key, with_suggestion(e.message().trim()));
                return Err(p.out);
            }
        };
        card.check_into(&mut p);
        if p.out.is_empty() {
            let mut card = card;
            // The printed address: the lines as written, else the structured address's.
            if card.provider.address.is_empty()
                && let Some(a) = &card.provider.postal_address
            {
                card.provider.address = a.lines();
            }
            Ok(card)
        } else {
            Err(p.out)
        }
    }
}

impl FromStr for RateCard {
    type Err = Vec<CardError>;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse("rate card", s)
    }
}
