//! Reactions as n8n sends them: `+1` and `thumbsup` names, raw `+` in paths, listing and
//! deleting, and the permission rules.

use crate::common::{TestServer, expect_errors};
use serde_json::{Value, json};

async fn setup(ts: &TestServer) -> (String, String, Value, String, String) {
    let (_, at) = ts.admin().await;
    let r = ts.create_team(&at, "team-one", "Team One", "O").await;
    let tid = r.id();
    let c = ts.channel_by_name(&at, &tid, "town-square").await;
    let cid = c.id();
    let (bob, bt) = ts.user(&at, "bob").await;
    ts.add_team_member(&at, &tid, &bob["id"]).await.assert_ok();
    let p = ts.create_post(&at, &cid, "react to me").await;
    (at, p.id(), bob, bt, cid)
}

#[tokio::test]
async fn create_list_delete_with_plus_one() {
    let ts = TestServer::start().await;
    let (_at, pid, bob, bt, _) = setup(&ts).await;
    let bid = bob["id"].as_str().unwrap();
    for name in ["+1", "thumbsup"] {
        // n8n's reaction.create body (client create_at included, colons already stripped).
        let r = ts
            .post("/api/v4/reactions", &bt, json!({"user_id": bid, "post_id": pid, "emoji_name": name, "create_at": 1700000000000i64}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["emoji_name"], name);
        assert_eq!(r.body["user_id"], bid);
        assert_eq!(r.body["create_at"], 1700000000000i64);
        assert_eq!(r.body["remote_id"], "");
    }
    let l = ts.get(&format!("/api/v4/posts/{pid}/reactions"), &bt).await;
    let names: Vec<&str> = l.strings("emoji_name");
    assert_eq!(names, vec!["+1", "thumbsup"]);
    let post = ts.get(&format!("/api/v4/posts/{pid}"), &bt).await;
    assert_eq!(post.body["has_reactions"], true);
    assert_eq!(
        post.body["metadata"]["reactions"].as_array().unwrap().len(),
        2
    );
    // Raw `+` in the path is the emoji `+1`, not a space.
    let r = ts
        .delete(
            &format!("/api/v4/users/{bid}/posts/{pid}/reactions/+1"),
            &bt,
        )
        .await;
    assert_eq!(r.body, json!({"status": "OK"}), "{}", r.text);
    let l = ts.get(&format!("/api/v4/posts/{pid}/reactions"), &bt).await;
    assert_eq!(l.items().len(), 1);
    assert_eq!(l.body[0]["emoji_name"], "thumbsup");
    // Percent-encoded `+` works as well; deleting an absent reaction succeeds.
    ts.delete(&format!("/api/v4/users/me/posts/{pid}/reactions/%2B1"), &bt)
        .await
        .assert_ok();
    ts.delete(
        &format!("/api/v4/users/{bid}/posts/{pid}/reactions/thumbsup"),
        &bt,
    )
    .await
    .assert_ok();
    assert_eq!(
        ts.get(&format!("/api/v4/posts/{pid}/reactions"), &bt)
            .await
            .body,
        json!([])
    );
    assert!(
        ts.get(&format!("/api/v4/posts/{pid}"), &bt)
            .await
            .body
            .get("has_reactions")
            .is_none()
    );
}

#[tokio::test]
async fn reaction_errors() {
    let ts = TestServer::start().await;
    let (at, pid, bob, bt, _) = setup(&ts).await;
    let bid = bob["id"].as_str().unwrap();
    let admin_id = ts.get("/api/v4/users/me", &at).await.id();
    expect_errors!(ts;
        post("/api/v4/reactions", &bt, json!({"user_id": bid, "post_id": pid, "emoji_name": ""}))
            => 400, "api.reaction.save_reaction.invalid.app_error";
        post("/api/v4/reactions", &bt, json!({"user_id": bid, "post_id": "x", "emoji_name": "a"}))
            => 400, "api.reaction.save_reaction.invalid.app_error";
        post("/api/v4/reactions", &bt, json!({"user_id": bid, "post_id": pid, "emoji_name": "bad name"}))
            => 400, "model.reaction.is_valid.emoji_name.app_error";
        post("/api/v4/reactions", &bt, json!({"user_id": admin_id, "post_id": pid, "emoji_name": "smile"}))
            => 403, "api.reaction.save_reaction.user_id.app_error";
        post("/api/v4/reactions", &bt, json!({"user_id": bid, "post_id": "nosuchpost0000000000000000", "emoji_name": "smile"}))
            => 403, "api.context.permissions.app_error";
        post("/api/v4/reactions", &bt, json!("x"))
            => 400, "api.context.invalid_body_param.app_error";
    );
    // Another user's reaction: remove_others_reactions is an admin permission.
    ts.post(
        "/api/v4/reactions",
        &at,
        json!({"user_id": admin_id, "post_id": pid, "emoji_name": "smile"}),
    )
    .await
    .assert_ok();
    expect_errors!(ts;
        delete(&format!("/api/v4/users/{admin_id}/posts/{pid}/reactions/smile"), &bt)
            => 403, "api.context.permissions.app_error";
        delete(&format!("/api/v4/users/{bid}/posts/{pid}/reactions/bad%20name"), &bt)
            => 400, "api.context.invalid_url_param.app_error";
    );
    // Outsiders cannot react or read.
    let (_, ct) = ts.user(&at, "carol").await;
    ts.get(&format!("/api/v4/posts/{pid}/reactions"), &ct)
        .await
        .assert_err(403, "api.context.permissions.app_error");
}

#[tokio::test]
async fn archived_channels_take_no_reactions() {
    let ts = TestServer::start().await;
    let (at, _pid, bob, bt, _) = setup(&ts).await;
    let tid = ts.get("/api/v4/users/me/teams", &at).await.body[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let c = ts.create_channel(&at, &tid, "old", "Old", "O").await;
    let cid = c.body["id"].as_str().unwrap();
    ts.add_channel_member(&at, cid, &bob["id"])
        .await
        .assert_ok();
    let p = ts.create_post(&bt, cid, "x").await;
    ts.delete(&format!("/api/v4/channels/{cid}"), &at)
        .await
        .assert_ok();
    expect_errors!(ts;
        post("/api/v4/reactions", &bt, json!({"user_id": bob["id"], "post_id": p.body["id"], "emoji_name": "smile"}))
            => 403, "api.reaction.save.archived_channel.app_error";
    );
}
