//! Slash commands: `model.Command`, the integration's `CommandResponse`, the `response_url`
//! record (`CommandWebhook`), and a user's presence (`Status`) that the built-in status
//! commands set.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub const METHOD_POST: &str = "P";
pub const METHOD_GET: &str = "G";
pub const TRIGGER_MAX_LEN: usize = 128;
pub const URL_MAX_LEN: usize = 1024;
pub const DISPLAY_NAME_MAX_RUNES: usize = 64;
pub const DESCRIPTION_MAX_RUNES: usize = 128;

/// `model.Command`; `last_used_at` (ms, 0 = never) is Rustmost's addition.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Command {
    pub id: String,
    pub token: String,
    pub create_at: i64,
    pub update_at: i64,
    pub delete_at: i64,
    pub creator_id: String,
    pub team_id: String,
    pub trigger: String,
    pub method: String,
    pub username: String,
    pub icon_url: String,
    pub auto_complete: bool,
    pub auto_complete_desc: String,
    pub auto_complete_hint: String,
    pub display_name: String,
    pub description: String,
    pub url: String,
    pub plugin_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autocomplete_data: Option<Value>,
    pub last_used_at: i64,
}

impl Command {
    /// `Command.Sanitize`: what anyone who may list a team's commands sees.
    pub fn sanitize(&mut self) {
        self.token.clear();
        self.creator_id.clear();
        self.method.clear();
        self.url.clear();
        self.username.clear();
        self.icon_url.clear();
    }
}

/// `model.CommandResponse`, as integrations answer and `POST /commands/execute` returns.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct CommandResponse {
    pub response_type: String,
    pub text: String,
    pub username: String,
    pub channel_id: String,
    pub icon_url: String,
    #[serde(rename = "type")]
    pub post_type: String,
    pub props: Map<String, Value>,
    pub goto_location: String,
    pub trigger_id: String,
    pub skip_slack_parsing: bool,
    pub attachments: Option<Vec<Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra_responses: Option<Vec<CommandResponse>>,
}

pub const RESPONSE_EPHEMERAL: &str = "ephemeral";
pub const RESPONSE_IN_CHANNEL: &str = "in_channel";

/// A `response_url`: the command invocation it answers, and how often it was used.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandWebhook {
    pub id: String,
    pub create_at: i64,
    pub command_id: String,
    pub user_id: String,
    pub channel_id: String,
    pub root_id: String,
    pub use_count: i64,
}

/// Upstream's `CommandWebhookTimeToLive`: a `response_url` works for 30 minutes...
pub const COMMAND_WEBHOOK_TTL_MS: i64 = 30 * 60 * 1000;
/// ...and at most this many times.
pub const COMMAND_WEBHOOK_MAX_USES: i64 = 5;

/// `model.Status`, upstream-shaped.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Status {
    pub user_id: String,
    pub status: String,
    pub manual: bool,
    pub last_activity_at: i64,
}

pub const STATUS_ONLINE: &str = "online";
pub const STATUS_AWAY: &str = "away";
pub const STATUS_OFFLINE: &str = "offline";
pub const STATUS_DND: &str = "dnd";
