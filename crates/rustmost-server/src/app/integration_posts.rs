//! The posts integrations make: one path for an incoming webhook's post, an outgoing webhook's
//! reply and a slash command's response (upstream's `CreateWebhookPost` and
//! `CreateCommandPost`), with one set of rules for Slack markup, author props and overrides.

use crate::app::{posts, webhooks};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use rustmost_model::channel::Channel;
use rustmost_model::post::{self, Post};
use rustmost_model::user::User;
use serde_json::{Map, Value};

/// Upstream refuses to split posts whose props are longer than this.
const MAX_SPLIT_PROPS_RUNES: usize = 760_000;
pub const SLACK_ATTACHMENT: &str = "slack_attachment";
/// The override name of a webhook post that names none (`model.DefaultWebhookUsername`).
const DEFAULT_WEBHOOK_USERNAME: &str = "webhook";

/// What made the post; the few rules that differ follow upstream's callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `POST /hooks/{id}` or an outgoing webhook's reply: marked `from_webhook`, text longer
    /// than a post is split, the username override defaults to `webhook`, and the post never
    /// fires outgoing webhooks.
    Webhook,
    /// A custom slash command's response: marked `from_webhook`; it fires outgoing webhooks.
    CustomCommand,
    /// A built-in command's response: a plain post by the user; it fires outgoing webhooks.
    BuiltinCommand,
}

/// What an integration asks to post, before the rules shape it.
#[derive(Debug, Default)]
pub struct IntegrationPost {
    pub text: String,
    pub post_type: String,
    /// The integration's props; the author props among them are dropped.
    pub props: Map<String, Value>,
    pub attachments: Option<Value>,
    pub root_id: String,
    /// The override the integration asks for, already chosen between its sources.
    pub username: String,
    pub icon_url: String,
    pub icon_emoji: String,
    /// The hook's display name (`webhook_display_name`), for webhook posts.
    pub display_name: Option<String>,
    pub priority: Option<Value>,
    /// Keep the text and attachments as sent (a command response's `skip_slack_parsing`).
    pub skip_slack_parsing: bool,
}

/// Slack's markup in text: `<!channel>`/`<!here>`/`<!all>` become mentions and `<@USERID>`
/// the user's `@username` (`ProcessSlackText`).
pub async fn slack_text(state: &AppState, text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let Some(end) = after.find('>') else {
            out.push_str(after);
            return out;
        };
        let inner = &after[1..end];
        let replaced = if let Some(word) = inner.strip_prefix('!') {
            let word = word.split('|').next().unwrap_or_default();
            matches!(word, "channel" | "here" | "all").then(|| format!("@{word}"))
        } else if let Some(id) = inner.strip_prefix('@') {
            let id = id.split('|').next().unwrap_or_default();
            match state.store.get_user(id).await {
                Ok(u) if rustmost_model::is_valid_id(id) => Some(format!("@{}", u.username)),
                _ => None,
            }
        } else {
            None
        };
        match replaced {
            Some(r) => out.push_str(&r),
            None => out.push_str(&after[..=end]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Slack processing of the attachments' pretext, text, title and field values
/// (`ProcessSlackAttachments`).
async fn slack_attachments(state: &AppState, atts: &mut Value) {
    let Some(list) = atts.as_array_mut() else {
        return;
    };
    for a in list.iter_mut().filter_map(Value::as_object_mut) {
        for k in ["pretext", "text", "title"] {
            if let Some(Value::String(s)) = a.get(k) {
                let t = slack_text(state, s).await;
                a.insert(k.into(), Value::String(t));
            }
        }
        if let Some(Value::Array(fields)) = a.get_mut("fields") {
            for f in fields.iter_mut().filter_map(Value::as_object_mut) {
                if let Some(Value::String(s)) = f.get("value") {
                    let t = slack_text(state, s).await;
                    f.insert("value".into(), Value::String(t));
                }
            }
        }
    }
}

/// Splits text into parts of at most `max` characters.
fn split_runes(text: &str, max: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return vec![String::new()];
    }
    chars.chunks(max).map(|c| c.iter().collect()).collect()
}

/// The post(s) `w` becomes for `author` in `channel_id`, not yet stored: Slack markup turned
/// into Markdown (unless skipped), the integration's author props dropped and the server's
/// set (`from_webhook`, the overrides their switches allow, `from_bot` for a bot), and, for a
/// webhook, text longer than a post split over several posts (the attachments on the last).
pub async fn shape(
    state: &AppState,
    author: &User,
    channel_id: &str,
    w: IntegrationPost,
    origin: Origin,
) -> ApiResult<Vec<Post>> {
    if let Some(p) = &w.priority
        && !p.is_null()
        && p.get("priority").is_none_or(Value::is_null)
    {
        return Err(ApiError::bad_request("api.context.invalid_param.app_error")
            .param("Name", "post.priority"));
    }
    if w.post_type.starts_with("system_") {
        return Err(
            ApiError::bad_request("api.context.invalid_param.app_error").param("Name", "post.type")
        );
    }
    let mut props = w.props;
    for k in post::AUTHOR_PROPS {
        props.remove(*k);
    }
    // Attachments come only from the attachments field, processed below.
    props.remove("attachments");
    if let Some(name) = w.display_name {
        props.insert("webhook_display_name".into(), Value::String(name));
    }
    let cfg = state.config.get();
    let mut from_webhook = origin != Origin::BuiltinCommand;
    let username = match (w.username.is_empty(), origin) {
        (true, Origin::Webhook) => DEFAULT_WEBHOOK_USERNAME.to_string(),
        _ => w.username,
    };
    if cfg.bool("/ServiceSettings/EnablePostUsernameOverride") && !username.is_empty() {
        props.insert("override_username".into(), Value::String(username));
        from_webhook = true;
    }
    if cfg.bool("/ServiceSettings/EnablePostIconOverride") {
        for (k, v) in [
            ("override_icon_url", w.icon_url),
            ("override_icon_emoji", w.icon_emoji),
        ] {
            if !v.is_empty() {
                props.insert(k.into(), Value::String(v));
                from_webhook = true;
            }
        }
    }
    if from_webhook {
        props.insert("from_webhook".into(), Value::String("true".into()));
    }
    // As `CreatePost`: a bot's post says so.
    if author.is_bot {
        props.insert("from_bot".into(), Value::String("true".into()));
    }
    let mut attachments = w.attachments.filter(|a| !a.is_null());
    let text = if w.skip_slack_parsing {
        w.text
    } else {
        if let Some(a) = &mut attachments {
            slack_attachments(state, a).await;
        }
        post::parse_slack_links_to_markdown(&slack_text(state, &w.text).await)
    };
    let post_type = if attachments.is_some() {
        SLACK_ATTACHMENT.to_string()
    } else {
        w.post_type
    };
    let parts = if origin == Origin::Webhook {
        split_runes(&text, post::POST_MESSAGE_MAX_RUNES)
    } else {
        vec![text]
    };
    let props_len = serde_json::to_string(&props)
        .map(|s| s.chars().count())
        .unwrap_or(0);
    if parts.len() > 1 && props_len > MAX_SPLIT_PROPS_RUNES {
        return Err(
            ApiError::bad_request("web.incoming_webhook.split_props_length.app_error")
                .param("Max", MAX_SPLIT_PROPS_RUNES.to_string()),
        );
    }
    let n = parts.len();
    let mut out = Vec::with_capacity(n);
    for (i, part) in parts.into_iter().enumerate() {
        let mut p_props = props.clone();
        let mut p_type = if post_type == SLACK_ATTACHMENT {
            String::new()
        } else {
            post_type.clone()
        };
        if i + 1 == n
            && let Some(a) = &attachments
        {
            p_props.insert("attachments".into(), a.clone());
            p_type = post_type.clone();
        }
        out.push(Post {
            channel_id: channel_id.to_string(),
            user_id: author.id.clone(),
            root_id: w.root_id.clone(),
            message: part,
            post_type: p_type,
            props: p_props,
            ..Default::default()
        });
    }
    Ok(out)
}

/// [`shape`]s and stores the post(s) in `c`, tells the channel's clients, and (for a
/// command's post, as upstream's `TriggerWebhooks`) fires the outgoing webhooks it matches.
/// Split parts get strictly increasing times, so they list in order. Returns the last part.
pub async fn create(
    state: &AppState,
    author: &User,
    c: &Channel,
    w: IntegrationPost,
    origin: Origin,
) -> ApiResult<Post> {
    if c.delete_at != 0 {
        return Err(ApiError::bad_request(
            "api.post.create_post.can_not_post_to_deleted.error",
        ));
    }
    if !w.root_id.is_empty() {
        match state.store.get_post(&w.root_id).await {
            Ok(r) if r.delete_at == 0 && r.root_id.is_empty() && r.channel_id == c.id => {}
            _ => {
                return Err(
                    ApiError::bad_request("api.post.create_post.root_id.app_error")
                        .param("RootId", w.root_id.clone()),
                );
            }
        }
    }
    let parts = shape(state, author, &c.id, w, origin).await?;
    let mut last: Option<Post> = None;
    for mut p in parts {
        let now = state.clock.now_ms();
        p.create_at = last.as_ref().map_or(now, |l| now.max(l.create_at + 1));
        posts::pre_save(&mut p, now);
        posts::validate_post(&p)?;
        state.store.insert_post(&p).await.map_err(|e| {
            let id = if origin == Origin::Webhook {
                "api.post.create_webhook_post.creating.app_error"
            } else {
                "app.post.save.app_error"
            };
            ApiError::internal(id, e)
        })?;
        crate::realtime::events::posted(state, &p, c).await;
        if origin != Origin::Webhook {
            webhooks::spawn_outgoing(state, &p, c);
        }
        last = Some(p);
    }
    last.ok_or_else(|| {
        ApiError::internal(
            "api.post.create_webhook_post.creating.app_error",
            "no parts",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_splits_on_characters() {
        let t = "é".repeat(5);
        assert_eq!(split_runes(&t, 2), vec!["éé", "éé", "é"]);
    }
}
