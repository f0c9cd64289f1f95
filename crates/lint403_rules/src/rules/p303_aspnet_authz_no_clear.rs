//! ## What it does
//! Flags `<clear/>` and `<remove …/>` inside the ASP.NET section
//! `system.web/authorization`.
//!
//! ## Why it causes 403
//! ASP.NET's `<authorization>` is not a collection: it takes only
//! `<allow>` and `<deny>` rules, evaluated first match wins, the most local
//! configuration file first. `<clear/>` and `<remove>` belong to the IIS
//! section `system.webServer/security/authorization`. ASP.NET does not know
//! them, so the configuration is rejected with a configuration error
//! instead of applying the intended rules (the exact status IIS then sends
//! is not established by the research behind this rule; a configuration
//! error page, not the intended 401/403).
//!
//! ## Example
//! ```xml
//! <configuration>
//!   <system.web>
//!     <authorization>
//!       <clear />
//!       <allow roles="Staff" />
//!       <deny users="*" />
//!     </authorization>
//!   </system.web>
//! </configuration>
//! ```
//!
//! ## Fix
//! Drop the `<clear/>`: to override inherited rules, put the rules wanted
//! here first (first match wins, this file is read before its parents):
//! ```xml
//! <configuration>
//!   <system.web>
//!     <authorization>
//!       <allow roles="Staff" />
//!       <deny users="*" />
//!     </authorization>
//!   </system.web>
//! </configuration>
//! ```
//!
//! ## References
//! - ASP.NET `authorization` element, children `allow` and `deny` only:
//!   <https://learn.microsoft.com/previous-versions/dotnet/netframework-4.0/8d82143t(v=vs.100)>
//! - Evaluation order of ASP.NET vs IIS URL Authorization:
//!   <https://learn.microsoft.com/iis/manage/configuring-security/understanding-iis-url-authorization>
//! - Not run on IIS or ASP.NET (neither can run here); the resulting
//!   status is unverified.

use lint403_core::{Code, Diagnostic, Dialect, Severity};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::iis;
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "P303",
        name: "aspnet-authz-no-clear",
        default_severity: Severity::Error,
        summary: "`<clear/>`/`<remove>` in ASP.NET `system.web/authorization`",
        doc: "",
    },
    family: Family::Parse,
    dialects: &[Dialect::Iis],
    likelihood: Likelihood::Rare,
    fix: FixDifficulty::Trivial,
    source: include_str!("p303_aspnet_authz_no_clear.rs"),
    check,
};

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Loaded::Iis(_) = context.config else {
        return;
    };
    iis::walk(context, |visit| {
        let name = visit.name();
        if name != "clear" && name != "remove" {
            return;
        }
        if !visit.path_ends_with(&format!("configuration/system.web/authorization/{name}")) {
            return;
        }
        let mut diagnostic = Diagnostic::new(
            RULE.code,
            visit.name_span(),
            format!(
                "`<{name}>` is not an element of ASP.NET's system.web/authorization (only <allow> and <deny>): the configuration is rejected, GET {} → configuration error instead of the intended rules",
                visit.url_prefix()
            ),
        )
        .with_label("not allowed here")
        .with_help(
            "remove it; ASP.NET rules are first match, most local file first, so rules written here already come before the inherited ones",
        );
        if let Some(parent) = visit.parent() {
            diagnostic = diagnostic.with_related(parent.span(), "ASP.NET URL authorization");
        }
        out.push(diagnostic);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_aspnet() {
        let bad = r#"<configuration><system.web><authorization><remove users="*"/></authorization></system.web></configuration>"#;
        assert_eq!(iis::run_check(check, bad).len(), 1);
        let good = r"<configuration><system.webServer><security><authorization><clear/></authorization></security></system.webServer></configuration>";
        assert!(iis::run_check(check, good).is_empty());
    }
}
