//! Interactive buttons and menus: the integration receives Mattermost's request and may update
//! the post; internal addresses are refused unless allowed.

use crate::common::{TestServer, expect_errors};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A one-route HTTP server on loopback that records request bodies and answers `reply`.
async fn integration(reply: Value, status: u16) -> (String, Arc<Mutex<Vec<Value>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let seen = seen2.clone();
            let reply = reply.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut tmp = [0u8; 4096];
                loop {
                    let n = sock.read(&mut tmp).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&tmp[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let len = text[..end]
                            .lines()
                            .find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.eq_ignore_ascii_case("content-length")
                                    .then(|| v.trim().parse::<usize>().ok())?
                            })
                            .unwrap_or(0);
                        if buf.len() >= end + 4 + len {
                            let body: Value = serde_json::from_slice(&buf[end + 4..end + 4 + len])
                                .unwrap_or(Value::Null);
                            seen.lock().unwrap().push(body);
                            let out = reply.to_string();
                            let resp = format!(
                                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{out}",
                                out.len()
                            );
                            let _ = sock.write_all(resp.as_bytes()).await;
                            return;
                        }
                    }
                }
            });
        }
    });
    (format!("http://127.0.0.1:{}", addr.port()), seen)
}

async fn post_with_actions(ts: &TestServer, at: &str, url: &str) -> (Value, String, String) {
    let t = ts.create_team(at, "team-one", "T", "O").await;
    let tid = t.id();
    let c = ts.channel_by_name(at, &tid, "town-square").await;
    let cid = c.body["id"].as_str().unwrap();
    let p = ts
        .post("/api/v4/posts", at, json!({"channel_id": cid, "message": "Pick", "props": {"attachments": [{"text": "t", "actions": [
            {"name": "Click me", "integration": {"url": format!("{url}/hook"), "context": {"action": "do", "k2": "v2"}}},
            {"type": "select", "name": "Pick", "options": [{"text": "A", "value": "a"}], "integration": {"url": format!("{url}/sel"), "context": {"x": "y"}}}]}]}}))
        .await;
    assert_eq!(p.status, 201, "{}", p.text);
    let b = p.body["props"]["attachments"][0]["actions"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let s = p.body["props"]["attachments"][0]["actions"][1]["id"]
        .as_str()
        .unwrap()
        .to_string();
    (p.body, b, s)
}

#[tokio::test]
async fn button_calls_integration_and_applies_update() {
    let ts = TestServer::start_trusting_loopback().await;
    let (admin, at) = ts.admin().await;
    let (url, seen) = integration(
        json!({"update": {"message": "Clicked!", "props": {}}, "ephemeral_text": "done"}),
        200,
    )
    .await;
    let (post, button, select) = post_with_actions(&ts, &at, &url).await;
    let pid = post["id"].as_str().unwrap();
    let r = ts.post_action(&at, pid, &button, json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "OK");
    assert_eq!(r.body["trigger_id"].as_str().unwrap().len(), 26);
    let req = seen.lock().unwrap()[0].clone();
    assert_eq!(req["user_id"], admin["id"]);
    assert_eq!(req["user_name"], "admin");
    assert_eq!(req["post_id"], pid);
    assert_eq!(req["channel_id"], post["channel_id"]);
    assert_eq!(req["channel_name"], "town-square");
    assert_eq!(req["team_domain"], "team-one");
    assert_eq!(req["type"], "");
    assert_eq!(req["context"], json!({"action": "do", "k2": "v2"}));
    assert!(!req["trigger_id"].as_str().unwrap().is_empty());
    let updated = ts.get(&format!("/api/v4/posts/{pid}"), &at).await;
    assert_eq!(updated.body["message"], "Clicked!");
    assert_ne!(updated.body["edit_at"], 0);
    assert!(updated.body["props"].get("attachments").is_none());
    // A menu sends the selected option in the context (the post no longer has the menu, so
    // use a fresh post).
    let _ = select;
}

#[tokio::test]
async fn menu_sends_selected_option() {
    let ts = TestServer::start_trusting_loopback().await;
    let (_, at) = ts.admin().await;
    let (url, seen) = integration(json!({}), 200).await;
    let (post, _button, select) = post_with_actions(&ts, &at, &url).await;
    let pid = post["id"].as_str().unwrap();
    let r = ts
        .post_action(&at, pid, &select, json!({"selected_option": "a"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let req = seen.lock().unwrap()[0].clone();
    assert_eq!(req["type"], "select");
    assert_eq!(req["context"], json!({"x": "y", "selected_option": "a"}));
    // No update: the post is unchanged.
    assert_eq!(
        ts.get(&format!("/api/v4/posts/{pid}"), &at).await.body["message"],
        "Pick"
    );
}

#[tokio::test]
async fn loopback_is_refused_without_allow_list() {
    let (ts, _, at) = TestServer::start_with_admin().await;
    let (url, seen) = integration(json!({}), 200).await;
    let (post, button, _) = post_with_actions(&ts, &at, &url).await;
    let pid = post["id"].as_str().unwrap();
    expect_errors!(ts;
        post(&format!("/api/v4/posts/{pid}/actions/{button}"), &at, json!({}))
            => 400, "api.post.do_action.action_integration.app_error";
    );
    // A name resolving to loopback is refused too.
    let local = url.replace("127.0.0.1", "localhost");
    let (post2, button2, _) = {
        let c = post["channel_id"].as_str().unwrap();
        let p = ts.post("/api/v4/posts", &at, json!({"channel_id": c, "message": "x", "props": {"attachments": [{"actions": [{"name": "b", "integration": {"url": format!("{local}/h")}}]}]}})).await;
        let id = p.body["props"]["attachments"][0]["actions"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        (p.body, id, ())
    };
    expect_errors!(ts;
        post(&format!("/api/v4/posts/{}/actions/{button2}", post2["id"].as_str().unwrap()), &at, json!({}))
            => 400, "api.post.do_action.action_integration.app_error";
    );
    assert!(
        seen.lock().unwrap().is_empty(),
        "the integration must not be reached"
    );
}

#[tokio::test]
async fn action_errors() {
    let ts = TestServer::start_with_env(&[(
        "MM_SERVICESETTINGS_ALLOWEDUNTRUSTEDINTERNALCONNECTIONS",
        "127.0.0.1/32",
    )])
    .await;
    let (_, at) = ts.admin().await;
    let (url, _seen) = integration(json!({"error": "nope"}), 500).await;
    let (post, button, _) = post_with_actions(&ts, &at, &url).await;
    let pid = post["id"].as_str().unwrap();
    // CIDR entries allow the address; a non-200 answer is an integration error.
    expect_errors!(ts;
        post(&format!("/api/v4/posts/{pid}/actions/{button}"), &at, json!({}))
            => 400, "api.post.do_action.action_integration.app_error";
        post(&format!("/api/v4/posts/{pid}/actions/nosuchaction"), &at, json!({}))
            => 404, "api.post.do_action.action_id.app_error";
        post(&format!("/api/v4/posts/{pid}/actions/bad_id"), &at, json!({}))
            => 404, "api.context.404.app_error";
    );
    let (_, bt) = ts.user(&at, "bob").await;
    expect_errors!(ts;
        post(&format!("/api/v4/posts/{pid}/actions/{button}"), &bt, json!({}))
            => 403, "api.context.permissions.app_error";
        post("/api/v4/posts/nosuchpost0000000000000000/actions/abc", &at, json!({}))
            => 404, "app.post.get.app_error";
    );
}

/// A body that is not JSON is logged and ignored, as upstream: the click still reaches the
/// integration (with no selected option).
#[tokio::test]
async fn undecodable_action_body_is_ignored() {
    let ts = TestServer::start_trusting_loopback().await;
    let (_, at) = ts.admin().await;
    let (url, seen) = integration(json!({}), 200).await;
    let (post, _button, select) = post_with_actions(&ts, &at, &url).await;
    let pid = post["id"].as_str().unwrap();
    let r = ts
        .http
        .post(format!("{}/api/v4/posts/{pid}/actions/{select}", ts.url))
        .bearer_auth(&at)
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let r = crate::common::Resp::read(r).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "OK");
    let req = seen.lock().unwrap()[0].clone();
    assert_eq!(req["context"], json!({"x": "y"}));
}

/// The integration's answer is read up to 1 MB (upstream `MaxIntegrationResponseSize`): a
/// larger one is an integration error and changes nothing; one just under the cap works.
#[tokio::test]
async fn oversized_integration_reply_is_refused() {
    let ts = TestServer::start_trusting_loopback().await;
    let (_, at) = ts.admin().await;
    let big = json!({"update": {"message": "too big"}, "pad": "x".repeat(1024 * 1024)});
    let (url, seen) = integration(big, 200).await;
    let (post, button, _) = post_with_actions(&ts, &at, &url).await;
    let pid = post["id"].as_str().unwrap();
    expect_errors!(ts;
        post(&format!("/api/v4/posts/{pid}/actions/{button}"), &at, json!({}))
            => 400, "api.post.do_action.action_integration.app_error";
    );
    assert_eq!(seen.lock().unwrap().len(), 1, "the integration was called");
    assert_eq!(
        ts.get(&format!("/api/v4/posts/{pid}"), &at).await.body["message"],
        "Pick"
    );
    let fits = json!({"update": {"message": "fits"}, "pad": "x".repeat(1000 * 1000)});
    let (url, _) = integration(fits, 200).await;
    let (post, button, _) = post_with_actions_in(&ts, &at, &url, &post["channel_id"]).await;
    let pid = post["id"].as_str().unwrap();
    let r = ts.post_action(&at, pid, &button, json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        ts.get(&format!("/api/v4/posts/{pid}"), &at).await.body["message"],
        "fits"
    );
}

/// A post with one button calling `url`, in an existing channel.
async fn post_with_actions_in(
    ts: &TestServer,
    at: &str,
    url: &str,
    channel_id: &Value,
) -> (Value, String, ()) {
    let p = ts
        .post("/api/v4/posts", at, json!({"channel_id": channel_id, "message": "Pick", "props": {"attachments": [{"actions": [{"name": "b", "integration": {"url": format!("{url}/h")}}]}]}}))
        .await;
    assert_eq!(p.status, 201, "{}", p.text);
    let id = p.body["props"]["attachments"][0]["actions"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    (p.body, id, ())
}

#[tokio::test]
async fn update_cannot_make_a_persons_post_look_like_a_bots() {
    let ts = TestServer::start_trusting_loopback().await;
    let (_, at) = ts.admin().await;
    ts.patch_config(
        &at,
        json!({"ServiceSettings": {"EnablePostUsernameOverride": true, "EnablePostIconOverride": true}}),
    )
    .await;
    let (u, ut) = ts.user(&at, "plain").await;
    let uid = u["id"].as_str().unwrap();
    let t = ts.create_team(&at, "team-two", "T", "O").await;
    let tid = t.body["id"].as_str().unwrap();
    ts.add_team_member(&at, tid, &uid).await.assert_ok();
    let c = ts.channel_by_name(&ut, tid, "town-square").await;
    let cid = c.body["id"].as_str().unwrap();
    ts.add_channel_member(&ut, cid, &uid).await.assert_ok();
    let (url, _seen) = integration(
        json!({"update": {"message": "Approved", "props": {"from_bot": "true",
            "override_username": "Security Bot", "override_icon_url": "http://x/i.png",
            "from_webhook": "true", "webhook_display_name": "Hook", "from_plugin": "true",
            "state": "done"}}}),
        200,
    )
    .await;
    let p = ts
        .post("/api/v4/posts", &ut, json!({"channel_id": cid, "message": "Approve?",
            "props": {"attachments": [{"actions": [{"name": "OK", "integration": {"url": format!("{url}/hook")}}]}]}}))
        .await;
    assert_eq!(p.status, 201, "{}", p.text);
    let pid = p.body["id"].as_str().unwrap();
    let button = p.body["props"]["attachments"][0]["actions"][0]["id"]
        .as_str()
        .unwrap();
    let r = ts.post_action(&ut, pid, button, json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let stored = ts.get(&format!("/api/v4/posts/{pid}"), &ut).await;
    assert_eq!(stored.body["message"], "Approved");
    assert_eq!(stored.body["user_id"], uid);
    assert_eq!(stored.body["props"], json!({"state": "done"}));
}
