//! ## What it does
//! Flags a `${NAME}` that no `Define` in the checked configuration sets,
//! in a main configuration (`httpd.conf`, `apache2.conf`) or in a file that
//! defines variables itself.
//!
//! ## Why it causes 403
//! httpd substitutes `${NAME}` from `Define`d variables, then from the
//! server's environment. A name found in neither stays in the line
//! literally, with only a warning at startup (AH00111 "Config variable
//! ${NAME} is not defined"). `<Directory ${DOCROOT}/private>` then names a
//! directory that does not exist: the `Require all denied` inside never
//! applies. `DocumentRoot ${DOCROOT}` points nowhere.
//!
//! lint403 cannot see the environment httpd starts with, so this is a
//! warning: the variable may come from there. Debian's `APACHE_*`
//! variables (set by `/etc/apache2/envvars`) are not reported, nor are
//! `${map:key}` `RewriteMap` lookups. Only paths and access lists are
//! looked at (section arguments, `DocumentRoot`, `Alias`, `Require`,
//! `Include`, …), and nothing inside an `<IfDefine>` httpd skips.
//!
//! ## Example
//! ```apache
//! Define SITE /var/www/html
//! <Directory "${DOCROOT}/private">
//!     Require all denied
//! </Directory>
//! ```
//! `GET /private/` → 200: the section names the literal path
//! `${DOCROOT}/private`.
//!
//! ## Fix
//! Define the variable before its first use (or use the one defined):
//! ```apache
//! Define DOCROOT /var/www/html
//! <Directory "${DOCROOT}/private">
//!     Require all denied
//! </Directory>
//! ```
//!
//! ## References
//! - <https://httpd.apache.org/docs/2.4/configuring.html#syntax>
//!   ("If the variable is not defined, … a warning is logged and the
//!   literal text is used")
//! - <https://httpd.apache.org/docs/2.4/mod/core.html#define>
//! - verified on httpd 2.4 (the example, with `DOCROOT` unset)

use lint403_core::{Code, Diagnostic, Dialect, Severity, Span, TextRange};

use lint403_apache::syntax::{Line, SectionKind};
use lint403_apache::Context;

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::apache::{self, Event};
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "P206",
        name: "apache-undefined-variable",
        default_severity: Severity::Warning,
        summary: "a `${VAR}` no `Define` sets: httpd keeps it literally",
        doc: "",
    },
    family: Family::Parse,
    dialects: &[Dialect::Apache],
    likelihood: Likelihood::Occasional,
    fix: FixDifficulty::Trivial,
    source: include_str!("p206_apache_undefined_variable.rs"),
    check,
};

/// Directives where a literal `${NAME}` changes who gets a 403 (paths,
/// access lists).
const PATHS: &[&str] = &[
    "DocumentRoot",
    "Alias",
    "AliasMatch",
    "ScriptAlias",
    "ScriptAliasMatch",
    "Require",
    "Allow",
    "Deny",
    "Include",
    "IncludeOptional",
    "AuthUserFile",
    "AuthGroupFile",
    "UserDir",
];

/// Sections whose argument selects what their rules apply to.
const SECTIONS: &[SectionKind] = &[
    SectionKind::Directory,
    SectionKind::DirectoryMatch,
    SectionKind::Files,
    SectionKind::FilesMatch,
    SectionKind::Location,
    SectionKind::LocationMatch,
    SectionKind::VirtualHost,
    SectionKind::If,
    SectionKind::ElseIf,
];

/// The `${NAME}` references of `text`: (offset of `$`, name).
fn references(text: &str) -> Vec<(usize, &str)> {
    let mut found = Vec::new();
    let mut rest = 0;
    while let Some(at) = text.get(rest..).and_then(|tail| tail.find("${")) {
        let start = rest + at;
        let Some(close) = text.get(start + 2..).and_then(|tail| tail.find('}')) else {
            break;
        };
        let name = text.get(start + 2..start + 2 + close).unwrap_or_default();
        if !name.is_empty() && !name.contains(':') && !name.contains("${") {
            found.push((start, name));
        }
        rest = start + 2 + close;
    }
    found
}

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Loaded::Apache(config) = context.config else {
        return;
    };
    if config.context == Context::Htaccess {
        return;
    }
    let Some(root) = config.root() else {
        return;
    };
    let main = lint403_apache::is_main_config_name(&context.sources.get(root.file).path);
    let mut defines_any = false;
    apache::directives(config, context.sources, |visit, _| {
        defines_any |= visit.is("Define");
    });
    if !main && !defines_any {
        // A fragment: the includer may define its variables.
        return;
    }
    let mut reported: Vec<String> = Vec::new();
    apache::walk(config, context.sources, |visit| {
        // httpd skips the body of `<IfDefine NAME>` when NAME is not
        // defined (with `-D` unknown here, so is every variable in it).
        if visit.parents.iter().any(|parent| {
            parent.kind() == SectionKind::IfDefine
                && parent
                    .args()
                    .first()
                    .is_some_and(|name| match name.strip_prefix('!') {
                        Some(negated) => config.defines.is_defined(negated),
                        None => !config.defines.is_defined(name),
                    })
        }) {
            return;
        }
        let (line, expanded, what): (&Line, Option<&str>, String) = match visit.event {
            Event::Directive(directive)
                if PATHS.iter().any(|name| directive.is(visit.text, name)) =>
            {
                (
                    &directive.line,
                    directive.expanded(),
                    format!("`{}`", directive.name(visit.text)),
                )
            }
            Event::Enter(section) if SECTIONS.contains(&section.kind) => (
                &section.open.line,
                section.open.expanded.as_deref(),
                format!("`<{}>`", section.open.name(visit.text)),
            ),
            _ => return,
        };
        // Names still present after substitution were not defined.
        let remaining: Vec<String> = match expanded {
            Some(expanded) => references(expanded)
                .into_iter()
                .map(|(_, name)| name.to_string())
                .collect(),
            None => Vec::new(),
        };
        for piece in line.pieces() {
            let Some(raw) = visit.text.get(piece.start..piece.end) else {
                continue;
            };
            if raw.trim_start().starts_with('#') {
                continue;
            }
            for (at, name) in references(raw) {
                if expanded.is_some() && !remaining.iter().any(|left| left == name) {
                    continue;
                }
                if name.starts_with("APACHE_") {
                    continue;
                }
                let key = name.to_ascii_lowercase();
                if reported.contains(&key) {
                    continue;
                }
                reported.push(key);
                let start = piece.start + at;
                let span = Span::new(visit.file, TextRange::new(start, start + name.len() + 3));
                out.push(
                    Diagnostic::new(
                        RULE.code,
                        span,
                        format!(
                            "`${{{name}}}` is not defined when httpd reads this line (no earlier `Define`): unless httpd's environment sets it, httpd keeps the text `${{{name}}}` literally (AH00111) and {what} here uses that literal path or value"
                        ),
                    )
                    .with_label("not defined")
                    .with_help(format!("add `Define {name} <value>` before its first use")),
                );
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_references() {
        assert_eq!(references("<Directory ${A}/x>"), vec![(11, "A")]);
        assert!(references("RewriteRule ^ ${map:key} [L]").is_empty());
        assert_eq!(references("${A} ${B}").len(), 2);
        assert!(references("${unterminated").is_empty());
    }
}
