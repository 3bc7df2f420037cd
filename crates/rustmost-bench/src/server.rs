//! Starting the two servers (and a throwaway PostgreSQL cluster), filling Rustmost through its
//! API, and handing the minimal server the same data.

use anyhow::{Context, bail};
use futures_util::StreamExt;
use rustmost_store::{ChannelStore, PostStore, SessionStore, TeamStore, UserStore};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The release `rustmost` binary beside this one, built first unless `no_build`.
pub fn binary(no_build: bool) -> anyhow::Result<PathBuf> {
    if !no_build {
        println!("building: cargo build --release -p rustmost");
        let st = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "--release", "-p", "rustmost"])
            .status()
            .context("running cargo")?;
        if !st.success() {
            bail!("cargo build failed");
        }
    }
    let me = std::env::current_exe()?;
    let bin = me.with_file_name("rustmost");
    if !bin.exists() {
        bail!(
            "{} not found: build it with cargo build --release -p rustmost",
            bin.display()
        );
    }
    Ok(bin)
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Resident memory of a process, from `/proc`.
pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// A child killed on drop.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn wait_ready(base: &str) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    for _ in 0..600 {
        if let Ok(r) = http.get(format!("{base}/api/v4/system/ping")).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("{base} did not answer within 30 s")
}

pub enum Backend {
    Sqlite,
    Postgres(String),
}

/// The release server, started with `MM_*` variables in a temporary folder.
pub struct Rustmost {
    proc: Proc,
    pub base: String,
}

impl Rustmost {
    pub async fn start(bin: &Path, dir: &Path, backend: Backend) -> anyhow::Result<Self> {
        let port = free_port()?;
        let sub = dir.join(format!("rustmost-{port}"));
        std::fs::create_dir_all(&sub)?;
        let mut cmd = Command::new(bin);
        cmd.env("MM_CONFIG", sub.join("config.json"))
            .env(
                "MM_SERVICESETTINGS_LISTENADDRESS",
                format!("127.0.0.1:{port}"),
            )
            .env("MM_SERVICESETTINGS_ENABLEUSERACCESSTOKENS", "true")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        match backend {
            Backend::Sqlite => {
                // The sizes seeder writes to this file directly.
                cmd.env(
                    "MM_SQLSETTINGS_DATASOURCE",
                    dir.join("rustmost.db").display().to_string(),
                );
            }
            Backend::Postgres(url) => {
                cmd.env("MM_SQLSETTINGS_DRIVERNAME", "postgres")
                    .env("MM_SQLSETTINGS_DATASOURCE", url);
            }
        }
        let proc = Proc(cmd.spawn().context("starting rustmost")?);
        let base = format!("http://127.0.0.1:{port}");
        wait_ready(&base).await?;
        Ok(Rustmost { proc, base })
    }
    pub fn rss_kib(&self) -> u64 {
        rss_kib(self.proc.0.id())
    }
}

/// The minimal server: this binary's `minimal` subcommand, in its own process.
pub struct Minimal {
    proc: Proc,
    pub base: String,
}

impl Minimal {
    pub async fn start(database: &str) -> anyhow::Result<Self> {
        let port = free_port()?;
        let proc = Proc(
            Command::new(std::env::current_exe()?)
                .args([
                    "minimal",
                    "--listen",
                    &format!("127.0.0.1:{port}"),
                    "--database",
                    database,
                ])
                .spawn()?,
        );
        let base = format!("http://127.0.0.1:{port}");
        let m = Minimal { proc, base };
        wait_ready(&m.base).await?;
        Ok(m)
    }
    pub fn rss_kib(&self) -> u64 {
        rss_kib(self.proc.0.id())
    }
}

/// What the harness created in Rustmost.
pub struct Setup {
    http: reqwest::Client,
    pub user_id: String,
    pub session: String,
    pub pat: String,
    pub team_id: String,
    /// `channels[0]` is the main one, holding `posts`.
    pub channels: Vec<String>,
    pub posts: Vec<String>,
}

async fn ok_json(r: reqwest::RequestBuilder) -> anyhow::Result<Value> {
    let r = r.send().await?;
    let status = r.status();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("{status}: {body}");
    }
    Ok(body)
}

impl Setup {
    /// An admin with a session and an access token, a team, `n_channels` channels, and 100
    /// posts in the first.
    pub async fn create(base: &str, n_channels: usize) -> anyhow::Result<Self> {
        let http = reqwest::Client::new();
        let pw = "Bench-Passw0rd!";
        let u = ok_json(
            http.post(format!("{base}/api/v4/users"))
                .json(&json!({"username": "bench", "email": "bench@example.com", "password": pw})),
        )
        .await?;
        let r = http
            .post(format!("{base}/api/v4/users/login"))
            .json(&json!({"login_id": "bench", "password": pw}))
            .send()
            .await?;
        let session = r
            .headers()
            .get("Token")
            .context("login gave no token")?
            .to_str()?
            .to_string();
        let auth = |rb: reqwest::RequestBuilder| rb.bearer_auth(&session);
        let t = ok_json(
            auth(http.post(format!("{base}/api/v4/users/me/tokens")))
                .json(&json!({"description": "bench"})),
        )
        .await?;
        let pat = t["token"].as_str().context("token")?.to_string();
        let team = ok_json(
            auth(http.post(format!("{base}/api/v4/teams")))
                .json(&json!({"name": "bench", "display_name": "Bench", "type": "O"})),
        )
        .await?;
        let team_id = team["id"].as_str().context("team id")?.to_string();
        let channels: Vec<String> = futures_util::stream::iter(0..n_channels)
            .map(|i| {
                let (http, session, team_id, base) = (
                    http.clone(),
                    session.clone(),
                    team_id.clone(),
                    base.to_string(),
                );
                async move {
                    let c = ok_json(
                        http.post(format!("{base}/api/v4/channels"))
                            .bearer_auth(&session)
                            .json(&json!({"team_id": team_id, "name": format!("bench-{i}"),
                                "display_name": format!("Bench {i}"), "type": "O"})),
                    )
                    .await?;
                    anyhow::Ok((i, c["id"].as_str().unwrap_or_default().to_string()))
                }
            })
            .buffer_unordered(8)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<anyhow::Result<Vec<_>>>()?
            .into_iter()
            .fold(vec![String::new(); n_channels], |mut v, (i, id)| {
                v[i] = id;
                v
            });
        let mut posts = Vec::new();
        for i in 0..100 {
            let p = ok_json(
                auth(http.post(format!("{base}/api/v4/posts")))
                    .json(&json!({"channel_id": channels[0], "message": format!("seed post {i}")})),
            )
            .await?;
            posts.push(p["id"].as_str().unwrap_or_default().to_string());
        }
        Ok(Setup {
            http,
            user_id: u["id"].as_str().unwrap_or_default().to_string(),
            session,
            pat,
            team_id,
            channels,
            posts,
        })
    }

    async fn get(&self, base: &str, path: &str) -> anyhow::Result<Value> {
        ok_json(
            self.http
                .get(format!("{base}{path}"))
                .bearer_auth(&self.pat),
        )
        .await
    }

    /// Gives the minimal server the tokens, `/users/me`, the first `/users` page and the main
    /// channel's posts, exactly as Rustmost answered them.
    pub async fn seed_minimal(&self, base: &str, mini: &str) -> anyhow::Result<()> {
        let me = self.get(base, "/api/v4/users/me").await?;
        let mut tokens = serde_json::Map::new();
        tokens.insert(self.pat.clone(), me.clone());
        tokens.insert(self.session.clone(), me);
        self.post_seed(mini, json!({"tokens": tokens})).await?;
        self.seed_minimal_listing(base, mini, &self.channels[0])
            .await
    }

    /// Hands over the current `/users` page and `channel`'s posts.
    pub async fn seed_minimal_listing(
        &self,
        base: &str,
        mini: &str,
        channel: &str,
    ) -> anyhow::Result<()> {
        let users = self.get(base, "/api/v4/users?page=0&per_page=200").await?;
        let posts = self
            .get(base, &format!("/api/v4/channels/{channel}/posts"))
            .await?;
        let mut by = serde_json::Map::new();
        by.insert(channel.to_string(), posts);
        self.post_seed(mini, json!({"users_page": users, "posts": by}))
            .await
    }

    async fn post_seed(&self, mini: &str, v: Value) -> anyhow::Result<()> {
        let r = self
            .http
            .post(format!("{mini}/bench/seed"))
            .json(&v)
            .send()
            .await?;
        if !r.status().is_success() {
            bail!("seeding the minimal server: {}", r.status());
        }
        Ok(())
    }

    /// A new channel holding `n` posts (written straight to the database).
    pub async fn channel_with_posts(
        &self,
        base: &str,
        n: usize,
        seeder: &Seeder,
    ) -> anyhow::Result<String> {
        let c = ok_json(
            self.http
                .post(format!("{base}/api/v4/channels"))
                .bearer_auth(&self.session)
                .json(
                    &json!({"team_id": self.team_id, "name": format!("size-{n}"),
                    "display_name": format!("Size {n}"), "type": "O"}),
                ),
        )
        .await?;
        let id = c["id"].as_str().context("channel id")?.to_string();
        seeder.add_posts(&id, &self.user_id, n).await?;
        Ok(id)
    }
}

/// Writes users and posts straight into Rustmost's SQLite file (through the store, so the rows
/// are what the server writes), as creating 100k accounts through the API would hash 100k
/// passwords.
pub struct Seeder {
    store: rustmost_store_sql::SqliteStore,
}

impl Seeder {
    pub async fn open(path: &Path) -> anyhow::Result<Self> {
        let store =
            rustmost_store_sql::SqliteStore::connect(&format!("sqlite:{}", path.display())).await?;
        Ok(Seeder { store })
    }
    pub async fn count_users(&self) -> anyhow::Result<usize> {
        Ok(usize::try_from(self.store.count_users(true).await?)?)
    }
    pub async fn add_users(&self, n: usize) -> anyhow::Result<()> {
        let now = rustmost_model::now_ms();
        let start = self.count_users().await?;
        let mut tasks = futures_util::stream::iter(0..n)
            .map(|i| {
                let store = self.store.clone();
                async move {
                    let k = start + i;
                    let u = rustmost_model::user::User {
                        id: rustmost_model::new_id(),
                        create_at: now,
                        update_at: now,
                        username: format!("seeded{k:07}"),
                        email: format!("seeded{k:07}@example.com"),
                        first_name: "Seeded".into(),
                        last_name: format!("User {k}"),
                        roles: "system_user".into(),
                        password: "not-a-hash".into(),
                        locale: "en".into(),
                        ..Default::default()
                    };
                    store.insert_user(&u).await
                }
            })
            .buffer_unordered(4);
        while let Some(r) = tasks.next().await {
            r?;
        }
        Ok(())
    }
    /// `n` new users, each with a login session; returns (user id, session secret).
    pub async fn add_users_with_sessions(&self, n: usize) -> anyhow::Result<Vec<(String, String)>> {
        use sha2::Digest;
        let now = rustmost_model::now_ms();
        let start = self.count_users().await?;
        let mut out = Vec::with_capacity(n);
        let mut tasks = futures_util::stream::iter(0..n)
            .map(|i| {
                let store = self.store.clone();
                async move {
                    let k = start + i;
                    let u = rustmost_model::user::User {
                        id: rustmost_model::new_id(),
                        create_at: now,
                        update_at: now,
                        username: format!("wsuser{k:07}"),
                        email: format!("wsuser{k:07}@example.com"),
                        roles: "system_user".into(),
                        password: "not-a-hash".into(),
                        locale: "en".into(),
                        ..Default::default()
                    };
                    store.insert_user(&u).await?;
                    let secret = rustmost_model::new_id();
                    let hash: String = sha2::Sha256::digest(secret.as_bytes())
                        .iter()
                        .map(|b| format!("{b:02x}"))
                        .collect();
                    let mut props = std::collections::BTreeMap::new();
                    props.insert("csrf".to_string(), rustmost_model::new_id());
                    store
                        .insert_session(&rustmost_store::SessionRow {
                            id: rustmost_model::new_id(),
                            token_hash: hash,
                            create_at: now,
                            expires_at: now + 24 * 3_600_000,
                            last_activity_at: now,
                            user_id: u.id.clone(),
                            device_id: "bench".into(),
                            roles: "system_user".into(),
                            is_oauth: false,
                            props,
                        })
                        .await?;
                    anyhow::Ok((u.id, secret))
                }
            })
            .buffer_unordered(4);
        while let Some(r) = tasks.next().await {
            out.push(r?);
        }
        Ok(out)
    }

    /// Makes the users members of the team and the channel.
    pub async fn join(
        &self,
        team: &str,
        channel: &str,
        users: &[(String, String)],
    ) -> anyhow::Result<()> {
        let now = rustmost_model::now_ms();
        for (uid, _) in users {
            let mut tm = rustmost_model::team::TeamMember {
                team_id: team.into(),
                user_id: uid.clone(),
                roles: String::new(),
                delete_at: 0,
                scheme_guest: false,
                scheme_user: true,
                scheme_admin: false,
                explicit_roles: String::new(),
                create_at: now,
            };
            tm.compute_roles();
            self.store.save_team_member(&tm).await?;
            let mut cm = rustmost_model::channel::ChannelMember {
                channel_id: channel.into(),
                user_id: uid.clone(),
                last_viewed_at: now,
                last_update_at: now,
                scheme_user: true,
                ..Default::default()
            };
            cm.compute_roles();
            self.store.save_channel_member(&cm).await?;
        }
        Ok(())
    }

    pub async fn add_posts(&self, channel: &str, user: &str, n: usize) -> anyhow::Result<()> {
        let now = rustmost_model::now_ms() - i64::try_from(n)?;
        let mut tasks = futures_util::stream::iter(0..n)
            .map(|i| {
                let store = self.store.clone();
                let (channel, user) = (channel.to_string(), user.to_string());
                async move {
                    let at = now + i64::try_from(i).unwrap_or(0);
                    let p = rustmost_model::post::Post {
                        id: rustmost_model::new_id(),
                        create_at: at,
                        update_at: at,
                        user_id: user,
                        channel_id: channel,
                        message: format!("seeded post {i}"),
                        ..Default::default()
                    };
                    store.insert_post(&p).await
                }
            })
            .buffer_unordered(4);
        while let Some(r) = tasks.next().await {
            r?;
        }
        Ok(())
    }
}

/// A PostgreSQL server to create the benchmark databases on: one given by URL, or a throwaway
/// cluster started (and removed on drop) like `.ci/postgres-tests` does.
pub struct PgCluster {
    url: String,
    dir: Option<(PathBuf, PathBuf)>,
}

fn as_owner(script: &str) -> anyhow::Result<()> {
    let root = Command::new("id").arg("-u").output()?.stdout == b"0\n";
    let st = if root {
        Command::new("su")
            .args(["postgres", "-s", "/bin/bash", "-c", script])
            .status()?
    } else {
        Command::new("bash").args(["-c", script]).status()?
    };
    if !st.success() {
        bail!("failed: {script}");
    }
    Ok(())
}

impl PgCluster {
    pub fn get(spec: &str) -> anyhow::Result<Self> {
        if spec != "auto" {
            return Ok(PgCluster {
                url: spec.trim_end_matches('/').to_string(),
                dir: None,
            });
        }
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .context("PostgreSQL is not installed (apt-get install postgresql)")?
            .filter_map(|e| e.ok())
            .map(|e| e.path().join("bin"))
            .max()
            .context("no PostgreSQL version")?;
        let dir = tempfile::Builder::new()
            .prefix("rustmost-bench-pg")
            .tempdir()?
            .keep();
        let root = Command::new("id").arg("-u").output()?.stdout == b"0\n";
        if root {
            Command::new("chown").arg("postgres").arg(&dir).status()?;
        }
        let port = free_port()?;
        let (b, d) = (bin.display(), dir.display());
        as_owner(&format!(
            "'{b}/initdb' -D '{d}/data' -E UTF8 --locale=C -A trust -U rustmost >/dev/null"
        ))?;
        // Durable commits (fsync on): the naive insert pays what Rustmost pays.
        as_owner(&format!(
            "'{b}/pg_ctl' -D '{d}/data' -l '{d}/log' -w -o \"-p {port} -k '{d}' \
             -c listen_addresses=127.0.0.1 -c max_connections=200\" start >/dev/null"
        ))?;
        Ok(PgCluster {
            url: format!("postgres://rustmost@127.0.0.1:{port}"),
            dir: Some((bin, dir)),
        })
    }

    /// Creates (or re-creates) a database and returns its URL.
    pub async fn create_database(&self, name: &str) -> anyhow::Result<String> {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(&format!("{}/postgres", self.url)).await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
            .execute(&mut c)
            .await?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut c)
            .await?;
        Ok(format!("{}/{name}", self.url))
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        if let Some((bin, dir)) = &self.dir {
            let _ = as_owner(&format!(
                "'{}/pg_ctl' -D '{}/data' -m immediate stop >/dev/null 2>&1",
                bin.display(),
                dir.display()
            ));
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
