//! `DELETE /channels/{channel_id}/members/{user_id}`: upstream's checks and ids, the
//! `user_removed` pair (to the channel, and to the removed user), and the system message.

use crate::common::TestServer;
use crate::websocket::{Auth, World, Ws, post, private_channel};
use serde_json::{Value, json};

fn posted_message(e: &Value) -> Value {
    serde_json::from_str(e["data"]["post"].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn removing_a_member_tells_the_channel_and_the_removed_user() {
    let (ts, w) = World::start().await;
    let [(bob, bt), (carol, ct)] = w.members();
    let (dave, dt) = ts.user(&w.at, "dave").await;
    let dave = dave["id"].as_str().unwrap().to_string();
    let r = ts.add_team_member(&w.at, &w.tid, &dave).await;
    assert_eq!(r.status, 201);
    let cid = private_channel(&ts, bt, &w.tid, "secret").await;
    let r = ts.add_channel_member(bt, &cid, &carol).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let mut bws = Ws::connect(&ts, Auth::Bearer(bt)).await;
    let mut cws = Ws::connect(&ts, Auth::Bearer(ct)).await;
    let mut dws = Ws::connect(&ts, Auth::Bearer(&dt)).await;

    // A team member outside the channel may not remove anyone.
    ts.delete(&format!("/api/v4/channels/{cid}/members/{carol}"), &dt)
        .await
        .assert_err(403, "api.context.permissions.app_error");

    let r = ts
        .delete(&format!("/api/v4/channels/{cid}/members/{carol}"), bt)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body, json!({"status": "OK"}));
    let own = cws.got(&ts, "user_removed").await;
    assert_eq!(own.len(), 1, "{own:?}");
    assert_eq!(own[0]["broadcast"]["user_id"], carol.as_str());
    assert_eq!(
        own[0]["data"],
        json!({"channel_id": cid, "remover_id": bob})
    );
    let ev = bws.drain(&ts).await;
    let removed: Vec<&Value> = ev.iter().filter(|e| e["event"] == "user_removed").collect();
    assert_eq!(removed.len(), 1, "{ev:?}");
    assert_eq!(removed[0]["broadcast"]["channel_id"], cid.as_str());
    assert_eq!(
        removed[0]["data"],
        json!({"user_id": carol, "remover_id": bob})
    );
    // The channel hears "@carol removed from the channel." from bob; carol no longer does.
    let msg = ev
        .iter()
        .filter(|e| e["event"] == "posted")
        .map(posted_message)
        .find(|p| p["type"] == "system_remove_from_channel")
        .expect("removal message");
    assert_eq!(msg["message"], "@carol removed from the channel.");
    assert_eq!(msg["user_id"], bob.as_str());
    assert_eq!(msg["props"]["removedUserId"], carol.as_str());
    assert_eq!(msg["props"]["removedUsername"], "carol");
    assert!(cws.got(&ts, "posted").await.is_empty());
    assert!(dws.drain(&ts).await.is_empty());
    ts.get(&format!("/api/v4/channels/{cid}/members/{carol}"), bt)
        .await
        .assert_err(404, "app.channel.get_member.missing.app_error");
    post(&ts, bt, &cid, "after").await;
    assert!(cws.got(&ts, "posted").await.is_empty());

    // Gone already: 404; unknown channel or user: 404.
    ts.delete(&format!("/api/v4/channels/{cid}/members/{carol}"), bt)
        .await
        .assert_err(404, "app.channel.get_member.missing.app_error");
    let ghost = rustmost_model::new_id();
    ts.delete(&format!("/api/v4/channels/{ghost}/members/{carol}"), bt)
        .await
        .assert_err(404, "app.channel.get.existing.app_error");
    let r = ts
        .delete(&format!("/api/v4/channels/{cid}/members/{ghost}"), bt)
        .await;
    assert_eq!(r.status, 404, "{}", r.text);

    // Leaving oneself (`me`) posts the "left" message; town-square cannot be left.
    let r = ts.create_channel(bt, &w.tid, "pub", "Pub", "O").await;
    let pid = r.id();
    let r = ts.add_channel_member(ct, &pid, &carol).await;
    assert_eq!(r.status, 201, "{}", r.text);
    bws.drain(&ts).await;
    let r = ts
        .delete(&format!("/api/v4/channels/{pid}/members/me"), ct)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let ev = bws.drain(&ts).await;
    let left = ev
        .iter()
        .filter(|e| e["event"] == "posted")
        .map(posted_message)
        .find(|p| p["type"] == "system_leave_channel")
        .expect("leave message");
    assert_eq!(left["message"], "carol left the channel.");
    assert_eq!(left["user_id"], carol.as_str());
    let own = cws.got(&ts, "user_removed").await;
    assert_eq!(
        own[0]["data"],
        json!({"channel_id": pid, "remover_id": carol})
    );
    let r = ts
        .delete(&format!("/api/v4/channels/{}/members/{bob}", w.town), bt)
        .await;
    r.assert_err(400, "api.channel.remove.default.app_error");
    assert!(r.body["message"].as_str().unwrap().contains("town-square"));

    // Direct channels have no removable members.
    let r = ts
        .post("/api/v4/channels/direct", bt, json!([bob, carol]))
        .await;
    let dm = r.body["id"].as_str().unwrap();
    ts.delete(&format!("/api/v4/channels/{dm}/members/{carol}"), bt)
        .await
        .assert_err(400, "api.channel.remove_channel_member.type.app_error");
}

/// `/kick` and `/leave` remove through the same path as the REST endpoint: the removed user and
/// the channel hear `user_removed`, and the channel gets the system message.
#[tokio::test]
async fn kick_and_leave_commands_publish_user_removed() {
    let (ts, w) = World::start().await;
    let [(bob, bt), (carol, ct)] = w.members();
    let cid = private_channel(&ts, bt, &w.tid, "kickme").await;
    let r = ts.add_channel_member(bt, &cid, &carol).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let mut bws = Ws::connect(&ts, Auth::Bearer(bt)).await;
    let mut cws = Ws::connect(&ts, Auth::Bearer(ct)).await;
    bws.drain(&ts).await;
    cws.drain(&ts).await;

    let r = exec(&ts, bt, &cid, "/kick @carol").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let own = cws.got(&ts, "user_removed").await;
    assert_eq!(own.len(), 1, "{own:?}");
    assert_eq!(
        own[0]["data"],
        json!({"channel_id": cid, "remover_id": bob})
    );
    let ev = bws.drain(&ts).await;
    let removed: Vec<&Value> = ev.iter().filter(|e| e["event"] == "user_removed").collect();
    assert_eq!(removed.len(), 1, "{ev:?}");
    assert_eq!(
        removed[0]["data"],
        json!({"user_id": carol, "remover_id": bob})
    );
    let msg = ev
        .iter()
        .filter(|e| e["event"] == "posted")
        .map(posted_message)
        .find(|p| p["type"] == "system_remove_from_channel")
        .expect("removal message");
    assert_eq!(msg["message"], "@carol removed from the channel.");

    // Back in, carol leaves by command: she is her own remover.
    let r = ts.add_channel_member(bt, &cid, &carol).await;
    assert_eq!(r.status, 201, "{}", r.text);
    cws.drain(&ts).await;
    bws.drain(&ts).await;
    let r = exec(&ts, ct, &cid, "/leave").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let own = cws.got(&ts, "user_removed").await;
    assert_eq!(own.len(), 1, "{own:?}");
    assert_eq!(
        own[0]["data"],
        json!({"channel_id": cid, "remover_id": carol})
    );
    let removed = bws.got(&ts, "user_removed").await;
    assert_eq!(removed.len(), 1, "{removed:?}");
}

async fn exec(ts: &TestServer, token: &str, channel: &str, command: &str) -> crate::common::Resp {
    ts.execute_command(token, channel, command).await
}
