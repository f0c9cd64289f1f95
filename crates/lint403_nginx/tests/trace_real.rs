//! The tracer against the real nginx: for each case (a configuration
//! fragment, a document root, requests), nginx runs the configuration on
//! loopback and answers every request from its 127.0.0.N; `lower` +
//! `trace` read the very same configuration file back from the prefix,
//! with a filesystem view onto it, and must agree: 403 versus not-403 on
//! every request, and the exact status wherever the tracer gives one.
//!
//! Cases: every nginx case of `../shared/peer-tests` (their statuses come
//! from nginx's own test suite) and lint403's own under
//! `fixtures/trace/nginx/*.case` (format: see `parse_case`).
//!
//! Without nginx the test prints `SKIPPED: nginx not installed` and passes,
//! unless `LINT403_REQUIRE_SERVERS=1`. `LINT403_TRACE_CASE=name` runs one
//! case; `LINT403_TRACE_VERBOSE=1` prints every request.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use lint403_core::fsview::FsView;
use lint403_core::{read, CheckOptions, Outcome, Request, SourceMap, TraceOptions, Verdict};
use lint403_testkit::layout::{lay_out, Entry};
use lint403_testkit::server::{nginx_main_conf, start};
use lint403_testkit::{peer, send, server_available, temp_prefix, ServerKind, TestRequest};

const VIRTUAL_ROOT: &str = "/srv/lint403";

/// A configuration fragment and where it stands.
#[derive(Debug, Clone)]
enum Fragment {
    /// The body of one `server { }`.
    Server(String),
    /// http-level text with its own `server` blocks.
    Http(String),
}

#[derive(Debug, Clone)]
struct CaseRequest {
    method: String,
    path: String,
    client_ip: IpAddr,
    headers: Vec<(String, String)>,
    omit_host: bool,
    user: Option<String>,
    password: Option<String>,
    /// What nginx answers, when the case pins it (own cases).
    pinned: Option<u16>,
    line: String,
}

#[derive(Debug, Clone)]
struct Case {
    name: String,
    fragment: Fragment,
    docroot: Vec<Entry>,
    files: Vec<Entry>,
    requests: Vec<CaseRequest>,
}

/// One request's outcome on both sides.
struct Row {
    case: String,
    request: String,
    real: u16,
    traced: Verdict,
    pinned: Option<u16>,
}

#[test]
fn trace_agrees_with_the_real_nginx() {
    if !server_available(ServerKind::Nginx) {
        return;
    }
    let mut cases = Vec::new();
    if let Some(dir) = peer::peer_tests_dir() {
        let peers = peer::load_cases(&dir, "nginx").expect("peer cases load");
        assert!(!peers.is_empty(), "no nginx peer cases");
        cases.extend(peers.iter().map(peer_case));
    }
    let own = own_cases();
    assert!(own.len() >= 25, "only {} own cases", own.len());
    let own_requests: usize = own.iter().map(|case| case.requests.len()).sum();
    assert!(own_requests >= 120, "only {own_requests} own requests");
    cases.extend(own);
    if let Ok(only) = std::env::var("LINT403_TRACE_CASE") {
        cases.retain(|case| case.name == only);
    }
    let verbose = std::env::var("LINT403_TRACE_VERBOSE").as_deref() == Ok("1");
    let mut rows = Vec::new();
    for (index, case) in cases.iter().enumerate() {
        rows.extend(run_case(case, u16::try_from(index).unwrap_or(0)));
    }
    let mut failures = Vec::new();
    let mut exact = 0;
    let mut unknown = 0;
    let mut forbidden = 0;
    for row in &rows {
        let traced = row.traced.status;
        let real_forbidden = row.real == 403;
        if real_forbidden {
            forbidden += 1;
        }
        let mut problems = Vec::new();
        if let Some(pinned) = row.pinned {
            if pinned != row.real {
                problems.push(format!(
                    "the case pins {pinned} but nginx answered {}",
                    row.real
                ));
            }
        }
        if let Some(status) = traced {
            if status == row.real {
                exact += 1;
            } else {
                problems.push(format!("trace {status}, nginx {}", row.real));
            }
        } else {
            unknown += 1;
            if real_forbidden {
                problems.push(format!(
                    "nginx refused with 403, trace says unknown ({})",
                    row.traced.unknown.clone().unwrap_or_default()
                ));
            }
        }
        if verbose || !problems.is_empty() {
            let mut text = format!(
                "{} | {} | nginx {} | trace {:?} {}",
                row.case,
                row.request,
                row.real,
                traced,
                row.traced.outcome.as_str()
            );
            if !problems.is_empty() {
                let _ = write!(text, " | {}", problems.join("; "));
                for step in &row.traced.steps {
                    let _ = write!(text, "\n      {}: {}", step.role.as_str(), step.text);
                }
                if let Some(reason) = &row.traced.unknown {
                    let _ = write!(text, "\n      unknown: {reason}");
                }
                failures.push(text.clone());
            }
            println!("{text}");
        }
    }
    let peer_rows = rows
        .iter()
        .filter(|row| row.case.starts_with("nginx-"))
        .count();
    println!(
        "trace vs nginx: {} cases, {} requests ({} from peer tests), {} refused with 403 by nginx; \
         exact status agrees on {exact}, trace unknown on {unknown}, {} disagreements",
        cases.len(),
        rows.len(),
        peer_rows,
        forbidden,
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn peer_case(case: &peer::PeerCase) -> Case {
    let fragment = if case.config_name == "http.conf" {
        Fragment::Http(case.config.clone())
    } else {
        Fragment::Server(case.config.clone())
    };
    let requests = case
        .requests
        .iter()
        .map(|request| {
            let mut headers = Vec::new();
            let mut omit_host = false;
            for (name, value) in &request.headers {
                match value {
                    Some(value) => headers.push((name.clone(), value.clone())),
                    None if name.eq_ignore_ascii_case("host") => omit_host = true,
                    None => {}
                }
            }
            CaseRequest {
                method: request.method.clone(),
                path: request.path.clone(),
                client_ip: request
                    .client_ip
                    .parse()
                    .unwrap_or(IpAddr::from([127, 0, 0, 1])),
                headers,
                omit_host,
                user: request.user.clone(),
                password: request.password.clone(),
                pinned: None,
                line: format!("{} {}", request.method, request.path),
            }
        })
        .collect();
    Case {
        name: case.name.clone(),
        fragment,
        docroot: case.docroot.clone(),
        files: case.files.clone(),
        requests,
    }
}

/// The cases under `fixtures/trace/nginx/`.
fn own_cases() -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/trace/nginx");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "case"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).expect("case readable");
            let name = path
                .file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
                .unwrap_or_default();
            parse_case(&name, &text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
        })
        .collect()
}

/// A case file: `# comment` lines, then sections started by a line
/// `server:` or `http:` (the configuration fragment, verbatim until the
/// next section), `docroot:` and `files:` (entries relative to the
/// document root `/srv/lint403/www` and to `/srv/lint403`: `path = text`,
/// `path/` for a directory, `path -> target` for a symlink, a trailing
/// ` mode 0700` for permissions), and `requests:` (one per line:
/// `METHOD /path [from IP] [host HOST] [referer URL] [user NAME]
/// [password PW] [header "Name: value"]... [nohost] => STATUS`).
fn parse_case(name: &str, text: &str) -> Result<Case, String> {
    let mut section = "";
    let mut config = String::new();
    let mut context = "";
    let mut docroot = Vec::new();
    let mut files = Vec::new();
    let mut requests = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        match trimmed {
            "server:" | "http:" | "docroot:" | "files:" | "requests:" => {
                section = trimmed.trim_end_matches(':');
                if section == "server" || section == "http" {
                    context = section;
                }
                continue;
            }
            _ => {}
        }
        match section {
            "server" | "http" => {
                config.push_str(line);
                config.push('\n');
            }
            "" => {
                if !trimmed.is_empty() && !trimmed.starts_with('#') {
                    return Err(format!("text before any section: {line}"));
                }
            }
            _ if trimmed.is_empty() || trimmed.starts_with('#') => {}
            "docroot" => docroot.push(parse_entry(trimmed)?),
            "files" => files.push(parse_entry(trimmed)?),
            "requests" => requests.push(parse_request(trimmed)?),
            other => return Err(format!("unknown section {other}")),
        }
    }
    let fragment = match context {
        "server" => Fragment::Server(config),
        "http" => Fragment::Http(config),
        _ => return Err("no server: or http: section".into()),
    };
    if requests.is_empty() {
        return Err("no requests".into());
    }
    Ok(Case {
        name: name.to_string(),
        fragment,
        docroot,
        files,
        requests,
    })
}

fn parse_entry(line: &str) -> Result<Entry, String> {
    let (line, mode) = match line.rsplit_once(" mode ") {
        Some((rest, mode)) if mode.bytes().all(|b| b.is_ascii_digit()) => {
            (rest, Some(serde_json::Value::String(mode.to_string())))
        }
        _ => (line, None),
    };
    let mut entry = if let Some((path, target)) = line.split_once(" -> ") {
        Entry::symlink(path.trim(), target.trim())
    } else if let Some((path, content)) = line.split_once(" = ") {
        Entry::file(path.trim(), &content.replace("\\n", "\n"))
    } else if let Some(path) = line.strip_suffix('/') {
        Entry::directory(path.trim())
    } else {
        return Err(format!("not an entry: {line}"));
    };
    entry.mode = mode;
    Ok(entry)
}

fn parse_request(line: &str) -> Result<CaseRequest, String> {
    let (spec, pinned) = match line.rsplit_once("=>") {
        Some((spec, status)) => (
            spec.trim(),
            Some(
                status
                    .trim()
                    .parse()
                    .map_err(|_| format!("bad status in {line}"))?,
            ),
        ),
        None => (line, None),
    };
    // `password PW` and `nohost` are the harness's; the rest is an
    // expectation entry as `.lint403.yaml` writes it.
    let mut password = None;
    let mut omit_host = false;
    let mut words: Vec<&str> = spec.split(' ').collect();
    if let Some(position) = words.iter().position(|word| *word == "password") {
        password = words.get(position + 1).map(|word| (*word).to_string());
        words.drain(position..(position + 2).min(words.len()));
    }
    if let Some(position) = words.iter().position(|word| *word == "nohost") {
        omit_host = true;
        words.remove(position);
    }
    let request = Request::parse_expectation(&words.join(" "))?;
    let target = match &request.query {
        Some(query) => format!("{}?{query}", request.path),
        None => request.path.clone(),
    };
    Ok(CaseRequest {
        method: request.method.clone(),
        path: target,
        client_ip: request.client_ip,
        headers: request.headers.clone(),
        omit_host,
        user: request.user.clone(),
        password,
        pinned,
        line: line.to_string(),
    })
}

/// `listen` addresses of a fragment rewritten to loopback on `port` (the
/// port of every listen becomes `port`; `default_server` and other flags
/// stay), and a listen added to a server that has none.
fn wrap(fragment: &Fragment, port: u16, prefix: &Path) -> String {
    let root = prefix.display().to_string();
    match fragment {
        Fragment::Server(body) => {
            let body = body.replace(VIRTUAL_ROOT, &root);
            let (body, had_listen) = rewrite_listens(&body, port);
            if had_listen {
                format!("server {{\n{body}\n}}\n")
            } else {
                format!("server {{ listen 127.0.0.1:{port};\n{body}\n}}\n")
            }
        }
        Fragment::Http(text) => {
            let text = text.replace(VIRTUAL_ROOT, &root);
            let (text, _) = rewrite_listens(&text, port);
            // Servers without a listen get one on the line of their brace.
            let tree = lint403_nginx::parse(&text).tree;
            let mut inserts = Vec::new();
            for directive in tree.directives() {
                if directive.is_named(&text, "server") {
                    if let Some(block) = directive.block() {
                        let has = block.directives().any(|d| d.is_named(&text, "listen"));
                        if !has {
                            inserts.push(block.open().end);
                        }
                    }
                }
            }
            let mut out = text.clone();
            for at in inserts.into_iter().rev() {
                out.insert_str(at, &format!(" listen 127.0.0.1:{port};"));
            }
            out
        }
    }
}

fn rewrite_listens(text: &str, port: u16) -> (String, bool) {
    let tree = lint403_nginx::parse(text).tree;
    let mut edits = Vec::new();
    let mut stack: Vec<&[lint403_nginx::syntax::Item]> = vec![&tree.items];
    let mut top_level_listen = false;
    let mut depth_zero = true;
    while let Some(items) = stack.pop() {
        for item in items {
            let lint403_nginx::syntax::Item::Directive(directive) = item else {
                continue;
            };
            if directive.is_named(text, "listen") {
                if depth_zero {
                    top_level_listen = true;
                }
                if let Some(first) = directive.args.first() {
                    let value = first.value(text);
                    let host = match value.rsplit_once(':') {
                        Some((host, _)) => host.to_string(),
                        None if value.bytes().all(|b| b.is_ascii_digit()) => String::new(),
                        None => value.to_string(),
                    };
                    let address = match host.as_str() {
                        "" | "*" | "0.0.0.0" | "localhost" => "127.0.0.1".to_string(),
                        other => other.to_string(),
                    };
                    edits.push((first.range(), format!("{address}:{port}")));
                }
            }
            if let Some(block) = directive.block() {
                stack.push(&block.items);
            }
        }
        depth_zero = false;
    }
    edits.sort_by_key(|(range, _)| std::cmp::Reverse(range.start));
    let mut out = text.to_string();
    for (range, replacement) in edits {
        out.replace_range(range.start..range.end, &replacement);
    }
    (out, top_level_listen)
}

fn run_case(case: &Case, seed: u16) -> Vec<Row> {
    let prefix = temp_prefix(&format!("trace-{}", case.name));
    lay_out(&prefix.join("www"), &case.docroot).unwrap_or_else(|e| panic!("{}: {e}", case.name));
    lay_out(&prefix, &case.files).unwrap_or_else(|e| panic!("{}: {e}", case.name));
    let server = match start(
        ServerKind::Nginx,
        &prefix,
        seed.wrapping_mul(13).wrapping_add(7),
        &|port| nginx_main_conf(&prefix, &wrap(&case.fragment, port, &prefix)),
    ) {
        Ok(server) => server,
        Err(error) => panic!("{}: nginx did not start: {error}", case.name),
    };
    // The kit makes the prefix world-readable when it starts the server;
    // the modes a case asks for are set again afterwards.
    reapply_modes(&prefix.join("www"), &case.docroot);
    reapply_modes(&prefix, &case.files);
    let config_path = prefix.join("conf/server.conf");
    let mut sources = SourceMap::new();
    let file = sources.add(read::read_source(&config_path).expect("config readable"));
    let check = CheckOptions {
        follow_absolute_includes: true,
        ..CheckOptions::default()
    };
    let loaded = lint403_nginx::load(&mut sources, file, &check);
    let options = TraceOptions {
        fs: FsView {
            path_map: Vec::new(),
            read_unmapped: true,
        },
        distribution_defaults: false,
        verdict_only: false,
    };
    let model = lint403_nginx::lower(&loaded, &mut sources, &options);
    // What the lint rules trace: the model without the settings no
    // verdict reads.
    let verdict_only = TraceOptions {
        verdict_only: true,
        ..options.clone()
    };
    let slim = lint403_nginx::lower(&loaded, &mut sources, &verdict_only);
    let mut rows = Vec::new();
    for request in &case.requests {
        let test = TestRequest {
            method: request.method.clone(),
            path: request.path.clone(),
            client_ip: request.client_ip,
            headers: request.headers.clone(),
            credentials: request
                .user
                .clone()
                .map(|user| (user, request.password.clone().unwrap_or_default())),
            omit_host: request.omit_host,
        };
        // An IPv6 client talks to the case's `listen [::1]:...`.
        let listen = if request.client_ip.is_ipv6() {
            SocketAddr::new(IpAddr::from(std::net::Ipv6Addr::LOCALHOST), server.port)
        } else {
            server.address()
        };
        let real = match send(listen, &test) {
            // A closed connection without an answer is nginx's 444.
            Ok(response) if response.status == 0 => 444,
            Ok(response) => response.status,
            Err(error) => panic!("{}: {}: {error}", case.name, request.line),
        };
        let mut traced = Request::new(&request.method, &request.path);
        traced.client_ip = request.client_ip;
        // What the kit puts on the wire before the case's own headers.
        traced.add_header("User-Agent", "lint403-test/1");
        traced.headers.extend(request.headers.iter().cloned());
        let has_host = request
            .headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("host"));
        if !has_host && !request.omit_host {
            traced.set_header("Host", "localhost");
        }
        traced.user.clone_from(&request.user);
        traced.password = request
            .password
            .clone()
            .or_else(|| request.user.as_ref().map(|_| String::new()));
        traced.listen = Some(listen);
        let verdict = lint403_nginx::trace(&model, &traced, &options);
        let probed = lint403_nginx::trace(&slim, &traced, &verdict_only);
        assert_eq!(
            (probed.status, probed.outcome, &probed.decided_by),
            (verdict.status, verdict.outcome, &verdict.decided_by),
            "{}: {}: the verdict-only model traces otherwise",
            case.name,
            request.line
        );
        let verdict = if verdict.outcome == Outcome::Unknown && verdict.status.is_some() {
            Verdict {
                status: None,
                ..verdict
            }
        } else {
            verdict
        };
        rows.push(Row {
            case: case.name.clone(),
            request: request.line.clone(),
            real,
            traced: verdict,
            pinned: request.pinned,
        });
    }
    drop(server);
    rows
}

fn reapply_modes(base: &Path, entries: &[Entry]) {
    use std::os::unix::fs::PermissionsExt;
    let mut modes: Vec<(PathBuf, u32)> = entries
        .iter()
        .filter_map(|entry| {
            let mode = match entry.mode.as_ref()? {
                serde_json::Value::String(text) => u32::from_str_radix(text, 8).ok()?,
                serde_json::Value::Number(number) => u32::try_from(number.as_u64()?).ok()?,
                _ => return None,
            };
            Some((base.join(&entry.path), mode))
        })
        .collect();
    modes.sort_by_key(|(path, _)| std::cmp::Reverse(path.components().count()));
    for (path, mode) in modes {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}
