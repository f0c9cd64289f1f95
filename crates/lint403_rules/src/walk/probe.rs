//! Probe requests through the shared model: the configuration is lowered
//! by its dialect crate and each probe path of RULES.md §5 is traced, for
//! every site, by that dialect's tracer — the same selection and
//! evaluation `lint403 trace` runs. Rules that ask "what does this deny?"
//! read the verdicts instead of re-deriving the server's semantics.
//!
//! Probes are anonymous GETs from 203.0.113.5 without a Referer, to the
//! site's first listen address with its first plain name as `Host`. There
//! is no filesystem view in `check` (deploy paths are not on this
//! machine), so the tracers treat targets as existing files; and no
//! distribution defaults are assumed, so a refusal always comes from a
//! line of the configuration.

use std::net::{IpAddr, SocketAddr};

use lint403_core::model::{Model, SiteId};
use lint403_core::{Request, SourceMap, Span, TraceOptions, Verdict};

use crate::{Loaded, RuleContext};

/// Paths every public site is expected to serve (RULES.md §5.1).
pub const MUST_ALLOW: &[&str] = &[
    "/",
    "/index.html",
    "/robots.txt",
    "/favicon.ico",
    "/sitemap.xml",
    "/.well-known/acme-challenge/t",
    "/.well-known/security.txt",
    "/assets/app.js",
    "/images/photo.jpg",
    "/blog/2024/post",
];

/// The ACME HTTP-01 challenge and the other `/.well-known/` files.
pub const WELL_KNOWN: &[&str] = &["/.well-known/acme-challenge/t", "/.well-known/security.txt"];

/// Dot-paths a dotfile block is meant to refuse (RULES.md §5.2).
pub const DOTFILES: &[&str] = &["/.git/config", "/.env", "/.htpasswd"];

/// The verdict of one probe on one site.
pub struct Probe {
    pub site: SiteId,
    pub path: &'static str,
    pub verdict: Verdict,
}

/// A configuration lowered into the model, ready to trace requests.
pub struct Lowered<'c> {
    pub model: Model,
    config: Loaded<'c>,
    options: TraceOptions,
    /// Files the report knows; lowering may read more (an IIS folder's
    /// web.config), whose spans a diagnostic must not use.
    known_files: usize,
}

impl<'c> Lowered<'c> {
    /// `None` when the configuration has no site (a fragment with no
    /// server of its own).
    pub fn of(context: &RuleContext<'c>) -> Option<Lowered<'c>> {
        let mut sources: SourceMap = context.sources.clone();
        let options = TraceOptions::default();
        let model = lower(context.config, &mut sources, &options);
        if model.sites.is_empty() {
            return None;
        }
        Some(Lowered {
            model,
            config: context.config,
            options,
            known_files: context.sources.len(),
        })
    }

    /// An anonymous `GET path` from 203.0.113.5 to `site`: its first
    /// listen socket, its first plain name as `Host`.
    pub fn request(&self, site: SiteId, path: &str) -> Request {
        let site = self.model.site(site);
        let mut request = Request::new("GET", path);
        request.client_ip = IpAddr::from([203, 0, 113, 5]);
        if let Some(name) = site.names.iter().find(|name| is_plain_host(name)) {
            request.set_header("Host", name);
        }
        request.listen = site.listen.first().map(|listen| {
            SocketAddr::new(
                listen.address.unwrap_or(IpAddr::from([127, 0, 0, 1])),
                listen.port,
            )
        });
        request
    }

    pub fn trace(&self, request: &Request) -> Verdict {
        trace(self.config, &self.model, request, &self.options)
    }

    /// The deciding line of a verdict, when it is in a file of the report.
    pub fn deciding(&self, verdict: &Verdict) -> Option<Span> {
        verdict
            .decided_by
            .first()
            .copied()
            .filter(|span| (span.file.0 as usize) < self.known_files)
    }

    /// `span` when it is in a file of the report.
    pub fn known(&self, span: Span) -> Option<Span> {
        ((span.file.0 as usize) < self.known_files).then_some(span)
    }

    /// The site's plain host names (no wildcards, regexes or addresses).
    pub fn hosts(&self, site: SiteId) -> Vec<String> {
        self.model
            .site(site)
            .names
            .iter()
            .filter(|name| is_plain_host(name))
            .map(|name| name.to_ascii_lowercase())
            .collect()
    }

    pub fn sites(&self) -> impl Iterator<Item = SiteId> {
        (0..self.model.sites.len()).map(SiteId)
    }
}

/// A lowered configuration and the probes traced through it.
pub struct Probes<'c> {
    pub lowered: Lowered<'c>,
    pub probes: Vec<Probe>,
}

impl<'c> Probes<'c> {
    /// Lowers `context`'s configuration and traces `paths` on every site.
    pub fn run(context: &RuleContext<'c>, paths: &[&'static str]) -> Option<Probes<'c>> {
        let lowered = Lowered::of(context)?;
        let mut probes = Vec::new();
        for site in lowered.sites() {
            for path in paths {
                let verdict = lowered.trace(&lowered.request(site, path));
                probes.push(Probe {
                    site,
                    path,
                    verdict,
                });
            }
        }
        Some(Probes { lowered, probes })
    }

    /// The deciding line of a probe, when it is in a file of the report.
    pub fn deciding(&self, probe: &Probe) -> Option<Span> {
        self.lowered.deciding(&probe.verdict)
    }

    /// The probes of one site.
    pub fn of_site(&self, site: SiteId) -> impl Iterator<Item = &Probe> {
        self.probes.iter().filter(move |probe| probe.site == site)
    }
}

/// `example.com`, not `*.example.com`, `~regex`, `_` or an address.
fn is_plain_host(name: &str) -> bool {
    !name.is_empty()
        && name != "_"
        && !name.starts_with(['~', '*', '.'])
        && !name.contains(['*', '$', '(', '['])
        && name.parse::<IpAddr>().is_err()
}

fn lower(config: Loaded<'_>, sources: &mut SourceMap, options: &TraceOptions) -> Model {
    match config {
        Loaded::Nginx(config) => lint403_nginx::lower(config, sources, options),
        Loaded::Apache(config) => lint403_apache::lower(config, sources, options),
        Loaded::Iis(config) => lint403_iis::lower(config, sources, options),
    }
}

fn trace(config: Loaded<'_>, model: &Model, request: &Request, options: &TraceOptions) -> Verdict {
    match config {
        Loaded::Nginx(_) => lint403_nginx::trace(model, request, options),
        Loaded::Apache(_) => lint403_apache::trace(model, request, options),
        Loaded::Iis(_) => lint403_iis::trace(model, request, options),
    }
}
