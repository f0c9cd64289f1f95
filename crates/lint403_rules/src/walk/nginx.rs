//! nginx: every directive in reading order, `include`s replaced by what
//! they load, each with the chain of blocks that encloses it.

use std::borrow::Cow;

use lint403_core::{FileId, SourceMap, Span};
use lint403_nginx::syntax::{Directive, Item};
use lint403_nginx::LoadedConfig;

/// A directive and where it stands.
pub struct Visit<'a, 'p> {
    pub file: FileId,
    pub text: &'a str,
    pub directive: &'a Directive,
    /// Enclosing block directives, outermost first (across files).
    pub parents: &'p [Parent<'a>],
}

/// An enclosing block directive.
#[derive(Clone, Copy)]
pub struct Parent<'a> {
    pub file: FileId,
    pub text: &'a str,
    pub directive: &'a Directive,
}

impl Parent<'_> {
    pub fn name(&self) -> Cow<'_, str> {
        self.directive.name(self.text)
    }
}

impl<'a> Visit<'a, '_> {
    pub fn name(&self) -> Cow<'a, str> {
        self.directive.name(self.text)
    }

    /// The unescaped argument values.
    pub fn args(&self) -> Vec<Cow<'a, str>> {
        self.directive
            .args
            .iter()
            .map(|word| word.value(self.text))
            .collect()
    }

    pub fn span(&self) -> Span {
        Span::new(self.file, self.directive.range())
    }

    pub fn name_span(&self) -> Span {
        Span::new(self.file, self.directive.name.range)
    }

    pub fn arg_span(&self, index: usize) -> Span {
        self.directive
            .args
            .get(index)
            .map_or_else(|| self.name_span(), |word| Span::new(self.file, word.range))
    }

    /// The innermost enclosing block.
    pub fn parent(&self) -> Option<&Parent<'a>> {
        self.parents.last()
    }
}

/// Calls `visit` for every directive of the configuration in reading order.
/// An `include` is visited itself, then what it loaded, in its place.
pub fn walk<'a>(
    config: &'a LoadedConfig,
    sources: &'a SourceMap,
    mut visit: impl FnMut(&Visit<'a, '_>),
) {
    let mut parents: Vec<Parent<'a>> = Vec::new();
    let mut files_open: Vec<FileId> = Vec::new();
    walk_file(
        config,
        sources,
        config.root,
        &mut parents,
        &mut files_open,
        &mut visit,
    );
}

fn walk_file<'a>(
    config: &'a LoadedConfig,
    sources: &'a SourceMap,
    file: FileId,
    parents: &mut Vec<Parent<'a>>,
    files_open: &mut Vec<FileId>,
    visit: &mut impl FnMut(&Visit<'a, '_>),
) {
    if files_open.contains(&file) {
        return;
    }
    let Some(loaded) = config.file(file) else {
        return;
    };
    files_open.push(file);
    let text = sources.get(file).text.as_str();
    walk_items(
        config,
        sources,
        file,
        text,
        &loaded.tree.items,
        parents,
        files_open,
        visit,
    );
    files_open.pop();
}

#[allow(clippy::too_many_arguments)] // the walk's state, threaded through recursion
fn walk_items<'a>(
    config: &'a LoadedConfig,
    sources: &'a SourceMap,
    file: FileId,
    text: &'a str,
    items: &'a [Item],
    parents: &mut Vec<Parent<'a>>,
    files_open: &mut Vec<FileId>,
    visit: &mut impl FnMut(&Visit<'a, '_>),
) {
    for item in items {
        let Item::Directive(directive) = item else {
            continue;
        };
        visit(&Visit {
            file,
            text,
            directive,
            parents,
        });
        if directive.name.is(text, "include") {
            for &target in config.include_targets(file, directive) {
                walk_file(config, sources, target, parents, files_open, visit);
            }
        }
        if let Some(block) = directive.block() {
            // Nesting is bounded by the parser (deeper blocks are raw).
            parents.push(Parent {
                file,
                text,
                directive,
            });
            walk_items(
                config,
                sources,
                file,
                text,
                &block.items,
                parents,
                files_open,
                visit,
            );
            parents.pop();
        }
    }
}
