//! Personal access tokens ("user access tokens") as the API shows them.

use serde::{Deserialize, Serialize};

/// Mattermost's `model.UserAccessToken`, plus Rustmost's additive `last_used_at`/`last_used_ip`.
/// `token` (the secret) is present only in the create and rotate responses.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct UserAccessToken {
    #[serde(default)]
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub token: String,
    #[serde(default)]
    pub user_id: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub is_active: bool,
    /// Unix ms, 0 = never (Mattermost v11.10); always present.
    #[serde(default)]
    pub expires_at: i64,
    /// When the token last authenticated a request (ms, 0 = never); written at most once a minute.
    #[serde(default)]
    pub last_used_at: i64,
    /// The client address of that request ("" = never used).
    #[serde(default)]
    pub last_used_ip: String,
}

impl UserAccessToken {
    /// `IsExpired`: an expiry is set and has passed.
    pub fn is_expired(&self, now_ms: i64) -> bool {
        self.expires_at > 0 && now_ms >= self.expires_at
    }
}
