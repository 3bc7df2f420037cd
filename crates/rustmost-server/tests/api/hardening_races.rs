//! Races and floods around login and credentials: an admin's decision (demotion, deactivation,
//! password reset) committed while a login or password change is checking a password must not
//! be undone or outlived; parallel wrong passwords must all count; the per-user session limit;
//! access tokens on routes where a session is optional; the cookie's `Secure` flag; a conversion
//! between bot and user that must not undo a deactivation or demotion.
//!
//! The "meanwhile" is forced by holding every password-hashing slot: the login has read the
//! user and waits for a slot, the admin's change commits, then the slots are released.

use crate::common::TestServer;
use rustmost_server::app::{activation, bots, credentials, sessions, users};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

const PW: &str = "User-Passw0rd!";

fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

async fn login_req(srv: &TestServer, login_id: &str, pw: &str) -> crate::common::Resp {
    srv.try_login(login_id, pw).await
}

/// Runs `request` while every hashing slot is held, waits until it is blocked on one (it has
/// read what it reads before checking a password), runs `meanwhile`, then releases the slots
/// and returns the request's answer.
async fn with_change_during_password_check<F, T>(
    request: F,
    meanwhile: impl std::future::Future<Output = ()>,
) -> T
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let mut held = Vec::new();
    for _ in 0..users::hash_slot_count() {
        held.push(users::hash_permit().await.unwrap());
    }
    let before = users::hash_slot_waiters();
    let task = tokio::spawn(request);
    // The request has read the user once it waits for a slot.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while users::hash_slot_waiters() <= before {
        assert!(
            std::time::Instant::now() < deadline,
            "the request never waited for a hashing slot"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(
        !task.is_finished(),
        "the request must be waiting for a hashing slot"
    );
    meanwhile.await;
    drop(held);
    task.await.unwrap()
}

/// A second admin (so the first may demote it): (user JSON).
async fn second_admin(srv: &TestServer) -> Value {
    let (_, admin) = srv.admin().await;
    let u = srv.create_user(Some(&admin), "second", PW).await;
    users::update_roles(&srv.state, id(&u), "system_user system_admin")
        .await
        .unwrap();
    u
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demotion_during_login_is_kept_and_the_new_session_has_the_new_roles() {
    let srv = TestServer::start().await;
    let u = second_admin(&srv).await;
    let (state, url, http) = (srv.state.clone(), srv.url.clone(), srv.http.clone());
    let uid = id(&u).to_string();
    let r = with_change_during_password_check(
        async move {
            let r = http
                .post(format!("{url}/api/v4/users/login"))
                .json(&json!({"login_id": "second", "password": PW}))
                .send()
                .await
                .unwrap();
            crate::common::Resp::read(r).await
        },
        async {
            users::update_roles(&state, &uid, "system_user")
                .await
                .unwrap();
        },
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["roles"], "system_user");
    let stored = srv.state.store.get_user(id(&u)).await.unwrap();
    assert_eq!(stored.roles, "system_user", "the login undid the demotion");
    let token = r.headers["Token"].to_str().unwrap().to_string();
    let s = credentials::resolve(&srv.state, &token).await.unwrap();
    assert_eq!(s.roles(), "system_user", "the session kept the old roles");
    srv.state.sessions.clear();
    let s = credentials::resolve(&srv.state, &token).await.unwrap();
    assert_eq!(
        s.roles(),
        "system_user",
        "the stored session kept the old roles"
    );
    srv.get("/api/v4/config", &token)
        .await
        .assert_err(403, "api.context.permissions.app_error");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deactivation_during_login_is_kept_and_the_login_refused() {
    let srv = TestServer::start().await;
    let u = second_admin(&srv).await;
    let (state, url, http) = (srv.state.clone(), srv.url.clone(), srv.http.clone());
    let uid = id(&u).to_string();
    let r = with_change_during_password_check(
        async move {
            let r = http
                .post(format!("{url}/api/v4/users/login"))
                .json(&json!({"login_id": "second", "password": PW}))
                .send()
                .await
                .unwrap();
            crate::common::Resp::read(r).await
        },
        async {
            let target = users::get_user(&state, &uid).await.unwrap();
            activation::set_active(&state, target, false).await.unwrap();
        },
    )
    .await;
    r.assert_err(401, "api.user.login.inactive.app_error");
    let stored = srv.state.store.get_user(id(&u)).await.unwrap();
    assert_ne!(stored.delete_at, 0, "the login reactivated the account");
    let left = srv
        .state
        .store
        .list_sessions_for_user(id(&u))
        .await
        .unwrap();
    assert!(
        left.is_empty(),
        "a session of the deactivated user survived"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_reset_during_login_is_kept() {
    let srv = TestServer::start().await;
    let u = second_admin(&srv).await;
    let (state, url, http) = (srv.state.clone(), srv.url.clone(), srv.http.clone());
    let uid = id(&u).to_string();
    let r = with_change_during_password_check(
        async move {
            let r = http
                .post(format!("{url}/api/v4/users/login"))
                .json(&json!({"login_id": "second", "password": PW}))
                .send()
                .await
                .unwrap();
            crate::common::Resp::read(r).await
        },
        async {
            // The reset hashes too: give it a slot of its own by hashing outside the hold.
            let hash = tokio::task::spawn_blocking(|| {
                use argon2::password_hash::{PasswordHasher, SaltString};
                let salt = SaltString::generate(&mut rand::rngs::OsRng);
                argon2::Argon2::default()
                    .hash_password(b"New-Passw0rd!", &salt)
                    .unwrap()
                    .to_string()
            })
            .await
            .unwrap();
            state
                .store
                .set_password(&uid, &hash, rustmost_model::now_ms())
                .await
                .unwrap();
        },
    )
    .await;
    // Checked against the password it read, the login itself may succeed, as upstream.
    assert_eq!(r.status, 200, "{}", r.body);
    login_req(&srv, "second", PW)
        .await
        .assert_err(401, "api.user.login.invalid_credentials_email_username");
    srv.login("second", "New-Passw0rd!").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demotion_during_ones_own_password_change_is_kept() {
    let srv = TestServer::start().await;
    let u = second_admin(&srv).await;
    let token = srv.login("second", PW).await;
    let (state, url, http) = (srv.state.clone(), srv.url.clone(), srv.http.clone());
    let uid = id(&u).to_string();
    let path = format!("{url}/api/v4/users/{uid}/password");
    let r = with_change_during_password_check(
        async move {
            let r = http
                .put(path)
                .bearer_auth(token)
                .json(&json!({"current_password": PW, "new_password": "New-Passw0rd!"}))
                .send()
                .await
                .unwrap();
            crate::common::Resp::read(r).await
        },
        async {
            users::update_roles(&state, &uid, "system_user")
                .await
                .unwrap();
        },
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let stored = srv.state.store.get_user(id(&u)).await.unwrap();
    assert_eq!(
        stored.roles, "system_user",
        "the password change undid the demotion"
    );
    srv.login("second", "New-Passw0rd!").await;
}

/// 40 wrong passwords, 10 at a time, against `MaximumLoginAttempts` 5: every guess counts, at
/// most 5 are checked, and the right password is then refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_passwords_all_count_towards_the_lockout() {
    let (srv, _, admin) = TestServer::start_with_admin().await;
    srv.patch_config(
        &admin,
        json!({"ServiceSettings": {"MaximumLoginAttempts": 5}}),
    )
    .await;
    let u = srv.create_user(Some(&admin), "target", PW).await;
    let mut checked = 0;
    for _ in 0..4 {
        let mut batch = tokio::task::JoinSet::new();
        for i in 0..10 {
            let (url, http) = (srv.url.clone(), srv.http.clone());
            batch.spawn(async move {
                let r = http
                    .post(format!("{url}/api/v4/users/login"))
                    .json(&json!({"login_id": "target", "password": format!("wrong-{i}")}))
                    .send()
                    .await
                    .unwrap();
                crate::common::Resp::read(r).await
            });
        }
        while let Some(r) = batch.join_next().await {
            let r = r.unwrap();
            assert_eq!(r.status, 401, "{}", r.body);
            if r.body["id"] == "api.user.login.invalid_credentials_email_username" {
                checked += 1;
            } else {
                assert_eq!(
                    r.body["id"],
                    "api.user.check_user_login_attempts.too_many.app_error"
                );
            }
        }
    }
    assert!(checked <= 5, "{checked} of 40 guesses were checked");
    let stored = srv.state.store.get_user(id(&u)).await.unwrap();
    assert!(stored.failed_attempts >= 5, "{}", stored.failed_attempts);
    login_req(&srv, "target", PW)
        .await
        .assert_err(401, "api.user.check_user_login_attempts.too_many.app_error");
}

/// Upstream's `maxSessionsLimit`: a login beyond 500 sessions revokes the least recently used.
#[tokio::test]
async fn a_login_beyond_the_session_limit_revokes_the_least_recently_used() {
    let (srv, _, admin) = TestServer::start_with_admin().await;
    let u = srv.create_user(Some(&admin), "many", PW).await;
    let now = rustmost_model::now_ms();
    let limit = sessions::MAX_SESSIONS_PER_USER;
    for i in 0..limit {
        srv.state
            .store
            .insert_session(&rustmost_store::SessionRow {
                id: format!("{i:026}"),
                token_hash: format!("hash{i}"),
                create_at: now,
                expires_at: now + 3_600_000,
                // Session 0 is the least recently used.
                last_activity_at: now - limit + i,
                user_id: id(&u).to_string(),
                device_id: String::new(),
                roles: "system_user".into(),
                is_oauth: false,
                props: BTreeMap::new(),
            })
            .await
            .unwrap();
    }
    let token = srv.login("many", PW).await;
    let left = srv
        .state
        .store
        .list_sessions_for_user(id(&u))
        .await
        .unwrap();
    assert_eq!(left.len() as i64, limit);
    assert!(!left.iter().any(|s| s.id == format!("{:026}", 0)));
    assert!(left.iter().any(|s| s.id == format!("{:026}", 1)));
    srv.get("/api/v4/users/me", &token).await.assert_ok();
}

/// With personal access tokens off, a token is refused on a route where a session is optional
/// (`POST /users`) as on every other route, instead of acting as its admin owner.
#[tokio::test]
async fn an_access_token_is_refused_on_an_optional_session_route_while_tokens_are_off() {
    let (srv, admin_u, admin) = TestServer::start_with_admin().await;
    srv.set_tokens_enabled(&admin, true).await;
    // One token used before the feature is turned off (its session exists), one never used.
    let (_, used) = srv.create_token(&admin, id(&admin_u), "used").await;
    srv.get("/api/v4/users/me", &used).await.assert_ok();
    let (_, unused) = srv.create_token(&admin, id(&admin_u), "unused").await;
    srv.set_tokens_enabled(&admin, false).await;
    for (n, secret) in [used, unused].iter().enumerate() {
        srv.get("/api/v4/users/me", secret)
            .await
            .assert_err(401, "api.context.session_expired.app_error");
        let name = format!("viapat{n}");
        let r = srv
            .create_user_with(
                secret,
                json!({"username": name, "email": format!("{name}@example.com"), "password": PW}),
            )
            .await;
        r.assert_err(401, "api.context.session_expired.app_error");
        assert!(srv.state.store.get_user_by_username(&name).await.is_err());
    }
}

async fn login_cookies(srv: &TestServer, forwarded_https: bool) -> Vec<String> {
    let mut rb = srv
        .http
        .post(format!("{}/api/v4/users/login", srv.url))
        .header("X-Requested-With", "XMLHttpRequest")
        .json(&json!({"login_id": "admin", "password": crate::common::ADMIN_PASSWORD}));
    if forwarded_https {
        rb = rb.header("X-Forwarded-Proto", "https");
    }
    let r = rb.send().await.unwrap();
    assert_eq!(r.status(), 200);
    crate::common::set_cookies(&r)
}

/// `Secure` follows the configured scheme, never a client-supplied `X-Forwarded-Proto`.
#[tokio::test]
async fn the_secure_cookie_flag_follows_the_site_url_not_a_forwarded_header() {
    let (srv, _, admin) = TestServer::start_with_admin().await;
    let cookies = login_cookies(&srv, true).await;
    assert_eq!(cookies.len(), 3);
    assert!(
        cookies.iter().all(|c| !c.contains("Secure")),
        "a client header made the cookies Secure: {cookies:?}"
    );
    srv.patch_config(
        &admin,
        json!({"ServiceSettings": {"SiteURL": "https://chat.example.com"}}),
    )
    .await;
    let cookies = login_cookies(&srv, false).await;
    assert!(
        cookies.iter().all(|c| c.ends_with("; Secure")),
        "{cookies:?}"
    );
    srv.patch_config(
        &admin,
        json!({"ServiceSettings": {"SiteURL": "http://chat.example.com"}}),
    )
    .await;
    let cookies = login_cookies(&srv, true).await;
    assert!(cookies.iter().all(|c| !c.contains("Secure")), "{cookies:?}");
}

/// Converting a bot to a user hashes the new password between reading the user and writing it:
/// the bot's deactivation committed meanwhile is kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_disabled_while_it_is_converted_to_a_user_stays_disabled() {
    let (srv, _, admin) = TestServer::start_with_admin().await;
    srv.enable_bot_creation(&admin).await;
    let b = srv.create_bot(&admin, "convbot").await;
    let bid = b["user_id"].as_str().unwrap().to_string();
    let bot = bots::get(&srv.state, &bid, true).await.unwrap();
    let state = srv.state.clone();
    let converted = with_change_during_password_check(
        async move {
            let patch = rustmost_model::user::UserPatch {
                email: Some("convbot@example.com".into()),
                ..Default::default()
            };
            bots::convert_to_user(&state, &bot, patch, PW, false)
                .await
                .map(|u| u.id)
                .map_err(|e| e.id)
        },
        async {
            bots::set_active(&srv.state, &bid, false).await.unwrap();
        },
    )
    .await;
    assert_eq!(converted.as_deref(), Ok(bid.as_str()));
    let stored = srv.state.store.get_user(&bid).await.unwrap();
    assert!(!stored.is_bot);
    assert_eq!(stored.email, "convbot@example.com");
    assert_ne!(stored.password, "");
    assert_ne!(stored.delete_at, 0, "the conversion re-enabled the account");
}

/// Converting a user to a bot writes from a copy of the user read earlier (the handler's): a
/// demotion and a deactivation committed since are kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_demoted_and_deactivated_before_its_conversion_to_a_bot_stays_so() {
    let srv = TestServer::start().await;
    let u = second_admin(&srv).await;
    let read_earlier = users::get_user(&srv.state, id(&u)).await.unwrap();
    users::update_roles(&srv.state, id(&u), "system_user")
        .await
        .unwrap();
    let target = users::get_user(&srv.state, id(&u)).await.unwrap();
    activation::set_active(&srv.state, target, false)
        .await
        .unwrap();
    bots::convert_from_user(&srv.state, read_earlier)
        .await
        .unwrap();
    let stored = srv.state.store.get_user(id(&u)).await.unwrap();
    assert!(stored.is_bot);
    assert_eq!(
        stored.roles, "system_user",
        "the conversion undid the demotion"
    );
    assert_ne!(
        stored.delete_at, 0,
        "the conversion reactivated the account"
    );
}
