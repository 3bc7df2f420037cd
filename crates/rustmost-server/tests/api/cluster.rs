//! Two nodes on one PostgreSQL database: a change made through node A reaches node B's caches
//! (sessions, access-token sessions, roles) within the invalidation window. PostgreSQL only;
//! on SQLite each test says why it is skipped.

use crate::common::TestServer;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// How long a change may take to reach another node (notifications are asynchronous); the
/// documented window. In practice it is a few milliseconds.
const WINDOW: Duration = Duration::from_secs(2);

/// Node A (with the database) and node B on the same database, or `None` on SQLite.
async fn two_nodes(test: &str) -> Option<(TestServer, TestServer)> {
    let a = TestServer::start().await;
    let Some(b) = a.start_peer().await else {
        eprintln!(
            "{test}: skipped, needs RUSTMOST_TEST_DATASOURCE=postgres://… (one SQLite file serves one node)"
        );
        return None;
    };
    Some((a, b))
}

/// Polls `node` until `method path` answers `want`, for at most [`WINDOW`].
async fn answers_within_window(
    node: &TestServer,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
    want: StatusCode,
) {
    let start = Instant::now();
    loop {
        let r = node
            .req(method.clone(), path, Some(token), body.clone())
            .await;
        if r.status == want {
            return;
        }
        assert!(
            start.elapsed() < WINDOW,
            "{method} {path} still answers {} after {WINDOW:?}: {}",
            r.status,
            r.body
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The secret works on both nodes now, so each has it cached.
async fn works_on_both(a: &TestServer, b: &TestServer, secret: &str) {
    for n in [a, b] {
        let r = n.get("/api/v4/users/me", secret).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        // Twice: the second is served from the node's cache.
        let r = n.get("/api/v4/users/me", secret).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
}

/// Logs `session` out on A; B refuses it within the window.
async fn logout_is_refused_on(a: &TestServer, b: &TestServer, session: &str) {
    let r = a
        .req(Method::POST, "/api/v4/users/logout", Some(session), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    refused_on(b, session).await;
}

/// Deletes the user's sessions behind the servers' backs: no notification is sent.
async fn delete_sessions_unannounced(node: &TestServer, user_id: &str) {
    node.raw_execute(
        "DELETE FROM sessions WHERE user_id = $1",
        &[crate::common::SqlArg::Text(user_id)],
    )
    .await;
}

/// Polls `ready` until it holds, for at most ten seconds.
async fn within_ten_seconds(what: &str, mut ready: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while !ready().await {
        assert!(start.elapsed() < Duration::from_secs(10), "{what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn refused_on(node: &TestServer, secret: &str) {
    answers_within_window(
        node,
        Method::GET,
        "/api/v4/users/me",
        secret,
        None,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

/// Admin token, and a user allowed to hold tokens on both nodes (config is per node, so token
/// support is switched on on each): (admin token, user id).
async fn token_setup(a: &TestServer, b: &TestServer) -> (String, String) {
    let (_, admin) = a.admin().await;
    a.set_tokens_enabled(&admin, true).await;
    b.set_tokens_enabled(&admin, true).await;
    let (u, _) = a.user(&admin, "alice").await;
    let uid = u["id"].as_str().unwrap().to_string();
    a.grant_token_role(&admin, &uid).await;
    (admin, uid)
}

#[tokio::test]
async fn a_token_revoked_disabled_or_rotated_on_one_node_is_refused_on_the_other() {
    let Some((a, b)) = two_nodes("token revoke/disable/rotate").await else {
        return;
    };
    let (admin, uid) = token_setup(&a, &b).await;
    for action in ["revoke", "disable", "rotate"] {
        let (t, secret) = a.create_token(&admin, &uid, action).await;
        works_on_both(&a, &b, &secret).await;
        let r = a
            .token_action(&admin, action, t["id"].as_str().unwrap())
            .await;
        assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.body);
        refused_on(&b, &secret).await;
        refused_on(&a, &secret).await;
        if action == "rotate" {
            let new = r.body["token"].as_str().unwrap();
            works_on_both(&a, &b, new).await;
        }
    }
}

#[tokio::test]
async fn deactivating_a_user_on_one_node_ends_their_sessions_and_tokens_on_the_other() {
    let Some((a, b)) = two_nodes("user deactivation").await else {
        return;
    };
    let (admin, uid) = token_setup(&a, &b).await;
    let (_, secret) = a.create_token(&admin, &uid, "t").await;
    let session = a.login("alice", "User-Passw0rd!").await;
    works_on_both(&a, &b, &secret).await;
    works_on_both(&a, &b, &session).await;
    let r = a.set_active(&admin, &uid, false).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    refused_on(&b, &secret).await;
    refused_on(&b, &session).await;
}

#[tokio::test]
async fn a_session_revoked_or_logged_out_on_one_node_is_refused_on_the_other() {
    let Some((a, b)) = two_nodes("session revoke").await else {
        return;
    };
    let (_, admin) = a.admin().await;
    let (u, first) = a.user(&admin, "bob").await;
    let uid = u["id"].as_str().unwrap();
    works_on_both(&a, &b, &first).await;
    let sessions = a
        .get(&format!("/api/v4/users/{uid}/sessions"), &admin)
        .await;
    assert_eq!(sessions.status, StatusCode::OK);
    let sid = sessions.body[0]["id"].as_str().unwrap();
    let r = a
        .post(
            &format!("/api/v4/users/{uid}/sessions/revoke"),
            &admin,
            json!({"session_id": sid}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    refused_on(&b, &first).await;

    let second = a.login("bob", "User-Passw0rd!").await;
    works_on_both(&a, &b, &second).await;
    logout_is_refused_on(&a, &b, &second).await;

    let third = a.login("bob", "User-Passw0rd!").await;
    works_on_both(&a, &b, &third).await;
    let r = a
        .post("/api/v4/users/sessions/revoke/all", &admin, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    refused_on(&b, &third).await;
    refused_on(&b, &admin).await;
}

#[tokio::test]
async fn a_demotion_on_one_node_is_seen_by_the_other() {
    let Some((a, b)) = two_nodes("role change of a user").await else {
        return;
    };
    let (_, admin) = a.admin().await;
    let (u, token) = a.user(&admin, "carol").await;
    let uid = u["id"].as_str().unwrap();
    let set_roles = |roles: &'static str| {
        let (a, admin) = (&a, &admin);
        async move {
            let r = a.set_roles(admin, uid, roles).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        }
    };
    works_on_both(&a, &b, &token).await;
    set_roles("system_user system_admin").await;
    // The promotion reaches B's cached session too.
    answers_within_window(
        &b,
        Method::GET,
        "/api/v4/config",
        &token,
        None,
        StatusCode::OK,
    )
    .await;
    set_roles("system_user").await;
    answers_within_window(
        &b,
        Method::GET,
        "/api/v4/config",
        &token,
        None,
        StatusCode::FORBIDDEN,
    )
    .await;
}

#[tokio::test]
async fn a_role_permission_patch_on_one_node_is_seen_by_the_other() {
    let Some((a, b)) = two_nodes("role permission patch").await else {
        return;
    };
    let (admin, uid) = token_setup(&a, &b).await;
    let alice = a.login("alice", "User-Passw0rd!").await;
    let tokens = format!("/api/v4/users/{uid}/tokens");
    let r = b
        .post(&tokens, &alice, json!({"description": "before"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let role = a
        .get("/api/v4/roles/name/system_user_access_token", &admin)
        .await;
    assert_eq!(role.status, StatusCode::OK);
    let id = role.body["id"].as_str().unwrap();
    let perms = role.body["permissions"].clone();
    let patch = |permissions: Value| {
        let (a, admin) = (&a, &admin);
        async move {
            let r = a.patch_role(admin, id, json!(permissions)).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        }
    };
    patch(json!([])).await;
    answers_within_window(
        &b,
        Method::POST,
        &tokens,
        &alice,
        Some(json!({"description": "after"})),
        StatusCode::FORBIDDEN,
    )
    .await;
    patch(perms).await;
    answers_within_window(
        &b,
        Method::POST,
        &tokens,
        &alice,
        Some(json!({"description": "restored"})),
        StatusCode::OK,
    )
    .await;
}

#[tokio::test]
async fn a_node_that_lost_its_listener_serves_no_stale_session_and_recovers() {
    let Some((a, b)) = two_nodes("listener reconnect").await else {
        return;
    };
    let (_, admin) = a.admin().await;
    let (u, token) = a.user(&admin, "dave").await;
    let uid = u["id"].as_str().unwrap();
    works_on_both(&a, &b, &token).await;
    // Both nodes' LISTEN connections die; a change made meanwhile sends no notification
    // (it is written behind the servers' backs), yet B must not keep honouring the session.
    let killed = a
        .raw_execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND application_name = 'rustmost_cache_listener' \
             AND pid <> pg_backend_pid()",
            &[],
        )
        .await;
    assert_eq!(killed, 2, "one listener per node");
    delete_sessions_unannounced(&a, uid).await;
    refused_on(&b, &token).await;
    within_ten_seconds("listeners not back", async || listeners(&a).await >= 2).await;
    // Back to normal: a later revocation still reaches B through the new connection.
    let again = a.login("dave", "User-Passw0rd!").await;
    works_on_both(&a, &b, &again).await;
    logout_is_refused_on(&a, &b, &again).await;
}

/// How many connections listen on the test database.
async fn listeners(node: &TestServer) -> u64 {
    node.raw_execute(
        "SELECT pid FROM pg_stat_activity \
         WHERE datname = current_database() AND application_name = 'rustmost_cache_listener'",
        &[],
    )
    .await
}

/// Sends `payload` on the invalidation channel behind the servers' backs, as any account that
/// can connect to the database could.
async fn forge_notify(node: &TestServer, payload: Value) {
    node.raw_execute(
        "SELECT pg_notify('rustmost_cache', $1)",
        &[crate::common::SqlArg::Text(&payload.to_string())],
    )
    .await;
}

/// Waits until B has applied every notification sent so far: they are applied in order, so
/// once `marker` (a session cached on both nodes) logged out on A is refused on B, everything
/// sent before the logout has been handled.
async fn b_caught_up(a: &TestServer, b: &TestServer, marker: &str) {
    logout_is_refused_on(a, b, marker).await;
}

#[tokio::test]
async fn a_forged_notification_grants_nothing_and_a_genuine_role_change_still_propagates() {
    let Some((a, b)) = two_nodes("forged notification").await else {
        return;
    };
    let (_, admin) = a.admin().await;
    let (u, token) = a.user(&admin, "mallory").await;
    let uid = u["id"].as_str().unwrap();
    forge_notify(
        &a,
        json!({"node": "forger", "kind": "role", "key": "system_user",
        "permissions": ["manage_system"]}),
    )
    .await;
    // Every kind the listener knows, each claiming admin roles for the user, one at a time
    // with the user's session cached on B beforehand.
    for (i, kind) in [
        "user",
        "role",
        "session_hash",
        "session_ids",
        "all_sessions",
        "user_roles",
    ]
    .into_iter()
    .enumerate()
    {
        let (_, marker) = a.user(&admin, &format!("marker{i}")).await;
        works_on_both(&a, &b, &marker).await;
        works_on_both(&a, &b, &token).await;
        forge_notify(
            &a,
            json!({"node": "forger", "kind": kind, "key": uid, "keys": [uid],
                   "roles": "system_user system_admin",
                   "permissions": ["manage_system"]}),
        )
        .await;
        b_caught_up(&a, &b, &marker).await;
        let r = b.get("/api/v4/config", &token).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{kind}: {}", r.body);
    }
    for _ in 0..3 {
        let r = b.get("/api/v4/config", &token).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    }
    let r = b.get("/api/v4/users/me", &token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["roles"], "system_user");

    // A genuine promotion still reaches B's cached session, and so does the demotion.
    for (roles, want) in [
        ("system_user system_admin", StatusCode::OK),
        ("system_user", StatusCode::FORBIDDEN),
    ] {
        let r = a.set_roles(&admin, uid, roles).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        answers_within_window(&b, Method::GET, "/api/v4/config", &token, None, want).await;
    }
}

#[tokio::test]
async fn a_role_change_whose_notification_was_lost_is_seen_within_the_role_max_age() {
    let Some((a, b)) = two_nodes("role cache max age").await else {
        return;
    };
    b.state.set_cluster_timings(
        rustmost_server::cluster::Timings::default(),
        Duration::from_millis(300),
    );
    let (_, uid) = token_setup(&a, &b).await;
    let alice = a.login("alice", "User-Passw0rd!").await;
    let tokens = format!("/api/v4/users/{uid}/tokens");
    let r = b
        .post(&tokens, &alice, json!({"description": "before"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Written behind the servers' backs: no notification is ever sent.
    let n = a
        .raw_execute(
            "UPDATE roles SET permissions = '[]' WHERE name = 'system_user_access_token'",
            &[],
        )
        .await;
    assert_eq!(n, 1);
    answers_within_window(
        &b,
        Method::POST,
        &tokens,
        &alice,
        Some(json!({"description": "after"})),
        StatusCode::FORBIDDEN,
    )
    .await;
}

/// The backend pids of the connections listening on the test database.
async fn listener_pids(node: &TestServer) -> Vec<i32> {
    let pool = sqlx::PgPool::connect(node.pg_url.as_ref().unwrap())
        .await
        .unwrap();
    let pids = sqlx::query_scalar(
        "SELECT pid FROM pg_stat_activity \
         WHERE datname = current_database() AND application_name = 'rustmost_cache_listener'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    pids
}

fn signal(sig: &str, pids: &[i32]) -> bool {
    pids.iter().all(|p| {
        std::process::Command::new("kill")
            .args([sig, &p.to_string()])
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Backends stopped with SIGSTOP; resumed on drop.
struct Frozen(Vec<i32>);

impl Drop for Frozen {
    fn drop(&mut self) {
        signal("-CONT", &self.0);
    }
}

#[tokio::test]
async fn a_hung_listener_connection_is_noticed_and_replaced() {
    let Some((a, b)) = two_nodes("hung listener").await else {
        return;
    };
    let url = a.pg_url.clone().unwrap();
    let host = url.split('@').nth(1).unwrap_or_default();
    if !(host.starts_with("127.0.0.1:") || host.starts_with("localhost:")) {
        eprintln!("hung listener: skipped, needs PostgreSQL on this machine to freeze a backend");
        return;
    }
    let short = rustmost_server::cluster::Timings {
        ping_every: Duration::from_millis(300),
        ping_timeout: Duration::from_millis(300),
    };
    for n in [&a, &b] {
        n.state
            .set_cluster_timings(short, rustmost_server::cluster::MAX_ROLE_CACHE_AGE);
    }
    let (_, admin) = a.admin().await;
    let (u, token) = a.user(&admin, "erin").await;
    let uid = u["id"].as_str().unwrap();
    works_on_both(&a, &b, &token).await;
    // Both listeners' backends stop answering with their TCP connections still open: a
    // silent partition. Neither node gets an error from its connection.
    let pids = listener_pids(&a).await;
    assert_eq!(pids.len(), 2, "one listener per node");
    // Resumed whatever happens, or the test database could not be dropped.
    let frozen = Frozen(pids.clone());
    if !signal("-STOP", &pids) {
        eprintln!("hung listener: skipped, cannot signal the PostgreSQL backends");
        return;
    }
    delete_sessions_unannounced(&a, uid).await;
    refused_on(&b, &token).await;
    drop(frozen);
    // B listens again on a new connection (A may not have pinged while its backend was
    // stopped, and then rightly keeps its connection), and a later logout reaches B.
    within_ten_seconds("listeners not back", async || {
        let now = listener_pids(&a).await;
        now.len() == 2 && now.iter().any(|p| !pids.contains(p))
    })
    .await;
    let again = a.login("erin", "User-Passw0rd!").await;
    works_on_both(&a, &b, &again).await;
    logout_is_refused_on(&a, &b, &again).await;
}

#[tokio::test]
async fn a_profile_change_on_one_node_reaches_the_other_nodes_user_cache() {
    let Some((a, b)) = two_nodes("user cache").await else {
        return;
    };
    let (_, admin) = a.admin().await;
    let (_, token) = a.user(&admin, "erin").await;
    works_on_both(&a, &b, &token).await;
    // B now holds erin in its user cache.
    assert_eq!(b.get("/api/v4/users/me", &token).await.body["nickname"], "");
    let r = a
        .patch_user(&token, "me", json!({"nickname": "moved"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let start = Instant::now();
    loop {
        let me = b.get("/api/v4/users/me", &token).await;
        if me.body["nickname"] == "moved" {
            break;
        }
        assert!(start.elapsed() < WINDOW, "B still serves {}", me.body);
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
