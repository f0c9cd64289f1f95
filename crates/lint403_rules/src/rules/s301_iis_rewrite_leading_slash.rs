//! ## What it does
//! Flags a URL Rewrite rule in `system.webServer/rewrite/rules` (a
//! "distributed" rule, set in a web.config or for a site) whose
//! `<match url="…">` pattern requires a leading slash: `^/admin` in
//! ECMAScript syntax, `/admin/*` in Wildcard syntax, `/admin` as
//! `ExactMatch`.
//!
//! ## Why it causes 403
//! URL Rewrite gives distributed rules the URL path relative to the folder
//! of the web.config (or of the `<location>`), with no leading slash and
//! no query string: `GET /admin/users?id=1` is matched as `admin/users`.
//! A pattern that starts with `/` therefore never matches. A deny written
//! this way (`CustomResponse` 403, `AbortRequest`) silently refuses nothing;
//! an allow-list or a "let these through" rule written this way never lets
//! anything through, so the deny after it refuses what it was meant to
//! spare. Negated (`negate="true"`), the pattern is true for every URL and
//! the rule runs on every request.
//!
//! Only `<globalRules>` (applicationHost.config) see the path with its
//! leading slash; they are not flagged. A disabled rule (`enabled="false"`)
//! is reported as info: files often ship such rules disabled and tell the
//! reader to enable them.
//!
//! ## Example
//! ```xml
//! <configuration>
//!   <system.webServer>
//!     <rewrite>
//!       <rules>
//!         <rule name="Block admin" stopProcessing="true">
//!           <match url="^/admin" />
//!           <action type="CustomResponse" statusCode="403" />
//!         </rule>
//!       </rules>
//!     </rewrite>
//!   </system.webServer>
//! </configuration>
//! ```
//! `GET /admin/` → not blocked by this rule.
//!
//! ## Fix
//! Drop the slash (or make it optional with `^/?`):
//! ```xml
//! <configuration>
//!   <system.webServer>
//!     <rewrite>
//!       <rules>
//!         <rule name="Block admin" stopProcessing="true">
//!           <match url="^admin" />
//!           <action type="CustomResponse" statusCode="403" />
//!         </rule>
//!       </rules>
//!     </rewrite>
//!   </system.webServer>
//! </configuration>
//! ```
//!
//! ## References
//! - "the URL path … without the leading slash" and the
//!   `content/default.aspx` example, distributed vs global rules:
//!   <https://learn.microsoft.com/iis/extensions/url-rewrite-module/url-rewrite-module-configuration-reference>
//! - Not run on IIS (IIS cannot run here).

use lint403_core::{Code, Diagnostic, Dialect, Severity, Span};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::iis::{self, RewriteRule};
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "S301",
        name: "iis-rewrite-leading-slash",
        default_severity: Severity::Warning,
        summary: "a distributed URL Rewrite pattern that starts with `/` never matches",
        doc: "",
    },
    family: Family::Scope,
    dialects: &[Dialect::Iis],
    likelihood: Likelihood::Common,
    fix: FixDifficulty::Trivial,
    source: include_str!("s301_iis_rewrite_leading_slash.rs"),
    check,
};

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Loaded::Iis(_) = context.config else {
        return;
    };
    iis::walk(context, |visit| {
        if visit.name() != "rule" || !visit.path_ends_with("system.webServer/rewrite/rules/rule") {
            return;
        }
        let rule = RewriteRule::read(visit.element);
        let Some(url) = rule.url else {
            return;
        };
        let Some(rest) = slash_rest(&rule, &url.value) else {
            return;
        };
        // The path a distributed rule sees is relative to the folder (or
        // `<location>`) of its configuration.
        let group = rest
            .strip_prefix("(?:")
            .or_else(|| rest.strip_prefix('('))
            .unwrap_or(rest);
        let relative = literal_prefix(group, &rule);
        let sample = format!("{}{relative}", visit.url_prefix());
        let blocks = rule.is_terminal()
            && rule
                .action_type()
                .is_some_and(|t| !t.eq_ignore_ascii_case("Redirect"));
        let message = if rule.negate {
            format!(
                "negated `{}` is true for every URL: distributed rules see the path without its leading slash (GET {sample} is matched as `{relative}`), so this rule runs on every request",
                url.value
            )
        } else if blocks {
            format!(
                "`{}` never matches: distributed rules see the path without its leading slash (GET {sample} is matched as `{relative}`), so GET {sample} is not blocked by this rule",
                url.value
            )
        } else {
            format!(
                "`{}` never matches: distributed rules see the path without its leading slash (GET {sample} is matched as `{relative}`), so this rule never runs for GET {sample}",
                url.value
            )
        };
        let fixed = fixed_pattern(&rule, &url.value);
        let mut diagnostic =
            Diagnostic::new(RULE.code, Span::new(visit.file, url.value_range), message)
                .with_label("leading `/` never present")
                .with_help(format!(
                    "write `url=\"{fixed}\"` (the `/` belongs only in globalRules)"
                ));
        if !rule.enabled {
            // Disabled now, but files tell users to enable such rules.
            diagnostic
                .message
                .push_str(" (the rule is disabled; enabled, it would still never match)");
            diagnostic = diagnostic.with_severity(Severity::Info);
        }
        out.push(diagnostic);
    });
}

/// The pattern after its leading slash, when the syntax makes the slash
/// mandatory at the start.
fn slash_rest<'p>(rule: &RewriteRule<'_>, pattern: &'p str) -> Option<&'p str> {
    if rule.syntax_is("Wildcard") || rule.syntax_is("ExactMatch") {
        return pattern.strip_prefix('/');
    }
    let rest = pattern
        .strip_prefix("^/")
        .or_else(|| pattern.strip_prefix("^\\/"))?;
    // `^/?x`, `^/*x`, `^/{0,1}x` make the slash optional.
    if rest.starts_with(['?', '*', '{']) {
        return None;
    }
    // A top-level alternative (`^/a|b`) may match without the slash.
    if has_top_level_bar(pattern) {
        return None;
    }
    Some(rest)
}

fn has_top_level_bar(pattern: &str) -> bool {
    let mut depth = 0usize;
    let mut class = false;
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '[' => class = true,
            ']' => class = false,
            '(' if !class => depth += 1,
            ')' if !class => depth = depth.saturating_sub(1),
            '|' if !class && depth == 0 => return true,
            _ => {}
        }
    }
    false
}

/// The literal text a matching path would start with (`admin/x` for
/// `admin/x(.*)`), for the example request.
fn literal_prefix(rest: &str, rule: &RewriteRule<'_>) -> String {
    let mut literal = String::new();
    let mut chars = rest.chars().peekable();
    let wildcard = rule.syntax_is("Wildcard");
    while let Some(c) = chars.next() {
        match c {
            '\\' if !wildcard => match chars.next() {
                Some(escaped @ ('.' | '/' | '-' | '_')) => literal.push(escaped),
                _ => break,
            },
            c if c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_') => {
                // A quantifier after it makes this character optional.
                if !wildcard && chars.peek().is_some_and(|n| matches!(n, '?' | '*' | '{')) {
                    break;
                }
                literal.push(c);
            }
            '.' if wildcard || rule.syntax_is("ExactMatch") => literal.push('.'),
            _ => break,
        }
    }
    literal
}

fn fixed_pattern(rule: &RewriteRule<'_>, pattern: &str) -> String {
    if rule.syntax_is("Wildcard") || rule.syntax_is("ExactMatch") {
        return pattern.trim_start_matches('/').to_owned();
    }
    pattern
        .strip_prefix("^\\/")
        .or_else(|| pattern.strip_prefix("^/"))
        .map_or_else(|| pattern.to_owned(), |rest| format!("^{rest}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(rule: &str) -> Vec<Diagnostic> {
        iis::run_check(
            check,
            &format!("<configuration><system.webServer><rewrite><rules>{rule}</rules></rewrite></system.webServer></configuration>"),
        )
    }

    #[test]
    fn patterns() {
        assert_eq!(
            run(r#"<rule name="a"><match url="^/admin"/><action type="AbortRequest"/></rule>"#)
                .len(),
            1
        );
        assert_eq!(
            run(r#"<rule name="a"><match url="^\/admin\/(.*)"/><action type="None"/></rule>"#)
                .len(),
            1
        );
        assert_eq!(
            run(r#"<rule name="a"><match url="^/?admin"/><action type="AbortRequest"/></rule>"#)
                .len(),
            0
        );
        assert_eq!(run(r#"<rule name="a"><match url="^/admin|^admin"/><action type="AbortRequest"/></rule>"#).len(), 0);
        assert_eq!(
            run(r#"<rule name="a"><match url="^admin"/><action type="AbortRequest"/></rule>"#)
                .len(),
            0
        );
        assert_eq!(run(r#"<rule name="a" patternSyntax="Wildcard"><match url="/admin/*"/><action type="AbortRequest"/></rule>"#).len(), 1);
        let disabled = run(
            r#"<rule name="a" enabled="false"><match url="^/admin"/><action type="AbortRequest"/></rule>"#,
        );
        assert_eq!(disabled[0].severity, Severity::Info);
        let group = run(
            r#"<rule name="a"><match url="^/(typo3temp|fileadmin)$"/><action type="None"/></rule>"#,
        );
        assert!(
            group[0].message.contains("GET /typo3temp is matched"),
            "{}",
            group[0].message
        );
        let found = run(
            r#"<rule name="a"><match url="^/wp-admin/(.*)"/><action type="CustomResponse" statusCode="403"/></rule>"#,
        );
        assert!(
            found[0]
                .message
                .contains("GET /wp-admin/ is matched as `wp-admin/`"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn global_rules_keep_the_slash() {
        let text = r#"<configuration><system.webServer><rewrite><globalRules><rule name="a"><match url="^/admin"/><action type="AbortRequest"/></rule></globalRules></rewrite></system.webServer></configuration>"#;
        assert!(iis::run_check(check, text).is_empty());
    }
}
