//! Every rule of the catalogue against its fixtures and its own
//! documentation:
//! - `fixtures/<dialect>/<CODE>-<name>/bad*` must trigger the rule and
//!   `good*` must not (a case is a file, or a directory checked as a tree);
//!   the concise output of each case is snapshotted;
//! - the example under `## Example` in the rule's doc page must trigger
//!   it, the one under `## Fix` must not: the first code block, or, when
//!   blocks start with `# file: PATH` (`<!-- file: PATH -->` in XML), all
//!   such blocks written as one tree.

use std::path::{Path, PathBuf};

use lint403::render;
use lint403::run::{self, CheckRequest, Report};
use lint403_core::Dialect;

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn check(path: &Path, dialect: Dialect) -> Report {
    run::check(&CheckRequest {
        paths: vec![path.to_path_buf()],
        dialect: Some(dialect),
        context: None,
        ..CheckRequest::default()
    })
}

fn has_code(report: &Report, code: &str) -> bool {
    report.diagnostics.iter().any(|d| d.code.code == code)
}

/// The fixture directory of a rule for a dialect, if it has one.
fn rule_dir(dialect: Dialect, code: &str) -> Option<PathBuf> {
    let dir = fixtures_root().join(dialect.as_str());
    std::fs::read_dir(dir).ok()?.flatten().find_map(|entry| {
        let name = entry.file_name().to_string_lossy().into_owned();
        name.starts_with(&format!("{code}-")).then(|| entry.path())
    })
}

#[test]
fn every_rule_has_fixtures_that_trigger_it_and_fixtures_that_do_not() {
    let mut failures = Vec::new();
    for rule in lint403_rules::RULES.iter() {
        for &dialect in rule.dialects {
            let code = rule.code.code;
            let Some(dir) = rule_dir(dialect, code) else {
                failures.push(format!(
                    "{code}: no fixtures/{dialect}/{code}-{}/",
                    rule.code.name
                ));
                continue;
            };
            let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
                .map(|entries| entries.flatten().map(|e| e.path()).collect())
                .unwrap_or_default();
            cases.sort();
            let (mut bad, mut good) = (0, 0);
            for case in cases {
                let name = case
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                let expect_finding = if name.starts_with("bad") {
                    bad += 1;
                    true
                } else if name.starts_with("good") {
                    good += 1;
                    false
                } else {
                    continue;
                };
                let report = check(&case, dialect);
                if has_code(&report, code) != expect_finding {
                    failures.push(format!(
                        "{code}: {} should {}trigger it:\n{}",
                        case.display(),
                        if expect_finding { "" } else { "not " },
                        render::concise::render(&report)
                    ));
                }
                let relative = case.strip_prefix(fixtures_root()).unwrap_or(&case);
                let snapshot = render::concise::render(&report)
                    .replace(&format!("{}/", fixtures_root().display()), "");
                insta::assert_snapshot!(
                    relative.to_string_lossy().replace(['/', '.'], "_"),
                    snapshot
                );
            }
            if bad == 0 || good == 0 {
                failures.push(format!(
                    "{code}: {} needs bad* and good* cases",
                    dir.display()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The fenced blocks of the section under `heading`, each with its info
/// string.
fn blocks_after(page: &str, heading: &str) -> Vec<(String, String)> {
    let Some((_, after)) = page.split_once(heading) else {
        return Vec::new();
    };
    let mut section = after.split("\n## ").next().unwrap_or(after);
    let mut blocks = Vec::new();
    while let Some(start) = section.find("```") {
        let rest = &section[start + 3..];
        let Some((info, body)) = rest.split_once('\n') else {
            break;
        };
        let Some(end) = body.find("```") else {
            break;
        };
        blocks.push((info.trim().to_string(), body[..end].to_string()));
        section = &body[end + 3..];
    }
    blocks
}

/// The tree path a block names on its first line (`# file: PATH` or
/// `<!-- file: PATH -->`), for examples that need several files (a server
/// config and the `.htaccess` it governs).
fn named_file(text: &str) -> Option<&str> {
    let first = text.lines().next()?.trim();
    first
        .strip_prefix("# file:")
        .or_else(|| {
            first
                .strip_prefix("<!-- file:")
                .and_then(|r| r.strip_suffix("-->"))
        })
        .map(str::trim)
}

/// Writes a section's example where lint403 reads it as the block's
/// language: the first block alone, or every block that names its file,
/// as one tree. Returns the path to check and its dialect.
fn write_example(dir: &Path, blocks: &[(String, String)]) -> Option<(PathBuf, Dialect)> {
    let dialect_of = |language: &str| match language {
        "nginx" => Some(Dialect::Nginx),
        "apache" | "htaccess" => Some(Dialect::Apache),
        "xml" => Some(Dialect::Iis),
        _ => None,
    };
    let (language, text) = blocks.first()?;
    let dialect = dialect_of(language)?;
    if named_file(text).is_some() {
        for (_, text) in blocks.iter().filter(|(_, text)| named_file(text).is_some()) {
            let path = dir.join(named_file(text)?);
            std::fs::create_dir_all(path.parent()?).ok()?;
            std::fs::write(&path, text).ok()?;
        }
        return Some((dir.to_path_buf(), dialect));
    }
    let relative = match language.as_str() {
        "nginx" => "nginx/site.conf",
        "apache" => "apache2/site.conf",
        "htaccess" => "site/.htaccess",
        _ => "site/web.config",
    };
    let path = dir.join(relative);
    std::fs::create_dir_all(path.parent()?).ok()?;
    std::fs::write(&path, text).ok()?;
    Some((path, dialect))
}

#[test]
fn every_rule_doc_example_triggers_it_and_its_fix_does_not() {
    let scratch = std::env::temp_dir().join(format!("lint403-doc-examples-{}", std::process::id()));
    let mut failures = Vec::new();
    for rule in lint403_rules::RULES.iter() {
        let page = rule.doc();
        let code = rule.code.code;
        for (heading, expect_finding) in [("## Example", true), ("## Fix", false)] {
            let blocks = blocks_after(&page, heading);
            if blocks.is_empty() {
                if expect_finding {
                    failures.push(format!("{code}: the doc has no code block under {heading}"));
                }
                continue;
            }
            let dir = scratch.join(format!("{code}-{}", u8::from(expect_finding)));
            let _ = std::fs::remove_dir_all(&dir);
            let Some((path, dialect)) = write_example(&dir, &blocks) else {
                failures.push(format!(
                    "{code}: unknown example language `{}`",
                    blocks[0].0
                ));
                continue;
            };
            let text = &blocks[0].1;
            let report = check(&path, dialect);
            if has_code(&report, code) != expect_finding {
                failures.push(format!(
                    "{code}: the {heading} block should {}trigger it:\n{text}\n{}",
                    if expect_finding { "" } else { "not " },
                    render::concise::render(&report)
                ));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
