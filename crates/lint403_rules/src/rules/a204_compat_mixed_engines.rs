//! ## What it does
//! Flags a scope (a section, a `.htaccess`) that mixes httpd 2.2's
//! `Order`/`Allow`/`Deny` (`mod_access_compat`) with 2.4's `Require`
//! (`mod_authz_core`) where the two disagree: the old rules refuse some
//! client that `Require` lets in.
//!
//! ## Why it causes 403
//! The two engines do not merge. `mod_access_compat` decides in the access
//! phase, `mod_authz_core` in the authorization phase, and under
//! `Satisfy All` (the default) a request must pass both. A
//! `Require all granted` added next to a left-over `Deny from all` grants
//! nothing: httpd still answers 403 ("client denied by server
//! configuration", AH01797). Two partial lists (`Allow from 10.0.0.0/8`
//! and `Require ip 192.168.0.0/16`) let in only clients on both.
//!
//! The rule stays quiet where both engines deny, under `Satisfy Any`, and
//! for the usual fallback `<IfModule !mod_authz_core.c>` (false on 2.4).
//!
//! ## Example
//! ```htaccess
//! Order deny,allow
//! Deny from all
//! Require all granted
//! ```
//! `GET /` → 403 (AH01797), despite `Require all granted`.
//!
//! ## Fix
//! Convert fully to `Require`:
//! ```htaccess
//! Require all granted
//! ```
//!
//! ## References
//! - <https://httpd.apache.org/docs/2.4/upgrading.html#access> ("Mixing old
//!   and new directives … is not recommended")
//! - <https://httpd.apache.org/docs/2.4/mod/mod_access_compat.html>
//! - verified on httpd 2.4 (research e#11)

use lint403_core::{Code, Diagnostic, Dialect, Severity, Span};

use lint403_apache::syntax::{Node, SectionKind};
use lint403_apache::Context;

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::apache::{self, Event};
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "A204",
        name: "compat-mixed-engines",
        default_severity: Severity::Error,
        summary: "`Order`/`Allow`/`Deny` and `Require` in one scope refuse what `Require` grants",
        doc: "",
    },
    family: Family::Access,
    dialects: &[Dialect::Apache],
    likelihood: Likelihood::Common,
    fix: FixDifficulty::Moderate,
    source: include_str!("a204_compat_mixed_engines.rs"),
    check,
};

/// What one engine does with clients in general.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    All,
    Some,
    Nobody,
}

#[derive(Default)]
struct Scope {
    order_deny_first: Option<bool>,
    allow: Vec<(String, Span)>,
    deny: Vec<(String, Span)>,
    require: Vec<(String, Span)>,
    satisfy_any: bool,
    /// Require-container sections (`<RequireAll>` …) count as partial.
    containers: Vec<Span>,
}

/// Whether a conditional section is read on httpd 2.4 with the usual
/// modules: `<IfModule !mod_authz_core.c>` and version tests are not.
fn is_read(text: &str, section: &lint403_apache::syntax::Section) -> Option<bool> {
    match section.kind {
        SectionKind::IfModule => {
            let argument = section.open.arg_values(text).next().unwrap_or_default();
            let lower = argument.to_ascii_lowercase();
            Some(!lower.starts_with('!'))
        }
        SectionKind::IfDefine | SectionKind::IfVersion | SectionKind::IfFile => None,
        kind if kind.is_conditional() => None,
        _ => Some(false),
    }
}

fn collect(text: &str, file: lint403_core::FileId, nodes: &[Node], scope: &mut Scope) {
    for node in nodes {
        match node {
            Node::Directive(directive) => {
                // Only these five are read; the line is put together for them
                // alone (every directive of every scope passes here).
                let Some(&read) = ["Order", "Allow", "Deny", "Require", "Satisfy"]
                    .iter()
                    .find(|name| directive.is(text, name))
                else {
                    continue;
                };
                let args: Vec<&str> = directive.arg_values(text).collect();
                let line = args.join(" ");
                let span = Span::new(
                    file,
                    directive.name_word.raw().cover(directive.args_range()),
                );
                match read {
                    "Order" => {
                        let lower = line.to_ascii_lowercase();
                        scope.order_deny_first = Some(lower.replace(' ', "").starts_with("deny"));
                    }
                    "Allow" => scope.allow.push((line, span)),
                    "Deny" => scope.deny.push((line, span)),
                    "Require" => scope.require.push((line, span)),
                    _ => scope.satisfy_any = line.eq_ignore_ascii_case("any"),
                }
            }
            Node::Section(section) => {
                if matches!(
                    section.kind,
                    SectionKind::RequireAll | SectionKind::RequireAny | SectionKind::RequireNone
                ) {
                    scope.containers.push(apache::open_span(file, section));
                } else if is_read(text, section) == Some(true) {
                    collect(text, file, &section.body, scope);
                }
            }
            _ => {}
        }
    }
}

fn from_all(line: &str) -> bool {
    line.to_ascii_lowercase().split_whitespace().nth(1) == Some("all")
}

impl Scope {
    /// What `mod_access_compat` lets in.
    fn compat(&self) -> Verdict {
        let allow_all = self.allow.iter().any(|(line, _)| from_all(line));
        let deny_all = self.deny.iter().any(|(line, _)| from_all(line));
        let deny_first = self.order_deny_first.unwrap_or(true);
        if deny_first {
            // Deny,Allow: allowed unless denied and not allowed back.
            if allow_all {
                Verdict::All
            } else if deny_all && self.allow.is_empty() {
                Verdict::Nobody
            } else if self.deny.is_empty() {
                Verdict::All
            } else {
                Verdict::Some
            }
        } else if deny_all || self.allow.is_empty() {
            // Allow,Deny: denied unless allowed and not denied.
            Verdict::Nobody
        } else if allow_all && self.deny.is_empty() {
            Verdict::All
        } else {
            Verdict::Some
        }
    }

    /// What `mod_authz_core` lets in (plain `Require` lines are a `RequireAny`).
    fn authz(&self) -> Verdict {
        let words = |line: &str| line.to_ascii_lowercase();
        if self
            .require
            .iter()
            .any(|(line, _)| words(line) == "all granted")
        {
            return Verdict::All;
        }
        if self.containers.is_empty()
            && self
                .require
                .iter()
                .all(|(line, _)| words(line) == "all denied")
        {
            return Verdict::Nobody;
        }
        Verdict::Some
    }
}

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Loaded::Apache(config) = context.config else {
        return;
    };
    let mut report = |scope: &Scope, where_: &str| {
        if scope.satisfy_any {
            return;
        }
        let compat_lines = scope.allow.len() + scope.deny.len();
        if compat_lines == 0 && scope.order_deny_first.is_none() {
            return;
        }
        if scope.require.is_empty() && scope.containers.is_empty() {
            return;
        }
        let compat = scope.compat();
        let authz = scope.authz();
        if compat == Verdict::All || authz == Verdict::Nobody {
            return;
        }
        let Some((require, require_span)) = scope.require.first().cloned().or_else(|| {
            scope
                .containers
                .first()
                .map(|span| ("<RequireAll>…".to_string(), *span))
        }) else {
            return;
        };
        let refusing = scope
            .deny
            .first()
            .map(|(line, span)| (format!("Deny {line}"), *span))
            .or_else(|| {
                scope
                    .allow
                    .first()
                    .map(|(line, span)| (format!("Allow {line}"), *span))
            });
        let Some((refusing, refusing_span)) = refusing else {
            return;
        };
        let effect = if compat == Verdict::Nobody {
            "every request here → 403 (AH01797)".to_string()
        } else {
            "only clients that pass both get in; the rest → 403".to_string()
        };
        out.push(
            Diagnostic::new(
                RULE.code,
                require_span,
                format!(
                    "`Require {require}` does not override `{refusing}` {where_}: under `Satisfy All` (the default) mod_access_compat and mod_authz_core must both allow — {effect}"
                ),
            )
            .with_label("does not lift the old deny")
            .with_related(refusing_span, "mod_access_compat refuses here")
            .with_help("convert the Order/Allow/Deny lines to `Require` and delete them"),
        );
    };
    if config.context == Context::Htaccess {
        if let Some(root) = config.root() {
            let text = context.sources.get(root.file).text.as_str();
            let mut scope = Scope::default();
            collect(text, root.file, &root.tree.nodes, &mut scope);
            report(&scope, "in this .htaccess");
        }
    }
    apache::walk(config, context.sources, |visit| {
        let Event::Enter(section) = visit.event else {
            return;
        };
        if !matches!(
            section.kind,
            SectionKind::Directory
                | SectionKind::DirectoryMatch
                | SectionKind::Location
                | SectionKind::LocationMatch
                | SectionKind::Files
                | SectionKind::FilesMatch
                | SectionKind::Limit
                | SectionKind::LimitExcept
                | SectionKind::If
                | SectionKind::ElseIf
                | SectionKind::Else
                | SectionKind::Proxy
                | SectionKind::ProxyMatch
        ) {
            return;
        }
        // Skip sections httpd does not read on 2.4.
        if visit.parents.iter().any(|parent| {
            parent.kind().is_conditional() && is_read(parent.text, parent.section) != Some(true)
        }) {
            return;
        }
        let mut scope = Scope::default();
        collect(visit.text, visit.file, &section.body, &mut scope);
        let name = section.open.name(visit.text);
        report(&scope, &format!("in this <{name}>"));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(order: Option<bool>, allow: &[&str], deny: &[&str]) -> Scope {
        let span = Span::new(lint403_core::FileId(0), lint403_core::TextRange::empty(0));
        Scope {
            order_deny_first: order,
            allow: allow.iter().map(|l| ((*l).to_string(), span)).collect(),
            deny: deny.iter().map(|l| ((*l).to_string(), span)).collect(),
            ..Scope::default()
        }
    }

    #[test]
    fn compat_verdicts() {
        assert_eq!(
            scope(Some(true), &[], &["from all"]).compat(),
            Verdict::Nobody
        );
        assert_eq!(
            scope(Some(false), &["from all"], &[]).compat(),
            Verdict::All
        );
        assert_eq!(scope(Some(false), &[], &[]).compat(), Verdict::Nobody);
        assert_eq!(
            scope(Some(true), &["from 10.0.0.1"], &["from all"]).compat(),
            Verdict::Some
        );
        assert_eq!(scope(None, &["from all"], &[]).compat(), Verdict::All);
        assert_eq!(
            scope(Some(false), &["from all"], &["from 1.2.3.4"]).compat(),
            Verdict::Some
        );
    }
}
