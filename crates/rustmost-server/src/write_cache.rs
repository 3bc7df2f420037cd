//! Caches of the post and reaction write path, so that a post costs no read of its channel and
//! no listing of its team's outgoing webhooks: channels by id, and the teams known to have no
//! live outgoing webhook. They follow the session cache's rules: every change is evicted
//! through [`crate::cluster::Invalidation`] (`Channel`, `TeamHooks`) on this node at once and,
//! on PostgreSQL, on every other node through triggers (migration 0010) that announce each
//! committed change inside its transaction; a fill that raced an eviction is dropped (the
//! epoch), nothing is cached while the change feed is down, and entries expire after the
//! session cache's maximum age with several nodes.
//!
//! A cached channel is for the checks and events of a write (deleted or archived, type, team,
//! names), never for answering a read: its post counters go stale with every post, and only
//! changes to the rest of its row evict it.

use parking_lot::RwLock;
use rustmost_model::channel::Channel;
use rustmost_store::{Store, StoreError};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

/// Entries kept at most per map; a full map is emptied, which is always safe (an entry dropped
/// is read again).
const CAPACITY: usize = 50_000;

#[derive(Default)]
pub struct WriteCaches {
    channels: RwLock<HashMap<String, (Arc<Channel>, Instant)>>,
    /// Teams whose outgoing-webhook listing came back empty.
    teams_without_hooks: RwLock<HashMap<String, Instant>>,
    /// Bumped by every eviction; a fill noted before its read is kept only if unchanged.
    epoch: AtomicU64,
    /// Set while this node may be missing other nodes' evictions: nothing gets cached.
    suspended: AtomicBool,
    /// When non-zero, entries older than this many milliseconds count as misses.
    max_age_ms: AtomicU64,
}

impl WriteCaches {
    fn fresh(&self, at: Instant) -> bool {
        let max = self.max_age_ms.load(Ordering::Relaxed);
        max == 0 || at.elapsed().as_millis() < u128::from(max)
    }

    /// Makes entries older than `d` count as misses (0 = never).
    pub fn set_max_age(&self, d: std::time::Duration) {
        self.max_age_ms.store(
            u64::try_from(d.as_millis()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    /// The eviction counter; note it before reading from the database.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// Runs `f` with the epoch bumped, under the channel map's write lock (every fill takes it
    /// too, so a fill and an eviction are ordered).
    fn evict(&self, f: impl FnOnce(&mut HashMap<String, (Arc<Channel>, Instant)>)) {
        let mut m = self.channels.write();
        self.epoch.fetch_add(1, Ordering::SeqCst);
        f(&mut m);
    }

    pub fn channel(&self, id: &str) -> Option<Arc<Channel>> {
        self.channels
            .read()
            .get(id)
            .filter(|(_, at)| self.fresh(*at))
            .map(|(c, _)| c.clone())
    }

    /// Caches a channel read from the database unless something was evicted since `epoch`.
    pub fn put_channel_if_unchanged(&self, c: Arc<Channel>, epoch: u64) -> bool {
        let mut m = self.channels.write();
        if self.epoch() != epoch || self.suspended.load(Ordering::SeqCst) {
            return false;
        }
        if m.len() >= CAPACITY {
            m.clear();
        }
        m.insert(c.id.clone(), (c, Instant::now()));
        true
    }

    pub fn forget_channel(&self, id: &str) {
        self.evict(|m| {
            m.remove(id);
        });
    }

    /// Whether the team is known to have no live outgoing webhook.
    pub fn team_has_no_hooks(&self, team_id: &str) -> bool {
        self.teams_without_hooks
            .read()
            .get(team_id)
            .is_some_and(|at| self.fresh(*at))
    }

    /// Notes that the team's outgoing webhooks, listed after `epoch` was noted, were none.
    pub fn put_team_without_hooks_if_unchanged(&self, team_id: &str, epoch: u64) -> bool {
        let _order = self.channels.write();
        let mut m = self.teams_without_hooks.write();
        if self.epoch() != epoch || self.suspended.load(Ordering::SeqCst) {
            return false;
        }
        if m.len() >= CAPACITY {
            m.clear();
        }
        m.insert(team_id.to_string(), Instant::now());
        true
    }

    pub fn forget_team_hooks(&self, team_id: &str) {
        self.evict(|_| {
            self.teams_without_hooks.write().remove(team_id);
        });
    }

    pub fn clear(&self) {
        self.evict(|m| {
            m.clear();
            self.teams_without_hooks.write().clear();
        });
    }

    /// Empties the caches and keeps them empty until [`WriteCaches::resume`].
    pub fn suspend(&self) {
        self.evict(|m| {
            self.suspended.store(true, Ordering::SeqCst);
            m.clear();
            self.teams_without_hooks.write().clear();
        });
    }

    /// Caches again, starting empty.
    pub fn resume(&self) {
        self.evict(|m| {
            self.suspended.store(false, Ordering::SeqCst);
            m.clear();
            self.teams_without_hooks.write().clear();
        });
    }
}

/// The channel as a write needs it: from the cache, else read (and cached).
pub async fn channel(
    caches: &WriteCaches,
    store: &dyn Store,
    id: &str,
) -> Result<Arc<Channel>, StoreError> {
    if let Some(c) = caches.channel(id) {
        return Ok(c);
    }
    // Noted before the read: an eviction while the row is in flight must win.
    let epoch = caches.epoch();
    let c = Arc::new(store.get_channel(id).await?);
    caches.put_channel_if_unchanged(c.clone(), epoch);
    Ok(c)
}

/// Drops a channel whose row was just written from the write caches, on this node at once (on
/// PostgreSQL the other nodes hear it from the database). Every write to a channel's row, other
/// than its post counters, calls it once committed.
pub async fn channel_changed(state: &crate::state::AppState, channel_id: &str) {
    state
        .invalidate(crate::cluster::Invalidation::Channel {
            channel_id: channel_id.to_string(),
        })
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chan(id: &str) -> Arc<Channel> {
        Arc::new(Channel {
            id: id.into(),
            ..Default::default()
        })
    }

    #[test]
    fn a_fill_that_raced_an_eviction_is_dropped() {
        let c = WriteCaches::default();
        let e = c.epoch();
        c.forget_channel("x");
        assert!(!c.put_channel_if_unchanged(chan("a"), e));
        assert!(c.channel("a").is_none());
        let e = c.epoch();
        c.forget_team_hooks("t");
        assert!(!c.put_team_without_hooks_if_unchanged("t", e));
        assert!(!c.team_has_no_hooks("t"));
    }

    #[test]
    fn evictions_suspension_and_age() {
        let c = WriteCaches::default();
        assert!(c.put_channel_if_unchanged(chan("a"), c.epoch()));
        assert!(c.put_team_without_hooks_if_unchanged("t", c.epoch()));
        assert!(c.channel("a").is_some() && c.team_has_no_hooks("t"));
        c.forget_channel("a");
        c.forget_team_hooks("t");
        assert!(c.channel("a").is_none() && !c.team_has_no_hooks("t"));

        c.suspend();
        assert!(!c.put_channel_if_unchanged(chan("a"), c.epoch()));
        c.resume();
        assert!(c.put_channel_if_unchanged(chan("a"), c.epoch()));

        c.set_max_age(std::time::Duration::from_millis(20));
        std::thread::sleep(std::time::Duration::from_millis(40));
        assert!(c.channel("a").is_none(), "older than the max age");
    }
}
