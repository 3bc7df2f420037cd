//! `/api/v4/channels*`, a team's channels, and a user's channels.

use crate::api::v4::ids::{PathId, UserIdOrMe};
use crate::api::v4::{created, flag, ok, paging, parse_body, status_ok};
use crate::app::channels;
use crate::auth::AuthSession;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use rustmost_model::channel::Channel;
use rustmost_model::{ChannelId, TeamId};
use serde_json::Value;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v4/channels",
            post(create_channel).get(get_all_channels),
        )
        .route(
            "/api/v4/channels/{channel_id}",
            get(get_channel).delete(delete_channel),
        )
        .route(
            "/api/v4/channels/{channel_id}/restore",
            post(restore_channel),
        )
        .route(
            "/api/v4/channels/{channel_id}/members",
            get(get_channel_members).post(add_channel_member),
        )
        .route(
            "/api/v4/channels/{channel_id}/members/{user_id}",
            get(get_channel_member).delete(remove_channel_member),
        )
        .route("/api/v4/channels/direct", post(create_direct_channel))
        .route("/api/v4/channels/group", post(create_group_channel))
        .route(
            "/api/v4/channels/members/{user_id}/view",
            post(view_channel),
        )
        .route(
            "/api/v4/channels/{channel_id}/stats",
            get(get_channel_stats),
        )
        .route(
            "/api/v4/teams/{team_id}/channels",
            get(get_public_channels_for_team),
        )
        .route(
            "/api/v4/teams/{team_id}/channels/search",
            post(search_channels_for_team),
        )
        .route(
            "/api/v4/teams/{team_id}/channels/name/{channel_name}",
            get(get_channel_by_name),
        )
        .route(
            "/api/v4/users/{user_id}/teams/{team_id}/channels",
            get(get_channels_for_team_for_user),
        )
        .route(
            "/api/v4/users/{user_id}/channels",
            get(get_channels_for_user),
        )
}

/// # `POST /api/v4/channels`
/// Creates a public (`O`, `create_public_channel`) or private (`P`, `create_private_channel`)
/// channel in a team (201); the creator becomes channel admin.
async fn create_channel(
    State(state): State<AppState>,
    s: AuthSession,
    body: Bytes,
) -> ApiResult<Response> {
    let c: Channel = parse_body(&body, "channel")?;
    Ok(created(channels::create_channel_as(&state, &s, c).await?))
}

/// # `GET /api/v4/channels`
/// Every public and private channel with `team_display_name`, `team_name`, `team_update_at`,
/// paged; `include_deleted` adds archived ones. Needs
/// `sysconsole_read_user_management_channels` (system admins).
async fn get_all_channels(
    State(state): State<AppState>,
    s: AuthSession,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let list =
        channels::get_all_channels(&state, &s, flag(&q, "include_deleted"), paging(&q)).await?;
    Ok(ok(list))
}

/// # `GET /api/v4/channels/{channel_id}`
async fn get_channel(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(id): PathId<ChannelId>,
) -> ApiResult<Response> {
    Ok(ok(channels::get_channel_as(&state, &s, &id).await?))
}

/// # `DELETE /api/v4/channels/{channel_id}`
/// Archives the channel (`delete_public_channel` / `delete_private_channel`). Permanent
/// deletion is not offered.
async fn delete_channel(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(id): PathId<ChannelId>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    channels::delete_channel_as(&state, &s, &id, flag(&q, "permanent")).await?;
    Ok(status_ok())
}

/// # `POST /api/v4/channels/{channel_id}/restore`
/// Unarchives the channel (`manage_team` in its team). Any body, including none, is accepted.
async fn restore_channel(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(id): PathId<ChannelId>,
) -> ApiResult<Response> {
    Ok(ok(channels::restore_channel_as(&state, &s, &id).await?))
}

/// # `GET /api/v4/channels/{channel_id}/members`
/// Memberships ordered by user id, paged (`read_channel`).
async fn get_channel_members(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(id): PathId<ChannelId>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    Ok(ok(channels::get_channel_members(
        &state,
        &s,
        &id,
        paging(&q),
    )
    .await?))
}

/// # `GET /api/v4/channels/{channel_id}/members/{user_id}`
async fn get_channel_member(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(cid): PathId<ChannelId>,
    UserIdOrMe(uid): UserIdOrMe,
) -> ApiResult<Response> {
    Ok(ok(
        channels::get_channel_member(&state, &s, &cid, &uid).await?
    ))
}

/// # `POST /api/v4/channels/{channel_id}/members` `{"user_id"}` or `{"user_ids":[...]}`
/// Adds team members to the channel (201). Joining a public channel oneself needs the team's
/// `join_public_channels`; adding others needs `manage_public_channel_members`; private
/// channels need `manage_private_channel_members`. Adding oneself to a channel one already
/// belongs to needs nothing and answers the existing membership.
async fn add_channel_member(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(id): PathId<ChannelId>,
    body: Bytes,
) -> ApiResult<Response> {
    let props: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    // A member of the wrong type is refused rather than read as absent (or, in `user_ids`,
    // silently dropped).
    let single = match props.get("user_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(u)) => Some(u.clone()),
        Some(_) => return Err(ApiError::invalid_param("user_id")),
    };
    let many: Option<Vec<String>> = match props.get("user_ids") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            serde_json::from_value(v.clone())
                .map_err(|e| ApiError::invalid_param("user_ids").detail(e.to_string()))?,
        ),
    };
    let ids: Vec<String> = match (&single, &many) {
        (Some(u), _) if !u.is_empty() => vec![u.clone()],
        (_, Some(list)) if !list.is_empty() => list.clone(),
        _ => return Err(ApiError::invalid_param("user_id or user_ids")),
    };
    if ids.iter().any(|u| !rustmost_model::is_valid_id(u)) {
        return Err(ApiError::invalid_param("user_id"));
    }
    let mut out = channels::add_channel_members(&state, &s, &id, &ids).await?;
    if single.as_deref().is_some_and(|u| !u.is_empty()) {
        Ok(created(out.remove(0)))
    } else {
        Ok(created(out))
    }
}

/// # `GET /api/v4/channels/{channel_id}/stats`
/// Active member count and pinned post count (`read_channel`); files are not stored, so
/// `files_count` is 0.
async fn get_channel_stats(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(id): PathId<ChannelId>,
) -> ApiResult<Response> {
    Ok(ok(channels::get_channel_stats(&state, &s, &id).await?))
}

/// # `GET /api/v4/teams/{team_id}/channels`
/// The team's live public channels by display name, paged (`list_team_channels`).
async fn get_public_channels_for_team(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(tid): PathId<TeamId>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    Ok(ok(channels::get_public_channels_for_team(
        &state,
        &s,
        &tid,
        paging(&q),
    )
    .await?))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ChannelSearch {
    term: String,
}

/// # `POST /api/v4/teams/{team_id}/channels/search` `{"term"}`
/// Live public channels whose name or display name (or a word of it) starts with `term`,
/// at most 100 (`list_team_channels`).
async fn search_channels_for_team(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(tid): PathId<TeamId>,
    body: Bytes,
) -> ApiResult<Response> {
    let search: ChannelSearch = parse_body(&body, "channel_search")?;
    Ok(ok(channels::search_channels_for_team(
        &state,
        &s,
        &tid,
        &search.term,
    )
    .await?))
}

/// # `GET /api/v4/teams/{team_id}/channels/name/{channel_name}`
/// A channel the caller may read; otherwise 404, as for a missing one. Archived channels
/// only with `include_deleted=true`.
async fn get_channel_by_name(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(tid): PathId<TeamId>,
    Path((_, name)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let include_deleted = flag(&q, "include_deleted");
    Ok(ok(channels::get_channel_by_name_as(
        &state,
        &s,
        &tid,
        &name,
        include_deleted,
    )
    .await?))
}

/// Paging for listings Mattermost returns whole: honoured only when the client asks.
fn optional_paging(q: &HashMap<String, String>) -> Option<rustmost_store::Page> {
    (q.contains_key("page") || q.contains_key("per_page")).then(|| paging(q))
}

/// # `GET /api/v4/users/{user_id}/teams/{team_id}/channels`
/// The user's channels in the team (oneself or `edit_other_users`, and `view_team`);
/// `include_deleted` adds archived ones. Honours `page`/`per_page` when given (Mattermost
/// returns every channel; n8n's paging loop needs an empty last page).
async fn get_channels_for_team_for_user(
    State(state): State<AppState>,
    s: AuthSession,
    UserIdOrMe(uid): UserIdOrMe,
    PathId(tid): PathId<TeamId>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let list = channels::get_channels_for_user(
        &state,
        &s,
        &uid,
        Some(&tid),
        flag(&q, "include_deleted"),
        optional_paging(&q),
    )
    .await?;
    Ok(ok(list))
}

/// # `GET /api/v4/users/{user_id}/channels`
/// The user's channels in every team (oneself or `edit_other_users`); `include_deleted`,
/// `page`/`per_page` as above.
async fn get_channels_for_user(
    State(state): State<AppState>,
    s: AuthSession,
    UserIdOrMe(uid): UserIdOrMe,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let list = channels::get_channels_for_user(
        &state,
        &s,
        &uid,
        None,
        flag(&q, "include_deleted"),
        optional_paging(&q),
    )
    .await?;
    Ok(ok(list))
}

/// A body of user ids as upstream's `*ArrayFromJSON` reads it: `null` is no ids; anything but
/// an array of strings is 400 `api.payload.parse.error`.
fn user_id_list(body: &[u8]) -> ApiResult<Vec<String>> {
    serde_json::from_slice::<Option<Vec<String>>>(body)
        .map(Option::unwrap_or_default)
        .map_err(|e| ApiError::bad_request("api.payload.parse.error").detail(e.to_string()))
}

/// # `POST /api/v4/channels/direct` `["user_id", "other_user_id"]`
/// The direct channel of two users (201), created if needed (`direct_added`). One of them must
/// be the caller unless the caller has `manage_system`; needs `create_direct_channel`.
async fn create_direct_channel(
    State(state): State<AppState>,
    s: AuthSession,
    body: Bytes,
) -> ApiResult<Response> {
    let ids = user_id_list(&body)?;
    Ok(created(
        channels::create_direct_channel(&state, &s, ids).await?,
    ))
}

/// # `POST /api/v4/channels/group` `["user_id", ...]`
/// The group channel of 3 to 8 users, the caller included (201), created if needed
/// (`group_added` to each member); needs `create_group_channel`.
async fn create_group_channel(
    State(state): State<AppState>,
    s: AuthSession,
    body: Bytes,
) -> ApiResult<Response> {
    let ids = user_id_list(&body)?;
    Ok(created(
        channels::create_group_channel(&state, &s, ids).await?,
    ))
}

/// # `DELETE /api/v4/channels/{channel_id}/members/{user_id}`
/// Removes a member from a public or private channel (oneself, or with
/// `manage_public_channel_members` / `manage_private_channel_members`); `user_removed` goes to
/// the channel and to the removed user.
async fn remove_channel_member(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(cid): PathId<ChannelId>,
    UserIdOrMe(uid): UserIdOrMe,
) -> ApiResult<Response> {
    channels::remove_channel_member(&state, &s, &cid, &uid).await?;
    Ok(status_ok())
}

/// # `POST /api/v4/channels/members/{user_id}/view` `{"channel_id", "prev_channel_id"}`
/// Marks both channels read (oneself, or `edit_other_users`); answers
/// `{"status":"OK","last_viewed_at_times":{channel_id: ms}}` and sends
/// `multiple_channels_viewed` to the user.
async fn view_channel(
    State(state): State<AppState>,
    s: AuthSession,
    UserIdOrMe(uid): UserIdOrMe,
    body: Bytes,
) -> ApiResult<Response> {
    let times =
        channels::view_channel(&state, &s, &uid, || parse_body(&body, "channel_view")).await?;
    Ok(ok(
        serde_json::json!({"status": "OK", "last_viewed_at_times": times}),
    ))
}
