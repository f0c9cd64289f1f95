//! The differential test kit: what every real-server test of lint403
//! needs — start Debian's nginx or apache2 on 127.0.0.1 with a generated
//! configuration over a temporary, world-readable tree; send requests from
//! 127.0.0.N with headers and credentials; read back the status; load the
//! peer-test cases of `../shared/peer-tests`.
//!
//! Only tests depend on this crate. A missing server binary makes
//! [`server_available`] print `SKIPPED` and return `false`, unless
//! `LINT403_REQUIRE_SERVERS=1` (set by `.ci/run`), where it panics.

pub mod http;
pub mod layout;
pub mod peer;
pub mod referer;
pub mod server;

use std::path::{Path, PathBuf};

pub use http::{send, Response, TestRequest};
pub use server::{RunningServer, ServerKind};

/// Whether the binary of `kind` is installed; prints why a test is skipped
/// when it is not, and panics when the environment requires servers.
pub fn server_available(kind: ServerKind) -> bool {
    if kind.binary().is_some() {
        return true;
    }
    assert!(
        std::env::var("LINT403_REQUIRE_SERVERS").as_deref() != Ok("1"),
        "{} not installed and LINT403_REQUIRE_SERVERS=1",
        kind.name()
    );
    println!("SKIPPED: {} not installed", kind.name());
    false
}

/// A fresh, empty directory under the system temp dir, named after the
/// process and `label` (removed by [`RunningServer`] or the caller).
pub fn temp_prefix(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lint403-{}-{label}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// A port above 20000 that nothing listens on right now, spread by `seed`
/// so that parallel tests rarely pick the same one.
pub fn free_port(seed: u16) -> u16 {
    let base = u32::from(seed).wrapping_mul(97) + std::process::id() % 20000;
    for offset in 0..4000u32 {
        let port = 20000 + (base + offset) % 40000;
        let Ok(port) = u16::try_from(port) else {
            continue;
        };
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    0
}

/// Directories 0755 and files 0644 below `path`, so server workers running
/// as `nobody` can read them (symlinks are left alone).
pub fn make_world_readable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return;
    };
    if meta.file_type().is_symlink() {
        return;
    }
    let mode = if meta.is_dir() { 0o755 } else { 0o644 };
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
    if meta.is_dir() {
        for entry in std::fs::read_dir(path).into_iter().flatten().flatten() {
            make_world_readable(&entry.path());
        }
    }
}

/// Writes `text` at `path`, creating parent directories.
pub fn write_file(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, text)
}
