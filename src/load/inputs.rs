//! Input expansion: the paths of a command line to the sources to read, each real file once.

use crate::diag::Finding;
use std::path::{Path, PathBuf};

/// Where an input comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file.
    File(PathBuf),
    /// Standard input (`-`).
    Stdin,
}

impl Source {
    /// Name used in messages.
    #[must_use]
    pub fn name(&self) -> String {
        match self {
            Self::File(p) => p.display().to_string(),
            Self::Stdin => "<stdin>".to_owned(),
        }
    }
}

/// Inputs named on the command line, expanded.
#[derive(Debug, Default)]
pub struct Inputs {
    /// Files to read, in a stable order: as named, directories expanded in sorted order;
    /// each real file once (a file reached again, through a link or named twice, is read
    /// the first time only).
    pub sources: Vec<Source>,
    /// Paths that could not be expanded (missing, unreadable, or folders with no `.json`).
    pub problems: Vec<Finding>,
    /// What the walk left out and why (non-regular files, symbolic link loops): warnings,
    /// the run goes on.
    pub warnings: Vec<Finding>,
}

fn is_json_name(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// The identity of a file on its file system (device and inode on Unix; the path made
/// canonical elsewhere), to read each real file once and to notice link loops.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum FileId {
    #[cfg(unix)]
    Inode(u64, u64),
    #[cfg_attr(unix, allow(dead_code))]
    Path(PathBuf),
}

fn file_id(path: &Path, meta: &std::fs::Metadata) -> FileId {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let _ = path;
        FileId::Inode(meta.dev(), meta.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        FileId::Path(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned()))
    }
}

/// A walk over the paths of one command line.
#[derive(Default)]
struct Walk {
    inputs: Inputs,
    /// Every file and folder met so far.
    seen: std::collections::HashSet<FileId>,
    /// The folders being walked, outermost first (a link to one of them is a loop).
    stack: Vec<(FileId, PathBuf)>,
    /// `*.json` entries met (read, already read, or skipped with a warning), and folders
    /// met again: a folder where this does not grow holds nothing to read.
    met: usize,
}

impl Walk {
    fn error(&mut self, name: &str, message: String) {
        self.inputs
            .problems
            .push(Finding::of(crate::codes::Code::IoError, name, "", message));
    }

    /// Adds a file once.
    fn file(&mut self, path: &Path, meta: &std::fs::Metadata) {
        self.met += 1;
        if self.seen.insert(file_id(path, meta)) {
            self.inputs.sources.push(Source::File(path.to_owned()));
        }
    }

    /// Walks a folder: `*.json` regular files in sorted order, sub-folders recursively
    /// (through links too, each real folder once).
    fn dir(&mut self, dir: &Path, meta: &std::fs::Metadata) -> std::io::Result<()> {
        let id = file_id(dir, meta);
        if let Some((_, first)) = self.stack.iter().find(|(s, _)| *s == id) {
            self.met += 1;
            let (name, first) = (dir.display().to_string(), first.display().to_string());
            self.inputs.warnings.push(Finding::of(crate::codes::Code::SymlinkLoop,
                &name,
                "",
                format!("{name} leads back to {first}, which is being read: a loop of symbolic links, not followed"),
            ));
            return Ok(());
        }
        if !self.seen.insert(id.clone()) {
            // The same folder through another link: its files are in already.
            self.met += 1;
            return Ok(());
        }
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        entries.sort();
        self.stack.push((id, dir.to_owned()));
        for p in entries {
            let name = p.display().to_string();
            match std::fs::metadata(&p) {
                Ok(m) if m.is_dir() => {
                    if let Err(e) = self.dir(&p, &m) {
                        self.error(&name, format!("cannot list directory {name}: {e}"));
                    }
                }
                _ if !is_json_name(&p) => {}
                Ok(m) if m.is_file() => self.file(&p, &m),
                Ok(_) => {
                    self.met += 1;
                    self.inputs.warnings.push(Finding::of(crate::codes::Code::NotARegularFile,
                        &name,
                        "",
                        format!("{name} is not a regular file (a pipe, socket or device): skipped; name it on its own to read it"),
                    ));
                }
                // A dangling link or an unreadable entry: the read reports it.
                Err(_) => {
                    self.met += 1;
                    self.inputs.sources.push(Source::File(p));
                }
            }
        }
        self.stack.pop();
        Ok(())
    }
}

/// Expands paths: a file is read whatever its name (also a pipe or a device, under the
/// size limit); a directory is searched recursively for regular `*.json` files (sorted;
/// links are followed, each real file and folder once, loops reported); `-` is standard
/// input.
#[must_use]
pub fn expand(paths: &[PathBuf]) -> Inputs {
    let mut walk = Walk::default();
    for path in paths {
        let name = path.display().to_string();
        if name == "-" {
            walk.inputs.sources.push(Source::Stdin);
            continue;
        }
        match std::fs::metadata(path) {
            Err(e) => walk.error(&name, format!("cannot read {name}: {e}")),
            Ok(m) if m.is_dir() => {
                let met = walk.met;
                match walk.dir(path, &m) {
                    Err(e) => walk.error(&name, format!("cannot list directory {name}: {e}")),
                    Ok(()) if walk.met == met => {
                        walk.error(&name, format!("directory {name} contains no .json file"));
                    }
                    Ok(()) => {}
                }
            }
            Ok(m) if m.is_file() => walk.file(path, &m),
            Ok(_) => walk.inputs.sources.push(Source::File(path.clone())),
        }
    }
    walk.inputs
}
