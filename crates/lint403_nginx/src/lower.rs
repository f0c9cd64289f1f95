//! The include-resolved nginx tree, lowered into the shared model.
//!
//! One [`Site`] per `server`, one [`Scope`] per `http`, `server`,
//! `location`, `if` and `limit_except`, and in each scope its directives in
//! file order as [`Rule`]s with their spans. Directives the shared
//! vocabulary has no word for are kept as [`RuleKind::Setting`] with their
//! argument values, so the tracer (and later rules) see everything.
//!
//! Conventions the tracer relies on (all nginx-only, so they live here,
//! not in core):
//! - an `if` block is a child scope *and* a `Setting { name: "if", args:
//!   [scope index] }` at its place among the parent's rules, because nginx
//!   runs the `if` between the rewrite directives around it;
//! - `return` is a [`RuleKind::Respond`]; when it carries a text or URL a
//!   `Setting { name: "return-text", args: [text] }` comes right before it
//!   (a returned error code with a body skips `error_page`);
//! - `auth_basic` is an [`RuleKind::Auth`] without a user file,
//!   `auth_basic_user_file` one with `user_file` set and no realm;
//! - `map` and `geo` go into [`Model::global`]: a `Setting { name: "map" |
//!   "geo", args: [source, variable] }`, then one [`RuleKind::SetVar`] per
//!   entry in nginx's order of priority (first match wins), the default
//!   last. A `Condition::Var` whose name starts with `$` is a template
//!   (a `map` source made of several variables);
//! - `Setting { name: "conf-prefix", args: [dir] }` in [`Model::global`]
//!   is where relative paths (user files) resolve;
//! - a model lowered for verdicts only ([`TraceOptions::verdict_only`], the
//!   lint rules' probes) keeps no `Setting` the tracer does not read
//!   ([`read_by_tracer`]); the gaps such directives cause are kept.

use std::net::IpAddr;

use lint403_core::model::{
    Action, AuthKind, Condition, FileTest, Gap, Inheritance, Listen, Matcher, Rule, RuleKind,
    Satisfy, Scope, ScopeId, ScopeKind, Site, Subject, TextTest,
};
use lint403_core::{
    Cidr, Dialect, FileId, Model, Pattern, SourceMap, Span, TextRange, TraceOptions,
};

use crate::directives::Context;
use crate::syntax::{BodyKind, Directive, Item};
use crate::LoadedConfig;

/// Directives whose presence hands the request to a handler lint403 does
/// not run (an upstream, a script, a status page).
pub const CONTENT_HANDLERS: &[&str] = &[
    "proxy_pass",
    "fastcgi_pass",
    "uwsgi_pass",
    "scgi_pass",
    "grpc_pass",
    "memcached_pass",
    "stub_status",
    "empty_gif",
    "js_content",
    "perl",
    "flv",
    "mp4",
    "content_by_lua",
    "content_by_lua_block",
    "content_by_lua_file",
    "dav_methods",
];

/// The simple directives that lower into something other than a
/// [`RuleKind::Setting`] (the arms of `Lowerer::rule`): with
/// [`read_by_tracer`], what a verdict-only scope has room made for.
const MODELLED: &[&str] = &[
    "allow",
    "deny",
    "return",
    "rewrite",
    "set",
    "valid_referers",
    "autoindex",
    "index",
    "auth_basic",
    "auth_basic_user_file",
    "auth_request",
    "satisfy",
];

/// The settings the tracer reads by name, besides [`CONTENT_HANDLERS`] and
/// [`OPAQUE_ACCESS`] (the synthetic ones — `return-text`, `map`, `geo`,
/// `conf-prefix`, `opaque-variable` — are always kept; `if` is one too,
/// and kept under the same name when it stands where nginx refuses it).
const TRACED_SETTINGS: &[&str] = &[
    "if",
    "root",
    "alias",
    "try_files",
    "internal",
    "error_page",
    "recursive_error_pages",
    "disable_symlinks",
    "fastcgi_index",
    "fastcgi_split_path_info",
    "merge_slashes",
    "set_real_ip_from",
    "real_ip_header",
    "real_ip_recursive",
    "break",
];

/// Whether the tracer reads a setting named `name`. A model lowered for
/// verdicts only keeps no other: a large configuration's
/// `proxy_set_header`, `fastcgi_param`, `add_header` and `access_log` lines
/// were a third of its rules and two thirds of its words, and no verdict
/// reads them.
pub fn read_by_tracer(name: &str) -> bool {
    [TRACED_SETTINGS, CONTENT_HANDLERS, OPAQUE_ACCESS]
        .iter()
        .any(|names| names.contains(&name))
}

/// Whether a directive is in [`MODELLED`], and whether the tracer reads
/// it ([`read_by_tracer`]): a verdict-only lowering asks both of every
/// directive, and for the names nginx knows the answers are kept by their
/// place in its table instead of being searched for in these lists.
fn modelled_and_read(directive: &Directive, text: &str) -> (bool, bool) {
    static BY_SLOT: std::sync::LazyLock<Vec<(bool, bool)>> = std::sync::LazyLock::new(|| {
        let mut slots = vec![(false, false); crate::directives::table_len()];
        for name in crate::directives::names() {
            let slot = crate::directives::name_index(name).map(crate::directives::NameIndex::slot);
            if let Some(answer) = slot.and_then(|slot| slots.get_mut(slot)) {
                *answer = (MODELLED.contains(&name), read_by_tracer(name));
            }
        }
        slots
    });
    if let Some(&answer) = directive
        .name_index()
        .and_then(|index| BY_SLOT.get(index.slot()))
    {
        return answer;
    }
    let name = directive.name(text);
    (MODELLED.contains(&name.as_ref()), read_by_tracer(&name))
}

/// Directives that decide access (or rewrite the request) in ways lint403
/// does not model: a trace that reaches one answers "unknown".
pub const OPAQUE_ACCESS: &[&str] = &[
    "access_by_lua",
    "access_by_lua_block",
    "access_by_lua_file",
    "rewrite_by_lua",
    "rewrite_by_lua_block",
    "rewrite_by_lua_file",
    "js_access",
    "auth_jwt",
    "modsecurity",
    "naxsi",
];

/// Turns `config` into the shared model. `sources` must hold every file
/// `config` read. Never fails: what cannot be represented goes into
/// [`Model::gaps`].
pub fn lower(config: &LoadedConfig, sources: &mut SourceMap, options: &TraceOptions) -> Model {
    lower_on(config, sources, options, 1)
}

/// [`lower`] on up to `threads` threads: the `server` blocks of `http`
/// are lowered side by side, each into a model of its own, and joined in
/// reading order, so the model is the one [`lower`] makes on one thread
/// (tested). A large configuration's lowering took a third of a second on
/// one core at the benchmark's scale 100.
pub fn lower_on(
    config: &LoadedConfig,
    sources: &mut SourceMap,
    options: &TraceOptions,
    threads: usize,
) -> Model {
    let sources: &SourceMap = sources;
    let mut lowerer = Lowerer::outer(config, sources, options, threads, false);
    if let Some(deferred) = lowerer.deferred.take() {
        // A few hundred at a time, so the servers' own models are not all
        // held beside the joined one.
        let mut outer = Outer {
            gaps: std::mem::take(&mut lowerer.model.gaps).into_iter(),
            gaps_taken: 0,
            global: std::mem::take(&mut lowerer.model.global).into_iter(),
            global_taken: 0,
        };
        for chunk in deferred.chunks(SERVERS_PER_CHUNK) {
            let servers = lowerer.lower_servers(chunk, threads);
            lowerer.join(chunk, servers, Some(&mut outer));
        }
        lowerer.model.gaps.extend(outer.gaps);
        lowerer.model.global.extend(outer.global);
    }
    lowerer.finish_sites(0);
    lowerer.model
}

/// The configuration lowered a window of `servers_per_window` `server`
/// blocks at a time: `visit` gets a model with what `http` and the main
/// context hold and the window's servers (their sites numbered from the
/// first, gaps and global rules after the shared ones) and where the
/// shared part ends, and gives it back to be emptied of the window's
/// servers before the next one. Traced with `Request::site` set, a
/// window's site answers as in the whole model (every site is chosen by
/// its `SiteId` there, and nginx never takes a request from one `server`
/// to another); the whole model of a large configuration takes as much
/// memory as its syntax trees, and a window a few megabytes. A
/// configuration without `http` servers (a fragment of a `server`) is one
/// window.
///
/// With `mentioning`, a server whose text (its includes followed) does not
/// hold that word, ASCII case aside, nor a variable a `map` outside the
/// servers sets from it, is left out (all are kept when anything else
/// outside the servers but a `log_format` holds it): a rule about the
/// Referer needs only the servers that read it.
pub fn lower_in_windows(
    config: &LoadedConfig,
    sources: &SourceMap,
    options: &TraceOptions,
    threads: usize,
    servers_per_window: usize,
    mentioning: Option<&str>,
    mut visit: impl FnMut(Model, &lint403_core::model::ModelMark) -> Model,
) {
    let mut lowerer = Lowerer::outer(config, sources, options, threads, true);
    let mut deferred = lowerer.deferred.take().unwrap_or_default();
    if let Some(word) = mentioning {
        if let Some(search) = Mentions::for_servers(config, sources, word) {
            deferred.retain(|server| {
                search.in_server(
                    server.entry.file,
                    server.entry.directive,
                    &mut server.files_open.clone(),
                )
            });
        }
    }
    lowerer.finish_sites(0);
    let shared = lowerer.model.mark();
    if deferred.is_empty() {
        visit(lowerer.model, &shared);
        return;
    }
    for chunk in deferred.chunks(servers_per_window.max(1)) {
        let servers = lowerer.lower_servers(chunk, threads);
        lowerer.join(chunk, servers, None);
        lowerer.finish_sites(shared.sites());
        let window = std::mem::replace(&mut lowerer.model, Model::new(Dialect::Nginx));
        lowerer.model = visit(window, &shared);
        lowerer.model.truncate(&shared);
    }
}

/// Whether words stand in a part of the configuration
/// ([`lower_in_windows`]), ASCII case aside: outside the servers, in a
/// directive's name or arguments or a raw body; in a server, anywhere in
/// its text or a file it includes (comments too: a server is kept on less).
struct Mentions<'a> {
    config: &'a LoadedConfig,
    sources: &'a SourceMap,
    words: Vec<String>,
}

/// What the part outside the servers does with the words.
#[derive(Default)]
struct SharedUse {
    /// Something other than a `log_format` or a `map` holds one.
    elsewhere: bool,
    /// Variables `map`s set from one.
    variables: Vec<String>,
}

impl<'a> Mentions<'a> {
    /// The words a server must hold to be kept: `word` and the variables
    /// set from it outside the servers, followed from `map` to `map`;
    /// `None` when every server is to be kept.
    fn for_servers(
        config: &'a LoadedConfig,
        sources: &'a SourceMap,
        word: &str,
    ) -> Option<Mentions<'a>> {
        let mut search = Mentions {
            config,
            sources,
            words: vec![word.to_ascii_lowercase()],
        };
        let in_http = matches!(config.root_context, Context::Http);
        loop {
            let mut shared = SharedUse::default();
            search.shared_file(config.root, in_http, &mut Vec::new(), &mut shared);
            if shared.elsewhere {
                return None;
            }
            let before = search.words.len();
            for variable in shared.variables {
                if !search.words.contains(&variable) {
                    search.words.push(variable);
                }
            }
            if search.words.len() == before {
                return Some(search);
            }
        }
    }

    fn in_text(&self, text: &str) -> bool {
        let bytes = text.as_bytes();
        self.words.iter().any(|word| {
            let word = word.as_bytes();
            let Some(&first) = word.first() else {
                return true;
            };
            memchr::memchr2_iter(first, first.to_ascii_uppercase(), bytes).any(|at| {
                bytes
                    .get(at..at + word.len())
                    .is_some_and(|candidate| candidate.eq_ignore_ascii_case(word))
            })
        })
    }

    /// Whether a `server` block holds a word: its text (comments too), or
    /// a file it includes.
    fn in_server(&self, file: FileId, server: &Directive, files_open: &mut Vec<FileId>) -> bool {
        let text = self.sources.get(file).text.as_str();
        let range = server.range();
        self.in_text(text.get(range.start..range.end).unwrap_or_default())
            || server
                .block()
                .is_some_and(|block| self.in_included(file, &block.items, files_open))
    }

    /// Whether a file the `include`s among `items` (nested ones too) load
    /// holds a word.
    fn in_included(&self, file: FileId, items: &[Item], files_open: &mut Vec<FileId>) -> bool {
        let text = self.sources.get(file).text.as_str();
        items.iter().any(|item| {
            let Item::Directive(directive) = item else {
                return false;
            };
            if directive.is_named(text, "include") {
                return self
                    .config
                    .include_targets(file, directive)
                    .iter()
                    .any(|&target| self.in_whole_file(target, files_open));
            }
            directive
                .block()
                .is_some_and(|block| self.in_included(file, &block.items, files_open))
        })
    }

    fn in_whole_file(&self, file: FileId, files_open: &mut Vec<FileId>) -> bool {
        if files_open.contains(&file) {
            return false;
        }
        let Some(loaded) = self.config.file(file) else {
            return false;
        };
        files_open.push(file);
        let found = self.in_text(&self.sources.get(file).text)
            || self.in_included(file, &loaded.tree.items, files_open);
        files_open.pop();
        found
    }

    fn shared_file(
        &self,
        file: FileId,
        in_http: bool,
        files_open: &mut Vec<FileId>,
        shared: &mut SharedUse,
    ) {
        if files_open.contains(&file) {
            return;
        }
        let Some(loaded) = self.config.file(file) else {
            return;
        };
        files_open.push(file);
        self.shared_items(file, &loaded.tree.items, in_http, files_open, shared);
        files_open.pop();
    }

    /// What `items` outside the servers of `http` do with the words.
    fn shared_items(
        &self,
        file: FileId,
        items: &[Item],
        in_http: bool,
        files_open: &mut Vec<FileId>,
        shared: &mut SharedUse,
    ) {
        let text = self.sources.get(file).text.as_str();
        let slice = |range: TextRange| text.get(range.start..range.end).unwrap_or_default();
        for item in items {
            match item {
                Item::Directive(directive) if directive.is_named(text, "include") => {
                    for &target in self.config.include_targets(file, directive) {
                        self.shared_file(target, in_http, files_open, shared);
                    }
                }
                Item::Directive(directive) => {
                    let Some(block) = directive.block() else {
                        // The tracer reads no log format.
                        shared.elsewhere |= self.in_text(slice(directive.range()))
                            && !directive.is_named(text, "log_format");
                        continue;
                    };
                    if in_http && directive.is_named(text, "server") {
                        continue;
                    }
                    if directive.is_named(text, "map") {
                        let held = self.in_text(slice(directive.range()))
                            || self.in_included(file, &block.items, files_open);
                        let variable = match directive.args.as_ref() {
                            [_, variable] => variable
                                .value(text)
                                .strip_prefix('$')
                                .map(|name| name.trim_matches(['{', '}']).to_ascii_lowercase()),
                            _ => None,
                        };
                        match (held, variable) {
                            (false, _) => {}
                            (true, Some(variable)) if !variable.is_empty() => {
                                shared.variables.push(variable);
                            }
                            (true, _) => shared.elsewhere = true,
                        }
                        continue;
                    }
                    shared.elsewhere |= self.in_text(slice(directive.head_range()));
                    self.shared_items(
                        file,
                        &block.items,
                        directive.is_named(text, "http"),
                        files_open,
                        shared,
                    );
                }
                Item::Raw(range) => shared.elsewhere |= self.in_text(slice(*range)),
                Item::OrphanBlock(block) => {
                    self.shared_items(file, &block.items, false, files_open, shared);
                }
                Item::Comment(_) | Item::StraySemicolon(_) | Item::StrayClose(_) => {}
            }
        }
    }
}

/// The rule an `if` leaves in its parent names the `if`'s scope by number
/// ([`Lowerer::directive`]); a server lowered on its own numbered from 0.
fn shift_if_marker(rule: &mut Rule, base: usize) {
    if let RuleKind::Setting { name, args } = &mut rule.kind {
        if name == "if" {
            for arg in args.iter_mut() {
                if let Ok(id) = arg.parse::<usize>() {
                    *arg = (id + base).to_string();
                }
            }
        }
    }
}

/// The gaps and global rules of the one-pass walk, put back into the
/// model in reading order around those of the deferred servers.
struct Outer {
    gaps: std::vec::IntoIter<Gap>,
    gaps_taken: usize,
    global: std::vec::IntoIter<Rule>,
    global_taken: usize,
}

/// How many deferred servers are lowered side by side before they are
/// joined into the model.
const SERVERS_PER_CHUNK: usize = 256;

/// A `server` block met in `http`, left to be lowered on its own.
struct Deferred<'a> {
    entry: Entry<'a>,
    /// The files open around it (an include cycle is cut as in one pass).
    files_open: Vec<FileId>,
    http: ScopeId,
    /// How many gaps and global rules the model held when it was met:
    /// its own go in at that place.
    gaps_before: usize,
    global_before: usize,
}

/// Where the directives being read stand.
#[derive(Clone, Copy)]
enum Level {
    Main,
    Http(ScopeId),
    /// The server scope and the index of its site.
    Server(ScopeId, usize),
    Location(ScopeId),
    If(ScopeId),
    LimitExcept(ScopeId),
}

impl Level {
    fn scope(self) -> Option<ScopeId> {
        match self {
            Level::Main => None,
            Level::Http(id)
            | Level::Server(id, _)
            | Level::Location(id)
            | Level::If(id)
            | Level::LimitExcept(id) => Some(id),
        }
    }
}

struct Lowerer<'a> {
    config: &'a LoadedConfig,
    sources: &'a SourceMap,
    model: Model,
    files_open: Vec<FileId>,
    /// Keep only the settings a verdict can depend on ([`read_by_tracer`]).
    verdict_only: bool,
    /// When lowering on several threads: the `server` blocks of `http`,
    /// in reading order, lowered after the rest.
    deferred: Option<Vec<Deferred<'a>>>,
}

/// One directive with its file, ready to read.
#[derive(Clone, Copy)]
struct Entry<'a> {
    file: FileId,
    text: &'a str,
    directive: &'a Directive,
}

impl<'a> Entry<'a> {
    fn name(&self) -> std::borrow::Cow<'a, str> {
        self.directive.name(self.text)
    }

    fn args(&self) -> Vec<String> {
        self.directive
            .args
            .iter()
            .map(|word| word.value(self.text).into_owned())
            .collect()
    }

    fn first_arg(&self) -> Option<std::borrow::Cow<'a, str>> {
        self.directive
            .args
            .first()
            .map(|word| word.value(self.text))
    }

    fn span(&self) -> Span {
        Span::new(self.file, self.directive.range())
    }

    fn head(&self) -> Span {
        Span::new(self.file, self.directive.head_range())
    }
}

impl<'a> Lowerer<'a> {
    fn add_scope(
        &mut self,
        parent: Option<ScopeId>,
        kind: ScopeKind,
        matcher: Matcher,
        span: Span,
        head: Span,
    ) -> ScopeId {
        let mut scope = Scope::new(kind, matcher, span, head);
        scope.access_inheritance = Inheritance::Replace;
        self.model.add_scope(parent, scope)
    }

    fn push(&mut self, scope: ScopeId, span: Span, kind: RuleKind) {
        if let Some(target) = self.model.scopes.get_mut(scope.0) {
            target.rules.push(Rule { span, kind });
        }
    }

    fn gap(&mut self, span: Span, reason: impl Into<String>) {
        self.model.gaps.push(Gap {
            span,
            reason: reason.into(),
        });
    }

    fn file(&mut self, file: FileId, level: Level) {
        if self.files_open.contains(&file) {
            return;
        }
        let Some(loaded) = self.config.file(file) else {
            return;
        };
        self.files_open.push(file);
        let sources = self.sources;
        let text = sources.get(file).text.as_str();
        self.items(file, text, &loaded.tree.items, level);
        self.files_open.pop();
    }

    fn items(&mut self, file: FileId, text: &'a str, items: &'a [Item], level: Level) {
        for item in items {
            let Item::Directive(directive) = item else {
                continue;
            };
            let entry = Entry {
                file,
                text,
                directive,
            };
            if directive.is_named(text, "include") {
                for &target in self.config.include_targets(file, directive) {
                    self.file(target, level);
                }
                continue;
            }
            self.directive(&entry, level);
        }
    }

    fn block_items(&mut self, entry: &Entry<'a>, level: Level) {
        if let Some(block) = entry.directive.block() {
            if block.kind == BodyKind::Directives {
                // A rule per simple directive (and per `if`), those of the
                // files it includes too: room for them at once, instead of
                // regrowing a list of large elements (which left a third of
                // the model's rule slots empty, and resident).
                if let Some(scope) = level.scope() {
                    let simple = self.simple_directives(entry.file, entry.text, &block.items);
                    if let Some(target) = self.model.scopes.get_mut(scope.0) {
                        target.rules.reserve_exact(simple);
                    }
                }
                self.items(entry.file, entry.text, &block.items, level);
            }
        }
    }

    /// The directives of `items` that lower into a rule of the block that
    /// holds them: those without a block, and `if`; through includes.
    fn simple_directives(&mut self, file: FileId, text: &str, items: &[Item]) -> usize {
        let mut count = 0;
        for item in items {
            let Item::Directive(directive) = item else {
                continue;
            };
            if directive.is_named(text, "include") {
                let config = self.config;
                for &target in config.include_targets(file, directive) {
                    let (Some(loaded), false) =
                        (config.file(target), self.files_open.contains(&target))
                    else {
                        continue;
                    };
                    self.files_open.push(target);
                    let sources = self.sources;
                    let target_text = sources.get(target).text.as_str();
                    count += self.simple_directives(target, target_text, &loaded.tree.items);
                    self.files_open.pop();
                }
            } else if directive.is_named(text, "if")
                || (directive.block().is_none()
                    && (!self.verdict_only || {
                        let (modelled, read) = modelled_and_read(directive, text);
                        modelled || read
                    }))
            {
                count += 1;
            }
        }
        count
    }

    #[allow(clippy::too_many_lines)] // one arm per directive nginx evaluates
    fn directive(&mut self, entry: &Entry<'a>, level: Level) {
        let name = entry.name();
        let name = name.as_ref();
        let span = entry.span();
        match (name, level) {
            ("http", Level::Main) => {
                let http =
                    self.add_scope(None, ScopeKind::Global, Matcher::All, span, entry.head());
                self.block_items(entry, Level::Http(http));
            }
            (_, Level::Main) => {}
            ("server", Level::Http(http)) if entry.directive.block().is_some() => {
                match &mut self.deferred {
                    Some(deferred) => deferred.push(Deferred {
                        entry: *entry,
                        files_open: self.files_open.clone(),
                        http,
                        gaps_before: self.model.gaps.len(),
                        global_before: self.model.global.len(),
                    }),
                    None => self.server(entry, Some(http)),
                }
            }
            ("map", Level::Http(_)) => self.map(entry, &entry.args()),
            ("geo", Level::Http(_)) => self.geo(entry, &entry.args()),
            ("upstream" | "types" | "split_clients" | "charset_map" | "perl_set" | "js_set", _) => {
                if name == "perl_set" || name == "js_set" {
                    if let Some(variable) = entry.first_arg() {
                        self.model.global.push(Rule {
                            span,
                            kind: RuleKind::Setting {
                                name: "opaque-variable".into(),
                                args: vec![variable.trim_start_matches('$').to_string()],
                            },
                        });
                    }
                }
            }
            ("listen", Level::Server(_, site)) => {
                let args = entry.args();
                if let Some(listen) = parse_listen(&args, span) {
                    if let Some(site) = self.model.sites.get_mut(site) {
                        site.listen.push(listen);
                    }
                } else {
                    self.gap(
                        span,
                        format!(
                            "listen {} is not a TCP socket lint403 reads",
                            args.join(" ")
                        ),
                    );
                }
            }
            ("server_name", Level::Server(_, site)) => {
                if let Some(site) = self.model.sites.get_mut(site) {
                    for name in &entry.args() {
                        if name.starts_with('~') {
                            site.names.push(name.clone());
                        } else {
                            site.names.push(name.to_ascii_lowercase());
                        }
                    }
                }
            }
            ("location", Level::Server(parent, _) | Level::Location(parent)) => {
                let args = entry.args();
                let Some(matcher) = location_matcher(&args) else {
                    self.gap(
                        span,
                        format!("location {} is not understood", args.join(" ")),
                    );
                    return;
                };
                if let Matcher::Regex(pattern) = &matcher {
                    if let Some(reason) = pattern.unsupported() {
                        self.gap(
                            span,
                            format!(
                                "location regex {:?} cannot be run: {reason}",
                                pattern.source
                            ),
                        );
                    }
                }
                let location = self.add_scope(
                    Some(parent),
                    ScopeKind::Location,
                    matcher,
                    span,
                    entry.head(),
                );
                self.block_items(entry, Level::Location(location));
            }
            ("if", Level::Server(parent, _) | Level::Location(parent)) => {
                let condition = if_condition(&entry.args());
                if let Condition::Unknown(text) = &condition {
                    self.gap(span, format!("if condition {text:?} is not understood"));
                }
                let scope = self.add_scope(
                    Some(parent),
                    ScopeKind::If,
                    Matcher::If(Box::new(condition)),
                    span,
                    entry.head(),
                );
                self.push(
                    parent,
                    entry.head(),
                    RuleKind::Setting {
                        name: "if".into(),
                        args: vec![scope.0.to_string()],
                    },
                );
                self.block_items(entry, Level::If(scope));
            }
            ("limit_except", Level::Location(parent)) => {
                let scope = self.add_scope(
                    Some(parent),
                    ScopeKind::LimitExcept,
                    Matcher::Methods {
                        methods: entry
                            .directive
                            .args
                            .iter()
                            .map(|word| word.value(entry.text).to_ascii_uppercase())
                            .collect(),
                        except: true,
                    },
                    span,
                    entry.head(),
                );
                self.block_items(entry, Level::LimitExcept(scope));
            }
            _ => {
                let Some(scope) = level.scope() else {
                    return;
                };
                let server_root = match (level, name) {
                    (Level::Server(_, site), "root") => {
                        entry.first_arg().map(|root| (site, root.into_owned()))
                    }
                    _ => None,
                };
                let text = if name == "return" {
                    return_text(&entry.args())
                } else {
                    None
                };
                if let Some(kind) = self.rule(entry, name) {
                    if let Some((site, root)) = server_root {
                        if let Some(site) = self.model.sites.get_mut(site) {
                            site.document_roots.push(root);
                        }
                    }
                    if let Some(text) = text {
                        self.push(
                            scope,
                            entry.head(),
                            RuleKind::Setting {
                                name: "return-text".into(),
                                args: vec![text],
                            },
                        );
                    }
                    self.push(scope, span, kind);
                }
            }
        }
    }

    /// The rule of a simple directive; its words are decoded only where
    /// the rule keeps them (an `allow` line needs its first word alone).
    fn rule(&mut self, entry: &Entry<'_>, name: &str) -> Option<RuleKind> {
        let span = entry.span();
        let first = entry.first_arg();
        let first = first.as_deref();
        Some(match name {
            "allow" | "deny" => {
                let action = if name == "allow" {
                    Action::Allow
                } else {
                    Action::Deny
                };
                let subject = match first {
                    Some("all") => Subject::All,
                    Some("unix:") => Subject::Unix,
                    Some(text) => {
                        if let Some(cidr) = crate::address::parse_cidr(text) {
                            Subject::Ip(cidr)
                        } else {
                            self.gap(span, format!("{name} {text}: not an address nginx accepts"));
                            Subject::Unknown(text.to_string())
                        }
                    }
                    None => return None,
                };
                RuleKind::Access {
                    action,
                    subject,
                    negated: false,
                }
            }
            "return" => {
                let status = match first {
                    Some(code) if code.bytes().all(|b| b.is_ascii_digit()) => {
                        code.parse().unwrap_or(500)
                    }
                    // `return URL` redirects with 302.
                    Some(_) => 302,
                    None => return None,
                };
                RuleKind::Respond {
                    status,
                    substatus: None,
                    when: Box::new(Condition::Always),
                }
            }
            "rewrite" => {
                let args = entry.args();
                let (Some(pattern), Some(target)) = (args.first(), args.get(1)) else {
                    return None;
                };
                let pattern = Pattern::new(pattern, false);
                if let Some(reason) = pattern.unsupported() {
                    self.gap(
                        span,
                        format!("rewrite regex {:?} cannot be run: {reason}", pattern.source),
                    );
                }
                RuleKind::Rewrite {
                    pattern: Box::new(pattern),
                    target: target.as_str().into(),
                    flags: args.iter().skip(2).cloned().collect(),
                    when: Box::new(Condition::Always),
                }
            }
            "set" => {
                let args = entry.args();
                let (Some(variable), Some(value)) = (args.first(), args.get(1)) else {
                    return None;
                };
                RuleKind::SetVar {
                    name: variable.trim_start_matches('$').to_string(),
                    value: value.as_str().into(),
                    when: Box::new(Condition::Always),
                }
            }
            "valid_referers" => {
                let mut none = false;
                let mut blocked = false;
                let mut server_names = false;
                let mut hosts = Vec::new();
                let mut regexes = Vec::new();
                for arg in &entry.args() {
                    match arg.as_str() {
                        "none" => none = true,
                        "blocked" => blocked = true,
                        "server_names" => server_names = true,
                        regex if regex.starts_with('~') => {
                            // The referer module compiles these caselessly.
                            let pattern = Pattern::new(&regex[1..], true);
                            if let Some(reason) = pattern.unsupported() {
                                self.gap(
                                    span,
                                    format!("referer regex {regex:?} cannot be run: {reason}"),
                                );
                            }
                            regexes.push(pattern);
                        }
                        host => hosts.push(host.to_ascii_lowercase()),
                    }
                }
                RuleKind::RefererPolicy {
                    none,
                    blocked,
                    server_names,
                    hosts: hosts.into(),
                    regexes,
                }
            }
            "autoindex" => RuleKind::Listing {
                autoindex: Some(first.is_some_and(|value| value.eq_ignore_ascii_case("on"))),
                index_files: None,
            },
            "index" => RuleKind::Listing {
                autoindex: None,
                index_files: Some(entry.args()),
            },
            "auth_basic" => {
                let enabled = first.is_none_or(|value| value != "off");
                RuleKind::Auth {
                    kind: AuthKind::Basic,
                    realm: enabled.then(|| first.unwrap_or_default().into()),
                    user_file: None,
                    enabled,
                }
            }
            "auth_basic_user_file" => RuleKind::Auth {
                kind: AuthKind::Basic,
                realm: None,
                user_file: Some(first.unwrap_or_default().into()),
                enabled: true,
            },
            "auth_request" => {
                let enabled = first.is_none_or(|value| value != "off");
                if enabled {
                    self.gap(
                        span,
                        "auth_request: the subrequest's answer decides; lint403 cannot see it",
                    );
                }
                RuleKind::Auth {
                    kind: AuthKind::Subrequest,
                    realm: None,
                    user_file: first.map(Into::into),
                    enabled,
                }
            }
            "satisfy" => {
                RuleKind::Satisfy(if first.is_some_and(|v| v.eq_ignore_ascii_case("any")) {
                    Satisfy::Any
                } else {
                    Satisfy::All
                })
            }
            other => {
                if other == "secure_link" || other == "secure_link_md5" {
                    self.gap(
                        span,
                        "secure_link: $secure_link depends on a hash lint403 does not compute",
                    );
                }
                if OPAQUE_ACCESS.contains(&other) {
                    self.gap(
                        span,
                        format!("{other}: lint403 does not model what it does to a request"),
                    );
                }
                if self.verdict_only && !modelled_and_read(entry.directive, entry.text).1 {
                    return None;
                }
                // Named by the directive table's own text where nginx knows
                // the directive: a configuration has a setting per
                // directive, and its name needs no copy.
                let name = match entry.directive.known().first() {
                    Some(spec) => spec.name.into(),
                    None => other.to_string().into(),
                };
                RuleKind::Setting {
                    name,
                    args: entry.args(),
                }
            }
        })
    }

    fn map(&mut self, entry: &Entry<'_>, args: &[String]) {
        let span = entry.span();
        let (Some(source), Some(variable)) = (args.first(), args.get(1)) else {
            return;
        };
        let variable = variable.trim_start_matches('$').to_string();
        let Some(block) = entry.directive.block() else {
            return;
        };
        let mut hostnames = false;
        let mut exact = Vec::new();
        let mut regexes = Vec::new();
        let mut default = None;
        for (key, value, entry_span) in self.entries(entry.file, entry.text, &block.items) {
            match (key.as_str(), value) {
                ("hostnames", None) => hostnames = true,
                ("default", Some(value)) => default = Some((value, entry_span)),
                (key, Some(value)) => {
                    if let Some(regex) = key.strip_prefix("~*") {
                        regexes.push((
                            TextTest::Matches(Pattern::new(regex, true)),
                            value,
                            entry_span,
                        ));
                    } else if let Some(regex) = key.strip_prefix('~') {
                        regexes.push((
                            TextTest::Matches(Pattern::new(regex, false)),
                            value,
                            entry_span,
                        ));
                    } else if hostnames
                        && (key.starts_with('*') || key.starts_with('.') || key.ends_with('*'))
                    {
                        self.gap(
                            entry_span,
                            format!("map wildcard key {key:?} is not modelled"),
                        );
                        exact.push((None, value, entry_span));
                    } else {
                        let key = key.strip_prefix('\\').unwrap_or(key);
                        exact.push((
                            Some(TextTest::Equals {
                                value: key.to_string(),
                                case_insensitive: true,
                            }),
                            value,
                            entry_span,
                        ));
                    }
                }
                (_, None) => {}
            }
        }
        self.model.global.push(Rule {
            span,
            kind: RuleKind::Setting {
                name: "map".into(),
                args: vec![source.clone(), variable.clone()],
            },
        });
        let source_var = map_source(source);
        let condition = |test: TextTest| Condition::Var {
            name: source_var.clone(),
            test,
        };
        for (test, value, entry_span) in exact {
            let when =
                test.map_or_else(|| Condition::Unknown("map wildcard key".into()), &condition);
            self.model.global.push(Rule {
                span: entry_span,
                kind: RuleKind::SetVar {
                    name: variable.clone(),
                    value: value.into(),
                    when: Box::new(when),
                },
            });
        }
        for (test, value, entry_span) in regexes {
            self.model.global.push(Rule {
                span: entry_span,
                kind: RuleKind::SetVar {
                    name: variable.clone(),
                    value: value.into(),
                    when: Box::new(condition(test)),
                },
            });
        }
        let (value, default_span) = default.unwrap_or((String::new(), span));
        self.model.global.push(Rule {
            span: default_span,
            kind: RuleKind::SetVar {
                name: variable,
                value: value.into(),
                when: Box::new(Condition::Always),
            },
        });
    }

    fn geo(&mut self, entry: &Entry<'_>, args: &[String]) {
        let span = entry.span();
        let (source, variable) = match args {
            [variable] => ("$remote_addr".to_string(), variable.clone()),
            [source, variable] => (source.clone(), variable.clone()),
            _ => return,
        };
        let variable = variable.trim_start_matches('$').to_string();
        let Some(block) = entry.directive.block() else {
            return;
        };
        let opaque_source = source != "$remote_addr";
        if opaque_source {
            self.gap(
                span,
                format!("geo on {source} is not modelled (only the client address)"),
            );
        }
        let mut networks: Vec<(Cidr, String, Span)> = Vec::new();
        let mut default = None;
        let mut ranges = false;
        let mut proxy = false;
        for (key, value, entry_span) in self.entries(entry.file, entry.text, &block.items) {
            match (key.as_str(), value) {
                // With `ranges` or `proxy` the address the entries are
                // matched against is not simply the client's.
                ("ranges", None) => ranges = true,
                ("proxy", _) => {
                    proxy = true;
                    self.gap(entry_span, "geo proxy is not modelled");
                }
                ("default", Some(value)) => default = Some((value, entry_span)),
                ("proxy_recursive" | "delete", _) => {
                    self.gap(entry_span, format!("geo {key} is not modelled"));
                }
                (key, Some(value)) => {
                    if let (false, Some(cidr)) = (ranges, crate::address::parse_geo_network(key)) {
                        networks.push((cidr, value, entry_span));
                    } else {
                        self.gap(entry_span, format!("geo entry {key:?} is not modelled"));
                    }
                }
                (_, None) => {}
            }
        }
        // The longest prefix wins (a radix tree); later duplicates replace
        // earlier ones, so keep the last of equal networks first.
        networks.reverse();
        networks.sort_by_key(|network| std::cmp::Reverse(network.0.prefix));
        self.model.global.push(Rule {
            span,
            kind: RuleKind::Setting {
                name: "geo".into(),
                args: vec![source, variable.clone()],
            },
        });
        for (cidr, value, entry_span) in networks {
            self.model.global.push(Rule {
                span: entry_span,
                kind: RuleKind::SetVar {
                    name: variable.clone(),
                    value: value.into(),
                    when: if opaque_source || ranges || proxy {
                        Box::new(Condition::Unknown("geo source".into()))
                    } else {
                        Box::new(Condition::ClientIp(cidr))
                    },
                },
            });
        }
        let (value, default_span) = default.unwrap_or((String::new(), span));
        self.model.global.push(Rule {
            span: default_span,
            kind: RuleKind::SetVar {
                name: variable,
                value: value.into(),
                when: if opaque_source || ranges || proxy {
                    Box::new(Condition::Unknown("geo source".into()))
                } else {
                    Box::new(Condition::Always)
                },
            },
        });
    }

    /// The entries of a `map`/`geo` body (includes followed): key, value
    /// (`None` for a one-word entry) and span.
    fn entries(
        &self,
        file: FileId,
        text: &str,
        items: &[Item],
    ) -> Vec<(String, Option<String>, Span)> {
        let mut out = Vec::new();
        let mut stack: Vec<(FileId, &str, &[Item])> = vec![(file, text, items)];
        let mut budget = 100_000usize;
        while let Some((file, text, items)) = stack.pop() {
            for item in items.iter().rev() {
                let Item::Directive(directive) = item else {
                    continue;
                };
                budget = budget.saturating_sub(1);
                if budget == 0 {
                    return out;
                }
                let key = directive.name(text).into_owned();
                if key == "include" {
                    for &target in self.config.include_targets(file, directive) {
                        if let Some(loaded) = self.config.file(target) {
                            let target_text = self.sources.get(target).text.as_str();
                            stack.push((target, target_text, &loaded.tree.items));
                        }
                    }
                    continue;
                }
                let value = directive
                    .args
                    .first()
                    .map(|word| word.value(text).into_owned());
                out.push((key, value, Span::new(file, directive.range())));
            }
        }
        // The stack walk reads each body backwards; entries are wanted in order.
        out.reverse();
        out
    }

    /// A `server` block: its scope (under `http`, when known), its site,
    /// and what it holds.
    /// The lowerer after its one pass over the configuration, the
    /// `server` blocks of `http` left in `deferred` when they are to be
    /// lowered on several threads or in windows.
    fn outer(
        config: &'a LoadedConfig,
        sources: &'a SourceMap,
        options: &TraceOptions,
        threads: usize,
        windowed: bool,
    ) -> Lowerer<'a> {
        let defer_servers = threads > 1 || windowed;
        let mut lowerer = Lowerer {
            config,
            sources,
            model: Model::new(Dialect::Nginx),
            files_open: Vec::new(),
            verdict_only: options.verdict_only,
            deferred: defer_servers.then(Vec::new),
        };
        // Room for every scope at once: grown by doubling, the list of a
        // configuration with hundreds of thousands of blocks was copied
        // into fresh memory a dozen times. (Not for windows, which hold a
        // few hundred servers at a time.)
        if !windowed {
            lowerer
                .model
                .scopes
                .reserve_exact(config.block_count(sources) + 1);
        }
        lowerer.model.global.push(Rule {
            span: Span::new(config.root, 0..0),
            kind: RuleKind::Setting {
                name: "conf-prefix".into(),
                args: vec![config.include_root.display().to_string()],
            },
        });
        let root_span = Span::new(config.root, 0..sources.get(config.root).text.len());
        let start = Span::new(config.root, 0..0);
        match config.root_context {
            Context::Main => lowerer.file(config.root, Level::Main),
            Context::Http => {
                let http =
                    lowerer.add_scope(None, ScopeKind::Global, Matcher::All, root_span, start);
                lowerer.file(config.root, Level::Http(http));
            }
            Context::Server
            | Context::Location
            | Context::IfInServer
            | Context::IfInLocation
            | Context::LimitExcept => {
                let http =
                    lowerer.add_scope(None, ScopeKind::Global, Matcher::All, root_span, start);
                let server = lowerer.add_scope(
                    Some(http),
                    ScopeKind::Server,
                    Matcher::All,
                    root_span,
                    start,
                );
                let site = lowerer.model.sites.len();
                lowerer.model.sites.push(Site {
                    span: root_span,
                    listen: Vec::new(),
                    names: Vec::new(),
                    document_roots: Vec::new(),
                    root: server,
                });
                lowerer.file(config.root, Level::Server(server, site));
            }
            _ => lowerer.model.gaps.push(Gap {
                span: root_span,
                reason: format!(
                    "a fragment in {} context holds no http configuration",
                    config.root_context.name()
                ),
            }),
        }
        lowerer
    }

    /// The deferred `servers`, each lowered into a model of its own, on
    /// up to `threads` threads.
    fn lower_servers(&self, servers: &[Deferred<'a>], threads: usize) -> Vec<Model> {
        let (config, sources, verdict_only) = (self.config, self.sources, self.verdict_only);
        lint403_core::cores::map(servers, threads, |server| {
            let mut own = Lowerer {
                config,
                sources,
                model: Model::new(Dialect::Nginx),
                files_open: server.files_open.clone(),
                verdict_only,
                deferred: None,
            };
            own.server(&server.entry, None);
            own.model
        })
    }

    fn server(&mut self, entry: &Entry<'a>, http: Option<ScopeId>) {
        let span = entry.span();
        let server = self.add_scope(http, ScopeKind::Server, Matcher::All, span, entry.head());
        let site = self.model.sites.len();
        self.model.sites.push(Site {
            span,
            listen: Vec::new(),
            names: Vec::new(),
            document_roots: Vec::new(),
            root: server,
        });
        self.block_items(entry, Level::Server(server, site));
    }

    /// Puts the models of the `deferred` servers, lowered on their own,
    /// where one pass would have put them: their scopes after those before
    /// them (only servers open scopes in `http`), each server a child of
    /// its `http`, their sites in order, their gaps and global rules at the
    /// place each server was met (taken in turn from `outer`, the one-pass
    /// walk's own).
    fn join(
        &mut self,
        deferred: &[Deferred<'a>],
        servers: Vec<Model>,
        mut outer: Option<&mut Outer>,
    ) {
        for (server, own) in deferred.iter().zip(servers) {
            if let Some(outer) = outer.as_deref_mut() {
                let gaps_before = server.gaps_before - outer.gaps_taken;
                self.model
                    .gaps
                    .extend(outer.gaps.by_ref().take(gaps_before));
                outer.gaps_taken = server.gaps_before;
                let global_before = server.global_before - outer.global_taken;
                self.model
                    .global
                    .extend(outer.global.by_ref().take(global_before));
                outer.global_taken = server.global_before;
            }
            self.model.gaps.extend(own.gaps);
            self.model.global.extend(own.global);
            let base = self.model.scopes.len();
            let shift = |id: ScopeId| ScopeId(id.0 + base);
            for mut scope in own.scopes {
                scope.parent = Some(scope.parent.map_or(server.http, shift));
                for child in &mut scope.children {
                    *child = shift(*child);
                }
                for rule in &mut scope.rules {
                    shift_if_marker(rule, base);
                }
                self.model.scopes.push(scope);
            }
            if let Some(http) = self.model.scopes.get_mut(server.http.0) {
                http.children.push(ScopeId(base));
            }
            self.model
                .sites
                .extend(own.sites.into_iter().map(|site| Site {
                    root: shift(site.root),
                    ..site
                }));
        }
    }

    /// Each site from `first` on gets a default listen when it has none,
    /// and its server scope inherits the http-level `root` as its
    /// document root.
    fn finish_sites(&mut self, first: usize) {
        for index in first..self.model.sites.len() {
            let root = self.model.sites[index].root;
            if self.model.sites[index].listen.is_empty() {
                self.model.sites[index].listen.push(Listen {
                    address: None,
                    port: 80,
                    default_server: false,
                    tls: false,
                    span: None,
                });
            }
            if self.model.sites[index].document_roots.is_empty() {
                let inherited = self.model.ancestry(root).find_map(|scope| {
                    self.model
                        .scope(scope)
                        .setting("root")
                        .and_then(|(_, args)| args.first().cloned())
                });
                if let Some(inherited) = inherited {
                    self.model.sites[index].document_roots.push(inherited);
                }
            }
        }
    }
}

/// `listen` arguments as a TCP socket.
fn parse_listen(args: &[String], span: Span) -> Option<Listen> {
    let first = args.first()?;
    if first.starts_with("unix:") {
        return None;
    }
    let (address, port) = if let Some(rest) = first.strip_prefix('[') {
        let (address, after) = rest.split_once(']')?;
        let address: IpAddr = address.parse().ok()?;
        let port = after
            .strip_prefix(':')
            .map_or(Some(80), |p| p.parse().ok())?;
        (Some(address), port)
    } else if let Some((host, port)) = first.rsplit_once(':') {
        (host_address(host)?.address(), port.parse().ok()?)
    } else if first.bytes().all(|b| b.is_ascii_digit()) {
        (None, first.parse().ok()?)
    } else {
        (host_address(first)?.address(), 80)
    };
    let flags = &args[1..];
    Some(Listen {
        address,
        port,
        default_server: flags
            .iter()
            .any(|flag| flag == "default_server" || flag == "default"),
        tls: flags.iter().any(|flag| flag == "ssl"),
        span: Some(span),
    })
}

/// How a `listen` names its address.
enum Bind {
    /// `*`, `0.0.0.0`: every address.
    Any,
    Address(IpAddr),
}

/// `*` → every address; an IP; `localhost` as loopback. `None` for a name
/// lint403 does not resolve.
fn host_address(host: &str) -> Option<Bind> {
    match host {
        "*" | "0.0.0.0" => Some(Bind::Any),
        "localhost" => Some(Bind::Address(IpAddr::from([127, 0, 0, 1]))),
        other => other.parse().ok().map(Bind::Address),
    }
}

impl Bind {
    fn address(self) -> Option<IpAddr> {
        match self {
            Bind::Any => None,
            Bind::Address(address) => Some(address),
        }
    }
}

/// A `location`'s matcher from its arguments (`= /x`, `^~ /x`, `~ re`,
/// `~* re`, `@name`, `/x`, and the glued forms `=/x`, `~*re`).
pub fn location_matcher(args: &[String]) -> Option<Matcher> {
    let (modifier, path) = match args {
        [path] => {
            if let Some(name) = path.strip_prefix('@') {
                return Some(Matcher::Named(format!("@{name}")));
            }
            if let Some(rest) = path.strip_prefix("~*") {
                ("~*", rest)
            } else if let Some(rest) = path.strip_prefix("^~") {
                ("^~", rest)
            } else if let Some(rest) = path.strip_prefix('~') {
                ("~", rest)
            } else if let Some(rest) = path.strip_prefix('=') {
                ("=", rest)
            } else {
                ("", path.as_str())
            }
        }
        [modifier, path] => (modifier.as_str(), path.as_str()),
        _ => return None,
    };
    Some(match modifier {
        "" => Matcher::Prefix(path.to_string()),
        "=" => Matcher::Exact(path.to_string()),
        "^~" => Matcher::PrefixNoRegex(path.to_string()),
        "~" => Matcher::Regex(Pattern::new(path, false)),
        "~*" => Matcher::Regex(Pattern::new(path, true)),
        _ => return None,
    })
}

/// The text or URL of a `return`, when it has one.
fn return_text(args: &[String]) -> Option<String> {
    match args {
        [code, text, ..] if code.bytes().all(|b| b.is_ascii_digit()) => Some(text.clone()),
        [url] if !url.bytes().all(|b| b.is_ascii_digit()) => Some(url.clone()),
        _ => None,
    }
}

/// A `map` source: a lone `$variable` by name, anything else as a template
/// (kept with its `$`).
fn map_source(source: &str) -> String {
    let name = source.strip_prefix('$').unwrap_or(source);
    let name = name
        .strip_prefix('{')
        .and_then(|inner| inner.strip_suffix('}'))
        .unwrap_or(name);
    if source.starts_with('$')
        && !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        name.to_string()
    } else {
        source.to_string()
    }
}

/// The condition of `if (...)` as nginx's rewrite module reads it.
pub fn if_condition(args: &[String]) -> Condition {
    let mut words: Vec<String> = args.to_vec();
    let original = words.join(" ");
    if let Some(first) = words.first_mut() {
        if first == "(" {
            words.remove(0);
        } else if let Some(rest) = first.strip_prefix('(') {
            *first = rest.to_string();
        } else {
            return Condition::Unknown(original);
        }
    }
    match words.last_mut() {
        Some(last) if last == ")" => {
            words.pop();
        }
        Some(last) if last.ends_with(')') => {
            last.pop();
        }
        _ => return Condition::Unknown(original),
    }
    let variable = |word: &str| -> Option<String> {
        let name = word.strip_prefix('$')?;
        let name = name
            .strip_prefix('{')
            .and_then(|inner| inner.strip_suffix('}'))
            .unwrap_or(name);
        (!name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
            .then(|| name.to_string())
    };
    match words.as_slice() {
        [single] => variable(single).map_or_else(
            || Condition::Unknown(original.clone()),
            |name| Condition::Var {
                name,
                test: TextTest::Truthy,
            },
        ),
        [op, path] => {
            let (negated, op) = op
                .strip_prefix('!')
                .map_or((false, op.as_str()), |rest| (true, rest));
            let test = match op {
                "-f" => FileTest::File,
                "-d" => FileTest::Directory,
                "-e" => FileTest::Exists,
                "-x" => FileTest::Executable,
                _ => return Condition::Unknown(original),
            };
            let condition = Condition::File {
                path: path.clone(),
                test,
            };
            if negated {
                Condition::Not(Box::new(condition))
            } else {
                condition
            }
        }
        [left, op, right] => {
            let Some(name) = variable(left) else {
                return Condition::Unknown(original);
            };
            let (negated, test) = match op.as_str() {
                "=" | "!=" => (
                    op == "!=",
                    TextTest::Equals {
                        value: right.clone(),
                        case_insensitive: false,
                    },
                ),
                "~" | "!~" => (op == "!~", TextTest::Matches(Pattern::new(right, false))),
                "~*" | "!~*" => (op == "!~*", TextTest::Matches(Pattern::new(right, true))),
                _ => return Condition::Unknown(original),
            };
            let condition = Condition::Var { name, test };
            if negated {
                Condition::Not(Box::new(condition))
            } else {
                condition
            }
        }
        _ => Condition::Unknown(original),
    }
}

#[cfg(test)]
mod tests {
    use lint403_core::model::RuleKind;
    use lint403_core::{CheckOptions, SourceFile, SourceMap, TraceOptions};

    /// The answers kept by table slot are those of the lists, for every
    /// name nginx knows and for names it does not.
    #[test]
    fn answers_by_table_slot_are_the_lists_answers() {
        let names: Vec<&str> = crate::directives::names()
            .chain(["access_by_lua", "modsecurity", "no_such_directive"])
            .collect();
        for name in names {
            let text = format!("{name} x;");
            let tree = crate::parse(&text).tree;
            let directive = tree.directives().next().expect("one directive");
            assert_eq!(
                super::modelled_and_read(directive, &text),
                (super::MODELLED.contains(&name), super::read_by_tracer(name)),
                "{name}"
            );
        }
    }

    /// `MODELLED` names exactly the directives of nginx's table that lower
    /// into a rule other than a setting (it sizes a verdict-only scope's
    /// rule list, so a name left out would make the list regrow).
    #[test]
    fn modelled_names_the_directives_that_are_not_settings() {
        for name in crate::directives::names() {
            let text = format!("http {{ server {{ listen 8080; location / {{ {name} x y; }} }} }}");
            let mut sources = SourceMap::new();
            let file = sources.add(SourceFile::from_bytes("/tmp/nginx.conf", text.into_bytes()));
            let config = crate::load(&mut sources, file, &CheckOptions::default());
            let model = super::lower(&config, &mut sources, &TraceOptions::default());
            let modelled = model.scopes.last().is_some_and(|location| {
                location
                    .rules
                    .iter()
                    .any(|rule| !matches!(rule.kind, RuleKind::Setting { .. }))
            });
            assert_eq!(modelled, super::MODELLED.contains(&name), "{name}");
        }
    }
}
