//! Logical lines to tree: `ap_build_config_sub`, `ap_build_cont_config` and
//! the end-of-file check of `ap_build_config`, with an explicit stack.

use std::borrow::Cow;

use lint403_core::{codes, Code, TextRange};

use super::lines::{is_space, slice, LineReader, RawLine};
use super::tree::{
    command_name, CloseTag, Comment, Directive, Line, Node, OpenTag, ParsedFile, Section,
    SectionKind, SyntaxError, Word,
};
use super::words::{first_word, make_word, split_words, substitute, LineMap, Substitution};
use super::{Defines, ParseOptions, MAX_SECTION_DEPTH};

/// What the reader calls for the directives httpd executes while reading
/// (`EXEC_ON_READ`) and that need the world outside the file.
pub trait ReadHook {
    /// Called for `Include`, `IncludeOptional` and `ServerRoot` right after
    /// the directive is read; may read other files (sharing `defines`) and
    /// record them in [`Directive::included`].
    fn exec_on_read(&mut self, directive: &mut Directive, text: &str, defines: &mut Defines);
}

struct Frame {
    kind: SectionKind,
    /// httpd's name for it in messages: the canonical spelling of a known
    /// section, else as written.
    name: Cow<'static, str>,
    open: Option<OpenTag>,
    /// Where errors about this section's opening line point.
    anchor: TextRange,
    body: Vec<Node>,
    flattened: bool,
}

struct Builder<'t> {
    text: &'t str,
    frames: Vec<Frame>,
    errors: Vec<SyntaxError>,
    depth_reported: bool,
    /// Where the first closing line that did not fit was: after it httpd
    /// has stopped, and sections opened before it are not reported again
    /// as unclosed at the end of the file.
    first_nesting_error: Option<usize>,
    /// Reused while splitting a line into words.
    scratch: Vec<Word>,
}

pub(crate) fn build(
    text: &str,
    options: ParseOptions,
    defines: &mut Defines,
    hook: &mut dyn ReadHook,
) -> ParsedFile {
    let mut builder = Builder {
        text,
        frames: vec![Frame {
            kind: SectionKind::Other,
            name: Cow::Borrowed(""),
            open: None,
            anchor: TextRange::default(),
            body: Vec::new(),
            flattened: false,
        }],
        errors: Vec::new(),
        depth_reported: false,
        first_nesting_error: None,
        scratch: Vec::new(),
    };
    let mut reader = LineReader::new(text, options.line_limit);
    while let Some(raw) = reader.next_line() {
        builder.line(raw, options, defines, hook);
    }
    builder.finish()
}

fn error(code: Code, range: TextRange, label: &str, message: String, help: &str) -> SyntaxError {
    SyntaxError {
        code,
        range,
        label: label.to_string(),
        message,
        help: help.to_string(),
        related: Vec::new(),
    }
}

/// Where an error about `line` points: `preferred` when the line is one
/// physical line, else its last physical line, which is the line number
/// httpd reports.
fn anchor(line: &Line, preferred: TextRange, text: &str) -> TextRange {
    if line.physical_line_count() == 1 {
        return preferred;
    }
    let last = line.last_piece();
    let content = slice(text, last);
    let start = last.start + (content.len() - content.trim_start_matches(is_space).len());
    let end = last.start + content.trim_end_matches(is_space).len();
    TextRange::new(start, end.max(start))
}

impl Builder<'_> {
    /// The words of `line` from `offset` on, in a vector of exactly their
    /// number (the tree keeps them; spare capacity would be kept too).
    fn collect_words(&mut self, line: &str, offset: usize, map: &LineMap<'_>) -> Vec<Word> {
        self.scratch
            .extend(split_words(line, offset).map(|word| make_word(line, word, map)));
        self.scratch.drain(..).collect()
    }

    /// Index of the innermost frame that is not flattened: where nodes go.
    fn body_index(&self) -> usize {
        (self.frames.len() - 1).min(MAX_SECTION_DEPTH)
    }

    fn push(&mut self, node: Node) {
        let index = self.body_index();
        if let Some(frame) = self.frames.get_mut(index) {
            frame.body.push(node);
        }
    }

    fn line(
        &mut self,
        raw: RawLine,
        options: ParseOptions,
        defines: &mut Defines,
        hook: &mut dyn ReadHook,
    ) {
        let text = self.text;
        let joined = raw.joined(text);
        let first_piece = raw.first;
        let several = (!raw.more.is_empty()).then(|| raw.pieces());
        let pieces: &[TextRange] = several
            .as_deref()
            .unwrap_or(std::slice::from_ref(&first_piece));
        let line = Line::new(raw.range, raw.first, raw.more, raw.ignored, raw.terminator);
        if let Some(at) = raw.too_long_at {
            let limit = options.line_limit;
            self.errors.push(error(
                codes::SYNTAX_ERROR,
                at,
                "line too long",
                format!(
                    "Error reading the file at this line: Line too long (httpd refuses a logical line of {limit} bytes or more here)"
                ),
                "split the line: a backslash at the end of a line continues it on the next, but the joined line counts as one",
            ));
        }
        let trimmed = joined.trim_matches(is_space);
        if trimmed.is_empty() {
            self.push(Node::Blank(line));
            return;
        }
        let trim_start = joined.len() - joined.trim_start_matches(is_space).len();
        let trim_end = trim_start + trimmed.len();
        if self.closes_conditional(trimmed) {
            let map = LineMap::new(pieces, &[]);
            if let Some((word, _)) = first_word(&joined) {
                let name_word = make_word(&joined, word, &map);
                self.close_top(CloseTag {
                    line,
                    name_word,
                    trailing: None,
                });
                return;
            }
        }
        if trimmed.starts_with('#') {
            let map = LineMap::new(pieces, &[]);
            let comment_text = map.range(trim_start, trim_end);
            self.push(Node::Comment(Comment {
                line,
                text: comment_text,
            }));
            return;
        }
        let substituted = substitute(&joined, defines);
        let (interpreted, substitutions): (Cow<'_, str>, Vec<Substitution>) = match substituted {
            Some((line_text, subs)) => (Cow::Owned(line_text), subs),
            None => (joined, Vec::new()),
        };
        let expanded = (!substitutions.is_empty()).then(|| Box::<str>::from(interpreted.as_ref()));
        let map = LineMap::new(pieces, &substitutions);
        let Some((first, rest_at)) = first_word(&interpreted) else {
            // Only a substitution to blanks: httpd skips the line.
            self.push(Node::Blank(line));
            return;
        };
        let name_word = make_word(&interpreted, first, &map);
        // Most words are slices of the file: borrow those, so the word can
        // move into the node while its value is still read.
        let name_value: Cow<'_, str> = match name_word.source_range() {
            Some(range) => Cow::Borrowed(slice(text, range)),
            None => Cow::Owned(name_word.value(text).to_string()),
        };
        if name_value.starts_with("</") {
            let trailing = trailing_range(&interpreted, rest_at, &map);
            self.close(
                CloseTag {
                    line,
                    name_word,
                    trailing,
                },
                &name_value,
            );
        } else if name_value.starts_with('<') {
            self.open(
                &interpreted,
                &map,
                line,
                name_word,
                &name_value,
                first,
                rest_at,
                expanded,
            );
        } else {
            let args = self.collect_words(&interpreted, rest_at, &map);
            let args_end = interpreted.trim_end_matches(is_space).len().max(rest_at);
            let mut directive = Directive::new(
                line,
                name_word,
                args.into_boxed_slice(),
                map.range(rest_at, args_end),
                expanded,
            );
            self.exec_on_read(&mut directive, defines, hook);
            self.push(Node::Directive(directive));
        }
    }

    /// `ap_build_cont_config`'s own test: inside a conditional section, with
    /// no section open inside it, a line reading exactly `</Name>` ends it.
    fn closes_conditional(&self, trimmed: &str) -> bool {
        let Some(top) = self.frames.last() else {
            return false;
        };
        if !top.kind.is_conditional() || self.frames.len() == 1 {
            return false;
        }
        let Some(inner) = trimmed
            .strip_prefix("</")
            .and_then(|rest| rest.strip_suffix('>'))
        else {
            return false;
        };
        inner.eq_ignore_ascii_case(&top.name)
    }

    fn exec_on_read(
        &mut self,
        directive: &mut Directive,
        defines: &mut Defines,
        hook: &mut dyn ReadHook,
    ) {
        let text = self.text;
        let name = directive.name(text);
        if name.eq_ignore_ascii_case("Define") {
            let values: Vec<&str> = directive.arg_values(text).collect();
            match values.as_slice() {
                [var, rest @ ..] if rest.len() <= 1 => {
                    if var.contains(':') {
                        self.errors.push(error(
                            codes::DIRECTIVE_NOT_ALLOWED_HERE,
                            directive.args.first().map_or(directive.name_word.raw(), Word::raw),
                            "name with ':'",
                            "Variable name must not contain ':'".to_string(),
                            "choose a name without ':' (`${a:b}` is how RewriteMap lookups are written)",
                        ));
                    } else {
                        defines.define(var, rest.first().copied());
                    }
                }
                _ => self.errors.push(error(
                    codes::DIRECTIVE_NOT_ALLOWED_HERE,
                    directive.line_anchor(text),
                    "wrong number of arguments",
                    "Define takes 1-2 arguments, Define a variable, optionally to a value.  Same as passing -D to the command line.".to_string(),
                    "write `Define NAME` or `Define NAME VALUE` (quote a value that contains blanks)",
                )),
            }
        } else if name.eq_ignore_ascii_case("UnDefine") {
            if let [var] = directive.args.as_ref() {
                defines.undefine(var.value(text));
            }
        } else if name.eq_ignore_ascii_case("Include")
            || name.eq_ignore_ascii_case("IncludeOptional")
            || name.eq_ignore_ascii_case("ServerRoot")
        {
            hook.exec_on_read(directive, text, defines);
        }
    }

    #[allow(clippy::too_many_arguments)] // One call site; the pieces are the line being read.
    fn open(
        &mut self,
        interpreted: &str,
        map: &LineMap<'_>,
        line: Line,
        name_word: Word,
        name_value: &str,
        first: super::words::RawWord,
        rest_at: usize,
        expanded: Option<Box<str>>,
    ) {
        let text = self.text;
        let bare_name = command_name(name_value);
        let bare_name = bare_name.strip_prefix('<').unwrap_or(bare_name);
        let kind = SectionKind::from_name(bare_name);
        let display: Cow<'static, str> = kind
            .canonical_name()
            .map_or_else(|| Cow::Owned(bare_name.to_string()), Cow::Borrowed);
        let rest = interpreted.get(rest_at..).unwrap_or_default();
        let glued_gt = name_value.ends_with('>') && rest.trim_matches(is_space).is_empty();
        let (gt, args_end, trailing) = if glued_gt {
            let gt = if first.quote == super::tree::Quote::None {
                map.range(first.end - 1, first.end)
            } else {
                name_word.raw()
            };
            (Some(gt), rest_at, None)
        } else if let Some(position) = rest.rfind('>') {
            let gt_at = rest_at + position;
            let after = rest.get(position + 1..).unwrap_or_default();
            let trailing = if after.trim_matches(is_space).is_empty() {
                None
            } else {
                let lead = after.len() - after.trim_start_matches(is_space).len();
                let start = gt_at + 1 + lead;
                let end = gt_at + 1 + after.trim_end_matches(is_space).len();
                Some(map.range(start, end))
            };
            (Some(map.range(gt_at, gt_at + 1)), gt_at, trailing)
        } else {
            let end = interpreted.trim_end_matches(is_space).len().max(rest_at);
            (None, end, None)
        };
        let args_text = interpreted.get(..args_end).unwrap_or_default();
        let args = self.collect_words(args_text, rest_at, map);
        let args_trimmed_end = args_text.trim_end_matches(is_space).len().max(rest_at);
        let open = OpenTag {
            line,
            name_word,
            args: args.into_boxed_slice(),
            args_range: super::tree::Offsets::of(map.range(rest_at, args_trimmed_end)),
            gt,
            trailing,
            expanded,
        };
        let if_version_unclosed = kind == SectionKind::IfVersion
            && open.gt.is_some()
            && !if_version_closed(interpreted.get(rest_at..).unwrap_or_default());
        if open.gt.is_none() || if_version_unclosed {
            let at = anchor(
                &open.line,
                open.name_word.raw().cover(open.args_range()),
                text,
            );
            self.errors.push(error(
                codes::SYNTAX_ERROR,
                at,
                "no closing '>'",
                format!("<{display}> directive missing closing '>'"),
                &format!("end the line with '>': `<{display} ...>`"),
            ));
        }
        let depth = self.frames.len();
        let flattened = depth > MAX_SECTION_DEPTH;
        let open_anchor = anchor(&open.line, open.name_word.raw(), text);
        if flattened {
            if !self.depth_reported {
                self.depth_reported = true;
                self.errors.push(error(
                    codes::LIMIT_EXCEEDED,
                    open.name_word.raw(),
                    "nested too deep",
                    format!(
                        "sections are nested more than {MAX_SECTION_DEPTH} deep here; lint403 reads deeper sections flat and checks only how they open and close"
                    ),
                    "flatten the nesting: no real configuration needs sections this deep",
                ));
            }
            self.push(Node::Section(Box::new(Section {
                kind,
                open,
                body: Vec::new(),
                close: None,
                flattened: true,
            })));
            self.frames.push(Frame {
                kind,
                name: display,
                open: None,
                anchor: open_anchor,
                body: Vec::new(),
                flattened: true,
            });
        } else {
            self.frames.push(Frame {
                kind,
                name: display,
                open: Some(open),
                anchor: open_anchor,
                body: Vec::new(),
                flattened: false,
            });
        }
    }

    /// Pops the innermost frame, closing its section with `close`.
    fn close_top(&mut self, close: CloseTag) {
        if self.frames.len() <= 1 {
            self.push(Node::Close(close));
            return;
        }
        let Some(frame) = self.frames.pop() else {
            return;
        };
        self.finish_frame(frame, Some(close));
    }

    fn finish_frame(&mut self, frame: Frame, close: Option<CloseTag>) {
        match (frame.flattened, frame.open) {
            (false, Some(open)) => self.push(Node::Section(Box::new(Section {
                kind: frame.kind,
                open,
                // Without the room pushing left: a vhost file has tens of
                // thousands of sections.
                body: lint403_core::fit::exactly(frame.body),
                close,
                flattened: false,
            }))),
            _ => {
                if let Some(close) = close {
                    self.push(Node::Close(close));
                }
            }
        }
    }

    /// The innermost frame that ends the search for a matching opener:
    /// a conditional section (its body cannot close outer sections), or
    /// the file itself.
    fn barrier(&self) -> usize {
        self.frames
            .iter()
            .rposition(|frame| frame.kind.is_conditional())
            .filter(|&index| index > 0)
            .unwrap_or(0)
    }

    fn close(&mut self, close: CloseTag, token: &str) {
        let text = self.text;
        let top = self.frames.len() - 1;
        let barrier = self.barrier();
        let at = anchor(&close.line, close.name_word.raw(), text);
        let after_slash = token.get(2..).unwrap_or_default();
        let name = after_slash.strip_suffix('>');
        let bare = name.unwrap_or(after_slash);
        if top == barrier {
            let message = format!("{token} without matching <{after_slash} section");
            let mut err = error(
                codes::SYNTAX_ERROR,
                at,
                "closes no open section",
                message,
                if barrier == 0 {
                    "remove this line, or add the section it is meant to close"
                } else {
                    "inside a conditional section (<IfModule>, <IfDefine>, ...) only a line reading exactly `</IfModule>` (nothing after it, not even a comment) closes it, and sections opened outside it cannot be closed inside it"
                },
            );
            if barrier > 0 {
                if let Some(open) = self.frames.get(barrier).and_then(|f| f.open.as_ref()) {
                    err.related.push((
                        open.name_word.raw(),
                        "the conditional section this line is in".to_string(),
                    ));
                }
            }
            self.nesting_error(err);
            // Recover as the author meant: close the section of that name,
            // even across the conditional.
            match self.open_frame_named(bare, 1) {
                Some(index) => self.close_down_to(index, close),
                None => self.push(Node::Close(close)),
            }
            return;
        }
        let expected = self
            .frames
            .get(top)
            .map(|f| f.name.clone())
            .unwrap_or_default();
        let open_range = self
            .frames
            .get(top)
            .and_then(|f| f.open.as_ref())
            .map(|open| open.name_word.raw());
        if name.is_none() {
            self.nesting_error(error(
                codes::SYNTAX_ERROR,
                at,
                "no closing '>'",
                format!("{token}> directive missing closing '>'"),
                "write the closing tag as `</Name>`, with '>' right after the name",
            ));
        }
        if bare.eq_ignore_ascii_case(&expected) {
            self.close_top(close);
            return;
        }
        if name.is_some() {
            let mut err = error(
                codes::SYNTAX_ERROR,
                at,
                "does not match the open section",
                format!("Expected </{expected}> but saw </{bare}>"),
                &format!(
                    "close <{expected}> first: sections must close in the reverse order they open"
                ),
            );
            if let Some(range) = open_range {
                err.related
                    .push((range, format!("<{expected}> opened here")));
            }
            self.nesting_error(err);
        }
        // Recover: close up to a matching open section of this barrier (the
        // conditional itself included); else take the line as the (mistyped)
        // closer of the innermost section.
        let index = self.open_frame_named(bare, barrier.max(1)).unwrap_or(top);
        self.close_down_to(index, close);
    }

    fn nesting_error(&mut self, err: SyntaxError) {
        if self.first_nesting_error.is_none() {
            self.first_nesting_error = Some(err.range.start);
        }
        self.errors.push(err);
    }

    /// The innermost open section named `name`, at index `lowest` or above.
    fn open_frame_named(&self, name: &str, lowest: usize) -> Option<usize> {
        let top = self.frames.len().checked_sub(1)?;
        (lowest..=top).rev().find(|&index| {
            self.frames
                .get(index)
                .is_some_and(|frame| frame.name.eq_ignore_ascii_case(name))
        })
    }

    /// Closes every section above `index` unclosed, then `index` with
    /// `close`.
    fn close_down_to(&mut self, index: usize, close: CloseTag) {
        while self.frames.len() - 1 > index {
            if let Some(frame) = self.frames.pop() {
                self.finish_frame(frame, None);
            }
        }
        self.close_top(close);
    }

    fn finish(mut self) -> ParsedFile {
        let text = self.text;
        let mut unclosed = Vec::new();
        while self.frames.len() > 1 {
            let Some(frame) = self.frames.pop() else {
                break;
            };
            unclosed.push((frame.kind, frame.name.clone(), frame.anchor));
            self.finish_frame(frame, None);
        }
        // httpd lists unclosed sections innermost first, and names the
        // outermost one's line; a conditional section stops at the first.
        for (kind, name, at) in unclosed {
            let (message, help) = if kind.is_conditional() {
                (
                    format!("Expected </{name}> before end of configuration"),
                    format!("add `</{name}>` on a line of its own before the end of the file (when the condition is true httpd closes it silently at the end of the file, when false it refuses to start)"),
                )
            } else {
                (
                    format!("<{name}> was not closed."),
                    format!("add `</{name}>` where the section should end"),
                )
            };
            self.errors.push(error(
                codes::SYNTAX_ERROR,
                at,
                "never closed",
                message,
                &help,
            ));
        }
        let nodes = self
            .frames
            .pop()
            .map(|frame| lint403_core::fit::exactly(frame.body))
            .unwrap_or_default();
        ParsedFile {
            nodes,
            errors: self.errors,
            len: text.len(),
        }
    }
}

fn trailing_range(line: &str, rest_at: usize, map: &LineMap<'_>) -> Option<TextRange> {
    let rest = line.get(rest_at..).unwrap_or_default();
    let trimmed = rest.trim_end_matches(is_space);
    if trimmed.is_empty() {
        return None;
    }
    Some(map.range(rest_at, rest_at + trimmed.len()))
}

impl Directive {
    /// The span errors about this directive point at.
    pub(crate) fn line_anchor(&self, text: &str) -> TextRange {
        anchor(
            &self.line,
            self.name_word.raw().cover(self.args_range()),
            text,
        )
    }
}

/// Whether `mod_version` finds the closing `>` of `<IfVersion …>`: it reads
/// up to three words itself instead of taking everything before the last
/// `>` on the line, so the `>` must end the version word (the second word,
/// or the only one), or stand alone as the third (`<IfVersion < 2.0 >`).
/// `<IfVersion >= 2.3` is refused although the line holds a `>`.
fn if_version_closed(rest: &str) -> bool {
    let mut words = rest.split_whitespace();
    let (first, second, third) = (words.next(), words.next(), words.next());
    let version = match (first, second) {
        (Some(only), None) => only,
        (_, Some(version)) => {
            if third == Some(">") {
                return true;
            }
            version
        }
        (None, None) => return true,
    };
    version.ends_with('>')
}
