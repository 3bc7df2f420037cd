//! `/api/v4/teams*` and `/api/v4/users/{user_id}/teams`: teams and team members.

use crate::api::v4::ids::{PathId, UserIdOrMe};
use crate::api::v4::{created, ok, paging, parse_body, status_ok};
use crate::app::{authz, scoped_authz, teams, users};
use crate::auth::AuthSession;
use crate::error::{ApiError, ApiResult, StoreResultExt};
use crate::ratelimit::Limiters;
use crate::state::AppState;
use axum::Extension;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use rustmost_model::team::{Team, TeamMember};
use rustmost_model::{Permission, TeamId};
use rustmost_store::TeamListing;
use std::collections::HashMap;
use std::sync::Arc;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v4/teams", get(get_all_teams).post(create_team))
        .route("/api/v4/teams/{team_id}", get(get_team))
        .route("/api/v4/teams/name/{team_name}", get(get_team_by_name))
        .route(
            "/api/v4/teams/{team_id}/members",
            get(get_team_members).post(add_team_member),
        )
        .route(
            "/api/v4/teams/{team_id}/members/{user_id}",
            get(get_team_member).delete(remove_team_member),
        )
        .route("/api/v4/users/{user_id}/teams", get(get_teams_for_user))
        .route(
            "/api/v4/teams/{team_id}/invite/email",
            axum::routing::post(invite_users_to_team),
        )
}

/// The sender's name as `TeamSettings.TeammateNameDisplay` shows it.
fn display_name(u: &rustmost_model::user::User, format: &str) -> String {
    let full = format!("{} {}", u.first_name, u.last_name)
        .trim()
        .to_string();
    match format {
        "nickname_full_name" if !u.nickname.is_empty() => u.nickname.clone(),
        "nickname_full_name" | "full_name" if !full.is_empty() => full,
        _ => u.username.clone(),
    }
}

/// # `POST /api/v4/teams/{team_id}/invite/email`
/// Mails an invitation to each address (a bare JSON array, or `{"emails": [...]}`) through
/// `EmailSettings`' SMTP server. Needs `invite_user` and `add_user_to_team` in the team;
/// `ServiceSettings.EnableEmailInvitations` off answers 501
/// `api.team.invite_members.disabled.app_error`. Addresses outside the team's allowed domains
/// are refused. Each address spends one of the sender's invitations (20 an hour, burst 20, as
/// upstream; over it 413 `app.email.rate_limit_exceeded.app_error`, so one request carries at
/// most 21). The mails go out after the answer, as upstream a failed delivery is only logged.
/// Addresses are trimmed (n8n splits `"a, b"`), and the link is the team's invite link
/// (`/signup_user_complete/?id=`).
async fn invite_users_to_team(
    State(state): State<AppState>,
    Extension(limiters): Extension<Arc<Limiters>>,
    s: AuthSession,
    PathId(tid): PathId<TeamId>,
    body: Bytes,
) -> ApiResult<Response> {
    scoped_authz::require_team(&state, &s, &tid, Permission::InviteUser).await?;
    if !scoped_authz::has_team(&state, &s, &tid, Permission::AddUserToTeam).await? {
        return Err(ApiError::permission(&s.user_id, &[Permission::InviteUser]));
    }
    let v: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
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
    let t = teams::get_team(&state, &tid).await?;
    let sender = users::get_user(&state, &s.user_id).await?;
    // Each non-empty rule (the team's, then the server's) must accept the address on its own.
    let rules = [
        t.allowed_domains.as_str(),
        cfg.str("/TeamSettings/RestrictCreationToDomains"),
    ];
    let bad: Vec<&str> = emails
        .iter()
        .filter(|e| !teams::is_email_address_allowed(e, &rules))
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
    limiters.spend_invites(&s.user_id, emails.len())?;
    crate::app::email::send_in_background(cfg, t.id, emails, subject, text, html);
    Ok(status_ok())
}

/// # `POST /api/v4/teams`
/// Creates a team (201) with `town-square` and `off-topic`; the creator joins as team admin.
/// Needs `create_team` (else 403 `api.team.is_team_creation_allowed.disabled.app_error`).
async fn create_team(
    State(state): State<AppState>,
    s: AuthSession,
    body: Bytes,
) -> ApiResult<Response> {
    let mut t: Team = parse_body(&body, "team")?;
    t.email = t.email.to_lowercase();
    if !authz::has(&state, &s, Permission::CreateTeam) {
        return Err(ApiError::forbidden(
            "api.team.is_team_creation_allowed.disabled.app_error",
        ));
    }
    let creator = users::get_user(&state, &s.user_id).await?;
    let t = teams::create_team_with_user(&state, t, &creator).await?;
    Ok(created(t))
}

/// # `GET /api/v4/teams`
/// Live teams by display name, paged: all with `list_public_teams` and `list_private_teams`,
/// else only open or only invite-only ones, else `[]`.
async fn get_all_teams(
    State(state): State<AppState>,
    s: AuthSession,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let public = authz::has(&state, &s, Permission::ListPublicTeams);
    let private = authz::has(&state, &s, Permission::ListPrivateTeams);
    let which = match (public, private) {
        (true, true) => TeamListing::All,
        (true, false) => TeamListing::Open,
        (false, true) => TeamListing::Private,
        (false, false) => return Ok(ok(Vec::<Team>::new())),
    };
    let list = state
        .store
        .list_teams(which, paging(&q))
        .await
        .or_internal("app.team.get_all.app_error")?;
    let mut out = Vec::with_capacity(list.len());
    for t in list {
        out.push(teams::sanitize_for(&state, &s, t).await?);
    }
    Ok(ok(out))
}

async fn visible_team(state: &AppState, s: &AuthSession, t: Team) -> ApiResult<Response> {
    let open = t.allow_open_invite && t.team_type == rustmost_model::team::TEAM_OPEN;
    if !open && !scoped_authz::has_team(state, s, &t.id, Permission::ViewTeam).await? {
        return Err(ApiError::permission(&s.user_id, &[Permission::ViewTeam]));
    }
    Ok(ok(teams::sanitize_for(state, s, t).await?))
}

/// # `GET /api/v4/teams/{team_id}`
/// Needs `view_team`, except for open teams.
async fn get_team(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(id): PathId<TeamId>,
) -> ApiResult<Response> {
    let t = teams::get_team(&state, &id).await?;
    visible_team(&state, &s, t).await
}

/// # `GET /api/v4/teams/name/{team_name}`
async fn get_team_by_name(
    State(state): State<AppState>,
    s: AuthSession,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    if !rustmost_model::team::is_valid_team_name(&name) {
        return Err(ApiError::invalid_url_param("team_name"));
    }
    let t = state
        .store
        .get_team_by_name(&name)
        .await
        .or_not_found("app.team.get_by_name.missing.app_error")?;
    visible_team(&state, &s, t).await
}

/// # `GET /api/v4/users/{user_id}/teams`
/// The teams the user belongs to (oneself, or `read_other_users_teams`). Honours `page` and
/// `per_page` when given (Mattermost ignores them here; n8n's paging loop needs them).
async fn get_teams_for_user(
    State(state): State<AppState>,
    s: AuthSession,
    UserIdOrMe(id): UserIdOrMe,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    if id != s.user_id && !authz::has(&state, &s, Permission::ReadOtherUsersTeams) {
        return Err(ApiError::permission(
            &s.user_id,
            &[Permission::ReadOtherUsersTeams],
        ));
    }
    let page = (q.contains_key("page") || q.contains_key("per_page")).then(|| paging(&q));
    let list = state
        .store
        .list_teams_for_user(&id, page)
        .await
        .or_internal("app.team.get_all.app_error")?;
    let mut out = Vec::with_capacity(list.len());
    for t in list {
        out.push(teams::sanitize_for(&state, &s, t).await?);
    }
    Ok(ok(out))
}

/// # `GET /api/v4/teams/{team_id}/members`
/// Active members ordered by user id, paged (`view_team`).
async fn get_team_members(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(id): PathId<TeamId>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    scoped_authz::require_team(&state, &s, &id, Permission::ViewTeam).await?;
    let list = state
        .store
        .list_team_members(&id, paging(&q))
        .await
        .or_internal("app.team.get_members.app_error")?;
    Ok(ok(list))
}

/// # `GET /api/v4/teams/{team_id}/members/{user_id}`
async fn get_team_member(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(tid): PathId<TeamId>,
    UserIdOrMe(uid): UserIdOrMe,
) -> ApiResult<Response> {
    scoped_authz::require_team(&state, &s, &tid, Permission::ViewTeam).await?;
    let m = state
        .store
        .get_team_member(&tid, &uid)
        .await
        .or_not_found("app.team.get_member.missing.app_error")?;
    Ok(ok(m))
}

/// # `POST /api/v4/teams/{team_id}/members` `{"team_id","user_id"}`
/// Adds a user (201): joining oneself needs `join_public_teams` / `join_private_teams`,
/// adding another needs the team's `add_user_to_team`. The user joins the default channels.
async fn add_team_member(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(tid): PathId<TeamId>,
    body: Bytes,
) -> ApiResult<Response> {
    let m: TeamMember = rustmost_model::json::from_slice(&body).map_err(|e| {
        ApiError::bad_request("api.team.add_team_member.invalid_body.app_error")
            .detail(e.to_string())
    })?;
    if m.team_id != tid {
        return Err(ApiError::invalid_param("team_id"));
    }
    if !rustmost_model::is_valid_id(&m.user_id) {
        return Err(ApiError::invalid_param("user_id"));
    }
    if m.user_id == s.user_id {
        let t = teams::get_team(&state, &tid).await?;
        let perm = if t.allow_open_invite {
            Permission::JoinPublicTeams
        } else {
            Permission::JoinPrivateTeams
        };
        authz::require(&state, &s, perm)?;
    } else {
        scoped_authz::require_team(&state, &s, &tid, Permission::AddUserToTeam).await?;
    }
    let t = teams::get_team(&state, &tid).await?;
    let u = users::get_user(&state, &m.user_id).await?;
    let member = teams::join_user_to_team(&state, &t, &u, None).await?;
    Ok(created(member))
}

/// # `DELETE /api/v4/teams/{team_id}/members/{user_id}`
/// Removes a user from the team and all its channels (oneself, or `remove_user_from_team`).
async fn remove_team_member(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(tid): PathId<TeamId>,
    UserIdOrMe(uid): UserIdOrMe,
) -> ApiResult<Response> {
    if uid != s.user_id {
        scoped_authz::require_team(&state, &s, &tid, Permission::RemoveUserFromTeam).await?;
    }
    let t = teams::get_team(&state, &tid).await?;
    let u = users::get_user(&state, &uid).await?;
    let requestor = users::get_user(&state, &s.user_id).await?;
    teams::remove_user_from_team(&state, &t, &u, &requestor).await?;
    Ok(status_ok())
}
