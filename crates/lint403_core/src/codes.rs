//! Codes of the diagnostics that do not come from a lint rule: what the
//! parsers and loaders report. Lint rules register their codes in the rule
//! crate; the parse family `P` lives here because every parser needs it.
//! Codes and names are a public contract (suppressions and CI configs name
//! them): never renumber one.

use crate::diagnostic::Severity;

/// A stable diagnostic code with its kebab-case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Code {
    pub code: &'static str,
    pub name: &'static str,
    pub default_severity: Severity,
    pub summary: &'static str,
}

/// The tokenizer or block grammar failed: the server itself would refuse
/// the file.
pub const SYNTAX_ERROR: Code = Code {
    code: "P001",
    name: "syntax-error",
    default_severity: Severity::Error,
    summary: "input the server's own parser rejects",
};

/// A known directive in a context the server refuses, or with an argument
/// count it refuses.
pub const DIRECTIVE_NOT_ALLOWED_HERE: Code = Code {
    code: "P002",
    name: "directive-not-allowed-here",
    default_severity: Severity::Error,
    summary: "a directive in a context, or with arguments, the server refuses",
};

/// An include that loads nothing (missing file, empty glob) or that cannot
/// be followed (absolute path outside the linted tree).
pub const INCLUDE_UNRESOLVED: Code = Code {
    code: "P003",
    name: "include-unresolved",
    default_severity: Severity::Warning,
    summary: "an include that loads nothing, or more than meant",
};

/// A file that exists but cannot be read (a directory given as an include,
/// a FIFO, a dangling symlink, permission denied).
pub const FILE_UNREADABLE: Code = Code {
    code: "P006",
    name: "file-unreadable",
    default_severity: Severity::Error,
    summary: "a configuration file that cannot be read",
};

/// Includes that include each other.
pub const INCLUDE_CYCLE: Code = Code {
    code: "P007",
    name: "include-cycle",
    default_severity: Severity::Error,
    summary: "files that include each other",
};

/// A bound lint403 sets to stay safe on hostile input: include depth, block
/// nesting depth, number of files a glob may pull in.
pub const LIMIT_EXCEEDED: Code = Code {
    code: "P008",
    name: "limit-exceeded",
    default_severity: Severity::Error,
    summary: "nesting or include depth beyond what lint403 follows",
};

/// A `<!DOCTYPE>` in an XML configuration: refused, no entity is expanded.
pub const DTD_REJECTED: Code = Code {
    code: "P009",
    name: "dtd-rejected",
    default_severity: Severity::Error,
    summary: "a document type declaration in web.config, refused unexpanded",
};

/// Every code defined in this crate, in code order.
pub const PARSE_CODES: &[Code] = &[
    SYNTAX_ERROR,
    DIRECTIVE_NOT_ALLOWED_HERE,
    INCLUDE_UNRESOLVED,
    FILE_UNREADABLE,
    INCLUDE_CYCLE,
    LIMIT_EXCEEDED,
    DTD_REJECTED,
];
