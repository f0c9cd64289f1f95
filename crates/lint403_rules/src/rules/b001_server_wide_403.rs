//! ## What it does
//! nginx: flags a `server` whose first rewrite-phase directive is an
//! unconditional `return 4xx` (it runs before any location is chosen), or
//! whose own `deny all` is reached by every client while no location has
//! its own `allow`/`deny` list, a `return`, a `rewrite` or `satisfy`. A
//! `default_server` with no name (or `server_name _`) is the usual
//! catch-all for unknown hosts and is not flagged.
//!
//! IIS: flags a URL Rewrite rule that refuses every request of a site (or of a
//! `<location>`): action `CustomResponse` with a 4xx `statusCode`, or
//! `AbortRequest`, on a catch-all pattern (`.*`, `(.*)`, `^`, `^(.*)$`, an
//! empty pattern, or `*` in Wildcard syntax), not negated, with no
//! conditions, and not preceded by an enabled rule that could end
//! processing first (a terminal action or `stopProcessing="true"`, the
//! usual "let these through" idiom).
//!
//! Apache httpd: through the tracer over the shared model, flags the line
//! that refuses every probe of RULES.md §5.1 on a site (`/`, `/index.html`,
//! `/robots.txt`, `/.well-known/acme-challenge/t`, …) for every client —
//! from outside, from loopback and from private networks alike: a
//! `Require all denied` over the document root, a `RewriteRule ^ - [F]`,
//! a `RedirectMatch 403 .`. An allow list that lets some client in is a
//! restriction, not a server-wide 403, and is not flagged; neither is a
//! refusal that comes from an assumed default rather than a line, the
//! usual `<Directory />` default deny (the document root is granted
//! elsewhere), a lone `.htaccess` (its directory need not be the site's
//! root), or a configuration whose `AllowOverride` lets `.htaccess` files
//! re-grant what it refuses (lint403 sees no document root in `check`).
//!
//! ## Why it causes 403
//! Every URL matches the pattern and nothing narrows it, so the rule
//! answers every request with its status: the home page, `robots.txt`,
//! `/.well-known/acme-challenge/…` (certificate renewal) included. The
//! action ends the request, so every rule after it is unreachable. Such a
//! rule is usually a leftover from maintenance, a condition lost in an
//! edit, or a deny meant for one folder written without its path.
//!
//! ## Example
//! ```xml
//! <configuration>
//!   <system.webServer>
//!     <rewrite>
//!       <rules>
//!         <rule name="Block bots" stopProcessing="true">
//!           <match url=".*" />
//!           <action type="CustomResponse" statusCode="403" statusReason="Forbidden" />
//!         </rule>
//!         <rule name="Front controller">
//!           <match url="^(.*)$" />
//!           <action type="Rewrite" url="index.php" />
//!         </rule>
//!       </rules>
//!     </rewrite>
//!   </system.webServer>
//! </configuration>
//! ```
//! `GET /.well-known/acme-challenge/t` → 403, and so does every other
//! request. The nginx form (reported as info, as the catalogue rates it):
//! ```nginx
//! server {
//!     listen 80;
//!     server_name shop.example;
//!     return 403;
//!     location / {
//!         try_files $uri $uri/ =404;
//!     }
//! }
//! ```
//!
//! ## Fix
//! Give the rule the condition it was meant to have:
//! ```xml
//! <configuration>
//!   <system.webServer>
//!     <rewrite>
//!       <rules>
//!         <rule name="Block bots" stopProcessing="true">
//!           <match url=".*" />
//!           <conditions>
//!             <add input="{HTTP_USER_AGENT}" pattern="BadBot" />
//!           </conditions>
//!           <action type="CustomResponse" statusCode="403" statusReason="Forbidden" />
//!         </rule>
//!         <rule name="Front controller">
//!           <match url="^(.*)$" />
//!           <action type="Rewrite" url="index.php" />
//!         </rule>
//!       </rules>
//!     </rewrite>
//!   </system.webServer>
//! </configuration>
//! ```
//!
//! ## References
//! - URL Rewrite rules, `CustomResponse`/`AbortRequest` actions,
//!   `stopProcessing`, `enabled`, Wildcard syntax:
//!   <https://learn.microsoft.com/iis/extensions/url-rewrite-module/url-rewrite-module-configuration-reference>
//! - nginx `return` in server context runs in the server rewrite phase,
//!   before location matching: <https://nginx.org/en/docs/http/ngx_http_rewrite_module.html>;
//!   access lists: <https://nginx.org/en/docs/http/ngx_http_access_module.html>.
//!   Both nginx claims are checked against nginx 1.22 in
//!   `crates/lint403_rules/tests/real_nginx_b001.rs`.
//! - IIS: not run on IIS (IIS cannot run here).

use lint403_core::{Code, Diagnostic, Dialect, Severity, Span};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::iis::{self, RewriteRule};
use crate::walk::nginx;
use crate::walk::probe;
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "B001",
        name: "server-wide-403",
        default_severity: Severity::Error,
        summary: "an unconditional deny that refuses every request of a site",
        doc: "",
    },
    family: Family::Broad,
    dialects: &[Dialect::Nginx, Dialect::Iis, Dialect::Apache],
    likelihood: Likelihood::Occasional,
    fix: FixDifficulty::Trivial,
    source: include_str!("b001_server_wide_403.rs"),
    check,
};

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    if let Loaded::Iis(_) = context.config {
        check_iis(context, out);
    }
    if let Loaded::Apache(_) = context.config {
        traced(context, out);
    }
    if let Some(tree) = context.nginx_tree() {
        check_nginx(tree, out);
    }
}

/// Apache: one line refuses every must-allow probe for every client.
fn traced(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Loaded::Apache(config) = context.config else {
        return;
    };
    if config
        .root()
        .is_none_or(|root| lint403_apache::is_htaccess_name(&context.sources.get(root.file).path))
    {
        return;
    }
    let Some(lowered) = context.lowered() else {
        return;
    };
    if overrides_allowed(&lowered.model) {
        return;
    }
    let clients: [std::net::IpAddr; 4] = [
        [203, 0, 113, 5].into(),
        [127, 0, 0, 1].into(),
        [10, 0, 0, 1].into(),
        [192, 168, 1, 1].into(),
    ];
    let mut reported: Vec<Span> = Vec::new();
    for site in lowered.sites() {
        let mut deciding = None;
        let refuses_all = probe::MUST_ALLOW.iter().all(|path| {
            clients.iter().all(|client| {
                let mut request = lowered.request(site, path);
                request.client_ip = *client;
                let verdict = lowered.trace(&request);
                let span = verdict
                    .is_forbidden()
                    .then(|| lowered.deciding(&verdict))
                    .flatten();
                match (span, deciding) {
                    (Some(span), None) => {
                        deciding = Some(span);
                        true
                    }
                    (Some(span), Some(first)) => span == first,
                    (None, _) => false,
                }
            })
        });
        let Some(span) = deciding.filter(|_| refuses_all) else {
            continue;
        };
        if in_root_directory(&lowered.model, span) {
            continue;
        }
        if reported.contains(&span) {
            continue;
        }
        reported.push(span);
        out.push(
            Diagnostic::new(
                RULE.code,
                span,
                "every request of this site → 403 for every client: GET /, /robots.txt and /.well-known/acme-challenge/t included".to_string(),
            )
            .with_label("refuses the whole site")
            .with_help("narrow it to what it was meant to refuse (a <Directory>, <Files> or <Location> of its own, or a RewriteCond), or grant the document root: `Require all granted`"),
        );
    }
}

/// Whether some `AllowOverride` lets `.htaccess` files change access.
fn overrides_allowed(model: &lint403_core::Model) -> bool {
    model.scopes.iter().any(|scope| {
        scope
            .setting("AllowOverride")
            .is_some_and(|(_, args)| !args.iter().all(|arg| arg.eq_ignore_ascii_case("none")))
            || scope
                .setting("AllowOverrideList")
                .is_some_and(|(_, args)| !args.iter().all(|arg| arg.eq_ignore_ascii_case("none")))
    })
}

/// Whether the rule at `span` stands in `<Directory />`.
fn in_root_directory(model: &lint403_core::Model, span: Span) -> bool {
    fn holds(rules: &[lint403_core::model::Rule], span: Span) -> bool {
        rules.iter().any(|rule| {
            rule.span == span
                || matches!(&rule.kind, lint403_core::model::RuleKind::Combine { children, .. } if holds(children, span))
        })
    }
    model.scopes.iter().any(|scope| {
        matches!(&scope.matcher, lint403_core::model::Matcher::Dir(dir) if dir.trim_matches('"') == "/")
            && holds(&scope.rules, span)
    })
}

fn check_iis(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    iis::walk(context, |visit| {
        if !visit.is_rewrite_rule_list() {
            return;
        }
        let rules = iis::enabled_rules(visit.element);
        for (index, rule) in rules.iter().enumerate() {
            if let Some(status) = refuses_everything(rule) {
                let Some(url) = rule.url else {
                    return;
                };
                let prefix = visit.url_prefix();
                let probe = if prefix == "/" {
                    "/.well-known/acme-challenge/t".to_owned()
                } else {
                    format!("{prefix}index.html")
                };
                let who = rule
                    .name
                    .map_or_else(String::new, |n| format!("rule `{n}` "));
                let mut diagnostic = Diagnostic::new(
                    RULE.code,
                    Span::new(visit.file, url.value_range),
                    format!(
                        "{who}matches every URL with no condition: GET {probe} → {status}, and every other request under {prefix} too"
                    ),
                )
                .with_label("catch-all pattern")
                .with_help(
                    "add the condition the block was meant for (a `<conditions>` input such as {HTTP_USER_AGENT} or {REMOTE_ADDR}), or narrow the pattern to the paths to refuse",
                );
                if let Some(action) = rule.action {
                    diagnostic = diagnostic.with_related(
                        Span::new(visit.file, action.start_tag),
                        format!("ends every request with {status}"),
                    );
                }
                if let Some(next) = rules.get(index + 1) {
                    diagnostic = diagnostic.with_related(
                        Span::new(visit.file, next.element.start_tag),
                        "never reached",
                    );
                }
                out.push(diagnostic);
                return;
            }
            if rule.stop_processing || rule.is_terminal() {
                // Some requests may leave here before a later catch-all.
                return;
            }
        }
    });
}

/// nginx: an unconditional server-level `return 4xx`, or a server-level
/// `deny all` that no location escapes.
fn check_nginx(tree: &nginx::Tree<'_>, out: &mut Vec<Diagnostic>) {
    for (index, node) in tree.nodes.iter().enumerate() {
        if !node.block.is_some_and(|block| block.is("server")) {
            continue;
        }
        if is_catch_all_default(tree, index) {
            continue;
        }
        if let Some(diagnostic) = server_return(tree, index) {
            out.push(diagnostic);
        } else if let Some(diagnostic) = server_deny_all(tree, index) {
            out.push(diagnostic);
        }
    }
}

/// A `default_server` without a real name: the usual catch-all for
/// unknown hosts, refused on purpose.
fn is_catch_all_default(tree: &nginx::Tree<'_>, server: usize) -> bool {
    let default = tree.own(server, &["listen"]).any(|listen| {
        listen
            .args()
            .iter()
            .any(|a| a == "default_server" || a == "default")
    });
    let names: Vec<String> = tree
        .own(server, &["server_name"])
        .flat_map(|entry| entry.args().into_iter().map(std::borrow::Cow::into_owned))
        .collect();
    default && names.iter().all(|n| n == "_" || n.is_empty())
}

/// The first rewrite-phase directive of the server, when it is a
/// `return` with a 4xx code.
fn server_return(tree: &nginx::Tree<'_>, server: usize) -> Option<Diagnostic> {
    let first = tree
        .own(server, &["return", "rewrite", "if", "break"])
        .next()?;
    if !first.is("return") {
        return None;
    }
    let code: u16 = first.arg(0)?.parse().ok()?;
    if !(400..500).contains(&code) {
        return None;
    }
    let effect = if code == 444 {
        "connection closed without a response".to_owned()
    } else {
        code.to_string()
    };
    Some(
        Diagnostic::new(
            RULE.code,
            first.head_span(),
            format!(
                "server-level `return {code}` runs before any location is chosen: GET /.well-known/acme-challenge/t → {effect}, and every other request to this server too"
            ),
        )
        .with_severity(Severity::Info)
        .with_label("refuses every request")
        .with_help("move the `return` into the location it was meant for, or put it under an `if` for the requests to refuse"),
    )
    .map(|d| match tree.nodes[server].block {
        Some(block) => d.with_related(block.head_span(), "this server"),
        None => d,
    })
}

/// A server whose own `deny all` is reached by every client, while no
/// location has its own access list or answers before the access phase.
fn server_deny_all(tree: &nginx::Tree<'_>, server: usize) -> Option<Diagnostic> {
    let list = tree.acl(server);
    let deny_all = list.iter().find(|entry| entry.subject.is_everyone())?;
    if deny_all.allow
        || list
            .iter()
            .take_while(|e| !e.subject.is_everyone())
            .any(|e| e.allow)
    {
        return None;
    }
    if tree.satisfy_any(server).is_some() {
        return None;
    }
    // Any block inside the server that has its own list, answers in the
    // rewrite phase, or relaxes with `satisfy any`, lets some requests out.
    for (index, node) in tree.nodes.iter().enumerate() {
        if index == server || !tree.is_within(index, server) {
            continue;
        }
        let escapes = node.entries.iter().any(|entry| {
            entry.is("allow")
                || entry.is("deny")
                || entry.is("return")
                || entry.is("satisfy")
                || entry.is("rewrite")
        });
        if escapes {
            return None;
        }
    }
    if tree.own(server, &["return", "rewrite"]).next().is_some() {
        return None;
    }
    let mut diagnostic = Diagnostic::new(
        RULE.code,
        deny_all.entry.head_span(),
        "server-level `deny all` and no location lets anyone in: GET /.well-known/acme-challenge/t from any client → 403, and every other request to this server too",
    )
    .with_severity(Severity::Info)
    .with_label("refuses everyone")
    .with_help("allow the clients that should get in (`allow 203.0.113.0/24;` before `deny all;`), or move the `deny all` into the locations to close");
    if let Some(block) = tree.nodes[server].block {
        diagnostic = diagnostic.with_related(block.head_span(), "this server");
    }
    Some(diagnostic)
}

/// The status a rule gives every request, when it matches every URL with
/// no condition and refuses it.
fn refuses_everything(rule: &RewriteRule<'_>) -> Option<String> {
    let url = rule.url?;
    if rule.negate || !rule.conditions.is_empty() || !is_catch_all(rule, &url.value) {
        return None;
    }
    let action = rule.action?;
    let kind = rule.action_type()?;
    if kind.eq_ignore_ascii_case("AbortRequest") {
        return Some("connection reset (no response)".to_owned());
    }
    if !kind.eq_ignore_ascii_case("CustomResponse") {
        return None;
    }
    let code: u16 = action.attribute_value("statusCode")?.trim().parse().ok()?;
    if !(400..500).contains(&code) {
        return None;
    }
    let sub = action
        .attribute_value("subStatusCode")
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "0");
    Some(match sub {
        Some(sub) => format!("{code}.{sub}"),
        None => code.to_string(),
    })
}

fn is_catch_all(rule: &RewriteRule<'_>, pattern: &str) -> bool {
    let pattern = pattern.trim();
    if rule.syntax_is("Wildcard") {
        return pattern == "*";
    }
    if rule.syntax_is("ExactMatch") {
        return false;
    }
    matches!(
        pattern,
        "" | ".*" | "(.*)" | "^" | "^.*" | "^(.*)" | ".*$" | "^.*$" | "^(.*)$" | "(.*)$"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(rules: &str) -> usize {
        iis::run_check(
            check,
            &format!("<configuration><system.webServer><rewrite><rules>{rules}</rules></rewrite></system.webServer></configuration>"),
        )
        .len()
    }

    #[test]
    fn catch_all() {
        let deny = r#"<rule name="d"><match url=".*"/><action type="CustomResponse" statusCode="403"/></rule>"#;
        assert_eq!(run(deny), 1);
        assert_eq!(
            run(
                r#"<rule name="d" patternSyntax="Wildcard"><match url="*"/><action type="AbortRequest"/></rule>"#
            ),
            1
        );
        assert_eq!(
            run(
                r#"<rule name="d"><match url=".*"/><action type="CustomResponse" statusCode="503"/></rule>"#
            ),
            0
        );
        assert_eq!(
            run(
                r#"<rule name="d"><match url=".*"/><conditions><add input="{HTTP_HOST}" pattern="^old\."/></conditions><action type="CustomResponse" statusCode="403"/></rule>"#
            ),
            0
        );
        assert_eq!(
            run(
                r#"<rule name="d"><match url=".*" negate="true"/><action type="CustomResponse" statusCode="403"/></rule>"#
            ),
            0
        );
        assert_eq!(
            run(
                r#"<rule name="d" enabled="false"><match url=".*"/><action type="CustomResponse" statusCode="403"/></rule>"#
            ),
            0
        );
        let whitelist = r#"<rule name="ok" stopProcessing="true"><match url="^index\.php$"/><action type="None"/></rule>"#;
        assert_eq!(run(&format!("{whitelist}{deny}")), 0);
        let rewrite = r#"<rule name="rw"><match url="^old/(.*)"/><action type="Rewrite" url="new/{R:1}"/></rule>"#;
        assert_eq!(run(&format!("{rewrite}{deny}")), 1);
    }
}
