//! Hostile input: nothing panics, every problem is a diagnostic with a
//! span and a help line, every input prints back byte for byte.
//! (Include cycles, huge globs and unreadable includes: `includes.rs`.)

mod common;

use common::{assert_well_formed, summary};
use lint403_core::{CheckOptions, SourceFile, SourceMap};

fn check_bytes(name: &str, bytes: Vec<u8>) -> (SourceMap, lint403_core::CheckOutput) {
    let mut sources = SourceMap::new();
    let id = sources.add(SourceFile::from_bytes(name, bytes));
    let output = lint403_nginx::check(&mut sources, id, &CheckOptions::default());
    let text = &sources.get(id).text;
    assert_eq!(&lint403_nginx::parse(text).tree.print(text), text);
    assert_well_formed(&sources, &output);
    (sources, output)
}

fn codes(sources: &SourceMap, output: &lint403_core::CheckOutput) -> Vec<String> {
    summary(sources, output)
        .into_iter()
        .map(|row| row.0)
        .collect()
}

#[test]
fn ten_thousand_nested_blocks() {
    let depth = 10_000;
    let text = format!(
        "events {{}}\nhttp {{\nserver {{\n{}{}}}\n}}\n",
        "location / {\n".repeat(depth),
        "}\n".repeat(depth)
    );
    let (sources, output) = check_bytes("nginx.conf", text.into_bytes());
    assert_eq!(codes(&sources, &output), vec!["P008"]);
    let unclosed = "location / {\n".repeat(depth);
    let (sources, output) = check_bytes("deep.conf", unclosed.into_bytes());
    assert_eq!(codes(&sources, &output), vec!["P001", "P008"]);
}

#[test]
fn a_five_megabyte_line() {
    let mut text = String::from("events {}\nhttp {\nserver_names_hash_max_size ");
    text.push_str(&"9".repeat(5 * 1024 * 1024));
    text.push_str(";\n}\n");
    let started = std::time::Instant::now();
    let (sources, output) = check_bytes("nginx.conf", text.into_bytes());
    // nginx: too long parameter "9999999999..." started
    let rows = summary(&sources, &output);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!((rows[0].0.as_str(), rows[0].2), ("P001", 3));
    assert!(rows[0]
        .3
        .starts_with("too long parameter \"9999999999...\""));
    assert!(started.elapsed().as_secs() < 20);
    // Whitespace is not a parameter: a 5 MB run of spaces is fine.
    let spaces = format!("events {{}}{}\n", " ".repeat(5 * 1024 * 1024));
    let (sources, output) = check_bytes("nginx.conf", spaces.into_bytes());
    assert!(codes(&sources, &output).is_empty());
}

#[test]
fn invalid_utf8_and_nul_bytes_are_ordinary_characters() {
    let mut bytes = b"events {}\nhttp {\nserver_tokens off;\n# \xff\xfe comment\nmap $a $b {\n\xc3\x28 1;\n}\n}\n".to_vec();
    let (sources, output) = check_bytes("nginx.conf", bytes.clone());
    assert!(codes(&sources, &output).is_empty());
    bytes.extend_from_slice(b"a\0b;\n\0;\n");
    let (sources, output) = check_bytes("nginx.conf", bytes);
    assert!(codes(&sources, &output).is_empty());
    let (sources, output) = check_bytes("x.conf", b"\"\xff".to_vec());
    assert_eq!(codes(&sources, &output), vec!["P001"]);
}

#[test]
fn unterminated_quote_and_block_at_end_of_file() {
    let (sources, output) =
        check_bytes("nginx.conf", b"events {}\nhttp {\nroot \"/srv\n\n".to_vec());
    let rows = summary(&sources, &output);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].2, 5);
    assert_eq!(
        rows[0].3,
        "unexpected end of file, expecting \";\" or \"}\""
    );
    assert_eq!(output.diagnostics[0].related.len(), 2);
    let (sources, output) = check_bytes("nginx.conf", b"events {}\nhttp {\nserver {\n".to_vec());
    let rows = summary(&sources, &output);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].3, "unexpected end of file, expecting \"}\"");
    assert_eq!(rows[0].2, 4);
}

#[test]
fn empty_and_blank_files() {
    for text in ["", "\n", "   \t\r\n", "# just a comment", "#"] {
        let (sources, output) = check_bytes("x.conf", text.as_bytes().to_vec());
        assert!(codes(&sources, &output).is_empty(), "{text:?}");
        assert_eq!(output.parsed.len(), 1);
    }
}

#[test]
fn random_bytes_never_panic() {
    // A small deterministic generator: the fuzz target goes much further.
    let alphabet: &[u8] = b"ab ;{}\"'\\$#\n\t()x\xff\0";
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..2_000 {
        let mut bytes = Vec::new();
        for _ in 0..(state % 64) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            bytes.push(alphabet[(state % alphabet.len() as u64) as usize]);
        }
        check_bytes("fuzz.conf", bytes);
    }
}
