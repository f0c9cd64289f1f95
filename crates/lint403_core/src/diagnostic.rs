//! The one diagnostic type every pass produces and every front end renders.

use std::borrow::Cow;
use std::fmt;

use crate::codes::Code;
use crate::source::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A secondary location that explains the primary one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Label {
    pub span: Span,
    pub message: Cow<'static, str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    /// The deciding span; for a file-level problem an empty range at 0.
    pub span: Span,
    /// Text of the primary label (short; the message says the rest).
    /// Labels, help lines and related notes are mostly fixed texts, held
    /// without a copy: a large repository has tens of thousands of
    /// findings, and a copy of each text was a third of their memory.
    pub label: Option<Cow<'static, str>>,
    pub message: String,
    pub help: Option<Cow<'static, str>>,
    pub related: Vec<Label>,
}

impl Diagnostic {
    /// A diagnostic with the code's default severity.
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: code.default_severity,
            span,
            label: None,
            message: message.into(),
            help: None,
            related: Vec::new(),
        }
    }

    #[must_use]
    pub fn with_label(mut self, label: impl Into<Cow<'static, str>>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    #[must_use]
    pub fn with_help(mut self, help: impl Into<Cow<'static, str>>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    #[must_use]
    pub fn with_related(mut self, span: Span, message: impl Into<Cow<'static, str>>) -> Diagnostic {
        // Most findings have one or two related notes: room for exactly
        // those, not the four a first push makes room for.
        self.related.reserve_exact(1);
        self.related.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    #[must_use]
    pub fn with_severity(mut self, severity: Severity) -> Diagnostic {
        self.severity = severity;
        self
    }
}
