//! ## What it does
//! Finds a prefix `location` that restricts access (`deny`, `return 403`,
//! authentication) while a regex `location` elsewhere in the same server
//! takes some of the URIs under it — so those requests are decided by the
//! regex location, without the restriction.
//!
//! ## Why it causes 403
//! nginx picks exactly one location per request: after the longest prefix
//! it tries the regex locations in order, and the first that matches wins
//! unless the prefix is marked `^~`. A `location /admin/ { deny all; }`
//! therefore refuses `/admin/` but not `/admin/x.php` when a
//! `location ~ \.php$` exists: that request gets the PHP location's
//! configuration and no `deny` at all (observed on nginx 1.22.1). The
//! restriction meant to answer 403 lets the request through.
//!
//! ## Example
//! ```nginx
//! server {
//!     listen 80;
//!     location /admin/ {
//!         allow 10.0.0.0/8;
//!         deny all;
//!     }
//!     location ~ \.php$ {
//!     }
//! }
//! ```
//! `GET /admin/x.php` from 203.0.113.7 → 200: `location ~ \.php$` decides it.
//!
//! ## Fix
//! Mark the restricted prefix `^~`, so that no regex location can take its
//! URIs, or nest the regex location inside it (nested locations inherit
//! the access list):
//! ```nginx
//! server {
//!     listen 80;
//!     location ^~ /admin/ {
//!         allow 10.0.0.0/8;
//!         deny all;
//!         location ~ \.php$ {
//!         }
//!     }
//!     location ~ \.php$ {
//!     }
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_core_module.html#location>
//! - <https://nginx.org/en/docs/http/ngx_http_access_module.html>
//! - Regex locations are run with Rust's `regex`; a pattern it cannot
//!   compile (look-around, back-references) is treated as not matching.

use std::net::IpAddr;

use lint403_core::{Code, Diagnostic, Dialect, Severity, Span};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::nginx::{decide, Location, LocationKind, Tree};
use crate::RuleContext;

pub const RULE: Rule = Rule {
    code: Code {
        code: "S002",
        name: "restriction-overridden-by-other-scope",
        default_severity: Severity::Error,
        summary: "a restricted prefix location whose URIs a regex location takes",
        doc: "",
    },
    family: Family::Scope,
    dialects: &[Dialect::Nginx],
    likelihood: Likelihood::Common,
    fix: FixDifficulty::Trivial,
    source: include_str!("s002_restriction_overridden_by_other_scope.rs"),
    check,
};

/// An outside client: in no documentation network a config lists.
const CLIENT: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 7));

/// Last segments tried under a restricted prefix: what regex locations
/// usually take (scripts, pages, static files).
const SUFFIXES: &[&str] = &[
    "x.php",
    "index.php",
    "x.html",
    "x.htm",
    "x.js",
    "x.css",
    "x.json",
    "x.xml",
    "x.txt",
    "x.jpg",
    "x.png",
    "x.gif",
    "x.svg",
    "x.ico",
    "x.woff2",
    "x.pdf",
    "x.zip",
    "x.cgi",
    "x.py",
    "x.asp",
    "x.aspx",
];

/// Directives that answer a request from something other than a file.
const HANDLERS: &[&str] = &[
    "stub_status",
    "proxy_pass",
    "fastcgi_pass",
    "uwsgi_pass",
    "scgi_pass",
    "grpc_pass",
    "memcached_pass",
];

/// How a location restricts the outside client.
enum Restriction {
    Denied(Span),
    Returns(u16, Span),
    Authentication(Span),
}

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let (Some(tree), Some(regexes)) = (context.nginx_tree(), context.nginx_location_regexes())
    else {
        return;
    };
    for restricted in 0..tree.nodes.len() {
        let Some(server) = tree.server_block_of(restricted) else {
            continue;
        };
        if restricted == server {
            continue;
        }
        let Some(block) = tree.node(restricted).block else {
            continue;
        };
        let Some((LocationKind::Prefix, prefix)) = block.location() else {
            continue;
        };
        let Some(restriction) = restriction(tree, restricted) else {
            continue;
        };
        let base = if prefix.ends_with('/') {
            prefix.to_string()
        } else {
            format!("{prefix}/")
        };
        // One buffer for every probe of the location (a configuration has
        // hundreds of thousands of restricted locations).
        let mut path = String::with_capacity(base.len() + 16);
        for suffix in SUFFIXES {
            path.clear();
            path.push_str(&base);
            path.push_str(suffix);
            let path = path.as_str();
            let Some(selected) = tree.select(server, path, &|location: &Location<'_>| {
                regexes.location_matches(location, path)
            }) else {
                continue;
            };
            if selected == restricted || tree.is_within(selected, restricted) {
                continue;
            }
            if restriction_applies(tree, selected, &restriction) {
                continue;
            }
            let Some(winner) = tree.node(selected).block else {
                continue;
            };
            // A prefix answered by a handler (a status page, an
            // application) serves no files; a regex location that only
            // serves files from disk exposes nothing of it.
            if tree.own(restricted, HANDLERS).next().is_some()
                && tree.own(selected, HANDLERS).next().is_none()
            {
                continue;
            }
            let Some((LocationKind::Regex, pattern)) = winner.location() else {
                continue;
            };
            let what = match &restriction {
                Restriction::Denied(_) => "403",
                Restriction::Returns(code, _) => {
                    if *code == 404 {
                        "404"
                    } else {
                        "403"
                    }
                }
                Restriction::Authentication(_) => "401",
            };
            let restriction_span = match restriction {
                Restriction::Denied(span)
                | Restriction::Returns(_, span)
                | Restriction::Authentication(span) => span,
            };
            out.push(
                Diagnostic::new(
                    RULE.code,
                    block.head_span(),
                    format!(
                        "GET {path} from 203.0.113.7 is not refused: `location {} {pattern}` takes it from `location {prefix}`, whose restriction (→ {what}) never runs for it",
                        winner.arg(0).unwrap_or_default()
                    ),
                )
                .with_label(format!("does not decide {path}"))
                .with_related(restriction_span, "the restriction that is skipped")
                .with_related(winner.head_span(), format!("decides {path} instead"))
                .with_help(format!(
                    "write `location ^~ {prefix}` so no regex location can take its URIs, or nest the regex location inside it"
                )),
            );
            break;
        }
    }
}

/// What `location` does to the outside client before any content.
fn restriction(tree: &Tree<'_>, location: usize) -> Option<Restriction> {
    for entry in &tree.node(location).entries {
        if entry.is("return") {
            let code = entry.arg(0).and_then(|code| code.parse::<u16>().ok())?;
            return matches!(code, 403 | 404)
                .then(|| Restriction::Returns(code, entry.head_span()));
        }
    }
    let own_list = tree.acl(location);
    if let Some(decider) = decide(own_list, CLIENT) {
        if !decider.allow {
            return Some(Restriction::Denied(decider.entry.head_span()));
        }
    }
    let own_auth = tree
        .own(location, &["auth_basic", "auth_request"])
        .last()
        .filter(|entry| entry.arg(0).is_some_and(|value| value != "off"));
    own_auth.map(|entry| Restriction::Authentication(entry.head_span()))
}

/// Whether the winning location refuses the client the same way anyway.
fn restriction_applies(tree: &Tree<'_>, location: usize, restriction: &Restriction) -> bool {
    let refuses_by_list = tree.effective_acl(location).is_some_and(|list_node| {
        let list = tree.acl(list_node);
        decide(list, CLIENT).is_some_and(|decider| !decider.allow)
    });
    let returns = tree.node(location).entries.iter().any(|entry| {
        entry.is("return")
            && entry
                .arg(0)
                .and_then(|code| code.parse::<u16>().ok())
                .is_some_and(|code| code >= 400)
    });
    match restriction {
        Restriction::Denied(_) | Restriction::Returns(..) => refuses_by_list || returns,
        Restriction::Authentication(_) => {
            refuses_by_list || returns || tree.auth_in_effect(location).is_some()
        }
    }
}
