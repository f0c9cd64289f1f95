//! ## What it does
//! Flags a `~` (regular expression) entry of nginx `valid_referers` that
//! spells out the scheme (`http`, `https?`, `://`).
//!
//! ## Why it causes 403
//! nginx strips `http://` or `https://` from the Referer before it tries
//! the `~` entries: `~^https://good\.example/` is matched against
//! `good.example/page` and never matches. Every request from the site's
//! own pages then counts as an invalid referer, and the hotlink check
//! refuses it with 403.
//!
//! ## Example
//! ```nginx
//! server {
//!     valid_referers ~^https://good\.example/;
//!     if ($invalid_referer) {
//!         return 403;
//!     }
//! }
//! ```
//! `GET /` with `Referer: https://good.example/p` → 403.
//!
//! ## Fix
//! ```nginx
//! server {
//!     valid_referers ~^good\.example/;
//!     if ($invalid_referer) {
//!         return 403;
//!     }
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_referer_module.html>
//! - nginx source `ngx_http_referer_variable`: the scheme is skipped
//!   before the regexes run (observed 403 for both schemes in the research)

use lint403_core::{Code, Diagnostic, Dialect, Severity};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::RuleContext;

pub const RULE: Rule = Rule {
    code: Code {
        code: "R002",
        name: "referer-pattern-misses-own-site",
        default_severity: Severity::Error,
        summary: "a valid_referers regex that names the scheme can never match",
        doc: "",
    },
    family: Family::Referer,
    dialects: &[Dialect::Nginx],
    likelihood: Likelihood::Occasional,
    fix: FixDifficulty::Trivial,
    source: include_str!("r002_referer_pattern_misses_own_site.rs"),
    check,
};

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(tree) = context.nginx_tree() else {
        return;
    };
    for node in &tree.nodes {
        for entry in node.entries.iter().filter(|e| e.is("valid_referers")) {
            for (position, arg) in entry.args().iter().enumerate() {
                let Some(pattern) = arg.strip_prefix('~') else {
                    continue;
                };
                let Some(rest) = after_scheme(pattern) else {
                    continue;
                };
                let host = host_of(rest);
                let (referer, stripped) = if host.is_empty() {
                    (
                        "a Referer from the site itself".to_string(),
                        "the host and path".to_string(),
                    )
                } else {
                    (
                        format!("`Referer: https://{host}/p`"),
                        format!("`{host}/p`"),
                    )
                };
                out.push(
                    Diagnostic::new(
                        RULE.code,
                        entry.arg_span(position),
                        format!(
                            "GET / with {referer} → 403 where `$invalid_referer` refuses: nginx matches `~` entries against {stripped} (scheme stripped), so `{arg}` never matches"
                        ),
                    )
                    .with_label("names the scheme")
                    .with_help(if host.is_empty() {
                        "drop the scheme from the pattern: write `~^host\\.example/`".to_string()
                    } else {
                        format!("drop the scheme: `~^{}/`", host.replace('.', "\\."))
                    }),
                );
            }
        }
    }
}

/// The pattern after its scheme part, when it names one.
fn after_scheme(pattern: &str) -> Option<&str> {
    let lower = pattern.to_ascii_lowercase();
    for separator in ["://", ":\\/\\/", ":/+", ":\\/+"] {
        if let Some(at) = lower.find(separator) {
            if lower[..at].contains("http") || lower[..at].ends_with('s') || at < 12 {
                return pattern.get(at + separator.len()..);
            }
        }
    }
    let trimmed = lower.trim_start_matches(['^', '(']);
    trimmed.starts_with("http").then_some("")
}

/// The literal host at the start of a regex (`(www\.)?good\.example/`
/// gives `good.example`), or "" when it is not literal.
fn host_of(rest: &str) -> String {
    let rest = rest
        .trim_start_matches("(www\\.)?")
        .trim_start_matches("([^/]+\\.)?")
        .trim_start_matches("(.*\\.)?");
    let mut host = String::new();
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'.') => {
                host.push('.');
                chars.next();
            }
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' => host.push(c),
            _ => break,
        }
    }
    if host.contains('.') {
        host.to_ascii_lowercase()
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes() {
        assert_eq!(
            after_scheme("^https://good\\.example/"),
            Some("good\\.example/")
        );
        assert_eq!(after_scheme("^https?:\\/\\/good"), Some("good"));
        assert_eq!(after_scheme("^good\\.example/"), None);
        assert_eq!(after_scheme("(http|https)"), Some(""));
        assert_eq!(host_of("(www\\.)?good\\.example/"), "good.example");
        assert_eq!(host_of(".*"), "");
    }
}
