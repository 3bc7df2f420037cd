//! Interactive message buttons and menus (`DoPostActionWithCookie`): the clicked action's
//! integration URL receives the user, channel, team and post with the action's `context`,
//! and may answer with a post update.

use crate::app::outgoing::{integration_client, read_capped};
use crate::app::{channels, posts, teams, users};
use crate::error::{ApiError, ApiResult, StoreResultExt};
use crate::state::{AppState, Session};
use base64::Engine;
use hmac::{Hmac, Mac};
use rustmost_model::new_id;
use rustmost_model::post::{self, PostActionIntegrationRequest};
use serde_json::Value;
use sha2::Sha256;
use std::sync::OnceLock;

const INTEGRATION_ERROR: &str = "api.post.do_action.action_integration.app_error";
/// Upstream's `MaxIntegrationResponseSize`.
const MAX_INTEGRATION_RESPONSE: usize = 1024 * 1024;

/// A signed trigger id (`clientTriggerId:userId:millis:` plus a signature, base64) for the
/// integration, and the client part for the caller. Signed with a per-process key: dialogs,
/// which verify it, are not served.
pub(crate) fn trigger_ids(user_id: &str, now_ms: i64) -> (String, String) {
    static KEY: OnceLock<[u8; 32]> = OnceLock::new();
    let key = KEY.get_or_init(rand::random);
    let client = new_id();
    let data = format!("{client}:{user_id}:{now_ms}:");
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length works");
    mac.update(data.as_bytes());
    let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let full = base64::engine::general_purpose::STANDARD.encode(format!("{data}{sig}"));
    (client, full)
}

/// Runs the action and returns the client trigger id.
pub async fn do_post_action(
    state: &AppState,
    s: &Session,
    post_id: &str,
    action_id: &str,
    selected_option: &str,
) -> ApiResult<String> {
    let p = posts::get_live_post(state, post_id).await?;
    let c = channels::get_channel(state, &p.channel_id)
        .await
        .map_err(|e| ApiError::internal("app.channel.get_for_post.app_error", e.id))?;
    let Some(action) = post::find_action(&p.props, action_id).filter(|a| a.integration.is_some())
    else {
        return Err(
            ApiError::not_found("api.post.do_action.action_id.app_error")
                .detail(format!("action={action_id}")),
        );
    };
    let integration = action.integration.clone().unwrap_or_default();
    let user = users::get_user(state, &s.user_id).await?;
    let team_name = if c.team_id.is_empty() {
        String::new()
    } else {
        teams::get_team(state, &c.team_id).await?.name
    };
    let (client_trigger, trigger) = trigger_ids(&user.id, state.clock.now_ms());
    let mut req = PostActionIntegrationRequest {
        user_id: user.id.clone(),
        user_name: user.username.clone(),
        channel_id: c.id.clone(),
        channel_name: c.name.clone(),
        team_id: c.team_id.clone(),
        team_domain: team_name,
        post_id: p.id.clone(),
        trigger_id: trigger,
        action_type: action.action_type.clone(),
        data_source: String::new(),
        context: integration.context.clone(),
    };
    if action.action_type == "select" && !selected_option.is_empty() {
        req.data_source = action.data_source.clone();
        req.context.get_or_insert_with(Default::default).insert(
            "selected_option".into(),
            Value::String(selected_option.into()),
        );
    }
    let url = reqwest::Url::parse(&integration.url)
        .map_err(|e| ApiError::bad_request(INTEGRATION_ERROR).detail(format!("url: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ApiError::bad_request(INTEGRATION_ERROR)
            .detail("only http and https integration URLs are supported"));
    }
    let cfg = state.config.get();
    let client = integration_client(&cfg, &url)
        .map_err(|e| ApiError::bad_request(INTEGRATION_ERROR).detail(e))?;
    tracing::info!(url = %url, user_id = %user.id, post_id = %p.id, "post action request");
    let resp = client
        .post(url)
        .header("Accept", "application/json")
        .json(&req)
        .send()
        .await
        .map_err(|e| ApiError::bad_request(INTEGRATION_ERROR).detail(format!("{e:?}")))?;
    if resp.status() != reqwest::StatusCode::OK {
        return Err(ApiError::bad_request(INTEGRATION_ERROR)
            .detail(format!("status={}", resp.status().as_u16())));
    }
    let bytes = read_capped(resp, MAX_INTEGRATION_RESPONSE)
        .await
        .map_err(|e| ApiError::bad_request(INTEGRATION_ERROR).detail(e))?;
    if bytes.is_empty() {
        return Ok(client_trigger);
    }
    let answer: Value = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request(INTEGRATION_ERROR).detail(e.to_string()))?;
    let update = answer.get("update").filter(|u| u.is_object());
    if let Some(u) = update {
        let new: post::Post = rustmost_model::json::from_value(u.clone())
            .map_err(|e| ApiError::bad_request(INTEGRATION_ERROR).detail(e.to_string()))?;
        apply_update(
            state,
            p.clone(),
            &c,
            new,
            u.get("props").is_some_and(Value::is_object),
        )
        .await?;
    }
    if let Some(text) = answer
        .get("ephemeral_text")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
    {
        send_ephemeral_text(state, &user.id, &p, text).await;
    }
    Ok(client_trigger)
}

/// `ephemeral_text`: a `system_ephemeral` reply in the post's thread for the clicking user's
/// open clients only (never stored), keeping the post's webhook overrides as upstream.
async fn send_ephemeral_text(state: &AppState, user_id: &str, p: &post::Post, text: &str) {
    let mut e = post::Post {
        channel_id: p.channel_id.clone(),
        root_id: if p.root_id.is_empty() {
            p.id.clone()
        } else {
            p.root_id.clone()
        },
        user_id: user_id.to_string(),
        message: text.to_string(),
        ..Default::default()
    };
    for k in ["from_webhook", "override_username", "override_icon_url"] {
        if let Some(v) = p.props.get(k) {
            e.props.insert(k.to_string(), v.clone());
        }
    }
    let e = posts::ephemeral_post(e, state.clock.now_ms());
    crate::realtime::events::ephemeral(state, user_id, &e).await;
}

/// `UpdatePost` with an integration's replacement: message and props, never `is_pinned` or
/// `has_reactions`. The author props (`from_bot`, the overrides...) stay as they were:
/// upstream retains only `from_webhook`, `override_username` and `override_icon_url`
/// (`PostActionRetainPropKeys`), so there an update can mark a person's post `from_bot`.
async fn apply_update(
    state: &AppState,
    mut old: post::Post,
    c: &rustmost_model::channel::Channel,
    new: post::Post,
    has_props: bool,
) -> ApiResult<()> {
    if c.delete_at != 0 {
        return Err(ApiError::bad_request(
            "api.post.update_post.can_not_update_post_in_deleted.error",
        ));
    }
    let now = state.clock.now_ms();
    if new.message != old.message {
        old.message = new.message;
        old.edit_at = now;
        old.hashtags = posts::parse_hashtags(&old.message);
    }
    if has_props {
        let mut props = new.props;
        for k in post::AUTHOR_PROPS {
            match old.props.get(*k) {
                Some(v) => {
                    props.insert((*k).to_string(), v.clone());
                }
                None => {
                    props.remove(*k);
                }
            }
        }
        post::normalize_attachments(&mut props);
        old.props = props;
    }
    old.update_at = now;
    posts::validate_post(&old)?;
    state
        .store
        .update_post(&old)
        .await
        .or_internal("app.post.update.app_error")?;
    crate::realtime::events::post_edited(state, &old).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trigger_id_carries_the_time_given() {
        let (client, full) = trigger_ids("u1", 1_234);
        let raw = base64::engine::general_purpose::STANDARD
            .decode(full)
            .unwrap();
        let text = String::from_utf8_lossy(&raw);
        assert!(text.starts_with(&format!("{client}:u1:1234:")), "{text}");
    }
}
