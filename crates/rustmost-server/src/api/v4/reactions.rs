//! Reactions: `POST /api/v4/reactions`, `GET /api/v4/posts/{post_id}/reactions`,
//! `DELETE /api/v4/users/{user_id}/posts/{post_id}/reactions/{emoji_name}`.

use crate::api::v4::ids::{PathId, UserIdOrMe};
use crate::api::v4::{ok, status_ok};
use crate::app::reactions;
use crate::auth::AuthSession;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{delete, get, post};
use rustmost_model::PostId;
use rustmost_model::post::{self, Reaction};

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
    let r: Reaction = rustmost_model::json::from_slice(&body)
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
    Ok(ok(reactions::save(&state, &s, r).await?))
}

/// # `GET /api/v4/posts/{post_id}/reactions`
/// Every reaction of the post, oldest first (`read_channel_content`); `[]` when none.
async fn get_reactions(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(id): PathId<PostId>,
) -> ApiResult<Response> {
    Ok(ok(reactions::list(&state, &s, &id).await?))
}

/// # `DELETE /api/v4/users/{user_id}/posts/{post_id}/reactions/{emoji_name}`
/// Removes a reaction (`remove_reaction`; another user's needs `remove_others_reactions`).
/// The name is taken literally from the path, so `+1` stays `+1`. Removing an absent
/// reaction succeeds.
async fn delete_reaction(
    State(state): State<AppState>,
    s: AuthSession,
    UserIdOrMe(uid): UserIdOrMe,
    PathId(pid): PathId<PostId>,
    Path((_, _, emoji)): Path<(String, String, String)>,
    _body: Bytes,
) -> ApiResult<Response> {
    if !post::is_valid_emoji_name(&emoji) {
        return Err(ApiError::invalid_url_param("emoji_name"));
    }
    reactions::delete(&state, &s, &uid, &pid, &emoji).await?;
    Ok(status_ok())
}
