//! ## What it does
//! Flags an nginx block (`server`, `location`, `limit_except`) with its own
//! `allow`/`deny` list while an enclosing block — across includes — has
//! one, when the replacement changes who gets in: a client the inherited
//! list refused falls through the child's list and is let in, or (in
//! `limit_except`) a client the location allowed is now refused.
//!
//! ## Why it causes 403
//! nginx does not merge access lists. A block with any `allow` or `deny`
//! of its own drops the whole inherited list. `location /pub/ { deny
//! 203.0.113.9; }` under a server that allows only 10.0.0.0/8 opens
//! `/pub/` to the whole internet; a `limit_except GET { allow 10.0.0.0/8;
//! deny all; }` inside a location that allows 127.0.0.1 refuses `DELETE`
//! from 127.0.0.1 with 403.
//!
//! ## Example
//! ```nginx
//! server {
//!     allow 10.0.0.0/8;
//!     deny all;
//!     location /pub/ {
//!         deny 203.0.113.9;
//!     }
//! }
//! ```
//! `GET /pub/` from 198.51.100.1 → let through (200), although the server
//! refuses it.
//!
//! ## Fix
//! Repeat the inherited entries in the child (an `include` of a shared
//! file keeps them in one place):
//! ```nginx
//! server {
//!     allow 10.0.0.0/8;
//!     deny all;
//!     location /pub/ {
//!         deny 203.0.113.9;
//!         allow 10.0.0.0/8;
//!         deny all;
//!     }
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_access_module.html>
//! - nginx source `ngx_http_access_merge_loc_conf`: the parent's rules are
//!   taken only when the child has none of any family
//! - <https://nginx.org/en/docs/http/ngx_http_core_module.html#limit_except>

use std::net::IpAddr;

use lint403_core::{Code, Diagnostic, Dialect, Severity};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::nginx::{self, AclEntry, Tree};
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "S001",
        name: "child-acl-replaces-parent",
        default_severity: Severity::Warning,
        summary: "a block's own allow/deny list silently discards the inherited one",
        doc: "",
    },
    family: Family::Scope,
    dialects: &[Dialect::Nginx],
    likelihood: Likelihood::Common,
    fix: FixDifficulty::Moderate,
    source: include_str!("s001_child_acl_replaces_parent.rs"),
    check,
};

const METHODS: [&str; 5] = ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"];

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
        let Some(parent_node) = tree
            .node(index)
            .parent
            .and_then(|parent| tree.effective_acl(parent))
        else {
            continue;
        };
        let parent = tree.acl(parent_node);
        let Some(parent_first) = parent.first() else {
            continue;
        };
        let limit_except = tree.kind(index) == "limit_except";
        let lists = [list.as_slice(), parent.as_slice()];
        let probes = nginx::probe_addresses(&lists);
        let mut path = tree.sample_path(index);
        let mut method = "GET".to_string();
        if limit_except {
            let exempt: Vec<String> = tree
                .node(index)
                .block
                .map(|block| {
                    block
                        .args()
                        .iter()
                        .map(|m| m.to_ascii_uppercase())
                        .collect()
                })
                .unwrap_or_default();
            let Some(limited) = METHODS.iter().find(|m| !exempt.iter().any(|e| e == *m)) else {
                continue;
            };
            method = (*limited).to_string();
            if let Some(location) = tree.node(index).parent {
                path = tree.sample_path(location);
            }
        }
        let parent_kind = tree.kind(parent_node);
        let finding = widened(&probes, &list, &parent, limit_except)
            .map(|address| {
                format!(
                    "{method} {path} from {address} → let through: this block's own allow/deny list replaces the one inherited from `{parent_kind}`, which refused {address}"
                )
            })
            .or_else(|| {
                limit_except
                    .then(|| narrowed(&probes, &list, &parent))
                    .flatten()
                    .map(|address| {
                        format!(
                            "{method} {path} from {address} → 403: `limit_except`'s own allow/deny list replaces the one inherited from `{parent_kind}`, which allowed {address}"
                        )
                    })
            });
        let Some(message) = finding else {
            continue;
        };
        out.push(
            Diagnostic::new(RULE.code, first.entry.head_span(), message)
                .with_label("replaces the inherited list")
                .with_related(parent_first.entry.head_span(), "inherited list, discarded there")
                .with_help(
                    "repeat the inherited allow/deny entries in this block (or include them from one shared file)",
                ),
        );
    }
}

/// A client the parent refuses and the child lets through (outside
/// `limit_except`: only by matching none of the child's entries).
fn widened(
    probes: &[IpAddr],
    list: &[AclEntry<'_>],
    parent: &[AclEntry<'_>],
    any_way: bool,
) -> Option<IpAddr> {
    probes.iter().copied().find(|&address| {
        let parent_denies = nginx::decide(parent, address).is_some_and(|entry| !entry.allow);
        let child = nginx::decide(list, address);
        parent_denies && (child.is_none() || (any_way && child.is_some_and(|entry| entry.allow)))
    })
}

/// A client the parent allows by an entry and the child refuses, where no
/// `allow` of the child overlaps that entry (a child allowing a part of
/// the parent's network is a deliberate tightening).
fn narrowed(probes: &[IpAddr], list: &[AclEntry<'_>], parent: &[AclEntry<'_>]) -> Option<IpAddr> {
    probes.iter().copied().find(|&address| {
        let Some(allowing) = nginx::decide(parent, address).filter(|entry| entry.allow) else {
            return false;
        };
        let overlaps = list.iter().any(|entry| {
            entry.allow
                && (entry.subject.covered_by(allowing.subject)
                    || allowing.subject.covered_by(entry.subject))
        });
        !overlaps && nginx::decide(list, address).is_some_and(|entry| !entry.allow)
    })
}

#[cfg(test)]
mod tests {
    use crate::walk::nginx::run_check;

    fn count(text: &str) -> usize {
        run_check(super::check, text).len()
    }

    #[test]
    fn widening_and_narrowing() {
        // A child deny-only list opens the location (fall-through).
        assert_eq!(
            count("server { allow 10.0.0.0/8; deny all; location /p/ { deny 10.9.9.9; } }"),
            1
        );
        // A complete child list is deliberate.
        assert_eq!(
            count("server { allow 10.0.0.0/8; deny all; location /p/ { allow 192.168.0.0/16; deny all; } }"),
            0
        );
        // limit_except tightening to a part of the parent's network is fine ...
        assert_eq!(
            count("server { allow 10.0.0.0/8; deny all; location /p/ { limit_except GET { allow 10.1.0.0/16; deny all; } } }"),
            0
        );
        // ... refusing the parent's clients for other methods is not.
        assert_eq!(
            count("server { location /p/ { allow 127.0.0.1; deny all; limit_except GET { allow 10.1.0.0/16; deny all; } } }"),
            1
        );
        // Nothing inherited: nothing replaced.
        assert_eq!(count("server { location /p/ { deny 10.9.9.9; } }"), 0);
    }
}
