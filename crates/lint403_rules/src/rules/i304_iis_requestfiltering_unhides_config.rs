//! ## What it does
//! Flags request filtering (`system.webServer/security/requestFiltering`)
//! that stops hiding configuration files:
//! - `<hiddenSegments>`: `<remove segment="web.config"/>`, or `<clear/>`
//!   with no `<add segment="web.config"/>` after it;
//! - `<fileExtensions>`: `<remove fileExtension=".config"/>`, `<clear/>`
//!   with no deny of `.config` after it, or
//!   `<add fileExtension=".config" allowed="true"/>`.
//!
//! ## Why it causes 403
//! It does the opposite: it removes a refusal. IIS's server defaults hide
//! the `web.config` segment (404.8) and deny the `.config` extension
//! (404.7), so a request for `/web.config` never reaches a handler.
//! Removing those entries is the pattern of published web-shell
//! templates: with a handler mapped for `.config`, `GET /web.config`
//! then runs or returns the file, connection strings and machine keys
//! included. Without such a handler (or a `.config` MIME type) the static
//! file handler still answers 404.3, so the finding is then an info. The
//! server defaults are inherited from applicationHost.config;
//! this file alone shows only that it removes them.
//!
//! ## Example
//! ```xml
//! <configuration>
//!   <system.webServer>
//!     <security>
//!       <requestFiltering>
//!         <fileExtensions>
//!           <remove fileExtension=".config" />
//!         </fileExtensions>
//!         <hiddenSegments>
//!           <remove segment="web.config" />
//!         </hiddenSegments>
//!       </requestFiltering>
//!     </security>
//!   </system.webServer>
//! </configuration>
//! ```
//! `GET /web.config` → no longer refused by request filtering.
//!
//! ## Fix
//! Delete the `<remove>` entries (and look for how they got there), or
//! keep the defaults explicitly:
//! ```xml
//! <configuration>
//!   <system.webServer>
//!     <security>
//!       <requestFiltering>
//!         <hiddenSegments>
//!           <add segment="App_Private" />
//!         </hiddenSegments>
//!       </requestFiltering>
//!     </security>
//!   </system.webServer>
//! </configuration>
//! ```
//!
//! ## References
//! - Request filtering, `hiddenSegments` and `fileExtensions` (404.8, 404.7):
//!   <https://learn.microsoft.com/iis/configuration/system.webServer/security/requestFiltering/>,
//!   <https://learn.microsoft.com/iis/configuration/system.webServer/security/requestFiltering/hiddenSegments/>,
//!   <https://learn.microsoft.com/iis/configuration/system.webServer/security/requestFiltering/fileExtensions/>
//! - The default `web.config` hidden segment and `.config` deny are those of
//!   the default applicationHost.config (research notes, public copies).
//! - Not run on IIS (IIS cannot run here).

use lint403_core::{Code, Diagnostic, Dialect, Severity, Span};
use lint403_iis::Element;

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::iis;
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "I304",
        name: "iis-requestfiltering-unhides-config",
        default_severity: Severity::Error,
        summary: "request filtering no longer hides web.config / `.config` files",
        doc: "",
    },
    family: Family::Index,
    dialects: &[Dialect::Iis],
    likelihood: Likelihood::Rare,
    fix: FixDifficulty::Trivial,
    source: include_str!("i304_iis_requestfiltering_unhides_config.rs"),
    check,
};

/// Which default protection a list drops.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Segment,
    Extension,
}

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Loaded::Iis(_) = context.config else {
        return;
    };
    let mut found: Vec<(Kind, Span, String)> = Vec::new();
    // A handler or MIME type that would answer /web.config once request
    // filtering lets it through.
    let mut served: Option<Span> = None;
    iis::walk(context, |visit| {
        let kind = match visit.name() {
            "add"
                if served.is_none()
                    && visit.path_ends_with("system.webServer/handlers/add")
                    && visit.attr_value("path").is_some_and(|p| {
                        let p = p.trim().to_ascii_lowercase();
                        p == "*.config" || p == "web.config"
                    }) =>
            {
                served = Some(visit.span());
                return;
            }
            "mimeMap"
                if served.is_none()
                    && visit.path_ends_with("system.webServer/staticContent/mimeMap")
                    && visit
                        .attr_value("fileExtension")
                        .is_some_and(|e| e.trim().eq_ignore_ascii_case(".config")) =>
            {
                served = Some(visit.span());
                return;
            }
            "hiddenSegments"
                if visit.path_ends_with("security/requestFiltering/hiddenSegments") =>
            {
                Kind::Segment
            }
            "fileExtensions"
                if visit.path_ends_with("security/requestFiltering/fileExtensions") =>
            {
                Kind::Extension
            }
            _ => return,
        };
        if let Some(item) = unhiding_item(visit.element, kind) {
            found.push((kind, visit.span_of(item.start_tag), visit.url_prefix()));
        }
    });
    let both = |prefix: &str| {
        found
            .iter()
            .filter(|f| f.2 == prefix)
            .map(|f| f.0)
            .fold((false, false), |(s, e), k| {
                (s || k == Kind::Segment, e || k == Kind::Extension)
            })
            == (true, true)
    };
    for (kind, span, prefix) in &found {
        let (label, rest) = match kind {
            Kind::Segment => (
                "unhides web.config",
                "the `web.config` hidden segment (404.8)",
            ),
            Kind::Extension => ("allows .config", "the `.config` extension deny (404.7)"),
        };
        let effect = if both(prefix) {
            "no longer refused by request filtering (both the hidden segment and the `.config` deny are dropped)".to_owned()
        } else {
            let other = match kind {
                Kind::Segment => "the `.config` extension deny (404.7)",
                Kind::Extension => "the `web.config` hidden segment (404.8)",
            };
            format!("{rest} is dropped; only {other} still refuses it")
        };
        let diagnostic = match served {
            Some(handler) => Diagnostic::new(
                RULE.code,
                *span,
                format!("GET {prefix}web.config → {effect}, and this file maps a handler or MIME type for it — the web-shell pattern that exposes configuration files"),
            )
            .with_related(handler, "answers .config requests"),
            // Without a handler or MIME type for `.config`, the static
            // file handler still answers 404.3: an info, not an exposure.
            None => Diagnostic::new(
                RULE.code,
                *span,
                if both(prefix) {
                    format!("GET {prefix}web.config → {effect}; only the missing `.config` handler/MIME type (404.3) or the application's own routes still keep it from being served")
                } else {
                    format!("GET {prefix}web.config → {effect}")
                },
            )
            .with_severity(Severity::Info),
        };
        out.push(diagnostic.with_label(label).with_help(
            "delete this entry: keep web.config hidden and `.config` denied (the server defaults)",
        ));
    }
}

/// The entry of a `hiddenSegments`/`fileExtensions` list that leaves
/// web.config / `.config` unprotected at the end of the list.
fn unhiding_item(list: &Element, kind: Kind) -> Option<&Element> {
    let (attribute, value) = match kind {
        Kind::Segment => ("segment", "web.config"),
        Kind::Extension => ("fileExtension", ".config"),
    };
    let names = |item: &Element| {
        item.attribute_value(attribute)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case(value))
    };
    let mut culprit = None;
    for item in list.child_elements() {
        match item.name.local() {
            "clear" => culprit = Some(item),
            "remove" if names(item) => culprit = Some(item),
            "add" if names(item) => {
                let allowed =
                    kind == Kind::Extension && iis::is_true(item.attribute_value("allowed"), true);
                culprit = allowed.then_some(item);
            }
            _ => {}
        }
    }
    culprit
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(inner: &str) -> usize {
        iis::run_check(
            check,
            &format!("<configuration><system.webServer><security><requestFiltering>{inner}</requestFiltering></security></system.webServer></configuration>"),
        )
        .len()
    }

    #[test]
    fn lists() {
        assert_eq!(
            run("<hiddenSegments><remove segment=\"Web.config\"/></hiddenSegments>"),
            1
        );
        assert_eq!(run("<hiddenSegments><clear/></hiddenSegments>"), 1);
        assert_eq!(
            run("<hiddenSegments><clear/><add segment=\"web.config\"/></hiddenSegments>"),
            0
        );
        assert_eq!(
            run("<hiddenSegments><remove segment=\"bin\"/></hiddenSegments>"),
            0
        );
        assert_eq!(
            run("<fileExtensions><remove fileExtension=\".config\"/></fileExtensions>"),
            1
        );
        assert_eq!(
            run("<fileExtensions><add fileExtension=\".config\" allowed=\"true\"/></fileExtensions>"),
            1
        );
        assert_eq!(
            run("<fileExtensions><remove fileExtension=\".config\"/><add fileExtension=\".config\" allowed=\"false\"/></fileExtensions>"),
            0
        );
        assert_eq!(
            run("<fileExtensions><add fileExtension=\".php\" allowed=\"false\"/></fileExtensions>"),
            0
        );
    }
}
