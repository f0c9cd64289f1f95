//! ## What it does
//! Flags a `rewrite … last` (or a `rewrite` without flag), a redirecting
//! `rewrite … redirect|permanent`, or a non-error `return` in a location
//! whose access list or authentication is meant to guard it.
//!
//! ## Why it causes 403
//! nginx runs a location's rewrite directives in the rewrite phase, before
//! the access phase where `allow`/`deny` and `auth_basic` are checked. A
//! `return 302 …` or `rewrite … redirect` answers before the check ever
//! runs; a `rewrite … last` re-selects a location for the new URI and the
//! request is then decided there — without this location's restriction
//! (observed on nginx 1.22.1: `location /admin/ { deny all; rewrite ^
//! /index.php last; }` → `GET /admin/` → 200).
//!
//! ## Example
//! ```nginx
//! server {
//!     listen 80;
//!     location / {
//!     }
//!     location /admin/ {
//!         deny all;
//!         rewrite ^ /index.php last;
//!     }
//! }
//! ```
//! `GET /admin/` from anyone → 200, served as `/index.php` by `location /`.
//!
//! ## Fix
//! Keep the request in the guarded location (`break`), or guard the target
//! as well:
//! ```nginx
//! server {
//!     listen 80;
//!     location / {
//!     }
//!     location /admin/ {
//!         deny all;
//!         rewrite ^ /admin/index.php break;
//!     }
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_rewrite_module.html> (rewrite
//!   directives run in the rewrite phase; `last` starts a search for a new
//!   location)
//! - <https://nginx.org/en/docs/dev/development_guide.html#http_phases>
//!   (`NGX_HTTP_REWRITE_PHASE` comes before `NGX_HTTP_ACCESS_PHASE`)

use std::net::IpAddr;

use lint403_core::{Code, Diagnostic, Dialect, Severity, Span};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::nginx::{decide, Entry, Location, LocationRegexes, Tree};
use crate::RuleContext;

pub const RULE: Rule = Rule {
    code: Code {
        code: "S101",
        name: "rewrite-phase-bypasses-acl",
        default_severity: Severity::Error,
        summary: "a rewrite or return that answers or moves the request before the access check",
        doc: "",
    },
    family: Family::Scope,
    dialects: &[Dialect::Nginx],
    likelihood: Likelihood::Occasional,
    fix: FixDifficulty::Moderate,
    source: include_str!("s101_rewrite_phase_bypasses_acl.rs"),
    check,
};

/// An outside client: in no documentation network a config lists.
const CLIENT: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 7));

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let (Some(tree), Some(regexes)) = (context.nginx_tree(), context.nginx_location_regexes())
    else {
        return;
    };
    for location in 0..tree.nodes.len() {
        let Some(server) = tree.server_block_of(location) else {
            continue;
        };
        if location == server || tree.kind(location) != "location" {
            continue;
        }
        let Some(guard) = guard(tree, location) else {
            continue;
        };
        for entry in &tree.node(location).entries {
            let Some(effect) = bypass(tree, regexes, server, location, entry) else {
                continue;
            };
            let path = tree.sample_path(location);
            out.push(
                Diagnostic::new(
                    RULE.code,
                    entry.head_span(),
                    format!(
                        "GET {path} from 203.0.113.7 → {effect}: `{}` runs in the rewrite phase, before the access check",
                        entry.args().iter().fold(entry.name().into_owned(), |mut head, arg| {
                            head.push(' ');
                            head.push_str(arg);
                            head
                        })
                    ),
                )
                .with_label("runs before the access check")
                .with_related(guard, "never checked for this request")
                .with_help(
                    "use `rewrite … break` to stay in this location, or put the same restriction on the location the request moves to",
                ),
            );
            break;
        }
    }
}

/// The directive that restricts the outside client at `location`.
fn guard(tree: &Tree<'_>, location: usize) -> Option<Span> {
    if let Some(list_node) = tree.effective_acl(location) {
        let list = tree.acl(list_node);
        if let Some(decider) = decide(list, CLIENT) {
            if !decider.allow {
                return Some(decider.entry.head_span());
            }
        }
    }
    tree.auth_in_effect(location).map(|entry| entry.head_span())
}

/// What the outside client gets because of `entry`, when it escapes the
/// restriction.
fn bypass(
    tree: &Tree<'_>,
    regexes: &LocationRegexes,
    server: usize,
    location: usize,
    entry: &Entry<'_>,
) -> Option<String> {
    if entry.is("return") {
        let code: u16 = entry.arg(0)?.parse().ok()?;
        return (code < 400).then(|| code.to_string());
    }
    if !entry.is("rewrite") {
        return None;
    }
    let target = entry.arg(1)?;
    match entry.arg(2).as_deref() {
        Some("redirect") => return Some("302".to_string()),
        Some("permanent") => return Some("301".to_string()),
        Some("break") => return None,
        _ => {}
    }
    if target.starts_with("http://") || target.starts_with("https://") {
        return Some("302".to_string());
    }
    let static_target: String = target
        .chars()
        .take_while(|c| !matches!(c, '$' | '?'))
        .collect();
    if !static_target.starts_with('/') || static_target.len() < target.len().min(2) {
        return None;
    }
    let selected = tree.select(server, &static_target, &|location: &Location<'_>| {
        regexes.location_matches(location, &static_target)
    })?;
    if selected == location || tree.is_within(selected, location) || guard(tree, selected).is_some()
    {
        return None;
    }
    Some(format!(
        "not refused ({static_target} is then served by a location without the restriction)"
    ))
}
