//! The change feed on PostgreSQL: `NOTIFY` publishes; each subscription holds one `LISTEN`
//! connection, pings it when it has been quiet, and reconnects (with backoff) when it is lost
//! or hangs. A payload too big for one notification (PostgreSQL refuses 8,000 bytes) is spilled
//! into `rustmost_feed_spill` and only its row id is sent; the subscription reads the row back on
//! its own connection, so payloads of any size keep their order.
//!
//! A hung connection (a silent network partition) delivers nothing and reports no error, so a
//! subscription pings its own connection after [`FeedTimings::ping_every`] without traffic and
//! treats a ping unanswered within [`FeedTimings::ping_timeout`] as a lost connection.

use crate::map_err;
use async_trait::async_trait;
use rustmost_store::StoreError;
use rustmost_store::feed::{ChangeFeed, FeedEvent, FeedTimings, Lease, Subscription};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgListener, PgPoolOptions};
use sqlx::{Connection, PgPool};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

/// The one channel every node listens on.
pub const CHANNEL: &str = "rustmost_cache";

/// The `application_name` of every subscription's connection, to find it in
/// `pg_stat_activity`.
pub const LISTENER_APPLICATION_NAME: &str = "rustmost_cache_listener";

/// PostgreSQL refuses `NOTIFY` payloads of 8000 bytes or more; anything from this size up is
/// spilled into a table.
const MAX_NOTIFY: usize = 7900;

/// The largest payload accepted at all (a spilled row).
const MAX_PAYLOAD: usize = 16 << 20;

/// A notification that names a spilled payload: this prefix and the row id. A forged one can only
/// make a node read a row of that table.
const SPILL_PREFIX: &str = "#spill:";

/// Spilled rows older than this are deleted (every receiver has read them long before).
const SPILL_KEEP_MS: i64 = 60_000;

/// How long a publisher waits for a pooled connection before the publish fails, so a database
/// outage fails a caller quickly instead of hanging it.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// The longest pause between two reconnection attempts: a node is back within this of the
/// database accepting connections again.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// The change feed of one PostgreSQL database.
pub struct PgChangeFeed {
    url: String,
    channel: String,
    notify: PgPool,
    timings: watch::Sender<FeedTimings>,
    spilled: std::sync::atomic::AtomicU32,
}

impl PgChangeFeed {
    /// Connects to `url` for publishing on [`CHANNEL`]; subscriptions open their own connections.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_on(url, CHANNEL).await
    }

    /// The same on another channel (the configuration's changes have their own).
    pub async fn connect_on(url: &str, channel: &str) -> Result<Self, StoreError> {
        let notify = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect(url)
            .await
            .map_err(map_err)?;
        let create = "CREATE TABLE IF NOT EXISTS rustmost_feed_spill \
             (id BIGSERIAL PRIMARY KEY, create_at BIGINT NOT NULL, payload TEXT NOT NULL)";
        // Two nodes starting at once can race on the catalog; the second try sees the table.
        if sqlx::query(create).execute(&notify).await.is_err() {
            sqlx::query(create)
                .execute(&notify)
                .await
                .map_err(map_err)?;
        }
        Ok(PgChangeFeed {
            url: url.to_string(),
            channel: channel.to_string(),
            notify,
            timings: watch::Sender::new(FeedTimings::default()),
            spilled: Default::default(),
        })
    }

    /// Stores `payload` and returns the notification that names it.
    async fn spill(&self, payload: &str) -> Result<String, sqlx::Error> {
        let now = rustmost_model::now_ms();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO rustmost_feed_spill (create_at, payload) VALUES ($1, $2) RETURNING id",
        )
        .bind(now)
        .bind(payload)
        .fetch_one(&self.notify)
        .await?;
        let n = self
            .spilled
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if n % 64 == 63 {
            let _ = sqlx::query("DELETE FROM rustmost_feed_spill WHERE create_at < $1")
                .bind(now - SPILL_KEEP_MS)
                .execute(&self.notify)
                .await;
        }
        Ok(format!("{SPILL_PREFIX}{id}"))
    }
}

#[async_trait]
impl ChangeFeed for PgChangeFeed {
    async fn notify(&self, payload: &str) -> Result<(), StoreError> {
        if payload.len() > MAX_PAYLOAD {
            return Err(StoreError::Other(
                format!(
                    "a change feed payload of {} bytes is too big",
                    payload.len()
                )
                .into(),
            ));
        }
        let spilled;
        let payload = if payload.len() >= MAX_NOTIFY || payload.starts_with(SPILL_PREFIX) {
            spilled = self.spill(payload).await.map_err(map_err)?;
            spilled.as_str()
        } else {
            payload
        };
        let mut retried = false;
        loop {
            match sqlx::query("SELECT pg_notify($1, $2)")
                .bind(&self.channel)
                .bind(payload)
                .execute(&self.notify)
                .await
            {
                Ok(_) => return Ok(()),
                // One retry covers a pooled connection that died since its last use.
                Err(_) if !retried => retried = true,
                Err(e) => return Err(map_err(e)),
            }
        }
    }

    async fn subscribe(&self) -> Result<Box<dyn Subscription>, StoreError> {
        let listener = listen(&self.url, &self.channel).await.map_err(map_err)?;
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(run(
            self.url.clone(),
            self.channel.clone(),
            listener,
            tx,
            self.timings.subscribe(),
        ));
        Ok(Box::new(PgSubscription { rx, task }))
    }

    fn set_timings(&self, t: FeedTimings) {
        self.timings.send_replace(t);
    }

    fn max_payload(&self) -> usize {
        MAX_PAYLOAD
    }

    /// A session-level advisory lock on a connection of its own: PostgreSQL releases it when
    /// that connection ends, so a node that dies (or loses the database) frees its jobs.
    async fn lead(&self, job: &str) -> Result<Option<Box<dyn Lease>>, StoreError> {
        let opts = self
            .url
            .parse::<PgConnectOptions>()
            .map_err(map_err)?
            .application_name(LEASE_APPLICATION_NAME);
        let mut conn = tokio::time::timeout(ACQUIRE_TIMEOUT, PgConnection::connect_with(&opts))
            .await
            .map_err(|_| StoreError::Other("no connection for a job lease in time".into()))?
            .map_err(map_err)?;
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1, hashtext($2))")
            .bind(LEASE_LOCK_CLASS)
            .bind(job)
            .fetch_one(&mut conn)
            .await
            .map_err(map_err)?;
        if !got {
            let _ = conn.close().await;
            return Ok(None);
        }
        Ok(Some(Box::new(PgLease { conn: Some(conn) })))
    }
}

/// The `application_name` of job lease connections.
pub const LEASE_APPLICATION_NAME: &str = "rustmost_job_lease";

/// The first key of every job's advisory lock ("RM"), the second being the job name's hash.
const LEASE_LOCK_CLASS: i32 = 0x524d;

/// A held advisory lock: the connection holding it.
struct PgLease {
    conn: Option<PgConnection>,
}

#[async_trait]
impl Lease for PgLease {
    async fn held(&mut self) -> bool {
        let Some(conn) = self.conn.as_mut() else {
            return false;
        };
        let ping = sqlx::query("SELECT 1").execute(&mut *conn);
        if let Ok(Ok(_)) = tokio::time::timeout(ACQUIRE_TIMEOUT, ping).await {
            return true;
        }
        // A connection in doubt may have lost the lock to another node already.
        self.conn = None;
        false
    }
}

/// Events from the subscription's task; dropping it stops the task and closes its connection.
struct PgSubscription {
    rx: mpsc::UnboundedReceiver<FeedEvent>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for PgSubscription {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[async_trait]
impl Subscription for PgSubscription {
    async fn next(&mut self) -> Option<FeedEvent> {
        self.rx.recv().await
    }
}

async fn listen(url: &str, channel: &str) -> Result<PgListener, sqlx::Error> {
    let opts = url
        .parse::<PgConnectOptions>()?
        .application_name(LISTENER_APPLICATION_NAME);
    // As `PgListener::connect` does: one connection, kept for as long as it lives.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .max_lifetime(None)
        .idle_timeout(None)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(opts)
        .await?;
    let mut l = PgListener::connect_with(&pool).await?;
    // sqlx would otherwise reconnect inside `try_recv` on a lost connection, waiting there on
    // its one-connection pool (up to the acquire timeout) while the dead connection is closed
    // in the background: the loss went unreported for that long. A loss is reported at once and
    // the reconnection is this module's, with a fresh pool.
    l.eager_reconnect(false);
    l.listen(channel).await?;
    Ok(l)
}

/// The payload a notification stands for: itself, or the spilled row it names (read on the
/// listening connection itself, so it is there even if the publisher's pool is not).
async fn unspill(listener: &mut PgListener, payload: &str) -> Result<String, sqlx::Error> {
    let Some(id) = payload
        .strip_prefix(SPILL_PREFIX)
        .and_then(|id| id.parse::<i64>().ok())
    else {
        return Ok(payload.to_string());
    };
    sqlx::query_scalar("SELECT payload FROM rustmost_feed_spill WHERE id = $1")
        .bind(id)
        .fetch_one(listener)
        .await
}

/// What woke the subscription's task.
enum Event {
    Message(Result<Option<sqlx::postgres::PgNotification>, sqlx::Error>),
    Timer,
    Timings,
    Unsubscribed,
}

async fn run(
    url: String,
    channel: String,
    mut listener: PgListener,
    tx: mpsc::UnboundedSender<FeedEvent>,
    mut timings: watch::Receiver<FeedTimings>,
) {
    let mut last_heard = Instant::now();
    // False once the feed itself is gone: its timings can no longer change.
    let mut watching = true;
    loop {
        let t = *timings.borrow_and_update();
        let wait = t.ping_every.saturating_sub(last_heard.elapsed());
        let event = tokio::select! {
            m = listener.try_recv() => Event::Message(m),
            () = tokio::time::sleep(wait) => Event::Timer,
            r = timings.changed(), if watching => {
                watching = r.is_ok();
                Event::Timings
            }
            () = tx.closed() => Event::Unsubscribed,
        };
        let lost = match event {
            Event::Message(Ok(Some(n))) => {
                last_heard = Instant::now();
                match unspill(&mut listener, n.payload()).await {
                    Ok(payload) => {
                        if tx.send(FeedEvent::Message(payload)).is_err() {
                            return;
                        }
                        continue;
                    }
                    Err(sqlx::Error::RowNotFound) => {
                        tracing::warn!("change feed: a spilled payload is gone");
                        continue;
                    }
                    // The row could not be read: the connection is in doubt and the payload is
                    // lost to this subscriber, which is what a lost connection reports.
                    Err(e) => e.to_string(),
                }
            }
            Event::Message(Ok(None)) => "connection closed".to_string(),
            Event::Message(Err(e)) => e.to_string(),
            Event::Timings => continue,
            Event::Unsubscribed => return,
            Event::Timer if last_heard.elapsed() < t.ping_every => continue,
            Event::Timer => {
                let ping = sqlx::query("SELECT 1").execute(&mut listener);
                match tokio::time::timeout(t.ping_timeout, ping).await {
                    Ok(Ok(_)) => {
                        last_heard = Instant::now();
                        continue;
                    }
                    Ok(Err(e)) => e.to_string(),
                    Err(_) => format!("no answer to a ping within {:?}", t.ping_timeout),
                }
            }
        };
        if tx.send(FeedEvent::Lost(lost)).is_err() {
            return;
        }
        // A hung connection is not waited on any longer.
        drop(listener);
        let mut wait = Duration::from_millis(200);
        listener = loop {
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = tx.closed() => return,
            }
            match tokio::time::timeout(Duration::from_secs(10), listen(&url, &channel)).await {
                Ok(Ok(l)) => break l,
                Err(_) => tracing::warn!("change feed: reconnect timed out"),
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "change feed: reconnect failed");
                    wait = (wait * 2).min(MAX_BACKOFF);
                }
            }
        };
        last_heard = Instant::now();
        if tx.send(FeedEvent::Back).is_err() {
            return;
        }
    }
}
