//! Teams and team members: creation with default channels, visibility, membership rules.

use crate::common::{SqlArg, TestServer, expect_errors};
use serde_json::{Value, json};

async fn team(ts: &TestServer, token: &str, name: &str, open: bool) -> Value {
    let r = ts
        .post(
            "/api/v4/teams",
            token,
            json!({"name": name, "display_name": format!("Team {name}"), "type": if open {"O"} else {"I"}, "allow_open_invite": open}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

#[tokio::test]
async fn create_team_makes_default_channels_and_creator_admin() {
    let (ts, admin, at) = TestServer::start_with_admin().await;
    let t = team(&ts, &at, "alpha", true).await;
    assert_eq!(t["name"], "alpha");
    assert_eq!(t["type"], "O");
    assert_eq!(t["email"], admin["email"]);
    assert_eq!(t["invite_id"].as_str().unwrap().len(), 26);
    assert_eq!(t["delete_at"], 0);
    let tid = t["id"].as_str().unwrap();

    let m = ts
        .get(&format!("/api/v4/teams/{tid}/members/me"), &at)
        .await;
    assert_eq!(m.status, 200, "{}", m.text);
    assert_eq!(m.body["roles"], "team_user team_admin");
    assert_eq!(m.body["scheme_admin"], true);

    let chans = ts
        .get(&format!("/api/v4/users/me/teams/{tid}/channels"), &at)
        .await;
    let names: Vec<&str> = chans.strings("name");
    assert_eq!(names, vec!["off-topic", "town-square"]);
    let ts_chan = ts.channel_by_name(&at, tid, "town-square").await;
    assert_eq!(ts_chan.body["display_name"], "Town Square");
    let posts = ts
        .get(
            &format!(
                "/api/v4/channels/{}/posts",
                ts_chan.body["id"].as_str().unwrap()
            ),
            &at,
        )
        .await;
    let first = &posts.body["posts"][posts.body["order"][0].as_str().unwrap()];
    assert_eq!(first["type"], "system_join_team");
    assert_eq!(first["message"], "admin joined the team.");
}

#[tokio::test]
async fn create_team_errors() {
    let (ts, _, at) = TestServer::start_with_admin().await;
    team(&ts, &at, "alpha", true).await;
    expect_errors!(ts;
        post("/api/v4/teams", &at, json!({"name": "alpha", "display_name": "A", "type": "O"}))
            => 400, "app.team.save.existing.app_error";
        post("/api/v4/teams", &at, json!({"name": "Bad Name", "display_name": "A", "type": "O"}))
            => 400, "model.team.is_valid.characters.app_error";
        post("/api/v4/teams", &at, json!({"name": "apiteam", "display_name": "A", "type": "O"}))
            => 400, "model.team.is_valid.reserved.app_error";
        post("/api/v4/teams", &at, json!({"name": "okname", "display_name": "", "type": "O"}))
            => 400, "model.team.is_valid.name.app_error";
        post("/api/v4/teams", &at, json!({"name": "okname", "display_name": "A", "type": "X"}))
            => 400, "model.team.is_valid.type.app_error";
        post("/api/v4/teams", &at, json!(["not", "a", "team"]))
            => 400, "api.context.invalid_body_param.app_error";
    );
    // Without create_team (removed from system_user) the upstream id answers.
    let (_, ut) = ts.user(&at, "bob").await;
    let role = ts.get("/api/v4/roles/name/system_user", &at).await.body;
    let perms: Vec<Value> = role["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| *p != "create_team")
        .cloned()
        .collect();
    let r = ts
        .patch_role(&at, role["id"].as_str().unwrap(), json!(perms))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    ts.create_team(&ut, "bobs", "B", "O")
        .await
        .assert_err(403, "api.team.is_team_creation_allowed.disabled.app_error");
}

#[tokio::test]
async fn team_visibility_and_listing() {
    let (ts, _, at) = TestServer::start_with_admin().await;
    let open = team(&ts, &at, "open", true).await;
    let closed = team(&ts, &at, "closed", false).await;
    let (_, ut) = ts.user(&at, "bob").await;
    // Open teams are visible to anyone, sanitized.
    let r = ts
        .get(
            &format!("/api/v4/teams/{}", open["id"].as_str().unwrap()),
            &ut,
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["email"], "");
    assert_eq!(r.body["invite_id"], "");
    expect_errors!(ts;
        get(&format!("/api/v4/teams/{}", closed["id"].as_str().unwrap()), &ut)
            => 403, "api.context.permissions.app_error";
        get("/api/v4/teams/nosuchteamid00000000000000", &at) => 404, "app.team.get.find.app_error";
        get("/api/v4/teams/bad", &at) => 400, "api.context.invalid_url_param.app_error";
    );
    // system_user lists open teams only; the admin sees both.
    let l = ts.get("/api/v4/teams", &ut).await;
    assert_eq!(l.items().len(), 1);
    assert_eq!(l.body[0]["name"], "open");
    let l = ts.get("/api/v4/teams?page=0&per_page=100", &at).await;
    assert_eq!(l.items().len(), 2);
    let l = ts.get("/api/v4/teams?page=1&per_page=100", &at).await;
    assert_eq!(l.body, json!([]));
    let r = ts.get("/api/v4/teams/name/open", &ut).await;
    assert_eq!(r.body["id"], open["id"]);
}

#[tokio::test]
async fn my_teams_pages_until_empty_as_n8n_needs() {
    let (ts, _, at) = TestServer::start_with_admin().await;
    for n in ["t1", "t2", "t3"] {
        team(&ts, &at, n, true).await;
    }
    let mut seen = Vec::new();
    for page in 0.. {
        let r = ts
            .get(
                &format!("/api/v4/users/me/teams?page={page}&per_page=2"),
                &at,
            )
            .await;
        assert_eq!(r.status, 200);
        let items = r.items().clone();
        if items.is_empty() {
            break;
        }
        seen.extend(
            items
                .into_iter()
                .map(|t| t["name"].as_str().unwrap().to_string()),
        );
        assert!(page < 5, "paging must end");
    }
    assert_eq!(seen, vec!["t1", "t2", "t3"]);
    // Without paging parameters the whole list, as Mattermost answers.
    assert_eq!(ts.get("/api/v4/users/me/teams", &at).await.items().len(), 3);
    let (bob, ut) = ts.user(&at, "bob").await;
    expect_errors!(ts;
        get(&format!("/api/v4/users/{}/teams", admin_id(&ts, &at).await), &ut)
            => 403, "api.context.permissions.app_error";
    );
    let r = ts
        .get(
            &format!("/api/v4/users/{}/teams", bob["id"].as_str().unwrap()),
            &at,
        )
        .await;
    assert_eq!(r.body, json!([]));
}

async fn admin_id(ts: &TestServer, at: &str) -> String {
    ts.get("/api/v4/users/me", at).await.id()
}

#[tokio::test]
async fn team_members_add_list_remove() {
    let (ts, _, at) = TestServer::start_with_admin().await;
    let t = team(&ts, &at, "alpha", false).await;
    let tid = t["id"].as_str().unwrap();
    let (bob, bt) = ts.user(&at, "bob").await;
    let (carol, ct) = ts.user(&at, "carol").await;
    let bid = bob["id"].as_str().unwrap();
    let cid = carol["id"].as_str().unwrap();

    // Bob is not a member: cannot see members, cannot add others.
    expect_errors!(ts;
        get(&format!("/api/v4/teams/{tid}/members"), &bt)
            => 403, "api.context.permissions.app_error";
        // Joining an invite-only team oneself needs join_private_teams.
        post(&format!("/api/v4/teams/{tid}/members"), &bt, json!({"team_id": tid, "user_id": bid}))
            => 403, "api.context.permissions.app_error";
        post(&format!("/api/v4/teams/{tid}/members"), &at, json!({"team_id": "x", "user_id": bid}))
            => 400, "api.context.invalid_body_param.app_error";
        post(&format!("/api/v4/teams/{tid}/members"), &at, json!({"team_id": tid, "user_id": "nope"}))
            => 400, "api.context.invalid_body_param.app_error";
        post(&format!("/api/v4/teams/{tid}/members"), &at, json!({"team_id": tid, "user_id": "zzzzzzzzzzzzzzzzzzzzzzzzzz"}))
            => 404, "app.user.missing_account.const";
    );

    let r = ts.add_team_member(&at, tid, &bid).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["roles"], "team_user");
    assert_eq!(r.body["scheme_admin"], false);
    // Bob, a team_user, may add carol (add_user_to_team) and list members.
    let r = ts.add_team_member(&bt, tid, &cid).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let l = ts
        .get(
            &format!("/api/v4/teams/{tid}/members?page=0&per_page=100"),
            &bt,
        )
        .await;
    assert_eq!(l.items().len(), 3);
    // Bob, not a team admin, may not remove carol; carol may leave.
    ts.delete(&format!("/api/v4/teams/{tid}/members/{cid}"), &bt)
        .await
        .assert_err(403, "api.context.permissions.app_error");
    let r = ts
        .delete(&format!("/api/v4/teams/{tid}/members/{cid}"), &ct)
        .await;
    assert_eq!(r.body, json!({"status": "OK"}));
    ts.delete(&format!("/api/v4/teams/{tid}/members/{cid}"), &ct)
        .await
        .assert_err(400, "api.team.remove_user_from_team.missing.app_error");
    let l = ts.get(&format!("/api/v4/teams/{tid}/members"), &at).await;
    assert_eq!(l.items().len(), 2);
    let gone = ts
        .get(&format!("/api/v4/teams/{tid}/members/{cid}"), &at)
        .await;
    assert_ne!(gone.body["delete_at"], 0);
    // Carol's channels in the team went with her membership.
    let chans = ts.get(&format!("/api/v4/users/{cid}/channels"), &at).await;
    assert_eq!(chans.body, json!([]));
    // The team admin removes bob.
    let r = ts
        .delete(&format!("/api/v4/teams/{tid}/members/{bid}"), &at)
        .await;
    assert_eq!(r.status, 200);
    expect_errors!(ts;
        get(&format!("/api/v4/teams/{tid}/members/nosuchuser00000000000000000"), &at)
            => 400, "api.context.invalid_url_param.app_error";
    );
}

/// `TeamMember.CreateAt` is stored but never serialized (upstream `json:"-"`), and a client
/// cannot set it.
#[tokio::test]
async fn team_member_json_has_no_create_at() {
    let (ts, _, at) = TestServer::start_with_admin().await;
    let t = team(&ts, &at, "alpha", true).await;
    let tid = t["id"].as_str().unwrap();
    let (bob, _) = ts.user(&at, "bob").await;
    let bid = bob["id"].as_str().unwrap();
    let r = ts
        .post(
            &format!("/api/v4/teams/{tid}/members"),
            &at,
            json!({"team_id": tid, "user_id": bid, "create_at": 5}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    let expected = vec![
        "delete_at",
        "explicit_roles",
        "roles",
        "scheme_admin",
        "scheme_guest",
        "scheme_user",
        "team_id",
        "user_id",
    ];
    assert_eq!(keys(&r.body), expected);
    let one = ts
        .get(&format!("/api/v4/teams/{tid}/members/{bid}"), &at)
        .await;
    assert_eq!(keys(&one.body), expected);
    let all = ts.get(&format!("/api/v4/teams/{tid}/members"), &at).await;
    for m in all.items() {
        assert_eq!(keys(m), expected);
    }
}

/// A permission check that cannot read the membership tables answers 500, not 403: an outage
/// must not look like "no permission" (nor "not a member").
#[tokio::test]
async fn a_store_failure_in_a_permission_check_is_a_500_not_a_403() {
    use crate::common::SqlArg;
    let (ts, _, at) = TestServer::start_with_admin().await;
    let (_, bt) = ts.user(&at, "bob").await;
    let t = team(&ts, &at, "closed", false).await;
    let tid = t["id"].as_str().unwrap();
    let c = ts.channel_by_name(&at, tid, "town-square").await;
    let cid = c.assert_ok()["id"].as_str().unwrap().to_owned();
    let channel = format!("/api/v4/channels/{cid}");
    let members = format!("/api/v4/teams/{tid}/members");
    // Bob is in neither: both are refusals while the store answers.
    expect_errors!(ts;
        get(&channel, &bt) => 403, "api.context.permissions.app_error";
        get(&members, &bt) => 403, "api.context.permissions.app_error";
    );

    let none: &[SqlArg] = &[];
    ts.raw_execute(
        "ALTER TABLE channel_members RENAME TO channel_members_gone",
        none,
    )
    .await;
    ts.get(&channel, &bt)
        .await
        .assert_err(500, "app.channel.get_member.app_error");
    ts.raw_execute(
        "ALTER TABLE channel_members_gone RENAME TO channel_members",
        none,
    )
    .await;
    ts.raw_execute("ALTER TABLE team_members RENAME TO team_members_gone", none)
        .await;
    ts.get(&members, &bt)
        .await
        .assert_err(500, "app.team.get_member.app_error");
    ts.raw_execute("ALTER TABLE team_members_gone RENAME TO team_members", none)
        .await;
    ts.get(&members, &bt)
        .await
        .assert_err(403, "api.context.permissions.app_error");
}

#[tokio::test]
async fn all_teams_with_total_count_counts_what_the_caller_may_list() {
    let (ts, _, at) = TestServer::start_with_admin().await;
    let (_, ut) = ts.user(&at, "bob").await;
    team(&ts, &at, "alpha", true).await;
    team(&ts, &at, "beta", false).await;
    let gamma = team(&ts, &at, "gamma", true).await;
    // Archived behind the server's back: Rustmost serves no team deletion.
    let sql = "UPDATE teams SET delete_at = 1 WHERE id = $1";
    let gid = gamma["id"].as_str().unwrap();
    assert_eq!(ts.raw_execute(sql, &[SqlArg::Text(gid)]).await, 1);

    // A page of one still tells the total of every page; an archived team is not counted.
    let r = ts
        .get("/api/v4/teams?include_total_count=true&per_page=1", &at)
        .await;
    r.assert_ok();
    assert_eq!(r.body["total_count"], 2, "{}", r.text);
    assert_eq!(r.body["teams"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["teams"][0]["name"], "alpha");

    // Without `list_private_teams`, only the open teams are listed and counted.
    let r = ts.get("/api/v4/teams?include_total_count=true", &ut).await;
    r.assert_ok();
    assert_eq!(r.body["total_count"], 1, "{}", r.text);
    assert_eq!(r.body["teams"][0]["name"], "alpha");

    // Without the flag the answer stays a bare list, as n8n reads it.
    let r = ts.get("/api/v4/teams?include_total_count=false", &at).await;
    assert!(r.assert_ok().is_array(), "{}", r.text);
    ts.get("/api/v4/teams?include_total_count=true", "")
        .await
        .assert_err(401, "api.context.session_expired.app_error");
}
