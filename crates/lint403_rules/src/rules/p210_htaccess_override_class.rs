//! ## What it does
//! Flags a `.htaccess` directive whose override class (`AuthConfig`,
//! `Limit`, `FileInfo`, `Indexes`, `Options`) the server configuration's
//! `AllowOverride` for that directory does not grant. The rule needs the
//! server configuration in the same check (a tree holding
//! `httpd.conf`/`apache2.conf` and the document root); on a `.htaccess`
//! alone it says nothing.
//!
//! ## Why it causes 403
//! httpd refuses a `.htaccess` directive outside the granted classes ("X
//! not allowed here"): every request below that `.htaccess` answers 500.
//! With `AllowOverride … Nonfatal=Override` it logs AH02295 instead and
//! skips the line, so the rule in it silently never applies: a skipped
//! `Require all denied` leaves the directory open, a skipped grant leaves
//! a 403 in place. The classic case is a 2.2 `.htaccess` converted to
//! `Require` under `AllowOverride Limit`: `Require` needs `AuthConfig`.
//!
//! ## Example
//! A tree with the server configuration and the `.htaccess` it governs:
//! ```apache
//! # file: etc/apache2/apache2.conf
//! DocumentRoot "/var/www/html"
//! <Directory "/var/www/html">
//!     AllowOverride FileInfo
//!     Require all granted
//! </Directory>
//! ```
//! ```htaccess
//! # file: var/www/html/.htaccess
//! Require all denied
//! ```
//! `GET /` → 500: `Require` needs the `AuthConfig` class. The fix grants the class the directive needs.
//!
//! ## Fix
//! ```apache
//! # file: etc/apache2/apache2.conf
//! DocumentRoot "/var/www/html"
//! <Directory "/var/www/html">
//!     AllowOverride FileInfo AuthConfig
//!     Require all granted
//! </Directory>
//! ```
//! ```htaccess
//! # file: var/www/html/.htaccess
//! Require all denied
//! ```
//!
//! ## References
//! - <https://httpd.apache.org/docs/2.4/mod/core.html#allowoverride>
//!   (the classes and `Nonfatal=`)
//! - each directive's "Override" line in the module documentation
//! - verified on httpd 2.4 (research e#17)

use lint403_core::{Code, Diagnostic, Dialect, Severity};

use lint403_apache::syntax::SectionKind;
use lint403_apache::Context;

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::apache::{self, Event, Parent};
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "P210",
        name: "htaccess-override-class",
        default_severity: Severity::Error,
        summary: "a `.htaccess` directive outside the `AllowOverride` classes granted",
        doc: "",
    },
    family: Family::Parse,
    dialects: &[Dialect::Apache],
    likelihood: Likelihood::Common,
    fix: FixDifficulty::Trivial,
    source: include_str!("p210_htaccess_override_class.rs"),
    check,
};

/// The override class of common `.htaccess` directives (lower case), from
/// the modules' command tables.
fn class_of(name: &str) -> Option<&'static [&'static str]> {
    const AUTH: &[&str] = &["authconfig"];
    const LIMIT: &[&str] = &["limit"];
    const FILEINFO: &[&str] = &["fileinfo"];
    const INDEXES: &[&str] = &["indexes"];
    const OPTIONS: &[&str] = &["options"];
    const LIMIT_OR_AUTH: &[&str] = &["limit", "authconfig"];
    let lower = name.to_ascii_lowercase();
    Some(match lower.as_str() {
        "require"
        | "authtype"
        | "authname"
        | "authuserfile"
        | "authgroupfile"
        | "authbasicprovider"
        | "authmerging"
        | "authzsendforbiddenonfailure"
        | "satisfy"
        | "<requireall"
        | "<requireany"
        | "<requirenone" => AUTH,
        "order" | "allow" | "deny" => LIMIT,
        "rewriteengine" | "rewriteoptions" | "rewritebase" | "rewritecond" | "rewriterule"
        | "setenvif" | "setenvifnocase" | "setenvifexpr" | "browsermatch"
        | "browsermatchnocase" | "redirect" | "redirectmatch" | "redirectpermanent"
        | "redirecttemp" | "errordocument" | "header" | "requestheader" | "addtype"
        | "addhandler" | "forcetype" | "sethandler" => FILEINFO,
        "directoryindex" | "directoryslash" | "fallbackresource" => INDEXES,
        "options" => OPTIONS,
        "<limit" | "<limitexcept" => LIMIT_OR_AUTH,
        _ => return None,
    })
}

/// httpd's spelling of a class for `AllowOverride`.
fn spelled(class: &str) -> &'static str {
    match class {
        "authconfig" => "AuthConfig",
        "limit" => "Limit",
        "fileinfo" => "FileInfo",
        "indexes" => "Indexes",
        _ => "Options",
    }
}

/// Whether httpd reads the body of an enclosing conditional on 2.4 with
/// the usual modules (`<IfModule mod_x.c>` yes, `!` fallbacks and version
/// or define tests unknown: skipped).
fn read(parent: &Parent<'_>) -> bool {
    match parent.kind() {
        SectionKind::IfModule => !parent
            .args()
            .first()
            .is_some_and(|argument| argument.starts_with('!')),
        kind => !kind.is_conditional(),
    }
}

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Loaded::Apache(config) = context.config else {
        return;
    };
    if config.context != Context::Htaccess {
        return;
    }
    let Some(root) = config.root() else {
        return;
    };
    let Some(overrides) = apache::htaccess_overrides(context.sources, root.file) else {
        return;
    };
    if !overrides.reads_htaccess() {
        // Never read: P209's finding.
        return;
    }
    let nonfatal = overrides
        .nonfatal
        .iter()
        .any(|value| value == "override" || value == "all");
    let granted: Vec<&str> = overrides
        .classes
        .iter()
        .map(|class| match class.as_str() {
            "authconfig" | "limit" | "fileinfo" | "indexes" | "options" => spelled(class),
            "all" => "All",
            other => other,
        })
        .collect();
    let granted = if granted.is_empty() {
        "None".to_string()
    } else {
        granted.join(" ")
    };
    let directory = overrides
        .directory
        .clone()
        .unwrap_or_else(|| "this directory".to_string());
    let mut done = false;
    apache::walk(config, context.sources, |visit| {
        if done || !visit.parents.iter().all(read) {
            return;
        }
        let (name, span) = match visit.event {
            Event::Directive(directive) => (directive.name(visit.text).to_string(), visit.span()),
            Event::Enter(section) => (
                format!("<{}", section.open.name(visit.text)),
                visit.name_span(),
            ),
            _ => return,
        };
        let Some(classes) = class_of(&name) else {
            return;
        };
        if classes.iter().any(|class| overrides.grants(class)) {
            return;
        }
        let lower = name.trim_start_matches('<').to_ascii_lowercase();
        if overrides.list.contains(&lower) {
            return;
        }
        let shown = if name.starts_with('<') {
            format!("{name}>")
        } else {
            name.clone()
        };
        let needs = classes
            .iter()
            .map(|class| spelled(class))
            .collect::<Vec<_>>()
            .join(" or ");
        let effect = if nonfatal {
            "httpd skips the line (AH02295, `Nonfatal=Override`), so it never applies".to_string()
        } else {
            format!("httpd refuses it (\"{} not allowed here\"): every request below this .htaccess answers 500", shown.trim_end_matches('>'))
        };
        let mut diagnostic = Diagnostic::new(
            RULE.code,
            span,
            format!(
                "`{shown}` needs `AllowOverride {needs}`, but the server configuration grants {directory} only `{granted}`: {effect}"
            ),
        )
        .with_label(format!("needs {needs}"))
        .with_help(format!(
            "add `{}` to the `AllowOverride` of {directory}, or move this rule into its <Directory>",
            spelled(classes.first().copied().unwrap_or("options"))
        ));
        if let Some(related) = overrides.span {
            diagnostic = diagnostic.with_related(related, "the classes granted");
        }
        out.push(diagnostic);
        // httpd stops reading at the first refused line.
        done = !nonfatal;
    });
}
