//! Slash commands: the REST endpoints with their permissions and the `EnableCommands` switch,
//! custom commands called on a loopback receiver (guarded, signed, GET and POST), the response
//! types, `response_url` limits, and every built-in command.

use crate::common::{Resp, TestServer, expect_errors, hmac_sha256_hex};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// One request as the receiver saw it.
#[derive(Clone, Debug)]
struct Seen {
    method: Method,
    query: String,
    headers: HeaderMap,
    body: String,
}

impl Seen {
    /// The form fields, from the body (POST) or the query string (GET).
    fn fields(&self) -> HashMap<String, Vec<String>> {
        let raw = if self.method == Method::GET {
            &self.query
        } else {
            &self.body
        };
        let u = reqwest::Url::parse(&format!("http://x/?{raw}")).unwrap();
        let mut m: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in u.query_pairs() {
            m.entry(k.into_owned()).or_default().push(v.into_owned());
        }
        m
    }
    fn field(&self, k: &str) -> String {
        self.fields()
            .get(k)
            .and_then(|v| v.first().cloned())
            .unwrap_or_default()
    }
}

/// What the receiver answers: status, content type, body.
type Reply = Arc<Mutex<(u16, String, String)>>;

#[derive(Clone)]
struct Receiver {
    seen: Arc<Mutex<Vec<Seen>>>,
    reply: Reply,
}

async fn receive(
    State(r): State<Receiver>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> axum::response::Response {
    r.seen.lock().unwrap().push(Seen {
        method,
        query: uri.query().unwrap_or("").to_string(),
        headers,
        body,
    });
    let (status, ct, body) = r.reply.lock().unwrap().clone();
    axum::response::Response::builder()
        .status(StatusCode::from_u16(status).unwrap())
        .header("Content-Type", ct)
        .body(axum::body::Body::from(body))
        .unwrap()
}

/// A small axum server on 127.0.0.1 that records every request to `/cmd`.
async fn receiver() -> (String, Receiver) {
    let r = Receiver {
        seen: Default::default(),
        reply: Arc::new(Mutex::new((
            200,
            "application/json".into(),
            json!({"response_type": "ephemeral", "text": "pong"}).to_string(),
        ))),
    };
    let app = axum::Router::new()
        .route("/cmd", axum::routing::any(receive))
        .with_state(r.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://127.0.0.1:{}/cmd", addr.port()), r)
}

impl Receiver {
    fn answer(&self, status: u16, ct: &str, body: Value) {
        *self.reply.lock().unwrap() = (status, ct.into(), body.to_string());
    }
    fn answer_text(&self, status: u16, ct: &str, body: &str) {
        *self.reply.lock().unwrap() = (status, ct.into(), body.into());
    }
    fn last(&self) -> Seen {
        self.seen
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("a request")
    }
    fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

struct Setup {
    at: String,
    tid: String,
    town: String,
    chat: String,
    bob: Value,
    bt: String,
}

/// A server allowing loopback integrations, with SiteURL set; admin, team, `chat` channel and
/// bob (team and channel member).
async fn server(extra: &[(&str, &str)]) -> (TestServer, Setup) {
    let mut env = vec![
        (
            "MM_SERVICESETTINGS_ALLOWEDUNTRUSTEDINTERNALCONNECTIONS",
            "127.0.0.1",
        ),
        ("MM_SERVICESETTINGS_SITEURL", "http://chat.example.com"),
    ];
    env.extend_from_slice(extra);
    let ts = TestServer::start_with_env(&env).await;
    let s = setup(&ts).await;
    (ts, s)
}

async fn setup(ts: &TestServer) -> Setup {
    let (_, at) = ts.admin().await;
    let (tid, chat, bob, bt) = ts.team_chat_and_bob(&at).await;
    let town = ts.channel_by_name(&at, &tid, "town-square").await.id();
    Setup {
        at,
        tid,
        town,
        chat,
        bob,
        bt,
    }
}

async fn create_cmd(
    ts: &TestServer,
    at: &str,
    tid: &str,
    trigger: &str,
    url: &str,
    method: &str,
) -> Resp {
    ts.post(
        "/api/v4/commands",
        at,
        json!({"team_id": tid, "trigger": trigger, "url": url, "method": method,
               "display_name": "D", "auto_complete": true, "auto_complete_desc": "does things"}),
    )
    .await
}

/// Lets the clock move past every post made so far, so the posts a request makes are newer
/// than all earlier ones (posts of the same millisecond list in id order).
async fn tick() {
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
}

async fn exec(ts: &TestServer, token: &str, channel: &str, command: &str) -> Resp {
    tick().await;
    ts.execute_command(token, channel, command).await
}

/// The channel's posts, newest first.
async fn posts(ts: &TestServer, at: &str, channel: &str) -> Vec<Value> {
    let r = ts
        .get(&format!("/api/v4/channels/{channel}/posts"), at)
        .await;
    let order = r.body["order"].as_array().cloned().unwrap_or_default();
    order
        .iter()
        .map(|id| r.body["posts"][id.as_str().unwrap()].clone())
        .collect()
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

/// Lets team users manage their own commands (the older permission name, as a 2024 server).
async fn grant_team_users_commands(ts: &TestServer, at: &str) {
    let role = ts.get("/api/v4/roles/name/team_user", at).await;
    let mut perms: Vec<Value> = role.body["permissions"].as_array().unwrap().clone();
    perms.push(json!("manage_slash_commands"));
    ts.patch_role(at, &id(&role.body), json!(perms))
        .await
        .assert_ok();
}

#[tokio::test]
async fn create_list_get_update_delete_with_errors() {
    let (ts, s) = server(&[]).await;
    let url = "http://127.0.0.1:9/cmd";
    // A team user holds no command permission by default.
    create_cmd(&ts, &s.bt, &s.tid, "bobs", url, "P")
        .await
        .assert_err(403, "api.context.permissions.app_error");
    let r = create_cmd(&ts, &s.at, &s.tid, "Deploy", url, "P").await;
    assert_eq!(r.status, 201, "{}", r.text);
    let cmd = r.body.clone();
    let cid = id(&cmd);
    assert_eq!(cmd["trigger"], "deploy");
    assert_eq!(cmd["token"].as_str().unwrap().len(), 26);
    assert_eq!(cmd["method"], "P");
    assert_eq!(cmd["last_used_at"], 0);
    // Triggers are unique in the team and never a built-in's, whatever the case.
    create_cmd(&ts, &s.at, &s.tid, "DEPLOY", url, "P")
        .await
        .assert_err(400, "api.command.duplicate_trigger.app_error");
    create_cmd(&ts, &s.at, &s.tid, "echo", url, "P")
        .await
        .assert_err(400, "api.command.duplicate_trigger.app_error");
    for (trigger, url, method, err) in [
        (
            "x",
            "ftp://h/x",
            "P",
            "model.command.is_valid.url.app_error",
        ),
        ("x", "", "P", "model.command.is_valid.url.app_error"),
        ("x", url, "X", "model.command.is_valid.method.app_error"),
        ("/x", url, "P", "model.command.is_valid.trigger.app_error"),
        ("a b", url, "P", "model.command.is_valid.trigger.app_error"),
        ("", url, "P", "model.command.is_valid.trigger.app_error"),
    ] {
        create_cmd(&ts, &s.at, &s.tid, trigger, url, method)
            .await
            .assert_err(400, err);
    }
    expect_errors!(ts;
        post("/api/v4/commands", &s.at, json!({"team_id": s.tid, "trigger": "t", "url": url, "method": "P", "description": "d".repeat(129)}))
            => 400, "model.command.is_valid.description.app_error";
        post("/api/v4/commands", &s.at, json!({"team_id": s.tid, "trigger": 5}))
            => 400, "api.context.invalid_body_param.app_error";
    );

    // Listing.
    ts.get("/api/v4/commands", &s.at)
        .await
        .assert_err(400, "api.context.invalid_body_param.app_error");
    let r = ts
        .get(
            &format!("/api/v4/commands?team_id={}&custom_only=true", s.tid),
            &s.at,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.items().len(), 1);
    assert_eq!(r.body[0]["token"], cmd["token"]);
    expect_errors!(ts;
        get(&format!("/api/v4/commands?team_id={}&custom_only=true", s.tid), &s.bt)
            => 403, "api.context.permissions.app_error";
    );
    let r = ts
        .get(&format!("/api/v4/commands?team_id={}", s.tid), &s.bt)
        .await;
    assert_eq!(r.status, 200);
    let list = r.items();
    let mine = list.iter().find(|c| c["trigger"] == "deploy").unwrap();
    assert_eq!(mine["token"], "");
    assert_eq!(mine["url"], "");
    assert_eq!(mine["creator_id"], "");
    assert!(list.iter().any(|c| c["trigger"] == "shrug"));
    // A stranger to the team may not list its commands.
    let (_, ct) = ts.user(&s.at, "carol").await;
    ts.get(&format!("/api/v4/commands?team_id={}", s.tid), &ct)
        .await
        .assert_err(403, "api.context.permissions.app_error");

    // Get.
    let r = ts.get(&format!("/api/v4/commands/{cid}"), &s.at).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["token"], cmd["token"]);
    expect_errors!(ts;
        get(&format!("/api/v4/commands/{cid}"), &s.bt)
            => 404, "store.sql_command.save.get.app_error";
        get(&format!("/api/v4/commands/{}", "a".repeat(26)), &s.at)
            => 404, "store.sql_command.save.get.app_error";
        get("/api/v4/commands/nope", &s.at) => 400, "api.context.invalid_url_param.app_error";
    );

    // Update.
    let mut upd = cmd.clone();
    upd["trigger"] = json!("Ship");
    upd["token"] = json!("x".repeat(26));
    upd["method"] = json!("G");
    let mut no_team = upd.clone();
    no_team.as_object_mut().unwrap().remove("team_id");
    ts.put(&format!("/api/v4/commands/{cid}"), &s.at, no_team)
        .await
        .assert_err(400, "api.command.team_mismatch.app_error");
    let mut wrong_id = upd.clone();
    wrong_id["id"] = json!("b".repeat(26));
    expect_errors!(ts;
        put(&format!("/api/v4/commands/{cid}"), &s.at, wrong_id)
            => 400, "api.context.invalid_body_param.app_error";
        put(&format!("/api/v4/commands/{cid}"), &s.bt, upd.clone())
            => 403, "api.context.permissions.app_error";
    );
    let r = ts
        .put(&format!("/api/v4/commands/{cid}"), &s.at, upd.clone())
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["trigger"], "ship");
    assert_eq!(r.body["method"], "G");
    assert_eq!(
        r.body["token"], cmd["token"],
        "the token changes only by regen_token"
    );
    let mut bad = upd.clone();
    bad["url"] = json!("nope");
    ts.put(&format!("/api/v4/commands/{cid}"), &s.at, bad)
        .await
        .assert_err(400, "model.command.is_valid.url.app_error");

    // Regenerate.
    expect_errors!(ts;
        put(&format!("/api/v4/commands/{cid}/regen_token"), &s.bt, json!({}))
            => 403, "api.context.permissions.app_error";
    );
    let r = ts
        .put(
            &format!("/api/v4/commands/{cid}/regen_token"),
            &s.at,
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200);
    let token = r.body["token"].as_str().unwrap();
    assert_eq!(token.len(), 26);
    assert_ne!(token, cmd["token"].as_str().unwrap());
    let r = ts.get(&format!("/api/v4/commands/{cid}"), &s.at).await;
    assert_eq!(r.body["token"], token);

    // Move.
    let t2 = ts.create_team(&s.at, "team-two", "Team Two", "O").await;
    let t2 = id(&t2.body);
    expect_errors!(ts;
        put(&format!("/api/v4/commands/{cid}/move"), &s.at, json!({"team_id": "c".repeat(26)}))
            => 404, "app.team.get.find.app_error";
        put(&format!("/api/v4/commands/{cid}/move"), &s.bt, json!({"team_id": t2}))
            => 403, "api.context.permissions.app_error";
    );
    let r = ts
        .put(
            &format!("/api/v4/commands/{cid}/move"),
            &s.at,
            json!({"team_id": t2}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "OK");
    let r = ts.get(&format!("/api/v4/commands/{cid}"), &s.at).await;
    assert_eq!(r.body["team_id"], t2);

    // Delete.
    ts.delete(&format!("/api/v4/commands/{cid}"), &s.bt)
        .await
        .assert_err(403, "api.context.permissions.app_error");
    let r = ts.delete(&format!("/api/v4/commands/{cid}"), &s.at).await;
    assert_eq!(r.body["status"], "OK");
    expect_errors!(ts;
        get(&format!("/api/v4/commands/{cid}"), &s.at)
            => 404, "store.sql_command.save.get.app_error";
        delete(&format!("/api/v4/commands/{cid}"), &s.at)
            => 404, "store.sql_command.save.get.app_error";
    );
}

#[tokio::test]
async fn own_and_others_permissions() {
    let (ts, s) = server(&[]).await;
    grant_team_users_commands(&ts, &s.at).await;
    let url = "http://127.0.0.1:9/cmd";
    let r = create_cmd(&ts, &s.bt, &s.tid, "bobs", url, "P").await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["creator_id"], s.bob["id"]);
    let bobs = id(&r.body);
    let admins = id(&create_cmd(&ts, &s.at, &s.tid, "admins", url, "P")
        .await
        .body);
    // Bob manages his own command, not the admin's (no manage_others_slash_commands).
    assert_eq!(
        ts.get(&format!("/api/v4/commands/{bobs}"), &s.bt)
            .await
            .status,
        200
    );
    ts.get(&format!("/api/v4/commands/{admins}"), &s.bt)
        .await
        .assert_err(404, "store.sql_command.save.get.app_error");
    let r = ts
        .delete(&format!("/api/v4/commands/{admins}"), &s.bt)
        .await;
    r.assert_err(403, "api.context.permissions.app_error");
    assert!(r.text.contains("manage_others_slash_commands") || r.body["detailed_error"] == "");
    expect_errors!(ts;
        put(&format!("/api/v4/commands/{admins}/regen_token"), &s.bt, json!({}))
            => 403, "api.context.permissions.app_error";
    );
    // custom_only lists only his own command; the admin sees both.
    let r = ts
        .get(
            &format!("/api/v4/commands?team_id={}&custom_only=true", s.tid),
            &s.bt,
        )
        .await;
    let triggers: Vec<&str> = r.strings("trigger");
    assert_eq!(triggers, ["bobs"]);
    let r = ts
        .get(
            &format!("/api/v4/commands?team_id={}&custom_only=true", s.tid),
            &s.at,
        )
        .await;
    assert_eq!(r.items().len(), 2);
    // The admin manages bob's command.
    assert_eq!(
        ts.get(&format!("/api/v4/commands/{bobs}"), &s.at)
            .await
            .status,
        200
    );
    // Moving bob's command to a team where bob may not manage commands is refused.
    let t2 = id(&ts
        .create_team(&s.at, "team-two", "Team Two", "O")
        .await
        .body);
    expect_errors!(ts;
        put(&format!("/api/v4/commands/{bobs}/move"), &s.at, json!({"team_id": t2}))
            => 400, "api.command.move_command.creator_no_permission.app_error";
    );
}

#[tokio::test]
async fn enable_commands_off_refuses_everything() {
    let (ts, s) = server(&[]).await;
    ts.patch_config(&s.at, json!({"ServiceSettings": {"EnableCommands": false}}))
        .await;
    create_cmd(&ts, &s.at, &s.tid, "deploy", "http://127.0.0.1:9/x", "P")
        .await
        .assert_err(501, "api.command.disabled.app_error");
    expect_errors!(ts;
        get(&format!("/api/v4/commands?team_id={}&custom_only=true", s.tid), &s.at)
            => 501, "api.command.disabled.app_error";
    );
    // As upstream: the built-ins stop too, since the switch is checked before them.
    exec(&ts, &s.at, &s.town, "/shrug")
        .await
        .assert_err(501, "api.command.disabled.app_error");
    // Listing still offers the built-ins.
    let r = ts
        .get(
            &format!("/api/v4/teams/{}/commands/autocomplete", s.tid),
            &s.at,
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.items().iter().any(|c| c["trigger"] == "me"));
    // Back on, it works.
    ts.patch_config(&s.at, json!({"ServiceSettings": {"EnableCommands": true}}))
        .await;
    assert_eq!(exec(&ts, &s.at, &s.town, "/shrug").await.status, 200);
}

fn verify_signature(seen: &Seen, token: &str) {
    let ts = seen.headers["x-rustmost-request-timestamp"]
        .to_str()
        .unwrap()
        .to_string();
    let sig = seen.headers["x-rustmost-signature"].to_str().unwrap();
    let signed = if seen.method == Method::GET {
        seen.query.clone()
    } else {
        seen.body.clone()
    };
    let want = hmac_sha256_hex(token, &[format!("v0:{ts}:{signed}").as_bytes()]);
    assert_eq!(sig, format!("v0={want}"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((now - ts.parse::<i64>().unwrap()).abs() < 60);
}

#[tokio::test]
async fn custom_command_post_and_get_reach_the_receiver_signed() {
    let (ts, s) = server(&[]).await;
    let (url, rx) = receiver().await;
    let cmd = create_cmd(&ts, &s.at, &s.tid, "deploy", &url, "P")
        .await
        .body;
    let token = cmd["token"].as_str().unwrap().to_string();
    let r = exec(&ts, &s.bt, &s.chat, "/Deploy now @bob ~chat please").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["text"], "pong");
    assert_eq!(r.body["response_type"], "ephemeral");
    assert_eq!(r.body["trigger_id"].as_str().unwrap().len(), 26);
    let seen = rx.last();
    assert_eq!(seen.method, Method::POST);
    assert_eq!(
        seen.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(seen.headers["accept"], "application/json");
    assert_eq!(seen.headers["authorization"], format!("Token {token}"));
    assert_eq!(seen.field("token"), token);
    assert_eq!(seen.field("team_id"), s.tid);
    assert_eq!(seen.field("team_domain"), "team-one");
    assert_eq!(seen.field("channel_id"), s.chat);
    assert_eq!(seen.field("channel_name"), "chat");
    assert_eq!(seen.field("user_id"), s.bob["id"].as_str().unwrap());
    assert_eq!(seen.field("user_name"), "bob");
    assert_eq!(seen.field("command"), "/deploy");
    assert_eq!(seen.field("text"), "now @bob ~chat please");
    assert_eq!(seen.field("user_mentions"), "bob");
    assert_eq!(
        seen.field("user_mentions_ids"),
        s.bob["id"].as_str().unwrap()
    );
    assert_eq!(seen.field("channel_mentions"), "chat");
    assert_eq!(seen.field("channel_mentions_ids"), s.chat);
    assert!(!seen.field("trigger_id").is_empty());
    let response_url = seen.field("response_url");
    assert!(
        response_url.starts_with("http://chat.example.com/hooks/commands/"),
        "{response_url}"
    );
    verify_signature(&seen, &token);
    // A tampered body would not verify.
    let mut forged = seen.clone();
    forged.body.push('x');
    assert!(std::panic::catch_unwind(|| verify_signature(&forged, &token)).is_err());
    // The command shows when it was last used.
    let r = ts
        .get(&format!("/api/v4/commands/{}", id(&cmd)), &s.at)
        .await;
    assert!(r.body["last_used_at"].as_i64().unwrap() > 0);
    // Ephemeral: nothing stored in the channel.
    assert!(
        posts(&ts, &s.at, &s.chat)
            .await
            .iter()
            .all(|p| p["message"] != "pong")
    );

    // GET: the fields travel in the query string, after the URL's own.
    let gcmd = create_cmd(&ts, &s.at, &s.tid, "status", &format!("{url}?fixed=1"), "G")
        .await
        .body;
    let gtoken = gcmd["token"].as_str().unwrap().to_string();
    let r = exec(&ts, &s.at, &s.chat, "/status all").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let seen = rx.last();
    assert_eq!(seen.method, Method::GET);
    assert!(seen.body.is_empty());
    assert!(seen.query.starts_with("fixed=1&"));
    assert_eq!(seen.field("text"), "all");
    assert_eq!(seen.field("command"), "/status");
    assert_eq!(seen.field("token"), gtoken);
    // The signature covers the fields Rustmost appended.
    let mut signed_part = seen.clone();
    signed_part.query = seen.query.trim_start_matches("fixed=1&").to_string();
    verify_signature(&signed_part, &gtoken);
}

#[tokio::test]
async fn guard_refuses_loopback_until_allowed_and_site_url_is_required() {
    let ts =
        TestServer::start_with_env(&[("MM_SERVICESETTINGS_SITEURL", "http://chat.example.com")])
            .await;
    let s = setup(&ts).await;
    let (url, rx) = receiver().await;
    create_cmd(&ts, &s.at, &s.tid, "deploy", &url, "P").await;
    exec(&ts, &s.at, &s.chat, "/deploy")
        .await
        .assert_err(500, "api.command.execute_command.failed.app_error");
    let localhost = url.replace("127.0.0.1", "localhost");
    create_cmd(&ts, &s.at, &s.tid, "deploy2", &localhost, "P").await;
    exec(&ts, &s.at, &s.chat, "/deploy2")
        .await
        .assert_err(500, "api.command.execute_command.failed.app_error");
    assert_eq!(rx.count(), 0);
    ts.patch_config(
        &s.at,
        json!({"ServiceSettings": {"AllowedUntrustedInternalConnections": "127.0.0.1"}}),
    )
    .await;
    assert_eq!(exec(&ts, &s.at, &s.chat, "/deploy").await.status, 200);
    assert_eq!(rx.count(), 1);
}

#[tokio::test]
async fn a_failed_get_command_keeps_its_token_out_of_errors() {
    let ts = TestServer::start_with_env(&[
        ("MM_SERVICESETTINGS_SITEURL", "http://chat.example.com"),
        ("MM_SERVICESETTINGS_ENABLEDEVELOPER", "true"),
    ])
    .await;
    let s = setup(&ts).await;
    let (url, rx) = receiver().await;
    let cmd = create_cmd(
        &ts,
        &s.at,
        &s.tid,
        "peek",
        &url.replace("127.0.0.1", "localhost"),
        "G",
    )
    .await
    .body;
    let token = cmd["token"].as_str().unwrap();
    let r = exec(&ts, &s.at, &s.chat, "/peek").await;
    r.assert_err(500, "api.command.execute_command.failed.app_error");
    let detail = r.body["detailed_error"].as_str().unwrap();
    assert!(!detail.is_empty(), "developer mode shows the cause");
    assert!(!detail.contains(token), "{detail}");
    assert_eq!(rx.count(), 0);
}

#[tokio::test]
async fn slow_and_oversized_answers_fail() {
    let (ts, s) = server(&[("MM_SERVICESETTINGS_OUTGOINGINTEGRATIONREQUESTSTIMEOUT", "1")]).await;
    let app = axum::Router::new().route(
        "/slow",
        axum::routing::post(|| async {
            tokio::time::sleep(std::time::Duration::from_secs(10)).await;
            "late"
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    create_cmd(
        &ts,
        &s.at,
        &s.tid,
        "slow",
        &format!("http://127.0.0.1:{port}/slow"),
        "P",
    )
    .await;
    let started = std::time::Instant::now();
    exec(&ts, &s.at, &s.chat, "/slow")
        .await
        .assert_err(500, "api.command.execute_command.failed.app_error");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));

    // An answer over 1 MiB is cut there, so its JSON no longer parses.
    let (url, rx) = receiver().await;
    create_cmd(&ts, &s.at, &s.tid, "big", &url, "P").await;
    rx.answer(
        200,
        "application/json",
        json!({"text": "x".repeat(1024 * 1024)}),
    );
    exec(&ts, &s.at, &s.chat, "/big")
        .await
        .assert_err(500, "api.command.execute_command.failed.app_error");
    rx.answer(200, "application/json", json!({"text": "x".repeat(1000)}));
    exec(&ts, &s.at, &s.chat, "/big").await.assert_ok();
}

#[tokio::test]
async fn custom_commands_need_a_site_url() {
    let ts = TestServer::start_trusting_loopback().await;
    let s = setup(&ts).await;
    let (url, rx) = receiver().await;
    create_cmd(&ts, &s.at, &s.tid, "deploy", &url, "P").await;
    // Without a SiteURL there is no response_url to give.
    exec(&ts, &s.at, &s.chat, "/deploy").await.assert_err(
        400,
        "api.command.execute_command.site_url_required.app_error",
    );
    assert_eq!(rx.count(), 0);
    // Built-ins do not need it.
    exec(&ts, &s.at, &s.chat, "/shrug").await.assert_ok();
}

#[tokio::test]
async fn response_types_overrides_and_failures() {
    let (ts, s) = server(&[]).await;
    let (url, rx) = receiver().await;
    create_cmd(&ts, &s.at, &s.tid, "deploy", &url, "P").await;

    // in_channel: a post by the invoking user, marked from_webhook, no overrides while off.
    rx.answer(
        200,
        "application/json",
        json!({"response_type": "in_channel", "text": "Deploying <http://ci.example.com|build> <!channel>",
               "username": "ci", "icon_url": "http://i.example.com/i.png",
               "props": {"from_bot": "true", "k": "v"}, "goto_location": "http://x.example.com"}),
    );
    let r = exec(&ts, &s.bt, &s.chat, "/deploy").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["goto_location"], "http://x.example.com");
    let p = posts(&ts, &s.at, &s.chat).await[0].clone();
    assert_eq!(p["user_id"], s.bob["id"]);
    assert_eq!(
        p["message"],
        "Deploying [build](http://ci.example.com) @channel"
    );
    assert_eq!(p["props"]["from_webhook"], "true");
    assert_eq!(p["props"]["k"], "v");
    assert!(p["props"].get("from_bot").is_none());
    assert!(p["props"].get("override_username").is_none());
    assert!(p["props"].get("override_icon_url").is_none());

    // With the switches on, the response's username and icon are honoured.
    ts.patch_config(
        &s.at,
        json!({"ServiceSettings": {"EnablePostUsernameOverride": true, "EnablePostIconOverride": true}}),
    )
    .await;
    exec(&ts, &s.bt, &s.chat, "/deploy").await.assert_ok();
    let p = posts(&ts, &s.at, &s.chat).await[0].clone();
    assert_eq!(p["props"]["override_username"], "ci");
    assert_eq!(
        p["props"]["override_icon_url"],
        "http://i.example.com/i.png"
    );

    // skip_slack_parsing keeps the text as sent; extra_responses post too, attachments too.
    rx.answer(
        200,
        "application/json",
        json!({"response_type": "in_channel", "text": "raw <http://a.example.com|a>", "skip_slack_parsing": true,
               "extra_responses": [
                   {"response_type": "in_channel", "text": "second"},
                   {"response_type": "in_channel", "text": "", "attachments": [{"text": "att"}]},
                   {"response_type": "ephemeral", "text": "only you"}]}),
    );
    exec(&ts, &s.bt, &s.chat, "/deploy").await.assert_ok();
    // Three posts (created within the same millisecond or so: their order is not asserted).
    let ps = posts(&ts, &s.at, &s.chat).await;
    let newest = &ps[..3];
    assert!(
        newest
            .iter()
            .any(|p| p["message"] == "raw <http://a.example.com|a>")
    );
    assert!(newest.iter().any(|p| p["message"] == "second"));
    let att = newest
        .iter()
        .find(|p| p["type"] == "slack_attachment")
        .expect("the attachment post");
    assert_eq!(att["props"]["attachments"][0]["text"], "att");
    assert!(ps.iter().all(|p| p["message"] != "only you"));

    // A plain-text answer is ephemeral text.
    rx.answer_text(200, "text/plain", "just text");
    let r = exec(&ts, &s.bt, &s.chat, "/deploy").await;
    assert_eq!(r.body["text"], "just text");
    assert_eq!(r.body["response_type"], "");

    // A response into a channel the user is not in fails the whole command.
    let private = ts
        .create_channel(&s.at, &s.tid, "secret", "Secret", "P")
        .await;
    let private = id(&private.body);
    rx.answer(
        200,
        "application/json",
        json!({"response_type": "in_channel", "text": "sneak", "channel_id": private}),
    );
    exec(&ts, &s.bt, &s.chat, "/deploy").await.assert_err(
        500,
        "api.command.execute_command.create_post_failed.app_error",
    );
    assert!(
        posts(&ts, &s.at, &private)
            .await
            .iter()
            .all(|p| p["message"] != "sneak")
    );
    // A system type is refused too.
    rx.answer(
        200,
        "application/json",
        json!({"response_type": "in_channel", "text": "x", "type": "system_join_channel"}),
    );
    exec(&ts, &s.bt, &s.chat, "/deploy").await.assert_err(
        500,
        "api.command.execute_command.create_post_failed.app_error",
    );

    // Failures of the integration.
    rx.answer(503, "application/json", json!({"text": "down"}));
    exec(&ts, &s.bt, &s.chat, "/deploy")
        .await
        .assert_err(500, "api.command.execute_command.failed_resp.app_error");
    rx.answer_text(200, "application/json", "{not json");
    exec(&ts, &s.bt, &s.chat, "/deploy")
        .await
        .assert_err(500, "api.command.execute_command.failed.app_error");
}

#[tokio::test]
async fn response_url_limits() {
    let (ts, s) = server(&[]).await;
    let (url, rx) = receiver().await;
    create_cmd(&ts, &s.at, &s.tid, "deploy", &url, "P").await;
    exec(&ts, &s.bt, &s.chat, "/deploy").await.assert_ok();
    let response_url = rx.last().field("response_url");
    let path = response_url.trim_start_matches("http://chat.example.com");
    let hook_id = path.rsplit('/').next().unwrap().to_string();
    let http = reqwest::Client::new();
    let send = |body: String, ct: &'static str| {
        let http = http.clone();
        let url = format!("{}{path}", ts.url);
        async move {
            tick().await;
            Resp::read(
                http.post(url)
                    .header("Content-Type", ct)
                    .body(body)
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    for i in 0..5 {
        let r = send(
            json!({"response_type": "in_channel", "text": format!("later {i}")}).to_string(),
            "application/json",
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.text, "ok");
        assert_eq!(r.headers["content-type"], "text/plain");
    }
    let ps = posts(&ts, &s.at, &s.chat).await;
    assert_eq!(ps[0]["message"], "later 4");
    assert_eq!(ps[0]["user_id"], s.bob["id"]);
    assert_eq!(ps[0]["props"]["from_webhook"], "true");
    send(json!({"text": "sixth"}).to_string(), "application/json")
        .await
        .assert_err(400, "app.command_webhook.try_use.invalid");
    // Bad JSON, an unknown id, an expired URL, an oversized body.
    exec(&ts, &s.bt, &s.chat, "/deploy").await.assert_ok();
    let fresh = rx.last().field("response_url");
    let fresh_path = fresh
        .trim_start_matches("http://chat.example.com")
        .to_string();
    let fresh_id = fresh_path.rsplit('/').next().unwrap().to_string();
    let r = Resp::read(
        http.post(format!("{}{fresh_path}", ts.url))
            .header("Content-Type", "application/json")
            .body("{bad")
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.assert_err(400, "web.command_webhook.parse.app_error");
    let r = Resp::read(
        http.post(format!("{}/hooks/commands/{}", ts.url, "z".repeat(26)))
            .body("hi")
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.assert_err(404, "app.command_webhook.get.missing");
    let r = Resp::read(
        http.post(format!("{}{fresh_path}", ts.url))
            .body("x".repeat(300_001))
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.assert_err(413, "api.context.request_body_too_large.app_error");
    // A plain body is ephemeral text: accepted, nothing posted.
    let r = Resp::read(
        http.post(format!("{}{fresh_path}", ts.url))
            .body("plain")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(
        posts(&ts, &s.at, &s.chat)
            .await
            .iter()
            .all(|p| p["message"] != "plain")
    );
    // Thirty-one minutes later on the server's clock, the URL has expired.
    ts.state
        .clock
        .advance(std::time::Duration::from_secs(31 * 60));
    let r = Resp::read(
        http.post(format!("{}{fresh_path}", ts.url))
            .body("late")
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.assert_err(404, "app.command_webhook.get.missing");
    assert_ne!(hook_id, fresh_id);
}

#[tokio::test]
async fn execute_errors() {
    let (ts, s) = server(&[]).await;
    for body in [
        json!({"channel_id": s.chat, "command": "/"}),
        json!({"channel_id": s.chat, "command": "echo hi"}),
        json!({"channel_id": "nope", "command": "/echo hi"}),
    ] {
        ts.post("/api/v4/commands/execute", &s.at, body)
            .await
            .assert_err(400, "api.command.execute_command.start.app_error");
    }
    exec(&ts, &s.at, &s.chat, "/nosuch thing")
        .await
        .assert_err(404, "api.command.execute_command.not_found.app_error");
    // A private channel bob is not in: no create_post there.
    let private = ts
        .create_channel(&s.at, &s.tid, "secret", "Secret", "P")
        .await;
    let private = id(&private.body);
    exec(&ts, &s.bt, &private, "/shrug")
        .await
        .assert_err(403, "api.context.permissions.app_error");
    ts.delete(&format!("/api/v4/channels/{}", s.chat), &s.at)
        .await
        .assert_ok();
    exec(&ts, &s.at, &s.chat, "/shrug")
        .await
        .assert_err(400, "api.command.execute_command.deleted.error");
}

#[tokio::test]
async fn autocomplete_lists_builtins_and_team_commands() {
    let (ts, s) = server(&[]).await;
    let url = "http://127.0.0.1:9/cmd";
    create_cmd(&ts, &s.at, &s.tid, "deploy", url, "P").await;
    ts.post(
        "/api/v4/commands",
        &s.at,
        json!({"team_id": s.tid, "trigger": "hidden", "url": url, "method": "P", "auto_complete": false}),
    )
    .await;
    let r = ts
        .get(
            &format!("/api/v4/teams/{}/commands/autocomplete", s.tid),
            &s.bt,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let triggers: Vec<&str> = r.strings("trigger");
    for t in [
        "code", "me", "shrug", "join", "leave", "header", "purpose", "away", "online", "dnd",
        "offline", "invite", "kick", "help", "deploy",
    ] {
        assert!(triggers.contains(&t), "{t} in {triggers:?}");
    }
    assert!(!triggers.contains(&"hidden"));
    let deploy = r.items().iter().find(|c| c["trigger"] == "deploy").unwrap();
    assert_eq!(deploy["token"], "");
    assert_eq!(deploy["auto_complete_desc"], "does things");
    let (_, ct) = ts.user(&s.at, "carol").await;
    expect_errors!(ts;
        get(&format!("/api/v4/teams/{}/commands/autocomplete", s.tid), &ct)
            => 403, "api.context.permissions.app_error";
    );
    let r = ts
        .get(
            &format!(
                "/api/v4/teams/{}/commands/autocomplete_suggestions?user_input=/de",
                s.tid
            ),
            &s.bt,
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body[0]["Complete"], "deploy");
    assert_eq!(r.body[0]["Suggestion"], "/deploy");
    assert_eq!(r.items().len(), 1);
    expect_errors!(ts;
        get(&format!("/api/v4/teams/{}/commands/autocomplete_suggestions", s.tid), &s.bt)
            => 400, "api.context.invalid_body_param.app_error";
    );
}

async fn status_of(ts: &TestServer, user_id: &str) -> String {
    ts.state.store.get_status(user_id).await.unwrap().status
}

#[tokio::test]
async fn builtin_text_and_status_commands() {
    let (ts, s) = server(&[]).await;
    // /me and /shrug post in the channel.
    let r = exec(&ts, &s.bt, &s.chat, "/me waves").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["response_type"], "in_channel");
    let p = posts(&ts, &s.at, &s.chat).await[0].clone();
    assert_eq!(p["message"], "*waves*");
    assert_eq!(p["type"], "me");
    assert!(
        p["props"].get("from_webhook").is_none(),
        "built-ins are the user's own posts"
    );
    exec(&ts, &s.bt, &s.chat, "/shrug oh well")
        .await
        .assert_ok();
    let p = posts(&ts, &s.at, &s.chat).await[0].clone();
    assert_eq!(p["message"], "oh well ¯\\\\\\_(ツ)\\_/¯");
    exec(&ts, &s.bt, &s.chat, "/shrug").await.assert_ok();
    assert_eq!(
        posts(&ts, &s.at, &s.chat).await[0]["message"],
        "¯\\\\\\_(ツ)\\_/¯"
    );

    // /code indents every line and skips Slack parsing.
    exec(
        &ts,
        &s.bt,
        &s.chat,
        "/code let x = 1;\n<http://a.example.com|a>",
    )
    .await
    .assert_ok();
    assert_eq!(
        posts(&ts, &s.at, &s.chat).await[0]["message"],
        "    let x = 1;\n    <http://a.example.com|a>"
    );
    let r = exec(&ts, &s.bt, &s.chat, "/code").await;
    assert_eq!(
        r.body["text"],
        "A message must be provided with the /code command."
    );

    // /echo posts the text as the user; with a delay it waits; errors are ephemeral.
    let r = exec(&ts, &s.bt, &s.chat, "/echo hello there").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["text"], "");
    let p = posts(&ts, &s.at, &s.chat).await[0].clone();
    assert_eq!(p["message"], "hello there");
    assert_eq!(p["user_id"], s.bob["id"]);
    exec(&ts, &s.bt, &s.chat, "/echo \"quoted words\" 0")
        .await
        .assert_ok();
    assert_eq!(
        posts(&ts, &s.at, &s.chat).await[0]["message"],
        "quoted words"
    );
    let r = exec(&ts, &s.bt, &s.chat, "/echo").await;
    assert_eq!(
        r.body["text"],
        "A message must be provided with the /echo command."
    );
    assert_eq!(r.body["response_type"], "ephemeral");
    let r = exec(&ts, &s.bt, &s.chat, "/echo late 10001").await;
    assert_eq!(r.body["text"], "Delays must be under 10000 seconds.");
    let r = exec(&ts, &s.bt, &s.chat, "/echo later 1").await;
    assert_eq!(r.body["text"], "");
    assert_ne!(posts(&ts, &s.at, &s.chat).await[0]["message"], "later");
    let mut found = false;
    for _ in 0..50 {
        if posts(&ts, &s.at, &s.chat).await[0]["message"] == "later" {
            found = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(found, "the delayed echo arrives");

    // Status commands.
    let bob_id = s.bob["id"].as_str().unwrap();
    for (cmd, status, text) in [
        ("/away", "away", "You are now away"),
        (
            "/dnd",
            "dnd",
            "Do Not Disturb is enabled. You will not receive desktop or mobile push notifications until Do Not Disturb is turned off.",
        ),
        ("/offline", "offline", "You are now offline"),
        ("/online", "online", "You are now online"),
    ] {
        let r = exec(&ts, &s.bt, &s.chat, cmd).await;
        assert_eq!(r.body["text"], text);
        assert_eq!(r.body["response_type"], "ephemeral");
        assert_eq!(status_of(&ts, bob_id).await, status);
        // As upstream's `SetStatusOnline`: "for online there's no manual setting".
        assert_eq!(
            ts.state.store.get_status(bob_id).await.unwrap().manual,
            status != "online"
        );
    }

    // /help points at the help link.
    let r = exec(&ts, &s.bt, &s.chat, "/help").await;
    assert!(
        r.body["text"]
            .as_str()
            .unwrap()
            .ends_with("(https://mattermost.com/default-help/)")
    );
    ts.patch_config(
        &s.at,
        json!({"SupportSettings": {"HelpLink": "https://help.example.com"}}),
    )
    .await;
    let r = exec(&ts, &s.bt, &s.chat, "/help").await;
    assert!(
        r.body["text"]
            .as_str()
            .unwrap()
            .ends_with("(https://help.example.com)")
    );
}

async fn is_member(ts: &TestServer, channel: &str, user: &Value) -> bool {
    ts.state
        .store
        .get_channel_member(channel, user["id"].as_str().unwrap())
        .await
        .is_ok()
}

#[tokio::test]
async fn builtin_channel_commands() {
    let (ts, s) = server(&[]).await;
    let (carol, ctok) = ts.user(&s.at, "carol").await;
    ts.add_team_member(&s.at, &s.tid, &carol["id"])
        .await
        .assert_ok();
    let off = ts
        .create_channel(&s.at, &s.tid, "random", "Random", "O")
        .await;
    let random = id(&off.body);

    // /join ~random
    assert!(!is_member(&ts, &random, &carol).await);
    let r = exec(&ts, &ctok, &s.town, "/join ~random").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body["goto_location"],
        "http://chat.example.com/team-one/channels/random"
    );
    assert!(is_member(&ts, &random, &carol).await);
    let r = exec(&ts, &ctok, &s.town, "/join ~nowhere").await;
    assert_eq!(r.body["text"], "An error occurred while listing channels.");

    // /leave
    let r = exec(&ts, &ctok, &random, "/leave").await;
    assert_eq!(
        r.body["goto_location"],
        "http://chat.example.com/team-one/channels/town-square"
    );
    assert!(!is_member(&ts, &random, &carol).await);
    assert_eq!(
        posts(&ts, &s.at, &random).await[0]["type"],
        "system_leave_channel"
    );
    let r = exec(&ts, &ctok, &s.town, "/leave").await;
    assert_eq!(
        r.body["text"],
        "Unable to leave the default channel town-square."
    );
    assert!(is_member(&ts, &s.town, &carol).await);

    // /header and /purpose
    let r = exec(&ts, &s.bt, &s.chat, "/header New *header*").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let c = ts.get(&format!("/api/v4/channels/{}", s.chat), &s.at).await;
    assert_eq!(c.body["header"], "New *header*");
    let p = posts(&ts, &s.at, &s.chat).await[0].clone();
    assert_eq!(p["type"], "system_header_change");
    assert_eq!(
        p["message"],
        "bob updated the channel header to: New *header*"
    );
    exec(&ts, &s.bt, &s.chat, "/header Second")
        .await
        .assert_ok();
    assert_eq!(
        posts(&ts, &s.at, &s.chat).await[0]["message"],
        "bob updated the channel header from: New *header* to: Second"
    );
    let r = exec(&ts, &s.bt, &s.chat, "/header").await;
    assert_eq!(
        r.body["text"],
        "Text must be provided with the /header command."
    );
    let r = exec(
        &ts,
        &s.bt,
        &s.chat,
        &format!("/header {}", "h".repeat(1025)),
    )
    .await;
    assert!(
        r.body["text"]
            .as_str()
            .unwrap()
            .contains("limited to 1024 characters")
    );
    exec(&ts, &s.bt, &s.chat, "/purpose Talk here")
        .await
        .assert_ok();
    let c = ts.get(&format!("/api/v4/channels/{}", s.chat), &s.at).await;
    assert_eq!(c.body["purpose"], "Talk here");
    assert_eq!(
        posts(&ts, &s.at, &s.chat).await[0]["type"],
        "system_purpose_change"
    );
    let r = exec(&ts, &s.bt, &s.chat, "/purpose").await;
    assert_eq!(
        r.body["text"],
        "A message must be provided with the /purpose command."
    );

    // /invite @carol (to the current channel), then to another channel by name.
    assert!(!is_member(&ts, &s.chat, &carol).await);
    let r = exec(&ts, &s.bt, &s.chat, "/invite @carol").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["text"], "");
    assert!(is_member(&ts, &s.chat, &carol).await);
    assert_eq!(
        posts(&ts, &s.at, &s.chat).await[0]["type"],
        "system_add_to_channel"
    );
    let r = exec(&ts, &s.bt, &s.chat, "/invite @carol").await;
    assert_eq!(r.body["text"], "carol is already in the channel.");
    let r = exec(&ts, &s.at, &s.chat, "/invite @carol ~random").await;
    assert_eq!(r.body["text"], "carol added to random channel.");
    assert!(is_member(&ts, &random, &carol).await);
    let r = exec(&ts, &s.bt, &s.chat, "/invite @nobody").await;
    assert!(
        r.body["text"]
            .as_str()
            .unwrap()
            .starts_with("We couldn't find the user nobody.")
    );
    let r = exec(&ts, &s.bt, &s.chat, "/invite").await;
    assert_eq!(r.body["text"], "Missing Username and/or Channel.");
    let (_, _) = ts.user(&s.at, "dave").await;
    let r = exec(&ts, &s.bt, &s.chat, "/invite @dave").await;
    assert_eq!(
        r.body["text"],
        "You can add @dave to this channel once they are members of the **Team One** team."
    );

    // /kick @carol, /remove, and the errors.
    let r = exec(&ts, &s.bt, &s.chat, "/kick @carol").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(!is_member(&ts, &s.chat, &carol).await);
    assert_eq!(
        posts(&ts, &s.at, &s.chat).await[0]["type"],
        "system_remove_from_channel"
    );
    let r = exec(&ts, &s.bt, &s.chat, "/remove @carol").await;
    assert_eq!(r.body["text"], "carol is not a member of this channel.");
    let r = exec(&ts, &s.bt, &s.chat, "/kick").await;
    assert_eq!(
        r.body["text"],
        "A message must be provided with the /remove or /kick command."
    );
    let r = exec(&ts, &s.bt, &s.chat, "/kick @ghost").await;
    assert!(
        r.body["text"]
            .as_str()
            .unwrap()
            .starts_with("We couldn't find the user.")
    );
    let r = exec(&ts, &s.at, &s.town, "/kick @carol").await;
    assert_eq!(
        r.body["text"],
        "Unable to remove user from the default channel town-square."
    );
}

/// A store failure while a built-in checks a membership is a 500, never read as "not a
/// member" (which `/kick` would answer as ephemeral text).
#[tokio::test]
async fn a_store_failure_in_a_builtin_membership_check_is_a_500() {
    use crate::common::SqlArg;
    let (ts, s) = server(&[]).await;
    let none: &[SqlArg] = &[];
    ts.raw_execute(
        "ALTER TABLE channel_members RENAME TO channel_members_gone",
        none,
    )
    .await;
    let r = exec(&ts, &s.at, &s.chat, "/kick @bob").await;
    ts.raw_execute(
        "ALTER TABLE channel_members_gone RENAME TO channel_members",
        none,
    )
    .await;
    r.assert_err(500, "app.channel.get_member.app_error");
    assert!(is_member(&ts, &s.chat, &s.bob).await);
}
