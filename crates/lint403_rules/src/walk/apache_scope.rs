//! Apache access scopes for the rules that compare httpd's access
//! engines: each `<Directory>`, `<Files>`, `<Location>`, `.htaccess` …
//! with its own `Order`/`Allow`/`Deny`/`Satisfy` and `Require` lines,
//! collected once from the Apache walker in reading order.

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

#[derive(Default, Clone)]
pub struct Scope {
    /// "this .htaccess", "this <Directory /x>".
    pub label: String,
    /// The request to name: a URL path when known.
    pub request: String,
    /// A `<Directory>`'s plain path (no regex, no wildcard), without a
    /// trailing `/`.
    pub path: Option<String>,
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
        span: Span::new(
            file,
            directive.name_word.raw().cover(directive.args_range()),
        ),
    }
}

/// The directives [`collect`] records.
fn is_access_directive(name: &str) -> bool {
    [
        "order",
        "allow",
        "deny",
        "satisfy",
        "require",
        "include",
        "includeoptional",
    ]
    .iter()
    .any(|known| name.eq_ignore_ascii_case(known))
        || name
            .as_bytes()
            .get(..4)
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case(b"auth"))
}

fn collect(text: &str, file: FileId, nodes: &[Node], scope: &mut Scope) {
    for node in nodes {
        match node {
            Node::Directive(directive) => {
                let written = directive.name(text);
                // Most directives of a scope (`Options`, `DirectoryIndex`,
                // `Header` …) are none of these: skip them before building
                // their lower-cased arguments.
                if !is_access_directive(written) {
                    continue;
                }
                let name = written.to_ascii_lowercase();
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
                    SectionKind::RequireAll | SectionKind::RequireAny | SectionKind::RequireNone
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
        if visit
            .parents
            .iter()
            .any(|parent| parent.kind().is_conditional() && !is_read(parent.text, parent.section))
        {
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
        let path = (section.kind == SectionKind::Directory
            && args.len() == 1
            && !target.starts_with('~')
            && !target.contains(['*', '?', '[']))
        .then(|| target.trim_end_matches('/').to_string());
        let mut scope = Scope {
            label: format!("this <{name} {target}>"),
            request,
            path,
            ..Scope::default()
        };
        collect(visit.text, visit.file, &section.body, &mut scope);
        out.push(scope);
    });
    // Kept while the rules run: without the room pushing left.
    lint403_core::fit::exactly(out)
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
