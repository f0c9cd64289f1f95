//! `mod_rewrite`'s rule engine (`apply_rewrite_list`, `apply_rewrite_rule`,
//! `apply_rewrite_cond`), over the `RewriteCond`/`RewriteRule` settings
//! the lowering kept with their words.

use std::collections::HashMap;
use std::sync::OnceLock;

use lint403_core::model::{Model, Rule, RuleKind, ScopeId};
use lint403_core::{Pattern, Span};

/// Each scope's rewrite list, read out of its rules on the first request
/// that runs it and kept in the model ([`lint403_core::Model::tracer_memo`]):
/// a list runs for every request a rule traces, and reading each rule's
/// flags and looking up its pattern again every time took most of a run.
pub(crate) struct Lists {
    by_scope: Box<[OnceLock<Box<[Prepared]>>]>,
}

impl Lists {
    pub(crate) fn new(model: &Model) -> Lists {
        Lists {
            by_scope: model.scopes.iter().map(|_| OnceLock::new()).collect(),
        }
    }

    /// The `RewriteRule`s of `scope`, each with the `RewriteCond`s written
    /// before it.
    pub(super) fn entries<'m>(&'m self, model: &'m Model, scope: ScopeId) -> Vec<Entry<'m>> {
        let rules = &model.scope(scope).rules;
        let prepared: &[Prepared] = match self.by_scope.get(scope.0) {
            Some(slot) => slot.get_or_init(|| prepare(model, rules)),
            None => &[],
        };
        prepared
            .iter()
            .map(|prepared| Entry { prepared, rules })
            .collect()
    }
}

/// One `RewriteRule` and its conditions, read once.
struct Prepared {
    /// Index of the rule in its scope's rules.
    rule: usize,
    /// Each condition's index in the scope's rules, and its [`flag`] bits.
    conds: Box<[(usize, u32)]>,
    bits: u32,
    /// A `!` before the pattern.
    negated: bool,
    pattern: std::sync::Arc<Pattern>,
    /// [`reads_rule_groups`], [`reads_cond_groups`].
    reads_rule_groups: bool,
    reads_cond_groups: bool,
}

fn prepare(model: &Model, rules: &[Rule]) -> Box<[Prepared]> {
    let mut out = Vec::new();
    let mut pending = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        if let RuleKind::Setting { name, .. } = &rule.kind {
            let bytes = name.as_bytes();
            if bytes.len() != "RewriteCond".len() || !is_letters(&bytes[..7], b"rewrite") {
                continue;
            }
            if is_letters(&bytes[7..], b"cond") {
                pending.push((index, flag_bits(flag_words(words(rule).get(2)))));
            } else if is_letters(&bytes[7..], b"rule") {
                let args = words(rule);
                let bits = flag_bits(flag_words(args.get(2)));
                let pattern_text = args.first().map_or("", String::as_str);
                let (negated, source) = match pattern_text.strip_prefix('!') {
                    Some(rest) => (true, rest),
                    None => (false, pattern_text),
                };
                let conds: Vec<&Rule> = pending.iter().map(|(at, _)| &rules[*at]).collect();
                out.push(Prepared {
                    rule: index,
                    bits,
                    negated,
                    pattern: model.pattern(source, bits & flag::NOCASE != 0),
                    reads_rule_groups: reads_rule_groups(rule, &conds),
                    reads_cond_groups: reads_cond_groups(rule, &conds),
                    conds: std::mem::take(&mut pending).into_boxed_slice(),
                });
            }
        }
    }
    out.into_boxed_slice()
}

/// One `RewriteRule` of a scope with the conditions written before it.
#[derive(Clone, Copy)]
pub(super) struct Entry<'m> {
    prepared: &'m Prepared,
    /// The rules of the scope the entry is in.
    rules: &'m [Rule],
}

impl<'m> Entry<'m> {
    fn rule(self) -> &'m Rule {
        &self.rules[self.prepared.rule]
    }
}

/// Whether `text` is the lower-case letters `lower` in any case: a byte
/// with bit 5 set equals a lower-case letter only if it is that letter in
/// either case, so one `or` per byte does what `eq_ignore_ascii_case` does.
fn is_letters(text: &[u8], lower: &[u8]) -> bool {
    text.len() == lower.len()
        && text
            .iter()
            .zip(lower)
            .all(|(&byte, &letter)| byte | 0x20 == letter)
}

/// The words [`run`] expands for a rule: its target and flags,
/// and each condition's test string (patterns are never expanded: the `$`
/// of `RewriteCond %{HTTP_REFERER} !^$` is an anchor).
fn expanded_words<'r>(rule: &'r Rule, conds: &'r [&'r Rule]) -> impl Iterator<Item = &'r String> {
    let rule_words = words(rule).iter().skip(1);
    let cond_tests = conds.iter().filter_map(|cond| words(cond).first());
    rule_words.chain(cond_tests)
}

/// Whether a `$` (a backreference to the rule's groups, or a `${map:…}`
/// that may hold one) stands in what [`run`] expands for the rule.
fn reads_rule_groups(rule: &Rule, conds: &[&Rule]) -> bool {
    expanded_words(rule, conds).any(|word| word.contains('$'))
}

/// Whether a `%N` (a backreference to the last matched condition's
/// groups) stands in what [`run`] expands for the rule. Without one a
/// condition is only asked whether it holds, which the small matcher
/// answers without building `regex`'s engines for every pattern of every
/// request.
fn reads_cond_groups(rule: &Rule, conds: &[&Rule]) -> bool {
    expanded_words(rule, conds).any(|word| {
        word.as_bytes()
            .windows(2)
            .any(|pair| pair[0] == b'%' && pair[1].is_ascii_digit())
    })
}

fn words(rule: &Rule) -> &[String] {
    match &rule.kind {
        RuleKind::Setting { args, .. } => args,
        _ => &[],
    }
}

/// The flags of a `[F,L]` word, borrowed from it and not collected: a
/// rule's or condition's flags are read once into bits ([`flag_bits`]),
/// and only an applying rule's again.
fn flag_words(text: Option<&String>) -> impl Iterator<Item = &str> + Clone {
    let inner = text.map_or("", |text| {
        text.strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
            .unwrap_or(text)
    });
    inner
        .split(',')
        .map(str::trim)
        .filter(|flag| !flag.is_empty())
}

/// The flags [`run`] branches on, one bit each, found in one pass over a
/// rule's (or condition's) flag words instead of a search per question (a
/// rule list is run for every request a rule traces, and each rule was asked
/// a dozen).
mod flag {
    pub const NOSUBREQ: u32 = 1;
    pub const PROXY: u32 = 1 << 1;
    pub const HANDLER: u32 = 1 << 2;
    pub const NOCASE: u32 = 1 << 3;
    pub const CHAIN: u32 = 1 << 4;
    pub const FORBIDDEN: u32 = 1 << 5;
    pub const GONE: u32 = 1 << 6;
    pub const REDIRECT: u32 = 1 << 7;
    pub const NOESCAPE: u32 = 1 << 8;
    pub const UNSAFE_ALLOW_3F: u32 = 1 << 9;
    pub const PASSTHROUGH: u32 = 1 << 10;
    pub const QSAPPEND: u32 = 1 << 11;
    pub const LAST: u32 = 1 << 12;
    pub const NEXT: u32 = 1 << 13;
    /// A `RewriteCond`'s `[OR]`.
    pub const ORNEXT: u32 = 1 << 14;

    /// Each flag's names, as `mod_rewrite` accepts them (case aside);
    /// [`super::flag_bits`] matches them, a test holds the two together.
    #[cfg(test)]
    pub const NAMES: &[(u32, &[&str])] = &[
        (NOSUBREQ, &["NS", "nosubreq"]),
        (PROXY, &["P", "proxy"]),
        (HANDLER, &["H", "handler"]),
        (NOCASE, &["NC", "nocase"]),
        (CHAIN, &["C", "chain"]),
        (FORBIDDEN, &["F", "forbidden"]),
        (GONE, &["G", "gone"]),
        (REDIRECT, &["R", "redirect"]),
        (NOESCAPE, &["NE", "noescape"]),
        (UNSAFE_ALLOW_3F, &["UnsafeAllow3F"]),
        (PASSTHROUGH, &["PT", "passthrough"]),
        (QSAPPEND, &["QSA", "qsappend"]),
        (LAST, &["L", "last", "END"]),
        (NEXT, &["N", "next"]),
        (ORNEXT, &["OR", "ornext"]),
    ];
}

/// The [`flag`] bits of a rule's flag words (a flag's key is what stands
/// before any `=`, in any case).
fn flag_bits<'w>(flags: impl IntoIterator<Item = &'w str>) -> u32 {
    let mut bits = 0;
    for word in flags {
        let key = word
            .bytes()
            .position(|byte| byte == b'=')
            .map_or(word, |at| &word[..at]);
        let mut lower = [0u8; 16];
        let Some(buffer) = lower.get_mut(..key.len()) else {
            continue;
        };
        buffer.copy_from_slice(key.as_bytes());
        buffer.make_ascii_lowercase();
        bits |= match &*buffer {
            b"ns" | b"nosubreq" => flag::NOSUBREQ,
            b"p" | b"proxy" => flag::PROXY,
            b"h" | b"handler" => flag::HANDLER,
            b"nc" | b"nocase" => flag::NOCASE,
            b"c" | b"chain" => flag::CHAIN,
            b"f" | b"forbidden" => flag::FORBIDDEN,
            b"g" | b"gone" => flag::GONE,
            b"r" | b"redirect" => flag::REDIRECT,
            b"ne" | b"noescape" => flag::NOESCAPE,
            b"unsafeallow3f" => flag::UNSAFE_ALLOW_3F,
            b"pt" | b"passthrough" => flag::PASSTHROUGH,
            b"qsa" | b"qsappend" => flag::QSAPPEND,
            b"l" | b"last" | b"end" => flag::LAST,
            b"n" | b"next" => flag::NEXT,
            b"or" | b"ornext" => flag::ORNEXT,
            _ => 0,
        };
    }
    bits
}

fn flag_value<'f>(flags: impl IntoIterator<Item = &'f str>, names: &[&str]) -> Option<&'f str> {
    flags.into_iter().find_map(|flag| {
        let (key, value) = flag.split_once('=')?;
        names
            .iter()
            .any(|name| key.eq_ignore_ascii_case(name))
            .then_some(value)
    })
}

/// What the rule list did.
#[derive(Debug, Clone)]
pub(super) enum Outcome {
    Unchanged,
    /// `[F]`, `[G]`, `[R=4xx]`, a refused query string: the status.
    Status(u16, Span, String),
    /// `[R]` or an absolute URL.
    Redirect(u16, Span),
    /// A substitution (with the query, if it has one).
    Rewritten {
        value: String,
        query: Option<String>,
        span: Span,
        passthrough: bool,
        qsappend: bool,
    },
    Unknown(String),
}

/// What rule evaluation reads from the request.
pub(super) trait Lookup {
    /// `%{NAME}` (`HTTP:x`, `ENV:x` included); `None` when lint403 cannot know.
    fn server_var(&self, name: &str) -> Option<String>;
    /// A `-f`/`-d`/`-s`/`-l` test on a deploy path; `None` without a view.
    fn file_test(&self, test: &str, path: &str) -> Option<bool>;
    /// `${map:key}`; `Ok(None)` for a missing key, `Err` when unknown.
    fn map(&self, map: &str, key: &str) -> Result<Option<String>, String>;
    fn set_env(&mut self, name: &str, value: &str);
    fn is_subrequest(&self) -> bool;
    /// The compiled pattern of `source`, shared across requests.
    fn pattern(&self, source: &str, nocase: bool) -> std::sync::Arc<Pattern>;
}

/// Runs a rule list over `input` (the URI in server context, the filename
/// without the per-directory prefix in directory context).
pub(super) fn run(entries: &[Entry<'_>], input: &str, lookup: &mut dyn Lookup) -> Outcome {
    let mut current = input.to_string();
    let mut changed: Option<(Span, bool, bool, Option<String>)> = None;
    let mut index = 0;
    let mut rounds = 0;
    while index < entries.len() {
        rounds += 1;
        if rounds > 10_000 {
            return Outcome::Status(500, entries[0].rule().span, "rewrite loop".to_string());
        }
        let entry = entries[index];
        let prepared = entry.prepared;
        let args = words(entry.rule());
        let target = args.get(1).map_or("", String::as_str);
        let flags = flag_words(args.get(2));
        let bits = prepared.bits;
        let has = |bit: u32| bits & bit != 0;
        if has(flag::NOSUBREQ) && lookup.is_subrequest() {
            index += 1;
            continue;
        }
        let negated = prepared.negated;
        let pattern = &prepared.pattern;
        // The groups are looked for only when a `$N` can read them: most
        // rules (`RewriteRule .* - [F]`) are asked whether they match, a
        // question the small matcher answers without `regex`'s engines.
        let found = if !negated && prepared.reads_rule_groups {
            pattern.captures(&current)
        } else {
            pattern
                .is_match(&current)
                .map(|matched| matched.then(Vec::new))
        };
        let Some(captures) = found else {
            return Outcome::Unknown(format!(
                "the RewriteRule pattern {:?} cannot be evaluated",
                pattern.source
            ));
        };
        let matched = captures.is_some() != negated;
        let rule_groups: Vec<Option<String>> = if negated {
            Vec::new()
        } else {
            captures.unwrap_or_default()
        };
        let chained = has(flag::CHAIN);
        if !matched {
            index = after_unapplied(entries, index, chained);
            continue;
        }
        let cond_groups = match conditions(entry, &rule_groups, lookup) {
            Ok(Some(groups)) => groups,
            Ok(None) => {
                index = after_unapplied(entries, index, chained);
                continue;
            }
            Err(reason) => return Outcome::Unknown(reason),
        };
        // The rule applies.
        for flag in flags.clone() {
            if let Some(assignment) = flag
                .strip_prefix("E=")
                .or_else(|| flag.strip_prefix("env="))
            {
                let expanded = match expand(assignment, &rule_groups, &cond_groups, lookup) {
                    Ok((text, _)) => text,
                    Err(reason) => return Outcome::Unknown(reason),
                };
                let (name, value) = expanded.split_once(':').unwrap_or((&expanded, ""));
                if let Some(unset) = name.strip_prefix('!') {
                    lookup.set_env(unset, "");
                } else {
                    lookup.set_env(name, value);
                }
            }
        }
        let span = entry.rule().span;
        if has(flag::FORBIDDEN) {
            return Outcome::Status(403, span, "RewriteRule [F]".to_string());
        }
        if has(flag::GONE) {
            return Outcome::Status(410, span, "RewriteRule [G]".to_string());
        }
        if has(flag::PROXY) || has(flag::HANDLER) {
            return Outcome::Unknown(
                "a RewriteRule hands the request to a proxy or handler".to_string(),
            );
        }
        let redirect = if has(flag::REDIRECT) {
            Some(match flag_value(flags.clone(), &["R", "redirect"]) {
                None => 302,
                Some(code) => match code.to_ascii_lowercase().as_str() {
                    "permanent" => 301,
                    "temp" => 302,
                    "seeother" => 303,
                    number => number.parse().unwrap_or(302),
                },
            })
        } else {
            None
        };
        if target != "-" {
            let (expanded, from_backref) = match expand(target, &rule_groups, &cond_groups, lookup)
            {
                Ok(found) => found,
                Err(reason) => return Outcome::Unknown(reason),
            };
            let noescape = has(flag::NOESCAPE);
            let (path, query) = match expanded.split_once('?') {
                Some((path, query)) => (path.to_string(), Some(query.to_string())),
                None => (expanded.clone(), None),
            };
            if let Some(query) = &query {
                let escaped = redirect.is_some() && !noescape;
                if !escaped && query.bytes().any(|b| b <= b' ' || b == 0x7f) {
                    return Outcome::Status(
                        403,
                        span,
                        "the rewritten query string contains a space or control character (AH10410/AH10411); add [B]"
                            .to_string(),
                    );
                }
                let question = expanded.find('?').unwrap_or(0);
                if from_backref.get(question).copied().unwrap_or(false)
                    && !has(flag::UNSAFE_ALLOW_3F)
                {
                    return Outcome::Status(
                        403,
                        span,
                        "a '?' in the substitution came from an encoded %3f in a backreference (AH10508); add [UnsafeAllow3F] or a literal '?'"
                            .to_string(),
                    );
                }
            }
            if let Some(code) = redirect {
                if (300..400).contains(&code) {
                    return Outcome::Redirect(code, span);
                }
                return Outcome::Status(code, span, format!("RewriteRule [R={code}]"));
            }
            if expanded.contains("://") {
                return Outcome::Redirect(302, span);
            }
            current = path;
            changed = Some((span, has(flag::PASSTHROUGH), has(flag::QSAPPEND), query));
        } else if let Some(code) = redirect {
            if !(300..400).contains(&code) {
                return Outcome::Status(code, span, format!("RewriteRule [R={code}]"));
            }
        }
        if has(flag::LAST) {
            break;
        }
        if let Some(skip) = flag_value(flags.clone(), &["S", "skip"]) {
            index += skip.parse::<usize>().unwrap_or(0);
        }
        if has(flag::NEXT) {
            index = 0;
            continue;
        }
        index += 1;
    }
    match changed {
        None => Outcome::Unchanged,
        Some((span, passthrough, qsappend, query)) => Outcome::Rewritten {
            value: current,
            query,
            span,
            passthrough,
            qsappend,
        },
    }
}

/// The conditions of a rule: `Ok(Some(groups of the last match))` when
/// they hold, `Ok(None)` when not.
/// Where the list goes on after the rule at `index` did not apply: the
/// next rule, past the rules a `[C]` chains to it.
fn after_unapplied(entries: &[Entry<'_>], index: usize, chained: bool) -> usize {
    let mut next = index + 1;
    if chained {
        while next < entries.len() && entries[next - 1].prepared.bits & flag::CHAIN != 0 {
            next += 1;
        }
    }
    next
}

fn conditions(
    entry: Entry<'_>,
    rule_groups: &[Option<String>],
    lookup: &mut dyn Lookup,
) -> Result<Option<Vec<Option<String>>>, String> {
    let keep_groups = entry.prepared.reads_cond_groups;
    let conds = &entry.prepared.conds;
    let mut groups: Vec<Option<String>> = Vec::new();
    let mut index = 0;
    while index < conds.len() {
        let (at, bits) = conds[index];
        let ornext = bits & flag::ORNEXT != 0;
        let nocase = bits & flag::NOCASE != 0;
        let (holds, found) = condition(
            words(&entry.rules[at]),
            nocase,
            rule_groups,
            &groups,
            keep_groups,
            lookup,
        )?;
        if ornext {
            if !holds {
                index += 1;
                continue;
            }
            while index < conds.len() && conds[index].1 & flag::ORNEXT != 0 {
                index += 1;
            }
        } else if !holds {
            return Ok(None);
        }
        if let Some(found) = found {
            groups = found;
        }
        index += 1;
    }
    Ok(Some(groups))
}

type Groups = Vec<Option<String>>;

fn condition(
    args: &[String],
    nocase: bool,
    rule_groups: &[Option<String>],
    cond_groups: &[Option<String>],
    keep_groups: bool,
    lookup: &mut dyn Lookup,
) -> Result<(bool, Option<Groups>), String> {
    let test = args.first().map_or("", String::as_str);
    let pattern = args.get(1).map_or("", String::as_str);
    if test.eq_ignore_ascii_case("expr") {
        return Err("RewriteCond expr is not modelled".to_string());
    }
    // Most test strings are one variable (`%{HTTP_REFERER}`): read it
    // without building the expansion's record of where each byte came from.
    let value = match whole_server_variable(test) {
        Some(name) => lookup
            .server_var(name)
            .ok_or_else(|| format!("%{{{name}}} is not modelled"))?,
        None => expand(test, rule_groups, cond_groups, lookup)?.0,
    };
    let (negated, pattern) = match pattern.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, pattern),
    };
    // `=""` (and `<""` ...) compare with the empty string.
    let pattern = match pattern.strip_suffix("\"\"") {
        Some(operator) if matches!(operator, "=" | "<" | ">" | "<=" | ">=") => operator,
        _ => pattern,
    };
    let compare = |a: &str, b: &str| -> std::cmp::Ordering {
        if nocase {
            a.to_ascii_lowercase().cmp(&b.to_ascii_lowercase())
        } else {
            a.cmp(b)
        }
    };
    let result = match pattern {
        "-f" | "-F" | "-d" | "-s" | "-l" | "-L" | "-h" | "-x" => {
            let test = if pattern == "-F" { "-f" } else { pattern };
            let found = lookup.file_test(test, &value).ok_or_else(|| {
                format!("RewriteCond {pattern} on {value} needs a view of the filesystem")
            })?;
            (found, None)
        }
        "-U" => return Err("RewriteCond -U (a subrequest) is not modelled".to_string()),
        _ if pattern.starts_with("<=") => (compare(&value, &pattern[2..]).is_le(), None),
        _ if pattern.starts_with(">=") => (compare(&value, &pattern[2..]).is_ge(), None),
        _ if pattern.starts_with('<') => (compare(&value, &pattern[1..]).is_lt(), None),
        _ if pattern.starts_with('>') => (compare(&value, &pattern[1..]).is_gt(), None),
        _ if pattern.starts_with('=') => (compare(&value, &pattern[1..]).is_eq(), None),
        _ if pattern.starts_with('-')
            && pattern.len() > 1
            && pattern[1..].chars().all(|c| c.is_ascii_alphabetic()) =>
        {
            return Err(format!("RewriteCond {pattern} is not modelled"));
        }
        _ => {
            let compiled = lookup.pattern(pattern, nocase);
            let found = if keep_groups && !negated {
                compiled.captures(&value)
            } else {
                // Nothing reads the groups: an empty list stands for them.
                compiled
                    .is_match(&value)
                    .map(|matched| matched.then(Vec::new))
            };
            match found {
                None => {
                    return Err(format!(
                        "the RewriteCond pattern {pattern:?} cannot be evaluated"
                    ))
                }
                Some(found) => (found.is_some(), found),
            }
        }
    };
    let (holds, groups) = result;
    if negated {
        Ok((!holds, None))
    } else {
        Ok((holds, groups))
    }
}

/// Expands `$N`, `%N`, `%{VAR}` and `${map:key|default}`; also says, for
/// each byte of the result, whether it came from a backreference.
/// `NAME` when `text` is `%{NAME}` and nothing else, as [`expand`] reads
/// it (up to the first `}`).
fn whole_server_variable(text: &str) -> Option<&str> {
    let name = text.strip_prefix("%{")?.strip_suffix('}')?;
    (!name.contains('}')).then_some(name)
}

fn expand(
    text: &str,
    rule_groups: &[Option<String>],
    cond_groups: &[Option<String>],
    lookup: &mut dyn Lookup,
) -> Result<(String, Vec<bool>), String> {
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut origin: Vec<bool> = Vec::new();
    let push = |out: &mut String, origin: &mut Vec<bool>, piece: &str, backref: bool| {
        out.push_str(piece);
        origin.extend(std::iter::repeat_n(backref, piece.len()));
    };
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'\\' && i + 1 < bytes.len() {
            let width = text[i + 1..].chars().next().map_or(1, char::len_utf8);
            let next = &text[i + 1..i + 1 + width];
            push(&mut out, &mut origin, next, false);
            i += 1 + width;
            continue;
        }
        if (c == b'$' || c == b'%') && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
            let n = usize::from(bytes[i + 1] - b'0');
            let groups = if c == b'$' { rule_groups } else { cond_groups };
            let value = groups.get(n).cloned().flatten().unwrap_or_default();
            push(&mut out, &mut origin, &value, true);
            i += 2;
            continue;
        }
        if c == b'%' && bytes.get(i + 1) == Some(&b'{') {
            if let Some(end) = text[i + 2..].find('}') {
                let name = &text[i + 2..i + 2 + end];
                let value = lookup
                    .server_var(name)
                    .ok_or_else(|| format!("%{{{name}}} is not modelled"))?;
                push(&mut out, &mut origin, &value, false);
                i += end + 3;
                continue;
            }
        }
        if c == b'$' && bytes.get(i + 1) == Some(&b'{') {
            if let Some(end) = text[i + 2..].find('}') {
                let inner = &text[i + 2..i + 2 + end];
                let (inner_text, _) = expand(inner, rule_groups, cond_groups, lookup)?;
                if let Some((map, rest)) = inner_text.split_once(':') {
                    let (key, default) = match rest.split_once('|') {
                        Some((key, default)) => (key, Some(default)),
                        None => (rest, None),
                    };
                    let value = lookup
                        .map(map, key)?
                        .or_else(|| default.map(str::to_string))
                        .unwrap_or_default();
                    push(&mut out, &mut origin, &value, false);
                    i += end + 3;
                    continue;
                }
            }
        }
        // Up to the next byte that may start an escape or a reference (all
        // ASCII, so the run ends on a character boundary), at once.
        let run = memchr::memchr3(b'\\', b'$', b'%', &bytes[i + 1..])
            .map_or(bytes.len(), |at| i + 1 + at);
        push(&mut out, &mut origin, &text[i..run], false);
        i = run;
    }
    Ok((out, origin))
}

/// A `txt:` map file's entries (`key value`, `#` comments).
pub(super) fn parse_txt_map(text: &str) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut words = line.split_whitespace();
        if let (Some(key), Some(value)) = (words.next(), words.next()) {
            map.entry(key.to_string())
                .or_insert_with(|| value.to_string());
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The search by names the bits replaced, kept as their oracle.
    fn has_flag(flags: &[&str], names: &[&str]) -> bool {
        flags.iter().any(|flag| {
            let key = flag.split_once('=').map_or(*flag, |(key, _)| key);
            names.iter().any(|name| key.eq_ignore_ascii_case(name))
        })
    }

    /// Each bit is set exactly when the search by names says the flag is
    /// there: every name in any case, with a value, beside other flags,
    /// and names that only share a prefix with one.
    struct Vars;

    impl Lookup for Vars {
        fn server_var(&self, name: &str) -> Option<String> {
            (name == "HTTP_HOST").then(|| "ex.test".to_string())
        }
        fn file_test(&self, _: &str, _: &str) -> Option<bool> {
            None
        }
        fn map(&self, map: &str, key: &str) -> Result<Option<String>, String> {
            Ok((map == "m").then(|| format!("<{key}>")))
        }
        fn set_env(&mut self, _: &str, _: &str) {}
        fn is_subrequest(&self) -> bool {
            false
        }
        fn pattern(&self, source: &str, nocase: bool) -> std::sync::Arc<Pattern> {
            std::sync::Arc::new(Pattern::new(source, nocase))
        }
    }

    /// Plain text is copied; backreferences, variables and maps are
    /// expanded, and each output byte knows whether a backreference gave it.
    #[test]
    fn expansion_keeps_plain_text_and_marks_backreferences() {
        let groups = [Some("/all".to_string()), Some("é?x".to_string())];
        let conds = [None, Some("c".to_string())];
        let cases = [
            ("/plain/päth", "/plain/päth"),
            ("/a/$1/%1/b", "/a/é?x/c/b"),
            ("%{HTTP_HOST}$", "ex.test$"),
            ("100% \\$1 $x %", "100% $1 $x %"),
            ("${m:$1|d}/ü", "<é?x>/ü"),
            ("$9%9", ""),
            ("", ""),
        ];
        for (text, expected) in cases {
            let (out, origin) = expand(text, &groups, &conds, &mut Vars).unwrap_or_default();
            assert_eq!(out, expected, "{text:?}");
            assert_eq!(origin.len(), out.len(), "{text:?}");
        }
        let (out, origin) = expand("/a/$1", &groups, &conds, &mut Vars).unwrap_or_default();
        let marked: String = out
            .char_indices()
            .filter(|&(at, _)| origin[at])
            .map(|(_, c)| c)
            .collect();
        assert_eq!(marked, "é?x");
        assert!(expand("%{NOPE}", &groups, &conds, &mut Vars).is_err());
    }

    /// A test string that is one variable is read as `expand` reads it.
    #[test]
    fn a_lone_variable_reads_as_its_expansion() {
        for text in [
            "%{HTTP_HOST}",
            "%{NOPE}",
            "%{HTTP_HOST}}",
            "%{HTTP}HOST}",
            "%{}",
            "x%{HTTP_HOST}",
            "%{HTTP_HOST",
            "%1",
        ] {
            let expanded = expand(text, &[], &[], &mut Vars).map(|(out, _)| out);
            match whole_server_variable(text) {
                Some(name) => assert_eq!(
                    Vars.server_var(name).ok_or(()),
                    expanded.map_err(|_| ()),
                    "{text:?}"
                ),
                None => assert!(
                    !matches!(text, "%{HTTP_HOST}" | "%{NOPE}" | "%{}"),
                    "{text:?} is one variable"
                ),
            }
        }
    }

    #[test]
    fn letters_compare_as_eq_ignore_ascii_case_does() {
        let lower = b"rewritecond";
        for name in ["RewriteCond", "rewritecond", "REWRITECOND", "rEwRiTeCoNd"] {
            assert!(is_letters(name.as_bytes(), lower), "{name}");
        }
        // Every byte in every place: only the letter, either case, passes.
        for at in 0..lower.len() {
            for byte in 0..=255u8 {
                let mut name = lower.to_vec();
                name[at] = byte;
                assert_eq!(
                    is_letters(&name, lower),
                    name.eq_ignore_ascii_case(lower),
                    "{at} {byte}"
                );
            }
        }
        assert!(!is_letters(b"RewriteCon", lower));
    }

    #[test]
    fn flag_bits_answer_as_the_search_by_names() {
        let mut words: Vec<String> = Vec::new();
        for (_, names) in flag::NAMES {
            for name in *names {
                words.push((*name).to_string());
                words.push(name.to_ascii_lowercase());
                words.push(name.to_ascii_uppercase());
                words.push(format!("{name}=301"));
                words.push(format!("{name}x"));
            }
        }
        words.extend(["E=a:b", "QSD", "NCX", "", "=F", "S=2", "B", "END"].map(String::from));
        let lists: Vec<Vec<&str>> = words
            .iter()
            .map(|word| vec![word.as_str()])
            .chain(
                words
                    .windows(3)
                    .map(|three| three.iter().map(String::as_str).collect()),
            )
            .collect();
        for flags in &lists {
            let bits = flag_bits(flags.iter().copied());
            for (bit, names) in flag::NAMES {
                assert_eq!(
                    bits & bit != 0,
                    has_flag(flags, names),
                    "{flags:?} {names:?}"
                );
            }
        }
        assert_eq!(
            flag_bits(flag_words(Some(&"[nc,L,R=301]".to_string()))),
            flag::NOCASE | flag::LAST | flag::REDIRECT
        );
    }
}
