//! API tests for the server foundation: system, errors, users, login, sessions, CSRF, roles.

use crate::common::{ADMIN_PASSWORD, TestServer, expect_errors};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn ping_and_common_headers() {
    let s = TestServer::start().await;
    let r = s.req(Method::GET, "/api/v4/system/ping", None, None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["status"], "OK");
    assert_eq!(r.headers["content-type"], "application/json");
    assert_eq!(r.headers["x-request-id"].len(), 26);
    assert!(
        r.headers["x-version-id"]
            .to_str()
            .unwrap()
            .starts_with("10.3.0.")
    );
    let r = s.server_status().await;
    assert_eq!(r.body["database_status"], "OK");
}

#[tokio::test]
async fn routing_errors_are_app_errors() {
    let (s, _, t) = TestServer::start_with_admin().await;
    expect_errors!(s;
        get("/api/v4/no/such/route", &t) => 404, "api.context.404.app_error";
        req(Method::DELETE, "/api/v4/system/ping", None, None) => 405, "api.context.405.app_error";
        get("/api/v4/users/not-an-id", &t) => 400, "api.context.invalid_url_param.app_error";
    );
    // Malformed JSON.
    s.raw(Method::PUT, "/api/v4/users/me/patch", Some(&t), "{not json")
        .await
        .assert_err(400, "api.context.invalid_body_param.app_error");
    // n8n's double slash reaches the same handler.
    let r = s.get("/api/v4//users", &t).await;
    assert_eq!(r.status, 200);
    assert!(r.body.as_array().is_some());
    // detailed_error is empty unless developer mode is on.
    let r = s.get("/api/v4/users/not-an-id", &t).await;
    assert_eq!(r.body["detailed_error"], "");
    s.patch_config(&t, json!({"ServiceSettings": {"EnableDeveloper": true}}))
        .await;
    let r = s.get("/api/v4/no/such/route", &t).await;
    assert!(
        r.body["detailed_error"]
            .as_str()
            .unwrap()
            .contains("/api/v4/no/such/route")
    );
}

#[tokio::test]
async fn garbage_never_causes_a_server_error() {
    let (s, admin, t) = TestServer::start_with_admin().await;
    let id = admin["id"].as_str().unwrap();
    let bodies = [
        "",
        "null",
        "[]",
        "{}",
        "\"x\"",
        "123",
        "{\"a\":",
        "[1,2]",
        "{\"roles\":5}",
        "\u{0}\u{1}",
    ];
    let routes: Vec<(Method, String)> = vec![
        (Method::POST, "/api/v4/users".into()),
        (Method::POST, "/api/v4/users/ids".into()),
        (Method::POST, "/api/v4/users/login".into()),
        (Method::PUT, format!("/api/v4/users/{id}/patch")),
        (Method::PUT, format!("/api/v4/users/{id}/active")),
        (Method::PUT, format!("/api/v4/users/{id}/password")),
        (Method::PUT, format!("/api/v4/users/{id}/roles")),
        (Method::POST, format!("/api/v4/users/{id}/sessions/revoke")),
        (Method::PUT, "/api/v4/config".into()),
        (Method::PUT, "/api/v4/config/patch".into()),
        (Method::POST, "/api/v4/roles/names".into()),
    ];
    for (m, path) in &routes {
        for b in bodies {
            let r = s
                .http
                .request(m.clone(), format!("{}{}", s.url, path))
                .bearer_auth(&t)
                .body(b)
                .send()
                .await
                .unwrap();
            let st = r.status();
            assert!(st.as_u16() < 500, "{m} {path} with {b:?} gave {st}");
        }
    }
    // The admin still works afterwards.
    assert_eq!(s.get("/api/v4/users/me", &t).await.status, 200);
    // What axum refuses by itself comes back as AppError JSON too.
    s.get("/api/v4/users/%FF", &t)
        .await
        .assert_err(400, "api.context.invalid_url_param.app_error");
    let big = "a".repeat(3 * 1024 * 1024);
    s.raw(Method::POST, "/api/v4/users/login", None, big)
        .await
        .assert_err(413, "api.context.body_too_large.app_error");
    // A flood of role names is refused rather than looked up one by one.
    let many: Vec<String> = (0..101).map(|i| format!("role_{i}")).collect();
    s.post("/api/v4/roles/names", &t, json!(many))
        .await
        .assert_err(400, "api.roles.get_multiple_by_name_too_many.request_error");
    let repeated: Vec<&str> = vec!["system_user"; 5000];
    let r = s.post("/api/v4/roles/names", &t, json!(repeated)).await;
    assert_eq!(r.items().len(), 1, "duplicates collapse");
}

#[tokio::test]
async fn first_user_is_admin_then_signup_rules_apply() {
    let (s, admin, t) = TestServer::start_with_admin().await;
    assert_eq!(admin["roles"], "system_admin system_user");
    assert!(admin.get("password").is_none());
    assert_eq!(admin["auth_data"], "");
    assert_eq!(admin["notify_props"]["email"], "true");
    // Anonymous sign-up is closed (EnableOpenServer is false by default).
    let r = s
        .sign_up(json!({"username":"bob","email":"bob@example.com","password":"Passw0rd!x"}))
        .await;
    r.assert_err(403, "api.user.create_user.no_open_server");
    s.patch_config(&t, json!({"TeamSettings": {"EnableOpenServer": true}}))
        .await;
    let r = s
        .sign_up(json!({"username":"bob","email":"bob@example.com","password":"Passw0rd!x","roles":"system_admin system_user"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.body["roles"], "system_user",
        "roles in the body are ignored"
    );
    let r = s
        .sign_up(json!({"username":"sso","email":"sso@example.com","password":"Passw0rd!x","auth_service":"gitlab","email_verified":true}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.body["auth_service"], "",
        "only admins choose the auth service"
    );
    assert!(r.body.get("email_verified").is_none());
    s.patch_config(&t, json!({"TeamSettings": {"EnableUserCreation": false}}))
        .await;
    let r = s
        .sign_up(json!({"username":"carl","email":"carl@example.com","password":"Passw0rd!x"}))
        .await;
    r.assert_err(501, "api.user.create_user.signup_email_disabled.app_error");
    s.patch_config(
        &t,
        json!({"EmailSettings": {"EnableSignUpWithEmail": false}}),
    )
    .await;
    let r = s
        .sign_up(json!({"username":"carl","email":"carl@example.com","password":"Passw0rd!x"}))
        .await;
    r.assert_err(501, "api.user.create_user.signup_email_disabled.app_error");
    // An admin may still create users.
    s.create_user(Some(&t), "carl", "Passw0rd!x").await;
}

#[tokio::test]
async fn create_user_validation_and_conflicts() {
    let (s, _, t) = TestServer::start_with_admin().await;
    let mk = |u: &str, e: &str, p: &str| json!({"username": u, "email": e, "password": p});
    expect_errors!(s;
        post("/api/v4/users", &t, mk("admin", "other@example.com", "Passw0rd!x"))
            => 400, "app.user.save.username_exists.app_error";
        post("/api/v4/users", &t, mk("other", "ADMIN@example.com", "Passw0rd!x"))
            => 400, "app.user.save.email_exists.app_error";
        post("/api/v4/users", &t, mk("Bad Name", "x@example.com", "Passw0rd!x"))
            => 400, "model.user.is_valid.username.app_error";
        post("/api/v4/users", &t, mk("okname", "not-an-email", "Passw0rd!x"))
            => 400, "model.user.is_valid.email.app_error";
        post("/api/v4/users", &t, mk("okname", "ok@example.com", "short"))
            => 400, "model.user.is_valid.pwd_min_length.app_error";
        post("/api/v4/users", &t, mk("okname", "ok@example.com", &"x".repeat(73)))
            => 400, "model.user.is_valid.pwd_max_length.app_error";
    );
    s.patch_config(
        &t,
        json!({"PasswordSettings": {"MinimumLength": 12, "Number": true}}),
    )
    .await;
    expect_errors!(s;
        post("/api/v4/users", &t, mk("okname", "ok@example.com", "abcdefghijkl"))
            => 400, "model.user.is_valid.pwd_number.app_error";
    );
    let r = s
        .post(
            "/api/v4/users",
            &t,
            mk("okname", "ok@example.com", "abcdefghijk1"),
        )
        .await;
    assert_eq!(r.status, 201);
    // n8n's user.create body: camelCase extra keys and boolean notify props.
    let n8n = json!({"auth_service":"email","username":"carol","first_name":"Carol","last_name":"C",
        "locale":"en","nickname":"cc","notificationUi":{"notificationValues":{"x":1}},
        "notify_props":{"channel":true,"desktop":"mention","desktop_sound":false,"email":true,
        "first_name":true,"mention_keys":"carol,@carol","push":"all"},
        "email":"carol+n8n@example.com","password":"Passw0rd!xyz1"});
    let r = s.post("/api/v4/users", &t, n8n).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["notify_props"]["desktop_sound"], "false");
    assert_eq!(r.body["notify_props"]["push"], "all");
    assert_eq!(r.body["email"], "carol+n8n@example.com");
}

#[tokio::test]
async fn get_users_paging_and_lookups() {
    let (s, admin, t) = TestServer::start_with_admin().await;
    for i in 0..64 {
        s.create_user(Some(&t), &format!("user{i:02}"), "Passw0rd!x")
            .await;
    }
    let r = s.get("/api/v4/users", &t).await;
    assert_eq!(r.items().len(), 60, "default per_page is 60");
    let r = s.get("/api/v4/users?page=1&per_page=60", &t).await;
    assert_eq!(r.items().len(), 5);
    let r = s.get("/api/v4/users?page=9&per_page=60", &t).await;
    assert_eq!(r.body, json!([]));
    let r = s.get("/api/v4/users?per_page=500", &t).await;
    assert_eq!(
        r.items().len(),
        65,
        "per_page is capped at 200, not refused"
    );
    let r = s.get("/api/v4/users?page=-3&per_page=abc", &t).await;
    assert_eq!(r.items().len(), 60, "bad paging falls back to defaults");
    let names: Vec<&str> = r.strings("username");
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "ordered by username");
    // Unauthenticated.
    s.req(Method::GET, "/api/v4/users", None, None)
        .await
        .assert_err(401, "api.context.session_expired.app_error");

    let (u, ut) = s.user(&t, "viewer").await;
    let uid = u["id"].as_str().unwrap();
    let me = s.get("/api/v4/users/me", &ut).await;
    assert_eq!(me.body["id"], uid);
    assert!(
        me.body.get("notify_props").is_some(),
        "self view keeps notify_props"
    );
    assert!(me.body.get("last_password_update").is_some());
    let other = s
        .get(
            &format!("/api/v4/users/{}", admin["id"].as_str().unwrap()),
            &ut,
        )
        .await;
    assert!(
        other.body.get("notify_props").is_none(),
        "others' notify_props hidden"
    );
    assert!(other.body.get("last_password_update").is_none());
    assert_eq!(other.body["email"], "admin@example.com");
    s.get("/api/v4/users/aaaaaaaaaaaaaaaaaaaaaaaaaa", &t)
        .await
        .assert_err(404, "app.user.missing_account.const");
    let r = s.get("/api/v4/users/username/viewer", &t).await;
    assert_eq!(r.body["id"], uid);
    expect_errors!(s;
        get("/api/v4/users/username/VIEWER", &t) => 400, "api.context.invalid_body_param.app_error";
        get("/api/v4/users/username/nobody", &t) => 404, "app.user.get_by_username.app_error";
    );
    s.create_user(Some(&t), "plus", "Passw0rd!x").await;
    let r = s
        .create_user_with(
            &t,
            json!({"username":"plusser","email":"a+b@example.com","password":"Passw0rd!x"}),
        )
        .await;
    assert_eq!(r.status, 201);
    let r = s.get("/api/v4/users/email/a+b@example.com", &t).await;
    assert_eq!(
        r.body["username"], "plusser",
        "a raw + in the path is literal: {}",
        r.text
    );
    expect_errors!(s;
        get("/api/v4/users/email/nope@example.com", &t) => 404, "app.user.missing_account.const";
        get("/api/v4/users/email/notanemail", &t) => 400, "api.context.invalid_url_param.app_error";
    );
    s.patch_config(&t, json!({"PrivacySettings": {"ShowEmailAddress": false}}))
        .await;
    s.get("/api/v4/users/email/a+b@example.com", &ut)
        .await
        .assert_err(403, "api.user.get_user_by_email.permissions.app_error");
    let other = s
        .get(
            &format!("/api/v4/users/{}", admin["id"].as_str().unwrap()),
            &ut,
        )
        .await;
    assert_eq!(
        other.body["email"], "",
        "privacy setting hides e-mail from non-admins"
    );

    // POST /users/ids: bare array, n8n's leading spaces, since.
    let aid = admin["id"].as_str().unwrap();
    let r = s
        .post("/api/v4/users/ids", &t, json!([aid, format!(" {uid}")]))
        .await;
    assert_eq!(r.items().len(), 2, "{}", r.text);
    let r = s
        .post("/api/v4/users/ids?per_page=1", &t, json!([aid, uid]))
        .await;
    assert_eq!(r.items().len(), 2, "per_page is ignored as upstream");
    let future = rustmost_model::now_ms() + 60_000;
    let r = s
        .post(
            &format!("/api/v4/users/ids?since={future}"),
            &t,
            json!([aid, uid]),
        )
        .await;
    assert_eq!(r.body, json!([]));
    expect_errors!(s;
        post("/api/v4/users/ids", &t, json!([])) => 400, "api.context.invalid_body_param.app_error";
        post("/api/v4/users/ids?since=yesterday", &t, json!([aid]))
            => 400, "api.context.invalid_body_param.app_error";
        post("/api/v4/users/ids", &t, json!({"a": 1}))
            => 400, "api.context.invalid_body_param.app_error";
    );
}

#[tokio::test]
async fn patch_user_rules() {
    let (s, admin, t) = TestServer::start_with_admin().await;
    let (u, ut) = s.user(&t, "pat").await;
    let (_, vt) = s.user(&t, "vic").await;
    let uid = u["id"].as_str().unwrap();
    let r = s
        .patch_user(
            &ut,
            "me",
            json!({"nickname":"P","password":"ignored-Passw0rd"}),
        )
        .await;
    assert_eq!(r.body["nickname"], "P");
    // Password in a patch is ignored: the old one still logs in.
    s.login("pat", "User-Passw0rd!").await;
    expect_errors!(s;
        patch_user(&vt, &uid, json!({"nickname":"x"}))
            => 403, "api.context.permissions.app_error";
    );
    let r = s.patch_user(&t, uid, json!({"first_name":"Pat"})).await;
    assert_eq!(r.body["first_name"], "Pat");
    expect_errors!(s;
        patch_user(&t, &uid, json!({"username":"vic"}))
            => 400, "app.user.save.username_exists.app_error";
        patch_user(&t, &uid, json!({"username":"NOT VALID"}))
            => 400, "model.user.is_valid.username.app_error";
        put("/api/v4/users/aaaaaaaaaaaaaaaaaaaaaaaaaa/patch", &t, json!({"nickname":"x"}))
            => 400, "api.context.invalid_body_param.app_error";
        // Changing one's own e-mail needs the current password.
        patch_user(&ut, "me", json!({"email":"new-pat@example.com"}))
            => 400, "api.context.invalid_body_param.app_error";
        patch_user(&ut, "me", json!({"email":"new-pat@example.com","password":"wrong"}))
            => 401, "api.user.check_user_password.invalid.app_error";
    );
    let r = s
        .patch_user(
            &ut,
            "me",
            json!({"email":"new-pat@example.com","password":"User-Passw0rd!"}),
        )
        .await;
    assert_eq!(r.body["email"], "new-pat@example.com", "{}", r.text);
    // An admin changes others' e-mail without a password; anonymous callers cannot pick the
    // authentication service.
    let r = s
        .patch_user(&t, uid, json!({"email":"pat2@example.com"}))
        .await;
    assert_eq!(r.body["email"], "pat2@example.com");
    let aid = admin["id"].as_str().unwrap();
    expect_errors!(s;
        patch_user(&ut, &aid, json!({"nickname":"x"}))
            => 403, "api.context.permissions.app_error";
    );
}

#[tokio::test]
async fn deactivation_ends_sessions_and_reactivation_restores_login() {
    let (s, admin, t) = TestServer::start_with_admin().await;
    let (u, ut) = s.user(&t, "dee").await;
    let (_, vt) = s.user(&t, "other").await;
    let uid = u["id"].as_str().unwrap();
    let path = format!("/api/v4/users/{uid}/active");
    expect_errors!(s;
        put(&path, &vt, json!({"active": false}))
            => 403, "api.user.update_active.permissions.app_error";
        put(&path, &ut, json!({"active": false}))
            => 401, "api.user.update_active.not_enable.app_error";
        put(&path, &t, json!({"active": "no"})) => 400, "api.context.invalid_body_param.app_error";
    );
    s.put(&path, &t, json!({"active": false})).await.assert_ok();
    s.get("/api/v4/users/me", &ut)
        .await
        .assert_err(401, "api.context.session_expired.app_error");
    let r = s.try_login("dee", "User-Passw0rd!").await;
    r.assert_err(401, "api.user.login.inactive.app_error");
    let r = s.get(&format!("/api/v4/users/{uid}"), &t).await;
    assert_ne!(r.body["delete_at"], 0);
    let r = s.get("/api/v4/users?inactive=true", &t).await;
    assert_eq!(r.items().len(), 1);
    s.put(&path, &t, json!({"active": true})).await.assert_ok();
    let t2 = s.login("dee", "User-Passw0rd!").await;
    assert_eq!(s.get("/api/v4/users/me", &t2).await.status, 200);
    // Self-deactivation when allowed.
    s.patch_config(
        &t,
        json!({"TeamSettings": {"EnableUserDeactivation": true}}),
    )
    .await;
    s.put(&path, &t2, json!({"active": false}))
        .await
        .assert_ok();
    s.get("/api/v4/users/me", &t2)
        .await
        .assert_err(401, "api.context.session_expired.app_error");
    // DELETE deactivates; an admin cannot be deactivated by a non-admin.
    let aid = admin["id"].as_str().unwrap();
    s.delete(&format!("/api/v4/users/{aid}"), &vt)
        .await
        .assert_err(403, "api.context.permissions.app_error");
    let (w, wt) = s.user(&t, "wendy").await;
    let wid = w["id"].as_str().unwrap();
    s.delete(&format!("/api/v4/users/{wid}?permanent=true"), &t)
        .await
        .assert_err(401, "api.user.delete_user.not_enabled.app_error");
    s.delete(&format!("/api/v4/users/{wid}"), &t)
        .await
        .assert_ok();
    expect_errors!(s;
        get("/api/v4/users/me", &wt) => 401, "api.context.session_expired.app_error";
        delete("/api/v4/users/aaaaaaaaaaaaaaaaaaaaaaaaaa", &t)
            => 404, "app.user.missing_account.const";
    );
}

#[tokio::test]
async fn password_change_rules_and_session_termination() {
    let (s, _, t) = TestServer::start_with_admin().await;
    let (u, ut) = s.user(&t, "pwuser").await;
    let uid = u["id"].as_str().unwrap();
    let other_session = s.login("pwuser", "User-Passw0rd!").await;
    let path = format!("/api/v4/users/{uid}/password");
    expect_errors!(s;
        put(&path, &ut, json!({"new_password":"New-Passw0rd!"}))
            => 400, "api.context.invalid_body_param.app_error";
        put(&path, &ut, json!({"current_password":"wrong-one","new_password":"New-Passw0rd!"}))
            => 400, "api.user.update_password.incorrect.app_error";
    );
    let after = s.get(&format!("/api/v4/users/{uid}"), &t).await;
    assert_eq!(
        after.body["failed_attempts"],
        serde_json::Value::Null,
        "hidden from others"
    );
    let stored = s.state.store.get_user(uid).await.unwrap();
    assert_eq!(
        stored.failed_attempts, 1,
        "a wrong current password counts as a failed attempt"
    );
    expect_errors!(s;
        put(&path, &ut, json!({"current_password":"User-Passw0rd!","new_password":"short"}))
            => 400, "model.user.is_valid.pwd_min_length.app_error";
    );
    let (_, vt) = s.user(&t, "pvuser").await;
    s.put(&path, &vt, json!({"new_password":"New-Passw0rd!"}))
        .await
        .assert_err(403, "api.user.update_password.context.app_error");
    s.put(
        &path,
        &ut,
        json!({"current_password":"User-Passw0rd!","new_password":"New-Passw0rd!"}),
    )
    .await
    .assert_ok();
    assert_eq!(
        s.get("/api/v4/users/me", &ut).await.status,
        200,
        "current session survives"
    );
    s.get("/api/v4/users/me", &other_session)
        .await
        .assert_err(401, "api.context.session_expired.app_error");
    s.login("pwuser", "New-Passw0rd!").await;
    // An admin sets it without the current password.
    s.put(&path, &t, json!({"new_password":"Admin-Set-Passw0rd"}))
        .await
        .assert_ok();
    s.login("pwuser", "Admin-Set-Passw0rd").await;
}

#[tokio::test]
async fn login_rules_cookies_and_lockout() {
    let s = TestServer::start_with_env(&[("MM_SERVICESETTINGS_MAXIMUMLOGINATTEMPTS", "3")]).await;
    let (_, t) = s.admin().await;
    s.user(&t, "lock").await;
    let login = |id: &str, pw: &str| json!({"login_id": id, "password": pw});
    expect_errors!(s;
        req(Method::POST, "/api/v4/users/login", None, Some(login("lock", "")))
            => 400, "api.user.login.blank_pwd.app_error";
        req(Method::POST, "/api/v4/users/login", None, Some(login("nobody", "x")))
            => 401, "api.user.login.invalid_credentials_email_username";
    );
    for _ in 0..3 {
        expect_errors!(s;
            req(Method::POST, "/api/v4/users/login", None, Some(login("lock", "wrong")))
                => 401, "api.user.login.invalid_credentials_email_username";
        );
    }
    expect_errors!(s;
        req(Method::POST, "/api/v4/users/login", None, Some(login("lock", "User-Passw0rd!")))
            => 401, "api.user.check_user_login_attempts.too_many.app_error";
    );
    // Login by e-mail, case-insensitively; no cookies without X-Requested-With.
    let r = s
        .req(
            Method::POST,
            "/api/v4/users/login",
            None,
            Some(login("ADMIN@example.com", ADMIN_PASSWORD)),
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.headers.get("set-cookie").is_none());
    assert_eq!(r.headers["token"].len(), 26);
    assert_eq!(r.body["username"], "admin");
    assert!(r.body.get("password").is_none());
    let r = s
        .http
        .post(format!("{}/api/v4/users/login", s.url))
        .header("X-Requested-With", "XMLHttpRequest")
        .json(&login("admin", ADMIN_PASSWORD))
        .send()
        .await
        .unwrap();
    let cookies: Vec<String> = crate::common::set_cookies(&r);
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("MMAUTHTOKEN=") && c.contains("HttpOnly"))
    );
    assert!(cookies.iter().any(|c| c.starts_with("MMUSERID=")));
    assert!(cookies.iter().any(|c| c.starts_with("MMCSRF=")));
    // Username sign-in can be switched off.
    s.patch_config(
        &t,
        json!({"EmailSettings": {"EnableSignInWithUsername": false}}),
    )
    .await;
    expect_errors!(s;
        req(Method::POST, "/api/v4/users/login", None, Some(login("admin", ADMIN_PASSWORD)))
            => 401, "api.user.login.invalid_credentials_email";
    );
}

fn cookie_value(cookies: &[String], name: &str) -> String {
    cookies
        .iter()
        .find_map(|c| {
            c.strip_prefix(&format!("{name}="))
                .map(|v| v.split(';').next().unwrap().to_string())
        })
        .unwrap()
}

#[tokio::test]
async fn csrf_and_token_locations() {
    let (s, _, t) = TestServer::start_with_admin().await;
    let r = s
        .http
        .post(format!("{}/api/v4/users/login", s.url))
        .header("X-Requested-With", "XMLHttpRequest")
        .json(&json!({"login_id":"admin","password":ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookies: Vec<String> = crate::common::set_cookies(&r);
    let auth = cookie_value(&cookies, "MMAUTHTOKEN");
    let csrf = cookie_value(&cookies, "MMCSRF");
    let cookie = format!("MMAUTHTOKEN={auth}; MMCSRF={csrf}");
    let put = |h: Vec<(&'static str, String)>| {
        let mut rb = s
            .http
            .put(format!("{}/api/v4/users/me/patch", s.url))
            .header("Cookie", cookie.clone())
            .json(&json!({"nickname":"n"}));
        for (k, v) in h {
            rb = rb.header(k, v);
        }
        rb.send()
    };
    // GET with a cookie needs no CSRF token.
    let r = s
        .http
        .get(format!("{}/api/v4/users/me", s.url))
        .header("Cookie", cookie.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = crate::common::Resp::read(put(vec![]).await.unwrap()).await;
    r.assert_err(401, "api.context.session_expired.app_error");
    // A CSRF failure does not log the session out in Rustmost's cache: the right header works.
    let r = put(vec![("X-CSRF-Token", csrf.clone())]).await.unwrap();
    assert_eq!(r.status(), 200);
    let r = put(vec![("X-Requested-With", "XMLHttpRequest".into())])
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "X-Requested-With passes unless strict");
    let r = put(vec![("X-CSRF-Token", "wrong".into())]).await.unwrap();
    assert_eq!(r.status(), 401);
    s.patch_config(
        &t,
        json!({"ServiceSettings": {"ExperimentalStrictCSRFEnforcement": true}}),
    )
    .await;
    let r = put(vec![("X-Requested-With", "XMLHttpRequest".into())])
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "strict mode needs the token");
    let r = put(vec![("X-CSRF-Token", csrf.clone())]).await.unwrap();
    assert_eq!(r.status(), 200);
    // Bearer requests never need CSRF.
    assert_eq!(
        s.patch_user(&t, "me", json!({"nickname":"b"})).await.status,
        200
    );
    // `Authorization: Token` works too.
    let r = s
        .http
        .get(format!("{}/api/v4/users/me", s.url))
        .header("Authorization", format!("Token {t}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // A session token in the query string is refused (it is not OAuth).
    expect_errors!(s;
        req(Method::GET, &format!("/api/v4/users/me?access_token={t}"), None, None)
            => 401, "api.context.token_provided.app_error";
    );
    // A bad token on a route that needs no session is ignored...
    let r = s
        .req(
            Method::GET,
            "/api/v4/config/client?format=old",
            Some("bogus"),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    // ...but the query-string and CSRF rules apply on every route: a cookie logout without the
    // CSRF token is refused and the session survives.
    expect_errors!(s;
        req(Method::POST, &format!("/api/v4/users/logout?access_token={t}"), None, None)
            => 401, "api.context.token_provided.app_error";
    );
    let r = s
        .http
        .post(format!("{}/api/v4/users/logout", s.url))
        .header("Cookie", cookie.clone())
        .send()
        .await
        .unwrap();
    crate::common::Resp::read(r)
        .await
        .assert_err(401, "api.context.session_expired.app_error");
    let r = s
        .http
        .get(format!("{}/api/v4/users/me", s.url))
        .header("Cookie", cookie.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "session survived the refused logout");
}

#[tokio::test]
async fn logout_ends_the_session() {
    let (s, _, t) = TestServer::start_with_admin().await;
    let r = s
        .req(Method::POST, "/api/v4/users/logout", Some(&t), None)
        .await;
    assert_eq!(r.body, json!({"status":"OK"}));
    assert!(
        r.headers
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("MMAUTHTOKEN=;"))
    );
    s.get("/api/v4/users/me", &t)
        .await
        .assert_err(401, "api.context.session_expired.app_error");
    // Logging out without a session is fine.
    let r = s
        .req(Method::POST, "/api/v4/users/logout", None, None)
        .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn sessions_list_and_revoke() {
    let (s, _, t) = TestServer::start_with_admin().await;
    let (u, ut) = s.user(&t, "sess").await;
    let uid = u["id"].as_str().unwrap();
    let second = s.login("sess", "User-Passw0rd!").await;
    let r = s.get(&format!("/api/v4/users/{uid}/sessions"), &ut).await;
    let list = r.items();
    assert_eq!(list.len(), 2);
    assert!(
        list.iter()
            .all(|x| x["token"] == "" && x["props"].get("csrf").is_none())
    );
    let (_, vt) = s.user(&t, "nosy").await;
    s.get(&format!("/api/v4/users/{uid}/sessions"), &vt)
        .await
        .assert_err(403, "api.context.permissions.app_error");
    assert_eq!(
        s.get(&format!("/api/v4/users/{uid}/sessions"), &t)
            .await
            .status,
        200
    );
    // Revoke the second session by id.
    let me = s.get("/api/v4/users/me", &second).await;
    assert_eq!(me.status, 200);
    let ids: Vec<String> = list
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect();
    let path = format!("/api/v4/users/{uid}/sessions/revoke");
    expect_errors!(s;
        post(&path, &ut, json!({})) => 400, "api.context.invalid_body_param.app_error";
        post(&path, &ut, json!({"session_id": "aaaaaaaaaaaaaaaaaaaaaaaaaa"}))
            => 400, "app.session.get.app_error";
        post(&path, &vt, json!({"session_id": ids[0]})) => 403, "api.context.permissions.app_error";
    );
    for id in &ids {
        s.post(&path, &t, json!({"session_id": id}))
            .await
            .assert_ok();
    }
    expect_errors!(s;
        get("/api/v4/users/me", &ut) => 401, "api.context.session_expired.app_error";
        get("/api/v4/users/me", &second) => 401, "api.context.session_expired.app_error";
    );
    // Revoke all for one user, then for everybody.
    let a = s.login("sess", "User-Passw0rd!").await;
    s.post(
        &format!("/api/v4/users/{uid}/sessions/revoke/all"),
        &t,
        json!({}),
    )
    .await
    .assert_ok();
    expect_errors!(s;
        get("/api/v4/users/me", &a) => 401, "api.context.session_expired.app_error";
        post("/api/v4/users/sessions/revoke/all", &vt, json!({}))
            => 403, "api.context.permissions.app_error";
    );
    s.post("/api/v4/users/sessions/revoke/all", &t, json!({}))
        .await
        .assert_ok();
    expect_errors!(s;
        get("/api/v4/users/me", &t) => 401, "api.context.session_expired.app_error";
        get("/api/v4/users/me", &vt) => 401, "api.context.session_expired.app_error";
    );
}

#[tokio::test]
async fn user_roles_rules_and_live_sessions() {
    let (s, admin, t) = TestServer::start_with_admin().await;
    let (u, ut) = s.user(&t, "rolly").await;
    let uid = u["id"].as_str().unwrap();
    let path = format!("/api/v4/users/{uid}/roles");
    expect_errors!(s;
        put(&path, &ut, json!({"roles":"system_user system_admin"}))
            => 403, "api.context.permissions.app_error";
        put(&path, &t, json!({"roles":"system_admin"}))
            => 400, "api.context.invalid_body_param.app_error";
        put(&path, &t, json!({"roles":"System_User"}))
            => 400, "api.context.invalid_body_param.app_error";
        put(&path, &t, json!({"roles":"system_user no_such_role"}))
            => 400, "app.role.check_roles_exist.role_not_found";
        put(&path, &t, json!({"roles":"system_user system_manager"}))
            => 400, "api.user.update_user_roles.license.app_error";
        put("/api/v4/users/aaaaaaaaaaaaaaaaaaaaaaaaaa/roles", &t, json!({"roles":"system_user"}))
            => 400, "app.user.missing_account.const";
        // The live session sees a promotion at once, and a demotion too.
        get("/api/v4/config", &ut) => 403, "api.context.permissions.app_error";
    );
    let r = s
        .put(&path, &t, json!({"roles":"system_user system_admin"}))
        .await;
    assert_eq!(r.body, json!({"status":"OK"}));
    assert_eq!(s.get("/api/v4/config", &ut).await.status, 200);
    assert_eq!(
        s.get("/api/v4/users/me", &ut).await.body["roles"],
        "system_user system_admin"
    );
    s.put(
        &path,
        &t,
        json!({"roles":"system_user system_user_access_token"}),
    )
    .await
    .assert_ok();
    s.get("/api/v4/config", &ut)
        .await
        .assert_err(403, "api.context.permissions.app_error");
    let sessions = s.get(&format!("/api/v4/users/{uid}/sessions"), &t).await;
    assert!(
        sessions
            .items()
            .iter()
            .all(|x| x["roles"] == "system_user system_user_access_token")
    );
    // The last system admin cannot be demoted.
    let aid = admin["id"].as_str().unwrap();
    s.set_roles(&t, aid, "system_user")
        .await
        .assert_err(400, "app.user.update.lastAdmin.app_error");
}

#[tokio::test]
async fn roles_endpoints_and_live_permission_changes() {
    let (s, _, t) = TestServer::start_with_admin().await;
    let (_, ut) = s.user(&t, "roley").await;
    let r = s.get("/api/v4/roles", &t).await;
    let all = r.items();
    assert!(all.len() >= 20);
    let pat = all
        .iter()
        .find(|r| r["name"] == "system_user_access_token")
        .unwrap();
    let mut perms: Vec<&str> = pat["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    perms.sort();
    assert_eq!(
        perms,
        [
            "create_user_access_token",
            "read_user_access_token",
            "revoke_user_access_token"
        ]
    );
    assert_eq!(pat["built_in"], true);
    s.get("/api/v4/roles", &ut)
        .await
        .assert_err(403, "api.context.permissions.app_error");
    let su = s.get("/api/v4/roles/name/system_user", &ut).await;
    assert_eq!(su.body["name"], "system_user");
    assert_eq!(su.body["scheme_managed"], true);
    let id = su.id();
    assert_eq!(
        s.get(&format!("/api/v4/roles/{id}"), &ut).await.body["name"],
        "system_user"
    );
    expect_errors!(s;
        get("/api/v4/roles/name/nope", &ut) => 404, "app.role.get_by_name.app_error";
        get("/api/v4/roles/name/Bad-Name", &ut) => 400, "api.context.invalid_url_param.app_error";
        get("/api/v4/roles/aaaaaaaaaaaaaaaaaaaaaaaaaa", &ut) => 404, "app.role.get.app_error";
    );
    let r = s
        .post(
            "/api/v4/roles/names",
            &ut,
            json!(["system_user", "team_user", "unknown_role"]),
        )
        .await;
    assert_eq!(r.items().len(), 2);
    s.post("/api/v4/roles/names", &ut, json!([]))
        .await
        .assert_err(400, "api.context.invalid_body_param.app_error");
    // Granting edit_other_users to system_user reaches a live session at once (the target is
    // not an admin: edit_other_users never reaches those).
    let (other, _) = s.user(&t, "other").await;
    let oid = other["id"].as_str().unwrap();
    let target = format!("/api/v4/users/{oid}/sessions");
    s.get(&target, &ut)
        .await
        .assert_err(403, "api.context.permissions.app_error");
    let mut new_perms: Vec<Value> = su.body["permissions"].as_array().unwrap().clone();
    new_perms.push(json!("edit_other_users"));
    s.patch_role(&ut, &id, json!(new_perms.clone()))
        .await
        .assert_err(403, "api.context.permissions.app_error");
    let r = s.patch_role(&t, &id, json!(new_perms)).await;
    assert!(
        r.body["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "edit_other_users")
    );
    assert_eq!(s.get(&target, &ut).await.status, 200);
    expect_errors!(s;
        put("/api/v4/roles/aaaaaaaaaaaaaaaaaaaaaaaaaa/patch", &t, json!({"permissions": []}))
            => 404, "app.role.get.app_error";
    );
    // A role patch may not move manage_system or manage_roles, nor touch guest roles.
    let mut escalate: Vec<Value> = r.body["permissions"].as_array().unwrap().clone();
    escalate.push(json!("manage_system"));
    s.patch_role(&t, &id, json!(escalate))
        .await
        .assert_err(501, "api.roles.patch_roles.not_allowed_permission.error");
    let guest = s.get("/api/v4/roles/name/system_guest", &t).await.id();
    s.patch_role(&t, &guest, json!([]))
        .await
        .assert_err(501, "api.roles.patch_roles.license.error");
    // Duplicates are dropped.
    let r = s
        .patch_role(
            &t,
            &id,
            json!(["create_team", "create_team", "edit_other_users"]),
        )
        .await;
    assert_eq!(
        r.body["permissions"],
        json!(["create_team", "edit_other_users"])
    );
}

/// Upstream's `DoLogin` marks the session with the user's guest flag; clients and plugins read it.
#[tokio::test]
async fn a_guest_login_session_is_marked_as_a_guest_session() {
    let (s, _admin, admin_token) = TestServer::start_with_admin().await;
    let (_u, t) = s.user(&admin_token, "gwen").await;
    let gwen = s.get("/api/v4/users/me", &t).await.id();
    s.raw_execute(
        "UPDATE users SET roles = 'system_guest' WHERE id = $1",
        &[crate::common::SqlArg::Text(&gwen)],
    )
    .await;
    let guest = s.login("gwen", "User-Passw0rd!").await;
    let sessions = s.get("/api/v4/users/me/sessions", &guest).await;
    let mut listed: Vec<&Value> = sessions.items().iter().collect();
    listed.sort_by_key(|x| x["create_at"].as_i64());
    let flags: Vec<&Value> = listed.iter().map(|x| &x["props"]["is_guest"]).collect();
    // The session made before the role change says false, the guest's login says true.
    assert_eq!(
        flags,
        [&json!("false"), &json!("true")],
        "{}",
        sessions.body
    );
}
