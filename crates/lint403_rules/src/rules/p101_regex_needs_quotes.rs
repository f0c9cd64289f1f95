//! ## What it does
//! Flags an unquoted regular expression in `location`, `if` or `rewrite`
//! that contains a `{` quantifier (`{2}`, `{2,4}`), detected from the
//! shape nginx's tokenizer gives it: the `{` opens a block, and the rest
//! of the regex (`2}$`) becomes the first directive inside. Likewise a `;`
//! inside an unquoted `location` or `rewrite` regex (`^/a;b$`): the
//! directive ends there and the rest of the regex, glued to the `;`,
//! starts the next one.
//!
//! ## Why it causes 403
//! An unquoted word ends at `{` (and `;`), so nginx cuts the regex at the
//! brace. `nginx -t` then fails (`unknown directive "2}$"`) and the new
//! configuration is not loaded — the old one, with whatever refused the
//! request, keeps running. Tools that do not tokenize like nginx
//! mis-nest every location that follows.
//!
//! ## Example
//! ```nginx
//! location ~ ^/v[0-9]{2}/ {
//!     allow all;
//! }
//! ```
//! `nginx -t`: unknown directive "2}/" (for `rewrite`: directive
//! "rewrite" is not terminated by ";"; for `if`: invalid condition).
//!
//! ## Fix
//! ```nginx
//! location ~ "^/v[0-9]{2}/" {
//!     allow all;
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_rewrite_module.html#rewrite>
//!   ("If a regular expression includes the “}” or “;” characters, the
//!   whole expressions should be enclosed in single or double quotes.")
//! - nginx source `ngx_conf_read_token` (a word ends at `{` or `;`)

use lint403_core::{Code, Diagnostic, Dialect, Severity, Span, TextRange};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::RuleContext;

pub const RULE: Rule = Rule {
    code: Code {
        code: "P101",
        name: "regex-needs-quotes",
        default_severity: Severity::Error,
        summary: "an unquoted regex with `{` is cut by nginx's tokenizer",
        doc: "",
    },
    family: Family::Parse,
    dialects: &[Dialect::Nginx],
    likelihood: Likelihood::Occasional,
    fix: FixDifficulty::Trivial,
    source: include_str!("p101_regex_needs_quotes.rs"),
    check,
};

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(tree) = context.nginx_tree() else {
        return;
    };
    for node in &tree.nodes {
        semicolon_splits(node, out);
        for entry in &node.entries {
            if !(entry.is("location") || entry.is("if") || entry.is("rewrite")) {
                continue;
            }
            let (Some(child), Some(last)) = (entry.child(), entry.directive.args.last()) else {
                continue;
            };
            if last.quote != lint403_nginx::syntax::Quote::None {
                continue;
            }
            let Some(first) = tree.node(child).entries.first() else {
                continue;
            };
            if first.file != entry.file {
                continue;
            }
            let rest = first.name();
            if !looks_like_quantifier_tail(&rest) {
                continue;
            }
            let head = last.raw(entry.text);
            let span = Span::new(
                entry.file,
                TextRange::new(last.range().start, first.directive.name.range().end),
            );
            let name = entry.name();
            // What `nginx -t` reports first (observed with nginx 1.22).
            let refusal = if entry.is("rewrite") {
                "directive \"rewrite\" is not terminated by \";\"".to_string()
            } else if entry.is("if") {
                format!("invalid condition \"{head}\"")
            } else {
                format!("unknown directive \"{rest}\"")
            };
            out.push(
                Diagnostic::new(
                    RULE.code,
                    span,
                    format!(
                        "nginx -t: {refusal}: the unquoted `{{` cuts the regex of `{name}` after `{head}` and opens a block"
                    ),
                )
                .with_label("cut here")
                .with_help(format!(
                    "quote the whole regex: \"{head}{{{rest}\""
                )),
            );
        }
    }
}

/// `location ~ ^/a;b$ {`: the `;` ends the directive and the rest of the
/// regex, glued to it, starts the next one.
fn semicolon_splits(node: &crate::walk::nginx::Node<'_>, out: &mut Vec<Diagnostic>) {
    for pair in node.entries.windows(2) {
        let [entry, next] = pair else {
            continue;
        };
        // A `rewrite` cut there has one argument left (`rewrite ^/a;`).
        let cut = entry.is("location") || (entry.is("rewrite") && entry.directive.args.len() == 1);
        if !cut || next.file != entry.file {
            continue;
        }
        let lint403_nginx::syntax::DirectiveEnd::Semicolon(semicolon) = entry.directive.end()
        else {
            continue;
        };
        let semicolon = semicolon.range();
        let Some(last) = entry.directive.args.last() else {
            continue;
        };
        // Glued on both sides: `^/a;b`, no space around the `;`.
        if last.quote != lint403_nginx::syntax::Quote::None
            || last.range().end != semicolon.start
            || next.directive.name.range().start != semicolon.end
        {
            continue;
        }
        let refusal = if entry.is("rewrite") {
            "invalid number of arguments in \"rewrite\" directive"
        } else {
            "directive \"location\" has no opening \"{\""
        };
        let head = last.raw(entry.text);
        let rest = next.name();
        let name = entry.name();
        out.push(
            Diagnostic::new(
                RULE.code,
                Span::new(
                    entry.file,
                    TextRange::new(last.range().start, next.directive.name.range().end),
                ),
                format!(
                    "nginx -t: {refusal}: the unquoted `;` cuts the regex of `{name}` after `{head}`"
                ),
            )
            .with_label("cut here")
            .with_help(format!("quote the whole regex: \"{head};{rest}\"")),
        );
    }
}

/// `2}`, `2,}`, `2,4}$`, `1}/`: the rest of a `{m,n}` quantifier.
fn looks_like_quantifier_tail(name: &str) -> bool {
    let Some(close) = name.find('}') else {
        return false;
    };
    let inner = &name[..close];
    !inner.is_empty()
        && inner
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == ',')
        && inner.chars().all(|c| c.is_ascii_digit() || c == ',')
}

#[cfg(test)]
mod tests {
    use super::looks_like_quantifier_tail as tail;

    #[test]
    fn tails() {
        assert!(tail("2}$"));
        assert!(tail("2,4}/"));
        assert!(tail(",3}"));
        assert!(!tail("root"));
        assert!(!tail("}"));
        assert!(!tail("a}"));
    }
}
