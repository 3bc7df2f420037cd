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
pub(crate) type WriteFn<T> = for<'a> fn(&'a mut Conn, &'a [&'a T]) -> BoxFuture<'a, Result<()>>;

/// The writer's own connection, kept from batch to batch. On SQLite a connection's page cache
/// lasts only while no other connection writes, so the connection that does all of this
/// writing keeps its cache warm, where batches spread over the pool would each start cold.
pub(crate) struct Conn {
    pool: DbPool,
    conn: Option<sqlx::pool::PoolConnection<Database>>,
    /// Whether the connection is kept between writes: not from a pool of one (an in-memory
    /// SQLite database), whose every other user would wait for it, nor once the pool is closing
    /// (closing waits for every connection to come back).
    keep: bool,
}

type Job<T> = (T, tokio::sync::oneshot::Sender<Result<()>>);

/// Items per transaction at most.
pub(crate) const MAX_BATCH: usize = 256;

/// One writer task and its queue.
pub(crate) struct GroupCommit<T> {
    tx: tokio::sync::mpsc::UnboundedSender<Job<T>>,
    write: WriteFn<T>,
    /// Batches that failed as a whole and were retried item by item.
    retried: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<T: Send + Sync + 'static> GroupCommit<T> {
    /// Starts the writer task on the current runtime; it ends when the store is dropped.
    pub(crate) fn start(pool: DbPool, write: WriteFn<T>) -> Self {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let retried = std::sync::Arc::default();
        tokio::spawn(write_batches(
            pool,
            rx,
            write,
            std::sync::Arc::clone(&retried),
        ));
        GroupCommit { tx, write, retried }
    }

    /// Batches that failed as a whole and were retried item by item so far.
    pub(crate) fn retried(&self) -> u64 {
        self.retried.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Writes `item` with the next batch; answers once it has committed (or failed).
    pub(crate) async fn write(&self, pool: &DbPool, item: T) -> Result<()> {
        let (done, answer) = tokio::sync::oneshot::channel();
        if let Err(e) = self.tx.send((item, done)) {
            // The writer's runtime is gone (a store outliving it): write directly.
            let item = e.0.0;
            return (self.write)(&mut Conn::new(pool.clone()), &[&item]).await;
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
    retried: std::sync::Arc<std::sync::atomic::AtomicU64>,
) {
    let mut closing = std::pin::pin!(pool.close_event());
    let mut conn = Conn::new(pool);
    loop {
        let first = tokio::select! {
            job = rx.recv() => match job {
                Some(job) => job,
                None => return,
            },
            () = &mut closing, if conn.keep => {
                conn.keep = false;
                conn.conn = None;
                continue;
            }
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        let items: Vec<&T> = batch.iter().map(|(t, _)| t).collect();
        let res = write(&mut conn, &items).await;
        match res {
            Ok(()) => {
                for (_, done) in batch {
                    let _ = done.send(Ok(()));
                }
            }
            Err(e) if batch.len() == 1 => {
                let _ = batch.pop().expect("one").1.send(Err(e));
            }
            Err(e) => {
                retried.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tracing::warn!(error = %e, items = batch.len(), "a batched write failed; writing its items one by one");
                for (t, done) in batch {
                    let _ = done.send(write(&mut conn, &[&t]).await);
                }
            }
        }
    }
}

/// The VALUES of `rows` rows of `cols` parameters, the first being the statement's `first`
/// (1-based): `($first,…),(…)…` on PostgreSQL; on SQLite anonymous `?`, bound in order across
/// a script's statements, because SQLite looks each `$N` up among the names before it (a batch
/// of thousands of them would spend its time there).
pub(crate) fn values(rows: usize, cols: usize, first: usize) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(rows * cols * 6);
    for r in 0..rows {
        out.push_str(if r == 0 { "(" } else { ",(" });
        for c in 0..cols {
            if c > 0 {
                out.push(',');
            }
            if super::SQLITE {
                out.push('?');
            } else {
                let _ = write!(out, "${}", first + r * cols + c);
            }
        }
        out.push(')');
    }
    out
}

impl Conn {
    fn new(pool: DbPool) -> Self {
        let keep = pool.options().get_max_connections() > 1 && !pool.is_closed();
        Conn {
            pool,
            conn: None,
            keep,
        }
    }

    /// Runs `insert` and then `update` (whose parameters follow the insert's in `args`) as one
    /// atomic write in a single call to the database: on SQLite, whose driver runs each
    /// statement as a message to the connection's thread, the transaction and both statements
    /// go as one script; on PostgreSQL the insert is a data-modifying CTE of the update, a
    /// single statement and so its own transaction. After a failure the connection is given
    /// up (on SQLite once its transaction is rolled back), and the next write takes another.
    pub(crate) async fn insert_then_update(
        &mut self,
        insert: &str,
        update: &str,
        args: Args<'_>,
    ) -> Result<()> {
        let conn = match &mut self.conn {
            Some(c) => c,
            None => self
                .conn
                .insert(self.pool.acquire().await.map_err(map_err)?),
        };
        let res = if super::SQLITE {
            let sql = format!("BEGIN IMMEDIATE; {insert}; {update}; COMMIT");
            let res = sqlx::query_with(&sql, args).execute(&mut **conn).await;
            // A script stops at its failing statement, inside its transaction.
            if res.is_err() && sqlx::query("ROLLBACK").execute(&mut **conn).await.is_err() {
                conn.close_on_drop();
            }
            res
        } else {
            let sql = format!("WITH written AS ({insert} RETURNING 1) {update}");
            sqlx::query_with(&sql, args).execute(&mut **conn).await
        };
        if res.is_err() || !self.keep {
            self.conn = None;
        }
        res.map(drop).map_err(map_err)
    }
}
