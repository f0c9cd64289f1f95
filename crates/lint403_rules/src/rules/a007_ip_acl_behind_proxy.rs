//! ## What it does
//! Opt-in: when `.lint403.yaml` declares the proxies or load balancers in
//! front of the site (`site: {behind-proxy: [10.0.0.2/32]}`), flags an
//! address-based access rule (nginx `allow`/`deny`, Apache `Require ip` /
//! `Allow from`, IIS `ipSecurity`) in a configuration that does not
//! restore the client's address from the proxy's header (nginx
//! `set_real_ip_from` + `real_ip_header`, Apache `RemoteIPHeader` +
//! `RemoteIPTrustedProxy`, IIS `ipSecurity enableProxyMode="true"`).
//!
//! Each site is traced twice for the same clients — once connecting
//! directly, once through the proxy with `X-Forwarded-For` naming the
//! client — and the rule reports the line that decides the two
//! differently.
//!
//! ## Why it causes 403
//! Behind a proxy every request arrives from the proxy's address. The
//! list then decides for the proxy, not for the client: if the proxy is
//! allowed (an internal network range), everyone is let in; if it is not,
//! everyone — the office included — gets 403.
//!
//! ## Example
//! ```nginx
//! # file: nginx/site.conf
//! server {
//!     listen 80;
//!     location /admin/ {
//!         allow 10.0.0.0/8;
//!         deny all;
//!     }
//! }
//! ```
//! ```yaml
//! # file: .lint403.yaml
//! site:
//!   behind-proxy: [10.0.0.2/32]
//! ```
//! `GET /admin/` from 198.51.100.77 through the proxy → 200: the proxy's
//! 10.0.0.2 is what the list sees.
//!
//! ## Fix
//! Restore the client address from the proxy's header first:
//! ```nginx
//! # file: nginx/site.conf
//! server {
//!     listen 80;
//!     set_real_ip_from 10.0.0.2;
//!     real_ip_header X-Forwarded-For;
//!     location /admin/ {
//!         allow 10.0.0.0/8;
//!         deny all;
//!     }
//! }
//! ```
//! ```yaml
//! # file: .lint403.yaml
//! site:
//!   behind-proxy: [10.0.0.2/32]
//! ```
//!
//! ## References
//! - nginx realip: <https://nginx.org/en/docs/http/ngx_http_realip_module.html>
//! - Apache `mod_remoteip`: <https://httpd.apache.org/docs/2.4/mod/mod_remoteip.html>
//! - IIS `enableProxyMode`: <https://learn.microsoft.com/iis/configuration/system.webserver/security/ipsecurity/>
//! - Without a `behind-proxy` setting the rule never runs (lint403 cannot
//!   know a proxy is there).

use std::net::IpAddr;

use lint403_core::model::{RuleKind, Subject};
use lint403_core::{Code, Diagnostic, Dialect, Model, Severity, Span};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::RuleContext;

pub const RULE: Rule = Rule {
    code: Code {
        code: "A007",
        name: "ip-acl-behind-proxy",
        default_severity: Severity::Info,
        summary: "behind a declared proxy, an address rule decides for the proxy, not the client",
        doc: "",
    },
    family: Family::Access,
    dialects: &[Dialect::Nginx, Dialect::Apache, Dialect::Iis],
    likelihood: Likelihood::Occasional,
    fix: FixDifficulty::Moderate,
    source: include_str!("a007_ip_acl_behind_proxy.rs"),
    check,
};

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(proxy) = context
        .facts()
        .behind_proxy
        .first()
        .map(|cidr| cidr.sample_host())
    else {
        return;
    };
    let Some(lowered) = context.lowered() else {
        return;
    };
    if restores_client_address(&lowered.model) {
        return;
    }
    let (paths, clients) = ip_rules(&lowered.model);
    if clients.is_empty() {
        return;
    }
    let mut reported: Vec<Span> = Vec::new();
    for site in lowered.sites() {
        for path in &paths {
            for client in &clients {
                let mut direct = lowered.request(site, path);
                direct.client_ip = *client;
                let mut proxied = direct.clone();
                proxied.client_ip = proxy;
                proxied.set_header("X-Forwarded-For", &client.to_string());
                let (direct, proxied) = (lowered.trace(&direct), lowered.trace(&proxied));
                if direct.outcome == proxied.outcome
                    || direct.status.is_none()
                    || proxied.status.is_none()
                {
                    continue;
                }
                let Some(span) = lowered
                    .deciding(&proxied)
                    .or_else(|| lowered.deciding(&direct))
                else {
                    continue;
                };
                if reported.contains(&span) {
                    continue;
                }
                reported.push(span);
                let status = |verdict: &lint403_core::Verdict| {
                    verdict
                        .status
                        .map_or_else(|| "?".to_string(), |status| status.to_string())
                };
                out.push(
                    Diagnostic::new(
                        RULE.code,
                        span,
                        format!(
                            "GET {path} from {client} through the proxy {proxy} → {} (decided for the proxy's address), connecting directly → {}",
                            status(&proxied),
                            status(&direct)
                        ),
                    )
                    .with_label("sees the proxy, not the client")
                    .with_help(restore_help(context.config.dialect(), proxy)),
                );
            }
        }
    }
}

fn restore_help(dialect: Dialect, proxy: IpAddr) -> String {
    match dialect {
        Dialect::Nginx => format!(
            "restore the client address first: `set_real_ip_from {proxy}; real_ip_header X-Forwarded-For;`"
        ),
        Dialect::Apache => format!(
            "restore the client address first: `RemoteIPHeader X-Forwarded-For` and `RemoteIPTrustedProxy {proxy}` (mod_remoteip)"
        ),
        Dialect::Iis => {
            "set `enableProxyMode=\"true\"` on `ipSecurity`, so IIS checks the X-Forwarded-For address".to_string()
        }
    }
}

/// Whether the configuration takes client addresses from a proxy header.
fn restores_client_address(model: &Model) -> bool {
    let named = [
        "set_real_ip_from",
        "real_ip_header",
        "remoteipheader",
        "remoteiptrustedproxy",
        "remoteipinternalproxy",
    ];
    // A directive the lowering does not model (mod_remoteip's) is kept as
    // a gap that names it.
    let in_gaps = model.gaps.iter().any(|gap| {
        let reason = gap.reason.to_ascii_lowercase();
        named.iter().any(|own| reason.contains(own))
    });
    in_gaps
        || model
            .scopes
            .iter()
            .flat_map(|scope| &scope.rules)
            .chain(&model.global)
            .any(|rule| match &rule.kind {
                RuleKind::Setting { name, args } => {
                    named.iter().any(|own| name.eq_ignore_ascii_case(own))
                        || args.iter().any(|arg| {
                            arg.to_ascii_lowercase().replace(' ', "") == "enableproxymode=true"
                        })
                }
                _ => false,
            })
}

/// The paths of scopes with address rules (their prefixes, else `/`) and
/// clients worth trying: one inside each listed network, one outside all.
fn ip_rules(model: &Model) -> (Vec<String>, Vec<IpAddr>) {
    let mut paths = vec!["/".to_string()];
    let mut clients: Vec<IpAddr> = Vec::new();
    let roots: Vec<String> = model
        .sites
        .iter()
        .flat_map(|site| site.document_roots.iter())
        .map(|root| root.trim_matches('"').trim_end_matches('/').to_string())
        .collect();
    // A `<Directory>` below a document root is reached by the URL of its
    // path relative to that root.
    let url_of_dir = |dir: &str| {
        let dir = dir.trim_matches('"').trim_end_matches('/');
        roots.iter().find_map(|root| {
            let rest = dir.strip_prefix(root.as_str())?;
            (rest.is_empty() || rest.starts_with('/')).then(|| format!("{rest}/"))
        })
    };
    for scope in &model.scopes {
        let mut has_ip = false;
        collect_ips(&scope.rules, &mut clients, &mut has_ip);
        if has_ip {
            let path = match &scope.matcher {
                lint403_core::model::Matcher::Prefix(path)
                | lint403_core::model::Matcher::PrefixNoRegex(path)
                | lint403_core::model::Matcher::Exact(path) => Some(path.clone()),
                lint403_core::model::Matcher::Dir(dir) => url_of_dir(dir),
                _ => None,
            };
            if let Some(path) = path.filter(|path| path.starts_with('/')) {
                if !paths.contains(&path) {
                    paths.push(path);
                }
            }
        }
    }
    if !clients.is_empty() {
        clients.push(IpAddr::from([198, 51, 100, 77]));
    }
    (paths, clients)
}

fn collect_ips(rules: &[lint403_core::model::Rule], clients: &mut Vec<IpAddr>, has_ip: &mut bool) {
    for rule in rules {
        match &rule.kind {
            RuleKind::Access {
                subject: Subject::Ip(cidr),
                ..
            } => {
                *has_ip = true;
                let host = cidr.sample_host();
                if !clients.contains(&host) {
                    clients.push(host);
                }
            }
            RuleKind::Combine { children, .. } => collect_ips(children, clients, has_ip),
            _ => {}
        }
    }
}
