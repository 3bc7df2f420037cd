//! Sessions as `GET /users/{id}/sessions` returns them.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Mattermost's `model.Session` wire shape; `token` is always blank on read paths.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Session {
    pub id: String,
    pub token: String,
    pub create_at: i64,
    pub expires_at: i64,
    pub last_activity_at: i64,
    pub user_id: String,
    pub device_id: String,
    pub roles: String,
    pub is_oauth: bool,
    pub expired_notify: bool,
    pub props: BTreeMap<String, String>,
    pub team_members: Vec<serde_json::Value>,
    pub local: bool,
}
