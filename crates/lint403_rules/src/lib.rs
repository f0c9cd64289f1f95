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

use std::cell::OnceCell;

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
/// of the same run.
pub struct RuleContext<'a> {
    pub sources: &'a SourceMap,
    pub config: Loaded<'a>,
    nginx_tree: OnceCell<walk::nginx::Tree<'a>>,
    nginx_regexes: OnceCell<walk::nginx::LocationRegexes>,
    facts: &'a SiteFacts,
    lowered: OnceCell<Option<walk::probe::Lowered<'a>>>,
    apache_scopes: OnceCell<Vec<walk::apache_scope::Scope>>,
}

/// The facts of a run without `.lint403.yaml`.
static NO_FACTS: std::sync::LazyLock<SiteFacts> = std::sync::LazyLock::new(SiteFacts::default);

impl<'a> RuleContext<'a> {
    pub fn new(sources: &'a SourceMap, config: Loaded<'a>) -> RuleContext<'a> {
        RuleContext {
            sources,
            config,
            nginx_tree: OnceCell::new(),
            nginx_regexes: OnceCell::new(),
            facts: &NO_FACTS,
            lowered: OnceCell::new(),
            apache_scopes: OnceCell::new(),
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

/// Runs every rule that covers the configuration's dialect.
pub fn run(context: &RuleContext<'_>) -> Vec<Diagnostic> {
    let dialect = context.config.dialect();
    let mut diagnostics = Vec::new();
    for rule in RULES.iter().filter(|rule| rule.dialects.contains(&dialect)) {
        (rule.check)(context, &mut diagnostics);
    }
    diagnostics
}

/// Finds a rule or a parse code by code (`A004`) or name
/// (`acl-cidr-host-bits`), case-insensitively.
pub fn find(code_or_name: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|rule| {
        rule.code.code.eq_ignore_ascii_case(code_or_name)
            || rule.code.name.eq_ignore_ascii_case(code_or_name)
    })
}
