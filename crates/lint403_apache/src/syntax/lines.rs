//! Physical lines to logical lines, as `ap_cfg_getline` reads them: a
//! backslash right before the newline (LF or CR LF) joins the next physical
//! line verbatim; a NUL ends what httpd sees of a physical line.

use lint403_core::TextRange;
use nom::bytes::complete::tag;
use nom::combinator::opt;
use nom::{IResult, Parser};

/// One logical line before interpretation.
#[derive(Debug)]
pub(crate) struct RawLine {
    pub range: TextRange,
    /// Content of each physical line (no joining backslash-newline, no NUL
    /// tail, no final newline).
    pub first: TextRange,
    pub more: Vec<TextRange>,
    pub ignored: Option<TextRange>,
    pub terminator: TextRange,
    /// The physical line on which the joined content reached the limit.
    pub too_long_at: Option<TextRange>,
}

impl RawLine {
    /// The logical line's text: borrowed when it is one physical line.
    pub fn joined<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        if self.more.is_empty() {
            return std::borrow::Cow::Borrowed(slice(text, self.first));
        }
        let mut joined = String::with_capacity(self.content_len());
        joined.push_str(slice(text, self.first));
        for piece in &self.more {
            joined.push_str(slice(text, *piece));
        }
        std::borrow::Cow::Owned(joined)
    }

    fn content_len(&self) -> usize {
        self.first.len() + self.more.iter().map(|piece| piece.len()).sum::<usize>()
    }

    /// All pieces, first to last.
    pub fn pieces(&self) -> Vec<TextRange> {
        let mut pieces = Vec::with_capacity(1 + self.more.len());
        pieces.push(self.first);
        pieces.extend_from_slice(&self.more);
        pieces
    }
}

pub(crate) fn slice(text: &str, range: TextRange) -> &str {
    text.get(range.start..range.end).unwrap_or_default()
}

/// A physical line: its content and its newline, if any.
fn physical_line(input: &str) -> IResult<&str, (&str, Option<&str>)> {
    // `str::find` on a char is memchr; nom's substring search is not.
    let (content, after) = input.split_at(input.find('\n').unwrap_or(input.len()));
    let (after, newline) = opt(tag("\n")).parse(after)?;
    Ok((after, (content, newline)))
}

/// Reads logical lines one after another.
pub(crate) struct LineReader<'a> {
    text: &'a str,
    position: usize,
    limit: usize,
    /// Most files have no NUL at all: then no line needs searching for one.
    has_nul: bool,
}

impl<'a> LineReader<'a> {
    /// `limit`: the logical-line length at which httpd answers "Line too
    /// long" (16 MiB in the main configuration, 8 KiB in `.htaccess`).
    pub fn new(text: &'a str, limit: usize) -> LineReader<'a> {
        LineReader {
            text,
            position: 0,
            limit,
            has_nul: text.contains('\0'),
        }
    }

    pub fn next_line(&mut self) -> Option<RawLine> {
        if self.position >= self.text.len() {
            return None;
        }
        let start = self.position;
        let mut first: Option<TextRange> = None;
        let mut more = Vec::new();
        let mut content_len = 0usize;
        let mut too_long_at = None;
        loop {
            let line_start = self.position;
            let rest = self.text.get(line_start..).unwrap_or_default();
            let Ok((_, (content, newline))) = physical_line(rest) else {
                // take_till and opt cannot fail on complete input; stop
                // rather than loop if that ever changes.
                self.position = self.text.len();
                return None;
            };
            let content_end = line_start + content.len();
            let newline_end = content_end + newline.map_or(0, str::len);
            self.position = newline_end;
            let nul = if self.has_nul {
                content.find('\0')
            } else {
                None
            };
            let visible_end = nul.map_or(content_end, |at| line_start + at);
            let ignored = nul.map(|_| TextRange::new(visible_end, content_end));
            let visible = self.text.get(line_start..visible_end).unwrap_or_default();
            let continued =
                ignored.is_none() && newline.is_some() && ends_with_continuation(visible);
            let piece_end = if continued {
                continuation_start(visible, line_start)
            } else {
                visible_end
            };
            content_len += piece_end - line_start;
            if too_long_at.is_none() && content_len >= self.limit {
                too_long_at = Some(TextRange::new(line_start, piece_end));
            }
            let piece = TextRange::new(line_start, piece_end);
            if first.is_none() {
                first = Some(piece);
            } else {
                more.push(piece);
            }
            if continued && self.position < self.text.len() {
                continue;
            }
            if continued {
                // A backslash-newline at the very end of the file joins
                // nothing: httpd ends the line there.
                more.push(TextRange::empty(self.position));
            }
            let terminator = if continued {
                TextRange::empty(self.position)
            } else {
                TextRange::new(content_end, newline_end)
            };
            return Some(RawLine {
                range: TextRange::new(start, self.position),
                first: first.unwrap_or(piece),
                more,
                ignored,
                terminator,
                too_long_at,
            });
        }
    }
}

/// `[\\][\r]` at the end of the content, before the newline.
fn ends_with_continuation(content: &str) -> bool {
    matches!(content.as_bytes(), [.., b'\\', b'\r'] | [.., b'\\'])
}

fn continuation_start(content: &str, line_start: usize) -> usize {
    let mut end = content.len();
    if content.ends_with('\r') {
        end -= 1;
    }
    line_start + end.saturating_sub(1)
}

/// `apr_isspace` in the C locale.
pub(crate) fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{0b}' | '\u{0c}' | '\r')
}

/// [`is_space`] for a byte.
pub(crate) fn is_space_byte(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<RawLine> {
        let mut reader = LineReader::new(text, usize::MAX);
        std::iter::from_fn(|| reader.next_line()).collect()
    }

    #[test]
    fn joins_backslash_newline_verbatim() {
        let text = "Require i\\\np 127.0.0.1\nNext\n";
        let all = lines(text);
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].joined(text), "Require ip 127.0.0.1");
        assert_eq!(all[0].more.len(), 1);
        assert_eq!(all[1].joined(text), "Next");
    }

    #[test]
    fn crlf_continuation_and_backslash_space() {
        let text = "a \\\r\nb\r\nc \\ \nd\n";
        let all = lines(text);
        assert_eq!(all[0].joined(text), "a b\r");
        assert_eq!(all[1].joined(text), "c \\ ");
        assert_eq!(all[2].joined(text), "d");
    }

    #[test]
    fn nul_ends_the_visible_line() {
        let text = "a\0b\\\nc\n";
        let all = lines(text);
        assert_eq!(all[0].joined(text), "a");
        assert_eq!(all[0].ignored, Some(TextRange::new(1, 4)));
        assert_eq!(all[1].joined(text), "c");
    }

    #[test]
    fn continuation_at_end_of_file() {
        let text = "a \\\n";
        let all = lines(text);
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].joined(text), "a ");
        assert_eq!(all[0].range, TextRange::new(0, 4));
    }

    #[test]
    fn limit_counts_the_joined_line() {
        let text = "aaaa\\\nbbbb\n";
        let mut reader = LineReader::new(text, 8);
        let line = reader.next_line();
        assert_eq!(
            line.and_then(|l| l.too_long_at),
            Some(TextRange::new(6, 10))
        );
        let mut reader = LineReader::new(text, 9);
        assert_eq!(reader.next_line().and_then(|l| l.too_long_at), None);
    }
}
