//! Which site and which configuration levels apply to a request, as IIS
//! merges them: the site's file, then the `<location path>` elements and
//! folder `web.config` files on the way down the URL, top-down.

use std::net::SocketAddr;

use lint403_core::model::{Matcher, ScopeId, ScopeKind, Selection, SiteId};
use lint403_core::{Model, Request, Selector, Step, StepRole};

/// The IIS implementation of [`Selector`].
#[derive(Debug, Clone, Copy, Default)]
pub struct IisSelector;

impl Selector for IisSelector {
    fn select(&self, model: &Model, request: &Request) -> Selection {
        let mut selection = Selection::default();
        let Some(site) = choose_site(model, request) else {
            selection.unknown = Some(if model.sites.is_empty() {
                "the configuration defines no site".into()
            } else {
                "no site binding takes this socket and Host header (http.sys refuses the request \
                 before IIS reads any configuration)"
                    .into()
            });
            return selection;
        };
        let site_data = model.site(site);
        selection.site = Some(site);
        let names = if site_data.names.is_empty() {
            String::new()
        } else {
            format!(" ({})", site_data.names.join(", "))
        };
        selection.steps.push(Step::new(
            StepRole::Site,
            Some(site_data.span),
            format!("site{names}"),
        ));
        let path = lint403_core::request::normalize_path(&request.path, false)
            .unwrap_or_else(|| request.path.clone());
        selection.scopes = scopes_for_path(model, site, &path);
        for &scope in &selection.scopes {
            let data = model.scope(scope);
            let own_file = data
                .parent
                .is_none_or(|parent| model.scope(parent).span.file != data.span.file);
            let what = match (&data.kind, &data.matcher, own_file) {
                (ScopeKind::Global, _, _) => "applicationHost.config (server level)".to_string(),
                (ScopeKind::Server, _, _) => "the site's configuration".to_string(),
                (_, Matcher::Prefix(prefix), true) => format!("the web.config of {prefix}"),
                (_, Matcher::Prefix(prefix), false) => format!("<location> for {prefix}"),
                _ => "a configuration level".to_string(),
            };
            selection
                .steps
                .push(Step::new(StepRole::Scope, Some(data.head), what));
        }
        selection
    }
}

/// The site bound to the request's socket whose host names match the
/// `Host` header, else that socket's site without a host name (`None`
/// when no binding takes the request).
pub fn choose_site(model: &Model, request: &Request) -> Option<SiteId> {
    if model.sites.is_empty() {
        return None;
    }
    if let Some(site) = request.site.filter(|site| site.0 < model.sites.len()) {
        return Some(site);
    }
    if !model
        .scopes
        .iter()
        .any(|scope| scope.kind == ScopeKind::Global)
    {
        // A site's web.config: its bindings live in applicationHost.config,
        // which lint403 does not see, so it takes every socket.
        return Some(SiteId(0));
    }
    let local: Option<SocketAddr> = request.listen.or_else(|| {
        model.sites.iter().find_map(|site| {
            site.listen.first().map(|listen| {
                SocketAddr::new(
                    listen
                        .address
                        .unwrap_or(std::net::IpAddr::from([127, 0, 0, 1])),
                    listen.port,
                )
            })
        })
    });
    let host = request.host();
    let accepting: Vec<SiteId> = (0..model.sites.len())
        .map(SiteId)
        .filter(|&id| {
            let site = model.site(id);
            site.listen.is_empty()
                || local.is_none_or(|local| site.listen.iter().any(|l| l.accepts(local)))
        })
        .collect();
    if let Some(host) = &host {
        if let Some(&id) = accepting.iter().find(|&&id| {
            model
                .site(id)
                .names
                .iter()
                .any(|name| name.eq_ignore_ascii_case(host))
        }) {
            return Some(id);
        }
    }
    accepting.iter().copied().find(|&id| {
        model.site(id).names.is_empty() || model.site(id).listen.iter().any(|l| l.default_server)
    })
}

/// The scopes that apply to `path` on `site`, in merge order: the site's
/// ancestors and root, then the levels below it ordered by the file they
/// are in (a parent folder's file before a child folder's) and, within a
/// file, shorter `<location path>` before longer.
pub fn scopes_for_path(model: &Model, site: SiteId, path: &str) -> Vec<ScopeId> {
    let root = model.site(site).root;
    let mut out: Vec<ScopeId> = model.ancestry(root).collect();
    out.reverse();
    let mut below: Vec<(usize, usize, ScopeId)> = model
        .descendants(root)
        .into_iter()
        .filter(|&id| id != root)
        .filter_map(|id| match &model.scope(id).matcher {
            Matcher::Prefix(prefix) if segment_prefix(prefix, path) => {
                Some((file_depth(model, id), segments(prefix), id))
            }
            Matcher::All => Some((file_depth(model, id), 0, id)),
            _ => None,
        })
        .collect();
    below.sort();
    out.extend(below.into_iter().map(|(_, _, id)| id));
    out
}

/// How many file boundaries lie between the scope and the top.
fn file_depth(model: &Model, id: ScopeId) -> usize {
    model
        .ancestry(id)
        .filter(|&scope| {
            model
                .scope(scope)
                .parent
                .is_some_and(|parent| model.scope(parent).span.file != model.scope(scope).span.file)
        })
        .count()
}

fn segments(prefix: &str) -> usize {
    prefix.split('/').filter(|s| !s.is_empty()).count()
}

/// Whether `prefix` names `path` or a folder above it, on whole segments
/// and ignoring case (IIS runs on a case-insensitive file system).
pub fn segment_prefix(prefix: &str, path: &str) -> bool {
    let mut wanted = prefix.split('/').filter(|s| !s.is_empty());
    let mut have = path.split('/').filter(|s| !s.is_empty());
    loop {
        match (wanted.next(), have.next()) {
            (None, _) => return true,
            (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => {}
            _ => return false,
        }
    }
}

/// `path` relative to `prefix` (no leading `/`), when it is below it.
pub fn relative_to(prefix: &str, path: &str) -> Option<String> {
    if !segment_prefix(prefix, path) {
        return None;
    }
    let skip = segments(prefix);
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    let mut rest = trimmed;
    for _ in 0..skip {
        rest = rest.split_once('/').map_or("", |(_, tail)| tail);
    }
    Some(rest.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_segments_ignoring_case() {
        assert!(segment_prefix("/admin", "/Admin/x"));
        assert!(segment_prefix("/admin", "/admin"));
        assert!(!segment_prefix("/admin", "/administrator"));
        assert!(segment_prefix("/", "/anything"));
        assert_eq!(
            relative_to("/admin", "/admin/a/b.png").as_deref(),
            Some("a/b.png")
        );
        assert_eq!(relative_to("/", "/a/b").as_deref(), Some("a/b"));
        assert_eq!(relative_to("/admin", "/admin").as_deref(), Some(""));
        assert_eq!(relative_to("/admin", "/admin/").as_deref(), Some(""));
        assert_eq!(relative_to("/x", "/y"), None);
    }
}
