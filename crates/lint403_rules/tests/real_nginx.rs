//! Real-server proof of the nginx rules: each bad fixture, wrapped into a
//! minimal full configuration, runs on the installed nginx on 127.0.0.1
//! (through the test kit), and the request the rule's message names gets
//! the status it claims.
//! Without nginx the tests print "SKIPPED: nginx not installed" and pass,
//! unless `LINT403_REQUIRE_SERVERS=1`.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;

use lint403_testkit::layout::{lay_out, Entry};
use lint403_testkit::server::{nginx_main_conf, start};
use lint403_testkit::{send, server_available, temp_prefix, ServerKind, TestRequest};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/nginx")
}

/// The fixture as a whole nginx.conf: its `listen 80` on the test port,
/// `listen [::]:80` on `[::1]`, `@DIR@` replaced by the prefix, wrapped in
/// a `server` block when it has none, pages served from `PREFIX/html`.
fn wrap(fixture: &str, prefix: &Path, port: u16) -> String {
    let text = std::fs::read_to_string(fixtures().join(fixture)).unwrap_or_default();
    let body = text
        .replace("listen 80", &format!("listen 127.0.0.1:{port}"))
        .replace("listen [::]:80;", &format!("listen [::1]:{port};"))
        .replace("@DIR@", &prefix.display().to_string());
    let servers = if body.contains("server {") {
        body
    } else {
        format!("server {{\n listen 127.0.0.1:{port};\n{body}\n}}\n")
    };
    nginx_main_conf(
        prefix,
        &format!(" root {}/html;\n{servers}", prefix.display()),
    )
}

/// The case's pages below `PREFIX/html` (a path ending in `/` gets an
/// `index.html`) and the user file `@DIR@/htpasswd` (user:secret).
fn entries(case: &Case) -> Vec<Entry> {
    let mut entries: Vec<Entry> = case
        .files
        .iter()
        .map(|path| {
            let mut file = format!("html/{}", path.trim_start_matches('/'));
            if file.ends_with('/') {
                file.push_str("index.html");
            }
            Entry::file(&file, "ok\n")
        })
        .collect();
    entries.push(Entry::file("htpasswd", "user:{PLAIN}secret\n"));
    entries
}

/// Starts the case's server and sends its request: the status (0 when the
/// connection closed without a response), or why there is none.
fn status(case: &Case, seed: u16) -> Result<u16, String> {
    let prefix = temp_prefix(&format!("rules-nginx-{seed}"));
    lay_out(&prefix, &entries(case))?;
    let server = start(ServerKind::Nginx, &prefix, seed, &|port| {
        wrap(case.fixture, &prefix, port)
    })
    .map_err(|error| {
        // A failed start leaves the prefix behind.
        let _ = std::fs::remove_dir_all(&prefix);
        format!("nginx did not start: {error}")
    })?;
    let client_ip: IpAddr = case
        .from
        .parse()
        .map_err(|error| format!("client {}: {error}", case.from))?;
    let address = if client_ip.is_ipv4() {
        server.address()
    } else {
        SocketAddr::new(Ipv6Addr::LOCALHOST.into(), server.port)
    };
    let headers = case
        .headers
        .iter()
        .map(|header| {
            let (name, value) = header.split_once(':').unwrap_or((header, ""));
            (name.to_string(), value.trim().to_string())
        })
        .collect();
    let request = TestRequest {
        method: case.method.to_string(),
        client_ip,
        headers,
        ..TestRequest::get(case.path)
    };
    send(address, &request).map(|response| response.status)
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
    // I001: a PHP site (only index.php in the root) whose index is
    // nginx's default: `try_files … $uri/` reaches the index module → 403.
    Case {
        fixture: "I001-directory-without-index/bad.conf",
        files: &["/index.php"],
        from: "127.0.0.1",
        method: "GET",
        path: "/",
        headers: &[],
        status: 403,
    },
    Case {
        fixture: "I001-directory-without-index/bad-index-html.conf",
        files: &["/index.php"],
        from: "127.0.0.1",
        method: "GET",
        path: "/",
        headers: &[],
        status: 403,
    },
    // I001's fixes: `index index.php` hands / to the PHP location (whose
    // FastCGI upstream is down here: 502, not 403); try_files without
    // `$uri/` falls through to /index.php.
    Case {
        fixture: "I001-directory-without-index/good.conf",
        files: &["/index.php"],
        from: "127.0.0.1",
        method: "GET",
        path: "/",
        headers: &[],
        status: 502,
    },
    Case {
        fixture: "I001-directory-without-index/good-no-directory-try.conf",
        files: &["/index.php"],
        from: "127.0.0.1",
        method: "GET",
        path: "/",
        headers: &[],
        status: 502,
    },
    // R003: an unanchored `~shop\.example` lets a look-alike Referer in
    // (200), while a foreign one is refused (403).
    Case {
        fixture: "R003-referer-pattern-admits-lookalike/bad.conf",
        files: &["/images/photo.jpg"],
        from: "127.0.0.1",
        method: "GET",
        path: "/images/photo.jpg",
        headers: &[
            "Host: shop.example",
            "Referer: https://evil.test/?shop.example/",
        ],
        status: 200,
    },
    Case {
        fixture: "R003-referer-pattern-admits-lookalike/bad.conf",
        files: &["/images/photo.jpg"],
        from: "127.0.0.1",
        method: "GET",
        path: "/images/photo.jpg",
        headers: &["Host: shop.example", "Referer: https://evil.test/page"],
        status: 403,
    },
    // R003: an unescaped `.` matches any character.
    Case {
        fixture: "R003-referer-pattern-admits-lookalike/bad-unescaped-dot.conf",
        files: &["/images/photo.jpg"],
        from: "127.0.0.1",
        method: "GET",
        path: "/images/photo.jpg",
        headers: &["Host: shop.example", "Referer: https://shop-example/"],
        status: 200,
    },
    // R003's fixes refuse the look-alikes.
    Case {
        fixture: "R003-referer-pattern-admits-lookalike/good.conf",
        files: &["/images/photo.jpg"],
        from: "127.0.0.1",
        method: "GET",
        path: "/images/photo.jpg",
        headers: &[
            "Host: shop.example",
            "Referer: https://evil.test/?shop.example/",
        ],
        status: 403,
    },
    Case {
        fixture: "R003-referer-pattern-admits-lookalike/good-anchored.conf",
        files: &["/images/photo.jpg"],
        from: "127.0.0.1",
        method: "GET",
        path: "/images/photo.jpg",
        headers: &["Host: shop.example", "Referer: https://shop-example/"],
        status: 403,
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
    if !server_available(ServerKind::Nginx) {
        return;
    }
    let mut failures = Vec::new();
    for (seed, case) in (0u16..).zip(CASES) {
        let status = match status(case, seed) {
            Ok(status) => status,
            Err(error) => {
                failures.push(format!("{}: {error}", case.fixture));
                continue;
            }
        };
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
    }
    println!(
        "{} of {} cases agree with nginx",
        CASES.len() - failures.len(),
        CASES.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// P101: `nginx -t` refuses each bad case with the error the message names.
#[test]
fn regex_needs_quotes_fails_nginx_t() {
    if !server_available(ServerKind::Nginx) {
        return;
    }
    let Some(nginx) = ServerKind::Nginx.binary() else {
        return;
    };
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
        let prefix = temp_prefix("rules-nginx-t");
        // The paths the kit's main configuration names.
        for dir in ["logs", "run", "tmp", "conf"] {
            let _ = std::fs::create_dir_all(prefix.join(dir));
        }
        let config = prefix.join("conf/nginx.conf");
        let _ = std::fs::write(&config, wrap(fixture, &prefix, 20080));
        let output = Command::new(&nginx)
            .arg("-t")
            .arg("-p")
            .arg(&prefix)
            .arg("-c")
            .arg(&config)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let stderr = String::from_utf8_lossy(&output.stderr);
        let _ = std::fs::remove_dir_all(&prefix);
        assert!(stderr.contains(error), "{fixture}: {stderr}");
    }
}
