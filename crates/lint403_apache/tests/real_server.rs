//! Conformance with the real httpd: each snippet is included from a minimal
//! generated main configuration and judged by `apache2 -t`; the test first
//! pins what httpd says (so a change of httpd's behaviour shows), then
//! requires lint403 to say the same thing on the same line.
//!
//! Without `/usr/sbin/apache2` (or `$APACHE2`) the tests print `SKIPPED`
//! and pass, unless `LINT403_REQUIRE_SERVERS=1`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use lint403_core::{codes, CheckOptions, Severity, SourceMap};

fn apache_binary() -> Option<PathBuf> {
    let binary = std::env::var_os("APACHE2")
        .map_or_else(|| PathBuf::from("/usr/sbin/apache2"), PathBuf::from);
    if binary.is_file() {
        return Some(binary);
    }
    assert!(
        std::env::var("LINT403_REQUIRE_SERVERS").as_deref() != Ok("1"),
        "LINT403_REQUIRE_SERVERS=1 but {} is missing",
        binary.display()
    );
    eprintln!("SKIPPED: apache2 not installed ({})", binary.display());
    None
}

const MODULES: &[&str] = &[
    "mpm_prefork",
    "authz_core",
    "authz_host",
    "authn_core",
    "authn_file",
    "auth_basic",
    "authz_groupfile",
    "access_compat",
    "rewrite",
    "alias",
    "dir",
    "mime",
    "setenvif",
    "headers",
];

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A scratch directory with a main configuration that includes
/// `snippet.conf`.
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new() -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "lint403-apache-conf-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        Scratch { dir }
    }

    fn write(&self, name: &str, content: &[u8]) {
        let path = self.dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{}: {e}", parent.display()));
        }
        std::fs::write(&path, content).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }

    fn main_config(&self) -> PathBuf {
        let dir = self.dir.display();
        let mut config = format!(
            "ServerRoot {dir}\nPidFile {dir}/httpd.pid\nErrorLog {dir}/error.log\nMutex file:{dir} default\nListen 127.0.0.1:24080\nServerName localhost\nUser nobody\nGroup nogroup\n"
        );
        for module in MODULES {
            let _ = writeln!(
                config,
                "LoadModule {module}_module /usr/lib/apache2/modules/mod_{module}.so"
            );
        }
        config.push_str("Include snippet.conf\n");
        let path = self.dir.join("httpd.conf");
        std::fs::write(&path, config).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// httpd's verdict: `None` for "Syntax OK", else the file (relative to the
/// scratch directory), line and message of the innermost error.
fn httpd_verdict(binary: &Path, scratch: &Scratch) -> Option<(String, usize, String)> {
    let config = scratch.main_config();
    let output = Command::new(binary)
        .arg("-t")
        .arg("-f")
        .arg(&config)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", binary.display()));
    let text = String::from_utf8_lossy(&output.stderr).to_string()
        + &String::from_utf8_lossy(&output.stdout);
    if output.status.success() {
        return None;
    }
    let prefix = format!("{}/", scratch.dir.display());
    let text = text.replace(&prefix, "");
    // "Syntax error on line N of FILE: MESSAGE" (nested through includes)
    // or "AH00526: Syntax error on line N of FILE:\nMESSAGE".
    let marker = "Syntax error on line ";
    let at = text
        .rfind(marker)
        .unwrap_or_else(|| panic!("unexpected httpd output: {text}"));
    let rest = &text[at + marker.len()..];
    let (line, rest) = rest.split_once(" of ").unwrap_or_else(|| panic!("{text}"));
    let (file, message) = rest.split_once(':').unwrap_or_else(|| panic!("{text}"));
    let line = line.parse().unwrap_or_else(|_| panic!("{text}"));
    // A read error names its own file and line: "Error reading F at line N".
    if let Some((_, read)) = message.split_once("Error reading ") {
        if let Some((file, rest)) = read.split_once(" at line ") {
            let line = rest
                .split(':')
                .next()
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or(0);
            return Some((file.to_string(), line, message.trim().to_string()));
        }
    }
    Some((
        file.to_string(),
        line,
        message
            .trim()
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_string(),
    ))
}

/// What a snippet should produce, in httpd and in lint403.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Syntax OK; lint403 reports no error at all.
    Ok,
    /// A grammar error: lint403's first syntax error is on this line of
    /// this file, with httpd's words.
    Syntax(&'static str, usize, &'static str),
    /// A directive in the wrong place: P002 with httpd's words.
    Context(&'static str, usize, &'static str),
    /// An include that loads nothing or cannot be read.
    Include(&'static str, usize, &'static str),
    /// httpd refuses the arguments of a directive: not lint403's parse
    /// business, so no syntax or context error.
    Arguments(&'static str, usize, &'static str),
}

fn run_case(
    binary: &Path,
    name: &str,
    files: &[(&str, &[u8])],
    expect: Expect,
) -> Result<(), String> {
    let scratch = Scratch::new();
    for (file, content) in files {
        scratch.write(file, content);
    }
    let verdict = httpd_verdict(binary, &scratch);
    // 1. httpd says what we believe it says.
    match (expect, &verdict) {
        (Expect::Ok, None) => {}
        (
            Expect::Syntax(file, line, words)
            | Expect::Context(file, line, words)
            | Expect::Include(file, line, words)
            | Expect::Arguments(file, line, words),
            Some((got_file, got_line, message)),
        ) if got_file == file && *got_line == line && message.contains(words) => {}
        _ => {
            return Err(format!(
                "{name}: httpd said {verdict:?}, expected {expect:?}"
            ))
        }
    }
    // 2. lint403 says the same.
    let mut sources = SourceMap::new();
    let snippet = scratch.dir.join("snippet.conf");
    let source = lint403_core::read::read_source(&snippet).map_err(|e| format!("{name}: {e}"))?;
    let id = sources.add(source);
    let options = CheckOptions {
        context: Some("server".to_string()),
        include_root: Some(scratch.dir.clone()),
        ..CheckOptions::default()
    };
    let output = lint403_apache::check(&mut sources, id, &options);
    let found: Vec<(String, usize, &'static str, Severity, String)> = output
        .diagnostics
        .iter()
        .map(|d| {
            let file = sources.get(d.span.file);
            let relative = file.path.strip_prefix(&scratch.dir).map_or_else(
                |_| file.path.display().to_string(),
                |p| p.display().to_string(),
            );
            (
                relative,
                file.line_col(d.span.range.start).line,
                d.code.code,
                d.severity,
                d.message.clone(),
            )
        })
        .collect();
    let is = |code: lint403_core::Code| {
        move |d: &&(String, usize, &'static str, Severity, String)| d.2 == code.code
    };
    let ok = match expect {
        Expect::Ok => found.iter().all(|d| d.3 != Severity::Error),
        Expect::Syntax(file, line, words) => {
            // The first syntax error is on httpd's line (several may share it).
            let syntax: Vec<_> = found
                .iter()
                .filter(is(codes::SYNTAX_ERROR))
                .filter(|d| d.0 == file)
                .collect();
            let first = syntax.iter().map(|d| d.1).min();
            first == Some(line) && syntax.iter().any(|d| d.1 == line && d.4.contains(words))
        }
        Expect::Context(file, line, words) => {
            found.iter().filter(is(codes::SYNTAX_ERROR)).count() == 0
                && found
                    .iter()
                    .filter(is(codes::DIRECTIVE_NOT_ALLOWED_HERE))
                    .any(|d| d.0 == file && d.1 == line && d.4.contains(words))
        }
        Expect::Include(file, line, words) => found.iter().any(|d| {
            [
                codes::INCLUDE_UNRESOLVED.code,
                codes::FILE_UNREADABLE.code,
                codes::INCLUDE_CYCLE.code,
            ]
            .contains(&d.2)
                && d.3 == Severity::Error
                && d.0 == file
                && d.1 == line
                && d.4.contains(words)
        }),
        Expect::Arguments(..) => found.iter().all(|d| {
            d.2 != codes::SYNTAX_ERROR.code && d.2 != codes::DIRECTIVE_NOT_ALLOWED_HERE.code
        }),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{name}: httpd said {verdict:?}; lint403 said {found:?}"
        ))
    }
}

/// A named snippet (and the files beside it) with what it should produce.
type Case<'a> = (&'a str, &'a [(&'a str, &'a [u8])], Expect);

fn run_all(cases: &[Case<'_>]) {
    let Some(binary) = apache_binary() else {
        return;
    };
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(name, files, expect)| run_case(&binary, name, files, *expect).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

const S: &str = "snippet.conf";

#[test]
fn tokenizer_and_grammar_match_httpd() {
    use Expect::{Arguments, Ok, Syntax};
    run_all(&[
        (
            "continuation joins verbatim",
            &[(
                S,
                b"<Directory /tmp>\nRequire i\\\np 127.0.0.1\n</Directory>\n",
            )],
            Ok,
        ),
        // mod_version reads its own words: the `>` must end the version
        // word or stand alone after it (all pinned by apache2 -t).
        (
            "IfVersion without a final '>'",
            &[(S, b"<IfVersion >= 2.3\nRequire all denied\n</IfVersion>\n")],
            Syntax(S, 1, "<IfVersion> directive missing closing '>'"),
        ),
        (
            "IfVersion whose '>' sits inside a regex word",
            &[(S, b"<IfVersion ~ ^2>4\n</IfVersion>\n")],
            Syntax(S, 1, "<IfVersion> directive missing closing '>'"),
        ),
        (
            "IfVersion with a third word after the version",
            &[(S, b"<IfVersion >= 2.3 x>\n</IfVersion>\n")],
            Syntax(S, 1, "<IfVersion> directive missing closing '>'"),
        ),
        (
            "IfVersion closed on the version word",
            &[(S, b"<Directory /tmp>\n<IfVersion >= 2.3>\nRequire all denied\n</IfVersion>\n</Directory>\n")],
            Ok,
        ),
        (
            "IfVersion closed by a lone '>'",
            &[(S, b"<IfVersion >= 2.3 >\n</IfVersion>\n")],
            Ok,
        ),
        (
            "IfVersion with one word",
            &[(S, b"<IfVersion 2.3>\n</IfVersion>\n")],
            Ok,
        ),
        (
            "continuation keeps indentation as a separator",
            &[(
                S,
                b"<Directory /tmp>\nRequire ip 127.0.0.1 \\\n    10.0.0.1\n</Directory>\n",
            )],
            Ok,
        ),
        (
            "CRLF and backslash-CRLF",
            &[(
                S,
                b"<Directory /tmp>\r\nRequire i\\\r\np 127.0.0.1\r\n</Directory>\r\n",
            )],
            Ok,
        ),
        (
            "backslash-space is not a continuation",
            &[(
                S,
                b"<Directory /tmp>\nRequire all denied \\ \n</Directory>\n",
            )],
            Arguments(S, 2, "Argument for 'Require all'"),
        ),
        (
            "comment ending in backslash swallows the next line",
            &[(
                S,
                b"<Directory /tmp>\n# note \\\nRequire all bogus\n</Directory>\n",
            )],
            Ok,
        ),
        (
            "trailing # is arguments (Require)",
            &[(
                S,
                b"<Directory /tmp>\nRequire all granted # x\n</Directory>\n",
            )],
            Arguments(S, 2, "Argument for 'Require all'"),
        ),
        (
            "trailing # is ignored by FLAG directives",
            &[(S, b"<Directory /tmp>\nRewriteEngine On # x\n</Directory>\n")],
            Ok,
        ),
        (
            "quoted first word",
            &[(
                S,
                b"<Directory /tmp>\nRequire \"all\" granted\n</Directory>\n",
            )],
            Ok,
        ),
        (
            "closing quote ends the word",
            &[(
                S,
                b"<Directory /tmp>\nRequire \"all\"granted\n</Directory>\n",
            )],
            Ok,
        ),
        (
            "unterminated quote runs to the end and is valid",
            &[(S, b"<Location ~ \"/(.*)/adm>\n</Location>\n")],
            Ok,
        ),
        (
            "quote inside a word is literal",
            &[(
                S,
                b"<Directory /tmp>\nRequire a\"ll granted\n</Directory>\n",
            )],
            Arguments(S, 2, "Unknown Authz provider: a\"ll"),
        ),
        (
            "names and closers are case-insensitive",
            &[(S, b"<Directory /tmp>\nrEqUiRe all granted\n</dIrEcToRy>\n")],
            Ok,
        ),
        (
            "opener without >",
            &[(S, b"<Directory /tmp\n</Directory>\n")],
            Syntax(S, 1, "<Directory> directive missing closing '>'"),
        ),
        (
            "multi-line opener without > is named by its last line",
            &[(S, b"<Directory /tmp \\\n \n</Directory>\n")],
            Syntax(S, 2, "<Directory> directive missing closing '>'"),
        ),
        (
            "mismatched closer",
            &[(S, b"<Directory /tmp>\nRequire all denied\n</Files>\n")],
            Syntax(S, 3, "Expected </Directory> but saw </Files>"),
        ),
        (
            "inner section left open",
            &[(S, b"<Directory /tmp>\n<Files x>\n</Directory>\n</Files>\n")],
            Syntax(S, 3, "Expected </Files> but saw </Directory>"),
        ),
        (
            "stray closer",
            &[(S, b"</Files>\n")],
            Syntax(S, 1, "</Files> without matching <Files> section"),
        ),
        (
            "stray closer without >",
            &[(S, b"</Directory junk>\n")],
            Syntax(S, 1, "</Directory without matching <Directory section"),
        ),
        (
            "closer without > in a section",
            &[(S, b"<Directory /tmp>\n</Directory junk>\n")],
            Syntax(S, 2, "</Directory> directive missing closing '>'"),
        ),
        (
            "closer with >>",
            &[(S, b"<Directory /tmp>\n</Directory>>\n")],
            Syntax(S, 2, "Expected </Directory> but saw </Directory>>"),
        ),
        (
            "text after a closer is ignored",
            &[(S, b"<Directory /tmp>\n</Directory> junk\n")],
            Ok,
        ),
        (
            "unclosed at end of file",
            &[(S, b"<Directory /tmp>\nRequire all denied\n")],
            Syntax(S, 1, "<Directory> was not closed."),
        ),
        (
            "nested unclosed: httpd names the outermost",
            &[(S, b"<VirtualHost *:24080>\n<Directory /tmp>\n")],
            Syntax(S, 1, "<VirtualHost> was not closed."),
        ),
        (
            "unclosed opener continued over lines",
            &[(
                S,
                b"<Directory /tmp>\n</Directory>\n<Directory /tmp \\\n\\\n\n",
            )],
            Syntax(S, 5, "<Directory> was not closed."),
        ),
        (
            "unknown section still nests",
            &[(S, b"<Foo bar>\n")],
            Syntax(S, 1, "<Foo> was not closed."),
        ),
        ("lone <", &[(S, b"<\n")], Syntax(S, 1, "<> was not closed.")),
        (
            "text after > is dropped, not an error",
            &[(S, b"<Files \"x\"> Require all bogus\n</Files>\n")],
            Ok,
        ),
        (
            "comment after > of an opener",
            &[(S, b"<Directory /tmp> # note\n</Directory>\n")],
            Ok,
        ),
        (
            "<Else> followed by text has no >",
            &[(
                S,
                b"<Directory /tmp>\n<If \"true\">\n</If>\n<Else> foo\n</Else>\n</Directory>\n",
            )],
            Syntax(S, 4, "<Else> directive missing closing '>'"),
        ),
        (
            "<Else > is fine",
            &[(
                S,
                b"<Directory /tmp>\n<If \"true\">\n</If>\n<Else >\n</Else>\n</Directory>\n",
            )],
            Ok,
        ),
        (
            "quoted section words",
            &[(S, b"\"<Directory\" /tmp>\n\"</Directory>\"\n")],
            Ok,
        ),
        (
            "conditional closer must stand alone",
            &[(
                S,
                b"<IfModule mod_rewrite.c>\nRewriteEngine on\n</IfModule> # x\n",
            )],
            Syntax(S, 3, "</IfModule> without matching <IfModule> section"),
        ),
        (
            "conditional closer with a blank before >",
            &[(
                S,
                b"<IfModule mod_rewrite.c>\nRewriteEngine on\n</IfModule >\n",
            )],
            Syntax(S, 3, "</IfModule without matching <IfModule section"),
        ),
        (
            "conditional closer with blanks around is fine",
            &[(
                S,
                b"<IfModule mod_rewrite.c>\nRewriteEngine on\n  </ifmodule>  \n",
            )],
            Ok,
        ),
        (
            "a conditional section cannot close an outer section",
            &[(
                S,
                b"<Directory /tmp>\n<IfModule mod_rewrite.c>\n</Directory>\n</IfModule>\n",
            )],
            Syntax(S, 3, "</Directory> without matching <Directory> section"),
        ),
        (
            "a section inside a conditional must close inside it",
            &[(
                S,
                b"<IfModule mod_rewrite.c>\n<Directory /tmp>\n</IfModule>\n",
            )],
            Syntax(S, 3, "Expected </Directory> but saw </IfModule>"),
        ),
        (
            "false conditional left open",
            &[(S, b"<IfModule nonexistent.c>\nRewriteEngine On\n")],
            Syntax(S, 1, "Expected </IfModule> before end of configuration"),
        ),
        (
            "conditional opener without >",
            &[(S, b"<IfModule mod_rewrite.c\n</IfModule>\n")],
            Syntax(S, 1, "<IfModule> directive missing closing '>'"),
        ),
        (
            "text after a conditional opener's >",
            &[(S, b"<IfModule mod_rewrite.c>junk\n</IfModule>\n")],
            Ok,
        ),
        (
            "${VAR} expands before the line is split",
            &[(
                S,
                b"Define X \"all granted\"\n<Directory /tmp>\nRequire ${X}\n</Directory>\n",
            )],
            Ok,
        ),
        (
            "${VAR} names compare case-insensitively",
            &[(
                S,
                b"Define X \"all granted\"\n<Directory /tmp>\nRequire ${x}\n</Directory>\n",
            )],
            Ok,
        ),
        (
            "${VAR} can close a section",
            &[(S, b"Define E \"</Directory>\"\n<Directory /tmp>\n${E}\n")],
            Ok,
        ),
        (
            "${VAR} can name a section",
            &[(S, b"Define SEC Directory\n<${SEC} /tmp>\n</Directory>\n")],
            Ok,
        ),
        (
            "undefined ${VAR} stays literal",
            &[(
                S,
                b"<Directory /tmp>\nRequire ${UNDEFINED_X}\n</Directory>\n",
            )],
            Arguments(S, 2, "Unknown Authz provider: ${UNDEFINED_X}"),
        ),
        (
            "UnDefine removes the value",
            &[(
                S,
                b"Define X granted\nUnDefine X\n<Directory /tmp>\nRequire all ${X}\n</Directory>\n",
            )],
            Arguments(S, 4, "Argument for 'Require all'"),
        ),
        (
            "a BOM is part of the first word",
            &[(S, b"\xef\xbb\xbf<Directory /tmp>\n</Directory>\n")],
            Syntax(S, 2, "</Directory> without matching <Directory> section"),
        ),
        (
            "a NUL ends what httpd reads of a line",
            &[(
                S,
                b"<Directory /tmp>\nRequire all denied\0 junk\n</Directory>\n",
            )],
            Ok,
        ),
        (
            "a backslash after a NUL does not continue",
            &[(
                S,
                b"<Directory /tmp>\n# x\0\\\nRequire all bogus\n</Directory>\n",
            )],
            Arguments(S, 3, "Argument for 'Require all'"),
        ),
        (
            "a trailing > is dropped from a directive name",
            &[(S, b"<Directory /tmp>\nRewriteEngine> on\n</Directory>\n")],
            Ok,
        ),
    ]);
}

#[test]
fn directive_contexts_match_httpd() {
    use Expect::{Context, Ok};
    run_all(&[
        ("Require at server level", &[(S, b"Require all denied\n")], Context(S, 1, "Require not allowed here")),
        ("AllowOverride at server level", &[(S, b"AllowOverride None\n")], Context(S, 1, "AllowOverride not allowed here")),
        ("Directory in Directory", &[(S, b"<Directory /tmp>\n<Directory /tmp/x>\n</Directory>\n</Directory>\n")], Context(S, 2, "<Directory not allowed in <Directory> context")),
        ("Directory in Files", &[(S, b"<Files x>\n<Directory /tmp>\n</Directory>\n</Files>\n")], Context(S, 2, "<Directory not allowed in <Files> context")),
        ("VirtualHost in VirtualHost", &[(S, b"<VirtualHost *:24080>\n<VirtualHost *:24080>\n</VirtualHost>\n</VirtualHost>\n")], Context(S, 2, "<VirtualHost> cannot occur within <VirtualHost> section")),
        ("Files in Location", &[(S, b"<Location />\n<Files x>\n</Files>\n</Location>\n")], Context(S, 2, "<Files> cannot occur within <Location> section")),
        ("Files in Limit", &[(S, b"<Directory /tmp>\n<Limit GET>\n<Files x>\n</Files>\n</Limit>\n</Directory>\n")], Context(S, 3, "<Files> cannot occur within <Limit> or <LimitExcept> section")),
        ("If in Limit", &[(S, b"<Directory /tmp>\n<Limit GET>\n<If \"true\">\n</If>\n</Limit>\n</Directory>\n")], Context(S, 3, "<If> cannot occur within <Limit> or <LimitExcept> section")),
        ("Else without If", &[(S, b"<Directory /tmp>\n<Else>\n</Else>\n</Directory>\n")], Context(S, 2, "<Else> or <ElseIf> section without previous <If> or <ElseIf> section in same scope")),
        ("Else after If with a directive between", &[(S, b"<Location />\n<If \"true\">\n</If>\nRequire all granted\n<Else>\n</Else>\n</Location>\n")], Ok),
        ("Else after If inside IfModule", &[(S, b"<Location />\n<If \"true\">\n</If>\n<IfModule mod_rewrite.c>\n<Else>\n</Else>\n</IfModule>\n</Location>\n")], Ok),
        ("Listen in Directory", &[(S, b"<Directory /tmp>\nListen 127.0.0.1:24081\n</Directory>\n")], Context(S, 2, "Listen not allowed in <Directory> context")),
        ("Listen in VirtualHost", &[(S, b"<VirtualHost *:24080>\nListen 127.0.0.1:24081\n</VirtualHost>\n")], Context(S, 2, "Listen cannot occur within <VirtualHost> section")),
        ("lower-case names, canonical message", &[(S, b"<directory /tmp>\nlisten 127.0.0.1:24081\n</DIRECTORY>\n")], Context(S, 2, "Listen not allowed in <Directory> context")),
        ("Options in RequireAll", &[(S, b"<Directory /tmp>\n<RequireAll>\nOptions None\n</RequireAll>\n</Directory>\n")], Context(S, 3, "Options not allowed in <RequireAll> context")),
        ("Options in Limit", &[(S, b"<Directory /tmp>\n<Limit GET>\nOptions None\n</Limit>\n</Directory>\n")], Ok),
        ("ServerAlias outside VirtualHost", &[(S, b"ServerAlias foo\n")], Context(S, 1, "ServerAlias only used in <VirtualHost>")),
        ("ServerName in Directory", &[(S, b"<Directory /tmp>\nServerName foo\n</Directory>\n")], Context(S, 2, "ServerName not allowed in <Directory> context")),
        ("DocumentRoot in Directory", &[(S, b"<Directory /tmp>\nDocumentRoot /tmp\n</Directory>\n")], Context(S, 2, "DocumentRoot not allowed in <Directory> context")),
        ("RewriteMap in Directory", &[(S, b"<Directory /tmp>\nRewriteMap a txt:/tmp/x\n</Directory>\n")], Context(S, 2, "RewriteMap not allowed in <Directory> context")),
        ("Define in Directory runs while reading", &[(S, b"<Directory /tmp>\nDefine X y\n</Directory>\n")], Ok),
        ("ServerRoot in VirtualHost runs while reading", &[(S, b"<VirtualHost *:24080>\nServerRoot /tmp\n</VirtualHost>\n")], Ok),
        ("Include in Location", &[(S, b"<Location />\nInclude empty.conf\n</Location>\n"), ("empty.conf", b"")], Ok),
        ("sections nest inside Files and If", &[(S, b"<Directory /tmp>\n<Files x>\n<Files y>\n</Files>\n</Files>\n<If \"true\">\n<Files y>\n</Files>\n</If>\n</Directory>\n")], Ok),
        ("Require inside a true IfDefine at server level", &[(S, b"Define X\n<IfDefine X>\nRequire all granted\n</IfDefine>\n")], Context(S, 3, "Require not allowed here")),
    ]);
}

#[test]
fn includes_match_httpd() {
    use Expect::{Arguments, Include, Ok, Syntax};
    run_all(&[
        ("missing file", &[(S, b"Include missing.conf\n")], Include(S, 1, "Could not open configuration file")),
        ("missing directory before a wildcard", &[(S, b"Include conf.d/*.conf\n")], Include(S, 1, "Could not open directory")),
        ("wildcard matching nothing", &[(S, b"Include conf.d/*.conf\n"), ("conf.d/README", b"")], Include(S, 1, "No matches for the wildcard '*.conf'")),
        ("IncludeOptional tolerates all of it", &[(S, b"IncludeOptional conf.d/*.conf\nIncludeOptional nodir/*.conf\nIncludeOptional missing.conf\n"), ("conf.d/README", b"")], Ok),
        ("wildcard directory then a literal file that is missing", &[(S, b"Include d/*/x.conf\n"), ("d/e/y.conf", b"")], Include(S, 1, "Could not open configuration file")),
        ("*.conf skips dotfiles", &[(S, b"Include conf.d/*.conf\n"), ("conf.d/a.conf", b"RewriteEngine On\n"), ("conf.d/.hidden.conf", b"</Files>\n")], Ok),
        ("a directory includes dotfiles and backups", &[(S, b"Include d\n"), ("d/a.conf", b"RewriteEngine On\n"), ("d/.b.conf~", b"</Files>\n")], Syntax("d/.b.conf~", 1, "</Files> without matching <Files> section")),
        ("a directory of empty files is fine", &[(S, b"Include d/\n"), ("d/sub/empty", b"")], Ok),
        ("files are read in byte order, sharing Define", &[(S, b"Include conf.d/*.conf\n"), ("conf.d/a.conf", b"Define X \"all granted\"\n"), ("conf.d/b.conf", b"<Directory /tmp>\nRequire ${X}\n</Directory>\n")], Ok),
        ("Define after use is too late", &[(S, b"Include conf.d/*.conf\n"), ("conf.d/b.conf", b"Define X \"all granted\"\n"), ("conf.d/a.conf", b"<Directory /tmp>\nRequire ${X}\n</Directory>\n")], Arguments("conf.d/a.conf", 2, "Unknown Authz provider: ${X}")),
        ("sections do not span files", &[(S, b"Include a.conf\n</Directory>\n"), ("a.conf", b"<Directory /tmp>\n")], Syntax("a.conf", 1, "<Directory> was not closed.")),
        ("a closer in an included file", &[(S, b"<Directory /tmp>\nInclude a.conf\n"), ("a.conf", b"</Directory>\n")], Syntax("a.conf", 1, "</Directory> without matching <Directory> section")),
        ("Include takes one argument", &[(S, b"Include a.conf b.conf\n")], Expect::Context(S, 1, "Include takes one argument, Name(s) of the config file(s) to be included; fails if the wildcard does not match at least one file")),
        ("quoted include path", &[(S, b"Include \"a.conf\"\n"), ("a.conf", b"")], Ok),
    ]);
}

/// httpd refuses a logical line of 16 MiB in the main configuration.
#[test]
fn main_config_line_limit_matches_httpd() {
    use Expect::{Ok, Syntax};
    let limit = lint403_apache::syntax::MAIN_CONFIG_LINE_LIMIT;
    let mut under = b"#".to_vec();
    under.resize(limit - 1, b'a');
    under.push(b'\n');
    let mut over = b"#".to_vec();
    over.resize(limit, b'a');
    over.push(b'\n');
    run_all(&[
        ("line of 16 MiB - 1", &[(S, under.as_slice())], Ok),
        (
            "line of 16 MiB",
            &[(S, over.as_slice())],
            Syntax(S, 1, "Line too long"),
        ),
    ]);
}

/// Sample arguments httpd accepts for each table entry, so that the only
/// error left is about placement.
const SAMPLES: &[(&str, &str)] = &[
    ("DocumentRoot", "/tmp"),
    ("ServerName", "example.test"),
    ("ServerAlias", "www.example.test"),
    ("Listen", "127.0.0.1:24099"),
    ("Options", "None"),
    ("AllowOverride", "None"),
    ("AllowOverrideList", "None"),
    ("ErrorDocument", "403 /forbidden.html"),
    ("AuthType", "Basic"),
    ("AuthName", "realm"),
    ("Require", "all granted"),
    ("AuthMerging", "Off"),
    ("AuthzSendForbiddenOnFailure", "On"),
    ("Order", "deny,allow"),
    ("Allow", "from all"),
    ("Deny", "from all"),
    ("Satisfy", "Any"),
    ("AuthBasicProvider", "file"),
    ("AuthUserFile", "/tmp/users"),
    ("AuthGroupFile", "/tmp/groups"),
    ("DirectoryIndex", "index.html"),
    ("DirectorySlash", "On"),
    ("FallbackResource", "/index.php"),
    ("RewriteEngine", "On"),
    ("RewriteOptions", "Inherit"),
    ("RewriteBase", "/"),
    ("RewriteCond", "%{HTTP_HOST} example"),
    ("RewriteRule", "^x - [F]"),
    ("RewriteMap", "m txt:/tmp/map.txt"),
    ("SetEnvIf", "Host example ok"),
    ("SetEnvIfNoCase", "Host example ok"),
    ("SetEnvIfExpr", "\"true\" ok"),
    ("BrowserMatch", "bot ok"),
    ("BrowserMatchNoCase", "bot ok"),
    ("Redirect", "/a http://example.test/"),
    ("RedirectMatch", "^/a http://example.test/"),
    ("RedirectPermanent", "/a http://example.test/"),
    ("RedirectTemp", "/a http://example.test/"),
    ("Header", "set X-A b"),
    ("RequestHeader", "set X-A b"),
];

/// Sections to try each directive in: opening lines and closing lines.
const PLACES: &[(&str, &str, &str)] = &[
    ("server", "", ""),
    ("virtualhost", "<VirtualHost *:24080>\n", "</VirtualHost>\n"),
    ("directory", "<Directory /tmp>\n", "</Directory>\n"),
    (
        "directorymatch",
        "<DirectoryMatch ^/tmp>\n",
        "</DirectoryMatch>\n",
    ),
    ("location", "<Location />\n", "</Location>\n"),
    ("files", "<Files x>\n", "</Files>\n"),
    (
        "if",
        "<Directory /tmp>\n<If \"true\">\n",
        "</If>\n</Directory>\n",
    ),
    (
        "limit",
        "<Directory /tmp>\n<Limit GET>\n",
        "</Limit>\n</Directory>\n",
    ),
    (
        "requireany",
        "<Directory /tmp>\n<RequireAny>\nRequire all granted\n",
        "</RequireAny>\n</Directory>\n",
    ),
];

/// Whether httpd's message is about placement (what P002 reports).
fn is_placement(message: &str) -> bool {
    message.contains(" not allowed ")
        || message.ends_with(" not allowed here")
        || message.contains("cannot occur within")
        || message.contains("only used in")
}

/// Every directive of the context table, in every kind of section: where
/// httpd refuses it, lint403 says the same words on the same line; where
/// httpd takes it, lint403 reports no placement error.
#[test]
fn context_table_matches_httpd() {
    let Some(binary) = apache_binary() else {
        return;
    };
    let mut failures = Vec::new();
    let mut refused = 0;
    for (directive, args) in SAMPLES {
        for (place, open, close) in PLACES {
            let snippet = format!("{open}{directive} {args}\n{close}");
            let line = open.lines().count() + 1;
            let scratch = Scratch::new();
            scratch.write(S, snippet.as_bytes());
            let verdict = httpd_verdict(&binary, &scratch);
            let httpd = verdict
                .as_ref()
                .filter(|(file, at, message)| file == S && *at == line && is_placement(message))
                .map(|(_, _, message)| message.clone());
            let mut sources = SourceMap::new();
            let Ok(source) = lint403_core::read::read_source(&scratch.dir.join(S)) else {
                failures.push(format!("{directive} in {place}: unreadable"));
                continue;
            };
            let id = sources.add(source);
            let options = CheckOptions {
                context: Some("server".to_string()),
                include_root: Some(scratch.dir.clone()),
                ..CheckOptions::default()
            };
            let output = lint403_apache::check(&mut sources, id, &options);
            let ours: Vec<String> = output
                .diagnostics
                .iter()
                .filter(|d| d.code == codes::DIRECTIVE_NOT_ALLOWED_HERE)
                .map(|d| {
                    format!(
                        "{}:{}",
                        sources.get(d.span.file).line_col(d.span.range.start).line,
                        d.message
                    )
                })
                .collect();
            let expected: Vec<String> = httpd.iter().map(|m| format!("{line}:{m}")).collect();
            if httpd.is_some() {
                refused += 1;
            }
            if ours != expected {
                failures.push(format!(
                    "{directive} in {place}: httpd {verdict:?}, lint403 {ours:?}"
                ));
            }
        }
    }
    assert!(
        refused > 20,
        "only {refused} placements refused: the matrix is not testing much"
    );
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// httpd messages of the block grammar (what lint403 calls P001).
fn is_grammar_message(message: &str) -> bool {
    message.contains("without matching")
        || message.starts_with("Expected </")
        || message.contains("was not closed")
        || message.contains("directive missing closing '>'")
}

/// A tiny deterministic generator, so a failing mutant can be replayed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        usize::try_from(self.0 >> 33).unwrap_or_default() % bound.max(1)
    }
}

/// One mutation of an accepted file: drop a `>` of a section line, drop a
/// closing line, drop a quote, or repeat a closing line.
fn mutate(text: &str, random: &mut Lcg) -> Option<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let section_lines: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].trim_start().starts_with('<'))
        .collect();
    let closers: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].trim_start().starts_with("</"))
        .collect();
    let quoted: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains('"') && !lines[i].trim_start().starts_with('#'))
        .collect();
    let mut out: Vec<String> = lines.iter().map(|l| (*l).to_string()).collect();
    match random.next(4) {
        0 => {
            let &line = section_lines.get(random.next(section_lines.len()))?;
            let at = out[line].rfind('>')?;
            out[line].remove(at);
        }
        1 => {
            let &line = closers.get(random.next(closers.len()))?;
            out.remove(line);
        }
        2 => {
            let &line = quoted.get(random.next(quoted.len()))?;
            let positions: Vec<usize> = out[line].match_indices('"').map(|(at, _)| at).collect();
            let &at = positions.get(random.next(positions.len()))?;
            out[line].remove(at);
        }
        _ => {
            let &line = closers.get(random.next(closers.len()))?;
            let copy = out[line].clone();
            out.insert(line, copy);
        }
    }
    Some(out.concat())
}

/// Mutants of the corpus files httpd accepted in server context (and of the
/// `.htaccess` files, inside a `<Directory>`), judged
/// live: when httpd names a block-grammar error, lint403's first syntax
/// error is on that line; when httpd accepts the mutant, lint403 reports no
/// syntax error, except where the mutation sits in a conditional section
/// whose module is not loaded (httpd skips its body unparsed; lint403 does
/// not evaluate conditions).
#[test]
fn corpus_mutants_match_httpd() {
    let Some(binary) = apache_binary() else {
        return;
    };
    let corpus = std::env::var_os("LINT403_CORPUS")
        .map_or_else(|| PathBuf::from("/work/shared/corpus"), PathBuf::from);
    let Ok(verdicts) = std::fs::read_to_string(corpus.join("SYNTAX.tsv")) else {
        eprintln!("SKIPPED: corpus not found (set LINT403_CORPUS)");
        return;
    };
    let files: Vec<(&str, bool)> = verdicts
        .lines()
        .filter_map(|row| {
            let fields: Vec<&str> = row.split('\t').collect();
            match fields.as_slice() {
                [path, "apache", context @ ("server" | "htaccess"), "ok", ..] => {
                    Some((*path, *context == "htaccess"))
                }
                _ => None,
            }
        })
        .collect();
    // LINT403_MUTANT_SEED / LINT403_MUTANT_ROUNDS explore further.
    let setting = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let mut random = Lcg(setting("LINT403_MUTANT_SEED", 403));
    let rounds = setting("LINT403_MUTANT_ROUNDS", 240);
    let (mut compared, mut skipped_conditional) = (0, 0);
    let mut failures = Vec::new();
    for round in 0..rounds {
        let Some(&(path, htaccess)) = files.get(random.next(files.len())) else {
            break;
        };
        let Ok(mut text) = std::fs::read_to_string(corpus.join(path)) else {
            continue;
        };
        if htaccess {
            // As SYNTAX.tsv judged them: inside a <Directory>.
            text = format!("<Directory /tmp>\n{text}\n</Directory>\n");
        }
        let Some(mutant) = mutate(&text, &mut random) else {
            continue;
        };
        let scratch = Scratch::new();
        scratch.write(S, mutant.as_bytes());
        let verdict = httpd_verdict(&binary, &scratch);
        let mut sources = SourceMap::new();
        let Ok(source) = lint403_core::read::read_source(&scratch.dir.join(S)) else {
            continue;
        };
        let id = sources.add(source);
        let options = CheckOptions {
            context: Some("server".to_string()),
            include_root: Some(scratch.dir.clone()),
            ..CheckOptions::default()
        };
        let output = lint403_apache::check(&mut sources, id, &options);
        let ours: Vec<(usize, String)> = output
            .diagnostics
            .iter()
            .filter(|d| d.code == codes::SYNTAX_ERROR && d.span.file == id)
            .map(|d| {
                (
                    sources.get(id).line_col(d.span.range.start).line,
                    d.message.clone(),
                )
            })
            .collect();
        let first = ours.iter().map(|(line, _)| *line).min();
        match &verdict {
            Some((file, line, message)) if file == S && is_grammar_message(message) => {
                compared += 1;
                if first == Some(*line) {
                    continue;
                }
                // A false condition: httpd skips the body and names the
                // conditional's opening line ("Expected </IfModule> but saw ...",
                // "Expected </FilesMatch> but saw </IfModule>"); lint403 names
                // the offending line inside it.
                let tree = lint403_apache::parse(&mutant);
                let conditional_opener = message.starts_with("Expected </")
                    && first.is_some_and(|ours_line| {
                        conditional_starting_at(&tree, &mutant, *line, ours_line)
                    });
                if conditional_opener {
                    skipped_conditional += 1;
                } else {
                    failures.push(format!(
                        "#{round} {path}: httpd line {line} {message:?}; lint403 {ours:?}"
                    ));
                }
            }
            None => {
                compared += 1;
                if let Some(line) = first {
                    let tree = lint403_apache::parse(&mutant);
                    if inside_conditional(&tree, &mutant, line) {
                        skipped_conditional += 1;
                    } else {
                        failures.push(format!("#{round} {path}: httpd accepts; lint403 {ours:?}"));
                    }
                }
            }
            // Another error came first (an include this machine lacks, a
            // module not loaded): nothing to compare.
            Some(_) => {}
        }
    }
    eprintln!(
        "{compared} mutants compared, {skipped_conditional} inside conditional sections skipped"
    );
    assert!(compared >= 100, "only {compared} mutants could be compared");
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Whether a conditional section opens on `opener` and holds `line`.
fn conditional_starting_at(
    tree: &lint403_apache::ParsedFile,
    text: &str,
    opener: usize,
    line: usize,
) -> bool {
    let file = lint403_core::SourceFile::from_bytes("m", text.as_bytes().to_vec());
    tree.walk().any(|(_, visit)| match visit {
        lint403_apache::syntax::Visit::Enter(lint403_apache::syntax::Node::Section(section))
            if section.kind.is_conditional() =>
        {
            let start = file.line_col(section.open.line.range().start).line;
            let end = section.close.as_ref().map_or(usize::MAX, |close| {
                file.line_col(close.line.range().start).line
            });
            start == opener && (start..=end).contains(&line)
        }
        _ => false,
    })
}

/// Whether `line` lies inside a conditional section of `tree`.
fn inside_conditional(tree: &lint403_apache::ParsedFile, text: &str, line: usize) -> bool {
    let file = lint403_core::SourceFile::from_bytes("m", text.as_bytes().to_vec());
    tree.walk().any(|(_, visit)| match visit {
        lint403_apache::syntax::Visit::Enter(lint403_apache::syntax::Node::Section(section))
            if section.kind.is_conditional() =>
        {
            let start = file.line_col(section.open.line.range().start).line;
            let end = section.close.as_ref().map_or(usize::MAX, |close| {
                file.line_col(close.line.range().start).line
            });
            (start..=end).contains(&line)
        }
        _ => false,
    })
}
