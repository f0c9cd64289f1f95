//! What `ngx_conf_handler` refuses: a known directive outside its
//! contexts, with a `{` where it takes `;` (or the reverse), with an
//! argument count its mask refuses, or (for `on|off` flags) with another
//! value. Also the `{` that a custom-handler body (`map`, `types`, …)
//! refuses, which nginx's `ngx_conf_parse` reports as a syntax error.
//!
//! Unknown directives are kept and not reported: third-party modules
//! define their own, and nothing inside their blocks is checked.

use std::collections::HashSet;

use lint403_core::codes::{DIRECTIVE_NOT_ALLOWED_HERE, SYNTAX_ERROR};
use lint403_core::{Diagnostic, FileId, SourceMap, Span};

use crate::directives::{self, Context, DirectiveSpec};
use crate::load::LoadedConfig;
use crate::syntax::{BodyKind, Directive, DirectiveEnd, Item};

/// Checks every file of `config` in the context it is reached in (a file
/// included from two contexts is checked in both).
pub fn check_directives(config: &LoadedConfig, sources: &SourceMap) -> Vec<Diagnostic> {
    check_directives_in(config, sources, config.root_context)
}

/// [`check_directives`] with the root file's top level in `root_context`.
pub(crate) fn check_directives_in(
    config: &LoadedConfig,
    sources: &SourceMap,
    root_context: Context,
) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let mut done: HashSet<(FileId, Context)> = HashSet::new();
    let mut files = vec![(config.root, root_context)];
    while let Some((file, context)) = files.pop() {
        if !done.insert((file, context)) {
            continue;
        }
        let Some(loaded) = config.file(file) else {
            continue;
        };
        let text = &sources.get(file).text;
        let mut stack: Vec<(&[Item], Context)> = vec![(&loaded.tree.items, context)];
        while let Some((items, context)) = stack.pop() {
            for item in items {
                let directive = match item {
                    Item::Directive(directive) => directive,
                    Item::OrphanBlock(block) => {
                        stack.push((&block.items, Context::Unknown));
                        continue;
                    }
                    _ => continue,
                };
                let checker = Checker {
                    file,
                    text,
                    directive,
                    context,
                };
                let child = checker.check(&mut diagnostics);
                if directive.is_named(text, "include") {
                    for &target in config.include_targets(file, directive) {
                        files.push((target, context));
                    }
                }
                if let (Some(block), Some(child)) = (directive.block(), child) {
                    if matches!(block.kind, BodyKind::Directives | BodyKind::Entries) {
                        stack.push((&block.items, child));
                    }
                }
            }
        }
    }
    diagnostics
}

struct Checker<'a> {
    file: FileId,
    text: &'a str,
    directive: &'a Directive,
    context: Context,
}

impl Checker<'_> {
    /// Reports what nginx would refuse first about this directive, and
    /// returns the context of its block.
    fn check(&self, diagnostics: &mut Vec<Diagnostic>) -> Option<Context> {
        let directive = self.directive;
        let name = directive.name(self.text);
        let block = directive.block();
        match self.context {
            Context::Entries(kind) => {
                if let Some(block) = block {
                    if block.kind != BodyKind::Lua {
                        diagnostics.push(
                            Diagnostic::new(
                                SYNTAX_ERROR,
                                Span::new(self.file, block.open()),
                                "unexpected \"{\"",
                            )
                            .with_label(format!("a block inside `{}`", kind.directive_name()))
                            .with_help(format!(
                                "the body of `{}` holds entries ending in \";\", not blocks; \
                                 quote a value that contains \"{{\"",
                                kind.directive_name()
                            )),
                        );
                    }
                }
                return block.map(|_| Context::Unknown);
            }
            Context::Unknown => return block.map(|_| Context::Unknown),
            _ => {}
        }
        if directive.end() == DirectiveEnd::Missing {
            // Cut short by a syntax error, already reported.
            return block.map(|_| Context::of_block(&name, self.context));
        }
        let specs = directive.known();
        if specs.is_empty() {
            self.unknown(&name, diagnostics);
            return block.map(|_| Context::Unknown);
        }
        let child = block.map(|_| Context::of_block(&name, self.context));
        match directives::first_allowed(specs, self.context) {
            None => diagnostics.push(self.not_allowed(&name)),
            Some(spec) => {
                if let Some(problem) = self.shape_problem(&name, spec) {
                    diagnostics.push(problem);
                }
            }
        }
        child
    }

    fn span(&self) -> Span {
        Span::new(self.file, self.directive.name.range())
    }

    fn not_allowed(&self, name: &str) -> Diagnostic {
        let allowed: Vec<&str> = directives::allowed_contexts(name)
            .into_iter()
            .map(Context::name)
            .collect();
        Diagnostic::new(
            DIRECTIVE_NOT_ALLOWED_HERE,
            self.span(),
            format!("\"{name}\" directive is not allowed here"),
        )
        .with_label(format!("not allowed in {}", self.context.name()))
        .with_help(format!(
            "move it: \"{name}\" is allowed in {}",
            allowed.join(", ")
        ))
    }

    /// Terminator, argument count and flag value, in the order nginx checks
    /// them; only the first problem, as nginx reports only that one.
    fn shape_problem(&self, name: &str, spec: &DirectiveSpec) -> Option<Diagnostic> {
        let directive = self.directive;
        let has_block = directive.block().is_some();
        if spec.block && !has_block {
            return Some(
                Diagnostic::new(
                    DIRECTIVE_NOT_ALLOWED_HERE,
                    self.span(),
                    format!("directive \"{name}\" has no opening \"{{\""),
                )
                .with_label("needs a block")
                .with_help(format!("\"{name}\" opens a block: `{name} ... {{ ... }}`")),
            );
        }
        if !spec.block && has_block {
            return Some(
                Diagnostic::new(
                    DIRECTIVE_NOT_ALLOWED_HERE,
                    self.span(),
                    format!("directive \"{name}\" is not terminated by \";\""),
                )
                .with_label("followed by a block")
                .with_help(format!(
                    "\"{name}\" does not take a block: end it with \";\" (an unquoted \"{{\" \
                     in an argument also opens a block; quote such arguments)"
                )),
            );
        }
        let count = directive.args.len();
        if !spec.args.accepts(count) {
            let span = match (directive.args.first(), directive.args.last()) {
                (Some(first), Some(last)) => {
                    Span::new(self.file, first.range().cover(last.range()))
                }
                _ => self.span(),
            };
            let given = match count {
                0 => "no arguments".to_string(),
                1 => "1 argument".to_string(),
                n => format!("{n} arguments"),
            };
            return Some(
                Diagnostic::new(
                    DIRECTIVE_NOT_ALLOWED_HERE,
                    span,
                    format!("invalid number of arguments in \"{name}\" directive"),
                )
                .with_label(given)
                .with_help(format!(
                    "\"{name}\" takes {} here; quote an argument that contains spaces",
                    spec.args.describe()
                )),
            );
        }
        if name == "valid_referers" {
            if let Some(problem) = self.referers_without_host(name) {
                return Some(problem);
            }
        }
        if name == "allow" || name == "deny" {
            if let Some(problem) = self.invalid_address(name) {
                return Some(problem);
            }
        }
        if spec.flag {
            if let Some(value) = directive.args.first() {
                let value_text = value.value(self.text);
                let is_flag =
                    value_text.eq_ignore_ascii_case("on") || value_text.eq_ignore_ascii_case("off");
                if !is_flag {
                    return Some(
                        Diagnostic::new(
                            DIRECTIVE_NOT_ALLOWED_HERE,
                            Span::new(self.file, value.range()),
                            format!(
                                "invalid value \"{value_text}\" in \"{name}\" directive, it \
                                 must be \"on\" or \"off\""
                            ),
                        )
                        .with_label("not on or off")
                        .with_help(format!("write `{name} on;` or `{name} off;`")),
                    );
                }
            }
        }
        None
    }

    /// An `allow`/`deny` address nginx cannot read (`ngx_ptocidr`; see
    /// [`crate::address`]): nginx does not start.
    fn invalid_address(&self, name: &str) -> Option<Diagnostic> {
        let value = self.directive.args.first()?;
        let text = value.value(self.text);
        if text == "all" || text == "unix:" || crate::address::parse_cidr(&text).is_some() {
            return None;
        }
        Some(
            Diagnostic::new(
                DIRECTIVE_NOT_ALLOWED_HERE,
                Span::new(self.file, value.range()),
                format!("invalid parameter \"{text}\""),
            )
            .with_label("not an address, a network, `all` or `unix:`")
            .with_help(format!(
                "write an address (`{name} 192.0.2.10;`), a network (`{name} 192.0.2.0/24;`), `{name} all;` or `{name} unix:;` (lower case); nginx refuses this and does not start"
            )),
        )
    }

    /// nginx refuses `none` or `blocked` unless a host name (or
    /// `server_names`) is listed too: regex entries do not count (probed
    /// against `nginx -t`; see `tests/real_server.rs`).
    fn referers_without_host(&self, name: &str) -> Option<Diagnostic> {
        let values: Vec<String> = self
            .directive
            .args
            .iter()
            .map(|arg| arg.value(self.text).to_string())
            .collect();
        let flagged = values.iter().any(|v| v == "none" || v == "blocked");
        let hosts = values
            .iter()
            .any(|v| v != "none" && v != "blocked" && !v.starts_with('~'));
        (flagged && !hosts).then(|| {
            Diagnostic::new(
                DIRECTIVE_NOT_ALLOWED_HERE,
                self.span(),
                format!(
                    "the \"none\" or \"blocked\" referers are specified in the \"{name}\" directive without any valid referer"
                ),
            )
            .with_label("only none/blocked and regexes")
            .with_help(
                "nginx refuses this and does not start: add `server_names` or a host name (regex entries do not count)",
            )
        })
    }

    /// A name nginx does not know is not reported, except when it is a
    /// known name behind a UTF-8 byte order mark: nginx reads the mark as
    /// part of the first directive's name and refuses the file.
    fn unknown(&self, name: &str, diagnostics: &mut Vec<Diagnostic>) {
        let Some(without_bom) = name.strip_prefix('\u{feff}') else {
            return;
        };
        if directives::is_known(without_bom) {
            diagnostics.push(
                Diagnostic::new(
                    DIRECTIVE_NOT_ALLOWED_HERE,
                    self.span(),
                    format!(
                        "unknown directive \"\\xEF\\xBB\\xBF{without_bom}\": the file starts \
                         with a UTF-8 byte order mark"
                    ),
                )
                .with_label("byte order mark before the name")
                .with_help(
                    "save the file as UTF-8 without BOM; nginx reads the mark as part of the name",
                ),
            );
        }
    }
}
