//! Rules whose first dialect was nginx.

use crate::registry::Rule;

#[path = "a004_acl_cidr_host_bits.rs"]
mod a004_acl_cidr_host_bits;

pub(super) static RULES: &[&Rule] = &[&a004_acl_cidr_host_bits::RULE];
