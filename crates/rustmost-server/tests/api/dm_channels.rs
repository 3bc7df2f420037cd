//! Direct and group channels: `POST /channels/direct` and `/channels/group` with upstream's
//! checks and ids, idempotence, `direct_added` / `group_added` and who hears them, and the
//! channels in the members' listings.

use crate::common::{Resp, TestServer, expect_errors};
use crate::websocket::{Auth, World, Ws};
use serde_json::{Value, json};

async fn raw_post(ts: &TestServer, path: &str, token: &str, body: &str) -> Resp {
    let r = ts
        .http
        .post(format!("{}{}", ts.url, path))
        .bearer_auth(token)
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    Resp::read(r).await
}

/// Removes `perm` from the `system_user` role.
async fn revoke_from_users(ts: &TestServer, admin: &str, perm: &str) {
    let role = ts.get("/api/v4/roles/name/system_user", admin).await;
    let perms: Vec<Value> = role.body["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| *p != perm)
        .cloned()
        .collect();
    ts.patch_role(admin, role.body["id"].as_str().unwrap(), json!(perms))
        .await
        .assert_ok();
}

#[tokio::test]
async fn a_direct_channel_is_created_once_announced_and_listed() {
    let (ts, w) = World::start().await;
    let [(bob, bt), (carol, ct)] = w.members();
    let (dave, dt) = ts.user(&w.at, "dave").await;
    let dave = dave["id"].as_str().unwrap().to_string();
    let mut bws = Ws::connect(&ts, Auth::Bearer(bt)).await;
    let mut cws = Ws::connect(&ts, Auth::Bearer(ct)).await;
    let mut dws = Ws::connect(&ts, Auth::Bearer(&dt)).await;

    let r = ts
        .post("/api/v4/channels/direct", bt, json!([bob, carol]))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let c = r.body.clone();
    let cid = c["id"].as_str().unwrap().to_string();
    let (lo, hi) = if bob < carol {
        (bob, carol)
    } else {
        (carol, bob)
    };
    assert_eq!(c["name"], format!("{lo}__{hi}"));
    assert_eq!(c["type"], "D");
    assert_eq!(c["team_id"], "");
    assert_eq!(c["display_name"], "");
    assert_eq!(c["creator_id"], bob.as_str());

    // Both members hear `direct_added` with upstream's data; an outsider does not.
    for ws in [&mut bws, &mut cws] {
        let ev = ws.got(&ts, "direct_added").await;
        assert_eq!(ev.len(), 1, "{ev:?}");
        assert_eq!(ev[0]["broadcast"]["channel_id"], cid.as_str());
        assert_eq!(ev[0]["data"]["creator_id"], bob.as_str());
        assert_eq!(ev[0]["data"]["teammate_id"], carol.as_str());
    }
    assert!(dws.got(&ts, "direct_added").await.is_empty());

    // Idempotent: either order, either member, the same channel and no second event.
    for (token, ids) in [(bt, json!([bob, carol])), (ct, json!([carol, bob]))] {
        let r = ts.post("/api/v4/channels/direct", token, ids).await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["id"], cid.as_str());
    }
    assert!(bws.got(&ts, "direct_added").await.is_empty());

    // Both can post in it, and it is in both members' channel listings, team ones included.
    let r = ts.create_post(ct, &cid, "hi bob").await;
    assert_eq!(r.status, 201, "{}", r.text);
    let ev = bws.got(&ts, "posted").await;
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["data"]["channel_type"], "D");
    for (uid, token) in [(bob, bt), (carol, ct)] {
        for path in [
            format!("/api/v4/users/{uid}/channels"),
            format!("/api/v4/users/me/teams/{}/channels", w.tid),
        ] {
            let r = ts.get(&path, token).await;
            assert!(
                r.items().iter().any(|c| c["id"] == cid.as_str()),
                "{path}: {}",
                r.text
            );
        }
        let r = ts
            .get(&format!("/api/v4/channels/{cid}/members/{uid}"), token)
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    // An outsider may not read it.
    let r = ts.get(&format!("/api/v4/channels/{cid}"), &dt).await;
    r.assert_err(403, "api.context.permissions.app_error");

    // A channel with oneself: `[self]`.
    let r = ts.post("/api/v4/channels/direct", &dt, json!([dave])).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["name"], format!("{dave}__{dave}"));
    let ev = dws.got(&ts, "direct_added").await;
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["data"]["teammate_id"], dave.as_str());
}

#[tokio::test]
async fn direct_channel_refusals_follow_upstream() {
    let (ts, w) = World::start().await;
    let (bob, bt) = (&w.bob.0, &w.bob.1);
    let carol = &w.carol.0;
    let (dave, _) = ts.user(&w.at, "dave").await;
    let dave = dave["id"].as_str().unwrap();
    let ghost = rustmost_model::new_id();

    for body in ["{}", "[1]", "\"x\"", ""] {
        raw_post(&ts, "/api/v4/channels/direct", bt, body)
            .await
            .assert_err(400, "api.payload.parse.error");
    }
    for body in [json!([]), json!(null), json!([bob, carol, dave])] {
        let r = ts.post("/api/v4/channels/direct", bt, body).await;
        r.assert_err(400, "api.context.invalid_body_param.app_error");
        assert!(r.body["message"].as_str().unwrap().contains("user_ids"));
    }
    // `[other]` alone is not a self channel.
    ts.post("/api/v4/channels/direct", bt, json!([carol]))
        .await
        .assert_err(400, "api.context.invalid_body_param.app_error");
    let r = ts
        .post("/api/v4/channels/direct", bt, json!([bob, "not-an-id"]))
        .await;
    r.assert_err(400, "api.context.invalid_body_param.app_error");
    assert!(r.body["message"].as_str().unwrap().contains("user_id"));
    // Someone else's channel needs manage_system.
    ts.post("/api/v4/channels/direct", bt, json!([carol, dave]))
        .await
        .assert_err(403, "api.context.permissions.app_error");
    let r = ts
        .post("/api/v4/channels/direct", &w.at, json!([carol, dave]))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    // An unknown user.
    expect_errors!(ts;
        post("/api/v4/channels/direct", bt, json!([bob, ghost]))
            => 400, "api.channel.create_direct_channel.invalid_user.app_error";
    );

    // RestrictDirectMessage "team": dave shares no team with bob.
    ts.patch_config(
        &w.at,
        json!({"TeamSettings": {"RestrictDirectMessage": "team"}}),
    )
    .await;
    expect_errors!(ts;
        post("/api/v4/channels/direct", bt, json!([bob, dave]))
            => 403, "api.channel.create_channel.direct_channel.team_restricted_error";
    );
    let r = ts
        .post("/api/v4/channels/direct", bt, json!([bob, carol]))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    ts.patch_config(
        &w.at,
        json!({"TeamSettings": {"RestrictDirectMessage": "any"}}),
    )
    .await;

    // Without view_members, only users sharing a team or channel can be reached.
    revoke_from_users(&ts, &w.at, "view_members").await;
    ts.post("/api/v4/channels/direct", bt, json!([bob, dave]))
        .await
        .assert_err(403, "api.context.permissions.app_error");
    let r = ts
        .post("/api/v4/channels/direct", bt, json!([bob, carol]))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);

    // Without create_direct_channel, nothing.
    revoke_from_users(&ts, &w.at, "create_direct_channel").await;
    ts.post("/api/v4/channels/direct", bt, json!([bob, carol]))
        .await
        .assert_err(403, "api.context.permissions.app_error");
}

#[tokio::test]
async fn a_group_channel_is_created_once_and_each_member_hears_group_added() {
    let (ts, w) = World::start().await;
    let [(bob, bt), (carol, ct)] = w.members();
    let (dave, dt) = ts.user(&w.at, "dave").await;
    let dave = dave["id"].as_str().unwrap().to_string();
    let (_, et) = ts.user(&w.at, "erin").await;
    let mut bws = Ws::connect(&ts, Auth::Bearer(bt)).await;
    let mut cws = Ws::connect(&ts, Auth::Bearer(ct)).await;
    let mut dws = Ws::connect(&ts, Auth::Bearer(&dt)).await;
    let mut ews = Ws::connect(&ts, Auth::Bearer(&et)).await;

    // The caller is added when absent; repeats are dropped.
    let r = ts
        .post("/api/v4/channels/group", bt, json!([carol, dave, carol]))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let cid = r.id();
    assert_eq!(r.body["type"], "G");
    assert_eq!(r.body["team_id"], "");
    assert_eq!(r.body["display_name"], "bob, carol, dave");
    let name = r.body["name"].as_str().unwrap();
    assert_eq!(name.len(), 40);
    assert!(name.bytes().all(|b| b.is_ascii_hexdigit()));
    // Upstream's order: the body's ids sorted, then the caller who was not among them.
    let mut members = vec![carol.clone(), dave.clone()];
    members.sort();
    members.push(bob.clone());
    for (ws, uid) in [(&mut bws, bob), (&mut cws, carol), (&mut dws, &dave)] {
        let ev = ws.got(&ts, "group_added").await;
        assert_eq!(ev.len(), 1, "{ev:?}");
        assert_eq!(ev[0]["broadcast"]["user_id"], uid.as_str());
        assert_eq!(ev[0]["broadcast"]["channel_id"], cid.as_str());
        let ids: Vec<String> =
            serde_json::from_str(ev[0]["data"]["teammate_ids"].as_str().unwrap()).unwrap();
        assert_eq!(ids, members);
    }
    assert!(ews.got(&ts, "group_added").await.is_empty());

    // The same members, in any order and by any of them: the same channel, no new event.
    let r = ts
        .post("/api/v4/channels/group", &dt, json!([bob, carol, dave]))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["id"], cid.as_str());
    assert!(bws.got(&ts, "group_added").await.is_empty());
    let r = ts.get(&format!("/api/v4/users/{dave}/channels"), &dt).await;
    assert!(r.items().iter().any(|c| c["id"] == cid.as_str()));
    // Posts in it reach the members with the group's display name.
    let r = ts.create_post(ct, &cid, "hello group").await;
    assert_eq!(r.status, 201, "{}", r.text);
    let ev = dws.got(&ts, "posted").await;
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["data"]["channel_display_name"], "bob, carol, dave");
    assert!(ews.got(&ts, "posted").await.is_empty());

    // Sizes: 2 with the caller is too few, 9 too many; an unknown member; bad bodies.
    ts.post("/api/v4/channels/group", bt, json!([carol]))
        .await
        .assert_err(400, "api.channel.create_group.bad_size.app_error");
    let mut nine = Vec::new();
    for i in 0..8 {
        let (u, _) = ts.user(&w.at, &format!("many{i}")).await;
        nine.push(u["id"].as_str().unwrap().to_string());
    }
    expect_errors!(ts;
        post("/api/v4/channels/group", bt, json!(nine))
            => 400, "api.channel.create_group.bad_size.app_error";
        post("/api/v4/channels/group", bt, json!([carol, rustmost_model::new_id()]))
            => 400, "api.channel.create_group.bad_user.app_error";
        post("/api/v4/channels/group", bt, json!([]))
            => 400, "api.context.invalid_body_param.app_error";
        post("/api/v4/channels/group", bt, json!([carol, "bad"]))
            => 400, "api.context.invalid_body_param.app_error";
    );
    raw_post(&ts, "/api/v4/channels/group", bt, "{}")
        .await
        .assert_err(400, "api.payload.parse.error");
    revoke_from_users(&ts, &w.at, "create_group_channel").await;
    ts.post("/api/v4/channels/group", bt, json!([carol, dave]))
        .await
        .assert_err(403, "api.context.permissions.app_error");
}

#[tokio::test]
async fn a_bot_opens_a_direct_channel_with_its_owner_and_talks_there() {
    let (ts, w) = World::start().await;
    ts.set_tokens_enabled(&w.at, true).await;
    ts.enable_bot_creation(&w.at).await;
    let bot = ts.create_bot(&w.at, "helper").await;
    let bot_id = bot["user_id"].as_str().unwrap().to_string();
    let (_, secret) = ts.create_token(&w.at, &bot_id, "bot").await;
    let mut owner_ws = Ws::connect(&ts, Auth::Bearer(&w.at)).await;
    let mut bot_ws = Ws::connect(&ts, Auth::Token(&secret)).await;

    let r = ts
        .post(
            "/api/v4/channels/direct",
            &secret,
            json!([bot_id, w.admin_id]),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let cid = r.id();
    for ws in [&mut owner_ws, &mut bot_ws] {
        let ev = ws.got(&ts, "direct_added").await;
        assert_eq!(ev.len(), 1, "{ev:?}");
        assert_eq!(ev[0]["data"]["creator_id"], bot_id.as_str());
    }
    let r = ts.create_post(&secret, &cid, "ready").await;
    assert_eq!(r.status, 201, "{}", r.text);
    let ev = owner_ws.got(&ts, "posted").await;
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["data"]["channel_type"], "D");
    assert_eq!(ev[0]["data"]["sender_name"], "@helper");
    // The owner's answer reaches the bot.
    let r = ts.create_post(&w.at, &cid, "thanks").await;
    assert_eq!(r.status, 201, "{}", r.text);
    // The bot hears its own post too (upstream's `posted` goes to the author as well).
    let heard: Vec<String> = bot_ws
        .got(&ts, "posted")
        .await
        .iter()
        .map(|e| {
            let p: Value = serde_json::from_str(e["data"]["post"].as_str().unwrap()).unwrap();
            p["message"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(heard, ["ready", "thanks"]);
}

#[tokio::test]
async fn concurrent_creations_of_one_direct_channel_agree() {
    let (ts, w) = World::start().await;
    let [(bob, bt), (carol, ct)] = w.members();
    let mut bws = Ws::connect(&ts, Auth::Bearer(bt)).await;
    let calls = (0..8).map(|i| {
        let (token, ids) = if i % 2 == 0 {
            (bt, json!([bob, carol]))
        } else {
            (ct, json!([carol, bob]))
        };
        ts.post("/api/v4/channels/direct", token, ids)
    });
    let answers = futures_util::future::join_all(calls).await;
    let ids: std::collections::BTreeSet<String> = answers
        .iter()
        .map(|r| {
            assert_eq!(r.status, 201, "{}", r.text);
            r.id()
        })
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(bws.got(&ts, "direct_added").await.len(), 1);
    let r = ts.get(&format!("/api/v4/users/{bob}/channels"), bt).await;
    let dms = r.items().iter().filter(|c| c["type"] == "D").count();
    assert_eq!(dms, 1);
}
