//! Login sessions: creation, activity, expiry, revocation, and the row to session mapping.
//! Resolving a presented secret to a session is `credentials`.

use crate::app::secrets::hash_secret;
use crate::cluster::Invalidation;
use crate::error::{ApiError, ApiResult, StoreResultExt};
use crate::state::{AppState, Session};
use rustmost_model::new_id;
use rustmost_store::{SessionRow, StoreError};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// How often `last_activity_at` is written back: Mattermost's five minutes.
const ACTIVITY_WRITE_MS: i64 = 5 * 60 * 1000;

pub fn from_row(r: SessionRow) -> Session {
    Session {
        is_bot: r.props.get("is_bot").is_some_and(|v| v == "true"),
        access_token_id: r.props.get("user_access_token_id").cloned(),
        id: r.id,
        token_hash: r.token_hash,
        user_id: r.user_id,
        roles: parking_lot::RwLock::new(r.roles),
        create_at: r.create_at,
        expires_at: r.expires_at,
        last_activity_at: AtomicI64::new(r.last_activity_at),
        device_id: r.device_id,
        is_oauth: r.is_oauth,
        props: r.props,
        last_used_written: AtomicI64::new(0),
    }
}

/// Whether a session is past its expiry, or (a login session on the web) idle too long.
pub(crate) fn expired(state: &AppState, s: &Session, now: i64) -> bool {
    if s.expires_at != 0 && s.expires_at < now {
        return true;
    }
    if s.is_access_token() || !s.device_id.is_empty() {
        return false;
    }
    let idle = state
        .config
        .get()
        .i64("/ServiceSettings/SessionIdleTimeoutInMinutes");
    idle > 0 && s.last_activity() + idle * 60_000 < now
}

/// Records activity at most every five minutes, off the request path.
pub fn touch(state: &AppState, s: &Arc<Session>) {
    let now = state.clock.now_ms();
    let last = s.last_activity();
    if now - last < ACTIVITY_WRITE_MS || s.is_access_token() {
        return;
    }
    if s.last_activity_at
        .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
        .is_ok()
    {
        let store = state.store.clone();
        let id = s.id.clone();
        tokio::spawn(async move {
            if let Err(e) = store.touch_session(&id, now).await {
                tracing::warn!(error = %e, "could not record session activity");
            }
        });
    }
}

/// Mattermost's `maxSessionsLimit`: creating a session beyond this many for one user first
/// revokes their least recently used ones.
pub const MAX_SESSIONS_PER_USER: i64 = 500;

/// A new login session for `user_id`; returns the session and its secret. `roles` is what the
/// caller read; the session ends up with the user's roles as they are once the row exists, and
/// is refused (and deleted) if the account was deactivated in the meantime.
pub async fn create_login_session(
    state: &AppState,
    user_id: &str,
    roles: &str,
    device_id: &str,
    mut props: BTreeMap<String, String>,
) -> ApiResult<(Arc<Session>, String)> {
    let cfg = state.config.get();
    let hours = if device_id.is_empty() {
        cfg.i64("/ServiceSettings/SessionLengthWebInHours")
    } else {
        cfg.i64("/ServiceSettings/SessionLengthMobileInHours")
    };
    limit_sessions(state, user_id).await?;
    let now = state.clock.now_ms();
    let secret = new_id();
    props.insert("csrf".into(), new_id());
    // A revoke-all or role change for the user that runs while the row is written must not be
    // undone below.
    let epoch = state.sessions.epoch();
    let mut row = SessionRow {
        id: new_id(),
        token_hash: hash_secret(&secret),
        create_at: now,
        expires_at: now + hours.max(1) * 3_600_000,
        last_activity_at: now,
        user_id: user_id.to_string(),
        device_id: device_id.to_string(),
        roles: roles.to_string(),
        is_oauth: false,
        props,
    };
    state
        .store
        .insert_session(&row)
        .await
        .or_internal("app.session.save.app_error")?;
    // `roles` was read before the insert (and, for a login, before tens of milliseconds of
    // password hashing): a demotion or deactivation that committed in between updated or
    // deleted the sessions it could see, not this one. Look again now that the row exists;
    // anything later finds it.
    let refused = || ApiError::unauthorized("api.user.login.inactive.app_error");
    match state.store.refresh_session_roles(&row.id).await {
        Ok(r) => row.roles = r,
        Err(StoreError::NotFound) => return Err(refused()),
        Err(e) => {
            let _ = state.store.delete_session(&row.id).await;
            return Err(ApiError::internal("app.session.save.app_error", e));
        }
    }
    match state.store.get_user(user_id).await {
        Ok(u) if u.delete_at == 0 => {}
        Ok(_) | Err(StoreError::NotFound) => {
            let _ = state.store.delete_session(&row.id).await;
            return Err(refused());
        }
        Err(e) => {
            let _ = state.store.delete_session(&row.id).await;
            return Err(ApiError::internal("app.user.get.app_error", e));
        }
    }
    let s = Arc::new(from_row(row));
    state.sessions.put_if_unchanged(s.clone(), epoch);
    Ok((s, secret))
}

/// Upstream's `limitNumberOfSessions`: makes room for one more session under
/// [`MAX_SESSIONS_PER_USER`] by revoking the least recently used.
async fn limit_sessions(state: &AppState, user_id: &str) -> ApiResult<()> {
    let gone = state
        .store
        .delete_lru_sessions_for_user(user_id, MAX_SESSIONS_PER_USER - 1)
        .await
        .or_internal("app.session.save.app_error")?;
    if !gone.is_empty() {
        tracing::debug!(%user_id, count = gone.len(), "sessions over the per-user limit revoked");
        state.invalidate(Invalidation::SessionIds(gone)).await;
    }
    Ok(())
}

/// Persists a session minted elsewhere (e.g. from an access token) and caches it.
pub async fn save_session(state: &AppState, row: SessionRow) -> ApiResult<Arc<Session>> {
    let epoch = state.sessions.epoch();
    state
        .store
        .insert_session(&row)
        .await
        .or_internal("app.session.save.app_error")?;
    let s = Arc::new(from_row(row));
    state.sessions.put_if_unchanged(s.clone(), epoch);
    Ok(s)
}

/// Deletes one session (database and cache).
pub async fn revoke_session(state: &AppState, session_id: &str) -> ApiResult<()> {
    state
        .store
        .delete_session(session_id)
        .await
        .or_internal("app.session.remove.app_error")?;
    state
        .invalidate(Invalidation::SessionIds(vec![session_id.to_string()]))
        .await;
    Ok(())
}

/// Deletes every session of a user except `keep`.
pub async fn revoke_all_for_user(
    state: &AppState,
    user_id: &str,
    keep: Option<&str>,
) -> ApiResult<()> {
    state
        .store
        .delete_sessions_for_user(user_id, keep)
        .await
        .or_internal("app.session.remove_all_sessions_for_team.app_error")?;
    state
        .invalidate(Invalidation::UserSessions {
            user_id: user_id.to_string(),
            keep: keep.map(str::to_string),
        })
        .await;
    Ok(())
}

/// The wire form of a session for `GET /users/{id}/sessions`: secret blanked.
pub fn to_wire(r: &SessionRow) -> rustmost_model::session::Session {
    rustmost_model::session::Session {
        id: r.id.clone(),
        token: String::new(),
        create_at: r.create_at,
        expires_at: r.expires_at,
        last_activity_at: r.last_activity_at,
        user_id: r.user_id.clone(),
        device_id: r.device_id.clone(),
        roles: r.roles.clone(),
        is_oauth: r.is_oauth,
        expired_notify: false,
        props: r
            .props
            .iter()
            .filter(|(k, _)| *k != "csrf")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        team_members: Vec::new(),
        local: false,
    }
}
