//! How `trace` prints its answer: the verdict first, then the chain of
//! lines that led there (each in its source, by miette), then the fix —
//! the order of the 403 troubleshooting flow. `--format json` is the
//! document of DESIGN §5.

use std::fmt::Write as _;

use lint403_core::{Outcome, SourceMap, Span, StepRole};
use miette::LabeledSpan;
use serde::Serialize;

use crate::render::full::{handler, span, Rendered, Sources};
use crate::trace::Traced;

/// What can still refuse a request the configuration lets through.
const OUTSIDE: &[&str] = &[
    "file permissions and ownership on the server (the worker user must be able to read the file and traverse every directory above it)",
    "the application behind proxy_pass / FastCGI / a handler, which may answer 403 itself",
    "a WAF, CDN or load balancer in front of the server",
    "modules or included files lint403 could not read",
];

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        410 => "Gone",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "",
    }
}

fn headline(traced: &Traced) -> String {
    let verdict = &traced.verdict;
    let request = traced.request.describe();
    match verdict.status {
        Some(0) => format!("connection closed without a response — {request}"),
        Some(status) => {
            let sub = verdict
                .substatus
                .map(|sub| format!(".{sub}"))
                .unwrap_or_default();
            let phrase = reason_phrase(status);
            let meaning = match verdict.outcome {
                Outcome::Forbidden => "refused by the configuration",
                Outcome::Allowed => "allowed by the configuration",
                Outcome::Unauthorized => "credentials required",
                Outcome::NotFound => "not found",
                Outcome::Other | Outcome::Unknown => "decided by the configuration",
            };
            format!("{status}{sub} {phrase} — {request} ({meaning})").replace("  ", " ")
        }
        None => format!("unknown — {request}: lint403 cannot decide this request"),
    }
}

fn location(sources: &SourceMap, span: Span) -> (String, usize, usize) {
    let file = sources.get(span.file);
    let at = file.line_col(span.range.start);
    (file.path.display().to_string(), at.line, at.column)
}

fn span_text(sources: &SourceMap, span: Span) -> String {
    let text = &sources.get(span.file).text;
    let slice = text.get(span.range.start..span.range.end).unwrap_or("");
    let first = slice.lines().next().unwrap_or("").trim();
    first.to_string()
}

/// The `full` rendering.
pub fn full(traced: &Traced, color: bool) -> String {
    let verdict = &traced.verdict;
    let mut out = String::new();
    let _ = writeln!(out, "{}", headline(traced));
    if let Some(reason) = &verdict.unknown {
        let _ = writeln!(out, "  why unknown: {reason}");
    }
    out.push('\n');
    for step in &verdict.steps {
        let role = step.role.as_str();
        match step.span {
            Some(span) => {
                let (path, line, column) = location(&traced.sources, span);
                let _ = writeln!(out, "  {role:<12} {}  ({path}:{line}:{column})", step.text);
            }
            None => {
                let _ = writeln!(out, "  {role:<12} {}", step.text);
            }
        }
    }
    // The fix is the help line of the deciding report; without one (no
    // deciding line), it stands on its own.
    if let Some(rendered) = deciding_report(traced) {
        out.push('\n');
        if handler(color).render_report(&mut out, &rendered).is_err() {
            out.push_str(&rendered.message);
        }
    } else if let Some(fix) = &verdict.fix {
        let _ = writeln!(out, "\nfix: {fix}");
    }
    if matches!(verdict.outcome, Outcome::Allowed | Outcome::Other) {
        out.push_str("\noutside what lint403 can see, these can still answer 403:\n");
        for item in OUTSIDE {
            let _ = writeln!(out, "  - {item}");
        }
    }
    out
}

/// The deciding line in its source with the other steps of the same file
/// labelled beside it (steps in other files as related reports).
fn deciding_report(traced: &Traced) -> Option<Rendered> {
    let verdict = &traced.verdict;
    let primary = *verdict.decided_by.first()?;
    let mut sources = Sources::new(&traced.sources);
    let source = sources.named(primary.file)?;
    let mut labels = vec![LabeledSpan::new_primary_with_span(
        Some("decides".to_string()),
        span(primary.range),
    )];
    let mut related = Vec::new();
    for step in &verdict.steps {
        let Some(step_span) = step.span else {
            continue;
        };
        if step_span == primary {
            continue;
        }
        if !matches!(
            step.role,
            StepRole::Scope | StepRole::WouldChange | StepRole::Decided | StepRole::Site
        ) {
            continue;
        }
        let label = format!("{}: {}", step.role.as_str(), step.text);
        if step_span.file == primary.file {
            labels.push(LabeledSpan::new_with_span(
                Some(label),
                span(step_span.range),
            ));
        } else if let Some(other) = sources.named(step_span.file) {
            related.push(Rendered {
                message: label,
                code: String::new(),
                severity: miette::Severity::Advice,
                help: None,
                url: String::new(),
                source: Some(other),
                labels: vec![LabeledSpan::new_primary_with_span(
                    None,
                    span(step_span.range),
                )],
                related: Vec::new(),
            });
        }
    }
    let status = verdict
        .status
        .map_or_else(|| "unknown".to_string(), |status| status.to_string());
    Some(Rendered {
        message: format!("this line decides: {status}"),
        code: format!("trace({})", verdict.outcome.as_str()),
        severity: if verdict.outcome == Outcome::Forbidden {
            miette::Severity::Error
        } else {
            miette::Severity::Advice
        },
        help: verdict.fix.clone(),
        url: String::new(),
        source: Some(source),
        labels,
        related,
    })
}

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    dialect: &'a str,
    request: RequestOut<'a>,
    status: Option<u16>,
    substatus: Option<u16>,
    outcome: &'a str,
    decided_by: Vec<Place>,
    steps: Vec<StepOut<'a>>,
    fix: Option<&'a str>,
    unknown: Option<&'a str>,
}

#[derive(Serialize)]
struct RequestOut<'a> {
    method: &'a str,
    path: &'a str,
    query: Option<&'a str>,
    client_ip: String,
    headers: Vec<[&'a str; 2]>,
    user: Option<&'a str>,
}

#[derive(Serialize)]
struct Place {
    path: String,
    line: usize,
    column: usize,
    text: String,
}

#[derive(Serialize)]
struct StepOut<'a> {
    role: &'a str,
    text: &'a str,
    path: Option<String>,
    line: Option<usize>,
    column: Option<usize>,
}

/// The `json` rendering.
pub fn json(traced: &Traced) -> String {
    let verdict = &traced.verdict;
    let place = |span: Span| {
        let (path, line, column) = location(&traced.sources, span);
        Place {
            path,
            line,
            column,
            text: span_text(&traced.sources, span),
        }
    };
    let request = &traced.request;
    let document = Document {
        version: 1,
        dialect: traced.dialect.as_str(),
        request: RequestOut {
            method: &request.method,
            path: &request.path,
            query: request.query.as_deref(),
            client_ip: request.client_ip.to_string(),
            headers: request
                .headers
                .iter()
                .map(|(name, value)| [name.as_str(), value.as_str()])
                .collect(),
            user: request.user.as_deref(),
        },
        status: verdict.status,
        substatus: verdict.substatus,
        outcome: verdict.outcome.as_str(),
        decided_by: verdict.decided_by.iter().map(|span| place(*span)).collect(),
        steps: verdict
            .steps
            .iter()
            .map(|step| {
                let at = step.span.map(|span| location(&traced.sources, span));
                StepOut {
                    role: step.role.as_str(),
                    text: &step.text,
                    path: at.as_ref().map(|(path, _, _)| path.clone()),
                    line: at.as_ref().map(|(_, line, _)| *line),
                    column: at.as_ref().map(|(_, _, column)| *column),
                }
            })
            .collect(),
        fix: verdict.fix.as_deref(),
        unknown: verdict.unknown.as_deref(),
    };
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}
