//! Audit records as `GET /api/v4/users/{user_id}/audits` returns them.

use serde::{Deserialize, Serialize};

/// Mattermost's `model.Audit`: `action` is the request path, `extra_info` what happened.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Audit {
    pub id: String,
    pub create_at: i64,
    pub user_id: String,
    pub action: String,
    pub extra_info: String,
    pub ip_address: String,
    pub session_id: String,
}
