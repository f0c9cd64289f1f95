//! The filesystem under a document root, as a tracer sees it: deploy
//! paths mapped into the linted tree (or read as they are for `trace`).

use std::path::{Path, PathBuf};

/// What is at one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileKind {
    File,
    Directory,
    /// A symbolic link (to `target`, whether or not it exists).
    Symlink {
        target: PathBuf,
        resolves_to: Option<Box<FileKind>>,
    },
    /// A FIFO, socket or device: the servers refuse to serve these.
    Special,
    Missing,
}

/// Where deploy paths are read from.
#[derive(Debug, Clone, Default)]
pub struct FsView {
    /// Deploy prefix and local directory, longest prefix first.
    pub path_map: Vec<(PathBuf, PathBuf)>,
    /// Read unmapped absolute paths from this machine (`trace` of an
    /// installed server); off for `check` of a repository.
    pub read_unmapped: bool,
}

impl FsView {
    /// The local path of a deploy path, when there is a view of it.
    pub fn local(&self, path: &Path) -> Option<PathBuf> {
        for (from, to) in &self.path_map {
            if let Ok(rest) = path.strip_prefix(from) {
                return Some(to.join(rest));
            }
        }
        self.read_unmapped.then(|| path.to_path_buf())
    }

    /// Whether lint403 can see anything at the deploy directory `root`.
    pub fn sees(&self, root: &Path) -> bool {
        self.local(root).is_some_and(|local| local.is_dir())
    }

    /// What is at the deploy path `path`; `None` without a view of it.
    pub fn kind(&self, path: &Path) -> Option<FileKind> {
        let local = self.local(path)?;
        Some(kind_of(&local))
    }
}

fn kind_of(local: &Path) -> FileKind {
    let Ok(meta) = std::fs::symlink_metadata(local) else {
        return FileKind::Missing;
    };
    let kind = meta.file_type();
    if kind.is_symlink() {
        let target = std::fs::read_link(local).unwrap_or_default();
        let resolves_to = std::fs::metadata(local).ok().map(|meta| {
            Box::new(if meta.is_dir() {
                FileKind::Directory
            } else if meta.is_file() {
                FileKind::File
            } else {
                FileKind::Special
            })
        });
        return FileKind::Symlink {
            target,
            resolves_to,
        };
    }
    if kind.is_dir() {
        FileKind::Directory
    } else if kind.is_file() {
        FileKind::File
    } else {
        FileKind::Special
    }
}
