//! Server-written text in Mattermost's words: an upstream message id, its English text with the
//! Go-style `%v` placeholders filled in.

/// An upstream message with Go-style `%v` placeholders filled in order.
pub fn fill(id: &str, args: &[&str]) -> String {
    let mut msg = crate::error::lookup(id).unwrap_or_else(|| id.to_string());
    for a in args {
        msg = msg.replacen("%v", a, 1);
    }
    msg
}
