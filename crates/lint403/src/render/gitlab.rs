//! `--format gitlab`: the GitLab Code Quality report (a JSON array of
//! issues, each with a unique fingerprint).

use lint403_core::Severity;
use serde::Serialize;

use crate::render::{fingerprints, positions, repo_path};
use crate::run::Report;

#[derive(Serialize)]
struct Issue<'a> {
    description: String,
    check_name: &'a str,
    fingerprint: String,
    severity: &'a str,
    location: Location,
}

#[derive(Serialize)]
struct Location {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
    end: usize,
}

pub fn render(report: &Report) -> String {
    let prints = fingerprints(&report.sources, &report.diagnostics);
    let issues: Vec<Issue<'_>> = report
        .diagnostics
        .iter()
        .zip(prints)
        .map(|(diagnostic, fingerprint)| {
            let (line, _, end_line, _) = positions(&report.sources, diagnostic);
            Issue {
                description: format!(
                    "{} {}: {}",
                    diagnostic.code.code, diagnostic.code.name, diagnostic.message
                ),
                check_name: diagnostic.code.code,
                fingerprint,
                severity: match diagnostic.severity {
                    Severity::Error => "major",
                    Severity::Warning => "minor",
                    Severity::Info => "info",
                },
                location: Location {
                    path: repo_path(&report.sources.get(diagnostic.span.file).path),
                    lines: Lines {
                        begin: line,
                        end: end_line,
                    },
                },
            }
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&issues).unwrap_or_default();
    text.push('\n');
    text
}
