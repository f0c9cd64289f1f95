//! Checking a password against one `auth_basic_user_file` entry the way
//! nginx's `ngx_crypt` does: `{PLAIN}`, `{SHA}`, `{SSHA}`, `$apr1$` and
//! `$1$` (MD5-crypt) and traditional DES `crypt(3)` are computed here;
//! anything else (`$5$`, `$6$`, bcrypt, ...) goes to the system's
//! `crypt()`, which lint403 does not call, so those answer "cannot tell".

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
    if hash.len() == 13 && hash.bytes().all(|b| CRYPT64.contains(&b)) {
        return super::des_crypt::crypt(password.as_bytes(), hash.as_bytes())
            .map(|own| own == hash);
    }
    None
}

const CRYPT64: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Poul-Henning Kamp's MD5-based crypt (`$1$`, and Apache's `$apr1$`).
fn md5_crypt(password: &[u8], salt: &[u8], magic: &[u8]) -> String {
    let mut alternate = Vec::new();
    alternate.extend_from_slice(password);
    alternate.extend_from_slice(salt);
    alternate.extend_from_slice(password);
    let alternate = md5(&alternate);
    let mut context = Vec::new();
    context.extend_from_slice(password);
    context.extend_from_slice(magic);
    context.extend_from_slice(salt);
    let mut remaining = password.len();
    while remaining > 0 {
        let take = remaining.min(16);
        context.extend_from_slice(&alternate[..take]);
        remaining -= take;
    }
    let mut bits = password.len();
    while bits > 0 {
        if bits & 1 == 1 {
            context.push(0);
        } else {
            context.push(password.first().copied().unwrap_or(0));
        }
        bits >>= 1;
    }
    let mut digest = md5(&context);
    for round in 0..1000 {
        let mut next = Vec::new();
        if round & 1 == 1 {
            next.extend_from_slice(password);
        } else {
            next.extend_from_slice(&digest);
        }
        if round % 3 != 0 {
            next.extend_from_slice(salt);
        }
        if round % 7 != 0 {
            next.extend_from_slice(password);
        }
        if round & 1 == 1 {
            next.extend_from_slice(&digest);
        } else {
            next.extend_from_slice(password);
        }
        digest = md5(&next);
    }
    let mut out = String::new();
    out.push_str(&String::from_utf8_lossy(magic));
    out.push_str(&String::from_utf8_lossy(salt));
    out.push('$');
    let groups = [(0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5)];
    for (a, b, c) in groups {
        let value =
            (u32::from(digest[a]) << 16) | (u32::from(digest[b]) << 8) | u32::from(digest[c]);
        push64(&mut out, value, 4);
    }
    push64(&mut out, u32::from(digest[11]), 2);
    out
}

fn push64(out: &mut String, mut value: u32, count: usize) {
    for _ in 0..count {
        out.push(char::from(CRYPT64[(value & 0x3f) as usize]));
        value >>= 6;
    }
}

#[allow(clippy::many_single_char_names)] // the names of RFC 1321
fn md5(data: &[u8]) -> [u8; 16] {
    const SHIFTS: [u32; 64] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5,
        9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10,
        15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ];
    let constants: Vec<u32> = (0..64)
        .map(|i| {
            let value = (f64::from(i + 1).sin().abs() * 4_294_967_296.0).floor();
            // The value is below 2^32 by construction.
            #[allow(clippy::cast_sign_loss)]
            let value = value as u64;
            u32::try_from(value & 0xffff_ffff).unwrap_or(0)
        })
        .collect();
    let mut state: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];
    let mut message = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&bit_len.to_le_bytes());
    for block in message.chunks(64) {
        let words: Vec<u32> = block
            .chunks(4)
            .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
            .collect();
        let [mut a, mut b, mut c, mut d] = state;
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let rotated = a
                .wrapping_add(f)
                .wrapping_add(constants[i])
                .wrapping_add(words[g])
                .rotate_left(SHIFTS[i]);
            a = d;
            d = c;
            c = b;
            b = b.wrapping_add(rotated);
        }
        for (own, value) in state.iter_mut().zip([a, b, c, d]) {
            *own = own.wrapping_add(value);
        }
    }
    let mut out = [0u8; 16];
    for (i, word) in state.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&word.to_le_bytes());
    }
    out
}

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

fn base64(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(BASE64[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn unbase64(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::new();
    let mut buffer = 0u32;
    let mut bits = 0;
    for byte in text.bytes() {
        let value = BASE64.iter().position(|&c| c == byte)?;
        buffer = (buffer << 6) | u32::try_from(value).ok()?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    Some(out)
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
        assert_eq!(md5(b"abc")[0], 0x90);
    }
}
