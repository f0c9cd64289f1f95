//! The `lint403` command line: discovery, dialect detection, the run over
//! every file, and the output formats. The work itself happens in the
//! dialect crates; this crate is wiring.

pub mod cli;
pub mod config;
pub mod detect;
pub mod discover;
pub mod docs;
pub mod expect;
pub mod init;
pub mod render;
pub mod run;
pub mod suppress;
pub mod trace;
