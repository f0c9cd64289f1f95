//! `--format json`: the document of DESIGN §5, which scripts and CI parse.

use serde::Serialize;

use crate::render::{doc_url, positions};
use crate::run::Report;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    files: Vec<File<'a>>,
    diagnostics: Vec<Entry<'a>>,
}

#[derive(Serialize)]
struct File<'a> {
    path: String,
    dialect: &'a str,
    parsed: bool,
}

#[derive(Serialize)]
struct Entry<'a> {
    code: &'a str,
    name: &'a str,
    severity: &'a str,
    path: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    message: &'a str,
    help: Option<&'a str>,
    url: String,
}

pub fn render(report: &Report) -> String {
    let files = report
        .files
        .iter()
        .map(|entry| File {
            path: report.sources.get(entry.file).path.display().to_string(),
            dialect: entry.dialect.as_str(),
            parsed: entry.parsed,
        })
        .collect();
    let diagnostics = report
        .diagnostics
        .iter()
        .map(|diagnostic| {
            let (line, column, end_line, end_column) = positions(&report.sources, diagnostic);
            Entry {
                code: diagnostic.code.code,
                name: diagnostic.code.name,
                severity: diagnostic.severity.as_str(),
                path: report
                    .sources
                    .get(diagnostic.span.file)
                    .path
                    .display()
                    .to_string(),
                line,
                column,
                end_line,
                end_column,
                message: &diagnostic.message,
                help: diagnostic.help.as_deref(),
                url: doc_url(&diagnostic.code),
            }
        })
        .collect();
    let document = Document {
        version: 1,
        files,
        diagnostics,
    };
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}
