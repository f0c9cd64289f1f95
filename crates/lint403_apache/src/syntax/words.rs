//! Words as `ap_getword_conf` splits them, `${VAR}` substitution as
//! `ap_resolve_env` does it, and the mapping of both back to file offsets.

use lint403_core::TextRange;
use nom::branch::alt;
use nom::{IResult, Parser};

use super::lines::is_space_byte;
use super::tree::{Quote, Word};
use super::Defines;

/// A word in the (possibly joined and substituted) logical line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawWord {
    pub start: usize,
    pub end: usize,
    pub quote: Quote,
    pub closed: bool,
    /// Whether unescaping changes the text between the quotes.
    pub escaped: bool,
}

impl RawWord {
    /// The range of the value before unescaping (inside the quotes).
    pub fn inner(self) -> (usize, usize) {
        match self.quote {
            Quote::None => (self.start, self.end),
            Quote::Double | Quote::Single => {
                let end = if self.closed { self.end - 1 } else { self.end };
                (self.start + 1, end.max(self.start + 1))
            }
        }
    }
}

/// The input after its leading blanks. Blanks are ASCII, so the scan works
/// on bytes and cuts on a char boundary.
fn skip_blanks(input: &str) -> &str {
    let count = input
        .bytes()
        .take_while(|&byte| is_space_byte(byte))
        .count();
    input.get(count..).unwrap_or_default()
}

/// A word that starts with a quote: it runs to the same quote, skipping
/// `\<quote>` and `\\`; an unterminated quote runs to the end.
fn quoted(input: &str) -> IResult<&str, (Quote, bool, bool)> {
    let bytes = input.as_bytes();
    let quote_byte = match bytes.first() {
        Some(b'"') => b'"',
        Some(b'\'') => b'\'',
        _ => {
            return Err(nom::Err::Error(nom::error::Error::new(
                input,
                nom::error::ErrorKind::Char,
            )))
        }
    };
    let quote = if quote_byte == b'"' {
        Quote::Double
    } else {
        Quote::Single
    };
    let mut at = 1;
    let mut escaped = false;
    while let Some(&byte) = bytes.get(at) {
        if byte == quote_byte {
            return Ok((
                input.get(at + 1..).unwrap_or_default(),
                (quote, true, escaped),
            ));
        }
        if byte == b'\\'
            && matches!(bytes.get(at + 1), Some(&next) if next == quote_byte || next == b'\\')
        {
            escaped = true;
            at += 2;
        } else {
            at += 1;
        }
    }
    Ok(("", (quote, false, escaped)))
}

/// A word that does not start with a quote: everything up to a blank.
fn bare(input: &str) -> IResult<&str, (Quote, bool, bool)> {
    let bytes = input.as_bytes();
    let mut end = 0;
    // `\\` is the only escape outside quotes.
    let mut escaped = false;
    while let Some(&byte) = bytes.get(end) {
        if is_space_byte(byte) {
            break;
        }
        if byte == b'\\' && bytes.get(end + 1) == Some(&b'\\') {
            escaped = true;
        }
        end += 1;
    }
    if end == 0 {
        return Err(nom::Err::Error(nom::error::Error::new(
            input,
            nom::error::ErrorKind::TakeTill1,
        )));
    }
    let rest = input.get(end..).unwrap_or_default();
    Ok((rest, (Quote::None, true, escaped)))
}

/// Splits `line` (from `offset` on) into words.
pub(crate) fn split_words(line: &str, offset: usize) -> Words<'_> {
    Words {
        line,
        input: line.get(offset..).unwrap_or_default(),
    }
}

/// The words of a line, one after another.
pub(crate) struct Words<'a> {
    line: &'a str,
    input: &'a str,
}

impl Iterator for Words<'_> {
    type Item = RawWord;

    fn next(&mut self) -> Option<RawWord> {
        let rest = skip_blanks(self.input);
        if rest.is_empty() {
            self.input = rest;
            return None;
        }
        let start = self.line.len() - rest.len();
        let (after, (quote, closed, escaped)) = alt((quoted, bare)).parse(rest).ok()?;
        self.input = after;
        Some(RawWord {
            start,
            end: self.line.len() - after.len(),
            quote,
            closed,
            escaped,
        })
    }
}

/// The first word of `line` and the offset where the rest starts (after
/// the blanks that follow the word).
pub(crate) fn first_word(line: &str) -> Option<(RawWord, usize)> {
    let rest = skip_blanks(line);
    if rest.is_empty() {
        return None;
    }
    let start = line.len() - rest.len();
    let (after, (quote, closed, escaped)) = alt((quoted, bare)).parse(rest).ok()?;
    let end = line.len() - after.len();
    let after_blanks = skip_blanks(after);
    Some((
        RawWord {
            start,
            end,
            quote,
            closed,
            escaped,
        },
        line.len() - after_blanks.len(),
    ))
}

/// `substring_conf`: `\\` becomes `\`, and inside quotes `\<quote>`
/// becomes the quote; every other backslash stays.
pub(crate) fn unescape(raw: &str, quote: Quote) -> String {
    let quote_char = match quote {
        Quote::None => None,
        Quote::Double => Some('"'),
        Quote::Single => Some('\''),
    };
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(&next) = chars.peek() {
                if next == '\\' || Some(next) == quote_char {
                    out.push(next);
                    chars.next();
                    continue;
                }
            }
        }
        out.push(c);
    }
    out
}

/// One substituted `${VAR}`: where its value sits in the substituted line
/// and where `${VAR}` sat in the logical line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Substitution {
    pub expanded_start: usize,
    pub expanded_len: usize,
    pub logical_start: usize,
    pub logical_len: usize,
}

/// `ap_resolve_env`: replaces each `${NAME}` whose NAME has a `Define`d
/// value (case-insensitively); undefined names, names with `:` (`RewriteMap`
/// lookups) and unterminated `${` stay as written. `None` when nothing was
/// replaced.
pub(crate) fn substitute(line: &str, defines: &Defines) -> Option<(String, Vec<Substitution>)> {
    if defines.is_empty() || !line.contains('$') || !line.contains("${") {
        return None;
    }
    let mut out = String::with_capacity(line.len());
    let mut substitutions = Vec::new();
    let mut copied = 0;
    let mut search = 0;
    while let Some(found) = line.get(search..).and_then(|rest| rest.find("${")) {
        let var_start = search + found;
        let Some(close) = line.get(var_start + 2..).and_then(|rest| rest.find('}')) else {
            break;
        };
        let name_end = var_start + 2 + close;
        let name = line.get(var_start + 2..name_end).unwrap_or_default();
        let value = if name.contains(':') {
            None
        } else {
            defines.value(name)
        };
        let var_end = name_end + 1;
        if let Some(value) = value {
            out.push_str(line.get(copied..var_start).unwrap_or_default());
            substitutions.push(Substitution {
                expanded_start: out.len(),
                expanded_len: value.len(),
                logical_start: var_start,
                logical_len: var_end - var_start,
            });
            out.push_str(value);
            copied = var_end;
        }
        search = var_end;
    }
    if substitutions.is_empty() {
        return None;
    }
    out.push_str(line.get(copied..).unwrap_or_default());
    Some((out, substitutions))
}

/// Maps offsets of the interpreted line (joined, substituted) back to
/// offsets of the file.
pub(crate) struct LineMap<'p> {
    /// The only physical piece, when there is one.
    first: TextRange,
    /// `(logical start, file start, length)` of each physical piece, when
    /// there are several.
    pieces: Vec<(usize, usize, usize)>,
    substitutions: &'p [Substitution],
    /// Offset change from the substituted to the logical line after the
    /// first `n` substitutions.
    shifts: Vec<isize>,
}

impl<'p> LineMap<'p> {
    pub fn new(pieces: &[TextRange], substitutions: &'p [Substitution]) -> LineMap<'p> {
        let first = pieces.first().copied().unwrap_or_default();
        let mut logical = 0;
        let pieces = if pieces.len() > 1 {
            pieces
                .iter()
                .map(|piece| {
                    let entry = (logical, piece.start, piece.len());
                    logical += piece.len();
                    entry
                })
                .collect()
        } else {
            Vec::new()
        };
        let mut shifts = Vec::new();
        if !substitutions.is_empty() {
            let mut shift = 0isize;
            shifts.push(shift);
            for sub in substitutions {
                let grow = isize::try_from(sub.logical_len).unwrap_or(isize::MAX);
                let shrink = isize::try_from(sub.expanded_len).unwrap_or(isize::MAX);
                shift = shift.saturating_add(grow).saturating_sub(shrink);
                shifts.push(shift);
            }
        }
        LineMap {
            first,
            pieces,
            substitutions,
            shifts,
        }
    }

    /// Whether words are plain slices of the file.
    pub fn is_contiguous(&self) -> bool {
        self.pieces.is_empty() && self.substitutions.is_empty()
    }

    fn to_logical(&self, offset: usize, is_end: bool) -> usize {
        let before = self
            .substitutions
            .partition_point(|sub| sub.expanded_start + sub.expanded_len <= offset);
        if let Some(sub) = self.substitutions.get(before) {
            if sub.expanded_start < offset {
                return if is_end {
                    sub.logical_start + sub.logical_len
                } else {
                    sub.logical_start
                };
            }
        }
        let shift = self.shifts.get(before).copied().unwrap_or_default();
        offset.saturating_add_signed(shift)
    }

    fn to_file(&self, logical: usize, is_end: bool) -> usize {
        if self.pieces.is_empty() {
            return self.first.start + logical.min(self.first.len());
        }
        let index = if is_end {
            self.pieces
                .partition_point(|&(start, _, _)| start < logical)
        } else {
            self.pieces
                .partition_point(|&(start, _, _)| start <= logical)
        };
        let Some(&(start, file, len)) = self.pieces.get(index.saturating_sub(1)) else {
            return self.pieces.first().map_or(0, |&(_, file, _)| file);
        };
        file + (logical - start).min(len)
    }

    /// The file range of `start..end` in the interpreted line.
    pub fn range(&self, start: usize, end: usize) -> TextRange {
        if self.is_contiguous() {
            let len = self.first.len();
            return TextRange::new(
                self.first.start + start.min(len),
                self.first.start + end.min(len),
            );
        }
        let file_start = self.to_file(self.to_logical(start, false), false);
        let file_end = self.to_file(self.to_logical(end, true), true);
        TextRange::new(file_start, file_end.max(file_start))
    }
}

/// Builds the tree's [`Word`] for a word of the interpreted line `line`.
pub(crate) fn make_word(line: &str, word: RawWord, map: &LineMap<'_>) -> Word {
    let raw = map.range(word.start, word.end);
    let (inner_start, inner_end) = word.inner();
    let inner = line.get(inner_start..inner_end).unwrap_or_default();
    if map.is_contiguous() && !word.escaped {
        let value = map.range(inner_start, inner_end);
        return Word::from_source(raw, word.quote, word.closed, value);
    }
    let value = if word.escaped {
        unescape(inner, word.quote)
    } else {
        inner.to_string()
    };
    Word::owned(raw, word.quote, word.closed, value)
}

/// The values httpd gives the words of `text`, one line of arguments
/// (`ap_getword_conf` over it, quotes removed and escapes undone), without
/// building a tree.
pub fn argument_values(text: &str) -> Vec<String> {
    split_words(text, 0)
        .map(|word| {
            let (start, end) = word.inner();
            let inner = text.get(start..end).unwrap_or_default();
            if word.escaped {
                unescape(inner, word.quote)
            } else {
                inner.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`argument_values`] gives what parsing the words as a directive's
    /// arguments gives.
    #[test]
    fn argument_values_are_those_of_a_parsed_line() {
        let cases = [
            "",
            "   ",
            "valid-user",
            "user  alice\tbob",
            " \"quoted value\" 'single q'",
            "a\\\\b c\\d",
            "\"a \\\" b\" 'it\\'s'",
            "\"unterminated",
            "ip 10.0.0.0/8 192.168.1.1",
            "env !x",
            "expr \"%{REMOTE_ADDR} -ipmatch '10.0.0.0/8'\"",
            "# not a comment",
            "a#b \"c\"d",
            "ünïcode \"ß\" 'ø'",
            "x\"y\" \"\"",
        ];
        for rest in cases {
            let line = format!("X {rest}\n");
            let parsed: Vec<String> = crate::syntax::parse(&line)
                .nodes
                .first()
                .and_then(|node| match node {
                    crate::syntax::Node::Directive(directive) => {
                        Some(directive.arg_values(&line).map(str::to_string).collect())
                    }
                    _ => None,
                })
                .unwrap_or_default();
            assert_eq!(argument_values(rest), parsed, "{rest:?}");
        }
    }

    fn values(line: &str) -> Vec<String> {
        let map = LineMap::new(&[TextRange::new(0, line.len())], &[]);
        split_words(line, 0)
            .map(|w| make_word(line, w, &map).value(line).to_string())
            .collect()
    }

    #[test]
    fn getword_conf_rules() {
        assert_eq!(values(r#"a "b c" 'd e'"#), ["a", "b c", "d e"]);
        assert_eq!(values(r#"^ab"c d"e"#), [r#"^ab"c"#, r#"d"e"#]);
        assert_eq!(values(r#""all"granted"#), ["all", "granted"]);
        assert_eq!(values(r#""unterminated rest"#), ["unterminated rest"]);
        assert_eq!(
            values(r#""a\"b" 'c\'d' "e\\f" "g\.h" a\\b a\b"#),
            [r#"a"b"#, "c'd", r"e\f", r"g\.h", r"a\b", r"a\b"]
        );
        assert_eq!(values("  \t a\x0bb  "), ["a", "b"]);
        assert_eq!(values(r#""a\""#), [r#"a""#]);
    }

    #[test]
    fn substitution_rules() {
        let mut defines = Defines::default();
        defines.define("X", Some("foo"));
        defines.define("Sp", Some("a b"));
        let (out, subs) =
            substitute("${X}${x}$X${X ${map:k} ${Nope} ${SP}", &defines).unwrap_or_default();
        assert_eq!(out, "foofoo$X${X ${map:k} ${Nope} a b");
        assert_eq!(subs.len(), 3);
        assert!(substitute("${Nope}", &defines).is_none());
        assert!(substitute("$${X}", &defines).is_some_and(|(out, _)| out == "$foo"));
    }

    #[test]
    fn map_through_substitution_and_pieces() {
        let mut defines = Defines::default();
        defines.define("V", Some("one two"));
        // File: "A ${V} \\\nz" -> pieces "A ${V} " (0..7) and "z" (9..10).
        let pieces = [TextRange::new(0, 7), TextRange::new(9, 10)];
        let logical = "A ${V} z";
        let (expanded, subs) = substitute(logical, &defines).unwrap_or_default();
        assert_eq!(expanded, "A one two z");
        let map = LineMap::new(&pieces, &subs);
        let words: Vec<RawWord> = split_words(&expanded, 0).collect();
        let ranges: Vec<_> = words.iter().map(|w| map.range(w.start, w.end)).collect();
        assert_eq!(
            ranges,
            [
                TextRange::new(0, 1),
                TextRange::new(2, 6),
                TextRange::new(2, 6),
                TextRange::new(9, 10)
            ]
        );
    }
}
