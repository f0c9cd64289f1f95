//! The body of a `*_by_lua_block { ... }`: Lua code, not nginx tokens.
//!
//! lua-nginx-module reads it with its own lexer, which counts braces but
//! skips Lua strings (`"..."`, `'...'`, `[[...]]`, `[==[...]==]`) and
//! comments (`-- ...`, `--[[ ... ]]`). A brace inside any of those does
//! not end the block (crossplane#87 was a comment holding a `}`).

use nom::bytes::complete::{take_till, take_while};
use nom::Parser;

/// Finds the `}` that closes a Lua block whose body starts at `start` (just
/// after the `{`). `None` when the file ends first.
pub(super) fn find_block_end(text: &str, start: usize) -> Option<usize> {
    let mut rest = text.get(start..)?;
    let mut depth = 1usize;
    loop {
        let (after, _) = take_till::<_, _, ()>(|c| matches!(c, '{' | '}' | '"' | '\'' | '[' | '-'))
            .parse(rest)
            .ok()?;
        rest = after;
        let offset = text.len() - rest.len();
        let mut chars = rest.chars();
        match chars.next()? {
            '{' => {
                depth += 1;
                rest = skip_one(rest);
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(offset);
                }
                rest = skip_one(rest);
            }
            quote @ ('"' | '\'') => rest = skip_short_string(skip_one(rest), quote)?,
            '[' => match long_bracket_level(rest) {
                Some(level) => rest = skip_long_bracket(rest.get(level + 2..)?, level)?,
                None => rest = skip_one(rest),
            },
            _ => {
                // '-'
                if let Some(comment) = rest.strip_prefix("--") {
                    rest = if let Some(level) = long_bracket_level(comment) {
                        skip_long_bracket(comment.get(level + 2..)?, level)?
                    } else {
                        let (after, _) =
                            take_till::<_, _, ()>(|c| c == '\n').parse(comment).ok()?;
                        after
                    };
                } else {
                    rest = skip_one(rest);
                }
            }
        }
    }
}

/// `rest` without its first character.
fn skip_one(rest: &str) -> &str {
    let mut chars = rest.chars();
    chars.next();
    chars.as_str()
}

/// Skips a `"..."` or `'...'` string whose opening quote was consumed;
/// a backslash escapes the next character. Returns what follows the
/// closing quote.
fn skip_short_string(mut rest: &str, quote: char) -> Option<&str> {
    loop {
        let (after, _) = take_till::<_, _, ()>(|c| c == quote || c == '\\')
            .parse(rest)
            .ok()?;
        let mut chars = after.chars();
        match chars.next()? {
            '\\' => {
                chars.next()?;
                rest = chars.as_str();
            }
            _ => return Some(chars.as_str()),
        }
    }
}

/// The level of a long bracket opening `[`, `=`*level, `[` at the start
/// of `rest`.
fn long_bracket_level(rest: &str) -> Option<usize> {
    let after_open = rest.strip_prefix('[')?;
    let (after_equals, equals) = take_while::<_, _, ()>(|c| c == '=')
        .parse(after_open)
        .ok()?;
    after_equals.starts_with('[').then_some(equals.len())
}

/// Skips to just after `]`, `=`*level, `]`.
fn skip_long_bracket(mut rest: &str, level: usize) -> Option<&str> {
    loop {
        let (after, _) = take_till::<_, _, ()>(|c| c == ']').parse(rest).ok()?;
        let candidate = after.get(1..)?;
        let (after_equals, equals) = take_while::<_, _, ()>(|c| c == '=').parse(candidate).ok()?;
        if equals.len() == level {
            if let Some(done) = after_equals.strip_prefix(']') {
                return Some(done);
            }
        }
        rest = candidate;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end(body: &str) -> Option<usize> {
        find_block_end(body, 0)
    }

    #[test]
    fn braces_nest() {
        assert_eq!(end("a = { b = {} } } x"), Some(15));
        assert_eq!(end(" }"), Some(1));
        assert_eq!(end("{"), None);
    }

    #[test]
    fn strings_and_comments_hide_braces() {
        assert_eq!(end(r#"ngx.say("}") }"#), Some(13));
        assert_eq!(end(r"ngx.say('\'}') }"), Some(15));
        assert_eq!(end("-- a } brace\n }"), Some(14));
        assert_eq!(end("x = [[ } ]] }"), Some(12));
        assert_eq!(end("x = [==[ ]] } ]==] }"), Some(19));
        assert_eq!(end("--[[ } ]] }"), Some(10));
        assert_eq!(end("--[=[ } ]] ]=] }"), Some(15));
        assert_eq!(end("x = a - b }"), Some(10));
        assert_eq!(end("t[1] = 2 }"), Some(9));
    }

    #[test]
    fn a_newline_does_not_end_a_lua_string() {
        // lua-nginx-module keeps reading the string (observed with nginx -t).
        assert_eq!(end("a = \"x\n}\" }"), Some(10));
    }

    #[test]
    fn unterminated_constructs_reach_the_end() {
        assert_eq!(end("\"abc"), None);
        assert_eq!(end("[[ abc"), None);
        assert_eq!(end("--[[ abc"), None);
        assert_eq!(end("-- abc"), None);
        assert_eq!(end("'\\"), None);
    }
}
