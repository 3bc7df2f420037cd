//! The one permission check: does any role of the session grant a permission.

use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Session};

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

/// Mattermost's `SessionHasPermissionToUser`: oneself, or `edit_other_users`.
pub fn has_permission_to_user(state: &AppState, s: &Session, user_id: &str) -> bool {
    s.user_id == user_id || has(state, s, EDIT_OTHER_USERS)
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
