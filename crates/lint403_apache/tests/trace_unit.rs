//! The tracer without a server: lowering of fragments and of the
//! distribution defaults, the deciding lines, fixes, the selector, and the
//! places where lint403 must answer "unknown" instead of guessing.

use std::path::{Path, PathBuf};

use lint403_apache::ApacheSelector;
use lint403_core::fsview::FsView;
use lint403_core::model::{Matcher, RuleKind, ScopeKind};
use lint403_core::{
    CheckOptions, Model, Outcome, Request, Selector, SourceMap, StepRole, TraceOptions,
};

struct Fixture {
    dir: PathBuf,
}

impl Fixture {
    fn new(label: &str) -> Fixture {
        let dir =
            std::env::temp_dir().join(format!("lint403-trace-unit-{}-{label}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        Fixture { dir }
    }

    fn write(&self, path: &str, text: &str) -> &Fixture {
        let full = self.dir.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).expect("dirs");
        }
        std::fs::write(full, text).expect("write");
        self
    }

    fn symlink(&self, path: &str, target: &str) -> &Fixture {
        let full = self.dir.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).expect("dirs");
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink(target, full).expect("symlink");
        self
    }

    /// A view that maps `/srv/site` onto the fixture.
    fn options(&self, distribution_defaults: bool) -> TraceOptions {
        TraceOptions {
            fs: FsView {
                path_map: vec![(PathBuf::from("/srv/site"), self.dir.clone())],
                read_unmapped: false,
            },
            distribution_defaults,
            verdict_only: false,
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn model_of(text: &str, name: &str, options: &TraceOptions) -> (Model, SourceMap) {
    let mut sources = SourceMap::new();
    let file = sources.add(lint403_core::SourceFile::from_bytes(
        PathBuf::from(name),
        text.as_bytes().to_vec(),
    ));
    let loaded = lint403_apache::load(&mut sources, file, &CheckOptions::default());
    let model = lint403_apache::lower(&loaded, &mut sources, options);
    (model, sources)
}

fn get(path: &str) -> Request {
    let mut request = Request::new("GET", path);
    request.set_header("Host", "localhost");
    request
}

fn line_of(sources: &SourceMap, span: lint403_core::Span) -> String {
    let file = sources.get(span.file);
    file.text
        .get(span.range.start..span.range.end)
        .unwrap_or_default()
        .to_string()
}

const MAIN: &str = "Listen 80\nDocumentRoot /srv/site\n<Directory />\n    Require all denied\n</Directory>\n<Directory /srv/site>\n    Require all granted\n</Directory>\n";

#[test]
fn the_deciding_line_and_a_fix() {
    let fixture = Fixture::new("decides");
    fixture
        .write("private/a.txt", "a\n")
        .write("index.html", "i\n");
    let options = fixture.options(false);
    let text =
        format!("{MAIN}<Directory /srv/site/private>\n    Require ip 10.0.0.0/8\n</Directory>\n");
    let (model, sources) = model_of(&text, "/etc/apache2/apache2.conf", &options);
    let verdict = lint403_apache::trace(&model, &get("/private/a.txt"), &options);
    assert_eq!(verdict.status, Some(403));
    assert_eq!(verdict.outcome, Outcome::Forbidden);
    let first = verdict
        .decided_by
        .first()
        .copied()
        .expect("a deciding line");
    assert_eq!(line_of(&sources, first), "Require ip 10.0.0.0/8");
    assert!(verdict
        .fix
        .as_deref()
        .is_some_and(|fix| fix.contains("127.0.0.1")));
    let mut inside = get("/private/a.txt");
    inside.client_ip = "10.1.2.3".parse().expect("address");
    let verdict = lint403_apache::trace(&model, &inside, &options);
    assert_eq!(verdict.status, Some(200));
    assert!(verdict.fix.is_none());
    assert_eq!(
        lint403_apache::trace(&model, &get("/"), &options).status,
        Some(200)
    );
    assert_eq!(
        lint403_apache::trace(&model, &get("/missing"), &options).status,
        Some(404)
    );
}

#[test]
fn distribution_defaults_around_a_fragment() {
    let fixture = Fixture::new("debian");
    fixture
        .write("index.html", "i\n")
        .write(".htaccess", "# nothing\n");
    let options = TraceOptions {
        fs: FsView {
            path_map: vec![(PathBuf::from("/var/www/html"), fixture.dir.clone())],
            read_unmapped: false,
        },
        distribution_defaults: true,
        verdict_only: false,
    };
    let (model, sources) = model_of(
        "<VirtualHost *:80>\n    ServerName example.test\n    DocumentRoot /var/www/html\n</VirtualHost>\n",
        "sites-enabled/site.conf",
        &options,
    );
    let verdict = lint403_apache::trace(&model, &get("/index.html"), &options);
    assert_eq!(verdict.status, Some(200));
    assert!(verdict
        .steps
        .iter()
        .any(|step| step.role == StepRole::Default && step.text.contains("Debian")));
    let verdict = lint403_apache::trace(&model, &get("/.htaccess"), &options);
    assert_eq!(verdict.status, Some(403));
    let first = verdict.decided_by.first().copied().expect("deciding line");
    assert_eq!(line_of(&sources, first), "Require all denied");
    assert!(sources
        .get(first.file)
        .path
        .to_string_lossy()
        .contains("debian"));
    // Without the defaults, httpd's compiled-in ones: nothing denies.
    let plain = TraceOptions {
        distribution_defaults: false,
        ..options.clone()
    };
    let (model, _) = model_of(
        "<VirtualHost *:80>\n    DocumentRoot /var/www/html\n</VirtualHost>\n",
        "sites-enabled/site.conf",
        &plain,
    );
    assert_eq!(
        lint403_apache::trace(&model, &get("/.htaccess"), &plain).status,
        Some(200)
    );
}

#[test]
fn lowering_shapes() {
    let options = TraceOptions::default();
    let text = "<VirtualHost 127.0.0.1:8080>\nServerName a.test\nServerAlias www.a.test\nDocumentRoot /srv/a\n<Directory /srv/a>\nAuthMerging And\nRequire ip 10.0.0.1\nRequire host example.com\nRequire not ip 10.0.0.2\nOrder allow,deny\nAllow from 10.1 env=!blocked\nSatisfy any\n<Limit POST>\nRequire all denied\n</Limit>\n</Directory>\n<FilesMatch \"^\\.\">\nRequire all denied\n</FilesMatch>\n<If \"%{HTTP_HOST} == 'x'\">\nRequire all denied\n</If>\n<Else>\nRequire all granted\n</Else>\nRewriteEngine On\nRewriteRule ^/old - [F]\nSetEnvIf Referer ^https://a\\.test/ ok !bad\nBogusDirective x\n</VirtualHost>\n";
    let (model, _) = model_of(text, "/etc/apache2/sites-enabled/a.conf", &options);
    assert_eq!(model.sites.len(), 2, "the main server and one vhost");
    let site = &model.sites[1];
    assert_eq!(site.names, ["a.test", "www.a.test"]);
    assert_eq!(site.document_roots, ["/srv/a"]);
    assert_eq!(site.listen[0].port, 8080);
    let directory = model
        .scopes
        .iter()
        .find(|scope| scope.kind == ScopeKind::Directory)
        .expect("the <Directory>");
    assert!(matches!(directory.matcher, Matcher::Dir(ref path) if path == "/srv/a"));
    assert_eq!(
        directory.access_inheritance,
        lint403_core::model::Inheritance::Merge(lint403_core::model::AuthMerging::And)
    );
    // One implicit RequireAny with both lines; the 2.2 entries at the top.
    let combines: Vec<_> = directory
        .rules
        .iter()
        .filter_map(|rule| match &rule.kind {
            RuleKind::Combine { children, .. } => Some(children.len()),
            _ => None,
        })
        .collect();
    assert_eq!(combines, [2]);
    let compat = directory
        .rules
        .iter()
        .filter(|rule| matches!(rule.kind, RuleKind::Access { .. }))
        .count();
    assert_eq!(compat, 2, "Allow from 10.1 and env=!blocked");
    assert!(directory.rules.iter().any(|rule| matches!(
        rule.kind,
        RuleKind::Satisfy(lint403_core::model::Satisfy::Any)
    )));
    let limit = model
        .scopes
        .iter()
        .find(|scope| scope.kind == ScopeKind::Limit)
        .expect("<Limit>");
    assert!(
        matches!(&limit.matcher, Matcher::Methods { methods, except: false } if methods == &["POST"])
    );
    let ifs: Vec<_> = model
        .scopes
        .iter()
        .filter(|scope| scope.kind == ScopeKind::If)
        .collect();
    assert_eq!(ifs.len(), 2, "<If> and <Else>");
    let vhost = model.scope(site.root);
    assert!(vhost
        .rules
        .iter()
        .any(|rule| matches!(rule.kind, RuleKind::Respond { status: 403, .. })));
    let setvars: Vec<_> = vhost
        .rules
        .iter()
        .filter_map(|rule| match &rule.kind {
            RuleKind::SetVar { name, .. } => Some(name.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(setvars, ["ok", "!bad"]);
    assert!(model
        .gaps
        .iter()
        .any(|gap| gap.reason.contains("BogusDirective")));
    assert!(
        model
            .gaps
            .iter()
            .any(|gap| gap.reason.contains("negative Require")),
        "httpd refuses a negation under the implicit RequireAny"
    );
}

#[test]
fn the_selector_merges_in_httpd_order() {
    let options = TraceOptions::default();
    let text = "Listen 80\nDocumentRoot /srv/site\n<Location /a>\nRequire all granted\n</Location>\n<Files x.html>\nRequire all denied\n</Files>\n<DirectoryMatch \"^/srv/site/a\">\nRequire all denied\n</DirectoryMatch>\n<Directory /srv/site/a>\nRequire all denied\n</Directory>\n<Directory />\nRequire all denied\n</Directory>\n";
    let (model, _) = model_of(text, "/etc/apache2/apache2.conf", &options);
    let selection = ApacheSelector.select(&model, &get("/a/x.html"));
    let kinds: Vec<String> = selection
        .scopes
        .iter()
        .map(|id| {
            let scope = model.scope(*id);
            match &scope.matcher {
                Matcher::Dir(path) => format!("dir {path}"),
                Matcher::DirRegex(_) => "dirmatch".to_string(),
                Matcher::FileName(name) => format!("files {name}"),
                Matcher::Prefix(path) => format!("location {path}"),
                _ => format!("{:?}", scope.kind),
            }
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "Global",
            "dir /",
            "dir /srv/site/a",
            "dirmatch",
            "files x.html",
            "location /a"
        ]
    );
}

#[test]
fn unknown_instead_of_a_guess() {
    let fixture = Fixture::new("unknown");
    fixture
        .write("a.txt", "a\n")
        .write("host/x", "x\n")
        .write("app/index.php", "x\n");
    let options = fixture.options(false);
    let text = format!(
        "{MAIN}<Directory /srv/site/host>\n    Require host example.com\n</Directory>\n<Directory /srv/site/app>\n    SetHandler application/x-httpd-php\n</Directory>\nRewriteEngine On\nRewriteMap ext prg:/usr/local/bin/map\nRewriteRule ^/mapped/(.*) ${{ext:$1}}\n"
    );
    let (model, _) = model_of(&text, "/etc/apache2/apache2.conf", &options);
    let mut remote = get("/host/x");
    remote.client_ip = "203.0.113.9".parse().expect("address");
    let verdict = lint403_apache::trace(&model, &remote, &options);
    assert_eq!(
        verdict.outcome,
        Outcome::Unknown,
        "reverse DNS is not known"
    );
    assert!(verdict
        .unknown
        .as_deref()
        .is_some_and(|why| why.contains("reverse DNS")));
    let verdict = lint403_apache::trace(&model, &get("/app/index.php"), &options);
    assert_eq!(verdict.outcome, Outcome::Unknown, "a handler answers");
    let verdict = lint403_apache::trace(&model, &get("/mapped/x"), &options);
    assert_eq!(verdict.outcome, Outcome::Unknown, "a prg: map");
    assert_eq!(
        lint403_apache::trace(&model, &get("/a.txt"), &options).status,
        Some(200)
    );
}

#[test]
fn htaccess_files_are_found_and_checked() {
    let fixture = Fixture::new("htaccess");
    fixture
        .write("a/x.txt", "x\n")
        .write("a/.htaccess", "Require all denied\n")
        .write("b/x.txt", "x\n")
        .write("b/.htaccess", "This_is_not_a_directive\n")
        .write("c/x.txt", "x\n")
        .write("c/.htaccess", "Options +Indexes\n");
    let options = fixture.options(false);
    let text = format!("LoadModule authz_core_module mod_authz_core.so\n{MAIN}<Directory /srv/site>\n    AllowOverride AuthConfig\n</Directory>\n");
    let (model, sources) = model_of(&text, "/etc/apache2/apache2.conf", &options);
    let htaccess = model
        .scopes
        .iter()
        .filter(|scope| scope.kind == ScopeKind::Htaccess)
        .count();
    assert_eq!(htaccess, 3);
    assert!(sources
        .iter()
        .any(|(_, file)| file.path.ends_with("a/.htaccess")));
    assert_eq!(
        lint403_apache::trace(&model, &get("/a/x.txt"), &options).status,
        Some(403)
    );
    assert_eq!(
        lint403_apache::trace(&model, &get("/b/x.txt"), &options).status,
        Some(500),
        "an invalid command is a 500"
    );
    assert_eq!(
        lint403_apache::trace(&model, &get("/c/x.txt"), &options).status,
        Some(500),
        "Options needs AllowOverride Options"
    );
}

#[test]
fn internal_redirects_are_bounded() {
    let fixture = Fixture::new("loop");
    fixture.write(
        ".htaccess",
        "RewriteEngine On\nRewriteRule ^a$ b [L]\nRewriteRule ^b$ a [L]\n",
    );
    let options = fixture.options(false);
    let text = format!("{MAIN}<Directory /srv/site>\n    AllowOverride All\n</Directory>\n");
    let (model, _) = model_of(&text, "/etc/apache2/apache2.conf", &options);
    assert_eq!(
        lint403_apache::trace(&model, &get("/a"), &options).status,
        Some(500)
    );
}

#[cfg(unix)]
#[test]
fn symbolic_links_follow_options() {
    let fixture = Fixture::new("links");
    fixture
        .write("target.html", "t\n")
        .symlink("open/link.html", "../target.html")
        .symlink("closed/link.html", "../target.html");
    let options = fixture.options(false);
    let text =
        format!("{MAIN}<Directory /srv/site/closed>\n    Options -FollowSymLinks\n</Directory>\n");
    let (model, sources) = model_of(&text, "/etc/apache2/apache2.conf", &options);
    assert_eq!(
        lint403_apache::trace(&model, &get("/open/link.html"), &options).status,
        Some(200)
    );
    let verdict = lint403_apache::trace(&model, &get("/closed/link.html"), &options);
    assert_eq!(verdict.status, Some(403));
    let first = verdict.decided_by.first().copied().expect("deciding line");
    assert_eq!(line_of(&sources, first), "Options -FollowSymLinks");
}

#[test]
fn hostile_input_does_not_panic() {
    let options = TraceOptions::default();
    let mut text = String::from("Listen 80\n");
    for _ in 0..400 {
        text.push_str("<Directory /x>\n");
    }
    for _ in 0..400 {
        text.push_str("</Directory>\n");
    }
    text.push_str("<If \"((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((\">\nRequire all denied\n</If>\nRequire expr \"%{\"\nRewriteRule ( x\n");
    let (model, _) = model_of(&text, "/etc/apache2/apache2.conf", &options);
    for path in ["/", "/x", "/%00", "/../..", "/%2e%2e/x", "//a//b", "/a%2fb"] {
        let verdict = lint403_apache::trace(&model, &get(path), &options);
        assert!(
            verdict.status.is_some() || verdict.unknown.is_some(),
            "{path}"
        );
    }
}

#[allow(dead_code)]
fn unused(_: &Path) {}

#[test]
fn unmodelled_lines_where_the_request_goes_make_it_unknown() {
    let fixture = Fixture::new("gaps");
    fixture.write("a/x.txt", "x\n").write("b/x.txt", "x\n");
    let options = fixture.options(false);
    let text = format!(
        "{MAIN}<Directory /srv/site/a>\n    SecRuleEngine On\n</Directory>\n<Directory /srv/site/b>\n    SecRuleEngine On\n    Require all denied\n</Directory>\nRequire all granted\n"
    );
    let (model, sources) = model_of(&text, "/etc/apache2/apache2.conf", &options);
    // A Require outside any section is refused by httpd: a gap, not a rule.
    assert!(model
        .gaps
        .iter()
        .any(|gap| gap.reason.contains("not allowed here")
            && line_of(&sources, gap.span) == "Require all granted"));
    let verdict = lint403_apache::trace(&model, &get("/a/x.txt"), &options);
    assert_eq!(verdict.outcome, Outcome::Unknown);
    assert!(verdict
        .unknown
        .as_deref()
        .is_some_and(|why| why.contains("SecRuleEngine")));
    // A refusal decided by a modelled line stands.
    assert_eq!(
        lint403_apache::trace(&model, &get("/b/x.txt"), &options).status,
        Some(403)
    );
}

/// `fixtures/trace/apache/site`: each line of `expectations.tsv` is an
/// `expect:` entry and the status httpd gives it.
#[test]
fn the_fixture_site_traces_as_expected() {
    let site = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/trace/apache/site");
    let options = TraceOptions {
        fs: FsView {
            path_map: vec![(PathBuf::from("/srv/site"), site.clone())],
            read_unmapped: false,
        },
        distribution_defaults: false,
        verdict_only: false,
    };
    let text = std::fs::read_to_string(site.join("apache2.conf")).expect("fixture config");
    let (model, _) = model_of(&text, "/srv/site/apache2.conf", &options);
    let expectations =
        std::fs::read_to_string(site.join("expectations.tsv")).expect("expectations");
    let mut checked = 0;
    for line in expectations
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
    {
        let (entry, status) = line.split_once('\t').expect("entry<TAB>status");
        let mut request = Request::parse_expectation(entry).expect("an expect: entry");
        if request.header("host").is_none() {
            request.set_header("Host", "example.com");
        }
        let verdict = lint403_apache::trace(&model, &request, &options);
        assert_eq!(
            verdict.status,
            Some(status.parse().expect("status")),
            "{entry}"
        );
        checked += 1;
    }
    assert!(checked >= 10);
}

#[test]
fn rewrite_expansion_survives_odd_text() {
    let fixture = Fixture::new("odd");
    fixture.write("a.txt", "a\n");
    let options = fixture.options(false);
    let text = format!(
        "{MAIN}RewriteEngine On\nRewriteCond %{{HTTP_REFERER}} \\é(x\nRewriteRule ^/(.*)$ /\\é$1 [L]\nRewriteRule ^/b - [F]\n"
    );
    let (model, _) = model_of(&text, "/etc/apache2/apache2.conf", &options);
    for path in ["/a.txt", "/é", "/%C3%A9", "/b"] {
        let mut request = get(path);
        request.set_header("Referer", "\u{e9}(x");
        let verdict = lint403_apache::trace(&model, &request, &options);
        assert!(
            verdict.status.is_some() || verdict.unknown.is_some(),
            "{path}"
        );
    }
}

/// Every Apache file of the corpus, as a `.htaccess` under a document root
/// that allows everything (or as a main configuration): the must-allow and
/// should-deny probes trace without a panic, each to a status or a reason.
#[test]
fn corpus_files_trace_without_panics() {
    let corpus = std::env::var_os("LINT403_CORPUS")
        .map_or_else(|| PathBuf::from("/work/shared/corpus"), PathBuf::from)
        .join("apache");
    if !corpus.is_dir() {
        println!("SKIPPED: corpus not found (set LINT403_CORPUS)");
        return;
    }
    let probes = [
        "/",
        "/index.html",
        "/robots.txt",
        "/favicon.ico",
        "/sitemap.xml",
        "/.well-known/acme-challenge/t",
        "/.well-known/security.txt",
        "/assets/app.js",
        "/.git/config",
        "/.env",
        "/.htaccess",
        "/index.php",
        "/admin/",
        "/a/b/c.php",
    ];
    let mut files = Vec::new();
    let mut stack = vec![corpus];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut traced = 0;
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let fixture = Fixture::new("corpus");
        fixture
            .write("index.html", "i\n")
            .write("index.php", "p\n")
            .write("robots.txt", "r\n")
            .write(".env", "e\n")
            .write(".git/config", "c\n")
            .write(".well-known/acme-challenge/t", "t\n")
            .write("assets/app.js", "a\n");
        let options = fixture.options(false);
        let as_htaccess = lint403_apache::is_htaccess_name(path);
        let config = if as_htaccess {
            fixture.write(".htaccess", &text);
            format!("{MAIN}<Directory /srv/site>\n    AllowOverride All\n</Directory>\n")
        } else {
            text.clone()
        };
        let started = std::time::Instant::now();
        let (model, _) = model_of(&config, "/etc/apache2/apache2.conf", &options);
        let lowered = started.elapsed();
        for probe in probes {
            let verdict = lint403_apache::trace(&model, &get(probe), &options);
            assert!(
                verdict.status.is_some() || verdict.unknown.is_some(),
                "{}: {probe}",
                path.display()
            );
            if std::env::var_os("LINT403_CORPUS_REPORT").is_some() {
                println!(
                    "{}\t{probe}\t{}\t{}",
                    path.display(),
                    verdict
                        .status
                        .map_or_else(|| "unknown".to_string(), |s| s.to_string()),
                    verdict.unknown.as_deref().unwrap_or("")
                );
            }
            traced += 1;
        }
        if std::env::var_os("LINT403_CORPUS_REPORT").is_some() {
            println!(
                "time\t{}\tlower {:?}\ttotal {:?}",
                path.display(),
                lowered,
                started.elapsed()
            );
        }
    }
    println!("traced {traced} probes over {} corpus files", files.len());
    assert!(traced > 0);
}

#[test]
fn the_selector_reads_htaccess_only_where_allowed_and_evaluates_if() {
    let fixture = Fixture::new("select-htaccess");
    fixture
        .write("open/.htaccess", "Require all granted\n")
        .write("closed/.htaccess", "Require all denied\n");
    let options = fixture.options(false);
    let text = format!(
        "{MAIN}<Directory /srv/site/open>\n    AllowOverride AuthConfig\n</Directory>\n<Directory /srv/site>\n    <If \"%{{HTTP_HOST}} == 'a.test'\">\n        Require all denied\n    </If>\n</Directory>\n"
    );
    let (model, _) = model_of(&text, "/etc/apache2/apache2.conf", &options);
    let kinds = |request: &Request| -> Vec<ScopeKind> {
        ApacheSelector
            .select(&model, request)
            .scopes
            .iter()
            .map(|id| model.scope(*id).kind)
            .collect()
    };
    assert!(kinds(&get("/open/x")).contains(&ScopeKind::Htaccess));
    assert!(!kinds(&get("/closed/x")).contains(&ScopeKind::Htaccess));
    assert!(!kinds(&get("/open/x")).contains(&ScopeKind::If));
    let mut host = get("/open/x");
    host.set_header("Host", "a.test");
    assert_eq!(kinds(&host).last(), Some(&ScopeKind::If));
}

#[test]
fn thousands_of_merged_sections_stay_flat() {
    let options = TraceOptions::default();
    let mut text = String::from(MAIN);
    for index in 0..3000 {
        let _ = std::fmt::Write::write_fmt(
            &mut text,
            format_args!(
                "<Location />\nAuthMerging And\nRequire ip 10.0.{}.{} 127.0.0.1\n</Location>\n",
                index / 250,
                index % 250
            ),
        );
    }
    let (model, _) = model_of(&text, "/etc/apache2/apache2.conf", &options);
    let handle = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || lint403_apache::trace(&model, &get("/x"), &TraceOptions::default()).status)
        .expect("thread");
    let status = handle.join().expect("no stack overflow");
    assert_eq!(status, Some(200), "every merged section admits 127.0.0.1");
}

#[test]
fn a_refused_index_candidate_does_not_decide_a_served_one() {
    let fixture = Fixture::new("index-candidates");
    fixture
        .write("d/secret.html", "s\n")
        .write("d/index.html", "i\n");
    let options = fixture.options(false);
    let text = format!("{MAIN}DirectoryIndex secret.html index.html\n<Files secret.html>\n    Require all denied\n</Files>\n");
    let (model, _) = model_of(&text, "/etc/apache2/apache2.conf", &options);
    let verdict = lint403_apache::trace(&model, &get("/d/"), &options);
    assert_eq!(verdict.status, Some(200));
    assert!(verdict.decided_by.is_empty(), "{:?}", verdict.decided_by);
    assert!(verdict.fix.is_none());
}
