//! Lowering: an include-resolved httpd configuration (and the `.htaccess`
//! files under its document roots) into the shared [`Model`].
//!
//! - The main server is `Model::sites[0]` with a [`ScopeKind::Global`]
//!   root; each `<VirtualHost>` is a further site whose
//!   [`ScopeKind::Server`] root has the global scope as parent (its
//!   per-directory sections merge after the main server's, as httpd's
//!   `core_merge_server` appends them).
//! - Sections become scopes with matchers; `<Limit>`/`<LimitExcept>`,
//!   `<Files*>` and `<If>` nested in a section are child scopes.
//! - Each scope's `Require` lines are one `Combine { Any }` rule (httpd's
//!   implicit `<RequireAny>`), placed where the first of them stands, so a
//!   top-level `Access` rule is always a `mod_access_compat` entry
//!   (`Allow from` / `Deny from`) and an `Access` inside a `Combine` is a
//!   `Require` provider. `Require not …` is `negated`; `Allow from env=!X`
//!   too.
//! - `AuthMerging` is the scope's `access_inheritance`
//!   (`Inheritance::Replace` when unset, `Merge(Off|And|Or)` when set).
//! - What the tracer needs verbatim (`mod_rewrite`, `Options`,
//!   `AllowOverride`, `Alias`, …) is kept as `RuleKind::Setting` with the
//!   words; a `RewriteRule` is also given its shared-vocabulary view
//!   (`Respond` for `[F]`/`[G]`/`[R=4xx]`, else `Rewrite`) with the same
//!   span, right after its `Setting`.
//! - `SetEnvIf` is `SetVar` per variable (`!NAME` unsets). Conditions name
//!   server variables as `%{NAME}` in `Condition::Var` (request headers are
//!   `Condition::Header`); `%{HEADER_OR_ENV:X}` is `SetEnvIf`'s "header X,
//!   else variable X", and `%{HEADER_MATCHING:re}` the first header whose
//!   name matches `re`.
//! - A `.htaccess` directive httpd would refuse (unknown command with the
//!   loaded modules known, unknown `Require` provider, syntax error) is a
//!   `Setting` named [`INVALID`]: reading that file answers 500.

mod defaults;
mod directives;
pub(crate) mod expr;

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use lint403_core::model::{
    Action, AuthKind, AuthMerging, CombineOp, Condition, Gap, Inheritance, Listen, Matcher, Order,
    Rule, RuleKind, Satisfy, Scope, ScopeId, ScopeKind, Site, Subject, TextTest,
};
use lint403_core::{
    codes, CheckOptions, Cidr, Dialect, FileId, Model, Pattern, SourceFile, SourceMap, Span,
    TextRange, TraceOptions,
};

use crate::syntax::{Directive, Node, Section, SectionKind};
use crate::LoadedConfig;

pub use defaults::{DEBIAN_DEFAULTS, DEBIAN_DEFAULTS_PATH, DEBIAN_DOCUMENT_ROOT};
pub(crate) use directives::{lookup as lookup_directive, Class};

/// `Setting` name for a `.htaccess` line httpd refuses (500 when read);
/// its args are the message.
pub const INVALID: &str = "!invalid";

/// `Setting` name for something that hands the request to a handler
/// lint403 does not model (`SetHandler`, `ProxyPass`, `ScriptAlias`, …).
pub const HANDLER: &str = "!handler";

/// Sections and includes nested deeper than this are left out (a gap):
/// lowering recurses once per level.
const MAX_LOWERING_NESTING: usize = 256;

/// How many `.htaccess` files lowering reads, and how deep it looks.
const MAX_HTACCESS_FILES: usize = 4096;
const MAX_HTACCESS_DEPTH: usize = 32;
const MAX_DIRECTORIES_SCANNED: usize = 20_000;

/// Lowers `config` (loaded from its main file) into the shared model.
/// `.htaccess` files under the document roots and `Alias` targets are
/// found through `options.fs`, read as `.htaccess`, and added to `sources`.
pub fn lower(config: &LoadedConfig, sources: &mut SourceMap, options: &TraceOptions) -> Model {
    let mut model = Model::new(Dialect::Apache);
    let root_file = config.root().map_or(FileId(0), |root| root.file);
    let whole = sources
        .iter()
        .find(|(id, _)| *id == root_file)
        .map_or(0, |(_, source)| source.text.len());
    let global = model.add_scope(
        None,
        Scope::new(
            ScopeKind::Global,
            Matcher::All,
            Span::new(root_file, TextRange::new(0, whole)),
            Span::new(root_file, TextRange::empty(0)),
        ),
    );
    let mut lowerer = Lowerer {
        model,
        global,
        slots: HashMap::new(),
        loaded_modules: None,
        main: SiteFacts::default(),
        vhosts: Vec::new(),
        alias_targets: Vec::new(),
        access_file_name: None,
        htaccess: false,
        fs: options.fs.clone(),
        defines: config.defines.clone(),
    };
    if options.distribution_defaults {
        let file = sources.add(SourceFile::from_bytes(
            PathBuf::from(DEBIAN_DEFAULTS_PATH),
            DEBIAN_DEFAULTS.as_bytes().to_vec(),
        ));
        let tree = crate::syntax::parse(DEBIAN_DEFAULTS);
        lowerer.nodes(
            &Files::Single(file, DEBIAN_DEFAULTS),
            &tree.nodes,
            global,
            &Ctx::default(),
        );
        lowerer.main.document_root = Some((DEBIAN_DOCUMENT_ROOT.to_string(), None));
    }
    lowerer.scan_modules(config, sources);
    if let Some(root) = config.root() {
        lowerer.nodes(
            &Files::Loaded { config, sources },
            &root.tree.nodes,
            global,
            &Ctx {
                file_index: 0,
                ..Ctx::default()
            },
        );
    }
    for diagnostic in &config.diagnostics {
        if diagnostic.code == codes::SYNTAX_ERROR {
            lowerer.model.gaps.push(Gap {
                span: diagnostic.span,
                reason: format!("syntax error: {}", diagnostic.message),
            });
        }
    }
    lowerer.finish_sites();
    lowerer.read_htaccess_files(sources);
    lowerer.model.shrink_to_fit();
    lowerer.model
}

#[derive(Default, Clone)]
struct SiteFacts {
    span: Option<Span>,
    listen: Vec<Listen>,
    names: Vec<String>,
    document_root: Option<(String, Option<Span>)>,
    scope: Option<ScopeId>,
}

struct Lowerer {
    model: Model,
    global: ScopeId,
    /// Where each scope's implicit `<RequireAny>` stands in its rules.
    slots: HashMap<ScopeId, usize>,
    /// `LoadModule` symbols, when the configuration names any.
    loaded_modules: Option<HashSet<String>>,
    main: SiteFacts,
    vhosts: Vec<SiteFacts>,
    alias_targets: Vec<String>,
    access_file_name: Option<String>,
    /// Lowering a `.htaccess` file.
    htaccess: bool,
    fs: lint403_core::fsview::FsView,
    /// The `Define`d names at the end of reading (`<IfDefine>`).
    defines: crate::syntax::Defines,
}

/// Where node texts come from.
enum Files<'a> {
    Loaded {
        config: &'a LoadedConfig,
        sources: &'a SourceMap,
    },
    Single(FileId, &'a str),
}

impl Files<'_> {
    fn file_and_text(&self, index: usize) -> (FileId, &str) {
        match self {
            Files::Loaded { config, sources } => {
                let file = config
                    .files
                    .get(index)
                    .map_or(FileId(0), |loaded| loaded.file);
                (file, sources.get(file).text.as_str())
            }
            Files::Single(file, text) => (*file, text),
        }
    }

    fn included_nodes(&self, index: usize) -> Option<&[Node]> {
        match self {
            Files::Loaded { config, .. } => config
                .files
                .get(index)
                .map(|loaded| loaded.tree.nodes.as_slice()),
            Files::Single(..) => None,
        }
    }
}

#[derive(Clone, Default)]
struct Ctx {
    file_index: usize,
    /// Include nesting (the loader bounds it; this guards the walk).
    depth: usize,
    /// Sections and includes around this point: the walk recurses once per
    /// level, so deep nesting across many included files is cut off.
    nesting: usize,
    /// Site facts go to this vhost (index into `vhosts`), else the main server.
    vhost: Option<usize>,
}

fn directive_span(file: FileId, directive: &Directive) -> Span {
    Span::new(
        file,
        directive
            .name_word
            .raw()
            .cover(directive.args_range())
            .cover(directive.name_word.raw()),
    )
}

fn open_span(file: FileId, section: &Section) -> Span {
    let start = section.open.name_word.raw().start;
    let end = section
        .open
        .gt
        .map_or(section.open.line.last_piece().end, |gt| gt.end);
    Span::new(file, TextRange::new(start, end.max(start)))
}

fn section_span(file: FileId, section: &Section) -> Span {
    let start = section.open.name_word.raw().start;
    let end = section
        .close
        .as_ref()
        .map_or(section.open.line.range().end, |close| {
            close.name_word.raw().end
        });
    Span::new(file, TextRange::new(start, end.max(start)))
}

impl Lowerer {
    fn scan_modules(&mut self, config: &LoadedConfig, sources: &SourceMap) {
        let mut modules = HashSet::new();
        for loaded in &config.files {
            let text = sources.get(loaded.file).text.as_str();
            for (_, visit) in loaded.tree.walk() {
                if let crate::syntax::Visit::Enter(Node::Directive(directive)) = visit {
                    if directive.is(text, "LoadModule") {
                        if let Some(symbol) = directive.arg_values(text).next() {
                            modules.insert(symbol.to_ascii_lowercase());
                        }
                    }
                }
            }
        }
        if !modules.is_empty() {
            self.loaded_modules = Some(modules);
        }
    }

    /// Whether a module is there: named by `LoadModule`, compiled in, or
    /// (for a fragment that loads nothing) assumed.
    fn module_loaded(&self, symbol: &str) -> bool {
        if symbol == "core" {
            return true;
        }
        self.loaded_modules
            .as_ref()
            .is_none_or(|modules| modules.contains(&symbol.to_ascii_lowercase()))
    }

    fn push(&mut self, scope: ScopeId, span: Span, kind: RuleKind) {
        if let Some(target) = self.model.scopes.get_mut(scope.0) {
            target.rules.push(Rule { span, kind });
        }
    }

    fn setting(&mut self, scope: ScopeId, span: Span, name: &str, args: Vec<String>) {
        self.push(
            scope,
            span,
            RuleKind::Setting {
                name: name.to_string().into(),
                args,
            },
        );
    }

    fn gap(&mut self, span: Span, reason: impl Into<String>) {
        self.model.gaps.push(Gap {
            span,
            reason: reason.into(),
        });
    }

    /// A line httpd refuses: in `.htaccess` the directory answers 500; in
    /// the server configuration httpd would not start.
    fn invalid(&mut self, scope: ScopeId, span: Span, message: String) {
        if self.htaccess {
            self.setting(scope, span, INVALID, vec![message]);
        } else {
            self.gap(span, format!("httpd refuses this line: {message}"));
        }
    }

    fn add_require(&mut self, scope: ScopeId, rule: Rule) {
        if is_negative(&rule) {
            // mod_authz_core refuses a negation directly under the implicit
            // <RequireAny> of a section.
            self.invalid(
                scope,
                rule.span,
                "negative Require directive has no effect in <RequireAny> directive".to_string(),
            );
            return;
        }
        if let Some(&slot) = self.slots.get(&scope) {
            if let Some(RuleKind::Combine { children, .. }) = self
                .model
                .scopes
                .get_mut(scope.0)
                .and_then(|target| target.rules.get_mut(slot))
                .map(|rule| &mut rule.kind)
            {
                children.push(rule);
                return;
            }
        }
        let span = rule.span;
        let slot = self.model.scopes.get(scope.0).map_or(0, |s| s.rules.len());
        self.push(
            scope,
            span,
            RuleKind::Combine {
                op: CombineOp::Any,
                children: vec![rule],
            },
        );
        self.slots.insert(scope, slot);
    }

    fn nodes(&mut self, files: &Files<'_>, nodes: &[Node], scope: ScopeId, ctx: &Ctx) {
        let (file, text) = files.file_and_text(ctx.file_index);
        // `<ElseIf>`/`<Else>` see the conditions of the chain before them.
        let mut chain: Vec<Condition> = Vec::new();
        for node in nodes {
            match node {
                Node::Directive(directive) => {
                    chain.clear();
                    self.directive(files, file, text, directive, scope, ctx);
                }
                Node::Section(section) => {
                    if !matches!(
                        section.kind,
                        SectionKind::If | SectionKind::ElseIf | SectionKind::Else
                    ) {
                        chain.clear();
                    }
                    self.section(files, file, text, section, scope, ctx, &mut chain);
                }
                Node::Blank(_) | Node::Comment(_) | Node::Close(_) => {}
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn section(
        &mut self,
        files: &Files<'_>,
        file: FileId,
        text: &str,
        section: &Section,
        scope: ScopeId,
        ctx: &Ctx,
        chain: &mut Vec<Condition>,
    ) {
        let args: Vec<String> = section.open.arg_values(text).map(str::to_string).collect();
        let head = open_span(file, section);
        let span = section_span(file, section);
        if ctx.nesting >= MAX_LOWERING_NESTING {
            self.gap(head, "sections nested deeper than lint403 lowers");
            return;
        }
        if section.kind.is_conditional() {
            match self.conditional(section.kind, &args) {
                Some(true) => self.nodes(files, &section.body, scope, ctx),
                Some(false) => {}
                None => {
                    self.gap(
                        head,
                        "a conditional section lint403 cannot evaluate; its body is read as if true",
                    );
                    self.nodes(files, &section.body, scope, ctx);
                }
            }
            return;
        }
        let regex_form = args.first().is_some_and(|first| first == "~");
        let argument = if regex_form {
            args.get(1).cloned().unwrap_or_default()
        } else {
            args.first().cloned().unwrap_or_default()
        };
        let (kind, matcher) = match section.kind {
            SectionKind::VirtualHost => {
                self.virtual_host(files, section, &args, span, head, ctx);
                return;
            }
            SectionKind::Directory if regex_form => (
                ScopeKind::Directory,
                Matcher::DirRegex(Pattern::new(&argument, false)),
            ),
            SectionKind::Directory => (ScopeKind::Directory, Matcher::Dir(argument)),
            SectionKind::DirectoryMatch => (
                ScopeKind::Directory,
                Matcher::DirRegex(Pattern::new(&argument, false)),
            ),
            SectionKind::Files if regex_form => (
                ScopeKind::Files,
                Matcher::FileRegex(Pattern::new(&argument, false)),
            ),
            SectionKind::Files => (ScopeKind::Files, Matcher::FileName(argument)),
            SectionKind::FilesMatch => (
                ScopeKind::Files,
                Matcher::FileRegex(Pattern::new(&argument, false)),
            ),
            SectionKind::Location if regex_form => (
                ScopeKind::Location,
                Matcher::Regex(Pattern::new(&argument, false)),
            ),
            SectionKind::Location => (ScopeKind::Location, Matcher::Prefix(argument)),
            SectionKind::LocationMatch => (
                ScopeKind::Location,
                Matcher::Regex(Pattern::new(&argument, false)),
            ),
            SectionKind::If | SectionKind::ElseIf | SectionKind::Else => {
                let raw = text
                    .get(section.open.args_range().start..section.open.args_range().end)
                    .unwrap_or_default()
                    .trim();
                let raw = raw
                    .strip_prefix('"')
                    .and_then(|inner| inner.strip_suffix('"'))
                    .or_else(|| {
                        raw.strip_prefix('\'')
                            .and_then(|inner| inner.strip_suffix('\''))
                    })
                    .unwrap_or(raw);
                let own = if section.kind == SectionKind::Else {
                    Condition::Always
                } else {
                    expr::parse(raw)
                };
                if section.kind == SectionKind::If {
                    chain.clear();
                }
                let mut parts: Vec<Condition> = chain
                    .iter()
                    .map(|earlier| Condition::Not(Box::new(earlier.clone())))
                    .collect();
                parts.push(own.clone());
                chain.push(own);
                let condition = if parts.len() == 1 {
                    parts.pop().unwrap_or(Condition::Always)
                } else {
                    Condition::All(parts)
                };
                (ScopeKind::If, Matcher::If(Box::new(condition)))
            }
            SectionKind::Limit | SectionKind::LimitExcept => (
                if section.kind == SectionKind::Limit {
                    ScopeKind::Limit
                } else {
                    ScopeKind::LimitExcept
                },
                Matcher::Methods {
                    methods: args.clone(),
                    except: section.kind == SectionKind::LimitExcept,
                },
            ),
            SectionKind::RequireAll | SectionKind::RequireAny | SectionKind::RequireNone => {
                match self.require_section(text, file, section) {
                    Ok(rule) => self.add_require(scope, rule),
                    Err(message) => self.invalid(scope, head, message),
                }
                return;
            }
            SectionKind::Proxy | SectionKind::ProxyMatch => {
                self.gap(head, "<Proxy> sections (mod_proxy) are not modelled");
                return;
            }
            _ => {
                let name = section.open.name(text).to_string();
                if self.htaccess {
                    self.setting(
                        scope,
                        head,
                        INVALID,
                        vec![format!("Invalid command '<{name}'")],
                    );
                } else {
                    self.gap(head, format!("<{name}> is not modelled"));
                }
                return;
            }
        };
        let child = self
            .model
            .add_scope(Some(scope), Scope::new(kind, matcher, span, head));
        let inner = Ctx {
            nesting: ctx.nesting + 1,
            ..ctx.clone()
        };
        self.nodes(files, &section.body, child, &inner);
    }

    fn virtual_host(
        &mut self,
        files: &Files<'_>,
        section: &Section,
        args: &[String],
        span: Span,
        head: Span,
        ctx: &Ctx,
    ) {
        let scope = self.model.add_scope(
            Some(self.global),
            Scope::new(ScopeKind::Server, Matcher::All, span, head),
        );
        let listen = args
            .iter()
            .filter_map(|address| vhost_address(address, head))
            .collect();
        self.vhosts.push(SiteFacts {
            span: Some(span),
            listen,
            names: Vec::new(),
            document_root: None,
            scope: Some(scope),
        });
        let inner = Ctx {
            vhost: Some(self.vhosts.len() - 1),
            ..ctx.clone()
        };
        self.nodes(files, &section.body, scope, &inner);
    }

    /// `Some(holds)` for a conditional section lint403 can evaluate.
    fn conditional(&self, kind: SectionKind, args: &[String]) -> Option<bool> {
        let first = args.first().map_or("", String::as_str);
        let (negated, name) = match first.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, first),
        };
        let holds = match kind {
            SectionKind::IfModule => self.module_present(name),
            SectionKind::IfDefine => self.defines.is_defined(name),
            SectionKind::IfVersion => if_version(args)?,
            SectionKind::IfDirective => {
                lookup_directive(name).is_some_and(|(module, _)| self.module_loaded(module))
            }
            SectionKind::IfSection => matches!(
                name.to_ascii_lowercase().as_str(),
                "directory"
                    | "directorymatch"
                    | "files"
                    | "filesmatch"
                    | "location"
                    | "locationmatch"
                    | "if"
                    | "virtualhost"
                    | "limit"
                    | "limitexcept"
                    | "requireall"
                    | "requireany"
                    | "requirenone"
            ),
            SectionKind::IfFile => {
                let path = Path::new(name);
                if !path.is_absolute() {
                    return None;
                }
                self.fs
                    .kind(path)
                    .map(|kind| !matches!(kind, lint403_core::fsview::FileKind::Missing))?
            }
            _ => return None,
        };
        Some(holds != negated)
    }

    /// `<IfModule>`: by source name (`mod_rewrite.c`) or identifier
    /// (`rewrite_module`); `mod_rewrite` without `.c` is neither.
    fn module_present(&self, name: &str) -> bool {
        let symbol = if let Some(stem) = name
            .strip_prefix("mod_")
            .and_then(|rest| rest.strip_suffix(".c"))
        {
            format!("{stem}_module")
        } else if name.ends_with("_module") {
            name.to_string()
        } else {
            return false;
        };
        let symbol = symbol.to_ascii_lowercase();
        // Compiled into Debian's binary.
        if matches!(
            symbol.as_str(),
            "core_module"
                | "so_module"
                | "http_module"
                | "version_module"
                | "unixd_module"
                | "log_config_module"
                | "logio_module"
                | "watchdog_module"
        ) {
            return true;
        }
        match &self.loaded_modules {
            Some(modules) => modules.contains(&symbol),
            // A fragment: Debian's default modules are assumed.
            None => matches!(
                symbol.as_str(),
                "access_compat_module"
                    | "alias_module"
                    | "auth_basic_module"
                    | "authn_core_module"
                    | "authn_file_module"
                    | "authz_core_module"
                    | "authz_host_module"
                    | "authz_user_module"
                    | "autoindex_module"
                    | "deflate_module"
                    | "dir_module"
                    | "env_module"
                    | "filter_module"
                    | "mime_module"
                    | "negotiation_module"
                    | "reqtimeout_module"
                    | "setenvif_module"
                    | "status_module"
                    | "rewrite_module"
                    | "headers_module"
                    | "authz_groupfile_module"
            ),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn directive(
        &mut self,
        files: &Files<'_>,
        file: FileId,
        text: &str,
        directive: &Directive,
        scope: ScopeId,
        ctx: &Ctx,
    ) {
        let name = directive.name(text);
        let lower = name.to_ascii_lowercase();
        let span = directive_span(file, directive);
        let args: Vec<String> = directive.arg_values(text).map(str::to_string).collect();
        let raw = text
            .get(directive.args_range().start..directive.args_range().end)
            .unwrap_or_default();
        if matches!(lower.as_str(), "include" | "includeoptional") {
            if ctx.depth < crate::MAX_INCLUDE_DEPTH && ctx.nesting < MAX_LOWERING_NESTING {
                for target in directive.included() {
                    if let Some(nodes) = files.included_nodes(target.loaded) {
                        let inner = Ctx {
                            file_index: target.loaded,
                            depth: ctx.depth + 1,
                            nesting: ctx.nesting + 1,
                            ..ctx.clone()
                        };
                        self.nodes(files, nodes, scope, &inner);
                    }
                }
            }
            return;
        }
        if self.htaccess {
            match lookup_directive(name) {
                Some((module, _)) if !self.module_loaded(module) => {
                    self.invalid(
                        scope,
                        span,
                        format!("Invalid command '{name}', perhaps misspelled or defined by a module not included in the server configuration"),
                    );
                    return;
                }
                Some((_, Class::ServerOnly)) => {
                    self.invalid(scope, span, format!("{name} not allowed here"));
                    return;
                }
                None if self.loaded_modules.is_some() => {
                    self.invalid(
                        scope,
                        span,
                        format!("Invalid command '{name}', perhaps misspelled or defined by a module not included in the server configuration"),
                    );
                    return;
                }
                _ => {}
            }
        }
        let server_level =
            !self.htaccess
                && self.model.scopes.get(scope.0).is_some_and(|target| {
                    matches!(target.kind, ScopeKind::Global | ScopeKind::Server)
                });
        if server_level
            && matches!(
                lookup_directive(name),
                Some((_, Class::AuthConfig | Class::Limit))
            )
        {
            // httpd's server context excludes the AuthConfig and Limit
            // classes: "Require not allowed here", and httpd does not start.
            self.gap(
                span,
                format!(
                    "{name} not allowed here (server context): httpd refuses the configuration"
                ),
            );
            return;
        }
        match lower.as_str() {
            "require" => match require_line(raw, span) {
                Ok(rule) => self.add_require(scope, rule),
                Err(message) => self.invalid(scope, span, message),
            },
            "order" => {
                let joined = args.concat().to_ascii_lowercase();
                let order = match joined.as_str() {
                    "deny,allow" => Some(Order::DenyAllow),
                    "allow,deny" => Some(Order::AllowDeny),
                    "mutual-failure" => Some(Order::MutualFailure),
                    _ => None,
                };
                match order {
                    Some(order) => self.push(scope, span, RuleKind::Order(order)),
                    None => self.invalid(scope, span, "unknown order".to_string()),
                }
            }
            "allow" | "deny" => {
                let action = if lower == "allow" {
                    Action::Allow
                } else {
                    Action::Deny
                };
                if !args
                    .first()
                    .is_some_and(|first| first.eq_ignore_ascii_case("from"))
                {
                    self.invalid(
                        scope,
                        span,
                        "allow and deny must be followed by 'from'".to_string(),
                    );
                    return;
                }
                for host in &args[1..] {
                    match compat_host(host) {
                        Ok((subject, negated)) => self.push(
                            scope,
                            span,
                            RuleKind::Access {
                                action,
                                subject,
                                negated,
                            },
                        ),
                        Err(message) => self.invalid(scope, span, message),
                    }
                }
            }
            "satisfy" => {
                match args
                    .first()
                    .map(|value| value.to_ascii_lowercase())
                    .as_deref()
                {
                    Some("any") => self.push(scope, span, RuleKind::Satisfy(Satisfy::Any)),
                    Some("all") => self.push(scope, span, RuleKind::Satisfy(Satisfy::All)),
                    _ => self.invalid(scope, span, "Satisfy either 'any' or 'all'.".to_string()),
                }
            }
            "authmerging" => {
                let merging = match args
                    .first()
                    .map(|value| value.to_ascii_lowercase())
                    .as_deref()
                {
                    Some("off") => Some(AuthMerging::Off),
                    Some("and") => Some(AuthMerging::And),
                    Some("or") => Some(AuthMerging::Or),
                    _ => None,
                };
                match merging {
                    Some(merging) => {
                        if let Some(target) = self.model.scopes.get_mut(scope.0) {
                            target.access_inheritance = Inheritance::Merge(merging);
                        }
                        self.setting(scope, span, name, args);
                    }
                    None => self.invalid(
                        scope,
                        span,
                        "AuthMerging must be one of: Off | And | Or".to_string(),
                    ),
                }
            }
            "authtype" => {
                let value = args.first().cloned().unwrap_or_default();
                let (kind, enabled) = match value.to_ascii_lowercase().as_str() {
                    "basic" => (AuthKind::Basic, true),
                    "digest" => (AuthKind::Digest, true),
                    "form" => (AuthKind::Forms, true),
                    "none" => (AuthKind::Other("None".into()), false),
                    _ => (AuthKind::Other(value.as_str().into()), true),
                };
                self.push(
                    scope,
                    span,
                    RuleKind::Auth {
                        kind,
                        realm: None,
                        user_file: None,
                        enabled,
                    },
                );
            }
            "authname" | "authuserfile" => {
                let value = args.first().cloned();
                let (realm, user_file) = if lower == "authname" {
                    (value, None)
                } else {
                    (None, value)
                };
                // An `Auth` with an empty `Other` kind sets only its fields.
                self.push(
                    scope,
                    span,
                    RuleKind::Auth {
                        kind: AuthKind::Other("".into()),
                        realm: realm.map(Into::into),
                        user_file: user_file.map(Into::into),
                        enabled: true,
                    },
                );
            }
            "sslrequiressl" => self.push(scope, span, RuleKind::TlsRequirement { required: true }),
            "rewriterule" => self.rewrite_rule(scope, span, &args),
            "rewriteengine" | "rewriteoptions" | "rewritebase" | "rewritecond" | "rewritemap" => {
                self.setting(scope, span, name, args);
            }
            "redirect" | "redirectmatch" | "redirectpermanent" | "redirecttemp" => {
                self.redirect(scope, span, &lower, &args);
            }
            "setenvif" | "setenvifnocase" | "browsermatch" | "browsermatchnocase" => {
                self.set_env_if(scope, span, &lower, &args);
            }
            "options" => {
                let indexes = options_indexes(&args);
                self.setting(scope, span, name, args);
                if let Some(autoindex) = indexes {
                    self.push(
                        scope,
                        span,
                        RuleKind::Listing {
                            autoindex: Some(autoindex),
                            index_files: None,
                        },
                    );
                }
            }
            "directoryindex" => {
                let files = if args
                    .first()
                    .is_some_and(|first| first.eq_ignore_ascii_case("disabled"))
                {
                    Vec::new()
                } else {
                    args.clone()
                };
                self.push(
                    scope,
                    span,
                    RuleKind::Listing {
                        autoindex: None,
                        index_files: Some(files),
                    },
                );
            }
            "documentroot" => {
                let root = args.first().cloned().unwrap_or_default();
                let facts = match ctx.vhost {
                    Some(index) => self.vhosts.get_mut(index),
                    None => Some(&mut self.main),
                };
                if let Some(facts) = facts {
                    facts.document_root = Some((root, Some(span)));
                }
                self.setting(scope, span, name, args);
            }
            "servername" => {
                if let Some(first) = args.first() {
                    let name = server_name(first);
                    let facts = match ctx.vhost {
                        Some(index) => self.vhosts.get_mut(index),
                        None => Some(&mut self.main),
                    };
                    if let Some(facts) = facts {
                        facts.names.insert(0, name);
                    }
                }
            }
            "serveralias" => {
                if let Some(facts) = ctx.vhost.and_then(|index| self.vhosts.get_mut(index)) {
                    facts
                        .names
                        .extend(args.iter().map(|alias| alias.to_ascii_lowercase()));
                }
            }
            "listen" => {
                if let Some(listen) = args.first().and_then(|value| listen_address(value, span)) {
                    self.main.listen.push(listen);
                }
            }
            "accessfilename" => {
                self.access_file_name = args.first().cloned();
                self.setting(scope, span, name, args);
            }
            "alias" | "aliasmatch" => {
                if let Some(target) = args.get(1) {
                    if lower == "alias" {
                        self.alias_targets.push(target.clone());
                    }
                }
                self.setting(scope, span, name, args);
            }
            "scriptalias" | "scriptaliasmatch" => {
                self.setting(scope, span, name, args.clone());
                self.gap(
                    span,
                    "CGI scripts (ScriptAlias) answer what the script decides",
                );
            }
            "sethandler" | "addhandler" | "removehandler" | "proxypass" | "proxypassmatch"
            | "fallbackresource" | "action" => {
                self.setting(scope, span, HANDLER, {
                    let mut words = vec![name.to_string()];
                    words.extend(args);
                    words
                });
            }
            "allowoverride"
            | "allowoverridelist"
            | "directoryslash"
            | "authgroupfile"
            | "authzsendforbiddenonfailure"
            | "authbasicprovider"
            | "setenv"
            | "unsetenv"
            | "allowmethods"
            | "mergeslashes"
            | "allowencodedslashes"
            | "acceptpathinfo"
            | "errordocument" => self.setting(scope, span, name, args),
            _ => {
                if let Some((_, class)) = lookup_directive(name) {
                    // Known, and irrelevant to the status: kept so that a
                    // `.htaccess` still needs its override class.
                    if self.htaccess {
                        let _ = class;
                        self.setting(scope, span, name, args);
                    }
                } else if !is_irrelevant(&lower) {
                    self.gap(span, format!("{name} is not modelled"));
                }
            }
        }
    }

    fn rewrite_rule(&mut self, scope: ScopeId, span: Span, args: &[String]) {
        self.setting(scope, span, "RewriteRule", args.to_vec());
        let pattern = args.first().cloned().unwrap_or_default();
        let target = args.get(1).cloned().unwrap_or_default();
        let flags = args
            .get(2)
            .map(|flags| rewrite_flags(flags))
            .unwrap_or_default();
        let nocase = flags
            .iter()
            .any(|flag| flag.eq_ignore_ascii_case("NC") || flag.eq_ignore_ascii_case("nocase"));
        let (negated, source) = match pattern.strip_prefix('!') {
            Some(rest) => (true, rest.to_string()),
            None => (false, pattern.clone()),
        };
        let compiled = Pattern::new(&source, nocase);
        let status = flags.iter().find_map(|flag| {
            let lower = flag.to_ascii_lowercase();
            match lower.as_str() {
                "f" | "forbidden" => Some(403),
                "g" | "gone" => Some(410),
                _ => {
                    let code = lower
                        .strip_prefix("r=")
                        .or_else(|| lower.strip_prefix("redirect="))?;
                    code.parse::<u16>()
                        .ok()
                        .filter(|code| !(300..400).contains(code))
                }
            }
        });
        let when = {
            let path = Condition::Path(TextTest::Matches(compiled.clone()));
            if negated {
                Condition::Not(Box::new(path))
            } else {
                path
            }
        };
        match status {
            Some(status) => self.push(
                scope,
                span,
                RuleKind::Respond {
                    status,
                    substatus: None,
                    when: Box::new(when),
                },
            ),
            None => self.push(
                scope,
                span,
                RuleKind::Rewrite {
                    pattern: Box::new(compiled),
                    target: target.into(),
                    flags: flags.into(),
                    when: Box::new(when),
                },
            ),
        }
    }

    fn redirect(&mut self, scope: ScopeId, span: Span, lower: &str, args: &[String]) {
        let mut words: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut status = match lower {
            "redirectpermanent" => 301,
            _ => 302,
        };
        if lower == "redirect" || lower == "redirectmatch" {
            if let Some(first) = words.first().copied() {
                let named = match first.to_ascii_lowercase().as_str() {
                    "permanent" => Some(301),
                    "temp" => Some(302),
                    "seeother" => Some(303),
                    "gone" => Some(410),
                    number => number.parse::<u16>().ok(),
                };
                if let Some(code) = named {
                    status = code;
                    words.remove(0);
                }
            }
        }
        let Some(path) = words.first() else {
            self.invalid(scope, span, "Redirect needs a path".to_string());
            return;
        };
        let when = if lower == "redirectmatch" {
            Condition::Path(TextTest::Matches(Pattern::new(path, false)))
        } else {
            let trimmed = path.trim_end_matches('/');
            Condition::Path(TextTest::Matches(Pattern::new(
                &format!("^{}(/|$)", regex_escape(trimmed)),
                false,
            )))
        };
        self.push(
            scope,
            span,
            RuleKind::Respond {
                status,
                substatus: None,
                when: Box::new(when),
            },
        );
    }

    fn set_env_if(&mut self, scope: ScopeId, span: Span, lower: &str, args: &[String]) {
        let browser = lower.starts_with("browsermatch");
        let nocase = lower.ends_with("nocase");
        let (attribute, regex, assignments) = if browser {
            let Some(regex) = args.first() else {
                self.invalid(scope, span, "BrowserMatch needs a regex".to_string());
                return;
            };
            ("User-Agent".to_string(), regex.clone(), &args[1..])
        } else {
            let (Some(attribute), Some(regex)) = (args.first(), args.get(1)) else {
                self.invalid(
                    scope,
                    span,
                    "SetEnvIf needs an attribute and a regex".to_string(),
                );
                return;
            };
            (attribute.clone(), regex.clone(), &args[2..])
        };
        let test = TextTest::Matches(Pattern::new(&regex, nocase));
        let when = setenvif_condition(&attribute, &test);
        for assignment in assignments {
            let (name, value) = if let Some(unset) = assignment.strip_prefix('!') {
                (format!("!{unset}"), String::new())
            } else if let Some((name, value)) = assignment.split_once('=') {
                (name.to_string(), value.to_string())
            } else {
                (assignment.clone(), "1".to_string())
            };
            self.push(
                scope,
                span,
                RuleKind::SetVar {
                    name,
                    value: value.into(),
                    when: Box::new(when.clone()),
                },
            );
        }
    }

    fn require_section(&self, text: &str, file: FileId, section: &Section) -> Result<Rule, String> {
        let (op, negate) = match section.kind {
            SectionKind::RequireAll => (CombineOp::All, false),
            SectionKind::RequireNone => (CombineOp::None, true),
            _ => (CombineOp::Any, false),
        };
        let _ = negate;
        let mut children = Vec::new();
        for node in &section.body {
            match node {
                Node::Directive(directive) if directive.is(text, "Require") => {
                    let raw = text
                        .get(directive.args_range().start..directive.args_range().end)
                        .unwrap_or_default();
                    let rule = require_line(raw, directive_span(file, directive))?;
                    if op == CombineOp::Any && is_negative(&rule) {
                        return Err(
                            "negative Require directive has no effect in <RequireAny> directive"
                                .to_string(),
                        );
                    }
                    children.push(rule);
                }
                Node::Section(inner)
                    if matches!(
                        inner.kind,
                        SectionKind::RequireAll
                            | SectionKind::RequireAny
                            | SectionKind::RequireNone
                    ) =>
                {
                    let rule = self.require_section(text, file, inner)?;
                    if op == CombineOp::Any && is_negative(&rule) {
                        return Err(
                            "<RequireNone> directive has no effect in <RequireAny> directive"
                                .to_string(),
                        );
                    }
                    children.push(rule);
                }
                Node::Section(inner) if inner.kind.is_conditional() => {
                    let args: Vec<String> =
                        inner.open.arg_values(text).map(str::to_string).collect();
                    if self.conditional(inner.kind, &args).unwrap_or(true) {
                        let nested = Section {
                            kind: section.kind,
                            open: section.open.clone(),
                            body: inner.body.clone(),
                            close: None,
                            flattened: false,
                        };
                        if let Ok(Rule {
                            kind: RuleKind::Combine { children: more, .. },
                            ..
                        }) = self.require_section(text, file, &nested)
                        {
                            children.extend(more);
                        }
                    }
                }
                Node::Directive(directive) => {
                    return Err(format!(
                        "{} not allowed in <{}> context",
                        directive.name(text),
                        section.open.name(text)
                    ));
                }
                _ => {}
            }
        }
        if children.is_empty() {
            return Err(format!(
                "<{}> directive contains no authorization directives",
                section.open.name(text)
            ));
        }
        Ok(Rule {
            span: open_span(file, section),
            kind: RuleKind::Combine { op, children },
        })
    }

    fn finish_sites(&mut self) {
        let main_root = self
            .main
            .document_root
            .clone()
            .unwrap_or_else(|| (DEBIAN_DOCUMENT_ROOT.to_string(), None));
        let main_span = self.model.scope(self.global).span;
        let main = self.main.clone();
        self.model.sites.push(Site {
            span: main.span.unwrap_or(main_span),
            listen: main.listen.clone(),
            names: main.names.clone(),
            document_roots: vec![main_root.0.clone()],
            root: self.global,
        });
        for vhost in std::mem::take(&mut self.vhosts) {
            let root = vhost
                .document_root
                .clone()
                .map_or_else(|| main_root.0.clone(), |(root, _)| root);
            let listen = vhost.listen.clone();
            self.model.sites.push(Site {
                span: vhost.span.unwrap_or(main_span),
                listen,
                names: vhost.names,
                document_roots: vec![root],
                root: vhost.scope.unwrap_or(self.global),
            });
        }
    }

    /// Finds the `.htaccess` files under every document root and `Alias`
    /// target, and lowers each into a [`ScopeKind::Htaccess`] scope whose
    /// matcher is its directory.
    fn read_htaccess_files(&mut self, sources: &mut SourceMap) {
        let name = self
            .access_file_name
            .clone()
            .unwrap_or_else(|| ".htaccess".to_string());
        let mut roots: Vec<String> = self
            .model
            .sites
            .iter()
            .flat_map(|site| site.document_roots.clone())
            .collect();
        roots.extend(self.alias_targets.clone());
        let mut seen = HashSet::new();
        let mut found = Vec::new();
        let mut scanned = 0;
        for root in roots {
            let deploy = PathBuf::from(root.trim_end_matches('/'));
            let Some(local) = self.fs.local(&deploy) else {
                continue;
            };
            let mut stack = vec![(deploy, local, 0usize)];
            while let Some((deploy_dir, local_dir, depth)) = stack.pop() {
                scanned += 1;
                if scanned > MAX_DIRECTORIES_SCANNED || found.len() >= MAX_HTACCESS_FILES {
                    break;
                }
                if !seen.insert(deploy_dir.clone()) {
                    continue;
                }
                let candidate = local_dir.join(&name);
                if candidate.is_file() {
                    found.push((deploy_dir.clone(), candidate));
                }
                if depth >= MAX_HTACCESS_DEPTH {
                    continue;
                }
                let Ok(entries) = std::fs::read_dir(&local_dir) else {
                    continue;
                };
                let mut children: Vec<_> = entries
                    .filter_map(Result::ok)
                    .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_dir()))
                    .map(|entry| entry.file_name())
                    .collect();
                children.sort();
                for child in children.into_iter().rev() {
                    stack.push((deploy_dir.join(&child), local_dir.join(&child), depth + 1));
                }
            }
        }
        for (deploy_dir, local) in found {
            let source = match lint403_core::read::read_source(&local) {
                Ok(source) => source,
                Err(_) => SourceFile::from_bytes(local.clone(), Vec::new()),
            };
            let file = sources.add(source);
            let options = CheckOptions {
                context: Some("htaccess".to_string()),
                ..CheckOptions::default()
            };
            let loaded = crate::load(sources, file, &options);
            self.lower_htaccess(&loaded, sources, file, &deploy_dir);
        }
    }

    fn lower_htaccess(
        &mut self,
        loaded: &LoadedConfig,
        sources: &SourceMap,
        file: FileId,
        deploy_dir: &Path,
    ) {
        let text_len = sources.get(file).text.len();
        let directory = format!("{}/", deploy_dir.to_string_lossy().trim_end_matches('/'));
        let scope = self.model.add_scope(
            None,
            Scope::new(
                ScopeKind::Htaccess,
                Matcher::Dir(directory),
                Span::new(file, TextRange::new(0, text_len)),
                Span::new(file, TextRange::empty(0)),
            ),
        );
        for diagnostic in &loaded.diagnostics {
            if diagnostic.code == codes::SYNTAX_ERROR
                || diagnostic.code == codes::DIRECTIVE_NOT_ALLOWED_HERE
            {
                self.setting(
                    scope,
                    diagnostic.span,
                    INVALID,
                    vec![diagnostic.message.clone()],
                );
            }
        }
        self.htaccess = true;
        if let Some(root) = loaded.root() {
            self.nodes(
                &Files::Loaded {
                    config: loaded,
                    sources,
                },
                &root.tree.nodes,
                scope,
                &Ctx { ..Ctx::default() },
            );
        }
        self.htaccess = false;
    }
}

/// `Require not …` and `<RequireNone>`.
fn is_negative(rule: &Rule) -> bool {
    matches!(
        rule.kind,
        RuleKind::Access { negated: true, .. }
            | RuleKind::Combine {
                op: CombineOp::None,
                ..
            }
    )
}

/// Directives with no bearing on the status lint403 traces.
fn is_irrelevant(lower: &str) -> bool {
    matches!(
        lower,
        "loadmodule"
            | "serverroot"
            | "defaultruntimedir"
            | "pidfile"
            | "mutex"
            | "user"
            | "group"
            | "servertokens"
            | "serversignature"
            | "serveradmin"
            | "timeout"
            | "keepalive"
            | "keepalivetimeout"
            | "maxkeepaliverequests"
            | "startservers"
            | "minspareservers"
            | "maxspareservers"
            | "serverlimit"
            | "maxrequestworkers"
            | "maxclients"
            | "maxconnectionsperchild"
            | "maxrequestsperchild"
            | "threadsperchild"
            | "minsparethreads"
            | "maxsparethreads"
            | "threadlimit"
            | "hostnamelookups"
            | "usecanonicalname"
            | "errorlog"
            | "customlog"
            | "transferlog"
            | "logformat"
            | "loglevel"
            | "typesconfig"
            | "addtype"
            | "adddefaultcharset"
            | "addcharset"
            | "addlanguage"
            | "addencoding"
            | "addoutputfilterbytype"
            | "header"
            | "requestheader"
            | "define"
            | "undefine"
            | "traceenable"
            | "enablesendfile"
            | "enablemmap"
            | "fileetag"
            | "expiresactive"
            | "expiresbytype"
            | "expiresdefault"
            | "indexoptions"
            | "indexignore"
            | "addicon"
            | "addiconbytype"
            | "addiconbyencoding"
            | "defaulticon"
            | "readmename"
            | "headername"
            | "adddescription"
            | "addalt"
            | "addaltbytype"
            | "addaltbyencoding"
            | "languagepriority"
            | "forcelanguagepriority"
            | "browsermatchnocase_"
            | "rewritelog"
            | "rewriteloglevel"
    )
}

/// One `Require` line (its raw arguments) as a rule.
pub(crate) fn require_line(raw: &str, span: Span) -> Result<Rule, String> {
    let raw = raw.trim();
    let (first, rest) = split_word(raw);
    let (negated, provider, rest) = if first.eq_ignore_ascii_case("not") {
        let (provider, rest) = split_word(rest);
        (true, provider, rest)
    } else {
        (false, first, rest)
    };
    let words = crate::syntax::argument_values(rest);
    let access = |subject: Subject| Rule {
        span,
        kind: RuleKind::Access {
            action: Action::Allow,
            subject,
            negated,
        },
    };
    let many = |mut subjects: Vec<Subject>| -> Rule {
        if subjects.len() == 1 {
            if let Some(subject) = subjects.pop() {
                return access(subject);
            }
        }
        Rule {
            span,
            kind: RuleKind::Combine {
                op: if negated {
                    CombineOp::None
                } else {
                    CombineOp::Any
                },
                children: subjects
                    .into_iter()
                    .map(|subject| Rule {
                        span,
                        kind: RuleKind::Access {
                            action: Action::Allow,
                            subject,
                            negated: false,
                        },
                    })
                    .collect(),
            },
        }
    };
    // Provider names are case-sensitive (`Require ALL granted` is refused).
    match provider {
        "all" => match rest.trim().to_ascii_lowercase().as_str() {
            "granted" => Ok(access(Subject::All)),
            "denied" => Ok(Rule {
                span,
                kind: RuleKind::Access {
                    action: Action::Deny,
                    subject: Subject::All,
                    negated,
                },
            }),
            _ => Err("Argument for 'Require all' must be 'granted' or 'denied'".to_string()),
        },
        "ip" => {
            if words.is_empty() {
                return Err("Your 'Require ip' must have an argument".to_string());
            }
            let mut subjects = Vec::new();
            for word in &words {
                let cidr = parse_address(word)
                    .ok_or_else(|| format!("ip address '{word}' appears to be invalid"))?;
                subjects.push(Subject::Ip(cidr));
            }
            Ok(many(subjects))
        }
        "local" => Ok(many(vec![
            Subject::Ip(
                Cidr::parse("127.0.0.0/8").unwrap_or(Cidr::host(IpAddr::from([127, 0, 0, 1]))),
            ),
            Subject::Ip(Cidr::host(IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1]))),
        ])),
        "host" => Ok(many(words.into_iter().map(Subject::Host).collect())),
        "env" => {
            if words.is_empty() {
                return Err("Require env needs a variable".to_string());
            }
            Ok(many(words.into_iter().map(Subject::Env).collect()))
        }
        "user" => Ok(access(Subject::User(words))),
        "group" => Ok(access(Subject::Group(words))),
        "valid-user" => Ok(access(Subject::ValidUser)),
        "method" => {
            for word in &words {
                if !is_method_name(word) {
                    return Err(format!("Invalid Method '{word}'"));
                }
            }
            Ok(access(Subject::Method(words)))
        }
        "expr" => {
            let text = rest.trim();
            let text = text
                .strip_prefix('"')
                .and_then(|inner| inner.strip_suffix('"'))
                .unwrap_or(text);
            Ok(access(Subject::Expr(Box::new(expr::parse(text)))))
        }
        "forward-dns" | "file-owner" | "file-group" | "ldap-user" | "ldap-group" | "ldap-dn"
        | "ldap-attribute" | "ldap-filter" | "dbd-group" | "dbm-group" | "owner" => {
            Ok(access(Subject::Unknown(raw.to_string())))
        }
        "" => Err("Require needs a provider".to_string()),
        other => Err(format!("Unknown Authz provider: {other}")),
    }
}

fn is_method_name(word: &str) -> bool {
    matches!(
        word,
        "GET"
            | "PUT"
            | "POST"
            | "DELETE"
            | "CONNECT"
            | "OPTIONS"
            | "TRACE"
            | "PATCH"
            | "PROPFIND"
            | "PROPPATCH"
            | "MKCOL"
            | "COPY"
            | "MOVE"
            | "LOCK"
            | "UNLOCK"
            | "VERSION-CONTROL"
            | "CHECKOUT"
            | "UNCHECKOUT"
            | "CHECKIN"
            | "UPDATE"
            | "LABEL"
            | "REPORT"
            | "MKWORKSPACE"
            | "MKACTIVITY"
            | "BASELINE-CONTROL"
            | "MERGE"
            | "HEAD"
    )
}

fn split_word(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    match text.find(char::is_whitespace) {
        Some(at) => (&text[..at], &text[at..]),
        None => (text, ""),
    }
}

/// An address as `Require ip` and `Allow from` read it: CIDR, netmask,
/// a full address, or a partial one (`10.1`, `192.168.`).
pub fn parse_address(text: &str) -> Option<Cidr> {
    if let Some((address, mask)) = text.split_once('/') {
        if mask.contains('.') || mask.contains(':') {
            let address: IpAddr = address.parse().ok()?;
            let mask: IpAddr = mask.parse().ok()?;
            return Cidr::with_mask(address, mask);
        }
        let address = full_or_partial(address)?;
        if mask.is_empty() || !mask.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        return Cidr::new(address.network, mask.parse().ok()?);
    }
    full_or_partial(text)
}

fn full_or_partial(text: &str) -> Option<Cidr> {
    if let Ok(address) = text.parse::<IpAddr>() {
        return Some(Cidr::host(address));
    }
    let trimmed = text.strip_suffix('.').unwrap_or(text);
    let octets: Vec<&str> = trimmed.split('.').collect();
    if octets.is_empty() || octets.len() > 3 {
        return None;
    }
    let mut bytes = [0u8; 4];
    for (index, octet) in octets.iter().enumerate() {
        if octet.is_empty() || !octet.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        bytes[index] = octet.parse().ok()?;
    }
    let prefix = 8 * octets.len();
    Cidr::new(IpAddr::from(bytes), u8::try_from(prefix).ok()?)
}

/// One `Allow from` / `Deny from` host.
fn compat_host(host: &str) -> Result<(Subject, bool), String> {
    let lower = host.to_ascii_lowercase();
    if let Some(var) = lower.strip_prefix("env=!") {
        return Ok((Subject::Env(host[5..].to_string()), true)).map(|(s, n)| {
            let _ = var;
            (s, n)
        });
    }
    if lower.starts_with("env=") {
        return Ok((Subject::Env(host[4..].to_string()), false));
    }
    if lower == "all" {
        return Ok((Subject::All, false));
    }
    if host.contains('/') {
        return parse_address(host)
            .map(|cidr| (Subject::Ip(cidr), false))
            .ok_or_else(|| "An IP address was expected".to_string());
    }
    if host.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        || (host.contains(':') && host.parse::<IpAddr>().is_ok())
    {
        return parse_address(host)
            .map(|cidr| (Subject::Ip(cidr), false))
            .ok_or_else(|| "An IP address was expected".to_string());
    }
    Ok((Subject::Host(lower), false))
}

/// `SetEnvIf`'s attribute: a special name, a header (a regex names
/// headers), else a variable set earlier.
fn setenvif_condition(attribute: &str, test: &TextTest) -> Condition {
    let var = |name: &str| Condition::Var {
        name: name.to_string(),
        test: test.clone(),
    };
    match attribute.to_ascii_lowercase().as_str() {
        "remote_addr" => var("%{REMOTE_ADDR}"),
        "remote_host" => var("%{REMOTE_HOST}"),
        "remote_user" => var("%{REMOTE_USER}"),
        "server_addr" => var("%{SERVER_ADDR}"),
        "request_method" => var("%{REQUEST_METHOD}"),
        "request_protocol" => var("%{REQUEST_PROTOCOL}"),
        "request_uri" => Condition::Path(test.clone()),
        _ if attribute.contains([
            '^', '$', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '\\', '.',
        ]) =>
        {
            var(&format!("%{{HEADER_MATCHING:{attribute}}}"))
        }
        _ => var(&format!("%{{HEADER_OR_ENV:{attribute}}}")),
    }
}

/// Whether `Options` leaves `Indexes` on or off, when it decides.
fn options_indexes(args: &[String]) -> Option<bool> {
    let mut absolute = None;
    let mut relative = None;
    for word in args {
        let lower = word.to_ascii_lowercase();
        match lower.as_str() {
            "+indexes" => relative = Some(true),
            "-indexes" => relative = Some(false),
            "all" | "indexes" => absolute = Some(true),
            _ if !lower.starts_with(['+', '-']) => {
                absolute.get_or_insert(false);
            }
            _ => {}
        }
    }
    absolute.or(relative)
}

fn rewrite_flags(text: &str) -> Vec<String> {
    let inner = text
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(text);
    inner
        .split(',')
        .map(|flag| flag.trim().to_string())
        .filter(|flag| !flag.is_empty())
        .collect()
}

fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn server_name(value: &str) -> String {
    let value = value
        .split_once("://")
        .map_or(value, |(_, rest)| rest)
        .to_ascii_lowercase();
    match value.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !host.is_empty() => {
            host.to_string()
        }
        _ => value,
    }
}

/// `Listen [addr:]port [protocol]`.
fn listen_address(value: &str, span: Span) -> Option<Listen> {
    let (address, port) = split_host_port(value);
    let port = port?.parse().ok()?;
    Some(Listen {
        address,
        port,
        default_server: false,
        tls: port == 443,
        span: Some(span),
    })
}

/// `<VirtualHost addr[:port] ...>`; a missing or `*` port is 0 (any).
fn vhost_address(value: &str, span: Span) -> Option<Listen> {
    let (address, port) = split_host_port(value);
    let port = match port {
        Some("*") | None => 0,
        Some(port) => port.parse().ok()?,
    };
    Some(Listen {
        address,
        port,
        default_server: value.starts_with("_default_"),
        tls: port == 443,
        span: Some(span),
    })
}

fn split_host_port(value: &str) -> (Option<IpAddr>, Option<&str>) {
    if let Some(rest) = value.strip_prefix('[') {
        if let Some((host, tail)) = rest.split_once(']') {
            return (host.parse().ok(), tail.strip_prefix(':'));
        }
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        return (None, Some(value));
    }
    match value.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => (host.parse().ok(), Some(port)),
        _ => (value.parse().ok(), None),
    }
}

/// `<IfVersion [op] version>` against httpd 2.4.
fn if_version(args: &[String]) -> Option<bool> {
    const RUNNING: [u32; 3] = [2, 4, 71];
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let (op, version) = match words.as_slice() {
        [version] => ("=", *version),
        [op, version] => (*op, *version),
        _ => return None,
    };
    let (negated, op) = match op.strip_prefix('!') {
        Some(rest) => (true, if rest.is_empty() { "=" } else { rest }),
        None => (false, op),
    };
    if op == "~" || version.starts_with('/') {
        return None;
    }
    let mut parts = [0u32; 3];
    let mut given = 0;
    for (index, part) in version.split('.').enumerate().take(3) {
        parts[index] = part.parse().ok()?;
        given = index + 1;
    }
    let running = &RUNNING[..given];
    let wanted = &parts[..given];
    let holds = match op {
        "=" | "==" => running == wanted,
        ">" => running > wanted,
        ">=" => running >= wanted,
        "<" => running < wanted,
        "<=" => running <= wanted,
        _ => return None,
    };
    Some(holds != negated)
}

/// The `AllowOverride` class a rule of a `.htaccess` needs, when it is
/// one (`None`: no class check, or lint403 cannot tell).
pub(crate) fn class_of(rule: &Rule, top_level: bool) -> Option<(Class, String)> {
    let named = |name: &str| lookup_directive(name).map(|(_, class)| (class, name.to_string()));
    match &rule.kind {
        RuleKind::Access { .. } if top_level => named("Allow"),
        RuleKind::Combine { .. } | RuleKind::Access { .. } => {
            Some((Class::AuthConfig, "Require".to_string()))
        }
        RuleKind::Order(_) => named("Order"),
        RuleKind::Satisfy(_) => named("Satisfy"),
        RuleKind::Auth { .. } => named("AuthType"),
        RuleKind::TlsRequirement { .. } => named("SSLRequireSSL"),
        RuleKind::SetVar { .. } => named("SetEnvIf"),
        RuleKind::Listing {
            index_files: Some(_),
            ..
        } => named("DirectoryIndex"),
        RuleKind::Setting { name, .. } if name != HANDLER && name != INVALID => named(name),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_addresses_and_masks() {
        assert_eq!(parse_address("10.1").map(|c| c.prefix), Some(16));
        assert_eq!(parse_address("192.168.").map(|c| c.prefix), Some(16));
        assert_eq!(
            parse_address("127.0.0.1/255.255.0.0").map(|c| c.prefix),
            Some(16)
        );
        assert_eq!(parse_address("127.0.0.1/16").map(|c| c.prefix), Some(16));
        assert_eq!(parse_address("::1").map(|c| c.prefix), Some(128));
        assert_eq!(parse_address("10.0.0.300"), None);
        assert_eq!(parse_address("example.com"), None);
    }

    #[test]
    fn versions() {
        assert_eq!(if_version(&[">=".into(), "2.4".into()]), Some(true));
        assert_eq!(if_version(&["<".into(), "2.4".into()]), Some(false));
        assert_eq!(if_version(&["2.4".into()]), Some(true));
    }
}
