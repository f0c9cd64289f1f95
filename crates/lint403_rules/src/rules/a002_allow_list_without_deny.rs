//! ## What it does
//! Flags an nginx `allow`/`deny` list that has `allow` entries and no
//! `deny` at all, and an Apache `mod_access_compat` list under
//! `Order Deny,Allow` (the default) with `Allow from` lines and no `Deny`:
//! it restricts nobody.
//!
//! ## Why it causes 403
//! It does the opposite of refusing: nginx checks the entries in order
//! and, when none matches, the access module declines and the request
//! goes on. An allow-only list therefore lets every other client in. The
//! author meant "only these addresses"; everyone gets through (a missing
//! 403).
//!
//! Not reported: lists with `allow all` (deliberately open), and lists
//! under `satisfy any` with authentication in effect (there the unmatched
//! clients are asked for a password).
//!
//! Apache: under `Order Deny,Allow` the Deny lines are evaluated first,
//! then the Allow lines, and a client matched by neither is **allowed**.
//! With no `Deny` line at all, every client passes `mod_access_compat`
//! (verified on httpd 2.4: `Order Deny,Allow` + `Allow from 10.0.0.1`
//! serves `GET /` to 127.0.0.1 with 200). Not reported there: scopes under
//! `Satisfy Any` (T001), and scopes whose lines sit in `<Limit>` or `<If>`.
//!
//! ## Example
//! ```nginx
//! location /adm/ {
//!     allow 10.0.0.0/8;
//! }
//! ```
//! `GET /adm/` from 203.0.113.7 → let through (200).
//!
//! The same in a `.htaccess`:
//! ```htaccess
//! Order Deny,Allow
//! Allow from 10.0.0.0/8
//! ```
//! `GET /` from 203.0.113.7 → 200. Fix: add `Deny from all` (or, on 2.4,
//! replace the lines with `Require ip 10.0.0.0/8`).
//!
//! ## Fix
//! ```nginx
//! location /adm/ {
//!     allow 10.0.0.0/8;
//!     deny all;
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_access_module.html>
//! - nginx source `ngx_http_access_module.c`: no matching rule → `NGX_DECLINED`
//! - <https://httpd.apache.org/docs/2.4/mod/mod_access_compat.html#order>
//!   (`Deny,Allow`: "Any client which does not match a Deny directive or
//!   does match an Allow directive will be allowed access")

use lint403_core::{Code, Diagnostic, Dialect, Severity};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::apache_scope;
use crate::walk::nginx;
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "A002",
        name: "allow-list-without-deny",
        default_severity: Severity::Warning,
        summary: "an access list with allow entries and no deny restricts nobody",
        doc: "",
    },
    family: Family::Access,
    dialects: &[Dialect::Nginx, Dialect::Apache],
    likelihood: Likelihood::Common,
    fix: FixDifficulty::Trivial,
    source: include_str!("a002_allow_list_without_deny.rs"),
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
    for index in 0..tree.nodes.len() {
        let list = tree.acl(index);
        let Some(first) = list.first() else {
            continue;
        };
        if list
            .iter()
            .any(|entry| !entry.allow || entry.subject.is_everyone())
        {
            continue;
        }
        if tree.satisfy_any(index).is_some() && tree.auth_in_effect(index).is_some() {
            continue;
        }
        let lists = [list];
        let Some(outside) = nginx::probe_addresses(&lists)
            .into_iter()
            .find(|address| nginx::decide(list, *address).is_none())
        else {
            continue;
        };
        let path = tree.sample_path(index);
        let mut diagnostic = Diagnostic::new(
            RULE.code,
            first.entry.head_span(),
            format!(
                "GET {path} from {outside} → let through: this list only allows, and a client no entry matches is let in (there is no `deny all`)"
            ),
        )
        .with_label("allows only; nothing is denied")
        .with_help("end the list with `deny all;`");
        for entry in list.iter().skip(1) {
            diagnostic = diagnostic.with_related(entry.entry.head_span(), "also only allows");
        }
        out.push(diagnostic);
    }
}

fn check_apache(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for scope in context.apache_scopes() {
        if scope.limited || scope.satisfy_any() || !scope.deny_first() || !scope.deny.is_empty() {
            continue;
        }
        let Some(first) = scope.allow.first() else {
            continue;
        };
        if scope.allow.iter().any(apache_scope::Line::hosts_all) {
            continue;
        }
        let order = if scope.order.is_some() {
            "`Order Deny,Allow`"
        } else {
            "the default `Order Deny,Allow`"
        };
        let mut diagnostic = Diagnostic::new(
            RULE.code,
            first.span,
            format!(
                "{} from 203.0.113.7 → let through (200): under {order} a client no `Deny` matches is allowed, and {} has no `Deny` line",
                scope.request, scope.label
            ),
        )
        .with_severity(Severity::Error)
        .with_label("allows only; nothing is denied")
        .with_help("add `Deny from all` after `Order Deny,Allow` (on httpd 2.4: replace the lines with `Require ip …`)");
        if let Some((_, span)) = scope.order {
            diagnostic = diagnostic.with_related(span, "allow-by-default order");
        }
        for line in scope.allow.iter().skip(1) {
            diagnostic = diagnostic.with_related(line.span, "also only allows");
        }
        out.push(diagnostic);
    }
}
