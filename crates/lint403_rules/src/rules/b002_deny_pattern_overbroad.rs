//! ## What it does
//! Traces the requests every site must answer — `/`, `/index.html`,
//! `/robots.txt`, `/favicon.ico`, `/sitemap.xml`, `/assets/app.js`,
//! `/images/photo.jpg`, `/blog/2024/post/`, `/docs/` — through nginx's
//! location selection, and flags a regex location that wins one of them
//! and refuses it (`deny all`, `return 403`, `return 404`).
//!
//! ## Why it causes 403
//! An nginx regex matches anywhere in the URI unless it is anchored, and
//! a regex location beats every plain prefix location. A pattern meant for
//! one kind of file catches ordinary pages: `location ~ \.ht` was written
//! for `.htaccess` and `.htpasswd`, and it also matches `/index.html`, so
//! the home page answers 403 (observed on nginx 1.22.1).
//!
//! ## Example
//! ```nginx
//! server {
//!     listen 80;
//!     root /srv/www;
//!     location / {
//!     }
//!     location ~ \.ht {
//!         deny all;
//!     }
//! }
//! ```
//! `GET /index.html` → 403: the regex finds `.ht` inside `.html`.
//!
//! ## Fix
//! Anchor the pattern to what it means to refuse:
//! ```nginx
//! server {
//!     listen 80;
//!     root /srv/www;
//!     location / {
//!     }
//!     location ~ /\.ht {
//!         deny all;
//!     }
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_core_module.html#location> (regexes are checked
//!   in order after the longest prefix, and the first match wins)
//! - Patterns are run with Rust's `regex` (PCRE features it lacks — look-around,
//!   back-references — make the rule skip that location rather than guess).

use std::net::IpAddr;

use lint403_core::{Code, Diagnostic, Dialect, Severity};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::nginx::{decide, FixedPathMatches, Location, LocationKind, Tree};
use crate::RuleContext;

pub const RULE: Rule = Rule {
    code: Code {
        code: "B002",
        name: "deny-pattern-overbroad",
        default_severity: Severity::Warning,
        summary: "a denying regex that also refuses ordinary pages",
        doc: "",
    },
    family: Family::Broad,
    dialects: &[Dialect::Nginx],
    likelihood: Likelihood::Common,
    fix: FixDifficulty::Trivial,
    source: include_str!("b002_deny_pattern_overbroad.rs"),
    check,
};

/// Requests a site is expected to serve (RULES.md §5.1; `/.well-known/`
/// is B003's).
const MUST_ALLOW: &[&str] = &[
    "/",
    "/index.html",
    "/robots.txt",
    "/favicon.ico",
    "/sitemap.xml",
    "/assets/app.js",
    "/images/photo.jpg",
    "/blog/2024/post/",
    "/docs/",
];

/// A client outside every documentation network a config might list.
const CLIENT: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 7));

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let (Some(tree), Some(regexes)) = (context.nginx_tree(), context.nginx_location_regexes())
    else {
        return;
    };
    let mut reported = Vec::new();
    let answers = FixedPathMatches::new(regexes, MUST_ALLOW);
    for server in 0..tree.nodes.len() {
        if tree.server_block_of(server) != Some(server) {
            continue;
        }
        for (index, probe) in MUST_ALLOW.iter().enumerate() {
            let matches = |location: &Location<'_>| answers.location_matches(location, index);
            let Some(selected) = tree.select(server, probe, &matches) else {
                continue;
            };
            let Some(block) = tree.node(selected).block else {
                continue;
            };
            let Some((LocationKind::Regex, pattern)) = block.location() else {
                continue;
            };
            // A regex that takes `/` itself takes the whole site: B001.
            if regexes.matches(&pattern, block.is_case_insensitive_regex(), "/") {
                continue;
            }
            let Some((status, decider)) = refusal(tree, selected) else {
                continue;
            };
            if reported.contains(&selected) {
                continue;
            }
            reported.push(selected);
            out.push(
                Diagnostic::new(
                    RULE.code,
                    block.arg_span(block.directive.args.len().saturating_sub(1)),
                    format!(
                        "GET {probe} from anyone → {status}: `location {} {pattern}` matches it and refuses it",
                        block.arg(0).unwrap_or_default()
                    ),
                )
                .with_label(format!("also matches {probe}"))
                .with_related(decider, "refuses every request this location takes")
                .with_help(
                    "anchor or narrow the regex to what it should refuse (a `/` before the dot, a `$` at the end, the exact names), or serve the ordinary page from a location that wins first (`location = /index.html`, `^~`)",
                ),
            );
        }
    }
}

/// How the location refuses a request: an unconditional `return` of 403
/// or 404 among its own directives (rewrite phase, before access), else
/// its access list's verdict for an outside client.
fn refusal(tree: &Tree<'_>, location: usize) -> Option<(u16, lint403_core::Span)> {
    let node = tree.node(location);
    for entry in &node.entries {
        if entry.is("return") {
            let status = entry.arg(0).and_then(|code| code.parse::<u16>().ok());
            return match status {
                Some(code @ (403 | 404)) => Some((code, entry.head_span())),
                _ => None,
            };
        }
    }
    let list_node = tree.effective_acl(location)?;
    let list = tree.acl(list_node);
    let decider = decide(list, CLIENT)?;
    (!decider.allow).then(|| (403, decider.entry.head_span()))
}
