//! Real-server proof of the nginx rules: each bad fixture, wrapped into a
//! minimal full configuration, runs on the installed nginx on 127.0.0.1,
//! and the request the rule's message names gets the status it claims.
//! Without nginx the tests print "SKIPPED: nginx not installed" and pass,
//! unless `LINT403_REQUIRE_SERVERS=1`.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NGINX: &str = "/usr/sbin/nginx";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/nginx")
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

/// A throw-away nginx prefix; the server is stopped when dropped.
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
    let base = 20000 + (std::process::id() % 20000) as u16;
    for offset in 0..2000u16 {
        let port = base
            .wrapping_add(seed.wrapping_mul(97))
            .wrapping_add(offset)
            % 40000
            + 20000;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    0
}

/// The fixture's text with `listen 80` on the test port, `listen [::]:80`
/// on `[::1]`, and `@DIR@` replaced by the prefix.
fn wrap(fixture: &str, dir: &Path, port: u16) -> String {
    let text = std::fs::read_to_string(fixtures().join(fixture)).unwrap_or_default();
    let body = text
        .replace("listen 80", &format!("listen 127.0.0.1:{port}"))
        .replace("listen [::]:80;", &format!("listen [::1]:{port};"))
        .replace("@DIR@", &dir.display().to_string());
    let d = dir.display();
    let top = if body.contains("server {") {
        body
    } else {
        format!("server {{\n listen 127.0.0.1:{port};\n{body}\n}}\n")
    };
    format!(
        "pid {d}/nginx.pid;\nerror_log {d}/error.log info;\nuser nobody nogroup;\nevents {{}}\nhttp {{\n access_log off;\n client_body_temp_path {d}/tmp;\n proxy_temp_path {d}/tmp;\n fastcgi_temp_path {d}/tmp;\n uwsgi_temp_path {d}/tmp;\n scgi_temp_path {d}/tmp;\n root {d}/html;\n{top}\n}}\n"
    )
}

fn start(fixture: &str, seed: u16, paths: &[&str]) -> Option<Server> {
    // Other test suites start servers in the same port range: a port that
    // was free when picked may be taken before nginx binds it; retry then.
    for attempt in 0..8u16 {
        match start_on(
            fixture,
            seed,
            paths,
            free_port(seed.wrapping_add(attempt * 211)),
        )? {
            Ok(server) => return Some(server),
            Err(error) if error.contains("Address already in use") => {}
            Err(error) => panic!("nginx did not start for {fixture}: {error}"),
        }
    }
    panic!("no free port for {fixture}");
}

fn start_on(fixture: &str, seed: u16, paths: &[&str], port: u16) -> Option<Result<Server, String>> {
    let dir =
        std::env::temp_dir().join(format!("lint403-real-nginx-{}-{seed}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("tmp")).ok()?;
    for path in paths {
        let mut file = dir.join("html").join(path.trim_start_matches('/'));
        if path.ends_with('/') {
            file = file.join("index.html");
        }
        std::fs::create_dir_all(file.parent()?).ok()?;
        std::fs::write(&file, "ok\n").ok()?;
    }
    std::fs::write(dir.join("htpasswd"), "user:{PLAIN}secret\n").ok()?;
    chmod_tree(&dir);
    let config = wrap(fixture, &dir, port);
    std::fs::write(dir.join("nginx.conf"), &config).ok()?;
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
        .ok()?;
    let pid_file = dir.join("nginx.pid");
    let mut server = Server {
        dir,
        child: Some(child),
        port,
    };
    // nginx writes its pid file after it has bound the listen sockets:
    // wait for it (so a connection is answered by this nginx, not by a
    // server of another suite on the same port), as long as it runs.
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Some(child) = server.child.as_mut() {
            if let Ok(Some(_)) = child.try_wait() {
                let mut error = String::new();
                if let Some(mut stderr) = child.stderr.take() {
                    let _ = stderr.read_to_string(&mut error);
                }
                return Some(Err(format!("{error}\n{config}")));
            }
        }
        if pid_file.exists() && TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(Ok(server));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(Err(format!("no answer on port {port}")))
}

fn chmod_tree(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755));
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                chmod_tree(&path);
            } else {
                let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644));
            }
        }
    }
}

/// Sends one request from `from` and returns the status code, or 0 when
/// the connection closed without a response.
fn request(server: &Server, from: &str, method: &str, path: &str, headers: &[&str]) -> u16 {
    let from: IpAddr = from.parse().unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let target = if from.is_ipv4() {
        SocketAddr::from(([127, 0, 0, 1], server.port))
    } else {
        SocketAddr::new("::1".parse().unwrap_or(from), server.port)
    };
    let domain = if from.is_ipv4() {
        socket2::Domain::IPV4
    } else {
        socket2::Domain::IPV6
    };
    let socket =
        socket2::Socket::new(domain, socket2::Type::STREAM, None).unwrap_or_else(|e| panic!("{e}"));
    socket
        .bind(&SocketAddr::new(from, 0).into())
        .unwrap_or_else(|e| panic!("bind {from}: {e}"));
    socket
        .connect(&target.into())
        .unwrap_or_else(|e| panic!("connect {target}: {e}"));
    let mut stream: TcpStream = socket.into();
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut text = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    if !headers
        .iter()
        .any(|header| header.to_ascii_lowercase().starts_with("host:"))
    {
        text.push_str("Host: localhost\r\n");
    }
    for header in headers {
        text.push_str(header);
        text.push_str("\r\n");
    }
    text.push_str("\r\n");
    stream
        .write_all(text.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response
        .split_whitespace()
        .nth(1)
        .and_then(|status| status.parse().ok())
        // No status line: the server closed the connection (`return 444`).
        .unwrap_or(0)
}

struct Case {
    fixture: &'static str,
    /// Files to create under the document root.
    files: &'static [&'static str],
    from: &'static str,
    method: &'static str,
    path: &'static str,
    headers: &'static [&'static str],
    /// The status the rule claims; 0 for "not 403" (let through the
    /// access phase; a static file may still answer 405 to `POST`).
    status: u16,
}

const CASES: &[Case] = &[
    // A001: `deny all; allow 10.1.2.3;` → GET /admin/ from 10.1.2.3 → 403
    // (127.0.0.x stands for the address).
    Case {
        fixture: "A001-acl-entry-shadowed/real.conf",
        files: &["/admin/"],
        from: "127.0.0.3",
        method: "GET",
        path: "/admin/",
        headers: &[],
        status: 403,
    },
    // A002: an allow-only list lets an unlisted client in.
    Case {
        fixture: "A002-allow-list-without-deny/real.conf",
        files: &["/adm/"],
        from: "127.0.0.9",
        method: "GET",
        path: "/adm/",
        headers: &[],
        status: 200,
    },
    // S001: the location's own `deny` drops the server's list.
    Case {
        fixture: "S001-child-acl-replaces-parent/real.conf",
        files: &["/pub/"],
        from: "127.0.0.7",
        method: "GET",
        path: "/pub/",
        headers: &[],
        status: 200,
    },
    // S001: limit_except's list lets in a client the location refused ...
    Case {
        fixture: "S001-child-acl-replaces-parent/real-limit-except.conf",
        files: &["/api/"],
        from: "127.0.0.8",
        method: "POST",
        path: "/api/",
        headers: &[],
        status: 0,
    },
    // ... and refuses one the location allowed.
    Case {
        fixture: "S001-child-acl-replaces-parent/real-limit-except.conf",
        files: &["/api/"],
        from: "127.0.0.1",
        method: "DELETE",
        path: "/api/",
        headers: &[],
        status: 403,
    },
    // T001: satisfy any + allow all: no password asked.
    Case {
        fixture: "T001-satisfy-any-opens-deny/bad.conf",
        files: &["/admin/"],
        from: "127.0.0.1",
        method: "GET",
        path: "/admin/",
        headers: &[],
        status: 200,
    },
    // T002: auth_basic without a user file: no password asked.
    Case {
        fixture: "T002-auth-incomplete/bad.conf",
        files: &["/admin/"],
        from: "127.0.0.1",
        method: "GET",
        path: "/admin/",
        headers: &[],
        status: 200,
    },
    // T002: the user file in `location /` does not reach a sibling.
    Case {
        fixture: "T002-auth-incomplete/bad-sibling.conf",
        files: &["/reports/"],
        from: "127.0.0.1",
        method: "GET",
        path: "/reports/",
        headers: &[],
        status: 200,
    },
    // R001: no `none` in valid_referers: a visit without Referer → 403.
    Case {
        fixture: "R001-hotlink-refuses-empty-referer/bad.conf",
        files: &["/"],
        from: "127.0.0.1",
        method: "GET",
        path: "/",
        headers: &[],
        status: 403,
    },
    // R002: a `~` entry with the scheme never matches the site's own pages.
    Case {
        fixture: "R002-referer-pattern-misses-own-site/bad.conf",
        files: &["/"],
        from: "127.0.0.1",
        method: "GET",
        path: "/",
        headers: &["Referer: https://good.example/p"],
        status: 403,
    },
    // R101: a server-level `if` does not see the location's valid_referers.
    Case {
        fixture: "R101-invalid-referer-dangling/bad.conf",
        files: &["/"],
        from: "127.0.0.1",
        method: "GET",
        path: "/",
        headers: &["Referer: https://evil.test/"],
        status: 200,
    },
    // R101: valid_referers that nothing reads refuses nobody.
    Case {
        fixture: "R101-invalid-referer-dangling/bad-unused.conf",
        files: &["/images/photo.png"],
        from: "127.0.0.1",
        method: "GET",
        path: "/images/photo.png",
        headers: &["Referer: https://evil.test/"],
        status: 200,
    },
    // B003: `location ~ /\.` takes the ACME challenge before the plain
    // `location /.well-known/`.
    Case {
        fixture: "B003-dotfile-block-hits-well-known/bad.conf",
        files: &["/.well-known/acme-challenge/t"],
        from: "127.0.0.1",
        method: "GET",
        path: "/.well-known/acme-challenge/t",
        headers: &[],
        status: 403,
    },
    // B003: `return 404` in the dotfile block answers the challenge with 404.
    Case {
        fixture: "B003-dotfile-block-hits-well-known/bad-404.conf",
        files: &["/.well-known/acme-challenge/t"],
        from: "127.0.0.1",
        method: "GET",
        path: "/.well-known/acme-challenge/t",
        headers: &[],
        status: 404,
    },
    // B002: `location ~ \.ht` takes /index.html from `location /`.
    Case {
        fixture: "B002-deny-pattern-overbroad/bad.conf",
        files: &["/index.html"],
        from: "127.0.0.1",
        method: "GET",
        path: "/index.html",
        headers: &[],
        status: 403,
    },
    // B002: the unanchored `~*` pattern takes /sitemap.xml.
    Case {
        fixture: "B002-deny-pattern-overbroad/bad-case-insensitive.conf",
        files: &["/sitemap.xml"],
        from: "127.0.0.1",
        method: "GET",
        path: "/sitemap.xml",
        headers: &[],
        status: 403,
    },
    // B002's fix: the anchored pattern leaves /index.html to `location /`.
    Case {
        fixture: "B002-deny-pattern-overbroad/good.conf",
        files: &["/index.html"],
        from: "127.0.0.1",
        method: "GET",
        path: "/index.html",
        headers: &[],
        status: 200,
    },
    // S002: the PHP regex location takes /admin/x.php from the denied prefix.
    Case {
        fixture: "S002-restriction-overridden-by-other-scope/bad.conf",
        files: &["/admin/x.php"],
        from: "127.0.0.1",
        method: "GET",
        path: "/admin/x.php",
        headers: &[],
        status: 200,
    },
    // S002: and the prefix itself still refuses.
    Case {
        fixture: "S002-restriction-overridden-by-other-scope/bad.conf",
        files: &["/admin/index.html"],
        from: "127.0.0.1",
        method: "GET",
        path: "/admin/index.html",
        headers: &[],
        status: 403,
    },
    // S002's fix: under `^~` the regex no longer takes it.
    Case {
        fixture: "S002-restriction-overridden-by-other-scope/good.conf",
        files: &["/admin/x.php"],
        from: "127.0.0.1",
        method: "GET",
        path: "/admin/x.php",
        headers: &[],
        status: 403,
    },
    // S002: the image regex skips the authentication of /private.
    Case {
        fixture: "S002-restriction-overridden-by-other-scope/bad-auth.conf",
        files: &["/private/x.jpg"],
        from: "127.0.0.1",
        method: "GET",
        path: "/private/x.jpg",
        headers: &[],
        status: 200,
    },
    // B004: the preflight is refused by `limit_except GET POST`.
    Case {
        fixture: "B004-method-limit-blocks-preflight/bad.conf",
        files: &["/api/x"],
        from: "127.0.0.1",
        method: "OPTIONS",
        path: "/api/x",
        headers: &[
            "Origin: https://app.example",
            "Access-Control-Request-Method: PUT",
        ],
        status: 403,
    },
    // B004's fix: with OPTIONS named, the access list no longer answers it
    // (the static handler refuses the method itself, 405).
    Case {
        fixture: "B004-method-limit-blocks-preflight/good.conf",
        files: &["/api/x"],
        from: "127.0.0.1",
        method: "OPTIONS",
        path: "/api/x",
        headers: &[
            "Origin: https://app.example",
            "Access-Control-Request-Method: PUT",
        ],
        status: 405,
    },
    // S102: the percent-encoded spelling passes the raw-text test.
    Case {
        fixture: "S102-acl-on-raw-request-uri/bad.conf",
        files: &["/secret"],
        from: "127.0.0.1",
        method: "GET",
        path: "/%73ecret",
        headers: &[],
        status: 200,
    },
    // S102: the plain spelling is refused, as meant.
    Case {
        fixture: "S102-acl-on-raw-request-uri/bad.conf",
        files: &["/secret"],
        from: "127.0.0.1",
        method: "GET",
        path: "/secret",
        headers: &[],
        status: 403,
    },
    // S102's fix: the location refuses the encoded spelling as well.
    Case {
        fixture: "S102-acl-on-raw-request-uri/good.conf",
        files: &["/secret"],
        from: "127.0.0.1",
        method: "GET",
        path: "/%73ecret",
        headers: &[],
        status: 403,
    },
    // S101: `rewrite … last` moves /admin/ to /index.php before `deny all`.
    Case {
        fixture: "S101-rewrite-phase-bypasses-acl/bad.conf",
        files: &["/index.php"],
        from: "127.0.0.1",
        method: "GET",
        path: "/admin/",
        headers: &[],
        status: 200,
    },
    // S101: the redirect is answered before the access list.
    Case {
        fixture: "S101-rewrite-phase-bypasses-acl/bad-redirect.conf",
        files: &[],
        from: "127.0.0.1",
        method: "GET",
        path: "/staff/",
        headers: &[],
        status: 301,
    },
    // S101's fix: `break` keeps the request under `deny all`.
    Case {
        fixture: "S101-rewrite-phase-bypasses-acl/good.conf",
        files: &["/admin/index.php", "/index.php"],
        from: "127.0.0.1",
        method: "GET",
        path: "/admin/",
        headers: &[],
        status: 403,
    },
    // A004: `allow 127.0.0.10/24` lets a neighbour in (nginx masks it).
    Case {
        fixture: "A004-acl-cidr-host-bits/bad-loopback.conf",
        files: &["/admin/"],
        from: "127.0.0.77",
        method: "GET",
        path: "/admin/",
        headers: &[],
        status: 200,
    },
    // B001: a server-wide refusal answers every must-allow request; the
    // catch-all default server and a re-allowing location are the good cases
    // (0: the default server closes unknown hosts without a response).
    Case {
        fixture: "B001-server-wide-403/bad-return.conf",
        files: &[
            "/index.html",
            "/.well-known/acme-challenge/t",
            "/static/index.html",
        ],
        from: "127.0.0.7",
        method: "GET",
        path: "/.well-known/acme-challenge/t",
        headers: &["Host: shop.example"],
        status: 403,
    },
    Case {
        fixture: "B001-server-wide-403/bad-return.conf",
        files: &[
            "/index.html",
            "/.well-known/acme-challenge/t",
            "/static/index.html",
        ],
        from: "127.0.0.7",
        method: "GET",
        path: "/",
        headers: &["Host: shop.example"],
        status: 403,
    },
    Case {
        fixture: "B001-server-wide-403/bad-deny-all.conf",
        files: &[
            "/index.html",
            "/.well-known/acme-challenge/t",
            "/static/index.html",
        ],
        from: "127.0.0.9",
        method: "GET",
        path: "/.well-known/acme-challenge/t",
        headers: &["Host: intranet.example"],
        status: 403,
    },
    Case {
        fixture: "B001-server-wide-403/bad-deny-all.conf",
        files: &[
            "/index.html",
            "/.well-known/acme-challenge/t",
            "/static/index.html",
        ],
        from: "127.0.0.1",
        method: "GET",
        path: "/static/",
        headers: &["Host: intranet.example"],
        status: 403,
    },
    Case {
        fixture: "B001-server-wide-403/good-default-server.conf",
        files: &[
            "/index.html",
            "/.well-known/acme-challenge/t",
            "/static/index.html",
        ],
        from: "127.0.0.7",
        method: "GET",
        path: "/.well-known/acme-challenge/t",
        headers: &["Host: shop.example"],
        status: 200,
    },
    Case {
        fixture: "B001-server-wide-403/good-default-server.conf",
        files: &[
            "/index.html",
            "/.well-known/acme-challenge/t",
            "/static/index.html",
        ],
        from: "127.0.0.7",
        method: "GET",
        path: "/",
        headers: &["Host: unknown.example"],
        status: 0,
    },
    Case {
        fixture: "B001-server-wide-403/good-location-allows.conf",
        files: &[
            "/index.html",
            "/.well-known/acme-challenge/t",
            "/static/index.html",
        ],
        from: "127.0.0.7",
        method: "GET",
        path: "/.well-known/acme-challenge/t",
        headers: &["Host: intranet.example"],
        status: 200,
    },
    Case {
        fixture: "B001-server-wide-403/good-location-allows.conf",
        files: &[
            "/index.html",
            "/.well-known/acme-challenge/t",
            "/static/index.html",
        ],
        from: "127.0.0.7",
        method: "GET",
        path: "/",
        headers: &["Host: intranet.example"],
        status: 403,
    },
    // A005: the IPv4-only list refuses an IPv6 client.
    Case {
        fixture: "A005-acl-ipv4-only-dual-stack/bad.conf",
        files: &["/admin/"],
        from: "::1",
        method: "GET",
        path: "/admin/",
        headers: &[],
        status: 403,
    },
    // A102: a forged X-Forwarded-For passes the allow list.
    Case {
        fixture: "A102-realip-trusts-everyone/bad.conf",
        files: &["/admin/"],
        from: "127.0.0.1",
        method: "GET",
        path: "/admin/",
        headers: &["X-Forwarded-For: 127.0.0.5"],
        status: 200,
    },
];

#[test]
fn each_rule_claim_holds_on_the_real_server() {
    if !have_nginx() {
        return;
    }
    let mut failures = Vec::new();
    for (seed, case) in (0u16..).zip(CASES) {
        let Some(server) = start(case.fixture, seed, case.files) else {
            failures.push(format!("{}: could not set up", case.fixture));
            continue;
        };
        let status = request(&server, case.from, case.method, case.path, case.headers);
        let holds = if case.status == 0 {
            status != 403
        } else {
            status == case.status
        };
        if !holds {
            failures.push(format!(
                "{}: {} {} from {} → {status}, the rule claims {}",
                case.fixture, case.method, case.path, case.from, case.status
            ));
        }
        drop(server);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// P101: `nginx -t` refuses each bad case with the error the message names.
#[test]
fn regex_needs_quotes_fails_nginx_t() {
    if !have_nginx() {
        return;
    }
    for (fixture, error) in [
        (
            "P101-regex-needs-quotes/bad.conf",
            "unknown directive \"2}$\"",
        ),
        (
            "P101-regex-needs-quotes/bad-rewrite.conf",
            "directive \"rewrite\" is not terminated by \";\"",
        ),
        (
            "P101-regex-needs-quotes/bad-semicolon.conf",
            "directive \"location\" has no opening \"{\"",
        ),
        ("P101-regex-needs-quotes/good.conf", "test is successful"),
    ] {
        let dir = std::env::temp_dir().join(format!("lint403-real-nginx-t-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join("nginx.conf"), wrap(fixture, &dir, 20080));
        let output = Command::new(NGINX)
            .arg("-t")
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let stderr = String::from_utf8_lossy(&output.stderr);
        let _ = std::fs::remove_dir_all(&dir);
        assert!(stderr.contains(error), "{fixture}: {stderr}");
    }
}
