//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning takes it, built
//! on `serde-sarif`'s types (generated from the 2.1.0 schema). Every code
//! of the registry is a rule (id, name, descriptions, the doc page as
//! `help.markdown`, default level, `security-severity`); each diagnostic
//! is a result with its region in Unicode code points (`columnKind`),
//! a repository-relative URI and a fingerprint that survives lines moving.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use lint403_core::{Code, Severity};
use serde_sarif::sarif::{
    ArtifactLocation, Location, Message, MultiformatMessageString, PhysicalLocation, PropertyBag,
    Region, ReportingConfiguration, ReportingDescriptor, Result as SarifResult, ResultLevel, Run,
    Sarif, Tool, ToolComponent,
};

use crate::render::{doc_url, fingerprints, positions, repo_path};
use crate::run::Report;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(severity: Severity) -> ResultLevel {
    match severity {
        Severity::Error => ResultLevel::Error,
        Severity::Warning => ResultLevel::Warning,
        Severity::Info => ResultLevel::Note,
    }
}

/// GitHub reads `security-severity` (0–10) to rank alerts: high, medium, low.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "7.5",
        Severity::Warning => "5.0",
        Severity::Info => "2.0",
    }
}

/// The text of the page's `## What it does` section.
fn what_it_does(doc: &str) -> String {
    let Some(start) = doc.find("## What it does") else {
        return String::new();
    };
    let body = &doc[start + "## What it does".len()..];
    let end = body.find("\n## ").unwrap_or(body.len());
    body[..end].split_whitespace().collect::<Vec<_>>().join(" ")
}

fn rule(code: &Code) -> ReportingDescriptor {
    let url = doc_url(code);
    let summary = code.summary.to_string();
    let full = what_it_does(code.doc);
    let markdown = format!(
        "{}\n\n[Documentation of {}]({url})\n",
        code.doc.trim(),
        code.code
    );
    let mut properties = BTreeMap::new();
    properties.insert(
        "security-severity".to_string(),
        serde_json::Value::String(security_severity(code.default_severity).to_string()),
    );
    ReportingDescriptor::builder()
        .id(code.code)
        .name(code.name)
        .short_description(
            MultiformatMessageString::builder()
                .text(summary.clone())
                .build(),
        )
        .full_description(
            MultiformatMessageString::builder()
                .text(if full.is_empty() {
                    summary.clone()
                } else {
                    full
                })
                .build(),
        )
        .help(
            MultiformatMessageString::builder()
                .text(format!("{summary}. See {url}"))
                .markdown(markdown)
                .build(),
        )
        .help_uri(url.clone())
        .default_configuration(
            ReportingConfiguration::builder()
                .level(serde_json::Value::String(
                    level(code.default_severity).to_string(),
                ))
                .build(),
        )
        .properties(
            PropertyBag::builder()
                .tags(vec!["lint403".to_string(), "403".to_string()])
                .additional_properties(properties)
                .build(),
        )
        .build()
}

/// A URI reference for a relative path: bytes outside the unreserved set
/// and `/` percent-encoded (so non-ASCII names stay valid URIs).
fn uri(path: &str) -> String {
    let mut out = String::new();
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

fn location(path: &str, region: (usize, usize, usize, usize), message: Option<&str>) -> Location {
    let (line, column, end_line, end_column) = region;
    let physical = PhysicalLocation::builder()
        .artifact_location(
            ArtifactLocation::builder()
                .uri(uri(path))
                .uri_base_id("%SRCROOT%")
                .build(),
        )
        .region(
            Region::builder()
                .start_line(int(line))
                .start_column(int(column))
                .end_line(int(end_line))
                .end_column(int(end_column))
                .build(),
        )
        .build();
    match message {
        Some(text) => Location::builder()
            .physical_location(physical)
            .message(Message::builder().text(text).build())
            .build(),
        None => Location::builder().physical_location(physical).build(),
    }
}

/// SARIF integers are `i64`; positions never come near the limit.
fn int(value: usize) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// The SARIF log of a run.
pub fn render(report: &Report) -> String {
    let codes = crate::docs::codes();
    let rules: Vec<ReportingDescriptor> = codes.iter().map(|code| rule(code)).collect();
    let prints = fingerprints(&report.sources, &report.diagnostics);
    let results: Vec<SarifResult> = report
        .diagnostics
        .iter()
        .zip(prints)
        .map(|(diagnostic, print)| {
            let path = repo_path(&report.sources.get(diagnostic.span.file).path);
            let mut message = diagnostic.message.clone();
            if let Some(help) = &diagnostic.help {
                message.push_str("\nhelp: ");
                message.push_str(help);
            }
            let related: Vec<Location> = diagnostic
                .related
                .iter()
                .map(|label| {
                    let file = report.sources.get(label.span.file);
                    let start = file.line_col(label.span.range.start);
                    let end = file.line_col(label.span.range.end);
                    location(
                        &repo_path(&file.path),
                        (start.line, start.column, end.line, end.column),
                        Some(&label.message),
                    )
                })
                .collect();
            let index = codes
                .iter()
                .position(|code| code.code == diagnostic.code.code)
                .unwrap_or(0);
            let mut partial = BTreeMap::new();
            partial.insert("lint403/v1".to_string(), print);
            let builder = SarifResult::builder()
                .rule_id(diagnostic.code.code)
                .rule_index(int(index))
                .level(level(diagnostic.severity))
                .message(Message::builder().text(message).build())
                .locations(vec![location(
                    &path,
                    positions(&report.sources, diagnostic),
                    None,
                )])
                .partial_fingerprints(partial);
            if related.is_empty() {
                builder.build()
            } else {
                builder.related_locations(related).build()
            }
        })
        .collect();
    let driver = ToolComponent::builder()
        .name("lint403")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .information_uri("https://github.com/lint403/lint403")
        .rules(rules)
        .build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .results(results)
        .column_kind(serde_json::Value::String("unicodeCodePoints".to_string()))
        .build();
    let log = Sarif::builder()
        .schema(SCHEMA)
        .version(serde_json::Value::String("2.1.0".to_string()))
        .runs(vec![run])
        .build();
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}
