//! `/api/v4/channels*`, a team's channels, and a user's channels.

use crate::api::v4::ids::{PathId, UserIdOrMe};
use crate::api::v4::{created, flag, ok, paging, parse_body, status_ok};
use crate::app::{authz, channels, scoped_authz, users};
use crate::auth::AuthSession;
use crate::error::{ApiError, ApiResult, StoreResultExt};
use crate::state::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use rustmost_model::Permission;
use rustmost_model::channel::{Channel, ChannelStats};
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
    // Upstream `SetInvalidParamWithDetails`: the generic body-parameter error, the specific
    // message only in `detailed_error`.
    let missing = |name: &str, detail_id: &str| {
        ApiError::invalid_param(name).detail(crate::error::lookup(detail_id).unwrap_or_default())
    };
    if c.team_id.is_empty() {
        return Err(missing(
            "team_id",
            "api.channel.create_channel.missing_team_id.error",
        ));
    }
    if c.display_name.is_empty() {
        return Err(missing(
            "display_name",
            "api.channel.create_channel.missing_display_name.error",
        ));
    }
    if c.is_open() {
        scoped_authz::require_team(&state, &s, &c.team_id, Permission::CreatePublicChannel).await?;
    } else if c.is_private() {
        scoped_authz::require_team(&state, &s, &c.team_id, Permission::CreatePrivateChannel)
            .await?;
    }
    let creator = users::get_user(&state, &s.user_id).await?;
    let c = channels::create_channel(&state, c, &creator).await?;
    Ok(created(c))
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
    let perms = [
        Permission::SysconsoleReadUserManagementGroups,
        Permission::SysconsoleReadUserManagementChannels,
    ];
    authz::require_any(&state, &s, &perms)?;
    let list = state
        .store
        .list_all_channels(flag(&q, "include_deleted"), paging(&q))
        .await
        .or_internal("app.channel.get_all_channels.app_error")?;
    Ok(ok(list))
}

/// Mattermost's read rule: `read_channel` in the channel, or for a public channel
/// `read_public_channel` in its team.
async fn can_read(state: &AppState, s: &AuthSession, c: &Channel) -> ApiResult<bool> {
    Ok(
        scoped_authz::has_channel(state, s, &c.id, Permission::ReadChannel).await?
            || (c.is_open()
                && scoped_authz::has_team(state, s, &c.team_id, Permission::ReadPublicChannel)
                    .await?),
    )
}

/// # `GET /api/v4/channels/{channel_id}`
async fn get_channel(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(id): PathId<ChannelId>,
) -> ApiResult<Response> {
    let c = channels::get_channel(&state, &id).await?;
    if !can_read(&state, &s, &c).await? {
        let perm = if c.is_open() {
            Permission::ReadPublicChannel
        } else {
            Permission::ReadChannel
        };
        return Err(ApiError::permission(&s.user_id, &[perm]));
    }
    Ok(ok(c))
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
    let c = channels::get_channel(&state, &id).await?;
    if c.is_group_or_direct() {
        return Err(ApiError::bad_request(
            "api.channel.delete_channel.type.invalid",
        ));
    }
    let perm = if c.is_open() {
        Permission::DeletePublicChannel
    } else {
        Permission::DeletePrivateChannel
    };
    scoped_authz::require_channel(&state, &s, &id, perm).await?;
    if flag(&q, "permanent") {
        return Err(ApiError::unauthorized(
            "api.user.delete_channel.not_enabled.app_error",
        ));
    }
    let by = users::get_user(&state, &s.user_id).await?;
    channels::archive_channel(&state, c, &by).await?;
    Ok(status_ok())
}

/// # `POST /api/v4/channels/{channel_id}/restore`
/// Unarchives the channel (`manage_team` in its team). Any body, including none, is accepted.
async fn restore_channel(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(id): PathId<ChannelId>,
) -> ApiResult<Response> {
    let c = channels::get_channel(&state, &id).await?;
    scoped_authz::require_team(&state, &s, &c.team_id, Permission::ManageTeam).await?;
    let by = users::get_user(&state, &s.user_id).await?;
    let c = channels::restore_channel(&state, c, &by).await?;
    Ok(ok(c))
}

/// # `GET /api/v4/channels/{channel_id}/members`
/// Memberships ordered by user id, paged (`read_channel`).
async fn get_channel_members(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(id): PathId<ChannelId>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    scoped_authz::require_channel(&state, &s, &id, Permission::ReadChannel).await?;
    let list = state
        .store
        .list_channel_members(&id, paging(&q))
        .await
        .or_internal("app.channel.get_members.app_error")?;
    Ok(ok(list))
}

/// # `GET /api/v4/channels/{channel_id}/members/{user_id}`
async fn get_channel_member(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(cid): PathId<ChannelId>,
    UserIdOrMe(uid): UserIdOrMe,
) -> ApiResult<Response> {
    scoped_authz::require_channel(&state, &s, &cid, Permission::ReadChannel).await?;
    let m = state
        .store
        .get_channel_member(&cid, &uid)
        .await
        .or_not_found("app.channel.get_member.missing.app_error")?;
    Ok(ok(m))
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
    let c = channels::get_channel(&state, &id).await?;
    if c.is_group_or_direct() {
        return Err(ApiError::bad_request(
            "api.channel.add_user_to_channel.type.app_error",
        ));
    }
    let requestor = users::get_user(&state, &s.user_id).await?;
    let mut out = Vec::new();
    for uid in &ids {
        let is_self = *uid == s.user_id;
        let is_new = state
            .store
            .get_channel_member(&id, uid)
            .await
            .optional("app.channel.get_member.app_error")?
            .is_none();
        if c.is_open() {
            if is_self && is_new {
                scoped_authz::require_team(&state, &s, &c.team_id, Permission::JoinPublicChannels)
                    .await?;
            } else if !is_self {
                scoped_authz::require_channel(
                    &state,
                    &s,
                    &id,
                    Permission::ManagePublicChannelMembers,
                )
                .await?;
            }
        } else if !is_self || is_new {
            // A member adding themselves again has nothing to do (answered with the
            // existing membership).
            scoped_authz::require_channel(&state, &s, &id, Permission::ManagePrivateChannelMembers)
                .await?;
        }
        let u = users::get_user(&state, uid).await?;
        out.push(channels::add_user_to_channel(&state, &c, &u, &requestor).await?);
    }
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
    scoped_authz::require_channel(&state, &s, &id, Permission::ReadChannel).await?;
    let c = channels::get_channel(&state, &id).await?;
    let member_count = state
        .store
        .count_channel_members(&c.id)
        .await
        .or_internal("app.channel.get_member_count.app_error")?;
    let pinnedpost_count = state
        .store
        .count_pinned_posts(&c.id)
        .await
        .or_internal("app.channel.get_pinnedpost_count.app_error")?;
    Ok(ok(ChannelStats {
        channel_id: c.id,
        member_count,
        guest_count: 0,
        pinnedpost_count,
        files_count: 0,
    }))
}

/// # `GET /api/v4/teams/{team_id}/channels`
/// The team's live public channels by display name, paged (`list_team_channels`).
async fn get_public_channels_for_team(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(tid): PathId<TeamId>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    scoped_authz::require_team(&state, &s, &tid, Permission::ListTeamChannels).await?;
    let list = state
        .store
        .list_public_channels(&tid, paging(&q))
        .await
        .or_internal("app.channel.get_public_channels.get.app_error")?;
    Ok(ok(list))
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
    scoped_authz::require_team(&state, &s, &tid, Permission::ListTeamChannels).await?;
    let term = search.term.trim();
    // Names and display names are at most 64 characters, so a longer prefix matches nothing;
    // answering early also keeps huge terms away from SQLite's LIKE limits.
    if term.chars().count() > 64 {
        return Ok(ok(Vec::<serde_json::Value>::new()));
    }
    let list = state
        .store
        .search_public_channels(&tid, term)
        .await
        .or_internal("app.channel.search.app_error")?;
    Ok(ok(list))
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
    if !rustmost_model::channel::is_valid_channel_name(&name) {
        return Err(ApiError::invalid_url_param("channel_name"));
    }
    let missing = || {
        ApiError::not_found("app.channel.get_by_name.missing.app_error")
            .detail(format!("teamId={tid}, channelName={name}"))
    };
    let c = state
        .store
        .get_channel_by_name(&tid, &name)
        .await
        .map_err(|_| missing())?;
    if c.delete_at != 0 && !flag(&q, "include_deleted") {
        return Err(missing());
    }
    if !can_read(&state, &s, &c).await? {
        return Err(missing());
    }
    Ok(ok(c))
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
    authz::require_permission_to_user(&state, &s, &uid).await?;
    scoped_authz::require_team(&state, &s, &tid, Permission::ViewTeam).await?;
    let list = state
        .store
        .list_channels_for_user(
            &uid,
            Some(&tid),
            flag(&q, "include_deleted"),
            optional_paging(&q),
        )
        .await
        .or_internal("app.channel.get_channels.get.app_error")?;
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
    authz::require_permission_to_user(&state, &s, &uid).await?;
    let list = state
        .store
        .list_channels_for_user(&uid, None, flag(&q, "include_deleted"), optional_paging(&q))
        .await
        .or_internal("app.channel.get_channels.get.app_error")?;
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
