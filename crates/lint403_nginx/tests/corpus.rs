//! The real-world corpus (`../shared/corpus`, or `$LINT403_CORPUS`):
//! what `nginx -t` accepted gets no syntax error and no directive error,
//! what it refused for a syntax reason gets a syntax error on the line
//! nginx named, and every file prints back byte for byte.
//!
//! Skips (passing) when the corpus is absent. Reads the corpus in place
//! and copies nothing from it.

use std::path::{Path, PathBuf};

use lint403_core::codes::{DIRECTIVE_NOT_ALLOWED_HERE, SYNTAX_ERROR};
use lint403_core::{read, CheckOptions, SourceMap};

fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("LINT403_CORPUS")
        .map_or_else(|| PathBuf::from("../../../shared/corpus"), PathBuf::from);
    let dir = if dir.is_relative() {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(dir)
    } else {
        dir
    };
    dir.join("SYNTAX.tsv").is_file().then_some(dir)
}

struct Row {
    path: String,
    context: String,
    verdict: String,
    first_error: String,
    class: String,
}

fn rows(dir: &Path) -> Vec<Row> {
    let table = std::fs::read_to_string(dir.join("SYNTAX.tsv")).unwrap_or_default();
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            (cols.get(1) == Some(&"nginx")).then(|| Row {
                path: cols.first().copied().unwrap_or_default().to_string(),
                context: cols.get(2).copied().unwrap_or_default().to_string(),
                verdict: cols.get(3).copied().unwrap_or_default().to_string(),
                first_error: cols.get(4).copied().unwrap_or_default().to_string(),
                class: cols.get(5).copied().unwrap_or_default().to_string(),
            })
        })
        .collect()
}

/// The line at the end of nginx's message (`... in path:LINE`).
fn named_line(first_error: &str) -> Option<usize> {
    first_error.rsplit(':').next()?.trim().parse().ok()
}

/// Without `--context`, a fragment is checked where its directives belong:
/// no file nginx accepted gets a directive error from the guess.
#[test]
fn guessed_contexts_raise_no_directive_errors_on_accepted_files() {
    let Some(dir) = corpus_dir() else {
        eprintln!("SKIPPED: corpus not found (set LINT403_CORPUS)");
        return;
    };
    let mut failures = Vec::new();
    for row in rows(&dir).iter().filter(|row| row.verdict == "ok") {
        let Ok(source) = read::read_source(&dir.join(&row.path)) else {
            continue;
        };
        let mut sources = SourceMap::new();
        let id = sources.add(source);
        let result = lint403_nginx::check(&mut sources, id, &CheckOptions::default());
        let directive: Vec<_> = result
            .diagnostics
            .iter()
            .filter(|d| d.span.file == id && d.code == DIRECTIVE_NOT_ALLOWED_HERE)
            .map(|d| {
                (
                    sources.get(id).line_col(d.span.range.start).line,
                    d.message.clone(),
                )
            })
            .collect();
        if !directive.is_empty() {
            failures.push(format!("{} ({}): {directive:?}", row.path, row.context));
        }
    }
    assert!(
        failures.is_empty(),
        "{} files:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn corpus_agrees_with_nginx() {
    let Some(dir) = corpus_dir() else {
        eprintln!("SKIPPED: corpus not found (set LINT403_CORPUS)");
        return;
    };
    let rows = rows(&dir);
    assert!(!rows.is_empty(), "no nginx rows in SYNTAX.tsv");
    let mut failures = Vec::new();
    let mut checked = 0;
    for row in &rows {
        let path = dir.join(&row.path);
        let Ok(source) = read::read_source(&path) else {
            failures.push(format!("{}: unreadable", row.path));
            continue;
        };
        let output = lint403_nginx::parse(&source.text);
        if output.tree.print(&source.text) != source.text {
            failures.push(format!("{}: does not round-trip", row.path));
        }
        let base_context = row.context.split('+').next().unwrap_or_default();
        let options = CheckOptions {
            context: Some(base_context.to_string()),
            ..CheckOptions::default()
        };
        let mut sources = SourceMap::new();
        let id = sources.add(source);
        let result = lint403_nginx::check(&mut sources, id, &options);
        let own = |code: &str| {
            result
                .diagnostics
                .iter()
                .filter(|d| d.span.file == id && d.code.code == code)
                .map(|d| {
                    (
                        sources.get(id).line_col(d.span.range.start).line,
                        d.message.clone(),
                    )
                })
                .collect::<Vec<_>>()
        };
        let syntax = own(SYNTAX_ERROR.code);
        let directive = own(DIRECTIVE_NOT_ALLOWED_HERE.code);
        checked += 1;
        match (row.verdict.as_str(), row.class.as_str()) {
            ("ok", _) => {
                if !syntax.is_empty() {
                    failures.push(format!(
                        "{}: nginx accepts it, lint403 says {syntax:?}",
                        row.path
                    ));
                }
                if !directive.is_empty() {
                    failures.push(format!(
                        "{}: nginx accepts it in {}, lint403 says {directive:?}",
                        row.path, row.context
                    ));
                }
            }
            ("error", "syntax") => {
                let expected = named_line(&row.first_error);
                let first = syntax.first().map(|(line, _)| *line);
                if first.is_none() || first != expected {
                    failures.push(format!(
                        "{}: nginx says {:?}, lint403's first syntax error is {:?}",
                        row.path,
                        row.first_error,
                        syntax.first()
                    ));
                }
            }
            _ => {}
        }
    }
    let syntax_rows = rows.iter().filter(|row| row.class == "syntax").count();
    eprintln!("checked {checked} nginx corpus files ({syntax_rows} syntax rejections)");
    assert!(checked > 100, "only {checked} corpus files checked");
    assert!(
        syntax_rows > 0,
        "the corpus has no syntax rejection to compare"
    );
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
