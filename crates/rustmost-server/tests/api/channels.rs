//! Channels: creation, the admin-only listing with team names, reading, archiving and
//! restoring, members, stats, search, by-name, and a user's channels, with n8n's requests.

use crate::common::{Resp, TestServer, expect_errors};
use serde_json::{Value, json};

/// Admin token, a team id, and a member (bob) with his token.
async fn setup(ts: &TestServer) -> (String, String, Value, String) {
    let (_, at) = ts.admin().await;
    let r = ts.create_team(&at, "team-one", "Team One", "O").await;
    let tid = r.id();
    let (bob, bt) = ts.user(&at, "bob").await;
    let r = ts.add_team_member(&at, &tid, &bob["id"]).await;
    assert_eq!(r.status, 201);
    (at, tid, bob, bt)
}

async fn channel(ts: &TestServer, token: &str, tid: &str, name: &str, kind: &str) -> Value {
    // n8n's channel.create body.
    let r = ts
        .create_channel_with(token, json!({"team_id": tid, "display_name": format!("D {name}"), "name": name, "type": kind}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

/// n8n's request for channel.restore: POST with no body but a JSON content type.
async fn empty_post(ts: &TestServer, path: &str, token: &str) -> Resp {
    let r = ts
        .http
        .post(format!("{}{}", ts.url, path))
        .bearer_auth(token)
        .header("Content-Type", "application/json; charset=utf-8")
        .header("Content-Length", "0")
        .send()
        .await
        .unwrap();
    Resp::read(r).await
}

#[tokio::test]
async fn create_public_and_private_channels() {
    let ts = TestServer::start().await;
    let (at, tid, bob, bt) = setup(&ts).await;
    let c = channel(&ts, &bt, &tid, "pub", "O").await;
    assert_eq!(c["type"], "O");
    assert_eq!(c["team_id"], tid.as_str());
    assert_eq!(c["creator_id"], bob["id"]);
    assert_eq!(c["display_name"], "D pub");
    let p = channel(&ts, &bt, &tid, "secret", "P").await;
    let m = ts
        .get(
            &format!("/api/v4/channels/{}/members/me", p["id"].as_str().unwrap()),
            &bt,
        )
        .await;
    assert_eq!(m.body["roles"], "channel_user channel_admin");
    assert_eq!(m.body["notify_props"]["mark_unread"], "all");

    // Errors, as upstream.
    expect_errors!(ts;
        post("/api/v4/channels", &bt, json!({"team_id": tid, "display_name": "X", "name": "pub", "type": "O"}))
            => 400, "store.sql_channel.save_channel.exists.app_error";
        post("/api/v4/channels", &bt, json!({"display_name": "X", "name": "x", "type": "O"}))
            => 400, "api.context.invalid_body_param.app_error";
        post("/api/v4/channels", &bt, json!({"team_id": tid, "name": "x", "type": "O"}))
            => 400, "api.context.invalid_body_param.app_error";
        post("/api/v4/channels", &bt, json!({"team_id": tid, "display_name": "X", "name": "Bad Name", "type": "O"}))
            => 400, "model.channel.is_valid.1_or_more.app_error";
        post("/api/v4/channels", &bt, json!({"team_id": tid, "display_name": "X", "name": "x", "type": "Z"}))
            => 400, "model.channel.is_valid.type.app_error";
        post("/api/v4/channels", &bt, json!({"team_id": tid, "display_name": "X", "name": "x", "type": "D"}))
            => 400, "api.channel.create_channel.direct_channel.app_error";
        post("/api/v4/channels", &bt, json!("nope"))
            => 400, "api.context.invalid_body_param.app_error";
    );
    // A user outside the team may not create channels in it.
    let (_, ct) = ts.user(&at, "carol").await;
    ts.create_channel(&ct, &tid, "x", "X", "O")
        .await
        .assert_err(403, "api.context.permissions.app_error");
}

#[tokio::test]
async fn all_channels_is_admin_only_with_team_names_and_pages() {
    let ts = TestServer::start().await;
    let (at, tid, _bob, bt) = setup(&ts).await;
    channel(&ts, &bt, &tid, "secret", "P").await;
    ts.get("/api/v4/channels?page=0&per_page=100", &bt)
        .await
        .assert_err(403, "api.context.permissions.app_error");
    let r = ts.get("/api/v4/channels?page=0&per_page=100", &at).await;
    let list = r.items();
    // n8n's getChannels loader label: "{team_display_name} - {display_name} (public|private)".
    let labels: Vec<String> = list
        .iter()
        .map(|c| {
            format!(
                "{} - {} ({})",
                c["team_display_name"].as_str().unwrap(),
                c["display_name"].as_str().unwrap(),
                if c["type"] == "O" {
                    "public"
                } else {
                    "private"
                }
            )
        })
        .collect();
    assert_eq!(
        labels,
        vec![
            "Team One - D secret (private)",
            "Team One - Off-Topic (public)",
            "Team One - Town Square (public)"
        ]
    );
    assert_eq!(list[0]["team_name"], "team-one");
    assert_eq!(
        ts.get("/api/v4/channels?page=1&per_page=100", &at)
            .await
            .body,
        json!([])
    );
    assert_eq!(
        ts.get("/api/v4/channels?page=1&per_page=2", &at)
            .await
            .items()
            .len(),
        1
    );
}

#[tokio::test]
async fn read_rules_for_public_and_private_channels() {
    let ts = TestServer::start().await;
    let (at, tid, _bob, bt) = setup(&ts).await;
    let (carol, ct) = ts.user(&at, "carol").await;
    let p = channel(&ts, &at, &tid, "secret", "P").await;
    let o = channel(&ts, &at, &tid, "open", "O").await;
    let pid = p["id"].as_str().unwrap();
    let oid = o["id"].as_str().unwrap();
    // A team member reads a public channel without joining it, not a private one.
    assert_eq!(
        ts.get(&format!("/api/v4/channels/{oid}"), &bt).await.status,
        200
    );
    expect_errors!(ts;
        get(&format!("/api/v4/channels/{pid}"), &bt) => 403, "api.context.permissions.app_error";
        // Outside the team, not even the public one.
        get(&format!("/api/v4/channels/{oid}"), &ct) => 403, "api.context.permissions.app_error";
        get("/api/v4/channels/nosuchchannel0000000000000", &at)
            => 404, "app.channel.get.existing.app_error";
        get("/api/v4/channels/short", &at) => 400, "api.context.invalid_url_param.app_error";
    );
    // By name: unreadable looks missing.
    let r = ts.channel_by_name(&bt, &tid, "open").await;
    assert_eq!(r.body["id"], oid);
    expect_errors!(ts;
        get(&format!("/api/v4/teams/{tid}/channels/name/secret"), &bt)
            => 404, "app.channel.get_by_name.missing.app_error";
        get(&format!("/api/v4/teams/{tid}/channels/name/Nope!"), &bt)
            => 400, "api.context.invalid_url_param.app_error";
        // Members list needs read_channel: members only.
        get(&format!("/api/v4/channels/{oid}/members"), &bt)
            => 403, "api.context.permissions.app_error";
    );
    let _ = carol;
}

#[tokio::test]
async fn archive_and_restore_as_n8n_sends_them() {
    let ts = TestServer::start().await;
    let (at, tid, _bob, bt) = setup(&ts).await;
    let c = channel(&ts, &bt, &tid, "doomed", "O").await;
    let cid = c["id"].as_str().unwrap();
    let r = ts.delete(&format!("/api/v4/channels/{cid}"), &bt).await;
    assert_eq!(r.body, json!({"status": "OK"}));
    let got = ts.get(&format!("/api/v4/channels/{cid}"), &bt).await;
    assert_ne!(got.body["delete_at"], 0);
    ts.delete(&format!("/api/v4/channels/{cid}"), &bt)
        .await
        .assert_err(400, "api.channel.delete_channel.deleted.app_error");
    let town = ts.channel_by_name(&at, &tid, "town-square").await;
    expect_errors!(ts;
        delete(&format!("/api/v4/channels/{}", town.body["id"].as_str().unwrap()), &at)
            => 400, "api.channel.delete_channel.cannot.app_error";
    );
    // Archived channels leave the lists unless asked for.
    let all = ts.get("/api/v4/channels", &at).await;
    assert!(!all.items().iter().any(|x| x["id"] == cid));
    let all = ts.get("/api/v4/channels?include_deleted=true", &at).await;
    assert!(all.items().iter().any(|x| x["id"] == cid));
    // Restore needs manage_team (bob is only a team user); n8n sends no body.
    empty_post(&ts, &format!("/api/v4/channels/{cid}/restore"), &bt)
        .await
        .assert_err(403, "api.context.permissions.app_error");
    let r = empty_post(&ts, &format!("/api/v4/channels/{cid}/restore"), &at).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["delete_at"], 0);
    assert_eq!(r.body["id"], cid);
    empty_post(&ts, &format!("/api/v4/channels/{cid}/restore"), &at)
        .await
        .assert_err(400, "api.channel.restore_channel.restored.app_error");
    let posts = ts.get(&format!("/api/v4/channels/{cid}/posts"), &at).await;
    let types: Vec<&str> = posts.body["order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| {
            posts.body["posts"][id.as_str().unwrap()]["type"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(
        types,
        vec![
            "system_channel_restored",
            "system_channel_deleted",
            "system_join_channel"
        ]
    );
}

#[tokio::test]
async fn members_add_list_stats_as_n8n() {
    let ts = TestServer::start().await;
    let (at, tid, bob, bt) = setup(&ts).await;
    let (carol, ct) = ts.user(&at, "carol").await;
    let o = channel(&ts, &at, &tid, "open", "O").await;
    let p = channel(&ts, &at, &tid, "secret", "P").await;
    let oid = o["id"].as_str().unwrap();
    let pid = p["id"].as_str().unwrap();
    let bid = bob["id"].as_str().unwrap();
    // Bob joins the public channel himself.
    let r = ts.add_channel_member(&bt, oid, &bid).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["channel_id"], oid);
    assert_eq!(r.body["roles"], "channel_user");
    // ... but not the private one; the admin adds him (n8n channel.addUser body).
    ts.add_channel_member(&bt, pid, &bid)
        .await
        .assert_err(403, "api.context.permissions.app_error");
    let r = ts.add_channel_member(&at, pid, &bid).await;
    assert_eq!(r.status, 201);
    // Carol is not on the team.
    expect_errors!(ts;
        post(&format!("/api/v4/channels/{oid}/members"), &at, json!({"user_id": carol["id"]}))
            => 404, "app.team.get_member.missing.app_error";
        post(&format!("/api/v4/channels/{oid}/members"), &at, json!({}))
            => 400, "api.context.invalid_body_param.app_error";
        post(&format!("/api/v4/channels/{oid}/members"), &at, json!({"user_id": "short"}))
            => 400, "api.context.invalid_body_param.app_error";
    );
    let _ = ct;
    // channel.members: per_page without page, then paged until [].
    let r = ts
        .get(&format!("/api/v4/channels/{oid}/members?per_page=1"), &bt)
        .await;
    assert_eq!(r.items().len(), 1);
    let mut ids = Vec::new();
    for page in 0..5 {
        let r = ts
            .get(
                &format!("/api/v4/channels/{oid}/members?page={page}&per_page=1"),
                &bt,
            )
            .await;
        let items = r.items().clone();
        if items.is_empty() {
            break;
        }
        ids.extend(
            items
                .into_iter()
                .map(|m| m["user_id"].as_str().unwrap().to_string()),
        );
    }
    assert_eq!(ids.len(), 2);
    // resolveData: POST users/ids with the same per_page query.
    let r = ts
        .post("/api/v4/users/ids?per_page=100", &bt, json!(ids))
        .await;
    assert_eq!(r.items().len(), 2);
    // Stats.
    let s = ts.get(&format!("/api/v4/channels/{oid}/stats"), &bt).await;
    assert_eq!(
        s.body,
        json!({"channel_id": oid, "member_count": 2, "guest_count": 0, "pinnedpost_count": 0, "files_count": 0})
    );
    expect_errors!(ts;
        get(&format!("/api/v4/channels/{pid}/stats"), &ts.user(&at, "dave").await.1)
            => 403, "api.context.permissions.app_error";
    );
    // A deactivated member no longer counts.
    ts.delete(&format!("/api/v4/users/{bid}"), &at)
        .await
        .assert_ok();
    let s = ts.get(&format!("/api/v4/channels/{oid}/stats"), &at).await;
    assert_eq!(s.body["member_count"], 1);
}

#[tokio::test]
async fn search_and_user_channel_lists() {
    let ts = TestServer::start().await;
    let (at, tid, bob, bt) = setup(&ts).await;
    channel(&ts, &at, &tid, "sales-leads", "O").await;
    channel(&ts, &at, &tid, "secret-sales", "P").await;
    // n8n channel.search body.
    let r = ts.search_channels(&bt, &tid, "sal").await;
    assert_eq!(r.status, 200);
    let names: Vec<&str> = r.strings("name");
    assert_eq!(names, vec!["sales-leads"]);
    // A term longer than any name matches nothing, even past SQLite's LIKE pattern limit.
    let r = ts
        .post(
            &format!("/api/v4/teams/{tid}/channels/search"),
            &bt,
            json!({"term": "s".repeat(60_000)}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.body.clone()), (200, json!([])));
    let r = ts.search_channels(&bt, &tid, "town").await;
    assert_eq!(r.body[0]["name"], "town-square");
    let (_, ct) = ts.user(&at, "carol").await;
    expect_errors!(ts;
        search_channels(&ct, &tid, "s")
            => 403, "api.context.permissions.app_error";
        post(&format!("/api/v4/teams/{tid}/channels/search"), &bt, json!([1]))
            => 400, "api.context.invalid_body_param.app_error";
    );
    // Public channels of the team.
    let r = ts
        .get(
            &format!("/api/v4/teams/{tid}/channels?page=0&per_page=100"),
            &bt,
        )
        .await;
    assert_eq!(r.items().len(), 3);
    // getChannelsInTeam loader: paged until [].
    let r = ts
        .get(
            &format!("/api/v4/users/me/teams/{tid}/channels?page=0&per_page=100"),
            &bt,
        )
        .await;
    assert_eq!(r.items().len(), 2);
    let r = ts
        .get(
            &format!("/api/v4/users/me/teams/{tid}/channels?page=1&per_page=100"),
            &bt,
        )
        .await;
    assert_eq!(r.body, json!([]));
    expect_errors!(ts;
        get(&format!("/api/v4/users/{}/teams/{tid}/channels", bob["id"].as_str().unwrap()), &ct)
            => 403, "api.context.permissions.app_error";
    );
    let r = ts.get("/api/v4/users/me/channels", &at).await;
    assert_eq!(r.items().len(), 4);
    expect_errors!(ts;
        get(&format!("/api/v4/users/{}/channels", bob["id"].as_str().unwrap()), &ct)
            => 403, "api.context.permissions.app_error";
    );
}

/// Missing `team_id` / `display_name`: upstream's `SetInvalidParamWithDetails`, the generic
/// body-parameter error naming the field, the specific text in `detailed_error` (shown in
/// developer mode).
#[tokio::test]
async fn create_channel_missing_fields_as_upstream() {
    let ts = TestServer::start_with_env(&[("MM_SERVICESETTINGS_ENABLEDEVELOPER", "true")]).await;
    let (_, at) = ts.admin().await;
    let t = ts.create_team(&at, "team-one", "T", "O").await;
    let tid = t.body["id"].as_str().unwrap();
    let r = ts
        .create_channel_with(&at, json!({"display_name": "X", "name": "x", "type": "O"}))
        .await;
    r.assert_err(400, "api.context.invalid_body_param.app_error");
    assert_eq!(
        r.body["message"],
        "Invalid or missing team_id in request body."
    );
    assert_eq!(r.body["detailed_error"], "Missing team_id in request body");
    let r = ts
        .create_channel_with(&at, json!({"team_id": tid, "name": "x", "type": "O"}))
        .await;
    r.assert_err(400, "api.context.invalid_body_param.app_error");
    assert_eq!(
        r.body["message"],
        "Invalid or missing display_name in request body."
    );
    assert_eq!(
        r.body["detailed_error"],
        "Missing display_name in request body"
    );
}

/// A member adding themselves to a private channel again needs no permission and gets the
/// existing membership (201), as upstream's `isSelfAdd && !isNewMembership`; adding a new
/// member still needs `manage_private_channel_members`.
#[tokio::test]
async fn self_add_to_private_channel_already_member() {
    let ts = TestServer::start().await;
    let (at, tid, bob, bt) = setup(&ts).await;
    let p = channel(&ts, &at, &tid, "secret", "P").await;
    let pid = p["id"].as_str().unwrap();
    ts.add_channel_member(&at, pid, &bob["id"])
        .await
        .assert_ok();
    // Private channel members may no longer manage members.
    let role = ts.get("/api/v4/roles/name/channel_user", &at).await;
    let perms: Vec<Value> = role.body["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| *p != "manage_private_channel_members")
        .cloned()
        .collect();
    ts.patch_role(&at, role.body["id"].as_str().unwrap(), json!(perms))
        .await
        .assert_ok();
    let before = ts
        .get(
            &format!(
                "/api/v4/channels/{pid}/members/{}",
                bob["id"].as_str().unwrap()
            ),
            &bt,
        )
        .await;
    let r = ts.add_channel_member(&bt, pid, &bob["id"]).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["user_id"], bob["id"]);
    assert_eq!(r.body["channel_id"], pid);
    assert_eq!(r.body["roles"], before.body["roles"]);
    // Adding someone else is still refused.
    let (carol, _) = ts.user(&at, "carol").await;
    ts.add_team_member(&at, &tid, &carol["id"])
        .await
        .assert_ok();
    ts.add_channel_member(&bt, pid, &carol["id"])
        .await
        .assert_err(403, "api.context.permissions.app_error");
}
