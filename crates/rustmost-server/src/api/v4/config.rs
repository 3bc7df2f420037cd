//! `/api/v4/config*`: reading and writing the server config, the client config, and which keys
//! the environment sets.

use crate::api::v4::{ok, parse_body};
use crate::app::config;
use crate::auth::{AuthSession, MaybeSession};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use axum::routing::{get, post, put};
use serde_json::Value;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v4/config", get(get_config).put(update_config))
        .route("/api/v4/config/patch", put(patch_config))
        .route("/api/v4/config/reload", post(config_reload))
        .route("/api/v4/config/client", get(get_client_config))
        .route("/api/v4/config/environment", get(get_environment_config))
}

fn no_cache(mut r: Response) -> Response {
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, no-store, must-revalidate"),
    );
    r
}

/// # `GET /api/v4/config`
/// The whole config with secrets sanitized. Needs a `sysconsole_read_*` permission.
async fn get_config(State(state): State<AppState>, s: AuthSession) -> ApiResult<Response> {
    Ok(no_cache(ok(config::get_sanitized(&state, &s)?)))
}

/// A config document: a JSON object, else 400 naming `config`.
fn config_body(body: &[u8]) -> ApiResult<Value> {
    let v: Value = parse_body(body, "config")?;
    if !v.is_object() {
        return Err(ApiError::invalid_param("config"));
    }
    Ok(v)
}

/// # `PUT /api/v4/config`
/// Replaces the config (missing fields take defaults). Environment-set keys and placeholder
/// secrets keep their values; SiteURL cannot be cleared. Returns the new config.
async fn update_config(
    State(state): State<AppState>,
    s: AuthSession,
    body: Bytes,
) -> ApiResult<Response> {
    let v = config_body(&body)?;
    Ok(no_cache(ok(config::update(&state, &s, v).await?)))
}

/// # `PUT /api/v4/config/patch`
/// Merges a partial config; absent and `null` fields are untouched.
async fn patch_config(
    State(state): State<AppState>,
    s: AuthSession,
    body: Bytes,
) -> ApiResult<Response> {
    let v = config_body(&body)?;
    Ok(no_cache(ok(config::patch(&state, &s, v).await?)))
}

/// # `POST /api/v4/config/reload`
/// Re-reads `config.json`. Needs `reload_config` (here: `manage_system`).
async fn config_reload(State(state): State<AppState>, s: AuthSession) -> ApiResult<Response> {
    config::reload(&state, &s).await?;
    Ok(crate::api::v4::status_ok())
}

/// # `GET /api/v4/config/client?format=old`
/// The flat client config: the limited set for anonymous callers, the full set once logged in.
async fn get_client_config(
    State(state): State<AppState>,
    s: MaybeSession,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    match q.get("format").map(String::as_str) {
        None | Some("") => {
            return Err(ApiError::not_implemented(
                "api.config.client.old_format.app_error",
            ));
        }
        Some("old") => {}
        Some(_) => return Err(ApiError::invalid_param("format")),
    }
    Ok(ok(state
        .config
        .get()
        .client_config(s.0.is_some(), crate::VERSION)))
}

/// # `GET /api/v4/config/environment`
/// Which keys the environment sets (`true` at each leaf). Callers without a
/// `sysconsole_read_*` permission get `{}`, as upstream's read filter leaves them nothing.
async fn get_environment_config(
    State(state): State<AppState>,
    s: AuthSession,
) -> ApiResult<Response> {
    Ok(no_cache(ok(config::environment(&state, &s))))
}
