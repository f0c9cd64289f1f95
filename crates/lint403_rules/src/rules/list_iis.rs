//! Rules whose first dialect was IIS.

use crate::registry::Rule;

#[path = "a003_default_deny_without_allow.rs"]
mod a003_default_deny_without_allow;
#[path = "a006_acl_hostname_needs_rdns.rs"]
mod a006_acl_hostname_needs_rdns;
#[path = "a301_iis_ipsecurity_implicit_deny.rs"]
mod a301_iis_ipsecurity_implicit_deny;
#[path = "b001_server_wide_403.rs"]
mod b001_server_wide_403;
#[path = "b301_iis_rewrite_matchany_negated.rs"]
mod b301_iis_rewrite_matchany_negated;
#[path = "b302_iis_rewrite_unreachable.rs"]
mod b302_iis_rewrite_unreachable;
#[path = "i001_directory_without_index.rs"]
mod i001_directory_without_index;
#[path = "i301_iis_accesspolicy_blocks_handlers.rs"]
mod i301_iis_accesspolicy_blocks_handlers;
#[path = "i304_iis_requestfiltering_unhides_config.rs"]
mod i304_iis_requestfiltering_unhides_config;
#[path = "p301_iis_section_locked_by_default.rs"]
mod p301_iis_section_locked_by_default;
#[path = "p302_iis_urlauthz_aspnet_syntax.rs"]
mod p302_iis_urlauthz_aspnet_syntax;
#[path = "p303_aspnet_authz_no_clear.rs"]
mod p303_aspnet_authz_no_clear;
#[path = "p304_iis_rewrite_customresponse_invalid.rs"]
mod p304_iis_rewrite_customresponse_invalid;
#[path = "p305_iis_rewrite_duplicate_name.rs"]
mod p305_iis_rewrite_duplicate_name;
#[path = "p307_iis_location_invalid.rs"]
mod p307_iis_location_invalid;
#[path = "r003_referer_pattern_admits_lookalike.rs"]
mod r003_referer_pattern_admits_lookalike;
#[path = "s301_iis_rewrite_leading_slash.rs"]
mod s301_iis_rewrite_leading_slash;
#[path = "t301_iis_ssl_required.rs"]
mod t301_iis_ssl_required;
#[path = "t302_iis_client_cert_required.rs"]
mod t302_iis_client_cert_required;

pub(super) static RULES: &[&Rule] = &[
    &a003_default_deny_without_allow::RULE,
    &a301_iis_ipsecurity_implicit_deny::RULE,
    &b001_server_wide_403::RULE,
    &b301_iis_rewrite_matchany_negated::RULE,
    &p301_iis_section_locked_by_default::RULE,
    &p302_iis_urlauthz_aspnet_syntax::RULE,
    &p303_aspnet_authz_no_clear::RULE,
    &p304_iis_rewrite_customresponse_invalid::RULE,
    &p305_iis_rewrite_duplicate_name::RULE,
    &s301_iis_rewrite_leading_slash::RULE,
    &t301_iis_ssl_required::RULE,
    &i001_directory_without_index::RULE,
    &t302_iis_client_cert_required::RULE,
    &i304_iis_requestfiltering_unhides_config::RULE,
    &b302_iis_rewrite_unreachable::RULE,
    &r003_referer_pattern_admits_lookalike::RULE,
    &a006_acl_hostname_needs_rdns::RULE,
    &p307_iis_location_invalid::RULE,
    &i301_iis_accesspolicy_blocks_handlers::RULE,
];
