//! `expect:` in `check`: every listed request is traced through its
//! configuration, and each one answered otherwise than the list says is a
//! P010 diagnostic on the line that decides it.
//!
//! An `allow` entry is met when the request is not refused (403 or 401);
//! a `deny` entry when it is not served (any 4xx/5xx, or a closed
//! connection). An entry lint403 cannot decide meets neither.

use std::path::{Path, PathBuf};

use lint403_core::codes::EXPECTATION_VIOLATED;
use lint403_core::fsview::FsView;
use lint403_core::{
    CheckOptions, Diagnostic, Dialect, Outcome, SourceFile, SourceMap, Span, TextRange,
    TraceOptions, Verdict,
};

use crate::config::{Config, Expectation};
use crate::run::Report;
use crate::trace::{self, TraceError};

/// Traces every expectation of `config`; `dialect_of` says how a
/// configuration file is read (the `--dialect`/`dialects:` decision).
pub fn check(config: &Config, report: &mut Report, dialect_of: &dyn Fn(&Path) -> Option<Dialect>) {
    if config.expect.is_empty() {
        return;
    }
    let Some(path) = &config.path else {
        return;
    };
    let yaml = report.sources.find(path).unwrap_or_else(|| {
        report.sources.add(SourceFile::from_bytes(
            path.clone(),
            config.text.clone().into_bytes(),
        ))
    });
    let mains = main_configs(report);
    for expectation in &config.expect {
        check_one(config, expectation, report, yaml, &mains, dialect_of);
    }
}

fn check_one(
    config: &Config,
    expectation: &Expectation,
    report: &mut Report,
    yaml: lint403_core::FileId,
    mains: &[PathBuf],
    dialect_of: &dyn Fn(&Path) -> Option<Dialect>,
) {
    let entry_span = |range: TextRange| Span::new(yaml, range);
    let first = expectation
        .requests
        .first()
        .map_or_else(TextRange::default, |request| request.span);
    let target = match (&expectation.config, mains) {
        (Some(path), _) => path.clone(),
        (None, [only]) => only.clone(),
        (None, found) => {
            let message = if found.is_empty() {
                "expect: no main configuration (nginx.conf, httpd.conf, apache2.conf, web.config) was checked to trace these requests through".to_string()
            } else {
                format!(
                    "expect: {} main configurations were checked; say which one these requests go to",
                    found.len()
                )
            };
            report.diagnostics.push(
                Diagnostic::new(EXPECTATION_VIOLATED, entry_span(first), message)
                    .with_help("add `config: PATH` to the entry"),
            );
            return;
        }
    };
    let check_options = CheckOptions {
        include_root: config.include_root.clone(),
        follow_absolute_includes: false,
        path_map: config.paths.clone(),
        ..CheckOptions::default()
    };
    // The traced file's own directory is in the checkout (an IIS site's
    // root is its web.config's folder); deploy paths are only seen mapped.
    let mut path_map = config.paths.clone();
    if let Some(dir) = target.parent() {
        path_map.push((dir.to_path_buf(), dir.to_path_buf()));
        if let Ok(absolute) = std::fs::canonicalize(dir) {
            path_map.push((absolute.clone(), absolute));
        }
    }
    let options = TraceOptions {
        fs: FsView {
            path_map,
            read_unmapped: false,
        },
        distribution_defaults: !crate::run::is_main_config(&target),
        verdict_only: false,
    };
    let prepared = match trace::prepare(&target, dialect_of(&target), &check_options, options) {
        Ok(prepared) => prepared,
        Err(error) => {
            let reason = match error {
                TraceError::Usage(message) => message,
                TraceError::Broken(..) => format!(
                    "{} has syntax errors (reported above); the server would not start",
                    target.display()
                ),
            };
            report.diagnostics.push(
                Diagnostic::new(
                    EXPECTATION_VIOLATED,
                    entry_span(first),
                    format!("expect: cannot trace these requests: {reason}"),
                )
                .with_help("fix the configuration path or its syntax"),
            );
            return;
        }
    };
    for expected in &expectation.requests {
        let verdict = prepared.trace(&expected.request);
        let met = if expected.allow {
            !matches!(
                verdict.outcome,
                Outcome::Forbidden | Outcome::Unauthorized | Outcome::Unknown
            )
        } else {
            !matches!(verdict.outcome, Outcome::Allowed | Outcome::Unknown)
        };
        if met {
            continue;
        }
        let wanted = if expected.allow { "allowed" } else { "denied" };
        let got = describe(&verdict);
        let deciding = verdict
            .decided_by
            .first()
            .map(|span| import_span(&mut report.sources, &prepared.sources, *span));
        let message = format!("expected `{}` to be {wanted}, but it {got}", expected.text);
        let help = verdict.fix.clone().unwrap_or_else(|| {
            if verdict.outcome == Outcome::Unknown {
                "lint403 cannot decide this request (see `lint403 trace`); make the configuration decidable or drop the entry".to_string()
            } else {
                "change the configuration, or the expectation if the site's policy changed".to_string()
            }
        });
        let diagnostic = match deciding {
            Some(span) => Diagnostic::new(EXPECTATION_VIOLATED, span, message)
                .with_label("decides")
                .with_related(entry_span(expected.span), "the expectation"),
            None => Diagnostic::new(EXPECTATION_VIOLATED, entry_span(expected.span), message)
                .with_label("this expectation"),
        };
        report.diagnostics.push(diagnostic.with_help(help));
    }
}

fn describe(verdict: &Verdict) -> String {
    match (verdict.outcome, verdict.status) {
        (Outcome::Unknown, _) => format!(
            "cannot be decided ({})",
            verdict.unknown.as_deref().unwrap_or("not modelled")
        ),
        (_, Some(0)) => "gets no response (connection closed)".to_string(),
        (_, Some(status)) => match verdict.substatus {
            Some(sub) => format!("gets {status}.{sub}"),
            None => format!("gets {status}"),
        },
        (_, None) => "is let through by the configuration".to_string(),
    }
}

/// The checked files a server starts from.
fn main_configs(report: &Report) -> Vec<PathBuf> {
    report
        .files
        .iter()
        .map(|entry| report.sources.get(entry.file).path.clone())
        .filter(|path| {
            crate::run::is_main_config(path)
                || path
                    .file_name()
                    .is_some_and(|name| name.eq_ignore_ascii_case("web.config"))
                    && !report.files.iter().any(|other| {
                        let other = &report.sources.get(other.file).path;
                        other != path
                            && other
                                .file_name()
                                .is_some_and(|name| name.eq_ignore_ascii_case("web.config"))
                            && path.parent().is_some_and(|dir| {
                                other
                                    .parent()
                                    .is_some_and(|up| dir.starts_with(up) && dir != up)
                            })
                    })
        })
        .collect()
}

/// The same place in `into`, adding the file when it is not there yet.
fn import_span(into: &mut SourceMap, from: &SourceMap, span: Span) -> Span {
    let file = from.get(span.file);
    let id = into
        .find(&file.path)
        .unwrap_or_else(|| into.add(file.clone()));
    Span::new(id, span.range)
}
