//! Real-server proof of B001 server-wide-403 (nginx side): each bad
//! fixture runs on the installed nginx on 127.0.0.1 and the request the
//! message names gets 403; the default-server catch-all good case serves
//! its named site. Without nginx the test prints "SKIPPED: nginx not
//! installed" and passes, unless `LINT403_REQUIRE_SERVERS=1`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NGINX: &str = "/usr/sbin/nginx";

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/nginx/B001-server-wide-403")
        .join(name);
    std::fs::read_to_string(path).unwrap_or_default()
}

struct Server {
    dir: PathBuf,
    child: Option<Child>,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port(seed: u16) -> u16 {
    let base = 30000 + u16::try_from(std::process::id() % 9000).unwrap_or(0);
    (0..2000u16)
        .map(|offset| base + seed * 401 + offset)
        .find(|&port| std::net::TcpListener::bind(("127.0.0.1", port)).is_ok())
        .unwrap_or(0)
}

fn chmod_tree(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755));
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            chmod_tree(&path);
        } else {
            let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644));
        }
    }
}

fn start(name: &str, seed: u16) -> Server {
    let port = free_port(seed);
    let dir = std::env::temp_dir().join(format!("lint403-real-b001-{}-{seed}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for file in ["index.html", ".well-known/acme-challenge/t"] {
        let path = dir.join("html").join(file);
        std::fs::create_dir_all(path.parent().unwrap_or(&dir)).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&path, "ok\n").unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::create_dir_all(dir.join("tmp")).unwrap_or_else(|e| panic!("{e}"));
    chmod_tree(&dir);
    let d = dir.display();
    let body = fixture(name).replace("listen 80", &format!("listen 127.0.0.1:{port}"));
    let config = format!(
        "pid {d}/nginx.pid;\nerror_log {d}/error.log info;\nuser nobody nogroup;\nevents {{}}\nhttp {{\n access_log off;\n client_body_temp_path {d}/tmp;\n proxy_temp_path {d}/tmp;\n fastcgi_temp_path {d}/tmp;\n uwsgi_temp_path {d}/tmp;\n scgi_temp_path {d}/tmp;\n root {d}/html;\n{body}\n}}\n"
    );
    std::fs::write(dir.join("nginx.conf"), &config).unwrap_or_else(|e| panic!("{e}"));
    let child = Command::new(NGINX)
        .arg("-p")
        .arg(&dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .arg("-g")
        .arg("daemon off; master_process off;")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut server = Server {
        dir,
        child: Some(child),
        port,
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return server;
        }
        if let Some(child) = server.child.as_mut() {
            if let Ok(Some(_)) = child.try_wait() {
                let mut error = String::new();
                if let Some(mut stderr) = child.stderr.take() {
                    let _ = stderr.read_to_string(&mut error);
                }
                panic!("nginx did not start for {name}: {error}\n{config}");
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("nginx did not answer on port {port} for {name}");
}

/// `GET path` with `Host: host` from 127.0.0.`from`; the status, or 0
/// when the connection closed without a response.
fn get(server: &Server, from: u8, host: &str, path: &str) -> u16 {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
        .unwrap_or_else(|e| panic!("{e}"));
    socket
        .bind(&SocketAddr::from(([127, 0, 0, from], 0)).into())
        .unwrap_or_else(|e| panic!("{e}"));
    socket
        .connect(&SocketAddr::from(([127, 0, 0, 1], server.port)).into())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut stream: TcpStream = socket.into();
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response
        .split_whitespace()
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or(0)
}

fn have_nginx() -> bool {
    if Path::new(NGINX).exists() {
        return true;
    }
    assert!(
        std::env::var("LINT403_REQUIRE_SERVERS").as_deref() != Ok("1"),
        "nginx not installed and LINT403_REQUIRE_SERVERS=1"
    );
    println!("SKIPPED: nginx not installed");
    false
}

#[test]
fn b001_server_wide_refusals_on_real_nginx() {
    if !have_nginx() {
        return;
    }
    // (fixture, client, host, path, expected status)
    let cases: &[(&str, u8, &str, &str, u16)] = &[
        (
            "bad-return.conf",
            7,
            "shop.example",
            "/.well-known/acme-challenge/t",
            403,
        ),
        ("bad-return.conf", 7, "shop.example", "/", 403),
        (
            "bad-deny-all.conf",
            9,
            "intranet.example",
            "/.well-known/acme-challenge/t",
            403,
        ),
        ("bad-deny-all.conf", 1, "intranet.example", "/static/", 403),
        (
            "good-default-server.conf",
            7,
            "shop.example",
            "/.well-known/acme-challenge/t",
            200,
        ),
        ("good-default-server.conf", 7, "unknown.example", "/", 0),
        (
            "good-location-allows.conf",
            7,
            "intranet.example",
            "/.well-known/acme-challenge/t",
            200,
        ),
        ("good-location-allows.conf", 7, "intranet.example", "/", 403),
    ];
    let mut failures = Vec::new();
    for (seed, &(name, from, host, path, expected)) in (1u16..).zip(cases) {
        let server = start(name, seed);
        let status = get(&server, from, host, path);
        if status != expected {
            failures.push(format!(
                "{name}: GET {path} (Host {host}) from 127.0.0.{from} → {status}, expected {expected}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
