//! ## What it does
//! Flags a method name in `<Limit>` or `<LimitExcept>` that is a known HTTP
//! method written in the wrong case, such as `<Limit get post>`.
//!
//! ## Why it causes 403
//! Method names are case-sensitive. httpd does not know `get`: in the
//! server configuration it registers `get` as a new, extension method, so
//! `<Limit get post>` covers no real GET or POST request and the
//! restriction inside never applies (a `<LimitExcept get>` restricts GET
//! too). In a `.htaccess` httpd cannot register methods and refuses the
//! line: every request below it answers 500.
//!
//! ## Example
//! ```apache
//! <Directory "/var/www/html/admin">
//!     <Limit get post>
//!         Require all denied
//!     </Limit>
//! </Directory>
//! ```
//! `GET /admin/` → 200: the `<Limit>` does not cover GET.
//!
//! ## Fix
//! Write the methods in upper case:
//! ```apache
//! <Directory "/var/www/html/admin">
//!     <Limit GET POST>
//!         Require all denied
//!     </Limit>
//! </Directory>
//! ```
//!
//! ## References
//! - <https://httpd.apache.org/docs/2.4/mod/core.html#limit> ("Method names
//!   are case-sensitive")
//! - verified on httpd 2.4 (research e#36)

use lint403_core::{Code, Diagnostic, Dialect, Severity};

use lint403_apache::syntax::SectionKind;

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::apache::{self, Event};
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "P208",
        name: "apache-method-case",
        default_severity: Severity::Error,
        summary: "a `<Limit>` method name in the wrong case covers no real request",
        doc: "",
    },
    family: Family::Parse,
    dialects: &[Dialect::Apache],
    likelihood: Likelihood::Rare,
    fix: FixDifficulty::Trivial,
    source: include_str!("p208_apache_method_case.rs"),
    check,
};

/// The methods httpd knows (`ap_method_number_of`), and HEAD.
const KNOWN: &[&str] = &[
    "GET",
    "HEAD",
    "PUT",
    "POST",
    "DELETE",
    "CONNECT",
    "OPTIONS",
    "TRACE",
    "PATCH",
    "PROPFIND",
    "PROPPATCH",
    "MKCOL",
    "COPY",
    "MOVE",
    "LOCK",
    "UNLOCK",
    "VERSION-CONTROL",
    "CHECKOUT",
    "UNCHECKOUT",
    "CHECKIN",
    "UPDATE",
    "LABEL",
    "REPORT",
    "MKWORKSPACE",
    "MKACTIVITY",
    "BASELINE-CONTROL",
    "MERGE",
];

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Loaded::Apache(config) = context.config else {
        return;
    };
    apache::walk(config, context.sources, |visit| {
        let Event::Enter(section) = visit.event else {
            return;
        };
        if !matches!(section.kind, SectionKind::Limit | SectionKind::LimitExcept) {
            return;
        }
        let name = section.open.name(visit.text);
        for (index, method) in visit.args().iter().enumerate() {
            let upper = method.to_ascii_uppercase();
            if upper == *method || !KNOWN.contains(&upper.as_str()) {
                continue;
            }
            let message = if visit.in_htaccess() {
                format!(
                    "method names are case-sensitive: httpd cannot register `{method}` from a .htaccess and refuses the line, so every request below it answers 500"
                )
            } else if section.kind == SectionKind::Limit {
                format!(
                    "method names are case-sensitive: `{method}` is not {upper}, httpd registers it as a new method, so this <{name}> does not cover {upper} requests — {upper} is not restricted by it"
                )
            } else {
                format!(
                    "method names are case-sensitive: `{method}` is not {upper}, so this <{name}> also applies to {upper} requests"
                )
            };
            out.push(
                Diagnostic::new(RULE.code, visit.arg_span(index), message)
                    .with_label(format!("not {upper}"))
                    .with_help(format!("write `{upper}`")),
            );
            // httpd stops at the first refused name.
            if visit.in_htaccess() {
                break;
            }
        }
    });
}
