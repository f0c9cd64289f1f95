//! Regular expressions from configurations (PCRE in nginx and httpd,
//! ECMAScript in IIS URL Rewrite), compiled with `regex`'s engine where it
//! can and with `fancy-regex` for look-around and back-references. A
//! pattern neither can run is kept with the reason, so whoever needs it
//! says "unknown" instead of guessing.
//!
//! Every pattern is compiled once per process, whoever asks — the model,
//! the tracer or a rule — and shared: a repository's configurations hold
//! thousands of patterns, each tested against a few short inputs (a path,
//! a Referer), so building automata costs far more than matching them.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

use regex_automata::nfa::thompson::{self, pikevm, WhichCaptures};
use regex_automata::util::{pool::Pool, syntax};
use regex_automata::{hybrid, Input, MatchKind, PatternID};

/// One pattern with its source text, compiled on first use: a large
/// configuration (thousands of `SetEnvIf` lines) is lowered without
/// building an automaton for patterns no request reaches.
#[derive(Clone)]
pub struct Pattern {
    pub source: String,
    pub case_insensitive: bool,
    engine: OnceLock<Arc<Engine>>,
}

/// A pattern compiled by the engine that can run it.
pub enum Engine {
    /// `regex`'s dialect and semantics, linear time.
    Fast(Fast),
    /// `fancy-regex`, for look-around, back-references and atomic groups.
    Backtracking(Box<fancy_regex::Regex>),
    /// Neither engine runs it; the reason (`fancy-regex`'s error).
    Unsupported(String),
}

impl Pattern {
    pub fn new(source: &str, case_insensitive: bool) -> Pattern {
        Pattern {
            source: source.to_string(),
            case_insensitive,
            engine: OnceLock::new(),
        }
    }

    /// The compiled pattern, shared with every other user of the same text
    /// and case flag.
    pub fn engine(&self) -> &Engine {
        self.engine
            .get_or_init(|| compiled(&self.source, self.case_insensitive))
    }

    /// Why neither engine runs it, if neither does.
    pub fn unsupported(&self) -> Option<&str> {
        self.engine().unsupported()
    }

    /// `Some(matched)`, or `None` when lint403 cannot tell (an unsupported
    /// pattern, or the backtracking engine's limit hit).
    pub fn is_match(&self, text: &str) -> Option<bool> {
        self.engine().is_match(text)
    }

    /// The capture groups of the first match (`$0`, `$1`, …; a group that
    /// took no part is `None`), `Some(None)` for no match, `None` when
    /// lint403 cannot tell.
    pub fn captures(&self, text: &str) -> Option<Option<Vec<Option<String>>>> {
        match self.engine() {
            Engine::Fast(regex) => Some(regex.captures(text)),
            Engine::Backtracking(regex) => regex.captures(text).ok().map(|found| {
                found.map(|found| {
                    found
                        .iter()
                        .map(|group| group.map(|m| m.as_str().to_string()))
                        .collect()
                })
            }),
            Engine::Unsupported(_) => None,
        }
    }

    /// The names of the capture groups by index (`None` for `$0` and
    /// unnamed groups), so a dialect can turn named captures into
    /// variables (nginx `(?<name>...)`).
    pub fn capture_names(&self) -> Vec<Option<String>> {
        match self.engine() {
            Engine::Fast(regex) => regex.capture_names(),
            Engine::Backtracking(regex) => regex
                .capture_names()
                .map(|name| name.map(str::to_string))
                .collect(),
            Engine::Unsupported(_) => Vec::new(),
        }
    }
}

impl Engine {
    /// Why neither engine runs it, if neither does.
    pub fn unsupported(&self) -> Option<&str> {
        match self {
            Engine::Unsupported(reason) => Some(reason),
            _ => None,
        }
    }

    /// `Some(matched)`, or `None` when lint403 cannot tell (an unsupported
    /// pattern, or the backtracking engine's limit hit).
    pub fn is_match(&self, text: &str) -> Option<bool> {
        match self {
            Engine::Fast(regex) => Some(regex.is_match(text)),
            Engine::Backtracking(regex) => regex.is_match(text).ok(),
            Engine::Unsupported(_) => None,
        }
    }
}

/// The limit `regex::RegexBuilder` sets by default, so a pattern too big
/// for `regex` is too big here too.
const NFA_SIZE_LIMIT: usize = 10 * (1 << 20);

/// A search's scratch space for both engines of a [`Fast`], each made on
/// first use: most patterns are only ever asked whether they match, and
/// never of non-ASCII text.
#[derive(Default)]
struct Caches {
    pikevm: Option<pikevm::Cache>,
    lazy_dfa: Option<hybrid::dfa::Cache>,
}

/// A pattern in `regex`'s dialect, accepted and matched exactly as
/// `regex::RegexBuilder::new(pattern).case_insensitive(..).build()` does,
/// but with two of the engines of its meta regex: a lazy DFA over the
/// forward NFA answers `is_match`, the `PikeVM` gives capture groups (and
/// answers when the lazy DFA gives up, as on non-ASCII text under a
/// Unicode `\b`). `regex` adds a literal prefilter, a one-pass DFA, a
/// bounded backtracker and a reverse lazy DFA — engines that pay off on
/// megabytes of haystack, not on `/index.html`, and that took about half
/// of the build time. Every engine of the meta regex finds the same
/// matches.
///
/// Cloning shares the automata.
#[derive(Clone)]
pub struct Fast(Arc<Automata>);

struct Automata {
    vm: pikevm::PikeVM,
    lazy_dfa: Option<hybrid::dfa::DFA>,
    caches: Pool<Caches, fn() -> Caches>,
}

/// `regex`'s default bound on a lazy DFA's cache.
const LAZY_DFA_CACHE_CAPACITY: usize = 2 * (1 << 20);

impl Fast {
    /// `None` exactly where `regex` reports an error: a syntax error, or
    /// a forward or reverse NFA over the size limit (`regex` builds the
    /// reverse NFA for its lazy DFA and fails when that one is too big,
    /// which happens first for large Unicode classes: `\w{300}`).
    pub fn new(pattern: &str, case_insensitive: bool) -> Option<Fast> {
        let hir = syntax::parse_with(
            pattern,
            &syntax::Config::new()
                .utf8(true)
                .case_insensitive(case_insensitive),
        )
        .ok()?;
        let nfa = with_compilers(|compilers| {
            let forward = compilers.forward.build_from_hir(&hir).ok()?;
            let reverse = compilers.reverse.build_from_hir(&hir).ok()?;
            Some((forward, reverse.memory_usage()))
        })?;
        // As `regex` configures its lazy DFA; the build fails only when
        // the cache cannot hold a handful of states, and then the PikeVM
        // answers alone, as in `regex`.
        let lazy_dfa = hybrid::dfa::Builder::new()
            .configure(
                hybrid::dfa::Config::new()
                    .match_kind(MatchKind::LeftmostFirst)
                    .unicode_word_boundary(true)
                    .cache_capacity(LAZY_DFA_CACHE_CAPACITY)
                    .skip_cache_capacity_check(false)
                    .minimum_cache_clear_count(Some(3))
                    .minimum_bytes_per_state(Some(10)),
            )
            .build_from_nfa(nfa.clone())
            .ok();
        let vm = pikevm::PikeVM::new_from_nfa(nfa).ok()?;
        Some(Fast(Arc::new(Automata {
            vm,
            lazy_dfa,
            caches: Pool::new(Caches::default),
        })))
    }

    pub fn is_match(&self, text: &str) -> bool {
        let automata = &*self.0;
        let mut caches = automata.caches.get();
        let input = Input::new(text).earliest(true);
        if let Some(dfa) = &automata.lazy_dfa {
            let cache = caches.lazy_dfa.get_or_insert_with(|| dfa.create_cache());
            if let Ok(found) = dfa.try_search_fwd(cache, &input) {
                return found.is_some();
            }
        }
        let cache = caches
            .pikevm
            .get_or_insert_with(|| automata.vm.create_cache());
        automata.vm.is_match(cache, input)
    }

    fn captures(&self, text: &str) -> Option<Vec<Option<String>>> {
        let automata = &*self.0;
        let mut found = automata.vm.create_captures();
        let mut caches = automata.caches.get();
        let cache = caches
            .pikevm
            .get_or_insert_with(|| automata.vm.create_cache());
        automata.vm.captures(cache, text, &mut found);
        found.is_match().then(|| {
            (0..found.group_len())
                .map(|group| {
                    found
                        .get_group(group)
                        .and_then(|span| text.get(span.range()))
                        .map(str::to_string)
                })
                .collect()
        })
    }

    fn capture_names(&self) -> Vec<Option<String>> {
        self.0
            .vm
            .get_nfa()
            .group_info()
            .pattern_names(PatternID::ZERO)
            .map(|name| name.map(str::to_string))
            .collect()
    }
}

/// The NFA compilers of `regex`'s meta regex (see [`Fast::new`]), kept
/// per thread between builds: a fresh compiler allocates and initialises
/// its UTF-8 suffix cache, which cost more than compiling a short pattern.
struct Compilers {
    forward: thompson::Compiler,
    reverse: thompson::Compiler,
}

impl Compilers {
    fn new() -> Box<Compilers> {
        let config = thompson::Config::new()
            .utf8(true)
            .nfa_size_limit(Some(NFA_SIZE_LIMIT))
            .shrink(false);
        let mut forward = thompson::Compiler::new();
        forward.configure(config.clone().which_captures(WhichCaptures::All));
        let mut reverse = thompson::Compiler::new();
        reverse.configure(config.which_captures(WhichCaptures::None).reverse(true));
        Box::new(Compilers { forward, reverse })
    }
}

/// NFAs bigger than this leave their compilers' buffers behind (kept, they
/// would hold that memory for the rest of the run).
const KEEP_COMPILERS_BELOW: usize = 1 << 18;

thread_local! {
    static COMPILERS: std::cell::Cell<Option<Box<Compilers>>> =
        const { std::cell::Cell::new(None) };
}

/// Runs `compile` with this thread's compilers; `compile` returns the forward
/// NFA and the reverse NFA's size.
fn with_compilers(
    compile: impl FnOnce(&Compilers) -> Option<(thompson::NFA, usize)>,
) -> Option<thompson::NFA> {
    let compilers = COMPILERS.take().unwrap_or_else(Compilers::new);
    let built = compile(&compilers);
    let small = built.as_ref().is_some_and(|(forward, reverse)| {
        forward.memory_usage().max(*reverse) < KEEP_COMPILERS_BELOW
    });
    if small {
        COMPILERS.set(Some(compilers));
    }
    built.map(|(forward, _)| forward)
}

/// Patterns compiled so far in this process, by case flag and text: the
/// same texts recur in every `.htaccess` and vhost of a repository
/// (hotlink conditions, bot lists), and the model, the tracer and the
/// rules all ask for them.
static COMPILED: LazyLock<Compiled> = LazyLock::new(|| Compiled::new(MAX_COMPILED));

/// Bound on [`COMPILED`] per case flag (a small pattern's engine takes a
/// few kilobytes); past it, patterns are compiled without keeping.
const MAX_COMPILED: usize = 50_000;

struct Compiled {
    by_case: Mutex<[HashMap<Box<str>, Arc<Engine>>; 2]>,
    limit: usize,
}

impl Compiled {
    fn new(limit: usize) -> Compiled {
        Compiled {
            by_case: Mutex::new(Default::default()),
            limit,
        }
    }

    fn get(&self, source: &str, case_insensitive: bool) -> Arc<Engine> {
        let side = usize::from(case_insensitive);
        if let Some(engine) = self
            .by_case
            .lock()
            .ok()
            .and_then(|cache| cache[side].get(source).cloned())
        {
            return engine;
        }
        // Built outside the lock, so threads compiling different patterns
        // do not wait on each other.
        let engine = Arc::new(compile(source, case_insensitive));
        if let Ok(mut cache) = self.by_case.lock() {
            if cache[side].len() < self.limit {
                cache[side].insert(source.into(), Arc::clone(&engine));
            }
        }
        engine
    }
}

/// `source` compiled (case-insensitively when `case_insensitive`), from
/// the process-wide cache.
pub fn compiled(source: &str, case_insensitive: bool) -> Arc<Engine> {
    COMPILED.get(source, case_insensitive)
}

fn compile(source: &str, case_insensitive: bool) -> Engine {
    if let Some(regex) = Fast::new(source, case_insensitive) {
        return Engine::Fast(regex);
    }
    let text = if case_insensitive {
        format!("(?i){source}")
    } else {
        source.to_string()
    };
    match fancy_regex::Regex::new(&text) {
        Ok(regex) => Engine::Backtracking(Box::new(regex)),
        Err(error) => Engine::Unsupported(error.to_string()),
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let flag = if self.case_insensitive { "(?i)" } else { "" };
        write!(f, "Pattern({flag}{})", self.source)
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Pattern) -> bool {
        self.source == other.source && self.case_insensitive == other.case_insensitive
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engines_in_order() {
        assert_eq!(
            Pattern::new(r"\.php$", false).is_match("/a.php"),
            Some(true)
        );
        let lookahead = Pattern::new(r"^/(?!\.well-known)\.", false);
        assert_eq!(lookahead.is_match("/.git"), Some(true));
        assert_eq!(lookahead.is_match("/.well-known"), Some(false));
        let broken = Pattern::new(r"(", false);
        assert!(broken.unsupported().is_some());
        assert_eq!(broken.is_match("x"), None);
    }

    #[test]
    fn case_and_captures() {
        let pattern = Pattern::new(r"^/(IMG)/(.*)$", true);
        assert_eq!(pattern.is_match("/img/a"), Some(true));
        let groups = pattern.captures("/img/a.png").flatten().unwrap_or_default();
        assert_eq!(groups.get(2).cloned().flatten().as_deref(), Some("a.png"));
        assert_eq!(
            pattern.captures("/x").map(|found| found.is_none()),
            Some(true)
        );
        let named = Pattern::new(r"^(?<sub>[a-z]+)\.(?P<zone>test)$", false);
        assert_eq!(
            named.capture_names(),
            [None, Some("sub".to_string()), Some("zone".to_string())]
        );
    }

    #[test]
    fn cache_is_bounded() {
        let cache = Compiled::new(2);
        for index in 0..4 {
            let engine = cache.get(&format!("^{index}$"), false);
            assert_eq!(engine.is_match("0"), Some(index == 0));
        }
        let kept = cache.by_case.lock().map(|by_case| by_case[0].len()).ok();
        assert_eq!(kept, Some(2));
        assert_eq!(cache.get("^3$", false).is_match("3"), Some(true));
    }

    #[test]
    fn one_engine_per_text_and_flag() {
        let first = compiled(r"^/shared\.php$", true);
        let again = Pattern::new(r"^/shared\.php$", true);
        let other_case = compiled(r"^/shared\.php$", false);
        assert!(std::ptr::eq(Arc::as_ptr(&first), again.engine()));
        assert!(!Arc::ptr_eq(&first, &other_case));
    }
}
