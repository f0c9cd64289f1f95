//! `cargo xtask mutants CORPUS [--count N] [--seed S]`: the live half of
//! parser conformance (DESIGN §6). The corpus has few files a server
//! rejects, so this breaks accepted files on purpose — drops or inserts a
//! `;`, `{`, `}`, quote, `<` or `>` — and asks the real `nginx -t` and
//! `apache2 -t` about each mutant. lint403 must agree:
//! - the server accepts the mutant → no `syntax-error`;
//! - the server names a tokenizer/grammar error → `syntax-error` on that line;
//! - the server stops at another error (a directive's arguments, say) →
//!   no `syntax-error` before that line (the server reads no further).
//!
//! Each base file is first run unmutated in the same wrapper; a base the
//! wrapper cannot load is skipped, so only mutations decide.

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use lint403::run::{self, CheckRequest};
use lint403_core::{codes, Dialect};

use crate::option;

/// How the server judged one input.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Judgement {
    Accepted,
    /// A tokenizer or block-grammar error at this line of the input.
    Syntax(usize, String),
    /// Another error at this line of the input (or `None`: elsewhere).
    Other(Option<usize>, String),
}

struct Base {
    path: PathBuf,
    dialect: Dialect,
    /// SYNTAX.tsv's `context_used`.
    context: String,
}

/// A small deterministic generator (64-bit LCG, high bits), so a run is
/// reproducible from its seed without a dependency.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

pub fn run(corpus: &Path, args: &[String]) -> Result<(), String> {
    let count: usize = option(args, "--count")
        .map_or(Ok(200), |v| v.parse())
        .map_err(|_| "--count takes a number")?;
    let seed: u64 = option(args, "--seed")
        .map_or(Ok(1), |v| v.parse())
        .map_err(|_| "--seed takes a number")?;
    let table = std::fs::read_to_string(corpus.join("SYNTAX.tsv"))
        .map_err(|error| format!("cannot read SYNTAX.tsv: {error}"))?;
    let work = std::env::temp_dir().join(format!("lint403-mutants-{}", std::process::id()));
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let result = run_in(corpus, &table, &work, count, seed);
    let _ = std::fs::remove_dir_all(&work);
    result
}

fn run_in(corpus: &Path, table: &str, work: &Path, count: usize, seed: u64) -> Result<(), String> {
    let mut failures = Vec::new();
    for dialect in [Dialect::Nginx, Dialect::Apache] {
        let bases: Vec<Base> = table
            .lines()
            .skip(1)
            .filter_map(|line| {
                let fields: Vec<&str> = line.split('\t').collect();
                let (path, server, context, verdict) = (
                    fields.first()?,
                    fields.get(1)?,
                    fields.get(2)?,
                    fields.get(3)?,
                );
                (*server == dialect.as_str() && *verdict == "ok" && !context.contains('+')).then(
                    || Base {
                        path: corpus.join(path),
                        dialect,
                        context: (*context).to_string(),
                    },
                )
            })
            .collect();
        let usable: Vec<(&Base, String)> = bases
            .iter()
            .filter_map(|base| {
                let text = std::fs::read_to_string(&base.path).ok()?;
                (judge(base, &text, work) == Judgement::Accepted).then_some((base, text))
            })
            .collect();
        if usable.is_empty() {
            return Err(format!("{dialect}: no corpus file loads in the wrapper"));
        }
        let mut rng = Lcg(seed ^ (dialect as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut tally = [0usize; 3];
        let mut placed_at_condition = 0usize;
        for index in 0..count {
            let (base, text) = &usable[rng.below(usable.len())];
            let Some(mutant) = mutate(text, &mut rng, dialect) else {
                continue;
            };
            let judgement = judge(base, &mutant, work);
            let lines = lint403_syntax_lines(base, &mutant, work, index);
            let agrees = match &judgement {
                Judgement::Accepted => {
                    tally[0] += 1;
                    lines.is_empty()
                }
                Judgement::Syntax(line, _) => {
                    tally[1] += 1;
                    // In reading order: errors found at the end of the file
                    // (sections left open) come after every other one.
                    let first = lines
                        .iter()
                        .find(|found| !found.at_end_of_file)
                        .or_else(|| lines.first())
                        .map(|found| found.line);
                    first == Some(*line)
                        || first.is_some_and(|first| {
                            let skipped = first > *line && opens_conditional(&mutant, *line);
                            if skipped {
                                placed_at_condition += 1;
                            }
                            skipped
                        })
                }
                Judgement::Other(line, _) => {
                    tally[2] += 1;
                    line.is_none_or(|line| {
                        lines
                            .iter()
                            .all(|found| found.line >= line || found.at_end_of_file)
                    })
                }
            };
            if !agrees {
                let saved = work
                    .parent()
                    .unwrap_or(work)
                    .join(format!("lint403-mutant-{dialect}-{index}.conf"));
                let _ = std::fs::write(&saved, &mutant);
                failures.push(format!(
                    "{dialect} mutant {index} of {} (kept at {}): server {judgement:?}, lint403 syntax-error lines {lines:?}",
                    base.path.display(),
                    saved.display()
                ));
            }
        }
        println!(
            "{dialect}: {count} mutants of {} files: {} accepted, {} syntax errors ({placed_at_condition} inside a false conditional section, see below), {} other errors",
            usable.len(),
            tally[0],
            tally[1],
            tally[2]
        );
    }
    for failure in &failures {
        println!("MISMATCH: {failure}");
    }
    if failures.is_empty() {
        println!("mutant conformance: OK");
        Ok(())
    } else {
        Err(format!("{} mutant(s) judged differently", failures.len()))
    }
}

/// One random edit that touches the grammar of `dialect`.
fn mutate(text: &str, rng: &mut Lcg, dialect: Dialect) -> Option<String> {
    let tokens: &[char] = match dialect {
        Dialect::Nginx => &[';', '{', '}', '"', '\'', '\\'],
        _ => &['<', '>', '"', '\'', '\\', '/'],
    };
    let wanted = tokens[rng.below(tokens.len())];
    let positions: Vec<usize> = text
        .char_indices()
        .filter(|(_, c)| *c == wanted)
        .map(|(at, _)| at)
        .collect();
    let mut mutant = text.to_string();
    if rng.below(2) == 0 && !positions.is_empty() {
        let at = positions[rng.below(positions.len())];
        mutant.remove(at);
    } else {
        let boundaries: Vec<usize> = text
            .char_indices()
            .map(|(at, _)| at)
            .chain([text.len()])
            .collect();
        let at = boundaries[rng.below(boundaries.len())];
        mutant.insert(at, wanted);
    }
    (mutant != text).then_some(mutant)
}

/// A `syntax-error` lint403 reported, by line.
#[derive(Debug)]
struct Found {
    line: usize,
    /// Found only when the end of the file was reached (a section left
    /// open, reported at its opening line): a server that stopped earlier
    /// at another error never got there.
    at_end_of_file: bool,
}

fn lint403_syntax_lines(base: &Base, mutant: &str, work: &Path, index: usize) -> Vec<Found> {
    let name = base.path.file_name().map_or_else(
        || "mutant.conf".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let dir = work.join(format!("lint-{index}"));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(name);
    if std::fs::write(&path, mutant).is_err() {
        return Vec::new();
    }
    let context = match (base.dialect, base.context.as_str()) {
        (Dialect::Nginx, "full") => Some("main".to_string()),
        (Dialect::Apache, "htaccess" | "requireall") => Some("directory".to_string()),
        (_, context) => Some(context.to_string()),
    };
    let report = run::check(&CheckRequest {
        paths: vec![path.clone()],
        dialect: Some(base.dialect),
        context,
        ..CheckRequest::default()
    });
    let _ = std::fs::remove_dir_all(&dir);
    let mut lines: Vec<Found> = report
        .diagnostics
        .iter()
        .filter(|d| d.code == codes::SYNTAX_ERROR && report.sources.get(d.span.file).path == path)
        .map(|d| Found {
            line: report
                .sources
                .get(d.span.file)
                .line_col(d.span.range.start)
                .line,
            at_end_of_file: d.message.ends_with("was not closed.")
                || d.message.ends_with("before end of configuration"),
        })
        .collect();
    lines.sort_by_key(|found| found.line);
    lines
}

/// Runs the real server's configuration test on `text` placed as the
/// base file's context says, and classifies the first error.
fn judge(base: &Base, text: &str, work: &Path) -> Judgement {
    let input = work.join("input.conf");
    if std::fs::write(&input, text).is_err() {
        return Judgement::Other(None, "cannot write input".into());
    }
    match base.dialect {
        Dialect::Nginx => judge_nginx(&base.context, &input, work),
        _ => judge_apache(&base.context, &input, work),
    }
}

fn judge_nginx(context: &str, input: &Path, work: &Path) -> Judgement {
    let include = format!("include {};", input.display());
    let main = match context {
        "full" | "main" => None,
        "http" => Some(format!("events {{}}\nhttp {{\n{include}\n}}\n")),
        "server" => Some(format!(
            "events {{}}\nhttp {{\nserver {{\nlisten 127.0.0.1:20980;\n{include}\n}}\n}}\n"
        )),
        _ => Some(format!(
            "events {{}}\nhttp {{\nserver {{\nlisten 127.0.0.1:20980;\nlocation / {{\n{include}\n}}\n}}\n}}\n"
        )),
    };
    let conf = match main {
        Some(main) => {
            let conf = work.join("nginx.conf");
            if std::fs::write(&conf, main).is_err() {
                return Judgement::Other(None, "cannot write wrapper".into());
            }
            conf
        }
        None => input.to_path_buf(),
    };
    let _ = std::fs::create_dir_all(work.join("logs"));
    let output = Command::new("nginx")
        .arg("-t")
        .arg("-q")
        .arg("-p")
        .arg(work)
        .arg("-c")
        .arg(&conf)
        .output();
    let Ok(output) = output else {
        return Judgement::Other(None, "nginx not runnable".into());
    };
    if output.status.success() {
        return Judgement::Accepted;
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let Some(message) = stderr
        .lines()
        .find_map(|line| line.split_once("[emerg] "))
        // `[emerg] PID#TID: message`
        .map(|(_, rest)| rest.split_once(": ").map_or(rest, |(_, m)| m).to_string())
    else {
        return Judgement::Other(None, stderr.into_owned());
    };
    let at_input = format!(" in {}:", input.display());
    let line = message
        .rsplit_once(&at_input)
        .and_then(|(_, line)| line.trim().parse().ok());
    let tokenizer = message.starts_with("unexpected ");
    match line {
        Some(line) if tokenizer => Judgement::Syntax(line, message),
        _ => Judgement::Other(line, message),
    }
}

fn judge_apache(context: &str, input: &Path, work: &Path) -> Judgement {
    let mut main = format!(
        "ServerRoot {0}\nPidFile {0}/pid\nErrorLog {0}/error.log\nMutex file:{0} default\nDefaultRuntimeDir {0}\n",
        work.display()
    );
    if let Ok(entries) = std::fs::read_dir("/usr/lib/apache2/modules") {
        let mut modules: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        modules.sort();
        for module in modules {
            let Some(stem) = module.file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            let Some(name) = stem.strip_prefix("mod_") else {
                continue;
            };
            if module.extension().is_some_and(|e| e == "so")
                && !matches!(name, "mpm_worker" | "mpm_prefork")
            {
                let _ = writeln!(main, "LoadModule {name}_module {}", module.display());
            }
        }
    }
    main.push_str("Listen 127.0.0.1:20981\nServerName localhost\nUser nobody\nGroup nogroup\n");
    let include = format!("Include {}", input.display());
    match context {
        "htaccess" | "directory" => {
            let _ = writeln!(
                main,
                "<Directory {}>\n{include}\n</Directory>",
                work.display()
            );
        }
        "requireall" => {
            let _ = writeln!(
                main,
                "<Directory {}>\n<RequireAll>\n{include}\n</RequireAll>\n</Directory>",
                work.display()
            );
        }
        "vhost" | "virtualhost" => {
            let _ = writeln!(
                main,
                "<VirtualHost 127.0.0.1:20981>\n{include}\n</VirtualHost>"
            );
        }
        _ => {
            let _ = writeln!(main, "{include}");
        }
    }
    let conf = work.join("httpd.conf");
    if std::fs::write(&conf, main).is_err() {
        return Judgement::Other(None, "cannot write wrapper".into());
    }
    let output = Command::new("apache2")
        .arg("-t")
        .arg("-f")
        .arg(&conf)
        .output();
    let Ok(output) = output else {
        return Judgement::Other(None, "apache2 not runnable".into());
    };
    if output.status.success() {
        return Judgement::Accepted;
    }
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    // "... Syntax error on line N of FILE:\nMESSAGE" — the innermost
    // file named is where httpd stopped.
    let marker = format!(" of {}:", input.display());
    let line = stderr
        .rsplit_once(&marker)
        .and_then(|(before, _)| before.rsplit_once("on line "))
        .and_then(|(_, line)| line.trim().parse().ok());
    let message = stderr.lines().last().unwrap_or("").to_string();
    let grammar = [
        "missing closing '>'",
        "was not closed",
        "without matching",
        "Expected </",
    ]
    .iter()
    .any(|needle| message.contains(needle));
    match line {
        Some(line) if grammar => Judgement::Syntax(line, message),
        _ => Judgement::Other(line, message),
    }
}

/// Whether 1-based `line` of `text` opens a conditional section. httpd
/// skips the body of a false `<IfModule>`/`<IfDefine>`/… and reports a
/// nesting error inside it at the section's opening line; lint403 does not
/// know which modules and defines the server has, so it reports the line
/// where the nesting breaks. The gate counts such cases separately.
fn opens_conditional(text: &str, line: usize) -> bool {
    text.lines().nth(line.wrapping_sub(1)).is_some_and(|line| {
        let line = line.trim_start().to_ascii_lowercase();
        [
            "<ifmodule",
            "<ifdefine",
            "<ifversion",
            "<iffile",
            "<ifdirective",
            "<ifsection",
        ]
        .iter()
        .any(|opener| line.starts_with(opener))
    })
}
