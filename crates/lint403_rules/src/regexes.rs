//! Regular expressions that rules test against a handful of short inputs
//! (a path, a Referer), compiled on first use and kept for the run.
//!
//! A configuration of a thousand sites holds thousands of distinct
//! patterns, each tested against a few inputs of a few dozen bytes. With
//! `regex::Regex::new`, building dominates: it extracts literals and builds
//! a Teddy/Aho-Corasick prefilter (for `(?i)` patterns, over every case
//! variant) and, for small automata, a full DFA — work that pays off on
//! megabytes of haystack, not on `/index.html`. [`build`] makes the same
//! `regex_automata` meta regex that `regex` makes, with the same syntax,
//! size limits and match semantics, minus those two accelerators: it
//! compiles about six times faster and takes a third of the memory, and
//! whether a pattern compiles at all is unchanged (neither accelerator can
//! make a build fail).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use regex_automata::meta;

/// See [`lint403_core::pattern::lean`].
pub fn build(pattern: &str, case_insensitive: bool) -> Option<meta::Regex> {
    lint403_core::pattern::lean(pattern, case_insensitive)
}

/// Patterns compiled with [`build`], one entry per pattern text and
/// case flag (a pattern that does not compile is remembered as `None`).
/// Sites copy their rules from one another: the same Referer and URL
/// patterns come back in file after file.
#[derive(Default)]
struct RegexCache {
    /// Indexed by the case-insensitive flag, so a lookup by `&str` needs
    /// no key allocation.
    by_case: [RefCell<HashMap<String, Option<Rc<meta::Regex>>>>; 2],
}

/// How many patterns per case flag a thread keeps before it starts over,
/// so a repository of distinct patterns cannot grow memory without bound
/// (a compiled pattern takes a few kilobytes).
const CACHE_LIMIT: usize = 1024;

thread_local! {
    /// Per thread, so files checked in parallel never wait on each other.
    static CACHE: RegexCache = RegexCache::default();
}

/// The compiled `pattern` (see [`build`]), from this thread's cache;
/// `None` when `regex` cannot compile it.
pub fn get(pattern: &str, case_insensitive: bool) -> Option<Rc<meta::Regex>> {
    CACHE.with(|cache| {
        let map = &cache.by_case[usize::from(case_insensitive)];
        if let Some(found) = map.borrow().get(pattern) {
            return found.clone();
        }
        let compiled = build(pattern, case_insensitive).map(Rc::new);
        let mut map = map.borrow_mut();
        if map.len() >= CACHE_LIMIT {
            map.clear();
        }
        map.insert(pattern.to_string(), compiled.clone());
        compiled
    })
}

/// Whether `pattern` matches `text`; `None` when it does not compile.
pub fn is_match(pattern: &str, case_insensitive: bool, text: &str) -> Option<bool> {
    get(pattern, case_insensitive).map(|regex| regex.is_match(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same verdicts as `regex`, Unicode case folding included.
    #[test]
    fn agrees_with_regex() {
        let patterns = [
            r"\.php$",
            r"\.(?:bak|sql|swp)$",
            r"^/(?:wp-login\.php|xmlrpc\.php)$",
            "^/api/v[0-9]{1,2}/items/[0-9]+(/[a-z_]{2,32})?$",
            r"^https?://(www\.)?example\.com(:\d+)?(/|$)",
            r"\bk\w+",
        ];
        let inputs = [
            "/a.php",
            "/a.PHP",
            "/x.Sql",
            "/x.\u{17f}ql",
            "/wp-login.php",
            "/api/v1/items/3/ab",
            "https://www.example.com/",
            "\u{212a}elvin",
            "",
        ];
        for pattern in patterns {
            for case_insensitive in [false, true] {
                let reference = regex::RegexBuilder::new(pattern)
                    .case_insensitive(case_insensitive)
                    .build()
                    .expect("a valid pattern");
                let built = build(pattern, case_insensitive).expect("a valid pattern");
                for input in inputs {
                    assert_eq!(
                        built.is_match(input),
                        reference.is_match(input),
                        "{pattern} (case-insensitive: {case_insensitive}) on {input:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn fails_where_regex_fails() {
        for pattern in ["(", r"^/(?!\.well-known)", r"(a)\1", "a{99999}{99999}"] {
            assert!(regex::Regex::new(pattern).is_err(), "{pattern}");
            assert!(build(pattern, false).is_none(), "{pattern}");
        }
    }

    #[test]
    fn cache_keeps_case_apart() {
        assert_eq!(is_match("^/A$", false, "/a"), Some(false));
        assert_eq!(is_match("^/A$", true, "/a"), Some(true));
        assert_eq!(is_match("^/A$", false, "/A"), Some(true));
        assert_eq!(is_match("(", true, "("), None);
    }

    #[test]
    fn cache_is_bounded() {
        for index in 0..=CACHE_LIMIT {
            assert_eq!(
                is_match(&format!("^{index}$"), false, "0"),
                Some(index == 0)
            );
        }
        CACHE.with(|cache| assert!(cache.by_case[0].borrow().len() <= CACHE_LIMIT));
        assert_eq!(is_match("^0$", false, "0"), Some(true));
    }
}
