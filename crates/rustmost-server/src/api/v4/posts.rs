//! `/api/v4/posts*` and `/api/v4/channels/{channel_id}/posts`: creating, reading and deleting
//! posts, ephemeral posts.

use crate::api::v4::ids::{PathId, PathParam};
use crate::api::v4::{created, flag, ok, paging, parse_body, status_ok};
use crate::app::posts;
use crate::auth::AuthSession;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post, put};
use rustmost_model::post::Post;
use rustmost_model::{ChannelId, PostId};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v4/posts", post(create_post))
        .route("/api/v4/posts/ephemeral", post(create_ephemeral_post))
        .route(
            "/api/v4/posts/{post_id}",
            get(get_post).delete(delete_post).put(update_post),
        )
        .route("/api/v4/posts/{post_id}/patch", put(patch_post))
        .route("/api/v4/posts/{post_id}/thread", get(get_post_thread))
        .route(
            "/api/v4/channels/{channel_id}/posts",
            get(get_posts_for_channel),
        )
        .route(
            "/api/v4/posts/{post_id}/actions/{action_id}",
            post(do_post_action),
        )
}

/// # `POST /api/v4/posts/{post_id}/actions/{action_id}` `{"selected_option"}` (optional)
/// Clicks a button or picks a menu option: the action's integration URL is called with
/// `PostActionIntegrationRequest` (user, channel, team, post, `context`, `trigger_id`) behind
/// the internal-address guard (`AllowedUntrustedInternalConnections`). Its answer may replace
/// the post (`update`). Answers `{"status":"OK","trigger_id"}`. Needs `read_channel_content`.
async fn do_post_action(
    State(state): State<AppState>,
    s: AuthSession,
    Path((post_id, action_id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Response> {
    // Upstream's route only matches `{action_id:[A-Za-z0-9]+}`: anything else is the
    // router's 404.
    if action_id.is_empty() || !action_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ApiError::not_found("api.context.404.app_error"));
    }
    // Parsed after the action id, whose 404 comes first (upstream's router).
    let pid = PostId::from_param(&post_id)?;
    // An undecodable body is logged and the click goes ahead without a selection, as upstream.
    let mut selected = String::new();
    match serde_json::from_slice::<Value>(&body) {
        Ok(v) => {
            if let Some(o) = v.get("selected_option").and_then(Value::as_str) {
                selected = o.to_string();
            }
        }
        Err(e) => tracing::warn!(post_id = %pid, error = %e, "Error decoding the action request"),
    }
    let trigger = posts::do_post_action_as(&state, &s, &pid, &action_id, &selected).await?;
    Ok(ok(
        serde_json::json!({"status": "OK", "trigger_id": trigger}),
    ))
}

/// # `POST /api/v4/posts`
/// Creates a post (201). Needs `create_post` in the channel, or `create_post_public` in the
/// team for a public channel. `root_id` makes it a reply; `props.attachments` are stored with
/// an `id` for every action, and action `integration`s are never sent back to clients.
async fn create_post(
    State(state): State<AppState>,
    s: AuthSession,
    body: Bytes,
) -> ApiResult<Response> {
    let mut p: Post = parse_body(&body, "post")?;
    p.delete_at = 0;
    p.remote_id = None;
    p.metadata = None;
    for k in posts::SERVER_ONLY_PROPS {
        p.props.remove(*k);
    }
    p.user_id = s.user_id.clone();
    let c = posts::check_create_post(&state, &s, &mut p).await?;
    let p = posts::create_post(&state, p, &c, s.is_oauth).await?;
    Ok(created(posts::for_client(&state, p).await))
}

/// # `POST /api/v4/posts/ephemeral` `{"user_id", "post": {"channel_id", "message"}}`
/// A `system_ephemeral` post shown only to `user_id`; it is not stored (201). Needs
/// `create_post_ephemeral` (system admins).
async fn create_ephemeral_post(
    State(state): State<AppState>,
    s: AuthSession,
    body: Bytes,
) -> ApiResult<Response> {
    let req: PostEphemeral = parse_body(&body, "body")?;
    if req.user_id.is_empty() {
        return Err(ApiError::invalid_param("user_id"));
    }
    let Some(p) = req.post else {
        return Err(ApiError::invalid_param("post"));
    };
    Ok(created(
        posts::create_ephemeral_post_as(&state, &s, &req.user_id, p).await?,
    ))
}

/// `model.PostEphemeral`.
#[derive(Default, Deserialize)]
#[serde(default)]
struct PostEphemeral {
    user_id: String,
    #[serde(deserialize_with = "rustmost_model::json::nested")]
    post: Option<Post>,
}

/// # `GET /api/v4/posts/{post_id}`
/// Needs `read_channel_content` in the post's channel (or `read_public_channel` for a public
/// channel); `include_deleted=true` also needs `read_deleted_posts`.
async fn get_post(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(id): PathId<PostId>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let include_deleted = flag(&q, "include_deleted");
    Ok(ok(
        posts::get_post_as(&state, &s, &id, include_deleted).await?
    ))
}

/// # `DELETE /api/v4/posts/{post_id}`
/// Deletes one's own post (`delete_post`) or another's (`delete_others_posts`), and the
/// replies of a root post. An unknown post answers 403 as upstream does.
async fn delete_post(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(id): PathId<PostId>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    posts::delete_post_as(&state, &s, &id, flag(&q, "permanent")).await?;
    Ok(status_ok())
}

/// # `GET /api/v4/channels/{channel_id}/posts`
/// A `PostList`, newest first: a page (`page`, `per_page` default 60, max 200) of live posts,
/// or with `since=ms` every post changed since then (deleted ones included). Thread roots of
/// replies are added to `posts`. An unknown channel is 404; then needs `read_channel_content`,
/// or `read_public_channel` in the team for a public channel (`SessionHasPermissionToReadChannel`).
async fn get_posts_for_channel(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(id): PathId<ChannelId>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let since = match q.get("since").filter(|v| !v.is_empty()) {
        Some(v) => Some(
            v.parse::<i64>()
                .map_err(|_| ApiError::invalid_url_param("since"))?,
        ),
        None => None,
    };
    let list = posts::get_posts_for_channel(&state, &s, &id, since, paging(&q)).await?;
    Ok(ok(list))
}

/// # `PUT /api/v4/posts/{post_id}` (a whole post, its `id` the path's)
/// Replaces message, props, pin and files (`edit_post`; `edit_others_posts` for another's
/// post; `PostEditTimeLimit`); `post_edited` goes to the channel.
async fn update_post(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(id): PathId<PostId>,
    body: Bytes,
) -> ApiResult<Response> {
    let p: Post = parse_body(&body, "post")?;
    Ok(ok(posts::update_post(&state, &s, &id, p).await?))
}

/// # `PUT /api/v4/posts/{post_id}/patch` `{"message", "props", "is_pinned", "file_ids"}`
/// Changes the given fields only, with the permissions of an update.
async fn patch_post(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(id): PathId<PostId>,
    body: Bytes,
) -> ApiResult<Response> {
    let patch: posts::PostPatch = parse_body(&body, "post")?;
    Ok(ok(posts::patch_post(&state, &s, &id, patch).await?))
}

/// # `GET /api/v4/posts/{post_id}/thread`
/// The post's thread (root and replies) as a `PostList`, newest first; needs read access to
/// the channel.
async fn get_post_thread(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(id): PathId<PostId>,
) -> ApiResult<Response> {
    Ok(ok(posts::get_post_thread(&state, &s, &id).await?))
}
