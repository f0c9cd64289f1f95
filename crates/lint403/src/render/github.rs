//! `--format github`: GitHub Actions workflow commands, one annotation per
//! diagnostic (`::error file=…,line=…::message`), escaped as the runner
//! expects. Columns are given only when the span stays on one line (the
//! runner ignores or misplaces them otherwise).

use lint403_core::Severity;
use std::fmt::Write as _;

use crate::render::{doc_url, positions, repo_path};
use crate::run::Report;

/// Escaping of the message part (`%`, CR, LF).
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escaping of a property value (also `:` and `,`).
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for diagnostic in &report.diagnostics {
        let command = match diagnostic.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let path = repo_path(&report.sources.get(diagnostic.span.file).path);
        let (line, column, end_line, end_column) = positions(&report.sources, diagnostic);
        let mut properties = format!("file={},line={line}", escape_property(&path));
        if end_line == line {
            let _ = write!(properties, ",col={column},endColumn={end_column}");
        } else {
            let _ = write!(properties, ",endLine={end_line}");
        }
        let title = format!("{} {}", diagnostic.code.code, diagnostic.code.name);
        let _ = write!(properties, ",title={}", escape_property(&title));
        let mut message = diagnostic.message.clone();
        if let Some(help) = &diagnostic.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        message.push('\n');
        message.push_str(&doc_url(&diagnostic.code));
        let _ = writeln!(out, "::{command} {properties}::{}", escape_data(&message));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escaping() {
        assert_eq!(super::escape_data("50% a\nb\r"), "50%25 a%0Ab%0D");
        assert_eq!(super::escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
