//! The lossless syntax tree of one Apache httpd configuration file.
//!
//! Every node keeps the byte ranges of the physical lines it came from, so
//! that a span always points into the file as it is on disk, and so that
//! [`print`](super::print) can write the file back byte for byte.

use lint403_core::{Code, FileId, TextRange};

/// How a word was quoted in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quote {
    /// Not quoted: the word ran to the next blank.
    None,
    /// `"..."`
    Double,
    /// `'...'`
    Single,
}

/// A byte range of the file as two `u32`s: a large configuration's tree
/// holds millions of ranges (every line has several, every word two), and
/// its files are far smaller than 4 GiB (an offset past that is clamped,
/// never wrapped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Offsets {
    start: u32,
    end: u32,
}

impl Offsets {
    pub(super) fn of(range: TextRange) -> Offsets {
        let offset = |at: usize| u32::try_from(at).unwrap_or(u32::MAX);
        Offsets {
            start: offset(range.start),
            end: offset(range.end),
        }
    }

    pub(super) fn range(self) -> TextRange {
        TextRange::new(self.start as usize, self.end as usize)
    }
}

/// Where a word's unescaped value lives.
#[derive(Debug, Clone, PartialEq, Eq)]
enum WordValue {
    /// A slice of the file: the value needed no unescaping, no joining of
    /// continued lines and no `${VAR}` substitution.
    Source(Offsets),
    /// The value as httpd sees it, built because it differs from any slice
    /// of the file (boxed twice: a thin pointer keeps every word small, and
    /// few words need one).
    #[allow(clippy::box_collection)]
    Owned(Box<String>),
}

/// One word as `ap_getword_conf` splits a line: a run of non-blank
/// characters, or a quoted string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// [`Word::raw`].
    raw: Offsets,
    /// How the word was quoted.
    pub quote: Quote,
    /// For a quoted word: whether the closing quote was there (httpd takes
    /// an unterminated quote to the end of the line, and accepts it).
    pub closed: bool,
    value: WordValue,
}

impl Word {
    pub(crate) fn from_source(
        raw: TextRange,
        quote: Quote,
        closed: bool,
        value: TextRange,
    ) -> Word {
        Word {
            raw: Offsets::of(raw),
            quote,
            closed,
            value: WordValue::Source(Offsets::of(value)),
        }
    }

    pub(crate) fn owned(raw: TextRange, quote: Quote, closed: bool, value: String) -> Word {
        Word {
            raw: Offsets::of(raw),
            quote,
            closed,
            value: WordValue::Owned(Box::new(value)),
        }
    }

    /// The bytes of the file the word came from, quotes included. When the
    /// word came out of a `${VAR}` substitution this is the whole `${VAR}`.
    pub fn raw(&self) -> TextRange {
        self.raw.range()
    }

    /// The value httpd sees: quotes removed, `\\` and `\<quote>` unescaped,
    /// continued lines joined, `${VAR}` substituted. `text` is the text of
    /// the file this word was parsed from.
    pub fn value<'a>(&'a self, text: &'a str) -> &'a str {
        match &self.value {
            WordValue::Source(range) => text
                .get(range.start as usize..range.end as usize)
                .unwrap_or_default(),
            WordValue::Owned(value) => value,
        }
    }

    /// The range of the file that is the value, when the value is a plain
    /// slice of the file.
    pub fn source_range(&self) -> Option<TextRange> {
        match self.value {
            WordValue::Source(range) => Some(range.range()),
            WordValue::Owned(_) => None,
        }
    }

    /// The word as written in the file.
    pub fn raw_text<'a>(&self, text: &'a str) -> &'a str {
        let raw = self.raw();
        text.get(raw.start..raw.end).unwrap_or_default()
    }
}

/// One logical line: the physical lines that backslash-newline joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// [`Line::range`].
    range: Offsets,
    first_piece: Offsets,
    /// The pieces after the first (a thin pointer, null for the lines that
    /// continue on no other, nearly all of them).
    #[allow(clippy::box_collection)]
    more_pieces: Option<Box<Vec<TextRange>>>,
    /// [`Line::ignored`]; `start` is `u32::MAX` for none.
    ignored: Offsets,
    /// [`Line::terminator`].
    terminator: Offsets,
}

/// [`Line::ignored`] when there is none.
const NOTHING_IGNORED: Offsets = Offsets {
    start: u32::MAX,
    end: u32::MAX,
};

impl Line {
    pub(crate) fn new(
        range: TextRange,
        first_piece: TextRange,
        more_pieces: Vec<TextRange>,
        ignored: Option<TextRange>,
        terminator: TextRange,
    ) -> Line {
        Line {
            range: Offsets::of(range),
            first_piece: Offsets::of(first_piece),
            more_pieces: (!more_pieces.is_empty()).then(|| Box::new(more_pieces)),
            ignored: ignored.map_or(NOTHING_IGNORED, Offsets::of),
            terminator: Offsets::of(terminator),
        }
    }

    /// Every byte of every physical line it covers, terminator included.
    pub fn range(&self) -> TextRange {
        self.range.range()
    }

    /// The bytes from a NUL to the end of its physical line: httpd reads
    /// lines as C strings and never sees them (the line ends there, so a
    /// backslash after the NUL does not continue it).
    pub fn ignored(&self) -> Option<TextRange> {
        (self.ignored != NOTHING_IGNORED).then(|| self.ignored.range())
    }

    /// The newline ending the last physical line; empty at end of file.
    pub fn terminator(&self) -> TextRange {
        self.terminator.range()
    }

    /// The content of each physical line, without the backslash-newline
    /// that continues it and without the final newline.
    pub fn pieces(&self) -> impl Iterator<Item = TextRange> + '_ {
        std::iter::once(self.first_piece.range()).chain(self.continuation_pieces().iter().copied())
    }

    /// How many physical lines this logical line spans.
    pub fn physical_line_count(&self) -> usize {
        1 + self.continuation_pieces().len()
    }

    /// The physical lines after the first: for a comment, the lines it
    /// swallowed through a trailing backslash.
    pub fn continuation_pieces(&self) -> &[TextRange] {
        self.more_pieces.as_deref().map_or(&[], Vec::as_slice)
    }

    /// The content of the last physical line. httpd numbers a logical line
    /// by its last physical line, so errors point here.
    pub fn last_piece(&self) -> TextRange {
        self.continuation_pieces()
            .last()
            .copied()
            .unwrap_or(self.first_piece.range())
    }
}

/// A line whose first non-blank character is `#` (after joining continued
/// lines: a comment ending in a backslash swallows the next line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// The logical line, with every physical line it swallowed.
    pub line: Line,
    /// From the `#` to the last non-blank character.
    pub text: TextRange,
}

impl Comment {
    /// Whether a trailing backslash made the following physical line(s)
    /// part of this comment.
    pub fn swallows_lines(&self) -> bool {
        self.line.physical_line_count() > 1
    }
}

/// A file that an `Include` pulled in, as an index into
/// [`LoadedConfig::files`](crate::LoadedConfig::files).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncludeTarget {
    /// The file in the source map.
    pub file: FileId,
    /// Its index in `LoadedConfig::files` (a file read twice has two).
    pub loaded: usize,
}

/// A directive: a name and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// The logical line the directive stands on.
    pub line: Line,
    /// The first word (a trailing `>` is dropped by httpd; see
    /// [`Directive::name`]).
    pub name_word: Word,
    /// The remaining words, as `ap_getword_conf` splits them. Modules with
    /// their own argument parsers (`Require`, `RewriteRule`) see
    /// [`Directive::args_range`] instead.
    pub args: Box<[Word]>,
    /// [`Directive::args_range`].
    pub(super) args_range: Offsets,
    /// [`Directive::expanded`] and [`Directive::included`], which few
    /// directives have: a thin pointer, null for the others.
    rare: Option<Box<Rare>>,
}

/// What few directives have.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Rare {
    expanded: Option<Box<str>>,
    included: Vec<IncludeTarget>,
}

impl Directive {
    pub(crate) fn new(
        line: Line,
        name_word: Word,
        args: Box<[Word]>,
        args_range: TextRange,
        expanded: Option<Box<str>>,
    ) -> Directive {
        Directive {
            line,
            name_word,
            args,
            args_range: Offsets::of(args_range),
            rare: expanded.map(|expanded| {
                Box::new(Rare {
                    expanded: Some(expanded),
                    included: Vec::new(),
                })
            }),
        }
    }

    /// The logical line after `${VAR}` substitution, when a substitution
    /// happened.
    pub fn expanded(&self) -> Option<&str> {
        self.rare.as_ref()?.expanded.as_deref()
    }

    /// For `Include`/`IncludeOptional` read by [`load`](crate::load): the
    /// files it pulled in, in the order httpd reads them.
    pub fn included(&self) -> &[IncludeTarget] {
        self.rare
            .as_ref()
            .map_or(&[], |rare| rare.included.as_slice())
    }

    /// Records a file this `Include` pulled in.
    pub(crate) fn add_included(&mut self, target: IncludeTarget) {
        self.rare
            .get_or_insert_with(Box::default)
            .included
            .push(target);
    }

    /// Everything after the name, trimmed.
    pub fn args_range(&self) -> TextRange {
        self.args_range.range()
    }

    /// The directive name as httpd looks it up (case-insensitively).
    pub fn name<'a>(&'a self, text: &'a str) -> &'a str {
        command_name(self.name_word.value(text))
    }

    /// Whether this directive is `name` (ASCII case-insensitive).
    pub fn is(&self, text: &str, name: &str) -> bool {
        self.name(text).eq_ignore_ascii_case(name)
    }

    /// The argument values.
    pub fn arg_values<'a>(&'a self, text: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.args.iter().map(move |word| word.value(text))
    }
}

/// httpd drops one trailing `>` from a directive or section name.
pub(crate) fn command_name(word: &str) -> &str {
    if word.as_bytes().get(1) == Some(&b'/') {
        return word;
    }
    word.strip_suffix('>').unwrap_or(word)
}

/// The section kinds httpd 2.4 and its common modules define; each
/// variant is the section of that name (`Directory` is `<Directory>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SectionKind {
    Directory,
    DirectoryMatch,
    Files,
    FilesMatch,
    Location,
    LocationMatch,
    If,
    ElseIf,
    Else,
    IfModule,
    IfDefine,
    IfVersion,
    IfFile,
    IfDirective,
    IfSection,
    Limit,
    LimitExcept,
    VirtualHost,
    RequireAll,
    RequireAny,
    RequireNone,
    Proxy,
    ProxyMatch,
    /// Any other `<Name ...>`: httpd nests it like a section and, unless a
    /// loaded module defines it, rejects it as an invalid command.
    Other,
}

impl SectionKind {
    const NAMES: [(&'static str, SectionKind); 23] = [
        ("Directory", SectionKind::Directory),
        ("DirectoryMatch", SectionKind::DirectoryMatch),
        ("Files", SectionKind::Files),
        ("FilesMatch", SectionKind::FilesMatch),
        ("Location", SectionKind::Location),
        ("LocationMatch", SectionKind::LocationMatch),
        ("If", SectionKind::If),
        ("ElseIf", SectionKind::ElseIf),
        ("Else", SectionKind::Else),
        ("IfModule", SectionKind::IfModule),
        ("IfDefine", SectionKind::IfDefine),
        ("IfVersion", SectionKind::IfVersion),
        ("IfFile", SectionKind::IfFile),
        ("IfDirective", SectionKind::IfDirective),
        ("IfSection", SectionKind::IfSection),
        ("Limit", SectionKind::Limit),
        ("LimitExcept", SectionKind::LimitExcept),
        ("VirtualHost", SectionKind::VirtualHost),
        ("RequireAll", SectionKind::RequireAll),
        ("RequireAny", SectionKind::RequireAny),
        ("RequireNone", SectionKind::RequireNone),
        ("Proxy", SectionKind::Proxy),
        ("ProxyMatch", SectionKind::ProxyMatch),
    ];

    /// The kind named `name` (without `<`), case-insensitively.
    pub fn from_name(name: &str) -> SectionKind {
        SectionKind::NAMES
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(name))
            .map_or(SectionKind::Other, |(_, kind)| *kind)
    }

    /// httpd's spelling of the name, `None` for [`SectionKind::Other`].
    pub fn canonical_name(self) -> Option<&'static str> {
        SectionKind::NAMES
            .iter()
            .find(|(_, kind)| *kind == self)
            .map(|(name, _)| *name)
    }

    /// Conditional sections are evaluated while httpd reads the file
    /// (`EXEC_ON_READ`): their body is read by a loop of its own, which
    /// closes them only on a line that is exactly `</Name>`, and which
    /// sections opened inside must not outlive.
    pub fn is_conditional(self) -> bool {
        matches!(
            self,
            SectionKind::IfModule
                | SectionKind::IfDefine
                | SectionKind::IfVersion
                | SectionKind::IfFile
                | SectionKind::IfDirective
                | SectionKind::IfSection
        )
    }
}

/// `<Name args>`: the opening line of a section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenTag {
    /// The logical line of the opening tag.
    pub line: Line,
    /// The first word, `<Name` (or `<Name>` when nothing follows).
    pub name_word: Word,
    /// The words before the last `>` of the line.
    pub args: Box<[Word]>,
    /// [`OpenTag::args_range`].
    pub(super) args_range: Offsets,
    /// The last `>` of the line; `None` when the line has none ("directive
    /// missing closing '>'").
    pub gt: Option<TextRange>,
    /// Non-blank text after the last `>`, which httpd silently drops.
    pub trailing: Option<TextRange>,
    /// The logical line after `${VAR}` substitution, when one happened.
    pub expanded: Option<Box<str>>,
}

impl OpenTag {
    /// The raw text before the last `>`, trimmed.
    pub fn args_range(&self) -> TextRange {
        self.args_range.range()
    }

    /// The section name without `<` (and without a `>` glued to it).
    pub fn name<'a>(&'a self, text: &'a str) -> &'a str {
        let word = command_name(self.name_word.value(text));
        word.strip_prefix('<').unwrap_or(word)
    }

    /// The argument values.
    pub fn arg_values<'a>(&'a self, text: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.args.iter().map(move |word| word.value(text))
    }
}

/// `</Name>`: the closing line of a section (or a stray one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseTag {
    /// The logical line of the closing tag.
    pub line: Line,
    /// The first word, `</Name>`.
    pub name_word: Word,
    /// Non-blank text after the first word, which httpd ignores.
    pub trailing: Option<TextRange>,
}

impl CloseTag {
    /// The name between `</` and `>`.
    pub fn name<'a>(&'a self, text: &'a str) -> &'a str {
        let word = self.name_word.value(text);
        let word = word.strip_prefix("</").unwrap_or(word);
        word.strip_suffix('>').unwrap_or(word)
    }
}

/// A section: its opening line, its body and its closing line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Which section this is (by the opening tag's name).
    pub kind: SectionKind,
    /// The opening line.
    pub open: OpenTag,
    /// The lines between the opening and the closing line.
    pub body: Vec<Node>,
    /// `None` when the section is never closed (a syntax error), or when it
    /// lies deeper than [`MAX_SECTION_DEPTH`](super::MAX_SECTION_DEPTH) and
    /// its closing line follows as a [`Node::Close`] sibling.
    pub close: Option<CloseTag>,
    /// Nested deeper than lint403 builds a tree for: its body and closing
    /// line follow as siblings.
    pub flattened: bool,
}

/// One node of the tree: each logical line is exactly one node (a section
/// contributes its opening and closing lines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A line with nothing but blanks.
    Blank(Line),
    /// A line whose first non-blank character is `#`.
    Comment(Comment),
    /// A directive line.
    Directive(Directive),
    /// A section with its body.
    Section(Box<Section>),
    /// A closing line that closes no section of this tree: a stray closer,
    /// or the closer of a flattened section.
    Close(CloseTag),
}

impl Node {
    /// The logical line this node starts with.
    pub fn line(&self) -> &Line {
        match self {
            Node::Blank(line) => line,
            Node::Comment(comment) => &comment.line,
            Node::Directive(directive) => &directive.line,
            Node::Section(section) => &section.open.line,
            Node::Close(close) => &close.line,
        }
    }
}

/// A problem found while parsing, in the file's own byte offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// `P001` for what httpd's reader refuses; `P002`, `P008` otherwise.
    pub code: Code,
    /// The offending bytes.
    pub range: TextRange,
    /// Short text for the primary label.
    pub label: String,
    /// What httpd says (quoted where it says something).
    pub message: String,
    /// How to fix it.
    pub help: String,
    /// Secondary locations in the same file.
    pub related: Vec<(TextRange, String)>,
}

/// The tree of one file and the problems found reading it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedFile {
    /// The top-level nodes, in file order.
    pub nodes: Vec<Node>,
    /// Problems found while reading, in the order they were found.
    pub errors: Vec<SyntaxError>,
    /// Length of the parsed text, so that printing can check coverage.
    pub len: usize,
}

impl ParsedFile {
    /// Whether any error is a syntax error (`P001`).
    pub fn has_syntax_error(&self) -> bool {
        self.errors
            .iter()
            .any(|error| error.code == lint403_core::codes::SYNTAX_ERROR)
    }

    /// Every node in reading order, without recursion.
    pub fn walk(&self) -> Walk<'_> {
        Walk {
            stack: vec![(self.nodes.iter(), None)],
        }
    }
}

/// One step of [`ParsedFile::walk`].
#[derive(Debug, Clone, Copy)]
pub enum Visit<'a> {
    /// A node; for a section, its opening line (the body follows).
    Enter(&'a Node),
    /// The end of a section's body.
    Leave(&'a Section),
}

/// Iterative pre-order walk over a tree; yields the nesting depth with
/// each visit.
pub struct Walk<'a> {
    stack: Vec<(std::slice::Iter<'a, Node>, Option<&'a Section>)>,
}

impl<'a> Iterator for Walk<'a> {
    type Item = (usize, Visit<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let depth = self.stack.len().checked_sub(1)?;
        let (iter, _) = self.stack.last_mut()?;
        if let Some(node) = iter.next() {
            if let Node::Section(section) = node {
                self.stack.push((section.body.iter(), Some(section)));
            }
            return Some((depth, Visit::Enter(node)));
        }
        let (_, section) = self.stack.pop()?;
        section.map(|section| (depth - 1, Visit::Leave(section)))
    }
}

#[cfg(test)]
mod tests {
    /// A large virtual-host file has hundreds of thousands of lines, each
    /// a node, and twice as many words: at 224 bytes a node and 48 a word,
    /// the scale-100 benchmark's Apache part took 350 MiB.
    #[test]
    fn nodes_words_and_lines_stay_small() {
        assert!(std::mem::size_of::<super::Node>() <= 104);
        assert!(std::mem::size_of::<super::Word>() <= 32);
        assert!(std::mem::size_of::<super::Line>() <= 40);
    }

    /// An offset past 4 GiB is clamped, not wrapped.
    #[test]
    fn offsets_past_u32_are_clamped() {
        let range = lint403_core::TextRange::new(7, usize::MAX);
        let kept = super::Offsets::of(range).range();
        assert_eq!((kept.start, kept.end), (7, u32::MAX as usize));
    }
}
