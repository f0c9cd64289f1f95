//! Every rule of the catalogue against its fixtures and its own
//! documentation:
//! - `fixtures/<dialect>/<CODE>-<name>/bad*` must trigger the rule and
//!   `good*` must not (a case is a file, or a directory checked as a tree);
//!   the concise output of each case is snapshotted;
//! - the first code block under `## Example` in the rule's doc page must
//!   trigger it, the first under `## Fix` must not.

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

/// The first fenced block after `heading` in a Markdown page, with its
/// info string.
fn first_block_after(page: &str, heading: &str) -> Option<(String, String)> {
    let after = page.split_once(heading)?.1;
    let after = after.split("\n## ").next().unwrap_or(after);
    let start = after.find("```")?;
    let rest = &after[start + 3..];
    let (info, body) = rest.split_once('\n')?;
    let end = body.find("```")?;
    Some((info.trim().to_string(), body[..end].to_string()))
}

/// Writes a doc example where lint403 reads it as the block's language.
fn write_example(dir: &Path, language: &str, text: &str) -> Option<(PathBuf, Dialect)> {
    let (relative, dialect) = match language {
        "nginx" => ("nginx/site.conf", Dialect::Nginx),
        "apache" => ("apache2/site.conf", Dialect::Apache),
        "htaccess" => ("site/.htaccess", Dialect::Apache),
        "xml" => ("site/web.config", Dialect::Iis),
        _ => return None,
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
            let Some((language, text)) = first_block_after(&page, heading) else {
                if expect_finding {
                    failures.push(format!("{code}: the doc has no code block under {heading}"));
                }
                continue;
            };
            let dir = scratch.join(format!("{code}-{}", u8::from(expect_finding)));
            let _ = std::fs::remove_dir_all(&dir);
            let Some((path, dialect)) = write_example(&dir, &language, &text) else {
                failures.push(format!("{code}: unknown example language `{language}`"));
                continue;
            };
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
