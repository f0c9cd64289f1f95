//! The Apache rules' claims, checked against the real httpd: each case
//! writes a server-level configuration (a fixture, or the fixed variant)
//! and files below the document root (`.htaccess`) into a temporary
//! prefix, starts `apache2 -X` on 127.0.0.1 through the test kit, sends
//! the request the rule's message names from 127.0.0.N and asserts the
//! status it claims, or that httpd refuses to start. Every claim comes
//! with a control case (the fixed configuration) that gives the other
//! outcome.
//!
//! Without `apache2` the tests print "SKIPPED: apache2 not installed" and
//! pass, unless `LINT403_REQUIRE_SERVERS=1`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Mutex, PoisonError};

use lint403_testkit::layout::{lay_out, Entry};
use lint403_testkit::server::{apache_main_conf, start, ApacheConf};
use lint403_testkit::{send, server_available, temp_prefix, ServerKind, TestRequest};

/// The fixtures' Debian layout: `/var/www/html` is the document root,
/// `/var/www/htpasswd` the user file (staff:secret). Each case gets its own
/// copy of that tree at `PREFIX/www` (the kit's document root, which must
/// exist), and every `/var/www` in its configuration and files is
/// rewritten to point there.
const WWW: &str = "/var/www";

/// The pages below the document root that every case can request.
const PAGES: &[&str] = &[
    "index.html",
    "private/index.html",
    "private/secret.txt",
    "sub/index.html",
    "admin/index.html",
    "app/index.html",
];

/// What httpd must do with a case's configuration.
#[derive(Debug, Clone, Copy)]
enum Expect {
    Status(u16),
    RefusesToStart,
}

/// A configuration to run and the request whose status it must give.
struct Case {
    name: &'static str,
    /// Server-level configuration, in the [`WWW`] layout.
    config: &'static str,
    /// Files below the document root (`.htaccess`, `sub/.htaccess`), in
    /// the [`WWW`] layout.
    files: Vec<(&'static str, &'static str)>,
    method: &'static str,
    path: &'static str,
    /// Client address 127.0.0.N.
    client: u8,
    /// Basic credentials to send.
    credentials: Option<(&'static str, &'static str)>,
    /// Request headers (`Referer`, …).
    headers: Vec<(&'static str, &'static str)>,
    /// Modules (symbols) to leave out of the kit's list.
    without: &'static [&'static str],
    expect: Expect,
}

impl Case {
    /// `GET path` from 127.0.0.1 must answer `status`.
    fn new(name: &'static str, config: &'static str, path: &'static str, status: u16) -> Case {
        Case {
            name,
            config,
            files: Vec::new(),
            method: "GET",
            path,
            client: 1,
            credentials: None,
            headers: Vec::new(),
            without: &[],
            expect: Expect::Status(status),
        }
    }

    /// `GET /` from 127.0.0.1, with `text` as the document root's
    /// `.htaccess` and nothing else configured, must answer `status`.
    fn htaccess(name: &'static str, text: &'static str, status: u16) -> Case {
        Case::new(name, "", "/", status).file(".htaccess", text)
    }

    /// httpd must refuse to start with `config`.
    fn refused(name: &'static str, config: &'static str) -> Case {
        Case {
            expect: Expect::RefusesToStart,
            ..Case::new(name, config, "/", 0)
        }
    }

    fn file(mut self, path: &'static str, text: &'static str) -> Case {
        self.files.push((path, text));
        self
    }

    fn method(mut self, method: &'static str) -> Case {
        self.method = method;
        self
    }

    fn client(mut self, last_octet: u8) -> Case {
        self.client = last_octet;
        self
    }

    fn credentials(mut self, user: &'static str, password: &'static str) -> Case {
        self.credentials = Some((user, password));
        self
    }

    fn header(mut self, name: &'static str, value: &'static str) -> Case {
        self.headers.push((name, value));
        self
    }

    fn without(mut self, modules: &'static [&'static str]) -> Case {
        self.without = modules;
        self
    }
}

/// One server at a time: the tests of this file run in parallel threads.
static SERIAL: Mutex<()> = Mutex::new(());
/// Port-search seeds, distinct across cases.
static SEED: AtomicU16 = AtomicU16::new(0);

fn run(cases: &[Case]) {
    if !server_available(ServerKind::Apache) {
        return;
    }
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    let failures: Vec<String> = cases.iter().filter_map(failure).collect();
    println!(
        "{} of {} cases agree with httpd",
        cases.len() - failures.len(),
        cases.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Runs `case`; what went other than it claims, if anything.
fn failure(case: &Case) -> Option<String> {
    let prefix = temp_prefix(&format!("rules-apache-{}", case.name));
    let www = prefix.join("www");
    let local = |text: &str| text.replace(WWW, &www.display().to_string());
    let mut entries: Vec<Entry> = PAGES
        .iter()
        .map(|page| Entry::file(&format!("html/{page}"), "page\n"))
        .collect();
    entries.extend(
        case.files
            .iter()
            .map(|(path, text)| Entry::file(&format!("html/{path}"), &local(text))),
    );
    entries.push(Entry {
        path: "htpasswd".to_string(),
        htpasswd: Some(BTreeMap::from([(
            "staff".to_string(),
            "secret".to_string(),
        )])),
        ..Entry::default()
    });
    if let Err(error) = lay_out(&www, &entries) {
        return Some(format!("{}: {error}", case.name));
    }
    // The later DocumentRoot wins over the kit's `PREFIX/www`: the
    // fixtures' document root is its `html`.
    let main = local(&format!(
        "DocumentRoot \"{WWW}/html\"\nDirectoryIndex index.html\n<Directory \"{WWW}/html\">\n    Require all granted\n    AllowOverride All\n</Directory>\n{}\n",
        case.config
    ));
    let seed = SEED.fetch_add(1, Ordering::Relaxed);
    let started = start(ServerKind::Apache, &prefix, seed, &|port| {
        apache_main_conf(
            &prefix,
            port,
            &ApacheConf {
                main: &main,
                vhost: None,
                without: case.without,
            },
        )
    });
    let (server, expected) = match (started, case.expect) {
        (Ok(server), Expect::Status(expected)) => (server, expected),
        (Ok(_server), Expect::RefusesToStart) => {
            return Some(format!("{}: httpd started, expected a refusal", case.name));
        }
        (Err(error), expect) => {
            // A refused start leaves the prefix behind.
            let _ = std::fs::remove_dir_all(&prefix);
            return match expect {
                Expect::RefusesToStart if error.contains("exited") => None,
                _ => Some(format!("{}: {error}", case.name)),
            };
        }
    };
    let request = TestRequest {
        method: case.method.to_string(),
        client_ip: [127, 0, 0, case.client].into(),
        credentials: case
            .credentials
            .map(|(user, password)| (user.to_string(), password.to_string())),
        headers: case
            .headers
            .iter()
            .map(|(name, value)| ((*name).to_string(), (*value).to_string()))
            .collect(),
        ..TestRequest::get(case.path)
    };
    match send(server.address(), &request) {
        Ok(response) if response.status == expected => None,
        Ok(response) => Some(format!(
            "{}: {} {} from 127.0.0.{} → {}, expected {expected}\n{}",
            case.name,
            case.method,
            case.path,
            case.client,
            response.status,
            server.error_log()
        )),
        Err(error) => Some(format!("{}: {error}", case.name)),
    }
}

macro_rules! fixture {
    ($path:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/apache/",
            $path
        ))
    };
}

#[test]
fn p201_comment_continuation_swallows_the_deny() {
    run(&[
        // The swallowed `Require all denied` never applies: 200.
        Case::new(
            "p201-bad",
            fixture!("P201-apache-comment-continuation/bad-require.conf"),
            "/",
            200,
        ),
        // Without the backslash the same section denies.
        Case::new(
            "p201-fixed",
            "<Directory \"/var/www/html\">\n    # block everything below\n    Require all denied\n</Directory>\n",
            "/",
            403,
        ),
    ]);
}

#[test]
fn p202_inline_comment_is_arguments() {
    run(&[
        // httpd refuses `Require all granted # …` in a .htaccess: 500.
        Case::htaccess(
            "p202-htaccess",
            fixture!("P202-apache-inline-comment/bad-htaccess-require/.htaccess"),
            500,
        ),
        Case::htaccess(
            "p202-htaccess-fixed",
            fixture!("P202-apache-inline-comment/good-htaccess-comment-line/.htaccess"),
            200,
        ),
        // `Require env ok # x` also grants where a variable `x` is set.
        Case::htaccess(
            "p202-require-env",
            "SetEnvIf Request_URI \"^/\" x\nRequire env ok # x\n",
            200,
        ),
        Case::htaccess(
            "p202-require-env-fixed",
            "SetEnvIf Request_URI \"^/\" x\n# x\nRequire env ok\n",
            403,
        ),
        // The words after `#` become index names: with no `none.html`,
        // the directory serves `secret.txt` as its index.
        Case::new(
            "p202-directoryindex",
            "<Directory \"/var/www/html/private\">\n    DirectoryIndex none.html # secret.txt\n</Directory>\n",
            "/private/",
            200,
        ),
        Case::new(
            "p202-directoryindex-fixed",
            "<Directory \"/var/www/html/private\">\n    # secret.txt\n    DirectoryIndex none.html\n</Directory>\n",
            "/private/",
            403,
        ),
    ]);
}

#[test]
fn p204_text_after_the_section_opener_is_dropped() {
    run(&[
        Case::new(
            "p204-bad",
            fixture!("P204-apache-section-trailing-content/bad-files-require.conf"),
            "/index.html",
            200,
        ),
        Case::new(
            "p204-good",
            fixture!("P204-apache-section-trailing-content/good-comment-after-tag.conf"),
            "/index.html",
            403,
        ),
    ]);
}

#[test]
fn p205_ifmodule_without_c_or_module_is_false() {
    run(&[
        Case::new(
            "p205-bad",
            fixture!("P205-apache-ifmodule-unknown-name/bad-mod-prefix.conf"),
            "/private/",
            200,
        ),
        Case::new(
            "p205-good",
            fixture!("P205-apache-ifmodule-unknown-name/good-identifier.conf"),
            "/private/",
            403,
        ),
    ]);
}

#[test]
fn a201_negative_require_alone() {
    run(&[
        // Only negatives in a .htaccess <RequireAll>: everyone refused.
        Case::htaccess(
            "a201-htaccess-only-not",
            fixture!("A201-authz-negation-context/bad-htaccess-requireall-only-not/.htaccess"),
            403,
        ),
        // `Require not` among plain Require lines: refused, 500.
        Case::htaccess(
            "a201-htaccess-plain-not",
            fixture!("A201-authz-negation-context/bad-htaccess-plain-not/.htaccess"),
            500,
        ),
        Case::htaccess(
            "a201-htaccess-fixed",
            fixture!("A201-authz-negation-context/good-htaccess-requireall/.htaccess"),
            200,
        ),
        // In the server configuration httpd does not start.
        Case::refused(
            "a201-server-requirenone-in-any",
            fixture!("A201-authz-negation-context/bad-requirenone-in-any.conf"),
        ),
        Case::refused(
            "a201-server-only-not",
            "<Directory \"/var/www/html\">\n<RequireAll>\nRequire not ip 203.0.113.7\n</RequireAll>\n</Directory>\n",
        ),
    ]);
}

#[test]
fn s201_limit_leaves_other_methods_open() {
    run(&[
        // `<Limit POST> Require all denied`: GET is not restricted, and
        // neither is PUT (a static file answers it 405, not 403).
        Case::htaccess(
            "s201-get",
            fixture!("S201-authz-limit-partial/bad-htaccess-wordpress/.htaccess"),
            200,
        ),
        Case::htaccess(
            "s201-post",
            fixture!("S201-authz-limit-partial/bad-htaccess-wordpress/.htaccess"),
            403,
        )
        .method("POST"),
        Case::new("s201-put", "", "/index.html", 405)
            .file(
                ".htaccess",
                fixture!("S201-authz-limit-partial/bad-htaccess-wordpress/.htaccess"),
            )
            .method("PUT"),
        // `<Limit POST PUT>`: DELETE is not refused (405 from the file).
        Case::new("s201-delete", "", "/index.html", 405)
            .file(
                ".htaccess",
                fixture!("S201-authz-limit-partial/bad-htaccess-ifmodule-writes/.htaccess"),
            )
            .method("DELETE"),
        Case::new("s201-put-refused", "", "/index.html", 403)
            .file(
                ".htaccess",
                fixture!("S201-authz-limit-partial/bad-htaccess-ifmodule-writes/.htaccess"),
            )
            .method("PUT"),
        // `<Limit GET POST> Require ip 10.0.0.0/8`: OPTIONS from outside
        // the network is not refused.
        Case::new(
            "s201-options",
            fixture!("S201-authz-limit-partial/bad-limit-get-post.conf"),
            "/admin/",
            200,
        )
        .method("OPTIONS"),
        Case::new(
            "s201-get-refused",
            fixture!("S201-authz-limit-partial/bad-limit-get-post.conf"),
            "/admin/",
            403,
        ),
    ]);
}

#[test]
fn i201_rewrite_without_symlink_options_refuses_everything() {
    run(&[
        Case::htaccess(
            "i201-htaccess",
            fixture!("I201-rewrite-needs-symlinks/bad-htaccess-minus-follow/.htaccess"),
            403,
        ),
        Case::htaccess(
            "i201-htaccess-fixed",
            fixture!("I201-rewrite-needs-symlinks/good-htaccess-owner-match/.htaccess"),
            200,
        ),
        Case::htaccess(
            "i201-all-minus-follow",
            fixture!("I201-rewrite-needs-symlinks/bad-htaccess-all-minus-follow/.htaccess"),
            403,
        ),
        // Options inherited from an enclosing <Directory>.
        Case::new(
            "i201-inherited",
            fixture!("I201-rewrite-needs-symlinks/bad-inherited-options.conf"),
            "/app/",
            403,
        ),
    ]);
}

#[test]
fn p209_htaccess_under_allowoverride_none_is_never_read() {
    run(&[
        Case::new(
            "p209-none",
            fixture!("P209-htaccess-ignored/bad-none/etc/apache2/apache2.conf"),
            "/",
            200,
        )
        .file(
            ".htaccess",
            fixture!("P209-htaccess-ignored/bad-none/var/www/html/.htaccess"),
        ),
        Case::new(
            "p209-authconfig",
            fixture!("P209-htaccess-ignored/good-authconfig/etc/apache2/apache2.conf"),
            "/",
            403,
        )
        .file(
            ".htaccess",
            fixture!("P209-htaccess-ignored/good-authconfig/var/www/html/.htaccess"),
        ),
    ]);
}

#[test]
fn a204_old_deny_survives_require_all_granted() {
    run(&[
        Case::htaccess(
            "a204-htaccess",
            fixture!("A204-compat-mixed-engines/bad-htaccess-deny-all-require-granted/.htaccess"),
            403,
        ),
        Case::htaccess("a204-htaccess-fixed", "Require all granted\n", 200),
        // Both lists must pass: 127.0.0.1 is in neither, 10/8 not in 192.168/16.
        Case::new(
            "a204-partial",
            "<Directory \"/var/www/html/admin\">\n    Order deny,allow\n    Deny from all\n    Allow from 127.0.0.0/8\n    Require ip 192.168.0.0/16\n</Directory>\n",
            "/admin/",
            403,
        ),
        Case::new(
            "a204-partial-one-engine",
            "<Directory \"/var/www/html/admin\">\n    Require ip 127.0.0.0/8\n</Directory>\n",
            "/admin/",
            200,
        ),
    ]);
}

#[test]
fn p207_options_mixed_signs_are_refused() {
    run(&[
        Case::htaccess(
            "p207-htaccess",
            fixture!("P207-apache-options-mixed-signs/bad-htaccess/.htaccess"),
            500,
        ),
        Case::htaccess(
            "p207-htaccess-fixed",
            fixture!("P207-apache-options-mixed-signs/good-htaccess-signed/.htaccess"),
            200,
        ),
        // A leading `All` is httpd's exception.
        Case::htaccess(
            "p207-leading-all",
            fixture!("P207-apache-options-mixed-signs/good-htaccess-leading-all/.htaccess"),
            200,
        ),
        Case::refused(
            "p207-server",
            fixture!("P207-apache-options-mixed-signs/bad-directory.conf"),
        ),
    ]);
}

#[test]
fn p203_backslash_then_blank_is_not_a_continuation() {
    run(&[
        Case::htaccess(
            "p203-htaccess",
            fixture!("P203-apache-backslash-space-eol/bad-htaccess/.htaccess"),
            500,
        ),
        Case::htaccess(
            "p203-htaccess-fixed",
            "Require ip 10.0.0.0/8 \\\n    127.0.0.0/8\n",
            200,
        ),
    ]);
}

#[test]
fn p208_lower_case_methods_cover_nothing() {
    run(&[
        Case::new(
            "p208-server",
            fixture!("P208-apache-method-case/bad-limit-lower.conf"),
            "/admin/",
            200,
        ),
        Case::new(
            "p208-server-fixed",
            "<Directory \"/var/www/html/admin\">\n    <Limit GET POST>\n        Require all denied\n    </Limit>\n</Directory>\n",
            "/admin/",
            403,
        ),
        Case::htaccess(
            "p208-htaccess",
            fixture!("P208-apache-method-case/bad-htaccess/.htaccess"),
            500,
        ),
        Case::htaccess(
            "p208-htaccess-fixed",
            fixture!("P208-apache-method-case/good-htaccess-upper/.htaccess"),
            200,
        ),
    ]);
}

#[test]
fn p211_legacy_directives_need_access_compat() {
    run(&[
        Case::htaccess(
            "p211-without-module",
            fixture!("P211-compat-legacy-directive/bad-htaccess/.htaccess"),
            500,
        )
        .without(&["access_compat_module"]),
        Case::htaccess(
            "p211-guarded",
            fixture!("P211-compat-legacy-directive/good-htaccess-guarded/.htaccess"),
            200,
        )
        .without(&["access_compat_module"]),
    ]);
}

#[test]
fn p210_directive_outside_the_granted_classes() {
    run(&[
        Case::new(
            "p210-fileinfo",
            fixture!("P210-htaccess-override-class/bad-fileinfo/etc/apache2/apache2.conf"),
            "/",
            500,
        )
        .file(
            ".htaccess",
            fixture!("P210-htaccess-override-class/bad-fileinfo/var/www/html/.htaccess"),
        ),
        // Nonfatal=Override: the Require is skipped, the directory stays open.
        Case::new(
            "p210-nonfatal",
            fixture!("P210-htaccess-override-class/bad-nonfatal/etc/apache2/apache2.conf"),
            "/",
            200,
        )
        .file(
            ".htaccess",
            fixture!("P210-htaccess-override-class/bad-nonfatal/var/www/html/.htaccess"),
        ),
        Case::new(
            "p210-granted",
            fixture!("P210-htaccess-override-class/good-granted/etc/apache2/apache2.conf"),
            "/",
            403,
        )
        .file(
            ".htaccess",
            fixture!("P210-htaccess-override-class/good-granted/var/www/html/.htaccess"),
        ),
        Case::new(
            "p210-list",
            fixture!("P210-htaccess-override-class/good-list/etc/apache2/apache2.conf"),
            "/",
            403,
        )
        .file(
            ".htaccess",
            fixture!("P210-htaccess-override-class/good-list/var/www/html/.htaccess"),
        ),
    ]);
}

#[test]
fn p206_undefined_variable_stays_literal() {
    run(&[
        Case::new(
            "p206-bad",
            fixture!("P206-apache-undefined-variable/bad-wrong-name.conf"),
            "/private/",
            200,
        ),
        Case::new(
            "p206-defined",
            "Define DOCROOT /var/www/html\n<Directory \"${DOCROOT}/private\">\n    Require all denied\n</Directory>\n",
            "/private/",
            403,
        ),
    ]);
}

/// A002: `Order Deny,Allow` with only `Allow from` lets every client in.
#[test]
fn a002_allow_list_without_deny_lets_everyone_in() {
    run(&[
        Case::htaccess(
            "a002-bad-htaccess",
            "Order Deny,Allow\nAllow from 10.0.0.0/8 192.168.1.0/24\n",
            200,
        )
        .client(7),
        Case::new(
            "a002-bad-directory",
            "<Directory \"/var/www/html/admin\">\n    Order deny,allow\n    Allow from 127.0.0.1\n</Directory>\n",
            "/admin/",
            200,
        )
        .client(7),
        Case::htaccess(
            "a002-fixed-htaccess",
            "Order Deny,Allow\nDeny from all\nAllow from 10.0.0.0/8\n",
            403,
        )
        .client(7),
    ]);
}

/// A003: `Order Allow,Deny` with only `Deny from` lines refuses everyone.
#[test]
fn a003_allow_deny_order_without_allow_refuses_everyone() {
    run(&[
        Case::htaccess("a003-bad-htaccess", "Order Allow,Deny\nDeny from 203.0.113.9\n", 403)
            .client(7),
        Case::new(
            "a003-bad-files",
            "<Files \"index.html\">\n    Order allow,deny\n    Deny from 198.51.100.0/24\n</Files>\n",
            "/index.html",
            403,
        )
        .client(7),
        Case::htaccess("a003-fixed-htaccess", "Order Deny,Allow\nDeny from 203.0.113.9\n", 200)
            .client(7),
    ]);
}

/// A001: `Require all granted` makes its siblings dead.
#[test]
fn a001_require_all_granted_shadows_its_siblings() {
    run(&[
        Case::htaccess("a001-bad-granted-denied", "Require all granted\nRequire all denied\n", 200)
            .client(7),
        Case::htaccess("a001-bad-granted-ip", "Require ip 10.0.0.0/8\nRequire all granted\n", 200)
            .client(7),
        Case::new(
            "a001-bad-require-any",
            "<Location \"/admin\">\n    <RequireAny>\n        Require all granted\n        Require ip 192.168.0.0/16\n    </RequireAny>\n</Location>\n",
            "/admin/",
            200,
        )
        .client(7),
        Case::htaccess("a001-fixed-ip-only", "Require ip 10.0.0.0/8\n", 403).client(7),
    ]);
}

/// T001: `Satisfy Any` with an access list that allows everyone skips
/// `Require`.
#[test]
fn t001_satisfy_any_skips_require() {
    run(&[
        Case::htaccess("t001-bad-all-denied", "Require all denied\nSatisfy any\n", 200).client(7),
        Case::htaccess(
            "t001-bad-valid-user",
            "AuthType Basic\nAuthName \"staff\"\nAuthUserFile /var/www/htpasswd\nRequire valid-user\nSatisfy Any\n",
            200,
        )
        .client(7),
        Case::new(
            "t001-bad-location-allow-all",
            "<Location \"/admin\">\n    AuthType Basic\n    AuthName \"admin\"\n    AuthUserFile /var/www/htpasswd\n    Require valid-user\n    Order Allow,Deny\n    Allow from all\n    Satisfy Any\n</Location>\n",
            "/admin/",
            200,
        )
        .client(7),
        Case::htaccess(
            "t001-fixed-intranet-or-password",
            "AuthType Basic\nAuthName \"staff\"\nAuthUserFile /var/www/htpasswd\nRequire valid-user\nOrder Deny,Allow\nDeny from all\nAllow from 10.0.0.0/8\nSatisfy Any\n",
            401,
        )
        .client(7),
        Case::htaccess("t001-control-no-satisfy", "Require all denied\n", 403).client(7),
    ]);
}

/// T002: authentication half-configured.
#[test]
fn t002_auth_incomplete() {
    run(&[
        Case::htaccess(
            "t002-bad-valid-user-no-authtype",
            "AuthName \"staff\"\nAuthUserFile /var/www/htpasswd\nRequire valid-user\n",
            500,
        )
        .client(7),
        Case::new(
            "t002-bad-authtype-no-require-location",
            "<Location \"/admin\">\n    AuthType Basic\n    AuthName \"admin\"\n    AuthUserFile /var/www/htpasswd\n</Location>\n",
            "/admin/",
            200,
        )
        .client(7),
        Case::htaccess(
            "t002-bad-authtype-no-require-htaccess",
            "AuthType Basic\nAuthName \"staff\"\nAuthUserFile /var/www/htpasswd\n",
            200,
        )
        .client(7),
        Case::htaccess(
            "t002-fixed",
            "AuthType Basic\nAuthName \"staff\"\nAuthUserFile /var/www/htpasswd\nRequire valid-user\n",
            401,
        )
        .client(7),
    ]);
}

/// S001: a child's own `access_compat` lines replace the parent's list.
#[test]
fn s001_child_compat_list_replaces_parent() {
    run(&[
        Case::new("s001-bad-htaccess-tree", "", "/sub/", 200)
            .file(".htaccess", "Order Deny,Allow\nDeny from all\n")
            .file("sub/.htaccess", "Allow from 10.1.1.1\n")
            .client(7),
        Case::htaccess("s001-control-parent-refuses", "Order Deny,Allow\nDeny from all\n", 403)
            .file("sub/.htaccess", "Allow from 10.1.1.1\n")
            .client(7),
        Case::new("s001-bad-lone-satisfy-any", "", "/sub/", 200)
            .file(".htaccess", "Order Deny,Allow\nDeny from all\n")
            .file("sub/.htaccess", "Satisfy Any\n")
            .client(7),
        Case::new(
            "s001-bad-vhost-directory-and-htaccess",
            "<Directory \"/var/www/html\">\n    Order Deny,Allow\n    Deny from all\n</Directory>\n",
            "/sub/",
            200,
        )
        .file("sub/.htaccess", "Allow from 10.1.1.1\n")
        .client(7),
        Case::new(
            "s001-control-vhost-directory",
            "<Directory \"/var/www/html\">\n    Order Deny,Allow\n    Deny from all\n</Directory>\n",
            "/",
            403,
        )
        .file("sub/.htaccess", "Allow from 10.1.1.1\n")
        .client(7),
        Case::new("s001-bad-require-user-replaces-ip", "", "/sub/", 200)
            .file(".htaccess", "Require ip 10.0.0.0/8\n")
            .file(
                "sub/.htaccess",
                "AuthType Basic\nAuthName \"staff\"\nAuthUserFile /var/www/htpasswd\nRequire valid-user\n",
            )
            .client(7)
            .credentials("staff", "secret"),
        Case::new("s001-fixed-authmerging-and", "", "/sub/", 403)
            .file(".htaccess", "Require ip 10.0.0.0/8\n")
            .file(
                "sub/.htaccess",
                "AuthType Basic\nAuthName \"staff\"\nAuthUserFile /var/www/htpasswd\nAuthMerging And\nRequire valid-user\n",
            )
            .client(7)
            .credentials("staff", "secret"),
        // The child's list brings its own default order (Deny,Allow): the
        // parent's `Order Allow,Deny` is dropped with the rest.
        Case::new(
            "s001-bad-order-not-inherited",
            "<Directory \"/var/www/html\">\n    Order Allow,Deny\n    Allow from 10.0.0.0/8\n</Directory>\n",
            "/sub/",
            200,
        )
        .file("sub/.htaccess", "Allow from 10.1.1.1\n")
        .client(7),
        Case::new(
            "s001-bad-directory-in-directory",
            "<Directory \"/var/www/html\">\n    Order Deny,Allow\n    Deny from all\n    Allow from 10.0.0.0/8\n</Directory>\n<Directory \"/var/www/html/sub\">\n    Allow from 10.1.1.1\n</Directory>\n",
            "/sub/",
            200,
        )
        .client(7),
        Case::new("s001-fixed-repeated", "", "/sub/", 403)
            .file(".htaccess", "Order Deny,Allow\nDeny from all\n")
            .file("sub/.htaccess", "Order Deny,Allow\nDeny from all\nAllow from 10.1.1.1\n")
            .client(7),
    ]);
}

#[test]
fn b003_dotfile_rules_refuse_the_acme_challenge() {
    let acme = "/.well-known/acme-challenge/t";
    run(&[
        Case::new(
            "b003-rewrite",
            fixture!("B003-dotfile-block-hits-well-known/bad.conf"),
            acme,
            403,
        )
        .file(".well-known/acme-challenge/t", "token\n"),
        Case::new(
            "b003-directorymatch",
            fixture!("B003-dotfile-block-hits-well-known/bad-directorymatch.conf"),
            acme,
            403,
        )
        .file(".well-known/acme-challenge/t", "token\n"),
        Case::new(
            "b003-fixed",
            fixture!("B003-dotfile-block-hits-well-known/good.conf"),
            acme,
            200,
        )
        .file(".well-known/acme-challenge/t", "token\n"),
        Case::new(
            "b003-fixed-still-hides",
            fixture!("B003-dotfile-block-hits-well-known/good.conf"),
            "/.env",
            403,
        )
        .file(".env", "SECRET=1\n"),
        Case::new(
            "b003-filesmatch",
            fixture!("B003-dotfile-block-hits-well-known/good-filesmatch.conf"),
            acme,
            200,
        )
        .file(".well-known/acme-challenge/t", "token\n"),
        Case::new(
            "b003-filesmatch-hides",
            fixture!("B003-dotfile-block-hits-well-known/good-filesmatch.conf"),
            "/.env",
            403,
        )
        .file(".env", "SECRET=1\n"),
    ]);
}

#[test]
fn r001_r003_referer_gates() {
    let image = "/images/photo.jpg";
    let page = "images/photo.jpg";
    run(&[
        // R001: no Referer is refused like a foreign one…
        Case::new(
            "r001-none",
            fixture!("R001-hotlink-refuses-empty-referer/bad.conf"),
            image,
            403,
        )
        .file(page, "png\n"),
        Case::new(
            "r001-own",
            fixture!("R001-hotlink-refuses-empty-referer/bad.conf"),
            image,
            200,
        )
        .file(page, "png\n")
        .header("Referer", "https://shop.example/page"),
        // …and the fix lets it through while still refusing other sites.
        Case::new(
            "r001-fixed-none",
            fixture!("R001-hotlink-refuses-empty-referer/good.conf"),
            image,
            200,
        )
        .file(page, "png\n"),
        Case::new(
            "r001-fixed-foreign",
            fixture!("R001-hotlink-refuses-empty-referer/good.conf"),
            image,
            403,
        )
        .file(page, "png\n")
        .header("Referer", "https://evil.test/page"),
        // R003: the unanchored pattern admits a look-alike; the fix does not.
        Case::new(
            "r003-lookalike",
            fixture!("R003-referer-pattern-admits-lookalike/bad.conf"),
            image,
            200,
        )
        .file(page, "png\n")
        .header("Referer", "https://evil.test/?shop.example/"),
        Case::new(
            "r003-foreign",
            fixture!("R003-referer-pattern-admits-lookalike/bad.conf"),
            image,
            403,
        )
        .file(page, "png\n")
        .header("Referer", "https://evil.test/page"),
        Case::new(
            "r003-fixed-lookalike",
            fixture!("R003-referer-pattern-admits-lookalike/good.conf"),
            image,
            403,
        )
        .file(page, "png\n")
        .header("Referer", "https://evil.test/?shop.example/"),
        Case::new(
            "r003-fixed-own",
            fixture!("R003-referer-pattern-admits-lookalike/good.conf"),
            image,
            200,
        )
        .file(page, "png\n")
        .header("Referer", "https://www.shop.example:8443/page"),
    ]);
}
