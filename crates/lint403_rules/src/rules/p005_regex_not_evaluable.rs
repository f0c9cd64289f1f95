//! ## What it does
//! Reports a regex `location` whose pattern lint403 cannot run: neither
//! Rust's `regex` nor `fancy-regex` (look-around, back-references, atomic
//! groups) compiles it, because it uses PCRE-only syntax such as branch
//! reset `(?|…)` or recursion `(?R)`.
//!
//! ## Why it causes 403
//! It does not by itself. But the rules that trace requests through
//! nginx's location selection (which location decides `GET /admin/x.php`,
//! what a dotfile block also takes) cannot tell what this location matches,
//! so they treat it as matching nothing and may miss a 403 it answers.
//! This finding says so instead of guessing.
//!
//! ## Example
//! ```nginx
//! server {
//!     listen 80;
//!     location ~ ^/(?|img|static)/private/ {
//!         deny all;
//!     }
//! }
//! ```
//! nginx (PCRE) accepts the branch reset; lint403 cannot evaluate it.
//!
//! ## Fix
//! Nothing is wrong for nginx. Where the PCRE feature is not needed, an
//! equivalent pattern lets lint403 check the location too:
//! ```nginx
//! server {
//!     listen 80;
//!     location ~ ^/(img|static)/private/ {
//!         deny all;
//!     }
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_core_module.html#location> (regexes are PCRE)
//! - <https://docs.rs/regex>, <https://docs.rs/fancy-regex> (what lint403 runs)

use lint403_core::{Code, Diagnostic, Dialect, Severity};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::nginx::LocationKind;
use crate::RuleContext;

pub const RULE: Rule = Rule {
    code: Code {
        code: "P005",
        name: "regex-not-evaluable",
        default_severity: Severity::Info,
        summary: "a pattern lint403 cannot run, so rules that need it do not guess",
        doc: "",
    },
    family: Family::Parse,
    dialects: &[Dialect::Nginx],
    likelihood: Likelihood::Rare,
    fix: FixDifficulty::Moderate,
    source: include_str!("p005_regex_not_evaluable.rs"),
    check,
};

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let (Some(tree), Some(regexes)) = (context.nginx_tree(), context.nginx_location_regexes())
    else {
        return;
    };
    for node in &tree.nodes {
        for entry in &node.entries {
            let Some((LocationKind::Regex, pattern)) = entry.location() else {
                continue;
            };
            let Some(reason) = regexes.unsupported(&pattern, entry.is_case_insensitive_regex())
            else {
                continue;
            };
            let last = entry.directive.args.len().saturating_sub(1);
            out.push(
                Diagnostic::new(
                    RULE.code,
                    entry.arg_span(last),
                    format!(
                        "lint403 cannot run `{pattern}` ({reason}): requests this location takes are not traced, so findings that depend on it may be missing"
                    ),
                )
                .with_label("PCRE-only syntax")
                .with_help(
                    "nothing to fix for nginx; an equivalent pattern without the PCRE-only construct lets lint403 check this location",
                ),
            );
        }
    }
}
