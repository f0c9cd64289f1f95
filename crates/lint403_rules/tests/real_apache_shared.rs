//! The Apache sides of the cross-dialect rules (A001, A002, A003, T001,
//! T002, S001), checked against the real httpd: each case writes a server
//! configuration snippet and document-root files (`.htaccess`) into a
//! temporary directory, starts `apache2 -X` on 127.0.0.1, sends the
//! request the rule's message names from a chosen 127.0.0.N address, and
//! asserts the status. Every claim comes with a control case (the fixed
//! configuration) that gives the other status.
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
    ("authz_user_module", "mod_authz_user"),
    ("authn_core_module", "mod_authn_core"),
    ("authn_file_module", "mod_authn_file"),
    ("auth_basic_module", "mod_auth_basic"),
    ("access_compat_module", "mod_access_compat"),
    ("dir_module", "mod_dir"),
    ("mime_module", "mod_mime"),
];

struct Case {
    name: &'static str,
    /// Server-level lines; `ROOT` stands for the document root.
    config: &'static str,
    /// Files below the document root (`.htaccess`, `sub/.htaccess`).
    files: &'static [(&'static str, &'static str)],
    path: &'static str,
    /// Client address 127.0.0.N.
    client: u8,
    expect: u16,
    /// Send `Authorization: Basic` for staff:secret.
    password: bool,
}

impl Case {
    const fn with_password(mut self) -> Case {
        self.password = true;
        self
    }
}

const fn case(
    name: &'static str,
    config: &'static str,
    files: &'static [(&'static str, &'static str)],
    path: &'static str,
    client: u8,
    expect: u16,
) -> Case {
    Case {
        name,
        config,
        files,
        path,
        client,
        expect,
        password: false,
    }
}

fn apache() -> Option<PathBuf> {
    let path = PathBuf::from("/usr/sbin/apache2");
    path.is_file().then_some(path)
}

fn free_port(seed: u16) -> u16 {
    let start = 20000
        + ((std::process::id() as u16)
            .wrapping_mul(31)
            .wrapping_add(seed * 211))
            % 40000;
    for offset in 0..4000u16 {
        let port = 20000 + (start - 20000 + offset) % 40000;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port");
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
    std::fs::create_dir_all(path.parent().expect("parent")).expect("create dir");
    std::fs::write(path, text).expect("write");
}

fn world_readable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = if path.is_dir() { 0o755 } else { 0o644 };
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
    if path.is_dir() {
        for entry in std::fs::read_dir(path).into_iter().flatten().flatten() {
            world_readable(&entry.path());
        }
    }
}

fn start(binary: &Path, case: &Case, seed: u16) -> Result<(Server, u16), String> {
    let dir = std::env::temp_dir().join(format!(
        "lint403-rapache2-{}-{}",
        std::process::id(),
        case.name
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let root = dir.join("htdocs");
    for page in ["index.html", "sub/index.html", "admin/index.html"] {
        write(&root.join(page), "page\n");
    }
    let htpasswd = dir.join("htpasswd").display().to_string();
    for (path, text) in case.files {
        write(&root.join(path), &text.replace("HTPASSWD", &htpasswd));
    }
    // user "staff", password "secret" (htpasswd -nbB is not needed: plain
    // crypt-less SHA1 form).
    write(
        &dir.join("htpasswd"),
        "staff:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=\n",
    );
    std::fs::create_dir_all(dir.join("run")).map_err(|e| e.to_string())?;
    let port = free_port(seed);
    let mut conf = String::new();
    let d = dir.display();
    let _ = writeln!(conf, "ServerRoot \"{d}\"\nDefaultRuntimeDir \"{d}/run\"\nPidFile \"{d}/run/httpd.pid\"\nMutex file:{d}/run default");
    for (symbol, stem) in MODULES {
        let _ = writeln!(
            conf,
            "LoadModule {symbol} /usr/lib/apache2/modules/{stem}.so"
        );
    }
    let root_text = root.display().to_string();
    let _ = write!(
        conf,
        "User nobody\nGroup nogroup\nServerName localhost\nListen 127.0.0.1:{port}\n\
         ErrorLog \"{d}/error.log\"\nLogLevel warn\nTypesConfig /dev/null\n\
         DocumentRoot \"{root_text}\"\nDirectoryIndex index.html\n\
         <Directory />\n    Require all denied\n    AllowOverride None\n</Directory>\n\
         <Directory \"{root_text}\">\n    Require all granted\n    AllowOverride All\n</Directory>\n"
    );
    conf.push_str(
        &case
            .config
            .replace("ROOT", &root_text)
            .replace("HTPASSWD", &dir.join("htpasswd").display().to_string()),
    );
    conf.push('\n');
    write(&dir.join("httpd.conf"), &conf);
    world_readable(&dir);
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
            return Err(format!("apache2 exited ({status}): {stderr}"));
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
    let server: SocketAddr = ([127, 0, 0, 1], port).into();
    socket
        .connect_timeout(&server.into(), Duration::from_secs(5))
        .map_err(|e| e.to_string())?;
    let mut stream: TcpStream = socket.into();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET {} HTTP/1.1\r\nHost: localhost\r\n{}Connection: close\r\n\r\n",
        case.path,
        if case.password {
            // base64("staff:secret")
            "Authorization: Basic c3RhZmY6c2VjcmV0\r\n"
        } else {
            ""
        }
    )
    .map_err(|e| e.to_string())?;
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response
        .split_whitespace()
        .nth(1)
        .and_then(|status| status.parse().ok())
        .ok_or_else(|| format!("no status line in {response:?}"))
}

/// One server at a time: the tests run in parallel threads.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
/// Port-search seeds, distinct across tests.
static SEED: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);

fn run(cases: &[Case]) {
    let Some(binary) = apache() else {
        assert!(
            std::env::var("LINT403_REQUIRE_SERVERS").as_deref() != Ok("1"),
            "apache2 not installed and LINT403_REQUIRE_SERVERS=1"
        );
        println!("SKIPPED: apache2 not installed");
        return;
    };
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut failures = Vec::new();
    for case in cases {
        let seed = SEED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match start(&binary, case, seed) {
            Ok((server, port)) => {
                let got = request(port, case);
                let log = std::fs::read_to_string(server.dir.join("error.log")).unwrap_or_default();
                drop(server);
                match got {
                    Ok(status) if status == case.expect => {}
                    Ok(status) => failures.push(format!(
                        "{}: GET {} from 127.0.0.{} → {status}, expected {}\n{log}",
                        case.name, case.path, case.client, case.expect
                    )),
                    Err(error) => failures.push(format!("{}: {error}", case.name)),
                }
            }
            Err(error) => failures.push(format!("{}: {error}", case.name)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A002: `Order Deny,Allow` with only `Allow from` lets every client in.
#[test]
fn a002_allow_list_without_deny_lets_everyone_in() {
    run(&[
        case(
            "a002-bad-htaccess",
            "",
            &[(".htaccess", "Order Deny,Allow\nAllow from 10.0.0.0/8 192.168.1.0/24\n")],
            "/",
            7,
            200,
        ),
        case(
            "a002-bad-directory",
            "<Directory \"ROOT/admin\">\n    Order deny,allow\n    Allow from 127.0.0.1\n</Directory>\n",
            &[],
            "/admin/",
            7,
            200,
        ),
        case(
            "a002-fixed-htaccess",
            "",
            &[(".htaccess", "Order Deny,Allow\nDeny from all\nAllow from 10.0.0.0/8\n")],
            "/",
            7,
            403,
        ),
    ]);
}

/// A003: `Order Allow,Deny` with only `Deny from` lines refuses everyone.
#[test]
fn a003_allow_deny_order_without_allow_refuses_everyone() {
    run(&[
        case(
            "a003-bad-htaccess",
            "",
            &[(".htaccess", "Order Allow,Deny\nDeny from 203.0.113.9\n")],
            "/",
            7,
            403,
        ),
        case(
            "a003-bad-files",
            "<Files \"index.html\">\n    Order allow,deny\n    Deny from 198.51.100.0/24\n</Files>\n",
            &[],
            "/index.html",
            7,
            403,
        ),
        case(
            "a003-fixed-htaccess",
            "",
            &[(".htaccess", "Order Deny,Allow\nDeny from 203.0.113.9\n")],
            "/",
            7,
            200,
        ),
    ]);
}

/// A001: `Require all granted` makes its siblings dead.
#[test]
fn a001_require_all_granted_shadows_its_siblings() {
    run(&[
        case(
            "a001-bad-granted-denied",
            "",
            &[(".htaccess", "Require all granted\nRequire all denied\n")],
            "/",
            7,
            200,
        ),
        case(
            "a001-bad-granted-ip",
            "",
            &[(".htaccess", "Require ip 10.0.0.0/8\nRequire all granted\n")],
            "/",
            7,
            200,
        ),
        case(
            "a001-bad-require-any",
            "<Location \"/admin\">\n    <RequireAny>\n        Require all granted\n        Require ip 192.168.0.0/16\n    </RequireAny>\n</Location>\n",
            &[],
            "/admin/",
            7,
            200,
        ),
        case(
            "a001-fixed-ip-only",
            "",
            &[(".htaccess", "Require ip 10.0.0.0/8\n")],
            "/",
            7,
            403,
        ),
    ]);
}

/// T001: `Satisfy Any` with an access list that allows everyone skips
/// `Require`.
#[test]
fn t001_satisfy_any_skips_require() {
    run(&[
        case(
            "t001-bad-all-denied",
            "",
            &[(".htaccess", "Require all denied\nSatisfy any\n")],
            "/",
            7,
            200,
        ),
        case(
            "t001-bad-valid-user",
            "",
            &[(
                ".htaccess",
                "AuthType Basic\nAuthName \"staff\"\nAuthUserFile HTPASSWD\nRequire valid-user\nSatisfy Any\n",
            )],
            "/",
            7,
            200,
        ),
        case(
            "t001-bad-location-allow-all",
            "<Location \"/admin\">\n    AuthType Basic\n    AuthName \"admin\"\n    AuthUserFile HTPASSWD\n    Require valid-user\n    Order Allow,Deny\n    Allow from all\n    Satisfy Any\n</Location>\n",
            &[],
            "/admin/",
            7,
            200,
        ),
        case(
            "t001-fixed-intranet-or-password",
            "",
            &[(
                ".htaccess",
                "AuthType Basic\nAuthName \"staff\"\nAuthUserFile HTPASSWD\nRequire valid-user\nOrder Deny,Allow\nDeny from all\nAllow from 10.0.0.0/8\nSatisfy Any\n",
            )],
            "/",
            7,
            401,
        ),
        case(
            "t001-control-no-satisfy",
            "",
            &[(".htaccess", "Require all denied\n")],
            "/",
            7,
            403,
        ),
    ]);
}

/// T002: authentication half-configured.
#[test]
fn t002_auth_incomplete() {
    run(&[
        case(
            "t002-bad-valid-user-no-authtype",
            "",
            &[(
                ".htaccess",
                "AuthName \"staff\"\nAuthUserFile HTPASSWD\nRequire valid-user\n",
            )],
            "/",
            7,
            500,
        ),
        case(
            "t002-bad-authtype-no-require-location",
            "<Location \"/admin\">\n    AuthType Basic\n    AuthName \"admin\"\n    AuthUserFile HTPASSWD\n</Location>\n",
            &[],
            "/admin/",
            7,
            200,
        ),
        case(
            "t002-bad-authtype-no-require-htaccess",
            "",
            &[(
                ".htaccess",
                "AuthType Basic\nAuthName \"staff\"\nAuthUserFile HTPASSWD\n",
            )],
            "/",
            7,
            200,
        ),
        case(
            "t002-fixed",
            "",
            &[(
                ".htaccess",
                "AuthType Basic\nAuthName \"staff\"\nAuthUserFile HTPASSWD\nRequire valid-user\n",
            )],
            "/",
            7,
            401,
        ),
    ]);
}

/// S001: a child's own `access_compat` lines replace the parent's list.
#[test]
fn s001_child_compat_list_replaces_parent() {
    run(&[
        case(
            "s001-bad-htaccess-tree",
            "",
            &[
                (".htaccess", "Order Deny,Allow\nDeny from all\n"),
                ("sub/.htaccess", "Allow from 10.1.1.1\n"),
            ],
            "/sub/",
            7,
            200,
        ),
        case(
            "s001-control-parent-refuses",
            "",
            &[
                (".htaccess", "Order Deny,Allow\nDeny from all\n"),
                ("sub/.htaccess", "Allow from 10.1.1.1\n"),
            ],
            "/",
            7,
            403,
        ),
        case(
            "s001-bad-lone-satisfy-any",
            "",
            &[
                (".htaccess", "Order Deny,Allow\nDeny from all\n"),
                ("sub/.htaccess", "Satisfy Any\n"),
            ],
            "/sub/",
            7,
            200,
        ),
        case(
            "s001-bad-vhost-directory-and-htaccess",
            "<Directory \"ROOT\">\n    Order Deny,Allow\n    Deny from all\n</Directory>\n",
            &[("sub/.htaccess", "Allow from 10.1.1.1\n")],
            "/sub/",
            7,
            200,
        ),
        case(
            "s001-control-vhost-directory",
            "<Directory \"ROOT\">\n    Order Deny,Allow\n    Deny from all\n</Directory>\n",
            &[("sub/.htaccess", "Allow from 10.1.1.1\n")],
            "/",
            7,
            403,
        ),
        case(
            "s001-bad-require-user-replaces-ip",
            "",
            &[
                (".htaccess", "Require ip 10.0.0.0/8\n"),
                (
                    "sub/.htaccess",
                    "AuthType Basic\nAuthName \"staff\"\nAuthUserFile HTPASSWD\nRequire valid-user\n",
                ),
            ],
            "/sub/",
            7,
            200,
        )
        .with_password(),
        case(
            "s001-fixed-authmerging-and",
            "",
            &[
                (".htaccess", "Require ip 10.0.0.0/8\n"),
                (
                    "sub/.htaccess",
                    "AuthType Basic\nAuthName \"staff\"\nAuthUserFile HTPASSWD\nAuthMerging And\nRequire valid-user\n",
                ),
            ],
            "/sub/",
            7,
            403,
        )
        .with_password(),
        // The child's list brings its own default order (Deny,Allow): the
        // parent's `Order Allow,Deny` is dropped with the rest.
        case(
            "s001-bad-order-not-inherited",
            "<Directory \"ROOT\">\n    Order Allow,Deny\n    Allow from 10.0.0.0/8\n</Directory>\n",
            &[("sub/.htaccess", "Allow from 10.1.1.1\n")],
            "/sub/",
            7,
            200,
        ),
        case(
            "s001-bad-directory-in-directory",
            "<Directory \"ROOT\">\n    Order Deny,Allow\n    Deny from all\n    Allow from 10.0.0.0/8\n</Directory>\n<Directory \"ROOT/sub\">\n    Allow from 10.1.1.1\n</Directory>\n",
            &[],
            "/sub/",
            7,
            200,
        ),
        case(
            "s001-fixed-repeated",
            "",
            &[
                (".htaccess", "Order Deny,Allow\nDeny from all\n"),
                ("sub/.htaccess", "Order Deny,Allow\nDeny from all\nAllow from 10.1.1.1\n"),
            ],
            "/sub/",
            7,
            403,
        ),
    ]);
}
