//! ## What it does
//! Flags an IIS URL Rewrite `{HTTP_REFERER}` allow pattern that also
//! matches Referers from other hosts. A pattern is an allow pattern when
//! it is negated in a rule that refuses (hotlink protection:
//! "not from our site → refuse"), or positive in a `stopProcessing` rule
//! whose action is `None` (a whitelist before the refusing rules). The
//! pattern is tried against look-alike Referers built from the host it
//! names:
//! - `https://evil.test/?example.com/` — the pattern is not `^`-anchored
//!   to the scheme and host;
//! - `https://example.com.evil.test/` — the host is not terminated by
//!   `(:\d+)?(/|$)`;
//! - `https://www-example.com/` — a `.` in the host is not escaped, so it
//!   matches any character;
//! - `https://evilexample.com/` — nothing bounds the host on the left.
//!
//! In nginx (`valid_referers ~regex` with `$invalid_referer`) and Apache
//! httpd (`RewriteCond %{HTTP_REFERER}` before a `[F]` rule) the same
//! look-alikes go through the tracer over the shared model, for each host
//! a site names or a referer pattern mentions: the rule reports a
//! referer check that refuses `Referer: https://evil.test/` and lets the
//! site's own Referer through, but also lets a look-alike through.
//!
//! ## Why it causes 403
//! It lets through what the check was written to refuse: another site
//! whose Referer matches the loose pattern embeds the protected files,
//! or passes the referer gate, with 200 instead of the intended 403. The
//! request to reproduce is printed in the message.
//!
//! ## Example
//! ```xml
//! <configuration>
//!   <system.webServer>
//!     <rewrite>
//!       <rules>
//!         <rule name="Hotlinking" stopProcessing="true">
//!           <match url=".*\.(gif|jpg|png)$" />
//!           <conditions>
//!             <add input="{HTTP_REFERER}" pattern="^$" negate="true" />
//!             <add input="{HTTP_REFERER}" pattern="example\.com" negate="true" />
//!           </conditions>
//!           <action type="CustomResponse" statusCode="403" />
//!         </rule>
//!       </rules>
//!     </rewrite>
//!   </system.webServer>
//! </configuration>
//! ```
//! `GET /logo.png` with `Referer: https://evil.test/?example.com/` → 200,
//! not 403.
//!
//! ## Fix
//! Anchor the pattern, escape the dots and end the host:
//! ```xml
//! <configuration>
//!   <system.webServer>
//!     <rewrite>
//!       <rules>
//!         <rule name="Hotlinking" stopProcessing="true">
//!           <match url=".*\.(gif|jpg|png)$" />
//!           <conditions>
//!             <add input="{HTTP_REFERER}" pattern="^$" negate="true" />
//!             <add input="{HTTP_REFERER}" pattern="^https?://(www\.)?example\.com(:\d+)?(/|$)" negate="true" />
//!           </conditions>
//!           <action type="CustomResponse" statusCode="403" />
//!         </rule>
//!       </rules>
//!     </rewrite>
//!   </system.webServer>
//! </configuration>
//! ```
//!
//! ## References
//! - URL Rewrite conditions, `negate`, `ignoreCase` (default true),
//!   `{HTTP_*}` server variables:
//!   <https://learn.microsoft.com/iis/extensions/url-rewrite-module/url-rewrite-module-configuration-reference>
//! - nginx `valid_referers` (regexes are matched against the Referer after
//!   `http://`/`https://`): <https://nginx.org/en/docs/http/ngx_http_referer_module.html>;
//!   the nginx side is checked against nginx in `tests/real_nginx.rs`.
//! - Patterns are tried with Rust's `regex` crate standing in for IIS's
//!   ECMAScript engine (same result for these patterns; patterns it cannot
//!   compile are skipped). Not run on IIS (IIS cannot run here).

use lint403_core::{Code, Diagnostic, Dialect, Severity, Span};
use lint403_iis::Element;

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::iis::{self, RewriteRule};
use crate::walk::probe;
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "R003",
        name: "referer-pattern-admits-lookalike",
        default_severity: Severity::Warning,
        summary: "a Referer allow pattern also matches other hosts' Referers",
        doc: "",
    },
    family: Family::Referer,
    dialects: &[Dialect::Iis, Dialect::Nginx, Dialect::Apache],
    likelihood: Likelihood::Common,
    fix: FixDifficulty::Trivial,
    source: include_str!("r003_referer_pattern_admits_lookalike.rs"),
    check,
};

/// A host name as written in a pattern (dots escaped or not); built once
/// per process, not once per file.
static HOST: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"(?:[A-Za-z0-9-]+(?:\\\.|\.))+[A-Za-z][A-Za-z0-9-]*").ok()
});

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    if let Loaded::Nginx(_) | Loaded::Apache(_) = context.config {
        traced(context, out);
        return;
    }
    let Loaded::Iis(_) = context.config else {
        return;
    };
    let Some(host_re) = HOST.as_ref() else {
        return;
    };
    iis::walk(context, |visit| {
        if visit.name() != "rule"
            || !(visit.path_ends_with("system.webServer/rewrite/rules/rule")
                || visit.path_ends_with("system.webServer/rewrite/globalRules/rule"))
        {
            return;
        }
        let rule = RewriteRule::read(visit.element);
        if !rule.enabled || !rule.syntax_is("ECMAScript") {
            return;
        }
        let refuses = rule.action_type().is_some_and(|t| {
            ["CustomResponse", "AbortRequest", "Redirect", "Rewrite"]
                .iter()
                .any(|k| t.eq_ignore_ascii_case(k))
        });
        let whitelist = rule.stop_processing
            && rule
                .action_type()
                .is_some_and(|t| t.eq_ignore_ascii_case("None"));
        // Only a finding needs the sample path, and working it out
        // compiles the rule's URL pattern.
        let path = || {
            format!(
                "{}{}",
                visit.url_prefix(),
                rule.sample_path().unwrap_or("…")
            )
        };
        for condition in &rule.conditions {
            let Some(pattern) = allow_pattern(condition, refuses, whitelist) else {
                continue;
            };
            let ignore_case = iis::is_true(condition.attribute_value("ignoreCase"), true);
            let Some((referer, why)) = lookalike(host_re, pattern, ignore_case) else {
                continue;
            };
            let Some(attribute) = condition.attribute("pattern") else {
                continue;
            };
            let effect = if whitelist {
                "passes this whitelist rule"
            } else {
                "is not refused"
            };
            let mut diagnostic = Diagnostic::new(
                RULE.code,
                Span::new(visit.file, attribute.value_range),
                format!(
                    "GET {} with `Referer: {referer}` {effect}: the pattern {why}, so another host's Referer matches it",
                    path()
                ),
            )
            .with_label("admits look-alike hosts")
            .with_help(
                "anchor and terminate the host, escaping its dots: `^https?://(www\\.)?example\\.com(:\\d+)?(/|$)`",
            );
            if let Some(action) = rule.action {
                diagnostic = diagnostic.with_related(
                    Span::new(visit.file, action.start_tag),
                    if whitelist {
                        "lets the request skip the later rules"
                    } else {
                        "the refusal it escapes"
                    },
                );
            }
            out.push(diagnostic);
        }
    });
}

/// The pattern of a `{HTTP_REFERER}` condition that says who is allowed.
fn allow_pattern(condition: &Element, refuses: bool, whitelist: bool) -> Option<&str> {
    let input = condition.attribute_value("input")?.trim();
    if !input.eq_ignore_ascii_case("{HTTP_REFERER}") {
        return None;
    }
    if condition
        .attribute_value("matchType")
        .is_some_and(|m| !m.trim().eq_ignore_ascii_case("Pattern"))
    {
        return None;
    }
    let negate = iis::is_true(condition.attribute_value("negate"), false);
    ((negate && refuses) || (!negate && whitelist))
        .then(|| condition.attribute_value("pattern"))
        .flatten()
}

/// A Referer from another host that the pattern matches, and why.
fn lookalike(
    host_re: &regex::Regex,
    pattern: &str,
    ignore_case: bool,
) -> Option<(String, &'static str)> {
    let written = host_re.find(pattern)?.as_str();
    let host = written.replace("\\.", ".");
    let re = crate::regexes::get(pattern, ignore_case)?;
    // The pattern must accept the site itself, else it is not about it.
    if !re.is_match(&format!("https://{host}/"))
        && !re.is_match(&format!("http://{host}/"))
        && !re.is_match(&format!("https://www.{host}/"))
    {
        return None;
    }
    let unescaped = unescaped_dot_variant(written);
    let mut candidates = vec![
        (
            format!("https://evil.test/?{host}/"),
            "is not anchored to the start of the Referer",
        ),
        (
            format!("https://{host}.evil.test/"),
            "does not end the host with `(:\\d+)?(/|$)`",
        ),
    ];
    if let Some(variant) = unescaped {
        candidates.push((
            format!("https://{variant}/"),
            "leaves a `.` in the host unescaped (it matches any character)",
        ));
    }
    candidates.push((
        format!("https://evil{host}/"),
        "does not bound the host on the left",
    ));
    candidates
        .into_iter()
        .find(|(referer, _)| re.is_match(referer))
}

/// The host with its first unescaped `.` replaced by `-` (`www.example\.com`
/// → `www-example.com`), `None` when every dot is escaped.
fn unescaped_dot_variant(written: &str) -> Option<String> {
    let mut out = String::new();
    let mut replaced = false;
    let mut chars = written.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            }
            '.' if !replaced => {
                replaced = true;
                out.push('-');
            }
            c => out.push(c),
        }
    }
    replaced.then_some(out)
}

/// nginx and Apache: trace the site's own, a foreign and look-alike
/// Referers through each referer gate. An nginx configuration is traced a
/// window of servers at a time ([`probe::Lowered::in_windows`]); the line
/// a finding names as the accepted Referers is looked for among the
/// policies of all windows once they are done, as in the whole model.
fn traced(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let mut policies: Vec<PolicyNames> = Vec::new();
    let mut found: Vec<(Diagnostic, String)> = Vec::new();
    if let Loaded::Nginx(config) = context.config {
        let mut decided_spans = std::collections::HashSet::new();
        // A server that never names the Referer (nor `http` a variable
        // read from it) has no gate to trace.
        probe::Lowered::in_windows(context, config, Some("referer"), |lowered| {
            policies.extend(policy_names(lowered));
            let gates = lowered.find_referer_gates(&mut decided_spans);
            lookalike_findings(context, lowered, &gates, &mut found);
        });
    } else {
        let Some(lowered) = context.lowered() else {
            return;
        };
        let gates = lowered.referer_gates();
        if gates.is_empty() {
            return;
        }
        policies.extend(policy_names(&lowered));
        lookalike_findings(context, &lowered, gates, &mut found);
    }
    for (diagnostic, host) in found {
        out.push(match referer_policy_span(&policies, &host) {
            Some(span) => diagnostic.with_related(span, "the Referers it accepts"),
            None => diagnostic,
        });
    }
}

/// A gate's finding when a look-alike of its host passes it, with the
/// host.
fn lookalike_findings(
    context: &RuleContext<'_>,
    lowered: &probe::Lowered<'_>,
    gates: &[probe::RefererGate],
    found: &mut Vec<(Diagnostic, String)>,
) {
    for gate in gates {
        let host = &gate.host;
        let Some(lookalike) = lookalikes(host).into_iter().find(|referer| {
            let verdict = lowered.with_referer(gate.site, gate.path, Some(referer));
            !verdict.is_forbidden() && verdict.status.is_some()
        }) else {
            continue;
        };
        let help = match context.config.dialect() {
            Dialect::Apache => format!(
                "anchor and escape it: `RewriteCond %{{HTTP_REFERER}} !^https?://(www\\.)?{}(:\\d+)?(/|$) [NC]`",
                host.replace('.', "\\.")
            ),
            _ => format!(
                "name hosts instead of a regex (`valid_referers none blocked server_names;` for the site's own names, `{host}` for another), or anchor and escape it: `~^(www\\.)?{}(:\\d+)?/`",
                host.replace('.', "\\.")
            ),
        };
        let diagnostic = Diagnostic::new(
            RULE.code,
            gate.span,
            format!(
                "GET {} with Referer: {lookalike} is let through, while Referer: https://evil.test/page → 403: the referer check admits look-alikes of {host}",
                gate.path
            ),
        )
        .with_label("refuses other sites, but not look-alikes")
        .with_help(help);
        found.push((diagnostic, host.clone()));
    }
}

/// What a referer policy (a `valid_referers` line) names, when its line
/// is in the report.
struct PolicyNames {
    hosts: Box<[String]>,
    regex_sources: Vec<String>,
    span: Span,
}

/// The referer policies of the scopes `lowered` holds that an earlier
/// window did not, in the model's order.
fn policy_names(lowered: &probe::Lowered<'_>) -> Vec<PolicyNames> {
    lowered
        .new_scopes()
        .iter()
        .flat_map(|scope| &scope.rules)
        .filter_map(|rule| {
            let lint403_core::model::RuleKind::RefererPolicy { hosts, regexes, .. } = &rule.kind
            else {
                return None;
            };
            let span = lowered.known(rule.span)?;
            Some(PolicyNames {
                hosts: hosts.clone(),
                regex_sources: regexes
                    .iter()
                    .map(|pattern| pattern.source.clone())
                    .collect(),
                span,
            })
        })
        .collect()
}

/// The first of `policies` that names `host`.
fn referer_policy_span(policies: &[PolicyNames], host: &str) -> Option<Span> {
    let escaped = host.replace('.', "\\.");
    policies
        .iter()
        .find(|policy| {
            policy.hosts.iter().any(|name| name.contains(host))
                || policy
                    .regex_sources
                    .iter()
                    .any(|source| source.contains(&escaped) || source.contains(host))
        })
        .map(|policy| policy.span)
}

/// Referers from other hosts that a loose pattern for `host` admits.
fn lookalikes(host: &str) -> Vec<String> {
    let mut out = vec![
        format!("https://evil.test/?{host}/"),
        format!("https://{host}.evil.test/"),
        format!("https://evil{host}/"),
    ];
    if let Some(dot) = host.find('.') {
        let mut dashed = host.to_string();
        dashed.replace_range(dot..=dot, "-");
        out.push(format!("https://{dashed}/"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(pattern: &str) -> Option<String> {
        let host_re =
            regex::Regex::new(r"(?:[A-Za-z0-9-]+(?:\\\.|\.))+[A-Za-z][A-Za-z0-9-]*").ok()?;
        lookalike(&host_re, pattern, true).map(|(r, _)| r)
    }

    #[test]
    fn patterns() {
        assert_eq!(
            found(r"example\.com").as_deref(),
            Some("https://evil.test/?example.com/")
        );
        assert_eq!(
            found(r"^https?://(www\.)?example\.com").as_deref(),
            Some("https://example.com.evil.test/")
        );
        assert_eq!(
            found(r"^https?://www.example\.com/").as_deref(),
            Some("https://www-example.com/")
        );
        assert_eq!(found(r"^https?://(www\.)?example\.com(:\d+)?(/|$)"), None);
        assert_eq!(found(r"^https?://(www\.)?example\.com/"), None);
        assert_eq!(found(r"^$"), None);
        assert_eq!(
            found(r"^https?://.*example\.com/").as_deref(),
            Some("https://evil.test/?example.com/"),
            "`.*` after the scheme admits a query string too"
        );
    }

    #[test]
    fn roles() {
        let run = |conditions: &str, action: &str, stop: &str| {
            iis::run_check(
                check,
                &format!("<configuration><system.webServer><rewrite><rules><rule name=\"h\" stopProcessing=\"{stop}\"><match url=\".*\"/><conditions>{conditions}</conditions>{action}</rule></rules></rewrite></system.webServer></configuration>"),
            )
            .len()
        };
        let negated = r#"<add input="{HTTP_REFERER}" pattern="example\.com" negate="true"/>"#;
        let positive = r#"<add input="{HTTP_REFERER}" pattern="example\.com"/>"#;
        let deny = r#"<action type="CustomResponse" statusCode="403"/>"#;
        let none = r#"<action type="None"/>"#;
        assert_eq!(run(negated, deny, "true"), 1);
        assert_eq!(run(positive, deny, "true"), 0, "a referer blocklist");
        assert_eq!(run(positive, none, "true"), 1);
        assert_eq!(run(positive, none, "false"), 0);
    }
}
