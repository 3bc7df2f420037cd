//! The user cache beside the sessions: `GET /users/me` is served without a database read, and
//! every change to a user's row through the server is seen on the very next request.

use crate::common::{SqlArg, TestServer};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_cached_user_is_served_without_a_read_and_every_change_is_seen_at_once() {
    let (s, _, admin) = TestServer::start_with_admin().await;
    let (u, token) = s.user(&admin, "dora").await;
    let uid = u["id"].as_str().unwrap().to_string();
    let me = s.get("/api/v4/users/me", &token).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);

    // Behind the server's back: the cached copy is what is served (no read per request).
    s.raw_execute(
        "UPDATE users SET nickname = $1 WHERE id = $2",
        &[SqlArg::Text("behind"), SqlArg::Text(&uid)],
    )
    .await;
    if crate::common::pg_base_url().is_none() {
        let me = s.get("/api/v4/users/me", &token).await;
        assert_eq!(me.body["nickname"], "", "served from the cache");
    } else {
        // On PostgreSQL the database itself announces every committed change to a user row
        // (trigger, migration 0008), so even a change behind the server's back is seen at once.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        loop {
            let me = s.get("/api/v4/users/me", &token).await;
            if me.body["nickname"] == "behind" {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "a change behind the server's back was not announced: {}",
                me.body
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    // Through the server: the very next request sees each change.
    let r = s
        .patch_user(&token, "me", json!({"nickname": "patched"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let me = s.get("/api/v4/users/me", &token).await;
    assert_eq!(me.body["nickname"], "patched");

    let r = s
        .set_roles(&admin, &uid, "system_user system_user_access_token")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let token = s.login("dora", "User-Passw0rd!").await;
    let me = s.get("/api/v4/users/me", &token).await;
    assert_eq!(me.body["roles"], "system_user system_user_access_token");

    assert_eq!(seen_by_admin(&s, &admin, &uid).await.body["delete_at"], 0);
    let r = s.set_active(&admin, &uid, false).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_ne!(seen_by_admin(&s, &admin, &uid).await.body["delete_at"], 0);
    assert_eq!(
        s.get("/api/v4/users/me", &token).await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = s.set_active(&admin, &uid, true).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(seen_by_admin(&s, &admin, &uid).await.body["delete_at"], 0);
}

async fn seen_by_admin(s: &TestServer, admin: &str, uid: &str) -> crate::common::Resp {
    s.get(&format!("/api/v4/users/{uid}"), admin).await
}
