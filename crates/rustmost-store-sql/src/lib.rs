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

/// The file a `sqlite:path` or `sqlite://path` URL names.
pub(crate) fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or(url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

/// One connection to the SQLite file at `path` (created if missing when `create`), for the
/// tools that open a database beside a server's store: the config database and `db copy`.
pub(crate) async fn sqlite_file_pool(
    path: &str,
    create: bool,
) -> Result<sqlx::SqlitePool, StoreError> {
    let opts = <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(&format!(
        "sqlite:{path}"
    ))
    .map_err(other)?
    .create_if_missing(create)
    .busy_timeout(std::time::Duration::from_secs(10));
    sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(opts)
        .await
        .map_err(map_err)
}

/// The ` LIMIT .. OFFSET ..` of a page, or nothing for every row.
pub(crate) fn limit(page: Option<rustmost_store::Page>) -> String {
    page.map(|p| format!(" LIMIT {} OFFSET {}", p.per_page, p.offset()))
        .unwrap_or_default()
}

/// `INSERT INTO table (cols) VALUES ($1, ...)`, one placeholder a column in `cols` (a list
/// like `"a, b, c"`), so the statement and its binder share one column list.
pub(crate) fn insert_sql(table: &str, cols: &str) -> String {
    let n = cols.split(',').count();
    let values: Vec<String> = (1..=n).map(|i| format!("${i}")).collect();
    format!("INSERT INTO {table} ({cols}) VALUES ({})", values.join(","))
}

/// The `SET` list of an UPDATE bound like the row's INSERT into `cols`: `col=$n` for each
/// column but those in `except` (the key, and the columns an update leaves as they are, whose
/// values are bound and unused).
pub(crate) fn assignments(cols: &str, except: &[&str]) -> String {
    let set: Vec<String> = cols
        .split(',')
        .map(str::trim)
        .enumerate()
        .filter(|(_, c)| !except.contains(c))
        .map(|(i, c)| format!("{c}=${}", i + 1))
        .collect();
    set.join(", ")
}

pub(crate) fn json_map(s: &str) -> std::collections::BTreeMap<String, String> {
    serde_json::from_str(s).unwrap_or_default()
}

#[cfg(test)]
mod sql_tests {
    #[test]
    fn an_update_numbers_its_columns_as_the_insert_binds_them() {
        let cols = "id, create_at, name,\n    size";
        assert_eq!(
            super::insert_sql("t", cols),
            "INSERT INTO t (id, create_at, name,\n    size) VALUES ($1,$2,$3,$4)"
        );
        assert_eq!(
            super::assignments(cols, &["id", "create_at"]),
            "name=$3, size=$4"
        );
    }
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
