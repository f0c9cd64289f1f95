//! Rules whose first dialect was IIS.

use crate::registry::Rule;

#[path = "p302_iis_urlauthz_aspnet_syntax.rs"]
mod p302_iis_urlauthz_aspnet_syntax;

pub(super) static RULES: &[&Rule] = &[&p302_iis_urlauthz_aspnet_syntax::RULE];
