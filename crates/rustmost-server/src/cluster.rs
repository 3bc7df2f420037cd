//! Cache invalidation across nodes: every eviction a state change causes goes through
//! [`AppState::invalidate`], which applies it to this node's caches and, on PostgreSQL, publishes
//! it on the store's change feed (`NOTIFY`) so every other node serving the same database
//! applies it too. The feed's connection handling lives with the store
//! (`rustmost_store_sql::PgChangeFeed`); this module gives its messages their meaning.
//!
//! On PostgreSQL the notifications of committed changes are sent by the database itself:
//! triggers (migration 0007) `NOTIFY` inside the transaction that commits a session deletion,
//! a session's or user's role change, a deactivation, or a role's permissions, and PostgreSQL
//! delivers them exactly when the change commits, so no change can commit unannounced, whoever
//! made it. Those messages carry an empty `node`, so every node applies them, the committing
//! one included (a harmless second eviction). [`AppState::invalidate`] therefore only applies a
//! change to this node's caches at once.
//!
//! Delivery is asynchronous: another node drops a revoked session within the time PostgreSQL
//! takes to deliver a notification (milliseconds on a healthy network). While a node's `LISTEN`
//! connection is down it caches no sessions at all (every request reads the database), and
//! when the connection is back it drops its session cache and reloads the roles, since
//! notifications sent meanwhile are lost. Cached sessions are also re-read from the database
//! every [`MAX_SESSION_CACHE_AGE`] on PostgreSQL, and the role table every
//! [`MAX_ROLE_CACHE_AGE`], bounding any change made outside those triggers.
//!
//! The configuration, when it lives in the database, has its own channel
//! (`rustmost_config`): every save announces itself and each node re-reads the document.
//!
//! A notification carries no authority: any account that can connect to the database can
//! `NOTIFY`, so a message only names what to drop or reload (a session hash, session ids, a
//! user id, a role name) and the data always comes from the database. A forged message can
//! cost database reads, never grant anything.
//!
//! A connection that hangs (a silent network partition) delivers nothing and reports no error,
//! so the feed pings its own connection after [`Timings::ping_every`] without traffic and
//! treats a ping unanswered within [`Timings::ping_timeout`] as a lost connection.

use crate::state::{AppState, Inner};
use rustmost_model::role::Role;
use rustmost_store::feed::{ChangeFeed, FeedEvent, Subscription};
use serde::Deserialize;
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;
use tokio::sync::Notify;

/// How the change feed watches its connection; tests shorten them.
pub use rustmost_store::feed::FeedTimings as Timings;

/// With several nodes, how long a node trusts a cached session before reading it again: the
/// bound on a change no trigger announces (a row edited outside the tables they watch).
pub const MAX_SESSION_CACHE_AGE: Duration = Duration::from_secs(60);

/// With several nodes, how long a node trusts its role table before reading it again.
pub const MAX_ROLE_CACHE_AGE: Duration = Duration::from_secs(60);

/// A change to cached state, as the caller knows it.
#[derive(Debug, Clone)]
pub enum Invalidation {
    /// The session(s) whose secret hashes to this (a token revoked, disabled or rotated).
    SessionHash(String),
    /// Sessions by id (a session revoked or logged out).
    SessionIds(Vec<String>),
    /// Every session of a user, except `keep` (deactivation, password change, revoke-all).
    UserSessions {
        user_id: String,
        keep: Option<String>,
    },
    /// A user's roles changed: their cached sessions are dropped and read again.
    UserRoles { user_id: String },
    /// A user's row changed (profile, password, activation, bot flag, login counters): the
    /// cached user is dropped; sessions stay.
    User { user_id: String },
    /// A role's new permissions, as just committed by this node (other nodes are told only the
    /// name and reload the roles from the database).
    Role(Role),
    /// Every session on the server.
    AllSessions,
    /// A channel's row changed (other than its post counters): the write caches drop it.
    Channel { channel_id: String },
    /// A team may have gained a live outgoing webhook: the write caches forget that it had
    /// none.
    TeamHooks { team_id: String },
}

/// The notification payload: small JSON, e.g. `{"node":"","kind":"session_ids","keys":[…]}`.
#[derive(Debug, Deserialize, PartialEq)]
struct Wire {
    /// The sending node, which has already applied the change and skips its own message.
    node: String,
    kind: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    key: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    keys: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    keep: Option<String>,
}

/// How this node shares invalidations: not at all (SQLite, one node), or over the store's
/// change feed (PostgreSQL).
#[derive(Default)]
pub struct Cluster {
    node: String,
    feed: Option<Arc<dyn ChangeFeed>>,
    listener: OnceLock<AbortOnDrop>,
    /// Follows the shared configuration document, when it lives in the database.
    config_listener: OnceLock<AbortOnDrop>,
    /// Wakes the listener to re-read the role table's age.
    wake: Arc<Notify>,
}

/// Stops the listening task with the state that owns it, so its connection does not outlive it.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Cluster {
    /// Single node: invalidations stay in this process.
    pub fn local() -> Self {
        Self::default()
    }

    /// Shares invalidations with every node that publishes on `feed`. Returns the cluster and
    /// a subscription already listening, to hand to [`start_listening`] once the state exists.
    pub async fn shared(
        feed: Arc<dyn ChangeFeed>,
    ) -> anyhow::Result<(Self, Box<dyn Subscription>)> {
        let subscription = feed.subscribe().await?;
        Ok((
            Cluster {
                node: rustmost_model::new_id(),
                feed: Some(feed),
                ..Default::default()
            },
            subscription,
        ))
    }

    /// Whether invalidations leave this process.
    pub fn is_shared(&self) -> bool {
        self.feed.is_some()
    }

    /// The feed this node publishes on, with several nodes.
    pub fn feed(&self) -> Option<&Arc<dyn ChangeFeed>> {
        self.feed.as_ref()
    }

    /// This node's id in notifications.
    pub fn node(&self) -> &str {
        &self.node
    }
}

impl AppState {
    /// Changes how the listener watches its connection and how old the role table may get
    /// (tests shorten both); takes effect at once.
    pub fn set_cluster_timings(&self, t: Timings, role_max_age: Duration) {
        if let Some(feed) = &self.cluster.feed {
            feed.set_timings(t);
        }
        self.roles.set_max_age(role_max_age);
        self.cluster.wake.notify_one();
    }

    /// Applies a committed state change to this node's caches. The other nodes hear of it
    /// from the database, which announced it inside the committing transaction (see the module
    /// docs).
    pub async fn invalidate(&self, inv: Invalidation) {
        apply_local(self, &inv);
    }
}

fn apply_local(state: &Inner, inv: &Invalidation) {
    // The write caches hold no credential: no socket needs to re-check anything.
    match inv {
        Invalidation::Channel { channel_id } => {
            return state.write_caches.forget_channel(channel_id);
        }
        Invalidation::TeamHooks { team_id } => {
            return state.write_caches.forget_team_hooks(team_id);
        }
        _ => {}
    }
    state.events.hub.on_invalidation(inv);
    match inv {
        Invalidation::SessionHash(h) => state.sessions.remove_hash(h),
        Invalidation::SessionIds(ids) => state.sessions.remove_ids(ids),
        Invalidation::UserSessions { user_id, keep } => match keep {
            None => state.sessions.remove_user(user_id),
            Some(k) => state
                .sessions
                .remove_where(|s| s.user_id == *user_id && s.id != *k),
        },
        // Evicted rather than updated in place: two role changes applied out of commit order
        // would otherwise leave the older roles cached.
        Invalidation::UserRoles { user_id } => state.sessions.remove_user(user_id),
        Invalidation::User { user_id } => state.sessions.forget_user(user_id),
        Invalidation::Role(r) => state.roles.put(r.clone()),
        Invalidation::AllSessions => state.sessions.clear(),
        Invalidation::Channel { .. } | Invalidation::TeamHooks { .. } => {}
    }
}

/// Applies another node's message. An unreadable one drops every cached session: better a
/// database read too many than a revoked session honoured.
async fn apply_remote(state: &Inner, node: &str, payload: &str) {
    let Ok(w) = serde_json::from_str::<Wire>(payload) else {
        tracing::warn!("unreadable cache invalidation; dropping the session cache");
        state.sessions.clear();
        state.write_caches.clear();
        state.events.hub.distrust_all(|_| true);
        return;
    };
    if w.node == node {
        return;
    }
    match w.kind.as_str() {
        "channel" => return state.write_caches.forget_channel(&w.key),
        "outgoing_hooks" => return state.write_caches.forget_team_hooks(&w.key),
        _ => {}
    }
    // Sockets whose session this message evicts re-check it before writing anything more.
    let distrust = |state: &Inner| {
        state
            .events
            .hub
            .distrust_all(|s| state.sessions.get(&s.token_hash).is_none());
    };
    if w.kind == "user_roles" {
        state.events.hub.distrust_all(|s| s.user_id == w.key);
    }
    match w.kind.as_str() {
        "session_hash" => state.sessions.remove_hash(&w.key),
        "session_ids" => state.sessions.remove_ids(&w.keys),
        "user" => apply_local(
            state,
            &Invalidation::UserSessions {
                user_id: w.key,
                keep: w.keep,
            },
        ),
        "user_roles" => state.sessions.remove_user(&w.key),
        "user_row" => state.sessions.forget_user(&w.key),
        "role" => reload_roles(state).await,
        _ => state.sessions.clear(),
    }
    distrust(state);
}

/// Reloads every role (there are few); the sessions cache is not involved. A role put by this
/// node while the read was under way wins: the read starts over.
async fn reload_roles(state: &Inner) {
    for _ in 0..3 {
        let epoch = state.roles.epoch();
        match state.store.list_roles().await {
            Ok(roles) => {
                if state.roles.replace_all_if_unchanged(roles, epoch) {
                    return;
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "could not reload the roles from the database");
                return;
            }
        }
    }
}

/// Applies what `subscription` hears to `state` until the state is dropped.
pub fn start_listening(state: &AppState, subscription: Box<dyn Subscription>) {
    state.roles.set_max_age(MAX_ROLE_CACHE_AGE);
    let weak = std::sync::Arc::downgrade(&state.0);
    let node = state.cluster.node.clone();
    let wake = state.cluster.wake.clone();
    let task = tokio::spawn(listen(weak, node, subscription, wake));
    let _ = state.cluster.listener.set(AbortOnDrop(task));
}

async fn listen(
    weak: Weak<Inner>,
    node: String,
    mut subscription: Box<dyn Subscription>,
    wake: Arc<Notify>,
) {
    loop {
        // The state is held only between waits, so dropping it ends the task.
        let reload_in = {
            let Some(state) = weak.upgrade() else { return };
            if state.roles.fresh_for() == Some(Duration::ZERO) {
                reload_roles(&state).await;
            }
            // Still stale here means the reload failed: retry after a pause, not in a spin.
            state.roles.fresh_for().map(|r| match r.is_zero() {
                true => Duration::from_secs(1),
                false => r,
            })
        };
        let reload_due = async {
            match reload_in {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        let event = tokio::select! {
            e = subscription.next() => e,
            () = reload_due => continue,
            () = wake.notified() => continue,
        };
        let Some(state) = weak.upgrade() else { return };
        match event {
            Some(FeedEvent::Message(payload)) => {
                match payload.strip_prefix(crate::realtime::cluster::PREFIX) {
                    Some(ev) => crate::realtime::cluster::apply_remote(&state, &node, ev),
                    None => apply_remote(&state, &node, &payload).await,
                }
            }
            Some(FeedEvent::Lost(why)) => {
                tracing::warn!(error = %why, "cache invalidation listener lost; caching no sessions until it is back");
                state.sessions.suspend();
                state.write_caches.suspend();
            }
            Some(FeedEvent::Back) => {
                // Anything changed while the connection was down went unheard.
                reload_roles(&state).await;
                state.sessions.resume();
                state.write_caches.resume();
                state.events.hub.distrust_all(|_| true);
                tracing::info!("cache invalidation listener back");
            }
            None => {
                // The feed ended: from now on nothing from the other nodes is heard.
                tracing::error!("cache invalidation feed ended; caching no sessions");
                state.sessions.suspend();
                state.write_caches.suspend();
                return;
            }
        }
    }
}

/// Follows the configuration document other nodes save: each announcement (and each
/// reconnection, since announcements made meanwhile went unheard) re-reads it, and a changed
/// document takes effect here as if it had been saved here.
pub fn follow_config(state: &AppState, mut subscription: Box<dyn Subscription>) {
    let weak = std::sync::Arc::downgrade(&state.0);
    let task = tokio::spawn(async move {
        while let Some(event) = subscription.next().await {
            let Some(inner) = weak.upgrade() else { return };
            if let FeedEvent::Lost(why) = &event {
                tracing::warn!(error = %why, "configuration listener lost; reconnecting");
                continue;
            }
            // A failed read is retried at the next announcement or reconnection; meanwhile the
            // node keeps the document it has.
            match inner.config.refresh().await {
                Ok(true) => {
                    tracing::info!("configuration changed by another node");
                    crate::realtime::events::config_changed(&AppState(inner));
                }
                Ok(false) => {}
                Err(e) => tracing::error!(error = ?e, "could not re-read the configuration"),
            }
        }
    });
    let _ = state.cluster.config_listener.set(AbortOnDrop(task));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the triggers of migration 0007 send (`json_build_object` puts spaces around `:`).
    #[test]
    fn trigger_payloads_are_read_as_messages_for_every_node() {
        let w: Wire =
            serde_json::from_str(r#"{"node" : "", "kind" : "session_ids", "keys" : ["a", "b"]}"#)
                .unwrap();
        assert_eq!(w.node, "");
        assert_eq!(w.kind, "session_ids");
        assert_eq!(w.keys, ["a", "b"]);
        let w: Wire =
            serde_json::from_str(r#"{"node" : "", "kind" : "user_roles", "key" : "u"}"#).unwrap();
        assert_eq!((w.kind.as_str(), w.key.as_str()), ("user_roles", "u"));
    }
}
