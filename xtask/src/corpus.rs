//! The conformance gate: on every corpus file the real server accepted,
//! lint403 must report no `syntax-error`; on every file it rejected for a
//! syntax reason, a `syntax-error` on the line the server named. The
//! corpus's IIS files have no server verdict; they are counted and must
//! parse when they are XML at all (the XML oracle test compares trees).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use lint403::run::{self, CheckRequest};
use lint403_core::{codes, Dialect};

/// One row of `SYNTAX.tsv`.
struct Verdict {
    path: String,
    server: String,
    accepted: bool,
    first_error: String,
    error_class: String,
}

#[derive(Default)]
struct Tally {
    accepted: usize,
    accepted_clean: usize,
    syntax_rejects: usize,
    syntax_rejects_matched: usize,
    other_rejects: usize,
    other_rejects_with_syntax_error: usize,
}

pub fn run(corpus: &Path) -> Result<(), String> {
    let table = corpus.join("SYNTAX.tsv");
    let text = std::fs::read_to_string(&table)
        .map_err(|error| format!("cannot read {}: {error}", table.display()))?;
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut notes = Vec::new();
    for verdict in text.lines().skip(1).filter_map(parse_row) {
        let dialect = Dialect::from_name(&verdict.server)
            .ok_or_else(|| format!("unknown server `{}` in SYNTAX.tsv", verdict.server))?;
        let lines = syntax_error_lines(&corpus.join(&verdict.path), dialect);
        let tally = tallies.entry(verdict.server.clone()).or_default();
        if verdict.accepted {
            tally.accepted += 1;
            if lines.is_empty() {
                tally.accepted_clean += 1;
            } else {
                failures.push(format!(
                    "{}: accepted by the server, lint403 reports syntax-error on line {lines:?}",
                    verdict.path
                ));
            }
        } else if verdict.error_class == "syntax" {
            tally.syntax_rejects += 1;
            let expected = error_line(&verdict.first_error);
            if expected.is_some_and(|line| lines.contains(&line)) {
                tally.syntax_rejects_matched += 1;
            } else {
                failures.push(format!(
                    "{}: server says `{}`, lint403 reports syntax-error on lines {lines:?}",
                    verdict.path, verdict.first_error
                ));
            }
        } else {
            tally.other_rejects += 1;
            if !lines.is_empty() {
                tally.other_rejects_with_syntax_error += 1;
                notes.push(format!(
                    "{}: server says `{}` ({}), lint403 reports syntax-error on lines {lines:?}",
                    verdict.path, verdict.first_error, verdict.error_class
                ));
            }
        }
    }
    let iis = iis_summary(&corpus.join("iis"));
    print!("{}", table_text(&tallies, &iis));
    for note in &notes {
        println!("note: {note}");
    }
    for failure in &failures {
        println!("MISMATCH: {failure}");
    }
    if failures.is_empty() {
        println!("corpus conformance: OK");
        Ok(())
    } else {
        Err(format!("{} corpus mismatch(es)", failures.len()))
    }
}

fn parse_row(line: &str) -> Option<Verdict> {
    let mut fields = line.split('\t');
    let path = fields.next()?.to_string();
    let server = fields.next()?.to_string();
    let _context = fields.next()?;
    let accepted = fields.next()? == "ok";
    let first_error = fields.next().unwrap_or("").to_string();
    let error_class = fields.next().unwrap_or("").to_string();
    Some(Verdict {
        path,
        server,
        accepted,
        first_error,
        error_class,
    })
}

/// The line number at the end of a server message (`… in file:LINE`).
fn error_line(message: &str) -> Option<usize> {
    message.rsplit(':').next()?.trim().parse().ok()
}

/// Lines of the `syntax-error` diagnostics lint403 reports in `path`
/// itself (not in files it includes).
fn syntax_error_lines(path: &Path, dialect: Dialect) -> Vec<usize> {
    let report = run::check(&CheckRequest {
        paths: vec![path.to_path_buf()],
        dialect: Some(dialect),
        context: None,
        ..CheckRequest::default()
    });
    let mut lines: Vec<usize> = report
        .diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.code == codes::SYNTAX_ERROR)
        .filter(|diagnostic| report.sources.get(diagnostic.span.file).path == path)
        .map(|diagnostic| {
            let file = report.sources.get(diagnostic.span.file);
            file.line_col(diagnostic.span.range.start).line
        })
        .collect();
    lines.dedup();
    lines
}

struct IisSummary {
    files: usize,
    parsed: usize,
    rejected: Vec<PathBuf>,
}

fn iis_summary(dir: &Path) -> IisSummary {
    let mut summary = IisSummary {
        files: 0,
        parsed: 0,
        rejected: Vec::new(),
    };
    let mut stack = vec![dir.to_path_buf()];
    let mut files = Vec::new();
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    for path in files {
        summary.files += 1;
        if syntax_error_lines(&path, Dialect::Iis).is_empty() {
            summary.parsed += 1;
        } else {
            summary.rejected.push(path);
        }
    }
    summary
}

fn table_text(tallies: &BTreeMap<String, Tally>, iis: &IisSummary) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| server | accepted | no syntax-error | syntax rejects | on the named line | other rejects | of those with syntax-error |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    for (server, tally) in tallies {
        let _ = writeln!(
            out,
            "| {server} | {} | {} | {} | {} | {} | {} |",
            tally.accepted,
            tally.accepted_clean,
            tally.syntax_rejects,
            tally.syntax_rejects_matched,
            tally.other_rejects,
            tally.other_rejects_with_syntax_error
        );
    }
    let _ = writeln!(
        out,
        "iis (no server verdict): {} files, {} without syntax-error, rejected: {:?}",
        iis.files, iis.parsed, iis.rejected
    );
    out
}
