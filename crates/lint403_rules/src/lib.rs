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
    lowered: std::sync::Mutex<LoweredSlot<'a>>,
    apache_scopes: OnceLock<Vec<walk::apache_scope::Scope>>,
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
    if threads <= 1 {
        let mut diagnostics = Vec::new();
        for rule in &rules {
            (rule.check)(context, &mut diagnostics);
            done(rule);
        }
        return diagnostics;
    }
    // Handed out in catalogue order, except that the rules that first
    // build the two costly shared views start at once on different
    // threads, so the views are built side by side rather than one
    // waiting for the other. (Handing out the model's other readers next,
    // to free it sooner, left a thread waiting for the model while it was
    // lowered: the Apache part took longer.)
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
            done(rules[index]);
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
    use lint403_core::{CheckOptions, Dialect, SourceMap};

    use super::{reads_model, Loaded, RuleContext, RULES};

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
