//! The tracer: one request through the lowered model in httpd 2.4's phase
//! order (`ap_process_request_internal`):
//!
//! 1. virtual host by address and `Host`; URI decoding and `..`/`//`
//!    normalization (an encoded `/` is 404, climbing above `/` is 400);
//! 2. `translate_name`: server-context `mod_rewrite` (`[F]` beats every
//!    access rule), then `mod_alias` (`Redirect*`, `Alias`), then the
//!    document root;
//! 3. `map_to_storage`: the directory walk from `/` (non-regex
//!    `<Directory>` by component count, each directory's `.htaccess` when
//!    `AllowOverride` lets it be read, symbolic links checked against
//!    `Options`), `<DirectoryMatch>`, `<Files>`/`<FilesMatch>`, then
//!    `<Location>`/`<LocationMatch>` and `<If>`;
//! 4. `header_parser`: per-directory `SetEnvIf` (server-level ones ran
//!    first, at `post_read_request`);
//! 5. `access_checker` (`mod_access_compat`), `access_checker_ex`
//!    (`mod_authz_core` without a user), authentication, authorization with
//!    the user; `Satisfy Any` lets either pass;
//! 6. fixups: per-directory `mod_rewrite` (refused with 403 when neither
//!    `FollowSymLinks` nor `SymLinksIfOwnerMatch` is on), `mod_alias`
//!    redirects in directory context, `mod_dir` (`DirectorySlash` 301,
//!    `DirectoryIndex` subrequests);
//! 7. the handler: a file is 200, a directory listing needs
//!    `Options Indexes` (else 403), anything missing is 404.

mod authz;
mod passwords;
mod rewrite;

use std::cell::Cell;
use std::collections::HashMap;
use std::path::Path;

use lint403_core::fsview::FileKind;
use lint403_core::model::{
    Condition, Inheritance, Matcher, Rule, RuleKind, Satisfy, ScopeId, ScopeKind, SiteId, Variables,
};
use lint403_core::{Model, Pattern, Request, Span, Step, StepRole, TraceOptions, Verdict};

use crate::lower::{class_of, Class, HANDLER, INVALID};
use crate::select;

use authz::{AuthzConf, Compat, Node};

/// httpd's `LimitInternalRecursion` default.
const MAX_INTERNAL_REDIRECTS: usize = 10;

type Env = HashMap<String, String>;

/// Traces `request` through `model`.
pub fn trace(model: &Model, request: &Request, options: &TraceOptions) -> Verdict {
    trace_reading_referer(model, request, options).0
}

/// [`trace`], and whether the trace read the request's `Referer` (a
/// condition on the header, `%{HTTP_REFERER}`, `%{HTTP:Referer}`, any
/// `HEADER_MATCHING` lookup): when it did not, the same request with any
/// other Referer, or none, gets the same verdict, so a caller trying
/// several need not trace them.
pub fn trace_reading_referer(
    model: &Model,
    request: &Request,
    options: &TraceOptions,
) -> (Verdict, bool) {
    let read_referer = Cell::new(false);
    let verdict = traced(model, request, options, &read_referer);
    (verdict, read_referer.get())
}

fn traced(
    model: &Model,
    request: &Request,
    options: &TraceOptions,
    read_referer: &Cell<bool>,
) -> Verdict {
    let own_lists = std::cell::OnceCell::new();
    let mut tracer = Tracer {
        model,
        options,
        request,
        steps: Vec::new(),
        fix: None,
        unmodelled: Vec::new(),
        authz_denied: false,
        read_referer,
        last_view: std::cell::RefCell::default(),
        rewrite_lists: rewrite_lists(model, &own_lists),
    };
    if options.distribution_defaults {
        tracer.steps.push(Step::new(
            StepRole::Default,
            None,
            "assumed: Debian's apache2.conf around the configuration (<Directory /> Require all denied, <Directory /var/www/> Require all granted, <FilesMatch \"^\\.ht\"> Require all denied, DirectoryIndex index.html ...)",
        ));
    } else {
        tracer.steps.push(Step::new(
            StepRole::Default,
            None,
            "httpd's compiled-in defaults: AllowOverride None, Options FollowSymLinks, DirectoryIndex index.html",
        ));
    }
    let mut end = tracer.start();
    if let (End::Status(status), Some((span, reason))) = (&end, tracer.unmodelled.first().cloned())
    {
        // Something lint403 does not model stood where the request went:
        // it may refuse what looks allowed.
        if *status < 400 {
            tracer.step(
                StepRole::WouldChange,
                Some(span),
                format!("not modelled here: {reason}"),
            );
            end = End::Unknown(format!("{reason}; it applies to this request"));
        }
    }
    let steps = std::mem::take(&mut tracer.steps);
    match end {
        End::Status(status) => {
            let verdict = Verdict::status(status, steps);
            match (status, tracer.fix.take()) {
                (403, Some(fix)) => verdict.with_fix(fix),
                (403, None) => verdict.with_fix(
                    "grant the request in the section that decides it (see the deciding line)",
                ),
                _ => verdict,
            }
        }
        End::Unknown(reason) => Verdict::unknown(reason, steps),
        End::Sub { .. } => Verdict::status(200, steps),
    }
}

/// The model's rewrite lists, or lists of the request's own when the
/// model keeps something else.
fn rewrite_lists<'m>(
    model: &'m Model,
    own: &'m std::cell::OnceCell<rewrite::Lists>,
) -> &'m rewrite::Lists {
    model
        .tracer_memo(rewrite::Lists::new)
        .unwrap_or_else(|| own.get_or_init(|| rewrite::Lists::new(model)))
}

/// The sections that apply to `request`, in httpd's merge order (what
/// [`crate::ApacheSelector`] answers): the virtual host, then the walk of
/// the mapped file name (`Alias` applied, no rewrite, no filesystem view:
/// a path ending in `/` is a directory), `.htaccess` scopes only where
/// `AllowOverride` lets httpd read them, `<If>` sections whose condition
/// holds.
pub(crate) fn select(model: &Model, request: &Request) -> lint403_core::model::Selection {
    let options = TraceOptions::default();
    let read_referer = Cell::new(false);
    let own_lists = std::cell::OnceCell::new();
    let mut tracer = Tracer {
        model,
        options: &options,
        request,
        steps: Vec::new(),
        fix: None,
        unmodelled: Vec::new(),
        authz_denied: false,
        read_referer: &read_referer,
        last_view: std::cell::RefCell::default(),
        rewrite_lists: rewrite_lists(model, &own_lists),
    };
    let mut selection = lint403_core::model::Selection::default();
    let Some((site, step)) = select::choose_site(model, request) else {
        selection.unknown = Some("the configuration has no server".to_string());
        return selection;
    };
    selection.site = Some(site);
    tracer.steps.push(step);
    let Some(uri) = lint403_core::request::normalize_path(&request.path, true) else {
        selection.unknown = Some("the path climbs above the root (400)".to_string());
        selection.steps = tracer.steps;
        return selection;
    };
    let mut env = Env::new();
    tracer.server_setenvif(site, &uri, &mut env);
    let root = model
        .site(site)
        .document_roots
        .first()
        .cloned()
        .unwrap_or_default();
    let mut filename = format!("{}{uri}", root.trim_end_matches('/'));
    for scope in select::server_roots(model, site).into_iter().rev() {
        if let Some(Ok(mapped)) = tracer.alias(scope, &uri) {
            filename = mapped;
            break;
        }
    }
    match tracer.walk(site, &filename, &uri, &env, PassKind::Initial) {
        Ok(walked) => selection.scopes = walked.scopes,
        Err(End::Status(status)) => {
            selection.unknown = Some(format!(
                "the walk ends with {status} before every section is known"
            ));
        }
        Err(End::Unknown(reason)) => selection.unknown = Some(reason),
        Err(End::Sub { .. }) => {}
    }
    selection.steps = tracer.steps;
    selection
}

#[derive(Debug, Clone)]
enum End {
    Status(u16),
    Unknown(String),
    /// A `DirectoryIndex` subrequest that passed the access phases.
    Sub {
        regular_file: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PassKind {
    Initial,
    Redirect,
    Sub,
}

struct Tracer<'m> {
    model: &'m Model,
    options: &'m TraceOptions,
    request: &'m Request,
    steps: Vec<Step>,
    fix: Option<String>,
    /// Lines lowering could not represent inside the sections that applied.
    unmodelled: Vec<(Span, String)>,
    /// The last refusal came from `mod_authz_core`.
    authz_denied: bool,
    /// Set when the request's Referer is read (see [`trace_reading_referer`]).
    read_referer: &'m Cell<bool>,
    /// The last [`Tracer::view`] made.
    last_view: std::cell::RefCell<Option<std::rc::Rc<Request>>>,
    /// Each scope's rewrite list, read once per model.
    rewrite_lists: &'m rewrite::Lists,
}

/// What the walk found on disk for the filename.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    File,
    Directory,
    Missing,
    Special,
    /// No view of the filesystem there.
    Unseen,
}

/// Options bits (httpd's `OPT_*`).
const OPT_INDEXES: u8 = 1;
const OPT_INCLUDES: u8 = 2;
const OPT_SYM_LINKS: u8 = 4;
const OPT_EXECCGI: u8 = 8;
const OPT_INC_WITH_EXEC: u8 = 32;
const OPT_SYM_OWNER: u8 = 64;
const OPT_MULTI: u8 = 128;
const OPT_ALL: u8 = OPT_INDEXES | OPT_INCLUDES | OPT_INC_WITH_EXEC | OPT_SYM_LINKS | OPT_EXECCGI;

#[derive(Debug, Clone, Copy)]
struct Opts {
    /// The options in force.
    set: u8,
    add: u8,
    remove: u8,
}

/// The per-directory configuration merged so far.
#[derive(Clone)]
struct Conf<'m> {
    opts: Opts,
    options_span: Option<Span>,
    /// `AllowOverride` classes, lower case; empty for None.
    overrides: Vec<String>,
    override_list: Vec<String>,
    authz: AuthzConf<'m>,
    compat: Compat<'m>,
    compat_set: bool,
    auth_type: Option<(bool, Span)>,
    user_file: Option<(String, Span)>,
    group_file: Option<(String, Span)>,
    rewrite: Option<RewriteConf<'m>>,
    index: Option<(Vec<String>, Span)>,
    directory_slash: bool,
    setenvif: Vec<&'m Rule>,
    redirects: Vec<&'m Rule>,
    handler: Option<&'m Rule>,
    /// `SetHandler default-handler`: directories go to the core handler too
    /// (404), not to `mod_autoindex`.
    forced_default_handler: bool,
    /// `AddHandler` by extension (`mod_mime`), lower case without the dot.
    handlers_by_extension: Vec<(String, &'m Rule)>,
    tls: Option<Span>,
    /// A server-level `RewriteEngine` also sets the per-directory default.
    rewrite_default: Option<bool>,
}

#[derive(Clone)]
struct RewriteConf<'m> {
    enabled: bool,
    directory: String,
    base: Option<String>,
    entries: Vec<rewrite::Entry<'m>>,
    span: Span,
}

impl Default for Conf<'_> {
    fn default() -> Self {
        Conf {
            opts: Opts {
                set: OPT_SYM_LINKS,
                add: 0,
                remove: 0,
            },
            options_span: None,
            overrides: Vec::new(),
            override_list: Vec::new(),
            authz: AuthzConf::default(),
            compat: Compat::default(),
            compat_set: false,
            auth_type: None,
            user_file: None,
            group_file: None,
            rewrite: None,
            index: None,
            directory_slash: true,
            setenvif: Vec::new(),
            redirects: Vec::new(),
            handler: None,
            handlers_by_extension: Vec::new(),
            forced_default_handler: false,
            tls: None,
            rewrite_default: None,
        }
    }
}

/// Variables as conditions see them.
pub(crate) struct Vars<'a> {
    pub env: &'a Env,
    pub request_view: &'a Request,
    pub filename: &'a str,
    pub listen_port: u16,
    /// Set when a condition or variable reads the Referer.
    pub read_referer: &'a Cell<bool>,
}

impl Vars<'_> {
    /// Evaluates `condition` over the request view, noting whether it
    /// tests the Referer header (the shared evaluation reads headers
    /// directly; variables come back through [`Vars::get`]).
    pub fn eval(&self, condition: &Condition) -> Option<bool> {
        if tests_referer_header(condition) {
            self.read_referer.set(true);
        }
        condition.eval(self.request_view, self)
    }
}

/// Whether `condition` has a test of the Referer header anywhere in it
/// (whether or not evaluation gets there).
fn tests_referer_header(condition: &Condition) -> bool {
    match condition {
        Condition::All(parts) | Condition::Any(parts) => parts.iter().any(tests_referer_header),
        Condition::Not(inner) => tests_referer_header(inner),
        Condition::Header { name, .. } => name.eq_ignore_ascii_case("referer"),
        _ => false,
    }
}

/// Whether the server variable `name` (`HTTP_REFERER`, `HTTP:Referer`) is
/// the Referer header.
fn is_referer_variable(name: &str) -> bool {
    // `REFERER` has no `-`, so no `_` may stand for one.
    header_of_variable(name).is_some_and(|(header, _)| header.eq_ignore_ascii_case("REFERER"))
}

/// The header an `HTTP:Name` or `HTTP_NAME` variable reads (the prefix in
/// any case), and whether its `_` stand for `-` (the second form).
fn header_of_variable(name: &str) -> Option<(&str, bool)> {
    let prefix = name.get(..5)?;
    let header = name.get(5..)?;
    if prefix.eq_ignore_ascii_case("HTTP:") {
        Some((header, false))
    } else if prefix.eq_ignore_ascii_case("HTTP_") {
        Some((header, true))
    } else {
        None
    }
}

/// The longest server variable name [`server_variable`] knows, past which
/// a name is none of them (a longer name added to its list must raise it;
/// the unit test reads the longest ones).
const LONGEST_SERVER_VARIABLE: usize = "REQUEST_PROTOCOL".len();

impl Variables for Vars<'_> {
    fn get(&self, name: &str) -> Option<String> {
        let Some(inner) = name
            .strip_prefix("%{")
            .and_then(|rest| rest.strip_suffix('}'))
        else {
            return self.env.get(name).cloned();
        };
        if let Some(header) = inner.strip_prefix("HEADER_OR_ENV:") {
            if header.eq_ignore_ascii_case("referer") {
                self.read_referer.set(true);
            }
            return self
                .request_view
                .header(header)
                .map(str::to_string)
                .or_else(|| self.env.get(header).cloned());
        }
        if let Some(regex) = inner.strip_prefix("HEADER_MATCHING:") {
            // Any header may match: the Referer among them.
            self.read_referer.set(true);
            let pattern = Pattern::new(regex, false);
            return self
                .request_view
                .headers
                .iter()
                .find(|(name, _)| pattern.is_match(name) == Some(true))
                .map(|(_, value)| value.clone());
        }
        if is_referer_variable(inner) {
            self.read_referer.set(true);
        }
        server_variable(
            inner,
            self.request_view,
            self.filename,
            self.env,
            self.listen_port,
        )
    }
}

fn server_variable(
    name: &str,
    request: &Request,
    filename: &str,
    env: &Env,
    port: u16,
) -> Option<String> {
    // Asked for every condition of every rewrite rule a trace runs: the
    // name is uppercased on the stack, not into a new string.
    let header = header_of_variable(name);
    if let Some((header, false)) = header {
        return Some(request.header(header).unwrap_or("").to_string());
    }
    if let Some(var) = name.strip_prefix("ENV:") {
        return Some(env.get(var).cloned().unwrap_or_default());
    }
    if let Some((header, true)) = header {
        let header = if header.contains('_') {
            std::borrow::Cow::Owned(header.replace('_', "-"))
        } else {
            std::borrow::Cow::Borrowed(header)
        };
        return Some(request.header(&header).unwrap_or("").to_string());
    }
    let mut buffer = [0u8; LONGEST_SERVER_VARIABLE];
    let upper = buffer.get_mut(..name.len())?;
    upper.copy_from_slice(name.as_bytes());
    upper.make_ascii_uppercase();
    Some(match std::str::from_utf8(upper).ok()? {
        "REMOTE_ADDR" | "REMOTE_HOST" => request.client_ip.to_string(),
        "REQUEST_METHOD" => request.method.clone(),
        "REQUEST_PROTOCOL" | "SERVER_PROTOCOL" => "HTTP/1.1".to_string(),
        "REQUEST_URI" => request.path.clone(),
        "QUERY_STRING" => request.query.clone().unwrap_or_default(),
        "REQUEST_FILENAME" | "SCRIPT_FILENAME" => filename.to_string(),
        "HTTPS" => "off".to_string(),
        "REQUEST_SCHEME" => "http".to_string(),
        "SERVER_PORT" => port.to_string(),
        "REMOTE_USER" => request.user.clone().unwrap_or_default(),
        // UseCanonicalName Off (the default): the name the client asked for.
        "SERVER_NAME" => request.host()?,
        "SERVER_ADDR" => request.listen?.ip().to_string(),
        "THE_REQUEST" => format!(
            "{} {}{} HTTP/1.1",
            request.method,
            request.path,
            request
                .query
                .as_ref()
                .map(|query| format!("?{query}"))
                .unwrap_or_default()
        ),
        _ => return None,
    })
}

fn setting<'r>(rule: &'r Rule, wanted: &str) -> Option<&'r [String]> {
    match &rule.kind {
        RuleKind::Setting { name, args } if name.eq_ignore_ascii_case(wanted) => Some(args),
        _ => None,
    }
}

/// Spans of `RewriteRule` settings in a scope (their `Respond`/`Rewrite`
/// views are not evaluated twice).
fn rewrite_rule_spans(rules: &[Rule]) -> Vec<Span> {
    rules
        .iter()
        .filter(|rule| setting(rule, "RewriteRule").is_some())
        .map(|rule| rule.span)
        .collect()
}

impl<'m> Tracer<'m> {
    fn step(&mut self, role: StepRole, span: Option<Span>, text: impl Into<String>) {
        if self.explains(role) {
            self.steps.push(Step::new(role, span, text));
        }
    }

    /// Whether a step of `role` is kept (see [`TraceOptions::verdict_only`]);
    /// asked before a step's text is written, where writing it costs.
    fn explains(&self, role: StepRole) -> bool {
        role == StepRole::Decided || !self.options.verdict_only
    }

    fn decided(&mut self, spans: &[Span], text: impl Into<String>) {
        let text = text.into();
        if spans.is_empty() {
            self.step(StepRole::Decided, None, text);
            return;
        }
        // `Verdict::status` lists decided steps last first: push the
        // primary line last.
        for span in spans.iter().skip(1).rev() {
            self.step(StepRole::Decided, Some(*span), text.clone());
        }
        self.step(StepRole::Decided, Some(spans[0]), text);
    }

    fn start(&mut self) -> End {
        let Some((site, step)) = select::choose_site(self.model, self.request) else {
            return End::Unknown("the configuration has no server".to_string());
        };
        self.steps.push(step);
        let raw = self.request.path.clone();
        if raw.to_ascii_lowercase().contains("%2f") {
            self.step(
                StepRole::Default,
                None,
                "an encoded slash (%2F) in the path: AllowEncodedSlashes Off answers 404",
            );
            return End::Status(404);
        }
        let Some(uri) = lint403_core::request::normalize_path(&raw, true) else {
            self.step(
                StepRole::Default,
                None,
                "the path climbs above / or holds a NUL: 400",
            );
            return End::Status(400);
        };
        if uri != raw {
            self.step(
                StepRole::Default,
                None,
                format!("the URI is normalized to {uri}"),
            );
        }
        let mut env = Env::new();
        self.server_setenvif(site, &uri, &mut env);
        let query = self.request.query.clone();
        self.pass(site, &uri, query.as_deref(), &mut env, PassKind::Initial, 0)
    }

    fn listen_port(&self, site: SiteId) -> u16 {
        self.request
            .listen
            .map(|listen| listen.port())
            .or_else(|| self.model.site(site).listen.first().map(|l| l.port))
            .unwrap_or(80)
    }

    /// The request with `uri` and `query` in place of its own. Every phase
    /// of a trace asks for one, nearly always with the same URI, so the
    /// last one made is kept: a copy of the request (its headers too) for
    /// each phase was 3 % of a large configuration's check.
    fn view(&self, uri: &str, query: Option<&str>) -> std::rc::Rc<Request> {
        let mut last = self.last_view.borrow_mut();
        if let Some(view) = last
            .as_ref()
            .filter(|view| view.path == uri && view.query.as_deref() == query)
        {
            return std::rc::Rc::clone(view);
        }
        let mut view = self.request.clone();
        view.path = uri.to_string();
        view.query = query.map(str::to_string);
        let view = std::rc::Rc::new(view);
        *last = Some(std::rc::Rc::clone(&view));
        view
    }

    /// Server-level `SetEnvIf` (`post_read_request`), main server's first.
    fn server_setenvif(&mut self, site: SiteId, uri: &str, env: &mut Env) {
        let model = self.model;
        let view = self.view(uri, self.request.query.as_deref());
        for root in select::server_roots(model, site) {
            let rules = model.scope(root).rules.iter();
            for rule in rules.filter(|rule| matches!(rule.kind, RuleKind::SetVar { .. })) {
                self.apply_setvar(rule, &view, "", env);
            }
        }
    }

    fn apply_setvar(&mut self, rule: &Rule, view: &Request, filename: &str, env: &mut Env) {
        let RuleKind::SetVar { name, value, when } = &rule.kind else {
            return;
        };
        let holds = {
            let vars = Vars {
                env,
                request_view: view,
                filename,
                listen_port: 0,
                read_referer: self.read_referer,
            };
            vars.eval(when)
        };
        match holds {
            Some(true) => {
                if let Some(unset) = name.strip_prefix('!') {
                    env.remove(unset);
                    self.step(
                        StepRole::Evaluated,
                        Some(rule.span),
                        format!("unsets {unset}"),
                    );
                } else {
                    env.insert(name.clone(), value.to_string());
                    self.step(
                        StepRole::Evaluated,
                        Some(rule.span),
                        format!("sets {name}={value}"),
                    );
                }
            }
            Some(false) => {}
            None => self.step(
                StepRole::Evaluated,
                Some(rule.span),
                "lint403 cannot evaluate this condition; the variable is left as it was",
            ),
        }
    }

    #[allow(clippy::too_many_lines)]
    fn pass(
        &mut self,
        site: SiteId,
        uri: &str,
        query: Option<&str>,
        env: &mut Env,
        kind: PassKind,
        depth: usize,
    ) -> End {
        if depth > MAX_INTERNAL_REDIRECTS {
            self.step(
                StepRole::Default,
                None,
                "more than 10 internal redirects (LimitInternalRecursion): 500",
            );
            return End::Status(500);
        }
        let port = self.listen_port(site);
        let document_root = self
            .model
            .site(site)
            .document_roots
            .first()
            .cloned()
            .unwrap_or_default();
        let document_root = document_root.trim_end_matches('/').to_string();
        // translate_name: server-context mod_rewrite.
        let mut filename: Option<String> = None;
        let mut uri = uri.to_string();
        let mut query = query.map(str::to_string);
        match self.server_rewrite(site, &uri, query.as_deref(), env, kind, port) {
            Translate::Continue => {}
            Translate::End(end) => return end,
            Translate::Filename(name, new_query) => {
                filename = Some(name);
                if new_query.is_some() {
                    query = new_query;
                }
            }
            Translate::Uri(new_uri, new_query) => {
                uri = new_uri;
                if new_query.is_some() {
                    query = new_query;
                }
            }
        }
        // mod_alias in server context.
        if filename.is_none() {
            let roots: Vec<ScopeId> = select::server_roots(self.model, site)
                .into_iter()
                .rev()
                .collect();
            for root in &roots {
                if let Some(end) = self.redirects(&self.model.scope(*root).rules, &uri, env) {
                    return end;
                }
            }
            for root in &roots {
                if let Some(found) = self.alias(*root, &uri) {
                    match found {
                        Ok(name) => {
                            filename = Some(name);
                            break;
                        }
                        Err(end) => return end,
                    }
                }
            }
        }
        let filename = filename.unwrap_or_else(|| format!("{document_root}{uri}"));
        // map_to_storage.
        let walked = match self.walk(site, &filename, &uri, env, kind) {
            Ok(walked) => walked,
            Err(end) => return end,
        };
        let Walked {
            conf,
            filename,
            path_info,
            found,
            scopes,
        } = walked;
        let view = self.view(&uri, query.as_deref());
        // header_parser: per-directory SetEnvIf (not in subrequests).
        if kind != PassKind::Sub {
            for rule in conf.setenvif.clone() {
                self.apply_setvar(rule, &view, &filename, env);
            }
        }
        if let Some(span) = conf.tls {
            self.decided(&[span], "SSLRequireSSL: the request did not come over TLS");
            self.fix = Some("request the page over https, or drop SSLRequireSSL".to_string());
            return End::Status(403);
        }
        // Access, authentication, authorization.
        if let Some(end) = self.access_phases(&conf, &view, &filename, env, port) {
            if matches!(end, End::Status(403)) && self.authz_denied {
                self.would_grant(&scopes, &view, &filename, env, port);
            }
            return end;
        }
        // Fixups (a DirectoryIndex lookup runs them too): per-directory
        // mod_rewrite.
        if let Some(rewrite) = conf.rewrite.clone() {
            if rewrite.enabled {
                if conf.opts.set & (OPT_SYM_LINKS | OPT_SYM_OWNER) == 0 {
                    let mut spans = vec![rewrite.span];
                    spans.extend(conf.options_span);
                    self.decided(
                        &spans,
                        "RewriteEngine On in directory context while Options FollowSymLinks and SymLinksIfOwnerMatch are both off: 403 (AH00670)",
                    );
                    self.fix = Some(
                        "add `Options +SymLinksIfOwnerMatch` (or +FollowSymLinks) where the RewriteEngine is turned on"
                            .to_string(),
                    );
                    return End::Status(403);
                }
                match self.perdir_rewrite(
                    site,
                    kind == PassKind::Sub,
                    &rewrite,
                    &filename,
                    &path_info,
                    &uri,
                    query.as_deref(),
                    env,
                    port,
                    &document_root,
                ) {
                    PerDir::Continue => {}
                    PerDir::End(end) => return end,
                    PerDir::Redirect(..) if kind == PassKind::Sub => {
                        // A lookup is never run: mod_dir only looks at what
                        // the lookup found on disk before the rewrite.
                        return End::Sub {
                            regular_file: matches!(found, Found::File | Found::Unseen)
                                && !filename.ends_with('/'),
                        };
                    }
                    PerDir::Redirect(new_uri, new_query) => {
                        self.step(
                            StepRole::Evaluated,
                            None,
                            format!("internal redirect to {new_uri}"),
                        );
                        // ap_internal_redirect: the new request sees the
                        // old variables renamed REDIRECT_*.
                        let mut next_env: Env = env
                            .iter()
                            .map(|(name, value)| (format!("REDIRECT_{name}"), value.clone()))
                            .collect();
                        next_env.insert("REDIRECT_URL".to_string(), uri.clone());
                        next_env.insert("REDIRECT_STATUS".to_string(), "200".to_string());
                        self.server_setenvif(site, &new_uri, &mut next_env);
                        return self.pass(
                            site,
                            &new_uri,
                            new_query.as_deref(),
                            &mut next_env,
                            PassKind::Redirect,
                            depth + 1,
                        );
                    }
                }
            }
        }
        // mod_alias in directory context.
        let redirects: Vec<Rule> = conf.redirects.iter().map(|rule| (*rule).clone()).collect();
        if let Some(end) = self.redirects(&redirects, &uri, env) {
            return end;
        }
        let _ = scopes;
        if kind == PassKind::Sub {
            return End::Sub {
                regular_file: matches!(found, Found::File | Found::Unseen)
                    && !filename.ends_with('/'),
            };
        }
        self.handler(site, &conf, &filename, &uri, &path_info, found, env, depth)
    }

    /// `Redirect`/`RedirectMatch` rules (not the views of `RewriteRule`s).
    fn redirects(&mut self, rules: &[Rule], uri: &str, env: &Env) -> Option<End> {
        let skip = rewrite_rule_spans(rules);
        let view = self.view(uri, None);
        for rule in rules {
            let RuleKind::Respond { status, when, .. } = &rule.kind else {
                continue;
            };
            if skip.contains(&rule.span) {
                continue;
            }
            let vars = Vars {
                env,
                request_view: &view,
                filename: "",
                listen_port: 0,
                read_referer: self.read_referer,
            };
            match vars.eval(when) {
                Some(true) => {
                    self.decided(&[rule.span], format!("mod_alias answers {status}"));
                    if *status == 403 {
                        self.fix = Some(
                            "narrow the Redirect/RedirectMatch pattern so it does not match this path"
                                .to_string(),
                        );
                    }
                    return Some(End::Status(*status));
                }
                Some(false) => {}
                None => {
                    return Some(End::Unknown(
                        "a RedirectMatch pattern lint403 cannot evaluate".to_string(),
                    ))
                }
            }
        }
        None
    }

    /// `Alias`/`AliasMatch`/`ScriptAlias` of one server scope.
    fn alias(&mut self, root: ScopeId, uri: &str) -> Option<Result<String, End>> {
        let rules = &self.model.scope(root).rules;
        for rule in rules {
            let RuleKind::Setting { name, args } = &rule.kind else {
                continue;
            };
            let lower = name.to_ascii_lowercase();
            let (Some(from), Some(to)) = (args.first(), args.get(1)) else {
                continue;
            };
            let mapped = match lower.as_str() {
                "alias" | "scriptalias" => alias_match(from, uri).map(|rest| format!("{to}{rest}")),
                "aliasmatch" | "scriptaliasmatch" => {
                    let pattern = self.model.pattern(from, false);
                    match pattern.captures(uri) {
                        Some(Some(groups)) => Some(substitute(to, &groups)),
                        Some(None) => None,
                        None => {
                            return Some(Err(End::Unknown(
                                "an AliasMatch pattern lint403 cannot evaluate".to_string(),
                            )))
                        }
                    }
                }
                _ => None,
            };
            if let Some(mapped) = mapped {
                let span = rule.span;
                if lower.starts_with("script") {
                    self.step(
                        StepRole::Evaluated,
                        Some(span),
                        "ScriptAlias maps the request to a CGI script",
                    );
                    return Some(Err(End::Unknown(
                        "the request goes to a CGI script (ScriptAlias)".to_string(),
                    )));
                }
                self.step(
                    StepRole::Evaluated,
                    Some(span),
                    format!("{name} maps the request to {mapped}"),
                );
                return Some(Ok(mapped));
            }
        }
        None
    }

    fn server_rewrite(
        &mut self,
        site: SiteId,
        uri: &str,
        query: Option<&str>,
        env: &mut Env,
        kind: PassKind,
        port: u16,
    ) -> Translate {
        let roots = select::server_roots(self.model, site);
        let own = *roots.last().unwrap_or(&self.model.site(site).root);
        let main = if roots.len() > 1 {
            Some(roots[0])
        } else {
            None
        };
        let mut enabled = None;
        let mut inherit = false;
        for root in &roots {
            for rule in &self.model.scope(*root).rules {
                if let Some(args) = setting(rule, "RewriteEngine") {
                    enabled = Some(args.first().is_some_and(|v| v.eq_ignore_ascii_case("on")));
                }
            }
        }
        for rule in &self.model.scope(own).rules {
            if let Some(args) = setting(rule, "RewriteOptions") {
                inherit |= args.iter().any(|a| a.eq_ignore_ascii_case("inherit"));
            }
        }
        if enabled != Some(true) {
            return Translate::Continue;
        }
        let mut entries = self.rewrite_lists.entries(self.model, own);
        if inherit {
            if let Some(main) = main {
                entries.extend(self.rewrite_lists.entries(self.model, main));
            }
        }
        if entries.is_empty() {
            return Translate::Continue;
        }
        let view = self.view(uri, query);
        let mut lookup = RewriteLookup {
            tracer_fs: &self.options.fs,
            model: self.model,
            view: &view,
            env,
            filename: uri.to_string(),
            port,
            subrequest: kind == PassKind::Sub,
            scope_rules: self.rewrite_maps(site),
            read_referer: self.read_referer,
        };
        let outcome = rewrite::run(&entries, uri, &mut lookup);
        match outcome {
            rewrite::Outcome::Unchanged => Translate::Continue,
            rewrite::Outcome::Status(status, span, why) => {
                self.decided(
                    &[span],
                    format!("{why}: {status} in server context, before any access rule"),
                );
                if status == 403 {
                    self.fix = Some("add a RewriteCond that exempts this request before the rule, or narrow its pattern".to_string());
                }
                Translate::End(End::Status(status))
            }
            rewrite::Outcome::Redirect(status, span) => {
                self.decided(&[span], format!("RewriteRule redirects ({status})"));
                Translate::End(End::Status(status))
            }
            rewrite::Outcome::Unknown(reason) => Translate::End(End::Unknown(reason)),
            rewrite::Outcome::Rewritten {
                value,
                query: new_query,
                span,
                passthrough,
                qsappend,
            } => {
                let new_query = merge_query(new_query, query, qsappend);
                self.step(
                    StepRole::Evaluated,
                    Some(span),
                    format!("RewriteRule rewrites the request to {value}"),
                );
                if passthrough || !self.is_filesystem_path(&value) {
                    if passthrough {
                        Translate::Uri(value, new_query)
                    } else {
                        let root = self
                            .model
                            .site(site)
                            .document_roots
                            .first()
                            .cloned()
                            .unwrap_or_default();
                        Translate::Filename(
                            format!("{}{value}", root.trim_end_matches('/')),
                            new_query,
                        )
                    }
                } else {
                    Translate::Filename(value, new_query)
                }
            }
        }
    }

    /// `RewriteMap` settings visible to a site: `name -> (type, source)`.
    fn rewrite_maps(&self, site: SiteId) -> HashMap<String, (String, String)> {
        let mut maps = HashMap::new();
        for root in select::server_roots(self.model, site) {
            for rule in &self.model.scope(root).rules {
                if let Some(args) = setting(rule, "RewriteMap") {
                    if let (Some(name), Some(source)) = (args.first(), args.get(1)) {
                        let (kind, path) = source.split_once(':').unwrap_or(("txt", source));
                        maps.insert(name.clone(), (kind.to_ascii_lowercase(), path.to_string()));
                    }
                }
            }
        }
        maps
    }

    /// Whether a server-context substitution names a filesystem path (its
    /// first component is a document root, alias target or mapped path).
    fn is_filesystem_path(&self, value: &str) -> bool {
        let first = value
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or("");
        if first.is_empty() {
            return false;
        }
        let top = format!("/{first}");
        let roots = self
            .model
            .sites
            .iter()
            .flat_map(|site| site.document_roots.iter());
        for root in roots {
            if root.starts_with(&format!("{top}/")) || root == &top {
                return true;
            }
        }
        self.options
            .fs
            .kind(Path::new(&top))
            .is_some_and(|kind| kind != FileKind::Missing)
    }

    #[allow(clippy::too_many_arguments)]
    fn perdir_rewrite(
        &mut self,
        site: SiteId,
        subrequest: bool,
        rewrite: &RewriteConf<'m>,
        filename: &str,
        path_info: &str,
        uri: &str,
        query: Option<&str>,
        env: &mut Env,
        port: u16,
        document_root: &str,
    ) -> PerDir {
        if rewrite.entries.is_empty() {
            return PerDir::Continue;
        }
        // The rule sees the filename with the path info put back, without
        // the directory prefix.
        let full_input = format!("{filename}{path_info}");
        let input = full_input
            .strip_prefix(rewrite.directory.as_str())
            .unwrap_or(&full_input)
            .to_string();
        let view = self.view(uri, query);
        let maps = self.rewrite_maps(site);
        let mut lookup = RewriteLookup {
            tracer_fs: &self.options.fs,
            model: self.model,
            view: &view,
            env,
            filename: filename.to_string(),
            port,
            subrequest,
            scope_rules: maps,
            read_referer: self.read_referer,
        };
        let outcome = rewrite::run(&rewrite.entries, &input, &mut lookup);
        match outcome {
            rewrite::Outcome::Unchanged => PerDir::Continue,
            rewrite::Outcome::Status(status, span, why) => {
                self.decided(&[span], format!("{why}: {status}"));
                if status == 403 {
                    self.fix = Some("add a RewriteCond that exempts this request before the rule, or narrow its pattern".to_string());
                }
                PerDir::End(End::Status(status))
            }
            rewrite::Outcome::Redirect(status, span) => {
                self.decided(&[span], format!("RewriteRule redirects ({status})"));
                PerDir::End(End::Status(status))
            }
            rewrite::Outcome::Unknown(reason) => PerDir::End(End::Unknown(reason)),
            rewrite::Outcome::Rewritten {
                value,
                query: new_query,
                span,
                qsappend,
                ..
            } => {
                let new_query = merge_query(new_query, query, qsappend);
                let full = if value.starts_with('/') {
                    value.clone()
                } else {
                    format!("{}{value}", rewrite.directory)
                };
                if !value.starts_with('/') && full == filename {
                    self.step(
                        StepRole::Evaluated,
                        Some(span),
                        "the rewritten path equals the original: the rewrite is ignored",
                    );
                    return PerDir::Continue;
                }
                self.step(
                    StepRole::Evaluated,
                    Some(span),
                    format!("RewriteRule rewrites the request to {value}"),
                );
                let new_uri = if value.starts_with('/') {
                    value
                } else if let Some(base) = &rewrite.base {
                    let rest = full
                        .strip_prefix(rewrite.directory.as_str())
                        .unwrap_or(&full);
                    format!("{}/{}", base.trim_end_matches('/'), rest)
                } else if let Some(rest) = full.strip_prefix(document_root) {
                    rest.to_string()
                } else {
                    return PerDir::End(End::Unknown(format!(
                        "a per-directory rewrite to {full}, outside the document root, needs RewriteBase"
                    )));
                };
                PerDir::Redirect(new_uri, new_query)
            }
        }
    }

    /// The directory walk and the section merge that follows it.
    #[allow(clippy::too_many_lines)]
    fn walk(
        &mut self,
        site: SiteId,
        filename: &str,
        uri: &str,
        env: &Env,
        kind: PassKind,
    ) -> Result<Walked<'m>, End> {
        let model = self.model;
        let mut conf = Conf::default();
        let mut applied: Vec<ScopeId> = Vec::new();
        for root in select::server_roots(model, site) {
            if let Some(own) = self.merge(&mut conf, root, true) {
                conf.authz = authz::merge(&conf.authz, &own);
            }
            applied.push(root);
        }
        // Components of the filename, walked from the root.
        let parts: Vec<&str> = filename.split('/').filter(|p| !p.is_empty()).collect();
        let trailing = filename.ends_with('/');
        // Two buffers for every component (a walk runs for every probe).
        let mut current = String::with_capacity(filename.len() + 2);
        current.push('/');
        let mut candidate = String::with_capacity(filename.len() + 2);
        let mut found = Found::Unseen;
        let mut final_name = String::new();
        let mut path_info = String::new();
        // The root directory.
        self.merge_directory(site, &mut conf, &mut applied, 1, "/", kind)?;
        for (index, part) in parts.iter().enumerate() {
            let is_last = index + 1 == parts.len();
            candidate.clear();
            candidate.push_str(&current);
            candidate.push_str(part);
            let on_disk = self.options.fs.kind(Path::new(&candidate));
            let kind_here = match &on_disk {
                None => {
                    if is_last && !trailing {
                        Found::Unseen
                    } else {
                        Found::Directory
                    }
                }
                Some(FileKind::Directory) => Found::Directory,
                Some(FileKind::File) => Found::File,
                Some(FileKind::Missing) => Found::Missing,
                Some(FileKind::Special) => Found::Special,
                Some(FileKind::Symlink { resolves_to, .. }) => {
                    if conf.opts.set & OPT_SYM_LINKS == 0 {
                        let owner_ok = conf.opts.set & OPT_SYM_OWNER != 0
                            && self.same_owner(Path::new(&candidate));
                        if !owner_ok {
                            self.step(
                                StepRole::Filesystem,
                                None,
                                format!("{candidate} is a symbolic link"),
                            );
                            let spans: Vec<Span> = conf.options_span.into_iter().collect();
                            self.decided(&spans, "Options without FollowSymLinks: the symbolic link is refused (AH00037)");
                            self.fix = Some("add `Options +FollowSymLinks` for the directory that holds the link, or replace the link".to_string());
                            return Err(End::Status(403));
                        }
                    }
                    match resolves_to.as_deref() {
                        Some(FileKind::Directory) => Found::Directory,
                        Some(FileKind::File) => Found::File,
                        Some(_) => Found::Special,
                        None => {
                            self.step(
                                StepRole::Filesystem,
                                None,
                                format!(
                                    "{candidate} is a symbolic link whose target does not exist"
                                ),
                            );
                            self.decided(&[], "the link target is not accessible: 403 (AH00037)");
                            self.fix = Some(
                                "point the link at an existing file, or remove it".to_string(),
                            );
                            return Err(End::Status(403));
                        }
                    }
                }
            };
            match kind_here {
                Found::Directory => {
                    current.clear();
                    current.push_str(&candidate);
                    current.push('/');
                    if is_last && !trailing {
                        found = Found::Directory;
                        final_name.clone_from(&candidate);
                        // The directory itself is walked (its sections apply).
                        self.merge_directory(
                            site,
                            &mut conf,
                            &mut applied,
                            index + 2,
                            &current,
                            kind,
                        )?;
                        break;
                    }
                    self.merge_directory(site, &mut conf, &mut applied, index + 2, &current, kind)?;
                    if is_last {
                        found = Found::Directory;
                        final_name.clone_from(&current);
                    }
                }
                other => {
                    found = other;
                    final_name.clone_from(&candidate);
                    if !is_last {
                        path_info = format!("/{}", parts[index + 1..].join("/"));
                        if trailing {
                            path_info.push('/');
                        }
                    } else if trailing && other == Found::File {
                        path_info = "/".to_string();
                    }
                    break;
                }
            }
        }
        if parts.is_empty() {
            found = Found::Directory;
            final_name = "/".to_string();
        }
        match found {
            _ if !self.explains(StepRole::Filesystem) => {}
            Found::File => self.step(
                StepRole::Filesystem,
                None,
                format!("{final_name} is a file"),
            ),
            Found::Directory => self.step(
                StepRole::Filesystem,
                None,
                format!("{final_name} is a directory"),
            ),
            Found::Missing => self.step(
                StepRole::Filesystem,
                None,
                format!("{final_name} does not exist"),
            ),
            Found::Special => self.step(
                StepRole::Filesystem,
                None,
                format!("{final_name} is not a regular file"),
            ),
            Found::Unseen => self.step(
                StepRole::Filesystem,
                None,
                format!("no view of {final_name}: assumed to be a file"),
            ),
        }
        // DirectoryMatch on the full filename.
        for id in select::directory_regex_sections(model, site, &final_name) {
            self.scope_step(id);
            if let Some(own) = self.merge(&mut conf, id, false) {
                conf.authz = authz::merge(&conf.authz, &own);
            }
            applied.push(id);
        }
        // Files on the last segment.
        let basename = if found == Found::Directory && final_name.ends_with('/') {
            String::new()
        } else {
            select::basename(&final_name).to_string()
        };
        // <Files>, <Location> and <If> sections are merged with each other
        // first, then onto what the directory walk built (file_walk,
        // location_walk and if_walk keep a `now_merged` of their own).
        let mut group: Option<AuthzConf<'m>> = None;
        for id in select::files_sections(model, &applied, &basename) {
            self.scope_step(id);
            if let Some(own) = self.merge(&mut conf, id, false) {
                group = Some(merge_group(group, own));
            }
            applied.push(id);
        }
        if let Some(group) = group.take() {
            conf.authz = authz::merge(&conf.authz, &group);
        }
        // Location on the URI.
        for id in select::location_sections(model, site, uri) {
            self.scope_step(id);
            if let Some(own) = self.merge(&mut conf, id, false) {
                group = Some(merge_group(group, own));
            }
            applied.push(id);
        }
        if let Some(group) = group.take() {
            conf.authz = authz::merge(&conf.authz, &group);
        }
        // <If> sections of everything applied, in merge order.
        let view = self.view(uri, self.request.query.as_deref());
        let mut queue: Vec<ScopeId> = applied.clone();
        let mut index = 0;
        while index < queue.len() {
            let parent = queue[index];
            index += 1;
            for &child in model.children_of_kind(parent, ScopeKind::If) {
                let scope = model.scope(child);
                let Matcher::If(condition) = &scope.matcher else {
                    continue;
                };
                let vars = Vars {
                    env,
                    request_view: &view,
                    filename: &final_name,
                    listen_port: 0,
                    read_referer: self.read_referer,
                };
                match vars.eval(condition) {
                    Some(true) => {
                        self.scope_step(child);
                        if let Some(own) = self.merge(&mut conf, child, false) {
                            group = Some(merge_group(group, own));
                        }
                        queue.push(child);
                    }
                    Some(false) => {}
                    None => {
                        return Err(End::Unknown(
                            "an <If> condition lint403 cannot evaluate".to_string(),
                        ))
                    }
                }
            }
        }
        if let Some(group) = group.take() {
            conf.authz = authz::merge(&conf.authz, &group);
        }
        for scope_id in &queue {
            let scope = model.scope(*scope_id);
            if matches!(scope.kind, ScopeKind::Global | ScopeKind::Server) {
                continue;
            }
            for gap in model.gaps_within(scope.span) {
                if !self.unmodelled.iter().any(|(span, _)| *span == gap.span) {
                    self.unmodelled.push((gap.span, gap.reason.clone()));
                }
            }
        }
        Ok(Walked {
            conf,
            filename: final_name,
            path_info,
            found,
            scopes: queue,
        })
    }

    fn same_owner(&self, path: &Path) -> bool {
        let Some(local) = self.options.fs.local(path) else {
            return true;
        };
        owner_matches(&local)
    }

    fn scope_step(&mut self, id: ScopeId) {
        if !self.explains(StepRole::Scope) {
            return;
        }
        let head = self.model.scope(id).head;
        let text = select::describe_scope(self.model, id);
        self.step(StepRole::Scope, Some(head), format!("{text} applies"));
    }

    /// The `<Directory>` sections of one directory of the walk, then its
    /// `.htaccess` when `AllowOverride` lets httpd read it.
    fn merge_directory(
        &mut self,
        site: SiteId,
        conf: &mut Conf<'m>,
        applied: &mut Vec<ScopeId>,
        depth: usize,
        directory: &str,
        _kind: PassKind,
    ) -> Result<(), End> {
        for id in select::directory_sections_at(self.model, site, depth, directory) {
            self.scope_step(id);
            if let Some(own) = self.merge(conf, id, false) {
                conf.authz = authz::merge(&conf.authz, &own);
            }
            applied.push(id);
        }
        let reads = !conf.overrides.is_empty() || !conf.override_list.is_empty();
        let Some(htaccess) = select::htaccess_at(self.model, directory) else {
            return Ok(());
        };
        if !reads {
            let span = self.model.scope(htaccess).span;
            self.step(
                StepRole::Evaluated,
                Some(Span::new(span.file, lint403_core::TextRange::empty(0))),
                format!("{directory}.htaccess is not read: AllowOverride None"),
            );
            return Ok(());
        }
        self.check_htaccess(conf, htaccess)?;
        self.scope_step(htaccess);
        if let Some(own) = self.merge(conf, htaccess, false) {
            conf.authz = authz::merge(&conf.authz, &own);
        }
        applied.push(htaccess);
        Ok(())
    }

    /// A `.htaccess` line httpd refuses, or one whose override class is
    /// not granted, makes the directory answer 500.
    fn check_htaccess(&mut self, conf: &Conf<'m>, htaccess: ScopeId) -> Result<(), End> {
        let model = self.model;
        let mut scopes = vec![htaccess];
        let mut index = 0;
        while index < scopes.len() {
            let id = scopes[index];
            index += 1;
            scopes.extend(model.scope(id).children.iter().copied());
            let top = model.scope(id).kind != ScopeKind::Limit
                && model.scope(id).kind != ScopeKind::LimitExcept;
            let _ = top;
            for rule in &model.scope(id).rules {
                if let Some(args) = setting(rule, INVALID) {
                    self.decided(
                        &[rule.span],
                        format!("{}: the .htaccess is refused (500)", args.join(" ")),
                    );
                    return Err(End::Status(500));
                }
                let in_combine = false;
                let Some((class, name)) = class_of(rule, !in_combine) else {
                    continue;
                };
                if !Self::class_granted(conf, class, &name, rule) {
                    self.decided(
                        &[rule.span],
                        format!(
                            "{name} not allowed here: AllowOverride does not grant {} (500)",
                            class.name()
                        ),
                    );
                    return Err(End::Status(500));
                }
            }
        }
        Ok(())
    }

    fn class_granted(conf: &Conf<'m>, class: Class, name: &str, rule: &Rule) -> bool {
        if conf
            .override_list
            .iter()
            .any(|listed| listed.eq_ignore_ascii_case(name))
        {
            return true;
        }
        let grants = |wanted: &str| {
            conf.overrides.iter().any(|granted| {
                granted == "all"
                    || granted == wanted
                    || (wanted == "options" && granted.starts_with("options="))
            })
        };
        match class {
            Class::AuthConfig => grants("authconfig"),
            Class::FileInfo => grants("fileinfo"),
            Class::Indexes => grants("indexes"),
            Class::Limit => grants("limit"),
            Class::Options => {
                if conf
                    .overrides
                    .iter()
                    .any(|granted| granted == "all" || granted == "options")
                {
                    return true;
                }
                let Some(list) = conf
                    .overrides
                    .iter()
                    .find_map(|granted| granted.strip_prefix("options="))
                else {
                    return false;
                };
                let allowed: Vec<&str> = list.split(',').collect();
                let args = setting(rule, "Options").unwrap_or(&[]);
                args.iter().all(|word| {
                    let word = word.trim_start_matches(['+', '-']).to_ascii_lowercase();
                    allowed.iter().any(|own| own.eq_ignore_ascii_case(&word))
                        || (word == "all"
                            && allowed.iter().any(|own| own.eq_ignore_ascii_case("all")))
                })
            }
            Class::ServerOnly => false,
        }
    }

    /// Merges one scope's own rules (and its `<Limit>` children's) into
    /// `conf`, as each module's merge function would.
    #[allow(clippy::too_many_lines)]
    /// Returns the scope's own `mod_authz_core` configuration (merged by
    /// the caller: directory sections one by one, `<Files>`, `<Location>`
    /// and `<If>` as groups first, as httpd's walks do).
    fn merge(
        &mut self,
        conf: &mut Conf<'m>,
        id: ScopeId,
        server_level: bool,
    ) -> Option<AuthzConf<'m>> {
        let model = self.model;
        let scope = model.scope(id);
        // The `<Limit>`/`<LimitExcept>` children in order, without walking
        // every child (the main server has one per virtual host): through
        // the index when only one of the two kinds is there.
        let limits = model.children_of_kind(id, ScopeKind::Limit);
        let limit_excepts = model.children_of_kind(id, ScopeKind::LimitExcept);
        let limit_children: Vec<ScopeId> = match (limits.is_empty(), limit_excepts.is_empty()) {
            (_, true) => limits.to_vec(),
            (true, false) => limit_excepts.to_vec(),
            (false, false) => scope
                .children
                .iter()
                .copied()
                .filter(|child| {
                    matches!(
                        model.scope(*child).kind,
                        ScopeKind::Limit | ScopeKind::LimitExcept
                    )
                })
                .collect(),
        };
        // The scope's own rules, then those of its limit sections, each
        // with the section's matcher.
        let limit_rules = limit_children.iter().flat_map(|&child| {
            let child_scope = model.scope(child);
            child_scope
                .rules
                .iter()
                .map(move |rule| (rule, Some(&child_scope.matcher)))
        });
        let own_rules = scope
            .rules
            .iter()
            .map(|rule| (rule, None::<&'m Matcher>))
            .chain(limit_rules);
        let skip = rewrite_rule_spans(&scope.rules);
        // mod_authz_core.
        let mut authz_touched = matches!(scope.access_inheritance, Inheritance::Merge(_));
        let mut authz_children: Vec<Node<'m>> = Vec::new();
        let mut forbidden_on_fail = None;
        // mod_access_compat.
        let mut compat = Compat::default();
        let mut compat_touched = false;
        // mod_rewrite.
        let mut rewrite_touched = false;
        let mut rewrite_state: Option<bool> = None;
        let mut rewrite_inherit = false;
        let mut rewrite_base: Option<String> = None;
        let mut rewrite_span: Option<Span> = None;
        // core Options.
        let mut opts_own: Option<Opts> = None;
        for (rule, limit) in own_rules {
            match &rule.kind {
                RuleKind::Combine { children, .. } => {
                    authz_touched = true;
                    for child in children {
                        authz_children.push(Node::from_rule(child, limit));
                    }
                }
                RuleKind::Access { .. } => {
                    compat_touched = true;
                    compat.entries.push((rule, limit));
                }
                RuleKind::Order(order) => {
                    compat_touched = true;
                    compat.orders.push((*order, rule, limit));
                }
                RuleKind::Satisfy(satisfy) => {
                    compat_touched = true;
                    compat.satisfy.push((*satisfy, rule, limit));
                }
                RuleKind::Auth {
                    kind,
                    user_file,
                    enabled,
                    ..
                } => {
                    if !matches!(kind, lint403_core::model::AuthKind::Other(text) if text.is_empty())
                    {
                        conf.auth_type = Some((*enabled, rule.span));
                    }
                    if let Some(file) = user_file {
                        conf.user_file = Some((file.to_string(), rule.span));
                    }
                }
                RuleKind::TlsRequirement { required } => {
                    conf.tls = required.then_some(rule.span);
                }
                RuleKind::SetVar { .. } if !server_level => {
                    conf.setenvif.push(rule);
                }
                RuleKind::Respond { .. } if !server_level && !skip.contains(&rule.span) => {
                    conf.redirects.push(rule);
                }
                RuleKind::Listing {
                    index_files: Some(files),
                    ..
                } => conf.index = Some((files.clone(), rule.span)),
                RuleKind::Setting { name, args } => {
                    let lower = name.to_ascii_lowercase();
                    match lower.as_str() {
                        "options" => {
                            let mut own = opts_own.unwrap_or(Opts {
                                set: OPT_UNSET_MARK,
                                add: 0,
                                remove: 0,
                            });
                            parse_options(args, &mut own);
                            opts_own = Some(own);
                            conf.options_span = Some(rule.span);
                        }
                        "allowoverride" => {
                            conf.overrides = args
                                .iter()
                                .map(|value| value.to_ascii_lowercase())
                                .filter(|value| value != "none" && !value.starts_with("nonfatal="))
                                .collect();
                        }
                        "allowoverridelist" => {
                            conf.override_list = args
                                .iter()
                                .filter(|value| !value.eq_ignore_ascii_case("none"))
                                .cloned()
                                .collect();
                        }
                        "directoryslash" => {
                            conf.directory_slash =
                                !args.first().is_some_and(|v| v.eq_ignore_ascii_case("off"));
                        }
                        "authgroupfile" => {
                            if let Some(file) = args.first() {
                                conf.group_file = Some((file.clone(), rule.span));
                            }
                        }
                        "authzsendforbiddenonfailure" => {
                            forbidden_on_fail =
                                Some(args.first().is_some_and(|v| v.eq_ignore_ascii_case("on")));
                        }
                        "rewriteengine" if server_level => {
                            conf.rewrite_default =
                                Some(args.first().is_some_and(|v| v.eq_ignore_ascii_case("on")));
                        }
                        "rewriteengine" => {
                            rewrite_touched = true;
                            rewrite_state =
                                Some(args.first().is_some_and(|v| v.eq_ignore_ascii_case("on")));
                            rewrite_span = Some(rule.span);
                        }
                        "rewriteoptions" if !server_level => {
                            rewrite_touched = true;
                            rewrite_inherit |=
                                args.iter().any(|a| a.eq_ignore_ascii_case("inherit"));
                        }
                        "rewritebase" if !server_level => {
                            rewrite_touched = true;
                            rewrite_base = args.first().cloned();
                        }
                        "rewritecond" | "rewriterule" if !server_level => rewrite_touched = true,
                        _ if name == HANDLER => merge_handler(conf, rule, args),
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        if forbidden_on_fail.is_some() {
            authz_touched = true;
        }
        let own_authz = authz_touched.then(|| AuthzConf {
            section: (!authz_children.is_empty()).then_some(Node::Group {
                and: false,
                negate: false,
                children: authz_children,
                span: None,
            }),
            op: match scope.access_inheritance {
                Inheritance::Merge(merging) => Some(merging),
                _ => None,
            },
            forbidden_on_fail,
        });
        if compat_touched {
            conf.compat = compat;
            conf.compat_set = true;
        }
        if let Some(own) = opts_own {
            merge_options(&mut conf.opts, own);
        }
        if rewrite_touched {
            let directory = match (&scope.kind, &scope.matcher) {
                (_, Matcher::Dir(dir)) => {
                    let mut dir = dir.clone();
                    if !dir.ends_with('/') {
                        dir.push('/');
                    }
                    dir
                }
                (_, Matcher::Prefix(path)) => path.clone(),
                (_, Matcher::Regex(re) | Matcher::DirRegex(re)) => re.source.clone(),
                _ => String::new(),
            };
            let own_entries = self.rewrite_lists.entries(model, id);
            let base = conf.rewrite.clone();
            let enabled = rewrite_state
                .or(base.as_ref().map(|b| b.enabled))
                .or(conf.rewrite_default)
                .unwrap_or(false);
            let mut entries = own_entries;
            if rewrite_inherit {
                if let Some(base) = &base {
                    entries.extend(base.entries.iter().copied());
                }
            }
            conf.rewrite = Some(RewriteConf {
                enabled,
                directory,
                base: rewrite_base.or_else(|| base.as_ref().and_then(|b| b.base.clone())),
                entries,
                span: rewrite_span
                    .or(base.as_ref().map(|b| b.span))
                    .unwrap_or(scope.head),
            });
        }
        own_authz
    }

    /// `access_checker`, `access_checker_ex`, authn, authz.
    #[allow(clippy::too_many_lines)]
    fn access_phases(
        &mut self,
        conf: &Conf<'m>,
        view: &Request,
        filename: &str,
        env: &Env,
        port: u16,
    ) -> Option<End> {
        self.authz_denied = false;
        let method = view.method.clone();
        let (satisfy, satisfy_span) = conf.compat.satisfy(&method);
        let compat = if conf.compat_set {
            match conf.compat.check(view, env) {
                Ok(result) => Some(result),
                Err(reason) => return Some(End::Unknown(reason)),
            }
        } else {
            None
        };
        let compat_allows = compat.as_ref().is_none_or(|(allowed, _)| *allowed);
        if satisfy == Satisfy::Any {
            if compat_allows {
                let mut spans: Vec<Span> = satisfy_span.into_iter().collect();
                if let Some((_, deciding)) = &compat {
                    spans.extend(deciding.iter().copied());
                }
                self.step(
                    StepRole::Evaluated,
                    satisfy_span,
                    "Satisfy Any: the host-based access check passed, so Require and authentication are skipped",
                );
                return None;
            }
        } else if let Some((false, deciding)) = &compat {
            self.decided(deciding, "mod_access_compat denies the client (AH01797)");
            self.fix = Some(format!(
                "allow {} in the Order/Allow/Deny lines that decide (or replace them with Require)",
                view.client_ip
            ));
            return Some(End::Status(403));
        }
        let Some(section) = conf.authz.section.clone() else {
            if conf.auth_type.is_some_and(|(enabled, _)| enabled) && satisfy != Satisfy::Any {
                let spans: Vec<Span> = conf.auth_type.map(|(_, span)| span).into_iter().collect();
                self.decided(&spans, "AuthType with no Require: 500 (AH01627)");
                return Some(End::Status(500));
            }
            self.step(
                StepRole::Default,
                None,
                "no Require applies: authorization granted (no directives)",
            );
            return None;
        };
        let vars = Vars {
            env,
            request_view: view,
            filename,
            listen_port: port,
            read_referer: self.read_referer,
        };
        // access_checker_ex: without a user.
        let userless = {
            let context = authz::Context {
                request: view,
                vars: &vars,
                user: None,
                groups: None,
                explain: self.explains(StepRole::Evaluated),
            };
            authz::evaluate(&section, true, &context)
        };
        for (span, text) in &userless.trail {
            self.step(StepRole::Evaluated, Some(*span), text.clone());
        }
        let result = match userless.result {
            Ok(result) => result,
            Err(reason) => return Some(End::Unknown(reason)),
        };
        match result {
            authz::Authz::Granted => {
                self.step(
                    StepRole::Evaluated,
                    None,
                    "authorization granted without a user",
                );
                return None;
            }
            authz::Authz::Denied | authz::Authz::Neutral => {
                self.decided(
                    &userless.deciding,
                    format!(
                        "authorization result {}: client denied by server configuration (AH01630)",
                        authz::name(result)
                    ),
                );
                self.authz_denied = true;
                self.fix = Some(format!(
                    "grant {} in the Require lines that decide (e.g. `Require ip {}`), or move the request out of the denying section",
                    view.describe(),
                    view.client_ip
                ));
                return Some(End::Status(403));
            }
            authz::Authz::DeniedNoUser => {}
        }
        // Authentication.
        let Some((true, auth_span)) = conf.auth_type else {
            self.decided(
                &userless.deciding,
                "a Require needs a user but no AuthType is set: 500 (AH00027)",
            );
            return Some(End::Status(500));
        };
        let user = match self.authenticated_user(conf) {
            Ok(Some(user)) => user,
            Ok(None) => {
                self.decided(&[auth_span], "credentials are needed: 401");
                return Some(End::Status(401));
            }
            Err(end) => return Some(end),
        };
        let groups_store = self.user_groups(conf, Some(&user));
        let context = authz::Context {
            request: view,
            vars: &vars,
            user: Some(&user),
            groups: groups_store.as_deref(),
            explain: self.explains(StepRole::Evaluated),
        };
        let with_user = authz::evaluate(&section, true, &context);
        for (span, text) in &with_user.trail {
            self.step(StepRole::Evaluated, Some(*span), text.clone());
        }
        match with_user.result {
            Err(reason) => Some(End::Unknown(reason)),
            Ok(authz::Authz::Granted) => {
                self.step(
                    StepRole::Evaluated,
                    None,
                    format!("authorization granted for {user}"),
                );
                None
            }
            Ok(authz::Authz::DeniedNoUser) => {
                self.decided(
                    &with_user.deciding,
                    "authorization failure (no authenticated user): 401",
                );
                Some(End::Status(401))
            }
            Ok(_) => {
                if conf.authz.forbidden_on_fail == Some(true) {
                    self.decided(&with_user.deciding, format!("user {user} is not authorized; AuthzSendForbiddenOnFailure On: 403 (AH01631)"));
                    self.fix = Some(format!("grant {user} in the Require lines that decide"));
                    Some(End::Status(403))
                } else {
                    self.decided(
                        &with_user.deciding,
                        format!("user {user} is not authorized: 401 (AH01631)"),
                    );
                    Some(End::Status(401))
                }
            }
        }
    }

    /// After an authorization refusal: the sections whose own `Require`
    /// lines would grant the request, had a later section not replaced or
    /// joined them.
    fn would_grant(
        &mut self,
        scopes: &[ScopeId],
        view: &Request,
        filename: &str,
        env: &Env,
        port: u16,
    ) {
        let model = self.model;
        let vars = Vars {
            env,
            request_view: view,
            filename,
            listen_port: port,
            read_referer: self.read_referer,
        };
        let context = authz::Context {
            request: view,
            vars: &vars,
            user: None,
            groups: None,
            explain: self.explains(StepRole::Evaluated),
        };
        let mut found = Vec::new();
        for id in scopes {
            let scope = model.scope(*id);
            let mut children = Vec::new();
            let limits = std::iter::once((scope, None)).chain(
                scope
                    .children
                    .iter()
                    .map(|child| model.scope(*child))
                    .filter(|child| matches!(child.kind, ScopeKind::Limit | ScopeKind::LimitExcept))
                    .map(|child| (child, Some(&child.matcher))),
            );
            let mut head = None;
            for (holder, limit) in limits {
                for rule in &holder.rules {
                    if let RuleKind::Combine {
                        children: lines, ..
                    } = &rule.kind
                    {
                        head.get_or_insert(rule.span);
                        children.extend(lines.iter().map(|line| Node::from_rule(line, limit)));
                    }
                }
            }
            let Some(head) = head else {
                continue;
            };
            let node = Node::Group {
                and: false,
                negate: false,
                children,
                span: None,
            };
            if matches!(
                authz::evaluate(&node, true, &context).result,
                Ok(authz::Authz::Granted)
            ) {
                found.push((head, select::describe_scope(model, *id)));
            }
        }
        for (span, name) in found {
            self.step(
                StepRole::WouldChange,
                Some(span),
                format!("the Require lines of {name} grant this request, but a later section replaces them (or AuthMerging joins them)"),
            );
        }
    }

    /// The request's user when it passes authentication: `Ok(None)` without
    /// credentials; `Err(401)` when the user file is readable and does not
    /// list the user.
    fn authenticated_user(&mut self, conf: &Conf<'m>) -> Result<Option<String>, End> {
        let Some(user) = self.request.user.clone() else {
            return Ok(None);
        };
        let Some((file, span)) = conf.user_file.clone() else {
            return Ok(Some(user));
        };
        let Some(text) = self.read_deploy_file(&file) else {
            self.step(
                StepRole::Default,
                Some(span),
                format!("{file} is not readable here: {user}'s credentials are assumed valid"),
            );
            return Ok(Some(user));
        };
        let entry = text.lines().find_map(|line| {
            let line = line.trim();
            if line.starts_with('#') {
                return None;
            }
            let (name, hash) = line.split_once(':')?;
            (name == user).then(|| hash.to_string())
        });
        let Some(hash) = entry else {
            self.decided(
                &[span],
                format!("{user} is not in {file}: authentication fails (401)"),
            );
            return Err(End::Status(401));
        };
        match self
            .request
            .password
            .as_deref()
            .map(|password| passwords::verify(&hash, password))
        {
            None => {
                self.step(
                    StepRole::Evaluated,
                    Some(span),
                    format!("{user} is in {file}: the credentials are assumed valid"),
                );
                Ok(Some(user))
            }
            Some(Some(true)) => {
                self.step(
                    StepRole::Evaluated,
                    Some(span),
                    format!("{user}'s password matches {file}"),
                );
                Ok(Some(user))
            }
            Some(Some(false)) => {
                self.decided(
                    &[span],
                    format!("{user}'s password does not match {file}: authentication fails (401)"),
                );
                Err(End::Status(401))
            }
            Some(None) => Err(End::Unknown(format!(
                "{file} stores {user}'s password in a format lint403 does not check"
            ))),
        }
    }

    fn user_groups(&mut self, conf: &Conf<'m>, user: Option<&str>) -> Option<Vec<String>> {
        let user = user?;
        let (file, _) = conf.group_file.clone()?;
        let text = self.read_deploy_file(&file)?;
        let mut groups = Vec::new();
        for line in text.lines() {
            let Some((group, members)) = line.split_once(':') else {
                continue;
            };
            if members.split_whitespace().any(|member| member == user) {
                groups.push(group.trim().to_string());
            }
        }
        Some(groups)
    }

    fn read_deploy_file(&self, path: &str) -> Option<String> {
        let local = self.options.fs.local(Path::new(path))?;
        std::fs::read_to_string(local).ok()
    }

    #[allow(clippy::too_many_arguments)]
    fn handler(
        &mut self,
        site: SiteId,
        conf: &Conf<'m>,
        filename: &str,
        uri: &str,
        path_info: &str,
        found: Found,
        env: &mut Env,
        depth: usize,
    ) -> End {
        let extension_handler = {
            let name = select::basename(filename).to_ascii_lowercase();
            let extensions: Vec<&str> = name.split('.').skip(1).collect();
            conf.handlers_by_extension
                .iter()
                .find(|(extension, _)| extensions.contains(&extension.as_str()))
                .map(|(_, rule)| *rule)
        };
        if let Some(rule) = conf.handler.or(extension_handler) {
            self.step(
                StepRole::Evaluated,
                Some(rule.span),
                "a handler lint403 does not model takes the request",
            );
            return End::Unknown(
                "the response comes from a handler or upstream lint403 does not model".to_string(),
            );
        }
        let method = self.request.method.as_str();
        match found {
            Found::Missing => {
                self.step(StepRole::Default, None, "the file does not exist: 404");
                End::Status(404)
            }
            Found::Special => {
                self.step(StepRole::Default, None, "not a regular file: 403");
                self.fix = Some("serve a regular file".to_string());
                End::Status(403)
            }
            Found::File | Found::Unseen => {
                if !path_info.is_empty() {
                    self.step(
                        StepRole::Default,
                        None,
                        "extra path after a file (AcceptPathInfo default): 404",
                    );
                    return End::Status(404);
                }
                static_status(method)
            }
            Found::Directory => {
                if !uri.ends_with('/') {
                    if conf.directory_slash {
                        self.step(
                            StepRole::Default,
                            None,
                            "a directory without a trailing slash: mod_dir redirects (301)",
                        );
                        return End::Status(301);
                    }
                    return self.listing(conf, method);
                }
                let (names, span) = match &conf.index {
                    Some((names, span)) => (names.clone(), Some(*span)),
                    None => (vec!["index.html".to_string()], None),
                };
                let mut error: Option<u16> = None;
                let single = names.len() == 1;
                let candidates_start = self.steps.len();
                let fix_before = self.fix.clone();
                for name in &names {
                    let candidate = if name.starts_with('/') {
                        name.clone()
                    } else {
                        format!("{uri}{name}")
                    };
                    let mut sub_env = env.clone();
                    let saved = self.steps.len();
                    let saved_fix = self.fix.clone();
                    let end = self.pass(
                        site,
                        &candidate,
                        None,
                        &mut sub_env,
                        PassKind::Sub,
                        depth + 1,
                    );
                    match end {
                        End::Sub { regular_file } => {
                            let exists = self.index_exists(filename, name);
                            if regular_file && exists != Some(false) {
                                // An earlier candidate's refusal did not
                                // decide: this one is served.
                                for step in &mut self.steps[candidates_start..] {
                                    if step.role == StepRole::Decided {
                                        step.role = StepRole::Evaluated;
                                    }
                                }
                                self.fix.clone_from(&fix_before);
                                self.step(
                                    StepRole::Evaluated,
                                    span,
                                    format!("DirectoryIndex: {candidate} is served"),
                                );
                                return static_status(method);
                            }
                            self.steps.truncate(saved);
                            self.fix = saved_fix;
                        }
                        End::Status(status)
                            if (300..400).contains(&status) || (status == 401 && single) =>
                        {
                            return End::Status(status);
                        }
                        End::Status(404) => {
                            self.steps.truncate(saved);
                            self.fix = saved_fix;
                        }
                        End::Status(status) => {
                            error.get_or_insert(status);
                        }
                        End::Unknown(reason) => return End::Unknown(reason),
                    }
                }
                if let Some(status) = error {
                    return End::Status(status);
                }
                let _ = filename;
                self.listing(conf, method)
            }
        }
    }

    /// Whether `name` exists as a regular file in the directory.
    fn index_exists(&self, directory: &str, name: &str) -> Option<bool> {
        let path = format!("{}/{}", directory.trim_end_matches('/'), name);
        match self.options.fs.kind(Path::new(&path))? {
            FileKind::File => Some(true),
            FileKind::Symlink { resolves_to, .. } => {
                Some(matches!(resolves_to.as_deref(), Some(FileKind::File)))
            }
            _ => Some(false),
        }
    }

    fn listing(&mut self, conf: &Conf<'m>, method: &str) -> End {
        if !matches!(method, "GET" | "HEAD") {
            self.step(
                StepRole::Default,
                None,
                "mod_autoindex lists only for GET; the core handler answers 404 for a directory",
            );
            return End::Status(404);
        }
        if conf.forced_default_handler {
            self.step(
                StepRole::Evaluated,
                None,
                "SetHandler default-handler: the core handler does not list directories (404)",
            );
            return End::Status(404);
        }
        if conf.opts.set & OPT_INDEXES != 0 {
            self.step(
                StepRole::Evaluated,
                conf.options_span,
                "Options Indexes: mod_autoindex lists the directory",
            );
            return static_status(method);
        }
        let mut spans: Vec<Span> = conf.options_span.into_iter().collect();
        if let Some((_, span)) = &conf.index {
            spans.push(*span);
        }
        self.decided(&spans, "no DirectoryIndex file and Options without Indexes: directory listing refused (AH01276)");
        self.fix = Some("add an index file (DirectoryIndex) or `Options +Indexes`".to_string());
        End::Status(403)
    }
}

/// One more section of a `<Files>`/`<Location>`/`<If>` group.
fn merge_group<'m>(group: Option<AuthzConf<'m>>, own: AuthzConf<'m>) -> AuthzConf<'m> {
    match group {
        None => own,
        Some(group) => authz::merge(&group, &own),
    }
}

/// `SetHandler`/`AddHandler`/`RemoveHandler` (and the handlers lint403
/// never models: `ProxyPass`, `FallbackResource`, `Action`). The default
/// handler (`None`, `default-handler`) serves files as lint403 models.
fn merge_handler<'m>(conf: &mut Conf<'m>, rule: &'m Rule, args: &[String]) {
    let directive = args
        .first()
        .map_or(String::new(), |name| name.to_ascii_lowercase());
    let is_default = |handler: &str| {
        handler.eq_ignore_ascii_case("none") || handler.eq_ignore_ascii_case("default-handler")
    };
    let extensions = |words: &[String]| -> Vec<String> {
        words
            .iter()
            .map(|word| word.trim_start_matches('.').to_ascii_lowercase())
            .collect()
    };
    match directive.as_str() {
        "sethandler" => {
            conf.forced_default_handler = args
                .get(1)
                .is_some_and(|handler| handler.eq_ignore_ascii_case("default-handler"));
            conf.handler = match args.get(1) {
                Some(handler) if !is_default(handler) => Some(rule),
                _ => None,
            };
        }
        "addhandler" => {
            let Some(handler) = args.get(1) else {
                return;
            };
            let names = extensions(&args[2.min(args.len())..]);
            conf.handlers_by_extension
                .retain(|(extension, _)| !names.contains(extension));
            if !is_default(handler) {
                conf.handlers_by_extension
                    .extend(names.into_iter().map(|extension| (extension, rule)));
            }
        }
        "removehandler" => {
            let names = extensions(&args[1.min(args.len())..]);
            conf.handlers_by_extension
                .retain(|(extension, _)| !names.contains(extension));
        }
        _ => conf.handler = Some(rule),
    }
}

fn static_status(method: &str) -> End {
    match method {
        // The default handler serves POST like GET (the body is ignored).
        "GET" | "HEAD" | "OPTIONS" | "POST" => End::Status(200),
        _ => End::Status(405),
    }
}

#[cfg(unix)]
fn owner_matches(local: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::symlink_metadata(local), std::fs::metadata(local)) {
        (Ok(link), Ok(target)) => link.uid() == target.uid(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn owner_matches(_local: &Path) -> bool {
    true
}

/// A marker for "this section's Options are relative" (httpd's `OPT_UNSET`).
const OPT_UNSET_MARK: u8 = 16;

fn parse_options(args: &[String], own: &mut Opts) {
    let mut first = true;
    for word in args {
        let (action, name) = match word.strip_prefix('+') {
            Some(rest) => ('+', rest),
            None => match word.strip_prefix('-') {
                Some(rest) => ('-', rest),
                None => (' ', word.as_str()),
            },
        };
        if action == ' ' && first {
            own.set = 0;
        }
        let bits = match name.to_ascii_lowercase().as_str() {
            "indexes" => OPT_INDEXES,
            "includes" => OPT_INCLUDES,
            "includesnoexec" => OPT_INCLUDES | OPT_INC_WITH_EXEC,
            "followsymlinks" => OPT_SYM_LINKS,
            "symlinksifownermatch" => OPT_SYM_OWNER,
            "execcgi" => OPT_EXECCGI,
            "multiviews" => OPT_MULTI,
            "runscripts" => OPT_MULTI | OPT_EXECCGI,
            "all" => OPT_ALL,
            _ => 0,
        };
        match action {
            '-' => {
                own.remove |= bits;
                own.add &= !bits;
                own.set &= !bits;
            }
            '+' => {
                own.add |= bits;
                own.remove &= !bits;
                own.set |= bits;
            }
            _ => own.set |= bits,
        }
        first = false;
    }
}

/// core's merge of `Options`: relative settings adjust what is inherited,
/// an absolute one replaces it.
fn merge_options(conf: &mut Opts, new: Opts) {
    if new.set & OPT_UNSET_MARK != 0 {
        conf.add = (conf.add & !new.remove) | new.add;
        conf.remove = (conf.remove & !new.add) | new.remove;
        conf.set = (conf.set & !conf.remove) | conf.add;
    } else {
        conf.set = new.set;
        conf.add = new.add;
        conf.remove = new.remove;
    }
    conf.set &= !OPT_UNSET_MARK;
}

fn merge_query(new: Option<String>, old: Option<&str>, append: bool) -> Option<String> {
    match (new, old, append) {
        (Some(new), Some(old), true) => Some(format!("{new}&{old}")),
        (Some(new), _, _) => Some(new),
        (None, old, _) => old.map(str::to_string),
    }
}

/// `mod_alias`'s `alias_matches`: the rest of the URI after an `Alias`
/// prefix that ends on a segment boundary.
fn alias_match(prefix: &str, uri: &str) -> Option<String> {
    let rest = uri.strip_prefix(prefix)?;
    if prefix.ends_with('/') || rest.is_empty() || rest.starts_with('/') {
        Some(rest.to_string())
    } else {
        None
    }
}

fn substitute(template: &str, groups: &[Option<String>]) -> String {
    let bytes = template.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
            let n = usize::from(bytes[i + 1] - b'0');
            out.push_str(groups.get(n).cloned().flatten().as_deref().unwrap_or(""));
            i += 2;
            continue;
        }
        let width = template[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&template[i..i + width]);
        i += width;
    }
    out
}

enum Translate {
    Continue,
    End(End),
    Filename(String, Option<String>),
    Uri(String, Option<String>),
}

enum PerDir {
    Continue,
    End(End),
    Redirect(String, Option<String>),
}

struct Walked<'m> {
    conf: Conf<'m>,
    filename: String,
    path_info: String,
    found: Found,
    scopes: Vec<ScopeId>,
}

struct RewriteLookup<'a> {
    tracer_fs: &'a lint403_core::fsview::FsView,
    model: &'a Model,
    view: &'a Request,
    env: &'a mut Env,
    filename: String,
    port: u16,
    subrequest: bool,
    scope_rules: HashMap<String, (String, String)>,
    read_referer: &'a Cell<bool>,
}

impl rewrite::Lookup for RewriteLookup<'_> {
    fn server_var(&self, name: &str) -> Option<String> {
        if is_referer_variable(name) {
            self.read_referer.set(true);
        }
        server_variable(name, self.view, &self.filename, self.env, self.port)
    }

    fn file_test(&self, test: &str, path: &str) -> Option<bool> {
        let kind = self.tracer_fs.kind(Path::new(path))?;
        let resolved = match &kind {
            FileKind::Symlink { resolves_to, .. } => {
                resolves_to.as_deref().cloned().unwrap_or(FileKind::Missing)
            }
            other => other.clone(),
        };
        Some(match test {
            "-d" => resolved == FileKind::Directory,
            "-s" => {
                resolved == FileKind::File
                    && self
                        .tracer_fs
                        .local(Path::new(path))
                        .and_then(|local| std::fs::metadata(local).ok())
                        .is_some_and(|meta| meta.len() > 0)
            }
            "-l" | "-L" | "-h" => matches!(kind, FileKind::Symlink { .. }),
            _ => resolved == FileKind::File,
        })
    }

    fn map(&self, map: &str, key: &str) -> Result<Option<String>, String> {
        let Some((kind, source)) = self.scope_rules.get(map) else {
            return Err(format!("RewriteMap {map} is not defined"));
        };
        match (kind.as_str(), source.as_str()) {
            ("int", "tolower") => Ok(Some(key.to_ascii_lowercase())),
            ("int", "toupper") => Ok(Some(key.to_ascii_uppercase())),
            ("txt", path) => {
                let local = self
                    .tracer_fs
                    .local(Path::new(path))
                    .ok_or_else(|| format!("RewriteMap file {path} is not visible"))?;
                let text = std::fs::read_to_string(local)
                    .map_err(|_| format!("RewriteMap file {path} is not readable"))?;
                Ok(rewrite::parse_txt_map(&text).get(key).cloned())
            }
            _ => Err(format!("RewriteMap {map} ({kind}) is not modelled")),
        }
    }

    fn set_env(&mut self, name: &str, value: &str) {
        let _ = self.model;
        if value.is_empty() && name.is_empty() {
            return;
        }
        self.env.insert(name.to_string(), value.to_string());
    }

    fn is_subrequest(&self) -> bool {
        self.subrequest
    }

    fn pattern(&self, source: &str, nocase: bool) -> std::sync::Arc<Pattern> {
        self.model.pattern(source, nocase)
    }
}

#[cfg(test)]
mod tests {
    use lint403_core::{CheckOptions, Request, SourceFile, SourceMap, TraceOptions};

    /// Both spellings of a header variable, in any case; `_` stands for
    /// `-` in the second only; server variables in any case; a name
    /// longer than every server variable is none of them.
    #[test]
    fn variables_are_read_in_any_case_without_copies() {
        for name in [
            "HTTP_REFERER",
            "http_referer",
            "HTTP:Referer",
            "Http:REFERER",
        ] {
            assert!(super::is_referer_variable(name), "{name}");
        }
        for name in [
            "HTTP_REFERER_X",
            "HTTP:Refer_er",
            "HTTPREFERER",
            "REFERER",
            "HTTP_",
            "",
        ] {
            assert!(!super::is_referer_variable(name), "{name}");
        }
        let mut request = Request::new("GET", "/a");
        request.set_header("User-Agent", "curl/8");
        request.set_header("X_Odd", "odd");
        let env = super::Env::new();
        let read = |name: &str| super::server_variable(name, &request, "/srv/a", &env, 80);
        assert_eq!(read("HTTP_USER_AGENT").as_deref(), Some("curl/8"));
        assert_eq!(read("http:user-agent").as_deref(), Some("curl/8"));
        assert_eq!(read("HTTP:X_Odd").as_deref(), Some("odd"));
        assert_eq!(read("HTTP_X_ODD").as_deref(), Some(""));
        assert_eq!(read("HTTP_ACCEPT").as_deref(), Some(""));
        assert_eq!(read("request_uri").as_deref(), Some("/a"));
        assert_eq!(read("Request_Protocol").as_deref(), Some("HTTP/1.1"));
        assert_eq!(read("REQUEST_FILENAME").as_deref(), Some("/srv/a"));
        assert_eq!(read("REQUEST_PROTOCOLS"), None);
        assert_eq!(read("NO_SUCH"), None);
        assert_eq!(read("é"), None);
    }

    /// Whether tracing `GET path` (with a foreign Referer) through the
    /// configuration `text` read the Referer, and whether the verdict is
    /// the same with the site's own Referer and with none.
    fn reads(text: &str, path: &str) -> (bool, bool) {
        let mut sources = SourceMap::new();
        let file = sources.add(SourceFile::from_bytes(
            "/tmp/lint403-trace-referer/httpd.conf",
            text.as_bytes().to_vec(),
        ));
        let config = crate::load(&mut sources, file, &CheckOptions::default());
        let options = TraceOptions::default();
        let model = crate::lower(&config, &mut sources, &options);
        lint403_testkit::referer::reads_referer(path, |request| {
            super::trace_reading_referer(&model, request, &options)
        })
    }

    const SITE: &str = "Listen 80
<VirtualHost *:80>
    ServerName example.com
    DocumentRoot /srv/www
    <Directory /srv/www>
        Require all granted
    </Directory>
    <Directory /srv/www/private>
        Require all denied
    </Directory>
    RewriteEngine On
    RewriteCond %{HTTP_REFERER} !^https?://example\\.com/ [NC]
    RewriteRule \\.jpg$ - [F]
    <Location /expr/>
        Require expr \"req('Referer') !~ /evil/\"
    </Location>
    SetEnvIfNoCase Referer evil spam
    <Location /env/>
        <RequireAll>
            Require all granted
            Require not env spam
        </RequireAll>
    </Location>
</VirtualHost>
";

    #[test]
    fn a_trace_says_when_it_read_the_referer() {
        // A RewriteCond, a `Require expr`, a SetEnvIf on the header.
        assert_eq!(reads(SITE, "/a.jpg"), (true, false));
        assert!(reads(SITE, "/expr/x").0);
        assert_eq!(reads(SITE, "/env/x"), (true, false));
    }

    #[test]
    fn a_trace_that_never_looks_at_the_referer_says_so() {
        let text = "Listen 80
<VirtualHost *:80>
    ServerName example.com
    DocumentRoot /srv/www
    <Directory /srv/www>
        Require all granted
    </Directory>
    <Directory /srv/www/private>
        Require all denied
    </Directory>
    RewriteEngine On
    RewriteCond %{HTTP_USER_AGENT} bot
    RewriteRule ^ - [F]
</VirtualHost>
";
        assert_eq!(reads(text, "/private/x"), (false, true));
        assert_eq!(reads(text, "/index.html"), (false, true));
    }
}
