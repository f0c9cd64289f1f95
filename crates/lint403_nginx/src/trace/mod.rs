//! One request through a lowered nginx configuration, phase by phase as
//! nginx runs it: server selection, URI normalization, the server rewrite
//! phase, location lookup, the location rewrite phase (`rewrite ... last`
//! re-selecting, at most 10 URI changes), access (`allow`/`deny`,
//! `auth_basic`, `satisfy`), `try_files`, content (`index`, `autoindex`,
//! static files), and `error_page` on the way out.
//!
//! The filesystem is read through [`TraceOptions::fs`]; without a view of
//! the document root every target is assumed to be an existing file, and a
//! step says so.

mod des_crypt;
mod htpasswd;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use lint403_core::model::{
    first_match, Action, AuthKind, Condition, FileTest, Matcher, RuleKind, Satisfy, ScopeId,
    ScopeKind, SiteId, TextTest,
};
use lint403_core::{Model, Outcome, Request, Span, Step, StepRole, TraceOptions, Verdict};

use crate::lower::{CONTENT_HANDLERS, OPAQUE_ACCESS};
use crate::select::{find_location, merge_slashes, named_location, normalize_uri, select_server};

/// nginx allows this many URI changes (rewrites and internal redirects)
/// per request; the next one is answered with 500.
const MAX_URI_CHANGES: u32 = 10;

/// Where relative `root` paths resolve: Debian's compiled-in prefix.
const NGINX_PREFIX: &str = "/usr/share/nginx";

/// The status nginx gives `request` under `model`, with the chain of lines
/// that decide it.
pub fn trace(model: &Model, request: &Request, options: &TraceOptions) -> Verdict {
    let Some(chosen) = select_server(model, request) else {
        return Verdict::unknown("the configuration has no server block", Vec::new());
    };
    let site = chosen.site;
    let server = model.site(site).root;
    let chosen_captures = (chosen.captures, chosen.capture_names);
    let mut tracer = Tracer {
        model,
        request,
        options,
        steps: chosen.steps,
        site,
        default_site: chosen.default,
        server,
        uri: String::new(),
        args: request.query.clone(),
        method: request.method.to_ascii_uppercase(),
        client: request.client_ip,
        realip_done: false,
        captures: Vec::new(),
        vars: HashMap::new(),
        uri_changes: MAX_URI_CHANGES + 1,
        internal: false,
        err_status: None,
        error_page_used: false,
        conf: server,
        location: server,
        fix: None,
        uri_changed: false,
        evaluating: Vec::new(),
        no_view_noted: false,
        add_uri_to_alias: false,
    };
    let captures = chosen_captures;
    tracer.set_captures(captures.0, &captures.1);
    tracer.run()
}

#[allow(clippy::struct_excessive_bools)] // nginx's own request flags
struct Tracer<'a> {
    model: &'a Model,
    request: &'a Request,
    options: &'a TraceOptions,
    steps: Vec<Step>,
    site: SiteId,
    default_site: SiteId,
    server: ScopeId,
    uri: String,
    args: Option<String>,
    method: String,
    /// The client address as the access module sees it (after realip).
    client: IpAddr,
    /// realip has run (it runs once per request).
    realip_done: bool,
    captures: Vec<Option<String>>,
    vars: HashMap<String, String>,
    uri_changes: u32,
    internal: bool,
    /// `r->err_status`: the status an error page answers with.
    err_status: Option<u16>,
    error_page_used: bool,
    /// The configuration in effect (a location, an `if`, a `limit_except`).
    conf: ScopeId,
    location: ScopeId,
    fix: Option<String>,
    uri_changed: bool,
    /// Variables being computed (a `map` that reads itself).
    evaluating: Vec<String>,
    no_view_noted: bool,
    /// `try_files` matched under a regex `alias`: the URI is appended.
    add_uri_to_alias: bool,
}

/// A response as the phase that produced it hands it over.
#[derive(Debug, Clone, Copy)]
struct Response {
    status: u16,
    /// Sent through nginx's special-response path (errors and redirects),
    /// where `error_page` applies; a body-carrying response is not.
    special: bool,
    span: Option<Span>,
}

/// How the rewrite directives of one scope ended.
enum Flow {
    Continue,
    /// `break`, or `rewrite ... break`: stop rewriting, stay here.
    Break,
    /// `rewrite ... last`: look the location up again.
    Last,
    Respond(Response),
    Unknown(String),
}

/// Where the request goes next.
enum Next {
    ServerRewrite,
    FindConfig,
    /// A named location: its rewrite phase, no lookup.
    LocationRewrite,
    Finish(Response),
    Unknown(String),
}

impl Tracer<'_> {
    fn step(&mut self, role: StepRole, span: Option<Span>, text: impl Into<String>) {
        self.steps.push(Step::new(role, span, text));
    }

    fn run(&mut self) -> Verdict {
        let merge = merge_slashes(self.model, self.model.site(self.default_site).root);
        let Some(uri) = normalize_uri(self.request.path(), merge) else {
            self.step(
                StepRole::Default,
                None,
                format!(
                    "the URI {} climbs above the root or holds a NUL: nginx answers 400",
                    self.request.path()
                ),
            );
            return self.verdict(400, None);
        };
        if uri != self.request.path() {
            self.step(
                StepRole::Default,
                None,
                format!("the URI is normalized to {uri} before any location is chosen"),
            );
        }
        self.uri = uri;
        if self.method == "TRACE" {
            self.step(
                StepRole::Default,
                None,
                "nginx refuses TRACE with 405 before any configuration runs",
            );
            return self.verdict(405, None);
        }
        let mut next = Next::ServerRewrite;
        // Every loop either ends or uses up one of the bounded URI changes
        // (or the single error page), so this always terminates; the cap is
        // a second guard.
        for _ in 0..64 {
            next = match next {
                Next::ServerRewrite => self.server_rewrite(),
                Next::FindConfig => self.find_config(),
                Next::LocationRewrite => self.location_phases(),
                Next::Finish(response) => match self.finish(response) {
                    Ok(verdict) => return verdict,
                    Err(next) => next,
                },
                Next::Unknown(reason) => return self.unknown_verdict(reason),
            };
        }
        self.unknown_verdict("the trace did not end (lint403's own limit)".into())
    }

    /// A regex matched: `$1`… are its groups, and each named group
    /// becomes a variable.
    fn set_captures(&mut self, groups: Vec<Option<String>>, names: &[Option<String>]) {
        for (name, value) in names.iter().zip(&groups) {
            if let Some(name) = name {
                self.vars
                    .insert(name.clone(), value.clone().unwrap_or_default());
            }
        }
        self.captures = groups;
    }

    fn unknown_verdict(&mut self, reason: String) -> Verdict {
        let steps = std::mem::take(&mut self.steps);
        Verdict::unknown(reason, steps)
    }

    fn verdict(&mut self, status: u16, span: Option<Span>) -> Verdict {
        let steps = std::mem::take(&mut self.steps);
        let mut verdict = Verdict::status(status, steps);
        if let Some(span) = span {
            if !verdict.decided_by.contains(&span) {
                verdict.decided_by.insert(0, span);
            }
        }
        if status == 444 {
            verdict.outcome = Outcome::Other;
        }
        verdict.fix = self.fix.take();
        verdict
    }

    fn server_rewrite(&mut self) -> Next {
        self.conf = self.server;
        if let Err(reason) = self.opaque() {
            return Next::Unknown(reason);
        }
        // POST_READ: realip with the server's configuration.
        if !self.realip_done && self.realip_configured() {
            self.realip();
        }
        match self.run_rules(self.server) {
            Flow::Respond(response) => Next::Finish(response),
            Flow::Unknown(reason) => Next::Unknown(reason),
            Flow::Continue | Flow::Break | Flow::Last => {
                self.uri_changed = false;
                Next::FindConfig
            }
        }
    }

    fn find_config(&mut self) -> Next {
        let found = find_location(self.model, self.server, &self.uri);
        if let Some(reason) = found.unknown {
            return Next::Unknown(reason);
        }
        self.location = found.scope;
        if !found.captures.is_empty() {
            self.set_captures(found.captures, &found.capture_names);
        }
        let head = self.model.scope(found.scope).head;
        if found.scope == self.server {
            self.step(
                StepRole::Scope,
                Some(head),
                format!(
                    "no location matches {}: the server's own configuration serves it",
                    self.uri
                ),
            );
        } else {
            let text = format!(
                "{} is served by {}",
                self.uri,
                describe_scope(self.model, found.scope)
            );
            self.step(StepRole::Scope, Some(head), text);
        }
        if found.auto_redirect {
            self.step(
                StepRole::Decided,
                Some(head),
                format!(
                    "{} lacks the location's trailing slash: nginx redirects (301) to {}/",
                    self.uri, self.uri
                ),
            );
            return Next::Finish(Response {
                status: 301,
                special: true,
                span: Some(head),
            });
        }
        if !self.internal {
            if let Some((rule, _)) = self.model.scope(found.scope).setting("internal") {
                let span = rule.span;
                self.step(
                    StepRole::Decided,
                    Some(span),
                    "the location is `internal`: an outside request gets 404",
                );
                return Next::Finish(Response {
                    status: 404,
                    special: true,
                    span: Some(span),
                });
            }
        }
        self.enter_location(found.scope);
        Next::LocationRewrite
    }

    /// The configuration for the request in `location`: the location's
    /// own, or its `limit_except` block's when the method is not exempt.
    fn enter_location(&mut self, location: ScopeId) {
        self.add_uri_to_alias = false;
        self.location = location;
        self.conf = location;
        let limit = self
            .model
            .scope(location)
            .children
            .iter()
            .copied()
            .find(|&child| self.model.scope(child).kind == ScopeKind::LimitExcept);
        if let Some(limit) = limit {
            if let Matcher::Methods { methods, .. } = &self.model.scope(limit).matcher {
                let exempt = methods.iter().any(|method| {
                    method == &self.method || (method == "GET" && self.method == "HEAD")
                });
                let head = self.model.scope(limit).head;
                if exempt {
                    self.step(
                        StepRole::Evaluated,
                        Some(head),
                        format!("{} is exempt from limit_except", self.method),
                    );
                } else {
                    self.step(
                        StepRole::Scope,
                        Some(head),
                        format!(
                            "{} is not listed in limit_except: the block's configuration applies",
                            self.method
                        ),
                    );
                    self.conf = limit;
                }
            }
        }
    }

    /// The location rewrite phase and everything after it.
    fn location_phases(&mut self) -> Next {
        self.uri_changed = false;
        if let Err(reason) = self.opaque() {
            return Next::Unknown(reason);
        }
        let flow = self.run_rules(self.conf);
        match flow {
            Flow::Respond(response) => return Next::Finish(response),
            Flow::Unknown(reason) => return Next::Unknown(reason),
            Flow::Last => return self.uri_change(),
            Flow::Continue if self.uri_changed => return self.uri_change(),
            Flow::Continue | Flow::Break => {}
        }
        // PREACCESS: realip with the location's configuration, unless it
        // already ran.
        if !self.realip_done && self.realip_configured() {
            self.realip();
        }
        if let Some(response) = self.access() {
            return match response {
                Ok(response) => Next::Finish(response),
                Err(reason) => Next::Unknown(reason),
            };
        }
        if let Some(next) = self.try_files() {
            return next;
        }
        self.content()
    }

    /// One URI change (a rewrite or an internal redirect): nginx counts
    /// them and stops with 500 after ten.
    fn uri_change(&mut self) -> Next {
        self.uri_changes = self.uri_changes.saturating_sub(1);
        if self.uri_changes == 0 {
            self.step(
                StepRole::Decided,
                None,
                "rewrite or internal redirection cycle: nginx stops after 10 URI changes with 500",
            );
            return Next::Finish(Response {
                status: 500,
                special: true,
                span: None,
            });
        }
        self.internal = true;
        Next::FindConfig
    }

    fn internal_redirect(&mut self, target: &str, span: Option<Span>) -> Next {
        let (path, args) = match target.split_once('?') {
            Some((path, args)) => (path.to_string(), Some(args.to_string())),
            None => (target.to_string(), self.args.clone()),
        };
        self.step(
            StepRole::Evaluated,
            span,
            format!("internal redirect to {target}"),
        );
        self.uri = path;
        self.args = args;
        self.uri_changes = self.uri_changes.saturating_sub(1);
        if self.uri_changes == 0 {
            self.step(
                StepRole::Decided,
                span,
                "rewrite or internal redirection cycle: nginx stops after 10 URI changes with 500",
            );
            return Next::Finish(Response {
                status: 500,
                special: true,
                span,
            });
        }
        self.internal = true;
        Next::ServerRewrite
    }

    fn named_redirect(&mut self, name: &str, span: Option<Span>) -> Next {
        let Some(location) = named_location(self.model, self.server, name) else {
            self.step(StepRole::Decided, span, format!("no location {name}: 500"));
            return Next::Finish(Response {
                status: 500,
                special: true,
                span,
            });
        };
        self.uri_changes = self.uri_changes.saturating_sub(1);
        if self.uri_changes == 0 {
            return Next::Finish(Response {
                status: 500,
                special: true,
                span,
            });
        }
        self.internal = true;
        let head = self.model.scope(location).head;
        self.step(
            StepRole::Scope,
            Some(head),
            format!("the request goes on in {name}"),
        );
        self.enter_location(location);
        Next::LocationRewrite
    }

    /// The rewrite-module directives of `scope` (and of the `if` blocks
    /// whose condition holds), in order.
    fn run_rules(&mut self, scope: ScopeId) -> Flow {
        let model = self.model;
        let mut return_text: Option<&str> = None;
        for rule in &model.scope(scope).rules {
            match &rule.kind {
                RuleKind::Setting { name, args } if name == "if" => {
                    let Some(child) = args.first().and_then(|id| id.parse().ok()).map(ScopeId)
                    else {
                        continue;
                    };
                    if child.0 >= model.scopes.len() {
                        continue;
                    }
                    let Matcher::If(condition) = &model.scope(child).matcher else {
                        continue;
                    };
                    match self.condition(condition) {
                        Err(reason) => return Flow::Unknown(reason),
                        Ok(false) => {
                            self.step(
                                StepRole::Evaluated,
                                Some(rule.span),
                                "the if condition is false",
                            );
                        }
                        Ok(true) => {
                            self.step(
                                StepRole::Evaluated,
                                Some(rule.span),
                                "the if condition is true",
                            );
                            self.conf = child;
                            match self.run_rules(child) {
                                Flow::Continue => {}
                                other => return other,
                            }
                        }
                    }
                }
                RuleKind::Setting { name, args } if name == "return-text" => {
                    return_text = args.first().map(String::as_str);
                }
                RuleKind::Setting { name, .. } if name == "break" => {
                    self.step(
                        StepRole::Evaluated,
                        Some(rule.span),
                        "break: no more rewrite directives",
                    );
                    return Flow::Break;
                }
                RuleKind::Respond { status, .. } => {
                    let status = *status;
                    let text = return_text.take();
                    let special = match status {
                        301..=303 | 307 | 308 => true,
                        _ => status >= 400 && text.is_none(),
                    };
                    let message = if status == 444 {
                        "return 444: nginx closes the connection without answering".to_string()
                    } else {
                        format!("return {status}")
                    };
                    // A refusal under `if ($invalid_referer)`: the
                    // valid_referers line decides with it.
                    let referer_if = matches!(
                        &model.scope(scope).matcher,
                        Matcher::If(condition) if mentions(condition, "invalid_referer")
                    );
                    if referer_if {
                        if let Some(step) = self
                            .steps
                            .iter_mut()
                            .rev()
                            .find(|step| step.text.contains("$invalid_referer"))
                        {
                            step.role = StepRole::Decided;
                        }
                    }
                    self.step(StepRole::Decided, Some(rule.span), message);
                    if status == 403 && !(referer_if && self.fix.is_some()) {
                        self.fix = Some(format!(
                            "this `return 403` in {} refuses the request; narrow the condition or \
                             the location around it",
                            describe_scope(model, scope)
                        ));
                    }
                    return Flow::Respond(Response {
                        status,
                        special,
                        span: Some(rule.span),
                    });
                }
                RuleKind::Rewrite {
                    pattern,
                    target,
                    flags,
                    ..
                } => {
                    let groups = match pattern.captures(&self.uri) {
                        None => {
                            return Flow::Unknown(format!(
                                "rewrite {}: lint403 cannot run this regex",
                                pattern.source
                            ))
                        }
                        Some(None) => {
                            self.step(
                                StepRole::Evaluated,
                                Some(rule.span),
                                format!("rewrite {} does not match {}", pattern.source, self.uri),
                            );
                            continue;
                        }
                        Some(Some(groups)) => groups,
                    };
                    self.set_captures(groups, &pattern.capture_names());
                    let expanded = match self.expand(target) {
                        Ok(text) => text,
                        Err(reason) => return Flow::Unknown(reason),
                    };
                    let flag = flags.first().map_or("", String::as_str);
                    let external = ["http://", "https://", "$scheme"]
                        .iter()
                        .any(|scheme| target.starts_with(scheme));
                    if external || flag == "redirect" || flag == "permanent" {
                        let status = if flag == "permanent" { 301 } else { 302 };
                        self.step(
                            StepRole::Decided,
                            Some(rule.span),
                            format!("rewrite redirects ({status}) to {expanded}"),
                        );
                        return Flow::Respond(Response {
                            status,
                            special: true,
                            span: Some(rule.span),
                        });
                    }
                    // New arguments come first and the old ones follow,
                    // unless the replacement ends with `?`.
                    let (path, args) = match expanded.split_once('?') {
                        Some((path, rest)) => {
                            let drop_old = expanded.ends_with('?');
                            let new_args = rest.strip_suffix('?').unwrap_or(rest);
                            let args = match (&self.args, drop_old, new_args.is_empty()) {
                                (Some(old), false, false) => Some(format!("{new_args}&{old}")),
                                (old, false, true) => old.clone(),
                                (_, _, false) => Some(new_args.to_string()),
                                (_, true, true) => None,
                            };
                            (path.to_string(), args)
                        }
                        None => (expanded.clone(), self.args.clone()),
                    };
                    self.step(
                        StepRole::Evaluated,
                        Some(rule.span),
                        format!("rewrite changes the URI to {path}"),
                    );
                    self.uri = path;
                    self.args = args;
                    self.uri_changed = true;
                    match flag {
                        "last" => return Flow::Last,
                        "break" => {
                            self.uri_changed = false;
                            return Flow::Break;
                        }
                        _ => {}
                    }
                }
                RuleKind::SetVar { name, value, .. } => match self.expand(value) {
                    Ok(value) => {
                        self.vars.insert(name.clone(), value);
                    }
                    Err(reason) => return Flow::Unknown(reason),
                },
                _ => {}
            }
        }
        Flow::Continue
    }

    /// The nearest scope from the configuration in effect outwards whose
    /// rules satisfy `has`.
    fn effective(&self, has: impl Fn(&RuleKind) -> bool) -> Option<ScopeId> {
        self.model.ancestry(self.conf).find(|&scope| {
            self.model
                .scope(scope)
                .rules
                .iter()
                .any(|rule| has(&rule.kind))
        })
    }

    fn effective_setting(&self, name: &str) -> Option<(Span, Vec<String>)> {
        self.model.ancestry(self.conf).find_map(|scope| {
            self.model
                .scope(scope)
                .setting(name)
                .map(|(rule, args)| (rule.span, args.to_vec()))
        })
    }

    /// The access phase: `None` when the request passes.
    #[allow(clippy::too_many_lines)] // allow/deny, auth_basic and satisfy interleave
    fn access(&mut self) -> Option<Result<Response, String>> {
        let model = self.model;
        let client = self.client;
        // allow/deny: the nearest level with any rule, whole.
        let acl_scope = self.effective(|kind| matches!(kind, RuleKind::Access { .. }));
        let mut access: Option<(Action, Span)> = None;
        if let Some(scope) = acl_scope {
            let rules = model.scope(scope).access_rules();
            match first_match(rules, client) {
                Err(rule) => {
                    return Some(Err(format!(
                        "an access rule lint403 cannot read stands before any match ({:?})",
                        rule.kind
                    )))
                }
                Ok(Some((rule, action))) => {
                    let text = match action {
                        Action::Allow => format!("{client} matches this allow"),
                        Action::Deny => {
                            format!("{client} matches this deny: access forbidden by rule")
                        }
                    };
                    self.step(StepRole::Evaluated, Some(rule.span), text);
                    access = Some((action, rule.span));
                }
                Ok(None) => {
                    self.step(
                        StepRole::Evaluated,
                        Some(model.scope(scope).head),
                        format!(
                            "no allow/deny of {} matches {client}: the access module declines",
                            describe_scope(model, scope)
                        ),
                    );
                }
            }
        }
        let satisfy = self.model.ancestry(self.conf).find_map(|scope| {
            model
                .scope(scope)
                .rules
                .iter()
                .rev()
                .find_map(|rule| match rule.kind {
                    RuleKind::Satisfy(satisfy) => Some((satisfy, rule.span)),
                    _ => None,
                })
        });
        let any = satisfy.is_some_and(|(satisfy, _)| satisfy == Satisfy::Any);
        if let (Some((Action::Deny, span)), false) = (access, any) {
            self.mark_decided(span, "deny: 403");
            self.fix = Some(self.deny_fix(acl_scope));
            return Some(Ok(Response {
                status: 403,
                special: true,
                span: Some(span),
            }));
        }
        if let (Some((Action::Allow, _)), true) = (access, any) {
            if let Some((_, span)) = satisfy {
                self.step(
                    StepRole::Evaluated,
                    Some(span),
                    "satisfy any: the allow suffices",
                );
            }
            return None;
        }
        // auth_basic, then auth_request.
        let auth = match self.auth_basic() {
            Ok(auth) => auth,
            Err(reason) => return Some(Err(reason)),
        };
        let subrequest = self.model.ancestry(self.conf).find_map(|scope| {
            model
                .scope(scope)
                .rules
                .iter()
                .rev()
                .find_map(|rule| match &rule.kind {
                    RuleKind::Auth {
                        kind: AuthKind::Subrequest,
                        enabled,
                        ..
                    } => Some((*enabled, rule.span)),
                    _ => None,
                })
        });
        if !any {
            if let Some(response) = auth {
                return Some(Ok(response));
            }
            if let Some((true, span)) = subrequest {
                self.step(
                    StepRole::Evaluated,
                    Some(span),
                    "auth_request: a subrequest decides",
                );
                return Some(Err(
                    "auth_request: the subrequest's answer decides, which lint403 cannot see"
                        .into(),
                ));
            }
            return None;
        }
        // satisfy any: one success passes; else 401 beats 403.
        if auth.is_none() && self.auth_configured() {
            return None;
        }
        if let Some((true, span)) = subrequest {
            self.step(
                StepRole::Evaluated,
                Some(span),
                "auth_request: a subrequest decides",
            );
            return Some(Err(
                "auth_request: the subrequest's answer decides, which lint403 cannot see".into(),
            ));
        }
        match (access, auth) {
            (_, Some(response)) if response.status == 401 => Some(Ok(response)),
            (Some((Action::Deny, span)), _) => {
                self.mark_decided(
                    span,
                    "satisfy any: the deny stands, and no authentication passed",
                );
                self.fix = Some(self.deny_fix(acl_scope));
                Some(Ok(Response {
                    status: 403,
                    special: true,
                    span: Some(span),
                }))
            }
            (_, Some(response)) => Some(Ok(response)),
            _ => None,
        }
    }

    /// A directive in effect whose decision lint403 cannot see.
    fn opaque(&mut self) -> Result<(), String> {
        for scope in self.model.ancestry(self.conf) {
            for rule in &self.model.scope(scope).rules {
                if let RuleKind::Setting { name, .. } = &rule.kind {
                    if OPAQUE_ACCESS.contains(&name.as_str()) {
                        let text = format!("{name} decides here, and lint403 does not run it");
                        self.step(StepRole::Evaluated, Some(rule.span), text.clone());
                        return Err(text);
                    }
                }
            }
        }
        Ok(())
    }

    fn realip_configured(&self) -> bool {
        self.effective_setting("set_real_ip_from").is_some()
    }

    /// `ngx_http_realip_module`: a trusted client's address is replaced by
    /// the one its header names (the last of X-Forwarded-For; with
    /// `real_ip_recursive on`, the last untrusted one).
    fn realip(&mut self) {
        self.realip_done = true;
        let Some(scope) = self.model.ancestry(self.conf).find(|&scope| {
            self.model
                .scope(scope)
                .setting("set_real_ip_from")
                .is_some()
        }) else {
            return;
        };
        let mut trusted = Vec::new();
        let mut from_span = None;
        for rule in &self.model.scope(scope).rules {
            if let RuleKind::Setting { name, args } = &rule.kind {
                if name == "set_real_ip_from" {
                    from_span.get_or_insert(rule.span);
                    if let Some(cidr) = args.first().and_then(|a| lint403_core::Cidr::parse(a)) {
                        trusted.push(cidr);
                    }
                }
            }
        }
        let header = self
            .effective_setting("real_ip_header")
            .and_then(|(_, args)| args.first().cloned())
            .unwrap_or_else(|| "X-Real-IP".into());
        let recursive = self
            .effective_setting("real_ip_recursive")
            .is_some_and(|(_, args)| args.first().is_some_and(|v| v.eq_ignore_ascii_case("on")));
        let is_trusted = |address: IpAddr| trusted.iter().any(|cidr| cidr.contains(address));
        if !is_trusted(self.client) {
            return;
        }
        let values: Vec<&str> = self
            .request
            .headers
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case(&header))
            .map(|(_, value)| value.as_str())
            .collect();
        if values.is_empty() {
            return;
        }
        let addresses: Vec<&str> = if header.eq_ignore_ascii_case("X-Forwarded-For") {
            values
                .iter()
                .flat_map(|value| value.split(','))
                .map(str::trim)
                .filter(|part| !part.is_empty())
                .collect()
        } else {
            vec![values[0].trim()]
        };
        let mut client = self.client;
        for (position, text) in addresses.iter().enumerate().rev() {
            let Some(address) = parse_address(text) else {
                break;
            };
            client = address;
            if !(recursive && position > 0 && is_trusted(address)) {
                break;
            }
        }
        if client != self.client {
            self.step(
                StepRole::Evaluated,
                from_span,
                format!(
                    "realip: {} is trusted, so the client is {client} from {header}",
                    self.client
                ),
            );
            self.client = client;
        }
    }

    fn mark_decided(&mut self, span: Span, text: &str) {
        if let Some(step) = self
            .steps
            .iter_mut()
            .rev()
            .find(|step| step.span == Some(span))
        {
            step.role = StepRole::Decided;
        } else {
            self.step(StepRole::Decided, Some(span), text);
        }
    }

    fn deny_fix(&self, scope: Option<ScopeId>) -> String {
        let client = self.client;
        let here = scope.map_or_else(String::new, |scope| {
            format!(" in {}", describe_scope(self.model, scope))
        });
        let mut fix = format!(
            "add `allow {client};` before the deciding `deny`{here} (allow/deny: the first match wins, \
             and a level with any allow/deny replaces the inherited list)"
        );
        // A deny in a regex location that also catches this URI: a `^~`
        // prefix location for the URI's directory keeps the regexes away.
        if let Some(scope) = scope {
            if let Matcher::Regex(pattern) = &self.model.scope(scope).matcher {
                let directory = self.uri.rfind('/').map_or("/", |slash| &self.uri[..=slash]);
                let _ = write!(
                    fix,
                    "; or, if {} should be served, move it out of `location ~ {}` with its own \
                     `location ^~ {directory} {{ }}` (regex locations are not consulted for a ^~ match)",
                    self.uri, pattern.source
                );
            }
        }
        fix
    }

    fn auth_configured(&self) -> bool {
        self.auth_realm().is_some_and(|(enabled, _)| enabled) && self.user_file().is_some()
    }

    fn auth_realm(&self) -> Option<(bool, Span)> {
        self.model.ancestry(self.conf).find_map(|scope| {
            self.model
                .scope(scope)
                .rules
                .iter()
                .rev()
                .find_map(|rule| match &rule.kind {
                    RuleKind::Auth {
                        kind: AuthKind::Basic,
                        user_file: None,
                        enabled,
                        ..
                    } => Some((*enabled, rule.span)),
                    _ => None,
                })
        })
    }

    fn user_file(&self) -> Option<(String, Span)> {
        self.model.ancestry(self.conf).find_map(|scope| {
            self.model
                .scope(scope)
                .rules
                .iter()
                .rev()
                .find_map(|rule| match &rule.kind {
                    RuleKind::Auth {
                        kind: AuthKind::Basic,
                        user_file: Some(file),
                        ..
                    } => Some((file.clone(), rule.span)),
                    _ => None,
                })
        })
    }

    /// `auth_basic`: `None` when it passes or does not apply.
    fn auth_basic(&mut self) -> Result<Option<Response>, String> {
        let Some((enabled, realm_span)) = self.auth_realm() else {
            return Ok(None);
        };
        if !enabled {
            self.step(StepRole::Evaluated, Some(realm_span), "auth_basic off");
            return Ok(None);
        }
        let Some((file, file_span)) = self.user_file() else {
            self.step(
                StepRole::Evaluated,
                Some(realm_span),
                "auth_basic without auth_basic_user_file asks for nothing",
            );
            return Ok(None);
        };
        let Some(user) = self.request.user.clone() else {
            self.step(
                StepRole::Decided,
                Some(realm_span),
                "auth_basic: no credentials sent: 401",
            );
            return Ok(Some(Response {
                status: 401,
                special: true,
                span: Some(realm_span),
            }));
        };
        let expanded = self.expand(&file)?;
        let path = if expanded.starts_with('/') {
            PathBuf::from(&expanded)
        } else {
            Path::new(&self.conf_prefix()).join(&expanded)
        };
        let Some(local) = self.options.fs.local(&path) else {
            self.step(
                StepRole::Evaluated,
                Some(file_span),
                format!(
                    "the user file {} is not visible to lint403: user {user} and the password are assumed valid",
                    path.display()
                ),
            );
            return Ok(None);
        };
        match std::fs::read(&local) {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                let hash = text.lines().find_map(|line| {
                    let line = line.trim_start();
                    if line.starts_with('#') {
                        return None;
                    }
                    let mut fields = line.splitn(3, ':');
                    (fields.next() == Some(user.as_str()))
                        .then(|| fields.next().unwrap_or_default().trim_end().to_string())
                });
                let Some(hash) = hash else {
                    self.step(
                        StepRole::Decided,
                        Some(file_span),
                        format!("user {user} is not in {}: 401", path.display()),
                    );
                    return Ok(Some(Response {
                        status: 401,
                        special: true,
                        span: Some(file_span),
                    }));
                };
                let Some(password) = self.request.password.clone() else {
                    self.step(
                        StepRole::Evaluated,
                        Some(file_span),
                        format!(
                            "user {user} is in {} (the password is assumed right)",
                            path.display()
                        ),
                    );
                    return Ok(None);
                };
                match htpasswd::verify(&password, &hash) {
                    Some(true) => {
                        self.step(
                            StepRole::Evaluated,
                            Some(file_span),
                            format!("user {user} and the password match {}", path.display()),
                        );
                        Ok(None)
                    }
                    Some(false) => {
                        self.step(
                            StepRole::Decided,
                            Some(file_span),
                            format!("the password of {user} does not match {}: 401", path.display()),
                        );
                        Ok(Some(Response {
                            status: 401,
                            special: true,
                            span: Some(file_span),
                        }))
                    }
                    None => Err(format!(
                        "the password of {user} is stored as a crypt(3) hash lint403 does not compute; \
                         leave the password out to assume it is right"
                    )),
                }
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                self.step(
                    StepRole::Decided,
                    Some(file_span),
                    format!(
                        "the user file {} does not exist: nginx answers 403",
                        path.display()
                    ),
                );
                self.fix = Some(format!(
                    "create {} or fix auth_basic_user_file",
                    path.display()
                ));
                Ok(Some(Response {
                    status: 403,
                    special: true,
                    span: Some(file_span),
                }))
            }
            Err(error) => {
                self.step(
                    StepRole::Decided,
                    Some(file_span),
                    format!(
                        "the user file {} cannot be read ({error}): 500",
                        path.display()
                    ),
                );
                Ok(Some(Response {
                    status: 500,
                    special: true,
                    span: Some(file_span),
                }))
            }
        }
    }

    fn conf_prefix(&self) -> String {
        self.model
            .global
            .iter()
            .find_map(|rule| match &rule.kind {
                RuleKind::Setting { name, args } if name == "conf-prefix" => args.first().cloned(),
                _ => None,
            })
            .unwrap_or_else(|| "/etc/nginx".into())
    }

    /// `try_files` of the configuration in effect (it is not inherited).
    fn try_files(&mut self) -> Option<Next> {
        let (rule, args) = self.model.scope(self.conf).setting("try_files")?;
        let span = rule.span;
        let args = args.to_vec();
        let (last, candidates) = args.split_last()?;
        for candidate in candidates {
            let value = match self.expand(candidate) {
                Ok(value) => value,
                Err(reason) => return Some(Next::Unknown(reason)),
            };
            // A configured name ending in `/` tests a directory; the URI
            // then becomes the name without that slash.
            let test_dir = candidate.ends_with('/');
            let path = match self.try_path(&value) {
                Ok(path) => path,
                Err(reason) => return Some(Next::Unknown(reason)),
            };
            let new_uri = if test_dir {
                value.strip_suffix('/').unwrap_or(&value).to_string()
            } else {
                value.clone()
            };
            let Some(kind) = self.look(&path) else {
                self.note_no_view(&path);
                self.step(
                    StepRole::Filesystem,
                    Some(span),
                    format!("try_files {value}: assumed to exist (no filesystem view)"),
                );
                self.accept_try(new_uri, test_dir);
                return None;
            };
            let found = match kind {
                Look::Dir => test_dir,
                Look::File | Look::Other => !test_dir,
                Look::Missing | Look::Forbidden(_) => false,
            };
            if found {
                self.step(
                    StepRole::Filesystem,
                    Some(span),
                    format!("try_files {value}: {} exists", path.display()),
                );
                self.accept_try(new_uri, test_dir);
                return None;
            }
            self.step(
                StepRole::Filesystem,
                Some(span),
                format!(
                    "try_files {value}: no {} at {}",
                    if test_dir { "directory" } else { "file" },
                    path.display()
                ),
            );
        }
        if let Some(code) = last.strip_prefix('=') {
            let status = code.parse().unwrap_or(404);
            self.step(
                StepRole::Decided,
                Some(span),
                format!("try_files falls back to ={status}"),
            );
            return Some(Next::Finish(Response {
                status,
                special: true,
                span: Some(span),
            }));
        }
        if last.starts_with('@') {
            return Some(self.named_redirect(last, Some(span)));
        }
        let target = match self.expand(last) {
            Ok(target) => target,
            Err(reason) => return Some(Next::Unknown(reason)),
        };
        Some(self.internal_redirect(&target, Some(span)))
    }

    fn accept_try(&mut self, uri: String, test_dir: bool) {
        let regex_alias = self
            .model
            .ancestry(self.conf)
            .find_map(|scope| {
                self.model
                    .scope(scope)
                    .rules
                    .iter()
                    .rev()
                    .find_map(|rule| match &rule.kind {
                        RuleKind::Setting { name, .. } if name == "root" || name == "alias" => {
                            Some(
                                name == "alias"
                                    && matches!(self.model.scope(scope).matcher, Matcher::Regex(_)),
                            )
                        }
                        _ => None,
                    })
            })
            .unwrap_or(false);
        if regex_alias {
            if !test_dir {
                self.uri = uri;
                self.add_uri_to_alias = true;
            }
        } else {
            self.uri = uri;
        }
    }

    /// Whether a content handler (an upstream, a script) serves the
    /// configuration in effect.
    fn handler(&self) -> Option<(String, Span)> {
        for scope in self.model.ancestry(self.conf) {
            for rule in self.model.scope(scope).rules.iter().rev() {
                if let RuleKind::Setting { name, args } = &rule.kind {
                    if CONTENT_HANDLERS.contains(&name.as_str()) {
                        if name == "dav_methods" {
                            if args.iter().any(|m| m.eq_ignore_ascii_case(&self.method)) {
                                return Some((name.clone(), rule.span));
                            }
                            continue;
                        }
                        return Some((name.clone(), rule.span));
                    }
                }
            }
            if matches!(
                self.model.scope(scope).kind,
                ScopeKind::Location | ScopeKind::Server
            ) {
                break;
            }
        }
        None
    }

    fn content(&mut self) -> Next {
        if let Some((name, span)) = self.handler() {
            self.step(
                StepRole::Decided,
                Some(span),
                format!(
                    "{name}: the configuration lets the request through to a handler; the upstream \
                     or handler may still refuse it (outside what lint403 can see)"
                ),
            );
            return Next::Unknown(format!(
                "{name} answers this request: the configuration lets it through, and the status \
                 (possibly a 403) is the upstream's or handler's decision"
            ));
        }
        if !matches!(self.method.as_str(), "GET" | "HEAD" | "POST") {
            self.step(
                StepRole::Decided,
                None,
                format!(
                    "the static module serves only GET, HEAD and POST: {} gets 405",
                    self.method
                ),
            );
            return Next::Finish(Response {
                status: 405,
                special: true,
                span: None,
            });
        }
        if self.uri.ends_with('/') {
            return self.directory();
        }
        let root = self.root_span();
        let path = match self.map_path(&self.uri.clone()) {
            Ok(path) => path,
            Err(reason) => return Next::Unknown(reason),
        };
        let Some(kind) = self.look(&path) else {
            self.note_no_view(&path);
            self.step(
                StepRole::Filesystem,
                None,
                format!(
                    "{} is assumed to be an existing file (no filesystem view)",
                    path.display()
                ),
            );
            return self.serve_file();
        };
        match kind {
            Look::Missing => {
                self.step(
                    StepRole::Decided,
                    root,
                    format!("{} does not exist: 404", path.display()),
                );
                Next::Finish(Response {
                    status: 404,
                    special: true,
                    span: root,
                })
            }
            Look::Forbidden(reason) => {
                let span = reason.1;
                self.step(StepRole::Decided, span, format!("{}: 403", reason.0));
                self.fix = Some(reason.0);
                Next::Finish(Response {
                    status: 403,
                    special: true,
                    span,
                })
            }
            Look::Dir => {
                self.step(
                    StepRole::Decided,
                    root,
                    format!(
                        "{} is a directory: nginx redirects (301) to {}/",
                        path.display(),
                        self.uri
                    ),
                );
                Next::Finish(Response {
                    status: 301,
                    special: true,
                    span: root,
                })
            }
            Look::Other => {
                self.step(
                    StepRole::Decided,
                    root,
                    format!("{} is not a regular file: 404", path.display()),
                );
                Next::Finish(Response {
                    status: 404,
                    special: true,
                    span: root,
                })
            }
            Look::File => {
                self.step(
                    StepRole::Filesystem,
                    None,
                    format!("{} is a file", path.display()),
                );
                self.serve_file()
            }
        }
    }

    /// The `root` or `alias` line in effect, for static outcomes.
    fn root_span(&self) -> Option<Span> {
        self.model.ancestry(self.conf).find_map(|scope| {
            self.model
                .scope(scope)
                .rules
                .iter()
                .rev()
                .find_map(|rule| match &rule.kind {
                    RuleKind::Setting { name, .. } if name == "root" || name == "alias" => {
                        Some(rule.span)
                    }
                    _ => None,
                })
        })
    }

    fn serve_file(&mut self) -> Next {
        let root = self.root_span();
        if self.method == "POST" {
            self.step(
                StepRole::Decided,
                root,
                "the static module refuses POST on a file: 405",
            );
            return Next::Finish(Response {
                status: 405,
                special: true,
                span: root,
            });
        }
        self.step(StepRole::Decided, root, "the file is served: 200");
        Next::Finish(Response {
            status: 200,
            special: false,
            span: root,
        })
    }

    /// A URI ending in `/`: `index`, then `autoindex`, else 403.
    fn directory(&mut self) -> Next {
        let (index_span, indices) = self
            .model
            .ancestry(self.conf)
            .find_map(|scope| {
                self.model
                    .scope(scope)
                    .rules
                    .iter()
                    .rev()
                    .find_map(|rule| match &rule.kind {
                        RuleKind::Listing {
                            index_files: Some(files),
                            ..
                        } => Some((Some(rule.span), files.clone())),
                        _ => None,
                    })
            })
            .unwrap_or((None, vec!["index.html".to_string()]));
        let dir_path = match self.map_path(&self.uri.clone()) {
            Ok(path) => path,
            Err(reason) => return Next::Unknown(reason),
        };
        let mut dir_tested = false;
        for index in &indices {
            let name = match self.expand(index) {
                Ok(name) => name,
                Err(reason) => return Next::Unknown(reason),
            };
            if name.starts_with('/') {
                let span = index_span;
                return self.internal_redirect(&name, span);
            }
            let file = PathBuf::from(format!("{}{name}", dir_path.display()));
            let Some(kind) = self.look(&file) else {
                self.note_no_view(&file);
                self.step(
                    StepRole::Filesystem,
                    index_span,
                    format!("index {name}: assumed to exist (no filesystem view)"),
                );
                let target = format!("{}{name}", self.uri);
                return self.internal_redirect(&target, index_span);
            };
            match kind {
                Look::File | Look::Dir | Look::Other => {
                    let target = format!("{}{name}", self.uri);
                    self.step(
                        StepRole::Filesystem,
                        index_span,
                        format!("index file {} exists", file.display()),
                    );
                    return self.internal_redirect(&target, index_span);
                }
                Look::Forbidden(reason) => {
                    self.step(StepRole::Decided, reason.1, format!("{}: 403", reason.0));
                    self.fix = Some(reason.0);
                    return Next::Finish(Response {
                        status: 403,
                        special: true,
                        span: reason.1,
                    });
                }
                Look::Missing => {
                    if !dir_tested {
                        dir_tested = true;
                        match self.look(&dir_path) {
                            Some(Look::Missing | Look::File | Look::Other) => {
                                self.step(
                                    StepRole::Decided,
                                    None,
                                    format!(
                                        "the directory {} does not exist: 404",
                                        dir_path.display()
                                    ),
                                );
                                return Next::Finish(Response {
                                    status: 404,
                                    special: true,
                                    span: None,
                                });
                            }
                            Some(Look::Forbidden(reason)) => {
                                self.step(
                                    StepRole::Decided,
                                    reason.1,
                                    format!("{}: 403", reason.0),
                                );
                                self.fix = Some(reason.0);
                                return Next::Finish(Response {
                                    status: 403,
                                    special: true,
                                    span: reason.1,
                                });
                            }
                            _ => {}
                        }
                    }
                    self.step(
                        StepRole::Filesystem,
                        index_span,
                        format!("no index file {}", file.display()),
                    );
                }
            }
        }
        let autoindex = self.model.ancestry(self.conf).find_map(|scope| {
            self.model
                .scope(scope)
                .rules
                .iter()
                .rev()
                .find_map(|rule| match &rule.kind {
                    RuleKind::Listing {
                        autoindex: Some(on),
                        ..
                    } => Some((*on, rule.span)),
                    _ => None,
                })
        });
        if let Some((true, span)) = autoindex {
            if matches!(self.method.as_str(), "GET" | "HEAD") {
                return match self.look(&dir_path) {
                    Some(Look::Dir) | None => {
                        self.step(
                            StepRole::Decided,
                            Some(span),
                            "autoindex on: the listing is served (200)",
                        );
                        Next::Finish(Response {
                            status: 200,
                            special: false,
                            span: Some(span),
                        })
                    }
                    Some(Look::Forbidden(reason)) => {
                        self.step(StepRole::Decided, reason.1, format!("{}: 403", reason.0));
                        Next::Finish(Response {
                            status: 403,
                            special: true,
                            span: reason.1,
                        })
                    }
                    Some(_) => {
                        self.step(
                            StepRole::Decided,
                            Some(span),
                            "autoindex: no such directory: 404",
                        );
                        Next::Finish(Response {
                            status: 404,
                            special: true,
                            span: Some(span),
                        })
                    }
                };
            }
        }
        let span = autoindex.map(|(_, span)| span).or(index_span);
        self.step(
            StepRole::Decided,
            span,
            format!(
                "directory index of \"{}\" is forbidden: no index file ({}) and autoindex off",
                dir_path.display(),
                indices.join(" ")
            ),
        );
        self.fix = Some(format!(
            "put an index file ({}) in {}, or turn `autoindex on;` in this location",
            indices.join(", "),
            dir_path.display()
        ));
        Next::Finish(Response {
            status: 403,
            special: true,
            span,
        })
    }

    /// The response leaves: `error_page` may turn it into an internal
    /// redirect (`Err`), else this is the verdict.
    fn finish(&mut self, response: Response) -> Result<Verdict, Next> {
        if response.status == 444 {
            return Ok(self.verdict(444, response.span));
        }
        if response.special {
            let recursive =
                self.effective_setting("recursive_error_pages")
                    .is_some_and(|(_, args)| {
                        args.first().is_some_and(|v| v.eq_ignore_ascii_case("on"))
                    });
            if self.error_page_used && recursive {
                return Err(Next::Unknown(
                    "an error page failed under recursive_error_pages on, which lint403 does not model"
                        .into(),
                ));
            }
            self.err_status = Some(response.status);
            if !self.error_page_used && self.uri_changes > 0 {
                if let Some(next) = self.error_page(response.status) {
                    return Err(next);
                }
            }
            return Ok(self.verdict(response.status, response.span));
        }
        let status = match self.err_status {
            Some(status) if status != 0 => {
                self.step(
                    StepRole::Default,
                    None,
                    format!("the error page is sent with the status {status}"),
                );
                status
            }
            _ => response.status,
        };
        Ok(self.verdict(status, response.span))
    }

    fn error_page(&mut self, status: u16) -> Option<Next> {
        let model = self.model;
        let scope = model.ancestry(self.conf).find(|&scope| {
            model.scope(scope).rules.iter().any(
                |rule| matches!(&rule.kind, RuleKind::Setting { name, .. } if name == "error_page"),
            )
        })?;
        for rule in &model.scope(scope).rules {
            let RuleKind::Setting { name, args } = &rule.kind else {
                continue;
            };
            if name != "error_page" {
                continue;
            }
            let Some((target, codes)) = args.split_last() else {
                continue;
            };
            let (overwrite, codes) = match codes.split_last() {
                Some((last, rest)) if last.starts_with('=') => {
                    (Some(last[1..].parse::<u16>().unwrap_or(0)), rest)
                }
                _ => (None, codes),
            };
            if !codes
                .iter()
                .any(|code| code.parse::<u16>().ok() == Some(status))
            {
                continue;
            }
            self.error_page_used = true;
            if let Some(overwrite) = overwrite {
                self.err_status = Some(overwrite);
            }
            let target = match self.expand(target) {
                Ok(target) => target,
                Err(reason) => return Some(Next::Unknown(reason)),
            };
            let span = Some(rule.span);
            if target.starts_with('/') {
                self.step(
                    StepRole::Evaluated,
                    span,
                    format!("error_page: {status} is answered by {target}"),
                );
                if self.method != "HEAD" {
                    self.method = "GET".into();
                }
                return Some(self.internal_redirect(&target, span));
            }
            if target.starts_with('@') {
                self.step(
                    StepRole::Evaluated,
                    span,
                    format!("error_page: {status} is answered by {target}"),
                );
                return Some(self.named_redirect(&target, span));
            }
            let redirect = overwrite
                .filter(|code| matches!(code, 301 | 302 | 303 | 307 | 308))
                .unwrap_or(302);
            self.step(
                StepRole::Decided,
                span,
                format!("error_page: {status} becomes a redirect ({redirect}) to {target}"),
            );
            self.err_status = Some(redirect);
            return Some(Next::Finish(Response {
                status: redirect,
                special: true,
                span,
            }));
        }
        None
    }

    fn note_no_view(&mut self, path: &Path) {
        if !self.no_view_noted {
            self.no_view_noted = true;
            self.step(
                StepRole::Filesystem,
                None,
                format!(
                    "lint403 has no view of {} (map the document root with `paths:` to read it); \
                     the target is assumed to be an existing file",
                    path.display()
                ),
            );
        }
    }

    /// The filesystem path of `uri` (`ngx_http_map_uri_to_path`): the
    /// effective `root` plus the URI, or the `alias` replacing the
    /// location's part of it.
    fn map_path(&mut self, uri: &str) -> Result<PathBuf, String> {
        self.path_of(uri, false)
    }

    /// The path of a `try_files` name: the root (for a regex `alias`, the
    /// alias itself) followed by the name, without the location's part.
    fn try_path(&mut self, name: &str) -> Result<PathBuf, String> {
        self.path_of(name, true)
    }

    fn path_of(&mut self, uri: &str, try_files: bool) -> Result<PathBuf, String> {
        let found = self.model.ancestry(self.conf).find_map(|scope| {
            self.model
                .scope(scope)
                .rules
                .iter()
                .rev()
                .find_map(|rule| match &rule.kind {
                    RuleKind::Setting { name, args } if name == "root" || name == "alias" => {
                        Some((
                            scope,
                            name.clone(),
                            args.first().cloned().unwrap_or_default(),
                        ))
                    }
                    _ => None,
                })
        });
        let Some((scope, name, value)) = found else {
            return Ok(PathBuf::from(format!("{NGINX_PREFIX}/html{uri}")));
        };
        let value = self.expand(&value)?;
        let value = if value.starts_with('/') {
            value
        } else {
            format!("{NGINX_PREFIX}/{value}")
        };
        if name == "root" {
            return Ok(PathBuf::from(format!(
                "{}{uri}",
                value.trim_end_matches('/')
            )));
        }
        match &self.model.scope(scope).matcher {
            Matcher::Regex(_) => {
                if try_files || self.add_uri_to_alias {
                    Ok(PathBuf::from(format!("{value}{uri}")))
                } else {
                    Ok(PathBuf::from(value))
                }
            }
            Matcher::Prefix(prefix) | Matcher::PrefixNoRegex(prefix) | Matcher::Exact(prefix) => {
                // nginx cuts as many bytes as the location's name has, when
                // the URI starts with them.
                let cut = if try_files {
                    self.uri
                        .get(..prefix.len())
                        .filter(|head| uri.starts_with(head))
                        .map(str::len)
                } else {
                    Some(prefix.len())
                };
                let rest = cut.and_then(|cut| uri.get(cut..)).unwrap_or(uri);
                Ok(PathBuf::from(format!("{value}{rest}")))
            }
            _ => Ok(PathBuf::from(format!("{value}{uri}"))),
        }
    }

    /// What nginx finds at `path`, honouring `disable_symlinks` and the
    /// worker's permissions (as "others"); `None` without a view.
    fn look(&self, path: &Path) -> Option<Look> {
        let normalized = lexical(path);
        let local = self.options.fs.local(&normalized)?;
        // `name/` on anything but a directory fails with ENOTDIR before
        // any symlink check.
        if path.to_string_lossy().ends_with('/') && local.exists() && !local.is_dir() {
            return Some(Look::Missing);
        }
        let mapped_root = self
            .options
            .fs
            .path_map
            .iter()
            .find(|(from, _)| normalized.starts_with(from))
            .map(|(from, to)| (from.clone(), to.clone()));
        let base = mapped_root
            .as_ref()
            .map_or_else(|| PathBuf::from("/"), |(_, to)| to.clone());
        if !base.exists() {
            return None;
        }
        let symlinks = self.effective_setting("disable_symlinks");
        let (policy, from) = symlinks.as_ref().map_or(("off", None), |(_, args)| {
            let from = args
                .iter()
                .find_map(|arg| arg.strip_prefix("from="))
                .map(str::to_string);
            (args.first().map_or("off", String::as_str), from)
        });
        let policy_span = symlinks.as_ref().map(|(span, _)| *span);
        let from_local = match &from {
            Some(from) => {
                let expanded = self.expand_quiet(from);
                self.options.fs.local(&lexical(Path::new(&expanded)))
            }
            None => None,
        };
        // Walk the components below the mapped root.
        let rest = local.strip_prefix(&base).ok()?;
        let mut current = base.clone();
        let components: Vec<_> = rest.components().collect();
        for (position, component) in components.iter().enumerate() {
            current.push(component);
            let last = position + 1 == components.len();
            let Ok(meta) = std::fs::symlink_metadata(&current) else {
                return Some(Look::Missing);
            };
            let checked = from_local
                .as_ref()
                .is_none_or(|from| current.starts_with(from) && &current != from);
            if meta.file_type().is_symlink() && policy != "off" && checked {
                let refuse = if policy == "if_not_owner" {
                    owner_differs(&current)
                } else {
                    true
                };
                if refuse {
                    return Some(Look::Forbidden((
                        format!(
                            "{} is a symbolic link and disable_symlinks {policy} forbids following it",
                            current.display()
                        ),
                        policy_span,
                    )));
                }
            }
            let Ok(target) = std::fs::metadata(&current) else {
                return Some(Look::Missing);
            };
            if last {
                if target.is_dir() {
                    return Some(Look::Dir);
                }
                if !target.is_file() {
                    return Some(Look::Other);
                }
                if !others_may(&target, 0o4) {
                    return Some(Look::Forbidden((
                        format!(
                            "the worker may not read {} (permission denied)",
                            current.display()
                        ),
                        None,
                    )));
                }
                return Some(Look::File);
            }
            if !target.is_dir() {
                return Some(Look::Missing);
            }
            if !others_may(&target, 0o1) {
                return Some(Look::Forbidden((
                    format!(
                        "the worker may not enter {} (permission denied)",
                        current.display()
                    ),
                    None,
                )));
            }
        }
        // The path is the mapped root itself.
        match std::fs::metadata(&current) {
            Ok(meta) if meta.is_dir() => {
                if others_may(&meta, 0o1) {
                    Some(Look::Dir)
                } else {
                    Some(Look::Forbidden((
                        format!(
                            "the worker may not enter {} (permission denied)",
                            current.display()
                        ),
                        None,
                    )))
                }
            }
            Ok(_) => Some(Look::File),
            Err(_) => Some(Look::Missing),
        }
    }

    fn expand_quiet(&self, text: &str) -> String {
        let mut copy = Tracer {
            model: self.model,
            request: self.request,
            options: self.options,
            steps: Vec::new(),
            site: self.site,
            default_site: self.default_site,
            server: self.server,
            uri: self.uri.clone(),
            args: self.args.clone(),
            method: self.method.clone(),
            client: self.client,
            realip_done: self.realip_done,
            captures: self.captures.clone(),
            vars: self.vars.clone(),
            uri_changes: self.uri_changes,
            internal: self.internal,
            err_status: self.err_status,
            error_page_used: self.error_page_used,
            conf: self.conf,
            location: self.location,
            fix: None,
            uri_changed: false,
            evaluating: Vec::new(),
            no_view_noted: true,
            add_uri_to_alias: self.add_uri_to_alias,
        };
        copy.expand(text).unwrap_or_default()
    }

    /// An `if` condition.
    fn condition(&mut self, condition: &Condition) -> Result<bool, String> {
        match condition {
            Condition::Always => Ok(true),
            Condition::Not(inner) => self.condition(inner).map(|holds| !holds),
            Condition::All(parts) => {
                for part in parts {
                    if !self.condition(part)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Condition::Any(parts) => {
                for part in parts {
                    if self.condition(part)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Condition::Var { name, test } => {
                let value = self.variable(name)?;
                match test {
                    TextTest::Matches(pattern) => {
                        match pattern.captures(value.as_deref().unwrap_or("")) {
                            None => Err(format!("lint403 cannot run the regex {}", pattern.source)),
                            Some(None) => Ok(false),
                            Some(Some(groups)) => {
                                self.set_captures(groups, &pattern.capture_names());
                                Ok(true)
                            }
                        }
                    }
                    TextTest::Equals {
                        value: expected,
                        case_insensitive,
                    } => {
                        let expected = self.expand(expected)?;
                        let value = value.unwrap_or_default();
                        Ok(if *case_insensitive {
                            value.eq_ignore_ascii_case(&expected)
                        } else {
                            value == expected
                        })
                    }
                    other => other
                        .test(value.as_deref())
                        .ok_or_else(|| "a test lint403 cannot evaluate".to_string()),
                }
            }
            Condition::File { path, test } => {
                let expanded = self.expand(path)?;
                let path = PathBuf::from(&expanded);
                // The file tests open the path as the static module does,
                // `disable_symlinks` included; a refusal reads as "no".
                let Some(kind) = self.look(&path) else {
                    return Err(format!(
                        "the file test on {expanded} needs a view of the filesystem, which lint403 lacks"
                    ));
                };
                Ok(match (test, kind) {
                    (FileTest::Exists, Look::File | Look::Dir | Look::Other)
                    | (FileTest::File, Look::File)
                    | (FileTest::Directory, Look::Dir) => true,
                    (FileTest::Executable, Look::File | Look::Dir | Look::Other) => {
                        use std::os::unix::fs::PermissionsExt;
                        self.options
                            .fs
                            .local(&lexical(&path))
                            .and_then(|local| std::fs::metadata(local).ok())
                            .is_some_and(|meta| meta.permissions().mode() & 0o111 != 0)
                    }
                    _ => false,
                })
            }
            Condition::ClientIp(cidr) => Ok(cidr.contains(self.client)),
            Condition::Method(methods) => {
                Ok(methods.iter().any(|m| m.eq_ignore_ascii_case(&self.method)))
            }
            Condition::Header { name, test } => test
                .test(self.request.header(name))
                .ok_or_else(|| "a header test lint403 cannot evaluate".to_string()),
            Condition::Path(test) => test
                .test(Some(&self.uri))
                .ok_or_else(|| "a path test lint403 cannot evaluate".to_string()),
            Condition::Query(test) => test
                .test(self.args.as_deref())
                .ok_or_else(|| "a query test lint403 cannot evaluate".to_string()),
            Condition::Unknown(text) => {
                Err(format!("lint403 does not evaluate the condition {text:?}"))
            }
        }
    }

    /// `$name`, `${name}` and `$1` in `text`, replaced by their values.
    fn expand(&mut self, text: &str) -> Result<String, String> {
        // Variables can name each other (`root $request_filename;`, a map
        // whose value reads another map): bound the depth.
        if self.evaluating.len() > 32 {
            return Err(format!(
                "the variables in {text:?} refer to each other too deeply"
            ));
        }
        self.evaluating.push(String::new());
        let result = self.expand_inner(text);
        self.evaluating.pop();
        result
    }

    fn expand_inner(&mut self, text: &str) -> Result<String, String> {
        let bytes = text.as_bytes();
        let mut out = String::new();
        let mut index = 0;
        while index < bytes.len() {
            if bytes[index] != b'$' {
                let next = text[index..]
                    .find('$')
                    .map_or(text.len(), |offset| index + offset);
                out.push_str(&text[index..next]);
                index = next;
                continue;
            }
            index += 1;
            if index < bytes.len() && bytes[index].is_ascii_digit() {
                let group = usize::from(bytes[index] - b'0');
                index += 1;
                if let Some(Some(value)) = self.captures.get(group) {
                    out.push_str(value);
                }
                continue;
            }
            let braced = index < bytes.len() && bytes[index] == b'{';
            if braced {
                index += 1;
            }
            let start = index;
            while index < bytes.len()
                && (bytes[index].is_ascii_alphanumeric() || bytes[index] == b'_')
            {
                index += 1;
            }
            let name = &text[start..index];
            if braced && index < bytes.len() && bytes[index] == b'}' {
                index += 1;
            }
            if name.is_empty() {
                out.push('$');
                continue;
            }
            if let Some(value) = self.variable(name)? {
                out.push_str(&value);
            }
        }
        Ok(out)
    }

    /// One variable's value; `Err` for a variable lint403 does not know
    /// (a module's variable, a header it cannot see).
    #[allow(clippy::too_many_lines)] // one arm per variable
    fn variable(&mut self, name: &str) -> Result<Option<String>, String> {
        if name.contains('$') {
            // A map source made of several variables.
            return self.expand(name).map(Some);
        }
        if let Some(value) = self.vars.get(name) {
            return Ok(Some(value.clone()));
        }
        if name.bytes().all(|b| b.is_ascii_digit()) {
            let group: usize = name.parse().unwrap_or(usize::MAX);
            return Ok(self.captures.get(group).cloned().flatten());
        }
        if let Some(value) = self.global_variable(name)? {
            return Ok(Some(value));
        }
        let request = self.request;
        let value = match name {
            "uri" | "document_uri" => Some(self.uri.clone()),
            "request_uri" => Some(match &request.query {
                Some(query) => format!("{}?{query}", request.path),
                None => request.path.clone(),
            }),
            "args" | "query_string" => self.args.clone(),
            "is_args" => Some(if self.args.is_some() {
                "?".into()
            } else {
                String::new()
            }),
            "host" => Some(request.host().unwrap_or_else(|| {
                self.model
                    .site(self.site)
                    .names
                    .first()
                    .cloned()
                    .unwrap_or_default()
            })),
            "server_name" => Some(
                self.model
                    .site(self.site)
                    .names
                    .first()
                    .cloned()
                    .unwrap_or_default(),
            ),
            "remote_addr" => Some(self.client.to_string()),
            "realip_remote_addr" => Some(request.client_ip.to_string()),
            "remote_user" => request.user.clone(),
            "request_method" => Some(self.method.clone()),
            "scheme" => Some(
                if self
                    .model
                    .site(self.site)
                    .listen
                    .iter()
                    .any(|listen| listen.tls)
                {
                    "https".into()
                } else {
                    "http".into()
                },
            ),
            "https" => Some(String::new()),
            "server_protocol" => Some("HTTP/1.1".into()),
            "server_port" => Some(
                request
                    .listen
                    .map(|listen| listen.port())
                    .or_else(|| self.model.site(self.site).listen.first().map(|l| l.port))
                    .unwrap_or(80)
                    .to_string(),
            ),
            "server_addr" => Some(
                request
                    .listen
                    .map_or_else(|| "127.0.0.1".to_string(), |listen| listen.ip().to_string()),
            ),
            "request_filename" => {
                let uri = self.uri.clone();
                Some(self.map_path(&uri)?.display().to_string())
            }
            "document_root" | "realpath_root" => {
                let path = self.map_path("")?;
                Some(path.display().to_string())
            }
            "invalid_referer" => Some(self.invalid_referer()),
            "fastcgi_script_name" | "fastcgi_path_info" => {
                let (script, info) = self.fastcgi_split()?;
                Some(if name == "fastcgi_script_name" {
                    script
                } else {
                    info
                })
            }
            "content_type" => request.header("content-type").map(str::to_string),
            "content_length" => request.header("content-length").map(str::to_string),
            "cookie" => request.header("cookie").map(str::to_string),
            other => {
                if let Some(header) = other.strip_prefix("http_") {
                    let wanted = header.replace('_', "-");
                    return Ok(request.header(&wanted).map(str::to_string));
                }
                if let Some(arg) = other.strip_prefix("arg_") {
                    return Ok(self.args.as_deref().and_then(|args| {
                        args.split('&').find_map(|pair| {
                            let (key, value) = pair.split_once('=')?;
                            key.eq_ignore_ascii_case(arg).then(|| value.to_string())
                        })
                    }));
                }
                if let Some(cookie) = other.strip_prefix("cookie_") {
                    return Ok(request.header("cookie").and_then(|header| {
                        header.split(';').find_map(|pair| {
                            let (key, value) = pair.trim().split_once('=')?;
                            key.eq_ignore_ascii_case(cookie).then(|| value.to_string())
                        })
                    }));
                }
                return Err(format!(
                    "the variable ${other} is not one lint403 knows the value of"
                ));
            }
        };
        Ok(value)
    }

    /// `$fastcgi_script_name` and `$fastcgi_path_info`: the URI split by
    /// `fastcgi_split_path_info` (when its regex matches), `fastcgi_index`
    /// added to a script name ending in `/`.
    fn fastcgi_split(&mut self) -> Result<(String, String), String> {
        let uri = self.uri.clone();
        let (mut script, info) = match self.effective_setting("fastcgi_split_path_info") {
            Some((_, args)) => {
                let pattern =
                    lint403_core::Pattern::new(args.first().map_or("", String::as_str), false);
                match pattern.captures(&uri) {
                    None => {
                        return Err(format!(
                            "fastcgi_split_path_info {}: lint403 cannot run this regex",
                            pattern.source
                        ))
                    }
                    Some(Some(groups)) if groups.len() >= 3 => (
                        groups[1].clone().unwrap_or_default(),
                        groups[2].clone().unwrap_or_default(),
                    ),
                    Some(_) => (uri, String::new()),
                }
            }
            None => (uri, String::new()),
        };
        if script.ends_with('/') {
            if let Some((_, args)) = self.effective_setting("fastcgi_index") {
                script.push_str(args.first().map_or("", String::as_str));
            }
        }
        Ok((script, info))
    }

    /// A `map` or `geo` variable: the first entry whose test holds.
    fn global_variable(&mut self, name: &str) -> Result<Option<String>, String> {
        let model = self.model;
        let mut any = false;
        if self.evaluating.iter().any(|own| own == name) {
            return Err(format!("${name} depends on itself"));
        }
        for rule in &model.global {
            match &rule.kind {
                RuleKind::Setting { name: kind, args }
                    if kind == "opaque-variable" && args.first().is_some_and(|own| own == name) =>
                {
                    return Err(format!(
                        "${name} is computed by a script lint403 does not run"
                    ));
                }
                RuleKind::SetVar {
                    name: own,
                    value,
                    when,
                } if own == name => {
                    any = true;
                    self.evaluating.push(name.to_string());
                    let holds = self.condition(when);
                    self.evaluating.pop();
                    match holds {
                        Ok(true) => {
                            let value = self.expand(value)?;
                            self.step(
                                StepRole::Evaluated,
                                Some(rule.span),
                                format!("${name} is {value:?}"),
                            );
                            return Ok(Some(value));
                        }
                        Ok(false) => {}
                        Err(reason) => return Err(reason),
                    }
                }
                _ => {}
            }
        }
        Ok(any.then(String::new))
    }

    /// `$invalid_referer` under the configuration in effect: "1" or "".
    fn invalid_referer(&mut self) -> String {
        let model = self.model;
        let policy = model.ancestry(self.conf).find_map(|scope| {
            model
                .scope(scope)
                .rules
                .iter()
                .rev()
                .find(|rule| matches!(rule.kind, RuleKind::RefererPolicy { .. }))
        });
        let Some(rule) = policy else {
            return String::new();
        };
        let RuleKind::RefererPolicy {
            none,
            blocked,
            server_names,
            hosts,
            regexes,
        } = &rule.kind
        else {
            return String::new();
        };
        let names = &model.site(self.site).names;
        let (valid, why) = referer_valid(
            self.request.header("referer"),
            *none,
            *blocked,
            if *server_names { names.as_slice() } else { &[] },
            hosts,
            regexes,
        );
        let shown = self.request.header("referer").map_or_else(
            || "no Referer".to_string(),
            |value| format!("Referer {:?}", truncate(value, 80)),
        );
        self.step(
            StepRole::Evaluated,
            Some(rule.span),
            format!(
                "{shown}: {why}, so $invalid_referer is {}",
                if valid { "\"\"" } else { "\"1\"" }
            ),
        );
        if valid {
            String::new()
        } else {
            if self.fix.is_none() {
                self.fix = Some(
                    "add the referring host (or `none` for requests without a Referer) to valid_referers"
                        .into(),
                );
            }
            "1".into()
        }
    }
}

/// What is at a path, as the static, index and `try_files` code sees it.
enum Look {
    File,
    Dir,
    /// Not a regular file or directory.
    Other,
    Missing,
    /// Refused (a symlink under `disable_symlinks`, a permission): why and
    /// the deciding line.
    Forbidden((String, Option<Span>)),
}

fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// Whether a condition reads the variable `name`.
fn mentions(condition: &Condition, name: &str) -> bool {
    match condition {
        Condition::Var { name: own, .. } => own == name || own.contains(&format!("${name}")),
        Condition::All(parts) | Condition::Any(parts) => {
            parts.iter().any(|part| mentions(part, name))
        }
        Condition::Not(inner) => mentions(inner, name),
        _ => false,
    }
}

/// An address as `ngx_parse_addr_port` reads it: `a.b.c.d`, `a.b.c.d:port`,
/// an IPv6 address, `[v6]:port`.
fn parse_address(text: &str) -> Option<IpAddr> {
    if let Ok(address) = text.parse() {
        return Some(address);
    }
    if let Some(rest) = text.strip_prefix('[') {
        return rest
            .split_once(']')
            .and_then(|(inside, _)| inside.parse().ok());
    }
    text.rsplit_once(':')
        .and_then(|(address, _)| address.parse().ok())
}

/// `.` and `..` of a path resolved by text (nginx builds paths by
/// concatenation; the kernel resolves these components itself).
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn others_may(meta: &std::fs::Metadata, bit: u32) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & bit != 0
}

fn owner_differs(link: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::symlink_metadata(link), std::fs::metadata(link)) {
        (Ok(own), Ok(target)) => own.uid() != target.uid(),
        _ => false,
    }
}

/// A scope as a reader finds it in the file: `location ^~ /images/`.
pub fn describe_scope(model: &Model, scope: ScopeId) -> String {
    let scope = model.scope(scope);
    match (&scope.kind, &scope.matcher) {
        (ScopeKind::Global, _) => "the http block".into(),
        (ScopeKind::Server, _) => "the server block".into(),
        (_, Matcher::Exact(path)) => format!("location = {path}"),
        (_, Matcher::Prefix(path)) => format!("location {path}"),
        (_, Matcher::PrefixNoRegex(path)) => format!("location ^~ {path}"),
        (_, Matcher::Regex(pattern)) => format!(
            "location {} {}",
            if pattern.case_insensitive { "~*" } else { "~" },
            pattern.source
        ),
        (_, Matcher::Named(name)) => format!("location {name}"),
        (_, Matcher::Methods { methods, .. }) => format!("limit_except {}", methods.join(" ")),
        (_, Matcher::If(_)) => "the if block".into(),
        _ => "a block".into(),
    }
}

/// `ngx_http_referer_variable`: whether a Referer is valid, and why.
pub fn referer_valid(
    referer: Option<&str>,
    none: bool,
    blocked: bool,
    server_names: &[String],
    hosts: &[String],
    regexes: &[lint403_core::Pattern],
) -> (bool, String) {
    let Some(referer) = referer else {
        return if none {
            (true, "`none` accepts a missing Referer".into())
        } else {
            (false, "a missing Referer is invalid without `none`".into())
        };
    };
    let lower = referer.to_ascii_lowercase();
    let rest = if referer.len() < "http://i.ru".len() {
        None
    } else if lower.starts_with("http://") {
        Some(&referer[7..])
    } else if lower.starts_with("https://") {
        Some(&referer[8..])
    } else {
        None
    };
    let Some(rest) = rest else {
        return if blocked {
            (
                true,
                "`blocked` accepts a Referer without http:// or https://".into(),
            )
        } else {
            (
                false,
                "a Referer without http:// or https:// is invalid without `blocked`".into(),
            )
        };
    };
    let host_end = rest.find(['/', ':']).unwrap_or(rest.len());
    if host_end > 256 {
        return (
            false,
            "the Referer's host is longer than 256 characters".into(),
        );
    }
    let host = rest[..host_end].to_ascii_lowercase();
    let after_host = &rest[host_end..];
    let uri_part = after_host
        .find('/')
        .map_or("", |slash| &after_host[slash..]);
    let mut entries: Vec<(&str, bool)> = hosts.iter().map(|h| (h.as_str(), true)).collect();
    entries.extend(
        server_names
            .iter()
            .filter(|name| !name.starts_with('~') && !name.is_empty())
            .map(|name| (name.as_str(), false)),
    );
    // Exact names, then leading wildcards, then trailing ones.
    let mut best: Option<(u8, usize, &str)> = None;
    for (entry, may_have_uri) in &entries {
        let (name, uri) = match (may_have_uri, entry.find('/')) {
            (true, Some(slash)) => (&entry[..slash], &entry[slash..]),
            _ => (*entry, ""),
        };
        let rank = if name == host {
            Some((3, name.len()))
        } else if let Some(suffix) = name.strip_prefix("*.") {
            (host.len() > suffix.len() + 1
                && host.ends_with(suffix)
                && host.as_bytes()[host.len() - suffix.len() - 1] == b'.')
                .then_some((2, suffix.len()))
        } else if let Some(suffix) = name.strip_prefix('.') {
            (host == suffix
                || (host.ends_with(suffix)
                    && host.as_bytes()[host.len() - suffix.len() - 1] == b'.'))
                .then_some((2, suffix.len()))
        } else if let Some(prefix) = name.strip_suffix(".*") {
            (host.len() > prefix.len() + 1
                && host.starts_with(prefix)
                && host.as_bytes()[prefix.len()] == b'.')
                .then_some((1, prefix.len()))
        } else {
            None
        };
        if let Some((class, len)) = rank {
            if best.is_none_or(|(own_class, own_len, _)| (class, len) > (own_class, own_len)) {
                best = Some((class, len, uri));
            }
        }
    }
    if let Some((_, _, uri)) = best {
        if uri.is_empty() {
            return (true, format!("the host {host} is listed"));
        }
        if uri_part.starts_with(uri) {
            return (
                true,
                format!("the host {host} with a URI under {uri} is listed"),
            );
        }
        return (
            false,
            format!("the host {host} is listed only with URIs under {uri}"),
        );
    }
    for name in server_names {
        if let Some(regex) = name.strip_prefix('~') {
            if lint403_core::Pattern::new(regex, true).is_match(&host) == Some(true) {
                return (
                    true,
                    format!("the host {host} matches the server name {name}"),
                );
            }
        }
    }
    for regex in regexes {
        if regex.is_match(rest) == Some(true) {
            return (
                true,
                format!("{} matches ~{}", truncate(rest, 60), regex.source),
            );
        }
    }
    let mut why = format!("the host {host} is not listed");
    if !regexes.is_empty() {
        let _ = write!(why, " and no regex matches {}", truncate(rest, 60));
    }
    (false, why)
}
