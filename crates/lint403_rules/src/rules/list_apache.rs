//! Rules whose first dialect was Apache httpd.

use crate::registry::Rule;

#[path = "a201_authz_negation_context.rs"]
mod a201_authz_negation_context;

#[path = "a204_compat_mixed_engines.rs"]
mod a204_compat_mixed_engines;

#[path = "i201_rewrite_needs_symlinks.rs"]
mod i201_rewrite_needs_symlinks;

#[path = "p201_apache_comment_continuation.rs"]
mod p201_apache_comment_continuation;

#[path = "p202_apache_inline_comment.rs"]
mod p202_apache_inline_comment;

// rustfmt would strip the blank after the backslash in the doc example.
#[rustfmt::skip]
#[path = "p203_apache_backslash_space_eol.rs"]
mod p203_apache_backslash_space_eol;

#[path = "p204_apache_section_trailing_content.rs"]
mod p204_apache_section_trailing_content;

#[path = "p205_apache_ifmodule_unknown_name.rs"]
mod p205_apache_ifmodule_unknown_name;

#[path = "p206_apache_undefined_variable.rs"]
mod p206_apache_undefined_variable;

#[path = "p207_apache_options_mixed_signs.rs"]
mod p207_apache_options_mixed_signs;

#[path = "p208_apache_method_case.rs"]
mod p208_apache_method_case;

#[path = "p209_htaccess_ignored.rs"]
mod p209_htaccess_ignored;

#[path = "p210_htaccess_override_class.rs"]
mod p210_htaccess_override_class;

#[path = "p211_compat_legacy_directive.rs"]
mod p211_compat_legacy_directive;

#[path = "s201_authz_limit_partial.rs"]
mod s201_authz_limit_partial;

pub(super) static RULES: &[&Rule] = &[
    &a201_authz_negation_context::RULE,
    &a204_compat_mixed_engines::RULE,
    &i201_rewrite_needs_symlinks::RULE,
    &p201_apache_comment_continuation::RULE,
    &p202_apache_inline_comment::RULE,
    &p203_apache_backslash_space_eol::RULE,
    &p204_apache_section_trailing_content::RULE,
    &p205_apache_ifmodule_unknown_name::RULE,
    &p206_apache_undefined_variable::RULE,
    &p207_apache_options_mixed_signs::RULE,
    &p208_apache_method_case::RULE,
    &p209_htaccess_ignored::RULE,
    &p210_htaccess_override_class::RULE,
    &p211_compat_legacy_directive::RULE,
    &s201_authz_limit_partial::RULE,
];
