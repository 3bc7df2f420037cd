//! `GET /api/v4/websocket`: the upgrade to Mattermost's WebSocket API (authentication at the
//! upgrade, origin check, resume parameters); the socket itself lives in `crate::realtime`.

use crate::auth::{self, MaybeSession};
use crate::error::ApiError;
use crate::realtime::conn::{self, ResumeRequest};
use crate::state::AppState;
use axum::Router;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v4/websocket", get(connect))
        .route("/api/v4/websocket/", get(connect))
}

/// # `GET /api/v4/websocket[?connection_id=&sequence_number=]`
/// Upgrades to a WebSocket. A valid `MMAUTHTOKEN` cookie or `Authorization: Bearer|Token`
/// authenticates it at once (`hello` first); an invalid one is ignored and the socket must send
/// `authentication_challenge` within 5 s. A token in `?access_token=` is 401. A present
/// `Origin` must match `AllowCorsFrom` or the site URL (`null` is 403).
async fn connect(State(state): State<AppState>, req: Request) -> Result<Response, ApiError> {
    let (mut parts, _) = req.into_parts();
    if !origin_allowed(&parts, &state) {
        return Ok((StatusCode::FORBIDDEN, "Forbidden\n").into_response());
    }
    let MaybeSession(session) = MaybeSession::from_request_parts(&mut parts, &state).await?;
    let auth = match session {
        Some(s) if conn::allowed(&state, &s) => {
            auth::parse_auth_token(&parts).map(|(token, _)| (token, s))
        }
        _ => None,
    };
    let resume = resume_request(parts.uri.query().unwrap_or(""));
    let ws = WebSocketUpgrade::from_request_parts(&mut parts, &state)
        .await
        .map_err(|e| {
            ApiError::bad_request("api.web_socket.connect.upgrade.app_error").detail(e.to_string())
        })?;
    Ok(ws
        // tungstenite zero-fills its whole read buffer (128 KiB by default) up front: with
        // client frames of at most 8 KiB, 4 KiB chunks keep an idle connection small.
        .read_buffer_size(4 * 1024)
        .max_message_size(conn::MAX_CLIENT_FRAME)
        .max_frame_size(conn::MAX_CLIENT_FRAME)
        .on_upgrade(move |socket| conn::run(state, socket, auth, resume)))
}

fn resume_request(query: &str) -> ResumeRequest {
    let mut id = None;
    let mut seq = None;
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("connection_id", v)) if !v.is_empty() => id = Some(v.to_string()),
            Some(("sequence_number", v)) => seq = Some(v.parse::<u64>().ok()),
            _ => {}
        }
    }
    match (id, seq) {
        (None, _) => ResumeRequest::None,
        (Some(id), Some(Some(n))) if rustmost_model::is_valid_id(&id) => ResumeRequest::At(id, n),
        _ => ResumeRequest::Bad,
    }
}

/// Upstream's `OriginChecker`: no `Origin` is fine; `null` never is; otherwise it must be in
/// `AllowCorsFrom` (`*` allows all) or have the scheme and host of `SiteURL` (or of the
/// request's `Host` when no site URL is set).
fn origin_allowed(parts: &Parts, state: &AppState) -> bool {
    let Some(origin) = parts
        .headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    else {
        return parts.headers.get(header::ORIGIN).is_none();
    };
    if origin == "null" {
        return false;
    }
    let cfg = state.config.get();
    let cors = cfg.str("/ServiceSettings/AllowCorsFrom");
    if cors
        .split_whitespace()
        .any(|a| a == "*" || a.eq_ignore_ascii_case(origin))
    {
        return true;
    }
    let site = cfg.str("/ServiceSettings/SiteURL").trim_end_matches('/');
    let origin = origin.trim_end_matches('/');
    if !site.is_empty() {
        let site_origin = match site.find("://") {
            Some(i) => match site[i + 3..].find('/') {
                Some(j) => &site[..i + 3 + j],
                None => site,
            },
            None => site,
        };
        return origin.eq_ignore_ascii_case(site_origin);
    }
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    origin
        .split_once("://")
        .is_some_and(|(_, h)| h.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_parameters() {
        assert!(matches!(resume_request(""), ResumeRequest::None));
        let id = rustmost_model::new_id();
        assert!(matches!(
            resume_request(&format!("connection_id={id}&sequence_number=4")),
            ResumeRequest::At(i, 4) if i == id
        ));
        assert!(matches!(
            resume_request(&format!("connection_id={id}")),
            ResumeRequest::Bad
        ));
        assert!(matches!(
            resume_request(&format!("connection_id={id}&sequence_number=x")),
            ResumeRequest::Bad
        ));
        assert!(matches!(
            resume_request("connection_id=&sequence_number=0"),
            ResumeRequest::None
        ));
    }
}
