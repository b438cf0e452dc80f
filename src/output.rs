//! Writing files so that nothing is ever half-written, and a set of files all or nothing.
//!
//! [`write_atomic`] writes one file (temporary name in its folder, then rename).
//!
//! A run that writes a set of files (an invoice run: thousands of files rendered one by
//! one, none kept in memory) opens its output folder with [`OutDir::open`], which
//! - refuses what is not a folder (a file, a dangling link, `-`);
//! - locks the folder for the run (`<out>/.vspc-billing/lock`): a second run into the
//!   same folder stops with [`OutError::Busy`] instead of overwriting the first one's files;
//! - removes what an interrupted run (a kill, a power cut) left in `<out>/.vspc-billing/`,
//!   and says so ([`OutDir::cleaned`]).
//!
//! Its [`Staging`] writes every file complete in one private folder,
//! `<out>/.vspc-billing/tmp-<pid>-<n>/`, and [`Staging::commit`] renames them into place:
//! a file it replaces (with `--force`) is first moved aside, and if any rename fails every
//! file already renamed is taken back and every replaced file restored, so the folder is as
//! it was. Dropped without a commit, the staging folder is deleted; killed, the next run
//! deletes it (restoring files a commit had moved aside, from its journal).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use tempfile::{NamedTempFile, TempPath};

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
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
    let mut tmp = temp_for(path)?;
    tmp.write_all(bytes)?;
    // No fsync: the rename already guarantees that a crash never leaves a half-written
    // file under its final name; durability against power loss is the file system's.
    tmp.into_temp_path().persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The folder of the tool's own files inside an output folder.
pub const STATE_DIR: &str = ".vspc-billing";

/// Why an output folder cannot be used.
#[derive(Debug)]
pub enum OutError {
    /// Not a folder: the message says what it is.
    NotAFolder(String),
    /// Another run holds the folder.
    Busy(PathBuf),
    /// The file system refused.
    Io(String),
}

impl std::fmt::Display for OutError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotAFolder(m) | Self::Io(m) => f.write_str(m),
            Self::Busy(dir) => write!(
                f,
                "another vspc-billing run is writing into {}; wait until it has finished (nothing of it was overwritten)",
                dir.display()
            ),
        }
    }
}

/// What an interrupted earlier run had left, removed when the folder was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cleanup {
    /// Unfinished temporary files deleted.
    pub temporary: usize,
    /// Files a commit had moved aside, put back where they were.
    pub restored: usize,
    /// Files of a run killed after recording them in a register, put in place.
    pub finished: usize,
    /// Staging folders of a run that recorded its files in a register, left for a run
    /// with that register to finish ([`OutDir::open_with`]).
    pub waiting: usize,
}

/// Whether the run of a staging folder with a manifest ([`Staging::prepare`]) recorded
/// it: `Some(true)` put its files in place, `Some(false)` delete it, `None` not known
/// (leave it).
pub type Decide<'a> = &'a dyn Fn(&str) -> Option<bool>;

/// An output folder, locked for the run ([module docs](self)).
#[derive(Debug)]
pub struct OutDir {
    dir: PathBuf,
    state: PathBuf,
    created: bool,
    cleaned: Cleanup,
    /// Held open: the lock lasts as long as the file is open (and ends with the process).
    _lock: File,
}

impl OutDir {
    /// Checks that `dir` is a folder (creating it if missing), locks it, and cleans up what
    /// an interrupted run left.
    ///
    /// # Errors
    /// [`OutError::NotAFolder`] for `-`, a file or a dangling link; [`OutError::Busy`]
    /// while another run holds the folder; [`OutError::Io`] when it cannot be created.
    pub fn open(dir: &Path) -> Result<Self, OutError> {
        Self::open_with(dir, &|_| None)
    }

    /// [`Self::open`], finishing or deleting the staging folders that carry a manifest
    /// (those of runs with a register) as `decide` says, by their token.
    ///
    /// # Errors
    /// As [`Self::open`].
    pub fn open_with(dir: &Path, decide: Decide<'_>) -> Result<Self, OutError> {
        let shown = dir.display();
        if dir.as_os_str() == "-" {
            return Err(OutError::NotAFolder(
                "--out -: the output is a set of files, not a stream; name a folder".to_owned(),
            ));
        }
        let created = match (std::fs::symlink_metadata(dir), std::fs::metadata(dir)) {
            (Ok(_), Ok(m)) if m.is_dir() => false,
            (Ok(l), Err(_)) if l.file_type().is_symlink() => {
                return Err(OutError::NotAFolder(format!(
                    "--out {shown} is a symbolic link to something that does not exist; it must be a folder"
                )));
            }
            (Ok(_), _) => {
                return Err(OutError::NotAFolder(format!(
                    "--out {shown} is a file; it must be a folder (it is created if missing)"
                )));
            }
            (Err(_), _) => true,
        };
        let io = |what: &str, p: &Path, e: std::io::Error| {
            OutError::Io(format!("cannot {what} {}: {e}", p.display()))
        };
        std::fs::create_dir_all(dir).map_err(|e| io("create", dir, e))?;
        let state = dir.join(STATE_DIR);
        std::fs::create_dir_all(&state).map_err(|e| io("create", &state, e))?;
        let lock_path = state.join("lock");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| io("open", &lock_path, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(OutError::Busy(dir.to_owned())),
            Err(std::fs::TryLockError::Error(e)) => return Err(io("lock", &lock_path, e)),
        }
        let cleaned = clean_up(&state, decide).map_err(|e| io("clean up", &state, e))?;
        Ok(Self {
            dir: dir.to_owned(),
            state,
            created,
            cleaned,
            _lock: lock,
        })
    }

    /// What an interrupted earlier run had left, removed by [`Self::open`].
    #[must_use]
    pub const fn cleaned(&self) -> Cleanup {
        self.cleaned
    }

    /// A new, empty staging folder for this run's files.
    ///
    /// # Errors
    /// When it cannot be created.
    pub fn staging(&self) -> std::io::Result<Staging> {
        static RUNS: AtomicUsize = AtomicUsize::new(0);
        let dir = self.state.join(format!(
            "tmp-{}-{}",
            std::process::id(),
            RUNS.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir(&dir)?;
        Ok(Staging {
            dir,
            next: AtomicUsize::new(0),
            staged: Mutex::new(Vec::new()),
        })
    }

    /// Ends a run that wrote nothing: a folder this run created is removed again (when
    /// nothing else was put into it meanwhile).
    pub fn discard(self) {
        if self.created {
            let _ = std::fs::remove_file(self.state.join("lock"));
            let _ = std::fs::remove_dir(&self.state);
            let _ = std::fs::remove_dir(&self.dir);
        }
    }
}

/// The journal a commit writes before it moves anything: one line per file it replaces,
/// `backup-<n>` and the final path, so that a run killed half-way through can be undone.
const JOURNAL: &str = "journal";

/// The manifest a run with a register writes before it records its files
/// ([`Staging::prepare`]): its token, then one line per file, staged name and final path.
const MANIFEST: &str = "manifest";

/// Removes every staging folder of `state` (they belong to runs that are over: the lock is
/// held), first putting back the files a killed commit had moved aside.
fn clean_up(state: &Path, decide: Decide<'_>) -> std::io::Result<Cleanup> {
    let mut done = Cleanup::default();
    for entry in std::fs::read_dir(state)? {
        let entry = entry?;
        let name = entry.file_name();
        if !name.to_string_lossy().starts_with("tmp-") || !entry.file_type()?.is_dir() {
            continue;
        }
        let dir = entry.path();
        if let Ok(manifest) = std::fs::read_to_string(dir.join(MANIFEST)) {
            let mut lines = manifest.lines();
            let token = lines.next().and_then(|l| l.strip_prefix("token\t"));
            match token.and_then(decide) {
                None => {
                    done.waiting += 1;
                    continue;
                }
                Some(true) => {
                    // Recorded: every staged file goes in place (the files it replaces
                    // were moved aside, and are dropped with the folder).
                    for line in lines {
                        if let Some((tmp, target)) = line.split_once('\t')
                            && dir.join(tmp).exists()
                        {
                            move_file(&dir.join(tmp), Path::new(target))?;
                            done.finished += 1;
                        }
                    }
                    std::fs::remove_dir_all(&dir)?;
                    continue;
                }
                Some(false) => {}
            }
        }
        if let Ok(journal) = std::fs::read_to_string(dir.join(JOURNAL)) {
            for line in journal.lines() {
                let Some((backup, target)) = line.split_once('\t') else {
                    continue;
                };
                let backup = dir.join(backup);
                let target = Path::new(target);
                if backup.exists() && target.symlink_metadata().is_err() {
                    std::fs::rename(&backup, target)?;
                    done.restored += 1;
                }
            }
        }
        done.temporary += std::fs::read_dir(&dir)?
            .filter_map(Result::ok)
            .filter(|e| {
                let n = e.file_name();
                let n = n.to_string_lossy();
                !n.starts_with("backup-") && n != JOURNAL && n != MANIFEST
            })
            .count();
        std::fs::remove_dir_all(&dir)?;
    }
    Ok(done)
}

/// Why a commit failed, and what it left.
#[derive(Debug)]
pub struct CommitError {
    /// What failed.
    pub message: String,
    /// Files that could not be taken back (empty: the folder is as it was before).
    pub left: Vec<PathBuf>,
}

impl std::fmt::Display for CommitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        if self.left.is_empty() {
            f.write_str("; nothing was written")
        } else {
            let shown: Vec<String> = self
                .left
                .iter()
                .take(5)
                .map(|p| p.display().to_string())
                .collect();
            write!(
                f,
                "; {} file{} could not be taken back: {}{}",
                self.left.len(),
                if self.left.len() == 1 { "" } else { "s" },
                shown.join(", "),
                if self.left.len() > 5 { ", ..." } else { "" }
            )
        }
    }
}

/// Files that appear together or not at all ([module docs](self)): each is written
/// complete in the staging folder ([`Staging::stage`], from any thread), and
/// [`Staging::commit`] renames them all into place.
#[derive(Debug)]
pub struct Staging {
    dir: PathBuf,
    next: AtomicUsize,
    /// (final path, staged file).
    staged: Mutex<Vec<(PathBuf, PathBuf)>>,
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Staging {
    fn new_file(&self) -> std::io::Result<(PathBuf, File)> {
        let tmp = self
            .dir
            .join(self.next.fetch_add(1, Ordering::Relaxed).to_string());
        let file = File::create_new(&tmp)?;
        Ok((tmp, file))
    }

    fn push(&self, path: &Path, tmp: PathBuf) {
        self.staged
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((path.to_owned(), tmp));
    }

    /// Writes `bytes`, to appear at `path` on commit.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn stage(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        let (tmp, mut file) = self.new_file()?;
        file.write_all(bytes)?;
        self.push(path, tmp);
        Ok(())
    }

    /// Opens a file to be written piece by piece ([`Staging::close`] stages it).
    ///
    /// # Errors
    /// When the file cannot be created.
    pub fn open(&self, path: &Path) -> std::io::Result<StagedWriter> {
        let (tmp, file) = self.new_file()?;
        Ok(StagedWriter {
            path: path.to_owned(),
            tmp,
            w: std::io::BufWriter::new(file),
        })
    }

    /// Stages a file written with [`Staging::open`], to appear at its path on commit.
    ///
    /// # Errors
    /// When its last bytes cannot be written.
    pub fn close(&self, w: StagedWriter) -> std::io::Result<()> {
        w.w.into_inner()
            .map_err(std::io::IntoInnerError::into_error)?;
        self.push(&w.path, w.tmp);
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

    /// Without `force`, refuses to overwrite outputs that already exist with other content
    /// (the caller then drops the staging, deleting the staged files). A file that already
    /// holds what the run would write is no conflict: it is left in place, not staged again;
    /// returns how many such files there were. An output named twice (an extra
    /// output such as `--context` naming one of the run's own files, or the tool's folder
    /// in `dir`) is refused even with `force`.
    ///
    /// # Errors
    /// The files that exist (the first five and a count), or the conflict.
    pub fn refuse_existing(&self, dir: &Path, force: bool) -> Result<usize, String> {
        let paths = self.paths();
        let mut resolver = Resolver::default();
        let state = resolver.resolve(&dir.join(STATE_DIR));
        let mut seen = std::collections::HashMap::new();
        for p in &paths {
            let here = resolver.resolve(p);
            if here == state || here.starts_with(&state) {
                return Err(format!(
                    "{} is the tool's own folder in {}; name another file",
                    p.display(),
                    dir.display()
                ));
            }
            if let Some(first) = seen.insert(here, p) {
                return Err(format!(
                    "{} is also {}, another output of this run; name a file of its own",
                    p.display(),
                    first.display()
                ));
            }
        }
        // A file already holding what this run would write is no conflict (a re-run): it is
        // left as it is and its staged copy dropped. Returns how many.
        let mut unchanged = 0;
        let mut existing: Vec<String> = Vec::new();
        self.staged
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retain(|(p, tmp)| {
                if p.symlink_metadata().is_err() {
                    return true;
                }
                if same_content(p, tmp) {
                    let _ = std::fs::remove_file(tmp);
                    unchanged += 1;
                    return false;
                }
                if !force {
                    existing.push(p.display().to_string());
                }
                true
            });
        if existing.is_empty() {
            return Ok(unchanged);
        }
        let shown: Vec<&str> = existing.iter().take(5).map(String::as_str).collect();
        let more = existing.len().saturating_sub(shown.len());
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        Err(format!(
            "{} already exist{} in {}: {}{more}; pass --force to overwrite them",
            if existing.len() == 1 {
                "1 file"
            } else {
                "files"
            },
            if existing.len() == 1 { "s" } else { "" },
            dir.display(),
            shown.join(", ")
        ))
    }

    /// Makes the staged files ready to be recorded in a register: checks what
    /// [`Self::commit`] checks, then writes (and syncs) the manifest that lets the next run
    /// put them in place should this one be killed after recording them. Returns the token
    /// to record.
    ///
    /// # Errors
    /// A conflict, or a manifest that cannot be written.
    pub fn prepare(&self) -> Result<String, String> {
        let staged = self
            .staged
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        check_targets(&staged)?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let name = self
            .dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let token = format!("{name}-{nanos}");
        let mut manifest = format!("token\t{token}\n");
        for (path, tmp) in staged.iter() {
            let tmp = tmp.file_name().map(|n| n.to_string_lossy().into_owned());
            manifest.push_str(&format!(
                "{}\t{}\n",
                tmp.unwrap_or_default(),
                absolute(path).display()
            ));
        }
        let m = self.dir.join(MANIFEST);
        write_synced(&m, manifest.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", m.display()))?;
        Ok(token)
    }

    /// Renames every staged file into place, all or nothing; returns how many.
    ///
    /// Checked first: no two files go to the same path, and no path is a folder. A file
    /// already at a path is moved aside (and the move written to a journal, for the next
    /// run should this one be killed); if a rename then fails, the files renamed so far are
    /// taken back and the replaced ones restored.
    ///
    /// # Errors
    /// A conflict found before anything is renamed, or the first rename that fails (with
    /// the files that could not be taken back, if any).
    pub fn commit(self) -> Result<usize, CommitError> {
        let staged = std::mem::take(
            &mut *self
                .staged
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        let fail = |message: String| CommitError {
            message,
            left: Vec::new(),
        };
        // Moves aside the files to be replaced, journal first.
        let replaced = check_targets(&staged).map_err(fail)?;
        let journal: String = replaced
            .iter()
            .map(|&i| format!("backup-{i}\t{}\n", absolute(&staged[i].0).display()))
            .collect();
        if !replaced.is_empty() {
            let j = self.dir.join(JOURNAL);
            write_synced(&j, journal.as_bytes())
                .map_err(|e| fail(format!("cannot write {}: {e}", j.display())))?;
        }
        let backup = |i: usize| self.dir.join(format!("backup-{i}"));
        let mut done: Vec<usize> = Vec::with_capacity(staged.len());
        let mut error = None;
        for (i, (path, tmp)) in staged.iter().enumerate() {
            let step = || -> std::io::Result<()> {
                if replaced.binary_search(&i).is_ok() {
                    std::fs::rename(path, backup(i))?;
                }
                move_file(tmp, path)
            };
            if let Err(e) = step() {
                error = Some(format!("cannot write {}: {e}", path.display()));
                break;
            }
            done.push(i);
        }
        let Some(message) = error else {
            return Ok(staged.len());
        };
        // Takes back what was renamed, newest first, and restores what it replaced.
        let mut left = Vec::new();
        for i in (0..staged.len()).rev() {
            let path = &staged[i].0;
            let renamed = done.contains(&i);
            let moved_aside = replaced.binary_search(&i).is_ok() && backup(i).exists();
            if renamed && std::fs::remove_file(path).is_err() {
                left.push(path.clone());
                continue;
            }
            if moved_aside && std::fs::rename(backup(i), path).is_err() {
                left.push(path.clone());
            }
        }
        left.reverse();
        Err(CommitError { message, left })
    }
}

/// What [`Staging::commit`] checks before it moves anything: no two files go to the same
/// path, and no path is a folder. Returns the positions of the paths where a file already
/// is (to be moved aside): one look at each path.
fn check_targets(staged: &[(PathBuf, PathBuf)]) -> Result<Vec<usize>, String> {
    let mut seen = std::collections::HashSet::new();
    let mut resolver = Resolver::default();
    let mut existing = Vec::new();
    for (i, (path, _)) in staged.iter().enumerate() {
        if !seen.insert(resolver.resolve(path)) {
            return Err(format!(
                "{} would be written twice in one run",
                path.display()
            ));
        }
        let Ok(m) = std::fs::symlink_metadata(path) else {
            continue;
        };
        // A link is replaced, not followed, unless it leads to a folder.
        if m.is_dir() || (m.is_symlink() && std::fs::metadata(path).is_ok_and(|m| m.is_dir())) {
            return Err(format!(
                "{} is a folder, where an output file would go",
                path.display()
            ));
        }
        existing.push(i);
    }
    Ok(existing)
}

/// Whether the file at `a` holds the same bytes as the file at `b`.
fn same_content(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) if x.is_file() && y.is_file() && x.len() == y.len() => {
            matches!((std::fs::read(a), std::fs::read(b)), (Ok(u), Ok(v)) if u == v)
        }
        _ => false,
    }
}

/// Writes a small file and syncs it (the journal must be on disk before a rename it
/// describes).
fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Renames `from` to `to`; across file systems (a `--context` file outside the output
/// folder), copies to a temporary file next to `to` and renames that.
fn move_file(from: &Path, to: &Path) -> std::io::Result<()> {
    match std::fs::rename(from, to) {
        Err(e) if e.kind() == std::io::ErrorKind::CrossesDevices => {
            let mut tmp = temp_for(to)?;
            std::io::copy(&mut File::open(from)?, tmp.as_file_mut())?;
            let tmp: TempPath = tmp.into_temp_path();
            tmp.persist(to).map_err(|e| e.error)?;
            std::fs::remove_file(from)
        }
        other => other,
    }
}

/// `path` with its folder made absolute and canonical (the file itself need not exist):
/// two names of the same place compare equal.
#[must_use]
pub fn resolved(path: &Path) -> PathBuf {
    Resolver::default().resolve(path)
}

/// [`resolved`] for many paths, each folder canonicalised once (a run's files share one or
/// two folders: one `canonicalize` each, not one per file).
#[derive(Debug, Default)]
struct Resolver(std::collections::HashMap<PathBuf, PathBuf>);

impl Resolver {
    fn resolve(&mut self, path: &Path) -> PathBuf {
        let parent = parent_of(path);
        let parent = self
            .0
            .entry(parent.to_owned())
            .or_insert_with(|| std::fs::canonicalize(parent).unwrap_or_else(|_| absolute(parent)));
        match path.file_name() {
            Some(name) => parent.join(name),
            None => parent.clone(),
        }
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

/// An output named on its own (`--context FILE`) follows the rules of every output (not
/// replaced without `--force`: [`Staging::refuse_existing`]) and is never one of the run's
/// inputs (`reads`: exports, rate card, templates). Its folder is created if missing.
///
/// # Errors
/// `-`, a folder, an input, or a folder that cannot be created; `flag` names the option.
pub fn check_extra_output(
    flag: &str,
    path: &Path,
    reads: impl IntoIterator<Item = PathBuf>,
) -> Result<(), String> {
    let shown = path.display();
    if path.as_os_str() == "-" {
        return Err(format!("{flag} -: name a file"));
    }
    if std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        return Err(format!("{flag} {shown} is a folder; name a file"));
    }
    for input in reads {
        if same_file(path, &input) {
            return Err(format!(
                "{flag} {shown} is {}, an input of this run; name another file",
                input.display()
            ));
        }
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    Ok(())
}

/// Whether two paths name the same existing file (device and inode on Unix).
#[must_use]
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        #[cfg(unix)]
        (Ok(x), Ok(y)) => {
            use std::os::unix::fs::MetadataExt;
            (x.dev(), x.ino()) == (y.dev(), y.ino())
        }
        #[cfg(not(unix))]
        (Ok(_), Ok(_)) => resolved(a) == resolved(b),
        _ => false,
    }
}

/// A file being written piece by piece ([`Staging::open`]); left in the staging folder
/// (deleted with it) if dropped before [`Staging::close`].
#[derive(Debug)]
pub struct StagedWriter {
    path: PathBuf,
    tmp: PathBuf,
    w: std::io::BufWriter<File>,
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

    fn names(d: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != STATE_DIR)
            .collect();
        v.sort();
        v
    }

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
        let out = OutDir::open(dir.path()).unwrap();
        let s = out.staging().unwrap();
        s.stage(&dir.path().join("a.txt"), b"a").unwrap();
        let mut w = s.open(&dir.path().join("b.txt")).unwrap();
        w.write_all(b"b1").unwrap();
        w.write_all(b"b2").unwrap();
        s.close(w).unwrap();
        let dropped = s.open(&dir.path().join("e.txt")).unwrap();
        drop(dropped);
        assert!(names(dir.path()).is_empty());
        assert_eq!(
            s.paths(),
            [dir.path().join("a.txt"), dir.path().join("b.txt")]
        );
        assert_eq!(s.commit().unwrap(), 2);
        assert_eq!(names(dir.path()), ["a.txt", "b.txt"]);
        assert_eq!(std::fs::read(dir.path().join("b.txt")).unwrap(), b"b1b2");
        // Dropped without commit: nothing is left, not even in the state folder.
        let s = out.staging().unwrap();
        s.stage(&dir.path().join("c.txt"), b"c").unwrap();
        drop(s);
        assert_eq!(names(dir.path()), ["a.txt", "b.txt"]);
        assert_eq!(names(&dir.path().join(STATE_DIR)), ["lock"]);
    }

    #[test]
    fn a_failed_commit_takes_everything_back() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("b.txt"), b"old b").unwrap();
        // A folder named like the third output: its rename fails after two succeeded
        // (checked up front when it is already there, so it appears only later here).
        let out = OutDir::open(d).unwrap();
        let s = out.staging().unwrap();
        for n in ["a.txt", "b.txt", "c.txt", "d.txt"] {
            s.stage(&d.join(n), n.as_bytes()).unwrap();
        }
        std::fs::create_dir(d.join("c.txt")).unwrap();
        let e = s.commit().unwrap_err();
        assert!(e.message.contains("c.txt is a folder"), "{e}");
        assert!(e.to_string().ends_with("nothing was written"));
        assert_eq!(names(d), ["b.txt", "c.txt"]);
        // A rename that fails half-way: the files already renamed are taken back and
        // the replaced one restored.
        std::fs::remove_dir(d.join("c.txt")).unwrap();
        let s = out.staging().unwrap();
        for n in ["a.txt", "b.txt", "c.txt"] {
            s.stage(&d.join(n), n.as_bytes()).unwrap();
        }
        s.stage(&d.join("missing").join("d.txt"), b"d").unwrap();
        let e = s.commit().unwrap_err();
        assert!(e.left.is_empty(), "{e}");
        assert!(e.message.contains("missing/d.txt"), "{e}");
        assert_eq!(names(d), ["b.txt"]);
        assert_eq!(std::fs::read(d.join("b.txt")).unwrap(), b"old b");
        // The same path twice is refused before anything moves.
        let s = out.staging().unwrap();
        s.stage(&d.join("x.txt"), b"1").unwrap();
        s.stage(&d.join(".").join("x.txt"), b"2").unwrap();
        assert!(s.commit().unwrap_err().message.contains("twice"));
        assert_eq!(names(d), ["b.txt"]);
    }

    #[test]
    fn one_run_at_a_time_and_leftovers_are_cleaned() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let out = OutDir::open(d).unwrap();
        assert!(matches!(OutDir::open(d), Err(OutError::Busy(_))));
        // What a killed run leaves: staged files, and a commit that had moved a file aside.
        let s = out.staging().unwrap();
        s.stage(&d.join("a.txt"), b"a").unwrap();
        s.stage(&d.join("b.txt"), b"b").unwrap();
        std::fs::write(d.join("kept.txt"), b"old").unwrap();
        let sd = s.dir.clone();
        std::fs::rename(d.join("kept.txt"), sd.join("backup-7")).unwrap();
        std::fs::write(
            sd.join(JOURNAL),
            format!("backup-7\t{}\n", absolute(&d.join("kept.txt")).display()),
        )
        .unwrap();
        std::mem::forget(s);
        drop(out);
        let out = OutDir::open(d).unwrap();
        assert_eq!(
            out.cleaned(),
            Cleanup {
                temporary: 2,
                restored: 1,
                ..Cleanup::default()
            }
        );
        assert_eq!(names(d), ["kept.txt"]);
        assert_eq!(std::fs::read(d.join("kept.txt")).unwrap(), b"old");
        assert_eq!(names(&d.join(STATE_DIR)), ["lock"]);
    }

    #[test]
    fn only_a_folder_can_be_the_output() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"x").unwrap();
        let err = |p: &Path| OutDir::open(p).unwrap_err().to_string();
        assert!(err(&file).contains("is a file; it must be a folder"));
        assert!(err(Path::new("-")).contains("name a folder"));
        #[cfg(unix)]
        {
            let link = dir.path().join("link");
            std::os::unix::fs::symlink(dir.path().join("nowhere"), &link).unwrap();
            assert!(err(&link).contains("symbolic link to something that does not exist"));
        }
        // Created when missing, and removed again when the run wrote nothing.
        let new = dir.path().join("new");
        OutDir::open(&new).unwrap().discard();
        assert!(!new.exists());
    }
}
