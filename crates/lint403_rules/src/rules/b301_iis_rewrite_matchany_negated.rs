//! ## What it does
//! Flags a URL Rewrite rule whose `<conditions logicalGrouping="MatchAny">`
//! holds two or more negated pattern conditions on the same input, such as
//! "Host is not `a.example`" OR "Host is not `b.example`".
//!
//! ## Why it causes 403
//! A value can fail at most all but one of a set of different patterns, so
//! "not A or not B" is true for every value that does not match both at
//! once: for host patterns, for every request. The author meant "neither A
//! nor B", which is `MatchAll` over the negated conditions. A blocking rule
//! (`CustomResponse` 403, `AbortRequest`) written this way refuses the very
//! hosts (or referers, agents) it was meant to let through; a redirect
//! written this way loops or sends everyone away.
//!
//! ## Example
//! ```xml
//! <configuration>
//!   <system.webServer>
//!     <rewrite>
//!       <rules>
//!         <rule name="Only our hosts" stopProcessing="true">
//!           <match url=".*" />
//!           <conditions logicalGrouping="MatchAny">
//!             <add input="{HTTP_HOST}" pattern="^example\.com$" negate="true" />
//!             <add input="{HTTP_HOST}" pattern="^www\.example\.com$" negate="true" />
//!           </conditions>
//!           <action type="CustomResponse" statusCode="403" />
//!         </rule>
//!       </rules>
//!     </rewrite>
//!   </system.webServer>
//! </configuration>
//! ```
//! `GET /` with `Host: example.com` → 403: it is not `www.example.com`.
//!
//! ## Fix
//! Require every negated condition (the default grouping):
//! ```xml
//! <configuration>
//!   <system.webServer>
//!     <rewrite>
//!       <rules>
//!         <rule name="Only our hosts" stopProcessing="true">
//!           <match url=".*" />
//!           <conditions logicalGrouping="MatchAll">
//!             <add input="{HTTP_HOST}" pattern="^example\.com$" negate="true" />
//!             <add input="{HTTP_HOST}" pattern="^www\.example\.com$" negate="true" />
//!           </conditions>
//!           <action type="CustomResponse" statusCode="403" />
//!         </rule>
//!       </rules>
//!     </rewrite>
//!   </system.webServer>
//! </configuration>
//! ```
//!
//! ## References
//! - `logicalGrouping`, `negate`, conditions:
//!   <https://learn.microsoft.com/iis/extensions/url-rewrite-module/url-rewrite-module-configuration-reference>
//! - Not run on IIS (IIS cannot run here); the effect follows from the
//!   boolean logic the reference describes.

use lint403_core::{Code, Diagnostic, Dialect, Severity, Span};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::iis::{self, RewriteRule};
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "B301",
        name: "iis-rewrite-matchany-negated",
        default_severity: Severity::Warning,
        summary: "MatchAny over negated conditions on one input is (almost) always true",
        doc: "",
    },
    family: Family::Broad,
    dialects: &[Dialect::Iis],
    likelihood: Likelihood::Occasional,
    fix: FixDifficulty::Trivial,
    source: include_str!("b301_iis_rewrite_matchany_negated.rs"),
    check,
};

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Loaded::Iis(_) = context.config else {
        return;
    };
    iis::walk(context, |visit| {
        if visit.name() != "rule"
            || !(visit.path_ends_with("system.webServer/rewrite/rules/rule")
                || visit.path_ends_with("system.webServer/rewrite/globalRules/rule"))
        {
            return;
        }
        let rule = RewriteRule::read(visit.element);
        if !rule.enabled || !rule.logical_grouping.eq_ignore_ascii_case("MatchAny") {
            return;
        }
        // Negated pattern conditions, grouped by input.
        let negated: Vec<(&str, &str, &lint403_iis::Element)> = rule
            .conditions
            .iter()
            .filter(|c| iis::is_true(c.attribute_value("negate"), false))
            .filter(|c| {
                c.attribute_value("matchType")
                    .is_none_or(|m| m.trim().eq_ignore_ascii_case("Pattern"))
            })
            .filter_map(|c| {
                Some((
                    c.attribute_value("input")?.trim(),
                    c.attribute_value("pattern")?,
                    *c,
                ))
            })
            .collect();
        let Some((input, first, second)) = negated.iter().enumerate().find_map(|(i, a)| {
            negated
                .iter()
                .skip(i + 1)
                .find(|b| b.0.eq_ignore_ascii_case(a.0) && b.1 != a.1)
                .map(|b| (a.0, a, b))
        }) else {
            return;
        };
        let effect = match rule.action_type() {
            Some(t) if t.eq_ignore_ascii_case("CustomResponse") => {
                let code = rule
                    .action
                    .and_then(|a| a.attribute_value("statusCode"))
                    .unwrap_or("?");
                format!("the rule answers {code}")
            }
            Some(t) if t.eq_ignore_ascii_case("AbortRequest") => {
                "the rule drops the connection".to_owned()
            }
            Some(t) => format!("the rule's {t} action runs"),
            None => "the rule's action runs".to_owned(),
        };
        let value = sample_value(first.1);
        let example = value.map_or_else(String::new, |v| {
            format!(
                " (a request whose {input} is `{v}` is still not `{}`)",
                second.1
            )
        });
        let mut diagnostic = Diagnostic::new(
            RULE.code,
            Span::new(visit.file, rule.element.start_tag),
            format!(
                "MatchAny over negated {input} conditions is true unless {input} matches all of them at once: for almost every request {effect}{example}"
            ),
        )
        .with_label("MatchAny of negations")
        .with_help("use logicalGrouping=\"MatchAll\" to mean \"none of these\"");
        if let Some(conditions) = iis::child(rule.element, "conditions") {
            if let Some(grouping) = conditions.attribute("logicalGrouping") {
                diagnostic = Diagnostic::new(
                    RULE.code,
                    Span::new(visit.file, grouping.value_range),
                    diagnostic.message.clone(),
                )
                .with_label("MatchAny of negations")
                .with_help("use logicalGrouping=\"MatchAll\" to mean \"none of these\"");
            }
        }
        for (_, _, element) in [first, second] {
            diagnostic =
                diagnostic.with_related(Span::new(visit.file, element.start_tag), "negated");
        }
        out.push(diagnostic);
    });
}

/// A literal value matching an anchored plain pattern (`^a\.example$`).
fn sample_value(pattern: &str) -> Option<String> {
    let inner = pattern.strip_prefix('^')?.strip_suffix('$')?;
    let mut value = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e @ ('.' | '-' | '/' | ':')) => value.push(e),
                _ => return None,
            },
            c if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '/') => value.push(c),
            _ => return None,
        }
    }
    (!value.is_empty()).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(conditions: &str) -> usize {
        iis::run_check(
            check,
            &format!("<configuration><system.webServer><rewrite><rules><rule name=\"r\"><match url=\".*\"/>{conditions}<action type=\"CustomResponse\" statusCode=\"403\"/></rule></rules></rewrite></system.webServer></configuration>"),
        )
        .len()
    }

    #[test]
    fn groupings() {
        let a = r#"<add input="{HTTP_HOST}" pattern="^a\.example$" negate="true"/>"#;
        let b = r#"<add input="{HTTP_HOST}" pattern="^b\.example$" negate="true"/>"#;
        let c = r#"<add input="{QUERY_STRING}" pattern="x" negate="true"/>"#;
        assert_eq!(
            run(&format!(
                "<conditions logicalGrouping=\"MatchAny\">{a}{b}</conditions>"
            )),
            1
        );
        assert_eq!(
            run(&format!(
                "<conditions logicalGrouping=\"MatchAll\">{a}{b}</conditions>"
            )),
            0
        );
        assert_eq!(run(&format!("<conditions>{a}{b}</conditions>")), 0);
        assert_eq!(
            run(&format!(
                "<conditions logicalGrouping=\"MatchAny\">{a}{c}</conditions>"
            )),
            0
        );
        assert_eq!(sample_value(r"^a\.example$").as_deref(), Some("a.example"));
        assert_eq!(sample_value(r"^a.*$"), None);
    }
}
