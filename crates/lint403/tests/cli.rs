//! The command-line contract of DESIGN §5, exercised through the real
//! binary: JSON shape and order, exit codes, unreadable inputs, dialect
//! detection.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn lint403(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lint403"))
        .args(args)
        .current_dir(cwd)
        .env_remove("NO_COLOR")
        .env_remove("FORCE_COLOR")
        .output()
        .expect("lint403 runs")
}

/// A fresh directory under the system temp dir, removed at drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("lint403-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        Scratch(dir)
    }

    fn write(&self, relative: &str, text: &str) -> PathBuf {
        let path = self.0.join(relative);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
        std::fs::write(&path, text).expect("write");
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "stdout is JSON ({error}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn codes_at(document: &serde_json::Value, path: &str) -> Vec<(String, u64)> {
    document["diagnostics"]
        .as_array()
        .expect("diagnostics array")
        .iter()
        .filter(|d| d["path"] == path)
        .map(|d| {
            (
                d["code"].as_str().unwrap_or("").to_string(),
                d["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

const GOOD_NGINX: &str =
    "server {\n    listen 80;\n    location / {\n        deny all;\n    }\n}\n";

#[test]
fn json_document_has_the_contract_shape() {
    let dir = Scratch::new("shape");
    dir.write("nginx/conf.d/good.conf", GOOD_NGINX);
    dir.write(
        "nginx/conf.d/bad.conf",
        "server {\n    location / {\n        return 403}\n    }\n}\n",
    );
    let output = lint403(&["check", ".", "--format", "json"], &dir.0);
    assert_eq!(output.status.code(), Some(1), "findings exit 1");
    let document = json(&output);
    assert_eq!(document["version"], 1);
    let files = document["files"].as_array().expect("files");
    let good = files
        .iter()
        .find(|f| f["path"] == "nginx/conf.d/good.conf")
        .expect("good file listed");
    assert_eq!(good["dialect"], "nginx");
    assert_eq!(good["parsed"], true);
    let bad = files
        .iter()
        .find(|f| f["path"] == "nginx/conf.d/bad.conf")
        .expect("bad file listed");
    assert_eq!(bad["parsed"], false);
    // `}` does not end a word in nginx: `403}` is one argument, and the
    // next `}` arrives while `return` still has words (nginx -t names line 4).
    assert_eq!(
        codes_at(&document, "nginx/conf.d/bad.conf"),
        vec![("P001".to_string(), 4)]
    );
    let diagnostic = &document["diagnostics"][0];
    for key in [
        "code",
        "name",
        "severity",
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "message",
        "help",
        "url",
    ] {
        assert!(diagnostic.get(key).is_some(), "diagnostic has {key}");
    }
    assert_eq!(diagnostic["name"], "syntax-error");
    assert_eq!(diagnostic["severity"], "error");
    assert!(diagnostic["help"].as_str().is_some_and(|h| !h.is_empty()));
    assert!(diagnostic["url"]
        .as_str()
        .is_some_and(|u| u.ends_with("P001.md")));
}

#[test]
fn exit_codes_follow_the_threshold() {
    let dir = Scratch::new("exit");
    dir.write("nginx/good.conf", GOOD_NGINX);
    dir.write("nginx/bad.conf", "server {\n");
    let clean = lint403(&["check", "nginx/good.conf"], &dir.0);
    assert_eq!(clean.status.code(), Some(0));
    let findings = lint403(&["check", "nginx"], &dir.0);
    assert_eq!(findings.status.code(), Some(1));
    let zero = lint403(&["check", "nginx", "--exit-zero"], &dir.0);
    assert_eq!(zero.status.code(), Some(0));
    let none = lint403(&["check", "nginx", "--failure-threshold", "none"], &dir.0);
    assert_eq!(none.status.code(), Some(0));
    let missing = lint403(&["check", "no-such-dir"], &dir.0);
    assert_eq!(missing.status.code(), Some(2));
    let usage = lint403(&["check", "--format", "yaml"], &dir.0);
    assert_eq!(usage.status.code(), Some(2));
    let context = lint403(&["check", "nginx", "--context", "locaton"], &dir.0);
    assert_eq!(
        context.status.code(),
        Some(2),
        "a misspelt context is refused"
    );
    let in_context = lint403(&["check", "nginx/good.conf", "--context", "http"], &dir.0);
    assert_eq!(in_context.status.code(), Some(0));
}

#[test]
fn unreadable_inputs_are_reported_and_the_rest_is_checked() {
    let dir = Scratch::new("unreadable");
    dir.write("nginx/good.conf", GOOD_NGINX);
    let fifo = dir.0.join("nginx/pipe.conf");
    let made = Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|status| status.success()), "mkfifo");
    std::os::unix::fs::symlink("missing.conf", dir.0.join("nginx/dangling.conf")).expect("link");
    std::os::unix::fs::symlink("..", dir.0.join("nginx/loop")).expect("loop link");
    let output = lint403(&["check", ".", "--format", "json"], &dir.0);
    let document = json(&output);
    assert_eq!(output.status.code(), Some(1));
    for path in ["nginx/pipe.conf", "nginx/dangling.conf", "nginx/loop"] {
        assert_eq!(
            codes_at(&document, path),
            vec![("P006".to_string(), 1)],
            "{path} is reported as unreadable"
        );
    }
    assert!(document["files"]
        .as_array()
        .expect("files")
        .iter()
        .any(|f| f["path"] == "nginx/good.conf" && f["parsed"] == true));
}

#[test]
fn every_dialect_is_detected_and_can_be_forced() {
    let dir = Scratch::new("detect");
    dir.write("site/.htaccess", "Require all denied\n");
    dir.write("site/web.config", "<configuration></configuration>\n");
    dir.write("etc/nginx/nginx.conf", "events {}\nhttp {}\n");
    dir.write("site/odd.conf", "<Files x>\nRequire all denied\n</Files>\n");
    let document = json(&lint403(&["check", ".", "--format", "json"], &dir.0));
    let dialect_of = |path: &str| {
        document["files"]
            .as_array()
            .expect("files")
            .iter()
            .find(|f| f["path"] == path)
            .map(|f| f["dialect"].as_str().unwrap_or("").to_string())
    };
    assert_eq!(dialect_of("site/.htaccess").as_deref(), Some("apache"));
    assert_eq!(dialect_of("site/web.config").as_deref(), Some("iis"));
    assert_eq!(dialect_of("etc/nginx/nginx.conf").as_deref(), Some("nginx"));
    assert_eq!(dialect_of("site/odd.conf").as_deref(), Some("apache"));
    let forced = json(&lint403(
        &[
            "check",
            "site/odd.conf",
            "--dialect",
            "nginx",
            "--format",
            "json",
        ],
        &dir.0,
    ));
    assert_eq!(forced["files"][0]["dialect"], "nginx");
}

#[test]
fn included_fragments_are_checked_once_in_their_context() {
    let dir = Scratch::new("include");
    dir.write(
        "nginx/nginx.conf",
        "events {}\nhttp {\n    include conf.d/*.conf;\n}\n",
    );
    // `listen` is a server directive: inside `http` it is misplaced, which
    // only the include context reveals.
    dir.write("nginx/conf.d/misplaced.conf", "listen 80;\n");
    let document = json(&lint403(&["check", ".", "--format", "json"], &dir.0));
    let listed: Vec<_> = document["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter(|f| {
            f["path"]
                .as_str()
                .is_some_and(|p| p.ends_with("misplaced.conf"))
        })
        .collect();
    assert_eq!(listed.len(), 1, "the fragment is listed once: {document}");
    let p002: Vec<_> = document["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["code"] == "P002")
        .collect();
    assert_eq!(p002.len(), 1, "listen in http is reported once: {document}");
}

#[test]
fn concise_format_is_one_line_per_finding() {
    let dir = Scratch::new("concise");
    dir.write("nginx/bad.conf", "server {\n    return 403}\n}\n");
    let output = lint403(&["check", "nginx", "--format", "concise"], &dir.0);
    let text = String::from_utf8_lossy(&output.stdout);
    let first = text.lines().next().unwrap_or("");
    assert!(
        first.starts_with("nginx/bad.conf:3:1:") && first.contains(" P001 syntax-error "),
        "{text}"
    );
}

#[test]
fn demo_reports_render_as_snapshotted() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for format in ["full", "concise", "json"] {
        let output = lint403(
            &[
                "check",
                "fixtures/demo",
                "--format",
                format,
                "--color",
                "never",
            ],
            root,
        );
        assert_eq!(output.status.code(), Some(1), "the demo has findings");
        insta::assert_snapshot!(
            format!("demo_{format}"),
            String::from_utf8_lossy(&output.stdout)
        );
    }
}

#[test]
fn hostile_inputs_each_get_a_diagnostic_and_the_rest_is_still_checked() {
    let dir = Scratch::new("hostile");
    dir.write("nginx/good.conf", GOOD_NGINX);
    dir.write(
        "apache2/good.conf",
        "<Directory /srv>\n    Require all denied\n</Directory>\n",
    );
    dir.write("site/web.config", "<configuration></configuration>\n");
    let laughs = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n \
                  <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n]>\n\
                  <configuration>&lol2;</configuration>\n";
    dir.write("bomb/web.config", laughs);
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in "<configuration>\n  <system.webServer/>\n</configuration>\n".encode_utf16() {
        utf16.extend(unit.to_le_bytes());
    }
    std::fs::create_dir_all(dir.0.join("utf16")).expect("dir");
    std::fs::write(dir.0.join("utf16/web.config"), utf16).expect("utf16");
    dir.write("nginx/empty.conf", "");
    // httpd takes logical lines up to 16 MiB in the main configuration; nginx
    // refuses any word longer than its 4096-byte read buffer.
    dir.write(
        "apache2/huge.conf",
        &format!("ServerAlias {}\n", "a".repeat(5 << 20)),
    );
    dir.write(
        "nginx/huge.conf",
        &format!("server_name {};\n", "a".repeat(5 << 20)),
    );
    std::fs::write(
        dir.0.join("nginx/binary.conf"),
        b"server {\0\xff\xfe listen 80; }\n",
    )
    .expect("bin");
    dir.write("nginx/deep.conf", &"location / {\n".repeat(10_000));
    dir.write(
        "nginx/quote.conf",
        "server {\n    return 403 \"unterminated;\n}\n",
    );
    let output = lint403(&["check", ".", "--format", "json"], &dir.0);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let document = json(&output);
    let parsed = |path: &str| {
        document["files"]
            .as_array()
            .expect("files")
            .iter()
            .find(|f| f["path"] == path)
            .map(|f| f["parsed"] == true)
    };
    for good in [
        "nginx/good.conf",
        "apache2/good.conf",
        "site/web.config",
        "utf16/web.config",
        "nginx/empty.conf",
        "apache2/huge.conf",
    ] {
        assert_eq!(parsed(good), Some(true), "{good} parses: {document}");
    }
    assert_eq!(
        codes_at(&document, "bomb/web.config"),
        vec![("P009".to_string(), 2)]
    );
    assert_eq!(
        codes_at(&document, "nginx/huge.conf"),
        vec![("P001".to_string(), 1)]
    );
    for broken in ["nginx/deep.conf", "nginx/quote.conf"] {
        let codes = codes_at(&document, broken);
        assert!(!codes.is_empty(), "{broken} has a diagnostic: {document}");
    }
    for diagnostic in document["diagnostics"].as_array().expect("diagnostics") {
        assert!(
            diagnostic["help"]
                .as_str()
                .is_some_and(|help| !help.is_empty()),
            "every diagnostic has a help line: {diagnostic}"
        );
    }
}

/// The texts of a large configuration are set aside once it is checked
/// and read again for the report: its findings keep their lines, their
/// snippets and their suppressions.
#[test]
fn a_large_configurations_findings_keep_their_text() {
    let dir = Scratch::new("large");
    dir.write(
        "nginx/nginx.conf",
        "events {}\nhttp {\n    include conf.d/*.conf;\n}\n",
    );
    // Well above the 256 KiB from which texts are set aside.
    let mut padding = String::new();
    for n in 0..4000 {
        let port = 20000 + n % 1000;
        let _ = write!(
            padding,
            "server {{\n    listen {port};\n    server_name s{n}.example;\n    \
             location / {{ root /srv/{n}; }}\n}}\n"
        );
    }
    let findings = "server {\n    listen 80;\n    server_name ünï.example;\n    \
                    location /admin/ {\n        deny all;\n        allow 10.1.2.3;\n    }\n    \
                    location /ops/ {\n        deny all;\n        \
                    # lint403: ignore[A001] the allow documents who asked\n        \
                    allow 10.1.2.4;\n    }\n}\n";
    let text = padding + findings;
    assert!(text.len() > 300 * 1024);
    dir.write("nginx/conf.d/sites.conf", &text);
    let line = 4000 * 5 + 6;

    let concise = lint403(&["check", ".", "--isolated", "--format", "concise"], &dir.0);
    let concise = String::from_utf8_lossy(&concise.stdout);
    let a001: Vec<&str> = concise.lines().filter(|l| l.contains(" A001 ")).collect();
    assert_eq!(
        a001,
        vec![format!("nginx/conf.d/sites.conf:{line}:9: A001 acl-entry-shadowed [error] GET /admin/ from 10.1.2.3 → 403: `deny all` matches first, so `allow 10.1.2.3` is never reached").as_str()],
        "one finding, at its line, the other suppressed:\n{concise}"
    );
    let full = lint403(
        &[
            "check",
            ".",
            "--isolated",
            "--format",
            "full",
            "--color",
            "never",
        ],
        &dir.0,
    );
    let full = String::from_utf8_lossy(&full.stdout);
    assert!(
        full.contains(&format!("{line} │         allow 10.1.2.3;")),
        "the snippet shows the file's text:\n{full}"
    );
}
