//! ## What it does
//! Flags an nginx `allow`/`deny` list that has `allow` entries and no
//! `deny` at all: it restricts nobody.
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
//! ## Example
//! ```nginx
//! location /adm/ {
//!     allow 10.0.0.0/8;
//! }
//! ```
//! `GET /adm/` from 203.0.113.7 → let through (200).
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

use lint403_core::{Code, Diagnostic, Dialect, Severity};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::nginx::{self, Tree};
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
    dialects: &[Dialect::Nginx],
    likelihood: Likelihood::Common,
    fix: FixDifficulty::Trivial,
    source: include_str!("a002_allow_list_without_deny.rs"),
    check,
};

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Loaded::Nginx(config) = context.config else {
        return;
    };
    let tree = Tree::build(config, context.sources);
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
        let lists = [list.as_slice()];
        let Some(outside) = nginx::probe_addresses(&lists)
            .into_iter()
            .find(|address| nginx::decide(&list, *address).is_none())
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
