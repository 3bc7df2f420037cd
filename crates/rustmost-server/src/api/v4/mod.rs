//! API v4: each area's router, merged, plus the small parsing helpers every handler uses.

pub mod access_tokens;
pub mod audits;
pub mod bots;
pub mod channels;
pub mod commands;
pub mod config;
pub mod ids;
pub mod nul;
pub mod posts;
pub mod reactions;
pub mod roles;
pub mod status;
pub mod system;
pub mod teams;
pub mod users;
pub mod webhooks;
pub mod websocket;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Json;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rustmost_store::Page;
use serde::de::DeserializeOwned;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(system::router())
        .merge(config::router())
        .merge(users::router())
        .merge(roles::router())
        .merge(access_tokens::router())
        .merge(bots::router())
        .merge(audits::router())
        .merge(teams::router())
        .merge(channels::router())
        .merge(posts::router())
        .merge(reactions::router())
        .merge(status::router())
        .merge(websocket::router())
        .merge(commands::router())
        .merge(webhooks::router())
        .layer(axum::middleware::from_fn(nul::refuse_nul))
}

/// Decodes a JSON body as Go's `json.Decoder` would (a member of the wrong type is an error,
/// `null` is the zero value, unknown members are ignored); failure is 400
/// `api.context.invalid_body_param.app_error` naming `what`.
pub fn parse_body<T: DeserializeOwned>(body: &[u8], what: &str) -> ApiResult<T> {
    rustmost_model::json::from_slice(body)
        .map_err(|e| ApiError::invalid_param(what).detail(format!("{what}: {e}")))
}

/// Mattermost's `MapFromJSON`: any decode failure gives an empty map; non-string values are
/// dropped.
pub fn map_from_json(body: &[u8]) -> HashMap<String, String> {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let mut m = HashMap::new();
    if let serde_json::Value::Object(o) = v {
        for (k, v) in o {
            match v {
                serde_json::Value::String(s) => {
                    m.insert(k, s);
                }
                serde_json::Value::Bool(b) => {
                    m.insert(k, b.to_string());
                }
                _ => {}
            }
        }
    }
    m
}

/// `page`/`per_page` as Mattermost reads them: invalid or negative values fall back to the
/// defaults (0 and 60) and `per_page` is capped at 200.
pub fn paging(q: &HashMap<String, String>) -> Page {
    let page = q
        .get("page")
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|v| *v >= 0)
        .unwrap_or(0);
    let per_page = q
        .get("per_page")
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|v| *v >= 0)
        .unwrap_or(60);
    Page {
        page: page.min(i64::MAX / 1000),
        per_page: per_page.min(200),
    }
}

/// A query flag: Mattermost's `strconv.ParseBool` on the value.
pub fn flag(q: &HashMap<String, String>, name: &str) -> bool {
    q.get(name)
        .is_some_and(|v| matches!(v.as_str(), "1" | "t" | "T" | "true" | "TRUE" | "True"))
}

/// `{"status":"OK"}` with 200.
pub fn status_ok() -> Response {
    (StatusCode::OK, Json(serde_json::json!({"status": "OK"}))).into_response()
}

/// A JSON body with 200.
pub fn ok<T: serde::Serialize>(v: T) -> Response {
    (StatusCode::OK, Json(v)).into_response()
}

/// A JSON body with 201.
pub fn created<T: serde::Serialize>(v: T) -> Response {
    (StatusCode::CREATED, Json(v)).into_response()
}

/// Mattermost's `model.Etag`: the server version and the parts, dot-separated.
pub fn etag(parts: &[&dyn std::fmt::Display]) -> String {
    let mut e = crate::VERSION.to_string();
    for p in parts {
        e.push('.');
        e.push_str(&p.to_string());
    }
    e
}

/// Mattermost's `HandleEtag`: a 304 carrying the ETag when `If-None-Match` equals `etag`
/// exactly; `None` means answer normally (upstream then sends no ETag header).
pub fn handle_etag(headers: &axum::http::HeaderMap, etag: &str) -> Option<Response> {
    let sent = headers
        .get(axum::http::header::IF_NONE_MATCH)?
        .to_str()
        .ok()?;
    if sent != etag {
        return None;
    }
    let mut r = StatusCode::NOT_MODIFIED.into_response();
    r.headers_mut().insert(
        axum::http::header::ETAG,
        axum::http::HeaderValue::from_str(etag).ok()?,
    );
    Some(r)
}
