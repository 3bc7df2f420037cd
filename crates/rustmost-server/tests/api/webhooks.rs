//! Incoming and outgoing webhooks: the REST endpoints with their permissions and switches,
//! `POST /hooks/{id}` with every body kind, overrides, channel lock, long text and direct
//! messages, and outgoing calls to small axum receivers on loopback (payloads, signature,
//! replies, the guard).

use crate::common::{Resp, TestServer, expect_errors, hmac_sha256_hex};
use axum::body::Bytes;
use axum::http::HeaderMap;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

struct Env {
    ts: TestServer,
    at: String,
    admin: Value,
    tid: String,
    /// An open channel and a private one, both created by the admin.
    open: Value,
    private: Value,
    bob: Value,
    bt: String,
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

async fn setup_with(env: &[(&str, &str)]) -> Env {
    let ts = TestServer::start_with_env(env).await;
    let (admin, at) = ts.admin().await;
    let r = ts.create_team(&at, "hooks", "Hooks", "O").await;
    let tid = id(r.assert_ok());
    let (bob, bt) = ts.user(&at, "bob").await;
    ts.add_team_member(&at, &tid, &bob["id"]).await.assert_ok();
    let mut chans = Vec::new();
    for (name, kind) in [("open-one", "O"), ("secret", "P")] {
        let r = ts.create_channel(&at, &tid, name, name, kind).await;
        chans.push(r.assert_ok().clone());
    }
    let private = chans.pop().unwrap();
    let open = chans.pop().unwrap();
    Env {
        ts,
        at,
        admin,
        tid,
        open,
        private,
        bob,
        bt,
    }
}

async fn setup() -> Env {
    setup_with(&[]).await
}

async fn join(e: &Env, channel: &Value, user: &Value) {
    e.ts.post(
        &format!("/api/v4/channels/{}/members", id(channel)),
        &e.at,
        json!({"user_id": user["id"]}),
    )
    .await
    .assert_ok();
}

/// Grants every team member the newer `manage_own_*` permissions only.
async fn grant_own(e: &Env) {
    let role = e.ts.get("/api/v4/roles/name/team_user", &e.at).await;
    let mut perms: Vec<Value> = role.body["permissions"].as_array().unwrap().clone();
    perms.push(json!("manage_own_incoming_webhooks"));
    perms.push(json!("manage_own_outgoing_webhooks"));
    e.ts.patch_role(&e.at, &id(&role.body), json!(perms))
        .await
        .assert_ok();
}

async fn incoming(e: &Env, token: &str, body: Value) -> Value {
    let r = e.ts.post("/api/v4/hooks/incoming", token, body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

async fn send(e: &Env, hook: &str, body: Value) -> Resp {
    let r =
        e.ts.http
            .post(format!("{}/hooks/{hook}", e.ts.url))
            .json(&body)
            .send()
            .await
            .unwrap();
    Resp::read(r).await
}

async fn send_raw(e: &Env, hook: &str, ctype: &str, body: Vec<u8>) -> Resp {
    let r =
        e.ts.http
            .post(format!("{}/hooks/{hook}", e.ts.url))
            .header("Content-Type", ctype)
            .body(body)
            .send()
            .await
            .unwrap();
    Resp::read(r).await
}

#[track_caller]
fn assert_hook_ok(r: &Resp) {
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.text, "ok");
    assert_eq!(r.headers["content-type"], "text/plain");
}

/// The channel's posts, newest first.
async fn posts(e: &Env, channel_id: &str) -> Vec<Value> {
    let r =
        e.ts.get(&format!("/api/v4/channels/{channel_id}/posts"), &e.at)
            .await;
    let b = r.assert_ok();
    b["order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| b["posts"][i.as_str().unwrap()].clone())
        .collect()
}

#[tokio::test]
async fn incoming_rest_crud_and_errors() {
    let e = setup().await;
    let cid = id(&e.open);
    // Channel first (404 even for someone without permission), then permission.
    expect_errors!(e.ts;
        post("/api/v4/hooks/incoming", &e.bt, json!({"channel_id": "a".repeat(26)}))
            => 404, "app.channel.get.existing.app_error";
        post("/api/v4/hooks/incoming", &e.bt, json!({"channel_id": cid}))
            => 403, "api.context.permissions.app_error";
        post("/api/v4/hooks/incoming", &e.at, json!("nope"))
            => 400, "api.context.invalid_body_param.app_error";
    );

    let h = incoming(
        &e,
        &e.at,
        json!({"channel_id": cid, "display_name": "CI", "description": "builds",
               "channel_locked": false, "team_id": "ignored", "username": "ci"}),
    )
    .await;
    assert_eq!(h["team_id"], e.tid);
    assert_eq!(h["user_id"], e.admin["id"]);
    assert_eq!(
        h["channel_locked"], false,
        "the admin may leave it unlocked"
    );
    assert_eq!(h["username"], "", "blank while the override is off");
    assert_eq!(h["last_used_at"], 0);
    let hid = id(&h);
    let got =
        e.ts.get(&format!("/api/v4/hooks/incoming/{hid}"), &e.at)
            .await;
    assert_eq!(got.assert_ok()["display_name"], "CI");
    expect_errors!(e.ts;
        get("/api/v4/hooks/incoming/bad", &e.at) => 400, "api.context.invalid_url_param.app_error";
        get(&format!("/api/v4/hooks/incoming/{}", "b".repeat(26)), &e.at)
            => 404, "app.webhooks.get_incoming.app_error";
        get(&format!("/api/v4/hooks/incoming/{hid}"), &e.bt)
            => 403, "api.context.permissions.app_error";
    );

    // Update answers 201; the path id must match and the team cannot change.
    let mut upd = h.clone();
    upd["display_name"] = json!("CI 2");
    upd["user_id"] = e.bob["id"].clone();
    let r =
        e.ts.put(&format!("/api/v4/hooks/incoming/{hid}"), &e.at, upd.clone())
            .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["display_name"], "CI 2");
    assert_eq!(r.body["user_id"], e.admin["id"], "the owner is kept");
    let mut other = upd.clone();
    other["id"] = json!("c".repeat(26));
    e.ts.put(&format!("/api/v4/hooks/incoming/{hid}"), &e.at, other)
        .await
        .assert_err(400, "api.context.invalid_body_param.app_error");
    let mut team = upd.clone();
    team["team_id"] = json!("d".repeat(26));
    e.ts.put(&format!("/api/v4/hooks/incoming/{hid}"), &e.at, team)
        .await
        .assert_err(400, "api.webhook.team_mismatch.app_error");
    let mut no_team = upd.clone();
    no_team["team_id"] = json!("");
    let r =
        e.ts.put(&format!("/api/v4/hooks/incoming/{hid}"), &e.at, no_team)
            .await;
    assert_eq!(r.status, 201, "an omitted team is the hook's: {}", r.text);

    // Listing: paging and the total count.
    for n in 0..2 {
        incoming(
            &e,
            &e.at,
            json!({"channel_id": cid, "display_name": format!("h{n}")}),
        )
        .await;
    }
    let r =
        e.ts.get(
            &format!("/api/v4/hooks/incoming?team_id={}&per_page=2&page=1", e.tid),
            &e.at,
        )
        .await;
    assert_eq!(r.assert_ok().as_array().unwrap().len(), 1);
    let r =
        e.ts.get(
            &format!(
                "/api/v4/hooks/incoming?team_id={}&include_total_count=true&per_page=1",
                e.tid
            ),
            &e.at,
        )
        .await;
    assert_eq!(r.body["total_count"], 3);
    assert_eq!(r.body["incoming_webhooks"].as_array().unwrap().len(), 1);
    let all = e.ts.get("/api/v4/hooks/incoming", &e.at).await;
    assert_eq!(all.assert_ok().as_array().unwrap().len(), 3);
    e.ts.get(&format!("/api/v4/hooks/incoming?team_id={}", e.tid), &e.bt)
        .await
        .assert_err(403, "api.context.permissions.app_error");

    // Delete is soft: the hook is gone for the API and its URL.
    e.ts.delete(&format!("/api/v4/hooks/incoming/{hid}"), &e.at)
        .await
        .assert_ok();
    e.ts.get(&format!("/api/v4/hooks/incoming/{hid}"), &e.at)
        .await
        .assert_err(404, "app.webhooks.get_incoming.app_error");
    send(&e, &hid, json!({"text": "x"}))
        .await
        .assert_err(400, "web.incoming_webhook.invalid.app_error");
    // The username is checked once the override lets it be kept.
    e.ts.patch_config(
        &e.at,
        json!({"ServiceSettings": {"EnablePostUsernameOverride": true}}),
    )
    .await;
    expect_errors!(e.ts;
        post("/api/v4/hooks/incoming", &e.at, json!({"channel_id": cid, "username": "no spaces allowed"}))
            => 400, "api.incoming_webhook.invalid_username.app_error";
    );
}

#[tokio::test]
async fn own_permission_sees_own_hooks_and_is_locked() {
    let e = setup().await;
    let cid = id(&e.open);
    let admins = incoming(&e, &e.at, json!({"channel_id": cid})).await;
    grant_own(&e).await;
    // The newer permission name works; without the bypass the hook is locked.
    let mine = incoming(
        &e,
        &e.bt,
        json!({"channel_id": cid, "channel_locked": false}),
    )
    .await;
    assert_eq!(mine["channel_locked"], true);
    assert_eq!(mine["user_id"], e.bob["id"]);
    let list =
        e.ts.get(&format!("/api/v4/hooks/incoming?team_id={}", e.tid), &e.bt)
            .await;
    let list = list.assert_ok().as_array().unwrap().clone();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], mine["id"]);
    expect_errors!(e.ts;
        get(&format!("/api/v4/hooks/incoming/{}", id(&admins)), &e.bt)
            => 403, "api.context.permissions.app_error";
        // Naming another owner needs manage_others.
        post("/api/v4/hooks/incoming", &e.bt, json!({"channel_id": cid, "user_id": e.admin["id"]}))
            => 403, "api.context.permissions.app_error";
        // A private channel the creator cannot read.
        post("/api/v4/hooks/incoming", &e.bt, json!({"channel_id": id(&e.private)}))
            => 403, "api.context.permissions.app_error";
    );
    // Outgoing with the newer name too.
    let r =
        e.ts.post(
            "/api/v4/hooks/outgoing",
            &e.bt,
            json!({"team_id": e.tid, "trigger_words": ["go"], "callback_urls": ["http://example.com/x"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
}

#[tokio::test]
async fn switches_off_are_refused() {
    let e = setup().await;
    let cid = id(&e.open);
    let h = incoming(&e, &e.at, json!({"channel_id": cid})).await;
    e.ts.patch_config(
        &e.at,
        json!({"ServiceSettings": {"EnableIncomingWebhooks": false, "EnableOutgoingWebhooks": false}}),
    )
    .await;
    expect_errors!(e.ts;
        post("/api/v4/hooks/incoming", &e.at, json!({"channel_id": cid}))
            => 501, "api.incoming_webhook.disabled.app_error";
        get("/api/v4/hooks/incoming", &e.at) => 501, "api.incoming_webhook.disabled.app_error";
        get(&format!("/api/v4/hooks/incoming/{}", id(&h)), &e.at)
            => 501, "api.incoming_webhook.disabled.app_error";
    );
    send(&e, &id(&h), json!({"text": "x"}))
        .await
        .assert_err(501, "web.incoming_webhook.disabled.app_error");
    expect_errors!(e.ts;
        post("/api/v4/hooks/outgoing", &e.at, json!({"team_id": e.tid, "trigger_words": ["go"], "callback_urls": ["http://example.com/x"]}))
            => 501, "api.outgoing_webhook.disabled.app_error";
        get("/api/v4/hooks/outgoing", &e.at) => 501, "api.outgoing_webhook.disabled.app_error";
    );
    // The client config says so, and reports the override switches.
    let cfg = e.ts.get("/api/v4/config/client?format=old", &e.at).await;
    assert_eq!(cfg.body["EnableIncomingWebhooks"], "false");
    assert_eq!(cfg.body["EnableOutgoingWebhooks"], "false");
    assert_eq!(cfg.body["EnablePostUsernameOverride"], "false");
    e.ts.patch_config(
        &e.at,
        json!({"ServiceSettings": {"EnablePostUsernameOverride": true, "EnablePostIconOverride": true}}),
    )
    .await;
    let cfg = e.ts.get("/api/v4/config/client?format=old", &e.at).await;
    assert_eq!(cfg.body["EnablePostUsernameOverride"], "true");
    assert_eq!(cfg.body["EnablePostIconOverride"], "true");
}

#[tokio::test]
async fn bodies_json_form_multipart() {
    let e = setup().await;
    let cid = id(&e.open);
    let hid = id(&incoming(
        &e,
        &e.at,
        json!({"channel_id": cid, "display_name": "Disp"}),
    )
    .await);
    assert_hook_ok(&send(&e, &hid, json!({"text": "from json", "unknown": 1})).await);
    let form = format!(
        "payload={}",
        form_urlencoded::byte_serialize(br#"{"text": "from form"}"#).collect::<String>()
    );
    assert_hook_ok(
        &send_raw(
            &e,
            &hid,
            "application/x-www-form-urlencoded",
            form.into_bytes(),
        )
        .await,
    );
    let mp = "--XyZ\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nfrom multipart\r\n\
              --XyZ\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nmp\r\n--XyZ--\r\n";
    assert_hook_ok(&send_raw(&e, &hid, "multipart/form-data; boundary=XyZ", mp.into()).await);
    // Upstream's decoder knows Go field names only: `icon_url` is refused.
    let bad = "--XyZ\r\nContent-Disposition: form-data; name=\"icon_url\"\r\n\r\nx\r\n--XyZ--\r\n";
    send_raw(&e, &hid, "multipart/form-data; boundary=XyZ", bad.into())
        .await
        .assert_err(400, "api.webhook.incoming.error");
    // No content type is JSON; raw newlines in strings are forgiven.
    assert_hook_ok(&send_raw(&e, &hid, "", b"{\"text\": \"line1\nline2\"}".to_vec()).await);
    send_raw(&e, &hid, "application/json", b"{\"text\": ".to_vec())
        .await
        .assert_err(400, "model.incoming_hook.parse_data.app_error");
    send(&e, &hid, json!({"username": "x"}))
        .await
        .assert_err(400, "web.incoming_webhook.text.app_error");
    send(&e, &"z".repeat(26), json!({"text": "x"}))
        .await
        .assert_err(400, "web.incoming_webhook.invalid.app_error");
    // matterhook: `text: null` with attachments.
    assert_hook_ok(
        &send(
            &e,
            &hid,
            json!({"text": null, "attachments": [{"fallback": "f", "text": "att <!channel>", "title": "T"}]}),
        )
        .await,
    );
    let ps = posts(&e, &cid).await;
    let texts: Vec<&str> = ps.iter().map(|p| p["message"].as_str().unwrap()).collect();
    assert_eq!(
        texts[..5],
        [
            "",
            "line1\nline2",
            "from multipart",
            "from form",
            "from json"
        ]
    );
    assert_eq!(ps[0]["type"], "slack_attachment");
    assert_eq!(ps[0]["props"]["attachments"][0]["text"], "att @channel");
    for p in &ps[..5] {
        assert_eq!(p["user_id"], e.admin["id"]);
        assert_eq!(p["props"]["from_webhook"], "true");
        assert_eq!(p["props"]["webhook_display_name"], "Disp");
    }
    // A body over MaximumPayloadSizeBytes (+512) is refused before it is parsed.
    let big = json!({"text": "a".repeat(310_000)})
        .to_string()
        .into_bytes();
    send_raw(&e, &hid, "application/json", big)
        .await
        .assert_err(400, "model.incoming_hook.parse_data.app_error");
    // The hook shows when it was last used.
    let h =
        e.ts.get(&format!("/api/v4/hooks/incoming/{hid}"), &e.at)
            .await;
    assert!(h.body["last_used_at"].as_i64().unwrap() > 0);
}

#[tokio::test]
async fn overrides_only_when_switched_on_and_reserved_props_dropped() {
    let e = setup().await;
    let cid = id(&e.open);
    let hid = id(&incoming(&e, &e.at, json!({"channel_id": cid})).await);
    let body = json!({"text": "hi", "username": "Apprise", "icon_url": "http://x/i.png",
        "props": {"from_bot": "true", "from_plugin": "true", "override_username": "evil",
                  "override_icon_emoji": "smile", "custom": "kept"}});
    assert_hook_ok(&send(&e, &hid, body.clone()).await);
    let p = posts(&e, &cid).await[0].clone();
    let props = p["props"].as_object().unwrap();
    for k in [
        "from_bot",
        "from_plugin",
        "override_username",
        "override_icon_url",
        "override_icon_emoji",
    ] {
        assert!(!props.contains_key(k), "{k} must be dropped: {props:?}");
    }
    assert_eq!(props["custom"], "kept");
    assert_eq!(props["from_webhook"], "true");
    e.ts.patch_config(
        &e.at,
        json!({"ServiceSettings": {"EnablePostUsernameOverride": true, "EnablePostIconOverride": true}}),
    )
    .await;
    assert_hook_ok(&send(&e, &hid, body).await);
    let p = posts(&e, &cid).await[0].clone();
    assert_eq!(p["props"]["override_username"], "Apprise");
    assert_eq!(p["props"]["override_icon_url"], "http://x/i.png");
    assert!(p["props"].get("from_bot").is_none());
    // Without a username the override names the post `webhook`.
    assert_hook_ok(&send(&e, &hid, json!({"text": "plain"})).await);
    let p = posts(&e, &cid).await[0].clone();
    assert_eq!(p["props"]["override_username"], "webhook");
    // A system type is refused.
    send(
        &e,
        &hid,
        json!({"text": "x", "type": "system_join_channel"}),
    )
    .await
    .assert_err(400, "api.context.invalid_param.app_error");
}

#[tokio::test]
async fn channel_field_and_lock() {
    let e = setup().await;
    let cid = id(&e.open);
    let r =
        e.ts.create_channel(&e.at, &e.tid, "other", "Other", "O")
            .await;
    let other = id(r.assert_ok());
    let hid = id(&incoming(&e, &e.at, json!({"channel_id": cid})).await);
    assert_hook_ok(&send(&e, &hid, json!({"text": "a", "channel": "other"})).await);
    assert_hook_ok(&send(&e, &hid, json!({"text": "b", "channel": "#other"})).await);
    assert_eq!(
        posts(&e, &other)
            .await
            .iter()
            .filter(|p| p["props"]["from_webhook"] == "true")
            .count(),
        2
    );
    send(&e, &hid, json!({"text": "c", "channel": "nowhere"}))
        .await
        .assert_err(404, "web.incoming_webhook.channel.app_error");
    // A locked hook posts only to its own channel.
    let locked = id(&incoming(
        &e,
        &e.at,
        json!({"channel_id": cid, "channel_locked": true}),
    )
    .await);
    send(&e, &locked, json!({"text": "d", "channel": "other"}))
        .await
        .assert_err(403, "web.incoming_webhook.channel_locked.app_error");
    assert_hook_ok(&send(&e, &locked, json!({"text": "e", "channel": "open-one"})).await);
    // Bob's hook cannot reach a private channel he is not in.
    grant_own(&e).await;
    let r =
        e.ts.create_channel(&e.bt, &e.tid, "bobs", "Bobs", "O")
            .await;
    let bobs = id(r.assert_ok());
    let bh = incoming(&e, &e.bt, json!({"channel_id": bobs})).await;
    // Unlock it (as the admin, who has the bypass) to try other channels.
    let mut unlocked = bh.clone();
    unlocked["channel_locked"] = json!(false);
    let r =
        e.ts.put(
            &format!("/api/v4/hooks/incoming/{}", id(&bh)),
            &e.at,
            unlocked,
        )
        .await;
    assert_eq!(r.body["channel_locked"], false, "{}", r.text);
    // Upstream lets a hook reach any public channel; here only one its owner may post to.
    send(&e, &id(&bh), json!({"text": "f", "channel": "open-one"}))
        .await
        .assert_err(403, "web.incoming_webhook.permissions.app_error");
    join(&e, &e.open, &e.bob).await;
    assert_hook_ok(&send(&e, &id(&bh), json!({"text": "f", "channel": "open-one"})).await);
    send(&e, &id(&bh), json!({"text": "f", "channel": "secret"}))
        .await
        .assert_err(403, "web.incoming_webhook.permissions.app_error");
    join(&e, &e.private, &e.bob).await;
    assert_hook_ok(&send(&e, &id(&bh), json!({"text": "g", "channel": "secret"})).await);
}

#[tokio::test]
async fn long_text_is_split() {
    let e = setup().await;
    let cid = id(&e.open);
    let hid = id(&incoming(&e, &e.at, json!({"channel_id": cid})).await);
    let text = format!(
        "{}{}{}",
        "a".repeat(16383),
        "b".repeat(16383),
        "c".repeat(10)
    );
    assert_hook_ok(
        &send(
            &e,
            &hid,
            json!({"text": text, "attachments": [{"text": "att"}], "props": {"k": "v"}}),
        )
        .await,
    );
    let ps = posts(&e, &cid).await;
    let parts: Vec<&Value> = ps.iter().take(3).collect();
    assert_eq!(parts[2]["message"], "a".repeat(16383));
    assert_eq!(parts[1]["message"], "b".repeat(16383));
    assert_eq!(parts[0]["message"], "c".repeat(10));
    assert!(parts[1]["props"].get("attachments").is_none());
    assert_eq!(parts[1]["props"]["k"], "v");
    assert_eq!(parts[0]["props"]["attachments"][0]["text"], "att");
    assert_eq!(parts[0]["type"], "slack_attachment");
}

#[tokio::test]
async fn at_user_makes_a_direct_message() {
    let e = setup().await;
    let hid = id(&incoming(&e, &e.at, json!({"channel_id": id(&e.open)})).await);
    assert_hook_ok(&send(&e, &hid, json!({"text": "psst", "channel": "@bob"})).await);
    let (a, b) = (
        e.admin["id"].as_str().unwrap(),
        e.bob["id"].as_str().unwrap(),
    );
    let name = if a < b {
        format!("{a}__{b}")
    } else {
        format!("{b}__{a}")
    };
    let dm =
        e.ts.state
            .store
            .get_channel_by_name("", &name)
            .await
            .unwrap();
    assert_eq!(dm.channel_type, "D");
    let ps = posts(&e, &dm.id).await;
    assert_eq!(ps[0]["message"], "psst");
    assert!(e.ts.state.store.get_channel_member(&dm.id, b).await.is_ok());
    // The second message reuses the channel.
    assert_hook_ok(&send(&e, &hid, json!({"text": "again", "channel": "@bob"})).await);
    assert_eq!(posts(&e, &dm.id).await.len(), 2);
    send(&e, &hid, json!({"text": "x", "channel": "@nobody"}))
        .await
        .assert_err(400, "web.incoming_webhook.user.app_error");
}

#[tokio::test]
async fn creator_deactivated_or_gone_stops_the_hook() {
    let e = setup().await;
    grant_own(&e).await;
    join(&e, &e.open, &e.bob).await;
    let hid = id(&incoming(&e, &e.bt, json!({"channel_id": id(&e.open)})).await);
    assert_hook_ok(&send(&e, &hid, json!({"text": "one"})).await);
    let bob = id(&e.bob);
    e.ts.add_team_member(&e.at, &e.tid, &bob).await;
    e.ts.delete(&format!("/api/v4/teams/{}/members/{bob}", e.tid), &e.at)
        .await
        .assert_ok();
    send(&e, &hid, json!({"text": "two"}))
        .await
        .assert_err(403, "web.incoming_webhook.permissions.app_error");
    e.ts.add_team_member(&e.at, &e.tid, &bob).await.assert_ok();
    join(&e, &e.open, &e.bob).await;
    assert_hook_ok(&send(&e, &hid, json!({"text": "three"})).await);
    e.ts.delete(&format!("/api/v4/users/{bob}"), &e.at)
        .await
        .assert_ok();
    send(&e, &hid, json!({"text": "four"}))
        .await
        .assert_err(403, "web.incoming_webhook.user.app_error");
}

#[tokio::test]
async fn incoming_url_can_be_regenerated() {
    let e = setup().await;
    let hid = id(&incoming(&e, &e.at, json!({"channel_id": id(&e.open)})).await);
    expect_errors!(e.ts;
        post(&format!("/api/v4/hooks/incoming/{hid}/regen_id"), &e.bt, json!({}))
            => 403, "api.context.permissions.app_error";
    );
    let r =
        e.ts.post(
            &format!("/api/v4/hooks/incoming/{hid}/regen_id"),
            &e.at,
            json!({}),
        )
        .await;
    let new = id(r.assert_ok());
    assert_ne!(new, hid);
    send(&e, &hid, json!({"text": "old"}))
        .await
        .assert_err(400, "web.incoming_webhook.invalid.app_error");
    assert_hook_ok(&send(&e, &new, json!({"text": "new"})).await);
}

// ---- Outgoing ----

type Seen = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

/// An axum receiver on loopback that records each request and answers `reply` (after
/// `delay`); `/redirect` sends the client on to `/`.
async fn receiver(reply: Value, delay: Duration) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let s2 = seen.clone();
    let app = axum::Router::new()
        .route(
            "/",
            axum::routing::post(move |h: HeaderMap, b: Bytes| {
                let (seen, reply) = (s2.clone(), reply.clone());
                async move {
                    seen.lock().unwrap().push((h, b));
                    tokio::time::sleep(delay).await;
                    axum::Json(reply)
                }
            }),
        )
        .route(
            "/redirect",
            axum::routing::post(|| async { axum::response::Redirect::temporary("/") }),
        );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://127.0.0.1:{}", l.local_addr().unwrap().port());
    // `/bounce` sends the client to the same receiver by its IP literal.
    let literal = format!("{url}/");
    let app = app.route(
        "/bounce",
        axum::routing::post(move || {
            let to = literal.clone();
            async move { axum::response::Redirect::temporary(&to) }
        }),
    );
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (url, seen)
}

const ALLOW_LOOPBACK: (&str, &str) = (
    "MM_SERVICESETTINGS_ALLOWEDUNTRUSTEDINTERNALCONNECTIONS",
    "127.0.0.1",
);

async fn outgoing(e: &Env, body: Value) -> Value {
    let r = e.ts.post("/api/v4/hooks/outgoing", &e.at, body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

/// Waits (bounded) for the receiver to have seen `n` requests.
async fn wait_seen(seen: &Seen, n: usize) {
    for _ in 0..200 {
        if seen.lock().unwrap().len() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "receiver saw {} requests, wanted {n}",
        seen.lock().unwrap().len()
    );
}

/// Waits (bounded) for a post matching `f` in the channel.
async fn wait_post(e: &Env, cid: &str, f: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..200 {
        if let Some(p) = posts(e, cid).await.into_iter().find(&f) {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no such post in {cid}");
}

fn verify_signature(h: &HeaderMap, body: &[u8], token: &str) {
    let ts = h["X-Rustmost-Request-Timestamp"].to_str().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((now - ts.parse::<i64>().unwrap()).abs() < 60);
    let want = hmac_sha256_hex(token, &[format!("v0:{ts}:").as_bytes(), body]);
    assert_eq!(
        h["X-Rustmost-Signature"].to_str().unwrap(),
        format!("v0={want}")
    );
}

#[tokio::test]
async fn outgoing_rest_rules() {
    let e = setup().await;
    let cid = id(&e.open);
    let base = json!({"team_id": e.tid, "callback_urls": ["http://example.com/a"]});
    let with = |extra: Value| {
        let mut b = base.clone();
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    expect_errors!(e.ts;
        post("/api/v4/hooks/outgoing", &e.at, base.clone())
            => 400, "api.webhook.create_outgoing.triggers.app_error";
        post("/api/v4/hooks/outgoing", &e.at, with(json!({"channel_id": id(&e.private)})))
            => 403, "api.outgoing_webhook.disabled.app_error";
        post("/api/v4/hooks/outgoing", &e.at, with(json!({"trigger_words": ["go"], "trigger_when": 2})))
            => 400, "model.outgoing_hook.is_valid.content_type.app_error";
        post("/api/v4/hooks/outgoing", &e.at, with(json!({"trigger_words": ["go"], "callback_urls": ["ftp://x"]})))
            => 400, "model.outgoing_hook.is_valid.url.app_error";
        post("/api/v4/hooks/outgoing", &e.bt, with(json!({"trigger_words": ["go"]})))
            => 403, "api.context.permissions.app_error";
    );
    let h = outgoing(
        &e,
        with(json!({"trigger_words": ["go", "run"], "display_name": "Go"})),
    )
    .await;
    let hid = id(&h);
    assert_eq!(h["token"].as_str().unwrap().len(), 26);
    assert_eq!(h["creator_id"], e.admin["id"]);
    let r =
        e.ts.post(
            "/api/v4/hooks/outgoing",
            &e.at,
            with(json!({"trigger_words": ["run"]})),
        )
        .await;
    r.assert_err(500, "api.webhook.create_outgoing.intersect.app_error");
    let h2 = outgoing(&e, with(json!({"channel_id": cid}))).await;
    // Get, list by team and by channel.
    e.ts.get(&format!("/api/v4/hooks/outgoing/{hid}"), &e.at)
        .await
        .assert_ok();
    expect_errors!(e.ts;
        get(&format!("/api/v4/hooks/outgoing/{}", "q".repeat(26)), &e.at)
            => 404, "app.webhooks.get_outgoing.app_error";
        get(&format!("/api/v4/hooks/outgoing/{hid}"), &e.bt)
            => 403, "api.context.permissions.app_error";
    );
    let l =
        e.ts.get(&format!("/api/v4/hooks/outgoing?team_id={}", e.tid), &e.at)
            .await;
    assert_eq!(l.assert_ok().as_array().unwrap().len(), 2);
    let l =
        e.ts.get(&format!("/api/v4/hooks/outgoing?channel_id={cid}"), &e.at)
            .await;
    assert_eq!(l.assert_ok().as_array().unwrap()[0]["id"], h2["id"]);
    // Update: the body's token is ignored; overlap, closed channel and team are refused.
    let mut upd = h.clone();
    upd["token"] = json!("attackerchosentoken0000000");
    upd["trigger_words"] = json!(["deploy"]);
    let r =
        e.ts.put(&format!("/api/v4/hooks/outgoing/{hid}"), &e.at, upd.clone())
            .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["token"], h["token"]);
    assert_eq!(r.body["trigger_words"], json!(["deploy"]));
    let mut closed = upd.clone();
    closed["channel_id"] = json!(id(&e.private));
    e.ts.put(&format!("/api/v4/hooks/outgoing/{hid}"), &e.at, closed)
        .await
        .assert_err(403, "api.webhook.create_outgoing.not_open.app_error");
    let mut team = upd.clone();
    team["team_id"] = json!("t".repeat(26));
    e.ts.put(&format!("/api/v4/hooks/outgoing/{hid}"), &e.at, team)
        .await
        .assert_err(400, "api.webhook.team_mismatch.app_error");
    // A third hook on the channel with trigger `x`: giving h2 the same trigger overlaps it.
    outgoing(&e, with(json!({"channel_id": cid, "trigger_words": ["x"]}))).await;
    let mut t2 = h2.clone();
    t2["trigger_words"] = json!(["x"]);
    e.ts.put(&format!("/api/v4/hooks/outgoing/{}", id(&h2)), &e.at, t2)
        .await
        .assert_err(400, "api.webhook.update_outgoing.intersect.app_error");
    // regen_token and delete.
    let r =
        e.ts.post(
            &format!("/api/v4/hooks/outgoing/{hid}/regen_token"),
            &e.at,
            json!({}),
        )
        .await;
    assert_ne!(r.assert_ok()["token"], h["token"]);
    e.ts.delete(&format!("/api/v4/hooks/outgoing/{hid}"), &e.at)
        .await
        .assert_ok();
    e.ts.get(&format!("/api/v4/hooks/outgoing/{hid}"), &e.at)
        .await
        .assert_err(404, "app.webhooks.get_outgoing.app_error");
}

#[tokio::test]
async fn outgoing_json_call_signed_and_reply_posted() {
    let e = setup_with(&[ALLOW_LOOPBACK]).await;
    let cid = id(&e.open);
    let (url, seen) = receiver(
        json!({"text": "pong", "response_type": "comment", "username": "Bot", "props": {"from_bot": "true"}}),
        Duration::ZERO,
    )
    .await;
    let h = outgoing(
        &e,
        json!({"team_id": e.tid, "trigger_words": ["ping"], "callback_urls": [format!("{url}/redirect")],
               "content_type": "application/json", "display_name": "Pinger"}),
    )
    .await;
    let token = h["token"].as_str().unwrap();
    e.ts.patch_config(
        &e.at,
        json!({"ServiceSettings": {"EnablePostUsernameOverride": true}}),
    )
    .await;
    let r = e.ts.create_post(&e.at, &cid, "ping me").await;
    let trigger = r.assert_ok().clone();
    wait_seen(&seen, 1).await;
    let (headers, body) = seen.lock().unwrap()[0].clone();
    verify_signature(&headers, &body, token);
    assert_eq!(headers["content-type"], "application/json");
    let p: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(p["token"], token);
    assert_eq!(p["team_id"], e.tid);
    assert_eq!(p["team_domain"], "hooks");
    assert_eq!(p["channel_id"], cid);
    assert_eq!(p["channel_name"], "open-one");
    assert_eq!(p["user_id"], e.admin["id"]);
    assert_eq!(p["user_name"], "admin");
    assert_eq!(p["post_id"], trigger["id"]);
    assert_eq!(p["text"], "ping me");
    assert_eq!(p["trigger_word"], "ping");
    assert_eq!(p["timestamp"], trigger["create_at"], "milliseconds in JSON");
    let reply = wait_post(&e, &cid, |p| p["message"] == "pong").await;
    assert_eq!(
        reply["root_id"], trigger["id"],
        "a comment threads under the trigger"
    );
    assert_eq!(reply["user_id"], e.admin["id"]);
    assert_eq!(reply["props"]["from_webhook"], "true");
    assert_eq!(reply["props"]["override_username"], "Bot");
    assert_eq!(reply["props"]["webhook_display_name"], "Pinger");
    assert!(reply["props"].get("from_bot").is_none());
    // The reply (a webhook post) fired nothing; the hook shows its use.
    let got =
        e.ts.get(&format!("/api/v4/hooks/outgoing/{}", id(&h)), &e.at)
            .await;
    assert!(got.body["last_used_at"].as_i64().unwrap() > 0);
}

/// Stores a post without firing hooks, for driving `fire_outgoing` directly.
async fn stored_post(
    e: &Env,
    cid: &str,
    message: &str,
) -> (rustmost_model::post::Post, rustmost_model::channel::Channel) {
    let p = rustmost_model::post::Post {
        id: rustmost_model::new_id(),
        channel_id: cid.to_string(),
        user_id: id(&e.admin),
        message: message.to_string(),
        create_at: rustmost_model::now_ms(),
        ..Default::default()
    };
    e.ts.state.store.insert_post(&p).await.unwrap();
    let c = e.ts.state.store.get_channel(cid).await.unwrap();
    (p, c)
}

#[tokio::test]
async fn outgoing_form_and_trigger_rules() {
    use rustmost_server::app::webhooks::fire_outgoing;
    let e = setup_with(&[ALLOW_LOOPBACK]).await;
    let cid = id(&e.open);
    let (url, seen) = receiver(json!({}), Duration::ZERO).await;
    outgoing(
        &e,
        json!({"team_id": e.tid, "trigger_words": ["build"], "trigger_when": 0, "callback_urls": [url]}),
    )
    .await;
    let (url2, seen2) = receiver(json!({}), Duration::ZERO).await;
    outgoing(
        &e,
        json!({"team_id": e.tid, "trigger_words": ["dep"], "trigger_when": 1, "callback_urls": [url2]}),
    )
    .await;
    for (msg, calls) in [
        ("build now", 1),
        ("builder now", 0),
        ("now build", 0),
        ("Build", 0),
        ("deploy it", 1),
        ("dep", 1),
    ] {
        let (p, c) = stored_post(&e, &cid, msg).await;
        let r = fire_outgoing(&e.ts.state, &p, &c).await.unwrap();
        assert_eq!(r.len(), calls, "{msg}");
        assert!(r.iter().all(Result::is_ok), "{msg}: {r:?}");
    }
    assert_eq!(seen.lock().unwrap().len(), 1);
    assert_eq!(seen2.lock().unwrap().len(), 2);
    let (h, body) = seen.lock().unwrap()[0].clone();
    assert_eq!(h["content-type"], "application/x-www-form-urlencoded");
    let form: std::collections::HashMap<String, String> =
        form_urlencoded::parse(&body).into_owned().collect();
    assert_eq!(form["text"], "build now");
    assert_eq!(form["trigger_word"], "build");
    assert_eq!(form["channel_name"], "open-one");
    let secs: i64 = form["timestamp"].parse().unwrap();
    assert!(secs < 10_000_000_000, "seconds in a form");
    // Posts in a private channel fire nothing; a channel hook without triggers fires on all.
    let (p, c) = stored_post(&e, &id(&e.private), "build now").await;
    assert!(fire_outgoing(&e.ts.state, &p, &c).await.unwrap().is_empty());
    outgoing(
        &e,
        json!({"team_id": e.tid, "channel_id": cid, "callback_urls": [format!("{url}/")]}),
    )
    .await;
    let (p, c) = stored_post(&e, &cid, "anything at all").await;
    assert_eq!(fire_outgoing(&e.ts.state, &p, &c).await.unwrap().len(), 1);
}

#[tokio::test]
async fn outgoing_guard_refuses_loopback_until_allowed() {
    use rustmost_server::app::webhooks::fire_outgoing;
    let e = setup().await;
    let cid = id(&e.open);
    let (url, seen) = receiver(json!({"text": "answered"}), Duration::ZERO).await;
    outgoing(
        &e,
        json!({"team_id": e.tid, "trigger_words": ["go"], "callback_urls": [url]}),
    )
    .await;
    let (p, c) = stored_post(&e, &cid, "go").await;
    let r = fire_outgoing(&e.ts.state, &p, &c).await.unwrap();
    assert_eq!(r.len(), 1);
    let err = r[0].clone().unwrap_err();
    assert!(err.contains("AllowedUntrustedInternalConnections"), "{err}");
    assert!(seen.lock().unwrap().is_empty());
    e.ts.patch_config(
        &e.at,
        json!({"ServiceSettings": {"AllowedUntrustedInternalConnections": "127.0.0.1"}}),
    )
    .await;
    let r = fire_outgoing(&e.ts.state, &p, &c).await.unwrap();
    assert!(r[0].is_ok(), "{r:?}");
    assert_eq!(seen.lock().unwrap().len(), 1);
    assert!(
        posts(&e, &cid)
            .await
            .iter()
            .any(|p| p["message"] == "answered")
    );
}

#[tokio::test]
async fn outgoing_timeout_and_silence() {
    use rustmost_server::app::webhooks::fire_outgoing;
    let e = setup_with(&[
        ALLOW_LOOPBACK,
        ("MM_SERVICESETTINGS_OUTGOINGINTEGRATIONREQUESTSTIMEOUT", "1"),
    ])
    .await;
    let cid = id(&e.open);
    let (slow, _) = receiver(json!({"text": "late"}), Duration::from_secs(3)).await;
    outgoing(
        &e,
        json!({"team_id": e.tid, "trigger_words": ["slow"], "callback_urls": [slow]}),
    )
    .await;
    let (p, c) = stored_post(&e, &cid, "slow").await;
    let r = fire_outgoing(&e.ts.state, &p, &c).await.unwrap();
    let err = r[0].as_ref().unwrap_err().to_lowercase();
    assert!(
        err.contains("timed out") || err.contains("timedout"),
        "{r:?}"
    );
    // A reply without `text` or attachments posts nothing.
    let (quiet, _) = receiver(json!({"username": "x"}), Duration::ZERO).await;
    outgoing(
        &e,
        json!({"team_id": e.tid, "trigger_words": ["quiet"], "callback_urls": [quiet]}),
    )
    .await;
    let before = posts(&e, &cid).await.len();
    let (p, c) = stored_post(&e, &cid, "quiet").await;
    assert!(fire_outgoing(&e.ts.state, &p, &c).await.unwrap()[0].is_ok());
    assert_eq!(
        posts(&e, &cid).await.len(),
        before + 1,
        "only the stored trigger post"
    );
}

#[tokio::test]
async fn outgoing_redirects_are_checked_again() {
    use rustmost_server::app::webhooks::fire_outgoing;
    // `localhost` is allowed by name; the redirect to 127.0.0.1 is not.
    let e = setup_with(&[(
        "MM_SERVICESETTINGS_ALLOWEDUNTRUSTEDINTERNALCONNECTIONS",
        "localhost",
    )])
    .await;
    let cid = id(&e.open);
    let (url, seen) = receiver(json!({}), Duration::ZERO).await;
    let port = url.rsplit(':').next().unwrap();
    outgoing(
        &e,
        json!({"team_id": e.tid, "trigger_words": ["hop"],
               "callback_urls": [format!("http://localhost:{port}/bounce")]}),
    )
    .await;
    let (p, c) = stored_post(&e, &cid, "hop").await;
    let r = fire_outgoing(&e.ts.state, &p, &c).await.unwrap();
    let err = r[0].clone().unwrap_err();
    assert!(err.contains("AllowedUntrustedInternalConnections"), "{err}");
    assert_eq!(
        seen.lock().unwrap().len(),
        0,
        "the redirect target was never called"
    );
}

#[tokio::test]
async fn outgoing_hook_of_a_creator_gone_from_the_team_stays_silent() {
    use rustmost_server::app::webhooks::fire_outgoing;
    let e = setup_with(&[ALLOW_LOOPBACK]).await;
    grant_own(&e).await;
    let cid = id(&e.open);
    let (url, seen) = receiver(json!({}), Duration::ZERO).await;
    let r =
        e.ts.post(
            "/api/v4/hooks/outgoing",
            &e.bt,
            json!({"team_id": e.tid, "trigger_words": ["leak"], "callback_urls": [url]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let (p, c) = stored_post(&e, &cid, "leak this").await;
    assert_eq!(fire_outgoing(&e.ts.state, &p, &c).await.unwrap().len(), 1);
    e.ts.delete(
        &format!("/api/v4/teams/{}/members/{}", e.tid, id(&e.bob)),
        &e.at,
    )
    .await
    .assert_ok();
    assert!(fire_outgoing(&e.ts.state, &p, &c).await.unwrap().is_empty());
    assert_eq!(seen.lock().unwrap().len(), 1);
}

/// A store failure while checking whether the hook's owner may post is a 500, never read as
/// "not a member" (a 403).
#[tokio::test]
async fn a_store_failure_in_the_owner_check_is_a_500() {
    use crate::common::SqlArg;
    let e = setup().await;
    grant_own(&e).await;
    join(&e, &e.open, &e.bob).await;
    let hid = id(&incoming(&e, &e.bt, json!({"channel_id": id(&e.open)})).await);
    let none: &[SqlArg] = &[];
    e.ts.raw_execute(
        "ALTER TABLE channel_members RENAME TO channel_members_gone",
        none,
    )
    .await;
    let r = send(&e, &hid, json!({"text": "during the outage"})).await;
    e.ts.raw_execute(
        "ALTER TABLE channel_members_gone RENAME TO channel_members",
        none,
    )
    .await;
    r.assert_err(500, "app.channel.get_member.app_error");
    assert_hook_ok(&send(&e, &hid, json!({"text": "after"})).await);
}

/// A server that lets integrations call loopback receivers and hands commands a SiteURL.
async fn setup_for_integrations() -> Env {
    setup_with(&[
        ALLOW_LOOPBACK,
        ("MM_SERVICESETTINGS_SITEURL", "http://chat.example.com"),
    ])
    .await
}

/// A custom command of the team posting to `url`, created by the admin.
async fn admin_command(e: &Env, trigger: &str, url: &str) {
    let r =
        e.ts.post(
            "/api/v4/commands",
            &e.at,
            json!({"team_id": e.tid, "trigger": trigger, "url": url, "method": "P"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
}

/// Runs `command` as the admin in the channel.
async fn admin_exec(e: &Env, cid: &str, command: &str) -> Resp {
    e.ts.execute_command(&e.at, cid, command).await
}

/// A command's `in_channel` post fires the outgoing webhooks it matches, as upstream's
/// `CreateCommandPost` (`TriggerWebhooks`): a built-in's, and a custom command's although it is
/// marked `from_webhook`. A hook's own reply fires nothing.
#[tokio::test]
async fn command_posts_fire_outgoing_webhooks() {
    let e = setup_for_integrations().await;
    let cid = id(&e.open);
    // One receiver serves as the hook's callback and as the custom command's URL.
    let (url, seen) = receiver(
        json!({"response_type": "in_channel", "text": "build done"}),
        Duration::ZERO,
    )
    .await;
    outgoing(
        &e,
        json!({"team_id": e.tid, "channel_id": cid, "trigger_words": ["build"],
               "callback_urls": [url.clone()], "content_type": "application/json"}),
    )
    .await;
    let payload = |i: usize| -> Value {
        serde_json::from_slice(&seen.lock().unwrap()[i].1).expect("a JSON payload")
    };
    let done_posts = || async {
        posts(&e, &cid)
            .await
            .into_iter()
            .filter(|p| p["message"] == "build done")
            .count()
    };

    // A built-in: `/shrug build` posts "build ¯\_(ツ)_/¯".
    admin_exec(&e, &cid, "/shrug build").await.assert_ok();
    wait_seen(&seen, 1).await;
    let p = payload(0);
    assert_eq!(p["trigger_word"], "build");
    assert!(p["text"].as_str().unwrap().starts_with("build "), "{p}");
    assert_eq!(p["user_id"], e.admin["id"]);

    // A custom command answering `in_channel` "build done": its post fires the hook too.
    admin_command(&e, "ship", &url).await;
    admin_exec(&e, &cid, "/ship").await.assert_ok();
    wait_seen(&seen, 3).await;
    let p = payload(2);
    assert_eq!(p["trigger_word"], "build");
    assert_eq!(p["text"], "build done");
    // The hook answered each call with "build done", posted as its reply; with the command's
    // own post that makes three, and none of the replies called the hook again.
    for _ in 0..200 {
        if done_posts().await >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(done_posts().await, 3);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(seen.lock().unwrap().len(), 3);
}

/// `AllowedOutgoingIntegrationPorts` limits slash commands and outgoing webhooks as it limits
/// post actions: while the receiver's port is not listed, a command and an outgoing hook
/// pointing at it are refused and the receiver never hears from them. (The untrusted-internal
/// guard is shown for both by `outgoing_guard_refuses_loopback_until_allowed` and
/// `commands::guard_refuses_loopback_until_allowed_and_site_url_is_required`.)
#[tokio::test]
async fn a_port_outside_allowed_outgoing_integration_ports_is_never_called() {
    use rustmost_server::app::webhooks::fire_outgoing;
    let e = setup_for_integrations().await;
    let cid = id(&e.open);
    let (url, seen) = receiver(json!({"text": "answered"}), Duration::ZERO).await;
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    let other = if port == 443 { 8443 } else { 443 };
    e.ts.patch_config(
        &e.at,
        json!({"ServiceSettings": {"AllowedOutgoingIntegrationPorts": format!("80 {other}")}}),
    )
    .await;
    outgoing(
        &e,
        json!({"team_id": e.tid, "trigger_words": ["go"], "callback_urls": [url.clone()]}),
    )
    .await;
    admin_command(&e, "ship", &url).await;

    let (p, c) = stored_post(&e, &cid, "go").await;
    let r = fire_outgoing(&e.ts.state, &p, &c).await.unwrap();
    assert_eq!(r.len(), 1);
    let err = r[0].clone().unwrap_err();
    assert!(err.contains("AllowedOutgoingIntegrationPorts"), "{err}");
    admin_exec(&e, &cid, "/ship")
        .await
        .assert_err(500, "api.command.execute_command.failed.app_error");
    assert!(seen.lock().unwrap().is_empty(), "the receiver was called");

    // Listing the port lets both through.
    e.ts.patch_config(
        &e.at,
        json!({"ServiceSettings": {"AllowedOutgoingIntegrationPorts": format!("80 {port}")}}),
    )
    .await;
    let r = fire_outgoing(&e.ts.state, &p, &c).await.unwrap();
    assert!(r[0].is_ok(), "{r:?}");
    admin_exec(&e, &cid, "/ship").await.assert_ok();
    assert_eq!(seen.lock().unwrap().len(), 2);
}
