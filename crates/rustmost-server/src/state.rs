//! `AppState`: the store, the live config, and the in-memory caches shared by every request.

use crate::config::ConfigService;
use parking_lot::RwLock;
use rustmost_model::role::Role;
use rustmost_model::user::User;
use rustmost_store::Store;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};

/// Cheap to clone; everything lives behind one `Arc`.
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

pub struct Inner {
    pub store: Arc<dyn Store>,
    pub config: Arc<ConfigService>,
    pub roles: RoleCache,
    pub sessions: SessionCache,
    /// Channels and teams without outgoing webhooks, for the post and reaction write path;
    /// change them through [`AppState::invalidate`].
    pub write_caches: crate::write_cache::WriteCaches,
    /// Carries cache invalidations to the other nodes on the same database; change cached
    /// state through [`AppState::invalidate`], not the caches directly.
    pub cluster: crate::cluster::Cluster,
    /// Real-time events: `state.events.publish(ev)` once a change is committed.
    pub events: crate::realtime::Realtime,
    /// What the server takes as the current time; read it with `state.clock.now_ms()`.
    pub clock: Clock,
}

/// The server's clock, in milliseconds since the epoch: the system clock, or in tests one that
/// moves only when told, so expiry is tested without waiting for it.
#[derive(Debug)]
pub struct Clock {
    /// [`Clock::SYSTEM`] while this is the system clock, else the time it shows.
    shows: AtomicI64,
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl Clock {
    const SYSTEM: i64 = i64::MIN;

    /// The system clock.
    pub fn system() -> Self {
        Clock {
            shows: AtomicI64::new(Self::SYSTEM),
        }
    }

    /// A clock stopped at `start_ms` that moves only by [`Clock::set`] and [`Clock::advance`].
    pub fn manual(start_ms: i64) -> Self {
        Clock {
            shows: AtomicI64::new(start_ms),
        }
    }

    pub fn now_ms(&self) -> i64 {
        match self.shows.load(Ordering::SeqCst) {
            Self::SYSTEM => rustmost_model::now_ms(),
            t => t,
        }
    }

    /// Stops the clock at `ms`.
    pub fn set(&self, ms: i64) {
        self.shows.store(ms.max(Self::SYSTEM + 1), Ordering::SeqCst);
    }

    /// Moves the clock forward by `d`; a system clock stops at the system time plus `d`.
    pub fn advance(&self, d: std::time::Duration) {
        let d = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        let _ = self
            .shows
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |t| {
                let base = if t == Self::SYSTEM {
                    rustmost_model::now_ms()
                } else {
                    t
                };
                Some(base.saturating_add(d))
            });
    }
}

/// An authenticated session: a login session or one minted from a personal access token.
#[derive(Debug)]
pub struct Session {
    pub id: String,
    pub token_hash: String,
    pub user_id: String,
    pub roles: RwLock<String>,
    pub create_at: i64,
    pub expires_at: i64,
    pub last_activity_at: AtomicI64,
    pub device_id: String,
    pub is_oauth: bool,
    pub props: std::collections::BTreeMap<String, String>,
    /// Set for sessions backed by a personal access token: the token's id.
    pub access_token_id: Option<String>,
    pub is_bot: bool,
    /// For access-token sessions: when the token's `last_used_at` was last written (ms, 0 =
    /// not yet by this process), so the write happens at most once a minute.
    pub last_used_written: AtomicI64,
}

impl Session {
    pub fn roles(&self) -> String {
        self.roles.read().clone()
    }
    pub fn is_access_token(&self) -> bool {
        self.access_token_id.is_some()
    }
    pub fn csrf(&self) -> Option<&str> {
        self.props.get("csrf").map(String::as_str)
    }
    pub fn last_activity(&self) -> i64 {
        self.last_activity_at.load(Ordering::Relaxed)
    }
}

/// Role name → role, kept whole in memory: every permission check reads it.
///
/// With several nodes the whole table is read again once it is older than its maximum age (see
/// [`crate::cluster`]), the bound on a lost notification. As with sessions, a reload that
/// started before a role was put is not installed (`epoch`), so it cannot undo that change.
#[derive(Default)]
pub struct RoleCache {
    by_name: RwLock<HashMap<String, (Role, HashSet<String>)>>,
    loaded_at: RwLock<Option<std::time::Instant>>,
    /// 0 = never stale (one node: every change goes through this process).
    max_age_ms: AtomicU64,
    epoch: AtomicU64,
}

impl RoleCache {
    /// Installs `roles` unconditionally (the initial load); a reload under way is dropped.
    pub fn replace_all(&self, roles: Vec<Role>) {
        let mut m = self.by_name.write();
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.fill(&mut m, roles);
    }
    fn fill(&self, m: &mut HashMap<String, (Role, HashSet<String>)>, roles: Vec<Role>) {
        m.clear();
        for r in roles {
            let set = r.permissions.iter().cloned().collect();
            m.insert(r.name.clone(), (r, set));
        }
        *self.loaded_at.write() = Some(std::time::Instant::now());
    }
    /// The change counter; note it before reading the roles from the database.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }
    /// Installs `roles` unless a role was put since `epoch` was noted; returns whether it did.
    pub fn replace_all_if_unchanged(&self, roles: Vec<Role>, epoch: u64) -> bool {
        let mut m = self.by_name.write();
        if self.epoch.load(Ordering::SeqCst) != epoch {
            return false;
        }
        self.fill(&mut m, roles);
        true
    }
    pub fn put(&self, r: Role) {
        let set = r.permissions.iter().cloned().collect();
        let mut m = self.by_name.write();
        self.epoch.fetch_add(1, Ordering::SeqCst);
        m.insert(r.name.clone(), (r, set));
    }
    /// Makes the table stale once older than `d` (0 = never).
    pub fn set_max_age(&self, d: std::time::Duration) {
        self.max_age_ms.store(
            u64::try_from(d.as_millis()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }
    /// How long until the table is stale: `None` when it never is, zero when it is already.
    pub fn fresh_for(&self) -> Option<std::time::Duration> {
        let max_age = self.max_age_ms.load(Ordering::Relaxed);
        if max_age == 0 {
            return None;
        }
        let max_age = std::time::Duration::from_millis(max_age);
        let age = self.loaded_at.read().map_or(max_age, |t| t.elapsed());
        Some(max_age.saturating_sub(age))
    }
    pub fn get(&self, name: &str) -> Option<Role> {
        self.by_name.read().get(name).map(|(r, _)| r.clone())
    }
    /// Whether any live role in the space-separated `roles` grants `perm`.
    pub fn grants(&self, roles: &str, perm: &str) -> bool {
        let m = self.by_name.read();
        roles.split_whitespace().any(|name| {
            m.get(name)
                .is_some_and(|(r, set)| r.delete_at == 0 && set.contains(perm))
        })
    }
}

/// Sessions by the SHA-256 of their secret, so a hit costs no database read; beside them, the
/// users the requests read (`GET /users/me`, a post's author), under the same rules.
///
/// A session read from the database is cached only if no eviction happened while it was being
/// read: every removal, clear and role change bumps `epoch` under the write lock, and
/// [`SessionCache::put_if_unchanged`] compares it under the same lock. Otherwise a revocation
/// landing between a database read and the cache fill would be undone by the late fill, and
/// with no expiry on the cache the revoked secret would keep working. Users follow the same
/// epoch: every eviction of a user's sessions also drops the user, and a user's row changing
/// (profile, password, activation, roles, bot flag, login counters) drops it through
/// [`crate::cluster::Invalidation::User`], on every node.
#[derive(Default)]
pub struct SessionCache {
    by_hash: RwLock<HashMap<String, Cached<Arc<Session>>>>,
    users: RwLock<HashMap<String, Cached<Arc<CachedUser>>>>,
    epoch: AtomicU64,
    /// When non-zero, an entry older than this many milliseconds is read again from the
    /// database: with several nodes, a bound on how long a lost invalidation can go unseen.
    max_age_ms: AtomicU64,
    /// Set while this node may be missing other nodes' invalidations: nothing gets cached.
    suspended: AtomicBool,
    /// Entries kept at most (0 = [`SESSION_CACHE_CAPACITY`]); when full, the oldest sixteenth
    /// is dropped, which is always safe: a dropped entry is read again from the database.
    capacity: AtomicUsize,
}

/// The session cache's default size bound: each entry is a few hundred bytes.
pub const SESSION_CACHE_CAPACITY: usize = 50_000;

/// A cached user, with the JSON of the user's own view of themselves made on first use: `GET
/// /users/me` then copies bytes instead of cloning and serialising the user. The JSON lives and
/// dies with this copy of the user, so every invalidation drops it too.
struct CachedUser {
    user: Arc<User>,
    own_view: std::sync::OnceLock<axum::body::Bytes>,
}

struct Cached<T> {
    s: T,
    at: std::time::Instant,
}

impl<T> Cached<T> {
    fn new(s: T) -> Self {
        Cached {
            s,
            at: std::time::Instant::now(),
        }
    }
}

impl SessionCache {
    pub fn get(&self, hash: &str) -> Option<Arc<Session>> {
        let max_age = self.max_age_ms.load(Ordering::Relaxed);
        self.by_hash
            .read()
            .get(hash)
            .filter(|c| max_age == 0 || c.at.elapsed().as_millis() < u128::from(max_age))
            .map(|c| c.s.clone())
    }
    /// Makes entries older than `d` count as misses (0 = never).
    pub fn set_max_age(&self, d: std::time::Duration) {
        self.max_age_ms.store(
            u64::try_from(d.as_millis()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }
    /// Caches a session unconditionally. Only for a session that did not come from a read; prefer
    /// [`SessionCache::put_if_unchanged`].
    pub fn put(&self, s: Arc<Session>) {
        if self.suspended.load(Ordering::SeqCst) {
            return;
        }
        let mut m = self.by_hash.write();
        self.make_room(&mut m, &s.token_hash);
        m.insert(s.token_hash.clone(), Cached::new(s));
    }
    /// Sets the size bound (0 = the default).
    pub fn set_capacity(&self, n: usize) {
        self.capacity.store(n, Ordering::Relaxed);
    }
    pub fn len(&self) -> usize {
        self.by_hash.read().len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Before inserting `key`: when the map is full, drops the oldest sixteenth of it (at least
    /// one entry), so a full cache costs one scan per many inserts.
    fn make_room<T>(&self, m: &mut HashMap<String, Cached<T>>, key: &str) {
        let cap = match self.capacity.load(Ordering::Relaxed) {
            0 => SESSION_CACHE_CAPACITY,
            n => n,
        };
        if m.len() < cap || m.contains_key(key) {
            return;
        }
        let mut ages: Vec<std::time::Instant> = m.values().map(|c| c.at).collect();
        let drop = (ages.len() / 16).max(1);
        let (_, cutoff, _) = ages.select_nth_unstable(drop - 1);
        let cutoff = *cutoff;
        let mut left = drop;
        m.retain(|_, c| {
            if left > 0 && c.at <= cutoff {
                left -= 1;
                return false;
            }
            true
        });
    }
    /// The eviction counter; note it before reading a session from the database.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }
    /// Caches `s` unless something was evicted since `epoch` was noted; returns whether it did.
    pub fn put_if_unchanged(&self, s: Arc<Session>, epoch: u64) -> bool {
        let mut m = self.by_hash.write();
        if self.epoch.load(Ordering::SeqCst) != epoch || self.suspended.load(Ordering::SeqCst) {
            return false;
        }
        self.make_room(&mut m, &s.token_hash);
        m.insert(s.token_hash.clone(), Cached::new(s));
        true
    }
    /// Runs `f` on the map with the epoch bumped, all under the write lock.
    fn evict(&self, f: impl FnOnce(&mut HashMap<String, Cached<Arc<Session>>>)) {
        let mut m = self.by_hash.write();
        self.epoch.fetch_add(1, Ordering::SeqCst);
        f(&mut m);
    }
    /// The cached user `id`, if any (and younger than the max age).
    pub fn user(&self, id: &str) -> Option<Arc<User>> {
        self.cached_user(id).map(|c| c.user.clone())
    }
    fn cached_user(&self, id: &str) -> Option<Arc<CachedUser>> {
        let max_age = self.max_age_ms.load(Ordering::Relaxed);
        self.users
            .read()
            .get(id)
            .filter(|c| max_age == 0 || c.at.elapsed().as_millis() < u128::from(max_age))
            .map(|c| c.s.clone())
    }
    /// The cached user `id`'s view of themselves as `render` writes it, rendered once per
    /// cached copy of the user; `None` when the user is not cached.
    pub fn own_view(
        &self,
        id: &str,
        render: impl FnOnce(&User) -> axum::body::Bytes,
    ) -> Option<axum::body::Bytes> {
        let c = self.cached_user(id)?;
        Some(c.own_view.get_or_init(|| render(&c.user)).clone())
    }
    /// Caches a user read from the database unless something was evicted since `epoch` was
    /// noted (before the read); returns whether it did.
    pub fn put_user_if_unchanged(&self, u: Arc<User>, epoch: u64) -> bool {
        // The session map's lock orders this against every eviction, which takes it first.
        let _sessions = self.by_hash.write();
        let mut m = self.users.write();
        if self.epoch.load(Ordering::SeqCst) != epoch || self.suspended.load(Ordering::SeqCst) {
            return false;
        }
        self.make_room(&mut m, &u.id);
        m.insert(
            u.id.clone(),
            Cached::new(Arc::new(CachedUser {
                user: u,
                own_view: std::sync::OnceLock::new(),
            })),
        );
        true
    }
    /// Drops a user whose row changed (their sessions stay).
    pub fn forget_user(&self, user_id: &str) {
        self.evict(|_| {
            self.users.write().remove(user_id);
        });
    }
    pub fn remove_hash(&self, hash: &str) {
        self.evict(|m| {
            m.remove(hash);
        });
    }
    pub fn remove_ids(&self, ids: &[String]) {
        if ids.is_empty() {
            return;
        }
        self.evict(|m| m.retain(|_, c| !ids.contains(&c.s.id)));
    }
    /// Drops every cached session matching `f`.
    pub fn remove_where(&self, f: impl Fn(&Session) -> bool) {
        self.evict(|m| m.retain(|_, c| !f(&c.s)));
    }
    /// Drops every cached session of the user, and the user.
    pub fn remove_user(&self, user_id: &str) {
        self.evict(|m| {
            m.retain(|_, c| c.s.user_id != user_id);
            self.users.write().remove(user_id);
        });
    }
    pub fn clear(&self) {
        self.evict(|m| {
            m.clear();
            self.users.write().clear();
        });
    }
    /// Empties the cache and keeps it empty until [`SessionCache::resume`].
    pub fn suspend(&self) {
        self.evict(|m| {
            self.suspended.store(true, Ordering::SeqCst);
            m.clear();
            self.users.write().clear();
        });
    }
    /// Caches again, starting empty.
    pub fn resume(&self) {
        self.evict(|m| {
            self.suspended.store(false, Ordering::SeqCst);
            m.clear();
            self.users.write().clear();
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn session(id: &str, hash: &str) -> Arc<Session> {
        Arc::new(Session {
            id: id.into(),
            token_hash: hash.into(),
            user_id: "u".into(),
            roles: RwLock::new(String::new()),
            create_at: 0,
            expires_at: 0,
            last_activity_at: AtomicI64::new(0),
            device_id: String::new(),
            is_oauth: false,
            props: BTreeMap::new(),
            access_token_id: None,
            is_bot: false,
            last_used_written: AtomicI64::new(0),
        })
    }

    fn role(name: &str, perms: &[&str]) -> Role {
        Role {
            id: name.into(),
            name: name.into(),
            display_name: String::new(),
            description: String::new(),
            create_at: 0,
            update_at: 0,
            delete_at: 0,
            permissions: perms.iter().map(|p| p.to_string()).collect(),
            scheme_managed: false,
            built_in: true,
        }
    }

    #[test]
    fn a_role_reload_that_started_before_a_put_is_dropped_and_the_table_ages() {
        let c = RoleCache::default();
        assert_eq!(c.fresh_for(), None);
        let noted = c.epoch();
        c.put(role("r", &["new"]));
        assert!(!c.replace_all_if_unchanged(vec![role("r", &["old"])], noted));
        assert!(c.grants("r", "new"));
        let noted = c.epoch();
        c.replace_all(vec![role("r", &["loaded"])]);
        assert!(!c.replace_all_if_unchanged(vec![role("r", &["old"])], noted));
        assert!(c.grants("r", "loaded"));
        let noted = c.epoch();
        assert!(c.replace_all_if_unchanged(vec![role("r", &["old"])], noted));
        assert!(c.grants("r", "old"));
        c.set_max_age(std::time::Duration::from_millis(30));
        assert!(c.fresh_for().unwrap() > std::time::Duration::ZERO);
        std::thread::sleep(std::time::Duration::from_millis(40));
        assert_eq!(c.fresh_for(), Some(std::time::Duration::ZERO));
        c.replace_all(vec![role("r", &[])]);
        assert!(c.fresh_for().unwrap() > std::time::Duration::ZERO);
    }

    #[test]
    fn a_fill_that_started_before_an_eviction_is_dropped() {
        let c = SessionCache::default();
        let evictions: [&dyn Fn(&SessionCache); 5] = [
            &|c| c.remove_hash("other"),
            &|c| c.remove_ids(&["x".to_string()]),
            &|c| c.remove_user("nobody"),
            &|c| c.remove_where(|s| s.is_bot),
            &|c| c.clear(),
        ];
        for evict in evictions {
            let noted = c.epoch();
            evict(&c);
            assert!(!c.put_if_unchanged(session("s", "h"), noted));
            assert!(c.get("h").is_none());
        }
        let noted = c.epoch();
        assert!(c.put_if_unchanged(session("s", "h"), noted));
        assert!(c.get("h").is_some());
    }

    #[test]
    fn a_full_cache_drops_its_oldest_entries_and_stays_bounded() {
        let c = SessionCache::default();
        c.set_capacity(32);
        for i in 0..32 {
            c.put(session(&format!("s{i}"), &format!("h{i}")));
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert_eq!(c.len(), 32);
        let noted = c.epoch();
        assert!(c.put_if_unchanged(session("new", "hnew"), noted));
        assert!(c.len() <= 32);
        assert!(c.get("h0").is_none(), "the oldest entry goes first");
        assert!(c.get("hnew").is_some());
        assert!(c.get("h31").is_some());
        for i in 0..1000 {
            c.put(session(&format!("x{i}"), &format!("x{i}")));
        }
        assert!(c.len() <= 32);
    }

    #[test]
    fn an_entry_older_than_the_max_age_is_a_miss() {
        let c = SessionCache::default();
        c.put(session("s", "h"));
        assert!(c.get("h").is_some());
        c.set_max_age(std::time::Duration::from_millis(30));
        assert!(c.get("h").is_some());
        std::thread::sleep(std::time::Duration::from_millis(40));
        assert!(c.get("h").is_none());
        c.put(session("s", "h"));
        assert!(c.get("h").is_some());
    }

    /// The panic layer keeps the server alive after a handler panics, so a panic while a cache
    /// lock is held must not leave the lock unusable for every later request.
    #[test]
    fn a_panic_under_the_session_lock_leaves_the_cache_usable() {
        let c = SessionCache::default();
        c.put(session("s", "h"));
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            c.remove_where(|_| panic!("a bug while the write lock is held"))
        }));
        assert!(panicked.is_err());
        assert!(c.get("h").is_some());
        c.put(session("t", "h2"));
        assert_eq!(c.len(), 2);
        c.remove_user("u");
        assert!(c.get("h").is_none());
        assert!(c.is_empty());
    }

    #[test]
    fn a_manual_clock_moves_only_when_told_and_a_system_clock_stops_when_advanced() {
        let c = Clock::manual(1_000);
        assert_eq!(c.now_ms(), 1_000);
        c.advance(std::time::Duration::from_secs(2));
        assert_eq!(c.now_ms(), 3_000);
        c.set(5);
        assert_eq!(c.now_ms(), 5);
        let s = Clock::system();
        let before = rustmost_model::now_ms();
        assert!(s.now_ms() >= before);
        s.advance(std::time::Duration::from_secs(3600));
        let stopped = s.now_ms();
        assert!(stopped >= before + 3_600_000);
        assert_eq!(s.now_ms(), stopped);
    }

    #[test]
    fn a_suspended_cache_caches_nothing_until_resumed() {
        let c = SessionCache::default();
        c.put(session("s", "h"));
        c.suspend();
        assert!(c.get("h").is_none());
        let noted = c.epoch();
        assert!(!c.put_if_unchanged(session("s", "h"), noted));
        c.put(session("s", "h"));
        assert!(c.get("h").is_none());
        c.resume();
        assert!(!c.put_if_unchanged(session("s", "h"), noted));
        let noted = c.epoch();
        assert!(c.put_if_unchanged(session("s", "h"), noted));
        assert!(c.get("h").is_some());
    }
}
