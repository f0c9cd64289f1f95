//! One HTTP/1.1 request over a raw socket bound to a chosen loopback
//! source address (so access lists see 127.0.0.N), and its status.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::Duration;

/// What to send. Headers are sent in order; `Host: localhost` is added
/// unless a `Host` header is given (an empty value sends `Host:` empty;
/// `omit_host` sends none at all).
#[derive(Debug, Clone)]
pub struct TestRequest {
    pub method: String,
    pub path: String,
    pub client_ip: IpAddr,
    pub headers: Vec<(String, String)>,
    /// Basic credentials.
    pub credentials: Option<(String, String)>,
    pub omit_host: bool,
}

impl TestRequest {
    pub fn get(path: &str) -> TestRequest {
        TestRequest {
            method: "GET".to_string(),
            path: path.to_string(),
            client_ip: IpAddr::from([127, 0, 0, 1]),
            headers: Vec::new(),
            credentials: None,
            omit_host: false,
        }
    }
}

/// The answer: status 0 when the server closed the connection without a
/// status line (nginx `return 444`).
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub location: Option<String>,
    pub head: String,
}

/// The `User-Agent` sent when a request has none of its own.
pub const DEFAULT_USER_AGENT: &str = "lint403-test/1";

/// Sends `request` to `server` (`127.0.0.1` or `::1` and a port).
pub fn send(server: SocketAddr, request: &TestRequest) -> Result<Response, String> {
    use socket2::{Domain, Socket, Type};
    let domain = if server.is_ipv4() {
        Domain::IPV4
    } else {
        Domain::IPV6
    };
    let socket = Socket::new(domain, Type::STREAM, None).map_err(|e| e.to_string())?;
    socket
        .bind(&SocketAddr::new(request.client_ip, 0).into())
        .map_err(|e| format!("bind {}: {e}", request.client_ip))?;
    socket
        .connect_timeout(&server.into(), Duration::from_secs(5))
        .map_err(|e| format!("connect {server}: {e}"))?;
    let mut stream: TcpStream = socket.into();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    let mut text = format!(
        "{} {} HTTP/1.1\r\nConnection: close\r\n",
        request.method, request.path
    );
    let has = |wanted: &str| {
        request
            .headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case(wanted))
    };
    // Only when the request has none: httpd joins repeated headers with
    // ", ", so a second User-Agent would change what `BrowserMatch` sees.
    if !has("user-agent") {
        text.push_str("User-Agent: ");
        text.push_str(DEFAULT_USER_AGENT);
        text.push_str("\r\n");
    }
    if !has("host") && !request.omit_host {
        text.push_str("Host: localhost\r\n");
    }
    for (name, value) in &request.headers {
        text.push_str(name);
        text.push_str(": ");
        text.push_str(value);
        text.push_str("\r\n");
    }
    if let Some((user, password)) = &request.credentials {
        text.push_str("Authorization: Basic ");
        text.push_str(&lint403_core::digest::base64(
            format!("{user}:{password}").as_bytes(),
        ));
        text.push_str("\r\n");
    }
    if matches!(request.method.as_str(), "POST" | "PUT" | "PATCH") {
        text.push_str("Content-Length: 0\r\n");
    }
    text.push_str("\r\n");
    stream
        .write_all(text.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    let _ = stream.read_to_end(&mut bytes);
    let response = String::from_utf8_lossy(&bytes);
    let head = response
        .split("\r\n\r\n")
        .next()
        .unwrap_or_default()
        .to_string();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or(0);
    let location = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("location")
            .then(|| value.trim().to_string())
    });
    Ok(Response {
        status,
        location,
        head,
    })
}
