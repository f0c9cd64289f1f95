//! The access phase (`allow`/`deny`, `auth_basic`, `satisfy`) and realip
//! before it.

use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use lint403_core::model::{first_match, Action, AuthKind, Matcher, RuleKind, Satisfy, ScopeId};
use lint403_core::{Span, StepRole};

use super::{describe_scope, htpasswd, Response, Tracer};
use crate::lower::OPAQUE_ACCESS;

impl Tracer<'_> {
    /// The access phase: `None` when the request passes.
    #[allow(clippy::too_many_lines)] // allow/deny, auth_basic and satisfy interleave
    pub(super) fn access(&mut self) -> Option<Result<Response, String>> {
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
                    if action == Action::Deny {
                        // An allow further down that the client matches:
                        // it would decide had it come first.
                        let later = model
                            .scope(scope)
                            .access_rules()
                            .skip_while(|own| own.span != rule.span)
                            .skip(1)
                            .find(|own| {
                                matches!(&own.kind, RuleKind::Access { action: Action::Allow, subject, .. }
                                    if match subject {
                                        lint403_core::model::Subject::All => true,
                                        lint403_core::model::Subject::Ip(cidr) => cidr.contains(client),
                                        _ => false,
                                    })
                            });
                        if let Some(later) = later {
                            step!(
                                self,
                                StepRole::WouldChange,
                                Some(later.span),
                                "this allow matches {client} too, but comes after the deny"
                            );
                        }
                    }
                }
                Ok(None) => {
                    step!(
                        self,
                        StepRole::Evaluated,
                        Some(model.scope(scope).head),
                        "no allow/deny of {} matches {client}: the access module declines",
                        describe_scope(model, scope)
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
    pub(super) fn opaque(&mut self) -> Result<(), String> {
        for scope in self.model.ancestry(self.conf) {
            for rule in &self.model.scope(scope).rules {
                if let RuleKind::Setting { name, .. } = &rule.kind {
                    if OPAQUE_ACCESS.contains(&name.as_ref()) {
                        let text = format!("{name} decides here, and lint403 does not run it");
                        self.step(StepRole::Evaluated, Some(rule.span), text.clone());
                        return Err(text);
                    }
                }
            }
        }
        Ok(())
    }

    pub(super) fn realip_configured(&self) -> bool {
        self.effective_setting("set_real_ip_from").is_some()
    }

    /// `ngx_http_realip_module`: a trusted client's address is replaced by
    /// the one its header names (the last of X-Forwarded-For; with
    /// `real_ip_recursive on`, the last untrusted one).
    pub(super) fn realip(&mut self) {
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
        if header.eq_ignore_ascii_case("referer") {
            self.read_referer.set(true);
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
            step!(
                self,
                StepRole::Evaluated,
                from_span,
                "realip: {} is trusted, so the client is {client} from {header}",
                self.client
            );
            self.client = client;
        }
    }

    pub(super) fn mark_decided(&mut self, span: Span, text: &str) {
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

    pub(super) fn deny_fix(&self, scope: Option<ScopeId>) -> String {
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

    pub(super) fn auth_configured(&self) -> bool {
        self.auth_realm().is_some_and(|(enabled, _)| enabled) && self.user_file().is_some()
    }

    pub(super) fn auth_realm(&self) -> Option<(bool, Span)> {
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

    pub(super) fn user_file(&self) -> Option<(String, Span)> {
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
                    } => Some((file.to_string(), rule.span)),
                    _ => None,
                })
        })
    }

    /// `auth_basic`: `None` when it passes or does not apply.
    pub(super) fn auth_basic(&mut self) -> Result<Option<Response>, String> {
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
            step!(self, StepRole::Evaluated, Some(file_span), "the user file {} is not visible to lint403: user {user} and the password are assumed valid",
                    path.display());
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
                    step!(
                        self,
                        StepRole::Decided,
                        Some(file_span),
                        "user {user} is not in {}: 401",
                        path.display()
                    );
                    return Ok(Some(Response {
                        status: 401,
                        special: true,
                        span: Some(file_span),
                    }));
                };
                let Some(password) = self.request.password.clone() else {
                    step!(
                        self,
                        StepRole::Evaluated,
                        Some(file_span),
                        "user {user} is in {} (the password is assumed right)",
                        path.display()
                    );
                    return Ok(None);
                };
                match htpasswd::verify(&password, &hash) {
                    Some(true) => {
                        step!(self, StepRole::Evaluated, Some(file_span), "user {user} and the password match {}", path.display());
                        Ok(None)
                    }
                    Some(false) => {
                        step!(self, StepRole::Decided, Some(file_span), "the password of {user} does not match {}: 401", path.display());
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
                step!(
                    self,
                    StepRole::Decided,
                    Some(file_span),
                    "the user file {} does not exist: nginx answers 403",
                    path.display()
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
                step!(
                    self,
                    StepRole::Decided,
                    Some(file_span),
                    "the user file {} cannot be read ({error}): 500",
                    path.display()
                );
                Ok(Some(Response {
                    status: 500,
                    special: true,
                    span: Some(file_span),
                }))
            }
        }
    }

    pub(super) fn conf_prefix(&self) -> String {
        self.model
            .global
            .iter()
            .find_map(|rule| match &rule.kind {
                RuleKind::Setting { name, args } if name == "conf-prefix" => args.first().cloned(),
                _ => None,
            })
            .unwrap_or_else(|| "/etc/nginx".into())
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
