//! Test harness: a real server on a random loopback port with a fresh SQLite database (or a
//! fresh PostgreSQL database when `RUSTMOST_TEST_DATASOURCE` is set), plus
//! small HTTP helpers that keep status and AppError assertions short.

pub mod smtp;

use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde_json::{Value, json};
use std::path::PathBuf;

pub struct TestServer {
    pub url: String,
    pub http: reqwest::Client,
    pub state: rustmost_server::state::AppState,
    pub dir: tempfile::TempDir,
    /// The test's own PostgreSQL database, when the run is against PostgreSQL.
    pub pg_url: Option<String>,
    /// The server it was created on and its name, to drop it at the end.
    pg_database: Option<(String, String)>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<()>>,
}

/// The first user created on every test server; it becomes the system admin.
pub const ADMIN_PASSWORD: &str = "Admin-Passw0rd!";

/// The PostgreSQL server the tests run against instead of SQLite, when
/// `RUSTMOST_TEST_DATASOURCE` names one (`postgres://user:password@host:port/database`).
pub fn pg_base_url() -> Option<String> {
    std::env::var("RUSTMOST_TEST_DATASOURCE")
        .ok()
        .filter(|s| !s.is_empty())
}

/// Creates a uniquely named empty database on the server `base` points at and returns the URL
/// of it, so every test server has its own schema and tests stay parallel. The database is
/// dropped when the test server is.
async fn fresh_pg_database(base: &str) -> String {
    use sqlx::Connection;
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!(
        "rustmost_test_{}_{}_{nanos}",
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
    url
}

/// A value bound by [`TestServer::raw_execute`].
pub enum SqlArg<'a> {
    Int(i64),
    Text(&'a str),
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with_env(&[]).await
    }

    /// A fresh server with its admin logged in: (server, admin user JSON, admin session token).
    pub async fn start_with_admin() -> (Self, Value, String) {
        let s = Self::start().await;
        let (admin, token) = s.admin().await;
        (s, admin, token)
    }

    /// Starts a server whose `MM_*` environment is exactly `env` (the process env is ignored,
    /// so tests can run in parallel).
    pub async fn start_with_env(env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("rustmost.db");
        let mut envs: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut pg_url = None;
        let mut pg_database = None;
        if let Some(pg) = pg_base_url() {
            let url = fresh_pg_database(&pg).await;
            let name = url.split('?').next().unwrap_or_default();
            let name = name.rsplit('/').next().unwrap_or_default().to_string();
            pg_database = Some((pg, name));
            envs.push(("MM_SQLSETTINGS_DATASOURCE".into(), url.clone()));
            pg_url = Some(url);
            envs.push(("MM_SQLSETTINGS_DRIVERNAME".into(), "postgres".into()));
        } else if !env
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("MM_SQLSETTINGS_DATASOURCE"))
        {
            envs.push(("MM_SQLSETTINGS_DATASOURCE".into(), db.display().to_string()));
        }
        Self::launch(dir, envs, pg_url, pg_database).await
    }

    /// A server that may call integrations on 127.0.0.1 (`AllowedUntrustedInternalConnections`),
    /// where the tests' fake integrations listen.
    pub async fn start_trusting_loopback() -> Self {
        Self::start_with_env(&[(
            "MM_SERVICESETTINGS_ALLOWEDUNTRUSTEDINTERNALCONNECTIONS",
            "127.0.0.1",
        )])
        .await
    }

    /// A second node on this server's PostgreSQL database, as behind a load balancer: its own
    /// port, caches and `config.json` (config is per node), the same data. `None` on SQLite,
    /// where one database file serves one node. The database is dropped with `self`, not the
    /// peer.
    pub async fn start_peer(&self) -> Option<Self> {
        let url = self.pg_url.clone()?;
        let dir = tempfile::tempdir().expect("tempdir");
        let envs = vec![
            ("MM_SQLSETTINGS_DATASOURCE".to_string(), url.clone()),
            (
                "MM_SQLSETTINGS_DRIVERNAME".to_string(),
                "postgres".to_string(),
            ),
        ];
        Some(Self::launch(dir, envs, Some(url), None).await)
    }

    /// A node on this server's PostgreSQL database whose configuration source (`MM_CONFIG`) is
    /// `config` (a database URL or a file) and whose extra `MM_*` environment is `env`; `None`
    /// on SQLite.
    pub async fn start_peer_with(&self, config: &str, env: &[(&str, &str)]) -> Option<Self> {
        Some(Self::start_node(self.pg_url.as_deref()?, Some(config), env).await)
    }

    /// A node on the PostgreSQL database `url` (which it does not drop), with its configuration
    /// in `config` (default: its own `config.json`) and the extra `MM_*` environment `env`.
    pub async fn start_node(url: &str, config: Option<&str>, env: &[(&str, &str)]) -> Self {
        let url = url.to_string();
        let dir = tempfile::tempdir().expect("tempdir");
        let mut envs = vec![
            ("MM_SQLSETTINGS_DATASOURCE".to_string(), url.clone()),
            (
                "MM_SQLSETTINGS_DRIVERNAME".to_string(),
                "postgres".to_string(),
            ),
        ];
        envs.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let config = match config {
            Some(c) => PathBuf::from(c),
            None => dir.path().join("config.json"),
        };
        Self::launch_with_config(dir, envs, Some(url), None, config).await
    }

    async fn launch(
        dir: tempfile::TempDir,
        envs: Vec<(String, String)>,
        pg_url: Option<String>,
        pg_database: Option<(String, String)>,
    ) -> Self {
        let config = dir.path().join("config.json");
        Self::launch_with_config(dir, envs, pg_url, pg_database, config).await
    }

    async fn launch_with_config(
        dir: tempfile::TempDir,
        mut envs: Vec<(String, String)>,
        pg_url: Option<String>,
        pg_database: Option<(String, String)>,
        config: PathBuf,
    ) -> Self {
        // Every test client is 127.0.0.1 and many tests log in often: the login limiter is off
        // unless a test sets it (tests/api/ratelimit.rs does).
        for key in [
            "MM_RATELIMITSETTINGS_LOGINMAXBURST",
            "MM_RATELIMITSETTINGS_LOGINMAXBURSTPERACCOUNT",
        ] {
            if !envs.iter().any(|(k, _)| k.eq_ignore_ascii_case(key)) {
                envs.push((key.to_string(), "0".to_string()));
            }
        }
        let opts = rustmost_server::ServerOptions {
            config_path: Some(config),
            env: envs,
        };
        let state = rustmost_server::build_state(&opts)
            .await
            .expect("server state");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let st = state.clone();
        let handle = tokio::spawn(async move {
            rustmost_server::serve_with_listener(st, listener, async {
                let _ = rx.await;
            })
            .await
            .expect("serve");
        });
        let http = reqwest::Client::builder().build().unwrap();
        TestServer {
            url,
            http,
            state,
            dir,
            pg_url,
            pg_database,
            shutdown: Some(tx),
            handle: Some(handle),
        }
    }

    /// Runs one statement on the server's database behind its back (as another process
    /// would), binding `args` as `$1`, `$2`, ...; returns the rows affected.
    pub async fn raw_execute(&self, sql: &str, args: &[SqlArg<'_>]) -> u64 {
        macro_rules! run {
            ($pool:expr) => {{
                let pool = $pool;
                let mut q = sqlx::query(sql);
                for a in args {
                    q = match *a {
                        SqlArg::Int(i) => q.bind(i),
                        SqlArg::Text(t) => q.bind(t),
                    };
                }
                let n = q
                    .execute(&pool)
                    .await
                    .expect("raw statement")
                    .rows_affected();
                pool.close().await;
                n
            }};
        }
        match &self.pg_url {
            Some(url) => run!(sqlx::PgPool::connect(url).await.expect("raw pool")),
            None => run!(
                sqlx::SqlitePool::connect(&format!(
                    "sqlite:{}",
                    self.dir.path().join("rustmost.db").display()
                ))
                .await
                .expect("raw pool")
            ),
        }
    }

    /// Every row of every table of the PostgreSQL database, as text (the counterpart of
    /// reading the SQLite files); `None` on SQLite.
    pub async fn pg_dump_rows(&self) -> Option<String> {
        let url = self.pg_url.as_ref()?;
        let pool = sqlx::PgPool::connect(url).await.expect("raw pool");
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        let mut out = String::new();
        for t in tables {
            let rows: Vec<String> =
                sqlx::query_scalar(&format!("SELECT CAST(t AS TEXT) FROM {t} t"))
                    .fetch_all(&pool)
                    .await
                    .unwrap();
            out.push_str(&rows.join("\n"));
        }
        pool.close().await;
        Some(out)
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// Stops the server and waits for in-flight requests to finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            let _ = h.await;
        }
    }

    /// Any request; `token` goes in `Authorization: Bearer`. Returns status, headers and JSON
    /// (Value::Null for an empty or non-JSON body).
    pub async fn req(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut rb = self.http.request(method, format!("{}{}", self.url, path));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await.expect("request");
        Resp::read(r).await
    }

    /// A request with a raw body (no `Content-Type`), for bodies that are not JSON; `token`
    /// goes in `Authorization: Bearer`.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> Resp {
        let mut rb = self.http.request(method, format!("{}{}", self.url, path));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        Resp::read(rb.body(body).send().await.expect("request")).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.req(Method::GET, path, Some(token), None).await
    }
    pub async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.req(Method::POST, path, Some(token), Some(body)).await
    }
    pub async fn put(&self, path: &str, token: &str, body: Value) -> Resp {
        self.req(Method::PUT, path, Some(token), Some(body)).await
    }
    pub async fn delete(&self, path: &str, token: &str) -> Resp {
        self.req(Method::DELETE, path, Some(token), None).await
    }

    /// Creates a user over the API (anonymously for the first, else as `as_token`).
    pub async fn create_user(
        &self,
        as_token: Option<&str>,
        username: &str,
        password: &str,
    ) -> Value {
        let r = self
            .req(
                Method::POST,
                "/api/v4/users",
                as_token,
                Some(json!({"username": username, "email": format!("{username}@example.com"), "password": password})),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "create {username}: {}",
            r.body
        );
        r.body
    }

    /// Logs in and returns the session token from the `Token` header.
    pub async fn login(&self, login_id: &str, password: &str) -> String {
        let r = self
            .req(
                Method::POST,
                "/api/v4/users/login",
                None,
                Some(json!({"login_id": login_id, "password": password})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "login {login_id}: {}", r.body);
        r.headers
            .get("Token")
            .expect("Token header")
            .to_str()
            .unwrap()
            .to_string()
    }

    /// Creates the admin (first user) and logs in: (admin user JSON, session token).
    pub async fn admin(&self) -> (Value, String) {
        let u = self.create_user(None, "admin", ADMIN_PASSWORD).await;
        let t = self.login("admin", ADMIN_PASSWORD).await;
        (u, t)
    }

    /// Creates an ordinary user as the admin and logs them in: (user JSON, session token).
    pub async fn user(&self, admin_token: &str, username: &str) -> (Value, String) {
        let pw = "User-Passw0rd!";
        let u = self.create_user(Some(admin_token), username, pw).await;
        let t = self.login(username, pw).await;
        (u, t)
    }

    /// Patches the config as the admin.
    pub async fn patch_config(&self, admin_token: &str, patch: Value) {
        let r = self.put("/api/v4/config/patch", admin_token, patch).await;
        assert_eq!(r.status, StatusCode::OK, "config patch: {}", r.body);
    }
}

/// Helpers for personal access tokens and bots.
impl TestServer {
    /// Any request with a raw `Authorization` header value (e.g. `Token <secret>`), or none.
    pub async fn req_auth(
        &self,
        method: Method,
        path: &str,
        authorization: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut rb = self.http.request(method, format!("{}{}", self.url, path));
        if let Some(a) = authorization {
            rb = rb.header("Authorization", a);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        Resp::read(rb.send().await.expect("request")).await
    }

    /// Turns `ServiceSettings.EnableUserAccessTokens` on or off.
    pub async fn set_tokens_enabled(&self, admin_token: &str, on: bool) {
        self.patch_config(
            admin_token,
            json!({"ServiceSettings": {"EnableUserAccessTokens": on}}),
        )
        .await;
    }

    /// Turns `ServiceSettings.EnableBotAccountCreation` on.
    pub async fn enable_bot_creation(&self, admin_token: &str) {
        self.patch_config(
            admin_token,
            json!({"ServiceSettings": {"EnableBotAccountCreation": true}}),
        )
        .await;
    }

    /// Grants `system_user_access_token` (roles become `system_user system_user_access_token`).
    pub async fn grant_token_role(&self, admin_token: &str, user_id: &str) {
        let r = self
            .set_roles(admin_token, user_id, "system_user system_user_access_token")
            .await;
        assert_eq!(r.status, StatusCode::OK, "grant role: {}", r.body);
    }

    /// Creates a token for `user_id` as `as_token`: (token JSON, secret).
    pub async fn create_token(
        &self,
        as_token: &str,
        user_id: &str,
        description: &str,
    ) -> (Value, String) {
        let r = self
            .post(
                &format!("/api/v4/users/{user_id}/tokens"),
                as_token,
                json!({"description": description}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "create token: {}", r.body);
        let secret = r.body["token"]
            .as_str()
            .expect("secret in create response")
            .to_string();
        (r.body, secret)
    }

    /// Creates a bot as `as_token` (needs `EnableBotAccountCreation`): the bot JSON.
    pub async fn create_bot(&self, as_token: &str, username: &str) -> Value {
        let r = self
            .post(
                "/api/v4/bots",
                as_token,
                json!({"username": username, "display_name": username}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "create bot: {}", r.body);
        r.body
    }
}

/// Named requests for what many tests do on the way to what they check; each returns the
/// response, so the caller asserts on it (or `assert_ok`s it) as before.
impl TestServer {
    /// `POST /users/login` without a session.
    pub async fn try_login(&self, login_id: &str, password: &str) -> Resp {
        let body = json!({"login_id": login_id, "password": password});
        self.req(Method::POST, "/api/v4/users/login", None, Some(body))
            .await
    }

    /// `POST /teams`.
    pub async fn create_team(
        &self,
        token: &str,
        name: &str,
        display_name: &str,
        team_type: &str,
    ) -> Resp {
        let body = json!({"name": name, "display_name": display_name, "type": team_type});
        self.post("/api/v4/teams", token, body).await
    }

    /// `POST /channels`.
    pub async fn create_channel(
        &self,
        token: &str,
        team_id: &str,
        name: &str,
        display_name: &str,
        channel_type: &str,
    ) -> Resp {
        let body = json!({"team_id": team_id, "name": name, "display_name": display_name,
            "type": channel_type});
        self.post("/api/v4/channels", token, body).await
    }

    /// `POST /posts` with just a channel and a message.
    pub async fn create_post(&self, token: &str, channel_id: &str, message: &str) -> Resp {
        let body = json!({"channel_id": channel_id, "message": message});
        self.post("/api/v4/posts", token, body).await
    }

    /// `POST /teams/{team_id}/members`.
    pub async fn add_team_member(
        &self,
        token: &str,
        team_id: &str,
        user_id: &(impl Serialize + ?Sized),
    ) -> Resp {
        let body = json!({"team_id": team_id, "user_id": user_id});
        self.post(&format!("/api/v4/teams/{team_id}/members"), token, body)
            .await
    }

    /// `POST /channels/{channel_id}/members`.
    pub async fn add_channel_member(
        &self,
        token: &str,
        channel_id: &str,
        user_id: &(impl Serialize + ?Sized),
    ) -> Resp {
        let body = json!({"user_id": user_id});
        self.post(
            &format!("/api/v4/channels/{channel_id}/members"),
            token,
            body,
        )
        .await
    }

    /// `GET /teams/{team_id}/channels/name/{name}`.
    pub async fn channel_by_name(&self, token: &str, team_id: &str, name: &str) -> Resp {
        self.get(
            &format!("/api/v4/teams/{team_id}/channels/name/{name}"),
            token,
        )
        .await
    }

    /// `POST /users/tokens/{action}` (`disable`, `enable`, `revoke`, `rotate`) for one token.
    pub async fn token_action(&self, token: &str, action: &str, token_id: &str) -> Resp {
        let body = json!({"token_id": token_id});
        self.post(&format!("/api/v4/users/tokens/{action}"), token, body)
            .await
    }

    /// `POST /channels/members/me/view` for one channel.
    pub async fn view_channel(&self, token: &str, channel_id: &str) -> Resp {
        let body = json!({"channel_id": channel_id});
        self.post("/api/v4/channels/members/me/view", token, body)
            .await
    }

    /// `PUT /users/{user_id}/patch` (`user_id` may be `me`).
    pub async fn patch_user(&self, token: &str, user_id: &str, patch: Value) -> Resp {
        self.put(&format!("/api/v4/users/{user_id}/patch"), token, patch)
            .await
    }

    /// `POST /users/{user_id}/tokens` with this body (`user_id` may be `me`), for the cases
    /// [`TestServer::create_token`] does not cover.
    pub async fn request_token(&self, token: &str, user_id: &str, body: Value) -> Resp {
        self.post(&format!("/api/v4/users/{user_id}/tokens"), token, body)
            .await
    }

    /// `GET /system/ping?get_server_status=true` without a session.
    pub async fn server_status(&self) -> Resp {
        let path = "/api/v4/system/ping?get_server_status=true";
        self.req(Method::GET, path, None, None).await
    }

    /// `POST /users` with this body.
    pub async fn create_user_with(&self, token: &str, body: Value) -> Resp {
        self.post("/api/v4/users", token, body).await
    }

    /// `POST /users` with this body and no session: a sign-up.
    pub async fn sign_up(&self, body: Value) -> Resp {
        self.req(Method::POST, "/api/v4/users", None, Some(body))
            .await
    }

    /// `POST /bots` with this body.
    pub async fn create_bot_with(&self, token: &str, body: Value) -> Resp {
        self.post("/api/v4/bots", token, body).await
    }

    /// `POST /channels` with this body.
    pub async fn create_channel_with(&self, token: &str, body: Value) -> Resp {
        self.post("/api/v4/channels", token, body).await
    }

    /// `PUT /config/patch`, for the callers that look at the answer ([`TestServer::patch_config`]
    /// asserts success).
    pub async fn config_patch(&self, token: &str, patch: Value) -> Resp {
        self.put("/api/v4/config/patch", token, patch).await
    }

    /// The team `team-one` with the open channel `chat`, and bob, a member of both, created as
    /// the admin: (team id, chat id, bob, bob's token).
    pub async fn team_chat_and_bob(&self, admin_token: &str) -> (String, String, Value, String) {
        let tid = self
            .create_team(admin_token, "team-one", "Team One", "O")
            .await
            .id();
        let chat = self
            .create_channel(admin_token, &tid, "chat", "Chat", "O")
            .await
            .id();
        let (bob, bt) = self.user(admin_token, "bob").await;
        self.add_team_member(admin_token, &tid, &bob["id"])
            .await
            .assert_ok();
        self.add_channel_member(admin_token, &chat, &bob["id"])
            .await
            .assert_ok();
        (tid, chat, bob, bt)
    }

    /// `POST /commands/execute`.
    pub async fn execute_command(&self, token: &str, channel_id: &str, command: &str) -> Resp {
        let body = json!({"channel_id": channel_id, "command": command});
        self.post("/api/v4/commands/execute", token, body).await
    }

    /// `POST /posts/{post_id}/actions/{action_id}`: a click on an interactive message.
    pub async fn post_action(
        &self,
        token: &str,
        post_id: &str,
        action_id: &str,
        body: Value,
    ) -> Resp {
        let path = format!("/api/v4/posts/{post_id}/actions/{action_id}");
        self.post(&path, token, body).await
    }

    /// `POST /teams/{team_id}/channels/search`.
    pub async fn search_channels(&self, token: &str, team_id: &str, term: &str) -> Resp {
        let path = format!("/api/v4/teams/{team_id}/channels/search");
        self.post(&path, token, json!({"term": term})).await
    }

    /// `PUT /bots/{bot_user_id}`.
    pub async fn update_bot(&self, token: &str, bot_user_id: &str, patch: Value) -> Resp {
        self.put(&format!("/api/v4/bots/{bot_user_id}"), token, patch)
            .await
    }

    /// `PUT /posts/{post_id}/patch`.
    pub async fn patch_post(&self, token: &str, post_id: &str, patch: Value) -> Resp {
        self.put(&format!("/api/v4/posts/{post_id}/patch"), token, patch)
            .await
    }

    /// `PUT /users/{user_id}/active`.
    pub async fn set_active(&self, token: &str, user_id: &str, active: bool) -> Resp {
        let body = json!({"active": active});
        self.put(&format!("/api/v4/users/{user_id}/active"), token, body)
            .await
    }

    /// `PUT /users/{user_id}/roles`.
    pub async fn set_roles(&self, token: &str, user_id: &str, roles: &str) -> Resp {
        let body = json!({"roles": roles});
        self.put(&format!("/api/v4/users/{user_id}/roles"), token, body)
            .await
    }

    /// `PUT /roles/{role_id}/patch` with this permission list.
    pub async fn patch_role(&self, token: &str, role_id: &str, permissions: Value) -> Resp {
        let body = json!({"permissions": permissions});
        self.put(&format!("/api/v4/roles/{role_id}/patch"), token, body)
            .await
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        // Best effort, on a thread of its own since Drop cannot await; FORCE ends the server's
        // own connections, which outlive it in the still-running test runtime.
        if let Some((base, name)) = self.pg_database.take() {
            let _ = std::thread::spawn(move || {
                use sqlx::Connection;
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async {
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&base).await {
                        let _ =
                            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .execute(&mut conn)
                                .await;
                        let _ = conn.close().await;
                    }
                });
            })
            .join();
        }
    }
}

/// Sends each request in turn and asserts the AppError it must get, one line a check, so a run
/// of refusals reads as the table it is:
/// `expect_errors!(server; get(path, token) => 403, "api.context.permissions.app_error"; ...)`.
/// Each row's method is one of [`TestServer`]'s request helpers with its arguments; a failure
/// names the row.
macro_rules! expect_errors {
    ($srv:expr; $($method:ident($($arg:expr),* $(,)?) => $status:expr, $id:expr;)+) => {
        $(
            let r = $srv.$method($($arg),*).await;
            assert!(
                r.status.as_u16() == $status && r.body["id"] == $id,
                "{} should fail with {} {}, got {}: {}",
                stringify!($method($($arg),*)),
                $status,
                $id,
                r.status,
                r.text
            );
            r.assert_err($status, $id);
        )+
    };
}
pub(crate) use expect_errors;

/// The `Set-Cookie` headers of a response, whole.
pub fn set_cookies(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().expect("ASCII cookie").to_string())
        .collect()
}

/// The lowercase hex HMAC-SHA256 of `parts` (in order) under `key`, as signed requests carry it.
pub fn hmac_sha256_hex(key: &str, parts: &[&[u8]]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    for p in parts {
        mac.update(p);
    }
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Resp {
    pub async fn read(r: reqwest::Response) -> Self {
        let status = r.status();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
            text,
        }
    }

    /// Asserts an AppError with this status and id, and the AppError shape.
    #[track_caller]
    pub fn assert_err(&self, status: u16, id: &str) {
        assert_eq!(self.status.as_u16(), status, "status; body: {}", self.text);
        assert_eq!(self.body["id"], id, "error id; body: {}", self.text);
        assert_eq!(self.body["status_code"], status, "status_code field");
        assert!(
            self.body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "message"
        );
        assert!(
            self.body["request_id"]
                .as_str()
                .is_some_and(|m| m.len() == 26),
            "request_id"
        );
        assert!(
            self.body.get("detailed_error").is_some(),
            "detailed_error present"
        );
        assert_eq!(
            self.headers.get("content-type").unwrap(),
            "application/json",
            "content type"
        );
    }

    /// The body as a JSON array.
    #[track_caller]
    pub fn items(&self) -> &Vec<Value> {
        self.body
            .as_array()
            .unwrap_or_else(|| panic!("expected a JSON array, got {}: {}", self.status, self.text))
    }

    /// The string `field` of each element of the body's array, in order.
    #[track_caller]
    pub fn strings(&self, field: &str) -> Vec<&str> {
        self.items()
            .iter()
            .map(|v| {
                v[field]
                    .as_str()
                    .unwrap_or_else(|| panic!("no string {field} in {v}"))
            })
            .collect()
    }

    /// The body's `id`.
    #[track_caller]
    pub fn id(&self) -> String {
        match self.body["id"].as_str() {
            Some(id) => id.to_string(),
            None => panic!("no id in {}: {}", self.status, self.text),
        }
    }

    #[track_caller]
    pub fn assert_ok(&self) -> &Value {
        assert!(
            self.status.is_success(),
            "expected success, got {}: {}",
            self.status,
            self.text
        );
        &self.body
    }
}
