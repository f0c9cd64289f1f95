//! ## What it does
//! Flags access restrictions (`Require`, `Deny`, `Allow from` a list)
//! inside `<Limit M…>` that leave common methods out.
//!
//! ## Why it causes 403
//! `<Limit>` applies what it encloses to the methods it names and to no
//! others (HEAD goes with GET). `<Limit GET POST>` around a deny protects
//! GET, HEAD and POST only: a PUT, DELETE, PATCH or OPTIONS request is not
//! restricted at all, which matters as soon as a script, `WebDAV` or a proxy
//! answers those methods. The other way round, `<Limit POST>` around a
//! deny is often read as "deny", yet GET keeps answering 200. To restrict
//! every method, write the restriction without `<Limit>`; to restrict all
//! but a few, use `<LimitExcept>`.
//!
//! The rule stays quiet where the same section also has a `<LimitExcept>`
//! (the usual pairing that covers the other methods) and where the
//! `<Limit>` only grants. A `<Limit>` of write methods only (`POST`, `PUT`,
//! `DELETE`, `PATCH`) reads as "no writes": there the rule names only the
//! write methods it leaves out, and says nothing when it lists all four.
//!
//! ## Example
//! ```apache
//! <Directory "/var/www/html/admin">
//!     <Limit GET POST>
//!         Require ip 10.0.0.0/8
//!     </Limit>
//! </Directory>
//! ```
//! `PUT /admin/x` from 203.0.113.7 is not restricted by the `Require`.
//!
//! ## Fix
//! Restrict every method:
//! ```apache
//! <Directory "/var/www/html/admin">
//!     Require ip 10.0.0.0/8
//! </Directory>
//! ```
//!
//! ## References
//! - <https://httpd.apache.org/docs/2.4/mod/core.html#limit> ("the Limit
//!   directive … affects only the methods listed"; prefer `<LimitExcept>`)
//! - verified on httpd 2.4: `<Limit POST> Require all denied` → GET 200,
//!   POST 403 (research e#18)

use lint403_core::{Code, Diagnostic, Dialect, Severity};

use lint403_apache::syntax::{Node, Section, SectionKind};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::apache::{self, Event};
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "S201",
        name: "authz-limit-partial",
        default_severity: Severity::Warning,
        summary: "a restriction inside `<Limit>` leaves unlisted methods unrestricted",
        doc: "",
    },
    family: Family::Scope,
    dialects: &[Dialect::Apache],
    likelihood: Likelihood::Occasional,
    fix: FixDifficulty::Trivial,
    source: include_str!("s201_authz_limit_partial.rs"),
    check,
};

/// Methods a client commonly sends (HEAD goes with GET).
const COMMON: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];

/// Methods that change things.
const WRITES: &[&str] = &["POST", "PUT", "DELETE", "PATCH"];

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Loaded::Apache(config) = context.config else {
        return;
    };
    // `<Limit>` sections next to a `<LimitExcept>` are paired; find them
    // by the body that holds them.
    apache::walk(config, context.sources, |visit| {
        let Event::Enter(section) = visit.event else {
            return;
        };
        if section.kind != SectionKind::Limit {
            return;
        }
        let siblings: &[Node] = match visit.parent() {
            Some(parent) => &parent.section.body,
            None => config
                .files
                .iter()
                .find(|loaded| loaded.file == visit.file)
                .map_or(&[], |loaded| loaded.tree.nodes.as_slice()),
        };
        if siblings.iter().any(
            |node| matches!(node, Node::Section(other) if other.kind == SectionKind::LimitExcept),
        ) {
            return;
        }
        let Some(restriction) = restriction(visit.text, section) else {
            return;
        };
        let listed: Vec<&str> = visit.args();
        // A `<Limit>` of write methods only means "no writes": the gap is
        // the write methods it forgot. Otherwise every unlisted method is.
        let writes_only = listed.iter().all(|method| WRITES.contains(method));
        let open: Vec<&str> = COMMON
            .iter()
            .copied()
            .filter(|method| !listed.contains(method))
            .filter(|method| !writes_only || WRITES.contains(method))
            .collect();
        let Some(first) = open.first() else {
            return;
        };
        let location = visit
            .parents
            .iter()
            .rev()
            .find(|parent| parent.kind() == SectionKind::Location)
            .and_then(|parent| parent.args().first().map(|path| (*path).to_string()))
            .filter(|path| path.starts_with('/'));
        let example = match location {
            Some(path) => format!("`{first} {path}` skips it"),
            None => format!("a {first} request here skips it"),
        };
        out.push(
            Diagnostic::new(
                RULE.code,
                apache::open_span(visit.file, section),
                format!(
                    "`{restriction}` applies to {} only: {} requests are not restricted by it ({example})",
                    listed.join(", "),
                    open.join(", ")
                ),
            )
            .with_label("only these methods")
            .with_help(
                "drop the `<Limit>` so the restriction covers every method, or use `<LimitExcept>` for the methods to leave open",
            ),
        );
    });
}

/// The first restricting directive inside a `<Limit>` body, as written.
fn restriction(text: &str, section: &Section) -> Option<String> {
    restriction_in(text, &section.body)
}

fn restriction_in(text: &str, nodes: &[Node]) -> Option<String> {
    for node in nodes {
        match node {
            Node::Directive(directive) => {
                let args: Vec<&str> = directive.arg_values(text).collect();
                let lower: Vec<String> = args.iter().map(|arg| arg.to_ascii_lowercase()).collect();
                let restricts = if directive.is(text, "Require") {
                    lower.first().map(String::as_str) != Some("all")
                        || lower.get(1).map(String::as_str) == Some("denied")
                } else if directive.is(text, "Deny") {
                    true
                } else if directive.is(text, "Allow") {
                    lower.get(1).map(String::as_str) != Some("all")
                } else {
                    false
                };
                if restricts {
                    let name = directive.name(text);
                    return Some(format!("{name} {}", args.join(" ")));
                }
            }
            Node::Section(inner)
                if matches!(
                    inner.kind,
                    SectionKind::RequireAll | SectionKind::RequireAny | SectionKind::RequireNone
                ) =>
            {
                return Some(format!("<{}>", inner.open.name(text)));
            }
            // `<IfModule mod_authz_core.c>` is read on 2.4; `<IfModule !…>`
            // fallbacks are not.
            Node::Section(inner) if inner.kind == SectionKind::IfModule => {
                let negated = inner
                    .open
                    .arg_values(text)
                    .next()
                    .is_some_and(|argument| argument.starts_with('!'));
                if !negated {
                    if let Some(found) = restriction_in(text, &inner.body) {
                        return Some(found);
                    }
                }
            }
            _ => {}
        }
    }
    None
}
