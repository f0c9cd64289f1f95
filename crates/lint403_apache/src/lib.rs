//! Apache httpd 2.4 configuration and `.htaccess` files for lint403: a nom
//! parser that reads them the way httpd does into a lossless syntax tree,
//! the table of where httpd allows each directive, and a loader that
//! follows `Include`/`IncludeOptional`.
//!
//! - [`parse`] reads one text on its own (for benchmarks and fuzzing);
//! - [`load`] reads a file and everything it includes into a
//!   [`LoadedConfig`] for later passes;
//! - [`check`] is `load` packaged as the command line expects;
//! - [`lower`] turns a loaded configuration (and the `.htaccess` files
//!   under its document roots) into the shared model, [`ApacheSelector`]
//!   says which sections apply to a request, and [`trace`] follows one
//!   request through httpd's phases to its status.

pub mod context;
mod load;
pub mod lower;
mod names;
mod select;
pub mod syntax;
mod trace;

pub use context::Context;
pub use load::{
    check, check_loaded, is_htaccess_name, is_main_config_name, load, LoadedConfig, LoadedFile,
    MAX_INCLUDE_DEPTH, MAX_INCLUDE_MATCHES,
};
pub use lower::lower;
pub use select::{choose_site, ApacheSelector};
pub use syntax::{parse, print, ParsedFile};
pub use trace::{trace, trace_reading_referer};
