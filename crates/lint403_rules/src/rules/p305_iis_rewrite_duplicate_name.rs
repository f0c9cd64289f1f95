//! ## What it does
//! Flags two URL Rewrite rules with the same `name` in one rule list
//! (`<rules>` or `<globalRules>`), after the list's own `<clear/>` and
//! `<remove name="…"/>`. Names are compared ignoring ASCII case.
//!
//! ## Why it causes 403
//! The rule name is the key of the rewrite rule collection. IIS refuses a
//! collection with a key twice ("Cannot add duplicate collection entry",
//! 500.19 with error 0x800700b7), so every request below the file fails
//! and none of the rules, denies included, applies. It happens when rules
//! are pasted from another site, or when a child application inherits the
//! parent's rules and adds its own copy (a case one file cannot show).
//!
//! ## Example
//! ```xml
//! <configuration>
//!   <system.webServer>
//!     <rewrite>
//!       <rules>
//!         <rule name="Block" stopProcessing="true">
//!           <match url="^private/" />
//!           <action type="CustomResponse" statusCode="403" />
//!         </rule>
//!         <rule name="Block" stopProcessing="true">
//!           <match url="^backup/" />
//!           <action type="CustomResponse" statusCode="403" />
//!         </rule>
//!       </rules>
//!     </rewrite>
//!   </system.webServer>
//! </configuration>
//! ```
//! `GET /` → 500.19 (0x800700b7).
//!
//! ## Fix
//! Give each rule its own name (or `<remove name="…"/>` an inherited rule
//! before redefining it):
//! ```xml
//! <configuration>
//!   <system.webServer>
//!     <rewrite>
//!       <rules>
//!         <rule name="Block private" stopProcessing="true">
//!           <match url="^private/" />
//!           <action type="CustomResponse" statusCode="403" />
//!         </rule>
//!         <rule name="Block backup" stopProcessing="true">
//!           <match url="^backup/" />
//!           <action type="CustomResponse" statusCode="403" />
//!         </rule>
//!       </rules>
//!     </rewrite>
//!   </system.webServer>
//! </configuration>
//! ```
//!
//! ## References
//! - Duplicate collection entry → 500.19 0x800700b7: <https://learn.microsoft.com/troubleshoot/developer/webapps/iis/health-diagnostic-performance/http-error-500-19-webpage>
//! - Rule `name` as the collection key: `rewrite_schema.xml`
//!   (public copy: <https://github.com/lextm/iis_schema>)
//! - Inference from the schema key and the 500.19 article; not run on IIS
//!   (IIS cannot run here). Case-insensitive comparison of the key is an
//!   assumption (IIS keys are case-insensitive unless the schema says
//!   `caseSensitive`).

use lint403_core::{Code, Diagnostic, Dialect, Severity, Span};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::iis;
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "P305",
        name: "iis-rewrite-duplicate-name",
        default_severity: Severity::Error,
        summary: "two URL Rewrite rules with the same name in one rule set",
        doc: "",
    },
    family: Family::Parse,
    dialects: &[Dialect::Iis],
    likelihood: Likelihood::Rare,
    fix: FixDifficulty::Trivial,
    source: include_str!("p305_iis_rewrite_duplicate_name.rs"),
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
        let mut seen: Vec<&lint403_iis::Attribute> = Vec::new();
        for child in visit.element.child_elements() {
            match child.name.local() {
                "clear" => seen.clear(),
                "remove" => {
                    if let Some(removed) = child.attribute_value("name") {
                        seen.retain(|a| !a.value.eq_ignore_ascii_case(removed));
                    }
                }
                "rule" => {
                    let Some(attribute) = child.attribute("name") else {
                        continue;
                    };
                    if let Some(first) = seen
                        .iter()
                        .find(|a| a.value.eq_ignore_ascii_case(&attribute.value))
                    {
                        out.push(
                            Diagnostic::new(
                                RULE.code,
                                Span::new(visit.file, attribute.value_range),
                                format!(
                                    "rule name `{}` is already used in this rule set: IIS refuses the duplicate key, GET / → 500.19 (0x800700b7) and no rule applies",
                                    attribute.value
                                ),
                            )
                            .with_label("duplicate name")
                            .with_related(Span::new(visit.file, first.value_range), "first rule with this name")
                            .with_help("give the rule its own name, or `<remove name=\"…\"/>` the earlier one first"),
                        );
                    } else {
                        seen.push(attribute);
                    }
                }
                _ => {}
            }
        }
    });
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
    fn names() {
        assert_eq!(run(r#"<rule name="a"/><rule name="A"/>"#), 1);
        assert_eq!(
            run(r#"<rule name="a"/><remove name="a"/><rule name="a"/>"#),
            0
        );
        assert_eq!(run(r#"<rule name="a"/><clear/><rule name="a"/>"#), 0);
        assert_eq!(run(r#"<rule name="a"/><rule name="b"/>"#), 0);
    }
}
