//! The real-world corpus: every Apache file httpd accepted parses without a
//! syntax error, and every file prints back byte for byte.

use std::path::PathBuf;

use lint403_apache::{parse, print};
use lint403_core::SourceFile;

fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("LINT403_CORPUS")
        .map_or_else(|| PathBuf::from("/work/shared/corpus"), PathBuf::from);
    dir.join("SYNTAX.tsv").is_file().then_some(dir)
}

#[test]
fn accepted_files_have_no_syntax_error_and_round_trip() {
    let Some(dir) = corpus_dir() else {
        eprintln!("SKIPPED: corpus not found (set LINT403_CORPUS)");
        return;
    };
    let verdicts = std::fs::read_to_string(dir.join("SYNTAX.tsv")).unwrap_or_default();
    let mut checked = 0;
    let mut failures = Vec::new();
    for row in verdicts.lines().skip(1) {
        let fields: Vec<&str> = row.split('\t').collect();
        let [path, server, _context, verdict, first_error, class] = fields.as_slice() else {
            continue;
        };
        if *server != "apache" {
            continue;
        }
        let Ok(bytes) = std::fs::read(dir.join(path)) else {
            failures.push(format!("{path}: unreadable"));
            continue;
        };
        let file = SourceFile::from_bytes(*path, bytes);
        let tree = parse(&file.text);
        if print(&tree, &file.text) != file.text {
            failures.push(format!("{path}: does not round-trip"));
        }
        let syntax: Vec<_> = tree
            .errors
            .iter()
            .filter(|e| e.code == lint403_core::codes::SYNTAX_ERROR)
            .map(|e| (file.line_col(e.range.start).line, e.message.clone()))
            .collect();
        if *verdict == "ok" && !syntax.is_empty() {
            failures.push(format!("{path}: accepted by httpd, but {syntax:?}"));
        }
        if *class == "syntax" {
            let line: usize = first_error
                .rsplit(':')
                .next()
                .and_then(|l| l.trim().parse().ok())
                .unwrap_or(0);
            if syntax.first().map(|(l, _)| *l) != Some(line) {
                failures.push(format!("{path}: httpd: {first_error}; lint403: {syntax:?}"));
            }
        }
        checked += 1;
    }
    assert!(checked >= 125, "only {checked} Apache corpus files found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The context check on the corpus: print what it reports, for review, and
/// require that no file httpd accepted in server context gets an error
/// about placement when checked as a fragment.
#[test]
fn corpus_context_report() {
    let Some(dir) = corpus_dir() else {
        eprintln!("SKIPPED: corpus not found (set LINT403_CORPUS)");
        return;
    };
    let verdicts = std::fs::read_to_string(dir.join("SYNTAX.tsv")).unwrap_or_default();
    let mut failures = Vec::new();
    for row in verdicts.lines().skip(1) {
        let fields: Vec<&str> = row.split('\t').collect();
        let [path, "apache", context, "ok", ..] = fields.as_slice() else {
            continue;
        };
        let Ok(source) = lint403_core::read::read_source(&dir.join(path)) else {
            continue;
        };
        let mut sources = lint403_core::SourceMap::new();
        let id = sources.add(source);
        let options = lint403_core::CheckOptions::default();
        let output = lint403_apache::check(&mut sources, id, &options);
        for diagnostic in &output.diagnostics {
            let file = sources.get(diagnostic.span.file);
            let line = file.line_col(diagnostic.span.range.start).line;
            eprintln!(
                "{path} [{context}]: {}:{line}: {} {}",
                file.path.display(),
                diagnostic.code.code,
                diagnostic.message
            );
            if diagnostic.code == lint403_core::codes::DIRECTIVE_NOT_ALLOWED_HERE
                && !context.starts_with("htaccess")
            {
                failures.push(format!("{path}:{line}: {}", diagnostic.message));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
