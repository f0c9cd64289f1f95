//! Which server and which location nginx picks for a request, by its own
//! rules (`ngx_http_find_virtual_server`, `ngx_http_core_find_location`).

use std::net::{IpAddr, SocketAddr};

use lint403_core::model::{Listen, Matcher, ScopeKind, Selection, Site, SiteId};
use lint403_core::{Model, Pattern, Request, Selector, Step, StepRole};

use crate::lower::CONTENT_HANDLERS;

/// nginx's selector: the server by listen socket and `Host`, then one
/// location by precedence ([`find_location`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct NginxSelector;

impl Selector for NginxSelector {
    fn select(&self, model: &Model, request: &Request) -> Selection {
        let mut selection = Selection::default();
        let Some(chosen) = select_server(model, request) else {
            selection.unknown = Some("the configuration has no server".into());
            return selection;
        };
        selection.steps.extend(chosen.steps);
        selection.site = Some(chosen.site);
        let server = model.site(chosen.site).root;
        let merge = merge_slashes(model, model.site(chosen.default).root);
        let Some(uri) = normalize_uri(request.path(), merge) else {
            selection.unknown = Some("the URI does not normalize (nginx answers 400)".into());
            return selection;
        };
        let found = find_location(model, server, &uri);
        if let Some(reason) = &found.unknown {
            selection.unknown = Some(reason.clone());
        }
        let mut scopes: Vec<_> = model.ancestry(found.scope).collect();
        scopes.reverse();
        for &scope in &scopes {
            let head = model.scope(scope).head;
            if model.scope(scope).kind == ScopeKind::Location {
                selection
                    .steps
                    .push(Step::new(StepRole::Scope, Some(head), "location"));
            }
        }
        selection.scopes = scopes;
        selection
    }
}

/// The chosen server with the steps that explain the choice.
#[derive(Debug, Clone)]
pub struct ChosenServer {
    pub site: SiteId,
    /// The socket's default server, whose settings apply while the
    /// request line is read (before `Host` is known): `merge_slashes`.
    pub default: SiteId,
    pub socket: Option<SocketAddr>,
    /// The groups of a regex server name that matched, and their names
    /// (named captures become variables).
    pub captures: Vec<Option<String>>,
    pub capture_names: Vec<Option<String>>,
    pub steps: Vec<Step>,
}

/// The socket a request arrives on: `request.listen`, else the first
/// listen of the configuration (a wildcard address as 127.0.0.1 is not
/// assumed: the socket then matches by port only).
fn socket_of(model: &Model, request: &Request) -> (Option<IpAddr>, u16) {
    if let Some(listen) = request.listen {
        return (Some(listen.ip()), listen.port());
    }
    model
        .sites
        .iter()
        .flat_map(|site| site.listen.iter())
        .next()
        .map_or((None, 80), |listen| (listen.address, listen.port))
}

/// How well a host matches a server name: exact, leading wildcard (by
/// length), trailing wildcard, regex.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum NameMatch {
    Regex,
    Trailing(usize),
    Leading(usize),
    Exact,
}

/// Whether `host` (lower-case, no port) matches the server name
/// `pattern`, and how well; `Err` when its regex cannot be run.
fn name_match(pattern: &str, host: &str) -> Result<Option<NameMatch>, ()> {
    if let Some(regex) = pattern.strip_prefix('~') {
        // Server-name regexes are compiled caselessly.
        return Pattern::new(regex, true)
            .is_match(host)
            .map(|hit| hit.then_some(NameMatch::Regex))
            .ok_or(());
    }
    if pattern == host {
        return Ok(Some(NameMatch::Exact));
    }
    if let Some(suffix) = pattern.strip_prefix("*.") {
        let hit = host.len() > suffix.len() + 1
            && host.ends_with(suffix)
            && host.as_bytes()[host.len() - suffix.len() - 1] == b'.';
        return Ok(hit.then_some(NameMatch::Leading(suffix.len())));
    }
    if let Some(suffix) = pattern.strip_prefix('.') {
        let hit = host == suffix
            || (host.len() > suffix.len()
                && host.ends_with(suffix)
                && host.as_bytes()[host.len() - suffix.len() - 1] == b'.');
        return Ok(hit.then_some(NameMatch::Leading(suffix.len())));
    }
    if let Some(prefix) = pattern.strip_suffix(".*") {
        let hit = host.len() > prefix.len() + 1
            && host.starts_with(prefix)
            && host.as_bytes()[prefix.len()] == b'.';
        return Ok(hit.then_some(NameMatch::Trailing(prefix.len())));
    }
    Ok(None)
}

/// The listen of `site` that accepts connections to `address:port`; with
/// `specific`, only a listen on exactly that address.
fn listen_of(site: &Site, address: Option<IpAddr>, port: u16, specific: bool) -> Option<&Listen> {
    site.listen.iter().find(|listen| {
        if listen.port != port {
            return false;
        }
        // `listen 80` is every IPv4 address, `listen [::]:80` every IPv6
        // one; an address-specific listen takes only its own.
        let wildcard = listen.address.is_none_or(|own| own.is_unspecified());
        match (listen.address, address) {
            (Some(own), Some(wanted)) if !own.is_unspecified() => own == wanted,
            _ if specific => false,
            (_, None) => true,
            (own, Some(wanted)) => {
                wildcard && own.is_some_and(|own| own.is_ipv6()) == wanted.is_ipv6()
            }
        }
    })
}

/// The server for `request`: among the servers listening on its socket
/// (an address-specific listen hides the wildcard ones), the best
/// `server_name` match for `Host`, else that socket's `default_server`,
/// else its first server. `None` when no server exists at all.
pub fn select_server(model: &Model, request: &Request) -> Option<ChosenServer> {
    if let Some(site) = request.site.filter(|site| site.0 < model.sites.len()) {
        return Some(ChosenServer {
            site,
            default: site,
            socket: request.listen,
            captures: Vec::new(),
            capture_names: Vec::new(),
            steps: vec![Step::new(
                StepRole::Site,
                Some(model.scope(model.site(site).root).head),
                "this server, as asked",
            )],
        });
    }
    let (address, port) = socket_of(model, request);
    let mut steps = Vec::new();
    let specific: Vec<usize> = (0..model.sites.len())
        .filter(|&i| address.is_some() && listen_of(&model.sites[i], address, port, true).is_some())
        .collect();
    let candidates: Vec<usize> = if specific.is_empty() {
        (0..model.sites.len())
            .filter(|&i| listen_of(&model.sites[i], address, port, false).is_some())
            .collect()
    } else {
        specific.clone()
    };
    let candidates = if candidates.is_empty() {
        let wanted = address.map_or_else(|| format!("*:{port}"), |ip| format!("{ip}:{port}"));
        steps.push(Step::new(
            StepRole::Default,
            None,
            format!("no server listens on {wanted} (nginx would refuse the connection); every server is considered"),
        ));
        (0..model.sites.len()).collect()
    } else {
        candidates
    };
    let first = *candidates.first()?;
    let host = request.host();
    let mut best: Option<(NameMatch, usize, &str)> = None;
    if let Some(host) = &host {
        for &index in &candidates {
            for name in &model.sites[index].names {
                match name_match(name, host) {
                    Ok(Some(quality)) => {
                        // Among equal qualities the first server wins (for
                        // regexes: the first in configuration order).
                        if best.is_none_or(|(own, _, _)| quality > own) {
                            best = Some((quality, index, name.as_str()));
                        }
                    }
                    Ok(None) => {}
                    Err(()) => {
                        steps.push(Step::new(
                            StepRole::Evaluated,
                            Some(model.scope(model.sites[index].root).head),
                            format!("server_name {name}: lint403 cannot run this regex"),
                        ));
                    }
                }
            }
        }
    } else {
        for &index in &candidates {
            if model.sites[index].names.iter().any(String::is_empty) {
                best = Some((NameMatch::Exact, index, ""));
                break;
            }
        }
    }
    let socket = address.map(|ip| SocketAddr::new(ip, port));
    let default = candidates
        .iter()
        .copied()
        .find(|&i| {
            listen_of(&model.sites[i], address, port, !specific.is_empty())
                .is_some_and(|l| l.default_server)
        })
        .unwrap_or(first);
    let socket_text = address.map_or_else(|| format!("*:{port}"), |ip| format!("{ip}:{port}"));
    if let Some((_, index, name)) = best {
        steps.push(Step::new(
            StepRole::Site,
            Some(model.scope(model.sites[index].root).head),
            format!(
                "server {name:?} on {socket_text}: its server_name matches {}",
                describe_host(host.as_deref())
            ),
        ));
        let (captures, capture_names) = match (name.strip_prefix('~'), &host) {
            (Some(regex), Some(host)) => {
                let pattern = Pattern::new(regex, true);
                (
                    pattern.captures(host).flatten().unwrap_or_default(),
                    pattern.capture_names(),
                )
            }
            _ => (Vec::new(), Vec::new()),
        };
        return Some(ChosenServer {
            site: SiteId(index),
            default: SiteId(default),
            socket,
            steps,
            captures,
            capture_names,
        });
    }
    let why = if listen_of(&model.sites[default], address, port, !specific.is_empty())
        .is_some_and(|l| l.default_server)
    {
        "the default_server"
    } else {
        "the first server"
    };
    steps.push(Step::new(
        StepRole::Site,
        Some(model.scope(model.sites[default].root).head),
        format!(
            "no server_name matches {}: {why} for {socket_text} answers",
            describe_host(host.as_deref())
        ),
    ));
    Some(ChosenServer {
        site: SiteId(default),
        default: SiteId(default),
        socket,
        steps,
        captures: Vec::new(),
        capture_names: Vec::new(),
    })
}

/// The URI as nginx's `ngx_http_parse_complex_uri` leaves it: `%XX`
/// decoded, `.` and `..` segments resolved, `//` merged when
/// `merge_slashes` is on (with it off, empty segments stay, the leading
/// ones too). `None` when `..` climbs above the root or a NUL appears
/// (nginx answers 400).
pub fn normalize_uri(path: &str, merge_slashes: bool) -> Option<String> {
    let text = lint403_core::request::percent_decode(path)?;
    let body = text.strip_prefix('/').unwrap_or(&text);
    let mut segments: Vec<&str> = Vec::new();
    let parts: Vec<&str> = body.split('/').collect();
    let last_index = parts.len().saturating_sub(1);
    let mut trailing = false;
    for (position, part) in parts.iter().enumerate() {
        let last = position == last_index;
        match *part {
            "." => trailing = last,
            ".." => {
                segments.pop()?;
                trailing = last;
            }
            "" if last => trailing = true,
            "" if merge_slashes => {}
            other => {
                segments.push(other);
                trailing = false;
            }
        }
    }
    let mut out = String::from("/");
    out.push_str(&segments.join("/"));
    if trailing && !out.ends_with('/') {
        out.push('/');
    }
    Some(out)
}

fn describe_host(host: Option<&str>) -> String {
    host.map_or_else(
        || "a request without Host".to_string(),
        |host| format!("Host {host:?}"),
    )
}

/// `merge_slashes` in effect for a server (default on).
pub fn merge_slashes(model: &Model, server: lint403_core::model::ScopeId) -> bool {
    model
        .ancestry(server)
        .find_map(|scope| model.scope(scope).setting("merge_slashes"))
        .is_none_or(|(_, args)| !args.first().is_some_and(|v| v.eq_ignore_ascii_case("off")))
}

/// The result of a location search.
#[derive(Debug, Clone)]
pub struct Found {
    /// The location whose configuration serves the request (the server
    /// scope when no location matches).
    pub scope: lint403_core::model::ScopeId,
    /// Captures of the matching regex location (`$1`…), if one decided,
    /// and the groups' names.
    pub captures: Vec<Option<String>>,
    pub capture_names: Vec<Option<String>>,
    /// The regex location whose groups are the captures, when they were
    /// not looked for: a regex that names no group and that `regex` runs
    /// matched (the groups are found when a `$1` is read, see
    /// [`location_captures`]; most requests read none).
    pub captures_of: Option<lint403_core::model::ScopeId>,
    /// nginx would redirect to the URI with a `/` added (a prefix location
    /// ending in `/` whose handler is an upstream).
    pub auto_redirect: bool,
    /// Set when a regex lint403 cannot run stood in the way.
    pub unknown: Option<String>,
}

/// nginx's location search under `parent` for `uri`: an `=` match wins;
/// else the longest prefix is remembered and its nested locations are
/// searched; unless that prefix is `^~`, the regexes of this level are
/// tried in order (the first match wins, with its nested locations); else
/// the remembered prefix.
pub fn find_location(model: &Model, parent: lint403_core::model::ScopeId, uri: &str) -> Found {
    let mut found = Found {
        scope: parent,
        captures: Vec::new(),
        capture_names: Vec::new(),
        captures_of: None,
        auto_redirect: false,
        unknown: None,
    };
    search(model, parent, uri, &mut found, 0);
    found
}

/// How a level's search ended, as `ngx_http_core_find_location` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rc {
    /// An exact or regex match: done.
    Ok,
    /// A prefix match (search on for regexes above).
    Again,
    /// Nothing matched here.
    Declined,
    /// Auto-redirect.
    Done,
}

fn search(
    model: &Model,
    parent: lint403_core::model::ScopeId,
    uri: &str,
    found: &mut Found,
    depth: usize,
) -> Rc {
    if depth > 64 {
        return Rc::Declined;
    }
    let children: Vec<_> = model
        .scope(parent)
        .children
        .iter()
        .copied()
        .filter(|&child| model.scope(child).kind == ScopeKind::Location)
        .collect();
    for &child in &children {
        if let Matcher::Exact(path) = &model.scope(child).matcher {
            if path == uri {
                found.scope = child;
                return Rc::Ok;
            }
        }
    }
    let mut best: Option<(usize, lint403_core::model::ScopeId, bool)> = None;
    let mut redirect = None;
    for &child in &children {
        let (path, noregex) = match &model.scope(child).matcher {
            Matcher::Prefix(path) => (path, false),
            Matcher::PrefixNoRegex(path) => (path, true),
            _ => continue,
        };
        if uri.starts_with(path.as_str()) {
            if best.is_none_or(|(len, _, _)| path.len() > len) {
                best = Some((path.len(), child, noregex));
            }
        } else if path.len() == uri.len() + 1
            && path.starts_with(uri)
            && path.ends_with('/')
            && has_upstream(model, child)
        {
            redirect = Some(child);
        }
    }
    let mut rc = Rc::Declined;
    let mut noregex = false;
    if let Some((_, child, no)) = best {
        found.scope = child;
        noregex = no;
        rc = Rc::Again;
        let nested = search(model, child, uri, found, depth + 1);
        if nested == Rc::Ok || nested == Rc::Done {
            return nested;
        }
    } else if let Some(child) = redirect {
        found.scope = child;
        found.auto_redirect = true;
        return Rc::Done;
    }
    if !noregex {
        for &child in &children {
            let Matcher::Regex(pattern) = &model.scope(child).matcher else {
                continue;
            };
            if groups_wait(pattern) {
                match pattern.is_match(uri) {
                    Some(true) => {
                        found.scope = child;
                        found.captures = Vec::new();
                        found.capture_names = Vec::new();
                        found.captures_of = Some(child);
                        search(model, child, uri, found, depth + 1);
                        return Rc::Ok;
                    }
                    Some(false) => continue,
                    None => {}
                }
            }
            match pattern.captures(uri) {
                Some(Some(groups)) => {
                    found.scope = child;
                    found.captures = groups;
                    found.capture_names = pattern.capture_names();
                    found.captures_of = None;
                    search(model, child, uri, found, depth + 1);
                    return Rc::Ok;
                }
                Some(None) => {}
                None => {
                    found.unknown.get_or_insert_with(|| {
                        format!(
                            "location ~ {}: lint403 cannot run this regex, so it cannot tell \
                             whether it matches {uri}",
                            pattern.source
                        )
                    });
                }
            }
        }
    }
    rc
}

/// Whether a matching location's groups can be looked for later: the
/// pattern names no group (a named group is a variable, set at once) and
/// `regex` runs it (whose search for groups cannot fail where its match
/// succeeded).
fn groups_wait(pattern: &lint403_core::Pattern) -> bool {
    let source = &pattern.source;
    !source.contains("(?P<")
        && !source.contains("(?<")
        && matches!(pattern.engine(), lint403_core::pattern::Engine::Fast(_))
}

/// The groups of the regex location `scope` matched against `uri` (for
/// [`Found::captures_of`], with the URI the search was for).
pub fn location_captures(
    model: &Model,
    scope: lint403_core::model::ScopeId,
    uri: &str,
) -> Vec<Option<String>> {
    match &model.scope(scope).matcher {
        Matcher::Regex(pattern) => pattern.captures(uri).flatten().unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// Whether a location hands requests to an upstream (`proxy_pass` and
/// the like).
pub fn has_upstream(model: &Model, scope: lint403_core::model::ScopeId) -> bool {
    model.scope(scope).rules.iter().any(|rule| {
        matches!(&rule.kind, lint403_core::model::RuleKind::Setting { name, .. }
            if CONTENT_HANDLERS.contains(&name.as_ref()) && name != "dav_methods")
    })
}

/// The named location `@name` of a server.
pub fn named_location(
    model: &Model,
    server: lint403_core::model::ScopeId,
    name: &str,
) -> Option<lint403_core::model::ScopeId> {
    model
        .scope(server)
        .children
        .iter()
        .copied()
        .find(|&child| matches!(&model.scope(child).matcher, Matcher::Named(own) if own == name))
}
