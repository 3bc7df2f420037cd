//! The SQL backends, SQLite and PostgreSQL: connection setup, migrations, and the error mapping
//! shared by their areas. Each area's SQL (src/areas/) is written once in the dialect both
//! databases accept and compiled once per backend, with `Db`/`DbRow` naming that backend's store
//! and row types, so the two cannot drift apart.
// Deliberate: each area file is compiled once per backend (see above).
#![allow(clippy::duplicate_mod)]

mod postgres;

pub use postgres::PostgresStore;

mod sqlite;

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

/// Maps a driver error: missing rows and unique violations get their own variants. A unique
/// violation is named `table_column` (`+` between the columns of a composite key) on both
/// backends, which is what the server's conflict checks match on.
pub(crate) fn map_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                return StoreError::Conflict {
                    constraint: postgres::constraint_name(pg),
                };
            }
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

#[cfg(test)]
mod migration_tests {
    /// Both backends must have applied the same schema versions, so the trees list the same
    /// migrations under the same version numbers and names.
    #[test]
    fn postgres_tree_matches_sqlite_tree() {
        let list = |m: sqlx::migrate::Migrator| {
            m.iter()
                .map(|m| (m.version, m.description.to_string()))
                .collect::<Vec<_>>()
        };
        let sqlite = list(sqlx::migrate!("./migrations"));
        let pg = list(sqlx::migrate!("./migrations-postgres"));
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, pg);
    }
}
