//! Writing files so that nothing is ever half-written: each file goes to a temporary name
//! in the same folder and is renamed into place once complete.
//!
//! [`write_atomic`] does it for one file; [`Staging`] for a set of files that must appear
//! only if all of them could be made (an invoice run: thousands of files rendered one by
//! one, none kept in memory).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tempfile::{NamedTempFile, TempPath};

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Writes a complete file under a temporary name in the folder of `path`, with
/// the usual mode; `fill` writes the content. The file is deleted if the returned
/// [`TempPath`] is dropped.
fn write_temp(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<TempPath> {
    let mut tmp = temp_for(path)?;
    {
        let mut w = std::io::BufWriter::new(tmp.as_file_mut());
        fill(&mut w)?;
        w.flush()?;
    }
    // No fsync per file: the rename already guarantees that a crash or a kill never leaves
    // a half-written file under its final name, and syncing each of thousands of invoices
    // costs more than rendering them. Durability against power loss is the file system's
    // (or a `sync` after the run).
    Ok(tmp.into_temp_path())
}

/// An empty temporary file next to `path`, with the usual mode.
fn temp_for(path: &Path) -> std::io::Result<NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".vspc-billing-").suffix(".tmp");
    // Temporary files are private (0600) by default; a finished file gets the usual mode.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    builder.tempfile_in(parent_of(path))
}

/// Writes `bytes` to `path` atomically (temporary file in the same folder, then rename).
///
/// # Errors
/// When the folder is not writable or the rename fails.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = write_temp(path, |w| w.write_all(bytes))?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Files that appear together or not at all: each is written complete under a temporary
/// name next to its final path ([`Staging::stage`], from any thread); [`Staging::commit`]
/// renames them all into place. Dropped before the commit (a later file failed), every
/// temporary file is deleted.
#[derive(Debug, Default)]
pub struct Staging {
    staged: Mutex<Vec<(PathBuf, TempPath)>>,
}

impl Staging {
    /// An empty set.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes `bytes`, to appear at `path` on commit.
    ///
    /// # Errors
    /// When the folder is not writable.
    pub fn stage(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        self.stage_with(path, |w| w.write_all(bytes))
    }

    /// Writes what `fill` writes, to appear at `path` on commit.
    ///
    /// # Errors
    /// When the folder is not writable, or `fill` fails.
    pub fn stage_with(
        &self,
        path: &Path,
        fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let tmp = write_temp(path, fill)?;
        self.staged
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((path.to_owned(), tmp));
        Ok(())
    }

    /// Opens a file to be written piece by piece ([`Staging::close`] stages it).
    ///
    /// # Errors
    /// When the folder is not writable.
    pub fn open(&self, path: &Path) -> std::io::Result<StagedWriter> {
        Ok(StagedWriter {
            path: path.to_owned(),
            w: std::io::BufWriter::new(temp_for(path)?),
        })
    }

    /// Stages a file written with [`Staging::open`], to appear at its path on commit.
    ///
    /// # Errors
    /// When its last bytes cannot be written.
    pub fn close(&self, w: StagedWriter) -> std::io::Result<()> {
        let tmp =
            w.w.into_inner()
                .map_err(std::io::IntoInnerError::into_error)?;
        self.staged
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((w.path, tmp.into_temp_path()));
        Ok(())
    }

    /// The final paths of the staged files, in the order staged.
    #[must_use]
    pub fn paths(&self) -> Vec<PathBuf> {
        self.staged
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .map(|(p, _)| p.clone())
            .collect()
    }

    /// Renames every staged file into place; returns how many.
    ///
    /// # Errors
    /// The first rename that fails (the files not yet renamed are deleted).
    pub fn commit(self) -> std::io::Result<usize> {
        let staged = self
            .staged
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = staged.len();
        for (path, tmp) in staged {
            tmp.persist(&path).map_err(|e| e.error)?;
        }
        Ok(n)
    }
}

/// A file being written piece by piece ([`Staging::open`]); deleted if dropped before
/// [`Staging::close`].
#[derive(Debug)]
pub struct StagedWriter {
    path: PathBuf,
    w: std::io::BufWriter<NamedTempFile>,
}

impl Write for StagedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.w.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.w.write_all(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.w.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_replaces_leaving_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn staged_files_appear_on_commit_only() {
        let dir = tempfile::tempdir().unwrap();
        let names = |d: &Path| {
            let mut v: Vec<String> = std::fs::read_dir(d)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        };
        let s = Staging::new();
        s.stage(&dir.path().join("a.txt"), b"a").unwrap();
        s.stage_with(&dir.path().join("b.txt"), |w| w.write_all(b"b"))
            .unwrap();
        assert!(names(dir.path()).iter().all(|n| n.ends_with(".tmp")));
        assert_eq!(s.commit().unwrap(), 2);
        assert_eq!(names(dir.path()), ["a.txt", "b.txt"]);
        assert_eq!(std::fs::read(dir.path().join("b.txt")).unwrap(), b"b");
        // Written piece by piece: appears on commit, complete.
        let s = Staging::new();
        let mut w = s.open(&dir.path().join("d.txt")).unwrap();
        w.write_all(b"d1").unwrap();
        w.write_all(b"d2").unwrap();
        s.close(w).unwrap();
        let dropped = s.open(&dir.path().join("e.txt")).unwrap();
        drop(dropped);
        assert_eq!(s.paths(), [dir.path().join("d.txt")]);
        assert_eq!(s.commit().unwrap(), 1);
        assert_eq!(std::fs::read(dir.path().join("d.txt")).unwrap(), b"d1d2");
        std::fs::remove_file(dir.path().join("d.txt")).unwrap();
        // Dropped without commit: nothing is left.
        let s = Staging::new();
        s.stage(&dir.path().join("c.txt"), b"c").unwrap();
        drop(s);
        assert_eq!(names(dir.path()), ["a.txt", "b.txt"]);
    }
}
