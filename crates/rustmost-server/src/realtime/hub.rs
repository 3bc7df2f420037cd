//! The hub: every WebSocket connection of this node, one task that decides who receives each
//! event (spec §5) and hands it to the connections' bounded queues in order, the memberships
//! that decision reads, and the window in which a dropped connection may resume.
//!
//! Connections are indexed by user, and the memberships by channel and team, so an event
//! visits the connections that may receive it, not every connection of the node.

use super::event::{Event, Prepared};
use crate::cluster::Invalidation;
use crate::state::{Inner, Session};
use parking_lot::{Mutex, RwLock};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, mpsc};

/// Upstream's send queue per connection.
pub const SEND_QUEUE: usize = 256;
/// Upstream's dead queue: how many sent events a connection keeps for a resume.
pub const DEAD_QUEUE: usize = 128;
/// How long a dropped connection may be resumed (upstream: the 5-minute reaper).
pub const RESUME_WINDOW: Duration = Duration::from_secs(5 * 60);

/// What a connection's socket task writes.
pub enum Out {
    Event(u64, Arc<Prepared>),
}

/// A registered (authenticated) connection; it outlives its socket for [`RESUME_WINDOW`].
pub struct Conn {
    pub id: String,
    pub user_id: String,
    /// The credential, kept to re-validate the session when it may have changed.
    token: RwLock<(String, Arc<Session>)>,
    /// Set when the session may have been revoked: nothing is written until it is re-checked.
    pub suspect: AtomicBool,
    /// Wakes the socket task to re-check at once.
    pub wake: Notify,
    q: Mutex<Queue>,
    /// Bumped by each socket that takes the connection over.
    generation: AtomicU64,
}

struct Queue {
    next_seq: u64,
    recent: VecDeque<(u64, Arc<Prepared>)>,
    tx: Option<mpsc::Sender<Out>>,
    gone_at: Option<Instant>,
    /// Closed for good (revoked, or its queue overflowed): never resumed.
    dead: bool,
}

/// How a resume request ends.
pub enum Resume {
    /// The connection continues; these events (original `seq`) are replayed first.
    Continued,
    /// Unknown, expired or too far behind: a fresh connection (new id, `hello`).
    Fresh,
}

impl Conn {
    fn new(id: String, token: String, s: Arc<Session>) -> Self {
        Conn {
            id,
            user_id: s.user_id.clone(),
            token: RwLock::new((token, s)),
            suspect: AtomicBool::new(false),
            wake: Notify::new(),
            q: Mutex::new(Queue {
                next_seq: 0,
                recent: VecDeque::new(),
                tx: None,
                gone_at: None,
                dead: false,
            }),
            generation: AtomicU64::new(0),
        }
    }
    pub fn session(&self) -> Arc<Session> {
        self.token.read().1.clone()
    }
    pub fn token(&self) -> String {
        self.token.read().0.clone()
    }
    pub fn set_session(&self, token: String, s: Arc<Session>) {
        *self.token.write() = (token, s);
    }
    /// Marks the session for a re-check before anything more is written.
    pub fn distrust(&self) {
        self.suspect.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }

    /// Gives the event the next `seq` and queues it. `false` when the queue is full: the
    /// connection must then be closed (upstream drops a slow consumer).
    fn push(&self, p: &Arc<Prepared>) -> bool {
        let mut q = self.q.lock();
        if q.dead {
            return true;
        }
        if let Some(tx) = &q.tx
            && matches!(
                p.event.as_str(),
                "typing" | "status_change" | "multiple_channels_viewed"
            )
            && SEND_QUEUE - tx.capacity() >= SEND_QUEUE / 2
        {
            return true;
        }
        let seq = q.next_seq;
        q.next_seq += 1;
        q.recent.push_back((seq, p.clone()));
        if q.recent.len() > DEAD_QUEUE {
            q.recent.pop_front();
        }
        if let Some(tx) = &q.tx {
            match tx.try_send(Out::Event(seq, p.clone())) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) => {
                    q.dead = true;
                    q.tx = None;
                    return false;
                }
                Err(mpsc::error::TrySendError::Closed(_)) => {
                    q.tx = None;
                    q.gone_at = Some(Instant::now());
                }
            }
        }
        true
    }

    /// Attaches a socket; returns its queue and generation. With `from`, the events from that
    /// `seq` on are queued first (the caller checked they are all kept).
    fn attach(&self, from: Option<u64>) -> (mpsc::Receiver<Out>, u64) {
        let (tx, rx) = mpsc::channel(SEND_QUEUE);
        let mut q = self.q.lock();
        if let Some(from) = from {
            for (seq, p) in q.recent.iter().filter(|(s, _)| *s >= from) {
                let _ = tx.try_send(Out::Event(*seq, p.clone()));
            }
        }
        q.tx = Some(tx);
        q.gone_at = None;
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        (rx, generation)
    }

    /// The socket of `generation` is gone; the connection waits for a resume.
    pub fn detach(&self, generation: u64) {
        let mut q = self.q.lock();
        if self.generation.load(Ordering::SeqCst) == generation {
            q.tx = None;
            q.gone_at = Some(Instant::now());
        }
    }

    pub fn is_live(&self) -> bool {
        self.q.lock().tx.is_some()
    }

    /// Whether `Out` from `generation` is still this connection's current socket.
    pub fn is_current(&self, generation: u64) -> bool {
        self.generation.load(Ordering::SeqCst) == generation
    }
}

/// How long a user's memberships are trusted without an event saying they changed: the bound
/// on a change made without one (by hand in the database, or whose event was lost between
/// nodes).
const MEMBERSHIP_MAX_AGE: Duration = Duration::from_secs(60);

/// A user's channels and teams, as the delivery rules read them.
struct Membership {
    channels: HashSet<String>,
    teams: HashSet<String>,
    at: Instant,
}

enum Msg {
    Event(Arc<Prepared>),
    /// The user has a new connection, with their memberships as read before it was registered
    /// and how many membership-changing events had been published before that read.
    Joined(String, u64, Option<Membership>),
    /// The user may have no connection left: their cached memberships can go.
    Forget(String),
}

/// The connections, by id and by user.
#[derive(Default)]
struct Conns {
    by_id: HashMap<String, Arc<Conn>>,
    by_user: HashMap<String, Vec<Arc<Conn>>>,
}

impl Conns {
    fn insert(&mut self, c: Arc<Conn>) {
        if let Some(old) = self.by_id.insert(c.id.clone(), c.clone()) {
            self.unlink(&old);
        }
        self.by_user.entry(c.user_id.clone()).or_default().push(c);
    }
    fn remove(&mut self, id: &str) -> Option<Arc<Conn>> {
        let c = self.by_id.remove(id)?;
        self.unlink(&c);
        Some(c)
    }
    fn unlink(&mut self, c: &Arc<Conn>) {
        if let Some(v) = self.by_user.get_mut(&c.user_id) {
            v.retain(|x| !Arc::ptr_eq(x, c));
            if v.is_empty() {
                self.by_user.remove(&c.user_id);
            }
        }
    }
}

/// The connections of this node and the queue into the delivery task.
pub struct Hub {
    conns: RwLock<Conns>,
    /// Membership-changing events published so far; held while one is queued, so the count
    /// and the queue order agree.
    membership_events: Mutex<u64>,
    tx: mpsc::UnboundedSender<Msg>,
    rx: Mutex<Option<mpsc::UnboundedReceiver<Msg>>>,
}

impl Default for Hub {
    fn default() -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        Hub {
            conns: RwLock::new(Conns::default()),
            membership_events: Mutex::new(0),
            tx,
            rx: Mutex::new(Some(rx)),
        }
    }
}

impl Hub {
    /// Queues an event for delivery on this node (in publishing order).
    pub fn deliver_local(&self, e: Event) {
        let p = Arc::new(Prepared::new(e));
        if p.membership_of.is_empty() {
            let _ = self.tx.send(Msg::Event(p));
        } else {
            let mut n = self.membership_events.lock();
            *n += 1;
            let _ = self.tx.send(Msg::Event(p));
        }
    }

    /// [`Hub::register`], with the user's memberships read first, so that every event after
    /// `hello` is judged on them (not on a read made whenever that event is delivered).
    pub async fn register_loaded(
        &self,
        state: &Inner,
        token: String,
        s: Arc<Session>,
        hello: Event,
    ) -> (Arc<Conn>, mpsc::Receiver<Out>, u64) {
        let noted = *self.membership_events.lock();
        let m = load_membership(state, &s.user_id).await;
        self.register_with(token, s, hello, noted, m)
    }

    /// Registers a fresh connection and queues its `hello` as `seq` 0.
    pub fn register(
        &self,
        token: String,
        s: Arc<Session>,
        hello: Event,
    ) -> (Arc<Conn>, mpsc::Receiver<Out>, u64) {
        self.register_with(token, s, hello, 0, None)
    }

    fn register_with(
        &self,
        token: String,
        s: Arc<Session>,
        hello: Event,
        noted: u64,
        m: Option<Membership>,
    ) -> (Arc<Conn>, mpsc::Receiver<Out>, u64) {
        let id = hello
            .data
            .get("connection_id")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        let c = Arc::new(Conn::new(id.clone(), token, s));
        let (rx, generation) = c.attach(None);
        c.push(&Arc::new(Prepared::new(hello)));
        self.conns.write().insert(c.clone());
        let _ = self.tx.send(Msg::Joined(c.user_id.clone(), noted, m));
        (c, rx, generation)
    }

    /// Spec §7: the connection `id` of `user_id` continues from `next_seq` if it is known and
    /// every event from there on is still kept; otherwise the caller starts a fresh one.
    pub fn resume(
        &self,
        id: &str,
        user_id: &str,
        next_seq: u64,
        token: String,
        s: Arc<Session>,
    ) -> Option<(Arc<Conn>, mpsc::Receiver<Out>, u64)> {
        let c = self.conns.read().by_id.get(id).cloned()?;
        if c.user_id != user_id {
            return None;
        }
        let ok = {
            let mut q = c.q.lock();
            let kept = q.next_seq == next_seq
                || q.recent
                    .front()
                    .is_some_and(|(first, _)| *first <= next_seq)
                    && next_seq < q.next_seq;
            if !kept || q.dead {
                q.recent.clear();
            }
            kept && !q.dead
        };
        if !ok {
            self.remove(id);
            return None;
        }
        c.set_session(token, s);
        c.suspect.store(false, Ordering::SeqCst);
        let (rx, generation) = c.attach(Some(next_seq));
        Some((c, rx, generation))
    }

    /// Drops a connection for good (credentials gone, or closed by the server).
    pub fn remove(&self, id: &str) {
        let removed = self.conns.write().remove(id);
        if let Some(c) = removed {
            c.q.lock().dead = true;
            let _ = self.tx.send(Msg::Forget(c.user_id.clone()));
        }
    }

    /// Users with a live socket on this node.
    pub fn online_users(&self) -> HashSet<String> {
        self.conns
            .read()
            .by_user
            .iter()
            .filter(|(_, cs)| cs.iter().any(|c| c.is_live()))
            .map(|(u, _)| u.clone())
            .collect()
    }

    /// Marks the connections whose session the invalidation may have ended, so each checks
    /// its credential before it writes anything more.
    pub fn on_invalidation(&self, inv: &Invalidation) {
        let conns = self.conns.read();
        let of_user = match inv {
            Invalidation::UserSessions { user_id, .. } | Invalidation::UserRoles { user_id } => {
                Some(user_id)
            }
            _ => None,
        };
        let candidates: Box<dyn Iterator<Item = &Arc<Conn>>> = match of_user {
            Some(u) => Box::new(conns.by_user.get(u).into_iter().flatten()),
            None => Box::new(conns.by_id.values()),
        };
        for c in candidates {
            let s = c.session();
            let hit = match inv {
                Invalidation::SessionHash(h) => s.token_hash == *h,
                Invalidation::SessionIds(ids) => ids.contains(&s.id),
                Invalidation::UserSessions { user_id, keep } => {
                    s.user_id == *user_id && keep.as_deref() != Some(s.id.as_str())
                }
                Invalidation::UserRoles { user_id, .. } => s.user_id == *user_id,
                Invalidation::Role(_)
                | Invalidation::User { .. }
                | Invalidation::Channel { .. }
                | Invalidation::TeamHooks { .. } => false,
                Invalidation::AllSessions => true,
            };
            if hit {
                c.distrust();
            }
        }
    }

    /// Every connection re-checks its credential (config change, lost invalidations).
    pub fn distrust_all(&self, f: impl Fn(&Session) -> bool) {
        for c in self.conns.read().by_id.values() {
            if f(&c.session()) {
                c.distrust();
            }
        }
    }

    fn snapshot(&self) -> Vec<Arc<Conn>> {
        self.conns.read().by_id.values().cloned().collect()
    }

    /// The connections of these users.
    fn of_users<'a>(&self, users: impl Iterator<Item = &'a String>) -> Vec<Arc<Conn>> {
        let conns = self.conns.read();
        users
            .filter_map(|u| conns.by_user.get(u))
            .flatten()
            .cloned()
            .collect()
    }

    fn has_user(&self, user_id: &str) -> bool {
        self.conns.read().by_user.contains_key(user_id)
    }

    /// Drops connections whose socket left more than [`RESUME_WINDOW`] ago.
    fn reap(&self, window: Duration) {
        let old: Vec<String> = self
            .conns
            .read()
            .by_id
            .values()
            .filter(|c| {
                let q = c.q.lock();
                q.dead || q.gone_at.is_some_and(|t| t.elapsed() > window)
            })
            .map(|c| c.id.clone())
            .collect();
        for id in old {
            self.remove(&id);
        }
    }
}

/// Runs the delivery task and the reaper until the state is dropped.
pub fn start(state: &Arc<Inner>) -> Vec<tokio::task::JoinHandle<()>> {
    let Some(rx) = state.events.hub.rx.lock().take() else {
        return Vec::new();
    };
    let weak = Arc::downgrade(state);
    let reaper = {
        let weak = weak.clone();
        tokio::spawn(async move {
            let mut t = tokio::time::interval(Duration::from_secs(30));
            loop {
                t.tick().await;
                let Some(state) = weak.upgrade() else { return };
                state.events.hub.reap(RESUME_WINDOW);
            }
        })
    };
    vec![tokio::spawn(deliver(weak, rx)), reaper]
}

/// The memberships of the connected users, indexed by channel and team, and which connected
/// users have none read yet (those are candidates for every channel and team event until
/// read).
#[derive(Default)]
struct Memberships {
    by_user: HashMap<String, Arc<Membership>>,
    channel_users: HashMap<String, HashSet<String>>,
    team_users: HashMap<String, HashSet<String>>,
    unread: HashSet<String>,
    /// When each membership was read, oldest first, to expire them in order.
    reads: VecDeque<(Instant, String)>,
    /// Users whose memberships are to be read (again) while the task is idle: just connected,
    /// or past [`MEMBERSHIP_MAX_AGE`]. Reading them in between events rather than all at the
    /// next event keeps a burst of connections, or their common expiry, from stalling delivery.
    refresh: VecDeque<(Instant, String)>,
}

impl Memberships {
    fn get(&self, user_id: &str) -> Option<&Arc<Membership>> {
        self.by_user.get(user_id)
    }

    /// Drops the user's memberships; a still `connected` user's are read again when needed.
    fn drop_user(&mut self, user_id: &str, connected: bool) {
        if let Some(m) = self.by_user.remove(user_id) {
            for (ids, index) in [
                (&m.channels, &mut self.channel_users),
                (&m.teams, &mut self.team_users),
            ] {
                for id in ids {
                    if let Some(set) = index.get_mut(id) {
                        set.remove(user_id);
                        if set.is_empty() {
                            index.remove(id);
                        }
                    }
                }
            }
        }
        if connected {
            self.unread.insert(user_id.to_string());
        } else {
            self.unread.remove(user_id);
        }
    }

    fn insert(&mut self, user_id: &str, m: Arc<Membership>) {
        self.drop_user(user_id, false);
        for c in &m.channels {
            self.channel_users
                .entry(c.clone())
                .or_default()
                .insert(user_id.to_string());
        }
        for t in &m.teams {
            self.team_users
                .entry(t.clone())
                .or_default()
                .insert(user_id.to_string());
        }
        self.reads.push_back((m.at, user_id.to_string()));
        self.by_user.insert(user_id.to_string(), m);
    }

    /// Memberships older than [`MEMBERSHIP_MAX_AGE`]: a connected user's is queued to be read
    /// again (and serves until then), anyone else's is dropped.
    fn expire(&mut self, connected: impl Fn(&str) -> bool) {
        while let Some((at, _)) = self.reads.front()
            && at.elapsed() >= MEMBERSHIP_MAX_AGE
        {
            let (at, uid) = self.reads.pop_front().expect("front");
            if self.by_user.get(&uid).is_some_and(|m| m.at == at) {
                if connected(&uid) {
                    self.refresh.push_back((Instant::now(), uid));
                } else {
                    self.drop_user(&uid, false);
                }
            }
        }
    }

    /// The next user to read, unless they were read since being queued.
    fn next_refresh(&mut self) -> Option<String> {
        while let Some((queued, uid)) = self.refresh.pop_front() {
            if self.by_user.get(&uid).is_none_or(|m| m.at < queued) {
                return Some(uid);
            }
        }
        None
    }

    /// The users who may be in `index[id]`: those read to be, and those not read yet.
    fn candidates<'a>(
        &'a self,
        index: &'a HashMap<String, HashSet<String>>,
        id: &str,
    ) -> impl Iterator<Item = &'a String> {
        index
            .get(id)
            .into_iter()
            .flatten()
            .chain(self.unread.iter())
    }
}

/// Reads up to `n` queued memberships; whether there was any.
async fn refresh(state: &Inner, members: &mut Memberships, n: usize) -> bool {
    let mut any = false;
    for _ in 0..n {
        let Some(uid) = members.next_refresh() else {
            break;
        };
        any = true;
        if !state.events.hub.has_user(&uid) {
            members.drop_user(&uid, false);
        } else if let Some(m) = load_membership(state, &uid).await {
            members.insert(&uid, Arc::new(m));
        }
    }
    any
}

async fn deliver(weak: Weak<Inner>, mut rx: mpsc::UnboundedReceiver<Msg>) {
    let mut members = Memberships::default();
    // Membership-changing events handled so far (the same count as `Hub::membership_events`).
    let mut seen: u64 = 0;
    loop {
        let msg = match rx.try_recv() {
            Ok(m) => m,
            Err(mpsc::error::TryRecvError::Disconnected) => return,
            Err(mpsc::error::TryRecvError::Empty) => {
                // Idle: read queued memberships a few at a time, then look for messages again.
                if let Some(state) = weak.upgrade()
                    && refresh(&state, &mut members, 8).await
                {
                    continue;
                }
                match rx.recv().await {
                    Some(m) => m,
                    None => return,
                }
            }
        };
        let Some(state) = weak.upgrade() else { return };
        let hub = &state.events.hub;
        let p = match msg {
            Msg::Joined(uid, noted, m) => {
                if members.get(&uid).is_some() {
                    // Already kept up to date by the events since it was read.
                    continue;
                }
                match m {
                    // No membership event went by between the read and now: it is current.
                    Some(m) if noted == seen => members.insert(&uid, Arc::new(m)),
                    _ => {
                        members.unread.insert(uid);
                    }
                }
                continue;
            }
            Msg::Forget(uid) => {
                if !hub.has_user(&uid) {
                    members.drop_user(&uid, false);
                }
                continue;
            }
            Msg::Event(p) => p,
        };
        members.expire(|u| hub.has_user(u));
        // A few each event too, so a steady stream of events cannot starve the queue.
        refresh(&state, &mut members, 2).await;
        if !p.membership_of.is_empty() {
            seen += 1;
        }
        for uid in &p.membership_of {
            members.drop_user(uid, hub.has_user(uid));
        }
        let b = &p.broadcast;
        // Only the connections that may pass the checks below.
        let candidates = if !b.connection_id.is_empty() {
            hub.conns
                .read()
                .by_id
                .get(&b.connection_id)
                .cloned()
                .into_iter()
                .collect()
        } else if !b.user_id.is_empty() {
            hub.of_users(std::iter::once(&b.user_id))
        } else if !b.channel_id.is_empty() {
            hub.of_users(members.candidates(&members.channel_users, &b.channel_id))
        } else if !b.team_id.is_empty() {
            hub.of_users(members.candidates(&members.team_users, &b.team_id))
        } else {
            hub.snapshot()
        };
        for c in candidates {
            if !b.connection_id.is_empty() && c.id != b.connection_id {
                continue;
            }
            if c.id == b.omit_connection_id {
                continue;
            }
            if b.contains_sanitized_data || b.contains_sensitive_data {
                let admin = state.roles.grants(&c.session().roles(), "manage_system");
                if admin == b.contains_sanitized_data {
                    continue;
                }
            }
            if !b.user_id.is_empty() {
                if c.user_id != b.user_id {
                    continue;
                }
            } else {
                if b.omit_users
                    .as_ref()
                    .is_some_and(|o| o.contains_key(&c.user_id))
                {
                    continue;
                }
                if !b.channel_id.is_empty() || !b.team_id.is_empty() {
                    let m = match members.get(&c.user_id) {
                        Some(m) => m.clone(),
                        None => match load_membership(&state, &c.user_id).await {
                            Some(m) => {
                                let m = Arc::new(m);
                                members.insert(&c.user_id, m.clone());
                                m
                            }
                            None => continue,
                        },
                    };
                    if !b.channel_id.is_empty() && !m.channels.contains(&b.channel_id) {
                        continue;
                    }
                    if b.channel_id.is_empty() && !m.teams.contains(&b.team_id) {
                        continue;
                    }
                }
            }
            if !c.push(&p) {
                tracing::info!(connection_id = %c.id, "websocket send queue full; closing the connection");
                hub.remove(&c.id);
            }
        }
    }
}

/// Reads a user's memberships; `None` (nothing delivered) when the store fails.
async fn load_membership(state: &Inner, user_id: &str) -> Option<Membership> {
    let channels = state
        .store
        .list_channels_for_user(user_id, None, true, None)
        .await;
    let teams = state.store.list_teams_for_user(user_id, None).await;
    match (channels, teams) {
        (Ok(c), Ok(t)) => Some(Membership {
            channels: c.into_iter().map(|c| c.id).collect(),
            teams: t.into_iter().map(|t| t.id).collect(),
            at: Instant::now(),
        }),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(error = %e, "could not read memberships for event delivery");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::sync::atomic::AtomicI64;

    fn session(user: &str) -> Arc<Session> {
        Arc::new(Session {
            id: "s".into(),
            token_hash: "h".into(),
            user_id: user.into(),
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

    fn hello(id: &str) -> Event {
        Event::new("hello", serde_json::json!({"connection_id": id}))
    }

    fn membership(channels: &[&str], teams: &[&str]) -> Arc<Membership> {
        Arc::new(Membership {
            channels: channels.iter().map(|c| c.to_string()).collect(),
            teams: teams.iter().map(|t| t.to_string()).collect(),
            at: Instant::now(),
        })
    }

    fn sorted<'a>(it: impl Iterator<Item = &'a String>) -> Vec<String> {
        let mut v: Vec<String> = it.cloned().collect();
        v.sort();
        v
    }

    #[test]
    fn a_channel_event_visits_its_members_and_the_users_not_read_yet_only() {
        let mut m = Memberships::default();
        m.unread.insert("new".into());
        m.insert("a", membership(&["c1", "c2"], &["t"]));
        m.insert("b", membership(&["c2"], &["t"]));
        let c = &m.channel_users;
        assert_eq!(sorted(m.candidates(c, "c1")), ["a", "new"]);
        assert_eq!(sorted(m.candidates(c, "c2")), ["a", "b", "new"]);
        assert_eq!(sorted(m.candidates(c, "c3")), ["new"]);
        assert_eq!(sorted(m.candidates(&m.team_users, "t")), ["a", "b", "new"]);
        // A membership change: read again before the next event that needs it.
        m.drop_user("a", true);
        assert_eq!(sorted(m.candidates(&m.channel_users, "c1")), ["a", "new"]);
        assert!(!m.channel_users.contains_key("c1"));
        // Re-reading replaces the old channels.
        m.insert("a", membership(&["c3"], &[]));
        assert_eq!(sorted(m.candidates(&m.channel_users, "c1")), ["new"]);
        assert_eq!(sorted(m.candidates(&m.channel_users, "c3")), ["a", "new"]);
        // Gone for good: no longer a candidate anywhere.
        m.drop_user("new", false);
        m.drop_user("a", false);
        assert_eq!(
            sorted(m.candidates(&m.channel_users, "c3")),
            Vec::<String>::new()
        );
    }

    #[test]
    fn memberships_expire_in_read_order_and_connected_users_are_read_again() {
        let mut m = Memberships::default();
        let old = Arc::new(Membership {
            channels: ["c".to_string()].into(),
            teams: HashSet::new(),
            at: Instant::now() - MEMBERSHIP_MAX_AGE,
        });
        m.insert("old", old);
        m.insert("fresh", membership(&["c"], &[]));
        let gone_old = Arc::new(Membership {
            channels: ["c".to_string()].into(),
            teams: HashSet::new(),
            at: Instant::now() - MEMBERSHIP_MAX_AGE,
        });
        m.insert("gone", gone_old);
        m.reads.rotate_right(1);
        m.expire(|u| u != "gone");
        // A connected user's serves until read again; a gone user's is dropped.
        assert!(m.get("old").is_some());
        assert!(m.get("gone").is_none());
        assert_eq!(m.next_refresh().as_deref(), Some("old"));
        assert_eq!(m.next_refresh(), None);
        assert!(m.get("fresh").is_some());
        assert_eq!(
            sorted(m.candidates(&m.channel_users, "c")),
            ["fresh", "old"]
        );
        // Read since queued: skipped.
        m.refresh
            .push_back((Instant::now() - Duration::from_secs(1), "fresh".into()));
        assert_eq!(m.next_refresh(), None);
    }

    #[test]
    fn connections_are_found_by_user_and_leave_the_index_when_removed() {
        let hub = Hub::default();
        let (_c1, _r1, _) = hub.register("t".into(), session("u"), hello("c1"));
        let (_c2, _r2, _) = hub.register("t".into(), session("u"), hello("c2"));
        let (_c3, _r3, _) = hub.register("t".into(), session("v"), hello("c3"));
        let u = "u".to_string();
        let mut ids: Vec<String> = hub
            .of_users(std::iter::once(&u))
            .iter()
            .map(|c| c.id.clone())
            .collect();
        ids.sort();
        assert_eq!(ids, ["c1", "c2"]);
        hub.remove("c1");
        assert_eq!(hub.of_users(std::iter::once(&u)).len(), 1);
        hub.remove("c2");
        assert!(!hub.has_user("u"));
        assert!(hub.has_user("v"));
    }

    #[test]
    fn a_slow_consumer_is_dropped_and_typing_is_shed_first() {
        let hub = Hub::default();
        let (c, _rx, _) = hub.register("t".into(), session("u"), hello("c1"));
        let typing = Arc::new(Prepared::new(Event::new("typing", serde_json::json!({}))));
        let posted = Arc::new(Prepared::new(Event::new("posted", serde_json::json!({}))));
        // The hello holds one slot; fill to half, then typing is dropped without a seq.
        for _ in 1..SEND_QUEUE / 2 {
            assert!(c.push(&posted));
        }
        let before = c.q.lock().next_seq;
        assert!(c.push(&typing));
        assert_eq!(c.q.lock().next_seq, before);
        for _ in SEND_QUEUE / 2..SEND_QUEUE {
            assert!(c.push(&posted));
        }
        // Full: the connection is reported for closing and is never resumed.
        assert!(!c.push(&posted));
        hub.remove("c1");
        assert!(hub.resume("c1", "u", 1, "t".into(), session("u")).is_none());
    }

    #[test]
    fn resume_replays_what_is_kept_and_refuses_the_rest() {
        let hub = Hub::default();
        let (c, rx, generation) = hub.register("t".into(), session("u"), hello("c1"));
        drop(rx);
        c.detach(generation);
        let posted = Arc::new(Prepared::new(Event::new("posted", serde_json::json!({}))));
        for _ in 0..3 {
            assert!(c.push(&posted));
        }
        // Another user cannot take it over.
        assert!(hub.resume("c1", "v", 1, "t".into(), session("v")).is_none());
        let (_, mut rx, _) = hub.resume("c1", "u", 2, "t".into(), session("u")).unwrap();
        let seqs: Vec<u64> = std::iter::from_fn(|| match rx.try_recv() {
            Ok(Out::Event(n, _)) => Some(n),
            Err(_) => None,
        })
        .collect();
        assert_eq!(seqs, [2, 3]);
        // Past the end: refused, and the connection is gone.
        assert!(hub.resume("c1", "u", 9, "t".into(), session("u")).is_none());
        assert!(hub.resume("c1", "u", 4, "t".into(), session("u")).is_none());
    }
}
