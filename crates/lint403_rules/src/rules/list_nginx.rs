//! Rules whose first dialect was nginx.

use crate::registry::Rule;

#[path = "a001_acl_entry_shadowed.rs"]
mod a001_acl_entry_shadowed;
#[path = "a002_allow_list_without_deny.rs"]
mod a002_allow_list_without_deny;
#[path = "a004_acl_cidr_host_bits.rs"]
mod a004_acl_cidr_host_bits;
#[path = "a005_acl_ipv4_only_dual_stack.rs"]
mod a005_acl_ipv4_only_dual_stack;
#[path = "a007_ip_acl_behind_proxy.rs"]
mod a007_ip_acl_behind_proxy;
#[path = "a102_realip_trusts_everyone.rs"]
mod a102_realip_trusts_everyone;
#[path = "b002_deny_pattern_overbroad.rs"]
mod b002_deny_pattern_overbroad;
#[path = "b003_dotfile_block_hits_well_known.rs"]
mod b003_dotfile_block_hits_well_known;
#[path = "b004_method_limit_blocks_preflight.rs"]
mod b004_method_limit_blocks_preflight;
#[path = "p005_regex_not_evaluable.rs"]
mod p005_regex_not_evaluable;
#[path = "p101_regex_needs_quotes.rs"]
mod p101_regex_needs_quotes;
#[path = "r001_hotlink_refuses_empty_referer.rs"]
mod r001_hotlink_refuses_empty_referer;
#[path = "r002_referer_pattern_misses_own_site.rs"]
mod r002_referer_pattern_misses_own_site;
#[path = "r101_invalid_referer_dangling.rs"]
mod r101_invalid_referer_dangling;
#[path = "s001_child_acl_replaces_parent.rs"]
mod s001_child_acl_replaces_parent;
#[path = "s002_restriction_overridden_by_other_scope.rs"]
mod s002_restriction_overridden_by_other_scope;
#[path = "s101_rewrite_phase_bypasses_acl.rs"]
mod s101_rewrite_phase_bypasses_acl;
#[path = "s102_acl_on_raw_request_uri.rs"]
mod s102_acl_on_raw_request_uri;
#[path = "t001_satisfy_any_opens_deny.rs"]
mod t001_satisfy_any_opens_deny;
#[path = "t002_auth_incomplete.rs"]
mod t002_auth_incomplete;

pub(super) static RULES: &[&Rule] = &[
    &a001_acl_entry_shadowed::RULE,
    &a002_allow_list_without_deny::RULE,
    &a004_acl_cidr_host_bits::RULE,
    &a005_acl_ipv4_only_dual_stack::RULE,
    &a007_ip_acl_behind_proxy::RULE,
    &a102_realip_trusts_everyone::RULE,
    &b002_deny_pattern_overbroad::RULE,
    &b003_dotfile_block_hits_well_known::RULE,
    &b004_method_limit_blocks_preflight::RULE,
    &p005_regex_not_evaluable::RULE,
    &p101_regex_needs_quotes::RULE,
    &r001_hotlink_refuses_empty_referer::RULE,
    &r002_referer_pattern_misses_own_site::RULE,
    &r101_invalid_referer_dangling::RULE,
    &s001_child_acl_replaces_parent::RULE,
    &s002_restriction_overridden_by_other_scope::RULE,
    &s101_rewrite_phase_bypasses_acl::RULE,
    &s102_acl_on_raw_request_uri::RULE,
    &t001_satisfy_any_opens_deny::RULE,
    &t002_auth_incomplete::RULE,
];
