//! A plain, comparable view of a document's content: what an XML
//! processor reports (names, namespaces, decoded values, text, comments,
//! processing instructions), without positions or the spelling of markup.
//! The oracle tests compare this view with the one built from roxmltree.

use crate::syntax::{Document, Element, Misc, Node};

/// One event of the canonical view, in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// An element starts. Namespace declarations are not listed among
    /// the attributes (they show as namespaces instead).
    Start {
        qname: String,
        local: String,
        namespace: Option<String>,
        attributes: Vec<ItemAttribute>,
    },
    /// The most recent open element ends.
    End,
    /// A run of adjacent text and CDATA, decoded and joined.
    Text(String),
    Comment(String),
    ProcessingInstruction {
        target: String,
        data: Option<String>,
    },
}

/// An attribute of [`Item::Start`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemAttribute {
    pub qname: String,
    pub local: String,
    pub namespace: Option<String>,
    pub value: String,
}

/// The canonical view of `document`, built with an explicit stack.
pub fn canonical(document: &Document) -> Vec<Item> {
    let mut items = Vec::new();
    for misc in &document.prolog {
        push_misc(&mut items, misc);
    }
    items.push(start(&document.root));
    let mut stack = vec![document.root.children.iter()];
    while let Some(children) = stack.last_mut() {
        let Some(node) = children.next() else {
            stack.pop();
            items.push(Item::End);
            continue;
        };
        match node {
            Node::Element(element) => {
                items.push(start(element));
                stack.push(element.children.iter());
            }
            Node::Text(text) => push_text(&mut items, &text.value),
            Node::CData(cdata) => push_text(&mut items, &cdata.value),
            Node::Comment(comment) => items.push(Item::Comment(comment.text.clone())),
            Node::ProcessingInstruction(pi) => items.push(Item::ProcessingInstruction {
                target: pi.target.clone(),
                data: pi.data.clone(),
            }),
        }
    }
    for misc in &document.epilog {
        push_misc(&mut items, misc);
    }
    items
}

fn push_misc(items: &mut Vec<Item>, misc: &Misc) {
    match misc {
        Misc::Comment(comment) => items.push(Item::Comment(comment.text.clone())),
        Misc::ProcessingInstruction(pi) => items.push(Item::ProcessingInstruction {
            target: pi.target.clone(),
            data: pi.data.clone(),
        }),
        Misc::Declaration(_) | Misc::Whitespace(_) => {}
    }
}

/// Appends text, joining it to a text item just before it.
pub fn push_text(items: &mut Vec<Item>, text: &str) {
    if let Some(Item::Text(previous)) = items.last_mut() {
        previous.push_str(text);
    } else {
        items.push(Item::Text(text.to_owned()));
    }
}

fn start(element: &Element) -> Item {
    Item::Start {
        qname: element.name.as_str().to_owned(),
        local: element.name.local().to_owned(),
        namespace: element.namespace.as_deref().map(str::to_owned),
        attributes: element
            .plain_attributes()
            .map(|attribute| ItemAttribute {
                qname: attribute.name.as_str().to_owned(),
                local: attribute.name.local().to_owned(),
                namespace: attribute.namespace.as_deref().map(str::to_owned),
                value: attribute.value.clone(),
            })
            .collect(),
    }
}
