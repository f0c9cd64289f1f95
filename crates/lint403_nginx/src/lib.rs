//! nginx configuration for lint403.
//!
//! - [`parse`]: the tokenizer and block grammar of nginx 1.22
//!   (`ngx_conf_read_token`, `ngx_conf_parse`) over one file's text, into a
//!   lossless [`SyntaxTree`] with a byte range on every node; its syntax
//!   errors carry nginx's own messages, on the line `nginx -t` names.
//! - [`load`]: a file and everything it includes, each parsed once, with
//!   each `include` linked to the files it pulled in ([`LoadedConfig`]).
//! - [`check`]: [`load`] plus nginx's directive table ([`directives`]):
//!   directives outside their contexts, with a `{` or `;` where the other
//!   belongs, with argument counts nginx refuses.

pub mod address;
pub mod directives;
pub mod load;
pub mod lower;
pub mod select;
pub mod syntax;
pub mod trace;
mod validate;

use std::collections::HashSet;

use lint403_core::codes::SYNTAX_ERROR;
use lint403_core::{CheckOptions, CheckOutput, FileId, SourceMap};

pub use directives::Context;
pub use load::{load, IncludeLink, LoadedConfig, LoadedFile};
pub use lower::lower;
pub use select::NginxSelector;
pub use syntax::{parse, ParseOutput, SyntaxError, SyntaxTree};
pub use trace::trace;

/// Checks the already loaded file `file` and everything it includes (read
/// with [`lint403_core::read::read_source`] and added to `sources`).
///
/// Relative includes resolve against `options.include_root`, else the
/// directory of the main configuration (for a fragment: the nearest
/// ancestor directory holding an `nginx.conf`, else its own directory).
/// Absolute includes are read only through `options.map_absolute`.
pub fn check(sources: &mut SourceMap, file: FileId, options: &CheckOptions) -> CheckOutput {
    let config = load(sources, file, options);
    check_loaded(&config, sources)
}

/// The checks of [`check`] on a configuration already loaded, so that a
/// caller that also lints the loaded trees reads every file once.
pub fn check_loaded(config: &LoadedConfig, sources: &SourceMap) -> CheckOutput {
    let file = config.root;
    let mut diagnostics = config.diagnostics.clone();
    diagnostics.extend(validate::check_directives(config, sources));
    let mut seen = HashSet::new();
    diagnostics.retain(|diagnostic| {
        seen.insert((
            diagnostic.code.code,
            diagnostic.span,
            diagnostic.message.clone(),
        ))
    });
    let broken: HashSet<FileId> = diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.code == SYNTAX_ERROR)
        .map(|diagnostic| diagnostic.span.file)
        .collect();
    CheckOutput {
        diagnostics,
        parsed: config
            .files
            .iter()
            .map(|loaded| loaded.id)
            .filter(|id| !broken.contains(id))
            .collect(),
        included: config
            .files
            .iter()
            .map(|loaded| loaded.id)
            .filter(|id| *id != file)
            .collect(),
    }
}
