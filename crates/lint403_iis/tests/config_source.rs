//! `configSource`: files found, read, parsed and linked; missing, unreadable,
//! absolute, escaping, mismatched and cyclic ones reported on the attribute.

use std::path::{Path, PathBuf};

use lint403_core::read::read_source;
use lint403_core::{CheckOptions, Diagnostic, Severity, SourceMap};
use lint403_iis::{check, load};

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("lint403-iis-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    fn write(&self, relative: &str, text: &str) -> PathBuf {
        let path = self.0.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("parent dir");
        }
        std::fs::write(&path, text).expect("write");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(web_config: &Path) -> (SourceMap, lint403_core::CheckOutput) {
    let mut sources = SourceMap::new();
    let file = sources.add(read_source(web_config).expect("readable"));
    let output = check(&mut sources, file, &CheckOptions::default());
    (sources, output)
}

fn codes(diagnostics: &[Diagnostic]) -> Vec<&'static str> {
    diagnostics.iter().map(|d| d.code.code).collect()
}

fn spanned<'s>(sources: &'s SourceMap, diagnostic: &Diagnostic) -> &'s str {
    let text = &sources.get(diagnostic.span.file).text;
    &text[diagnostic.span.range.start..diagnostic.span.range.end]
}

#[test]
fn a_config_source_file_is_read_parsed_and_linked() {
    let dir = TempDir::new("found");
    let web = dir.write(
        "web.config",
        "<configuration>\n  <connectionStrings configSource=\"Config\\cs.config\" />\n</configuration>\n",
    );
    dir.write(
        "Config/cs.config",
        "<?xml version=\"1.0\"?>\n<connectionStrings><add name=\"db\"/></connectionStrings>\n",
    );
    let mut sources = SourceMap::new();
    let file = sources.add(read_source(&web).expect("readable"));
    let loaded = load(&mut sources, file, &CheckOptions::default());
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    assert_eq!(loaded.files.len(), 2);
    let link = &loaded.links[0];
    assert_eq!(link.section, "connectionStrings");
    assert_eq!(link.value, "Config\\cs.config");
    assert_eq!(link.element_path, vec![1]);
    let target = link.target.expect("loaded");
    assert!(sources.get(target).path.ends_with("Config/cs.config"));
    let included = loaded.document(target).expect("well-formed");
    assert_eq!(included.root.name.as_str(), "connectionStrings");
    let section = loaded
        .document(file)
        .and_then(|d| d.root.child_elements().next())
        .expect("section");
    assert_eq!(
        loaded.config_source_target(file, section.start_tag),
        Some(target)
    );

    let (_, output) = run(&web);
    assert!(output.diagnostics.is_empty());
    assert_eq!(output.parsed.len(), 2);
    assert_eq!(output.included.len(), 1);
}

#[test]
fn a_path_in_another_case_is_found_as_on_windows() {
    let dir = TempDir::new("case");
    let web = dir.write(
        "web.config",
        "<configuration><appSettings configSource=\"CONFIG\\App.Config\"/></configuration>",
    );
    dir.write("config/app.config", "<appSettings/>");
    let (_, output) = run(&web);
    assert!(output.diagnostics.is_empty(), "{:?}", output.diagnostics);
    assert_eq!(output.included.len(), 1);
}

#[test]
fn a_missing_file_is_an_unresolved_include_on_the_value() {
    let dir = TempDir::new("missing");
    let web = dir.write(
        "web.config",
        "<configuration><appSettings configSource=\"nope.config\"/></configuration>",
    );
    let (sources, output) = run(&web);
    assert_eq!(codes(&output.diagnostics), ["P003"]);
    let diagnostic = &output.diagnostics[0];
    assert_eq!(diagnostic.severity, Severity::Error);
    assert_eq!(spanned(&sources, diagnostic), "nope.config");
    assert!(
        diagnostic
            .message
            .starts_with("Unable to open configSource file"),
        "{}",
        diagnostic.message
    );
    assert_eq!(output.parsed.len(), 1, "the web.config itself is fine");
}

#[test]
fn absolute_and_escaping_paths_are_refused_unread() {
    let dir = TempDir::new("absolute");
    dir.write("outside.config", "<appSettings/>");
    let inner = TempDir::new("absolute-inner");
    let web = inner.write(
        "web.config",
        &format!(
            "<configuration><a configSource=\"C:\\inetpub\\a.config\"/><b configSource=\"/etc/passwd\"/><c configSource=\"..\\{}\\outside.config\"/><d configSource=\"x\\..\\..\\y.config\"/></configuration>",
            dir.0.file_name().and_then(|n| n.to_str()).unwrap_or_default()
        ),
    );
    let (sources, output) = run(&web);
    assert_eq!(codes(&output.diagnostics), ["P002", "P002", "P002", "P002"]);
    assert!(output.diagnostics[0]
        .message
        .contains("must be a relative physical path"));
    assert!(output.diagnostics[2].message.contains("climbs out"));
    assert_eq!(spanned(&sources, &output.diagnostics[1]), "/etc/passwd");
    assert!(output.included.is_empty());
}

#[test]
fn the_included_root_must_be_the_section() {
    let dir = TempDir::new("mismatch");
    let web = dir.write(
        "web.config",
        "<configuration><appSettings configSource=\"a.config\"/></configuration>",
    );
    dir.write("a.config", "<appsettings><add key=\"k\"/></appsettings>");
    let (sources, output) = run(&web);
    assert_eq!(codes(&output.diagnostics), ["P002"]);
    let diagnostic = &output.diagnostics[0];
    assert_eq!(spanned(&sources, diagnostic), "appsettings");
    assert!(sources.get(diagnostic.span.file).path.ends_with("a.config"));
    assert_eq!(diagnostic.related.len(), 1);
    assert!(diagnostic.message.contains("expected <appSettings>"));
}

#[test]
fn a_section_with_config_source_holds_nothing_else() {
    let dir = TempDir::new("bare");
    let web = dir.write(
        "web.config",
        "<configuration><appSettings configSource=\"a.config\" file=\"b.config\"/><x configSource=\"x.config\"><y/></x></configuration>",
    );
    dir.write("a.config", "<appSettings/>");
    dir.write("x.config", "<x/>");
    let (sources, output) = run(&web);
    assert_eq!(codes(&output.diagnostics), ["P002", "P002"]);
    assert_eq!(
        spanned(&sources, &output.diagnostics[0]),
        "file=\"b.config\""
    );
    assert_eq!(spanned(&sources, &output.diagnostics[1]), "<y/>");
    assert!(output.diagnostics[0]
        .message
        .starts_with("A section using 'configSource' may contain no other attributes or elements"));
}

#[test]
fn cycles_are_reported_once_and_not_followed() {
    let dir = TempDir::new("cycle");
    let web = dir.write(
        "web.config",
        "<configuration><s configSource=\"a.config\"/></configuration>",
    );
    dir.write("a.config", "<s configSource=\"b.config\"/>");
    dir.write("b.config", "<s configSource=\"a.config\"/>");
    let (sources, output) = run(&web);
    assert_eq!(codes(&output.diagnostics), ["P007"]);
    assert!(sources
        .get(output.diagnostics[0].span.file)
        .path
        .ends_with("b.config"));
    assert_eq!(output.included.len(), 2);

    let itself = dir.write(
        "self.config",
        "<configuration configSource=\"self.config\"/>",
    );
    let (_, output) = run(&itself);
    assert_eq!(codes(&output.diagnostics), ["P007"]);
}

#[test]
fn unreadable_targets_are_file_unreadable_with_the_reason() {
    let dir = TempDir::new("unreadable");
    std::fs::create_dir_all(dir.0.join("adir")).expect("dir");
    let fifo = dir.0.join("pipe.config");
    let made_fifo = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.0.join("gone.config"), dir.0.join("dangling.config"))
        .expect("symlink");
    let web = dir.write(
        "web.config",
        "<configuration><a configSource=\"adir\"/><b configSource=\"pipe.config\"/><c configSource=\"dangling.config\"/></configuration>",
    );
    let (_, output) = run(&web);
    let expected: &[&str] = if made_fifo {
        &["P006", "P006", "P006"]
    } else {
        &["P006", "P003", "P006"]
    };
    assert_eq!(
        codes(&output.diagnostics),
        expected,
        "{:?}",
        output.diagnostics
    );
    assert!(output.diagnostics[0].message.contains("is a directory"));
    if made_fifo {
        assert!(output.diagnostics[1].message.contains("not a regular file"));
    }
    assert!(output.diagnostics[2].message.contains("dangling"));
}

#[test]
fn broken_included_files_get_their_own_diagnostics() {
    let dir = TempDir::new("broken");
    let web = dir.write(
        "web.config",
        "<configuration><a configSource=\"a.config\"/><b configSource=\"b.config\"/></configuration>",
    );
    dir.write("a.config", "<a><unclosed></a>");
    dir.write("b.config", "<!DOCTYPE b [<!ENTITY e \"x\">]><b>&e;</b>");
    let (sources, output) = run(&web);
    assert_eq!(codes(&output.diagnostics), ["P001", "P009"]);
    assert!(sources
        .get(output.diagnostics[0].span.file)
        .path
        .ends_with("a.config"));
    assert!(sources
        .get(output.diagnostics[1].span.file)
        .path
        .ends_with("b.config"));
    assert_eq!(output.parsed.len(), 1);
    assert_eq!(output.included.len(), 2);
}

#[test]
fn a_broken_web_config_is_not_followed() {
    let dir = TempDir::new("not-followed");
    let web = dir.write(
        "web.config",
        "<configuration><a configSource=\"missing.config\"/>",
    );
    let (_, output) = run(&web);
    assert_eq!(codes(&output.diagnostics), ["P001"]);
    assert!(output.parsed.is_empty());
}

#[test]
fn include_root_overrides_the_base_directory() {
    let dir = TempDir::new("root");
    let web = dir.write(
        "site/web.config",
        "<configuration><a configSource=\"a.config\"/></configuration>",
    );
    dir.write("elsewhere/a.config", "<a/>");
    let mut sources = SourceMap::new();
    let file = sources.add(read_source(&web).expect("readable"));
    let options = CheckOptions {
        include_root: Some(dir.0.join("elsewhere")),
        ..CheckOptions::default()
    };
    let output = check(&mut sources, file, &options);
    assert!(output.diagnostics.is_empty(), "{:?}", output.diagnostics);
    assert_eq!(output.included.len(), 1);
}
