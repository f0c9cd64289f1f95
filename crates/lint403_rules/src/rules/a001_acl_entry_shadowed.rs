//! ## What it does
//! Flags an `allow` or `deny` entry that can never decide because an
//! earlier entry of the same list already matches every client it names:
//! an entry after `deny all;` / `allow all;` (or `0.0.0.0/0`, `::/0`), or
//! after a broader network that contains it. Apache: a `Require` line
//! (or `<RequireAll>`/`<RequireNone>` container) next to `Require all
//! granted` in the same implicit or explicit `<RequireAny>`.
//!
//! ## Why it causes 403
//! nginx checks an access list in order and the first matching entry
//! wins. `deny all; allow 10.1.2.3;` refuses 10.1.2.3 with 403: the
//! `allow` is never reached. After a broader `allow`, a narrower `deny`
//! never refuses anyone (it lets through what it was meant to stop).
//!
//! Apache httpd 2.4: several `Require` lines in one section (or
//! `.htaccess`) form an implicit `<RequireAny>`, which stops at the first
//! grant. `Require all granted` grants every request, so its siblings
//! never decide: `Require all granted` + `Require all denied` serves
//! `GET /` with 200 (verified on httpd 2.4), and a `Require ip` or
//! `Require valid-user` meant to restrict lets everyone in. Negative
//! siblings (`Require not …`) are a configuration error in a
//! `<RequireAny>` and are left to A201.
//!
//! ## Example
//! ```nginx
//! location /admin/ {
//!     deny all;
//!     allow 10.1.2.3;
//! }
//! ```
//! `GET /admin/` from 10.1.2.3 → 403.
//!
//! Apache, a `.htaccess`:
//! ```htaccess
//! Require all granted
//! Require ip 10.0.0.0/8
//! ```
//! `GET /` from 203.0.113.7 → 200. Fix: drop `Require all granted`.
//!
//! ## Fix
//! Put the specific entries first and the catch-all last:
//! ```nginx
//! location /admin/ {
//!     allow 10.1.2.3;
//!     deny all;
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_access_module.html> ("The
//!   rules are checked in sequence until the first match is found.")
//! - <https://httpd.apache.org/docs/2.4/mod/mod_authz_core.html#requireany>
//!   (several `Require` lines: "the request is granted if any of them
//!   succeeds")

use lint403_core::{Code, Diagnostic, Dialect, Severity};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::nginx::{self, Subject, Tree};
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "A001",
        name: "acl-entry-shadowed",
        default_severity: Severity::Warning,
        summary: "an access-list entry that an earlier entry always decides first",
        doc: "",
    },
    family: Family::Access,
    dialects: &[Dialect::Nginx, Dialect::Apache],
    likelihood: Likelihood::Common,
    fix: FixDifficulty::Trivial,
    source: include_str!("a001_acl_entry_shadowed.rs"),
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
        for (position, entry) in list.iter().enumerate() {
            let Some(earlier) = list[..position]
                .iter()
                .find(|earlier| entry.subject.covered_by(earlier.subject))
            else {
                continue;
            };
            let name = if entry.allow { "allow" } else { "deny" };
            let earlier_name = if earlier.allow { "allow" } else { "deny" };
            let value = entry.entry.arg(0).unwrap_or_default();
            let earlier_value = earlier.entry.arg(0).unwrap_or_default();
            let client = match entry.subject {
                Subject::All => "any client".to_string(),
                Subject::Unix => "a unix-socket client".to_string(),
                Subject::Net(net, prefix) => nginx::sample_host(net, prefix).to_string(),
            };
            let path = tree.sample_path(index);
            let (message, severity) = if earlier.allow == entry.allow {
                (
                    format!(
                        "`{name} {value}` never decides: the earlier `{earlier_name} {earlier_value}` already matches {client} (the entry is dead)"
                    ),
                    Severity::Warning,
                )
            } else {
                let outcome = if earlier.allow { "let through" } else { "403" };
                let severity = if entry.allow && earlier.subject.is_everyone() {
                    Severity::Error
                } else {
                    Severity::Warning
                };
                (
                    format!(
                        "GET {path} from {client} → {outcome}: `{earlier_name} {earlier_value}` matches first, so `{name} {value}` is never reached"
                    ),
                    severity,
                )
            };
            out.push(
                Diagnostic::new(RULE.code, entry.entry.head_span(), message)
                    .with_severity(severity)
                    .with_label("never reached")
                    .with_related(earlier.entry.head_span(), "matches first")
                    .with_help(format!(
                        "move `{name} {value};` above `{earlier_name} {earlier_value};` (first match wins), or remove it"
                    )),
            );
        }
    }
}

fn check_apache(
    config: &lint403_apache::LoadedConfig,
    context: &RuleContext<'_>,
    out: &mut Vec<Diagnostic>,
) {
    let mut scopes = apache_scope::scopes(config, context.sources);
    scopes.extend(apache_scope::require_any_sections(config, context.sources));
    for scope in scopes {
        let Some(grant) = scope
            .require
            .iter()
            .find(|line| line.args == ["all", "granted"])
        else {
            continue;
        };
        let dead = scope
            .require
            .iter()
            .filter(|line| {
                line.span != grant.span && line.args.first().is_some_and(|first| first != "not")
            })
            .map(|line| (line.span, format!("`Require {}`", line.args.join(" "))))
            .chain(
                scope
                    .containers
                    .iter()
                    .map(|span| (*span, "this container".to_string())),
            );
        let where_ = if scope.label == "this <RequireAny>" {
            scope.label.clone()
        } else {
            format!("the implicit <RequireAny> of {}", scope.label)
        };
        for (span, what) in dead {
            out.push(
                Diagnostic::new(
                    RULE.code,
                    span,
                    format!(
                        "{} from 203.0.113.7 → 200: `Require all granted` grants every request in {where_}, so {what} never decides",
                        scope.request
                    ),
                )
                .with_severity(Severity::Error)
                .with_label("never decides")
                .with_related(grant.span, "grants every request first")
                .with_help("remove `Require all granted`, or wrap the lines in <RequireAll> if every one must hold"),
            );
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

    /// Every explicit `<RequireAny>`, its direct lines as a scope.
    pub fn require_any_sections(config: &LoadedConfig, sources: &SourceMap) -> Vec<Scope> {
        let mut out = Vec::new();
        apache::walk(config, sources, |visit| {
            let Event::Enter(section) = visit.event else {
                return;
            };
            if section.kind != SectionKind::RequireAny
                || visit.parents.iter().any(|parent| {
                    parent.kind().is_conditional() && !is_read(parent.text, parent.section)
                })
            {
                return;
            }
            let enclosing = visit
                .parents
                .iter()
                .rev()
                .find(|parent| is_scope(parent.kind()));
            let request = match enclosing {
                None if visit.in_htaccess() => "GET /".to_string(),
                Some(parent)
                    if parent.kind() == SectionKind::Location
                        && parent.args().len() == 1
                        && !parent.args().join("").starts_with('~') =>
                {
                    format!("GET {}", parent.args().join(""))
                }
                Some(parent) => format!(
                    "a GET that <{} {}> matches",
                    parent.name(),
                    parent.args().join(" ")
                ),
                None => "a GET here".to_string(),
            };
            let mut scope = Scope {
                label: "this <RequireAny>".to_string(),
                request,
                ..Scope::default()
            };
            collect(visit.text, visit.file, &section.body, &mut scope);
            out.push(scope);
        });
        out
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
