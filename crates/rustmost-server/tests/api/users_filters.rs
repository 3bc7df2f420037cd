//! `GET /users` filters and sorts as n8n's user.getAll sends them (double slash, `sort=`,
//! paging until `[]`), n8n's user.create body, getById with a leading space, getByEmail.

use crate::common::{TestServer, expect_errors};
use serde_json::{Value, json};

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_string())
        .collect()
}

/// admin token, team id, channel id; bob in team and channel, carol in team only, dave in
/// neither.
async fn setup(ts: &TestServer) -> (String, String, String) {
    let (_, at) = ts.admin().await;
    let t = ts.create_team(&at, "team-one", "T", "O").await;
    let tid = t.id();
    let c = ts.create_channel(&at, &tid, "c", "C", "O").await;
    let cid = c.id();
    for n in ["bob", "carol", "dave"] {
        let (u, _) = ts.user(&at, n).await;
        if n != "dave" {
            ts.add_team_member(&at, &tid, &u["id"]).await.assert_ok();
        }
        if n == "bob" {
            ts.add_channel_member(&at, &cid, &u["id"]).await.assert_ok();
        }
    }
    (at, tid, cid)
}

#[tokio::test]
async fn filters_select_members() {
    let ts = TestServer::start().await;
    let (at, tid, cid) = setup(&ts).await;
    let r = ts
        .get(
            &format!("/api/v4//users?in_team={tid}&page=0&per_page=100"),
            &at,
        )
        .await;
    assert_eq!(names(&r.body), vec!["admin", "bob", "carol"]);
    let r = ts
        .get(&format!("/api/v4//users?not_in_team={tid}"), &at)
        .await;
    assert_eq!(names(&r.body), vec!["dave"]);
    let r = ts
        .get(&format!("/api/v4//users?in_channel={cid}"), &at)
        .await;
    assert_eq!(names(&r.body), vec!["admin", "bob"]);
    let r = ts
        .get(
            &format!("/api/v4//users?in_team={tid}&not_in_channel={cid}"),
            &at,
        )
        .await;
    assert_eq!(names(&r.body), vec!["carol"]);
    // n8n pages until an empty page.
    let r = ts
        .get(
            &format!("/api/v4//users?in_team={tid}&page=1&per_page=100"),
            &at,
        )
        .await;
    assert_eq!(r.body, json!([]));
    let r = ts
        .get(
            &format!("/api/v4//users?in_team={tid}&page=1&per_page=2"),
            &at,
        )
        .await;
    assert_eq!(names(&r.body), vec!["carol"]);
    // sort=username arrives as `sort=`.
    let r = ts
        .get(&format!("/api/v4//users?in_team={tid}&sort="), &at)
        .await;
    assert_eq!(names(&r.body), vec!["admin", "bob", "carol"]);
    let r = ts
        .get(&format!("/api/v4//users?in_team={tid}&sort=create_at"), &at)
        .await;
    assert_eq!(names(&r.body), vec!["carol", "bob", "admin"]);
    let r = ts
        .get(
            &format!("/api/v4//users?in_team={tid}&sort=last_activity_at"),
            &at,
        )
        .await;
    assert_eq!(r.status, 200);
    let r = ts
        .get(&format!("/api/v4//users?in_channel={cid}&sort=status"), &at)
        .await;
    assert_eq!(names(&r.body), vec!["admin", "bob"]);
    let r = ts
        .get(&format!("/api/v4//users?in_channel={cid}&sort=admin"), &at)
        .await;
    assert_eq!(names(&r.body), vec!["admin", "bob"]);
}

#[tokio::test]
async fn filter_errors_as_upstream() {
    let ts = TestServer::start().await;
    let (at, tid, cid) = setup(&ts).await;
    expect_errors!(ts;
        get(&format!("/api/v4/users?not_in_channel={cid}"), &at)
            => 400, "api.context.invalid_url_param.app_error";
        // n8n's createdAt becomes `created_at`, which Mattermost does not know.
        get(&format!("/api/v4/users?in_team={tid}&sort=created_at"), &at)
            => 400, "api.context.invalid_url_param.app_error";
        get("/api/v4/users?sort=create_at", &at) => 400, "api.context.invalid_url_param.app_error";
        get(&format!("/api/v4/users?in_team={tid}&sort=status"), &at)
            => 400, "api.context.invalid_url_param.app_error";
        get("/api/v4/users?active=true&inactive=true", &at)
            => 400, "api.context.invalid_url_param.app_error";
    );
    // Outsiders: view_team / read_channel.
    let dave = ts.login("dave", "User-Passw0rd!").await;
    expect_errors!(ts;
        get(&format!("/api/v4/users?in_team={tid}"), &dave)
            => 403, "api.context.permissions.app_error";
        get(&format!("/api/v4/users?in_channel={cid}"), &dave)
            => 403, "api.context.permissions.app_error";
    );
    let carol = ts.login("carol", "User-Passw0rd!").await;
    assert_eq!(
        ts.get(&format!("/api/v4/users?in_team={tid}"), &carol)
            .await
            .status,
        200
    );
    expect_errors!(ts;
        get(&format!("/api/v4/users?in_team={tid}&not_in_channel={cid}"), &carol)
            => 403, "api.context.permissions.app_error";
    );
}

#[tokio::test]
async fn n8n_user_operations() {
    let ts = TestServer::start().await;
    let (at, _tid, _cid) = setup(&ts).await;
    // user.create with n8n's extra keys and boolean notify_props.
    let body = json!({"auth_service":"email","username":"erin","first_name":"Erin","last_name":"E","locale":"en","nickname":"ee",
        "notificationUi":{"notificationValues":{"channel":true}},
        "notify_props":{"channel":true,"desktop":"mention","desktop_sound":false,"email":true,"first_name":true,"mention_keys":"erin,@erin","push":"all"},
        "email":"erin+n8n@example.com","password":"Passw0rd!x"});
    let r = ts.post("/api/v4/users", &at, body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["notify_props"]["channel"], "true");
    assert_eq!(r.body["notify_props"]["desktop_sound"], "false");
    let erin = r.id();
    // getByEmail with raw `+` and `@`.
    let r = ts
        .get("/api/v4/users/email/erin+n8n@example.com", &at)
        .await;
    assert_eq!(r.body["id"], erin.as_str());
    // getById: "a, b" split leaves a leading space; since filters by update time.
    let bob = ts.get("/api/v4/users/username/bob", &at).await.id();
    let r = ts
        .post("/api/v4/users/ids", &at, json!([erin, format!(" {bob}")]))
        .await;
    assert_eq!(names(&r.body), vec!["bob", "erin"]);
    let r = ts
        .post("/api/v4/users/ids?since=32503680000000", &at, json!([erin]))
        .await;
    assert_eq!(r.body, json!([]));
    // deactivate, then the getUsers loader skips delete_at != 0.
    ts.delete(&format!("/api/v4/users/{erin}"), &at)
        .await
        .assert_ok();
    let all = ts.get("/api/v4/users?page=0&per_page=100", &at).await;
    let erin_row = all
        .items()
        .iter()
        .find(|u| u["id"] == erin.as_str())
        .unwrap()
        .clone();
    assert_ne!(erin_row["delete_at"], 0);
}

/// Every filter needs its own permission: combining a filter the caller may use with one it
/// may not must not list the hidden members (private channel, other team).
#[tokio::test]
async fn every_filter_is_checked() {
    let ts = TestServer::start().await;
    let (at, tid, _cid) = setup(&ts).await;
    let uid = |n: &'static str| {
        let ts = &ts;
        let at = at.clone();
        async move {
            ts.get(&format!("/api/v4/users/username/{n}"), &at)
                .await
                .id()
        }
    };
    let (bob, carol, dave) = (uid("bob").await, uid("carol").await, uid("dave").await);
    let mk_channel = |name: &'static str, kind: &'static str, member: String| {
        let ts = &ts;
        let (at, tid) = (at.clone(), tid.clone());
        async move {
            let c = ts.create_channel(&at, &tid, name, name, kind).await;
            let id = c.id();
            ts.add_channel_member(&at, &id, &member).await.assert_ok();
            id
        }
    };
    let private = mk_channel("secret", "P", bob.clone()).await;
    let carols = mk_channel("carols", "O", carol.clone()).await;
    let t2 = ts.create_team(&at, "team-two", "T2", "I").await.id();
    ts.add_team_member(&at, &t2, &dave).await.assert_ok();
    let carol_t = ts.login("carol", "User-Passw0rd!").await;
    for q in [
        // in_team passes, the private channel does not.
        format!("in_team={tid}&in_channel={private}"),
        // not_in_team passes (carol sees her own team), the private channel does not.
        format!("not_in_team={tid}&in_channel={private}"),
        // not_in_channel passes, the other team does not.
        format!("in_team={t2}&not_in_channel={carols}"),
        // in_team passes, the other team does not.
        format!("in_team={tid}&not_in_team={t2}"),
    ] {
        let r = ts.get(&format!("/api/v4/users?{q}"), &carol_t).await;
        assert!(
            !r.text.contains(&bob) && !r.text.contains(&dave),
            "{q} leaked: {}",
            r.text
        );
        r.assert_err(403, "api.context.permissions.app_error");
    }
    // Filters the caller may all use still combine.
    let r = ts
        .get(
            &format!("/api/v4/users?in_team={tid}&in_channel={carols}"),
            &carol_t,
        )
        .await;
    assert_eq!(names(&r.body), vec!["admin", "carol"]);
    // The admin may use them all.
    let r = ts
        .get(
            &format!("/api/v4/users?in_team={tid}&in_channel={private}"),
            &at,
        )
        .await;
    assert_eq!(names(&r.body), vec!["admin", "bob"]);
}

#[tokio::test]
async fn total_users_stats_counts_active_users_and_bots_for_any_session() {
    let (ts, _, at) = TestServer::start_with_admin().await;
    let (_, ut) = ts.user(&at, "bob").await;
    let (gone, _) = ts.user(&at, "gone").await;
    ts.enable_bot_creation(&at).await;
    ts.create_bot(&at, "robot").await;
    let stats = |t: &str| {
        let ts = &ts;
        let t = t.to_string();
        async move {
            let r = ts.get("/api/v4/users/stats", &t).await;
            r.assert_ok();
            r.body
        }
    };
    // admin, bob, gone and the bot.
    assert_eq!(stats(&at).await, json!({"total_users_count": 4}));
    let del = ts
        .delete(
            &format!("/api/v4/users/{}", gone["id"].as_str().unwrap()),
            &at,
        )
        .await;
    del.assert_ok();
    // A deactivated user no longer counts, for an ordinary user as for the admin.
    assert_eq!(stats(&ut).await, json!({"total_users_count": 3}));
    assert_eq!(stats(&at).await, json!({"total_users_count": 3}));
    ts.get("/api/v4/users/stats", "")
        .await
        .assert_err(401, "api.context.session_expired.app_error");
}
