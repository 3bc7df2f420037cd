//! The command-line client end to end: an in-process server on a loopback port, and the real
//! `rustmost` binary run against it with its own credential folder.

use serde_json::{Value, json};
use std::path::Path;

struct Server {
    url: String,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl Server {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let opts = rustmost_server::ServerOptions {
            config_path: Some(dir.path().join("config.json")),
            env: vec![(
                "MM_SQLSETTINGS_DATASOURCE".into(),
                dir.path().join("rustmost.db").display().to_string(),
            )],
        };
        let state = rustmost_server::build_state(&opts).await.expect("state");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            rustmost_server::serve_with_listener(state, listener, async {
                let _ = rx.await;
            })
            .await
            .expect("serve");
        });
        Server {
            url,
            http: reqwest::Client::new(),
            _dir: dir,
            _shutdown: tx,
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        tok: Option<&str>,
        body: Value,
    ) -> (u16, Value, Option<String>) {
        let mut rb = self.http.request(method, format!("{}{path}", self.url));
        if let Some(t) = tok {
            rb = rb.bearer_auth(t);
        }
        if !body.is_null() {
            rb = rb.json(&body);
        }
        let r = rb.send().await.unwrap();
        let status = r.status().as_u16();
        let token = r
            .headers()
            .get("Token")
            .map(|v| v.to_str().unwrap().to_string());
        let v = r.json::<Value>().await.unwrap_or(Value::Null);
        (status, v, token)
    }

    /// First user (system admin) created anonymously, then a login: the session token.
    async fn admin_session(&self) -> String {
        let (s, b, _) = self
            .call(
                reqwest::Method::POST,
                "/api/v4/users",
                None,
                json!({"username":"admin","email":"admin@example.com","password":"Admin-Passw0rd!"}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        let (s, b, t) = self
            .call(
                reqwest::Method::POST,
                "/api/v4/users/login",
                None,
                json!({"login_id":"admin","password":"Admin-Passw0rd!"}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        t.expect("Token header")
    }
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!("stdout is not JSON ({e}): {}\n{}", self.stdout, self.stderr)
        })
    }
    fn ok(self) -> Self {
        assert_eq!(
            self.code, 0,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }
}

/// Runs the binary with `RUSTMOST_CONFIG_DIR=cfg` and no inherited client variables.
async fn rm(cfg: &Path, args: &[&str], env: &[(&str, &str)]) -> Out {
    let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_rustmost"));
    c.args(args)
        .env("RUSTMOST_CONFIG_DIR", cfg)
        .env_remove("RUSTMOST_URL")
        .env_remove("RUSTMOST_TOKEN")
        .env_remove("MM_CONFIG");
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().await.expect("run rustmost");
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guide_flow_entirely_with_the_cli() {
    let srv = Server::start().await;
    let admin_tok = srv.admin_session().await;
    let admin_cfg = tempfile::tempdir().unwrap();
    let a = admin_cfg.path();
    let user_cfg = tempfile::tempdir().unwrap();
    let u = user_cfg.path();

    // The admin saves a credential and tests it.
    rm(
        a,
        &[
            "auth",
            "login",
            "--url",
            &format!("{}/", srv.url),
            "--token",
            &admin_tok,
            "--name",
            "admin",
        ],
        &[],
    )
    .await
    .ok();
    let t = rm(a, &["auth", "test"], &[]).await.ok();
    assert!(t.stdout.contains("Connection successful"), "{}", t.stdout);

    // Personal access tokens are off by default; the admin turns them on.
    let v = rm(
        a,
        &["config", "get", "ServiceSettings.EnableUserAccessTokens"],
        &[],
    )
    .await
    .ok();
    assert_eq!(v.json(), json!(false));
    let v = rm(
        a,
        &[
            "config",
            "set",
            "ServiceSettings.EnableUserAccessTokens",
            "true",
        ],
        &[],
    )
    .await
    .ok();
    assert_eq!(v.json(), json!(true));
    let v = rm(
        a,
        &["config", "get", "ServiceSettings/EnableUserAccessTokens"],
        &[],
    )
    .await
    .ok();
    assert_eq!(v.json(), json!(true));

    // A user, a team and a channel they belong to.
    let alice = rm(
        a,
        &[
            "user",
            "create",
            "--username",
            "alice",
            "--email",
            "alice@example.com",
            "--password",
            "Alice-Passw0rd!",
        ],
        &[],
    )
    .await
    .ok()
    .json();
    let alice_id = alice["id"].as_str().unwrap().to_string();
    let team = rm(
        a,
        &[
            "team",
            "create",
            "--name",
            "guide",
            "--display-name",
            "Guide",
        ],
        &[],
    )
    .await
    .ok()
    .json();
    let team_id = team["id"].as_str().unwrap().to_string();
    rm(a, &["team", "add-user", "guide", "alice"], &[])
        .await
        .ok();
    let ch = rm(
        a,
        &[
            "channel",
            "create",
            "--team",
            "guide",
            "--name",
            "news",
            "--display-name",
            "News",
        ],
        &[],
    )
    .await
    .ok()
    .json();
    assert_eq!(ch["type"], "O");
    assert_eq!(ch["team_id"], team_id.as_str());
    let ch_id = ch["id"].as_str().unwrap().to_string();
    rm(
        a,
        &["channel", "add-user", &ch_id, "alice@example.com"],
        &[],
    )
    .await
    .ok();

    // alice logs in with her password (the guide's "Account Settings" step) and cannot
    // create a token until the admin grants the role.
    let (s, _, alice_session) = srv
        .call(
            reqwest::Method::POST,
            "/api/v4/users/login",
            None,
            json!({"login_id":"alice","password":"Alice-Passw0rd!"}),
        )
        .await;
    assert_eq!(s, 200);
    let alice_session = alice_session.unwrap();
    let denied = rm(
        u,
        &["token", "create", "--description", "n8n"],
        &[
            ("RUSTMOST_URL", &srv.url),
            ("RUSTMOST_TOKEN", &alice_session),
        ],
    )
    .await;
    assert_ne!(denied.code, 0);
    assert!(denied.stderr.contains("HTTP 403"), "{}", denied.stderr);

    let roles = rm(
        a,
        &["user", "roles", "add", "alice", "system_user_access_token"],
        &[],
    )
    .await
    .ok()
    .json();
    assert_eq!(roles["roles"], "system_user system_user_access_token");
    let got = rm(a, &["user", "get", &alice_id], &[]).await.ok().json();
    assert_eq!(got["roles"], "system_user system_user_access_token");

    let created = rm(
        u,
        &[
            "token",
            "create",
            "--description",
            "n8n",
            "--expires-in",
            "90d",
        ],
        &[
            ("RUSTMOST_URL", &srv.url),
            ("RUSTMOST_TOKEN", &alice_session),
        ],
    )
    .await
    .ok()
    .json();
    let pat = created["token"].as_str().unwrap().to_string();
    assert_eq!(created["user_id"], alice_id.as_str());
    assert!(created["expires_at"].as_i64().unwrap() > rustmost_model_now() + 89 * 86_400_000);

    // alice saves it like n8n's credential and the credential test passes.
    rm(
        u,
        &["auth", "login", "--url", &srv.url, "--token", &pat],
        &[],
    )
    .await
    .ok();
    let t = rm(u, &["auth", "test"], &[]).await.ok();
    assert!(t.stdout.contains("Connection successful"));

    // A post with an attachment from a file and one inline, in a thread.
    let att_file = u.join("att.json");
    std::fs::write(
        &att_file,
        r##"{"title":"Att title","text":"Att text","color":"#00ff00","fields":[{"title":"F1","value":"V1","short":true}]}"##,
    )
    .unwrap();
    let root = rm(
        u,
        &["message", "post", "--channel", &ch_id, "--message", "root"],
        &[],
    )
    .await
    .ok()
    .json();
    let root_id = root["id"].as_str().unwrap().to_string();
    let post = rm(
        u,
        &[
            "message",
            "post",
            "--channel",
            &ch_id,
            "--message",
            "Hello from the CLI",
            "--attachment",
            att_file.to_str().unwrap(),
            "--attachment",
            r#"{"title":"Second","text":"inline"}"#,
            "--root-id",
            &root_id,
        ],
        &[],
    )
    .await
    .ok()
    .json();
    let post_id = post["id"].as_str().unwrap().to_string();

    // The post is visible through the API with its attachments.
    let (s, got, _) = srv
        .call(
            reqwest::Method::GET,
            &format!("/api/v4/posts/{post_id}"),
            Some(&admin_tok),
            Value::Null,
        )
        .await;
    assert_eq!(s, 200, "{got}");
    assert_eq!(got["message"], "Hello from the CLI");
    assert_eq!(got["root_id"], root_id.as_str());
    assert_eq!(got["user_id"], alice_id.as_str());
    let atts = got["props"]["attachments"].as_array().unwrap();
    assert_eq!(atts.len(), 2);
    assert_eq!(atts[0]["title"], "Att title");
    assert_eq!(atts[0]["fields"][0]["value"], "V1");
    assert_eq!(atts[1]["text"], "inline");

    // Reactions: create (colons stripped), list, delete.
    let r = rm(u, &["reaction", "create", &post_id, ":thumbsup:"], &[])
        .await
        .ok()
        .json();
    assert_eq!(r["emoji_name"], "thumbsup");
    assert_eq!(r["user_id"], alice_id.as_str());
    let l = rm(u, &["reaction", "list", &post_id], &[])
        .await
        .ok()
        .json();
    assert_eq!(l.as_array().unwrap().len(), 1);
    rm(u, &["reaction", "delete", &post_id, "thumbsup"], &[])
        .await
        .ok();
    let l = rm(u, &["reaction", "list", &post_id], &[])
        .await
        .ok()
        .json();
    assert_eq!(l, json!([]));

    // Her tokens are listed without secrets; the admin sees them too.
    let mine = rm(u, &["token", "list", "--user", "me"], &[])
        .await
        .ok()
        .json();
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert!(mine[0].get("token").is_none());
    let all = rm(a, &["token", "list"], &[]).await.ok().json();
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == created["id"])
    );

    // Disabling the token makes the saved credential fail the test, enabling restores it.
    let tid = created["id"].as_str().unwrap().to_string();
    rm(a, &["token", "disable", &tid], &[]).await.ok();
    assert_ne!(rm(u, &["auth", "test"], &[]).await.code, 0);
    rm(a, &["token", "enable", &tid], &[]).await.ok();
    rm(u, &["auth", "test"], &[]).await.ok();

    // Rotation: the old secret stops working, the new one works.
    let rot = rm(u, &["token", "rotate", &tid], &[]).await.ok().json();
    let new_secret = rot["token"].as_str().unwrap().to_string();
    assert_ne!(new_secret, pat);
    assert_ne!(rm(u, &["auth", "test"], &[]).await.code, 0);
    rm(u, &["auth", "test", "--token", &new_secret], &[])
        .await
        .ok();
    rm(u, &["auth", "test"], &[("RUSTMOST_TOKEN", &new_secret)])
        .await
        .ok();
    rm(a, &["token", "revoke", &tid], &[]).await.ok();
    assert_ne!(
        rm(u, &["auth", "test", "--token", &new_secret], &[])
            .await
            .code,
        0
    );
}

fn rustmost_model_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_token_shows_the_401_message_and_fails() {
    let srv = Server::start().await;
    srv.admin_session().await;
    let cfg = tempfile::tempdir().unwrap();
    rm(
        cfg.path(),
        &[
            "auth",
            "login",
            "--url",
            &srv.url,
            "--token",
            "not-a-real-token",
        ],
        &[],
    )
    .await
    .ok();
    let o = rm(cfg.path(), &["auth", "test"], &[]).await;
    assert_eq!(o.code, 1, "{}", o.stdout);
    assert!(o.stdout.is_empty());
    assert!(o.stderr.contains("HTTP 401"), "{}", o.stderr);
    assert!(
        o.stderr.contains("api.context.session_expired.app_error"),
        "{}",
        o.stderr
    );
    assert!(!o.stderr.contains("not-a-real-token"), "{}", o.stderr);

    // Other commands fail the same way.
    let o = rm(cfg.path(), &["user", "list"], &[]).await;
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("HTTP 401"), "{}", o.stderr);

    // Nothing reachable: a clear transport error, non-zero.
    let o = rm(
        cfg.path(),
        &["auth", "test", "--url", "http://127.0.0.1:9"],
        &[],
    )
    .await;
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("cannot reach the server"), "{}", o.stderr);

    // No credential at all.
    let empty = tempfile::tempdir().unwrap();
    let o = rm(empty.path(), &["auth", "test"], &[]).await;
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("rustmost auth login"), "{}", o.stderr);
}

#[tokio::test]
async fn credential_file_is_0600_and_list_hides_tokens() {
    let cfg = tempfile::tempdir().unwrap();
    let c = cfg.path().join("nested");
    rm(
        &c,
        &[
            "auth",
            "login",
            "--url",
            "http://a.example",
            "--token",
            "secret-one",
        ],
        &[],
    )
    .await
    .ok();
    rm(
        &c,
        &[
            "auth",
            "login",
            "--url",
            "https://b.example/",
            "--token",
            "secret-two",
            "--name",
            "b",
            "--insecure",
        ],
        &[],
    )
    .await
    .ok();
    let file = c.join("credentials.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(saved["current"], "b");
    assert_eq!(saved["credentials"]["b"]["url"], "https://b.example");

    let l = rm(&c, &["auth", "list"], &[]).await.ok();
    assert!(!l.stdout.contains("secret-"), "{}", l.stdout);
    let v = l.json();
    assert_eq!(v.as_array().unwrap().len(), 2);
    assert_eq!(v[1]["name"], "default");
    assert_eq!(v[0]["current"], true);
    assert_eq!(v[0]["insecure"], true);
    let t = rm(&c, &["auth", "list", "-o", "table"], &[]).await.ok();
    assert!(t.stdout.starts_with("NAME"), "{}", t.stdout);
    assert!(!t.stdout.contains("secret-"));

    rm(&c, &["auth", "use", "default"], &[]).await.ok();
    assert_ne!(rm(&c, &["auth", "use", "nope"], &[]).await.code, 0);
    rm(&c, &["auth", "remove", "b"], &[]).await.ok();
    let v = rm(&c, &["auth", "list"], &[]).await.ok().json();
    assert_eq!(
        v,
        json!([{"name":"default","url":"http://a.example","insecure":false,"current":true}])
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
