//! The peer-test cases of `../shared/peer-tests`: configurations, requests
//! and statuses from nginx's and httpd's own test suites, re-run on the
//! real servers here (see that folder's README for the format).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::http::TestRequest;
use crate::layout::Entry;

/// The virtual root the peer configurations are written against.
pub const VIRTUAL_ROOT: &str = "/srv/lint403";

#[derive(Debug, Clone)]
pub struct PeerCase {
    pub name: String,
    pub about: String,
    /// `nginx` or `apache`.
    pub server: String,
    /// `server.conf`, `http.conf` (nginx) or `vhost.conf` (Apache).
    pub config_name: String,
    pub config: String,
    /// Created under the document root (`/srv/lint403/www`).
    pub docroot: Vec<Entry>,
    /// Created under the prefix (`/srv/lint403`).
    pub files: Vec<Entry>,
    /// Document-root-relative directory → `.htaccess` text.
    pub htaccess: BTreeMap<String, String>,
    pub requests: Vec<PeerRequest>,
    /// What the real server answered to each request (`results.json`).
    pub statuses: Vec<u16>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PeerRequest {
    #[serde(default = "get")]
    pub method: String,
    pub path: String,
    #[serde(default = "loopback")]
    pub client_ip: String,
    /// A `null` value removes the header; `""` sends it empty.
    #[serde(default)]
    pub headers: BTreeMap<String, Option<String>>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub note: String,
}

fn get() -> String {
    "GET".to_string()
}

fn loopback() -> String {
    "127.0.0.1".to_string()
}

#[derive(Deserialize)]
struct CaseFile {
    about: String,
    server: String,
    config: String,
    #[serde(default)]
    docroot: Vec<Entry>,
    #[serde(default)]
    files: Vec<Entry>,
    #[serde(default)]
    htaccess: BTreeMap<String, String>,
    requests: Vec<PeerRequest>,
}

#[derive(Deserialize)]
struct ResultsFile {
    requests: Vec<ResultEntry>,
}

#[derive(Deserialize)]
struct ResultEntry {
    status: u16,
}

impl PeerRequest {
    /// The request as the kit sends it (`Host: localhost` unless given).
    pub fn to_test_request(&self) -> TestRequest {
        let mut request = TestRequest::get(&self.path);
        request.method.clone_from(&self.method);
        request.client_ip = self
            .client_ip
            .parse()
            .unwrap_or(IpAddr::from([127, 0, 0, 1]));
        for (name, value) in &self.headers {
            match value {
                Some(value) => request.headers.push((name.clone(), value.clone())),
                None if name.eq_ignore_ascii_case("host") => request.omit_host = true,
                None => {}
            }
        }
        if let Some(user) = &self.user {
            request.credentials = Some((user.clone(), self.password.clone().unwrap_or_default()));
        }
        request
    }
}

/// The peer-test folder: `$LINT403_PEER_TESTS`, else `shared/peer-tests`
/// beside the repository. `None` (with a SKIPPED line) when absent, a
/// panic when `LINT403_REQUIRE_CORPUS=1`.
pub fn peer_tests_dir() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("LINT403_PEER_TESTS").map(PathBuf::from),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/peer-tests")),
        Some(PathBuf::from("/work/shared/peer-tests")),
    ];
    let found = candidates.into_iter().flatten().find(|dir| dir.is_dir());
    if found.is_none() {
        assert!(
            std::env::var("LINT403_REQUIRE_CORPUS").as_deref() != Ok("1"),
            "peer tests not found and LINT403_REQUIRE_CORPUS=1"
        );
        println!("SKIPPED: peer tests not found (set LINT403_PEER_TESTS)");
    }
    found
}

/// Every case of `server` (`nginx` or `apache`), sorted by name.
pub fn load_cases(dir: &Path, server: &str) -> Result<Vec<PeerCase>, String> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.join("case.json").is_file())
        .collect();
    names.sort();
    let mut cases = Vec::new();
    for case_dir in names {
        let read = |name: &str| {
            std::fs::read_to_string(case_dir.join(name))
                .map_err(|e| format!("{}/{name}: {e}", case_dir.display()))
        };
        let case: CaseFile = serde_json::from_str(&read("case.json")?)
            .map_err(|e| format!("{}: {e}", case_dir.display()))?;
        if case.server != server {
            continue;
        }
        let results: ResultsFile = serde_json::from_str(&read("results.json")?)
            .map_err(|e| format!("{} results: {e}", case_dir.display()))?;
        let mut htaccess = BTreeMap::new();
        for (directory, file) in &case.htaccess {
            htaccess.insert(directory.clone(), read(file)?);
        }
        cases.push(PeerCase {
            name: case_dir
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default(),
            about: case.about,
            server: case.server,
            config: read(&case.config)?,
            config_name: case.config,
            docroot: case.docroot,
            files: case.files,
            htaccess,
            statuses: results.requests.iter().map(|r| r.status).collect(),
            requests: case.requests,
        });
    }
    Ok(cases)
}
