//! Plain patterns matched without an automaton library: the extension
//! lists, path prefixes and bot names that make up most of a repository's
//! regexes (`\.(?:php[0-9]?|phtml)$`, `^/api/v[0-9]+/`, `(?i)curl`).
//!
//! `regex` parses such a pattern into Unicode classes and compiles an NFA
//! and a lazy DFA for it, about 60,000 instructions and 7 KB per pattern
//! before the first match; a large configuration holds tens of thousands
//! of them, each asked about a few short paths. Here a pattern of ASCII
//! characters in a small subset of `regex`'s syntax becomes a position
//! automaton (Glushkov's construction) of at most 64 positions, simulated
//! with bit sets over ASCII text. Every pattern accepted here is one
//! `regex` accepts, and on ASCII text it matches exactly where `regex`
//! does (whether a match exists: the only question asked of it); other
//! texts, and capture groups, go to `regex`'s engines.

/// Positions (characters, classes, `.`) one branch may hold: a bit each.
const MAX_POSITIONS: usize = 64;

/// Groups nested deeper than this are left to `regex`.
const MAX_DEPTH: u32 = 16;

/// A pattern's top-level branches (`a|b`), each with its own anchors, or
/// a pattern that is one literal text.
#[derive(Debug)]
pub(super) enum Small {
    Branches(Box<[Branch]>),
    Literal(Box<Literal>),
}

/// A pattern of literal characters, perhaps anchored, or followed by
/// `(/|$)`, with groups of literal alternatives (`\.(?:gif|png)$`): the
/// `Redirect /old` lines Apache configurations hold by the thousand are
/// lowered to `^/old(/|$)`, and many location and `SetEnvIf` patterns are
/// plain text (`\.php$`, `AhrefsBot`) or lists of extensions. Recognised
/// in one scan and matched by comparing bytes, where building the position
/// automaton took some ten thousand instructions.
#[derive(Debug)]
pub(super) struct Literal {
    /// Every text the pattern spells, escapes resolved (lowercase under
    /// `case_insensitive`).
    texts: Box<[Box<[u8]>]>,
    case_insensitive: bool,
    at_start: bool,
    end: LiteralEnd,
    /// The bytes a text must have at the anchored edge (its first byte
    /// under `^`, else its last under `$`) for a match, when one edge is
    /// anchored and no spelled text is empty: most texts asked are turned
    /// down by that one byte, as the automaton turns them down.
    edge: Option<Bytes>,
}

/// What must follow the literal text.
#[derive(Clone, Copy, Debug, PartialEq)]
enum LiteralEnd {
    Anything,
    /// `$`: the end of the text.
    TextEnd,
    /// `(/|$)` or `(?:/|$)`: a `/` or the end of the text.
    SlashOrTextEnd,
}

/// Texts a [`Literal`] may spell; past that, groups multiply into more
/// comparisons than the automaton's steps.
const MAX_LITERAL_TEXTS: usize = 32;

/// The pattern before a `(/|$)` or `(?:/|$)` that ends it: "a `/` or the
/// end of the text", which the position automaton cannot hold (a `$`
/// inside a group) and a [`Literal`] or the distributed form can.
pub(super) fn slash_or_end_stem(pattern: &str) -> Option<&str> {
    pattern
        .strip_suffix("(/|$)")
        .or_else(|| pattern.strip_suffix("(?:/|$)"))
}

/// Whether a backslash and `byte` stand for `byte` itself: ASCII
/// punctuation, but `\<` and `\>`, which `regex` refuses (word boundaries
/// there).
fn escapes_itself(byte: u8) -> bool {
    byte.is_ascii_punctuation() && !matches!(byte, b'<' | b'>')
}

/// Whether `byte`, unescaped, stands for itself: printable ASCII that is
/// none of the syntax characters.
fn stands_for_itself(byte: u8) -> bool {
    matches!(byte, b' '..=b'~')
        && !matches!(
            byte,
            b'*' | b'+'
                | b'?'
                | b'{'
                | b'}'
                | b'['
                | b']'
                | b'('
                | b')'
                | b'^'
                | b'$'
                | b'|'
                | b'.'
                | b'\\'
        )
}

impl Literal {
    /// The literal that `pattern` (ASCII) is, if it is one; escapes follow
    /// [`Parser::escape`], and every byte [`Parser::atom`] takes as itself
    /// is taken so here.
    fn parse(pattern: &str, case_insensitive: bool) -> Option<Literal> {
        let (at_start, rest) = match pattern.strip_prefix('^') {
            Some(rest) => (true, rest),
            None => (false, pattern),
        };
        let (rest, end) = if let Some(stem) = slash_or_end_stem(rest) {
            (stem, LiteralEnd::SlashOrTextEnd)
        } else if let Some(stem) = rest.strip_suffix('$') {
            (stem, LiteralEnd::TextEnd)
        } else {
            (rest, LiteralEnd::Anything)
        };
        let mut texts: Vec<Vec<u8>> = vec![Vec::with_capacity(rest.len())];
        let mut bytes = rest.as_bytes().iter();
        while let Some(&byte) = bytes.next() {
            if byte == b'(' {
                let alternatives = Literal::group(&mut bytes, case_insensitive)?;
                if texts.len() * alternatives.len() > MAX_LITERAL_TEXTS {
                    return None;
                }
                texts = texts
                    .iter()
                    .flat_map(|text| {
                        alternatives
                            .iter()
                            .map(move |alternative| [text.as_slice(), alternative].concat())
                    })
                    .collect();
                continue;
            }
            let literal = Literal::character(byte, &mut bytes, case_insensitive)?;
            Literal::append(&mut texts, literal)?;
        }
        let edge_byte = |text: &Vec<u8>| {
            if at_start {
                text.first().copied()
            } else if end == LiteralEnd::TextEnd {
                text.last().copied()
            } else {
                None
            }
        };
        let edge = texts.iter().try_fold(Bytes::default(), |edge, text| {
            let byte = Bytes::of(edge_byte(text)?);
            Some(edge.union(if case_insensitive {
                byte.folded()
            } else {
                byte
            }))
        });
        Some(Literal {
            texts: texts.into_iter().map(Vec::into_boxed_slice).collect(),
            case_insensitive,
            at_start,
            end,
            edge,
        })
    }

    /// After `(`: `?:` or nothing, then literal alternatives up to `)`.
    fn group(bytes: &mut std::slice::Iter<'_, u8>, case_insensitive: bool) -> Option<Vec<Vec<u8>>> {
        if bytes.as_slice().first() == Some(&b'?') {
            if bytes.as_slice().get(1) != Some(&b':') {
                return None;
            }
            bytes.next();
            bytes.next();
        }
        let mut alternatives = Vec::new();
        // The texts of the alternative being read.
        let mut current = vec![Vec::new()];
        loop {
            let &byte = bytes.next()?;
            match byte {
                b')' | b'|' => {
                    alternatives.append(&mut current);
                    if alternatives.len() > MAX_LITERAL_TEXTS {
                        return None;
                    }
                    if byte == b')' {
                        return Some(alternatives);
                    }
                    current.push(Vec::new());
                }
                _ => {
                    let literal = Literal::character(byte, bytes, case_insensitive)?;
                    Literal::append(&mut current, literal)?;
                }
            }
        }
    }

    /// Each text followed by `literal`, and also without it when it is
    /// optional (`woff2?`).
    fn append(texts: &mut Vec<Vec<u8>>, (byte, optional): (u8, bool)) -> Option<()> {
        if optional {
            if 2 * texts.len() > MAX_LITERAL_TEXTS {
                return None;
            }
            let without = texts.clone();
            for text in texts.iter_mut() {
                text.push(byte);
            }
            texts.extend(without);
        } else {
            for text in texts.iter_mut() {
                text.push(byte);
            }
        }
        Some(())
    }

    /// The character `byte` (and, after a `\`, the next) stands for, if it
    /// stands for itself, and whether a `?` makes it optional.
    fn character(
        byte: u8,
        bytes: &mut std::slice::Iter<'_, u8>,
        case_insensitive: bool,
    ) -> Option<(u8, bool)> {
        let literal = match byte {
            b'\\' => {
                let &escaped = bytes.next()?;
                escapes_itself(escaped).then_some(escaped)?
            }
            _ if stands_for_itself(byte) => byte,
            _ => return None,
        };
        // A quantifier binds to the character before it: `?` makes it
        // optional; the others (and a second quantifier) are the
        // automaton's.
        let optional = bytes.as_slice().first() == Some(&b'?');
        if optional {
            bytes.next();
        }
        if matches!(bytes.as_slice().first(), Some(b'*' | b'+' | b'?' | b'{')) {
            return None;
        }
        let literal = if case_insensitive {
            literal.to_ascii_lowercase()
        } else {
            literal
        };
        Some((literal, optional))
    }

    fn is_match(&self, text: &[u8]) -> bool {
        if let Some(edge) = self.edge {
            let byte = if self.at_start {
                text.first()
            } else {
                text.last()
            };
            if !byte.is_some_and(|&byte| edge.contains(byte)) {
                return false;
            }
        }
        self.texts
            .iter()
            .any(|literal| self.spelled_in(literal, text))
    }

    fn spelled_in(&self, literal: &[u8], text: &[u8]) -> bool {
        let length = literal.len();
        let Some(last_start) = text.len().checked_sub(length) else {
            return false;
        };
        let starts = if self.at_start {
            0..=0
        } else if self.end == LiteralEnd::TextEnd {
            last_start..=last_start
        } else {
            0..=last_start
        };
        // From the end: the texts of a list (`\.(?:gif|png)$`) mostly
        // differ there, and a path is turned down at its last byte.
        let same = |candidate: &[u8]| {
            candidate
                .iter()
                .rev()
                .zip(literal.iter().rev())
                .all(|(&byte, &expected)| {
                    byte == expected
                        || (self.case_insensitive && byte.to_ascii_lowercase() == expected)
                })
        };
        let matches_at = |start: usize| {
            same(&text[start..start + length])
                && match self.end {
                    LiteralEnd::Anything => true,
                    LiteralEnd::TextEnd => start + length == text.len(),
                    LiteralEnd::SlashOrTextEnd => {
                        text.get(start + length).is_none_or(|&next| next == b'/')
                    }
                }
        };
        let Some(&first) = literal.first() else {
            return starts.into_iter().any(matches_at);
        };
        if starts.start() == starts.end() {
            return matches_at(*starts.start());
        }
        // Unanchored: only where the text has the first byte, found by
        // `memchr` (a virtual host's `SetEnvIf` patterns are asked of
        // every request a rule traces there).
        let window = &text[..=last_start];
        let upper = first.to_ascii_uppercase();
        if self.case_insensitive && upper != first {
            memchr::memchr2_iter(first, upper, window).any(matches_at)
        } else {
            memchr::memchr_iter(first, window).any(matches_at)
        }
    }
}

#[derive(Debug)]
pub(super) struct Branch {
    /// `^` first: matches start at the start of the text.
    at_start: bool,
    /// `$` last: matches end at the end of the text.
    at_end: bool,
    /// The empty text is in the branch's language.
    nullable: bool,
    first: u64,
    last: u64,
    /// How many positions the branch has.
    positions: usize,
    /// In one block (a pattern is built in thousands per configuration,
    /// and each block is an allocation): the positions that may follow
    /// each position, then the positions each position may follow, then
    /// the positions that accept the bytes of each class.
    masks: Box<[u64]>,
    /// The class of each ASCII byte: bytes every position treats alike
    /// share one. A step of the simulation is then one mask, not a test
    /// per live position (the test per position was most of a match).
    class_of: [u8; 128],
}

/// A set of ASCII bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Bytes([u64; 2]);

impl Bytes {
    fn of(byte: u8) -> Bytes {
        Bytes::range(byte, byte)
    }

    fn range(low: u8, high: u8) -> Bytes {
        let high = high.min(127);
        if low > high {
            return Bytes::default();
        }
        // Bits `low..=high` of a 128-bit set, without a step per byte.
        let width = u32::from(high - low) + 1;
        let run = if width == 128 {
            u128::MAX
        } else {
            ((1u128 << width) - 1) << low
        };
        #[allow(clippy::cast_possible_truncation)]
        Bytes([run as u64, (run >> 64) as u64])
    }

    /// The one byte of a set of one (an escaped character), which may end
    /// a range; `None` for a class (`\d`).
    fn single(self) -> Option<u8> {
        (self.0[0].count_ones() + self.0[1].count_ones() == 1)
            .then(|| (0..128u8).find(|&byte| self.contains(byte)))
            .flatten()
    }

    fn contains(self, byte: u8) -> bool {
        byte < 128 && (self.0[usize::from(byte >> 6)] >> (byte & 63)) & 1 == 1
    }

    fn union(self, other: Bytes) -> Bytes {
        Bytes([self.0[0] | other.0[0], self.0[1] | other.0[1]])
    }

    fn complement(self) -> Bytes {
        Bytes([!self.0[0], !self.0[1]])
    }

    /// With the other case of every letter: on ASCII text, what `regex`'s
    /// Unicode simple case folding adds (its non-ASCII additions, such as
    /// U+212A for `k`, never meet an ASCII byte).
    fn folded(self) -> Bytes {
        // `A`–`Z` are bits 1–26 of the second word and `a`–`z` bits 33–58:
        // a shift by 32 turns one case into the other.
        const UPPER: u64 = ((1 << 26) - 1) << 1;
        let [low, high] = self.0;
        let letters = (high & UPPER) | ((high >> 32) & UPPER);
        Bytes([low, high | letters | (letters << 32)])
    }

    fn digits() -> Bytes {
        Bytes::range(b'0', b'9')
    }

    /// `\w` on ASCII text.
    fn word() -> Bytes {
        Bytes::digits()
            .union(Bytes::range(b'A', b'Z'))
            .union(Bytes::range(b'a', b'z'))
            .union(Bytes::of(b'_'))
    }

    /// `\s` on ASCII text: Unicode `White_Space` there is `\t` to `\r` and
    /// the space.
    fn space() -> Bytes {
        Bytes::range(b'\t', b'\r').union(Bytes::of(b' '))
    }
}

/// A parsed pattern, before positions are numbered.
enum Node {
    Set(Bytes),
    Concat(Vec<Node>),
    Alternation(Vec<Node>),
    Repeat {
        node: Box<Node>,
        min: u32,
        max: Option<u32>,
    },
}

impl Small {
    /// `None` for a pattern outside the subset (it is then `regex`'s or
    /// `fancy-regex`'s to judge).
    pub(super) fn new(pattern: &str, case_insensitive: bool) -> Option<Small> {
        if !pattern.is_ascii() {
            return None;
        }
        if let Some(literal) = Literal::parse(pattern, case_insensitive) {
            return Some(Small::Literal(Box::new(literal)));
        }
        // The parser below refuses a `$` inside a group; the caller tries
        // such a pattern with the `$` distributed.
        if slash_or_end_stem(pattern).is_some() {
            return None;
        }
        let mut parser = Parser {
            bytes: pattern.as_bytes(),
            at: 0,
            case_insensitive,
            depth: 0,
        };
        let mut branches = Vec::new();
        loop {
            let at_start = parser.eat(b'^');
            let (node, at_end) = parser.concat(true)?;
            branches.push(Branch::build(&node, at_start, at_end)?);
            if parser.at == parser.bytes.len() {
                break;
            }
            if !parser.eat(b'|') {
                return None;
            }
        }
        Some(Small::Branches(branches.into_boxed_slice()))
    }

    /// Whether the pattern matches somewhere in `text`, which must be ASCII.
    pub(super) fn is_match(&self, text: &[u8]) -> bool {
        debug_assert!(text.is_ascii());
        match self {
            Small::Branches(branches) => branches.iter().any(|branch| branch.is_match(text)),
            Small::Literal(literal) => literal.is_match(text),
        }
    }
}

struct Parser<'a> {
    bytes: &'a [u8],
    at: usize,
    case_insensitive: bool,
    depth: u32,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.at + ahead).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let eaten = self.peek() == Some(byte);
        if eaten {
            self.at += 1;
        }
        eaten
    }

    fn eat_str(&mut self, text: &[u8]) -> bool {
        let eaten = self.bytes[self.at..].starts_with(text);
        if eaten {
            self.at += text.len();
        }
        eaten
    }

    /// Items up to `|`, `)` or the end; at the top level a `$` just before
    /// one of those ends the branch (the bool).
    fn concat(&mut self, top: bool) -> Option<(Node, bool)> {
        let mut items = Vec::new();
        loop {
            match self.peek() {
                None | Some(b'|' | b')') => return Some((Node::Concat(items), false)),
                Some(b'$') if top => {
                    self.at += 1;
                    return matches!(self.peek(), None | Some(b'|'))
                        .then_some((Node::Concat(items), true));
                }
                Some(_) => {
                    let atom = self.atom()?;
                    items.push(self.repetition(atom)?);
                }
            }
        }
    }

    /// Branches up to the `)` that closes a group.
    fn group_body(&mut self) -> Option<Node> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        let mut branches = Vec::new();
        loop {
            let (node, _) = self.concat(false)?;
            branches.push(node);
            if self.eat(b')') {
                break;
            }
            if !self.eat(b'|') {
                return None;
            }
        }
        self.depth -= 1;
        Some(Node::Alternation(branches))
    }

    fn atom(&mut self) -> Option<Node> {
        let byte = self.peek()?;
        self.at += 1;
        match byte {
            b'(' => {
                if self.eat(b'?') && !self.eat(b':') && !self.group_name() {
                    return None;
                }
                self.group_body()
            }
            b'[' => self.class().map(Node::Set),
            b'.' => Some(Node::Set(Bytes::of(b'\n').complement())),
            b'\\' => self.escape().map(|set| Node::Set(self.cased(set))),
            _ if stands_for_itself(byte) => Some(Node::Set(self.cased(Bytes::of(byte)))),
            _ => None,
        }
    }

    /// `P<name>` or `<name>` after `(?`.
    fn group_name(&mut self) -> bool {
        if !self.eat_str(b"P<") && !self.eat(b'<') {
            return false;
        }
        let start = self.at;
        while self
            .peek()
            .is_some_and(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
        {
            self.at += 1;
        }
        let name = &self.bytes[start..self.at];
        let well_formed = name
            .first()
            .is_some_and(|byte| byte.is_ascii_alphabetic() || *byte == b'_');
        well_formed && self.eat(b'>')
    }

    fn cased(&self, set: Bytes) -> Bytes {
        if self.case_insensitive {
            set.folded()
        } else {
            set
        }
    }

    /// After a `\`: a class escape or an escaped punctuation character
    /// (`regex` refuses `\<` and `\>` as escapes; they are word
    /// boundaries there).
    fn escape(&mut self) -> Option<Bytes> {
        let byte = self.peek()?;
        self.at += 1;
        match byte {
            b'd' => Some(Bytes::digits()),
            b'D' => Some(Bytes::digits().complement()),
            b'w' => Some(Bytes::word()),
            b'W' => Some(Bytes::word().complement()),
            b's' => Some(Bytes::space()),
            b'S' => Some(Bytes::space().complement()),
            _ if escapes_itself(byte) => Some(Bytes::of(byte)),
            _ => None,
        }
    }

    /// After `[`: single characters, ranges, class escapes, a leading `^`.
    /// Nested classes, `[:alpha:]` and the set operations `&&`, `--`, `~~`
    /// are left to `regex`, as is a `]` first.
    fn class(&mut self) -> Option<Bytes> {
        let negated = self.eat(b'^');
        let mut set = Bytes::default();
        let mut empty = true;
        loop {
            let byte = self.peek()?;
            if byte == b']' {
                if empty {
                    return None;
                }
                self.at += 1;
                break;
            }
            let low = match byte {
                b'[' | b'&' | b'~' => return None,
                b'-' if !empty && self.peek_at(1) != Some(b']') => return None,
                b'\\' => {
                    self.at += 1;
                    let escaped = self.escape()?;
                    let Some(single) = escaped.single() else {
                        set = set.union(escaped);
                        empty = false;
                        continue;
                    };
                    single
                }
                b' '..=b'~' => {
                    self.at += 1;
                    byte
                }
                _ => return None,
            };
            let high =
                if self.peek() == Some(b'-') && self.peek_at(1).is_some_and(|next| next != b']') {
                    self.at += 1;
                    let end = self.peek()?;
                    self.at += 1;
                    match end {
                        b'[' | b'&' | b'~' | b'-' | b']' => return None,
                        b'\\' => self.escape()?.single()?,
                        b' '..=b'~' => end,
                        _ => return None,
                    }
                } else {
                    low
                };
            if high < low {
                return None;
            }
            set = set.union(Bytes::range(low, high));
            empty = false;
        }
        let set = self.cased(set);
        Some(if negated { set.complement() } else { set })
    }

    /// `?`, `*`, `+` or a counted repetition after an atom, lazy or
    /// greedy (alike for whether a match exists). A second quantifier is
    /// left to `regex`.
    fn repetition(&mut self, atom: Node) -> Option<Node> {
        let (min, max) = match self.peek() {
            Some(b'?') => (0, Some(1)),
            Some(b'*') => (0, None),
            Some(b'+') => (1, None),
            Some(b'{') => {
                self.at += 1;
                let min = self.number()?;
                let max = if self.eat(b',') {
                    if self.peek() == Some(b'}') {
                        None
                    } else {
                        Some(self.number()?)
                    }
                } else {
                    Some(min)
                };
                if self.peek() != Some(b'}') || max.is_some_and(|max| max < min) {
                    return None;
                }
                (min, max)
            }
            _ => return Some(atom),
        };
        self.at += 1;
        self.eat(b'?');
        if matches!(self.peek(), Some(b'?' | b'*' | b'+' | b'{')) {
            return None;
        }
        Some(Node::Repeat {
            node: Box::new(atom),
            min,
            max,
        })
    }

    /// A decimal count; any count past the positions a branch may hold is
    /// refused here, so the digits stay few.
    fn number(&mut self) -> Option<u32> {
        let start = self.at;
        while self.peek().is_some_and(|byte| byte.is_ascii_digit()) {
            self.at += 1;
        }
        let digits = std::str::from_utf8(&self.bytes[start..self.at]).ok()?;
        if digits.is_empty() || digits.len() > 3 {
            return None;
        }
        digits.parse().ok()
    }
}

/// What a sub-expression contributes to its branch's automaton.
#[derive(Clone, Copy)]
struct Fragment {
    nullable: bool,
    first: u64,
    last: u64,
}

const EMPTY: Fragment = Fragment {
    nullable: true,
    first: 0,
    last: 0,
};

/// The positions numbered so far, on the stack: at most
/// [`MAX_POSITIONS`] of them.
struct Builder {
    follow: [u64; MAX_POSITIONS],
    accepts: [Bytes; MAX_POSITIONS],
    len: usize,
}

impl Builder {
    fn new() -> Builder {
        Builder {
            follow: [0; MAX_POSITIONS],
            accepts: [Bytes::default(); MAX_POSITIONS],
            len: 0,
        }
    }

    fn fragment(&mut self, node: &Node) -> Option<Fragment> {
        match node {
            Node::Set(set) => {
                if self.len == MAX_POSITIONS {
                    return None;
                }
                let position = 1 << self.len;
                self.accepts[self.len] = *set;
                self.follow[self.len] = 0;
                self.len += 1;
                Some(Fragment {
                    nullable: false,
                    first: position,
                    last: position,
                })
            }
            Node::Concat(items) => items.iter().try_fold(EMPTY, |sum, item| {
                let next = self.fragment(item)?;
                Some(self.then(sum, next))
            }),
            Node::Alternation(branches) => {
                branches
                    .iter()
                    .try_fold(None, |sum: Option<Fragment>, branch| {
                        let next = self.fragment(branch)?;
                        Some(Some(match sum {
                            None => next,
                            Some(sum) => Fragment {
                                nullable: sum.nullable || next.nullable,
                                first: sum.first | next.first,
                                last: sum.last | next.last,
                            },
                        }))
                    })?
            }
            Node::Repeat { node, min, max } => {
                let mut sum = EMPTY;
                // `x{n,}`: n - 1 copies and `x+`; `x*` is an optional `x+`.
                let copies = match max {
                    Some(max) => *max,
                    None => (*min).max(1),
                };
                for copy in 0..copies {
                    let mut next = self.fragment(node)?;
                    if max.is_none() && copy + 1 == copies {
                        for position in bits(next.last) {
                            self.follow[position] |= next.first;
                        }
                    }
                    if copy >= *min {
                        next.nullable = true;
                    }
                    sum = self.then(sum, next);
                }
                Some(sum)
            }
        }
    }

    fn then(&mut self, before: Fragment, after: Fragment) -> Fragment {
        for position in bits(before.last) {
            self.follow[position] |= after.first;
        }
        Fragment {
            nullable: before.nullable && after.nullable,
            first: before.first | if before.nullable { after.first } else { 0 },
            last: after.last | if after.nullable { before.last } else { 0 },
        }
    }
}

impl Branch {
    fn build(node: &Node, at_start: bool, at_end: bool) -> Option<Branch> {
        let mut builder = Builder::new();
        let whole = builder.fragment(node)?;
        let positions = builder.len;
        let follow = &builder.follow[..positions];
        let mut precede = [0u64; MAX_POSITIONS];
        for (before, &after) in follow.iter().enumerate() {
            for position in bits(after) {
                precede[position] |= 1 << before;
            }
        }
        let (class_of, accepted_by) = byte_classes(&builder.accepts[..positions]);
        let mut masks = Vec::with_capacity(2 * positions + accepted_by.len());
        masks.extend_from_slice(follow);
        masks.extend_from_slice(&precede[..positions]);
        masks.extend_from_slice(&accepted_by);
        Some(Branch {
            at_start,
            at_end,
            nullable: whole.nullable,
            first: whole.first,
            last: whole.last,
            positions,
            masks: masks.into_boxed_slice(),
            class_of,
        })
    }

    fn follow(&self) -> &[u64] {
        self.masks.get(..self.positions).unwrap_or_default()
    }

    fn precede(&self) -> &[u64] {
        self.masks
            .get(self.positions..2 * self.positions)
            .unwrap_or_default()
    }

    fn is_match(&self, text: &[u8]) -> bool {
        if self.nullable && (!self.at_end || !self.at_start || text.is_empty()) {
            return true;
        }
        if self.at_end {
            return self.is_match_backwards(text);
        }
        let follow = self.follow();
        let mut reached = 0u64;
        for (index, &byte) in text.iter().enumerate() {
            let mut next = 0;
            for position in bits(reached) {
                next |= follow[position];
            }
            if !self.at_start || index == 0 {
                next |= self.first;
            }
            reached = self.accepting(next, byte);
            if reached & self.last != 0 {
                return true;
            }
            if reached == 0 && self.at_start {
                return false;
            }
        }
        false
    }

    /// A match of a `$` branch ends at the end of the text: run from
    /// there towards the start, so `\.php$` looks at four bytes of a path,
    /// not all of them.
    fn is_match_backwards(&self, text: &[u8]) -> bool {
        let Some((&end, before)) = text.split_last() else {
            return false;
        };
        let precede = self.precede();
        let mut reached = self.accepting(self.last, end);
        let mut start = before.len();
        loop {
            if reached & self.first != 0 && (!self.at_start || start == 0) {
                return true;
            }
            if reached == 0 || start == 0 {
                return false;
            }
            start -= 1;
            let mut previous = 0;
            for position in bits(reached) {
                previous |= precede[position];
            }
            reached = self.accepting(previous, text[start]);
        }
    }

    /// The positions of `candidates` that accept `byte` (none accepts a
    /// byte outside ASCII).
    fn accepting(&self, candidates: u64, byte: u8) -> u64 {
        let accepting = self
            .class_of
            .get(usize::from(byte))
            .and_then(|&class| self.masks.get(2 * self.positions + usize::from(class)))
            .copied()
            .unwrap_or(0);
        candidates & accepting
    }
}

/// For the sets of bytes each position accepts: the class of every ASCII
/// byte (bytes accepted by the same positions share a class) and the
/// positions accepting each class. There are at most 128 classes, one per
/// byte; a pattern has a handful (`\.php$` four: `.`, `p`, `h`, the rest).
fn byte_classes(accepts: &[Bytes]) -> ([u8; 128], Vec<u64>) {
    // A counted repetition copies its set once per position
    // (`[a-z_]{2,32}`): the bytes of each distinct set are visited once.
    let mut distinct: Vec<(Bytes, u64)> = Vec::with_capacity(accepts.len());
    for (position, set) in accepts.iter().enumerate() {
        match distinct.iter_mut().find(|(known, _)| known == set) {
            Some((_, positions)) => *positions |= 1 << position,
            None => distinct.push((*set, 1 << position)),
        }
    }
    let mut positions_of = [0u64; 128];
    for (set, positions) in &distinct {
        for (half, &word) in set.0.iter().enumerate() {
            for bit in bits(word) {
                if let Some(slot) = positions_of.get_mut(half * 64 + bit) {
                    *slot |= positions;
                }
            }
        }
    }
    let mut accepted_by: Vec<u64> = Vec::with_capacity(2 * distinct.len() + 1);
    let mut class_of = [0u8; 128];
    // Neighbouring bytes mostly share a class (ranges, the bytes no
    // position accepts): the class is looked for only where it changes.
    let mut previous: Option<(u64, u8)> = None;
    for (slot, &positions) in class_of.iter_mut().zip(&positions_of) {
        let class = match previous {
            Some((known, class)) if known == positions => class,
            _ => {
                let index = accepted_by
                    .iter()
                    .position(|&known| known == positions)
                    .unwrap_or_else(|| {
                        accepted_by.push(positions);
                        accepted_by.len() - 1
                    });
                u8::try_from(index).unwrap_or(u8::MAX)
            }
        };
        previous = Some((positions, class));
        *slot = class;
    }
    (class_of, accepted_by)
}

/// The indexes of the set bits of `set`, lowest first.
fn bits(mut set: u64) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        (set != 0).then(|| {
            let position = set.trailing_zeros() as usize;
            set &= set - 1;
            position
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(pattern: &str, case_insensitive: bool) -> Option<regex::Regex> {
        regex::RegexBuilder::new(pattern)
            .case_insensitive(case_insensitive)
            .build()
            .ok()
    }

    fn agree(pattern: &str, case_insensitive: bool, texts: &[&str]) -> bool {
        let Some(small) = Small::new(pattern, case_insensitive) else {
            return false;
        };
        let expected = reference(pattern, case_insensitive)
            .unwrap_or_else(|| panic!("{pattern:?} is accepted here but refused by regex"));
        for text in texts {
            assert_eq!(
                small.is_match(text.as_bytes()),
                expected.is_match(text),
                "{pattern:?} (case-insensitive: {case_insensitive}) on {text:?}"
            );
        }
        true
    }

    const TEXTS: &[&str] = &[
        "",
        "/",
        "/index.html",
        "/a.php",
        "/a.PHP",
        "/a.php5",
        "/a.phpx",
        "/x.php/y",
        "/.git/config",
        "/.well-known/acme-challenge/t",
        "/api/v1/items",
        "/api/v12/items",
        "/wp-login.php",
        "/WP-LOGIN.PHP",
        "abc",
        "aaa",
        "a\nb",
        "\n",
        "x-y_z",
        "a b\tc",
        "[]{}",
        "k",
        "S",
    ];

    #[test]
    fn the_usual_shapes_agree_with_regex() {
        for pattern in [
            r"\.php$",
            r"\.(?:php[0-9]?|phtml|pl|py|cgi|sh|asp|aspx|jsp)$",
            "^/api/v[0-9]{1,2}/",
            r"^/(?:wp-login\.php|xmlrpc\.php|wp-admin/admin-ajax\.php)$",
            r"\.(?:jpe?g|ico|avif)$",
            r"/\.",
            r"^/\.well-known/",
            "^$",
            "^",
            "$",
            "",
            "a|",
            "|a",
            "(?:)",
            "(a|)b",
            "^a|b$",
            "a*",
            "^a*$",
            "^(?:a|b)+$",
            "^(a*)*$",
            "^a{2}$",
            "^a{2,}$",
            "^a{0,2}$",
            "^a{0}$",
            "x{2,3}?",
            "a+?b",
            "[^/]+$",
            r"^[\w.-]+$",
            r"\d+",
            r"\S\s\S",
            r"[a-c\-]",
            "[-a]",
            "[a-]",
            r"\W",
            ".",
            "^.$",
            "(?P<name>a)b",
            "(?<n2>x)",
            "k",
            "[k-s]",
            "[^k]",
            r"\]",
            "#&~-",
            "a.c",
        ] {
            for case_insensitive in [false, true] {
                assert!(
                    agree(pattern, case_insensitive, TEXTS),
                    "{pattern:?} should be in the subset"
                );
            }
        }
    }

    /// A range holds exactly the bytes from its low to its high end (none
    /// past ASCII), for every pair of ends.
    #[test]
    fn ranges_hold_the_bytes_between_their_ends() {
        for low in 0..=255u8 {
            for high in [0, 1, 62, 63, 64, 65, 100, 126, 127, 128, 255] {
                let set = Bytes::range(low, high);
                for byte in 0..=255u8 {
                    let expected = byte < 128 && low <= byte && byte <= high;
                    assert_eq!(set.contains(byte), expected, "{low}-{high}: {byte}");
                }
            }
        }
    }

    /// Each byte's class stands for exactly the positions accepting it,
    /// however the sets repeat or overlap.
    #[test]
    fn byte_classes_give_each_byte_its_accepting_positions() {
        let lower = Bytes::range(b'a', b'z');
        let sets = [
            vec![],
            vec![
                Bytes::of(b'.'),
                Bytes::of(b'p'),
                Bytes::of(b'h'),
                Bytes::of(b'p'),
            ],
            vec![lower; 40],
            vec![
                lower,
                Bytes::of(b'\n').complement(),
                Bytes::digits(),
                lower,
                Bytes::word(),
                Bytes::default(),
                Bytes::range(0, 127),
            ],
        ];
        for accepts in sets {
            let (class_of, accepted_by) = byte_classes(&accepts);
            for byte in 0..128u8 {
                let expected = accepts
                    .iter()
                    .enumerate()
                    .filter(|(_, set)| set.contains(byte))
                    .fold(0u64, |positions, (position, _)| positions | 1 << position);
                let class = usize::from(class_of[usize::from(byte)]);
                assert_eq!(accepted_by[class], expected, "{accepts:?}: {byte}");
            }
            let mut distinct = accepted_by.clone();
            distinct.sort_unstable();
            distinct.dedup();
            assert_eq!(distinct.len(), accepted_by.len(), "a class is listed twice");
        }
    }

    /// Folding adds the other case of every letter, and nothing else.
    #[test]
    fn folding_adds_the_other_case_of_each_letter() {
        for set in [
            Bytes::of(b'k'),
            Bytes::of(b'K'),
            Bytes::range(b'0', b'z'),
            Bytes::range(b'@', b'['),
            Bytes::range(b'`', b'{'),
            Bytes::word().complement(),
            Bytes::default(),
        ] {
            let folded = set.folded();
            for byte in 0..128u8 {
                let expected = set.contains(byte)
                    || (byte.is_ascii_alphabetic()
                        && (set.contains(byte.to_ascii_lowercase())
                            || set.contains(byte.to_ascii_uppercase())));
                assert_eq!(folded.contains(byte), expected, "{byte}");
            }
        }
    }

    /// What the subset leaves to `regex` (some of it `regex` refuses).
    #[test]
    fn outside_the_subset() {
        for pattern in [
            "é",
            r"\bfoo",
            r"\x41",
            r"\n",
            "(?i)a",
            "(?=a)",
            "a**",
            "a{2}{3}",
            "*a",
            "{2}",
            "a{,3}",
            "a{3,2}",
            "a^b",
            "(^a)",
            "(a$)",
            "a$b",
            "[]a]",
            "[[:alpha:]]",
            "[a&&b]",
            "[a--b]",
            "[z-a]",
            "[a",
            "(a",
            "a)",
            r"\<",
            r"\pL",
            "a{1000}",
            "\t",
            &"(".repeat(40),
        ] {
            assert!(Small::new(pattern, false).is_none(), "{pattern:?}");
        }
        // Past 64 positions a branch is `regex`'s, but for a literal.
        assert!(Small::new(&"[ab]".repeat(64), false).is_some());
        assert!(Small::new(&"[ab]".repeat(65), false).is_none());
        assert!(matches!(
            Small::new(&"a".repeat(65), false),
            Some(Small::Literal(_))
        ));
        assert!(Small::new("(?:ab){32}", false).is_some());
        assert!(Small::new("(?:ab){33}", false).is_none());
    }

    /// Plain text, anchored or not, ending in `$` or `(/|$)`, with escapes:
    /// taken as a literal, and matched where `regex` matches.
    #[test]
    fn literals_agree_with_regex() {
        let texts = [
            TEXTS,
            &[
                "/old",
                "/old/",
                "/old/page",
                "/older",
                "/x/old",
                "/x/old/y",
                "/OLD/",
                "AhrefsBot/7.0",
                "mozilla ahrefsbot",
                // The first byte again and again before (or without) a
                // match: each place `memchr` finds is tried.
                "aAhrefAHREFSBOT",
                "ahref ahrefs Ahrefsbo",
                "x/oldy/old/",
                "//old//olde",
                "a$b",
                "a\\b",
                "a.b",
            ],
        ]
        .concat();
        for pattern in [
            "^/old(/|$)",
            "^/old(?:/|$)",
            "/old(/|$)",
            "(/|$)",
            "^(/|$)",
            r"^/a\.php(/|$)",
            r"\.php$",
            "^/old$",
            "^/old",
            "old",
            "AhrefsBot",
            r"a\$b",
            r"a\\b",
            r"a\.b",
            "^$",
            "^",
            "$",
            "",
            "#&~- /",
            r"\.(?:gif|png|jpe)$",
            "^/(?:old|new)(/|$)",
            "(a|)b",
            "(?:)",
            "^(?:x|y)(?:1|2)$",
            "ahrefs(bot|spider)",
            r"\.(?:woff2?|jpe?g|svg)$",
            "^/a?b?c?$",
            "colou?r",
        ] {
            for case_insensitive in [false, true] {
                assert!(
                    matches!(
                        Small::new(pattern, case_insensitive),
                        Some(Small::Literal(_))
                    ),
                    "{pattern:?} should be a literal"
                );
                assert!(agree(pattern, case_insensitive, &texts));
            }
        }
        for pattern in [
            r"a\d", "a.b", "a+", r"a\", r"a\(/|$)", "a(b|$)", r"\<", "(?:a|b)?", "a??", "a?+",
            "a*", "(a(b))", "(?i)a", "(?P<n>a)", "(a|b", "a)",
        ] {
            assert!(
                !matches!(Small::new(pattern, false), Some(Small::Literal(_))),
                "{pattern:?} is not a literal"
            );
        }
    }

    /// Random patterns over a few characters and every construct of the
    /// subset, and random texts: wherever the subset takes a pattern,
    /// `regex` takes it too and finds a match exactly where it does.
    #[test]
    fn random_patterns_agree_with_regex() {
        const PIECES: &[&str] = &[
            "a", "b", ".", r"\.", "/", "[ab]", "[^a]", "[a-c]", r"\d", r"\w", "(", "(?:", ")", "|",
            "?", "*", "+", "{2}", "{1,2}", "{0,}", "^", "$", "x", "A", "-", "(/|$)", r"\$", r"\\",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |bound: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            usize::try_from(seed % bound as u64).unwrap_or(0)
        };
        let texts: Vec<String> = (0..40)
            .map(|_| {
                let length = next(7);
                (0..length)
                    .map(|_| ['a', 'b', 'A', 'x', '.', '/', '1', '-', '\n'][next(9)])
                    .collect()
            })
            .collect();
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        let mut accepted = 0;
        for _ in 0..20_000 {
            let length = 1 + next(8);
            let pattern: String = (0..length).map(|_| PIECES[next(PIECES.len())]).collect();
            let case_insensitive = next(2) == 1;
            if agree(&pattern, case_insensitive, &texts) {
                accepted += 1;
            }
        }
        assert!(
            accepted > 2_000,
            "only {accepted} random patterns were in the subset"
        );
    }
}
