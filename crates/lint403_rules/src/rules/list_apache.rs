//! Rules whose first dialect was Apache httpd.

use crate::registry::Rule;

pub(super) static RULES: &[&Rule] = &[];
