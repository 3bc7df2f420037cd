//! Personal access tokens as credentials: turning a presented secret into a session.

use crate::error::ApiResult;
use crate::state::{AppState, Session};
use std::sync::Arc;

/// Resolves a secret that is not a login session. Until access tokens exist every such secret is
/// refused with Mattermost's `app.user_access_token.invalid_or_missing`.
pub async fn session_for_token(
    _state: &AppState,
    _token: &str,
    _hash: String,
) -> ApiResult<Arc<Session>> {
    Err(
        crate::error::ApiError::unauthorized("app.user_access_token.invalid_or_missing")
            .detail("token not found"),
    )
}
