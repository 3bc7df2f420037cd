//! Reactions: saving, listing and removing them, with their permission checks (the caller's
//! session decides what it may touch in the post's channel).

use crate::app::{authz, channels, posts, scoped_authz};
use crate::error::{ApiError, ApiResult, StoreResultExt};
use crate::state::{AppState, Session};
use rustmost_model::Permission;
use rustmost_model::channel::Channel;
use rustmost_model::post::{self, Reaction};
use std::sync::Arc;

/// Mattermost's `UniqueEmojiReactionLimitPerPost` default.
const UNIQUE_EMOJI_LIMIT: i64 = 50;

/// `saveReaction` after the body checks: as oneself, `add_reaction` in the post's channel, a
/// live post in a live channel, a valid name, the unique-emoji limit; reacting twice refreshes.
pub async fn save(state: &AppState, s: &Session, mut r: Reaction) -> ApiResult<Reaction> {
    if r.user_id != s.user_id {
        return Err(ApiError::forbidden(
            "api.reaction.save_reaction.user_id.app_error",
        ));
    }
    // The post is read once, for the permission and then as the live post reacted to.
    let (post, allowed) =
        scoped_authz::post_and_permission(state, s, &r.post_id, Permission::AddReaction).await?;
    if !allowed {
        return Err(ApiError::permission(&s.user_id, &[Permission::AddReaction]));
    }
    let Some(p) = post.filter(|p| p.delete_at == 0) else {
        return Err(ApiError::not_found(posts::POST_NOT_FOUND));
    };
    let c = cached_channel(state, &p.channel_id).await?;
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
    // The post's different emoji, counted from its live reactions just read.
    let emojis: std::collections::HashSet<&str> =
        existing.iter().map(|e| e.emoji_name.as_str()).collect();
    if !emojis.contains(r.emoji_name.as_str()) && emojis.len() as i64 >= UNIQUE_EMOJI_LIMIT {
        return Err(ApiError::bad_request(
            "app.reaction.save.save.too_many_reactions",
        ));
    }
    let now = state.clock.now_ms();
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
    state
        .events
        .publish(crate::realtime::events::reaction(true, &r));
    Ok(r)
}

/// The post's channel, for its archived check: from the write cache, with
/// `channels::get_channel`'s 404.
async fn cached_channel(state: &AppState, id: &str) -> ApiResult<Arc<Channel>> {
    crate::write_cache::channel(&state.write_caches, state.store.as_ref(), id)
        .await
        .or_not_found(channels::CHANNEL_NOT_FOUND)
}

/// Every reaction of the post, oldest first (`read_channel_content`).
pub async fn list(state: &AppState, s: &Session, id: &str) -> ApiResult<Vec<Reaction>> {
    if !scoped_authz::has_channel_by_post(state, s, id, Permission::ReadChannelContent).await? {
        return Err(ApiError::permission(
            &s.user_id,
            &[Permission::ReadChannelContent],
        ));
    }
    let list = state
        .store
        .list_reactions(id)
        .await
        .or_internal("app.reaction.get_for_post.app_error")?;
    Ok(list)
}

/// `deleteReaction`: `remove_reaction` in the post's channel, `remove_others_reactions` for
/// another user's; removing an absent reaction succeeds.
pub async fn delete(
    state: &AppState,
    s: &Session,
    uid: &str,
    pid: &str,
    emoji: &str,
) -> ApiResult<()> {
    if !scoped_authz::has_channel_by_post(state, s, pid, Permission::RemoveReaction).await? {
        return Err(ApiError::permission(
            &s.user_id,
            &[Permission::RemoveReaction],
        ));
    }
    if uid != s.user_id && !authz::has(state, s, Permission::RemoveOthersReactions) {
        return Err(ApiError::permission(
            &s.user_id,
            &[Permission::RemoveOthersReactions],
        ));
    }
    let p = posts::get_live_post(state, pid).await?;
    let c = cached_channel(state, &p.channel_id).await?;
    if c.delete_at != 0 {
        return Err(ApiError::forbidden(
            "api.reaction.delete.archived_channel.app_error",
        ));
    }
    state
        .store
        .delete_reaction(uid, pid, emoji, state.clock.now_ms())
        .await
        .or_internal("app.reaction.delete_all_with_emoji_name.get_reactions.app_error")?;
    crate::realtime::events::reaction_removed(
        state,
        uid.to_string(),
        pid.to_string(),
        emoji.to_string(),
        c.id.clone(),
    );
    Ok(())
}
