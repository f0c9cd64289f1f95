//! The whole catalogue over the real-world corpus, kept as a reviewed
//! snapshot of `path:line:code` (never the corpus's text). A change in what
//! the rules find there shows up in review; every finding in the snapshot
//! is one the project would defend to that config's maintainers.
//!
//! The corpus is read from `$LINT403_CORPUS`, else `../shared/corpus`
//! beside the repository; without one the test says so and passes, unless
//! `LINT403_REQUIRE_CORPUS=1`.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use lint403::run::{self, CheckRequest};

fn corpus() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::env::var_os("LINT403_CORPUS")
        .map(PathBuf::from)
        .into_iter()
        .chain([root.join("../shared/corpus")])
        .find(|dir| dir.join("MANIFEST.tsv").is_file())
}

#[test]
fn corpus_findings_match_the_reviewed_snapshot() {
    let Some(corpus) = corpus() else {
        assert!(
            std::env::var_os("LINT403_REQUIRE_CORPUS").is_none(),
            "LINT403_REQUIRE_CORPUS is set but no corpus was found"
        );
        eprintln!("SKIPPED: no corpus (set LINT403_CORPUS)");
        return;
    };
    let mut lines = Vec::new();
    for dialect in ["nginx", "apache", "iis"] {
        let report = run::check(&CheckRequest {
            paths: vec![corpus.join(dialect)],
            dialect: None,
            context: None,
            ..CheckRequest::default()
        });
        for diagnostic in &report.diagnostics {
            // Parse-level codes are the conformance gates' business.
            if diagnostic.code.code.starts_with('P')
                && lint403_core::codes::PARSE_CODES.contains(&diagnostic.code)
            {
                continue;
            }
            let file = report.sources.get(diagnostic.span.file);
            let path = file.path.strip_prefix(&corpus).unwrap_or(&file.path);
            let line = file.line_col(diagnostic.span.range.start).line;
            lines.push(format!(
                "{}:{line}:{}",
                path.display(),
                diagnostic.code.code
            ));
        }
    }
    lines.sort();
    lines.dedup();
    let mut per_code = std::collections::BTreeMap::<String, usize>::new();
    for line in &lines {
        let code = line.rsplit(':').next().unwrap_or("").to_string();
        *per_code.entry(code).or_default() += 1;
    }
    let mut text = String::from("# findings per code\n");
    for (code, count) in &per_code {
        let _ = writeln!(text, "# {code}: {count}");
    }
    for line in &lines {
        let _ = writeln!(text, "{line}");
    }
    insta::assert_snapshot!("corpus_findings", text);
}
