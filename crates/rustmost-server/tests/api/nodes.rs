//! Several nodes as one server (issue 14), on PostgreSQL: the configuration kept in the database
//! and shared within a second, cache notifications sent by the database inside the committing
//! transaction, one node per background job, and an outage survived. On SQLite each test says
//! why it is skipped, except the config migration, which runs on both.

use crate::common::{SqlArg, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The bound for a config change to reach every node.
const CONFIG_WINDOW: Duration = Duration::from_secs(1);

/// Polls `check` until it holds, failing after `within`; returns how long it took.
async fn eventually<F, Fut>(within: Duration, what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if check().await {
            return start.elapsed();
        }
        assert!(start.elapsed() < within, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The active configuration document in the database, as stored.
async fn stored_config(node: &TestServer) -> Value {
    let pool = sqlx::PgPool::connect(node.pg_url.as_ref().unwrap())
        .await
        .unwrap();
    let text: String = sqlx::query_scalar("SELECT value FROM configurations WHERE active")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn config_in_the_database_is_shared_by_every_node_within_a_second() {
    let a = TestServer::start().await;
    let Some(url) = a.pg_url.clone() else {
        eprintln!("config in the database: skipped, needs RUSTMOST_TEST_DATASOURCE=postgres://…");
        return;
    };
    // B and C keep their config in the database; C also has a per-node override.
    let b = a.start_peer_with(&url, &[]).await.unwrap();
    let c = a
        .start_peer_with(
            &url,
            &[("MM_SERVICESETTINGS_SITEURL", "http://c.example.com")],
        )
        .await
        .unwrap();
    let (_, admin) = a.admin().await;
    let (u, _) = a.user(&admin, "alice").await;
    let uid = u["id"].as_str().unwrap().to_string();
    a.grant_token_role(&admin, &uid).await;

    // Tokens on through B: C creates one, and it works on both.
    b.set_tokens_enabled(&admin, true).await;
    eventually(CONFIG_WINDOW, "tokens on reaching C", || async {
        c.state.config.get().enable_user_access_tokens()
    })
    .await;
    let (_, secret) = c.create_token(&admin, &uid, "shared").await;
    for n in [&b, &c] {
        assert_eq!(
            n.get("/api/v4/users/me", &secret).await.status,
            StatusCode::OK
        );
    }

    // Off through B: the existing token is refused on C within the second, then on again.
    for (on, want) in [(false, StatusCode::UNAUTHORIZED), (true, StatusCode::OK)] {
        b.set_tokens_enabled(&admin, on).await;
        let took = eventually(CONFIG_WINDOW, "tokens switch on C", || async {
            c.get("/api/v4/users/me", &secret).await.status == want
        })
        .await;
        eprintln!("EnableUserAccessTokens={on} reached the other node in {took:?}");
    }

    // Bot creation switched on through C is honoured by B.
    c.enable_bot_creation(&admin).await;
    let tries = std::sync::atomic::AtomicU32::new(0);
    eventually(CONFIG_WINDOW, "bot creation on B", || async {
        let n = tries.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let r = b
            .create_bot_with(&admin, json!({"username": format!("bot{n}")}))
            .await;
        if r.status != StatusCode::CREATED {
            r.assert_err(403, "api.bot.create_disabled");
        }
        r.status == StatusCode::CREATED
    })
    .await;

    // C's override is in effect on C only and never stored.
    assert_eq!(
        c.state.config.get().str("/ServiceSettings/SiteURL"),
        "http://c.example.com"
    );
    assert_ne!(
        b.state.config.get().str("/ServiceSettings/SiteURL"),
        "http://c.example.com"
    );
    let stored = stored_config(&a).await;
    assert_ne!(stored["ServiceSettings"]["SiteURL"], "http://c.example.com");
    assert_eq!(stored["ServiceSettings"]["EnableBotAccountCreation"], true);
    // A first document in a database points the data at it (so MM_CONFIG alone starts a node).
    assert_eq!(stored["SqlSettings"]["DataSource"], url.as_str());
    assert_eq!(stored["SqlSettings"]["DriverName"], "postgres");

    // A node started after the changes reads them.
    let d = a.start_peer_with(&url, &[]).await.unwrap();
    let cfg = d.state.config.get();
    assert!(cfg.enable_user_access_tokens());
    assert!(cfg.bool("/ServiceSettings/EnableBotAccountCreation"));
    assert_eq!(
        d.get("/api/v4/users/me", &secret).await.status,
        StatusCode::OK
    );
    // And the node whose config is a file is unaffected, as before.
    assert!(!a.state.config.get().enable_user_access_tokens());
}

#[tokio::test]
async fn config_migrate_copies_a_file_into_a_database_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.json");
    let mut doc: Value = serde_json::from_str(
        &std::fs::read_to_string({
            // A config.json as the server writes it, with a setting changed.
            let svc = rustmost_server::config::ConfigService::load(Some(file.clone()), Vec::new())
                .unwrap();
            svc.ensure_file().unwrap();
            &file
        })
        .unwrap(),
    )
    .unwrap();
    doc["ServiceSettings"]["SiteURL"] = json!("https://chat.example.com");
    doc["ServiceSettings"]["EnableUserAccessTokens"] = json!(true);
    std::fs::write(&file, serde_json::to_string_pretty(&doc).unwrap()).unwrap();

    let db = format!("sqlite:{}", dir.path().join("config.db").display());
    rustmost_server::config::migrate(file.to_str().unwrap(), &db)
        .await
        .unwrap();
    // A server whose MM_CONFIG is that database runs with the migrated settings.
    let opts = rustmost_server::ServerOptions {
        config_path: Some(PathBuf::from(&db)),
        env: vec![(
            "MM_SQLSETTINGS_DATASOURCE".into(),
            dir.path().join("data.db").display().to_string(),
        )],
    };
    let state = rustmost_server::build_state(&opts).await.unwrap();
    let cfg = state.config.get();
    assert_eq!(
        cfg.str("/ServiceSettings/SiteURL"),
        "https://chat.example.com"
    );
    assert!(cfg.enable_user_access_tokens());
    // A change saved there persists (without the env override) and migrates back to a file.
    state
        .config
        .patch(&json!({"TeamSettings": {"SiteName": "Moved"}}))
        .await
        .unwrap();
    drop(state);
    let back = dir.path().join("back.json");
    rustmost_server::config::migrate(&db, back.to_str().unwrap())
        .await
        .unwrap();
    let back: Value = serde_json::from_str(&std::fs::read_to_string(&back).unwrap()).unwrap();
    assert_eq!(back["TeamSettings"]["SiteName"], "Moved");
    assert_eq!(
        back["ServiceSettings"]["SiteURL"],
        "https://chat.example.com"
    );
    assert_eq!(
        back["SqlSettings"]["DataSource"],
        doc["SqlSettings"]["DataSource"]
    );
    // A source with nothing in it is refused, not copied as defaults.
    let never = dir.path().join("never.json");
    let empty = format!("sqlite:{}", dir.path().join("empty.db").display());
    assert!(
        rustmost_server::config::migrate(&empty, never.to_str().unwrap())
            .await
            .is_err()
    );
    assert!(!never.exists());
}

#[tokio::test]
async fn a_change_written_behind_the_servers_backs_is_announced_by_the_database() {
    let a = TestServer::start().await;
    let Some(b) = a.start_peer().await else {
        eprintln!("database notifications: skipped, needs RUSTMOST_TEST_DATASOURCE=postgres://…");
        return;
    };
    let (_, admin) = a.admin().await;
    let (u, token) = a.user(&admin, "erin").await;
    let uid = u["id"].as_str().unwrap();
    for n in [&a, &b] {
        for _ in 0..2 {
            assert_eq!(
                n.get("/api/v4/users/me", &token).await.status,
                StatusCode::OK
            );
        }
    }
    // No server sends anything for this delete: the trigger in its transaction does, so both
    // nodes drop the session long before the cache's maximum age.
    a.raw_execute(
        "DELETE FROM sessions WHERE user_id = $1",
        &[SqlArg::Text(uid)],
    )
    .await;
    for n in [&a, &b] {
        eventually(Duration::from_secs(2), "session dropped", || async {
            n.get("/api/v4/users/me", &token).await.status == StatusCode::UNAUTHORIZED
        })
        .await;
    }
    // Likewise a role change written directly.
    let (_, token) = a.user(&admin, "frank").await;
    let frank = b.get("/api/v4/users/me", &token).await.id();
    assert_eq!(
        b.get("/api/v4/config", &token).await.status,
        StatusCode::FORBIDDEN
    );
    a.raw_execute(
        "UPDATE users SET roles = 'system_user system_admin' WHERE id = $1",
        &[SqlArg::Text(&frank)],
    )
    .await;
    a.raw_execute(
        "UPDATE sessions SET roles = 'system_user system_admin' WHERE user_id = $1",
        &[SqlArg::Text(&frank)],
    )
    .await;
    eventually(Duration::from_secs(2), "promotion seen on B", || async {
        b.get("/api/v4/config", &token).await.status == StatusCode::OK
    })
    .await;
}

#[tokio::test]
async fn each_background_job_runs_on_exactly_one_node_and_another_takes_over() {
    let a = TestServer::start().await;
    let Some(b) = a.start_peer().await else {
        eprintln!("job leases: skipped, needs RUSTMOST_TEST_DATASOURCE=postgres://…");
        return;
    };
    let period = Duration::from_millis(100);
    let ja = rustmost_server::app::jobs::start(a.state.clone(), period);
    let jb = rustmost_server::app::jobs::start(b.state.clone(), period);
    eventually(Duration::from_secs(10), "a first run", || async {
        ja.runs() + jb.runs() >= 5
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (ra, rb) = (ja.runs(), jb.runs());
    assert!(
        (ra == 0) != (rb == 0),
        "exactly one node runs the job: {ra} and {rb} runs"
    );
    // The running node's jobs die (with their lease connection): the other takes over.
    let (leader, follower) = if ra > 0 { (ja, jb) } else { (jb, ja) };
    drop(leader);
    let took = eventually(Duration::from_secs(10), "take-over", || async {
        follower.runs() > 0
    })
    .await;
    eprintln!("the other node took the job over in {took:?}");
}

/// A throwaway PostgreSQL cluster of the test's own, to stop and start: the binaries Debian
/// installs, as `.ci/postgres-tests` uses them.
struct PgCluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

impl PgCluster {
    fn start() -> Option<Self> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|p| p.join("initdb").exists())
            .max()?;
        let dir = tempfile::tempdir().ok()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let c = PgCluster { bin, dir, port };
        if is_root() {
            assert!(
                std::process::Command::new("chown")
                    .args(["-R", "postgres"])
                    .arg(c.dir.path())
                    .status()
                    .unwrap()
                    .success()
            );
        }
        c.run(&format!(
            "'{}/initdb' -D '{}/data' -E UTF8 --locale=C -A trust -U rustmost",
            c.bin.display(),
            c.dir.path().display()
        ));
        c.up();
        Some(c)
    }

    fn run(&self, cmd: &str) {
        let status = if is_root() {
            std::process::Command::new("su")
                .args(["postgres", "-s", "/bin/bash", "-c", cmd])
                .stdout(std::process::Stdio::null())
                .status()
        } else {
            std::process::Command::new("bash")
                .args(["-c", cmd])
                .stdout(std::process::Stdio::null())
                .status()
        };
        assert!(status.unwrap().success(), "{cmd}");
    }

    fn up(&self) {
        let d = self.dir.path().display();
        self.run(&format!(
            "'{}/pg_ctl' -D '{d}/data' -l '{d}/log' -w -o \"-p {} -k '{d}' -c listen_addresses=127.0.0.1 -c fsync=off\" start",
            self.bin.display(),
            self.port
        ));
    }

    fn down(&self) {
        self.run(&format!(
            "'{}/pg_ctl' -D '{}/data' -m fast -w stop",
            self.bin.display(),
            self.dir.path().display()
        ));
    }

    fn url(&self) -> String {
        format!("postgres://rustmost@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let cmd = format!(
            "'{}/pg_ctl' -D '{}/data' -m immediate stop",
            self.bin.display(),
            self.dir.path().display()
        );
        let _ = if is_root() {
            std::process::Command::new("su")
                .args(["postgres", "-s", "/bin/bash", "-c", &cmd])
                .output()
        } else {
            std::process::Command::new("bash")
                .args(["-c", &cmd])
                .output()
        };
    }
}

fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

/// One answer under load: which node, what, how long it took.
struct Answer {
    status: StatusCode,
    body: Value,
    took: Duration,
    created: Option<String>,
}

#[tokio::test]
async fn postgres_stopped_and_restarted_under_load_answers_fast_and_recovers() {
    if crate::common::pg_base_url().is_none() {
        eprintln!(
            "outage: skipped, needs RUSTMOST_TEST_DATASOURCE=postgres://… (and the server binaries)"
        );
        return;
    }
    let Some(pg) = PgCluster::start() else {
        eprintln!("outage: skipped, no PostgreSQL server binaries under /usr/lib/postgresql");
        return;
    };
    let url = pg.url();
    let a = TestServer::start_node(&url, None, &[]).await;
    let b = TestServer::start_node(&url, None, &[]).await;
    let (_, admin) = a.admin().await;
    let nodes = std::sync::Arc::new([a, b]);

    // Load: both nodes create users and read, one request after another, until told to stop.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let answers = std::sync::Arc::new(parking_lot::Mutex::new(Vec::<(bool, Answer)>::new()));
    let down = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut load = Vec::new();
    for worker in 0..4usize {
        let (nodes, stop, answers, down, admin) = (
            nodes.clone(),
            stop.clone(),
            answers.clone(),
            down.clone(),
            admin.clone(),
        );
        load.push(tokio::spawn(async move {
            let mut i = 0usize;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let node = &nodes[(worker + i) % 2];
                let was_down = down.load(std::sync::atomic::Ordering::Relaxed);
                let start = Instant::now();
                let (r, created) = if i.is_multiple_of(2) {
                    let name = format!("load{worker}x{i}");
                    let r = node
                        .post(
                            "/api/v4/users",
                            &admin,
                            json!({"username": name, "email": format!("{name}@example.com"),
                                   "password": "User-Passw0rd!"}),
                        )
                        .await;
                    (r, Some(name))
                } else {
                    (node.get("/api/v4/users?per_page=5", &admin).await, None)
                };
                let took = start.elapsed();
                answers.lock().push((
                    was_down,
                    Answer {
                        status: r.status,
                        body: r.body,
                        took,
                        created: created.filter(|_| r.status == StatusCode::CREATED),
                    },
                ));
                i += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    pg.down();
    down.store(true, std::sync::atomic::Ordering::Relaxed);
    // During the outage: health says so, quickly, on both nodes.
    for n in nodes.iter() {
        let start = Instant::now();
        let r = n.server_status().await;
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "ping took {:?}",
            start.elapsed()
        );
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.body);
        assert_eq!(r.body["database_status"], "UNHEALTHY");
        assert_eq!(r.body["status"], "UNHEALTHY");
    }
    tokio::time::sleep(Duration::from_secs(6)).await;
    pg.up();
    down.store(false, std::sync::atomic::Ordering::Relaxed);
    // Recovery by itself: both nodes serve reads and writes again.
    for n in nodes.iter() {
        eventually(Duration::from_secs(30), "recovery", || async {
            n.get("/api/v4/users/me", &admin).await.status == StatusCode::OK
        })
        .await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for l in load {
        l.await.unwrap();
    }
    let answers = std::mem::take(&mut *answers.lock());
    let during: Vec<_> = answers.iter().filter(|(d, _)| *d).collect();
    assert!(!during.is_empty(), "requests were made during the outage");
    let mut refused = 0;
    for (_, a) in &answers {
        assert!(
            a.took < Duration::from_secs(5),
            "an answer took {:?}",
            a.took
        );
        if a.status.is_server_error() {
            refused += 1;
            assert!(
                a.body["id"].is_string(),
                "a 5xx that is not an AppError: {}",
                a.body
            );
            assert_eq!(a.body["status_code"], a.status.as_u16());
        } else {
            assert!(a.status.is_success(), "{}: {}", a.status, a.body);
        }
    }
    assert!(refused > 0, "the outage refused something");
    let slowest = answers
        .iter()
        .map(|(_, a)| a.took)
        .max()
        .unwrap_or_default();
    eprintln!(
        "outage: {} answers ({} during the outage), {refused} refused with a 5xx, slowest {slowest:?}",
        answers.len(),
        during.len()
    );
    // Nothing acknowledged was lost.
    let [a, b] = &*nodes;
    let acked: Vec<&String> = answers
        .iter()
        .filter_map(|(_, a)| a.created.as_ref())
        .collect();
    assert!(!acked.is_empty());
    for name in acked {
        let r = b
            .get(&format!("/api/v4/users/username/{name}"), &admin)
            .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{name} was acknowledged, then lost"
        );
    }
    // The LISTEN connections are back, and with them the caches they guard: a logout on A is
    // refused on B at once.
    let (_, token) = a.user(&admin, "after").await;
    eventually(Duration::from_secs(30), "listeners back", || async {
        b.get("/api/v4/users/me", &token).await.status == StatusCode::OK
            && a.raw_execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = 'rustmost_cache_listener'",
                &[],
            )
            .await
                >= 2
    })
    .await;
    for _ in 0..2 {
        assert_eq!(
            b.get("/api/v4/users/me", &token).await.status,
            StatusCode::OK
        );
    }
    let r = a
        .req(Method::POST, "/api/v4/users/logout", Some(&token), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    eventually(Duration::from_secs(2), "logout seen on B", || async {
        b.get("/api/v4/users/me", &token).await.status == StatusCode::UNAUTHORIZED
    })
    .await;
    drop(nodes);
}
