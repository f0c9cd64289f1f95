//! Turns the paths on the command line into the files to check.

use std::path::{Path, PathBuf};

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use walkdir::WalkDir;

use crate::detect;

/// What the walk leaves out besides the fixed directory list: paths the
/// repository's `.gitignore` files ignore, and `--exclude` / `exclude:`
/// patterns (gitignore syntax). Files named on the command line are
/// always checked.
#[derive(Debug, Default, Clone)]
pub struct Exclusions {
    /// Matchers of exclude patterns, each rooted at its directory.
    patterns: Vec<Gitignore>,
    /// Honour `.gitignore` files (in the walked tree and above it, up to
    /// the repository root).
    pub gitignore: bool,
}

impl Exclusions {
    /// No exclude patterns; `.gitignore` files honoured when `gitignore`.
    pub fn new(gitignore: bool) -> Exclusions {
        Exclusions {
            patterns: Vec::new(),
            gitignore,
        }
    }

    /// Adds gitignore-style `patterns` relative to `root`.
    pub fn add(&mut self, root: &Path, patterns: &[String]) -> Result<(), String> {
        if patterns.is_empty() {
            return Ok(());
        }
        let root = absolute(root);
        let mut builder = GitignoreBuilder::new(&root);
        for pattern in patterns {
            builder
                .add_line(None, pattern)
                .map_err(|error| format!("exclude pattern `{pattern}`: {error}"))?;
        }
        let matcher = builder.build().map_err(|error| error.to_string())?;
        self.patterns.push(matcher);
        Ok(())
    }

    fn excluded(&self, path: &Path, is_dir: bool) -> bool {
        self.patterns.iter().any(|matcher| {
            matcher
                .matched_path_or_any_parents(path, is_dir)
                .is_ignore()
        })
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| {
        std::env::current_dir().map_or_else(|_| path.to_path_buf(), |here| here.join(path))
    })
}

/// The `.gitignore` matchers of `dir`'s ancestors, up to the repository
/// root (the first directory holding `.git`), outermost first.
fn ancestor_gitignores(dir: &Path) -> Vec<(PathBuf, Gitignore)> {
    let mut found = Vec::new();
    for ancestor in dir.ancestors().skip(1) {
        if let Some(matcher) = gitignore_of(ancestor) {
            found.push((ancestor.to_path_buf(), matcher));
        }
        if ancestor.join(".git").exists() {
            break;
        }
    }
    found.reverse();
    found
}

fn gitignore_of(dir: &Path) -> Option<Gitignore> {
    let file = dir.join(".gitignore");
    if !file.is_file() {
        return None;
    }
    let mut builder = GitignoreBuilder::new(dir);
    // A malformed line is skipped by git too; the rest still applies.
    let _ = builder.add(&file);
    builder.build().ok()
}

/// Whether the innermost `.gitignore` with an opinion ignores `path`.
fn git_ignored(stack: &[(PathBuf, Gitignore)], path: &Path, is_dir: bool) -> bool {
    for (_, matcher) in stack.iter().rev() {
        let verdict = matcher.matched(path, is_dir);
        if verdict.is_ignore() {
            return true;
        }
        if verdict.is_whitelist() {
            return false;
        }
    }
    false
}

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
/// (following symlinks, with loops reported), in a stable order, leaving
/// out what `exclusions` excludes.
pub fn discover(paths: &[PathBuf], exclusions: &Exclusions) -> Vec<Found> {
    let mut found = Vec::new();
    for path in paths {
        if !path.is_dir() {
            found.push(Found::File {
                path: path.clone(),
                explicit: true,
            });
            continue;
        }
        let root = absolute(path);
        let mut stack = if exclusions.gitignore {
            ancestor_gitignores(&root)
        } else {
            Vec::new()
        };
        let mut walk = WalkDir::new(path)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter();
        while let Some(entry) = walk.next() {
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) => {
                    broken(&mut found, &error);
                    continue;
                }
            };
            let is_dir = entry.file_type().is_dir();
            let relative = entry.path().strip_prefix(path).unwrap_or(entry.path());
            let at = root.join(relative);
            // Leave the matchers of directories the walk has moved out of.
            while stack.last().is_some_and(|(dir, _)| !at.starts_with(dir)) {
                stack.pop();
            }
            if entry.depth() > 0 {
                let skipped_name = is_dir
                    && SKIPPED_DIRECTORIES
                        .iter()
                        .any(|skipped| entry.file_name() == *skipped);
                if skipped_name
                    || exclusions.excluded(&at, is_dir)
                    || git_ignored(&stack, &at, is_dir)
                {
                    if is_dir {
                        walk.skip_current_dir();
                    }
                    continue;
                }
            }
            if is_dir {
                if exclusions.gitignore {
                    if let Some(matcher) = gitignore_of(entry.path()) {
                        stack.push((at, matcher));
                    }
                }
            } else if detect::is_candidate(entry.path()) {
                found.push(Found::File {
                    path: without_dot_prefix(entry.into_path()),
                    explicit: false,
                });
            }
        }
    }
    found
}

fn broken(found: &mut Vec<Found>, error: &walkdir::Error) {
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

/// `./a/b.conf` → `a/b.conf`, as a user would write it.
fn without_dot_prefix(path: PathBuf) -> PathBuf {
    match path.strip_prefix(".") {
        Ok(rest) if !rest.as_os_str().is_empty() => rest.to_path_buf(),
        _ => path,
    }
}
