//! ## What it does
//! Flags an `ipSecurity` entry `<add ipAddress="…"/>` (or `domainName`)
//! written without `allowed`.
//!
//! ## Why it causes 403
//! `allowed` defaults to `false`: an entry without it is a deny. Readers
//! (and authors copying an "allow list" from elsewhere) easily take a bare
//! entry for an allow. Under `allowUnlisted="false"` the listed address is
//! refused like every unlisted one; under the default `allowUnlisted="true"`
//! the listed address, perhaps the office or the monitoring host, is the
//! one refused: 403.503 on IIS 8 and later (403.6 on IIS 7), or what
//! `denyAction` says.
//!
//! ## Example
//! ```xml
//! <configuration>
//!   <system.webServer>
//!     <security>
//!       <ipSecurity>
//!         <add ipAddress="10.0.0.1" />
//!       </ipSecurity>
//!     </security>
//!   </system.webServer>
//! </configuration>
//! ```
//! `GET /` from 10.0.0.1 → 403.503.
//!
//! ## Fix
//! Say what the entry does:
//! ```xml
//! <configuration>
//!   <system.webServer>
//!     <security>
//!       <ipSecurity>
//!         <add ipAddress="10.0.0.1" allowed="false" />
//!       </ipSecurity>
//!     </security>
//!   </system.webServer>
//! </configuration>
//! ```
//! (or `allowed="true"` if the address was meant to be let in).
//!
//! ## References
//! - `ipSecurity/add@allowed` (default false): <https://learn.microsoft.com/iis/configuration/system.webServer/security/ipSecurity/add>
//! - 403.503 / 403.6: <https://learn.microsoft.com/troubleshoot/developer/webapps/iis/www-administration-management/http-status-code>
//! - Not run on IIS (IIS cannot run here).

use lint403_core::{Code, Diagnostic, Dialect, Severity};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::iis;
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "A301",
        name: "iis-ipsecurity-implicit-deny",
        default_severity: Severity::Info,
        summary: "an ipSecurity entry without `allowed` is a deny",
        doc: "",
    },
    family: Family::Access,
    dialects: &[Dialect::Iis],
    likelihood: Likelihood::Occasional,
    fix: FixDifficulty::Trivial,
    source: include_str!("a301_iis_ipsecurity_implicit_deny.rs"),
    check,
};

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Loaded::Iis(_) = context.config else {
        return;
    };
    iis::walk(context, |visit| {
        if visit.name() != "add"
            || !visit.path_ends_with("system.webServer/security/ipSecurity/add")
            || visit.attr("allowed").is_some()
        {
            return;
        }
        let action = visit
            .parent()
            .and_then(|p| p.element.attribute_value("denyAction"))
            .map_or("Forbidden", str::trim);
        let (who, attribute, sub) = match (
            visit.attr_value("ipAddress"),
            visit.attr_value("domainName"),
        ) {
            (Some(ip), _) => {
                let who = match visit.attr_value("subnetMask") {
                    Some(mask) => format!("an address in {ip}/{mask}"),
                    None => ip.to_owned(),
                };
                (who, "ipAddress", ("503", "403.6"))
            }
            (None, Some(domain)) => (
                format!("a client whose name matches {domain}"),
                "domainName",
                ("504", "403.8"),
            ),
            (None, None) => return,
        };
        let status = match action {
            a if a.eq_ignore_ascii_case("Unauthorized") => format!("401.{}", sub.0),
            a if a.eq_ignore_ascii_case("NotFound") => format!("404.{}", sub.0),
            a if a.eq_ignore_ascii_case("AbortRequest") => {
                "connection reset (no status)".to_owned()
            }
            _ => format!("403.{} (IIS 8+; {} on IIS 7)", sub.0, sub.1),
        };
        out.push(
            Diagnostic::new(
                RULE.code,
                visit.attr_span(attribute),
                format!(
                    "this entry has no `allowed`, which defaults to false: it is a deny, GET {} from {who} → {status}",
                    visit.url_prefix()
                ),
            )
            .with_label("denied")
            .with_related(visit.span(), "no allowed=\"…\"")
            .with_help("write allowed=\"false\" to say it is a deny, or allowed=\"true\" if this client should be let in"),
        );
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries() {
        let run = |entry: &str| {
            iis::run_check(
                check,
                &format!("<configuration><system.webServer><security><ipSecurity>{entry}</ipSecurity></security></system.webServer></configuration>"),
            )
            .len()
        };
        assert_eq!(run(r#"<add ipAddress="10.0.0.1"/>"#), 1);
        assert_eq!(run(r#"<add domainName="*.example.net"/>"#), 1);
        assert_eq!(run(r#"<add ipAddress="10.0.0.1" allowed="false"/>"#), 0);
        assert_eq!(run(r#"<add ipAddress="10.0.0.1" allowed="true"/>"#), 0);
        assert_eq!(run(r#"<remove ipAddress="10.0.0.1"/>"#), 0);
    }
}
