//! The system-level permission checks: does any role of the session grant a permission, and may
//! the session act on a given user.

use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Session};
use rustmost_store::StoreError;

pub const MANAGE_SYSTEM: &str = "manage_system";
pub const EDIT_OTHER_USERS: &str = "edit_other_users";
pub const MANAGE_ROLES: &str = "manage_roles";

/// Whether the session's system roles grant `perm`.
pub fn has(state: &AppState, s: &Session, perm: &str) -> bool {
    state.roles.grants(&s.roles(), perm)
}

/// `perm` or 403 `api.context.permissions.app_error` naming it.
pub fn require(state: &AppState, s: &Session, perm: &str) -> ApiResult<()> {
    if has(state, s, perm) {
        Ok(())
    } else {
        Err(ApiError::permission(&s.user_id, &[perm]))
    }
}

/// Any one of `perms`, else 403 naming them all.
pub fn require_any(state: &AppState, s: &Session, perms: &[&str]) -> ApiResult<()> {
    if perms.iter().any(|p| has(state, s, p)) {
        Ok(())
    } else {
        Err(ApiError::permission(&s.user_id, perms))
    }
}

/// Mattermost's `SessionHasPermissionToUser`: `manage_system` may act on anyone, anyone on
/// themselves; `edit_other_users` reaches other accounts except system admins (so a user
/// manager cannot take over an admin's account or tokens). An unknown target is refused.
pub async fn has_permission_to_user(
    state: &AppState,
    s: &Session,
    user_id: &str,
) -> ApiResult<bool> {
    if user_id.is_empty() {
        return Ok(false);
    }
    if has(state, s, MANAGE_SYSTEM) || s.user_id == user_id {
        return Ok(true);
    }
    if !has(state, s, EDIT_OTHER_USERS) {
        return Ok(false);
    }
    match state.store.get_user(user_id).await {
        Ok(u) => Ok(!u.roles.split_whitespace().any(|r| r == "system_admin")),
        Err(StoreError::NotFound) => Ok(false),
        Err(e) => Err(ApiError::internal("app.user.get.app_error", e)),
    }
}

/// [`has_permission_to_user`] or 403 naming `edit_other_users`, as upstream handlers answer.
pub async fn require_permission_to_user(
    state: &AppState,
    s: &Session,
    user_id: &str,
) -> ApiResult<()> {
    if has_permission_to_user(state, s, user_id).await? {
        Ok(())
    } else {
        Err(ApiError::permission(&s.user_id, &[EDIT_OTHER_USERS]))
    }
}

pub fn is_system_admin(state: &AppState, s: &Session) -> bool {
    has(state, s, MANAGE_SYSTEM)
}

/// Every `sysconsole_read_*` permission a role could carry, from the admin role's list.
pub fn sysconsole_read_permissions(state: &AppState) -> Vec<String> {
    state
        .roles
        .get("system_admin")
        .map(|r| {
            r.permissions
                .into_iter()
                .filter(|p| p.starts_with("sysconsole_read_"))
                .collect()
        })
        .unwrap_or_default()
}

/// Every `sysconsole_write_*` permission.
pub fn sysconsole_write_permissions(state: &AppState) -> Vec<String> {
    state
        .roles
        .get("system_admin")
        .map(|r| {
            r.permissions
                .into_iter()
                .filter(|p| p.starts_with("sysconsole_write_"))
                .collect()
        })
        .unwrap_or_default()
}
