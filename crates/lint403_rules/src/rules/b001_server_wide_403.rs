//! ## What it does
//! Flags a URL Rewrite rule that refuses every request of a site (or of a
//! `<location>`): action `CustomResponse` with a 4xx `statusCode`, or
//! `AbortRequest`, on a catch-all pattern (`.*`, `(.*)`, `^`, `^(.*)$`, an
//! empty pattern, or `*` in Wildcard syntax), not negated, with no
//! conditions, and not preceded by an enabled rule that could end
//! processing first (a terminal action or `stopProcessing="true"`, the
//! usual "let these through" idiom).
//!
//! ## Why it causes 403
//! Every URL matches the pattern and nothing narrows it, so the rule
//! answers every request with its status: the home page, `robots.txt`,
//! `/.well-known/acme-challenge/…` (certificate renewal) included. The
//! action ends the request, so every rule after it is unreachable. Such a
//! rule is usually a leftover from maintenance, a condition lost in an
//! edit, or a deny meant for one folder written without its path.
//!
//! ## Example
//! ```xml
//! <configuration>
//!   <system.webServer>
//!     <rewrite>
//!       <rules>
//!         <rule name="Block bots" stopProcessing="true">
//!           <match url=".*" />
//!           <action type="CustomResponse" statusCode="403" statusReason="Forbidden" />
//!         </rule>
//!         <rule name="Front controller">
//!           <match url="^(.*)$" />
//!           <action type="Rewrite" url="index.php" />
//!         </rule>
//!       </rules>
//!     </rewrite>
//!   </system.webServer>
//! </configuration>
//! ```
//! `GET /.well-known/acme-challenge/t` → 403, and so does every other
//! request.
//!
//! ## Fix
//! Give the rule the condition it was meant to have:
//! ```xml
//! <configuration>
//!   <system.webServer>
//!     <rewrite>
//!       <rules>
//!         <rule name="Block bots" stopProcessing="true">
//!           <match url=".*" />
//!           <conditions>
//!             <add input="{HTTP_USER_AGENT}" pattern="BadBot" />
//!           </conditions>
//!           <action type="CustomResponse" statusCode="403" statusReason="Forbidden" />
//!         </rule>
//!         <rule name="Front controller">
//!           <match url="^(.*)$" />
//!           <action type="Rewrite" url="index.php" />
//!         </rule>
//!       </rules>
//!     </rewrite>
//!   </system.webServer>
//! </configuration>
//! ```
//!
//! ## References
//! - URL Rewrite rules, `CustomResponse`/`AbortRequest` actions,
//!   `stopProcessing`, `enabled`, Wildcard syntax:
//!   <https://learn.microsoft.com/iis/extensions/url-rewrite-module/url-rewrite-module-configuration-reference>
//! - Not run on IIS (IIS cannot run here). The nginx side of this rule is
//!   not implemented yet.

use lint403_core::{Code, Diagnostic, Dialect, Severity, Span};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::iis::{self, RewriteRule};
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "B001",
        name: "server-wide-403",
        default_severity: Severity::Error,
        summary: "an unconditional deny that refuses every request of a site",
        doc: "",
    },
    family: Family::Broad,
    dialects: &[Dialect::Iis],
    likelihood: Likelihood::Occasional,
    fix: FixDifficulty::Trivial,
    source: include_str!("b001_server_wide_403.rs"),
    check,
};

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Loaded::Iis(config) = context.config else {
        return;
    };
    iis::walk(config, |visit| {
        let name = visit.name();
        if !(name == "rules" && visit.path_ends_with("system.webServer/rewrite/rules")
            || name == "globalRules"
                && visit.path_ends_with("system.webServer/rewrite/globalRules"))
        {
            return;
        }
        // The rules of this list in order, after its own clear/remove.
        let mut rules: Vec<RewriteRule<'_>> = Vec::new();
        for child in visit.element.child_elements() {
            match child.name.local() {
                "clear" => rules.clear(),
                "remove" => {
                    let removed = child.attribute_value("name");
                    rules.retain(|rule| rule.name != removed);
                }
                "rule" => rules.push(RewriteRule::read(child)),
                _ => {}
            }
        }
        let rules: Vec<RewriteRule<'_>> = rules.into_iter().filter(|r| r.enabled).collect();
        for (index, rule) in rules.iter().enumerate() {
            if let Some(status) = refuses_everything(rule) {
                let Some(url) = rule.url else {
                    return;
                };
                let prefix = visit.url_prefix();
                let probe = if prefix == "/" {
                    "/.well-known/acme-challenge/t".to_owned()
                } else {
                    format!("{prefix}index.html")
                };
                let who = rule
                    .name
                    .map_or_else(String::new, |n| format!("rule `{n}` "));
                let mut diagnostic = Diagnostic::new(
                    RULE.code,
                    Span::new(visit.file, url.value_range),
                    format!(
                        "{who}matches every URL with no condition: GET {probe} → {status}, and every other request under {prefix} too"
                    ),
                )
                .with_label("catch-all pattern")
                .with_help(
                    "add the condition the block was meant for (a `<conditions>` input such as {HTTP_USER_AGENT} or {REMOTE_ADDR}), or narrow the pattern to the paths to refuse",
                );
                if let Some(action) = rule.action {
                    diagnostic = diagnostic.with_related(
                        Span::new(visit.file, action.start_tag),
                        format!("ends every request with {status}"),
                    );
                }
                if let Some(next) = rules.get(index + 1) {
                    diagnostic = diagnostic.with_related(
                        Span::new(visit.file, next.element.start_tag),
                        "never reached",
                    );
                }
                out.push(diagnostic);
                return;
            }
            if rule.stop_processing || rule.is_terminal() {
                // Some requests may leave here before a later catch-all.
                return;
            }
        }
    });
}

/// The status a rule gives every request, when it matches every URL with
/// no condition and refuses it.
fn refuses_everything(rule: &RewriteRule<'_>) -> Option<String> {
    let url = rule.url?;
    if rule.negate || !rule.conditions.is_empty() || !is_catch_all(rule, &url.value) {
        return None;
    }
    let action = rule.action?;
    let kind = rule.action_type()?;
    if kind.eq_ignore_ascii_case("AbortRequest") {
        return Some("connection reset (no response)".to_owned());
    }
    if !kind.eq_ignore_ascii_case("CustomResponse") {
        return None;
    }
    let code: u16 = action.attribute_value("statusCode")?.trim().parse().ok()?;
    if !(400..500).contains(&code) {
        return None;
    }
    let sub = action
        .attribute_value("subStatusCode")
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "0");
    Some(match sub {
        Some(sub) => format!("{code}.{sub}"),
        None => code.to_string(),
    })
}

fn is_catch_all(rule: &RewriteRule<'_>, pattern: &str) -> bool {
    let pattern = pattern.trim();
    if rule.syntax_is("Wildcard") {
        return pattern == "*";
    }
    if rule.syntax_is("ExactMatch") {
        return false;
    }
    matches!(
        pattern,
        "" | ".*" | "(.*)" | "^" | "^.*" | "^(.*)" | ".*$" | "^.*$" | "^(.*)$" | "(.*)$"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(rules: &str) -> usize {
        iis::run_check(
            check,
            &format!("<configuration><system.webServer><rewrite><rules>{rules}</rules></rewrite></system.webServer></configuration>"),
        )
        .len()
    }

    #[test]
    fn catch_all() {
        let deny = r#"<rule name="d"><match url=".*"/><action type="CustomResponse" statusCode="403"/></rule>"#;
        assert_eq!(run(deny), 1);
        assert_eq!(
            run(
                r#"<rule name="d" patternSyntax="Wildcard"><match url="*"/><action type="AbortRequest"/></rule>"#
            ),
            1
        );
        assert_eq!(
            run(
                r#"<rule name="d"><match url=".*"/><action type="CustomResponse" statusCode="503"/></rule>"#
            ),
            0
        );
        assert_eq!(
            run(
                r#"<rule name="d"><match url=".*"/><conditions><add input="{HTTP_HOST}" pattern="^old\."/></conditions><action type="CustomResponse" statusCode="403"/></rule>"#
            ),
            0
        );
        assert_eq!(
            run(
                r#"<rule name="d"><match url=".*" negate="true"/><action type="CustomResponse" statusCode="403"/></rule>"#
            ),
            0
        );
        assert_eq!(
            run(
                r#"<rule name="d" enabled="false"><match url=".*"/><action type="CustomResponse" statusCode="403"/></rule>"#
            ),
            0
        );
        let whitelist = r#"<rule name="ok" stopProcessing="true"><match url="^index\.php$"/><action type="None"/></rule>"#;
        assert_eq!(run(&format!("{whitelist}{deny}")), 0);
        let rewrite = r#"<rule name="rw"><match url="^old/(.*)"/><action type="Rewrite" url="new/{R:1}"/></rule>"#;
        assert_eq!(run(&format!("{rewrite}{deny}")), 1);
    }
}
