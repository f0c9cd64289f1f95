//! ## What it does
//! Flags `auth_basic "realm"` (not `off`) in effect in an nginx block with
//! no `auth_basic_user_file` in effect there. The two directives are
//! inherited independently: a user file in a sibling location does not
//! count. Apache: a section or `.htaccess` with `Require valid-user` (or
//! `user`, `group`) and other `Auth*` lines but no `AuthType`; or with
//! `AuthType` and no `Require` in the whole configuration that needs a
//! user.
//!
//! ## Why it causes 403
//! Without a user file the `auth_basic` module declines: nginx asks for no
//! password at all and serves the page (a missing 401). What looks
//! protected is open.
//!
//! `auth_basic off` is a deliberate opt-out and is not reported. A
//! fragment whose blocks stand outside any `server { }` it shows (a
//! snippet of `location`s) is not reported either: the including server
//! may hold the user file.
//!
//! Apache httpd 2.4: `Require valid-user` with no `AuthType` in effect
//! makes every request there fail with 500 (`AuthType not set`, AH00027;
//! verified). The reverse, `AuthType Basic` with its `AuthName` and
//! `AuthUserFile` but no `Require` needing a user, asks for no password:
//! authentication runs only when authorization needs a user, so the
//! inherited rules decide and, under the usual `Require all granted`, the
//! page is served with 200 (verified). A `.htaccess` holding only
//! `Require valid-user` is not reported (its parent may set `AuthType`),
//! nor `AuthType` where some `Require` of the configuration decides (an
//! old password switched off by commenting out `Require valid-user`,
//! with `<FilesMatch>` sections deciding, is deliberate).
//!
//! ## Example
//! ```nginx
//! server {
//!     location /admin/ {
//!         auth_basic "staff";
//!     }
//! }
//! ```
//! `GET /admin/` without credentials → 200.
//!
//! Apache, a `.htaccess`:
//! ```htaccess
//! AuthName "staff"
//! AuthUserFile /etc/apache2/htpasswd
//! Require valid-user
//! ```
//! `GET /` → 500 (AH00027). Fix: add `AuthType Basic`.
//!
//! ## Fix
//! ```nginx
//! server {
//!     location /admin/ {
//!         auth_basic "staff";
//!         auth_basic_user_file /etc/nginx/htpasswd;
//!     }
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_auth_basic_module.html>
//! - nginx source `ngx_http_auth_basic_handler`: no realm or no user file
//!   → `NGX_DECLINED` (observed 200 in the research, B6)
//! - <https://httpd.apache.org/docs/2.4/mod/mod_authn_core.html#authtype>
//! - httpd source `mod_authz_core.c` (AH00027 `AuthType not set`);
//!   behaviour verified on httpd 2.4 (`tests/real_apache_shared.rs`)

use std::collections::HashSet;

use lint403_core::{Code, Diagnostic, Dialect, Severity};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::nginx::Tree;
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "T002",
        name: "auth-incomplete",
        default_severity: Severity::Error,
        summary: "auth_basic without auth_basic_user_file in effect: no authentication at all",
        doc: "",
    },
    family: Family::Auth,
    dialects: &[Dialect::Nginx, Dialect::Apache],
    likelihood: Likelihood::Occasional,
    fix: FixDifficulty::Trivial,
    source: include_str!("t002_auth_incomplete.rs"),
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
    let mut seen = HashSet::new();
    for index in 0..tree.nodes.len() {
        if !tree.serves(index) {
            continue;
        }
        let Some(auth) = tree
            .effective_entry(index, "auth_basic")
            .filter(|entry| entry.arg(0).is_some_and(|value| value != "off"))
        else {
            continue;
        };
        if tree
            .effective_entry(index, "auth_basic_user_file")
            .is_some()
        {
            continue;
        }
        // A fragment may be included where a user file is in effect.
        if tree.fragment && tree.server_block_of(index).is_none() && tree.kind(0) != "http" {
            continue;
        }
        if !seen.insert(auth.span()) {
            continue;
        }
        let path = tree.sample_path(index);
        out.push(
            Diagnostic::new(
                RULE.code,
                auth.head_span(),
                format!(
                    "GET {path} without credentials → 200: `auth_basic` is on but no `auth_basic_user_file` is in effect here, so nginx asks for no password"
                ),
            )
            .with_label("no user file in effect")
            .with_help("add `auth_basic_user_file /path/to/htpasswd;` beside it (or in an enclosing block)"),
        );
    }
}

/// `Require` providers that need an authenticated user.
fn needs_user(line: &apache_scope::Line) -> bool {
    line.args.first().is_some_and(|provider| {
        matches!(
            provider.as_str(),
            "valid-user"
                | "user"
                | "group"
                | "file-owner"
                | "file-group"
                | "ldap-user"
                | "ldap-group"
        )
    })
}

fn check_apache(
    config: &lint403_apache::LoadedConfig,
    context: &RuleContext<'_>,
    out: &mut Vec<Diagnostic>,
) {
    let scopes = apache_scope::scopes(config, context.sources);
    // Any `Require` anywhere decides what the `AuthType`-only scope serves
    // (and may be the deliberate switch-off of an old password): then
    // only the missing-AuthType half is reported.
    let any_require = scopes
        .iter()
        .any(|scope| scope.limited || !scope.containers.is_empty() || !scope.require.is_empty());
    for scope in &scopes {
        let user_require = scope.require.iter().find(|line| needs_user(line));
        match (&scope.auth_type, user_require) {
            (None, Some(require)) => {
                if scope.limited {
                    continue;
                }
                let Some((name, span)) = scope
                    .auth
                    .iter()
                    .find(|(name, _)| !name.to_ascii_lowercase().starts_with("authz"))
                else {
                    continue;
                };
                out.push(
                    Diagnostic::new(
                        RULE.code,
                        require.span,
                        format!(
                            "{} → 500 (AH00027 \"AuthType not set\"): `Require {}` needs a user, and {} configures authentication (`{name}` …) without `AuthType`",
                            scope.request,
                            require.args.join(" "),
                            scope.label
                        ),
                    )
                    .with_label("needs an authenticated user")
                    .with_related(*span, "authentication set up here, but no AuthType")
                    .with_help("add `AuthType Basic` (or the scheme this realm uses)"),
                );
            }
            (Some(auth_type), None) => {
                if any_require
                    || auth_type.args.first().is_none_or(|kind| kind == "none")
                    || !scope.require.is_empty()
                    || scope.limited
                {
                    continue;
                }
                out.push(
                    Diagnostic::new(
                        RULE.code,
                        auth_type.span,
                        format!(
                            "{} without credentials → no password asked (200 under the usual inherited `Require all granted`): {} sets `AuthType` but no `Require valid-user`, and httpd authenticates only when a `Require` needs a user",
                            scope.request,
                            scope.label,
                        ),
                    )
                    .with_label("authentication that never runs")
                    .with_help("add `Require valid-user` (or `Require user …`) beside `AuthType`"),
                );
            }
            _ => {}
        }
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
        /// `Auth*` directives other than `AuthType` (name as written).
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
                        _ if name.starts_with("auth") => {
                            scope
                                .auth
                                .push((directive.name(text).to_string(), line.span));
                        }
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
