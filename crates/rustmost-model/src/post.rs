//! Posts, post lists, reactions, and Slack-style message attachments with interactive actions
//! (`model.Post`, `PostList`, `Reaction`, `SlackAttachment`, `PostAction`).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Mattermost's `PostMessageMaxRunesV2`.
pub const POST_MESSAGE_MAX_RUNES: usize = 16383;
/// Mattermost's `PostPropsMaxRunes`: the props JSON may be at most this many characters.
pub const POST_PROPS_MAX_RUNES: usize = 800_000;
/// The type of posts that live only in one client (`system_ephemeral`).
pub const POST_TYPE_EPHEMERAL: &str = "system_ephemeral";
/// Mattermost's `EmojiNameMaxLength`.
pub const EMOJI_NAME_MAX_LENGTH: usize = 64;

/// Props that say who or what wrote a post (`from_*` markers and the webhook/integration
/// username and icon overrides). Only the server sets them: a client's values are dropped on
/// create, and an integration's post-action `update` can neither add, change nor drop them.
pub const AUTHOR_PROPS: &[&str] = &[
    "from_bot",
    "from_plugin",
    "from_webhook",
    "from_oauth_app",
    "webhook_display_name",
    "override_username",
    "override_icon_url",
    "override_icon_emoji",
];
/// The overrides among [`AUTHOR_PROPS`] a bot may set, each with the `ServiceSettings` switch
/// that allows it.
pub const OVERRIDE_PROPS: &[(&str, &str)] = &[
    ("override_username", "EnablePostUsernameOverride"),
    ("override_icon_url", "EnablePostIconOverride"),
    ("override_icon_emoji", "EnablePostIconOverride"),
];

/// Mattermost's `model.Post`, field order and `omitempty` as upstream.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Post {
    pub id: String,
    pub create_at: i64,
    pub update_at: i64,
    pub edit_at: i64,
    pub delete_at: i64,
    pub is_pinned: bool,
    pub user_id: String,
    pub channel_id: String,
    pub root_id: String,
    pub original_id: String,
    pub message: String,
    #[serde(rename = "type")]
    pub post_type: String,
    #[serde(deserialize_with = "props_or_empty")]
    pub props: Map<String, Value>,
    pub hashtags: String,
    /// `json:"file_ids,omitempty"` up to 9.11 and, as far as can be told, the 10.3 snapshot we
    /// follow; upstream dropped `omitempty` later (with attachment editing).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub file_ids: Vec<String>,
    pub pending_post_id: String,
    #[serde(skip_serializing_if = "is_false")]
    pub has_reactions: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_id: Option<String>,
    pub reply_count: i64,
    pub last_reply_at: i64,
    #[serde(deserialize_with = "participants")]
    pub participants: Option<Vec<Value>>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "post_metadata"
    )]
    pub metadata: Option<Value>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// `props: null` decodes as an empty map, as Go's decoder leaves it nil; any other non-object
/// is refused, as Go refuses it for a `StringInterface`.
fn props_or_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Map<String, Value>, D::Error> {
    match Value::deserialize(d)? {
        Value::Object(m) => Ok(m),
        Value::Null => Ok(Map::new()),
        other => Err(type_error(&other, "props", "model.StringInterface")),
    }
}

/// Go's `UnmarshalTypeError` wording.
fn type_error<E: serde::de::Error>(v: &Value, field: &str, go_type: &str) -> E {
    let kind = match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    E::custom(format!(
        "json: cannot unmarshal {kind} into Go struct field Post.{field} of type {go_type}"
    ))
}

/// `participants` is `[]*User`: each element an object or `null`.
fn participants<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<Value>>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::Array(items) => {
            if let Some(bad) = items.iter().find(|i| !(i.is_object() || i.is_null())) {
                return Err(type_error(bad, "participants", "model.User"));
            }
            Ok(Some(items))
        }
        other => Err(type_error(&other, "participants", "[]*model.User")),
    }
}

/// `metadata` is a `*PostMetadata`: an object whose known members have their Go shapes
/// (lists, the `images` map, the `priority` struct).
fn post_metadata<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    let m = match Value::deserialize(d)? {
        Value::Null => return Ok(None),
        Value::Object(m) => m,
        other => return Err(type_error(&other, "metadata", "model.PostMetadata")),
    };
    for (key, want_list, go_type) in [
        ("embeds", true, "[]*model.PostEmbed"),
        ("emojis", true, "[]*model.Emoji"),
        ("files", true, "[]*model.FileInfo"),
        ("reactions", true, "[]*model.Reaction"),
        ("acknowledgements", true, "[]*model.PostAcknowledgement"),
        ("images", false, "map[string]*model.PostImage"),
        ("priority", false, "model.PostPriority"),
    ] {
        let Some(v) = m.get(key) else { continue };
        let ok = v.is_null()
            || if want_list {
                v.as_array()
                    .is_some_and(|a| a.iter().all(|i| i.is_object() || i.is_null()))
            } else {
                v.as_object().is_some_and(|o| {
                    key != "images" || o.values().all(|i| i.is_object() || i.is_null())
                })
            };
        if !ok {
            return Err(type_error(v, &format!("metadata.{key}"), go_type));
        }
    }
    Ok(Some(Value::Object(m)))
}

/// `model.PostList`: `order` newest first, `posts` by id.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct PostList {
    pub order: Vec<String>,
    pub posts: BTreeMap<String, Post>,
    pub next_post_id: String,
    pub prev_post_id: String,
    pub has_next: bool,
    pub first_inaccessible_post_time: i64,
}

/// `model.Reaction`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Reaction {
    pub user_id: String,
    pub post_id: String,
    pub emoji_name: String,
    pub create_at: i64,
    pub update_at: i64,
    pub delete_at: i64,
    pub remote_id: Option<String>,
    pub channel_id: String,
}

/// Emoji names as reactions accept them: `^[a-zA-Z0-9+_-]+$`, at most 64 bytes.
pub fn is_valid_emoji_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= EMOJI_NAME_MAX_LENGTH
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'+' | b'_'))
}

/// `SlackCompatibleBool`: `true`/`false` or the strings `"true"`/`"false"`.
fn slack_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    match Value::deserialize(d)? {
        Value::Bool(b) => Ok(b),
        Value::String(s) => Ok(s == "true"),
        Value::Null => Ok(false),
        other => Err(serde::de::Error::custom(format!(
            "invalid slack bool {other}"
        ))),
    }
}

/// `model.SlackAttachment`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct SlackAttachment {
    pub id: i64,
    pub fallback: String,
    pub color: String,
    pub pretext: String,
    pub author_name: String,
    pub author_link: String,
    pub author_icon: String,
    pub title: String,
    pub title_link: String,
    pub text: String,
    pub fields: Option<Vec<Option<SlackAttachmentField>>>,
    pub image_url: String,
    pub thumb_url: String,
    pub footer: String,
    pub footer_icon: String,
    pub ts: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<Option<PostAction>>>,
}

/// `model.SlackAttachmentField`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct SlackAttachmentField {
    pub title: String,
    pub value: Value,
    #[serde(deserialize_with = "slack_bool")]
    pub short: bool,
}

/// `model.PostAction`: a button or a menu; `integration` never leaves the server.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct PostAction {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(rename = "type", skip_serializing_if = "String::is_empty")]
    pub action_type: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "is_false")]
    pub disabled: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub style: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub data_source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<Option<PostActionOptions>>>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub default_option: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration: Option<PostActionIntegration>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cookie: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct PostActionOptions {
    pub text: String,
    pub value: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct PostActionIntegration {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<Map<String, Value>>,
}

/// What an integration receives when a user clicks a button or picks a menu option
/// (`PostActionIntegrationRequest`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct PostActionIntegrationRequest {
    pub user_id: String,
    pub user_name: String,
    pub channel_id: String,
    pub channel_name: String,
    pub team_id: String,
    pub team_domain: String,
    pub post_id: String,
    pub trigger_id: String,
    #[serde(rename = "type")]
    pub action_type: String,
    pub data_source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<Map<String, Value>>,
}

/// The integration's answer (`PostActionIntegrationResponse`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PostActionIntegrationResponse {
    pub update: Option<Post>,
    pub ephemeral_text: String,
    pub skip_slack_parsing: bool,
}

/// Rewrites `props.attachments` the way `Post.GenerateActionIds` does: each element is decoded
/// as a `SlackAttachment` by Go's rules (`null` members are zero values; elements that do not
/// decode, arrays among them, are dropped; a non-array becomes `null`), and every action
/// without an id gets a fresh one.
pub fn normalize_attachments(props: &mut Map<String, Value>) {
    let Some(raw) = props.get("attachments") else {
        return;
    };
    let list: Option<Vec<SlackAttachment>> = raw.as_array().map(|items| {
        items
            .iter()
            .filter_map(|a| crate::json::from_value::<SlackAttachment>(a.clone()).ok())
            .collect()
    });
    let list = list.map(|mut list| {
        for a in &mut list {
            for act in a.actions.iter_mut().flatten().flatten() {
                if act.id.is_empty() {
                    act.id = crate::new_id();
                }
            }
        }
        list
    });
    let v = match list {
        Some(l) => serde_json::to_value(l).unwrap_or(Value::Null),
        None => Value::Null,
    };
    props.insert("attachments".into(), v);
}

/// The attachments of a stored post, decoded.
pub fn attachments(props: &Map<String, Value>) -> Vec<SlackAttachment> {
    props
        .get("attachments")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|a| crate::json::from_value(a.clone()).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// `Post.GetAction`: the action with this id, if any attachment has it.
pub fn find_action(props: &Map<String, Value>, action_id: &str) -> Option<PostAction> {
    attachments(props)
        .into_iter()
        .flat_map(|a| a.actions.unwrap_or_default())
        .flatten()
        .find(|a| a.id == action_id)
}

/// `Post.StripActionIntegrations`: removes every action's `integration` (URL and context are
/// server-side secrets of the integration).
pub fn strip_action_integrations(props: &mut Map<String, Value>) {
    if let Some(Value::Array(items)) = props.get_mut("attachments") {
        for a in items {
            if let Some(Value::Array(actions)) = a.get_mut("actions") {
                for act in actions {
                    if let Some(o) = act.as_object_mut() {
                        o.remove("integration");
                    }
                }
            }
        }
    }
}

/// `ParseSlackLinksToMarkdown`: `<url|text>` becomes `[text](url)`.
pub fn parse_slack_links_to_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        let close = after.find('>');
        let bar = after.find('|');
        match (bar, close) {
            (Some(b), Some(c)) if b < c && b > 0 && c > b + 1 && !after[..b].contains('<') => {
                out.push_str(&rest[..start]);
                out.push_str(&format!("[{}]({})", &after[b + 1..c], &after[..b]));
                rest = &after[c + 1..];
            }
            _ => {
                out.push_str(&rest[..start + 1]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn n8n_attachments_are_normalized_and_get_action_ids() {
        let mut props = json!({"attachments":[{"title":"Att title","text":"Att text","color":"#00ff00","fallback":"fb",
            "fields":[{"title":"F1","value":"V1","short":true},{"title":"F2","value":"V2","short":"false"}],
            "actions":[{"name":"Click me","integration":{"url":"http://127.0.0.1:9/hook","context":{"action":"do"}}},
                       {"type":"select","name":"Pick","options":[{"text":"A","value":"a"}],"integration":{"url":"http://x/sel"}}]},
            "not an attachment", ["positional", "fields"], {"title": null, "text": "nulls are zero"}]})
        .as_object()
        .unwrap()
        .clone();
        normalize_attachments(&mut props);
        let a = &props["attachments"];
        assert_eq!(a.as_array().unwrap().len(), 2);
        assert_eq!(a[1]["text"], "nulls are zero");
        assert_eq!(a[1]["title"], "");
        assert_eq!(a[0]["id"], 0);
        assert_eq!(a[0]["pretext"], "");
        assert_eq!(a[0]["ts"], Value::Null);
        assert_eq!(a[0]["fields"][1]["short"], false);
        let id = a[0]["actions"][0]["id"].as_str().unwrap().to_string();
        assert!(crate::is_valid_id(&id));
        assert!(a[0]["actions"][0].get("type").is_none());
        assert_eq!(find_action(&props, &id).unwrap().name, "Click me");
        strip_action_integrations(&mut props);
        assert!(
            props["attachments"][0]["actions"][0]
                .get("integration")
                .is_none()
        );
        assert_eq!(
            props["attachments"][0]["actions"][1]["options"][0]["value"],
            "a"
        );
    }

    #[test]
    fn emoji_names() {
        assert!(is_valid_emoji_name("+1"));
        assert!(is_valid_emoji_name("thumbsup"));
        assert!(is_valid_emoji_name("white_check_mark"));
        assert!(!is_valid_emoji_name("a b"));
        assert!(!is_valid_emoji_name(":x:"));
        assert!(!is_valid_emoji_name(""));
    }

    #[test]
    fn slack_links() {
        assert_eq!(
            parse_slack_links_to_markdown("see <http://a.b|here> now"),
            "see [here](http://a.b) now"
        );
        assert_eq!(parse_slack_links_to_markdown("a < b"), "a < b");
    }
}
