//! Text from the input (company names, descriptions, file names) made safe for where it
//! goes: a terminal, a rendered document, a CSV cell. The data itself is kept as read.
//!
//! Three rules, one place:
//! - [`printable`], for terminal output: control characters (escape sequences, a newline
//!   that would forge an output line) and invisible format characters are shown escaped;
//! - [`clean`], for documents (invoices, summaries, CSV): control characters become
//!   U+FFFD and invisible format characters are dropped, so that a bidirectional override
//!   (U+202E) cannot make a name read differently from what it is;
//! - [`neutralise`], the one CSV formula guard: a cell a spreadsheet would run as a
//!   formula gets a leading `'`, also behind leading invisible characters or spaces.

use std::borrow::Cow;

/// Whether `c` is an invisible format character that can change how the text around it
/// reads: bidirectional embeddings, overrides, isolates and marks, zero-width spaces and
/// joiners, the word joiner and invisible operators, the byte-order mark, and the soft
/// hyphen.
#[must_use]
pub const fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// Text for a terminal: control and invisible characters escaped (`\u{202e}`), the rest
/// as it is.
#[must_use]
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() || is_invisible(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() || is_invisible(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Text for a document: trimmed, control characters replaced with U+FFFD, invisible
/// format characters dropped.
#[must_use]
pub fn clean(s: &str) -> String {
    let kept: String = s
        .trim()
        .chars()
        .filter(|&c| !is_invisible(c))
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect();
    match kept.trim() {
        t if t.len() == kept.len() => kept,
        t => t.to_owned(),
    }
}

/// The CSV formula guard, for every CSV the tool writes: a text cell that a spreadsheet
/// would run as a formula (its first visible character is `=`, `+`, `-`, `@` or their
/// full-width forms, or it starts with a tab, carriage return or line feed) gets a leading
/// `'`. Leading spaces and invisible characters do not hide a formula.
///
/// Numbers the tool formats itself are written as they are, so that a negative margin
/// stays a number.
#[must_use]
pub fn neutralise(s: &str) -> Cow<'_, str> {
    if s.starts_with(['\t', '\r', '\n']) {
        return Cow::Owned(format!("'{s}"));
    }
    match s.chars().find(|&c| !(c == ' ' || is_invisible(c))) {
        Some('=' | '+' | '-' | '@' | '＝' | '＋' | '－' | '＠') => Cow::Owned(format!("'{s}")),
        _ => Cow::Borrowed(s),
    }
}

/// The candidates nearest to a misspelt `word` (Damerau-Levenshtein distance, so that a
/// swapped pair of letters counts once), at most a third of its length away: for "did you
/// mean" hints. Best first; empty when nothing is near.
#[must_use]
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let word = word.to_ascii_lowercase();
    let limit = (word.chars().count() / 3).max(1);
    let mut near: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|c| {
            (
                strsim::damerau_levenshtein(&word, &c.to_ascii_lowercase()),
                c,
            )
        })
        .filter(|&(d, _)| d <= limit)
        .collect();
    near.sort_unstable();
    let best = near.first().map(|&(d, _)| d);
    near.into_iter()
        .filter(|&(d, _)| Some(d) == best)
        .map(|(_, c)| c)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_text_shows_what_hides() {
        assert_eq!(printable("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(printable("x.json\nbilled  y"), "x.json\\nbilled  y");
        assert_eq!(printable("Acme\u{202E}gnp.exe"), "Acme\\u{202e}gnp.exe");
        assert_eq!(printable("Zürich"), "Zürich");
        assert!(matches!(printable("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn documents_drop_invisible_characters() {
        assert_eq!(clean(" Evil\u{1b}[31mCorp\r\n"), "Evil\u{FFFD}[31mCorp");
        assert_eq!(clean("Acme\u{202E}gnp.exe"), "Acmegnp.exe");
        assert_eq!(clean("Fab\u{200B}ri\u{200D}kam\u{FEFF}"), "Fabrikam");
        assert_eq!(clean("Łódź Żółć"), "Łódź Żółć");
    }

    #[test]
    fn formulas_are_neutralised_behind_invisible_characters() {
        for s in [
            "=1+1",
            "+1",
            "-5.0",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
            "\n=1",
            "＝1",
            " =1",
            "\u{200B}=HYPERLINK(\"x\")",
            "\u{202E}\u{FEFF}@x",
        ] {
            assert!(neutralise(s).starts_with('\''), "{s:?}");
        }
        for s in ["Contoso", "", "a=b", " Contoso", "1-2"] {
            assert_eq!(neutralise(s), s);
        }
    }

    #[test]
    fn near_words_are_suggested() {
        let codes = [
            "points-mismatch",
            "point-rounding",
            "summary-total-mismatch",
        ];
        assert_eq!(did_you_mean("pionts-mismatch", codes), ["points-mismatch"]);
        assert_eq!(did_you_mean("points-mismach", codes), ["points-mismatch"]);
        assert_eq!(did_you_mean("POINTS-MISMATCH", codes), ["points-mismatch"]);
        assert!(did_you_mean("weights", codes).is_empty());
        assert_eq!(
            did_you_mean("per_piont", ["per_point", "per_unit"]),
            ["per_point"]
        );
    }
}
