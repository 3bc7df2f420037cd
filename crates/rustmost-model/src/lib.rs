//! Mattermost API v4 wire types: ids, AppError JSON, users, sessions, roles, teams, channels,
//! posts and reactions.

pub mod access_token;
pub mod audit;
pub mod bot;
pub mod channel;
pub mod command;
pub mod error;
pub mod id;
pub mod json;
pub mod permission;
pub mod post;
pub mod role;
pub mod session;
pub mod team;
pub mod user;
pub mod webhook;

pub use error::AppErrorBody;
pub use id::{
    BotId, ChannelId, CommandId, HookId, InvalidId, PostId, RoleId, SessionId, TeamId, TokenId,
    UserId, is_valid_id, new_id,
};
pub use permission::Permission;

/// Milliseconds since the Unix epoch, the unit of every Mattermost timestamp.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// `{"status":"OK"}`, Mattermost's `ReturnStatusOK` body.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct StatusOk {
    pub status: String,
}
