//! `lint403 check`: read, detect, hand each file to its dialect, collect.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use lint403_core::{
    codes, read, CheckOptions, CheckOutput, Diagnostic, Dialect, FileId, SourceMap, Span, TextRange,
};

use lint403_rules::{Loaded, RuleContext};

use crate::detect::{self, Evidence};
use crate::discover::{self, Found};

/// What the user asked `check` to do.
#[derive(Debug, Clone, Default)]
pub struct CheckRequest {
    pub paths: Vec<PathBuf>,
    /// `--dialect`: `None` detects per file.
    pub dialect: Option<Dialect>,
    /// `--context`: the context of fragments' top-level directives.
    pub context: Option<String>,
}

/// One checked file, for the `files` list of the report.
#[derive(Debug, Clone)]
pub struct CheckedFile {
    pub file: FileId,
    pub dialect: Dialect,
    pub parsed: bool,
}

/// Everything a front end needs to render a run.
#[derive(Debug, Default)]
pub struct Report {
    pub sources: SourceMap,
    pub files: Vec<CheckedFile>,
    pub diagnostics: Vec<Diagnostic>,
    /// Files named on the command line whose dialect could not be told.
    pub undetected: Vec<PathBuf>,
}

/// Runs `check` over the requested paths.
pub fn check(request: &CheckRequest) -> Report {
    let mut report = Report::default();
    let mut pending = Vec::new();
    for found in discover::discover(&request.paths) {
        match found {
            Found::File { path, explicit } => pending.push((path, explicit)),
            Found::Broken { path, reason } => unreadable(&mut report, &path, &reason),
        }
    }
    // Main configurations first, so that the fragments they include are
    // checked in their real context and not a second time on their own.
    pending.sort_by_key(|(path, _)| !is_main_config(path));
    let mut seen: HashSet<PathBuf> = HashSet::new();
    for (path, explicit) in pending {
        if !seen.insert(canonical(&path)) {
            continue;
        }
        let source = match read::read_source(&path) {
            Ok(source) => source,
            Err(error) => {
                unreadable(&mut report, &path, &error.to_string());
                continue;
            }
        };
        let detected = request
            .dialect
            .map(|dialect| (dialect, Evidence::Name))
            .or_else(|| detect::detect(&path, &source.text));
        let Some((dialect, _)) = detected else {
            if explicit {
                report.undetected.push(path);
            }
            continue;
        };
        let file = report.sources.add(source);
        let options = CheckOptions {
            context: request.context.clone(),
            ..CheckOptions::default()
        };
        let output = check_one(&mut report.sources, file, dialect, &options);
        record(&mut report, &mut seen, file, dialect, output);
    }
    sort_diagnostics(&mut report);
    report
}

fn check_one(
    sources: &mut SourceMap,
    file: FileId,
    dialect: Dialect,
    options: &CheckOptions,
) -> CheckOutput {
    let (mut output, lints) = match dialect {
        Dialect::Nginx => {
            let config = lint403_nginx::load(sources, file, options);
            let output = lint403_nginx::check_loaded(&config, sources);
            (output, lint(sources, Loaded::Nginx(&config)))
        }
        Dialect::Apache => {
            let config = lint403_apache::load(sources, file, options);
            let output = lint403_apache::check_loaded(&config);
            (output, lint(sources, Loaded::Apache(&config)))
        }
        Dialect::Iis => {
            let config = lint403_iis::load(sources, file, options);
            let output = lint403_iis::check_loaded(&config);
            (output, lint(sources, Loaded::Iis(&config)))
        }
    };
    output.diagnostics.extend(lints);
    output
}

fn lint(sources: &SourceMap, config: Loaded<'_>) -> Vec<Diagnostic> {
    lint403_rules::run(&RuleContext::new(sources, config))
}

fn record(
    report: &mut Report,
    seen: &mut HashSet<PathBuf>,
    file: FileId,
    dialect: Dialect,
    output: CheckOutput,
) {
    let parsed: HashSet<FileId> = output.parsed.iter().copied().collect();
    for checked in std::iter::once(file).chain(output.included.iter().copied()) {
        seen.insert(canonical(&report.sources.get(checked).path));
        if !report.files.iter().any(|entry| entry.file == checked) {
            report.files.push(CheckedFile {
                file: checked,
                dialect,
                parsed: parsed.contains(&checked),
            });
        }
    }
    report.diagnostics.extend(output.diagnostics);
}

fn unreadable(report: &mut Report, path: &Path, reason: &str) {
    let file = report.sources.add_unreadable(path);
    report.diagnostics.push(
        Diagnostic::new(
            codes::FILE_UNREADABLE,
            Span::new(file, TextRange::empty(0)),
            format!("cannot read {}: {reason}", path.display()),
        )
        .with_help("make the path a readable regular file, or exclude it from the check"),
    );
}

fn is_main_config(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| {
            let name = name.to_ascii_lowercase();
            matches!(name.as_str(), "nginx.conf" | "httpd.conf" | "apache2.conf")
        })
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Stable order: path, line, column, code.
fn sort_diagnostics(report: &mut Report) {
    let sources = &report.sources;
    report.diagnostics.sort_by_cached_key(|diagnostic| {
        let file = sources.get(diagnostic.span.file);
        let at = file.line_col(diagnostic.span.range.start);
        (
            file.path.clone(),
            at.line,
            at.column,
            diagnostic.code.code,
            diagnostic.message.clone(),
        )
    });
    report.diagnostics.dedup();
}
