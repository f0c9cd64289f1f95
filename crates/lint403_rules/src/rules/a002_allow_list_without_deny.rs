//! ## What it does
//! Flags an nginx `allow`/`deny` list that has `allow` entries and no
//! `deny` at all, and an Apache `mod_access_compat` list under
//! `Order Deny,Allow` (the default) with `Allow from` lines and no `Deny`:
//! it restricts nobody.
//!
//! ## Why it causes 403
//! It does the opposite of refusing: nginx checks the entries in order
//! and, when none matches, the access module declines and the request
//! goes on. An allow-only list therefore lets every other client in. The
//! author meant "only these addresses"; everyone gets through (a missing
//! 403).
//!
//! Not reported: lists with `allow all` (deliberately open), and lists
//! under `satisfy any` with authentication in effect (there the unmatched
//! clients are asked for a password).
//!
//! Apache: under `Order Deny,Allow` the Deny lines are evaluated first,
//! then the Allow lines, and a client matched by neither is **allowed**.
//! With no `Deny` line at all, every client passes `mod_access_compat`
//! (verified on httpd 2.4: `Order Deny,Allow` + `Allow from 10.0.0.1`
//! serves `GET /` to 127.0.0.1 with 200). Not reported there: scopes under
//! `Satisfy Any` (T001), and scopes whose lines sit in `<Limit>` or `<If>`.
//!
//! ## Example
//! ```nginx
//! location /adm/ {
//!     allow 10.0.0.0/8;
//! }
//! ```
//! `GET /adm/` from 203.0.113.7 → let through (200).
//!
//! The same in a `.htaccess`:
//! ```htaccess
//! Order Deny,Allow
//! Allow from 10.0.0.0/8
//! ```
//! `GET /` from 203.0.113.7 → 200. Fix: add `Deny from all` (or, on 2.4,
//! replace the lines with `Require ip 10.0.0.0/8`).
//!
//! ## Fix
//! ```nginx
//! location /adm/ {
//!     allow 10.0.0.0/8;
//!     deny all;
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_access_module.html>
//! - nginx source `ngx_http_access_module.c`: no matching rule → `NGX_DECLINED`
//! - <https://httpd.apache.org/docs/2.4/mod/mod_access_compat.html#order>
//!   (`Deny,Allow`: "Any client which does not match a Deny directive or
//!   does match an Allow directive will be allowed access")

use lint403_core::{Code, Diagnostic, Dialect, Severity};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::nginx::{self, Tree};
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "A002",
        name: "allow-list-without-deny",
        default_severity: Severity::Warning,
        summary: "an access list with allow entries and no deny restricts nobody",
        doc: "",
    },
    family: Family::Access,
    dialects: &[Dialect::Nginx, Dialect::Apache],
    likelihood: Likelihood::Common,
    fix: FixDifficulty::Trivial,
    source: include_str!("a002_allow_list_without_deny.rs"),
    check,
};

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    if let Loaded::Apache(config) = context.config {
        check_apache(config, context, out);
        return;
    }
    let Loaded::Nginx(config) = context.config else {
        return;
    };
    let tree = Tree::build(config, context.sources);
    for index in 0..tree.nodes.len() {
        let list = tree.acl(index);
        let Some(first) = list.first() else {
            continue;
        };
        if list
            .iter()
            .any(|entry| !entry.allow || entry.subject.is_everyone())
        {
            continue;
        }
        if tree.satisfy_any(index).is_some() && tree.auth_in_effect(index).is_some() {
            continue;
        }
        let lists = [list.as_slice()];
        let Some(outside) = nginx::probe_addresses(&lists)
            .into_iter()
            .find(|address| nginx::decide(&list, *address).is_none())
        else {
            continue;
        };
        let path = tree.sample_path(index);
        let mut diagnostic = Diagnostic::new(
            RULE.code,
            first.entry.head_span(),
            format!(
                "GET {path} from {outside} → let through: this list only allows, and a client no entry matches is let in (there is no `deny all`)"
            ),
        )
        .with_label("allows only; nothing is denied")
        .with_help("end the list with `deny all;`");
        for entry in list.iter().skip(1) {
            diagnostic = diagnostic.with_related(entry.entry.head_span(), "also only allows");
        }
        out.push(diagnostic);
    }
}

fn check_apache(
    config: &lint403_apache::LoadedConfig,
    context: &RuleContext<'_>,
    out: &mut Vec<Diagnostic>,
) {
    for scope in apache_scope::scopes(config, context.sources) {
        if scope.limited || scope.satisfy_any() || !scope.deny_first() || !scope.deny.is_empty() {
            continue;
        }
        let Some(first) = scope.allow.first() else {
            continue;
        };
        if scope.allow.iter().any(apache_scope::Line::hosts_all) {
            continue;
        }
        let order = if scope.order.is_some() {
            "`Order Deny,Allow`"
        } else {
            "the default `Order Deny,Allow`"
        };
        let mut diagnostic = Diagnostic::new(
            RULE.code,
            first.span,
            format!(
                "{} from 203.0.113.7 → let through (200): under {order} a client no `Deny` matches is allowed, and {} has no `Deny` line",
                scope.request, scope.label
            ),
        )
        .with_severity(Severity::Error)
        .with_label("allows only; nothing is denied")
        .with_help("add `Deny from all` after `Order Deny,Allow` (on httpd 2.4: replace the lines with `Require ip …`)");
        if let Some((_, span)) = scope.order {
            diagnostic = diagnostic.with_related(span, "allow-by-default order");
        }
        for line in scope.allow.iter().skip(1) {
            diagnostic = diagnostic.with_related(line.span, "also only allows");
        }
        out.push(diagnostic);
    }
}

/// The access lines of one Apache scope (a section's own body or a
/// `.htaccess`), looking through `<IfModule>`s that are read on 2.4.
#[allow(dead_code)]
mod apache_scope {
    use lint403_apache::syntax::{Node, Section, SectionKind};
    use lint403_apache::{Context, LoadedConfig};
    use lint403_core::{FileId, SourceMap, Span};

    use crate::walk::apache::{self, Event};

    /// One directive: its lower-case arguments and its span.
    #[derive(Clone)]
    pub struct Line {
        pub args: Vec<String>,
        pub span: Span,
    }

    #[derive(Default)]
    pub struct Scope {
        /// "this .htaccess", "this <Directory /x>".
        pub label: String,
        /// The request to name: a URL path when known.
        pub request: String,
        pub order: Option<(bool, Span)>,
        pub allow: Vec<Line>,
        pub deny: Vec<Line>,
        pub satisfy: Option<(bool, Span)>,
        pub require: Vec<Line>,
        /// `<RequireAll>`/`<RequireAny>`/`<RequireNone>` openers.
        pub containers: Vec<Span>,
        /// `Auth*` directives other than `AuthType` (name lower case).
        pub auth: Vec<(String, Span)>,
        pub auth_type: Option<Line>,
        /// `AuthMerging` set in this scope.
        pub auth_merging: bool,
        /// The scope holds `<Limit>`, `<LimitExcept>` or `<If>` sections
        /// or `Include`s: what it decides depends on more than its own
        /// lines.
        pub limited: bool,
    }

    /// Whether a conditional section is read on httpd 2.4 with the usual
    /// modules (`<IfModule !x>`, version and define tests are not known).
    pub fn is_read(text: &str, section: &Section) -> bool {
        match section.kind {
            SectionKind::IfModule => {
                let argument = section.open.arg_values(text).next().unwrap_or_default();
                !argument.starts_with('!')
            }
            _ => false,
        }
    }

    fn line(text: &str, file: FileId, directive: &lint403_apache::syntax::Directive) -> Line {
        Line {
            args: directive
                .arg_values(text)
                .map(str::to_ascii_lowercase)
                .collect(),
            span: Span::new(file, directive.name_word.raw.cover(directive.args_range)),
        }
    }

    fn collect(text: &str, file: FileId, nodes: &[Node], scope: &mut Scope) {
        for node in nodes {
            match node {
                Node::Directive(directive) => {
                    let name = directive.name(text).to_ascii_lowercase();
                    let line = line(text, file, directive);
                    let first = line.args.first().cloned().unwrap_or_default();
                    match name.as_str() {
                        "order" => {
                            let joined = line.args.concat();
                            scope.order = Some((!joined.starts_with("allow"), line.span));
                        }
                        "allow" => scope.allow.push(line),
                        "deny" => scope.deny.push(line),
                        "satisfy" => scope.satisfy = Some((first == "any", line.span)),
                        "require" => scope.require.push(line),
                        "authtype" => scope.auth_type = Some(line),
                        "authmerging" => scope.auth_merging = true,
                        // Lines pulled in from elsewhere: not seen here.
                        "include" | "includeoptional" => scope.limited = true,
                        _ if name.starts_with("auth") => scope.auth.push((name, line.span)),
                        _ => {}
                    }
                }
                Node::Section(section) => {
                    if matches!(
                        section.kind,
                        SectionKind::RequireAll
                            | SectionKind::RequireAny
                            | SectionKind::RequireNone
                    ) {
                        scope.containers.push(apache::open_span(file, section));
                    } else if matches!(
                        section.kind,
                        SectionKind::Limit
                            | SectionKind::LimitExcept
                            | SectionKind::If
                            | SectionKind::ElseIf
                            | SectionKind::Else
                    ) {
                        scope.limited = true;
                    } else if is_read(text, section) {
                        collect(text, file, &section.body, scope);
                    }
                }
                _ => {}
            }
        }
    }

    impl Line {
        /// `from all` (or `all` for `Require`).
        pub fn hosts_all(&self) -> bool {
            self.args.iter().skip(1).any(|host| host == "all")
        }
    }

    impl Scope {
        /// Whether the scope holds any `mod_access_compat` directive.
        pub fn has_compat(&self) -> bool {
            self.order.is_some()
                || !self.allow.is_empty()
                || !self.deny.is_empty()
                || self.satisfy.is_some()
        }

        /// `Order Deny,Allow` (the default) is in force.
        pub fn deny_first(&self) -> bool {
            self.order.is_none_or(|(deny_first, _)| deny_first)
        }

        /// Whether `mod_access_compat` lets every client through.
        pub fn compat_allows_everyone(&self) -> bool {
            let allow_all = self.allow.iter().any(Line::hosts_all);
            if self.deny_first() {
                self.deny.is_empty() || allow_all
            } else {
                allow_all && self.deny.is_empty()
            }
        }

        pub fn satisfy_any(&self) -> bool {
            self.satisfy.is_some_and(|(any, _)| any)
        }
    }

    /// Section kinds that hold per-directory configuration.
    fn is_scope(kind: SectionKind) -> bool {
        matches!(
            kind,
            SectionKind::Directory
                | SectionKind::DirectoryMatch
                | SectionKind::Location
                | SectionKind::LocationMatch
                | SectionKind::Files
                | SectionKind::FilesMatch
                | SectionKind::Proxy
                | SectionKind::ProxyMatch
        )
    }

    /// Every scope of the configuration: the `.htaccess` itself, then each
    /// section in reading order. Sections below a conditional httpd 2.4
    /// does not read are left out.
    pub fn scopes(config: &LoadedConfig, sources: &SourceMap) -> Vec<Scope> {
        let mut out = Vec::new();
        if config.context == Context::Htaccess {
            if let Some(root) = config.root() {
                let text = sources.get(root.file).text.as_str();
                let mut scope = Scope {
                    label: "this .htaccess".to_string(),
                    request: "GET /".to_string(),
                    ..Scope::default()
                };
                collect(text, root.file, &root.tree.nodes, &mut scope);
                out.push(scope);
            }
        }
        apache::walk(config, sources, |visit| {
            let Event::Enter(section) = visit.event else {
                return;
            };
            if !is_scope(section.kind) {
                return;
            }
            if visit.parents.iter().any(|parent| {
                parent.kind().is_conditional() && !is_read(parent.text, parent.section)
            }) {
                return;
            }
            let name = section.open.name(visit.text);
            let args: Vec<&str> = section.open.arg_values(visit.text).collect();
            let target = args.join(" ");
            let request = match section.kind {
                SectionKind::Location if args.len() == 1 && !target.starts_with('~') => {
                    format!("GET {target}")
                }
                SectionKind::Directory if args.len() == 1 && !target.starts_with('~') => {
                    format!("a GET of a file under {target}")
                }
                _ => format!("a GET that <{name} {target}> matches"),
            };
            let mut scope = Scope {
                label: format!("this <{name} {target}>"),
                request,
                ..Scope::default()
            };
            collect(visit.text, visit.file, &section.body, &mut scope);
            out.push(scope);
        });
        out
    }
}
