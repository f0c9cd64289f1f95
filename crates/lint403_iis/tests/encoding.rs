//! UTF-8 with and without BOM and UTF-16 LE/BE with BOM give the same tree,
//! and spans map back to the bytes of the file on disk.

use lint403_core::read::decode;
use lint403_core::{CheckOptions, SourceMap, TextEncoding};
use lint403_iis::canonical::canonical;
use lint403_iis::{check, parse, print};

const CONFIG: &str = "<?xml version=\"1.0\" encoding=\"utf-16\"?>\r\n<configuration>\r\n  <system.webServer>\r\n    <rewrite><rules><rule name=\"Réfuser 😀\"><action type=\"CustomResponse\" statusCode=\"403\"/></rule></rules></rewrite>\r\n  </system.webServer>\r\n</configuration>\r\n";

fn utf16(text: &str, little: bool) -> Vec<u8> {
    let mut bytes = if little {
        vec![0xFF, 0xFE]
    } else {
        vec![0xFE, 0xFF]
    };
    for unit in text.encode_utf16() {
        bytes.extend(if little {
            unit.to_le_bytes()
        } else {
            unit.to_be_bytes()
        });
    }
    bytes
}

#[test]
fn all_encodings_give_the_same_tree() {
    let plain = parse(CONFIG);
    let expected = canonical(plain.well_formed().expect("well-formed"));
    let with_bom = format!("\u{feff}{CONFIG}");
    let variants = [
        (with_bom.into_bytes(), TextEncoding::Utf8),
        (utf16(CONFIG, true), TextEncoding::Utf16Le),
        (utf16(CONFIG, false), TextEncoding::Utf16Be),
    ];
    for (bytes, encoding) in variants {
        let source = decode(std::path::Path::new("web.config"), bytes);
        assert_eq!(source.encoding, encoding);
        let output = parse(&source.text);
        let document = output.well_formed().expect("well-formed");
        assert_eq!(canonical(document), expected, "{encoding:?}");
        assert_eq!(print(document, &source.text), source.text);
    }
}

#[test]
fn spans_map_back_to_the_utf16_bytes() {
    for little in [true, false] {
        let bytes = utf16(CONFIG, little);
        let source = decode(std::path::Path::new("web.config"), bytes.clone());
        let output = parse(&source.text);
        let document = output.well_formed().expect("well-formed");
        let rule = document
            .elements()
            .find(|e| e.name.as_str() == "rule")
            .expect("rule element");
        let value = &rule.attributes[0];
        let start = source.original_offset(value.value_range.start);
        let end = source.original_offset(value.value_range.end);
        let units: Vec<u16> = bytes[start..end]
            .chunks_exact(2)
            .map(|pair| {
                if little {
                    u16::from_le_bytes([pair[0], pair[1]])
                } else {
                    u16::from_be_bytes([pair[0], pair[1]])
                }
            })
            .collect();
        assert_eq!(
            String::from_utf16(&units).ok().as_deref(),
            Some("Réfuser 😀")
        );
    }
}

#[test]
fn a_declaration_that_disagrees_with_the_bytes_is_accepted() {
    let mut sources = SourceMap::new();
    let file = sources.add(decode(
        std::path::Path::new("web.config"),
        CONFIG.as_bytes().to_vec(),
    ));
    let output = check(&mut sources, file, &CheckOptions::default());
    assert!(output.diagnostics.is_empty(), "{:?}", output.diagnostics);
    assert_eq!(output.parsed, vec![file]);
}

#[test]
fn an_unpaired_surrogate_in_utf16_is_reported() {
    let mut bytes = utf16("<configuration a=\"x\"/>", true);
    // Replace the `x` (code unit 18, after the BOM) with a lone high surrogate.
    bytes[2 + 18 * 2] = 0x00;
    bytes[2 + 18 * 2 + 1] = 0xD8;
    let mut sources = SourceMap::new();
    let file = sources.add(decode(std::path::Path::new("web.config"), bytes));
    let output = check(&mut sources, file, &CheckOptions::default());
    assert_eq!(output.diagnostics.len(), 1);
    assert_eq!(output.diagnostics[0].code.code, "P001");
    assert!(output.diagnostics[0].message.contains("UTF-16"));
    assert_eq!(
        sources
            .get(file)
            .original_offset(output.diagnostics[0].span.range.start),
        2 + 18 * 2
    );
}
