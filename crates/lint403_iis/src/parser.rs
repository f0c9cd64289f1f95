//! A strict XML 1.0 reader for configuration files, written with nom.
//!
//! Tokens (names, `=`, quotes, references, comments, PIs, CDATA, tags) are
//! recognized with nom combinators over the `&str`; element nesting is
//! tracked on an explicit stack, so depth costs heap, never call stack.
//! The reader stops at the first well-formedness error, as XML parsers
//! do, and hands back the tree built so far.

use std::collections::HashMap;
use std::sync::Arc;

use lint403_core::TextRange;
use nom::bytes::complete::{tag, take_until, take_while};
use nom::character::complete::{char as one_char, digit0, hex_digit0};
use nom::IResult;

use crate::chars::{
    first_non_xml_char, is_name_char, is_name_start, is_space, is_xml_char, scan_attribute_value,
    scan_text, TextScan,
};
use crate::error::{ErrorKind, SyntaxError};
use crate::syntax::{
    Attribute, CData, Comment, Document, Element, EndTag, Misc, Node, ProcessingInstruction,
    PseudoAttribute, QualifiedName, Quote, Text, XmlDeclaration, XMLNS_NAMESPACE, XML_NAMESPACE,
};

/// What [`parse`] found: the tree and the first error, if any.
#[derive(Debug)]
pub struct ParseOutput {
    /// The whole tree when `error` is `None`. After an error, the part
    /// built up to it (open elements closed where the error stopped the
    /// parse), or `None` when the error came before the root element.
    pub document: Option<Document>,
    pub error: Option<SyntaxError>,
}

impl ParseOutput {
    /// The tree, only when the document is well-formed.
    pub fn well_formed(&self) -> Option<&Document> {
        match self.error {
            None => self.document.as_ref(),
            Some(_) => None,
        }
    }
}

/// Parses `text` (the `SourceFile::text` of a web.config; a leading UTF-8
/// BOM is skipped and kept in the tree).
pub fn parse(text: &str) -> ParseOutput {
    let mut reader = Reader::new(text);
    reader.child_stack = SPARE_CHILD_STACK.take();
    let output = match reader.document() {
        Ok(document) => ParseOutput {
            document: Some(document),
            error: None,
        },
        Err(error) => ParseOutput {
            document: reader.partial_document(),
            error: Some(*error),
        },
    };
    let mut stack = std::mem::take(&mut reader.child_stack);
    if stack.capacity() <= SPARE_CHILD_STACK_LIMIT {
        stack.clear();
        SPARE_CHILD_STACK.set(stack);
    }
    output
}

thread_local! {
    /// The children stack of the last parse on this thread, kept (empty)
    /// so that the next parse does not grow a new one from nothing.
    static SPARE_CHILD_STACK: std::cell::Cell<Vec<Node>> = const { std::cell::Cell::new(Vec::new()) };
}

/// The largest spare children stack kept between parses (in nodes).
const SPARE_CHILD_STACK_LIMIT: usize = 4096;

/// How many unclosed elements an end-of-file error names.
const OPEN_ELEMENTS_LISTED: usize = 8;

const MESSAGE_PREFIX: &str = "Configuration file is not well-formed XML";

type Step<T> = Result<T, Box<SyntaxError>>;
type NomResult<'a, T> = IResult<&'a str, T, ()>;

/// The declarations that make up a DTD. None of them has any business in
/// a web.config, and none is ever read.
const MARKUP_DECLARATIONS: [&str; 5] = [
    "<!DOCTYPE",
    "<!ENTITY",
    "<!ELEMENT",
    "<!ATTLIST",
    "<!NOTATION",
];

fn is_markup_declaration(rest: &str) -> bool {
    MARKUP_DECLARATIONS
        .iter()
        .any(|start| rest.starts_with(start))
}

fn sub(text: &str, start: usize, end: usize) -> &str {
    text.get(start..end).unwrap_or_default()
}

fn tail(text: &str, start: usize) -> &str {
    text.get(start..).unwrap_or_default()
}

/// Where `<!DOCTYPE ...>` (or another markup declaration) ends: the first
/// `>` outside quotes and outside an internal subset `[...]`. One linear
/// pass, nothing inside is interpreted.
pub(crate) fn markup_declaration_end(text: &str, start: usize) -> usize {
    let bytes = text.as_bytes();
    let mut index = start + 2;
    let mut subset_depth = 0usize;
    while let Some(&byte) = bytes.get(index) {
        match byte {
            b'"' | b'\'' => {
                let close = bytes
                    .get(index + 1..)
                    .and_then(|after| after.iter().position(|&b| b == byte));
                match close {
                    Some(offset) => index += offset + 2,
                    None => return text.len(),
                }
                continue;
            }
            b'<' if bytes.get(index..index + 4) == Some(b"<!--") => {
                match tail(text, index + 4).find("-->") {
                    Some(offset) => index += 4 + offset + 3,
                    None => return text.len(),
                }
                continue;
            }
            b'[' => subset_depth += 1,
            b']' => subset_depth = subset_depth.saturating_sub(1),
            b'>' if subset_depth == 0 => return index + 1,
            _ => {}
        }
        index += 1;
    }
    text.len()
}

/// What a prefix stands for where it is used.
enum Binding {
    Uri(Arc<str>),
    /// The default namespace undeclared with `xmlns=""`.
    NoNamespace,
    Unbound,
}

/// The in-scope namespace bindings, as a stack per prefix so that lookups
/// cost the same at any depth.
#[derive(Default)]
struct Namespaces<'a> {
    bindings: HashMap<&'a str, Vec<Option<Arc<str>>>>,
    declared: Vec<&'a str>,
    marks: Vec<usize>,
}

impl<'a> Namespaces<'a> {
    fn enter(&mut self) {
        self.marks.push(self.declared.len());
    }

    fn bind(&mut self, prefix: &'a str, uri: Option<Arc<str>>) {
        self.bindings.entry(prefix).or_default().push(uri);
        self.declared.push(prefix);
    }

    fn exit(&mut self) {
        let mark = self.marks.pop().unwrap_or(0);
        for prefix in self.declared.drain(mark..) {
            if let Some(stack) = self.bindings.get_mut(prefix) {
                stack.pop();
            }
        }
    }

    fn lookup(&self, prefix: &str) -> Binding {
        // Most web.config files declare no namespace at all.
        if self.bindings.is_empty() {
            return Binding::Unbound;
        }
        match self.bindings.get(prefix).and_then(|stack| stack.last()) {
            Some(Some(uri)) => Binding::Uri(Arc::clone(uri)),
            Some(None) => Binding::NoNamespace,
            None => Binding::Unbound,
        }
    }
}

struct Reader<'a> {
    text: &'a str,
    pos: usize,
    bom: Option<TextRange>,
    prolog: Vec<Misc>,
    root: Option<Box<Element>>,
    // Boxed so that closing an element moves a pointer into its parent's
    // children instead of copying the whole element.
    #[allow(
        clippy::vec_box,
        reason = "elements move on into Node::Element(Box<Element>)"
    )]
    open: Vec<Box<Element>>,
    /// The children of every open element, one run per element (where
    /// each run starts is in `child_marks`, parallel to `open`); a run
    /// moves into its element's `children` with one exact allocation when
    /// the element is closed, instead of a vector growing per element.
    child_stack: Vec<Node>,
    child_marks: Vec<usize>,
    epilog: Vec<Misc>,
    namespaces: Namespaces<'a>,
    xml_namespace: Arc<str>,
    xmlns_namespace: Arc<str>,
}

/// A qualified name as read, before it is turned into an owned name.
struct NameToken<'a> {
    raw: &'a str,
    range: TextRange,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Reader<'a> {
        Reader {
            text,
            pos: 0,
            bom: None,
            prolog: Vec::new(),
            root: None,
            open: Vec::new(),
            child_stack: Vec::new(),
            child_marks: Vec::new(),
            epilog: Vec::new(),
            namespaces: Namespaces::default(),
            xml_namespace: Arc::from(XML_NAMESPACE),
            xmlns_namespace: Arc::from(XMLNS_NAMESPACE),
        }
    }

    fn rest(&self) -> &'a str {
        tail(self.text, self.pos)
    }

    /// The offset of a suffix of the text that nom handed back.
    fn offset_of(&self, rest: &str) -> usize {
        self.text.len() - rest.len()
    }

    fn advance_to(&mut self, rest: &str) {
        self.pos = self.offset_of(rest);
    }

    fn end_of_text(&self) -> TextRange {
        TextRange::empty(self.text.len())
    }

    /// The range of the character at `at` (empty at the end of the text).
    fn char_range(&self, at: usize) -> TextRange {
        let width = tail(self.text, at).chars().next().map_or(0, char::len_utf8);
        TextRange::new(at, at + width)
    }

    fn line_of(&self, offset: usize) -> usize {
        sub(self.text, 0, offset).matches('\n').count() + 1
    }

    fn describe_char(&self, at: usize) -> String {
        match tail(self.text, at).chars().next() {
            Some(c) if c.is_control() || c.is_whitespace() => format!("{c:?}"),
            Some(c) => format!("'{c}'"),
            None => "the end of the file".to_owned(),
        }
    }

    fn error(
        kind: ErrorKind,
        range: TextRange,
        label: &str,
        what: &str,
        help: &str,
    ) -> Box<SyntaxError> {
        SyntaxError::new(
            kind,
            range,
            label,
            format!("{MESSAGE_PREFIX}: {what}"),
            help,
        )
    }

    fn expected(&self, at: usize, expected: &str, context: &str, help: &str) -> Box<SyntaxError> {
        let found = self.describe_char(at);
        let kind = if at >= self.text.len() {
            ErrorKind::UnexpectedEof
        } else {
            ErrorKind::Expected
        };
        Reader::error(
            kind,
            self.char_range(at),
            &format!("expected {expected}"),
            &format!("expected {expected} {context}, found {found}"),
            help,
        )
    }

    fn non_xml_char(at: usize, c: char) -> Box<SyntaxError> {
        Reader::error(
            ErrorKind::NonXmlCharacter,
            TextRange::new(at, at + c.len_utf8()),
            "not an XML character",
            &format!("the character U+{:04X} is not allowed in XML", u32::from(c)),
            "delete the character; control characters and U+FFFE/U+FFFF cannot appear in an XML \
             file, not even as a character reference",
        )
    }

    fn check_chars(start: usize, content: &str) -> Step<()> {
        match first_non_xml_char(content) {
            Some((offset, c)) => Err(Reader::non_xml_char(start + offset, c)),
            None => Ok(()),
        }
    }

    fn dtd_error(&self, start: usize) -> Box<SyntaxError> {
        let end = markup_declaration_end(self.text, start);
        SyntaxError::new(
            ErrorKind::DtdRejected,
            TextRange::new(start, end),
            "DTD not allowed",
            "a DTD is not allowed in web.config: lint403 refuses document type declarations and \
             expanded no entity (this is how billion-laughs and external-entity attacks are \
             delivered; IIS configuration never needs one)",
            "delete the DOCTYPE and write the values out: web.config needs no DTD, and the five \
             predefined entities (&lt; &gt; &amp; &quot; &apos;) and character references like \
             &#233; work without one",
        )
    }

    // ----- the document -----

    fn document(&mut self) -> Step<Document> {
        if self.text.starts_with('\u{feff}') {
            self.bom = Some(TextRange::new(0, 3));
            self.pos = 3;
        }
        let rest = self.rest();
        if rest.starts_with("<?xml") && tail(rest, 5).starts_with(is_space) {
            let declaration = self.declaration()?;
            self.prolog.push(Misc::Declaration(declaration));
        }
        self.misc(true)?;
        self.root_element()?;
        self.misc(false)?;
        let rest = self.rest();
        if !rest.is_empty() {
            return Err(self.content_after_root());
        }
        let root = self.root.take().ok_or_else(|| {
            Reader::error(
                ErrorKind::NoRootElement,
                self.end_of_text(),
                "no root element",
                "the file has no root element",
                "a web.config holds one <configuration> element",
            )
        })?;
        Ok(Document {
            bom: self.bom,
            prolog: std::mem::take(&mut self.prolog),
            root: *root,
            epilog: std::mem::take(&mut self.epilog),
            range: TextRange::new(0, self.text.len()),
        })
    }

    /// The tree built before an error, open elements closed in place.
    fn partial_document(&mut self) -> Option<Document> {
        while let Some(mut element) = self.open.pop() {
            self.close_children(&mut element);
            element.range =
                TextRange::new(element.start_tag.start, self.pos.max(element.start_tag.end));
            match self.open.last_mut() {
                Some(_) => self.child_stack.push(Node::Element(element)),
                None => self.root = Some(element),
            }
        }
        let root = self.root.take()?;
        Some(Document {
            bom: self.bom,
            prolog: std::mem::take(&mut self.prolog),
            root: *root,
            epilog: std::mem::take(&mut self.epilog),
            range: TextRange::new(0, self.text.len()),
        })
    }

    fn content_after_root(&self) -> Box<SyntaxError> {
        let rest = self.rest();
        let second_element = rest.starts_with('<')
            && tail(rest, 1).starts_with(|c: char| is_name_start(c) || c == ':');
        if second_element {
            let end = rest
                .find(|c: char| is_space(c) || c == '>' || c == '/')
                .unwrap_or(rest.len());
            return Reader::error(
                ErrorKind::ContentAfterRoot,
                TextRange::new(self.pos, self.pos + end),
                "second root element",
                "an XML document has exactly one root element, and this element comes after it",
                "move this element inside the root element (<configuration>), or delete it",
            )
            .related(self.root_name_range(), "the root element");
        }
        if is_markup_declaration(rest) {
            return self.dtd_error(self.pos);
        }
        // The run of text up to the next markup, trailing whitespace left out.
        let run = sub(rest, 0, rest.find('<').unwrap_or(rest.len()))
            .trim_end()
            .len();
        let end = (self.pos + run).max(self.char_range(self.pos).end);
        Reader::error(
            ErrorKind::ContentAfterRoot,
            TextRange::new(self.pos, end),
            "after the root element",
            "only comments, processing instructions and whitespace may follow the root element",
            "delete this text, or move it inside the root element",
        )
        .related(self.root_name_range(), "the root element ends before it")
    }

    fn root_name_range(&self) -> TextRange {
        self.root
            .as_ref()
            .map_or(TextRange::empty(0), |root| root.name_range)
    }

    /// Comments, PIs and whitespace before (`prolog`) or after the root.
    fn misc(&mut self, prolog: bool) -> Step<()> {
        loop {
            let space = self.skip_spaces();
            if !space.is_empty() {
                self.push_misc(prolog, Misc::Whitespace(space));
            }
            let rest = self.rest();
            let item = if rest.starts_with("<!--") {
                Misc::Comment(self.comment()?)
            } else if rest.starts_with("<?") {
                Misc::ProcessingInstruction(self.processing_instruction()?)
            } else if is_markup_declaration(rest) {
                return Err(self.dtd_error(self.pos));
            } else {
                return Ok(());
            };
            self.push_misc(prolog, item);
        }
    }

    fn push_misc(&mut self, prolog: bool, item: Misc) {
        if prolog {
            self.prolog.push(item);
        } else {
            self.epilog.push(item);
        }
    }

    fn root_element(&mut self) -> Step<()> {
        let rest = self.rest();
        if rest.is_empty() {
            return Err(Reader::error(
                ErrorKind::NoRootElement,
                self.end_of_text(),
                "no root element",
                "the file has no root element",
                "a web.config holds one <configuration> element",
            ));
        }
        if !rest.starts_with('<') {
            let run = rest.find('<').unwrap_or(rest.len());
            let run = sub(rest, 0, run).trim_end().len().max(1);
            return Err(Reader::error(
                ErrorKind::TextOutsideRoot,
                TextRange::new(
                    self.pos,
                    (self.pos + run).max(self.char_range(self.pos).end),
                ),
                "text before the root element",
                "text before the root element: the file must start with markup (an XML \
                 declaration, comments, or the root element)",
                "delete this text, or turn it into a comment with <!-- ... -->; a plain-text \
                 file cannot be a web.config",
            ));
        }
        if rest.starts_with("<![CDATA[") {
            return Err(Reader::error(
                ErrorKind::TextOutsideRoot,
                TextRange::new(self.pos, self.pos + 9),
                "CDATA outside the root element",
                "a CDATA section can only appear inside an element",
                "move the CDATA section inside the root element",
            ));
        }
        if rest.starts_with("<!") {
            return Err(self.unknown_markup());
        }
        let (element, open) = self.start_tag()?;
        if open {
            self.push_open(element);
            self.content()?;
        } else {
            self.root = Some(element);
        }
        Ok(())
    }

    fn push_open(&mut self, element: Box<Element>) {
        self.child_marks.push(self.child_stack.len());
        self.open.push(element);
    }

    /// Moves the children read for `element` (the innermost open element,
    /// just popped from `open`) into it.
    fn close_children(&mut self, element: &mut Element) {
        let mark = self.child_marks.pop().unwrap_or(self.child_stack.len());
        if mark < self.child_stack.len() {
            element.children = self.child_stack.split_off(mark);
        }
    }

    fn append(&mut self, node: Node) {
        match self.open.last_mut() {
            Some(_) => self.child_stack.push(node),
            None => {
                if let Node::Element(element) = node {
                    self.root = Some(element);
                }
            }
        }
    }

    /// Element content, iteratively, until the root element is closed.
    fn content(&mut self) -> Step<()> {
        while !self.open.is_empty() {
            let rest = self.rest();
            let node = if rest.is_empty() {
                return Err(self.unclosed_element());
            } else if let Some(after) = rest.strip_prefix('<') {
                if after.starts_with('!') {
                    if rest.starts_with("<!--") {
                        Node::Comment(self.comment()?)
                    } else if rest.starts_with("<![CDATA[") {
                        Node::CData(self.cdata()?)
                    } else if is_markup_declaration(rest) {
                        return Err(self.dtd_error(self.pos));
                    } else {
                        return Err(self.unknown_markup());
                    }
                } else if after.starts_with('?') {
                    Node::ProcessingInstruction(Box::new(self.processing_instruction()?))
                } else if after.starts_with('/') {
                    self.end_tag()?;
                    continue;
                } else {
                    let (element, open) = self.start_tag()?;
                    if open {
                        self.push_open(element);
                        continue;
                    }
                    Node::Element(element)
                }
            } else {
                Node::Text(self.text_node()?)
            };
            self.append(node);
        }
        Ok(())
    }

    fn unclosed_element(&self) -> Box<SyntaxError> {
        let Some(element) = self.open.last() else {
            return Reader::error(
                ErrorKind::UnexpectedEof,
                self.end_of_text(),
                "end of file",
                "unexpected end of file",
                "complete the document",
            );
        };
        // Innermost first; a hostile file can have thousands open, so the
        // list is cut short.
        let shown: Vec<&str> = self
            .open
            .iter()
            .rev()
            .take(OPEN_ELEMENTS_LISTED)
            .map(|e| e.name.as_str())
            .collect();
        let more = match self.open.len().saturating_sub(OPEN_ELEMENTS_LISTED) {
            0 => String::new(),
            hidden => format!(" and {hidden} more"),
        };
        Reader::error(
            ErrorKind::UnclosedElement,
            self.end_of_text(),
            "end of file",
            &format!(
                "unexpected end of file: the following elements are not closed: {}{more}",
                shown.join(", ")
            ),
            &format!(
                "add </{}> for the element opened on line {} (or make it self-closing with />)",
                element.name.as_str(),
                self.line_of(element.start_tag.start)
            ),
        )
        .related(element.name_range, "opened here and never closed")
    }

    fn unknown_markup(&self) -> Box<SyntaxError> {
        let rest = self.rest();
        let run = rest
            .char_indices()
            .skip(2)
            .find(|&(_, c)| !is_name_char(c) && c != '[')
            .map_or(rest.len(), |(at, _)| at);
        Reader::error(
            ErrorKind::UnknownMarkup,
            TextRange::new(self.pos, self.pos + run.max(2)),
            "unknown markup",
            &format!("unknown markup `{}`: after `<!` only a comment `<!--` or a CDATA section `<![CDATA[` may follow", sub(rest, 0, run.max(2))),
            "write a comment as <!-- ... --> (two hyphens on each side); a literal `<` in text is written &lt;",
        )
    }

    // ----- names -----

    /// A qualified name at the current position (`name` or `prefix:local`).
    fn qualified_name(&mut self, what: &str) -> Step<NameToken<'a>> {
        let start = self.pos;
        let input = self.rest();
        let (rest, raw) = name_run(input);
        let range = TextRange::new(start, start + raw.len());
        let invalid =
            |detail: String, strict: bool| {
                let error = Reader::error(
                ErrorKind::InvalidName,
                if raw.is_empty() { self.char_range(start) } else { range },
                "invalid name",
                &detail,
                "names start with a letter or `_` and continue with letters, digits, `-`, `_`, \
                 `.` and at most one `:` between a prefix and a local name; a literal `<` in text \
                 is written &lt;",
            );
                if strict {
                    error.stricter()
                } else {
                    error
                }
            };
        if raw.is_empty() {
            return Err(invalid(
                format!("expected {what}, found {}", self.describe_char(start)),
                false,
            ));
        }
        let colon = raw.bytes().position(|b| b == b':');
        let (first, second) = match colon {
            Some(at) => (sub(raw, 0, at), Some(tail(raw, at + 1))),
            None => (raw, None),
        };
        if second.is_some_and(|local| local.as_bytes().contains(&b':')) {
            return Err(invalid(
                format!("`{raw}` is not a valid {what}: a qualified name has at most one colon"),
                false,
            ));
        }
        let starts_well = |part: &str| match part.as_bytes().first() {
            Some(&b) if b.is_ascii() => b.is_ascii_alphabetic() || b == b'_',
            Some(_) => part.chars().next().is_some_and(is_name_start),
            None => false,
        };
        match second {
            None if !starts_well(first) => Err(invalid(
                format!("`{raw}` is not a valid {what}: it cannot start with `{}`", first.chars().next().unwrap_or(' ')),
                false,
            )),
            Some(local) if !starts_well(local) => Err(invalid(
                format!("`{raw}` is not a valid {what}: the part after the colon must start with a letter or `_`"),
                false,
            )),
            Some(_) if first.is_empty() => Err(invalid(
                format!("`{raw}` is not a valid {what}: the prefix before the colon is empty"),
                true,
            )),
            Some(_) if !starts_well(first) => Err(invalid(
                format!("`{raw}` is not a valid {what}: the prefix must start with a letter or `_`"),
                false,
            )),
            _ => {
                self.advance_to(rest);
                Ok(NameToken { raw, range })
            }
        }
    }

    // ----- XML declaration -----

    fn declaration(&mut self) -> Step<XmlDeclaration> {
        let start = self.pos;
        // roxmltree only takes `<?xml ` with a plain space as a declaration
        // and reads the other spellings as a processing instruction.
        let plain_space = tail(self.rest(), 5).starts_with(' ');
        let strict_unless_plain = |error: Box<SyntaxError>| {
            if plain_space {
                error
            } else {
                error.stricter()
            }
        };
        self.pos += 5;
        self.skip_spaces();
        let version = self
            .pseudo_attribute("version")
            .map_err(strict_unless_plain)?;
        if !is_version_number(&version.value) {
            return Err(Reader::error(
                ErrorKind::InvalidXmlDeclaration,
                version.value_range,
                "invalid version",
                &format!(
                    "the XML version `{}` is not `1.` followed by digits",
                    version.value
                ),
                "write version=\"1.0\"",
            )
            .stricter());
        }
        self.declaration_space().map_err(strict_unless_plain)?;
        let mut encoding = None;
        if self.rest().starts_with("encoding") {
            let value = self
                .pseudo_attribute("encoding")
                .map_err(strict_unless_plain)?;
            if !is_encoding_name(&value.value) {
                return Err(Reader::error(
                    ErrorKind::InvalidXmlDeclaration,
                    value.value_range,
                    "invalid encoding name",
                    &format!("`{}` is not an encoding name", value.value),
                    "write encoding=\"utf-8\" (or delete the encoding declaration)",
                )
                .stricter());
            }
            encoding = Some(value);
            self.declaration_space().map_err(strict_unless_plain)?;
        }
        let mut standalone = None;
        if self.rest().starts_with("standalone") {
            let value = self
                .pseudo_attribute("standalone")
                .map_err(strict_unless_plain)?;
            if value.value != "yes" && value.value != "no" {
                return Err(Reader::error(
                    ErrorKind::InvalidXmlDeclaration,
                    value.value_range,
                    "invalid standalone",
                    &format!("standalone must be `yes` or `no`, not `{}`", value.value),
                    "write standalone=\"yes\" or delete it",
                )
                .stricter());
            }
            standalone = Some(value);
        }
        self.skip_spaces();
        match tag::<_, &str, ()>("?>")(self.rest()) {
            Ok((rest, _)) => self.advance_to(rest),
            Err(_) => {
                return Err(strict_unless_plain(self.expected(
                    self.pos,
                    "`?>`",
                    "to end the XML declaration",
                    "the XML declaration holds version, then optionally encoding, then optionally \
                     standalone, and ends with ?>",
                )));
            }
        }
        Ok(XmlDeclaration {
            range: TextRange::new(start, self.pos),
            version,
            encoding,
            standalone,
        })
    }

    /// After a pseudo-attribute: whitespace, or the end of the declaration.
    fn declaration_space(&mut self) -> Step<()> {
        let rest = self.rest();
        if rest.starts_with(is_space) {
            self.skip_spaces();
        } else if !rest.starts_with("?>") && !rest.is_empty() {
            return Err(self.expected(
                self.pos,
                "whitespace",
                "between the parts of the XML declaration",
                "separate version, encoding and standalone with spaces",
            ));
        }
        Ok(())
    }

    fn pseudo_attribute(&mut self, name: &str) -> Step<PseudoAttribute> {
        let start = self.pos;
        let input = self.rest();
        let (rest, written) = take_while::<_, &str, ()>(is_name_char)(input).unwrap_or((input, ""));
        if !written.starts_with(name) {
            return Err(Reader::error(
                ErrorKind::InvalidXmlDeclaration,
                self.char_range(start),
                &format!("expected `{name}`"),
                &format!("the XML declaration must start with `{name}=\"...\"`"),
                "write <?xml version=\"1.0\" encoding=\"utf-8\"?>",
            ));
        }
        let name_range = TextRange::new(start, start + written.len());
        if written != name {
            return Err(Reader::error(
                ErrorKind::InvalidXmlDeclaration,
                name_range,
                "unknown pseudo-attribute",
                &format!(
                    "`{written}` is not part of an XML declaration (version, encoding, standalone)"
                ),
                &format!("write `{name}`"),
            )
            .stricter());
        }
        self.advance_to(rest);
        self.equals_sign(|| "in the XML declaration".to_owned())?;
        let (_, value_range, _) = self.quoted_raw_value("XML declaration value")?;
        let value = sub(self.text, value_range.start, value_range.end).to_owned();
        Ok(PseudoAttribute {
            name: name_range,
            value_range,
            value,
        })
    }

    fn skip_spaces(&mut self) -> TextRange {
        let start = self.pos;
        self.pos += space_run(self.rest());
        TextRange::new(start, self.pos)
    }

    /// `context` names where the `=` belongs, for the error message only.
    fn equals_sign(&mut self, context: impl FnOnce() -> String) -> Step<TextRange> {
        let start = self.pos;
        let rest = self.rest();
        let before = space_run(rest);
        if rest.as_bytes().get(before) == Some(&b'=') {
            let after = space_run(tail(rest, before + 1));
            self.pos = start + before + 1 + after;
            return Ok(TextRange::new(start, self.pos));
        }
        let at = self.pos + self.rest().len() - self.rest().trim_start_matches(is_space).len();
        Err(self.expected(at, "`=`", &context(), "write attributes as name=\"value\""))
    }

    /// An opening quote, the raw value up to the matching quote, and the
    /// closing quote. A raw `<` inside is an error.
    /// Also tells whether the value may need decoding (`false`: it holds no
    /// reference and no whitespace to normalize, and is taken as written).
    fn quoted_raw_value(&mut self, what: &str) -> Step<(Quote, TextRange, bool)> {
        let quote = match self.rest().as_bytes().first() {
            Some(b'"') => Quote::Double,
            Some(b'\'') => Quote::Single,
            _ => {
                return Err(self.expected(
                    self.pos,
                    "a quote (\" or ')",
                    &format!("to start the {what}"),
                    "put the value in double or single quotes: name=\"value\"",
                ));
            }
        };
        let value_start = self.pos + 1;
        let quote_byte = quote.as_byte();
        let body = tail(self.text, value_start);
        let (stop, dirty) = scan_attribute_value(body.as_bytes(), quote_byte);
        let Some(stop) = stop else {
            return Err(Reader::error(
                ErrorKind::UnexpectedEof,
                TextRange::new(self.pos, value_start),
                "never closed",
                &format!("the file ends inside the quoted {what} that starts here"),
                &format!("close the value with {}", quote.as_char()),
            )
            .related(self.end_of_text(), "the file ends here"));
        };
        let value_end = value_start + stop;
        if body.as_bytes().get(stop) == Some(&b'<') {
            return Err(Reader::error(
                ErrorKind::LtInAttributeValue,
                TextRange::new(value_end, value_end + 1),
                "raw `<` in a value",
                &format!("`<` is not allowed in an attribute value (or the {what} is missing its closing {})", quote.as_char()),
                "write `<` as &lt; inside attribute values (in a regex pattern too), and check that the value's closing quote is there",
            )
            .related(TextRange::new(self.pos, value_start), "the value starts here"));
        }
        if dirty {
            Reader::check_chars(value_start, sub(body, 0, stop))?;
        }
        self.pos = value_end + 1;
        Ok((quote, TextRange::new(value_start, value_end), dirty))
    }

    // ----- tags -----

    /// A start tag or empty-element tag at `<`. Returns the element and
    /// whether it is open (has content and an end tag to come).
    fn start_tag(&mut self) -> Step<(Box<Element>, bool)> {
        let tag_start = self.pos;
        self.pos += 1;
        let name = self.qualified_name("an element name")?;
        if name.raw.starts_with("xmlns:") {
            return Err(Reader::error(
                ErrorKind::InvalidNamespaceDeclaration,
                name.range,
                "reserved prefix",
                "the `xmlns` prefix is reserved for namespace declarations and cannot name an element",
                "rename the element",
            ));
        }
        let mut attributes = Vec::new();
        let (close, open) = loop {
            let leading_space = self.skip_spaces();
            let rest = self.rest();
            match rest.as_bytes().first() {
                None => {
                    return Err(Reader::error(
                        ErrorKind::UnexpectedEof,
                        TextRange::new(tag_start, name.range.end),
                        "never closed",
                        &format!("the file ends inside the start tag of <{}>", name.raw),
                        "close the tag with > or />",
                    )
                    .related(self.end_of_text(), "the file ends here"));
                }
                Some(b'/') => {
                    if rest.as_bytes().get(1) == Some(&b'>') {
                        self.pos += 2;
                        break (TextRange::new(leading_space.start, self.pos), false);
                    }
                    return Err(self.expected(
                        self.pos + 1,
                        "`>`",
                        "after `/` in a tag",
                        "end an empty element with />",
                    ));
                }
                Some(b'>') => {
                    self.pos += 1;
                    break (TextRange::new(leading_space.start, self.pos), true);
                }
                Some(_) => {
                    if leading_space.is_empty() {
                        let found = self.describe_char(self.pos);
                        return Err(Reader::error(
                            ErrorKind::MissingWhitespace,
                            self.char_range(self.pos),
                            "expected whitespace",
                            &format!("expected whitespace, `>` or `/>` in the start tag of <{}>, found {found}", name.raw),
                            "separate attributes with a space, and check the quotes of the previous value",
                        ));
                    }
                    attributes.push(self.attribute(leading_space)?);
                }
            }
        };
        let mut element = Box::new(Element {
            name: QualifiedName::new(name.raw),
            name_range: name.range,
            namespace: None,
            attributes,
            start_tag: TextRange::new(tag_start, self.pos),
            start_tag_close: close,
            self_closing: !open,
            children: Vec::new(),
            end_tag: None,
            range: TextRange::new(tag_start, self.pos),
        });
        self.namespaces.enter();
        self.resolve_namespaces(&mut element)?;
        if !open {
            self.namespaces.exit();
        }
        Ok((element, open))
    }

    fn attribute(&mut self, leading_space: TextRange) -> Step<Attribute> {
        let name = self.qualified_name("an attribute name")?;
        let eq_range = self.equals_sign(|| format!("after the attribute name `{}`", name.raw))?;
        let (quote, value_range, dirty) = self.quoted_raw_value("attribute value")?;
        let raw = sub(self.text, value_range.start, value_range.end);
        let value = if dirty {
            Reader::decode(value_range.start, raw, true)?
        } else {
            raw.to_owned()
        };
        Ok(Attribute {
            leading_space,
            name: QualifiedName::new(name.raw),
            name_range: name.range,
            namespace: None,
            eq_range,
            quote,
            value_range,
            value,
            range: TextRange::new(name.range.start, self.pos),
        })
    }

    fn end_tag(&mut self) -> Step<()> {
        let start = self.pos;
        self.pos += 2;
        let name = self.qualified_name("an element name after `</`")?;
        let trailing_space = self.skip_spaces();
        if self.rest().starts_with('>') {
            self.pos += 1;
        } else {
            return Err(self.expected(
                self.pos,
                "`>`",
                &format!("to end </{}", name.raw),
                "an end tag holds only the element name: </name>",
            ));
        }
        let Some(mut element) = self.open.pop() else {
            return Err(Reader::error(
                ErrorKind::MismatchedEndTag,
                name.range,
                "nothing to close",
                "an end tag with no open element",
                "delete the end tag",
            ));
        };
        if element.name.raw != name.raw {
            let error = Reader::error(
                ErrorKind::MismatchedEndTag,
                name.range,
                &format!("expected </{}>", element.name.raw),
                &format!(
                    "the end tag </{}> does not match the start tag <{}> on line {}",
                    name.raw,
                    element.name.raw,
                    self.line_of(element.start_tag.start)
                ),
                &format!(
                    "close <{}> first (names are case-sensitive), or fix the element nesting",
                    element.name.raw
                ),
            )
            .related(element.name_range, "the open element");
            self.open.push(element);
            return Err(error);
        }
        self.close_children(&mut element);
        self.namespaces.exit();
        element.end_tag = Some(EndTag {
            range: TextRange::new(start, self.pos),
            name_range: name.range,
            trailing_space,
        });
        element.range = TextRange::new(element.start_tag.start, self.pos);
        self.append(Node::Element(element));
        Ok(())
    }

    // ----- namespaces -----

    fn resolve_namespaces(&mut self, element: &mut Element) -> Step<()> {
        check_duplicate_names(&element.attributes)?;
        for attribute in &element.attributes {
            let raw = sub(
                self.text,
                attribute.name_range.start,
                attribute.name_range.end,
            );
            if raw == "xmlns" {
                let uri = Reader::default_namespace_declaration(attribute)?;
                self.namespaces.bind("", uri);
            } else if let Some(prefix) = raw.strip_prefix("xmlns:") {
                if let Some(uri) = Reader::prefixed_namespace_declaration(attribute, prefix)? {
                    self.namespaces.bind(prefix, Some(uri));
                }
            }
        }
        element.namespace = self.element_namespace(element)?;
        for attribute in &mut element.attributes {
            attribute.namespace = if attribute.is_namespace_declaration() {
                Some(Arc::clone(&self.xmlns_namespace))
            } else {
                match attribute.name.prefix() {
                    None => None,
                    Some("xml") => Some(Arc::clone(&self.xml_namespace)),
                    Some(prefix) => match self.namespaces.lookup(prefix) {
                        Binding::Uri(uri) => Some(uri),
                        Binding::NoNamespace => None,
                        Binding::Unbound => {
                            let error = unknown_prefix(prefix, attribute.name_range, "attribute");
                            // roxmltree reads `p:xmlns` as a default namespace
                            // declaration and never looks the prefix up.
                            return Err(if attribute.name.local() == "xmlns" {
                                error.stricter()
                            } else {
                                error
                            });
                        }
                    },
                }
            };
        }
        check_duplicate_expanded_names(&element.attributes)
    }

    fn element_namespace(&self, element: &Element) -> Step<Option<Arc<str>>> {
        let prefix = match element.name.prefix() {
            None => "",
            Some("xml") => return Ok(Some(Arc::clone(&self.xml_namespace))),
            Some(prefix) => prefix,
        };
        match self.namespaces.lookup(prefix) {
            Binding::Uri(uri) => Ok(Some(uri)),
            Binding::NoNamespace => Ok(None),
            Binding::Unbound if prefix.is_empty() => Ok(None),
            Binding::Unbound => Err(unknown_prefix(prefix, element.name_range, "element")),
        }
    }

    fn default_namespace_declaration(attribute: &Attribute) -> Step<Option<Arc<str>>> {
        let value = attribute.value.as_str();
        if value == XML_NAMESPACE || value == XMLNS_NAMESPACE {
            return Err(reserved_uri(attribute));
        }
        Ok((!value.is_empty()).then(|| Arc::from(value)))
    }

    /// The URI to bind `prefix` to; `None` for the (always bound) `xml`.
    fn prefixed_namespace_declaration(
        attribute: &Attribute,
        prefix: &str,
    ) -> Step<Option<Arc<str>>> {
        let value = attribute.value.as_str();
        if value == XMLNS_NAMESPACE {
            return Err(reserved_uri(attribute));
        }
        if prefix == "xml" {
            if value != XML_NAMESPACE {
                return Err(reserved_uri(attribute));
            }
            return Ok(None);
        }
        if value == XML_NAMESPACE {
            return Err(reserved_uri(attribute));
        }
        if prefix == "xmlns" {
            return Err(Reader::error(
                ErrorKind::InvalidNamespaceDeclaration,
                attribute.name_range,
                "reserved prefix",
                "the `xmlns` prefix is bound by definition and must not be declared",
                "delete this declaration",
            )
            .stricter());
        }
        if value.is_empty() {
            return Err(Reader::error(
                ErrorKind::InvalidNamespaceDeclaration,
                attribute.value_range,
                "empty namespace",
                &format!("the prefix `{prefix}` is declared with an empty namespace URI, which Namespaces in XML 1.0 does not allow"),
                "give the prefix a URI, or delete the declaration",
            )
            .stricter());
        }
        Ok(Some(Arc::from(value)))
    }

    // ----- character data and other nodes -----

    fn text_node(&mut self) -> Step<Text> {
        let start = self.pos;
        let rest = self.rest();
        let TextScan { end, dirty, cr } = scan_text(rest.as_bytes());
        let raw = sub(rest, 0, end);
        if !dirty {
            // No reference, `>` or suspect character: taken as written, but
            // for the line ends.
            self.pos = start + end;
            let value = if cr {
                normalize_line_ends(raw)
            } else {
                raw.to_owned()
            };
            return Ok(Text {
                range: TextRange::new(start, self.pos),
                value,
            });
        }
        Reader::check_chars(start, raw)?;
        // Most text holds no `>` at all; only then is `]]>` looked for.
        let cdata_end = if raw.as_bytes().contains(&b'>') {
            raw.find("]]>")
        } else {
            None
        };
        if let Some(at) = cdata_end {
            return Err(Reader::error(
                ErrorKind::CDataEndInText,
                TextRange::new(start + at, start + at + 3),
                "`]]>` in text",
                "`]]>` is not allowed in text outside a CDATA section",
                "write it as ]]&gt;",
            ));
        }
        let value = Reader::decode(start, raw, false)?;
        self.pos = start + end;
        Ok(Text {
            range: TextRange::new(start, self.pos),
            value,
        })
    }

    fn comment(&mut self) -> Step<Comment> {
        let start = self.pos;
        let body = tail(self.text, start + 4);
        let Ok((_, content)) = take_until::<_, &str, ()>("-->")(body) else {
            return Err(Reader::error(
                ErrorKind::UnexpectedEof,
                TextRange::new(start, start + 4),
                "never closed",
                "the file ends inside the comment that starts here",
                "close the comment with -->",
            )
            .related(self.end_of_text(), "the file ends here"));
        };
        let content_start = start + 4;
        Reader::check_chars(content_start, content)?;
        if let Some(at) = content.find("--") {
            return Err(Reader::error(
                ErrorKind::InvalidComment,
                TextRange::new(content_start + at, content_start + at + 2),
                "`--` in a comment",
                "`--` is not allowed inside a comment",
                "remove the double hyphen (a commented-out comment inside a comment is the usual cause), or close the first comment before opening the next",
            ));
        }
        if content.ends_with('-') {
            let end = content_start + content.len();
            return Err(Reader::error(
                ErrorKind::InvalidComment,
                TextRange::new(end - 1, end + 3),
                "`--->`",
                "a comment cannot end with `--->`",
                "put a space before the closing -->",
            ));
        }
        self.pos = content_start + content.len() + 3;
        Ok(Comment {
            range: TextRange::new(start, self.pos),
            content_range: TextRange::new(content_start, content_start + content.len()),
            text: content.to_owned(),
        })
    }

    fn cdata(&mut self) -> Step<CData> {
        let start = self.pos;
        let content_start = start + 9;
        let Ok((_, content)) = take_until::<_, &str, ()>("]]>")(tail(self.text, content_start))
        else {
            return Err(Reader::error(
                ErrorKind::UnexpectedEof,
                TextRange::new(start, content_start),
                "never closed",
                "the file ends inside the CDATA section that starts here",
                "close the CDATA section with ]]>",
            )
            .related(self.end_of_text(), "the file ends here"));
        };
        Reader::check_chars(content_start, content)?;
        self.pos = content_start + content.len() + 3;
        Ok(CData {
            range: TextRange::new(start, self.pos),
            content_range: TextRange::new(content_start, content_start + content.len()),
            value: normalize_line_ends(content),
        })
    }

    fn processing_instruction(&mut self) -> Step<ProcessingInstruction> {
        let start = self.pos;
        let rest = self.rest();
        if let Some(after) = rest.strip_prefix("<?xml") {
            if after.starts_with(is_space) {
                let error = Reader::error(
                    ErrorKind::MisplacedXmlDeclaration,
                    TextRange::new(start, start + 5),
                    "misplaced declaration",
                    "the XML declaration is only allowed at the very start of the file",
                    "delete this declaration, or move it to the first line with nothing (not even whitespace or a second BOM) before it",
                );
                return Err(if after.starts_with(' ') {
                    error
                } else {
                    error.stricter()
                });
            }
        }
        self.pos += 2;
        let target_start = self.pos;
        let input = self.rest();
        let (rest, target) = take_while::<_, &str, ()>(is_name_char)(input).unwrap_or((input, ""));
        let target_range = TextRange::new(target_start, target_start + target.len());
        if !target.starts_with(|c: char| is_name_start(c) || c == ':') {
            return Err(Reader::error(
                ErrorKind::InvalidName,
                self.char_range(target_start),
                "invalid name",
                &format!(
                    "expected a processing instruction name after `<?`, found {}",
                    self.describe_char(target_start)
                ),
                "write <?name data?>, or delete the `<?`",
            ));
        }
        if target.eq_ignore_ascii_case("xml") {
            return Err(Reader::error(
                ErrorKind::InvalidProcessingInstruction,
                target_range,
                "reserved name",
                "a processing instruction cannot be named `xml`: that name is reserved for the XML declaration",
                "if this is meant as the XML declaration, write <?xml version=\"1.0\"?> at the very start of the file",
            )
            .stricter());
        }
        if target.contains(':') {
            return Err(Reader::error(
                ErrorKind::InvalidProcessingInstruction,
                target_range,
                "colon in name",
                "a processing instruction name cannot contain a colon (Namespaces in XML)",
                "rename the processing instruction",
            )
            .stricter());
        }
        self.advance_to(rest);
        let space = self.skip_spaces();
        let data_start = self.pos;
        let Ok((_, data)) = take_until::<_, &str, ()>("?>")(self.rest()) else {
            return Err(Reader::error(
                ErrorKind::UnexpectedEof,
                TextRange::new(start, start + 2),
                "never closed",
                "the file ends inside the processing instruction that starts here",
                "close the processing instruction with ?>",
            )
            .related(self.end_of_text(), "the file ends here"));
        };
        if space.is_empty() && !data.is_empty() {
            return Err(Reader::error(
                ErrorKind::InvalidProcessingInstruction,
                self.char_range(data_start),
                "expected whitespace",
                &format!(
                    "expected whitespace or `?>` after the processing instruction name `{target}`"
                ),
                "separate the name from the data with a space",
            )
            .stricter());
        }
        Reader::check_chars(data_start, data)?;
        self.pos = data_start + data.len() + 2;
        Ok(ProcessingInstruction {
            range: TextRange::new(start, self.pos),
            target: target.to_owned(),
            target_range,
            space,
            data: (!data.is_empty()).then(|| data.to_owned()),
            data_range: TextRange::new(data_start, data_start + data.len()),
        })
    }

    // ----- references -----

    /// Decodes text (`attribute == false`: references, CR LF and CR → LF)
    /// or an attribute value (references; TAB, LF, CR and CR LF → space).
    fn decode(start: usize, raw: &str, attribute: bool) -> Step<String> {
        let bytes = raw.as_bytes();
        let special = |b: u8| b == b'&' || b == b'\r' || (attribute && (b == b'\n' || b == b'\t'));
        if !bytes.iter().any(|&b| special(b)) {
            return Ok(raw.to_owned());
        }
        let mut out = String::with_capacity(raw.len());
        let mut chunk = 0;
        let mut index = 0;
        while let Some(&byte) = bytes.get(index) {
            if !special(byte) {
                index += 1;
                continue;
            }
            out.push_str(sub(raw, chunk, index));
            match byte {
                b'&' => {
                    let (c, len) = Reader::reference(start + index, tail(raw, index))?;
                    out.push(c);
                    index += len;
                }
                b'\r' => {
                    out.push(if attribute { ' ' } else { '\n' });
                    index += 1;
                    if bytes.get(index) == Some(&b'\n') {
                        index += 1;
                    }
                }
                _ => {
                    out.push(' ');
                    index += 1;
                }
            }
            chunk = index;
        }
        out.push_str(tail(raw, chunk));
        Ok(out)
    }

    /// The character `&...;` at `at` stands for, and the reference's length.
    fn reference(at: usize, input: &str) -> Step<(char, usize)> {
        let body = tail(input, 1);
        let malformed = |consumed: usize| {
            Reader::error(
                ErrorKind::MalformedReference,
                TextRange::new(at, at + consumed.max(1)),
                "bare `&`",
                "`&` must start an entity reference like &amp; or a character reference like &#38;",
                "write a literal & as &amp; (in URLs and query strings too)",
            )
        };
        let numeric = body
            .strip_prefix("#x")
            .map(|digits| (digits, 16, 3))
            .or_else(|| body.strip_prefix('#').map(|digits| (digits, 10, 2)));
        if let Some((after, radix, prefix_len)) = numeric {
            let parsed: NomResult<'_, &str> = if radix == 16 {
                hex_digit0(after)
            } else {
                digit0(after)
            };
            let (rest, digits) = parsed.unwrap_or((after, ""));
            let consumed = prefix_len + digits.len();
            if digits.is_empty() || one_char::<_, ()>(';')(rest).is_err() {
                return Err(malformed(consumed));
            }
            let len = consumed + 1;
            let range = TextRange::new(at, at + len);
            let Some(value) = digits.chars().try_fold(0u32, |value, d| {
                value.checked_mul(radix)?.checked_add(d.to_digit(radix)?)
            }) else {
                return Err(malformed(consumed));
            };
            return match char::from_u32(value) {
                Some(c) if is_xml_char(c) => Ok((c, len)),
                Some(_) => Err(Reader::error(
                    ErrorKind::InvalidCharacterReference,
                    range,
                    "not an XML character",
                    &format!("the character reference {} names U+{value:04X}, which is not allowed in XML", sub(input, 0, len)),
                    "delete the reference: control characters other than tab, LF and CR cannot appear in XML, not even escaped",
                )),
                None => Err(Reader::error(
                    ErrorKind::InvalidCharacterReference,
                    range,
                    "not a character",
                    &format!("the character reference {} names no Unicode character (a surrogate or beyond U+10FFFF)", sub(input, 0, len)),
                    "write the character itself, or the reference of its code point (&#x1F600; rather than a surrogate pair)",
                )
                .stricter()),
            };
        }
        let (rest, name) = take_while::<_, &str, ()>(is_name_char)(body).unwrap_or((body, ""));
        if !name.starts_with(|c: char| is_name_start(c) || c == ':')
            || one_char::<_, ()>(';')(rest).is_err()
        {
            return Err(malformed(1 + name.len()));
        }
        let len = name.len() + 2;
        let c = match name {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                return Err(Reader::error(
                    ErrorKind::UnknownEntity,
                    TextRange::new(at, at + len),
                    "unknown entity",
                    &format!("unknown entity `&{name};`: without a DTD only &lt; &gt; &amp; &quot; &apos; are defined"),
                    &format!("write the character itself or a character reference (&#...;); if `&{name}` is part of a URL or text, write the `&` as &amp;"),
                ));
            }
        };
        Ok((c, len))
    }
}

fn unknown_prefix(prefix: &str, range: TextRange, what: &str) -> Box<SyntaxError> {
    let prefix_range = TextRange::new(range.start, range.start + prefix.len());
    Reader::error(
        ErrorKind::UnknownNamespacePrefix,
        prefix_range,
        "undeclared prefix",
        &format!("the {what} prefix `{prefix}` is not declared (no xmlns:{prefix}=\"...\" on this element or an ancestor)"),
        &format!("declare it, e.g. xmlns:{prefix}=\"http://schemas.microsoft.com/XML-Document-Transform\" for xdt, or remove the prefix"),
    )
}

fn reserved_uri(attribute: &Attribute) -> Box<SyntaxError> {
    Reader::error(
        ErrorKind::InvalidNamespaceDeclaration,
        attribute.range,
        "reserved namespace",
        &format!(
            "`{}` misuses a reserved namespace: only the `xml` prefix may be bound to {XML_NAMESPACE}, it may be bound to nothing else, and {XMLNS_NAMESPACE} may never be declared",
            attribute.name.raw
        ),
        "delete this declaration",
    )
}

fn duplicate(first: &Attribute, second: &Attribute, detail: &str) -> Box<SyntaxError> {
    Reader::error(
        ErrorKind::DuplicateAttribute,
        second.name_range,
        "duplicate attribute",
        &format!(
            "the attribute `{}` appears twice in one start tag{detail}",
            second.name.raw
        ),
        "delete one of the two (IIS would not know which value you meant)",
    )
    .related(first.name_range, "first written here")
}

/// Limit below which duplicates are found by comparing every pair; above
/// it a hash set keeps hostile start tags linear.
const PAIRWISE_LIMIT: usize = 12;

fn check_duplicate_names(attributes: &[Attribute]) -> Step<()> {
    let fail = |first: &Attribute, second: &Attribute| {
        let error = duplicate(first, second, "");
        // roxmltree checks duplicates after namespace processing and skips
        // namespace declarations, so a second `xmlns` slips through it.
        if second.name.raw == "xmlns" {
            error.stricter()
        } else {
            error
        }
    };
    if attributes.len() <= PAIRWISE_LIMIT {
        for (index, second) in attributes.iter().enumerate() {
            if let Some(first) = attributes
                .iter()
                .take(index)
                .find(|first| first.name.raw == second.name.raw)
            {
                return Err(fail(first, second));
            }
        }
        return Ok(());
    }
    let mut seen: HashMap<&str, &Attribute> = HashMap::with_capacity(attributes.len());
    for attribute in attributes {
        if let Some(first) = seen.insert(attribute.name.as_str(), attribute) {
            return Err(fail(first, attribute));
        }
    }
    Ok(())
}

fn check_duplicate_expanded_names(attributes: &[Attribute]) -> Step<()> {
    fn key(attribute: &Attribute) -> (Option<&str>, &str) {
        (attribute.namespace.as_deref(), attribute.name.local())
    }
    // Only prefixed attributes can clash without having the same name as
    // written (two prefixes bound to one URI), and duplicates by name were
    // already refused.
    let prefixed: Vec<&Attribute> = attributes
        .iter()
        .filter(|a| a.name.prefix().is_some() && !a.is_namespace_declaration())
        .collect();
    if prefixed.len() < 2 {
        return Ok(());
    }
    let detail = ", once for each prefix bound to the same namespace";
    let mut seen: HashMap<(Option<&str>, &str), &Attribute> =
        HashMap::with_capacity(prefixed.len());
    for attribute in prefixed {
        if let Some(first) = seen.insert(key(attribute), attribute) {
            return Err(duplicate(first, attribute, detail));
        }
    }
    Ok(())
}

/// The longest run of name characters at the start of `input`, and the
/// rest. ASCII names (nearly all of them) are scanned byte by byte; the
/// first non-ASCII byte hands over to nom's char-wise `take_while`.
fn name_run(input: &str) -> (&str, &str) {
    let ascii = input
        .bytes()
        .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'-' | b'.')))
        .unwrap_or(input.len());
    if input.as_bytes().get(ascii).is_some_and(|&b| b >= 0x80) {
        let (rest, run) = take_while::<_, &str, ()>(is_name_char)(input).unwrap_or((input, ""));
        return (rest, run);
    }
    (tail(input, ascii), sub(input, 0, ascii))
}

/// The length of the run of XML whitespace at the start of `input`.
fn space_run(input: &str) -> usize {
    input
        .bytes()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        .unwrap_or(input.len())
}

/// CR LF and lone CR become LF (XML 1.0 §2.11).
fn normalize_line_ends(content: &str) -> String {
    let bytes = content.as_bytes();
    let mut out = String::with_capacity(content.len());
    let mut chunk = 0;
    while let Some(cr) = bytes
        .get(chunk..)
        .and_then(|rest| rest.iter().position(|&b| b == b'\r'))
    {
        let at = chunk + cr;
        out.push_str(sub(content, chunk, at));
        out.push('\n');
        chunk = if bytes.get(at + 1) == Some(&b'\n') {
            at + 2
        } else {
            at + 1
        };
    }
    out.push_str(tail(content, chunk));
    out
}

/// `VersionNum ::= '1.' [0-9]+`
fn is_version_number(value: &str) -> bool {
    value
        .strip_prefix("1.")
        .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// `EncName ::= [A-Za-z] ([A-Za-z0-9._] | '-')*`
fn is_encoding_name(value: &str) -> bool {
    let mut bytes = value.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}
