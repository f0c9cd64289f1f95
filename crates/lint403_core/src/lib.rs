//! The vocabulary every other lint403 crate speaks: source files and byte
//! spans, diagnostics, the registry of parse-level diagnostic codes, the
//! contract of a dialect's `check`, and the small filesystem helpers (safe
//! reading, glob matching) the dialect loaders share.
//!
//! This crate depends on nothing of ours, so each dialect crate can use it
//! without pulling in the others.

pub mod check;
pub mod codes;
pub mod cores;
pub mod diagnostic;
pub mod dialect;
pub mod digest;
pub mod facts;
pub mod fit;
pub mod fsview;
pub mod glob;
pub mod hashing;
pub mod model;
pub mod net;
pub mod paths;
pub mod pattern;
pub mod read;
pub mod request;
pub mod source;
pub mod verdict;

pub use check::{CheckOptions, CheckOutput};
pub use codes::Code;
pub use diagnostic::{Diagnostic, Label, Severity};
pub use dialect::Dialect;
pub use model::{Model, Selector};
pub use net::Cidr;
pub use pattern::Pattern;
pub use request::Request;
pub use source::{FileId, LineCol, SourceFile, SourceMap, Span, TextEncoding, TextRange};
pub use verdict::{Outcome, Step, StepRole, TraceOptions, Verdict};
