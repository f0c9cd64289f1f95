//! The lowering on several threads makes the model the one-thread
//! lowering makes: same scopes in the same order with the same parents and
//! children, same sites, rules, global rules and gaps in the same places.

mod common;

use std::path::Path;

use lint403_core::{read, CheckOptions, SourceMap, TraceOptions};

/// The `.conf` files among the nginx fixtures.
fn conf_fixtures() -> Vec<std::path::PathBuf> {
    let mut files = common::nginx_fixtures();
    files.retain(|path| {
        path.extension()
            .is_some_and(|extension| extension == "conf")
    });
    assert!(files.len() >= 20, "{files:?}");
    files
}

/// The configuration `path` loads.
fn load(path: &Path, options: &CheckOptions) -> (SourceMap, lint403_nginx::LoadedConfig) {
    let mut sources = SourceMap::new();
    let source = read::read_source(path).unwrap_or_else(|error| panic!("{error}"));
    let root = sources.add(source);
    let config = lint403_nginx::load(&mut sources, root, options);
    (sources, config)
}

/// The model of `path` lowered on one thread and on `threads`, printed.
fn lowered(path: &Path, options: &CheckOptions, threads: usize) -> [String; 2] {
    let (mut sources, config) = load(path, options);
    [false, true].map(|verdict_only| {
        let trace = TraceOptions {
            verdict_only,
            ..TraceOptions::default()
        };
        let one = lint403_nginx::lower::lower_on(&config, &mut sources, &trace, 1);
        let many = lint403_nginx::lower::lower_on(&config, &mut sources, &trace, threads);
        let (one, many) = (format!("{one:#?}"), format!("{many:#?}"));
        assert_eq!(
            one,
            many,
            "{} (verdict only: {verdict_only})",
            path.display()
        );
        one
    })
}

#[test]
fn every_fixture_lowers_alike_on_several_threads() {
    let files = conf_fixtures();
    let mut servers = 0;
    for path in &files {
        let [model, _] = lowered(path, &CheckOptions::default(), 3);
        servers += model.matches("kind: Server").count();
    }
    assert!(servers >= 20, "the fixtures hold servers to lower apart");
}

/// Servers spread over included files, more than are lowered side by
/// side at a time, with `http`-level maps, gaps and global rules between
/// them (also across the boundary of two such batches), a setting that goes
/// to the global rules from inside a server, an include cycle, nested
/// locations and a server in a snippet that `http` includes twice.
#[test]
fn servers_in_includes_lower_alike_on_several_threads() {
    let dir = common::TempDir::new("lower-parallel");
    let main = dir.write(
        "nginx.conf",
        "events {}\nhttp {\n  map $http_referer $bad { default 0; ~evil 1; }\n  access_by_lua_block { return }\n  include a/*.conf;\n  geo $office { default 0; 10.0.0.0/8 1; }\n  include twice.conf;\n  server { listen 8080; secure_link $arg_md5; location / { deny all; } }\n  include b/*.conf;\n  secure_link $arg_md5;\n  js_set $middle main.middle;\n  include twice.conf;\n  include c/*.conf;\n  js_set $late main.late;\n}\n",
    );
    let groups = [("a", 0..150), ("b", 150..270), ("c", 270..300)];
    for (group, range) in groups {
        for index in range {
            dir.write(
                &format!("{group}/{index:03}.conf"),
                &format!(
                    "server {{\n  listen {port};\n  server_name s{index}.example;\n  root /srv/{index};\n  js_set $x{index} main.x;\n  location / {{ allow 10.0.0.0/8; deny all; location ~ \\.php$ {{ return 403; }} }}\n  location = /exact {{ valid_referers none example.com; if ($invalid_referer) {{ return 403; }} }}\n  include ../snippets/loop.conf;\n  location /lua {{ access_by_lua_block {{ ngx.exit(403) }} }}\n}}\n",
                    port = 20000 + index
                ),
            );
        }
    }
    dir.write(
        "snippets/loop.conf",
        "location /loop { limit_except GET { deny all; } }\ninclude loop.conf;\n",
    );
    dir.write(
        "twice.conf",
        "server { server_name twice.example; location /t { auth_basic on; } }\n",
    );
    let options = CheckOptions {
        include_root: Some(dir.path().to_path_buf()),
        ..CheckOptions::default()
    };
    for threads in [2, 3] {
        let [model, slim] = lowered(&main, &options, threads);
        assert_eq!(model.matches("kind: Server").count(), 303);
        assert!(model.matches("reason:").count() >= 303, "gaps");
        assert!(slim.len() < model.len());
    }
    for servers_per_window in [1, 7, 256] {
        windows_answer_as_the_whole(&main, &options, servers_per_window);
    }
}

/// Every site of `path`'s configuration answers the same requests alike
/// in the whole model and in windows of `servers_per_window` servers.
fn windows_answer_as_the_whole(path: &Path, options: &CheckOptions, servers_per_window: usize) {
    let (mut sources, config) = load(path, options);
    let trace = TraceOptions {
        verdict_only: true,
        ..TraceOptions::default()
    };
    let whole = lint403_nginx::lower::lower_on(&config, &mut sources, &trace, 1);
    let answers = |model: &lint403_core::Model, site: usize| -> Vec<String> {
        let mut out = Vec::new();
        for path in [
            "/",
            "/exact",
            "/loop",
            "/x.php",
            "/lua",
            "/t",
            "/.git/config",
        ] {
            for referer in [
                None,
                Some("https://evil.test/"),
                Some("http://example.com/"),
            ] {
                let mut request = lint403_core::Request::new("GET", path);
                request.site = Some(lint403_core::model::SiteId(site));
                request.client_ip = std::net::IpAddr::from([203, 0, 113, 5]);
                if let Some(referer) = referer {
                    request.set_header("Referer", referer);
                }
                let verdict = lint403_nginx::trace(model, &request, &trace);
                out.push(format!(
                    "{path} {referer:?}: {:?} {:?} {:?} {:?}",
                    verdict.status, verdict.outcome, verdict.decided_by, verdict.unknown
                ));
            }
        }
        out
    };
    let mut windows = 0;
    let mut seen = 0;
    lint403_nginx::lower::lower_in_windows(
        &config,
        &sources,
        &trace,
        2,
        servers_per_window,
        None,
        |window, _| {
            windows += 1;
            for site in 0..window.sites.len() {
                assert_eq!(
                    window.sites[site].span,
                    whole.sites[seen].span,
                    "{}: site {seen}",
                    path.display()
                );
                assert_eq!(
                    answers(&window, site),
                    answers(&whole, seen),
                    "{}: site {seen} in a window of {servers_per_window}",
                    path.display()
                );
                seen += 1;
            }
            window
        },
    );
    assert_eq!(seen, whole.sites.len(), "{}", path.display());
    assert!(windows >= 1);
}

#[test]
fn every_fixture_answers_alike_in_windows() {
    let files = conf_fixtures();
    for path in &files {
        for servers_per_window in [1, 2, 256] {
            windows_answer_as_the_whole(path, &CheckOptions::default(), servers_per_window);
        }
    }
}
