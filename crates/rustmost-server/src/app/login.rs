//! Password login: finding the account, the lockout, the password check and the new session,
//! written so that nothing an admin commits meanwhile (demotion, deactivation, password reset)
//! is undone or outlived by the login.

use crate::app::{sessions, users};
use crate::error::{ApiError, ApiResult, StoreResultExt};
use crate::state::{AppState, Session};
use rustmost_model::user::User;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What `POST /users/login` carries.
#[derive(Debug, Default)]
pub struct Credentials {
    pub login_id: String,
    /// A user id, used instead of `login_id` when set.
    pub id: String,
    pub password: String,
    pub device_id: String,
}

/// A successful login.
pub struct LoggedIn {
    /// The account as it is after the session exists (roles current).
    pub user: User,
    pub session: Arc<Session>,
    pub secret: String,
}

fn invalid_credentials(state: &AppState) -> ApiError {
    let cfg = state.config.get();
    let by_email = cfg.bool("/EmailSettings/EnableSignInWithEmail");
    let by_name = cfg.bool("/EmailSettings/EnableSignInWithUsername");
    let id = match (by_email, by_name) {
        (true, false) => "api.user.login.invalid_credentials_email",
        (false, true) => "api.user.login.invalid_credentials_username",
        _ => "api.user.login.invalid_credentials_email_username",
    };
    ApiError::unauthorized(id)
}

async fn find(state: &AppState, c: &Credentials) -> Option<User> {
    if !c.id.is_empty() {
        return state.store.get_user(&c.id).await.ok();
    }
    let cfg = state.config.get();
    let mut f = None;
    if cfg.bool("/EmailSettings/EnableSignInWithUsername") {
        f = state.store.get_user_by_username(&c.login_id).await.ok();
    }
    if f.is_none() && cfg.bool("/EmailSettings/EnableSignInWithEmail") {
        f = state.store.get_user_by_email(&c.login_id).await.ok();
    }
    f
}

/// Upstream's `authenticateUser` + `DoLogin`: deactivated accounts, bots and accounts past
/// `MaximumLoginAttempts` are refused. Only `last_login` and the failed-attempt count are
/// written to the user row; the session takes the roles the user has once it exists.
pub async fn login(state: &AppState, c: &Credentials) -> ApiResult<LoggedIn> {
    if c.password.is_empty() {
        return Err(ApiError::bad_request("api.user.login.blank_pwd.app_error"));
    }
    let Some(user) = find(state, c).await else {
        // Spend the same time as a real check so timing does not reveal which accounts exist.
        let slot = users::hash_permit().await?;
        users::verify_dummy(&slot, &c.password).await?;
        return Err(invalid_credentials(state));
    };
    if user.delete_at != 0 {
        return Err(ApiError::unauthorized("api.user.login.inactive.app_error"));
    }
    if user.is_bot {
        return Err(ApiError::unauthorized(
            "api.user.login.bot_login_forbidden.app_error",
        ));
    }
    if !users::check_password_counted(state, &user, &c.password).await? {
        return Err(invalid_credentials(state));
    }
    let now = state.clock.now_ms();
    state
        .store
        .record_login(&user.id, now)
        .await
        .or_not_found(users::MISSING_ACCOUNT)?;
    users::changed(state, &user.id).await;
    let mut props = BTreeMap::new();
    props.insert("is_guest".to_string(), user.is_guest().to_string());
    props.insert("platform".to_string(), String::new());
    let (session, secret) =
        sessions::create_login_session(state, &user.id, &user.roles, &c.device_id, props).await?;
    let mut user = user;
    user.roles = session.roles();
    user.failed_attempts = 0;
    user.last_login = now;
    Ok(LoggedIn {
        user,
        session,
        secret,
    })
}
