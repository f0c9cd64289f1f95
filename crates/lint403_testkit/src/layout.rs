//! Laying out a document root (and other files) from entries: files with
//! content, directories, relative symlinks, modes, htpasswd files.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Component, Path};

use serde::Deserialize;

/// One thing to create, relative to a base directory.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct Entry {
    pub path: String,
    #[serde(default)]
    pub content: Option<String>,
    /// A relative symlink target.
    #[serde(default)]
    pub symlink: Option<String>,
    #[serde(default)]
    pub dir: Option<bool>,
    /// An octal mode such as `"0700"` (applied last, deepest first).
    #[serde(default)]
    pub mode: Option<serde_json::Value>,
    /// user → password, written as `{SHA}` lines (what htpasswd -s makes).
    #[serde(default)]
    pub htpasswd: Option<BTreeMap<String, String>>,
}

impl Entry {
    pub fn file(path: &str, content: &str) -> Entry {
        Entry {
            path: path.to_string(),
            content: Some(content.to_string()),
            ..Entry::default()
        }
    }

    pub fn symlink(path: &str, target: &str) -> Entry {
        Entry {
            path: path.to_string(),
            symlink: Some(target.to_string()),
            ..Entry::default()
        }
    }

    pub fn directory(path: &str) -> Entry {
        Entry {
            path: path.to_string(),
            dir: Some(true),
            ..Entry::default()
        }
    }
}

/// Creates `entries` under `base` (made world-readable first, modes after).
pub fn lay_out(base: &Path, entries: &[Entry]) -> Result<(), String> {
    std::fs::create_dir_all(base).map_err(|e| e.to_string())?;
    let mut modes = Vec::new();
    for entry in entries {
        let relative = Path::new(&entry.path);
        if relative.is_absolute()
            || relative
                .components()
                .any(|part| matches!(part, Component::ParentDir))
        {
            return Err(format!("entry path escapes the base: {}", entry.path));
        }
        let target = base.join(relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        if let Some(link) = &entry.symlink {
            std::os::unix::fs::symlink(link, &target)
                .map_err(|e| format!("{}: {e}", target.display()))?;
        } else if entry.dir == Some(true) {
            std::fs::create_dir_all(&target).map_err(|e| e.to_string())?;
        } else if let Some(users) = &entry.htpasswd {
            let mut text = String::new();
            for (user, password) in users {
                let _ = writeln!(text, "{user}:{{SHA}}{}", sha1_base64(password));
            }
            std::fs::write(&target, text).map_err(|e| e.to_string())?;
        } else {
            std::fs::write(&target, entry.content.as_deref().unwrap_or(""))
                .map_err(|e| e.to_string())?;
        }
        if let Some(mode) = &entry.mode {
            let mode = match mode {
                serde_json::Value::String(text) => u32::from_str_radix(text, 8).ok(),
                serde_json::Value::Number(number) => {
                    number.as_u64().and_then(|n| u32::try_from(n).ok())
                }
                _ => None,
            }
            .ok_or_else(|| format!("bad mode for {}", entry.path))?;
            modes.push((target, mode));
        }
    }
    crate::make_world_readable(base);
    modes.sort_by_key(|(path, _)| std::cmp::Reverse(path.components().count()));
    for (path, mode) in modes {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// SHA-1 of `text`, base64-encoded: the `{SHA}` htpasswd form.
pub fn sha1_base64(text: &str) -> String {
    lint403_core::digest::base64(&lint403_core::digest::sha1(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn sha1_known_values() {
        // `htpasswd -nbs user1 user1` prints this digest.
        assert_eq!(super::sha1_base64(""), "2jmj7l5rSw0yVb/vlWAYkK/YBwk=");
        assert_eq!(super::sha1_base64("abc"), "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=");
    }
}
