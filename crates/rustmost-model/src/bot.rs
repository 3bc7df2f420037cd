//! Bot accounts: `model.Bot` and `model.BotPatch`.

use serde::{Deserialize, Serialize};

fn is_zero(v: &i64) -> bool {
    *v == 0
}

/// A bot as `/api/v4/bots` returns it (field order and `omitempty` as upstream). The bot's user
/// row shares its id.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Bot {
    pub user_id: String,
    pub username: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub display_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The creating user's id (or a plugin id).
    pub owner_id: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub last_icon_update: i64,
    pub create_at: i64,
    pub update_at: i64,
    pub delete_at: i64,
}

/// `POST /bots` and `PUT /bots/{id}` body; absent fields are untouched.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BotPatch {
    pub username: Option<String>,
    pub display_name: Option<String>,
    pub description: Option<String>,
}

impl Bot {
    /// Applies a patch; returns whether anything changed (`WouldPatch`).
    pub fn patch(&mut self, p: &BotPatch) -> bool {
        let mut changed = false;
        for (dst, src) in [
            (&mut self.username, &p.username),
            (&mut self.display_name, &p.display_name),
            (&mut self.description, &p.description),
        ] {
            if let Some(v) = src
                && dst != v
            {
                *dst = v.clone();
                changed = true;
            }
        }
        changed
    }
}
