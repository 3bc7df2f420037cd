//! Channels: validation, creation (the creator becomes channel admin), memberships, archiving
//! and restoring, each announced in the channel as Mattermost does.

use crate::app::{i18n, posts, teams};
use crate::error::{ApiError, ApiResult, StoreResultExt};
use crate::state::AppState;
use rustmost_model::channel::{self, Channel, ChannelMember, DEFAULT_CHANNEL};
use rustmost_model::new_id;
use rustmost_model::user::User;
use rustmost_store::StoreError;

pub const CHANNEL_NOT_FOUND: &str = "app.channel.get.existing.app_error";

pub async fn get_channel(state: &AppState, id: &str) -> ApiResult<Channel> {
    state
        .store
        .get_channel(id)
        .await
        .or_not_found(CHANNEL_NOT_FOUND)
}

/// `Channel.IsValid` for the fields a client sets.
pub fn validate_channel(c: &Channel) -> ApiResult<()> {
    let bad = |f: &str| {
        Err(
            ApiError::bad_request(format!("model.channel.is_valid.{f}.app_error"))
                .detail(format!("id={}", c.id)),
        )
    };
    if c.display_name.chars().count() > 64 {
        return bad("display_name");
    }
    if !channel::is_valid_channel_name(&c.name) {
        return bad("1_or_more");
    }
    if !matches!(c.channel_type.as_str(), "O" | "P" | "D" | "G") {
        return bad("type");
    }
    if c.header.chars().count() > 1024 {
        return bad("header");
    }
    if c.purpose.chars().count() > 250 {
        return bad("purpose");
    }
    if !c.creator_id.is_empty() && !rustmost_model::is_valid_id(&c.creator_id) {
        return bad("creator_id");
    }
    Ok(())
}

/// `CreateChannelWithUser`: a public or private channel in a team, the creator as its admin.
pub async fn create_channel(
    state: &AppState,
    mut c: Channel,
    creator: &User,
) -> ApiResult<Channel> {
    if c.is_group_or_direct() {
        return Err(ApiError::bad_request(
            "api.channel.create_channel.direct_channel.app_error",
        ));
    }
    if c.team_id.is_empty() {
        return Err(ApiError::bad_request(
            "app.channel.create_channel.no_team_id.app_error",
        ));
    }
    let count = state
        .store
        .count_team_channels(&c.team_id)
        .await
        .or_internal("app.channel.get_channels.get.app_error")?;
    let max = state.config.get().i64("/TeamSettings/MaxChannelsPerTeam");
    if max > 0 && count + 1 > max {
        return Err(ApiError::bad_request(
            "api.channel.create_channel.max_channel_limit.app_error",
        )
        .param("MaxChannelsPerTeam", max.to_string()));
    }
    teams::get_team(state, &c.team_id).await?;
    let now = state.clock.now_ms();
    c.id = new_id();
    c.create_at = now;
    c.update_at = now;
    c.delete_at = 0;
    c.extra_update_at = 0;
    c.last_post_at = 0;
    c.last_root_post_at = 0;
    c.total_msg_count = 0;
    c.total_msg_count_root = 0;
    c.creator_id = creator.id.clone();
    c.scheme_id = None;
    c.policy_id = None;
    if c.group_constrained.is_none() {
        c.group_constrained = Some(false);
    }
    validate_channel(&c)?;
    state
        .store
        .insert_channel(&c)
        .await
        .on_conflict(
            "channels_name",
            "store.sql_channel.save_channel.exists.app_error",
        )
        .or_internal("app.channel.create_channel.internal_error")?;
    save_new_member(state, &c, creator, true).await?;
    state
        .events
        .publish(crate::realtime::events::channel_created(&c));
    let msg = i18n::fill(
        "api.channel.join_channel.post_and_forget",
        &[&creator.username],
    );
    let props = serde_json::json!({"username": creator.username});
    posts::system_post(state, &c, &creator.id, "system_join_channel", msg, props).await?;
    get_channel(state, &c.id).await
}

/// Stores a fresh membership with the default notify props.
pub async fn save_new_member(
    state: &AppState,
    c: &Channel,
    u: &User,
    admin: bool,
) -> ApiResult<ChannelMember> {
    let now = state.clock.now_ms();
    let mut m = ChannelMember {
        channel_id: c.id.clone(),
        user_id: u.id.clone(),
        notify_props: channel::default_channel_notify_props(),
        last_update_at: now,
        scheme_user: true,
        scheme_admin: admin,
        ..Default::default()
    };
    m.compute_roles();
    state
        .store
        .save_channel_member(&m)
        .await
        .or_internal("app.channel.save_member.app_error")?;
    Ok(m)
}

/// `AddChannelMember`: the user must be an active team member; adding an existing member
/// returns the membership unchanged.
pub async fn add_user_to_channel(
    state: &AppState,
    c: &Channel,
    u: &User,
    requestor: &User,
) -> ApiResult<ChannelMember> {
    if u.delete_at != 0 {
        return Err(ApiError::forbidden(
            "app.channel.add_member.deleted_user.app_error",
        ));
    }
    if c.delete_at != 0 {
        return Err(
            ApiError::bad_request("api.channel.add_user_to_channel.deleted.app_error")
                .message("Unable to add user to channel because the channel has been archived."),
        );
    }
    if !c.is_open() && !c.is_private() {
        return Err(ApiError::bad_request(
            "api.channel.add_user_to_channel.type.app_error",
        ));
    }
    match state.store.get_team_member(&c.team_id, &u.id).await {
        Ok(m) if m.delete_at == 0 => {}
        Ok(_) => {
            return Err(ApiError::bad_request(
                "api.channel.add_user.to.channel.failed.deleted.app_error",
            ));
        }
        Err(StoreError::NotFound) => {
            return Err(ApiError::not_found("app.team.get_member.missing.app_error"));
        }
        Err(e) => return Err(ApiError::internal("app.team.get_member.app_error", e)),
    }
    if let Some(m) = state
        .store
        .get_channel_member(&c.id, &u.id)
        .await
        .optional("app.channel.get_member.app_error")?
    {
        return Ok(m);
    }
    let m = save_new_member(state, c, u, false).await?;
    state
        .events
        .publish(crate::realtime::events::user_added(c, &u.id));
    if requestor.id == u.id {
        let msg = i18n::fill("api.channel.join_channel.post_and_forget", &[&u.username]);
        let props = serde_json::json!({"username": u.username});
        posts::system_post(state, c, &u.id, "system_join_channel", msg, props).await?;
    } else {
        let msg = i18n::fill(
            "api.channel.add_member.added",
            &[&u.username, &requestor.username],
        );
        let props = serde_json::json!({
            "userId": requestor.id, "username": requestor.username,
            "addedUserId": u.id, "addedUsername": u.username,
        });
        posts::system_post(state, c, &requestor.id, "system_add_to_channel", msg, props).await?;
    }
    Ok(m)
}

/// `DeleteChannel` (archive): town-square cannot be archived; an archived channel cannot be
/// archived again.
pub async fn archive_channel(state: &AppState, mut c: Channel, by: &User) -> ApiResult<()> {
    if c.delete_at > 0 {
        return Err(ApiError::bad_request(
            "api.channel.delete_channel.deleted.app_error",
        ));
    }
    if c.name == DEFAULT_CHANNEL {
        return Err(
            ApiError::bad_request("api.channel.delete_channel.cannot.app_error")
                .param("Channel", DEFAULT_CHANNEL),
        );
    }
    let msg = i18n::fill("api.channel.delete_channel.archived", &[&by.username]);
    let props = serde_json::json!({"username": by.username});
    posts::system_post(state, &c, &by.id, "system_channel_deleted", msg, props).await?;
    let now = state.clock.now_ms();
    c.delete_at = now;
    c.update_at = now;
    state
        .store
        .update_channel(&c)
        .await
        .or_internal("app.channel.delete.app_error")?;
    state
        .events
        .publish(crate::realtime::events::channel_deleted(&c));
    Ok(())
}

/// `RestoreChannel` (unarchive).
pub async fn restore_channel(state: &AppState, mut c: Channel, by: &User) -> ApiResult<Channel> {
    if c.delete_at == 0 {
        return Err(ApiError::bad_request(
            "api.channel.restore_channel.restored.app_error",
        ));
    }
    c.delete_at = 0;
    c.update_at = state.clock.now_ms();
    state
        .store
        .update_channel(&c)
        .await
        .or_internal("app.channel.update_channel.internal_error")?;
    state
        .events
        .publish(crate::realtime::events::channel_restored(&c));
    let msg = crate::error::lookup("api.channel.restore_channel.unarchived")
        .unwrap_or_default()
        .replace("{{.Username}}", &by.username);
    let props = serde_json::json!({"username": by.username});
    posts::system_post(state, &c, &by.id, "system_channel_restored", msg, props).await?;
    get_channel(state, &c.id).await
}
