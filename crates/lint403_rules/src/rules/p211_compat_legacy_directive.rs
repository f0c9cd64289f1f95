//! ## What it does
//! Flags httpd 2.2's access directives `Order`, `Allow`, `Deny` and
//! `Satisfy` outside a guard that keeps them off httpd 2.4
//! (`<IfModule !mod_authz_core.c>`) or that requires their module
//! (`<IfModule mod_access_compat.c>`). One finding per section.
//!
//! A configuration written for httpd 2.2 itself is not flagged when
//! `.lint403.yaml` says so: `site: {apache-version: "2.2"}`.
//!
//! ## Why it causes 403
//! On httpd 2.4 these directives live in `mod_access_compat`, kept only for
//! compatibility. Where it is not loaded (it is a module of its own;
//! Debian enables it by default, a minimal build or image may not) httpd
//! refuses them as an invalid command: the server does not start, and a
//! `.htaccess` using them answers 500 for every request below it. Where
//! it is loaded they still do not merge with `Require` the way one
//! expects (see A204).
//!
//! ## Example
//! ```htaccess
//! Order allow,deny
//! Allow from all
//! ```
//! Without `mod_access_compat`: `GET /` → 500.
//!
//! ## Fix
//! Use `Require`:
//! ```htaccess
//! Require all granted
//! ```
//!
//! ## References
//! - <https://httpd.apache.org/docs/2.4/upgrading.html#access>
//! - <https://httpd.apache.org/docs/2.4/mod/mod_access_compat.html>
//!   ("deprecated by `mod_authz_host`")
//! - RULES.md notes that `OpenLiteSpeed` ignores them silently (not
//!   verified here)
//! - verified on httpd 2.4 without `mod_access_compat` loaded

use lint403_core::{Code, Diagnostic, Dialect, Severity};

use lint403_apache::syntax::SectionKind;

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::apache::{self, Parent};
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "P211",
        name: "compat-legacy-directive",
        default_severity: Severity::Warning,
        summary: "httpd 2.2 `Order`/`Allow`/`Deny`/`Satisfy`: need `mod_access_compat` on 2.4",
        doc: "",
    },
    family: Family::Parse,
    dialects: &[Dialect::Apache],
    likelihood: Likelihood::Common,
    fix: FixDifficulty::Moderate,
    source: include_str!("p211_compat_legacy_directive.rs"),
    check,
};

const LEGACY: &[&str] = &["Order", "Allow", "Deny", "Satisfy"];

/// Whether a section keeps its body off a 2.4 server without
/// `mod_access_compat`.
fn guards(parent: &Parent<'_>) -> bool {
    match parent.kind() {
        SectionKind::IfModule => {
            let argument = parent
                .args()
                .first()
                .map(|word| word.to_ascii_lowercase())
                .unwrap_or_default();
            matches!(
                argument.as_str(),
                "!mod_authz_core.c"
                    | "!authz_core_module"
                    | "mod_access_compat.c"
                    | "access_compat_module"
                    | "!mod_authz_host.c"
                    | "!authz_host_module"
            )
        }
        // Version tests are the other usual guard.
        SectionKind::IfVersion => true,
        _ => false,
    }
}

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Loaded::Apache(config) = context.config else {
        return;
    };
    if context.facts().is_apache_22() {
        return;
    }
    let mut reported: Vec<Option<lint403_core::Span>> = Vec::new();
    apache::directives(config, context.sources, |visit, _| {
        let Some(name) = visit.name() else {
            return;
        };
        if !LEGACY
            .iter()
            .any(|legacy| legacy.eq_ignore_ascii_case(name))
        {
            return;
        }
        if visit.parents.iter().any(guards) {
            return;
        }
        let key = visit
            .parents
            .iter()
            .rev()
            .find(|parent| !parent.kind().is_conditional())
            .map(Parent::open_span);
        if reported.contains(&key) {
            return;
        }
        reported.push(key);
        let effect = if visit.in_htaccess() {
            "every request below this .htaccess answers 500"
        } else {
            "the server does not start"
        };
        out.push(
            Diagnostic::new(
                RULE.code,
                visit.span(),
                format!(
                    "`{name}` is httpd 2.2 syntax that 2.4 only knows through mod_access_compat: where that module is not loaded, httpd refuses it as an invalid command and {effect}"
                ),
            )
            .with_label("needs mod_access_compat")
            .with_help("rewrite the access rules with `Require` (`Order allow,deny` + `Allow from all` is `Require all granted`; `Deny from all` is `Require all denied`)"),
        );
    });
}
