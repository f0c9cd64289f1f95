//! `--format concise`: `path:line:col: CODE name message`, one line each,
//! for editors' generic linter plugins and problem matchers.

use std::fmt::Write;

use lint403_core::Diagnostic;

use crate::render::positions;
use crate::run::Report;

pub fn render(report: &Report) -> String {
    crate::run::by_blocks(&report.diagnostics, |block| render_block(report, block)).concat()
}

fn render_block(report: &Report, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        let (line, column, _, _) = positions(&report.sources, diagnostic);
        let path = report.sources.get(diagnostic.span.file).path.display();
        let message = diagnostic.message.replace('\n', " ");
        let _ = writeln!(
            out,
            "{path}:{line}:{column}: {} {} [{}] {message}",
            diagnostic.code.code, diagnostic.code.name, diagnostic.severity
        );
    }
    out
}
