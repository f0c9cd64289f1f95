//! `lint403 trace`: one request through one server's configuration.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use lint403_core::codes::SYNTAX_ERROR;
use lint403_core::fsview::FsView;
use lint403_core::{
    read, CheckOptions, Diagnostic, Dialect, Model, Request, SourceMap, TraceOptions, Verdict,
};

use crate::detect;

/// What the user asked `trace` to do.
#[derive(Debug, Clone)]
pub struct TraceRequest {
    pub config: PathBuf,
    pub request: Request,
    pub dialect: Option<Dialect>,
    /// Deploy path prefix → local directory.
    pub path_map: Vec<(PathBuf, PathBuf)>,
    /// Assume the distribution's main configuration around a fragment.
    pub distribution_defaults: bool,
}

/// A traced request with everything needed to render it.
pub struct Traced {
    pub sources: SourceMap,
    pub dialect: Dialect,
    pub request: Request,
    pub verdict: Verdict,
    /// Syntax and load problems of the configuration (the server would
    /// refuse to start on a syntax error).
    pub problems: Vec<Diagnostic>,
}

/// Why `trace` could not run.
#[derive(Debug)]
pub enum TraceError {
    Usage(String),
    /// The configuration does not load; the diagnostics say why.
    Broken(SourceMap, Vec<Diagnostic>),
}

/// Parses `--request`, `--client-ip`, `--header`, `--user`, `--listen`.
pub fn build_request(
    line: &str,
    client_ip: Option<&str>,
    headers: &[String],
    user: Option<&str>,
    listen: Option<&str>,
) -> Result<Request, String> {
    let mut request = Request::parse_line(line)?;
    if let Some(ip) = client_ip {
        request.client_ip = ip
            .parse::<IpAddr>()
            .map_err(|_| format!("--client-ip: not an IP address: {ip:?}"))?;
    }
    for header in headers {
        let (name, value) = header
            .split_once(':')
            .ok_or_else(|| format!("--header: expected \"Name: value\", got {header:?}"))?;
        let name = name.trim();
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(format!("--header: bad header name in {header:?}"));
        }
        request.add_header(name, value.trim());
    }
    if let Some(user) = user {
        match user.split_once(':') {
            Some((name, password)) => {
                request.user = Some(name.to_string());
                request.password = Some(password.to_string());
            }
            None => request.user = Some(user.to_string()),
        }
    }
    if let Some(listen) = listen {
        request.listen = Some(
            listen
                .parse::<SocketAddr>()
                .map_err(|_| format!("--listen: expected ADDRESS:PORT, got {listen:?}"))?,
        );
    }
    Ok(request)
}

/// A configuration loaded and lowered, ready to trace requests through.
pub struct Prepared {
    pub sources: SourceMap,
    pub dialect: Dialect,
    pub model: Model,
    pub options: TraceOptions,
    pub problems: Vec<Diagnostic>,
}

impl Prepared {
    pub fn trace(&self, request: &Request) -> Verdict {
        match self.dialect {
            Dialect::Nginx => lint403_nginx::trace(&self.model, request, &self.options),
            Dialect::Apache => lint403_apache::trace(&self.model, request, &self.options),
            Dialect::Iis => lint403_iis::trace(&self.model, request, &self.options),
        }
    }
}

/// Reads the configuration at `config` (and what it includes) and lowers
/// it; `Err` when it cannot be read or has syntax errors.
pub fn prepare(
    config: &Path,
    dialect: Option<Dialect>,
    check_options: &CheckOptions,
    options: TraceOptions,
) -> Result<Prepared, TraceError> {
    let source = read::read_source(config)
        .map_err(|error| TraceError::Usage(format!("{}: {error}", config.display())))?;
    let dialect = dialect
        .or_else(|| detect::detect(config, &source.text).map(|(dialect, _)| dialect))
        .ok_or_else(|| {
            TraceError::Usage(format!(
                "{}: cannot tell which server this file is for; pass --dialect nginx|apache|iis",
                config.display()
            ))
        })?;
    let mut sources = SourceMap::new();
    let file = sources.add(source);
    let (model, problems) = lower(dialect, &mut sources, file, check_options, &options);
    if problems.iter().any(|problem| problem.code == SYNTAX_ERROR) {
        return Err(TraceError::Broken(sources, problems));
    }
    Ok(Prepared {
        sources,
        dialect,
        model,
        options,
        problems,
    })
}

/// Loads, lowers and traces the request of `lint403 trace`: absolute
/// paths are read as they are on this machine unless `--map` maps them.
pub fn run(asked: &TraceRequest) -> Result<Traced, TraceError> {
    let check_options = CheckOptions {
        follow_absolute_includes: true,
        path_map: asked.path_map.clone(),
        ..CheckOptions::default()
    };
    let options = TraceOptions {
        fs: FsView {
            path_map: asked.path_map.clone(),
            read_unmapped: true,
        },
        distribution_defaults: asked.distribution_defaults
            && !crate::run::is_main_config(&asked.config),
        verdict_only: false,
    };
    let prepared = prepare(&asked.config, asked.dialect, &check_options, options)?;
    let verdict = prepared.trace(&asked.request);
    Ok(Traced {
        sources: prepared.sources,
        dialect: prepared.dialect,
        request: asked.request.clone(),
        verdict,
        problems: prepared.problems,
    })
}

/// The model of the configuration at `file`, with its load problems.
pub fn lower(
    dialect: Dialect,
    sources: &mut SourceMap,
    file: lint403_core::FileId,
    check_options: &CheckOptions,
    options: &TraceOptions,
) -> (Model, Vec<Diagnostic>) {
    match dialect {
        Dialect::Nginx => {
            let config = lint403_nginx::load(sources, file, check_options);
            let problems = lint403_nginx::check_loaded(&config, sources).diagnostics;
            (lint403_nginx::lower(&config, sources, options), problems)
        }
        Dialect::Apache => {
            let config = lint403_apache::load(sources, file, check_options);
            let problems = lint403_apache::check_loaded(&config).diagnostics;
            (lint403_apache::lower(&config, sources, options), problems)
        }
        Dialect::Iis => {
            let config = lint403_iis::load(sources, file, check_options);
            let problems = lint403_iis::check_loaded(&config).diagnostics;
            (lint403_iis::lower(&config, sources, options), problems)
        }
    }
}
