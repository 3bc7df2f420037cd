//! Mattermost's 26-character ids (`model.NewId`): 16 random bytes in a custom base32 alphabet.

use rand::RngCore;

/// Mattermost's base32 alphabet: no `0`, `2`, `l` or `v`, so ids never read ambiguously.
pub const ALPHABET: &[u8; 32] = b"ybndrfg8ejkmcpqxot1uwisza345h769";

/// Encodes bytes in Mattermost's unpadded base32.
pub fn encode_base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let mut buf: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        buf = (buf << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buf >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buf << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// A fresh random id, the same shape as Mattermost's (a v4 UUID's 16 bytes, 26 chars).
pub fn new_id() -> String {
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    encode_base32(&b)
}

/// Mattermost's `IsValidId`: 26 alphanumeric characters.
pub fn is_valid_id(s: &str) -> bool {
    s.len() == 26 && s.bytes().all(|c| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_26_chars_of_the_alphabet_and_unique() {
        let a = new_id();
        let b = new_id();
        assert_eq!(a.len(), 26);
        assert!(a.bytes().all(|c| ALPHABET.contains(&c)));
        assert_ne!(a, b);
        assert!(is_valid_id(&a));
        assert!(!is_valid_id("short"));
        assert!(!is_valid_id("abcdefghijklmnopqrstuvwxy!"));
    }
}
