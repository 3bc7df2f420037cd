//! The SQL backends, SQLite (`sqlite`) and PostgreSQL (`postgres`), laid out alike: each module
//! holds its store type, connection setup, migrations and the naming of its unique violations.
//! Each area's SQL (src/areas/) is written once in the dialect both databases accept and compiled
//! once per backend, with `Db`/`DbRow` naming that backend's store and row types, so the two
//! cannot drift apart.
#![expect(
    clippy::duplicate_mod,
    reason = "each area file is compiled once per backend (see above)"
)]

mod configdb;
pub mod copy;
mod postgres;
mod sqlite;

pub use configdb::{CONFIG_CHANNEL, ConfigDb, is_database_url};
pub use postgres::{
    ACQUIRE_TIMEOUT, CHANNEL, LEASE_APPLICATION_NAME, LISTENER_APPLICATION_NAME, PgChangeFeed,
    PostgresStore, STATEMENT_TIMEOUT,
};
pub use sqlite::SqliteStore;

use rustmost_store::StoreError;

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
            let constraint = match db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                Some(pg) => postgres::constraint_name(pg),
                None => sqlite::constraint_name(db.message()),
            };
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
