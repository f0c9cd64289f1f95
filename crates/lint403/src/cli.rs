//! Command-line arguments and exit codes (DESIGN §5).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use lint403_core::{Dialect, Severity};

use crate::config::Config;
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
    /// Say whether one request gets 403, and which line decides it.
    Trace(TraceArgs),
    /// Write a commented starter `.lint403.yaml`.
    Init {
        /// The directory to write it in.
        #[arg(default_value = ".")]
        directory: PathBuf,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, clap::Args)]
struct TraceArgs {
    /// The server's main configuration file (nginx.conf, an Apache main or
    /// vhost file, a site's web.config).
    config: PathBuf,
    /// The request line: "METHOD /path?query".
    #[arg(long)]
    request: String,
    /// The client address (default 127.0.0.1).
    #[arg(long)]
    client_ip: Option<String>,
    /// A request header "Name: value" (repeatable).
    #[arg(long = "header", short = 'H')]
    headers: Vec<String>,
    /// An authenticated user: NAME (credentials assumed valid) or NAME:PASSWORD.
    #[arg(long)]
    user: Option<String>,
    /// The socket the request arrives on (default: the config's first listen address).
    #[arg(long)]
    listen: Option<String>,
    /// Read the configuration as this dialect instead of detecting it.
    #[arg(long, value_enum, default_value_t = DialectArg::Auto)]
    dialect: DialectArg,
    /// Read the deploy path DEPLOY from LOCAL (repeatable): `--map /etc/nginx=deploy/nginx`.
    #[arg(long = "map", value_name = "DEPLOY=LOCAL")]
    path_map: Vec<String>,
    /// What surrounds a fragment: `debian` (the packaged main configuration's
    /// defaults, e.g. `<Directory /> Require all denied`) or `none`.
    #[arg(long, value_enum, default_value_t = Assume::Debian)]
    assume: Assume,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TraceFormat::Full)]
    format: TraceFormat,
    /// When to color the output (also `NO_COLOR` and `FORCE_COLOR`).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum TraceFormat {
    Full,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Assume {
    Debian,
    None,
}

// Each flag is its own switch on the command line.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, clap::Args)]
struct CheckArgs {
    /// Files and directories to check; `-` reads one file from standard input.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// The name of the file read from standard input (its dialect and where
    /// its relative includes are looked up).
    #[arg(long, value_name = "PATH")]
    stdin_filename: Option<PathBuf>,
    /// Skip named files whose server cannot be told instead of failing
    /// (for hooks that pass every changed `*.conf`).
    #[arg(long)]
    ignore_undetected: bool,
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
    /// Lowest severity that makes the exit code 1 (default: the config's
    /// `failure-threshold`, else warning).
    #[arg(long, value_enum)]
    failure_threshold: Option<Threshold>,
    /// Read this configuration file instead of the `.lint403.yaml` found
    /// beside the first path or above it.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Ignore every `.lint403.yaml`.
    #[arg(long, conflicts_with = "config")]
    isolated: bool,
    /// Leave out paths matching this gitignore-style pattern (repeatable).
    #[arg(long, value_name = "PATTERN")]
    exclude: Vec<String>,
    /// Also walk into paths that `.gitignore` files ignore.
    #[arg(long)]
    no_gitignore: bool,
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
    Sarif,
    Github,
    Checkstyle,
    Gitlab,
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
        Command::Trace(args) => trace(&args),
        Command::Init { directory, force } => init(&directory, force),
    }
}

fn init(directory: &std::path::Path, force: bool) -> ExitCode {
    let path = directory.join(crate::config::FILE_NAME);
    if path.exists() && !force {
        eprintln!(
            "lint403: {} exists; pass --force to overwrite it",
            path.display()
        );
        return ExitCode::from(EXIT_ERROR);
    }
    match std::fs::write(&path, crate::init::STARTER) {
        Ok(()) => {
            println!("wrote {}", path.display());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("lint403: cannot write {}: {error}", path.display());
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn dialect_of(arg: DialectArg) -> Option<Dialect> {
    match arg {
        DialectArg::Auto => None,
        DialectArg::Nginx => Some(Dialect::Nginx),
        DialectArg::Apache => Some(Dialect::Apache),
        DialectArg::Iis => Some(Dialect::Iis),
    }
}

fn trace(args: &TraceArgs) -> ExitCode {
    let request = match crate::trace::build_request(
        &args.request,
        args.client_ip.as_deref(),
        &args.headers,
        args.user.as_deref(),
        args.listen.as_deref(),
    ) {
        Ok(request) => request,
        Err(error) => {
            eprintln!("lint403: {error}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    let mut path_map = Vec::new();
    for entry in &args.path_map {
        let Some((deploy, local)) = entry.split_once('=') else {
            eprintln!("lint403: --map expects DEPLOY=LOCAL, got {entry:?}");
            return ExitCode::from(EXIT_ERROR);
        };
        path_map.push((PathBuf::from(deploy), PathBuf::from(local)));
    }
    path_map.sort_by_key(|(deploy, _)| std::cmp::Reverse(deploy.as_os_str().len()));
    let asked = crate::trace::TraceRequest {
        config: args.config.clone(),
        request,
        dialect: dialect_of(args.dialect),
        path_map,
        distribution_defaults: args.assume == Assume::Debian,
    };
    let color = use_color(args.color, true);
    match crate::trace::run(&asked) {
        Ok(traced) => {
            let text = match args.format {
                TraceFormat::Full => render::verdict::full(&traced, color),
                TraceFormat::Json => render::verdict::json(&traced),
            };
            if let Err(error) = write_output(None, &text) {
                eprintln!("lint403: cannot write the answer: {error}");
                return ExitCode::from(EXIT_ERROR);
            }
            ExitCode::SUCCESS
        }
        Err(crate::trace::TraceError::Usage(message)) => {
            eprintln!("lint403: {message}");
            ExitCode::from(EXIT_ERROR)
        }
        Err(crate::trace::TraceError::Broken(sources, diagnostics)) => {
            let report = Report {
                sources,
                diagnostics,
                ..Report::default()
            };
            eprint!("{}", render::full::render(&report, color));
            eprintln!("lint403: the configuration has syntax errors; the server would not start");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn check(args: &CheckArgs) -> ExitCode {
    let missing: Vec<_> = args
        .paths
        .iter()
        .filter(|path| path.as_os_str() != "-" && path.symlink_metadata().is_err())
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
    let config = match load_config(args) {
        Ok(config) => config,
        Err(error) => {
            eprint!(
                "{}",
                render::config_error(&error, use_color(args.color, false))
            );
            return ExitCode::from(EXIT_ERROR);
        }
    };
    let threshold = match (args.failure_threshold, config.failure_threshold) {
        (Some(threshold), _) => threshold.severity(),
        (None, Some(threshold)) => threshold,
        (None, None) => Some(Severity::Warning),
    };
    let stdin = if args.paths.iter().any(|path| path.as_os_str() == "-") {
        let mut bytes = Vec::new();
        if let Err(error) = std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes) {
            eprintln!("lint403: cannot read standard input: {error}");
            return ExitCode::from(EXIT_ERROR);
        }
        let name = args
            .stdin_filename
            .clone()
            .unwrap_or_else(|| PathBuf::from("-"));
        Some((name, bytes))
    } else {
        if args.stdin_filename.is_some() {
            eprintln!("lint403: --stdin-filename needs `-` among the paths");
            return ExitCode::from(EXIT_ERROR);
        }
        None
    };
    let mut exclusions = crate::discover::Exclusions::new(!args.no_gitignore);
    let added = exclusions
        .add(std::path::Path::new("."), &args.exclude)
        .and_then(|()| exclusions.add(&config.dir(), &config.exclude));
    if let Err(error) = added {
        eprintln!("lint403: {error}");
        return ExitCode::from(EXIT_ERROR);
    }
    let request = CheckRequest {
        paths: args.paths.clone(),
        dialect: dialect_of(args.dialect),
        context: args.context.clone(),
        config,
        stdin,
        ignore_undetected: args.ignore_undetected,
        exclusions,
    };
    let report = run::check(&request);
    lint403_alloc::keep_freed_memory();
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
        Format::Sarif => render::sarif::render(&report),
        Format::Github => render::github::render(&report),
        Format::Checkstyle => render::checkstyle::render(&report),
        Format::Gitlab => render::gitlab::render(&report),
    };
    if let Err(error) = write_output(args.output.as_ref(), &text) {
        eprintln!("lint403: cannot write the report: {error}");
        return ExitCode::from(EXIT_ERROR);
    }
    if !report.undetected.is_empty() && report.files.is_empty() {
        return ExitCode::from(EXIT_ERROR);
    }
    exit_code(&report, threshold, args.exit_zero)
}

fn load_config(args: &CheckArgs) -> Result<Config, crate::config::ConfigError> {
    if args.isolated {
        return Ok(Config::default());
    }
    let path = if let Some(path) = &args.config {
        Some(path.clone())
    } else {
        let first = match args.paths.first() {
            Some(path) if path.as_os_str() == "-" => args
                .stdin_filename
                .clone()
                .unwrap_or_else(|| PathBuf::from(".")),
            Some(path) => path.clone(),
            None => PathBuf::from("."),
        };
        crate::config::discover(&first)
    };
    match path {
        Some(path) => crate::config::load(&path, &crate::docs::codes()),
        None => Ok(Config::default()),
    }
}

fn write_output(path: Option<&PathBuf>, text: &str) -> std::io::Result<()> {
    if let Some(path) = path {
        return std::fs::write(path, text);
    }
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()
}

impl Threshold {
    fn severity(self) -> Option<Severity> {
        match self {
            Threshold::Error => Some(Severity::Error),
            Threshold::Warning => Some(Severity::Warning),
            Threshold::Info => Some(Severity::Info),
            Threshold::None => None,
        }
    }
}

fn exit_code(report: &Report, floor: Option<Severity>, exit_zero: bool) -> ExitCode {
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
