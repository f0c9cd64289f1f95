//! ## What it does
//! Flags `system.webServer/security/access` whose `sslFlags` contains
//! `Ssl` or `Ssl128`.
//!
//! ## Why it causes 403
//! With `Ssl`, IIS refuses every request that did not arrive over TLS with
//! 403.4 ("SSL required"); with `Ssl128`, a connection weaker than 128-bit
//! gets 403.5. A visitor who types `http://…` gets an error page instead of
//! being sent to HTTPS. Behind a load balancer or CDN that terminates TLS
//! and talks plain HTTP to IIS, every request arrives over HTTP, so every
//! request is refused (an inference from the documented behaviour, not
//! observed).
//!
//! ## Example
//! ```xml
//! <configuration>
//!   <system.webServer>
//!     <security>
//!       <access sslFlags="Ssl" />
//!     </security>
//!   </system.webServer>
//! </configuration>
//! ```
//! `GET http://example.com/` → 403.4.
//!
//! ## Fix
//! Redirect HTTP to HTTPS instead of refusing it (and send HSTS), keeping
//! `sslFlags="None"`:
//! ```xml
//! <configuration>
//!   <system.webServer>
//!     <security>
//!       <access sslFlags="None" />
//!     </security>
//!     <rewrite>
//!       <rules>
//!         <rule name="HTTPS" stopProcessing="true">
//!           <match url="(.*)" />
//!           <conditions>
//!             <add input="{HTTPS}" pattern="^OFF$" />
//!           </conditions>
//!           <action type="Redirect" url="https://{HTTP_HOST}/{R:1}" redirectType="Permanent" />
//!         </rule>
//!       </rules>
//!     </rewrite>
//!   </system.webServer>
//! </configuration>
//! ```
//! If TLS ends at a proxy, keep `sslFlags` off and let the proxy redirect.
//!
//! ## References
//! - `access@sslFlags`: <https://learn.microsoft.com/iis/configuration/system.webServer/security/access>
//! - 403.4 / 403.5: <https://learn.microsoft.com/troubleshoot/developer/webapps/iis/www-administration-management/http-status-code>
//! - Not run on IIS (IIS cannot run here); the TLS-proxy case is an
//!   inference.

use lint403_core::{Code, Diagnostic, Dialect, Severity, Span};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::iis;
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "T301",
        name: "iis-ssl-required",
        default_severity: Severity::Warning,
        summary: "`sslFlags` requires TLS: plain-HTTP requests get 403.4",
        doc: "",
    },
    family: Family::Auth,
    dialects: &[Dialect::Iis],
    likelihood: Likelihood::Occasional,
    fix: FixDifficulty::Moderate,
    source: include_str!("t301_iis_ssl_required.rs"),
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
        let has = |name: &str| {
            flags
                .value
                .split(',')
                .any(|flag| flag.trim().eq_ignore_ascii_case(name))
        };
        let (status, what) = if has("Ssl") {
            ("403.4", "SSL required")
        } else if has("Ssl128") {
            ("403.5", "128-bit SSL required")
        } else {
            return;
        };
        let prefix = visit.url_prefix();
        out.push(
            Diagnostic::new(
                RULE.code,
                Span::new(visit.file, flags.value_range),
                format!(
                    "IIS refuses plain HTTP here: GET http://…{prefix} → {status} ({what}); behind a proxy that ends TLS, every request → {status}"
                ),
            )
            .with_label("requires TLS")
            .with_help(
                "redirect HTTP to HTTPS with a URL Rewrite rule (or at the proxy) and keep sslFlags=\"None\"",
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
        assert_eq!(run("Ssl"), 1);
        assert_eq!(run("ssl, SslNegotiateCert"), 1);
        assert_eq!(run("Ssl128"), 1);
        assert_eq!(run("None"), 0);
        assert_eq!(run("SslNegotiateCert"), 0);
    }
}
