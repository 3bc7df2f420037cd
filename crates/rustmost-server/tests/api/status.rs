//! User status: the REST endpoints, `status_change`, the WebSocket actions and the built-in
//! commands all reading and writing one status; connections set online/offline unless a status
//! set by hand says otherwise.

use crate::common::{Resp, TestServer};
use crate::websocket::{Auth, World, Ws};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

async fn status_of(ts: &TestServer, token: &str, uid: &str) -> Value {
    let r = ts.get(&format!("/api/v4/users/{uid}/status"), token).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
}

async fn set(ts: &TestServer, token: &str, uid: &str, status: &str) -> Resp {
    ts.put(
        &format!("/api/v4/users/{uid}/status"),
        token,
        json!({"user_id": uid, "status": status}),
    )
    .await
}

async fn command(ts: &TestServer, token: &str, channel: &str, cmd: &str) {
    let r = ts.execute_command(token, channel, cmd).await;
    assert_eq!(r.status, 200, "{cmd}: {}", r.text);
}

/// Waits until the user's status is `want` (connection changes are applied as sockets close).
async fn wait_for(ts: &TestServer, token: &str, uid: &str, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let s = status_of(ts, token, uid).await;
        if s["status"] == want {
            return;
        }
        assert!(Instant::now() < deadline, "status stayed {s}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn one_status_for_rest_sockets_and_commands_with_manual_winning() {
    let (ts, w) = World::start().await;
    let [(bob, bt), (carol, ct)] = w.members();

    // Nobody connected: offline, for any caller.
    let s = status_of(&ts, bt, carol).await;
    assert_eq!(
        s,
        json!({"user_id": carol, "status": "offline", "manual": false, "last_activity_at": 0})
    );
    // A socket makes its user online.
    let mut bws = Ws::connect(&ts, Auth::Bearer(bt)).await;
    let s = status_of(&ts, ct, bob).await;
    assert_eq!(s["status"], "online");
    assert_eq!(s["manual"], false);
    assert!(s["last_activity_at"].as_i64().unwrap() > 0);
    let mut cws = Ws::connect(&ts, Auth::Bearer(ct)).await;

    // By hand: dnd, announced to bob alone.
    let r = set(&ts, bt, "me", "dnd").await;
    r.assert_err(400, "api.context.invalid_body_param.app_error");
    let r = set(&ts, bt, bob, "dnd").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "dnd");
    assert_eq!(r.body["manual"], true);
    let ev = bws.got(&ts, "status_change").await;
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_eq!(ev[0]["data"], json!({"status": "dnd", "user_id": bob}));
    assert_eq!(ev[0]["broadcast"]["user_id"], bob.as_str());
    assert!(cws.got(&ts, "status_change").await.is_empty());

    // The same status everywhere: REST list, WebSocket actions.
    let r = ts
        .post(
            "/api/v4/users/status/ids",
            ct,
            json!([bob, carol, w.admin_id]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let list: Vec<(&str, &str)> = r
        .items()
        .iter()
        .map(|s| {
            (
                s["user_id"].as_str().unwrap(),
                s["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        list,
        [
            (bob.as_str(), "dnd"),
            (carol.as_str(), "online"),
            (w.admin_id.as_str(), "offline")
        ]
    );
    let r = cws
        .call(
            1,
            "get_statuses_by_ids",
            json!({"user_ids": [bob, w.admin_id]}),
        )
        .await;
    assert_eq!(
        r["data"],
        json!({bob.clone(): "dnd", w.admin_id.clone(): "offline"})
    );
    let r = cws.call(2, "get_statuses", json!({})).await;
    assert_eq!(
        r["data"],
        json!({bob.clone(): "dnd", carol.clone(): "online"})
    );

    // Manual wins over connections: bob's socket closing and a new one leave him dnd.
    bws.s.close(None).await.unwrap();
    drop(bws);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(status_of(&ts, ct, bob).await["status"], "dnd");
    let mut bws = Ws::connect(&ts, Auth::Bearer(bt)).await;
    assert_eq!(status_of(&ts, ct, bob).await["status"], "dnd");
    // ...and over the socket's activity reports.
    let r = bws
        .call(
            1,
            "user_update_active_status",
            json!({"user_is_active": true}),
        )
        .await;
    assert_eq!(r["status"], "OK");
    assert_eq!(status_of(&ts, ct, bob).await["status"], "dnd");
    let r = bws.call(2, "user_update_active_status", json!({})).await;
    assert_eq!(
        r["error"]["id"],
        "api.websocket_handler.invalid_param.app_error"
    );

    // The built-in commands write the same status: /online (never manual), /away, /offline.
    command(&ts, bt, &w.town, "/online").await;
    let s = status_of(&ts, ct, bob).await;
    assert_eq!(
        (s["status"].clone(), s["manual"].clone()),
        (json!("online"), json!(false))
    );
    let ev = bws.got(&ts, "status_change").await;
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_eq!(ev[0]["data"]["status"], "online");
    command(&ts, bt, &w.town, "/away").await;
    let s = status_of(&ts, ct, bob).await;
    assert_eq!(
        (s["status"].clone(), s["manual"].clone()),
        (json!("away"), json!(true))
    );
    assert_eq!(
        bws.got(&ts, "status_change").await[0]["data"]["status"],
        "away"
    );
    command(&ts, bt, &w.town, "/dnd").await;
    assert_eq!(status_of(&ts, ct, bob).await["status"], "dnd");
    command(&ts, bt, &w.town, "/offline").await;
    assert_eq!(status_of(&ts, ct, bob).await["status"], "offline");
    // A manual offline survives a new socket; a manual online then follows connections again.
    let _again = Ws::connect(&ts, Auth::Bearer(bt)).await;
    assert_eq!(status_of(&ts, ct, bob).await["status"], "offline");
    let r = set(&ts, bt, "me", "online").await;
    r.assert_err(400, "api.context.invalid_body_param.app_error");
    let r = set(&ts, bt, bob, "online").await;
    assert_eq!(r.body["status"], "online");
    assert_eq!(r.body["manual"], false);

    // Carol's last socket closing makes her offline (not manual).
    cws.s.close(None).await.unwrap();
    drop(cws);
    wait_for(&ts, bt, carol, "offline").await;
    assert_eq!(status_of(&ts, bt, carol).await["manual"], false);
}

#[tokio::test]
async fn status_refusals_follow_upstream() {
    let (ts, w) = World::start().await;
    let [(bob, bt), (carol, ct)] = w.members();
    // Another user's status: edit_other_users (the admin has it, carol not).
    set(&ts, ct, bob, "away")
        .await
        .assert_err(403, "api.context.permissions.app_error");
    let r = set(&ts, &w.at, bob, "away").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "away");
    // Unknown status, mismatched user id, bad bodies.
    set(&ts, bt, bob, "busy")
        .await
        .assert_err(400, "api.context.invalid_body_param.app_error");
    let r = ts
        .put(
            &format!("/api/v4/users/{bob}/status"),
            bt,
            json!({"user_id": carol, "status": "online"}),
        )
        .await;
    r.assert_err(400, "api.context.invalid_body_param.app_error");
    assert!(r.body["message"].as_str().unwrap().contains("user_id"));
    for body in [
        json!([]),
        json!(["short"]),
        json!({"a": 1}),
        json!([bob, "x"]),
    ] {
        ts.post("/api/v4/users/status/ids", bt, body)
            .await
            .assert_err(400, "api.context.invalid_body_param.app_error");
    }
    // Anonymous callers get nothing.
    let r = ts
        .req(
            reqwest::Method::GET,
            &format!("/api/v4/users/{bob}/status"),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn an_idle_socket_turns_away_and_back_online() {
    let (ts, w) = World::start().await;
    let (bob, bt) = (&w.bob.0, &w.bob.1);
    let mut bws = Ws::connect(&ts, Auth::Bearer(bt)).await;
    assert_eq!(status_of(&ts, bt, bob).await["status"], "online");
    // Inactive but not idle long enough (UserStatusAwayTimeout, 300 s): still online.
    let r = bws
        .call(
            1,
            "user_update_active_status",
            json!({"user_is_active": false}),
        )
        .await;
    assert_eq!(r["status"], "OK");
    assert_eq!(status_of(&ts, bt, bob).await["status"], "online");
    assert!(bws.got(&ts, "status_change").await.is_empty());
    ts.state.clock.advance(Duration::from_secs(301));
    bws.call(
        2,
        "user_update_active_status",
        json!({"user_is_active": false}),
    )
    .await;
    let s = status_of(&ts, bt, bob).await;
    assert_eq!(
        (s["status"].clone(), s["manual"].clone()),
        (json!("away"), json!(false))
    );
    let ev = bws.got(&ts, "status_change").await;
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["data"]["status"], "away");
    // Active again: online, announced.
    bws.call(
        3,
        "user_update_active_status",
        json!({"user_is_active": true}),
    )
    .await;
    assert_eq!(status_of(&ts, bt, bob).await["status"], "online");
    assert_eq!(
        bws.got(&ts, "status_change").await[0]["data"]["status"],
        "online"
    );
    // Viewing a channel is activity too: after going away, a view brings bob back online.
    ts.state.clock.advance(Duration::from_secs(301));
    bws.call(
        4,
        "user_update_active_status",
        json!({"user_is_active": false}),
    )
    .await;
    assert_eq!(status_of(&ts, bt, bob).await["status"], "away");
    let r = ts.view_channel(bt, &w.town).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(status_of(&ts, bt, bob).await["status"], "online");
}
