//! ## What it does
//! Flags access-list entries that name clients by host name, which only
//! work through reverse DNS. IIS: an `ipSecurity` `<add domainName="…"/>`
//! entry while `enableReverseDns` is not `true` on that `ipSecurity`.
//!
//! ## Why it causes 403
//! IIS matches a `domainName` entry against the client's host name, which
//! it learns by a reverse DNS lookup of the client address, and
//! `enableReverseDns` defaults to false. Without the lookup there is no
//! host name to compare, so the entry cannot match (an inference from the
//! documentation, not observed):
//! - an allow entry (`allowed="true"`) under `allowUnlisted="false"` lets
//!   nobody in: the clients it names are unlisted and get 403.503;
//! - a deny entry never refuses anyone it names.
//!
//! With the lookup on, every request waits for DNS, and a client without
//! a PTR record still matches nothing. `enableReverseDns` may also be set
//! at a parent level (applicationHost.config), which one file does not
//! show.
//!
//! ## Example
//! ```xml
//! <configuration>
//!   <system.webServer>
//!     <security>
//!       <ipSecurity allowUnlisted="false">
//!         <add domainName="*.corp.example.com" allowed="true" />
//!       </ipSecurity>
//!     </security>
//!   </system.webServer>
//! </configuration>
//! ```
//! `GET /` from a host in `corp.example.com` → 403.503: the name entry
//! cannot match without reverse DNS.
//!
//! ## Fix
//! List the addresses (preferred), or turn the lookups on:
//! ```xml
//! <configuration>
//!   <system.webServer>
//!     <security>
//!       <ipSecurity allowUnlisted="false">
//!         <add ipAddress="198.51.100.0" subnetMask="255.255.255.0" allowed="true" />
//!       </ipSecurity>
//!     </security>
//!   </system.webServer>
//! </configuration>
//! ```
//!
//! ## References
//! - `ipSecurity@enableReverseDns` (default false), `add@domainName`:
//!   <https://learn.microsoft.com/iis/configuration/system.webServer/security/ipSecurity/>,
//!   <https://learn.microsoft.com/iis/configuration/system.webServer/security/ipSecurity/add>
//! - 403.503 / 403.504: <https://learn.microsoft.com/troubleshoot/developer/webapps/iis/www-administration-management/http-status-code>
//! - That an entry cannot match with lookups off is an inference from the
//!   reference; not run on IIS (IIS cannot run here).

use lint403_core::{Code, Diagnostic, Dialect, Severity, Span};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::iis;
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "A006",
        name: "acl-hostname-needs-rdns",
        default_severity: Severity::Warning,
        summary: "a host-name access entry depends on reverse DNS",
        doc: "",
    },
    family: Family::Access,
    dialects: &[Dialect::Iis],
    likelihood: Likelihood::Rare,
    fix: FixDifficulty::Moderate,
    source: include_str!("a006_acl_hostname_needs_rdns.rs"),
    check,
};

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Loaded::Iis(_) = context.config else {
        return;
    };
    iis::walk(context, |visit| {
        if visit.name() != "ipSecurity"
            || !visit.path_ends_with("system.webServer/security/ipSecurity")
        {
            return;
        }
        if iis::is_true(visit.attr_value("enableReverseDns"), false) {
            return;
        }
        let allow_unlisted = iis::is_true(visit.attr_value("allowUnlisted"), true);
        let prefix = visit.url_prefix();
        for entry in iis::children(visit.element, "add") {
            let Some(domain) = entry.attribute("domainName") else {
                continue;
            };
            let name = domain.value.trim();
            if name.is_empty() {
                continue;
            }
            let allowed = iis::is_true(entry.attribute_value("allowed"), false);
            let client = name
                .strip_prefix("*.")
                .map_or_else(|| format!("`{name}`"), |rest| format!("a host in `{rest}`"));
            let effect = if allowed && !allow_unlisted {
                format!("GET {prefix} from {client} → 403.503: this allow entry cannot match without reverse DNS, so the client is unlisted")
            } else if allowed {
                format!("this allow entry for {client} cannot match without reverse DNS (it changes nothing while allowUnlisted is true)")
            } else {
                format!("GET {prefix} from {client} is not refused: this deny entry cannot match without reverse DNS")
            };
            let mut diagnostic = Diagnostic::new(
                RULE.code,
                Span::new(visit.file, domain.value_range),
                format!("{effect} (`enableReverseDns` is off)"),
            )
            .with_label("host name needs reverse DNS")
            .with_help(
                "list the clients by address (`ipAddress` + `subnetMask`), or set enableReverseDns=\"true\" on ipSecurity (every request then waits for a DNS lookup)",
            );
            diagnostic = match visit.attr("enableReverseDns") {
                Some(attribute) => diagnostic.with_related(
                    Span::new(visit.file, attribute.value_range),
                    "reverse DNS off",
                ),
                None => diagnostic.with_related(visit.span(), "enableReverseDns defaults to false"),
            };
            out.push(diagnostic);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(attributes: &str, entry: &str) -> Vec<String> {
        iis::run_check(
            check,
            &format!("<configuration><system.webServer><security><ipSecurity {attributes}>{entry}</ipSecurity></security></system.webServer></configuration>"),
        )
        .into_iter()
        .map(|d| d.message)
        .collect()
    }

    #[test]
    fn entries() {
        let allow = r#"<add domainName="*.example.com" allowed="true"/>"#;
        let deny = r#"<add domainName="bad.example.net"/>"#;
        assert!(run(r#"allowUnlisted="false""#, allow)[0].contains("403.503"));
        assert!(run("", deny)[0].contains("not refused"));
        assert!(run(r#"enableReverseDns="true""#, deny).is_empty());
        assert!(run("", r#"<add ipAddress="192.0.2.1"/>"#).is_empty());
    }
}
