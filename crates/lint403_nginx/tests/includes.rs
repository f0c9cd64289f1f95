//! `include`: resolution against the prefix, globs, missing and unreadable
//! files, cycles, limits, absolute paths, and the links kept for later
//! passes.

mod common;

use std::path::PathBuf;

use common::{assert_well_formed, check_path, summary, TempDir};
use lint403_core::{read, CheckOptions, Severity, SourceMap};

fn codes(rows: &[(String, String, usize, String)]) -> Vec<&str> {
    rows.iter().map(|(code, ..)| code.as_str()).collect()
}

#[test]
fn relative_includes_resolve_against_the_main_configuration_directory() {
    let dir = TempDir::new("prefix");
    let main = dir.write(
        "nginx.conf",
        "events {}\nhttp {\ninclude conf.d/*.conf;\n}\n",
    );
    dir.write(
        "conf.d/site.conf",
        "server {\ninclude snippets/acl.conf;\n}\n",
    );
    dir.write("snippets/acl.conf", "deny all;\n");
    // Relative to the including file this would exist, but nginx does not
    // look there.
    dir.write("conf.d/snippets/other.conf", "deny all;\n");
    let (sources, output) = check_path(&main, &CheckOptions::default());
    assert_eq!(summary(&sources, &output), vec![]);
    assert_eq!(output.included.len(), 2);
    assert_eq!(output.parsed.len(), 3);

    dir.write(
        "conf.d/site.conf",
        "server {\ninclude snippets/other.conf;\n}\n",
    );
    let (sources, output) = check_path(&main, &CheckOptions::default());
    assert_well_formed(&sources, &output);
    let rows = summary(&sources, &output);
    assert_eq!(codes(&rows), vec!["P003"]);
    let expected = format!(
        "open() \"{}\" failed (2: No such file or directory)",
        dir.path().join("snippets/other.conf").display()
    );
    assert_eq!(rows[0].3, expected);
    assert_eq!(rows[0].1, "site.conf");
    assert_eq!(output.diagnostics[0].severity, Severity::Error);
}

#[test]
fn included_files_are_checked_in_the_context_of_the_include() {
    let dir = TempDir::new("context");
    let main = dir.write(
        "nginx.conf",
        "events {}\nhttp {\ninclude acl.conf;\nserver {\nlocation / {\nif ($uri) {\ninclude acl.conf;\n}\n}\n}\n}\n",
    );
    dir.write("acl.conf", "deny all;\n");
    let (sources, output) = check_path(&main, &CheckOptions::default());
    let rows = summary(&sources, &output);
    assert_eq!(
        rows,
        vec![(
            "P002".to_string(),
            "acl.conf".to_string(),
            1,
            "\"deny\" directive is not allowed here".to_string()
        )]
    );
}

#[test]
fn an_empty_glob_is_silent_and_matches_come_sorted() {
    let dir = TempDir::new("glob");
    let main = dir.write(
        "nginx.conf",
        "events {}\nhttp {\ninclude none/*.conf;\ninclude sites/*;\n}\n",
    );
    dir.write("sites/b", "server {\n}\n");
    dir.write("sites/a", "server {\n}\n");
    dir.write("sites/.hidden", "server {\n}\n");
    let mut sources = SourceMap::new();
    let id = sources.add(read::read_source(&main).unwrap_or_else(|e| panic!("{e}")));
    let config = lint403_nginx::load(&mut sources, id, &CheckOptions::default());
    assert!(config.diagnostics.is_empty(), "{:?}", config.diagnostics);
    let text = sources.get(id).text.clone();
    let includes: Vec<_> = config
        .files
        .first()
        .map(|root| {
            root.tree
                .walk()
                .filter(|(_, directive)| directive.name(&text) == "include")
                .map(|(_, directive)| config.include_targets(id, directive).to_vec())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(includes.len(), 2);
    assert!(includes[0].is_empty());
    let names: Vec<PathBuf> = includes[1]
        .iter()
        .map(|&target| sources.get(target).path.clone())
        .collect();
    assert_eq!(
        names,
        vec![dir.path().join("sites/a"), dir.path().join("sites/b")]
    );
    assert_eq!(config.root_context, lint403_nginx::Context::Main);
}

#[test]
fn include_in_map_and_types_loads_entries() {
    let dir = TempDir::new("entries");
    let main = dir.write(
        "nginx.conf",
        "events {}\nhttp {\ninclude mime.types;\nmap $http_user_agent $bad {\ndefault 0;\ninclude bots.map;\n}\n}\n",
    );
    dir.write("mime.types", "types {\ntext/html html htm;\n}\n");
    dir.write("bots.map", "~*evilbot 1;\n\"~*bad bot\" 1;\n");
    let (sources, output) = check_path(&main, &CheckOptions::default());
    assert_eq!(summary(&sources, &output), vec![]);
    assert_eq!(output.included.len(), 2);
}

#[test]
fn include_cycles_are_reported_once_and_not_followed() {
    let dir = TempDir::new("cycle");
    let main = dir.write(
        "nginx.conf",
        "events {}\nhttp {\ninclude conf.d/*.conf;\n}\n",
    );
    dir.write("conf.d/a.conf", "include conf.d/b.conf;\n");
    dir.write("conf.d/b.conf", "include conf.d/a.conf;\n");
    let (sources, output) = check_path(&main, &CheckOptions::default());
    assert_well_formed(&sources, &output);
    let rows = summary(&sources, &output);
    assert_eq!(codes(&rows), vec!["P007"], "{rows:?}");
    assert_eq!(rows[0].1, "b.conf");

    // A file that includes its own directory's glob.
    let dir = TempDir::new("self-glob");
    let main = dir.write(
        "nginx.conf",
        "events {}\nhttp {\ninclude conf.d/*.conf;\n}\n",
    );
    dir.write("conf.d/all.conf", "include conf.d/*.conf;\n");
    let (sources, output) = check_path(&main, &CheckOptions::default());
    assert_eq!(codes(&summary(&sources, &output)), vec!["P007"]);
}

#[test]
fn siblings_of_one_glob_may_include_each_other() {
    let dir = TempDir::new("siblings");
    let main = dir.write(
        "nginx.conf",
        "events {}\nhttp {\ninclude conf.d/*.conf;\n}\n",
    );
    dir.write("conf.d/a.conf", "include conf.d/b.conf;\n");
    dir.write("conf.d/b.conf", "server_tokens off;\n");
    let (sources, output) = check_path(&main, &CheckOptions::default());
    assert_eq!(summary(&sources, &output), vec![]);
}

#[test]
fn include_depth_is_limited() {
    let dir = TempDir::new("depth");
    let main = dir.write("nginx.conf", "events {}\nhttp {\ninclude f0.conf;\n}\n");
    for level in 0..80 {
        dir.write(
            &format!("f{level}.conf"),
            &format!("include f{}.conf;\n", level + 1),
        );
    }
    dir.write("f80.conf", "server_tokens off;\n");
    let (sources, output) = check_path(&main, &CheckOptions::default());
    assert_well_formed(&sources, &output);
    assert_eq!(codes(&summary(&sources, &output)), vec!["P008"]);
    assert_eq!(
        output.included.len(),
        lint403_nginx::load::MAX_INCLUDE_DEPTH
    );
}

#[test]
fn a_glob_of_ten_thousand_files_is_read() {
    let dir = TempDir::new("many");
    let main = dir.write("nginx.conf", "events {}\nhttp {\ninclude many/*.conf;\n}\n");
    for index in 0..10_000 {
        dir.write(&format!("many/{index:05}.conf"), "server_tokens off;\n");
    }
    let started = std::time::Instant::now();
    let (sources, output) = check_path(&main, &CheckOptions::default());
    assert_eq!(summary(&sources, &output), vec![]);
    assert_eq!(output.included.len(), 10_000);
    assert!(
        started.elapsed().as_secs() < 60,
        "took {:?}",
        started.elapsed()
    );
}

/// A glob of many files is read ahead on several threads; what comes out
/// must be what reading them one include at a time gives: the same files
/// in the same order, a file reached twice (a symlink to a sibling) read
/// once, unreadable ones and a cycle reported the same way.
#[test]
fn a_large_glob_reads_as_its_files_one_by_one() {
    let dir = TempDir::new("ahead");
    let mut names = Vec::new();
    for index in 0..12 {
        let name = format!("{index:02}.conf");
        let text = match index {
            3 => "include conf.d/*.conf;\n".to_string(),
            7 => "include conf.d/09.conf;\n".to_string(),
            _ => format!("server {{ listen {}; }}\n", 20000 + index),
        };
        dir.write(&format!("conf.d/{name}"), &text);
        names.push(name);
    }
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(
            dir.path().join("conf.d/05.conf"),
            dir.path().join("conf.d/05b.conf"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink(
            dir.path().join("conf.d/missing"),
            dir.path().join("conf.d/06b.conf"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        names.push("05b.conf".to_string());
        names.push("06b.conf".to_string());
    }
    names.sort();
    let glob = dir.write(
        "nginx.conf",
        "events {}\nhttp {\ninclude conf.d/*.conf;\n}\n",
    );
    let one_by_one = names.iter().fold(String::new(), |mut text, name| {
        text.push_str("include conf.d/");
        text.push_str(name);
        text.push_str(";\n");
        text
    });
    let listed = dir.write(
        "listed.conf",
        &format!("events {{}}\nhttp {{\n{one_by_one}}}\n"),
    );
    let outcome = |main: &std::path::Path| {
        let (sources, output) = check_path(main, &CheckOptions::default());
        assert_well_formed(&sources, &output);
        let included: Vec<String> = output
            .included
            .iter()
            .map(|id| sources.get(*id).path.display().to_string())
            .collect();
        let rows: Vec<(String, String)> = summary(&sources, &output)
            .into_iter()
            .map(|(code, file, ..)| (code, file))
            .collect();
        (included, rows)
    };
    let (ahead, ahead_rows) = outcome(&glob);
    let (listed_files, mut listed_rows) = outcome(&listed);
    // The same findings, the ones on the main file aside of its name.
    for (_, file) in &mut listed_rows {
        if file == "listed.conf" {
            *file = "nginx.conf".to_string();
        }
    }
    assert_eq!(ahead, listed_files);
    assert_eq!(ahead_rows, listed_rows);
    assert!(
        ahead_rows.iter().any(|(code, _)| code == "P007"),
        "{ahead_rows:?}"
    );
    #[cfg(unix)]
    assert!(
        ahead_rows.iter().any(|(code, _)| code == "P006"),
        "{ahead_rows:?}"
    );
}

#[test]
fn unreadable_includes_are_reported_on_the_include() {
    let dir = TempDir::new("unreadable");
    let main = dir.write(
        "nginx.conf",
        "events {}\nhttp {\ninclude dir.conf;\ninclude fifo.conf;\ninclude dangling.conf;\n}\n",
    );
    std::fs::create_dir_all(dir.path().join("dir.conf")).unwrap_or_else(|e| panic!("{e}"));
    let fifo = dir.path().join("fifo.conf");
    let made_fifo = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|status| status.success());
    #[cfg(unix)]
    std::os::unix::fs::symlink(
        dir.path().join("missing-target"),
        dir.path().join("dangling.conf"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let (sources, output) = check_path(&main, &CheckOptions::default());
    assert_well_formed(&sources, &output);
    let rows = summary(&sources, &output);
    let lines: Vec<(String, usize)> = rows
        .iter()
        .map(|(code, _, line, _)| (code.clone(), *line))
        .collect();
    let mut expected = vec![("P006".to_string(), 3)];
    if made_fifo {
        expected.push(("P006".to_string(), 4));
    }
    expected.push(("P006".to_string(), 5));
    assert_eq!(lines, expected, "{rows:?}");
    assert!(rows[0].3.contains("is a directory"), "{}", rows[0].3);
    assert!(
        rows.last().is_some_and(|row| row.3.contains("dangling")),
        "{rows:?}"
    );
}

#[test]
fn absolute_includes_are_read_only_through_the_path_map() {
    let dir = TempDir::new("absolute");
    let main = dir.write(
        "nginx.conf",
        "events {}\nhttp {\ninclude /etc/nginx/conf.d/*.conf;\ninclude /etc/other/x.conf;\n}\n",
    );
    dir.write("deploy/conf.d/site.conf", "server {\nlisten 80;\n}\n");
    let options = CheckOptions {
        path_map: vec![(PathBuf::from("/etc/nginx"), dir.path().join("deploy"))],
        ..CheckOptions::default()
    };
    let (sources, output) = check_path(&main, &options);
    assert_well_formed(&sources, &output);
    let rows = summary(&sources, &output);
    assert_eq!(codes(&rows), vec!["P003"]);
    assert_eq!(rows[0].2, 4);
    assert_eq!(output.diagnostics[0].severity, Severity::Info);
    assert_eq!(output.included.len(), 1);
}

#[test]
fn a_fragment_resolves_includes_from_the_directory_of_the_nearest_nginx_conf() {
    let dir = TempDir::new("fragment");
    dir.write(
        "nginx.conf",
        "events {}\nhttp {\ninclude sites-enabled/*;\n}\n",
    );
    let site = dir.write(
        "sites-enabled/example",
        "server {\nlisten 80;\ninclude snippets/php.conf;\nlocation / {\n}\n}\n",
    );
    dir.write("snippets/php.conf", "index index.php;\n");
    let (sources, output) = check_path(&site, &CheckOptions::default());
    assert_eq!(summary(&sources, &output), vec![]);
    assert_eq!(output.included.len(), 1);
    // A fragment that only includes others takes its context from them.
    let only_include = dir.write("sites-enabled/wrapper", "include snippets/php.conf;\n");
    let (sources, output) = check_path(&only_include, &CheckOptions::default());
    assert_eq!(summary(&sources, &output), vec![]);
}

#[test]
fn syntax_errors_in_included_files_are_theirs() {
    let dir = TempDir::new("syntax");
    let main = dir.write("nginx.conf", "events {}\nhttp {\ninclude broken.conf;\n}\n");
    dir.write("broken.conf", "server {\nlisten 80\n}\n}\n");
    let (sources, output) = check_path(&main, &CheckOptions::default());
    let rows = summary(&sources, &output);
    assert_eq!(
        rows,
        vec![
            (
                "P001".to_string(),
                "broken.conf".to_string(),
                3,
                "unexpected \"}\"".to_string()
            ),
            (
                "P001".to_string(),
                "broken.conf".to_string(),
                4,
                "unexpected \"}\"".to_string()
            )
        ]
    );
    assert_eq!(output.parsed.len(), 1);
    assert_eq!(output.included.len(), 1);
}
