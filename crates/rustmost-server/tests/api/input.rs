//! Bad input that used to be accepted: malformed role bodies, fields of the wrong type in every
//! JSON writer (refused as Go's decoder refuses them), posts made to look like a bot's or
//! another user's, and text holding a NUL character (which PostgreSQL cannot store).

use crate::common::{Resp, TestServer};
use reqwest::Method;
use serde_json::{Value, json};

/// Sends `body` byte for byte (it may be invalid JSON or empty).
async fn raw(ts: &TestServer, method: Method, path: &str, token: &str, body: &str) -> Resp {
    let r = ts
        .http
        .request(method, format!("{}{path}", ts.url))
        .bearer_auth(token)
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("request");
    Resp::read(r).await
}

#[track_caller]
fn assert_invalid_body(r: &Resp, param: &str, what: &str) {
    r.assert_err(400, "api.context.invalid_body_param.app_error");
    let msg = r.body["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains(param),
        "{what}: message should name {param}: {}",
        r.text
    );
}

async fn team_and_channel(ts: &TestServer, at: &str) -> (String, String) {
    let t = ts.create_team(at, "team-in", "T", "O").await;
    let tid = t.assert_ok()["id"].as_str().unwrap().to_string();
    let c = ts.channel_by_name(at, &tid, "town-square").await;
    (tid, c.assert_ok()["id"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn roles_body_must_be_an_object_with_string_roles() {
    let (ts, _, at) = TestServer::start_with_admin().await;
    let (u, _) = ts.user(&at, "rolly").await;
    let uid = u["id"].as_str().unwrap();
    let path = format!("/api/v4/users/{uid}/roles");
    for body in [
        "[]",
        r#""x""#,
        "{",
        r#"{"roles": 5}"#,
        "",
        "{}",
        "null",
        r#"{"roles": null}"#,
        r#"{"roles": ["system_user"]}"#,
        r#"{"roles": true}"#,
    ] {
        let r = raw(&ts, Method::PUT, &path, &at, body).await;
        assert_invalid_body(&r, "roles", body);
        let now = ts.get(&format!("/api/v4/users/{uid}"), &at).await;
        assert_eq!(now.body["roles"], "system_user", "after {body:?}");
    }
    ts.put(
        &path,
        &at,
        json!({"roles": "system_user system_user_access_token"}),
    )
    .await
    .assert_ok();
    let now = ts.get(&format!("/api/v4/users/{uid}"), &at).await;
    assert_eq!(now.body["roles"], "system_user system_user_access_token");
}

#[tokio::test]
async fn every_writer_refuses_fields_of_the_wrong_type() {
    let (ts, admin, at) = TestServer::start_with_admin().await;
    ts.enable_bot_creation(&at).await;
    let (tid, cid) = team_and_channel(&ts, &at).await;
    let (u, _) = ts.user(&at, "victim").await;
    let uid = u["id"].as_str().unwrap().to_string();
    let aid = admin["id"].as_str().unwrap().to_string();
    let bot = ts.create_bot(&at, "botty").await;
    let bid = bot["user_id"].as_str().unwrap().to_string();
    let p = ts.create_post(&at, &cid, "hi").await;
    let pid = p.assert_ok()["id"].as_str().unwrap().to_string();
    let role = ts
        .get("/api/v4/roles/name/system_user", &at)
        .await
        .assert_ok()["id"]
        .as_str()
        .unwrap()
        .to_string();

    let post = |extra: &str| format!(r#"{{"channel_id":"{cid}","message":"m",{extra}}}"#);
    let cases: Vec<(Method, String, String, &str)> = vec![
        (Method::POST, "/api/v4/posts".into(), post(r#""props":"x""#), "post"),
        (Method::POST, "/api/v4/posts".into(), post(r#""props":[]"#), "post"),
        (Method::POST, "/api/v4/posts".into(), post(r#""props":5"#), "post"),
        (Method::POST, "/api/v4/posts".into(), post(r#""root_id":5"#), "post"),
        (Method::POST, "/api/v4/posts".into(), format!(r#"{{"channel_id":"{cid}","message":5}}"#), "post"),
        (Method::POST, "/api/v4/posts".into(), r#"{"channel_id":5,"message":"m"}"#.into(), "post"),
        (Method::POST, "/api/v4/posts".into(), post(r#""file_ids":"x""#), "post"),
        (Method::POST, "/api/v4/posts".into(), post(r#""file_ids":[5]"#), "post"),
        (Method::POST, "/api/v4/posts".into(), post(r#""metadata":"x""#), "post"),
        (Method::POST, "/api/v4/posts".into(), post(r#""metadata":[]"#), "post"),
        (Method::POST, "/api/v4/posts".into(), post(r#""metadata":{"embeds":"x"}"#), "post"),
        (Method::POST, "/api/v4/posts".into(), post(r#""metadata":{"images":{"a":5}}"#), "post"),
        (Method::POST, "/api/v4/posts".into(), post(r#""participants":"x""#), "post"),
        (Method::POST, "/api/v4/posts".into(), post(r#""participants":[5]"#), "post"),
        (Method::POST, "/api/v4/posts".into(), post(r#""is_pinned":"true""#), "post"),
        (Method::POST, "/api/v4/posts".into(), post(r#""create_at":"1""#), "post"),
        (Method::POST, "/api/v4/posts".into(), post(r#""create_at":1.5"#), "post"),
        (Method::POST, "/api/v4/posts".into(), post(r#""type":5"#), "post"),
        (Method::POST, "/api/v4/posts".into(), format!(r#"["{cid}","m"]"#), "post"),
        (Method::POST, "/api/v4/posts".into(), r#""x""#.into(), "post"),
        (Method::POST, "/api/v4/posts/ephemeral".into(), format!(r#"{{"user_id":5,"post":{{"channel_id":"{cid}","message":"m"}}}}"#), "body"),
        (Method::POST, "/api/v4/posts/ephemeral".into(), format!(r#"{{"user_id":"{uid}","post":"x"}}"#), "body"),
        (Method::POST, "/api/v4/posts/ephemeral".into(), format!(r#"{{"user_id":"{uid}","post":{{"channel_id":"{cid}","message":5}}}}"#), "body"),
        (Method::POST, "/api/v4/channels".into(), format!(r#"{{"team_id":"{tid}","name":5,"display_name":"D","type":"O"}}"#), "channel"),
        (Method::POST, "/api/v4/channels".into(), format!(r#"{{"team_id":"{tid}","name":"n1","display_name":"D","type":"O","props":"x"}}"#), "channel"),
        (Method::POST, format!("/api/v4/channels/{cid}/members"), r#"{"user_id":5}"#.into(), "user_id"),
        (Method::POST, format!("/api/v4/channels/{cid}/members"), format!(r#"{{"user_ids":["{uid}",5]}}"#), "user_ids"),
        (Method::POST, format!("/api/v4/channels/{cid}/members"), r#"{"user_ids":"x"}"#.into(), "user_ids"),
        (Method::POST, "/api/v4/teams".into(), r#"{"name":5,"display_name":"T","type":"O"}"#.into(), "team"),
        (Method::POST, "/api/v4/teams".into(), r#"{"name":"t2","display_name":"T","type":"O","allow_open_invite":"yes"}"#.into(), "team"),
        (Method::POST, "/api/v4/users".into(), r#"{"username":5,"email":"a@b.c","password":"Passw0rd!x"}"#.into(), "user"),
        (Method::POST, "/api/v4/users".into(), r#"{"username":"nn","email":"a@b.c","password":"Passw0rd!x","notify_props":"x"}"#.into(), "user"),
        (Method::POST, "/api/v4/users".into(), r#"{"username":"nn","email":"a@b.c","password":"Passw0rd!x","notify_props":{"email":["true"]}}"#.into(), "user"),
        (Method::PUT, format!("/api/v4/users/{uid}/patch"), r#"{"nickname":5}"#.into(), "user"),
        (Method::PUT, format!("/api/v4/users/{uid}/patch"), r#"{"props":[]}"#.into(), "user"),
        (Method::PUT, format!("/api/v4/users/{uid}/patch"), r#"[]"#.into(), "user"),
        (Method::POST, "/api/v4/bots".into(), r#"{"username":5}"#.into(), "bot"),
        (Method::PUT, format!("/api/v4/bots/{bid}"), r#"{"display_name":5}"#.into(), "bot"),
        (Method::POST, format!("/api/v4/users/{aid}/tokens"), r#"{"description":5}"#.into(), "user_access_token"),
        (Method::POST, format!("/api/v4/users/{aid}/tokens"), r#"{"description":"d","expires_at":"1"}"#.into(), "user_access_token"),
        (Method::POST, "/api/v4/reactions".into(), format!(r#"{{"user_id":"{aid}","post_id":"{pid}","emoji_name":5}}"#), "reaction"),
        (Method::POST, "/api/v4/reactions".into(), format!(r#"{{"user_id":"{aid}","post_id":"{pid}","emoji_name":"x","create_at":"1"}}"#), "reaction"),
        (Method::PUT, format!("/api/v4/roles/{role}/patch"), r#"{"permissions":"create_post"}"#.into(), "role"),
        (Method::PUT, "/api/v4/config/patch".into(), r#"{"ServiceSettings":{"EnablePostUsernameOverride":"yes"}}"#.into(), "config"),
        (Method::PUT, "/api/v4/config/patch".into(), r#"[]"#.into(), "config"),
    ];
    let before = ts
        .get(&format!("/api/v4/channels/{cid}/posts"), &at)
        .await
        .body["order"]
        .as_array()
        .unwrap()
        .len();
    for (method, path, body, param) in &cases {
        let r = raw(&ts, method.clone(), path, &at, body).await;
        assert_invalid_body(&r, param, &format!("{method} {path} {body}"));
    }
    // Nothing was written on the way.
    let after = ts.get(&format!("/api/v4/channels/{cid}/posts"), &at).await;
    assert_eq!(after.body["order"].as_array().unwrap().len(), before);
    let v = ts.get(&format!("/api/v4/users/{uid}"), &at).await;
    assert_eq!(v.body["nickname"], "");

    // Go's quirks that are kept: `null` is the zero value, unknown members are ignored, the
    // last of a repeated key wins.
    let ok = raw(
        &ts,
        Method::POST,
        "/api/v4/posts",
        &at,
        &format!(
            r#"{{"channel_id":"{cid}","message":"first","message":"last","root_id":null,"props":null,"file_ids":null,"metadata":null,"participants":null,"is_pinned":null,"create_at":null,"whatever":{{"x":1}}}}"#
        ),
    )
    .await;
    assert_eq!(ok.status, 201, "{}", ok.text);
    assert_eq!(ok.body["message"], "last");
    assert_eq!(ok.body["props"], json!({}));
    // n8n's message.post, user.create (boolean notify props, extra keys), reaction.create and
    // postEphemeral bodies still work.
    let n8n = ts.post("/api/v4/posts", &at, json!({"channel_id": cid, "message": "Hello from n8n", "props": {"attachments": [{"title": "Att title", "text": "Att text", "color": "#00ff00", "fallback": "fb", "fields": [{"title": "F1", "value": "V1", "short": true}], "actions": [{"name": "Click me", "integration": {"url": "http://127.0.0.1:9/hook", "context": {"action": "do"}}}]}]}, "root_id": pid})).await;
    assert_eq!(n8n.status, 201, "{}", n8n.text);
    let carol = ts.create_user_with(&at, json!({"auth_service": "email", "username": "carol", "first_name": "Carol", "locale": "en", "notificationUi": {"notificationValues": {}}, "notify_props": {"channel": true, "desktop": "mention", "desktop_sound": false, "email": true, "mention_keys": "carol,@carol", "push": "all"}, "email": "carol@example.com", "password": "Passw0rd!"})).await;
    assert_eq!(carol.status, 201, "{}", carol.text);
    let react = ts.post("/api/v4/reactions", &at, json!({"user_id": aid, "post_id": pid, "emoji_name": "thumbsup", "create_at": 1_700_000_000_000_i64})).await;
    assert_eq!(react.status, 200, "{}", react.text);
    let eph = ts.post("/api/v4/posts/ephemeral", &at, json!({"user_id": uid, "post": {"channel_id": cid, "message": "psst", "root_id": null}})).await;
    assert_eq!(eph.status, 201, "{}", eph.text);
    ts.add_team_member(&at, &tid, &uid).await.assert_ok();
    let add = ts
        .post(
            &format!("/api/v4/channels/{cid}/members"),
            &at,
            json!({"user_ids": [uid]}),
        )
        .await;
    assert!(add.status.is_success(), "{}", add.text);
}

/// A post's `props` as the server stores them.
async fn stored_props(ts: &TestServer, at: &str, pid: &str) -> Value {
    ts.get(&format!("/api/v4/posts/{pid}"), at).await.body["props"].clone()
}

#[tokio::test]
async fn a_person_cannot_post_as_a_bot_or_under_another_name() {
    let (ts, _, at) = TestServer::start_with_admin().await;
    ts.patch_config(
        &at,
        json!({"ServiceSettings": {"EnablePostUsernameOverride": true, "EnablePostIconOverride": true}}),
    )
    .await;
    let (_, cid) = team_and_channel(&ts, &at).await;
    let forged = json!({"from_bot": "true", "from_webhook": "true", "from_plugin": "true",
        "from_oauth_app": "true", "webhook_display_name": "Hook", "override_username": "ceo",
        "override_icon_url": "http://x/i.png", "override_icon_emoji": ":tada:",
        "add_channel_member": {"user_ids": ["x"]}, "keep": "me"});
    let p = ts
        .post(
            "/api/v4/posts",
            &at,
            json!({"channel_id": cid, "message": "hi", "props": forged}),
        )
        .await;
    assert_eq!(p.status, 201, "{}", p.text);
    let pid = p.body["id"].as_str().unwrap();
    for props in [p.body["props"].clone(), stored_props(&ts, &at, pid).await] {
        assert_eq!(props, json!({"keep": "me"}), "a person's post");
    }
}

#[tokio::test]
async fn a_bot_is_marked_from_bot_and_overrides_follow_the_config() {
    let (ts, _, at) = TestServer::start_with_admin().await;
    ts.enable_bot_creation(&at).await;
    let (tid, cid) = team_and_channel(&ts, &at).await;
    let bot = ts.create_bot(&at, "hooky").await;
    let bid = bot["user_id"].as_str().unwrap();
    ts.add_team_member(&at, &tid, &bid).await.assert_ok();
    ts.add_channel_member(&at, &cid, &bid).await.assert_ok();
    let (_, secret) = ts.create_token(&at, bid, "ci").await;
    let body = json!({"channel_id": cid, "message": "beep", "props": {"from_webhook": "true",
        "override_username": "Deploys", "override_icon_url": "http://x/i.png",
        "override_icon_emoji": 5}});
    // Overrides off (the default): the bot's post is only marked `from_bot`.
    let p = ts.post("/api/v4/posts", &secret, body.clone()).await;
    assert_eq!(p.status, 201, "{}", p.text);
    let pid = p.body["id"].as_str().unwrap();
    assert_eq!(
        stored_props(&ts, &at, pid).await,
        json!({"from_bot": "true"})
    );
    // Username override on, icon override off.
    ts.patch_config(
        &at,
        json!({"ServiceSettings": {"EnablePostUsernameOverride": true}}),
    )
    .await;
    let p = ts.post("/api/v4/posts", &secret, body.clone()).await;
    let pid = p.body["id"].as_str().unwrap();
    assert_eq!(
        stored_props(&ts, &at, pid).await,
        json!({"from_bot": "true", "override_username": "Deploys"})
    );
    // Both on; a non-string override is dropped.
    ts.patch_config(
        &at,
        json!({"ServiceSettings": {"EnablePostIconOverride": true}}),
    )
    .await;
    let p = ts.post("/api/v4/posts", &secret, body).await;
    let pid = p.body["id"].as_str().unwrap();
    assert_eq!(
        stored_props(&ts, &at, pid).await,
        json!({"from_bot": "true", "override_username": "Deploys", "override_icon_url": "http://x/i.png"})
    );
}

/// Every writer of free text refuses a NUL character with 400, on SQLite as on PostgreSQL (run
/// with `RUSTMOST_TEST_DATASOURCE`), and stores nothing; an escaped backslash before `u0000` is
/// ordinary text.
#[tokio::test]
async fn text_with_a_nul_character_is_refused_by_every_writer() {
    let (ts, _, at) = TestServer::start_with_admin().await;
    ts.patch_config(
        &at,
        json!({"ServiceSettings": {"EnableBotAccountCreation": true, "EnableUserAccessTokens": true}}),
    )
    .await;
    let (tid, cid) = team_and_channel(&ts, &at).await;
    let (me, _) = ts.user(&at, "nully").await;
    let uid = me["id"].as_str().unwrap().to_string();
    let bot = ts.create_bot(&at, "nulbot").await;
    let bid = bot["user_id"].as_str().unwrap().to_string();
    let nul = "a\u{0}b";
    let cases: Vec<(Method, String, Value)> = vec![
        (
            Method::POST,
            "/api/v4/posts".into(),
            json!({"channel_id": cid, "message": nul}),
        ),
        (
            Method::POST,
            "/api/v4/users".into(),
            json!({"username": "nul2", "email": "nul2@example.com", "password": "Passw0rd-Passw0rd!", "first_name": nul}),
        ),
        (
            Method::PUT,
            format!("/api/v4/users/{uid}/patch"),
            json!({"nickname": nul}),
        ),
        (
            Method::POST,
            "/api/v4/teams".into(),
            json!({"name": "nulteam", "display_name": nul, "type": "O"}),
        ),
        (
            Method::POST,
            "/api/v4/channels".into(),
            json!({"team_id": tid, "name": "nulchan", "display_name": "N", "type": "O", "header": nul}),
        ),
        (
            Method::POST,
            format!("/api/v4/users/{uid}/tokens"),
            json!({"description": nul}),
        ),
        (
            Method::POST,
            "/api/v4/bots".into(),
            json!({"username": "nulbot2", "display_name": nul}),
        ),
        (
            Method::PUT,
            format!("/api/v4/bots/{bid}"),
            json!({"description": nul}),
        ),
        (
            Method::POST,
            format!("/api/v4/teams/{tid}/channels/search"),
            json!({"term": nul}),
        ),
    ];
    for (method, path, body) in cases {
        let r = ts.req(method.clone(), &path, Some(&at), Some(body)).await;
        assert_eq!(r.status, 400, "{method} {path}: {}", r.text);
        assert_invalid_body(&r, "body", &format!("{method} {path}"));
    }
    assert!(ts.state.store.get_user_by_username("nul2").await.is_err());
    let stored = ts.state.store.get_user(&uid).await.unwrap();
    assert_eq!(stored.nickname, "");
    // The six characters `\u0000` written as text (an escaped backslash) are kept as they are.
    let r = raw(
        &ts,
        Method::POST,
        "/api/v4/posts",
        &at,
        &format!(r#"{{"channel_id": "{cid}", "message": "x\\u0000y"}}"#),
    )
    .await;
    assert_eq!(r.assert_ok()["message"], "x\\u0000y");
}
