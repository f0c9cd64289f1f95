//! Probe requests through the shared model: the configuration is lowered
//! by its dialect crate and each probe path of RULES.md §5 is traced, for
//! every site, by that dialect's tracer — the same selection and
//! evaluation `lint403 trace` runs. Rules that ask "what does this deny?"
//! read the verdicts instead of re-deriving the server's semantics.
//!
//! Probes are anonymous GETs from 203.0.113.5 without a Referer, to the
//! site's first listen address with its first plain name as `Host`. There
//! is no filesystem view in `check` (deploy paths are not on this
//! machine), so the tracers treat targets as existing files; and no
//! distribution defaults are assumed, so a refusal always comes from a
//! line of the configuration.

use std::net::{IpAddr, SocketAddr};

use lint403_core::model::{Model, ScopeId, SiteId};
use lint403_core::{Request, SourceMap, Span, TraceOptions, Verdict};

use crate::{Loaded, RuleContext};

/// Paths every public site is expected to serve (RULES.md §5.1).
pub const MUST_ALLOW: &[&str] = &[
    "/",
    "/index.html",
    "/robots.txt",
    "/favicon.ico",
    "/sitemap.xml",
    "/.well-known/acme-challenge/t",
    "/.well-known/security.txt",
    "/assets/app.js",
    "/images/photo.jpg",
    "/blog/2024/post",
];

/// Dot-paths a dotfile block is meant to refuse (RULES.md §5.2).
pub const DOTFILES: &[&str] = &["/.git/config", "/.env", "/.htpasswd"];

/// A configuration lowered into the model, ready to trace requests.
pub struct Lowered<'c> {
    pub model: Model,
    config: Loaded<'c>,
    options: TraceOptions,
    /// Files the report knows; lowering may read more (an IIS folder's
    /// web.config), whose spans a diagnostic must not use.
    known_files: usize,
    /// [`Lowered::referer_gates`], found once for every rule that reads them.
    referer_gates: std::sync::OnceLock<Vec<RefererGate>>,
    /// [`Lowered::new_scopes`] start here.
    first_new_scope: usize,
    /// The threads a search over its sites may use.
    threads: usize,
}

impl<'c> Lowered<'c> {
    /// `None` when the configuration has no site (a fragment with no
    /// server of its own).
    pub fn of(context: &RuleContext<'c>) -> Option<Lowered<'c>> {
        let mut sources: SourceMap = context.sources.clone();
        // Rules read a probe's verdict and deciding lines, not its steps.
        let options = TraceOptions {
            verdict_only: true,
            ..TraceOptions::default()
        };
        let model = lower(
            context.config,
            &mut sources,
            &options,
            crate::threads_for(context),
        );
        if model.sites.is_empty() {
            return None;
        }
        Some(Lowered {
            model,
            config: context.config,
            options,
            known_files: context.sources.len(),
            referer_gates: std::sync::OnceLock::new(),
            first_new_scope: 0,
            threads: crate::threads_for(context),
        })
    }

    /// An nginx configuration lowered a window of `server` blocks at a
    /// time ([`lint403_nginx::lower::lower_in_windows`]), each window
    /// handed to `visit` as a model of its own and dropped before the
    /// next, so a rule that traces every site needs a few megabytes where
    /// the whole model of a large configuration takes as much as its
    /// syntax trees. Windows without a site are skipped.
    ///
    /// With `mentioning`, only the servers whose text holds that word
    /// (unless the part outside the servers does; see
    /// [`lint403_nginx::lower::lower_in_windows`]).
    pub fn in_windows(
        context: &RuleContext<'c>,
        config: &lint403_nginx::LoadedConfig,
        mentioning: Option<&str>,
        mut visit: impl FnMut(&Lowered<'c>),
    ) {
        let options = TraceOptions {
            verdict_only: true,
            ..TraceOptions::default()
        };
        let known_files = context.sources.len();
        let threads = crate::threads_for(context);
        // The first window's scopes are all new; later ones repeat the
        // shared part.
        let mut first_new_scope = 0;
        lint403_nginx::lower::lower_in_windows(
            config,
            context.sources,
            &options,
            threads,
            SERVERS_PER_WINDOW,
            mentioning,
            |model, shared| {
                let first_new_scope = std::mem::replace(&mut first_new_scope, shared.scopes());
                if model.sites.is_empty() {
                    return model;
                }
                let lowered = Lowered {
                    model,
                    config: context.config,
                    options: options.clone(),
                    known_files,
                    referer_gates: std::sync::OnceLock::new(),
                    first_new_scope,
                    threads,
                };
                visit(&lowered);
                lowered.model
            },
        );
    }

    /// An anonymous `GET path` from 203.0.113.5 to `site`: its first
    /// listen socket, its first plain name as `Host`.
    pub fn request(&self, site: SiteId, path: &str) -> Request {
        let chosen = site;
        let site = self.model.site(site);
        let mut request = Request::new("GET", path);
        // The probe is of this site: the tracer need not choose among all.
        request.site = Some(chosen);
        request.client_ip = IpAddr::from([203, 0, 113, 5]);
        if let Some(name) = site.names.iter().find(|name| is_plain_host(name)) {
            request.set_header("Host", name);
        }
        request.listen = site.listen.first().map(|listen| {
            SocketAddr::new(
                listen.address.unwrap_or(IpAddr::from([127, 0, 0, 1])),
                listen.port,
            )
        });
        request
    }

    pub fn trace(&self, request: &Request) -> Verdict {
        trace(self.config, &self.model, request, &self.options)
    }

    /// [`Lowered::trace`], and whether the verdict may depend on the
    /// request's Referer (`false` only when the tracer says it never read
    /// it; tracers that do not say are assumed to have read it).
    fn trace_reading_referer(&self, request: &Request) -> (Verdict, bool) {
        match self.config {
            Loaded::Nginx(_) => {
                lint403_nginx::trace::trace_reading_referer(&self.model, request, &self.options)
            }
            Loaded::Apache(_) => {
                lint403_apache::trace_reading_referer(&self.model, request, &self.options)
            }
            Loaded::Iis(_) => (self.trace(request), true),
        }
    }

    /// The deciding line of a verdict, when it is in a file of the report.
    pub fn deciding(&self, verdict: &Verdict) -> Option<Span> {
        verdict
            .decided_by
            .first()
            .copied()
            .filter(|span| (span.file.0 as usize) < self.known_files)
    }

    /// `span` when it is in a file of the report.
    pub fn known(&self, span: Span) -> Option<Span> {
        ((span.file.0 as usize) < self.known_files).then_some(span)
    }

    /// The site's plain host names (no wildcards, regexes or addresses).
    pub fn hosts(&self, site: SiteId) -> Vec<String> {
        self.model
            .site(site)
            .names
            .iter()
            .filter(|name| is_plain_host(name))
            .map(|name| name.to_ascii_lowercase())
            .collect()
    }

    /// The scopes an earlier window of [`Lowered::in_windows`] did not
    /// hold (all of them in the first window, and in a whole model), in
    /// the model's order.
    pub fn new_scopes(&self) -> &[lint403_core::model::Scope] {
        self.model
            .scopes
            .get(self.first_new_scope..)
            .unwrap_or_default()
    }

    pub fn sites(&self) -> impl Iterator<Item = SiteId> {
        (0..self.model.sites.len()).map(SiteId)
    }
}

/// Paths a hotlink or referer gate usually guards.
pub const GUARDED: &[&str] = &["/images/photo.jpg", "/logo.png", "/", "/downloads/file.zip"];

/// A referer check found by tracing: on `site`, `path` is refused with a
/// foreign Referer (decided at `span`) and served with the Referer of
/// `host`, one of the site's own.
pub struct RefererGate {
    pub site: SiteId,
    pub path: &'static str,
    pub host: String,
    pub span: Span,
}

impl Lowered<'_> {
    /// `path` on `site` with `referer` (`None`: no Referer header).
    pub fn with_referer(&self, site: SiteId, path: &str, referer: Option<&str>) -> Verdict {
        let mut request = self.request(site, path);
        if let Some(referer) = referer {
            request.set_header("Referer", referer);
        }
        self.trace(&request)
    }

    /// The referer gates of every site, one per deciding line. Only when
    /// the model tests the Referer at all (tracing is the expensive part),
    /// and once per configuration however many rules ask.
    pub fn referer_gates(&self) -> &[RefererGate] {
        self.referer_gates
            .get_or_init(|| self.find_referer_gates(&mut std::collections::HashSet::new()))
    }

    /// The referer gates of the sites of this model whose deciding line
    /// is not among `decided_spans` (the lines of the gates found before
    /// it, in the windows of the same configuration), which it extends.
    pub fn find_referer_gates(
        &self,
        decided_spans: &mut std::collections::HashSet<Span>,
    ) -> Vec<RefererGate> {
        if !tests_referer(&self.model) {
            return Vec::new();
        }
        let reading = self.sites_reading_referer();
        // Sites are searched on every core, then their gates are taken in
        // site order, each deciding line once: the gates the search in
        // order finds. A site skips a line an earlier site already found,
        // as the search in order does; a later site's find does not count.
        let found_by: std::sync::Mutex<std::collections::HashMap<Span, usize>> =
            std::sync::Mutex::default();
        let before: &std::collections::HashSet<Span> = decided_spans;
        let per_site = lint403_core::cores::map(&reading, self.threads, |(site, scopes)| {
            let order = site.0;
            let decided_earlier = |span: &Span| {
                before.contains(span)
                    || crate::lock(&found_by)
                        .get(span)
                        .is_some_and(|&finder| finder < order)
            };
            self.site_referer_gates(*site, scopes, decided_earlier, |span| {
                let mut found_by = crate::lock(&found_by);
                let finder = found_by.entry(span).or_insert(order);
                *finder = (*finder).min(order);
            })
        });
        let mut gates = Vec::new();
        for gate in per_site.into_iter().flatten() {
            if decided_spans.insert(gate.span) {
                gates.push(gate);
            }
        }
        gates
    }

    /// The gates of one site, each deciding line once, leaving out the
    /// lines `decided_earlier` says a search before it found; `found`
    /// hears of each line as it is found.
    fn site_referer_gates(
        &self,
        site: SiteId,
        scopes: &[ScopeId],
        decided_earlier: impl Fn(&Span) -> bool,
        found: impl Fn(Span),
    ) -> Vec<RefererGate> {
        // What refuses a foreign Referer does not depend on the host
        // tried below: traced once per path, not once per host (every
        // host any policy of the configuration names is tried on every
        // site, so per host it grew with sites × hosts).
        // A refusal the trace reached without reading the Referer is
        // the same for the site's own Referers: no gate, and nothing
        // to trace for them.
        let refusals: Vec<Option<Span>> = GUARDED
            .iter()
            .map(|path| {
                let mut request = self.request(site, path);
                request.set_header("Referer", "https://evil.test/page");
                let (foreign, read_referer) = self.trace_reading_referer(&request);
                (foreign.is_forbidden() && read_referer)
                    .then(|| self.deciding(&foreign))
                    .flatten()
            })
            .collect();
        if refusals.iter().all(Option::is_none) {
            return Vec::new();
        }
        let mut hosts = self.hosts(site);
        for host in referer_hosts_in(scopes.iter().map(|id| self.model.scope(*id))) {
            if !hosts.contains(&host) {
                hosts.push(host);
            }
        }
        // The site's own names first; a few named partners after them.
        hosts.truncate(MAX_HOSTS_PER_SITE);
        let mut gates: Vec<RefererGate> = Vec::new();
        for host in hosts {
            for (path, refusal) in GUARDED.iter().zip(&refusals) {
                let Some(span) = *refusal else {
                    continue;
                };
                if gates.iter().any(|gate| gate.span == span) || decided_earlier(&span) {
                    continue;
                }
                let own_passes = [
                    format!("https://{host}/page"),
                    format!("http://{host}/page"),
                ]
                .iter()
                .any(|own| !self.with_referer(site, path, Some(own)).is_forbidden());
                if own_passes {
                    found(span);
                    gates.push(RefererGate {
                        site,
                        path,
                        host: host.clone(),
                        span,
                    });
                }
            }
        }
        gates
    }
}

impl Lowered<'_> {
    /// The sites whose own scopes, or the scopes all sites share, read the
    /// Referer, each with those scopes: tracing the others for referer
    /// rules would find nothing.
    fn sites_reading_referer(&self) -> Vec<(SiteId, Vec<ScopeId>)> {
        let model = &self.model;
        let mut owner: Vec<Option<usize>> = vec![None; model.scopes.len()];
        for (index, site) in model.sites.iter().enumerate() {
            for scope in model.descendants(site.root) {
                owner[scope.0] = Some(index);
            }
        }
        let mut own: Vec<Vec<ScopeId>> = vec![Vec::new(); model.sites.len()];
        let mut shared: Vec<ScopeId> = Vec::new();
        let global_reads = model.global.iter().any(rule_reads_referer);
        for (index, scope) in model.scopes.iter().enumerate() {
            let matcher_reads = matches!(&scope.matcher, lint403_core::model::Matcher::If(condition)
                if names_referer(condition));
            if matcher_reads || scope.rules.iter().any(rule_reads_referer) {
                match owner[index] {
                    Some(site) => own[site].push(ScopeId(index)),
                    None => shared.push(ScopeId(index)),
                }
            }
        }
        self.sites()
            .filter_map(|site| {
                let mut scopes = own[site.0].clone();
                scopes.extend(shared.iter().copied());
                (global_reads || !scopes.is_empty()).then_some((site, scopes))
            })
            .collect()
    }
}

/// How many nginx `server` blocks a window of [`Lowered::in_windows`]
/// holds: enough for the threads of the lowering to share, few enough
/// that a window is a few megabytes.
const SERVERS_PER_WINDOW: usize = 256;

/// Hosts tried per site: its own names, then partners its checks name.
const MAX_HOSTS_PER_SITE: usize = 4;

fn rule_reads_referer(rule: &lint403_core::model::Rule) -> bool {
    use lint403_core::model::RuleKind;
    match &rule.kind {
        RuleKind::RefererPolicy { .. } => true,
        RuleKind::Respond { when, .. }
        | RuleKind::Rewrite { when, .. }
        | RuleKind::SetVar { when, .. } => names_referer(when),
        RuleKind::Setting { args, .. } => reads_referer(args),
        _ => false,
    }
}

/// Whether a text of the condition — a header or variable name, a value,
/// a pattern, a path, a method, an unparsed condition — names the Referer
/// (`Referer`, `$http_referer`, `$invalid_referer`, `%{HTTP_REFERER}`), in
/// any case. (Every text of a condition, as its debug form would show it,
/// without formatting the condition.)
fn names_referer(condition: &lint403_core::model::Condition) -> bool {
    use lint403_core::model::{Condition, TextTest};
    fn says(text: &str) -> bool {
        text.as_bytes()
            .windows(REFERER.len())
            .any(|window| window.eq_ignore_ascii_case(REFERER))
    }
    fn test_says(test: &TextTest) -> bool {
        match test {
            TextTest::Matches(pattern) => says(&pattern.source),
            TextTest::Equals { value, .. } | TextTest::Prefix(value) => says(value),
            TextTest::Empty | TextTest::Present | TextTest::Truthy => false,
        }
    }
    const REFERER: &[u8] = b"referer";
    match condition {
        Condition::Always | Condition::ClientIp(_) => false,
        Condition::All(parts) | Condition::Any(parts) => parts.iter().any(names_referer),
        Condition::Not(inner) => names_referer(inner),
        Condition::Header { name, test } | Condition::Var { name, test } => {
            says(name) || test_says(test)
        }
        Condition::Method(methods) => methods.iter().any(|method| says(method)),
        Condition::Path(test) | Condition::Query(test) => test_says(test),
        Condition::File { path, .. } => says(path),
        Condition::Unknown(text) => says(text),
    }
}

/// A host name as written in a pattern (dots escaped or not).
static HOST: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"(?:[A-Za-z0-9-]+(?:\\\.|\.))+[A-Za-z][A-Za-z0-9-]*").ok()
});

/// Host names that referer checks of the model name: `valid_referers`
/// hosts, and host-like words in Referer patterns.
fn referer_hosts_in<'m>(
    scopes: impl Iterator<Item = &'m lint403_core::model::Scope>,
) -> Vec<String> {
    use lint403_core::model::RuleKind;
    let Some(host_re) = HOST.as_ref() else {
        return Vec::new();
    };
    let mut words: Vec<String> = Vec::new();
    for scope in scopes {
        for rule in &scope.rules {
            match &rule.kind {
                RuleKind::RefererPolicy { hosts, regexes, .. } => {
                    words.extend(
                        hosts
                            .iter()
                            .map(|name| name.split('/').next().unwrap_or(name).to_string()),
                    );
                    words.extend(regexes.iter().map(|pattern| pattern.source.clone()));
                }
                RuleKind::Respond { when, .. } | RuleKind::Rewrite { when, .. } => {
                    referer_patterns(when, &mut words);
                }
                // Apache `RewriteCond %{HTTP_REFERER} PATTERN`, kept for
                // the tracer as words.
                RuleKind::Setting { args, .. } if reads_referer(args) => {
                    words.extend(args.iter().skip(1).cloned());
                }
                _ => {}
            }
        }
    }
    let mut hosts = Vec::new();
    for word in words {
        for found in host_re.find_iter(&word) {
            let host = found.as_str().replace("\\.", ".").to_ascii_lowercase();
            let host = host.trim_start_matches("www.").to_string();
            if !host.is_empty() && !hosts.contains(&host) {
                hosts.push(host);
            }
        }
    }
    hosts
}

fn referer_patterns(condition: &lint403_core::model::Condition, out: &mut Vec<String>) {
    use lint403_core::model::{Condition, TextTest};
    match condition {
        Condition::All(parts) | Condition::Any(parts) => {
            for part in parts {
                referer_patterns(part, out);
            }
        }
        Condition::Not(inner) => referer_patterns(inner, out),
        Condition::Header { name, test } if name.eq_ignore_ascii_case("referer") => match test {
            TextTest::Matches(pattern) => out.push(pattern.source.clone()),
            TextTest::Equals { value, .. } | TextTest::Prefix(value) => out.push(value.clone()),
            _ => {}
        },
        _ => {}
    }
}

/// Whether any rule or `if` of the model reads the Referer: the sites
/// [`Lowered::sites_reading_referer`] gives are those of a model for which
/// this is true (so a window of a model answers it for its own sites as
/// the whole model would).
fn tests_referer(model: &Model) -> bool {
    model.scopes.iter().any(|scope| {
        matches!(&scope.matcher, lint403_core::model::Matcher::If(condition)
            if names_referer(condition))
    }) || model
        .scopes
        .iter()
        .flat_map(|scope| &scope.rules)
        .chain(&model.global)
        .any(rule_reads_referer)
}

fn reads_referer(args: &[String]) -> bool {
    const NAME: &[u8] = b"http_referer";
    // Asked of every setting of a model, most of which are short words
    // that cannot hold the name: no lowered copy of each.
    args.first().is_some_and(|first| {
        first
            .as_bytes()
            .windows(NAME.len())
            .any(|window| window.eq_ignore_ascii_case(NAME))
    })
}

/// The regex sources a model's refusals can hang on: scope matchers, and
/// the patterns in the conditions of `Respond` and `Rewrite` rules (what
/// a prefilter reads before tracing anything).
pub fn refusal_patterns(model: &Model) -> Vec<&str> {
    use lint403_core::model::{Matcher, RuleKind};
    let mut out = Vec::new();
    for scope in &model.scopes {
        match &scope.matcher {
            Matcher::Regex(pattern) | Matcher::FileRegex(pattern) | Matcher::DirRegex(pattern) => {
                out.push(pattern.source.as_str());
            }
            Matcher::If(condition) => condition_patterns(condition, &mut out),
            _ => {}
        }
        for rule in &scope.rules {
            match &rule.kind {
                RuleKind::Respond { when, .. } => condition_patterns(when, &mut out),
                RuleKind::Rewrite { pattern, when, .. } => {
                    out.push(pattern.source.as_str());
                    condition_patterns(when, &mut out);
                }
                _ => {}
            }
        }
    }
    out
}

fn condition_patterns<'m>(condition: &'m lint403_core::model::Condition, out: &mut Vec<&'m str>) {
    use lint403_core::model::{Condition, TextTest};
    match condition {
        Condition::All(parts) | Condition::Any(parts) => {
            for part in parts {
                condition_patterns(part, out);
            }
        }
        Condition::Not(inner) => condition_patterns(inner, out),
        Condition::Header { test, .. }
        | Condition::Path(test)
        | Condition::Query(test)
        | Condition::Var { test, .. } => {
            if let TextTest::Matches(pattern) = test {
                out.push(pattern.source.as_str());
            }
        }
        _ => {}
    }
}

/// `example.com`, not `*.example.com`, `~regex`, `_` or an address.
fn is_plain_host(name: &str) -> bool {
    !name.is_empty()
        && name != "_"
        && !name.starts_with(['~', '*', '.'])
        && !name.contains(['*', '$', '(', '['])
        && name.parse::<IpAddr>().is_err()
}

/// The model of `config`; an nginx configuration's servers are lowered
/// on up to `threads` threads.
fn lower(
    config: Loaded<'_>,
    sources: &mut SourceMap,
    options: &TraceOptions,
    threads: usize,
) -> Model {
    match config {
        Loaded::Nginx(config) => lint403_nginx::lower::lower_on(config, sources, options, threads),
        Loaded::Apache(config) => lint403_apache::lower(config, sources, options),
        Loaded::Iis(config) => lint403_iis::lower(config, sources, options),
    }
}

fn trace(config: Loaded<'_>, model: &Model, request: &Request, options: &TraceOptions) -> Verdict {
    match config {
        Loaded::Nginx(_) => lint403_nginx::trace(model, request, options),
        Loaded::Apache(_) => lint403_apache::trace(model, request, options),
        Loaded::Iis(_) => lint403_iis::trace(model, request, options),
    }
}

#[cfg(test)]
mod tests {
    use lint403_core::model::{Condition, FileTest, TextTest};
    use lint403_core::Pattern;

    /// What the rules read before [`super::names_referer`]: the debug form
    /// of the condition, searched for "referer".
    fn by_debug_form(condition: &Condition) -> bool {
        format!("{condition:?}")
            .to_ascii_lowercase()
            .contains("referer")
    }

    #[test]
    fn names_referer_agrees_with_the_debug_form() {
        let header = |name: &str, test: TextTest| Condition::Header {
            name: name.to_string(),
            test,
        };
        let var = |name: &str, test: TextTest| Condition::Var {
            name: name.to_string(),
            test,
        };
        let conditions = vec![
            Condition::Always,
            header("referer", TextTest::Present),
            header("user-agent", TextTest::Matches(Pattern::new("bot", true))),
            header(
                "x",
                TextTest::Matches(Pattern::new("^https?://REFERER", false)),
            ),
            var("invalid_referer", TextTest::Truthy),
            var("http_referer", TextTest::Empty),
            var("bad_bot", TextTest::Truthy),
            var(
                "x",
                TextTest::Equals {
                    value: "HTTP_REFERER".to_string(),
                    case_insensitive: true,
                },
            ),
            var("x", TextTest::Prefix("refere".to_string())),
            Condition::Path(TextTest::Prefix("/referer/".to_string())),
            Condition::Query(TextTest::Matches(Pattern::new("a", false))),
            Condition::Method(vec!["GET".to_string(), "Referer".to_string()]),
            Condition::File {
                path: "/srv/$http_referer".to_string(),
                test: FileTest::File,
            },
            Condition::File {
                path: "/srv/x".to_string(),
                test: FileTest::Directory,
            },
            Condition::Unknown("%{HTTP_REFERER} -strmatch x".to_string()),
            Condition::Unknown("refe\nrer".to_string()),
            Condition::Not(Box::new(var("invalid_referer", TextTest::Truthy))),
            Condition::All(vec![
                Condition::Always,
                Condition::Any(vec![
                    var("a", TextTest::Present),
                    var("b", TextTest::Present),
                ]),
            ]),
            Condition::Any(vec![
                var("a", TextTest::Present),
                header("Referer", TextTest::Empty),
            ]),
        ];
        let mut named = 0;
        for condition in &conditions {
            assert_eq!(
                super::names_referer(condition),
                by_debug_form(condition),
                "{condition:?}"
            );
            named += usize::from(super::names_referer(condition));
        }
        assert_eq!(named, 11);
    }
}

#[cfg(test)]
mod window_tests {
    use lint403_core::{CheckOptions, SourceMap, Span};

    use super::Lowered;
    use crate::{Loaded, RuleContext};

    /// A configuration of `servers` servers (under `http`, which holds
    /// `http_extra` too) and its gates found in windows with and without
    /// leaving out the servers that do not name the Referer, with the
    /// number of windows and of sites lowered each way; and the gates of
    /// the whole model.
    struct Found {
        whole: Vec<String>,
        windowed: [Vec<String>; 2],
        windows: [usize; 2],
        sites: [usize; 2],
    }

    fn gates_in_windows(label: &str, http_extra: &str, servers: usize) -> Found {
        let dir = std::env::temp_dir().join(format!(
            "lint403-probe-windows-{label}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("servers")).expect("temp dir");
        std::fs::write(
            dir.join("nginx.conf"),
            format!("events {{}}\nhttp {{\n  {http_extra}\n  include servers/*.conf;\n}}\n"),
        )
        .expect("write");
        std::fs::write(
            dir.join("hotlink.conf"),
            "valid_referers none ~example\\.com;\nif ($invalid_referer) { return 403; }\n",
        )
        .expect("write");
        for index in 0..servers {
            let guard = match (index % 97, index % 7) {
                (0, _) => format!("valid_referers none s{index}.example.com ~s{index}\\.example;\n    if ($invalid_referer) {{ return 403; }}"),
                (5, _) => "if ($http_referer ~ evil) { return 403; }".to_string(),
                // Only through a variable `http` may set from the Referer.
                (_, 3) => "if ($from_search) { return 403; }".to_string(),
                // Nothing about the Referer.
                (_, 4) => "return 200;".to_string(),
                _ => "include hotlink.conf;".to_string(),
            };
            std::fs::write(
                dir.join(format!("servers/{index:04}.conf")),
                format!("server {{\n  listen 8080;\n  server_name s{index}.example.com;\n  location /images/ {{\n    {guard}\n  }}\n}}\n"),
            )
            .expect("write");
        }
        let mut sources = SourceMap::new();
        let source = lint403_core::read::read_source(&dir.join("nginx.conf")).expect("read");
        let root = sources.add(source);
        let options = CheckOptions {
            include_root: Some(dir.clone()),
            ..CheckOptions::default()
        };
        let config = lint403_nginx::load(&mut sources, root, &options);
        let context = RuleContext::new(&sources, Loaded::Nginx(&config));
        let described = |lowered: &Lowered<'_>, gates: &[super::RefererGate]| -> Vec<String> {
            gates
                .iter()
                .map(|gate| {
                    let site = &lowered.model.site(gate.site).names;
                    format!("{site:?} {} {} {:?}", gate.path, gate.host, gate.span)
                })
                .collect()
        };
        let whole = Lowered::of(&context).expect("sites");
        let whole = described(&whole, whole.referer_gates());
        // Searched on several threads, the sites give the gates of the
        // search in order: a line shared by many servers (hotlink.conf)
        // is the first site's gate.
        for threads in [1, 2, 3] {
            let mut lowered = Lowered::of(&context).expect("sites");
            lowered.threads = threads;
            let found = lowered.find_referer_gates(&mut std::collections::HashSet::new());
            assert_eq!(described(&lowered, &found), whole, "{threads} threads");
        }
        let mut windows = [0; 2];
        let mut sites = [0; 2];
        let windowed = [None, Some("referer")].map(|mentioning| {
            let slot = usize::from(mentioning.is_some());
            let mut found = Vec::new();
            let mut decided: std::collections::HashSet<Span> = std::collections::HashSet::new();
            Lowered::in_windows(&context, &config, mentioning, |lowered| {
                windows[slot] += 1;
                sites[slot] += lowered.model.sites.len();
                found.extend(described(
                    lowered,
                    &lowered.find_referer_gates(&mut decided),
                ));
            });
            found
        });
        let _ = std::fs::remove_dir_all(&dir);
        Found {
            whole,
            windowed,
            windows,
            sites,
        }
    }

    /// Servers in three windows, each with a referer gate: most share one
    /// included line (a gate is reported at its first site only, also
    /// across windows), some have one of their own, the `if` of one site
    /// is the only place that site reads the Referer, and some read it
    /// only through a `map` of `http`. Leaving out the servers that never
    /// name it (a `log_format` of `http` that does is not a reader) finds
    /// the same gates.
    #[test]
    fn windows_find_the_gates_of_the_whole_model() {
        let servers = 2 * super::SERVERS_PER_WINDOW + 40;
        let found = gates_in_windows(
            "map",
            "log_format main '$http_referer';\n  map $http_referer $from_search { ~google 1; default 0; }",
            servers,
        );
        assert_eq!(found.windows[0], 3);
        // One shared line, one per site with a policy of its own, and the
        // sites with an `if` on the Referer.
        assert!(found.whole.len() > servers / 97, "{:#?}", found.whole);
        assert_eq!(found.windowed[0], found.whole);
        assert_eq!(found.windowed[1], found.whole);
        assert_eq!(found.sites[0], servers);
        // The servers that `return 200` are left out.
        assert_eq!(
            found.sites[1],
            servers
                - (0..servers)
                    .filter(|i| i % 97 != 0 && i % 97 != 5 && i % 7 == 4)
                    .count()
        );
    }

    /// When `http` reads the Referer elsewhere than in a `map` or a
    /// `log_format`, every server is kept.
    #[test]
    fn a_shared_reader_keeps_every_server() {
        let servers = 300;
        let found = gates_in_windows(
            "shared",
            "proxy_set_header X-From $http_referer;\n  map $http_referer $from_search { ~google 1; default 0; }",
            servers,
        );
        assert_eq!(found.windowed[1], found.whole);
        assert_eq!(found.sites, [servers, servers]);
    }

    /// On every nginx fixture and corpus file, the servers left out for
    /// not naming the Referer hold no gate.
    #[test]
    fn leaving_out_servers_that_never_name_the_referer_loses_no_gate() {
        let fixtures =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/nginx");
        let corpus = std::env::var_os("LINT403_CORPUS")
            .map(|corpus| std::path::PathBuf::from(corpus).join("nginx"));
        let mut gates = 0;
        for dir in std::iter::once(fixtures).chain(corpus) {
            for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
                let Ok(entry) = entry else { continue };
                let Ok(source) = lint403_core::read::read_source(entry.path()) else {
                    continue;
                };
                let mut sources = SourceMap::new();
                let root = sources.add(source);
                let config = lint403_nginx::load(&mut sources, root, &CheckOptions::default());
                let context = RuleContext::new(&sources, Loaded::Nginx(&config));
                let [all, named] =
                    [None, Some("referer")].map(|mentioning| {
                        let mut found = Vec::new();
                        let mut decided = std::collections::HashSet::new();
                        Lowered::in_windows(&context, &config, mentioning, |lowered| {
                            found.extend(lowered.find_referer_gates(&mut decided).iter().map(
                                |gate| format!("{} {} {:?}", gate.path, gate.host, gate.span),
                            ));
                        });
                        found
                    });
                assert_eq!(all, named, "{}", entry.path().display());
                gates += all.len();
            }
        }
        assert!(gates >= 5, "{gates} gates");
    }
}
