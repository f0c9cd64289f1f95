//! Regular expressions that rules test against a handful of short inputs
//! (a path, a Referer): `regex`'s dialect only, from the process-wide
//! cache of [`lint403_core::pattern`], so a pattern the model, the tracer
//! and several rules all test is compiled once.

use lint403_core::pattern::{compiled, Engine, Fast};

/// The compiled `pattern`; `None` when `regex` cannot compile it.
pub fn get(pattern: &str, case_insensitive: bool) -> Option<Fast> {
    match &*compiled(pattern, case_insensitive) {
        Engine::Fast(regex) => Some(regex.clone()),
        Engine::Backtracking(_) | Engine::Unsupported(_) => None,
    }
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
