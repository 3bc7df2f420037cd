//! How secrets are kept and shaped: only a secret's SHA-256 reaches the database, and the
//! format of a personal access token's secret.
//!
//! A token secret is `rmpat_` + 30 random base62 characters + 6 base62 characters of the CRC32 of
//! the random part, so secret scanners can recognise one and a mistyped one is refused before any
//! lookup. The session minted from a token carries the token's hash, which is how a token's
//! sessions are found and evicted.

use rand::Rng;
use sha2::{Digest, Sha256};

/// The hex SHA-256 of a secret: the only form in which secrets reach the database.
pub fn hash_secret(secret: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let d = Sha256::digest(secret.as_bytes());
    // Runs on every authenticated request: no formatting machinery, one allocation.
    let mut s = String::with_capacity(64);
    for b in d {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    s
}

/// Every Rustmost access token starts with this.
pub const PREFIX: &str = "rmpat_";
const RANDOM_LEN: usize = 30;
const CHECK_LEN: usize = 6;
/// Length of a whole secret.
pub const TOKEN_LEN: usize = PREFIX.len() + RANDOM_LEN + CHECK_LEN;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn checksum(random: &str) -> String {
    let mut n = crc32fast::hash(random.as_bytes());
    let mut out = [b'0'; CHECK_LEN];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out.to_vec()).expect("base62 is ASCII")
}

/// A fresh secret.
pub fn generate_secret() -> String {
    let mut rng = rand::rngs::OsRng;
    let random: String = (0..RANDOM_LEN)
        .map(|_| BASE62[rng.gen_range(0..62)] as char)
        .collect();
    let check = checksum(&random);
    format!("{PREFIX}{random}{check}")
}

/// Whether `s` has the prefix, the length, the alphabet and a matching checksum.
pub fn is_well_formed(s: &str) -> bool {
    let Some(rest) = s.strip_prefix(PREFIX) else {
        return false;
    };
    if rest.len() != RANDOM_LEN + CHECK_LEN || !rest.bytes().all(|c| c.is_ascii_alphanumeric()) {
        return false;
    }
    let (random, check) = rest.split_at(RANDOM_LEN);
    checksum(random) == check
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_well_formed_and_distinct() {
        let a = generate_secret();
        let b = generate_secret();
        assert_eq!(a.len(), TOKEN_LEN);
        assert!(a.starts_with(PREFIX));
        assert!(is_well_formed(&a));
        assert_ne!(a, b);
    }

    #[test]
    fn a_changed_character_breaks_the_checksum() {
        let a = generate_secret();
        let mut bytes = a.clone().into_bytes();
        let i = PREFIX.len() + 3;
        bytes[i] = if bytes[i] == b'a' { b'b' } else { b'a' };
        let typo = String::from_utf8(bytes).unwrap();
        assert!(!is_well_formed(&typo));
        assert!(!is_well_formed(&a[..a.len() - 1]));
    }

    /// The stored form must not change: every row in every database was written with it.
    #[test]
    fn the_hash_is_lowercase_hex_sha256() {
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hash_secret(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
