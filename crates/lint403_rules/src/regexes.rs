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
    use lint403_core::Pattern;

    /// Patterns of every shape configurations use: case folding, Unicode
    /// classes, anchors, empty matches, alternations, repetition.
    const PATTERNS: &[&str] = &[
        r"\.php$",
        r"\.(?:bak|sql|swp)$",
        r"^/(?:wp-login\.php|xmlrpc\.php)$",
        "^/api/v[0-9]{1,2}/items/[0-9]+(/[a-z_]{2,32})?$",
        r"^https?://(www\.)?example\.com(:\d+)?(/|$)",
        r"\bk\w+",
        r"\b",
        r"\B",
        "",
        "^",
        "$",
        "^$",
        "a*",
        "(a|)",
        "(?:)",
        r"\pL+",
        r"\p{Greek}",
        r"[\p{Lu}&&[^A-Z]]",
        r"(?-u:\w)+",
        r"\w{2,}\.",
        r"^\d+$",
        ".",
        ".+",
        "(?s).",
        "^/ü",
        "ǅ",
        "(?i)K",
        "(?-i)abc",
        "(?m)^b",
        "x{0}",
        "(?U)a+",
        "a+?",
        "(a)|b",
        "b|(a)",
        "^(/[^/]+)+/$",
        "(?:foo|foobar)",
        r"[^/]*\.(gif|jpe?g|png)$",
    ];

    const INPUTS: &[&str] = &[
        "/a.php",
        "/a.PHP",
        "/x.Sql",
        "/x.\u{17f}ql",
        "/wp-login.php",
        "/api/v1/items/3/ab",
        "https://www.example.com/",
        "\u{212a}elvin",
        "",
        "a",
        "b",
        "aaa",
        "/Ü",
        "/ü",
        "ǆ",
        "ǅ",
        "Σίσυφος",
        "ΑΒΓ",
        "x\ny",
        "a\nb",
        "/a/b/",
        "foobar",
        "/img/a.JPG",
        "é",
        "123",
        "\u{0}",
    ];

    fn reference(pattern: &str, case_insensitive: bool) -> Option<regex::Regex> {
        regex::RegexBuilder::new(pattern)
            .case_insensitive(case_insensitive)
            .build()
            .ok()
    }

    /// The same verdicts and capture groups as `regex`.
    #[test]
    fn agrees_with_regex() {
        for &pattern in PATTERNS {
            for case_insensitive in [false, true] {
                let expected = reference(pattern, case_insensitive)
                    .unwrap_or_else(|| panic!("{pattern} is valid for regex"));
                let built = get(pattern, case_insensitive)
                    .unwrap_or_else(|| panic!("{pattern} compiles here"));
                let model = Pattern::new(pattern, case_insensitive);
                for &input in INPUTS {
                    let what =
                        format!("{pattern} (case-insensitive: {case_insensitive}) on {input:?}");
                    assert_eq!(built.is_match(input), expected.is_match(input), "{what}");
                    let groups = expected.captures(input).map(|found| {
                        found
                            .iter()
                            .map(|group| group.map(|m| m.as_str().to_string()))
                            .collect::<Vec<_>>()
                    });
                    assert_eq!(model.captures(input), Some(groups), "{what}");
                }
            }
        }
    }

    /// A `~*` location was compiled as `(?i)` + pattern; the case flag
    /// it is compiled with now gives the same engine and verdicts.
    #[test]
    fn case_flag_is_an_inline_prefix() {
        for &pattern in
            PATTERNS
                .iter()
                .chain(&["(", "*a", "{2}", ")", r"/\.(?!well-known)", r"(a)\1"])
        {
            let flagged = Pattern::new(pattern, true);
            let prefixed = Pattern::new(&format!("(?i){pattern}"), false);
            assert_eq!(flagged.unsupported(), prefixed.unsupported(), "{pattern}");
            assert_eq!(
                get(pattern, true).is_some(),
                get(&format!("(?i){pattern}"), false).is_some(),
                "{pattern}"
            );
            for &input in INPUTS {
                assert_eq!(
                    flagged.is_match(input),
                    prefixed.is_match(input),
                    "{pattern} on {input:?}"
                );
            }
        }
    }

    #[test]
    fn fails_where_regex_fails() {
        // `\w{300}`: the forward NFA fits the size limit, the reverse NFA
        // `regex` also builds does not; `\w{600}`: neither does.
        for pattern in [
            "(",
            r"^/(?!\.well-known)",
            r"(a)\1",
            "a{99999}{99999}",
            r"\w{300}",
            r"\w{600}",
            r"\p{NoSuchClass}",
            r"(?-u:\xFF)",
        ] {
            assert!(regex::Regex::new(pattern).is_err(), "{pattern}");
            assert!(get(pattern, false).is_none(), "{pattern}");
        }
        // Around the limit, compiling or not goes as in `regex`.
        for (shape, counts) in [
            (r"\w{N}", [100, 209, 210]),
            (r"\pL{N}", [100, 244, 245]),
            ("(?:.{N}){N}", [5, 102, 103]),
            ("(?i)(?:ab|cd){N}{N}", [30, 163, 164]),
            ("(?:[a-z]{N}){N}", [30, 381, 382]),
        ] {
            for count in counts {
                let pattern = shape.replace('N', &count.to_string());
                assert_eq!(
                    get(&pattern, false).is_some(),
                    regex::Regex::new(&pattern).is_ok(),
                    "{pattern}"
                );
            }
        }
    }

    /// Too big for `regex`, a pattern goes to `fancy-regex` as before:
    /// `\w{300}` is too big for it too (the model says why), while
    /// `fancy-regex` runs `a{99999}{99999}` itself.
    #[test]
    fn too_big_goes_to_fancy_regex() {
        let too_big = Pattern::new(r"\w{300}", false);
        assert!(fancy_regex::Regex::new(r"\w{300}").is_err());
        assert!(too_big.unsupported().is_some());
        assert_eq!(too_big.is_match("a"), None);
        let repeated = Pattern::new("a{99999}{99999}", false);
        assert!(fancy_regex::Regex::new("a{99999}{99999}").is_ok());
        assert_eq!(repeated.unsupported(), None);
        assert!(matches!(repeated.engine(), Engine::Backtracking(_)));
        assert_eq!(repeated.is_match("b"), Some(false));
    }

    #[test]
    fn cache_keeps_case_apart() {
        assert_eq!(is_match("^/A$", false, "/a"), Some(false));
        assert_eq!(is_match("^/A$", true, "/a"), Some(true));
        assert_eq!(is_match("^/A$", false, "/A"), Some(true));
        assert_eq!(is_match("(", true, "("), None);
    }

    /// Shared across threads, as rules will run on several.
    #[test]
    fn shared_between_threads() {
        let regex = get(r"^/(\w+)\.php$", true);
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..100 {
                        assert_eq!(regex.as_ref().map(|r| r.is_match("/Index.PHP")), Some(true));
                        assert_eq!(is_match(r"^/(\w+)\.php$", true, "/a.html"), Some(false));
                    }
                });
            }
        });
    }
}
