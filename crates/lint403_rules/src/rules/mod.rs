//! Every rule, one module each, named `<code>_<name>`.

use crate::registry::Rule;

mod a004_acl_cidr_host_bits;

/// The registry, in code order.
pub static RULES: &[Rule] = &[a004_acl_cidr_host_bits::RULE];
