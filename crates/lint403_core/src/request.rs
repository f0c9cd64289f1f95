//! One HTTP request, as `trace` and `expect:` entries describe it.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};

/// A request to trace. Header names are kept as given and compared
/// case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// The URI path as sent (not yet decoded or normalized).
    pub path: String,
    pub query: Option<String>,
    pub client_ip: IpAddr,
    pub headers: Vec<(String, String)>,
    /// The user of Basic credentials.
    pub user: Option<String>,
    /// Their password; `None`: assume the credentials are valid when the
    /// user exists.
    pub password: Option<String>,
    /// The socket the request arrived on; `None`: the config's first.
    pub listen: Option<SocketAddr>,
    /// The site that serves it, when the caller has chosen already (the
    /// rules' probes of each site): the tracer skips choosing one.
    pub site: Option<crate::model::SiteId>,
}

impl Request {
    /// `GET /path?query` from 127.0.0.1 with no headers.
    pub fn new(method: &str, target: &str) -> Request {
        let (path, query) = match target.split_once('?') {
            Some((path, query)) => (path.to_string(), Some(query.to_string())),
            None => (target.to_string(), None),
        };
        Request {
            method: method.to_string(),
            path,
            query,
            client_ip: IpAddr::from([127, 0, 0, 1]),
            headers: Vec::new(),
            user: None,
            password: None,
            listen: None,
            site: None,
        }
    }

    /// `"METHOD /path?query"` (a bare path means GET).
    pub fn parse_line(line: &str) -> Result<Request, String> {
        let mut words = line.split_whitespace();
        let (method, target) = match (words.next(), words.next(), words.next()) {
            (Some(target), None, None) if target.starts_with('/') => ("GET", target),
            (Some(method), Some(target), None) => (method, target),
            _ => return Err(format!("expected \"METHOD /path\", got {line:?}")),
        };
        if !target.starts_with('/') {
            return Err(format!("the path must start with '/': {target:?}"));
        }
        if !method.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-') {
            return Err(format!("not an HTTP method: {method:?}"));
        }
        Ok(Request::new(&method.to_ascii_uppercase(), target))
    }

    /// An `expect:` entry: `METHOD /path [from IP] [host HOST] [referer URL]
    /// [user NAME] [header "Name: value"]...`.
    pub fn parse_expectation(entry: &str) -> Result<Request, String> {
        let words = split_quoted(entry)?;
        let (Some(method), Some(target)) = (words.first(), words.get(1)) else {
            return Err(format!("expected \"METHOD /path ...\", got {entry:?}"));
        };
        let mut request = Request::parse_line(&format!("{method} {target}"))?;
        let mut rest = words[2..].iter();
        while let Some(keyword) = rest.next() {
            let value = rest
                .next()
                .ok_or_else(|| format!("{keyword:?} needs a value in {entry:?}"))?;
            match keyword.to_ascii_lowercase().as_str() {
                "from" => {
                    request.client_ip = value
                        .parse()
                        .map_err(|_| format!("not an IP address: {value:?}"))?;
                }
                "host" => request.set_header("Host", value),
                "referer" | "referrer" => request.set_header("Referer", value),
                "user" => request.user = Some(value.clone()),
                "header" => {
                    let (name, value) = value
                        .split_once(':')
                        .ok_or_else(|| format!("a header is \"Name: value\", got {value:?}"))?;
                    request.add_header(name.trim(), value.trim());
                }
                other => {
                    return Err(format!(
                        "unknown word {other:?} in {entry:?} (expected from, host, referer, user or header)"
                    ))
                }
            }
        }
        Ok(request)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(own, _)| own.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn add_header(&mut self, name: &str, value: &str) {
        self.headers.push((name.to_string(), value.to_string()));
    }

    /// Replaces every header named `name`.
    pub fn set_header(&mut self, name: &str, value: &str) {
        self.headers
            .retain(|(own, _)| !own.eq_ignore_ascii_case(name));
        self.add_header(name, value);
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }

    /// The `Host` header without its port, lower-cased.
    pub fn host(&self) -> Option<String> {
        let host = self.header("host")?;
        let host = if let Some(bracketed) = host.strip_prefix('[') {
            bracketed.split_once(']').map_or(host, |(inside, _)| inside)
        } else {
            host.rsplit_once(':').map_or(host, |(name, _)| name)
        };
        Some(host.trim_end_matches('.').to_ascii_lowercase())
    }

    /// The request line and the facts that differ from the defaults.
    pub fn describe(&self) -> String {
        let mut text = format!("{} {}", self.method, self.path);
        if let Some(query) = &self.query {
            text.push('?');
            text.push_str(query);
        }
        if self.client_ip != IpAddr::from([127, 0, 0, 1]) {
            let _ = write!(text, " from {}", self.client_ip);
        }
        for (name, value) in &self.headers {
            let _ = write!(text, " {name}: {value}");
        }
        if let Some(user) = &self.user {
            let _ = write!(text, " as {user}");
        }
        text
    }
}

/// `%XX` escapes decoded (an invalid escape is kept as it is, as the
/// servers keep it); `None` when one decodes to NUL (both answer 400).
pub fn percent_decode(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        if byte == b'%' && index + 2 < bytes.len() {
            let high = char::from(bytes[index + 1]).to_digit(16);
            let low = char::from(bytes[index + 2]).to_digit(16);
            if let (Some(high), Some(low)) = (high, low) {
                let value = u8::try_from(high * 16 + low).ok()?;
                if value == 0 {
                    return None;
                }
                decoded.push(value);
                index += 3;
                continue;
            }
        }
        decoded.push(byte);
        index += 1;
    }
    Some(String::from_utf8_lossy(&decoded).into_owned())
}

/// Percent-decodes `path` and resolves `.` and `..` segments (merging
/// `//` when `merge_slashes`), as nginx and httpd do before choosing a
/// location. `None` when `..` climbs above the root or an escape decodes
/// to NUL (both servers answer 400).
pub fn normalize_path(path: &str, merge_slashes: bool) -> Option<String> {
    let text = percent_decode(path)?;
    let mut segments: Vec<&str> = Vec::new();
    let trailing = text.ends_with('/') || text.ends_with("/.") || text.ends_with("/..");
    for (position, segment) in text.split('/').enumerate().skip(1) {
        match segment {
            "." => {}
            ".." => {
                segments.pop()?;
            }
            "" if merge_slashes || position == 1 => {}
            other => segments.push(other),
        }
    }
    let mut out = String::from("/");
    out.push_str(&segments.join("/"));
    if trailing && out.len() > 1 && !out.ends_with('/') {
        out.push('/');
    }
    Some(out)
}

fn split_quoted(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&next) = chars.peek() {
        if next.is_whitespace() {
            chars.next();
            continue;
        }
        let mut word = String::new();
        if next == '"' || next == '\'' {
            chars.next();
            let mut closed = false;
            for c in chars.by_ref() {
                if c == next {
                    closed = true;
                    break;
                }
                word.push(c);
            }
            if !closed {
                return Err(format!("unclosed quote in {text:?}"));
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                word.push(c);
                chars.next();
            }
        }
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expectation_entries() {
        let request = Request::parse_expectation(
            "GET /admin/?x=1 from 203.0.113.7 referer https://x.example/ header \"X-Test: a b\"",
        )
        .expect("valid entry");
        assert_eq!(request.method, "GET");
        assert_eq!(request.path, "/admin/");
        assert_eq!(request.query.as_deref(), Some("x=1"));
        assert_eq!(request.client_ip, IpAddr::from([203, 0, 113, 7]));
        assert_eq!(request.header("referer"), Some("https://x.example/"));
        assert_eq!(request.header("x-test"), Some("a b"));
        assert!(Request::parse_expectation("GET /x from nowhere").is_err());
        assert!(Request::parse_expectation("GET /x color red").is_err());
        assert!(Request::parse_expectation("GET x").is_err());
    }

    #[test]
    fn hosts_lose_ports() {
        let mut request = Request::new("GET", "/");
        request.set_header("Host", "Example.COM:8080");
        assert_eq!(request.host().as_deref(), Some("example.com"));
        request.set_header("Host", "[::1]:80");
        assert_eq!(request.host().as_deref(), Some("::1"));
    }

    #[test]
    fn normalization() {
        assert_eq!(normalize_path("/a/./b/../c", true).as_deref(), Some("/a/c"));
        assert_eq!(normalize_path("//a//b/", true).as_deref(), Some("/a/b/"));
        assert_eq!(normalize_path("/a//b", false).as_deref(), Some("/a//b"));
        assert_eq!(normalize_path("/%2e%2e/x", true), None);
        assert_eq!(
            normalize_path("/%2Egit/config", true).as_deref(),
            Some("/.git/config")
        );
        assert_eq!(normalize_path("/a/..", true).as_deref(), Some("/"));
        assert_eq!(normalize_path("/a%00", true), None);
        assert_eq!(normalize_path("/100%", true).as_deref(), Some("/100%"));
    }
}
