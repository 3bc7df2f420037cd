//! The storage interface every backend implements: per-area traits, rows, and `StoreError`.

use async_trait::async_trait;
use rustmost_model::audit::Audit;
use rustmost_model::bot::Bot;
use rustmost_model::role::Role;
use rustmost_model::user::User;
use std::collections::BTreeMap;

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
    /// `created_at`, `last_activity_at`, `status`, or empty for username order.
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
    async fn list_users(&self, q: &UserQuery) -> Result<Vec<User>>;
    /// Writes every column of the user (matched by id); `NotFound` if absent.
    async fn update_user(&self, user: &User) -> Result<()>;
    async fn count_users(&self, include_bots: bool) -> Result<i64>;
    async fn set_failed_attempts(&self, id: &str, attempts: i64) -> Result<()>;
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
    async fn rotate_token(&self, id: &str, new_hash: &str, expires_at: i64) -> Result<()>;
    async fn touch_token(&self, id: &str, last_used_at: i64, ip: &str) -> Result<()>;
    /// Tokens that break a maximum-lifetime policy: never expiring, or expiring after
    /// `latest_expiry`. Only tokens of humans and of user-owned bots count.
    async fn list_non_compliant_tokens(&self, latest_expiry: i64) -> Result<Vec<AccessTokenRow>>;
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

/// Everything a server needs from its database.
#[async_trait]
pub trait Store:
    UserStore + SessionStore + RoleStore + TokenStore + BotStore + AuditStore + Send + Sync
{
    /// Short backend name for logs: `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
}
