//! The contract between the command line and each dialect crate: one call
//! checks one file (and whatever it includes) and says what it found.

use std::path::PathBuf;

use crate::diagnostic::Diagnostic;
use crate::source::FileId;

/// How a dialect should read one file.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// The context the file's top-level directives stand in (`--context`):
    /// nginx `main`, `http`, `server`, `location`, …; Apache `server`,
    /// `virtualhost`, `directory`, `htaccess`. `None`: the dialect decides
    /// from the file name and content (a fragment is checked in the
    /// outermost context where all its top-level directives are allowed).
    pub context: Option<String>,
    /// Directory that relative include paths are resolved against (nginx
    /// prefix, Apache `ServerRoot`). `None`: the dialect's own default.
    pub include_root: Option<PathBuf>,
    /// Read absolute include paths from this machine. Off for `check` of a
    /// repository (they name the deploy target), on for `trace`.
    pub follow_absolute_includes: bool,
    /// Absolute path prefixes on the deploy target and the directory in the
    /// linted tree that holds them, longest prefix first.
    pub path_map: Vec<(PathBuf, PathBuf)>,
}

impl CheckOptions {
    /// Where an absolute path from a configuration is read from, if at all.
    pub fn map_absolute(&self, path: &std::path::Path) -> Option<PathBuf> {
        for (from, to) in &self.path_map {
            if let Ok(rest) = path.strip_prefix(from) {
                return Some(to.join(rest));
            }
        }
        self.follow_absolute_includes.then(|| path.to_path_buf())
    }
}

/// What checking one file found.
#[derive(Debug, Clone, Default)]
pub struct CheckOutput {
    pub diagnostics: Vec<Diagnostic>,
    /// Every file that was parsed without a syntax error, the checked file
    /// and each file read through its includes.
    pub parsed: Vec<FileId>,
    /// Files read through includes (so the caller does not check them a
    /// second time as fragments).
    pub included: Vec<FileId>,
}
