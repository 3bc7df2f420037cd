//! Signatures on the requests Rustmost sends to integrations (outgoing webhooks, slash
//! commands): a timestamp header and an HMAC-SHA256 over the timestamp and the body, keyed by
//! the hook's or command's token, as Slack's signing secret works. Receivers verify the request
//! without trusting a plain `token` field in the body, and reject replays by the timestamp.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Seconds since the epoch at which the request was signed.
pub const TIMESTAMP_HEADER: &str = "X-Rustmost-Request-Timestamp";
/// `v0=` and the lowercase hex HMAC-SHA256 of [`signed_string`], keyed by the token.
pub const SIGNATURE_HEADER: &str = "X-Rustmost-Signature";

/// The exact string that is signed: `v0:{timestamp}:{body}`.
pub fn signed_string(timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut s = format!("v0:{timestamp}:").into_bytes();
    s.extend_from_slice(body);
    s
}

/// The value of [`SIGNATURE_HEADER`] for a body sent at `timestamp` (seconds).
pub fn signature(token: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(token.as_bytes()).expect("any key length works");
    mac.update(&signed_string(timestamp, body));
    let mut out = String::with_capacity(67);
    out.push_str("v0=");
    for b in mac.finalize().into_bytes() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Both headers for a request signed at `now_ms` (the server's clock).
pub fn headers(token: &str, now_ms: i64, body: &[u8]) -> [(&'static str, String); 2] {
    let ts = now_ms / 1000;
    [
        (TIMESTAMP_HEADER, ts.to_string()),
        (SIGNATURE_HEADER, signature(token, ts, body)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_an_independent_hmac() {
        // RFC 4231-style check: HMAC-SHA256("key", "v0:1:hello") computed independently.
        let sig = signature("key", 1, b"hello");
        let mut mac = Hmac::<Sha256>::new_from_slice(b"key").unwrap();
        mac.update(b"v0:1:hello");
        let want: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(sig, format!("v0={want}"));
        assert_ne!(signature("other", 1, b"hello"), sig);
        assert_ne!(signature("key", 2, b"hello"), sig);
    }

    #[test]
    fn headers_are_signed_at_the_time_given() {
        let [(tn, ts), (sn, sig)] = headers("key", 1_700_000_123_456, b"hello");
        assert_eq!((tn, ts.as_str()), (TIMESTAMP_HEADER, "1700000123"));
        assert_eq!(
            (sn, sig),
            (SIGNATURE_HEADER, signature("key", 1_700_000_123, b"hello"))
        );
    }
}
