//! The lossless syntax tree of one nginx configuration file.
//!
//! Every byte of the file belongs to exactly one leaf (a word, a comment, a
//! run of whitespace, a `;`, a brace, a raw Lua body), in file order, so
//! [`SyntaxTree::print`] gives the file back byte for byte. Words keep the
//! raw range (quotes included) and give their value the way nginx stores
//! it ([`Word::value`]).

mod lexer;
mod lua;
mod parser;

use std::borrow::Cow;

use lint403_core::{Code, Diagnostic, FileId, Span, TextRange};

pub use parser::{parse, MAX_NESTING};

/// How an argument was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quote {
    None,
    Double,
    Single,
}

/// One word of a directive: its name or an argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Where the word stands, quotes included, as `u32` offsets: a large
    /// configuration holds millions of words, and its files are far
    /// smaller than 4 GiB (an offset past that is clamped, never wrapped).
    start: u32,
    end: u32,
    pub quote: Quote,
    /// The file ended before the closing quote.
    pub unterminated: bool,
    /// It holds an escape that [`Word::value`] reduces (`\"`, `\\`, `\n`,
    /// ...); a regex's `\.` does not count, so its value is borrowed.
    has_escape: bool,
}

impl Word {
    pub(crate) fn new(
        range: TextRange,
        quote: Quote,
        unterminated: bool,
        has_escape: bool,
    ) -> Word {
        let offset = |at: usize| u32::try_from(at).unwrap_or(u32::MAX);
        Word {
            start: offset(range.start),
            end: offset(range.end),
            quote,
            unterminated,
            has_escape,
        }
    }

    /// The word as written, quotes included.
    pub fn range(&self) -> TextRange {
        TextRange::new(self.start as usize, self.end as usize)
    }

    /// The word exactly as written.
    pub fn raw<'t>(&self, text: &'t str) -> &'t str {
        slice(text, self.range())
    }

    /// The range between the quotes (the whole word when unquoted).
    pub fn content_range(&self) -> TextRange {
        match self.quote {
            Quote::None => self.range(),
            Quote::Double | Quote::Single => {
                let start = (self.range().start + 1).min(self.range().end);
                let end = if self.unterminated {
                    self.range().end
                } else {
                    self.range().end.saturating_sub(1).max(start)
                };
                TextRange::new(start, end)
            }
        }
    }

    /// The value nginx stores for this word: quotes removed, `\"` `\'` and
    /// `\\` reduced to the character, `\t` `\r` `\n` turned into TAB, CR
    /// and LF; every other backslash is kept (so a regex `\.` survives).
    pub fn value<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let content = slice(text, self.content_range());
        if !self.has_escape {
            return Cow::Borrowed(content);
        }
        Cow::Owned(unescape(content))
    }

    /// Whether the value is exactly `expected` (no allocation for the
    /// common unescaped case).
    pub fn is(&self, text: &str, expected: &str) -> bool {
        if self.has_escape {
            return self.value(text) == expected;
        }
        // Asked millions of times per large configuration (is this an
        // `include`, an `allow`, ...?): most answers are a length mismatch.
        let content = self.content_range();
        content.end.saturating_sub(content.start) == expected.len()
            && text.as_bytes().get(content.start..content.end) == Some(expected.as_bytes())
    }
}

/// The unescaping of `ngx_conf_read_token`: a backslash followed by one of
/// `"'\` gives that character, by `t`/`r`/`n` a control character, and by
/// anything else stays a backslash.
fn unescape(content: &str) -> String {
    let mut out = String::with_capacity(content.len());
    let mut chars = content.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.peek() {
                Some(&next @ ('"' | '\'' | '\\')) => {
                    out.push(next);
                    chars.next();
                    continue;
                }
                Some('t') => {
                    out.push('\t');
                    chars.next();
                    continue;
                }
                Some('r') => {
                    out.push('\r');
                    chars.next();
                    continue;
                }
                Some('n') => {
                    out.push('\n');
                    chars.next();
                    continue;
                }
                _ => {}
            }
        }
        out.push(c);
    }
    out
}

pub(crate) fn slice(text: &str, range: TextRange) -> &str {
    text.get(range.start..range.end).unwrap_or_default()
}

/// A `#` comment, from the `#` up to (not including) the line feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub range: TextRange,
}

impl Comment {
    /// The comment's text after the `#`.
    pub fn text<'t>(&self, text: &'t str) -> &'t str {
        let raw = slice(text, self.range);
        raw.strip_prefix('#').unwrap_or(raw)
    }
}

/// A comment between the words of one directive (whitespace is not
/// stored: it is the gaps between leaves).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trivia {
    Comment(Comment),
}

impl Trivia {
    pub fn range(&self) -> TextRange {
        match self {
            Trivia::Comment(comment) => comment.range,
        }
    }
}

/// A directive: a name, arguments, and a `;` or a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub name: Word,
    /// The name's entries in nginx's directive table, `None` for a name
    /// nginx does not know. Directive names are compared millions of
    /// times in a large configuration, and comparing against the table's
    /// copy does not touch the file's text (scattered over tens of
    /// megabytes: each such read was a cache miss).
    in_table: Option<crate::directives::NameIndex>,
    /// A boxed slice rather than a vector: a large configuration holds a
    /// million directives, and the list does not change after parsing.
    pub args: Box<[Word]>,
    /// How it ends ([`Directive::end`]), and the comments after the name
    /// ([`Directive::trivia`]) for the few directives that have any: in one
    /// field of 16 bytes, so a directive (and an [`Item`]) takes 48.
    tail: Tail,
}

/// How a directive ends ([`Directive::end`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectiveEnd<'t> {
    /// `;`
    Semicolon(Semicolon),
    /// `{ ... }`
    Block(&'t Block),
    /// Nothing: the file ended, or a `}` came first (both syntax errors).
    Missing,
}

/// A directive's end as the parser found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Terminator {
    Semicolon(Semicolon),
    /// Boxed: most directives end in `;`, and a smaller directive is
    /// cheaper to move around.
    Block(Box<Block>),
    Missing,
}

/// [`Directive::tail`]: a [`Terminator`] without trivia (nearly every
/// directive), or one with its trivia behind a pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tail {
    Semicolon(Semicolon),
    Block(Box<Block>),
    Missing,
    WithTrivia(Box<(Terminator, Vec<Trivia>)>),
}

impl Tail {
    fn new(terminator: Terminator, trivia: Vec<Trivia>) -> Tail {
        if !trivia.is_empty() {
            return Tail::WithTrivia(Box::new((terminator, trivia)));
        }
        match terminator {
            Terminator::Semicolon(semicolon) => Tail::Semicolon(semicolon),
            Terminator::Block(block) => Tail::Block(block),
            Terminator::Missing => Tail::Missing,
        }
    }
}

impl Directive {
    pub(crate) fn new(
        name: Word,
        in_table: Option<crate::directives::NameIndex>,
        args: Box<[Word]>,
        trivia: Vec<Trivia>,
        terminator: Terminator,
    ) -> Directive {
        Directive {
            name,
            in_table,
            args,
            tail: Tail::new(terminator, trivia),
        }
    }

    /// How the directive ends: a `;`, a block, or nothing.
    pub fn end(&self) -> DirectiveEnd<'_> {
        let terminator = match &self.tail {
            Tail::Semicolon(semicolon) => return DirectiveEnd::Semicolon(*semicolon),
            Tail::Block(block) => return DirectiveEnd::Block(block),
            Tail::Missing => return DirectiveEnd::Missing,
            Tail::WithTrivia(with) => &with.0,
        };
        match terminator {
            Terminator::Semicolon(semicolon) => DirectiveEnd::Semicolon(*semicolon),
            Terminator::Block(block) => DirectiveEnd::Block(block),
            Terminator::Missing => DirectiveEnd::Missing,
        }
    }

    /// From the first byte of the name to the `;` or the closing brace.
    pub fn range(&self) -> TextRange {
        let mut end = self.name.range().end;
        if let Some(last) = self.args.last() {
            end = end.max(last.range().end);
        }
        if let Some(last) = self.trivia().last() {
            end = end.max(last.range().end);
        }
        match self.end() {
            DirectiveEnd::Semicolon(semicolon) => end = end.max(semicolon.range().end),
            DirectiveEnd::Block(block) => end = end.max(block.range().end),
            DirectiveEnd::Missing => {}
        }
        TextRange::new(self.name.range().start, end)
    }

    /// The name and arguments, without the terminator or block.
    pub fn head_range(&self) -> TextRange {
        let end = self
            .args
            .last()
            .map_or(self.name.range().end, |last| last.range().end);
        TextRange::new(self.name.range().start, end)
    }

    /// Comments after the name, in file order (between the words, and
    /// before the terminator).
    pub fn trivia(&self) -> &[Trivia] {
        match &self.tail {
            Tail::WithTrivia(with) => &with.1,
            Tail::Semicolon(_) | Tail::Block(_) | Tail::Missing => &[],
        }
    }

    pub fn block(&self) -> Option<&Block> {
        match self.end() {
            DirectiveEnd::Block(block) => Some(block),
            DirectiveEnd::Semicolon(_) | DirectiveEnd::Missing => None,
        }
    }

    /// The name's value (names are rarely quoted, but nginx allows it).
    pub fn name<'t>(&self, text: &'t str) -> Cow<'t, str> {
        match self.in_table {
            Some(index) => Cow::Borrowed(crate::directives::name_at(index)),
            None => self.name.value(text),
        }
    }

    /// Whether the name's value is exactly `expected`.
    pub fn is_named(&self, text: &str, expected: &str) -> bool {
        match self.in_table {
            Some(index) => crate::directives::name_at(index) == expected,
            None => self.name.is(text, expected),
        }
    }

    /// The name's place in nginx's directive table, `None` when nginx
    /// does not know it.
    pub fn name_index(&self) -> Option<crate::directives::NameIndex> {
        self.in_table
    }

    /// The entries of nginx's directive table for this name (empty when
    /// nginx does not know it).
    pub fn known(&self) -> &'static [crate::directives::DirectiveSpec] {
        self.in_table.map_or(&[], crate::directives::specs_at)
    }
}

/// A directive's `;`, by its offset (a `u32`, like [`Word`]'s: every
/// directive ends in one, and a range of two `usize`s made each directive
/// a third larger).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Semicolon {
    at: u32,
}

impl Semicolon {
    pub(crate) fn at(offset: usize) -> Semicolon {
        Semicolon {
            at: u32::try_from(offset).unwrap_or(u32::MAX),
        }
    }

    /// The one byte of the `;`.
    pub fn range(self) -> TextRange {
        one_byte(self.at)
    }
}

/// The range of the one byte at `offset`.
fn one_byte(offset: u32) -> TextRange {
    let start = offset as usize;
    TextRange::new(start, start.saturating_add(1))
}

/// What a block's body holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyKind {
    /// Directives (and anything the tokenizer reads like them).
    Directives,
    /// The body of `map`, `geo`, `types`, `split_clients`, `charset_map`
    /// or `match`: entries, shaped like directives but not looked up.
    Entries,
    /// The body of a `*_by_lua_block`: raw Lua code, one [`Item::Raw`].
    Lua,
    /// Nested deeper than [`MAX_NESTING`]: kept as one [`Item::Raw`].
    TooDeep,
}

/// `{ ... }`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The offset of the `{`, and of the `}` ([`NO_CLOSE`] when the file
    /// ended first): one byte each, kept as `u32` like a [`Word`]'s
    /// offsets. A large configuration holds hundreds of thousands of
    /// blocks, and two ranges of `usize`s made each block 72 bytes
    /// instead of 40.
    open: u32,
    close: u32,
    pub kind: BodyKind,
    pub items: Vec<Item>,
}

/// [`Block::close`] for a block the file ended in.
const NO_CLOSE: u32 = u32::MAX;

impl Block {
    pub(crate) fn new(
        open: TextRange,
        kind: BodyKind,
        items: Vec<Item>,
        close: Option<TextRange>,
    ) -> Block {
        let offset = |at: usize| u32::try_from(at).unwrap_or(NO_CLOSE - 1);
        Block {
            open: offset(open.start),
            close: close.map_or(NO_CLOSE, |close| offset(close.start)),
            kind,
            items,
        }
    }

    /// The `{`.
    pub fn open(&self) -> TextRange {
        one_byte(self.open)
    }

    /// The `}`; `None` when the file ended first.
    pub fn close(&self) -> Option<TextRange> {
        (self.close != NO_CLOSE).then(|| one_byte(self.close))
    }

    pub fn range(&self) -> TextRange {
        let end = self.close().map_or_else(
            || {
                self.items
                    .last()
                    .map_or(self.open().end, |item| item.range().end)
            },
            |close| close.end,
        );
        TextRange::new(self.open as usize, end)
    }

    /// The directives directly in this block (not nested ones).
    pub fn directives(&self) -> impl Iterator<Item = &Directive> {
        directives_of(&self.items)
    }
}

/// One element of a file or a block body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Directive(Directive),
    Comment(Comment),
    /// A `;` with no directive before it (nginx: `unexpected ";"`).
    StraySemicolon(TextRange),
    /// A `}` with no block to close (nginx: `unexpected "}"`).
    StrayClose(TextRange),
    /// A `{` with no directive name before it (nginx: `unexpected "{"`);
    /// boxed, like a directive's block, so an item is no larger than a
    /// directive.
    OrphanBlock(Box<Block>),
    /// Text kept verbatim: a Lua body, or what is nested too deeply.
    Raw(TextRange),
}

impl Item {
    pub fn range(&self) -> TextRange {
        match self {
            Item::Directive(directive) => directive.range(),
            Item::Comment(comment) => comment.range,
            Item::StraySemicolon(range) | Item::StrayClose(range) | Item::Raw(range) => *range,
            Item::OrphanBlock(block) => block.range(),
        }
    }
}

fn directives_of(items: &[Item]) -> impl Iterator<Item = &Directive> {
    items.iter().filter_map(|item| match item {
        Item::Directive(directive) => Some(directive),
        _ => None,
    })
}

/// The tree of one file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyntaxTree {
    pub items: Vec<Item>,
    /// Length of the text the tree was parsed from.
    pub len: usize,
}

impl SyntaxTree {
    /// The top-level directives.
    pub fn directives(&self) -> impl Iterator<Item = &Directive> {
        directives_of(&self.items)
    }

    /// Every directive at any depth, parents before children, with its
    /// nesting depth (0 for top level). Bodies of orphan blocks are
    /// included; raw bodies have no directives.
    pub fn walk(&self) -> Walk<'_> {
        Walk {
            stack: vec![(self.items.iter(), 0)],
        }
    }

    /// Writes the file back from the tree's leaves.
    pub fn print(&self, text: &str) -> String {
        let mut out = String::with_capacity(self.len);
        self.visit_leaves(|range| out.push_str(slice(text, range)));
        out
    }

    /// Calls `leaf` with the range of every leaf, in file order, the
    /// whitespace between them included: the ranges tile the text.
    pub fn visit_leaves(&self, mut leaf: impl FnMut(TextRange)) {
        let mut cursor = 0;
        self.visit_stored_leaves(|range| {
            if range.start > cursor {
                leaf(TextRange::new(cursor, range.start));
            }
            leaf(range);
            cursor = cursor.max(range.end);
        });
        if self.len > cursor {
            leaf(TextRange::new(cursor, self.len));
        }
    }

    /// The leaves the tree stores (every byte but whitespace), in order.
    fn visit_stored_leaves(&self, mut leaf: impl FnMut(TextRange)) {
        // The tree is at most MAX_NESTING deep, but an explicit stack keeps
        // this independent of that bound.
        enum Step<'a> {
            Items(std::slice::Iter<'a, Item>),
            Leaf(TextRange),
        }
        let mut stack = vec![Step::Items(self.items.iter())];
        while let Some(step) = stack.last_mut() {
            let item = match step {
                Step::Leaf(range) => {
                    let range = *range;
                    stack.pop();
                    leaf(range);
                    continue;
                }
                Step::Items(items) => {
                    if let Some(item) = items.next() {
                        item
                    } else {
                        stack.pop();
                        continue;
                    }
                }
            };
            match item {
                Item::Comment(comment) => leaf(comment.range),
                Item::StraySemicolon(range) | Item::StrayClose(range) | Item::Raw(range) => {
                    leaf(*range);
                }
                Item::OrphanBlock(block) => {
                    leaf(block.open());
                    if let Some(close) = block.close() {
                        stack.push(Step::Leaf(close));
                    }
                    stack.push(Step::Items(block.items.iter()));
                }
                Item::Directive(directive) => {
                    for range in head_leaves(directive) {
                        leaf(range);
                    }
                    match directive.end() {
                        DirectiveEnd::Semicolon(semicolon) => leaf(semicolon.range()),
                        DirectiveEnd::Missing => {}
                        DirectiveEnd::Block(block) => {
                            leaf(block.open());
                            if let Some(close) = block.close() {
                                stack.push(Step::Leaf(close));
                            }
                            stack.push(Step::Items(block.items.iter()));
                        }
                    }
                }
            }
        }
    }
}

/// The name, arguments and trivia of a directive, merged in file order.
fn head_leaves(directive: &Directive) -> impl Iterator<Item = TextRange> + '_ {
    let words = std::iter::once(&directive.name)
        .chain(directive.args.iter())
        .map(Word::range);
    let trivia = directive.trivia().iter().map(Trivia::range);
    MergeByStart {
        left: words.peekable(),
        right: trivia.peekable(),
    }
}

struct MergeByStart<L: Iterator<Item = TextRange>, R: Iterator<Item = TextRange>> {
    left: std::iter::Peekable<L>,
    right: std::iter::Peekable<R>,
}

impl<L: Iterator<Item = TextRange>, R: Iterator<Item = TextRange>> Iterator for MergeByStart<L, R> {
    type Item = TextRange;

    fn next(&mut self) -> Option<TextRange> {
        match (self.left.peek(), self.right.peek()) {
            (Some(left), Some(right)) if right.start < left.start => self.right.next(),
            (Some(_), _) => self.left.next(),
            (None, _) => self.right.next(),
        }
    }
}

/// Iterator of [`SyntaxTree::walk`].
pub struct Walk<'a> {
    stack: Vec<(std::slice::Iter<'a, Item>, usize)>,
}

impl<'a> Iterator for Walk<'a> {
    type Item = (usize, &'a Directive);

    fn next(&mut self) -> Option<(usize, &'a Directive)> {
        loop {
            let (items, depth) = self.stack.last_mut()?;
            let depth = *depth;
            let Some(item) = items.next() else {
                self.stack.pop();
                continue;
            };
            match item {
                Item::Directive(directive) => {
                    if let Some(block) = directive.block() {
                        self.stack.push((block.items.iter(), depth + 1));
                    }
                    return Some((depth, directive));
                }
                Item::OrphanBlock(block) => self.stack.push((block.items.iter(), depth + 1)),
                _ => {}
            }
        }
    }
}

/// A problem the tokenizer or block grammar found (or a nesting limit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// [`lint403_core::codes::SYNTAX_ERROR`] or
    /// [`lint403_core::codes::LIMIT_EXCEEDED`].
    pub code: Code,
    /// The offending bytes (empty at the end of the file for "unexpected
    /// end of file").
    pub range: TextRange,
    /// nginx's own words.
    pub message: String,
    pub label: String,
    pub help: String,
    /// Places that explain the error (the unclosed `{`, the open quote).
    pub related: Vec<(TextRange, String)>,
}

impl SyntaxError {
    pub fn to_diagnostic(&self, file: FileId) -> Diagnostic {
        let mut diagnostic = Diagnostic::new(self.code, Span::new(file, self.range), &self.message)
            .with_label(self.label.clone())
            .with_help(self.help.clone());
        for (range, message) in &self.related {
            diagnostic = diagnostic.with_related(Span::new(file, *range), message.clone());
        }
        diagnostic
    }
}

/// The tree of one file and what its parser found wrong.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParseOutput {
    pub tree: SyntaxTree,
    /// In file order; the first one of code `P001` is the one `nginx -t`
    /// reports (when nginx does not stop earlier on a directive error).
    pub errors: Vec<SyntaxError>,
}

impl ParseOutput {
    /// Whether the tokenizer and block grammar accepted the whole file.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn diagnostics(&self, file: FileId) -> Vec<Diagnostic> {
        self.errors
            .iter()
            .map(|error| error.to_diagnostic(file))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A known name is answered from the directive table; the answer must
    /// be the one the text gives, however the name is written.
    #[test]
    fn a_known_name_reads_as_the_text_does() {
        let text = "allow 10.0.0.1;\n\"deny\" all;\nloc\\ation / { }\nmy_module on;\n'' x;\n";
        let tree = parse(text).tree;
        let directives: Vec<&Directive> = tree.directives().collect();
        assert_eq!(directives.len(), 5);
        for directive in &directives {
            let from_text = directive.name.value(text);
            assert_eq!(directive.name(text), from_text);
            assert!(directive.is_named(text, &from_text));
            assert!(!directive.is_named(text, "alloww"));
            assert_eq!(
                directive.known(),
                crate::directives::lookup(&from_text),
                "{from_text}"
            );
        }
        assert_eq!(directives[1].name(text), "deny");
        assert_eq!(directives[2].name(text), "loc\\ation");
        assert!(directives[2].known().is_empty());
        assert!(directives[3].known().is_empty());
        assert!(!directives[0].known().is_empty());
    }

    /// A word's value is the unescaping of its content, borrowed exactly
    /// when unescaping changes nothing (a regex's `\.`): the lexer's
    /// `has_escape` must never skip a reduction.
    #[test]
    fn a_value_is_borrowed_only_when_unescaping_changes_nothing() {
        let text = concat!(
            "location ~ \\.php$ { }\n",
            "set $a \"x\\ty\" '\\'q\\'' \"\\\\.\" \\\\\\. a\\n \"\\d+\\\"\" end\\;\n",
            "rewrite ^/(\\w+)\\.html$ /$1 last;\n",
        );
        let tree = parse(text).tree;
        let mut words = 0;
        for directive in tree.directives() {
            for word in std::iter::once(&directive.name).chain(&directive.args) {
                let content = slice(text, word.content_range());
                let expected = unescape(content);
                let value = word.value(text);
                assert_eq!(value, expected, "{content:?}");
                assert_eq!(
                    matches!(value, Cow::Borrowed(_)),
                    expected == content,
                    "{content:?}"
                );
                words += 1;
            }
        }
        assert!(words >= 14, "{words} words read");
    }

    #[test]
    fn unescaping_follows_ngx_conf_read_token() {
        assert_eq!(unescape(r#"a\"b"#), "a\"b");
        assert_eq!(unescape(r"a\'b"), "a'b");
        assert_eq!(unescape(r"a\\b"), "a\\b");
        assert_eq!(unescape(r"a\tb\rc\nd"), "a\tb\rc\nd");
        assert_eq!(unescape(r"\.php$"), r"\.php$");
        assert_eq!(unescape(r#"\x\"y"#), "\\x\"y");
        assert_eq!(unescape("end\\"), "end\\");
    }

    #[test]
    fn word_value_strips_quotes() {
        let text = r#""a\"b" 'c' d"#;
        let double = Word::new(TextRange::new(0, 6), Quote::Double, false, true);
        let single = Word::new(TextRange::new(7, 10), Quote::Single, false, false);
        let bare = Word::new(TextRange::new(11, 12), Quote::None, false, false);
        assert_eq!(double.value(text), "a\"b");
        assert_eq!(single.value(text), "c");
        assert_eq!(bare.value(text), "d");
        assert!(bare.is(text, "d"));
        let unterminated = Word::new(TextRange::new(7, 9), Quote::Single, true, false);
        assert_eq!(unterminated.value(text), "c");
    }
}

#[cfg(test)]
mod size_tests {
    /// A large configuration holds a million directives: at 64 bytes an
    /// item, the scale-100 benchmark's syntax trees took 20 MB more.
    #[test]
    fn an_item_stays_small() {
        assert!(std::mem::size_of::<super::Item>() <= 48);
        assert!(std::mem::size_of::<super::Word>() <= 12);
        assert_eq!(
            std::mem::size_of::<Option<crate::directives::NameIndex>>(),
            4
        );
        assert!(std::mem::size_of::<super::Block>() <= 40);
    }

    /// Comments between a directive's words are kept with its end, and
    /// printed back in place.
    #[test]
    fn trivia_stays_with_the_end() {
        for text in [
            "allow # who\n 10.0.0.0/8;",
            "location / # root\n { deny all; }",
            "deny # unfinished",
        ] {
            let tree = crate::parse(text).tree;
            let directive = tree.directives().next().expect("a directive");
            assert_eq!(directive.trivia().len(), 1, "{text}");
            assert_eq!(tree.print(text), text);
            assert_eq!(directive.range().end, text.len(), "{text}");
        }
        let tree = crate::parse("allow 10.0.0.0/8;").tree;
        let directive = tree.directives().next().expect("a directive");
        assert!(directive.trivia().is_empty());
        assert!(matches!(directive.end(), super::DirectiveEnd::Semicolon(_)));
    }
}
