//! `.lint403.yaml`: which codes to report and how severe, per-file
//! ignores, dialect overrides, where deploy paths live in the repository,
//! facts about the site, and the `expect:` list of requests that must be
//! allowed or denied (DESIGN §5, `docs/configuration.md`).
//!
//! Unknown keys and bad values are errors that point into the YAML file;
//! nothing is silently ignored.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lint403_core::{Code, Dialect, Request, Severity, TextRange};
use serde::Deserialize;

/// The file name lint403 looks for.
pub const FILE_NAME: &str = ".lint403.yaml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    select: Option<Vec<String>>,
    ignore: Option<Vec<String>>,
    severity: Option<BTreeMap<String, String>>,
    failure_threshold: Option<String>,
    per_file_ignores: Option<BTreeMap<String, Vec<String>>>,
    exclude: Option<Vec<String>>,
    dialects: Option<BTreeMap<String, String>>,
    include_root: Option<PathBuf>,
    paths: Option<BTreeMap<String, PathBuf>>,
    site: Option<RawSite>,
    expect: Option<Vec<RawExpectation>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSite {
    names: Option<Vec<String>>,
    ipv6: Option<bool>,
    behind_proxy: Option<Vec<String>>,
    apache_version: Option<String>,
    nginx_version: Option<String>,
    referer_mode: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpectation {
    config: Option<PathBuf>,
    #[serde(default)]
    allow: Vec<String>,
    #[serde(default)]
    deny: Vec<String>,
}

/// A loaded configuration, paths resolved against its directory.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file it came from (`None`: the defaults).
    pub path: Option<PathBuf>,
    pub text: String,
    /// Codes to report; `None`: all.
    pub select: Option<Vec<&'static Code>>,
    pub ignore: Vec<&'static Code>,
    pub severity: Vec<(&'static Code, Severity)>,
    /// `None` in the file: `warning`. `Some(None)`: `none`.
    pub failure_threshold: Option<Option<Severity>>,
    /// Glob (relative to the config's directory) and the codes it ignores.
    pub per_file_ignores: Vec<(String, Vec<&'static Code>)>,
    /// Gitignore-style patterns (relative to the config's directory) of
    /// paths directory walks leave out.
    pub exclude: Vec<String>,
    pub dialects: Vec<(String, Dialect)>,
    pub include_root: Option<PathBuf>,
    /// Deploy prefix → directory in the repository, longest prefix first.
    pub paths: Vec<(PathBuf, PathBuf)>,
    pub site: SiteFacts,
    pub expect: Vec<Expectation>,
}

pub use lint403_core::facts::SiteFacts;

/// One `expect:` entry.
#[derive(Debug, Clone)]
pub struct Expectation {
    /// The server's main configuration (resolved); `None`: the repository's one.
    pub config: Option<PathBuf>,
    pub requests: Vec<ExpectedRequest>,
}

#[derive(Debug, Clone)]
pub struct ExpectedRequest {
    pub allow: bool,
    pub text: String,
    pub request: Request,
    /// Where the entry stands in the YAML file.
    pub span: TextRange,
}

/// A configuration file lint403 refuses, with where and why.
#[derive(Debug, Clone)]
pub struct ConfigError {
    pub path: PathBuf,
    pub text: String,
    pub span: Option<TextRange>,
    pub message: String,
    pub help: Option<String>,
}

/// The `.lint403.yaml` in `start` (a file's directory, or the directory
/// itself) or the nearest ancestor.
pub fn discover(start: &Path) -> Option<PathBuf> {
    let start = if start.is_dir() {
        start.to_path_buf()
    } else {
        start.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    let absolute = std::fs::canonicalize(&start).unwrap_or(start);
    let found = absolute
        .ancestors()
        .map(|dir| dir.join(FILE_NAME))
        .find(|candidate| candidate.is_file())?;
    // Relative to the working directory when below it, so that the paths
    // it names read as the paths `check` was given.
    let here = std::env::current_dir().and_then(std::fs::canonicalize).ok();
    Some(
        here.and_then(|here| found.strip_prefix(here).ok().map(Path::to_path_buf))
            .unwrap_or(found),
    )
}

/// Reads and validates one configuration file.
pub fn load(path: &Path, codes: &[&'static Code]) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|error| ConfigError {
        path: path.to_path_buf(),
        text: String::new(),
        span: None,
        message: format!("cannot read {}: {error}", path.display()),
        help: None,
    })?;
    parse(path, &text, codes)
}

/// Validates the text of a configuration file named `path`.
pub fn parse(path: &Path, text: &str, codes: &[&'static Code]) -> Result<Config, ConfigError> {
    let error = |span: Option<TextRange>, message: String, help: Option<&str>| ConfigError {
        path: path.to_path_buf(),
        text: text.to_string(),
        span,
        message,
        help: help.map(str::to_string),
    };
    let raw: RawConfig = if text.trim().is_empty() {
        RawConfig {
            select: None,
            ignore: None,
            severity: None,
            failure_threshold: None,
            per_file_ignores: None,
            exclude: None,
            dialects: None,
            include_root: None,
            paths: None,
            site: None,
            expect: None,
        }
    } else {
        serde_yaml::from_str(text).map_err(|problem| {
            let span = problem.location().map(|at| {
                let start = at.index().min(text.len());
                TextRange::new(start, word_end(text, start))
            });
            let message = problem.to_string();
            let message = message
                .split(" at line ")
                .next()
                .unwrap_or(&message)
                .to_string();
            error(
                span,
                message,
                Some("see docs/configuration.md for every key and its values"),
            )
        })?
    };
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let find = |needle: &str| locate(text, needle);
    let resolve_codes = |words: &[String], key: &str| -> Result<Vec<&'static Code>, ConfigError> {
        let mut out = Vec::new();
        for word in words {
            let matched = select_codes(codes, word);
            if matched.is_empty() {
                return Err(error(
                    find(word),
                    format!("{key}: no code, name or code prefix `{word}`"),
                    Some("`lint403 rules` lists every code and name"),
                ));
            }
            out.extend(matched);
        }
        Ok(out)
    };
    let mut config = Config {
        path: Some(path.to_path_buf()),
        text: text.to_string(),
        ..Config::default()
    };
    if let Some(select) = &raw.select {
        config.select = Some(resolve_codes(select, "select")?);
    }
    if let Some(ignore) = &raw.ignore {
        config.ignore = resolve_codes(ignore, "ignore")?;
    }
    for (word, level) in raw.severity.iter().flatten() {
        let severity = parse_severity(level).ok_or_else(|| {
            error(
                find(level),
                format!("severity of `{word}`: `{level}` is not error, warning or info"),
                None,
            )
        })?;
        for code in resolve_codes(std::slice::from_ref(word), "severity")? {
            config.severity.push((code, severity));
        }
    }
    if let Some(threshold) = &raw.failure_threshold {
        config.failure_threshold = Some(match threshold.as_str() {
            "none" => None,
            other => Some(parse_severity(other).ok_or_else(|| {
                error(
                    find(other),
                    format!("failure-threshold: `{other}` is not error, warning, info or none"),
                    None,
                )
            })?),
        });
    }
    for (glob, words) in raw.per_file_ignores.iter().flatten() {
        config
            .per_file_ignores
            .push((glob.clone(), resolve_codes(words, "per-file-ignores")?));
    }
    config.exclude = raw.exclude.unwrap_or_default();
    for (glob, name) in raw.dialects.iter().flatten() {
        let dialect = Dialect::from_name(name).ok_or_else(|| {
            error(
                find(name),
                format!("dialects: `{name}` is not nginx, apache or iis"),
                None,
            )
        })?;
        config.dialects.push((glob.clone(), dialect));
    }
    config.include_root = raw.include_root.map(|root| dir.join(root));
    for (deploy, local) in raw.paths.iter().flatten() {
        if !deploy.starts_with('/') {
            return Err(error(
                find(deploy),
                format!("paths: `{deploy}` is not an absolute deploy path"),
                Some("keys are paths on the server (`/etc/nginx`), values directories in this repository"),
            ));
        }
        config.paths.push((PathBuf::from(deploy), dir.join(local)));
    }
    config
        .paths
        .sort_by_key(|(deploy, _)| std::cmp::Reverse(deploy.as_os_str().len()));
    if let Some(site) = raw.site {
        let mut behind_proxy = Vec::new();
        for cidr in site.behind_proxy.iter().flatten() {
            behind_proxy.push(lint403_core::Cidr::parse(cidr).ok_or_else(|| {
                error(
                    find(cidr),
                    format!("site.behind-proxy: `{cidr}` is not an address or CIDR"),
                    None,
                )
            })?);
        }
        if let Some(mode) = &site.referer_mode {
            if mode != "hotlink" && mode != "strict" {
                return Err(error(
                    find(mode),
                    format!("site.referer-mode: `{mode}` is not hotlink or strict"),
                    None,
                ));
            }
        }
        config.site = SiteFacts {
            names: site.names.unwrap_or_default(),
            ipv6: site.ipv6,
            behind_proxy,
            apache_version: site.apache_version,
            nginx_version: site.nginx_version,
            referer_mode: site.referer_mode,
        };
    }
    let mut search_from = 0;
    for entry in raw.expect.iter().flatten() {
        let mut requests = Vec::new();
        for (allow, texts) in [(true, &entry.allow), (false, &entry.deny)] {
            for request_text in texts {
                let span = locate_from(text, request_text, search_from)
                    .or_else(|| find(request_text))
                    .unwrap_or_default();
                search_from = span.end;
                let request = Request::parse_expectation(request_text).map_err(|problem| {
                    error(
                        Some(span),
                        format!("expect: {problem}"),
                        Some("an entry is `METHOD /path [from IP] [host HOST] [referer URL] [user NAME] [header \"Name: value\"]`"),
                    )
                })?;
                requests.push(ExpectedRequest {
                    allow,
                    text: request_text.clone(),
                    request,
                    span,
                });
            }
        }
        config.expect.push(Expectation {
            config: entry.config.as_ref().map(|config| dir.join(config)),
            requests,
        });
    }
    Ok(config)
}

impl Config {
    /// The directory relative paths of the file are resolved against.
    pub fn dir(&self) -> PathBuf {
        self.path
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }

    /// Whether diagnostics of `code` are dropped in every file (`select`
    /// leaves the code out, or `ignore` names it): its rule need not run,
    /// and a suppression of it cannot be judged.
    pub fn never_reports(&self, code: &Code) -> bool {
        let listed = |list: &[&'static Code]| list.iter().any(|own| own.code == code.code);
        self.select.as_deref().is_some_and(|select| !listed(select)) || listed(&self.ignore)
    }

    /// Whether a diagnostic of `code` in the file `path` is reported.
    pub fn reports(&self, code: &Code, path: &Path) -> bool {
        let listed = |list: &[&'static Code]| list.iter().any(|own| own.code == code.code);
        if let Some(select) = &self.select {
            if !listed(select) {
                return false;
            }
        }
        if listed(&self.ignore) {
            return false;
        }
        // Finding the path relative to the configuration resolves links
        // (system calls); most configurations have no per-file ignores, or
        // none for this code.
        let globs: Vec<&str> = self
            .per_file_ignores
            .iter()
            .filter(|(_, codes)| listed(codes))
            .map(|(glob, _)| glob.as_str())
            .collect();
        if globs.is_empty() {
            return true;
        }
        let relative = self.relative(path);
        !globs.iter().any(|glob| glob_matches(glob, &relative))
    }

    /// The severity `code` is reported with.
    pub fn severity_of(&self, code: &Code, default: Severity) -> Severity {
        self.severity
            .iter()
            .rev()
            .find(|(own, _)| own.code == code.code)
            .map_or(default, |(_, severity)| *severity)
    }

    /// The dialect a glob of `dialects:` forces on `path`.
    pub fn dialect_of(&self, path: &Path) -> Option<Dialect> {
        if self.dialects.is_empty() {
            return None;
        }
        let relative = self.relative(path);
        self.dialects
            .iter()
            .find(|(glob, _)| glob_matches(glob, &relative))
            .map(|(_, dialect)| *dialect)
    }

    /// `path` relative to the configuration's directory, `/`-separated.
    fn relative(&self, path: &Path) -> String {
        let dir = lint403_core::paths::canonical_or_same(&self.dir());
        let absolute = lint403_core::paths::canonical_or_same(path);
        // A file outside the directory is reached with `..` segments.
        let dir_parts: Vec<_> = dir.components().collect();
        let file_parts: Vec<_> = absolute.components().collect();
        let common = dir_parts
            .iter()
            .zip(&file_parts)
            .take_while(|(a, b)| a == b)
            .count();
        let mut parts: Vec<String> = vec!["..".to_string(); dir_parts.len() - common];
        parts.extend(
            file_parts[common..]
                .iter()
                .map(|part| part.as_os_str().to_string_lossy().into_owned()),
        );
        parts.join("/")
    }
}

/// A glob over a `/`-separated relative path: `*` and `?` stay inside one
/// segment, `**` spans any number of segments; a pattern without `/`
/// matches the file name anywhere.
pub fn glob_matches(glob: &str, path: &str) -> bool {
    let glob = glob.trim_start_matches("./");
    if !glob.contains('/') {
        let name = path.rsplit('/').next().unwrap_or(path);
        return segment_matches(glob.as_bytes(), name.as_bytes());
    }
    let globs: Vec<&str> = glob.split('/').collect();
    let parts: Vec<&str> = path.split('/').collect();
    segments_match(&globs, &parts)
}

fn segments_match(globs: &[&str], parts: &[&str]) -> bool {
    match globs.split_first() {
        None => parts.is_empty(),
        Some((&"**", rest)) => (0..=parts.len()).any(|skip| segments_match(rest, &parts[skip..])),
        Some((first, rest)) => parts.split_first().is_some_and(|(part, others)| {
            segment_matches(first.as_bytes(), part.as_bytes()) && segments_match(rest, others)
        }),
    }
}

fn segment_matches(glob: &[u8], name: &[u8]) -> bool {
    lint403_core::glob::matches_name(glob, name)
}

/// Every code whose code or name is `word`, or whose code starts with it
/// (`A` selects the family, `A2` the Apache access rules).
pub fn select_codes(codes: &[&'static Code], word: &str) -> Vec<&'static Code> {
    let exact: Vec<&'static Code> = codes
        .iter()
        .copied()
        .filter(|code| code.code.eq_ignore_ascii_case(word) || code.name.eq_ignore_ascii_case(word))
        .collect();
    if !exact.is_empty() {
        return exact;
    }
    if word.is_empty() || !word.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Vec::new();
    }
    codes
        .iter()
        .copied()
        .filter(|code| {
            code.code
                .get(..word.len())
                .is_some_and(|prefix| prefix.eq_ignore_ascii_case(word))
        })
        .collect()
}

fn parse_severity(text: &str) -> Option<Severity> {
    match text {
        "error" => Some(Severity::Error),
        "warning" => Some(Severity::Warning),
        "info" => Some(Severity::Info),
        _ => None,
    }
}

fn word_end(text: &str, start: usize) -> usize {
    text[start..]
        .find(['\n', ':', ','])
        .map_or(text.len(), |offset| start + offset)
        .max(start + usize::from(start < text.len()))
        .min(text.len())
}

/// Where `needle` stands in the file (as a YAML scalar), if it does.
fn locate(text: &str, needle: &str) -> Option<TextRange> {
    locate_from(text, needle, 0)
}

fn locate_from(text: &str, needle: &str, from: usize) -> Option<TextRange> {
    if needle.is_empty() {
        return None;
    }
    let start = from + text.get(from..)?.find(needle)?;
    Some(TextRange::new(start, start + needle.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Code = Code {
        code: "A001",
        name: "acl-entry-shadowed",
        default_severity: Severity::Warning,
        summary: "",
        doc: "",
    };
    const B: Code = Code {
        code: "B002",
        name: "dotfile-block-covers-well-known",
        default_severity: Severity::Error,
        summary: "",
        doc: "",
    };
    static CODES: [&Code; 2] = [&A, &B];

    fn parsed(text: &str) -> Result<Config, ConfigError> {
        parse(Path::new("/repo/.lint403.yaml"), text, &CODES)
    }

    #[test]
    fn keys_and_values() {
        let config = parsed(
            "select: [A, dotfile-block-covers-well-known]\nignore: [A001]\nseverity: {B002: info}\nfailure-threshold: none\nper-file-ignores:\n  \"vendor/**\": [B]\npaths:\n  /etc/nginx: deploy/nginx\nexpect:\n  - allow: [\"GET /.well-known/acme-challenge/t\"]\n    deny: [\"GET /.git/config from 203.0.113.7\"]\n",
        )
        .expect("valid");
        assert_eq!(config.select.as_ref().map(Vec::len), Some(2));
        assert!(!config.reports(&A, Path::new("/repo/x.conf")));
        assert!(config.reports(&B, Path::new("/repo/x.conf")));
        assert!(!config.reports(&B, Path::new("/repo/vendor/a/b.conf")));
        assert_eq!(config.severity_of(&B, Severity::Error), Severity::Info);
        assert_eq!(config.failure_threshold, Some(None));
        assert_eq!(
            config.paths,
            vec![(
                PathBuf::from("/etc/nginx"),
                PathBuf::from("/repo/deploy/nginx")
            )]
        );
        let requests = &config.expect[0].requests;
        assert!(requests[0].allow && !requests[1].allow);
        assert_eq!(
            &config.text[requests[1].span.start..requests[1].span.end],
            "GET /.git/config from 203.0.113.7"
        );
    }

    #[test]
    fn mistakes_point_into_the_file() {
        let text = "select: [A]\nfailure-treshold: error\n";
        let error = parsed(text).expect_err("unknown key");
        assert!(
            error.message.contains("failure-treshold"),
            "{}",
            error.message
        );
        let span = error.span.expect("a span");
        assert_eq!(text[..span.start].lines().count(), 1, "on line 2");
        let error = parsed("ignore: [Z999]\n").expect_err("unknown code");
        assert!(error.message.contains("Z999"));
        assert_eq!(error.span, Some(TextRange::new(9, 13)));
        let error = parsed("severity: {A001: fatal}\n").expect_err("bad level");
        assert!(error.message.contains("fatal"));
        let error = parsed("expect:\n  - allow: [\"FETCH x\"]\n").expect_err("bad entry");
        assert!(
            error.message.contains("path must start"),
            "{}",
            error.message
        );
        assert!(parsed("paths: {etc/nginx: x}\n").is_err());
        assert!(parsed("site: {referer-mode: loose}\n").is_err());
        assert!(parsed("").is_ok());
    }

    #[test]
    fn the_starter_file_is_valid_and_changes_nothing() {
        let codes = crate::docs::codes();
        let path = Path::new("/repo/.lint403.yaml");
        let config = parse(path, crate::init::STARTER, &codes).expect("the starter parses");
        assert!(config.select.is_none() && config.ignore.is_empty());
        assert_eq!(config.failure_threshold, Some(Some(Severity::Warning)));
        // Every commented example (lines after `# ` that start with a key
        // or an indent; prose starts with a capital) is valid uncommented.
        let uncommented: String = crate::init::STARTER
            .lines()
            .filter_map(|line| {
                let body = line.strip_prefix("# ")?;
                body.starts_with(|c: char| c.is_ascii_lowercase() || c == ' ')
                    .then(|| format!("{body}\n"))
            })
            .collect();
        assert!(uncommented.contains("expect:"), "{uncommented}");
        let config = parse(path, &uncommented, &codes).expect("the examples parse");
        assert_eq!(config.expect[0].requests.len(), 4);
        assert_eq!(config.paths.len(), 2);
    }

    #[test]
    fn globs() {
        assert!(glob_matches("*.conf", "a/b/site.conf"));
        assert!(glob_matches("vendor/**", "vendor/x/y.conf"));
        assert!(glob_matches("**/snippets/*.conf", "nginx/snippets/a.conf"));
        assert!(!glob_matches("vendor/*", "vendor/x/y.conf"));
        assert!(!glob_matches("sites/*.conf", "other/sites/a.conf"));
    }
}
