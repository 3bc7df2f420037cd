//! The change feed: messages between the nodes serving one database. Any node publishes, every
//! subscribed node hears (itself included); what the messages mean is the server's business.

use crate::Result;
use async_trait::async_trait;
use std::time::Duration;

/// How a subscription watches its connection; tests shorten them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedTimings {
    /// Ping the connection after this long without a message.
    pub ping_every: Duration,
    /// A ping not answered within this is a hung connection: reconnect.
    pub ping_timeout: Duration,
}

impl Default for FeedTimings {
    fn default() -> Self {
        FeedTimings {
            ping_every: Duration::from_secs(15),
            ping_timeout: Duration::from_secs(5),
        }
    }
}

/// What a subscription delivers, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedEvent {
    /// A payload some node published.
    Message(String),
    /// The connection was lost (closed, failed, or hung): until [`FeedEvent::Back`], nothing
    /// published is heard. The subscription is reconnecting.
    Lost(String),
    /// Listening again after [`FeedEvent::Lost`]; whatever was published meanwhile went unheard.
    Back,
}

/// Publishes to and subscribes on the one channel the nodes share.
#[async_trait]
pub trait ChangeFeed: Send + Sync {
    /// Publishes `payload` to every subscriber.
    async fn notify(&self, payload: &str) -> Result<()>;
    /// Starts listening: everything published after this returns is delivered, until the
    /// subscription is dropped. Keeping the connection alive and reconnecting are the
    /// subscription's own work; it reports them as [`FeedEvent::Lost`] and [`FeedEvent::Back`].
    async fn subscribe(&self) -> Result<Box<dyn Subscription>>;
    /// Changes how subscriptions watch their connections; takes effect at once.
    fn set_timings(&self, t: FeedTimings);
    /// The largest payload [`ChangeFeed::notify`] accepts, in bytes.
    fn max_payload(&self) -> usize;
    /// Tries to become the one node that runs `job`: `Some` while no other node holds it. The
    /// lease lasts while it is held (dropped, or its node gone, another node may take it).
    async fn lead(&self, job: &str) -> Result<Option<Box<dyn Lease>>>;
}

/// The right to run one job on behalf of every node.
#[async_trait]
pub trait Lease: Send {
    /// Whether the lease is still held; once it answers `false` it is lost for good.
    async fn held(&mut self) -> bool;
}

/// One subscriber's end of the feed.
#[async_trait]
pub trait Subscription: Send {
    /// The next event; `None` once the feed is gone.
    async fn next(&mut self) -> Option<FeedEvent>;
}
