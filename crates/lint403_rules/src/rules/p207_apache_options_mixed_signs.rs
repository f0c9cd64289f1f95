//! ## What it does
//! Flags an `Options` line that mixes words with a `+`/`-` sign and words
//! without one, such as `Options -Indexes FollowSymLinks`.
//!
//! ## Why it causes 403
//! httpd 2.4 refuses the mix: "Either all Options must start with + or -,
//! or no Option may." The server does not start; in a `.htaccess` every
//! request below it answers 500. (httpd 2.2 accepted it with a meaning
//! few expected: the unsigned word reset the list.) The usual intent is
//! the signed form. A leading `All` or `None` is the exception httpd
//! makes: `Options All -Indexes` and `Options None +Indexes` are accepted
//! (checked with `apache2 -t`).
//!
//! ## Example
//! ```htaccess
//! Options -Indexes FollowSymLinks
//! ```
//! `GET /` → 500.
//!
//! ## Fix
//! Give every word a sign (or none):
//! ```htaccess
//! Options -Indexes +FollowSymLinks
//! ```
//!
//! ## References
//! - <https://httpd.apache.org/docs/2.4/mod/core.html#options> ("Mixing
//!   Options with a + or - with those without is not valid syntax and will
//!   be rejected during server startup")
//! - verified with `apache2 -t` on httpd 2.4

use lint403_core::{Code, Diagnostic, Dialect, Severity};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::apache;
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "P207",
        name: "apache-options-mixed-signs",
        default_severity: Severity::Error,
        summary: "`Options` mixing `+`/`-` words with bare words: httpd refuses it",
        doc: "",
    },
    family: Family::Parse,
    dialects: &[Dialect::Apache],
    likelihood: Likelihood::Occasional,
    fix: FixDifficulty::Trivial,
    source: include_str!("p207_apache_options_mixed_signs.rs"),
    check,
};

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Loaded::Apache(config) = context.config else {
        return;
    };
    apache::directives(config, context.sources, |visit, _| {
        if !visit.is("Options") {
            return;
        }
        let args = visit.args();
        let signed = |word: &&str| word.starts_with('+') || word.starts_with('-');
        // A trailing `# …` is P202's finding.
        let words: Vec<&str> = args
            .iter()
            .copied()
            .take_while(|word| !word.starts_with('#'))
            .collect();
        // A leading `All` or `None` sets the base the signed words change:
        // httpd accepts `Options All -Indexes`.
        let leading_base = words.first().is_some_and(|word| {
            word.eq_ignore_ascii_case("all") || word.eq_ignore_ascii_case("none")
        });
        let skip = usize::from(leading_base);
        let Some(first_signed) = words.iter().skip(skip).position(signed).map(|at| at + skip)
        else {
            return;
        };
        let Some(bare) = words
            .iter()
            .skip(skip)
            .position(|word| !signed(word))
            .map(|at| at + skip)
        else {
            return;
        };
        let fixed: Vec<String> = words
            .iter()
            .map(|word| {
                if signed(word) {
                    (*word).to_string()
                } else {
                    format!("+{word}")
                }
            })
            .collect();
        let effect = if visit.in_htaccess() {
            "every request below this .htaccess answers 500"
        } else {
            "the server does not start"
        };
        out.push(
            apache_diagnostic(visit, bare, first_signed, effect)
                .with_help(format!("write `Options {}`", fixed.join(" "))),
        );
    });
}

fn apache_diagnostic(
    visit: &apache::Visit<'_, '_>,
    bare: usize,
    signed: usize,
    effect: &str,
) -> Diagnostic {
    let args = visit.args();
    let bare_word = args.get(bare).copied().unwrap_or_default();
    let signed_word = args.get(signed).copied().unwrap_or_default();
    Diagnostic::new(
        RULE.code,
        visit.arg_span(bare),
        format!(
            "`{bare_word}` has no sign while `{signed_word}` has one: httpd refuses the line (\"Either all Options must start with + or -, or no Option may.\"), so {effect}"
        ),
    )
    .with_label("no + or -")
    .with_related(visit.arg_span(signed), "a signed word on the same line")
}
