//! Positions in the JSON text: JSON pointer → byte offset → line and column.
//!
//! This is the one place that maps a pointer to a place in a file. It walks the text once
//! for a whole batch of pointers, descending only into the members a pointer names and
//! skipping every other value by scanning bytes, so locating the findings of a 100 MB file
//! costs one fast pass rather than a parse.

use std::collections::HashMap;

/// A place in a file: 1-based line and 1-based column counted in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
}

/// Splits a JSON pointer (`/data/0/a~1b`) into unescaped tokens.
#[must_use]
pub fn pointer_tokens(pointer: &str) -> Vec<String> {
    if pointer.is_empty() {
        return Vec::new();
    }
    pointer
        .strip_prefix('/')
        .unwrap_or(pointer)
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// Escapes one token for a JSON pointer.
#[must_use]
pub fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Line starts of a text, for offset → position.
pub struct LineIndex<'a> {
    text: &'a [u8],
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    /// Indexes the line starts of `text`.
    #[must_use]
    pub fn new(text: &'a [u8]) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text).map(|i| i + 1));
        Self { text, starts }
    }

    /// The position of a byte offset (clamped to the text).
    #[must_use]
    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        let column = count_chars(&self.text[start..offset]) + 1;
        Position { line, column }
    }

    /// The positions of many offsets (each as [`Self::position`] gives it), counting the
    /// characters of each line once: in a file written on one line (as the API sends it),
    /// counting from the line start for each offset would read the whole file per finding.
    #[must_use]
    pub fn positions(&self, offsets: &[usize]) -> Vec<Position> {
        let mut order: Vec<usize> = (0..offsets.len()).collect();
        order.sort_unstable_by_key(|&i| offsets[i]);
        let mut out = vec![Position { line: 1, column: 1 }; offsets.len()];
        // The last offset placed, and its position.
        let mut last: Option<(usize, Position)> = None;
        for i in order {
            let offset = offsets[i].min(self.text.len());
            let line = self.starts.partition_point(|&s| s <= offset);
            let start = self.starts[line - 1];
            let column = match last {
                // Characters are counted by their first byte, so counts add up.
                Some((at, p)) if p.line == line => p.column + count_chars(&self.text[at..offset]),
                _ => count_chars(&self.text[start..offset]) + 1,
            };
            let p = Position { line, column };
            out[i] = p;
            last = Some((offset, p));
        }
        out
    }

    /// The byte offset of a 1-based line and 1-based *byte* column, as `serde_json` reports them.
    #[must_use]
    pub fn offset_of_byte_column(&self, line: usize, byte_column: usize) -> usize {
        let start = self
            .starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.text.len());
        (start + byte_column.saturating_sub(1)).min(self.text.len())
    }
}

fn count_chars(bytes: &[u8]) -> usize {
    // Count bytes that start a UTF-8 character; invalid bytes count as one each.
    bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count()
}

#[derive(Default)]
struct Trie {
    children: HashMap<String, usize>,
}

struct Walker<'a> {
    b: &'a [u8],
    nodes: Vec<Trie>,
    found: Vec<Option<usize>>,
    /// Whether a node is the end of a pointer.
    target: Vec<bool>,
    /// Targets not found yet: the walk stops when none is left.
    left: usize,
}

/// Scanning errors are not reported: a pointer that cannot be followed is simply not found.
type Scan<T> = Option<T>;

/// Skips white space from `i`.
#[must_use]
pub fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while let Some(c) = b.get(i) {
        if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
            i += 1;
        } else {
            break;
        }
    }
    i
}

/// From the opening quote at `i`, returns the offset after the closing quote.
fn skip_string(b: &[u8], i: usize) -> Scan<usize> {
    let mut j = i + 1;
    loop {
        let k = memchr::memchr2(b'"', b'\\', b.get(j..)?)? + j;
        if b[k] == b'\\' {
            j = k + 2;
        } else {
            return Some(k + 1);
        }
    }
}

/// Reads a string at `i` (which must be `"`), returning its unescaped text and the end.
/// A string that has no text as a Rust string (a lone UTF-16 surrogate escape, `"\ud800"`)
/// is returned as written between its quotes: it then names nothing the scanner looks for.
#[must_use]
pub fn read_string(b: &[u8], i: usize) -> Scan<(String, usize)> {
    let end = skip_string(b, i)?;
    let raw = &b[i..end];
    let inner = std::str::from_utf8(&raw[1..raw.len() - 1]).ok()?;
    let text = if raw.contains(&b'\\') {
        serde_json::from_slice::<String>(raw).unwrap_or_else(|_| inner.to_owned())
    } else {
        inner.to_owned()
    };
    Some((text, end))
}

/// From the first byte of a value at `i`, returns the offset just after the value.
#[must_use]
pub fn skip_value(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => skip_string(b, i),
        open @ (b'{' | b'[') => {
            // Only brackets of the value's own kind change its depth (the other kind is
            // balanced inside it), and brackets inside strings are skipped with the strings:
            // so one `memchr3` finds every byte that matters.
            let close = if open == b'{' { b'}' } else { b']' };
            let mut depth = 0usize;
            let mut j = i;
            loop {
                let k = j + memchr::memchr3(b'"', open, close, b.get(j..)?)?;
                if b[k] == b'"' {
                    j = skip_string(b, k)?;
                } else if b[k] == open {
                    depth += 1;
                    j = k + 1;
                } else {
                    depth -= 1;
                    j = k + 1;
                    if depth == 0 {
                        return Some(j);
                    }
                }
            }
        }
        _ => {
            // number, true, false, null
            let mut j = i;
            while b
                .get(j)
                .is_some_and(|c| !matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
            {
                j += 1;
            }
            (j > i).then_some(j)
        }
    }
}

impl Walker<'_> {
    fn walk(&mut self, node: usize, i: usize) -> Scan<usize> {
        if self.found[node].is_none() && self.target[node] {
            self.left -= 1;
        }
        self.found[node] = Some(i);
        if self.left == 0 {
            return None; // every pointer is found: the rest of the text need not be read
        }
        if self.nodes[node].children.is_empty() {
            return skip_value(self.b, i);
        }
        match *self.b.get(i)? {
            b'{' => {
                let mut j = skip_ws(self.b, i + 1);
                if self.b.get(j) == Some(&b'}') {
                    return Some(j + 1);
                }
                loop {
                    let (key, after) = read_string(self.b, j)?;
                    j = skip_ws(self.b, after);
                    if self.b.get(j) != Some(&b':') {
                        return None;
                    }
                    j = skip_ws(self.b, j + 1);
                    j = match self.nodes[node].children.get(&key) {
                        Some(&child) => self.walk(child, j)?,
                        None => skip_value(self.b, j)?,
                    };
                    j = skip_ws(self.b, j);
                    match self.b.get(j)? {
                        b',' => j = skip_ws(self.b, j + 1),
                        b'}' => return Some(j + 1),
                        _ => return None,
                    }
                }
            }
            b'[' => {
                let mut j = skip_ws(self.b, i + 1);
                if self.b.get(j) == Some(&b']') {
                    return Some(j + 1);
                }
                let mut index = 0usize;
                loop {
                    j = match self.nodes[node].children.get(&index.to_string()) {
                        Some(&child) => self.walk(child, j)?,
                        None => skip_value(self.b, j)?,
                    };
                    index += 1;
                    j = skip_ws(self.b, j);
                    match self.b.get(j)? {
                        b',' => j = skip_ws(self.b, j + 1),
                        b']' => return Some(j + 1),
                        _ => return None,
                    }
                }
            }
            _ => skip_value(self.b, i),
        }
    }
}

/// Byte offsets of the values the pointers name, in one pass over `text`.
/// A pointer that names nothing in the text gets the offset of its deepest existing
/// ancestor (a missing property is reported where its object starts).
#[must_use]
pub fn locate_offsets(text: &[u8], pointers: &[&str]) -> Vec<Option<usize>> {
    let mut nodes = vec![Trie::default()];
    let mut paths = Vec::with_capacity(pointers.len());
    for p in pointers {
        let mut path = vec![0usize];
        for tok in pointer_tokens(p) {
            let cur = *path.last().expect("root");
            let next = nodes.len();
            let child = *nodes[cur].children.entry(tok).or_insert(next);
            if child == next {
                nodes.push(Trie::default());
            }
            path.push(child);
        }
        paths.push(path);
    }
    let mut target = vec![false; nodes.len()];
    for path in &paths {
        if let Some(&last) = path.last() {
            target[last] = true;
        }
    }
    let mut w = Walker {
        b: text,
        found: vec![None; nodes.len()],
        left: target.iter().filter(|&&t| t).count(),
        target,
        nodes,
    };
    let start = skip_ws(text, 0);
    let _ = w.walk(0, start);
    // A node never reached falls back to its deepest reached ancestor.
    paths
        .iter()
        .map(|path| path.iter().rev().find_map(|&n| w.found[n]))
        .collect()
}

/// Positions of the values the pointers name; see [`locate_offsets`].
#[must_use]
pub fn locate(text: &[u8], pointers: &[&str]) -> Vec<Option<Position>> {
    let index = LineIndex::new(text);
    let offsets = locate_offsets(text, pointers);
    let found: Vec<usize> = offsets.iter().flatten().copied().collect();
    let mut positions = index.positions(&found).into_iter();
    offsets
        .into_iter()
        .map(|o| o.and_then(|_| positions.next()))
        .collect()
}

/// The keys of the object at `i`, skipping values; stops after the first key for which
/// `stop` is true and returns the offset of that key's value.
#[must_use]
pub fn first_keys(
    b: &[u8],
    i: usize,
    stop: impl Fn(&str) -> bool,
) -> Option<(Vec<String>, Option<usize>)> {
    if b.get(i) != Some(&b'{') {
        return None;
    }
    let mut keys = Vec::new();
    let mut j = skip_ws(b, i + 1);
    if b.get(j) == Some(&b'}') {
        return Some((keys, None));
    }
    loop {
        let (key, after) = read_string(b, j)?;
        j = skip_ws(b, after);
        if b.get(j) != Some(&b':') {
            return None;
        }
        j = skip_ws(b, j + 1);
        if stop(&key) {
            keys.push(key);
            return Some((keys, Some(j)));
        }
        keys.push(key);
        j = skip_ws(b, skip_value(b, j)?);
        match b.get(j)? {
            b',' => j = skip_ws(b, j + 1),
            b'}' => return Some((keys, None)),
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Positions in a batch are those of one offset at a time, on any bytes (several
        /// lines or one, multi-byte characters, invalid UTF-8), offsets in any order.
        #[test]
        fn batch_positions_are_single_positions(
            text in prop::collection::vec(prop::sample::select(b"ab\n\xc3\xa9\xe2\x82\xac\xff".to_vec()), 0..200),
            offsets in prop::collection::vec(0usize..220, 0..20),
        ) {
            let index = LineIndex::new(&text);
            let one: Vec<Position> = offsets.iter().map(|&o| index.position(o)).collect();
            prop_assert_eq!(index.positions(&offsets), one);
        }
    }

    const DOC: &str = "{\n  \"meta\": {\"pagingInfo\": {\"total\": 1}},\n  \"data\": [\n    {\"a/b\": 1, \"name\": \"Zürich \\\"x\\\"\", \"n\": [10, 20,\n 30]}\n  ]\n}\n";

    #[test]
    fn pointers_to_positions() {
        let got = locate(
            DOC.as_bytes(),
            &[
                "",
                "/meta/pagingInfo/total",
                "/data/0/a~1b",
                "/data/0/name",
                "/data/0/n/2",
                "/data/0/missing",
                "/data/7",
            ],
        );
        let pos = |line, column| Some(Position { line, column });
        assert_eq!(got[0], pos(1, 1));
        assert_eq!(got[1], pos(2, 36));
        assert_eq!(got[2], pos(4, 13));
        assert_eq!(got[3], pos(4, 24));
        assert_eq!(got[4], pos(5, 2));
        // Missing members fall back to the nearest existing ancestor.
        assert_eq!(got[5], pos(4, 5));
        assert_eq!(got[6], pos(3, 11));
    }

    #[test]
    fn columns_count_characters() {
        let text = "{\"ü\": \"é\", \"x\": 1}";
        let got = locate(text.as_bytes(), &["/x"]);
        assert_eq!(
            got[0],
            Some(Position {
                line: 1,
                column: 17
            })
        );
    }

    #[test]
    fn tokens_unescape() {
        assert_eq!(pointer_tokens("/a~1b/c~0d/0"), vec!["a/b", "c~d", "0"]);
        assert!(pointer_tokens("").is_empty());
        assert_eq!(escape_token("a/b~"), "a~1b~0");
    }

    #[test]
    fn broken_text_does_not_panic() {
        for text in [
            "",
            "{",
            "{\"a\"",
            "[1,",
            "{\"a\":[1,2",
            "\"abc",
            "{\"a\" 1}",
        ] {
            let _ = locate(text.as_bytes(), &["/a/1", "/0"]);
            let _ = first_keys(text.as_bytes(), 0, |k| k == "a");
        }
    }

    #[test]
    fn skipping_ignores_brackets_in_strings_and_of_the_other_kind() {
        let text = br#"{"a": ["}", {"b": "]"}, [1, {"c": "\"}"}]], "d": 2} tail"#;
        assert_eq!(skip_value(text, 0), Some(text.len() - 5));
        let text = br#"[{"x": "["}, [], {}] ,"#;
        assert_eq!(skip_value(text, 0), Some(text.len() - 2));
    }

    #[test]
    fn first_keys_stops_at_data() {
        let text = br#"{"meta": {"x": [1, {"y": "}"}]}, "data": [1], "after": 2}"#;
        let (keys, at) = first_keys(text, 0, |k| k == "data").unwrap();
        assert_eq!(keys, vec!["meta", "data"]);
        assert_eq!(text[at.unwrap()], b'[');
    }
}
