//! The tree the reader builds: spans on every token, decoded values, namespaces,
//! and the first error with its span, message and help.

use std::fmt::Write as _;

use lint403_core::TextRange;
use lint403_iis::{parse, print, ErrorKind, Misc, Node, Quote};

fn slice(text: &str, range: TextRange) -> &str {
    &text[range.start..range.end]
}

fn error_of(text: &str) -> lint403_iis::SyntaxError {
    let output = parse(text);
    match output.error {
        Some(error) => error,
        None => panic!("{text:?} was accepted"),
    }
}

#[test]
fn every_token_has_its_span() {
    let text = "\u{feff}<?xml version=\"1.0\"?>\n<!--c-->\n<configuration a = 'x'\tb=\"&lt;y&gt;\" >\n  <add/>text<![CDATA[<c>]]><?pi  d?>\n</configuration >\n";
    let output = parse(text);
    let document = output.well_formed().expect("well-formed");
    assert_eq!(document.bom, Some(TextRange::new(0, 3)));
    let declaration = document.declaration().expect("declaration");
    assert_eq!(slice(text, declaration.range), "<?xml version=\"1.0\"?>");
    assert_eq!(declaration.version.value, "1.0");
    assert!(matches!(document.prolog[1], Misc::Whitespace(_)));
    let root = &document.root;
    assert_eq!(slice(text, root.name_range), "configuration");
    assert_eq!(
        slice(text, root.start_tag),
        "<configuration a = 'x'\tb=\"&lt;y&gt;\" >"
    );
    assert_eq!(slice(text, root.start_tag_close), " >");
    let a = &root.attributes[0];
    assert_eq!(slice(text, a.leading_space), " ");
    assert_eq!(slice(text, a.name_range), "a");
    assert_eq!(slice(text, a.eq_range), " = ");
    assert_eq!(a.quote, Quote::Single);
    assert_eq!(slice(text, a.value_range), "x");
    assert_eq!(slice(text, a.range), "a = 'x'");
    let b = &root.attributes[1];
    assert_eq!(slice(text, b.leading_space), "\t");
    assert_eq!(slice(text, b.value_range), "&lt;y&gt;");
    assert_eq!(b.value, "<y>");
    let end = root.end_tag.as_ref().expect("end tag");
    assert_eq!(slice(text, end.range), "</configuration >");
    assert_eq!(slice(text, end.name_range), "configuration");
    let whole = slice(text, root.range);
    assert!(whole.starts_with("<configuration a") && whole.ends_with("</configuration >"));
    assert_eq!(&text[root.range.end..], "\n");
    let kinds: Vec<&str> = root
        .children
        .iter()
        .map(|node| match node {
            Node::Element(_) => "element",
            Node::Text(_) => "text",
            Node::CData(_) => "cdata",
            Node::Comment(_) => "comment",
            Node::ProcessingInstruction(_) => "pi",
        })
        .collect();
    assert_eq!(kinds, ["text", "element", "text", "cdata", "pi", "text"]);
    let Node::ProcessingInstruction(pi) = &root.children[4] else {
        panic!("pi")
    };
    assert_eq!(pi.target, "pi");
    assert_eq!(slice(text, pi.space), "  ");
    assert_eq!(pi.data.as_deref(), Some("d"));
    assert_eq!(root.text(), "\n  text<c>\n");
    assert_eq!(print(document, text), text);
}

#[test]
fn values_are_decoded_and_normalized() {
    let text =
        "<a v=\"1\t2\n3\r\n4\r5&#9;6&#10;7&#13;&amp;&quot;&apos;&#x263A;\">x\r\ny\rz&#13;&#xd;</a>";
    let output = parse(text);
    let root = &output.well_formed().expect("well-formed").root;
    assert_eq!(root.attribute_value("v"), Some("1 2 3 4 5\t6\n7\r&\"'☺"));
    assert_eq!(root.text(), "x\ny\nz\r\r");
}

#[test]
fn names_are_case_sensitive_and_namespaces_resolve() {
    let text = concat!(
        "<configuration xmlns=\"urn:config\" xmlns:xdt=\"urn:xdt\">",
        "<system.webServer xdt:Transform=\"Insert\" allowUnlisted=\"x\"/>",
        "<other xmlns=\"\"/><xml:space/></configuration>"
    );
    let output = parse(text);
    let document = output.well_formed().expect("well-formed");
    let root = &document.root;
    assert_eq!(root.namespace.as_deref(), Some("urn:config"));
    let web = root.child_elements().next().expect("child");
    assert_eq!(web.name.as_str(), "system.webServer");
    assert_ne!(web.name.as_str(), "system.webserver");
    assert_eq!(web.namespace.as_deref(), Some("urn:config"));
    let transform = web.attribute("xdt:Transform").expect("attribute");
    assert_eq!(transform.name.prefix(), Some("xdt"));
    assert_eq!(transform.name.local(), "Transform");
    assert_eq!(transform.namespace.as_deref(), Some("urn:xdt"));
    assert_eq!(
        web.attribute("allowUnlisted")
            .and_then(|a| a.namespace.clone()),
        None
    );
    assert!(web.attribute("allowunlisted").is_none());
    let other = root.child_elements().nth(1).expect("other");
    assert_eq!(other.namespace, None);
    let space = root.child_elements().nth(2).expect("xml:space");
    assert_eq!(
        space.namespace.as_deref(),
        Some("http://www.w3.org/XML/1998/namespace")
    );
    assert_eq!(document.elements().count(), 4);
    assert_eq!(root.plain_attributes().count(), 0);
}

#[test]
fn errors_point_at_the_offending_bytes() {
    let cases: &[(&str, ErrorKind, &str)] = &[
        ("<a b=\"x<y\"/>", ErrorKind::LtInAttributeValue, "<"),
        ("<a b=\"x&y\"/>", ErrorKind::MalformedReference, "&y"),
        ("<a>&nbsp;</a>", ErrorKind::UnknownEntity, "&nbsp;"),
        ("<a>&#1;</a>", ErrorKind::InvalidCharacterReference, "&#1;"),
        ("<a><b></a>", ErrorKind::MismatchedEndTag, "a"),
        (
            "<a x=\"1\" y=\"2\" x=\"3\"/>",
            ErrorKind::DuplicateAttribute,
            "x",
        ),
        ("<a>x]]>y</a>", ErrorKind::CDataEndInText, "]]>"),
        ("<a><!-- x -- y --></a>", ErrorKind::InvalidComment, "--"),
        ("<a>\u{0}</a>", ErrorKind::NonXmlCharacter, "\u{0}"),
        ("<a/><b/>", ErrorKind::ContentAfterRoot, "<b"),
        ("text", ErrorKind::TextOutsideRoot, "text"),
        ("<a p:x=\"1\"/>", ErrorKind::UnknownNamespacePrefix, "p"),
        ("<a b=\"1\"c=\"2\"/>", ErrorKind::MissingWhitespace, "c"),
        ("<a><!x></a>", ErrorKind::UnknownMarkup, "<!x"),
        (
            "<a/><?xml version=\"1.0\"?>",
            ErrorKind::MisplacedXmlDeclaration,
            "<?xml",
        ),
        (
            "<?xml version=\"1.1x\"?><a/>",
            ErrorKind::InvalidXmlDeclaration,
            "1.1x",
        ),
    ];
    for (text, kind, offending) in cases {
        let error = error_of(text);
        assert_eq!(error.kind, *kind, "{text:?}: {}", error.message);
        assert_eq!(slice(text, error.range), *offending, "{text:?}");
        assert_eq!(error.code().code, "P001");
        assert!(error
            .message
            .starts_with("Configuration file is not well-formed XML"));
        assert!(!error.help.is_empty() && !error.label.is_empty());
    }
}

#[test]
fn mismatched_and_unclosed_tags_name_the_open_element() {
    let text = "<configuration>\n  <system.webServer>\n</configuration>";
    let error = error_of(text);
    assert_eq!(error.kind, ErrorKind::MismatchedEndTag);
    assert!(
        error.message.contains("<system.webServer> on line 2"),
        "{}",
        error.message
    );
    let (related, _) = error.related.expect("related");
    assert_eq!(slice(text, related), "system.webServer");

    let text = "<configuration>\n  <location>\n";
    let error = error_of(text);
    assert_eq!(error.kind, ErrorKind::UnclosedElement);
    assert_eq!(error.range, TextRange::empty(text.len()));
    assert!(
        error.message.contains("location, configuration"),
        "{}",
        error.message
    );
    assert!(error.help.contains("</location>"), "{}", error.help);
}

#[test]
fn a_partial_tree_is_returned_after_an_error() {
    let output = parse("<configuration><a x=\"1\"/><b><c>&bad;</c></b>");
    assert_eq!(
        output.error.as_ref().map(|e| e.kind),
        Some(ErrorKind::UnknownEntity)
    );
    assert!(output.well_formed().is_none());
    let document = output.document.expect("partial tree");
    let names: Vec<&str> = document.elements().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["configuration", "a", "b", "c"]);
    assert!(document.root.end_tag.is_none());
    assert!(parse("junk").document.is_none());
}

#[test]
fn a_dtd_is_rejected_whole_and_nothing_is_expanded() {
    let doctype = "<!DOCTYPE configuration [\n  <!ENTITY x SYSTEM \"file:///etc/passwd\">\n  <!-- ] > -->\n]>";
    let text = format!("<?xml version=\"1.0\"?>\n{doctype}\n<configuration>&x;</configuration>");
    let error = error_of(&text);
    assert_eq!(error.kind, ErrorKind::DtdRejected);
    assert_eq!(error.code(), lint403_core::codes::DTD_REJECTED);
    assert_eq!(slice(&text, error.range), doctype);
    assert!(error.message.contains("no entity"), "{}", error.message);
    assert!(error.help.contains("DOCTYPE"));
    for inside in [
        "<a><!ENTITY x \"y\"></a>",
        "<a/><!DOCTYPE a>",
        "<!ELEMENT a ANY><a/>",
    ] {
        assert_eq!(error_of(inside).kind, ErrorKind::DtdRejected, "{inside}");
    }
}

#[test]
fn billion_laughs_costs_nothing() {
    let mut text =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n");
    for level in 1..10 {
        let previous = if level == 1 {
            "lol".to_owned()
        } else {
            format!("lol{}", level - 1)
        };
        let body = format!("&{previous};").repeat(10);
        let _ = writeln!(text, " <!ENTITY lol{level} \"{body}\">");
    }
    text.push_str("]>\n<lolz>&lol9;</lolz>\n");
    let started = std::time::Instant::now();
    let output = parse(&text);
    assert!(started.elapsed() < std::time::Duration::from_millis(200));
    let error = output.error.expect("rejected");
    assert_eq!(error.kind, ErrorKind::DtdRejected);
    assert_eq!(&text[error.range.end..], "\n<lolz>&lol9;</lolz>\n");
    assert!(output.document.is_none());
}
