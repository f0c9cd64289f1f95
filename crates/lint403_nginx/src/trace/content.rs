//! `try_files` and the content phase: handlers, `index`, `autoindex`,
//! static files, and how URIs map to paths.

use std::path::{Path, PathBuf};

use lint403_core::model::{Matcher, RuleKind, ScopeKind};
use lint403_core::{Span, StepRole};

use super::{Next, Response, Tracer, NGINX_PREFIX};
use crate::lower::CONTENT_HANDLERS;

impl Tracer<'_> {
    /// `try_files` of the configuration in effect (it is not inherited).
    pub(super) fn try_files(&mut self) -> Option<Next> {
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
                step!(
                    self,
                    StepRole::Filesystem,
                    Some(span),
                    "try_files {value}: assumed to exist (no filesystem view)"
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
                step!(
                    self,
                    StepRole::Filesystem,
                    Some(span),
                    "try_files {value}: {} exists",
                    path.display()
                );
                self.accept_try(new_uri, test_dir);
                return None;
            }
            step!(
                self,
                StepRole::Filesystem,
                Some(span),
                "try_files {value}: no {} at {}",
                if test_dir { "directory" } else { "file" },
                path.display()
            );
        }
        if let Some(code) = last.strip_prefix('=') {
            let status = code.parse().unwrap_or(404);
            step!(
                self,
                StepRole::Decided,
                Some(span),
                "try_files falls back to ={status}"
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

    pub(super) fn accept_try(&mut self, uri: String, test_dir: bool) {
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
    pub(super) fn handler(&self) -> Option<(String, Span)> {
        for scope in self.model.ancestry(self.conf) {
            for rule in self.model.scope(scope).rules.iter().rev() {
                if let RuleKind::Setting { name, args } = &rule.kind {
                    if CONTENT_HANDLERS.contains(&name.as_ref()) {
                        if name == "dav_methods" {
                            if args.iter().any(|m| m.eq_ignore_ascii_case(&self.method)) {
                                return Some((name.to_string(), rule.span));
                            }
                            continue;
                        }
                        return Some((name.to_string(), rule.span));
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

    pub(super) fn content(&mut self) -> Next {
        if let Some((name, span)) = self.handler() {
            step!(
                self,
                StepRole::Decided,
                Some(span),
                "{name}: the configuration lets the request through to a handler; the upstream \
                     or handler may still refuse it (outside what lint403 can see)"
            );
            return Next::Unknown(format!(
                "{name} answers this request: the configuration lets it through, and the status \
                 (possibly a 403) is the upstream's or handler's decision"
            ));
        }
        if !matches!(self.method.as_str(), "GET" | "HEAD" | "POST") {
            step!(
                self,
                StepRole::Decided,
                None,
                "the static module serves only GET, HEAD and POST: {} gets 405",
                self.method
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
            step!(
                self,
                StepRole::Filesystem,
                None,
                "{} is assumed to be an existing file (no filesystem view)",
                path.display()
            );
            return self.serve_file();
        };
        match kind {
            Look::Missing => {
                step!(
                    self,
                    StepRole::Decided,
                    root,
                    "{} does not exist: 404",
                    path.display()
                );
                Next::Finish(Response {
                    status: 404,
                    special: true,
                    span: root,
                })
            }
            Look::Forbidden(reason) => {
                let span = reason.1;
                step!(self, StepRole::Decided, span, "{}: 403", reason.0);
                self.fix = Some(reason.0);
                Next::Finish(Response {
                    status: 403,
                    special: true,
                    span,
                })
            }
            Look::Dir => {
                step!(
                    self,
                    StepRole::Decided,
                    root,
                    "{} is a directory: nginx redirects (301) to {}/",
                    path.display(),
                    self.uri
                );
                Next::Finish(Response {
                    status: 301,
                    special: true,
                    span: root,
                })
            }
            Look::Other => {
                step!(
                    self,
                    StepRole::Decided,
                    root,
                    "{} is not a regular file: 404",
                    path.display()
                );
                Next::Finish(Response {
                    status: 404,
                    special: true,
                    span: root,
                })
            }
            Look::File => {
                step!(
                    self,
                    StepRole::Filesystem,
                    None,
                    "{} is a file",
                    path.display()
                );
                self.serve_file()
            }
        }
    }

    /// The `root` or `alias` line in effect, for static outcomes.
    pub(super) fn root_span(&self) -> Option<Span> {
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

    pub(super) fn serve_file(&mut self) -> Next {
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
    pub(super) fn directory(&mut self) -> Next {
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
                step!(
                    self,
                    StepRole::Filesystem,
                    index_span,
                    "index {name}: assumed to exist (no filesystem view)"
                );
                let target = format!("{}{name}", self.uri);
                return self.internal_redirect(&target, index_span);
            };
            match kind {
                Look::File | Look::Dir | Look::Other => {
                    let target = format!("{}{name}", self.uri);
                    step!(
                        self,
                        StepRole::Filesystem,
                        index_span,
                        "index file {} exists",
                        file.display()
                    );
                    return self.internal_redirect(&target, index_span);
                }
                Look::Forbidden(reason) => {
                    step!(self, StepRole::Decided, reason.1, "{}: 403", reason.0);
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
                                step!(
                                    self,
                                    StepRole::Decided,
                                    None,
                                    "the directory {} does not exist: 404",
                                    dir_path.display()
                                );
                                return Next::Finish(Response {
                                    status: 404,
                                    special: true,
                                    span: None,
                                });
                            }
                            Some(Look::Forbidden(reason)) => {
                                step!(self, StepRole::Decided, reason.1, "{}: 403", reason.0);
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
                    step!(
                        self,
                        StepRole::Filesystem,
                        index_span,
                        "no index file {}",
                        file.display()
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
                        step!(self, StepRole::Decided, reason.1, "{}: 403", reason.0);
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
        step!(
            self,
            StepRole::Decided,
            span,
            "directory index of \"{}\" is forbidden: no index file ({}) and autoindex off",
            dir_path.display(),
            indices.join(" ")
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

    pub(super) fn note_no_view(&mut self, path: &Path) {
        if !self.no_view_noted {
            self.no_view_noted = true;
            step!(
                self,
                StepRole::Filesystem,
                None,
                "lint403 has no view of {} (map the document root with `paths:` to read it); \
                     the target is assumed to be an existing file",
                path.display()
            );
        }
    }

    /// The filesystem path of `uri` (`ngx_http_map_uri_to_path`): the
    /// effective `root` plus the URI, or the `alias` replacing the
    /// location's part of it.
    pub(super) fn map_path(&mut self, uri: &str) -> Result<PathBuf, String> {
        self.path_of(uri, false)
    }

    /// The path of a `try_files` name: the root (for a regex `alias`, the
    /// alias itself) followed by the name, without the location's part.
    pub(super) fn try_path(&mut self, name: &str) -> Result<PathBuf, String> {
        self.path_of(name, true)
    }

    pub(super) fn path_of(&mut self, uri: &str, try_files: bool) -> Result<PathBuf, String> {
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
    pub(super) fn look(&self, path: &Path) -> Option<Look> {
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
                    return Some(permission_denied("read", &current));
                }
                return Some(Look::File);
            }
            if !target.is_dir() {
                return Some(Look::Missing);
            }
            if !others_may(&target, 0o1) {
                return Some(permission_denied("enter", &current));
            }
        }
        // The path is the mapped root itself.
        match std::fs::metadata(&current) {
            Ok(meta) if meta.is_dir() => {
                if others_may(&meta, 0o1) {
                    Some(Look::Dir)
                } else {
                    Some(permission_denied("enter", &current))
                }
            }
            Ok(_) => Some(Look::File),
            Err(_) => Some(Look::Missing),
        }
    }

    pub(super) fn expand_quiet(&self, text: &str) -> String {
        let mut copy = Tracer {
            model: self.model,
            request: self.request,
            options: self.options,
            // Its steps are dropped.
            texts: false,
            steps: Vec::new(),
            referer_step: None,
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
            read_referer: std::cell::Cell::new(false),
        };
        let expanded = copy.expand(text).unwrap_or_default();
        if copy.read_referer.get() {
            self.read_referer.set(true);
        }
        expanded
    }
}

/// What is at a path, as the static, index and `try_files` code sees it.
pub(super) enum Look {
    File,
    Dir,
    /// Not a regular file or directory.
    Other,
    Missing,
    /// Refused (a symlink under `disable_symlinks`, a permission): why and
    /// the deciding line.
    Forbidden((String, Option<Span>)),
}

/// `.` and `..` of a path resolved by text (nginx builds paths by
/// concatenation; the kernel resolves these components itself).
pub(super) fn lexical(path: &Path) -> PathBuf {
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

/// The worker (running as `nobody`) lacks the mode bit to `verb` `path`.
fn permission_denied(verb: &str, path: &Path) -> Look {
    Look::Forbidden((
        format!(
            "the worker may not {verb} {} (permission denied)",
            path.display()
        ),
        None,
    ))
}
