//! ## What it does
//! Flags, in a web.config, the sections that a default IIS installation
//! locks at server level (`overrideModeDefault="Deny"` in
//! applicationHost.config): `system.webServer/security/ipSecurity`,
//! `dynamicIpSecurity`, `access`, every `security/authentication/*`
//! section, `serverRuntime`, `rewrite/allowedServerVariables`, and the
//! sections that may only be set in applicationHost.config at all
//! (`rewrite/globalRules`, `security/isapiCgiRestriction`).
//!
//! ## Why it causes 403
//! It does not cause a 403 but hides the one that was meant: when a
//! web.config sets a locked section, IIS refuses the file and answers every
//! request below it with 500.19 ("This configuration section cannot be
//! used at this path", 0x80070021). The IP restriction, SSL requirement or
//! authentication setting never takes effect. It works only where the
//! server administrator has unlocked the section (`appcmd unlock config`,
//! or `overrideMode="Allow"` for the site in applicationHost.config), which
//! one file does not show: hence a warning.
//!
//! `handlers` and `modules` are also `Deny` by default, but the default
//! applicationHost.config re-opens them; `authorization`,
//! `requestFiltering`, `defaultDocument`, `directoryBrowse`, `httpErrors`
//! and `rewrite/rules` are `Allow`. None of those is flagged.
//!
//! ## Example
//! ```xml
//! <configuration>
//!   <system.webServer>
//!     <security>
//!       <ipSecurity allowUnlisted="true">
//!         <add ipAddress="192.0.2.66" />
//!       </ipSecurity>
//!     </security>
//!   </system.webServer>
//! </configuration>
//! ```
//! On a server with the default locks, `GET /` → 500.19 (0x80070021).
//!
//! ## Fix
//! Unlock the section for the site on the server
//! (`%windir%\system32\inetsrv\appcmd unlock config -section:system.webServer/security/ipSecurity`),
//! or move the setting into applicationHost.config under
//! `<location path="Site Name">`. A web.config that only uses unlocked
//! sections:
//! ```xml
//! <configuration>
//!   <system.webServer>
//!     <security>
//!       <requestFiltering>
//!         <hiddenSegments>
//!           <add segment="private" />
//!         </hiddenSegments>
//!       </requestFiltering>
//!     </security>
//!   </system.webServer>
//! </configuration>
//! ```
//!
//! ## References
//! - Locking, `overrideModeDefault`: <https://learn.microsoft.com/iis/get-started/planning-your-iis-architecture/deep-dive-into-iis-configuration-with-iis-7-and-iis-8>,
//!   <https://learn.microsoft.com/iis/get-started/planning-your-iis-architecture/introduction-to-applicationhostconfig>
//! - 500.19 with 0x80070021 for a locked section: <https://learn.microsoft.com/troubleshoot/developer/webapps/iis/health-diagnostic-performance/http-error-500-19-webpage>
//! - Which sections are `Deny` comes from the `<configSections>` of the
//!   default applicationHost.config as seen in public copies (not from a
//!   running server). Not run on IIS (IIS cannot run here).

use lint403_core::{Code, Diagnostic, Dialect, Severity};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::iis;
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "P301",
        name: "iis-section-locked-by-default",
        default_severity: Severity::Warning,
        summary: "a section IIS locks at server level by default, set in a web.config",
        doc: "",
    },
    family: Family::Parse,
    dialects: &[Dialect::Iis],
    likelihood: Likelihood::Common,
    fix: FixDifficulty::Moderate,
    source: include_str!("p301_iis_section_locked_by_default.rs"),
    check,
};

/// Sections locked by default (`overrideModeDefault="Deny"`), as element
/// paths below `configuration`.
const LOCKED: &[&str] = &[
    "system.webServer/security/ipSecurity",
    "system.webServer/security/dynamicIpSecurity",
    "system.webServer/security/access",
    "system.webServer/serverRuntime",
    "system.webServer/rewrite/allowedServerVariables",
];

/// Sections only applicationHost.config may hold (`AppHostOnly`).
const APP_HOST_ONLY: &[&str] = &[
    "system.webServer/rewrite/globalRules",
    "system.webServer/security/isapiCgiRestriction",
];

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Loaded::Iis(_) = context.config else {
        return;
    };
    iis::walk(context, |visit| {
        if visit.in_application_host(context.sources) {
            return;
        }
        let path = visit.path();
        let Some(section) = path.strip_prefix("configuration/") else {
            return;
        };
        let authentication = section
            .strip_prefix("system.webServer/security/authentication/")
            .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'));
        let app_host_only = APP_HOST_ONLY.contains(&section);
        if !(authentication || app_host_only || LOCKED.contains(&section)) {
            return;
        }
        let (why, help) = if app_host_only {
            (
                "may only be set in applicationHost.config",
                format!("move `{section}` into applicationHost.config"),
            )
        } else {
            (
                "is locked at server level by default (overrideModeDefault=\"Deny\")",
                format!(
                    "unlock it for the site (`appcmd unlock config -section:{section}`), or move it into applicationHost.config under <location path=\"Site Name\">"
                ),
            )
        };
        let unless = if app_host_only {
            ""
        } else {
            " unless the server unlocks it"
        };
        out.push(
            Diagnostic::new(
                RULE.code,
                visit.name_span(),
                format!(
                    "`{}` {why}: set in a web.config, GET {} → 500.19 (0x80070021){unless}, and the setting never applies",
                    visit.name(),
                    visit.url_prefix()
                ),
            )
            .with_label("locked section")
            .with_help(help),
        );
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections() {
        let run = |s: &str| {
            iis::run_check(
                check,
                &format!("<configuration><system.webServer>{s}</system.webServer></configuration>"),
            )
            .len()
        };
        assert_eq!(run("<security><ipSecurity/></security>"), 1);
        assert_eq!(
            run("<security><authentication><anonymousAuthentication enabled=\"true\"/><windowsAuthentication enabled=\"true\"/></authentication></security>"),
            2
        );
        assert_eq!(
            run("<security><requestFiltering/><authorization/></security>"),
            0
        );
        assert_eq!(run("<rewrite><rules/></rewrite><handlers/><modules/>"), 0);
        assert_eq!(run("<rewrite><globalRules/></rewrite>"), 1);
    }
}
