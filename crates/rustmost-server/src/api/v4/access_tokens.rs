//! `/api/v4/users/*/tokens*`: personal access tokens, with Mattermost's gate order and error ids.
//! Token JSON always carries `expires_at` and Rustmost's `last_used_at`/`last_used_ip`.

use crate::api::v4::audits::RequestInfo;
use crate::api::v4::ids::{PathId, UserIdOrMe};
use crate::api::v4::{map_from_json, ok, paging, parse_body, status_ok};
use crate::app::{access_tokens as tokens, users};
use crate::auth::AuthSession;
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Session};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use rustmost_model::TokenId;
use serde::Deserialize;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v4/users/{user_id}/tokens",
            post(create_user_access_token).get(get_user_access_tokens_for_user),
        )
        .route("/api/v4/users/tokens", get(get_user_access_tokens))
        .route(
            "/api/v4/users/tokens/search",
            post(search_user_access_tokens),
        )
        .route(
            "/api/v4/users/tokens/{token_id}",
            get(get_user_access_token),
        )
        .route(
            "/api/v4/users/tokens/revoke",
            post(revoke_user_access_token),
        )
        .route(
            "/api/v4/users/tokens/disable",
            post(disable_user_access_token),
        )
        .route(
            "/api/v4/users/tokens/enable",
            post(enable_user_access_token),
        )
        .route(
            "/api/v4/users/tokens/rotate",
            post(rotate_user_access_token),
        )
        .route(
            "/api/v4/users/tokens/non_compliant/count",
            get(count_non_compliant),
        )
        .route(
            "/api/v4/users/tokens/non_compliant/revoke",
            post(revoke_non_compliant),
        )
}

#[derive(Deserialize)]
struct CreateBody {
    #[serde(default)]
    description: String,
    #[serde(default)]
    expires_at: i64,
}

/// # `POST /api/v4/users/{user_id}/tokens` `{"description", "expires_at"?}`
/// Creates a token and returns it with its secret (200, the only time the secret is shown).
/// Gates in Mattermost's order: user exists (404), not a remote user, not an OAuth session,
/// body (400 `user_access_token`, `description`), `create_user_access_token`, oneself or the
/// bot's manager or `edit_other_users`, `manage_system` for an admin's token; then 501 when
/// personal access tokens are off (bots exempt) and the `MaximumPersonalAccessTokenLifetimeDays`
/// policy. No e-mail is sent. The secret is `rmpat_…` (42 characters), not a 26-char id.
async fn create_user_access_token(
    State(state): State<AppState>,
    s: AuthSession,
    info: RequestInfo,
    UserIdOrMe(id): UserIdOrMe,
    body: Bytes,
) -> ApiResult<Response> {
    let user = users::get_user(&state, &id).await?;
    tokens::refuse_remote_or_oauth(&s, &user)?;
    let b: CreateBody = parse_body(&body, "user_access_token")?;
    if b.description.is_empty() {
        return Err(ApiError::invalid_param("description"));
    }
    info.log(&state, &s, "").await;
    let t = tokens::create_as(&state, &s, &user, &b.description, b.expires_at).await?;
    info.log(&state, &s, &format!("success - token_id={}", t.id))
        .await;
    Ok(ok(t))
}

/// # `GET /api/v4/users/{user_id}/tokens`
/// The user's tokens without secrets (`page`, `per_page`): `read_user_access_token`, then oneself,
/// the bot's manager or `edit_other_users`.
async fn get_user_access_tokens_for_user(
    State(state): State<AppState>,
    s: AuthSession,
    UserIdOrMe(id): UserIdOrMe,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    Ok(ok(
        tokens::list_for_user_as(&state, &s, &id, paging(&q)).await?
    ))
}

/// # `GET /api/v4/users/tokens`
/// Every token on the server (`manage_system`), paged, oldest first.
async fn get_user_access_tokens(
    State(state): State<AppState>,
    s: AuthSession,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    Ok(ok(tokens::list_all_as(&state, &s, paging(&q)).await?))
}

#[derive(Deserialize)]
struct SearchBody {
    #[serde(default)]
    term: String,
}

/// # `POST /api/v4/users/tokens/search` `{"term"}`
/// `manage_system`. As in Mattermost the term matches a token id, user id or username exactly.
async fn search_user_access_tokens(
    State(state): State<AppState>,
    s: AuthSession,
    body: Bytes,
) -> ApiResult<Response> {
    let term = parse_body::<SearchBody>(&body, "user_access_token_search").and_then(|b| {
        if b.term.is_empty() {
            Err(ApiError::invalid_param("term"))
        } else {
            Ok(b.term)
        }
    });
    Ok(ok(tokens::search_as(&state, &s, term).await?))
}

/// # `GET /api/v4/users/tokens/{token_id}`
/// Valid id (400), `read_user_access_token`, the token (404
/// `app.user_access_token.get_by_user.app_error`), then the owner check (403).
async fn get_user_access_token(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(id): PathId<TokenId>,
) -> ApiResult<Response> {
    let t = tokens::get_for_read_as(&state, &s, &id).await?;
    Ok(ok(tokens::to_wire(&t)))
}

/// The three actions on a token named by a `{"token_id"}` body.
#[derive(Clone, Copy)]
enum TokenAction {
    Revoke,
    Disable,
    Enable,
}

/// A revoke, disable or enable: the request logged before the checks as upstream does, the
/// action on the body's `token_id`, then the success logged with the id. An empty id is looked
/// up as such and so ends in the 404, as upstream.
async fn token_action(
    state: &AppState,
    s: &Session,
    info: &RequestInfo,
    body: &[u8],
    action: TokenAction,
) -> ApiResult<Response> {
    let id = map_from_json(body).remove("token_id").unwrap_or_default();
    info.log(state, s, "").await;
    let t = match action {
        TokenAction::Revoke => tokens::revoke_as(state, s, &id).await?,
        TokenAction::Disable => tokens::disable_as(state, s, &id).await?,
        TokenAction::Enable => tokens::enable_as(state, s, &id).await?,
    };
    info.log(state, s, &format!("success - token_id={}", t.id))
        .await;
    Ok(status_ok())
}

/// # `POST /api/v4/users/tokens/revoke` `{"token_id"}`
/// `revoke_user_access_token`; deletes the token and its sessions (the next request with it is
/// refused).
async fn revoke_user_access_token(
    State(state): State<AppState>,
    s: AuthSession,
    info: RequestInfo,
    body: Bytes,
) -> ApiResult<Response> {
    token_action(&state, &s, &info, &body, TokenAction::Revoke).await
}

/// # `POST /api/v4/users/tokens/disable` `{"token_id"}`
/// `revoke_user_access_token` (Mattermost has no separate permission); ends its sessions.
async fn disable_user_access_token(
    State(state): State<AppState>,
    s: AuthSession,
    info: RequestInfo,
    body: Bytes,
) -> ApiResult<Response> {
    token_action(&state, &s, &info, &body, TokenAction::Disable).await
}

/// # `POST /api/v4/users/tokens/enable` `{"token_id"}`
/// `create_user_access_token`, as upstream.
async fn enable_user_access_token(
    State(state): State<AppState>,
    s: AuthSession,
    info: RequestInfo,
    body: Bytes,
) -> ApiResult<Response> {
    token_action(&state, &s, &info, &body, TokenAction::Enable).await
}

#[derive(Deserialize)]
struct RotateBody {
    #[serde(default)]
    token_id: String,
    #[serde(default)]
    expires_at: i64,
}

/// # `POST /api/v4/users/tokens/rotate` `{"token_id", "expires_at"?}` (Mattermost v11.10)
/// A new secret for the same token (200, with the secret); the old secret and its sessions stop
/// working at once. Body (400), not OAuth, `create_user_access_token`, token (404), owner (404),
/// owner check, `manage_system` for an admin's token, not a remote user, not disabled (400), then
/// 501 when tokens are off (bots exempt) and the lifetime policy. `expires_at` omitted = never.
async fn rotate_user_access_token(
    State(state): State<AppState>,
    s: AuthSession,
    info: RequestInfo,
    body: Bytes,
) -> ApiResult<Response> {
    let b: RotateBody = parse_body(&body, "rotate_user_access_token")?;
    if b.token_id.is_empty() {
        return Err(ApiError::invalid_param("token_id"));
    }
    let (t, out) = tokens::rotate_as(&state, &s, &b.token_id, b.expires_at).await?;
    info.log(&state, &s, &format!("success - token_id={}", t.id))
        .await;
    Ok(ok(out))
}

/// # `GET /api/v4/users/tokens/non_compliant/count` (Mattermost v11.10)
/// `{"count": n}`: tokens of humans and user-owned bots that never expire or outlive
/// `MaximumPersonalAccessTokenLifetimeDays`; 0 when there is no policy. `manage_system`.
async fn count_non_compliant(State(state): State<AppState>, s: AuthSession) -> ApiResult<Response> {
    let n = tokens::non_compliant_as(&state, &s)
        .await?
        .map(|v| v.len())
        .unwrap_or(0);
    Ok(ok(serde_json::json!({ "count": n })))
}

/// # `POST /api/v4/users/tokens/non_compliant/revoke` (Mattermost v11.10)
/// Revokes every non-compliant token (and its sessions); `{"count": n}`. 400
/// `app.user_access_token.revoke_non_compliant.no_policy.app_error` when no policy is set.
async fn revoke_non_compliant(
    State(state): State<AppState>,
    s: AuthSession,
    info: RequestInfo,
) -> ApiResult<Response> {
    let Some(list) = tokens::non_compliant_as(&state, &s).await? else {
        return Err(ApiError::bad_request(
            "app.user_access_token.revoke_non_compliant.no_policy.app_error",
        ));
    };
    for t in &list {
        tokens::revoke(&state, t).await?;
        info.log(&state, &s, &format!("success - token_id={}", t.id))
            .await;
    }
    Ok(ok(serde_json::json!({ "count": list.len() })))
}
