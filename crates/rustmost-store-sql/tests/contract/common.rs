//! Harness: opens a fresh store per backend (a temp-file SQLite database; a fresh PostgreSQL
//! database, dropped afterwards, when `RUSTMOST_TEST_DATASOURCE` is set) and row fixtures with
//! every field set to a non-default value, so a column that is not written or read back shows.

use rustmost_model::bot::Bot;
use rustmost_model::channel::{Channel, ChannelMember};
use rustmost_model::new_id;
use rustmost_model::post::Post;
use rustmost_model::team::{Team, TeamMember};
use rustmost_model::user::User;
use rustmost_store::{Page, SessionRow, Store, StoreError};
use rustmost_store_sql::{PostgresStore, SqliteStore};
use std::collections::BTreeMap;

pub use rustmost_store::{
    AuditStore, BotStore, ChannelStore, PostStore, ReactionStore, RoleStore, SessionStore,
    TeamStore, TokenStore, UserStore,
};

/// A millisecond time past 2^32 seconds' worth of ms, so a 32-bit column would truncate it.
pub const T0: i64 = 1_733_000_000_123;

/// The PostgreSQL server to run against as well, as the API tests read it.
pub fn pg_base_url() -> Option<String> {
    std::env::var("RUSTMOST_TEST_DATASOURCE")
        .ok()
        .filter(|s| !s.is_empty())
}

/// Runs `test` on a fresh SQLite store, then on a fresh PostgreSQL store when one is configured.
/// The backend is printed first, so a failure's captured output says which one failed.
pub async fn on_each_backend(test: impl AsyncFn(&dyn Store)) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite:{}", dir.path().join("contract.db").display());
    let sqlite = SqliteStore::connect(&url).await.expect("open sqlite");
    eprintln!("backend: sqlite");
    test(&sqlite).await;
    sqlite.close().await;

    if let Some(base) = pg_base_url() {
        let db = PgDatabase::create(&base).await;
        let pg = PostgresStore::connect(&db.url)
            .await
            .expect("open postgres");
        eprintln!("backend: postgres");
        test(&pg).await;
        pg.close().await;
    }
}

/// Runs `test` with the URL of a fresh PostgreSQL database when one is configured (for what
/// only PostgreSQL has, like the change feed); returns whether it ran.
pub async fn on_postgres(test: impl AsyncFn(&str)) -> bool {
    let Some(base) = pg_base_url() else {
        return false;
    };
    let db = PgDatabase::create(&base).await;
    test(&db.url).await;
    true
}

/// A uniquely named database on the test server, dropped (with its connections) when this is,
/// also when the test panics.
struct PgDatabase {
    base: String,
    name: String,
    url: String,
}

impl PgDatabase {
    async fn create(base: &str) -> Self {
        use sqlx::Connection;
        static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!(
            "rustmost_contract_{}_{}_{nanos}",
            std::process::id(),
            SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let mut conn = sqlx::PgConnection::connect(base)
            .await
            .expect("connect to RUSTMOST_TEST_DATASOURCE");
        sqlx::query(&format!(
            "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
        ))
        .execute(&mut conn)
        .await
        .expect("create test database");
        let _ = conn.close().await;
        let (head, query) = base.split_once('?').unwrap_or((base, ""));
        let scheme_end = head.find("://").map_or(0, |i| i + 3);
        let path_at = head[scheme_end..]
            .find('/')
            .map_or(head.len(), |i| scheme_end + i);
        let mut url = format!("{}/{name}", &head[..path_at]);
        if !query.is_empty() {
            url.push('?');
            url.push_str(query);
        }
        Self {
            base: base.to_string(),
            name,
            url,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        // Drop cannot await, so the DROP runs on a runtime of its own thread.
        let (base, name) = (self.base.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            use sqlx::Connection;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&base).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await;
                    let _ = conn.close().await;
                }
            });
        })
        .join();
    }
}

pub fn page(page: i64, per_page: i64) -> Page {
    Page { page, per_page }
}

/// Asserts a `NotFound` error.
#[track_caller]
pub fn assert_not_found<T: std::fmt::Debug>(r: Result<T, StoreError>) {
    match r {
        Err(StoreError::NotFound) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
}

/// Asserts a listing succeeded with nothing in it.
#[track_caller]
pub fn assert_empty<T: std::fmt::Debug>(r: Result<Vec<T>, StoreError>) {
    match r {
        Ok(v) => assert!(v.is_empty(), "expected nothing, got {v:?}"),
        Err(e) => panic!("expected an empty listing, got {e:?}"),
    }
}

/// Asserts a unique violation named exactly `constraint` (the name is part of the contract:
/// the server matches on it).
#[track_caller]
pub fn assert_conflict<T: std::fmt::Debug>(r: Result<T, StoreError>, constraint: &str) {
    match r {
        Err(StoreError::Conflict { constraint: c }) => assert_eq!(c, constraint),
        other => panic!("expected Conflict {{ {constraint} }}, got {other:?}"),
    }
}

pub fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A user with every stored column set; the fields the store does not keep (`mfa_secret`,
/// `bot_last_icon_update`, terms of service) stay at their defaults.
pub fn user(username: &str) -> User {
    User {
        id: new_id(),
        create_at: T0,
        update_at: T0 + 1,
        delete_at: 0,
        username: username.to_string(),
        password: "$argon2id$v=19$hash".into(),
        auth_data: Some(String::new()),
        auth_service: String::new(),
        email: format!("{username}@example.com"),
        email_verified: true,
        nickname: format!("nick-{username}"),
        first_name: format!("First{username}"),
        last_name: "Lást 🙂".into(),
        position: String::new(),
        roles: "system_user".into(),
        allow_marketing: true,
        props: Some(map(&[("customStatus", "{\"emoji\":\"x\"}"), ("empty", "")])),
        notify_props: Some(map(&[("email", "true"), ("mention_keys", "a,b")])),
        last_password_update: T0 + 2,
        last_picture_update: T0 + 3,
        failed_attempts: 2,
        locale: "fr".into(),
        timezone: Some(map(&[("useAutomaticTimezone", "false")])),
        mfa_active: true,
        remote_id: None,
        last_activity_at: T0 + 4,
        is_bot: false,
        bot_description: String::new(),
        disable_welcome_email: true,
        last_login: i64::MAX,
        ..Default::default()
    }
}

/// Inserts `user(username)` and returns it.
pub async fn add_user(s: &dyn Store, username: &str) -> User {
    let u = user(username);
    s.insert_user(&u).await.expect("insert user");
    u
}

/// Inserts `session(..)` and returns it.
pub async fn add_session(s: &dyn Store, user_id: &str, last_activity_at: i64) -> SessionRow {
    let row = session(user_id, last_activity_at);
    s.insert_session(&row).await.expect("insert session");
    row
}

pub fn session(user_id: &str, last_activity_at: i64) -> SessionRow {
    SessionRow {
        id: new_id(),
        token_hash: new_id(),
        create_at: T0,
        expires_at: T0 + 86_400_000,
        last_activity_at,
        user_id: user_id.to_string(),
        device_id: String::new(),
        roles: "system_user".into(),
        is_oauth: true,
        props: map(&[("os", "Linux"), ("browser", "")]),
    }
}

/// Inserts `team(..)` and returns it.
pub async fn add_team(s: &dyn Store, name: &str, display_name: &str, open: bool) -> Team {
    let t = team(name, display_name, open);
    s.insert_team(&t).await.expect("insert team");
    t
}

pub fn team(name: &str, display_name: &str, open: bool) -> Team {
    Team {
        id: new_id(),
        create_at: T0,
        update_at: T0 + 1,
        delete_at: 0,
        display_name: display_name.to_string(),
        name: name.to_string(),
        description: "déscription".into(),
        email: format!("{name}@example.com"),
        team_type: if open { "O" } else { "I" }.into(),
        company_name: String::new(),
        allowed_domains: "example.com".into(),
        invite_id: new_id(),
        allow_open_invite: open,
        last_team_icon_update: T0 + 2,
        scheme_id: Some(String::new()),
        group_constrained: Some(false),
        policy_id: None,
        cloud_limits_archived: false,
    }
}

pub fn team_member(team_id: &str, user_id: &str) -> TeamMember {
    let mut m = TeamMember {
        team_id: team_id.to_string(),
        user_id: user_id.to_string(),
        roles: String::new(),
        delete_at: 0,
        scheme_guest: false,
        scheme_user: true,
        scheme_admin: false,
        explicit_roles: String::new(),
        create_at: T0,
    };
    m.compute_roles();
    m
}

/// Inserts `channel(..)` and returns it.
pub async fn add_channel(
    s: &dyn Store,
    team_id: &str,
    name: &str,
    display_name: &str,
    kind: &str,
) -> Channel {
    let ch = channel(team_id, name, display_name, kind);
    s.insert_channel(&ch).await.expect("insert channel");
    ch
}

pub fn channel(team_id: &str, name: &str, display_name: &str, kind: &str) -> Channel {
    let mut props = serde_json::Map::new();
    props.insert("flag".into(), serde_json::json!(true));
    props.insert("nested".into(), serde_json::json!({"n": 1, "s": ""}));
    Channel {
        id: new_id(),
        create_at: T0,
        update_at: T0 + 1,
        delete_at: 0,
        team_id: team_id.to_string(),
        channel_type: kind.to_string(),
        display_name: display_name.to_string(),
        name: name.to_string(),
        header: "header ✓".into(),
        purpose: String::new(),
        last_post_at: T0 + 2,
        total_msg_count: 3,
        extra_update_at: T0 + 4,
        creator_id: new_id(),
        scheme_id: None,
        props: Some(props),
        group_constrained: Some(true),
        shared: None,
        total_msg_count_root: 2,
        policy_id: None,
        last_root_post_at: T0 + 2,
    }
}

pub fn channel_member(channel_id: &str, user_id: &str) -> ChannelMember {
    let mut m = ChannelMember {
        channel_id: channel_id.to_string(),
        user_id: user_id.to_string(),
        roles: String::new(),
        last_viewed_at: T0,
        msg_count: 5,
        mention_count: 1,
        mention_count_root: 1,
        urgent_mention_count: 0,
        msg_count_root: 4,
        notify_props: map(&[("desktop", "default"), ("mark_unread", "all")]),
        last_update_at: T0 + 1,
        scheme_guest: false,
        scheme_user: true,
        scheme_admin: false,
        explicit_roles: String::new(),
    };
    m.compute_roles();
    m
}

/// A root post (or a reply when `root_id` is not empty) with every stored column set.
/// Inserts `post(..)` and returns it.
pub async fn add_post(
    s: &dyn Store,
    channel_id: &str,
    user_id: &str,
    root_id: &str,
    create_at: i64,
) -> Post {
    let p = post(channel_id, user_id, root_id, create_at);
    s.insert_post(&p).await.expect("insert post");
    p
}

pub fn post(channel_id: &str, user_id: &str, root_id: &str, create_at: i64) -> Post {
    let mut props = serde_json::Map::new();
    props.insert("from_bot".into(), serde_json::json!("true"));
    props.insert(
        "attachments".into(),
        serde_json::json!([{"text": "t", "fields": []}]),
    );
    Post {
        id: new_id(),
        create_at,
        update_at: create_at,
        edit_at: 0,
        delete_at: 0,
        is_pinned: false,
        user_id: user_id.to_string(),
        channel_id: channel_id.to_string(),
        root_id: root_id.to_string(),
        original_id: String::new(),
        message: "hello #world 🙂".into(),
        post_type: String::new(),
        props,
        hashtags: "#world".into(),
        file_ids: vec![new_id(), new_id()],
        pending_post_id: format!("{user_id}:{create_at}"),
        has_reactions: false,
        remote_id: Some(String::new()),
        reply_count: 0,
        last_reply_at: 0,
        participants: None,
        metadata: None,
    }
}

pub fn bot(user_id: &str, username: &str, owner_id: &str, create_at: i64) -> Bot {
    Bot {
        user_id: user_id.to_string(),
        username: username.to_string(),
        display_name: String::new(),
        description: "does things".into(),
        owner_id: owner_id.to_string(),
        last_icon_update: T0 + 9,
        create_at,
        update_at: create_at + 1,
        delete_at: 0,
    }
}

/// Inserts a bot user and its bot row; the bot's display name is its user's first name.
pub async fn add_bot(s: &dyn Store, username: &str, owner_id: &str, create_at: i64) -> Bot {
    let mut u = user(username);
    u.is_bot = true;
    u.bot_description = "does things".into();
    u.first_name = format!("Bot {username}");
    s.insert_user(&u).await.expect("insert bot user");
    let mut b = bot(&u.id, username, owner_id, create_at);
    b.display_name = u.first_name.clone();
    s.insert_bot(&b).await.expect("insert bot");
    b
}

/// The ids of `rows`, in order.
pub fn ids<T>(rows: &[T], id: impl Fn(&T) -> &str) -> Vec<String> {
    rows.iter().map(|r| id(r).to_string()).collect()
}
