//! Regular expressions from configurations (PCRE in nginx and httpd,
//! ECMAScript in IIS URL Rewrite), compiled with `regex` where it can and
//! with `fancy-regex` for look-around and back-references. A pattern
//! neither can run is kept with the reason, so whoever needs it says
//! "unknown" instead of guessing.

use std::fmt;

/// One pattern with its source text, compiled on first use: a large
/// configuration (thousands of `SetEnvIf` lines) is lowered without
/// building an automaton for patterns no request reaches.
#[derive(Clone)]
pub struct Pattern {
    pub source: String,
    pub case_insensitive: bool,
    engine: std::sync::OnceLock<Engine>,
}

#[derive(Clone)]
enum Engine {
    Fast(regex_automata::meta::Regex),
    Backtracking(Box<fancy_regex::Regex>),
    Unsupported(String),
}

impl Pattern {
    pub fn new(source: &str, case_insensitive: bool) -> Pattern {
        Pattern {
            source: source.to_string(),
            case_insensitive,
            engine: std::sync::OnceLock::new(),
        }
    }

    fn engine(&self) -> &Engine {
        self.engine
            .get_or_init(|| compiled(&self.source, self.case_insensitive))
    }

    /// Why neither engine runs it, if neither does.
    pub fn unsupported(&self) -> Option<&str> {
        match self.engine() {
            Engine::Unsupported(reason) => Some(reason),
            _ => None,
        }
    }

    /// `Some(matched)`, or `None` when lint403 cannot tell (an unsupported
    /// pattern, or the backtracking engine's limit hit).
    pub fn is_match(&self, text: &str) -> Option<bool> {
        match self.engine() {
            Engine::Fast(regex) => Some(regex.is_match(text)),
            Engine::Backtracking(regex) => regex.is_match(text).ok(),
            Engine::Unsupported(_) => None,
        }
    }

    /// The capture groups of the first match (`$0`, `$1`, …; a group that
    /// took no part is `None`), `Some(None)` for no match, `None` when
    /// lint403 cannot tell.
    pub fn captures(&self, text: &str) -> Option<Option<Vec<Option<String>>>> {
        match self.engine() {
            Engine::Fast(regex) => {
                let mut found = regex.create_captures();
                regex.captures(text, &mut found);
                Some(found.is_match().then(|| {
                    (0..found.group_len())
                        .map(|group| {
                            found
                                .get_group(group)
                                .and_then(|span| text.get(span.range()))
                                .map(str::to_string)
                        })
                        .collect()
                }))
            }
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
}

impl Pattern {
    /// The names of the capture groups by index (`None` for `$0` and
    /// unnamed groups), so a dialect can turn named captures into
    /// variables (nginx `(?<name>...)`).
    pub fn capture_names(&self) -> Vec<Option<String>> {
        match self.engine() {
            Engine::Fast(regex) => regex
                .group_info()
                .pattern_names(regex_automata::PatternID::ZERO)
                .map(|name| name.map(str::to_string))
                .collect(),
            Engine::Backtracking(regex) => regex
                .capture_names()
                .map(|name| name.map(str::to_string))
                .collect(),
            Engine::Unsupported(_) => Vec::new(),
        }
    }
}

/// The limits `regex::RegexBuilder` sets by default, so a pattern too big
/// for `regex` is too big here too.
const NFA_SIZE_LIMIT: usize = 10 * (1 << 20);
const LAZY_DFA_CACHE_CAPACITY: usize = 2 * (1 << 20);

/// What `regex::RegexBuilder::new(pattern).case_insensitive(..).build()`
/// builds — the same `regex_automata` meta regex, syntax, size limits and
/// match semantics — without the literal prefilter and the full DFA:
/// configurations hold thousands of patterns each tested against a few
/// short inputs (a path, a Referer), where those accelerators cost more
/// to build than they save (about six times the build time, three times
/// the memory). `None` where `regex` reports an error.
pub fn lean(pattern: &str, case_insensitive: bool) -> Option<regex_automata::meta::Regex> {
    use regex_automata::{meta, util::syntax, MatchKind};
    let config = meta::Config::new()
        .nfa_size_limit(Some(NFA_SIZE_LIMIT))
        .hybrid_cache_capacity(LAZY_DFA_CACHE_CAPACITY)
        .match_kind(MatchKind::LeftmostFirst)
        .utf8_empty(true)
        .auto_prefilter(false)
        .dfa(false);
    meta::Builder::new()
        .configure(config)
        .syntax(
            syntax::Config::new()
                .utf8(true)
                .case_insensitive(case_insensitive),
        )
        .build(pattern)
        .ok()
}

/// Patterns compiled so far in this process: the same texts recur in
/// every `.htaccess` and vhost of a repository (hotlink conditions, bot
/// lists), and building an automaton costs far more than matching.
static COMPILED: std::sync::LazyLock<
    std::sync::Mutex<std::collections::HashMap<(String, bool), Engine>>,
> = std::sync::LazyLock::new(|| std::sync::Mutex::new(std::collections::HashMap::new()));

/// Bound on [`COMPILED`]; past it, patterns are compiled without keeping.
const MAX_COMPILED: usize = 50_000;

fn compiled(source: &str, case_insensitive: bool) -> Engine {
    let key = (source.to_string(), case_insensitive);
    if let Some(engine) = COMPILED
        .lock()
        .ok()
        .and_then(|cache| cache.get(&key).cloned())
    {
        return engine;
    }
    let engine = if let Some(regex) = lean(source, case_insensitive) {
        Engine::Fast(regex)
    } else {
        let text = if case_insensitive {
            format!("(?i){source}")
        } else {
            source.to_string()
        };
        match fancy_regex::Regex::new(&text) {
            Ok(regex) => Engine::Backtracking(Box::new(regex)),
            Err(error) => Engine::Unsupported(error.to_string()),
        }
    };
    if let Ok(mut cache) = COMPILED.lock() {
        if cache.len() < MAX_COMPILED {
            cache.insert(key, engine.clone());
        }
    }
    engine
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
}
