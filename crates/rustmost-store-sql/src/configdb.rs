//! The configuration kept in a database, as upstream does when `MM_CONFIG` is a database URL:
//! the `configurations` table holds each saved version of the document, one of them active.
//! On PostgreSQL a save notifies `rustmost_config` inside its own transaction, so every node
//! hears of every committed change; on SQLite (one node) nobody else needs telling.

use crate::postgres::{ACQUIRE_TIMEOUT, PgChangeFeed};
use crate::{map_err, sqlite_file_pool, sqlite_path};
use rustmost_store::StoreError;
use rustmost_store::feed::{ChangeFeed, Subscription};
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, SqlitePool};

/// The channel configuration changes are announced on (the payload is the new row's id).
pub const CONFIG_CHANNEL: &str = "rustmost_config";

const CREATE: &str = "CREATE TABLE IF NOT EXISTS configurations (\
     id TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL, create_at BIGINT NOT NULL, active BOOLEAN)";
/// At most one active row: `active` is TRUE or NULL, and NULLs never collide.
const CREATE_INDEX: &str =
    "CREATE UNIQUE INDEX IF NOT EXISTS configurations_active ON configurations (active)";

enum Db {
    Pg(PgPool),
    Sqlite(SqlitePool),
}

/// A database holding the configuration document.
pub struct ConfigDb {
    db: Db,
    feed: Option<PgChangeFeed>,
}

/// Whether `source` (an `MM_CONFIG` value) names a database rather than a file.
pub fn is_database_url(source: &str) -> bool {
    ["postgres://", "postgresql://", "sqlite:"]
        .iter()
        .any(|p| source.starts_with(p))
}

impl ConfigDb {
    /// Opens the database `url` names (`postgres://…`, `sqlite:path`, `sqlite://path`) and
    /// creates the table if needed. A SQLite file is created if missing.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            let pool = sqlite_file_pool(sqlite_path(url), true).await?;
            sqlx::query(CREATE).execute(&pool).await.map_err(map_err)?;
            sqlx::query(CREATE_INDEX)
                .execute(&pool)
                .await
                .map_err(map_err)?;
            return Ok(ConfigDb {
                db: Db::Sqlite(pool),
                feed: None,
            });
        }
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect(url)
            .await
            .map_err(map_err)?;
        for q in [CREATE, CREATE_INDEX] {
            // Two nodes starting at once can race on the catalog; the second try sees the table.
            if sqlx::query(q).execute(&pool).await.is_err() {
                sqlx::query(q).execute(&pool).await.map_err(map_err)?;
            }
        }
        let feed = PgChangeFeed::connect_on(url, CONFIG_CHANNEL).await?;
        Ok(ConfigDb {
            db: Db::Pg(pool),
            feed: Some(feed),
        })
    }

    /// The active document, if one was ever saved.
    pub async fn load(&self) -> Result<Option<String>, StoreError> {
        let q = "SELECT value FROM configurations WHERE active ORDER BY create_at DESC LIMIT 1";
        match &self.db {
            Db::Pg(p) => sqlx::query_scalar(q).fetch_optional(p).await,
            Db::Sqlite(p) => sqlx::query_scalar(q).fetch_optional(p).await,
        }
        .map_err(map_err)
    }

    /// Saves `value` as the active document (the previous ones stay, inactive, as upstream
    /// keeps them) and, on PostgreSQL, announces it in the same transaction.
    pub async fn save(&self, value: &str) -> Result<(), StoreError> {
        let id = rustmost_model::new_id();
        let now = rustmost_model::now_ms();
        let deactivate = "UPDATE configurations SET active = NULL WHERE active";
        let insert =
            "INSERT INTO configurations (id, value, create_at, active) VALUES ($1, $2, $3, TRUE)";
        match &self.db {
            Db::Pg(p) => {
                let mut tx = p.begin().await.map_err(map_err)?;
                // Saves from two nodes at once take turns instead of both deactivating the
                // same row and colliding on the active index.
                sqlx::query("LOCK TABLE configurations IN SHARE ROW EXCLUSIVE MODE")
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
                sqlx::query(deactivate)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
                sqlx::query(insert)
                    .bind(&id)
                    .bind(value)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(CONFIG_CHANNEL)
                    .bind(&id)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
                tx.commit().await.map_err(map_err)
            }
            Db::Sqlite(p) => {
                let mut tx = p.begin().await.map_err(map_err)?;
                sqlx::query(deactivate)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
                sqlx::query(insert)
                    .bind(&id)
                    .bind(value)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
                tx.commit().await.map_err(map_err)
            }
        }
    }

    /// Hears every later save, by any node; `None` where only one node can be (SQLite).
    pub async fn subscribe(&self) -> Result<Option<Box<dyn Subscription>>, StoreError> {
        match &self.feed {
            Some(f) => f.subscribe().await.map(Some),
            None => Ok(None),
        }
    }

    /// Closes the connections.
    pub async fn close(&self) {
        match &self.db {
            Db::Pg(p) => p.close().await,
            Db::Sqlite(p) => p.close().await,
        }
    }
}
