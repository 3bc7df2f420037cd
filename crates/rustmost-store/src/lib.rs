//! The storage interface every backend implements: per-area traits, rows, `StoreError`, and the
//! change feed between nodes (`feed`).

use async_trait::async_trait;
use rustmost_model::audit::Audit;
use rustmost_model::bot::Bot;
use rustmost_model::channel::{Channel, ChannelMember, ChannelWithTeamData};
use rustmost_model::post::{Post, Reaction};
use rustmost_model::role::Role;
use rustmost_model::team::{Team, TeamMember};
use rustmost_model::user::User;
use rustmost_model::webhook::{IncomingWebhook, OutgoingWebhook};
use std::collections::BTreeMap;

pub mod feed;

/// What can go wrong in a store; each backend maps its driver errors into these once.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique constraint was violated; `constraint` names the column set, e.g. `users_username`.
    #[error("conflict on {constraint}")]
    Conflict { constraint: String },
    #[error(transparent)]
    Other(Box<dyn std::error::Error + Send + Sync>),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// One page of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub page: i64,
    pub per_page: i64,
}

impl Page {
    pub fn offset(&self) -> i64 {
        self.page.saturating_mul(self.per_page)
    }
}

/// Filters of `GET /users`; every field is optional.
#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    pub page: Option<Page>,
    pub in_team: Option<String>,
    pub not_in_team: Option<String>,
    pub in_channel: Option<String>,
    pub not_in_channel: Option<String>,
    /// `create_at` (newest first), `last_activity_at`, `admin` (channel admins first, with
    /// `in_channel`), or anything else for username order.
    pub sort: String,
    pub inactive: bool,
    pub active: bool,
    pub role: Option<String>,
    pub include_bots: bool,
    /// Only users updated after this time (ms), as `POST /users/ids?since` uses.
    pub since: Option<i64>,
    /// A prefix match on username, email, first, last or nick name.
    pub term: Option<String>,
}

/// A login session. The store holds only the SHA-256 of its secret, never the secret itself.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRow {
    pub id: String,
    pub token_hash: String,
    pub create_at: i64,
    pub expires_at: i64,
    pub last_activity_at: i64,
    pub user_id: String,
    pub device_id: String,
    pub roles: String,
    pub is_oauth: bool,
    pub props: BTreeMap<String, String>,
}

#[async_trait]
pub trait UserStore: Send + Sync {
    async fn insert_user(&self, user: &User) -> Result<()>;
    async fn get_user(&self, id: &str) -> Result<User>;
    async fn get_user_by_username(&self, username: &str) -> Result<User>;
    async fn get_user_by_email(&self, email: &str) -> Result<User>;
    async fn get_users_by_ids(&self, ids: &[String], since: Option<i64>) -> Result<Vec<User>>;
    /// The users with these (lowercase) usernames, in one query; unknown names are skipped.
    async fn get_users_by_usernames(&self, usernames: &[String]) -> Result<Vec<User>>;
    async fn list_users(&self, q: &UserQuery) -> Result<Vec<User>>;
    /// Writes every column of the user (matched by id); `NotFound` if absent.
    async fn update_user(&self, user: &User) -> Result<()>;
    async fn count_users(&self, include_bots: bool) -> Result<i64>;
    /// Users not deactivated, bots included: upstream's `total_users_count`.
    async fn count_active_users(&self) -> Result<i64>;
    async fn set_failed_attempts(&self, id: &str, attempts: i64) -> Result<()>;
    /// Adds one failed attempt in the database and returns the new count, so parallel wrong
    /// passwords each count; `NotFound` if absent.
    async fn add_failed_attempt(&self, id: &str) -> Result<i64>;
    /// A successful login: sets `last_login` and clears failed attempts, nothing else.
    async fn record_login(&self, id: &str, at: i64) -> Result<()>;
    /// A new password hash: sets it with `last_password_update` and `update_at`, and clears
    /// failed attempts; nothing else.
    async fn set_password(&self, id: &str, hash: &str, at: i64) -> Result<()>;
    /// Profile fields only (username, e-mail, names, position, locale, props, notify props,
    /// timezone, `disable_welcome_email`, `update_at`): never roles, activation or credentials.
    async fn update_user_profile(&self, user: &User) -> Result<()>;
    /// Sets `delete_at` (0 = active) and `update_at`.
    async fn set_user_delete_at(&self, id: &str, delete_at: i64, at: i64) -> Result<()>;
    /// Sets `roles` and `update_at`.
    async fn set_user_roles(&self, id: &str, roles: &str, at: i64) -> Result<()>;
    /// Sets `is_bot`, `bot_description` and `update_at` (a conversion between bot and user, or a
    /// bot's patch).
    async fn set_user_bot(&self, id: &str, is_bot: bool, description: &str, at: i64) -> Result<()>;
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn insert_session(&self, s: &SessionRow) -> Result<()>;
    async fn get_session_by_token_hash(&self, token_hash: &str) -> Result<SessionRow>;
    async fn get_session(&self, id: &str) -> Result<SessionRow>;
    async fn list_sessions_for_user(&self, user_id: &str) -> Result<Vec<SessionRow>>;
    async fn delete_session(&self, id: &str) -> Result<()>;
    /// Deletes every session of the user except `keep` (a session id); returns the deleted ids.
    async fn delete_sessions_for_user(
        &self,
        user_id: &str,
        keep: Option<&str>,
    ) -> Result<Vec<String>>;
    async fn delete_all_sessions(&self) -> Result<()>;
    async fn update_session_roles_for_user(&self, user_id: &str, roles: &str) -> Result<()>;
    async fn touch_session(&self, id: &str, last_activity_at: i64) -> Result<()>;
    /// Deletes the user's least recently used sessions beyond the `keep` most recently used
    /// (at most 100 per call); returns the deleted ids.
    async fn delete_lru_sessions_for_user(&self, user_id: &str, keep: i64) -> Result<Vec<String>>;
    /// Sets the session's roles to its user's current roles, in one statement, and returns
    /// them (`""` when the user is gone); `NotFound` if the session is gone.
    async fn refresh_session_roles(&self, id: &str) -> Result<String>;
}

#[async_trait]
pub trait RoleStore: Send + Sync {
    async fn list_roles(&self) -> Result<Vec<Role>>;
    async fn get_role(&self, id: &str) -> Result<Role>;
    async fn get_role_by_name(&self, name: &str) -> Result<Role>;
    async fn insert_role(&self, role: &Role) -> Result<()>;
    async fn update_role_permissions(&self, id: &str, perms: &[String], now: i64) -> Result<()>;
}

/// A personal access token row. Only the SHA-256 of the secret is stored; sessions minted from a
/// token carry the same hash, which is how the token's sessions are found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessTokenRow {
    pub id: String,
    pub token_hash: String,
    pub user_id: String,
    pub description: String,
    pub is_active: bool,
    pub expires_at: i64,
    pub create_at: i64,
    pub last_used_at: i64,
    pub last_used_ip: String,
}

#[async_trait]
pub trait TokenStore: Send + Sync {
    async fn insert_token(&self, t: &AccessTokenRow) -> Result<()>;
    async fn get_token(&self, id: &str) -> Result<AccessTokenRow>;
    async fn get_token_by_hash(&self, token_hash: &str) -> Result<AccessTokenRow>;
    async fn list_tokens_for_user(&self, user_id: &str, page: Page) -> Result<Vec<AccessTokenRow>>;
    async fn list_tokens(&self, page: Page) -> Result<Vec<AccessTokenRow>>;
    /// Exact match on token id, user id or username (Mattermost's search adds no wildcards).
    async fn search_tokens(&self, term: &str) -> Result<Vec<AccessTokenRow>>;
    /// Deletes the token and, in the same transaction, the sessions minted from it.
    async fn delete_token(&self, id: &str) -> Result<()>;
    /// Sets `is_active`; disabling also deletes the token's sessions in the same transaction.
    async fn set_token_active(&self, id: &str, active: bool) -> Result<()>;
    /// Replaces the secret and expiry, deleting the sessions of the old secret (one transaction).
    /// Returns the ids of the sessions it deleted (those of the secret it replaced).
    async fn rotate_token(&self, id: &str, new_hash: &str, expires_at: i64) -> Result<Vec<String>>;
    async fn touch_token(&self, id: &str, last_used_at: i64, ip: &str) -> Result<()>;
    /// Active tokens that break a maximum-lifetime policy: never expiring, or expiring after
    /// `latest_expiry`. Only tokens of humans and of bots whose owner id is a user id count.
    async fn list_non_compliant_tokens(&self, latest_expiry: i64) -> Result<Vec<AccessTokenRow>>;
    /// Deletes every token that has expired by `now` (`0 < expires_at <= now`) and the sessions
    /// minted from them, in one transaction; returns the deleted tokens.
    async fn delete_expired_tokens(&self, now: i64) -> Result<Vec<AccessTokenRow>>;
}

/// Filters of `GET /bots`.
#[derive(Debug, Clone, Default)]
pub struct BotQuery {
    pub page: Option<Page>,
    /// Only bots owned by this user.
    pub owner_id: Option<String>,
    pub include_deleted: bool,
    /// Only bots whose owner is a deactivated user.
    pub only_orphaned: bool,
}

#[async_trait]
pub trait BotStore: Send + Sync {
    /// Inserts the bot row (the user row must exist already).
    async fn insert_bot(&self, b: &Bot) -> Result<()>;
    /// The bot joined with its user (username, display name); `NotFound` if absent or, without
    /// `include_deleted`, disabled.
    async fn get_bot(&self, user_id: &str, include_deleted: bool) -> Result<Bot>;
    async fn list_bots(&self, q: &BotQuery) -> Result<Vec<Bot>>;
    /// Writes description, owner, icon time, update and delete times.
    async fn update_bot(&self, b: &Bot) -> Result<()>;
    async fn delete_bot(&self, user_id: &str) -> Result<()>;
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn insert_audit(&self, a: &Audit) -> Result<()>;
    /// Newest first.
    async fn list_audits_for_user(&self, user_id: &str, page: Page) -> Result<Vec<Audit>>;
}

/// Which teams `list_teams` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamListing {
    All,
    /// Teams anyone may join (`allow_open_invite`).
    Open,
    /// Invite-only teams.
    Private,
}

#[async_trait]
pub trait TeamStore: Send + Sync {
    async fn insert_team(&self, t: &Team) -> Result<()>;
    async fn get_team(&self, id: &str) -> Result<Team>;
    async fn get_team_by_name(&self, name: &str) -> Result<Team>;
    /// Writes every column of the team (matched by id); `NotFound` if absent.
    async fn update_team(&self, t: &Team) -> Result<()>;
    /// Live teams ordered by display name.
    async fn list_teams(&self, which: TeamListing, page: Page) -> Result<Vec<Team>>;
    /// How many teams `list_teams` would give over all pages.
    async fn count_teams(&self, which: TeamListing) -> Result<i64>;
    /// Teams the user is an active member of, ordered by display name.
    async fn list_teams_for_user(&self, user_id: &str, page: Option<Page>) -> Result<Vec<Team>>;
    /// Inserts or replaces a membership (roles are stored as explicit roles plus flags).
    async fn save_team_member(&self, m: &TeamMember) -> Result<()>;
    /// A membership, including one whose `delete_at` marks it removed.
    async fn get_team_member(&self, team_id: &str, user_id: &str) -> Result<TeamMember>;
    /// Active memberships ordered by user id.
    async fn list_team_members(&self, team_id: &str, page: Page) -> Result<Vec<TeamMember>>;
}

#[async_trait]
pub trait ChannelStore: Send + Sync {
    async fn insert_channel(&self, c: &Channel) -> Result<()>;
    async fn get_channel(&self, id: &str) -> Result<Channel>;
    async fn get_channel_by_name(&self, team_id: &str, name: &str) -> Result<Channel>;
    async fn update_channel(&self, c: &Channel) -> Result<()>;
    /// Public and private channels of every team with their team's names, ordered by display
    /// name then team display name.
    async fn list_all_channels(
        &self,
        include_deleted: bool,
        page: Page,
    ) -> Result<Vec<ChannelWithTeamData>>;
    /// A team's live public channels ordered by display name.
    async fn list_public_channels(&self, team_id: &str, page: Page) -> Result<Vec<Channel>>;
    /// Channels the user belongs to (in one team, or in all), ordered by display name.
    async fn list_channels_for_user(
        &self,
        user_id: &str,
        team_id: Option<&str>,
        include_deleted: bool,
        page: Option<Page>,
    ) -> Result<Vec<Channel>>;
    /// A team's live public channels whose name or display name starts with `term`
    /// (case-insensitive), at most 100.
    async fn search_public_channels(&self, team_id: &str, term: &str) -> Result<Vec<Channel>>;
    async fn count_team_channels(&self, team_id: &str) -> Result<i64>;
    async fn save_channel_member(&self, m: &ChannelMember) -> Result<()>;
    async fn get_channel_member(&self, channel_id: &str, user_id: &str) -> Result<ChannelMember>;
    async fn delete_channel_member(&self, channel_id: &str, user_id: &str) -> Result<()>;
    /// Removes the user from every channel of the team.
    async fn delete_team_channel_members(&self, team_id: &str, user_id: &str) -> Result<()>;
    /// Memberships ordered by user id.
    async fn list_channel_members(
        &self,
        channel_id: &str,
        page: Page,
    ) -> Result<Vec<ChannelMember>>;
    /// Members whose accounts are active.
    async fn count_channel_members(&self, channel_id: &str) -> Result<i64>;
    /// Inserts a channel and its memberships in one transaction (direct and group channels):
    /// either all exist afterwards or none does. `Conflict` on `channels_name+channels_team_id`
    /// when a channel of that name already exists in the team.
    async fn insert_channel_with_members(
        &self,
        c: &Channel,
        members: &[ChannelMember],
    ) -> Result<()>;
    /// Marks the user's memberships among `channel_ids` that have something unread as read up
    /// to each channel's last post: `last_viewed_at` = the channel's `last_post_at`, message
    /// counts caught up, mention counts cleared, `last_update_at` = `now`. Returns the channels
    /// it updated with their `last_post_at`.
    async fn view_channels(
        &self,
        user_id: &str,
        channel_ids: &[String],
        now: i64,
    ) -> Result<Vec<(String, i64)>>;
}

#[async_trait]
pub trait PostStore: Send + Sync {
    /// Saves a new post and bumps its channel's message counts and last post time.
    async fn insert_post(&self, p: &Post) -> Result<()>;
    /// A post, deleted or not, with `reply_count` and `last_reply_at` of its thread.
    async fn get_post(&self, id: &str) -> Result<Post>;
    async fn update_post(&self, p: &Post) -> Result<()>;
    /// Marks the post, and every reply if it is a root, deleted at `now`.
    async fn delete_post(&self, id: &str, now: i64, deleted_by: &str) -> Result<()>;
    /// Live posts of a channel, newest first.
    async fn list_channel_posts(&self, channel_id: &str, page: Page) -> Result<Vec<Post>>;
    /// Live posts of a channel, newest first: `limit` of them from the `offset`-th (0-based).
    async fn list_channel_posts_from(
        &self,
        channel_id: &str,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<Post>>;
    /// The posts among `ids` that exist, deleted or not, as [`PostStore::get_post`] has them, in
    /// no particular order.
    async fn get_posts(&self, ids: &[String]) -> Result<Vec<Post>>;
    /// Posts of a channel changed after `since` (deleted ones included), newest first.
    async fn list_channel_posts_since(&self, channel_id: &str, since: i64) -> Result<Vec<Post>>;
    async fn count_pinned_posts(&self, channel_id: &str) -> Result<i64>;
    /// The live posts of the thread rooted at `root_id` (the root and its replies), newest
    /// first.
    async fn list_thread(&self, root_id: &str) -> Result<Vec<Post>>;
}

#[async_trait]
pub trait ReactionStore: Send + Sync {
    /// Saves (or refreshes) a reaction and marks the post as having reactions.
    async fn save_reaction(&self, r: &Reaction) -> Result<()>;
    /// Removes a reaction if present and updates the post's `has_reactions`.
    async fn delete_reaction(
        &self,
        user_id: &str,
        post_id: &str,
        emoji: &str,
        now: i64,
    ) -> Result<()>;
    /// Reactions of a post, oldest first.
    async fn list_reactions(&self, post_id: &str) -> Result<Vec<Reaction>>;
    /// The reactions of all of `post_ids`, oldest first (so each post's in its own order).
    async fn list_reactions_for_posts(&self, post_ids: &[String]) -> Result<Vec<Reaction>>;
    /// How many different emoji the post carries.
    async fn count_post_emojis(&self, post_id: &str) -> Result<i64>;
}

/// Everything a server needs from its database.
#[async_trait]
pub trait Store:
    UserStore
    + SessionStore
    + RoleStore
    + TokenStore
    + BotStore
    + AuditStore
    + TeamStore
    + ChannelStore
    + PostStore
    + ReactionStore
    + CommandStore
    + StatusStore
    + WebhookStore
    + Send
    + Sync
{
    /// Short backend name for logs: `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// How many batched writes (posts, reactions) failed as a whole and were retried item by
    /// item since the store opened. A bad item causes one; every batch of a broken batched write
    /// would too, so the writes would still succeed, one commit each: this is how to see it.
    fn batches_retried(&self) -> u64 {
        0
    }
}

// ---- Slash commands and statuses ----

#[async_trait]
pub trait CommandStore: Send + Sync {
    async fn insert_command(&self, c: &rustmost_model::command::Command) -> Result<()>;
    /// A command, deleted or not.
    async fn get_command(&self, id: &str) -> Result<rustmost_model::command::Command>;
    /// A team's live commands, oldest first.
    async fn list_team_commands(
        &self,
        team_id: &str,
    ) -> Result<Vec<rustmost_model::command::Command>>;
    /// Writes every column but `create_at` and `last_used_at` (matched by id); `NotFound` if
    /// absent.
    async fn update_command(&self, c: &rustmost_model::command::Command) -> Result<()>;
    /// Marks the command deleted at `now`.
    async fn delete_command(&self, id: &str, now: i64) -> Result<()>;
    async fn touch_command(&self, id: &str, last_used_at: i64) -> Result<()>;
    async fn insert_command_webhook(
        &self,
        h: &rustmost_model::command::CommandWebhook,
    ) -> Result<()>;
    /// A `response_url` created after `since`; `NotFound` otherwise.
    async fn get_command_webhook(
        &self,
        id: &str,
        since: i64,
    ) -> Result<rustmost_model::command::CommandWebhook>;
    /// Counts one use, atomically; `false` when `max_uses` were already spent.
    async fn try_use_command_webhook(&self, id: &str, max_uses: i64) -> Result<bool>;
}

#[async_trait]
pub trait StatusStore: Send + Sync {
    /// Inserts or replaces the user's status.
    async fn save_status(&self, s: &rustmost_model::command::Status) -> Result<()>;
    async fn get_status(&self, user_id: &str) -> Result<rustmost_model::command::Status>;
    /// Saves an automatic status (`manual` false) unless the stored one was set by hand, in one
    /// statement, so a status set by hand meanwhile is never overwritten; `false` when it was
    /// left alone.
    async fn save_status_unless_manual(&self, s: &rustmost_model::command::Status) -> Result<bool>;
    /// The stored statuses among `user_ids` (users without a row are absent).
    async fn get_statuses(
        &self,
        user_ids: &[String],
    ) -> Result<Vec<rustmost_model::command::Status>>;
    /// Statuses other than `offline`, most recently active first, at most `limit`.
    async fn list_statuses_not_offline(
        &self,
        limit: i64,
    ) -> Result<Vec<rustmost_model::command::Status>>;
}

// ---- WebhookStore ----

/// Which live webhooks a listing returns; every filter is optional.
#[derive(Debug, Clone, Default)]
pub struct WebhookQuery {
    pub team_id: Option<String>,
    pub channel_id: Option<String>,
    /// The creator (`user_id` of incoming hooks, `creator_id` of outgoing ones).
    pub user_id: Option<String>,
    pub page: Option<Page>,
}

#[async_trait]
pub trait WebhookStore: Send + Sync {
    async fn insert_incoming_webhook(&self, h: &IncomingWebhook) -> Result<()>;
    /// A hook, deleted or not.
    async fn get_incoming_webhook(&self, id: &str) -> Result<IncomingWebhook>;
    /// Writes every column but the id and `create_at`; `NotFound` if absent.
    async fn update_incoming_webhook(&self, h: &IncomingWebhook) -> Result<()>;
    /// Live hooks, oldest first.
    async fn list_incoming_webhooks(&self, q: &WebhookQuery) -> Result<Vec<IncomingWebhook>>;
    async fn count_incoming_webhooks(&self, q: &WebhookQuery) -> Result<i64>;
    /// Gives the hook a new id (its URL's secret); `NotFound` if absent.
    async fn change_incoming_webhook_id(&self, old: &str, new: &str, now: i64) -> Result<()>;
    async fn touch_incoming_webhook(&self, id: &str, at: i64) -> Result<()>;
    async fn insert_outgoing_webhook(&self, h: &OutgoingWebhook) -> Result<()>;
    /// A hook, deleted or not.
    async fn get_outgoing_webhook(&self, id: &str) -> Result<OutgoingWebhook>;
    /// Writes every column but the id and `create_at`; `NotFound` if absent.
    async fn update_outgoing_webhook(&self, h: &OutgoingWebhook) -> Result<()>;
    /// Live hooks, oldest first.
    async fn list_outgoing_webhooks(&self, q: &WebhookQuery) -> Result<Vec<OutgoingWebhook>>;
    async fn touch_outgoing_webhook(&self, id: &str, at: i64) -> Result<()>;
}
