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

use regex_automata::nfa::thompson::{self, backtrack, pikevm, WhichCaptures};
use regex_automata::util::{pool::Pool, syntax};
use regex_automata::{hybrid, Input, MatchKind, PatternID};
use regex_syntax::hir::Hir;

mod small;
mod superset;

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
    Backtracking(Box<Backtracking>),
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

    /// Why neither engine runs it, if neither does. Lowering asks this of
    /// every pattern of a configuration, most of which no request it
    /// traces reaches: a pattern `regex` parses into an automaton that
    /// surely fits its size limit is supported without building it.
    pub fn unsupported(&self) -> Option<&str> {
        if let Some(engine) = self.engine.get() {
            return engine.unsupported();
        }
        let engine = COMPILED.engine_unless_surely_fast(&self.source, self.case_insensitive)?;
        self.engine.get_or_init(|| engine).unsupported()
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
            Engine::Backtracking(regex) if !regex.may_match(text) => Some(None),
            Engine::Backtracking(regex) => regex.regex.captures(text).ok().map(|found| {
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
                .regex
                .capture_names()
                .map(|name| name.map(str::to_string))
                .collect(),
            Engine::Unsupported(_) => Vec::new(),
        }
    }
}

/// A pattern only the backtracking engine runs, with a pattern `regex`
/// runs that matches wherever it does ([`superset`]): most texts a tracer
/// tries (`location ~ /\.(?!well-known)` against every path) are turned
/// down by that one without backtracking.
pub struct Backtracking {
    regex: fancy_regex::Regex,
    superset: Option<Fast>,
}

impl Backtracking {
    /// `false` only where the pattern surely does not match `text`.
    fn may_match(&self, text: &str) -> bool {
        self.superset
            .as_ref()
            .is_none_or(|superset| superset.is_match(text))
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
            Engine::Backtracking(regex) if !regex.may_match(text) => Some(false),
            Engine::Backtracking(regex) => regex.regex.is_match(text).ok(),
            Engine::Unsupported(_) => None,
        }
    }
}

/// `A/|A$` for a pattern `A(/|$)` or `A(?:/|$)` whose `A` has no
/// alternation: the same texts match (only the groups differ, and groups
/// are asked of `regex`'s engines, built from the pattern as written), and
/// the small matcher takes a `$` at the end of a branch, not inside a
/// group. Apache `Redirect /old /new` is lowered to such a pattern, one
/// per line of a configuration that can hold tens of thousands; hotlink
/// conditions end the host so (`^https?://(www\.)?example\.com(?:/|$)`).
fn slash_or_end_distributed(pattern: &str) -> Option<String> {
    let stem = small::slash_or_end_stem(pattern)?;
    let trailing_backslashes = stem.bytes().rev().take_while(|&byte| byte == b'\\').count();
    if stem.contains('|') || trailing_backslashes % 2 == 1 {
        return None;
    }
    Some(format!("{stem}/|{stem}$"))
}

/// The limit `regex::RegexBuilder` sets by default, so a pattern too big
/// for `regex` is too big here too.
const NFA_SIZE_LIMIT: usize = 10 * (1 << 20);

/// A search's scratch space for the engines of a [`Fast`], each made on
/// first use: most patterns are only ever asked whether they match.
#[derive(Default)]
struct Caches {
    pikevm: Option<pikevm::Cache>,
    lazy_dfa: Option<hybrid::dfa::Cache>,
    backtracker: Option<backtrack::Cache>,
}

/// A pattern in `regex`'s dialect, accepted and matched exactly as
/// `regex::RegexBuilder::new(pattern).case_insensitive(..).build()` does.
/// A plain ASCII pattern is matched by [`small::Small`] on ASCII text,
/// and gets `regex`'s engines only when asked for capture groups or about
/// other text; any other pattern gets them when it is compiled.
///
/// Cloning shares the automata.
#[derive(Clone)]
pub struct Fast(Arc<Machine>);

/// The automata behind a pointer: about 830 bytes, where a small matcher
/// takes a few hundred, and a large configuration keeps tens of
/// thousands of small matchers that never build them.
enum Machine {
    Automata(Box<Automata>),
    Small {
        small: small::Small,
        source: Box<str>,
        case_insensitive: bool,
        automata: OnceLock<Option<Box<Automata>>>,
    },
}

/// Three of the engines of `regex`'s meta regex over the forward NFA: a
/// lazy DFA answers `is_match` (the `PikeVM` answers when it gives up, as
/// on non-ASCII text under a Unicode `\b`), the bounded backtracker gives
/// capture groups (the `PikeVM` for a text too long for it). `regex` also
/// builds a literal prefilter, a one-pass DFA and a reverse lazy DFA —
/// engines that pay off on megabytes of haystack, not on `/index.html` —
/// and builds them for every pattern, which took about half of the build
/// time. Every engine of the meta regex finds the same matches and groups.
struct Automata {
    vm: pikevm::PikeVM,
    backtracker: backtrack::BoundedBacktracker,
    lazy_dfa: Option<hybrid::dfa::DFA>,
    caches: Pool<Caches, fn() -> Caches>,
}

/// `regex`'s default bound on a lazy DFA's cache.
const LAZY_DFA_CACHE_CAPACITY: usize = 2 * (1 << 20);

impl Fast {
    /// `None` exactly where `regex` reports an error: a syntax error, or
    /// a forward or reverse NFA over the size limit (`regex` builds the
    /// reverse NFA for its lazy DFA and fails when that one is too big,
    /// which happens first for large Unicode classes: `\w{210}`).
    fn new(pattern: &str, case_insensitive: bool) -> Option<Fast> {
        Fast::small(pattern, case_insensitive).or_else(|| {
            Automata::new(pattern, case_insensitive)
                .map(|automata| Fast(Arc::new(Machine::Automata(Box::new(automata)))))
        })
    }

    /// The pattern if [`small::Small`] takes it: built without `regex`.
    fn small(pattern: &str, case_insensitive: bool) -> Option<Fast> {
        let small = small::Small::new(pattern, case_insensitive).or_else(|| {
            let distributed = slash_or_end_distributed(pattern)?;
            small::Small::new(&distributed, case_insensitive)
        })?;
        Some(Fast(Arc::new(Machine::Small {
            small,
            source: pattern.into(),
            case_insensitive,
            automata: OnceLock::new(),
        })))
    }

    /// `regex`'s engines, built now if they were not. `None` only if
    /// `regex` refused a pattern the small matcher took, which its tests
    /// rule out.
    fn automata(&self) -> Option<&Automata> {
        match &*self.0 {
            Machine::Automata(automata) => Some(automata),
            Machine::Small {
                source,
                case_insensitive,
                automata,
                ..
            } => automata
                .get_or_init(|| Automata::new(source, *case_insensitive).map(Box::new))
                .as_deref(),
        }
    }

    pub fn is_match(&self, text: &str) -> bool {
        if let Machine::Small { small, .. } = &*self.0 {
            if text.is_ascii() {
                return small.is_match(text.as_bytes());
            }
        }
        self.automata()
            .is_some_and(|automata| automata.is_match(text))
    }

    fn captures(&self, text: &str) -> Option<Vec<Option<String>>> {
        // Most patterns a tracer tries do not match: the small matcher or
        // the lazy DFA says so for a fraction of what a search for groups
        // costs.
        if !self.is_match(text) {
            return None;
        }
        self.automata()?.captures(text)
    }

    fn capture_names(&self) -> Vec<Option<String>> {
        self.automata()
            .map(|automata| {
                automata
                    .vm
                    .get_nfa()
                    .group_info()
                    .pattern_names(PatternID::ZERO)
                    .map(|name| name.map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    #[cfg(test)]
    fn has_automata(&self) -> bool {
        match &*self.0 {
            Machine::Automata(_) => true,
            Machine::Small { automata, .. } => automata.get().is_some(),
        }
    }
}

impl Automata {
    fn new(pattern: &str, case_insensitive: bool) -> Option<Automata> {
        let hir = parse(pattern, case_insensitive)?;
        // The reverse NFA is built only for its size, and only where the
        // bound cannot vouch for it.
        let reverse_fits = surely_fits(&hir);
        let nfa = with_compilers(|compilers| {
            let forward = compilers.forward.build_from_hir(&hir).ok()?;
            let reverse = if reverse_fits {
                0
            } else {
                compilers.reverse.build_from_hir(&hir).ok()?.memory_usage()
            };
            Some((forward, reverse))
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
        let backtracker = backtrack::BoundedBacktracker::new_from_nfa(nfa.clone()).ok()?;
        let vm = pikevm::PikeVM::new_from_nfa(nfa).ok()?;
        Some(Automata {
            vm,
            backtracker,
            lazy_dfa,
            caches: Pool::new(Caches::default),
        })
    }

    fn is_match(&self, text: &str) -> bool {
        let mut caches = self.caches.get();
        let input = Input::new(text).earliest(true);
        if let Some(dfa) = &self.lazy_dfa {
            let cache = caches.lazy_dfa.get_or_insert_with(|| dfa.create_cache());
            if let Ok(found) = dfa.try_search_fwd(cache, &input) {
                return found.is_some();
            }
        }
        let cache = caches.pikevm.get_or_insert_with(|| self.vm.create_cache());
        self.vm.is_match(cache, input)
    }

    /// The groups of the match in `text`, which has one.
    fn captures(&self, text: &str) -> Option<Vec<Option<String>>> {
        let mut found = self.vm.create_captures();
        let mut caches = self.caches.get();
        // The bounded backtracker is the faster of the two on short texts,
        // and refuses long ones.
        let backtracker = &self.backtracker;
        let cache = caches
            .backtracker
            .get_or_insert_with(|| backtracker.create_cache());
        if backtracker.try_captures(cache, text, &mut found).is_err() {
            let cache = caches.pikevm.get_or_insert_with(|| self.vm.create_cache());
            self.vm.captures(cache, text, &mut found);
        }
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
}

/// `pattern` as `regex` parses it, `None` where it reports a syntax error.
fn parse(pattern: &str, case_insensitive: bool) -> Option<Hir> {
    syntax::parse_with(
        pattern,
        &syntax::Config::new()
            .utf8(true)
            .case_insensitive(case_insensitive),
    )
    .ok()
}

/// Whether [`Fast::new`] surely succeeds: `regex` parses the pattern, and
/// its NFAs surely fit the size limit.
fn surely_fast(pattern: &str, case_insensitive: bool) -> bool {
    parse(pattern, case_insensitive).is_some_and(|hir| surely_fits(&hir))
}

/// Whether an upper bound on the size of the NFAs of `hir` is half the
/// size limit or less. Where the bound is higher, only building tells.
fn surely_fits(hir: &Hir) -> bool {
    // The unanchored prefix, the outer group, the match state.
    let whole = nfa_bound(hir).then(&NfaBound::states(16));
    whole.bytes() <= NFA_SIZE_LIMIT / 2
}

/// An upper bound on what compiling an expression adds to a Thompson NFA
/// (forward with every group, or reverse), as the builder counts it
/// against the size limit: states, and the transitions and alternatives
/// they hold. It follows `regex_automata::nfa::thompson::Compiler` case by
/// case, rounded up.
#[derive(Clone, Copy)]
struct NfaBound {
    states: u64,
    edges: u64,
}

impl NfaBound {
    const fn states(states: u64) -> NfaBound {
        NfaBound { states, edges: 0 }
    }

    fn then(self, other: &NfaBound) -> NfaBound {
        NfaBound {
            states: self.states.saturating_add(other.states),
            edges: self.edges.saturating_add(other.edges),
        }
    }

    fn times(self, count: u64) -> NfaBound {
        NfaBound {
            states: self.states.saturating_mul(count),
            edges: self.edges.saturating_mul(count),
        }
    }

    /// A state takes one `State` (an enum holding a `Vec`: 32 bytes on
    /// 64-bit targets, counted as 64), an edge a `Transition` (8 bytes)
    /// or a `StateID` (4).
    fn bytes(&self) -> usize {
        let bytes = self
            .states
            .saturating_mul(64)
            .saturating_add(self.edges.saturating_mul(8));
        usize::try_from(bytes).unwrap_or(usize::MAX)
    }
}

fn nfa_bound(hir: &Hir) -> NfaBound {
    use regex_syntax::hir::{Class, HirKind};
    let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => NfaBound::states(1),
        HirKind::Literal(literal) => NfaBound::states(count(literal.0.len()).max(1)),
        HirKind::Class(Class::Bytes(class)) => NfaBound {
            states: 2,
            edges: count(class.ranges().len()),
        },
        HirKind::Class(Class::Unicode(class)) => {
            // Forward, a trie of the UTF-8 sequences; reverse, one chain
            // per sequence under a union: never more than two states and
            // two edges per byte range of the sequences.
            let ranges: u64 = class
                .iter()
                .flat_map(|range| {
                    regex_syntax::utf8::Utf8Sequences::new(range.start(), range.end())
                })
                .map(|sequence| count(sequence.len()))
                .fold(0, u64::saturating_add);
            NfaBound {
                states: ranges.saturating_mul(2).saturating_add(4),
                edges: ranges.saturating_mul(2).saturating_add(4),
            }
        }
        HirKind::Capture(capture) => nfa_bound(&capture.sub).then(&NfaBound::states(2)),
        HirKind::Concat(parts) => parts
            .iter()
            .map(nfa_bound)
            .fold(NfaBound::states(1), |sum, part| sum.then(&part)),
        HirKind::Alternation(branches) => {
            // Either a union over the branches or, for literals only, a
            // trie of them: at most three states and edges per byte and
            // per branch.
            let union = branches
                .iter()
                .map(|branch| {
                    nfa_bound(branch).then(&NfaBound {
                        states: 0,
                        edges: 2,
                    })
                })
                .fold(NfaBound::states(3), |sum, branch| sum.then(&branch));
            let bytes: u64 = branches
                .iter()
                .map(|branch| match branch.kind() {
                    HirKind::Literal(literal) => count(literal.0.len()),
                    _ => 0,
                })
                .fold(0, u64::saturating_add);
            let trie_size = bytes
                .saturating_add(count(branches.len()))
                .saturating_add(1)
                .saturating_mul(3);
            let trie = NfaBound {
                states: trie_size,
                edges: trie_size,
            };
            NfaBound {
                states: union.states.max(trie.states),
                edges: union.edges.max(trie.edges),
            }
        }
        HirKind::Repetition(repetition) => {
            // Up to max(min, max) + 1 copies, each with a union, an empty
            // state and their edges.
            let copies = u64::from(repetition.min.max(repetition.max.unwrap_or(repetition.min)))
                .saturating_add(1);
            nfa_bound(&repetition.sub)
                .then(&NfaBound {
                    states: 3,
                    edges: 3,
                })
                .times(copies)
                .then(&NfaBound {
                    states: 3,
                    edges: 3,
                })
        }
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
    by_case: Mutex<[HashMap<Box<str>, Known>; 2]>,
    limit: usize,
}

/// What the cache knows of a pattern.
#[derive(Clone)]
enum Known {
    /// [`surely_fast`], not built yet.
    SurelyFast,
    Built(Arc<Engine>),
}

impl Compiled {
    fn new(limit: usize) -> Compiled {
        Compiled {
            by_case: Mutex::new(Default::default()),
            limit,
        }
    }

    fn known(&self, source: &str, case_insensitive: bool) -> Option<Known> {
        self.by_case
            .lock()
            .ok()
            .and_then(|cache| cache[usize::from(case_insensitive)].get(source).cloned())
    }

    fn remember(&self, source: &str, case_insensitive: bool, known: Known) {
        if let Ok(mut cache) = self.by_case.lock() {
            let patterns = &mut cache[usize::from(case_insensitive)];
            if let Some(entry) = patterns.get_mut(source) {
                *entry = known;
            } else if patterns.len() < self.limit {
                patterns.insert(source.into(), known);
            }
        }
    }

    fn forget_unused(&self) {
        if let Ok(mut cache) = self.by_case.lock() {
            for patterns in cache.iter_mut() {
                patterns.retain(|_, known| match known {
                    Known::SurelyFast => true,
                    Known::Built(engine) => Arc::strong_count(engine) > 1,
                });
            }
        }
    }

    fn get(&self, source: &str, case_insensitive: bool) -> Arc<Engine> {
        if let Some(Known::Built(engine)) = self.known(source, case_insensitive) {
            return engine;
        }
        // Built outside the lock, so threads compiling different patterns
        // do not wait on each other.
        let engine = Arc::new(compile(source, case_insensitive));
        self.remember(source, case_insensitive, Known::Built(Arc::clone(&engine)));
        engine
    }

    /// The engine of `source` if it is built or [`surely_fast`] cannot
    /// vouch for it (then it is built now); `None` for a pattern `regex`
    /// surely runs.
    fn engine_unless_surely_fast(
        &self,
        source: &str,
        case_insensitive: bool,
    ) -> Option<Arc<Engine>> {
        match self.known(source, case_insensitive) {
            Some(Known::SurelyFast) => None,
            Some(Known::Built(engine)) => Some(engine),
            None => self.built_unless_surely_fast(source, case_insensitive),
        }
    }

    fn built_unless_surely_fast(
        &self,
        source: &str,
        case_insensitive: bool,
    ) -> Option<Arc<Engine>> {
        // Built in a few thousand instructions (`regex` takes some
        // 60,000), the small matcher is kept rather than vouched for: a
        // vouched-for pattern is built again for its first match.
        if let Some(small) = Fast::small(source, case_insensitive) {
            let engine = Arc::new(Engine::Fast(small));
            self.remember(source, case_insensitive, Known::Built(Arc::clone(&engine)));
            return Some(engine);
        }
        if surely_fast(source, case_insensitive) {
            self.remember(source, case_insensitive, Known::SurelyFast);
            return None;
        }
        Some(self.get(source, case_insensitive))
    }
}

/// `source` compiled (case-insensitively when `case_insensitive`), from
/// the process-wide cache.
pub fn compiled(source: &str, case_insensitive: bool) -> Arc<Engine> {
    COMPILED.get(source, case_insensitive)
}

/// Drops the compiled patterns nothing but the cache holds: a large
/// configuration's thousands of location regexes (about 7 KB each) are
/// not asked for again once its rules are done with them, and the next
/// configuration compiles its own.
pub fn forget_unused() {
    COMPILED.forget_unused();
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
        Ok(regex) => Engine::Backtracking(Box::new(Backtracking {
            regex,
            superset: superset::superset(source)
                .and_then(|superset| Fast::new(&superset, case_insensitive)),
        })),
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

    /// A small matcher is kept by the thousand; the automata it may never
    /// build stay behind a pointer.
    #[test]
    fn a_machine_stays_small() {
        assert!(
            std::mem::size_of::<Machine>() <= 64,
            "{}",
            std::mem::size_of::<Machine>()
        );
    }

    /// A pattern someone holds stays in the cache; one only the cache held
    /// leaves it at [`forget_unused`], and is compiled again when asked.
    #[test]
    fn forgetting_keeps_what_is_held() {
        let (held_text, dropped_text) =
            (r"^/forget-test/held/[0-9]+$", r"^/forget-test/gone/[0-9]+$");
        let held = compiled(held_text, false);
        drop(compiled(dropped_text, true));
        let cached =
            |text: &str, case_insensitive: bool| COMPILED.known(text, case_insensitive).is_some();
        assert!(cached(dropped_text, true));
        forget_unused();
        assert!(cached(held_text, false));
        assert!(!cached(dropped_text, true));
        assert!(Arc::ptr_eq(&held, &compiled(held_text, false)));
        let again = compiled(dropped_text, true);
        assert!(
            matches!(again.as_ref(), Engine::Fast(fast) if fast.is_match("/forget-test/GONE/7"))
        );
        assert!(cached(dropped_text, true));
    }

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

    /// A `Redirect` prefix pattern goes to the small matcher, and matches
    /// where `regex` matches it.
    #[test]
    fn slash_or_end_patterns_are_small_and_agree_with_regex() {
        let patterns = [
            r"^/old/page\-12\.html(/|$)",
            r"^(/|$)",
            r"^/a[0-9]+(/|$)",
            r"/x(/|$)",
            r"^/old/page\-12\.html(?:/|$)",
            r"^https?://(?:www\.)?example\.com(?:/|$)",
            r"/x(?:/|$)",
        ];
        for source in patterns {
            for case_insensitive in [false, true] {
                let fast = Fast::small(source, case_insensitive);
                assert!(fast.is_some(), "{source} is small");
                let Ok(regex) = regex::RegexBuilder::new(source)
                    .case_insensitive(case_insensitive)
                    .build()
                else {
                    panic!("{source} compiles");
                };
                let texts = [
                    "",
                    "/",
                    "/old/page-12.html",
                    "/old/page-12.html/",
                    "/old/page-12.html/x",
                    "/old/page-12.htmlx",
                    "/OLD/page-12.html",
                    "/a12",
                    "/a12/b",
                    "/a",
                    "/x",
                    "/y/x",
                    "/y/x/z",
                    "/xz",
                    "https://example.com",
                    "https://example.com/",
                    "https://www.example.com/page",
                    "http://EXAMPLE.com.evil.test/",
                    "https://example.community/",
                    "https://evil.test/?https://example.com/",
                ];
                for text in texts {
                    assert_eq!(
                        fast.as_ref().map(|fast| fast.is_match(text)),
                        Some(regex.is_match(text)),
                        "{source} on {text:?}"
                    );
                }
            }
        }
        assert_eq!(slash_or_end_distributed(r"^/a|b(/|$)"), None);
        assert_eq!(slash_or_end_distributed(r"^/a\(/|$)"), None);
        assert_eq!(slash_or_end_distributed(r"^/a|b(?:/|$)"), None);
        assert_eq!(slash_or_end_distributed(r"^/a\(?:/|$)"), None);
    }

    /// The superset pattern turns texts down, never changes an answer:
    /// every look-around and back-reference pattern below gives on every
    /// text what `fancy-regex` alone gives.
    #[test]
    fn superset_prefilter_never_changes_an_answer() {
        let patterns = [
            r"/\.(?!well-known)",
            r"^/(?!api/|static/).*\.php$",
            r"(?<!\.min)\.js$",
            r"^/(?=[a-z]{3}/)\w+/(\d+)/\1$",
            r"(?<id>[0-9]+)-\k<id>",
            r"^(?>a|ab)c$",
            r"\.(?:bak|old)(?=$|\?)",
            r"^/(?!\.well-known/)\.",
            r"[(?!]x(?=y)",
        ];
        let mut texts: Vec<String> = [
            "/",
            "/.git",
            "/.well-known/a",
            "/a/.env",
            "/x.php",
            "/api/x.php",
            "/static/a.php",
            "/a.min.js",
            "/a.js",
            "/abc/12/12",
            "/abc/12/13",
            "7-7",
            "7-8",
            "ac",
            "abc",
            "/a.bak",
            "/a.old?x",
            "(x",
            "?xy",
            "!xy",
            "/ÉTÉ/.x",
            "",
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        // Every short text over the characters the patterns test.
        let alphabet = ['/', '.', 'a', 'b', 'c', '1', 'j', 's', 'x', 'y', '?', '-'];
        let mut frontier = vec![String::new()];
        for _ in 0..4 {
            let mut next = Vec::new();
            for text in &frontier {
                for c in alphabet {
                    next.push(format!("{text}{c}"));
                }
            }
            texts.extend(next.iter().cloned());
            frontier = next;
        }
        for case_insensitive in [false, true] {
            for source in patterns {
                let flagged = if case_insensitive {
                    format!("(?i){source}")
                } else {
                    source.to_string()
                };
                let Ok(plain) = fancy_regex::Regex::new(&flagged) else {
                    panic!("{source} compiles");
                };
                let pattern = Pattern::new(source, case_insensitive);
                for text in &texts {
                    assert_eq!(
                        pattern.is_match(text),
                        plain.is_match(text).ok(),
                        "{source} on {text:?}"
                    );
                    let groups = plain.captures(text).ok().map(|found| {
                        found.map(|found| {
                            found
                                .iter()
                                .map(|group| group.map(|m| m.as_str().to_string()))
                                .collect::<Vec<_>>()
                        })
                    });
                    assert_eq!(pattern.captures(text), groups, "{source} on {text:?}");
                }
            }
        }
        let dotfiles = Pattern::new(r"/\.(?!well-known)", false);
        assert!(
            matches!(dotfiles.engine(), Engine::Backtracking(engine) if engine.superset.is_some()),
            "the common dotfile block gets a superset"
        );
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

    /// The bound only ever errs towards building: where it says a pattern
    /// fits, the compiler agrees, whatever the shape and size.
    #[test]
    fn surely_fast_only_where_fast() {
        let shapes = [
            r"\w{N}",
            r"\pL{N}",
            r"(?i)[a-z]{N}",
            r"(?:foo|bar|bazz){N}",
            r"(a|b\d|[^/]){N}",
            r"(?:x{2,N})*",
            r"(?:.{0,N}){3}",
            r"(?:\b(?:ab|cd)?){N}",
            r"(?i)(?:ǅ|σ|k){N}",
            r"(?:(?:){N}){N}",
        ];
        let mut fast_by_bound = 0;
        for shape in shapes {
            for n in [1, 2, 10, 50, 100, 300, 1000, 5000] {
                let pattern = shape.replace('N', &n.to_string());
                for case_insensitive in [false, true] {
                    if surely_fast(&pattern, case_insensitive) {
                        fast_by_bound += 1;
                        assert!(
                            Fast::new(&pattern, case_insensitive).is_some(),
                            "{pattern} (case-insensitive: {case_insensitive})"
                        );
                    }
                }
            }
        }
        assert!(fast_by_bound > 40, "{fast_by_bound}");
        assert!(!surely_fast(r"\w{300}", false));
        assert!(!surely_fast("(", false));
        assert!(!surely_fast(r"/\.(?!well-known)", false));
    }

    /// Lowering asks every pattern whether it runs; the usual ones are
    /// answered without an automaton (the plain ones get the small
    /// matcher, the others are vouched for by the bound), the others as
    /// before.
    #[test]
    fn unsupported_without_building() {
        for source in [
            r"\.(?:7z|bak|conf|db|log|sql|yaml|zip)$",
            r"^/(?:wp-login\.php|xmlrpc\.php|wp-admin/admin-ajax\.php)$",
            r"^https?://([a-z]+\.)?duckduckgo\.",
            r"^/api/v[0-9]{1,2}/(?<item>\w+)$",
        ] {
            let pattern = Pattern::new(&format!("{source}|unbuilt"), true);
            assert_eq!(pattern.unsupported(), None, "{source}");
            let Some(Engine::Fast(small)) = pattern.engine.get().map(|engine| &**engine) else {
                panic!("{source}: the small matcher is kept");
            };
            assert!(!small.has_automata(), "{source}");
            assert!(
                small.is_match("/api/v1/x") || !source.contains("api"),
                "{source}"
            );
            assert!(!small.has_automata(), "{source}");
            assert_eq!(
                pattern
                    .captures("/api/v2/abc")
                    .flatten()
                    .map(|groups| groups.len()),
                source.contains("api").then_some(2),
                "{source}"
            );
        }
        for source in [r"\bwp-admin\b", r"\p{Greek}+\.", r"^/(?i:admin)/"] {
            let pattern = Pattern::new(source, true);
            assert_eq!(pattern.unsupported(), None, "{source}");
            assert!(pattern.engine.get().is_none(), "{source}");
            assert!(matches!(pattern.engine(), Engine::Fast(_)), "{source}");
        }
        for (source, runs) in [
            (r"/\.(?!well-known)", true),
            (r"\w{300}", false),
            ("(", false),
            (r"\w{300}(?=x)", false),
        ] {
            let pattern = Pattern::new(source, false);
            assert_eq!(pattern.unsupported().is_none(), runs, "{source}");
            assert!(!matches!(pattern.engine(), Engine::Fast(_)), "{source}");
        }
    }

    /// Non-ASCII text and capture groups go to `regex`'s engines.
    #[test]
    fn small_patterns_hand_over_to_regex() {
        let pattern = Pattern::new(r"^/(ka)[a-z]*$", true);
        assert_eq!(pattern.is_match("/KAfe"), Some(true));
        // U+212A KELVIN SIGN folds to `k`.
        assert_eq!(pattern.is_match("/\u{212a}afe"), Some(true));
        assert_eq!(pattern.is_match("/kafé"), Some(false));
        assert_eq!(
            pattern.captures("/Kab"),
            Some(Some(vec![Some("/Kab".to_string()), Some("Ka".to_string())]))
        );
        assert_eq!(pattern.capture_names(), [None, None]);
    }

    /// Rules run on several threads over one shared context.
    #[test]
    fn shareable_between_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<Pattern>();
        shareable::<Engine>();
        shareable::<Fast>();
    }
}
