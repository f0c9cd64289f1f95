//! Checking a password against one `auth_basic_user_file` entry the way
//! nginx's `ngx_crypt` does: `{PLAIN}`, `{SHA}`, `{SSHA}`, `$apr1$` and
//! `$1$` (MD5-crypt) and traditional DES `crypt(3)` are computed here;
//! anything else (`$5$`, `$6$`, bcrypt, ...) goes to the system's
//! `crypt()`, which lint403 does not call, so those answer "cannot tell".

use lint403_core::digest::{base64, md5_crypt, sha1, unbase64};

/// `Some(matches)`, or `None` when lint403 cannot compute the scheme.
pub fn verify(password: &str, hash: &str) -> Option<bool> {
    if let Some(plain) = hash.strip_prefix("{PLAIN}") {
        return Some(plain == password);
    }
    if let Some(digest) = hash.strip_prefix("{SHA}") {
        return Some(base64(&sha1(password.as_bytes())) == digest);
    }
    if let Some(encoded) = hash.strip_prefix("{SSHA}") {
        let Some(decoded) = unbase64(encoded) else {
            return Some(false);
        };
        if decoded.len() < 20 {
            return Some(false);
        }
        let (digest, salt) = decoded.split_at(20);
        let mut input = password.as_bytes().to_vec();
        input.extend_from_slice(salt);
        return Some(sha1(&input) == digest);
    }
    for magic in ["$apr1$", "$1$"] {
        if let Some(rest) = hash.strip_prefix(magic) {
            let salt: String = rest.chars().take_while(|&c| c != '$').take(8).collect();
            return Some(md5_crypt(password.as_bytes(), salt.as_bytes(), magic.as_bytes()) == hash);
        }
    }
    // A traditional crypt(3) hash: two salt characters, eleven of hash.
    if hash.len() == 13
        && hash
            .bytes()
            .all(|b| lint403_core::digest::CRYPT64.contains(&b))
    {
        return super::des_crypt::crypt(password.as_bytes(), hash.as_bytes())
            .map(|own| own == hash);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_hashes() {
        // Values from the htpasswd of nginx's own auth_basic test.
        assert_eq!(
            verify("password", "$1$salt$qJH7.N4xYta3aEG/dfqo/0"),
            Some(true)
        );
        assert_eq!(
            verify("password", "$apr1$salt$Xxd1irWT9ycqoYxGFn4cb."),
            Some(true)
        );
        assert_eq!(
            verify("wrong", "$apr1$salt$Xxd1irWT9ycqoYxGFn4cb."),
            Some(false)
        );
        assert_eq!(
            verify("password", "{SSHA}yI6cZwQadOA1e+/f+T+H3eCQQhRzYWx0"),
            Some(true)
        );
        assert_eq!(verify("password", "{PLAIN}password"), Some(true));
        assert_eq!(
            verify("password", "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g="),
            Some(true)
        );
        assert_eq!(verify("1", "$1$"), Some(false));
        assert_eq!(verify("password", "sa3tHJ3/KuYvI"), Some(true));
        assert_eq!(verify("123", "sa3tHJ3/KuYvI"), Some(false));
        assert_eq!(verify("password", "$6$salt$hash"), None);
    }
}
