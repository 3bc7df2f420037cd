//! Incoming and outgoing webhooks (`model.IncomingWebhook`, `model.OutgoingWebhook`), with
//! Rustmost's additive `last_used_at`.

use serde::{Deserialize, Serialize};

/// Mattermost's `IncomingWebhook`. The id is the secret part of the hook's URL.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct IncomingWebhook {
    pub id: String,
    pub create_at: i64,
    pub update_at: i64,
    pub delete_at: i64,
    pub user_id: String,
    pub channel_id: String,
    pub team_id: String,
    pub display_name: String,
    pub description: String,
    pub username: String,
    pub icon_url: String,
    pub channel_locked: bool,
    /// When a post last came through the hook (ms, 0 = never); Rustmost's addition.
    pub last_used_at: i64,
}

/// Mattermost's `OutgoingWebhook`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct OutgoingWebhook {
    pub id: String,
    pub token: String,
    pub create_at: i64,
    pub update_at: i64,
    pub delete_at: i64,
    pub creator_id: String,
    pub channel_id: String,
    pub team_id: String,
    pub trigger_words: Vec<String>,
    pub trigger_when: i64,
    pub callback_urls: Vec<String>,
    pub display_name: String,
    pub description: String,
    pub content_type: String,
    pub username: String,
    pub icon_url: String,
    /// When the hook last fired (ms, 0 = never); Rustmost's addition.
    pub last_used_at: i64,
}
