//! Apache httpd 2.4 configuration and `.htaccess` files for lint403: a nom
//! parser that reads them the way httpd does into a lossless syntax tree,
//! the directive-context table httpd enforces, and a loader that follows
//! `Include`/`IncludeOptional`.

pub mod syntax;

pub use syntax::{parse, print, ParsedFile};
