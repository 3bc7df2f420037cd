//! Bot accounts: a user row (`is_bot`, e-mail `<username>@localhost`, role `system_user`) plus
//! a bot row naming its owner. Creation, patching, enabling and disabling, ownership, conversion
//! to and from a user, and the permission checks for managing a bot.

use crate::app::{authz, sessions, users};
use crate::error::{ApiError, ApiResult, StoreResultExt};
use crate::state::{AppState, Session};
use rustmost_model::Permission;
use rustmost_model::bot::{Bot, BotPatch};
use rustmost_model::new_id;
use rustmost_model::user::{self, User, UserPatch};
use rustmost_store::{BotQuery, StoreError};

pub const BOT_NOT_FOUND: &str = "store.sql_bot.get.missing.app_error";

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(BOT_NOT_FOUND).detail(format!("bot_user_id={id}"))
}

/// `Bot.IsValid` for the fields clients set, on the values as sent (upstream does not trim or
/// lower-case a bot's username, so `MyBot` is refused rather than saved as `mybot`).
fn validate(b: &Bot) -> ApiResult<()> {
    let bad = |f: &str| {
        Err(
            ApiError::bad_request(format!("model.bot.is_valid.{f}.app_error"))
                .detail(format!("user_id={}", b.user_id)),
        )
    };
    if !user::is_valid_username(&b.username) {
        return bad("username");
    }
    // Upstream reports an over-long display name with the user id's message; clients see that
    // id, so it is kept.
    if b.display_name.chars().count() > 64 {
        return bad("user_id");
    }
    if b.description.chars().count() > 1024 {
        return bad("description");
    }
    if b.owner_id.is_empty() || b.owner_id.chars().count() > 190 {
        return bad("creator_id");
    }
    Ok(())
}

fn bot_email(username: &str) -> String {
    format!("{username}@localhost")
}

/// A bot's e-mail follows its username, so a taken username would surface as a taken e-mail;
/// Mattermost reports the username.
async fn username_free(state: &AppState, username: &str, except: Option<&str>) -> ApiResult<()> {
    match state.store.get_user_by_username(username).await {
        Ok(u) if Some(u.id.as_str()) != except => Err(ApiError::bad_request(
            "app.user.save.username_exists.app_error",
        )),
        Ok(_) | Err(StoreError::NotFound) => Ok(()),
        Err(e) => Err(ApiError::internal("app.user.get.app_error", e)),
    }
}

pub async fn get(state: &AppState, id: &str, include_deleted: bool) -> ApiResult<Bot> {
    match state.store.get_bot(id, include_deleted).await {
        Ok(b) => Ok(b),
        Err(StoreError::NotFound) => Err(not_found(id)),
        Err(e) => Err(ApiError::internal("app.bot.getbot.internal_error", e)),
    }
}

/// `CreateBot`: the user row, then the bot row (the user row is removed again if that fails).
pub async fn create(state: &AppState, owner_id: &str, p: &BotPatch) -> ApiResult<Bot> {
    let now = state.clock.now_ms();
    let mut b = Bot {
        owner_id: owner_id.to_string(),
        ..Default::default()
    };
    b.patch(p);
    validate(&b)?;
    b.user_id = new_id();
    b.create_at = now;
    b.update_at = now;
    let u = User {
        id: b.user_id.clone(),
        create_at: now,
        update_at: now,
        username: b.username.clone(),
        email: bot_email(&b.username),
        first_name: b.display_name.clone(),
        roles: "system_user".into(),
        locale: "en".into(),
        notify_props: Some(user::default_notify_props()),
        timezone: Some(user::default_timezone()),
        props: Some(Default::default()),
        is_bot: true,
        bot_description: b.description.clone(),
        ..Default::default()
    };
    username_free(state, &b.username, None).await?;
    users::save_new(state, &u).await?;
    if let Err(e) = state.store.insert_bot(&b).await {
        // Keep the pair consistent: without its bot row the user would be a broken account.
        let _ = state.store.set_user_delete_at(&u.id, now, now).await;
        users::changed(state, &u.id).await;
        return Err(ApiError::internal("app.bot.createbot.internal_error", e));
    }
    Ok(b)
}

/// `PatchBot`: username, display name and description, on both rows. As upstream
/// (`UserFromBot`), the user's e-mail is reset to `<username>@localhost` on every patch.
pub async fn patch(state: &AppState, id: &str, p: &BotPatch) -> ApiResult<Bot> {
    let mut b = get(state, id, true).await?;
    if !b.patch(p) {
        return Ok(b);
    }
    validate(&b)?;
    username_free(state, &b.username, Some(id)).await?;
    let mut u = users::get_user(state, id).await?;
    u.username = b.username.clone();
    u.email = bot_email(&b.username);
    u.first_name = b.display_name.clone();
    u.bot_description = b.description.clone();
    b.update_at = state.clock.now_ms();
    u.update_at = b.update_at;
    // Column writes only: a deactivation or role change committed since the read stays.
    users::save_profile(state, &u).await?;
    state
        .store
        .set_user_bot(id, true, &b.description, b.update_at)
        .await
        .or_internal("app.bot.patchbot.internal_error")?;
    users::changed(state, id).await;
    save(state, &b).await?;
    Ok(b)
}

pub async fn list(state: &AppState, q: &BotQuery) -> ApiResult<Vec<Bot>> {
    state
        .store
        .list_bots(q)
        .await
        .or_internal("app.bot.getbots.internal_error")
}

/// Deactivates or reactivates a bot's user (deactivation ends its sessions; its tokens stay and
/// work again once it is enabled) and stamps the bot row.
pub async fn set_active(state: &AppState, id: &str, active: bool) -> ApiResult<Bot> {
    let u = users::get_user(state, id).await?;
    let now = state.clock.now_ms();
    if (u.delete_at != 0) == active {
        state
            .store
            .set_user_delete_at(id, if active { 0 } else { now }, now)
            .await
            .or_not_found(users::MISSING_ACCOUNT)?;
        users::changed(state, id).await;
        if !active {
            sessions::revoke_all_for_user(state, id, None).await?;
        }
    }
    let mut b = get(state, id, true).await?;
    if (b.delete_at != 0) == active {
        b.delete_at = if active { 0 } else { now };
        b.update_at = now;
        save(state, &b).await?;
    }
    Ok(b)
}

/// Writes back a changed bot row.
async fn save(state: &AppState, b: &Bot) -> ApiResult<()> {
    state
        .store
        .update_bot(b)
        .await
        .or_internal("app.bot.patchbot.internal_error")
}

/// `disableUserBots`: when an owner is deactivated and `DisableBotsWhenOwnerIsDeactivated` is on,
/// each of their enabled bots is disabled; a failure is logged and the others still go.
pub async fn disable_owned_by(state: &AppState, owner_id: &str) -> ApiResult<()> {
    let bots = list(
        state,
        &BotQuery {
            owner_id: Some(owner_id.to_string()),
            ..Default::default()
        },
    )
    .await?;
    for b in bots {
        if let Err(e) = set_active(state, &b.user_id, false).await {
            tracing::warn!(bot_user_id = %b.user_id, id = %e.id, "unable to deactivate bot");
        }
    }
    Ok(())
}

pub async fn assign(state: &AppState, id: &str, owner_id: &str) -> ApiResult<Bot> {
    let mut b = get(state, id, true).await?;
    b.owner_id = owner_id.to_string();
    b.update_at = state.clock.now_ms();
    save(state, &b).await?;
    Ok(b)
}

/// `ConvertBotToUser`: optional admin role, the patch, a password; the bot row goes and every
/// session ends (so token sessions are re-minted without the bot flag). Everything is checked
/// before anything is written, the profile (where a taken username or e-mail refuses) first, so
/// a refusal leaves the bot as it was (upstream grants the admin role first). Only the columns
/// the conversion changes are written: a deactivation or role change committed while the
/// password was being hashed stays.
pub async fn convert_to_user(
    state: &AppState,
    b: &Bot,
    p: UserPatch,
    password: &str,
    make_admin: bool,
) -> ApiResult<User> {
    let mut u = users::get_user(state, &b.user_id).await?;
    p.apply(&mut u);
    users::validate_password(state, password)?;
    u.is_bot = false;
    u.bot_description = String::new();
    u.password = String::new();
    users::validate_user(&u)?;
    let hash = users::hash_password(password).await?;
    let now = state.clock.now_ms();
    u.update_at = now;
    users::save_profile(state, &u).await?;
    state
        .store
        .set_password(&u.id, &hash, now)
        .await
        .or_not_found(users::MISSING_ACCOUNT)?;
    users::changed(state, &u.id).await;
    if make_admin {
        // The roles as they are now, not as read before the hashing.
        let current = users::get_user(state, &u.id).await?;
        if !current.is_system_admin() {
            let roles = format!("{} system_admin", current.roles).trim().to_string();
            state
                .store
                .set_user_roles(&u.id, &roles, now)
                .await
                .or_not_found(users::MISSING_ACCOUNT)?;
            users::changed(state, &u.id).await;
        }
    }
    state
        .store
        .set_user_bot(&u.id, false, "", now)
        .await
        .or_not_found(users::MISSING_ACCOUNT)?;
    users::changed(state, &u.id).await;
    state
        .store
        .delete_bot(&b.user_id)
        .await
        .or_internal("app.user.convert_bot_to_user.app_error")?;
    // Ends every session, so none keeps the old roles or the bot flag.
    sessions::revoke_all_for_user(state, &u.id, None).await?;
    users::get_user(state, &u.id).await
}

/// `ConvertUserToBot`: the user becomes a bot owned by itself; its sessions end (bots do not log
/// in, and token sessions are re-minted as bot sessions). The returned bot is upstream's
/// `BotFromUser`, whose display name is the username; later reads show the user's first name.
pub async fn convert_from_user(state: &AppState, u: User) -> ApiResult<Bot> {
    let now = state.clock.now_ms();
    let b = Bot {
        user_id: u.id.clone(),
        username: u.username.clone(),
        display_name: u.username.clone(),
        description: String::new(),
        owner_id: u.id.clone(),
        last_icon_update: 0,
        create_at: now,
        update_at: now,
        delete_at: 0,
    };
    state
        .store
        .insert_bot(&b)
        .await
        .on_conflict("bots", "app.bot.createbot.internal_error")
        .or_internal("app.bot.createbot.internal_error")?;
    // The flag only: `u` was read by the caller, and a demotion or deactivation since stays.
    state
        .store
        .set_user_bot(&u.id, true, &u.bot_description, now)
        .await
        .or_not_found(users::MISSING_ACCOUNT)?;
    users::changed(state, &u.id).await;
    sessions::revoke_all_for_user(state, &u.id, None).await?;
    Ok(b)
}

/// `SessionHasPermissionToManageBot`: one's own bot needs `manage_bots`, another's
/// `manage_others_bots`; without even the matching read permission the bot is reported absent.
pub async fn check_manage(state: &AppState, s: &Session, id: &str) -> ApiResult<Bot> {
    let b = get(state, id, true).await?;
    let (manage, read) = if b.owner_id == s.user_id {
        (Permission::ManageBots, Permission::ReadBots)
    } else {
        (Permission::ManageOthersBots, Permission::ReadOthersBots)
    };
    if authz::has(state, s, manage) {
        return Ok(b);
    }
    if !authz::has(state, s, read) {
        return Err(not_found(id));
    }
    Err(ApiError::permission(&s.user_id, &[manage]))
}

/// `SessionHasPermissionToUserOrBot`: for a bot, the manage-bot check; for anyone else,
/// [`authz::has_permission_to_user`].
pub async fn has_permission_to_user_or_bot(
    state: &AppState,
    s: &Session,
    user_id: &str,
) -> ApiResult<bool> {
    match check_manage(state, s, user_id).await {
        Ok(_) => Ok(true),
        Err(e) if e.id == BOT_NOT_FOUND => match state.store.get_bot(user_id, true).await {
            // Truly not a bot.
            Err(StoreError::NotFound) => authz::has_permission_to_user(state, s, user_id).await,
            Err(e) => Err(ApiError::internal("app.bot.getbot.internal_error", e)),
            // A bot the caller may not even see.
            Ok(_) => Ok(false),
        },
        Err(e) if e.status.is_server_error() => Err(e),
        Err(_) => Ok(false),
    }
}

/// `createBot`: `create_bot`, callers that are bots refused (403), then
/// `EnableBotAccountCreation`; the bot is owned by the caller.
pub async fn create_as(state: &AppState, s: &Session, p: &BotPatch) -> ApiResult<Bot> {
    authz::require(state, s, Permission::CreateBot)?;
    if let Some(u) = state
        .store
        .get_user(&s.user_id)
        .await
        .optional("app.user.get.app_error")?
        && u.is_bot
    {
        return Err(ApiError::permission(&s.user_id, &[Permission::CreateBot]));
    }
    if !state
        .config
        .get()
        .bool("/ServiceSettings/EnableBotAccountCreation")
    {
        return Err(ApiError::forbidden("api.bot.create_disabled"));
    }
    create(state, &s.user_id, p).await
}

/// [`patch`] for a caller passing [`check_manage`].
pub async fn patch_as(state: &AppState, s: &Session, id: &str, p: &BotPatch) -> ApiResult<Bot> {
    check_manage(state, s, id).await?;
    patch(state, id, p).await
}

/// The bot if the caller may read it (`read_others_bots`, or their own with `read_bots`);
/// otherwise 404 as if absent.
pub async fn get_as(
    state: &AppState,
    s: &Session,
    id: &str,
    include_deleted: bool,
) -> ApiResult<Bot> {
    let b = get(state, id, include_deleted).await?;
    let visible = authz::has(state, s, Permission::ReadOthersBots)
        || (b.owner_id == s.user_id && authz::has(state, s, Permission::ReadBots));
    if !visible {
        return Err(not_found(id));
    }
    Ok(b)
}

/// All bots with `read_others_bots`, the caller's own with `read_bots`, else 403 `read_bots`
/// (`q.owner_id` is set from the permission).
pub async fn list_as(state: &AppState, s: &Session, mut q: BotQuery) -> ApiResult<Vec<Bot>> {
    q.owner_id = if authz::has(state, s, Permission::ReadOthersBots) {
        None
    } else if authz::has(state, s, Permission::ReadBots) {
        Some(s.user_id.clone())
    } else {
        return Err(ApiError::permission(&s.user_id, &[Permission::ReadBots]));
    };
    list(state, &q).await
}

/// [`set_active`] for a caller passing [`check_manage`].
pub async fn set_active_as(
    state: &AppState,
    s: &Session,
    id: &str,
    active: bool,
) -> ApiResult<Bot> {
    check_manage(state, s, id).await?;
    set_active(state, id, active).await
}

/// `assignBot`: [`check_manage`], and a bot cannot own a bot (403 `assign_bot`).
pub async fn assign_as(state: &AppState, s: &Session, id: &str, owner_id: &str) -> ApiResult<Bot> {
    check_manage(state, s, id).await?;
    if let Some(u) = state
        .store
        .get_user(owner_id)
        .await
        .optional("app.user.get.app_error")?
        && u.is_bot
    {
        return Err(ApiError::permission(&s.user_id, &[Permission::AssignBot]));
    }
    assign(state, id, owner_id).await
}

/// [`convert_to_user`] for `manage_system`.
pub async fn convert_to_user_as(
    state: &AppState,
    s: &Session,
    b: &Bot,
    p: UserPatch,
    password: &str,
    make_admin: bool,
) -> ApiResult<User> {
    authz::require(state, s, Permission::ManageSystem)?;
    convert_to_user(state, b, p, password, make_admin).await
}

/// [`convert_from_user`] for `manage_system`.
pub async fn convert_from_user_as(state: &AppState, s: &Session, u: User) -> ApiResult<Bot> {
    authz::require(state, s, Permission::ManageSystem)?;
    convert_from_user(state, u).await
}
