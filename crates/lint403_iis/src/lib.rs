//! IIS `web.config`: a strict XML 1.0 reader written with nom, with byte
//! spans on every token, and the loader that follows `configSource`.
//!
//! - [`parse`] reads one document into a lossless [`Document`] (elements,
//!   attributes in either quote, comments, CDATA, processing instructions,
//!   the five predefined entities and character references, attribute-value
//!   and line-end normalization, namespaces). A DTD is refused (P009) and
//!   no entity is ever expanded; every other well-formedness error is P001.
//!   Names are case-sensitive, as in IIS.
//! - [`print`] prints a tree back byte for byte.
//! - [`load`] parses a web.config and the files its `configSource`
//!   attributes name; [`check`] is the command line's entry point on top
//!   of it.
//! - [`looks_like_iis_config`] tells a web.config from other XML.
//! - [`lower`] turns a loaded site web.config (and the folder web.config
//!   files below it) into the shared model; [`IisSelector`] picks the
//!   configuration levels of a URL; [`trace`] runs one request through
//!   them in the IIS pipeline's order (`docs/trace-iis.md`).
//!
//! The reader accepts what roxmltree 0.21 accepts and builds the same tree
//! (the oracle tests check it), except where roxmltree is laxer than
//! XML 1.0 / Namespaces in XML; `docs/iis-parser.md` lists those cases.

pub mod canonical;
mod chars;
mod detect;
mod error;
mod load;
pub mod lower;
mod parser;
mod print;
pub mod select;
pub mod syntax;
pub mod trace;

pub use detect::looks_like_iis_config;
pub use error::{ErrorKind, SyntaxError};
pub use load::{
    check, check_loaded, load, ConfigSourceLink, LoadedConfig, LoadedFile, MAX_CONFIG_SOURCE_DEPTH,
};
pub use lower::lower;
pub use parser::{parse, ParseOutput};
pub use print::print;
pub use select::IisSelector;
pub use syntax::{
    Attribute, CData, Comment, Document, Element, EndTag, Misc, Node, ProcessingInstruction,
    QualifiedName, Quote, Text, XmlDeclaration,
};
pub use trace::trace;
