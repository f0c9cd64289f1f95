//! The vocabulary every other lint403 crate speaks: source files and byte
//! spans, diagnostics, the registry of parse-level diagnostic codes, the
//! contract of a dialect's `check`, and the small filesystem helpers (safe
//! reading, glob matching) the dialect loaders share.
//!
//! This crate depends on nothing of ours, so each dialect crate can use it
//! without pulling in the others.

pub mod check;
pub mod codes;
pub mod diagnostic;
pub mod dialect;
pub mod glob;
pub mod read;
pub mod source;

pub use check::{CheckOptions, CheckOutput};
pub use codes::Code;
pub use diagnostic::{Diagnostic, Label, Severity};
pub use dialect::Dialect;
pub use source::{FileId, LineCol, SourceFile, SourceMap, Span, TextEncoding, TextRange};
