//! Rules whose first dialect was nginx.

use crate::registry::Rule;

#[path = "a001_acl_entry_shadowed.rs"]
mod a001_acl_entry_shadowed;
#[path = "a002_allow_list_without_deny.rs"]
mod a002_allow_list_without_deny;
#[path = "a004_acl_cidr_host_bits.rs"]
mod a004_acl_cidr_host_bits;
#[path = "s001_child_acl_replaces_parent.rs"]
mod s001_child_acl_replaces_parent;
#[path = "t001_satisfy_any_opens_deny.rs"]
mod t001_satisfy_any_opens_deny;
#[path = "t002_auth_incomplete.rs"]
mod t002_auth_incomplete;

pub(super) static RULES: &[&Rule] = &[
    &a001_acl_entry_shadowed::RULE,
    &a002_allow_list_without_deny::RULE,
    &a004_acl_cidr_host_bits::RULE,
    &s001_child_acl_replaces_parent::RULE,
    &t001_satisfy_any_opens_deny::RULE,
    &t002_auth_incomplete::RULE,
];
