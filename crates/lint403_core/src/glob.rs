//! Shell wildcards the way `glob(3)` (nginx `include`) and httpd's
//! `fnmatch` with `FNM_PERIOD` (`Include`) read them: `*`, `?` and `[...]`
//! never cross a `/`, and a leading `.` in a name must be matched literally.

use std::io;
use std::path::{Path, PathBuf};

/// Whether `pattern` contains a wildcard character.
pub fn has_wildcard(pattern: &str) -> bool {
    pattern.bytes().any(|b| matches!(b, b'*' | b'?' | b'['))
}

/// Matches one path component against one pattern component.
pub fn matches_name(pattern: &[u8], name: &[u8]) -> bool {
    if name.first() == Some(&b'.') && pattern.first() != Some(&b'.') {
        return false;
    }
    match_from(pattern, name)
}

fn match_from(pattern: &[u8], name: &[u8]) -> bool {
    // Iterative matcher with one backtrack point for the last `*`: linear
    // in practice and never recursive, so hostile patterns cannot overflow.
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, n));
                p += 1;
                continue;
            }
            Some(b'?') => {
                p += 1;
                n += 1;
                continue;
            }
            Some(b'[') => {
                if let Some((matched, next)) = match_class(&pattern[p..], name[n]) {
                    if matched {
                        p += next;
                        n += 1;
                        continue;
                    }
                } else if name[n] == b'[' {
                    p += 1;
                    n += 1;
                    continue;
                }
            }
            Some(b'\\') if pattern.get(p + 1) == Some(&name[n]) => {
                p += 2;
                n += 1;
                continue;
            }
            Some(&literal) if literal == name[n] && literal != b'\\' => {
                p += 1;
                n += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((star_p, star_n)) => {
                p = star_p + 1;
                n = star_n + 1;
                star = Some((star_p, star_n + 1));
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|&b| b == b'*')
}

/// Matches `byte` against the bracket expression at the start of `class`.
/// Returns whether it matched and the length of the expression, or `None`
/// when the bracket is not closed (then `[` is literal).
fn match_class(class: &[u8], byte: u8) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = matches!(class.get(i), Some(b'!' | b'^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let c = *class.get(i)?;
        if c == b']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if class.get(i + 1) == Some(&b'-') && class.get(i + 2).is_some_and(|&e| e != b']') {
            let end = class[i + 2];
            if (c..=end).contains(&byte) {
                matched = true;
            }
            i += 3;
        } else {
            if c == byte {
                matched = true;
            }
            i += 1;
        }
    }
}

/// Why a glob expansion stopped.
#[derive(Debug)]
pub enum GlobError {
    /// More matches than the caller allows.
    TooManyMatches(usize),
    Io(io::Error),
}

/// Expands `pattern` (absolute, or relative to the process's directory)
/// into the existing paths it names, sorted byte-wise per component as
/// glibc's `glob` and httpd do. Wildcards may stand in any component.
pub fn expand(pattern: &Path, limit: usize) -> Result<Vec<PathBuf>, GlobError> {
    let mut current: Vec<PathBuf> = vec![PathBuf::new()];
    for component in pattern.components() {
        let text = component.as_os_str().to_string_lossy();
        if !has_wildcard(&text) {
            for path in &mut current {
                path.push(component.as_os_str());
            }
            current.retain(|path| path.symlink_metadata().is_ok() || path.as_os_str().is_empty());
            continue;
        }
        let mut next = Vec::new();
        for dir in &current {
            let read_from = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir.as_path()
            };
            let Ok(entries) = std::fs::read_dir(read_from) else {
                continue;
            };
            let mut names: Vec<_> = entries
                .filter_map(Result::ok)
                .map(|entry| entry.file_name())
                .filter(|name| matches_name(text.as_bytes(), name.as_encoded_bytes()))
                .collect();
            names.sort_by(|a, b| a.as_encoded_bytes().cmp(b.as_encoded_bytes()));
            for name in names {
                next.push(dir.join(name));
                if next.len() > limit {
                    return Err(GlobError::TooManyMatches(limit));
                }
            }
        }
        current = next;
    }
    current.retain(|path| !path.as_os_str().is_empty());
    Ok(current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(matches_name(b"*.conf", b"a.conf"));
        assert!(!matches_name(b"*.conf", b".a.conf"));
        assert!(matches_name(b".*.conf", b".a.conf"));
        assert!(!matches_name(b"*.conf", b"a.conf~"));
        assert!(matches_name(b"a?c", b"abc"));
        assert!(matches_name(b"[a-c]x", b"bx"));
        assert!(!matches_name(b"[!a-c]x", b"bx"));
        assert!(matches_name(b"[]]", b"]"));
        assert!(matches_name(b"[ab", b"[ab"));
        assert!(matches_name(b"*a*b*c", b"xxaxxbxxc"));
        assert!(!matches_name(b"*a*b*c", b"xxaxxbxx"));
        assert!(matches_name(b"\\*", b"*"));
        assert!(!matches_name(b"\\*", b"a"));
    }
}
