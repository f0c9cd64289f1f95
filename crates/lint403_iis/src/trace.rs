//! One request through a lowered IIS site, in the order of the IIS
//! integrated pipeline as Microsoft documents it (`docs/trace-iis.md` has
//! the sources and what is assumed):
//!
//! 1. IP and domain restrictions (`ipSecurity`): first matching entry top
//!    down, parent entries first, `allowUnlisted` last; a denial answers by
//!    `denyAction` (403.503 / 401.503 / 404.503 / connection aborted).
//! 2. Request filtering (`BeginRequest`, before URL Rewrite): double escaping
//!    404.11, URL sequences 404.5, file extensions 404.7, hidden segments
//!    404.8, verbs 404.6.
//! 3. `access@sslFlags`: 403.4 / 403.5 over http, 403.7 without a client
//!    certificate.
//! 4. URL Rewrite distributed rules, parent rules first.
//! 5. Authentication: anonymous off and no credentials: 401.2.
//! 6. IIS URL Authorization: deny rules first (parent first), then allow
//!    rules; nothing matching denies (401).
//! 7. ASP.NET URL Authorization for managed requests: most local level
//!    first, first match; default allow.
//! 8. The handler: `accessPolicy` (403.1 / 403.2), default document,
//!    directory browsing (403.14), the static file.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use lint403_core::fsview::FileKind;
use lint403_core::model::{
    Action, Condition, Gap, RuleKind, ScopeId, ScopeKind, SiteId, Subject, TextTest,
};
use lint403_core::request::normalize_path;
use lint403_core::{
    Model, Outcome, Pattern, Request, Selector, Span, Step, StepRole, TraceOptions, Verdict,
};

use crate::lower::{
    arg, is_true, ssl_flags, ACCESS, ASPNET_AUTHENTICATION, ASPNET_AUTHORIZATION, AUTHENTICATION,
    AUTH_USER, DEFAULT_DOCUMENT, DIRECTORY_BROWSE, HANDLERS, HTTP_ERRORS, IP_SECURITY,
    IS_DIRECTORY, IS_FILE, MATCH_URL, MODULES, REQUEST_FILTERING, REWRITE_RULES, SECTION,
    URL_AUTHORIZATION,
};
use crate::select::{relative_to, scopes_for_path, IisSelector};

/// How many `Rewrite` actions one request may go through (each rule runs
/// once per request, so this only bounds a pathological rule list).
const MAX_REWRITES: usize = 1000;

/// Traces one request through `model` (lowered by [`crate::lower`]).
pub fn trace(model: &Model, request: &Request, options: &TraceOptions) -> Verdict {
    let selection = IisSelector.select(model, request);
    let mut steps = selection.steps;
    let Some(site) = selection.site else {
        return Verdict::unknown(
            selection
                .unknown
                .unwrap_or_else(|| "no site to trace".into()),
            steps,
        );
    };
    if let Some(gap) = configuration_error(model, &selection.scopes) {
        steps.push(Step::new(
            StepRole::Decided,
            Some(gap.span),
            gap.reason.clone(),
        ));
        let mut verdict = Verdict::status(500, steps);
        verdict.substatus = Some(19);
        return verdict.with_fix(
            "fix the configuration error: IIS refuses to read this configuration level, so every \
             URL below it answers 500.19",
        );
    }
    let Some(path) = normalize_path(&request.path, false) else {
        steps.push(Step::new(
            StepRole::Default,
            None,
            "the URL climbs above the site root or holds an escaped NUL: http.sys answers 400",
        ));
        return Verdict::status(400, steps);
    };
    let mut tracer = Tracer {
        model,
        request,
        options,
        site,
        steps,
        path: path.clone(),
        query: request.query.clone(),
        user: None,
        https: is_https(model, site, request),
    };
    let outcome = tracer.run(&selection.scopes);
    let steps = std::mem::take(&mut tracer.steps);
    outcome.into_verdict(steps)
}

/// A configuration error (IIS answers 500.19) in a level that applies:
/// the innermost scope holding the error's span is one of `selected`.
fn configuration_error<'m>(model: &'m Model, selected: &[ScopeId]) -> Option<&'m Gap> {
    model
        .gaps
        .iter()
        .filter(|gap| gap.reason.contains("500.19"))
        .find(|gap| {
            let holder = (0..model.scopes.len())
                .map(ScopeId)
                .filter(|&id| {
                    let span = model.scope(id).span;
                    span.file == gap.span.file
                        && span.range.start <= gap.span.range.start
                        && gap.span.range.end <= span.range.end
                })
                .min_by_key(|&id| model.scope(id).span.range.len());
            holder.is_some_and(|id| selected.contains(&id))
        })
}

/// What one stage decided.
enum Decision {
    Status {
        status: u16,
        substatus: Option<u16>,
        fix: Option<String>,
    },
    Aborted {
        fix: String,
    },
    Unknown(String),
}

impl Decision {
    fn status(status: u16, substatus: Option<u16>) -> Decision {
        Decision::Status {
            status,
            substatus,
            fix: None,
        }
    }

    fn refused(status: u16, substatus: Option<u16>, fix: impl Into<String>) -> Decision {
        Decision::Status {
            status,
            substatus,
            fix: Some(fix.into()),
        }
    }

    fn into_verdict(self, steps: Vec<Step>) -> Verdict {
        match self {
            Decision::Status {
                status,
                substatus,
                fix,
            } => {
                let mut verdict = Verdict::status(status, steps);
                verdict.substatus = substatus;
                verdict.fix = fix;
                verdict
            }
            Decision::Aborted { fix } => {
                let mut verdict = Verdict::status(0, steps);
                verdict.status = None;
                verdict.outcome = Outcome::Other;
                verdict.fix = Some(fix);
                verdict
            }
            Decision::Unknown(reason) => Verdict::unknown(reason, steps),
        }
    }
}

struct Tracer<'a> {
    model: &'a Model,
    request: &'a Request,
    options: &'a TraceOptions,
    site: SiteId,
    steps: Vec<Step>,
    /// The current URL path (normalized; changed by Rewrite actions).
    path: String,
    query: Option<String>,
    /// The authenticated user, once authentication ran.
    user: Option<String>,
    https: bool,
}

fn is_https(model: &Model, site: SiteId, request: &Request) -> bool {
    let listens = &model.site(site).listen;
    match request.listen {
        Some(local) => listens.iter().any(|l| l.tls && l.accepts(local)) || local.port() == 443,
        None => listens.first().is_some_and(|l| l.tls),
    }
}

impl Tracer<'_> {
    fn step(&mut self, role: StepRole, span: Option<Span>, text: impl Into<String>) {
        self.steps.push(Step::new(role, span, text));
    }

    fn run(&mut self, scopes: &[ScopeId]) -> Decision {
        let mut config = Effective::build(self.model, scopes);
        if config.defaults {
            self.step(
                StepRole::Default,
                None,
                "assumed: the default applicationHost.config of IIS 10 around this web.config \
                 (authorization allow *, request filtering defaults, anonymous authentication on, \
                 accessPolicy \"Read, Script\", default documents, directory browsing off)",
            );
        }
        for gap in &self.model.gaps {
            self.steps.push(Step::new(
                StepRole::Evaluated,
                Some(gap.span),
                format!("not traced: {}", gap.reason),
            ));
        }
        if let Some(decision) = self.ip_security(&config) {
            return decision;
        }
        if let Some(decision) = self.request_filtering(&config) {
            return decision;
        }
        // sslFlags is enforced before the distributed rewrite rules run
        // (an http->https redirect rule never sees a request that
        // "Require SSL" refuses); docs/trace-iis.md says why this order.
        if let Some(decision) = self.ssl(&config) {
            return decision;
        }
        let before = self.path.clone();
        if let Some(decision) = self.rewrite(&config) {
            return decision;
        }
        if self.path != before {
            let scopes = scopes_for_path(self.model, self.site, &self.path);
            config = Effective::build(self.model, &scopes);
        }
        if let Some(decision) = self.authenticate(&config) {
            return decision;
        }
        if let Some(decision) = self.url_authorization(&config) {
            return decision;
        }
        if let Some(decision) = self.aspnet_authorization(&config) {
            return decision;
        }
        for (text, span) in &config.http_errors {
            self.steps
                .push(Step::new(StepRole::Evaluated, *span, text.clone()));
        }
        self.handler(&config)
    }

    // ---- 1. IP and domain restrictions -------------------------------

    fn ip_security(&mut self, config: &Effective) -> Option<Decision> {
        let ip = &config.ip;
        if let Some(span) = ip.refused_clear {
            self.step(
                StepRole::Evaluated,
                Some(span),
                "<clear/> under allowUnlisted=\"false\"",
            );
            return Some(Decision::Unknown(
                "ipSecurity: the documentation says <clear> cannot be used below a level with \
                 allowUnlisted=\"false\"; what IIS answers then is not documented"
                    .into(),
            ));
        }
        let mut clients = vec![self.request.client_ip];
        if ip.proxy_mode.0 {
            clients.extend(forwarded_for(self.request));
        }
        for client in clients {
            let mut decided = None;
            for entry in &ip.entries {
                let matched = match &entry.subject {
                    Subject::Ip(cidr) => cidr.contains(client),
                    Subject::Host(domain) => {
                        self.step(
                            StepRole::Evaluated,
                            Some(entry.span),
                            format!("domain entry {domain}"),
                        );
                        return Some(Decision::Unknown(format!(
                            "the ipSecurity entry for domain '{domain}' needs a reverse DNS lookup \
                             of {client} (and enableReverseDns=\"true\"); lint403 does not resolve names"
                        )));
                    }
                    other => {
                        self.step(StepRole::Evaluated, Some(entry.span), "unreadable entry");
                        return Some(Decision::Unknown(format!(
                            "the ipSecurity entry cannot be read: {other:?}"
                        )));
                    }
                };
                if matched {
                    decided = Some((entry.action, Some(entry.span)));
                    break;
                }
                self.step(
                    StepRole::Evaluated,
                    Some(entry.span),
                    format!("ipSecurity entry does not match {client}"),
                );
            }
            let (action, span, listed) = match decided {
                Some((action, span)) => (action, span, true),
                None => (
                    if ip.allow_unlisted.0 {
                        Action::Allow
                    } else {
                        Action::Deny
                    },
                    ip.allow_unlisted.1,
                    false,
                ),
            };
            if action == Action::Allow {
                if listed || span.is_some() {
                    self.step(
                        StepRole::Evaluated,
                        span,
                        format!("ipSecurity allows {client}"),
                    );
                }
                continue;
            }
            let text = if listed {
                format!(
                    "ipSecurity entry denies {client} (entries are read top down, parent first)"
                )
            } else {
                format!("allowUnlisted=\"false\": {client} matches no allowed entry")
            };
            self.step(StepRole::Decided, span, text);
            let fix = if listed {
                format!(
                    "allow {client} with <add ipAddress=\"{client}\" allowed=\"true\"/> placed before \
                     this entry (at the level that holds it), or remove the entry"
                )
            } else {
                format!(
                    "add <add ipAddress=\"{client}\" allowed=\"true\"/> to ipSecurity, or set \
                     allowUnlisted=\"true\""
                )
            };
            let action_text = ip.deny_action.0.to_ascii_lowercase();
            if let Some(span) = ip.deny_action.1 {
                self.step(
                    StepRole::Decided,
                    Some(span),
                    format!("denyAction=\"{}\"", ip.deny_action.0),
                );
            }
            return Some(match action_text.as_str() {
                "unauthorized" => Decision::refused(401, Some(503), fix),
                "notfound" => Decision::refused(404, Some(503), fix),
                "abortrequest" => Decision::Aborted { fix },
                _ => Decision::refused(403, Some(503), fix),
            });
        }
        None
    }

    // ---- 2. Request filtering ----------------------------------------

    fn request_filtering(&mut self, config: &Effective) -> Option<Decision> {
        let filtering = &config.filtering;
        let webdav = is_webdav(&self.request.method);
        if !filtering.allow_double_escaping.0 && double_escaped(&self.request.path) {
            self.step(
                StepRole::Decided,
                filtering.allow_double_escaping.1,
                "the URL is still escaped after decoding ('%' or '+'); allowDoubleEscaping is false",
            );
            return Some(Decision::refused(
                404,
                Some(11),
                "avoid '+' and double escapes in URL paths, or set requestFiltering \
                 allowDoubleEscaping=\"true\"",
            ));
        }
        let lower_path = self.path.to_ascii_lowercase();
        let lower_raw = self.request.path.to_ascii_lowercase();
        for (sequence, span) in &filtering.sequences {
            let needle = sequence.to_ascii_lowercase();
            if !needle.is_empty() && (lower_path.contains(&needle) || lower_raw.contains(&needle)) {
                self.step(
                    StepRole::Decided,
                    *span,
                    format!("denyUrlSequences: the URL contains '{sequence}'"),
                );
                return Some(Decision::refused(
                    404,
                    Some(5),
                    format!("<remove sequence=\"{sequence}\"/> from denyUrlSequences, or change the URL"),
                ));
            }
        }
        let extension = extension_of(&self.path);
        if !webdav || filtering.extensions_webdav {
            let listed = filtering
                .extensions
                .iter()
                .rev()
                .find(|(ext, _, _)| ext.eq_ignore_ascii_case(&extension));
            match listed {
                Some((ext, false, span)) => {
                    self.step(
                        StepRole::Decided,
                        *span,
                        format!("fileExtensions denies '{ext}'"),
                    );
                    return Some(Decision::refused(
                        404,
                        Some(7),
                        format!(
                            "<remove fileExtension=\"{ext}\"/> (or add it with allowed=\"true\") in \
                             requestFiltering/fileExtensions, if these files are meant to be served"
                        ),
                    ));
                }
                None if !filtering.extensions_unlisted.0 => {
                    self.step(
                        StepRole::Decided,
                        filtering.extensions_unlisted.1,
                        format!(
                            "fileExtensions allowUnlisted=\"false\" and '{extension}' is not allowed"
                        ),
                    );
                    return Some(Decision::refused(
                        404,
                        Some(7),
                        format!("<add fileExtension=\"{extension}\" allowed=\"true\"/>"),
                    ));
                }
                _ => {}
            }
        }
        if !webdav || filtering.hidden_webdav {
            for (segment, span) in &filtering.hidden {
                if has_segment(&self.path, segment) {
                    self.step(
                        StepRole::Decided,
                        *span,
                        format!("hiddenSegments: '{segment}' is a segment of {}", self.path),
                    );
                    return Some(Decision::refused(
                        404,
                        Some(8),
                        format!(
                            "<remove segment=\"{segment}\"/> from hiddenSegments at this level, or \
                             serve the content from another folder"
                        ),
                    ));
                }
            }
        }
        if !webdav || filtering.verbs_webdav {
            let method = &self.request.method;
            let listed = filtering
                .verbs
                .iter()
                .rev()
                .find(|(verb, _, _)| verb == method);
            match listed {
                Some((verb, false, span)) => {
                    self.step(StepRole::Decided, *span, format!("verbs denies {verb}"));
                    return Some(Decision::refused(
                        404,
                        Some(6),
                        format!("<remove verb=\"{verb}\"/> from requestFiltering/verbs"),
                    ));
                }
                None if !filtering.verbs_unlisted.0 => {
                    self.step(
                        StepRole::Decided,
                        filtering.verbs_unlisted.1,
                        format!("verbs allowUnlisted=\"false\" and {method} is not allowed"),
                    );
                    return Some(Decision::refused(
                        404,
                        Some(6),
                        format!("<add verb=\"{method}\" allowed=\"true\"/>"),
                    ));
                }
                _ => {}
            }
        }
        if webdav
            && (!filtering.hidden_webdav || !filtering.extensions_webdav || !filtering.verbs_webdav)
        {
            self.step(
                StepRole::Evaluated,
                None,
                "applyToWebDAV=\"false\": part of request filtering was skipped for this WebDAV verb",
            );
        }
        None
    }

    // ---- 3. URL Rewrite ----------------------------------------------

    fn rewrite(&mut self, config: &Effective) -> Option<Decision> {
        let mut rewrites = 0;
        for entry in &config.rewrite {
            if !entry.enabled {
                continue;
            }
            let prefix = match &self.model.scope(entry.scope).matcher {
                lint403_core::model::Matcher::Prefix(prefix) => prefix.clone(),
                _ => "/".to_string(),
            };
            let Some(relative) = relative_to(&prefix, &self.path) else {
                continue;
            };
            let rule = entry.action;
            let (RuleKind::Respond { when, .. } | RuleKind::Rewrite { when, .. }) = &rule.kind
            else {
                continue;
            };
            let (matched, captures, condition_captures) = match self.rule_matches(when, &relative) {
                Ok(found) => found,
                Err(reason) => {
                    self.step(
                        StepRole::Evaluated,
                        Some(entry.head),
                        format!("rewrite rule '{}' cannot be evaluated", entry.name),
                    );
                    return Some(Decision::Unknown(format!(
                        "rewrite rule '{}': {reason}",
                        entry.name
                    )));
                }
            };
            if !matched {
                self.step(
                    StepRole::Evaluated,
                    Some(entry.head),
                    format!("rewrite rule '{}' does not match '{relative}'", entry.name),
                );
                continue;
            }
            match &rule.kind {
                RuleKind::Respond {
                    status, substatus, ..
                } => {
                    self.step(
                        StepRole::Decided,
                        Some(entry.head),
                        format!("rewrite rule '{}' matches '{relative}'", entry.name),
                    );
                    self.step(
                        StepRole::Decided,
                        Some(rule.span),
                        action_text(*status, *substatus),
                    );
                    let fix = format!(
                        "narrow the match or conditions of rule '{}', or put a rule with \
                         action type=\"None\" and stopProcessing=\"true\" for this URL before it",
                        entry.name
                    );
                    return Some(match status {
                        0 => Decision::Aborted { fix },
                        300..=399 => Decision::status(*status, None),
                        _ => Decision::refused(*status, *substatus, fix),
                    });
                }
                RuleKind::Rewrite { target, flags, .. } => {
                    let is_rewrite = flags.iter().any(|f| f == "Rewrite");
                    if let Some(unknown) = flags.iter().find(|f| f.starts_with("unknown-action=")) {
                        return Some(Decision::Unknown(format!(
                            "rewrite rule '{}' has an action lint403 does not know ({unknown})",
                            entry.name
                        )));
                    }
                    if is_rewrite {
                        rewrites += 1;
                        if rewrites > MAX_REWRITES {
                            return Some(Decision::Unknown("too many rewrites".into()));
                        }
                        let expanded = match self.expand(target, &captures, &condition_captures) {
                            Ok(value) => value,
                            Err(reason) => {
                                return Some(Decision::Unknown(format!(
                                    "rewrite rule '{}': {reason}",
                                    entry.name
                                )))
                            }
                        };
                        let lower = expanded.to_ascii_lowercase();
                        if lower.starts_with("http://") || lower.starts_with("https://") {
                            self.step(
                                StepRole::Decided,
                                Some(rule.span),
                                format!("rewrites to {expanded}"),
                            );
                            return Some(Decision::Unknown(format!(
                                "rule '{}' rewrites to {expanded}: a proxy (ARR) answers, not this \
                                 configuration",
                                entry.name
                            )));
                        }
                        let (new_path, new_query) = match expanded.split_once('?') {
                            Some((path, query)) => (path.to_string(), Some(query.to_string())),
                            None => (expanded.clone(), self.query.clone()),
                        };
                        let absolute = if new_path.starts_with('/') {
                            new_path
                        } else {
                            format!("{}/{new_path}", prefix.trim_end_matches('/'))
                        };
                        self.path = normalize_path(&absolute, false).unwrap_or(absolute);
                        self.query = new_query;
                        self.step(
                            StepRole::Evaluated,
                            Some(rule.span),
                            format!("rule '{}' rewrites the URL to {}", entry.name, self.path),
                        );
                    } else {
                        self.step(
                            StepRole::Evaluated,
                            Some(rule.span),
                            format!("rule '{}' matches (action None)", entry.name),
                        );
                    }
                    if entry.stop {
                        self.step(
                            StepRole::Evaluated,
                            Some(entry.head),
                            "stopProcessing=\"true\": no later rewrite rule runs",
                        );
                        break;
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// Whether a rule's `when` (match, then conditions) holds, with the
    /// match's and the last matching condition's captures.
    fn rule_matches(
        &self,
        when: &Condition,
        relative: &str,
    ) -> Result<(bool, Vec<String>, Vec<String>), String> {
        let Condition::All(parts) = when else {
            return Err("unexpected rule shape".into());
        };
        let Some(matcher) = parts.first() else {
            return Ok((true, Vec::new(), Vec::new()));
        };
        let no_captures: Vec<String> = Vec::new();
        let lookup = |name: &str, r: &[String], c: &[String]| self.variable(name, relative, r, c);
        if !eval(matcher, &|name| lookup(name, &no_captures, &no_captures))? {
            return Ok((false, Vec::new(), Vec::new()));
        }
        let captures = match matcher {
            Condition::Var {
                test: TextTest::Matches(pattern),
                ..
            } => captures_of(pattern, relative)?,
            _ => vec![relative.to_string()],
        };
        let Some(conditions) = parts.get(1) else {
            return Ok((true, captures, Vec::new()));
        };
        let holds = eval(conditions, &|name| lookup(name, &captures, &no_captures))?;
        if !holds {
            return Ok((false, captures, Vec::new()));
        }
        let mut condition_captures = Vec::new();
        let list = match conditions {
            Condition::All(list) | Condition::Any(list) => list.as_slice(),
            other => std::slice::from_ref(other),
        };
        for condition in list {
            if let Condition::Var {
                name,
                test: TextTest::Matches(pattern),
            } = condition
            {
                if let Ok(Some(value)) = self.variable(name, relative, &captures, &[]) {
                    let found = captures_of(pattern, &value)?;
                    if !found.is_empty() {
                        condition_captures = found;
                    }
                }
            }
        }
        Ok((true, captures, condition_captures))
    }

    /// A server variable, an input string made of them (`{HTTP_HOST}{URL}`),
    /// or an `IsFile:`/`IsDirectory:` test of one. `Err` when lint403
    /// cannot know it.
    fn variable(
        &self,
        name: &str,
        relative: &str,
        captures: &[String],
        condition_captures: &[String],
    ) -> Result<Option<String>, String> {
        if name == MATCH_URL {
            return Ok(Some(relative.to_string()));
        }
        if name == AUTH_USER {
            return Ok(Some(self.user.clone().unwrap_or_default()));
        }
        for (prefix, want_dir) in [(IS_FILE, false), (IS_DIRECTORY, true)] {
            if let Some(input) = name.strip_prefix(prefix) {
                // An empty input means the requested file's physical path.
                let input = if input.trim().is_empty() {
                    "{REQUEST_FILENAME}"
                } else {
                    input
                };
                let physical = self.expand(input, captures, condition_captures)?;
                let Some(kind) = self.kind_at(Path::new(&physical)) else {
                    return Err(format!(
                        "the condition tests whether {physical} is a {} and lint403 has no view of \
                         the site's files",
                        if want_dir { "directory" } else { "file" }
                    ));
                };
                let is = match kind {
                    FileKind::Directory => want_dir,
                    FileKind::File => !want_dir,
                    FileKind::Symlink { resolves_to, .. } => match resolves_to.as_deref() {
                        Some(FileKind::Directory) => want_dir,
                        Some(FileKind::File) => !want_dir,
                        _ => false,
                    },
                    _ => false,
                };
                return Ok(Some(if is { "1" } else { "0" }.to_string()));
            }
        }
        self.expand(name, captures, condition_captures).map(Some)
    }

    /// Expands `{VAR}`, `{R:n}` and `{C:n}` in a rewrite input or target.
    fn expand(
        &self,
        text: &str,
        captures: &[String],
        condition_captures: &[String],
    ) -> Result<String, String> {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find('{') {
            out.push_str(&rest[..start]);
            let after = &rest[start + 1..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                return Ok(out);
            };
            let token = &after[..end];
            out.push_str(&self.server_variable(token, captures, condition_captures)?);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn server_variable(
        &self,
        token: &str,
        captures: &[String],
        condition_captures: &[String],
    ) -> Result<String, String> {
        let back_reference = |list: &[String], index: &str| -> Result<String, String> {
            index
                .trim()
                .parse::<usize>()
                .map(|i| list.get(i).cloned().unwrap_or_default())
                .map_err(|_| format!("back-reference {{{token}}}"))
        };
        if let Some(index) = token.strip_prefix("R:") {
            return back_reference(captures, index);
        }
        if let Some(index) = token.strip_prefix("C:") {
            return back_reference(condition_captures, index);
        }
        if token.contains(':') {
            return Err(format!(
                "{{{token}}} is a rewrite map or function lint403 does not evaluate"
            ));
        }
        let name = token.trim().to_ascii_uppercase();
        let request = self.request;
        let query = self.query.clone().unwrap_or_default();
        let value = match name.as_ref() {
            "HTTP_HOST" | "SERVER_NAME" => request.header("host").unwrap_or("").to_string(),
            "REMOTE_ADDR" | "REMOTE_HOST" => request.client_ip.to_string(),
            // RW: "HTTPS contains OFF" over http.
            "HTTPS" => if self.https { "ON" } else { "OFF" }.to_string(),
            "SERVER_PORT_SECURE" => if self.https { "1" } else { "0" }.to_string(),
            "SERVER_PORT" => request.listen.map_or_else(
                || if self.https { "443" } else { "80" }.to_string(),
                |l| l.port().to_string(),
            ),
            "QUERY_STRING" => query,
            "REQUEST_URI" | "HTTP_URL" | "UNENCODED_URL" => match &request.query {
                Some(q) => format!("{}?{q}", request.path),
                None => request.path.clone(),
            },
            "URL" | "PATH_INFO" | "SCRIPT_NAME" => self.path.clone(),
            "REQUEST_METHOD" => request.method.clone(),
            "SERVER_PROTOCOL" => "HTTP/1.1".to_string(),
            "AUTH_USER" | "REMOTE_USER" | "LOGON_USER" | "AUTH_TYPE" => String::new(),
            "REQUEST_FILENAME" | "PHYSICAL_PATH" | "APPL_PHYSICAL_PATH" => {
                let root = self.site_root();
                let relative = if name == "APPL_PHYSICAL_PATH" {
                    String::new()
                } else {
                    self.path.trim_start_matches('/').to_string()
                };
                root.join(relative).display().to_string()
            }
            other => match other.strip_prefix("HTTP_") {
                Some(header) => request
                    .header(&header.replace('_', "-"))
                    .unwrap_or("")
                    .to_string(),
                None => return Err(format!("server variable {{{token}}} is not modelled")),
            },
        };
        Ok(value)
    }

    // ---- 4. SSL ------------------------------------------------------

    fn ssl(&mut self, config: &Effective) -> Option<Decision> {
        let (flags, span) = config.ssl.as_ref()?;
        let has = |wanted: &str| flags.iter().any(|f| f.eq_ignore_ascii_case(wanted));
        if !self.https && (has("Ssl") || has("Ssl128")) {
            let substatus = if has("Ssl") { 4 } else { 5 };
            self.step(
                StepRole::Decided,
                Some(*span),
                "sslFlags requires SSL and the request came over http",
            );
            return Some(Decision::refused(
                403,
                Some(substatus),
                "send the request over https (redirect http to https with a URL Rewrite rule), \
                 or remove Ssl from sslFlags",
            ));
        }
        if self.https && has("SslRequireCert") {
            self.step(
                StepRole::Decided,
                Some(*span),
                "sslFlags requires a client certificate; the traced request carries none",
            );
            return Some(Decision::refused(
                403,
                Some(7),
                "present a client certificate, or use SslNegotiateCert if certificates are optional",
            ));
        }
        self.step(StepRole::Evaluated, Some(*span), "sslFlags satisfied");
        None
    }

    // ---- 5. Authentication -------------------------------------------

    fn authenticate(&mut self, config: &Effective) -> Option<Decision> {
        let auth = &config.auth;
        let challenge = auth.basic.0 || auth.windows.0 || auth.digest.0;
        if let Some(user) = &self.request.user {
            if challenge || auth.forms.is_some() {
                self.user = Some(user.clone());
                let span = [auth.basic, auth.windows, auth.digest]
                    .iter()
                    .find(|(on, _)| *on)
                    .and_then(|(_, span)| *span);
                self.step(
                    StepRole::Evaluated,
                    span,
                    format!("authenticated as {user}"),
                );
                return None;
            }
            self.step(
                StepRole::Evaluated,
                None,
                format!(
                    "no authentication method that reads credentials is enabled: {user} is ignored"
                ),
            );
        }
        if auth.anonymous.0 {
            return None;
        }
        self.step(
            StepRole::Decided,
            auth.anonymous.1,
            "anonymous authentication is disabled and the request carries no credentials",
        );
        Some(Decision::refused(
            401,
            Some(2),
            if challenge {
                "send credentials for the enabled authentication method, or enable anonymous \
                 authentication"
            } else {
                "no authentication method is enabled: enable anonymousAuthentication (or Basic / \
                 Windows authentication)"
            },
        ))
    }

    // ---- 6. IIS URL Authorization ------------------------------------

    fn url_authorization(&mut self, config: &Effective) -> Option<Decision> {
        // Deny rules first, then allow rules, each parent first.
        for wanted in [Action::Deny, Action::Allow] {
            for rule in config
                .url_authorization
                .iter()
                .filter(|r| r.action == wanted)
            {
                match self.subject_matches(&rule.subject) {
                    Ok(true) => {
                        if wanted == Action::Allow {
                            self.step(
                                StepRole::Evaluated,
                                rule.span,
                                "IIS URL Authorization: allow rule matches",
                            );
                            return None;
                        }
                        self.step(
                            StepRole::Decided,
                            rule.span,
                            "IIS URL Authorization: deny rule matches (deny rules are evaluated \
                             before allow rules, parent rules first)",
                        );
                        return Some(Decision::refused(
                            401,
                            None,
                            "an allow rule cannot override this deny: remove it at its level \
                             (<remove users=... roles=... verbs=.../>) or narrow its users/verbs",
                        ));
                    }
                    Ok(false) => self.step(
                        StepRole::Evaluated,
                        rule.span,
                        "IIS URL Authorization rule does not match",
                    ),
                    Err(reason) => {
                        self.step(StepRole::Evaluated, rule.span, "cannot evaluate");
                        return Some(Decision::Unknown(format!(
                            "IIS URL Authorization: {reason}"
                        )));
                    }
                }
            }
        }
        self.step(
            StepRole::Decided,
            config.url_authorization_section,
            "IIS URL Authorization: no allow rule matches, so access is denied",
        );
        Some(Decision::refused(
            401,
            None,
            "add <add accessType=\"Allow\" users=\"...\"/> for this user (the default \
             <add accessType=\"Allow\" users=\"*\"/> was removed or cleared)",
        ))
    }

    fn subject_matches(&self, subject: &Subject) -> Result<bool, String> {
        let user = self.user.as_deref();
        match subject {
            Subject::All => Ok(true),
            Subject::Anonymous => Ok(user.is_none()),
            Subject::User(names) => {
                Ok(user
                    .is_some_and(|user| names.iter().any(|name| name.eq_ignore_ascii_case(user))))
            }
            Subject::Group(roles) => {
                if user.is_none() {
                    Ok(false)
                } else {
                    Err(format!(
                        "membership of role(s) {} is not known",
                        roles.join(", ")
                    ))
                }
            }
            // Verbs are compared case-sensitively (the schema marks them
            // so), apart from the condition evaluation.
            Subject::Expr(condition) => eval(condition, &|name| {
                if name == AUTH_USER {
                    Ok(Some(user.unwrap_or("").to_string()))
                } else {
                    Err(format!("variable {name}"))
                }
            })
            .map(|holds| holds && self.verbs_hold(condition)),
            other => Err(format!("subject {other:?}")),
        }
    }

    fn verbs_hold(&self, condition: &Condition) -> bool {
        match condition {
            Condition::All(parts) => parts.iter().all(|part| self.verbs_hold(part)),
            Condition::Method(verbs) => verbs.contains(&self.request.method),
            _ => true,
        }
    }

    // ---- 7. ASP.NET URL Authorization --------------------------------

    fn aspnet_authorization(&mut self, config: &Effective) -> Option<Decision> {
        if config.aspnet_authorization.is_empty() {
            return None;
        }
        let managed = is_managed(&self.path);
        if !managed && !config.run_all_managed.0 {
            self.step(
                StepRole::Evaluated,
                config.aspnet_authorization.first().and_then(|r| r.span),
                "system.web/authorization applies to managed (ASP.NET) requests only; this one \
                 is not (runAllManagedModulesForAllRequests is off)",
            );
            return None;
        }
        let mut order: Vec<&AuthzRule> = config.aspnet_authorization.iter().collect();
        // Most local level first, document order within a level.
        order.sort_by_key(|rule| std::cmp::Reverse(rule.level));
        for rule in order {
            match self.subject_matches(&rule.subject) {
                Ok(true) => {
                    if rule.action == Action::Allow {
                        self.step(
                            StepRole::Evaluated,
                            rule.span,
                            "ASP.NET authorization: <allow> matches",
                        );
                        return None;
                    }
                    self.step(
                        StepRole::Decided,
                        rule.span,
                        "ASP.NET authorization: <deny> matches first (most local file first)",
                    );
                    let fix = "put an <allow> for this user before the <deny> (ASP.NET uses the \
                               first rule that matches, starting in the most local web.config)";
                    if let Some((login, span)) = &config.forms_login {
                        if self.user.is_none() {
                            self.step(
                                StepRole::Decided,
                                Some(*span),
                                format!("Forms authentication redirects to {login}"),
                            );
                            return Some(Decision::refused(302, None, fix));
                        }
                    }
                    return Some(Decision::refused(401, None, fix));
                }
                Ok(false) => self.step(
                    StepRole::Evaluated,
                    rule.span,
                    "ASP.NET rule does not match",
                ),
                Err(reason) => {
                    return Some(Decision::Unknown(format!(
                        "ASP.NET authorization: {reason}"
                    )))
                }
            }
        }
        self.step(
            StepRole::Default,
            None,
            "ASP.NET authorization: no rule matches; the root web.config's <allow users=\"*\"/> allows",
        );
        None
    }

    // ---- 8. Handler, default document, directory, file ----------------

    fn handler(&mut self, config: &Effective) -> Decision {
        let root = self.site_root();
        let relative = self.path.trim_start_matches('/').to_string();
        let physical = root.join(&relative);
        let view = self.options.fs.sees(&root);
        let kind = if view { self.kind_at(&physical) } else { None };
        let is_directory = match &kind {
            Some(FileKind::Directory) => true,
            Some(FileKind::Symlink { resolves_to, .. }) => {
                matches!(resolves_to.as_deref(), Some(FileKind::Directory))
            }
            Some(_) => false,
            None => self.path.ends_with('/'),
        };
        let unconditional = config.handlers.iter().find(|mapping| {
            mapping.matches(
                self.path.rsplit('/').next().unwrap_or(""),
                &self.request.method,
            )
        });
        if unconditional.is_some_and(|mapping| !mapping.needs_file && !mapping.is_static_file()) {
            let path = self.path.clone();
            if let Some(decision) = self.mapped_handler(config, &path) {
                return decision;
            }
        }
        if !view {
            self.step(
                StepRole::Default,
                None,
                format!(
                    "no view of the site's files ({}): assuming {} exists",
                    root.display(),
                    self.path
                ),
            );
        }
        if is_directory {
            let path = self.path.clone();
            if let Some(decision) = self.mapped_handler(config, &path) {
                return decision;
            }
            if !self.path.ends_with('/') {
                self.step(
                    StepRole::Filesystem,
                    None,
                    format!(
                        "{} is a directory: IIS redirects to {}/",
                        self.path, self.path
                    ),
                );
                return Decision::status(301, None);
            }
            return self.directory(config, &physical, view);
        }
        if view {
            match &kind {
                Some(FileKind::File) => {}
                Some(FileKind::Symlink { resolves_to, .. })
                    if matches!(resolves_to.as_deref(), Some(FileKind::File)) => {}
                _ => {
                    self.step(
                        StepRole::Filesystem,
                        None,
                        format!("{} does not exist under the site root", self.path),
                    );
                    return Decision::status(404, Some(0));
                }
            }
            self.step(
                StepRole::Filesystem,
                None,
                format!("{} is a file", physical.display()),
            );
        }
        let path = self.path.clone();
        self.file(config, &path)
    }

    fn directory(&mut self, config: &Effective, physical: &Path, view: bool) -> Decision {
        if config.default_document.0 && !config.default_documents.is_empty() {
            if !view {
                if config.browse.0 {
                    self.step(
                        StepRole::Decided,
                        config.browse.1,
                        "directory browsing is enabled",
                    );
                    return Decision::status(200, None);
                }
                return Decision::Unknown(format!(
                    "whether {} holds one of the default documents ({}) decides between the \
                     document and 403.14; lint403 has no view of the site's files",
                    self.path,
                    config
                        .default_documents
                        .iter()
                        .map(|(name, _)| name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            for (name, span) in &config.default_documents {
                let candidate = physical.join(name);
                if matches!(self.kind_at(&candidate), Some(FileKind::File)) {
                    self.step(
                        StepRole::Evaluated,
                        *span,
                        format!("default document {name} exists"),
                    );
                    let document = format!("{}{name}", self.path);
                    return self.file(config, &document);
                }
            }
            self.step(
                StepRole::Filesystem,
                None,
                format!("none of the default documents exists in {}", self.path),
            );
        } else {
            self.step(
                StepRole::Evaluated,
                config.default_document_span,
                "no default document applies (defaultDocument disabled or its list empty)",
            );
        }
        if config.browse.0 {
            self.step(
                StepRole::Decided,
                config.browse.1,
                "directory browsing is enabled",
            );
            return Decision::status(200, None);
        }
        self.step(
            StepRole::Decided,
            config.browse.1,
            "directory browsing is disabled and no default document was found",
        );
        Decision::refused(
            403,
            Some(14),
            "add a default document (e.g. index.html) to the folder or to defaultDocument/files, \
             or enable <directoryBrowse enabled=\"true\"/>",
        )
    }

    /// The handler mapping of the configuration that takes `path`, if
    /// one does and it is not the `StaticFile` handler.
    fn mapped_handler(&mut self, config: &Effective, path: &str) -> Option<Decision> {
        let file_name = path.rsplit('/').next().unwrap_or("");
        let method = self.request.method.clone();
        let mapping = config
            .handlers
            .iter()
            .find(|mapping| mapping.matches(file_name, &method));
        match mapping {
            Some(mapping) if mapping.is_static_file() => None,
            Some(mapping) => {
                self.step(
                    StepRole::Decided,
                    Some(mapping.span),
                    format!(
                        "handler '{}' ({}) takes {path}",
                        mapping.name, mapping.target
                    ),
                );
                Some(Decision::Unknown(format!(
                    "{path} is handled by '{}' ({}): the application behind it answers, not this \
                     configuration",
                    mapping.name, mapping.target
                )))
            }
            None if config.handlers_cleared.is_some() => {
                self.step(
                    StepRole::Decided,
                    config.handlers_cleared,
                    "<clear/> removed the server's handler mappings and none of this level's takes \
                     the request",
                );
                Some(Decision::refused(
                    404,
                    Some(4),
                    "add a handler mapping for these requests (e.g. the StaticFile handler) after <clear/>",
                ))
            }
            None => None,
        }
    }

    fn file(&mut self, config: &Effective, path: &str) -> Decision {
        if let Some(decision) = self.mapped_handler(config, path) {
            return decision;
        }
        let extension = extension_of(path);
        let policy = &config.access_policy;
        let has = |flag: &str| {
            policy
                .0
                .split(',')
                .any(|f| f.trim().eq_ignore_ascii_case(flag))
        };
        let category = handler_category(&extension);
        match category {
            Handler::Execute => {
                if !has("Execute") {
                    self.step(
                        StepRole::Decided,
                        policy.1,
                        "accessPolicy lacks Execute, which the CGI/ISAPI handler requires",
                    );
                    return Decision::refused(
                        403,
                        Some(1),
                        "add Execute to handlers accessPolicy (only where executables must run)",
                    );
                }
                Decision::Unknown(
                    "an executable (CGI/ISAPI) answers; isapiCgiRestriction is not modelled".into(),
                )
            }
            Handler::Managed | Handler::Script => {
                if !has("Script") {
                    self.step(StepRole::Evaluated, policy.1, "accessPolicy lacks Script");
                    return Decision::Unknown(
                        "accessPolicy lacks Script: the script handler is disabled and the answer \
                         depends on the other handler mappings"
                            .into(),
                    );
                }
                if category == Handler::Script {
                    return Decision::Unknown(format!(
                        "'{extension}' is served by a script handler (ASP, FastCGI) lint403 does \
                         not model"
                    ));
                }
                self.step(
                    StepRole::Decided,
                    None,
                    format!("{path} is handled by ASP.NET; the application's own answer is not in the configuration"),
                );
                Decision::status(200, None)
            }
            Handler::Static => {
                if !has("Read") {
                    self.step(
                        StepRole::Decided,
                        policy.1,
                        "accessPolicy lacks Read, which the StaticFile handler requires",
                    );
                    return Decision::refused(
                        403,
                        Some(2),
                        "add Read to <handlers accessPolicy=\"Read, Script\">",
                    );
                }
                self.step(
                    StepRole::Decided,
                    policy.1,
                    format!("the StaticFile handler serves {path}"),
                );
                Decision::status(200, None)
            }
        }
    }

    fn site_root(&self) -> PathBuf {
        self.model
            .site(self.site)
            .document_roots
            .first()
            .map(PathBuf::from)
            .unwrap_or_default()
    }

    /// What is at a deploy path, looked up ignoring case as on the file
    /// systems IIS runs on; `None` without a view.
    fn kind_at(&self, path: &Path) -> Option<FileKind> {
        let fs = &self.options.fs;
        let kind = fs.kind(path)?;
        if kind != FileKind::Missing {
            return Some(kind);
        }
        let local = fs.local(path)?;
        let Some(meta) = find_ignoring_case(&local).and_then(|found| std::fs::metadata(found).ok())
        else {
            return Some(FileKind::Missing);
        };
        Some(if meta.is_dir() {
            FileKind::Directory
        } else if meta.is_file() {
            FileKind::File
        } else {
            FileKind::Special
        })
    }
}

fn find_ignoring_case(path: &Path) -> Option<PathBuf> {
    let mut found = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::Normal(name) => {
                let exact = found.join(name);
                if exact.symlink_metadata().is_ok() {
                    found = exact;
                    continue;
                }
                let wanted = name.to_string_lossy().to_ascii_lowercase();
                let entry = std::fs::read_dir(if found.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    &found
                })
                .ok()?
                .filter_map(Result::ok)
                .find(|entry| entry.file_name().to_string_lossy().to_ascii_lowercase() == wanted)?;
                found.push(entry.file_name());
            }
            other => found.push(other.as_os_str()),
        }
    }
    Some(found)
}

fn action_text(status: u16, substatus: Option<u16>) -> String {
    match (status, substatus) {
        (0, _) => "action AbortRequest: the connection is dropped without a response".into(),
        (300..=399, _) => format!("action Redirect ({status})"),
        (status, Some(sub)) => format!("action CustomResponse {status}.{sub}"),
        (status, None) => format!("action CustomResponse {status}"),
    }
}

fn forwarded_for(request: &Request) -> Vec<IpAddr> {
    request
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("x-forwarded-for"))
        .flat_map(|(_, value)| value.split(','))
        .filter_map(|part| part.trim().parse().ok())
        .collect()
}

fn is_webdav(method: &str) -> bool {
    matches!(
        method,
        "PROPFIND" | "PROPPATCH" | "MKCOL" | "COPY" | "MOVE" | "LOCK" | "UNLOCK"
    )
}

/// Whether a URL path is still escaped after one decoding: a `%XX`
/// escape of a `%`, or a `+` (which a second decoding would turn into a
/// space).
fn double_escaped(raw: &str) -> bool {
    let once = normalize_path(raw, false).unwrap_or_default();
    if once.contains('+') {
        return true;
    }
    let bytes = once.as_bytes();
    bytes.windows(3).any(|w| {
        w[0] == b'%' && (w[1] as char).is_ascii_hexdigit() && (w[2] as char).is_ascii_hexdigit()
    })
}

/// The extension of the last segment, with its dot (`.png`); `.` for a
/// segment without one (IIS's key for extensionless URLs).
fn extension_of(path: &str) -> String {
    let last = path.rsplit('/').next().unwrap_or("");
    match last.rfind('.') {
        Some(at) if at + 1 < last.len() => last[at..].to_ascii_lowercase(),
        _ => ".".to_string(),
    }
}

fn has_segment(path: &str, segment: &str) -> bool {
    let wanted: Vec<&str> = segment.split('/').filter(|s| !s.is_empty()).collect();
    if wanted.is_empty() {
        return false;
    }
    let have: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    have.windows(wanted.len()).any(|window| {
        window
            .iter()
            .zip(&wanted)
            .all(|(a, b)| a.eq_ignore_ascii_case(b))
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handler {
    Static,
    Managed,
    Script,
    Execute,
}

/// The handler the default IIS 10 + ASP.NET 4.x mappings pick for an
/// extension.
fn handler_category(extension: &str) -> Handler {
    match extension.trim_start_matches('.') {
        "aspx" | "asmx" | "ashx" | "axd" | "svc" | "cshtml" | "vbhtml" | "rem" | "soap" => {
            Handler::Managed
        }
        "asp" | "php" | "cgi" | "pl" | "py" | "shtml" | "shtm" | "stm" | "idc" => Handler::Script,
        "exe" | "dll" => Handler::Execute,
        _ => Handler::Static,
    }
}

fn is_managed(path: &str) -> bool {
    handler_category(&extension_of(path)) == Handler::Managed
}

fn captures_of(pattern: &Pattern, text: &str) -> Result<Vec<String>, String> {
    match pattern.captures(text) {
        Some(Some(groups)) => Ok(groups.into_iter().map(Option::unwrap_or_default).collect()),
        Some(None) => Ok(Vec::new()),
        None => Err(format!("pattern '{}' cannot be evaluated", pattern.source)),
    }
}

/// A condition with variables looked up through `lookup` (`Err`: unknown).
fn eval(
    condition: &Condition,
    lookup: &dyn Fn(&str) -> Result<Option<String>, String>,
) -> Result<bool, String> {
    match condition {
        // Verbs are checked case-sensitively by the caller.
        Condition::Always | Condition::Method(_) => Ok(true),
        Condition::All(parts) => {
            let mut unknown = None;
            for part in parts {
                match eval(part, lookup) {
                    Ok(false) => return Ok(false),
                    Err(reason) => unknown = unknown.or(Some(reason)),
                    Ok(true) => {}
                }
            }
            unknown.map_or(Ok(true), Err)
        }
        Condition::Any(parts) => {
            let mut unknown = None;
            for part in parts {
                match eval(part, lookup) {
                    Ok(true) => return Ok(true),
                    Err(reason) => unknown = unknown.or(Some(reason)),
                    Ok(false) => {}
                }
            }
            unknown.map_or(Ok(false), Err)
        }
        Condition::Not(inner) => eval(inner, lookup).map(|holds| !holds),
        Condition::Var { name, test } => {
            let value = lookup(name)?;
            test.test(value.as_deref()).ok_or_else(|| match test {
                TextTest::Matches(pattern) => format!(
                    "pattern '{}' cannot be evaluated ({})",
                    pattern.source,
                    pattern.unsupported().unwrap_or("backtracking limit")
                ),
                _ => "a test lint403 cannot evaluate".to_string(),
            })
        }
        Condition::Unknown(what) => Err(what.clone()),
        other => Err(format!("condition {other:?} is not evaluated here")),
    }
}

// ---- The effective configuration of one URL ---------------------------

struct IpSecurity {
    allow_unlisted: (bool, Option<Span>),
    deny_action: (String, Option<Span>),
    proxy_mode: (bool, Option<Span>),
    entries: Vec<IpEntry>,
    /// A `<clear/>` under an inherited `allowUnlisted="false"`.
    refused_clear: Option<Span>,
}

struct IpEntry {
    action: Action,
    subject: Subject,
    span: Span,
}

struct AuthzRule {
    action: Action,
    subject: Subject,
    span: Option<Span>,
    level: usize,
}

struct Filtering {
    allow_double_escaping: (bool, Option<Span>),
    sequences: Vec<(String, Option<Span>)>,
    extensions: Vec<(String, bool, Option<Span>)>,
    extensions_unlisted: (bool, Option<Span>),
    extensions_webdav: bool,
    hidden: Vec<(String, Option<Span>)>,
    hidden_webdav: bool,
    verbs: Vec<(String, bool, Option<Span>)>,
    verbs_unlisted: (bool, Option<Span>),
    verbs_webdav: bool,
}

struct RewriteEntry<'m> {
    name: String,
    enabled: bool,
    stop: bool,
    scope: ScopeId,
    head: Span,
    action: &'m lint403_core::model::Rule,
}

struct HandlerMapping {
    name: String,
    path: String,
    verb: String,
    /// `modules`, `scriptProcessor` or `type`: what answers.
    target: String,
    /// `resourceType`: `Unspecified` (the default) takes the request
    /// whether or not a file exists.
    needs_file: bool,
    span: Span,
}

impl HandlerMapping {
    fn matches(&self, file_name: &str, method: &str) -> bool {
        let verb_ok =
            self.verb.trim() == "*" || self.verb.split(',').any(|verb| verb.trim() == method);
        verb_ok && glob_matches(&self.path, file_name)
    }

    fn is_static_file(&self) -> bool {
        self.target.contains("StaticFileModule") || self.name.eq_ignore_ascii_case("StaticFile")
    }
}

/// A handler `path`: `*`, `*.ext`, or a file name (ignoring case).
fn glob_matches(pattern: &str, file_name: &str) -> bool {
    let pattern = pattern.trim().to_ascii_lowercase();
    let name = file_name.to_ascii_lowercase();
    if pattern == "*" {
        return true;
    }
    match pattern.strip_prefix('*') {
        Some(suffix) => name.ends_with(suffix),
        None => name == pattern,
    }
}

#[derive(Clone, Copy)]
struct Authentication {
    anonymous: (bool, Option<Span>),
    basic: (bool, Option<Span>),
    windows: (bool, Option<Span>),
    digest: (bool, Option<Span>),
    forms: Option<Span>,
}

struct Effective<'m> {
    /// The IIS defaults were assumed (the traced file is a site's web.config).
    defaults: bool,
    ip: IpSecurity,
    filtering: Filtering,
    rewrite: Vec<RewriteEntry<'m>>,
    url_authorization: Vec<AuthzRule>,
    url_authorization_section: Option<Span>,
    aspnet_authorization: Vec<AuthzRule>,
    ssl: Option<(Vec<String>, Span)>,
    browse: (bool, Option<Span>),
    default_document: (bool, Option<Span>),
    default_document_span: Option<Span>,
    default_documents: Vec<(String, Option<Span>)>,
    access_policy: (String, Option<Span>),
    /// Handler mappings added in the configuration, in lookup order
    /// (a level's own mappings before the ones it inherits).
    handlers: Vec<HandlerMapping>,
    /// `<clear/>` removed the server's mappings (`StaticFile` included).
    handlers_cleared: Option<Span>,
    auth: Authentication,
    forms_login: Option<(String, Span)>,
    run_all_managed: (bool, Option<Span>),
    http_errors: Vec<(String, Option<Span>)>,
}

/// Request filtering defaults of the IIS 10 (+ ASP.NET 4.x) applicationHost.config.
const DEFAULT_HIDDEN_SEGMENTS: &[&str] = &[
    "web.config",
    "bin",
    "App_code",
    "App_GlobalResources",
    "App_LocalResources",
    "App_WebReferences",
    "App_Data",
    "App_Browsers",
];
const DEFAULT_DENIED_EXTENSIONS: &[&str] = &[
    ".asa",
    ".asax",
    ".ascx",
    ".master",
    ".skin",
    ".browser",
    ".sitemap",
    ".config",
    ".cs",
    ".csproj",
    ".vb",
    ".vbproj",
    ".webinfo",
    ".licx",
    ".resx",
    ".resources",
    ".mdb",
    ".vjsproj",
    ".java",
    ".jsl",
    ".ldb",
    ".dsdgm",
    ".ssdgm",
    ".lsad",
    ".ssmap",
    ".cd",
    ".dsprototype",
    ".lsaprototype",
    ".sdm",
    ".sdmDocument",
    ".mdf",
    ".ldf",
    ".ad",
    ".dd",
    ".ldd",
    ".sd",
    ".adprototype",
    ".lddprototype",
    ".exclude",
    ".refresh",
    ".compiled",
    ".msgx",
    ".vsdisco",
    ".rules",
];
const DEFAULT_DOCUMENTS: &[&str] = &[
    "Default.htm",
    "Default.asp",
    "index.htm",
    "index.html",
    "iisstart.htm",
    "default.aspx",
];

impl<'m> Effective<'m> {
    fn build(model: &'m Model, scopes: &[ScopeId]) -> Effective<'m> {
        let application_host = model.scopes.iter().any(|s| s.kind == ScopeKind::Global);
        let defaults = !application_host;
        let mut config = Effective {
            defaults,
            ip: IpSecurity {
                allow_unlisted: (true, None),
                deny_action: ("Forbidden".into(), None),
                proxy_mode: (false, None),
                entries: Vec::new(),
                refused_clear: None,
            },
            filtering: Filtering {
                allow_double_escaping: (false, None),
                sequences: Vec::new(),
                extensions: Vec::new(),
                extensions_unlisted: (true, None),
                extensions_webdav: true,
                hidden: Vec::new(),
                hidden_webdav: true,
                verbs: Vec::new(),
                verbs_unlisted: (true, None),
                verbs_webdav: true,
            },
            rewrite: Vec::new(),
            url_authorization: Vec::new(),
            url_authorization_section: None,
            aspnet_authorization: Vec::new(),
            ssl: None,
            browse: (false, None),
            default_document: (true, None),
            default_document_span: None,
            default_documents: Vec::new(),
            access_policy: ("Read".into(), None),
            auth: Authentication {
                anonymous: (true, None),
                basic: (false, None),
                windows: (false, None),
                digest: (false, None),
                forms: None,
            },
            forms_login: None,
            handlers: Vec::new(),
            handlers_cleared: None,
            run_all_managed: (false, None),
            http_errors: Vec::new(),
        };
        if defaults {
            config.url_authorization.push(AuthzRule {
                action: Action::Allow,
                subject: Subject::All,
                span: None,
                level: 0,
            });
            config.filtering.hidden = DEFAULT_HIDDEN_SEGMENTS
                .iter()
                .map(|s| ((*s).to_string(), None))
                .collect();
            config.filtering.extensions = DEFAULT_DENIED_EXTENSIONS
                .iter()
                .map(|s| ((*s).to_string(), false, None))
                .collect();
            config.default_documents = DEFAULT_DOCUMENTS
                .iter()
                .map(|s| ((*s).to_string(), None))
                .collect();
            config.access_policy = ("Read, Script".into(), None);
        }
        for (level, &scope) in scopes.iter().enumerate() {
            config.apply(model, scope, level + 1);
        }
        config
    }

    fn apply(&mut self, model: &'m Model, scope: ScopeId, level: usize) {
        let rules = &model.scope(scope).rules;
        let mut section = "";
        let mut collection = String::new();
        let mut pending_rule: Option<(&'m lint403_core::model::Rule, &'m [String])> = None;
        let mut level_documents: Vec<(String, Option<Span>)> = Vec::new();
        let mut level_handlers: Vec<HandlerMapping> = Vec::new();
        let mut documents_cleared = false;
        for rule in rules {
            let span = rule.span;
            if let RuleKind::Setting { name, args } = &rule.kind {
                if name == SECTION {
                    section = args.first().map_or("", String::as_str);
                    collection.clear();
                    self.section_header(section, args.get(1..).unwrap_or_default(), span);
                    continue;
                }
            }
            match (section, &rule.kind) {
                (
                    IP_SECURITY,
                    RuleKind::Access {
                        action, subject, ..
                    },
                ) => {
                    self.ip.entries.push(IpEntry {
                        action: *action,
                        subject: subject.clone(),
                        span,
                    });
                }
                (IP_SECURITY, RuleKind::Setting { name, args }) => match name.as_ref() {
                    "clear" => {
                        if !self.ip.allow_unlisted.0 {
                            // IPS: with allowUnlisted="false" in a parent,
                            // <clear> cannot be used in a child.
                            self.ip.refused_clear = Some(span);
                        }
                        self.ip.entries.clear();
                    }
                    "remove" => {
                        let key = crate::lower::ip_subject(
                            arg(args, "ipAddress"),
                            arg(args, "subnetMask"),
                            arg(args, "domainName"),
                        );
                        self.ip.entries.retain(|entry| entry.subject != key);
                    }
                    _ => {}
                },
                (
                    URL_AUTHORIZATION,
                    RuleKind::Access {
                        action, subject, ..
                    },
                ) => {
                    self.url_authorization.push(AuthzRule {
                        action: *action,
                        subject: subject.clone(),
                        span: Some(span),
                        level,
                    });
                }
                (URL_AUTHORIZATION, RuleKind::Setting { name, args }) => match name.as_ref() {
                    "clear" => self.url_authorization.clear(),
                    "remove" => {
                        let key = crate::lower::authorization_subject(
                            arg(args, "users"),
                            arg(args, "roles"),
                            arg(args, "verbs"),
                        );
                        self.url_authorization.retain(|rule| rule.subject != key);
                    }
                    _ => {}
                },
                (
                    ASPNET_AUTHORIZATION,
                    RuleKind::Access {
                        action, subject, ..
                    },
                ) => {
                    self.aspnet_authorization.push(AuthzRule {
                        action: *action,
                        subject: subject.clone(),
                        span: Some(span),
                        level,
                    });
                }
                (REQUEST_FILTERING, RuleKind::Setting { name, args }) => {
                    self.filtering_setting(&mut collection, name, args, span);
                }
                (REWRITE_RULES, RuleKind::Setting { name, args }) => match name.as_ref() {
                    "rule" => pending_rule = Some((rule, args.as_slice())),
                    "clear" => self.rewrite.clear(),
                    "remove" => {
                        let removed = arg(args, "name").unwrap_or("");
                        self.rewrite.retain(|entry| entry.name != removed);
                    }
                    _ => {}
                },
                (REWRITE_RULES, RuleKind::Respond { .. } | RuleKind::Rewrite { .. }) => {
                    if let Some((head, args)) = pending_rule.take() {
                        self.rewrite.push(RewriteEntry {
                            name: arg(args, "name").unwrap_or("").to_string(),
                            enabled: arg(args, "enabled").is_none_or(is_true),
                            stop: arg(args, "stopProcessing").is_some_and(is_true),
                            scope,
                            head: head.span,
                            action: rule,
                        });
                    }
                }
                (
                    DIRECTORY_BROWSE,
                    RuleKind::Listing {
                        autoindex: Some(on),
                        ..
                    },
                ) => {
                    self.browse = (*on, Some(span));
                }
                (HANDLERS, RuleKind::Setting { name, args }) => match name.as_ref() {
                    "add" => level_handlers.push(HandlerMapping {
                        name: arg(args, "name").unwrap_or("").to_string(),
                        path: arg(args, "path").unwrap_or("*").to_string(),
                        verb: arg(args, "verb").unwrap_or("*").to_string(),
                        target: ["modules", "scriptProcessor", "type"]
                            .iter()
                            .filter_map(|key| arg(args, key))
                            .collect::<Vec<_>>()
                            .join(" "),
                        needs_file: arg(args, "resourceType")
                            .is_some_and(|kind| !kind.trim().eq_ignore_ascii_case("Unspecified")),
                        span,
                    }),
                    "remove" => {
                        let removed = arg(args, "name").unwrap_or("");
                        self.handlers
                            .retain(|h| !h.name.eq_ignore_ascii_case(removed));
                        level_handlers.retain(|h| !h.name.eq_ignore_ascii_case(removed));
                    }
                    "clear" => {
                        self.handlers.clear();
                        level_handlers.clear();
                        self.handlers_cleared = Some(span);
                    }
                    _ => {}
                },
                (DEFAULT_DOCUMENT, RuleKind::Setting { name, args }) => match name.as_ref() {
                    "add" => {
                        if let Some(value) = arg(args, "value") {
                            level_documents.push((value.to_string(), Some(span)));
                        }
                    }
                    "remove" => {
                        let removed = arg(args, "value").unwrap_or("");
                        self.default_documents
                            .retain(|(name, _)| !name.eq_ignore_ascii_case(removed));
                        level_documents.retain(|(name, _)| !name.eq_ignore_ascii_case(removed));
                    }
                    "clear" => {
                        self.default_documents.clear();
                        level_documents.clear();
                        documents_cleared = true;
                    }
                    _ => {}
                },
                (AUTHENTICATION, RuleKind::Auth { kind, enabled, .. }) => {
                    use lint403_core::model::AuthKind;
                    let slot = match kind {
                        AuthKind::Anonymous => &mut self.auth.anonymous,
                        AuthKind::Basic => &mut self.auth.basic,
                        AuthKind::Windows => &mut self.auth.windows,
                        AuthKind::Digest => &mut self.auth.digest,
                        _ => continue,
                    };
                    *slot = (*enabled, Some(span));
                }
                (ASPNET_AUTHENTICATION, RuleKind::Setting { name, args })
                    if name == "forms" && self.auth.forms.is_some() =>
                {
                    let login = arg(args, "loginUrl").unwrap_or("login.aspx").to_string();
                    self.forms_login = Some((login, span));
                }
                (HTTP_ERRORS, RuleKind::Setting { name, args })
                    if (name == "error" || name == "add")
                        && arg(args, "statusCode") == Some("403") =>
                {
                    self.http_errors.push((
                        format!(
                            "httpErrors: a custom page for 403 ({}) is shown instead of IIS's own",
                            arg(args, "path").unwrap_or("")
                        ),
                        Some(span),
                    ));
                }
                _ => {}
            }
        }
        if !level_handlers.is_empty() {
            // handlers is mergeAppend="false" too.
            level_handlers.extend(std::mem::take(&mut self.handlers));
            self.handlers = level_handlers;
        }
        if documents_cleared || !level_documents.is_empty() {
            // defaultDocument/files is mergeAppend="false": a level's own
            // entries come before the ones it inherits.
            level_documents.extend(std::mem::take(&mut self.default_documents));
            self.default_documents = level_documents;
        }
    }

    fn section_header(&mut self, section: &str, args: &[String], span: Span) {
        let flag = |key: &str| arg(args, key).map(is_true);
        match section {
            IP_SECURITY => {
                if let Some(on) = flag("allowUnlisted") {
                    self.ip.allow_unlisted = (on, Some(span));
                }
                if let Some(action) = arg(args, "denyAction") {
                    self.ip.deny_action = (action.trim().to_string(), Some(span));
                }
                if let Some(on) = flag("enableProxyMode") {
                    self.ip.proxy_mode = (on, Some(span));
                }
            }
            URL_AUTHORIZATION => self.url_authorization_section = Some(span),
            REQUEST_FILTERING => {
                if let Some(on) = flag("allowDoubleEscaping") {
                    self.filtering.allow_double_escaping = (on, Some(span));
                }
            }
            ACCESS => {
                if let Some(flags) = arg(args, "sslFlags") {
                    self.ssl = Some((ssl_flags(flags), span));
                }
            }
            DEFAULT_DOCUMENT => {
                self.default_document_span = Some(span);
                if let Some(on) = flag("enabled") {
                    self.default_document = (on, Some(span));
                }
            }
            HANDLERS => {
                if let Some(policy) = arg(args, "accessPolicy") {
                    self.access_policy = (policy.to_string(), Some(span));
                }
            }
            ASPNET_AUTHENTICATION => {
                if let Some(mode) = arg(args, "mode") {
                    self.auth.forms = mode.trim().eq_ignore_ascii_case("Forms").then_some(span);
                    if self.auth.forms.is_some() && self.forms_login.is_none() {
                        self.forms_login = Some(("login.aspx".into(), span));
                    } else if self.auth.forms.is_none() {
                        self.forms_login = None;
                    }
                }
            }
            MODULES => {
                if let Some(on) = flag("runAllManagedModulesForAllRequests") {
                    self.run_all_managed = (on, Some(span));
                }
            }
            _ => {}
        }
    }

    fn filtering_setting(
        &mut self,
        collection: &mut String,
        name: &str,
        args: &[String],
        span: Span,
    ) {
        let filtering = &mut self.filtering;
        let op = name;
        match op {
            "add" | "remove" | "clear" => {}
            other => {
                // A collection element with its own attributes.
                *collection = other.to_string();
                let flag = |key: &str| arg(args, key).map(is_true);
                match other {
                    "fileExtensions" => {
                        if let Some(on) = flag("allowUnlisted") {
                            filtering.extensions_unlisted = (on, Some(span));
                        }
                        if let Some(on) = flag("applyToWebDAV") {
                            filtering.extensions_webdav = on;
                        }
                    }
                    "verbs" => {
                        if let Some(on) = flag("allowUnlisted") {
                            filtering.verbs_unlisted = (on, Some(span));
                        }
                        if let Some(on) = flag("applyToWebDAV") {
                            filtering.verbs_webdav = on;
                        }
                    }
                    "hiddenSegments" => {
                        if let Some(on) = flag("applyToWebDAV") {
                            filtering.hidden_webdav = on;
                        }
                    }
                    _ => {}
                }
                return;
            }
        }
        let target = args.first().map_or("", String::as_str);
        let entry_key = |key: &str| arg(args, key).unwrap_or("").to_string();
        match (target, op) {
            ("hiddenSegments", "add") => filtering.hidden.push((entry_key("segment"), Some(span))),
            ("hiddenSegments", "remove") => {
                let removed = entry_key("segment");
                filtering
                    .hidden
                    .retain(|(s, _)| !s.eq_ignore_ascii_case(&removed));
            }
            ("hiddenSegments", "clear") => filtering.hidden.clear(),
            ("fileExtensions", "add") => {
                let allowed = arg(args, "allowed").is_none_or(is_true);
                let ext = entry_key("fileExtension");
                filtering
                    .extensions
                    .retain(|(e, _, _)| !e.eq_ignore_ascii_case(&ext));
                filtering.extensions.push((ext, allowed, Some(span)));
            }
            ("fileExtensions", "remove") => {
                let removed = entry_key("fileExtension");
                filtering
                    .extensions
                    .retain(|(e, _, _)| !e.eq_ignore_ascii_case(&removed));
            }
            ("fileExtensions", "clear") => filtering.extensions.clear(),
            ("denyUrlSequences", "add") => {
                filtering
                    .sequences
                    .push((entry_key("sequence"), Some(span)));
            }
            ("denyUrlSequences", "remove") => {
                let removed = entry_key("sequence");
                filtering.sequences.retain(|(s, _)| *s != removed);
            }
            ("denyUrlSequences", "clear") => filtering.sequences.clear(),
            ("verbs", "add") => {
                let allowed = arg(args, "allowed").is_none_or(is_true);
                let verb = entry_key("verb");
                filtering.verbs.retain(|(v, _, _)| *v != verb);
                filtering.verbs.push((verb, allowed, Some(span)));
            }
            ("verbs", "remove") => {
                let removed = entry_key("verb");
                filtering.verbs.retain(|(v, _, _)| *v != removed);
            }
            ("verbs", "clear") => filtering.verbs.clear(),
            _ => {}
        }
        let _ = collection;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_and_segments() {
        assert_eq!(extension_of("/a/b.PNG"), ".png");
        assert_eq!(extension_of("/a/b"), ".");
        assert_eq!(extension_of("/a/"), ".");
        assert!(has_segment("/App_Data/x.mdf", "app_data"));
        assert!(!has_segment("/App_Data2/x", "App_Data"));
        assert!(has_segment("/a/b/c", "b/c"));
    }

    #[test]
    fn double_escapes() {
        assert!(double_escaped("/a%252e"));
        assert!(double_escaped("/a+b"));
        assert!(!double_escaped("/a%20b"));
    }
}
