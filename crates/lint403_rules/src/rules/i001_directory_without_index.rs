//! ## What it does
//! Flags an IIS `system.webServer/defaultDocument` that leaves directory
//! URLs without a default document — `enabled="false"`, or a `<files>`
//! list emptied by `<clear/>` with no `<add>` after it — while
//! `directoryBrowse` is not enabled for the same URLs.
//!
//! ## Why it causes 403
//! A request for a directory (`/`, `/docs/`) is served by the
//! `DefaultDocument` module, which tries the names in `defaultDocument/files`
//! in order. With the module disabled, or with no names to try, and
//! directory browsing off (the default), IIS answers 403.14 ("Directory
//! listing denied").
//!
//! A catch-all handler (ASP.NET Core's `<add … path="*" …/>`) or a URL
//! Rewrite rule that rewrites requests (a front controller) serves
//! directory URLs itself: when the file has either, the rule stays
//! silent. A parent level (applicationHost.config, a parent folder) may
//! still enable browsing; one file does not show it.
//!
//! ## Example
//! ```xml
//! <configuration>
//!   <system.webServer>
//!     <defaultDocument>
//!       <files>
//!         <clear />
//!       </files>
//!     </defaultDocument>
//!   </system.webServer>
//! </configuration>
//! ```
//! `GET /` (and `GET /docs/`) → 403.14.
//!
//! ## Fix
//! Name the document that should answer directory URLs after the
//! `<clear/>`:
//! ```xml
//! <configuration>
//!   <system.webServer>
//!     <defaultDocument>
//!       <files>
//!         <clear />
//!         <add value="index.html" />
//!       </files>
//!     </defaultDocument>
//!   </system.webServer>
//! </configuration>
//! ```
//! or enable `<directoryBrowse enabled="true"/>` where a listing is wanted.
//!
//! ## References
//! - 403.14 and its causes: <https://learn.microsoft.com/troubleshoot/developer/webapps/iis/health-diagnostic-performance/http-error-403-14-forbidden-webpage>
//! - `defaultDocument` (`enabled`, `files`): <https://learn.microsoft.com/iis/configuration/system.webServer/defaultDocument/>
//! - `directoryBrowse` (`enabled` default false): <https://learn.microsoft.com/iis/configuration/system.webServer/directoryBrowse>
//! - Not run on IIS (IIS cannot run here).

use std::collections::HashMap;

use lint403_core::{Code, Diagnostic, Dialect, Severity, Span};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::iis::{self, RewriteRule};
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "I001",
        name: "directory-without-index",
        default_severity: Severity::Warning,
        summary: "no usable default document and directory browsing off: directory URLs get 403.14",
        doc: "",
    },
    family: Family::Index,
    dialects: &[Dialect::Iis],
    likelihood: Likelihood::Occasional,
    fix: FixDifficulty::Trivial,
    source: include_str!("i001_directory_without_index.rs"),
    check,
};

/// A `defaultDocument` that leaves directory URLs without a document.
struct Finding {
    prefix: String,
    span: Span,
    label: &'static str,
    why: &'static str,
    section: Span,
}

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Loaded::Iis(config) = context.config else {
        return;
    };
    let mut findings = Vec::new();
    // directoryBrowse@enabled by URL prefix (the last one written wins).
    let mut browse: HashMap<String, bool> = HashMap::new();
    let mut served_elsewhere = false;
    iis::walk(config, |visit| match visit.name() {
        "defaultDocument" if visit.path_ends_with("system.webServer/defaultDocument") => {
            let prefix = visit.url_prefix();
            if !iis::is_true(visit.attr_value("enabled"), true) {
                findings.push(Finding {
                    prefix,
                    span: visit.attr_span("enabled"),
                    label: "default document off",
                    why: "the default document is disabled",
                    section: visit.span(),
                });
            } else if let Some(files) = iis::child(visit.element, "files") {
                let mut last_clear = None;
                let mut adds_after = 0usize;
                for item in files.child_elements() {
                    match item.name.local() {
                        "clear" => {
                            last_clear = Some(item);
                            adds_after = 0;
                        }
                        "add" => adds_after += 1,
                        _ => {}
                    }
                }
                if let (Some(clear), 0) = (last_clear, adds_after) {
                    findings.push(Finding {
                        prefix,
                        span: visit.span_of(clear.start_tag),
                        label: "list emptied",
                        why: "`<clear/>` empties the default document list with nothing added after it",
                        section: visit.span(),
                    });
                }
            }
        }
        "directoryBrowse" if visit.path_ends_with("system.webServer/directoryBrowse") => {
            browse.insert(
                visit.url_prefix(),
                iis::is_true(visit.attr_value("enabled"), false),
            );
        }
        "add" if visit.path_ends_with("system.webServer/handlers/add") => {
            let path = visit.attr_value("path").map_or("", str::trim);
            if path == "*" {
                served_elsewhere = true;
            }
        }
        "rule" if visit.path_ends_with("system.webServer/rewrite/rules/rule") => {
            let rule = RewriteRule::read(visit.element);
            if rule.enabled
                && rule
                    .action_type()
                    .is_some_and(|t| t.eq_ignore_ascii_case("Rewrite"))
            {
                served_elsewhere = true;
            }
        }
        _ => {}
    });
    if served_elsewhere {
        return;
    }
    for finding in findings {
        let browsing = browse
            .get(&finding.prefix)
            .or_else(|| browse.get("/"))
            .copied()
            .unwrap_or(false);
        if browsing {
            continue;
        }
        let example = if finding.prefix == "/" {
            "GET / (and GET /docs/)".to_owned()
        } else {
            format!("GET {}", finding.prefix)
        };
        out.push(
            Diagnostic::new(
                RULE.code,
                finding.span,
                format!(
                    "{example} → 403.14 (directory listing denied): {}, and directory browsing is off",
                    finding.why
                ),
            )
            .with_label(finding.label)
            .with_related(finding.section, "no default document for directory URLs")
            .with_help(
                "add the site's start page (`<add value=\"index.html\" />`) to defaultDocument/files, or enable directoryBrowse where a listing is wanted",
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(inner: &str) -> usize {
        iis::run_check(
            check,
            &format!("<configuration><system.webServer>{inner}</system.webServer></configuration>"),
        )
        .len()
    }

    #[test]
    fn cases() {
        let cleared = "<defaultDocument><files><clear/></files></defaultDocument>";
        assert_eq!(run(cleared), 1);
        assert_eq!(run("<defaultDocument enabled=\"false\"/>"), 1);
        assert_eq!(
            run("<defaultDocument><files><clear/><add value=\"index.php\"/></files></defaultDocument>"),
            0
        );
        assert_eq!(
            run(&format!("{cleared}<directoryBrowse enabled=\"true\"/>")),
            0
        );
        assert_eq!(
            run(&format!(
                "{cleared}<handlers><add name=\"aspNetCore\" path=\"*\" verb=\"*\" modules=\"AspNetCoreModuleV2\"/></handlers>"
            )),
            0
        );
        assert_eq!(
            run("<defaultDocument><files><add value=\"a.html\"/></files></defaultDocument>"),
            0
        );
    }
}
