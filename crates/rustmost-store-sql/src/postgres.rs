//! The PostgreSQL backend: connection setup, migrations (migrations-postgres/, the same versions
//! as the SQLite tree), the naming of its unique violations, and the change feed (feed.rs).

use crate::{map_err, other};
use rustmost_store::{Store, StoreError};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgDatabaseError, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

mod feed;

pub use feed::{CHANNEL, LEASE_APPLICATION_NAME, LISTENER_APPLICATION_NAME, PgChangeFeed};

/// How long a caller waits for a pooled connection: with the database unreachable a request
/// fails (a 5xx) after this, rather than hanging.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// The longest one statement may run on the server before PostgreSQL cancels it, so a request
/// stuck behind a lock or a sick database still answers within about five seconds.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(4);

/// `Db`/`DbRow` for the areas compiled against PostgreSQL.
type Db = PostgresStore;
type DbRow = sqlx::postgres::PgRow;
/// Which backend the areas are compiled for, where their SQL must differ.
const SQLITE: bool = false;

#[path = "areas/access_tokens.rs"]
mod access_tokens;
#[path = "areas/audits.rs"]
mod audits;
#[path = "areas/bots.rs"]
mod bots;
#[path = "areas/channels.rs"]
mod channels;
#[path = "areas/commands.rs"]
mod commands;
#[path = "areas/common.rs"]
mod common;
#[path = "areas/group_commit.rs"]
mod group_commit;
#[path = "areas/posts.rs"]
mod posts;
#[path = "areas/reactions.rs"]
mod reactions;
#[path = "areas/roles.rs"]
mod roles;
#[path = "areas/sessions.rs"]
mod sessions;
#[path = "areas/teams.rs"]
mod teams;
#[path = "areas/users.rs"]
mod users;
#[path = "areas/webhooks.rs"]
mod webhooks;

/// A store on one PostgreSQL database.
#[derive(Clone)]
pub struct PostgresStore {
    pub(crate) pool: PgPool,
    /// New posts' group commit, started with the first post.
    pub(crate) posts: std::sync::Arc<std::sync::OnceLock<posts::PostWriter>>,
    /// Saved reactions' group commit, started with the first reaction.
    pub(crate) reactions: std::sync::Arc<std::sync::OnceLock<reactions::ReactionWriter>>,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user:password@host:port/database?...`) and applies pending
    /// migrations. The database must exist.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let opts = PgConnectOptions::from_str(url).map_err(other)?;
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(opts.clone())
            .await
            .map_err(map_err)?;
        // Migrations may legitimately take longer than a request's statement, so they run
        // before the limit is set on the pool's connections.
        sqlx::migrate!("./migrations-postgres")
            .run(&pool)
            .await
            .map_err(other)?;
        pool.close().await;
        let limit = STATEMENT_TIMEOUT.as_millis().to_string();
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(opts.options([("statement_timeout", limit.as_str())]))
            .await
            .map_err(map_err)?;
        Ok(Self {
            pool,
            posts: Default::default(),
            reactions: Default::default(),
        })
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }
    fn batches_retried(&self) -> u64 {
        self.posts.get().map_or(0, |w| w.retried())
            + self.reactions.get().map_or(0, |w| w.retried())
    }
}

/// Names a unique violation as SQLite does: PostgreSQL's constraint names (`users_username_key`,
/// `posts_pkey`) do not say the columns, but its detail does (`Key (name, team_id)=(...)`).
pub(crate) fn constraint_name(e: &PgDatabaseError) -> String {
    let table = e.table().unwrap_or_default();
    let cols = e
        .detail()
        .and_then(|d| d.strip_prefix("Key ("))
        .and_then(|d| d.split_once(")="))
        .map(|(cols, _)| cols);
    match cols {
        Some(cols) => cols
            .split(", ")
            .map(|c| format!("{table}_{c}"))
            .collect::<Vec<_>>()
            .join("+"),
        None => e.constraint().unwrap_or(table).to_string(),
    }
}
