//! ## What it does
//! Flags `<allow>` and `<deny>` elements inside
//! `system.webServer/security/authorization`, the IIS URL Authorization
//! section, which only knows `<add accessType="Allow|Deny" …>`, `<remove>`
//! and `<clear>`.
//!
//! ## Why it causes 403
//! `<allow users="…"/>` and `<deny users="…"/>` are the syntax of the
//! ASP.NET section `system.web/authorization`. Copied into the IIS section
//! they are unrecognized elements: IIS refuses the whole configuration file
//! and answers every request below it with HTTP 500.19 ("Unrecognized
//! element"), so the site fails instead of restricting access. The rule
//! that was meant to apply is not applied either.
//!
//! ## Example
//! ```xml
//! <configuration>
//!   <system.webServer>
//!     <security>
//!       <authorization>
//!         <deny users="?" />
//!       </authorization>
//!     </security>
//!   </system.webServer>
//! </configuration>
//! ```
//! `GET /` from anyone → 500.19.
//!
//! ## Fix
//! Write the IIS form of the rule:
//! ```xml
//! <configuration>
//!   <system.webServer>
//!     <security>
//!       <authorization>
//!         <add accessType="Deny" users="?" />
//!       </authorization>
//!     </security>
//!   </system.webServer>
//! </configuration>
//! ```
//! or move the `<allow>`/`<deny>` lines to `system.web/authorization`,
//! where ASP.NET reads them (note the different evaluation order).
//!
//! ## References
//! - IIS URL Authorization section, its child elements `add`, `remove`,
//!   `clear`: <https://learn.microsoft.com/iis/configuration/system.webServer/security/authorization/>
//! - ASP.NET `<allow>`/`<deny>`: <https://learn.microsoft.com/previous-versions/dotnet/netframework-4.0/8d82143t(v=vs.100)>
//! - 500.19 for unrecognized elements: <https://learn.microsoft.com/troubleshoot/developer/webapps/iis/health-diagnostic-performance/http-error-500-19-webpage>
//! - Not run on IIS (IIS cannot run here); the 500.19 follows from the
//!   documented schema and the 500.19 article.

use std::fmt::Write as _;

use lint403_core::{Code, Diagnostic, Dialect, Severity};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::iis;
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "P302",
        name: "iis-urlauthz-aspnet-syntax",
        default_severity: Severity::Error,
        summary: "ASP.NET `<allow>`/`<deny>` inside the IIS URL Authorization section",
        doc: "",
    },
    family: Family::Parse,
    dialects: &[Dialect::Iis],
    likelihood: Likelihood::Occasional,
    fix: FixDifficulty::Trivial,
    source: include_str!("p302_iis_urlauthz_aspnet_syntax.rs"),
    check,
};

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Loaded::Iis(_) = context.config else {
        return;
    };
    iis::walk(context, |visit| {
        let name = visit.name();
        if name != "allow" && name != "deny" {
            return;
        }
        let Some(parent) = visit.parent() else {
            return;
        };
        if parent.name() != "authorization" {
            return;
        }
        let path = visit.path();
        if !path.ends_with(&format!("system.webServer/security/authorization/{name}")) {
            return;
        }
        let access = if name == "allow" { "Allow" } else { "Deny" };
        let mut replacement = format!("<add accessType=\"{access}\"");
        for key in ["users", "roles", "verbs"] {
            if let Some(value) = visit.attr_value(key) {
                let _ = write!(replacement, " {key}=\"{value}\"");
            }
        }
        replacement.push_str(" />");
        out.push(
            Diagnostic::new(
                RULE.code,
                visit.name_span(),
                format!(
                    "`<{name}>` is not an element of system.webServer/security/authorization: IIS rejects the whole file, GET / from anyone → 500.19 (unrecognized element)"
                ),
            )
            .with_label("ASP.NET syntax")
            .with_related(parent.span(), "IIS URL Authorization takes <add accessType=…>")
            .with_help(format!(
                "write `{replacement}`, or move the line to system.web/authorization"
            )),
        );
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_under_the_iis_section() {
        let bad = r#"<configuration><system.webServer><security><authorization><allow users="bob"/></authorization></security></system.webServer></configuration>"#;
        let found = iis::run_check(check, bad);
        assert_eq!(found.len(), 1);
        assert!(found[0]
            .help
            .as_deref()
            .unwrap_or_default()
            .contains(r#"<add accessType="Allow" users="bob" />"#));
        let good = r#"<configuration><system.web><authorization><allow users="bob"/><deny users="*"/></authorization></system.web></configuration>"#;
        assert!(iis::run_check(check, good).is_empty());
    }
}
