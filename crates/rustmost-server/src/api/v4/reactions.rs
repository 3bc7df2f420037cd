//! Reactions: `POST /api/v4/reactions`, `GET /api/v4/posts/{post_id}/reactions`,
//! `DELETE /api/v4/users/{user_id}/posts/{post_id}/reactions/{emoji_name}`.

use crate::api::v4::{ok, require_id, status_ok};
use crate::app::{authz, channels, posts, scoped_authz};
use crate::auth::AuthSession;
use crate::error::{ApiError, ApiResult, StoreResultExt};
use crate::state::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{delete, get, post};
use rustmost_model::Permission;
use rustmost_model::now_ms;
use rustmost_model::post::{self, Reaction};

/// Mattermost's `UniqueEmojiReactionLimitPerPost` default.
const UNIQUE_EMOJI_LIMIT: i64 = 50;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v4/reactions", post(save_reaction))
        .route("/api/v4/posts/{post_id}/reactions", get(get_reactions))
        .route(
            "/api/v4/users/{user_id}/posts/{post_id}/reactions/{emoji_name}",
            delete(delete_reaction),
        )
}

/// # `POST /api/v4/reactions` `{"user_id","post_id","emoji_name"}`
/// Reacts as oneself (`add_reaction` in the post's channel); reacting twice refreshes the
/// reaction. Names are `[A-Za-z0-9_+-]`, at most 64 (`+1`, `thumbsup`). Answers 200.
async fn save_reaction(
    State(state): State<AppState>,
    s: AuthSession,
    body: Bytes,
) -> ApiResult<Response> {
    let mut r: Reaction = rustmost_model::json::from_slice(&body)
        .map_err(|e| ApiError::invalid_param("reaction").detail(e.to_string()))?;
    if !rustmost_model::is_valid_id(&r.user_id)
        || !rustmost_model::is_valid_id(&r.post_id)
        || r.emoji_name.is_empty()
        || r.emoji_name.len() > post::EMOJI_NAME_MAX_LENGTH
    {
        return Err(ApiError::bad_request(
            "api.reaction.save_reaction.invalid.app_error",
        ));
    }
    if r.user_id != s.user_id {
        return Err(ApiError::forbidden(
            "api.reaction.save_reaction.user_id.app_error",
        ));
    }
    if !scoped_authz::has_channel_by_post(&state, &s, &r.post_id, Permission::AddReaction).await? {
        return Err(ApiError::permission(&s.user_id, &[Permission::AddReaction]));
    }
    let p = posts::get_live_post(&state, &r.post_id).await?;
    let c = channels::get_channel(&state, &p.channel_id).await?;
    if c.delete_at != 0 {
        return Err(ApiError::forbidden(
            "api.reaction.save.archived_channel.app_error",
        ));
    }
    if !post::is_valid_emoji_name(&r.emoji_name) {
        return Err(
            ApiError::bad_request("model.reaction.is_valid.emoji_name.app_error")
                .detail(format!("emoji_name={}", r.emoji_name)),
        );
    }
    let existing = state
        .store
        .list_reactions(&p.id)
        .await
        .or_internal("app.reaction.get_for_post.app_error")?;
    if !existing.iter().any(|e| e.emoji_name == r.emoji_name)
        && state
            .store
            .count_post_emojis(&p.id)
            .await
            .or_internal("app.reaction.get_for_post.app_error")?
            >= UNIQUE_EMOJI_LIMIT
    {
        return Err(ApiError::bad_request(
            "app.reaction.save.save.too_many_reactions",
        ));
    }
    let now = now_ms();
    if r.create_at == 0 {
        r.create_at = now;
    }
    r.update_at = now;
    r.delete_at = 0;
    r.remote_id = Some(String::new());
    r.channel_id = p.channel_id.clone();
    if let Some(old) = existing
        .iter()
        .find(|e| e.user_id == r.user_id && e.emoji_name == r.emoji_name)
    {
        r.create_at = old.create_at;
    }
    state
        .store
        .save_reaction(&r)
        .await
        .or_internal("app.reaction.save.save.app_error")?;
    Ok(ok(r))
}

/// # `GET /api/v4/posts/{post_id}/reactions`
/// Every reaction of the post, oldest first (`read_channel_content`); `[]` when none.
async fn get_reactions(
    State(state): State<AppState>,
    s: AuthSession,
    Path(post_id): Path<String>,
) -> ApiResult<Response> {
    let id = require_id(&post_id, "post_id", None)?;
    if !scoped_authz::has_channel_by_post(&state, &s, &id, Permission::ReadChannelContent).await? {
        return Err(ApiError::permission(
            &s.user_id,
            &[Permission::ReadChannelContent],
        ));
    }
    let list = state
        .store
        .list_reactions(&id)
        .await
        .or_internal("app.reaction.get_for_post.app_error")?;
    Ok(ok(list))
}

/// # `DELETE /api/v4/users/{user_id}/posts/{post_id}/reactions/{emoji_name}`
/// Removes a reaction (`remove_reaction`; another user's needs `remove_others_reactions`).
/// The name is taken literally from the path, so `+1` stays `+1`. Removing an absent
/// reaction succeeds.
async fn delete_reaction(
    State(state): State<AppState>,
    s: AuthSession,
    Path((user_id, post_id, emoji)): Path<(String, String, String)>,
    _body: Bytes,
) -> ApiResult<Response> {
    let uid = require_id(&user_id, "user_id", Some(&s.user_id))?;
    let pid = require_id(&post_id, "post_id", None)?;
    if !post::is_valid_emoji_name(&emoji) {
        return Err(ApiError::invalid_url_param("emoji_name"));
    }
    if !scoped_authz::has_channel_by_post(&state, &s, &pid, Permission::RemoveReaction).await? {
        return Err(ApiError::permission(
            &s.user_id,
            &[Permission::RemoveReaction],
        ));
    }
    if uid != s.user_id && !authz::has(&state, &s, Permission::RemoveOthersReactions) {
        return Err(ApiError::permission(
            &s.user_id,
            &[Permission::RemoveOthersReactions],
        ));
    }
    let p = posts::get_live_post(&state, &pid).await?;
    let c = channels::get_channel(&state, &p.channel_id).await?;
    if c.delete_at != 0 {
        return Err(ApiError::forbidden(
            "api.reaction.delete.archived_channel.app_error",
        ));
    }
    state
        .store
        .delete_reaction(&uid, &pid, &emoji, now_ms())
        .await
        .or_internal("app.reaction.delete_all_with_emoji_name.get_reactions.app_error")?;
    Ok(status_ok())
}
