//! `/api/v4/commands*`, `/api/v4/teams/{team_id}/commands/*` and the `response_url` endpoint
//! `POST /hooks/commands/{id}`: slash command management, execution and later answers.

use crate::api::v4::ids::PathId;
use crate::api::v4::{created, flag, ok, parse_body, status_ok};
use crate::app::commands::{self, CommandArgs};
use crate::auth::AuthSession;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use rustmost_model::command::Command;
use rustmost_model::{CommandId, TeamId};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v4/commands", post(create_command).get(list_commands))
        .route("/api/v4/commands/execute", post(execute_command))
        .route(
            "/api/v4/commands/{command_id}",
            get(get_command).put(update_command).delete(delete_command),
        )
        .route("/api/v4/commands/{command_id}/move", put(move_command))
        .route(
            "/api/v4/commands/{command_id}/regen_token",
            put(regen_command_token),
        )
        .route(
            "/api/v4/teams/{team_id}/commands/autocomplete",
            get(list_autocomplete_commands),
        )
        .route(
            "/api/v4/teams/{team_id}/commands/autocomplete_suggestions",
            get(autocomplete_suggestions),
        )
        .route("/hooks/commands/{hook_id}", post(command_webhook))
}

/// # `POST /api/v4/commands`
/// Creates a custom command for `team_id` (201) with the caller as creator. Needs
/// `manage_own_slash_commands` (or the older `manage_slash_commands`) in the team.
async fn create_command(
    State(state): State<AppState>,
    s: AuthSession,
    body: Bytes,
) -> ApiResult<Response> {
    let c: Command = parse_body(&body, "command")?;
    Ok(created(commands::create_command_for(&state, &s, c).await?))
}

/// # `GET /api/v4/commands?team_id=&custom_only=`
/// `custom_only=true`: the team's custom commands with their tokens (only the caller's own
/// without `manage_others_slash_commands`); otherwise the built-in and the team's commands,
/// sanitized (only those offered by autocomplete without `manage_own_slash_commands`).
async fn list_commands(
    State(state): State<AppState>,
    s: AuthSession,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let team_id = q.get("team_id").cloned().unwrap_or_default();
    if team_id.is_empty() {
        return Err(ApiError::invalid_param("team_id"));
    }
    let custom_only = flag(&q, "custom_only");
    Ok(ok(commands::list_commands_for(
        &state,
        &s,
        &team_id,
        custom_only,
    )
    .await?))
}

/// # `GET /api/v4/commands/{command_id}`
/// Any failure, permissions included, is 404 `store.sql_command.save.get.app_error`.
async fn get_command(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(id): PathId<CommandId>,
) -> ApiResult<Response> {
    Ok(ok(commands::view_command(&state, &s, &id).await?))
}

/// # `PUT /api/v4/commands/{command_id}`
/// Replaces the editable fields; the body's `id` must be the path's and its `team_id` the
/// stored one (400 `api.command.team_mismatch.app_error`). The token stays.
async fn update_command(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(id): PathId<CommandId>,
    body: Bytes,
) -> ApiResult<Response> {
    let c: Command = parse_body(&body, "command")?;
    Ok(ok(commands::update_command_for(&state, &s, &id, c).await?))
}

/// # `DELETE /api/v4/commands/{command_id}`
async fn delete_command(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(id): PathId<CommandId>,
) -> ApiResult<Response> {
    let c = commands::command_for(&state, &s, &id).await?;
    commands::delete_command(&state, &c.id).await?;
    Ok(status_ok())
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct MoveRequest {
    team_id: String,
}

/// # `PUT /api/v4/commands/{command_id}/move` `{"team_id"}`
/// Needs `manage_own_slash_commands` in both teams (and `manage_others` for someone else's
/// command); the creator must also be allowed to manage commands in the new team.
async fn move_command(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(id): PathId<CommandId>,
    body: Bytes,
) -> ApiResult<Response> {
    let req: MoveRequest = parse_body(&body, "team_id")?;
    commands::move_command_for(&state, &s, &id, &req.team_id).await?;
    Ok(status_ok())
}

/// # `PUT /api/v4/commands/{command_id}/regen_token`
/// A new token; answers `{"token"}`.
async fn regen_command_token(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(id): PathId<CommandId>,
) -> ApiResult<Response> {
    let c = commands::command_for(&state, &s, &id).await?;
    let c = commands::regen_token(&state, c).await?;
    Ok(ok(json!({"token": c.token})))
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct ExecuteRequest {
    channel_id: String,
    team_id: String,
    root_id: String,
    parent_id: String,
    command: String,
}

/// # `POST /api/v4/commands/execute` `{"channel_id", "team_id", "root_id", "command"}`
/// Runs a custom or built-in command in a channel the caller may post to; answers the
/// `CommandResponse`.
async fn execute_command(
    State(state): State<AppState>,
    s: AuthSession,
    body: Bytes,
) -> ApiResult<Response> {
    let req: ExecuteRequest = parse_body(&body, "command_args")?;
    let args = CommandArgs {
        user_id: s.user_id.clone(),
        channel_id: req.channel_id,
        team_id: req.team_id,
        root_id: if req.root_id.is_empty() {
            req.parent_id
        } else {
            req.root_id
        },
        command: req.command,
        site_url: state
            .config
            .get()
            .str("/ServiceSettings/SiteURL")
            .trim_end_matches('/')
            .to_string(),
    };
    Ok(ok(commands::execute_for(&state, &s, args).await?))
}

/// # `GET /api/v4/teams/{team_id}/commands/autocomplete`
/// The commands the message box offers: built-ins and the team's autocomplete commands,
/// sanitized. Needs `view_team`.
async fn list_autocomplete_commands(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(team_id): PathId<TeamId>,
) -> ApiResult<Response> {
    Ok(ok(
        commands::autocomplete_commands(&state, &s, &team_id).await?
    ))
}

/// # `GET /api/v4/teams/{team_id}/commands/autocomplete_suggestions?user_input=/tr`
/// Suggestions for a partly typed trigger: every autocomplete command whose trigger starts
/// with it.
async fn autocomplete_suggestions(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(team_id): PathId<TeamId>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let offered = commands::autocomplete_commands(&state, &s, &team_id).await?;
    let input = q.get("user_input").cloned().unwrap_or_default();
    if input.is_empty() {
        return Err(ApiError::invalid_param("user_input"));
    }
    let Some(typed) = input.strip_prefix('/') else {
        return Ok(ok(Vec::<serde_json::Value>::new()));
    };
    if typed.contains(char::is_whitespace) {
        return Ok(ok(Vec::<serde_json::Value>::new()));
    }
    let typed = typed.to_lowercase();
    let out: Vec<serde_json::Value> = offered
        .into_iter()
        .filter(|c| c.trigger.starts_with(&typed))
        .map(|c| {
            json!({
                "Complete": c.trigger,
                "Suggestion": format!("/{}", c.trigger),
                "Hint": c.auto_complete_hint,
                "Description": c.auto_complete_desc,
                "IconData": "",
            })
        })
        .collect();
    Ok(ok(out))
}

/// # `POST /hooks/commands/{hook_id}` (the `response_url`)
/// No authentication: the id is the secret. JSON when typed so, else the body is the text;
/// the body is capped at `MaximumPayloadSizeBytes` before it is read. Answers 200 `ok`.
async fn command_webhook(
    State(state): State<AppState>,
    Path(hook_id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let limit = match state
        .config
        .get()
        .i64("/ServiceSettings/MaximumPayloadSizeBytes")
    {
        n if n > 0 => n as usize,
        _ => 300_000,
    };
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::new(
            "api.context.request_body_too_large.app_error",
            StatusCode::PAYLOAD_TOO_LARGE,
        )
        .message("Unable to process request. Request body too large.")
    })?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let resp = commands::response_from_body(content_type, &bytes).map_err(|e| {
        ApiError::bad_request("web.command_webhook.parse.app_error")
            .param("hook_id", hook_id.clone())
            .detail(e)
    })?;
    commands::handle_command_webhook(&state, &hook_id, resp).await?;
    Ok((StatusCode::OK, [(header::CONTENT_TYPE, "text/plain")], "ok").into_response())
}
