//! Apache httpd: directives and sections in reading order, `Include`s followed.
//!
//! Every node of the loaded configuration is visited in the order httpd
//! reads it: a section's opening line, then its body, then (for
//! [`Event::Leave`]) its end; an `Include` is visited itself, then the
//! files it pulled in, in its place. Each visit knows the sections that
//! enclose it, outermost first, across files.

use lint403_apache::syntax::{Comment, Directive, Node, Section, SectionKind, Word};
use lint403_apache::{Context, LoadedConfig};
use lint403_core::{FileId, SourceMap, Span, TextRange};

/// What is visited.
#[derive(Clone, Copy)]
pub enum Event<'a> {
    /// A directive line.
    Directive(&'a Directive),
    /// A comment line (with the lines it swallowed).
    Comment(&'a Comment),
    /// A section's opening line; its body is visited next.
    Enter(&'a Section),
    /// The end of a section's body.
    Leave(&'a Section),
}

/// One node and where it stands.
pub struct Visit<'a, 'p> {
    pub file: FileId,
    /// The text of `file`.
    pub text: &'a str,
    pub event: Event<'a>,
    /// Enclosing sections, outermost first (across files). For
    /// [`Event::Enter`] and [`Event::Leave`] the section itself is not in it.
    pub parents: &'p [Parent<'a>],
    /// The context of the loaded file's top level (`Htaccess` for a
    /// `.htaccess` file).
    pub context: Context,
}

/// An enclosing section.
#[derive(Clone, Copy)]
pub struct Parent<'a> {
    pub file: FileId,
    pub text: &'a str,
    pub section: &'a Section,
}

impl<'a> Parent<'a> {
    pub fn kind(&self) -> SectionKind {
        self.section.kind
    }

    /// The section name without `<`.
    pub fn name(&self) -> &'a str {
        self.section.open.name(self.text)
    }

    /// The opening tag's argument values.
    pub fn args(&self) -> Vec<&'a str> {
        self.section.open.arg_values(self.text).collect()
    }

    /// The opening line, from `<` to the `>`.
    pub fn open_span(&self) -> Span {
        open_span(self.file, self.section)
    }
}

/// The span of a section's opening tag (without text after its `>`).
pub fn open_span(file: FileId, section: &Section) -> Span {
    let start = section.open.name_word.raw.start;
    let end = section
        .open
        .gt
        .map_or(section.open.line.last_piece().end, |gt| gt.end);
    Span::new(file, TextRange::new(start, end.max(start)))
}

impl<'a> Visit<'a, '_> {
    /// The directive, for a directive visit.
    pub fn directive(&self) -> Option<&'a Directive> {
        match self.event {
            Event::Directive(directive) => Some(directive),
            _ => None,
        }
    }

    /// The directive's name, for a directive visit.
    pub fn name(&self) -> Option<&'a str> {
        self.directive().map(|directive| directive.name(self.text))
    }

    /// Whether this is the directive `name` (case-insensitively).
    pub fn is(&self, name: &str) -> bool {
        self.name()
            .is_some_and(|own| own.eq_ignore_ascii_case(name))
    }

    /// The argument values of a directive or section opener.
    pub fn args(&self) -> Vec<&'a str> {
        let text = self.text;
        match self.event {
            Event::Directive(directive) => directive.arg_values(text).collect(),
            Event::Enter(section) | Event::Leave(section) => {
                section.open.arg_values(text).collect()
            }
            Event::Comment(_) => Vec::new(),
        }
    }

    /// The argument words of a directive or section opener.
    pub fn words(&self) -> &'a [Word] {
        match self.event {
            Event::Directive(directive) => &directive.args,
            Event::Enter(section) | Event::Leave(section) => &section.open.args,
            Event::Comment(_) => &[],
        }
    }

    /// The span of a directive's name, or of a section's opening tag.
    pub fn name_span(&self) -> Span {
        match self.event {
            Event::Directive(directive) => Span::new(self.file, directive.name_word.raw),
            Event::Enter(section) | Event::Leave(section) => open_span(self.file, section),
            Event::Comment(comment) => Span::new(self.file, comment.text),
        }
    }

    /// The whole directive line (name and arguments).
    pub fn span(&self) -> Span {
        match self.event {
            Event::Directive(directive) => {
                let start = directive.name_word.raw.start;
                let end = directive.args_range.end.max(directive.name_word.raw.end);
                Span::new(self.file, TextRange::new(start, end))
            }
            _ => self.name_span(),
        }
    }

    /// The span of argument `index` as written, or the name's.
    pub fn arg_span(&self, index: usize) -> Span {
        self.words()
            .get(index)
            .map_or_else(|| self.name_span(), |word| Span::new(self.file, word.raw))
    }

    /// The innermost enclosing section.
    pub fn parent(&self) -> Option<&Parent<'a>> {
        self.parents.last()
    }

    /// Whether this stands in a `.htaccess` file.
    pub fn in_htaccess(&self) -> bool {
        self.context == Context::Htaccess
    }

    /// Whether some enclosing section is of `kind`.
    pub fn inside(&self, kind: SectionKind) -> bool {
        self.parents.iter().any(|parent| parent.kind() == kind)
    }
}

/// Calls `visit` for every node of the configuration in reading order,
/// includes followed in place.
pub fn walk<'a>(
    config: &'a LoadedConfig,
    sources: &'a SourceMap,
    mut visit: impl FnMut(&Visit<'a, '_>),
) {
    if config.files.is_empty() {
        return;
    }
    let mut state = State {
        config,
        sources,
        parents: Vec::new(),
        open: Vec::new(),
    };
    state.file(0, &mut visit);
}

/// Calls `visit` for every directive (not sections or comments).
pub fn directives<'a>(
    config: &'a LoadedConfig,
    sources: &'a SourceMap,
    mut visit: impl FnMut(&Visit<'a, '_>, &'a Directive),
) {
    walk(config, sources, |node| {
        if let Event::Directive(directive) = node.event {
            visit(node, directive);
        }
    });
}

struct State<'a> {
    config: &'a LoadedConfig,
    sources: &'a SourceMap,
    parents: Vec<Parent<'a>>,
    /// Indices of the loaded files being walked (no cycles).
    open: Vec<usize>,
}

impl<'a> State<'a> {
    fn file(&mut self, index: usize, visit: &mut impl FnMut(&Visit<'a, '_>)) {
        if self.open.contains(&index) {
            return;
        }
        let Some(loaded) = self.config.files.get(index) else {
            return;
        };
        self.open.push(index);
        let text = self.sources.get(loaded.file).text.as_str();
        self.nodes(loaded.file, text, &loaded.tree.nodes, visit);
        self.open.pop();
    }

    fn emit(
        &self,
        file: FileId,
        text: &'a str,
        event: Event<'a>,
        visit: &mut impl FnMut(&Visit<'a, '_>),
    ) {
        visit(&Visit {
            file,
            text,
            event,
            parents: &self.parents,
            context: self.config.context,
        });
    }

    fn nodes(
        &mut self,
        file: FileId,
        text: &'a str,
        nodes: &'a [Node],
        visit: &mut impl FnMut(&Visit<'a, '_>),
    ) {
        for node in nodes {
            match node {
                Node::Directive(directive) => {
                    self.emit(file, text, Event::Directive(directive), visit);
                    for target in &directive.included {
                        self.file(target.loaded, visit);
                    }
                }
                Node::Comment(comment) => self.emit(file, text, Event::Comment(comment), visit),
                Node::Section(section) => {
                    self.emit(file, text, Event::Enter(section), visit);
                    // Nesting is bounded by the parser (deeper sections are flat).
                    self.parents.push(Parent {
                        file,
                        text,
                        section,
                    });
                    self.nodes(file, text, &section.body, visit);
                    self.parents.pop();
                    self.emit(file, text, Event::Leave(section), visit);
                }
                Node::Blank(_) | Node::Close(_) => {}
            }
        }
    }
}
