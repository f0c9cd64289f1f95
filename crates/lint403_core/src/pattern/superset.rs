//! A pattern `regex` can run that matches wherever a look-around or
//! back-reference pattern matches, and maybe elsewhere: the backtracking
//! engine is asked only about the texts this cheaper pattern matches.
//!
//! Removing a look-around (an assertion that consumes nothing) can only
//! let more texts match; a back-reference matches one string, which
//! `(?s:.*)` matches too; an atomic group `(?>…)` matches a subset of
//! what `(?:…)` matches. Anything else this does not understand (nested
//! classes, recursion, conditionals, a quantifier after a removed
//! look-around) gives no superset rather than a guess.

/// The superset pattern of `source`, when one can be written and differs
/// from `source`.
pub(super) fn superset(source: &str) -> Option<String> {
    let bytes = source.as_bytes();
    let mut out = String::with_capacity(source.len());
    let mut index = 0;
    let mut changed = false;
    while index < bytes.len() {
        match bytes[index] {
            b'\\' => {
                let escaped = *bytes.get(index + 1)?;
                if escaped.is_ascii_digit() && escaped != b'0' {
                    index += 2;
                    while bytes.get(index).is_some_and(u8::is_ascii_digit) {
                        index += 1;
                    }
                    out.push_str("(?s:.*)");
                    changed = true;
                    continue;
                }
                match escaped {
                    b'k' => {
                        index = named_reference_end(bytes, index + 2)?;
                        out.push_str("(?s:.*)");
                        changed = true;
                    }
                    // Relative references, recursion, `\K` (match start reset).
                    b'g' | b'K' => return None,
                    _ => {
                        let width = char_width(source, index + 1)?;
                        out.push_str(source.get(index..=index + width)?);
                        index += 1 + width;
                    }
                }
            }
            b'[' => {
                let end = class_end(bytes, index)?;
                out.push_str(source.get(index..end)?);
                index = end;
            }
            b'(' if bytes.get(index + 1) == Some(&b'?') => {
                let rest = &bytes[index + 2..];
                if rest.starts_with(b"=")
                    || rest.starts_with(b"!")
                    || rest.starts_with(b"<=")
                    || rest.starts_with(b"<!")
                {
                    index = group_end(bytes, index)?;
                    if matches!(bytes.get(index), Some(b'*' | b'+' | b'?' | b'{')) {
                        return None;
                    }
                    changed = true;
                } else if rest.starts_with(b">") {
                    out.push_str("(?:");
                    index += 3;
                    changed = true;
                } else if rest.first().is_some_and(|c| {
                    matches!(c, b'|' | b'R' | b'&' | b'(' | b'+' | b'-') || c.is_ascii_digit()
                }) || rest.starts_with(b"P>")
                    || rest.starts_with(b"P=")
                {
                    return None;
                } else {
                    out.push_str("(?");
                    index += 2;
                }
            }
            _ => {
                let width = char_width(source, index)?;
                out.push_str(source.get(index..index + width)?);
                index += width;
            }
        }
    }
    changed.then_some(out)
}

/// The length in bytes of the character at `at`.
fn char_width(source: &str, at: usize) -> Option<usize> {
    source.get(at..)?.chars().next().map(char::len_utf8)
}

/// Past the name of `\k<name>`, `\k{name}` or `\k'name'`, from the byte
/// after `k`.
fn named_reference_end(bytes: &[u8], from: usize) -> Option<usize> {
    let close = match bytes.get(from)? {
        b'<' => b'>',
        b'{' => b'}',
        b'\'' => b'\'',
        _ => return None,
    };
    let length = bytes.get(from + 1..)?.iter().position(|&c| c == close)?;
    Some(from + 1 + length + 1)
}

/// Past the `]` that closes the class opened at `open`; `None` for a class
/// that holds another `[` (a POSIX class or a set operation, read
/// differently by the two engines).
fn class_end(bytes: &[u8], open: usize) -> Option<usize> {
    let mut index = open + 1;
    if bytes.get(index) == Some(&b'^') {
        index += 1;
    }
    // A `]` first is a literal.
    if bytes.get(index) == Some(&b']') {
        index += 1;
    }
    while let Some(&c) = bytes.get(index) {
        match c {
            b'\\' => index += 2,
            b'[' => return None,
            b']' => return Some(index + 1),
            _ => index += 1,
        }
    }
    None
}

/// Past the `)` that closes the group opened at `open`.
fn group_end(bytes: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut index = open;
    while let Some(&c) = bytes.get(index) {
        match c {
            b'\\' => index += 2,
            b'[' => index = class_end(bytes, index)?,
            b'(' => {
                depth += 1;
                index += 1;
            }
            b')' => {
                depth -= 1;
                index += 1;
                if depth == 0 {
                    return Some(index);
                }
            }
            _ => index += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::superset;

    #[test]
    fn look_around_is_removed_and_references_widened() {
        assert_eq!(superset(r"/\.(?!well-known)").as_deref(), Some(r"/\."));
        assert_eq!(
            superset(r"^/(?!\.well-known/)(?<=/)\.[a-z]+$").as_deref(),
            Some(r"^/\.[a-z]+$")
        );
        assert_eq!(superset(r"^/(a+)/\1$").as_deref(), Some(r"^/(a+)/(?s:.*)$"));
        assert_eq!(
            superset(r"(?<w>x)\k<w>").as_deref(),
            Some(r"(?<w>x)(?s:.*)")
        );
        assert_eq!(superset(r"(?>a|ab)c").as_deref(), Some(r"(?:a|ab)c"));
        // A class holding look-around syntax is copied as it stands.
        assert_eq!(superset(r"[(?!]x(?=y)").as_deref(), Some(r"[(?!]x"));
        assert_eq!(superset(r"(?!(a)[)])b").as_deref(), Some("b"));
    }

    #[test]
    fn nothing_to_remove_or_nothing_safe_gives_none() {
        assert_eq!(superset(r"\.php$"), None);
        assert_eq!(superset(r"(?!a)*b"), None);
        assert_eq!(superset(r"(a)(?1)"), None);
        assert_eq!(superset(r"(?(1)a|b)"), None);
        assert_eq!(superset(r"[[:alpha:]](?=x)"), None);
        assert_eq!(superset(r"a\g{1}"), None);
        assert_eq!(superset(r"(?!unclosed"), None);
        assert_eq!(superset("trailing\\"), None);
    }
}
