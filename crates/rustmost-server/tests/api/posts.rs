//! Posts: n8n's message.post with attachments, replies, ephemeral posts, deletion, channel
//! post lists with paging and `since`, limits and permissions.

use crate::common::{TestServer, expect_errors};
use serde_json::{Value, json};

/// Admin token, team id, an open channel id, and bob (a member of both) with his token.
async fn setup(ts: &TestServer) -> (String, String, String, Value, String) {
    let (_, at) = ts.admin().await;
    let (tid, cid, bob, bt) = ts.team_chat_and_bob(&at).await;
    (at, tid, cid, bob, bt)
}

#[tokio::test]
async fn n8n_message_post_with_attachments_and_reply() {
    let ts = TestServer::start().await;
    let (_at, _tid, cid, bob, bt) = setup(&ts).await;
    let root = ts
        .post(
            "/api/v4/posts",
            &bt,
            json!({"channel_id": cid, "message": "root #news", "props": {"attachments": []}}),
        )
        .await;
    assert_eq!(root.status, 201, "{}", root.text);
    assert_eq!(root.body["user_id"], bob["id"]);
    assert_eq!(root.body["hashtags"], "#news");
    assert_eq!(root.body["type"], "");
    assert_eq!(root.body["metadata"], json!({}));
    let root_id = root.body["id"].as_str().unwrap();
    // The body n8n sends (section 3 of the reference), with a reply.
    let body = json!({"channel_id": cid, "message": "Hello from n8n", "props": {"attachments": [{"title": "Att title", "text": "Att text", "color": "#00ff00", "fallback": "fb",
        "fields": [{"title": "F1", "value": "V1", "short": true}, {"title": "F2", "value": "V2", "short": false}],
        "actions": [{"name": "Click me", "integration": {"url": "http://127.0.0.1:9/hook", "context": {"action": "do", "k2": "v2"}}},
                    {"type": "select", "name": "Pick", "options": [{"text": "A", "value": "a"}, {"text": "B", "value": "b"}], "integration": {"url": "http://127.0.0.1:9/sel", "context": {"x": "y"}}}]}]},
        "root_id": root_id});
    let r = ts.post("/api/v4/posts", &bt, body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["root_id"], root_id);
    let att = &r.body["props"]["attachments"][0];
    assert_eq!(att["title"], "Att title");
    assert_eq!(
        att["fields"][0],
        json!({"title": "F1", "value": "V1", "short": true})
    );
    let a0 = &att["actions"][0];
    assert_eq!(a0["id"].as_str().unwrap().len(), 26);
    assert_eq!(a0["name"], "Click me");
    assert!(
        a0.get("integration").is_none(),
        "integration must not reach clients: {a0}"
    );
    assert_eq!(att["actions"][1]["type"], "select");
    assert_eq!(
        att["actions"][1]["options"][1],
        json!({"text": "B", "value": "b"})
    );
    assert_eq!(
        r.body["metadata"]["embeds"],
        json!([{"type": "message_attachment"}])
    );
    // The stored post keeps the same action ids, still without integrations for clients.
    let got = ts
        .get(
            &format!("/api/v4/posts/{}", r.body["id"].as_str().unwrap()),
            &bt,
        )
        .await;
    assert_eq!(
        got.body["props"]["attachments"][0]["actions"][0]["id"],
        a0["id"]
    );
    assert!(
        got.body["props"]["attachments"][0]["actions"][0]
            .get("integration")
            .is_none()
    );
    let root = ts.get(&format!("/api/v4/posts/{root_id}"), &bt).await;
    assert_eq!(root.body["reply_count"], 1);
}

#[tokio::test]
async fn post_errors_and_limits() {
    let ts = TestServer::start().await;
    let (at, tid, cid, _bob, bt) = setup(&ts).await;
    expect_errors!(ts;
        post("/api/v4/posts", &bt, json!({"channel_id": cid, "message": "x".repeat(16384)}))
            => 400, "model.post.is_valid.message_length.app_error";
    );
    let ok = ts
        .post(
            "/api/v4/posts",
            &bt,
            json!({"channel_id": cid, "message": "é".repeat(16383)}),
        )
        .await;
    assert_eq!(ok.status, 201);
    expect_errors!(ts;
        post("/api/v4/posts", &bt, json!({"channel_id": cid, "message": "m", "root_id": "nosuchpost0000000000000000"}))
            => 400, "api.post.create_post.root_id.app_error";
        post("/api/v4/posts", &bt, json!({"channel_id": cid, "message": "m", "type": "system_join_channel"}))
            => 400, "api.context.invalid_param.app_error";
        post("/api/v4/posts", &bt, json!({"channel_id": cid, "message": "m", "props": "x", "file_ids": 3}))
            => 400, "api.context.invalid_body_param.app_error";
    );
    // Not a member of a private channel.
    let p = ts.create_channel(&at, &tid, "s", "S", "P").await;
    let pid = p.body["id"].as_str().unwrap();
    ts.create_post(&bt, pid, "m")
        .await
        .assert_err(403, "api.context.permissions.app_error");
    // A reply must stay in its root's channel.
    let root = ts.create_post(&at, pid, "r").await;
    expect_errors!(ts;
        post("/api/v4/posts", &at, json!({"channel_id": cid, "message": "m", "root_id": root.body["id"]}))
            => 400, "api.post.create_post.channel_root_id.app_error";
    );
    // Archived channels take no posts (the admin may still try).
    ts.delete(&format!("/api/v4/channels/{pid}"), &at)
        .await
        .assert_ok();
    ts.create_post(&at, pid, "m")
        .await
        .assert_err(400, "api.post.create_post.can_not_post_to_deleted.error");
}

#[tokio::test]
async fn post_all_roles_let_outsiders_post() {
    let ts = TestServer::start().await;
    let (at, _tid, cid, _bob, _bt) = setup(&ts).await;
    let (carol, ct) = ts.user(&at, "carol").await;
    let crid = carol["id"].as_str().unwrap();
    ts.create_post(&ct, &cid, "m")
        .await
        .assert_err(403, "api.context.permissions.app_error");
    let r = ts
        .set_roles(&at, crid, "system_user system_post_all_public")
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = ts.create_post(&ct, &cid, "public ok").await;
    assert_eq!(r.status, 201, "{}", r.text);
}

#[tokio::test]
async fn ephemeral_posts_are_not_stored() {
    let ts = TestServer::start().await;
    let (at, _tid, cid, bob, bt) = setup(&ts).await;
    // n8n's message.postEphemeral body.
    let r = ts
        .post(
            "/api/v4/posts/ephemeral",
            &at,
            json!({"user_id": bob["id"], "post": {"channel_id": cid, "message": "psst"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["type"], "system_ephemeral");
    assert_eq!(r.body["message"], "psst");
    let id = r.body["id"].as_str().unwrap();
    expect_errors!(ts;
        get(&format!("/api/v4/posts/{id}"), &at) => 404, "app.post.get.app_error";
        // Ordinary users lack create_post_ephemeral.
        post("/api/v4/posts/ephemeral", &bt, json!({"user_id": bob["id"], "post": {"channel_id": cid, "message": "x"}}))
            => 403, "api.context.permissions.app_error";
        post("/api/v4/posts/ephemeral", &at, json!({"post": {"channel_id": cid}}))
            => 400, "api.context.invalid_body_param.app_error";
        post("/api/v4/posts/ephemeral", &at, json!({"user_id": bob["id"]}))
            => 400, "api.context.invalid_body_param.app_error";
    );
}

#[tokio::test]
async fn delete_posts_and_threads() {
    let ts = TestServer::start().await;
    let (at, _tid, cid, _bob, bt) = setup(&ts).await;
    let (carol, _) = ts.user(&at, "carol").await;
    let _ = carol;
    let root = ts.create_post(&at, &cid, "root").await;
    let rid = root.body["id"].as_str().unwrap();
    let reply = ts
        .post(
            "/api/v4/posts",
            &bt,
            json!({"channel_id": cid, "message": "reply", "root_id": rid}),
        )
        .await;
    let reply_id = reply.body["id"].as_str().unwrap();
    // Bob may not delete the admin's post; an unknown post is 403 too, as upstream.
    expect_errors!(ts;
        delete(&format!("/api/v4/posts/{rid}"), &bt) => 403, "api.context.permissions.app_error";
        delete("/api/v4/posts/nosuchpost0000000000000000", &bt)
            => 403, "api.context.permissions.app_error";
    );
    let r = ts.delete(&format!("/api/v4/posts/{rid}"), &at).await;
    assert_eq!(r.body, json!({"status": "OK"}));
    ts.get(&format!("/api/v4/posts/{reply_id}"), &bt)
        .await
        .assert_err(404, "app.post.get.app_error");
    let gone = ts
        .get(&format!("/api/v4/posts/{rid}?include_deleted=true"), &at)
        .await;
    assert_eq!(gone.status, 200);
    assert_ne!(gone.body["delete_at"], 0);
    ts.get(&format!("/api/v4/posts/{rid}?include_deleted=true"), &bt)
        .await
        .assert_err(403, "api.context.permissions.app_error");
}

#[tokio::test]
async fn channel_posts_pages_and_since() {
    let ts = TestServer::start().await;
    let (at, _tid, cid, _bob, bt) = setup(&ts).await;
    let start = ts.get(&format!("/api/v4/channels/{cid}/posts"), &bt).await;
    let system = start.body["order"].as_array().unwrap().len();
    let mut ids = Vec::new();
    for i in 0..5 {
        let r = ts.create_post(&bt, &cid, &format!("m{i}")).await;
        ids.push(r.id());
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    let p0 = ts
        .get(
            &format!("/api/v4/channels/{cid}/posts?page=0&per_page=2"),
            &bt,
        )
        .await;
    assert_eq!(p0.body["order"], json!([ids[4], ids[3]]));
    assert_eq!(p0.body["next_post_id"], "");
    assert_eq!(p0.body["prev_post_id"], ids[2].as_str());
    assert_eq!(p0.body["posts"][&ids[4]]["message"], "m4");
    let p1 = ts
        .get(
            &format!("/api/v4/channels/{cid}/posts?page=1&per_page=2"),
            &bt,
        )
        .await;
    assert_eq!(p1.body["order"], json!([ids[2], ids[1]]));
    assert_eq!(p1.body["next_post_id"], ids[3].as_str());
    let total = 5 + system;
    let far = ts
        .get(
            &format!("/api/v4/channels/{cid}/posts?page={total}&per_page=1"),
            &bt,
        )
        .await;
    assert_eq!(far.body["order"], json!([]));
    // since: posts changed after a time, deleted ones included.
    let t = p0.body["posts"][&ids[3]]["create_at"].as_i64().unwrap();
    ts.delete(&format!("/api/v4/posts/{}", ids[1]), &at)
        .await
        .assert_ok();
    let s = ts
        .get(&format!("/api/v4/channels/{cid}/posts?since={t}"), &bt)
        .await;
    let order: Vec<&str> = s.body["order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(order, vec![ids[4].as_str(), ids[1].as_str()]);
    assert_ne!(s.body["posts"][&ids[1]]["delete_at"], 0);
    ts.get(&format!("/api/v4/channels/{cid}/posts?since=abc"), &bt)
        .await
        .assert_err(400, "api.context.invalid_url_param.app_error");
    let (_, ct) = ts.user(&at, "carol").await;
    ts.get(&format!("/api/v4/channels/{cid}/posts"), &ct)
        .await
        .assert_err(403, "api.context.permissions.app_error");
}

/// A client-chosen `id` is refused (upstream's store rejects a post that already has one),
/// whether it is fresh or names an existing post; ephemeral posts keep theirs, as upstream.
#[tokio::test]
async fn client_post_id_is_refused() {
    let ts = TestServer::start().await;
    let (at, _tid, cid, bob, bt) = setup(&ts).await;
    let before = ts.get(&format!("/api/v4/channels/{cid}/posts"), &bt).await;
    let n = before.body["order"].as_array().unwrap().len();
    let fresh = "abcdefghijkmnopqrstuvwxyz1";
    expect_errors!(ts;
        post("/api/v4/posts", &bt, json!({"id": fresh, "channel_id": cid, "message": "mine"}))
            => 400, "app.post.save.existing.app_error";
        get(&format!("/api/v4/posts/{fresh}"), &bt) => 404, "app.post.get.app_error";
    );
    let first = ts.create_post(&bt, &cid, "first").await;
    let first_id = first.body["id"].as_str().unwrap();
    expect_errors!(ts;
        post("/api/v4/posts", &at, json!({"id": first_id, "channel_id": cid, "message": "overwrite"}))
            => 400, "app.post.save.existing.app_error";
    );
    assert_eq!(
        ts.get(&format!("/api/v4/posts/{first_id}"), &bt).await.body["message"],
        "first"
    );
    let after = ts.get(&format!("/api/v4/channels/{cid}/posts"), &bt).await;
    assert_eq!(after.body["order"].as_array().unwrap().len(), n + 1);
    // An empty id is no id.
    let r = ts
        .post(
            "/api/v4/posts",
            &bt,
            json!({"id": "", "channel_id": cid, "message": "ok"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = ts
        .post(
            "/api/v4/posts/ephemeral",
            &at,
            json!({"user_id": bob["id"], "post": {"id": fresh, "channel_id": cid, "message": "e"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["id"], fresh);
}

/// `GET /channels/{id}/posts`: the channel is looked up first (404), then a team member may
/// read a public channel they have not joined, but not a private one.
#[tokio::test]
async fn channel_posts_read_rule() {
    let ts = TestServer::start().await;
    let (at, tid, cid, _bob, bt) = setup(&ts).await;
    let (carol, ct) = ts.user(&at, "carol").await;
    // Not in the team yet: 403 for a real channel, 404 for an unknown one.
    expect_errors!(ts;
        get(&format!("/api/v4/channels/{cid}/posts"), &ct)
            => 403, "api.context.permissions.app_error";
        get("/api/v4/channels/nosuchchannel0000000000000/posts", &ct)
            => 404, "app.channel.get.existing.app_error";
    );
    ts.add_team_member(&at, &tid, &carol["id"])
        .await
        .assert_ok();
    let posted = ts.create_post(&bt, &cid, "hello").await;
    let pid = posted.body["id"].as_str().unwrap();
    let r = ts.get(&format!("/api/v4/channels/{cid}/posts"), &ct).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["posts"][pid]["message"], "hello");
    let private = ts.create_channel(&at, &tid, "s", "S", "P").await;
    let private = private.body["id"].as_str().unwrap();
    ts.get(&format!("/api/v4/channels/{private}/posts"), &ct)
        .await
        .assert_err(403, "api.context.permissions.app_error");
}
