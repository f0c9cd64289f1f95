//! The tree the parser builds: each of httpd's reading rules, pinned on the
//! nodes and words a later pass sees.

use lint403_apache::syntax::{
    parse_with, Defines, Directive, Node, ParseOptions, ParsedFile, Quote, ReadHook, Section,
    SectionKind,
};
use lint403_apache::{parse, print};
use lint403_core::codes;
use std::fmt::Write as _;

fn directives(tree: &ParsedFile) -> Vec<&Directive> {
    tree.walk()
        .filter_map(|(_, visit)| match visit {
            lint403_apache::syntax::Visit::Enter(Node::Directive(d)) => Some(d),
            _ => None,
        })
        .collect()
}

fn sections(tree: &ParsedFile) -> Vec<&Section> {
    tree.walk()
        .filter_map(|(_, visit)| match visit {
            lint403_apache::syntax::Visit::Enter(Node::Section(s)) => Some(&**s),
            _ => None,
        })
        .collect()
}

fn values<'a>(directive: &'a Directive, text: &'a str) -> Vec<&'a str> {
    directive.arg_values(text).collect()
}

/// (line, message) of every syntax error.
fn syntax_errors(text: &str, tree: &ParsedFile) -> Vec<(usize, String)> {
    let file = lint403_core::SourceFile::from_bytes("t", text.as_bytes().to_vec());
    let mut errors: Vec<_> = tree
        .errors
        .iter()
        .filter(|e| e.code == codes::SYNTAX_ERROR)
        .map(|e| (file.line_col(e.range.start).line, e.message.clone()))
        .collect();
    errors.sort();
    errors
}

fn round_trips(text: &str) -> ParsedFile {
    let tree = parse(text);
    assert_eq!(print(&tree, text), text);
    tree
}

#[test]
fn continuation_joins_verbatim_and_keeps_piece_ranges() {
    let text = "Require i\\\np 127.0.0.1 \\\n    10.0.0.1\n";
    let tree = round_trips(text);
    let [require] = directives(&tree)[..] else {
        panic!("one directive expected: {tree:?}")
    };
    assert_eq!(require.name(text), "Require");
    assert_eq!(values(require, text), ["ip", "127.0.0.1", "10.0.0.1"]);
    assert_eq!(require.line.physical_line_count(), 3);
    let pieces: Vec<&str> = require
        .line
        .pieces()
        .map(|r| &text[r.start..r.end])
        .collect();
    assert_eq!(pieces, ["Require i", "p 127.0.0.1 ", "    10.0.0.1"]);
    // The joined word's raw range spans the backslash-newline.
    assert_eq!(require.args[0].raw_text(text), "i\\\np");
    assert_eq!(require.args[2].raw_text(text), "10.0.0.1");
}

#[test]
fn backslash_then_blank_is_an_argument() {
    let text = "Require all denied \\ \nNext\n";
    let tree = round_trips(text);
    let ds = directives(&tree);
    assert_eq!(values(ds[0], text), ["all", "denied", "\\"]);
    assert_eq!(ds[1].name(text), "Next");
}

#[test]
fn comment_ending_in_backslash_swallows_the_next_line() {
    let text = "# block dotfiles \\\nRequire all denied\nRequire all granted\n";
    let tree = round_trips(text);
    let Node::Comment(comment) = &tree.nodes[0] else {
        panic!("comment expected: {:?}", tree.nodes[0])
    };
    assert!(comment.swallows_lines());
    let swallowed = comment.line.continuation_pieces()[0];
    assert_eq!(&text[swallowed.start..swallowed.end], "Require all denied");
    let ds = directives(&tree);
    assert_eq!(ds.len(), 1);
    assert_eq!(values(ds[0], text), ["all", "granted"]);
}

#[test]
fn hash_is_a_comment_only_first_on_the_line() {
    let text = "  \t# indented comment\nRequire all granted # office\n#no space\n";
    let tree = round_trips(text);
    assert!(matches!(tree.nodes[0], Node::Comment(_)));
    assert!(matches!(tree.nodes[2], Node::Comment(_)));
    let ds = directives(&tree);
    assert_eq!(values(ds[0], text), ["all", "granted", "#", "office"]);
    assert_eq!(
        &text[ds[0].args_range().start..ds[0].args_range().end],
        "all granted # office"
    );
}

#[test]
fn quotes_as_ap_getword_conf_reads_them() {
    let text = "X \"a b\" 'c d' \"e\\\"f\" ^ab\"c d\"e \"g\\.h\" \"unterminated rest\n";
    let tree = round_trips(text);
    let d = directives(&tree)[0];
    assert_eq!(
        values(d, text),
        [
            "a b",
            "c d",
            "e\"f",
            "^ab\"c",
            "d\"e",
            "g\\.h",
            "unterminated rest"
        ]
    );
    let quotes: Vec<(Quote, bool)> = d.args.iter().map(|w| (w.quote, w.closed)).collect();
    assert_eq!(
        quotes,
        [
            (Quote::Double, true),
            (Quote::Single, true),
            (Quote::Double, true),
            (Quote::None, true),
            (Quote::None, true),
            (Quote::Double, true),
            (Quote::Double, false)
        ]
    );
    assert_eq!(d.args[0].raw_text(text), "\"a b\"");
}

#[test]
fn names_and_closers_are_case_insensitive() {
    let text = "<dIrEcToRy /srv>\nrEqUiRe all denied\n</DIRECTORY>\n";
    let tree = round_trips(text);
    assert!(tree.errors.is_empty(), "{:?}", tree.errors);
    let s = sections(&tree)[0];
    assert_eq!(s.kind, SectionKind::Directory);
    assert!(s.close.is_some());
    assert!(directives(&tree)[0].is(text, "Require"));
}

#[test]
fn section_args_stop_at_the_last_gt_and_the_rest_is_kept() {
    let text =
        "<Files \"a>b\"> Require all denied\n</Files>\n<FilesMatch \"\\.txt$>\n</FilesMatch>\n";
    let tree = round_trips(text);
    assert!(tree.errors.is_empty(), "{:?}", tree.errors);
    let ss = sections(&tree);
    let args: Vec<&str> = ss[0].open.arg_values(text).collect();
    assert_eq!(args, ["a>b"]);
    let trailing = ss[0].open.trailing.expect("trailing text kept");
    assert_eq!(&text[trailing.start..trailing.end], "Require all denied");
    // The same-line Require is not a directive of the section.
    assert!(ss[0].body.is_empty());
    // Unterminated quote: the argument runs to the end, the last > closes.
    let args: Vec<&str> = ss[1].open.arg_values(text).collect();
    assert_eq!(args, ["\\.txt$"]);
    assert!(ss[1].open.trailing.is_none());
}

#[test]
fn every_listed_section_nests() {
    let names = [
        "Directory /a",
        "DirectoryMatch ^/a",
        "Files a",
        "FilesMatch a",
        "Location /a",
        "LocationMatch ^/a",
        "If \"true\"",
        "ElseIf \"false\"",
        "Else",
        "IfModule !mod_x.c",
        "IfDefine !X",
        "IfVersion >= 2.4",
        "IfFile /x",
        "IfDirective Require",
        "IfSection VirtualHost",
        "Limit GET",
        "LimitExcept GET",
        "VirtualHost *:80",
        "RequireAll",
        "RequireAny",
        "RequireNone",
    ];
    let mut text = String::new();
    for name in names {
        let _ = writeln!(text, "<{name}>");
    }
    for name in names.iter().rev() {
        let bare = name.split(' ').next().unwrap_or_default();
        let _ = writeln!(text, "</{bare}>");
    }
    let tree = round_trips(&text);
    assert!(tree.errors.is_empty(), "{:?}", tree.errors);
    let ss = sections(&tree);
    assert_eq!(ss.len(), names.len());
    let kinds: Vec<SectionKind> = ss.iter().map(|s| s.kind).collect();
    assert!(!kinds.contains(&SectionKind::Other), "{kinds:?}");
    // Conditional sections keep the `!` and the argument as written.
    let ifmodule = ss
        .iter()
        .find(|s| s.kind == SectionKind::IfModule)
        .expect("IfModule");
    assert_eq!(
        ifmodule.open.arg_values(&text).collect::<Vec<_>>(),
        ["!mod_x.c"]
    );
    let ifversion = ss
        .iter()
        .find(|s| s.kind == SectionKind::IfVersion)
        .expect("IfVersion");
    assert_eq!(
        ifversion.open.arg_values(&text).collect::<Vec<_>>(),
        [">=", "2.4"]
    );
    let else_section = ss
        .iter()
        .find(|s| s.kind == SectionKind::Else)
        .expect("Else");
    assert!(else_section.open.gt.is_some());
    assert!(else_section.open.args.is_empty());
}

#[test]
fn grammar_errors_in_httpd_words() {
    let cases: &[(&str, &[(usize, &str)])] = &[
        (
            "<Directory /x\n</Directory>\n",
            &[(1, "<Directory> directive missing closing '>'")],
        ),
        (
            "<Directory /x>\n</Files>\n",
            &[(2, "Expected </Directory> but saw </Files>")],
        ),
        (
            "</Files>\n",
            &[(1, "</Files> without matching <Files> section")],
        ),
        ("<Directory /x>\n", &[(1, "<Directory> was not closed.")]),
        (
            "<VirtualHost *:80>\n<Directory /x>\n",
            &[
                (1, "<VirtualHost> was not closed."),
                (2, "<Directory> was not closed."),
            ],
        ),
        (
            "<IfModule x.c>\n",
            &[(1, "Expected </IfModule> before end of configuration")],
        ),
        (
            "<IfModule x.c>\n</IfModule> # end\n",
            &[(2, "</IfModule> without matching <IfModule> section")],
        ),
        (
            "<Directory /x>\n</Directory junk>\n",
            &[(2, "</Directory> directive missing closing '>'")],
        ),
        (
            "<Else> x\n</Else>\n",
            &[(1, "<Else> directive missing closing '>'")],
        ),
        // Two independent errors, both reported.
        (
            "<Directory /x\n</Directory>\n</Files>\n",
            &[
                (1, "<Directory> directive missing closing '>'"),
                (3, "</Files> without matching <Files> section"),
            ],
        ),
    ];
    for (text, expected) in cases {
        let tree = round_trips(text);
        let got = syntax_errors(text, &tree);
        let expected: Vec<(usize, String)> = expected
            .iter()
            .map(|(l, m)| (*l, (*m).to_string()))
            .collect();
        assert_eq!(got, expected, "{text:?}");
        for error in &tree.errors {
            assert!(!error.help.is_empty() && !error.label.is_empty());
        }
    }
}

#[test]
fn stray_and_recovered_closers_stay_in_the_tree() {
    let text = "</Files>\n<Directory /x>\n<Files a>\n</Directory>\nRequire all denied\n";
    let tree = round_trips(text);
    assert!(matches!(tree.nodes[0], Node::Close(_)));
    let s = sections(&tree);
    assert_eq!(s[0].kind, SectionKind::Directory);
    assert!(s[0].close.is_some(), "the Directory closer closes it");
    assert!(s[1].close.is_none(), "the Files section never closed");
    assert!(matches!(tree.nodes.last(), Some(Node::Directive(_))));
}

struct Ignore;

impl ReadHook for Ignore {
    fn exec_on_read(&mut self, _: &mut Directive, _: &str, _: &mut Defines) {}
}

#[test]
fn define_and_variables_in_reading_order() {
    let text = "Define X \"all granted\"\nRequire ${X}\nRequire ${x} ${map:key} ${Nope}\nUnDefine X\nRequire ${X}\nDefine a:b c\n";
    let mut defines = Defines::default();
    let tree = parse_with(text, ParseOptions::default(), &mut defines, &mut Ignore);
    assert_eq!(print(&tree, text), text);
    let ds = directives(&tree);
    assert_eq!(values(ds[1], text), ["all", "granted"]);
    assert_eq!(ds[1].args[0].raw_text(text), "${X}");
    assert_eq!(ds[1].args[1].raw_text(text), "${X}");
    assert_eq!(ds[1].expanded(), Some("Require all granted"));
    assert_eq!(
        values(ds[2], text),
        ["all", "granted", "${map:key}", "${Nope}"]
    );
    assert_eq!(ds[2].args[2].raw_text(text), "${map:key}");
    assert_eq!(values(ds[4], text), ["${X}"]);
    assert!(ds[4].expanded().is_none());
    assert!(!defines.is_defined("X"));
    let colon = tree
        .errors
        .iter()
        .find(|e| e.message == "Variable name must not contain ':'");
    assert!(colon.is_some_and(|e| e.code == codes::DIRECTIVE_NOT_ALLOWED_HERE));
}

#[test]
fn variables_can_open_and_close_sections() {
    let text = "<${S} /x>\n${E}\n";
    let mut defines = Defines::default();
    defines.define("S", Some("Directory"));
    defines.define("E", Some("</Directory>"));
    let tree = parse_with(text, ParseOptions::default(), &mut defines, &mut Ignore);
    assert_eq!(print(&tree, text), text);
    assert!(tree.errors.is_empty(), "{:?}", tree.errors);
    let s = sections(&tree)[0];
    assert_eq!(s.kind, SectionKind::Directory);
    assert!(s.close.is_some());
}

#[test]
fn a_bom_stays_part_of_the_first_word() {
    let text = "\u{feff}Require all denied\n";
    let tree = round_trips(text);
    let d = directives(&tree)[0];
    assert_eq!(d.name(text), "\u{feff}Require");
    assert!(!d.is(text, "Require"));
    // So a BOM before a section opener makes its closer a stray.
    let text = "\u{feff}<Directory /x>\n</Directory>\n";
    let tree = round_trips(text);
    assert_eq!(
        syntax_errors(text, &tree),
        [(
            2,
            "</Directory> without matching <Directory> section".to_string()
        )]
    );
}

#[test]
fn nul_bytes_end_the_line_httpd_sees() {
    let text = "Require all denied\0 junk \\\nNext\n";
    let tree = round_trips(text);
    let ds = directives(&tree);
    assert_eq!(values(ds[0], text), ["all", "denied"]);
    assert!(ds[0].line.ignored().is_some());
    assert_eq!(ds[1].name(text), "Next");
}

#[test]
fn htaccess_line_limit_is_8192() {
    let mut text = "#".repeat(8191);
    text.push('\n');
    let mut defines = Defines::default();
    let tree = parse_with(&text, ParseOptions::htaccess(), &mut defines, &mut Ignore);
    assert!(tree.errors.is_empty());
    text.insert(0, '#');
    let tree = parse_with(&text, ParseOptions::htaccess(), &mut defines, &mut Ignore);
    assert_eq!(syntax_errors(&text, &tree).len(), 1);
    assert!(tree.errors[0].message.contains("Line too long"));
}

#[test]
fn crlf_files() {
    let text = "<Directory /x>\r\nRequire i\\\r\np 127.0.0.1\r\n</Directory>\r\n";
    let tree = round_trips(text);
    assert!(tree.errors.is_empty(), "{:?}", tree.errors);
    assert_eq!(values(directives(&tree)[0], text), ["ip", "127.0.0.1"]);
}
