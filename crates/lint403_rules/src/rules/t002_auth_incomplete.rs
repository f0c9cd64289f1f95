//! ## What it does
//! Flags `auth_basic "realm"` (not `off`) in effect in an nginx block with
//! no `auth_basic_user_file` in effect there. The two directives are
//! inherited independently: a user file in a sibling location does not
//! count. Apache: a section or `.htaccess` with `Require valid-user` (or
//! `user`, `group`) and other `Auth*` lines but no `AuthType`; or with
//! `AuthType` and no `Require` in the whole configuration that needs a
//! user.
//!
//! ## Why it causes 403
//! Without a user file the `auth_basic` module declines: nginx asks for no
//! password at all and serves the page (a missing 401). What looks
//! protected is open.
//!
//! `auth_basic off` is a deliberate opt-out and is not reported. A
//! fragment whose blocks stand outside any `server { }` it shows (a
//! snippet of `location`s) is not reported either: the including server
//! may hold the user file.
//!
//! Apache httpd 2.4: `Require valid-user` with no `AuthType` in effect
//! makes every request there fail with 500 (`AuthType not set`, AH00027;
//! verified). The reverse, `AuthType Basic` with its `AuthName` and
//! `AuthUserFile` but no `Require` needing a user, asks for no password:
//! authentication runs only when authorization needs a user, so the
//! inherited rules decide and, under the usual `Require all granted`, the
//! page is served with 200 (verified). A `.htaccess` holding only
//! `Require valid-user` is not reported (its parent may set `AuthType`),
//! nor `AuthType` where some `Require` of the configuration decides (an
//! old password switched off by commenting out `Require valid-user`,
//! with `<FilesMatch>` sections deciding, is deliberate).
//!
//! ## Example
//! ```nginx
//! server {
//!     location /admin/ {
//!         auth_basic "staff";
//!     }
//! }
//! ```
//! `GET /admin/` without credentials → 200.
//!
//! Apache, a `.htaccess`:
//! ```htaccess
//! AuthName "staff"
//! AuthUserFile /etc/apache2/htpasswd
//! Require valid-user
//! ```
//! `GET /` → 500 (AH00027). Fix: add `AuthType Basic`.
//!
//! ## Fix
//! ```nginx
//! server {
//!     location /admin/ {
//!         auth_basic "staff";
//!         auth_basic_user_file /etc/nginx/htpasswd;
//!     }
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_auth_basic_module.html>
//! - nginx source `ngx_http_auth_basic_handler`: no realm or no user file
//!   → `NGX_DECLINED` (observed 200 in the research, B6)
//! - <https://httpd.apache.org/docs/2.4/mod/mod_authn_core.html#authtype>
//! - httpd source `mod_authz_core.c` (AH00027 `AuthType not set`);
//!   behaviour verified on httpd 2.4 (`tests/real_apache_shared.rs`)

use std::collections::HashSet;

use lint403_core::{Code, Diagnostic, Dialect, Severity};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::apache_scope;
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "T002",
        name: "auth-incomplete",
        default_severity: Severity::Error,
        summary: "auth_basic without auth_basic_user_file in effect: no authentication at all",
        doc: "",
    },
    family: Family::Auth,
    dialects: &[Dialect::Nginx, Dialect::Apache],
    likelihood: Likelihood::Occasional,
    fix: FixDifficulty::Trivial,
    source: include_str!("t002_auth_incomplete.rs"),
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
        let Some(auth) = tree
            .effective_entry(index, "auth_basic")
            .filter(|entry| entry.arg(0).is_some_and(|value| value != "off"))
        else {
            continue;
        };
        if tree
            .effective_entry(index, "auth_basic_user_file")
            .is_some()
        {
            continue;
        }
        // A fragment may be included where a user file is in effect.
        if tree.fragment && tree.server_block_of(index).is_none() && tree.kind(0) != "http" {
            continue;
        }
        if !seen.insert(auth.span()) {
            continue;
        }
        let path = tree.sample_path(index);
        // Inherited by several servers, it is reported once, through the
        // first location it leaves open.
        context.report_once(
            &[auth.span()],
            Diagnostic::new(
                RULE.code,
                auth.head_span(),
                format!(
                    "GET {path} without credentials → 200: `auth_basic` is on but no `auth_basic_user_file` is in effect here, so nginx asks for no password"
                ),
            )
            .with_label("no user file in effect")
            .with_help("add `auth_basic_user_file /path/to/htpasswd;` beside it (or in an enclosing block)"),
            out,
        );
    }
}

/// `Require` providers that need an authenticated user.
fn needs_user(line: &apache_scope::Line) -> bool {
    line.args.first().is_some_and(|provider| {
        matches!(
            provider.as_str(),
            "valid-user"
                | "user"
                | "group"
                | "file-owner"
                | "file-group"
                | "ldap-user"
                | "ldap-group"
        )
    })
}

fn check_apache(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let scopes = context.apache_scopes();
    // Any `Require` anywhere decides what the `AuthType`-only scope serves
    // (and may be the deliberate switch-off of an old password): then
    // only the missing-AuthType half is reported.
    let any_require = scopes
        .iter()
        .any(|scope| scope.limited || !scope.containers.is_empty() || !scope.require.is_empty());
    for scope in scopes {
        let user_require = scope.require.iter().find(|line| needs_user(line));
        match (&scope.auth_type, user_require) {
            (None, Some(require)) => {
                if scope.limited {
                    continue;
                }
                let Some((name, span)) = scope
                    .auth
                    .iter()
                    .find(|(name, _)| !name.to_ascii_lowercase().starts_with("authz"))
                else {
                    continue;
                };
                out.push(
                    Diagnostic::new(
                        RULE.code,
                        require.span,
                        format!(
                            "{} → 500 (AH00027 \"AuthType not set\"): `Require {}` needs a user, and {} configures authentication (`{name}` …) without `AuthType`",
                            scope.request,
                            require.args.join(" "),
                            scope.label
                        ),
                    )
                    .with_label("needs an authenticated user")
                    .with_related(*span, "authentication set up here, but no AuthType")
                    .with_help("add `AuthType Basic` (or the scheme this realm uses)"),
                );
            }
            (Some(auth_type), None) => {
                if any_require
                    || auth_type.args.first().is_none_or(|kind| kind == "none")
                    || !scope.require.is_empty()
                    || scope.limited
                {
                    continue;
                }
                out.push(
                    Diagnostic::new(
                        RULE.code,
                        auth_type.span,
                        format!(
                            "{} without credentials → no password asked (200 under the usual inherited `Require all granted`): {} sets `AuthType` but no `Require valid-user`, and httpd authenticates only when a `Require` needs a user",
                            scope.request,
                            scope.label,
                        ),
                    )
                    .with_label("authentication that never runs")
                    .with_help("add `Require valid-user` (or `Require user …`) beside `AuthType`"),
                );
            }
            _ => {}
        }
    }
}
