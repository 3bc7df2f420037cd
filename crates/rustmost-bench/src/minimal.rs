//! The reference server: the benchmarked routes answered from memory (the JSON Rustmost itself
//! returned, handed over by the harness) and posts and reactions written with the naive one
//! statement, one transaction per request, on the same database settings Rustmost uses. It is
//! what "the machine's limit" means in the ratios: same load generator, same run.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use parking_lot::RwLock;
use serde_json::{Value, json};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Where the naive inserts go.
#[derive(Clone)]
enum Db {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

/// What the harness seeds: token → user, and the listings' bodies.
#[derive(Default)]
struct Data {
    users_by_token: HashMap<String, Value>,
    users_page: Value,
    posts_by_channel: HashMap<String, Value>,
}

#[derive(Clone)]
struct St {
    data: Arc<RwLock<Data>>,
    db: Db,
    seq: Arc<AtomicU64>,
}

/// Serves on `listener` until killed. `database` is a SQLite file path or a `postgres://` URL.
pub async fn serve(listener: tokio::net::TcpListener, database: &str) -> anyhow::Result<()> {
    let db = if database.starts_with("postgres") {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(10)
            .connect(database)
            .await?;
        for q in [
            "CREATE TABLE IF NOT EXISTS posts (id TEXT PRIMARY KEY, create_at BIGINT NOT NULL, \
             user_id TEXT NOT NULL, channel_id TEXT NOT NULL, message TEXT NOT NULL, \
             props TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS posts_channel ON posts (channel_id, create_at)",
            "CREATE TABLE IF NOT EXISTS reactions (user_id TEXT NOT NULL, post_id TEXT NOT NULL, \
             emoji_name TEXT NOT NULL, create_at BIGINT NOT NULL, \
             PRIMARY KEY (post_id, user_id, emoji_name))",
        ] {
            sqlx::query(q).execute(&pool).await?;
        }
        Db::Postgres(pool)
    } else {
        // Rustmost's own settings: WAL, synchronous=NORMAL (a commit survives kill -9), a pool
        // of 8.
        let opts = SqliteConnectOptions::from_str(&format!("sqlite:{database}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(std::time::Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(opts)
            .await?;
        for q in [
            "CREATE TABLE IF NOT EXISTS posts (id TEXT PRIMARY KEY, create_at INTEGER NOT NULL, \
             user_id TEXT NOT NULL, channel_id TEXT NOT NULL, message TEXT NOT NULL, \
             props TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS posts_channel ON posts (channel_id, create_at)",
            "CREATE TABLE IF NOT EXISTS reactions (user_id TEXT NOT NULL, post_id TEXT NOT NULL, \
             emoji_name TEXT NOT NULL, create_at INTEGER NOT NULL, \
             PRIMARY KEY (post_id, user_id, emoji_name))",
        ] {
            sqlx::query(q).execute(&pool).await?;
        }
        Db::Sqlite(pool)
    };
    let st = St {
        data: Arc::default(),
        db,
        seq: Arc::default(),
    };
    let app = Router::new()
        .route(
            "/api/v4/system/ping",
            get(|| async { r#"{"status":"OK"}"# }),
        )
        .route("/api/v4/users/me", get(me))
        .route("/api/v4/users", get(users))
        .route("/api/v4/channels/{id}/posts", get(channel_posts))
        .route("/api/v4/posts", post(create_post))
        .route("/api/v4/reactions", post(save_reaction))
        .route("/bench/seed", post(seed))
        .with_state(st);
    axum::serve(listener, app).await?;
    Ok(())
}

fn bearer(h: &HeaderMap) -> Option<&str> {
    h.get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

fn user(st: &St, h: &HeaderMap) -> Option<Value> {
    st.data.read().users_by_token.get(bearer(h)?).cloned()
}

fn json_response(status: StatusCode, v: &Value) -> Response {
    (
        status,
        [("content-type", "application/json")],
        serde_json::to_vec(v).unwrap_or_default(),
    )
        .into_response()
}

async fn me(State(st): State<St>, h: HeaderMap) -> Response {
    match user(&st, &h) {
        Some(u) => json_response(StatusCode::OK, &u),
        None => StatusCode::UNAUTHORIZED.into_response(),
    }
}

async fn users(State(st): State<St>, h: HeaderMap) -> Response {
    if user(&st, &h).is_none() {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let page = st.data.read().users_page.clone();
    json_response(StatusCode::OK, &page)
}

async fn channel_posts(State(st): State<St>, h: HeaderMap, Path(id): Path<String>) -> Response {
    if user(&st, &h).is_none() {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let list = st.data.read().posts_by_channel.get(&id).cloned();
    match list {
        Some(l) => json_response(StatusCode::OK, &l),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn new_id(st: &St) -> String {
    format!(
        "{:026x}",
        st.seq.fetch_add(1, Ordering::Relaxed) as u128 + (now_ms() as u128) * 1_000_000
    )
}

fn now_ms() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis(),
    )
    .unwrap_or(0)
}

async fn create_post(State(st): State<St>, h: HeaderMap, body: Bytes) -> Response {
    let Some(u) = user(&st, &h) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let Ok(mut p) = serde_json::from_slice::<Value>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let id = new_id(&st);
    let now = now_ms();
    let uid = u["id"].as_str().unwrap_or_default().to_string();
    let channel = p["channel_id"].as_str().unwrap_or_default().to_string();
    let message = p["message"].as_str().unwrap_or_default().to_string();
    let props = p.get("props").cloned().unwrap_or(json!({})).to_string();
    let sql = "INSERT INTO posts (id, create_at, user_id, channel_id, message, props) \
               VALUES ($1, $2, $3, $4, $5, $6)";
    let res = match &st.db {
        Db::Sqlite(pool) => sqlx::query(sql)
            .bind(&id)
            .bind(now)
            .bind(&uid)
            .bind(&channel)
            .bind(&message)
            .bind(&props)
            .execute(pool)
            .await
            .map(drop),
        Db::Postgres(pool) => sqlx::query(sql)
            .bind(&id)
            .bind(now)
            .bind(&uid)
            .bind(&channel)
            .bind(&message)
            .bind(&props)
            .execute(pool)
            .await
            .map(drop),
    };
    if res.is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    p["id"] = json!(id);
    p["create_at"] = json!(now);
    p["update_at"] = json!(now);
    p["user_id"] = json!(uid);
    json_response(StatusCode::CREATED, &p)
}

async fn save_reaction(State(st): State<St>, h: HeaderMap, body: Bytes) -> Response {
    if user(&st, &h).is_none() {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let Ok(mut r) = serde_json::from_slice::<Value>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let now = now_ms();
    let field = |k: &str| r[k].as_str().unwrap_or_default().to_string();
    let (uid, pid, emoji) = (field("user_id"), field("post_id"), field("emoji_name"));
    let res = match &st.db {
        Db::Sqlite(pool) => sqlx::query(
            "INSERT OR REPLACE INTO reactions (user_id, post_id, emoji_name, create_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(&uid)
        .bind(&pid)
        .bind(&emoji)
        .bind(now)
        .execute(pool)
        .await
        .map(drop),
        Db::Postgres(pool) => sqlx::query(
            "INSERT INTO reactions (user_id, post_id, emoji_name, create_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (post_id, user_id, emoji_name) \
             DO UPDATE SET create_at = excluded.create_at",
        )
        .bind(&uid)
        .bind(&pid)
        .bind(&emoji)
        .bind(now)
        .execute(pool)
        .await
        .map(drop),
    };
    if res.is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    r["create_at"] = json!(now);
    json_response(StatusCode::OK, &r)
}

/// `{"tokens": {token: user}, "users_page": [...], "posts": {channel_id: post list}}`; each
/// key present replaces (tokens and posts are merged).
async fn seed(State(st): State<St>, body: Bytes) -> StatusCode {
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let mut d = st.data.write();
    if let Some(t) = v["tokens"].as_object() {
        for (k, u) in t {
            d.users_by_token.insert(k.clone(), u.clone());
        }
    }
    if !v["users_page"].is_null() {
        d.users_page = v["users_page"].clone();
    }
    if let Some(p) = v["posts"].as_object() {
        for (k, l) in p {
            d.posts_by_channel.insert(k.clone(), l.clone());
        }
    }
    StatusCode::NO_CONTENT
}
