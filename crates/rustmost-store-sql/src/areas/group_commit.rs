//! Group commit: the writes that arrive while a batch commits go together into the next
//! transaction, and each caller is answered once that transaction has committed, so an
//! acknowledged write is as durable as with a transaction of its own while many writers share
//! one commit (and, on SQLite, the statements' round trips to the connection's thread). A batch
//! that fails is retried item by item, so a bad item fails alone, with its own error.

use super::DbRow;
use crate::map_err;
use futures_util::future::BoxFuture;
use rustmost_store::{Result, StoreError};

type Database = <DbRow as sqlx::Row>::Database;
pub(crate) type DbPool = sqlx::Pool<Database>;
/// A statement's parameters, for building one across several statements.
pub(crate) type Args<'q> = <Database as sqlx::Database>::Arguments<'q>;

/// Appends a parameter to `args`.
pub(crate) fn add<'q, T>(args: &mut Args<'q>, v: T) -> Result<()>
where
    T: 'q + sqlx::Encode<'q, Database> + sqlx::Type<Database>,
{
    sqlx::Arguments::add(args, v).map_err(StoreError::Other)
}

/// Writes items in one transaction; all or none.
pub(crate) type WriteFn<T> = for<'a> fn(&'a DbPool, &'a [&'a T]) -> BoxFuture<'a, Result<()>>;

type Job<T> = (T, tokio::sync::oneshot::Sender<Result<()>>);

/// Items per transaction at most.
pub(crate) const MAX_BATCH: usize = 256;

/// One writer task and its queue.
pub(crate) struct GroupCommit<T> {
    tx: tokio::sync::mpsc::UnboundedSender<Job<T>>,
    write: WriteFn<T>,
}

impl<T: Send + Sync + 'static> GroupCommit<T> {
    /// Starts the writer task on the current runtime; it ends when the store is dropped.
    pub(crate) fn start(pool: DbPool, write: WriteFn<T>) -> Self {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(write_batches(pool, rx, write));
        GroupCommit { tx, write }
    }

    /// Writes `item` with the next batch; answers once it has committed (or failed).
    pub(crate) async fn write(&self, pool: &DbPool, item: T) -> Result<()> {
        let (done, answer) = tokio::sync::oneshot::channel();
        if let Err(e) = self.tx.send((item, done)) {
            // The writer's runtime is gone (a store outliving it): write directly.
            let item = e.0.0;
            return (self.write)(pool, &[&item]).await;
        }
        answer
            .await
            .map_err(|_| StoreError::Other("the group commit stopped before answering".into()))?
    }
}

async fn write_batches<T>(
    pool: DbPool,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Job<T>>,
    write: WriteFn<T>,
) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        let items: Vec<&T> = batch.iter().map(|(t, _)| t).collect();
        let res = write(&pool, &items).await;
        match res {
            Ok(()) => {
                for (_, done) in batch {
                    let _ = done.send(Ok(()));
                }
            }
            Err(e) if batch.len() == 1 => {
                let _ = batch.pop().expect("one").1.send(Err(e));
            }
            Err(_) => {
                for (t, done) in batch {
                    let _ = done.send(write(&pool, &[&t]).await);
                }
            }
        }
    }
}

/// `($first,…),(…)…`: the VALUES of `rows` rows of `cols` parameters numbered from `first`.
pub(crate) fn values(rows: usize, cols: usize, first: usize) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(rows * cols * 6);
    for r in 0..rows {
        out.push_str(if r == 0 { "(" } else { ",(" });
        for c in 0..cols {
            let sep = if c == 0 { "" } else { "," };
            let _ = write!(out, "{sep}${}", first + r * cols + c);
        }
        out.push(')');
    }
    out
}

/// Runs `insert` and then `update` (whose parameters follow the insert's in `args`) as one
/// atomic write in a single call to the database: on SQLite, whose driver runs each statement
/// as a message to the connection's thread, the transaction and both statements go as one
/// script (`$N` parameters are shared across a script's statements); on PostgreSQL the insert
/// is a data-modifying CTE of the update, a single statement and so its own transaction.
pub(crate) async fn insert_then_update(
    pool: &DbPool,
    insert: &str,
    update: &str,
    args: Args<'_>,
) -> Result<()> {
    if super::SQLITE {
        let sql = format!("BEGIN IMMEDIATE; {insert}; {update}; COMMIT");
        let mut conn = pool.acquire().await.map_err(map_err)?;
        let res = sqlx::query_with(&sql, args).execute(&mut *conn).await;
        if res.is_err() {
            // The script stopped at the failing statement, inside its transaction: end it
            // before the connection goes back to the pool, or drop the connection.
            if sqlx::query("ROLLBACK").execute(&mut *conn).await.is_err() {
                conn.close_on_drop();
            }
        }
        res.map_err(map_err)?;
    } else {
        let sql = format!("WITH written AS ({insert} RETURNING 1) {update}");
        sqlx::query_with(&sql, args)
            .execute(pool)
            .await
            .map_err(map_err)?;
    }
    Ok(())
}
