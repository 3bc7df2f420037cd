//! `/api/v4/teams*` and `/api/v4/users/{user_id}/teams`: teams and team members.

use crate::api::v4::ids::{PathId, UserIdOrMe};
use crate::api::v4::{created, flag, ok, paging, parse_body, status_ok};
use crate::app::teams;
use crate::auth::AuthSession;
use crate::error::{ApiError, ApiResult};
use crate::ratelimit::Limiters;
use crate::state::AppState;
use axum::Extension;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use rustmost_model::TeamId;
use rustmost_model::team::{Team, TeamMember};
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
    let inv = teams::prepare_invitation(&state, &s, &tid, &body).await?;
    limiters.spend_invites(&s.user_id, inv.emails.len())?;
    crate::app::email::send_in_background(
        state.config.get(),
        inv.team.id,
        inv.emails,
        inv.subject,
        inv.text,
        inv.html,
    );
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
    Ok(created(teams::create_team(&state, &s, t).await?))
}

/// # `GET /api/v4/teams`
/// Live teams by display name, paged: all with `list_public_teams` and `list_private_teams`,
/// else only open or only invite-only ones, else `[]`.
async fn get_all_teams(
    State(state): State<AppState>,
    s: AuthSession,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let list = teams::get_all_teams(&state, &s, paging(&q)).await?;
    if !flag(&q, "include_total_count") {
        return Ok(ok(list));
    }
    let total = teams::count_all_teams(&state, &s).await?;
    Ok(ok(
        serde_json::json!({ "teams": list, "total_count": total }),
    ))
}

/// # `GET /api/v4/teams/{team_id}`
/// Needs `view_team`, except for open teams.
async fn get_team(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(id): PathId<TeamId>,
) -> ApiResult<Response> {
    Ok(ok(teams::view_team(&state, &s, &id).await?))
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
    Ok(ok(teams::view_team_by_name(&state, &s, &name).await?))
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
    let page = (q.contains_key("page") || q.contains_key("per_page")).then(|| paging(&q));
    Ok(ok(teams::get_teams_for_user(&state, &s, &id, page).await?))
}

/// # `GET /api/v4/teams/{team_id}/members`
/// Active members ordered by user id, paged (`view_team`).
async fn get_team_members(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(id): PathId<TeamId>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    Ok(ok(
        teams::get_team_members(&state, &s, &id, paging(&q)).await?
    ))
}

/// # `GET /api/v4/teams/{team_id}/members/{user_id}`
async fn get_team_member(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(tid): PathId<TeamId>,
    UserIdOrMe(uid): UserIdOrMe,
) -> ApiResult<Response> {
    Ok(ok(teams::get_team_member(&state, &s, &tid, &uid).await?))
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
    Ok(created(
        teams::add_team_member(&state, &s, &tid, &m.user_id).await?,
    ))
}

/// # `DELETE /api/v4/teams/{team_id}/members/{user_id}`
/// Removes a user from the team and all its channels (oneself, or `remove_user_from_team`).
async fn remove_team_member(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(tid): PathId<TeamId>,
    UserIdOrMe(uid): UserIdOrMe,
) -> ApiResult<Response> {
    teams::remove_team_member(&state, &s, &tid, &uid).await?;
    Ok(status_ok())
}
