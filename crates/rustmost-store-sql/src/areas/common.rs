//! What every area does with a statement once its values are bound: fetch one row or all rows
//! and map them, or run it, with the driver's errors mapped by `crate::map_err`. Compiled once
//! per backend, like the areas.

use super::DbRow;
use crate::map_err;
use rustmost_store::{Result, StoreError};

type Backend = <DbRow as sqlx::Row>::Database;

/// A statement with its values bound, on this backend.
pub(crate) type Query<'q> =
    sqlx::query::Query<'q, Backend, <Backend as sqlx::Database>::Arguments<'q>>;

/// Running a bound [`Query`] on a pool or in a transaction (`&self.pool`, `&mut *tx`).
pub(crate) trait Run<'q> {
    /// The row the statement finds, mapped; none is `NotFound`.
    async fn row<'c, E, T>(self, on: E, map: impl Fn(&DbRow) -> T) -> Result<T>
    where
        'q: 'c,
        E: sqlx::Executor<'c, Database = Backend>;

    /// Every row the statement finds, mapped.
    async fn rows<'c, E, T>(self, on: E, map: impl Fn(&DbRow) -> T) -> Result<Vec<T>>
    where
        'q: 'c,
        E: sqlx::Executor<'c, Database = Backend>;

    /// Runs the statement, however many rows it changes.
    async fn run<'c, E>(self, on: E) -> Result<()>
    where
        'q: 'c,
        E: sqlx::Executor<'c, Database = Backend>;

    /// Runs a statement meant to change a row: none changed is `NotFound`.
    async fn run_one<'c, E>(self, on: E) -> Result<()>
    where
        'q: 'c,
        E: sqlx::Executor<'c, Database = Backend>;

    /// Runs the statement and says how many rows it changed.
    async fn changed<'c, E>(self, on: E) -> Result<u64>
    where
        'q: 'c,
        E: sqlx::Executor<'c, Database = Backend>;
}

impl<'q> Run<'q> for Query<'q> {
    async fn row<'c, E, T>(self, on: E, map: impl Fn(&DbRow) -> T) -> Result<T>
    where
        'q: 'c,
        E: sqlx::Executor<'c, Database = Backend>,
    {
        self.fetch_one(on).await.map(|r| map(&r)).map_err(map_err)
    }

    async fn rows<'c, E, T>(self, on: E, map: impl Fn(&DbRow) -> T) -> Result<Vec<T>>
    where
        'q: 'c,
        E: sqlx::Executor<'c, Database = Backend>,
    {
        let rows = self.fetch_all(on).await.map_err(map_err)?;
        Ok(rows.iter().map(map).collect())
    }

    async fn run<'c, E>(self, on: E) -> Result<()>
    where
        'q: 'c,
        E: sqlx::Executor<'c, Database = Backend>,
    {
        self.execute(on).await.map_err(map_err)?;
        Ok(())
    }

    async fn run_one<'c, E>(self, on: E) -> Result<()>
    where
        'q: 'c,
        E: sqlx::Executor<'c, Database = Backend>,
    {
        if self.changed(on).await? == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn changed<'c, E>(self, on: E) -> Result<u64>
    where
        'q: 'c,
        E: sqlx::Executor<'c, Database = Backend>,
    {
        let done = self.execute(on).await.map_err(map_err)?;
        Ok(done.rows_affected())
    }
}
