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
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use lint403_core::fsview::FsView;
use lint403_core::{CheckOptions, Request, SourceMap, TraceOptions};
use lint403_testkit::layout::{lay_out, Entry};
use lint403_testkit::server::{apache_main_conf, start, ApacheConf};
use lint403_testkit::apache_extra::{send_exact as send, DEFAULT_USER_AGENT};
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
        core.headers.push(("Host".to_string(), "localhost".to_string()));
    }
    if let Some((user, password)) = &request.credentials {
        core.user = Some(user.clone());
        core.password = Some(password.clone());
    }
    core.listen = Some(server);
    core
}

fn describe(request: &TestRequest) -> String {
    let mut text = format!("{} {} from {}", request.method, request.path, request.client_ip);
    for (name, value) in &request.headers {
        text.push_str(&format!(" [{name}: {value}]"));
    }
    if let Some((user, password)) = &request.credentials {
        text.push_str(&format!(" as {user}:{password}"));
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
        let verdict = lint403_apache::trace(&model, &core_request(request, server.address()), &options);
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
        if std::env::var("LINT403_TRACE_STEPS").is_ok() {
            for step in &verdict.steps {
                println!("    {}: {}", step.role.as_str(), step.text);
            }
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
            requests: case.requests.iter().map(peer::PeerRequest::to_test_request).collect(),
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
    assert!(tally.mismatches.is_empty(), "{} mismatches (printed above)", tally.mismatches.len());
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

fn own_cases() -> Vec<Case> {
    Vec::new()
}
