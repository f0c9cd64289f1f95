//! Which sections apply to a request, by httpd's own rules: the virtual
//! host by address and `Host`, then the per-directory sections in the
//! fixed merge order (`<Directory>` by component count with each
//! directory's `.htaccess` right after it, `<DirectoryMatch>` on the full
//! file path, `<Files>`/`<FilesMatch>` on the last segment, `<Location>`/
//! `<LocationMatch>` on the URI, `<If>` last).

use std::net::SocketAddr;

use lint403_core::model::{Matcher, ScopeId, ScopeKind, Selection, SiteId};
use lint403_core::{Model, Request, Selector, Step, StepRole};

/// The Apache [`Selector`]. Without a filesystem view it takes a path
/// ending in `/` for a directory and anything else for a file; the tracer
/// does the same walk with the filesystem.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApacheSelector;

impl Selector for ApacheSelector {
    fn select(&self, model: &Model, request: &Request) -> Selection {
        crate::trace::select(model, request)
    }
}

/// A short description of a scope for steps.
pub(crate) fn describe_scope(model: &Model, id: ScopeId) -> String {
    let scope = model.scope(id);
    match (&scope.kind, &scope.matcher) {
        (ScopeKind::Global, _) => "the main server configuration".to_string(),
        (ScopeKind::Server, _) => "the <VirtualHost>".to_string(),
        (ScopeKind::Htaccess, Matcher::Dir(dir)) => format!("{dir}.htaccess"),
        (ScopeKind::Directory, Matcher::Dir(dir)) => format!("<Directory {dir}>"),
        (ScopeKind::Directory, Matcher::DirRegex(re)) => format!("<DirectoryMatch {}>", re.source),
        (ScopeKind::Files, Matcher::FileName(name)) => format!("<Files {name}>"),
        (ScopeKind::Files, Matcher::FileRegex(re)) => format!("<FilesMatch {}>", re.source),
        (ScopeKind::Location, Matcher::Prefix(path)) => format!("<Location {path}>"),
        (ScopeKind::Location, Matcher::Regex(re)) => format!("<LocationMatch {}>", re.source),
        (ScopeKind::If, _) => "<If>".to_string(),
        (ScopeKind::Limit | ScopeKind::LimitExcept, Matcher::Methods { methods, except }) => {
            format!(
                "<{} {}>",
                if *except { "LimitExcept" } else { "Limit" },
                methods.join(" ")
            )
        }
        _ => "a section".to_string(),
    }
}

/// The site httpd picks: the virtual hosts bound to the connection's
/// address (an exact address before `*`/`_default_`), then the first whose
/// `ServerName`/`ServerAlias` matches `Host`, else the first of them; with
/// no virtual host for the address, the main server.
pub fn choose_site(model: &Model, request: &Request) -> Option<(SiteId, Step)> {
    let main = SiteId(0);
    if model.sites.is_empty() {
        return None;
    }
    if let Some(site) = request.site.filter(|site| site.0 < model.sites.len()) {
        let head = model.scope(model.site(site).root).head;
        return Some((
            site,
            Step::new(StepRole::Site, Some(head), "this site, as asked"),
        ));
    }
    let local = request.listen.or_else(|| first_listen(model));
    let vhosts: Vec<SiteId> = (1..model.sites.len()).map(SiteId).collect();
    let bound = |exact: bool| -> Vec<SiteId> {
        vhosts
            .iter()
            .copied()
            .filter(|id| {
                model.site(*id).listen.iter().any(|listen| {
                    let port_ok = listen.port == 0 || local.is_none_or(|l| l.port() == listen.port);
                    let address_ok = match (listen.address, local) {
                        (Some(address), Some(l)) => exact && address == l.ip(),
                        (Some(_), None) => exact,
                        (None, _) => !exact,
                    };
                    port_ok && address_ok
                })
            })
            .collect()
    };
    let mut candidates = bound(true);
    if candidates.is_empty() {
        candidates = bound(false);
    }
    if candidates.is_empty() {
        let site = model.site(main);
        return Some((
            main,
            Step::new(
                StepRole::Site,
                None,
                format!(
                    "no <VirtualHost> matches the address: the main server serves the request (document root {})",
                    site.document_roots.first().map_or("?", String::as_str)
                ),
            ),
        ));
    }
    let host = request.host();
    if let Some(host) = &host {
        for id in &candidates {
            if model
                .site(*id)
                .names
                .iter()
                .any(|name| name_matches(name, host))
            {
                return Some((
                    *id,
                    Step::new(
                        StepRole::Site,
                        Some(model.scope(model.site(*id).root).head),
                        format!(
                            "the <VirtualHost> whose ServerName/ServerAlias matches Host {host}"
                        ),
                    ),
                ));
            }
        }
    }
    let first = candidates[0];
    Some((
        first,
        Step::new(
            StepRole::Site,
            Some(model.scope(model.site(first).root).head),
            format!(
                "no ServerName/ServerAlias matches Host {}: the first <VirtualHost> for the address serves it",
                host.as_deref().unwrap_or("(none)")
            ),
        ),
    ))
}

fn first_listen(model: &Model) -> Option<SocketAddr> {
    let listen = model.sites.first()?.listen.first()?;
    let address = listen
        .address
        .unwrap_or(std::net::IpAddr::from([127, 0, 0, 1]));
    Some(SocketAddr::new(address, listen.port))
}

fn name_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    if pattern.contains(['*', '?']) {
        return fnmatch(pattern.as_bytes(), host.as_bytes());
    }
    pattern == host
}

/// The scopes that hold a site's server-level per-directory defaults: the
/// main server's, then the virtual host's.
pub(crate) fn server_roots(model: &Model, site: SiteId) -> Vec<ScopeId> {
    let root = model.site(site).root;
    let mut out = Vec::with_capacity(2);
    if let Some(parent) = model.scope(root).parent {
        out.push(parent);
    }
    out.push(root);
    out
}

/// The last path segment (empty for a path ending in `/`).
pub(crate) fn basename(filename: &str) -> &str {
    filename.rsplit('/').next().unwrap_or("")
}

/// Sections of one kind of a site in configuration order: the main
/// server's, then the virtual host's.
fn site_sections(
    model: &Model,
    site: SiteId,
    kind: ScopeKind,
) -> impl Iterator<Item = ScopeId> + '_ {
    server_roots(model, site)
        .into_iter()
        .flat_map(move |root| model.children_of_kind(root, kind).iter().copied())
}

#[cfg(test)]
fn with_slash(path: &str) -> String {
    let mut out = path.to_string();
    while out.contains("//") {
        out = out.replace("//", "/");
    }
    if !out.ends_with('/') {
        out.push('/');
    }
    out
}

/// The `/`-separated parts of `path` with runs of slashes merged and a
/// trailing slash added (the parts of `with_slash(path)`), without
/// building the string: this runs for every section at every directory of
/// every request.
fn slashed_parts(path: &str) -> impl Iterator<Item = &str> + Clone {
    let lead = (path.is_empty() || path.starts_with('/')).then_some("");
    lead.into_iter()
        .chain(path.split('/').filter(|part| !part.is_empty()))
        .chain(std::iter::once(""))
}

/// Non-regex `<Directory>` sections with `depth` components that match
/// `directory` (which has that many), in configuration order.
pub(crate) fn directory_sections_at(
    model: &Model,
    site: SiteId,
    depth: usize,
    directory: &str,
) -> Vec<ScopeId> {
    // A section with `depth` slashes has one part more; one matches only
    // a directory with as many parts (counted as slashes: this runs for
    // every directory of every request a rule traces).
    if directory.bytes().filter(|&byte| byte == b'/').count() != depth {
        return Vec::new();
    }
    site_sections(model, site, ScopeKind::Directory)
        .filter(|id| {
            let Matcher::Dir(path) = &model.scope(*id).matcher else {
                return false;
            };
            let mut parts = slashed_parts(path);
            let mut directory_parts = directory.split('/');
            loop {
                match (parts.next(), directory_parts.next()) {
                    (Some(part), Some(directory_part)) => {
                        if !fnmatch(part.as_bytes(), directory_part.as_bytes()) {
                            return false;
                        }
                    }
                    (None, None) => return true,
                    _ => return false,
                }
            }
        })
        .collect()
}

#[cfg(test)]
fn dir_matches(pattern: &str, directory: &str) -> bool {
    let pattern_parts: Vec<&str> = pattern.split('/').collect();
    let dir_parts: Vec<&str> = directory.split('/').collect();
    pattern_parts.len() == dir_parts.len()
        && pattern_parts
            .iter()
            .zip(&dir_parts)
            .all(|(p, d)| fnmatch(p.as_bytes(), d.as_bytes()))
}

/// The `.htaccess` scope lowered for `directory`, if any.
pub(crate) fn htaccess_at(model: &Model, directory: &str) -> Option<ScopeId> {
    model
        .scopes_of_kind(ScopeKind::Htaccess)
        .iter()
        .copied()
        .find(|id| matches!(&model.scope(*id).matcher, Matcher::Dir(dir) if dir == directory))
}

/// `<DirectoryMatch>` (and `<Directory ~>`) sections whose regex matches
/// the full filename, in configuration order.
pub(crate) fn directory_regex_sections(
    model: &Model,
    site: SiteId,
    filename: &str,
) -> Vec<ScopeId> {
    site_sections(model, site, ScopeKind::Directory)
        .filter(|id| {
            matches!(&model.scope(*id).matcher, Matcher::DirRegex(re) if re.is_match(filename) == Some(true))
        })
        .collect()
}

/// `<Files>`/`<FilesMatch>` sections that apply to `basename`: those of
/// the server levels, then those nested in the applied sections, in merge
/// order.
pub(crate) fn files_sections(model: &Model, applied: &[ScopeId], basename: &str) -> Vec<ScopeId> {
    let mut out = Vec::new();
    for parent in applied {
        for child in model.children_of_kind(*parent, ScopeKind::Files) {
            let scope = model.scope(*child);
            let matched = match &scope.matcher {
                Matcher::FileName(glob) => fnmatch(glob.as_bytes(), basename.as_bytes()),
                Matcher::FileRegex(re) => re.is_match(basename) == Some(true),
                _ => false,
            };
            if matched {
                out.push(*child);
            }
        }
    }
    out
}

/// `<Location>`/`<LocationMatch>` sections matching the URI, in
/// configuration order.
pub(crate) fn location_sections(model: &Model, site: SiteId, uri: &str) -> Vec<ScopeId> {
    site_sections(model, site, ScopeKind::Location)
        .filter(|id| match &model.scope(*id).matcher {
            Matcher::Prefix(path) => location_matches(path, uri),
            Matcher::Regex(re) => re.is_match(uri) == Some(true),
            _ => false,
        })
        .collect()
}

/// `<Location /x>` covers `/x`, `/x/...`, not `/xy`; a wildcard path is
/// fnmatch'ed against the whole URI. Slashes in the section path are
/// merged as in the URI.
fn location_matches(path: &str, uri: &str) -> bool {
    let mut path = path.to_string();
    while path.contains("//") {
        path = path.replace("//", "/");
    }
    // A wildcard path is matched against the whole URI (`*` does not
    // cross `/`): `<Location /a*>` covers `/abc`, not `/a/x` (checked
    // against apache2).
    if path.contains(['*', '?', '[']) {
        return fnmatch(path.as_bytes(), uri.as_bytes());
    }
    if !uri.starts_with(&path) {
        return false;
    }
    path.ends_with('/') || matches!(uri.as_bytes().get(path.len()), None | Some(b'/'))
}

/// fnmatch without `FNM_PERIOD`: `*`, `?`, `[...]`; `*` does not cross `/`.
pub(crate) fn fnmatch(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
                continue;
            }
            Some(b'?') if text[t] != b'/' => {
                p += 1;
                t += 1;
                continue;
            }
            Some(b'[') => {
                if let Some((matched, width)) = class(&pattern[p..], text[t]) {
                    if matched {
                        p += width;
                        t += 1;
                        continue;
                    }
                }
            }
            Some(b'\\') if pattern.get(p + 1) == Some(&text[t]) => {
                p += 2;
                t += 1;
                continue;
            }
            Some(&c) if c == text[t] && c != b'*' && c != b'?' && c != b'[' => {
                p += 1;
                t += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((star_p, star_t)) if text[star_t] != b'/' => {
                p = star_p + 1;
                t = star_t + 1;
                star = Some((star_p, star_t + 1));
            }
            _ => return false,
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

fn class(pattern: &[u8], c: u8) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = matches!(pattern.get(1), Some(b'!' | b'^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let start = i;
    while i < pattern.len() {
        if pattern[i] == b']' && i > start {
            return Some((matched != negate, i + 1));
        }
        if pattern.get(i + 1) == Some(&b'-') && pattern.get(i + 2).is_some_and(|&e| e != b']') {
            if pattern[i] <= c && c <= pattern[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if pattern[i] == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basenames() {
        assert_eq!(basename("/srv/www/a.html"), "a.html");
        assert_eq!(basename("/srv/www/"), "");
    }

    #[test]
    fn locations_on_segment_boundaries() {
        assert!(location_matches("/private", "/private"));
        assert!(location_matches("/private", "/private/x"));
        assert!(!location_matches("/private", "/privateer"));
        assert!(location_matches("/", "/anything"));
        assert!(location_matches("/a*", "/abc"));
        assert!(!location_matches("/a*", "/a/x.txt"));
    }

    #[test]
    fn globs() {
        assert!(fnmatch(b"*.html", b"a.html"));
        assert!(fnmatch(b"*", b".htaccess"));
        assert!(!fnmatch(b"/srv/*", b"/srv/a/b"));
        assert!(fnmatch(b"[ab]x", b"bx"));
        assert!(dir_matches("/srv/*/", "/srv/www/"));
    }

    #[test]
    fn slashed_parts_are_those_of_the_slashed_path() {
        for path in [
            "",
            "/",
            "//",
            "/srv",
            "/srv/",
            "//srv//www///",
            "srv/www",
            "srv//",
            "\"/srv/x\"",
            "/srv/*/",
            "a",
        ] {
            let slashed = with_slash(path);
            let expected: Vec<&str> = slashed.split('/').collect();
            let found: Vec<&str> = slashed_parts(path).collect();
            assert_eq!(found, expected, "{path:?}");
            assert_eq!(found.len(), slashed.matches('/').count() + 1, "{path:?}");
        }
    }
}
