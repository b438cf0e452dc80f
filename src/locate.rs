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

/// Whether the arrays and objects of the JSON value `b` (well-formed) nest more than `room`
/// deep. Brackets inside strings do not count.
#[must_use]
pub fn nests_deeper(b: &[u8], room: usize) -> bool {
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'"' => match skip_string(b, i) {
                Some(end) => i = end,
                None => return false,
            },
            b'[' | b'{' => {
                depth += 1;
                if depth > room {
                    return true;
                }
                i += 1;
            }
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            _ => i += 1,
        }
    }
    false
}

/// Whether every string of the JSON value `b` (well-formed) decodes as `serde_json` decodes
/// a string it reads: its `\\u` escapes of UTF-16 surrogates come in pairs. `serde_json`
/// skips a value without decoding its escapes, but refuses a lone surrogate (`"\\ud800"`)
/// in a string it reads (as the schema validator's `Value`).
#[must_use]
pub fn strings_decode(b: &[u8]) -> bool {
    if memchr::memchr(b'\\', b).is_none() {
        return true;
    }
    let mut i = 0;
    while let Some(k) = memchr::memchr(b'"', &b[i..]) {
        let start = i + k;
        let Some(end) = skip_string(b, start) else {
            return true;
        };
        let token = &b[start..end];
        if memchr::memmem::find(token, b"\\u").is_some()
            && serde_json::from_slice::<String>(token).is_err()
        {
            return false;
        }
        i = end;
    }
    true
}

/// The first array or object of `text` (in the order of the text) that is nested in more
/// than `max` others: its JSON pointer and byte offset. `None` when there is none, or when
/// the text is malformed before it.
#[must_use]
pub fn too_deep(text: &[u8], max: usize) -> Option<(String, usize)> {
    // The open containers: each with the pointer length before its own token, and the index
    // of its next item (arrays) or `None` (objects).
    let mut open: Vec<Option<usize>> = Vec::new();
    let mut pointer = String::new();
    let mut lengths: Vec<usize> = Vec::new();
    let mut i = skip_ws(text, 0);
    loop {
        // A value starts at `i`.
        match *text.get(i)? {
            open_char @ (b'[' | b'{') => {
                if open.len() == max {
                    return Some((pointer, i));
                }
                i = skip_ws(text, i + 1);
                let close = if open_char == b'[' { b']' } else { b'}' };
                if text.get(i) == Some(&close) {
                    i += 1;
                } else {
                    open.push((open_char == b'[').then_some(0));
                    lengths.push(pointer.len());
                    i = enter_item(text, i, &mut pointer, *open.last()?)?;
                    continue;
                }
            }
            _ => i = skip_value(text, i)?,
        }
        // After a value: a comma and the next item, or the end of containers.
        loop {
            i = skip_ws(text, i);
            let top = open.last_mut()?;
            pointer.truncate(*lengths.last()?);
            match *text.get(i)? {
                b',' => {
                    if let Some(index) = top {
                        *index += 1;
                    }
                    i = enter_item(text, skip_ws(text, i + 1), &mut pointer, *top)?;
                    break;
                }
                b']' if top.is_some() => {}
                b'}' if top.is_none() => {}
                _ => return None,
            }
            i += 1;
            open.pop();
            lengths.pop();
            if open.is_empty() {
                return None;
            }
        }
    }
}

/// Adds the token of the item at `i` of a container (`Some(index)` in an array, `None` in
/// an object, whose key is read) to `pointer`; returns where the item's value starts.
fn enter_item(text: &[u8], i: usize, pointer: &mut String, index: Option<usize>) -> Scan<usize> {
    pointer.push('/');
    if let Some(index) = index {
        pointer.push_str(&index.to_string());
        Some(i)
    } else {
        let (key, after) = read_string(text, i)?;
        pointer.push_str(&escape_token(&key));
        let j = skip_ws(text, after);
        (text.get(j) == Some(&b':')).then(|| skip_ws(text, j + 1))
    }
}

/// The value at offset `at` of the JSON `text` as written, without the white space between
/// its tokens (`{"a": 1.50}` gives `{"a":1.50}`), when it is of the JSON type of `instance`
/// (the same value, parsed) and at most `max` bytes long.
#[must_use]
pub fn source_text(
    text: &[u8],
    at: Option<usize>,
    instance: &serde_json::Value,
    max: usize,
) -> Option<String> {
    use serde_json::Value;
    let at = at?;
    let same_type = matches!(
        (text.get(at)?, instance),
        (b'{', Value::Object(_))
            | (b'[', Value::Array(_))
            | (b'"', Value::String(_))
            | (b'-' | b'0'..=b'9', Value::Number(_))
            | (b't' | b'f', Value::Bool(_))
            | (b'n', Value::Null)
    );
    if !same_type {
        return None;
    }
    let end = skip_value(text, at)?;
    let mut out = Vec::with_capacity(max.min(end - at));
    let mut i = at;
    while i < end {
        match text[i] {
            b'"' => {
                let close = skip_string(text, i)?.min(end);
                out.extend_from_slice(&text[i..close]);
                i = close;
            }
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            c => {
                out.push(c);
                i += 1;
            }
        }
        if out.len() > max {
            return None;
        }
    }
    String::from_utf8(out).ok()
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

/// The offsets of the items of the JSON array at `at` (empty when no array starts there),
/// each item skipped by scanning bytes.
#[must_use]
pub fn array_items(text: &[u8], at: usize) -> Vec<usize> {
    let mut items = Vec::new();
    if text.get(at) != Some(&b'[') {
        return items;
    }
    let mut i = skip_ws(text, at + 1);
    if text.get(i) == Some(&b']') {
        return items;
    }
    loop {
        items.push(i);
        let Some(end) = skip_value(text, i) else {
            return items;
        };
        i = skip_ws(text, end);
        match text.get(i) {
            Some(b',') => i = skip_ws(text, i + 1),
            _ => return items,
        }
    }
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

    #[test]
    fn the_items_of_an_array_are_found_by_one_scan() {
        let text = br#"{"a": [ {"x": [1, 2]}, "s,]", 3 ,[]] }"#;
        let at = locate_offsets(text, &["/a"])[0].unwrap();
        let items = array_items(text, at);
        assert_eq!(
            items,
            locate_offsets(text, &["/a/0", "/a/1", "/a/2", "/a/3"])
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
        );
        assert_eq!(array_items(text, 0), Vec::<usize>::new(), "not an array");
        assert_eq!(array_items(b"[ ]", 0), Vec::<usize>::new());
        assert_eq!(array_items(b"[1, {", 0), vec![1, 4], "cut: what was found");
    }
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

    #[test]
    fn nesting_is_measured_outside_strings() {
        assert!(!nests_deeper(b"[[1]]", 2));
        assert!(nests_deeper(b"[[1]]", 1));
        assert!(!nests_deeper(br#"[{"a": "[[[[", "b\"[[": 1}]"#, 2));
        assert!(nests_deeper(br#"[{"a": [{}]}]"#, 3));
        assert!(!nests_deeper(b"1", 0));
        assert!(nests_deeper(b"{}", 0));
    }

    #[test]
    fn the_first_container_too_deep_is_named() {
        let text = br#"{"a/b": [1, {"k": [[], [[2]]]}], "z": [[[[[]]]]]}"#;
        // An empty array is a level too.
        let (pointer, at) = too_deep(text, 4).unwrap();
        assert_eq!(pointer, "/a~1b/1/k/0");
        assert_eq!(&text[at..at + 2], b"[]");
        let (pointer, at) = too_deep(text, 5).unwrap();
        assert_eq!(pointer, "/a~1b/1/k/1/0");
        assert_eq!(&text[at..at + 3], b"[2]");
        assert_eq!(too_deep(text, 6), None);
        assert_eq!(
            too_deep(br#"{"z": [[[[[]]]]]}"#, 5).unwrap().0,
            "/z/0/0/0/0"
        );
        assert_eq!(too_deep(b"[]", 0).unwrap(), (String::new(), 0));
        assert_eq!(too_deep(b" [ ] ", 1), None);
        assert_eq!(too_deep(b"7", 0), None);
        // Malformed before the place: not found; after it: found.
        assert_eq!(too_deep(b"[1 2, [[]]]", 1), None);
        assert_eq!(too_deep(b"[[[]]] x", 1).unwrap().0, "/0");
        for broken in ["", "[", "{\"a\"", "{\"a\": [", "[1,", "{\"a\" 1}"] {
            let _ = too_deep(broken.as_bytes(), 0);
            let _ = too_deep(broken.as_bytes(), 1);
        }
    }

    #[test]
    fn source_text_is_the_value_as_written() {
        use serde_json::json;
        let text =
            br#"{"a": { "v" : [1.10 , 1e400, "x y"] }, "n": 0.0000000000000000000000000001}"#;
        let at = locate_offsets(text, &["/a", "/n", "/a/v/2"]);
        assert_eq!(
            source_text(text, at[0], &json!({}), 80).as_deref(),
            Some(r#"{"v":[1.10,1e400,"x y"]}"#)
        );
        assert_eq!(
            source_text(text, at[1], &json!(1e-28), 80).as_deref(),
            Some("0.0000000000000000000000000001")
        );
        assert_eq!(
            source_text(text, at[2], &json!("x y"), 80).as_deref(),
            Some(r#""x y""#)
        );
        // Not the same type (the text and the value disagree), or too long: none.
        assert_eq!(source_text(text, at[1], &json!("x"), 80), None);
        assert_eq!(source_text(text, at[0], &json!({}), 10), None);
        assert_eq!(source_text(text, None, &json!({}), 80), None);
    }

    #[test]
    fn lone_surrogates_are_found_in_strings() {
        assert!(strings_decode(
            br#"{"a": ["x", "\u00e9", "\ud83d\ude00", 1]}"#
        ));
        assert!(!strings_decode(br#"{"a": ["x", "\ud800"]}"#));
        assert!(!strings_decode(br#"{"\udc00": 1}"#));
        assert!(!strings_decode(br#"["\ud800x"]"#));
        assert!(strings_decode(br#"["\\ud800"]"#), "an escaped backslash");
    }
}
