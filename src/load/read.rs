//! Reading one input under the size limit (a large file in parts on several threads).

use super::{LoadOptions, Split};
use std::io::Read;
use std::path::Path;

/// Why an input could not be read.
#[derive(Debug)]
pub(super) enum ReadError {
    Io(std::io::Error),
    /// Over [`LoadOptions::max_input`].
    TooLarge,
}

impl From<std::io::Error> for ReadError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

/// `4 GiB`, `512 MiB`, `1500 bytes`: a size as a person reads it (exact multiples only).
#[must_use]
pub fn size_text(bytes: u64) -> String {
    for (unit, shift) in [("GiB", 30), ("MiB", 20), ("KiB", 10)] {
        if bytes >= 1 << shift && bytes.is_multiple_of(1 << shift) {
            return format!("{} {unit}", bytes >> shift);
        }
    }
    format!("{bytes} bytes")
}

/// Parses a size: bytes, or a number with `K`/`KB` (10³), `KiB` (2¹⁰), `M`, `MB`, `MiB`,
/// `G`, `GB`, `GiB`, `T`, `TB`, `TiB` (letter case ignored).
///
/// # Errors
/// A text that is not such a size, or one beyond 2⁶⁴ bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(digits);
    let bad = || {
        format!(
            "{text:?} is not a size: expected bytes, or a number with KB, MB, GB, KiB, MiB or GiB"
        )
    };
    let n: u64 = number.parse().map_err(|_| bad())?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        "t" | "tb" => 1_000_000_000_000,
        "tib" => 1 << 40,
        _ => return Err(bad()),
    };
    n.checked_mul(factor)
        .ok_or_else(|| format!("{text:?} is too large a size"))
}

/// Reads a file under the size limit: a regular file larger than the limit is refused
/// before it is read; anything else (a pipe, a device) is read until the limit.
pub(super) fn read_file(path: &Path, opts: &LoadOptions) -> Result<Vec<u8>, ReadError> {
    let mut file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_file() && meta.len() > opts.max_input {
        return Err(ReadError::TooLarge);
    }
    if meta.is_file()
        && opts.split != Split::Never
        && let Some(text) = read_split(&file, meta.len())?
    {
        return Ok(text);
    }
    let hint = if meta.is_file() { meta.len() } else { 0 };
    read_limited(&mut file, opts.max_input, hint)
}

/// Reads everything up to `limit` bytes (more is [`ReadError::TooLarge`]). A stream whose
/// first byte other than white space cannot start a JSON document is not read further:
/// the load reports it at that place, and `/dev/zero` does not fill the memory first.
pub(super) fn read_limited(r: &mut dyn Read, limit: u64, hint: u64) -> Result<Vec<u8>, ReadError> {
    const FIRST: usize = 64 << 10;
    let cap = usize::try_from(hint.min(limit)).unwrap_or(0);
    let mut text = Vec::with_capacity(cap.saturating_add(1));
    let mut take = r.take(limit.saturating_add(1));
    // The first part on its own, to look at its first byte.
    (&mut take).take(FIRST as u64).read_to_end(&mut text)?;
    if let Some(i) = text
        .iter()
        .position(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
        && !matches!(
            text[i],
            b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n' | 0xEF
        )
    {
        // Keep the character itself (whole, so that a valid one stays valid UTF-8).
        let len = match text[i] {
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF7 => 4,
            _ => 1,
        };
        text.truncate((i + len).min(text.len()));
        return Ok(text);
    }
    take.read_to_end(&mut text)?;
    if text.len() as u64 > limit {
        return Err(ReadError::TooLarge);
    }
    Ok(text)
}

/// Reads a file that is split ([`Split`]) with several threads, each reading its own part
/// (`pread`): copying a large file out of the page cache into fresh memory is otherwise one
/// thread's work while the others wait. `None` for a small file, or one that changed size
/// while it was read (it is then read the ordinary way).
fn read_split(file: &std::fs::File, len: u64) -> std::io::Result<Option<Vec<u8>>> {
    #[cfg(unix)]
    {
        use rayon::prelude::*;
        use std::os::unix::fs::FileExt;
        const PART: usize = 4 << 20;
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if len > 2 * PART && len < isize::MAX as usize {
            // Zeroed memory straight from the system: no page is touched before it is read into.
            let mut text = vec![0u8; len];
            let parts = text
                .par_chunks_mut(PART)
                .enumerate()
                .try_for_each(|(i, part)| file.read_exact_at(part, (i * PART) as u64));
            let mut more = [0u8; 1];
            if parts.is_ok() && file.read_at(&mut more, len as u64)? == 0 {
                return Ok(Some(text));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (file, len);
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{Source, load_bytes, load_source};

    #[test]
    fn a_split_file_is_read_whole_in_parts() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.json");
        // Parts of 4 MiB: three and a bit, with a pattern that shows a misplaced part.
        let bytes: Vec<u8> = (0..(12 << 20) + 12_345u32)
            .map(|i| (i % 251) as u8)
            .collect();
        std::fs::write(&p, &bytes).unwrap();
        let split = |p: &Path| {
            let f = std::fs::File::open(p).unwrap();
            read_split(&f, f.metadata().unwrap().len()).unwrap()
        };
        assert!(split(&p).unwrap() == bytes);
        let opts = LoadOptions {
            split: Split::Always,
            ..LoadOptions::DEFAULT
        };
        assert!(read_file(&p, &opts).unwrap() == bytes);
        let small = dir.path().join("small.json");
        std::fs::write(&small, b"{}").unwrap();
        assert_eq!(split(&small), None);
        assert_eq!(read_file(&small, &opts).unwrap(), b"{}");
        assert!(read_file(&dir.path().join("missing.json"), &opts).is_err());
    }

    #[test]
    fn inputs_are_read_under_the_size_limit() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.json");
        std::fs::write(&p, br#"{"reportStatus":"Approved"}"#).unwrap();
        let limit = |max_input| LoadOptions {
            max_input,
            ..LoadOptions::DEFAULT
        };
        let f = load_source(&Source::File(p.clone()), &limit(27));
        assert!(f.is_valid(), "{:?}", f.problems);
        let f = load_source(&Source::File(p), &limit(26));
        assert_eq!(f.problems[0].code, "input-too-large");
        assert!(f.problems[0].message.contains("limit of 26 bytes"));
        // A stream has no size to look at first: it is read until the limit.
        let mut endless = std::io::repeat(b' ');
        assert!(matches!(
            read_limited(&mut endless, 1 << 20, 0),
            Err(ReadError::TooLarge)
        ));
        // One that cannot be JSON stops at its first byte (as `/dev/zero` does).
        let mut zeros = std::io::repeat(0);
        assert_eq!(read_limited(&mut zeros, u64::MAX, 0).unwrap(), [0]);
        let mut text = "  é".as_bytes().chain(std::io::repeat(b'x'));
        assert_eq!(
            read_limited(&mut text, u64::MAX, 0).unwrap(),
            "  é".as_bytes()
        );
        let f = load_bytes("z", vec![0], &LoadOptions::DEFAULT);
        assert_eq!(f.problems[0].code, "invalid-json");
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(parse_size("4GiB"), Ok(4 << 30));
        assert_eq!(parse_size("500 MB"), Ok(500_000_000));
        assert_eq!(parse_size("1k"), Ok(1000));
        assert_eq!(parse_size("123"), Ok(123));
        assert!(parse_size("-1").is_err());
        assert!(parse_size("1.5GB").is_err());
        assert!(parse_size("99999999999TiB").is_err());
        assert_eq!(size_text(4 << 30), "4 GiB");
        assert_eq!(size_text(1500), "1500 bytes");
    }
}
