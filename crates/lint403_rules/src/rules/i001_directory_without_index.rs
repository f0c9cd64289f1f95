//! ## What it does
//! Flags an IIS `system.webServer/defaultDocument` that leaves directory
//! URLs without a default document — `enabled="false"`, or a `<files>`
//! list emptied by `<clear/>` with no `<add>` after it — while
//! `directoryBrowse` is not enabled for the same URLs.
//!
//! In nginx, flags a PHP site (a regex location for `.php` that passes to
//! `FastCGI`) whose `location` for `/` leaves `index.php` out of the `index`
//! in effect (nginx's default is `index.html` alone) and reaches the
//! index module for `/`: no `try_files`, or a `try_files` that tries
//! `$uri/` before its fallback to the front controller.
//!
//! ## Why it causes 403
//! A request for a directory (`/`, `/docs/`) is served by the
//! `DefaultDocument` module, which tries the names in `defaultDocument/files`
//! in order. With the module disabled, or with no names to try, and
//! directory browsing off (the default), IIS answers 403.14 ("Directory
//! listing denied").
//!
//! nginx does the same with `directory index of "…/" is forbidden`: the
//! index module tries the `index` names, and a directory with none of them
//! and `autoindex off` answers 403. A PHP application's entry point is
//! `index.php`, so `GET /` is refused although the site works for every
//! other URL — the classic WordPress-on-nginx 403. (lint403 cannot see the
//! document root in `check`; the message says what it assumes.)
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
//! nginx: name the front controller, `index index.php index.html;`, or
//! let `try_files` fall back to it without `$uri/`
//! (`try_files $uri /index.php?$args;`).
//!
//! ## References
//! - 403.14 and its causes: <https://learn.microsoft.com/troubleshoot/developer/webapps/iis/health-diagnostic-performance/http-error-403-14-forbidden-webpage>
//! - `defaultDocument` (`enabled`, `files`): <https://learn.microsoft.com/iis/configuration/system.webServer/defaultDocument/>
//! - `directoryBrowse` (`enabled` default false): <https://learn.microsoft.com/iis/configuration/system.webServer/directoryBrowse>
//! - Not run on IIS (IIS cannot run here).
//! - nginx `index`: <https://nginx.org/en/docs/http/ngx_http_index_module.html>; `try_files`:
//!   <https://nginx.org/en/docs/http/ngx_http_core_module.html#try_files> (the nginx side is
//!   checked against nginx in `tests/real_nginx.rs`)

use std::collections::HashMap;

use lint403_core::{Code, Diagnostic, Dialect, Severity, Span};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::iis::{self, RewriteRule};
use crate::walk::nginx::{Location, LocationKind};
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
    dialects: &[Dialect::Iis, Dialect::Nginx],
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
    if context.nginx_tree().is_some() {
        nginx_front_controller(context, out);
        return;
    }
    let Loaded::Iis(_) = context.config else {
        return;
    };
    let mut findings = Vec::new();
    // directoryBrowse@enabled by URL prefix (the last one written wins).
    let mut browse: HashMap<String, bool> = HashMap::new();
    let mut served_elsewhere = false;
    iis::walk(context, |visit| match visit.name() {
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

/// nginx: a PHP site whose `/` reaches the index module without
/// `index.php` among the index names.
fn nginx_front_controller(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let (Some(tree), Some(regexes)) = (context.nginx_tree(), context.nginx_location_regexes())
    else {
        return;
    };
    // The first PHP location (a `.php` regex that passes to FastCGI) of
    // each server, found in one pass over the tree.
    let mut php_of: std::collections::BTreeMap<usize, usize> = std::collections::BTreeMap::new();
    for node in 0..tree.nodes.len() {
        let is_php = tree.node(node).block.is_some_and(|block| {
            matches!(block.location(), Some((LocationKind::Regex, pattern)) if pattern.contains("php"))
        }) && tree.own(node, &["fastcgi_pass"]).next().is_some();
        if let Some(server) = is_php.then(|| tree.server_block_of(node)).flatten() {
            php_of.entry(server).or_insert(node);
        }
    }
    for (&server, &php) in &php_of {
        let matches = |location: &Location<'_>| regexes.location_matches(location, "/");
        let root = tree.select(server, "/", &matches).unwrap_or(server);
        // `/` answered in its location (a redirect, a proxy, FastCGI).
        let answers = [
            "return",
            "proxy_pass",
            "fastcgi_pass",
            "uwsgi_pass",
            "scgi_pass",
            "grpc_pass",
        ];
        if tree.own(root, &answers).next().is_some() {
            continue;
        }
        if tree
            .effective_entry(root, "autoindex")
            .is_some_and(|entry| entry.arg(0).as_deref() == Some("on"))
        {
            continue;
        }
        let index = tree.effective_entry(root, "index");
        let names: Vec<String> = index.map_or_else(
            || vec!["index.html".to_string()],
            |entry| entry.args().iter().map(ToString::to_string).collect(),
        );
        if names
            .iter()
            .any(|name| name.to_ascii_lowercase().ends_with(".php") || name.contains('$'))
        {
            continue;
        }
        if let Some(try_files) = tree.effective_entry(root, "try_files") {
            let args = try_files.args();
            let Some((fallback, tried)) = args.split_last() else {
                continue;
            };
            // Without `$uri/` nginx never serves `/` as a directory: it
            // falls through to the fallback (the front controller).
            let tries_directory = tried
                .iter()
                .any(|arg| arg.ends_with('/') && arg.contains("$uri"));
            if !tries_directory || fallback.starts_with('=') {
                continue;
            }
        }
        let head = |node: usize| tree.node(node).block.map(|block| block.head_span());
        let Some((span, label)) = (match index {
            Some(entry) => Some((entry.span(), "no index.php here")),
            None => head(root)
                .or_else(|| head(server))
                .map(|span| (span, "`index` is index.html here (nginx's default)")),
        }) else {
            continue;
        };
        let mut diagnostic = Diagnostic::new(
            RULE.code,
            span,
            format!(
                "GET / → 403 if the application's entry point is index.php: directory requests try {} only, and a directory without one of them and with autoindex off is refused (\"directory index of … is forbidden\")",
                names.join(", ")
            ),
        )
        .with_label(label)
        .with_help("add it: `index index.php index.html;` (or let try_files fall back to /index.php without trying `$uri/`)");
        if let Some(block) = tree.node(php).block {
            diagnostic = diagnostic.with_related(block.head_span(), "PHP is served here");
        }
        out.push(diagnostic);
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
