//! Deactivating and reactivating accounts, people's and bots': above both `users` and `bots`,
//! since a person's deactivation disables the bots they own and a bot's account is a user.

use crate::app::{authz, bots, sessions, users};
use crate::error::{ApiError, ApiResult, StoreResultExt};
use crate::state::{AppState, Session};
use rustmost_model::Permission;
use rustmost_model::user::User;

/// Deactivates or reactivates an account. Deactivation revokes every session at once; the
/// account's access tokens are kept (they work again after reactivation). With
/// `DisableBotsWhenOwnerIsDeactivated` the account's bots are disabled too.
pub async fn set_active(state: &AppState, mut u: User, active: bool) -> ApiResult<User> {
    let now = state.clock.now_ms();
    u.delete_at = if active { 0 } else { now };
    u.update_at = now;
    state
        .store
        .set_user_delete_at(&u.id, u.delete_at, now)
        .await
        .or_not_found(users::MISSING_ACCOUNT)?;
    users::changed(state, &u.id).await;
    if !active {
        sessions::revoke_all_for_user(state, &u.id, None).await?;
        if state
            .config
            .get()
            .bool("/ServiceSettings/DisableBotsWhenOwnerIsDeactivated")
        {
            bots::disable_owned_by(state, &u.id).await?;
        }
    }
    // After the revocation: the deactivated user's sockets close before this is sent.
    crate::realtime::events::user_updated(state, &u);
    Ok(u)
}

/// `updateUserActive`: `sysconsole_write_user_management_users`, or oneself deactivating when
/// `EnableUserDeactivation` is on; a system admin only by a system admin. A bot's row follows
/// its user.
pub async fn update_active(state: &AppState, s: &Session, id: &str, active: bool) -> ApiResult<()> {
    let self_deactivate = !active && id == s.user_id;
    if !self_deactivate && !authz::has(state, s, Permission::SysconsoleWriteUserManagementUsers) {
        return Err(
            ApiError::forbidden("api.user.update_active.permissions.app_error")
                .detail(format!("userId={id}")),
        );
    }
    if self_deactivate && !deactivation_enabled(state) {
        return Err(not_enabled());
    }
    let u = target(state, s, id).await?;
    apply(state, u, active).await
}

/// `deleteUser` (deactivation only): oneself, `manage_system`, or `edit_other_users` for a
/// non-admin; permanent deletion is refused.
pub async fn deactivate(state: &AppState, s: &Session, id: &str, permanent: bool) -> ApiResult<()> {
    authz::require_permission_to_user(state, s, id).await?;
    if s.user_id == id && !deactivation_enabled(state) && !authz::is_system_admin(state, s) {
        return Err(not_enabled());
    }
    let u = target(state, s, id).await?;
    if permanent {
        return Err(ApiError::unauthorized("api.user.delete_user.not_enabled.app_error")
            .message("Permanent user deletion feature is not enabled. Please contact your System Administrator."));
    }
    apply(state, u, false).await
}

/// Whether users may deactivate their own accounts (`EnableUserDeactivation`).
fn deactivation_enabled(state: &AppState) -> bool {
    state
        .config
        .get()
        .bool("/TeamSettings/EnableUserDeactivation")
}

fn not_enabled() -> ApiError {
    ApiError::unauthorized("api.user.update_active.not_enable.app_error")
}

/// The account `id` as read for a change by `s`: a system admin's only by a system admin.
async fn target(state: &AppState, s: &Session, id: &str) -> ApiResult<User> {
    let u = users::get_user(state, id).await?;
    if u.is_system_admin() && !authz::is_system_admin(state, s) {
        return Err(ApiError::permission(
            &s.user_id,
            &[Permission::ManageSystem],
        ));
    }
    Ok(u)
}

/// Sets `u` active or not; a bot's row is kept in step with its user, as through /bots.
async fn apply(state: &AppState, u: User, active: bool) -> ApiResult<()> {
    if u.is_bot {
        bots::set_active(state, &u.id, active).await?;
    } else {
        set_active(state, u, active).await?;
    }
    Ok(())
}
