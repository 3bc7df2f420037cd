//! `/api/v4/hooks/incoming*`, `/api/v4/hooks/outgoing*` and the public `POST /hooks/{id}`
//! that incoming webhooks post through.

use crate::api::v4::ids::PathId;
use crate::api::v4::{created, flag, ok, paging, parse_body, status_ok};
use crate::app::webhooks::{self, Hook, IncomingRequest};
use crate::auth::AuthSession;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rustmost_model::HookId;
use rustmost_model::webhook::{IncomingWebhook, OutgoingWebhook};
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v4/hooks/incoming",
            post(create_incoming).get(list_incoming),
        )
        .route(
            "/api/v4/hooks/incoming/{hook_id}",
            get(get_hook::<IncomingWebhook>)
                .put(update_hook::<IncomingWebhook>)
                .delete(delete_hook::<IncomingWebhook>),
        )
        .route(
            "/api/v4/hooks/incoming/{hook_id}/regen_id",
            post(regen_incoming_id),
        )
        .route(
            "/api/v4/hooks/outgoing",
            post(create_outgoing).get(list_outgoing),
        )
        .route(
            "/api/v4/hooks/outgoing/{hook_id}",
            get(get_hook::<OutgoingWebhook>)
                .put(update_hook::<OutgoingWebhook>)
                .delete(delete_hook::<OutgoingWebhook>),
        )
        .route(
            "/api/v4/hooks/outgoing/{hook_id}/regen_token",
            post(regen_outgoing_token),
        )
        .route("/hooks/{hook_id}", post(incoming_post))
}

// ---- Both kinds ----

/// # `GET /api/v4/hooks/incoming/{hook_id}`, `GET /api/v4/hooks/outgoing/{hook_id}`
/// The kind's switch (501), the hook (404), then its permissions: the own permission in the
/// hook's team (`manage_own_*` or the older `manage_*`), the channel readable for an incoming
/// hook in a private channel, and `manage_others_*` for someone else's hook.
async fn get_hook<H: Hook>(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(hook_id): PathId<HookId>,
) -> ApiResult<Response> {
    Ok(ok(webhooks::hook_for::<H>(&state, &s, &hook_id).await?))
}

/// # `PUT /api/v4/hooks/incoming/{hook_id}`, `PUT /api/v4/hooks/outgoing/{hook_id}`
/// The body's `id` must be the path's; a `team_id` other than the hook's is 400
/// `api.webhook.team_mismatch.app_error`. Incoming answers 201, as upstream, outgoing 200;
/// an outgoing hook keeps its token whatever the body says.
async fn update_hook<H: Hook>(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(hook_id): PathId<HookId>,
    body: Bytes,
) -> ApiResult<Response> {
    let new: H = parse_body(&body, "hook")?;
    let h = webhooks::update_hook(&state, &s, &hook_id, new).await?;
    Ok(if H::UPDATE_CREATES { created(h) } else { ok(h) })
}

/// # `DELETE /api/v4/hooks/incoming/{hook_id}`, `DELETE /api/v4/hooks/outgoing/{hook_id}`
async fn delete_hook<H: Hook>(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(hook_id): PathId<HookId>,
) -> ApiResult<Response> {
    webhooks::delete_hook::<H>(&state, &s, &hook_id).await?;
    Ok(status_ok())
}

// ---- Incoming: REST ----

/// # `POST /api/v4/hooks/incoming` `{"channel_id", "display_name"?, "description"?, "username"?, "icon_url"?, "channel_locked"?, "user_id"?}`
/// 201 with the hook. The channel must exist (404 before any permission check); then
/// `manage_own_incoming_webhooks` (or the older `manage_incoming_webhooks`) in its team, the
/// channel readable, and `manage_others_incoming_webhooks` to create one for `user_id`.
async fn create_incoming(
    State(state): State<AppState>,
    s: AuthSession,
    body: Bytes,
) -> ApiResult<Response> {
    let h: IncomingWebhook = parse_body(&body, "incoming_webhook")?;
    let h = webhooks::create_incoming(&state, &s, h).await?;
    Ok(created(h))
}

/// # `GET /api/v4/hooks/incoming?team_id&page&per_page&include_total_count`
/// The live hooks of the team (or of every team), only the caller's own without
/// `manage_others_incoming_webhooks`; `{incoming_webhooks, total_count}` on request.
async fn list_incoming(
    State(state): State<AppState>,
    s: AuthSession,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let team_id = q.get("team_id").filter(|t| !t.is_empty()).cloned();
    let with_total = flag(&q, "include_total_count");
    let (list, total) =
        webhooks::list_incoming(&state, &s, team_id, paging(&q), with_total).await?;
    Ok(match total {
        Some(total) => ok(serde_json::json!({
            "incoming_webhooks": list,
            "total_count": total,
        })),
        None => ok(list),
    })
}

/// # `POST /api/v4/hooks/incoming/{hook_id}/regen_id` (Rustmost)
/// Gives the hook a new id, which is its URL's secret: the old URL stops working at once.
/// Same permissions as an update; 200 with the hook under its new id.
async fn regen_incoming_id(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(hook_id): PathId<HookId>,
) -> ApiResult<Response> {
    let h = webhooks::hook_for::<IncomingWebhook>(&state, &s, &hook_id).await?;
    Ok(ok(webhooks::regen_incoming_id(&state, h).await?))
}

// ---- Incoming: the public endpoint ----

/// The body limit of `/hooks/{id}`: `MaximumPayloadSizeBytes` plus upstream's 512 bytes of
/// slack, enforced while reading, before anything is parsed.
fn body_cap(state: &AppState) -> usize {
    let max = state
        .config
        .get()
        .i64("/ServiceSettings/MaximumPayloadSizeBytes");
    let max = if max > 0 { max as usize } else { 300_000 };
    max.saturating_add(512)
}

fn decode_error(detail: impl Into<String>) -> ApiError {
    ApiError::bad_request("api.webhook.incoming.error").detail(detail)
}

/// The request by `Content-Type`: a form's `payload` field, multipart fields named as
/// upstream's decoder accepts them (Go field names: `text`, `username`, `type`), or JSON.
async fn decode_request(req: Request, cap: usize) -> ApiResult<IncomingRequest> {
    let ctype = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let media = ctype
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, cap).await.map_err(|e| {
        ApiError::bad_request("model.incoming_hook.parse_data.app_error")
            .detail(format!("body larger than {cap} bytes: {e}"))
    })?;
    match media.as_str() {
        "application/x-www-form-urlencoded" => {
            let payload = form_urlencoded::parse(&bytes)
                .find(|(k, _)| k == "payload")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            webhooks::parse_incoming_request(payload.as_bytes())
        }
        "multipart/form-data" => {
            let req = Request::from_parts(parts, Body::from(bytes));
            let mut mp = Multipart::from_request(req, &())
                .await
                .map_err(|e| decode_error(e.body_text()))?;
            let mut out = IncomingRequest::default();
            while let Some(field) = mp
                .next_field()
                .await
                .map_err(|e| decode_error(e.body_text()))?
            {
                // File parts are not form values; upstream leaves them aside.
                if field.file_name().is_some() {
                    continue;
                }
                let name = field.name().unwrap_or_default().to_ascii_lowercase();
                let value = field
                    .text()
                    .await
                    .map_err(|e| decode_error(e.body_text()))?;
                match name.as_str() {
                    "text" => out.text = Some(value),
                    "username" => out.username = value,
                    "type" => out.post_type = value,
                    "iconurl" => out.icon_url = value,
                    "channelname" => out.channel = value,
                    "iconemoji" => out.icon_emoji = value,
                    other => return Err(decode_error(format!("schema: invalid path \"{other}\""))),
                }
            }
            Ok(out)
        }
        _ => webhooks::parse_incoming_request(&bytes),
    }
}

/// # `POST /hooks/{hook_id}` (no authentication: the id is the secret)
/// 200 `text/plain` `ok`. 501 `web.incoming_webhook.disabled.app_error` while incoming
/// webhooks are off; an unknown hook is 400 `web.incoming_webhook.invalid.app_error`.
async fn incoming_post(
    State(state): State<AppState>,
    Path(hook_id): Path<String>,
    req: Request,
) -> ApiResult<Response> {
    if !state
        .config
        .get()
        .bool("/ServiceSettings/EnableIncomingWebhooks")
    {
        return Err(ApiError::not_implemented(
            "web.incoming_webhook.disabled.app_error",
        ));
    }
    let cap = body_cap(&state);
    let r = decode_request(req, cap).await?;
    webhooks::handle_incoming(&state, &hook_id, r).await?;
    Ok((StatusCode::OK, [(header::CONTENT_TYPE, "text/plain")], "ok").into_response())
}

// ---- Outgoing: REST ----

/// # `POST /api/v4/hooks/outgoing`
/// 201 with the hook and its token. `manage_own_outgoing_webhooks` (or the older
/// `manage_outgoing_webhooks`) in `team_id`; `manage_others_outgoing_webhooks` to create one
/// for another `creator_id`.
async fn create_outgoing(
    State(state): State<AppState>,
    s: AuthSession,
    body: Bytes,
) -> ApiResult<Response> {
    let h: OutgoingWebhook = parse_body(&body, "outgoing_webhook")?;
    Ok(created(webhooks::create_outgoing(&state, &s, h).await?))
}

/// # `GET /api/v4/hooks/outgoing?channel_id|team_id&page&per_page`
/// The live hooks of the channel, the team or every team; only the caller's own without
/// `manage_others_outgoing_webhooks`.
async fn list_outgoing(
    State(state): State<AppState>,
    s: AuthSession,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let channel_id = q.get("channel_id").filter(|t| !t.is_empty()).cloned();
    let team_id = q.get("team_id").filter(|t| !t.is_empty()).cloned();
    Ok(ok(webhooks::list_outgoing(
        &state,
        &s,
        channel_id,
        team_id,
        paging(&q),
    )
    .await?))
}

/// # `POST /api/v4/hooks/outgoing/{hook_id}/regen_token`
/// 200 with the hook and its new token.
async fn regen_outgoing_token(
    State(state): State<AppState>,
    s: AuthSession,
    PathId(hook_id): PathId<HookId>,
) -> ApiResult<Response> {
    let h = webhooks::hook_for::<OutgoingWebhook>(&state, &s, &hook_id).await?;
    Ok(ok(webhooks::regen_outgoing_token(&state, h).await?))
}
