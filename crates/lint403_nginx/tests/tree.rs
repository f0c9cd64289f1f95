//! The syntax tree: byte-exact printing of every fixture, spans on every
//! node, word values the way nginx stores them, and the links `load`
//! keeps for later passes.

mod common;

use lint403_core::{read, CheckOptions, SourceMap};
use lint403_nginx::syntax::{BodyKind, DirectiveEnd, Item, Quote};

#[test]
fn every_fixture_prints_back_byte_for_byte() {
    let files = common::nginx_fixtures();
    assert!(files.len() >= 6, "{files:?}");
    for path in files {
        let source = read::read_source(&path).unwrap_or_else(|e| panic!("{e}"));
        let output = lint403_nginx::parse(&source.text);
        // Rule fixtures (`fixtures/nginx/<CODE>-<name>/`) may be broken on
        // purpose; the parser's own fixtures must parse.
        let rule_fixture = path.components().any(|part| {
            let part = part.as_os_str().to_string_lossy();
            part.len() > 5
                && part.as_bytes()[0].is_ascii_uppercase()
                && part.as_bytes()[1..4].iter().all(u8::is_ascii_digit)
                && part.as_bytes()[4] == b'-'
        });
        assert!(
            rule_fixture || output.is_ok(),
            "{}: {:?}",
            path.display(),
            output.errors
        );
        assert_eq!(
            output.tree.print(&source.text),
            source.text,
            "{}",
            path.display()
        );
        let mut cursor = 0;
        output.tree.visit_leaves(|range| {
            assert_eq!(range.start, cursor);
            cursor = range.end;
        });
        assert_eq!(cursor, source.text.len());
    }
}

#[test]
fn words_keep_raw_text_value_and_quote_style() {
    let text = "add_header X-A \"say \\\"hi\\\"\" 'x\\ty' a\\.b${host};\n";
    let tree = lint403_nginx::parse(text).tree;
    let directive = tree
        .directives()
        .next()
        .unwrap_or_else(|| panic!("no directive"));
    let args: Vec<_> = directive
        .args
        .iter()
        .map(|word| {
            (
                word.raw(text).to_string(),
                word.value(text).into_owned(),
                word.quote,
            )
        })
        .collect();
    assert_eq!(
        args,
        vec![
            ("X-A".to_string(), "X-A".to_string(), Quote::None),
            (
                "\"say \\\"hi\\\"\"".to_string(),
                "say \"hi\"".to_string(),
                Quote::Double
            ),
            ("'x\\ty'".to_string(), "x\ty".to_string(), Quote::Single),
            (
                "a\\.b${host}".to_string(),
                "a\\.b${host}".to_string(),
                Quote::None
            ),
        ]
    );
    assert!(
        matches!(directive.end(), DirectiveEnd::Semicolon(semicolon) if &text[semicolon.range().start..semicolon.range().end] == ";")
    );
    assert_eq!(directive.range().start, 0);
    assert_eq!(directive.range().end, text.len() - 1);
}

#[test]
fn blocks_have_open_and_close_spans_and_comments_are_nodes() {
    let text = "http { # main\n  server { }\n}\n";
    let tree = lint403_nginx::parse(text).tree;
    let http = tree
        .directives()
        .next()
        .and_then(|d| d.block())
        .unwrap_or_else(|| panic!());
    assert_eq!(&text[http.open().start..http.open().end], "{");
    assert_eq!(http.close().map(|c| &text[c.start..c.end]), Some("}"));
    assert_eq!(http.kind, BodyKind::Directives);
    let comment = http.items.iter().find_map(|item| match item {
        Item::Comment(comment) => Some(comment.text(text)),
        _ => None,
    });
    assert_eq!(comment, Some(" main"));
}

#[test]
fn load_links_includes_to_the_files_they_read() {
    let dir = common::TempDir::new("links");
    let main = dir.write(
        "nginx.conf",
        "events {}\nhttp {\ninclude a.conf;\ninclude b/*.conf;\n}\n",
    );
    dir.write("a.conf", "server_tokens off;\n");
    dir.write("b/1.conf", "gzip on;\n");
    dir.write("b/2.conf", "gzip off;\n");
    let mut sources = SourceMap::new();
    let root = sources.add(read::read_source(&main).unwrap_or_else(|e| panic!("{e}")));
    let config = lint403_nginx::load(&mut sources, root, &CheckOptions::default());
    assert_eq!(config.files.len(), 4);
    assert_eq!(config.includes.len(), 2);
    assert_eq!(config.includes[0].pattern, "a.conf");
    assert_eq!(config.includes[1].targets.len(), 2);
    let text = sources.get(root).text.clone();
    let root_file = config
        .file(root)
        .unwrap_or_else(|| panic!("root not loaded"));
    let include = root_file
        .tree
        .walk()
        .map(|(_, d)| d)
        .find(|d| d.name(&text) == "include")
        .unwrap_or_else(|| panic!("no include"));
    let targets = config.include_targets(root, include);
    assert_eq!(targets.len(), 1);
    assert_eq!(sources.get(targets[0]).path, dir.path().join("a.conf"));
    assert!(config
        .file(targets[0])
        .is_some_and(|f| f.tree.directives().count() == 1));
}
