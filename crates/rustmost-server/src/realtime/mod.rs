//! Real-time events (Mattermost's WebSocket API): the events the app publishes, the hub that
//! delivers them to this node's sockets, and their relay to the other nodes.
//!
//! Publishing is synchronous and never blocks: `state.events.publish(ev)` queues the event for
//! this node's delivery task and, with several nodes, for the relay task that sends it over
//! PostgreSQL `NOTIFY` in publishing order (see [`cluster`]).

pub mod cluster;
pub mod conn;
pub mod event;
pub mod events;
pub mod hub;

pub use event::{Broadcast, Event};

use parking_lot::Mutex;
use std::sync::OnceLock;
use tokio::sync::mpsc;

/// This node's real-time side: its hub, and the relay to other nodes when there are any.
#[derive(Default)]
pub struct Realtime {
    pub hub: hub::Hub,
    relay: OnceLock<mpsc::UnboundedSender<Event>>,
    tasks: Mutex<Vec<AbortOnDrop>>,
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Realtime {
    /// Delivers `e` to every socket allowed to see it, on every node. Call it once the change
    /// it announces is committed.
    pub fn publish(&self, e: Event) {
        if let Some(relay) = self.relay.get() {
            let _ = relay.send(e.clone());
        }
        self.hub.deliver_local(e);
    }

    /// Delivers `e` on this node only (state that is per node, such as the config).
    pub fn publish_local(&self, e: Event) {
        self.hub.deliver_local(e);
    }

    fn keep(&self, tasks: Vec<tokio::task::JoinHandle<()>>) {
        self.tasks.lock().extend(tasks.into_iter().map(AbortOnDrop));
    }
}

/// Starts delivery (and, on PostgreSQL, the relay to other nodes) for `state`.
pub async fn start(state: &crate::state::AppState) -> anyhow::Result<()> {
    state.events.keep(hub::start(&state.0));
    if let Some(feed) = state.cluster.feed() {
        let (tx, rx) = mpsc::unbounded_channel();
        let _ = state.events.relay.set(tx);
        let task = tokio::spawn(cluster::relay(
            feed.clone(),
            state.cluster.node().to_string(),
            rx,
        ));
        state.events.keep(vec![task]);
    }
    Ok(())
}
