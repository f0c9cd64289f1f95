//! The output formats of `check`, one module each.

pub mod concise;
pub mod full;
pub mod json;

use lint403_core::{Code, Diagnostic, SourceMap};

/// Where each code's documentation page lives.
pub const DOCS_BASE: &str = "https://github.com/lint403/lint403/blob/main/docs/rules";

/// The documentation address of a code.
pub fn doc_url(code: &Code) -> String {
    format!("{DOCS_BASE}/{}.md", code.code)
}

/// Start and exclusive end, both as 1-based line and column.
pub fn positions(sources: &SourceMap, diagnostic: &Diagnostic) -> (usize, usize, usize, usize) {
    let file = sources.get(diagnostic.span.file);
    let start = file.line_col(diagnostic.span.range.start);
    let end = file.line_col(diagnostic.span.range.end);
    (start.line, start.column, end.line, end.column)
}
