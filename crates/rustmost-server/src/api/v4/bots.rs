//! `/api/v4/bots*` and `POST /api/v4/users/{user_id}/convert_to_bot`: bot accounts.

use crate::api::v4::audits::RequestInfo;
use crate::api::v4::ids::{PathId, UserIdOrMe};
use crate::api::v4::{created, etag, flag, handle_etag, ok, paging, parse_body};
use crate::app::{bots, users};
use crate::auth::AuthSession;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use rustmost_model::BotId;
use rustmost_model::bot::BotPatch;
use rustmost_model::user::UserPatch;
use rustmost_store::BotQuery;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v4/bots", post(create_bot).get(get_bots))
        .route("/api/v4/bots/{bot_user_id}", get(get_bot).put(patch_bot))
        .route("/api/v4/bots/{bot_user_id}/disable", post(disable_bot))
        .route("/api/v4/bots/{bot_user_id}/enable", post(enable_bot))
        .route(
            "/api/v4/bots/{bot_user_id}/assign/{user_id}",
            post(assign_bot),
        )
        .route(
            "/api/v4/bots/{bot_user_id}/convert_to_user",
            post(convert_bot_to_user),
        )
        .route(
            "/api/v4/users/{user_id}/convert_to_bot",
            post(convert_user_to_bot),
        )
}

fn patch_body(body: &[u8]) -> ApiResult<BotPatch> {
    let p: Option<BotPatch> = parse_body(body, "bot")?;
    Ok(p.unwrap_or_default())
}

/// # `POST /api/v4/bots` `{"username", "display_name"?, "description"?}`
/// 201 with the bot, owned by the caller. `create_bot` (403), callers that are bots are refused
/// (403), then `EnableBotAccountCreation` (403 `api.bot.create_disabled`). A taken username is
/// 400 `app.user.save.username_exists.app_error`. Mattermost also DMs the owner a hint to add
/// the bot to teams; Rustmost does not.
async fn create_bot(
    State(state): State<AppState>,
    s: AuthSession,
    info: RequestInfo,
    body: Bytes,
) -> ApiResult<Response> {
    let p = patch_body(&body)?;
    let b = bots::create_as(&state, &s, &p).await?;
    info.log(&state, &s, &format!("bot_user_id={}", b.user_id))
        .await;
    Ok(created(b))
}

/// # `PUT /api/v4/bots/{bot_user_id}`
/// Patches username, display name or description. Own bot: `manage_bots`; another's:
/// `manage_others_bots`; lacking even the read permission the bot is reported absent (404).
async fn patch_bot(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(id): PathId<BotId>,
    body: Bytes,
) -> ApiResult<Response> {
    let p = patch_body(&body)?;
    Ok(ok(bots::patch_as(&state, &s, &id, &p).await?))
}

/// # `GET /api/v4/bots/{bot_user_id}?include_deleted`
/// `read_others_bots`, or one's own bot with `read_bots`; otherwise 404 as if absent. 304 when
/// `If-None-Match` is the bot's ETag (`{version}.{user_id}.{update_at}`, as upstream).
async fn get_bot(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(id): PathId<BotId>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let b = bots::get_as(&state, &s, &id, flag(&q, "include_deleted")).await?;
    if let Some(not_modified) = handle_etag(&headers, &etag(&[&b.user_id, &b.update_at])) {
        return Ok(not_modified);
    }
    Ok(ok(b))
}

/// # `GET /api/v4/bots?page&per_page&include_deleted&only_orphaned`
/// All bots with `read_others_bots`, one's own with `read_bots`, else 403 `read_bots`.
/// `only_orphaned` keeps bots whose owner is deactivated. 304 when `If-None-Match` is the list's
/// ETag (upstream `BotList.Etag`: `{version}.{id}.{update_at}.0.{count}` of the most recently
/// updated bot on the page, `0.0.0.0` parts for an empty page).
async fn get_bots(
    State(state): State<AppState>,
    s: AuthSession,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let list = bots::list_as(
        &state,
        &s,
        BotQuery {
            page: Some(paging(&q)),
            owner_id: None,
            include_deleted: flag(&q, "include_deleted"),
            only_orphaned: flag(&q, "only_orphaned"),
        },
    )
    .await?;
    let (mut newest_id, mut newest_at) = ("0", 0i64);
    for b in &list {
        if b.update_at > newest_at {
            newest_at = b.update_at;
            newest_id = &b.user_id;
        }
    }
    let tag = etag(&[&newest_id, &newest_at, &0, &list.len()]);
    if let Some(not_modified) = handle_etag(&headers, &tag) {
        return Ok(not_modified);
    }
    Ok(ok(list))
}

async fn set_active(
    state: AppState,
    s: AuthSession,
    info: RequestInfo,
    id: BotId,
    active: bool,
) -> ApiResult<Response> {
    let b = bots::set_active_as(&state, &s, &id, active).await?;
    info.log(&state, &s, &format!("bot_user_id={id} active={active}"))
        .await;
    Ok(ok(b))
}

/// # `POST /api/v4/bots/{bot_user_id}/disable`
/// Deactivates the bot's user: its sessions end at once, its tokens are kept (refused until it is
/// enabled again). Manage-bot permissions as for patching.
async fn disable_bot(
    State(state): State<AppState>,
    s: AuthSession,
    info: RequestInfo,
    PathId(id): PathId<BotId>,
) -> ApiResult<Response> {
    set_active(state, s, info, id, false).await
}

/// # `POST /api/v4/bots/{bot_user_id}/enable`
async fn enable_bot(
    State(state): State<AppState>,
    s: AuthSession,
    info: RequestInfo,
    PathId(id): PathId<BotId>,
) -> ApiResult<Response> {
    set_active(state, s, info, id, true).await
}

/// # `POST /api/v4/bots/{bot_user_id}/assign/{user_id}`
/// Makes `user_id` (`me` = the caller) the owner. Manage-bot permissions; a bot cannot own a bot
/// (403 `assign_bot`). As upstream, the new owner's existence is not checked.
async fn assign_bot(
    State(state): State<AppState>,
    s: AuthSession,
    UserIdOrMe(owner): UserIdOrMe,
    PathId(id): PathId<BotId>,
) -> ApiResult<Response> {
    Ok(ok(bots::assign_as(&state, &s, &id, &owner).await?))
}

/// # `POST /api/v4/bots/{bot_user_id}/convert_to_user?set_system_admin` (UserPatch with password)
/// The bot (404), a body with a non-empty `password` (400 `userPatch`), then `manage_system`.
/// Returns the user. Every session of the account ends (Rustmost addition).
async fn convert_bot_to_user(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(id): PathId<BotId>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> ApiResult<Response> {
    let b = bots::get(&state, &id, false).await?;
    let p: UserPatch = rustmost_model::json::from_slice(&body)
        .map_err(|e| ApiError::invalid_param("userPatch").detail(e.to_string()))?;
    let password = p.password.clone().unwrap_or_default();
    if password.is_empty() {
        return Err(ApiError::invalid_param("userPatch"));
    }
    let make_admin = flag(&q, "set_system_admin");
    let u = bots::convert_to_user_as(&state, &s, &b, p, &password, make_admin).await?;
    Ok(ok(users::sanitize_for(&state, Some(&s), u)))
}

/// # `POST /api/v4/users/{user_id}/convert_to_bot`
/// The user (404), then `manage_system`. Returns the bot, owned by the account itself, with the
/// username as display name (upstream `BotFromUser`). Every session of the account ends
/// (Rustmost addition: bots cannot log in).
async fn convert_user_to_bot(
    State(state): State<AppState>,
    s: AuthSession,
    UserIdOrMe(id): UserIdOrMe,
) -> ApiResult<Response> {
    let u = users::get_user(&state, &id).await?;
    Ok(ok(bots::convert_from_user_as(&state, &s, u).await?))
}
