//! `rustmost db copy`: every table of one database into another (SQLite to PostgreSQL to move
//! up, the reverse for backups), then a per-table comparison of row counts and a content
//! checksum read back from both sides.
//!
//! Both databases are first brought to the current schema by the migrations, so the tables and
//! columns match; values travel as the three kinds the schema uses (integer, boolean, text). The
//! checksum of a table is the sum (mod 2^256) of the SHA-256 of each row's canonical form, so it
//! does not depend on the order either database returns rows in.

use crate::{map_err, other, sqlite_file_pool, sqlite_path};
use futures_util::TryStreamExt;
use rustmost_store::StoreError;
use sha2::{Digest, Sha256};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Row, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

/// Tables that are not data: the migrations' own record (each side keeps its own) and the
/// change feed's transient spill.
const SKIPPED: &[&str] = &[
    "_sqlx_migrations",
    "rustmost_feed_spill",
    "rustmost_ws_events",
    "sqlite_sequence",
];

/// Rows per insert statement (well under both databases' limits on bound values).
const CHUNK: usize = 200;

/// One side of a copy.
pub enum Db {
    Pg(PgPool),
    Sqlite(SqlitePool),
}

/// Opens `spec` (`postgres://…`, `sqlite:path`, `sqlite://path`, or a bare SQLite path) and
/// migrates it to the current schema. A missing SQLite file is created only when `create`.
pub async fn open(spec: &str, create: bool) -> Result<Db, StoreError> {
    if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
        let opts = PgConnectOptions::from_str(spec).map_err(other)?;
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await
            .map_err(map_err)?;
        sqlx::migrate!("./migrations-postgres")
            .run(&pool)
            .await
            .map_err(other)?;
        return Ok(Db::Pg(pool));
    }
    let path = sqlite_path(spec);
    if !create && !std::path::Path::new(path).exists() {
        return Err(StoreError::Other(
            format!("no SQLite database at {path}").into(),
        ));
    }
    let pool = sqlite_file_pool(path, create).await?;
    sqlx::migrate!("./migrations")
        .run(&pool)
        .await
        .map_err(other)?;
    Ok(Db::Sqlite(pool))
}

/// The value kinds the schema uses.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Int,
    Bool,
    Text,
}

fn kind_of(declared: &str) -> Kind {
    let d = declared.to_ascii_uppercase();
    if d.contains("INT") || d.contains("SERIAL") {
        Kind::Int
    } else if d.contains("BOOL") {
        Kind::Bool
    } else {
        Kind::Text
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Value {
    Int(Option<i64>),
    Bool(Option<bool>),
    Text(Option<String>),
}

impl Value {
    /// The canonical form hashed for the checksum.
    fn feed(&self, h: &mut Sha256) {
        match self {
            Value::Int(Some(i)) => h.update(format!("i{i};")),
            Value::Bool(Some(b)) => h.update(format!("b{b};")),
            Value::Text(Some(t)) => {
                h.update(format!("t{}:", t.len()));
                h.update(t.as_bytes());
            }
            _ => h.update("n;"),
        }
    }
}

/// A table's columns as the copy moves them.
struct Table {
    name: String,
    columns: Vec<(String, Kind)>,
}

impl Db {
    async fn tables(&self) -> Result<Vec<String>, StoreError> {
        let mut names: Vec<String> = match self {
            Db::Pg(p) => {
                sqlx::query_scalar(
                    "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
                )
                .fetch_all(p)
                .await
            }
            Db::Sqlite(p) => {
                sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
                    .fetch_all(p)
                    .await
            }
        }
        .map_err(map_err)?;
        names.retain(|n| !SKIPPED.contains(&n.as_str()) && !n.starts_with("sqlite_"));
        names.sort();
        Ok(names)
    }

    /// Declared columns, in table order.
    async fn columns(&self, table: &str) -> Result<Vec<(String, Kind)>, StoreError> {
        let rows: Vec<(String, String)> = match self {
            Db::Pg(p) => {
                sqlx::query_as(
                    "SELECT column_name::text, data_type::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 \
                 ORDER BY ordinal_position",
                )
                .bind(table)
                .fetch_all(p)
                .await
            }
            Db::Sqlite(p) => {
                sqlx::query_as("SELECT name, type FROM pragma_table_info(?) ORDER BY cid")
                    .bind(table)
                    .fetch_all(p)
                    .await
            }
        }
        .map_err(map_err)?;
        Ok(rows.into_iter().map(|(n, t)| (n, kind_of(&t))).collect())
    }

    async fn count(&self, table: &str) -> Result<u64, StoreError> {
        let q = format!("SELECT COUNT(*) FROM {}", quote(table));
        let n: i64 = match self {
            Db::Pg(p) => sqlx::query_scalar(&q).fetch_one(p).await,
            Db::Sqlite(p) => sqlx::query_scalar(&q).fetch_one(p).await,
        }
        .map_err(map_err)?;
        Ok(n as u64)
    }

    fn is_sqlite(&self) -> bool {
        matches!(self, Db::Sqlite(_))
    }

    /// Closes the connections.
    pub async fn close(&self) {
        match self {
            Db::Pg(p) => p.close().await,
            Db::Sqlite(p) => p.close().await,
        }
    }
}

fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

macro_rules! read_row {
    ($row:expr, $cols:expr) => {{
        let row = $row;
        let mut out = Vec::with_capacity($cols.len());
        for (i, (_, k)) in $cols.iter().enumerate() {
            out.push(match k {
                Kind::Int => Value::Int(row.try_get(i).map_err(map_err)?),
                Kind::Bool => Value::Bool(row.try_get(i).map_err(map_err)?),
                Kind::Text => Value::Text(row.try_get(i).map_err(map_err)?),
            });
        }
        out
    }};
}

macro_rules! insert_rows {
    ($pool:expr, $db:ty, $table:expr, $rows:expr) => {{
        let table: &Table = $table;
        let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
            "INSERT INTO {} ({}) ",
            quote(&table.name),
            table
                .columns
                .iter()
                .map(|(c, _)| quote(c))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        qb.push_values($rows.iter(), |mut b, row: &Vec<Value>| {
            for v in row {
                match v.clone() {
                    Value::Int(i) => b.push_bind(i),
                    Value::Bool(x) => b.push_bind(x),
                    Value::Text(t) => b.push_bind(t),
                };
            }
        });
        qb.build().execute($pool).await.map_err(map_err)?;
    }};
}

/// What a copy reports as it goes, for a progress bar.
pub enum Progress<'a> {
    /// A table starts, with its number of rows in the source.
    Table { name: &'a str, rows: u64 },
    /// Rows of the current table copied so far.
    Copied(u64),
    /// The comparison of the copy with its source starts.
    Verifying,
}

/// One table's comparison after the copy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TableReport {
    pub table: String,
    pub source_rows: u64,
    pub target_rows: u64,
    pub source_checksum: String,
    pub target_checksum: String,
}

impl TableReport {
    pub fn matches(&self) -> bool {
        self.source_rows == self.target_rows && self.source_checksum == self.target_checksum
    }
}

/// Why a copy did not start or did not finish.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// The target holds data and the caller did not say to replace it.
    #[error("the target is not empty ({0} has rows); pass --force to replace its data")]
    NotEmpty(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Copies every table of `from` into `to` (both opened and migrated by [`open`]), then compares
/// them. A target holding any row is refused unless `force`, which empties it first.
pub async fn copy(
    from: &Db,
    to: &Db,
    force: bool,
    progress: &mut (dyn FnMut(Progress<'_>) + Send),
) -> Result<Vec<TableReport>, CopyError> {
    let target_tables = to.tables().await?;
    let mut tables = Vec::new();
    for name in from.tables().await? {
        if !target_tables.contains(&name) {
            if name == "configurations" {
                // The configuration document, when it lives in the source database: the target
                // gets the table the config store creates.
                create_configurations(to).await?;
            } else {
                return Err(StoreError::Other(
                    format!("the target has no table {name}: is it an older version?").into(),
                )
                .into());
            }
        }
        let mut columns = to.columns(&name).await?;
        // SQLite's implicit row order column, which PostgreSQL declares (audits.rowid): copied
        // into SQLite explicitly, so ties keep their order.
        if to.is_sqlite()
            && !columns.iter().any(|(c, _)| c == "rowid")
            && from.columns(&name).await?.iter().any(|(c, _)| c == "rowid")
        {
            columns.push(("rowid".into(), Kind::Int));
        }
        tables.push(Table { name, columns });
    }
    for t in &tables {
        if !force && to.count(&t.name).await? > 0 {
            return Err(CopyError::NotEmpty(t.name.clone()));
        }
    }
    for t in &tables {
        let rows = from.count(&t.name).await?;
        progress(Progress::Table {
            name: &t.name,
            rows,
        });
        copy_table(from, to, t, force, progress).await?;
    }
    if let Db::Pg(p) = to {
        reset_sequences(p).await?;
    }
    progress(Progress::Verifying);
    let mut out = Vec::new();
    for t in &tables {
        // The checksum covers the columns both sides declare (not SQLite's implicit rowid).
        let declared: Vec<(String, Kind)> = t
            .columns
            .iter()
            .filter(|(c, _)| c != "rowid")
            .cloned()
            .collect();
        let (source_rows, source_checksum) = digest(from, &t.name, &declared).await?;
        let (target_rows, target_checksum) = digest(to, &t.name, &declared).await?;
        out.push(TableReport {
            table: t.name.clone(),
            source_rows,
            target_rows,
            source_checksum,
            target_checksum,
        });
    }
    Ok(out)
}

async fn create_configurations(to: &Db) -> Result<(), StoreError> {
    let create = "CREATE TABLE IF NOT EXISTS configurations (\
         id TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL, create_at BIGINT NOT NULL, \
         active BOOLEAN)";
    let index =
        "CREATE UNIQUE INDEX IF NOT EXISTS configurations_active ON configurations (active)";
    for q in [create, index] {
        match to {
            Db::Pg(p) => sqlx::query(q).execute(p).await.map(drop),
            Db::Sqlite(p) => sqlx::query(q).execute(p).await.map(drop),
        }
        .map_err(map_err)?;
    }
    Ok(())
}

fn select(t: &str, columns: &[(String, Kind)]) -> String {
    format!(
        "SELECT {} FROM {}",
        columns
            .iter()
            .map(|(c, _)| quote(c))
            .collect::<Vec<_>>()
            .join(", "),
        quote(t)
    )
}

/// Streams one table from the source into the target in one target transaction.
async fn copy_table(
    from: &Db,
    to: &Db,
    t: &Table,
    empty_first: bool,
    progress: &mut (dyn FnMut(Progress<'_>) + Send),
) -> Result<(), StoreError> {
    // Rows in insertion order where the source knows it, so SQLite's implicit order survives.
    let mut q = select(&t.name, &t.columns);
    if t.columns.iter().any(|(c, _)| c == "rowid") || from.is_sqlite() {
        q.push_str(" ORDER BY rowid");
    }
    macro_rules! run {
        ($tx:expr, $db:ty) => {{
            let tx = $tx;
            if empty_first {
                sqlx::query(&format!("DELETE FROM {}", quote(&t.name)))
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
            }
            let mut done = 0u64;
            let mut batch: Vec<Vec<Value>> = Vec::with_capacity(CHUNK);
            macro_rules! drain {
                ($stream:expr) => {{
                    let mut s = $stream;
                    while let Some(row) = s.try_next().await.map_err(map_err)? {
                        batch.push(read_row!(&row, t.columns));
                        if batch.len() == CHUNK {
                            insert_rows!(&mut **tx, $db, t, batch);
                            done += batch.len() as u64;
                            batch.clear();
                            progress(Progress::Copied(done));
                        }
                    }
                }};
            }
            match from {
                Db::Pg(p) => drain!(sqlx::query(&q).fetch(p)),
                Db::Sqlite(p) => drain!(sqlx::query(&q).fetch(p)),
            }
            if !batch.is_empty() {
                insert_rows!(&mut **tx, $db, t, batch);
                done += batch.len() as u64;
                progress(Progress::Copied(done));
            }
        }};
    }
    match to {
        Db::Pg(p) => {
            let mut tx = p.begin().await.map_err(map_err)?;
            run!(&mut tx, sqlx::Postgres);
            tx.commit().await.map_err(map_err)?;
        }
        Db::Sqlite(p) => {
            let mut tx = p.begin().await.map_err(map_err)?;
            run!(&mut tx, sqlx::Sqlite);
            tx.commit().await.map_err(map_err)?;
        }
    }
    Ok(())
}

/// Serial columns continue after the copied values.
async fn reset_sequences(p: &PgPool) -> Result<(), StoreError> {
    let serials: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%'",
    )
    .fetch_all(p)
    .await
    .map_err(map_err)?;
    for (t, c) in serials {
        if SKIPPED.contains(&t.as_str()) {
            continue;
        }
        sqlx::query(&format!(
            "SELECT setval(pg_get_serial_sequence($1, $2), COALESCE(MAX({c}), 0) + 1, false) FROM {t}",
            c = quote(&c),
            t = quote(&t)
        ))
        .bind(&t)
        .bind(&c)
        .execute(p)
        .await
        .map_err(map_err)?;
    }
    Ok(())
}

/// A table's row count and content checksum (hex).
async fn digest(db: &Db, t: &str, columns: &[(String, Kind)]) -> Result<(u64, String), StoreError> {
    let q = select(t, columns);
    let mut sum = [0u64; 4];
    let mut rows = 0u64;
    macro_rules! fold {
        ($stream:expr) => {{
            let mut s = $stream;
            while let Some(row) = s.try_next().await.map_err(map_err)? {
                let mut h = Sha256::new();
                for v in read_row!(&row, columns) {
                    v.feed(&mut h);
                }
                add(&mut sum, &h.finalize());
                rows += 1;
            }
        }};
    }
    match db {
        Db::Pg(p) => fold!(sqlx::query(&q).fetch(p)),
        Db::Sqlite(p) => fold!(sqlx::query(&q).fetch(p)),
    }
    Ok((
        rows,
        sum.iter().rev().map(|w| format!("{w:016x}")).collect(),
    ))
}

/// `sum += digest` as 256-bit little-endian words, wrapping.
fn add(sum: &mut [u64; 4], digest: &[u8]) {
    let mut carry = 0u128;
    for (i, w) in sum.iter_mut().enumerate() {
        let mut b = [0u8; 8];
        b.copy_from_slice(&digest[i * 8..i * 8 + 8]);
        let s = *w as u128 + u64::from_le_bytes(b) as u128 + carry;
        *w = s as u64;
        carry = s >> 64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checksum_ignores_row_order_but_not_content() {
        let row = |vals: &[Value]| {
            let mut h = Sha256::new();
            for v in vals {
                v.feed(&mut h);
            }
            h.finalize()
        };
        let a = row(&[Value::Int(Some(1)), Value::Text(Some("x".into()))]);
        let b = row(&[Value::Int(Some(2)), Value::Text(None)]);
        let (mut s1, mut s2) = ([0u64; 4], [0u64; 4]);
        add(&mut s1, &a);
        add(&mut s1, &b);
        add(&mut s2, &b);
        add(&mut s2, &a);
        assert_eq!(s1, s2);
        let c = row(&[Value::Int(Some(2)), Value::Text(Some(String::new()))]);
        let mut s3 = [0u64; 4];
        add(&mut s3, &a);
        add(&mut s3, &c);
        assert_ne!(s1, s3, "NULL and empty text differ");
    }
}
