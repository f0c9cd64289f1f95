//! Rules whose first dialect was Apache httpd.

use crate::registry::Rule;

#[path = "p201_apache_comment_continuation.rs"]
mod p201_apache_comment_continuation;

pub(super) static RULES: &[&Rule] = &[&p201_apache_comment_continuation::RULE];
