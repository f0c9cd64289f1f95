//! ## What it does
//! Flags `system.webServer/security/access` whose `sslFlags` contains
//! `SslRequireCert`.
//!
//! ## Why it causes 403
//! With `SslRequireCert`, IIS refuses every TLS request whose client did
//! not present a certificate with 403.7 ("Client certificate required").
//! Ordinary browsers, monitoring probes and API clients send none unless
//! a certificate is installed and chosen, so they all get 403.7. When a
//! certificate is wanted but optional, `SslNegotiateCert` asks for one
//! without refusing the request.
//!
//! ## Example
//! ```xml
//! <configuration>
//!   <location path="api">
//!     <system.webServer>
//!       <security>
//!         <access sslFlags="Ssl, SslNegotiateCert, SslRequireCert" />
//!       </security>
//!     </system.webServer>
//!   </location>
//! </configuration>
//! ```
//! `GET https://example.com/api/` from a client without a certificate →
//! 403.7.
//!
//! ## Fix
//! Ask for a certificate without requiring one (and check it in the
//! application), or keep the requirement only where every client has one:
//! ```xml
//! <configuration>
//!   <location path="api">
//!     <system.webServer>
//!       <security>
//!         <access sslFlags="Ssl, SslNegotiateCert" />
//!       </security>
//!     </system.webServer>
//!   </location>
//! </configuration>
//! ```
//!
//! ## References
//! - `access@sslFlags` (`SslRequireCert`, `SslNegotiateCert`): <https://learn.microsoft.com/iis/configuration/system.webServer/security/access>
//! - 403.7: <https://learn.microsoft.com/troubleshoot/developer/webapps/iis/www-administration-management/http-status-code>
//!   and KB 942067 (<https://learn.microsoft.com/troubleshoot/developer/webapps/iis/health-diagnostic-performance/http-403-7-forbidden-error>)
//! - Not run on IIS (IIS cannot run here).

use lint403_core::{Code, Diagnostic, Dialect, Severity, Span};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::iis;
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "T302",
        name: "iis-client-cert-required",
        default_severity: Severity::Warning,
        summary: "`sslFlags` requires a client certificate: clients without one get 403.7",
        doc: "",
    },
    family: Family::Auth,
    dialects: &[Dialect::Iis],
    likelihood: Likelihood::Rare,
    fix: FixDifficulty::Trivial,
    source: include_str!("t302_iis_client_cert_required.rs"),
    check,
};

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Loaded::Iis(_) = context.config else {
        return;
    };
    iis::walk(context, |visit| {
        if visit.name() != "access" || !visit.path_ends_with("system.webServer/security/access") {
            return;
        }
        let Some(flags) = visit.attr("sslFlags") else {
            return;
        };
        if !flags
            .value
            .split(',')
            .any(|flag| flag.trim().eq_ignore_ascii_case("SslRequireCert"))
        {
            return;
        }
        let prefix = visit.url_prefix();
        out.push(
            Diagnostic::new(
                RULE.code,
                Span::new(visit.file, flags.value_range),
                format!(
                    "GET https://…{prefix} from a client without a certificate (an ordinary browser, a monitoring probe) → 403.7 (client certificate required)"
                ),
            )
            .with_label("requires a client certificate")
            .with_help(
                "if the certificate is optional, use `SslNegotiateCert` instead of `SslRequireCert`; otherwise limit the requirement to a <location> that only certificate holders use",
            ),
        );
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags() {
        let run = |flags: &str| {
            iis::run_check(
                check,
                &format!("<configuration><system.webServer><security><access sslFlags=\"{flags}\"/></security></system.webServer></configuration>"),
            )
            .len()
        };
        assert_eq!(run("SslRequireCert"), 1);
        assert_eq!(run("Ssl,sslrequirecert"), 1);
        assert_eq!(run("Ssl, SslNegotiateCert"), 0);
        assert_eq!(run("None"), 0);
    }
}
