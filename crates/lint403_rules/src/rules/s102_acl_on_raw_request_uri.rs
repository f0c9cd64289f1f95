//! ## What it does
//! Flags an `if` that refuses requests (`return 403`, `404`, `444`) by
//! testing `$request_uri` against a pattern.
//!
//! ## Why it causes 403
//! `$request_uri` is the URI exactly as the client sent it: not
//! percent-decoded, `//` not merged, `.`/`..` not resolved. nginx selects
//! locations and serves files by the normalized URI, so `/%73ecret` and
//! `//secret` reach the same file as `/secret` while the test against the
//! raw text fails: the refusal meant for `/secret` lets those spellings
//! through (observed on nginx 1.22.1).
//!
//! ## Example
//! ```nginx
//! server {
//!     listen 80;
//!     if ($request_uri ~ ^/secret) {
//!         return 403;
//!     }
//! }
//! ```
//! `GET /%73ecret` → 200: the raw text does not start with `/secret`.
//!
//! ## Fix
//! Decide on the normalized URI, with a location:
//! ```nginx
//! server {
//!     listen 80;
//!     location /secret {
//!         return 403;
//!     }
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_core_module.html#var_request_uri>
//!   ("full original request URI (with arguments)")
//! - <https://nginx.org/en/docs/http/ngx_http_core_module.html#var_uri>
//!   (`$uri` is normalized; locations match it)

use lint403_core::{Code, Diagnostic, Dialect, Severity};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::RuleContext;

pub const RULE: Rule = Rule {
    code: Code {
        code: "S102",
        name: "acl-on-raw-request-uri",
        default_severity: Severity::Warning,
        summary:
            "a refusal decided on the raw $request_uri, which other spellings of the path skip",
        doc: "",
    },
    family: Family::Scope,
    dialects: &[Dialect::Nginx],
    likelihood: Likelihood::Occasional,
    fix: FixDifficulty::Moderate,
    source: include_str!("s102_acl_on_raw_request_uri.rs"),
    check,
};

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(tree) = context.nginx_tree() else {
        return;
    };
    for node in &tree.nodes {
        for entry in &node.entries {
            if !entry.is("if") {
                continue;
            }
            let args = entry.args();
            let Some(variable) = args.first() else {
                continue;
            };
            let variable = variable.trim_start_matches('(');
            if variable != "$request_uri" {
                continue;
            }
            // `!~` refuses what does not match: other spellings are then
            // refused too, not let through.
            let Some(operator) = args.get(1).map(|op| op.trim_end_matches(')')) else {
                continue;
            };
            if !matches!(operator, "~" | "~*" | "=") {
                continue;
            }
            let pattern = args
                .get(2)
                .map(|pattern| pattern.trim_end_matches(')').to_string())
                .unwrap_or_default();
            let Some(child) = entry.child() else {
                continue;
            };
            let Some(refusal) = tree.own(child, &["return"]).find(|r| {
                r.arg(0)
                    .and_then(|code| code.parse::<u16>().ok())
                    .is_some_and(|code| matches!(code, 403 | 404 | 444))
            }) else {
                continue;
            };
            let Some(spelling) = other_spelling(&pattern) else {
                continue;
            };
            out.push(
                Diagnostic::new(
                    RULE.code,
                    entry.head_span(),
                    format!(
                        "GET {spelling} is not refused: `$request_uri` is the raw request text, and `{spelling}` names the same file without matching `{pattern}`"
                    ),
                )
                .with_label("tests the raw, undecoded URI")
                .with_related(refusal.head_span(), "never reached for other spellings")
                .with_help(
                    "refuse in a `location` (it matches the decoded, normalized `$uri`), or test `$uri` instead of `$request_uri`",
                ),
            );
        }
    }
}

/// A spelling of a path the pattern matches that the raw-text test
/// misses: the path's first letter percent-encoded (else a doubled slash).
/// Only offered when the pattern really matches the plain path and not the
/// other spelling, so quantifiers and classes cannot mislead it.
fn other_spelling(pattern: &str) -> Option<String> {
    let regex = regex::Regex::new(pattern).ok()?;
    let anchored = pattern.strip_prefix('^').unwrap_or(pattern);
    let literal: String = anchored
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_'))
        .collect();
    let rest = literal.strip_prefix('/')?;
    let mut chars = rest.chars();
    let spelling = match chars.next() {
        Some(first) if first.is_ascii_alphanumeric() => {
            format!("/%{:02X}{}", u32::from(first), chars.as_str())
        }
        _ => format!("/{literal}"),
    };
    (regex.is_match(&literal) && !regex.is_match(&spelling)).then_some(spelling)
}

#[cfg(test)]
mod tests {
    use super::other_spelling;

    #[test]
    fn spellings() {
        assert_eq!(other_spelling("^/secret").as_deref(), Some("/%73ecret"));
        assert_eq!(other_spelling("^/admin/").as_deref(), Some("/%61dmin/"));
        assert_eq!(other_spelling("^//x").as_deref(), Some("///x"));
        assert_eq!(other_spelling("\\.php$"), None);
        assert_eq!(other_spelling("^/x{3}"), None);
        assert_eq!(other_spelling("^/a+dmin"), None);
    }
}
