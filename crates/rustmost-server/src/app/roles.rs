//! Built-in roles: seeding a fresh database and keeping the in-memory role table current.

use crate::app::authz;
use crate::cluster::Invalidation;
use crate::error::{ApiError, ApiResult, StoreResultExt};
use crate::state::{AppState, Session};
use rustmost_model::Permission;
use rustmost_model::new_id;
use rustmost_model::role::{self, Role, RolePatch};
use rustmost_store::StoreError;

/// Inserts any built-in role the database lacks, then loads every role into memory.
pub async fn seed_and_load(state: &AppState) -> Result<(), StoreError> {
    let store = state.store.as_ref();
    let now = state.clock.now_ms();
    for (name, perms) in role::default_role_permissions() {
        match store.get_role_by_name(&name).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => {
                let r = Role {
                    id: new_id(),
                    display_name: role::display_name(&name),
                    description: role::description(&name),
                    scheme_managed: role::is_scheme_managed(&name),
                    name,
                    create_at: now,
                    update_at: now,
                    delete_at: 0,
                    permissions: perms,
                    built_in: true,
                };
                match store.insert_role(&r).await {
                    // Another node seeding at the same moment is fine.
                    Ok(()) | Err(StoreError::Conflict { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
            Err(e) => return Err(e),
        }
    }
    state.roles.replace_all(store.list_roles().await?);
    Ok(())
}

/// Role names are `[a-z0-9_]{1,64}`.
pub fn is_valid_role_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 64
        && n.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
}

/// Mattermost's `IsValidUserRoles` (the sole role `system_admin` is refused too).
pub fn is_valid_user_roles(roles: &str) -> bool {
    let names: Vec<&str> = roles.split_whitespace().collect();
    if names.iter().any(|n| !is_valid_role_name(n)) {
        return false;
    }
    !(names.len() == 1 && names[0] == "system_admin")
}

/// Every role named must exist (`app.role.check_roles_exist.role_not_found`).
pub fn check_roles_exist(state: &AppState, roles: &str) -> ApiResult<()> {
    for n in roles.split_whitespace() {
        if state.roles.get(n).is_none() {
            return Err(
                ApiError::bad_request("app.role.check_roles_exist.role_not_found")
                    .detail(format!("role={n}")),
            );
        }
    }
    Ok(())
}

/// Replaces a role's permissions, in the store and in memory (live sessions see it at once).
pub async fn patch_permissions(state: &AppState, id: &str, perms: Vec<String>) -> ApiResult<Role> {
    let now = state.clock.now_ms();
    state
        .store
        .update_role_permissions(id, &perms, now)
        .await
        .or_not_found("app.role.get.app_error")?;
    let r = state
        .store
        .get_role(id)
        .await
        .or_not_found("app.role.get.app_error")?;
    state.invalidate(Invalidation::Role(r.clone())).await;
    Ok(r)
}

/// Every role (`manage_system`).
pub async fn list_all(state: &AppState, s: &Session) -> ApiResult<Vec<Role>> {
    authz::require(state, s, Permission::ManageSystem)?;
    state
        .store
        .list_roles()
        .await
        .or_internal("app.role.get_all.app_error")
}

/// `patchRole`: the role (404), then `sysconsole_write_user_management_permissions` or
/// `..._system_roles`; the protected permissions and the guest roles cannot change (501).
pub async fn patch(state: &AppState, s: &Session, id: &str, patch: RolePatch) -> ApiResult<Role> {
    let old = state
        .store
        .get_role(id)
        .await
        .or_not_found("app.role.get.app_error")?;
    authz::require_any(
        state,
        s,
        &[
            Permission::SysconsoleWriteUserManagementPermissions,
            Permission::SysconsoleWriteUserManagementSystemRoles,
        ],
    )?;
    let Some(mut perms) = patch.permissions else {
        return Ok(old);
    };
    // Upstream refuses to move these through a role patch: a role could otherwise grant itself
    // more power than the admin editing it intended.
    const NOT_ALLOWED: &[Permission] = &[
        Permission::ManageRoles,
        Permission::ManageSystem,
        Permission::SysconsoleReadUserManagementSystemRoles,
        Permission::SysconsoleWriteUserManagementSystemRoles,
    ];
    let changed = |p: &Permission| {
        old.permissions.iter().any(|o| o == p.as_str()) != perms.iter().any(|n| n == p.as_str())
    };
    if NOT_ALLOWED.iter().any(changed) {
        return Err(ApiError::not_implemented(
            "api.roles.patch_roles.not_allowed_permission.error",
        ));
    }
    if matches!(
        old.name.as_str(),
        "system_guest" | "team_guest" | "channel_guest"
    ) {
        return Err(ApiError::not_implemented(
            "api.roles.patch_roles.license.error",
        ));
    }
    let mut seen = std::collections::HashSet::new();
    perms.retain(|p| seen.insert(p.clone()));
    let r = patch_permissions(state, id, perms).await?;
    Ok(r)
}
