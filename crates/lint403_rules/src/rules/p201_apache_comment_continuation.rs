//! ## What it does
//! Flags a comment line that ends in a backslash when the physical line
//! after it holds a directive.
//!
//! ## Why it causes 403
//! httpd joins a line ending in `\` with the next one *before* it decides
//! whether the line is a comment. A comment ending in `\` therefore
//! swallows the next line: the directive written there is never read. A
//! swallowed `Require all denied` lets everyone in (fail-open); a swallowed
//! `Require all granted` or `Options +FollowSymLinks` leaves a 403 nobody
//! can explain from the file as it reads.
//!
//! ## Example
//! ```apache
//! <Directory "/var/www/html/private">
//!     # keep everyone out \
//!     Require all denied
//! </Directory>
//! ```
//! `GET /private/` → 200: the `Require` is part of the comment.
//!
//! ## Fix
//! Drop the backslash at the end of the comment:
//! ```apache
//! <Directory "/var/www/html/private">
//!     # keep everyone out
//!     Require all denied
//! </Directory>
//! ```
//!
//! ## References
//! - <https://httpd.apache.org/docs/2.4/configuring.html#syntax> (continuation lines; comments)
//! - httpd `server/util.c` `ap_cfg_getline` joins before `server/config.c`
//!   skips lines starting with `#`; verified on httpd 2.4 (research e#1).

use lint403_core::{Code, Diagnostic, Dialect, Severity, Span, TextRange};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::apache::{self, Event};
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "P201",
        name: "apache-comment-continuation",
        default_severity: Severity::Error,
        summary: "a comment ending in `\\` swallows the directive on the next line",
        doc: "",
    },
    family: Family::Parse,
    dialects: &[Dialect::Apache],
    likelihood: Likelihood::Common,
    fix: FixDifficulty::Trivial,
    source: include_str!("p201_apache_comment_continuation.rs"),
    check,
};

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Loaded::Apache(config) = context.config else {
        return;
    };
    apache::walk(config, context.sources, |visit| {
        let Event::Comment(comment) = visit.event else {
            return;
        };
        if !comment.swallows_lines() {
            return;
        }
        let Some(swallowed) = comment.line.continuation_pieces().iter().find(|piece| {
            let line = visit
                .text
                .get(piece.start..piece.end)
                .unwrap_or_default()
                .trim();
            !line.is_empty() && !line.starts_with('#')
        }) else {
            return;
        };
        let raw = visit
            .text
            .get(swallowed.start..swallowed.end)
            .unwrap_or_default();
        let line = raw.trim();
        let start = swallowed.start + (raw.len() - raw.trim_start().len());
        let span = Span::new(visit.file, TextRange::new(start, start + line.len()));
        let first = comment.line.pieces().next().unwrap_or(comment.text);
        let backslash = Span::new(
            visit.file,
            TextRange::new(first.end, (first.end + 1).min(comment.line.range().end)),
        );
        out.push(
            Diagnostic::new(
                RULE.code,
                span,
                format!(
                    "`{line}` is commented out: the comment line before it ends in `\\`, so httpd joins this line to the comment and never applies it"
                ),
            )
            .with_label("part of the comment")
            .with_related(backslash, "this backslash continues the comment")
            .with_help("remove the `\\` at the end of the comment line"),
        );
    });
}
