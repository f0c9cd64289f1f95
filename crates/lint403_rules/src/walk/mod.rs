//! Walks over each dialect's loaded configuration that follow includes,
//! so a rule sees a directive in the context it really stands in.

pub mod apache;
pub mod apache_scope;
pub mod iis;
pub mod nginx;
pub mod probe;
pub mod run_sources;
