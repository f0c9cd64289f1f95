//! ## What it does
//! Flags a negative authorization where httpd cannot use it:
//! - `Require not …` or `<RequireNone>` directly in a `<RequireAny>`, or
//!   among a section's plain `Require` lines (which httpd wraps in an
//!   implicit `<RequireAny>`), or `Require not …` in a `<RequireNone>`;
//! - a `<RequireAll>` whose every child is negative.
//!
//! ## Why it causes 403
//! A negative directive can only refuse: it never grants. httpd therefore
//! refuses the first form outright ("negative Require directive has no
//! effect in <RequireAny> directive") and the second at startup (AH01624
//! "directive contains only negative authorization directives"): the
//! server does not start. In a `.htaccess`, the first form answers 500 for
//! every request below it; the second is never checked there and denies
//! everybody, 403 (research e#29). The usual intent, "everyone except
//! these", needs a positive grant next to the negation inside
//! `<RequireAll>`.
//!
//! ## Example
//! ```htaccess
//! <RequireAll>
//!     Require not ip 203.0.113.7
//! </RequireAll>
//! ```
//! `GET /` from any address → 403.
//!
//! ## Fix
//! Grant everyone else in the same `<RequireAll>`:
//! ```htaccess
//! <RequireAll>
//!     Require all granted
//!     Require not ip 203.0.113.7
//! </RequireAll>
//! ```
//!
//! ## References
//! - <https://httpd.apache.org/docs/2.4/mod/mod_authz_core.html#requireall>
//! - <https://httpd.apache.org/docs/2.4/mod/mod_authz_core.html#require>
//!   ("Require not" cannot be used to grant; messages checked with
//!   `apache2 -t` on httpd 2.4)

use lint403_core::{Code, Diagnostic, Dialect, Severity};

use lint403_apache::syntax::{Node, Section, SectionKind};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::apache::{self, Event, Parent};
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "A201",
        name: "authz-negation-context",
        default_severity: Severity::Error,
        summary: "a negative `Require` where httpd refuses it or where it can only deny",
        doc: "",
    },
    family: Family::Access,
    dialects: &[Dialect::Apache],
    likelihood: Likelihood::Occasional,
    fix: FixDifficulty::Moderate,
    source: include_str!("a201_authz_negation_context.rs"),
    check,
};

/// Sections that do not start an authorization container of their own.
fn is_transparent(kind: SectionKind) -> bool {
    kind.is_conditional() || matches!(kind, SectionKind::Limit | SectionKind::LimitExcept)
}

fn is_container(kind: SectionKind) -> bool {
    matches!(
        kind,
        SectionKind::RequireAll | SectionKind::RequireAny | SectionKind::RequireNone
    )
}

/// The authorization container that encloses a node: an explicit
/// `<Require…>` or the implicit `<RequireAny>` (`None`).
fn container<'a, 'b>(parents: &'b [Parent<'a>]) -> Option<&'b Parent<'a>> {
    for parent in parents.iter().rev() {
        if is_container(parent.kind()) {
            return Some(parent);
        }
        if !is_transparent(parent.kind()) {
            return None;
        }
    }
    None
}

fn is_negative_require(args: &[&str]) -> bool {
    args.first()
        .is_some_and(|word| word.eq_ignore_ascii_case("not"))
}

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Loaded::Apache(config) = context.config else {
        return;
    };
    // One finding per container: httpd stops at the first.
    let mut reported: Vec<Option<lint403_core::Span>> = Vec::new();
    apache::walk(config, context.sources, |visit| {
        // A fragment's top level stands wherever its includer puts it
        // (often inside a `<RequireAll>`): unknown, so no finding.
        if visit.parents.is_empty() && !visit.in_htaccess() {
            if let Event::Enter(section) = visit.event {
                if section.kind == SectionKind::RequireAll {
                    only_negatives(visit, section, out);
                }
            }
            return;
        }
        let negative = match visit.event {
            Event::Directive(_) if visit.is("Require") => is_negative_require(&visit.args()),
            Event::Enter(section) => {
                if section.kind == SectionKind::RequireAll {
                    only_negatives(visit, section, out);
                }
                section.kind == SectionKind::RequireNone
            }
            _ => false,
        };
        if !negative {
            return;
        }
        let is_section = matches!(visit.event, Event::Enter(_));
        let parent = container(visit.parents);
        let (outer, related) = match parent {
            None => ("RequireAny", None),
            Some(parent) if parent.kind() == SectionKind::RequireAny => {
                ("RequireAny", Some(parent.open_span()))
            }
            Some(parent) if parent.kind() == SectionKind::RequireNone && !is_section => {
                ("RequireNone", Some(parent.open_span()))
            }
            Some(_) => return,
        };
        let key = parent
            .or_else(|| {
                visit
                    .parents
                    .iter()
                    .rev()
                    .find(|outer| !is_transparent(outer.kind()))
            })
            .map(apache::Parent::open_span);
        if reported.contains(&key) {
            return;
        }
        reported.push(key);
        let what = if is_section {
            "<RequireNone> directive"
        } else {
            "negative Require directive"
        };
        let effect = if visit.in_htaccess() {
            "every request below this .htaccess answers 500"
        } else {
            "the server does not start"
        };
        let implicit = if related.is_none() {
            " (plain Require lines of a section are an implicit <RequireAny>)"
        } else {
            ""
        };
        let mut diagnostic = Diagnostic::new(
            RULE.code,
            visit.span(),
            format!("httpd refuses this: \"{what} has no effect in <{outer}> directive\"{implicit}; {effect}"),
        )
        .with_label("can only deny, never grant")
        .with_help(
            "wrap it in `<RequireAll>` together with the grant it narrows, e.g. `Require all granted`",
        );
        if let Some(span) = related {
            diagnostic = diagnostic.with_related(span, format!("inside this <{outer}>"));
        }
        out.push(diagnostic);
    });
}

/// A `<RequireAll>` whose every authorization child is negative.
fn only_negatives(visit: &apache::Visit<'_, '_>, section: &Section, out: &mut Vec<Diagnostic>) {
    let mut children = Vec::new();
    collect(visit.text, &section.body, &mut children);
    if children.is_empty() || children.iter().any(|negative| !negative) {
        return;
    }
    let message = if visit.in_htaccess() {
        "this <RequireAll> holds only negative directives: it can never grant, so every request here is refused — GET / → 403"
    } else {
        "httpd refuses this <RequireAll>: AH01624 \"directive contains only negative authorization directives\"; the server does not start"
    };
    out.push(
        Diagnostic::new(
            RULE.code,
            apache::open_span(visit.file, section),
            message,
        )
        .with_label("only negatives inside")
        .with_help("add the grant the negations narrow, e.g. `Require all granted`, inside the <RequireAll>"),
    );
}

/// Whether each authorization child of `nodes` is negative (conditional
/// and `<Limit>` sections are looked through).
fn collect(text: &str, nodes: &[Node], children: &mut Vec<bool>) {
    for node in nodes {
        match node {
            Node::Directive(directive) if directive.is(text, "Require") => {
                let args: Vec<&str> = directive.arg_values(text).collect();
                children.push(is_negative_require(&args));
            }
            Node::Section(section) if is_container(section.kind) => {
                children.push(section.kind == SectionKind::RequireNone);
            }
            Node::Section(section) if is_transparent(section.kind) => {
                collect(text, &section.body, children);
            }
            // What an include adds is not known here: not "only negatives".
            Node::Directive(directive)
                if directive.is(text, "Include") || directive.is(text, "IncludeOptional") =>
            {
                children.push(false);
            }
            _ => {}
        }
    }
}
