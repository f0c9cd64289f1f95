//! Checking a password against an `AuthUserFile` entry, for the formats
//! `htpasswd` writes that need no system library: `$apr1$` (Apache's
//! MD5-crypt) and `{SHA}` (SHA-1, base64). Anything else (crypt, bcrypt)
//! is "cannot tell".

use lint403_core::digest::{base64, md5_crypt, sha1};

/// `Some(matches)`, or `None` for a hash format lint403 does not check.
pub(super) fn verify(hash: &str, password: &str) -> Option<bool> {
    if let Some(digest) = hash.strip_prefix("{SHA}") {
        return Some(base64(&sha1(password.as_bytes())) == digest);
    }
    if let Some(rest) = hash.strip_prefix("$apr1$") {
        let salt = rest.split('$').next().unwrap_or("");
        let salt = salt.get(..salt.len().min(8)).unwrap_or(salt);
        return Some(md5_crypt(password.as_bytes(), salt.as_bytes(), b"$apr1$") == hash);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn htpasswd_formats() {
        // Written by htpasswd -m (ubasic:pbasic) and htpasswd -s (a:a).
        assert_eq!(
            verify("$apr1$opONH1Fj$dX0sZdZ0rRWEk0Wj8y.Qv1", "pbasic"),
            Some(true)
        );
        assert_eq!(
            verify("$apr1$opONH1Fj$dX0sZdZ0rRWEk0Wj8y.Qv1", "foo"),
            Some(false)
        );
        assert_eq!(verify("{SHA}hvfkN/qlp/zhXR3cuerq6jd2Z7g=", "a"), Some(true));
        assert_eq!(
            verify("{SHA}hvfkN/qlp/zhXR3cuerq6jd2Z7g=", "b"),
            Some(false)
        );
        assert_eq!(verify("$2y$05$abc", "x"), None);
    }
}
