//! Personal access tokens: the token lifecycle (create, disable, enable, revoke, rotate, expiry
//! policy) and last-used tracking. The secret's format is in `secrets`; turning a presented
//! secret into a session is `credentials`.

use crate::app::secrets::{generate_secret, hash_secret};
use crate::app::{audits, authz, bots, email, users};
use crate::cluster::Invalidation;
use crate::error::{ApiError, ApiResult, StoreResultExt};
use crate::state::{AppState, Session};
use rustmost_model::access_token::UserAccessToken;
use rustmost_model::user::User;
use rustmost_model::{Permission, is_valid_id, new_id};
use rustmost_store::{AccessTokenRow, Page, StoreError};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// `last_used_at` is written at most this often per token.
const LAST_USED_WRITE_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;

const NOT_FOUND: &str = "app.user_access_token.get_by_user.app_error";
/// The API form of a stored token; the secret is never part of it.
pub fn to_wire(r: &AccessTokenRow) -> UserAccessToken {
    UserAccessToken {
        id: r.id.clone(),
        token: String::new(),
        user_id: r.user_id.clone(),
        description: r.description.clone(),
        is_active: r.is_active,
        expires_at: r.expires_at,
        last_used_at: r.last_used_at,
        last_used_ip: r.last_used_ip.clone(),
    }
}

/// Records that a token authenticated a request: at most once a minute per token, off the
/// request path.
pub fn record_use(state: &AppState, s: &Arc<Session>, ip: impl FnOnce() -> String) {
    let Some(token_id) = s.access_token_id.clone() else {
        return;
    };
    let now = state.clock.now_ms();
    let last = s.last_used_written.load(Ordering::Relaxed);
    if now - last < LAST_USED_WRITE_MS {
        return;
    }
    if s.last_used_written
        .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
        .is_ok()
    {
        let store = state.store.clone();
        let ip = ip();
        tokio::spawn(async move {
            if let Err(e) = store.touch_token(&token_id, now, &ip).await {
                tracing::warn!(error = %e, "could not record access token use");
            }
        });
    }
}

/// Whether the owner of tokens falls under `MaximumPersonalAccessTokenLifetimeDays`: humans do,
/// bots only when a user owns them. As upstream (`HasUserOwner`), that is decided by the shape of
/// the owner id: a plugin id is exempt, the id of a user who has since been deleted is not.
async fn policy_applies(state: &AppState, user: &User) -> ApiResult<bool> {
    if !user.is_bot {
        return Ok(true);
    }
    match state.store.get_bot(&user.id, true).await {
        Ok(b) => Ok(is_valid_id(&b.owner_id)),
        Err(StoreError::NotFound) => Ok(false),
        Err(e) => Err(ApiError::internal("app.bot.getbot.internal_error", e)),
    }
}

/// `expires_at` against the clock and the lifetime policy.
async fn check_expiry(state: &AppState, user: &User, expires_at: i64) -> ApiResult<()> {
    if expires_at < 0 {
        return Err(ApiError::bad_request(
            "model.user_access_token.is_valid.expires_at.app_error",
        ));
    }
    let days = state
        .config
        .get()
        .i64("/ServiceSettings/MaximumPersonalAccessTokenLifetimeDays");
    let applies = days > 0 && policy_applies(state, user).await?;
    let now = state.clock.now_ms();
    if expires_at == 0 {
        if applies {
            return Err(ApiError::bad_request(
                "app.user_access_token.expires_at_required.app_error",
            ));
        }
        return Ok(());
    }
    if expires_at <= now {
        return Err(ApiError::bad_request(
            "app.user_access_token.expires_at_in_past.app_error",
        ));
    }
    if applies && expires_at > now.saturating_add(days.saturating_mul(DAY_MS)) {
        return Err(
            ApiError::bad_request("app.user_access_token.expires_at_too_far.app_error")
                .param("Days", days.to_string()),
        );
    }
    Ok(())
}

fn tokens_disabled_for(state: &AppState, user: &User) -> ApiResult<()> {
    if !user.is_bot && !state.config.get().enable_user_access_tokens() {
        return Err(ApiError::not_implemented("app.user_access_token.disabled"));
    }
    Ok(())
}

/// `CreateUserAccessToken`: returns the token with its secret (the only time it is shown).
pub async fn create(
    state: &AppState,
    user_id: &str,
    description: &str,
    expires_at: i64,
) -> ApiResult<UserAccessToken> {
    let user = users::get_user(state, user_id).await?;
    tokens_disabled_for(state, &user)?;
    check_expiry(state, &user, expires_at).await?;
    if description.chars().count() > 255 {
        return Err(ApiError::bad_request(
            "model.user_access_token.is_valid.description.app_error",
        ));
    }
    let secret = generate_secret();
    let row = AccessTokenRow {
        id: new_id(),
        token_hash: hash_secret(&secret),
        user_id: user.id.clone(),
        description: description.to_string(),
        is_active: true,
        expires_at,
        create_at: state.clock.now_ms(),
        last_used_at: 0,
        last_used_ip: String::new(),
    };
    state
        .store
        .insert_token(&row)
        .await
        .or_internal("app.user_access_token.save.app_error")?;
    notify_owner(state, &user, email::TokenNotice::Added);
    let mut out = to_wire(&row);
    out.token = secret;
    Ok(out)
}

/// Mails a human owner that a token was added or rotated, when `SendEmailNotifications` is on
/// (bots have no mailbox). Sent off the request path: the response carrying the secret must not
/// wait on, or fail with, the mail server. A failure is only logged, as upstream.
fn notify_owner(state: &AppState, owner: &User, notice: email::TokenNotice) {
    let cfg = state.config.get();
    if owner.is_bot || !cfg.bool("/EmailSettings/SendEmailNotifications") {
        return;
    }
    let to = owner.email.clone();
    let user_id = owner.id.clone();
    tokio::spawn(async move {
        let (subject, text, html) = email::token_mail(
            notice,
            cfg.str("/TeamSettings/SiteName"),
            cfg.str("/ServiceSettings/SiteURL"),
        );
        if let Err(e) = email::send_mail(&cfg, &to, &subject, &text, &html).await {
            tracing::error!(%user_id, error = %e, ?notice, "unable to send the access token e-mail");
        }
    });
}

pub async fn get(state: &AppState, id: &str) -> ApiResult<AccessTokenRow> {
    state.store.get_token(id).await.or_not_found(NOT_FOUND)
}

pub async fn list_for_user(
    state: &AppState,
    user_id: &str,
    page: Page,
) -> ApiResult<Vec<UserAccessToken>> {
    let rows = state
        .store
        .list_tokens_for_user(user_id, page)
        .await
        .or_internal(NOT_FOUND)?;
    Ok(rows.iter().map(to_wire).collect())
}

pub async fn list_all(state: &AppState, page: Page) -> ApiResult<Vec<UserAccessToken>> {
    let rows = state
        .store
        .list_tokens(page)
        .await
        .or_internal("app.user_access_token.get_all.app_error")?;
    Ok(rows.iter().map(to_wire).collect())
}

pub async fn search(state: &AppState, term: &str) -> ApiResult<Vec<UserAccessToken>> {
    let rows = state
        .store
        .search_tokens(term)
        .await
        .or_internal("app.user_access_token.search.app_error")?;
    Ok(rows.iter().map(to_wire).collect())
}

/// Maps a write to a token that a concurrent request deleted to the same 404 as a lookup of an
/// unknown token; anything else is a 500 with `id`.
fn gone_or(id: &'static str) -> impl FnOnce(StoreError) -> ApiError {
    move |e| match e {
        StoreError::NotFound => ApiError::not_found(NOT_FOUND),
        other => ApiError::internal(id, other),
    }
}

/// Deletes the token and its sessions; the next request with it is refused.
pub async fn revoke(state: &AppState, t: &AccessTokenRow) -> ApiResult<()> {
    state
        .store
        .delete_token(&t.id)
        .await
        .map_err(gone_or("app.user_access_token.delete.app_error"))?;
    end_sessions(state, t).await;
    Ok(())
}

/// Marks the token inactive and ends its sessions.
pub async fn disable(state: &AppState, t: &AccessTokenRow) -> ApiResult<()> {
    state
        .store
        .set_token_active(&t.id, false)
        .await
        .map_err(gone_or(
            "app.user_access_token.update_token_disable.app_error",
        ))?;
    end_sessions(state, t).await;
    Ok(())
}

/// Drops the token's cached sessions on every node, so its next use is checked afresh.
async fn end_sessions(state: &AppState, t: &AccessTokenRow) {
    state
        .invalidate(Invalidation::SessionHash(t.token_hash.clone()))
        .await;
}

pub async fn enable(state: &AppState, t: &AccessTokenRow) -> ApiResult<()> {
    state
        .store
        .set_token_active(&t.id, true)
        .await
        .map_err(gone_or(
            "app.user_access_token.update_token_enable.app_error",
        ))
}

/// `RotateUserAccessToken`: a new secret (and expiry) for the same token id; the old secret and
/// its sessions stop working at once.
pub async fn rotate(
    state: &AppState,
    t: &AccessTokenRow,
    owner: &User,
    expires_at: i64,
) -> ApiResult<UserAccessToken> {
    tokens_disabled_for(state, owner)?;
    check_expiry(state, owner, expires_at).await?;
    let secret = generate_secret();
    let hash = hash_secret(&secret);
    let gone = state
        .store
        .rotate_token(&t.id, &hash, expires_at)
        .await
        .map_err(gone_or("app.user_access_token.rotate.app_error"))?;
    // Evicted by what the database deleted and by the token, not by `t.token_hash`: a
    // concurrent rotation may have put a secret in between, which `t` never saw.
    state
        .sessions
        .remove_where(|s| s.access_token_id.as_deref() == Some(t.id.as_str()));
    state.invalidate(Invalidation::SessionIds(gone)).await;
    let mut row = t.clone();
    row.token_hash = hash;
    row.expires_at = expires_at;
    notify_owner(state, owner, email::TokenNotice::Rotated);
    let mut out = to_wire(&row);
    out.token = secret;
    Ok(out)
}

/// Upstream's hourly `cleanup_expired_access_tokens`: deletes every expired token with its
/// sessions, drops them from the session cache, and records one audit per token for its owner
/// (`action` `cleanupExpiredUserAccessToken`). Returns how many tokens went.
pub async fn delete_expired(state: &AppState) -> ApiResult<usize> {
    let gone = state
        .store
        .delete_expired_tokens(state.clock.now_ms())
        .await
        .or_internal("app.user_access_token.delete.app_error")?;
    for t in &gone {
        end_sessions(state, t).await;
        audits::record_token_event(state, &t.user_id, "cleanupExpiredUserAccessToken", &t.id).await;
    }
    Ok(gone.len())
}

/// Tokens breaking the current lifetime policy; none when there is no policy.
pub async fn non_compliant(state: &AppState) -> ApiResult<Option<Vec<AccessTokenRow>>> {
    let days = state
        .config
        .get()
        .i64("/ServiceSettings/MaximumPersonalAccessTokenLifetimeDays");
    if days <= 0 {
        return Ok(None);
    }
    let latest = state
        .clock
        .now_ms()
        .saturating_add(days.saturating_mul(DAY_MS));
    let rows = state
        .store
        .list_non_compliant_tokens(latest)
        .await
        .or_internal("app.user_access_token.count_non_compliant.app_error")?;
    Ok(Some(rows))
}

fn oauth_refused(s: &Session) -> ApiError {
    let mut e = ApiError::permission(&s.user_id, &[Permission::CreateUserAccessToken]);
    e.detailed.push_str(", attempted access by oauth app");
    e
}

/// Oneself, the bot's manager, or [`authz::has_permission_to_user`]; else 403 naming
/// `edit_other_users`.
async fn require_user_or_bot(state: &AppState, s: &Session, user_id: &str) -> ApiResult<()> {
    if bots::has_permission_to_user_or_bot(state, s, user_id).await? {
        Ok(())
    } else {
        Err(ApiError::permission(
            &s.user_id,
            &[Permission::EditOtherUsers],
        ))
    }
}

/// The gates `createUserAccessToken` passes before reading its body: no token for a remote
/// user, none through an OAuth session.
pub fn refuse_remote_or_oauth(s: &Session, user: &User) -> ApiResult<()> {
    if user.remote_id.as_deref().is_some_and(|r| !r.is_empty()) {
        return Err(ApiError::permission(
            &s.user_id,
            &[Permission::CreateUserAccessToken],
        ));
    }
    if s.is_oauth {
        return Err(oauth_refused(s));
    }
    Ok(())
}

/// `create_user_access_token`, then oneself or the bot's manager or `edit_other_users`, then
/// `manage_system` for an admin's token; then [`create`].
pub async fn create_as(
    state: &AppState,
    s: &Session,
    user: &User,
    description: &str,
    expires_at: i64,
) -> ApiResult<UserAccessToken> {
    authz::require(state, s, Permission::CreateUserAccessToken)?;
    require_user_or_bot(state, s, &user.id).await?;
    if user.is_system_admin() && !authz::is_system_admin(state, s) {
        return Err(ApiError::permission(
            &s.user_id,
            &[Permission::ManageSystem],
        ));
    }
    create(state, &user.id, description, expires_at).await
}

/// `read_user_access_token`, then the owner check; then [`list_for_user`].
pub async fn list_for_user_as(
    state: &AppState,
    s: &Session,
    user_id: &str,
    page: Page,
) -> ApiResult<Vec<UserAccessToken>> {
    authz::require(state, s, Permission::ReadUserAccessToken)?;
    require_user_or_bot(state, s, user_id).await?;
    list_for_user(state, user_id, page).await
}

/// Every token (`manage_system`).
pub async fn list_all_as(
    state: &AppState,
    s: &Session,
    page: Page,
) -> ApiResult<Vec<UserAccessToken>> {
    authz::require(state, s, Permission::ManageSystem)?;
    list_all(state, page).await
}

/// Mattermost's order for reading or acting on one token: `perm`, the token (404), then the
/// owner check.
pub async fn get_as(
    state: &AppState,
    s: &Session,
    token_id: &str,
    perm: Permission,
) -> ApiResult<AccessTokenRow> {
    authz::require(state, s, perm)?;
    let t = get(state, token_id).await?;
    require_user_or_bot(state, s, &t.user_id).await?;
    Ok(t)
}

/// One token for reading: `read_user_access_token`, the token (404), the owner check.
pub async fn get_for_read_as(
    state: &AppState,
    s: &Session,
    token_id: &str,
) -> ApiResult<AccessTokenRow> {
    get_as(state, s, token_id, Permission::ReadUserAccessToken).await
}

/// [`revoke`] after `revoke_user_access_token`, the token (404) and the owner check; returns the
/// revoked token.
pub async fn revoke_as(state: &AppState, s: &Session, token_id: &str) -> ApiResult<AccessTokenRow> {
    let t = get_as(state, s, token_id, Permission::RevokeUserAccessToken).await?;
    revoke(state, &t).await?;
    Ok(t)
}

/// [`disable`] after `revoke_user_access_token` (Mattermost has no separate permission), the
/// token (404) and the owner check; returns the token.
pub async fn disable_as(
    state: &AppState,
    s: &Session,
    token_id: &str,
) -> ApiResult<AccessTokenRow> {
    let t = get_as(state, s, token_id, Permission::RevokeUserAccessToken).await?;
    disable(state, &t).await?;
    Ok(t)
}

/// [`enable`] after `create_user_access_token` (as upstream), the token (404) and the owner
/// check; returns the token.
pub async fn enable_as(state: &AppState, s: &Session, token_id: &str) -> ApiResult<AccessTokenRow> {
    let t = get_as(state, s, token_id, Permission::CreateUserAccessToken).await?;
    enable(state, &t).await?;
    Ok(t)
}

/// [`search`] for `manage_system`. `term` is the request's parsed term, whose error (a bad body,
/// an empty term) upstream reports only after the permission check.
pub async fn search_as(
    state: &AppState,
    s: &Session,
    term: ApiResult<String>,
) -> ApiResult<Vec<UserAccessToken>> {
    authz::require(state, s, Permission::ManageSystem)?;
    search(state, &term?).await
}

/// `rotateUserAccessToken` after the body: not OAuth, `create_user_access_token`, token (404),
/// owner (404), owner check, `manage_system` for an admin's token, not a remote user, not
/// disabled (400); then [`rotate`]. Returns the token row and the rotated token.
pub async fn rotate_as(
    state: &AppState,
    s: &Session,
    token_id: &str,
    expires_at: i64,
) -> ApiResult<(AccessTokenRow, UserAccessToken)> {
    if s.is_oauth {
        return Err(oauth_refused(s));
    }
    authz::require(state, s, Permission::CreateUserAccessToken)?;
    let t = get(state, token_id).await?;
    let owner = users::get_user(state, &t.user_id).await?;
    require_user_or_bot(state, s, &t.user_id).await?;
    if owner.is_system_admin() && !authz::is_system_admin(state, s) {
        return Err(ApiError::permission(
            &s.user_id,
            &[Permission::ManageSystem],
        ));
    }
    if owner.remote_id.as_deref().is_some_and(|r| !r.is_empty()) {
        return Err(ApiError::permission(
            &s.user_id,
            &[Permission::CreateUserAccessToken],
        ));
    }
    if !t.is_active {
        return Err(ApiError::bad_request(
            "api.user.rotate_user_access_token.disabled_token.app_error",
        ));
    }
    let out = rotate(state, &t, &owner, expires_at).await?;
    Ok((t, out))
}

/// [`non_compliant`] for `manage_system`.
pub async fn non_compliant_as(
    state: &AppState,
    s: &Session,
) -> ApiResult<Option<Vec<AccessTokenRow>>> {
    authz::require(state, s, Permission::ManageSystem)?;
    non_compliant(state).await
}
