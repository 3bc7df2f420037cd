//! Incoming and outgoing webhooks: their rules and permissions, the posts an incoming hook
//! (or an outgoing hook's reply) makes (`CreateWebhookPost`), and the outgoing calls fired
//! after a post, signed and sent through the outgoing-request guard.

use crate::app::integration_posts::{self, IntegrationPost, Origin};
use crate::app::outgoing::{integration_client, read_capped};
use crate::app::{authz, channels, scoped_authz, signing, teams, users};
use crate::error::{ApiError, ApiResult, StoreResultExt};
use crate::state::{AppState, Session};
use rustmost_model::Permission;
use rustmost_model::channel::Channel;
use rustmost_model::new_id;
use rustmost_model::post::Post;
use rustmost_model::user::User;
use rustmost_model::webhook::{IncomingWebhook, OutgoingWebhook};
use rustmost_store::{Page, Result as StoreResult, StoreError, WebhookQuery};
use serde_json::{Map, Value};

/// The newer permission name first (named in a denial), then the older one that implies it.
pub const OWN_INCOMING: &[Permission] = &[
    Permission::ManageOwnIncomingWebhooks,
    Permission::ManageIncomingWebhooks,
];
pub const OTHERS_INCOMING: &[Permission] = &[Permission::ManageOthersIncomingWebhooks];
/// The older `manage_incoming_webhooks` was migrated upstream to own + bypass.
pub const BYPASS_LOCK: &[Permission] = &[
    Permission::BypassIncomingWebhookChannelLock,
    Permission::ManageIncomingWebhooks,
];
pub const OWN_OUTGOING: &[Permission] = &[
    Permission::ManageOwnOutgoingWebhooks,
    Permission::ManageOutgoingWebhooks,
];
pub const OTHERS_OUTGOING: &[Permission] = &[Permission::ManageOthersOutgoingWebhooks];

pub const INCOMING_NOT_FOUND: &str = "app.webhooks.get_incoming.app_error";
pub const OUTGOING_NOT_FOUND: &str = "app.webhooks.get_outgoing.app_error";
/// Upstream's `MaxIntegrationResponseSize`.
const MAX_REPLY: usize = 1024 * 1024;

/// Any of `perms` through the session's system roles or its team membership.
pub async fn has_team_any(
    state: &AppState,
    s: &Session,
    team_id: &str,
    perms: &[Permission],
) -> ApiResult<bool> {
    for p in perms {
        if scoped_authz::has_team(state, s, team_id, *p).await? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Any of `perms` in the team, or 403 naming the first.
pub async fn require_team_any(
    state: &AppState,
    s: &Session,
    team_id: &str,
    perms: &[Permission],
) -> ApiResult<()> {
    if has_team_any(state, s, team_id, perms).await? {
        Ok(())
    } else {
        Err(ApiError::permission(&s.user_id, &perms[..1]))
    }
}

/// Any of `perms` through the system roles alone, or 403 naming the first.
pub fn require_system_any(state: &AppState, s: &Session, perms: &[Permission]) -> ApiResult<()> {
    if perms.iter().any(|p| authz::has(state, s, *p)) {
        Ok(())
    } else {
        Err(ApiError::permission(&s.user_id, &perms[..1]))
    }
}

pub fn incoming_enabled(state: &AppState) -> ApiResult<()> {
    if state
        .config
        .get()
        .bool("/ServiceSettings/EnableIncomingWebhooks")
    {
        Ok(())
    } else {
        Err(ApiError::not_implemented(
            "api.incoming_webhook.disabled.app_error",
        ))
    }
}

pub fn outgoing_enabled(state: &AppState) -> ApiResult<()> {
    if state
        .config
        .get()
        .bool("/ServiceSettings/EnableOutgoingWebhooks")
    {
        Ok(())
    } else {
        Err(ApiError::not_implemented(
            "api.outgoing_webhook.disabled.app_error",
        ))
    }
}

// ---- What the REST endpoints of both kinds share ----

/// A kind of webhook as its REST endpoints see it: the switch, the lookup, the per-hook
/// checks, update and deletion. The endpoints are written once over it.
pub trait Hook: serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static {
    /// Whether `PUT` answers 201 (incoming, as upstream) rather than 200.
    const UPDATE_CREATES: bool;
    /// The 404 of a missing or deleted hook.
    const NOT_FOUND: &'static str;
    /// The 500 of a deletion the store refused.
    const DELETE_FAILED: &'static str;
    fn id(&self) -> &str;
    fn team_id(&self) -> &str;
    fn delete_at(&self) -> i64;
    /// Gives a new hook its id and its times, created at `now`.
    fn start(&mut self, now: i64);
    /// Marks the hook deleted at `now` (the row stays, as upstream).
    fn archive(&mut self, now: i64);
    /// The kind's `ServiceSettings` switch, else its 501.
    fn enabled(state: &AppState) -> ApiResult<()>;
    /// The stored row, deleted or not.
    fn fetch(state: &AppState, id: &str) -> impl Future<Output = StoreResult<Self>> + Send;
    /// Writes the row back.
    fn save(state: &AppState, h: &Self) -> impl Future<Output = StoreResult<()>> + Send;
    /// The permissions every per-hook call needs.
    fn require_manage(
        state: &AppState,
        s: &Session,
        h: &Self,
    ) -> impl Future<Output = ApiResult<()>> + Send;
    fn update(
        state: &AppState,
        s: &Session,
        old: Self,
        new: Self,
    ) -> impl Future<Output = ApiResult<Self>> + Send;
}

/// The two kinds' [`Hook`] impls, which differ only in the ids and functions they name.
macro_rules! hook_kind {
    ($kind:ty, $creates:expr, $not_found:expr, $delete_failed:expr, $enabled:ident,
     $fetch:ident, $save:ident, $manage:ident, $update:ident) => {
        impl Hook for $kind {
            const UPDATE_CREATES: bool = $creates;
            const NOT_FOUND: &'static str = $not_found;
            const DELETE_FAILED: &'static str = $delete_failed;
            fn id(&self) -> &str {
                &self.id
            }
            fn team_id(&self) -> &str {
                &self.team_id
            }
            fn delete_at(&self) -> i64 {
                self.delete_at
            }
            fn start(&mut self, now: i64) {
                self.id = new_id();
                self.create_at = now;
                self.update_at = now;
                self.delete_at = 0;
                self.last_used_at = 0;
            }
            fn archive(&mut self, now: i64) {
                self.delete_at = now;
                self.update_at = now;
            }
            fn enabled(state: &AppState) -> ApiResult<()> {
                $enabled(state)
            }
            fn fetch(state: &AppState, id: &str) -> impl Future<Output = StoreResult<Self>> + Send {
                async move { state.store.$fetch(id).await }
            }
            fn save(state: &AppState, h: &Self) -> impl Future<Output = StoreResult<()>> + Send {
                async move { state.store.$save(h).await }
            }
            fn require_manage(
                state: &AppState,
                s: &Session,
                h: &Self,
            ) -> impl Future<Output = ApiResult<()>> + Send {
                $manage(state, s, h)
            }
            fn update(
                state: &AppState,
                s: &Session,
                old: Self,
                new: Self,
            ) -> impl Future<Output = ApiResult<Self>> + Send {
                $update(state, s, old, new)
            }
        }
    };
}

hook_kind!(
    IncomingWebhook,
    true,
    INCOMING_NOT_FOUND,
    "app.webhooks.delete_incoming.app_error",
    incoming_enabled,
    get_incoming_webhook,
    update_incoming_webhook,
    require_manage_incoming,
    update_incoming
);
hook_kind!(
    OutgoingWebhook,
    false,
    OUTGOING_NOT_FOUND,
    "app.webhooks.delete_outgoing.app_error",
    outgoing_enabled,
    get_outgoing_webhook,
    update_outgoing_webhook,
    require_manage_outgoing,
    update_outgoing
);

/// A live hook of the kind, else 404.
pub async fn get_live<H: Hook>(state: &AppState, id: &str) -> ApiResult<H> {
    match H::fetch(state, id).await.or_not_found(H::NOT_FOUND)? {
        h if h.delete_at() == 0 => Ok(h),
        _ => Err(ApiError::not_found(H::NOT_FOUND)),
    }
}

/// A hook the session may manage: the switch, the hook, then the permissions.
pub async fn hook_for<H: Hook>(state: &AppState, s: &Session, id: &str) -> ApiResult<H> {
    H::enabled(state)?;
    let h = get_live(state, id).await?;
    H::require_manage(state, s, &h).await?;
    Ok(h)
}

/// `PUT` of a hook: the body's `id` must be the path's (else 400 naming `hook_id`), and a
/// `team_id` other than the hook's is 400 `api.webhook.team_mismatch.app_error`.
pub async fn update_hook<H: Hook>(state: &AppState, s: &Session, id: &str, new: H) -> ApiResult<H> {
    if new.id() != id {
        return Err(ApiError::invalid_param("hook_id"));
    }
    let old: H = hook_for(state, s, id).await?;
    if !new.team_id().is_empty() && new.team_id() != old.team_id() {
        return Err(ApiError::bad_request("api.webhook.team_mismatch.app_error"));
    }
    H::update(state, s, old, new).await
}

/// Deletes a hook the session may manage.
pub async fn delete_hook<H: Hook>(state: &AppState, s: &Session, id: &str) -> ApiResult<()> {
    let mut h: H = hook_for(state, s, id).await?;
    h.archive(state.clock.now_ms());
    H::save(state, &h).await.or_internal(H::DELETE_FAILED)
}

/// `GET /hooks/incoming`: the live hooks of the team (or of every team), only the caller's
/// own without `manage_others_incoming_webhooks`, and the total on request.
pub async fn list_incoming(
    state: &AppState,
    s: &Session,
    team_id: Option<String>,
    page: Page,
    with_total: bool,
) -> ApiResult<(Vec<IncomingWebhook>, Option<i64>)> {
    let others = match &team_id {
        Some(t) => {
            require_team_any(state, s, t, OWN_INCOMING).await?;
            has_team_any(state, s, t, OTHERS_INCOMING).await?
        }
        None => {
            require_system_any(state, s, OWN_INCOMING)?;
            OTHERS_INCOMING.iter().any(|p| authz::has(state, s, *p))
        }
    };
    incoming_enabled(state)?;
    let mut query = WebhookQuery {
        team_id,
        user_id: (!others).then(|| s.user_id.clone()),
        page: Some(page),
        ..Default::default()
    };
    let list = state
        .store
        .list_incoming_webhooks(&query)
        .await
        .or_internal("app.webhooks.get_incoming_by_user.app_error")?;
    if !with_total {
        return Ok((list, None));
    }
    query.page = None;
    let total = state
        .store
        .count_incoming_webhooks(&query)
        .await
        .or_internal("app.webhooks.get_incoming_count.app_error")?;
    Ok((list, Some(total)))
}

/// `GET /hooks/outgoing`: the live hooks of the channel, the team or every team; only the
/// caller's own without `manage_others_outgoing_webhooks`.
pub async fn list_outgoing(
    state: &AppState,
    s: &Session,
    channel_id: Option<String>,
    team_id: Option<String>,
    page: Page,
) -> ApiResult<Vec<OutgoingWebhook>> {
    let others = if let Some(cid) = &channel_id {
        let c = channels::get_channel(state, cid).await?;
        let mut own = false;
        for p in OWN_OUTGOING {
            own = own || scoped_authz::has_channel(state, s, &c.id, *p).await?;
        }
        if !own {
            return Err(ApiError::permission(&s.user_id, &OWN_OUTGOING[..1]));
        }
        scoped_authz::has_channel(state, s, &c.id, OTHERS_OUTGOING[0]).await?
    } else if let Some(t) = &team_id {
        require_team_any(state, s, t, OWN_OUTGOING).await?;
        has_team_any(state, s, t, OTHERS_OUTGOING).await?
    } else {
        require_system_any(state, s, OWN_OUTGOING)?;
        authz::has(state, s, OTHERS_OUTGOING[0])
    };
    outgoing_enabled(state)?;
    state
        .store
        .list_outgoing_webhooks(&WebhookQuery {
            team_id: if channel_id.is_some() { None } else { team_id },
            channel_id,
            user_id: (!others).then(|| s.user_id.clone()),
            page: Some(page),
        })
        .await
        .or_internal("app.webhooks.get_outgoing_by_team.app_error")
}

// ---- Incoming webhooks: objects ----

fn too_long(s: &str, max: usize) -> bool {
    s.chars().count() > max
}

/// The first of `fields` (a value, its most characters, its error id) that is too long fails
/// with its 400, detailed with the hook's id as upstream.
fn check_lengths(hook_id: &str, fields: &[(&str, usize, &'static str)]) -> ApiResult<()> {
    match fields.iter().find(|(v, max, _)| too_long(v, *max)) {
        Some((_, _, id)) => Err(ApiError::bad_request(*id).detail(hook_id.to_string())),
        None => Ok(()),
    }
}

/// `IncomingWebhook.IsValid` for the fields a client sets.
pub fn validate_incoming(h: &IncomingWebhook) -> ApiResult<()> {
    let bad = |id: &'static str| ApiError::bad_request(id).detail(h.id.clone());
    if !rustmost_model::is_valid_id(&h.channel_id) {
        return Err(bad("model.incoming_hook.channel_id.app_error"));
    }
    check_lengths(
        &h.id,
        &[
            (
                &h.display_name,
                64,
                "model.incoming_hook.display_name.app_error",
            ),
            (
                &h.description,
                500,
                "model.incoming_hook.description.app_error",
            ),
            (&h.username, 64, "model.incoming_hook.username.app_error"),
        ],
    )?;
    if !h.username.is_empty() && !rustmost_model::user::is_valid_username(&h.username) {
        return Err(ApiError::bad_request(
            "api.incoming_webhook.invalid_username.app_error",
        ));
    }
    check_lengths(
        &h.id,
        &[(&h.icon_url, 1024, "model.incoming_hook.icon_url.app_error")],
    )
}

/// The checks every per-hook REST call makes: own permission in the hook's team, the channel
/// readable when it is not public, and `manage_others` for someone else's hook.
pub async fn require_manage_incoming(
    state: &AppState,
    s: &Session,
    h: &IncomingWebhook,
) -> ApiResult<()> {
    require_team_any(state, s, &h.team_id, OWN_INCOMING).await?;
    // A hook whose channel is gone has nothing left to read; a failed read is an error, never
    // a skipped check.
    if let Some(c) = state
        .store
        .get_channel(&h.channel_id)
        .await
        .optional("app.channel.get.find.app_error")?
        && !c.is_open()
    {
        scoped_authz::require_channel(state, s, &c.id, Permission::ReadChannelContent).await?;
    }
    if h.user_id != s.user_id {
        require_team_any(state, s, &h.team_id, OTHERS_INCOMING).await?;
    }
    Ok(())
}

/// `POST /hooks/incoming`: the hook is saved in the channel's team, for the caller unless a
/// permitted caller names another user; without the bypass permission it is locked to its
/// channel; the username and icon stay empty while their overrides are off.
pub async fn create_incoming(
    state: &AppState,
    s: &Session,
    mut h: IncomingWebhook,
) -> ApiResult<IncomingWebhook> {
    let c = channels::get_channel(state, &h.channel_id).await?;
    require_team_any(state, s, &c.team_id, OWN_INCOMING).await?;
    if !c.is_open() {
        scoped_authz::require_channel(state, s, &c.id, Permission::ReadChannelContent).await?;
    }
    if h.user_id.is_empty() {
        h.user_id = s.user_id.clone();
    } else if h.user_id != s.user_id {
        require_team_any(state, s, &c.team_id, OTHERS_INCOMING).await?;
        let owner = state
            .store
            .get_user(&h.user_id)
            .await
            .map_err(|_| ApiError::invalid_param("user_id"))?;
        if owner.delete_at != 0 {
            return Err(ApiError::invalid_param("user_id"));
        }
    }
    if !has_team_any(state, s, &c.team_id, BYPASS_LOCK).await? {
        h.channel_locked = true;
    }
    incoming_enabled(state)?;
    let cfg = state.config.get();
    if !cfg.bool("/ServiceSettings/EnablePostUsernameOverride") {
        h.username.clear();
    }
    if !cfg.bool("/ServiceSettings/EnablePostIconOverride") {
        h.icon_url.clear();
    }
    h.start(state.clock.now_ms());
    h.team_id = c.team_id.clone();
    validate_incoming(&h)?;
    state
        .store
        .insert_incoming_webhook(&h)
        .await
        .or_internal("app.webhooks.save_incoming.app_error")?;
    Ok(h)
}

/// `PUT /hooks/incoming/{id}` after the per-hook checks: owner, team, times and id are kept;
/// the username and icon keep their old values while their overrides are off.
pub async fn update_incoming(
    state: &AppState,
    s: &Session,
    old: IncomingWebhook,
    mut new: IncomingWebhook,
) -> ApiResult<IncomingWebhook> {
    if new.channel_id != old.channel_id {
        let c = channels::get_channel(state, &new.channel_id).await?;
        if c.team_id != old.team_id {
            return Err(ApiError::bad_request("api.webhook.team_mismatch.app_error"));
        }
        if !c.is_open() {
            scoped_authz::require_channel(state, s, &c.id, Permission::ReadChannelContent).await?;
        }
    }
    if !has_team_any(state, s, &old.team_id, BYPASS_LOCK).await? {
        new.channel_locked = true;
    }
    incoming_enabled(state)?;
    let cfg = state.config.get();
    if !cfg.bool("/ServiceSettings/EnablePostUsernameOverride") {
        new.username = old.username.clone();
    }
    if !cfg.bool("/ServiceSettings/EnablePostIconOverride") {
        new.icon_url = old.icon_url.clone();
    }
    new.id = old.id;
    new.user_id = old.user_id;
    new.team_id = old.team_id;
    new.create_at = old.create_at;
    new.delete_at = 0;
    new.last_used_at = old.last_used_at;
    new.update_at = state.clock.now_ms();
    validate_incoming(&new)?;
    state
        .store
        .update_incoming_webhook(&new)
        .await
        .or_internal("app.webhooks.update_incoming.app_error")?;
    Ok(new)
}

/// Gives the hook a new id, so the old URL stops working (Rustmost's addition).
pub async fn regen_incoming_id(state: &AppState, h: IncomingWebhook) -> ApiResult<IncomingWebhook> {
    incoming_enabled(state)?;
    let new = new_id();
    state
        .store
        .change_incoming_webhook_id(&h.id, &new, state.clock.now_ms())
        .await
        .or_not_found(INCOMING_NOT_FOUND)?;
    get_live(state, &new).await
}

// ---- Incoming webhooks: posting ----

/// The body of `POST /hooks/{id}` (`IncomingWebhookRequest`).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct IncomingRequest {
    pub text: Option<String>,
    pub username: String,
    pub icon_url: String,
    pub channel: String,
    pub icon_emoji: String,
    #[serde(rename = "type")]
    pub post_type: String,
    pub props: Option<Map<String, Value>>,
    pub attachments: Option<Value>,
    pub priority: Option<Value>,
}

/// `IncomingWebhookRequestFromJSON`: on a decode failure, raw newlines and tabs inside string
/// literals are escaped (Slack clients send them) and decoding is tried once more.
pub fn parse_incoming_request(body: &[u8]) -> ApiResult<IncomingRequest> {
    if let Ok(r) = rustmost_model::json::from_slice(body) {
        return Ok(r);
    }
    let escaped = escape_control_in_strings(body);
    rustmost_model::json::from_slice(&escaped).map_err(|e| {
        ApiError::bad_request("model.incoming_hook.parse_data.app_error").detail(e.to_string())
    })
}

fn escape_control_in_strings(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 16);
    let (mut in_str, mut esc) = (false, false);
    for &b in body {
        if in_str {
            if esc {
                esc = false;
            } else if b == b'\\' {
                esc = true;
            } else if b == b'"' {
                in_str = false;
            } else if b == b'\n' {
                out.extend_from_slice(b"\\n");
                continue;
            } else if b == b'\t' {
                out.extend_from_slice(b"\\t");
                continue;
            } else if b == b'\r' {
                out.extend_from_slice(b"\\r");
                continue;
            }
        } else if b == b'"' {
            in_str = true;
        }
        out.push(b);
    }
    out
}

fn hook_error(id: &'static str, status: axum::http::StatusCode) -> ApiError {
    ApiError::new(id, status)
}

/// Whether the user's system, team or channel roles grant `perm` in the channel. A store
/// failure is an error (500), never "no membership".
async fn user_has_channel_perm(
    state: &AppState,
    u: &User,
    c: &Channel,
    perm: Permission,
) -> ApiResult<bool> {
    if state.roles.grants(&u.roles, perm.as_str()) {
        return Ok(true);
    }
    if let Some(m) = state
        .store
        .get_channel_member(&c.id, &u.id)
        .await
        .optional("app.channel.get_member.app_error")?
        && state.roles.grants(&m.roles, perm.as_str())
    {
        return Ok(true);
    }
    if c.team_id.is_empty() {
        return Ok(false);
    }
    Ok(scoped_authz::team_roles(state, &c.team_id, &u.id)
        .await?
        .is_some_and(|r| state.roles.grants(&r, perm.as_str())))
}

/// Whether the user may post in the channel, as `POST /posts` decides for them.
async fn user_can_post(state: &AppState, u: &User, c: &Channel) -> ApiResult<bool> {
    if user_has_channel_perm(state, u, c, Permission::CreatePost).await? {
        return Ok(true);
    }
    Ok(c.is_open() && user_has_channel_perm(state, u, c, Permission::CreatePostPublic).await?)
}

/// `HandleIncomingWebhook`: everything after the body is decoded. Beyond upstream, the hook
/// works only while its owner is active and on the hook's team, and only into channels the
/// owner could post to themselves.
pub async fn handle_incoming(
    state: &AppState,
    hook_id: &str,
    req: IncomingRequest,
) -> ApiResult<()> {
    use axum::http::StatusCode as S;
    let text = req.text.clone().unwrap_or_default();
    if text.is_empty() && req.attachments.as_ref().is_none_or(Value::is_null) {
        return Err(hook_error(
            "web.incoming_webhook.text.app_error",
            S::BAD_REQUEST,
        ));
    }
    let hook = match state.store.get_incoming_webhook(hook_id).await {
        Ok(h) if h.delete_at == 0 => h,
        _ => {
            return Err(hook_error(
                "web.incoming_webhook.invalid.app_error",
                S::BAD_REQUEST,
            ));
        }
    };
    let owner = match state.store.get_user(&hook.user_id).await {
        Ok(u) if u.delete_at == 0 => u,
        _ => {
            return Err(
                hook_error("web.incoming_webhook.user.app_error", S::FORBIDDEN)
                    .param("user", hook.user_id.clone()),
            );
        }
    };
    if scoped_authz::team_roles(state, &hook.team_id, &owner.id)
        .await?
        .is_none()
    {
        return Err(permissions_error(&owner.id, &hook.channel_id));
    }
    let channel = resolve_channel(state, &hook, &owner, &req.channel).await?;
    if hook.channel_locked && channel.id != hook.channel_id {
        return Err(hook_error(
            "web.incoming_webhook.channel_locked.app_error",
            S::FORBIDDEN,
        )
        .param("channel_id", channel.id.clone()));
    }
    if !channel.is_open()
        && !user_has_channel_perm(state, &owner, &channel, Permission::ReadChannelContent).await?
    {
        return Err(permissions_error(&owner.id, &channel.id));
    }
    if !user_can_post(state, &owner, &channel).await? {
        return Err(permissions_error(&owner.id, &channel.id));
    }
    let pick = |a: &str, b: &str| if a.is_empty() { b } else { a }.to_string();
    integration_posts::create(
        state,
        &owner,
        &channel,
        IntegrationPost {
            text,
            post_type: req.post_type,
            props: req.props.unwrap_or_default(),
            attachments: req.attachments,
            username: pick(&req.username, &hook.username),
            icon_url: pick(&req.icon_url, &hook.icon_url),
            icon_emoji: req.icon_emoji,
            display_name: Some(hook.display_name.clone()),
            priority: req.priority,
            ..Default::default()
        },
        Origin::Webhook,
    )
    .await?;
    let _ = state
        .store
        .touch_incoming_webhook(&hook.id, state.clock.now_ms())
        .await;
    Ok(())
}

fn permissions_error(user: &str, channel: &str) -> ApiError {
    ApiError::forbidden("web.incoming_webhook.permissions.app_error")
        .param("user", user.to_string())
        .param("channel", channel.to_string())
}

/// The channel a request names: none (the hook's), `@username` (a direct message with the
/// owner), or a channel name in the hook's team, with or without `#`.
async fn resolve_channel(
    state: &AppState,
    hook: &IncomingWebhook,
    owner: &User,
    name: &str,
) -> ApiResult<Channel> {
    use axum::http::StatusCode as S;
    if name.is_empty() {
        return state
            .store
            .get_channel(&hook.channel_id)
            .await
            .or_not_found("app.channel.get.existing.app_error");
    }
    if let Some(username) = name.strip_prefix('@') {
        let target = match state.store.get_user_by_username(username).await {
            Ok(u) if u.delete_at == 0 => u,
            _ => {
                return Err(
                    hook_error("web.incoming_webhook.user.app_error", S::BAD_REQUEST)
                        .param("user", username.to_string()),
                );
            }
        };
        // `RestrictDirectMessage: team` limits the owner to teammates, as it limits them.
        if state
            .config
            .get()
            .str("/TeamSettings/RestrictDirectMessage")
            == "team"
            && target.id != owner.id
            && scoped_authz::team_roles(state, &hook.team_id, &target.id)
                .await?
                .is_none()
        {
            return Err(permissions_error(&owner.id, &format!("@{username}")));
        }
        return crate::app::channels::get_or_create_direct_channel(state, owner, &target).await;
    }
    let name = name.strip_prefix('#').unwrap_or(name);
    match state.store.get_channel_by_name(&hook.team_id, name).await {
        Ok(c) => Ok(c),
        Err(StoreError::NotFound) => Err(hook_error(
            "web.incoming_webhook.channel.app_error",
            S::NOT_FOUND,
        )),
        Err(e) => Err(ApiError::internal(
            "web.incoming_webhook.channel.app_error",
            e,
        )),
    }
}

// ---- Outgoing webhooks: objects ----

/// `OutgoingWebhook.IsValid`.
pub fn validate_outgoing(h: &OutgoingWebhook) -> ApiResult<()> {
    let bad = |id: &'static str| ApiError::bad_request(id).detail(h.id.clone());
    if !rustmost_model::is_valid_id(&h.team_id) {
        return Err(bad("model.outgoing_hook.is_valid.team_id.app_error"));
    }
    if !h.channel_id.is_empty() && !rustmost_model::is_valid_id(&h.channel_id) {
        return Err(bad("model.outgoing_hook.is_valid.channel_id.app_error"));
    }
    check_lengths(
        &h.id,
        &[
            (
                &h.display_name,
                64,
                "model.outgoing_hook.is_valid.display_name.app_error",
            ),
            (
                &h.description,
                500,
                "model.outgoing_hook.is_valid.description.app_error",
            ),
        ],
    )?;
    let printed = |v: &[String]| serde_json::to_string(v).map(|s| s.len()).unwrap_or(0);
    if printed(&h.trigger_words) > 1024 {
        return Err(bad("model.outgoing_hook.is_valid.words.app_error"));
    }
    if h.trigger_words.iter().any(String::is_empty) {
        return Err(bad("model.outgoing_hook.is_valid.trigger_words.app_error"));
    }
    if h.callback_urls.is_empty() || printed(&h.callback_urls) > 1024 {
        return Err(bad("model.outgoing_hook.is_valid.callback.app_error"));
    }
    for u in &h.callback_urls {
        match reqwest::Url::parse(u) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {}
            _ => return Err(bad("model.outgoing_hook.is_valid.url.app_error")),
        }
    }
    if too_long(&h.content_type, 128) || !(0..=1).contains(&h.trigger_when) {
        return Err(bad("model.outgoing_hook.is_valid.content_type.app_error"));
    }
    check_lengths(
        &h.id,
        &[
            (&h.username, 64, "model.outgoing_hook.username.app_error"),
            (&h.icon_url, 1024, "model.outgoing_hook.icon_url.app_error"),
        ],
    )
}

/// Own permission in the hook's team, and `manage_others` for someone else's hook.
pub async fn require_manage_outgoing(
    state: &AppState,
    s: &Session,
    h: &OutgoingWebhook,
) -> ApiResult<()> {
    require_team_any(state, s, &h.team_id, OWN_OUTGOING).await?;
    if h.creator_id != s.user_id {
        require_team_any(state, s, &h.team_id, OTHERS_OUTGOING).await?;
    }
    Ok(())
}

fn intersects(a: &[String], b: &[String]) -> bool {
    a.iter().any(|x| b.contains(x))
}

/// Every live outgoing hook of the team.
async fn team_outgoing(state: &AppState, team_id: &str) -> ApiResult<Vec<OutgoingWebhook>> {
    state
        .store
        .list_outgoing_webhooks(&WebhookQuery {
            team_id: Some(team_id.to_string()),
            ..Default::default()
        })
        .await
        .or_internal("app.webhooks.get_outgoing_by_team.app_error")
}

/// Whether another live hook of the team watches the same channel with a shared URL and a
/// shared trigger word.
async fn overlaps(state: &AppState, h: &OutgoingWebhook) -> ApiResult<bool> {
    let all = team_outgoing(state, &h.team_id).await?;
    Ok(all.iter().any(|o| {
        o.id != h.id
            && o.channel_id == h.channel_id
            && intersects(&o.callback_urls, &h.callback_urls)
            && intersects(&o.trigger_words, &h.trigger_words)
    }))
}

/// The channel rules shared by create and update: an open channel of the hook's team, or
/// no channel and at least one trigger word.
async fn check_outgoing_channel(
    state: &AppState,
    h: &OutgoingWebhook,
    update: bool,
) -> ApiResult<()> {
    if !h.channel_id.is_empty() {
        let c = channels::get_channel(state, &h.channel_id).await?;
        if !c.is_open() {
            return Err(ApiError::forbidden(if update {
                "api.webhook.create_outgoing.not_open.app_error"
            } else {
                "api.outgoing_webhook.disabled.app_error"
            }));
        }
        if c.team_id != h.team_id {
            return Err(ApiError::forbidden(
                "api.webhook.create_outgoing.permissions.app_error",
            ));
        }
    } else if h.trigger_words.is_empty() {
        return Err(if update {
            ApiError::internal(
                "api.webhook.create_outgoing.triggers.app_error",
                "no triggers",
            )
        } else {
            ApiError::bad_request("api.webhook.create_outgoing.triggers.app_error")
        });
    }
    Ok(())
}

pub async fn create_outgoing(
    state: &AppState,
    s: &Session,
    mut h: OutgoingWebhook,
) -> ApiResult<OutgoingWebhook> {
    if h.creator_id.is_empty() {
        h.creator_id = s.user_id.clone();
    }
    require_team_any(state, s, &h.team_id, OWN_OUTGOING).await?;
    if h.creator_id != s.user_id {
        require_team_any(state, s, &h.team_id, OTHERS_OUTGOING).await?;
        match state.store.get_user(&h.creator_id).await {
            Ok(u) if u.delete_at == 0 => {}
            _ => return Err(ApiError::invalid_param("creator_id")),
        }
    }
    outgoing_enabled(state)?;
    check_outgoing_channel(state, &h, false).await?;
    if overlaps(state, &h).await? {
        return Err(ApiError::internal(
            "api.webhook.create_outgoing.intersect.app_error",
            "overlapping hook",
        ));
    }
    h.start(state.clock.now_ms());
    h.token = new_id();
    validate_outgoing(&h)?;
    state
        .store
        .insert_outgoing_webhook(&h)
        .await
        .or_internal("app.webhooks.save_outgoing.app_error")?;
    hooks_changed(state, &h).await;
    Ok(h)
}

/// `PUT /hooks/outgoing/{id}` after the per-hook checks. The token is never taken from the
/// body (upstream stores whatever the body says); only `regen_token` changes it.
pub async fn update_outgoing(
    state: &AppState,
    _: &Session,
    old: OutgoingWebhook,
    new: OutgoingWebhook,
) -> ApiResult<OutgoingWebhook> {
    outgoing_enabled(state)?;
    let h = OutgoingWebhook {
        id: old.id,
        token: old.token,
        create_at: old.create_at,
        update_at: state.clock.now_ms(),
        delete_at: 0,
        creator_id: old.creator_id,
        team_id: old.team_id,
        last_used_at: old.last_used_at,
        ..new
    };
    check_outgoing_channel(state, &h, true).await?;
    if overlaps(state, &h).await? {
        return Err(ApiError::bad_request(
            "api.webhook.update_outgoing.intersect.app_error",
        ));
    }
    validate_outgoing(&h)?;
    save_outgoing(state, h).await
}

/// Writes back a changed outgoing hook and answers it.
async fn save_outgoing(state: &AppState, h: OutgoingWebhook) -> ApiResult<OutgoingWebhook> {
    state
        .store
        .update_outgoing_webhook(&h)
        .await
        .or_internal("app.webhooks.update_outgoing.app_error")?;
    hooks_changed(state, &h).await;
    Ok(h)
}

/// Tells the write caches (on every node) that the hook's team may have a live outgoing
/// webhook now. Every write of an outgoing webhook calls it once committed.
async fn hooks_changed(state: &AppState, h: &OutgoingWebhook) {
    state
        .invalidate(crate::cluster::Invalidation::TeamHooks {
            team_id: h.team_id.clone(),
        })
        .await;
}

pub async fn regen_outgoing_token(
    state: &AppState,
    mut h: OutgoingWebhook,
) -> ApiResult<OutgoingWebhook> {
    outgoing_enabled(state)?;
    h.token = new_id();
    h.update_at = state.clock.now_ms();
    save_outgoing(state, h).await
}

// ---- Outgoing webhooks: firing ----

/// The matching trigger word of a hook for a post's text, or `None` when the hook does not
/// fire. A channel hook without triggers fires on every post (the word is then empty).
pub fn matching_trigger(h: &OutgoingWebhook, post_channel: &str, text: &str) -> Option<String> {
    if !h.channel_id.is_empty() && h.channel_id != post_channel {
        return None;
    }
    if !h.channel_id.is_empty() && h.trigger_words.is_empty() {
        return Some(String::new());
    }
    let first = text.split_whitespace().next().unwrap_or_default();
    if first.is_empty() {
        return None;
    }
    h.trigger_words
        .iter()
        .find(|w| match h.trigger_when {
            0 => first == w.as_str(),
            _ => first.starts_with(w.as_str()),
        })
        .cloned()
}

/// Fires the outgoing hooks a new post matches, off the request path: the post is saved and
/// answered whatever the integrations do.
pub fn spawn_outgoing(state: &AppState, p: &Post, c: &Channel) {
    // Most posts go where no hook listens: no task, no listing.
    if !c.is_open() || state.write_caches.team_has_no_hooks(&c.team_id) {
        return;
    }
    let (state, p, c) = (state.clone(), p.clone(), c.clone());
    tokio::spawn(async move {
        match fire_outgoing(&state, &p, &c).await {
            Ok(results) => {
                for e in results.into_iter().filter_map(Result::err) {
                    tracing::warn!(post_id = %p.id, error = %e, "outgoing webhook call failed");
                }
            }
            Err(e) => {
                tracing::warn!(post_id = %p.id, error = %e.id, detail = %e.detailed, "outgoing webhooks failed");
            }
        }
    });
}

/// Calls every outgoing hook the post matches (each callback URL concurrently) and posts
/// their replies; one result per call. Only posts in public channels fire, and never a
/// webhook's own post.
pub async fn fire_outgoing(
    state: &AppState,
    p: &Post,
    c: &Channel,
) -> ApiResult<Vec<Result<(), String>>> {
    if !c.is_open()
        || !state
            .config
            .get()
            .bool("/ServiceSettings/EnableOutgoingWebhooks")
    {
        return Ok(Vec::new());
    }
    if state.write_caches.team_has_no_hooks(&c.team_id) {
        return Ok(Vec::new());
    }
    // Noted before the listing: a hook created while it runs must not be cached away.
    let epoch = state.write_caches.epoch();
    let hooks = team_outgoing(state, &c.team_id).await?;
    if hooks.is_empty() {
        state
            .write_caches
            .put_team_without_hooks_if_unchanged(&c.team_id, epoch);
    }
    let mut matched: Vec<(OutgoingWebhook, String)> = Vec::new();
    for h in hooks {
        let Some(word) = matching_trigger(&h, &c.id, &p.message) else {
            continue;
        };
        // A hook sends channel content out only while its creator could still read it.
        if creator_active_on_team(state, &h).await? {
            matched.push((h, word));
        }
    }
    if matched.is_empty() {
        return Ok(Vec::new());
    }
    let author = users::get_user(state, &p.user_id).await?;
    let team = teams::get_team(state, &c.team_id).await?;
    let mut calls = tokio::task::JoinSet::new();
    for (hook, word) in matched {
        let _ = state
            .store
            .touch_outgoing_webhook(&hook.id, state.clock.now_ms())
            .await;
        for url in hook.callback_urls.clone() {
            let payload = Payload {
                token: hook.token.clone(),
                team_id: team.id.clone(),
                team_domain: team.name.clone(),
                channel_id: c.id.clone(),
                channel_name: c.name.clone(),
                timestamp: p.create_at,
                user_id: author.id.clone(),
                user_name: author.username.clone(),
                post_id: p.id.clone(),
                text: p.message.clone(),
                trigger_word: word.clone(),
                file_ids: p.file_ids.join(","),
            };
            let (state, hook, p, c) = (state.clone(), hook.clone(), p.clone(), c.clone());
            calls.spawn(async move { call_one(&state, &hook, &url, &payload, &p, &c).await });
        }
    }
    let mut results = Vec::new();
    while let Some(r) = calls.join_next().await {
        results.push(r.unwrap_or_else(|e| Err(e.to_string())));
    }
    Ok(results)
}

/// Whether the hook's creator is active and on the hook's team; a store failure is an error,
/// never "gone".
async fn creator_active_on_team(state: &AppState, h: &OutgoingWebhook) -> ApiResult<bool> {
    let active = state
        .store
        .get_user(&h.creator_id)
        .await
        .optional("app.user.get.app_error")?
        .is_some_and(|u| u.delete_at == 0);
    Ok(active
        && scoped_authz::team_roles(state, &h.team_id, &h.creator_id)
            .await?
            .is_some())
}

/// `OutgoingWebhookPayload`: `timestamp` is milliseconds in JSON and seconds in a form.
#[derive(Debug, Clone, serde::Serialize)]
struct Payload {
    token: String,
    team_id: String,
    team_domain: String,
    channel_id: String,
    channel_name: String,
    timestamp: i64,
    user_id: String,
    user_name: String,
    post_id: String,
    text: String,
    trigger_word: String,
    file_ids: String,
}

impl Payload {
    fn form(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("token", &self.token)
            .append_pair("team_id", &self.team_id)
            .append_pair("team_domain", &self.team_domain)
            .append_pair("channel_id", &self.channel_id)
            .append_pair("channel_name", &self.channel_name)
            .append_pair("timestamp", &(self.timestamp / 1000).to_string())
            .append_pair("user_id", &self.user_id)
            .append_pair("user_name", &self.user_name)
            .append_pair("post_id", &self.post_id)
            .append_pair("text", &self.text)
            .append_pair("trigger_word", &self.trigger_word)
            .append_pair("file_ids", &self.file_ids)
            .finish()
    }
}

/// The reply an integration may send (`OutgoingWebhookResponse`).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct Reply {
    text: Option<String>,
    username: String,
    icon_url: String,
    props: Option<Map<String, Value>>,
    attachments: Option<Value>,
    #[serde(rename = "type")]
    post_type: String,
    response_type: String,
    priority: Option<Value>,
}

/// One call: the payload signed with the hook's token, through the guarded client, and the
/// reply (at most 1 MiB) posted by the hook's creator.
async fn call_one(
    state: &AppState,
    hook: &OutgoingWebhook,
    url: &str,
    payload: &Payload,
    trigger: &Post,
    c: &Channel,
) -> Result<(), String> {
    let url = reqwest::Url::parse(url).map_err(|e| e.to_string())?;
    let client = integration_client(&state.config.get(), &url)?;
    let (body, content_type) = if hook.content_type == "application/json" {
        (
            serde_json::to_vec(payload).map_err(|e| e.to_string())?,
            "application/json",
        )
    } else {
        (
            payload.form().into_bytes(),
            "application/x-www-form-urlencoded",
        )
    };
    let mut req = client
        .post(url)
        .header("Content-Type", content_type)
        .header("Accept", "application/json");
    for (k, v) in signing::headers(&hook.token, state.clock.now_ms(), &body) {
        req = req.header(k, v);
    }
    let resp = req.body(body).send().await.map_err(|e| format!("{e:?}"))?;
    let bytes = read_capped(resp, MAX_REPLY).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    let raw: Value = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
    let has_text = raw.get("text").is_some();
    let reply: Reply = rustmost_model::json::from_value(raw).map_err(|e| e.to_string())?;
    let has_attachments = reply.attachments.as_ref().is_some_and(|a| !a.is_null());
    if !has_text && !has_attachments {
        return Ok(());
    }
    let store_failure = |e: ApiError| format!("{}: {}", e.id, e.detailed);
    let creator = match state
        .store
        .get_user(&hook.creator_id)
        .await
        .optional("app.user.get.app_error")
        .map_err(store_failure)?
    {
        Some(u) if u.delete_at == 0 => u,
        _ => return Err("hook creator missing or deactivated".into()),
    };
    if scoped_authz::team_roles(state, &hook.team_id, &creator.id)
        .await
        .map_err(store_failure)?
        .is_none()
    {
        return Err("hook creator is no longer on the team".into());
    }
    // A comment joins the trigger's thread at its root (upstream can root it at a reply).
    let root_id = if reply.response_type == "comment" {
        if trigger.root_id.is_empty() {
            trigger.id.clone()
        } else {
            trigger.root_id.clone()
        }
    } else {
        String::new()
    };
    let pick = |a: String, b: &str| if a.is_empty() { b.to_string() } else { a };
    integration_posts::create(
        state,
        &creator,
        c,
        IntegrationPost {
            text: reply.text.unwrap_or_default(),
            post_type: reply.post_type,
            props: reply.props.unwrap_or_default(),
            attachments: reply.attachments,
            root_id,
            username: pick(reply.username, &hook.username),
            icon_url: pick(reply.icon_url, &hook.icon_url),
            display_name: Some(hook.display_name.clone()),
            priority: reply.priority,
            ..Default::default()
        },
        Origin::Webhook,
    )
    .await
    .map(|_| ())
    .map_err(|e| format!("{}: {}", e.id, e.detailed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(channel: &str, words: &[&str], when: i64) -> OutgoingWebhook {
        OutgoingWebhook {
            channel_id: channel.into(),
            trigger_words: words.iter().map(|w| w.to_string()).collect(),
            trigger_when: when,
            ..Default::default()
        }
    }

    #[test]
    fn trigger_rules() {
        let exact = hook("", &["build"], 0);
        assert_eq!(
            matching_trigger(&exact, "c", "build now"),
            Some("build".into())
        );
        assert_eq!(matching_trigger(&exact, "c", "builder now"), None);
        assert_eq!(matching_trigger(&exact, "c", "now build"), None);
        assert_eq!(matching_trigger(&exact, "c", "Build now"), None);
        let prefix = hook("", &["build"], 1);
        assert_eq!(
            matching_trigger(&prefix, "c", "builder x"),
            Some("build".into())
        );
        let chan = hook("c", &[], 0);
        assert_eq!(
            matching_trigger(&chan, "c", "anything"),
            Some(String::new())
        );
        assert_eq!(matching_trigger(&chan, "d", "anything"), None);
    }

    #[test]
    fn raw_newlines_in_strings_are_escaped() {
        let r = parse_incoming_request(b"{\"text\": \"a\nb\tc\"}").unwrap();
        assert_eq!(r.text.as_deref(), Some("a\nb\tc"));
        assert!(parse_incoming_request(b"{\"text\": ").is_err());
    }
}
