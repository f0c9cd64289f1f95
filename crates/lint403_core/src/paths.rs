//! Paths with their symbolic links resolved: the identity of a file for
//! include cycles, for "checked once", and for the `.htaccess` files of a
//! directory.
//!
//! `std::fs::canonicalize` asks the kernel about every component of the
//! path (a `readlink` each): for the 2,400 `.htaccess` files of the
//! scale-100 benchmark, eleven components deep and resolved by several
//! steps of a run, that was 64,000 system calls. Here each directory is
//! resolved once, from its parent and one `lstat` of its own (a link is
//! resolved in full), and a file is its directory and one `lstat`.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::{LazyLock, Mutex, PoisonError};

use crate::hashing::FastHash;

/// Resolved directories, by the absolute path they were asked under, as
/// written (a path's own `Hash` reads it component by component, which
/// cost more than the lookup it served).
static DIRECTORIES: LazyLock<Mutex<HashMap<OsString, PathBuf, FastHash>>> =
    LazyLock::new(Mutex::default);

/// How many directories are kept before the cache starts over.
const DIRECTORY_LIMIT: usize = 1 << 16;

/// What `std::fs::canonicalize` returns for `path`. A directory's
/// resolution is kept for the rest of the process (or until [`forget`]):
/// a link among the directories that is changed while lint403 runs is not
/// seen again.
///
/// # Errors
/// Those of `std::fs::canonicalize`: the path, or a directory on it, does
/// not exist or cannot be looked at.
pub fn canonicalize(path: &Path) -> io::Result<PathBuf> {
    let bytes = path.as_os_str().as_encoded_bytes();
    // `dir/` and `dir/.` make the kernel follow a link named `dir`, which
    // `lstat` of the path would not show.
    let ends_in_directory = bytes.ends_with(b"/") || bytes.ends_with(b"/.");
    let (Some(parent), Some(Component::Normal(name))) =
        (path.parent(), path.components().next_back())
    else {
        return std::fs::canonicalize(path);
    };
    if ends_in_directory || parent.as_os_str().is_empty() {
        return std::fs::canonicalize(path);
    }
    if std::fs::symlink_metadata(path)?.file_type().is_symlink() {
        return std::fs::canonicalize(path);
    }
    Ok(directory(parent)?.join(name))
}

/// [`canonicalize`], or `path` itself when it cannot be resolved.
pub fn canonical_or_same(path: &Path) -> PathBuf {
    canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Drops what the cache knows: the start of a run sees the links as they
/// are now.
pub fn forget() {
    DIRECTORIES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clear();
}

fn directory(path: &Path) -> io::Result<PathBuf> {
    let key = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()?.join(path)
    };
    // The nearest directory at or above `key` that is known (or that has
    // no name to look at: the root, a `..`), and the names below it.
    let mut below: Vec<&OsStr> = Vec::new();
    let mut base: &Path = &key;
    let known = {
        let known = DIRECTORIES.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(resolved) = known.get(base.as_os_str()) {
                break Some(resolved.clone());
            }
            match (base.parent(), base.components().next_back()) {
                (Some(parent), Some(Component::Normal(name))) => {
                    below.push(name);
                    base = parent;
                }
                _ => break None,
            }
        }
    };
    // Resolved outside the lock: threads resolving different directories
    // do not wait on each other.
    let mut resolved = match known {
        Some(resolved) => resolved,
        None => std::fs::canonicalize(base)?,
    };
    let mut asked = base.to_path_buf();
    let mut found = vec![(asked.clone().into_os_string(), resolved.clone())];
    for name in below.into_iter().rev() {
        asked.push(name);
        resolved = if std::fs::symlink_metadata(&asked)?.file_type().is_symlink() {
            std::fs::canonicalize(&asked)?
        } else {
            resolved.join(name)
        };
        found.push((asked.clone().into_os_string(), resolved.clone()));
    }
    let mut known = DIRECTORIES.lock().unwrap_or_else(PoisonError::into_inner);
    if known.len() + found.len() > DIRECTORY_LIMIT {
        known.clear();
    }
    known.extend(found);
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tree with links among its directories and at its files, in a
    /// fresh temporary directory.
    fn tree(label: &str) -> PathBuf {
        let root =
            std::env::temp_dir().join(format!("lint403-paths-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let made = std::fs::create_dir_all(root.join("real/sub"))
            .and_then(|()| std::fs::write(root.join("real/sub/file.conf"), "x"))
            .and_then(|()| std::fs::write(root.join("real/other.conf"), "y"))
            .and_then(|()| std::os::unix::fs::symlink("real", root.join("linked")))
            .and_then(|()| {
                std::os::unix::fs::symlink("../other.conf", root.join("real/sub/to-other.conf"))
            })
            .and_then(|()| std::os::unix::fs::symlink("missing", root.join("real/dangling")))
            .and_then(|()| std::os::unix::fs::symlink("sub", root.join("real/sub-link")));
        assert!(made.is_ok(), "fixture tree not made: {made:?}");
        root
    }

    #[test]
    fn agrees_with_the_standard_library() {
        let root = tree("agree");
        let asked = [
            "real/sub/file.conf",
            "linked/sub/file.conf",
            "linked/sub/to-other.conf",
            "real/sub/../other.conf",
            "linked/sub/../other.conf",
            "real/sub-link/",
            "real/sub-link/.",
            "real/sub-link",
            "real/sub-link/file.conf",
            "real/dangling",
            "real/missing.conf",
            "missing-dir/file.conf",
            "real/sub/file.conf/..",
            "real/sub/file.conf/x",
            "linked",
            ".",
            "..",
        ];
        for _ in 0..2 {
            // The second round is answered from the cache.
            for relative in asked {
                let path = root.join(relative);
                let ours = canonicalize(&path);
                let theirs = std::fs::canonicalize(&path);
                match (&ours, &theirs) {
                    (Ok(ours), Ok(theirs)) => assert_eq!(ours, theirs, "{relative}"),
                    (Err(_), Err(_)) => {}
                    _ => panic!("{relative}: {ours:?} against {theirs:?}"),
                }
            }
        }
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn a_relative_path_is_resolved_from_the_current_directory() {
        let relative = Path::new("Cargo.toml");
        let theirs = std::fs::canonicalize(relative).ok();
        assert!(theirs.is_some(), "tests run in the crate's directory");
        assert_eq!(canonicalize(relative).ok(), theirs);
    }
}
