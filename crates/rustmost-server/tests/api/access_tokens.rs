//! Personal access tokens over HTTP: every endpoint's gates in order, authenticating with a token,
//! the state-change matrix, and Rustmost's additions (hashing at rest, token format, last used,
//! audits, cache invalidation).

use crate::common::{SqlArg, TestServer, expect_errors};
use reqwest::{Method, StatusCode};
use rustmost_model::now_ms;
use serde_json::{Value, json};
use std::time::Duration;

/// Admin session, tokens on, and a second user `alice` holding `system_user_access_token`:
/// (server, admin token, alice, alice's session token).
pub(crate) async fn setup() -> (TestServer, String, Value, String) {
    let (srv, _, admin) = TestServer::start_with_admin().await;
    srv.set_tokens_enabled(&admin, true).await;
    let (alice, alice_session) = srv.user(&admin, "alice").await;
    srv.grant_token_role(&admin, alice["id"].as_str().unwrap())
        .await;
    (srv, admin, alice, alice_session)
}

pub(crate) fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

async fn me_status(srv: &TestServer, secret: &str) -> u16 {
    srv.get("/api/v4/users/me", secret).await.status.as_u16()
}

#[tokio::test]
async fn create_returns_the_secret_once_in_the_documented_format() {
    let (srv, _admin, alice, alice_s) = setup().await;
    let r = srv
        .request_token(&alice_s, "me", json!({"description": "n8n", "token": "ignored", "user_id": "ignored", "is_active": false}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let t = &r.body;
    let secret = t["token"].as_str().unwrap();
    assert!(secret.starts_with("rmpat_"), "{secret}");
    assert_eq!(secret.len(), 42);
    assert_eq!(t["user_id"], alice["id"]);
    assert_eq!(t["description"], "n8n");
    assert_eq!(t["is_active"], true);
    assert_eq!(t["expires_at"], 0);
    assert_eq!(t["last_used_at"], 0);
    assert_eq!(t["id"].as_str().unwrap().len(), 26);

    // Every read path omits the secret.
    let r = srv.get("/api/v4/users/me/tokens", &alice_s).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.items().len(), 1);
    assert!(r.body[0].get("token").is_none(), "{}", r.text);
    assert_eq!(r.body[0]["expires_at"], 0);
    let r = srv
        .get(&format!("/api/v4/users/tokens/{}", id(t)), &alice_s)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.get("token").is_none());
    assert_eq!(r.body["description"], "n8n");
}

#[tokio::test]
async fn create_gates_in_mattermost_order() {
    let (srv, admin_u, admin) = TestServer::start_with_admin().await;
    srv.set_tokens_enabled(&admin, true).await;
    let (bob, bob_s) = srv.user(&admin, "bob").await;
    let bob_id = id(&bob).to_string();
    let unknown = rustmost_model::new_id();

    // 1. path id, 2. the user exists (before the body is even read).
    expect_errors!(srv;
        post("/api/v4/users/nonsense/tokens", &admin, json!({"description": "x"}))
            => 400, "api.context.invalid_url_param.app_error";
        req(Method::POST, &format!("/api/v4/users/{unknown}/tokens"), Some(&admin), None)
            => 404, "app.user.missing_account.const";
    );
    // 5. body, then description.
    srv.raw(
        Method::POST,
        &format!("/api/v4/users/{bob_id}/tokens"),
        Some(&bob_s),
        "{not json",
    )
    .await
    .assert_err(400, "api.context.invalid_body_param.app_error");
    expect_errors!(srv;
        request_token(&bob_s, &bob_id, json!({"description": ""}))
            => 400, "api.context.invalid_body_param.app_error";
    );
    // 6. create_user_access_token.
    let r = srv
        .request_token(&bob_s, &bob_id, json!({"description": "x"}))
        .await;
    r.assert_err(403, "api.context.permissions.app_error");
    // 7. someone else's account needs edit_other_users.
    srv.grant_token_role(&admin, &bob_id).await;
    let bob_s = srv.login("bob", "User-Passw0rd!").await;
    let (carol, _) = srv.user(&admin, "carol").await;
    expect_errors!(srv;
        post(&format!("/api/v4/users/{}/tokens", id(&carol)), &bob_s, json!({"description": "x"}))
            => 403, "api.context.permissions.app_error";
    );
    // 8. an admin's token needs manage_system, even with edit_other_users.
    let role = srv
        .get("/api/v4/roles/name/system_user_access_token", &admin)
        .await;
    let mut perms: Vec<Value> = role.body["permissions"].as_array().unwrap().clone();
    perms.push(json!("edit_other_users"));
    srv.patch_role(&admin, id(&role.body), json!(perms))
        .await
        .assert_ok();
    let r = srv
        .post(
            &format!("/api/v4/users/{}/tokens", id(&carol)),
            &bob_s,
            json!({"description": "x"}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "edit_other_users lets bob make carol's token: {}",
        r.text
    );
    expect_errors!(srv;
        post(&format!("/api/v4/users/{}/tokens", id(&admin_u)), &bob_s, json!({"description": "x"}))
            => 403, "api.context.permissions.app_error";
    );
    // 9. tokens turned off: 501, after every permission check.
    srv.set_tokens_enabled(&admin, false).await;
    expect_errors!(srv;
        request_token(&admin, "me", json!({"description": "x"}))
            => 501, "app.user_access_token.disabled";
    );
    srv.set_tokens_enabled(&admin, true).await;
    // Validation of the saved token.
    expect_errors!(srv;
        request_token(&admin, "me", json!({"description": "d".repeat(256)}))
            => 400, "model.user_access_token.is_valid.description.app_error";
    );
    // Unauthenticated.
    expect_errors!(srv;
        req(Method::POST, "/api/v4/users/me/tokens", None, Some(json!({"description": "x"})))
            => 401, "api.context.session_expired.app_error";
    );
}

#[tokio::test]
async fn expiry_is_validated_against_the_lifetime_policy() {
    let (srv, admin, _alice, alice_s) = setup().await;
    let now = now_ms();
    let day = 86_400_000i64;
    let mk = |body: Value| srv.post("/api/v4/users/me/tokens", &alice_s, body);
    mk(json!({"description": "x", "expires_at": now - 1000}))
        .await
        .assert_err(400, "app.user_access_token.expires_at_in_past.app_error");
    mk(json!({"description": "x", "expires_at": -5}))
        .await
        .assert_err(400, "model.user_access_token.is_valid.expires_at.app_error");
    let r = mk(json!({"description": "x", "expires_at": now + 400 * day})).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "no policy: any future expiry: {}",
        r.text
    );
    assert_eq!(r.body["expires_at"], now + 400 * day);

    srv.patch_config(
        &admin,
        json!({"ServiceSettings": {"MaximumPersonalAccessTokenLifetimeDays": 30}}),
    )
    .await;
    mk(json!({"description": "x"}))
        .await
        .assert_err(400, "app.user_access_token.expires_at_required.app_error");
    let r = mk(json!({"description": "x", "expires_at": now + 31 * day})).await;
    r.assert_err(400, "app.user_access_token.expires_at_too_far.app_error");
    assert!(
        r.body["message"].as_str().unwrap().contains("30 days"),
        "{}",
        r.text
    );
    let r = mk(json!({"description": "x", "expires_at": now + 29 * day})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn listing_searching_and_getting_have_their_gates() {
    let (srv, admin, alice, alice_s) = setup().await;
    let alice_id = id(&alice).to_string();
    let (bob, bob_s) = srv.user(&admin, "bob").await;
    let (t, _) = srv.create_token(&alice_s, &alice_id, "one").await;
    srv.create_token(&admin, "me", "admin's").await;

    // List for a user: read_user_access_token, then the owner check.
    srv.get(&format!("/api/v4/users/{alice_id}/tokens"), &bob_s)
        .await
        .assert_err(403, "api.context.permissions.app_error");
    srv.grant_token_role(&admin, id(&bob)).await;
    let bob_s = srv.login("bob", "User-Passw0rd!").await;
    let r = srv
        .get(&format!("/api/v4/users/{alice_id}/tokens"), &bob_s)
        .await;
    r.assert_err(403, "api.context.permissions.app_error");
    assert!(r.body["detailed_error"].is_string());
    let r = srv
        .get(
            &format!("/api/v4/users/{alice_id}/tokens?per_page=1&page=0"),
            &admin,
        )
        .await;
    assert_eq!(r.items().len(), 1);
    let r = srv
        .get(&format!("/api/v4/users/{alice_id}/tokens?page=1"), &admin)
        .await;
    assert_eq!(r.body, json!([]));

    // All tokens and search: manage_system.
    srv.get("/api/v4/users/tokens", &alice_s)
        .await
        .assert_err(403, "api.context.permissions.app_error");
    let r = srv.get("/api/v4/users/tokens", &admin).await;
    assert_eq!(r.items().len(), 2);
    expect_errors!(srv;
        post("/api/v4/users/tokens/search", &alice_s, json!({"term": "alice"}))
            => 403, "api.context.permissions.app_error";
        post("/api/v4/users/tokens/search", &admin, json!({"term": ""}))
            => 400, "api.context.invalid_body_param.app_error";
    );
    for term in ["alice", alice_id.as_str(), id(&t)] {
        let r = srv
            .post("/api/v4/users/tokens/search", &admin, json!({"term": term}))
            .await;
        assert_eq!(r.items().len(), 1, "term {term}: {}", r.text);
        assert_eq!(r.body[0]["id"], t["id"]);
    }
    // Exact match only, as upstream.
    let r = srv
        .post(
            "/api/v4/users/tokens/search",
            &admin,
            json!({"term": "ali"}),
        )
        .await;
    assert_eq!(r.body, json!([]));

    // Get one: id shape, permission, existence, then owner.
    expect_errors!(srv;
        get("/api/v4/users/tokens/short", &admin) => 400, "api.context.invalid_url_param.app_error";
        get(&format!("/api/v4/users/tokens/{}", rustmost_model::new_id()), &admin)
            => 404, "app.user_access_token.get_by_user.app_error";
        get(&format!("/api/v4/users/tokens/{}", id(&t)), &bob_s)
            => 403, "api.context.permissions.app_error";
    );
    let (_, plain_s) = srv.user(&admin, "plain").await;
    srv.get(&format!("/api/v4/users/tokens/{}", id(&t)), &plain_s)
        .await
        .assert_err(403, "api.context.permissions.app_error");
}

#[tokio::test]
async fn authenticating_with_a_token() {
    let (srv, _admin, alice, alice_s) = setup().await;
    let (t, secret) = srv.create_token(&alice_s, "me", "n8n").await;
    // Bearer and Token schemes.
    let r = srv.get("/api/v4/users/me", &secret).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["id"], alice["id"]);
    let r = srv
        .req_auth(
            Method::GET,
            "/api/v4/users/me",
            Some(&format!("Token {secret}")),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = srv
        .req_auth(
            Method::GET,
            "/api/v4/users/me",
            Some(&format!("bearer {secret}")),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // n8n's path with a double slash and its credential test.
    let r = srv.get("/api/v4//users", &secret).await;
    assert_eq!(r.status, StatusCode::OK);
    // Never in the query string.
    expect_errors!(srv;
        req(Method::GET, &format!("/api/v4/users/me?access_token={secret}"), None, None)
            => 401, "api.context.token_provided.app_error";
    );
    // The token's session is a UserAccessToken session without CSRF.
    let r = srv.get("/api/v4/users/me/sessions", &alice_s).await;
    let pat = r
        .items()
        .iter()
        .find(|s| s["props"]["type"] == "UserAccessToken");
    let pat = pat.expect("token session listed");
    assert_eq!(pat["props"]["user_access_token_id"], t["id"]);
    assert_eq!(pat["props"]["is_guest"], "false");
    assert!(pat["props"].get("csrf").is_none());
    assert!(pat["expires_at"].as_i64().unwrap() > now_ms() + 99 * 365 * 86_400_000);
    // POST with a token needs no CSRF header.
    let r = srv
        .post("/api/v4/users/ids", &secret, json!([alice["id"]]))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn refusals_explain_a_pasted_id_and_a_malformed_token() {
    let (srv, _admin, _alice, alice_s) = setup().await;
    let (t, secret) = srv.create_token(&alice_s, "me", "n8n").await;
    let r = srv.get("/api/v4/users/me", id(&t)).await;
    r.assert_err(401, "api.context.session_expired.app_error");
    let msg = r.body["message"].as_str().unwrap();
    assert!(
        msg.contains("ID of a personal access token, not the token itself"),
        "{msg}"
    );

    // One character changed: refused as malformed (the checksum fails).
    let mut typo = secret.clone().into_bytes();
    let i = 10;
    typo[i] = if typo[i] == b'x' { b'y' } else { b'x' };
    let typo = String::from_utf8(typo).unwrap();
    let r = srv.get("/api/v4/users/me", &typo).await;
    r.assert_err(401, "api.context.session_expired.app_error");
    assert!(
        r.body["message"].as_str().unwrap().contains("malformed"),
        "{}",
        r.text
    );
    // Cut short.
    let r = srv.get("/api/v4/users/me", &secret[..30]).await;
    assert!(r.body["message"].as_str().unwrap().contains("malformed"));
    // Anything else: Mattermost's plain message.
    let r = srv.get("/api/v4/users/me", &rustmost_model::new_id()).await;
    r.assert_err(401, "api.context.session_expired.app_error");
    assert_eq!(
        r.body["message"],
        "Invalid or expired session, please login again."
    );
}

#[tokio::test]
async fn matrix_flag_off_and_on_again() {
    let (srv, admin, _alice, alice_s) = setup().await;
    let (_, secret) = srv.create_token(&alice_s, "me", "n8n").await;
    assert_eq!(me_status(&srv, &secret).await, 200);
    srv.set_tokens_enabled(&admin, false).await;
    srv.get("/api/v4/users/me", &secret)
        .await
        .assert_err(401, "api.context.session_expired.app_error");
    srv.set_tokens_enabled(&admin, true).await;
    assert_eq!(me_status(&srv, &secret).await, 200);
    // A token never used before the flag went off is refused too.
    let (_, fresh) = srv.create_token(&alice_s, "me", "fresh").await;
    srv.set_tokens_enabled(&admin, false).await;
    assert_eq!(me_status(&srv, &fresh).await, 401);
}

#[tokio::test]
async fn matrix_disable_enable_revoke() {
    let (srv, admin, _alice, alice_s) = setup().await;
    let (t, secret) = srv.create_token(&alice_s, "me", "n8n").await;
    assert_eq!(me_status(&srv, &secret).await, 200);

    // Gates shared by disable/enable/revoke.
    let (_, plain_s) = srv.user(&admin, "plain").await;
    expect_errors!(srv;
        token_action(&plain_s, "disable", id(&t))
            => 403, "api.context.permissions.app_error";
        post("/api/v4/users/tokens/disable", &alice_s, json!({}))
            => 404, "app.user_access_token.get_by_user.app_error";
        post("/api/v4/users/tokens/revoke", &alice_s, json!({"token_id": rustmost_model::new_id()}))
            => 404, "app.user_access_token.get_by_user.app_error";
    );
    let (admin_t, _) = srv.create_token(&admin, "me", "admin's").await;
    expect_errors!(srv;
        token_action(&alice_s, "revoke", id(&admin_t))
            => 403, "api.context.permissions.app_error";
    );

    let r = srv.token_action(&alice_s, "disable", id(&t)).await;
    assert_eq!(r.text, r#"{"status":"OK"}"#);
    assert_eq!(me_status(&srv, &secret).await, 401);
    let r = srv
        .get(&format!("/api/v4/users/tokens/{}", id(&t)), &alice_s)
        .await;
    assert_eq!(r.body["is_active"], false);
    srv.token_action(&alice_s, "enable", id(&t))
        .await
        .assert_ok();
    assert_eq!(me_status(&srv, &secret).await, 200);
    srv.token_action(&alice_s, "revoke", id(&t))
        .await
        .assert_ok();
    assert_eq!(me_status(&srv, &secret).await, 401);
    srv.get(&format!("/api/v4/users/tokens/{}", id(&t)), &alice_s)
        .await
        .assert_err(404, "app.user_access_token.get_by_user.app_error");
    // Enable needs create_user_access_token, revoke/disable revoke_user_access_token: with only
    // the former removed from the role, enable is refused.
    let (t2, _) = srv.create_token(&alice_s, "me", "two").await;
    let role = srv
        .get("/api/v4/roles/name/system_user_access_token", &admin)
        .await;
    srv.patch_role(
        &admin,
        id(&role.body),
        json!(["read_user_access_token", "revoke_user_access_token"]),
    )
    .await
    .assert_ok();
    srv.token_action(&alice_s, "disable", id(&t2))
        .await
        .assert_ok();
    expect_errors!(srv;
        token_action(&alice_s, "enable", id(&t2))
            => 403, "api.context.permissions.app_error";
    );
}

#[tokio::test]
async fn matrix_rotate() {
    let (srv, admin, _alice, alice_s) = setup().await;
    let (t, old) = srv.create_token(&alice_s, "me", "n8n").await;
    assert_eq!(me_status(&srv, &old).await, 200);

    expect_errors!(srv;
        post("/api/v4/users/tokens/rotate", &alice_s, json!({}))
            => 400, "api.context.invalid_body_param.app_error";
        post("/api/v4/users/tokens/rotate", &alice_s, json!({"token_id": rustmost_model::new_id()}))
            => 404, "app.user_access_token.get_by_user.app_error";
    );
    let (_, plain_s) = srv.user(&admin, "plain").await;
    expect_errors!(srv;
        token_action(&plain_s, "rotate", id(&t))
            => 403, "api.context.permissions.app_error";
    );

    let r = srv.token_action(&alice_s, "rotate", id(&t)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["id"], t["id"]);
    assert_eq!(r.body["description"], "n8n");
    let new = r.body["token"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    assert_eq!(me_status(&srv, &old).await, 401);
    assert_eq!(me_status(&srv, &new).await, 200);

    // A disabled token cannot be rotated; with tokens off, 501.
    srv.token_action(&alice_s, "disable", id(&t))
        .await
        .assert_ok();
    srv.token_action(&alice_s, "rotate", id(&t))
        .await
        .assert_err(
            400,
            "api.user.rotate_user_access_token.disabled_token.app_error",
        );
    srv.token_action(&alice_s, "enable", id(&t))
        .await
        .assert_ok();
    srv.set_tokens_enabled(&admin, false).await;
    expect_errors!(srv;
        token_action(&admin, "rotate", id(&t))
            => 501, "app.user_access_token.disabled";
    );
}

#[tokio::test]
async fn matrix_expiry_refuses_and_is_audited() {
    let (srv, _admin, alice, alice_s) = setup().await;
    let r = srv
        .request_token(
            &alice_s,
            "me",
            json!({"description": "short", "expires_at": now_ms() + 1500}),
        )
        .await;
    let secret = r.body["token"].as_str().unwrap().to_string();
    let tid = id(&r.body).to_string();
    assert_eq!(me_status(&srv, &secret).await, 200);
    srv.state.clock.advance(Duration::from_millis(1700));
    srv.get("/api/v4/users/me", &secret)
        .await
        .assert_err(401, "api.context.session_expired.app_error");
    assert_eq!(me_status(&srv, &secret).await, 401);
    let r = srv
        .get(&format!("/api/v4/users/{}/audits", id(&alice)), &alice_s)
        .await;
    let hit = r.items().iter().any(|a| {
        a["action"] == "rejectExpiredUserAccessToken"
            && a["extra_info"] == format!("token_id={tid}")
    });
    assert!(hit, "expired refusal audited: {}", r.text);
}

#[tokio::test]
async fn matrix_deactivation_roles_password_logout() {
    let (srv, admin, alice, alice_s) = setup().await;
    let alice_id = id(&alice).to_string();
    let (_, secret) = srv.create_token(&alice_s, "me", "n8n").await;
    assert_eq!(me_status(&srv, &secret).await, 200);

    // Deactivated: refused at once; reactivated: works again.
    srv.set_active(&admin, &alice_id, false).await.assert_ok();
    assert_eq!(me_status(&srv, &secret).await, 401);
    srv.set_active(&admin, &alice_id, true).await.assert_ok();
    assert_eq!(me_status(&srv, &secret).await, 200);

    // Role removed: the token still authenticates, but can no longer manage tokens.
    srv.set_roles(&admin, &alice_id, "system_user")
        .await
        .assert_ok();
    assert_eq!(me_status(&srv, &secret).await, 200);
    expect_errors!(srv;
        request_token(&secret, "me", json!({"description": "x"}))
            => 403, "api.context.permissions.app_error";
    );

    // Password changed (other sessions end): the token still works.
    let alice_s = srv.login("alice", "User-Passw0rd!").await;
    srv.put(
        "/api/v4/users/me/password",
        &alice_s,
        json!({"current_password": "User-Passw0rd!", "new_password": "Other-Passw0rd!"}),
    )
    .await
    .assert_ok();
    assert_eq!(me_status(&srv, &secret).await, 200);

    // Logout with the token ends only its session; the next request mints a new one.
    srv.post("/api/v4/users/logout", &secret, json!({}))
        .await
        .assert_ok();
    assert_eq!(me_status(&srv, &secret).await, 200);
}

#[tokio::test]
async fn secrets_are_not_stored_in_the_database() {
    let (srv, _admin, _alice, alice_s) = setup().await;
    let (_, secret) = srv.create_token(&alice_s, "me", "n8n").await;
    assert_eq!(me_status(&srv, &secret).await, 200);
    let login = srv.login("alice", "User-Passw0rd!").await;
    let hash = rustmost_server::app::secrets::hash_secret(&secret);
    if let Some(rows) = srv.pg_dump_rows().await {
        for s in [&secret, &login, &alice_s] {
            assert!(!rows.contains(s.as_str()), "secret found in the database");
        }
        // The hash is there, so the search looked at the right data.
        assert!(rows.contains(&hash));
        return;
    }
    let mut files = 0;
    for entry in std::fs::read_dir(srv.data_dir()).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if !name.starts_with("rustmost.db") {
            continue;
        }
        files += 1;
        let bytes = std::fs::read(&p).unwrap();
        for s in [&secret, &login, &alice_s] {
            let found = bytes.windows(s.len()).any(|w| w == s.as_bytes());
            assert!(!found, "secret found in {name}");
        }
    }
    assert!(files >= 1, "database files examined");
    // The hash is there, so the grep looked at the right data.
    let any_has_hash = std::fs::read_dir(srv.data_dir()).unwrap().any(|e| {
        let b = std::fs::read(e.unwrap().path()).unwrap_or_default();
        b.windows(hash.len()).any(|w| w == hash.as_bytes())
    });
    assert!(any_has_hash);
}

#[tokio::test]
async fn last_used_is_recorded_with_the_client_address() {
    let (srv, _admin, _alice, alice_s) = setup().await;
    let (t, secret) = srv.create_token(&alice_s, "me", "n8n").await;
    let before = now_ms();
    assert_eq!(me_status(&srv, &secret).await, 200);
    let mut seen = Value::Null;
    for _ in 0..50 {
        let r = srv
            .get(&format!("/api/v4/users/tokens/{}", id(&t)), &alice_s)
            .await;
        if r.body["last_used_at"].as_i64().unwrap() > 0 {
            seen = r.body;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let at = seen["last_used_at"].as_i64().expect("last_used_at written");
    assert!(at >= before - 5 && at <= now_ms());
    assert_eq!(seen["last_used_ip"], "127.0.0.1");
    // Within the minute a second use does not write again.
    assert_eq!(me_status(&srv, &secret).await, 200);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let r = srv
        .get(&format!("/api/v4/users/tokens/{}", id(&t)), &alice_s)
        .await;
    assert_eq!(r.body["last_used_at"].as_i64().unwrap(), at);
}

#[tokio::test]
async fn a_known_token_needs_no_database_read_and_changes_invalidate_the_cache() {
    let (srv, _admin, _alice, alice_s) = setup().await;
    let (t, secret) = srv.create_token(&alice_s, "me", "n8n").await;
    assert_eq!(me_status(&srv, &secret).await, 200);
    // Change the secret's hash on the token and its session behind the server's back, so a
    // database lookup would find neither: the cached session still answers, so the request path
    // did not consult the database. (Deleting them would be announced by PostgreSQL's triggers
    // and evict the entry, as it should.)
    for sql in [
        "UPDATE sessions SET token_hash = 'moved-' || token_hash \
         WHERE token_hash = (SELECT token_hash FROM user_access_tokens WHERE id = $1)",
        "UPDATE user_access_tokens SET token_hash = 'moved-' || token_hash WHERE id = $1",
    ] {
        assert_eq!(srv.raw_execute(sql, &[SqlArg::Text(id(&t))]).await, 1);
    }
    let r = srv.get("/api/v4/users", &secret).await;
    assert_eq!(r.status, StatusCode::OK, "served from cache");
    // Through the API, a change takes effect on the very next request.
    let (t2, secret2) = srv.create_token(&alice_s, "me", "two").await;
    assert_eq!(me_status(&srv, &secret2).await, 200);
    srv.token_action(&alice_s, "revoke", id(&t2))
        .await
        .assert_ok();
    assert_eq!(me_status(&srv, &secret2).await, 401);
}

#[tokio::test]
async fn audits_record_token_and_role_changes() {
    let (srv, admin, alice, alice_s) = setup().await;
    let alice_id = id(&alice).to_string();
    let (t, _) = srv.create_token(&alice_s, "me", "n8n").await;
    let tid = id(&t).to_string();
    for path in ["disable", "enable", "rotate", "revoke"] {
        srv.post(
            &format!("/api/v4/users/tokens/{path}"),
            &alice_s,
            json!({"token_id": tid}),
        )
        .await
        .assert_ok();
    }
    let r = srv
        .get(&format!("/api/v4/users/{alice_id}/audits"), &alice_s)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let list = r.items();
    let success = format!("success - token_id={tid}");
    for action in [
        "/api/v4/users/me/tokens".to_string(),
        "/api/v4/users/tokens/disable".to_string(),
        "/api/v4/users/tokens/enable".to_string(),
        "/api/v4/users/tokens/rotate".to_string(),
        "/api/v4/users/tokens/revoke".to_string(),
    ] {
        let a = list
            .iter()
            .find(|a| a["action"] == action.as_str() && a["extra_info"] == success.as_str());
        let a = a.unwrap_or_else(|| panic!("{action} audited: {}", r.text));
        assert_eq!(a["user_id"], alice_id.as_str());
        assert_eq!(a["ip_address"], "127.0.0.1");
        assert_eq!(a["session_id"].as_str().unwrap().len(), 26);
        assert_eq!(a["id"].as_str().unwrap().len(), 26);
    }
    // Newest first.
    let times: Vec<i64> = list
        .iter()
        .map(|a| a["create_at"].as_i64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]));
    assert_eq!(list[0]["action"], "/api/v4/users/tokens/revoke");

    // Role changes are recorded for the admin who made them.
    srv.set_roles(&admin, &alice_id, "system_user")
        .await
        .assert_ok();
    let r = srv.get("/api/v4/users/me/audits", &admin).await;
    let want = format!("user={alice_id} roles=system_user");
    assert!(
        r.items().iter().any(|a| a["extra_info"] == want.as_str()),
        "{}",
        r.text
    );
    // Someone else's audits need edit_other_users.
    let admin_id = srv.get("/api/v4/users/me", &admin).await.body["id"].clone();
    expect_errors!(srv;
        get(&format!("/api/v4/users/{}/audits", admin_id.as_str().unwrap()), &alice_s)
            => 403, "api.context.permissions.app_error";
    );
    let r = srv
        .get(
            &format!("/api/v4/users/{alice_id}/audits?per_page=2"),
            &admin,
        )
        .await;
    assert_eq!(r.items().len(), 2);
}

#[tokio::test]
async fn non_compliant_tokens_are_counted_and_revoked() {
    let (srv, admin, _alice, alice_s) = setup().await;
    let (_, never) = srv.create_token(&alice_s, "me", "never expires").await;
    let r = srv
        .request_token(
            &alice_s,
            "me",
            json!({"description": "soon", "expires_at": now_ms() + 86_400_000}),
        )
        .await;
    let soon = r.body["token"].as_str().unwrap().to_string();

    srv.get("/api/v4/users/tokens/non_compliant/count", &alice_s)
        .await
        .assert_err(403, "api.context.permissions.app_error");
    let r = srv
        .get("/api/v4/users/tokens/non_compliant/count", &admin)
        .await;
    assert_eq!(r.body, json!({"count": 0}));
    expect_errors!(srv;
        post("/api/v4/users/tokens/non_compliant/revoke", &admin, json!({}))
            => 400, "app.user_access_token.revoke_non_compliant.no_policy.app_error";
    );

    srv.patch_config(
        &admin,
        json!({"ServiceSettings": {"MaximumPersonalAccessTokenLifetimeDays": 7}}),
    )
    .await;
    let r = srv
        .get("/api/v4/users/tokens/non_compliant/count", &admin)
        .await;
    assert_eq!(r.body, json!({"count": 1}));
    let r = srv
        .post(
            "/api/v4/users/tokens/non_compliant/revoke",
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(r.body, json!({"count": 1}));
    assert_eq!(me_status(&srv, &never).await, 401);
    assert_eq!(me_status(&srv, &soon).await, 200);
    let r = srv
        .get("/api/v4/users/tokens/non_compliant/count", &admin)
        .await;
    assert_eq!(r.body, json!({"count": 0}));
}

/// Upstream `SessionHasPermissionToUser`: `edit_other_users` reaches other accounts but not a
/// system admin's, and not an account that does not exist; `manage_system` reaches everyone.
#[tokio::test]
async fn edit_other_users_does_not_reach_system_admins() {
    let (srv, admin_u, admin) = TestServer::start_with_admin().await;
    srv.set_tokens_enabled(&admin, true).await;
    let admin_id = id(&admin_u).to_string();
    let (bob, _) = srv.user(&admin, "bob").await;
    let (carol, _) = srv.user(&admin, "carol").await;
    let carol_id = id(&carol).to_string();
    srv.grant_token_role(&admin, id(&bob)).await;
    let role = srv
        .get("/api/v4/roles/name/system_user_access_token", &admin)
        .await;
    let mut perms: Vec<Value> = role.body["permissions"].as_array().unwrap().clone();
    perms.push(json!("edit_other_users"));
    perms.push(json!("read_user_access_token"));
    srv.patch_role(&admin, id(&role.body), json!(perms))
        .await
        .assert_ok();
    let bob_s = srv.login("bob", "User-Passw0rd!").await;
    let ghost = rustmost_model::new_id();

    for target in [admin_id.as_str(), ghost.as_str()] {
        for (method, path, body) in [
            (
                Method::GET,
                format!("/api/v4/users/{target}/sessions"),
                None,
            ),
            (
                Method::POST,
                format!("/api/v4/users/{target}/sessions/revoke/all"),
                None,
            ),
            (
                Method::POST,
                format!("/api/v4/users/{target}/sessions/revoke"),
                Some(json!({"session_id": rustmost_model::new_id()})),
            ),
            (Method::GET, format!("/api/v4/users/{target}/audits"), None),
            (Method::GET, format!("/api/v4/users/{target}/tokens"), None),
            (
                Method::PUT,
                format!("/api/v4/users/{target}/patch"),
                Some(json!({"nickname": "pwned"})),
            ),
            (Method::DELETE, format!("/api/v4/users/{target}"), None),
            (
                Method::GET,
                format!("/api/v4/users/{target}/channels"),
                None,
            ),
        ] {
            srv.req(method, &path, Some(&bob_s), body)
                .await
                .assert_err(403, "api.context.permissions.app_error");
        }
    }
    // The admin's sessions survived the attempts.
    assert_eq!(
        srv.get("/api/v4/users/me", &admin).await.status,
        StatusCode::OK
    );
    // Ordinary accounts stay within reach of edit_other_users.
    srv.get(&format!("/api/v4/users/{carol_id}/sessions"), &bob_s)
        .await
        .assert_ok();
    srv.get(&format!("/api/v4/users/{carol_id}/audits"), &bob_s)
        .await
        .assert_ok();
    srv.patch_user(&bob_s, &carol_id, json!({"nickname": "cc"}))
        .await
        .assert_ok();
    // manage_system reaches everyone; an unknown account is then reported as such.
    srv.get(&format!("/api/v4/users/{admin_id}/sessions"), &admin)
        .await
        .assert_ok();
    let r = srv
        .get(&format!("/api/v4/users/{}/sessions", id(&bob)), &admin)
        .await;
    assert!(!r.items().is_empty());
}

/// The lifetime policy and the non-compliant count: only active tokens count, and a bot counts
/// as user-owned when its owner id is a user id, even one whose account no longer exists; a
/// plugin-owned bot is exempt.
#[tokio::test]
async fn non_compliant_counts_active_tokens_of_humans_and_user_owned_bots() {
    let (srv, admin, _alice, alice_s) = setup().await;
    srv.enable_bot_creation(&admin).await;
    let (disabled, _) = srv.create_token(&alice_s, "me", "disabled").await;
    srv.token_action(&alice_s, "disable", id(&disabled))
        .await
        .assert_ok();
    // A bot whose owner id names no existing user, and a plugin's bot.
    let orphan = srv.create_bot(&admin, "orphanbot").await;
    let orphan_id = orphan["user_id"].as_str().unwrap().to_string();
    let ghost = rustmost_model::new_id();
    srv.post(
        &format!("/api/v4/bots/{orphan_id}/assign/{ghost}"),
        &admin,
        json!({}),
    )
    .await
    .assert_ok();
    let plugin = srv.create_bot(&admin, "pluginbot").await;
    let plugin_id = plugin["user_id"].as_str().unwrap().to_string();
    let mut b = srv.state.store.get_bot(&plugin_id, true).await.unwrap();
    b.owner_id = "com.example.plugin".into();
    srv.state.store.update_bot(&b).await.unwrap();
    srv.create_token(&admin, &orphan_id, "orphan, never expires")
        .await;
    srv.create_token(&admin, &plugin_id, "plugin, never expires")
        .await;

    srv.patch_config(
        &admin,
        json!({"ServiceSettings": {"MaximumPersonalAccessTokenLifetimeDays": 7}}),
    )
    .await;
    // Creation: the ghost-owned bot is under the policy, the plugin's bot is not.
    expect_errors!(srv;
        request_token(&admin, &orphan_id, json!({"description": "x"}))
            => 400, "app.user_access_token.expires_at_required.app_error";
    );
    srv.request_token(&admin, &plugin_id, json!({"description": "x"}))
        .await
        .assert_ok();
    // Counting: the orphan bot's token only; not the disabled one, not the plugin bot's.
    let r = srv
        .get("/api/v4/users/tokens/non_compliant/count", &admin)
        .await;
    assert_eq!(r.body, json!({"count": 1}), "{}", r.text);
    let r = srv
        .post(
            "/api/v4/users/tokens/non_compliant/revoke",
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(r.body, json!({"count": 1}));
    // The disabled token is still there, and can be enabled again.
    srv.get(&format!("/api/v4/users/tokens/{}", id(&disabled)), &admin)
        .await
        .assert_ok();
    let r = srv
        .get(&format!("/api/v4/users/{orphan_id}/tokens"), &admin)
        .await;
    assert_eq!(r.body, json!([]));
    let r = srv
        .get(&format!("/api/v4/users/{plugin_id}/tokens"), &admin)
        .await;
    assert_eq!(r.items().len(), 2);
}

/// `last_used_at` is written only for requests that were let through: a human's token presented
/// while personal access tokens are off is refused and leaves no trace.
#[tokio::test]
async fn a_refused_request_does_not_count_as_a_use() {
    let (srv, admin, _alice, alice_s) = setup().await;
    let (t, secret) = srv.create_token(&alice_s, "me", "idle").await;
    assert_eq!(me_status(&srv, &secret).await, 200);
    // Start from a session read back from the database (nothing written by this process yet)
    // and a token that was never used.
    tokio::time::sleep(Duration::from_millis(100)).await;
    srv.state.sessions.clear();
    srv.state.store.touch_token(id(&t), 0, "").await.unwrap();
    srv.set_tokens_enabled(&admin, false).await;
    assert_eq!(me_status(&srv, &secret).await, 401);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let r = srv
        .get(&format!("/api/v4/users/tokens/{}", id(&t)), &admin)
        .await;
    assert_eq!(r.body["last_used_at"], 0, "{}", r.text);
    assert_eq!(r.body["last_used_ip"], "");
    // Let through again, it is recorded.
    srv.set_tokens_enabled(&admin, true).await;
    assert_eq!(me_status(&srv, &secret).await, 200);
    let mut used = 0;
    for _ in 0..50 {
        let r = srv
            .get(&format!("/api/v4/users/tokens/{}", id(&t)), &admin)
            .await;
        used = r.body["last_used_at"].as_i64().unwrap();
        if used > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(used > 0);
}

/// Waits up to two seconds for the sink to hold `n` messages.
async fn mails(
    got: &std::sync::Arc<std::sync::Mutex<Vec<crate::common::smtp::Mail>>>,
    n: usize,
) -> Vec<crate::common::smtp::Mail> {
    for _ in 0..100 {
        if got.lock().unwrap().len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    got.lock().unwrap().clone()
}

/// A human owner is mailed when a token is added or rotated (never with the secret); bots are
/// not, and nothing is sent while `SendEmailNotifications` is off.
#[tokio::test]
async fn token_emails_tell_human_owners_without_the_secret() {
    let (srv, got) = crate::common::smtp::start_mailing(&[
        ("MM_SERVICESETTINGS_SITEURL", "http://chat.example.com"),
        ("MM_SERVICESETTINGS_ENABLEUSERACCESSTOKENS", "true"),
        ("MM_SERVICESETTINGS_ENABLEBOTACCOUNTCREATION", "true"),
    ])
    .await;
    let (_, admin) = srv.admin().await;
    // Off by default: the admin's own first token is not mailed.
    srv.create_token(&admin, "me", "before").await;
    srv.patch_config(
        &admin,
        json!({"EmailSettings": {"SendEmailNotifications": true}}),
    )
    .await;
    let (alice, _) = srv.user(&admin, "alice").await;
    srv.grant_token_role(&admin, id(&alice)).await;
    let alice_s = srv.login("alice", "User-Passw0rd!").await;

    let (t, secret) = srv.create_token(&alice_s, "me", "n8n").await;
    let got_now = mails(&got, 1).await;
    assert_eq!(got_now.len(), 1, "{got_now:?}");
    assert_eq!(got_now[0].rcpt, vec!["alice@example.com"]);
    let data = got_now[0].data.replace("=\n", "").replace("=3D", "=");
    assert!(
        data.contains("Subject: [Mattermost] Personal access token added to your account"),
        "{data}"
    );
    assert!(
        data.contains(
            "A personal access token was added to your account on http://chat.example.com"
        ),
        "{data}"
    );
    assert!(
        !data.contains(&secret) && !data.contains(&secret[6..]),
        "secret mailed"
    );

    let r = srv.token_action(&alice_s, "rotate", id(&t)).await;
    let rotated = r.body["token"]
        .as_str()
        .expect("rotated secret")
        .to_string();
    let got_now = mails(&got, 2).await;
    assert_eq!(got_now.len(), 2, "{got_now:?}");
    let data = got_now[1].data.replace("=\n", "").replace("=3D", "=");
    assert!(
        data.contains("Subject: [Mattermost] Personal access token regenerated"),
        "{data}"
    );
    assert!(!data.contains(&rotated[6..]) && !data.contains(&secret[6..]));

    // Bots have no mailbox.
    let bot = srv.create_bot(&admin, "robot").await;
    srv.create_token(&admin, bot["user_id"].as_str().unwrap(), "bot")
        .await;
    // Switched off: nothing.
    srv.patch_config(
        &admin,
        json!({"EmailSettings": {"SendEmailNotifications": false}}),
    )
    .await;
    srv.create_token(&alice_s, "me", "quiet").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let all = got.lock().unwrap().clone();
    assert_eq!(all.len(), 2, "{all:?}");
}

/// An unreachable mail server does not hold up or fail token creation.
#[tokio::test]
async fn token_creation_does_not_depend_on_the_mail_server() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port().to_string();
    drop(closed);
    let srv = TestServer::start_with_env(&[
        ("MM_EMAILSETTINGS_SENDEMAILNOTIFICATIONS", "true"),
        ("MM_EMAILSETTINGS_SMTPSERVER", "127.0.0.1"),
        ("MM_EMAILSETTINGS_SMTPPORT", &port),
        ("MM_SERVICESETTINGS_ENABLEUSERACCESSTOKENS", "true"),
    ])
    .await;
    let (admin_u, admin) = srv.admin().await;
    let (_, secret) = srv.create_token(&admin, id(&admin_u), "x").await;
    assert_eq!(me_status(&srv, &secret).await, 200);
}

/// Moves a token's expiry into the past behind the server's back (the API refuses such dates).
async fn expire_now(srv: &TestServer, token_id: &str) {
    srv.raw_execute(
        "UPDATE user_access_tokens SET expires_at = $1 WHERE id = $2",
        &[SqlArg::Int(now_ms() - 1000), SqlArg::Text(token_id)],
    )
    .await;
}

/// Upstream's hourly cleanup: expired tokens go with their sessions (database and cache), each
/// with an audit record for its owner; live and never-expiring tokens stay.
#[tokio::test]
async fn expired_tokens_are_deleted_with_their_sessions() {
    let (srv, admin, alice, alice_s) = setup().await;
    let mk = |d: &'static str, exp: i64| {
        let srv = &srv;
        let alice_s = alice_s.clone();
        async move {
            let r = srv
                .request_token(&alice_s, "me", json!({"description": d, "expires_at": exp}))
                .await;
            (
                r.body.clone(),
                r.body["token"].as_str().unwrap().to_string(),
            )
        }
    };
    let (old, old_secret) = mk("old", now_ms() + 86_400_000).await;
    let (live, live_secret) = mk("live", now_ms() + 86_400_000).await;
    let (_, forever) = mk("forever", 0).await;
    for s in [&old_secret, &live_secret, &forever] {
        assert_eq!(me_status(&srv, s).await, 200);
    }
    let hash = rustmost_server::app::secrets::hash_secret(&old_secret);
    assert!(srv.state.sessions.get(&hash).is_some());
    expire_now(&srv, id(&old)).await;

    let n = rustmost_server::app::access_tokens::delete_expired(&srv.state)
        .await
        .unwrap();
    assert_eq!(n, 1);
    srv.get(&format!("/api/v4/users/tokens/{}", id(&old)), &admin)
        .await
        .assert_err(404, "app.user_access_token.get_by_user.app_error");
    assert!(srv.state.sessions.get(&hash).is_none(), "evicted");
    assert!(
        srv.state
            .store
            .get_session_by_token_hash(&hash)
            .await
            .is_err(),
        "session row deleted"
    );
    assert_eq!(me_status(&srv, &old_secret).await, 401);
    assert_eq!(me_status(&srv, &live_secret).await, 200);
    assert_eq!(me_status(&srv, &forever).await, 200);
    srv.get(&format!("/api/v4/users/tokens/{}", id(&live)), &admin)
        .await
        .assert_ok();
    let r = srv
        .get(&format!("/api/v4/users/{}/audits", id(&alice)), &admin)
        .await;
    assert!(
        r.items()
            .iter()
            .any(|a| a["action"] == "cleanupExpiredUserAccessToken"
                && a["extra_info"] == format!("token_id={}", id(&old))),
        "{}",
        r.text
    );
    // Nothing left to do.
    assert_eq!(
        rustmost_server::app::access_tokens::delete_expired(&srv.state)
            .await
            .unwrap(),
        0
    );
}

/// The job runs on its period and stops when its handle is dropped.
#[tokio::test]
async fn the_cleanup_job_runs_on_its_period_and_stops() {
    let (srv, _admin, _alice, alice_s) = setup().await;
    let (t, secret) = srv.create_token(&alice_s, "me", "a").await;
    let jobs = rustmost_server::app::jobs::start(srv.state.clone(), Duration::from_millis(50));
    expire_now(&srv, id(&t)).await;
    let mut gone = false;
    for _ in 0..100 {
        if srv.state.store.get_token(id(&t)).await.is_err() {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(gone, "the job deleted the expired token");
    assert_eq!(me_status(&srv, &secret).await, 401);
    drop(jobs);
    let (t2, _) = srv.create_token(&alice_s, "me", "b").await;
    expire_now(&srv, id(&t2)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        srv.state.store.get_token(id(&t2)).await.is_ok(),
        "a stopped job deletes nothing"
    );
}
