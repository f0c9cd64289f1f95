//! Hostile input: nothing panics or overflows the stack, and every problem
//! comes back as a diagnostic with a span and a help line.

use lint403_apache::syntax::MAX_SECTION_DEPTH;
use lint403_apache::{parse, print};
use lint403_core::{codes, SourceFile};

fn assert_sound(text: &str) -> lint403_apache::ParsedFile {
    let tree = parse(text);
    assert_eq!(print(&tree, text), text, "round trip");
    for error in &tree.errors {
        assert!(error.range.end <= text.len());
        assert!(!error.help.is_empty() && !error.message.is_empty());
    }
    tree
}

#[test]
fn ten_thousand_deep_nesting() {
    let depth = 10_000;
    let mut text = "<Directory /x>\n".repeat(depth);
    text.push_str(&"</Directory>\n".repeat(depth));
    // Run on a thread with a small stack: nothing may recurse per level.
    let handle = std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(move || {
            let tree = assert_sound(&text);
            let limits: Vec<_> = tree
                .errors
                .iter()
                .filter(|e| e.code == codes::LIMIT_EXCEEDED)
                .collect();
            assert_eq!(limits.len(), 1, "{:?}", tree.errors);
            assert!(tree.errors.iter().all(|e| e.code != codes::SYNTAX_ERROR));
            let deepest = tree
                .walk()
                .map(|(depth, _)| depth)
                .max()
                .unwrap_or_default();
            assert!(deepest <= MAX_SECTION_DEPTH);
            drop(tree);
        });
    assert!(handle.is_ok_and(|h| h.join().is_ok()));
}

#[test]
fn deep_nesting_still_checks_closers() {
    let depth = 1_000;
    let mut text = "<Directory /x>\n".repeat(depth);
    text.push_str(&"</Directory>\n".repeat(depth - 1));
    text.push_str("</Files>\n");
    let tree = assert_sound(&text);
    let file = SourceFile::from_bytes("t", text.as_bytes().to_vec());
    let syntax: Vec<_> = tree
        .errors
        .iter()
        .filter(|e| e.code == codes::SYNTAX_ERROR)
        .map(|e| (file.line_col(e.range.start).line, e.message.as_str()))
        .collect();
    assert_eq!(
        syntax,
        [(2 * depth, "Expected </Directory> but saw </Files>")]
    );
}

#[test]
fn five_megabyte_line() {
    let mut text = "Require ip".to_string();
    for _ in 0..400_000 {
        text.push_str(" 10.0.0.1");
    }
    text.push('\n');
    assert!(text.len() > 3_500_000);
    let started = std::time::Instant::now();
    let tree = assert_sound(&text);
    assert!(tree.errors.is_empty());
    assert!(started.elapsed().as_secs() < 20);
    let long_word = format!("Require {}\n", "a".repeat(5 * 1024 * 1024));
    let tree = assert_sound(&long_word);
    assert!(tree.errors.is_empty());
}

#[test]
fn invalid_utf8_and_nul_bytes() {
    let bytes = b"Require \xff\xfe all\0\x80 denied\n<Directory \xc3>\n</Directory>\n".to_vec();
    let file = SourceFile::from_bytes("t", bytes);
    let tree = assert_sound(&file.text);
    assert!(tree.errors.is_empty(), "{:?}", tree.errors);
}

#[test]
fn unterminated_things_at_end_of_file() {
    for text in [
        "",
        "\n",
        "Require \"unterminated",
        "<Directory \"/x",
        "<Directory /x>",
        "<",
        "</",
        "\\",
        "a \\\n",
        "# c \\",
        "${",
        "<IfModule x>\n<Directory /y>\n",
        "\r\r\r",
        "\0",
    ] {
        let tree = assert_sound(text);
        if text.is_empty() {
            assert!(tree.nodes.is_empty());
        }
    }
}

#[test]
fn many_continuations_and_substitutions_are_linear() {
    let mut text = String::from("Require");
    for _ in 0..50_000 {
        text.push_str(" a\\\n");
    }
    text.push_str("end\n");
    let started = std::time::Instant::now();
    let tree = assert_sound(&text);
    assert!(started.elapsed().as_secs() < 20);
    assert_eq!(tree.nodes.len(), 1);
    let mut defines = lint403_apache::syntax::Defines::default();
    defines.define("V", Some("x y"));
    let line = format!("Require {}\n", "${V} ".repeat(50_000));
    let started = std::time::Instant::now();
    let tree = lint403_apache::syntax::parse_with(
        &line,
        lint403_apache::syntax::ParseOptions::default(),
        &mut defines,
        &mut NoIncludes,
    );
    assert_eq!(print(&tree, &line), line);
    assert!(started.elapsed().as_secs() < 20);
}

struct NoIncludes;

impl lint403_apache::syntax::ReadHook for NoIncludes {
    fn exec_on_read(
        &mut self,
        _: &mut lint403_apache::syntax::Directive,
        _: &str,
        _: &mut lint403_apache::syntax::Defines,
    ) {
    }
}

/// Parse speed on the Apache corpus, repeated: run with
/// `cargo test --release -p lint403_apache --test robustness -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, meaningful only in release mode"]
fn parse_throughput() {
    let dir = std::path::PathBuf::from(
        std::env::var("LINT403_CORPUS").unwrap_or_else(|_| "/work/shared/corpus".to_string()),
    )
    .join("apache");
    let mut text = String::new();
    let mut pending = vec![dir];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            if let Ok(entries) = std::fs::read_dir(&path) {
                pending.extend(entries.filter_map(Result::ok).map(|e| e.path()));
            }
        } else if let Ok(bytes) = std::fs::read(&path) {
            text.push_str(&SourceFile::from_bytes("t", bytes).text);
            text.push('\n');
        }
    }
    if text.is_empty() {
        eprintln!("SKIPPED: corpus not found");
        return;
    }
    let rounds = (50_000_000 / text.len()).max(1);
    let started = std::time::Instant::now();
    let mut nodes = 0;
    for _ in 0..rounds {
        nodes += parse(&text).nodes.len();
    }
    let seconds = started.elapsed().as_secs_f64();
    let bytes = u32::try_from(text.len() * rounds).unwrap_or(u32::MAX);
    let megabytes = f64::from(bytes) / 1_000_000.0;
    eprintln!(
        "parsed {megabytes:.1} MB in {seconds:.2} s: {:.0} MB/s ({nodes} nodes)",
        megabytes / seconds
    );
}

/// A `.htaccess` is loaded on the caller's thread (it includes nothing):
/// its deepest nesting must fit in the stack a worker thread gets by
/// default (2 MiB), even in a debug build.
#[test]
fn deepest_htaccess_loads_on_a_default_worker_stack() {
    let depth = MAX_SECTION_DEPTH + 50;
    let mut text = "<IfModule mod_rewrite.c>\n".repeat(depth);
    text.push_str("Require all denied\n");
    text.push_str(&"</IfModule>\n".repeat(depth));
    let handle = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let mut sources = lint403_core::SourceMap::new();
            let file = sources.add(SourceFile::from_bytes(
                "/tmp/lint403-deep/.htaccess",
                text.into_bytes(),
            ));
            let loaded =
                lint403_apache::load(&mut sources, file, &lint403_core::CheckOptions::default());
            let output = lint403_apache::check_loaded(&loaded);
            output
                .diagnostics
                .iter()
                .any(|diagnostic| diagnostic.code == codes::LIMIT_EXCEEDED)
        });
    assert!(
        handle.is_ok_and(|h| h.join().is_ok_and(|limited| limited)),
        "the nesting limit is reported, and nothing overflows"
    );
}
