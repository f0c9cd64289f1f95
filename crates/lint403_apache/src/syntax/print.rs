//! Writing a tree back as text, byte for byte.

use super::lines::slice;
use super::tree::{Line, Node, ParsedFile, Visit};

/// The file text the tree was parsed from, rebuilt from the tree's nodes:
/// each logical line's physical pieces, the backslash-newlines between
/// them, the bytes after a NUL and the final newline.
pub fn print(tree: &ParsedFile, text: &str) -> String {
    let mut out = String::with_capacity(tree.len);
    for (_, visit) in tree.walk() {
        match visit {
            Visit::Enter(Node::Section(section)) => print_line(&mut out, &section.open.line, text),
            Visit::Enter(node) => print_line(&mut out, node.line(), text),
            Visit::Leave(section) => {
                if let Some(close) = &section.close {
                    print_line(&mut out, &close.line, text);
                }
            }
        }
    }
    out
}

fn print_line(out: &mut String, line: &Line, text: &str) {
    let mut previous_end: Option<usize> = None;
    for piece in line.pieces() {
        if let Some(end) = previous_end {
            // The backslash (and CR) and newline that joined the pieces.
            out.push_str(text.get(end..piece.start).unwrap_or_default());
        }
        out.push_str(slice(text, piece));
        previous_end = Some(piece.end);
    }
    if let Some(ignored) = line.ignored() {
        out.push_str(slice(text, ignored));
    }
    out.push_str(slice(text, line.terminator()));
}
