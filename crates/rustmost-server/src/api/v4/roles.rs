//! `/api/v4/roles*`: reading roles and changing their permissions.

use crate::api::v4::ids::PathId;
use crate::api::v4::{ok, parse_body};
use crate::app::roles;
use crate::auth::AuthSession;
use crate::error::{ApiError, ApiResult, StoreResultExt};
use crate::state::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post, put};
use rustmost_model::RoleId;
use rustmost_model::role::{Role, RolePatch};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v4/roles", get(get_all_roles))
        .route("/api/v4/roles/names", post(get_roles_by_names))
        .route("/api/v4/roles/name/{role_name}", get(get_role_by_name))
        .route("/api/v4/roles/{role_id}", get(get_role))
        .route("/api/v4/roles/{role_id}/patch", put(patch_role))
}

/// # `GET /api/v4/roles`
/// Every role; needs `manage_system`.
async fn get_all_roles(State(state): State<AppState>, s: AuthSession) -> ApiResult<Response> {
    Ok(ok(roles::list_all(&state, &s).await?))
}

/// # `GET /api/v4/roles/{role_id}`
async fn get_role(
    State(state): State<AppState>,
    _s: AuthSession,
    PathId(id): PathId<RoleId>,
) -> ApiResult<Response> {
    Ok(ok(state
        .store
        .get_role(&id)
        .await
        .or_not_found("app.role.get.app_error")?))
}

/// # `GET /api/v4/roles/name/{role_name}`
async fn get_role_by_name(
    State(state): State<AppState>,
    _s: AuthSession,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    if !roles::is_valid_role_name(&name) {
        return Err(ApiError::invalid_url_param("role_name"));
    }
    Ok(ok(state
        .store
        .get_role_by_name(&name)
        .await
        .or_not_found("app.role.get_by_name.app_error")?))
}

/// How many distinct names one `POST /roles/names` may ask for.
const MAX_ROLE_NAMES: usize = 100;

/// # `POST /api/v4/roles/names`
/// The roles named in a JSON array; unknown names are skipped, invalid names are 400.
async fn get_roles_by_names(
    State(state): State<AppState>,
    _s: AuthSession,
    body: Bytes,
) -> ApiResult<Response> {
    let names: Vec<String> = parse_body(&body, "rolenames")?;
    if names.is_empty() {
        return Err(ApiError::invalid_param("rolenames"));
    }
    let mut names: Vec<String> = names.iter().map(|n| n.trim().to_string()).collect();
    names.sort();
    names.dedup();
    if names.len() > MAX_ROLE_NAMES {
        return Err(
            ApiError::bad_request("api.roles.get_multiple_by_name_too_many.request_error")
                .param("MaxNames", MAX_ROLE_NAMES.to_string()),
        );
    }
    let mut out: Vec<Role> = Vec::new();
    for n in names {
        if !roles::is_valid_role_name(&n) {
            return Err(ApiError::invalid_param("rolename"));
        }
        // Every role lives in the in-memory table, so this costs no database read.
        if let Some(r) = state.roles.get(&n) {
            out.push(r);
        }
    }
    Ok(ok(out))
}

/// # `PUT /api/v4/roles/{role_id}/patch` `{"permissions": [...]}`
/// Replaces the role's permissions (`manage_system`). Sessions holding the role see the
/// change on their next request.
async fn patch_role(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(id): PathId<RoleId>,
    body: Bytes,
) -> ApiResult<Response> {
    let patch: RolePatch = parse_body(&body, "role")?;
    Ok(ok(roles::patch(&state, &s, &id, patch).await?))
}
