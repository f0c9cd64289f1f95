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
        let done = std::sync::atomic::AtomicBool::new(false);
        let ahead = ReadAhead::new(path);
        std::thread::scope(|scope| {
            for _ in 0..READ_AHEAD_THREADS {
                scope.spawn(|| ahead.work(&done));
            }
            walk_directory(path, exclusions, &mut found);
            done.store(true, std::sync::atomic::Ordering::Relaxed);
            ahead.wake_all();
        });
    }
    found
}

/// Threads that read the walked tree's directories ahead of the walk.
const READ_AHEAD_THREADS: usize = 8;

/// Directories read, and their entries looked at, ahead of the walk and
/// on several threads, so that the walk finds them in the kernel's
/// caches: where they are not (a fresh checkout, a machine that gave
/// its caches back), the walk waits on the disk for one directory after
/// another (the scale-100 benchmark's 4,200 directories: 0.3–0.4 s with
/// one core a quarter busy). It changes nothing the walk finds: the walk
/// alone decides what is checked and in which order; the read-ahead
/// leaves out links and the directories the walk never enters.
struct ReadAhead {
    queue: std::sync::Mutex<ReadAheadQueue>,
    ready: std::sync::Condvar,
}

#[derive(Default)]
struct ReadAheadQueue {
    directories: Vec<PathBuf>,
    /// Threads reading a directory now (which may add more).
    busy: usize,
}

impl ReadAhead {
    fn new(root: &Path) -> ReadAhead {
        ReadAhead {
            queue: std::sync::Mutex::new(ReadAheadQueue {
                directories: vec![root.to_path_buf()],
                busy: 0,
            }),
            ready: std::sync::Condvar::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ReadAheadQueue> {
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn wake_all(&self) {
        let _queue = self.lock();
        self.ready.notify_all();
    }

    /// Reads directories until none is left or the walk is `done`.
    fn work(&self, done: &std::sync::atomic::AtomicBool) {
        let is_done = || done.load(std::sync::atomic::Ordering::Relaxed);
        loop {
            let directory = {
                let mut queue = self.lock();
                loop {
                    if is_done() {
                        return;
                    }
                    if let Some(directory) = queue.directories.pop() {
                        queue.busy += 1;
                        break directory;
                    }
                    if queue.busy == 0 {
                        return;
                    }
                    queue = self
                        .ready
                        .wait(queue)
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                }
            };
            let below = if is_done() {
                Vec::new()
            } else {
                read_ahead_of(&directory)
            };
            let mut queue = self.lock();
            queue.busy -= 1;
            queue.directories.extend(below);
            self.ready.notify_all();
        }
    }
}

/// Reads `directory` and looks at each entry (as the walk will), and
/// returns the directories in it the walk may enter.
fn read_ahead_of(directory: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(directory) else {
        return Vec::new();
    };
    let mut below = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let is_directory = std::fs::metadata(&path).is_ok_and(|meta| meta.is_dir());
        let is_link = entry.file_type().is_ok_and(|kind| kind.is_symlink());
        let skipped = SKIPPED_DIRECTORIES
            .iter()
            .any(|skipped| entry.file_name() == *skipped);
        if is_directory && !is_link && !skipped {
            below.push(path);
        }
    }
    below
}

/// The files under the directory `path` the walk takes, in a stable
/// order, and what it could not follow, added to `found`.
fn walk_directory(path: &Path, exclusions: &Exclusions, found: &mut Vec<Found>) {
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
                broken(found, &error);
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
            if skipped_name || exclusions.excluded(&at, is_dir) || git_ignored(&stack, &at, is_dir)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A tree with nested directories, a link back to its root, a `.git`
    /// directory and files, in a fresh temporary directory.
    fn tree(label: &str) -> PathBuf {
        let root =
            std::env::temp_dir().join(format!("lint403-read-ahead-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let made = std::fs::create_dir_all(root.join("a/b/c"))
            .and_then(|()| std::fs::create_dir_all(root.join("d")))
            .and_then(|()| std::fs::create_dir_all(root.join(".git/objects")))
            .and_then(|()| std::fs::write(root.join("a/b/nginx.conf"), "events {}\n"))
            .and_then(|()| std::os::unix::fs::symlink("../..", root.join("a/b/up")));
        assert!(made.is_ok(), "fixture tree not made: {made:?}");
        root
    }

    #[test]
    fn read_ahead_enters_directories_but_not_links_or_skipped_ones() {
        let root = tree("entries");
        let mut below = read_ahead_of(&root.join("a/b"));
        below.sort();
        assert_eq!(below, [root.join("a/b/c")]);
        let mut top = read_ahead_of(&root);
        top.sort();
        assert_eq!(top, [root.join("a"), root.join("d")]);
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn read_ahead_threads_end_when_the_tree_is_read() {
        let root = tree("threads");
        let ahead = std::sync::Arc::new(ReadAhead::new(&root));
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (ended, ends) = std::sync::mpsc::channel();
        for _ in 0..4 {
            let (ahead, done, ended) = (ahead.clone(), done.clone(), ended.clone());
            std::thread::spawn(move || {
                ahead.work(&done);
                let _ = ended.send(());
            });
        }
        for _ in 0..4 {
            assert!(
                ends.recv_timeout(std::time::Duration::from_secs(20))
                    .is_ok(),
                "a read-ahead thread did not end"
            );
        }
        assert!(ahead.lock().directories.is_empty());
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn the_walk_finds_the_same_files_whatever_the_read_ahead_does() {
        let root = tree("walk");
        let found = discover(std::slice::from_ref(&root), &Exclusions::new(false));
        let files: Vec<String> = found
            .iter()
            .map(|found| match found {
                Found::File { path, .. } => path.display().to_string(),
                Found::Broken { path, reason } => format!("{}: {reason}", path.display()),
            })
            .collect();
        let _ = std::fs::remove_dir_all(&root);
        assert_eq!(
            files,
            [
                root.join("a/b/nginx.conf").display().to_string(),
                format!(
                    "{}: symbolic link loop back to {}",
                    root.join("a/b/up").display(),
                    root.display()
                ),
            ]
        );
    }
}
