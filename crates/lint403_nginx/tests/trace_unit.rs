//! Lowering, selection and tracing without a server: the model's shape,
//! the location nginx's algorithm picks, and verdicts that need no
//! filesystem (or state what they assumed without one).

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use lint403_core::fsview::FsView;
use lint403_core::model::{
    Action, AuthKind, Condition, Inheritance, Matcher, RuleKind, ScopeKind, Subject, TextTest,
};
use lint403_core::{
    CheckOptions, Model, Outcome, Request, Selector, SourceFile, SourceMap, StepRole, TraceOptions,
};
use lint403_nginx::{lower, trace, NginxSelector};

fn model_of(name: &str, text: &str) -> (Model, SourceMap) {
    let mut sources = SourceMap::new();
    let file = sources.add(SourceFile::from_bytes(
        format!("/tmp/lint403-trace-unit/{name}"),
        text.as_bytes().to_vec(),
    ));
    let config = lint403_nginx::load(&mut sources, file, &CheckOptions::default());
    let model = lower(&config, &mut sources, &TraceOptions::default());
    (model, sources)
}

fn span_text(sources: &SourceMap, span: lint403_core::Span) -> String {
    sources.get(span.file).text[span.range.start..span.range.end].to_string()
}

fn request(line: &str) -> Request {
    Request::parse_expectation(line).expect("valid request")
}

fn status(model: &Model, line: &str) -> Option<u16> {
    trace(model, &request(line), &TraceOptions::default()).status
}

const SITE: &str = "http {
    map $http_x_role $is_admin { default 0; admin 1; ~^root 1; }
    geo $office { default 0; 10.0.0.0/8 1; 10.1.0.0/16 2; }
    allow 10.0.0.0/8;
    deny all;
    server {
        listen 127.0.0.1:8080 default_server;
        listen [::]:8080;
        server_name example.test *.example.test;
        root /srv/www;
        location = /exact { return 204; }
        location ^~ /static/ { allow all; }
        location /admin/ {
            deny 10.9.9.9;
            location ~ \\.php$ { return 200 \"php\"; }
        }
        location ~* \\.png$ { valid_referers none example.test; }
        location /lim/ { limit_except GET { deny all; } }
        location @named { return 403; }
        if ($is_admin) { return 403; }
        location /auth/ {
            auth_basic \"realm\";
            auth_basic_user_file conf/users;
            satisfy any;
        }
        location /sub/ { auth_request /check; }
        location /up/ { proxy_pass http://127.0.0.1:9; }
        location /loop/ { rewrite ^ /loop/x last; }
    }
}
";

#[test]
fn sites_listen_names_and_roots() {
    let (model, _) = model_of("nginx.conf", SITE);
    assert_eq!(model.sites.len(), 1);
    let site = &model.sites[0];
    assert_eq!(site.listen.len(), 2);
    assert!(site.listen[0].default_server);
    assert_eq!(site.listen[0].port, 8080);
    assert_eq!(site.listen[0].address, Some(IpAddr::from([127, 0, 0, 1])));
    assert!(
        site.listen[1].is_ipv6(),
        "[::] listens on every IPv6 address"
    );
    assert_eq!(site.names, ["example.test", "*.example.test"]);
    assert_eq!(site.document_roots, ["/srv/www"]);
    assert_eq!(model.scope(site.root).kind, ScopeKind::Server);
}

#[test]
fn scopes_have_nginx_matchers_and_rules_in_order_with_spans() {
    let (model, sources) = model_of("nginx.conf", SITE);
    let http = &model.scopes[0];
    assert_eq!(http.kind, ScopeKind::Global);
    let actions: Vec<(Action, String)> = http
        .rules
        .iter()
        .filter_map(|rule| match &rule.kind {
            RuleKind::Access { action, .. } => Some((*action, span_text(&sources, rule.span))),
            _ => None,
        })
        .collect();
    assert_eq!(
        actions,
        [
            (Action::Allow, "allow 10.0.0.0/8;".to_string()),
            (Action::Deny, "deny all;".to_string())
        ]
    );
    let kinds: Vec<String> = model
        .scopes
        .iter()
        .map(|scope| match &scope.matcher {
            Matcher::Exact(path) => format!("= {path}"),
            Matcher::Prefix(path) => path.clone(),
            Matcher::PrefixNoRegex(path) => format!("^~ {path}"),
            Matcher::Regex(pattern) => format!(
                "{} {}",
                if pattern.case_insensitive { "~*" } else { "~" },
                pattern.source
            ),
            Matcher::Named(name) => name.clone(),
            Matcher::Methods { methods, except } => format!("except={except} {methods:?}"),
            Matcher::If(_) => "if".into(),
            _ => "all".into(),
        })
        .collect();
    for expected in [
        "= /exact",
        "^~ /static/",
        "/admin/",
        "~ \\.php$",
        "~* \\.png$",
        "except=true [\"GET\"]",
        "@named",
        "if",
    ] {
        assert!(
            kinds.iter().any(|kind| kind == expected),
            "{expected} in {kinds:?}"
        );
    }
    assert!(model
        .scopes
        .iter()
        .all(|scope| scope.access_inheritance == Inheritance::Replace));
    let nested = model
        .scopes
        .iter()
        .position(|scope| matches!(&scope.matcher, Matcher::Regex(p) if p.source == "\\.php$"))
        .expect("nested regex");
    let parent = model.scopes[nested].parent.expect("has a parent");
    assert!(matches!(&model.scope(parent).matcher, Matcher::Prefix(path) if path == "/admin/"));
}

#[test]
fn directives_become_shared_rules() {
    let (model, sources) = model_of("nginx.conf", SITE);
    let all_rules: Vec<_> = model.scopes.iter().flat_map(|scope| &scope.rules).collect();
    assert!(all_rules.iter().any(|rule| matches!(
        &rule.kind,
        RuleKind::RefererPolicy { none: true, hosts, .. } if hosts[..] == ["example.test".to_string()]
    )));
    assert!(all_rules.iter().any(|rule| matches!(
        &rule.kind,
        RuleKind::Auth { kind: AuthKind::Basic, realm: Some(realm), user_file: None, enabled: true } if &**realm == "realm"
    )));
    assert!(all_rules.iter().any(|rule| matches!(
        &rule.kind,
        RuleKind::Auth { kind: AuthKind::Basic, user_file: Some(file), .. } if &**file == "conf/users"
    )));
    assert!(all_rules.iter().any(|rule| matches!(
        &rule.kind,
        RuleKind::Satisfy(lint403_core::model::Satisfy::Any)
    )));
    let respond = all_rules
        .iter()
        .find(|rule| matches!(rule.kind, RuleKind::Respond { status: 204, .. }))
        .expect("return 204");
    assert_eq!(span_text(&sources, respond.span), "return 204;");
    assert!(all_rules.iter().any(|rule| matches!(
        &rule.kind,
        RuleKind::Rewrite { target, flags, .. } if &**target == "/loop/x" && flags[..] == ["last".to_string()]
    )));
    assert!(all_rules.iter().any(|rule| matches!(
        &rule.kind,
        RuleKind::Setting { name, args } if name == "proxy_pass" && args == &["http://127.0.0.1:9".to_string()]
    )));
    // The if block's condition reads the map variable.
    let condition = model
        .scopes
        .iter()
        .find_map(|scope| match &scope.matcher {
            Matcher::If(condition) => Some((**condition).clone()),
            _ => None,
        })
        .expect("if scope");
    assert_eq!(
        condition,
        Condition::Var {
            name: "is_admin".into(),
            test: TextTest::Truthy
        }
    );
    // auth_request cannot be decided: it is a gap.
    assert!(model
        .gaps
        .iter()
        .any(|gap| gap.reason.contains("auth_request")));
}

#[test]
fn map_and_geo_are_global_in_priority_order() {
    let (model, _) = model_of("nginx.conf", SITE);
    let map: Vec<(String, String)> = model
        .global
        .iter()
        .filter_map(|rule| match &rule.kind {
            RuleKind::SetVar { name, value, when } if name == "is_admin" => {
                Some((value.to_string(), format!("{when:?}")))
            }
            _ => None,
        })
        .collect();
    assert_eq!(map.len(), 3);
    assert!(map[0].1.contains("Equals"), "exact keys first: {map:?}");
    assert!(map[1].1.contains("Matches"), "then regexes: {map:?}");
    assert_eq!(map[2], ("0".to_string(), "Always".to_string()));
    let geo: Vec<String> = model
        .global
        .iter()
        .filter_map(|rule| match &rule.kind {
            RuleKind::SetVar { name, when, .. } if name == "office" => Some(format!("{when:?}")),
            _ => None,
        })
        .collect();
    assert!(
        geo[0].contains("prefix: 16"),
        "longest prefix first: {geo:?}"
    );
    assert!(geo[1].contains("prefix: 8"));
}

#[test]
fn the_selector_picks_nginx_s_location() {
    let (model, sources) = model_of("nginx.conf", SITE);
    let chosen = |line: &str| -> String {
        let selection = NginxSelector.select(&model, &request(line));
        let scope = *selection.scopes.last().expect("a scope");
        span_text(&sources, model.scope(scope).head)
    };
    assert_eq!(chosen("GET /exact"), "location = /exact");
    assert_eq!(chosen("GET /exact/more"), "server");
    assert_eq!(chosen("GET /static/a.png"), "location ^~ /static/");
    assert_eq!(chosen("GET /admin/a.png"), "location ~* \\.png$");
    assert_eq!(chosen("GET /admin/x.php"), "location ~ \\.php$");
    assert_eq!(chosen("GET /admin/x"), "location /admin/");
    assert_eq!(chosen("GET /ADMIN/X.PNG"), "location ~* \\.png$");
    assert_eq!(chosen("GET /a/../admin/%78"), "location /admin/");
}

#[test]
fn access_lists_first_match_inheritance_and_fix() {
    let (model, _) = model_of("nginx.conf", SITE);
    assert_eq!(status(&model, "GET /exact from 10.0.0.1"), Some(204));
    let verdict = trace(
        &model,
        &request("GET /static/x from 203.0.113.7"),
        &TraceOptions::default(),
    );
    assert_eq!(verdict.outcome, Outcome::Allowed, "{:?}", verdict.steps);
    let verdict = trace(
        &model,
        &request("GET /other from 203.0.113.7"),
        &TraceOptions::default(),
    );
    assert_eq!(verdict.status, Some(403));
    assert_eq!(verdict.outcome, Outcome::Forbidden);
    assert!(!verdict.decided_by.is_empty());
    let fix = verdict.fix.expect("a fix for the 403");
    assert!(fix.contains("allow 203.0.113.7;"), "{fix}");
    // /admin/ has its own list: the http list is replaced, so anyone but
    // 10.9.9.9 passes.
    assert_eq!(status(&model, "GET /admin/x from 203.0.113.7"), Some(200));
    assert_eq!(status(&model, "GET /admin/x from 10.9.9.9"), Some(403));
    // An IPv4-mapped client is matched against the IPv4 entries; a plain
    // IPv6 client only meets `deny all`.
    assert_eq!(status(&model, "GET /other from ::ffff:10.1.2.3"), Some(200));
    assert_eq!(status(&model, "GET /other from 2001:db8::1"), Some(403));
}

#[test]
fn rewrite_phase_runs_before_access_and_loops_end_in_500() {
    let (model, _) = model_of("nginx.conf", SITE);
    // The server-level if runs before the location's allow/deny.
    let mut admin = request("GET /static/x from 10.0.0.1");
    admin.add_header("X-Role", "rootish");
    assert_eq!(
        trace(&model, &admin, &TraceOptions::default()).status,
        Some(403)
    );
    let verdict = trace(
        &model,
        &request("GET /loop/ from 10.0.0.1"),
        &TraceOptions::default(),
    );
    assert_eq!(verdict.status, Some(500));
    assert!(verdict.steps.iter().any(|step| step.text.contains("cycle")));
    // Named locations are not reachable from outside.
    assert_eq!(status(&model, "GET /@named from 10.0.0.1"), Some(200));
}

#[test]
fn limit_except_and_methods() {
    let (model, _) = model_of("nginx.conf", SITE);
    assert_eq!(status(&model, "GET /lim/x from 10.0.0.1"), Some(200));
    assert_eq!(status(&model, "HEAD /lim/x from 10.0.0.1"), Some(200));
    assert_eq!(status(&model, "POST /lim/x from 10.0.0.1"), Some(403));
    assert_eq!(status(&model, "TRACE /lim/x from 10.0.0.1"), Some(405));
}

#[test]
fn upstreams_and_subrequests_are_unknown() {
    let (model, _) = model_of("nginx.conf", SITE);
    let verdict = trace(
        &model,
        &request("GET /up/x from 10.0.0.1"),
        &TraceOptions::default(),
    );
    assert_eq!(verdict.outcome, Outcome::Unknown);
    assert!(verdict.status.is_none());
    assert!(verdict
        .steps
        .iter()
        .any(|step| step.role == StepRole::Decided && step.text.contains("upstream")));
    // The allow/deny still decide before the upstream is reached.
    assert_eq!(status(&model, "GET /up/x from 203.0.113.7"), Some(403));
    let verdict = trace(
        &model,
        &request("GET /sub/x from 10.0.0.1"),
        &TraceOptions::default(),
    );
    assert_eq!(verdict.outcome, Outcome::Unknown);
    assert!(verdict.unknown.unwrap_or_default().contains("auth_request"));
}

#[test]
fn without_a_filesystem_view_targets_are_assumed_to_exist() {
    let (model, _) = model_of("nginx.conf", SITE);
    let verdict = trace(
        &model,
        &request("GET /admin/page.html from 10.0.0.1"),
        &TraceOptions::default(),
    );
    assert_eq!(verdict.status, Some(200));
    assert!(verdict
        .steps
        .iter()
        .any(|step| step.role == StepRole::Filesystem && step.text.contains("no view")));
}

#[test]
fn auth_basic_with_satisfy_any() {
    let (model, _) = model_of("nginx.conf", SITE);
    // satisfy any: the http allow list lets 10/8 in without credentials.
    assert_eq!(status(&model, "GET /auth/x from 10.0.0.1"), Some(200));
    // Outside it, authentication is asked for: 401 beats 403.
    assert_eq!(status(&model, "GET /auth/x from 203.0.113.7"), Some(401));
    // With a user and no view of the user file, the user is assumed valid.
    let verdict = trace(
        &model,
        &request("GET /auth/x from 203.0.113.7 user alice"),
        &TraceOptions::default(),
    );
    assert_eq!(verdict.status, Some(200));
    assert!(verdict
        .steps
        .iter()
        .any(|step| step.text.contains("assumed")));
}

#[test]
fn referers_and_server_names() {
    let (model, _) = model_of(
        "nginx.conf",
        "http { server { listen 80; server_name a.test; return 201; }
                server { listen 80; server_name ~^b\\d+\\.test$; return 202; }
                server { listen 80 default_server; server_name .c.test; return 203; } }",
    );
    assert_eq!(status(&model, "GET / host a.test"), Some(201));
    assert_eq!(status(&model, "GET / host B12.TEST"), Some(202));
    assert_eq!(status(&model, "GET / host x.c.test"), Some(203));
    assert_eq!(status(&model, "GET / host c.test"), Some(203));
    assert_eq!(status(&model, "GET / host unknown.test"), Some(203));
    let none = lint403_nginx::trace::referer_valid(None, true, false, &[], &[], &[]);
    assert!(none.0);
    let blocked =
        lint403_nginx::trace::referer_valid(Some("android-app://x"), false, true, &[], &[], &[]);
    assert!(blocked.0);
    let hosts = vec!["*.good.test".to_string(), "good.test/gallery/".to_string()];
    assert!(
        lint403_nginx::trace::referer_valid(
            Some("http://a.good.test/"),
            false,
            false,
            &[],
            &hosts,
            &[]
        )
        .0
    );
    assert!(
        !lint403_nginx::trace::referer_valid(
            Some("http://good.test/x"),
            false,
            false,
            &[],
            &hosts,
            &[]
        )
        .0
    );
    let scheme = [lint403_core::Pattern::new("^https://good", true)];
    assert!(
        !lint403_nginx::trace::referer_valid(
            Some("https://good.test/"),
            false,
            false,
            &[],
            &[],
            &scheme
        )
        .0,
        "a referer regex is matched after the scheme"
    );
}

#[test]
fn fragments_lower_into_a_site() {
    let (model, _) = model_of(
        "site.conf",
        "server_name frag.test;\nlocation / { deny all; }\n",
    );
    assert_eq!(model.sites.len(), 1);
    assert_eq!(model.sites[0].names, ["frag.test"]);
    assert_eq!(status(&model, "GET /x"), Some(403));
}

#[test]
fn unreadable_access_entries_and_unknown_variables_are_unknown() {
    let (model, _) = model_of(
        "nginx.conf",
        "http { server { location /v/ { if ($geoip_country_code = XX) { return 403; } }
                          location /x/ { deny example.com; } } }",
    );
    let verdict = trace(&model, &request("GET /v/"), &TraceOptions::default());
    assert_eq!(verdict.outcome, Outcome::Unknown);
    assert!(verdict
        .unknown
        .unwrap_or_default()
        .contains("geoip_country_code"));
    assert!(model
        .gaps
        .iter()
        .any(|gap| gap.reason.contains("example.com")));
    assert_eq!(
        trace(&model, &request("GET /x/"), &TraceOptions::default()).outcome,
        Outcome::Unknown
    );
    assert!(model
        .scopes
        .iter()
        .flat_map(|s| &s.rules)
        .any(|rule| matches!(
            &rule.kind,
            RuleKind::Access { subject: Subject::Unknown(text), .. } if text == "example.com"
        )));
}

#[test]
fn a_filesystem_view_is_read() {
    let dir = std::env::temp_dir().join(format!("lint403-trace-unit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("www/sub")).expect("dirs");
    std::fs::write(dir.join("www/file.txt"), "x").expect("file");
    let (model, _) = model_of(
        "nginx.conf",
        "http { server { root /deploy/www; location /open/ { autoindex on; alias /deploy/www/; } } }",
    );
    let options = TraceOptions {
        fs: FsView {
            path_map: vec![(PathBuf::from("/deploy"), dir.clone())],
            read_unmapped: false,
        },
        distribution_defaults: false,
        verdict_only: false,
    };
    let status_of = |line: &str| trace(&model, &request(line), &options).status;
    assert_eq!(status_of("GET /file.txt"), Some(200));
    assert_eq!(status_of("POST /file.txt"), Some(405));
    assert_eq!(status_of("GET /missing"), Some(404));
    assert_eq!(status_of("GET /sub"), Some(301));
    let verdict = trace(&model, &request("GET /sub/"), &options);
    assert_eq!(verdict.status, Some(403));
    assert!(verdict
        .steps
        .iter()
        .any(|step| step.text.contains("directory index of")));
    assert!(verdict.fix.unwrap_or_default().contains("autoindex"));
    assert_eq!(status_of("GET /open/sub/"), Some(200));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!Path::new(&dir).exists());
}

#[test]
fn no_input_makes_it_panic() {
    let requests = [
        "GET /",
        "GET /a/../../b",
        "POST /x.php?a=1",
        "GET /%00",
        "GET //.well-known/acme-challenge/t",
        "OPTIONS /api/ from ::1",
    ];
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    // The shared corpus of real configurations, when it is there.
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/nginx");
    let mut files = Vec::new();
    let mut stack = vec![root, corpus, PathBuf::from("/work/shared/corpus/nginx")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .is_some_and(|ext| ext == "conf" || ext == "case")
            {
                files.push(path);
            }
        }
    }
    assert!(files.len() > 20, "fixtures found: {}", files.len());
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let (model, _) = model_of("nginx.conf", &text);
        for line in requests {
            let verdict = trace(&model, &request(line), &TraceOptions::default());
            assert!(
                verdict.status.is_some() || verdict.outcome == Outcome::Unknown,
                "{}: {line}",
                path.display()
            );
        }
    }
}

#[test]
fn self_referring_variables_end() {
    let (model, _) = model_of(
        "nginx.conf",
        "http { map $a $b { default $c; } map $b $c { default $b; }
                server { root $request_filename; location /m/ { if ($c) { return 403; } } } }",
    );
    for line in ["GET /x", "GET /m/x"] {
        let verdict = trace(&model, &request(line), &TraceOptions::default());
        assert_eq!(
            verdict.outcome,
            Outcome::Unknown,
            "{line}: {:?}",
            verdict.status
        );
    }
}

#[test]
fn a_hotlink_refusal_names_the_referer_line_and_its_fix() {
    let (model, sources) = model_of(
        "nginx.conf",
        "http { server { location /img/ {\n valid_referers example.test;\n if ($invalid_referer) { return 403; }\n } } }",
    );
    let verdict = trace(
        &model,
        &request("GET /img/a.png referer http://other.test/"),
        &TraceOptions::default(),
    );
    assert_eq!(verdict.status, Some(403));
    let lines: Vec<String> = verdict
        .decided_by
        .iter()
        .map(|span| span_text(&sources, *span))
        .collect();
    assert_eq!(lines, ["return 403;", "valid_referers example.test;"]);
    assert!(verdict.fix.unwrap_or_default().contains("valid_referers"));
    let verdict = trace(
        &model,
        &request("GET /img/a.png referer http://example.test/"),
        &TraceOptions::default(),
    );
    assert_eq!(verdict.outcome, Outcome::Allowed);
}

#[test]
fn fastcgi_variables_split_the_uri() {
    let (model, _) = model_of(
        "nginx.conf",
        "http { server { location ~ \\.php(/|$) {
            fastcgi_split_path_info ^(.+\\.php)(/.*)$;
            if ($fastcgi_script_name = /admin.php) { return 403; }
            if ($fastcgi_path_info = /secret) { return 403; }
            return 204;
        } } }",
    );
    assert_eq!(status(&model, "GET /admin.php/x"), Some(403));
    assert_eq!(status(&model, "GET /index.php/secret"), Some(403));
    assert_eq!(status(&model, "GET /index.php/open"), Some(204));
}

#[test]
fn a_later_allow_is_named_as_the_rule_that_would_change_it() {
    let (model, sources) = model_of(
        "nginx.conf",
        "http { server { location / { deny all; allow 203.0.113.7; } } }",
    );
    let verdict = trace(
        &model,
        &request("GET / from 203.0.113.7"),
        &TraceOptions::default(),
    );
    assert_eq!(verdict.status, Some(403));
    let would: Vec<String> = verdict
        .steps
        .iter()
        .filter(|step| step.role == StepRole::WouldChange)
        .filter_map(|step| step.span)
        .map(|span| span_text(&sources, span))
        .collect();
    assert_eq!(would, ["allow 203.0.113.7;"]);
    assert_eq!(
        verdict
            .decided_by
            .iter()
            .map(|span| span_text(&sources, *span))
            .collect::<Vec<_>>(),
        ["deny all;"]
    );
}

#[test]
fn geo_forms_lint403_does_not_read_are_unknown() {
    let (model, _) = model_of(
        "nginx.conf",
        "http { geo $r { ranges; default 0; 10.0.0.0-10.0.0.9 1; }
                geo $p { proxy 10.0.0.1; default 0; 10.0.0.0/8 1; }
                server { location /r/ { if ($r) { return 403; } }
                         location /p/ { if ($p) { return 403; } } } }",
    );
    for line in ["GET /r/ from 10.0.0.5", "GET /p/ from 10.0.0.5"] {
        let verdict = trace(&model, &request(line), &TraceOptions::default());
        assert_eq!(verdict.outcome, Outcome::Unknown, "{line}");
    }
}

/// A model lowered for verdicts only is the full model without the
/// settings no verdict reads — for every directive nginx knows, at every
/// level it can stand: a directive that lowers into a rule of its own
/// kind, or a setting the tracer reads, is never dropped (nor its gaps).
#[test]
fn a_verdict_only_model_drops_only_settings_no_verdict_reads() {
    let verdict_only = TraceOptions {
        verdict_only: true,
        ..TraceOptions::default()
    };
    let mut dropped = 0;
    for name in lint403_nginx::directives::names() {
        for (level, text) in [
            (
                "http",
                format!("http {{ {name} x y; server {{ listen 8080; }} }}"),
            ),
            (
                "server",
                format!("http {{ server {{ listen 8080; {name} x y; }} }}"),
            ),
            (
                "location",
                format!("http {{ server {{ listen 8080; location / {{ {name} x y; }} }} }}"),
            ),
        ] {
            let mut sources = SourceMap::new();
            let file = sources.add(SourceFile::from_bytes(
                "/tmp/lint403-trace-unit/nginx.conf",
                text.clone().into_bytes(),
            ));
            let config = lint403_nginx::load(&mut sources, file, &CheckOptions::default());
            let mut full = lower(&config, &mut sources, &TraceOptions::default());
            let slim = lower(&config, &mut sources, &verdict_only);
            for scope in &mut full.scopes {
                scope.rules.retain(|rule| match &rule.kind {
                    RuleKind::Setting { name: setting, .. } => {
                        let kept = setting != name || lint403_nginx::lower::read_by_tracer(name);
                        dropped += usize::from(!kept);
                        kept
                    }
                    _ => true,
                });
            }
            assert_eq!(
                format!("{:?}", slim.scopes),
                format!("{:?}", full.scopes),
                "{name} at {level} level"
            );
            assert_eq!(
                format!("{:?}", (&slim.sites, &slim.global, &slim.gaps)),
                format!("{:?}", (&full.sites, &full.global, &full.gaps)),
                "{name} at {level} level"
            );
        }
    }
    // The filter is not vacuous: most of nginx's directives are settings
    // no verdict reads.
    assert!(dropped > 500, "{dropped} settings dropped");
}
