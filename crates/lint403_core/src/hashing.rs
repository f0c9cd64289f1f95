//! A fast hasher for the maps keyed by paths, file ids and directive names
//! that loading a large configuration asks hundreds of thousands of times:
//! the standard library's `SipHash` spent about 300 instructions per path.
//! The keys are the configuration's own file and directive names and ids,
//! not chosen by someone who could gain anything beyond a slower lookup by
//! making them collide.

use std::hash::{BuildHasher, Hasher};

/// Builds [`WordHasher`]s: `HashMap<K, V, FastHash>`.
#[derive(Debug, Clone, Copy, Default)]
pub struct FastHash;

impl BuildHasher for FastHash {
    type Hasher = WordHasher;
    fn build_hasher(&self) -> WordHasher {
        WordHasher(0)
    }
}

/// Eight bytes at a time, each word mixed in by a rotation and one
/// multiplication (the scheme of rustc's `FxHasher`), finished by a last
/// multiplication so that the table's low bits depend on every byte.
#[derive(Debug, Clone, Copy)]
pub struct WordHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl WordHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
        // The length, so that "a" and "a\0" differ.
        self.add(bytes.len() as u64);
    }

    fn write_u32(&mut self, value: u32) {
        self.add(u64::from(value));
    }

    fn write_u64(&mut self, value: u64) {
        self.add(value);
    }

    fn write_usize(&mut self, value: usize) {
        self.add(value as u64);
    }

    fn finish(&self) -> u64 {
        self.0.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(26)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(bytes: &[u8]) -> u64 {
        FastHash.hash_one(bytes)
    }

    /// Keys that differ in any byte, or only in length, hash apart, and the
    /// low bits (what a table uses) take many values.
    #[test]
    fn keys_that_differ_hash_apart() {
        let mut seen = std::collections::HashSet::new();
        let mut low = std::collections::HashSet::new();
        for length in 0..40 {
            for position in 0..length.max(1) {
                let mut key = vec![b'a'; length];
                if let Some(byte) = key.get_mut(position) {
                    *byte = b'b';
                }
                let value = hash(&key);
                seen.insert((key, value));
                low.insert(value & 1023);
            }
        }
        let values: std::collections::HashSet<u64> = seen.iter().map(|(_, value)| *value).collect();
        assert_eq!(values.len(), seen.len());
        assert!(low.len() > 400, "{}", low.len());
        assert_ne!(hash(b"a"), hash(b"a\0"));
        let map: std::collections::HashMap<u32, u32, FastHash> =
            (0..1000).map(|n| (n, n * 2)).collect();
        assert!((0..1000).all(|n| map.get(&n) == Some(&(n * 2))));
    }
}
