//! The Apache httpd 2.4 configuration grammar, as `server/util.c` and
//! `server/config.c` read it, parsed with nom into a lossless tree.
//!
//! What httpd does, and so what this parser does:
//! - a backslash right before the newline joins the next physical line
//!   verbatim; `\` followed by a blank is not a continuation;
//! - leading and trailing blanks of the joined line are dropped; a line is
//!   a comment only when its first non-blank character is `#`, so a
//!   comment ending in `\` swallows the next line, and `# ...` after a
//!   directive is more arguments;
//! - `${VAR}` is substituted on the whole line before it is split into
//!   words (a value with blanks makes several words);
//! - words are split as `ap_getword_conf` does: blanks separate, a word that
//!   starts with `"` or `'` runs to the same quote (or the end of the line);
//! - a line whose first word starts with `<` opens a section, `</` closes
//!   one; a section's arguments are what stands before the last `>`;
//! - conditional sections (`<IfModule>`, `<IfDefine>`, ...) are read by a
//!   loop of their own that only a line reading exactly `</IfModule>` ends.

mod build;
mod lines;
mod print;
mod tree;
mod words;

pub use build::ReadHook;
pub use print::print;
pub use tree::{
    CloseTag, Comment, Directive, IncludeTarget, Line, Node, OpenTag, ParsedFile, Quote, Section,
    SectionKind, SyntaxError, Visit, Walk, Word,
};
pub use words::argument_values;

use std::collections::HashMap;

/// Sections nested deeper than this are read flat (their bodies follow as
/// siblings), so that no pass over the tree recurses without bound.
pub const MAX_SECTION_DEPTH: usize = 200;

/// httpd's limit on a logical line of the main configuration
/// (`VARBUF_MAX_LEN`): a line this long is "Line too long".
pub const MAIN_CONFIG_LINE_LIMIT: usize = 16 * 1024 * 1024;

/// httpd's limit on a logical line of a `.htaccess` file
/// (`HUGE_STRING_LEN`).
pub const HTACCESS_LINE_LIMIT: usize = 8192;

/// How to read one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    /// The logical-line length httpd refuses.
    pub line_limit: usize,
}

impl Default for ParseOptions {
    fn default() -> ParseOptions {
        ParseOptions {
            line_limit: MAIN_CONFIG_LINE_LIMIT,
        }
    }
}

impl ParseOptions {
    /// The limits httpd applies to `.htaccess` files.
    pub fn htaccess() -> ParseOptions {
        ParseOptions {
            line_limit: HTACCESS_LINE_LIMIT,
        }
    }
}

/// The variables `Define` set so far, in reading order. Names compare
/// case-insensitively, as httpd's table does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Defines {
    values: HashMap<String, String>,
    /// Names defined without a value (they count for `<IfDefine>`, not for
    /// `${VAR}`), and names defined with one.
    names: HashMap<String, String>,
}

impl Defines {
    /// `Define name [value]`.
    pub fn define(&mut self, name: &str, value: Option<&str>) {
        let key = name.to_ascii_lowercase();
        self.names.insert(key.clone(), name.to_string());
        if let Some(value) = value {
            self.values.insert(key, value.to_string());
        }
    }

    /// `UnDefine name`.
    pub fn undefine(&mut self, name: &str) {
        let key = name.to_ascii_lowercase();
        self.values.remove(&key);
        self.names.remove(&key);
    }

    /// The value `${name}` substitutes, if any.
    pub fn value(&self, name: &str) -> Option<&str> {
        if self.values.is_empty() {
            return None;
        }
        self.values
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// Whether `name` was defined (with or without a value).
    pub fn is_defined(&self, name: &str) -> bool {
        self.names.contains_key(&name.to_ascii_lowercase())
    }

    /// Whether no variable has a value.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// A hook that does nothing: includes are not followed.
struct NoHook;

impl ReadHook for NoHook {
    fn exec_on_read(&mut self, _: &mut Directive, _: &str, _: &mut Defines) {}
}

/// Parses one file on its own: main-configuration limits, no variables
/// defined beforehand, includes not followed.
pub fn parse(text: &str) -> ParsedFile {
    parse_with(
        text,
        ParseOptions::default(),
        &mut Defines::default(),
        &mut NoHook,
    )
}

/// Parses one file with the variables defined so far; `hook` is called for
/// each `Include`, `IncludeOptional` and `ServerRoot` as it is read (httpd
/// executes them while reading), before the next line.
pub fn parse_with(
    text: &str,
    options: ParseOptions,
    defines: &mut Defines,
    hook: &mut dyn ReadHook,
) -> ParsedFile {
    build::build(text, options, defines, hook)
}
