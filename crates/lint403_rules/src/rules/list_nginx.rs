//! Rules whose first dialect was nginx.

use crate::registry::Rule;

#[path = "a001_acl_entry_shadowed.rs"]
mod a001_acl_entry_shadowed;
#[path = "a004_acl_cidr_host_bits.rs"]
mod a004_acl_cidr_host_bits;

pub(super) static RULES: &[&Rule] = &[
    &a001_acl_entry_shadowed::RULE,
    &a004_acl_cidr_host_bits::RULE,
];
