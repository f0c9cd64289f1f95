//! ## What it does
//! Flags a directive line that ends in a backslash followed by blanks.
//!
//! ## Why it causes 403
//! httpd continues a line only when the backslash is the very last
//! character before the newline. With a space or tab after it, the line
//! ends there: the `\` becomes one more argument of the directive, and the
//! next line is read as a directive of its own. Most directives refuse the
//! stray `\` (`Require ip 10.0.0.1 \ ` → "ip address '\' appears to be
//! invalid"): the server does not start, and in a `.htaccess` every request
//! below it answers 500. The blanks are invisible in most editors.
//!
//! ## Example
//! ```htaccess
//! Require ip 10.0.0.0/8 \ 
//!     192.168.0.0/16
//! ```
//! (with a space after the backslash) `GET /` → 500.
//!
//! ## Fix
//! Delete the blanks after the backslash:
//! ```htaccess
//! Require ip 10.0.0.0/8 \
//!     192.168.0.0/16
//! ```
//!
//! ## References
//! - <https://httpd.apache.org/docs/2.4/configuring.html#syntax> ("the
//!   backslash … must be the last character on a line, with no trailing
//!   whitespace")
//! - verified on httpd 2.4 (research §(a) A1)

use lint403_core::{Code, Diagnostic, Dialect, Severity, Span, TextRange};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::apache::{self, Event};
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "P203",
        name: "apache-backslash-space-eol",
        default_severity: Severity::Warning,
        summary: "a `\\` followed by blanks at the end of a line does not continue it",
        doc: "",
    },
    family: Family::Parse,
    dialects: &[Dialect::Apache],
    likelihood: Likelihood::Occasional,
    fix: FixDifficulty::Trivial,
    source: include_str!("p203_apache_backslash_space_eol.rs"),
    check,
};

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Loaded::Apache(config) = context.config else {
        return;
    };
    apache::walk(config, context.sources, |visit| {
        let (line, name) = match visit.event {
            Event::Directive(directive) => (&directive.line, directive.name(visit.text)),
            Event::Enter(section) => (&section.open.line, section.open.name(visit.text)),
            _ => return,
        };
        let piece = line.last_piece();
        let Some(raw) = visit.text.get(piece.start..piece.end) else {
            return;
        };
        let kept = raw.trim_end_matches([' ', '\t']);
        if kept.len() == raw.len() || !kept.ends_with('\\') {
            return;
        }
        let at = piece.start + kept.len() - 1;
        let effect = if visit.in_htaccess() {
            "httpd usually refuses it and every request below this .htaccess answers 500"
        } else {
            "httpd usually refuses it and does not start"
        };
        out.push(
            Diagnostic::new(
                RULE.code,
                Span::new(visit.file, TextRange::new(at, piece.end)),
                format!(
                    "blanks after this `\\` end the line: it does not continue onto the next one, `{name}` gets `\\` as one more argument ({effect}) and the next line is read on its own"
                ),
            )
            .with_label("`\\` then blanks")
            .with_help("delete the blanks after the backslash, or the backslash"),
        );
    });
}
