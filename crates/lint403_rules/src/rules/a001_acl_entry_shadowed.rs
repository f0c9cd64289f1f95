//! ## What it does
//! Flags an `allow` or `deny` entry that can never decide because an
//! earlier entry of the same list already matches every client it names:
//! an entry after `deny all;` / `allow all;` (or `0.0.0.0/0`, `::/0`), or
//! after a broader network that contains it. Apache: a `Require` line
//! (or `<RequireAll>`/`<RequireNone>` container) next to `Require all
//! granted` in the same implicit or explicit `<RequireAny>`.
//!
//! ## Why it causes 403
//! nginx checks an access list in order and the first matching entry
//! wins. `deny all; allow 10.1.2.3;` refuses 10.1.2.3 with 403: the
//! `allow` is never reached. After a broader `allow`, a narrower `deny`
//! never refuses anyone (it lets through what it was meant to stop).
//!
//! Apache httpd 2.4: several `Require` lines in one section (or
//! `.htaccess`) form an implicit `<RequireAny>`, which stops at the first
//! grant. `Require all granted` grants every request, so its siblings
//! never decide: `Require all granted` + `Require all denied` serves
//! `GET /` with 200 (verified on httpd 2.4), and a `Require ip` or
//! `Require valid-user` meant to restrict lets everyone in. Negative
//! siblings (`Require not …`) are a configuration error in a
//! `<RequireAny>` and are left to A201.
//!
//! ## Example
//! ```nginx
//! location /admin/ {
//!     deny all;
//!     allow 10.1.2.3;
//! }
//! ```
//! `GET /admin/` from 10.1.2.3 → 403.
//!
//! Apache, a `.htaccess`:
//! ```htaccess
//! Require all granted
//! Require ip 10.0.0.0/8
//! ```
//! `GET /` from 203.0.113.7 → 200. Fix: drop `Require all granted`.
//!
//! ## Fix
//! Put the specific entries first and the catch-all last:
//! ```nginx
//! location /admin/ {
//!     allow 10.1.2.3;
//!     deny all;
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_access_module.html> ("The
//!   rules are checked in sequence until the first match is found.")
//! - <https://httpd.apache.org/docs/2.4/mod/mod_authz_core.html#requireany>
//!   (several `Require` lines: "the request is granted if any of them
//!   succeeds")

use lint403_core::{Code, Diagnostic, Dialect, Severity};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::apache_scope;
use crate::walk::nginx::{self, Subject};
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "A001",
        name: "acl-entry-shadowed",
        default_severity: Severity::Warning,
        summary: "an access-list entry that an earlier entry always decides first",
        doc: "",
    },
    family: Family::Access,
    dialects: &[Dialect::Nginx, Dialect::Apache],
    likelihood: Likelihood::Common,
    fix: FixDifficulty::Trivial,
    source: include_str!("a001_acl_entry_shadowed.rs"),
    check,
};

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
        for (position, entry) in list.iter().enumerate() {
            let Some(earlier) = list[..position]
                .iter()
                .find(|earlier| entry.subject.covered_by(earlier.subject))
            else {
                continue;
            };
            let name = if entry.allow { "allow" } else { "deny" };
            let earlier_name = if earlier.allow { "allow" } else { "deny" };
            let value = entry.entry.arg(0).unwrap_or_default();
            let earlier_value = earlier.entry.arg(0).unwrap_or_default();
            let client = match entry.subject {
                Subject::All => "any client".to_string(),
                Subject::Unix => "a unix-socket client".to_string(),
                Subject::Net(net, prefix) => nginx::sample_host(net, prefix).to_string(),
            };
            let path = tree.sample_path(index);
            let (message, severity) = if earlier.allow == entry.allow {
                (
                    format!(
                        "`{name} {value}` never decides: the earlier `{earlier_name} {earlier_value}` already matches {client} (the entry is dead)"
                    ),
                    Severity::Warning,
                )
            } else {
                let outcome = if earlier.allow { "let through" } else { "403" };
                let severity = if entry.allow && earlier.subject.is_everyone() {
                    Severity::Error
                } else {
                    Severity::Warning
                };
                (
                    format!(
                        "GET {path} from {client} → {outcome}: `{earlier_name} {earlier_value}` matches first, so `{name} {value}` is never reached"
                    ),
                    severity,
                )
            };
            out.push(
                Diagnostic::new(RULE.code, entry.entry.head_span(), message)
                    .with_severity(severity)
                    .with_label("never reached")
                    .with_related(earlier.entry.head_span(), "matches first")
                    .with_help(format!(
                        "move `{name} {value};` above `{earlier_name} {earlier_value};` (first match wins), or remove it"
                    )),
            );
        }
    }
}

fn check_apache(
    config: &lint403_apache::LoadedConfig,
    context: &RuleContext<'_>,
    out: &mut Vec<Diagnostic>,
) {
    let require_any = apache_scope::require_any_sections(config, context.sources);
    for scope in context.apache_scopes().iter().chain(&require_any) {
        let Some(grant) = scope
            .require
            .iter()
            .find(|line| line.args == ["all", "granted"])
        else {
            continue;
        };
        let dead = scope
            .require
            .iter()
            .filter(|line| {
                line.span != grant.span && line.args.first().is_some_and(|first| first != "not")
            })
            .map(|line| (line.span, format!("`Require {}`", line.args.join(" "))))
            .chain(
                scope
                    .containers
                    .iter()
                    .map(|span| (*span, "this container".to_string())),
            );
        let where_ = if scope.label == "this <RequireAny>" {
            scope.label.clone()
        } else {
            format!("the implicit <RequireAny> of {}", scope.label)
        };
        for (span, what) in dead {
            out.push(
                Diagnostic::new(
                    RULE.code,
                    span,
                    format!(
                        "{} from 203.0.113.7 → 200: `Require all granted` grants every request in {where_}, so {what} never decides",
                        scope.request
                    ),
                )
                .with_severity(Severity::Error)
                .with_label("never decides")
                .with_related(grant.span, "grants every request first")
                .with_help("remove `Require all granted`, or wrap the lines in <RequireAll> if every one must hold"),
            );
        }
    }
}
