//! The one error a parse can end with, and how it becomes a diagnostic.

use lint403_core::codes::{DTD_REJECTED, SYNTAX_ERROR};
use lint403_core::{Code, Diagnostic, FileId, Span, TextRange};

/// What kind of well-formedness rule the document broke. The wording of
/// [`SyntaxError::message`] follows the XML specification's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// `<!DOCTYPE`, `<!ENTITY`, `<!ELEMENT`, `<!ATTLIST` or `<!NOTATION`:
    /// a DTD, refused without reading it (P009).
    DtdRejected,
    /// The text holds no element at all.
    NoRootElement,
    /// Non-whitespace text before the root element.
    TextOutsideRoot,
    /// A second element, text or other markup after the root element.
    ContentAfterRoot,
    /// The text ends inside a construct.
    UnexpectedEof,
    /// A specific character or string was required here.
    Expected,
    /// Not a name per the XML `Name` production, or not a qualified name
    /// per Namespaces in XML (two colons, empty prefix or local part).
    InvalidName,
    /// A character XML does not allow anywhere (NUL, most C0 controls,
    /// U+FFFE, U+FFFF).
    NonXmlCharacter,
    /// An end tag that does not close the open element.
    MismatchedEndTag,
    /// The text ends while elements are open.
    UnclosedElement,
    /// The same attribute (by name as written, or by namespace URI and
    /// local name) twice in one start tag.
    DuplicateAttribute,
    /// Two attributes, or a name and an attribute, without whitespace.
    MissingWhitespace,
    /// A raw `<` in an attribute value.
    LtInAttributeValue,
    /// A `&` that does not start `&name;`, `&#digits;` or `&#xhex;`.
    MalformedReference,
    /// `&name;` for a name other than `lt`, `gt`, `amp`, `quot`, `apos`.
    UnknownEntity,
    /// A character reference to a code point that is not an XML character.
    InvalidCharacterReference,
    /// `]]>` in character data.
    CDataEndInText,
    /// `--` inside a comment, or a comment ending in `--->`.
    InvalidComment,
    /// `<?xml ...?>` anywhere but the very start.
    MisplacedXmlDeclaration,
    /// A malformed XML declaration.
    InvalidXmlDeclaration,
    /// A processing instruction named `xml` (any case), with a colon in
    /// its target, or without whitespace between target and data.
    InvalidProcessingInstruction,
    /// A prefix with no `xmlns:prefix` declaration in scope.
    UnknownNamespacePrefix,
    /// A namespace declaration Namespaces in XML forbids: the `xml` and
    /// `xmlns` prefixes and URIs misused, an empty URI for a prefix, the
    /// `xmlns` prefix on an element.
    InvalidNamespaceDeclaration,
    /// `<!` followed by something that is neither a comment nor CDATA.
    UnknownMarkup,
    /// A byte sequence that is not UTF-8 in a file read as UTF-8.
    InvalidEncoding,
}

/// Longest message text kept: messages quote names and values from the
/// file, and a hostile file can have a name of megabytes.
const MAX_TEXT: usize = 600;

fn bounded(mut text: String) -> String {
    if text.len() > MAX_TEXT {
        let mut cut = MAX_TEXT;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    text
}

/// The first well-formedness error of a document. XML parsers stop at the
/// first one, and so does this parser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub kind: ErrorKind,
    /// The offending bytes (empty at the end of the text for EOF errors).
    pub range: TextRange,
    /// Short text for the primary label.
    pub label: String,
    pub message: String,
    pub help: String,
    /// A second location that explains the first (the open tag an end tag
    /// fails to match, the first of two duplicate attributes).
    pub related: Option<(TextRange, String)>,
    /// True when the rule broken is one of XML 1.0 or Namespaces in XML
    /// that roxmltree 0.21 does not enforce (a PI named `xml`, `<:a>`, a
    /// character reference to a surrogate, a second `xmlns`, ...). The
    /// oracle tests count a rejection by this parser that roxmltree
    /// accepts as agreement only when this is set; `docs/iis-parser.md`
    /// lists every such rule.
    pub stricter_than_roxmltree: bool,
}

impl SyntaxError {
    pub(crate) fn new(
        kind: ErrorKind,
        range: TextRange,
        label: impl Into<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Box<SyntaxError> {
        Box::new(SyntaxError {
            kind,
            range,
            label: bounded(label.into()),
            message: bounded(message.into()),
            help: bounded(help.into()),
            related: None,
            stricter_than_roxmltree: false,
        })
    }

    #[must_use]
    pub(crate) fn related(
        mut self: Box<Self>,
        range: TextRange,
        message: impl Into<String>,
    ) -> Box<SyntaxError> {
        self.related = Some((range, message.into()));
        self
    }

    #[must_use]
    pub(crate) fn stricter(mut self: Box<Self>) -> Box<SyntaxError> {
        self.stricter_than_roxmltree = true;
        self
    }

    /// P009 for a DTD, P001 for everything else.
    pub fn code(&self) -> Code {
        if self.kind == ErrorKind::DtdRejected {
            DTD_REJECTED
        } else {
            SYNTAX_ERROR
        }
    }

    /// The diagnostic for this error in `file`.
    pub fn to_diagnostic(&self, file: FileId) -> Diagnostic {
        let mut diagnostic =
            Diagnostic::new(self.code(), Span::new(file, self.range), &self.message)
                .with_label(self.label.clone())
                .with_help(self.help.clone());
        if let Some((range, message)) = &self.related {
            diagnostic = diagnostic.with_related(Span::new(file, *range), message.clone());
        }
        diagnostic
    }
}
