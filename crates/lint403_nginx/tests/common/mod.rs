//! Helpers shared by the integration tests.
#![allow(dead_code, reason = "each test file uses a different subset")]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use lint403_core::{read, CheckOptions, CheckOutput, Diagnostic, SourceFile, SourceMap};

static NEXT_DIR: AtomicUsize = AtomicUsize::new(0);

/// A directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "lint403-nginx-{name}-{}-{}",
            std::process::id(),
            NEXT_DIR.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `text` to `relative`, creating directories.
    pub fn write(&self, relative: &str, text: &str) -> PathBuf {
        let path = self.0.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|error| panic!("{error}"));
        }
        std::fs::write(&path, text).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every file under `dir`, at any depth.
pub fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Every file under `fixtures/nginx`.
pub fn nginx_fixtures() -> Vec<PathBuf> {
    let mut files = Vec::new();
    files_under(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/nginx"),
        &mut files,
    );
    files
}

/// Checks a file on disk.
pub fn check_path(path: &Path, options: &CheckOptions) -> (SourceMap, CheckOutput) {
    let mut sources = SourceMap::new();
    let source =
        read::read_source(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let id = sources.add(source);
    let output = lint403_nginx::check(&mut sources, id, options);
    (sources, output)
}

/// Checks text that is not on disk, under the file name `name`.
pub fn check_text(name: &str, text: &str, options: &CheckOptions) -> (SourceMap, CheckOutput) {
    let mut sources = SourceMap::new();
    let id = sources.add(SourceFile::from_bytes(name, text.as_bytes().to_vec()));
    let output = lint403_nginx::check(&mut sources, id, options);
    (sources, output)
}

/// `(code, file name, line, message)` of every diagnostic, sorted.
pub fn summary(sources: &SourceMap, output: &CheckOutput) -> Vec<(String, String, usize, String)> {
    let mut rows: Vec<_> = output
        .diagnostics
        .iter()
        .map(|diagnostic| {
            let file = sources.get(diagnostic.span.file);
            let name = file
                .path
                .file_name()
                .map_or_else(String::new, |name| name.to_string_lossy().into_owned());
            (
                diagnostic.code.code.to_string(),
                name,
                file.line_col(diagnostic.span.range.start).line,
                diagnostic.message.clone(),
            )
        })
        .collect();
    rows.sort();
    rows
}

/// Every diagnostic must point somewhere and say how to fix it.
pub fn assert_well_formed(sources: &SourceMap, output: &CheckOutput) {
    for diagnostic in &output.diagnostics {
        assert_well_formed_one(sources, diagnostic);
    }
}

pub fn assert_well_formed_one(sources: &SourceMap, diagnostic: &Diagnostic) {
    let file = sources.get(diagnostic.span.file);
    assert!(
        diagnostic.span.range.end <= file.text.len(),
        "span outside the file: {diagnostic:?}"
    );
    assert!(
        diagnostic
            .help
            .as_deref()
            .is_some_and(|help| !help.is_empty()),
        "no help: {diagnostic:?}"
    );
    assert!(diagnostic.label.is_some(), "no label: {diagnostic:?}");
    assert!(!diagnostic.message.is_empty());
}

pub fn options_in(context: &str) -> CheckOptions {
    CheckOptions {
        context: Some(context.to_string()),
        ..CheckOptions::default()
    }
}
