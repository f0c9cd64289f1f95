//! Fuzzes the nginx configuration parser and checker: no input may panic,
//! every input prints back byte for byte from its tree, the tree's leaves
//! cover the text in order, and every range lies inside the text.

#![no_main]

use libfuzzer_sys::fuzz_target;
use lint403_core::{CheckOptions, SourceMap};

fuzz_target!(|data: &[u8]| {
    let source = lint403_core::read::decode(std::path::Path::new("fuzz.conf"), data.to_vec());
    let text = source.text.clone();
    let output = lint403_nginx::parse(&text);
    assert_eq!(output.tree.print(&text), text, "round trip");
    let mut cursor = 0;
    output.tree.visit_leaves(|range| {
        assert_eq!(range.start, cursor, "leaves must tile the text");
        cursor = range.end;
    });
    assert_eq!(cursor, text.len(), "leaves must cover the text");
    for error in &output.errors {
        assert!(error.range.start <= error.range.end && error.range.end <= text.len());
        assert!(!error.message.is_empty() && !error.help.is_empty());
    }
    for (depth, directive) in output.tree.walk() {
        assert!(depth <= lint403_nginx::syntax::MAX_NESTING);
        let range = directive.range();
        assert!(range.start <= range.end && range.end <= text.len());
        for word in std::iter::once(&directive.name).chain(&directive.args) {
            let _ = word.value(&text);
        }
    }
    // The checker too, with includes pointed at a directory that does not
    // exist, so the fuzzer never reads files of its own machine.
    let mut sources = SourceMap::new();
    let id = sources.add(source);
    let options = CheckOptions {
        include_root: Some("/nonexistent/lint403-fuzz".into()),
        ..CheckOptions::default()
    };
    let checked = lint403_nginx::check(&mut sources, id, &options);
    for diagnostic in &checked.diagnostics {
        let file = sources.get(diagnostic.span.file);
        assert!(diagnostic.span.range.end <= file.text.len());
        assert!(diagnostic.help.is_some());
    }
});
