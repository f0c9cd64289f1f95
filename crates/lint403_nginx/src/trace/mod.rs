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

/// `tracer.step(role, span, format!(...))`, the text formatted only when
/// the trace keeps texts ([`TraceOptions::verdict_only`] off): the rules'
/// probes read verdicts and deciding lines, and writing every step's text
/// for each of them took a tenth of a large configuration's check.
macro_rules! step {
    ($tracer:expr, $role:expr, $span:expr, $($text:tt)+) => {{
        let text = if $tracer.texts {
            format!($($text)+)
        } else {
            String::new()
        };
        $tracer.step($role, $span, text)
    }};
}

mod access;
mod content;
mod des_crypt;
mod htpasswd;
mod variables;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::IpAddr;

use lint403_core::model::{Condition, Matcher, RuleKind, ScopeId, ScopeKind, SiteId};
use lint403_core::{Model, Outcome, Request, Span, Step, StepRole, TraceOptions, Verdict};

use crate::select::{find_location, merge_slashes, named_location, normalize_uri, select_server};

/// nginx allows this many URI changes (rewrites and internal redirects)
/// per request; the next one is answered with 500.
const MAX_URI_CHANGES: u32 = 10;

/// Where relative `root` paths resolve: Debian's compiled-in prefix.
const NGINX_PREFIX: &str = "/usr/share/nginx";

/// The status nginx gives `request` under `model`, with the chain of lines
/// that decide it.
pub fn trace(model: &Model, request: &Request, options: &TraceOptions) -> Verdict {
    trace_reading_referer(model, request, options).0
}

/// [`trace`], and whether the trace read the request's `Referer` (a header
/// test, `$http_referer`, `$invalid_referer`, a `real_ip_header`): when it
/// did not, the same request with any other Referer, or none, gets the
/// same verdict, so a caller trying several need not trace them.
pub fn trace_reading_referer(
    model: &Model,
    request: &Request,
    options: &TraceOptions,
) -> (Verdict, bool) {
    let Some(chosen) = select_server(model, request) else {
        return (
            Verdict::unknown("the configuration has no server block", Vec::new()),
            false,
        );
    };
    let site = chosen.site;
    let server = model.site(site).root;
    let chosen_captures = (chosen.captures, chosen.capture_names);
    let mut tracer = Tracer {
        model,
        request,
        options,
        texts: !options.verdict_only,
        steps: chosen.steps,
        referer_step: None,
        site,
        default_site: chosen.default,
        server,
        uri: String::new(),
        args: request.query.clone(),
        method: request.method.to_ascii_uppercase(),
        client: request.client_ip,
        realip_done: false,
        captures: Captures::Groups(Vec::new()),
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
        read_referer: std::cell::Cell::new(false),
    };
    let captures = chosen_captures;
    tracer.set_captures(captures.0, &captures.1);
    let verdict = tracer.run();
    (verdict, tracer.read_referer.get())
}

/// `$1`…: the groups of the last regex that matched.
#[derive(Clone)]
enum Captures {
    Groups(Vec<Option<String>>),
    /// Those of the regex location `scope` matched against `uri`, looked
    /// for when first read (a location regex matches nearly every request
    /// a rule traces, and few read a group).
    OfLocation {
        scope: lint403_core::model::ScopeId,
        uri: String,
    },
}

#[allow(clippy::struct_excessive_bools)] // nginx's own request flags
struct Tracer<'a> {
    model: &'a Model,
    request: &'a Request,
    options: &'a TraceOptions,
    /// Step texts are written (see `step!`).
    texts: bool,
    steps: Vec<Step>,
    /// The last step that said what `$invalid_referer` is: a refusal
    /// under `if ($invalid_referer)` marks it as deciding.
    referer_step: Option<usize>,
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
    captures: Captures,
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
    /// The request's Referer header was read (see [`trace_reading_referer`]);
    /// a cell, so that reading stays a `&self` operation.
    read_referer: std::cell::Cell<bool>,
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

impl<'a> Tracer<'a> {
    /// A request header, noting when it is the Referer: every read of the
    /// request's headers goes through here.
    fn header(&self, name: &str) -> Option<&'a str> {
        if name.eq_ignore_ascii_case("referer") {
            self.read_referer.set(true);
        }
        self.request.header(name)
    }
}

impl Tracer<'_> {
    fn step(&mut self, role: StepRole, span: Option<Span>, text: impl Into<String>) {
        self.steps.push(Step::new(role, span, text));
    }

    fn run(&mut self) -> Verdict {
        let merge = merge_slashes(self.model, self.model.site(self.default_site).root);
        let Some(uri) = normalize_uri(self.request.path(), merge) else {
            step!(
                self,
                StepRole::Default,
                None,
                "the URI {} climbs above the root or holds a NUL: nginx answers 400",
                self.request.path()
            );
            return self.verdict(400, None);
        };
        if uri != self.request.path() {
            step!(
                self,
                StepRole::Default,
                None,
                "the URI is normalized to {uri} before any location is chosen"
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
        if let Some(scope) = found.captures_of {
            self.captures = Captures::OfLocation {
                scope,
                uri: self.uri.clone(),
            };
        } else if !found.captures.is_empty() {
            self.set_captures(found.captures, &found.capture_names);
        }
        let head = self.model.scope(found.scope).head;
        if found.scope == self.server {
            step!(
                self,
                StepRole::Scope,
                Some(head),
                "no location matches {}: the server's own configuration serves it",
                self.uri
            );
        } else {
            step!(
                self,
                StepRole::Scope,
                Some(head),
                "{} is served by {}",
                self.uri,
                describe_scope(self.model, found.scope)
            );
        }
        if found.auto_redirect {
            step!(
                self,
                StepRole::Decided,
                Some(head),
                "{} lacks the location's trailing slash: nginx redirects (301) to {}/",
                self.uri,
                self.uri
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
                    step!(
                        self,
                        StepRole::Evaluated,
                        Some(head),
                        "{} is exempt from limit_except",
                        self.method
                    );
                } else {
                    step!(
                        self,
                        StepRole::Scope,
                        Some(head),
                        "{} is not listed in limit_except: the block's configuration applies",
                        self.method
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
        step!(
            self,
            StepRole::Evaluated,
            span,
            "internal redirect to {target}"
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
            step!(self, StepRole::Decided, span, "no location {name}: 500");
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
        step!(
            self,
            StepRole::Scope,
            Some(head),
            "the request goes on in {name}"
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
                            step!(
                                self,
                                StepRole::Evaluated,
                                Some(rule.span),
                                "if {} is false",
                                describe_condition(condition)
                            );
                        }
                        Ok(true) => {
                            step!(
                                self,
                                StepRole::Evaluated,
                                Some(rule.span),
                                "if {} is true",
                                describe_condition(condition)
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
                            .referer_step
                            .and_then(|index| self.steps.get_mut(index))
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
                            step!(
                                self,
                                StepRole::Evaluated,
                                Some(rule.span),
                                "rewrite {} does not match {}",
                                pattern.source,
                                self.uri
                            );
                            // As a failed `if` regex does: `$1`… are empty.
                            self.captures = Captures::Groups(Vec::new());
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
                        step!(
                            self,
                            StepRole::Decided,
                            Some(rule.span),
                            "rewrite redirects ({status}) to {expanded}"
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
                    step!(
                        self,
                        StepRole::Evaluated,
                        Some(rule.span),
                        "rewrite changes the URI to {path}"
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
                step!(
                    self,
                    StepRole::Default,
                    None,
                    "the error page is sent with the status {status}"
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
                step!(
                    self,
                    StepRole::Evaluated,
                    span,
                    "error_page: {status} is answered by {target}"
                );
                if self.method != "HEAD" {
                    self.method = "GET".into();
                }
                return Some(self.internal_redirect(&target, span));
            }
            if target.starts_with('@') {
                step!(
                    self,
                    StepRole::Evaluated,
                    span,
                    "error_page: {status} is answered by {target}"
                );
                return Some(self.named_redirect(&target, span));
            }
            let redirect = overwrite
                .filter(|code| matches!(code, 301 | 302 | 303 | 307 | 308))
                .unwrap_or(302);
            step!(
                self,
                StepRole::Decided,
                span,
                "error_page: {status} becomes a redirect ({redirect}) to {target}"
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
}

pub(super) fn truncate(text: &str, max: usize) -> String {
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
        Condition::Var { name: own, .. } => {
            own == name
                || own
                    .match_indices('$')
                    .any(|(at, _)| own[at + 1..].starts_with(name))
        }
        Condition::All(parts) | Condition::Any(parts) => {
            parts.iter().any(|part| mentions(part, name))
        }
        Condition::Not(inner) => mentions(inner, name),
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
        (_, Matcher::If(condition)) => {
            let around = scope.parent.map_or_else(String::new, |parent| {
                format!(" in {}", describe_scope(model, parent))
            });
            format!("the `if ({})` block{around}", describe_condition(condition))
        }
        _ => "a block".into(),
    }
}

/// An `if` condition as nginx's syntax writes it.
pub fn describe_condition(condition: &Condition) -> String {
    use lint403_core::model::{FileTest, TextTest};
    match condition {
        Condition::Var { name, test } => {
            let variable = if name.starts_with('$') {
                name.clone()
            } else {
                format!("${name}")
            };
            match test {
                TextTest::Truthy => variable,
                TextTest::Equals { value, .. } => format!("{variable} = {value}"),
                TextTest::Matches(pattern) => format!(
                    "{variable} {} {}",
                    if pattern.case_insensitive { "~*" } else { "~" },
                    pattern.source
                ),
                other => format!("{variable} {other:?}"),
            }
        }
        Condition::Not(inner) => match inner.as_ref() {
            Condition::Var {
                name,
                test: TextTest::Equals { value, .. },
            } => format!("${name} != {value}"),
            Condition::Var {
                name,
                test: TextTest::Matches(pattern),
            } => format!(
                "${name} {} {}",
                if pattern.case_insensitive {
                    "!~*"
                } else {
                    "!~"
                },
                pattern.source
            ),
            other => format!("!{}", describe_condition(other)),
        },
        Condition::File { path, test } => {
            let op = match test {
                FileTest::File => "-f",
                FileTest::Directory => "-d",
                FileTest::Exists => "-e",
                FileTest::Executable => "-x",
            };
            format!("{op} {path}")
        }
        Condition::Unknown(text) => text.clone(),
        other => format!("{other:?}"),
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

#[cfg(test)]
mod tests {
    use lint403_core::{CheckOptions, SourceFile, SourceMap, TraceOptions};

    /// Whether tracing `GET path` (with a foreign Referer) through `text`
    /// read the Referer, and whether the verdict is the same with the
    /// site's own Referer and with none.
    fn reads(text: &str, path: &str) -> (bool, bool) {
        let mut sources = SourceMap::new();
        let file = sources.add(SourceFile::from_bytes(
            "/tmp/lint403-trace-referer/nginx.conf",
            text.as_bytes().to_vec(),
        ));
        let config = crate::load(&mut sources, file, &CheckOptions::default());
        let options = TraceOptions::default();
        let model = crate::lower(&config, &mut sources, &options);
        lint403_testkit::referer::reads_referer(path, |request| {
            super::trace_reading_referer(&model, request, &options)
        })
    }

    const HOTLINK: &str = "http { server { listen 80; server_name example.com;
        location ~ \\.jpg$ { valid_referers server_names; if ($invalid_referer) { return 403; } }
        location /private/ { deny all; }
        location /header/ { if ($http_referer ~ evil) { return 403; } }
        location /quiet/ { set $from $http_referer; if ($from ~ evil) { return 403; } }
    } }";

    #[test]
    fn a_trace_says_when_it_read_the_referer() {
        // valid_referers, a header variable, a variable copied from one.
        assert_eq!(reads(HOTLINK, "/a.jpg"), (true, false));
        assert!(reads(HOTLINK, "/header/x").0);
        assert_eq!(reads(HOTLINK, "/quiet/x"), (true, false));
        // A refusal (or a page) that never looks at it: the same for any
        // Referer.
        assert_eq!(reads(HOTLINK, "/private/x"), (false, true));
        assert_eq!(reads(HOTLINK, "/"), (false, true));
    }

    #[test]
    fn a_map_over_the_referer_reads_it() {
        let text = "http { map $http_referer $bad { default 0; ~evil 1; }
            server { listen 80; server_name example.com; if ($bad) { return 403; } } }";
        assert_eq!(reads(text, "/"), (true, false));
    }
}
