//! The tracer against the real httpd: each case starts Debian's apache2 on
//! 127.0.0.1 with a full configuration (the oracle's module list and
//! Debian-like base), sends every request from 127.0.0.N, then lowers the
//! same configuration text (with the temporary prefix written as
//! `/srv/lint403`, read through a filesystem view onto the prefix) and
//! traces the same requests. 403 versus not-403 must agree on every
//! request; wherever `trace` gives a status it must be the real one. All
//! mismatches are printed before the test fails.
//!
//! Cases: every Apache case of the peer tests (`../shared/peer-tests`),
//! then lint403's own (below).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use lint403_core::fsview::FsView;
use lint403_core::{CheckOptions, Request, SourceMap, TraceOptions};
use lint403_testkit::http::{send, DEFAULT_USER_AGENT};
use lint403_testkit::layout::{lay_out, Entry};
use lint403_testkit::server::{apache_main_conf, start, ApacheConf};
use lint403_testkit::{peer, server_available, temp_prefix, ServerKind, TestRequest};

const VIRTUAL_ROOT: &str = "/srv/lint403";

/// One configuration with its tree and requests.
pub struct Case {
    pub name: String,
    /// Main-server directives after the base.
    pub main: String,
    /// The `<VirtualHost>` body (`None`: no virtual host).
    pub vhost: Option<String>,
    /// Entries under `www/`.
    pub docroot: Vec<Entry>,
    /// Entries under the prefix itself (user files).
    pub files: Vec<Entry>,
    /// docroot-relative directory -> `.htaccess` text.
    pub htaccess: BTreeMap<String, String>,
    pub requests: Vec<TestRequest>,
    /// The statuses httpd gave, when already known (peer results); they are
    /// checked against the live server too.
    pub recorded: Vec<Option<u16>>,
}

#[derive(Default)]
struct Tally {
    configs: usize,
    requests: usize,
    real_403: usize,
    exact: usize,
    unknown: usize,
    mismatches: Vec<String>,
}

fn core_request(request: &TestRequest, server: SocketAddr) -> Request {
    let mut core = Request::new(&request.method, &request.path);
    core.client_ip = request.client_ip;
    if !request
        .headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("user-agent"))
    {
        core.headers
            .push(("User-Agent".to_string(), DEFAULT_USER_AGENT.to_string()));
    }
    core.headers.extend(request.headers.iter().cloned());
    if !request.omit_host
        && !request
            .headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("host"))
    {
        core.headers
            .push(("Host".to_string(), "localhost".to_string()));
    }
    if let Some((user, password)) = &request.credentials {
        core.user = Some(user.clone());
        core.password = Some(password.clone());
    }
    core.listen = Some(server);
    core
}

fn describe(request: &TestRequest) -> String {
    let mut text = format!(
        "{} {} from {}",
        request.method, request.path, request.client_ip
    );
    for (name, value) in &request.headers {
        let _ = write!(text, " [{name}: {value}]");
    }
    if let Some((user, password)) = &request.credentials {
        let _ = write!(text, " as {user}:{password}");
    }
    text
}

fn run_case(case: &Case, seed: u16, tally: &mut Tally) {
    let prefix = temp_prefix(&format!("trace-{seed}"));
    let prefix_text = prefix.display().to_string();
    let localize = |text: &str| text.replace(VIRTUAL_ROOT, &prefix_text);
    let www = prefix.join("www");
    lay_out(&www, &case.docroot).expect("docroot");
    lay_out(&prefix, &case.files).expect("files");
    for (directory, text) in &case.htaccess {
        let dir = if directory.is_empty() || directory == "." {
            www.clone()
        } else {
            www.join(directory)
        };
        std::fs::create_dir_all(&dir).expect("htaccess dir");
        std::fs::write(dir.join(".htaccess"), localize(text)).expect("htaccess");
    }
    let main = localize(&case.main);
    let vhost = case.vhost.as_deref().map(localize);
    let server = match start(ServerKind::Apache, &prefix, seed, &|port| {
        let main = main.replace("@PORT@", &port.to_string());
        apache_main_conf(
            &prefix,
            port,
            &ApacheConf {
                main: &main,
                vhost: vhost.as_deref(),
                ..ApacheConf::default()
            },
        )
    }) {
        Ok(server) => server,
        Err(error) => {
            tally
                .mismatches
                .push(format!("{}: apache2 did not start: {error}", case.name));
            return;
        }
    };
    let real_text =
        std::fs::read_to_string(prefix.join("conf/server.conf")).expect("config written");
    // lint403 reads the configuration as written for the deploy target.
    let deploy_text = real_text.replace(&prefix_text, VIRTUAL_ROOT);
    let deploy_path = PathBuf::from(format!("{VIRTUAL_ROOT}/conf/server.conf"));
    let mut sources = SourceMap::new();
    let file = sources.add(lint403_core::SourceFile::from_bytes(
        deploy_path,
        deploy_text.into_bytes(),
    ));
    let loaded = lint403_apache::load(
        &mut sources,
        file,
        &CheckOptions {
            path_map: vec![(PathBuf::from(VIRTUAL_ROOT), prefix.clone())],
            ..CheckOptions::default()
        },
    );
    let options = TraceOptions {
        fs: FsView {
            // The .htaccess files on disk name the prefix itself (httpd
            // reads them), so it is visible under both names.
            path_map: vec![
                (PathBuf::from(VIRTUAL_ROOT), prefix.clone()),
                (prefix.clone(), prefix.clone()),
            ],
            read_unmapped: false,
        },
        distribution_defaults: false,
        verdict_only: false,
    };
    let model = lint403_apache::lower(&loaded, &mut sources, &options);
    tally.configs += 1;
    for (index, request) in case.requests.iter().enumerate() {
        let real = match send(server.address(), request) {
            Ok(response) => response.status,
            Err(error) => {
                tally.mismatches.push(format!(
                    "{}: {}: the request failed: {error}",
                    case.name,
                    describe(request)
                ));
                continue;
            }
        };
        tally.requests += 1;
        if real == 403 {
            tally.real_403 += 1;
        }
        if let Some(Some(recorded)) = case.recorded.get(index) {
            if *recorded != real {
                println!(
                    "note {}: {}: peer results say {recorded}, this httpd {real}",
                    case.name,
                    describe(request)
                );
            }
        }
        let verdict =
            lint403_apache::trace(&model, &core_request(request, server.address()), &options);
        let traced = verdict.status;
        let agree_403 = traced.is_some() && (traced == Some(403)) == (real == 403);
        match traced {
            Some(status) if status == real => tally.exact += 1,
            Some(status) => tally.mismatches.push(format!(
                "{}: {}: httpd {real}, trace {status}{}",
                case.name,
                describe(request),
                if agree_403 { "" } else { " (403 disagreement)" }
            )),
            None => {
                tally.unknown += 1;
                tally.mismatches.push(format!(
                    "{}: {}: httpd {real}, trace unknown ({})",
                    case.name,
                    describe(request),
                    verdict.unknown.as_deref().unwrap_or("")
                ));
            }
        }
        if std::env::var("LINT403_TRACE_LIST").is_ok() {
            println!(
                "{}: {} -> httpd {real}, trace {traced:?}",
                case.name,
                describe(request)
            );
        }
        if std::env::var("LINT403_TRACE_STEPS").is_ok() {
            for step in &verdict.steps {
                println!("    {}: {}", step.role.as_str(), step.text);
            }
        }
    }
    if std::env::var("LINT403_SHOW_CASE").as_deref() == Ok(case.name.as_str()) {
        println!(
            "--- {} vhost:\n{}",
            case.name,
            case.vhost.as_deref().unwrap_or("")
        );
        for (dir, text) in &case.htaccess {
            println!("--- {dir}/.htaccess:\n{text}");
        }
    }
    drop(server);
}

fn peer_cases() -> Vec<Case> {
    let Some(dir) = peer::peer_tests_dir() else {
        return Vec::new();
    };
    let cases = peer::load_cases(&dir, "apache").expect("peer cases load");
    cases
        .into_iter()
        .map(|case| Case {
            name: case.name.clone(),
            main: String::new(),
            vhost: Some(case.config.clone()),
            docroot: case.docroot.clone(),
            files: case.files.clone(),
            htaccess: case.htaccess.clone(),
            requests: case
                .requests
                .iter()
                .map(peer::PeerRequest::to_test_request)
                .collect(),
            recorded: case.statuses.iter().map(|status| Some(*status)).collect(),
        })
        .collect()
}

fn run_all(cases: &[Case], label: &str, seed_base: u16) {
    let mut tally = Tally::default();
    for (index, case) in cases.iter().enumerate() {
        let seed = seed_base + u16::try_from(index).unwrap_or(0);
        run_case(case, seed, &mut tally);
    }
    for mismatch in &tally.mismatches {
        println!("MISMATCH {mismatch}");
    }
    println!(
        "{label}: {} configs, {} requests ({} answered 403 by httpd): {} exact, {} unknown, {} mismatches",
        tally.configs,
        tally.requests,
        tally.real_403,
        tally.exact,
        tally.unknown,
        tally.mismatches.len()
    );
    assert!(
        tally.mismatches.is_empty(),
        "{} mismatches (printed above)",
        tally.mismatches.len()
    );
}

#[test]
fn peer_cases_agree_with_httpd() {
    if !server_available(ServerKind::Apache) {
        return;
    }
    let cases = peer_cases();
    if cases.is_empty() {
        return;
    }
    run_all(&cases, "peer cases", 100);
}

#[test]
fn own_cases_agree_with_httpd() {
    if !server_available(ServerKind::Apache) {
        return;
    }
    let cases = own_cases();
    assert!(cases.len() >= 25, "at least 25 own configs");
    run_all(&cases, "own cases", 300);
}

#[allow(dead_code)]
fn unused(_: &Path, _: IpAddr) {}

/// The document root granted to everyone (the base denies `/`).
const GRANT: &str = "<Directory /srv/lint403/www>\n    Require all granted\n</Directory>\n";

/// `GET /path`, then words: `@127.0.0.N` (client), `H:Name=value` (a
/// header; `+` stands for a blank), `U:user:password` (Basic credentials).
fn request(spec: &str) -> TestRequest {
    let mut words = spec.split_whitespace();
    let method = words.next().unwrap_or("GET");
    let path = words.next().unwrap_or("/");
    let mut request = TestRequest::get(path);
    request.method = method.to_string();
    for word in words {
        if let Some(ip) = word.strip_prefix('@') {
            request.client_ip = ip.parse().expect("client address");
        } else if let Some(header) = word.strip_prefix("H:") {
            let (name, value) = header.split_once('=').expect("H:Name=value");
            request
                .headers
                .push((name.to_string(), value.replace('+', " ")));
        } else if let Some(credentials) = word.strip_prefix("U:") {
            let (user, password) = credentials.split_once(':').expect("U:user:password");
            request.credentials = Some((user.to_string(), password.to_string()));
        } else {
            panic!("unknown request word {word:?}");
        }
    }
    request
}

/// A docroot entry: `path` and content; `->target` makes a symlink; a
/// path ending in `/` a directory.
fn entry(path: &str, content: &str) -> Entry {
    if let Some(target) = content.strip_prefix("->") {
        Entry::symlink(path, target)
    } else if let Some(dir) = path.strip_suffix('/') {
        Entry::directory(dir)
    } else {
        Entry::file(path, content)
    }
}

struct Spec<'a> {
    name: &'a str,
    main: &'a str,
    /// Prepend `GRANT` to the vhost.
    grant: bool,
    vhost: &'a str,
    docroot: &'a [(&'a str, &'a str)],
    files: &'a [(&'a str, &'a str)],
    htaccess: &'a [(&'a str, &'a str)],
    requests: &'a [&'a str],
}

fn build(spec: &Spec<'_>) -> Case {
    let mut files: Vec<Entry> = Vec::new();
    for (path, content) in spec.files {
        if let Some(users) = content.strip_prefix("htpasswd:") {
            let mut map = BTreeMap::new();
            for pair in users.split(',') {
                let (user, password) = pair.split_once('=').expect("user=password");
                map.insert(user.to_string(), password.to_string());
            }
            files.push(Entry {
                path: (*path).to_string(),
                htpasswd: Some(map),
                ..Entry::default()
            });
        } else {
            files.push(entry(path, content));
        }
    }
    Case {
        name: spec.name.to_string(),
        main: spec.main.to_string(),
        vhost: Some(if spec.grant {
            format!("{GRANT}{}", spec.vhost)
        } else {
            spec.vhost.to_string()
        }),
        docroot: spec
            .docroot
            .iter()
            .map(|(path, content)| entry(path, content))
            .collect(),
        files,
        htaccess: spec
            .htaccess
            .iter()
            .map(|(dir, text)| ((*dir).to_string(), (*text).to_string()))
            .collect(),
        requests: spec.requests.iter().map(|spec| request(spec)).collect(),
        recorded: Vec::new(),
    }
}

const PAGES: &[(&str, &str)] = &[
    ("index.html", "home\n"),
    ("a.html", "a\n"),
    ("img/a.png", "png\n"),
    ("img/b.jpg", "jpg\n"),
    ("sub/index.html", "sub\n"),
    ("sub/s.txt", "s\n"),
];

#[allow(clippy::too_many_lines)]
fn own_cases() -> Vec<Case> {
    let specs: Vec<Spec<'_>> = vec![
        Spec {
            name: "require-nesting",
            main: "SetEnvIf X-Trust yes trusted",
            grant: false,
            vhost: "<Directory /srv/lint403/www>\n<RequireAll>\nRequire ip 127.0.0.0/8\n<RequireAny>\nRequire ip 127.0.0.2\nRequire env trusted\n</RequireAny>\nRequire not ip 127.0.0.5\n</RequireAll>\n</Directory>",
            docroot: PAGES,
            files: &[],
            htaccess: &[],
            requests: &["GET /a.html", "GET /a.html @127.0.0.2", "GET /a.html H:X-Trust=yes", "GET /a.html @127.0.0.5 H:X-Trust=yes", "GET /a.html @127.0.0.3", "GET /sub/ @127.0.0.2"],
        },
        Spec {
            name: "require-none",
            main: "",
            grant: false,
            vhost: "<Directory /srv/lint403/www>\n<RequireAll>\nRequire all granted\n<RequireNone>\nRequire ip 127.0.0.3\nRequire ip 127.0.0.4\n</RequireNone>\n</RequireAll>\n</Directory>",
            docroot: PAGES,
            files: &[],
            htaccess: &[],
            requests: &["GET /a.html", "GET /a.html @127.0.0.3", "GET /a.html @127.0.0.4", "GET / @127.0.0.6"],
        },
        Spec {
            name: "implicit-any",
            main: "",
            grant: false,
            vhost: "<Directory /srv/lint403/www>\nRequire all denied\nRequire ip 127.0.0.2 127.0.0.7\n</Directory>",
            docroot: PAGES,
            files: &[],
            htaccess: &[],
            requests: &["GET /a.html", "GET /a.html @127.0.0.2", "GET /a.html @127.0.0.7", "GET /missing.html @127.0.0.2", "GET /missing.html"],
        },
        Spec {
            name: "engines-mixed",
            main: "",
            grant: false,
            vhost: "<Directory /srv/lint403/www>\nRequire all granted\nOrder deny,allow\nDeny from 127.0.0.2\n</Directory>\n<Directory /srv/lint403/www/sub>\nOrder allow,deny\nAllow from all\n</Directory>\n<Directory /srv/lint403/www/img>\nRequire all denied\nAllow from all\n</Directory>",
            docroot: PAGES,
            files: &[],
            htaccess: &[],
            requests: &["GET /a.html", "GET /a.html @127.0.0.2", "GET /sub/s.txt @127.0.0.2", "GET /img/a.png", "GET /img/a.png @127.0.0.2"],
        },
        Spec {
            name: "satisfy-any",
            main: "",
            grant: false,
            vhost: "<Directory /srv/lint403/www>\nRequire all granted\n</Directory>\n<Directory /srv/lint403/www/sub>\nAuthType Basic\nAuthName private\nAuthUserFile /srv/lint403/users\nRequire valid-user\nOrder deny,allow\nDeny from all\nAllow from 127.0.0.2\nSatisfy any\n</Directory>",
            docroot: PAGES,
            files: &[("users", "htpasswd:alice=secret")],
            htaccess: &[],
            requests: &["GET /sub/s.txt @127.0.0.2", "GET /sub/s.txt", "GET /sub/s.txt U:alice:secret", "GET /sub/s.txt U:alice:wrong", "GET /sub/s.txt U:bob:secret", "GET /a.html"],
        },
        Spec {
            name: "satisfy-any-without-lists",
            main: "",
            grant: false,
            vhost: "<Directory /srv/lint403/www>\nRequire all denied\nSatisfy Any\n</Directory>\n<Directory /srv/lint403/www/sub>\nSatisfy All\n</Directory>",
            docroot: PAGES,
            files: &[],
            htaccess: &[],
            requests: &["GET /a.html", "GET /sub/s.txt", "GET /"],
        },
        Spec {
            name: "authmerging",
            main: "",
            grant: false,
            vhost: "<Directory /srv/lint403/www>\nRequire ip 127.0.0.0/29\n</Directory>\n<Directory /srv/lint403/www/sub>\nAuthMerging And\n<RequireAll>\nRequire all granted\nRequire not ip 127.0.0.3\n</RequireAll>\n</Directory>\n<Directory /srv/lint403/www/img>\nAuthMerging Or\nRequire ip 127.0.0.9\n</Directory>",
            docroot: PAGES,
            files: &[],
            htaccess: &[],
            requests: &["GET /sub/s.txt", "GET /sub/s.txt @127.0.0.3", "GET /sub/s.txt @127.0.0.9", "GET /a.html @127.0.0.9", "GET /a.html @127.0.0.3", "GET /img/a.png @127.0.0.9", "GET /img/a.png @127.0.0.10", "GET /img/a.png @127.0.0.4"],
        },
        Spec {
            name: "authmerging-replace-and-off",
            main: "",
            grant: false,
            vhost: "<Directory /srv/lint403/www>\nRequire ip 127.0.0.2\n</Directory>\n<Directory /srv/lint403/www/sub>\nRequire all granted\n</Directory>\n<Directory /srv/lint403/www/img>\nAuthMerging Off\n</Directory>",
            docroot: PAGES,
            files: &[],
            htaccess: &[],
            requests: &["GET /a.html", "GET /a.html @127.0.0.2", "GET /sub/s.txt", "GET /img/a.png", "GET /img/b.jpg @127.0.0.4"],
        },
        Spec {
            name: "htaccess-authconfig",
            main: "",
            grant: true,
            vhost: "<Directory /srv/lint403/www/sub>\nAllowOverride AuthConfig\n</Directory>\n<Directory /srv/lint403/www/img>\nAllowOverride FileInfo\n</Directory>",
            docroot: PAGES,
            files: &[],
            htaccess: &[("sub", "Require ip 127.0.0.2\n"), ("img", "Require all denied\n"), ("", "Require all denied\n")],
            requests: &["GET /sub/s.txt", "GET /sub/s.txt @127.0.0.2", "GET /img/a.png", "GET /a.html", "GET /.htaccess"],
        },
        Spec {
            name: "htaccess-options-class",
            main: "",
            grant: true,
            vhost: "<Directory /srv/lint403/www/sub>\nAllowOverride Options=Indexes\nOptions Indexes FollowSymLinks\n</Directory>\n<Directory /srv/lint403/www/img>\nAllowOverride Options=Indexes\nOptions Indexes\n</Directory>\n<Directory /srv/lint403/www/list>\nAllowOverride Indexes\n</Directory>",
            docroot: &[("sub/s.txt", "s\n"), ("img/a.png", "png\n"), ("list/a.txt", "a\n"), ("list/home.html", "home\n")],
            files: &[],
            htaccess: &[("sub", "Options -Indexes\n"), ("img", "Options -FollowSymLinks\n"), ("list", "DirectoryIndex home.html\n")],
            requests: &["GET /sub/", "GET /sub/s.txt", "GET /img/a.png", "GET /img/", "GET /list/", "GET /list"],
        },
        Spec {
            name: "htaccess-limit-class",
            main: "",
            grant: true,
            vhost: "<Directory /srv/lint403/www/sub>\nAllowOverride Limit\n</Directory>\n<Directory /srv/lint403/www/img>\nAllowOverride Limit\n</Directory>",
            docroot: PAGES,
            files: &[],
            htaccess: &[("sub", "Order deny,allow\nDeny from all\nAllow from 127.0.0.2\n"), ("img", "Require all denied\n")],
            requests: &["GET /sub/s.txt", "GET /sub/s.txt @127.0.0.2", "GET /img/a.png", "GET /a.html"],
        },
        Spec {
            name: "htaccess-resets-compat-list",
            main: "",
            grant: false,
            vhost: "<Directory /srv/lint403/www>\nRequire all granted\nOrder deny,allow\nDeny from all\nAllowOverride Limit\n</Directory>",
            docroot: PAGES,
            files: &[],
            htaccess: &[("sub", "Allow from 127.0.0.2\n")],
            requests: &["GET /a.html", "GET /sub/s.txt", "GET /sub/s.txt @127.0.0.2", "GET /sub/"],
        },
        Spec {
            name: "filesmatch-dotfiles",
            main: "",
            grant: true,
            vhost: "<Directory /srv/lint403/www>\nOptions Indexes FollowSymLinks\n</Directory>\n<FilesMatch \"^\\.\">\nRequire all denied\n</FilesMatch>",
            docroot: &[("index.html", "home\n"), (".env", "x\n"), (".git/config", "x\n"), (".well-known/acme-challenge/t", "t\n")],
            files: &[],
            htaccess: &[],
            requests: &["GET /.env", "GET /.git/config", "GET /.git/", "GET /.git", "GET /.well-known/acme-challenge/t", "GET /.well-known"],
        },
        Spec {
            name: "directorymatch-dotdirs-lookahead",
            main: "",
            grant: true,
            vhost: "<DirectoryMatch \"/\\.(?!well-known)\">\nRequire all denied\n</DirectoryMatch>",
            docroot: &[("index.html", "home\n"), (".env", "x\n"), (".git/config", "x\n"), (".well-known/acme-challenge/t", "t\n"), ("a.html", "a\n")],
            files: &[],
            htaccess: &[],
            requests: &["GET /.git/config", "GET /.git/", "GET /.well-known/acme-challenge/t", "GET /.env", "GET /a.html"],
        },
        Spec {
            name: "directorymatch-dotdirs-all",
            main: "",
            grant: true,
            vhost: "<DirectoryMatch \"^/srv/lint403/www/(.+/)?\\.\">\nRequire all denied\n</DirectoryMatch>\n<DirectoryMatch \"^/srv/lint403/www/sub$\">\nRequire all denied\n</DirectoryMatch>",
            docroot: &[("index.html", "home\n"), (".git/config", "x\n"), (".well-known/acme-challenge/t", "t\n"), ("sub/s.txt", "s\n"), ("sub/index.html", "i\n")],
            files: &[],
            htaccess: &[],
            requests: &["GET /.git/config", "GET /.well-known/acme-challenge/t", "GET /sub", "GET /sub/", "GET /sub/s.txt"],
        },
        Spec {
            name: "location-reopens",
            main: "",
            grant: true,
            vhost: "<Directory /srv/lint403/www/sub>\nRequire all denied\n</Directory>\n<Location /sub/open>\nRequire all granted\n</Location>\n<Location /img>\nRequire ip 127.0.0.2\n</Location>",
            docroot: &[("sub/s.txt", "s\n"), ("sub/open/o.txt", "o\n"), ("sub/openx.txt", "x\n"), ("img/a.png", "p\n"), ("imgx.html", "x\n")],
            files: &[],
            htaccess: &[],
            requests: &["GET /sub/s.txt", "GET /sub/open/o.txt", "GET /sub/openx.txt", "GET /img/a.png", "GET /img/a.png @127.0.0.2", "GET /imgx.html"],
        },
        Spec {
            name: "location-beats-files",
            main: "",
            grant: true,
            vhost: "<Files \"secret.txt\">\nRequire all denied\n</Files>\n<Location /sub>\nRequire all granted\n</Location>",
            docroot: &[("secret.txt", "s\n"), ("sub/secret.txt", "s\n"), ("sub/.htpasswd", "x\n")],
            files: &[],
            htaccess: &[],
            requests: &["GET /secret.txt", "GET /sub/secret.txt", "GET /sub/.htpasswd", "GET /.htaccess"],
        },
        Spec {
            name: "rewrite-hotlink",
            main: "",
            grant: true,
            vhost: "RewriteEngine On\nRewriteCond %{HTTP_REFERER} !^$\nRewriteCond %{HTTP_REFERER} !^https?://(www\\.)?example\\.com/ [NC]\nRewriteRule \\.(png|jpg)$ - [F,NC]",
            docroot: PAGES,
            files: &[],
            htaccess: &[],
            requests: &["GET /img/a.png", "GET /img/a.png H:Referer=https://example.com/page", "GET /img/a.png H:Referer=https://evil.test/", "GET /img/a.png H:Referer=https://www.example.com.evil.test/", "GET /img/a.png H:Referer=https://EXAMPLE.com/x", "GET /img/b.jpg H:Referer=https://example.com:8443/", "GET /a.html H:Referer=https://evil.test/"],
        },
        Spec {
            name: "rewrite-hotlink-strict",
            main: "",
            grant: true,
            vhost: "RewriteEngine On\nRewriteCond %{HTTP_REFERER} !example\\.com\nRewriteRule \\.png$ - [F]",
            docroot: PAGES,
            files: &[],
            htaccess: &[],
            requests: &["GET /img/a.png", "GET /img/a.png H:Referer=https://evil.test/?example.com", "GET /img/a.png H:Referer=https://evil.test/", "GET /img/b.jpg"],
        },
        Spec {
            name: "rewrite-perdir",
            main: "",
            grant: false,
            vhost: "<Directory /srv/lint403/www>\nRequire all granted\nAllowOverride All\n</Directory>",
            docroot: PAGES,
            files: &[],
            htaccess: &[("", "RewriteEngine On\nRewriteCond %{REQUEST_FILENAME} !-f\nRewriteCond %{REQUEST_FILENAME} !-d\nRewriteRule ^ index.html [L]\nRewriteRule ^sub/s\\.txt$ - [F]\nRewriteRule ^gone$ - [G]\n")],
            requests: &["GET /a.html", "GET /nothing/here", "GET /sub/s.txt", "GET /sub/", "GET /gone"],
        },
        Spec {
            name: "rewrite-without-symlinks",
            main: "",
            grant: true,
            vhost: "<Directory /srv/lint403/www/sub>\nOptions -FollowSymLinks\nRewriteEngine On\nRewriteRule ^never$ - [F]\n</Directory>\n<Directory /srv/lint403/www/img>\nOptions -FollowSymLinks +SymLinksIfOwnerMatch\nRewriteEngine On\nRewriteRule ^never$ - [F]\n</Directory>",
            docroot: PAGES,
            files: &[],
            htaccess: &[],
            requests: &["GET /sub/s.txt", "GET /sub/", "GET /img/a.png", "GET /a.html"],
        },
        Spec {
            name: "indexes",
            main: "",
            grant: true,
            vhost: "<Directory /srv/lint403/www>\nOptions -Indexes\n</Directory>\n<Directory /srv/lint403/www/list>\nOptions +Indexes\n</Directory>\n<Directory /srv/lint403/www/custom>\nDirectoryIndex home.html\n</Directory>",
            docroot: &[("withindex/index.html", "i\n"), ("noindex/a.txt", "a\n"), ("list/a.txt", "a\n"), ("custom/home.html", "h\n"), ("custom2/index.htm", "h\n")],
            files: &[],
            htaccess: &[],
            requests: &["GET /withindex/", "GET /noindex/", "GET /noindex", "GET /list/", "GET /custom/", "GET /custom2/", "GET /nowhere/"],
        },
        Spec {
            name: "setenvif-require-env",
            main: "SetEnvIf Referer \"^https://good\\.example/\" goodref\nBrowserMatchNoCase badbot bad",
            grant: false,
            vhost: "<Directory /srv/lint403/www>\n<RequireAll>\nRequire all granted\nRequire not env bad\n</RequireAll>\n</Directory>\n<Files \"*.png\">\nRequire env goodref\n</Files>",
            docroot: PAGES,
            files: &[],
            htaccess: &[],
            requests: &["GET /img/a.png", "GET /img/a.png H:Referer=https://good.example/page", "GET /img/a.png H:Referer=https://good.example.evil/", "GET /a.html", "GET /a.html H:User-Agent=BadBot/1.0", "GET /img/a.png H:Referer=https://good.example/ H:User-Agent=badbot"],
        },
        Spec {
            name: "limit-and-limitexcept",
            main: "",
            grant: true,
            vhost: "<Directory /srv/lint403/www/sub>\n<Limit POST>\nRequire all denied\n</Limit>\n</Directory>\n<Directory /srv/lint403/www/img>\n<LimitExcept GET>\nRequire all denied\n</LimitExcept>\n</Directory>\n<Directory /srv/lint403/www/both>\nRequire all granted\n<Limit POST>\nRequire all denied\n</Limit>\n</Directory>",
            docroot: &[("sub/s.txt", "s\n"), ("img/a.png", "p\n"), ("both/b.txt", "b\n")],
            files: &[],
            htaccess: &[],
            requests: &["GET /sub/s.txt", "POST /sub/s.txt", "PUT /sub/s.txt", "HEAD /sub/s.txt", "GET /img/a.png", "HEAD /img/a.png", "POST /img/a.png", "OPTIONS /img/a.png", "POST /both/b.txt"],
        },
        Spec {
            name: "vhost-by-host",
            main: "<VirtualHost 127.0.0.1:@PORT@>\nServerName one.test\nDocumentRoot /srv/lint403/one\n<Directory /srv/lint403/one>\nRequire all granted\n</Directory>\n</VirtualHost>",
            grant: false,
            vhost: "ServerName two.test\nServerAlias *.two.test\n<Directory /srv/lint403/www>\nRequire ip 127.0.0.2\n</Directory>",
            docroot: PAGES,
            files: &[("one/a.html", "one\n")],
            htaccess: &[],
            requests: &["GET /a.html H:Host=one.test", "GET /a.html H:Host=two.test", "GET /a.html H:Host=two.test @127.0.0.2", "GET /a.html H:Host=x.two.test @127.0.0.2", "GET /a.html H:Host=other.test", "GET /a.html H:Host=TWO.test:80", "GET /index.html H:Host=one.test"],
        },
        Spec {
            name: "if-sections",
            main: "",
            grant: false,
            vhost: "<Directory /srv/lint403/www>\nRequire all granted\n<If \"%{HTTP_HOST} == 'blocked.test'\">\nRequire all denied\n</If>\n<ElseIf \"-R '127.0.0.8/30'\">\nRequire all denied\n</ElseIf>\n</Directory>\n<Directory /srv/lint403/www/sub>\n<If \"%{QUERY_STRING} =~ /debug/\">\nRequire all denied\n</If>\n<Else>\nRequire all granted\n</Else>\n</Directory>",
            docroot: PAGES,
            files: &[],
            htaccess: &[],
            requests: &["GET /a.html", "GET /a.html H:Host=blocked.test", "GET /a.html @127.0.0.9", "GET /a.html @127.0.0.12", "GET /sub/s.txt?debug=1", "GET /sub/s.txt?x=1"],
        },
        Spec {
            name: "redirect-statuses",
            main: "",
            grant: true,
            vhost: "RedirectMatch 403 \"/\\.git\"\nRedirect gone /old\nRedirect 301 /moved http://localhost/a.html",
            docroot: &[("index.html", "h\n"), (".git/config", "x\n"), ("old/x.html", "x\n"), ("a.html", "a\n")],
            files: &[],
            htaccess: &[],
            requests: &["GET /.git/config", "GET /old/x.html", "GET /moved", "GET /a.html", "GET /older.html"],
        },
        Spec {
            name: "alias-outside-docroot",
            main: "",
            grant: true,
            vhost: "Alias /ext /srv/lint403/ext\nAlias /ext2 /srv/lint403/ext2\n<Directory /srv/lint403/ext2>\nRequire all granted\n</Directory>",
            docroot: PAGES,
            files: &[("ext/f.txt", "f\n"), ("ext2/f.txt", "f\n")],
            htaccess: &[],
            requests: &["GET /ext/f.txt", "GET /ext2/f.txt", "GET /ext2/none.txt", "GET /extra.html"],
        },
        Spec {
            name: "symlinks",
            main: "",
            grant: true,
            vhost: "<Directory /srv/lint403/www/sub>\nOptions -FollowSymLinks\n</Directory>",
            docroot: &[("index.html", "h\n"), ("sub/s.txt", "s\n"), ("sub/link.html", "->../index.html"), ("link.html", "->index.html"), ("dangling.html", "->nowhere.html")],
            files: &[],
            htaccess: &[],
            requests: &["GET /sub/link.html", "GET /sub/s.txt", "GET /link.html", "GET /dangling.html"],
        },
        Spec {
            name: "compat-addresses",
            main: "",
            grant: false,
            vhost: "<Directory /srv/lint403/www>\nOrder allow,deny\nAllow from 127.0.0.0/255.255.255.252\nDeny from 127.0.0.3\n</Directory>\n<Directory /srv/lint403/www/sub>\nOrder mutual-failure\nAllow from 127.0.0\nDeny from 127.0.0.6\n</Directory>",
            docroot: PAGES,
            files: &[],
            htaccess: &[],
            requests: &["GET /a.html", "GET /a.html @127.0.0.2", "GET /a.html @127.0.0.3", "GET /a.html @127.0.0.5", "GET /sub/s.txt @127.0.0.5", "GET /sub/s.txt @127.0.0.6"],
        },
        Spec {
            name: "compat-env",
            main: "SetEnvIf X-Key secret letin",
            grant: false,
            vhost: "<Directory /srv/lint403/www>\nOrder deny,allow\nDeny from all\nAllow from env=letin\n</Directory>\n<Directory /srv/lint403/www/sub>\nOrder allow,deny\nAllow from all\nDeny from env=!letin\n</Directory>",
            docroot: PAGES,
            files: &[],
            htaccess: &[],
            requests: &["GET /a.html", "GET /a.html H:X-Key=secret", "GET /sub/s.txt", "GET /sub/s.txt H:X-Key=secret"],
        },
        Spec {
            name: "authz-users-and-forbidden-on-failure",
            main: "",
            grant: false,
            vhost: "<Directory /srv/lint403/www>\nAuthType Basic\nAuthName users\nAuthUserFile /srv/lint403/users\nRequire user alice\n</Directory>\n<Directory /srv/lint403/www/sub>\nAuthzSendForbiddenOnFailure On\n</Directory>",
            docroot: PAGES,
            files: &[("users", "htpasswd:alice=a1,bob=b2")],
            htaccess: &[],
            requests: &["GET /a.html", "GET /a.html U:alice:a1", "GET /a.html U:bob:b2", "GET /sub/s.txt U:bob:b2", "GET /sub/s.txt U:alice:a1", "GET /sub/s.txt U:alice:bad"],
        },
        Spec {
            name: "require-expr-and-method",
            main: "",
            grant: false,
            vhost: "<Directory /srv/lint403/www>\nRequire expr \"%{HTTP_REFERER} =~ m#^https://ok\\.test/#\"\n</Directory>\n<Directory /srv/lint403/www/sub>\n<RequireAll>\nRequire method GET POST\nRequire ip 127.0.0.0/8\n</RequireAll>\n</Directory>",
            docroot: PAGES,
            files: &[],
            htaccess: &[],
            requests: &["GET /a.html", "GET /a.html H:Referer=https://ok.test/x", "GET /a.html H:Referer=https://bad.test/", "GET /sub/s.txt", "POST /sub/s.txt", "PUT /sub/s.txt", "DELETE /sub/s.txt"],
        },
        Spec {
            name: "htaccess-not-read",
            main: "",
            grant: false,
            vhost: GRANT,
            docroot: PAGES,
            files: &[],
            htaccess: &[("", "Require all denied\n"), ("sub", "Bogus directive\n")],
            requests: &["GET /a.html", "GET /sub/s.txt", "GET /"],
        },
        Spec {
            name: "htaccess-broken-and-unknown-provider",
            main: "",
            grant: false,
            vhost: "<Directory /srv/lint403/www>\nRequire all granted\nAllowOverride All\n</Directory>",
            docroot: PAGES,
            files: &[],
            htaccess: &[("sub", "Bogus directive\n"), ("img", "Require valid user\n")],
            requests: &["GET /a.html", "GET /sub/s.txt", "GET /img/a.png"],
        },
        Spec {
            name: "normalization",
            main: "",
            grant: true,
            vhost: "<Directory /srv/lint403/www/sub>\nRequire all denied\n</Directory>",
            docroot: PAGES,
            files: &[],
            htaccess: &[],
            requests: &["GET /img/../sub/s.txt", "GET //sub//s.txt", "GET /%73ub/s.txt", "GET /sub%2fs.txt", "GET /img/./a.png", "GET /a.html/extra"],
        },
    ];
    specs
        .iter()
        .chain(more_specs().iter())
        .chain(real_world_specs().iter())
        .map(build)
        .collect()
}

#[allow(clippy::too_many_lines)]
fn more_specs() -> Vec<Spec<'static>> {
    vec![
        Spec {
            name: "require-host-and-local",
            main: "",
            grant: false,
            vhost: "<Directory /srv/lint403/www>\nRequire host localhost\n</Directory>\n<Directory /srv/lint403/www/sub>\nRequire local\n</Directory>",
            docroot: PAGES,
            files: &[],
            htaccess: &[],
            requests: &["GET /a.html", "GET /sub/s.txt", "GET /sub/s.txt @127.0.0.5"],
        },
        Spec {
            name: "options-relative-merge",
            main: "",
            grant: true,
            vhost: "<Directory /srv/lint403/www>\nOptions Indexes\n</Directory>\n<Directory /srv/lint403/www/d1>\nOptions -Indexes +FollowSymLinks\n</Directory>\n<Directory /srv/lint403/www/d1/d2>\nOptions +Indexes\n</Directory>\n<Directory /srv/lint403/www/d3>\nOptions FollowSymLinks\n</Directory>",
            docroot: &[("d0/a.txt", "a\n"), ("d1/a.txt", "a\n"), ("d1/d2/a.txt", "a\n"), ("d3/a.txt", "a\n")],
            files: &[],
            htaccess: &[],
            requests: &["GET /d0/", "GET /d1/", "GET /d1/d2/", "GET /d3/", "GET /"],
        },
        Spec {
            name: "directory-slash-off",
            main: "",
            grant: true,
            vhost: "<Directory /srv/lint403/www>\nOptions Indexes\n</Directory>\n<Directory /srv/lint403/www/noslash>\nDirectorySlash Off\n</Directory>",
            docroot: &[("noslash/index.html", "i\n"), ("slash/index.html", "i\n")],
            files: &[],
            htaccess: &[],
            requests: &["GET /noslash", "GET /noslash/", "GET /slash", "GET /slash/"],
        },
        Spec {
            name: "files-nested-in-directory",
            main: "",
            grant: true,
            vhost: "<Directory /srv/lint403/www/sub>\n<Files s.txt>\nRequire all denied\n</Files>\n</Directory>",
            docroot: &[("s.txt", "s\n"), ("sub/s.txt", "s\n"), ("sub/t.txt", "t\n")],
            files: &[],
            htaccess: &[("img", "<Files \"*.png\">\nRequire all denied\n</Files>\n")],
            requests: &["GET /s.txt", "GET /sub/s.txt", "GET /sub/t.txt"],
        },
        Spec {
            name: "htaccess-files-section",
            main: "",
            grant: false,
            vhost: "<Directory /srv/lint403/www>\nRequire all granted\nAllowOverride AuthConfig\n</Directory>",
            docroot: &[("img/a.png", "p\n"), ("img/b.jpg", "j\n")],
            files: &[],
            htaccess: &[("img", "<Files \"*.png\">\nRequire all denied\n</Files>\n")],
            requests: &["GET /img/a.png", "GET /img/b.jpg"],
        },
        Spec {
            name: "location-root-opens-ht-files",
            main: "",
            grant: true,
            vhost: "<Location />\nRequire all granted\n</Location>",
            docroot: &[(".htpasswd", "x\n"), ("index.html", "i\n")],
            files: &[],
            htaccess: &[],
            requests: &["GET /.htpasswd", "GET /index.html"],
        },
        Spec {
            name: "server-rewrite-to-path",
            main: "",
            grant: true,
            vhost: "RewriteEngine On\nRewriteRule ^/other/(.*)$ /srv/lint403/other/$1\nRewriteRule ^/open/(.*)$ /srv/lint403/open/$1\nRewriteRule ^/pt/(.*)$ /sub/$1 [PT]\n<Directory /srv/lint403/open>\nRequire all granted\n</Directory>",
            docroot: PAGES,
            files: &[("other/o.txt", "o\n"), ("open/o.txt", "o\n")],
            htaccess: &[],
            requests: &["GET /other/o.txt", "GET /open/o.txt", "GET /pt/s.txt", "GET /open/none.txt"],
        },
        Spec {
            name: "perdir-rewrite-into-denied",
            main: "",
            grant: false,
            vhost: "<Directory /srv/lint403/www>\nRequire all granted\nAllowOverride All\n</Directory>\n<Directory /srv/lint403/www/priv>\nRequire all denied\n</Directory>",
            docroot: &[("priv/x.txt", "x\n"), ("pub/y.txt", "y\n"), ("index.html", "i\n")],
            files: &[],
            htaccess: &[("", "RewriteEngine On\nRewriteRule ^pub/x\\.txt$ priv/x.txt [L]\nRewriteRule ^alias/(.*)$ pub/$1 [L]\n")],
            requests: &["GET /pub/x.txt", "GET /pub/y.txt", "GET /alias/y.txt", "GET /priv/x.txt"],
        },
        Spec {
            name: "rewrite-base",
            main: "",
            grant: false,
            vhost: "<Directory /srv/lint403/www>\nRequire all granted\nAllowOverride All\n</Directory>",
            docroot: &[("app/real.html", "r\n"), ("app/index.html", "i\n")],
            files: &[],
            htaccess: &[("app", "RewriteEngine On\nRewriteBase /app/\nRewriteRule ^virtual$ real.html [L]\nRewriteRule ^forbid - [F]\n")],
            requests: &["GET /app/virtual", "GET /app/real.html", "GET /app/forbidden", "GET /app/"],
        },
        Spec {
            name: "errordocument-keeps-403",
            main: "",
            grant: true,
            vhost: "ErrorDocument 403 /err.html\n<Directory /srv/lint403/www/sub>\nRequire all denied\n</Directory>",
            docroot: &[("err.html", "e\n"), ("sub/s.txt", "s\n")],
            files: &[],
            htaccess: &[],
            requests: &["GET /sub/s.txt", "GET /err.html"],
        },
        Spec {
            name: "directoryindex-candidates",
            main: "",
            grant: true,
            vhost: "DirectoryIndex secret.html index.html\n<Files secret.html>\nRequire all denied\n</Files>",
            docroot: &[("both/secret.html", "s\n"), ("both/index.html", "i\n"), ("only/secret.html", "s\n"), ("none/a.txt", "a\n")],
            files: &[],
            htaccess: &[],
            requests: &["GET /both/", "GET /only/", "GET /none/"],
        },
        Spec {
            name: "directoryindex-needs-auth",
            main: "",
            grant: true,
            vhost: "<Files index.html>\nAuthType Basic\nAuthName idx\nAuthUserFile /srv/lint403/users\nRequire valid-user\n</Files>",
            docroot: &[("d/index.html", "i\n"), ("d/other.html", "o\n")],
            files: &[("users", "htpasswd:alice=pw")],
            htaccess: &[],
            requests: &["GET /d/", "GET /d/ U:alice:pw", "GET /d/other.html", "GET /d/index.html"],
        },
        Spec {
            name: "htaccess-satisfy-any-under-deny",
            main: "",
            grant: false,
            vhost: "<Directory /srv/lint403/www>\nRequire all granted\nOrder deny,allow\nDeny from all\nAllowOverride AuthConfig Limit\n</Directory>",
            docroot: PAGES,
            files: &[],
            htaccess: &[("sub", "Satisfy Any\n")],
            requests: &["GET /a.html", "GET /sub/s.txt"],
        },
        Spec {
            name: "compat-default-open",
            main: "",
            grant: false,
            vhost: "<Directory /srv/lint403/www>\nRequire all granted\nOrder deny,allow\nAllow from 10.0.0.1\n</Directory>\n<Directory /srv/lint403/www/sub>\nOrder allow,deny\nAllow from 10.0.0.1\n</Directory>",
            docroot: PAGES,
            files: &[],
            htaccess: &[],
            requests: &["GET /a.html", "GET /a.html @127.0.0.4", "GET /sub/s.txt"],
        },
        Spec {
            name: "limit-lowercase",
            main: "",
            grant: true,
            vhost: "<Directory /srv/lint403/www/sub>\n<Limit get>\nRequire all denied\n</Limit>\n</Directory>\n<Directory /srv/lint403/www/img>\n<Limit GET>\nRequire all denied\n</Limit>\n</Directory>",
            docroot: PAGES,
            files: &[],
            htaccess: &[],
            requests: &["GET /sub/s.txt", "GET /img/a.png", "HEAD /img/a.png", "POST /img/a.png"],
        },
        Spec {
            name: "location-does-not-reset-compat",
            main: "",
            grant: false,
            vhost: "<Directory /srv/lint403/www>\nRequire all granted\nOrder allow,deny\nDeny from all\n</Directory>\n<Location /sub>\nRequire all granted\n</Location>\n<Location /img>\nOrder deny,allow\nAllow from all\n</Location>",
            docroot: PAGES,
            files: &[],
            htaccess: &[],
            requests: &["GET /a.html", "GET /sub/s.txt", "GET /img/a.png"],
        },
        Spec {
            name: "auth-configuration-errors",
            main: "",
            grant: true,
            vhost: "<Directory /srv/lint403/www/sub>\nAuthType Basic\nAuthName x\n</Directory>\n<Directory /srv/lint403/www/img>\nRequire valid-user\n</Directory>",
            docroot: PAGES,
            files: &[],
            htaccess: &[],
            requests: &["GET /sub/s.txt", "GET /img/a.png", "GET /a.html"],
        },
        Spec {
            name: "htaccess-options-indexes-all",
            main: "",
            grant: false,
            vhost: "<Directory /srv/lint403/www>\nRequire all granted\nOptions Indexes FollowSymLinks\nAllowOverride All\n</Directory>",
            docroot: &[("a/x.txt", "x\n"), ("b/x.txt", "x\n")],
            files: &[],
            htaccess: &[("a", "Options -Indexes\n")],
            requests: &["GET /a/", "GET /b/", "GET /a/x.txt"],
        },
        Spec {
            name: "vhost-exact-address-wins",
            main: "<VirtualHost *:@PORT@>\nServerName localhost\nDocumentRoot /srv/lint403/one\n<Directory /srv/lint403/one>\nRequire all granted\n</Directory>\n</VirtualHost>",
            grant: true,
            vhost: "ServerName exact.test",
            docroot: PAGES,
            files: &[("one/a.html", "one\n")],
            htaccess: &[],
            requests: &["GET /a.html", "GET /a.html H:Host=localhost", "GET /index.html H:Host=other"],
        },
        Spec {
            name: "rewritecond-file-tests",
            main: "",
            grant: true,
            vhost: "<Directory /srv/lint403/www>\nRewriteEngine On\nRewriteCond %{REQUEST_FILENAME} -d\nRewriteRule ^sub - [F]\nRewriteCond %{REQUEST_URI} ^/img/\nRewriteCond %{REQUEST_FILENAME} !-f\nRewriteRule . - [G]\n</Directory>",
            docroot: PAGES,
            files: &[],
            htaccess: &[],
            requests: &["GET /sub/", "GET /sub/s.txt", "GET /img/a.png", "GET /img/zzz.png", "GET /a.html"],
        },
        Spec {
            name: "or-conditions-and-nocase",
            main: "",
            grant: true,
            vhost: "RewriteEngine On\nRewriteCond %{HTTP_USER_AGENT} ^curl [NC,OR]\nRewriteCond %{QUERY_STRING} (^|&)block=1\nRewriteCond %{REMOTE_ADDR} !^127\\.0\\.0\\.2$\nRewriteRule ^/ - [F]",
            docroot: PAGES,
            files: &[],
            htaccess: &[],
            requests: &["GET /a.html", "GET /a.html H:User-Agent=CURL/8", "GET /a.html H:User-Agent=curl/8 @127.0.0.2", "GET /a.html?block=1", "GET /a.html?x=1&block=1", "GET /a.html?block=10"],
        },
        Spec {
            // `%N` in a target and in a later condition's test string: the
            // groups of the last matched condition are read, so they are
            // captured; a rule without any `%N` only asks whether its
            // conditions hold.
            name: "condition-backreferences",
            main: "",
            grant: true,
            vhost: "RewriteEngine On\nRewriteCond %{QUERY_STRING} ^dir=(sub|img)$\nRewriteRule ^/go$ /%1/s.txt [PT]\nRewriteCond %{QUERY_STRING} ^deny=(\\w+)$\nRewriteCond %1 =yes\nRewriteRule ^/ - [F]\nRewriteCond %{QUERY_STRING} !^keep=(.*)$\nRewriteCond %{QUERY_STRING} ^drop=(.+)$\nRewriteRule ^/img/ - [F]",
            docroot: PAGES,
            files: &[],
            htaccess: &[],
            requests: &["GET /go?dir=sub", "GET /go?dir=img", "GET /go?dir=zzz", "GET /a.html?deny=yes", "GET /a.html?deny=no", "GET /img/a.png?drop=1", "GET /img/a.png?keep=1", "GET /img/a.png"],
        },
    ]
}

/// `.htaccess` shapes that popular projects ship (written here from what
/// they do, not copied).
#[allow(clippy::too_many_lines)]
fn real_world_specs() -> Vec<Spec<'static>> {
    const OPEN: &str =
        "<Directory /srv/lint403/www>\nRequire all granted\nAllowOverride All\n</Directory>";
    vec![
        Spec {
            name: "front-controller",
            main: "",
            grant: false,
            vhost: OPEN,
            docroot: &[("index.php", "<?php\n"), ("style.css", "c\n"), ("uploads/a.png", "p\n")],
            files: &[],
            htaccess: &[("", "<IfModule mod_rewrite.c>\nRewriteEngine On\nRewriteBase /\nRewriteRule ^index\\.php$ - [L]\nRewriteCond %{REQUEST_FILENAME} !-f\nRewriteCond %{REQUEST_FILENAME} !-d\nRewriteRule . /index.php [L]\n</IfModule>\n")],
            requests: &["GET /", "GET /style.css", "GET /2024/01/post/", "GET /uploads/a.png", "GET /uploads/", "GET /index.php"],
        },
        Spec {
            name: "dotfile-rule-with-wellknown-exception",
            main: "",
            grant: false,
            vhost: OPEN,
            docroot: &[("index.html", "i\n"), (".git/config", "x\n"), (".well-known/acme-challenge/tok", "t\n"), (".well-known/security.txt", "s\n"), ("a/.hidden", "h\n")],
            files: &[],
            htaccess: &[("", "RewriteEngine On\nRewriteCond %{REQUEST_URI} \"!(^|/)\\.well-known/([^./]+./?)+$\" [NC]\nRewriteCond %{SCRIPT_FILENAME} -d [OR]\nRewriteCond %{SCRIPT_FILENAME} -f\nRewriteRule \"(^|/)\\.\" - [F]\n")],
            requests: &["GET /.git/config", "GET /.git/", "GET /.well-known/acme-challenge/tok", "GET /.well-known/security.txt", "GET /a/.hidden", "GET /.nothing", "GET /index.html"],
        },
        Spec {
            name: "filesmatch-lookahead-source-files",
            main: "",
            grant: false,
            vhost: OPEN,
            docroot: &[("index.html", "i\n"), (".env", "e\n"), ("composer.json", "{}\n"), ("backup.sql", "x\n"), ("notes.txt~", "x\n"), (".well-known/x", "x\n")],
            files: &[],
            htaccess: &[("", "<FilesMatch \"\\.(engine|inc|install|sql|theme|tpl(\\.php)?|xtmpl)$|^(\\.(?!well-known).*|composer\\.(json|lock)|web\\.config)$|~$\">\n  <IfModule mod_authz_core.c>\n    Require all denied\n  </IfModule>\n  <IfModule !mod_authz_core.c>\n    Order allow,deny\n  </IfModule>\n</FilesMatch>\nOptions -Indexes\n")],
            requests: &["GET /.env", "GET /composer.json", "GET /backup.sql", "GET /notes.txt~", "GET /.well-known/x", "GET /index.html", "GET /.well-known/"],
        },
        Spec {
            name: "not-found-instead-of-forbidden",
            main: "",
            grant: false,
            vhost: OPEN,
            docroot: &[("index.html", "i\n"), ("config/config.php", "x\n"), ("lib/a.php", "x\n"), (".well-known/caldav", "x\n")],
            files: &[],
            htaccess: &[("", "RewriteEngine on\nRewriteRule ^(?:config|lib|3rdparty)/.* - [R=404,L]\nRewriteRule ^(?:\\.(?!well-known)|autotest|occ).* - [R=404,L]\n")],
            requests: &["GET /config/config.php", "GET /lib/a.php", "GET /.htaccess", "GET /.well-known/caldav", "GET /occ", "GET /index.html"],
        },
        Spec {
            name: "deny-via-ifmodule-branches",
            main: "",
            grant: false,
            vhost: OPEN,
            docroot: &[("data/file.txt", "x\n"), ("pub/file.txt", "x\n")],
            files: &[],
            htaccess: &[("data", "# Generated\n<IfModule mod_authz_core.c>\n  Require all denied\n</IfModule>\n<IfModule mod_access_compat.c>\n  Order Allow,Deny\n  Deny from all\n  Satisfy All\n</IfModule>\n<IfModule !mod_authz_core.c>\n  Deny from all\n</IfModule>\n")],
            requests: &["GET /data/file.txt", "GET /data/", "GET /pub/file.txt"],
        },
        Spec {
            name: "negotiation-branch-not-loaded",
            main: "",
            grant: false,
            vhost: OPEN,
            docroot: &[("public/index.php", "x\n"), ("public/css/app.css", "c\n")],
            files: &[],
            htaccess: &[("public", "<IfModule mod_rewrite.c>\n    <IfModule mod_negotiation.c>\n        Options -MultiViews -Indexes\n    </IfModule>\n    RewriteEngine On\n    RewriteCond %{HTTP:Authorization} .\n    RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]\n    RewriteCond %{REQUEST_FILENAME} !-d\n    RewriteCond %{REQUEST_FILENAME} !-f\n    RewriteRule ^ index.php [L]\n</IfModule>\n")],
            requests: &["GET /public/css/app.css", "GET /public/users/1", "GET /public/css/", "GET /public/"],
        },
        Spec {
            name: "negation-placement-in-htaccess",
            main: "",
            grant: false,
            vhost: OPEN,
            docroot: &[("a/x.txt", "x\n"), ("b/x.txt", "x\n"), ("c/x.txt", "x\n"), ("d/x.txt", "x\n")],
            files: &[],
            htaccess: &[
                ("a", "Require all granted\nRequire not ip 127.0.0.2\n"),
                ("b", "<RequireAll>\nRequire not ip 127.0.0.2\n</RequireAll>\n"),
                ("c", "<RequireAny>\n<RequireNone>\nRequire ip 127.0.0.2\n</RequireNone>\n</RequireAny>\n"),
                ("d", "<RequireAll>\nRequire all granted\nRequire not ip 127.0.0.2\n</RequireAll>\n"),
            ],
            requests: &["GET /a/x.txt", "GET /b/x.txt", "GET /b/x.txt @127.0.0.2", "GET /c/x.txt", "GET /d/x.txt", "GET /d/x.txt @127.0.0.2"],
        },
        Spec {
            name: "sections-in-location-and-regex-forms",
            main: "",
            grant: true,
            vhost: "<Location /list>\nOptions +Indexes\n</Location>\n<Files ~ \"\\.bak$\">\nRequire all denied\n</Files>\n<Files \"*.log\">\nRequire all denied\n</Files>\n<Location ~ \"/adm\">\nRequire ip 127.0.0.2\n</Location>\n<LocationMatch \"(?i)/SECRET\">\nRequire all denied\n</LocationMatch>\n<Location /loc>\nRewriteEngine On\nRewriteRule no$ - [F]\n</Location>",
            docroot: &[("list/a.txt", "a\n"), ("x.bak", "b\n"), ("x.log", "l\n"), ("admin/a.txt", "a\n"), ("secret/s.txt", "s\n"), ("loc/yes", "y\n"), ("loc/no", "n\n"), ("index.html", "i\n")],
            files: &[],
            htaccess: &[],
            requests: &["GET /list/", "GET /x.bak", "GET /x.log", "GET /admin/a.txt", "GET /admin/a.txt @127.0.0.2", "GET /secret/s.txt", "GET /loc/yes", "GET /loc/no", "GET /"],
        },
        Spec {
            name: "setenvif-in-location-and-query",
            main: "",
            grant: false,
            vhost: "<Directory /srv/lint403/www>\nRequire env ok\n</Directory>\n<Location /sub>\nSetEnvIf Request_URI \"^/sub/\" ok\n</Location>\n<Directory /srv/lint403/www/img>\nSetEnvIf Request_Method HEAD ok\n</Directory>\nRewriteEngine On\nRewriteCond %{QUERY_STRING} ^token=good$\nRewriteRule ^/a\\.html$ - [E=ok:1]",
            docroot: PAGES,
            files: &[],
            htaccess: &[],
            requests: &["GET /sub/s.txt", "GET /a.html", "GET /a.html?token=good", "GET /a.html?token=bad", "HEAD /img/a.png", "GET /img/a.png"],
        },
        Spec {
            name: "internal-redirect-variables-and-loops",
            main: "",
            grant: false,
            vhost: OPEN,
            docroot: &[("once/index.html", "i\n"), ("once/a.txt", "a\n"), ("loop/index.html", "i\n"), ("env/index.html", "i\n")],
            files: &[],
            htaccess: &[
                ("once", "RewriteEngine On\nRewriteCond %{ENV:REDIRECT_DONE} !=1\nRewriteRule ^(.*)$ index.html [E=DONE:1,L]\n"),
                ("loop", "RewriteEngine On\nRewriteRule (.*) sub/$1 [L]\n"),
                ("env", "RewriteEngine On\nRewriteRule ^go$ index.html [E=PASS:1,L]\nRequire env REDIRECT_PASS\n"),
            ],
            requests: &["GET /once/a.txt", "GET /once/zzz", "GET /loop/x", "GET /env/go", "GET /env/index.html"],
        },
        Spec {
            name: "allowoverridelist-and-options-lists",
            main: "",
            grant: true,
            vhost: "<Directory /srv/lint403/www/l>\nAllowOverride None\nAllowOverrideList Require DirectoryIndex\n</Directory>\n<Directory /srv/lint403/www/o>\nAllowOverride Options=FollowSymLinks,Indexes\n</Directory>",
            docroot: &[("l/a/x.txt", "x\n"), ("l/b/x.txt", "x\n"), ("l/c/home.txt", "h\n"), ("o/a/x.txt", "x\n"), ("o/b/x.txt", "x\n")],
            files: &[],
            htaccess: &[
                ("l/a", "Require ip 127.0.0.2\n"),
                ("l/b", "Order deny,allow\nDeny from all\n"),
                ("l/c", "DirectoryIndex home.txt\n"),
                ("o/a", "Options -Indexes +FollowSymLinks\n"),
                ("o/b", "Options +ExecCGI\n"),
            ],
            requests: &["GET /l/a/x.txt", "GET /l/a/x.txt @127.0.0.2", "GET /l/b/x.txt", "GET /l/c/", "GET /o/a/", "GET /o/a/x.txt", "GET /o/b/x.txt"],
        },
        Spec {
            name: "expr-address-tests-and-redirect-flags",
            main: "",
            grant: false,
            vhost: "<Directory /srv/lint403/www>\nRequire expr \"%{REMOTE_ADDR} -ipmatch '127.0.0.0/30'\"\nAllowOverride All\n</Directory>\n<Directory /srv/lint403/www/sub>\n<If \"-R '127.0.0.2'\">\nRequire all denied\n</If>\n</Directory>",
            docroot: PAGES,
            files: &[],
            htaccess: &[("img", "RewriteEngine On\nRewriteRule ^old\\.png$ /img/a.png [R=301,L]\nRewriteRule ^tmp\\.png$ a.png [R,L]\nDirectoryIndex disabled\nOptions -Indexes\n")],
            requests: &["GET /a.html", "GET /a.html @127.0.0.3", "GET /a.html @127.0.0.4", "GET /sub/s.txt", "GET /sub/s.txt @127.0.0.2", "GET /img/old.png", "GET /img/tmp.png", "GET /img/"],
        },
    ]
}

/// Every `.htaccess` of the real-world corpus, under a document root that
/// allows every override, against the real httpd on the usual probes.
/// Where `trace` gives a status it must be httpd's; where it says
/// "unknown" (a handler, a module it does not model) the request is
/// counted, not compared.
#[test]
fn corpus_htaccess_files_agree_with_httpd() {
    if !server_available(ServerKind::Apache) {
        return;
    }
    let corpus = std::env::var_os("LINT403_CORPUS")
        .map_or_else(|| PathBuf::from("/work/shared/corpus"), PathBuf::from)
        .join("apache");
    if !corpus.is_dir() {
        println!("SKIPPED: corpus not found (set LINT403_CORPUS)");
        return;
    }
    let mut files = Vec::new();
    let mut stack = vec![corpus];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if lint403_apache::is_htaccess_name(&path) {
                files.push(path);
            }
        }
    }
    files.sort();
    let probes = [
        "/",
        "/index.html",
        "/robots.txt",
        "/favicon.ico",
        "/.well-known/acme-challenge/t",
        "/.git/config",
        "/.env",
        "/.htaccess",
        "/index.php",
        "/assets/app.js",
        "/assets/",
        "/composer.json",
        "/missing/page",
        "/app/config.ini",
    ];
    let docroot: Vec<Entry> = [
        ("index.html", "i\n"),
        ("index.php", "<?php\n"),
        ("robots.txt", "r\n"),
        ("favicon.ico", "f\n"),
        (".well-known/acme-challenge/t", "t\n"),
        (".git/config", "c\n"),
        (".env", "e\n"),
        ("assets/app.js", "a\n"),
        ("composer.json", "{}\n"),
        ("app/config.ini", "x\n"),
    ]
    .iter()
    .map(|(path, content)| Entry::file(path, content))
    .collect();
    let cases: Vec<Case> = files
        .iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(path).ok()?;
            Some(Case {
                name: path
                    .strip_prefix("/work/shared/corpus/apache")
                    .unwrap_or(path)
                    .display()
                    .to_string(),
                main: String::new(),
                vhost: Some("<Directory /srv/lint403/www>\nRequire all granted\nAllowOverride All\n</Directory>".to_string()),
                docroot: docroot.clone(),
                files: Vec::new(),
                htaccess: [(String::new(), text)].into_iter().collect(),
                requests: probes.iter().map(|probe| TestRequest::get(probe)).collect(),
                recorded: Vec::new(),
            })
        })
        .collect();
    let mut tally = Tally::default();
    for (index, case) in cases.iter().enumerate() {
        run_case(case, 600 + u16::try_from(index).unwrap_or(0), &mut tally);
    }
    let definite: Vec<&String> = tally
        .mismatches
        .iter()
        .filter(|line| !line.contains("trace unknown"))
        .collect();
    for line in &definite {
        println!("MISMATCH {line}");
    }
    if std::env::var_os("LINT403_TRACE_LIST").is_some() {
        for line in tally
            .mismatches
            .iter()
            .filter(|line| line.contains("trace unknown"))
        {
            println!("UNKNOWN {line}");
        }
    }
    println!(
        "corpus .htaccess: {} configs, {} requests ({} answered 403 by httpd): {} exact, {} unknown, {} definite mismatches",
        tally.configs,
        tally.requests,
        tally.real_403,
        tally.exact,
        tally.unknown,
        definite.len()
    );
    assert!(
        definite.is_empty(),
        "{} mismatches (printed above)",
        definite.len()
    );
}

/// The seed of the random tests: `LINT403_RANDOM_SEED`, else `default`.
fn random_seed(default: u64) -> u64 {
    std::env::var("LINT403_RANDOM_SEED")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// A small seeded generator (a linear congruential one: the configs are
/// the same on every run).
struct Seeded(u64);

impl Seeded {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        usize::try_from(self.0 >> 33).unwrap_or(0)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.next() % items.len()]
    }
}

/// Lines the random configs pick from.
const RANDOM_LINES: &[&str] = &[
    "Require all granted",
    "Require all denied",
    "Require ip 127.0.0.2",
    "Require ip 127.0.0.0/30",
    "Require env e1",
    "<RequireAll>\nRequire all granted\nRequire not ip 127.0.0.3\n</RequireAll>",
    "<RequireAny>\nRequire ip 127.0.0.4\nRequire env e2\n</RequireAny>",
    "<RequireAll>\nRequire env e1\n<RequireNone>\nRequire env e2\n</RequireNone>\n</RequireAll>",
    "AuthMerging And",
    "AuthMerging Or",
    "AuthMerging Off",
    "Order allow,deny",
    "Order deny,allow",
    "Allow from 127.0.0.2",
    "Deny from 127.0.0.3",
    "Allow from all",
    "Deny from all",
    "Allow from env=e2",
    "Satisfy Any",
    "Options -Indexes",
    "Options +Indexes",
    "<Limit POST>\nRequire all denied\n</Limit>",
    "<LimitExcept GET>\nRequire ip 127.0.0.4\n</LimitExcept>",
    "<If \"%{HTTP:X-E1} == 'yes'\">\nRequire all granted\n</If>",
    "AuthType Basic\nAuthName realm\nAuthUserFile /srv/lint403/users\nRequire valid-user",
    "AuthType Basic\nAuthName realm\nAuthUserFile /srv/lint403/users",
    "Require user alice",
    "<RequireAny>\nRequire user bob\nRequire ip 127.0.0.2\n</RequireAny>",
    "AuthzSendForbiddenOnFailure On",
];

/// Sections the random configs pick from.
const RANDOM_SECTIONS: &[(&str, &str)] = &[
    ("<Directory /srv/lint403/www>", "</Directory>"),
    ("<Directory /srv/lint403/www/a>", "</Directory>"),
    ("<Directory /srv/lint403/www/a/b>", "</Directory>"),
    ("<Files \"x.txt\">", "</Files>"),
    ("<FilesMatch \"^\\.\">", "</FilesMatch>"),
    ("<Location /a>", "</Location>"),
    ("<Location /a/b>", "</Location>"),
    ("<DirectoryMatch \"/b/?$\">", "</DirectoryMatch>"),
];

/// Seeded random mixes of sections and access lines over one tree, each
/// against the real httpd on a grid of requests.
#[test]
fn random_configs_agree_with_httpd() {
    if !server_available(ServerKind::Apache) {
        return;
    }
    let docroot: Vec<Entry> = [
        ("index.html", "i\n"),
        ("x.txt", "x\n"),
        ("a/x.txt", "x\n"),
        ("a/b/x.txt", "x\n"),
        ("a/b/y.txt", "y\n"),
        (".hidden", "h\n"),
        ("a/noindex/z.txt", "z\n"),
    ]
    .iter()
    .map(|(path, content)| Entry::file(path, content))
    .collect();
    let paths = [
        "/x.txt",
        "/a/x.txt",
        "/a/b/x.txt",
        "/a/b/y.txt",
        "/.hidden",
        "/a/",
        "/a/noindex/",
        "/a/b",
        "/",
    ];
    let ips = ["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"];
    let headers = ["", "X-E1", "X-E2"];
    let rounds: usize = std::env::var("LINT403_RANDOM_CONFIGS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(30);
    let mut random = Seeded(random_seed(0x5eed_1234));
    let mut cases = Vec::new();
    for round in 0..rounds {
        let mut vhost = String::from(
            "SetEnvIf X-E1 yes e1\nSetEnvIf X-E2 yes e2\n<Directory /srv/lint403/www>\nAllowOverride All\nRequire all granted\n</Directory>\n",
        );
        // Sections go to the main server or the virtual host: the vhost's
        // merge after the main server's of the same kind.
        let mut main = String::new();
        let sections = 1 + random.next() % 4;
        for _ in 0..sections {
            let (open, close) = RANDOM_SECTIONS[random.next() % RANDOM_SECTIONS.len()];
            let target = if random.next() % 3 == 0 {
                &mut main
            } else {
                &mut vhost
            };
            let _ = writeln!(target, "{open}");
            for _ in 0..=(random.next() % 3) {
                let _ = writeln!(target, "{}", random.pick(RANDOM_LINES));
            }
            let _ = writeln!(target, "{close}");
        }
        let mut htaccess = BTreeMap::new();
        if random.next() % 2 == 0 {
            let mut text = String::new();
            for _ in 0..=(random.next() % 3) {
                let _ = writeln!(text, "{}", random.pick(RANDOM_LINES));
            }
            htaccess.insert("a".to_string(), text);
        }
        let mut requests = Vec::new();
        for _ in 0..24 {
            let mut request = TestRequest::get(random.pick(&paths));
            request.client_ip = random.pick(&ips).parse().expect("address");
            let header = random.pick(&headers);
            if !header.is_empty() {
                request
                    .headers
                    .push((header.to_string(), "yes".to_string()));
            }
            if random.next() % 8 == 0 {
                request.method = "POST".to_string();
            }
            match random.next() % 5 {
                0 => request.credentials = Some(("alice".to_string(), "pw".to_string())),
                1 => request.credentials = Some(("bob".to_string(), "pw2".to_string())),
                2 => request.credentials = Some(("alice".to_string(), "wrong".to_string())),
                _ => {}
            }
            requests.push(request);
        }
        cases.push(Case {
            name: format!("random-{round}"),
            main,
            vhost: Some(vhost),
            docroot: docroot.clone(),
            files: vec![Entry {
                path: "users".to_string(),
                htpasswd: Some(
                    [("alice", "pw"), ("bob", "pw2")]
                        .iter()
                        .map(|(user, password)| ((*user).to_string(), (*password).to_string()))
                        .collect(),
                ),
                ..Entry::default()
            }],
            htaccess,
            requests,
            recorded: Vec::new(),
        });
    }
    run_all(&cases, "random configs", 900);
}

/// Lines for the second random mix: rewrites, `SetEnvIf`, `Options`,
/// `DirectoryIndex`, redirects, nested `<Files>`.
const RANDOM_LINES_2: &[&str] = &[
    "RewriteEngine On\nRewriteCond %{HTTP:X-E1} =yes\nRewriteRule x\\.txt$ - [F]",
    "RewriteEngine On\nRewriteRule ^y\\.txt$ x.txt [L]",
    "RewriteEngine On\nRewriteCond %{REQUEST_FILENAME} !-f\nRewriteRule . /index.html [L]",
    "Options -FollowSymLinks",
    "Options +SymLinksIfOwnerMatch",
    "Options -Indexes",
    "DirectoryIndex x.txt",
    "SetEnvIf X-E2 yes e1",
    "Require env e1",
    "Require all granted",
    "Require all denied",
    "Order deny,allow\nDeny from 127.0.0.2",
    "<Files \"y.txt\">\nRequire all denied\n</Files>",
    "Satisfy Any",
    "<RequireAll>\nRequire all granted\nRequire not env e2\n</RequireAll>",
    "AuthMerging And",
];

/// `AllowOverride` values for `/a`.
const RANDOM_OVERRIDES: &[&str] = &[
    "All",
    "None",
    "AuthConfig",
    "FileInfo",
    "Limit",
    "AuthConfig FileInfo",
    "Options=Indexes",
    "Indexes AuthConfig",
];

/// A second seeded mix, aimed at `.htaccess` override classes and at
/// per-directory rewrites; configurations httpd refuses to start are
/// skipped (counted).
#[test]
fn random_htaccess_mixes_agree_with_httpd() {
    if !server_available(ServerKind::Apache) {
        return;
    }
    let docroot: Vec<Entry> = [
        ("index.html", "i\n"),
        ("x.txt", "x\n"),
        ("a/x.txt", "x\n"),
        ("a/y.txt", "y\n"),
        ("a/b/x.txt", "x\n"),
        ("a/b/y.txt", "y\n"),
        ("a/empty/z.md", "z\n"),
    ]
    .iter()
    .map(|(path, content)| Entry::file(path, content))
    .chain([Entry::symlink("a/link.txt", "x.txt")])
    .collect();
    let paths = [
        "/a/x.txt",
        "/a/y.txt",
        "/a/b/x.txt",
        "/a/b/y.txt",
        "/a/",
        "/a/b/",
        "/a/empty/",
        "/a/link.txt",
        "/a/nothing",
        "/x.txt",
    ];
    let rounds: usize = std::env::var("LINT403_RANDOM_CONFIGS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(30);
    let mut random = Seeded(random_seed(0x0ddb_a110));
    let mut cases = Vec::new();
    for round in 0..rounds {
        let overrides = random.pick(RANDOM_OVERRIDES);
        let mut vhost = format!(
            "SetEnvIf X-E1 yes e1\nSetEnvIf X-E2 yes e2\n<Directory /srv/lint403/www>\nRequire all granted\n</Directory>\n<Directory /srv/lint403/www/a>\nAllowOverride {overrides}\n"
        );
        for _ in 0..=(random.next() % 2) {
            let _ = writeln!(vhost, "{}", random.pick(RANDOM_LINES_2));
        }
        vhost.push_str("</Directory>\n");
        let mut htaccess = BTreeMap::new();
        for dir in ["a", "a/b"] {
            if random.next() % 3 != 0 {
                let mut text = String::new();
                for _ in 0..=(random.next() % 2) {
                    let _ = writeln!(text, "{}", random.pick(RANDOM_LINES_2));
                }
                htaccess.insert(dir.to_string(), text);
            }
        }
        let mut requests = Vec::new();
        for _ in 0..16 {
            let mut request = TestRequest::get(random.pick(&paths));
            request.client_ip = random
                .pick(&["127.0.0.1", "127.0.0.2"])
                .parse()
                .expect("address");
            let header = random.pick(&["", "X-E1", "X-E2"]);
            if !header.is_empty() {
                request
                    .headers
                    .push((header.to_string(), "yes".to_string()));
            }
            requests.push(request);
        }
        cases.push(Case {
            name: format!("random-htaccess-{round}"),
            main: String::new(),
            vhost: Some(vhost),
            docroot: docroot.clone(),
            files: Vec::new(),
            htaccess,
            requests,
            recorded: Vec::new(),
        });
    }
    let mut tally = Tally::default();
    for (index, case) in cases.iter().enumerate() {
        run_case(case, 1200 + u16::try_from(index).unwrap_or(0), &mut tally);
    }
    let refused = tally
        .mismatches
        .iter()
        .filter(|line| line.contains("did not start"))
        .count();
    let mismatches: Vec<&String> = tally
        .mismatches
        .iter()
        .filter(|line| !line.contains("did not start"))
        .collect();
    for line in &mismatches {
        println!("MISMATCH {line}");
    }
    println!(
        "random .htaccess mixes: {} configs ({refused} refused by httpd), {} requests ({} answered 403 by httpd): {} exact, {} unknown, {} mismatches",
        tally.configs,
        tally.requests,
        tally.real_403,
        tally.exact,
        tally.unknown,
        mismatches.len()
    );
    assert!(
        mismatches.is_empty(),
        "{} mismatches (printed above)",
        mismatches.len()
    );
}

/// Section openers for the selection mix: globs, regexes, prefixes.
const RANDOM_SELECTORS: &[(&str, &str)] = &[
    ("<Location /a>", "</Location>"),
    ("<Location /a/>", "</Location>"),
    ("<Location /a*>", "</Location>"),
    ("<LocationMatch \"^/a/.+\\.txt$\">", "</LocationMatch>"),
    ("<LocationMatch \"(?i)/B/\">", "</LocationMatch>"),
    ("<Location ~ \"/\\.\">", "</Location>"),
    ("<Files \"*.txt\">", "</Files>"),
    ("<Files \"[xy].txt\">", "</Files>"),
    ("<FilesMatch \"^(x|index)\\.\">", "</FilesMatch>"),
    ("<Directory /srv/lint403/www/*/b>", "</Directory>"),
    ("<Directory /srv/lint403/www/a/>", "</Directory>"),
    (
        "<DirectoryMatch \"^/srv/lint403/www/a\">",
        "</DirectoryMatch>",
    ),
    ("<Directory ~ \"/b$\">", "</Directory>"),
    ("<Directory /srv/lint403/alias>", "</Directory>"),
];

/// A third seeded mix aimed at selection: section matchers, `Alias`,
/// virtual hosts by `Host`, and URIs with encodings and dot segments.
#[test]
fn random_selection_mixes_agree_with_httpd() {
    if !server_available(ServerKind::Apache) {
        return;
    }
    let docroot: Vec<Entry> = [
        ("index.html", "i\n"),
        ("x.txt", "x\n"),
        ("a/x.txt", "x\n"),
        ("a/y.txt", "y\n"),
        ("a/b/x.txt", "x\n"),
        ("a/b/index.html", "i\n"),
        ("ab/x.txt", "x\n"),
        (".dot/x.txt", "x\n"),
        ("c/b/x.txt", "x\n"),
    ]
    .iter()
    .map(|(path, content)| Entry::file(path, content))
    .collect();
    let paths = [
        "/x.txt",
        "/a/x.txt",
        "/a/y.txt",
        "/a/b/x.txt",
        "/a/b/",
        "/a/b",
        "/ab/x.txt",
        "/.dot/x.txt",
        "/c/b/x.txt",
        "/al/x.txt",
        "/al/",
        "/a/./b/x.txt",
        "/a//b/x.txt",
        "/%61/x.txt",
        "/A/x.txt",
        "/a/b/../y.txt",
    ];
    let hosts = [
        "localhost",
        "one.test",
        "www.one.test",
        "two.test",
        "other.test",
    ];
    let rounds: usize = std::env::var("LINT403_RANDOM_CONFIGS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(30);
    let mut random = Seeded(random_seed(0x005e_1ec7));
    let mut cases = Vec::new();
    for round in 0..rounds {
        let mut blocks = String::new();
        for _ in 0..=(random.next() % 3) {
            let (open, close) = RANDOM_SELECTORS[random.next() % RANDOM_SELECTORS.len()];
            let line = random.pick(&[
                "Require all denied",
                "Require all granted",
                "Require ip 127.0.0.2",
                "Options +Indexes",
                "DirectoryIndex x.txt",
            ]);
            let _ = writeln!(blocks, "{open}\n{line}\n{close}");
        }
        let (first, second) = if random.next() % 2 == 0 {
            (blocks.clone(), String::new())
        } else {
            (String::new(), blocks)
        };
        // Two name-based vhosts on the kit's address: the first is the
        // default for unknown names.
        let main = format!(
            "<VirtualHost 127.0.0.1:@PORT@>\nServerName one.test\nServerAlias *.one.test\nDocumentRoot /srv/lint403/www\nAlias /al /srv/lint403/alias\n<Directory /srv/lint403/www>\nRequire all granted\n</Directory>\n{first}</VirtualHost>"
        );
        let vhost = format!(
            "ServerName two.test\n<Directory /srv/lint403/www>\nRequire ip 127.0.0.1\n</Directory>\n{second}"
        );
        let mut requests = Vec::new();
        for _ in 0..20 {
            let mut request = TestRequest::get(random.pick(&paths));
            request.client_ip = random
                .pick(&["127.0.0.1", "127.0.0.2"])
                .parse()
                .expect("address");
            request
                .headers
                .push(("Host".to_string(), random.pick(&hosts).to_string()));
            requests.push(request);
        }
        cases.push(Case {
            name: format!("random-selection-{round}"),
            main,
            vhost: Some(vhost),
            docroot: docroot.clone(),
            files: vec![
                Entry::file("alias/x.txt", "x\n"),
                Entry::file("alias/index.html", "i\n"),
            ],
            htaccess: BTreeMap::new(),
            requests,
            recorded: Vec::new(),
        });
    }
    run_all(&cases, "random selection mixes", 1500);
}
