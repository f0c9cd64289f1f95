//! Statements and blocks: `ngx_conf_parse` over the lexemes of
//! `ngx_conf_read_token`, building the tree with an explicit stack.
//!
//! nginx stops at its first error; this parser reports the same first
//! error (same message, same line) and then recovers so the rest of the
//! file still gets a tree:
//! - a character glued to a closing quote starts a new word;
//! - a `;` with no directive becomes a stray item, a `{` with no directive
//!   an orphan block, a `}` with nothing to close a stray item;
//! - a `}` while a directive still has words ends that directive (without
//!   terminator) and then closes the block.

use lint403_core::codes::{LIMIT_EXCEEDED, SYNTAX_ERROR};
use lint403_core::TextRange;

use super::lexer::{bare_word, comment, is_space, quoted_word, spaces};
use super::{
    lua, Block, BodyKind, Comment, Directive, Item, ParseOutput, Quote, Semicolon, SyntaxError,
    SyntaxTree, Terminator, Trivia, Word,
};
use crate::directives::EntriesKind;

/// Blocks nested deeper than this are kept as one raw item (with a
/// `limit-exceeded` diagnostic), so no later pass can recurse without
/// bound. Real configurations stay below 10.
pub const MAX_NESTING: usize = 100;

/// nginx's `NGX_CONF_BUFFER`: a word, string or comment that fills a whole
/// read buffer is refused as "too long parameter".
const CONF_BUFFER: usize = 4096;

/// Parses one file's text. Never fails: errors are collected, and the tree
/// covers every byte of `text`.
pub fn parse(text: &str) -> ParseOutput {
    let mut parser = Parser::new(text);
    parser.run();
    parser.finish()
}

/// The words, whitespace and comments of the statement being read.
struct Pending {
    name: Word,
    in_table: Option<crate::directives::NameIndex>,
    args: Box<[Word]>,
    trivia: Vec<Trivia>,
}

impl Pending {
    fn into_directive(self, end: Terminator) -> Directive {
        Directive::new(self.name, self.in_table, self.args, self.trivia, end)
    }
}

/// An open block; its items are the tail of [`Parser::items`] from
/// `items_start`.
struct Frame {
    header: Option<Pending>,
    open: TextRange,
    kind: BodyKind,
    items_start: usize,
}

/// State while inside blocks nested beyond [`MAX_NESTING`].
struct TooDeep {
    /// Levels open below the frame that holds the raw text.
    depth: usize,
    raw_start: usize,
}

struct Parser<'t> {
    text: &'t str,
    pos: usize,
    /// The items of the top level and of every open block, outermost
    /// first: one buffer, so a block's items are allocated once, at their
    /// final size, when it closes.
    items: Vec<Item>,
    frames: Vec<Frame>,
    /// The name of the statement being read; its arguments and trivia are
    /// in `words` and `trivia` (reused buffers, for the same reason).
    pending: Option<Word>,
    words: Vec<Word>,
    trivia: Vec<Trivia>,
    too_deep: Option<TooDeep>,
    errors: Vec<SyntaxError>,
    /// Offset of the last character reported, so that recovery does not
    /// report one character twice.
    last_error_at: Option<usize>,
    buffer: BufferModel,
    /// nginx's `start` for the first character of the next whitespace run,
    /// when that character is the one that ends a word.
    word_start_for_space: Option<usize>,
}

impl<'t> Parser<'t> {
    fn new(text: &'t str) -> Parser<'t> {
        Parser {
            text,
            pos: 0,
            items: Vec::new(),
            frames: Vec::new(),
            pending: None,
            words: Vec::new(),
            trivia: Vec::new(),
            too_deep: None,
            errors: Vec::new(),
            last_error_at: None,
            buffer: BufferModel::new(text.len()),
            word_start_for_space: None,
        }
    }

    fn run(&mut self) {
        let text = self.text;
        while let Some(rest) = text.get(self.pos..) {
            let Some(first) = rest.chars().next() else {
                break;
            };
            let start = self.pos;
            match first {
                c if is_space(c) => {
                    let len = spaces(rest).map_or(1, |(_, run)| run.len());
                    let range = TextRange::new(start, start + len);
                    let word_start = self.word_start_for_space.take();
                    self.observe(range, |l| match word_start {
                        Some(word_start) if l - 1 == range.start => word_start,
                        _ => l - 1,
                    });
                    // Whitespace is not stored: it is the gaps between the
                    // leaves (`SyntaxTree::visit_leaves` hands them out), and
                    // storing it doubled a large configuration's tree.
                    self.pos = range.end;
                }
                '#' => {
                    let len = comment(rest).map_or(1, |(_, found)| found.len());
                    let range = TextRange::new(start, start + len);
                    self.word_start_for_space = None;
                    self.observe(range, |_| range.start);
                    self.pos = range.end;
                    self.push_trivia(Trivia::Comment(Comment { range }));
                }
                ';' | '{' | '}' => {
                    let range = TextRange::new(start, start + 1);
                    self.word_start_for_space = None;
                    self.observe(range, |l| l);
                    self.pos = range.end;
                    match first {
                        ';' => self.semicolon(range),
                        '{' => self.open_brace(range),
                        _ => self.close_brace(range),
                    }
                }
                '"' | '\'' => self.quoted(rest, start),
                _ => {
                    let (len, has_escape) = bare_word(rest)
                        .map_or((first.len_utf8(), false), |(_, (word, escape))| {
                            (word.len(), escape)
                        });
                    let range = TextRange::new(start, start + len);
                    self.observe(range, |_| range.start);
                    self.word_start_for_space = Some(range.start);
                    self.pos = range.end;
                    self.push_word(Word::new(range, Quote::None, false, has_escape));
                }
            }
        }
        self.end_of_file();
    }

    fn quoted(&mut self, rest: &'t str, start: usize) {
        let Ok((_, quoted)) = quoted_word(rest) else {
            // Unreachable for a quote character; still, always make progress.
            let range = TextRange::new(start, start + 1);
            self.observe(range, |_| range.start);
            self.pos = range.end;
            self.push_word(Word::new(range, Quote::None, false, false));
            return;
        };
        let range = TextRange::new(start, start + quoted.text.len());
        let content_start = start + 1;
        let close_quote = quoted.terminated.then(|| range.end - 1);
        if let Some((s, l)) = self.buffer.observe(range, |_| content_start) {
            let inside = close_quote.is_none_or(|close| l <= close);
            self.too_long(s, l, inside.then_some(quoted.quote));
        }
        self.pos = range.end;
        let quote = if quoted.quote == '"' {
            Quote::Double
        } else {
            Quote::Single
        };
        self.push_word(Word::new(
            range,
            quote,
            !quoted.terminated,
            quoted.has_escape,
        ));
        self.word_start_for_space = Some(content_start);
        if !quoted.terminated {
            return;
        }
        // nginx's `need_space`: after a closing quote only whitespace, `;`,
        // `{` or `)` may follow (`)` for `if ($a = "x")`).
        let next = self.text.get(range.end..).and_then(|r| r.chars().next());
        match next {
            None | Some(' ' | '\t' | '\r' | '\n' | ';' | '{') => {}
            Some(')') => self.word_start_for_space = None,
            Some(other) => {
                self.word_start_for_space = None;
                let at = TextRange::new(range.end, range.end + other.len_utf8());
                self.error(
                    at,
                    format!("unexpected \"{other}\""),
                    "right after a closing quote",
                    "put a space after the closing quote, or quote the whole argument: \
                     nginx does not join a quoted string to what follows it",
                    vec![(range, "the quoted string ends here".to_string())],
                );
            }
        }
    }

    /// Feeds nginx's buffer model and reports "too long parameter".
    fn observe(&mut self, range: TextRange, start_at: impl Fn(usize) -> usize) {
        if let Some((s, l)) = self.buffer.observe(range, start_at) {
            self.too_long(s, l, None);
        }
    }

    fn too_long(&mut self, start: usize, boundary: usize, open_quote: Option<char>) {
        let (message, help) = if let Some(quote) = open_quote {
            (
                format!("too long parameter, probably missing terminating \"{quote}\" character"),
                "close the quoted string; nginx refuses a string of 4096 bytes or more",
            )
        } else {
            // nginx shows the first 10 bytes of the parameter.
            let mut end = (start + 10).min(self.text.len());
            while !self.text.is_char_boundary(end) {
                end -= 1;
            }
            let head = self.text.get(start..end).unwrap_or_default();
            (
                format!("too long parameter \"{head}...\" started"),
                "nginx reads its configuration in 4096-byte buffers and refuses a word or \
                 comment that fills one: shorten it (split a long comment over several lines)",
            )
        };
        self.error(
            TextRange::new(start, boundary),
            message,
            "4096 bytes without a break",
            help,
            Vec::new(),
        );
    }

    fn push_trivia(&mut self, trivia: Trivia) {
        if self.pending.is_some() {
            self.trivia.push(trivia);
            return;
        }
        if self.too_deep.is_some() {
            return;
        }
        let Trivia::Comment(comment) = trivia;
        self.items.push(Item::Comment(comment));
    }

    fn push_word(&mut self, word: Word) {
        if self.pending.is_some() {
            self.words.push(word);
        } else {
            self.pending = Some(word);
        }
    }

    /// The statement read so far, with its buffers moved out at their
    /// final size.
    fn take_pending(&mut self) -> Option<Pending> {
        let name = self.pending.take()?;
        Some(Pending {
            in_table: crate::directives::name_index(&name.value(self.text)),
            name,
            args: self.words.drain(..).collect(),
            trivia: if self.trivia.is_empty() {
                Vec::new()
            } else {
                self.trivia.drain(..).collect()
            },
        })
    }

    fn push_item(&mut self, item: Item) {
        if self.too_deep.is_none() {
            self.items.push(item);
        }
    }

    fn semicolon(&mut self, range: TextRange) {
        if let Some(pending) = self.take_pending() {
            self.push_item(Item::Directive(
                pending.into_directive(Terminator::Semicolon(Semicolon::at(range.start))),
            ));
        } else {
            self.error(
                range,
                "unexpected \";\"".to_string(),
                "no directive before this \";\"",
                "remove the extra \";\"",
                Vec::new(),
            );
            self.push_item(Item::StraySemicolon(range));
        }
    }

    fn open_brace(&mut self, open: TextRange) {
        let header = self.take_pending();
        let name = header.as_ref().map(|pending| pending.name.value(self.text));
        if header.is_none() {
            self.error(
                open,
                "unexpected \"{\"".to_string(),
                "no directive before this \"{\"",
                "a block needs a directive name before \"{\" (e.g. `location /path {`)",
                Vec::new(),
            );
        }
        if name
            .as_deref()
            .is_some_and(|name| name.ends_with("_by_lua_block"))
        {
            self.lua_block(header, open);
            return;
        }
        if let Some(too_deep) = &mut self.too_deep {
            too_deep.depth += 1;
            return;
        }
        let kind = match name.as_deref() {
            Some(name) if EntriesKind::for_directive(name).is_some() => BodyKind::Entries,
            _ => BodyKind::Directives,
        };
        if self.frames.len() >= MAX_NESTING {
            self.error_with_code(
                LIMIT_EXCEEDED,
                open,
                format!("blocks are nested more than {MAX_NESTING} levels deep"),
                "one level too deep",
                "lint403 keeps what is inside this block as raw text and checks none of it; \
                 no real configuration nests this deep",
                Vec::new(),
            );
            self.frames.push(Frame {
                header,
                open,
                kind: BodyKind::TooDeep,
                items_start: self.items.len(),
            });
            self.too_deep = Some(TooDeep {
                depth: 0,
                raw_start: open.end,
            });
            return;
        }
        self.frames.push(Frame {
            header,
            open,
            kind,
            items_start: self.items.len(),
        });
    }

    fn lua_block(&mut self, header: Option<Pending>, open: TextRange) {
        let body_start = open.end;
        let close = lua::find_block_end(self.text, body_start);
        let body_end = close.unwrap_or(self.text.len());
        // The Lua module reads the body with its own buffer handling; start
        // nginx's model afresh after it.
        self.buffer.restart_at(body_end + 1);
        self.pos = close.map_or(body_end, |close| close + 1);
        if close.is_none() {
            // lua-nginx-module reports this on the line of the `{`.
            self.error(
                open,
                "unexpected end of file, expecting terminating characters for lua code block"
                    .to_string(),
                "this Lua block is never closed",
                "close the Lua block with \"}\" (braces inside Lua strings and comments do \
                 not count)",
                vec![(
                    TextRange::empty(self.text.len()),
                    "the file ends here".to_string(),
                )],
            );
        }
        let mut items = Vec::new();
        if body_end > body_start {
            items.push(Item::Raw(TextRange::new(body_start, body_end)));
        }
        let block = Block::new(
            open,
            BodyKind::Lua,
            items,
            close.map(|close| TextRange::new(close, close + 1)),
        );
        let item = match header {
            Some(pending) => {
                Item::Directive(pending.into_directive(Terminator::Block(Box::new(block))))
            }
            None => Item::OrphanBlock(Box::new(block)),
        };
        self.push_item(item);
    }

    fn close_brace(&mut self, close: TextRange) {
        if let Some(pending) = self.take_pending() {
            self.error(
                close,
                "unexpected \"}\"".to_string(),
                "the directive before this \"}\" has no \";\"",
                "end the directive with \";\"; note that a \"}\" inside an unquoted argument \
                 does not end it (`return 403}` is one word), so quote arguments that \
                 contain \"{\", \"}\" or \";\"",
                vec![(
                    pending.name.range(),
                    "this directive is not terminated".to_string(),
                )],
            );
            self.push_item(Item::Directive(pending.into_directive(Terminator::Missing)));
        }
        if let Some(too_deep) = &mut self.too_deep {
            if too_deep.depth > 0 {
                too_deep.depth -= 1;
                return;
            }
            let raw_start = too_deep.raw_start;
            self.too_deep = None;
            if close.start > raw_start {
                self.items
                    .push(Item::Raw(TextRange::new(raw_start, close.start)));
            }
        }
        if let Some(frame) = self.frames.pop() {
            self.close_frame(frame, Some(close));
        } else {
            self.error(
                close,
                "unexpected \"}\"".to_string(),
                "no block to close",
                "remove this \"}\", or add the block it was meant to close",
                Vec::new(),
            );
            self.items.push(Item::StrayClose(close));
        }
    }

    fn close_frame(&mut self, frame: Frame, close: Option<TextRange>) {
        let start = frame.items_start.min(self.items.len());
        let block = Block::new(frame.open, frame.kind, self.items.split_off(start), close);
        let item = match frame.header {
            Some(pending) => {
                Item::Directive(pending.into_directive(Terminator::Block(Box::new(block))))
            }
            None => Item::OrphanBlock(Box::new(block)),
        };
        self.items.push(item);
    }

    fn end_of_file(&mut self) {
        let eof = TextRange::empty(self.text.len());
        let mut related: Vec<(TextRange, String)> = Vec::new();
        let pending = self.take_pending();
        if let Some(pending) = &pending {
            let last = pending.args.last().unwrap_or(&pending.name);
            if last.unterminated {
                related.push((
                    TextRange::new(last.range().start, last.range().start + 1),
                    "this quoted string is never closed".to_string(),
                ));
            } else {
                related.push((
                    pending.name.range(),
                    "this directive is not terminated".to_string(),
                ));
            }
        }
        for frame in self.frames.iter().rev().take(8) {
            related.push((frame.open, "this block is not closed".to_string()));
        }
        if pending.is_some() {
            let help = if related.first().is_some_and(|(_, m)| m.contains("quoted")) {
                "close the quoted string; a string runs on over line ends until its closing quote"
            } else {
                "end the last directive with \";\""
            };
            self.error(
                eof,
                "unexpected end of file, expecting \";\" or \"}\"".to_string(),
                "the file ends inside a directive",
                help,
                related,
            );
        } else if !self.frames.is_empty() {
            self.error(
                eof,
                "unexpected end of file, expecting \"}\"".to_string(),
                "the file ends inside a block",
                "add \"}\" to close the block opened here",
                related,
            );
        }
        if let Some(pending) = pending {
            self.push_item(Item::Directive(pending.into_directive(Terminator::Missing)));
        }
        if let Some(too_deep) = self.too_deep.take() {
            let len = self.text.len();
            if len > too_deep.raw_start {
                self.items
                    .push(Item::Raw(TextRange::new(too_deep.raw_start, len)));
            }
        }
        while let Some(frame) = self.frames.pop() {
            self.close_frame(frame, None);
        }
    }

    fn error(
        &mut self,
        range: TextRange,
        message: String,
        label: &str,
        help: &str,
        related: Vec<(TextRange, String)>,
    ) {
        self.error_with_code(SYNTAX_ERROR, range, message, label, help, related);
    }

    fn error_with_code(
        &mut self,
        code: lint403_core::Code,
        range: TextRange,
        message: String,
        label: &str,
        help: &str,
        related: Vec<(TextRange, String)>,
    ) {
        if code == SYNTAX_ERROR && range.len() == 1 && self.last_error_at == Some(range.start) {
            return;
        }
        if code == SYNTAX_ERROR {
            self.last_error_at = Some(range.start);
        }
        self.errors.push(SyntaxError {
            code,
            range,
            message,
            label: label.to_string(),
            help: help.to_string(),
            related,
        });
    }

    fn finish(self) -> ParseOutput {
        ParseOutput {
            tree: SyntaxTree {
                items: self.items,
                len: self.text.len(),
            },
            errors: self.errors,
        }
    }
}

/// nginx reads a configuration file into a 4096-byte buffer. When the
/// buffer is used up, the unfinished token (from nginx's `start` pointer)
/// is moved to its front and the rest is filled from the file; if the
/// token already fills the whole buffer, nginx fails with "too long
/// parameter". This model tracks where those refills happen (each one at
/// `start + 4096`), so the error is reported exactly where nginx reports
/// it, including for long comments, which nginx also buffers.
struct BufferModel {
    len: usize,
    /// File offset at which the buffer runs out next (`usize::MAX`: the
    /// buffer reaches the end of the file).
    next_refill: usize,
    /// The `start` already reported as too long (recovery: report once).
    reported_start: Option<usize>,
}

impl BufferModel {
    fn new(len: usize) -> BufferModel {
        let mut model = BufferModel {
            len,
            next_refill: usize::MAX,
            reported_start: None,
        };
        model.restart_at(0);
        model
    }

    /// A refill happens at `offset` with nginx's `start` there.
    fn restart_at(&mut self, offset: usize) {
        let next = offset.saturating_add(CONF_BUFFER);
        self.next_refill = if next < self.len { next } else { usize::MAX };
    }

    /// The characters of `range` were read. `start_at(l)` is nginx's
    /// `start` when it is about to read the character at `l` (for the `l`
    /// with `l - 1` in `range`). Returns `(start, l)` of a refill that
    /// found the buffer full.
    fn observe(
        &mut self,
        range: TextRange,
        start_at: impl Fn(usize) -> usize,
    ) -> Option<(usize, usize)> {
        let mut found = None;
        while self.next_refill > range.start && self.next_refill <= range.end {
            let refill = self.next_refill;
            let start = start_at(refill).min(refill);
            if self.reported_start == Some(start) {
                self.next_refill = refill.saturating_add(CONF_BUFFER);
            } else if refill - start >= CONF_BUFFER {
                found = found.or(Some((start, refill)));
                self.reported_start = Some(start);
                self.next_refill = refill.saturating_add(CONF_BUFFER);
            } else {
                self.next_refill = start + CONF_BUFFER;
            }
            if self.next_refill >= self.len {
                self.next_refill = usize::MAX;
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_error(text: &str) -> Option<(String, usize)> {
        let output = parse(text);
        assert_eq!(output.tree.print(text), text, "round trip of {text:?}");
        output.errors.first().map(|error| {
            let line = text[..error.range.start.min(text.len())]
                .matches('\n')
                .count()
                + 1;
            (error.message.clone(), line)
        })
    }

    fn names(text: &str) -> Vec<(usize, String)> {
        parse(text)
            .tree
            .walk()
            .map(|(depth, directive)| (depth, directive.name(text).into_owned()))
            .collect()
    }

    #[test]
    fn directives_and_blocks() {
        let text = "events {}\nhttp {\n  server { listen 80; location / { return 403; } }\n}\n";
        assert_eq!(first_error(text), None);
        assert_eq!(
            names(text),
            vec![
                (0, "events".to_string()),
                (0, "http".to_string()),
                (1, "server".to_string()),
                (2, "listen".to_string()),
                (2, "location".to_string()),
                (3, "return".to_string()),
            ]
        );
    }

    #[test]
    fn quote_glued_to_a_word_is_refused() {
        assert_eq!(
            first_error("a \"a\"b;"),
            Some(("unexpected \"b\"".into(), 1))
        );
        assert_eq!(
            first_error("a 'a'\"b\";"),
            Some(("unexpected \"\"\"".into(), 1))
        );
        assert_eq!(
            first_error("a \"a\"#b\n;"),
            Some(("unexpected \"#\"".into(), 1))
        );
        assert_eq!(first_error("if ($a = \"x\") { }"), None);
        assert_eq!(first_error("a \"x\";b \"y\"{}"), None);
    }

    #[test]
    fn a_close_brace_inside_a_word_does_not_end_it() {
        let text = "location / { return 403}\n}\n";
        assert_eq!(first_error(text), Some(("unexpected \"}\"".into(), 2)));
        let output = parse(text);
        assert_eq!(output.errors.len(), 1, "{:?}", output.errors);
    }

    #[test]
    fn unquoted_regex_braces_nest_like_nginx() {
        // nginx: unknown directive "2}$" -- the `{` ends the regex, so the
        // rest becomes a directive with a block inside the location, and
        // the next location nests inside the first one.
        let text = "server {\nlocation ~ ^/(a|b){2}$ { }\nlocation /x { }\n}\n}\n";
        assert_eq!(first_error(text), None);
        assert_eq!(
            names(text),
            vec![
                (0, "server".to_string()),
                (1, "location".to_string()),
                (2, "2}$".to_string()),
                (2, "location".to_string()),
            ]
        );
    }

    #[test]
    fn punctuation_without_words() {
        assert_eq!(first_error("a;;"), Some(("unexpected \";\"".into(), 1)));
        assert_eq!(
            first_error("\n{ a; }"),
            Some(("unexpected \"{\"".into(), 2))
        );
        assert_eq!(first_error("a;\n}"), Some(("unexpected \"}\"".into(), 2)));
    }

    #[test]
    fn end_of_file_errors_are_on_the_line_after_the_last_newline() {
        assert_eq!(
            first_error("http {\n"),
            Some(("unexpected end of file, expecting \"}\"".into(), 2))
        );
        assert_eq!(
            first_error("http {"),
            Some(("unexpected end of file, expecting \"}\"".into(), 1))
        );
        assert_eq!(
            first_error("a \"b\n\n"),
            Some(("unexpected end of file, expecting \";\" or \"}\"".into(), 3))
        );
        assert_eq!(
            first_error("a b"),
            Some(("unexpected end of file, expecting \";\" or \"}\"".into(), 1))
        );
        let output = parse("http {\n  server {\n");
        let error = &output.errors[0];
        assert!(error.range.is_empty());
        assert_eq!(error.related.len(), 2);
        assert_eq!(error.related[0].0, TextRange::new(16, 17));
    }

    #[test]
    fn comments_and_hashes() {
        let text = "a#b c; # real comment { ;\nd;";
        assert_eq!(first_error(text), None);
        let output = parse(text);
        let first = output
            .tree
            .directives()
            .next()
            .map(|d| d.name(text).into_owned());
        assert_eq!(first.as_deref(), Some("a#b"));
        assert!(output
            .tree
            .items
            .iter()
            .any(|item| matches!(item, Item::Comment(_))));
    }

    #[test]
    fn comments_between_arguments_stay_in_the_directive() {
        let text = "listen 80 # the port\n  default_server;\n";
        let output = parse(text);
        let directive = output.tree.directives().next();
        assert_eq!(directive.map(|d| d.args.len()), Some(2));
        assert_eq!(directive.map(|d| d.trivia().len()), Some(1));
        assert_eq!(output.tree.print(text), text);
    }

    #[test]
    fn lua_blocks_are_raw() {
        let text = "content_by_lua_block {\n -- a } brace\n ngx.say(\"}\")\n}\nnext;\n";
        assert_eq!(first_error(text), None);
        let output = parse(text);
        let lua = output.tree.directives().next().and_then(Directive::block);
        assert_eq!(lua.map(|block| block.kind), Some(BodyKind::Lua));
        assert!(matches!(
            lua.map(|block| block.items.as_slice()),
            Some([Item::Raw(_)])
        ));
        assert_eq!(names(text).len(), 2);
        assert_eq!(
            first_error("content_by_lua_block\n{ a\n"),
            Some((
                "unexpected end of file, expecting terminating characters for lua code block"
                    .into(),
                2
            ))
        );
    }

    #[test]
    fn map_bodies_are_marked_as_entries() {
        let text = "map $a $b { default 0; ~^/x 1; }";
        let output = parse(text);
        let block = output.tree.directives().next().and_then(Directive::block);
        assert_eq!(block.map(|block| block.kind), Some(BodyKind::Entries));
    }

    #[test]
    fn nesting_beyond_the_limit_is_kept_raw() {
        let depth = 10_000;
        let text = format!("{}{}", "a {".repeat(depth), "}".repeat(depth));
        let output = parse(&text);
        assert_eq!(output.tree.print(&text), text);
        assert_eq!(output.errors.len(), 1);
        assert_eq!(output.errors[0].code, LIMIT_EXCEEDED);
        assert_eq!(
            output.tree.walk().map(|(depth, _)| depth).max(),
            Some(MAX_NESTING)
        );
        let unclosed = "a {".repeat(depth);
        let output = parse(&unclosed);
        assert_eq!(output.tree.print(&unclosed), unclosed);
        assert_eq!(output.errors.len(), 2);
    }

    #[test]
    fn too_long_words_follow_the_buffer_of_nginx() {
        // Observed with nginx -t: a word of 4095 bytes at the start of the
        // file followed by a space fills the buffer; 4094 bytes do not.
        let long = format!("{} a;", "x".repeat(4095));
        assert_eq!(
            first_error(&long),
            Some(("too long parameter \"xxxxxxxxxx...\" started".into(), 1))
        );
        let fits = format!("{} a;", "x".repeat(4094));
        assert_eq!(first_error(&fits), None);
        let comment = format!("events {{}}\n#{}\n", "x".repeat(5000));
        assert_eq!(
            first_error(&comment),
            Some(("too long parameter \"#xxxxxxxxx...\" started".into(), 2))
        );
        let quoted = format!("events {{}}\n\"{}\";", "x".repeat(5000));
        assert_eq!(
            first_error(&quoted),
            Some((
                "too long parameter, probably missing terminating \"\"\" character".into(),
                2
            ))
        );
        let many_lines = format!("events {{}}\n{}", "#a\n".repeat(5000));
        assert_eq!(first_error(&many_lines), None);
        let spaces = format!("events {{}}\n{}\n", " ".repeat(50_000));
        assert_eq!(first_error(&spaces), None);
    }

    #[test]
    fn every_byte_is_in_the_tree() {
        for text in [
            "",
            " ",
            "}",
            "{",
            ";",
            "\"",
            "'a",
            "a\\",
            "a b c",
            "a { b { c; } } }",
            "\u{feff}events {}",
            "x \"a\"b\"c\" ;",
            "a {\0;}",
            "#only",
        ] {
            let output = parse(text);
            assert_eq!(output.tree.print(text), text, "{text:?}");
            let mut cursor = 0;
            output.tree.visit_leaves(|range| {
                assert_eq!(range.start, cursor, "{text:?}");
                cursor = range.end;
            });
            assert_eq!(cursor, text.len(), "{text:?}");
        }
    }
}
