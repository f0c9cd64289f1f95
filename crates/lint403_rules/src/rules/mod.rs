//! Every rule, one file each, named `<code>_<name>.rs`. Rules are listed
//! in three registration files by the dialect whose work introduced them
//! (so that rules can be added to each in parallel); the registry merges
//! the lists in code order.

use std::sync::LazyLock;

use crate::registry::Rule;

mod list_apache;
mod list_iis;
mod list_nginx;

/// The registry, in code order.
pub static RULES: LazyLock<Vec<&'static Rule>> = LazyLock::new(|| {
    let mut rules: Vec<&'static Rule> = list_nginx::RULES
        .iter()
        .chain(list_apache::RULES)
        .chain(list_iis::RULES)
        .copied()
        .collect();
    rules.sort_by_key(|rule| rule.code.code);
    rules
});
