//! ## What it does
//! Flags text written after the `>` of a section's opening line, such as
//! `<Files ".env"> Require all denied`.
//!
//! ## Why it causes 403
//! httpd takes a section's arguments from what stands before the last `>`
//! of the line and silently drops the rest. A directive written on the
//! opening line is never read: a `Require all denied` there leaves the
//! files open (fail-open), a `Require all granted` there leaves the
//! 403 of an outer deny in place. A trailing `# note` is dropped the same
//! way and is harmless, so the rule ignores it. `<IfVersion>` is the
//! exception: `mod_version` refuses an opening line that does not end in
//! `>` (checked with `apache2 -t`), so the rule leaves it alone.
//!
//! ## Example
//! ```apache
//! <Directory "/var/www/html">
//!     <Files ".env"> Require all denied
//!     </Files>
//! </Directory>
//! ```
//! `GET /.env` → 200: the `Require` is dropped with the rest of the line.
//!
//! ## Fix
//! Put the directive on a line of its own:
//! ```apache
//! <Directory "/var/www/html">
//!     <Files ".env">
//!         Require all denied
//!     </Files>
//! </Directory>
//! ```
//!
//! ## References
//! - <https://httpd.apache.org/docs/2.4/sections.html>
//! - httpd `server/core.c` (`dirsection`, `filesection`, …) cut the
//!   argument at the last `>` (`ap_strrchr_c(arg, '>')`); verified on httpd
//!   2.4 (research e#2).

use lint403_core::{Code, Diagnostic, Dialect, Severity, Span};

use lint403_apache::syntax::SectionKind;

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::apache::{self, Event};
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "P204",
        name: "apache-section-trailing-content",
        default_severity: Severity::Error,
        summary: "text after a section opener's `>` is silently dropped",
        doc: "",
    },
    family: Family::Parse,
    dialects: &[Dialect::Apache],
    likelihood: Likelihood::Occasional,
    fix: FixDifficulty::Trivial,
    source: include_str!("p204_apache_section_trailing_content.rs"),
    check,
};

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Loaded::Apache(config) = context.config else {
        return;
    };
    apache::walk(config, context.sources, |visit| {
        let Event::Enter(section) = visit.event else {
            return;
        };
        // mod_version wants the line to end in `>` and refuses anything
        // else ("missing closing '>'"): a syntax error, not dropped text.
        // (lint403's parser takes the `>` of `<IfVersion >= 2.4`.)
        if section.kind == SectionKind::IfVersion {
            return;
        }
        let Some(trailing) = section.open.trailing else {
            return;
        };
        let dropped = visit
            .text
            .get(trailing.start..trailing.end)
            .unwrap_or_default()
            .trim();
        if dropped.is_empty() || dropped.starts_with('#') {
            return;
        }
        let name = section.open.name(visit.text);
        let opener = apache::open_span(visit.file, section);
        out.push(
            Diagnostic::new(
                RULE.code,
                Span::new(visit.file, trailing),
                format!(
                    "httpd drops everything after the `>` of `<{name}>`: `{dropped}` never applies"
                ),
            )
            .with_label("dropped by httpd")
            .with_related(opener, "the opening tag ends here")
            .with_help(format!(
                "move `{dropped}` to a line of its own inside the section"
            )),
        );
    });
}
