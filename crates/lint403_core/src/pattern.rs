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
    Fast(regex::Regex),
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
        self.engine.get_or_init(|| {
            let text = if self.case_insensitive {
                format!("(?i){}", self.source)
            } else {
                self.source.clone()
            };
            match regex::Regex::new(&text) {
                Ok(regex) => Engine::Fast(regex),
                Err(_) => match fancy_regex::Regex::new(&text) {
                    Ok(regex) => Engine::Backtracking(Box::new(regex)),
                    Err(error) => Engine::Unsupported(error.to_string()),
                },
            }
        })
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
            Engine::Fast(regex) => Some(regex.captures(text).map(|found| {
                found
                    .iter()
                    .map(|group| group.map(|m| m.as_str().to_string()))
                    .collect()
            })),
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
                .capture_names()
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
