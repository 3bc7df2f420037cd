//! `/api/v4/users/{user_id}/audits`, and `RequestInfo`, the path and client address a handler
//! needs to write an audit record.

use crate::api::v4::ids::UserIdOrMe;
use crate::api::v4::{ok, paging};
use crate::app::audits;
use crate::auth::AuthSession;
use crate::error::ApiResult;
use crate::state::{AppState, Session};
use axum::Router;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::get;
use std::collections::HashMap;
use std::convert::Infallible;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v4/users/{user_id}/audits", get(get_user_audits))
}

/// The request's path and client address, for audit records.
pub struct RequestInfo {
    pub path: String,
    pub ip: String,
}

impl FromRequestParts<AppState> for RequestInfo {
    type Rejection = Infallible;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        Ok(RequestInfo {
            path: parts.uri.path().to_string(),
            ip: crate::auth::request_ip(parts, state),
        })
    }
}

impl RequestInfo {
    /// Mattermost's `LogAudit`: a record for the session's user.
    pub async fn log(&self, state: &AppState, s: &Session, extra_info: &str) {
        audits::record(
            state,
            audits::Entry {
                user_id: &s.user_id,
                action: &self.path,
                extra_info,
                ip: &self.ip,
                session_id: &s.id,
            },
        )
        .await;
    }
}

/// # `GET /api/v4/users/{user_id}/audits`
/// The user's audit records, newest first (`page`, `per_page` default 60, max 200); oneself or
/// `edit_other_users`. Records belong to the acting user, as in Mattermost.
async fn get_user_audits(
    State(state): State<AppState>,
    s: AuthSession,
    UserIdOrMe(id): UserIdOrMe,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    Ok(ok(
        audits::get_user_audits(&state, &s, &id, paging(&q)).await?
    ))
}
