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
use lint403_core::{Diagnostic, SourceMap};

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
    lowered: OnceLock<Option<walk::probe::Lowered<'a>>>,
    apache_scopes: OnceLock<Vec<walk::apache_scope::Scope>>,
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
            lowered: OnceLock::new(),
            apache_scopes: OnceLock::new(),
        }
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
    /// rule that traces probes; `None` when it has no site.
    pub fn lowered(&self) -> Option<&walk::probe::Lowered<'a>> {
        self.lowered
            .get_or_init(|| walk::probe::Lowered::of(self))
            .as_ref()
    }

    /// The shared model the rules traced, if one was lowered (the views
    /// that borrow the configuration are dropped here): a large model is
    /// worth handing to [`lint403_core::cores::dispose`].
    pub fn into_model(self) -> Option<lint403_core::Model> {
        self.lowered
            .into_inner()
            .flatten()
            .map(|lowered| lowered.model)
    }

    /// An nginx configuration's block tree; `None` for the other dialects.
    pub fn nginx_tree(&self) -> Option<&walk::nginx::Tree<'a>> {
        let Loaded::Nginx(config) = self.config else {
            return None;
        };
        Some(
            self.nginx_tree
                .get_or_init(|| walk::nginx::Tree::build(config, self.sources)),
        )
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
    let dialect = context.config.dialect();
    let rules: Vec<&Rule> = RULES
        .iter()
        .copied()
        .filter(|rule| rule.dialects.contains(&dialect) && wanted(rule))
        .collect();
    let threads = threads_for(context);
    if threads <= 1 {
        let mut diagnostics = Vec::new();
        for rule in &rules {
            (rule.check)(context, &mut diagnostics);
        }
        return diagnostics;
    }
    // Handed out in catalogue order, except that the rules that first
    // build the two costly shared views start at once on different
    // threads, so the views are built side by side rather than one
    // waiting for the other.
    let mut order: Vec<usize> = (0..rules.len()).collect();
    order.sort_by_key(|&index| {
        STARTS_FIRST
            .iter()
            .position(|code| *code == rules[index].code.code)
            .unwrap_or(STARTS_FIRST.len())
    });
    let mut found: Vec<(usize, Vec<Diagnostic>)> =
        lint403_core::cores::map(&order, threads, |&index| {
            let mut diagnostics = Vec::new();
            (rules[index].check)(context, &mut diagnostics);
            (index, diagnostics)
        });
    found.sort_by_key(|(index, _)| *index);
    found
        .into_iter()
        .flat_map(|(_, diagnostics)| diagnostics)
        .collect()
}

/// R003 lowers the configuration into the shared model (for every rule
/// that traces probes); A001 builds the nginx block tree or the Apache
/// access scopes. Only the order of work depends on this list.
const STARTS_FIRST: &[&str] = &["R003", "A001"];

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
