//! `--format checkstyle`: the Checkstyle XML report that Jenkins, reviewdog
//! and many CI dashboards read.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use lint403_core::Severity;

use crate::render::{positions, repo_path};
use crate::run::Report;

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            // XML 1.0 cannot carry other control characters at all.
            c if (c as u32) < 0x20 => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

pub fn render(report: &Report) -> String {
    let mut by_file: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for entry in &report.files {
        by_file
            .entry(repo_path(&report.sources.get(entry.file).path))
            .or_default();
    }
    for diagnostic in &report.diagnostics {
        let path = repo_path(&report.sources.get(diagnostic.span.file).path);
        let (line, column, _, _) = positions(&report.sources, diagnostic);
        let severity = match diagnostic.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        };
        let message = format!(
            "{} {}: {}",
            diagnostic.code.code, diagnostic.code.name, diagnostic.message
        );
        by_file.entry(path).or_default().push(format!(
            "    <error line=\"{line}\" column=\"{column}\" severity=\"{severity}\" message=\"{}\" source=\"lint403.{}\"/>\n",
            escape(&message),
            diagnostic.code.code
        ));
    }
    let mut out =
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<checkstyle version=\"4.3\">\n");
    for (path, errors) in by_file {
        let _ = writeln!(out, "  <file name=\"{}\">", escape(&path));
        for error in errors {
            out.push_str(&error);
        }
        out.push_str("  </file>\n");
    }
    out.push_str("</checkstyle>\n");
    out
}
