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
    crate::http::base64(&sha1(text.as_bytes()))
}

// The letters are FIPS 180-4's names for the working variables.
#[allow(clippy::many_single_char_names)]
fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [
        0x6745_2301,
        0xEFCD_AB89,
        0x98BA_DCFE,
        0x1032_5476,
        0xC3D2_E1F0,
    ];
    let mut message = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&bit_len.to_be_bytes());
    for block in message.chunks(64) {
        let mut w = [0u32; 80];
        for (i, word) in block.chunks(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, word) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
                20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
                _ => (b ^ c ^ d, 0xCA62_C1D6),
            };
            let next = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*word);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = next;
        }
        for (state, value) in h.iter_mut().zip([a, b, c, d, e]) {
            *state = state.wrapping_add(value);
        }
    }
    let mut out = [0u8; 20];
    for (i, word) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&word.to_be_bytes());
    }
    out
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
