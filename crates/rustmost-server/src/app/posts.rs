//! Posts: creation rules (root posts, replies, attachments with action ids, length limits),
//! system messages, ephemeral posts, deletion, and the post as a client sees it.

use crate::app::{scoped_authz, users};
use crate::config::Config;
use crate::error::{ApiError, ApiResult, StoreResultExt};
use crate::state::{AppState, Session};
use crate::write_cache;
use rustmost_model::Permission;
use rustmost_model::channel::Channel;
use rustmost_model::new_id;
use rustmost_model::post::{self, Post, PostList};
use rustmost_store::Page;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Arc;

pub const POST_NOT_FOUND: &str = "app.post.get.app_error";

/// A live post, or 404 `app.post.get.app_error`.
pub async fn get_live_post(state: &AppState, id: &str) -> ApiResult<Post> {
    match state
        .store
        .get_post(id)
        .await
        .or_not_found(POST_NOT_FOUND)?
    {
        p if p.delete_at == 0 => Ok(p),
        _ => Err(ApiError::not_found(POST_NOT_FOUND)),
    }
}

/// Mattermost's `ParseHashtags`: `#words` of the message, space-separated, at most 1000 chars.
pub fn parse_hashtags(message: &str) -> String {
    let mut tags: Vec<String> = Vec::new();
    for word in message.split_whitespace() {
        let w = word.trim_end_matches(|c: char| !c.is_alphanumeric());
        let Some(rest) = w.strip_prefix('#') else {
            continue;
        };
        if rest.chars().count() < 2 || !rest.chars().next().is_some_and(char::is_alphanumeric) {
            continue;
        }
        if rest
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
            && !tags.iter().any(|t| t == w)
        {
            tags.push(w.to_string());
        }
    }
    let mut out = String::new();
    for t in tags {
        if out.len() + t.len() + 1 > 1000 {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&t);
    }
    out
}

/// `Post.IsValid` for what a client controls: message length and props size.
pub fn validate_post(p: &Post) -> ApiResult<()> {
    if p.message.chars().count() > post::POST_MESSAGE_MAX_RUNES {
        return Err(
            ApiError::bad_request("model.post.is_valid.message_length.app_error")
                .detail(format!("id={}", p.id)),
        );
    }
    let props_len = serde_json::to_string(&p.props)
        .map(|s| s.chars().count())
        .unwrap_or(0);
    if props_len > post::POST_PROPS_MAX_RUNES {
        return Err(ApiError::bad_request("model.post.is_valid.props.app_error")
            .detail(format!("id={}", p.id)));
    }
    if !(p.post_type.is_empty()
        || p.post_type.starts_with("system_")
        || p.post_type.starts_with("custom_")
        || p.post_type == "slack_attachment"
        || p.post_type == "me")
    {
        return Err(ApiError::bad_request("model.post.is_valid.type.app_error")
            .detail(format!("id={}", p.id)));
    }
    Ok(())
}

/// `PreSave`: a fresh id, times (`now` unless given), normalized attachments with action ids,
/// hashtags.
pub fn pre_save(p: &mut Post, now: i64) {
    p.id = new_id();
    if p.create_at == 0 {
        p.create_at = now;
    }
    p.update_at = p.create_at;
    p.edit_at = 0;
    p.delete_at = 0;
    p.original_id = String::new();
    post::normalize_attachments(&mut p.props);
    p.hashtags = parse_hashtags(&p.message);
}

/// Who wrote the post, said by the server alone: whatever the client put in
/// [`post::AUTHOR_PROPS`] is dropped; a bot's post is marked `from_bot` (as `CreatePost`
/// does) and keeps a string override its `ServiceSettings` switch allows; a post through an
/// OAuth session is marked `from_oauth_app`. So `override_*` is on a stored post only beside
/// `from_bot: "true"`.
pub fn set_author_props(cfg: &Config, props: &mut Map<String, Value>, is_bot: bool, oauth: bool) {
    let overrides: Vec<(&str, Value)> = post::OVERRIDE_PROPS
        .iter()
        .filter(|(_, setting)| is_bot && cfg.bool(&format!("/ServiceSettings/{setting}")))
        .filter_map(|(k, _)| match props.get(*k) {
            Some(v @ Value::String(s)) if !s.is_empty() => Some((*k, v.clone())),
            _ => None,
        })
        .collect();
    for k in post::AUTHOR_PROPS {
        props.remove(*k);
    }
    for (k, v) in overrides {
        props.insert(k.to_string(), v);
    }
    if is_bot {
        props.insert("from_bot".into(), Value::String("true".into()));
    }
    if oauth {
        props.insert("from_oauth_app".into(), Value::String("true".into()));
    }
}

/// `CreatePost` for a user's post in `channel` (permission already checked); `oauth` says
/// whether it comes through an OAuth session.
pub async fn create_post(
    state: &AppState,
    mut p: Post,
    channel: &Channel,
    oauth: bool,
) -> ApiResult<Post> {
    if channel.delete_at != 0 {
        return Err(ApiError::bad_request(
            "api.post.create_post.can_not_post_to_deleted.error",
        ));
    }
    let author = users::get_user_cached(state, &p.user_id).await?;
    set_author_props(&state.config.get(), &mut p.props, author.is_bot, oauth);
    // The thread as it will be with this reply in it (the root's counts plus this post).
    let mut thread = (0, 0);
    if !p.root_id.is_empty() {
        let root = match state.store.get_post(&p.root_id).await {
            Ok(r) if r.delete_at == 0 => r,
            _ => {
                return Err(
                    ApiError::bad_request("api.post.create_post.root_id.app_error")
                        .param("RootId", p.root_id.clone()),
                );
            }
        };
        if !root.root_id.is_empty() {
            return Err(
                ApiError::bad_request("api.post.create_post.root_id.app_error")
                    .param("RootId", p.root_id.clone()),
            );
        }
        if root.channel_id != p.channel_id {
            return Err(ApiError::bad_request(
                "api.post.create_post.channel_root_id.app_error",
            ));
        }
        thread = (root.reply_count, root.last_reply_at);
    }
    // The store refuses a post that already has an id (`ErrInvalidInput` on `Post.id`).
    if !p.id.is_empty() {
        return Err(
            ApiError::bad_request("app.post.save.existing.app_error").detail(format!(
                "invalid input: entity: Post field: id value: {}",
                p.id
            )),
        );
    }
    pre_save(&mut p, state.clock.now_ms());
    p.has_reactions = false;
    p.is_pinned = false;
    p.remote_id = None;
    validate_post(&p)?;
    state
        .store
        .insert_post(&p)
        .await
        .on_conflict("posts_id", "app.post.save.existing.app_error")
        .or_internal("app.post.save.app_error")?;
    // The post is what was written (the store keeps every field as given), so it is not read
    // back; only the thread figures a read adds are filled in.
    p.metadata = None;
    p.participants = None;
    if p.root_id.is_empty() {
        (p.reply_count, p.last_reply_at) = (0, 0);
    } else {
        p.reply_count = thread.0 + 1;
        p.last_reply_at = thread.1.max(p.create_at);
    }
    crate::app::webhooks::spawn_outgoing(state, &p, channel);
    crate::realtime::events::posted(state, &p, channel).await;
    Ok(p)
}

/// Stores a system message (joins, leaves, archiving) in a channel.
pub async fn system_post(
    state: &AppState,
    c: &Channel,
    user_id: &str,
    post_type: &str,
    message: String,
    props: Value,
) -> ApiResult<()> {
    let mut p = Post {
        channel_id: c.id.clone(),
        user_id: user_id.to_string(),
        post_type: post_type.to_string(),
        message,
        props: props.as_object().cloned().unwrap_or_default(),
        ..Default::default()
    };
    pre_save(&mut p, state.clock.now_ms());
    state
        .store
        .insert_post(&p)
        .await
        .or_internal("app.post.save.app_error")?;
    crate::realtime::events::posted(state, &p, c).await;
    Ok(())
}

/// `SendEphemeralPost`: a `system_ephemeral` post for one user, never stored; created `now`
/// unless it says when.
pub fn ephemeral_post(mut p: Post, now: i64) -> Post {
    p.post_type = post::POST_TYPE_EPHEMERAL.into();
    if p.id.is_empty() {
        p.id = new_id();
    }
    if p.create_at == 0 {
        p.create_at = now;
    }
    p.update_at = p.create_at;
    post::normalize_attachments(&mut p.props);
    p
}

/// The post as clients receive it (`PreparePostForClient`): action integrations stripped,
/// `metadata` filled (attachment embeds, reactions).
pub async fn for_client(state: &AppState, p: Post) -> Post {
    let reactions = if p.has_reactions {
        state.store.list_reactions(&p.id).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    prepare(p, reactions)
}

/// [`for_client`] with the post's reactions already read.
fn prepare(mut p: Post, reactions: Vec<rustmost_model::post::Reaction>) -> Post {
    post::strip_action_integrations(&mut p.props);
    let mut meta = serde_json::Map::new();
    if p.props
        .get("attachments")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
    {
        meta.insert("embeds".into(), json!([{"type": "message_attachment"}]));
    }
    if !reactions.is_empty() {
        meta.insert("reactions".into(), json!(reactions));
    }
    p.metadata = Some(Value::Object(meta));
    p
}

/// Marks a post (and its replies) deleted, recording who deleted it.
pub async fn delete_post(state: &AppState, p: &Post, by: &str) -> ApiResult<()> {
    state
        .store
        .delete_post(&p.id, state.clock.now_ms(), by)
        .await
        .or_internal("app.post.delete.app_error")?;
    crate::realtime::events::post_deleted(state, p, by).await;
    Ok(())
}

/// Builds a `PostList` from posts newest first; `extra` posts (thread roots) go in `posts`
/// only. The reactions of all the posts are read at once.
pub async fn post_list(state: &AppState, order: Vec<Post>, extra: Vec<Post>) -> PostList {
    let mut list = PostList::default();
    let mut posts = Vec::with_capacity(order.len() + extra.len());
    for p in order {
        list.order.push(p.id.clone());
        posts.push(p);
    }
    for p in extra {
        if !posts.iter().any(|o| o.id == p.id) {
            posts.push(p);
        }
    }
    let with_reactions: Vec<String> = posts
        .iter()
        .filter(|p| p.has_reactions)
        .map(|p| p.id.clone())
        .collect();
    let mut reactions: HashMap<String, Vec<rustmost_model::post::Reaction>> = HashMap::new();
    if !with_reactions.is_empty() {
        // As for one post, a failed read leaves the reactions out rather than the list.
        for r in state
            .store
            .list_reactions_for_posts(&with_reactions)
            .await
            .unwrap_or_default()
        {
            reactions.entry(r.post_id.clone()).or_default().push(r);
        }
    }
    for p in posts {
        let r = reactions.remove(&p.id).unwrap_or_default();
        list.posts.insert(p.id.clone(), prepare(p, r));
    }
    list
}

/// Props only the server sets (`deleteBy`) or that `SanitizeProps` drops from a client's
/// post; the author props are settled in [`set_author_props`].
pub const SERVER_ONLY_PROPS: &[&str] = &["deleteBy", "add_channel_member", "force_notification"];

/// `model.PostPatch`: the fields `PUT /posts/{id}/patch` may change; absent ones stay.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct PostPatch {
    pub is_pinned: Option<bool>,
    pub message: Option<String>,
    pub props: Option<Map<String, Value>>,
    pub file_ids: Option<Vec<String>>,
    pub has_reactions: Option<bool>,
}

/// A client's new props for a post: the author props and the server-only props stay as the
/// stored post has them, whatever the client sent.
fn merge_client_props(old: &Map<String, Value>, mut new: Map<String, Value>) -> Map<String, Value> {
    for k in post::AUTHOR_PROPS.iter().chain(SERVER_ONLY_PROPS) {
        match old.get(*k) {
            Some(v) => {
                new.insert((*k).to_string(), v.clone());
            }
            None => {
                new.remove(*k);
            }
        }
    }
    new
}

/// The live post an edit is about; a missing one is upstream's 403 `edit_post`.
async fn post_to_edit(state: &AppState, s: &Session, id: &str) -> ApiResult<Post> {
    match get_live_post(state, id).await {
        Err(e) if e.status == axum::http::StatusCode::NOT_FOUND => {
            Err(ApiError::permission(&s.user_id, &[Permission::EditPost]))
        }
        r => r,
    }
}

/// `PostEditTimeLimit` (seconds, -1 for none): a message may not change once it is older.
fn check_edit_time(state: &AppState, original: &Post, message_changes: bool) -> ApiResult<()> {
    let limit = state.config.get().i64("/ServiceSettings/PostEditTimeLimit");
    if limit != -1
        && message_changes
        && state.clock.now_ms()
            > original
                .create_at
                .saturating_add(limit.saturating_mul(1000))
    {
        return Err(
            ApiError::bad_request("api.post.update_post.permissions_time_limit.app_error")
                .param("timeLimit", limit.to_string()),
        );
    }
    Ok(())
}

/// `UpdatePost`: stores `new` in place of `old` (never a system message, never in an archived
/// channel), sets `edit_at` when the message or the attachments change, and publishes
/// `post_edited`. Answers the post as clients see it.
async fn apply_edit(state: &AppState, old: Post, mut new: Post) -> ApiResult<Post> {
    if old.post_type.starts_with("system_") {
        return Err(
            ApiError::bad_request("api.post.update_post.system_message.app_error")
                .detail(format!("id={}", old.id)),
        );
    }
    let c = crate::app::channels::get_channel(state, &old.channel_id).await?;
    if c.delete_at != 0 {
        return Err(ApiError::bad_request(
            "api.post.update_post.can_not_update_post_in_deleted.error",
        ));
    }
    let now = state.clock.now_ms();
    post::normalize_attachments(&mut new.props);
    if new.message != old.message {
        new.edit_at = now;
        new.hashtags = parse_hashtags(&new.message);
    } else if new.file_ids != old.file_ids
        || new.props.get("attachments") != old.props.get("attachments")
    {
        new.edit_at = now;
    }
    // Reactions are the server's to count.
    new.has_reactions = old.has_reactions;
    new.update_at = now;
    validate_post(&new)?;
    state
        .store
        .update_post(&new)
        .await
        .or_internal("app.post.update.app_error")?;
    crate::realtime::events::post_edited(state, &new).await;
    Ok(for_client(state, new).await)
}

/// `updatePost`: replaces a post's message, props, pin and files. The body's `id` must be the
/// path's; needs `edit_post` in the channel, and `edit_others_posts` for another's post; a
/// changed message must be within `PostEditTimeLimit`.
pub async fn update_post(state: &AppState, s: &Session, id: &str, p: Post) -> ApiResult<Post> {
    if p.id != id {
        return Err(ApiError::invalid_param("id"));
    }
    let original = post_to_edit(state, s, id).await?;
    scoped_authz::require_channel(state, s, &original.channel_id, Permission::EditPost).await?;
    if s.user_id != original.user_id {
        scoped_authz::require_channel(state, s, &original.channel_id, Permission::EditOthersPosts)
            .await?;
    }
    check_edit_time(state, &original, p.message != original.message)?;
    let mut new = original.clone();
    new.message = p.message;
    new.is_pinned = p.is_pinned;
    new.props = merge_client_props(&original.props, p.props);
    // An absent `file_ids` keeps the post's files, as upstream's nil list does.
    if !p.file_ids.is_empty() {
        new.file_ids = p.file_ids;
    }
    apply_edit(state, original, new).await
}

/// `patchPost` + `PatchPost`: changes only the fields given. Needs `edit_post` for one's own
/// post, `edit_others_posts` for another's; a new message must be within
/// `PostEditTimeLimit`.
pub async fn patch_post(
    state: &AppState,
    s: &Session,
    id: &str,
    patch: PostPatch,
) -> ApiResult<Post> {
    let original = post_to_edit(state, s, id).await?;
    let perm = if s.user_id == original.user_id {
        Permission::EditPost
    } else {
        Permission::EditOthersPosts
    };
    scoped_authz::require_channel(state, s, &original.channel_id, perm).await?;
    check_edit_time(state, &original, patch.message.is_some())?;
    let c = crate::app::channels::get_channel(state, &original.channel_id).await?;
    if c.delete_at != 0 {
        return Err(ApiError::bad_request(
            "api.post.patch_post.can_not_update_post_in_deleted.error",
        ));
    }
    let mut new = original.clone();
    if let Some(m) = patch.message {
        new.message = m;
    }
    if let Some(p) = patch.is_pinned {
        new.is_pinned = p;
    }
    if let Some(props) = patch.props {
        new.props = merge_client_props(&original.props, props);
    }
    if let Some(f) = patch.file_ids {
        new.file_ids = f;
    }
    apply_edit(state, original, new).await
}

/// `getPostThread`: the post's whole thread (root and live replies) as a `PostList`, newest
/// first. Unknown or deleted: 404; then the channel must be readable.
pub async fn get_post_thread(state: &AppState, s: &Session, id: &str) -> ApiResult<PostList> {
    let p = get_live_post(state, id).await?;
    let root = if p.root_id.is_empty() {
        p.id.clone()
    } else {
        p.root_id.clone()
    };
    let thread = state
        .store
        .list_thread(&root)
        .await
        .or_internal("app.post.get_thread.app_error")?;
    if !thread.iter().any(|t| t.id == id) {
        return Err(ApiError::invalid_url_param("post_id"));
    }
    let c = crate::app::channels::get_channel(state, &p.channel_id).await?;
    if !scoped_authz::has_read_channel(state, s, &c).await? {
        let perm = if c.is_open() {
            Permission::ReadPublicChannel
        } else {
            Permission::ReadChannelContent
        };
        return Err(ApiError::permission(&s.user_id, &[perm]));
    }
    Ok(post_list(state, thread, Vec::new()).await)
}

// ---- The post endpoints' rules, for the caller's session (handlers are HTTP glue) ----

/// `createPost`'s checks: `create_post` in the channel, or `create_post_public` in the team for
/// a public channel; a `create_at` only from system admins; no `system_` types. Answers the
/// channel the post goes to (from the write cache: fit for the post's checks and events, not
/// for its counters).
pub async fn check_create_post(
    state: &AppState,
    s: &Session,
    p: &mut Post,
) -> ApiResult<Arc<Channel>> {
    let mut allowed =
        scoped_authz::has_channel(state, s, &p.channel_id, Permission::CreatePost).await?;
    if !allowed {
        match write_cache::channel(&state.write_caches, state.store.as_ref(), &p.channel_id).await {
            Ok(c) if c.is_open() => {
                allowed =
                    scoped_authz::has_team(state, s, &c.team_id, Permission::CreatePostPublic)
                        .await?;
            }
            Ok(_) | Err(rustmost_store::StoreError::NotFound) => {}
            Err(e) => return Err(ApiError::internal("app.channel.get.find.app_error", e)),
        }
    }
    if !allowed {
        return Err(ApiError::permission(&s.user_id, &[Permission::CreatePost]));
    }
    if p.create_at != 0 && !crate::app::authz::is_system_admin(state, s) {
        p.create_at = 0;
    }
    if p.post_type.starts_with("system_") {
        return Err(
            ApiError::bad_request("api.context.invalid_param.app_error").param("Name", "post.type")
        );
    }
    write_cache::channel(&state.write_caches, state.store.as_ref(), &p.channel_id)
        .await
        .map_err(|_| {
            ApiError::bad_request("api.context.invalid_param.app_error")
                .param("Name", "post.channel_id")
        })
}

/// `createEphemeralPost`: `create_post_ephemeral`; the post reaches `user_id`'s sockets only
/// and is never stored. Answers it as clients see it.
pub async fn create_ephemeral_post_as(
    state: &AppState,
    s: &Session,
    user_id: &str,
    mut p: Post,
) -> ApiResult<Post> {
    p.user_id = s.user_id.clone();
    p.create_at = state.clock.now_ms();
    crate::app::authz::require(state, s, Permission::CreatePostEphemeral)?;
    let p = ephemeral_post(p, state.clock.now_ms());
    crate::realtime::events::ephemeral(state, user_id, &p).await;
    Ok(for_client(state, p).await)
}

/// `getPost`: `read_channel_content` in the post's channel (or `read_public_channel` for a
/// public channel); `include_deleted` also needs `read_deleted_posts`.
pub async fn get_post_as(
    state: &AppState,
    s: &Session,
    id: &str,
    include_deleted: bool,
) -> ApiResult<Post> {
    if include_deleted
        && !scoped_authz::has_channel_by_post(state, s, id, Permission::ReadDeletedPosts).await?
    {
        return Err(ApiError::permission(
            &s.user_id,
            &[Permission::ReadDeletedPosts],
        ));
    }
    let p = state
        .store
        .get_post(id)
        .await
        .or_not_found(POST_NOT_FOUND)?;
    if p.delete_at != 0 && !include_deleted {
        return Err(ApiError::not_found(POST_NOT_FOUND));
    }
    let c = crate::app::channels::get_channel(state, &p.channel_id).await?;
    if !scoped_authz::has_channel(state, s, &c.id, Permission::ReadChannelContent).await? {
        if !c.is_open() {
            return Err(ApiError::permission(
                &s.user_id,
                &[Permission::ReadChannelContent],
            ));
        }
        scoped_authz::require_team(state, s, &c.team_id, Permission::ReadPublicChannel).await?;
    }
    Ok(for_client(state, p).await)
}

/// `deletePost`: one's own post (`delete_post`) or another's (`delete_others_posts`), with
/// the replies of a root. An unknown post answers 403 as upstream does; permanent deletion is
/// not offered; not in an archived channel.
pub async fn delete_post_as(
    state: &AppState,
    s: &Session,
    id: &str,
    permanent: bool,
) -> ApiResult<()> {
    let Ok(p) = get_live_post(state, id).await else {
        return Err(ApiError::permission(&s.user_id, &[Permission::DeletePost]));
    };
    let perm = if p.user_id == s.user_id {
        Permission::DeletePost
    } else {
        Permission::DeleteOthersPosts
    };
    scoped_authz::require_channel(state, s, &p.channel_id, perm).await?;
    if permanent {
        return Err(ApiError::not_implemented(
            "api.post.delete_post.not_enabled.app_error",
        ));
    }
    let c = crate::app::channels::get_channel(state, &p.channel_id).await?;
    if c.delete_at != 0 {
        return Err(ApiError::bad_request(
            "api.post.delete_post.can_not_delete_post_in_deleted.error",
        ));
    }
    delete_post(state, &p, &s.user_id).await
}

/// `getPostsForChannel`: a page of live posts newest first with the paging cursors, or with
/// `since` every post changed since then (deleted ones included); thread roots of replies are
/// added to `posts`. An unknown channel is 404; then `SessionHasPermissionToReadChannel`.
pub async fn get_posts_for_channel(
    state: &AppState,
    s: &Session,
    channel_id: &str,
    since: Option<i64>,
    page: Page,
) -> ApiResult<PostList> {
    let c = crate::app::channels::get_channel(state, channel_id).await?;
    if !scoped_authz::has_read_channel(state, s, &c).await? {
        return Err(ApiError::permission(
            &s.user_id,
            &[Permission::ReadChannelContent],
        ));
    }
    let mut next_post_id = String::new();
    let mut prev_post_id = String::new();
    let order = if let Some(since) = since.filter(|v| *v > 0) {
        state
            .store
            .list_channel_posts_since(channel_id, since)
            .await
            .or_internal("app.post.get_posts_since.app_error")?
    } else {
        // One read for the page and its neighbours in the order: the post just newer than the
        // page (`next_post_id`, on pages after the first) and the one just older
        // (`prev_post_id`, when the page is full).
        let first = page.offset();
        let newer = page.page > 0 && first >= 1;
        let older = page.per_page > 0;
        let mut list = state
            .store
            .list_channel_posts_from(
                channel_id,
                if newer { first - 1 } else { first },
                page.per_page + i64::from(newer) + i64::from(older),
            )
            .await
            .or_internal("app.post.get_root_posts.app_error")?;
        if newer && !list.is_empty() {
            next_post_id = list.remove(0).id;
        }
        if older && list.len() as i64 > page.per_page {
            prev_post_id = list.pop().map(|p| p.id).unwrap_or_default();
        }
        list
    };
    let mut missing: Vec<String> = Vec::new();
    for p in &order {
        if !p.root_id.is_empty()
            && !order.iter().any(|o| o.id == p.root_id)
            && !missing.contains(&p.root_id)
        {
            missing.push(p.root_id.clone());
        }
    }
    // Roots that cannot be read are left out, as before the read was batched.
    let extra = state.store.get_posts(&missing).await.unwrap_or_default();
    let mut list = post_list(state, order, extra).await;
    list.next_post_id = next_post_id;
    list.prev_post_id = prev_post_id;
    Ok(list)
}

/// `doPostActionWithCookie`'s check: `read_channel_content` in the post's channel, then the
/// click itself (`app::actions`). Answers the `trigger_id`.
pub async fn do_post_action_as(
    state: &AppState,
    s: &Session,
    post_id: &str,
    action_id: &str,
    selected_option: &str,
) -> ApiResult<String> {
    if !scoped_authz::has_channel_by_post(state, s, post_id, Permission::ReadChannelContent).await?
    {
        return Err(ApiError::permission(
            &s.user_id,
            &[Permission::ReadChannelContent],
        ));
    }
    crate::app::actions::do_post_action(state, s, post_id, action_id, selected_option).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashtags() {
        assert_eq!(
            parse_hashtags("hello #world and #rust-lang, #a #x1"),
            "#world #rust-lang #x1"
        );
        assert_eq!(parse_hashtags("no tags"), "");
    }
}
