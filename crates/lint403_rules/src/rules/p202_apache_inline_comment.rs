//! ## What it does
//! Flags a `# …` written after a directive on the same line.
//!
//! ## Why it causes 403
//! httpd only treats a line as a comment when it *starts* with `#`. After
//! a directive, `#` and the words after it are more arguments. What
//! happens then depends on the directive:
//! - most directives refuse the extra words: httpd does not start, and in a
//!   `.htaccess` every request below it answers 500
//!   (`Require all granted # public` → "Argument for 'Require all' must be
//!   'granted' or 'denied'"; `Options -Indexes # x`; `AuthType Basic # x`);
//! - some take them silently and change meaning: `Require env ok # x`
//!   also grants requests where a variable named `#` or `x` is set,
//!   `Require user alice # x` admits users named `#` and `x`,
//!   `SetEnvIf Referer … ok # x` sets variables `#` and `x`,
//!   `DirectoryIndex index.php # x` makes `#` and `x` index names (a
//!   directory with a file `x` serves it instead of answering 403).
//!
//! The rule reports the silent cases as errors and the refused ones as
//! warnings. It stays quiet where httpd ignores the words
//! (`RewriteEngine On # x`, words after a `RewriteRule`'s flags).
//!
//! ## Example
//! ```htaccess
//! Require all granted # public area
//! ```
//! Every request below this `.htaccess` answers 500.
//!
//! ## Fix
//! Move the comment to a line of its own:
//! ```htaccess
//! # public area
//! Require all granted
//! ```
//!
//! ## References
//! - <https://httpd.apache.org/docs/2.4/configuring.html#syntax> ("Comments
//!   may not be included on the same line as a configuration directive")
//! - `Require host … # x` is accepted with warning AH10121 since 2.4.32
//!   (httpd CHANGES); the other behaviours were checked with `apache2 -t`
//!   on httpd 2.4.

use lint403_core::{Code, Diagnostic, Dialect, Severity, Span, TextRange};

use lint403_apache::syntax::Quote;

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::apache;
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "P202",
        name: "apache-inline-comment",
        default_severity: Severity::Error,
        summary: "a `# …` after a directive is more arguments, not a comment",
        doc: "",
    },
    family: Family::Parse,
    dialects: &[Dialect::Apache],
    likelihood: Likelihood::Common,
    fix: FixDifficulty::Trivial,
    source: include_str!("p202_apache_inline_comment.rs"),
    check,
};

/// What httpd does with the extra words.
enum Effect {
    /// Taken silently, with this meaning.
    Silent(String),
    /// Accepted; the comment is stripped with a warning.
    Stripped,
    /// Refused: startup fails, or 500 in a `.htaccess`.
    Refused,
    /// A directive lint403 does not know the argument handling of.
    Unknown,
}

/// Directives that refuse extra words (checked with `apache2 -t`).
const REFUSING: &[&str] = &[
    "Options",
    "AllowOverride",
    "Header",
    "RequestHeader",
    "ErrorDocument",
    "Redirect",
    "RedirectMatch",
    "RedirectPermanent",
    "RedirectTemp",
    "AuthType",
    "AuthName",
    "AuthUserFile",
    "AuthGroupFile",
    "Satisfy",
    "Order",
    "Allow",
    "Deny",
    "FallbackResource",
    "RewriteRule",
    "RewriteCond",
    "RewriteBase",
    "DocumentRoot",
    "ForceType",
    "SetHandler",
];

/// Directives whose FLAG argument ignores further words.
const FLAGS: &[&str] = &[
    "RewriteEngine",
    "ContentDigest",
    "ProxyRequests",
    "ProxyPreserveHost",
    "AuthzSendForbiddenOnFailure",
    "DirectorySlash",
];

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Loaded::Apache(config) = context.config else {
        return;
    };
    apache::directives(config, context.sources, |visit, directive| {
        let text = visit.text;
        let Some(hash) = directive
            .args
            .iter()
            .position(|word| word.quote == Quote::None && word.raw_text(text).starts_with('#'))
        else {
            return;
        };
        let name = directive.name(text);
        let args: Vec<&str> = directive.arg_values(text).collect();
        let Some(effect) = effect(name, &args, hash) else {
            return;
        };
        let extra: Vec<String> = args
            .get(hash..)
            .unwrap_or_default()
            .iter()
            .map(|word| format!("`{word}`"))
            .collect();
        let extra = extra.join(", ");
        let start = directive.args.get(hash).map_or(0, |word| word.raw().start);
        let end = directive.args_range().end.max(start);
        let span = Span::new(visit.file, TextRange::new(start, end));
        let (message, severity, label) = match effect {
            Effect::Silent(meaning) => (
                format!("`{name}` takes the trailing comment as arguments: {meaning}"),
                Severity::Error,
                "more arguments, not a comment",
            ),
            Effect::Stripped => (
                format!("httpd strips this trailing comment from `{name}` with warning AH10121 (2.4.32+); older versions take {extra} as host names"),
                Severity::Warning,
                "not a comment in httpd",
            ),
            Effect::Unknown => (
                format!("`{name}` gets {extra} as arguments, not a comment: depending on the directive httpd refuses the line or uses the words as values"),
                Severity::Warning,
                "not a comment in httpd",
            ),
            Effect::Refused => (
                if visit.in_htaccess() {
                    format!("`{name}` gets {extra} as arguments: httpd refuses the line, so every request below this .htaccess answers 500")
                } else {
                    format!("`{name}` gets {extra} as arguments: httpd refuses the line and does not start")
                },
                Severity::Warning,
                "not a comment in httpd",
            ),
        };
        out.push(
            Diagnostic::new(RULE.code, span, message)
                .with_severity(severity)
                .with_label(label)
                .with_help("move the comment to a line of its own above the directive"),
        );
    });
}

/// What the words from `args[hash]` on do to directive `name`; `None`
/// where httpd ignores them.
fn effect(name: &str, args: &[&str], hash: usize) -> Option<Effect> {
    let is = |other: &str| name.eq_ignore_ascii_case(other);
    let extra = args.get(hash..).unwrap_or_default();
    let list = extra
        .iter()
        .map(|word| format!("`{word}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if FLAGS.iter().any(|flag| is(flag)) && hash >= 1 {
        return None;
    }
    if is("RewriteRule") && hash >= 3 {
        return None;
    }
    if is("Require") {
        let provider = args.first().map(|word| word.to_ascii_lowercase());
        let (negated, provider) = match provider.as_deref() {
            Some("not") => (true, args.get(1).map(|word| word.to_ascii_lowercase())),
            other => (false, other.map(str::to_string)),
        };
        let verb = if negated {
            "also refuses"
        } else {
            "also grants"
        };
        return Some(match provider.as_deref() {
            Some("env") => Effect::Silent(format!(
                "it {verb} requests where an environment variable named {list} is set"
            )),
            Some("user") => Effect::Silent(format!("it {verb} users named {list}")),
            Some("group") => Effect::Silent(format!("it {verb} members of groups named {list}")),
            Some("host" | "forward-dns") => Effect::Stripped,
            Some("local" | "valid-user") => return None,
            _ => Effect::Refused,
        });
    }
    if [
        "SetEnvIf",
        "SetEnvIfNoCase",
        "BrowserMatch",
        "BrowserMatchNoCase",
    ]
    .iter()
    .any(|known| is(known))
    {
        return Some(Effect::Silent(format!("it also sets variables {list}")));
    }
    if is("DirectoryIndex") {
        return Some(Effect::Silent(format!(
            "httpd also looks for index files named {list}"
        )));
    }
    if REFUSING.iter().any(|known| is(known)) {
        return Some(Effect::Refused);
    }
    Some(Effect::Unknown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effects() {
        assert!(matches!(
            effect("Require", &["env", "ok", "#", "x"], 2),
            Some(Effect::Silent(_))
        ));
        assert!(matches!(
            effect("require", &["all", "granted", "#"], 2),
            Some(Effect::Refused)
        ));
        assert!(matches!(
            effect("Require", &["host", "example.com", "#"], 2),
            Some(Effect::Stripped)
        ));
        assert!(effect("RewriteEngine", &["On", "#", "x"], 1).is_none());
        assert!(effect("RewriteRule", &["^a$", "/b", "[L]", "#"], 3).is_none());
        assert!(matches!(
            effect("RewriteRule", &["^a$", "/b", "#"], 2),
            Some(Effect::Refused)
        ));
        assert!(matches!(
            effect("AddType", &["text/html", ".x", "#"], 2),
            Some(Effect::Unknown)
        ));
        assert!(matches!(
            effect("DirectoryIndex", &["index.php", "#", "x"], 1),
            Some(Effect::Silent(_))
        ));
    }
}
