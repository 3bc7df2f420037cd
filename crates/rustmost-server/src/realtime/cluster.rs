//! Events across nodes. Each event goes out on the store's change feed (the channel cache
//! invalidations use), prefixed `ev:`, as `{"node","event"}` from one relay task per node, so a node's events keep their order. A
//! payload of 7,900 bytes or more (PostgreSQL refuses 8,000) is stored in
//! `rustmost_ws_events` and only its id is sent (`{"node","ref"}`); receivers read the row in
//! their `LISTEN` loop, so order is kept there too. Rows older than a minute are deleted as new
//! ones are written. The receiving node delivers the event to its own sockets under the same
//! rules as its own events.

use super::event::Event;
use crate::state::Inner;
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgPool;
use tokio::sync::mpsc;

/// Events share the store's change feed with cache invalidations; this prefix tells them apart.
pub const PREFIX: &str = "ev:";

/// Below the feed's limit with the prefix added.
const MAX_PAYLOAD: usize = 7900 - PREFIX.len();
/// How long a stored event is kept for slow receivers.
const KEEP_MS: i64 = 60_000;

#[derive(Serialize, Deserialize)]
struct Wire {
    node: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    event: Option<Event>,
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "ref")]
    reference: Option<i64>,
}

pub async fn ensure_table(pool: &PgPool) -> Result<(), sqlx::Error> {
    let create = "CREATE TABLE IF NOT EXISTS rustmost_ws_events \
         (id BIGSERIAL PRIMARY KEY, create_at BIGINT NOT NULL, payload TEXT NOT NULL)";
    // Two nodes starting at once can race on the catalog; the second try sees the table.
    if sqlx::query(create).execute(pool).await.is_err() {
        sqlx::query(create).execute(pool).await?;
    }
    Ok(())
}

/// Sends this node's events to the others, in order, until the state is dropped.
pub async fn relay(
    pool: PgPool,
    feed: std::sync::Arc<dyn rustmost_store::feed::ChangeFeed>,
    node: String,
    mut rx: mpsc::UnboundedReceiver<Event>,
) {
    let mut stored = 0u32;
    while let Some(e) = rx.recv().await {
        let full = serde_json::to_string(&Wire {
            node: node.clone(),
            event: Some(e),
            reference: None,
        })
        .unwrap_or_default();
        let payload = if full.len() < MAX_PAYLOAD {
            full
        } else {
            let id = sqlx::query_scalar::<_, i64>(
                "INSERT INTO rustmost_ws_events (create_at, payload) VALUES ($1, $2) RETURNING id",
            )
            .bind(rustmost_model::now_ms())
            .bind(&full)
            .fetch_one(&pool)
            .await;
            stored += 1;
            if stored.is_multiple_of(64) {
                let _ = sqlx::query("DELETE FROM rustmost_ws_events WHERE create_at < $1")
                    .bind(rustmost_model::now_ms() - KEEP_MS)
                    .execute(&pool)
                    .await;
            }
            match id {
                Ok(id) => serde_json::to_string(&Wire {
                    node: node.clone(),
                    event: None,
                    reference: Some(id),
                })
                .unwrap_or_default(),
                Err(e) => {
                    tracing::error!(error = %e, "could not store a large event for the other nodes");
                    continue;
                }
            }
        };
        if let Err(e) = feed.notify(&format!("{PREFIX}{payload}")).await {
            tracing::error!(error = %e, "could not send an event to the other nodes");
        }
    }
}

/// Delivers another node's event to this node's sockets.
pub async fn apply_remote(state: &Inner, node: &str, pool: Option<&PgPool>, payload: &str) {
    let Ok(w) = serde_json::from_str::<Wire>(payload) else {
        tracing::warn!("unreadable event from another node");
        return;
    };
    if w.node == node {
        return;
    }
    let e = match (w.event, w.reference, pool) {
        (Some(e), _, _) => e,
        (None, Some(id), Some(pool)) => {
            let row = sqlx::query_scalar::<_, String>(
                "SELECT payload FROM rustmost_ws_events WHERE id = $1",
            )
            .bind(id)
            .fetch_one(pool)
            .await;
            match row.map(|p| serde_json::from_str::<Wire>(&p)) {
                Ok(Ok(Wire { event: Some(e), .. })) => e,
                _ => {
                    tracing::warn!(id, "a large event from another node could not be read");
                    return;
                }
            }
        }
        _ => return,
    };
    state.events.hub.deliver_local(e);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_round_trips() {
        let e = Event::new("typing", serde_json::json!({"user_id": "u"})).to_channel("c");
        let s = serde_json::to_string(&Wire {
            node: "n".into(),
            event: Some(e.clone()),
            reference: None,
        })
        .unwrap();
        let back: Wire = serde_json::from_str(&s).unwrap();
        assert_eq!(back.event, Some(e));
        let r: Wire = serde_json::from_str(r#"{"node":"n","ref":5}"#).unwrap();
        assert_eq!(r.reference, Some(5));
    }
}
