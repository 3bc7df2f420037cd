//! Teams: validation, creation (with the default channels, the creator as team admin),
//! joining and leaving, and what a viewer may see of a team.

use crate::app::i18n::fill;
use crate::app::{channels, posts, scoped_authz};
use crate::error::{ApiError, ApiResult, StoreResultExt};
use crate::state::{AppState, Session};
use rustmost_model::Permission;
use rustmost_model::channel::{CHANNEL_OPEN, Channel, DEFAULT_CHANNEL, OFF_TOPIC_CHANNEL};
use rustmost_model::new_id;
use rustmost_model::team::{self, Team, TeamMember};
use rustmost_model::user::{self, User};
use rustmost_store::{Page, StoreError};

pub const TEAM_NOT_FOUND: &str = "app.team.get.find.app_error";

pub async fn get_team(state: &AppState, id: &str) -> ApiResult<Team> {
    state.store.get_team(id).await.or_not_found(TEAM_NOT_FOUND)
}

/// `Team.IsValid` for the fields a client sets.
pub fn validate_team(t: &Team) -> ApiResult<()> {
    let bad = |f: &str| {
        Err(
            ApiError::bad_request(format!("model.team.is_valid.{f}.app_error"))
                .detail(format!("id={}", t.id)),
        )
    };
    if t.email.len() > 128 || (!t.email.is_empty() && !user::is_valid_email(&t.email)) {
        return bad("email");
    }
    let dn = t.display_name.chars().count();
    if dn == 0 || dn > 64 {
        return bad("name");
    }
    if t.name.len() > 64 {
        return bad("url");
    }
    if t.description.chars().count() > 255 {
        return bad("description");
    }
    if !t.invite_id.is_empty() && !rustmost_model::is_valid_id(&t.invite_id) {
        return bad("invite_id");
    }
    if team::is_reserved_team_name(&t.name) {
        return bad("reserved");
    }
    if !team::is_valid_team_name(&t.name) {
        return bad("characters");
    }
    if t.team_type != team::TEAM_OPEN && t.team_type != team::TEAM_INVITE {
        return bad("type");
    }
    if t.company_name.chars().count() > 64 {
        return bad("company");
    }
    if t.allowed_domains.chars().count() > 1000 {
        return bad("domains");
    }
    Ok(())
}

/// `CreateTeamWithUser`: saves the team with the creator's e-mail (which makes the creator its
/// admin on joining), creates `town-square` and `off-topic`, and joins the creator.
pub async fn create_team_with_user(
    state: &AppState,
    mut t: Team,
    creator: &User,
) -> ApiResult<Team> {
    let now = state.clock.now_ms();
    t.id = new_id();
    t.create_at = now;
    t.update_at = now;
    t.delete_at = 0;
    t.email = creator.email.clone();
    t.invite_id = new_id();
    t.last_team_icon_update = 0;
    t.scheme_id = None;
    t.policy_id = None;
    if t.group_constrained.is_none() {
        t.group_constrained = Some(false);
    }
    validate_team(&t)?;
    state
        .store
        .insert_team(&t)
        .await
        .on_conflict("teams_name", "app.team.save.existing.app_error")
        .or_internal("app.team.save.app_error")?;
    for (name, label) in [
        (
            DEFAULT_CHANNEL,
            "api.channel.create_default_channels.town_square",
        ),
        (
            OFF_TOPIC_CHANNEL,
            "api.channel.create_default_channels.off_topic",
        ),
    ] {
        let c = Channel {
            id: new_id(),
            create_at: now,
            update_at: now,
            team_id: t.id.clone(),
            channel_type: CHANNEL_OPEN.into(),
            display_name: crate::error::lookup(label).unwrap_or_else(|| name.to_string()),
            name: name.into(),
            group_constrained: Some(false),
            ..Default::default()
        };
        state
            .store
            .insert_channel(&c)
            .await
            .or_internal("app.channel.create_channel.internal_error")?;
    }
    join_user_to_team(state, &t, creator, None).await?;
    Ok(t)
}

/// `JoinUserToTeam`: creates (or revives) the membership, joins the default channels and
/// announces it in town-square. `requestor` is who added the user (`None` for self-join).
pub async fn join_user_to_team(
    state: &AppState,
    t: &Team,
    u: &User,
    requestor: Option<&User>,
) -> ApiResult<TeamMember> {
    if let Some(m) = state
        .store
        .get_team_member(&t.id, &u.id)
        .await
        .optional("app.team.get_member.app_error")?
        && m.delete_at == 0
    {
        return Ok(m);
    }
    let max = state.config.get().i64("/TeamSettings/MaxUsersPerTeam");
    if max > 0 {
        let n = state
            .store
            .list_team_members(
                &t.id,
                Page {
                    page: 0,
                    per_page: max,
                },
            )
            .await
            .or_internal("app.team.get_active_member_count.app_error")?
            .len() as i64;
        if n >= max {
            return Err(ApiError::bad_request(
                "app.team.join_user_to_team.max_accounts.app_error",
            ));
        }
    }
    let mut m = TeamMember {
        team_id: t.id.clone(),
        user_id: u.id.clone(),
        scheme_user: true,
        scheme_admin: !t.email.is_empty() && t.email == u.email,
        create_at: state.clock.now_ms(),
        ..Default::default()
    };
    m.compute_roles();
    state
        .store
        .save_team_member(&m)
        .await
        .or_internal("app.team.join_user_to_team.save_member.app_error")?;
    state
        .events
        .publish(crate::realtime::events::added_to_team(&t.id, &u.id));
    for name in [DEFAULT_CHANNEL, OFF_TOPIC_CHANNEL] {
        let Ok(c) = state.store.get_channel_by_name(&t.id, name).await else {
            continue;
        };
        if c.delete_at != 0 {
            continue;
        }
        channels::save_new_member(state, &c, u, false).await?;
        state
            .events
            .publish(crate::realtime::events::user_added(&c, &u.id));
        if name == DEFAULT_CHANNEL {
            match requestor {
                Some(r) if r.id != u.id => {
                    let msg = fill(
                        "api.team.add_user_to_team.added",
                        &[&u.username, &r.username],
                    );
                    let props = serde_json::json!({
                        "userId": r.id, "username": r.username,
                        "addedUserId": u.id, "addedUsername": u.username,
                    });
                    posts::system_post(state, &c, &r.id, "system_add_to_team", msg, props).await?;
                }
                _ => {
                    let msg = fill("api.team.join_team.post_and_forget", &[&u.username]);
                    let props = serde_json::json!({"username": u.username});
                    posts::system_post(state, &c, &u.id, "system_join_team", msg, props).await?;
                }
            }
        }
    }
    Ok(m)
}

/// `LeaveTeam`/`RemoveUserFromTeam`: announces it, leaves every channel of the team, and marks
/// the membership removed.
pub async fn remove_user_from_team(
    state: &AppState,
    t: &Team,
    u: &User,
    requestor: &User,
) -> ApiResult<()> {
    let mut m = match state.store.get_team_member(&t.id, &u.id).await {
        Ok(m) if m.delete_at == 0 => m,
        Ok(_) | Err(StoreError::NotFound) => {
            return Err(ApiError::bad_request(
                "api.team.remove_user_from_team.missing.app_error",
            ));
        }
        Err(e) => return Err(ApiError::internal("app.team.get_member.app_error", e)),
    };
    if let Some(c) = state
        .store
        .get_channel_by_name(&t.id, DEFAULT_CHANNEL)
        .await
        .optional("app.channel.get_by_name.existing.app_error")?
    {
        if requestor.id == u.id {
            let msg = fill("api.team.leave.left", &[&u.username]);
            let props = serde_json::json!({"username": u.username});
            posts::system_post(state, &c, &u.id, "system_leave_team", msg, props).await?;
        } else {
            let msg = fill("api.team.remove_user_from_team.removed", &[&u.username]);
            let props = serde_json::json!({"removedUserId": u.id, "removedUsername": u.username});
            posts::system_post(
                state,
                &c,
                &requestor.id,
                "system_remove_from_team",
                msg,
                props,
            )
            .await?;
        }
    }
    state
        .store
        .delete_team_channel_members(&t.id, &u.id)
        .await
        .or_internal("app.channel.remove_member.app_error")?;
    m.delete_at = state.clock.now_ms();
    state
        .store
        .save_team_member(&m)
        .await
        .or_internal("app.team.remove_member.app_error")?;
    crate::realtime::events::leave_team(state, &t.id, &u.id);
    Ok(())
}

/// The team as the session may see it (`SanitizeTeam`): without `manage_team` the e-mail and
/// invite id are blanked.
pub async fn sanitize_for(state: &AppState, s: &Session, mut t: Team) -> ApiResult<Team> {
    if !scoped_authz::has_team(state, s, &t.id, Permission::ManageTeam).await? {
        t.sanitize();
    }
    Ok(t)
}

/// Domain lists as written in settings (`"@corp.example.com, example.org"`): `@` and `,` are
/// optional separators, case does not matter.
fn normalize_domains(domains: &str) -> Vec<String> {
    domains
        .to_lowercase()
        .replace(['@', ','], " ")
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// `IsEmailAddressAllowed`: the address must end in one of the domains of EVERY non-empty
/// rule (an empty rule allows anything).
pub fn is_email_address_allowed(email: &str, rules: &[&str]) -> bool {
    rules.iter().all(|rule| {
        let domains = normalize_domains(rule);
        domains.is_empty() || domains.iter().any(|d| email.ends_with(&format!("@{d}")))
    })
}
