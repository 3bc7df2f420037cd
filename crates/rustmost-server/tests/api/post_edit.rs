//! Editing posts (`PUT /posts/{id}`, `PUT /posts/{id}/patch`) with upstream's permission order,
//! `edit_at`, `PostEditTimeLimit` and `post_edited`; and `GET /posts/{id}/thread`.

use crate::common::expect_errors;
use crate::websocket::{Auth, World, Ws, post};
use serde_json::{Value, json};

#[tokio::test]
async fn update_and_patch_set_edit_at_and_publish_post_edited() {
    let (ts, w) = World::start().await;
    let (bt, ct) = (&w.bob.1, &w.carol.1);
    let mut cws = Ws::connect(&ts, Auth::Bearer(ct)).await;
    let p = post(&ts, bt, &w.town, "first #tag").await;
    let pid = p["id"].as_str().unwrap().to_string();
    cws.drain(&ts).await;

    let mut body = p.clone();
    body["message"] = json!("second #other");
    body["is_pinned"] = json!(true);
    body["props"] = json!({"from_bot": "true", "deleteBy": "x", "k": "v"});
    let r = ts.put(&format!("/api/v4/posts/{pid}"), bt, body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["message"], "second #other");
    assert_eq!(r.body["hashtags"], "#other");
    assert_eq!(r.body["is_pinned"], true);
    assert!(r.body["edit_at"].as_i64().unwrap() > 0);
    assert!(r.body["update_at"].as_i64().unwrap() >= r.body["edit_at"].as_i64().unwrap());
    // A client cannot mark the post as a bot's or forge a server prop.
    assert_eq!(r.body["props"], json!({"k": "v"}));
    let ev = cws.got(&ts, "post_edited").await;
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_eq!(ev[0]["broadcast"]["channel_id"], w.town.as_str());
    let inner: Value = serde_json::from_str(ev[0]["data"]["post"].as_str().unwrap()).unwrap();
    assert_eq!(inner["message"], "second #other");
    assert_eq!(inner["id"], pid.as_str());

    // Same message, other props: no new edit time.
    let edit_at = r.body["edit_at"].clone();
    let mut body = r.body.clone();
    body["props"] = json!({"k": "w"});
    let r = ts.put(&format!("/api/v4/posts/{pid}"), bt, body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["edit_at"], edit_at);
    assert_eq!(r.body["props"], json!({"k": "w"}));

    // Patch: only the given fields change.
    let r = ts.patch_post(bt, &pid, json!({"message": "patched"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["message"], "patched");
    assert_eq!(r.body["is_pinned"], true);
    assert_eq!(r.body["props"], json!({"k": "w"}));
    let r = ts.patch_post(bt, &pid, json!({"is_pinned": false})).await;
    assert_eq!(r.body["message"], "patched");
    assert_eq!(r.body["is_pinned"], false);
    let names: Vec<String> = cws
        .got(&ts, "post_edited")
        .await
        .iter()
        .map(|e| e["event"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names.len(), 3);
    let r = ts.get(&format!("/api/v4/posts/{pid}"), ct).await;
    assert_eq!(r.body["message"], "patched");
}

#[tokio::test]
async fn edit_refusals_in_upstream_order() {
    let (ts, w) = World::start().await;
    let (bt, ct) = (&w.bob.1, &w.carol.1);
    let p = post(&ts, bt, &w.town, "mine").await;
    let pid = p["id"].as_str().unwrap().to_string();

    // The body's id must be the path's.
    let mut body = p.clone();
    body["id"] = json!(rustmost_model::new_id());
    ts.put(&format!("/api/v4/posts/{pid}"), bt, body)
        .await
        .assert_err(400, "api.context.invalid_body_param.app_error");
    // An unknown post is a 403, as upstream.
    let ghost = rustmost_model::new_id();
    let mut body = p.clone();
    body["id"] = json!(ghost);
    expect_errors!(ts;
        put(&format!("/api/v4/posts/{ghost}"), bt, body)
            => 403, "api.context.permissions.app_error";
        put(&format!("/api/v4/posts/{ghost}/patch"), bt, json!({"message": "x"}))
            => 403, "api.context.permissions.app_error";
    );
    // Someone else's post needs edit_others_posts (not a plain member's).
    let mut body = p.clone();
    body["message"] = json!("carol was here");
    expect_errors!(ts;
        put(&format!("/api/v4/posts/{pid}"), ct, body.clone())
            => 403, "api.context.permissions.app_error";
        put(&format!("/api/v4/posts/{pid}/patch"), ct, json!({"message": "x"}))
            => 403, "api.context.permissions.app_error";
    );
    // An admin may.
    let r = ts.put(&format!("/api/v4/posts/{pid}"), &w.at, body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // An outsider cannot edit anything.
    let (_, dt) = ts.user(&w.at, "dave").await;
    expect_errors!(ts;
        put(&format!("/api/v4/posts/{pid}/patch"), &dt, json!({"message": "x"}))
            => 403, "api.context.permissions.app_error";
    );

    // System messages cannot be edited (bob's join message in town-square).
    let r = ts
        .get(&format!("/api/v4/channels/{}/posts", w.town), bt)
        .await;
    let sys = r.body["posts"]
        .as_object()
        .unwrap()
        .values()
        .find(|p| {
            p["type"].as_str().unwrap().starts_with("system_") && p["user_id"] == w.bob.0.as_str()
        })
        .expect("a system post of bob")
        .clone();
    let sid = sys["id"].as_str().unwrap();
    expect_errors!(ts;
        put(&format!("/api/v4/posts/{sid}/patch"), bt, json!({"message": "x"}))
            => 400, "api.post.update_post.system_message.app_error";
    );

    // PostEditTimeLimit: 0 s means a message can no longer change; other fields still can.
    ts.patch_config(&w.at, json!({"ServiceSettings": {"PostEditTimeLimit": 0}}))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let r = ts.patch_post(bt, &pid, json!({"message": "late"})).await;
    r.assert_err(400, "api.post.update_post.permissions_time_limit.app_error");
    assert!(r.body["message"].as_str().unwrap().contains('0'));
    let r = ts.patch_post(bt, &pid, json!({"is_pinned": true})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    ts.patch_config(&w.at, json!({"ServiceSettings": {"PostEditTimeLimit": -1}}))
        .await;

    // An archived channel.
    let r = ts.create_channel(bt, &w.tid, "arch", "Arch", "O").await;
    let cid = r.id();
    let p2 = post(&ts, bt, &cid, "before").await;
    let p2id = p2["id"].as_str().unwrap();
    assert_eq!(
        ts.delete(&format!("/api/v4/channels/{cid}"), bt)
            .await
            .status,
        200
    );
    expect_errors!(ts;
        put(&format!("/api/v4/posts/{p2id}/patch"), bt, json!({"message": "x"}))
            => 400, "api.post.patch_post.can_not_update_post_in_deleted.error";
    );
    let mut body = p2.clone();
    body["message"] = json!("x");
    expect_errors!(ts;
        put(&format!("/api/v4/posts/{p2id}"), bt, body)
            => 400, "api.post.update_post.can_not_update_post_in_deleted.error";
    );
}

#[tokio::test]
async fn thread_lists_root_and_replies_newest_first_to_readers_only() {
    let (ts, w) = World::start().await;
    let (bt, ct) = (&w.bob.1, &w.carol.1);
    let root = post(&ts, bt, &w.town, "root").await;
    let rid = root["id"].as_str().unwrap().to_string();
    let mut replies = Vec::new();
    for (t, m) in [(ct, "r1"), (bt, "r2"), (ct, "r3")] {
        let r = ts
            .post(
                "/api/v4/posts",
                t,
                json!({"channel_id": w.town, "message": m, "root_id": rid}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        replies.push(r.id());
    }
    post(&ts, bt, &w.town, "unrelated").await;
    // Deleted replies are left out.
    let gone = ts
        .post(
            "/api/v4/posts",
            bt,
            json!({"channel_id": w.town, "message": "gone", "root_id": rid}),
        )
        .await;
    let gid = gone.id();
    assert_eq!(
        ts.delete(&format!("/api/v4/posts/{gid}"), bt).await.status,
        200
    );

    let mut want: Vec<String> = replies.iter().rev().cloned().collect();
    want.push(rid.clone());
    // From the root or from any reply, the same thread.
    for id in [&rid, &replies[1]] {
        let r = ts.get(&format!("/api/v4/posts/{id}/thread"), ct).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let order: Vec<String> = r.body["order"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        assert_eq!(order, want);
        let posts = r.body["posts"].as_object().unwrap();
        assert_eq!(posts.len(), 4);
        assert_eq!(posts[&rid]["message"], "root");
        assert_eq!(posts[&replies[0]]["root_id"], rid.as_str());
        assert_eq!(posts[&rid]["reply_count"], 3);
        assert_eq!(r.body["next_post_id"], "");
        assert_eq!(r.body["prev_post_id"], "");
    }
    // Unknown and deleted posts are 404; a private channel's thread needs membership.
    expect_errors!(ts;
        get(&format!("/api/v4/posts/{}/thread", rustmost_model::new_id()), bt)
            => 404, "app.post.get.app_error";
        get(&format!("/api/v4/posts/{gid}/thread"), bt) => 404, "app.post.get.app_error";
    );
    let priv_id = crate::websocket::private_channel(&ts, bt, &w.tid, "secret").await;
    let sp = post(&ts, bt, &priv_id, "hidden").await;
    expect_errors!(ts;
        get(&format!("/api/v4/posts/{}/thread", sp["id"].as_str().unwrap()), ct)
            => 403, "api.context.permissions.app_error";
    );
}
