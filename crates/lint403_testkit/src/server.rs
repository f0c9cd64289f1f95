//! Starting and stopping the real servers.

use std::fmt::Write as _;
use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    Nginx,
    Apache,
}

impl ServerKind {
    pub fn name(self) -> &'static str {
        match self {
            ServerKind::Nginx => "nginx",
            ServerKind::Apache => "apache2",
        }
    }

    /// The installed binary.
    pub fn binary(self) -> Option<PathBuf> {
        let candidates: &[&str] = match self {
            ServerKind::Nginx => &["/usr/sbin/nginx"],
            ServerKind::Apache => &["/usr/sbin/apache2", "/usr/sbin/httpd"],
        };
        candidates
            .iter()
            .map(PathBuf::from)
            .find(|path| path.is_file())
    }
}

/// A server started on 127.0.0.1:`port` from a prefix directory; stopped
/// (by its PID) and the prefix removed when dropped, unless
/// `LINT403_KEEP_PREFIX=1`.
pub struct RunningServer {
    pub kind: ServerKind,
    pub prefix: PathBuf,
    pub port: u16,
    child: Child,
}

impl RunningServer {
    pub fn address(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// The server's error log so far (for failure messages).
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.prefix.join("logs/error.log")).unwrap_or_default()
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        // SIGTERM lets an nginx master stop its workers; SIGKILL after.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::env::var("LINT403_KEEP_PREFIX").as_deref() != Ok("1") {
            let _ = std::fs::remove_dir_all(&self.prefix);
        }
    }
}

/// Writes the configuration `config(port)` into `prefix` and starts the
/// server on it, retrying with another port when the one picked was taken
/// meanwhile. The tree under `prefix` must already be laid out (it is made
/// world-readable here). `Err` carries the server's own complaint.
pub fn start(
    kind: ServerKind,
    prefix: &Path,
    seed: u16,
    config: &dyn Fn(u16) -> String,
) -> Result<RunningServer, String> {
    let binary = kind
        .binary()
        .ok_or_else(|| format!("{} not installed", kind.name()))?;
    for dir in ["logs", "run", "tmp", "conf"] {
        std::fs::create_dir_all(prefix.join(dir)).map_err(|e| e.to_string())?;
    }
    let mut last_error = String::new();
    for attempt in 0..8u16 {
        let port = crate::free_port(seed.wrapping_add(attempt.wrapping_mul(211)));
        let text = config(port);
        let config_path = prefix.join("conf/server.conf");
        std::fs::write(&config_path, &text).map_err(|e| e.to_string())?;
        crate::make_world_readable(prefix);
        let mut command = Command::new(&binary);
        match kind {
            ServerKind::Nginx => {
                command
                    .arg("-p")
                    .arg(prefix)
                    .arg("-c")
                    .arg(&config_path)
                    .arg("-g")
                    .arg("daemon off;");
            }
            ServerKind::Apache => {
                command
                    .arg("-d")
                    .arg(prefix)
                    .arg("-f")
                    .arg(&config_path)
                    .arg("-X");
            }
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| e.to_string())?;
        let mut server = RunningServer {
            kind,
            prefix: prefix.to_path_buf(),
            port,
            child,
        };
        match wait_until_listening(&mut server) {
            Ok(()) => return Ok(server),
            Err(error) => {
                let retry = error.contains("in use");
                last_error = format!("{error}\n--- configuration ---\n{text}");
                // Keep the prefix for the next attempt.
                let _ = server.child.kill();
                let _ = server.child.wait();
                std::mem::forget(server);
                if !retry {
                    break;
                }
            }
        }
    }
    Err(last_error)
}

fn wait_until_listening(server: &mut RunningServer) -> Result<(), String> {
    let pid_file = match server.kind {
        ServerKind::Nginx => server.prefix.join("run/nginx.pid"),
        ServerKind::Apache => server.prefix.join("run/httpd.pid"),
    };
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = server.child.try_wait() {
            let mut stderr = String::new();
            if let Some(mut pipe) = server.child.stderr.take() {
                let _ = pipe.read_to_string(&mut stderr);
            }
            return Err(format!(
                "{} exited ({status}): {stderr}{}",
                server.kind.name(),
                server.error_log()
            ));
        }
        // The pid file is written after the sockets are bound, so the
        // connection is answered by this server, not another suite's.
        if pid_file.exists() && TcpStream::connect(server.address()).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(30));
    }
    Err(format!("{} did not start listening", server.kind.name()))
}

/// The MIME map the oracle gives nginx and httpd.
pub const MIME_TYPES: &[(&str, &str)] = &[
    ("text/html", "html htm"),
    ("text/plain", "txt log ini conf inc bak old md"),
    ("text/css", "css"),
    ("application/javascript", "js"),
    ("application/json", "json"),
    ("image/png", "png"),
    ("image/jpeg", "jpg jpeg"),
    ("image/gif", "gif"),
    ("application/xml", "xml"),
    ("application/x-php", "php"),
];

/// A whole nginx.conf around `http_body` (an `http`-level fragment with
/// its own `server` blocks): workers as nobody, logs, pid and temp paths
/// under `prefix`, the oracle's `types` map.
pub fn nginx_main_conf(prefix: &Path, http_body: &str) -> String {
    let p = prefix.display();
    let mut text = format!(
        "user nobody nogroup;\nmaster_process on;\nworker_processes 1;\npid {p}/run/nginx.pid;\nlock_file {p}/run/nginx.lock;\nerror_log {p}/logs/error.log notice;\nevents {{ worker_connections 64; }}\nhttp {{\n    types {{\n"
    );
    for (mime, extensions) in MIME_TYPES {
        let _ = writeln!(text, "        {mime} {extensions};");
    }
    let _ = write!(
        text,
        "    }}\n    default_type application/octet-stream;\n    access_log off;\n    client_body_temp_path {p}/tmp/body;\n    proxy_temp_path {p}/tmp/proxy;\n    fastcgi_temp_path {p}/tmp/fastcgi;\n    uwsgi_temp_path {p}/tmp/uwsgi;\n    scgi_temp_path {p}/tmp/scgi;\n    keepalive_timeout 0;\n{http_body}\n}}\n"
    );
    text
}

/// The modules the oracle loads into httpd (symbol, file stem).
pub const APACHE_MODULES: &[(&str, &str)] = &[
    ("mpm_prefork_module", "mod_mpm_prefork"),
    ("authz_core_module", "mod_authz_core"),
    ("authz_host_module", "mod_authz_host"),
    ("access_compat_module", "mod_access_compat"),
    ("rewrite_module", "mod_rewrite"),
    ("setenvif_module", "mod_setenvif"),
    ("dir_module", "mod_dir"),
    ("autoindex_module", "mod_autoindex"),
    ("mime_module", "mod_mime"),
    ("alias_module", "mod_alias"),
    ("auth_basic_module", "mod_auth_basic"),
    ("authn_file_module", "mod_authn_file"),
    ("authn_core_module", "mod_authn_core"),
    ("authz_user_module", "mod_authz_user"),
    ("authz_groupfile_module", "mod_authz_groupfile"),
    ("headers_module", "mod_headers"),
    ("env_module", "mod_env"),
];

/// The parts of an httpd configuration the caller chooses.
#[derive(Debug, Clone, Default)]
pub struct ApacheConf<'a> {
    /// Main-server directives after the Debian-like base.
    pub main: &'a str,
    /// The body of `<VirtualHost 127.0.0.1:PORT>`; `None`: no vhost.
    pub vhost: Option<&'a str>,
    /// Modules (symbols) to leave out.
    pub without: &'a [&'a str],
}

/// A whole httpd.conf like the oracle's: modules, workers as nobody, logs
/// under `prefix`, `DocumentRoot prefix/www`, Debian's `<Directory />`
/// deny and `.ht*` files denied, then `conf.main` and the vhost.
pub fn apache_main_conf(prefix: &Path, port: u16, conf: &ApacheConf<'_>) -> String {
    let p = prefix.display();
    let modules = Path::new("/usr/lib/apache2/modules");
    let mut text = format!(
        "ServerRoot \"{p}\"\nDefaultRuntimeDir \"{p}/run\"\nPidFile \"{p}/run/httpd.pid\"\nMutex file:{p}/run default\n"
    );
    for (symbol, stem) in APACHE_MODULES {
        if conf.without.contains(symbol) {
            continue;
        }
        let _ = writeln!(
            text,
            "LoadModule {symbol} \"{}/{stem}.so\"",
            modules.display()
        );
    }
    let mut mime = String::new();
    for (kind, extensions) in MIME_TYPES {
        let _ = writeln!(mime, "{kind} {extensions}");
    }
    let _ = std::fs::write(prefix.join("conf/mime.types"), mime);
    let _ = write!(
        text,
        "User nobody\nGroup nogroup\nServerName localhost\nListen 127.0.0.1:{port}\nTimeout 10\nKeepAlive Off\nHostnameLookups Off\nUseCanonicalName Off\nServerSignature Off\nErrorLog \"{p}/logs/error.log\"\nLogLevel warn\nTypesConfig \"{p}/conf/mime.types\"\nDocumentRoot \"{p}/www\"\nAccessFileName .htaccess\n<Directory />\n    Options FollowSymLinks\n    AllowOverride None\n    Require all denied\n</Directory>\n<FilesMatch \"^\\.ht\">\n    Require all denied\n</FilesMatch>\n{}\n",
        conf.main
    );
    if let Some(vhost) = conf.vhost {
        let _ = write!(
            text,
            "<VirtualHost 127.0.0.1:{port}>\n{vhost}\n</VirtualHost>\n"
        );
    }
    text
}
