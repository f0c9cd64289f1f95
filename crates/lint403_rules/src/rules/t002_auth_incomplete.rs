//! ## What it does
//! Flags `auth_basic "realm"` (not `off`) in effect in an nginx block with
//! no `auth_basic_user_file` in effect there. The two directives are
//! inherited independently: a user file in a sibling location does not
//! count.
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

use std::collections::HashSet;

use lint403_core::{Code, Diagnostic, Dialect, Severity};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::nginx::Tree;
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
    dialects: &[Dialect::Nginx],
    likelihood: Likelihood::Occasional,
    fix: FixDifficulty::Trivial,
    source: include_str!("t002_auth_incomplete.rs"),
    check,
};

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Loaded::Nginx(config) = context.config else {
        return;
    };
    let tree = Tree::build(config, context.sources);
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
        out.push(
            Diagnostic::new(
                RULE.code,
                auth.head_span(),
                format!(
                    "GET {path} without credentials → 200: `auth_basic` is on but no `auth_basic_user_file` is in effect here, so nginx asks for no password"
                ),
            )
            .with_label("no user file in effect")
            .with_help("add `auth_basic_user_file /path/to/htpasswd;` beside it (or in an enclosing block)"),
        );
    }
}
