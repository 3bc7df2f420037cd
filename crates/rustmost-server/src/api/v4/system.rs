//! `/api/v4/system/*`: the ping clients call first.

use crate::state::AppState;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v4/system/ping", get(get_system_ping))
}

/// # `GET /api/v4/system/ping`
/// Anonymous health check. With `get_server_status=true` it also reports the database.
async fn get_system_ping(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let cfg = state.config.get();
    let mut m = serde_json::Map::new();
    m.insert("ActiveSearchBackend".into(), "database".into());
    for k in [
        "AndroidLatestVersion",
        "AndroidMinVersion",
        "IosLatestVersion",
        "IosMinVersion",
    ] {
        m.insert(
            k.into(),
            cfg.str(&format!("/ClientRequirements/{k}")).into(),
        );
    }
    m.insert("status".into(), "OK".into());
    if q.get("get_server_status").map(String::as_str) == Some("true") {
        let db_ok = state.store.count_users(true).await.is_ok();
        m.insert(
            "database_status".into(),
            if db_ok { "OK" } else { "UNHEALTHY" }.into(),
        );
        m.insert("filestore_status".into(), "OK".into());
        if !db_ok {
            m.insert("status".into(), "UNHEALTHY".into());
            return (axum::http::StatusCode::INTERNAL_SERVER_ERROR, axum::Json(m)).into_response();
        }
    }
    super::ok(m)
}
