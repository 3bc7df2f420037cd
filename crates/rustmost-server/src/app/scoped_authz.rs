//! Team- and channel-scoped permission checks (`SessionHasPermissionToTeam`,
//! `SessionHasPermissionToChannel`, `...ByPost`): system roles first, then the roles of the
//! caller's membership, then (for channels) the roles of the team the channel belongs to.

use crate::app::authz;
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Session};

/// The roles of the user's active membership of the team, if any.
pub async fn team_roles(state: &AppState, team_id: &str, user_id: &str) -> Option<String> {
    match state.store.get_team_member(team_id, user_id).await {
        Ok(m) if m.delete_at == 0 => Some(m.roles),
        _ => None,
    }
}

/// Whether the session may use `perm` in the team.
pub async fn has_team(state: &AppState, s: &Session, team_id: &str, perm: &str) -> bool {
    if authz::has(state, s, perm) {
        return true;
    }
    team_roles(state, team_id, &s.user_id)
        .await
        .is_some_and(|r| state.roles.grants(&r, perm))
}

/// `perm` in the team, or 403 naming it.
pub async fn require_team(
    state: &AppState,
    s: &Session,
    team_id: &str,
    perm: &str,
) -> ApiResult<()> {
    if has_team(state, s, team_id, perm).await {
        Ok(())
    } else {
        Err(ApiError::permission(&s.user_id, &[perm]))
    }
}

/// Whether the session may use `perm` in the channel.
pub async fn has_channel(state: &AppState, s: &Session, channel_id: &str, perm: &str) -> bool {
    if authz::has(state, s, perm) {
        return true;
    }
    if let Ok(m) = state.store.get_channel_member(channel_id, &s.user_id).await
        && state.roles.grants(&m.roles, perm)
    {
        return true;
    }
    match state.store.get_channel(channel_id).await {
        Ok(c) if !c.team_id.is_empty() => has_team(state, s, &c.team_id, perm).await,
        _ => false,
    }
}

/// `perm` in the channel, or 403 naming it.
pub async fn require_channel(
    state: &AppState,
    s: &Session,
    channel_id: &str,
    perm: &str,
) -> ApiResult<()> {
    if has_channel(state, s, channel_id, perm).await {
        Ok(())
    } else {
        Err(ApiError::permission(&s.user_id, &[perm]))
    }
}

/// `perm` in the channel of the post; an unknown post leaves only the system roles.
pub async fn has_channel_by_post(state: &AppState, s: &Session, post_id: &str, perm: &str) -> bool {
    if authz::has(state, s, perm) {
        return true;
    }
    match state.store.get_post(post_id).await {
        Ok(p) => has_channel(state, s, &p.channel_id, perm).await,
        Err(_) => false,
    }
}

/// `SessionHasPermissionToReadChannel`: `read_channel_content` in the channel, or, for a public
/// channel, `read_public_channel` in its team (a team member reads channels they have not
/// joined).
pub async fn has_read_channel(
    state: &AppState,
    s: &Session,
    c: &rustmost_model::channel::Channel,
) -> bool {
    if has_channel(state, s, &c.id, "read_channel_content").await {
        return true;
    }
    c.is_open() && has_team(state, s, &c.team_id, "read_public_channel").await
}
