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

/// A string that is not a Mattermost id ([`is_valid_id`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidId;

impl std::fmt::Display for InvalidId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not a 26-character alphanumeric id")
    }
}

impl std::error::Error for InvalidId {}

/// A newtype over a valid Mattermost id: it is a plain string on the wire (deserializing
/// checks the shape) and reads as a `&str` everywhere else.
macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// `Some` when `s` is a valid id ([`is_valid_id`]).
            pub fn parse(s: &str) -> Option<Self> {
                is_valid_id(s).then(|| Self(s.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(s: String) -> Result<Self, InvalidId> {
                if is_valid_id(&s) { Ok(Self(s)) } else { Err(InvalidId) }
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, InvalidId> {
                Self::parse(s).ok_or(InvalidId)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::try_from(s).map_err(serde::de::Error::custom)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        // Ids are passed on as `&str` to the store and app layers.
        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }
    };
}

typed_id!(
    /// A user's id (humans and bots alike).
    UserId
);
typed_id!(
    /// A bot's id: the id of the bot's user account.
    BotId
);
typed_id!(
    /// A team's id.
    TeamId
);
typed_id!(
    /// A channel's id.
    ChannelId
);
typed_id!(
    /// A post's id.
    PostId
);
typed_id!(
    /// A personal access token's id (not the token itself, which is a secret).
    TokenId
);
typed_id!(
    /// A role's id.
    RoleId
);
typed_id!(
    /// A session's id (not its token, which is a secret).
    SessionId
);
typed_id!(
    /// An incoming or outgoing webhook's id.
    HookId
);
typed_id!(
    /// A slash command's id.
    CommandId
);

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

    #[test]
    fn typed_ids_accept_only_valid_ids_and_are_plain_strings_on_the_wire() {
        let raw = new_id();
        let id = UserId::parse(&raw).expect("a fresh id is valid");
        assert_eq!(id, raw);
        assert_eq!(id.to_string(), raw);
        assert_eq!(serde_json::to_value(&id).unwrap(), serde_json::json!(raw));
        let back: UserId = serde_json::from_value(serde_json::json!(raw)).unwrap();
        assert_eq!(back, id);
        assert!(UserId::parse("me").is_none());
        assert!(TeamId::try_from("abcdefghijklmnopqrstuvwxy!".to_string()).is_err());
        assert!(serde_json::from_value::<PostId>(serde_json::json!("short")).is_err());
        assert!("abcdefghijklmnopqrstuvwxyz".parse::<ChannelId>().is_ok());
    }
}
