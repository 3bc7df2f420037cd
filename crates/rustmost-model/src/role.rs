//! Roles and the built-in role table Mattermost ships on a fresh server.

use serde::{Deserialize, Serialize};

/// A role as `GET /api/v4/roles/*` returns it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Role {
    pub id: String,
    pub name: String,
    pub display_name: String,
    pub description: String,
    pub create_at: i64,
    pub update_at: i64,
    pub delete_at: i64,
    pub permissions: Vec<String>,
    pub scheme_managed: bool,
    pub built_in: bool,
}

/// `PUT /roles/{id}/patch` body.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RolePatch {
    pub permissions: Option<Vec<String>>,
}

/// The effective default permissions of each built-in role (from upstream's e2e fixture).
pub fn default_role_permissions() -> Vec<(String, Vec<String>)> {
    let raw: serde_json::Value =
        serde_json::from_str(include_str!("../data/default_role_permissions.json"))
            .expect("embedded role table is valid JSON");
    let mut out = Vec::new();
    if let Some(roles) = raw.get("roles").and_then(|r| r.as_object()) {
        for (name, perms) in roles {
            let perms = perms
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|p| p.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            out.push((name.clone(), perms));
        }
    }
    out
}

/// Roles whose permissions are set by schemes (team/channel roles) rather than directly.
pub fn is_scheme_managed(name: &str) -> bool {
    matches!(
        name,
        "system_user"
            | "system_admin"
            | "system_guest"
            | "team_user"
            | "team_admin"
            | "team_guest"
            | "channel_user"
            | "channel_admin"
            | "channel_guest"
            | "playbook_admin"
            | "playbook_member"
            | "run_admin"
            | "run_member"
    )
}

/// The display name Mattermost gives each built-in role (`authentication.roles.*.name`).
pub fn display_name(name: &str) -> String {
    format!("authentication.roles.{name}.name")
}

/// The description id Mattermost gives each built-in role.
pub fn description(name: &str) -> String {
    format!("authentication.roles.{name}.description")
}
