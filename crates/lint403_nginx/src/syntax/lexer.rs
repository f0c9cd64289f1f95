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

use nom::bytes::complete::take_while;
use nom::character::complete::{anychar, char, one_of};
use nom::combinator::{opt, recognize, verify};
use nom::{IResult, Parser};

pub(super) fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// A set of ASCII bytes, as a lookup table.
struct ByteSet([bool; 256]);

impl ByteSet {
    const fn of(bytes: &[u8]) -> ByteSet {
        let mut table = [false; 256];
        let mut index = 0;
        while index < bytes.len() {
            table[bytes[index] as usize] = true;
            index += 1;
        }
        ByteSet(table)
    }

    fn contains(&self, byte: u8) -> bool {
        self.0[usize::from(byte)]
    }
}

const SPACE: ByteSet = ByteSet::of(b" \t\r\n");
const WORD_STOP: ByteSet = ByteSet::of(b" \t\r\n;{\\$");
const DOUBLE_QUOTED_STOP: ByteSet = ByteSet::of(b"\"\\");
const SINGLE_QUOTED_STOP: ByteSet = ByteSet::of(b"'\\");
const LINE_END: ByteSet = ByteSet::of(b"\n");

/// The longest prefix holding no byte of `stop`. Every byte of a set is
/// ASCII, so the split always falls on a character boundary; scanning
/// bytes instead of characters is what keeps the parser fast.
fn till<'a>(stop: &'static ByteSet) -> impl Fn(&'a str) -> IResult<&'a str, &'a str> {
    move |input: &'a str| {
        let len = input
            .bytes()
            .position(|byte| stop.contains(byte))
            .unwrap_or(input.len());
        let (taken, rest) = input.split_at_checked(len).unwrap_or((input, ""));
        Ok((rest, taken))
    }
}

/// The longest prefix made only of bytes of `set` (ASCII, as in [`till`]).
fn while_in<'a>(set: &'static ByteSet) -> impl Fn(&'a str) -> IResult<&'a str, &'a str> {
    move |input: &'a str| {
        let len = input
            .bytes()
            .position(|byte| !set.contains(byte))
            .unwrap_or(input.len());
        let (taken, rest) = input.split_at_checked(len).unwrap_or((input, ""));
        Ok((rest, taken))
    }
}

/// A run of whitespace.
pub(super) fn spaces(input: &str) -> IResult<&str, &str> {
    verify(while_in(&SPACE), |run: &str| !run.is_empty()).parse(input)
}

/// `#` up to the line feed (not included) or the end of the file.
pub(super) fn comment(input: &str) -> IResult<&str, &str> {
    recognize((char('#'), till(&LINE_END))).parse(input)
}

/// A backslash and the character it escapes (none at the end of the file).
fn escape(input: &str) -> IResult<&str, &str> {
    recognize((char('\\'), opt(anychar))).parse(input)
}

/// Whether the escape pair `escaped` (a backslash and what follows) stands
/// for something else in the stored value ([`super::Word::value`]): only
/// `\"` `\'` `\\` `\t` `\r` `\n` do; `\.` of a regex stays as written, and a
/// word of such escapes alone is read without a copy.
fn is_reducing(escaped: &str) -> bool {
    matches!(
        escaped.as_bytes().get(1),
        Some(b'"' | b'\'' | b'\\' | b't' | b'r' | b'n')
    )
}

/// An unquoted word; the caller has checked that `input` does not start
/// with whitespace, `;`, `{`, `}`, `#` or a quote. Returns the word and
/// whether it holds an escape its value reduces ([`is_reducing`]).
pub(super) fn bare_word(input: &str) -> IResult<&str, (&str, bool)> {
    let mut rest = input;
    let mut reduces = false;
    loop {
        let (after, _) = till(&WORD_STOP)(rest)?;
        rest = after;
        if rest.starts_with('\\') {
            let escaped;
            (rest, escaped) = escape(rest)?;
            reduces |= is_reducing(escaped);
        } else if rest.starts_with('$') {
            (rest, _) = recognize((char('$'), take_while(|c| c == '{'))).parse(rest)?;
        } else {
            break;
        }
    }
    let len = input.len() - rest.len();
    match input.get(..len) {
        Some(word) if len > 0 => Ok((rest, (word, reduces))),
        _ => Err(nom::Err::Error(nom::error::Error::new(
            input,
            nom::error::ErrorKind::TakeTill1,
        ))),
    }
}

/// What [`quoted_word`] found.
pub(super) struct Quoted<'t> {
    pub text: &'t str,
    pub quote: char,
    pub terminated: bool,
    /// It holds an escape its value reduces ([`is_reducing`]).
    pub has_escape: bool,
}

/// A `"..."` or `'...'` string, which may span lines; a backslash escapes
/// the next character (so `\"` does not close it).
pub(super) fn quoted_word(input: &str) -> IResult<&str, Quoted<'_>> {
    let (mut rest, quote) = one_of("\"'").parse(input)?;
    let stop = if quote == '"' {
        &DOUBLE_QUOTED_STOP
    } else {
        &SINGLE_QUOTED_STOP
    };
    let mut reduces = false;
    loop {
        let (after, _) = till(stop)(rest)?;
        rest = after;
        if rest.starts_with('\\') {
            let escaped;
            (rest, escaped) = escape(rest)?;
            reduces |= is_reducing(escaped);
        } else if rest.is_empty() {
            return Ok((
                rest,
                Quoted {
                    text: input,
                    quote,
                    terminated: false,
                    has_escape: reduces,
                },
            ));
        } else {
            (rest, _) = char(quote).parse(rest)?;
            let len = input.len() - rest.len();
            return Ok((
                rest,
                Quoted {
                    text: input.get(..len).unwrap_or(input),
                    quote,
                    terminated: true,
                    has_escape: reduces,
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
        assert!(quoted.has_escape);
        let (_, regex) = quoted_word(r#""\.php$""#).unwrap_or(("", dummy()));
        assert!(!regex.has_escape, "`\\.` is kept as written");
        let (_, doubled) = quoted_word(r#""a\\.b""#).unwrap_or(("", dummy()));
        assert!(doubled.has_escape, "`\\\\` reduces to one backslash");
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
            has_escape: false,
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
