//! What the Apache tracer's differential tests need beyond the shared
//! kit: a send that leaves the `User-Agent` to the request when it has one
//! (httpd joins repeated headers with ", ", so a second User-Agent would
//! change what `BrowserMatch` sees).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crate::http::{base64, Response, TestRequest};

/// The default `User-Agent` [`send_exact`] adds when the request has none.
pub const DEFAULT_USER_AGENT: &str = "lint403-test/1";

/// Like [`crate::send`], but the kit's `User-Agent` is only sent when the
/// request does not carry its own.
pub fn send_exact(server: SocketAddr, request: &TestRequest) -> Result<Response, String> {
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
        text.push_str(&base64(format!("{user}:{password}").as_bytes()));
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
