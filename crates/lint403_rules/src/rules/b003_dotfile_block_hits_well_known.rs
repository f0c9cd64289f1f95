//! ## What it does
//! Flags an nginx location that refuses dot-paths (`location ~ /\.` with
//! `deny all`, `return 403` or `return 404`) when nginx picks it for
//! `/.well-known/acme-challenge/t`: no `location ^~ /.well-known/` (or an
//! earlier regex for `.well-known`) takes that URI first.
//!
//! ## Why it causes 403
//! A regex location beats every plain prefix location, including
//! `location /.well-known/` without `^~`. The dotfile block then refuses
//! ACME HTTP-01 challenges (certificate renewal fails), `security.txt` and
//! app-link files with 403 (or 404 from a `return 404`, which breaks ACME
//! just as well).
//!
//! In nginx, lint403 recognises the dotfile shapes (`/\.`, `(^|/)\.`,
//! `/\.(?!ht)`…, without a `well-known` exception) and takes other
//! regexes as not matching the probe. In Apache httpd and IIS the probes
//! go through the tracer over the shared model: the rule reports the
//! line that refuses both a dotfile (`GET /.git/config`) and
//! `GET /.well-known/acme-challenge/t` but not `GET /index.html` — a
//! `RewriteRule "(^|/)\." - [F]`, a `<DirectoryMatch "/\.">` deny, an
//! IIS rewrite rule whose `CustomResponse` answers 403 to `(^|/)\.`.
//! (`<FilesMatch "^\.">` only sees the last segment, `t`, and does not
//! refuse the challenge.)
//!
//! ## Example
//! ```nginx
//! server {
//!     location ~ /\. {
//!         deny all;
//!     }
//! }
//! ```
//! `GET /.well-known/acme-challenge/t` → 403.
//!
//! ## Fix
//! ```nginx
//! server {
//!     location ^~ /.well-known/ {
//!         allow all;
//!     }
//!     location ~ /\. {
//!         deny all;
//!     }
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_core_module.html#location>
//! - RFC 8555 §8.3 (HTTP-01 challenge at `/.well-known/acme-challenge/`)

use lint403_core::{Code, Diagnostic, Dialect, Severity};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::nginx::{self, LocationKind};
use crate::walk::probe;
use crate::RuleContext;

pub const RULE: Rule = Rule {
    code: Code {
        code: "B003",
        name: "dotfile-block-hits-well-known",
        default_severity: Severity::Warning,
        summary: "a dotfile deny also refuses /.well-known/ (ACME, security.txt)",
        doc: "",
    },
    family: Family::Broad,
    dialects: &[Dialect::Nginx, Dialect::Apache, Dialect::Iis],
    likelihood: Likelihood::Common,
    fix: FixDifficulty::Trivial,
    source: include_str!("b003_dotfile_block_hits_well_known.rs"),
    check,
};

const PROBE: &str = "/.well-known/acme-challenge/t";

/// Pages no dotfile rule refuses: one with an extension and one without
/// (a rule that refuses extension-less names is an extension allow-list,
/// not a dotfile block).
const ORDINARY: &[&str] = &["/index.html", "/blog/2024/post"];

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(tree) = context.nginx_tree() else {
        traced(context, out);
        return;
    };
    for server in 0..tree.nodes.len() {
        // Only real server blocks: a fragment's includer may hold the
        // `.well-known` exception.
        if tree.server_block_of(server) != Some(server) {
            continue;
        }
        let matches = |location: &nginx::Location<'_>| {
            let pattern = &location.pattern;
            dotfile_regex(pattern) || pattern.contains("well-known") || pattern.contains("acme")
        };
        let Some(selected) = tree.select(server, PROBE, &matches) else {
            continue;
        };
        let Some(block) = tree.node(selected).block else {
            continue;
        };
        let Some((LocationKind::Regex, pattern)) = block.location() else {
            continue;
        };
        if !dotfile_regex(&pattern) {
            continue;
        }
        let refusal = tree
            .own(selected, &["return"])
            .find_map(|entry| {
                let code = entry.arg(0)?;
                (code == "403" || code == "404").then(|| (*entry, code.into_owned()))
            })
            .or_else(|| {
                let list = tree.acl(tree.effective_acl(selected)?);
                let client = std::net::IpAddr::from([203, 0, 113, 7]);
                nginx::decide(list, client)
                    .filter(|entry| !entry.allow)
                    .map(|entry| (entry.entry, "403".to_string()))
            });
        let Some((refusal, status)) = refusal else {
            continue;
        };
        out.push(
            Diagnostic::new(
                RULE.code,
                block.head_span(),
                format!(
                    "GET {PROBE} → {status}: `location ~ {pattern}` refuses every dot-path, the ACME HTTP-01 challenge and /.well-known/security.txt included"
                ),
            )
            .with_label("also matches /.well-known/")
            .with_related(refusal.head_span(), "the refusal")
            .with_help(
                "add `location ^~ /.well-known/ { allow all; }` (a plain prefix location loses to the regex), or exclude it: `location ~ /\\.(?!well-known)`",
            ),
        );
    }
}

/// Apache and IIS: a line that refuses a dotfile and the ACME challenge
/// alike, found by tracing both on every site.
fn traced(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(lowered) = context.lowered() else {
        return;
    };
    // Tracing is the expensive part: only where a refusal can hang on a
    // dotfile-shaped pattern.
    if !probe::refusal_patterns(&lowered.model)
        .into_iter()
        .any(dotfile_regex)
    {
        return;
    }
    let mut reported = Vec::new();
    for site in lowered.sites() {
        // Each path traced only when the answers before it leave the site
        // a candidate: most sites serve the ACME path, and then nothing
        // else is asked.
        let refused = |path: &str| {
            let verdict = lowered.trace(&lowered.request(site, path));
            if verdict.is_forbidden() {
                lowered.deciding(&verdict)
            } else {
                None
            }
        };
        let Some(deciding) = refused(PROBE) else {
            continue;
        };
        let Some(dotfile) = probe::DOTFILES
            .iter()
            .find(|path| refused(path) == Some(deciding))
        else {
            continue;
        };
        // A line that refuses ordinary pages too is a site-wide refusal
        // (B001's business), not a dotfile block.
        if ORDINARY.iter().any(|path| refused(path) == Some(deciding))
            || reported.contains(&deciding)
        {
            continue;
        }
        reported.push(deciding);
        let help = match context.config.dialect() {
            Dialect::Iis => {
                "put a rule for `^\\.well-known/` with `<action type=\"None\" />` and `stopProcessing=\"true\"` before it, or exclude it in the pattern: `(^|/)\\.(?!well-known)`"
            }
            _ => {
                "exempt it before the dotfile rule (`RewriteRule ^\\.well-known/ - [L]` ahead of the `[F]`), or exclude it in the pattern: `(^|/)\\.(?!well-known)`"
            }
        };
        out.push(
            Diagnostic::new(
                RULE.code,
                deciding,
                format!(
                    "GET {PROBE} → 403: the rule that refuses GET {dotfile} refuses the ACME HTTP-01 challenge (and /.well-known/) too"
                ),
            )
            .with_label("refuses /.well-known/ as well")
            .with_help(help),
        );
    }
}

/// A regex that matches any path segment starting with a dot.
fn dotfile_regex(pattern: &str) -> bool {
    if pattern.contains("well-known") {
        return false;
    }
    let mut search = 0;
    while let Some(found) = pattern[search..].find("\\.") {
        let at = search + found;
        let before = &pattern[..at];
        let rest = &pattern[at + 2..];
        search = at + 2;
        if !(before.ends_with('/') || before.ends_with('^') || before.ends_with(')')) {
            continue;
        }
        if before.ends_with(')') && !before.ends_with("(^|/)") && !before.ends_with("(/|^)") {
            continue;
        }
        // `/\.[^/]*$`: only a dot-name as the last segment.
        if rest.starts_with("[^/]") && rest.ends_with('$') {
            continue;
        }
        if rest.is_empty()
            || [
                "(?!", "[^", ".", "\\w", "[a-z", "[a-za-z", "[a-zA-Z", "[A-Za-z", "\\S", ")",
            ]
            .iter()
            .any(|start| rest.starts_with(start))
        {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::dotfile_regex;

    #[test]
    fn shapes() {
        assert!(dotfile_regex("/\\."));
        assert!(dotfile_regex("(^|/)\\."));
        assert!(dotfile_regex("/\\.(?!ht)"));
        assert!(!dotfile_regex("/\\.[^/]*$"));
        assert!(dotfile_regex("/\\.[^/]+/"));
        assert!(dotfile_regex("^/\\..*"));
        assert!(!dotfile_regex("/\\.ht"));
        assert!(!dotfile_regex("/\\.git"));
        assert!(!dotfile_regex("/\\.(?!well-known)"));
        assert!(!dotfile_regex("\\.php$"));
    }
}
