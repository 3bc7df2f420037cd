//! The command-line client end to end: an in-process server on a loopback port, and the real
//! `rustmost` binary run against it with its own credential folder.

#[path = "support/api.rs"]
mod api;
#[path = "support/exe.rs"]
mod exe;

use exe::refused_start;
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
        Self::start_with(&[]).await
    }

    /// A server whose config also takes these `MM_*` settings.
    async fn start_with(env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut envs: Vec<(String, String)> = vec![(
            "MM_SQLSETTINGS_DATASOURCE".into(),
            dir.path().join("rustmost.db").display().to_string(),
        )];
        envs.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let tls = env
            .iter()
            .any(|(k, v)| *k == "MM_SERVICESETTINGS_CONNECTIONSECURITY" && *v == "TLS");
        let opts = rustmost_server::ServerOptions {
            config_path: Some(dir.path().join("config.json")),
            env: envs,
        };
        let state = rustmost_server::build_state(&opts).await.expect("state");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let scheme = if tls { "https" } else { "http" };
        let url = format!("{scheme}://{}", listener.local_addr().unwrap());
        let (tx, _) = api::serve(state, listener);
        Server {
            url,
            // The tests' own calls accept the self-signed certificates of the TLS tests.
            http: reqwest::Client::builder()
                .danger_accept_invalid_certs(true)
                .build()
                .unwrap(),
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
        api::call(&self.http, &self.url, method, path, tok, body).await
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

/// A command line as the binary's arguments, split at spaces as a shell would split one
/// without quotes (so no argument holds a space).
fn argv(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

/// A fresh credential folder logged in to `url` with the access token `token`.
async fn logged_in(url: &str, token: &str) -> tempfile::TempDir {
    let cfg = tempfile::tempdir().unwrap();
    rm_ok(cfg.path(), &["auth", "login", url, "--access-token", token]).await;
    cfg
}

/// As `rm` with no extra environment, asserting failure with `expected` in stderr.
async fn rm_err(cfg: &Path, args: &[&str], expected: &str) -> Out {
    let o = rm(cfg, args, &[]).await;
    assert_ne!(o.code, 0, "stdout: {}", o.stdout);
    assert!(o.stderr.contains(expected), "{}", o.stderr);
    o
}

/// As `rm` with no extra environment, asserting success.
async fn rm_ok(cfg: &Path, args: &[&str]) -> Out {
    rm(cfg, args, &[]).await.ok()
}

/// As [`rm_ok`], returning stdout as JSON.
async fn rm_json(cfg: &Path, args: &[&str]) -> Value {
    rm_ok(cfg, args).await.json()
}

/// As `rm`, with `input` written to the binary's stdin.
async fn rm_in(cfg: &Path, args: &[&str], input: &str) -> Out {
    use tokio::io::AsyncWriteExt;
    let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_rustmost"));
    c.args(args)
        .env("RUSTMOST_CONFIG_DIR", cfg)
        .env_remove("RUSTMOST_URL")
        .env_remove("RUSTMOST_TOKEN")
        .env_remove("MM_CONFIG")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().expect("run rustmost");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).await.unwrap();
    drop(stdin);
    let o = child.wait_with_output().await.unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// mmctl's spellings, both output modes, and secrets read from files and stdin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mmctl_spellings_output_modes_and_secrets_off_the_command_line() {
    let srv = Server::start().await;
    let admin_tok = srv.admin_session().await;
    let cfg = tempfile::tempdir().unwrap();
    let a = cfg.path();
    let tok_file = a.join("token.txt");
    std::fs::write(&tok_file, format!("{admin_tok}\n")).unwrap();
    let pw_file = a.join("pw.txt");
    std::fs::write(&pw_file, "Admin-Passw0rd!\n").unwrap();
    let tf = tok_file.to_str().unwrap();

    // Token from a file, URL positional as in mmctl.
    rm_ok(
        a,
        &[
            "auth",
            "login",
            &srv.url,
            "--access-token-file",
            tf,
            "--name",
            "file",
        ],
    )
    .await;
    rm_ok(a, &argv("auth test")).await;
    let cur = rm_ok(a, &argv("auth current --json")).await;
    assert_eq!(
        cur.json(),
        json!({"name":"file","url":srv.url,"insecure":false})
    );
    // Token from stdin.
    rm_in(
        a,
        &argv(&format!(
            "auth login {} --access-token - --name stdin",
            srv.url
        )),
        &format!("{admin_tok}\n"),
    )
    .await
    .ok();
    rm_ok(a, &argv("auth test")).await;
    // Username and password file: a session token is saved.
    rm_ok(
        a,
        &[
            "auth",
            "login",
            &srv.url,
            "--username",
            "admin",
            "--password-file",
            pw_file.to_str().unwrap(),
            "--name",
            "pw",
        ],
    )
    .await;
    rm_ok(a, &argv("auth test")).await;
    let bad_pw = a.join("bad.txt");
    std::fs::write(&bad_pw, "wrong-password").unwrap();
    rm_err(
        a,
        &[
            "auth",
            "login",
            &srv.url,
            "--username",
            "admin",
            "--password-file",
            bad_pw.to_str().unwrap(),
            "--name",
            "bad",
        ],
        "api.user.login.invalid_credentials_email_username",
    )
    .await;
    // Empty secrets are refused, never saved.
    let e = rm_in(
        a,
        &argv(&format!(
            "auth login {} --access-token - --name empty",
            srv.url
        )),
        "",
    )
    .await;
    assert_ne!(e.code, 0);
    assert!(e.stderr.contains("empty"), "{}", e.stderr);

    // No token anywhere in what the CLI prints, in either format.
    for args in [
        &["auth", "list"][..],
        &["auth", "list", "-o", "table"],
        &["auth", "current"],
    ] {
        let o = rm(a, args, &[]).await.ok();
        assert!(
            !o.stdout.contains(&admin_tok) && !o.stderr.contains(&admin_tok),
            "{args:?}"
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let m = std::fs::metadata(a.join("credentials.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(m & 0o777, 0o600);
    }
    rm_ok(a, &argv("auth switch file")).await;
    rm_ok(a, &argv("auth delete stdin")).await;
    let names: Vec<Value> = rm_json(a, &argv("auth list"))
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].clone())
        .collect();
    assert_eq!(names, vec![json!("file"), json!("pw")]);

    // Channels by `team:channel`, posts and reactions with mmctl's words.
    rm_ok(a, &argv("team create --name crew --display-name Crew")).await;
    let ch = rm_json(
        a,
        &argv("channel create --team crew --name ops --display-name Ops"),
    )
    .await;
    assert_eq!(ch["name"], "ops");
    let root = rm_json(
        a,
        &["post", "create", "crew:ops", "--message", "deploy started"],
    )
    .await;
    assert_eq!(root["channel_id"], ch["id"]);
    let att = a.join("att.json");
    std::fs::write(&att, r##"[{"text":"green","color":"#00ff00"}]"##).unwrap();
    let reply = rm(
        a,
        &[
            "post",
            "create",
            ch["id"].as_str().unwrap(),
            "--message",
            "done",
            "--reply-to",
            root["id"].as_str().unwrap(),
            "--attachments",
            att.to_str().unwrap(),
        ],
        &[],
    )
    .await
    .ok()
    .json();
    assert_eq!(reply["root_id"], root["id"]);
    assert_eq!(reply["props"]["attachments"][0]["text"], "green");
    let pid = root["id"].as_str().unwrap();
    rm_ok(a, &["reaction", "add", pid, "rocket"]).await;
    let l = rm_json(a, &["reaction", "list", pid, "--json"]).await;
    assert_eq!(l[0]["emoji_name"], "rocket");
    rm_ok(a, &["reaction", "remove", pid, "rocket"]).await;
    let l = rm_json(a, &["reaction", "list", pid]).await;
    assert!(l.as_array().is_none_or(|a| a.is_empty()), "{l}");

    // Tokens: `generate <user> <description>` and `create <user> --description`.
    rm_ok(
        a,
        &argv("config set ServiceSettings.EnableUserAccessTokens true"),
    )
    .await;
    let g = rm_json(a, &argv("token generate admin from-generate")).await;
    assert_eq!(g["description"], "from-generate");
    assert!(!g["token"].as_str().unwrap().is_empty());
    let c = rm_json(a, &argv("token create admin --description from-create")).await;
    assert_eq!(c["description"], "from-create");
    let l = rm_json(a, &argv("token list admin")).await;
    assert_eq!(l.as_array().unwrap().len(), 2);

    // Output: JSON into a pipe by default, with --json, with -o json; a table on request.
    for args in [
        &["user", "list"][..],
        &["user", "list", "--json"],
        &["user", "list", "-o", "json"],
    ] {
        let v = rm(a, args, &[]).await.ok().json();
        assert_eq!(v[0]["username"], "admin", "{args:?}");
    }
    let t = rm_ok(a, &argv("user list -o table")).await;
    assert!(t.stdout.starts_with("ID"), "{}", t.stdout);
    assert!(t.stdout.contains("admin@example.com"), "{}", t.stdout);
    assert!(serde_json::from_str::<Value>(&t.stdout).is_err());
    assert_ne!(rm(a, &argv("user list --json -o table"), &[]).await.code, 0);

    // A refusal: non-zero, the server's message and its AppError id.
    let e = rm_err(
        a,
        &argv("channel create --team crew --name ops --display-name Ops"),
        "store.sql_channel.save_channel.exists.app_error",
    )
    .await;
    assert!(e.stdout.is_empty());
}

/// A server speaking TLS with a self-signed certificate: refused with a clear message, then
/// accepted with `--insecure` or a credential saved with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_signed_tls_refused_then_accepted_with_insecure() {
    let certs = tempfile::tempdir().unwrap();
    let ck =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let cert = certs.path().join("tls.crt");
    let key = certs.path().join("tls.key");
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.key_pair.serialize_pem()).unwrap();
    let srv = Server::start_with(&[
        ("MM_SERVICESETTINGS_CONNECTIONSECURITY", "TLS"),
        ("MM_SERVICESETTINGS_TLSCERTFILE", cert.to_str().unwrap()),
        ("MM_SERVICESETTINGS_TLSKEYFILE", key.to_str().unwrap()),
    ])
    .await;
    assert!(srv.url.starts_with("https://"));
    let tok = srv.admin_session().await;
    let cfg = tempfile::tempdir().unwrap();
    let c = cfg.path();
    let refused = rm(
        c,
        &argv(&format!("auth test --url {} --token {tok}", srv.url)),
        &[],
    )
    .await;
    assert_ne!(refused.code, 0);
    assert!(
        refused.stderr.contains("certificate is not trusted")
            && refused.stderr.contains("--insecure"),
        "{}",
        refused.stderr
    );
    let ok = rm_ok(
        c,
        &argv(&format!(
            "auth test --url {} --token {tok} --insecure",
            srv.url
        )),
    )
    .await;
    assert!(ok.stdout.contains("Connection successful"));
    // The credential's "Ignore SSL Issues" flag does the same for every later command.
    rm_in(
        c,
        &argv(&format!(
            "auth login {} --access-token - --insecure",
            srv.url
        )),
        &tok,
    )
    .await
    .ok();
    let me = rm_json(c, &argv("user get admin")).await;
    assert_eq!(me["username"], "admin");
    // So does the event stream, over `wss://`.
    rm_ok(c, &argv("team create --name tls --display-name TLS")).await;
    let town = rm_json(c, &argv("channel search --team tls town-square")).await;
    let mut l = Listener::spawn(c, &["--event", "posted", "--json", "--count", "1"]);
    l.status_until("listening").await;
    let (s, b, _) = srv
        .call(
            reqwest::Method::POST,
            "/api/v4/posts",
            Some(&tok),
            json!({"channel_id": town[0]["id"], "message": "over TLS"}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(posted_message(&l.event_line().await), "over TLS");
}

/// Waits for the server to create its local-mode socket (it binds it as serving starts).
async fn wait_for_socket(p: &Path) {
    for _ in 0..100 {
        if p.exists() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the server never created {}", p.display());
}

/// mmctl's `--local`: the first admin, the config and the first token set up with no password
/// and no network; refused when local mode is off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_mode_sets_up_a_server_with_no_token_and_is_refused_when_off() {
    let sock_dir = tempfile::tempdir().unwrap();
    let sock = sock_dir.path().join("rustmost_local.socket");
    let sp = sock.to_str().unwrap();
    let srv = Server::start_with(&[
        ("MM_SERVICESETTINGS_ENABLELOCALMODE", "true"),
        ("MM_SERVICESETTINGS_LOCALMODESOCKETLOCATION", sp),
    ])
    .await;
    wait_for_socket(&sock).await;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let m = std::fs::metadata(&sock).unwrap().permissions().mode();
        assert_eq!(m & 0o777, 0o600);
    }
    let cfg = tempfile::tempdir().unwrap();
    let c = cfg.path();
    let pw = c.join("pw");
    std::fs::write(&pw, "Admin-Passw0rd!").unwrap();
    let local = ["--local", "--local-socket", sp];
    let run = |args: &[&str]| {
        let mut v: Vec<String> = local.iter().map(|s| s.to_string()).collect();
        v.extend(args.iter().map(|s| s.to_string()));
        v
    };
    let go = |args: Vec<String>| async move {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        rm(c, &a, &[]).await
    };
    let u = go(run(&[
        "user",
        "create",
        "--username",
        "root",
        "--email",
        "root@example.com",
        "--password-file",
        pw.to_str().unwrap(),
    ]))
    .await
    .ok()
    .json();
    assert_eq!(u["username"], "root");
    // Admin-only calls succeed with no token at all.
    go(run(&[
        "config",
        "set",
        "ServiceSettings.EnableUserAccessTokens",
        "true",
    ]))
    .await
    .ok();
    let v = go(run(&[
        "config",
        "get",
        "ServiceSettings.EnableUserAccessTokens",
    ]))
    .await
    .ok()
    .json();
    assert_eq!(v, json!(true));
    go(run(&[
        "user",
        "roles",
        "add",
        "root",
        "system_user_access_token",
    ]))
    .await
    .ok();
    let t = go(run(&["token", "generate", "root", "first-token"]))
        .await
        .ok()
        .json();
    let tok = t["token"].as_str().unwrap().to_string();
    // Events need a user to listen as, which local mode has not: a clear refusal.
    let ev = go(run(&["events"])).await;
    assert_ne!(ev.code, 0);
    assert!(
        ev.stderr.contains("local mode has no user"),
        "{}",
        ev.stderr
    );
    // The token minted locally works over the network.
    let ok = rm_ok(
        c,
        &argv(&format!("auth test --url {} --token {tok}", srv.url)),
    )
    .await;
    assert!(ok.stdout.contains("Connection successful"));
    // The same admin call over TCP without a token is refused.
    let e = rm(
        c,
        &argv(&format!("config get --url {} --token x", srv.url)),
        &[],
    )
    .await;
    assert_ne!(e.code, 0);

    // Local mode off: no socket, a clear refusal.
    let off_dir = tempfile::tempdir().unwrap();
    let off = off_dir.path().join("off.socket");
    let _plain = Server::start_with(&[(
        "MM_SERVICESETTINGS_LOCALMODESOCKETLOCATION",
        off.to_str().unwrap(),
    )])
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(!off.exists());
    rm_err(
        c,
        &[
            "--local",
            "--local-socket",
            off.to_str().unwrap(),
            "user",
            "list",
        ],
        "EnableLocalMode",
    )
    .await;
    // The socket goes away with the server.
    drop(srv);
    for _ in 0..100 {
        if !sock.exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(!sock.exists(), "the socket outlived the server");
    rm_err(
        c,
        &run(&["user", "list"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        "EnableLocalMode",
    )
    .await;
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
    rm_ok(
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
    )
    .await;
    let t = rm_ok(a, &argv("auth test")).await;
    assert!(t.stdout.contains("Connection successful"), "{}", t.stdout);

    // Personal access tokens are off by default; the admin turns them on.
    assert_eq!(
        rm_json(
            a,
            &argv("config get ServiceSettings.EnableUserAccessTokens")
        )
        .await,
        json!(false)
    );
    assert_eq!(
        rm_json(
            a,
            &argv("config set ServiceSettings.EnableUserAccessTokens true")
        )
        .await,
        json!(true)
    );
    assert_eq!(
        rm_json(
            a,
            &argv("config get ServiceSettings/EnableUserAccessTokens")
        )
        .await,
        json!(true)
    );

    // A user, a team and a channel they belong to.
    let alice = rm_json(
        a,
        &argv("user create --username alice --email alice@example.com --password Alice-Passw0rd!"),
    )
    .await;
    let alice_id = alice["id"].as_str().unwrap().to_string();
    let team = rm_json(a, &argv("team create --name guide --display-name Guide")).await;
    let team_id = team["id"].as_str().unwrap().to_string();
    rm_ok(a, &argv("team add-user guide alice")).await;
    let ch = rm_json(
        a,
        &argv("channel create --team guide --name news --display-name News"),
    )
    .await;
    assert_eq!(ch["type"], "O");
    assert_eq!(ch["team_id"], team_id.as_str());
    let ch_id = ch["id"].as_str().unwrap().to_string();
    rm_ok(
        a,
        &argv(&format!("channel add-user {ch_id} alice@example.com")),
    )
    .await;

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
        &argv("token create --description n8n"),
        &[
            ("RUSTMOST_URL", &srv.url),
            ("RUSTMOST_TOKEN", &alice_session),
        ],
    )
    .await;
    assert_ne!(denied.code, 0);
    assert!(denied.stderr.contains("HTTP 403"), "{}", denied.stderr);

    let roles = rm_json(a, &argv("user roles add alice system_user_access_token")).await;
    assert_eq!(roles["roles"], "system_user system_user_access_token");
    let got = rm_json(a, &argv(&format!("user get {alice_id}"))).await;
    assert_eq!(got["roles"], "system_user system_user_access_token");

    let created = rm(
        u,
        &argv("token create --description n8n --expires-in 90d"),
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
    rm_ok(
        u,
        &argv(&format!("auth login --url {} --token {pat}", srv.url)),
    )
    .await;
    let t = rm_ok(u, &argv("auth test")).await;
    assert!(t.stdout.contains("Connection successful"));

    // A post with an attachment from a file and one inline, in a thread.
    let att_file = u.join("att.json");
    std::fs::write(
        &att_file,
        r##"{"title":"Att title","text":"Att text","color":"#00ff00","fields":[{"title":"F1","value":"V1","short":true}]}"##,
    )
    .unwrap();
    let root = rm_json(u, &argv("message post --channel guide:news --message root")).await;
    let root_id = root["id"].as_str().unwrap().to_string();
    let post = rm_json(
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
    )
    .await;
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
    assert_eq!(root["channel_id"], ch_id.as_str());
    assert_eq!(got["user_id"], alice_id.as_str());
    let atts = got["props"]["attachments"].as_array().unwrap();
    assert_eq!(atts.len(), 2);
    assert_eq!(atts[0]["title"], "Att title");
    assert_eq!(atts[0]["fields"][0]["value"], "V1");
    assert_eq!(atts[1]["text"], "inline");

    // Reactions: create (colons stripped), list, delete.
    let r = rm_json(u, &argv(&format!("reaction create {post_id} :thumbsup:"))).await;
    assert_eq!(r["emoji_name"], "thumbsup");
    assert_eq!(r["user_id"], alice_id.as_str());
    let l = rm_json(u, &argv(&format!("reaction list {post_id}"))).await;
    assert_eq!(l.as_array().unwrap().len(), 1);
    rm_ok(u, &argv(&format!("reaction delete {post_id} thumbsup"))).await;
    let l = rm_json(u, &argv(&format!("reaction list {post_id}"))).await;
    assert_eq!(l, json!([]));

    // `+1` goes raw in the delete path, as n8n sends it.
    let plus = rm_json(u, &argv(&format!("reaction create {post_id} +1"))).await;
    assert_eq!(plus["emoji_name"], "+1");
    rm_ok(u, &argv(&format!("reaction delete {post_id} :+1:"))).await;
    let l = rm_json(u, &argv(&format!("reaction list {post_id}"))).await;
    assert_eq!(l, json!([]));

    // Her tokens are listed without secrets; the admin sees them too.
    let mine = rm_json(u, &argv("token list --user me")).await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert!(mine[0].get("token").is_none());
    let all = rm_json(a, &argv("token list")).await;
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == created["id"])
    );

    // Disabling the token makes the saved credential fail the test, enabling restores it.
    let tid = created["id"].as_str().unwrap().to_string();
    rm_ok(a, &argv(&format!("token disable {tid}"))).await;
    assert_ne!(rm(u, &argv("auth test"), &[]).await.code, 0);
    rm_ok(a, &argv(&format!("token enable {tid}"))).await;
    rm_ok(u, &argv("auth test")).await;

    // Rotation: the old secret stops working, the new one works.
    let rot = rm_json(u, &argv(&format!("token rotate {tid}"))).await;
    let new_secret = rot["token"].as_str().unwrap().to_string();
    assert_ne!(new_secret, pat);
    assert_ne!(rm(u, &argv("auth test"), &[]).await.code, 0);
    rm_ok(u, &argv(&format!("auth test --token {new_secret}"))).await;
    rm(u, &argv("auth test"), &[("RUSTMOST_TOKEN", &new_secret)])
        .await
        .ok();
    rm_ok(a, &argv(&format!("token revoke {tid}"))).await;
    assert_ne!(
        rm(u, &argv(&format!("auth test --token {new_secret}")), &[])
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

/// Every n8n Mattermost node operation, plus the mmctl-style bot, user and config commands.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn n8n_node_operations_and_admin_commands() {
    let srv = Server::start().await;
    let admin_tok = srv.admin_session().await;
    let cfg = tempfile::tempdir().unwrap();
    let a = cfg.path();
    rm_ok(
        a,
        &argv(&format!("auth login --url {} --token {admin_tok}", srv.url)),
    )
    .await;
    let admin_id = rm_json(a, &argv("user get me")).await["id"]
        .as_str()
        .unwrap()
        .to_string();

    // user.create (email and non-email), getByEmail, getById, search, list filters, invite.
    let bob = rm_json(
        a,
        &argv(
            "user create --username bob --email bob+x@example.com --password \
             Bob-Passw0rd! --first-name Bob",
        ),
    )
    .await;
    assert_eq!(bob["first_name"], "Bob");
    let bob_id = bob["id"].as_str().unwrap().to_string();
    rm_err(
        a,
        &argv("user create --username carol"),
        "--email and --password",
    )
    .await;
    let by_mail = rm_json(a, &argv("user get-by-email bob+x@example.com")).await;
    assert_eq!(by_mail["id"], bob_id.as_str());
    let by_ids = rm_json(a, &["user", "get-by-id", &format!("{bob_id}, {admin_id}")]).await;
    assert_eq!(by_ids.as_array().unwrap().len(), 2);
    let later = (rustmost_model_now() + 3_600_000).to_string();
    let none = rm_json(a, &["user", "get-by-id", &bob_id, "--since", &later]).await;
    assert_eq!(none, json!([]));
    let s = rm_json(a, &argv("user search bob")).await;
    assert_eq!(s["id"], bob_id.as_str());
    rm_err(a, &argv("user search nobody"), "HTTP 404").await;

    let team = rm_json(a, &argv("team create --name ops --display-name Ops")).await;
    let team_id = team["id"].as_str().unwrap().to_string();
    let teams = rm_ok(a, &argv("team list -o table")).await;
    assert!(
        teams.stdout.lines().nth(1).unwrap().contains("ops"),
        "{}",
        teams.stdout
    );
    rm_ok(a, &argv(&format!("team add-user {team_id} {bob_id}"))).await;

    let all = rm_json(a, &argv("user list --all")).await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    let one = rm_json(a, &argv("user list --per-page 1")).await;
    assert_eq!(one.as_array().unwrap().len(), 1);
    let in_team = rm_json(a, &argv("user list --in-team ops --sort username")).await;
    let names: Vec<&str> = in_team
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"bob") && names.contains(&"admin"),
        "{names:?}"
    );
    let bad_sort = rm(a, &argv("user list --sort status"), &[]).await;
    assert_ne!(bad_sort.code, 0);
    let table = rm_ok(a, &argv("user list -o table")).await;
    assert!(table.stdout.starts_with("ID"), "{}", table.stdout);
    assert_eq!(table.stdout.lines().count(), 3);

    let invite = [
        "user",
        "invite",
        "--team",
        "ops",
        "x1@example.com, x2@example.com",
    ];
    let off = rm(a, &invite, &[]).await;
    assert_ne!(off.code, 0);
    assert!(
        off.stderr
            .contains("api.team.invite_members.disabled.app_error")
            && off.stderr.contains("HTTP 501"),
        "{}",
        off.stderr
    );
    rm_ok(
        a,
        &argv("config set ServiceSettings.EnableEmailInvitations true"),
    )
    .await;
    assert_eq!(rm(a, &invite, &[]).await.ok().json()["status"], "OK");

    // channel.create (private), addUser, members (+resolve, limit), search, statistics,
    // delete, restore.
    let ch = rm_json(
        a,
        &argv(&format!(
            "channel create --team {team_id} --name secret --display-name Secret --private"
        )),
    )
    .await;
    assert_eq!(ch["type"], "P");
    let ch_id = ch["id"].as_str().unwrap().to_string();
    let m = rm_json(a, &argv(&format!("channel add-user {ch_id} bob"))).await;
    assert_eq!(m["user_id"], bob_id.as_str());
    let members = rm_json(a, &argv(&format!("channel members {ch_id}"))).await;
    assert_eq!(members.as_array().unwrap().len(), 2);
    let resolved = rm_json(
        a,
        &argv(&format!("channel members {ch_id} --resolve --limit 1")),
    )
    .await;
    assert_eq!(resolved.as_array().unwrap().len(), 1);
    assert!(resolved[0]["username"].is_string());
    let open = rm_json(
        a,
        &argv("channel create --team ops --name lobby --display-name Lobby"),
    )
    .await;
    let found = rm_json(a, &argv("channel search --team ops lob")).await;
    assert!(
        found
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == open["id"]),
        "{found}"
    );
    let listed = rm_json(a, &argv("channel list --team ops")).await;
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "lobby")
    );
    let stats = rm_json(a, &argv(&format!("channel statistics {ch_id}"))).await;
    assert_eq!(stats["member_count"], 2);
    let by_name = rm_json(a, &argv("channel statistics ops:secret")).await;
    assert_eq!(by_name["channel_id"], ch_id.as_str());
    let del = rm_json(a, &argv("channel delete ops:secret")).await;
    assert_eq!(del["status"], "OK");
    let restored = rm_json(a, &argv("channel restore ops:secret")).await;
    assert_eq!(restored["delete_at"], 0);

    // message.postEphemeral and message.delete.
    let eph = rm_json(
        a,
        &argv(&format!(
            "message post-ephemeral --channel {ch_id} --user bob --message psst"
        )),
    )
    .await;
    assert_eq!(eph["message"], "psst");
    let p = rm_ok(
        a,
        &argv(&format!(
            "message post --channel {ch_id} --message bye -o table"
        )),
    )
    .await;
    let post_id = p
        .stdout
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let bad_att = rm(
        a,
        &[
            "message",
            "post",
            "--channel",
            &ch_id,
            "--message",
            "x",
            "--attachment",
            "[1]",
        ],
        &[],
    )
    .await;
    assert_ne!(bad_att.code, 0);
    let d = rm_json(a, &argv(&format!("message delete {post_id}"))).await;
    assert_eq!(d["status"], "OK");
    let (s, _, _) = srv
        .call(
            reqwest::Method::GET,
            &format!("/api/v4/posts/{post_id}"),
            Some(&admin_tok),
            Value::Null,
        )
        .await;
    assert_eq!(s, 404);

    // user deactivate / activate.
    rm_ok(a, &argv("user deactivate bob")).await;
    assert_ne!(
        rm(a, &argv(&format!("user get {bob_id}")), &[])
            .await
            .json()["delete_at"],
        0
    );
    rm_ok(a, &argv("user activate bob")).await;
    assert_eq!(
        rm(a, &argv(&format!("user get {bob_id}")), &[])
            .await
            .json()["delete_at"],
        0
    );
    let set = rm_json(
        a,
        &[
            "user",
            "roles",
            "set",
            "bob",
            "system_user,system_user_access_token",
        ],
    )
    .await;
    assert_eq!(set["roles"], "system_user system_user_access_token");
    let rem = rm_json(a, &argv("user roles remove bob system_user_access_token")).await;
    assert_eq!(rem["roles"], "system_user");

    // Bots: create, list, disable, enable, assign; and a token for the bot.
    let refused = rm(a, &argv("bot create --username robo"), &[]).await;
    assert!(
        refused.stderr.contains("api.bot.create_disabled"),
        "{}",
        refused.stderr
    );
    rm_ok(
        a,
        &argv("config set ServiceSettings.EnableBotAccountCreation true"),
    )
    .await;
    let bot = rm_json(a, &argv("bot create --username robo --display-name Robo")).await;
    assert_eq!(bot["owner_id"], admin_id.as_str());
    let bots = rm_json(a, &argv("bot list")).await;
    assert_eq!(bots.as_array().unwrap().len(), 1);
    let dis = rm_json(a, &argv("bot disable robo")).await;
    assert_ne!(dis["delete_at"], 0);
    assert_eq!(rm_json(a, &argv("bot list")).await, json!([]));
    assert_eq!(
        rm_json(a, &argv("bot list --include-deleted"))
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let en = rm_json(a, &argv("bot enable robo")).await;
    assert_eq!(en["delete_at"], 0);
    let asg = rm_json(a, &argv("bot assign robo bob")).await;
    assert_eq!(asg["owner_id"], bob_id.as_str());
    let bt = rm_json(
        a,
        &[
            "token",
            "create",
            "--user",
            "robo",
            "--description",
            "bot token",
        ],
    )
    .await;
    rm(
        a,
        &["auth", "test", "--token", bt["token"].as_str().unwrap()],
        &[],
    )
    .await
    .ok();

    // config patch from a file and from stdin-less bad input.
    let patch = a.join("patch.json");
    std::fs::write(&patch, r#"{"TeamSettings":{"MaxUsersPerTeam":77}}"#).unwrap();
    let out = rm_json(a, &["config", "patch", patch.to_str().unwrap()]).await;
    assert_eq!(out["TeamSettings"]["MaxUsersPerTeam"], 77);
    assert_eq!(
        rm_json(a, &argv("config get TeamSettings.MaxUsersPerTeam")).await,
        json!(77)
    );
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_rustmost"))
        .args(["config", "patch", "-"])
        .env("RUSTMOST_CONFIG_DIR", a)
        .env_remove("RUSTMOST_URL")
        .env_remove("RUSTMOST_TOKEN")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use tokio::io::AsyncWriteExt;
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(br#"{"TeamSettings":{"MaxUsersPerTeam":55}}"#)
            .await
            .unwrap();
    }
    let o = child.wait_with_output().await.unwrap();
    assert!(o.status.success());
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["TeamSettings"]["MaxUsersPerTeam"], 55);
    let typo = rm(a, &argv("config set TeamSettings.NoSuchKey 1"), &[]).await;
    assert_ne!(typo.code, 0);
    let not_json = rm(
        a,
        &argv("config set TeamSettings.MaxUsersPerTeam many"),
        &[],
    )
    .await;
    assert_ne!(not_json.code, 0);
    let site = rm_json(
        a,
        &argv("config set ServiceSettings.SiteURL http://chat.example"),
    )
    .await;
    assert_eq!(site, json!("http://chat.example"));
}

#[test]
fn serve_is_the_server() {
    let err = refused_start(&["serve"], &[("MM_SQLSETTINGS_DRIVERNAME", "mysql")]);
    assert!(err.contains("DriverName"), "{err}");
}

#[tokio::test]
async fn shell_completions_and_the_man_page() {
    let cfg = tempfile::tempdir().unwrap();
    let c = cfg.path();
    let bash = rm_ok(c, &argv("completion bash")).await.stdout;
    assert!(
        bash.contains("_rustmost()") && bash.contains("complete -F"),
        "{bash}"
    );
    assert!(bash.contains("generate"), "token generate is completed");
    let zsh = rm_ok(c, &argv("completion zsh")).await.stdout;
    assert!(zsh.starts_with("#compdef rustmost"), "{zsh}");
    let fish = rm_ok(c, &argv("completion fish")).await.stdout;
    assert!(fish.contains("complete -c rustmost"), "{fish}");
    assert_ne!(rm(c, &argv("completion tcsh"), &[]).await.code, 0);
    let man = rm_ok(c, &argv("man")).await.stdout;
    assert!(man.contains(".TH rustmost"), "{man}");
    assert!(man.contains("completion") && man.contains("auth"), "{man}");
}

/// Posts of a channel, newest first, as the server lists them.
async fn channel_messages(srv: &Server, tok: &str, channel_id: &str) -> Vec<String> {
    let (s, b, _) = srv
        .call(
            reqwest::Method::GET,
            &format!("/api/v4/channels/{channel_id}/posts"),
            Some(tok),
            Value::Null,
        )
        .await;
    assert_eq!(s, 200, "{b}");
    b["order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| {
            b["posts"][id.as_str().unwrap()]["message"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

/// mmctl's `webhook` spellings: create, modify, list, show and delete both kinds, in both
/// output modes, with the server's refusal shown with its AppError id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_commands_with_mmctl_spellings() {
    let srv = Server::start().await;
    let admin_tok = srv.admin_session().await;
    let cfg = logged_in(&srv.url, &admin_tok).await;
    let a = cfg.path();
    rm_ok(a, &argv("team create --name hooks --display-name Hooks")).await;
    let alerts = rm_json(
        a,
        &argv("channel create --team hooks --name alerts --display-name Alerts"),
    )
    .await;
    let alerts_id = alerts["id"].as_str().unwrap().to_string();

    let inc = rm_json(
        a,
        &argv(
            "webhook create-incoming --channel hooks:alerts --user admin --display-name \
             CI --description builds --lock-to-channel --icon https://example.com/ci.png",
        ),
    )
    .await;
    let inc_id = inc["id"].as_str().unwrap().to_string();
    assert_eq!(inc["channel_id"], alerts_id.as_str());
    assert_eq!(inc["channel_locked"], true);
    assert_eq!(inc["display_name"], "CI");
    // The hook made by the CLI really posts.
    let r = srv
        .http
        .post(format!("{}/hooks/{inc_id}", srv.url))
        .json(&json!({"text": "built by the CLI's hook"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        channel_messages(&srv, &admin_tok, &alerts_id).await[0],
        "built by the CLI's hook"
    );

    let m = rm_json(
        a,
        &argv(&format!(
            "webhook modify-incoming {inc_id} --display-name Deploys --lock-to-channel=false"
        )),
    )
    .await;
    assert_eq!(m["display_name"], "Deploys");
    assert_eq!(
        m["description"], "builds",
        "flags left out keep their value"
    );
    assert_eq!(m["channel_locked"], false);
    let m = rm_json(
        a,
        &argv(&format!(
            "webhook modify-incoming {inc_id} --description d2"
        )),
    )
    .await;
    assert_eq!(
        m["channel_locked"], false,
        "an absent --lock-to-channel keeps the lock"
    );

    let out = rm_json(
        a,
        &argv(
            "webhook create-outgoing --team hooks --channel hooks:alerts --display-name \
             builder --trigger-word build --trigger-word test --trigger-when start --url \
             http://127.0.0.1:9/hook --content-type application/json",
        ),
    )
    .await;
    let out_id = out["id"].as_str().unwrap().to_string();
    assert_eq!(out["trigger_words"], json!(["build", "test"]));
    assert_eq!(out["trigger_when"], 1);
    assert_eq!(out["channel_id"], alerts_id.as_str());
    assert_eq!(out["content_type"], "application/json");
    assert_eq!(out["token"].as_str().unwrap().len(), 26);
    let bad = rm(
        a,
        &argv(
            "webhook create-outgoing --team hooks --display-name x --trigger-word x \
             --trigger-when sometimes --url http://127.0.0.1:9/x",
        ),
        &[],
    )
    .await;
    assert_ne!(bad.code, 0);
    assert!(
        bad.stderr.contains("exact") && bad.stderr.contains("start"),
        "{}",
        bad.stderr
    );
    // Without a channel, upstream requires trigger words: the server's refusal and its id.
    rm_err(
        a,
        &argv("webhook create-outgoing --team hooks --display-name x --url http://127.0.0.1:9/x"),
        "api.webhook.create_outgoing.triggers.app_error",
    )
    .await;

    let m = rm_json(
        a,
        &argv(&format!(
            "webhook modify-outgoing {out_id} --url http://127.0.0.1:9/v2 --trigger-when exact"
        )),
    )
    .await;
    assert_eq!(m["callback_urls"], json!(["http://127.0.0.1:9/v2"]));
    assert_eq!(m["trigger_words"], json!(["build", "test"]));
    assert_eq!(m["trigger_when"], 0);
    assert_eq!(m["token"], out["token"], "modifying keeps the token");

    let list = rm_json(a, &argv("webhook list hooks")).await;
    assert_eq!(list["incoming_webhooks"][0]["id"], inc_id.as_str());
    assert_eq!(list["outgoing_webhooks"][0]["id"], out_id.as_str());
    let all = rm_json(a, &argv("webhook list --json")).await;
    assert_eq!(all, list, "no team named: every team");
    let table = rm_ok(a, &argv("webhook list -o table")).await.stdout;
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].starts_with("KIND") && lines[0].contains("DISPLAY_NAME"),
        "{table}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("incoming") && l.contains(&inc_id) && l.contains("Deploys")),
        "{table}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("outgoing") && l.contains(&out_id)),
        "{table}"
    );

    assert_eq!(
        rm_json(a, &argv(&format!("webhook show {inc_id}"))).await["display_name"],
        "Deploys"
    );
    assert_eq!(
        rm_json(a, &argv(&format!("webhook show {out_id}"))).await["display_name"],
        "builder"
    );
    rm_err(
        a,
        &argv("webhook show aaaaaaaaaaaaaaaaaaaaaaaaaa"),
        "no webhook",
    )
    .await;

    rm_ok(a, &argv(&format!("webhook delete {inc_id}"))).await;
    let r = srv
        .http
        .post(format!("{}/hooks/{inc_id}", srv.url))
        .json(&json!({"text": "after delete"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "a deleted hook no longer posts");
    rm_ok(a, &argv(&format!("webhook delete {out_id}"))).await;
    let empty = rm_json(a, &argv("webhook list hooks")).await;
    assert_eq!(
        empty,
        json!({"incoming_webhooks": [], "outgoing_webhooks": []})
    );

    rm_ok(
        a,
        &argv("config set ServiceSettings.EnableIncomingWebhooks false"),
    )
    .await;
    let off = rm(
        a,
        &argv(&format!("webhook create-incoming --channel {alerts_id}")),
        &[],
    )
    .await;
    assert_ne!(off.code, 0);
    assert!(
        off.stderr
            .contains("api.incoming_webhook.disabled.app_error")
            && off.stderr.contains("HTTP 501"),
        "{}",
        off.stderr
    );
}

/// mmctl's `command` spellings: create, list, show, modify, move, archive/delete, and
/// `execute` running a built-in command.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slash_command_commands_with_mmctl_spellings() {
    let srv = Server::start_with(&[("MM_SERVICESETTINGS_SITEURL", "http://127.0.0.1:9")]).await;
    let admin_tok = srv.admin_session().await;
    let cfg = logged_in(&srv.url, &admin_tok).await;
    let a = cfg.path();
    for t in ["cmds", "other"] {
        rm_ok(a, &["team", "create", "--name", t, "--display-name", t]).await;
    }
    let c = rm(
        a,
        &[
            "command",
            "create",
            "cmds",
            "--title",
            "Deploy",
            "--description",
            "Deploys things",
            "--trigger-word",
            "deploy",
            "--url",
            "http://127.0.0.1:9/slash",
            "--creator",
            "admin",
            "--response-username",
            "deployer",
            "--icon",
            "https://example.com/d.png",
            "--autocomplete",
            "--autocompleteDesc",
            "Deploy a build",
            "--autocompleteHint",
            "[env]",
            "--post",
        ],
        &[],
    )
    .await
    .ok()
    .json();
    let cid = c["id"].as_str().unwrap().to_string();
    assert_eq!(c["trigger"], "deploy");
    assert_eq!(c["method"], "P");
    assert_eq!(c["auto_complete"], true);
    assert_eq!(c["auto_complete_hint"], "[env]");
    assert_eq!(c["display_name"], "Deploy");

    rm_err(
        a,
        &argv("command create cmds --trigger-word /x --url http://127.0.0.1:9/s"),
        "cannot begin with a /",
    )
    .await;
    rm_err(
        a,
        &argv("command create cmds --trigger-word deploy --url http://127.0.0.1:9/s"),
        "api.command.duplicate_trigger.app_error",
    )
    .await;

    let list = rm_json(a, &argv("command list cmds")).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["id"], cid.as_str());
    assert_eq!(list[0]["token"], c["token"]);
    let table = rm_ok(a, &argv("command list -o table")).await.stdout;
    assert!(
        table.lines().next().unwrap().starts_with("ID") && table.contains("deploy"),
        "{table}"
    );

    let m = rm_json(
        a,
        &[
            "command",
            "modify",
            &cid,
            "--title",
            "Deploy 2",
            "--post=false",
            "--autocomplete=false",
        ],
    )
    .await;
    assert_eq!(m["display_name"], "Deploy 2");
    assert_eq!(m["method"], "G");
    assert_eq!(m["auto_complete"], false);
    assert_eq!(
        m["url"], "http://127.0.0.1:9/slash",
        "flags left out keep their value"
    );
    rm_err(
        a,
        &["command", "modify", &cid, "--trigger-word", "two words"],
        "must not contain spaces",
    )
    .await;

    let moved = rm_json(a, &argv(&format!("command move other {cid}"))).await;
    assert_eq!(moved["status"], "OK");
    let other_id = rm_json(a, &argv(&format!("command show {cid}"))).await["team_id"].clone();
    let other = srv
        .call(
            reqwest::Method::GET,
            "/api/v4/teams/name/other",
            Some(&admin_tok),
            Value::Null,
        )
        .await
        .1;
    assert_eq!(other_id, other["id"]);

    // `execute` runs a built-in in a channel as the credential's user.
    let ts = srv
        .call(
            reqwest::Method::GET,
            "/api/v4/teams/name/cmds",
            Some(&admin_tok),
            Value::Null,
        )
        .await
        .1;
    let (_, town, _) = srv
        .call(
            reqwest::Method::GET,
            &format!(
                "/api/v4/teams/{}/channels/name/town-square",
                ts["id"].as_str().unwrap()
            ),
            Some(&admin_tok),
            Value::Null,
        )
        .await;
    rm_ok(
        a,
        &["command", "execute", "cmds:town-square", "/shrug shipped"],
    )
    .await;
    assert_eq!(
        channel_messages(&srv, &admin_tok, town["id"].as_str().unwrap()).await[0],
        "shipped ¯\\\\\\_(ツ)\\_/¯"
    );

    let archived = rm_json(a, &argv(&format!("command archive {cid}"))).await;
    assert_eq!(archived["status"], "OK");
    rm_err(
        a,
        &argv(&format!("command show {cid}")),
        "store.sql_command.save.get.app_error",
    )
    .await;
    let gone = rm(a, &argv(&format!("command delete {cid}")), &[]).await;
    assert_ne!(gone.code, 0);
}

/// A TCP relay in front of the server whose connections can be cut, and which refuses new
/// ones while paused: a network drop the client cannot tell from a real one.
struct Relay {
    url: String,
    open: std::sync::Arc<std::sync::atomic::AtomicBool>,
    cut: tokio::sync::watch::Sender<u64>,
}

impl Relay {
    async fn start(upstream: &str) -> Self {
        let target = upstream.trim_start_matches("http://").to_string();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let open = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let (cut, _) = tokio::sync::watch::channel(0u64);
        let (o, c) = (open.clone(), cut.clone());
        tokio::spawn(async move {
            while let Ok((mut down, _)) = listener.accept().await {
                if !o.load(std::sync::atomic::Ordering::SeqCst) {
                    continue;
                }
                let target = target.clone();
                let mut cut = c.subscribe();
                tokio::spawn(async move {
                    let Ok(mut up) = tokio::net::TcpStream::connect(&target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut down, &mut up) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Relay { url, open, cut }
    }

    /// Drops every relayed connection and refuses new ones until `resume`.
    fn drop_all(&self) {
        self.open.store(false, std::sync::atomic::Ordering::SeqCst);
        self.cut.send_modify(|g| *g += 1);
    }

    fn resume(&self) {
        self.open.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// A running `rustmost events`, read line by line.
struct Listener {
    child: tokio::process::Child,
    stdout: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
    stderr: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStderr>>,
}

impl Listener {
    fn spawn(cfg: &Path, args: &[&str]) -> Self {
        use tokio::io::AsyncBufReadExt;
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_rustmost"))
            .arg("events")
            .args(args)
            .env("RUSTMOST_CONFIG_DIR", cfg)
            .env_remove("RUSTMOST_URL")
            .env_remove("RUSTMOST_TOKEN")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("run rustmost events");
        let stdout = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let stderr = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
        Listener {
            child,
            stdout,
            stderr,
        }
    }

    /// The next stdout line (an event), waiting at most 20 s.
    async fn event_line(&mut self) -> String {
        tokio::time::timeout(std::time::Duration::from_secs(20), self.stdout.next_line())
            .await
            .expect("an event within 20 s")
            .unwrap()
            .expect("stdout open")
    }

    /// Reads stderr until a line containing `what`; returns the lines read.
    async fn status_until(&mut self, what: &str) -> Vec<String> {
        let mut seen = Vec::new();
        loop {
            let line =
                tokio::time::timeout(std::time::Duration::from_secs(20), self.stderr.next_line())
                    .await
                    .unwrap_or_else(|_| panic!("no {what:?} on stderr within 20 s: {seen:?}"))
                    .unwrap()
                    .unwrap_or_else(|| panic!("stderr closed before {what:?}: {seen:?}"));
            let done = line.contains(what);
            seen.push(line);
            if done {
                return seen;
            }
        }
    }
}

fn posted_message(line: &str) -> String {
    let ev: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    assert_eq!(ev["event"], "posted", "{line}");
    let post: Value = serde_json::from_str(ev["data"]["post"].as_str().unwrap()).unwrap();
    post["message"].as_str().unwrap().to_string()
}

/// `rustmost events` prints the `posted` events of the channel asked for, one JSON line each;
/// after a network drop it reconnects and resumes, so a post made meanwhile still arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_prints_filtered_posts_and_resumes_after_a_drop() {
    let srv = Server::start().await;
    let relay = Relay::start(&srv.url).await;
    let admin_tok = srv.admin_session().await;
    let cfg = logged_in(&relay.url, &admin_tok).await;
    let a = cfg.path();
    let team = rm_json(a, &argv("team create --name ev --display-name Ev")).await;
    let alerts = rm_json(
        a,
        &argv("channel create --team ev --name alerts --display-name Alerts"),
    )
    .await;
    let (_, town, _) = srv
        .call(
            reqwest::Method::GET,
            &format!(
                "/api/v4/teams/{}/channels/name/town-square",
                team["id"].as_str().unwrap()
            ),
            Some(&admin_tok),
            Value::Null,
        )
        .await;
    let post = |channel: Value, message: &'static str| {
        let srv = &srv;
        let tok = admin_tok.clone();
        async move {
            let (s, b, _) = srv
                .call(
                    reqwest::Method::POST,
                    "/api/v4/posts",
                    Some(&tok),
                    json!({"channel_id": channel, "message": message}),
                )
                .await;
            assert_eq!(s, 201, "{b}");
        }
    };

    let mut l = Listener::spawn(
        a,
        &[
            "--channel",
            "ev:alerts",
            "--event",
            "posted",
            "--json",
            "--count",
            "2",
        ],
    );
    l.status_until("listening").await;
    post(town["id"].clone(), "elsewhere").await;
    post(alerts["id"].clone(), "first").await;
    assert_eq!(
        posted_message(&l.event_line().await),
        "first",
        "the town-square post is filtered out"
    );

    relay.drop_all();
    l.status_until("disconnected").await;
    post(alerts["id"].clone(), "while away").await;
    relay.resume();
    let status = l.status_until("reconnected").await;
    assert!(status.last().unwrap().contains("resuming"), "{status:?}");
    assert_eq!(posted_message(&l.event_line().await), "while away");
    let done = tokio::time::timeout(std::time::Duration::from_secs(10), l.child.wait())
        .await
        .expect("exits after --count events")
        .unwrap();
    assert!(done.success());

    // On a terminal-style output (`-o table`), one readable line per event.
    let mut l = Listener::spawn(a, &["--event", "posted", "-o", "table", "--count", "1"]);
    l.status_until("listening").await;
    post(alerts["id"].clone(), "readable").await;
    assert_eq!(l.event_line().await, "posted #alerts @admin: readable");

    // A session logged out while listening: the server closes the socket (1008) and the
    // command ends with an error instead of reconnecting.
    let (s, b, second) = srv
        .call(
            reqwest::Method::POST,
            "/api/v4/users/login",
            None,
            json!({"login_id": "admin", "password": "Admin-Passw0rd!"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let second = second.unwrap();
    let mut l = Listener::spawn(a, &["--access-token", &second]);
    l.status_until("listening").await;
    let (s, b, _) = srv
        .call(
            reqwest::Method::POST,
            "/api/v4/users/logout",
            Some(&second),
            Value::Null,
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let status = l.status_until("Error:").await;
    assert!(
        status.last().unwrap().contains("ended the event stream"),
        "{status:?}"
    );
    let done = tokio::time::timeout(std::time::Duration::from_secs(10), l.child.wait())
        .await
        .expect("exits once the credential is gone")
        .unwrap();
    assert!(!done.success());

    // A credential the server refuses ends the command with the server's message.
    rm_err(a, &argv("events --access-token not-a-token"), "HTTP 401").await;
}

/// Runs the binary on a pseudo-terminal (util-linux `script`), as a person at a terminal
/// would: returns everything the terminal received, stdout and stderr mixed.
async fn rm_tty(cfg: &Path, args: &[&str]) -> String {
    let cmd = std::iter::once(env!("CARGO_BIN_EXE_rustmost"))
        .chain(args.iter().copied())
        .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
        .collect::<Vec<_>>()
        .join(" ");
    let o = tokio::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("RUSTMOST_CONFIG_DIR", cfg)
        .env("TERM", "xterm")
        .env_remove("RUSTMOST_URL")
        .env_remove("RUSTMOST_TOKEN")
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .expect("util-linux `script` runs the binary on a terminal");
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

/// A long listing whose total the server tells (incoming webhooks, users, teams) draws an
/// indicatif bar on a terminal, and nothing of the kind with `--json`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_listings_draw_a_progress_bar_only_on_a_terminal_and_never_with_json() {
    let srv = Server::start().await;
    let admin_tok = srv.admin_session().await;
    let cfg = logged_in(&srv.url, &admin_tok).await;
    let a = cfg.path();
    let team = rm_json(a, &argv("team create --name many --display-name Many")).await;
    let (_, town, _) = srv
        .call(
            reqwest::Method::GET,
            &format!(
                "/api/v4/teams/{}/channels/name/town-square",
                team["id"].as_str().unwrap()
            ),
            Some(&admin_tok),
            Value::Null,
        )
        .await;
    for i in 0..250 {
        let (s, b, _) = srv
            .call(
                reqwest::Method::POST,
                "/api/v4/hooks/incoming",
                Some(&admin_tok),
                json!({"channel_id": town["id"], "display_name": format!("hook {i}")}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
    }

    let tty = rm_tty(a, &["webhook", "list", "many"]).await;
    assert!(tty.contains("/250 incoming webhooks"), "no bar: {tty:?}");
    assert!(tty.contains("====="), "no bar: {tty:?}");
    assert!(
        tty.contains("KIND") && tty.contains("hook 249"),
        "the table: {tty:?}"
    );

    let json_tty = rm_tty(a, &["webhook", "list", "many", "--json"]).await;
    assert!(
        !json_tty.contains("/250") && !json_tty.contains('\u{1b}'),
        "{json_tty:?}"
    );
    let v: Value = serde_json::from_str(&json_tty.replace("\r\n", "\n")).expect("only JSON");
    assert_eq!(v["incoming_webhooks"].as_array().unwrap().len(), 250);

    // Not a terminal: nothing but the output either.
    let piped = rm_ok(a, &argv("webhook list many -o table")).await;
    assert!(piped.stderr.is_empty(), "{:?}", piped.stderr);

    // `user list` takes its total from `GET /users/stats` (bots count, and need no password
    // hashing, so 150 of them make two pages quickly).
    rm_ok(
        a,
        &argv("config set ServiceSettings.EnableBotAccountCreation true"),
    )
    .await;
    for i in 0..150 {
        let (s, b, _) = srv
            .call(
                reqwest::Method::POST,
                "/api/v4/bots",
                Some(&admin_tok),
                json!({"username": format!("bot{i}")}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
    }
    let (_, stats, _) = srv
        .call(
            reqwest::Method::GET,
            "/api/v4/users/stats",
            Some(&admin_tok),
            Value::Null,
        )
        .await;
    let users = stats["total_users_count"].as_u64().unwrap();
    assert!(users > 150, "{stats}");
    let tty = rm_tty(a, &["user", "list", "--all"]).await;
    assert!(tty.contains(&format!("/{users} users")), "no bar: {tty:?}");
    assert!(tty.contains("====="), "no bar: {tty:?}");
    assert!(tty.contains("bot149"), "the table: {tty:?}");
    let json_tty = rm_tty(a, &["user", "list", "--all", "--json"]).await;
    assert!(
        !json_tty.contains(&format!("/{users}")) && !json_tty.contains('\u{1b}'),
        "{json_tty:?}"
    );
    let v: Value = serde_json::from_str(&json_tty.replace("\r\n", "\n")).expect("only JSON");
    assert_eq!(v.as_array().unwrap().len() as u64, users);
    let piped = rm_ok(a, &argv("user list --all -o table")).await;
    assert!(piped.stderr.is_empty(), "{:?}", piped.stderr);

    // `team list` takes its total from `GET /teams?include_total_count=true`.
    let tty = rm_tty(a, &["team", "list"]).await;
    assert!(tty.contains("/1 teams"), "no bar: {tty:?}");
    let json_tty = rm_tty(a, &["team", "list", "--json"]).await;
    assert!(!json_tty.contains("/1 teams"), "{json_tty:?}");
}
