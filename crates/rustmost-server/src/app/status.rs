//! User status (`online`, `away`, `dnd`, `offline`): the one service behind the status
//! endpoints, the WebSocket's `get_statuses*` actions and `user_update_active_status`, the
//! `/away`, `/online`, `/dnd`, `/offline` commands and the connection-driven changes. Stored in
//! the `status` table; a user without a row is `offline`. As upstream (`platform/status.go`), a
//! status set by hand (`manual`) wins over the automatic ones until the user changes it again,
//! and each change is announced to the user alone with `status_change`.

use crate::app::authz;
use crate::error::{ApiError, ApiResult, StoreResultExt};
use crate::state::{AppState, Session};
use rustmost_model::command::{STATUS_AWAY, STATUS_DND, STATUS_OFFLINE, STATUS_ONLINE, Status};

/// How often an unchanged `online` refreshes its stored activity time.
const ACTIVITY_WRITE_EVERY_MS: i64 = 60_000;

fn offline(user_id: &str) -> Status {
    Status {
        user_id: user_id.to_string(),
        status: STATUS_OFFLINE.into(),
        manual: false,
        last_activity_at: 0,
    }
}

/// The stored status row, if the user has one.
async fn stored(state: &AppState, user_id: &str) -> ApiResult<Option<Status>> {
    state
        .store
        .get_status(user_id)
        .await
        .optional("app.status.get.app_error")
}

/// The user's status (`offline` when none is stored).
pub async fn get(state: &AppState, user_id: &str) -> ApiResult<Status> {
    Ok(stored(state, user_id)
        .await?
        .unwrap_or_else(|| offline(user_id)))
}

/// `GetUserStatusesByIds`: one status per id, in order, `offline` for users without one.
pub async fn get_many(state: &AppState, user_ids: &[String]) -> ApiResult<Vec<Status>> {
    let stored = state
        .store
        .get_statuses(user_ids)
        .await
        .or_internal("app.status.get.app_error")?;
    Ok(user_ids
        .iter()
        .map(|id| {
            stored
                .iter()
                .find(|s| s.user_id == *id)
                .cloned()
                .unwrap_or_else(|| offline(id))
        })
        .collect())
}

/// Every status other than `offline` (the WebSocket's `get_statuses`), at most 10,000.
pub async fn all_not_offline(state: &AppState) -> ApiResult<Vec<Status>> {
    state
        .store
        .list_statuses_not_offline(10_000)
        .await
        .or_internal("app.status.get.app_error")
}

/// Stores the status and announces it to the user; `quiet_for` is a connection that needs no
/// telling (the one whose opening or closing caused the change). An automatic change (not
/// `by_hand`) is written only if no status set by hand is stored by then (one statement, so a
/// concurrent manual change always wins).
async fn save_and_broadcast(
    state: &AppState,
    s: &Status,
    by_hand: bool,
    quiet_for: Option<&str>,
) -> ApiResult<()> {
    if !save(state, s, by_hand).await? {
        return Ok(());
    }
    let mut e = crate::realtime::events::status_change(&s.user_id, &s.status);
    if let Some(conn) = quiet_for {
        e.broadcast.omit_connection_id = conn.to_string();
    }
    state.events.publish(e);
    Ok(())
}

/// Writes the status (an automatic change only over an automatic status); whether it was.
async fn save(state: &AppState, s: &Status, by_hand: bool) -> ApiResult<bool> {
    if by_hand {
        state
            .store
            .save_status(s)
            .await
            .or_internal("app.status.save.app_error")?;
        return Ok(true);
    }
    state
        .store
        .save_status_unless_manual(s)
        .await
        .or_internal("app.status.save.app_error")
}

/// `SetStatusOnline`: not over a manual status unless `manual`; `online` is never manual.
/// Announced only when the status changes.
pub async fn set_online(state: &AppState, user_id: &str, manual: bool) -> ApiResult<()> {
    online(state, user_id, manual, None).await
}

async fn online(
    state: &AppState,
    user_id: &str,
    manual: bool,
    quiet_for: Option<&str>,
) -> ApiResult<()> {
    let now = state.clock.now_ms();
    let old = stored(state, user_id).await?;
    if let Some(old) = &old {
        if old.manual && !manual {
            return Ok(());
        }
        if old.status == STATUS_ONLINE
            && !old.manual
            && now - old.last_activity_at < ACTIVITY_WRITE_EVERY_MS
        {
            return Ok(());
        }
    }
    let s = Status {
        user_id: user_id.to_string(),
        status: STATUS_ONLINE.into(),
        manual: false,
        last_activity_at: now,
    };
    if old.is_some_and(|o| o.status == STATUS_ONLINE) {
        return save(state, &s, manual).await.map(|_| ());
    }
    save_and_broadcast(state, &s, manual, quiet_for).await
}

/// `SetStatusOffline`: not over a manual status unless `manual`.
pub async fn set_offline(state: &AppState, user_id: &str, manual: bool) -> ApiResult<()> {
    offline_status(state, user_id, manual, None).await
}

async fn offline_status(
    state: &AppState,
    user_id: &str,
    manual: bool,
    quiet_for: Option<&str>,
) -> ApiResult<()> {
    let old = stored(state, user_id).await?;
    if old.is_some_and(|o| o.manual && !manual) {
        return Ok(());
    }
    let s = Status {
        user_id: user_id.to_string(),
        status: STATUS_OFFLINE.into(),
        manual,
        last_activity_at: state.clock.now_ms(),
    };
    save_and_broadcast(state, &s, manual, quiet_for).await
}

/// `SetStatusAwayIfNeeded`: by hand always; automatically only for an `online` user idle
/// longer than `UserStatusAwayTimeout` (300 s by default) and never over a manual status.
pub async fn set_away_if_needed(state: &AppState, user_id: &str, manual: bool) -> ApiResult<()> {
    let mut s = stored(state, user_id)
        .await?
        .unwrap_or_else(|| offline(user_id));
    if !manual {
        if s.manual || s.status == STATUS_AWAY {
            return Ok(());
        }
        let timeout = match state
            .config
            .get()
            .i64("/TeamSettings/UserStatusAwayTimeout")
        {
            t if t > 0 => t,
            _ => 300,
        };
        if state.clock.now_ms() - s.last_activity_at < timeout * 1000 {
            return Ok(());
        }
    }
    s.status = STATUS_AWAY.into();
    s.manual = manual;
    save_and_broadcast(state, &s, manual, None).await
}

/// `SetStatusDoNotDisturb`: always by hand.
pub async fn set_dnd(state: &AppState, user_id: &str) -> ApiResult<()> {
    let mut s = get(state, user_id).await?;
    s.status = STATUS_DND.into();
    s.manual = true;
    save_and_broadcast(state, &s, true, None).await
}

/// Activity of the user (a channel viewed): online unless a status set by hand says
/// otherwise. A failure is logged; the activity itself goes on.
pub async fn mark_active(state: &AppState, user_id: &str) {
    if let Err(e) = set_online(state, user_id, false).await {
        tracing::warn!(error = ?e.detailed, "could not set the status online");
    }
}

/// The WebSocket `conn_id` of the user was registered or resumed: the user is online. That
/// socket is not told (it knows); the user's other sockets are.
pub async fn connected(state: &AppState, user_id: &str, conn_id: &str) {
    if let Err(e) = online(state, user_id, false, Some(conn_id)).await {
        tracing::warn!(error = ?e.detailed, "could not set the status online");
    }
}

/// The WebSocket `conn_id` of the user closed: offline once no socket of theirs is left on
/// this node. The closed connection, kept for a resume, is not told.
pub async fn disconnected(state: &AppState, user_id: &str, conn_id: &str) {
    if state.events.hub.online_users().contains(user_id) {
        return;
    }
    if let Err(e) = offline_status(state, user_id, false, Some(conn_id)).await {
        tracing::warn!(error = ?e.detailed, "could not set the status offline");
    }
}

/// The body of `PUT /users/{user_id}/status`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct StatusUpdate {
    pub user_id: String,
    pub status: String,
}

/// `updateUserStatus`: the body's `user_id` must be the path's; oneself or
/// `edit_other_users`; `online`, `offline` and `away` by hand, or `dnd`. Answers the new
/// status.
pub async fn update_user_status(
    state: &AppState,
    s: &Session,
    user_id: &str,
    req: StatusUpdate,
) -> ApiResult<Status> {
    if req.user_id != user_id {
        return Err(ApiError::invalid_param("user_id"));
    }
    authz::require_permission_to_user(state, s, user_id).await?;
    match req.status.as_str() {
        STATUS_ONLINE => set_online(state, user_id, true).await?,
        STATUS_OFFLINE => set_offline(state, user_id, true).await?,
        STATUS_AWAY => set_away_if_needed(state, user_id, true).await?,
        STATUS_DND => set_dnd(state, user_id).await?,
        _ => return Err(ApiError::invalid_param("status")),
    }
    get(state, user_id).await
}
