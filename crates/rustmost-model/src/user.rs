//! Users: the `model.User` JSON (with Go's `omitempty` rules), patches and notify props.

use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;

/// A `StringMap` that also accepts booleans and numbers as values (n8n sends `"email": true`).
pub type StringMap = BTreeMap<String, String>;

fn is_false(b: &bool) -> bool {
    !*b
}
fn is_zero(v: &i64) -> bool {
    *v == 0
}

/// Deserializes a JSON object whose values may be strings, booleans or numbers into strings
/// (Go's `StringMap` takes strings only; n8n sends booleans); an array or object value is
/// refused.
pub fn lenient_string_map<'de, D: Deserializer<'de>>(d: D) -> Result<Option<StringMap>, D::Error> {
    let v: Option<serde_json::Value> = Option::deserialize(d)?;
    let Some(v) = v else { return Ok(None) };
    let serde_json::Value::Object(obj) = v else {
        if v.is_null() {
            return Ok(None);
        }
        return Err(serde::de::Error::custom("expected an object"));
    };
    let mut out = StringMap::new();
    for (k, v) in obj {
        let s = match v {
            serde_json::Value::String(s) => s,
            serde_json::Value::Bool(b) => b.to_string(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Null => String::new(),
            other => {
                return Err(serde::de::Error::custom(format!(
                    "json: cannot unmarshal {} into a string map value (key {k:?})",
                    if other.is_array() { "array" } else { "object" }
                )));
            }
        };
        out.insert(k, s);
    }
    Ok(Some(out))
}

/// Mattermost's `model.User`, field order and `omitempty` as upstream.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct User {
    #[serde(default)]
    pub id: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub create_at: i64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub update_at: i64,
    #[serde(default)]
    pub delete_at: i64,
    #[serde(default)]
    pub username: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub password: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_data: Option<String>,
    #[serde(default)]
    pub auth_service: String,
    #[serde(default)]
    pub email: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub email_verified: bool,
    #[serde(default)]
    pub nickname: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub position: String,
    #[serde(default)]
    pub roles: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub allow_marketing: bool,
    #[serde(default, deserialize_with = "lenient_string_map")]
    pub props: Option<StringMap>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_string_map"
    )]
    pub notify_props: Option<StringMap>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub last_password_update: i64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub last_picture_update: i64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failed_attempts: i64,
    #[serde(default)]
    pub locale: String,
    #[serde(default, deserialize_with = "lenient_string_map")]
    pub timezone: Option<StringMap>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub mfa_active: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub mfa_secret: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_id: Option<String>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub last_activity_at: i64,
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_bot: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub bot_description: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub bot_last_icon_update: i64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub terms_of_service_id: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub terms_of_service_create_at: i64,
    #[serde(default)]
    pub disable_welcome_email: bool,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub last_login: i64,
}

/// `PUT /users/{id}/patch`: every field optional; absent fields are untouched.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UserPatch {
    pub username: Option<String>,
    pub password: Option<String>,
    pub nickname: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub position: Option<String>,
    pub email: Option<String>,
    #[serde(default, deserialize_with = "lenient_string_map")]
    pub props: Option<StringMap>,
    #[serde(default, deserialize_with = "lenient_string_map")]
    pub notify_props: Option<StringMap>,
    pub locale: Option<String>,
    #[serde(default, deserialize_with = "lenient_string_map")]
    pub timezone: Option<StringMap>,
    pub remote_id: Option<String>,
    pub disable_welcome_email: Option<bool>,
}

impl User {
    /// Whether the user's roles include `system_admin`.
    pub fn is_system_admin(&self) -> bool {
        roles_include_system_admin(&self.roles)
    }

    /// Whether the user's roles include `system_guest`.
    pub fn is_guest(&self) -> bool {
        self.roles.split_whitespace().any(|r| r == "system_guest")
    }
}

/// Whether a space-separated role list includes `system_admin`.
pub fn roles_include_system_admin(roles: &str) -> bool {
    roles.split_whitespace().any(|r| r == "system_admin")
}

impl UserPatch {
    /// Merges the patch into `u` (`User.Patch`): usernames and e-mails are trimmed and
    /// lower-cased; `password` is not a profile field and is left to the caller.
    pub fn apply(self, u: &mut User) {
        if let Some(v) = self.username {
            u.username = v.trim().to_lowercase();
        }
        if let Some(v) = self.email {
            u.email = v.trim().to_lowercase();
        }
        for (dst, src) in [
            (&mut u.nickname, self.nickname),
            (&mut u.first_name, self.first_name),
            (&mut u.last_name, self.last_name),
            (&mut u.position, self.position),
            (&mut u.locale, self.locale),
        ] {
            if let Some(v) = src {
                *dst = v;
            }
        }
        if let Some(v) = self.props {
            u.props = Some(v);
        }
        if let Some(v) = self.notify_props {
            u.notify_props = Some(v);
        }
        if let Some(v) = self.timezone {
            u.timezone = Some(v);
        }
        if let Some(v) = self.disable_welcome_email {
            u.disable_welcome_email = v;
        }
    }
}

/// The notify props a new user gets (`SetDefaultNotifications`).
pub fn default_notify_props() -> StringMap {
    let mut m = StringMap::new();
    for (k, v) in [
        ("channel", "true"),
        ("comments", "never"),
        ("desktop", "mention"),
        ("desktop_sound", "true"),
        ("desktop_threads", "all"),
        ("email", "true"),
        ("email_threads", "all"),
        ("first_name", "false"),
        ("push", "mention"),
        ("push_status", "online"),
        ("push_threads", "all"),
    ] {
        m.insert(k.into(), v.into());
    }
    m.insert("mention_keys".into(), String::new());
    m
}

/// The timezone a new user gets.
pub fn default_timezone() -> StringMap {
    let mut m = StringMap::new();
    m.insert("automaticTimezone".into(), String::new());
    m.insert("manualTimezone".into(), String::new());
    m.insert("useAutomaticTimezone".into(), "true".into());
    m
}

/// Mattermost's `IsValidUsername`: 3-22 chars of `a-z0-9.-_`, starting with a letter.
pub fn is_valid_username(s: &str) -> bool {
    let n = s.chars().count();
    if !(3..=22).contains(&n) {
        return false;
    }
    if !s.chars().next().is_some_and(|c| c.is_ascii_lowercase()) {
        return false;
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_'))
    {
        return false;
    }
    !matches!(s, "all" | "channel" | "here" | "matterbot")
}

/// A plain `local@domain` check, as loose as Mattermost's `IsValidEmail` (no display names).
pub fn is_valid_email(s: &str) -> bool {
    if s.len() > 128 || s.contains(' ') || s.contains('<') || s.contains('>') {
        return false;
    }
    match s.split_once('@') {
        Some((local, domain)) => !local.is_empty() && !domain.is_empty() && !domain.contains('@'),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notify_props_accept_booleans() {
        let u: User =
            serde_json::from_str(r#"{"username":"a","notify_props":{"email":true,"push":"all"}}"#)
                .unwrap();
        let np = u.notify_props.unwrap();
        assert_eq!(np["email"], "true");
        assert_eq!(np["push"], "all");
    }

    #[test]
    fn usernames() {
        assert!(is_valid_username("alice"));
        assert!(is_valid_username("a.b-c_d"));
        assert!(!is_valid_username("Al"));
        assert!(!is_valid_username("1abc"));
        assert!(!is_valid_username("all"));
        assert!(!is_valid_username("averyveryverylongusername"));
    }

    #[test]
    fn role_words() {
        let u = |roles: &str| User {
            roles: roles.to_string(),
            ..User::default()
        };
        assert!(u("system_user system_admin").is_system_admin());
        assert!(!u("system_user system_admin_x").is_system_admin());
        assert!(u("  system_guest ").is_guest());
        assert!(!u("system_user").is_guest());
        assert!(!u("system_guests").is_guest());
    }

    #[test]
    fn emails() {
        assert!(is_valid_email("a+b@example.com"));
        assert!(!is_valid_email("nope"));
        assert!(!is_valid_email("a@b@c"));
    }
}
