//! The SQLite backend: connection setup, migrations (migrations/, the same versions as the
//! PostgreSQL tree) and the naming of its unique violations.

use crate::other;
use rustmost_store::{Store, StoreError};
use sqlx::Connection;
use sqlx::SqlitePool;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::time::Duration;

/// `Db`/`DbRow` for the areas compiled against SQLite.
type Db = SqliteStore;
type DbRow = sqlx::sqlite::SqliteRow;
/// Which backend the areas are compiled for, where their SQL must differ.
const SQLITE: bool = true;

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

/// A store on one SQLite database file (or `:memory:`).
#[derive(Clone)]
pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
    /// New posts' group commit, started with the first post.
    pub(crate) posts: std::sync::Arc<std::sync::OnceLock<posts::PostWriter>>,
    /// Saved reactions' group commit, started with the first reaction.
    pub(crate) reactions: std::sync::Arc<std::sync::OnceLock<reactions::ReactionWriter>>,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` (`sqlite:path` or `sqlite::memory:`)
    /// and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let memory = url.contains(":memory:");
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(other)?
            .create_if_missing(true)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            // The batched counters' `UPDATE … FROM (VALUES …)` builds a temporary table per
            // batch: in memory rather than a file created, written and deleted each time.
            .pragma("temp_store", "memory")
            .foreign_keys(true);
        if memory {
            // An in-memory database exists per connection, so it must be a pool of one.
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(opts.journal_mode(SqliteJournalMode::Memory))
                .await
                .map_err(other)?;
            sqlx::migrate!("./migrations")
                .run(&pool)
                .await
                .map_err(other)?;
            return Ok(Self {
                pool,
                posts: Default::default(),
                reactions: Default::default(),
            });
        }
        // Switching a file to WAL takes an exclusive lock that the busy timeout does not wait
        // for, so two connections doing it at once fail with "database is locked". One
        // connection switches it (the mode is stored in the file) and migrates, alone; the
        // pool's connections then find a WAL file and never switch it again.
        let mut first =
            SqliteConnection::connect_with(&opts.clone().journal_mode(SqliteJournalMode::Wal))
                .await
                .map_err(other)?;
        sqlx::migrate!("./migrations")
            .run_direct(&mut first)
            .await
            .map_err(other)?;
        first.close().await.map_err(other)?;
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            // sqlx pings a connection each time it leaves the pool, which for SQLite is one
            // more round trip to the connection's thread per statement; a connection to a
            // local file does not go away while the pool holds it, so there is nothing to test.
            .test_before_acquire(false)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(opts)
            .await
            .map_err(other)?;
        Ok(Self {
            pool,
            posts: Default::default(),
            reactions: Default::default(),
        })
    }

    /// Closes the pool, flushing the WAL.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }
    fn batches_retried(&self) -> u64 {
        self.posts.get().map_or(0, |w| w.retried())
            + self.reactions.get().map_or(0, |w| w.retried())
    }
}

/// Names a unique violation from SQLite's message: "UNIQUE constraint failed: users.username"
/// becomes `users_username`, and a composite key's columns are joined with `+`.
pub(crate) fn constraint_name(msg: &str) -> String {
    msg.rsplit(": ")
        .next()
        .unwrap_or(msg)
        .replace('.', "_")
        .replace(", ", "+")
}
