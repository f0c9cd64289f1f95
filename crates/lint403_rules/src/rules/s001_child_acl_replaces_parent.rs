//! ## What it does
//! Flags an nginx block (`server`, `location`, `limit_except`) with its own
//! `allow`/`deny` list while an enclosing block — across includes — has
//! one, when the replacement changes who gets in: a client the inherited
//! list refused falls through the child's list and is let in, or (in
//! `limit_except`) a client the location allowed is now refused.
//! Apache: a `<Directory>` or `.htaccess` with its own `Order`/`Allow`/
//! `Deny`/`Satisfy` lines below a parent directory whose list refuses a
//! client that the child's list lets in.
//!
//! ## Why it causes 403
//! nginx does not merge access lists. A block with any `allow` or `deny`
//! of its own drops the whole inherited list. `location /pub/ { deny
//! 203.0.113.9; }` under a server that allows only 10.0.0.0/8 opens
//! `/pub/` to the whole internet; a `limit_except GET { allow 10.0.0.0/8;
//! deny all; }` inside a location that allows 127.0.0.1 refuses `DELETE`
//! from 127.0.0.1 with 403.
//!
//! Apache httpd's `mod_access_compat` has no merge function either: a
//! child `<Directory>` or a subdirectory's `.htaccess` holding any
//! `Order`, `Allow`, `Deny` or `Satisfy` line replaces the parent's whole
//! list, its `Order` included (the default is `Deny,Allow`, allowed
//! unless denied). Parent `Deny from all` + `sub/.htaccess: Allow from
//! 10.1.1.1` opens `/sub/` to everyone (verified on httpd 2.4: 200 from
//! 127.0.0.7), and a lone `Satisfy Any` does the same. Compared: the
//! nearest parent directory with lines of its own (a `<Directory>` with a
//! plain path, or a `.htaccess` of a parent directory in the same run),
//! judged for a client no specific entry names. `Require` lines in a
//! child without `AuthMerging` replace the parent's too (`AuthMerging
//! Off`, the default); reported only where the parent restricts by network
//! (`Require ip`, `host`, `local`) and the child by user only, so any
//! valid user now gets in from anywhere. A `<Directory>` of a
//! main configuration (`apache2.conf`, `httpd.conf`) in the same run is
//! mapped onto the `.htaccess`'s directory as written or below a
//! directory holding that configuration (`etc/apache2/…`, `var/www/…`). `Require` replacement
//! between other kinds is not reported (it is usually the intent).
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
//! Apache:
//! ```apache
//! <Directory "/var/www/html">
//!     Order Deny,Allow
//!     Deny from all
//!     Allow from 10.0.0.0/8
//! </Directory>
//! <Directory "/var/www/html/sub">
//!     Allow from 10.1.1.1
//! </Directory>
//! ```
//! `GET /sub/` from 203.0.113.7 → 200. Fix: repeat `Order Deny,Allow` and
//! `Deny from all` in the child.
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
//! - httpd source `mod_access_compat.c` (no `merge_dir_config`); research
//!   e#12, re-run in `tests/real_apache_shared.rs`

use std::net::IpAddr;

use lint403_core::{Code, Diagnostic, Dialect, Severity};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::nginx::{self, AclEntry};
use crate::walk::{apache_scope, run_sources};
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
    dialects: &[Dialect::Nginx, Dialect::Apache],
    likelihood: Likelihood::Common,
    fix: FixDifficulty::Moderate,
    source: include_str!("s001_child_acl_replaces_parent.rs"),
    check,
};

const METHODS: [&str; 5] = ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"];

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    if let Loaded::Apache(config) = context.config {
        check_apache(config, context, out);
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
        let Some(parent_node) = tree
            .node(index)
            .parent()
            .and_then(|parent| tree.effective_acl(parent))
        else {
            continue;
        };
        let parent = tree.acl(parent_node);
        let Some(parent_first) = parent.first() else {
            continue;
        };
        let limit_except = tree.kind(index) == "limit_except";
        let lists = [list, parent];
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
            if let Some(location) = tree.node(index).parent() {
                path = tree.sample_path(location);
            }
        }
        let parent_kind = tree.kind(parent_node);
        let finding = widened(&probes, list, parent, limit_except)
            .map(|address| {
                format!(
                    "{method} {path} from {address} → let through: this block's own allow/deny list replaces the one inherited from `{parent_kind}`, which refused {address}"
                )
            })
            .or_else(|| {
                limit_except
                    .then(|| narrowed(&probes, list, parent))
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

/// Whether the list lets in a client that no specific entry names
/// (203.0.113.7): only `all` entries match it.
fn lets_in_stranger(scope: &apache_scope::Scope) -> bool {
    let allow_all = scope.allow.iter().any(apache_scope::Line::hosts_all);
    let deny_all = scope.deny.iter().any(apache_scope::Line::hosts_all);
    if scope.deny_first() {
        !deny_all || allow_all
    } else {
        allow_all && !deny_all
    }
}

fn report(
    child: &apache_scope::Scope,
    parent: &apache_scope::Scope,
    request: &str,
    out: &mut Vec<Diagnostic>,
) {
    if child.limited || parent.limited || !lets_in_stranger(child) || lets_in_stranger(parent) {
        return;
    }
    let Some(child_span) = child
        .order
        .map(|(_, span)| span)
        .or_else(|| child.allow.first().map(|line| line.span))
        .or_else(|| child.deny.first().map(|line| line.span))
        .or_else(|| child.satisfy.map(|(_, span)| span))
    else {
        return;
    };
    let Some(parent_span) = parent
        .deny
        .iter()
        .find(|line| line.hosts_all())
        .map(|line| line.span)
        .or_else(|| parent.order.map(|(_, span)| span))
    else {
        return;
    };
    out.push(
        Diagnostic::new(
            RULE.code,
            child_span,
            format!(
                "{request} from 203.0.113.7 → 200 (where the Require rules grant): the access lines of {} replace the whole list of {} (mod_access_compat does not merge), and its refusal no longer applies",
                child.label,
                parent.label.trim_start_matches("this ")
            ),
        )
        .with_severity(Severity::Error)
        .with_label("replaces the inherited list")
        .with_related(parent_span, "the parent's refusal, dropped here")
        .with_help("repeat the parent's `Order` and `Deny from all` lines here (or convert both to `Require`)"),
    );
}

/// Calls `report(child, parent, request)` for each scope with lines of
/// the kind `has` picks and the nearest parent directory's scope with such
/// lines.
fn pairs(
    config: &lint403_apache::LoadedConfig,
    context: &RuleContext<'_>,
    has: fn(&apache_scope::Scope) -> bool,
    report: &mut dyn FnMut(&apache_scope::Scope, &apache_scope::Scope, &str),
) {
    let scopes = context.apache_scopes();
    // <Directory> below <Directory>, by plain path.
    let directories: Vec<&apache_scope::Scope> = scopes
        .iter()
        .filter(|scope| scope.path.is_some() && has(scope))
        .collect();
    for child in &directories {
        let Some(child_path) = child.path.as_deref() else {
            continue;
        };
        let parent = directories
            .iter()
            .filter_map(|scope| scope.path.as_deref().map(|path| (path, *scope)))
            .filter(|(path, _)| {
                child_path
                    .strip_prefix(*path)
                    .is_some_and(|rest| rest.starts_with('/'))
            })
            .max_by_key(|(path, _)| path.len());
        if let Some((_, parent)) = parent {
            report(child, parent, &child.request);
        }
    }
    // A `.htaccess` below a parent directory's `.htaccess`, or in or below
    // a `<Directory>` of a main configuration, in the same run.
    if config.context != lint403_apache::Context::Htaccess {
        return;
    }
    let Some(root) = config.root() else {
        return;
    };
    let Some(child) = scopes.first().filter(|scope| has(scope)) else {
        return;
    };
    let canonical = run_sources::canonical_path;
    let own_path = canonical(&context.sources.get(root.file).path);
    let Some(own_dir) = own_path.parent().map(std::path::Path::to_path_buf) else {
        return;
    };
    // httpd reads no Include from a .htaccess (nor does the loader), so
    // the other files are never read: one empty stand-in keeps their ids.
    let stand_in = std::sync::Arc::new(lint403_core::SourceFile::from_bytes(
        std::path::PathBuf::new(),
        Vec::new(),
    ));
    let load_scopes = |id: lint403_core::FileId, htaccess: bool| {
        // The files themselves are shared, not copied: a main
        // configuration's load reads every text of the run.
        let mut copy = lint403_core::SourceMap::new();
        for (other, _) in context.sources.iter() {
            if other == id || !htaccess {
                copy.add_shared(context.sources.shared(other));
            } else if other < id {
                copy.add_shared(stand_in.clone());
            }
        }
        let options = lint403_core::CheckOptions {
            context: htaccess.then(|| lint403_apache::Context::Htaccess.as_str().to_string()),
            ..lint403_core::CheckOptions::default()
        };
        let loaded = lint403_apache::load(&mut copy, id, &options);
        apache_scope::scopes(&loaded, &copy)
    };
    let load = |id: lint403_core::FileId, htaccess: bool| {
        let known = if htaccess { 0 } else { context.sources.len() };
        parent_scopes(&context.sources.shared(id), (id, htaccess, known), || {
            load_scopes(id, htaccess)
        })
    };
    // (merge position: depth, then <Directory> before the .htaccess of its
    // directory), the parent's list, the request.
    let mut best: Option<((usize, bool), apache_scope::Scope, String)> = None;
    let mut consider = |key: (usize, bool), parent: apache_scope::Scope, request: String| {
        if best.as_ref().is_none_or(|(known, _, _)| *known < key) {
            best = Some((key, parent, request));
        }
    };
    for id in run_sources::parent_candidates(context.sources, &own_dir) {
        if id == root.file {
            continue;
        }
        let source = context.sources.get(id);
        let path = canonical(&source.path);
        if path.file_name() == Some(std::ffi::OsStr::new(".htaccess")) {
            let Some(dir) = path.parent() else {
                continue;
            };
            let Ok(relative) = own_dir.strip_prefix(dir) else {
                continue;
            };
            if relative.as_os_str().is_empty() {
                continue;
            }
            let Some(mut parent) = load(id, true)
                .first()
                .filter(|scope| has(scope) && scope.label == "this .htaccess")
                .cloned()
            else {
                continue;
            };
            parent.label = "the parent directory's .htaccess".to_string();
            let relative = relative.to_string_lossy().replace('\\', "/");
            consider(
                (dir.components().count(), true),
                parent,
                format!("GET /{relative}/ (below the parent .htaccess)"),
            );
        } else if lint403_apache::is_main_config_name(&source.path) {
            let roots: Vec<std::path::PathBuf> = path
                .ancestors()
                .skip(1)
                .map(std::path::Path::to_path_buf)
                .collect();
            // Only a scope the `.htaccess` lies under is copied out of the
            // shared list (a main configuration has one per <Directory>).
            for parent in load(id, false).iter() {
                let Some(deploy) = parent.path.clone().filter(|_| has(parent)) else {
                    continue;
                };
                let relative = deploy.trim_start_matches('/');
                let Some(mapped) = roots
                    .iter()
                    .map(|root| root.join(relative))
                    .find(|mapped| !relative.is_empty() && own_dir.starts_with(mapped))
                else {
                    continue;
                };
                let depth = mapped.components().count();
                let rest = own_dir
                    .strip_prefix(&mapped)
                    .map(|rest| rest.to_string_lossy().replace('\\', "/"))
                    .unwrap_or_default();
                let below = if rest.is_empty() {
                    deploy.clone()
                } else {
                    format!("{deploy}/{rest}")
                };
                let request = format!("a GET of a file under {below}");
                consider((depth, false), parent.clone(), request);
            }
        }
    }
    if let Some((_, parent, request)) = best {
        report(child, &parent, &request);
    }
}

/// A parent file of the `.htaccess` being checked (a parent `.htaccess`
/// or a main configuration) as loaded: by the file's address, its id in
/// the run's sources, whether it is a `.htaccess` and, for a main
/// configuration, how many files the run had.
type ParentKey = (usize, lint403_core::FileId, bool, usize);

type ParentScopes = std::sync::Arc<Vec<apache_scope::Scope>>;

type ParentCache =
    std::collections::HashMap<ParentKey, (std::sync::Arc<lint403_core::SourceFile>, ParentScopes)>;

/// Parent scopes loaded so far: every `.htaccess` below a directory
/// looks at the same parents, and loading them again for each child made
/// a run of thousands of `.htaccess` files spend most of its time here.
/// Each entry holds its file, so that no other file takes its address.
static PARENTS: std::sync::LazyLock<std::sync::Mutex<ParentCache>> =
    std::sync::LazyLock::new(Default::default);

/// Parents kept at most (a run has one per directory with a `.htaccess`).
const PARENTS_KEPT: usize = 4096;

fn parent_scopes(
    file: &std::sync::Arc<lint403_core::SourceFile>,
    (id, htaccess, known): (lint403_core::FileId, bool, usize),
    load: impl FnOnce() -> Vec<apache_scope::Scope>,
) -> ParentScopes {
    let key = (std::sync::Arc::as_ptr(file) as usize, id, htaccess, known);
    let kept = || {
        PARENTS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    if let Some((_, scopes)) = kept().get(&key) {
        return scopes.clone();
    }
    let scopes = std::sync::Arc::new(load());
    let mut parents = kept();
    if parents.len() >= PARENTS_KEPT {
        parents.clear();
    }
    parents.insert(key, (file.clone(), scopes.clone()));
    scopes
}

fn check_apache(
    config: &lint403_apache::LoadedConfig,
    context: &RuleContext<'_>,
    out: &mut Vec<Diagnostic>,
) {
    pairs(
        config,
        context,
        apache_scope::Scope::has_compat,
        &mut |child, parent, request| report(child, parent, request, out),
    );
    pairs(
        config,
        context,
        |scope| !scope.require.is_empty(),
        &mut |child, parent, request| report_require(child, parent, request, out),
    );
}

/// `Require` providers that test the client's network address or name.
fn is_network(line: &apache_scope::Line) -> bool {
    line.args.first().is_some_and(|provider| {
        matches!(provider.as_str(), "ip" | "host" | "local" | "forward-dns")
    })
}

/// `Require` providers that need an authenticated user.
fn is_user(line: &apache_scope::Line) -> bool {
    line.args
        .first()
        .is_some_and(|provider| matches!(provider.as_str(), "valid-user" | "user" | "group"))
}

/// A child's `Require` lines (without `AuthMerging`) replace the parent's:
/// reported when the parent restricts by network only and the child by
/// user only, so the network restriction is dropped for any valid user.
fn report_require(
    child: &apache_scope::Scope,
    parent: &apache_scope::Scope,
    request: &str,
    out: &mut Vec<Diagnostic>,
) {
    if child.auth_merging
        || child.limited
        || parent.limited
        || !child.containers.is_empty()
        || !parent.containers.is_empty()
        || !child.require.iter().all(is_user)
        || !parent.require.iter().all(is_network)
    {
        return;
    }
    let (Some(child_line), Some(parent_line)) = (child.require.first(), parent.require.first())
    else {
        return;
    };
    out.push(
        Diagnostic::new(
            RULE.code,
            child_line.span,
            format!(
                "{request} from 203.0.113.7 with a valid password → 200: `Require {}` in {} replaces the `Require {}` of {} (no `AuthMerging`, so the parent's rules are dropped, not combined)",
                child_line.args.join(" "),
                child.label,
                parent_line.args.join(" "),
                parent.label.trim_start_matches("this ")
            ),
        )
        .with_label("replaces the inherited Require rules")
        .with_related(parent_line.span, "the network restriction, dropped here")
        .with_help("add `AuthMerging And` here to require both, or repeat the parent's `Require` inside a <RequireAll>"),
    );
}

#[cfg(test)]
mod apache_tests {
    use super::apache_scope::{Line, Scope};
    use super::lets_in_stranger;
    use lint403_core::{FileId, Span, TextRange};

    fn line(args: &str) -> Line {
        Line {
            args: args.split_whitespace().map(str::to_string).collect(),
            span: Span::new(FileId(0), TextRange::empty(0)),
        }
    }

    fn scope(deny_first: Option<bool>, allow: &[&str], deny: &[&str]) -> Scope {
        Scope {
            order: deny_first.map(|first| (first, Span::new(FileId(0), TextRange::empty(0)))),
            allow: allow.iter().map(|l| line(l)).collect(),
            deny: deny.iter().map(|l| line(l)).collect(),
            ..Scope::default()
        }
    }

    #[test]
    fn a_stranger_is_judged_by_the_order_and_the_all_entries() {
        // Deny,Allow (also the default): allowed unless `Deny from all`.
        assert!(lets_in_stranger(&scope(None, &["from 10.1.1.1"], &[])));
        assert!(lets_in_stranger(&scope(
            Some(true),
            &[],
            &["from 203.0.113.9"]
        )));
        assert!(!lets_in_stranger(&scope(
            Some(true),
            &["from 10.0.0.0/8"],
            &["from all"]
        )));
        assert!(lets_in_stranger(&scope(
            Some(true),
            &["from all"],
            &["from all"]
        )));
        // Allow,Deny: refused unless `Allow from all` and no `Deny from all`.
        assert!(!lets_in_stranger(&scope(
            Some(false),
            &["from 10.0.0.0/8"],
            &[]
        )));
        assert!(lets_in_stranger(&scope(
            Some(false),
            &["from all"],
            &["from 203.0.113.9"]
        )));
        assert!(!lets_in_stranger(&scope(
            Some(false),
            &["from all"],
            &["from all"]
        )));
    }
}
