//! Comparing lint403's XML reader with roxmltree (the oracle) on one input.
//! Shared by `tests/oracle.rs` and the fuzz target (`fuzz/fuzz_targets/iis.rs`
//! includes this file by path).
//!
//! Agreement means: both accept and build the same canonical tree, or both
//! reject. The documented differences (docs/iis-parser.md, "Where lint403
//! and roxmltree differ") count as agreement:
//! - lint403 rejects with `stricter_than_roxmltree` set: a rule of XML 1.0
//!   or Namespaces in XML that roxmltree does not enforce;
//! - roxmltree rejects the always-bound `xml` prefix on an element name
//!   (`UnknownNamespace("xml")`), lint403 accepts it;
//! - roxmltree reads `<?xml` followed by a tab or line end as a processing
//!   instruction named `xml`, lint403 as the XML declaration it is;
//! - roxmltree gives `xmlns=""` the namespace `""`, lint403 no namespace;
//! - roxmltree keeps a CR right after a character reference at the end of
//!   a text node, lint403 turns it into LF like every other CR;
//! - roxmltree reads `p:xmlns="..."` as a default namespace declaration,
//!   lint403 as an ordinary attribute in p's namespace: trees with one are
//!   not compared.

#![allow(dead_code, reason = "each includer uses a different part")]

use lint403_iis::canonical::{self, Item, ItemAttribute};

/// `Ok` when both parsers agree on `text`, else what differs.
pub fn compare(text: &str) -> Result<Outcome, String> {
    let ours = lint403_iis::parse(text);
    let theirs = roxmltree::Document::parse(text);
    match (&ours.error, &theirs) {
        (Some(_), Err(_)) => Ok(Outcome::BothReject),
        (Some(error), Ok(_)) if error.stricter_than_roxmltree => Ok(Outcome::StricterReject),
        (Some(error), Ok(_)) => Err(format!(
            "lint403 rejects what roxmltree accepts: {:?} at {:?}: {}",
            error.kind, error.range, error.message
        )),
        (None, Err(roxmltree::Error::UnknownNamespace(prefix, _))) if prefix == "xml" => {
            Ok(Outcome::LenientAccept)
        }
        (None, Err(error)) => Err(format!("lint403 accepts what roxmltree rejects: {error}")),
        (None, Ok(document)) => {
            let Some(ours) = ours.document.as_ref() else {
                return Err("lint403 reported no error and no document".to_owned());
            };
            if has_prefixed_xmlns(ours) {
                return Ok(Outcome::BothAcceptUncompared);
            }
            let mut expected = roxmltree_items(text, document);
            if declaration_read_as_pi(text, ours)
                && matches!(expected.first(), Some(Item::ProcessingInstruction { target, .. }) if target == "xml")
            {
                expected.remove(0);
            }
            let actual = canonical::canonical(ours);
            compare_items(&actual, &expected)?;
            Ok(Outcome::BothAcceptSameTree)
        }
    }
}

/// How the two parsers agreed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    BothReject,
    StricterReject,
    LenientAccept,
    BothAcceptSameTree,
    BothAcceptUncompared,
}

fn has_prefixed_xmlns(document: &lint403_iis::Document) -> bool {
    document.elements().any(|element| {
        element
            .attributes
            .iter()
            .any(|a| a.name.prefix().is_some() && a.name.local() == "xmlns")
    })
}

fn declaration_read_as_pi(text: &str, document: &lint403_iis::Document) -> bool {
    document.declaration().is_some_and(|declaration| {
        text.get(declaration.range.start + 5..)
            .is_some_and(|after| !after.starts_with(' '))
    })
}

fn compare_items(actual: &[Item], expected: &[Item]) -> Result<(), String> {
    for (index, pair) in actual.iter().zip(expected).enumerate() {
        let same = match pair {
            (Item::Text(a), Item::Text(b)) => same_text(a, b),
            (a, b) => a == b,
        };
        if !same {
            return Err(format!(
                "trees differ at item {index}:\n  lint403:   {:?}\n  roxmltree: {:?}",
                pair.0, pair.1
            ));
        }
    }
    if actual.len() != expected.len() {
        return Err(format!(
            "trees differ in length: lint403 {} items, roxmltree {} (first extra: {:?})",
            actual.len(),
            expected.len(),
            actual.get(expected.len()).or(expected.get(actual.len()))
        ));
    }
    Ok(())
}

/// Equal, or equal but for roxmltree's CR kept after a character reference.
fn same_text(ours: &str, theirs: &str) -> bool {
    ours == theirs
        || (ours.len() == theirs.len()
            && ours
                .bytes()
                .zip(theirs.bytes())
                .all(|(a, b)| a == b || (a == b'\n' && b == b'\r')))
}

/// The canonical view of a roxmltree document, walked with an explicit
/// stack like lint403's own.
pub fn roxmltree_items(text: &str, document: &roxmltree::Document<'_>) -> Vec<Item> {
    let mut items = Vec::new();
    let mut stack: Vec<Option<roxmltree::Node<'_, '_>>> = vec![document.root().first_child()];
    while let Some(slot) = stack.last_mut() {
        let Some(node) = *slot else {
            stack.pop();
            if !stack.is_empty() {
                items.push(Item::End);
            }
            continue;
        };
        *slot = node.next_sibling();
        match node.node_type() {
            roxmltree::NodeType::Element => {
                items.push(start_item(text, node));
                stack.push(node.first_child());
            }
            roxmltree::NodeType::Text => {
                canonical::push_text(&mut items, node.text().unwrap_or_default());
            }
            roxmltree::NodeType::Comment => {
                items.push(Item::Comment(node.text().unwrap_or_default().to_owned()));
            }
            roxmltree::NodeType::PI => {
                if let Some(pi) = node.pi() {
                    items.push(Item::ProcessingInstruction {
                        target: pi.target.to_owned(),
                        data: pi.value.map(str::to_owned),
                    });
                }
            }
            roxmltree::NodeType::Root => {}
        }
    }
    items
}

fn start_item(text: &str, node: roxmltree::Node<'_, '_>) -> Item {
    let after_lt = text.get(node.range().start + 1..).unwrap_or_default();
    let qname_len = after_lt
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .unwrap_or(after_lt.len());
    let namespace = node
        .tag_name()
        .namespace()
        .filter(|uri| !uri.is_empty())
        .map(str::to_owned);
    Item::Start {
        qname: after_lt.get(..qname_len).unwrap_or_default().to_owned(),
        local: node.tag_name().name().to_owned(),
        namespace,
        attributes: node
            .attributes()
            .map(|attribute| ItemAttribute {
                qname: text
                    .get(attribute.range_qname())
                    .unwrap_or_default()
                    .to_owned(),
                local: attribute.name().to_owned(),
                namespace: attribute.namespace().map(str::to_owned),
                value: attribute.value().to_owned(),
            })
            .collect(),
    }
}
