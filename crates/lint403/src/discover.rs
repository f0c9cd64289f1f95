//! Turns the paths on the command line into the files to check.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::detect;

/// A path the walk found, or could not follow.
#[derive(Debug)]
pub enum Found {
    /// A file to read; `explicit` when it was named on the command line
    /// (then it is checked whatever its name).
    File { path: PathBuf, explicit: bool },
    /// Something the walk could not enter or resolve (a symlink loop, a
    /// dangling link, an unreadable directory), with the reason.
    Broken { path: PathBuf, reason: String },
}

/// Directories a configuration tree never keeps its configs in.
const SKIPPED_DIRECTORIES: &[&str] = &[".git", ".hg", ".svn", "node_modules", "target"];

/// Walks each path: files are taken as given, directories recursively
/// (following symlinks, with loops reported), in a stable order.
pub fn discover(paths: &[PathBuf]) -> Vec<Found> {
    let mut found = Vec::new();
    for path in paths {
        if !path.is_dir() {
            found.push(Found::File {
                path: path.clone(),
                explicit: true,
            });
            continue;
        }
        let walk = WalkDir::new(path)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|entry| {
                entry.depth() == 0
                    || !entry.file_type().is_dir()
                    || !SKIPPED_DIRECTORIES
                        .iter()
                        .any(|skipped| entry.file_name() == *skipped)
            });
        for entry in walk {
            match entry {
                Ok(entry) => {
                    if !entry.file_type().is_dir() && detect::is_candidate(entry.path()) {
                        found.push(Found::File {
                            path: without_dot_prefix(entry.into_path()),
                            explicit: false,
                        });
                    }
                }
                Err(error) => {
                    let broken = error.path().map(Path::to_path_buf).unwrap_or_default();
                    let reason = if let Some(ancestor) = error.loop_ancestor() {
                        format!("symbolic link loop back to {}", ancestor.display())
                    } else if broken.symlink_metadata().is_ok() && broken.metadata().is_err() {
                        "dangling symbolic link".to_string()
                    } else {
                        error
                            .io_error()
                            .map_or_else(|| error.to_string(), ToString::to_string)
                    };
                    let is_dangling_non_config =
                        reason == "dangling symbolic link" && !detect::is_candidate(&broken);
                    if !is_dangling_non_config {
                        found.push(Found::Broken {
                            path: without_dot_prefix(broken),
                            reason,
                        });
                    }
                }
            }
        }
    }
    found
}

/// `./a/b.conf` → `a/b.conf`, as a user would write it.
fn without_dot_prefix(path: PathBuf) -> PathBuf {
    match path.strip_prefix(".") {
        Ok(rest) if !rest.as_os_str().is_empty() => rest.to_path_buf(),
        _ => path,
    }
}
