//! The lossless syntax tree of one XML document.
//!
//! Every token keeps its byte range in the parsed text, so the tree prints
//! back byte for byte ([`crate::print`]) and every diagnostic can point at
//! the exact bytes it is about. Decoded values (entities and character
//! references replaced, line ends and attribute whitespace normalized) sit
//! next to the raw ranges.
//!
//! Deep nesting is safe: elements are dropped iteratively, and every walk in
//! this crate ([`Element::descendants`], the printer, the canonical form)
//! uses an explicit stack. The derived `Debug` is the one recursive walk;
//! don't print adversarially deep trees with it.

use std::sync::Arc;

use lint403_core::TextRange;

/// The XML namespace, bound to the prefix `xml` by definition.
pub const XML_NAMESPACE: &str = "http://www.w3.org/XML/1998/namespace";
/// The namespace of `xmlns` declarations, which must never be declared.
pub const XMLNS_NAMESPACE: &str = "http://www.w3.org/2000/xmlns/";

/// One parsed document: what comes before the root element, the root, and
/// what comes after it.
#[derive(Debug)]
pub struct Document {
    /// The UTF-8 byte order mark at offset 0, when the text starts with one.
    pub bom: Option<TextRange>,
    /// The XML declaration, comments, processing instructions and
    /// whitespace before the root element, in document order.
    pub prolog: Vec<Misc>,
    pub root: Element,
    /// Comments, processing instructions and whitespace after the root.
    pub epilog: Vec<Misc>,
    /// The whole document (the length of the parsed text).
    pub range: TextRange,
}

impl Document {
    /// The XML declaration, when the document has one.
    pub fn declaration(&self) -> Option<&XmlDeclaration> {
        self.prolog.iter().find_map(|item| match item {
            Misc::Declaration(declaration) => Some(declaration),
            _ => None,
        })
    }

    /// The root element and every element below it, in document order.
    pub fn elements(&self) -> Descendants<'_> {
        self.root.descendants()
    }
}

/// An item outside the root element.
#[derive(Debug)]
pub enum Misc {
    Declaration(XmlDeclaration),
    Comment(Comment),
    ProcessingInstruction(ProcessingInstruction),
    /// Spaces, tabs and line ends between the other items.
    Whitespace(TextRange),
}

impl Misc {
    pub fn range(&self) -> TextRange {
        match self {
            Misc::Declaration(declaration) => declaration.range,
            Misc::Comment(comment) => comment.range,
            Misc::ProcessingInstruction(pi) => pi.range,
            Misc::Whitespace(range) => *range,
        }
    }
}

/// `<?xml version="1.0" encoding="utf-8" standalone="yes"?>`.
#[derive(Debug)]
pub struct XmlDeclaration {
    pub range: TextRange,
    pub version: PseudoAttribute,
    pub encoding: Option<PseudoAttribute>,
    pub standalone: Option<PseudoAttribute>,
}

/// One `name="value"` of the XML declaration. Its value is taken as
/// written: the declaration knows no references.
#[derive(Debug)]
pub struct PseudoAttribute {
    pub name: TextRange,
    pub value_range: TextRange,
    pub value: String,
}

/// Which quote delimits an attribute value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quote {
    Double,
    Single,
}

impl Quote {
    pub fn as_char(self) -> char {
        char::from(self.as_byte())
    }

    pub fn as_byte(self) -> u8 {
        match self {
            Quote::Double => b'"',
            Quote::Single => b'\'',
        }
    }
}

/// A name as written, possibly with a namespace prefix (`xdt:Transform`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualifiedName {
    /// The name exactly as written, prefix and colon included.
    pub raw: String,
    /// Length of the prefix in bytes when the name has one.
    prefix_len: Option<usize>,
}

impl QualifiedName {
    pub(crate) fn new(raw: &str) -> QualifiedName {
        QualifiedName {
            raw: raw.to_owned(),
            prefix_len: raw.bytes().position(|b| b == b':'),
        }
    }

    /// The prefix before the colon, if any.
    pub fn prefix(&self) -> Option<&str> {
        self.prefix_len.and_then(|len| self.raw.get(..len))
    }

    /// The part after the colon (the whole name when there is no prefix).
    pub fn local(&self) -> &str {
        match self.prefix_len {
            Some(len) => self.raw.get(len + 1..).unwrap_or_default(),
            None => &self.raw,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

/// An element with its start tag, attributes, content and end tag.
#[derive(Debug)]
pub struct Element {
    /// The name as written. Names are case-sensitive, as in IIS:
    /// `system.webServer` and `system.webserver` are different elements.
    pub name: QualifiedName,
    /// Where the name is written in the start tag.
    pub name_range: TextRange,
    /// The namespace URI the name is in (its prefix's binding, or the
    /// default namespace for an unprefixed name), `None` for no namespace.
    pub namespace: Option<Arc<str>>,
    /// Every attribute in the order written, namespace declarations
    /// (`xmlns`, `xmlns:p`) included.
    pub attributes: Vec<Attribute>,
    /// The start tag from `<` to `>` (or `/>`).
    pub start_tag: TextRange,
    /// Whitespace after the last attribute and the closing `>` or `/>`.
    pub start_tag_close: TextRange,
    /// `<name/>`: no content and no end tag.
    pub self_closing: bool,
    pub children: Vec<Node>,
    /// `None` when self-closing, or in a partial tree when the element was
    /// still open where the error stopped the parse.
    pub end_tag: Option<EndTag>,
    /// From `<` of the start tag to `>` of the end tag.
    pub range: TextRange,
}

impl Element {
    /// The attribute with this name as written (`configSource`,
    /// `xdt:Transform`), compared case-sensitively.
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name.raw == name)
    }

    /// The decoded value of the attribute with this name as written.
    pub fn attribute_value(&self, name: &str) -> Option<&str> {
        self.attribute(name).map(|a| a.value.as_str())
    }

    /// The attributes that are not namespace declarations.
    pub fn plain_attributes(&self) -> impl Iterator<Item = &Attribute> {
        self.attributes
            .iter()
            .filter(|a| !a.is_namespace_declaration())
    }

    /// Direct child elements, in order.
    pub fn child_elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(Node::as_element)
    }

    /// This element and every element below it, in document order.
    pub fn descendants(&self) -> Descendants<'_> {
        Descendants {
            pending: Some(self),
            stack: Vec::new(),
        }
    }

    /// The decoded text of the direct text and CDATA children, joined.
    pub fn text(&self) -> String {
        let mut text = String::new();
        for child in &self.children {
            match child {
                Node::Text(t) => text.push_str(&t.value),
                Node::CData(c) => text.push_str(&c.value),
                _ => {}
            }
        }
        text
    }
}

impl Drop for Element {
    // The default drop recurses once per nesting level; a hostile
    // 100,000-deep document would overflow the stack.
    fn drop(&mut self) {
        // Children without children of their own drop without recursing
        // further: the common case needs no work list at all.
        let nested = |children: &[Node]| {
            children
                .iter()
                .any(|node| matches!(node, Node::Element(e) if !e.children.is_empty()))
        };
        if !nested(&self.children) {
            return;
        }
        // Every list of children is taken out of its element before the
        // list is dropped, so each element drops with no children left.
        let mut pending = vec![std::mem::take(&mut self.children)];
        while let Some(mut children) = pending.pop() {
            for node in &mut children {
                if let Node::Element(element) = node {
                    if !element.children.is_empty() {
                        pending.push(std::mem::take(&mut element.children));
                    }
                }
            }
        }
    }
}

/// Iterator over an element and its descendant elements, in document order.
pub struct Descendants<'t> {
    pending: Option<&'t Element>,
    stack: Vec<std::slice::Iter<'t, Node>>,
}

impl<'t> Iterator for Descendants<'t> {
    type Item = &'t Element;

    fn next(&mut self) -> Option<&'t Element> {
        if let Some(element) = self.pending.take() {
            self.stack.push(element.children.iter());
            return Some(element);
        }
        while let Some(children) = self.stack.last_mut() {
            match children.next() {
                Some(Node::Element(element)) => {
                    self.stack.push(element.children.iter());
                    return Some(element.as_ref());
                }
                Some(_) => {}
                None => {
                    self.stack.pop();
                }
            }
        }
        None
    }
}

/// `</name>`.
#[derive(Debug)]
pub struct EndTag {
    pub range: TextRange,
    pub name_range: TextRange,
    /// Whitespace between the name and `>`.
    pub trailing_space: TextRange,
}

/// `name="value"` in a start tag.
#[derive(Debug)]
pub struct Attribute {
    /// The whitespace before the name (at least one character).
    pub leading_space: TextRange,
    pub name: QualifiedName,
    pub name_range: TextRange,
    /// Namespace URI of a prefixed name; unprefixed attributes are in no
    /// namespace (the default namespace does not apply to attributes).
    pub namespace: Option<Arc<str>>,
    /// `=` with the whitespace around it.
    pub eq_range: TextRange,
    pub quote: Quote,
    /// The value as written, inside the quotes.
    pub value_range: TextRange,
    /// The value after replacing references and normalizing whitespace
    /// (XML 1.0 §3.3.3: TAB, CR, LF and CR LF become one space each;
    /// `&#10;` and friends stay the characters they name).
    pub value: String,
    /// From the first byte of the name to the closing quote.
    pub range: TextRange,
}

impl Attribute {
    /// `xmlns` or `xmlns:prefix`.
    pub fn is_namespace_declaration(&self) -> bool {
        self.name.raw == "xmlns" || self.name.prefix() == Some("xmlns")
    }
}

/// Content of an element. The two large kinds are boxed so that a list of
/// children stays compact.
#[derive(Debug)]
pub enum Node {
    Element(Box<Element>),
    Text(Text),
    CData(CData),
    Comment(Comment),
    ProcessingInstruction(Box<ProcessingInstruction>),
}

impl Node {
    pub fn as_element(&self) -> Option<&Element> {
        match self {
            Node::Element(element) => Some(element.as_ref()),
            _ => None,
        }
    }

    pub fn range(&self) -> TextRange {
        match self {
            Node::Element(element) => element.range,
            Node::Text(text) => text.range,
            Node::CData(cdata) => cdata.range,
            Node::Comment(comment) => comment.range,
            Node::ProcessingInstruction(pi) => pi.range,
        }
    }
}

/// Character data between tags.
#[derive(Debug)]
pub struct Text {
    pub range: TextRange,
    /// With references replaced and CR LF / CR turned into LF.
    pub value: String,
}

/// `<![CDATA[...]]>`.
#[derive(Debug)]
pub struct CData {
    pub range: TextRange,
    /// Between `<![CDATA[` and `]]>`.
    pub content_range: TextRange,
    /// The content with CR LF / CR turned into LF; nothing else is decoded.
    pub value: String,
}

/// `<!--...-->`. Commented-out configuration is never active.
#[derive(Debug)]
pub struct Comment {
    pub range: TextRange,
    /// Between `<!--` and `-->`.
    pub content_range: TextRange,
    /// The content as written.
    pub text: String,
}

/// `<?target data?>`.
#[derive(Debug)]
pub struct ProcessingInstruction {
    pub range: TextRange,
    pub target: String,
    pub target_range: TextRange,
    /// From the end of the target to the start of the data (whitespace).
    pub space: TextRange,
    /// The data as written, `None` when there is none.
    pub data: Option<String>,
    pub data_range: TextRange,
}
