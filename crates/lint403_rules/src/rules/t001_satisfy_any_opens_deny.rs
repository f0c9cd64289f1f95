//! ## What it does
//! Flags `satisfy any` in an nginx block where authentication
//! (`auth_basic`, `auth_request`) is in effect and the effective access
//! list has an `allow` that matches everyone (`allow all`, `0.0.0.0/0`,
//! `::/0`); and Apache `Satisfy Any` in a section or `.htaccess` whose
//! own `mod_access_compat` lines let every client through (none, no
//! `Deny`, or `Allow from all`) while a `Require` there restricts.
//!
//! ## Why it causes 403
//! Under `satisfy any` the first access handler that says yes ends the
//! access phase. The access module runs before `auth_basic`, and its
//! everyone-allow says yes to every client: the password is never asked
//! (a missing 401/403). The author usually wanted "intranet or password".
//!
//! Not reported: an allow list without `deny` (`satisfy any; allow
//! 10.0.0.0/8;`). A client no entry matches makes the access module
//! decline, and `auth_basic` still asks it for a password (observed with
//! nginx 1.22: 401 from outside, 200 from inside the list), and `satisfy
//! any` with no authentication in effect (it then acts as `satisfy all`).
//!
//! Apache httpd 2.4: under `Satisfy Any`, a request that passes
//! `mod_access_compat` (the access phase) skips authentication and
//! `mod_authz_core` altogether. `mod_access_compat` has no merge, and
//! `Satisfy` is one of its directives: a scope holding `Satisfy Any` uses
//! its own Order/Allow/Deny lines only, and with none (or no `Deny`) every
//! client passes. `Require all denied` + `Satisfy Any` serves `GET /` with
//! 200, and `Require valid-user` is never asked (verified on httpd 2.4).
//! Not reported: `Satisfy Any` with an IP list that denies the rest (the
//! "intranet or password" idiom), and a lone `Satisfy Any` without
//! `Require` beside it.
//!
//! ## Example
//! ```nginx
//! location /admin/ {
//!     satisfy any;
//!     allow all;
//!     auth_basic "staff";
//!     auth_basic_user_file /etc/nginx/htpasswd;
//! }
//! ```
//! `GET /admin/` from 203.0.113.7 without credentials → 200.
//!
//! Apache, a `.htaccess`:
//! ```htaccess
//! AuthType Basic
//! AuthName "staff"
//! AuthUserFile /etc/apache2/htpasswd
//! Require valid-user
//! Satisfy Any
//! ```
//! `GET /` from 203.0.113.7 without credentials → 200. Fix: add
//! `Order Deny,Allow`, `Deny from all`, `Allow from 10.0.0.0/8` (or
//! write `Require ip 10.0.0.0/8` beside `Require valid-user` and drop
//! `Satisfy`).
//!
//! ## Fix
//! Allow only the networks that may skip the password, and deny the rest:
//! ```nginx
//! location /admin/ {
//!     satisfy any;
//!     allow 10.0.0.0/8;
//!     deny all;
//!     auth_basic "staff";
//!     auth_basic_user_file /etc/nginx/htpasswd;
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_core_module.html#satisfy>
//! - nginx source `ngx_http_core_access_phase` (satisfy any: the first
//!   `NGX_OK` wins)
//! - <https://httpd.apache.org/docs/2.4/mod/mod_access_compat.html#satisfy>

use std::collections::HashSet;

use lint403_core::{Code, Diagnostic, Dialect, Severity};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::nginx;
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "T001",
        name: "satisfy-any-opens-deny",
        default_severity: Severity::Error,
        summary: "satisfy any with an allow that matches everyone: auth is never asked",
        doc: "",
    },
    family: Family::Auth,
    dialects: &[Dialect::Nginx, Dialect::Apache],
    likelihood: Likelihood::Occasional,
    fix: FixDifficulty::Trivial,
    source: include_str!("t001_satisfy_any_opens_deny.rs"),
    check,
};

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    if let Loaded::Apache(_) = context.config {
        check_apache(context, out);
        return;
    }
    let Some(tree) = context.nginx_tree() else {
        return;
    };
    let mut seen = HashSet::new();
    for index in 0..tree.nodes.len() {
        if !tree.serves(index) {
            continue;
        }
        let Some(satisfy) = tree.satisfy_any(index) else {
            continue;
        };
        let Some(auth) = tree.auth_in_effect(index) else {
            continue;
        };
        let Some(list_node) = tree.effective_acl(index) else {
            continue;
        };
        let list = tree.acl(list_node);
        let lists = [list];
        let found = nginx::probe_addresses(&lists)
            .into_iter()
            .find_map(|address| {
                nginx::decide(list, address)
                    .filter(|entry| entry.allow && entry.subject.is_everyone())
                    .map(|entry| (address, entry.entry))
            });
        let Some((address, entry)) = found else {
            continue;
        };
        if !seen.insert((entry.span(), satisfy.span())) {
            continue;
        }
        let path = tree.sample_path(index);
        let value = entry.arg(0).unwrap_or_default();
        let auth_name = auth.name();
        // Inherited by several servers, the pair is reported once, through
        // the first location it opens.
        context.report_once(
            &[entry.span(), satisfy.span()],
            Diagnostic::new(
                RULE.code,
                entry.head_span(),
                format!(
                    "GET {path} from {address} without credentials → 200: under `satisfy any`, `allow {value}` lets every client in before `{auth_name}` is asked"
                ),
            )
            .with_label("matches everyone")
            .with_related(satisfy.head_span(), "first yes wins")
            .with_related(auth.head_span(), "never asked")
            .with_help(format!(
                "replace `allow {value};` by the networks that may skip the password, followed by `deny all;`"
            )),
            out,
        );
    }
}

fn check_apache(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for scope in context.apache_scopes() {
        let Some((true, satisfy_span)) = scope.satisfy else {
            continue;
        };
        if scope.limited || !scope.compat_allows_everyone() {
            continue;
        }
        let restricting = scope
            .require
            .iter()
            .find(|line| line.args != ["all", "granted"])
            .map(|line| (line.span, format!("`Require {}`", line.args.join(" "))))
            .or_else(|| {
                scope
                    .containers
                    .first()
                    .map(|span| (*span, "the <Require…> container".to_string()))
            });
        let Some((require_span, require)) = restricting else {
            continue;
        };
        let list = if scope.allow.is_empty() && scope.deny.is_empty() {
            "has no Allow/Deny line, so every client passes"
        } else {
            "allows every client"
        };
        out.push(
            Diagnostic::new(
                RULE.code,
                satisfy_span,
                format!(
                    "{} from 203.0.113.7 without credentials → 200: under `Satisfy Any` a request mod_access_compat allows skips {require}, and the access list of {} {list}",
                    scope.request, scope.label
                ),
            )
            .with_label("lets every client skip Require")
            .with_related(require_span, "never asked")
            .with_help("remove `Satisfy Any`, or add `Deny from all` and `Allow from` the networks that may skip the password"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::walk::nginx::run_check;

    fn count(text: &str) -> usize {
        run_check(super::check, text).len()
    }

    #[test]
    fn everyone_allowed_under_satisfy_any() {
        let auth = "auth_basic x; auth_basic_user_file /f;";
        assert_eq!(
            count(&format!(
                "server {{ location /a/ {{ satisfy any; allow 0.0.0.0/0; deny all; {auth} }} }}"
            )),
            1
        );
        // `deny all` first: the allow is never reached.
        assert_eq!(
            count(&format!(
                "server {{ location /a/ {{ satisfy any; deny all; allow all; {auth} }} }}"
            )),
            0
        );
        // satisfy all (the default): auth is still asked.
        assert_eq!(
            count(&format!(
                "server {{ location /a/ {{ allow all; {auth} }} }}"
            )),
            0
        );
        // No auth in effect.
        assert_eq!(
            count("server { location /a/ { satisfy any; allow all; } }"),
            0
        );
        // Inherited from the server, reported once.
        assert_eq!(
            count(&format!(
                "server {{ satisfy any; allow all; {auth} location /a/ {{ }} location /b/ {{ }} }}"
            )),
            1
        );
    }
}
