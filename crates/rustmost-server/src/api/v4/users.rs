//! `/api/v4/users*`: accounts, login and logout, roles, passwords and sessions.

use crate::api::v4::ids::UserIdOrMe;
use crate::api::v4::{created, flag, map_from_json, ok, paging, parse_body, status_ok};
use crate::app::{self, activation, sessions, users};
use crate::auth::{AuthSession, MaybeSession};
use crate::error::{ApiError, ApiResult, StoreResultExt};
use crate::state::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use rustmost_model::user::{User, UserPatch};
use rustmost_store::UserQuery;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v4/users", post(create_user).get(get_users))
        .route("/api/v4/users/ids", post(get_users_by_ids))
        .route("/api/v4/users/stats", get(get_total_users_stats))
        .route("/api/v4/users/login", post(login))
        .route("/api/v4/users/logout", post(logout))
        .route(
            "/api/v4/users/sessions/revoke/all",
            post(revoke_all_sessions_all_users),
        )
        .route(
            "/api/v4/users/username/{username}",
            get(get_user_by_username),
        )
        .route("/api/v4/users/email/{email}", get(get_user_by_email))
        .route("/api/v4/users/{user_id}", get(get_user).delete(delete_user))
        .route("/api/v4/users/{user_id}/patch", put(patch_user))
        .route("/api/v4/users/{user_id}/active", put(update_user_active))
        .route("/api/v4/users/{user_id}/password", put(update_password))
        .route("/api/v4/users/{user_id}/roles", put(update_user_roles))
        .route("/api/v4/users/{user_id}/sessions", get(get_sessions))
        .route(
            "/api/v4/users/{user_id}/sessions/revoke",
            post(revoke_session),
        )
        .route(
            "/api/v4/users/{user_id}/sessions/revoke/all",
            post(revoke_all_sessions_for_user),
        )
}

/// # `POST /api/v4/users`
/// Creates an account (201). The first non-bot account becomes `system_admin system_user`;
/// afterwards anonymous sign-up needs `EnableSignUpWithEmail`, `EnableUserCreation` and
/// `EnableOpenServer`, while a system admin may always create users. Unknown keys are ignored
/// and `notify_props` values may be booleans (as n8n sends them).
async fn create_user(
    State(state): State<AppState>,
    s: MaybeSession,
    body: Bytes,
) -> ApiResult<Response> {
    let u: User = parse_body(&body, "user")?;
    let u = users::sign_up(&state, s.0.as_deref(), u).await?;
    Ok(created(users::sanitize_self(u)))
}

/// # `GET /api/v4/users/stats`
/// `{"total_users_count": N}`: the users not deactivated, bots included, for any session (as
/// upstream's `getTotalUsersStats`; the count is not narrowed to the users the caller shares a
/// team with, as `GET /users` is not either).
async fn get_total_users_stats(
    State(state): State<AppState>,
    _s: AuthSession,
) -> ApiResult<Response> {
    let n = state
        .store
        .count_active_users()
        .await
        .or_internal("app.user.get_total_users_count.app_error")?;
    Ok(ok(serde_json::json!({ "total_users_count": n })))
}

/// # `GET /api/v4/users`
/// A page of users (`page`, `per_page` default 60, max 200), ordered by username; `active`,
/// `inactive`, `role`, `in_team`, `not_in_team`, `in_channel`, `not_in_channel` (which needs
/// `in_team`) filter, with `view_team` / `read_channel` on the team or channel named. `sort`
/// is `create_at` or `last_activity_at` (with `in_team` alone), `status` or `admin` (with
/// `in_channel`). An out-of-range page is `[]`.
async fn get_users(
    State(state): State<AppState>,
    s: AuthSession,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let param = |k: &str| q.get(k).filter(|v| !v.is_empty()).cloned();
    let (in_team, not_in_team) = (param("in_team"), param("not_in_team"));
    let (in_channel, not_in_channel) = (param("in_channel"), param("not_in_channel"));
    let sort = q.get("sort").cloned().unwrap_or_default();
    if not_in_channel.is_some() && in_team.is_none() {
        return Err(ApiError::invalid_url_param("team_id"));
    }
    let team_sort = matches!(sort.as_str(), "last_activity_at" | "create_at");
    let channel_sort = matches!(sort.as_str(), "status" | "admin");
    if !(sort.is_empty() || team_sort || channel_sort)
        || (team_sort
            && (in_team.is_none()
                || not_in_team.is_some()
                || in_channel.is_some()
                || not_in_channel.is_some()
                || q.contains_key("without_team")))
        || (channel_sort && in_channel.is_none())
    {
        return Err(ApiError::invalid_url_param("sort"));
    }
    let (active, inactive) = (flag(&q, "active"), flag(&q, "inactive"));
    if active && inactive {
        return Err(ApiError::invalid_url_param("inactive"));
    }
    let uq = UserQuery {
        page: Some(paging(&q)),
        inactive,
        active,
        role: q.get("role").filter(|r| !r.is_empty()).cloned(),
        include_bots: true,
        in_team,
        not_in_team,
        in_channel,
        not_in_channel,
        sort,
        ..Default::default()
    };
    Ok(ok(users::list_as(&state, &s, uq).await?))
}

/// # `POST /api/v4/users/ids`
/// Users by id from a JSON array (`?since=ms` keeps only those updated since). Ids are trimmed,
/// so n8n's `"a, b"` split still finds `b` (a documented difference).
async fn get_users_by_ids(
    State(state): State<AppState>,
    s: AuthSession,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> ApiResult<Response> {
    let ids: Vec<String> = parse_body(&body, "user_ids")?;
    if ids.is_empty() {
        return Err(ApiError::invalid_param("user_ids"));
    }
    let mut ids: Vec<String> = ids.iter().map(|i| i.trim().to_string()).collect();
    ids.sort();
    ids.dedup();
    let since = match q.get("since") {
        Some(v) => Some(
            v.parse::<i64>()
                .map_err(|_| ApiError::invalid_param("since"))?,
        ),
        None => None,
    };
    let list = state
        .store
        .get_users_by_ids(&ids, since)
        .await
        .or_internal("app.user.get_profile_by_ids.app_error")?;
    let sanitizer = users::Sanitizer::new(&state, Some(&s));
    Ok(ok(list
        .into_iter()
        .map(|u| sanitizer.apply(u))
        .collect::<Vec<_>>()))
}

/// # `POST /api/v4/users/login`
/// Password login (200, the session secret in the `Token` header). Cookies (`MMAUTHTOKEN`,
/// `MMUSERID`, `MMCSRF`) are set only for `X-Requested-With: XMLHttpRequest`, `Secure` when
/// the server is reached over TLS (`SiteURL` is https or the listener is TLS). Deactivated
/// accounts, bots and accounts past `MaximumLoginAttempts` are refused.
async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let props = map_from_json(&body);
    let field = |k: &str| props.get(k).cloned().unwrap_or_default();
    let done = app::login::login(
        &state,
        &app::login::Credentials {
            login_id: field("login_id"),
            id: field("id"),
            password: field("password"),
            device_id: field("device_id"),
        },
    )
    .await?;
    let (user, session, secret) = (done.user, done.session, done.secret);
    let mut res = ok(users::sanitize_self(user.clone()));
    let h = res.headers_mut();
    h.insert(
        "Token",
        HeaderValue::from_str(&secret).expect("ids are ASCII"),
    );
    let xrw = headers
        .get("X-Requested-With")
        .and_then(|v| v.to_str().ok())
        == Some("XMLHttpRequest");
    if xrw {
        let max_age = (session.expires_at - session.create_at) / 1000;
        let sec = if served_over_tls(&state) {
            "; Secure"
        } else {
            ""
        };
        for c in [
            format!("MMAUTHTOKEN={secret}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{sec}"),
            format!(
                "MMUSERID={}; Path=/; Max-Age={max_age}; SameSite=Lax{sec}",
                user.id
            ),
            format!(
                "MMCSRF={}; Path=/; Max-Age={max_age}; SameSite=Lax{sec}",
                session.csrf().unwrap_or("")
            ),
        ] {
            h.append(
                header::SET_COOKIE,
                HeaderValue::from_str(&c).expect("cookie is ASCII"),
            );
        }
    }
    Ok(res)
}

/// Whether clients reach this server over TLS, from the configuration only: `SiteURL` is
/// https, or the listener itself is TLS. A client-supplied `X-Forwarded-Proto` is not trusted.
fn served_over_tls(state: &AppState) -> bool {
    let cfg = state.config.get();
    let site = cfg.str("/ServiceSettings/SiteURL");
    site.get(..8)
        .is_some_and(|p| p.eq_ignore_ascii_case("https://"))
        || cfg
            .str("/ServiceSettings/ConnectionSecurity")
            .eq_ignore_ascii_case("TLS")
}

/// # `POST /api/v4/users/logout`
/// Revokes the caller's session if there is one and clears the cookies; always 200.
async fn logout(State(state): State<AppState>, s: MaybeSession) -> ApiResult<Response> {
    if let Some(s) = s.0 {
        sessions::revoke_session(&state, &s.id).await?;
    }
    let mut res = status_ok();
    for name in ["MMAUTHTOKEN", "MMUSERID", "MMCSRF"] {
        let c = format!("{name}=; Path=/; Max-Age=0; HttpOnly");
        res.headers_mut().append(
            header::SET_COOKIE,
            HeaderValue::from_str(&c).expect("ASCII"),
        );
    }
    Ok(res)
}

/// # `GET /api/v4/users/{user_id}` (`me` allowed)
async fn get_user(
    State(state): State<AppState>,
    s: AuthSession,
    UserIdOrMe(id): UserIdOrMe,
) -> ApiResult<Response> {
    if id == s.user_id {
        return Ok(json_bytes(users::own_view_json(&state, &id).await?));
    }
    let u = users::get_user_cached(&state, &id).await?;
    Ok(ok(users::sanitize_for(&state, Some(&s), (*u).clone())))
}

/// A 200 with JSON already serialised, headed as [`ok`] heads it.
fn json_bytes(body: Bytes) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// # `GET /api/v4/users/username/{username}`
async fn get_user_by_username(
    State(state): State<AppState>,
    s: AuthSession,
    Path(username): Path<String>,
) -> ApiResult<Response> {
    if !rustmost_model::user::is_valid_username(&username) {
        return Err(ApiError::invalid_param("username"));
    }
    let u = state
        .store
        .get_user_by_username(&username)
        .await
        .or_not_found("app.user.get_by_username.app_error")?;
    Ok(ok(users::sanitize_for(&state, Some(&s), u)))
}

/// # `GET /api/v4/users/email/{email}`
/// `+` and `@` arrive raw in the path and are taken literally. Refused (403) when
/// `PrivacySettings.ShowEmailAddress` is off and the caller is not an admin.
async fn get_user_by_email(
    State(state): State<AppState>,
    s: AuthSession,
    Path(email): Path<String>,
) -> ApiResult<Response> {
    if !rustmost_model::user::is_valid_email(&email) {
        return Err(ApiError::invalid_url_param("email"));
    }
    Ok(ok(users::get_by_email_as(&state, &s, &email).await?))
}

/// # `PUT /api/v4/users/{user_id}/patch`
/// Changes profile fields (oneself, or `edit_other_users` for a non-admin); `password` is only
/// used to confirm one's own e-mail change.
async fn patch_user(
    State(state): State<AppState>,
    s: AuthSession,
    UserIdOrMe(id): UserIdOrMe,
    body: Bytes,
) -> ApiResult<Response> {
    let p: UserPatch = parse_body(&body, "user")?;
    let u = users::patch(&state, &s, &id, p).await?;
    Ok(ok(users::sanitize_for(&state, Some(&s), u)))
}

/// # `PUT /api/v4/users/{user_id}/active` `{"active": bool}`
/// Needs `sysconsole_write_user_management_users`, except that users may deactivate
/// themselves when `EnableUserDeactivation` is on. Deactivation ends every session. For a bot
/// the bot row follows its user, as through `/bots/{id}/enable|disable`.
async fn update_user_active(
    State(state): State<AppState>,
    s: AuthSession,
    UserIdOrMe(id): UserIdOrMe,
    body: Bytes,
) -> ApiResult<Response> {
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let Some(active) = v.get("active").and_then(serde_json::Value::as_bool) else {
        return Err(ApiError::invalid_param("active"));
    };
    activation::update_active(&state, &s, &id, active).await?;
    Ok(status_ok())
}

/// # `DELETE /api/v4/users/{user_id}`
/// Deactivates the account (oneself, `manage_system`, or `edit_other_users` for a non-admin).
/// Permanent deletion is not offered. For a bot the bot row is disabled with its user, as
/// `POST /bots/{id}/disable` does (Mattermost leaves the bot row untouched).
async fn delete_user(
    State(state): State<AppState>,
    s: AuthSession,
    UserIdOrMe(id): UserIdOrMe,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    activation::deactivate(&state, &s, &id, flag(&q, "permanent")).await?;
    Ok(status_ok())
}

/// # `PUT /api/v4/users/{user_id}/password` `{"current_password","new_password"}`
/// Oneself with the current password, or an admin (`sysconsole_write_user_management_users`)
/// without it. With `TerminateSessionsOnPasswordChange` every other session ends.
async fn update_password(
    State(state): State<AppState>,
    s: AuthSession,
    UserIdOrMe(id): UserIdOrMe,
    body: Bytes,
) -> ApiResult<Response> {
    let props = map_from_json(&body);
    let new_password = props.get("new_password").cloned().unwrap_or_default();
    let current = props.get("current_password").cloned().unwrap_or_default();
    users::update_password(&state, &s, &id, &current, &new_password).await?;
    Ok(status_ok())
}

/// Roles that Mattermost only lets a licensed server assign.
const LICENSED_ROLES: &[&str] = &[
    "system_user_manager",
    "system_read_only_admin",
    "system_manager",
];

/// # `PUT /api/v4/users/{user_id}/roles` `{"roles": "system_user ..."}`
/// Needs `manage_roles`. Every role must exist; the last system admin cannot be demoted; any
/// other body shape is 400 (`invalid_body_param`, `roles`). Live sessions (including
/// access-token sessions) get the new roles on their next request.
async fn update_user_roles(
    State(state): State<AppState>,
    s: AuthSession,
    info: crate::api::v4::audits::RequestInfo,
    UserIdOrMe(id): UserIdOrMe,
    body: Bytes,
) -> ApiResult<Response> {
    // Upstream reads the body with `MapFromJSON`, so anything but `{"roles": "<string>"}`
    // becomes `roles: ""` and strips the user of every role; here it is refused.
    let roles = match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(serde_json::Value::Object(mut o)) => match o.remove("roles") {
            Some(serde_json::Value::String(r)) => r,
            _ => return Err(ApiError::invalid_param("roles")),
        },
        _ => return Err(ApiError::invalid_param("roles")),
    };
    if !crate::app::roles::is_valid_user_roles(&roles) {
        return Err(ApiError::invalid_param("roles"));
    }
    if roles
        .split_whitespace()
        .any(|r| LICENSED_ROLES.contains(&r))
    {
        return Err(ApiError::bad_request(
            "api.user.update_user_roles.license.app_error",
        ));
    }
    users::update_roles_as(&state, &s, &id, &roles).await?;
    info.log(&state, &s, &format!("user={id} roles={roles}"))
        .await;
    Ok(status_ok())
}

/// # `GET /api/v4/users/{user_id}/sessions`
/// The user's sessions with secrets blanked (oneself, `manage_system`, or
/// `edit_other_users` for a target that is not a system admin; 403 naming `edit_other_users`).
async fn get_sessions(
    State(state): State<AppState>,
    s: AuthSession,
    UserIdOrMe(id): UserIdOrMe,
) -> ApiResult<Response> {
    let rows = users::sessions_of(&state, &s, &id).await?;
    Ok(ok(rows.iter().map(sessions::to_wire).collect::<Vec<_>>()))
}

/// # `POST /api/v4/users/{user_id}/sessions/revoke` `{"session_id"}`
async fn revoke_session(
    State(state): State<AppState>,
    s: AuthSession,
    UserIdOrMe(id): UserIdOrMe,
    body: Bytes,
) -> ApiResult<Response> {
    let props = map_from_json(&body);
    let sid = props.get("session_id").cloned().unwrap_or_default();
    users::revoke_session_of(&state, &s, &id, &sid).await?;
    Ok(status_ok())
}

/// # `POST /api/v4/users/{user_id}/sessions/revoke/all`
async fn revoke_all_sessions_for_user(
    State(state): State<AppState>,
    s: AuthSession,
    UserIdOrMe(id): UserIdOrMe,
) -> ApiResult<Response> {
    users::revoke_all_sessions_of(&state, &s, &id).await?;
    Ok(status_ok())
}

/// # `POST /api/v4/users/sessions/revoke/all`
/// Ends every session on the server (`manage_system`).
async fn revoke_all_sessions_all_users(
    State(state): State<AppState>,
    s: AuthSession,
) -> ApiResult<Response> {
    users::revoke_all_sessions_everyone(&state, &s).await?;
    Ok(status_ok())
}
