//! Loading: includes (order, wildcards, directories, cycles, limits,
//! unreadable files, absolute paths), `.htaccess` and fragment contexts,
//! and the `check` contract.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use lint403_apache::syntax::Node;
use lint403_apache::{check, is_htaccess_name, load, Context};
use lint403_core::{codes, CheckOptions, Code, Severity, SourceMap};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

struct Tree {
    dir: PathBuf,
}

impl Tree {
    fn new() -> Tree {
        let dir = std::env::temp_dir().join(format!(
            "lint403-apache-load-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        Tree { dir }
    }

    fn write(&self, name: &str, content: &str) -> PathBuf {
        let path = self.dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(&path, content).unwrap_or_else(|e| panic!("{e}"));
        path
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

struct Checked {
    sources: SourceMap,
    output: lint403_core::CheckOutput,
}

impl Checked {
    /// (file name relative to `base`, line, code, message) of each diagnostic.
    fn found(&self, base: &Path) -> Vec<(String, usize, Code, Severity, String)> {
        let mut found: Vec<_> = self
            .output
            .diagnostics
            .iter()
            .map(|d| {
                let file = self.sources.get(d.span.file);
                let name = file
                    .path
                    .strip_prefix(base)
                    .unwrap_or(&file.path)
                    .display()
                    .to_string();
                (
                    name,
                    file.line_col(d.span.range.start).line,
                    d.code,
                    d.severity,
                    d.message.clone(),
                )
            })
            .collect();
        found.sort_by(|a, b| (&a.0, a.1, a.2.code).cmp(&(&b.0, b.1, b.2.code)));
        found
    }

    fn codes(&self) -> Vec<&'static str> {
        self.output
            .diagnostics
            .iter()
            .map(|d| d.code.code)
            .collect()
    }
}

fn run(path: &Path, options: &CheckOptions) -> Checked {
    let mut sources = SourceMap::new();
    let source = lint403_core::read::read_source(path).unwrap_or_else(|e| panic!("{e}"));
    let id = sources.add(source);
    let output = check(&mut sources, id, options);
    for diagnostic in &output.diagnostics {
        assert!(
            diagnostic.help.as_deref().is_some_and(|h| !h.is_empty()),
            "{diagnostic:?}"
        );
        assert!(diagnostic.label.is_some(), "{diagnostic:?}");
    }
    Checked { sources, output }
}

fn rooted(tree: &Tree) -> CheckOptions {
    CheckOptions {
        include_root: Some(tree.dir.clone()),
        ..CheckOptions::default()
    }
}

#[test]
fn includes_are_read_in_order_sharing_variables() {
    let tree = Tree::new();
    let main = tree.write(
        "httpd.conf",
        "Include conf.d/*.conf\n<Directory /srv>\nRequire ${WHO}\n</Directory>\n",
    );
    tree.write("conf.d/b.conf", "Define WHO \"all denied\"\n");
    tree.write("conf.d/a.conf", "Define WHO \"all granted\"\n");
    tree.write("conf.d/.hidden.conf", "</Files>\n");
    tree.write("conf.d/c.conf~", "</Files>\n");
    let checked = run(&main, &CheckOptions::default());
    assert!(
        checked.output.diagnostics.is_empty(),
        "{:?}",
        checked.found(&tree.dir)
    );
    assert_eq!(checked.output.included.len(), 2);
    let mut sources = SourceMap::new();
    let id = sources.add(lint403_core::read::read_source(&main).unwrap_or_else(|e| panic!("{e}")));
    let loaded = load(&mut sources, id, &CheckOptions::default());
    assert_eq!(loaded.context, Context::Server);
    let names: Vec<String> = loaded
        .files
        .iter()
        .map(|f| {
            sources
                .get(f.file)
                .path
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(names, ["httpd.conf", "a.conf", "b.conf"]);
    let root_text = sources.get(id).text.clone();
    let Some(Node::Directive(include)) = loaded.files[0].tree.nodes.first() else {
        panic!("Include expected")
    };
    assert!(include.is(&root_text, "Include"));
    let targets: Vec<usize> = include.included().iter().map(|t| t.loaded).collect();
    assert_eq!(targets, [1, 2]);
    // The last Define (b.conf) wins for the lines after the include.
    let Some(Node::Section(section)) = loaded.files[0].tree.nodes.get(1) else {
        panic!("Directory expected")
    };
    let Some(Node::Directive(require)) = section.body.first() else {
        panic!("Require expected")
    };
    assert_eq!(
        require.arg_values(&root_text).collect::<Vec<_>>(),
        ["all", "denied"]
    );
}

#[test]
fn a_directory_include_reads_everything_below_it() {
    let tree = Tree::new();
    let main = tree.write("main.conf", "Include d\n");
    tree.write("d/a.conf", "RewriteEngine On\n");
    tree.write("d/sub/.x", "</Files>\n");
    tree.write("d/b.conf~", "RewriteEngine Off\n");
    let checked = run(&main, &rooted(&tree));
    let found = checked.found(&tree.dir);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].0.as_str(), found[0].1, found[0].2),
        ("d/sub/.x", 1, codes::SYNTAX_ERROR)
    );
    assert_eq!(checked.output.included.len(), 3);
    // The file with the syntax error is not in `parsed`.
    assert_eq!(checked.output.parsed.len(), 3);
}

#[test]
fn include_failures_in_httpd_words() {
    let tree = Tree::new();
    let main = tree.write(
        "main.conf",
        "Include missing.conf\nInclude nodir/*.conf\nInclude empty/*.conf\nIncludeOptional missing.conf\nIncludeOptional nodir/*.conf\nIncludeOptional empty/*.conf\nInclude\n",
    );
    tree.write("empty/README", "");
    let found = run(&main, &rooted(&tree)).found(&tree.dir);
    let summary: Vec<(usize, &str, Severity)> =
        found.iter().map(|d| (d.1, d.2.code, d.3)).collect();
    assert_eq!(
        summary,
        [
            (1, "P003", Severity::Error),
            (2, "P003", Severity::Error),
            (3, "P003", Severity::Error),
            (7, "P002", Severity::Error)
        ]
    );
    assert!(found[0].4.starts_with("Could not open configuration file"));
    assert!(found[1]
        .4
        .starts_with("Include/IncludeOptional: Could not open directory"));
    assert!(found[2].4.contains("No matches for the wildcard '*.conf'"));
}

#[test]
fn include_cycles_and_depth() {
    let tree = Tree::new();
    let main = tree.write("a.conf", "Include b.conf\n");
    tree.write("b.conf", "RewriteEngine On\nInclude a.conf\n");
    let checked = run(&main, &rooted(&tree));
    let found = checked.found(&tree.dir);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].0.as_str(), found[0].1, found[0].2),
        ("b.conf", 2, codes::INCLUDE_CYCLE)
    );
    let self_include = tree.write("self.conf", "Include self.conf\n");
    assert_eq!(run(&self_include, &rooted(&tree)).codes(), ["P007"]);

    let chain = Tree::new();
    let count = lint403_apache::MAX_INCLUDE_DEPTH + 5;
    for index in 0..count {
        chain.write(
            &format!("f{index}.conf"),
            &format!("Include f{}.conf\n", index + 1),
        );
    }
    chain.write(&format!("f{count}.conf"), "");
    let checked = run(&chain.dir.join("f0.conf"), &rooted(&chain));
    assert_eq!(checked.codes(), ["P008"]);
    assert!(checked.output.diagnostics[0]
        .message
        .contains("Exceeded maximum include depth of 128"));
}

#[test]
fn ten_thousand_files_from_one_wildcard() {
    let tree = Tree::new();
    let main = tree.write("main.conf", "Include many/*.conf\n");
    std::fs::create_dir_all(tree.dir.join("many")).unwrap_or_else(|e| panic!("{e}"));
    for index in 0..10_000 {
        std::fs::write(
            tree.dir.join(format!("many/{index:05}.conf")),
            "RewriteEngine On\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
    let checked = run(&main, &rooted(&tree));
    assert!(checked.output.diagnostics.is_empty());
    assert_eq!(checked.output.included.len(), 10_000);
}

#[test]
fn unreadable_includes() {
    let tree = Tree::new();
    let main = tree.write(
        "main.conf",
        "Include fifo\nInclude dangling\nInclude loop\nInclude ok.conf\n",
    );
    tree.write("ok.conf", "RewriteEngine On\n");
    let fifo = tree.dir.join("fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo failed");
    std::os::unix::fs::symlink(tree.dir.join("nowhere"), tree.dir.join("dangling"))
        .unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::symlink(tree.dir.join("loop"), tree.dir.join("loop"))
        .unwrap_or_else(|e| panic!("{e}"));
    let checked = run(&main, &rooted(&tree));
    let found = checked.found(&tree.dir);
    let summary: Vec<(usize, Code)> = found.iter().map(|d| (d.1, d.2)).collect();
    assert_eq!(
        summary,
        [
            (1, codes::FILE_UNREADABLE),
            (2, codes::FILE_UNREADABLE),
            (3, codes::FILE_UNREADABLE)
        ],
        "{found:?}"
    );
    assert!(found[0].4.contains("not a regular file"));
    assert!(found[1].4.contains("dangling symbolic link"));
    // The readable include after them is still read.
    assert_eq!(checked.output.included.len(), 1);
}

#[test]
fn absolute_includes_need_a_path_map() {
    let tree = Tree::new();
    let main = tree.write("main.conf", "Include /etc/apache2/conf-enabled/*.conf\nServerRoot /etc/apache2\nInclude mods-enabled/x.conf\n");
    let checked = run(&main, &CheckOptions::default());
    let found = checked.found(&tree.dir);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found
        .iter()
        .all(|d| d.2 == codes::INCLUDE_UNRESOLVED && d.3 == Severity::Info));
    assert!(found[1].4.contains("/etc/apache2/mods-enabled/x.conf"));

    tree.write("deploy/conf-enabled/a.conf", "RewriteEngine On\n");
    tree.write("deploy/mods-enabled/x.conf", "RewriteEngine On\n");
    let options = CheckOptions {
        path_map: vec![(PathBuf::from("/etc/apache2"), tree.dir.join("deploy"))],
        ..CheckOptions::default()
    };
    let checked = run(&main, &options);
    assert!(
        checked.output.diagnostics.is_empty(),
        "{:?}",
        checked.found(&tree.dir)
    );
    assert_eq!(checked.output.included.len(), 2);
}

#[test]
fn the_default_root_is_the_directory_of_the_main_config() {
    let tree = Tree::new();
    tree.write("apache2.conf", "");
    tree.write("conf-available/x.conf", "RewriteEngine On\n");
    let site = tree.write(
        "sites-available/site.conf",
        "<VirtualHost *:80>\nInclude conf-available/x.conf\n</VirtualHost>\n",
    );
    let checked = run(&site, &CheckOptions::default());
    assert!(
        checked.output.diagnostics.is_empty(),
        "{:?}",
        checked.found(&tree.dir)
    );
    assert_eq!(checked.output.included.len(), 1);
}

#[test]
fn htaccess_context() {
    let tree = Tree::new();
    let htaccess = tree.write(
        "www/.htaccess",
        "Require all denied\n<Files x>\nRequire all granted\n</Files>\n<IfModule mod_rewrite.c>\nRewriteEngine On\nRewriteRule ^ - [F]\n</IfModule>\n<Directory /srv>\n</Directory>\n<Location />\n</Location>\n<VirtualHost *:80>\n</VirtualHost>\nDefine X y\nInclude other.conf\nAllowOverride None\nRewriteMap m txt:/x\nListen 80\n",
    );
    tree.write("www/other.conf", "</Files>\n");
    let checked = run(&htaccess, &CheckOptions::default());
    let found = checked.found(&tree.dir);
    let messages: Vec<(usize, &str)> = found.iter().map(|d| (d.1, d.4.as_str())).collect();
    assert_eq!(
        messages,
        [
            (9, "<Directory not allowed here"),
            (11, "<Location not allowed here"),
            (13, "<VirtualHost not allowed here"),
            (15, "Define not allowed here"),
            (16, "Include not allowed here"),
            (17, "AllowOverride not allowed here"),
            (18, "RewriteMap not allowed here"),
            (19, "Listen not allowed here"),
        ]
    );
    assert!(found
        .iter()
        .all(|d| d.2 == codes::DIRECTIVE_NOT_ALLOWED_HERE));
    // The Include was not followed.
    assert!(checked.output.included.is_empty());
    // The same text under another name, told it is a .htaccess.
    let renamed = tree.write(
        "www/rules.txt",
        &std::fs::read_to_string(&htaccess).unwrap_or_default(),
    );
    let options = CheckOptions {
        context: Some("htaccess".to_string()),
        ..CheckOptions::default()
    };
    assert_eq!(run(&renamed, &options).found(&tree.dir).len(), 8);
}

#[test]
fn htaccess_names() {
    for name in [
        ".htaccess",
        ".htaccess.dist",
        "htaccess.txt",
        "data__.htaccess",
        "upload__.htaccess.txt",
        "resources-root-htaccess",
    ] {
        assert!(is_htaccess_name(Path::new(name)), "{name}");
    }
    for name in [
        "httpd.conf",
        ".htaccess.server.localhost.conf",
        "site.conf",
        "README",
    ] {
        assert!(!is_htaccess_name(Path::new(name)), "{name}");
    }
}

#[test]
fn fragments_take_the_outermost_context_that_fits() {
    let tree = Tree::new();
    let cases = [
        (
            "server.conf",
            "Listen 8080\nRewriteEngine On\n",
            Context::Server,
        ),
        (
            "vhost.conf",
            "ServerAlias www.example.com\nDocumentRoot /srv\n",
            Context::VirtualHost,
        ),
        (
            "dir.conf",
            "Require all denied\nOptions -Indexes\nAllowOverride None\n",
            Context::Directory,
        ),
        (
            "broken.conf",
            "Listen 8080\nListen 8081\nRequire all denied\n",
            Context::Server,
        ),
    ];
    for (name, text, expected) in cases {
        let path = tree.write(name, text);
        let mut sources = SourceMap::new();
        let id =
            sources.add(lint403_core::read::read_source(&path).unwrap_or_else(|e| panic!("{e}")));
        let loaded = load(&mut sources, id, &CheckOptions::default());
        assert_eq!(loaded.context, expected, "{name}");
        let errors = loaded
            .diagnostics
            .iter()
            .filter(|d| d.code == codes::DIRECTIVE_NOT_ALLOWED_HERE)
            .count();
        assert_eq!(
            errors,
            usize::from(name == "broken.conf"),
            "{name}: {:?}",
            loaded.diagnostics
        );
    }
    // An explicit context wins, even when it does not fit.
    let path = tree.write("forced.conf", "Require all denied\n");
    let options = CheckOptions {
        context: Some("server".to_string()),
        ..CheckOptions::default()
    };
    let found = run(&path, &options).found(&tree.dir);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].4, "Require not allowed here");
}

#[test]
fn else_bookkeeping_crosses_includes_and_conditionals() {
    let tree = Tree::new();
    let main = tree.write(
        "main.conf",
        "<Location />\n<If \"true\">\n</If>\nInclude else.conf\n</Location>\n<Location /x>\n<Else>\n</Else>\n</Location>\n",
    );
    tree.write("else.conf", "<IfModule x.c>\n<ElseIf \"false\">\n</ElseIf>\n</IfModule>\n<Else>\n</Else>\n<Else>\n</Else>\n");
    let found = run(&main, &rooted(&tree)).found(&tree.dir);
    let summary: Vec<(&str, usize)> = found.iter().map(|d| (d.0.as_str(), d.1)).collect();
    assert_eq!(summary, [("else.conf", 7), ("main.conf", 7)], "{found:?}");
    assert!(found.iter().all(|d| d
        .4
        .starts_with("<Else> or <ElseIf> section without previous")));
}
