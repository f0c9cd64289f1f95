//! ## What it does
//! Flags `system.webServer/handlers@accessPolicy` values that disable the
//! handlers a site needs:
//! - no `Read` (or `NoRemoteRead`): the static file handler needs Read;
//! - no `Execute` while the same `<handlers>` maps a handler with
//!   `requireAccess="Execute"` (CGI, ISAPI `.dll`/`.exe`);
//! - no `Script` while the same `<handlers>` maps a script handler
//!   (`requireAccess` `Script`, the default: FastCGI/PHP, ASP.NET,
//!   ASP.NET Core).
//!
//! `accessPolicy="Read"` alone, with no script handler mapped in the same
//! element, is the usual way to stop scripts in an upload folder, and
//! `accessPolicy="None"` the way to serve nothing from a data folder:
//! neither is flagged. Nor is a missing `Read` after `<clear/>` when no
//! static file handler is added back (nothing needs Read then).
//!
//! ## Why it causes 403
//! A handler whose `requireAccess` is not granted by the folder's
//! `accessPolicy` is disabled; a request it would serve fails unless
//! another handler takes it. Without `Read`, every static file (`.css`,
//! `.js`, images) gets 403.2 ("Read access forbidden"); without `Execute`,
//! CGI and ISAPI requests get 403.1 ("Execute access forbidden"); without
//! `Script`, the script handlers' requests are refused (403 or 404, the
//! substatus was not verified).
//!
//! ## Example
//! ```xml
//! <configuration>
//!   <system.webServer>
//!     <handlers accessPolicy="Script" />
//!   </system.webServer>
//! </configuration>
//! ```
//! `GET /site.css` → 403.2.
//!
//! ## Fix
//! ```xml
//! <configuration>
//!   <system.webServer>
//!     <handlers accessPolicy="Read, Script" />
//!   </system.webServer>
//! </configuration>
//! ```
//!
//! ## References
//! - `handlers@accessPolicy`, `add@requireAccess` (default Script):
//!   <https://learn.microsoft.com/iis/configuration/system.webServer/handlers/>,
//!   <https://learn.microsoft.com/iis/configuration/system.webServer/handlers/add>
//! - "Edit Feature Permissions": a handler whose required access is not
//!   granted is disabled:
//!   <https://learn.microsoft.com/previous-versions/windows/it-pro/windows-server-2008-R2-and-2008/cc725855(v=ws.10)>
//! - 403.1 / 403.2: <https://learn.microsoft.com/troubleshoot/developer/webapps/iis/www-administration-management/http-status-code>
//! - Not run on IIS (IIS cannot run here); the status without `Script` is
//!   unverified.

use lint403_core::{Code, Diagnostic, Dialect, Severity, Span};
use lint403_iis::Element;

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::iis;
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "I301",
        name: "iis-accesspolicy-blocks-handlers",
        default_severity: Severity::Warning,
        summary: "`handlers@accessPolicy` disables handlers the site needs (403.1 / 403.2)",
        doc: "",
    },
    family: Family::Index,
    dialects: &[Dialect::Iis],
    likelihood: Likelihood::Occasional,
    fix: FixDifficulty::Trivial,
    source: include_str!("i301_iis_accesspolicy_blocks_handlers.rs"),
    check,
};

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Loaded::Iis(_) = context.config else {
        return;
    };
    iis::walk(context, |visit| {
        if visit.name() != "handlers" || !visit.path_ends_with("system.webServer/handlers") {
            return;
        }
        let Some(policy) = visit.attr("accessPolicy") else {
            return;
        };
        let flags: Vec<&str> = policy.value.split(',').map(str::trim).collect();
        let has = |name: &str| flags.iter().any(|f| f.eq_ignore_ascii_case(name));
        let prefix = visit.url_prefix();
        let span = Span::new(visit.file, policy.value_range);
        let mut problems: Vec<(String, &'static str, Option<&Element>)> = Vec::new();
        // `accessPolicy="None"` alone serves nothing on purpose (a data
        // folder); a `<clear/>` without a static handler after it leaves
        // no handler that Read would enable.
        let deliberate_none = flags.iter().all(|f| f.eq_ignore_ascii_case("None"));
        if !has("Read") && !deliberate_none && static_handler_possible(visit.element) {
            problems.push((
                format!("GET {prefix}site.css → 403.2 (read access forbidden): without `Read` the static file handler is disabled"),
                "no Read",
                None,
            ));
        } else if has("NoRemoteRead") {
            problems.push((
                format!("GET {prefix}site.css from any remote client → 403.2: `NoRemoteRead` disables the static file handler for remote requests"),
                "NoRemoteRead",
                None,
            ));
        }
        let mapped = |access: &str| {
            iis::children(visit.element, "add").find(|add| {
                add.attribute_value("requireAccess")
                    .unwrap_or("Script")
                    .trim()
                    .eq_ignore_ascii_case(access)
            })
        };
        if !has("Execute") {
            if let Some(handler) = mapped("Execute") {
                let path = sample(handler);
                problems.push((
                    format!("GET {prefix}{path} → 403.1 (execute access forbidden): the handler requires Execute, which accessPolicy does not grant"),
                    "no Execute",
                    Some(handler),
                ));
            }
        }
        if !has("Script") {
            if let Some(handler) = mapped("Script") {
                let path = sample(handler);
                problems.push((
                    format!("GET {prefix}{path} is refused (403 or 404, substatus unverified): the handler requires Script, which accessPolicy does not grant"),
                    "no Script",
                    Some(handler),
                ));
            }
        }
        for (message, label, handler) in problems {
            let mut diagnostic = Diagnostic::new(RULE.code, span, message)
                .with_label(label)
                .with_help(
                    "grant what the mapped handlers need, e.g. accessPolicy=\"Read, Script\" (add Execute only for CGI/ISAPI)",
                );
            if let Some(handler) = handler {
                diagnostic = diagnostic.with_related(
                    Span::new(visit.file, handler.start_tag),
                    "disabled by accessPolicy",
                );
            }
            out.push(diagnostic);
        }
    });
}

/// Whether the static file handler can be in the handler list: no
/// `<clear/>`, or one re-added after the last `<clear/>`.
fn static_handler_possible(handlers: &Element) -> bool {
    let mut possible = true;
    for item in handlers.child_elements() {
        match item.name.local() {
            "clear" => possible = false,
            "add" => {
                let modules = item.attribute_value("modules").unwrap_or("");
                if modules.contains("StaticFileModule")
                    || item
                        .attribute_value("requireAccess")
                        .is_some_and(|a| a.trim().eq_ignore_ascii_case("Read"))
                {
                    possible = true;
                }
            }
            _ => {}
        }
    }
    possible
}

/// A file name the handler's `path` takes (`*.php` → `index.php`).
fn sample(handler: &Element) -> String {
    let path = handler.attribute_value("path").unwrap_or("*").trim();
    match path.strip_prefix("*.") {
        Some(ext) if !ext.contains(['*', '/', '\\']) => format!("index.{ext}"),
        _ if path == "*" || path.is_empty() => "index".to_owned(),
        _ => path.replace('*', "x"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(handlers: &str) -> usize {
        iis::run_check(
            check,
            &format!(
                "<configuration><system.webServer>{handlers}</system.webServer></configuration>"
            ),
        )
        .len()
    }

    #[test]
    fn policies() {
        assert_eq!(run("<handlers accessPolicy=\"Script\"/>"), 1);
        assert_eq!(
            run("<handlers accessPolicy=\"Read\"/>"),
            0,
            "upload-folder idiom"
        );
        assert_eq!(run("<handlers accessPolicy=\"Read, Script\"/>"), 0);
        assert_eq!(
            run("<handlers accessPolicy=\"None\"/>"),
            0,
            "data-folder idiom"
        );
        assert_eq!(
            run("<handlers accessPolicy=\"Script\"><clear/><add name=\"NotFound\" path=\"*\" verb=\"*\" type=\"System.Web.HttpNotFoundHandler\"/></handlers>"),
            0
        );
        assert_eq!(
            run("<handlers accessPolicy=\"Read, Script, NoRemoteRead\"/>"),
            1
        );
        assert_eq!(
            run("<handlers accessPolicy=\"Read\"><add name=\"PHP\" path=\"*.php\" verb=\"*\" modules=\"FastCgiModule\"/></handlers>"),
            1
        );
        assert_eq!(
            run("<handlers accessPolicy=\"Read, Script\"><add name=\"cgi\" path=\"*.exe\" verb=\"*\" modules=\"CgiModule\" requireAccess=\"Execute\"/></handlers>"),
            1
        );
        assert_eq!(
            run("<handlers accessPolicy=\"Read\"><add name=\"s\" path=\"*.txt\" verb=\"GET\" modules=\"StaticFileModule\" requireAccess=\"Read\"/></handlers>"),
            0
        );
    }
}
