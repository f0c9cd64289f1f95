//! Fuzzes the Apache httpd configuration parser: no input may panic, every
//! input prints back byte for byte from its tree, and every range in the
//! tree and in the errors lies inside the text.

#![no_main]

use libfuzzer_sys::fuzz_target;
use lint403_apache::syntax::{self, Defines, Node, ParseOptions, Visit};

fuzz_target!(|data: &[u8]| {
    let source = lint403_core::read::decode(std::path::Path::new("httpd.conf"), data.to_vec());
    let text = source.text.as_str();
    let tree = lint403_apache::parse(text);
    check(&tree, text);
    // Variables with blanks and section words exercise substitution and
    // the mapping of words back to the file; .htaccess limits the lines.
    let mut defines = Defines::default();
    defines.define("X", Some("a b"));
    defines.define("E", Some("</Directory>"));
    defines.define("Empty", Some(""));
    let tree = syntax::parse_with(text, ParseOptions::htaccess(), &mut defines, &mut NoIncludes);
    check(&tree, text);
});

struct NoIncludes;

impl syntax::ReadHook for NoIncludes {
    fn exec_on_read(&mut self, _: &mut syntax::Directive, _: &str, _: &mut Defines) {}
}

fn check(tree: &syntax::ParsedFile, text: &str) {
    assert_eq!(lint403_apache::print(tree, text), text, "round trip");
    let inside = |range: lint403_core::TextRange| range.start <= range.end && range.end <= text.len();
    for error in &tree.errors {
        assert!(inside(error.range), "error range {:?}", error.range);
        assert!(!error.help.is_empty() && !error.message.is_empty());
    }
    for (_, visit) in tree.walk() {
        let Visit::Enter(node) = visit else { continue };
        assert!(inside(node.line().range));
        let words: Vec<&syntax::Word> = match node {
            Node::Directive(directive) => {
                let _ = directive.name(text);
                std::iter::once(&directive.name_word).chain(&directive.args).collect()
            }
            Node::Section(section) => {
                let _ = section.open.name(text);
                std::iter::once(&section.open.name_word).chain(&section.open.args).collect()
            }
            Node::Close(close) => vec![&close.name_word],
            Node::Blank(_) | Node::Comment(_) => Vec::new(),
        };
        for word in words {
            assert!(inside(word.raw), "word range {:?}", word.raw);
            let _ = word.value(text);
        }
    }
}
