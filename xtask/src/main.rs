//! `cargo xtask <task>`: the project's own tasks (see `cargo xtask help`).

mod bench;
mod corpus;
mod docs;
mod mutants;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  bench [--scale N]
                parser MB/s per core and peak memory per dialect on
                bench/gen.py output (default scale 10), beside nginx -t
  mutants DIR [--count N] [--seed S]
                break accepted corpus files (a dropped or added ; { } quote
                < >) and compare lint403 with nginx -t / apache2 -t on each
  docs [--check]
                write docs/rules/*.md and docs/codes.md from the code
                registry; --check fails when they are stale
  corpus DIR    compare lint403's syntax verdicts with nginx -t / apache2 -t
                on the corpus in DIR (its SYNTAX.tsv); fails on a mismatch
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("corpus") => match args.get(1) {
            Some(dir) => corpus::run(std::path::Path::new(dir)),
            None => Err("corpus: name the corpus directory".to_string()),
        },
        Some("bench") => bench::run(&workspace_root(), &args[1..]),
        Some("bench-peak") => bench::peak(&args[1..]),
        Some("mutants") => match args.get(1) {
            Some(dir) => mutants::run(std::path::Path::new(dir), &args[2..]),
            None => Err("mutants: name the corpus directory".to_string()),
        },
        Some("docs") => docs::run(
            &workspace_root(),
            args.get(1).is_some_and(|flag| flag == "--check"),
        ),
        Some("help" | "--help" | "-h") | None => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(format!("unknown task `{other}`\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: xtask's manifest sits one directory below it.
fn workspace_root() -> std::path::PathBuf {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The value after `--name` among a task's arguments.
fn option(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|arg| arg == name)
        .and_then(|at| args.get(at + 1).cloned())
}
