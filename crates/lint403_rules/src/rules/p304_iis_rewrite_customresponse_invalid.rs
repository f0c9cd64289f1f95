//! ## What it does
//! Checks the attributes of URL Rewrite `CustomResponse` actions: a
//! missing `statusCode`, a `statusCode` from 300 to 307 (which the rewrite
//! schema excludes), a `subStatusCode` above 999 (error); a `url` attribute,
//! which `CustomResponse` ignores (warning).
//!
//! ## Why it causes 403
//! A value the schema refuses makes the configuration invalid: the deny
//! (or response) the rule was written for is not served, an error is. A
//! `url="…"` on a `CustomResponse` (seen in Joomla's shipped web.config)
//! suggests the author expected a redirect or a custom page; IIS sends only
//! the status, so visitors get a bare 403 page where a redirect was meant.
//! On a disabled rule (`enabled="false"`) the `url` finding is info.
//!
//! ## Example
//! ```xml
//! <configuration>
//!   <system.webServer>
//!     <rewrite>
//!       <rules>
//!         <rule name="Blocked" stopProcessing="true">
//!           <match url="^blocked/" />
//!           <action type="CustomResponse" statusCode="403" subStatusCode="1000" />
//!         </rule>
//!       </rules>
//!     </rewrite>
//!   </system.webServer>
//! </configuration>
//! ```
//!
//! ## Fix
//! ```xml
//! <configuration>
//!   <system.webServer>
//!     <rewrite>
//!       <rules>
//!         <rule name="Blocked" stopProcessing="true">
//!           <match url="^blocked/" />
//!           <action type="CustomResponse" statusCode="403" subStatusCode="0" statusReason="Forbidden" />
//!         </rule>
//!       </rules>
//!     </rewrite>
//!   </system.webServer>
//! </configuration>
//! ```
//! Use `type="Redirect"` with `url` for a redirect (300–307 are redirect
//! codes, which `CustomResponse` does not send).
//!
//! ## References
//! - `CustomResponse` attributes: <https://learn.microsoft.com/iis/extensions/url-rewrite-module/url-rewrite-module-configuration-reference>
//! - Ranges from `rewrite_schema.xml` as shipped in `inetsrv\config\schema`
//!   (public copy: <https://github.com/lextm/iis_schema>).
//! - Not run on IIS (IIS cannot run here); the status of the resulting
//!   configuration error is unverified.

use lint403_core::{Code, Diagnostic, Dialect, Severity, Span};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::iis;
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "P304",
        name: "iis-rewrite-customresponse-invalid",
        default_severity: Severity::Error,
        summary: "a CustomResponse action with a status the schema refuses, or an ignored `url`",
        doc: "",
    },
    family: Family::Parse,
    dialects: &[Dialect::Iis],
    likelihood: Likelihood::Rare,
    fix: FixDifficulty::Trivial,
    source: include_str!("p304_iis_rewrite_customresponse_invalid.rs"),
    check,
};

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Loaded::Iis(_) = context.config else {
        return;
    };
    iis::walk(context, |visit| {
        if visit.name() != "action"
            || !(visit.path_ends_with("system.webServer/rewrite/rules/rule/action")
                || visit.path_ends_with("system.webServer/rewrite/globalRules/rule/action"))
        {
            return;
        }
        let is_custom = visit
            .attr_value("type")
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("CustomResponse"));
        if !is_custom {
            return;
        }
        match visit.attr("statusCode") {
            None => out.push(
                Diagnostic::new(
                    RULE.code,
                    visit.name_span(),
                    "CustomResponse without statusCode: the rule has no status to send, the rewrite configuration is invalid",
                )
                .with_label("no statusCode")
                .with_help("add statusCode=\"403\" (or the status meant)"),
            ),
            Some(code) => {
                if let Ok(number) = code.value.trim().parse::<u32>() {
                    if (300..=307).contains(&number) {
                        out.push(
                            Diagnostic::new(
                                RULE.code,
                                Span::new(visit.file, code.value_range),
                                format!("statusCode=\"{number}\" is outside what CustomResponse accepts (300–307 are excluded by the rewrite schema): the configuration is rejected"),
                            )
                            .with_label("excluded by the schema")
                            .with_help("for a redirect use type=\"Redirect\" with url=\"…\" and redirectType"),
                        );
                    }
                }
            }
        }
        if let Some(sub) = visit.attr("subStatusCode") {
            if sub.value.trim().parse::<u32>().is_ok_and(|n| n > 999) {
                out.push(
                    Diagnostic::new(
                        RULE.code,
                        Span::new(visit.file, sub.value_range),
                        format!("subStatusCode=\"{}\" is above 999, the schema's maximum: the configuration is rejected", sub.value.trim()),
                    )
                    .with_label("0–999")
                    .with_help("use a substatus from 0 to 999"),
                );
            }
        }
        if let Some(url) = visit.attr("url") {
            let status = visit.attr_value("statusCode").unwrap_or("?");
            let enabled = visit
                .parent()
                .is_none_or(|rule| iis::is_true(rule.element.attribute_value("enabled"), true));
            let (severity, note) = if enabled {
                (Severity::Warning, "")
            } else {
                (Severity::Info, " (the rule is disabled now)")
            };
            out.push(
                Diagnostic::new(
                    RULE.code,
                    Span::new(visit.file, url.range),
                    format!("CustomResponse ignores `url`: the request gets a bare {status} response, not `{}`{note}", url.value),
                )
                .with_severity(severity)
                .with_label("ignored")
                .with_help("drop the attribute, or use type=\"Redirect\" if a redirect was meant"),
            );
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(action: &str) -> usize {
        iis::run_check(
            check,
            &format!("<configuration><system.webServer><rewrite><rules><rule name=\"r\"><match url=\"x\"/>{action}</rule></rules></rewrite></system.webServer></configuration>"),
        )
        .len()
    }

    #[test]
    fn attributes() {
        assert_eq!(run(r#"<action type="CustomResponse"/>"#), 1);
        assert_eq!(
            run(r#"<action type="CustomResponse" statusCode="302"/>"#),
            1
        );
        assert_eq!(
            run(r#"<action type="CustomResponse" statusCode="403" subStatusCode="1000"/>"#),
            1
        );
        assert_eq!(
            run(r#"<action type="CustomResponse" statusCode="403" url="index.php"/>"#),
            1
        );
        assert_eq!(
            run(r#"<action type="CustomResponse" statusCode="403" subStatusCode="999"/>"#),
            0
        );
        assert_eq!(
            run(r#"<action type="Redirect" url="/x" redirectType="Found"/>"#),
            0
        );
    }
}
