//! The rule catalogue. Each rule lives in one file under `rules/`, whose
//! `//!` comment is the single source of its documentation page (What it
//! does / Why it causes 403 / Example / Fix / References): the registry
//! embeds the file with `include_str!` and [`Rule::doc`] extracts it, and
//! `cargo xtask docs` writes the pages from there.
//!
//! Rules run over a dialect's loaded, include-resolved configuration
//! ([`Loaded`]). The walkers in [`walk`] give every rule the directives in
//! reading order with includes followed and the enclosing blocks known.

pub mod regexes;
pub mod registry;
pub mod walk;

mod rules;

pub use registry::{Family, FixDifficulty, Likelihood, Rule, RULES};

use std::sync::OnceLock;

use lint403_core::facts::SiteFacts;
use lint403_core::{Diagnostic, SourceMap, Span};

/// One dialect's configuration as loaded by its crate.
#[derive(Clone, Copy)]
pub enum Loaded<'a> {
    Nginx(&'a lint403_nginx::LoadedConfig),
    Apache(&'a lint403_apache::LoadedConfig),
    Iis(&'a lint403_iis::LoadedConfig),
}

impl Loaded<'_> {
    pub fn dialect(self) -> lint403_core::Dialect {
        match self {
            Loaded::Nginx(_) => lint403_core::Dialect::Nginx,
            Loaded::Apache(_) => lint403_core::Dialect::Apache,
            Loaded::Iis(_) => lint403_core::Dialect::Iis,
        }
    }
}

/// What a rule sees: the configuration, and the views of it that several
/// rules share, each built on first use and then kept for the other rules
/// of the same run. Shared by the threads [`run`] starts, so every view is
/// built once even when two rules ask for it at the same time.
pub struct RuleContext<'a> {
    pub sources: &'a SourceMap,
    pub config: Loaded<'a>,
    nginx_tree: OnceLock<walk::nginx::Tree<'a>>,
    nginx_regexes: OnceLock<walk::nginx::LocationRegexes>,
    facts: &'a SiteFacts,
    lowered: std::sync::Mutex<LoweredSlot<'a>>,
    apache_scopes: OnceLock<Vec<walk::apache_scope::Scope>>,
    iis_elements: OnceLock<walk::iis::Elements<'a>>,
    /// The `server` blocks of `http` [`RuleContext::nginx_tree`] keeps
    /// (`None`: all); see [`run_in_windows`].
    nginx_window: Option<ServerWindow>,
    /// What the windows of one run share.
    across_windows: std::sync::Arc<AcrossWindows>,
}

/// [`RuleContext::nginx_window`].
struct ServerWindow {
    servers: std::ops::Range<usize>,
    /// Which window (in reading order).
    ordinal: usize,
    /// How many `server` blocks `http` holds in all.
    http_servers: usize,
}

/// What the windows of a run share: the findings that the first window
/// to give them keeps ([`RuleContext::report_once`]), and the answers
/// about the whole configuration that a window cannot give.
#[derive(Default)]
struct AcrossWindows {
    /// (window, key, finding).
    first_window_findings: std::sync::Mutex<Vec<(usize, Vec<Span>, Diagnostic)>>,
    reads_invalid_referer: OnceLock<bool>,
}

/// Whether a directive of `items` or of their blocks of directives reads
/// `$invalid_referer` ([`RuleContext::nginx_reads_invalid_referer`]).
fn items_read(items: &[lint403_nginx::syntax::Item], text: &str) -> bool {
    use lint403_nginx::syntax::{BodyKind, Item};
    items.iter().any(|item| {
        let Item::Directive(directive) = item else {
            return false;
        };
        let reads = !directive.is_named(text, "include")
            && directive.args.iter().any(|word| {
                let value = word.value(text);
                value.contains("$invalid_referer") || value.contains("${invalid_referer}")
            });
        reads
            || directive
                .block()
                .filter(|block| block.kind == BodyKind::Directives)
                .is_some_and(|block| items_read(&block.items, text))
    })
}

/// [`RuleContext::lowered`]: not asked for yet, lowered (`None`: no
/// site), or freed once the rules that read it were done.
enum LoweredSlot<'a> {
    Unbuilt,
    Built(Option<std::sync::Arc<walk::probe::Lowered<'a>>>),
    Released,
}

/// The facts of a run without `.lint403.yaml`.
static NO_FACTS: std::sync::LazyLock<SiteFacts> = std::sync::LazyLock::new(SiteFacts::default);

impl<'a> RuleContext<'a> {
    pub fn new(sources: &'a SourceMap, config: Loaded<'a>) -> RuleContext<'a> {
        RuleContext {
            sources,
            config,
            nginx_tree: OnceLock::new(),
            nginx_regexes: OnceLock::new(),
            facts: &NO_FACTS,
            lowered: std::sync::Mutex::new(LoweredSlot::Unbuilt),
            apache_scopes: OnceLock::new(),
            iis_elements: OnceLock::new(),
            nginx_window: None,
            across_windows: std::sync::Arc::default(),
        }
    }

    /// A context for the block-tree rules on the `server` blocks of
    /// `http` numbered `servers` ([`walk::nginx::Tree::build_window`]),
    /// the `ordinal`-th window.
    fn window(
        &self,
        servers: std::ops::Range<usize>,
        ordinal: usize,
        http_servers: usize,
    ) -> RuleContext<'a> {
        RuleContext {
            facts: self.facts,
            nginx_window: Some(ServerWindow {
                servers,
                ordinal,
                http_servers,
            }),
            across_windows: std::sync::Arc::clone(&self.across_windows),
            ..RuleContext::new(self.sources, self.config)
        }
    }

    /// Reports a finding that a rule gives once for `key` (a directive
    /// outside the `server` blocks of `http`, say, or a snippet several of
    /// them include), found through the first node, in reading order, it
    /// concerns. Run on windows of servers, the rule finds it in every
    /// window with such a node, each time through another: only the first
    /// window's is kept, as the rule gives it on the whole configuration.
    pub fn report_once(&self, key: &[Span], diagnostic: Diagnostic, out: &mut Vec<Diagnostic>) {
        match &self.nginx_window {
            Some(window) => lock(&self.across_windows.first_window_findings).push((
                window.ordinal,
                key.to_vec(),
                diagnostic,
            )),
            None => out.push(diagnostic),
        }
    }

    /// Whether a directive of the nginx configuration reads
    /// `$invalid_referer` (`map`-like bodies and `include` lines left out,
    /// as in the block tree); asked once per run, whatever window asks.
    pub fn nginx_reads_invalid_referer(&self) -> bool {
        let Loaded::Nginx(config) = self.config else {
            return false;
        };
        *self.across_windows.reads_invalid_referer.get_or_init(|| {
            config.files.iter().any(|file| {
                let text = self.sources.get(file.id).text.as_str();
                text.contains("invalid_referer") && items_read(&file.tree.items, text)
            })
        })
    }

    /// The `site:` facts of `.lint403.yaml`, for the rules that need them.
    #[must_use]
    pub fn with_facts(mut self, facts: &'a SiteFacts) -> RuleContext<'a> {
        self.facts = facts;
        self
    }

    pub fn facts(&self) -> &SiteFacts {
        self.facts
    }

    /// The configuration lowered into the shared model, once for every
    /// rule that traces probes; `None` when it has no site. Only the rules
    /// [`reads_model`] names ask for it: once they are done, [`run`] frees
    /// it while the other rules go on (a model of a large configuration
    /// takes as much memory as its syntax trees). Asked again after that,
    /// it is lowered again.
    pub fn lowered(&self) -> Option<std::sync::Arc<walk::probe::Lowered<'a>>> {
        let mut slot = self.slot();
        if let LoweredSlot::Built(lowered) = &*slot {
            return lowered.clone();
        }
        let built = walk::probe::Lowered::of(self).map(std::sync::Arc::new);
        *slot = LoweredSlot::Built(built.clone());
        built
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, LoweredSlot<'a>> {
        self.lowered
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Frees the model (on the side, for a large configuration): the
    /// rules that read it are done.
    fn release_model(&self) {
        let taken = std::mem::replace(&mut *self.slot(), LoweredSlot::Released);
        if let LoweredSlot::Built(Some(lowered)) = taken {
            if let Ok(lowered) = std::sync::Arc::try_unwrap(lowered) {
                if threads_for(self) > 1 {
                    lint403_core::cores::dispose(lowered.model);
                }
            }
        }
    }

    /// Whether the model was lowered (and not yet freed).
    #[cfg(test)]
    fn holds_model(&self) -> bool {
        matches!(*self.slot(), LoweredSlot::Built(_))
    }

    /// The shared model the rules traced, if it is still held (the views
    /// that borrow the configuration are dropped here): a large model is
    /// worth handing to [`lint403_core::cores::dispose`].
    pub fn into_model(self) -> Option<lint403_core::Model> {
        let slot = self
            .lowered
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match slot {
            LoweredSlot::Built(Some(lowered)) => std::sync::Arc::try_unwrap(lowered)
                .ok()
                .map(|lowered| lowered.model),
            _ => None,
        }
    }

    /// An nginx configuration's block tree (in a window's context, the
    /// window's: [`walk::nginx::Tree::build_window`]); `None` for the
    /// other dialects.
    pub fn nginx_tree(&self) -> Option<&walk::nginx::Tree<'a>> {
        let Loaded::Nginx(config) = self.config else {
            return None;
        };
        Some(self.nginx_tree.get_or_init(|| match &self.nginx_window {
            Some(window) => walk::nginx::Tree::build_window(
                config,
                self.sources,
                window.servers.clone(),
                window.http_servers,
            ),
            None => walk::nginx::Tree::build(config, self.sources),
        }))
    }

    /// An Apache configuration's access scopes
    /// ([`walk::apache_scope::scopes`]); empty for the other dialects.
    pub fn apache_scopes(&self) -> &[walk::apache_scope::Scope] {
        let Loaded::Apache(config) = self.config else {
            return &[];
        };
        self.apache_scopes
            .get_or_init(|| walk::apache_scope::scopes(config, self.sources))
    }

    /// A web.config's elements in the order [`walk::iis::walk`] visits
    /// them; `None` for the other dialects.
    pub fn iis_elements(&self) -> Option<&walk::iis::Elements<'a>> {
        let Loaded::Iis(config) = self.config else {
            return None;
        };
        Some(
            self.iis_elements
                .get_or_init(|| walk::iis::Elements::of(config)),
        )
    }

    /// An nginx configuration's regex `location` patterns, compiled;
    /// `None` for the other dialects.
    pub fn nginx_location_regexes(&self) -> Option<&walk::nginx::LocationRegexes> {
        let tree = self.nginx_tree()?;
        Some(
            self.nginx_regexes
                .get_or_init(|| walk::nginx::LocationRegexes::of(tree)),
        )
    }
}

/// Runs every rule that covers the configuration's dialect, on several
/// threads when the configuration is large enough to be worth it.
///
/// A repository's main nginx configuration is one unit of work for the
/// caller however many files it includes, so without this one core checks
/// it while the others wait. Rules are handed out one at a time from a
/// shared counter; each rule's findings are kept apart and joined in
/// catalogue order, so the result is the same as a run on one thread.
pub fn run(context: &RuleContext<'_>) -> Vec<Diagnostic> {
    run_where(context, |_| true)
}

/// [`run`] for the rules `wanted` keeps: a rule whose findings would all
/// be dropped (left out by `select`, named by `ignore`) costs nothing.
pub fn run_where(context: &RuleContext<'_>, wanted: impl Fn(&Rule) -> bool) -> Vec<Diagnostic> {
    run_in_windows(context, wanted, SERVERS_PER_WINDOW)
}

/// How many `server` blocks of `http` the block-tree rules see at a time.
const SERVERS_PER_WINDOW: usize = 256;

/// One piece of a run: a rule on the whole configuration, or a block-tree
/// rule on one window of `server` blocks.
#[derive(Clone, Copy)]
enum Work {
    Rule(usize),
    Window { window: usize, rule: usize },
}

/// A window's context, made for its first rule and dropped (with its
/// block tree) when its last rule is done.
struct WindowSlot<'a> {
    servers: std::ops::Range<usize>,
    context: std::sync::Mutex<Option<std::sync::Arc<RuleContext<'a>>>>,
    rules_left: std::sync::atomic::AtomicUsize,
}

/// [`run_where`] with the block-tree rules of an nginx configuration of
/// more than `servers_per_window` `server` blocks in `http` run on windows
/// of that many servers ([`walk::nginx::Tree::build_window`]): the tree of
/// a configuration with thousands of servers took more memory than its
/// syntax trees, a window takes a few megabytes. A finding that several
/// windows give (about a directive outside the servers) is kept once.
fn run_in_windows(
    context: &RuleContext<'_>,
    wanted: impl Fn(&Rule) -> bool,
    servers_per_window: usize,
) -> Vec<Diagnostic> {
    let dialect = context.config.dialect();
    let rules: Vec<&Rule> = RULES
        .iter()
        .copied()
        .filter(|rule| rule.dialects.contains(&dialect) && wanted(rule))
        .collect();
    let threads = threads_for(context);
    let (windows, http_servers) = server_windows(context, &rules, servers_per_window);
    let windows: Vec<WindowSlot<'_>> = windows
        .into_iter()
        .map(|servers| WindowSlot {
            servers,
            context: std::sync::Mutex::new(None),
            rules_left: std::sync::atomic::AtomicUsize::new(0),
        })
        .collect();
    let windowed = |rule: &Rule| !windows.is_empty() && reads_tree(rule.code.code, dialect);
    // The model is freed when the last rule that reads it is done.
    let readers = std::sync::atomic::AtomicUsize::new(
        rules
            .iter()
            .filter(|rule| reads_model(rule.code.code, dialect))
            .count(),
    );
    let done = |rule: &Rule| {
        if reads_model(rule.code.code, dialect)
            && readers.fetch_sub(1, std::sync::atomic::Ordering::AcqRel) == 1
        {
            context.release_model();
        }
    };
    // Handed out in catalogue order, except that the rules that first
    // build the two costly shared views start at once on different
    // threads, so the views are built side by side rather than one
    // waiting for the other. (Handing out the model's other readers next,
    // to free it sooner, left a thread waiting for the model while it was
    // lowered: the Apache part took longer.) The windows come after the
    // rules on the whole configuration, one after the other, so that
    // about as many windows stand at once as there are threads.
    let mut order: Vec<usize> = (0..rules.len()).collect();
    order.sort_by_key(|&index| {
        STARTS_FIRST
            .iter()
            .position(|code| *code == rules[index].code.code)
            .unwrap_or(STARTS_FIRST.len())
    });
    let mut work: Vec<Work> = order
        .iter()
        .filter(|&&rule| !windowed(rules[rule]))
        .map(|&rule| Work::Rule(rule))
        .collect();
    let windowed_rules: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&rule| windowed(rules[rule]))
        .collect();
    for (window, rule) in window_order(windows.len(), &windowed_rules) {
        work.push(Work::Window { window, rule });
        windows[window]
            .rules_left
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    let found: Vec<(usize, Vec<Diagnostic>)> = lint403_core::cores::map(&work, threads, |piece| {
        let mut diagnostics = Vec::new();
        match *piece {
            Work::Rule(rule) => {
                (rules[rule].check)(context, &mut diagnostics);
                done(rules[rule]);
                (rule, diagnostics)
            }
            Work::Window { window, rule } => {
                let slot = &windows[window];
                let window_context =
                    std::sync::Arc::clone(lock(&slot.context).get_or_insert_with(|| {
                        std::sync::Arc::new(context.window(
                            slot.servers.clone(),
                            window,
                            http_servers,
                        ))
                    }));
                (rules[rule].check)(&window_context, &mut diagnostics);
                drop(window_context);
                if slot
                    .rules_left
                    .fetch_sub(1, std::sync::atomic::Ordering::AcqRel)
                    == 1
                {
                    drop(lock(&slot.context).take());
                    // The window's location regexes, unless another holds them.
                    lint403_core::pattern::forget_unused();
                }
                (rule, diagnostics)
            }
        }
    });
    let once = std::mem::take(&mut *lock(&context.across_windows.first_window_findings));
    join_findings(&rules, found, once)
}

/// The order in which the windows' rules are handed out: each window's
/// first rule, which builds the window's block tree, comes before the rest
/// of the previous window. A thread that takes a window's second rule
/// while the first still builds the tree waits for it; in window order,
/// one core stood idle for every window's tree (a tenth of the nginx
/// part's time at scale 100). Ahead by one window, the tree is built while
/// the other threads finish the window before, and one more tree stands
/// at a time. Each rule still sees the windows in reading order.
fn window_order(windows: usize, rules: &[usize]) -> Vec<(usize, usize)> {
    let Some((&first, rest)) = rules.split_first() else {
        return Vec::new();
    };
    let mut order = Vec::with_capacity(windows * rules.len());
    if windows > 0 {
        order.push((0, first));
    }
    for window in 0..windows {
        if window + 1 < windows {
            order.push((window + 1, first));
        }
        order.extend(rest.iter().map(|&rule| (window, rule)));
    }
    order
}

/// The value behind `mutex`, also when a panicking thread held it.
pub(crate) fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Each rule's findings in catalogue order, a rule's windows in reading
/// order with what several windows found kept once, and of the findings
/// reported once per key ([`RuleContext::report_once`]) the first
/// window's.
fn join_findings(
    rules: &[&Rule],
    found: Vec<(usize, Vec<Diagnostic>)>,
    mut once: Vec<(usize, Vec<Span>, Diagnostic)>,
) -> Vec<Diagnostic> {
    let mut by_rule: Vec<Vec<Diagnostic>> = vec![Vec::new(); rules.len()];
    let mut pieces = vec![0_usize; rules.len()];
    for (rule, diagnostics) in found {
        if let Some(list) = by_rule.get_mut(rule) {
            pieces[rule] += 1;
            list.extend(diagnostics);
        }
    }
    // Stable: a window's own findings keep their order.
    once.sort_by_key(|(window, _, _)| *window);
    let mut taken = std::collections::HashSet::new();
    for (_, key, diagnostic) in once {
        if !taken.insert((diagnostic.code.code, key)) {
            continue;
        }
        if let Some(rule) = rules
            .iter()
            .position(|rule| rule.code.code == diagnostic.code.code)
        {
            by_rule[rule].push(diagnostic);
        }
    }
    by_rule
        .into_iter()
        .zip(pieces)
        .flat_map(|(mut list, pieces)| {
            if pieces > 1 {
                let mut seen = std::collections::HashSet::with_capacity_and_hasher(
                    list.len(),
                    lint403_core::hashing::FastHash,
                );
                let kept: Vec<bool> = list
                    .iter()
                    .map(|diagnostic| seen.insert(diagnostic))
                    .collect();
                drop(seen);
                let mut kept = kept.into_iter();
                list.retain(|_| kept.next().unwrap_or(true));
            }
            list
        })
        .collect()
}

/// The windows of `server` blocks the block-tree rules run on, and how
/// many servers `http` holds; no window when the configuration is not
/// nginx, no rule reads the tree, or all its servers fit in one window.
fn server_windows(
    context: &RuleContext<'_>,
    rules: &[&Rule],
    servers_per_window: usize,
) -> (Vec<std::ops::Range<usize>>, usize) {
    let Loaded::Nginx(config) = context.config else {
        return (Vec::new(), 0);
    };
    if !rules
        .iter()
        .any(|rule| reads_tree(rule.code.code, context.config.dialect()))
    {
        return (Vec::new(), 0);
    }
    let servers = walk::nginx::Tree::build_window(config, context.sources, 0..0, 0).http_servers();
    let per_window = servers_per_window.max(1);
    if servers <= per_window {
        return (Vec::new(), servers);
    }
    let windows = (0..servers)
        .step_by(per_window)
        .map(|first| first..(first + per_window).min(servers))
        .collect();
    (windows, servers)
}

/// R003 lowers the configuration into the shared model (for every rule
/// that traces probes); A001 builds the nginx block tree or the Apache
/// access scopes. Only the order of work depends on this list.
const STARTS_FIRST: &[&str] = &["R003", "A001"];

/// Whether the rule `code` may ask for [`RuleContext::lowered`] on a
/// configuration of `dialect` (the others read the block tree, the
/// access scopes or the syntax); a test runs every rule on every fixture
/// and holds this list to what they ask.
fn reads_model(code: &str, dialect: lint403_core::Dialect) -> bool {
    use lint403_core::Dialect;
    match dialect {
        // R003 lowers an nginx configuration a window of servers at a
        // time (`Lowered::in_windows`), not into the shared model.
        Dialect::Nginx => matches!(code, "A007"),
        Dialect::Apache => matches!(code, "A007" | "B001" | "B003" | "R001" | "R003"),
        Dialect::Iis => matches!(code, "A007" | "B003"),
    }
}

/// Whether the rule `code` reads the nginx block tree
/// ([`RuleContext::nginx_tree`]) and judges each node by what encloses it,
/// so that it may run on windows of servers ([`run_in_windows`]); a test
/// holds the list to the rules that ask for the tree.
fn reads_tree(code: &str, dialect: lint403_core::Dialect) -> bool {
    dialect == lint403_core::Dialect::Nginx
        && matches!(
            code,
            "A001"
                | "A002"
                | "A005"
                | "A102"
                | "B001"
                | "B002"
                | "B003"
                | "B004"
                | "I001"
                | "P005"
                | "P101"
                | "R001"
                | "R002"
                | "R101"
                | "S001"
                | "S002"
                | "S101"
                | "S102"
                | "T001"
                | "T002"
        )
}

/// Below this much configuration text, starting threads costs more than
/// the rules take (a `.htaccess` is checked in well under a millisecond).
const PARALLEL_RULES_MIN_BYTES: usize = 256 * 1024;

fn threads_for(context: &RuleContext<'_>) -> usize {
    if !is_large(context.sources, context.config) {
        return 1;
    }
    lint403_core::cores::available()
}

/// Whether a configuration is large enough that checking it on several
/// threads pays for starting them.
pub fn is_large(sources: &SourceMap, config: Loaded<'_>) -> bool {
    let length = |file: lint403_core::FileId| sources.get(file).text.len();
    let bytes: usize = match config {
        Loaded::Nginx(config) => config.files.iter().map(|file| length(file.id)).sum(),
        Loaded::Apache(config) => config.files.iter().map(|file| length(file.file)).sum(),
        Loaded::Iis(config) => config.files.iter().map(|file| length(file.file)).sum(),
    };
    bytes >= PARALLEL_RULES_MIN_BYTES
}

/// Finds a rule or a parse code by code (`A004`) or name
/// (`acl-cidr-host-bits`), case-insensitively.
pub fn find(code_or_name: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|rule| {
        rule.code.code.eq_ignore_ascii_case(code_or_name)
            || rule.code.name.eq_ignore_ascii_case(code_or_name)
    })
}

#[cfg(test)]
mod tests {
    use lint403_core::{CheckOptions, Diagnostic, Dialect, SourceMap};

    use super::{
        reads_model, reads_tree, run_in_windows, window_order, Loaded, RuleContext, RULES,
    };

    /// A run's findings as the report shows them: in order, each once.
    fn as_reported(mut diagnostics: Vec<Diagnostic>) -> Vec<String> {
        diagnostics.sort_by(|a, b| {
            (a.span, a.code.code, &a.message).cmp(&(b.span, b.code.code, &b.message))
        });
        let mut shown: Vec<String> = diagnostics.iter().map(|d| format!("{d:?}")).collect();
        shown.dedup();
        shown
    }

    /// The findings of every rule on `path` with the block-tree rules on
    /// the whole tree, then on windows of one and of two servers; and how
    /// many `server` blocks `http` holds.
    fn whole_and_windowed(path: &std::path::Path) -> ([Vec<String>; 3], usize) {
        let Ok(source) = lint403_core::read::read_source(path) else {
            panic!("{}", path.display());
        };
        let mut sources = SourceMap::new();
        let file = sources.add(source);
        let config = lint403_nginx::load(&mut sources, file, &CheckOptions::default());
        let servers = super::walk::nginx::Tree::build(&config, &sources).http_servers();
        let found = [usize::MAX, 1, 2].map(|per_window| {
            let context = RuleContext::new(&sources, Loaded::Nginx(&config));
            as_reported(run_in_windows(&context, |_| true, per_window))
        });
        (found, servers)
    }

    fn nginx_fixture_confs() -> Vec<std::path::PathBuf> {
        let fixtures =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/nginx");
        walkdir::WalkDir::new(fixtures)
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
            .map(walkdir::DirEntry::into_path)
            .filter(|path| {
                path.extension()
                    .is_some_and(|extension| extension == "conf")
            })
            .collect()
    }

    /// Every window's rules are handed out once; each window's first rule
    /// comes before the rest of the window before it, and every rule sees
    /// the windows in reading order.
    #[test]
    fn window_order_builds_each_tree_a_window_ahead() {
        assert_eq!(
            window_order(3, &[7, 8, 9]),
            [
                (0, 7),
                (1, 7),
                (0, 8),
                (0, 9),
                (2, 7),
                (1, 8),
                (1, 9),
                (2, 8),
                (2, 9)
            ]
        );
        assert_eq!(window_order(1, &[7, 8]), [(0, 7), (0, 8)]);
        assert_eq!(window_order(0, &[7, 8]), []);
        assert_eq!(window_order(4, &[]), []);
        for (windows, rules) in [(1, 1), (2, 1), (5, 3), (36, 20)] {
            let rule_list: Vec<usize> = (0..rules).collect();
            let order = window_order(windows, &rule_list);
            let mut sorted = order.clone();
            sorted.sort_unstable();
            let expected: Vec<(usize, usize)> = (0..windows)
                .flat_map(|window| (0..rules).map(move |rule| (window, rule)))
                .collect();
            assert_eq!(sorted, expected);
            for rule in 0..rules {
                let seen: Vec<usize> = order
                    .iter()
                    .filter(|(_, r)| *r == rule)
                    .map(|(window, _)| *window)
                    .collect();
                assert!(seen.windows(2).all(|pair| pair[0] < pair[1]), "{seen:?}");
            }
        }
    }

    /// The block-tree rules on windows of servers find what they find on
    /// the whole tree, on every nginx fixture.
    #[test]
    fn every_fixture_finds_in_windows_what_it_finds_whole() {
        let mut windowed = 0;
        for path in nginx_fixture_confs() {
            let ([whole, ones, twos], servers) = whole_and_windowed(&path);
            assert_eq!(whole, ones, "{}: windows of one server", path.display());
            assert_eq!(whole, twos, "{}: windows of two servers", path.display());
            windowed += usize::from(servers > 1);
        }
        assert!(windowed >= 4, "{windowed} fixtures with several servers");
    }

    /// The same over the real-world corpus (`$LINT403_CORPUS`), files
    /// written by others for servers that run.
    #[test]
    fn every_corpus_config_finds_in_windows_what_it_finds_whole() {
        let Some(corpus) = std::env::var_os("LINT403_CORPUS").map(std::path::PathBuf::from) else {
            assert!(
                std::env::var_os("LINT403_REQUIRE_CORPUS").is_none(),
                "LINT403_REQUIRE_CORPUS is set but LINT403_CORPUS is not"
            );
            eprintln!("SKIPPED: no corpus (set LINT403_CORPUS)");
            return;
        };
        let mut windowed = 0;
        for entry in walkdir::WalkDir::new(corpus.join("nginx")).sort_by_file_name() {
            let Ok(entry) = entry else { continue };
            if !entry.file_type().is_file() {
                continue;
            }
            let ([whole, ones, twos], servers) = whole_and_windowed(entry.path());
            assert_eq!(
                whole,
                ones,
                "{}: windows of one server",
                entry.path().display()
            );
            assert_eq!(
                whole,
                twos,
                "{}: windows of two servers",
                entry.path().display()
            );
            windowed += usize::from(servers > 1);
        }
        assert!(
            windowed >= 10,
            "{windowed} corpus files with several servers"
        );
    }

    /// Findings about the part outside the servers that a rule gives once,
    /// through the first server it concerns, or that depend on what every
    /// server reads: each case gives its finding on the whole tree, and
    /// the same findings in windows of one or two servers.
    #[test]
    fn findings_outside_the_servers_come_once_as_in_the_whole_tree() {
        let dir = lint403_testkit::temp_prefix("rule-windows");
        let referers =
            "valid_referers server_names *.example.com;\nif ($invalid_referer) { return 403; }\n";
        let cases: [(&str, &str); 6] = [
            (
                "A005",
                "allow 10.0.0.0/8; deny all;
                 server { listen 80; server_name a; }
                 server { listen [::]:80; server_name b; }
                 server { listen [::]:8080; server_name c; }",
            ),
            (
                "A102",
                "set_real_ip_from 0.0.0.0/0;
                 server { listen 80; location /a/ { allow 10.0.0.0/8; deny all; } }
                 server { listen 81; location /b/ { allow 192.168.0.0/16; deny all; } }",
            ),
            (
                "R001",
                "server { listen 80; location /a/ { include referers.inc; } }
                 server { listen 81; location /b/ { include referers.inc; } }
                 server { listen 82; location /c/ { include referers.inc; } }",
            ),
            (
                "T001",
                "satisfy any; allow all; auth_basic x; auth_basic_user_file /etc/htpasswd;
                 server { listen 80; location /a/ { } location / { } }
                 server { listen 81; location /b/ { } location / { } }",
            ),
            (
                "T002",
                "auth_basic x;
                 server { listen 80; location /a/ { } location / { } }
                 server { listen 81; location /b/ { } location / { } }",
            ),
            (
                "R101",
                "server { listen 80; valid_referers none example.com; }
                 server { listen 81; if ($invalid_referer) { return 403; } }",
            ),
        ];
        for (code, http) in cases {
            let path = dir.join(format!("{code}.conf"));
            let written = lint403_testkit::write_file(&dir.join("referers.inc"), referers)
                .and_then(|()| {
                    lint403_testkit::write_file(
                        &path,
                        &format!("events {{ }}\nhttp {{\n{http}\n}}\n"),
                    )
                });
            assert!(written.is_ok(), "{written:?}");
            let ([whole, ones, twos], servers) = whole_and_windowed(&path);
            assert!(servers >= 2, "{code}: {servers} servers");
            let of_code = |found: &[String]| {
                found
                    .iter()
                    .filter(|shown| shown.contains(&format!("code: \"{code}\"")))
                    .count()
            };
            assert!(of_code(&whole) >= 1, "{code} is found: {whole:#?}");
            assert_eq!(whole, ones, "{code}: windows of one server");
            assert_eq!(whole, twos, "{code}: windows of two servers");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A rule that builds the nginx block tree is one [`reads_tree`]
    /// names, or it would build the whole tree beside the windows; and no
    /// rule reads both the tree and the model (each window would lower it).
    #[test]
    fn only_the_rules_named_as_tree_readers_build_the_tree() {
        let mut readers = 0;
        for path in nginx_fixture_confs() {
            let Ok(source) = lint403_core::read::read_source(&path) else {
                continue;
            };
            let mut sources = SourceMap::new();
            let file = sources.add(source);
            let config = lint403_nginx::load(&mut sources, file, &CheckOptions::default());
            for rule in RULES
                .iter()
                .filter(|rule| rule.dialects.contains(&Dialect::Nginx))
            {
                let code = rule.code.code;
                assert!(!(reads_tree(code, Dialect::Nginx) && reads_model(code, Dialect::Nginx)));
                let context = RuleContext::new(&sources, Loaded::Nginx(&config));
                (rule.check)(&context, &mut Vec::new());
                let built = context.nginx_tree.get().is_some();
                assert!(
                    !built || reads_tree(code, Dialect::Nginx),
                    "{code} builds the block tree of {} but reads_tree does not name it",
                    path.display()
                );
                readers += usize::from(built);
            }
        }
        assert!(readers > 100, "{readers} rule runs built the tree");
    }

    /// Every rule on every fixture, each on a context of its own: a rule
    /// that lowers the model must be one [`reads_model`] names, or the
    /// model would be freed before it asks and lowered a second time.
    #[test]
    fn only_the_rules_named_as_readers_lower_the_model() {
        let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
        let mut checked = 0;
        for (folder, dialect) in [
            ("nginx", Dialect::Nginx),
            ("apache", Dialect::Apache),
            ("iis", Dialect::Iis),
        ] {
            for entry in walkdir::WalkDir::new(fixtures.join(folder)).sort_by_file_name() {
                let Ok(entry) = entry else { continue };
                if !entry.file_type().is_file() {
                    continue;
                }
                let Ok(source) = lint403_core::read::read_source(entry.path()) else {
                    continue;
                };
                let mut sources = SourceMap::new();
                let file = sources.add(source);
                let options = CheckOptions::default();
                let nginx;
                let apache;
                let iis;
                let config = match dialect {
                    Dialect::Nginx => {
                        nginx = lint403_nginx::load(&mut sources, file, &options);
                        Loaded::Nginx(&nginx)
                    }
                    Dialect::Apache => {
                        apache = lint403_apache::load(&mut sources, file, &options);
                        Loaded::Apache(&apache)
                    }
                    Dialect::Iis => {
                        iis = lint403_iis::load(&mut sources, file, &options);
                        Loaded::Iis(&iis)
                    }
                };
                for rule in RULES.iter().filter(|rule| rule.dialects.contains(&dialect)) {
                    let context = RuleContext::new(&sources, config);
                    (rule.check)(&context, &mut Vec::new());
                    assert!(
                        !context.holds_model() || reads_model(rule.code.code, dialect),
                        "{} lowers the model of {} but reads_model does not name it for {dialect:?}",
                        rule.code.code,
                        entry.path().display()
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 1000, "{checked} rule runs");
    }
}
