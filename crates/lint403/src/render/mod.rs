//! The output formats of `check`, one module each.

pub mod checkstyle;
pub mod concise;
pub mod full;
pub mod github;
pub mod gitlab;
pub mod json;
pub mod sarif;
pub mod verdict;

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

/// A `.lint403.yaml` lint403 refuses, rendered by miette in its file.
pub fn config_error(error: &crate::config::ConfigError, color: bool) -> String {
    use std::sync::Arc;
    let source = (!error.text.is_empty()).then(|| {
        miette::NamedSource::new(
            error.path.display().to_string(),
            full::IndexedSource::new(Arc::new(lint403_core::SourceFile::from_bytes(
                error.path.clone(),
                error.text.clone().into_bytes(),
            ))),
        )
        .with_language("yaml")
    });
    let labels = match (&source, error.span) {
        (Some(_), Some(range)) => vec![miette::LabeledSpan::new_primary_with_span(
            Some("here".to_string()),
            full::span(range),
        )],
        _ => Vec::new(),
    };
    let rendered = full::Rendered {
        message: format!("{}: {}", error.path.display(), error.message),
        code: "config".to_string(),
        severity: miette::Severity::Error,
        help: error.help.clone(),
        url: String::new(),
        source,
        labels,
        related: Vec::new(),
    };
    let mut out = String::new();
    if full::handler(color)
        .render_report(&mut out, &rendered)
        .is_err()
    {
        out.push_str(&rendered.message);
        out.push('\n');
    }
    out
}

/// `path` as CI systems want it: relative to the working directory (the
/// repository root in CI) when below it, with `/` separators.
pub fn repo_path(path: &std::path::Path) -> String {
    let relative = std::env::current_dir()
        .ok()
        .and_then(|here| {
            let absolute = lint403_core::paths::canonicalize(path).ok()?;
            let here = lint403_core::paths::canonicalize(&here).ok()?;
            absolute
                .strip_prefix(here)
                .ok()
                .map(std::path::Path::to_path_buf)
        })
        .unwrap_or_else(|| path.to_path_buf());
    let text = relative.to_string_lossy().replace('\\', "/");
    text.strip_prefix("./").map_or(text.clone(), str::to_string)
}

/// A fingerprint that survives lines moving: the code, the file, the text
/// of the diagnostic's first line (trimmed) and which occurrence of that
/// triple it is (FNV-1a, 64 bits, hex).
pub fn fingerprints(sources: &SourceMap, diagnostics: &[Diagnostic]) -> Vec<String> {
    let mut seen: std::collections::HashMap<(String, String, String), usize> =
        std::collections::HashMap::new();
    diagnostics
        .iter()
        .map(|diagnostic| {
            let file = sources.get(diagnostic.span.file);
            let line = file.line_col(diagnostic.span.range.start).line;
            let text = file
                .line_start(line)
                .and_then(|start| file.text[start..].lines().next())
                .unwrap_or("")
                .trim()
                .to_string();
            let key = (
                diagnostic.code.code.to_string(),
                repo_path(&file.path),
                text,
            );
            let occurrence = seen.entry(key.clone()).or_insert(0);
            *occurrence += 1;
            let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
            for byte in format!("{}\0{}\0{}\0{}", key.0, key.1, key.2, occurrence).bytes() {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
            format!("{hash:016x}")
        })
        .collect()
}
