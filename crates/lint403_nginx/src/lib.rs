//! nginx configuration for lint403: a tokenizer and block parser that
//! reproduce `ngx_conf_read_token`/`ngx_conf_parse` of nginx 1.22, a
//! lossless syntax tree with byte spans, include resolution, and nginx's
//! table of directives with their contexts and argument counts.

pub mod directives;
pub mod syntax;

pub use syntax::{parse, ParseOutput, SyntaxTree};
