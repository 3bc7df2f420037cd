//! `/api/v4/users/{user_id}/status` and `/api/v4/users/status/ids`: reading and setting user
//! statuses through `app::status`.

use crate::api::v4::ids::UserIdOrMe;
use crate::api::v4::{ok, parse_body};
use crate::app::status;
use crate::auth::AuthSession;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v4/users/{user_id}/status",
            get(get_user_status).put(update_user_status),
        )
        .route("/api/v4/users/status/ids", post(get_user_statuses_by_ids))
}

/// # `GET /api/v4/users/{user_id}/status`
/// Anyone's status, for any signed-in caller (`offline` for a user without one).
async fn get_user_status(
    State(state): State<AppState>,
    _s: AuthSession,
    UserIdOrMe(uid): UserIdOrMe,
) -> ApiResult<Response> {
    Ok(ok(status::get(&state, &uid).await?))
}

/// # `POST /api/v4/users/status/ids` `["user_id", ...]`
/// The statuses of the listed users, in order (`offline` for users without one). Each id must
/// have 26 characters.
async fn get_user_statuses_by_ids(
    State(state): State<AppState>,
    _s: AuthSession,
    body: Bytes,
) -> ApiResult<Response> {
    // Upstream's `ArrayFromJSON`: anything but an array of strings reads as empty.
    let ids: Vec<String> = serde_json::from_slice(&body).unwrap_or_default();
    if ids.is_empty() || ids.iter().any(|id| id.len() != 26) {
        return Err(ApiError::invalid_param("user_ids"));
    }
    Ok(ok(status::get_many(&state, &ids).await?))
}

/// # `PUT /api/v4/users/{user_id}/status` `{"user_id", "status"}`
/// Sets the status by hand (`online`, `away`, `offline`, `dnd`); oneself or
/// `edit_other_users`. Answers the new status.
async fn update_user_status(
    State(state): State<AppState>,
    s: AuthSession,
    UserIdOrMe(uid): UserIdOrMe,
    body: Bytes,
) -> ApiResult<Response> {
    let req: status::StatusUpdate = parse_body(&body, "status")?;
    Ok(ok(status::update_user_status(&state, &s, &uid, req).await?))
}
