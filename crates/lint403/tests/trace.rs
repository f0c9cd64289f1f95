//! `lint403 trace` through the real binary: the verdict, the deciding
//! line and the JSON shape of DESIGN §5, exit codes, and `expect:` in
//! `check`. Whether the verdicts are the servers' own is proven by the
//! differential suites of the dialect crates (`tests/trace_real.rs`).

use std::path::Path;
use std::process::{Command, Output};

fn lint403(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lint403"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .env_remove("FORCE_COLOR")
        .output()
        .expect("lint403 runs")
}

fn traced(config: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["trace", config, "--format", "json"];
    args.extend_from_slice(extra);
    let output = lint403(&args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON")
}

/// Status, outcome and the deciding line of one request.
fn verdict(config: &str, extra: &[&str]) -> (Option<u64>, String, Option<u64>) {
    let document = traced(config, extra);
    (
        document["status"].as_u64(),
        document["outcome"].as_str().unwrap_or("").to_string(),
        document["decided_by"][0]["line"].as_u64(),
    )
}

const NGINX: &str = "fixtures/trace/cli/nginx.conf";

#[test]
fn nginx_verdicts_name_the_deciding_line() {
    let forbidden = |line| (Some(403), "forbidden".to_string(), Some(line));
    assert_eq!(
        verdict(
            NGINX,
            &["--request", "GET /admin/", "--client-ip", "203.0.113.7"]
        ),
        forbidden(10)
    );
    // Let through the access list; the document root does not exist here.
    let allowed = verdict(
        NGINX,
        &["--request", "GET /admin/", "--client-ip", "198.51.100.7"],
    );
    assert_ne!(allowed.0, Some(403), "{allowed:?}");
    assert_eq!(
        verdict(
            NGINX,
            &[
                "--request",
                "GET /images/a.png",
                "-H",
                "Referer: https://evil.example/"
            ]
        ),
        forbidden(16)
    );
    let no_referer = verdict(NGINX, &["--request", "GET /images/a.png"]);
    assert_ne!(no_referer.0, Some(403), "`none` admits it: {no_referer:?}");
    assert_eq!(
        verdict(NGINX, &["--request", "GET /.well-known/acme-challenge/t"]),
        forbidden(21)
    );
}

#[test]
fn json_has_the_contract_shape() {
    let document = traced(
        NGINX,
        &[
            "--request",
            "GET /admin/?x=1",
            "--client-ip",
            "203.0.113.7",
            "--user",
            "ann",
        ],
    );
    for key in ["status", "substatus", "outcome", "decided_by", "steps"] {
        assert!(document.get(key).is_some(), "missing {key}: {document}");
    }
    assert_eq!(document["request"]["query"], "x=1");
    assert_eq!(document["request"]["user"], "ann");
    let decided = &document["decided_by"][0];
    assert_eq!(decided["text"], "deny all;");
    assert_eq!(decided["path"], NGINX);
    assert_eq!(decided["column"], 13);
    let roles: Vec<&str> = document["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|step| step["role"].as_str())
        .collect();
    assert!(
        roles.contains(&"site") && roles.contains(&"decided"),
        "{roles:?}"
    );
}

#[test]
fn iis_verdicts_carry_substatus() {
    let document = traced(
        "fixtures/trace/cli/web.config",
        &["--request", "GET /admin/", "--client-ip", "203.0.113.7"],
    );
    assert_eq!(document["status"], 403);
    assert_eq!(document["substatus"], 503);
    assert_eq!(document["decided_by"][0]["line"], 6);
}

#[test]
fn full_output_reads_verdict_chain_fix() {
    let output = lint403(&[
        "trace",
        NGINX,
        "--request",
        "GET /admin/",
        "--client-ip",
        "203.0.113.7",
        "--color",
        "never",
    ]);
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        text.starts_with("403 Forbidden — GET /admin/ from 203.0.113.7"),
        "{text}"
    );
    insta::assert_snapshot!("trace_full_nginx_admin", text);
    let allowed = lint403(&[
        "trace",
        NGINX,
        "--request",
        "GET /admin/",
        "--client-ip",
        "198.51.100.7",
        "--color",
        "never",
    ]);
    let text = String::from_utf8_lossy(&allowed.stdout);
    assert!(!text.starts_with("403"), "{text}");
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec!["trace", NGINX, "--request", "FETCH"],
        vec![
            "trace",
            NGINX,
            "--request",
            "GET /",
            "--client-ip",
            "nowhere",
        ],
        vec!["trace", NGINX, "--request", "GET /", "-H", "no colon"],
        vec![
            "trace",
            "fixtures/trace/cli/missing.conf",
            "--request",
            "GET /",
        ],
    ] {
        let output = lint403(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
    let dir = std::env::temp_dir().join(format!("lint403-trace-broken-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let broken = dir.join("nginx.conf");
    std::fs::write(&broken, "events {}\nhttp { server { return 403 }\n").expect("write");
    let output = lint403(&[
        "trace",
        broken.to_str().expect("path"),
        "--request",
        "GET /",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("syntax"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn expectations_are_checked_on_the_deciding_line() {
    let output = lint403(&["check", "fixtures/expect", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let violated: Vec<&serde_json::Value> = document["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["code"] == "P010")
        .collect();
    // Of five entries only the ACME one is answered otherwise.
    assert_eq!(violated.len(), 1, "{violated:?}");
    let diagnostic = violated[0];
    assert_eq!(
        diagnostic["path"],
        "fixtures/expect/deploy/nginx/nginx.conf"
    );
    assert_eq!(diagnostic["line"], 10);
    assert!(diagnostic["message"]
        .as_str()
        .is_some_and(|m| m.contains("GET /.well-known/acme-challenge/t") && m.contains("403")));
    assert!(Path::new("fixtures/expect/.lint403.yaml").exists());
}

#[test]
fn iis_expectations_see_folder_web_configs() {
    let dir = std::env::temp_dir().join(format!("lint403-expect-iis-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("site/admin")).expect("dirs");
    std::fs::write(
        dir.join("site/web.config"),
        "<?xml version=\"1.0\"?>\n<configuration>\n  <system.webServer />\n</configuration>\n",
    )
    .expect("write");
    std::fs::write(
        dir.join("site/admin/web.config"),
        "<?xml version=\"1.0\"?>\n<configuration>\n  <system.webServer>\n    <security>\n      <ipSecurity allowUnlisted=\"false\" />\n    </security>\n  </system.webServer>\n</configuration>\n",
    )
    .expect("write");
    std::fs::write(dir.join("site/admin/index.html"), "hi\n").expect("write");
    std::fs::write(
        dir.join(".lint403.yaml"),
        "expect:\n  - config: site/web.config\n    allow: [\"GET /admin/index.html\"]\n    deny: [\"GET /admin/index.html from 203.0.113.9\"]\n",
    )
    .expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_lint403"))
        .args(["check", ".", "--format", "concise"])
        .current_dir(&dir)
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let violations: Vec<&str> = text.lines().filter(|line| line.contains("P010")).collect();
    // The allow entry is refused by the folder's ipSecurity; the deny one is met.
    assert_eq!(violations.len(), 1, "{text}");
    assert!(
        violations[0].starts_with("site/admin/web.config:5:")
            && violations[0].contains("gets 403.503"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
