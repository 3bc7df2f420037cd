//! The read path made faster (issue 12) answers exactly what it answered before: `/users/me`
//! from the cached JSON of the user's own view, `GET /users` and `POST /users/ids` sanitized
//! once per list, and a channel's posts with their thread figures, roots, reactions and paging
//! cursors read in batches rather than post by post.

use crate::common::TestServer;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// `/users/me` is the same document the user is shown of themselves elsewhere (the answer to
/// their own patch), secrets and login data left out, and follows each change at once.
#[tokio::test]
async fn users_me_is_the_users_own_view_and_follows_every_change() {
    let s = TestServer::start().await;
    let (_, admin) = s.admin().await;
    let (u, token) = s.user(&admin, "erin").await;
    let uid = u["id"].as_str().unwrap();
    for round in 0..3 {
        let nick = format!("nick-{round}");
        let patched = s
            .put(
                "/api/v4/users/me/patch",
                &token,
                json!({"nickname": nick, "first_name": "Erin", "last_name": "Q"}),
            )
            .await;
        let patched = patched.assert_ok().clone();
        // Twice: the first fills the cache, the second is served from it.
        for _ in 0..2 {
            let me = s.get("/api/v4/users/me", &token).await;
            assert_eq!(me.status, StatusCode::OK, "{}", me.text);
            assert_eq!(me.headers["content-type"], "application/json");
            assert_eq!(me.body, patched, "round {round}");
            assert_eq!(me.body["nickname"], nick.as_str());
            let by_id = s.get(&format!("/api/v4/users/{uid}"), &token).await;
            assert_eq!(by_id.body, me.body);
        }
        let me = s.get("/api/v4/users/me", &token).await.body;
        assert_eq!(me["auth_data"], "");
        for hidden in ["password", "mfa_secret", "last_login"] {
            assert!(me.get(hidden).is_none(), "{hidden} shown: {me}");
        }
        assert_eq!(me["email"], "erin@example.com");
        assert!(me.get("notify_props").is_some());
    }
    // Seen by the admin, the same user is sanitized as another's profile (not the own view).
    let seen = s.get(&format!("/api/v4/users/{uid}"), &admin).await.body;
    assert!(seen.get("last_password_update").is_none(), "{seen}");
    assert_eq!(seen["email"], "erin@example.com");
}

/// What a non-admin, an admin and the user themselves see of users in `GET /users` and `POST
/// /users/ids`: the per-user rules, now settled once per list, give what each single-user read
/// gives.
#[tokio::test]
async fn user_lists_are_sanitized_per_viewer_as_single_reads_are() {
    let s = TestServer::start().await;
    let (admin_user, admin) = s.admin().await;
    let (fay, fay_token) = s.user(&admin, "fay").await;
    let (gus, _) = s.user(&admin, "gus").await;
    for (id, first) in [(&fay["id"], "Fay"), (&gus["id"], "Gus")] {
        s.put(
            &format!("/api/v4/users/{}/patch", id.as_str().unwrap()),
            &admin,
            json!({"first_name": first, "last_name": "L"}),
        )
        .await
        .assert_ok();
    }
    s.patch_config(
        &admin,
        json!({"PrivacySettings": {"ShowEmailAddress": false, "ShowFullName": false}}),
    )
    .await;
    let ids = json!([admin_user["id"], fay["id"], gus["id"]]);
    for (viewer, token) in [("fay", &fay_token), ("admin", &admin)] {
        let page = s.get("/api/v4/users?page=0&per_page=200", token).await;
        let page = page.assert_ok().as_array().unwrap().clone();
        let by_ids = s.post("/api/v4/users/ids", token, ids.clone()).await;
        let by_ids = by_ids.assert_ok().as_array().unwrap().clone();
        assert_eq!(page.len(), 3);
        assert_eq!(by_ids, page, "same users, same order (username)");
        for u in &page {
            let id = u["id"].as_str().unwrap();
            let single = s.get(&format!("/api/v4/users/{id}"), token).await;
            assert_eq!(&single.body, u, "{viewer} sees {id} alike in a list");
            assert_eq!(u["auth_data"], "");
            for hidden in ["password", "mfa_secret", "last_login"] {
                assert!(u.get(hidden).is_none(), "{hidden} shown to {viewer}: {u}");
            }
            let own = u["username"] == viewer;
            if own {
                assert!(u["email"].as_str().unwrap().ends_with("@example.com"));
                assert!(u.get("notify_props").is_some());
                continue;
            }
            assert!(u.get("last_password_update").is_none(), "{u}");
            assert!(u.get("email_verified").is_none(), "{u}");
            if viewer == "admin" {
                assert!(u["email"].as_str().unwrap().ends_with("@example.com"));
                assert!(u.get("notify_props").is_some());
                if u["username"] != "admin" {
                    assert_eq!(u["last_name"], "L");
                }
            } else {
                assert_eq!(u["email"], "", "{u}");
                assert_eq!(u["first_name"], "", "{u}");
                assert_eq!(u["last_name"], "", "{u}");
                assert_eq!(u["auth_service"], "", "{u}");
                assert!(u.get("notify_props").is_none(), "{u}");
            }
        }
    }
}

/// A channel whose posts have threads (replies on and off the page, a deleted reply), reactions
/// and enough posts for three pages.
async fn threaded_channel(s: &TestServer, token: &str) -> (String, Vec<String>) {
    let team = s
        .post(
            "/api/v4/teams",
            token,
            json!({"name": "reads", "display_name": "Reads", "type": "O"}),
        )
        .await;
    let tid = team.assert_ok()["id"].as_str().unwrap().to_string();
    let c = s
        .post(
            "/api/v4/channels",
            token,
            json!({"team_id": tid, "display_name": "Reads", "name": "reads", "type": "O"}),
        )
        .await;
    let cid = c.assert_ok()["id"].as_str().unwrap().to_string();
    let mut ids = Vec::new();
    let post = |message: String, root: Option<String>| {
        let mut body = json!({"channel_id": cid, "message": message});
        if let Some(r) = root {
            body["root_id"] = json!(r);
        }
        body
    };
    // Oldest first: root A, root B, 3 replies to A (one deleted later), a reply to B, more roots.
    let create = async |body: Value| {
        let r = s.post("/api/v4/posts", token, body).await;
        let id = r.assert_ok()["id"].as_str().unwrap().to_string();
        // Distinct create_at, so the order does not rest on the id tiebreak alone.
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
        id
    };
    let a = create(post("root A".into(), None)).await;
    let b = create(post("root B".into(), None)).await;
    ids.push(a.clone());
    ids.push(b.clone());
    for i in 0..3 {
        ids.push(create(post(format!("reply A{i}"), Some(a.clone()))).await);
    }
    ids.push(create(post("reply B0".into(), Some(b.clone()))).await);
    for i in 0..4 {
        ids.push(create(post(format!("root {i}"), None)).await);
    }
    let gone = ids[3].clone();
    s.delete(&format!("/api/v4/posts/{gone}"), token)
        .await
        .assert_ok();
    ids.retain(|i| *i != gone);
    let me = s.get("/api/v4/users/me", token).await.body["id"].clone();
    for (post_id, emoji) in [(&a, "smile"), (&a, "tada"), (&ids[4], "+1")] {
        s.post(
            "/api/v4/reactions",
            token,
            json!({"user_id": me, "post_id": post_id, "emoji_name": emoji}),
        )
        .await
        .assert_ok();
    }
    (cid, ids)
}

/// Every page of a channel's posts: the order, each post as the single-post read shows it (its
/// thread's reply count and last reply time, its reactions), the roots of replies whose root is
/// on another page, and the paging cursors, which name the posts either side of the page.
#[tokio::test]
async fn channel_post_pages_match_single_reads_and_their_neighbours() {
    let s = TestServer::start().await;
    let (_, admin) = s.admin().await;
    let (cid, _) = threaded_channel(&s, &admin).await;
    let all = s
        .get(
            &format!("/api/v4/channels/{cid}/posts?per_page=200"),
            &admin,
        )
        .await;
    let all = all.assert_ok().clone();
    let order: Vec<String> = all["order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(order.len(), 10, "the join message and 9 live posts: {all}");
    assert_eq!(all["next_post_id"], "");
    assert_eq!(all["prev_post_id"], "");
    let root_a = order
        .iter()
        .find(|id| all["posts"][id.as_str()]["message"] == "root A")
        .unwrap();
    let a = &all["posts"][root_a.as_str()];
    assert_eq!(a["reply_count"], 2, "the deleted reply is not counted: {a}");
    let last_a = order
        .iter()
        .map(|id| &all["posts"][id.as_str()])
        .filter(|p| p["root_id"] == root_a.as_str())
        .map(|p| p["create_at"].as_i64().unwrap())
        .max()
        .unwrap();
    assert_eq!(a["last_reply_at"], last_a);
    let reactions = a["metadata"]["reactions"].as_array().unwrap();
    assert_eq!(reactions.len(), 2, "{a}");
    assert_eq!(reactions[0]["emoji_name"], "smile");

    for per_page in [2usize, 3, 4] {
        for page in 0..=(order.len() / per_page + 1) {
            let r = s
                .get(
                    &format!("/api/v4/channels/{cid}/posts?page={page}&per_page={per_page}"),
                    &admin,
                )
                .await;
            let list = r.assert_ok();
            let from = (page * per_page).min(order.len());
            let to = (from + per_page).min(order.len());
            let want: Vec<&str> = order[from..to].iter().map(String::as_str).collect();
            let got: Vec<&str> = list["order"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            assert_eq!(got, want, "page {page} of {per_page}");
            // The post just before the page's first place, even when the page is past the end.
            let first = page * per_page;
            let next = if page > 0 && first >= 1 && first - 1 < order.len() {
                order[first - 1].as_str()
            } else {
                ""
            };
            let prev = if to - from == per_page && to < order.len() {
                order[to].as_str()
            } else {
                ""
            };
            assert_eq!(list["next_post_id"], next, "page {page} of {per_page}");
            assert_eq!(list["prev_post_id"], prev, "page {page} of {per_page}");
            let posts = list["posts"].as_object().unwrap();
            for id in &want {
                let root = posts[*id]["root_id"].as_str().unwrap();
                if !root.is_empty() {
                    assert!(posts.contains_key(root), "the root of {id} is included");
                }
            }
            let mut expected_keys: Vec<&str> = want.clone();
            for id in &want {
                let root = posts[*id]["root_id"].as_str().unwrap();
                if !root.is_empty() && !expected_keys.contains(&root) {
                    expected_keys.push(root);
                }
            }
            assert_eq!(posts.len(), expected_keys.len(), "no other posts");
            for (id, p) in posts {
                let single = s.get(&format!("/api/v4/posts/{id}"), &admin).await;
                assert_eq!(p, single.assert_ok(), "{id} as the single read shows it");
            }
        }
    }

    // `since`: every change since then, with the same thread figures.
    let since = all["posts"][order[order.len() - 1].as_str()]["create_at"]
        .as_i64()
        .unwrap();
    let changed = s
        .get(
            &format!("/api/v4/channels/{cid}/posts?since={since}"),
            &admin,
        )
        .await;
    let changed = changed.assert_ok();
    // Every live post of the page newer than the oldest one changed since then: the loop below
    // must have them to compare.
    let live = changed["posts"]
        .as_object()
        .unwrap()
        .values()
        .filter(|p| p["delete_at"] == 0)
        .count();
    assert!(
        order.len() > 1 && live >= order.len() - 1,
        "{live} since {since}"
    );
    for (id, p) in changed["posts"].as_object().unwrap() {
        if p["delete_at"] != 0 {
            continue;
        }
        let single = s.get(&format!("/api/v4/posts/{id}"), &admin).await;
        assert_eq!(p, single.assert_ok(), "{id} since {since}");
    }
}

/// A thread read (`GET /posts/{id}/thread`) carries the same figures as the single-post read.
#[tokio::test]
async fn a_thread_matches_its_single_post_reads() {
    let s = TestServer::start().await;
    let (_, admin) = s.admin().await;
    let (_, ids) = threaded_channel(&s, &admin).await;
    let thread = s
        .get(&format!("/api/v4/posts/{}/thread", ids[0]), &admin)
        .await;
    let thread = thread.assert_ok();
    let posts = thread["posts"].as_object().unwrap();
    assert_eq!(posts.len(), 3, "root A and its two live replies: {thread}");
    for (id, p) in posts {
        let single = s.get(&format!("/api/v4/posts/{id}"), &admin).await;
        assert_eq!(p, single.assert_ok(), "{id}");
        assert_eq!(p["reply_count"], 2);
    }
}
