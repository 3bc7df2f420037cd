//! The SQLite backend: connection setup, migrations, and the error mapping shared by its areas.

mod access_tokens;
mod audits;
mod bots;
mod channels;
mod posts;
mod roles;
mod sessions;
mod teams;
mod users;

use rustmost_store::{Store, StoreError};
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

/// A store on one SQLite database file (or `:memory:`).
#[derive(Clone)]
pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` (`sqlite:path` or `sqlite::memory:`)
    /// and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let memory = url.contains(":memory:");
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(other)?
            .create_if_missing(true)
            .journal_mode(if memory {
                SqliteJournalMode::Memory
            } else {
                SqliteJournalMode::Wal
            })
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        // An in-memory database exists per connection, so it must be a pool of one.
        let pool = SqlitePoolOptions::new()
            .max_connections(if memory { 1 } else { 8 })
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(opts)
            .await
            .map_err(other)?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(other)?;
        Ok(Self { pool })
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
}

pub(crate) fn other<E: std::error::Error + Send + Sync + 'static>(e: E) -> StoreError {
    StoreError::Other(Box::new(e))
}

/// Maps a driver error: missing rows and unique violations get their own variants.
pub(crate) fn map_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            // SQLite says "UNIQUE constraint failed: users.username"; name it `users_username`.
            let msg = db.message();
            let constraint = msg
                .rsplit(": ")
                .next()
                .unwrap_or(msg)
                .replace('.', "_")
                .replace(", ", "+");
            StoreError::Conflict { constraint }
        }
        _ => other(e),
    }
}

pub(crate) fn json_map(s: &str) -> std::collections::BTreeMap<String, String> {
    serde_json::from_str(s).unwrap_or_default()
}
