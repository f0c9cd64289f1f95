//! ## What it does
//! Flags access rules in a `.htaccess` whose directory the server
//! configuration gives `AllowOverride None` (and no `AllowOverrideList`).
//! The rule needs the server configuration in the same check (a tree
//! holding `httpd.conf`/`apache2.conf` and the document root); on a
//! `.htaccess` alone it says nothing, since the overrides are unknown.
//!
//! ## Why it causes 403
//! httpd only opens `.htaccess` files in directories whose merged
//! `AllowOverride` is not `None`, and `None` is the default since 2.3.9.
//! Everything in an unread `.htaccess` is silently ignored: a
//! `Require all denied` there leaves the directory open, a grant there
//! leaves the 403 of the server's deny in place, a `RewriteRule` that
//! routes to a front controller never runs.
//!
//! ## Example
//! A tree with the server configuration and the `.htaccess` it governs:
//! ```apache
//! # file: etc/apache2/apache2.conf
//! DocumentRoot "/var/www/html"
//! <Directory "/var/www/html">
//!     AllowOverride None
//!     Require all granted
//! </Directory>
//! ```
//! ```htaccess
//! # file: var/www/html/.htaccess
//! Require all denied
//! ```
//! `GET /` → 200: httpd never opens the `.htaccess`. The fix lets it override what it sets (or move its rules into the `<Directory>`).
//!
//! ## Fix
//! ```apache
//! # file: etc/apache2/apache2.conf
//! DocumentRoot "/var/www/html"
//! <Directory "/var/www/html">
//!     AllowOverride AuthConfig
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
//!   ("When this directive is set to None and `AllowOverrideList` is set to
//!   None, .htaccess files are completely ignored"; default `None` since
//!   2.3.9)
//! - verified on httpd 2.4 (research e#16)

use lint403_core::{Code, Diagnostic, Dialect, Severity};

use lint403_apache::Context;

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::apache;
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "P209",
        name: "htaccess-ignored",
        default_severity: Severity::Error,
        summary: "a `.htaccess` httpd never reads (`AllowOverride None` for its directory)",
        doc: "",
    },
    family: Family::Parse,
    dialects: &[Dialect::Apache],
    likelihood: Likelihood::Common,
    fix: FixDifficulty::Trivial,
    source: include_str!("p209_htaccess_ignored.rs"),
    check,
};

/// Directives whose loss changes who gets a 403.
const ACCESS: &[&str] = &[
    "Require",
    "Order",
    "Allow",
    "Deny",
    "Satisfy",
    "AuthType",
    "RewriteRule",
    "RedirectMatch",
    "Redirect",
    "Options",
    "DirectoryIndex",
    "FallbackResource",
];

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
    let mut first = None;
    apache::directives(config, context.sources, |visit, _| {
        if first.is_none() && ACCESS.iter().any(|name| visit.is(name)) {
            let line: Vec<&str> = visit.args();
            first = Some((
                visit.span(),
                format!("{} {}", visit.name().unwrap_or_default(), line.join(" ")),
            ));
        }
    });
    let Some((span, directive)) = first else {
        return;
    };
    let Some(overrides) = apache::htaccess_overrides(context.sources, root.file) else {
        return;
    };
    if overrides.reads_htaccess() {
        return;
    }
    let decided = match &overrides.directory {
        Some(directory) => format!("`AllowOverride None` applies to {directory}"),
        None => "no `AllowOverride` is set for this directory (the default is None since 2.3.9)"
            .to_string(),
    };
    let mut diagnostic = Diagnostic::new(
        RULE.code,
        span,
        format!(
            "httpd never reads this .htaccess: {decided}, so `{directive}` and the rest of the file never apply"
        ),
    )
    .with_label("ignored by httpd")
    .with_help(
        "grant the classes this file needs (e.g. `AllowOverride AuthConfig FileInfo`) in the <Directory> of the server configuration, or move these rules there",
    );
    if let Some(related) = overrides.span {
        diagnostic = diagnostic.with_related(related, "no overrides here");
    } else {
        diagnostic = diagnostic.with_related(
            lint403_core::Span::new(overrides.server_config, lint403_core::TextRange::empty(0)),
            "the server configuration checked",
        );
    }
    out.push(diagnostic);
}
