//! ## What it does
//! Flags `<location>` elements IIS does not accept or that do not mean
//! what they look like:
//! - two `<location>` elements for the same `path` that set the same
//!   section (error);
//! - `overrideMode` and the legacy `allowOverride` on one `<location>`
//!   (error);
//! - a `path` with a backslash or a wildcard (`*`, `?`) (error);
//! - a `path` starting with `/` (warning: suspicious, unverified).
//!
//! ## Why it causes 403
//! A configuration IIS rejects answers every request under it with a
//! configuration error (500.19 is the usual one; the exact status for
//! these cases was not verified), so the access rules inside never apply.
//! A `path` is a list of URL segments separated by `/`, matched
//! literally: a backslash or a wildcard names no URL, so the restrictions
//! meant for `admin\*` guard nothing.
//!
//! ## Example
//! ```xml
//! <configuration>
//!   <location path="admin">
//!     <system.webServer>
//!       <security>
//!         <authorization>
//!           <add accessType="Allow" roles="Admins" />
//!         </authorization>
//!       </security>
//!     </system.webServer>
//!   </location>
//!   <location path="admin">
//!     <system.webServer>
//!       <security>
//!         <authorization>
//!           <add accessType="Deny" users="?" />
//!         </authorization>
//!       </security>
//!     </system.webServer>
//!   </location>
//! </configuration>
//! ```
//!
//! ## Fix
//! One `<location>` per path and section:
//! ```xml
//! <configuration>
//!   <location path="admin">
//!     <system.webServer>
//!       <security>
//!         <authorization>
//!           <add accessType="Deny" users="?" />
//!           <add accessType="Allow" roles="Admins" />
//!         </authorization>
//!       </security>
//!     </system.webServer>
//!   </location>
//! </configuration>
//! ```
//!
//! ## References
//! - `<location>` paths, several tags for one path only with different
//!   sections, `overrideMode` vs `allowOverride`:
//!   <https://learn.microsoft.com/iis/get-started/planning-your-iis-architecture/deep-dive-into-iis-configuration-with-iis-7-and-iis-8>
//! - 500.19: <https://learn.microsoft.com/troubleshoot/developer/webapps/iis/health-diagnostic-performance/http-error-500-19-webpage>
//! - Not run on IIS (IIS cannot run here): the status for each case and the
//!   leading-`/` case are unverified.

use std::collections::HashMap;

use lint403_core::{Code, Diagnostic, Dialect, Severity, Span};
use lint403_iis::Element;

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::iis;
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "P307",
        name: "iis-location-invalid",
        default_severity: Severity::Error,
        summary: "a `<location>` IIS rejects (duplicate section, both lock attributes, `\\`/wildcards in path)",
        doc: "",
    },
    family: Family::Parse,
    dialects: &[Dialect::Iis],
    likelihood: Likelihood::Rare,
    fix: FixDifficulty::Trivial,
    source: include_str!("p307_iis_location_invalid.rs"),
    check,
};

/// Section groups: their children are sections or further groups.
const GROUPS: [&str; 10] = [
    "system.webServer",
    "system.webServer/security",
    "system.webServer/security/authentication",
    "system.webServer/rewrite",
    "system.web",
    "system.net",
    "system.net/mailSettings",
    "system.serviceModel",
    "system.applicationHost",
    "system.web.extensions",
];

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Loaded::Iis(_) = context.config else {
        return;
    };
    // (normalized path, section) → the first element setting it.
    let mut seen: HashMap<(String, String), Span> = HashMap::new();
    iis::walk(context, |visit| {
        if visit.name() != "location" || visit.path() != "configuration/location" {
            return;
        }
        let path_attribute = visit.attr("path");
        let path = path_attribute.map_or("", |a| a.value.trim());
        let url = match path.trim_matches('/') {
            "" | "." => "/".to_owned(),
            p => format!("/{}/", p.trim_start_matches("~/")),
        };
        if let (Some(_), Some(allow)) = (visit.attr("overrideMode"), visit.attr("allowOverride")) {
            out.push(
                Diagnostic::new(
                    RULE.code,
                    Span::new(visit.file, allow.value_range),
                    format!("`overrideMode` and `allowOverride` on one <location>: IIS does not accept both, so GET {url} → a configuration error (likely 500.19, not verified) instead of these settings"),
                )
                .with_label("both lock attributes")
                .with_related(visit.attr_span("overrideMode"), "overrideMode")
                .with_help("keep `overrideMode` (Allow/Deny/Inherit) and drop the legacy `allowOverride`"),
            );
        }
        if let Some(attribute) = path_attribute {
            if path.contains(['\\', '*', '?']) {
                let fixed = path.replace('\\', "/");
                out.push(
                    Diagnostic::new(
                        RULE.code,
                        Span::new(visit.file, attribute.value_range),
                        format!(
                            "<location path=\"{path}\"> names no URL: a path is URL segments separated by `/`, with no wildcards, so the settings inside never govern the requests they were meant for"
                        ),
                    )
                    .with_label("not a URL path")
                    .with_help(format!(
                        "write the folder or file as a URL path (`{}`); a location applies to everything below it, no `*` needed",
                        fixed.trim_end_matches(['*', '/'])
                    )),
                );
            } else if path.starts_with('/') {
                out.push(
                    Diagnostic::new(
                        RULE.code,
                        Span::new(visit.file, attribute.value_range),
                        format!(
                            "<location path=\"{path}\"> starts with `/`: location paths are written without it (`{}`); whether IIS matches this one is unverified",
                            path.trim_start_matches('/')
                        ),
                    )
                    .with_severity(Severity::Warning)
                    .with_label("leading `/`")
                    .with_help("drop the leading `/`"),
                );
            }
        }
        let key_path = match path {
            "." => String::new(),
            p => p.to_ascii_lowercase(),
        };
        for (section, element) in sections(visit.element) {
            let span = visit.span_of(element.start_tag);
            match seen.get(&(key_path.clone(), section.clone())) {
                Some(first) => out.push(
                    Diagnostic::new(
                        RULE.code,
                        span,
                        format!(
                            "`{section}` is set again for <location path=\"{path}\">: IIS does not allow one section twice for the same path, so GET {url} → a configuration error (likely 500.19, not verified) and neither copy applies"
                        ),
                    )
                    .with_label("duplicate section")
                    .with_related(*first, "first set here")
                    .with_help("merge both into one <location> element"),
                ),
                None => {
                    seen.insert((key_path.clone(), section), span);
                }
            }
        }
    });
}

/// The sections below a `<location>`: (section path, element).
fn sections(location: &Element) -> Vec<(String, &Element)> {
    let mut out = Vec::new();
    let mut pending: Vec<(String, &Element)> = location
        .child_elements()
        .map(|e| (e.name.local().to_owned(), e))
        .collect();
    while let Some((path, element)) = pending.pop() {
        if GROUPS.contains(&path.as_str()) {
            pending.extend(
                element
                    .child_elements()
                    .map(|e| (format!("{path}/{}", e.name.local()), e)),
            );
        } else {
            out.push((path, element));
        }
    }
    out.sort_by_key(|(_, e)| e.start_tag.start);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Vec<String> {
        iis::run_check(check, &format!("<configuration>{text}</configuration>"))
            .into_iter()
            .map(|d| d.message)
            .collect()
    }

    #[test]
    fn locations() {
        let authz = "<system.webServer><security><authorization/></security></system.webServer>";
        let browse = "<system.webServer><directoryBrowse enabled=\"false\"/></system.webServer>";
        assert_eq!(
            run(&format!(
                "<location path=\"a\">{authz}</location><location path=\"A\">{authz}</location>"
            ))
            .len(),
            1
        );
        assert!(run(&format!(
            "<location path=\"a\">{authz}</location><location path=\"a\">{browse}</location>"
        ))
        .is_empty());
        assert!(run(&format!(
            "<location path=\"a\">{authz}</location><location path=\"b\">{authz}</location>"
        ))
        .is_empty());
        assert_eq!(
            run(&format!(
                "<location path=\".\">{authz}</location><location>{authz}</location>"
            ))
            .len(),
            1
        );
        assert_eq!(run("<location path=\"a\\b\"/>").len(), 1);
        assert_eq!(run("<location path=\"/a\"/>").len(), 1);
        assert_eq!(
            run("<location path=\"a\" overrideMode=\"Deny\" allowOverride=\"false\"/>").len(),
            1
        );
        assert!(run("<location path=\"a/b.aspx\" overrideMode=\"Allow\"/>").is_empty());
    }
}
