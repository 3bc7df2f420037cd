//! Team- and channel-scoped permission checks (`SessionHasPermissionToTeam`,
//! `SessionHasPermissionToChannel`, `...ByPost`): system roles first, then the roles of the
//! caller's membership, then (for channels) the roles of the team the channel belongs to.
//!
//! A store failure is an error (500), never "no permission": an outage must not read as a 403.

use crate::app::authz;
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Session};
use rustmost_model::Permission;
use rustmost_model::channel::Channel;
use rustmost_store::StoreError;

/// The roles of the user's active membership of the team, if any.
pub async fn team_roles(
    state: &AppState,
    team_id: &str,
    user_id: &str,
) -> ApiResult<Option<String>> {
    match state.store.get_team_member(team_id, user_id).await {
        Ok(m) if m.delete_at == 0 => Ok(Some(m.roles)),
        Ok(_) | Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(ApiError::internal("app.team.get_member.app_error", e)),
    }
}

/// Whether the session may use `perm` in the team.
pub async fn has_team(
    state: &AppState,
    s: &Session,
    team_id: &str,
    perm: Permission,
) -> ApiResult<bool> {
    if authz::has(state, s, perm) {
        return Ok(true);
    }
    Ok(team_roles(state, team_id, &s.user_id)
        .await?
        .is_some_and(|r| state.roles.grants(&r, perm.as_str())))
}

/// `perm` in the team, or 403 naming it.
pub async fn require_team(
    state: &AppState,
    s: &Session,
    team_id: &str,
    perm: Permission,
) -> ApiResult<()> {
    authz::granted_or_403(has_team(state, s, team_id, perm).await?, s, perm)
}

/// Whether the session may use `perm` in the channel.
pub async fn has_channel(
    state: &AppState,
    s: &Session,
    channel_id: &str,
    perm: Permission,
) -> ApiResult<bool> {
    if authz::has(state, s, perm) {
        return Ok(true);
    }
    match state.store.get_channel_member(channel_id, &s.user_id).await {
        Ok(m) if state.roles.grants(&m.roles, perm.as_str()) => return Ok(true),
        Ok(_) | Err(StoreError::NotFound) => {}
        Err(e) => return Err(ApiError::internal("app.channel.get_member.app_error", e)),
    }
    match state.store.get_channel(channel_id).await {
        Ok(c) if !c.team_id.is_empty() => has_team(state, s, &c.team_id, perm).await,
        Ok(_) | Err(StoreError::NotFound) => Ok(false),
        Err(e) => Err(ApiError::internal("app.channel.get.find.app_error", e)),
    }
}

/// `perm` in the channel, or 403 naming it.
pub async fn require_channel(
    state: &AppState,
    s: &Session,
    channel_id: &str,
    perm: Permission,
) -> ApiResult<()> {
    authz::granted_or_403(has_channel(state, s, channel_id, perm).await?, s, perm)
}

/// `perm` in the channel of the post; an unknown post leaves only the system roles.
pub async fn has_channel_by_post(
    state: &AppState,
    s: &Session,
    post_id: &str,
    perm: Permission,
) -> ApiResult<bool> {
    if authz::has(state, s, perm) {
        return Ok(true);
    }
    Ok(post_and_permission(state, s, post_id, perm).await?.1)
}

/// The post, if it exists, and whether the session has `perm` in its channel (an unknown post
/// leaves only the system roles): for a caller that goes on to use the post it checked.
pub async fn post_and_permission(
    state: &AppState,
    s: &Session,
    post_id: &str,
    perm: Permission,
) -> ApiResult<(Option<rustmost_model::post::Post>, bool)> {
    let post = match state.store.get_post(post_id).await {
        Ok(p) => Some(p),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(ApiError::internal("app.post.get.app_error", e)),
    };
    let allowed = authz::has(state, s, perm)
        || match &post {
            Some(p) => has_channel(state, s, &p.channel_id, perm).await?,
            None => false,
        };
    Ok((post, allowed))
}

/// `SessionHasPermissionToReadChannel`: `read_channel_content` in the channel, or, for a public
/// channel, `read_public_channel` in its team (a team member reads channels they have not
/// joined).
pub async fn has_read_channel(state: &AppState, s: &Session, c: &Channel) -> ApiResult<bool> {
    if has_channel(state, s, &c.id, Permission::ReadChannelContent).await? {
        return Ok(true);
    }
    Ok(c.is_open() && has_team(state, s, &c.team_id, Permission::ReadPublicChannel).await?)
}
