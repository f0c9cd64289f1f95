//! Checking a password against an `AuthUserFile` entry, for the formats
//! `htpasswd` writes that need no system library: `$apr1$` (Apache's
//! MD5-crypt) and `{SHA}` (SHA-1, base64). Anything else (crypt, bcrypt)
//! is "cannot tell".

/// `Some(matches)`, or `None` for a hash format lint403 does not check.
pub(super) fn verify(hash: &str, password: &str) -> Option<bool> {
    if let Some(digest) = hash.strip_prefix("{SHA}") {
        return Some(base64(&sha1(password.as_bytes())) == digest);
    }
    if let Some(rest) = hash.strip_prefix("$apr1$") {
        let salt = rest.split('$').next().unwrap_or("");
        return Some(apr1(password.as_bytes(), salt.as_bytes()) == hash);
    }
    None
}

// The letters are the algorithm's own names for its registers.
#[allow(clippy::many_single_char_names)]
fn md5(input: &[u8]) -> [u8; 16] {
    const SHIFTS: [u32; 64] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5,
        9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10,
        15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ];
    let constants: Vec<u32> = (0..64)
        .map(|i| {
            #[allow(clippy::cast_sign_loss, clippy::cast_precision_loss)]
            let value = (f64::from(i + 1).sin().abs() * 4_294_967_296.0) as u64;
            (value & 0xffff_ffff) as u32
        })
        .collect();
    let mut state: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];
    let mut message = input.to_vec();
    let bits = (input.len() as u64).wrapping_mul(8);
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&bits.to_le_bytes());
    for chunk in message.chunks(64) {
        let words: Vec<u32> = chunk
            .chunks(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let [mut a, mut b, mut c, mut d] = state;
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let f = f
                .wrapping_add(a)
                .wrapping_add(constants[i])
                .wrapping_add(words[g]);
            a = d;
            d = c;
            c = b;
            b = b.wrapping_add(f.rotate_left(SHIFTS[i]));
        }
        state[0] = state[0].wrapping_add(a);
        state[1] = state[1].wrapping_add(b);
        state[2] = state[2].wrapping_add(c);
        state[3] = state[3].wrapping_add(d);
    }
    let mut out = [0u8; 16];
    for (index, word) in state.iter().enumerate() {
        out[index * 4..index * 4 + 4].copy_from_slice(&word.to_le_bytes());
    }
    out
}

#[allow(clippy::many_single_char_names)]
fn sha1(input: &[u8]) -> [u8; 20] {
    let mut state: [u32; 5] = [
        0x6745_2301,
        0xEFCD_AB89,
        0x98BA_DCFE,
        0x1032_5476,
        0xC3D2_E1F0,
    ];
    let mut message = input.to_vec();
    let bits = (input.len() as u64).wrapping_mul(8);
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&bits.to_be_bytes());
    for chunk in message.chunks(64) {
        let mut w = [0u32; 80];
        for (i, b) in chunk.chunks(4).enumerate() {
            w[i] = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = state;
        for (i, word) in w.iter().enumerate() {
            let (f, k) = match i / 20 {
                0 => ((b & c) | (!b & d), 0x5A82_7999),
                1 => (b ^ c ^ d, 0x6ED9_EBA1),
                2 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
                _ => (b ^ c ^ d, 0xCA62_C1D6),
            };
            let temp = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*word);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = temp;
        }
        for (slot, value) in state.iter_mut().zip([a, b, c, d, e]) {
            *slot = slot.wrapping_add(value);
        }
    }
    let mut out = [0u8; 20];
    for (index, word) in state.iter().enumerate() {
        out[index * 4..index * 4 + 4].copy_from_slice(&word.to_be_bytes());
    }
    out
}

fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Apache's MD5-crypt (`apr_md5_encode` with the `$apr1$` magic).
fn apr1(password: &[u8], salt: &[u8]) -> String {
    const MAGIC: &[u8] = b"$apr1$";
    const ITOA64: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let salt = &salt[..salt.len().min(8)];
    let mut context = Vec::new();
    context.extend_from_slice(password);
    context.extend_from_slice(MAGIC);
    context.extend_from_slice(salt);
    let mut alternate = Vec::new();
    alternate.extend_from_slice(password);
    alternate.extend_from_slice(salt);
    alternate.extend_from_slice(password);
    let mut digest = md5(&alternate);
    let mut remaining = password.len();
    while remaining > 0 {
        let take = remaining.min(16);
        context.extend_from_slice(&digest[..take]);
        remaining -= take;
    }
    let mut i = password.len();
    while i != 0 {
        if i & 1 == 1 {
            context.push(0);
        } else {
            context.push(password.first().copied().unwrap_or(0));
        }
        i >>= 1;
    }
    digest = md5(&context);
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
    let mut out = String::from("$apr1$");
    out.push_str(&String::from_utf8_lossy(salt));
    out.push('$');
    let mut push = |value: u32, count: usize| {
        let mut value = value;
        for _ in 0..count {
            out.push(ITOA64[(value & 0x3f) as usize] as char);
            value >>= 6;
        }
    };
    let d = |i: usize| u32::from(digest[i]);
    push((d(0) << 16) | (d(6) << 8) | d(12), 4);
    push((d(1) << 16) | (d(7) << 8) | d(13), 4);
    push((d(2) << 16) | (d(8) << 8) | d(14), 4);
    push((d(3) << 16) | (d(9) << 8) | d(15), 4);
    push((d(4) << 16) | (d(10) << 8) | d(5), 4);
    push(d(11), 2);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        let hex = |bytes: &[u8]| {
            bytes.iter().fold(String::new(), |mut out, b| {
                use std::fmt::Write as _;
                let _ = write!(out, "{b:02x}");
                out
            })
        };
        assert_eq!(hex(&md5(b"")), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(hex(&md5(b"abc")), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(
            hex(&sha1(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(base64(b"ab"), "YWI=");
    }

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
