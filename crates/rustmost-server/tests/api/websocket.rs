//! The WebSocket API: the upgrade with each way to authenticate, `hello` and `seq`, the client
//! actions, every event with who does and does not receive it, resumption, sockets closed when
//! their credential ends, and (on PostgreSQL) delivery across nodes.
//!
//! "Does not receive" is checked without waiting on a clock: after the event under test, a
//! marker event is published to the same socket; the hub delivers in publishing order, so a
//! socket that gets the marker first never got the event.

use crate::common::TestServer;
use futures_util::{SinkExt, StreamExt};
use rustmost_server::realtime::Event;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

type Stream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// How long a test waits for a frame the server must send.
pub(crate) const WAIT: Duration = Duration::from_secs(5);

pub(crate) enum Auth<'a> {
    None,
    Bearer(&'a str),
    Token(&'a str),
    Cookie(&'a str),
}

pub(crate) struct Ws {
    pub(crate) s: Stream,
    pub(crate) user_id: String,
    pub(crate) conn_id: String,
    pub(crate) next_seq: u64,
}

pub(crate) async fn open(ts: &TestServer, auth: Auth<'_>, query: &str) -> Result<Stream, u16> {
    let url = format!(
        "{}/api/v4/websocket{query}",
        ts.url.replace("http://", "ws://")
    );
    let mut req = url.into_client_request().unwrap();
    let h = req.headers_mut();
    match auth {
        Auth::None => {}
        Auth::Bearer(t) => {
            h.insert(
                "Authorization",
                HeaderValue::from_str(&format!("Bearer {t}")).unwrap(),
            );
        }
        Auth::Token(t) => {
            h.insert(
                "Authorization",
                HeaderValue::from_str(&format!("Token {t}")).unwrap(),
            );
        }
        Auth::Cookie(t) => {
            h.insert(
                "Cookie",
                HeaderValue::from_str(&format!("MMAUTHTOKEN={t}")).unwrap(),
            );
        }
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((s, _)) => Ok(s),
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => Err(r.status().as_u16()),
        Err(e) => panic!("websocket connect: {e}"),
    }
}

/// The next text frame as JSON, skipping control frames; `None` once the socket closes.
pub(crate) async fn next_frame(s: &mut Stream, wait: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let m = tokio::time::timeout_at(deadline, s.next())
            .await
            .expect("no frame from the server in time");
        match m {
            Some(Ok(Message::Text(t))) => return Some(serde_json::from_str(&t).unwrap()),
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
            Some(Ok(Message::Binary(_))) => panic!("binary frame"),
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return None,
        }
    }
}

impl Ws {
    /// A socket authenticated at the upgrade, its `hello` read.
    pub(crate) async fn connect(ts: &TestServer, auth: Auth<'_>) -> Ws {
        let mut s = open(ts, auth, "").await.expect("upgrade");
        let hello = next_frame(&mut s, WAIT).await.expect("hello");
        Ws::from_hello(s, &hello)
    }

    pub(crate) fn from_hello(s: Stream, hello: &Value) -> Ws {
        assert_eq!(hello["event"], "hello", "{hello}");
        assert_eq!(hello["seq"], 0);
        Ws {
            s,
            user_id: hello["broadcast"]["user_id"].as_str().unwrap().to_string(),
            conn_id: hello["data"]["connection_id"].as_str().unwrap().to_string(),
            next_seq: 1,
        }
    }

    /// The next event or reply; events must carry consecutive `seq`s.
    pub(crate) async fn next(&mut self) -> Value {
        let v = next_frame(&mut self.s, WAIT)
            .await
            .expect("socket closed unexpectedly");
        if v.get("event").is_some() {
            assert_eq!(v["seq"], self.next_seq, "seq out of order: {v}");
            self.next_seq += 1;
        }
        v
    }

    pub(crate) async fn next_event(&mut self) -> Value {
        loop {
            let v = self.next().await;
            if v.get("event").is_some() {
                return v;
            }
        }
    }

    /// The next event named `name`, skipping others.
    pub(crate) async fn next_named(&mut self, name: &str) -> Value {
        loop {
            let v = self.next_event().await;
            if v["event"] == name {
                return v;
            }
        }
    }

    /// Every event up to a marker published now (not included), by name.
    pub(crate) async fn drain(&mut self, ts: &TestServer) -> Vec<Value> {
        let mark = rustmost_model::new_id();
        ts.state
            .events
            .publish(Event::new("test_marker", json!({"m": mark})).to_user(&self.user_id));
        let mut out = Vec::new();
        loop {
            let v = self.next_event().await;
            if v["event"] == "test_marker" && v["data"]["m"] == mark.as_str() {
                return out;
            }
            out.push(v);
        }
    }

    /// The events named `name` up to now.
    pub(crate) async fn got(&mut self, ts: &TestServer, name: &str) -> Vec<Value> {
        self.drain(ts)
            .await
            .into_iter()
            .filter(|v| v["event"] == name)
            .collect()
    }

    pub(crate) async fn send(&mut self, v: Value) {
        self.s
            .send(Message::Text(v.to_string().into()))
            .await
            .unwrap();
    }

    /// Sends an action and returns its reply.
    pub(crate) async fn call(&mut self, seq: i64, action: &str, data: Value) -> Value {
        self.send(json!({"seq": seq, "action": action, "data": data}))
            .await;
        loop {
            let v = self.next().await;
            if v.get("event").is_none() {
                return v;
            }
        }
    }

    /// Asserts the server closes the socket within `within`, delivering no event before.
    pub(crate) async fn closed_within(mut self, within: Duration) {
        let start = Instant::now();
        let f = next_frame(&mut self.s, within + Duration::from_millis(200)).await;
        assert!(f.is_none(), "expected the socket to close, got {f:?}");
        assert!(
            start.elapsed() <= within,
            "closed after {:?}",
            start.elapsed()
        );
    }
}

/// Admin, a team, and two members (bob, carol) with town-square: (admin token, team id,
/// town-square id, bob (id, token), carol (id, token)).
pub(crate) struct World {
    pub(crate) at: String,
    pub(crate) admin_id: String,
    pub(crate) tid: String,
    pub(crate) town: String,
    pub(crate) bob: (String, String),
    pub(crate) carol: (String, String),
}

impl World {
    /// A fresh server with its world.
    pub(crate) async fn start() -> (TestServer, World) {
        let ts = TestServer::start().await;
        let w = world(&ts).await;
        (ts, w)
    }

    /// Bob's and carol's (id, token).
    pub(crate) fn members(&self) -> [(&String, &String); 2] {
        [(&self.bob.0, &self.bob.1), (&self.carol.0, &self.carol.1)]
    }
}

pub(crate) async fn world(ts: &TestServer) -> World {
    let (admin, at) = ts.admin().await;
    let r = ts.create_team(&at, "team-one", "Team One", "O").await;
    let tid = r.id();
    let mut users = Vec::new();
    for name in ["bob", "carol"] {
        let (u, t) = ts.user(&at, name).await;
        let uid = u["id"].as_str().unwrap().to_string();
        let r = ts.add_team_member(&at, &tid, &uid).await;
        assert_eq!(r.status, 201, "{}", r.text);
        users.push((uid, t));
    }
    let r = ts.channel_by_name(&at, &tid, "town-square").await;
    let town = r.id();
    let carol = users.pop().unwrap();
    let bob = users.pop().unwrap();
    World {
        at,
        admin_id: admin["id"].as_str().unwrap().to_string(),
        tid,
        town,
        bob,
        carol,
    }
}

pub(crate) async fn private_channel(ts: &TestServer, token: &str, tid: &str, name: &str) -> String {
    let r = ts
        .create_channel_with(
            token,
            json!({"team_id": tid, "display_name": format!("D {name}"), "name": name, "type": "P"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.id()
}

pub(crate) async fn post(ts: &TestServer, token: &str, channel_id: &str, message: &str) -> Value {
    let r = ts.create_post(token, channel_id, message).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

#[tokio::test]
async fn upgrade_with_header_token_cookie_and_hello() {
    let (ts, w) = World::start().await;
    for auth in [
        Auth::Bearer(&w.bob.1),
        Auth::Token(&w.bob.1),
        Auth::Cookie(&w.bob.1),
    ] {
        let mut s = open(&ts, auth, "").await.expect("upgrade");
        let hello = next_frame(&mut s, WAIT).await.unwrap();
        assert_eq!(hello["event"], "hello");
        assert_eq!(hello["seq"], 0);
        assert_eq!(hello["broadcast"]["user_id"], w.bob.0.as_str());
        let id = hello["data"]["connection_id"].as_str().unwrap();
        assert_eq!(id.len(), 26);
        assert_eq!(hello["data"]["server_version"], "10.3.0.0.rustmost.false");
        for k in [
            "omit_users",
            "channel_id",
            "team_id",
            "connection_id",
            "omit_connection_id",
        ] {
            assert!(hello["broadcast"].get(k).is_some(), "broadcast.{k}");
        }
    }
    // The trailing slash is the same route.
    let url = format!("{}/api/v4/websocket/", ts.url.replace("http://", "ws://"));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert(
        "Authorization",
        HeaderValue::from_str(&format!("Bearer {}", w.bob.1)).unwrap(),
    );
    let (mut s, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    assert_eq!(next_frame(&mut s, WAIT).await.unwrap()["event"], "hello");
    // A token in the query string is refused before the upgrade.
    let e = open(&ts, Auth::None, &format!("?access_token={}", w.bob.1))
        .await
        .err();
    assert_eq!(e, Some(401));
    // A plain GET is no upgrade: 400 with upstream's id.
    let r = ts.get("/api/v4/websocket", &w.bob.1).await;
    r.assert_err(400, "api.web_socket.connect.upgrade.app_error");
    // Origin: `null` is refused; another site too; none is fine.
    let mut req = format!("{}/api/v4/websocket", ts.url.replace("http://", "ws://"))
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("Origin", HeaderValue::from_static("null"));
    assert!(tokio_tungstenite::connect_async(req).await.is_err());
    let mut req = format!("{}/api/v4/websocket", ts.url.replace("http://", "ws://"))
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("Origin", HeaderValue::from_static("http://evil.example"));
    assert!(tokio_tungstenite::connect_async(req).await.is_err());
}

#[tokio::test]
async fn personal_and_bot_access_tokens_authenticate_by_header_and_challenge() {
    let (ts, w) = World::start().await;
    ts.set_tokens_enabled(&w.at, true).await;
    ts.enable_bot_creation(&w.at).await;
    ts.grant_token_role(&w.at, &w.bob.0).await;
    let (_, pat) = ts.create_token(&w.bob.1, &w.bob.0, "ws").await;
    let ws = Ws::connect(&ts, Auth::Token(&pat)).await;
    assert_eq!(ws.user_id, w.bob.0);
    let bot = ts.create_bot(&w.at, "listener").await;
    let bot_id = bot["user_id"].as_str().unwrap();
    let (_, bot_token) = ts.create_token(&w.at, bot_id, "bot").await;
    let ws = Ws::connect(&ts, Auth::Bearer(&bot_token)).await;
    assert_eq!(ws.user_id, bot_id);
    // The challenge, as mattermostdriver and mmpy-bot send it: hello (seq 0), then OK.
    let mut s = open(&ts, Auth::None, "").await.unwrap();
    s.send(Message::Text(
        json!({"seq": 1, "action": "authentication_challenge", "data": {"token": bot_token}})
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    let hello = next_frame(&mut s, WAIT).await.unwrap();
    assert_eq!(hello["event"], "hello");
    assert_eq!(hello["seq"], 0);
    assert_eq!(hello["broadcast"]["user_id"], bot_id);
    let ok = next_frame(&mut s, WAIT).await.unwrap();
    assert_eq!(ok, json!({"status": "OK", "seq_reply": 1}));
}

#[tokio::test]
async fn bad_and_revoked_tokens_leave_the_socket_anonymous() {
    let (ts, w) = World::start().await;
    // An invalid header token is ignored: no hello; the challenge then works.
    let mut s = open(&ts, Auth::Bearer("notatoken"), "").await.unwrap();
    s.send(Message::Text(
        json!({"seq": 1, "action": "ping"}).to_string().into(),
    ))
    .await
    .unwrap();
    s.send(Message::Text(
        json!({"seq": 2, "action": "authentication_challenge", "data": {"token": w.carol.1}})
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    // The ping's reply was dropped (anonymous); the first frame is the hello.
    let hello = next_frame(&mut s, WAIT).await.unwrap();
    assert_eq!(hello["event"], "hello");
    assert_eq!(hello["broadcast"]["user_id"], w.carol.0.as_str());
    assert_eq!(
        next_frame(&mut s, WAIT).await.unwrap(),
        json!({"status": "OK", "seq_reply": 2})
    );
    // A logged-out session at the upgrade: anonymous; a bad challenge closes the socket.
    let r = ts.post("/api/v4/users/logout", &w.bob.1, json!({})).await;
    assert_eq!(r.status, 200);
    let mut s = open(&ts, Auth::Bearer(&w.bob.1), "").await.unwrap();
    s.send(Message::Text(
        json!({"seq": 1, "action": "authentication_challenge", "data": {"token": w.bob.1}})
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    assert!(next_frame(&mut s, WAIT).await.is_none());
    // No challenge at all: closed at the 5 s deadline.
    let mut s = open(&ts, Auth::None, "").await.unwrap();
    let start = Instant::now();
    assert!(next_frame(&mut s, Duration::from_secs(7)).await.is_none());
    assert!(start.elapsed() >= Duration::from_secs(4));
}

#[tokio::test]
async fn actions_ping_statuses_errors_and_frame_limits() {
    let (ts, w) = World::start().await;
    let mut bob = Ws::connect(&ts, Auth::Bearer(&w.bob.1)).await;
    // Protocol pings are answered (the websockets and aiohttp clients rely on it).
    bob.s
        .send(Message::Ping(b"hi".to_vec().into()))
        .await
        .unwrap();
    let pong = tokio::time::timeout(WAIT, bob.s.next()).await.unwrap();
    assert!(
        matches!(&pong, Some(Ok(Message::Pong(p))) if &p[..] == b"hi"),
        "{pong:?}"
    );
    // An unsolicited pong is tolerated.
    bob.s.send(Message::Pong(Vec::new().into())).await.unwrap();
    let r = bob.call(1, "ping", json!({})).await;
    assert_eq!(r["status"], "OK");
    assert_eq!(r["seq_reply"], 1);
    assert_eq!(r["data"]["text"], "pong");
    assert_eq!(r["data"]["version"], "10.3.0");
    let r = bob.call(2, "get_statuses", json!({})).await;
    assert_eq!(r["data"], json!({ w.bob.0.clone(): "online" }));
    let r = bob
        .call(
            3,
            "get_statuses_by_ids",
            json!({"user_ids": [w.bob.0, w.carol.0]}),
        )
        .await;
    assert_eq!(
        r["data"],
        json!({ w.bob.0.clone(): "online", w.carol.0.clone(): "offline" })
    );
    let r = bob
        .call(4, "get_statuses_by_ids", json!({"user_ids": []}))
        .await;
    assert_eq!(r["status"], "FAIL");
    assert_eq!(
        r["error"]["id"],
        "api.websocket_handler.invalid_param.app_error"
    );
    let r = bob.call(5, "no_such_action", json!({})).await;
    assert_eq!(
        r["error"]["id"],
        "api.web_socket_router.bad_action.app_error"
    );
    assert_eq!(r["error"]["status_code"], 500);
    let r = bob.call(-1, "ping", json!({})).await;
    assert_eq!(r["error"]["id"], "api.web_socket_router.bad_seq.app_error");
    assert_eq!(r["error"]["status_code"], 400);
    let r = bob.call(6, "", json!({})).await;
    assert_eq!(
        r["error"]["id"],
        "api.web_socket_router.no_action.app_error"
    );
    let r = bob
        .call(7, "user_typing", json!({"channel_id": "nope"}))
        .await;
    assert_eq!(
        r["error"]["id"],
        "api.websocket_handler.invalid_param.app_error"
    );
    // A frame over 8192 bytes closes the socket (1009, as gorilla).
    bob.send(json!({"seq": 8, "action": "ping", "data": {"x": "y".repeat(9000)}}))
        .await;
    assert!(next_frame(&mut bob.s, WAIT).await.is_none());
    // An undecodable frame closes it too.
    let mut carol = Ws::connect(&ts, Auth::Bearer(&w.carol.1)).await;
    carol
        .s
        .send(Message::Text("{not json".into()))
        .await
        .unwrap();
    assert!(next_frame(&mut carol.s, WAIT).await.is_none());
}

#[tokio::test]
async fn posted_goes_to_channel_members_with_upstream_fields_and_own_mentions() {
    let (ts, w) = World::start().await;
    let priv_id = private_channel(&ts, &w.bob.1, &w.tid, "secret").await;
    let mut bob = Ws::connect(&ts, Auth::Bearer(&w.bob.1)).await;
    let mut bob2 = Ws::connect(&ts, Auth::Cookie(&w.bob.1)).await;
    let mut carol = Ws::connect(&ts, Auth::Bearer(&w.carol.1)).await;
    let mut admin = Ws::connect(&ts, Auth::Bearer(&w.at)).await;
    let p = post(&ts, &w.bob.1, &w.town, "hello @carol and @nobody").await;
    for ws in [&mut bob, &mut bob2, &mut carol, &mut admin] {
        let got = ws.got(&ts, "posted").await;
        assert_eq!(got.len(), 1, "{got:?}");
        let e = &got[0];
        let d = &e["data"];
        assert_eq!(e["broadcast"]["channel_id"], w.town.as_str());
        assert_eq!(d["channel_display_name"], "Town Square");
        assert_eq!(d["channel_name"], "town-square");
        assert_eq!(d["channel_type"], "O");
        assert_eq!(d["sender_name"], "@bob");
        assert_eq!(d["team_id"], w.tid.as_str());
        assert_eq!(d["set_online"], true);
        let inner: Value = serde_json::from_str(d["post"].as_str().unwrap()).unwrap();
        assert_eq!(inner["id"], p["id"]);
        assert_eq!(inner["message"], "hello @carol and @nobody");
        if ws.user_id == w.carol.0 {
            assert_eq!(d["mentions"], format!("[\"{}\"]", w.carol.0));
        } else {
            assert!(d.get("mentions").is_none(), "{d}");
        }
    }
    // A private channel's posts reach its members only, not carol or the admin.
    post(&ts, &w.bob.1, &priv_id, "psst").await;
    assert_eq!(bob.got(&ts, "posted").await.len(), 1);
    assert!(carol.got(&ts, "posted").await.is_empty());
    assert!(admin.got(&ts, "posted").await.is_empty());
    // Carol joins: she gets user_added and then the channel's posts.
    let r = ts.add_channel_member(&w.bob.1, &priv_id, &w.carol.0).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let added = carol.got(&ts, "user_added").await;
    assert_eq!(added.len(), 1);
    assert_eq!(added[0]["data"]["user_id"], w.carol.0.as_str());
    assert_eq!(added[0]["data"]["team_id"], w.tid.as_str());
    assert_eq!(bob.got(&ts, "user_added").await.len(), 1);
    assert!(admin.got(&ts, "user_added").await.is_empty());
    post(&ts, &w.bob.1, &priv_id, "welcome").await;
    assert_eq!(carol.got(&ts, "posted").await.len(), 1);
}

#[tokio::test]
async fn edits_deletes_reactions_and_ephemeral_posts() {
    let (ts, w) = World::start().await;
    let priv_id = private_channel(&ts, &w.bob.1, &w.tid, "secret").await;
    let mut bob = Ws::connect(&ts, Auth::Bearer(&w.bob.1)).await;
    let mut carol = Ws::connect(&ts, Auth::Bearer(&w.carol.1)).await;
    let mut admin = Ws::connect(&ts, Auth::Bearer(&w.at)).await;
    let p = post(&ts, &w.bob.1, &w.town, "react to me").await;
    let pid = p["id"].as_str().unwrap();
    let r = ts
        .post(
            "/api/v4/reactions",
            &w.carol.1,
            json!({"user_id": w.carol.0, "post_id": pid, "emoji_name": "+1"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = ts
        .delete(
            &format!("/api/v4/users/{}/posts/{pid}/reactions/+1", w.carol.0),
            &w.carol.1,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    for ws in [&mut bob, &mut carol, &mut admin] {
        let ev = ws.drain(&ts).await;
        let names: Vec<&str> = ev.iter().filter_map(|e| e["event"].as_str()).collect();
        assert_eq!(names, ["posted", "reaction_added", "reaction_removed"]);
        let r: Value = serde_json::from_str(ev[1]["data"]["reaction"].as_str().unwrap()).unwrap();
        assert_eq!(r["emoji_name"], "+1");
        assert_eq!(r["user_id"], w.carol.0.as_str());
        assert_eq!(ev[1]["broadcast"]["channel_id"], w.town.as_str());
    }
    // A reaction in a private channel stays there.
    let pp = post(&ts, &w.bob.1, &priv_id, "mine").await;
    let r = ts
        .post(
            "/api/v4/reactions",
            &w.bob.1,
            json!({"user_id": w.bob.0, "post_id": pp["id"], "emoji_name": "smile"}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(bob.got(&ts, "reaction_added").await.len(), 1);
    assert!(carol.got(&ts, "reaction_added").await.is_empty());
    // Deleted: admins get `delete_by`, others do not; each gets one copy.
    let r = ts.delete(&format!("/api/v4/posts/{pid}"), &w.bob.1).await;
    assert_eq!(r.status, 200);
    let c = carol.got(&ts, "post_deleted").await;
    assert_eq!(c.len(), 1);
    assert!(c[0]["data"].get("delete_by").is_none());
    let inner: Value = serde_json::from_str(c[0]["data"]["post"].as_str().unwrap()).unwrap();
    assert_eq!(inner["id"], pid);
    assert!(inner["delete_at"].as_i64().unwrap() > 0);
    let a = admin.got(&ts, "post_deleted").await;
    assert_eq!(a.len(), 1);
    assert_eq!(a[0]["data"]["delete_by"], w.bob.0.as_str());
    assert_eq!(a[0]["broadcast"]["contains_sensitive_data"], true);
    // Ephemeral: to its target only, never stored.
    let r = ts
        .post(
            "/api/v4/posts/ephemeral",
            &w.at,
            json!({"user_id": w.carol.0, "post": {"channel_id": w.town, "message": "only you"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let e = carol.got(&ts, "ephemeral_message").await;
    assert_eq!(e.len(), 1);
    assert_eq!(e[0]["broadcast"]["user_id"], w.carol.0.as_str());
    let inner: Value = serde_json::from_str(e[0]["data"]["post"].as_str().unwrap()).unwrap();
    assert_eq!(inner["message"], "only you");
    assert_eq!(inner["type"], "system_ephemeral");
    assert!(bob.got(&ts, "ephemeral_message").await.is_empty());
    assert!(admin.got(&ts, "ephemeral_message").await.is_empty());
    let id = inner["id"].as_str().unwrap();
    assert_eq!(
        ts.get(&format!("/api/v4/posts/{id}"), &w.at).await.status,
        404
    );
}

#[tokio::test]
async fn typing_reaches_the_channel_but_not_the_sender_or_outsiders() {
    let (ts, w) = World::start().await;
    let priv_id = private_channel(&ts, &w.bob.1, &w.tid, "secret").await;
    let mut bob = Ws::connect(&ts, Auth::Bearer(&w.bob.1)).await;
    let mut carol = Ws::connect(&ts, Auth::Bearer(&w.carol.1)).await;
    let mut admin = Ws::connect(&ts, Auth::Bearer(&w.at)).await;
    let r = bob
        .call(
            1,
            "user_typing",
            json!({"channel_id": w.town, "parent_id": ""}),
        )
        .await;
    assert_eq!(r, json!({"status": "OK", "seq_reply": 1}));
    assert!(bob.got(&ts, "typing").await.is_empty());
    for ws in [&mut carol, &mut admin] {
        let t = ws.got(&ts, "typing").await;
        assert_eq!(t.len(), 1);
        assert_eq!(t[0]["data"], json!({"parent_id": "", "user_id": w.bob.0}));
        assert_eq!(
            t[0]["broadcast"]["omit_users"],
            json!({ w.bob.0.clone(): true })
        );
    }
    bob.call(2, "user_typing", json!({"channel_id": priv_id}))
        .await;
    assert!(carol.got(&ts, "typing").await.is_empty());
    // Carol may not post in bob's private channel: refused.
    let r = carol
        .call(1, "user_typing", json!({"channel_id": priv_id}))
        .await;
    assert_eq!(
        r["error"]["id"],
        "api.websocket_handler.invalid_param.app_error"
    );
}

#[tokio::test]
async fn channel_team_user_and_config_events() {
    let (ts, w) = World::start().await;
    let mut bob = Ws::connect(&ts, Auth::Bearer(&w.bob.1)).await;
    let mut carol = Ws::connect(&ts, Auth::Bearer(&w.carol.1)).await;
    let mut admin = Ws::connect(&ts, Auth::Bearer(&w.at)).await;
    // channel_created: to the creator only.
    let cid = private_channel(&ts, &w.bob.1, &w.tid, "secret").await;
    let c = bob.got(&ts, "channel_created").await;
    assert_eq!(c.len(), 1);
    assert_eq!(c[0]["data"], json!({"channel_id": cid, "team_id": w.tid}));
    assert!(carol.got(&ts, "channel_created").await.is_empty());
    // channel_deleted / channel_restored: the whole team, even for a private channel.
    let r = ts
        .delete(&format!("/api/v4/channels/{cid}"), &w.bob.1)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    for ws in [&mut bob, &mut carol] {
        let d = ws.got(&ts, "channel_deleted").await;
        assert_eq!(d.len(), 1);
        assert_eq!(d[0]["data"]["channel_id"], cid.as_str());
        assert!(d[0]["data"]["delete_at"].as_i64().unwrap() > 0);
    }
    let r = ts
        .post(&format!("/api/v4/channels/{cid}/restore"), &w.at, json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(carol.got(&ts, "channel_restored").await.len(), 1);
    // A user outside the team hears none of the team's events.
    let (dave, dt) = ts.user(&w.at, "dave").await;
    let dave_id = dave["id"].as_str().unwrap().to_string();
    let mut dws = Ws::connect(&ts, Auth::Bearer(&dt)).await;
    post(&ts, &w.bob.1, &w.town, "team only").await;
    let r = ts.add_team_member(&w.at, &w.tid, &dave_id).await;
    assert_eq!(r.status, 201);
    let ev = dws.drain(&ts).await;
    let names: Vec<&str> = ev.iter().filter_map(|e| e["event"].as_str()).collect();
    assert!(names.contains(&"added_to_team"), "{names:?}");
    assert!(
        !names.contains(&"posted")
            || ev.iter().all(|e| e["event"] != "posted"
                || e["data"]["post"].as_str().unwrap().contains("system_")),
        "{names:?}"
    );
    let a = ev.iter().find(|e| e["event"] == "added_to_team").unwrap();
    assert_eq!(a["data"], json!({"team_id": w.tid, "user_id": dave_id}));
    assert!(carol.got(&ts, "added_to_team").await.is_empty());
    // Now a member: town-square posts arrive.
    post(&ts, &w.bob.1, &w.town, "hi dave").await;
    assert_eq!(dws.got(&ts, "posted").await.len(), 1);
    // leave_team: the team (not the leaver) and a copy to the leaver; afterwards the leaver
    // gets nothing from the team's channels.
    let r = ts
        .delete(&format!("/api/v4/teams/{}/members/{dave_id}", w.tid), &dt)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let l = dws.got(&ts, "leave_team").await;
    assert_eq!(l.len(), 1);
    assert_eq!(l[0]["broadcast"]["user_id"], dave_id.as_str());
    let l = carol.got(&ts, "leave_team").await;
    assert_eq!(l.len(), 1);
    assert_eq!(l[0]["data"], json!({"user_id": dave_id, "team_id": w.tid}));
    post(&ts, &w.bob.1, &w.town, "dave is gone").await;
    assert!(dws.got(&ts, "posted").await.is_empty());
    assert_eq!(carol.got(&ts, "posted").await.len(), 1);
    // user_updated: others get the sanitized profile, the user the full one.
    ts.patch_config(
        &w.at,
        json!({"PrivacySettings": {"ShowEmailAddress": false}}),
    )
    .await;
    let r = ts
        .put(
            &format!("/api/v4/users/{}/patch", w.bob.0),
            &w.bob.1,
            json!({"nickname": "Bobby"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let own = bob.got(&ts, "user_updated").await;
    assert_eq!(own.len(), 1);
    assert_eq!(own[0]["data"]["user"]["email"], "bob@example.com");
    assert_eq!(own[0]["data"]["user"]["nickname"], "Bobby");
    let other = carol.got(&ts, "user_updated").await;
    assert_eq!(other.len(), 1);
    assert_eq!(other[0]["data"]["user"]["nickname"], "Bobby");
    assert_eq!(other[0]["data"]["user"]["email"], "");
    let adm = admin.got(&ts, "user_updated").await;
    assert_eq!(adm.len(), 1);
    assert_eq!(adm[0]["data"]["user"]["email"], "bob@example.com");
    // user_role_updated: to that user.
    let r = ts
        .put(
            &format!("/api/v4/users/{}/roles", w.carol.0),
            &w.at,
            json!({"roles": "system_user system_user_access_token"}),
        )
        .await;
    assert_eq!(r.status, 200);
    let ru = carol.got(&ts, "user_role_updated").await;
    assert_eq!(ru.len(), 1);
    assert_eq!(
        ru[0]["data"],
        json!({"user_id": w.carol.0, "roles": "system_user system_user_access_token"})
    );
    assert!(bob.got(&ts, "user_role_updated").await.is_empty());
    // new_user and config_changed: everyone.
    let (eve, _) = ts.user(&w.at, "eve").await;
    for ws in [&mut bob, &mut carol, &mut dws] {
        let n = ws.got(&ts, "new_user").await;
        assert_eq!(n.len(), 1);
        assert_eq!(n[0]["data"]["user_id"], eve["id"]);
    }
    ts.patch_config(&w.at, json!({"TeamSettings": {"SiteName": "Renamed"}}))
        .await;
    let c = bob.got(&ts, "config_changed").await;
    assert_eq!(c.len(), 1);
    assert_eq!(c[0]["data"]["config"]["SiteName"], "Renamed");
    let _ = w.admin_id;
}

/// Opens a socket for `token` asking to resume what `query` names (a connection id, maybe a
/// sequence number).
async fn resume(ts: &TestServer, token: &str, query: &str) -> Stream {
    open(ts, Auth::Bearer(token), query).await.expect("upgrade")
}

/// As [`resume`], where the server starts afresh instead: the socket and its `hello`.
async fn fresh_hello(ts: &TestServer, token: &str, query: &str) -> (Stream, Value) {
    let mut s = resume(ts, token, query).await;
    let hello = next_frame(&mut s, WAIT).await.unwrap();
    assert_eq!(hello["event"], "hello");
    (s, hello)
}

#[tokio::test]
async fn resume_replays_missed_events_or_starts_fresh() {
    let (ts, w) = World::start().await;
    let mut bob = Ws::connect(&ts, Auth::Bearer(&w.bob.1)).await;
    post(&ts, &w.carol.1, &w.town, "one").await;
    let seen = bob.next_event().await;
    assert_eq!(seen["seq"], 1);
    let conn_id = bob.conn_id.clone();
    bob.s.close(None).await.unwrap();
    drop(bob);
    for m in ["two", "three", "four"] {
        post(&ts, &w.carol.1, &w.town, m).await;
    }
    // Resume from seq 2: exactly two, three, four, with their original seqs, no hello.
    let s = resume(
        &ts,
        &w.bob.1,
        &format!("?connection_id={conn_id}&sequence_number=2"),
    )
    .await;
    let mut ws = Ws {
        s,
        user_id: w.bob.0.clone(),
        conn_id: conn_id.clone(),
        next_seq: 2,
    };
    let ev = ws.drain(&ts).await;
    let msgs: Vec<String> = ev
        .iter()
        .map(|e| {
            let p: Value = serde_json::from_str(e["data"]["post"].as_str().unwrap()).unwrap();
            p["message"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(msgs, ["two", "three", "four"]);
    // Taking over a live connection with its next seq: nothing replayed, seq continues.
    let next = ws.next_seq;
    let s = resume(
        &ts,
        &w.bob.1,
        &format!("?connection_id={conn_id}&sequence_number={next}"),
    )
    .await;
    let mut ws2 = Ws {
        s,
        user_id: w.bob.0.clone(),
        conn_id: conn_id.clone(),
        next_seq: next,
    };
    post(&ts, &w.carol.1, &w.town, "five").await;
    assert_eq!(ws2.got(&ts, "posted").await.len(), 1);
    // A sequence number the server no longer has (ahead of it): a new id and hello.
    let (_ahead, hello) = fresh_hello(
        &ts,
        &w.bob.1,
        &format!("?connection_id={conn_id}&sequence_number=999"),
    )
    .await;
    assert_ne!(hello["data"]["connection_id"], conn_id.as_str());
    // The old id is gone with it.
    let (_gone, hello) = fresh_hello(
        &ts,
        &w.bob.1,
        &format!("?connection_id={conn_id}&sequence_number=1"),
    )
    .await;
    assert_ne!(hello["data"]["connection_id"], conn_id.as_str());
    // Too far behind (more than 128 missed): a new id.
    let mut carol = Ws::connect(&ts, Auth::Bearer(&w.carol.1)).await;
    let cid = carol.conn_id.clone();
    carol.s.close(None).await.unwrap();
    drop(carol);
    for i in 0..140 {
        ts.state
            .events
            .publish(Event::new("test_fill", json!({"i": i})).to_user(&w.carol.0));
    }
    // Wait until the fill went through the hub (a marker to a live socket of carol).
    let mut other = Ws::connect(&ts, Auth::Bearer(&w.carol.1)).await;
    other.drain(&ts).await;
    let (_behind, hello) = fresh_hello(
        &ts,
        &w.carol.1,
        &format!("?connection_id={cid}&sequence_number=1"),
    )
    .await;
    assert_ne!(hello["data"]["connection_id"], cid.as_str());
    // Another user cannot take a connection over.
    let (_other, _) = fresh_hello(
        &ts,
        &w.carol.1,
        &format!("?connection_id={conn_id}&sequence_number={}", next + 1),
    )
    .await;
    // A connection id without a sequence number: closed after the upgrade.
    let mut s = resume(&ts, &w.bob.1, &format!("?connection_id={conn_id}")).await;
    assert!(next_frame(&mut s, WAIT).await.is_none());
}

/// Publishes an event to `user_id` right after `change`, then asserts the socket closes within
/// a second without delivering it.
async fn closes_after(ts: &TestServer, ws: Ws, user_id: &str) {
    ts.state
        .events
        .publish(Event::new("test_after", json!({})).to_user(user_id));
    ws.closed_within(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn sockets_close_when_their_credential_ends() {
    let (ts, w) = World::start().await;
    ts.set_tokens_enabled(&w.at, true).await;
    ts.grant_token_role(&w.at, &w.bob.0).await;
    // Logout.
    let t = ts.login("carol", "User-Passw0rd!").await;
    let ws = Ws::connect(&ts, Auth::Bearer(&t)).await;
    let keep = Ws::connect(&ts, Auth::Bearer(&w.carol.1)).await;
    assert_eq!(
        ts.post("/api/v4/users/logout", &t, json!({})).await.status,
        200
    );
    closes_after(&ts, ws, &w.carol.0).await;
    // Carol's other session is untouched: it still receives events.
    let mut keep = keep;
    assert_eq!(keep.got(&ts, "test_after").await.len(), 1);
    // A token revoked, disabled, rotated.
    for how in ["revoke", "disable", "rotate"] {
        let (tok, secret) = ts.create_token(&w.bob.1, &w.bob.0, how).await;
        let ws = Ws::connect(&ts, Auth::Token(&secret)).await;
        let id = tok["id"].as_str().unwrap();
        let r = ts
            .post(
                &format!("/api/v4/users/tokens/{how}"),
                &w.bob.1,
                json!({"token_id": id}),
            )
            .await;
        assert_eq!(r.status, 200, "{how}: {}", r.text);
        closes_after(&ts, ws, &w.bob.0).await;
    }
    // Tokens turned off: a human's token socket closes, a bot's stays.
    ts.enable_bot_creation(&w.at).await;
    let bot = ts.create_bot(&w.at, "stayer").await;
    let bot_id = bot["user_id"].as_str().unwrap().to_string();
    let (_, bot_secret) = ts.create_token(&w.at, &bot_id, "bot").await;
    let mut bws = Ws::connect(&ts, Auth::Bearer(&bot_secret)).await;
    let (_, secret) = ts.create_token(&w.bob.1, &w.bob.0, "off").await;
    let ws = Ws::connect(&ts, Auth::Token(&secret)).await;
    ts.set_tokens_enabled(&w.at, false).await;
    closes_after(&ts, ws, &w.bob.0).await;
    assert_eq!(bws.got(&ts, "config_changed").await.len(), 1);
    ts.set_tokens_enabled(&w.at, true).await;
    // A disabled bot's socket closes (what was sent before the change is read first).
    bws.drain(&ts).await;
    let r = ts
        .post(&format!("/api/v4/bots/{bot_id}/disable"), &w.at, json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    closes_after(&ts, bws, &bot_id).await;
    // An expiring token: closed when it expires.
    let soon = rustmost_model::now_ms() + 2500;
    let r = ts
        .post(
            &format!("/api/v4/users/{}/tokens", w.bob.0),
            &w.bob.1,
            json!({"description": "short", "expires_at": soon}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let ws = Ws::connect(&ts, Auth::Token(r.body["token"].as_str().unwrap())).await;
    let mut ws = ws;
    let f = next_frame(&mut ws.s, Duration::from_secs(4)).await;
    assert!(f.is_none(), "{f:?}");
    assert!(rustmost_model::now_ms() < soon + 1000, "closed late");
    // Deactivation closes every socket of the user, token or session.
    let (_, secret) = ts.create_token(&w.bob.1, &w.bob.0, "deact").await;
    let ws1 = Ws::connect(&ts, Auth::Token(&secret)).await;
    let ws2 = Ws::connect(&ts, Auth::Bearer(&w.bob.1)).await;
    let r = ts
        .put(
            &format!("/api/v4/users/{}/active", w.bob.0),
            &w.at,
            json!({"active": false}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    closes_after(&ts, ws1, &w.bob.0).await;
    ws2.closed_within(Duration::from_secs(1)).await;
    // Revoke all of carol's sessions.
    let ws = Ws::connect(&ts, Auth::Bearer(&w.carol.1)).await;
    let r = ts
        .post(
            &format!("/api/v4/users/{}/sessions/revoke/all", w.carol.0),
            &w.at,
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    closes_after(&ts, ws, &w.carol.0).await;
    drop(keep);
}

#[tokio::test]
async fn integration_ephemeral_text_reaches_the_clicking_user() {
    use axum::routing::post as axum_post;
    let (ts, w) = World::start().await;
    ts.patch_config(
        &w.at,
        json!({"ServiceSettings": {"AllowedUntrustedInternalConnections": "127.0.0.1"}}),
    )
    .await;
    let app = axum::Router::new().route(
        "/act",
        axum_post(|| async { axum::Json(json!({"ephemeral_text": "only for you"})) }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    let r = ts
        .post(
            "/api/v4/posts",
            &w.bob.1,
            json!({"channel_id": w.town, "message": "click", "props": {"attachments": [{"actions": [
                {"id": "act1", "name": "Go", "integration": {"url": format!("http://{addr}/act")}}]}]}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let pid = r.id();
    let mut bob = Ws::connect(&ts, Auth::Bearer(&w.bob.1)).await;
    let mut carol = Ws::connect(&ts, Auth::Bearer(&w.carol.1)).await;
    let r = ts
        .post(
            &format!("/api/v4/posts/{pid}/actions/act1"),
            &w.carol.1,
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let e = carol.got(&ts, "ephemeral_message").await;
    assert_eq!(e.len(), 1);
    let inner: Value = serde_json::from_str(e[0]["data"]["post"].as_str().unwrap()).unwrap();
    assert_eq!(inner["message"], "only for you");
    assert_eq!(inner["root_id"], pid.as_str());
    assert_eq!(inner["user_id"], w.carol.0.as_str());
    assert!(bob.got(&ts, "ephemeral_message").await.is_empty());
}

/// Node A and node B on one PostgreSQL database, or `None` on SQLite.
async fn two_nodes(test: &str) -> Option<(TestServer, TestServer)> {
    let a = TestServer::start().await;
    let Some(b) = a.start_peer().await else {
        eprintln!("{test}: skipped, needs RUSTMOST_TEST_DATASOURCE=postgres://…");
        return None;
    };
    Some((a, b))
}

#[tokio::test]
async fn events_and_revocations_cross_nodes() {
    let Some((a, b)) = two_nodes("events_and_revocations_cross_nodes").await else {
        return;
    };
    let w = world(&a).await;
    let mut on_b = Ws::connect(&b, Auth::Bearer(&w.carol.1)).await;
    let mut other_b = Ws::connect(&b, Auth::Bearer(&w.bob.1)).await;
    // A small and a large post (over PostgreSQL's 8000-byte NOTIFY limit), in order, within
    // a second each.
    let big = "x".repeat(12_000);
    post(&a, &w.bob.1, &w.town, "small").await;
    post(&a, &w.bob.1, &w.town, &big).await;
    let start = Instant::now();
    // (Events of the setup made on A may still be arriving.)
    let e1 = on_b.next_named("posted").await;
    let e2 = on_b.next_named("posted").await;
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    let m = |e: &Value| -> String {
        let p: Value = serde_json::from_str(e["data"]["post"].as_str().unwrap()).unwrap();
        p["message"].as_str().unwrap().to_string()
    };
    assert_eq!(e1["event"], "posted");
    assert_eq!(m(&e1), "small");
    assert_eq!(m(&e2), big);
    // Typing on node B reaches node A, not the sender.
    let mut on_a = Ws::connect(&a, Auth::Bearer(&w.carol.1)).await;
    other_b
        .call(1, "user_typing", json!({"channel_id": w.town}))
        .await;
    let t = on_a.next_named("typing").await;
    assert_eq!(t["data"]["user_id"], w.bob.0.as_str());
    // A private channel's post on A does not reach a non-member on B.
    let priv_id = private_channel(&a, &w.bob.1, &w.tid, "secret").await;
    post(&a, &w.bob.1, &priv_id, "psst").await;
    post(&a, &w.bob.1, &w.town, "after").await;
    // A's events arrive in order: had the private post reached carol, it would come first.
    assert_eq!(m(&on_b.next_named("posted").await), "after");
    // Logging out on A closes the socket on B within a second.
    let t = a.login("carol", "User-Passw0rd!").await;
    let ws = Ws::connect(&b, Auth::Bearer(&t)).await;
    assert_eq!(
        a.post("/api/v4/users/logout", &t, json!({})).await.status,
        200
    );
    ws.closed_within(Duration::from_secs(1)).await;
    drop(b);
}

#[tokio::test]
async fn a_removed_member_hears_of_it_and_nothing_more_from_the_channel() {
    let (ts, w) = World::start().await;
    let cid = private_channel(&ts, &w.bob.1, &w.tid, "secret").await;
    let r = ts.add_channel_member(&w.bob.1, &cid, &w.carol.0).await;
    assert_eq!(r.status, 201);
    let mut bob = Ws::connect(&ts, Auth::Bearer(&w.bob.1)).await;
    let mut carol = Ws::connect(&ts, Auth::Bearer(&w.carol.1)).await;
    post(&ts, &w.bob.1, &cid, "before").await;
    assert_eq!(carol.got(&ts, "posted").await.len(), 1);
    // The removal as the (future) endpoint commits and announces it.
    ts.state
        .store
        .delete_channel_member(&cid, &w.carol.0)
        .await
        .unwrap();
    rustmost_server::realtime::events::user_removed(&ts.state, &cid, &w.carol.0, &w.bob.0);
    let own = carol.got(&ts, "user_removed").await;
    assert_eq!(own.len(), 1);
    assert_eq!(
        own[0]["data"],
        json!({"channel_id": cid, "remover_id": w.bob.0})
    );
    let others = bob.got(&ts, "user_removed").await;
    assert_eq!(others.len(), 1);
    assert_eq!(
        others[0]["data"],
        json!({"user_id": w.carol.0, "remover_id": w.bob.0})
    );
    post(&ts, &w.bob.1, &cid, "after").await;
    assert!(carol.got(&ts, "posted").await.is_empty());
    assert_eq!(bob.got(&ts, "posted").await.len(), 1);
}

/// A store failure in the `user_typing` permission check is answered as the 500 it is, never
/// as "not allowed" (`invalid_param`).
#[tokio::test]
async fn a_store_failure_in_the_typing_check_is_a_500() {
    use crate::common::SqlArg;
    let (ts, w) = World::start().await;
    let mut bob = Ws::connect(&ts, Auth::Bearer(&w.bob.1)).await;
    let none: &[SqlArg] = &[];
    ts.raw_execute(
        "ALTER TABLE channel_members RENAME TO channel_members_gone",
        none,
    )
    .await;
    let r = bob
        .call(1, "user_typing", json!({"channel_id": w.town}))
        .await;
    ts.raw_execute(
        "ALTER TABLE channel_members_gone RENAME TO channel_members",
        none,
    )
    .await;
    assert_eq!(r["error"]["id"], "app.channel.get_member.app_error");
    assert_eq!(r["error"]["status_code"], 500);
    let r = bob
        .call(2, "user_typing", json!({"channel_id": w.town}))
        .await;
    assert_eq!(r, json!({"status": "OK", "seq_reply": 2}));
}

/// Integration posts reach the channel's sockets as `posted`, as a person's do: an incoming
/// webhook's post and a built-in command's `in_channel` post.
#[tokio::test]
async fn webhook_and_command_posts_are_published() {
    let (ts, w) = World::start().await;
    let mut carol = Ws::connect(&ts, Auth::Bearer(&w.carol.1)).await;
    let r = ts
        .post(
            "/api/v4/hooks/incoming",
            &w.at,
            json!({"channel_id": w.town}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let hook = r.id();
    let r = ts
        .http
        .post(format!("{}/hooks/{hook}", ts.url))
        .json(&json!({"text": "from the hook"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = ts.execute_command(&w.bob.1, &w.town, "/me waves").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let posted: Vec<Value> = carol
        .got(&ts, "posted")
        .await
        .iter()
        .map(|e| serde_json::from_str(e["data"]["post"].as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(posted.len(), 2, "{posted:?}");
    assert_eq!(posted[0]["message"], "from the hook");
    assert_eq!(posted[0]["props"]["from_webhook"], "true");
    assert_eq!(posted[1]["message"], "*waves*");
    assert_eq!(posted[1]["user_id"], w.bob.0.as_str());
}

#[tokio::test]
async fn webhook_posts_and_in_channel_command_answers_are_posted_events() {
    use axum::routing::post as axum_post;
    let ts = TestServer::start_with_env(&[
        (
            "MM_SERVICESETTINGS_ALLOWEDUNTRUSTEDINTERNALCONNECTIONS",
            "127.0.0.1",
        ),
        ("MM_SERVICESETTINGS_SITEURL", "http://localhost:8065"),
    ])
    .await;
    let w = world(&ts).await;
    let mut bob = Ws::connect(&ts, Auth::Bearer(&w.bob.1)).await;
    // An incoming webhook's post reaches the channel's members like anyone's.
    let r = ts
        .post(
            "/api/v4/hooks/incoming",
            &w.at,
            json!({"channel_id": w.town, "display_name": "ci"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let hook = r.id();
    let r = ts
        .http
        .post(format!("{}/hooks/{hook}", ts.url))
        .json(&json!({"text": "build passed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let got = bob.got(&ts, "posted").await;
    assert_eq!(got.len(), 1, "{got:?}");
    let inner: Value = serde_json::from_str(got[0]["data"]["post"].as_str().unwrap()).unwrap();
    assert_eq!(inner["message"], "build passed");
    assert_eq!(inner["props"]["from_webhook"], "true");
    assert_eq!(got[0]["broadcast"]["channel_id"], w.town.as_str());
    // A custom command's in_channel answer too.
    let app = axum::Router::new().route(
        "/cmd",
        axum_post(|| async {
            axum::Json(json!({"response_type": "in_channel", "text": "deploying"}))
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    let r = ts
        .post(
            "/api/v4/commands",
            &w.at,
            json!({"team_id": w.tid, "trigger": "deploy", "url": format!("http://{addr}/cmd"), "method": "P"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = ts.execute_command(&w.bob.1, &w.town, "/deploy").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let got = bob.got(&ts, "posted").await;
    assert_eq!(got.len(), 1, "{got:?}");
    let inner: Value = serde_json::from_str(got[0]["data"]["post"].as_str().unwrap()).unwrap();
    assert_eq!(inner["message"], "deploying");
    assert_eq!(inner["user_id"], w.bob.0.as_str());
}

#[tokio::test]
async fn header_and_purpose_commands_publish_channel_updated_to_members() {
    let (ts, w) = World::start().await;
    let priv_id = private_channel(&ts, &w.bob.1, &w.tid, "quiet").await;
    let mut bob = Ws::connect(&ts, Auth::Bearer(&w.bob.1)).await;
    let mut carol = Ws::connect(&ts, Auth::Bearer(&w.carol.1)).await;
    for (cmd, field, text) in [
        ("/header", "header", "Freeze"),
        ("/purpose", "purpose", "Ops"),
    ] {
        let r = ts
            .post(
                "/api/v4/commands/execute",
                &w.bob.1,
                json!({"channel_id": w.town, "command": format!("{cmd} {text}")}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        for ws in [&mut bob, &mut carol] {
            let got = ws.got(&ts, "channel_updated").await;
            assert_eq!(got.len(), 1, "{got:?}");
            assert_eq!(got[0]["broadcast"]["channel_id"], w.town.as_str());
            let c: Value =
                serde_json::from_str(got[0]["data"]["channel"].as_str().unwrap()).unwrap();
            assert_eq!(c[field], text);
        }
    }
    // A private channel's change stays with its members.
    let r = ts
        .execute_command(&w.bob.1, &priv_id, "/header secret")
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(bob.got(&ts, "channel_updated").await.len(), 1);
    assert!(carol.got(&ts, "channel_updated").await.is_empty());
}
