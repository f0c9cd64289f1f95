//! ## What it does
//! Flags an `allow` or `deny` entry that can never decide because an
//! earlier entry of the same list already matches every client it names:
//! an entry after `deny all;` / `allow all;` (or `0.0.0.0/0`, `::/0`), or
//! after a broader network that contains it.
//!
//! ## Why it causes 403
//! nginx checks an access list in order and the first matching entry
//! wins. `deny all; allow 10.1.2.3;` refuses 10.1.2.3 with 403: the
//! `allow` is never reached. After a broader `allow`, a narrower `deny`
//! never refuses anyone (it lets through what it was meant to stop).
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

use lint403_core::{Code, Diagnostic, Dialect, Severity};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::nginx::{self, Subject, Tree};
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
    dialects: &[Dialect::Nginx],
    likelihood: Likelihood::Common,
    fix: FixDifficulty::Trivial,
    source: include_str!("a001_acl_entry_shadowed.rs"),
    check,
};

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Loaded::Nginx(config) = context.config else {
        return;
    };
    let tree = Tree::build(config, context.sources);
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
