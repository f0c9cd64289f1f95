//! Rules whose first dialect was IIS.

use crate::registry::Rule;

#[path = "a003_default_deny_without_allow.rs"]
mod a003_default_deny_without_allow;
#[path = "p302_iis_urlauthz_aspnet_syntax.rs"]
mod p302_iis_urlauthz_aspnet_syntax;

pub(super) static RULES: &[&Rule] = &[
    &a003_default_deny_without_allow::RULE,
    &p302_iis_urlauthz_aspnet_syntax::RULE,
];
