//! ## What it does
//! Flags `RewriteEngine On` with `RewriteRule`s in a per-directory context
//! (a `.htaccess`, a `<Directory>`) whose effective `Options` have neither
//! `FollowSymLinks` nor `SymLinksIfOwnerMatch`.
//!
//! ## Why it causes 403
//! In per-directory context `mod_rewrite` works by re-mapping the request
//! after the path was resolved, which would let it follow symbolic links
//! the `Options` forbid. It therefore refuses to run without one of the
//! two symlink options, and answers **every** request in that tree with
//! 403, whether a rule matches or not (error log AH00670: "Options
//! `FollowSymLinks` and `SymLinksIfOwnerMatch` are both off, so the
//! `RewriteRule` directive is also forbidden due to its similar ability to
//! circumvent directory restrictions").
//!
//! httpd's default is `Options FollowSymLinks`; the rule follows the
//! `Options` of the `<Directory>` sections that enclose the path, shortest
//! first. In a `.htaccess` the server's `Options` are not known: there it
//! fires on what the file itself sets (and says so).
//!
//! ## Example
//! ```htaccess
//! Options -FollowSymLinks
//! RewriteEngine On
//! RewriteRule ^old$ /new [R=301,L]
//! ```
//! `GET /` → 403, although no rule matches `/`.
//!
//! ## Fix
//! Allow the safer symlink option:
//! ```htaccess
//! Options -FollowSymLinks +SymLinksIfOwnerMatch
//! RewriteEngine On
//! RewriteRule ^old$ /new [R=301,L]
//! ```
//!
//! ## References
//! - <https://httpd.apache.org/docs/2.4/mod/mod_rewrite.html#rewriterule>
//!   ("To enable the rewrite engine in this context, you need to set
//!   `RewriteEngine On` and `Options FollowSymLinks` must be enabled")
//! - <https://httpd.apache.org/docs/2.4/mod/core.html#options> (default
//!   `FollowSymLinks`; `+`/`-` merge)
//! - verified on httpd 2.4 (research e#20)

use lint403_core::{Code, Diagnostic, Dialect, Severity, Span};

use lint403_apache::syntax::{Directive, Node, SectionKind};
use lint403_apache::Context;

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::apache::{self, Event};
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "I201",
        name: "rewrite-needs-symlinks",
        default_severity: Severity::Error,
        summary:
            "a per-directory `RewriteRule` with both symlink options off: 403 for every request",
        doc: "",
    },
    family: Family::Index,
    dialects: &[Dialect::Apache],
    likelihood: Likelihood::Occasional,
    fix: FixDifficulty::Trivial,
    source: include_str!("i201_rewrite_needs_symlinks.rs"),
    check,
};

/// The symlink options of an `Options` set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Symlinks {
    follow: bool,
    owner: bool,
}

impl Symlinks {
    const DEFAULT: Symlinks = Symlinks {
        follow: true,
        owner: false,
    };

    fn any(self) -> bool {
        self.follow || self.owner
    }
}

/// Applies one `Options` line; `None` when it mixes signed and unsigned
/// words (httpd refuses it; another rule's matter).
fn apply(base: Symlinks, words: &[&str]) -> Option<Symlinks> {
    // A leading `All`/`None` sets a base the signed words then change.
    let leading_base = words
        .first()
        .is_some_and(|word| word.eq_ignore_ascii_case("all") || word.eq_ignore_ascii_case("none"));
    let rest = words.get(usize::from(leading_base)..).unwrap_or_default();
    let signed = rest
        .iter()
        .filter(|word| word.starts_with('+') || word.starts_with('-'))
        .count();
    if signed != 0 && signed != rest.len() {
        return None;
    }
    let mut result = if signed == 0 || leading_base {
        Symlinks {
            follow: false,
            owner: false,
        }
    } else {
        base
    };
    for word in words {
        let (on, name) = match word.as_bytes().first() {
            Some(b'+') => (true, word.get(1..).unwrap_or_default()),
            Some(b'-') => (false, word.get(1..).unwrap_or_default()),
            _ => (true, *word),
        };
        let name = name.to_ascii_lowercase();
        match name.as_str() {
            "followsymlinks" => result.follow = on,
            "symlinksifownermatch" => result.owner = on,
            // httpd's OPT_ALL has FollowSymLinks, not SymLinksIfOwnerMatch.
            "all" => {
                result.follow = on;
                if !on {
                    result.owner = false;
                }
            }
            "none" => {
                result.follow = false;
                result.owner = false;
            }
            _ => {}
        }
    }
    Some(result)
}

/// What one per-directory scope holds.
struct Scope<'a> {
    file: lint403_core::FileId,
    text: &'a str,
    /// `<Directory>` path without a trailing `/`; `None` for a `.htaccess`.
    path: Option<String>,
    options: Vec<&'a Directive>,
    engine_on: Option<&'a Directive>,
    rule: Option<&'a Directive>,
    open: Option<Span>,
}

fn scan<'a>(text: &'a str, nodes: &'a [Node], scope: &mut Scope<'a>) {
    for node in nodes {
        match node {
            Node::Directive(directive) => {
                if directive.is(text, "Options") {
                    scope.options.push(directive);
                } else if directive.is(text, "RewriteEngine") {
                    let on = directive
                        .arg_values(text)
                        .next()
                        .is_some_and(|value| value.eq_ignore_ascii_case("on"));
                    scope.engine_on = on.then_some(directive);
                } else if directive.is(text, "RewriteRule") && scope.rule.is_none() {
                    scope.rule = Some(directive);
                }
            }
            // Conditionals are read as if true (their bodies are in the tree).
            Node::Section(section) if section.kind.is_conditional() => {
                scan(text, &section.body, scope);
            }
            _ => {}
        }
    }
}

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Loaded::Apache(config) = context.config else {
        return;
    };
    let mut scopes: Vec<Scope<'_>> = Vec::new();
    if config.context == Context::Htaccess {
        if let Some(root) = config.root() {
            let text = context.sources.get(root.file).text.as_str();
            let mut scope = Scope {
                file: root.file,
                text,
                path: None,
                options: Vec::new(),
                engine_on: None,
                rule: None,
                open: None,
            };
            scan(text, &root.tree.nodes, &mut scope);
            scopes.push(scope);
        }
    } else {
        apache::walk(config, context.sources, |visit| {
            let Event::Enter(section) = visit.event else {
                return;
            };
            if section.kind != SectionKind::Directory {
                return;
            }
            let args = visit.args();
            let [path] = args.as_slice() else {
                return;
            };
            if path.contains(['*', '?', '[', '~']) {
                return;
            }
            let trimmed = path.trim_end_matches('/');
            let mut scope = Scope {
                file: visit.file,
                text: visit.text,
                path: Some(trimmed.to_string()),
                options: Vec::new(),
                engine_on: None,
                rule: None,
                open: Some(apache::open_span(visit.file, section)),
            };
            scan(visit.text, &section.body, &mut scope);
            scopes.push(scope);
        });
    }
    'scopes: for (index, scope) in scopes.iter().enumerate() {
        let (Some(engine), Some(rule)) = (scope.engine_on, scope.rule) else {
            continue;
        };
        // Enclosing `<Directory>` sections, shortest path first, then this one.
        let mut chain: Vec<&Scope<'_>> = match &scope.path {
            Some(path) => scopes
                .iter()
                .filter(|other| {
                    other.path.as_deref().is_some_and(|outer| {
                        outer != path
                            && (outer.is_empty() || path.starts_with(&format!("{outer}/")))
                    })
                })
                .collect(),
            None => Vec::new(),
        };
        chain.sort_by_key(|other| other.path.as_ref().map_or(0, String::len));
        chain.extend(
            scopes
                .iter()
                .enumerate()
                .filter(|(other, candidate)| {
                    *other == index || (scope.path.is_some() && candidate.path == scope.path)
                })
                .map(|(_, candidate)| candidate),
        );
        let mut symlinks = Symlinks::DEFAULT;
        let mut last: Option<(&Scope<'_>, &Directive)> = None;
        let mut absolute = false;
        for step in &chain {
            for directive in &step.options {
                let words: Vec<&str> = directive.arg_values(step.text).collect();
                let Some(next) = apply(symlinks, &words) else {
                    continue 'scopes;
                };
                absolute |= words.first().is_some_and(|w| !w.starts_with(['+', '-']));
                symlinks = next;
                last = Some((step, directive));
            }
        }
        if symlinks.any() {
            continue;
        }
        let Some((options_scope, options)) = last else {
            continue;
        };
        let options_span = Span::new(
            options_scope.file,
            options.name_word.raw().cover(options.args_range()),
        );
        let caveat = if scope.path.is_none() && !absolute {
            " (unless the server configuration grants SymLinksIfOwnerMatch here)"
        } else {
            ""
        };
        let path = scope
            .path
            .as_deref()
            .unwrap_or("this .htaccess's directory");
        let mut diagnostic = Diagnostic::new(
            RULE.code,
            Span::new(scope.file, rule.name_word.raw().cover(rule.args_range())),
            format!(
                "FollowSymLinks and SymLinksIfOwnerMatch are both off for {path}{caveat}: mod_rewrite refuses every request there, matching or not — GET → 403 (AH00670)"
            ),
        )
        .with_label("forbidden without a symlink option")
        .with_related(options_span, "the Options that turn both off")
        .with_related(
            Span::new(scope.file, engine.name_word.raw().cover(engine.args_range())),
            "the engine is on here",
        )
        .with_help("add `+SymLinksIfOwnerMatch` (or `+FollowSymLinks`) to the Options of this directory");
        if let Some(open) = scope.open {
            diagnostic = diagnostic.with_related(open, "in this <Directory>");
        }
        out.push(diagnostic);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges() {
        let off = Symlinks {
            follow: false,
            owner: false,
        };
        assert_eq!(apply(Symlinks::DEFAULT, &["-FollowSymLinks"]), Some(off));
        assert_eq!(apply(Symlinks::DEFAULT, &["Indexes"]), Some(off));
        assert_eq!(apply(Symlinks::DEFAULT, &["None"]), Some(off));
        assert!(apply(Symlinks::DEFAULT, &["All"]).is_some_and(Symlinks::any));
        assert!(apply(off, &["+SymLinksIfOwnerMatch"]).is_some_and(Symlinks::any));
        assert!(apply(Symlinks::DEFAULT, &["+Indexes"]).is_some_and(Symlinks::any));
        assert_eq!(
            apply(Symlinks::DEFAULT, &["-Indexes", "FollowSymLinks"]),
            None
        );
    }
}
