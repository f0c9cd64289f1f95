//! The Apache rules' claims, checked against the real httpd: each case
//! writes a bad fixture (its `/var/www` replaced by a temporary directory
//! whose `html` is the document root) into a minimal full configuration,
//! starts `apache2` on 127.0.0.1, sends the request the rule's message names and asserts the
//! status it claims.
//!
//! Without `apache2` the tests print "SKIPPED: apache2 not installed" and
//! pass, unless `LINT403_REQUIRE_SERVERS=1`.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const MODULES: &[(&str, &str)] = &[
    ("mpm_prefork_module", "mod_mpm_prefork"),
    ("authz_core_module", "mod_authz_core"),
    ("authz_host_module", "mod_authz_host"),
    ("authn_core_module", "mod_authn_core"),
    ("access_compat_module", "mod_access_compat"),
    ("dir_module", "mod_dir"),
    ("autoindex_module", "mod_autoindex"),
    ("mime_module", "mod_mime"),
    ("rewrite_module", "mod_rewrite"),
    ("setenvif_module", "mod_setenvif"),
    ("env_module", "mod_env"),
    ("alias_module", "mod_alias"),
];

fn apache() -> Option<PathBuf> {
    ["/usr/sbin/apache2", "/usr/sbin/httpd"]
        .iter()
        .map(PathBuf::from)
        .find(|path| path.is_file())
}

fn modules_dir() -> PathBuf {
    PathBuf::from("/usr/lib/apache2/modules")
}

/// A configuration to run and the request whose status it must give.
struct Case {
    name: &'static str,
    /// Server-level configuration (a fixture), `/var/www/html` standing for
    /// the document root (and `/var/www` for its parent).
    config: &'static str,
    /// `.htaccess` of the document root, if any.
    htaccess: Option<&'static str>,
    method: &'static str,
    path: &'static str,
    /// Client address 127.0.0.N.
    client: u8,
    /// Leave `mod_access_compat` out.
    without_access_compat: bool,
    /// The status; [`STARTUP_FAILS`] when httpd must refuse the
    /// configuration.
    expect: u16,
}

/// `Case::expect` for a configuration httpd refuses to start with.
const STARTUP_FAILS: u16 = 0;

impl Case {
    const fn new(
        name: &'static str,
        config: &'static str,
        path: &'static str,
        expect: u16,
    ) -> Case {
        Case {
            name,
            config,
            htaccess: None,
            method: "GET",
            path,
            client: 1,
            without_access_compat: false,
            expect,
        }
    }
}

fn free_port(seed: u16) -> u16 {
    let base = 20000 + (std::process::id() % 20000) as u16;
    for offset in 0..2000u16 {
        let port = 20000 + (base - 20000 + seed * 97 + offset) % 40000;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    41234
}

struct Server {
    child: Child,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create dir");
    }
    std::fs::write(path, text).expect("write file");
}

fn make_world_readable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = if path.is_dir() { 0o755 } else { 0o644 };
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
    if path.is_dir() {
        for entry in std::fs::read_dir(path).into_iter().flatten().flatten() {
            make_world_readable(&entry.path());
        }
    }
}

fn start(binary: &Path, case: &Case, seed: u16) -> Result<(Server, u16), String> {
    let dir = std::env::temp_dir().join(format!(
        "lint403-real-apache-{}-{}",
        std::process::id(),
        case.name
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let docroot = dir.join("www/html");
    write(&docroot.join("index.html"), "index\n");
    write(&docroot.join("private/index.html"), "private\n");
    write(&docroot.join("private/secret.txt"), "secret\n");
    write(&docroot.join("sub/index.html"), "sub\n");
    write(&docroot.join("admin/index.html"), "admin\n");
    write(&docroot.join("app/index.html"), "app\n");
    if let Some(htaccess) = case.htaccess {
        write(&docroot.join(".htaccess"), htaccess);
    }
    std::fs::create_dir_all(dir.join("run")).map_err(|e| e.to_string())?;
    let port = free_port(seed);
    let mut conf = String::new();
    let _ = write!(
        conf,
        "ServerRoot \"{d}\"\nDefaultRuntimeDir \"{d}/run\"\nPidFile \"{d}/run/httpd.pid\"\nMutex file:{d}/run default\n",
        d = dir.display()
    );
    for (symbol, stem) in MODULES {
        if case.without_access_compat && *symbol == "access_compat_module" {
            continue;
        }
        let _ = writeln!(
            conf,
            "LoadModule {symbol} \"{}/{stem}.so\"",
            modules_dir().display()
        );
    }
    let _ = write!(
        conf,
        "User nobody\nGroup nogroup\nServerName localhost\nListen 127.0.0.1:{port}\n\
         ErrorLog \"{d}/error.log\"\nLogLevel warn\nTypesConfig /dev/null\n\
         DocumentRoot \"{root}\"\nDirectoryIndex index.html\n\
         <Directory />\n    Require all denied\n    AllowOverride None\n</Directory>\n\
         <Directory \"{root}\">\n    Require all granted\n    AllowOverride All\n</Directory>\n",
        d = dir.display(),
        root = docroot.display()
    );
    conf.push_str(
        &case
            .config
            .replace("/var/www", &dir.join("www").display().to_string()),
    );
    conf.push('\n');
    write(&dir.join("httpd.conf"), &conf);
    make_world_readable(&dir);
    let child = Command::new(binary)
        .arg("-d")
        .arg(&dir)
        .arg("-f")
        .arg(dir.join("httpd.conf"))
        .arg("-X")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let mut server = Server { child, dir };
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok((server, port));
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            let mut stderr = String::new();
            if let Some(mut pipe) = server.child.stderr.take() {
                let _ = pipe.read_to_string(&mut stderr);
            }
            let log = std::fs::read_to_string(server.dir.join("error.log")).unwrap_or_default();
            return Err(format!("apache2 exited ({status}): {stderr}{log}"));
        }
        if Instant::now() > deadline {
            return Err("apache2 did not start listening".to_string());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn request(port: u16, case: &Case) -> Result<u16, String> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).map_err(|e| e.to_string())?;
    let local: SocketAddr = format!("127.0.0.{}:0", case.client)
        .parse()
        .map_err(|e: std::net::AddrParseError| e.to_string())?;
    socket.bind(&local.into()).map_err(|e| e.to_string())?;
    let remote: SocketAddr = ([127, 0, 0, 1], port).into();
    socket
        .connect_timeout(&remote.into(), Duration::from_secs(5))
        .map_err(|e| e.to_string())?;
    let mut stream: TcpStream = socket.into();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    let body = if case.method == "POST" || case.method == "PUT" {
        "Content-Length: 0\r\n"
    } else {
        ""
    };
    write!(
        stream,
        "{} {} HTTP/1.1\r\nHost: localhost\r\n{body}Connection: close\r\n\r\n",
        case.method, case.path
    )
    .map_err(|e| e.to_string())?;
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("no status line in {response:?}"))?;
    Ok(status)
}

/// One server at a time: the tests of this file run in parallel threads.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn run(cases: &[Case]) {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(binary) = apache() else {
        assert!(
            std::env::var("LINT403_REQUIRE_SERVERS").as_deref() != Ok("1"),
            "apache2 not installed and LINT403_REQUIRE_SERVERS=1"
        );
        println!("SKIPPED: apache2 not installed");
        return;
    };
    let mut failures = Vec::new();
    for (seed, case) in cases.iter().enumerate() {
        let seed = u16::try_from(seed).unwrap_or(0);
        match start(&binary, case, seed) {
            Ok((server, _)) if case.expect == STARTUP_FAILS => {
                failures.push(format!("{}: httpd started, expected a refusal", case.name));
                drop(server);
            }
            Ok((server, port)) => {
                match request(port, case) {
                    Ok(status) if status == case.expect => {}
                    Ok(status) => {
                        let log = std::fs::read_to_string(server.dir.join("error.log"))
                            .unwrap_or_default();
                        failures.push(format!(
                            "{}: {} {} → {status}, expected {}\n{log}",
                            case.name, case.method, case.path, case.expect
                        ));
                    }
                    Err(error) => failures.push(format!("{}: {error}", case.name)),
                }
                drop(server);
            }
            Err(error) if case.expect == STARTUP_FAILS && error.contains("exited") => {}
            Err(error) => failures.push(format!("{}: {error}", case.name)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
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
        Case {
            htaccess: Some(fixture!(
                "P202-apache-inline-comment/bad-htaccess-require/.htaccess"
            )),
            ..Case::new("p202-htaccess", "", "/", 500)
        },
        Case {
            htaccess: Some(fixture!(
                "P202-apache-inline-comment/good-htaccess-comment-line/.htaccess"
            )),
            ..Case::new("p202-htaccess-fixed", "", "/", 200)
        },
        // `Require env ok # x` also grants where a variable `x` is set.
        Case {
            htaccess: Some("SetEnvIf Request_URI \"^/\" x\nRequire env ok # x\n"),
            ..Case::new("p202-require-env", "", "/", 200)
        },
        Case {
            htaccess: Some("SetEnvIf Request_URI \"^/\" x\n# x\nRequire env ok\n"),
            ..Case::new("p202-require-env-fixed", "", "/", 403)
        },
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
        Case {
            htaccess: Some(fixture!(
                "A201-authz-negation-context/bad-htaccess-requireall-only-not/.htaccess"
            )),
            ..Case::new("a201-htaccess-only-not", "", "/", 403)
        },
        // `Require not` among plain Require lines: refused, 500.
        Case {
            htaccess: Some(fixture!(
                "A201-authz-negation-context/bad-htaccess-plain-not/.htaccess"
            )),
            ..Case::new("a201-htaccess-plain-not", "", "/", 500)
        },
        Case {
            htaccess: Some(fixture!(
                "A201-authz-negation-context/good-htaccess-requireall/.htaccess"
            )),
            ..Case::new("a201-htaccess-fixed", "", "/", 200)
        },
        // In the server configuration httpd does not start.
        Case::new(
            "a201-server-requirenone-in-any",
            fixture!("A201-authz-negation-context/bad-requirenone-in-any.conf"),
            "/",
            STARTUP_FAILS,
        ),
        Case::new(
            "a201-server-only-not",
            "<Directory \"/var/www/html\">\n<RequireAll>\nRequire not ip 203.0.113.7\n</RequireAll>\n</Directory>\n",
            "/",
            STARTUP_FAILS,
        ),
    ]);
}

#[test]
fn s201_limit_leaves_other_methods_open() {
    run(&[
        // `<Limit POST> Require all denied`: GET is not restricted, and
        // neither is PUT (a static file answers it 405, not 403).
        Case {
            htaccess: Some(fixture!(
                "S201-authz-limit-partial/bad-htaccess-wordpress/.htaccess"
            )),
            ..Case::new("s201-get", "", "/", 200)
        },
        Case {
            htaccess: Some(fixture!(
                "S201-authz-limit-partial/bad-htaccess-wordpress/.htaccess"
            )),
            method: "POST",
            ..Case::new("s201-post", "", "/", 403)
        },
        Case {
            htaccess: Some(fixture!(
                "S201-authz-limit-partial/bad-htaccess-wordpress/.htaccess"
            )),
            method: "PUT",
            ..Case::new("s201-put", "", "/index.html", 405)
        },
        // `<Limit POST PUT>`: DELETE is not refused (405 from the file).
        Case {
            htaccess: Some(fixture!(
                "S201-authz-limit-partial/bad-htaccess-ifmodule-writes/.htaccess"
            )),
            method: "DELETE",
            ..Case::new("s201-delete", "", "/index.html", 405)
        },
        Case {
            htaccess: Some(fixture!(
                "S201-authz-limit-partial/bad-htaccess-ifmodule-writes/.htaccess"
            )),
            method: "PUT",
            ..Case::new("s201-put-refused", "", "/index.html", 403)
        },
        // `<Limit GET POST> Require ip 10.0.0.0/8`: OPTIONS from outside
        // the network is not refused.
        Case {
            method: "OPTIONS",
            ..Case::new(
                "s201-options",
                fixture!("S201-authz-limit-partial/bad-limit-get-post.conf"),
                "/admin/",
                200,
            )
        },
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
        Case {
            htaccess: Some(fixture!(
                "I201-rewrite-needs-symlinks/bad-htaccess-minus-follow/.htaccess"
            )),
            ..Case::new("i201-htaccess", "", "/", 403)
        },
        Case {
            htaccess: Some(fixture!(
                "I201-rewrite-needs-symlinks/good-htaccess-owner-match/.htaccess"
            )),
            ..Case::new("i201-htaccess-fixed", "", "/", 200)
        },
        Case {
            htaccess: Some(fixture!(
                "I201-rewrite-needs-symlinks/bad-htaccess-all-minus-follow/.htaccess"
            )),
            ..Case::new("i201-all-minus-follow", "", "/", 403)
        },
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
        Case {
            htaccess: Some(fixture!(
                "P209-htaccess-ignored/bad-none/var/www/html/.htaccess"
            )),
            ..Case::new(
                "p209-none",
                fixture!("P209-htaccess-ignored/bad-none/etc/apache2/apache2.conf"),
                "/",
                200,
            )
        },
        Case {
            htaccess: Some(fixture!(
                "P209-htaccess-ignored/good-authconfig/var/www/html/.htaccess"
            )),
            ..Case::new(
                "p209-authconfig",
                fixture!("P209-htaccess-ignored/good-authconfig/etc/apache2/apache2.conf"),
                "/",
                403,
            )
        },
    ]);
}

#[test]
fn a204_old_deny_survives_require_all_granted() {
    run(&[
        Case {
            htaccess: Some(fixture!(
                "A204-compat-mixed-engines/bad-htaccess-deny-all-require-granted/.htaccess"
            )),
            ..Case::new("a204-htaccess", "", "/", 403)
        },
        Case {
            htaccess: Some("Require all granted\n"),
            ..Case::new("a204-htaccess-fixed", "", "/", 200)
        },
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
        Case {
            htaccess: Some(fixture!(
                "P207-apache-options-mixed-signs/bad-htaccess/.htaccess"
            )),
            ..Case::new("p207-htaccess", "", "/", 500)
        },
        Case {
            htaccess: Some(fixture!(
                "P207-apache-options-mixed-signs/good-htaccess-signed/.htaccess"
            )),
            ..Case::new("p207-htaccess-fixed", "", "/", 200)
        },
        // A leading `All` is httpd's exception.
        Case {
            htaccess: Some(fixture!(
                "P207-apache-options-mixed-signs/good-htaccess-leading-all/.htaccess"
            )),
            ..Case::new("p207-leading-all", "", "/", 200)
        },
        Case::new(
            "p207-server",
            fixture!("P207-apache-options-mixed-signs/bad-directory.conf"),
            "/",
            STARTUP_FAILS,
        ),
    ]);
}

#[test]
fn p203_backslash_then_blank_is_not_a_continuation() {
    run(&[
        Case {
            htaccess: Some(fixture!(
                "P203-apache-backslash-space-eol/bad-htaccess/.htaccess"
            )),
            ..Case::new("p203-htaccess", "", "/", 500)
        },
        Case {
            htaccess: Some("Require ip 10.0.0.0/8 \\\n    127.0.0.0/8\n"),
            ..Case::new("p203-htaccess-fixed", "", "/", 200)
        },
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
        Case {
            htaccess: Some(fixture!("P208-apache-method-case/bad-htaccess/.htaccess")),
            ..Case::new("p208-htaccess", "", "/", 500)
        },
        Case {
            htaccess: Some(fixture!(
                "P208-apache-method-case/good-htaccess-upper/.htaccess"
            )),
            ..Case::new("p208-htaccess-fixed", "", "/", 200)
        },
    ]);
}

#[test]
fn p211_legacy_directives_need_access_compat() {
    run(&[
        Case {
            htaccess: Some(fixture!(
                "P211-compat-legacy-directive/bad-htaccess/.htaccess"
            )),
            without_access_compat: true,
            ..Case::new("p211-without-module", "", "/", 500)
        },
        Case {
            htaccess: Some(fixture!(
                "P211-compat-legacy-directive/good-htaccess-guarded/.htaccess"
            )),
            without_access_compat: true,
            ..Case::new("p211-guarded", "", "/", 200)
        },
    ]);
}

#[test]
fn p210_directive_outside_the_granted_classes() {
    run(&[
        Case {
            htaccess: Some(fixture!(
                "P210-htaccess-override-class/bad-fileinfo/var/www/html/.htaccess"
            )),
            ..Case::new(
                "p210-fileinfo",
                fixture!("P210-htaccess-override-class/bad-fileinfo/etc/apache2/apache2.conf"),
                "/",
                500,
            )
        },
        // Nonfatal=Override: the Require is skipped, the directory stays open.
        Case {
            htaccess: Some(fixture!(
                "P210-htaccess-override-class/bad-nonfatal/var/www/html/.htaccess"
            )),
            ..Case::new(
                "p210-nonfatal",
                fixture!("P210-htaccess-override-class/bad-nonfatal/etc/apache2/apache2.conf"),
                "/",
                200,
            )
        },
        Case {
            htaccess: Some(fixture!(
                "P210-htaccess-override-class/good-granted/var/www/html/.htaccess"
            )),
            ..Case::new(
                "p210-granted",
                fixture!("P210-htaccess-override-class/good-granted/etc/apache2/apache2.conf"),
                "/",
                403,
            )
        },
        Case {
            htaccess: Some(fixture!(
                "P210-htaccess-override-class/good-list/var/www/html/.htaccess"
            )),
            ..Case::new(
                "p210-list",
                fixture!("P210-htaccess-override-class/good-list/etc/apache2/apache2.conf"),
                "/",
                403,
            )
        },
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
