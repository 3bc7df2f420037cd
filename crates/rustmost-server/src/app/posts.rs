//! Posts: creation rules (root posts, replies, attachments with action ids, length limits),
//! system messages, ephemeral posts, deletion, and the post as a client sees it.

use crate::app::users;
use crate::config::Config;
use crate::error::{ApiError, ApiResult, StoreResultExt};
use crate::state::AppState;
use rustmost_model::channel::Channel;
use rustmost_model::post::{self, Post, PostList};
use rustmost_model::{new_id, now_ms};
use serde_json::{Map, Value, json};

pub const POST_NOT_FOUND: &str = "app.post.get.app_error";

/// A live post, or 404 `app.post.get.app_error`.
pub async fn get_live_post(state: &AppState, id: &str) -> ApiResult<Post> {
    match state
        .store
        .get_post(id)
        .await
        .or_not_found(POST_NOT_FOUND)?
    {
        p if p.delete_at == 0 => Ok(p),
        _ => Err(ApiError::not_found(POST_NOT_FOUND)),
    }
}

/// Mattermost's `ParseHashtags`: `#words` of the message, space-separated, at most 1000 chars.
pub fn parse_hashtags(message: &str) -> String {
    let mut tags: Vec<String> = Vec::new();
    for word in message.split_whitespace() {
        let w = word.trim_end_matches(|c: char| !c.is_alphanumeric());
        let Some(rest) = w.strip_prefix('#') else {
            continue;
        };
        if rest.chars().count() < 2 || !rest.chars().next().is_some_and(char::is_alphanumeric) {
            continue;
        }
        if rest
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
            && !tags.iter().any(|t| t == w)
        {
            tags.push(w.to_string());
        }
    }
    let mut out = String::new();
    for t in tags {
        if out.len() + t.len() + 1 > 1000 {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&t);
    }
    out
}

/// `Post.IsValid` for what a client controls: message length and props size.
pub fn validate_post(p: &Post) -> ApiResult<()> {
    if p.message.chars().count() > post::POST_MESSAGE_MAX_RUNES {
        return Err(
            ApiError::bad_request("model.post.is_valid.message_length.app_error")
                .detail(format!("id={}", p.id)),
        );
    }
    let props_len = serde_json::to_string(&p.props)
        .map(|s| s.chars().count())
        .unwrap_or(0);
    if props_len > post::POST_PROPS_MAX_RUNES {
        return Err(ApiError::bad_request("model.post.is_valid.props.app_error")
            .detail(format!("id={}", p.id)));
    }
    if !(p.post_type.is_empty()
        || p.post_type.starts_with("system_")
        || p.post_type.starts_with("custom_")
        || p.post_type == "slack_attachment"
        || p.post_type == "me")
    {
        return Err(ApiError::bad_request("model.post.is_valid.type.app_error")
            .detail(format!("id={}", p.id)));
    }
    Ok(())
}

/// `PreSave`: a fresh id, times, normalized attachments with action ids, hashtags.
pub fn pre_save(p: &mut Post) {
    p.id = new_id();
    if p.create_at == 0 {
        p.create_at = now_ms();
    }
    p.update_at = p.create_at;
    p.edit_at = 0;
    p.delete_at = 0;
    p.original_id = String::new();
    post::normalize_attachments(&mut p.props);
    p.hashtags = parse_hashtags(&p.message);
}

/// Who wrote the post, said by the server alone: whatever the client put in
/// [`post::AUTHOR_PROPS`] is dropped; a bot's post is marked `from_bot` (as `CreatePost`
/// does) and keeps a string override its `ServiceSettings` switch allows; a post through an
/// OAuth session is marked `from_oauth_app`. So `override_*` is on a stored post only beside
/// `from_bot: "true"`.
pub fn set_author_props(cfg: &Config, props: &mut Map<String, Value>, is_bot: bool, oauth: bool) {
    let overrides: Vec<(&str, Value)> = post::OVERRIDE_PROPS
        .iter()
        .filter(|(_, setting)| is_bot && cfg.bool(&format!("/ServiceSettings/{setting}")))
        .filter_map(|(k, _)| match props.get(*k) {
            Some(v @ Value::String(s)) if !s.is_empty() => Some((*k, v.clone())),
            _ => None,
        })
        .collect();
    for k in post::AUTHOR_PROPS {
        props.remove(*k);
    }
    for (k, v) in overrides {
        props.insert(k.to_string(), v);
    }
    if is_bot {
        props.insert("from_bot".into(), Value::String("true".into()));
    }
    if oauth {
        props.insert("from_oauth_app".into(), Value::String("true".into()));
    }
}

/// `CreatePost` for a user's post in `channel` (permission already checked); `oauth` says
/// whether it comes through an OAuth session.
pub async fn create_post(
    state: &AppState,
    mut p: Post,
    channel: &Channel,
    oauth: bool,
) -> ApiResult<Post> {
    if channel.delete_at != 0 {
        return Err(ApiError::bad_request(
            "api.post.create_post.can_not_post_to_deleted.error",
        ));
    }
    let author = users::get_user_cached(state, &p.user_id).await?;
    set_author_props(&state.config.get(), &mut p.props, author.is_bot, oauth);
    // The thread as it will be with this reply in it (the root's counts plus this post).
    let mut thread = (0, 0);
    if !p.root_id.is_empty() {
        let root = match state.store.get_post(&p.root_id).await {
            Ok(r) if r.delete_at == 0 => r,
            _ => {
                return Err(
                    ApiError::bad_request("api.post.create_post.root_id.app_error")
                        .param("RootId", p.root_id.clone()),
                );
            }
        };
        if !root.root_id.is_empty() {
            return Err(
                ApiError::bad_request("api.post.create_post.root_id.app_error")
                    .param("RootId", p.root_id.clone()),
            );
        }
        if root.channel_id != p.channel_id {
            return Err(ApiError::bad_request(
                "api.post.create_post.channel_root_id.app_error",
            ));
        }
        thread = (root.reply_count, root.last_reply_at);
    }
    // The store refuses a post that already has an id (`ErrInvalidInput` on `Post.id`).
    if !p.id.is_empty() {
        return Err(
            ApiError::bad_request("app.post.save.existing.app_error").detail(format!(
                "invalid input: entity: Post field: id value: {}",
                p.id
            )),
        );
    }
    pre_save(&mut p);
    p.has_reactions = false;
    p.is_pinned = false;
    p.remote_id = None;
    validate_post(&p)?;
    state
        .store
        .insert_post(&p)
        .await
        .on_conflict("posts_id", "app.post.save.existing.app_error")
        .or_internal("app.post.save.app_error")?;
    // The post is what was written (the store keeps every field as given), so it is not read
    // back; only the thread figures a read adds are filled in.
    p.metadata = None;
    p.participants = None;
    if p.root_id.is_empty() {
        (p.reply_count, p.last_reply_at) = (0, 0);
    } else {
        p.reply_count = thread.0 + 1;
        p.last_reply_at = thread.1.max(p.create_at);
    }
    crate::app::webhooks::spawn_outgoing(state, &p, channel);
    crate::realtime::events::posted(state, &p, channel).await;
    Ok(p)
}

/// Stores a system message (joins, leaves, archiving) in a channel.
pub async fn system_post(
    state: &AppState,
    c: &Channel,
    user_id: &str,
    post_type: &str,
    message: String,
    props: Value,
) -> ApiResult<()> {
    let mut p = Post {
        channel_id: c.id.clone(),
        user_id: user_id.to_string(),
        post_type: post_type.to_string(),
        message,
        props: props.as_object().cloned().unwrap_or_default(),
        ..Default::default()
    };
    pre_save(&mut p);
    state
        .store
        .insert_post(&p)
        .await
        .or_internal("app.post.save.app_error")?;
    crate::realtime::events::posted(state, &p, c).await;
    Ok(())
}

/// `SendEphemeralPost`: a `system_ephemeral` post for one user, never stored.
pub fn ephemeral_post(mut p: Post) -> Post {
    p.post_type = post::POST_TYPE_EPHEMERAL.into();
    if p.id.is_empty() {
        p.id = new_id();
    }
    if p.create_at == 0 {
        p.create_at = now_ms();
    }
    p.update_at = p.create_at;
    post::normalize_attachments(&mut p.props);
    p
}

/// The post as clients receive it (`PreparePostForClient`): action integrations stripped,
/// `metadata` filled (attachment embeds, reactions).
pub async fn for_client(state: &AppState, mut p: Post) -> Post {
    post::strip_action_integrations(&mut p.props);
    let mut meta = serde_json::Map::new();
    if p.props
        .get("attachments")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
    {
        meta.insert("embeds".into(), json!([{"type": "message_attachment"}]));
    }
    if p.has_reactions
        && let Ok(r) = state.store.list_reactions(&p.id).await
        && !r.is_empty()
    {
        meta.insert("reactions".into(), json!(r));
    }
    p.metadata = Some(Value::Object(meta));
    p
}

/// Marks a post (and its replies) deleted, recording who deleted it.
pub async fn delete_post(state: &AppState, p: &Post, by: &str) -> ApiResult<()> {
    state
        .store
        .delete_post(&p.id, state.clock.now_ms(), by)
        .await
        .or_internal("app.post.delete.app_error")?;
    crate::realtime::events::post_deleted(state, p, by).await;
    Ok(())
}

/// Builds a `PostList` from posts newest first; `extra` posts (thread roots) go in `posts`
/// only.
pub async fn post_list(state: &AppState, order: Vec<Post>, extra: Vec<Post>) -> PostList {
    let mut list = PostList::default();
    for p in order {
        list.order.push(p.id.clone());
        let p = for_client(state, p).await;
        list.posts.insert(p.id.clone(), p);
    }
    for p in extra {
        if !list.posts.contains_key(&p.id) {
            let p = for_client(state, p).await;
            list.posts.insert(p.id.clone(), p);
        }
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashtags() {
        assert_eq!(
            parse_hashtags("hello #world and #rust-lang, #a #x1"),
            "#world #rust-lang #x1"
        );
        assert_eq!(parse_hashtags("no tags"), "");
    }
}
