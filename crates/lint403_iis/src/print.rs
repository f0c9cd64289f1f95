//! Printing a tree back to the exact text it was parsed from.
//!
//! Names come from the tree's own strings and punctuation from the node
//! kinds; whitespace, raw values and character data come from the ranges
//! the tree recorded. A tree that lost, doubled or misplaced any token
//! prints something other than its input, which is what the round-trip
//! tests check.

use lint403_core::TextRange;

use crate::syntax::{Comment, Document, Element, Misc, Node, ProcessingInstruction};

/// The text of `document`, rebuilt from its tokens. `text` is the text the
/// document was parsed from (the tree stores ranges into it).
pub fn print(document: &Document, text: &str) -> String {
    let mut printer = Printer {
        text,
        out: String::with_capacity(text.len()),
    };
    if let Some(bom) = document.bom {
        printer.range(bom);
    }
    for item in &document.prolog {
        printer.misc(item);
    }
    printer.element_tree(&document.root);
    for item in &document.epilog {
        printer.misc(item);
    }
    printer.out
}

struct Printer<'t> {
    text: &'t str,
    out: String,
}

impl Printer<'_> {
    fn range(&mut self, range: TextRange) {
        self.out
            .push_str(self.text.get(range.start..range.end).unwrap_or_default());
    }

    fn misc(&mut self, item: &Misc) {
        match item {
            Misc::Declaration(declaration) => self.range(declaration.range),
            Misc::Comment(comment) => self.comment(comment),
            Misc::ProcessingInstruction(pi) => self.processing_instruction(pi),
            Misc::Whitespace(range) => self.range(*range),
        }
    }

    fn comment(&mut self, comment: &Comment) {
        self.out.push_str("<!--");
        self.out.push_str(&comment.text);
        self.out.push_str("-->");
    }

    fn processing_instruction(&mut self, pi: &ProcessingInstruction) {
        self.out.push_str("<?");
        self.out.push_str(&pi.target);
        self.range(pi.space);
        if let Some(data) = &pi.data {
            self.out.push_str(data);
        }
        self.out.push_str("?>");
    }

    fn start_tag(&mut self, element: &Element) {
        self.out.push('<');
        self.out.push_str(element.name.as_str());
        for attribute in &element.attributes {
            self.range(attribute.leading_space);
            self.out.push_str(attribute.name.as_str());
            self.range(attribute.eq_range);
            self.out.push(attribute.quote.as_char());
            self.range(attribute.value_range);
            self.out.push(attribute.quote.as_char());
        }
        self.range(element.start_tag_close);
    }

    fn end_tag(&mut self, element: &Element) {
        if let Some(end) = &element.end_tag {
            self.out.push_str("</");
            self.out.push_str(element.name.as_str());
            self.range(end.trailing_space);
            self.out.push('>');
        }
    }

    /// An element and everything in it, with an explicit stack.
    fn element_tree(&mut self, root: &Element) {
        self.start_tag(root);
        // Each entry: an element whose end tag is still to come, and the
        // children of it not printed yet.
        let mut stack = vec![(root, root.children.iter())];
        while let Some((element, children)) = stack.last_mut() {
            let Some(node) = children.next() else {
                let element = *element;
                stack.pop();
                self.end_tag(element);
                continue;
            };
            match node {
                Node::Element(child) => {
                    self.start_tag(child);
                    stack.push((child, child.children.iter()));
                }
                Node::Text(text) => self.range(text.range),
                Node::CData(cdata) => {
                    self.out.push_str("<![CDATA[");
                    self.range(cdata.content_range);
                    self.out.push_str("]]>");
                }
                Node::Comment(comment) => self.comment(comment),
                Node::ProcessingInstruction(pi) => self.processing_instruction(pi),
            }
        }
    }
}
