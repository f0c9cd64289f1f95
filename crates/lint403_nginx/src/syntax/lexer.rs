//! The lexemes of `ngx_conf_read_token`, as nom parsers over `&str`.
//!
//! nginx's tokenizer is a byte state machine; these parsers recognise the
//! same pieces it does:
//! - whitespace is space, TAB, CR and LF, nothing else;
//! - `#` starts a comment only where a word could start (`a#b` is a word);
//! - a quote opens a string only where a word could start;
//! - an unquoted word ends at whitespace, `;` or `{`, but not at `}`
//!   (`return 403}` is one word `403}`), and a `{` right after `$` (or after
//!   such a brace) belongs to the variable (`${host}`);
//! - a backslash makes the next character, whatever it is, part of the
//!   word.

use nom::bytes::complete::{take_till, take_while, take_while1};
use nom::character::complete::{anychar, char, one_of};
use nom::combinator::{opt, recognize};
use nom::{IResult, Parser};

pub(super) fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// A run of whitespace.
pub(super) fn spaces(input: &str) -> IResult<&str, &str> {
    take_while1(is_space).parse(input)
}

/// `#` up to the line feed (not included) or the end of the file.
pub(super) fn comment(input: &str) -> IResult<&str, &str> {
    recognize((char('#'), take_till(|c| c == '\n'))).parse(input)
}

/// A backslash and the character it escapes (none at the end of the file).
fn escape(input: &str) -> IResult<&str, &str> {
    recognize((char('\\'), opt(anychar))).parse(input)
}

/// An unquoted word; the caller has checked that `input` does not start
/// with whitespace, `;`, `{`, `}`, `#` or a quote. Returns the word and
/// whether it holds a backslash.
pub(super) fn bare_word(input: &str) -> IResult<&str, (&str, bool)> {
    let mut rest = input;
    let mut has_backslash = false;
    loop {
        let (after, _) =
            take_till(|c| matches!(c, ' ' | '\t' | '\r' | '\n' | ';' | '{' | '\\' | '$'))
                .parse(rest)?;
        rest = after;
        if rest.starts_with('\\') {
            has_backslash = true;
            (rest, _) = escape(rest)?;
        } else if rest.starts_with('$') {
            (rest, _) = recognize((char('$'), take_while(|c| c == '{'))).parse(rest)?;
        } else {
            break;
        }
    }
    let len = input.len() - rest.len();
    if len == 0 {
        return Err(nom::Err::Error(nom::error::Error::new(
            input,
            nom::error::ErrorKind::TakeTill1,
        )));
    }
    Ok((rest, (&input[..len], has_backslash)))
}

/// What [`quoted_word`] found.
pub(super) struct Quoted<'t> {
    pub text: &'t str,
    pub quote: char,
    pub terminated: bool,
    pub has_backslash: bool,
}

/// A `"..."` or `'...'` string, which may span lines; a backslash escapes
/// the next character (so `\"` does not close it).
pub(super) fn quoted_word(input: &str) -> IResult<&str, Quoted<'_>> {
    let (mut rest, quote) = one_of("\"'").parse(input)?;
    let mut has_backslash = false;
    loop {
        let (after, _) = take_till(|c| c == quote || c == '\\').parse(rest)?;
        rest = after;
        if rest.starts_with('\\') {
            has_backslash = true;
            (rest, _) = escape(rest)?;
        } else if rest.is_empty() {
            return Ok((
                rest,
                Quoted {
                    text: input,
                    quote,
                    terminated: false,
                    has_backslash,
                },
            ));
        } else {
            // The closing quote is ASCII, one byte.
            rest = &rest[1..];
            let len = input.len() - rest.len();
            return Ok((
                rest,
                Quoted {
                    text: &input[..len],
                    quote,
                    terminated: true,
                    has_backslash,
                },
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(input: &str) -> Option<(&str, &str)> {
        bare_word(input).ok().map(|(rest, (word, _))| (word, rest))
    }

    #[test]
    fn words_end_at_space_semicolon_and_brace_but_not_close_brace() {
        assert_eq!(word("abc def"), Some(("abc", " def")));
        assert_eq!(word("abc;"), Some(("abc", ";")));
        assert_eq!(word("abc{"), Some(("abc", "{")));
        assert_eq!(word("403}"), Some(("403}", "")));
        assert_eq!(word("a#b c"), Some(("a#b", " c")));
        assert_eq!(word("a\"b\" c"), Some(("a\"b\"", " c")));
        assert_eq!(word("a\u{b}b c"), Some(("a\u{b}b", " c")));
    }

    #[test]
    fn braces_after_dollar_belong_to_the_variable() {
        assert_eq!(word("${host}x;"), Some(("${host}x", ";")));
        assert_eq!(word("a${b}{"), Some(("a${b}", "{")));
        assert_eq!(word("${{x {"), Some(("${{x", " {")));
        assert_eq!(word("$a{"), Some(("$a", "{")));
        assert_eq!(word("$$"), Some(("$$", "")));
    }

    #[test]
    fn backslash_takes_any_next_character() {
        assert_eq!(word("a\\ b c"), Some(("a\\ b", " c")));
        assert_eq!(word("a\\;b;"), Some(("a\\;b", ";")));
        assert_eq!(word("\\{x {"), Some(("\\{x", " {")));
        assert_eq!(word("a\\\nb c"), Some(("a\\\nb", " c")));
        assert_eq!(word("a\\"), Some(("a\\", "")));
        assert_eq!(word(";"), None);
    }

    #[test]
    fn quoted_strings_span_lines_and_honour_escapes() {
        let (rest, quoted) = quoted_word("\"a\nb\" c").unwrap_or(("", dummy()));
        assert_eq!(
            (quoted.text, rest, quoted.terminated),
            ("\"a\nb\"", " c", true)
        );
        let (rest, quoted) = quoted_word(r#""a\"b"x"#).unwrap_or(("", dummy()));
        assert_eq!((quoted.text, rest), (r#""a\"b""#, "x"));
        assert!(quoted.has_backslash);
        let (rest, quoted) = quoted_word("'it\"s' ").unwrap_or(("", dummy()));
        assert_eq!((quoted.text, rest, quoted.quote), ("'it\"s'", " ", '\''));
        let (rest, quoted) = quoted_word("\"open").unwrap_or(("x", dummy()));
        assert_eq!(
            (quoted.text, rest, quoted.terminated),
            ("\"open", "", false)
        );
    }

    fn dummy() -> Quoted<'static> {
        Quoted {
            text: "",
            quote: ' ',
            terminated: false,
            has_backslash: false,
        }
    }

    #[test]
    fn comments_run_to_the_line_feed() {
        assert_eq!(comment("# a { b\nc"), Ok(("\nc", "# a { b")));
        assert_eq!(comment("#"), Ok(("", "#")));
        assert_eq!(spaces(" \t\r\nx"), Ok(("x", " \t\r\n")));
        assert!(spaces("\u{b}").is_err());
    }
}
