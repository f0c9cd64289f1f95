//! ## What it does
//! Flags an IIS access list that denies by default and holds no allow
//! entry, so that it refuses every client:
//! - `ipSecurity allowUnlisted="false"` with no `<add … allowed="true"/>`
//!   left after the section's own `<clear/>`/`<remove>`;
//! - IIS URL Authorization (`system.webServer/security/authorization`)
//!   where `<clear/>` or `<remove users="*" …/>` drops the server's default
//!   `<add accessType="Allow" users="*"/>` and no Allow rule follows;
//! - Apache `Order Allow,Deny` with `Deny from` lines naming specific
//!   clients and no `Allow from` line.
//!
//! ## Why it causes 403
//! With `allowUnlisted="false"` IIS refuses every address that no entry
//! allows; an `<add ipAddress="…"/>` without `allowed` is a deny, so a
//! list of only such entries (or none) lets nobody in: every request is
//! answered 403.503 on IIS 8 and later (403.6 on IIS 7/7.5), or the status
//! `denyAction` names (401.503, 404.503, or a dropped connection).
//!
//! URL Authorization grants access only through Allow rules; the server's
//! default rule allows `*`. Once it is cleared or removed without another
//! Allow, every user is denied, and IIS answers 401 (not 403).
//!
//! Entries inherited from a parent level (applicationHost.config, a parent
//! folder's web.config) are not seen in one file; a parent that allows
//! addresses or users makes the list work again.
//!
//! Apache's `Order Allow,Deny` denies by default: a client is let in only
//! when an `Allow` line matches it and no `Deny` line does. Without any
//! `Allow from` line the `Deny from 203.0.113.9` list (meant as a
//! blocklist) refuses **every** client with 403 ("client denied by server
//! configuration", AH01797; verified on httpd 2.4). `mod_access_compat`
//! has no merge: the scope's own lines are the whole list. Not reported:
//! `Order Allow,Deny` + `Deny from all`, the deliberate total deny
//! (Magento's `<Files>` blocks, Nextcloud's `data/.htaccess`), scopes
//! under `Satisfy Any`, and lines inside `<Limit>` or `<If>`.
//!
//! ## Example
//! ```xml
//! <configuration>
//!   <system.webServer>
//!     <security>
//!       <ipSecurity allowUnlisted="false">
//!         <add ipAddress="203.0.113.7" />
//!       </ipSecurity>
//!     </security>
//!   </system.webServer>
//! </configuration>
//! ```
//! `GET /` from 198.51.100.1 → 403.503, and from 203.0.113.7 too: the
//! entry without `allowed` is a deny.
//!
//! Apache, a blocklist written with the allow-by-default order reversed:
//! ```htaccess
//! Order Allow,Deny
//! Deny from 203.0.113.9
//! ```
//! `GET /` from 198.51.100.1 → 403 (AH01797). Fix: `Order Deny,Allow`
//! (allowed unless denied), or on 2.4 `<RequireAll> Require all granted`
//! `Require not ip 203.0.113.9 </RequireAll>`.
//!
//! ## Fix
//! Say which clients are allowed:
//! ```xml
//! <configuration>
//!   <system.webServer>
//!     <security>
//!       <ipSecurity allowUnlisted="false">
//!         <add ipAddress="203.0.113.7" allowed="true" />
//!       </ipSecurity>
//!     </security>
//!   </system.webServer>
//! </configuration>
//! ```
//! For URL Authorization, add the rule that grants access after the
//! `<clear/>`, e.g. `<add accessType="Allow" roles="Staff" />`.
//!
//! ## References
//! - `ipSecurity` (`allowUnlisted`, `denyAction`), `add@allowed` default
//!   false: <https://learn.microsoft.com/iis/configuration/system.webServer/security/ipSecurity/>,
//!   <https://learn.microsoft.com/iis/configuration/system.webServer/security/ipSecurity/add>
//! - 403.503 / 403.6: <https://learn.microsoft.com/troubleshoot/developer/webapps/iis/www-administration-management/http-status-code>
//! - URL Authorization, default `Allow *` rule:
//!   <https://learn.microsoft.com/iis/configuration/system.webServer/security/authorization/>,
//!   <https://learn.microsoft.com/iis/manage/configuring-security/understanding-iis-url-authorization>
//! - <https://httpd.apache.org/docs/2.4/mod/mod_access_compat.html#order>
//!   (`Allow,Deny`: "Any client which does not match an Allow directive or
//!   does match a Deny directive will be denied access")
//! - Not run on IIS (IIS cannot run here). The 401 substatus of URL
//!   Authorization (believed 401.2) is unverified.

use lint403_core::{Code, Diagnostic, Dialect, Severity, Span};
use lint403_iis::Element;

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::apache_scope;
use crate::walk::iis::{self, Visit};
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "A003",
        name: "default-deny-without-allow",
        default_severity: Severity::Error,
        summary: "a default-deny access list with no allow entry refuses every client",
        doc: "",
    },
    family: Family::Access,
    dialects: &[Dialect::Iis, Dialect::Apache],
    likelihood: Likelihood::Occasional,
    fix: FixDifficulty::Trivial,
    source: include_str!("a003_default_deny_without_allow.rs"),
    check,
};

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    if let Loaded::Apache(_) = context.config {
        check_apache(context, out);
        return;
    }
    let Loaded::Iis(_) = context.config else {
        return;
    };
    iis::walk(context, |visit| {
        if visit.name() == "ipSecurity"
            && visit.path_ends_with("system.webServer/security/ipSecurity")
        {
            check_ip_security(visit, out);
        } else if visit.name() == "authorization"
            && visit.path_ends_with("system.webServer/security/authorization")
        {
            check_url_authorization(visit, out);
        }
    });
}

/// The status `denyAction` gives a refused client.
fn deny_status(action: Option<&str>) -> &'static str {
    match action.map(str::trim) {
        Some(a) if a.eq_ignore_ascii_case("Unauthorized") => "401.503",
        Some(a) if a.eq_ignore_ascii_case("NotFound") => "404.503",
        Some(a) if a.eq_ignore_ascii_case("AbortRequest") => "connection reset (no status)",
        _ => "403.503 (IIS 8+; 403.6 on IIS 7)",
    }
}

fn ip_key(element: &Element) -> (String, String, String) {
    let value = |name: &str| {
        element
            .attribute_value(name)
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    };
    let mask = value("subnetMask");
    let mask = if mask.is_empty() {
        "255.255.255.255".to_owned()
    } else {
        mask
    };
    (value("ipAddress"), mask, value("domainName"))
}

fn check_ip_security(visit: &Visit<'_, '_>, out: &mut Vec<Diagnostic>) {
    let Some(unlisted) = visit.attr("allowUnlisted") else {
        return;
    };
    if iis::is_true(Some(&unlisted.value), true) {
        return;
    }
    // The section's own list after clear/remove: (key, allowed).
    let mut entries: Vec<((String, String, String), bool)> = Vec::new();
    let mut denies = 0usize;
    for child in visit.element.child_elements() {
        match child.name.local() {
            "clear" => entries.clear(),
            "remove" => {
                let key = ip_key(child);
                entries.retain(|(k, _)| *k != key);
            }
            "add" => {
                let allowed = iis::is_true(child.attribute_value("allowed"), false);
                if !allowed {
                    denies += 1;
                }
                entries.push((ip_key(child), allowed));
            }
            _ => {}
        }
    }
    if entries.iter().any(|(_, allowed)| *allowed) {
        return;
    }
    let status = deny_status(visit.attr_value("denyAction"));
    let prefix = visit.url_prefix();
    let detail = if denies > 0 {
        " (every `<add>` here is a deny: `allowed` defaults to false)"
    } else {
        ""
    };
    out.push(
        Diagnostic::new(
            RULE.code,
            Span::new(visit.file, unlisted.value_range),
            format!(
                "ipSecurity refuses unlisted clients and allows none{detail}: GET {prefix} from any client → {status}"
            ),
        )
        .with_label("deny by default")
        .with_related(visit.span(), "no <add … allowed=\"true\"/> in this list")
        .with_help(
            "add the clients that may connect, e.g. `<add ipAddress=\"203.0.113.0\" subnetMask=\"255.255.255.0\" allowed=\"true\" />`, or set allowUnlisted=\"true\"",
        ),
    );
}

fn is_default_allow_key(element: &Element) -> bool {
    let users = element.attribute_value("users").unwrap_or_default().trim();
    let empty = |name: &str| {
        element
            .attribute_value(name)
            .unwrap_or_default()
            .trim()
            .is_empty()
    };
    users == "*" && empty("roles") && empty("verbs")
}

fn check_url_authorization(visit: &Visit<'_, '_>, out: &mut Vec<Diagnostic>) {
    // The element that dropped the inherited default Allow, if any.
    let mut dropped: Option<&Element> = None;
    let mut allows = 0usize;
    for child in visit.element.child_elements() {
        match child.name.local() {
            "clear" => {
                dropped = Some(child);
                allows = 0;
            }
            "remove" if dropped.is_none() && is_default_allow_key(child) => {
                dropped = Some(child);
            }
            "add" => {
                let access = child.attribute_value("accessType").unwrap_or_default();
                if access.trim().eq_ignore_ascii_case("Allow") {
                    allows += 1;
                }
            }
            _ => {}
        }
    }
    let Some(dropped) = dropped else {
        return;
    };
    if allows > 0 {
        return;
    }
    let what = if dropped.name.local() == "clear" {
        "`<clear/>` drops the inherited `Allow users=\"*\"`"
    } else {
        "this `<remove>` drops the default `Allow users=\"*\"`"
    };
    out.push(
        Diagnostic::new(
            RULE.code,
            visit.span_of(dropped.start_tag),
            format!(
                "{what} and no Allow rule follows: IIS URL Authorization denies everyone, GET {} from any user → 401",
                visit.url_prefix()
            ),
        )
        .with_label("removes the only Allow")
        .with_related(visit.span(), "no <add accessType=\"Allow\" …/> in this section")
        .with_help(
            "add the users or roles that may enter, e.g. `<add accessType=\"Allow\" roles=\"Staff\" />`",
        ),
    );
}

fn check_apache(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for scope in context.apache_scopes() {
        let Some((false, order_span)) = scope.order else {
            continue;
        };
        if scope.limited || scope.satisfy_any() || !scope.allow.is_empty() {
            continue;
        }
        let Some(first) = scope.deny.first() else {
            continue;
        };
        if scope.deny.iter().any(apache_scope::Line::hosts_all) {
            continue;
        }
        let mut diagnostic = Diagnostic::new(
            RULE.code,
            order_span,
            format!(
                "{} from 198.51.100.1 → 403 (AH01797), from every client: under `Order Allow,Deny` a client no `Allow` matches is denied, and {} has no `Allow` line",
                scope.request, scope.label
            ),
        )
        .with_label("denies by default")
        .with_related(first.span, "meant as the only clients refused")
        .with_help("use `Order Deny,Allow` (allowed unless denied), or add the `Allow from` line for the clients that may enter");
        for line in scope.deny.iter().skip(1) {
            diagnostic = diagnostic.with_related(line.span, "also denies");
        }
        out.push(diagnostic);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrap(section: &str) -> String {
        format!("<configuration><system.webServer><security>{section}</security></system.webServer></configuration>")
    }

    #[test]
    fn ip_security() {
        let run = |s: &str| iis::run_check(check, &wrap(s)).len();
        assert_eq!(run(r#"<ipSecurity allowUnlisted="false"/>"#), 1);
        assert_eq!(
            run(r#"<ipSecurity allowUnlisted="False"><add ipAddress="10.0.0.1"/></ipSecurity>"#),
            1
        );
        assert_eq!(
            run(
                r#"<ipSecurity allowUnlisted="false"><add ipAddress="10.0.0.1" allowed="true"/></ipSecurity>"#
            ),
            0
        );
        assert_eq!(
            run(
                r#"<ipSecurity allowUnlisted="false"><add ipAddress="10.0.0.1" allowed="true"/><clear/></ipSecurity>"#
            ),
            1
        );
        assert_eq!(
            run(
                r#"<ipSecurity allowUnlisted="false"><add ipAddress="10.0.0.1" allowed="true"/><remove ipAddress="10.0.0.1"/></ipSecurity>"#
            ),
            1
        );
        assert_eq!(
            run(r#"<ipSecurity><add ipAddress="10.0.0.1"/></ipSecurity>"#),
            0
        );
    }

    #[test]
    fn url_authorization() {
        let run = |s: &str| iis::run_check(check, &wrap(s)).len();
        assert_eq!(run(r"<authorization><clear/></authorization>"), 1);
        assert_eq!(
            run(
                r#"<authorization><remove users="*" roles="" verbs=""/><add accessType="Deny" users="?"/></authorization>"#
            ),
            1
        );
        assert_eq!(
            run(
                r#"<authorization><remove users="*" roles="" verbs=""/><add accessType="Allow" roles="Staff"/></authorization>"#
            ),
            0
        );
        assert_eq!(
            run(r#"<authorization><add accessType="Deny" users="?"/></authorization>"#),
            0
        );
        assert_eq!(
            run(r#"<authorization><remove users="bob"/></authorization>"#),
            0
        );
    }
}
