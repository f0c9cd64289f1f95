//! `--format full`: miette's graphical reports, one per diagnostic, with
//! the deciding span labelled in its source and the related spans beside
//! it.

use std::fmt;
use std::sync::Arc;

use lint403_core::{Diagnostic, FileId, Severity, SourceFile, SourceMap};
use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    NamedSource, SourceCode, SourceSpan, SpanContents,
};

use crate::render::doc_url;
use crate::run::Report;

/// A diagnostic prepared for miette: its source and labels resolved.
#[derive(Debug)]
pub(crate) struct Rendered {
    pub(crate) message: String,
    pub(crate) code: String,
    pub(crate) severity: miette::Severity,
    pub(crate) help: Option<String>,
    pub(crate) url: String,
    pub(crate) source: Option<NamedSource<IndexedSource>>,
    pub(crate) labels: Vec<LabeledSpan>,
    pub(crate) related: Vec<Rendered>,
}

impl fmt::Display for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Rendered {}

impl miette::Diagnostic for Rendered {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn url<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.url.is_empty()).then(|| Box::new(&self.url) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source
            .as_ref()
            .map(|source| source as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(
                self.related
                    .iter()
                    .map(|related| related as &dyn miette::Diagnostic),
            ))
        }
    }
}

/// A file's text for miette, read from the line index of the file.
///
/// miette's own reader finds a span's lines by scanning the text from its
/// first byte, for every diagnostic: with thousands of findings in large
/// files that scan took a third of a check's time. This one hands miette's
/// reader only the text from a few lines before the span, and moves the
/// result back to the file's offsets and line numbers, so what miette
/// shows is unchanged.
#[derive(Clone)]
pub(crate) struct IndexedSource {
    file: Arc<SourceFile>,
    /// Every line break is `\n` (or `\r\n`): then the file's line index
    /// counts lines as miette does. A lone `\r` is a line break to miette
    /// only, and such a file is read miette's way, from the start.
    newlines_agree: bool,
}

impl IndexedSource {
    pub(crate) fn new(file: Arc<SourceFile>) -> IndexedSource {
        let bytes = file.text.as_bytes();
        let newlines_agree = bytes
            .iter()
            .enumerate()
            .filter(|(_, byte)| **byte == b'\r')
            .all(|(at, _)| bytes.get(at + 1) == Some(&b'\n'));
        IndexedSource {
            file,
            newlines_agree,
        }
    }
}

impl fmt::Debug for IndexedSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IndexedSource({})", self.file.path.display())
    }
}

impl SourceCode for IndexedSource {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let text = self.file.text.as_bytes();
        if !self.newlines_agree || span.offset() > text.len() {
            return text.read_span(span, context_lines_before, context_lines_after);
        }
        // One line more than the context, so miette's reader sees the
        // same line breaks before the span as in the whole file.
        let span_line = self.file.line_col(span.offset()).line - 1;
        let first_line = span_line.saturating_sub(context_lines_before + 1);
        let window_start = self
            .file
            .line_start(first_line + 1)
            .filter(|start| *start <= span.offset())
            .unwrap_or(0);
        let first_line = if window_start == 0 { 0 } else { first_line };
        let window = text.get(window_start..).unwrap_or_default();
        let inner = window.read_span(
            &SourceSpan::new((span.offset() - window_start).into(), span.len()),
            context_lines_before,
            context_lines_after,
        )?;
        Ok(Box::new(MietteSpanContents::new(
            inner.data(),
            SourceSpan::new(
                (inner.span().offset() + window_start).into(),
                inner.span().len(),
            ),
            inner.line() + first_line,
            inner.column(),
            inner.line_count() + first_line,
        )))
    }
}

/// Caches one `NamedSource` per file so that a file's text is shared by
/// all its diagnostics instead of copied into each.
pub(crate) struct Sources<'a> {
    pub(crate) map: &'a SourceMap,
    texts: Vec<Option<IndexedSource>>,
}

impl<'a> Sources<'a> {
    pub(crate) fn new(map: &'a SourceMap) -> Sources<'a> {
        Sources {
            map,
            texts: vec![None; map.len()],
        }
    }

    pub(crate) fn named(&mut self, file: FileId) -> Option<NamedSource<IndexedSource>> {
        let source = self.map.get(file);
        if source.text.is_empty() {
            return None;
        }
        let indexed = self.texts[file.0 as usize]
            .get_or_insert_with(|| IndexedSource::new(self.map.shared(file)))
            .clone();
        Some(NamedSource::new(source.path.display().to_string(), indexed).with_language("conf"))
    }
}

pub(crate) fn span(range: lint403_core::TextRange) -> SourceSpan {
    SourceSpan::new(range.start.into(), range.len())
}

fn prepare(sources: &mut Sources<'_>, diagnostic: &Diagnostic) -> Rendered {
    let file = diagnostic.span.file;
    let source = sources.named(file);
    let mut labels = Vec::new();
    let mut related = Vec::new();
    if source.is_some() {
        labels.push(LabeledSpan::new_primary_with_span(
            diagnostic.label.as_deref().map(str::to_string),
            span(diagnostic.span.range),
        ));
    }
    for label in &diagnostic.related {
        if label.span.file == file && source.is_some() {
            labels.push(LabeledSpan::new_with_span(
                Some(label.message.to_string()),
                span(label.span.range),
            ));
        } else {
            related.push(Rendered {
                message: label.message.to_string(),
                code: String::new(),
                severity: miette::Severity::Advice,
                help: None,
                url: String::new(),
                source: sources.named(label.span.file),
                labels: vec![LabeledSpan::new_primary_with_span(
                    None,
                    span(label.span.range),
                )],
                related: Vec::new(),
            });
        }
    }
    let message = if source.is_some() {
        diagnostic.message.clone()
    } else {
        let path = sources.map.get(file).path.display();
        if diagnostic.message.contains(&path.to_string()) {
            diagnostic.message.clone()
        } else {
            format!("{path}: {}", diagnostic.message)
        }
    };
    Rendered {
        message,
        code: format!("{}({})", diagnostic.code.code, diagnostic.code.name),
        severity: match diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        },
        help: diagnostic.help.as_deref().map(str::to_string),
        url: doc_url(&diagnostic.code),
        source,
        labels,
        related,
    }
}

/// Renders every diagnostic, then a one-line summary.
pub fn render(report: &Report, color: bool) -> String {
    let handler = handler(color);
    let mut sources = Sources::new(&report.sources);
    let mut out = String::new();
    for diagnostic in &report.diagnostics {
        let rendered = prepare(&mut sources, diagnostic);
        if handler.render_report(&mut out, &rendered).is_err() {
            out.push_str(&rendered.message);
        }
        out.push('\n');
    }
    out.push_str(&summary(report));
    out
}

/// miette's graphical handler, colored or not, without terminal links.
pub(crate) fn handler(color: bool) -> GraphicalReportHandler {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme).with_links(false)
}

fn summary(report: &Report) -> String {
    let count = |severity| {
        report
            .diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.severity == severity)
            .count()
    };
    let files = report.files.len();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    if report.diagnostics.is_empty() {
        return format!("No problems found in {}.\n", plural(files, "file"));
    }
    format!(
        "Found {}, {}, {} in {}.\n",
        plural(count(Severity::Error), "error"),
        plural(count(Severity::Warning), "warning"),
        plural(count(Severity::Info), "info"),
        plural(files, "file"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What miette's reader over the whole text and the indexed reader
    /// return for one span, as comparable values.
    fn both(text: &str, offset: usize, len: usize, before: usize, after: usize) -> [String; 2] {
        let indexed = IndexedSource::new(Arc::new(SourceFile::from_bytes(
            "t",
            text.as_bytes().to_vec(),
        )));
        let span = SourceSpan::new(offset.into(), len);
        let show = |read: Result<Box<dyn SpanContents<'_> + '_>, MietteError>| match read {
            Ok(contents) => format!(
                "{:?} {:?} {} {} {}",
                String::from_utf8_lossy(contents.data()),
                contents.span(),
                contents.line(),
                contents.column(),
                contents.line_count()
            ),
            Err(error) => format!("error {error}"),
        };
        [
            show(text.as_bytes().read_span(&span, before, after)),
            show(indexed.read_span(&span, before, after)),
        ]
    }

    #[test]
    fn indexed_reads_agree_with_miette() {
        let texts = [
            "a b;\nc d;\n\nserver {\n  listen 80;\n}\n",
            "one\r\ntwo\r\nthree\r\nfour\r\n",
            "lone\rcarriage\rreturns\nand newlines\n",
            "no newline at the end",
            "caf\u{e9} \u{2014} na\u{ef}ve;\n\u{1f600} x;\ny\n",
            "\n\n\n\nx\n\n\n",
            "",
        ];
        let mut compared = 0;
        for text in texts {
            // Spans inside the text, as every diagnostic's is (miette's own
            // reader panics on some spans past the end).
            for offset in 0..=text.len() {
                if !text.is_char_boundary(offset) {
                    continue;
                }
                for len in [0, 1, 3, 12]
                    .into_iter()
                    .filter(|len| offset + len <= text.len())
                {
                    for (before, after) in [(0, 0), (1, 1), (2, 3), (5, 0)] {
                        let [miette, indexed] = both(text, offset, len, before, after);
                        assert_eq!(
                            indexed, miette,
                            "{text:?} at {offset}+{len}, context {before}/{after}"
                        );
                        compared += 1;
                    }
                }
            }
        }
        assert!(compared > 1000, "{compared}");
    }
}
