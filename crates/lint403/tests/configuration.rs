//! `.lint403.yaml`, inline suppressions, `init`, standard input and the
//! hook flags, through the real binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn lint403(args: &[&str], cwd: &Path, stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lint403"))
        .args(args)
        .current_dir(cwd)
        .env_remove("NO_COLOR")
        .env_remove("FORCE_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lint403 runs");
    if let Some(text) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write stdin");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("lint403 finishes")
}

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("lint403-conf-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        Scratch(dir)
    }

    fn write(&self, relative: &str, text: &str) {
        let path = self.0.join(relative);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
        std::fs::write(&path, text).expect("write");
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A001 at line 4 and A002 at line 7.
const TWO_FINDINGS: &str = "server {\n    location /a/ {\n        deny all;\n        allow 10.0.0.1;\n    }\n    location /b/ {\n        allow 10.0.0.0/8;\n    }\n}\n";

#[test]
fn select_ignore_and_severity() {
    let dir = Scratch::new("select");
    dir.write("nginx/conf.d/site.conf", TWO_FINDINGS);
    let all = lint403(&["check", ".", "--format", "concise"], &dir.0, None);
    assert!(
        stdout(&all).contains("A001") && stdout(&all).contains("A002"),
        "{}",
        stdout(&all)
    );
    dir.write(
        ".lint403.yaml",
        "ignore: [acl-entry-shadowed]\nseverity: {A002: info}\n",
    );
    let output = lint403(&["check", ".", "--format", "concise"], &dir.0, None);
    let text = stdout(&output);
    assert!(!text.contains("A001"), "{text}");
    assert!(
        text.contains("A002 allow-list-without-deny [info]"),
        "{text}"
    );
    // Only info left, threshold warning: exit 0.
    assert_eq!(output.status.code(), Some(0), "{text}");
    dir.write(
        ".lint403.yaml",
        "select: [A001]\nseverity: {A001: warning}\nfailure-threshold: error\n",
    );
    let output = lint403(&["check", "nginx", "--format", "concise"], &dir.0, None);
    assert!(!stdout(&output).contains("A002"));
    // A001 lowered to a warning: below the configured threshold.
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    // The command line wins over the file.
    let output = lint403(
        &["check", "nginx", "--failure-threshold", "warning"],
        &dir.0,
        None,
    );
    assert_eq!(output.status.code(), Some(1));
    // --isolated ignores the file.
    let output = lint403(
        &["check", ".", "--isolated", "--format", "concise"],
        &dir.0,
        None,
    );
    assert!(stdout(&output).contains("A002"));
}

#[test]
fn per_file_ignores_and_explicit_config() {
    let dir = Scratch::new("perfile");
    dir.write("nginx/conf.d/site.conf", TWO_FINDINGS);
    dir.write("vendor/nginx/conf.d/theirs.conf", TWO_FINDINGS);
    dir.write(
        "conf/lint.yaml",
        "per-file-ignores:\n  \"../vendor/**\": [A]\n",
    );
    let output = lint403(
        &[
            "check",
            ".",
            "--config",
            "conf/lint.yaml",
            "--format",
            "concise",
        ],
        &dir.0,
        None,
    );
    let text = stdout(&output);
    assert!(text.contains("nginx/conf.d/site.conf"), "{text}");
    assert!(!text.contains("theirs.conf"), "{text}");
}

#[test]
fn a_bad_config_is_an_error_in_its_file() {
    let dir = Scratch::new("bad");
    dir.write("nginx/conf.d/site.conf", TWO_FINDINGS);
    dir.write(".lint403.yaml", "select: [A]\nfailure-treshold: error\n");
    let output = lint403(&["check", ".", "--color", "never"], &dir.0, None);
    assert_eq!(output.status.code(), Some(2));
    let text = stderr(&output);
    assert!(text.contains("unknown field `failure-treshold`"), "{text}");
    assert!(
        text.contains(".lint403.yaml:2:1"),
        "points at line 2: {text}"
    );
    dir.write(".lint403.yaml", "ignore: [Z999]\n");
    let output = lint403(&["check", ".", "--color", "never"], &dir.0, None);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("`Z999`"), "{}", stderr(&output));
}

#[test]
fn suppressions_silence_and_unused_ones_are_reported() {
    let dir = Scratch::new("suppress");
    dir.write(
        "nginx/conf.d/site.conf",
        "server {\n    location /a/ {\n        deny all;\n        # lint403: ignore[A001] audited\n        allow 10.0.0.1;\n    }\n    location /b/ {\n        allow 10.0.0.0/8; # lint403: ignore[A002, B003]\n    }\n}\n",
    );
    let output = lint403(&["check", ".", "--format", "concise"], &dir.0, None);
    let text = stdout(&output);
    assert!(!text.contains("A001") && !text.contains(" A002 "), "{text}");
    assert!(
        text.contains("site.conf:8:27: P011 unused-suppression")
            && text.contains("B003 in this suppression silences nothing"),
        "{text}"
    );
}

/// Rules the configuration leaves out are not run; a suppression of such
/// a rule is not judged (whether it still silences something is unknown),
/// while the other codes of the same comment still are.
#[test]
fn left_out_rules_are_not_run_and_their_suppressions_not_judged() {
    let dir = Scratch::new("leftout");
    dir.write(
        "nginx/conf.d/site.conf",
        "server {\n    location /a/ {\n        deny all;\n        # lint403: ignore[A001] audited\n        allow 10.0.0.1;\n    }\n    location /b/ {\n        allow 10.0.0.0/8; # lint403: ignore[A002, B003]\n    }\n}\n",
    );
    dir.write(".lint403.yaml", "ignore: [A001, B003]\n");
    let output = lint403(&["check", ".", "--format", "concise"], &dir.0, None);
    let text = stdout(&output);
    assert!(!text.contains("A001") && !text.contains("B003"), "{text}");
    assert!(!text.contains("P011"), "{text}");
    dir.write(".lint403.yaml", "select: [A, P]\n");
    let output = lint403(&["check", ".", "--format", "concise"], &dir.0, None);
    let text = stdout(&output);
    assert!(!text.contains("P011"), "B003 is not selected: {text}");
    // With every rule run, B003's part of the comment is stale.
    let output = lint403(
        &["check", ".", "--isolated", "--format", "concise"],
        &dir.0,
        None,
    );
    assert!(
        stdout(&output).contains("B003 in this suppression silences nothing"),
        "{}",
        stdout(&output)
    );
    // Selecting a few rules gives the findings of the whole run for them.
    dir.write("nginx/conf.d/site.conf", TWO_FINDINGS);
    dir.write(".lint403.yaml", "select: [A002]\n");
    let selected = lint403(&["check", ".", "--format", "concise"], &dir.0, None);
    let whole = lint403(
        &["check", ".", "--isolated", "--format", "concise"],
        &dir.0,
        None,
    );
    let of_a002 = |text: String| -> Vec<String> {
        text.lines()
            .filter(|line| line.contains(" A002 "))
            .map(str::to_string)
            .collect()
    };
    let expected = of_a002(stdout(&whole));
    assert!(!expected.is_empty());
    assert_eq!(of_a002(stdout(&selected)), expected);
}

#[test]
fn init_writes_a_file_check_accepts() {
    let dir = Scratch::new("init");
    let output = lint403(&["init"], &dir.0, None);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(dir.0.join(".lint403.yaml").is_file());
    let again = lint403(&["init"], &dir.0, None);
    assert_eq!(again.status.code(), Some(2), "refuses to overwrite");
    dir.write("nginx/conf.d/site.conf", TWO_FINDINGS);
    let output = lint403(&["check", "."], &dir.0, None);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
}

#[test]
fn standard_input_with_a_file_name() {
    let dir = Scratch::new("stdin");
    let output = lint403(
        &[
            "check",
            "-",
            "--stdin-filename",
            "sites/x.conf",
            "--format",
            "concise",
            "--dialect",
            "nginx",
        ],
        &dir.0,
        Some(TWO_FINDINGS),
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains("sites/x.conf:4:9: A001"),
        "{}",
        stdout(&output)
    );
    let output = lint403(&["check", ".", "--stdin-filename", "x.conf"], &dir.0, None);
    assert_eq!(output.status.code(), Some(2), "--stdin-filename without -");
}

#[test]
fn hooks_skip_files_of_other_programs() {
    let dir = Scratch::new("hook");
    dir.write("supervisord.conf", "[program:x]\ncommand=/bin/true\n");
    let output = lint403(&["check", "supervisord.conf"], &dir.0, None);
    assert_eq!(output.status.code(), Some(2), "named and undetected");
    let output = lint403(
        &["check", "--ignore-undetected", "supervisord.conf"],
        &dir.0,
        None,
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn gitignored_and_excluded_paths_are_not_walked() {
    let dir = Scratch::new("exclude");
    dir.write(".git/HEAD", "ref: refs/heads/main\n");
    dir.write(
        ".gitignore",
        "vendor/\n*.generated.conf\n!keep.generated.conf\n",
    );
    for file in [
        "nginx/conf.d/site.conf",
        "vendor/nginx/conf.d/theirs.conf",
        "nginx/conf.d/x.generated.conf",
        "nginx/conf.d/keep.generated.conf",
        "legacy/nginx/conf.d/old.conf",
        "sub/nginx/conf.d/deep.conf",
    ] {
        dir.write(file, TWO_FINDINGS);
    }
    dir.write("sub/.gitignore", "deep.conf\n");
    let files = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["check", ".", "--format", "json"];
        all.extend_from_slice(args);
        let output = lint403(&all, &dir.0, None);
        let document: serde_json::Value =
            serde_json::from_slice(&output.stdout).expect("JSON output");
        document["files"]
            .as_array()
            .expect("files")
            .iter()
            .filter_map(|file| file["path"].as_str().map(str::to_string))
            .collect()
    };
    let walked = files(&[]);
    assert_eq!(
        walked,
        [
            "legacy/nginx/conf.d/old.conf",
            "nginx/conf.d/keep.generated.conf",
            "nginx/conf.d/site.conf"
        ],
        "{walked:?}"
    );
    let walked = files(&["--exclude", "legacy/"]);
    assert!(
        !walked.iter().any(|path| path.starts_with("legacy/")),
        "{walked:?}"
    );
    dir.write(".lint403.yaml", "exclude: [\"nginx/conf.d/site.conf\"]\n");
    let walked = files(&[]);
    assert!(
        !walked.contains(&"nginx/conf.d/site.conf".to_string()),
        "{walked:?}"
    );
    let walked = files(&["--no-gitignore", "--isolated"]);
    assert_eq!(walked.len(), 6, "{walked:?}");
    // A file named on the command line is checked even when ignored.
    let output = lint403(
        &[
            "check",
            "vendor/nginx/conf.d/theirs.conf",
            "--format",
            "concise",
        ],
        &dir.0,
        None,
    );
    assert!(
        stdout(&output).contains("theirs.conf"),
        "{}",
        stdout(&output)
    );
}
