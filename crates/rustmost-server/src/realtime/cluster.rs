//! Events across nodes. Each event goes out on the store's change feed (the channel cache
//! invalidations use), prefixed `ev:`, as `{"node","event"}` from one relay task per node, so a
//! node's events keep their order. The feed carries payloads of any size (it spills those too
//! big for one notification itself). The receiving node delivers the event to its own sockets
//! under the same rules as its own events.

use super::event::Event;
use crate::state::Inner;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

/// Events share the store's change feed with cache invalidations; this prefix tells them apart.
pub const PREFIX: &str = "ev:";

#[derive(Serialize, Deserialize)]
struct Wire {
    node: String,
    event: Event,
}

/// Sends this node's events to the others, in order, until the state is dropped.
pub async fn relay(
    feed: std::sync::Arc<dyn rustmost_store::feed::ChangeFeed>,
    node: String,
    mut rx: mpsc::UnboundedReceiver<Event>,
) {
    while let Some(event) = rx.recv().await {
        let payload = serde_json::to_string(&Wire {
            node: node.clone(),
            event,
        })
        .unwrap_or_default();
        if let Err(e) = feed.notify(&format!("{PREFIX}{payload}")).await {
            tracing::error!(error = %e, "could not send an event to the other nodes");
        }
    }
}

/// Delivers another node's event to this node's sockets.
pub fn apply_remote(state: &Inner, node: &str, payload: &str) {
    let Ok(w) = serde_json::from_str::<Wire>(payload) else {
        tracing::warn!("unreadable event from another node");
        return;
    };
    if w.node == node {
        return;
    }
    state.events.hub.deliver_local(w.event);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_round_trips() {
        let e = Event::new("typing", serde_json::json!({"user_id": "u"})).to_channel("c");
        let s = serde_json::to_string(&Wire {
            node: "n".into(),
            event: e.clone(),
        })
        .unwrap();
        let back: Wire = serde_json::from_str(&s).unwrap();
        assert_eq!(back.event, e);
    }
}
