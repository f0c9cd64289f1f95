//! ## What it does
//! Flags a URL Rewrite rule that can never run because an earlier enabled
//! rule in the same `<rules>` (or `<globalRules>`) list matches every URL
//! with no condition and then ends processing: `stopProcessing="true"`, or
//! a `Redirect` / `CustomResponse` / `AbortRequest` action.
//!
//! ## Why it causes 403
//! URL Rewrite evaluates the rules of a list in order; a rule whose
//! action ends the request, or that carries `stopProcessing`, stops the
//! rules after it. When such a rule matches every URL unconditionally,
//! nothing after it ever runs: a deny rule placed after it never refuses
//! anything (the intended 403 does not happen), and an allow or rewrite
//! rule placed after it never lets anything through — the request gets
//! whatever the catch-all does. Catch-alls that refuse every request
//! (`CustomResponse` 4xx, `AbortRequest`) are reported by B001 instead.
//!
//! Rules inherited from parent levels, and the rules of a `<location>`'s
//! own list, are not compared across files or lists.
//!
//! ## Example
//! ```xml
//! <configuration>
//!   <system.webServer>
//!     <rewrite>
//!       <rules>
//!         <rule name="Front controller" stopProcessing="true">
//!           <match url="(.*)" />
//!           <action type="Rewrite" url="index.php" />
//!         </rule>
//!         <rule name="Block backups" stopProcessing="true">
//!           <match url="\.bak$" />
//!           <action type="CustomResponse" statusCode="403" />
//!         </rule>
//!       </rules>
//!     </rewrite>
//!   </system.webServer>
//! </configuration>
//! ```
//! `GET /db.bak` → rewritten to `index.php`, never refused: the block rule
//! never runs.
//!
//! ## Fix
//! Put the specific rules first, or give the catch-all its conditions:
//! ```xml
//! <configuration>
//!   <system.webServer>
//!     <rewrite>
//!       <rules>
//!         <rule name="Block backups" stopProcessing="true">
//!           <match url="\.bak$" />
//!           <action type="CustomResponse" statusCode="403" />
//!         </rule>
//!         <rule name="Front controller" stopProcessing="true">
//!           <match url="(.*)" />
//!           <conditions>
//!             <add input="{REQUEST_FILENAME}" matchType="IsFile" negate="true" />
//!           </conditions>
//!           <action type="Rewrite" url="index.php" />
//!         </rule>
//!       </rules>
//!     </rewrite>
//!   </system.webServer>
//! </configuration>
//! ```
//!
//! ## References
//! - Rule evaluation order, `stopProcessing`, terminal actions:
//!   <https://learn.microsoft.com/iis/extensions/url-rewrite-module/url-rewrite-module-configuration-reference>
//! - Not run on IIS (IIS cannot run here).

use lint403_core::{Code, Diagnostic, Dialect, Severity, Span};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::iis::{self, RewriteRule};
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "B302",
        name: "iis-rewrite-unreachable",
        default_severity: Severity::Warning,
        summary: "a rewrite rule after an unconditional catch-all that ends processing never runs",
        doc: "",
    },
    family: Family::Broad,
    dialects: &[Dialect::Iis],
    likelihood: Likelihood::Occasional,
    fix: FixDifficulty::Trivial,
    source: include_str!("b302_iis_rewrite_unreachable.rs"),
    check,
};

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Loaded::Iis(_) = context.config else {
        return;
    };
    iis::walk(context, |visit| {
        if !visit.is_rewrite_rule_list() {
            return;
        }
        let rules = iis::enabled_rules(visit.element);
        let Some(index) = rules.iter().position(ends_every_request) else {
            return;
        };
        let catch_all = &rules[index];
        if refuses(catch_all) {
            // B001 reports a catch-all that refuses everything.
            return;
        }
        let what = match catch_all.action_type() {
            Some(t) if t.eq_ignore_ascii_case("Redirect") => "redirects every request".to_owned(),
            Some(t) if t.eq_ignore_ascii_case("CustomResponse") => {
                let code = catch_all
                    .action
                    .and_then(|a| a.attribute_value("statusCode"))
                    .unwrap_or("?");
                format!("answers every request with {code}")
            }
            Some(t) if t.eq_ignore_ascii_case("Rewrite") => {
                "rewrites every request and stops processing".to_owned()
            }
            _ => "stops processing for every request".to_owned(),
        };
        let first = catch_all
            .name
            .map_or_else(|| "an earlier rule".to_owned(), |n| format!("rule `{n}`"));
        let prefix = visit.url_prefix();
        for later in &rules[index + 1..] {
            let who = later
                .name
                .map_or_else(|| "this rule".to_owned(), |n| format!("rule `{n}`"));
            let intent = match later.action_type() {
                Some(t)
                    if t.eq_ignore_ascii_case("CustomResponse")
                        || t.eq_ignore_ascii_case("AbortRequest") =>
                {
                    " — the block it was written for never happens"
                }
                _ => "",
            };
            let span = later.element.attribute("name").map_or_else(
                || Span::new(visit.file, later.element.start_tag),
                |a| Span::new(visit.file, a.value_range),
            );
            let mut diagnostic = Diagnostic::new(
                RULE.code,
                span,
                format!(
                    "{who} never runs: {first} above matches every URL under {prefix} with no condition and {what}{intent}"
                ),
            )
            .with_label("never reached")
            .with_help(
                "move the specific rules above the catch-all, or give the catch-all the conditions it needs (e.g. {REQUEST_FILENAME} IsFile negated)",
            );
            if let Some(url) = catch_all.url {
                diagnostic = diagnostic
                    .with_related(Span::new(visit.file, url.value_range), "matches every URL");
            }
            out.push(diagnostic);
        }
    });
}

/// An unconditional catch-all after which no later rule runs.
fn ends_every_request(rule: &RewriteRule<'_>) -> bool {
    rule.matches_every_url()
        && rule.conditions.is_empty()
        && (rule.stop_processing || rule.is_terminal())
}

/// A catch-all that refuses: `CustomResponse` 4xx or `AbortRequest` (B001).
fn refuses(rule: &RewriteRule<'_>) -> bool {
    match rule.action_type() {
        Some(t) if t.eq_ignore_ascii_case("AbortRequest") => true,
        Some(t) if t.eq_ignore_ascii_case("CustomResponse") => rule
            .action
            .and_then(|a| a.attribute_value("statusCode"))
            .and_then(|c| c.trim().parse::<u16>().ok())
            .is_some_and(|c| (400..500).contains(&c)),
        _ => false,
    }
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

    const LATER: &str = r#"<rule name="b"><match url="\.bak$"/><action type="CustomResponse" statusCode="403"/></rule>"#;

    #[test]
    fn catch_alls() {
        let stop = r#"<rule name="a" stopProcessing="true"><match url="(.*)"/><action type="Rewrite" url="index.php"/></rule>"#;
        assert_eq!(run(&format!("{stop}{LATER}")), 1);
        assert_eq!(run(&format!("{LATER}{stop}")), 0);
        let no_stop =
            r#"<rule name="a"><match url="(.*)"/><action type="Rewrite" url="index.php"/></rule>"#;
        assert_eq!(run(&format!("{no_stop}{LATER}")), 0);
        let redirect = r#"<rule name="a"><match url="*"/><action type="Redirect" url="https://example.com/"/></rule>"#;
        assert_eq!(
            run(&format!("{redirect}{LATER}")),
            0,
            "Wildcard needs patternSyntax"
        );
        let redirect = r#"<rule name="a" patternSyntax="Wildcard"><match url="*"/><action type="Redirect" url="https://example.com/"/></rule>"#;
        assert_eq!(run(&format!("{redirect}{LATER}")), 1);
        let conditioned = r#"<rule name="a" stopProcessing="true"><match url="(.*)"/><conditions><add input="{HTTPS}" pattern="off"/></conditions><action type="Redirect" url="https://{HTTP_HOST}/{R:1}"/></rule>"#;
        assert_eq!(run(&format!("{conditioned}{LATER}")), 0);
        let deny = r#"<rule name="a"><match url=".*"/><action type="CustomResponse" statusCode="403"/></rule>"#;
        assert_eq!(run(&format!("{deny}{LATER}")), 0, "B001's case");
        let disabled = r#"<rule name="a" enabled="false" stopProcessing="true"><match url="(.*)"/><action type="None"/></rule>"#;
        assert_eq!(run(&format!("{disabled}{LATER}")), 0);
    }
}
