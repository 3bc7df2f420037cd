//! Channels: validation, creation (the creator becomes channel admin), memberships, archiving
//! and restoring, each announced in the channel as Mattermost does.

use crate::app::{authz, i18n, posts, scoped_authz, users};
use crate::error::{ApiError, ApiResult, StoreResultExt};
use crate::state::{AppState, Session};
use rustmost_model::Permission;
use rustmost_model::channel::{
    self, Channel, ChannelMember, ChannelStats, ChannelWithTeamData, DEFAULT_CHANNEL,
};
use rustmost_model::new_id;
use rustmost_model::user::User;
use rustmost_store::{Page, StoreError};
use std::collections::HashSet;

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
    // Read here rather than through `app::teams`, which builds on this module.
    state
        .store
        .get_team(&c.team_id)
        .await
        .or_not_found("app.team.get.find.app_error")?;
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
    crate::write_cache::channel_changed(state, &c.id).await;
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
    crate::write_cache::channel_changed(state, &c.id).await;
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

/// The ids of the teams `user_id` belongs to.
async fn team_ids_of(state: &AppState, user_id: &str) -> ApiResult<HashSet<String>> {
    state
        .store
        .list_teams_for_user(user_id, None)
        .await
        .map(|ts| ts.into_iter().map(|t| t.id).collect())
        .map_err(|e| ApiError::internal("app.team.get_all.app_error", e))
}

/// `UserCanSeeOtherUser`: everyone with the system-wide `view_members`; otherwise only users
/// sharing a team or a channel with the caller.
pub async fn can_see_user(state: &AppState, s: &Session, other: &str) -> ApiResult<bool> {
    if s.user_id == other || authz::has(state, s, Permission::ViewMembers) {
        return Ok(true);
    }
    let mine = team_ids_of(state, &s.user_id).await?;
    if team_ids_of(state, other)
        .await?
        .iter()
        .any(|t| mine.contains(t))
    {
        return Ok(true);
    }
    let channels = |uid: &str| {
        let uid = uid.to_string();
        async move {
            state
                .store
                .list_channels_for_user(&uid, None, false, None)
                .await
                .map(|cs| cs.into_iter().map(|c| c.id).collect::<HashSet<_>>())
                .map_err(|e| ApiError::internal("app.channel.get_channels.get.app_error", e))
        }
    };
    let mine = channels(&s.user_id).await?;
    Ok(channels(other).await?.iter().any(|c| mine.contains(c)))
}

/// `GetDMNameFromIds`: the two ids in order, joined by `__`.
pub fn direct_channel_name(a: &str, b: &str) -> String {
    if a > b {
        format!("{b}__{a}")
    } else {
        format!("{a}__{b}")
    }
}

/// `GetGroupNameFromUserIds`: the SHA-1 (hex) of the sorted ids concatenated.
pub fn group_channel_name(ids: &[String]) -> String {
    use sha1::Digest;
    let mut sorted: Vec<&String> = ids.iter().collect();
    sorted.sort();
    let mut h = sha1::Sha1::new();
    for id in sorted {
        h.update(id.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn new_group_member(channel_id: &str, u: &User, now: i64) -> ChannelMember {
    let mut m = ChannelMember {
        channel_id: channel_id.to_string(),
        user_id: u.id.clone(),
        notify_props: channel::default_channel_notify_props(),
        last_update_at: now,
        scheme_guest: u.is_guest(),
        scheme_user: !u.is_guest(),
        ..Default::default()
    };
    m.compute_roles();
    m
}

/// The direct or group channel of that name, if it exists (archived included).
async fn existing_dm_or_gm(state: &AppState, name: &str) -> ApiResult<Option<Channel>> {
    state
        .store
        .get_channel_by_name("", name)
        .await
        .optional("app.channel.get_by_name.existing.app_error")
}

/// Inserts a direct or group channel with its members; `None` when another request created
/// it first (the caller answers with that one).
async fn insert_dm_or_gm(
    state: &AppState,
    c: &Channel,
    members: &[ChannelMember],
) -> ApiResult<Option<Channel>> {
    match state.store.insert_channel_with_members(c, members).await {
        Ok(()) => Ok(None),
        Err(rustmost_store::StoreError::Conflict { constraint })
            if constraint.contains("channels_name") =>
        {
            let existing = existing_dm_or_gm(state, &c.name).await?;
            existing.map(Some).ok_or_else(|| {
                ApiError::internal(
                    "app.channel.create_direct_channel.internal_error",
                    "vanished",
                )
            })
        }
        Err(e) => Err(ApiError::internal(
            "app.channel.create_direct_channel.internal_error",
            e,
        )),
    }
}

/// `createDirectChannel` + `GetOrCreateDirectChannel`: the direct channel of two users (one of
/// them the caller, unless the caller has `manage_system`), created with both as members and
/// announced with `direct_added`; an existing one is answered as it is. `[self]` is the
/// caller's channel with themselves.
pub async fn create_direct_channel(
    state: &AppState,
    s: &Session,
    mut user_ids: Vec<String>,
) -> ApiResult<Channel> {
    // Upstream's `NonSortedArrayFromJSON` drops repeats, keeping the first of each.
    let mut seen = HashSet::new();
    user_ids.retain(|u| seen.insert(u.clone()));
    if user_ids.len() == 1 && user_ids[0] == s.user_id {
        user_ids.push(user_ids[0].clone());
    }
    if user_ids.len() != 2 {
        return Err(ApiError::invalid_param("user_ids"));
    }
    if user_ids.iter().any(|u| !rustmost_model::is_valid_id(u)) {
        return Err(ApiError::invalid_param("user_id"));
    }
    let allowed = user_ids.contains(&s.user_id);
    authz::require(state, s, Permission::CreateDirectChannel)?;
    if !allowed {
        authz::require(state, s, Permission::ManageSystem)?;
    }
    let other = if user_ids[0] == s.user_id {
        &user_ids[1]
    } else {
        &user_ids[0]
    };
    if !can_see_user(state, s, other).await? {
        return Err(ApiError::permission(&s.user_id, &[Permission::ViewMembers]));
    }
    let (creator, teammate) = (&user_ids[0], &user_ids[1]);
    let name = direct_channel_name(creator, teammate);
    if let Some(c) = existing_dm_or_gm(state, &name).await? {
        return Ok(c);
    }
    if state
        .config
        .get()
        .str("/TeamSettings/RestrictDirectMessage")
        == "team"
        && !authz::has(state, s, Permission::ManageSystem)
    {
        let a = team_ids_of(state, creator).await?;
        if !team_ids_of(state, teammate)
            .await?
            .iter()
            .any(|t| a.contains(t))
        {
            return Err(ApiError::forbidden(
                "api.channel.create_channel.direct_channel.team_restricted_error",
            ));
        }
    }
    let users = state
        .store
        .get_users_by_ids(&user_ids, None)
        .await
        .map_err(|e| {
            ApiError::bad_request("api.channel.create_direct_channel.invalid_user.app_error")
                .detail(e.to_string())
        })?;
    let find = |id: &str| users.iter().find(|u| u.id == id).cloned();
    let (Some(cu), Some(tu)) = (find(creator), find(teammate)) else {
        return Err(ApiError::bad_request(
            "api.channel.create_direct_channel.invalid_user.app_error",
        )
        .detail(format!("No users found for ids: {creator}. {teammate}")));
    };
    insert_direct_channel(state, &cu, &tu).await
}

/// `GetOrCreateDirectChannel` once the caller may: the direct channel of `creator` and
/// `teammate` (the same user for one's own channel), created with both as members and announced
/// with `direct_added` when it does not exist yet.
pub async fn get_or_create_direct_channel(
    state: &AppState,
    creator: &User,
    teammate: &User,
) -> ApiResult<Channel> {
    let name = direct_channel_name(&creator.id, &teammate.id);
    if let Some(c) = existing_dm_or_gm(state, &name).await? {
        return Ok(c);
    }
    insert_direct_channel(state, creator, teammate).await
}

/// A new direct (`D`) or group (`G`) channel row: no team, not shared.
fn new_teamless(channel_type: &str, name: String, now: i64) -> Channel {
    Channel {
        id: new_id(),
        create_at: now,
        update_at: now,
        team_id: String::new(),
        channel_type: channel_type.into(),
        name,
        shared: Some(false),
        ..Default::default()
    }
}

/// Creates the direct channel of `cu` and `tu`, which the caller found missing, and announces it
/// with `direct_added`; answers with the other request's channel when one created it first.
async fn insert_direct_channel(state: &AppState, cu: &User, tu: &User) -> ApiResult<Channel> {
    let now = state.clock.now_ms();
    let c = Channel {
        creator_id: cu.id.clone(),
        ..new_teamless("D", direct_channel_name(&cu.id, &tu.id), now)
    };
    let mut members = vec![new_group_member(&c.id, cu, now)];
    if cu.id != tu.id {
        members.push(new_group_member(&c.id, tu, now));
    }
    if let Some(existing) = insert_dm_or_gm(state, &c, &members).await? {
        return Ok(existing);
    }
    state
        .events
        .publish(crate::realtime::events::direct_added(&c.id, &cu.id, &tu.id));
    get_channel(state, &c.id).await
}

/// `createGroupChannel` + `CreateGroupChannel`: a group channel of 3 to 8 users (the caller
/// added if absent), named after its members; each member gets `group_added`. An existing one
/// is answered as it is, with no event.
pub async fn create_group_channel(
    state: &AppState,
    s: &Session,
    mut user_ids: Vec<String>,
) -> ApiResult<Channel> {
    // Upstream's `SortedArrayFromJSON`: sorted, repeats dropped.
    user_ids.sort();
    user_ids.dedup();
    if user_ids.is_empty() {
        return Err(ApiError::invalid_param("user_ids"));
    }
    if user_ids.iter().any(|u| !rustmost_model::is_valid_id(u)) {
        return Err(ApiError::invalid_param("user_id"));
    }
    if !user_ids.contains(&s.user_id) {
        user_ids.push(s.user_id.clone());
    }
    authz::require(state, s, Permission::CreateGroupChannel)?;
    for u in &user_ids {
        if !can_see_user(state, s, u).await? {
            return Err(ApiError::permission(&s.user_id, &[Permission::ViewMembers]));
        }
    }
    if !(GROUP_MIN_USERS..=GROUP_MAX_USERS).contains(&user_ids.len()) {
        return Err(ApiError::bad_request(
            "api.channel.create_group.bad_size.app_error",
        ));
    }
    let users = state
        .store
        .get_users_by_ids(&user_ids, None)
        .await
        .or_internal("app.user.get_profiles.app_error")?;
    if users.len() != user_ids.len() {
        return Err(
            ApiError::bad_request("api.channel.create_group.bad_user.app_error").detail(format!(
                "user_ids={}",
                serde_json::to_string(&user_ids).unwrap_or_default()
            )),
        );
    }
    let mut names: Vec<&str> = users.iter().map(|u| u.username.as_str()).collect();
    names.sort();
    let mut display_name = names.join(", ");
    if display_name.len() > 64 {
        // Upstream cuts bytes; a cut inside a character would not be valid UTF-8.
        let mut end = 64;
        while !display_name.is_char_boundary(end) {
            end -= 1;
        }
        display_name.truncate(end);
    }
    let now = state.clock.now_ms();
    let c = Channel {
        display_name,
        ..new_teamless("G", group_channel_name(&user_ids), now)
    };
    let members: Vec<ChannelMember> = users
        .iter()
        .map(|u| new_group_member(&c.id, u, now))
        .collect();
    if let Some(existing) = insert_dm_or_gm(state, &c, &members).await? {
        return Ok(existing);
    }
    for u in &user_ids {
        state
            .events
            .publish(crate::realtime::events::group_added(&c.id, u, &user_ids));
    }
    get_channel(state, &c.id).await
}

/// `model.ChannelGroupMinUsers` / `ChannelGroupMaxUsers`.
pub const GROUP_MIN_USERS: usize = 3;
pub const GROUP_MAX_USERS: usize = 8;

/// `removeChannelMember`: removes `user_id` from a public or private channel. Removing
/// someone else needs `manage_public_channel_members` / `manage_private_channel_members`.
pub async fn remove_channel_member(
    state: &AppState,
    s: &Session,
    channel_id: &str,
    user_id: &str,
) -> ApiResult<()> {
    let c = get_channel(state, channel_id).await?;
    let user = users::get_user(state, user_id).await?;
    if !(c.is_open() || c.is_private()) {
        return Err(ApiError::bad_request(
            "api.channel.remove_channel_member.type.app_error",
        ));
    }
    if c.group_constrained == Some(true) && user_id != s.user_id && !user.is_bot {
        return Err(ApiError::bad_request(
            "api.channel.remove_member.group_constrained.app_error",
        ));
    }
    if user_id != s.user_id {
        let perm = if c.is_open() {
            Permission::ManagePublicChannelMembers
        } else {
            Permission::ManagePrivateChannelMembers
        };
        scoped_authz::require_channel(state, s, &c.id, perm).await?;
    }
    remove_user_from_channel(state, &c, &user, &s.user_id).await
}

/// `RemoveUserFromChannel`: drops the membership, tells the channel and the removed user
/// (`user_removed`), then says so in the channel: "left" when the user removed themselves,
/// "removed" otherwise. Town-square keeps its members (guests excepted).
pub async fn remove_user_from_channel(
    state: &AppState,
    c: &Channel,
    user: &User,
    remover_id: &str,
) -> ApiResult<()> {
    if c.name == DEFAULT_CHANNEL && !user.is_guest() {
        return Err(
            ApiError::bad_request("api.channel.remove.default.app_error")
                .param("Channel", DEFAULT_CHANNEL),
        );
    }
    state
        .store
        .get_channel_member(&c.id, &user.id)
        .await
        .or_not_found("app.channel.get_member.missing.app_error")?;
    state
        .store
        .delete_channel_member(&c.id, &user.id)
        .await
        .or_internal("app.channel.remove_member.app_error")?;
    crate::realtime::events::user_removed(state, &c.id, &user.id, remover_id);
    if user.id == remover_id {
        let msg = i18n::fill("api.channel.leave.left", &[&user.username]);
        let props = serde_json::json!({"username": user.username});
        posts::system_post(state, c, &user.id, "system_leave_channel", msg, props).await?;
    } else {
        // The removal stands even if its message cannot be posted, as upstream.
        let msg = i18n::fill(
            "api.channel.remove_member.removed",
            &[&format!("@{}", user.username)],
        );
        let props = serde_json::json!({"removedUserId": user.id, "removedUsername": user.username});
        if let Err(e) = posts::system_post(
            state,
            c,
            remover_id,
            "system_remove_from_channel",
            msg,
            props,
        )
        .await
        {
            tracing::error!(error = ?e.id, "Failed to post user removal message");
        }
    }
    Ok(())
}

/// `model.ChannelView`: the channel the user is now looking at and the one they left.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ChannelView {
    pub channel_id: String,
    pub prev_channel_id: String,
    pub collapsed_threads_supported: bool,
}

/// `viewChannel` + `ViewChannel`: marks the viewed and the previous channel read for
/// `user_id` (oneself, or `edit_other_users`), answers `{channel_id: last_viewed_at}` for the
/// channels that had something unread, and tells the user's other sessions
/// (`multiple_channels_viewed`, under `EnableChannelViewedMessages`). The body is decoded after
/// the permission check, as upstream.
pub async fn view_channel(
    state: &AppState,
    s: &Session,
    user_id: &str,
    decode: impl FnOnce() -> ApiResult<ChannelView>,
) -> ApiResult<std::collections::BTreeMap<String, i64>> {
    authz::require_permission_to_user(state, s, user_id).await?;
    let view = decode()?;
    if !view.channel_id.is_empty() && !rustmost_model::is_valid_id(&view.channel_id) {
        return Err(ApiError::invalid_param("channel_view.channel_id"));
    }
    if !view.prev_channel_id.is_empty() && !rustmost_model::is_valid_id(&view.prev_channel_id) {
        return Err(ApiError::invalid_param("channel_view.prev_channel_id"));
    }
    // `SetActiveChannel`: looking at a channel is activity.
    if !view.channel_id.is_empty() {
        crate::app::status::mark_active(state, user_id).await;
    }
    let ids: Vec<String> = [view.channel_id, view.prev_channel_id]
        .into_iter()
        .filter(|c| !c.is_empty())
        .collect();
    let viewed = state
        .store
        .view_channels(user_id, &ids, state.clock.now_ms())
        .await
        .or_internal("app.channel.update_last_viewed_at.app_error")?;
    if !viewed.is_empty()
        && state
            .config
            .get()
            .bool("/ServiceSettings/EnableChannelViewedMessages")
    {
        state
            .events
            .publish(crate::realtime::events::multiple_channels_viewed(
                user_id, &viewed,
            ));
    }
    Ok(viewed.into_iter().collect())
}

// ---- The channel endpoints' rules, for the caller's session (handlers are HTTP glue) ----

/// `createChannel`: `team_id` and `display_name` required (the generic body-parameter error,
/// the specific message only in `detailed_error`, as upstream's `SetInvalidParamWithDetails`);
/// `O` needs `create_public_channel`, `P` `create_private_channel` in the team.
pub async fn create_channel_as(state: &AppState, s: &Session, c: Channel) -> ApiResult<Channel> {
    let missing = |name: &str, detail_id: &str| {
        ApiError::invalid_param(name).detail(crate::error::lookup(detail_id).unwrap_or_default())
    };
    if c.team_id.is_empty() {
        return Err(missing(
            "team_id",
            "api.channel.create_channel.missing_team_id.error",
        ));
    }
    if c.display_name.is_empty() {
        return Err(missing(
            "display_name",
            "api.channel.create_channel.missing_display_name.error",
        ));
    }
    if c.is_open() {
        scoped_authz::require_team(state, s, &c.team_id, Permission::CreatePublicChannel).await?;
    } else if c.is_private() {
        scoped_authz::require_team(state, s, &c.team_id, Permission::CreatePrivateChannel).await?;
    }
    let creator = users::get_user(state, &s.user_id).await?;
    create_channel(state, c, &creator).await
}

/// `getAllChannels`: every public and private channel with team names, for
/// `sysconsole_read_user_management_channels` (or `..._groups`) holders.
pub async fn get_all_channels(
    state: &AppState,
    s: &Session,
    include_deleted: bool,
    page: Page,
) -> ApiResult<Vec<ChannelWithTeamData>> {
    let perms = [
        Permission::SysconsoleReadUserManagementGroups,
        Permission::SysconsoleReadUserManagementChannels,
    ];
    authz::require_any(state, s, &perms)?;
    state
        .store
        .list_all_channels(include_deleted, page)
        .await
        .or_internal("app.channel.get_all_channels.app_error")
}

/// Mattermost's read rule: `read_channel` in the channel, or for a public channel
/// `read_public_channel` in its team.
async fn can_read(state: &AppState, s: &Session, c: &Channel) -> ApiResult<bool> {
    Ok(
        scoped_authz::has_channel(state, s, &c.id, Permission::ReadChannel).await?
            || (c.is_open()
                && scoped_authz::has_team(state, s, &c.team_id, Permission::ReadPublicChannel)
                    .await?),
    )
}

/// `getChannel`: a channel the caller may read.
pub async fn get_channel_as(state: &AppState, s: &Session, id: &str) -> ApiResult<Channel> {
    let c = get_channel(state, id).await?;
    if !can_read(state, s, &c).await? {
        let perm = if c.is_open() {
            Permission::ReadPublicChannel
        } else {
            Permission::ReadChannel
        };
        return Err(ApiError::permission(&s.user_id, &[perm]));
    }
    Ok(c)
}

/// `getChannelByName`: a channel the caller may read; otherwise 404, as for a missing one.
/// Archived channels only with `include_deleted`.
pub async fn get_channel_by_name_as(
    state: &AppState,
    s: &Session,
    team_id: &str,
    name: &str,
    include_deleted: bool,
) -> ApiResult<Channel> {
    if !channel::is_valid_channel_name(name) {
        return Err(ApiError::invalid_url_param("channel_name"));
    }
    let missing = || {
        ApiError::not_found("app.channel.get_by_name.missing.app_error")
            .detail(format!("teamId={team_id}, channelName={name}"))
    };
    let c = state
        .store
        .get_channel_by_name(team_id, name)
        .await
        .map_err(|_| missing())?;
    if c.delete_at != 0 && !include_deleted {
        return Err(missing());
    }
    if !can_read(state, s, &c).await? {
        return Err(missing());
    }
    Ok(c)
}

/// `deleteChannel` (archive): not direct or group channels; `delete_public_channel` /
/// `delete_private_channel`; permanent deletion is not offered.
pub async fn delete_channel_as(
    state: &AppState,
    s: &Session,
    id: &str,
    permanent: bool,
) -> ApiResult<()> {
    let c = get_channel(state, id).await?;
    if c.is_group_or_direct() {
        return Err(ApiError::bad_request(
            "api.channel.delete_channel.type.invalid",
        ));
    }
    let perm = if c.is_open() {
        Permission::DeletePublicChannel
    } else {
        Permission::DeletePrivateChannel
    };
    scoped_authz::require_channel(state, s, id, perm).await?;
    if permanent {
        return Err(ApiError::unauthorized(
            "api.user.delete_channel.not_enabled.app_error",
        ));
    }
    let by = users::get_user(state, &s.user_id).await?;
    archive_channel(state, c, &by).await
}

/// `restoreChannel`: `manage_team` in the channel's team.
pub async fn restore_channel_as(state: &AppState, s: &Session, id: &str) -> ApiResult<Channel> {
    let c = get_channel(state, id).await?;
    scoped_authz::require_team(state, s, &c.team_id, Permission::ManageTeam).await?;
    let by = users::get_user(state, &s.user_id).await?;
    restore_channel(state, c, &by).await
}

/// `getChannelMembers`: memberships ordered by user id, paged (`read_channel`).
pub async fn get_channel_members(
    state: &AppState,
    s: &Session,
    id: &str,
    page: Page,
) -> ApiResult<Vec<ChannelMember>> {
    scoped_authz::require_channel(state, s, id, Permission::ReadChannel).await?;
    state
        .store
        .list_channel_members(id, page)
        .await
        .or_internal("app.channel.get_members.app_error")
}

/// `getChannelMember` (`read_channel`).
pub async fn get_channel_member(
    state: &AppState,
    s: &Session,
    channel_id: &str,
    user_id: &str,
) -> ApiResult<ChannelMember> {
    scoped_authz::require_channel(state, s, channel_id, Permission::ReadChannel).await?;
    state
        .store
        .get_channel_member(channel_id, user_id)
        .await
        .or_not_found("app.channel.get_member.missing.app_error")
}

/// `addChannelMember` for each of `user_ids` (valid ids, checked by the caller): joining a
/// public channel oneself needs the team's `join_public_channels`; adding others needs
/// `manage_public_channel_members`; private channels need `manage_private_channel_members`.
/// Adding oneself to a channel one already belongs to needs nothing and answers the existing
/// membership.
pub async fn add_channel_members(
    state: &AppState,
    s: &Session,
    id: &str,
    user_ids: &[String],
) -> ApiResult<Vec<ChannelMember>> {
    let c = get_channel(state, id).await?;
    if c.is_group_or_direct() {
        return Err(ApiError::bad_request(
            "api.channel.add_user_to_channel.type.app_error",
        ));
    }
    let requestor = users::get_user(state, &s.user_id).await?;
    let mut out = Vec::new();
    for uid in user_ids {
        let is_self = *uid == s.user_id;
        let is_new = state
            .store
            .get_channel_member(id, uid)
            .await
            .optional("app.channel.get_member.app_error")?
            .is_none();
        if c.is_open() {
            if is_self && is_new {
                scoped_authz::require_team(state, s, &c.team_id, Permission::JoinPublicChannels)
                    .await?;
            } else if !is_self {
                scoped_authz::require_channel(state, s, id, Permission::ManagePublicChannelMembers)
                    .await?;
            }
        } else if !is_self || is_new {
            // A member adding themselves again has nothing to do (answered with the
            // existing membership).
            scoped_authz::require_channel(state, s, id, Permission::ManagePrivateChannelMembers)
                .await?;
        }
        let u = users::get_user(state, uid).await?;
        out.push(add_user_to_channel(state, &c, &u, &requestor).await?);
    }
    Ok(out)
}

/// `getChannelStats` (`read_channel`): active members and pinned posts; files are not
/// stored, so `files_count` is 0.
pub async fn get_channel_stats(state: &AppState, s: &Session, id: &str) -> ApiResult<ChannelStats> {
    scoped_authz::require_channel(state, s, id, Permission::ReadChannel).await?;
    let c = get_channel(state, id).await?;
    let member_count = state
        .store
        .count_channel_members(&c.id)
        .await
        .or_internal("app.channel.get_member_count.app_error")?;
    let pinnedpost_count = state
        .store
        .count_pinned_posts(&c.id)
        .await
        .or_internal("app.channel.get_pinnedpost_count.app_error")?;
    Ok(ChannelStats {
        channel_id: c.id,
        member_count,
        guest_count: 0,
        pinnedpost_count,
        files_count: 0,
    })
}

/// `getPublicChannelsForTeam` (`list_team_channels`).
pub async fn get_public_channels_for_team(
    state: &AppState,
    s: &Session,
    team_id: &str,
    page: Page,
) -> ApiResult<Vec<Channel>> {
    scoped_authz::require_team(state, s, team_id, Permission::ListTeamChannels).await?;
    state
        .store
        .list_public_channels(team_id, page)
        .await
        .or_internal("app.channel.get_public_channels.get.app_error")
}

/// `searchChannelsForTeam` (`list_team_channels`): live public channels whose name or display
/// name (or a word of it) starts with `term`, at most 100.
pub async fn search_channels_for_team(
    state: &AppState,
    s: &Session,
    team_id: &str,
    term: &str,
) -> ApiResult<Vec<Channel>> {
    scoped_authz::require_team(state, s, team_id, Permission::ListTeamChannels).await?;
    let term = term.trim();
    // Names and display names are at most 64 characters, so a longer prefix matches nothing;
    // answering early also keeps huge terms away from SQLite's LIKE limits.
    if term.chars().count() > 64 {
        return Ok(Vec::new());
    }
    state
        .store
        .search_public_channels(team_id, term)
        .await
        .or_internal("app.channel.search.app_error")
}

/// `getChannelsForTeamForUser` / `getChannelsForUser`: the user's channels, in one team (which
/// needs `view_team`) or all; oneself or `edit_other_users`.
pub async fn get_channels_for_user(
    state: &AppState,
    s: &Session,
    user_id: &str,
    team_id: Option<&str>,
    include_deleted: bool,
    page: Option<Page>,
) -> ApiResult<Vec<Channel>> {
    authz::require_permission_to_user(state, s, user_id).await?;
    if let Some(t) = team_id {
        scoped_authz::require_team(state, s, t, Permission::ViewTeam).await?;
    }
    state
        .store
        .list_channels_for_user(user_id, team_id, include_deleted, page)
        .await
        .or_internal("app.channel.get_channels.get.app_error")
}
