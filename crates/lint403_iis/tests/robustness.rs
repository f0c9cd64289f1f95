//! Hostile and broken input: nothing panics, nothing overflows the stack,
//! nothing is slow, and every problem is a diagnostic with a span and help.

use std::time::{Duration, Instant};

use lint403_core::{CheckOptions, SourceFile, SourceMap};
use lint403_iis::{check, parse, print, ErrorKind};

#[path = "support/oracle.rs"]
mod oracle;

/// Checks `bytes` as a web.config and returns the diagnostics.
fn check_bytes(bytes: &[u8]) -> Vec<lint403_core::Diagnostic> {
    let mut sources = SourceMap::new();
    let path = std::env::temp_dir().join("lint403-iis-robustness-does-not-exist/web.config");
    let file = sources.add(SourceFile::from_bytes(path, bytes.to_vec()));
    let output = check(&mut sources, file, &CheckOptions::default());
    for diagnostic in &output.diagnostics {
        assert!(
            diagnostic.help.as_deref().is_some_and(|h| !h.is_empty()),
            "{diagnostic:?}"
        );
        assert!(diagnostic.label.is_some(), "{diagnostic:?}");
        assert!(diagnostic.span.range.end <= bytes.len(), "{diagnostic:?}");
    }
    if output.diagnostics.is_empty() {
        assert_eq!(output.parsed, vec![file]);
    } else {
        assert!(output.parsed.is_empty());
    }
    output.diagnostics
}

#[test]
fn ten_thousand_deep_nesting_parses_like_roxmltree() {
    let depth = 10_000;
    let text = format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
    let output = parse(&text);
    let document = output
        .well_formed()
        .expect("roxmltree 0.21.2 accepts it too");
    assert_eq!(document.elements().count(), depth);
    assert_eq!(print(document, &text), text);
    assert_eq!(
        oracle::compare(&text),
        Ok(oracle::Outcome::BothAcceptSameTree)
    );
}

#[test]
fn hundred_thousand_deep_nesting_and_its_truncation_stay_off_the_stack() {
    let depth = 100_000;
    let open = "<a x='1'>".repeat(depth);
    let started = Instant::now();
    let text = format!("{open}{}", "</a>".repeat(depth));
    assert!(parse(&text).error.is_none());
    let diagnostics = check_bytes(open.as_bytes());
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].code.code, "P001");
    assert!(
        diagnostics[0].message.contains("and 99992 more"),
        "{}",
        diagnostics[0].message
    );
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn a_five_megabyte_line_is_read_in_linear_time() {
    let value = "x&amp;y".repeat(5 * 1024 * 1024 / 7);
    let text = format!("<configuration a=\"{value}\">{value}<b c='{value}'/></configuration>");
    let started = Instant::now();
    let output = parse(&text);
    let document = output.well_formed().expect("well-formed");
    assert_eq!(document.root.attributes[0].value.len(), value.len() / 7 * 3);
    assert_eq!(print(document, &text), text);
    assert!(started.elapsed() < Duration::from_secs(10));
    let huge_name = format!("<{}/>", "n".repeat(5 * 1024 * 1024));
    let error = parse(&format!("{huge_name}<b/>")).error.expect("two roots");
    assert!(error.message.len() < 1000, "messages stay short");
}

#[test]
fn invalid_utf8_is_a_syntax_error_at_the_byte() {
    let diagnostics = check_bytes(b"<configuration a=\"caf\xe9\"/>");
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].code.code, "P001");
    assert_eq!(diagnostics[0].span.range.start, 21);
    assert_eq!(diagnostics[0].span.range.end, 22);
    assert!(diagnostics[0].message.contains("UTF-8"));
    // Declared as a single-byte encoding, the same byte is a letter.
    let latin1 = b"<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><configuration a=\"caf\xe9\"/>";
    assert!(check_bytes(latin1).is_empty());
}

#[test]
fn nul_bytes_unterminated_constructs_and_empty_files_are_reported() {
    let cases: &[(&[u8], ErrorKind)] = &[
        (
            b"<configuration>\0</configuration>",
            ErrorKind::NonXmlCharacter,
        ),
        (b"\0", ErrorKind::TextOutsideRoot),
        (b"<configuration a=\"x", ErrorKind::UnexpectedEof),
        (b"<configuration a='x'", ErrorKind::UnexpectedEof),
        (b"<configuration><!-- x", ErrorKind::UnexpectedEof),
        (b"<configuration><![CDATA[", ErrorKind::UnexpectedEof),
        (b"<configuration><?pi", ErrorKind::UnexpectedEof),
        (b"<configuration>", ErrorKind::UnclosedElement),
        (b"<configuration", ErrorKind::UnexpectedEof),
        (b"", ErrorKind::NoRootElement),
        (b"\xef\xbb\xbf", ErrorKind::NoRootElement),
        (b"   \n", ErrorKind::NoRootElement),
    ];
    for (bytes, kind) in cases {
        let text = String::from_utf8_lossy(bytes);
        let error = parse(&text).error.expect("rejected");
        assert_eq!(error.kind, *kind, "{text:?}: {}", error.message);
        let diagnostics = check_bytes(bytes);
        assert_eq!(diagnostics.len(), 1, "{text:?}");
    }
}

#[test]
fn external_entities_are_never_read() {
    let text = "<!DOCTYPE c [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><c>&x;</c>";
    let diagnostics = check_bytes(text.as_bytes());
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].code.code, "P009");
    assert_eq!(diagnostics[0].span.range.start, 0);
    assert_eq!(diagnostics[0].span.range.end, text.find("<c>").unwrap_or(0));
}

#[test]
fn every_prefix_of_a_document_is_handled() {
    let text = "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?><!--c--><configuration xmlns:x=\"urn:x\" a='1&amp;2'><x:b c=\"&#65;\"><![CDATA[d]]><?p q?>t</x:b></configuration><!--e-->";
    for end in (0..=text.len()).filter(|&end| text.is_char_boundary(end)) {
        let prefix = &text[..end];
        let output = parse(prefix);
        if let Some(document) = output.well_formed() {
            assert_eq!(print(document, prefix), prefix);
        }
        assert_eq!(
            oracle::compare(prefix).map(|_| ()),
            Ok(()),
            "prefix {prefix:?}"
        );
    }
}
