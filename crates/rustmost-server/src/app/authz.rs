//! The system-level permission checks: does any role of the session grant a permission, and may
//! the session act on a given user.

use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Session};
use rustmost_model::Permission;
use rustmost_store::StoreError;

/// Whether the session's system roles grant `perm`.
pub fn has(state: &AppState, s: &Session, perm: Permission) -> bool {
    state.roles.grants(&s.roles(), perm.as_str())
}

/// `perm` or 403 `api.context.permissions.app_error` naming it.
pub fn require(state: &AppState, s: &Session, perm: Permission) -> ApiResult<()> {
    granted_or_403(has(state, s, perm), s, perm)
}

/// `Ok` when a check of `perm` passed, else 403 `api.context.permissions.app_error` naming it:
/// the one refusal of the system, team and channel `require` checks.
pub fn granted_or_403(granted: bool, s: &Session, perm: Permission) -> ApiResult<()> {
    if granted {
        Ok(())
    } else {
        Err(ApiError::permission(&s.user_id, &[perm]))
    }
}

/// Any one of `perms`, else 403 naming them all.
pub fn require_any(state: &AppState, s: &Session, perms: &[Permission]) -> ApiResult<()> {
    if perms.iter().any(|p| has(state, s, *p)) {
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
    if has(state, s, Permission::ManageSystem) || s.user_id == user_id {
        return Ok(true);
    }
    if !has(state, s, Permission::EditOtherUsers) {
        return Ok(false);
    }
    match state.store.get_user(user_id).await {
        Ok(u) => Ok(!u.is_system_admin()),
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
        Err(ApiError::permission(
            &s.user_id,
            &[Permission::EditOtherUsers],
        ))
    }
}

pub fn is_system_admin(state: &AppState, s: &Session) -> bool {
    has(state, s, Permission::ManageSystem)
}

/// Every `sysconsole_read_*` permission a role could carry, from the admin role's list.
pub fn sysconsole_read_permissions(state: &AppState) -> Vec<Permission> {
    admin_permissions_with_prefix(state, "sysconsole_read_")
}

/// Every `sysconsole_write_*` permission.
pub fn sysconsole_write_permissions(state: &AppState) -> Vec<Permission> {
    admin_permissions_with_prefix(state, "sysconsole_write_")
}

fn admin_permissions_with_prefix(state: &AppState, prefix: &str) -> Vec<Permission> {
    state
        .roles
        .get("system_admin")
        .map(|r| {
            r.permissions
                .iter()
                .filter(|p| p.starts_with(prefix))
                .filter_map(|p| Permission::from_name(p))
                .collect()
        })
        .unwrap_or_default()
}

/// Any `sysconsole_read_*` permission (or `manage_system`), else 403 naming them all.
pub fn require_sysconsole_read(state: &AppState, s: &Session) -> ApiResult<()> {
    let perms = sysconsole_read_permissions(state);
    if is_system_admin(state, s) || perms.iter().any(|p| has(state, s, *p)) {
        Ok(())
    } else {
        Err(ApiError::permission(&s.user_id, &perms))
    }
}

/// Every config write: `manage_system`, else 403 naming the `sysconsole_write_*` permissions.
pub fn require_sysconsole_write(state: &AppState, s: &Session) -> ApiResult<()> {
    let perms = sysconsole_write_permissions(state);
    // Rustmost applies a write all-or-nothing, so it asks for `manage_system` (which every
    // role holding all `sysconsole_write_*` permissions has).
    if is_system_admin(state, s) {
        Ok(())
    } else {
        Err(ApiError::permission(&s.user_id, &perms))
    }
}
