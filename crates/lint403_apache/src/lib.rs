//! Apache httpd 2.4 configuration and `.htaccess` files for lint403: a nom
//! parser that reads them the way httpd does into a lossless syntax tree,
//! the table of where httpd allows each directive, and a loader that
//! follows `Include`/`IncludeOptional`.
//!
//! - [`parse`] reads one text on its own (for benchmarks and fuzzing);
//! - [`load`] reads a file and everything it includes into a
//!   [`LoadedConfig`] for later passes;
//! - [`check`] is `load` packaged as the command line expects.

pub mod context;
mod load;
pub mod syntax;

pub use context::Context;
pub use load::{
    check, check_loaded, is_htaccess_name, is_main_config_name, load, LoadedConfig, LoadedFile,
    MAX_INCLUDE_DEPTH, MAX_INCLUDE_MATCHES,
};
pub use syntax::{parse, print, ParsedFile};
