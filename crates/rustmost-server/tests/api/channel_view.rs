//! `POST /channels/members/{user_id}/view`: marks the viewed and the previous channel read
//! (`last_viewed_at` = the channel's last post, counts caught up) and sends
//! `multiple_channels_viewed` to the user.

use crate::common::TestServer;
use crate::websocket::{Auth, World, Ws, post};
use reqwest::Method;
use serde_json::{Value, json};

async fn member(ts: &TestServer, token: &str, cid: &str, uid: &str) -> Value {
    let r = ts
        .get(&format!("/api/v4/channels/{cid}/members/{uid}"), token)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
}

#[tokio::test]
async fn viewing_marks_channels_read_and_tells_the_user() {
    let (ts, w) = World::start().await;
    let [(bob, bt), (carol, ct)] = w.members();
    let mut bws = Ws::connect(&ts, Auth::Bearer(bt)).await;
    let mut cws = Ws::connect(&ts, Auth::Bearer(ct)).await;
    post(&ts, ct, &w.town, "one").await;
    post(&ts, ct, &w.town, "two").await;
    let town = ts
        .get(&format!("/api/v4/channels/{}", w.town), bt)
        .await
        .body;
    let before = member(&ts, bt, &w.town, bob).await;
    assert!(before["msg_count"].as_i64().unwrap() < town["total_msg_count"].as_i64().unwrap());

    let r = ts
        .post(
            "/api/v4/channels/members/me/view",
            bt,
            json!({"channel_id": w.town, "prev_channel_id": ""}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let last = town["last_post_at"].as_i64().unwrap();
    assert_eq!(
        r.body,
        json!({"status": "OK", "last_viewed_at_times": {w.town.clone(): last}})
    );
    let m = member(&ts, bt, &w.town, bob).await;
    assert_eq!(m["last_viewed_at"], last);
    assert_eq!(m["msg_count"], town["total_msg_count"]);
    assert_eq!(m["mention_count"], 0);
    let ev = bws.got(&ts, "multiple_channels_viewed").await;
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_eq!(ev[0]["broadcast"]["user_id"], bob.as_str());
    assert_eq!(
        ev[0]["data"],
        json!({"channel_times": {w.town.clone(): last}})
    );
    assert!(cws.got(&ts, "multiple_channels_viewed").await.is_empty());
    // Carol's membership is untouched.
    assert_eq!(member(&ts, ct, &w.town, carol).await["last_viewed_at"], 0);

    // Nothing unread: nothing to do, no event.
    let r = ts
        .post(
            &format!("/api/v4/channels/members/{bob}/view"),
            bt,
            json!({"channel_id": w.town}),
        )
        .await;
    assert_eq!(r.body, json!({"status": "OK", "last_viewed_at_times": {}}));
    assert!(bws.got(&ts, "multiple_channels_viewed").await.is_empty());

    // The channel being left is marked read too.
    let r = ts.create_channel(ct, &w.tid, "side", "Side", "O").await;
    let side = r.id();
    let r = ts.add_channel_member(bt, &side, &bob).await;
    assert_eq!(r.status, 201, "{}", r.text);
    post(&ts, ct, &side, "side news").await;
    post(&ts, ct, &w.town, "three").await;
    let r = ts
        .post(
            "/api/v4/channels/members/me/view",
            bt,
            json!({"channel_id": "", "prev_channel_id": side}),
        )
        .await;
    let times = r.body["last_viewed_at_times"].as_object().unwrap();
    assert_eq!(times.keys().collect::<Vec<_>>(), [&side]);
    let ev = bws.got(&ts, "multiple_channels_viewed").await;
    assert_eq!(ev.len(), 1);
    // Both at once.
    post(&ts, ct, &side, "more").await;
    let r = ts
        .post(
            "/api/v4/channels/members/me/view",
            bt,
            json!({"channel_id": w.town, "prev_channel_id": side}),
        )
        .await;
    assert_eq!(r.body["last_viewed_at_times"].as_object().unwrap().len(), 2);
    let ev = bws.got(&ts, "multiple_channels_viewed").await;
    assert_eq!(ev[0]["data"]["channel_times"].as_object().unwrap().len(), 2);

    // EnableChannelViewedMessages off: still marked read, no event.
    ts.patch_config(
        &w.at,
        json!({"ServiceSettings": {"EnableChannelViewedMessages": false}}),
    )
    .await;
    post(&ts, ct, &w.town, "four").await;
    let r = ts.view_channel(bt, &w.town).await;
    assert_eq!(r.body["last_viewed_at_times"].as_object().unwrap().len(), 1);
    assert!(bws.got(&ts, "multiple_channels_viewed").await.is_empty());
}

#[tokio::test]
async fn view_refusals_follow_upstream_order() {
    let (ts, w) = World::start().await;
    let (bob, bt) = (&w.bob.0, &w.bob.1);
    let ct = &w.carol.1;
    // Another user: edit_other_users, checked before the body is read.
    for body in ["{\"channel_id\": \"x\"}", "not json"] {
        ts.raw(
            Method::POST,
            &format!("/api/v4/channels/members/{bob}/view"),
            Some(ct),
            body,
        )
        .await
        .assert_err(403, "api.context.permissions.app_error");
    }
    let r = ts
        .post(
            &format!("/api/v4/channels/members/{bob}/view"),
            &w.at,
            json!({"channel_id": w.town}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Bad ids and bodies.
    for (body, name) in [
        (json!({"channel_id": "x"}), "channel_view.channel_id"),
        (
            json!({"prev_channel_id": "x"}),
            "channel_view.prev_channel_id",
        ),
        (json!({"channel_id": 5}), "channel_view"),
    ] {
        let r = ts.post("/api/v4/channels/members/me/view", bt, body).await;
        r.assert_err(400, "api.context.invalid_body_param.app_error");
        assert!(
            r.body["message"].as_str().unwrap().contains(name),
            "{}",
            r.text
        );
    }
}
