//! Teams and team memberships: the `model.Team` / `model.TeamMember` JSON and name rules.

use serde::{Deserialize, Serialize};

pub const TEAM_OPEN: &str = "O";
pub const TEAM_INVITE: &str = "I";

/// Mattermost's `model.Team`, field order as upstream.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Team {
    pub id: String,
    pub create_at: i64,
    pub update_at: i64,
    pub delete_at: i64,
    pub display_name: String,
    pub name: String,
    pub description: String,
    pub email: String,
    #[serde(rename = "type")]
    pub team_type: String,
    pub company_name: String,
    pub allowed_domains: String,
    pub invite_id: String,
    pub allow_open_invite: bool,
    #[serde(skip_serializing_if = "is_zero")]
    pub last_team_icon_update: i64,
    pub scheme_id: Option<String>,
    pub group_constrained: Option<bool>,
    pub policy_id: Option<String>,
    pub cloud_limits_archived: bool,
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

impl Team {
    /// `Team.Sanitize`: what a viewer without `manage_team` may see.
    pub fn sanitize(&mut self) {
        self.email = String::new();
        self.invite_id = String::new();
    }
}

/// Mattermost's `model.TeamMember`. `roles` is computed: explicit roles, then the scheme roles
/// the flags imply.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct TeamMember {
    pub team_id: String,
    pub user_id: String,
    pub roles: String,
    pub delete_at: i64,
    pub scheme_guest: bool,
    pub scheme_user: bool,
    pub scheme_admin: bool,
    pub explicit_roles: String,
    /// Stored, but never on the wire (upstream `json:"-"`).
    #[serde(skip)]
    pub create_at: i64,
}

impl TeamMember {
    /// Fills `roles` from `explicit_roles` and the scheme flags, as the SQL store does.
    pub fn compute_roles(&mut self) {
        let mut roles: Vec<&str> = self.explicit_roles.split_whitespace().collect();
        if self.scheme_guest {
            roles.push("team_guest");
        }
        if self.scheme_user {
            roles.push("team_user");
        }
        if self.scheme_admin {
            roles.push("team_admin");
        }
        self.roles = roles.join(" ");
    }
}

/// Names no team may start with (Mattermost's `reservedName`).
pub const RESERVED_TEAM_NAMES: &[&str] = &[
    "admin",
    "api",
    "channel",
    "claim",
    "error",
    "files",
    "help",
    "landing",
    "login",
    "mfa",
    "oauth",
    "plug",
    "plugins",
    "post",
    "signup",
    "boards",
    "playbooks",
];

/// `IsReservedTeamName`: a reserved word at the start of the name.
pub fn is_reserved_team_name(s: &str) -> bool {
    let s = s.to_lowercase();
    RESERVED_TEAM_NAMES.iter().any(|r| s.starts_with(r))
}

/// `IsValidTeamName`: 2+ chars of `a-z0-9-`, starting and ending with a letter or digit.
pub fn is_valid_team_name(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn team_names() {
        assert!(is_valid_team_name("team-one"));
        assert!(is_valid_team_name("t1"));
        assert!(!is_valid_team_name("a"));
        assert!(!is_valid_team_name("-ab"));
        assert!(!is_valid_team_name("Ab"));
        assert!(is_reserved_team_name("apiteam"));
        assert!(!is_reserved_team_name("myapi"));
    }

    #[test]
    fn member_roles() {
        let mut m = TeamMember {
            scheme_user: true,
            scheme_admin: true,
            ..Default::default()
        };
        m.compute_roles();
        assert_eq!(m.roles, "team_user team_admin");
    }
}
