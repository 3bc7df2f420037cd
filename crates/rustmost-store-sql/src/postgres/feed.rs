//! The change feed on PostgreSQL: `NOTIFY` publishes; each subscription holds one `LISTEN`
//! connection, pings it when it has been quiet, and reconnects (with backoff) when it is lost
//! or hangs.
//!
//! A hung connection (a silent network partition) delivers nothing and reports no error, so a
//! subscription pings its own connection after [`FeedTimings::ping_every`] without traffic and
//! treats a ping unanswered within [`FeedTimings::ping_timeout`] as a lost connection.

use crate::map_err;
use async_trait::async_trait;
use rustmost_store::StoreError;
use rustmost_store::feed::{ChangeFeed, FeedEvent, FeedTimings, Subscription};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

/// The one channel every node listens on.
pub const CHANNEL: &str = "rustmost_cache";

/// The `application_name` of every subscription's connection, to find it in
/// `pg_stat_activity`.
pub const LISTENER_APPLICATION_NAME: &str = "rustmost_cache_listener";

/// PostgreSQL refuses `NOTIFY` payloads of 8000 bytes or more.
const MAX_PAYLOAD: usize = 7900;

/// The change feed of one PostgreSQL database.
pub struct PgChangeFeed {
    url: String,
    notify: PgPool,
    timings: watch::Sender<FeedTimings>,
}

impl PgChangeFeed {
    /// Connects to `url` for publishing; subscriptions open their own connections.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let notify = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(map_err)?;
        Ok(PgChangeFeed {
            url: url.to_string(),
            notify,
            timings: watch::Sender::new(FeedTimings::default()),
        })
    }
}

#[async_trait]
impl ChangeFeed for PgChangeFeed {
    async fn notify(&self, payload: &str) -> Result<(), StoreError> {
        let mut retried = false;
        loop {
            match sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
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
        let listener = listen(&self.url).await.map_err(map_err)?;
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(run(
            self.url.clone(),
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

async fn listen(url: &str) -> Result<PgListener, sqlx::Error> {
    let opts = url
        .parse::<PgConnectOptions>()?
        .application_name(LISTENER_APPLICATION_NAME);
    // As `PgListener::connect` does: one connection, kept for as long as it lives.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .max_lifetime(None)
        .idle_timeout(None)
        .connect_with(opts)
        .await?;
    let mut l = PgListener::connect_with(&pool).await?;
    l.listen(CHANNEL).await?;
    Ok(l)
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
                if tx
                    .send(FeedEvent::Message(n.payload().to_string()))
                    .is_err()
                {
                    return;
                }
                continue;
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
            match tokio::time::timeout(Duration::from_secs(10), listen(&url)).await {
                Ok(Ok(l)) => break l,
                Err(_) => tracing::warn!("change feed: reconnect timed out"),
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "change feed: reconnect failed");
                    wait = (wait * 2).min(Duration::from_secs(10));
                }
            }
        };
        last_heard = Instant::now();
        if tx.send(FeedEvent::Back).is_err() {
            return;
        }
    }
}
