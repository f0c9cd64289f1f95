//! Command-line arguments and exit codes (DESIGN §5).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use lint403_core::{Dialect, Severity};

use crate::render;
use crate::run::{self, CheckRequest, Report};

#[derive(Debug, Parser)]
#[command(
    name = "lint403",
    version,
    about = "Find the configuration lines that make nginx, Apache and IIS answer 403 Forbidden"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Lint configuration files and directories.
    Check(CheckArgs),
    /// Print the documentation of one rule or code (`A004` or `acl-cidr-host-bits`).
    Rule {
        /// A code or a name.
        code_or_name: String,
    },
    /// List every rule and diagnostic code.
    Rules,
}

#[derive(Debug, clap::Args)]
struct CheckArgs {
    /// Files and directories to check.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Full)]
    format: Format,
    /// Read every file as this dialect instead of detecting it.
    #[arg(long, value_enum, default_value_t = DialectArg::Auto)]
    dialect: DialectArg,
    /// Context of a fragment's top-level directives (nginx: main, http,
    /// server, location, …; Apache: server, virtualhost, directory, htaccess).
    #[arg(long)]
    context: Option<String>,
    /// Lowest severity that makes the exit code 1.
    #[arg(long, value_enum, default_value_t = Threshold::Warning)]
    failure_threshold: Threshold,
    /// Exit 0 even when there are findings (errors of lint403 itself still exit 2).
    #[arg(long)]
    exit_zero: bool,
    /// When to color the output (also `NO_COLOR` and `FORCE_COLOR`).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Write the report to this file instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Full,
    Concise,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DialectArg {
    Auto,
    Nginx,
    Apache,
    Iis,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Threshold {
    Error,
    Warning,
    Info,
    None,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Exit 0: nothing at or above the threshold; 1: findings; 2: lint403
/// could not do what was asked.
const EXIT_FINDINGS: u8 = 1;
const EXIT_ERROR: u8 = 2;

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(EXIT_ERROR)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match cli.command {
        Command::Check(args) => check(&args),
        Command::Rule { code_or_name } => {
            if let Some(page) = crate::docs::page(&code_or_name) {
                print!("{page}");
                ExitCode::SUCCESS
            } else {
                eprintln!("lint403: no rule or code `{code_or_name}`; `lint403 rules` lists them");
                ExitCode::from(EXIT_ERROR)
            }
        }
        Command::Rules => {
            print!("{}", crate::docs::table());
            ExitCode::SUCCESS
        }
    }
}

fn check(args: &CheckArgs) -> ExitCode {
    let missing: Vec<_> = args
        .paths
        .iter()
        .filter(|path| path.symlink_metadata().is_err())
        .collect();
    if let Some(path) = missing.first() {
        eprintln!("lint403: {}: no such file or directory", path.display());
        return ExitCode::from(EXIT_ERROR);
    }
    if let Some(context) = &args.context {
        let nginx = lint403_nginx::Context::from_option(context).is_some();
        let apache = lint403_apache::Context::from_name(context).is_some();
        let known = match args.dialect {
            DialectArg::Nginx => nginx,
            DialectArg::Apache => apache,
            DialectArg::Iis => false,
            DialectArg::Auto => nginx || apache,
        };
        if !known {
            eprintln!(
                "lint403: unknown --context `{context}`; nginx: main, events, http, server, location, if, limit_except, upstream, stream, mail; Apache: server, virtualhost, directory, htaccess (web.config has no contexts)"
            );
            return ExitCode::from(EXIT_ERROR);
        }
    }
    let request = CheckRequest {
        paths: args.paths.clone(),
        dialect: match args.dialect {
            DialectArg::Auto => None,
            DialectArg::Nginx => Some(Dialect::Nginx),
            DialectArg::Apache => Some(Dialect::Apache),
            DialectArg::Iis => Some(Dialect::Iis),
        },
        context: args.context.clone(),
    };
    let report = run::check(&request);
    for path in &report.undetected {
        eprintln!(
            "lint403: {}: cannot tell which server this file is for; pass --dialect nginx|apache|iis",
            path.display()
        );
    }
    let color = use_color(args.color, args.output.is_none());
    let text = match args.format {
        Format::Full => render::full::render(&report, color),
        Format::Concise => render::concise::render(&report),
        Format::Json => render::json::render(&report),
    };
    if let Err(error) = write_output(args.output.as_ref(), &text) {
        eprintln!("lint403: cannot write the report: {error}");
        return ExitCode::from(EXIT_ERROR);
    }
    if !report.undetected.is_empty() && report.files.is_empty() {
        return ExitCode::from(EXIT_ERROR);
    }
    exit_code(&report, args.failure_threshold, args.exit_zero)
}

fn write_output(path: Option<&PathBuf>, text: &str) -> std::io::Result<()> {
    if let Some(path) = path {
        return std::fs::write(path, text);
    }
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()
}

fn exit_code(report: &Report, threshold: Threshold, exit_zero: bool) -> ExitCode {
    let floor = match threshold {
        Threshold::Error => Some(Severity::Error),
        Threshold::Warning => Some(Severity::Warning),
        Threshold::Info => Some(Severity::Info),
        Threshold::None => None,
    };
    let failing = floor.is_some_and(|floor| {
        report
            .diagnostics
            .iter()
            .any(|diagnostic| diagnostic.severity >= floor)
    });
    if failing && !exit_zero {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    }
}

/// lint403 decides about color and tells miette, so that `NO_COLOR`,
/// `FORCE_COLOR` and `--color` mean the same in every format.
fn use_color(choice: ColorChoice, to_stdout: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            let set = |name| std::env::var_os(name).is_some_and(|value| !value.is_empty());
            if set("NO_COLOR") {
                false
            } else if set("FORCE_COLOR") {
                true
            } else {
                to_stdout && std::io::stdout().is_terminal()
            }
        }
    }
}
