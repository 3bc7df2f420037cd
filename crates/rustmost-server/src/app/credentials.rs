//! The one credential resolver: a presented secret (a login session's token or a personal access
//! token, whether it came in a cookie, a header or the query string) becomes a live session, or a
//! refusal. Sessions and access tokens own their rows; only this module turns one into the other.

use crate::app::secrets::{PREFIX, hash_secret, is_well_formed};
use crate::app::{audits, sessions, users};
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Session};
use rustmost_model::{is_valid_id, new_id};
use rustmost_store::{SessionRow, StoreError};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Mattermost's `SessionUserAccessTokenExpiryHours`: 100 years.
const SESSION_LIFETIME_MS: i64 = 100 * 365 * 24 * 3_600_000;

const INVALID: &str = "app.user_access_token.invalid_or_missing";
const TOKENS_OFF: &str = "EnableUserAccessTokens=false";

/// Resolves a presented secret to a live session: the session cache, then the sessions table,
/// then the access tokens (the first use of a token mints its session). Refusals are 401; a
/// store failure is a 500.
pub async fn resolve(state: &AppState, token: &str) -> ApiResult<Arc<Session>> {
    if token.is_empty() || token.len() > 256 {
        return Err(invalid_token("empty or oversized token"));
    }
    if let Some(e) = reject_malformed(token) {
        return Err(e);
    }
    let hash = hash_secret(token);
    loop {
        if let Lookup::Found(s) = lookup_session(state, &hash).await? {
            return Ok(s);
        }
        match session_for_token(state, token, hash.clone()).await? {
            Minted::Session(s) => return Ok(s),
            // A concurrent first use of the same secret minted the session already: read it.
            Minted::Raced => continue,
        }
    }
}

/// What the sessions (cache, then table) hold for a secret's hash.
enum Lookup {
    Found(Arc<Session>),
    /// No live session: the secret may be an access token's.
    NotASession,
}

/// The outcome of minting a session for an access token.
enum Minted {
    Session(Arc<Session>),
    /// The insert met the session a concurrent first use had just written.
    Raced,
}

async fn lookup_session(state: &AppState, hash: &str) -> ApiResult<Lookup> {
    let now = state.clock.now_ms();
    if let Some(s) = state.sessions.get(hash) {
        if sessions::expired(state, &s, now) {
            state.sessions.remove_hash(hash);
            return drop_expired(state, &s).await;
        }
        return Ok(Lookup::Found(s));
    }
    // Noted before the read: a revocation that lands while the row is in flight must win.
    let epoch = state.sessions.epoch();
    match state.store.get_session_by_token_hash(hash).await {
        Ok(row) => {
            let s = Arc::new(sessions::from_row(row));
            if sessions::expired(state, &s, now) {
                return drop_expired(state, &s).await;
            }
            if s.is_access_token()
                && let Err(e) = check_token_session(state, &s).await
            {
                // A row that outlived its token (or its owner's activation) is never honoured.
                if e.status != axum::http::StatusCode::INTERNAL_SERVER_ERROR {
                    let _ = state.store.delete_session(&s.id).await;
                }
                return Err(e);
            }
            state.sessions.put_if_unchanged(s.clone(), epoch);
            Ok(Lookup::Found(s))
        }
        Err(StoreError::NotFound) => Ok(Lookup::NotASession),
        Err(e) => Err(ApiError::internal("app.session.get.app_error", e)),
    }
}

/// Whether `e` refused a live token only because personal access tokens are turned off.
pub fn is_tokens_off_refusal(e: &ApiError) -> bool {
    e.id == INVALID && e.detailed == TOKENS_OFF
}

/// Refuses, before any lookup, a value that claims to be one of our tokens but is damaged.
fn reject_malformed(token: &str) -> Option<ApiError> {
    if token.starts_with(PREFIX) && !is_well_formed(token) {
        return Some(
            ApiError::unauthorized(INVALID)
                .detail("malformed access token")
                .message(
                    "Invalid or expired session, please login again. The personal access token \
                     is malformed (wrong length or checksum): it was probably mistyped or cut \
                     short when copied.",
                ),
        );
    }
    None
}

/// Resolves a secret that is not a login session (`createSessionForUserAccessToken`): checks the
/// token and its owner, then persists and caches a session for it, so later requests with the
/// same secret are served from the cache.
async fn session_for_token(state: &AppState, token: &str, hash: String) -> ApiResult<Minted> {
    // Noted before the token is read, so a revocation racing this lookup keeps the cache clean.
    let epoch = state.sessions.epoch();
    let t = match state.store.get_token_by_hash(&hash).await {
        Ok(t) => t,
        Err(StoreError::NotFound) => return Err(not_a_token(state, token).await),
        Err(e) => return Err(ApiError::internal(INVALID, e)),
    };
    if !t.is_active {
        return Err(ApiError::unauthorized(INVALID).detail("inactive_token"));
    }
    let user = users::get_user(state, &t.user_id).await?;
    if !user.is_bot && !state.config.get().enable_user_access_tokens() {
        return Err(ApiError::unauthorized(INVALID).detail(TOKENS_OFF));
    }
    let now = state.clock.now_ms();
    if t.expires_at > 0 && now >= t.expires_at {
        audits::record_token_event(state, &t.user_id, "rejectExpiredUserAccessToken", &t.id).await;
        return Err(ApiError::unauthorized("app.user_access_token.expired")
            .detail(format!("token_id={}", t.id)));
    }
    if user.delete_at != 0 {
        return Err(ApiError::unauthorized(INVALID).detail(format!("inactive_user_id={}", user.id)));
    }
    let mut props = BTreeMap::new();
    props.insert("user_access_token_id".to_string(), t.id.clone());
    props.insert("type".to_string(), "UserAccessToken".to_string());
    props.insert("is_guest".to_string(), user.is_guest().to_string());
    if user.is_bot {
        props.insert("is_bot".to_string(), "true".to_string());
    }
    let mut expires_at = now + SESSION_LIFETIME_MS;
    if t.expires_at > 0 {
        expires_at = expires_at.min(t.expires_at);
    }
    let row = SessionRow {
        id: new_id(),
        token_hash: hash,
        create_at: now,
        expires_at,
        last_activity_at: now,
        user_id: user.id.clone(),
        device_id: String::new(),
        roles: user.roles.clone(),
        is_oauth: false,
        props,
    };
    match state.store.insert_session(&row).await {
        Ok(()) => {
            // The roles copied above may predate a role change that committed before the
            // insert; take them again from the user row now that the session row exists (a
            // later change updates the row itself).
            let mut row = row;
            row.roles = match state.store.refresh_session_roles(&row.id).await {
                Ok(r) => r,
                Err(StoreError::NotFound) => {
                    return Err(ApiError::unauthorized(INVALID).detail("session revoked"));
                }
                Err(e) => {
                    let _ = state.store.delete_session(&row.id).await;
                    return Err(ApiError::internal("app.session.save.app_error", e));
                }
            };
            let s = Arc::new(sessions::from_row(row));
            // The checks above ran before the insert: a revoke, disable, rotate or deactivation
            // committed in between deleted the sessions it could see, not this one. Look again
            // now that the row exists; anything later will find and delete it.
            if let Err(e) = check_token_session(state, &s).await {
                if let Err(de) = state.store.delete_session(&s.id).await {
                    tracing::error!(error = %de, "could not delete the session of a revoked token");
                }
                return Err(e);
            }
            state.sessions.put_if_unchanged(s.clone(), epoch);
            Ok(Minted::Session(s))
        }
        Err(StoreError::Conflict { .. }) => Ok(Minted::Raced),
        Err(e) => Err(ApiError::internal("app.session.save.app_error", e)),
    }
}

/// Whether the token a session was minted from is still the live credential it was: present
/// under the same secret, active, unexpired, and its owner active. Refusals are 401.
async fn check_token_session(state: &AppState, s: &Session) -> ApiResult<()> {
    let refuse = |why: &str| Err(ApiError::unauthorized(INVALID).detail(why.to_string()));
    let t = match state.store.get_token_by_hash(&s.token_hash).await {
        Ok(t) => t,
        Err(StoreError::NotFound) => return refuse("token revoked or rotated"),
        Err(e) => return Err(ApiError::internal(INVALID, e)),
    };
    if s.access_token_id.as_deref() != Some(t.id.as_str()) || t.user_id != s.user_id {
        return refuse("session does not match its token");
    }
    if !t.is_active {
        return refuse("inactive_token");
    }
    if t.expires_at > 0 && state.clock.now_ms() >= t.expires_at {
        return refuse("expired token");
    }
    match state.store.get_user(&s.user_id).await {
        Ok(u) if u.delete_at == 0 => Ok(()),
        Ok(u) => refuse(&format!("inactive_user_id={}", u.id)),
        Err(StoreError::NotFound) => refuse("token owner missing"),
        Err(e) => Err(ApiError::internal("app.user.get.app_error", e)),
    }
}

/// The refusal for a secret matching no token. Pasting a token's id instead of the token is the
/// most common mistake, so that case says so.
async fn not_a_token(state: &AppState, token: &str) -> ApiError {
    let err = ApiError::unauthorized(INVALID).detail("token not found");
    if is_valid_id(token) && state.store.get_token(token).await.is_ok() {
        return err.detail("token id presented").message(
            "Invalid or expired session, please login again. This value is the ID of a personal \
             access token, not the token itself: use the token secret that was shown once when \
             the token was created (it starts with \"rmpat_\").",
        );
    }
    err
}

/// Deletes an expired session. A login session is then refused; an access token's session is
/// re-derived from the token, which decides (and records an expired token's refusal).
async fn drop_expired(state: &AppState, s: &Session) -> ApiResult<Lookup> {
    let _ = state.store.delete_session(&s.id).await;
    if s.is_access_token() {
        return Ok(Lookup::NotASession);
    }
    Err(invalid_token("session expired"))
}

fn invalid_token(detail: &str) -> ApiError {
    ApiError::unauthorized("api.context.invalid_token.error").detail(detail.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::secrets::generate_secret;

    #[test]
    fn a_damaged_token_is_refused_before_any_lookup() {
        let a = generate_secret();
        let mut bytes = a.clone().into_bytes();
        let i = PREFIX.len() + 3;
        bytes[i] = if bytes[i] == b'a' { b'b' } else { b'a' };
        let typo = String::from_utf8(bytes).unwrap();
        assert!(reject_malformed(&typo).is_some());
        assert!(reject_malformed(&a).is_none());
        // Not ours at all: left to the normal lookup.
        assert!(reject_malformed(&new_id()).is_none());
    }
}
