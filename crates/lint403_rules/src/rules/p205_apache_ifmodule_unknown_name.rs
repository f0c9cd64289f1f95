//! ## What it does
//! Flags an `<IfModule>` whose argument is neither a module's source file
//! name (`mod_rewrite.c`) nor its identifier (`rewrite_module`), such as
//! `<IfModule mod_rewrite>` or `<IfModule rewrite>`.
//!
//! ## Why it causes 403
//! httpd looks the argument up among the loaded modules by those two names
//! only. Any other spelling names no module, so the section is always
//! false and httpd skips its body unread, whether the module is loaded or
//! not. The denies, rewrites or grants inside never apply: a
//! `Require all denied` there leaves the files open, a grant there leaves
//! the 403 of an outer deny in place. With `!` the section is always true
//! and its body always applies, even where the module is loaded.
//!
//! ## Example
//! ```apache
//! <Directory "/var/www/html/private">
//!     <IfModule mod_authz_core>
//!         Require all denied
//!     </IfModule>
//! </Directory>
//! ```
//! `GET /private/` → 200: the section is false, the `Require` never loads.
//!
//! ## Fix
//! Name the module by its source file or its identifier:
//! ```apache
//! <Directory "/var/www/html/private">
//!     <IfModule mod_authz_core.c>
//!         Require all denied
//!     </IfModule>
//! </Directory>
//! ```
//!
//! ## References
//! - <https://httpd.apache.org/docs/2.4/mod/core.html#ifmodule> ("The module
//!   argument can be either the module identifier or the file name of the
//!   module, at the time it was compiled")
//! - verified on httpd 2.4 (research e#3)

use lint403_core::{Code, Diagnostic, Dialect, Severity};

use lint403_apache::syntax::SectionKind;

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::apache::{self, Event};
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "P205",
        name: "apache-ifmodule-unknown-name",
        default_severity: Severity::Error,
        summary: "an `<IfModule>` name httpd never matches: the section is always false",
        doc: "",
    },
    family: Family::Parse,
    dialects: &[Dialect::Apache],
    likelihood: Likelihood::Occasional,
    fix: FixDifficulty::Trivial,
    source: include_str!("p205_apache_ifmodule_unknown_name.rs"),
    check,
};

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Loaded::Apache(config) = context.config else {
        return;
    };
    apache::walk(config, context.sources, |visit| {
        let Event::Enter(section) = visit.event else {
            return;
        };
        if section.kind != SectionKind::IfModule {
            return;
        }
        let args = visit.args();
        let [argument] = args.as_slice() else {
            return;
        };
        let (negated, name) = match argument.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, *argument),
        };
        if name.is_empty() || is_module_name(name) {
            return;
        }
        let suggestion = suggest(name);
        let bang = if negated { "!" } else { "" };
        let message = if negated {
            format!(
                "`<IfModule !{name}>` is always true: httpd knows modules by source file (`mod_x.c`) or identifier (`x_module`) only, so its body applies even where the module is loaded"
            )
        } else {
            format!(
                "`<IfModule {name}>` is always false: httpd knows modules by source file (`mod_x.c`) or identifier (`x_module`) only, so nothing inside this section ever loads"
            )
        };
        out.push(
            Diagnostic::new(RULE.code, visit.arg_span(0), message)
                .with_label("names no module")
                .with_help(format!("write `<IfModule {bang}{suggestion}>`")),
        );
    });
}

/// Whether httpd can match `name` to a module: a source file name or an
/// identifier.
fn is_module_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    // A `${VAR}` left literal is reported by other rules.
    let source_file = lower
        .rsplit_once('.')
        .is_some_and(|(stem, extension)| !stem.is_empty() && extension == "c");
    source_file || lower.ends_with("_module") || name.contains("${")
}

/// The source file name the author most likely meant.
fn suggest(name: &str) -> String {
    let stem = name
        .strip_suffix(".so")
        .or_else(|| name.strip_suffix(".dll"))
        .unwrap_or(name);
    if let Some(short) = stem.strip_prefix("mod_") {
        format!("{stem}.c` or `{short}_module")
    } else {
        format!("mod_{stem}.c` or `{stem}_module")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_module_name("mod_rewrite.c"));
        assert!(is_module_name("rewrite_module"));
        assert!(is_module_name("mpm_prefork_module"));
        assert!(is_module_name("prefork.c"));
        assert!(!is_module_name("mod_rewrite"));
        assert!(!is_module_name("rewrite"));
        assert!(!is_module_name("mod_rewrite.so"));
        assert_eq!(suggest("mod_rewrite"), "mod_rewrite.c` or `rewrite_module");
        assert_eq!(suggest("headers"), "mod_headers.c` or `headers_module");
    }
}
