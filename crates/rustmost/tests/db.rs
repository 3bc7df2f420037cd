//! `rustmost db copy` and `rustmost config migrate` with the real binary: a server's data, every
//! table populated, copied from SQLite to another database and back (to PostgreSQL when
//! `RUSTMOST_TEST_DATASOURCE` names one, else SQLite to SQLite), then servers on the copies
//! serving the same users, tokens (the same secrets), teams, channels, posts and config.

#[path = "support/api.rs"]
mod api;

use serde_json::{Value, json};
use std::path::Path;

/// An in-process server whose data and config live in `data` (config in the database, as
/// `MM_CONFIG` may say), or in the PostgreSQL database `data` names.
struct Server {
    url: String,
    http: reqwest::Client,
    state: rustmost_server::state::AppState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<()>>,
}

impl Server {
    async fn start(data: &str) -> Self {
        let pg = data.starts_with("postgres://");
        let mut env = vec![
            ("MM_SQLSETTINGS_DATASOURCE".to_string(), data.to_string()),
            (
                "MM_RATELIMITSETTINGS_LOGINMAXBURST".to_string(),
                "0".to_string(),
            ),
            (
                "MM_RATELIMITSETTINGS_LOGINMAXBURSTPERACCOUNT".to_string(),
                "0".to_string(),
            ),
        ];
        if pg {
            env.push(("MM_SQLSETTINGS_DRIVERNAME".into(), "postgres".into()));
        }
        let config = if pg {
            data.to_string()
        } else {
            format!("sqlite:{data}")
        };
        let opts = rustmost_server::ServerOptions {
            config_path: Some(config.into()),
            env,
        };
        let state = rustmost_server::build_state(&opts).await.expect("state");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, handle) = api::serve(state.clone(), listener);
        Server {
            url,
            http: reqwest::Client::new(),
            state,
            shutdown: Some(tx),
            handle: Some(handle),
        }
    }

    /// Stops serving and lets go of the database.
    async fn stop(mut self) {
        let _ = self.shutdown.take().unwrap().send(());
        self.handle.take().unwrap().await.unwrap();
        let Server { state, .. } = self;
        drop(state);
        // The pools close as the last handles on them go.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }

    async fn call(&self, method: &str, path: &str, tok: Option<&str>, body: Value) -> (u16, Value) {
        let method = method.parse().unwrap();
        let (status, mut v, token) =
            api::call(&self.http, &self.url, method, path, tok, body).await;
        if let Some(t) = token {
            v = json!({"token": t, "body": v});
        }
        (status, v)
    }

    async fn get_ok(&self, path: &str, tok: Option<&str>) -> Value {
        self.ok("GET", path, tok, Value::Null).await
    }

    async fn ok(&self, method: &str, path: &str, tok: Option<&str>, body: Value) -> Value {
        let (s, v) = self.call(method, path, tok, body).await;
        assert!((200..300).contains(&s), "{method} {path}: {s} {v}");
        v
    }
}

/// What the populated server holds, to find again on a copy.
struct Seed {
    session: String,
    secret: String,
    team_id: String,
    channel_id: String,
    message: String,
}

/// Fills every table through the API (and the one only an executing command's `response_url`
/// fills through the store).
async fn populate(s: &Server) -> Seed {
    s.ok(
        "POST",
        "/api/v4/users",
        None,
        json!({"username": "admin", "email": "admin@example.com", "password": "Admin-Passw0rd!"}),
    )
    .await;
    let login = s
        .ok(
            "POST",
            "/api/v4/users/login",
            None,
            json!({"login_id": "admin", "password": "Admin-Passw0rd!"}),
        )
        .await;
    let session = login["token"].as_str().unwrap().to_string();
    let me = login["body"]["id"].as_str().unwrap().to_string();
    let t = Some(session.as_str());
    s.ok(
        "PUT",
        "/api/v4/config/patch",
        t,
        json!({"ServiceSettings": {"EnableUserAccessTokens": true, "EnableBotAccountCreation": true,
               "EnableIncomingWebhooks": true, "EnableOutgoingWebhooks": true,
               "EnableCommands": true},
               "TeamSettings": {"SiteName": "Copied along"}}),
    )
    .await;
    let tok = s
        .ok(
            "POST",
            &format!("/api/v4/users/{me}/tokens"),
            t,
            json!({"description": "guide"}),
        )
        .await;
    let secret = tok["token"].as_str().unwrap().to_string();
    s.ok("POST", "/api/v4/bots", t, json!({"username": "helper"}))
        .await;
    let team = s
        .ok(
            "POST",
            "/api/v4/teams",
            t,
            json!({"name": "crew", "display_name": "Crew", "type": "O"}),
        )
        .await;
    let team_id = team["id"].as_str().unwrap().to_string();
    let channel = s
        .ok(
            "POST",
            "/api/v4/channels",
            t,
            json!({"team_id": team_id, "name": "ops", "display_name": "Ops", "type": "O"}),
        )
        .await;
    let channel_id = channel["id"].as_str().unwrap().to_string();
    let message = "moved up with everything ✓".to_string();
    let post = s
        .ok(
            "POST",
            "/api/v4/posts",
            t,
            json!({"channel_id": channel_id, "message": message}),
        )
        .await;
    s.ok(
        "POST",
        "/api/v4/reactions",
        t,
        json!({"user_id": me, "post_id": post["id"], "emoji_name": "tada"}),
    )
    .await;
    s.ok(
        "POST",
        "/api/v4/hooks/incoming",
        t,
        json!({"channel_id": channel_id}),
    )
    .await;
    s.ok(
        "POST",
        "/api/v4/hooks/outgoing",
        t,
        json!({"team_id": team_id, "channel_id": channel_id, "trigger_words": ["deploy"],
               "callback_urls": ["http://example.com/hook"]}),
    )
    .await;
    let cmd = s
        .ok(
            "POST",
            "/api/v4/commands",
            t,
            json!({"team_id": team_id, "trigger": "ship", "url": "http://example.com/cmd",
                   "method": "P"}),
        )
        .await;
    s.ok(
        "POST",
        "/api/v4/commands/execute",
        t,
        json!({"channel_id": channel_id, "command": "/away"}),
    )
    .await;
    s.state
        .store
        .insert_command_webhook(&rustmost_model::command::CommandWebhook {
            id: rustmost_model::new_id(),
            create_at: rustmost_model::now_ms(),
            command_id: cmd["id"].as_str().unwrap().to_string(),
            user_id: me,
            channel_id: channel_id.clone(),
            root_id: String::new(),
            use_count: 0,
        })
        .await
        .unwrap();
    Seed {
        session,
        secret,
        team_id,
        channel_id,
        message,
    }
}

/// The server on a copy serves what the original held: the guide's token and the session,
/// the team, channel and post, and the config.
async fn serves_the_same(s: &Server, seed: &Seed) {
    for t in [&seed.secret, &seed.session] {
        let me = s.get_ok("/api/v4/users/me", Some(t)).await;
        assert_eq!(me["username"], "admin");
    }
    let t = Some(seed.secret.as_str());
    let team = s
        .get_ok(&format!("/api/v4/teams/{}", seed.team_id), t)
        .await;
    assert_eq!(team["name"], "crew");
    let ch = s
        .get_ok(&format!("/api/v4/channels/{}", seed.channel_id), t)
        .await;
    assert_eq!(ch["name"], "ops");
    let posts = s
        .get_ok(&format!("/api/v4/channels/{}/posts", seed.channel_id), t)
        .await;
    assert!(
        posts["posts"]
            .as_object()
            .unwrap()
            .values()
            .any(|p| p["message"] == seed.message),
        "{posts}"
    );
    let cfg = s.state.config.get();
    assert_eq!(cfg.str("/TeamSettings/SiteName"), "Copied along");
    assert!(cfg.enable_user_access_tokens());
    // And it takes new writes (PostgreSQL's sequences continue after the copied rows).
    s.ok(
        "POST",
        "/api/v4/posts",
        t,
        json!({"channel_id": seed.channel_id, "message": "after the move"}),
    )
    .await;
}

async fn rustmost(args: &[&str]) -> (bool, String, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_rustmost"))
        .args(args)
        .env("HOME", std::env::temp_dir())
        .output()
        .await
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `db copy` and checks its report: every table there, populated, and equal on both sides.
async fn copy(from: &str, to: &str, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["db", "copy", "--from", from, "--to", to, "--json"];
    args.extend(extra);
    let (ok, out, err) = rustmost(&args).await;
    assert!(ok, "db copy {from} -> {to}: {err}");
    let report: Vec<Value> = serde_json::from_str(&out).unwrap();
    for t in &report {
        assert_eq!(t["ok"], true, "{t}");
        assert_eq!(t["source_rows"], t["target_rows"]);
        assert_eq!(t["source_checksum"], t["target_checksum"]);
        assert!(
            t["source_rows"].as_u64().unwrap() > 0,
            "an empty table: {t}"
        );
    }
    let tables: Vec<&str> = report
        .iter()
        .map(|t| t["table"].as_str().unwrap())
        .collect();
    for want in [
        "users",
        "sessions",
        "roles",
        "user_access_tokens",
        "bots",
        "audits",
        "teams",
        "team_members",
        "channels",
        "channel_members",
        "posts",
        "reactions",
        "incoming_webhooks",
        "outgoing_webhooks",
        "commands",
        "command_webhooks",
        "status",
        "configurations",
    ] {
        assert!(tables.contains(&want), "{want} not copied: {tables:?}");
    }
    report
}

/// A fresh database on the PostgreSQL server the tests may use.
async fn fresh_pg() -> Option<String> {
    use sqlx::Connection;
    let base = std::env::var("RUSTMOST_TEST_DATASOURCE")
        .ok()
        .filter(|s| !s.is_empty())?;
    let name = format!(
        "rustmost_copy_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let mut conn = sqlx::PgConnection::connect(&base).await.unwrap();
    sqlx::query(&format!(
        "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
    ))
    .execute(&mut conn)
    .await
    .unwrap();
    let _ = conn.close().await;
    let (head, query) = base.split_once('?').unwrap_or((&base, ""));
    let at = head.rfind('/').unwrap();
    let mut url = format!("{}/{name}", &head[..at]);
    if !query.is_empty() {
        url.push('?');
        url.push_str(query);
    }
    Some(url)
}

#[tokio::test]
async fn db_copy_moves_every_table_up_and_back_and_the_copies_serve_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("rustmost.db");
    let source = source.to_str().unwrap();
    let s = Server::start(source).await;
    let seed = populate(&s).await;
    s.stop().await;

    // Up: to PostgreSQL when there is one, else another SQLite file (named sqlite://).
    let (up, reverse_from) = match fresh_pg().await {
        Some(url) => (url.clone(), url),
        None => {
            let p = dir.path().join("up.db").display().to_string();
            (format!("sqlite://{p}"), p)
        }
    };
    copy(&format!("sqlite:{source}"), &up, &[]).await;
    // A second copy into the now full target is refused, and allowed with --force.
    let (ok, _, err) = rustmost(&["db", "copy", "--from", source, "--to", &up]).await;
    assert!(!ok);
    assert!(err.contains("not empty"), "{err}");
    copy(source, &up, &["--force"]).await;
    let on_up = Server::start(&reverse_from).await;
    serves_the_same(&on_up, &seed).await;
    on_up.stop().await;

    // And back down, to a bare path.
    let down = dir.path().join("down.db");
    let down = down.to_str().unwrap();
    copy(&up, down, &[]).await;
    let on_down = Server::start(down).await;
    serves_the_same(&on_down, &seed).await;
    on_down.stop().await;
    if up.starts_with("postgres://") {
        drop_pg(&up).await;
    }
}

/// Drops a database [`fresh_pg`] made.
async fn drop_pg(url: &str) {
    use sqlx::Connection;
    let base = std::env::var("RUSTMOST_TEST_DATASOURCE").unwrap();
    let name = url.split('?').next().unwrap().rsplit('/').next().unwrap();
    let mut conn = sqlx::PgConnection::connect(&base).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .unwrap();
    let _ = conn.close().await;
}

#[tokio::test]
async fn config_migrate_moves_a_config_file_into_a_database_with_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.json");
    let mut doc = json!({"ServiceSettings": {"SiteURL": "https://chat.example.com"},
                         "TeamSettings": {"SiteName": "Migrated"}});
    std::fs::write(&file, doc.to_string()).unwrap();
    let db = format!("sqlite:{}", dir.path().join("config.db").display());
    let (ok, out, err) =
        rustmost(&["config", "migrate", file.to_str().unwrap(), &db, "--json"]).await;
    assert!(ok, "{err}");
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap()["status"], "OK");
    let back = dir.path().join("back.json");
    let (ok, _, err) = rustmost(&["config", "migrate", &db, back.to_str().unwrap()]).await;
    assert!(ok, "{err}");
    let back: Value = serde_json::from_str(&std::fs::read_to_string(&back).unwrap()).unwrap();
    doc = back;
    assert_eq!(
        doc["ServiceSettings"]["SiteURL"],
        "https://chat.example.com"
    );
    assert_eq!(doc["TeamSettings"]["SiteName"], "Migrated");
    // A missing source is an error with the reason, not an empty copy.
    let (ok, _, err) = rustmost(&[
        "config",
        "migrate",
        dir.path().join("none.json").to_str().unwrap(),
        &db,
    ])
    .await;
    assert!(!ok);
    assert!(err.contains("no configuration there"), "{err}");
    assert!(Path::new(&dir.path().join("config.db")).exists());
}
