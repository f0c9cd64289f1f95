//! Rules whose first dialect was IIS.

use crate::registry::Rule;

pub(super) static RULES: &[&Rule] = &[];
