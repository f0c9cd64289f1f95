//! Every `--format` of `check` on one fixture tree with non-ASCII names
//! and text (`fixtures/formats`), snapshot-tested; the SARIF log also
//! round-trips through `serde-sarif` and carries every field GitHub code
//! scanning needs.

use std::process::Command;

fn check(format: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_lint403"))
        .args([
            "check",
            "fixtures/formats",
            "--format",
            format,
            "--color",
            "never",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .env_remove("FORCE_COLOR")
        .output()
        .expect("lint403 runs");
    assert_eq!(output.status.code(), Some(1), "findings exit 1");
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

#[test]
fn every_format_snapshots() {
    for format in ["concise", "json", "sarif", "github", "checkstyle", "gitlab"] {
        insta::assert_snapshot!(format!("formats_{format}"), check(format));
    }
}

#[test]
fn sarif_has_what_github_code_scanning_requires() {
    let text = check("sarif");
    let log: serde_sarif::sarif::Sarif = serde_json::from_str(&text).expect("round-trips");
    assert_eq!(log.version, serde_json::json!("2.1.0"));
    let run = log.runs.first().expect("one run");
    assert_eq!(
        run.column_kind,
        Some(serde_json::json!("unicodeCodePoints"))
    );
    let driver = &run.tool.driver;
    assert_eq!(driver.name, "lint403");
    let rules = driver.rules.as_ref().expect("rules");
    for rule in rules {
        assert!(rule.name.is_some(), "{} has a name", rule.id);
        assert!(rule.short_description.is_some(), "{}", rule.id);
        assert!(rule.full_description.is_some(), "{}", rule.id);
        let help = rule.help.as_ref().expect("help");
        let markdown = help.markdown.as_deref().expect("help.markdown");
        assert!(
            markdown.contains(&format!("docs/rules/{}.md", rule.id)),
            "{}",
            rule.id
        );
        let level = rule
            .default_configuration
            .as_ref()
            .and_then(|config| config.level.clone())
            .expect("default level");
        assert!(["error", "warning", "note"].contains(&level.as_str().unwrap_or("")));
        let severity = rule
            .properties
            .as_ref()
            .and_then(|bag| bag.additional_properties.get("security-severity"))
            .and_then(|value| value.as_str())
            .and_then(|value| value.parse::<f64>().ok())
            .expect("security-severity");
        assert!((0.0..=10.0).contains(&severity));
    }
    let results = run.results.as_ref().expect("results");
    assert!(results.len() >= 2, "the fixture has findings");
    let mut prints = std::collections::HashSet::new();
    for result in results {
        let id = result.rule_id.as_deref().expect("ruleId");
        let index = usize::try_from(result.rule_index.expect("ruleIndex")).expect("index");
        assert_eq!(rules[index].id, id, "ruleIndex points at the rule");
        assert!(result.level.is_some());
        assert!(result
            .message
            .text
            .as_deref()
            .is_some_and(|t| !t.is_empty()));
        let location = &result.locations.as_ref().expect("locations")[0];
        let physical = location.physical_location.as_ref().expect("physical");
        let uri = physical
            .artifact_location
            .as_ref()
            .and_then(|artifact| artifact.uri.as_deref())
            .expect("uri");
        assert!(
            !uri.starts_with('/') && uri.is_ascii(),
            "relative, encoded: {uri}"
        );
        let region = physical.region.as_ref().expect("region");
        let (start, end) = (
            region.start_line.expect("line"),
            region.end_line.expect("end"),
        );
        assert!(start >= 1 && end >= start);
        assert!(region.start_column.is_some() && region.end_column.is_some());
        let print = result
            .partial_fingerprints
            .as_ref()
            .and_then(|prints| prints.get("lint403/v1"))
            .expect("fingerprint");
        assert!(prints.insert(print.clone()), "fingerprints are unique");
    }
    // The non-ASCII file name is percent-encoded, not dropped.
    assert!(text.contains("%C3%BCn%C3%AFcode-caf%C3%A9.conf"), "{text}");
}

#[test]
fn gitlab_fingerprints_are_unique() {
    let issues: Vec<serde_json::Value> = serde_json::from_str(&check("gitlab")).expect("JSON");
    let prints: std::collections::HashSet<&str> = issues
        .iter()
        .filter_map(|issue| issue["fingerprint"].as_str())
        .collect();
    assert_eq!(prints.len(), issues.len());
}

/// A file whose text was set aside and could not be read again (it
/// vanished during the run) keeps findings whose offsets point past its
/// empty text: every format still renders them, naming the file, and the
/// full format draws no snippet rather than failing.
#[test]
fn findings_of_a_file_that_vanished_during_the_run_render_in_every_format() {
    use lint403::run::{CheckedFile, Report};
    use lint403_core::{codes, Diagnostic, Dialect, SourceMap, Span, TextRange};

    let dir = std::env::temp_dir().join(format!("lint403-vanished-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("sites.conf");
    std::fs::write(&path, "server {\n    listen 80;\n    deny all;\n}\n").expect("write");
    let mut sources = SourceMap::new();
    let file = sources.add(lint403_core::read::read_source(&path).expect("read"));
    sources.park(file);
    std::fs::remove_file(&path).expect("remove");
    let failed = sources.unpark();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(failed.len(), 1, "the file is gone: {failed:?}");

    let report = Report {
        sources,
        files: vec![CheckedFile {
            file,
            dialect: Dialect::Nginx,
            parsed: true,
        }],
        diagnostics: vec![Diagnostic::new(
            codes::SYNTAX_ERROR,
            Span::new(file, TextRange::new(27, 36)),
            "a finding made while the file was there",
        )
        .with_related(Span::new(file, TextRange::new(9, 20)), "related")],
        undetected: Vec::new(),
    };
    let rendered = [
        lint403::render::full::render(&report, false),
        lint403::render::concise::render(&report),
        lint403::render::json::render(&report),
        lint403::render::sarif::render(&report),
        lint403::render::github::render(&report),
        lint403::render::checkstyle::render(&report),
        lint403::render::gitlab::render(&report),
    ];
    for output in rendered {
        assert!(output.contains("sites.conf"), "names the file:\n{output}");
    }
}

/// A run with more findings than one thread renders or places at once:
/// the concise lines keep the report's order, each at its own line, and
/// the sort puts findings given out of order back in order.
#[test]
fn many_findings_render_in_order_across_threads() {
    use lint403::run::{CheckedFile, Report};
    use lint403_core::{codes, Diagnostic, Dialect, SourceFile, SourceMap, Span, TextRange};

    const LINES: usize = 7_000;
    let text = (0..LINES).fold(String::new(), |mut text, line| {
        use std::fmt::Write;
        let _ = writeln!(text, "deny {line};");
        text
    });
    let mut sources = SourceMap::new();
    let file = sources.add(SourceFile::from_bytes(
        "many.conf",
        text.clone().into_bytes(),
    ));
    let starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(at, _)| at + 1))
        .take(LINES)
        .collect();
    let finding = |line: usize| {
        Diagnostic::new(
            codes::SYNTAX_ERROR,
            Span::new(file, TextRange::new(starts[line] + 5, starts[line] + 6)),
            format!("finding {line}"),
        )
    };
    let in_order = Report {
        sources: sources.clone(),
        files: vec![CheckedFile {
            file,
            dialect: Dialect::Nginx,
            parsed: true,
        }],
        diagnostics: (0..LINES).map(finding).collect(),
        undetected: Vec::new(),
    };
    let rendered = lint403::render::concise::render(&in_order);
    let lines: Vec<&str> = rendered.lines().collect();
    assert_eq!(lines.len(), LINES);
    for (line, rendered) in lines.iter().enumerate() {
        let expected = format!("many.conf:{}:6: ", line + 1);
        assert!(
            rendered.starts_with(&expected),
            "{rendered:?} for line {line}"
        );
        assert!(
            rendered.ends_with(&format!("finding {line}")),
            "{rendered:?}"
        );
    }
    let mut shuffled = in_order;
    shuffled.diagnostics = (0..LINES)
        .map(|index| finding((index * 4_001) % LINES))
        .collect();
    lint403::run::sort_diagnostics(&mut shuffled);
    assert_eq!(lint403::render::concise::render(&shuffled), rendered);
}
