//! ## What it does
//! Flags an nginx hotlink check — `valid_referers` plus `if
//! ($invalid_referer) { return 403; }` — whose `valid_referers` lacks
//! `none`, in a block that serves pages (a server, `location /`, a PHP or
//! HTML location), not only media.
//!
//! IIS: flags a URL Rewrite rule that refuses (`CustomResponse`,
//! `AbortRequest`, or a `Redirect`/`Rewrite` to a placeholder) when a
//! negated `{HTTP_REFERER}` condition says "not from our site", and no
//! condition excepts the empty Referer (the `^$` pattern with
//! `negate="true"`), in a rule whose URL pattern is not media-only.
//!
//! In Apache httpd the check goes through the tracer over the shared
//! model: a `RewriteCond %{HTTP_REFERER}` gate (it refuses a foreign
//! Referer and serves the site's own) whose rule also refuses a request
//! that sends no Referer — no `RewriteCond %{HTTP_REFERER} !^$`.
//!
//! ## Why it causes 403
//! A request without a `Referer` header is valid only when `valid_referers`
//! lists `none`. Direct visits, bookmarks, links from mail clients and
//! every page under `Referrer-Policy: no-referrer` send no Referer: they
//! all get 403.
//!
//! In IIS a missing header is read as the empty string: `""` does not
//! match the own-site pattern, the negated condition is true, and under
//! the default `MatchAll` the rule fires for every direct visit.
//!
//! Media-only locations (`location ~* \.(jpg|png|gif)$`, `/images/`) are
//! not reported: refusing the empty Referer there is a deliberate, strict
//! hotlink policy.
//!
//! ## Example
//! ```nginx
//! server {
//!     server_name example.com;
//!     valid_referers server_names;
//!     if ($invalid_referer) {
//!         return 403;
//!     }
//! }
//! ```
//! `GET /` with no Referer → 403.
//!
//! IIS (web.config):
//! ```xml
//! <configuration>
//!   <system.webServer>
//!     <rewrite>
//!       <rules>
//!         <rule name="Hotlinking" stopProcessing="true">
//!           <match url=".*" />
//!           <conditions>
//!             <add input="{HTTP_REFERER}" pattern="^https?://(www\.)?example\.com/" negate="true" />
//!           </conditions>
//!           <action type="CustomResponse" statusCode="403" />
//!         </rule>
//!       </rules>
//!     </rewrite>
//!   </system.webServer>
//! </configuration>
//! ```
//! `GET /` with no Referer → 403. The fix adds
//! `<add input="{HTTP_REFERER}" pattern="^$" negate="true" />` to the
//! conditions.
//!
//! ## Fix
//! ```nginx
//! server {
//!     server_name example.com;
//!     valid_referers none blocked server_names;
//!     if ($invalid_referer) {
//!         return 403;
//!     }
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_referer_module.html>
//!   ("none: the Referer field is missing in the request header")
//! - IIS: URL Rewrite conditions, `negate`, `logicalGrouping`, server
//!   variables `{HTTP_*}`:
//!   <https://learn.microsoft.com/iis/extensions/url-rewrite-module/url-rewrite-module-configuration-reference>;
//!   the `^$` exception is the community idiom (serverfault.com/questions/322230),
//!   which implies a missing header reads as `""`. Not run on IIS (IIS cannot
//!   run here).

use std::collections::HashSet;

use lint403_core::{Code, Diagnostic, Dialect, Severity, Span};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::iis::{self, RewriteRule};
use crate::walk::nginx::{LocationKind, Tree};
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "R001",
        name: "hotlink-refuses-empty-referer",
        default_severity: Severity::Warning,
        summary: "a referer check without `none` refuses visits that send no Referer",
        doc: "",
    },
    family: Family::Referer,
    dialects: &[Dialect::Nginx, Dialect::Iis, Dialect::Apache],
    likelihood: Likelihood::Common,
    fix: FixDifficulty::Trivial,
    source: include_str!("r001_hotlink_refuses_empty_referer.rs"),
    check,
};

const MEDIA: [&str; 24] = [
    "jpg", "jpeg", "png", "gif", "webp", "svg", "ico", "bmp", "avif", "mp4", "mp3", "webm", "ogg",
    "avi", "mov", "flv", "swf", "woff", "ttf", "zip", "pdf", "css", "js", "wav",
];
const PAGES: [&str; 5] = ["html", "htm", "php", "/$", "asp"];
const MEDIA_DIRS: [&str; 12] = [
    "image", "img", "media", "upload", "photo", "video", "static", "asset", "file", "download",
    "picture", "thumb",
];

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    if let Loaded::Iis(_) = context.config {
        check_iis(context, out);
        return;
    }
    if let Loaded::Apache(_) = context.config {
        traced(context, out);
        return;
    }
    let Some(tree) = context.nginx_tree() else {
        return;
    };
    let mut seen = HashSet::new();
    for (index, condition, refusal) in tree.invalid_referer_ifs() {
        let Some(refusal) = refusal else {
            continue;
        };
        let Ok(Some(referers)) = tree.valid_referers(index) else {
            continue;
        };
        if referers.args().iter().any(|arg| arg == "none") {
            continue;
        }
        if media_only(tree, index) {
            continue;
        }
        if !seen.insert(referers.span()) {
            continue;
        }
        let path = tree.sample_path(index);
        // A snippet's `valid_referers` that several servers include is
        // reported once, through the first of them.
        context.report_once(
            &[referers.span()],
            Diagnostic::new(
                RULE.code,
                referers.head_span(),
                format!(
                    "GET {path} with no Referer → 403: `valid_referers` has no `none`, so a direct visit, a bookmark or a page under `Referrer-Policy: no-referrer` is refused"
                ),
            )
            .with_label("no `none`")
            .with_related(condition.head_span(), "refuses when the Referer is not listed")
            .with_related(refusal.head_span(), "the 403")
            .with_help("add `none` (and usually `blocked`) to `valid_referers`"),
            out,
        );
    }
}

/// Whether the location enclosing `index` serves only media files.
fn media_only(tree: &Tree<'_>, index: usize) -> bool {
    let Some((kind, arg)) = tree
        .ancestors(index)
        .find_map(|i| tree.node(i).block.and_then(|block| block.location()))
    else {
        return false;
    };
    let arg = arg.to_ascii_lowercase();
    match kind {
        LocationKind::Regex => {
            MEDIA.iter().any(|ext| arg.contains(ext)) && !PAGES.iter().any(|p| arg.contains(p))
        }
        LocationKind::Prefix | LocationKind::PrefixNoRegex | LocationKind::Exact => {
            arg != "/" && MEDIA_DIRS.iter().any(|dir| arg.contains(dir))
        }
        LocationKind::Named => false,
    }
}

/// IIS: a refusing rewrite rule whose `{HTTP_REFERER}` conditions all hold
/// for an empty Referer, one of them a negated own-site pattern.
/// Apache: a referer gate (found by tracing a foreign and the site's own
/// Referer) whose line also refuses a request without a Referer.
fn traced(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(lowered) = context.lowered() else {
        return;
    };
    for gate in lowered.referer_gates() {
        let none = lowered.with_referer(gate.site, gate.path, None);
        if !none.is_forbidden() || lowered.deciding(&none) != Some(gate.span) {
            continue;
        }
        out.push(
            Diagnostic::new(
                RULE.code,
                gate.span,
                format!(
                    "GET {} without a Referer → 403: the referer check refuses visitors whose browser sends none (typed or bookmarked URLs, privacy settings, many apps and proxies)",
                    gate.path
                ),
            )
            .with_label("refuses the empty Referer too")
            .with_help("let the empty Referer through: add `RewriteCond %{HTTP_REFERER} !^$` before the other conditions of this rule"),
        );
    }
}

fn check_iis(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    iis::walk(context, |visit| {
        if visit.name() != "rule"
            || !(visit.path_ends_with("system.webServer/rewrite/rules/rule")
                || visit.path_ends_with("system.webServer/rewrite/globalRules/rule"))
        {
            return;
        }
        let rule = RewriteRule::read(visit.element);
        if !rule.enabled || rule.negate || !rule.logical_grouping.eq_ignore_ascii_case("MatchAll") {
            return;
        }
        let Some(effect) = iis_refusal(&rule) else {
            return;
        };
        if rule
            .url
            .is_some_and(|url| iis_media_only(&url.value.to_ascii_lowercase()))
        {
            return;
        }
        let mut own_site = None;
        for condition in &rule.conditions {
            let input = condition.attribute_value("input").map_or("", str::trim);
            if !input.eq_ignore_ascii_case("{HTTP_REFERER}") {
                continue;
            }
            if condition
                .attribute_value("matchType")
                .is_some_and(|m| !m.trim().eq_ignore_ascii_case("Pattern"))
            {
                return;
            }
            let negate = iis::is_true(condition.attribute_value("negate"), false);
            let pattern = condition.attribute_value("pattern").unwrap_or("");
            // Whether the condition holds for an empty Referer.
            let Some(matches_empty) = pattern_matches_empty(&rule, pattern) else {
                return;
            };
            if matches_empty == negate {
                // False for "": the empty Referer is excepted.
                return;
            }
            if negate && own_site.is_none() {
                own_site = Some(*condition);
            }
        }
        let Some(own_site) = own_site else {
            return;
        };
        let path = format!("{}{}", visit.url_prefix(), iis_sample(&rule));
        let primary = own_site.attribute("pattern").map_or_else(
            || Span::new(visit.file, own_site.start_tag),
            |a| Span::new(visit.file, a.value_range),
        );
        let mut diagnostic = Diagnostic::new(
            RULE.code,
            primary,
            format!(
                "GET {path} with no Referer → {effect}: an empty Referer does not match this negated own-site pattern and no `^$` condition excepts it, so a direct visit, a bookmark or a page under `Referrer-Policy: no-referrer` is refused"
            ),
        )
        .with_label("empty Referer is \"not our site\"")
        .with_help(
            "add `<add input=\"{HTTP_REFERER}\" pattern=\"^$\" negate=\"true\" />` to the rule's conditions (MatchAll)",
        );
        if let Some(action) = rule.action {
            diagnostic =
                diagnostic.with_related(Span::new(visit.file, action.start_tag), "the refusal");
        }
        out.push(diagnostic);
    });
}

/// What a refusing hotlink rule does, `None` for other actions.
fn iis_refusal(rule: &RewriteRule<'_>) -> Option<String> {
    let kind = rule.action_type()?;
    let action = rule.action?;
    if kind.eq_ignore_ascii_case("CustomResponse") {
        let code: u16 = action.attribute_value("statusCode")?.trim().parse().ok()?;
        if !(400..500).contains(&code) {
            return None;
        }
        let sub = action
            .attribute_value("subStatusCode")
            .map(str::trim)
            .filter(|s| !s.is_empty() && *s != "0");
        return Some(sub.map_or_else(|| code.to_string(), |sub| format!("{code}.{sub}")));
    }
    if kind.eq_ignore_ascii_case("AbortRequest") {
        return Some("connection reset".to_owned());
    }
    if kind.eq_ignore_ascii_case("Redirect") || kind.eq_ignore_ascii_case("Rewrite") {
        let url = action.attribute_value("url").unwrap_or("").trim();
        return Some(format!(
            "{} to `{url}` instead of the page",
            kind.to_ascii_lowercase()
        ));
    }
    None
}

/// Whether a URL pattern names only media files (`\.(jpg|png|gif)$`).
fn iis_media_only(pattern: &str) -> bool {
    MEDIA.iter().any(|ext| pattern.contains(ext)) && !PAGES.iter().any(|p| pattern.contains(p))
}

/// A relative path the rule's URL pattern takes (`""` for the folder).
fn iis_sample(rule: &RewriteRule<'_>) -> &'static str {
    let Some(url) = rule.url else {
        return "";
    };
    if !rule.syntax_is("ECMAScript") {
        return "";
    }
    let Some(re) = crate::regexes::get(&url.value, true) else {
        return "";
    };
    [
        "",
        "index.html",
        "page.html",
        "index.php",
        "default.aspx",
        "doc.pdf",
    ]
    .into_iter()
    .find(|candidate| re.is_match(candidate))
    .unwrap_or("")
}

/// Whether the condition pattern matches the empty string; `None` when it
/// cannot be evaluated here.
fn pattern_matches_empty(rule: &RewriteRule<'_>, pattern: &str) -> Option<bool> {
    if rule.syntax_is("Wildcard") {
        return Some(pattern.chars().all(|c| c == '*'));
    }
    if rule.syntax_is("ExactMatch") {
        return Some(pattern.is_empty());
    }
    crate::regexes::is_match(pattern, false, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(conditions: &str, url: &str, action: &str) -> usize {
        crate::walk::iis::run_check(
            check,
            &format!("<configuration><system.webServer><rewrite><rules><rule name=\"h\"><match url=\"{url}\"/><conditions>{conditions}</conditions>{action}</rule></rules></rewrite></system.webServer></configuration>"),
        )
        .len()
    }

    const OWN: &str =
        r#"<add input="{HTTP_REFERER}" pattern="^https?://(www\.)?example\.com/" negate="true"/>"#;
    const EMPTY_OK: &str = r#"<add input="{HTTP_REFERER}" pattern="^$" negate="true"/>"#;
    const DENY: &str = r#"<action type="CustomResponse" statusCode="403"/>"#;

    #[test]
    fn iis_side() {
        assert_eq!(run(OWN, ".*", DENY), 1);
        assert_eq!(run(&format!("{EMPTY_OK}{OWN}"), ".*", DENY), 0);
        assert_eq!(
            run(
                &format!(r#"<add input="{{HTTP_REFERER}}" pattern=".+"/>{OWN}"#),
                ".*",
                DENY
            ),
            0
        );
        assert_eq!(
            run(
                r#"<add input="{HTTP_REFERER}" pattern="^(https?://example\.com/.*)?$" negate="true"/>"#,
                ".*",
                DENY
            ),
            0
        );
        assert_eq!(run(OWN, r".*\.(gif|jpg|png)$", DENY), 0, "media only");
        assert_eq!(
            run(OWN, ".*", r#"<action type="Rewrite" url="index.php"/>"#),
            1
        );
        assert_eq!(run(OWN, ".*", r#"<action type="None"/>"#), 0);
        assert_eq!(
            run(
                r#"<add input="{HTTP_REFERER}" pattern="evil\.test"/>"#,
                ".*",
                DENY
            ),
            0,
            "a blocklist of referers is not an allow-list"
        );
    }
}
