//! Teams: validation, creation (with the default channels, the creator as team admin),
//! joining and leaving, and what a viewer may see of a team.

use crate::app::i18n::fill;
use crate::app::{authz, channels, posts, scoped_authz, users};
use crate::error::{ApiError, ApiResult, StoreResultExt};
use crate::state::{AppState, Session};
use rustmost_model::Permission;
use rustmost_model::channel::{CHANNEL_OPEN, Channel, DEFAULT_CHANNEL, OFF_TOPIC_CHANNEL};
use rustmost_model::new_id;
use rustmost_model::team::{self, Team, TeamMember};
use rustmost_model::user::{self, User};
use rustmost_store::{Page, StoreError, TeamListing};

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

// ---- What the team endpoints do for a caller: permission first, then the work ----

/// `CreateTeam` for the session's user: `create_team`, else 403
/// `api.team.is_team_creation_allowed.disabled.app_error`; the creator joins as team admin.
pub async fn create_team(state: &AppState, s: &Session, t: Team) -> ApiResult<Team> {
    if !authz::has(state, s, Permission::CreateTeam) {
        return Err(ApiError::forbidden(
            "api.team.is_team_creation_allowed.disabled.app_error",
        ));
    }
    let creator = users::get_user(state, &s.user_id).await?;
    create_team_with_user(state, t, &creator).await
}

/// Live teams by display name, paged: all with `list_public_teams` and `list_private_teams`,
/// else only open or only invite-only ones, else none.
pub async fn get_all_teams(state: &AppState, s: &Session, page: Page) -> ApiResult<Vec<Team>> {
    let Some(which) = listable_teams(state, s) else {
        return Ok(Vec::new());
    };
    let list = state
        .store
        .list_teams(which, page)
        .await
        .or_internal("app.team.get_all.app_error")?;
    sanitize_all_for(state, s, list).await
}

/// How many teams [`get_all_teams`] gives the session over all pages (`include_total_count`).
pub async fn count_all_teams(state: &AppState, s: &Session) -> ApiResult<i64> {
    let Some(which) = listable_teams(state, s) else {
        return Ok(0);
    };
    state
        .store
        .count_teams(which)
        .await
        .or_internal("app.team.get_all.app_error")
}

/// The teams the session may list, by `list_public_teams` / `list_private_teams`; none without both.
fn listable_teams(state: &AppState, s: &Session) -> Option<TeamListing> {
    let public = authz::has(state, s, Permission::ListPublicTeams);
    let private = authz::has(state, s, Permission::ListPrivateTeams);
    match (public, private) {
        (true, true) => Some(TeamListing::All),
        (true, false) => Some(TeamListing::Open),
        (false, true) => Some(TeamListing::Private),
        (false, false) => None,
    }
}

async fn sanitize_all_for(state: &AppState, s: &Session, list: Vec<Team>) -> ApiResult<Vec<Team>> {
    let mut out = Vec::with_capacity(list.len());
    for t in list {
        out.push(sanitize_for(state, s, t).await?);
    }
    Ok(out)
}

/// The team as the session may see it: `view_team`, except for open teams.
async fn visible_team(state: &AppState, s: &Session, t: Team) -> ApiResult<Team> {
    let open = t.allow_open_invite && t.team_type == team::TEAM_OPEN;
    if !open && !scoped_authz::has_team(state, s, &t.id, Permission::ViewTeam).await? {
        return Err(ApiError::permission(&s.user_id, &[Permission::ViewTeam]));
    }
    sanitize_for(state, s, t).await
}

/// `GET /teams/{id}` for the session.
pub async fn view_team(state: &AppState, s: &Session, id: &str) -> ApiResult<Team> {
    let t = get_team(state, id).await?;
    visible_team(state, s, t).await
}

/// `GET /teams/name/{name}` for the session (the name already checked for shape).
pub async fn view_team_by_name(state: &AppState, s: &Session, name: &str) -> ApiResult<Team> {
    let t = state
        .store
        .get_team_by_name(name)
        .await
        .or_not_found("app.team.get_by_name.missing.app_error")?;
    visible_team(state, s, t).await
}

/// The teams a user belongs to: oneself, or `read_other_users_teams`.
pub async fn get_teams_for_user(
    state: &AppState,
    s: &Session,
    user_id: &str,
    page: Option<Page>,
) -> ApiResult<Vec<Team>> {
    if user_id != s.user_id {
        authz::require(state, s, Permission::ReadOtherUsersTeams)?;
    }
    let list = state
        .store
        .list_teams_for_user(user_id, page)
        .await
        .or_internal("app.team.get_all.app_error")?;
    sanitize_all_for(state, s, list).await
}

/// Active members ordered by user id, paged (`view_team`).
pub async fn get_team_members(
    state: &AppState,
    s: &Session,
    team_id: &str,
    page: Page,
) -> ApiResult<Vec<TeamMember>> {
    scoped_authz::require_team(state, s, team_id, Permission::ViewTeam).await?;
    state
        .store
        .list_team_members(team_id, page)
        .await
        .or_internal("app.team.get_members.app_error")
}

/// One membership (`view_team`).
pub async fn get_team_member(
    state: &AppState,
    s: &Session,
    team_id: &str,
    user_id: &str,
) -> ApiResult<TeamMember> {
    scoped_authz::require_team(state, s, team_id, Permission::ViewTeam).await?;
    state
        .store
        .get_team_member(team_id, user_id)
        .await
        .or_not_found("app.team.get_member.missing.app_error")
}

/// Adds a user to the team: joining oneself needs `join_public_teams` /
/// `join_private_teams`, adding another the team's `add_user_to_team`.
pub async fn add_team_member(
    state: &AppState,
    s: &Session,
    team_id: &str,
    user_id: &str,
) -> ApiResult<TeamMember> {
    if user_id == s.user_id {
        let t = get_team(state, team_id).await?;
        let perm = if t.allow_open_invite {
            Permission::JoinPublicTeams
        } else {
            Permission::JoinPrivateTeams
        };
        authz::require(state, s, perm)?;
    } else {
        scoped_authz::require_team(state, s, team_id, Permission::AddUserToTeam).await?;
    }
    let t = get_team(state, team_id).await?;
    let u = users::get_user(state, user_id).await?;
    join_user_to_team(state, &t, &u, None).await
}

/// Removes a user from the team and all its channels: oneself, or `remove_user_from_team`.
pub async fn remove_team_member(
    state: &AppState,
    s: &Session,
    team_id: &str,
    user_id: &str,
) -> ApiResult<()> {
    if user_id != s.user_id {
        scoped_authz::require_team(state, s, team_id, Permission::RemoveUserFromTeam).await?;
    }
    let t = get_team(state, team_id).await?;
    let u = users::get_user(state, user_id).await?;
    let requestor = users::get_user(state, &s.user_id).await?;
    remove_user_from_team(state, &t, &u, &requestor).await
}

/// What an e-mail invitation needs once the caller may send it.
pub struct Invitation {
    pub team: Team,
    pub emails: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The sender's name as `TeamSettings.TeammateNameDisplay` shows it.
fn display_name(u: &User, format: &str) -> String {
    let full = format!("{} {}", u.first_name, u.last_name)
        .trim()
        .to_string();
    match format {
        "nickname_full_name" if !u.nickname.is_empty() => u.nickname.clone(),
        "nickname_full_name" | "full_name" if !full.is_empty() => full,
        _ => u.username.clone(),
    }
}

/// `InviteNewUsersToTeam` up to the mail: `invite_user` and `add_user_to_team` in the team;
/// the body a bare JSON array of addresses or `{"emails": [...]}` (trimmed, lowercased);
/// `EnableEmailInvitations` on; every address inside the team's and the server's allowed
/// domains. The caller spends the sender's invitations and sends the mails.
pub async fn prepare_invitation(
    state: &AppState,
    s: &Session,
    team_id: &str,
    body: &[u8],
) -> ApiResult<Invitation> {
    scoped_authz::require_team(state, s, team_id, Permission::InviteUser).await?;
    if !scoped_authz::has_team(state, s, team_id, Permission::AddUserToTeam).await? {
        return Err(ApiError::permission(&s.user_id, &[Permission::InviteUser]));
    }
    let v: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request("api.team.invite_members_to_team_and_channels.invalid_body.app_error")
            .detail(e.to_string())
    })?;
    let list = match &v {
        serde_json::Value::Array(a) => Some(a),
        serde_json::Value::Object(o) => o.get("emails").and_then(|e| e.as_array()),
        _ => None,
    };
    let Some(list) = list else {
        return Err(ApiError::bad_request(
            "api.team.invite_members_to_team_and_channels.invalid_body.app_error",
        ));
    };
    let emails: Vec<String> = list
        .iter()
        .filter_map(|e| e.as_str())
        .map(|e| e.trim().to_lowercase())
        .filter(|e| !e.is_empty())
        .collect();
    if emails.is_empty() {
        return Err(ApiError::invalid_param("user_email"));
    }
    let cfg = state.config.get();
    if !cfg.bool("/ServiceSettings/EnableEmailInvitations") {
        return Err(ApiError::not_implemented(
            "api.team.invite_members.disabled.app_error",
        ));
    }
    let t = get_team(state, team_id).await?;
    let sender = users::get_user(state, &s.user_id).await?;
    // Each non-empty rule (the team's, then the server's) must accept the address on its own.
    let rules = [
        t.allowed_domains.as_str(),
        cfg.str("/TeamSettings/RestrictCreationToDomains"),
    ];
    let bad: Vec<&str> = emails
        .iter()
        .filter(|e| !is_email_address_allowed(e, &rules))
        .map(String::as_str)
        .collect();
    if !bad.is_empty() {
        return Err(
            ApiError::bad_request("api.team.invite_members.invalid_email.app_error")
                .param("Addresses", bad.join(", ")),
        );
    }
    let sender_name = display_name(&sender, cfg.str("/TeamSettings/TeammateNameDisplay"));
    let link = format!(
        "{}/signup_user_complete/?id={}",
        cfg.str("/ServiceSettings/SiteURL").trim_end_matches('/'),
        t.invite_id
    );
    let (subject, text, html) = crate::app::email::invite_mail(
        cfg.str("/TeamSettings/SiteName"),
        &sender_name,
        &t.display_name,
        &link,
    );
    Ok(Invitation {
        team: t,
        emails,
        subject,
        text,
        html,
    })
}
