//! A site's `web.config` (and the folder `web.config` files under its
//! root, or an applicationHost-style file with `<sites>`) lowered into the
//! shared [`Model`].
//!
//! One scope per configuration level: the site root's file is the site's
//! [`ScopeKind::Server`] scope; each `<location path>` and each folder
//! `web.config` is a [`ScopeKind::IisLocation`] scope with a
//! [`Matcher::Prefix`] on whole path segments (compared ignoring case, as
//! IIS does). Every scope's access lists combine parent first
//! ([`Inheritance::ParentFirst`]).
//!
//! Inside a scope the rules keep document order. Each configuration
//! section starts with a `Setting` named [`SECTION`] whose first word is
//! the section path (`system.webServer/security/ipSecurity`); the rules up
//! to the next such header belong to it. Entries use the shared vocabulary
//! where it fits (`Access` for ipSecurity and both authorization lists,
//! `Respond`/`Rewrite` for URL Rewrite rules, `TlsRequirement`, `Listing`);
//! collection operations and attributes are `Setting`s whose words are
//! `name=value` pairs (see `docs/trace-iis.md`).

use std::collections::HashSet;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use lint403_core::model::{
    Action, Condition, Gap, Inheritance, Listen, Matcher, Rule, RuleKind, Scope, ScopeId,
    ScopeKind, Site, Subject, TextTest,
};
use lint403_core::read::read_source;
use lint403_core::{CheckOptions, Cidr, Dialect, FileId, Model, Pattern, SourceMap, Span};
use lint403_core::{TextRange, TraceOptions};

use crate::load::{load, LoadedConfig};
use crate::syntax::Element;

/// The `Setting` that opens a section's rules; its first word is the
/// section path.
pub const SECTION: &str = "iis.section";

pub const IP_SECURITY: &str = "system.webServer/security/ipSecurity";
pub const URL_AUTHORIZATION: &str = "system.webServer/security/authorization";
pub const ASPNET_AUTHORIZATION: &str = "system.web/authorization";
pub const REQUEST_FILTERING: &str = "system.webServer/security/requestFiltering";
pub const REWRITE_RULES: &str = "system.webServer/rewrite/rules";
pub const ACCESS: &str = "system.webServer/security/access";
pub const DIRECTORY_BROWSE: &str = "system.webServer/directoryBrowse";
pub const DEFAULT_DOCUMENT: &str = "system.webServer/defaultDocument";
pub const HANDLERS: &str = "system.webServer/handlers";
pub const AUTHENTICATION: &str = "system.webServer/security/authentication";
pub const ASPNET_AUTHENTICATION: &str = "system.web/authentication";
pub const HTTP_ERRORS: &str = "system.webServer/httpErrors";
pub const MODULES: &str = "system.webServer/modules";

/// The variable a URL Rewrite rule's `<match url>` tests: the URL path
/// relative to the rule's folder, without the leading `/`.
pub const MATCH_URL: &str = "iis.match-url";
/// The user name the authorization lists compare with (`""` when anonymous).
pub const AUTH_USER: &str = "AUTH_USER";
/// Prefix of the variable name of an `IsFile` rewrite condition.
pub const IS_FILE: &str = "IsFile:";
/// Prefix of the variable name of an `IsDirectory` rewrite condition.
pub const IS_DIRECTORY: &str = "IsDirectory:";

/// Folder `web.config` files lint403 reads below a site root at most, and
/// how deep it looks.
const MAX_FOLDER_CONFIGS: usize = 512;
const MAX_FOLDER_DEPTH: usize = 32;

/// Lowers a loaded site `web.config` (or applicationHost-style file) into
/// the model; folder `web.config` files found under the site root through
/// `options.fs` are loaded into `sources` and become nested scopes.
pub fn lower(config: &LoadedConfig, sources: &mut SourceMap, options: &TraceOptions) -> Model {
    let mut model = Model::new(Dialect::Iis);
    let Some(document) = config.document(config.root) else {
        // The site still exists: every request to it gets 500.19.
        let span = Span::new(config.root, TextRange::empty(0));
        let scope = model.add_scope(
            None,
            Scope::new(ScopeKind::Server, Matcher::All, span, span),
        );
        model.sites.push(Site {
            span,
            listen: default_listen(),
            names: Vec::new(),
            document_roots: vec![folder_of(sources, config.root).display().to_string()],
            root: scope,
        });
        model.gaps.push(Gap {
            span,
            reason: "the web.config is not well-formed XML: IIS answers 500.19 for every request"
                .into(),
        });
        return model;
    };
    let root = &document.root;
    let file = config.root;
    let root_span = Span::new(file, root.range);
    let root_head = Span::new(file, root.start_tag);
    let sites = child(root, "system.applicationHost").and_then(|host| child(host, "sites"));
    let mut lowering = Lowering {
        config,
        model: &mut model,
    };
    if let Some(sites) = sites {
        let global = lowering.model.add_scope(
            None,
            Scope::new(ScopeKind::Global, Matcher::All, root_span, root_head),
        );
        lowering.scope_mut(global).access_inheritance = Inheritance::ParentFirst;
        lowering.lower_sections(file, root, global);
        let mut folders = Vec::new();
        for site in children(sites, "site") {
            let (site_scope, physical) = lowering.lower_site(file, site, global);
            folders.push((site_scope, physical));
        }
        lowering.lower_locations(file, root, global, "", true);
        for (scope, physical) in folders {
            if let Some(physical) = physical {
                lower_folder_configs(&mut model, sources, options, scope, &physical, true);
            }
        }
    } else {
        let scope = lowering.model.add_scope(
            None,
            Scope::new(ScopeKind::Server, Matcher::All, root_span, root_head),
        );
        lowering.scope_mut(scope).access_inheritance = Inheritance::ParentFirst;
        lowering.lower_sections(file, root, scope);
        lowering.lower_locations(file, root, scope, "", false);
        let site_root = folder_of(sources, file);
        model.sites.push(Site {
            span: root_head,
            listen: default_listen(),
            names: Vec::new(),
            document_roots: vec![site_root.display().to_string()],
            root: scope,
        });
        lower_folder_configs(&mut model, sources, options, scope, &site_root, false);
    }
    model
}

struct Lowering<'c, 'm> {
    config: &'c LoadedConfig,
    model: &'m mut Model,
}

impl Lowering<'_, '_> {
    fn scope_mut(&mut self, id: ScopeId) -> &mut Scope {
        &mut self.model.scopes[id.0]
    }

    fn push(&mut self, scope: ScopeId, span: Span, kind: RuleKind) {
        self.scope_mut(scope).rules.push(Rule { span, kind });
    }

    fn gap(&mut self, span: Span, reason: impl Into<String>) {
        self.model.gaps.push(Gap {
            span,
            reason: reason.into(),
        });
    }

    /// One `<site>` of an applicationHost-style file: its bindings, its
    /// root scope, and its physical path.
    fn lower_site(
        &mut self,
        file: FileId,
        site: &Element,
        global: ScopeId,
    ) -> (ScopeId, Option<PathBuf>) {
        let span = Span::new(file, site.range);
        let head = Span::new(file, site.start_tag);
        let scope = self.model.add_scope(
            Some(global),
            Scope::new(ScopeKind::Server, Matcher::All, span, head),
        );
        self.scope_mut(scope).access_inheritance = Inheritance::ParentFirst;
        let mut listen = Vec::new();
        let mut names = Vec::new();
        for binding in child(site, "bindings")
            .into_iter()
            .flat_map(|b| children(b, "binding"))
        {
            let protocol = binding.attribute_value("protocol").unwrap_or("http");
            let tls = protocol.eq_ignore_ascii_case("https");
            if !tls && !protocol.eq_ignore_ascii_case("http") {
                continue;
            }
            let info = binding.attribute_value("bindingInformation").unwrap_or("");
            let Some((address, port, host)) = parse_binding(info) else {
                self.gap(
                    Span::new(file, binding.start_tag),
                    format!("binding '{info}' is not IP:port:host"),
                );
                continue;
            };
            listen.push(Listen {
                address,
                port,
                default_server: host.is_empty(),
                tls,
                span: Some(Span::new(file, binding.start_tag)),
            });
            if !host.is_empty() && !names.contains(&host) {
                names.push(host);
            }
        }
        let physical = children(site, "application")
            .find(|app| app.attribute_value("path").is_none_or(|p| p == "/"))
            .and_then(|app| {
                children(app, "virtualDirectory")
                    .find(|vdir| vdir.attribute_value("path").is_none_or(|p| p == "/"))
            })
            .and_then(|vdir| vdir.attribute_value("physicalPath"))
            .map(|path| PathBuf::from(path.replace('\\', "/")));
        let name = site.attribute_value("name").unwrap_or("").to_string();
        self.model.sites.push(Site {
            span: head,
            listen,
            names,
            document_roots: physical.iter().map(|p| p.display().to_string()).collect(),
            root: scope,
        });
        // Remember the site's name on its scope, for `<location path="Site/...">`.
        self.push(
            scope,
            head,
            RuleKind::Setting {
                name: "iis.site".into(),
                args: vec![name],
            },
        );
        (scope, physical)
    }

    /// Every `<location>` child of the configuration root, as scopes under
    /// `parent` (`base` is the folder of the file relative to the site
    /// root). In an applicationHost file the first segment names the site.
    fn lower_locations(
        &mut self,
        file: FileId,
        root: &Element,
        parent: ScopeId,
        base: &str,
        application_host: bool,
    ) {
        for location in children(root, "location") {
            let span = Span::new(file, location.range);
            let head = Span::new(file, location.start_tag);
            let written = location.attribute_value("path").unwrap_or("");
            let Some(path) = clean_location_path(written) else {
                self.gap(
                    head,
                    format!(
                        "location path '{written}' (wildcards and backslashes are not URL paths)"
                    ),
                );
                continue;
            };
            let (owner, relative) = if application_host {
                let mut parts = path.splitn(2, '/');
                let site_name = parts.next().unwrap_or("");
                let rest = parts.next().unwrap_or("");
                if site_name.is_empty() {
                    (parent, String::new())
                } else {
                    let Some(scope) = self.site_scope_named(site_name) else {
                        self.gap(
                            head,
                            format!("location path '{written}' names no site here"),
                        );
                        continue;
                    };
                    (scope, rest.to_string())
                }
            } else {
                (parent, path)
            };
            let prefix = join_prefix(base, &relative);
            let scope = self.model.add_scope(
                Some(owner),
                Scope::new(ScopeKind::IisLocation, Matcher::Prefix(prefix), span, head),
            );
            self.scope_mut(scope).access_inheritance = Inheritance::ParentFirst;
            self.lower_sections(file, location, scope);
        }
    }

    fn site_scope_named(&self, name: &str) -> Option<ScopeId> {
        self.model.sites.iter().map(|site| site.root).find(|&scope| {
            self.model.scope(scope).rules.iter().any(|rule| {
                matches!(&rule.kind, RuleKind::Setting { name: own, args }
                    if own == "iis.site" && args.first().is_some_and(|n| n.eq_ignore_ascii_case(name)))
            })
        })
    }

    /// The sections of one level (`<configuration>` or a `<location>`).
    fn lower_sections(&mut self, file: FileId, level: &Element, scope: ScopeId) {
        for group in level.child_elements() {
            let (file, group) = resolve_config_source(self.config, file, group);
            match group.name.local() {
                "system.webServer" => self.lower_web_server(file, group, scope),
                "system.web" => self.lower_system_web(file, group, scope),
                _ => {}
            }
        }
    }

    fn lower_web_server(&mut self, file: FileId, group: &Element, scope: ScopeId) {
        for section in group.child_elements() {
            let (file, section) = resolve_config_source(self.config, file, section);
            match section.name.local() {
                "security" => {
                    for inner in section.child_elements() {
                        let (file, inner) = resolve_config_source(self.config, file, inner);
                        match inner.name.local() {
                            "ipSecurity" => self.lower_ip_security(file, inner, scope),
                            "authorization" => self.lower_url_authorization(file, inner, scope),
                            "requestFiltering" => self.lower_request_filtering(file, inner, scope),
                            "access" => self.lower_access(file, inner, scope),
                            "authentication" => self.lower_authentication(file, inner, scope),
                            "dynamicIpSecurity" => self.gap(
                                Span::new(file, inner.start_tag),
                                "dynamicIpSecurity depends on the request rate (403.501/403.502); \
                                 one traced request cannot show it",
                            ),
                            _ => {}
                        }
                    }
                }
                "rewrite" => {
                    for inner in section.child_elements() {
                        let (file, inner) = resolve_config_source(self.config, file, inner);
                        match inner.name.local() {
                            "rules" => self.lower_rewrite_rules(file, inner, scope),
                            "globalRules" => self.gap(
                                Span::new(file, inner.start_tag),
                                "globalRules belong in applicationHost.config (PreBeginRequest); \
                                 not traced",
                            ),
                            _ => {}
                        }
                    }
                }
                "directoryBrowse" => {
                    let span = Span::new(file, section.start_tag);
                    self.header(scope, span, DIRECTORY_BROWSE, section);
                    if let Some(enabled) = section.attribute_value("enabled") {
                        self.push(
                            scope,
                            attr_span(file, section, "enabled"),
                            RuleKind::Listing {
                                autoindex: Some(is_true(enabled)),
                                index_files: None,
                            },
                        );
                    }
                }
                "defaultDocument" => self.lower_collection_section(
                    file,
                    section,
                    scope,
                    DEFAULT_DOCUMENT,
                    &["files"],
                ),
                "handlers" => self.lower_collection_section(file, section, scope, HANDLERS, &[]),
                "httpErrors" => {
                    self.lower_collection_section(file, section, scope, HTTP_ERRORS, &[]);
                }
                "modules" => {
                    let span = Span::new(file, section.start_tag);
                    self.header(scope, span, MODULES, section);
                }
                _ => {}
            }
        }
    }

    fn lower_system_web(&mut self, file: FileId, group: &Element, scope: ScopeId) {
        for section in group.child_elements() {
            let (file, section) = resolve_config_source(self.config, file, section);
            match section.name.local() {
                "authorization" => {
                    let span = Span::new(file, section.start_tag);
                    self.header(scope, span, ASPNET_AUTHORIZATION, section);
                    for entry in section.child_elements() {
                        let span = Span::new(file, entry.start_tag);
                        let action = match entry.name.local() {
                            "allow" => Action::Allow,
                            "deny" => Action::Deny,
                            other => {
                                self.gap(
                                    span,
                                    format!(
                                        "<{other}> in system.web/authorization: ASP.NET knows only \
                                         <allow> and <deny> (the application fails to start)"
                                    ),
                                );
                                continue;
                            }
                        };
                        let subject = authorization_subject(
                            entry.attribute_value("users"),
                            entry.attribute_value("roles"),
                            entry
                                .attribute_value("verbs")
                                .or_else(|| entry.attribute_value("verb")),
                        );
                        self.push(
                            scope,
                            span,
                            RuleKind::Access {
                                action,
                                subject,
                                negated: false,
                            },
                        );
                    }
                }
                "authentication" => {
                    let span = Span::new(file, section.start_tag);
                    self.header(scope, span, ASPNET_AUTHENTICATION, section);
                    for forms in children(section, "forms") {
                        self.push(
                            scope,
                            Span::new(file, forms.start_tag),
                            RuleKind::Setting {
                                name: "forms".into(),
                                args: attributes(forms),
                            },
                        );
                    }
                }
                _ => {}
            }
        }
    }

    fn header(&mut self, scope: ScopeId, span: Span, section: &str, element: &Element) {
        let mut args = vec![section.to_string()];
        args.extend(attributes(element));
        self.push(
            scope,
            span,
            RuleKind::Setting {
                name: SECTION.into(),
                args,
            },
        );
    }

    fn lower_ip_security(&mut self, file: FileId, section: &Element, scope: ScopeId) {
        self.header(
            scope,
            Span::new(file, section.start_tag),
            IP_SECURITY,
            section,
        );
        for entry in section.child_elements() {
            let span = Span::new(file, entry.start_tag);
            match entry.name.local() {
                "add" => {
                    let allowed = entry.attribute_value("allowed").is_some_and(is_true);
                    let subject = ip_subject(
                        entry.attribute_value("ipAddress"),
                        entry.attribute_value("subnetMask"),
                        entry.attribute_value("domainName"),
                    );
                    self.push(
                        scope,
                        span,
                        RuleKind::Access {
                            action: if allowed { Action::Allow } else { Action::Deny },
                            subject,
                            negated: false,
                        },
                    );
                }
                "remove" => self.collection_op(scope, span, "remove", "ipSecurity", entry),
                "clear" => self.collection_op(scope, span, "clear", "ipSecurity", entry),
                _ => {}
            }
        }
    }

    fn lower_url_authorization(&mut self, file: FileId, section: &Element, scope: ScopeId) {
        self.header(
            scope,
            Span::new(file, section.start_tag),
            URL_AUTHORIZATION,
            section,
        );
        for entry in section.child_elements() {
            let span = Span::new(file, entry.start_tag);
            match entry.name.local() {
                "add" => {
                    let deny = entry
                        .attribute_value("accessType")
                        .is_some_and(|t| t.trim().eq_ignore_ascii_case("Deny"));
                    let subject = authorization_subject(
                        entry.attribute_value("users"),
                        entry.attribute_value("roles"),
                        entry.attribute_value("verbs"),
                    );
                    self.push(
                        scope,
                        span,
                        RuleKind::Access {
                            action: if deny { Action::Deny } else { Action::Allow },
                            subject,
                            negated: false,
                        },
                    );
                }
                "remove" => self.collection_op(scope, span, "remove", "authorization", entry),
                "clear" => self.collection_op(scope, span, "clear", "authorization", entry),
                other => self.gap(
                    span,
                    format!(
                        "<{other}> in system.webServer/security/authorization is not a known \
                         element: IIS answers 500.19"
                    ),
                ),
            }
        }
    }

    fn lower_request_filtering(&mut self, file: FileId, section: &Element, scope: ScopeId) {
        self.lower_collection_section(
            file,
            section,
            scope,
            REQUEST_FILTERING,
            &[
                "hiddenSegments",
                "fileExtensions",
                "denyUrlSequences",
                "verbs",
                "denyQueryStringSequences",
                "alwaysAllowedUrls",
                "alwaysAllowedQueryStrings",
                "filteringRules",
                "requestLimits",
            ],
        );
    }

    /// A section whose rules are its attributes and, for each child
    /// element (a collection), a `Setting` with the collection's attributes
    /// followed by its `add`/`remove`/`clear` operations. With no
    /// collection names, the section element itself is the collection.
    fn lower_collection_section(
        &mut self,
        file: FileId,
        section: &Element,
        scope: ScopeId,
        name: &str,
        collections: &[&str],
    ) {
        self.header(scope, Span::new(file, section.start_tag), name, section);
        if collections.is_empty() {
            let collection = section.name.local().to_string();
            for entry in section.child_elements() {
                let span = Span::new(file, entry.start_tag);
                let op = entry.name.local().to_string();
                self.collection_op(scope, span, &op, &collection, entry);
            }
            return;
        }
        for collection in section.child_elements() {
            let (file, collection) = resolve_config_source(self.config, file, collection);
            let collection_name = collection.name.local().to_string();
            if !collections.contains(&collection_name.as_str()) {
                continue;
            }
            self.push(
                scope,
                Span::new(file, collection.start_tag),
                RuleKind::Setting {
                    name: collection_name.clone().into(),
                    args: attributes(collection),
                },
            );
            for entry in collection.child_elements() {
                let span = Span::new(file, entry.start_tag);
                let op = entry.name.local().to_string();
                self.collection_op(scope, span, &op, &collection_name, entry);
            }
        }
    }

    fn collection_op(
        &mut self,
        scope: ScopeId,
        span: Span,
        op: &str,
        collection: &str,
        entry: &Element,
    ) {
        let mut args = vec![collection.to_string()];
        args.extend(attributes(entry));
        self.push(
            scope,
            span,
            RuleKind::Setting {
                name: op.to_string().into(),
                args,
            },
        );
    }

    fn lower_access(&mut self, file: FileId, section: &Element, scope: ScopeId) {
        self.header(scope, Span::new(file, section.start_tag), ACCESS, section);
        if let Some(flags) = section.attribute_value("sslFlags") {
            let required = ssl_flags(flags).iter().any(|flag| {
                flag.eq_ignore_ascii_case("Ssl") || flag.eq_ignore_ascii_case("Ssl128")
            });
            self.push(
                scope,
                attr_span(file, section, "sslFlags"),
                RuleKind::TlsRequirement { required },
            );
        }
    }

    fn lower_authentication(&mut self, file: FileId, section: &Element, scope: ScopeId) {
        self.header(
            scope,
            Span::new(file, section.start_tag),
            AUTHENTICATION,
            section,
        );
        for method in section.child_elements() {
            let (file, method) = resolve_config_source(self.config, file, method);
            let kind = match method.name.local() {
                "anonymousAuthentication" => AuthKindName::Anonymous,
                "basicAuthentication" => AuthKindName::Basic,
                "digestAuthentication" => AuthKindName::Digest,
                "windowsAuthentication" => AuthKindName::Windows,
                other => AuthKindName::Other(other.to_string()),
            };
            let Some(enabled) = method.attribute_value("enabled") else {
                continue;
            };
            self.push(
                scope,
                attr_span(file, method, "enabled"),
                RuleKind::Auth {
                    kind: kind.into_kind(),
                    realm: method.attribute_value("realm").map(Into::into),
                    user_file: None,
                    enabled: is_true(enabled),
                },
            );
        }
    }

    fn lower_rewrite_rules(&mut self, file: FileId, list: &Element, scope: ScopeId) {
        self.header(scope, Span::new(file, list.start_tag), REWRITE_RULES, list);
        for entry in list.child_elements() {
            let span = Span::new(file, entry.start_tag);
            match entry.name.local() {
                "rule" => self.lower_rewrite_rule(file, entry, scope),
                "clear" | "remove" => {
                    let op = entry.name.local().to_string();
                    self.collection_op(scope, span, &op, "rules", entry);
                }
                _ => {}
            }
        }
    }

    /// One `<rule>`: a `Setting` "rule" with its name and flags, then the
    /// action as `Respond` (`CustomResponse`, `Redirect`, `AbortRequest` as
    /// status 0) or `Rewrite` (Rewrite, None).
    fn lower_rewrite_rule(&mut self, file: FileId, rule: &Element, scope: ScopeId) {
        let span = Span::new(file, rule.start_tag);
        let syntax = rule
            .attribute_value("patternSyntax")
            .unwrap_or("ECMAScript")
            .trim()
            .to_string();
        self.push(
            scope,
            span,
            RuleKind::Setting {
                name: "rule".into(),
                args: attributes(rule),
            },
        );
        let matcher = child(rule, "match");
        let url = matcher.and_then(|m| m.attribute_value("url")).unwrap_or("");
        let ignore_case = matcher
            .and_then(|m| m.attribute_value("ignoreCase"))
            .is_none_or(is_true);
        let negate = matcher
            .and_then(|m| m.attribute_value("negate"))
            .is_some_and(is_true);
        let (pattern, url_test) = text_test(&syntax, url, ignore_case);
        let mut match_condition = Condition::Var {
            name: MATCH_URL.into(),
            test: url_test,
        };
        if negate {
            match_condition = Condition::Not(Box::new(match_condition));
        }
        let mut parts = vec![match_condition];
        if let Some(conditions) = child(rule, "conditions") {
            let any = conditions
                .attribute_value("logicalGrouping")
                .is_some_and(|g| g.trim().eq_ignore_ascii_case("MatchAny"));
            let tests: Vec<Condition> = children(conditions, "add")
                .map(|add| rewrite_condition(&syntax, add))
                .collect();
            if !tests.is_empty() {
                parts.push(if any {
                    Condition::Any(tests)
                } else {
                    Condition::All(tests)
                });
            }
        }
        let when = Condition::All(parts);
        let action = child(rule, "action");
        let action_span = action.map_or(span, |a| Span::new(file, a.start_tag));
        let action_type = action
            .and_then(|a| a.attribute_value("type"))
            .unwrap_or("None")
            .trim()
            .to_ascii_lowercase();
        let kind = match action_type.as_str() {
            "customresponse" => {
                let status = action
                    .and_then(|a| a.attribute_value("statusCode"))
                    .and_then(|s| s.trim().parse().ok())
                    .unwrap_or(0);
                let substatus = action
                    .and_then(|a| a.attribute_value("subStatusCode"))
                    .map_or(Some(0), |s| s.trim().parse().ok());
                if status == 0 {
                    self.gap(action_span, "CustomResponse without a valid statusCode");
                }
                RuleKind::Respond {
                    status,
                    substatus,
                    when: Box::new(when),
                }
            }
            "redirect" => {
                let status = match action
                    .and_then(|a| a.attribute_value("redirectType"))
                    .unwrap_or("Permanent")
                    .trim()
                    .to_ascii_lowercase()
                    .as_str()
                {
                    "found" => 302,
                    "seeother" => 303,
                    "temporary" => 307,
                    _ => 301,
                };
                RuleKind::Respond {
                    status,
                    substatus: None,
                    when: Box::new(when),
                }
            }
            "abortrequest" => RuleKind::Respond {
                status: 0,
                substatus: None,
                when: Box::new(when),
            },
            other => {
                let mut flags = vec![if other == "rewrite" {
                    "Rewrite"
                } else {
                    "None"
                }
                .to_string()];
                if rule.attribute_value("stopProcessing").is_some_and(is_true) {
                    flags.push("stopProcessing".into());
                }
                if other != "rewrite" && other != "none" {
                    flags.push(format!("unknown-action={other}"));
                }
                RuleKind::Rewrite {
                    pattern: Box::new(pattern),
                    target: action
                        .and_then(|a| a.attribute_value("url"))
                        .unwrap_or("")
                        .into(),
                    flags: flags.into(),
                    when: Box::new(when),
                }
            }
        };
        self.push(scope, action_span, kind);
    }
}

fn resolve_config_source<'e>(
    config: &'e LoadedConfig,
    file: FileId,
    element: &'e Element,
) -> (FileId, &'e Element) {
    if element.attribute("configSource").is_none() {
        return (file, element);
    }
    let Some(target) = config.config_source_target(file, element.start_tag) else {
        return (file, element);
    };
    match config.document(target) {
        Some(document) if target != file => (target, &document.root),
        _ => (file, element),
    }
}

enum AuthKindName {
    Anonymous,
    Basic,
    Digest,
    Windows,
    Other(String),
}

impl AuthKindName {
    fn into_kind(self) -> lint403_core::model::AuthKind {
        use lint403_core::model::AuthKind;
        match self {
            AuthKindName::Anonymous => AuthKind::Anonymous,
            AuthKindName::Basic => AuthKind::Basic,
            AuthKindName::Digest => AuthKind::Digest,
            AuthKindName::Windows => AuthKind::Windows,
            AuthKindName::Other(name) => AuthKind::Other(name.into()),
        }
    }
}

/// Folder `web.config` files below `site_root` (read through the
/// filesystem view), each a scope nested under its nearest parent folder's.
fn lower_folder_configs(
    model: &mut Model,
    sources: &mut SourceMap,
    options: &TraceOptions,
    site_scope: ScopeId,
    site_root: &Path,
    include_root_file: bool,
) {
    let Some(local_root) = options.fs.local(site_root) else {
        return;
    };
    if !local_root.is_dir() {
        return;
    }
    let mut found = Vec::new();
    let mut visited = HashSet::new();
    collect_configs(&local_root, "", 0, &mut found, &mut visited);
    found.sort();
    // (relative folder, scope) of the folders lowered so far.
    let mut folder_scopes: Vec<(String, ScopeId)> = vec![(String::new(), site_scope)];
    for (relative, path) in found {
        if relative.is_empty() && !include_root_file {
            continue;
        }
        if folder_scopes.len() > MAX_FOLDER_CONFIGS {
            break;
        }
        if sources.find(&path).is_some() {
            continue;
        }
        let Ok(source) = read_source(&path) else {
            continue;
        };
        let file = sources.add(source);
        let loaded = load(sources, file, &CheckOptions::default());
        let parent = folder_scopes
            .iter()
            .rev()
            .find(|(folder, _)| folder.is_empty() || relative.starts_with(&format!("{folder}/")))
            .map_or(site_scope, |(_, scope)| *scope);
        let Some(document) = loaded.document(file) else {
            // An empty level, so that the error applies below the folder only.
            let span = Span::new(file, TextRange::empty(0));
            model.add_scope(
                Some(parent),
                Scope::new(
                    ScopeKind::IisLocation,
                    Matcher::Prefix(join_prefix(&relative, "")),
                    span,
                    span,
                ),
            );
            model.gaps.push(Gap {
                span,
                reason: format!(
                    "{} is not well-formed: IIS answers 500.19 below /{relative}",
                    path.display()
                ),
            });
            continue;
        };
        let root = &document.root;
        let scope = model.add_scope(
            Some(parent),
            Scope::new(
                ScopeKind::IisLocation,
                Matcher::Prefix(join_prefix(&relative, "")),
                Span::new(file, root.range),
                Span::new(file, root.start_tag),
            ),
        );
        let mut lowering = Lowering {
            config: &loaded,
            model,
        };
        lowering.scope_mut(scope).access_inheritance = Inheritance::ParentFirst;
        lowering.lower_sections(file, root, scope);
        lowering.lower_locations(file, root, scope, &relative, false);
        folder_scopes.push((relative, scope));
    }
}

/// The bindings assumed for a site whose applicationHost.config is not
/// seen: http on port 80 and https on 443, every address.
fn default_listen() -> Vec<Listen> {
    [(80, false), (443, true)]
        .into_iter()
        .map(|(port, tls)| Listen {
            address: None,
            port,
            default_server: true,
            tls,
            span: None,
        })
        .collect()
}

/// The folder holding `file`: a site root is its web.config's folder.
fn folder_of(sources: &SourceMap, file: FileId) -> PathBuf {
    sources
        .get(file)
        .path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// `(folder relative to the site root, path)` of every `web.config`.
fn collect_configs(
    directory: &Path,
    relative: &str,
    depth: usize,
    found: &mut Vec<(String, PathBuf)>,
    visited: &mut HashSet<PathBuf>,
) {
    if depth > MAX_FOLDER_DEPTH || found.len() > MAX_FOLDER_CONFIGS {
        return;
    }
    let identity = lint403_core::paths::canonical_or_same(directory);
    if !visited.insert(identity) {
        return;
    }
    let Ok(entries) = std::fs::read_dir(directory) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if path.is_dir() {
            let inner = if relative.is_empty() {
                name
            } else {
                format!("{relative}/{name}")
            };
            collect_configs(&path, &inner, depth + 1, found, visited);
        } else if name.eq_ignore_ascii_case("web.config") && path.is_file() {
            found.push((relative.to_string(), path));
        }
    }
}

/// `/base/path` from folder-relative parts (either may be empty).
fn join_prefix(base: &str, path: &str) -> String {
    let mut prefix = String::from("/");
    prefix.push_str(base.trim_matches('/'));
    let path = path.trim_matches('/');
    if !path.is_empty() {
        if !prefix.ends_with('/') {
            prefix.push('/');
        }
        prefix.push_str(path);
    }
    prefix
}

/// A `<location path>` value as a folder-relative path; `None` when it
/// cannot be a URL path.
fn clean_location_path(written: &str) -> Option<String> {
    let path = written.trim();
    let path = path.strip_prefix("~/").unwrap_or(path);
    if path.contains(['\\', '*', '?']) {
        return None;
    }
    let path = path.trim_matches('/');
    if path == "." {
        return Some(String::new());
    }
    Some(path.to_string())
}

/// `IP:port:host` of an IIS binding.
fn parse_binding(info: &str) -> Option<(Option<IpAddr>, u16, String)> {
    let (address, rest) = if let Some(bracketed) = info.strip_prefix('[') {
        let (inside, rest) = bracketed.split_once(']')?;
        (inside, rest.strip_prefix(':')?)
    } else {
        info.split_once(':')?
    };
    let (port, host) = rest.split_once(':').unwrap_or((rest, ""));
    let port = port.trim().parse().ok()?;
    let address = match address.trim() {
        "" | "*" => None,
        other => Some(other.parse().ok()?),
    };
    Some((address, port, host.trim().to_ascii_lowercase()))
}

/// `name=value` for every attribute of `element`, in order.
pub fn attributes(element: &Element) -> Vec<String> {
    element
        .plain_attributes()
        .map(|a| format!("{}={}", a.name.as_str(), a.value))
        .collect()
}

/// The value of `key=` among a `Setting`'s words (names compare exactly,
/// as IIS reads attribute names).
pub fn arg<'a>(args: &'a [String], key: &str) -> Option<&'a str> {
    args.iter().find_map(|word| {
        word.split_once('=')
            .filter(|(name, _)| *name == key)
            .map(|(_, value)| value)
    })
}

/// An IIS boolean (`true`/`false` in any case; anything else is false).
pub fn is_true(value: &str) -> bool {
    value.trim().eq_ignore_ascii_case("true")
}

/// The flags of `sslFlags` (comma separated, spaces allowed).
pub fn ssl_flags(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|flag| !flag.is_empty())
        .map(str::to_string)
        .collect()
}

fn attr_span(file: FileId, element: &Element, name: &str) -> Span {
    element.attribute(name).map_or_else(
        || Span::new(file, element.start_tag),
        |a| Span::new(file, a.range),
    )
}

/// The subject of an ipSecurity `<add>` (or the key of a `<remove>`): an
/// address with its mask, a domain name, or what lint403 could not read.
pub fn ip_subject(address: Option<&str>, mask: Option<&str>, domain: Option<&str>) -> Subject {
    if let Some(domain) = domain.map(str::trim).filter(|d| !d.is_empty()) {
        return Subject::Host(domain.to_ascii_lowercase());
    }
    let Some(written) = address else {
        return Subject::Unknown("<add> without ipAddress or domainName".into());
    };
    let Ok(address) = written.trim().parse::<IpAddr>() else {
        return Subject::Unknown(format!("ipAddress '{written}'"));
    };
    let cidr = match mask.map(str::trim) {
        None | Some("") => Some(Cidr::host(address)),
        Some(mask) => mask
            .parse::<IpAddr>()
            .ok()
            .and_then(|mask| Cidr::with_mask(address, mask)),
    };
    match cidr {
        Some(cidr) => Subject::Ip(cidr),
        None => Subject::Unknown(format!("subnetMask '{}'", mask.unwrap_or(""))),
    }
}

fn split_list(value: Option<&str>) -> Vec<String> {
    value
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|word| !word.is_empty())
        .map(str::to_string)
        .collect()
}

/// The subject of an authorization rule (IIS `<add>` or ASP.NET
/// `<allow>`/`<deny>`): `*` all, `?` anonymous, names, roles, verbs.
pub fn authorization_subject(
    users: Option<&str>,
    roles: Option<&str>,
    verbs: Option<&str>,
) -> Subject {
    let users = split_list(users);
    let roles = split_list(roles);
    let verbs = split_list(verbs);
    if verbs.is_empty() {
        if roles.is_empty() {
            if users.iter().any(|u| u == "*") {
                return Subject::All;
            }
            if users.len() == 1 && users[0] == "?" {
                return Subject::Anonymous;
            }
            if !users.is_empty() && users.iter().all(|u| u != "?") {
                return Subject::User(users);
            }
        } else if users.is_empty() {
            return Subject::Group(roles);
        }
    }
    let mut who: Vec<Condition> = users
        .iter()
        .map(|user| match user.as_str() {
            "*" => Condition::Always,
            "?" => Condition::Var {
                name: AUTH_USER.into(),
                test: TextTest::Empty,
            },
            name => Condition::Var {
                name: AUTH_USER.into(),
                test: TextTest::Equals {
                    value: name.to_string(),
                    case_insensitive: true,
                },
            },
        })
        .collect();
    who.extend(roles.iter().map(|role| {
        Condition::All(vec![
            Condition::Var {
                name: AUTH_USER.into(),
                test: TextTest::Present,
            },
            Condition::Unknown(format!("membership of role '{role}'")),
        ])
    }));
    let mut parts = Vec::new();
    if !who.is_empty() {
        parts.push(Condition::Any(who));
    }
    if !verbs.is_empty() {
        parts.push(Condition::Method(verbs));
    }
    Subject::Expr(Box::new(Condition::All(parts)))
}

/// A pattern test in the rule's syntax, with the regex that a rewrite's
/// back-references come from.
fn text_test(syntax: &str, pattern: &str, ignore_case: bool) -> (Pattern, TextTest) {
    if syntax.eq_ignore_ascii_case("Wildcard") {
        let compiled = Pattern::new(&wildcard_regex(pattern), ignore_case);
        (compiled.clone(), TextTest::Matches(compiled))
    } else if syntax.eq_ignore_ascii_case("ExactMatch") {
        (
            Pattern::new(&format!("^{}$", escape_regex(pattern)), ignore_case),
            TextTest::Equals {
                value: pattern.to_string(),
                case_insensitive: ignore_case,
            },
        )
    } else {
        let compiled = Pattern::new(pattern, ignore_case);
        (compiled.clone(), TextTest::Matches(compiled))
    }
}

/// A rewrite `<conditions><add>` as a condition over its input.
fn rewrite_condition(syntax: &str, add: &Element) -> Condition {
    let input = add.attribute_value("input").unwrap_or("").to_string();
    let negate = add.attribute_value("negate").is_some_and(is_true);
    let ignore_case = add.attribute_value("ignoreCase").is_none_or(is_true);
    let match_type = add
        .attribute_value("matchType")
        .unwrap_or("Pattern")
        .trim()
        .to_ascii_lowercase();
    let condition = match match_type.as_str() {
        "isfile" => Condition::Var {
            name: format!("{IS_FILE}{input}"),
            test: TextTest::Truthy,
        },
        "isdirectory" => Condition::Var {
            name: format!("{IS_DIRECTORY}{input}"),
            test: TextTest::Truthy,
        },
        "pattern" => {
            let pattern = add.attribute_value("pattern").unwrap_or("");
            Condition::Var {
                name: input,
                test: text_test(syntax, pattern, ignore_case).1,
            }
        }
        other => Condition::Unknown(format!("matchType '{other}'")),
    };
    if negate {
        Condition::Not(Box::new(condition))
    } else {
        condition
    }
}

/// URL Rewrite's Wildcard syntax (`*` any run, `?` one character) as an
/// anchored regex.
fn wildcard_regex(pattern: &str) -> String {
    let mut out = String::from("^");
    for c in pattern.chars() {
        match c {
            '*' => out.push_str("(.*)"),
            '?' => out.push('.'),
            other => out.push_str(&escape_regex(&other.to_string())),
        }
    }
    out.push('$');
    out
}

fn escape_regex(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Child elements of `element` with this local name.
fn children<'e>(element: &'e Element, name: &'e str) -> impl Iterator<Item = &'e Element> {
    element
        .child_elements()
        .filter(move |c| c.name.local() == name)
}

fn child<'e>(element: &'e Element, name: &str) -> Option<&'e Element> {
    element.child_elements().find(|c| c.name.local() == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bindings() {
        assert_eq!(
            parse_binding("*:80:www.example.com"),
            Some((None, 80, "www.example.com".into()))
        );
        assert_eq!(
            parse_binding("127.0.0.1:8080:"),
            Some((Some(IpAddr::from([127, 0, 0, 1])), 8080, String::new()))
        );
        assert_eq!(
            parse_binding("[::1]:443:"),
            Some((
                Some("::1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))),
                443,
                String::new()
            ))
        );
        assert_eq!(parse_binding("nonsense"), None);
    }

    #[test]
    fn location_paths() {
        assert_eq!(clean_location_path("."), Some(String::new()));
        assert_eq!(clean_location_path("~/admin/"), Some("admin".into()));
        assert_eq!(clean_location_path("a\\b"), None);
        assert_eq!(join_prefix("", "admin"), "/admin");
        assert_eq!(join_prefix("sub", "x/y"), "/sub/x/y");
        assert_eq!(join_prefix("", ""), "/");
    }

    #[test]
    fn wildcards() {
        let pattern = Pattern::new(&wildcard_regex("img/*.png"), true);
        assert_eq!(pattern.is_match("IMG/a.png"), Some(true));
        assert_eq!(pattern.is_match("img/a.gif"), Some(false));
    }

    #[test]
    fn escaped_literals_compile() {
        let literal = "a-b~c#d&e.f[1]{2}";
        let pattern = Pattern::new(&format!("^{}$", escape_regex(literal)), false);
        assert_eq!(pattern.is_match(literal), Some(true));
        assert_eq!(pattern.is_match("a-b~c#d&eXf[1]{2}"), Some(false));
    }

    #[test]
    fn subjects() {
        assert_eq!(authorization_subject(Some("*"), None, None), Subject::All);
        assert_eq!(
            authorization_subject(Some("?"), None, None),
            Subject::Anonymous
        );
        assert_eq!(
            authorization_subject(Some("bob, alice"), None, None),
            Subject::User(vec!["bob".into(), "alice".into()])
        );
        assert!(matches!(
            authorization_subject(Some("*"), None, Some("POST")),
            Subject::Expr(_)
        ));
    }
}
