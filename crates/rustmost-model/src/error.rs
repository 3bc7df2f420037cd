//! The AppError JSON every Mattermost error response carries.

use serde::{Deserialize, Serialize};

/// `{id, message, detailed_error, request_id, status_code}` exactly as Mattermost writes it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AppErrorBody {
    pub id: String,
    pub message: String,
    pub detailed_error: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub request_id: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub status_code: u16,
}

fn is_zero(v: &u16) -> bool {
    *v == 0
}
