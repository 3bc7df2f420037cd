//! Channels and channel memberships: `model.Channel`, `ChannelWithTeamData`,
//! `model.ChannelMember`, `ChannelStats`, and the channel name rules.

use crate::user::StringMap;
use serde::{Deserialize, Serialize};

pub const CHANNEL_OPEN: &str = "O";
pub const CHANNEL_PRIVATE: &str = "P";
pub const CHANNEL_DIRECT: &str = "D";
pub const CHANNEL_GROUP: &str = "G";

/// Every team's first channel; it cannot be archived or left.
pub const DEFAULT_CHANNEL: &str = "town-square";
pub const OFF_TOPIC_CHANNEL: &str = "off-topic";

/// Mattermost's `model.Channel`, field order as upstream.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Channel {
    pub id: String,
    pub create_at: i64,
    pub update_at: i64,
    pub delete_at: i64,
    pub team_id: String,
    #[serde(rename = "type")]
    pub channel_type: String,
    pub display_name: String,
    pub name: String,
    pub header: String,
    pub purpose: String,
    pub last_post_at: i64,
    pub total_msg_count: i64,
    pub extra_update_at: i64,
    pub creator_id: String,
    pub scheme_id: Option<String>,
    pub props: Option<serde_json::Map<String, serde_json::Value>>,
    pub group_constrained: Option<bool>,
    pub shared: Option<bool>,
    pub total_msg_count_root: i64,
    pub policy_id: Option<String>,
    pub last_root_post_at: i64,
}

impl Channel {
    pub fn is_open(&self) -> bool {
        self.channel_type == CHANNEL_OPEN
    }
    pub fn is_private(&self) -> bool {
        self.channel_type == CHANNEL_PRIVATE
    }
    pub fn is_group_or_direct(&self) -> bool {
        self.channel_type == CHANNEL_DIRECT || self.channel_type == CHANNEL_GROUP
    }
}

/// `ChannelWithTeamData`, what the admin-only `GET /channels` returns.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ChannelWithTeamData {
    #[serde(flatten)]
    pub channel: Channel,
    pub team_display_name: String,
    pub team_name: String,
    pub team_update_at: i64,
}

/// Mattermost's `model.ChannelMember`; `roles` is computed like `TeamMember::roles`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct ChannelMember {
    pub channel_id: String,
    pub user_id: String,
    pub roles: String,
    pub last_viewed_at: i64,
    pub msg_count: i64,
    pub mention_count: i64,
    pub mention_count_root: i64,
    pub urgent_mention_count: i64,
    pub msg_count_root: i64,
    pub notify_props: StringMap,
    pub last_update_at: i64,
    pub scheme_guest: bool,
    pub scheme_user: bool,
    pub scheme_admin: bool,
    pub explicit_roles: String,
}

impl ChannelMember {
    /// Fills `roles` from `explicit_roles` and the scheme flags.
    pub fn compute_roles(&mut self) {
        let mut roles: Vec<&str> = self.explicit_roles.split_whitespace().collect();
        if self.scheme_guest {
            roles.push("channel_guest");
        }
        if self.scheme_user {
            roles.push("channel_user");
        }
        if self.scheme_admin {
            roles.push("channel_admin");
        }
        self.roles = roles.join(" ");
    }
}

/// `GetDefaultChannelNotifyProps`.
pub fn default_channel_notify_props() -> StringMap {
    let mut m = StringMap::new();
    for (k, v) in [
        ("desktop", "default"),
        ("email", "default"),
        ("ignore_channel_mentions", "default"),
        ("mark_unread", "all"),
        ("push", "default"),
        ("channel_auto_follow_threads", "off"),
    ] {
        m.insert(k.into(), v.into());
    }
    m
}

/// `GET /channels/{id}/stats`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ChannelStats {
    pub channel_id: String,
    pub member_count: i64,
    pub guest_count: i64,
    pub pinnedpost_count: i64,
    pub files_count: i64,
}

/// `IsValidChannelIdentifier`: 1-64 chars of `a-z0-9-_`, starting with a letter or digit.
pub fn is_valid_channel_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-' || *c == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names() {
        assert!(is_valid_channel_name("town-square"));
        assert!(is_valid_channel_name("a_b"));
        assert!(!is_valid_channel_name(""));
        assert!(!is_valid_channel_name("Caps"));
        assert!(!is_valid_channel_name("-x"));
        assert!(!is_valid_channel_name(&"a".repeat(65)));
    }

    #[test]
    fn with_team_data_is_flat() {
        let c = ChannelWithTeamData {
            channel: Channel {
                id: "c".into(),
                ..Default::default()
            },
            team_display_name: "T".into(),
            ..Default::default()
        };
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["id"], "c");
        assert_eq!(v["team_display_name"], "T");
        assert!(v.get("channel").is_none());
    }
}
