//! `--format full`: miette's graphical reports, one per diagnostic, with
//! the deciding span labelled in its source and the related spans beside
//! it.

use std::fmt;
use std::sync::Arc;

use lint403_core::{Diagnostic, FileId, Severity, SourceMap};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};

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
    pub(crate) source: Option<NamedSource<Arc<String>>>,
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

/// Caches one `NamedSource` per file so that a file's text is shared by
/// all its diagnostics instead of copied into each.
pub(crate) struct Sources<'a> {
    pub(crate) map: &'a SourceMap,
    texts: Vec<Option<Arc<String>>>,
}

impl<'a> Sources<'a> {
    pub(crate) fn new(map: &'a SourceMap) -> Sources<'a> {
        Sources {
            map,
            texts: vec![None; map.len()],
        }
    }

    pub(crate) fn named(&mut self, file: FileId) -> Option<NamedSource<Arc<String>>> {
        let source = self.map.get(file);
        if source.text.is_empty() {
            return None;
        }
        let text = self.texts[file.0 as usize]
            .get_or_insert_with(|| Arc::new(source.text.clone()))
            .clone();
        Some(NamedSource::new(source.path.display().to_string(), text).with_language("conf"))
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
            diagnostic.label.clone(),
            span(diagnostic.span.range),
        ));
    }
    for label in &diagnostic.related {
        if label.span.file == file && source.is_some() {
            labels.push(LabeledSpan::new_with_span(
                Some(label.message.clone()),
                span(label.span.range),
            ));
        } else {
            related.push(Rendered {
                message: label.message.clone(),
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
        help: diagnostic.help.clone(),
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
