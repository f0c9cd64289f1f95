//! `--format concise`: `path:line:col: CODE name message`, one line each,
//! for editors' generic linter plugins and problem matchers.

use std::fmt::Write;

use lint403_core::Diagnostic;

use crate::render::positions;
use crate::run::Report;

pub fn render(report: &Report) -> String {
    // Lines are written a block of findings at a time on every core: a
    // large run's tens of thousands of positions and lines took a fifth of
    // a second on one core at its end, while the others stood idle.
    let blocks: Vec<&[Diagnostic]> = report.diagnostics.chunks(FINDINGS_PER_BLOCK).collect();
    lint403_core::cores::map(&blocks, lint403_core::cores::available(), |block| {
        render_block(report, block)
    })
    .concat()
}

/// Findings rendered together by one thread.
const FINDINGS_PER_BLOCK: usize = 2048;

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
