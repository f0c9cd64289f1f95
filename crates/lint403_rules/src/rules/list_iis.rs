//! Rules whose first dialect was IIS.

use crate::registry::Rule;

#[path = "a003_default_deny_without_allow.rs"]
mod a003_default_deny_without_allow;
#[path = "a301_iis_ipsecurity_implicit_deny.rs"]
mod a301_iis_ipsecurity_implicit_deny;
#[path = "b001_server_wide_403.rs"]
mod b001_server_wide_403;
#[path = "p301_iis_section_locked_by_default.rs"]
mod p301_iis_section_locked_by_default;
#[path = "p302_iis_urlauthz_aspnet_syntax.rs"]
mod p302_iis_urlauthz_aspnet_syntax;
#[path = "s301_iis_rewrite_leading_slash.rs"]
mod s301_iis_rewrite_leading_slash;
#[path = "t301_iis_ssl_required.rs"]
mod t301_iis_ssl_required;

pub(super) static RULES: &[&Rule] = &[
    &a003_default_deny_without_allow::RULE,
    &a301_iis_ipsecurity_implicit_deny::RULE,
    &b001_server_wide_403::RULE,
    &p301_iis_section_locked_by_default::RULE,
    &p302_iis_urlauthz_aspnet_syntax::RULE,
    &s301_iis_rewrite_leading_slash::RULE,
    &t301_iis_ssl_required::RULE,
];
