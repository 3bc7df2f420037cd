//! Bot accounts over HTTP: every endpoint and its rules, bot tokens, and what happens to bots when
//! their owner is deactivated.

use crate::common::{TestServer, expect_errors};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

/// Admin session with bot creation on.
async fn setup() -> (TestServer, Value, String) {
    let (srv, admin_u, admin) = TestServer::start_with_admin().await;
    srv.enable_bot_creation(&admin).await;
    (srv, admin_u, admin)
}

#[tokio::test]
async fn create_bot_rules() {
    let (srv, admin_u, admin) = TestServer::start_with_admin().await;
    let (_, bob_s) = srv.user(&admin, "bob").await;
    // create_bot first, then the config switch.
    expect_errors!(srv;
        post("/api/v4/bots", &bob_s, json!({"username": "b1"}))
            => 403, "api.context.permissions.app_error";
        post("/api/v4/bots", &admin, json!({"username": "b1"})) => 403, "api.bot.create_disabled";
    );
    srv.enable_bot_creation(&admin).await;
    let r = srv
        .create_bot_with(
            &admin,
            json!({"username": "deploy-bot", "display_name": "Deploy", "description": "ships"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let b = &r.body;
    assert_eq!(b["username"], "deploy-bot");
    assert_eq!(b["display_name"], "Deploy");
    assert_eq!(b["description"], "ships");
    assert_eq!(b["owner_id"], admin_u["id"]);
    assert_eq!(b["delete_at"], 0);
    assert!(b["create_at"].as_i64().unwrap() > 0);
    assert!(b.get("last_icon_update").is_none());
    // The bot's user row.
    let u = srv
        .get(
            &format!("/api/v4/users/{}", b["user_id"].as_str().unwrap()),
            &admin,
        )
        .await;
    assert_eq!(u.body["is_bot"], true);
    assert_eq!(u.body["bot_description"], "ships");
    assert_eq!(u.body["email"], "deploy-bot@localhost");
    assert_eq!(u.body["roles"], "system_user");
    assert_eq!(u.body["first_name"], "Deploy");

    expect_errors!(srv;
        post("/api/v4/bots", &admin, json!({"username": "deploy-bot"}))
            => 400, "app.user.save.username_exists.app_error";
        post("/api/v4/bots", &admin, json!({"username": "1bad"}))
            => 400, "model.bot.is_valid.username.app_error";
        post("/api/v4/bots", &admin, json!({"username": "ok-name", "description": "d".repeat(1025)}))
            => 400, "model.bot.is_valid.description.app_error";
        post("/api/v4/bots", &admin, json!({"username": 5}))
            => 400, "api.context.invalid_body_param.app_error";
    );
}

#[tokio::test]
async fn bots_cannot_log_in_and_their_tokens_work_while_personal_tokens_are_off() {
    let (srv, _admin_u, admin) = setup().await;
    let b = srv.create_bot(&admin, "robot").await;
    let bot_id = b["user_id"].as_str().unwrap();
    // Tokens are off (the default), yet a bot token can be created and used.
    let (t, secret) = srv.create_token(&admin, bot_id, "ci").await;
    assert_eq!(t["user_id"], bot_id);
    let r = srv.get("/api/v4/users/me", &secret).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["is_bot"], true);
    assert_eq!(
        srv.get("/api/v4/users", &secret).await.status,
        StatusCode::OK
    );
    // A human's token is refused meanwhile.
    expect_errors!(srv;
        request_token(&admin, "me", json!({"description": "x"}))
            => 501, "app.user_access_token.disabled";
    );
    // The bot's session is marked as a bot session.
    let r = srv
        .get(&format!("/api/v4/users/{bot_id}/sessions"), &admin)
        .await;
    assert_eq!(r.body[0]["props"]["is_bot"], "true");

    // A user converted to a bot cannot log in any more.
    let (carl, carl_s) = srv.user(&admin, "carl").await;
    let r = srv
        .post(
            &format!("/api/v4/users/{}/convert_to_bot", id(&carl)),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["owner_id"], carl["id"]);
    assert_eq!(r.body["user_id"], carl["id"]);
    let r = srv.try_login("carl", "User-Passw0rd!").await;
    r.assert_err(401, "api.user.login.bot_login_forbidden.app_error");
    // Its old login session ended with the conversion.
    assert_eq!(
        srv.get("/api/v4/users/me", &carl_s).await.status.as_u16(),
        401
    );
}

#[tokio::test]
async fn get_list_and_visibility() {
    let (srv, admin_u, admin) = setup().await;
    let b1 = srv.create_bot(&admin, "one").await;
    let b2 = srv.create_bot(&admin, "two").await;
    let b1_id = b1["user_id"].as_str().unwrap().to_string();
    let (_, bob_s) = srv.user(&admin, "bob").await;

    let r = srv.get(&format!("/api/v4/bots/{b1_id}"), &admin).await;
    assert_eq!(r.body["username"], "one");
    expect_errors!(srv;
        get("/api/v4/bots/nope", &admin) => 400, "api.context.invalid_url_param.app_error";
        get(&format!("/api/v4/bots/{}", rustmost_model::new_id()), &admin)
            => 404, "store.sql_bot.get.missing.app_error";
        // Without read permissions, a bot looks absent.
        get(&format!("/api/v4/bots/{b1_id}"), &bob_s) => 404, "store.sql_bot.get.missing.app_error";
        get("/api/v4/bots", &bob_s) => 403, "api.context.permissions.app_error";
    );

    let r = srv.get("/api/v4/bots", &admin).await;
    let names: Vec<&str> = r.strings("username");
    assert_eq!(names, ["one", "two"]);
    let r = srv.get("/api/v4/bots?per_page=1&page=1", &admin).await;
    assert_eq!(r.items().len(), 1);
    assert_eq!(r.body[0]["user_id"], b2["user_id"]);

    // Disabled bots are hidden unless include_deleted.
    let r = srv
        .post(&format!("/api/v4/bots/{b1_id}/disable"), &admin, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["delete_at"].as_i64().unwrap() > 0);
    srv.get(&format!("/api/v4/bots/{b1_id}"), &admin)
        .await
        .assert_err(404, "store.sql_bot.get.missing.app_error");
    let r = srv
        .get(
            &format!("/api/v4/bots/{b1_id}?include_deleted=true"),
            &admin,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(srv.get("/api/v4/bots", &admin).await.items().len(), 1);
    assert_eq!(
        srv.get("/api/v4/bots?include_deleted=true", &admin)
            .await
            .items()
            .len(),
        2
    );
    // Orphaned: owner deactivated (with DisableBotsWhenOwnerIsDeactivated off, bots stay on).
    srv.patch_config(
        &admin,
        json!({"ServiceSettings": {"DisableBotsWhenOwnerIsDeactivated": false}}),
    )
    .await;
    let (dan, _) = srv.user(&admin, "dan").await;
    let dans = srv
        .post(
            &format!(
                "/api/v4/bots/{}/assign/{}",
                b2["user_id"].as_str().unwrap(),
                id(&dan)
            ),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(dans.body["owner_id"], dan["id"]);
    assert_eq!(
        srv.get("/api/v4/bots?only_orphaned=true", &admin)
            .await
            .body,
        json!([])
    );
    srv.put(
        &format!("/api/v4/users/{}/active", id(&dan)),
        &admin,
        json!({"active": false}),
    )
    .await
    .assert_ok();
    let r = srv.get("/api/v4/bots?only_orphaned=true", &admin).await;
    assert_eq!(r.items().len(), 1);
    assert_eq!(r.body[0]["user_id"], b2["user_id"]);
    assert_eq!(
        r.body[0]["delete_at"], 0,
        "kept enabled with the setting off"
    );
    let _ = admin_u;
}

#[tokio::test]
async fn patch_assign_and_manage_permissions() {
    let (srv, _admin_u, admin) = setup().await;
    let b = srv.create_bot(&admin, "robot").await;
    let bid = b["user_id"].as_str().unwrap().to_string();
    let (bob, bob_s) = srv.user(&admin, "bob").await;

    expect_errors!(srv;
        update_bot(&bob_s, &bid, json!({"description": "x"}))
            => 404, "store.sql_bot.get.missing.app_error";
    );
    let r = srv
        .update_bot(
            &admin,
            &bid,
            json!({"username": "renamed", "description": "new"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["username"], "renamed");
    assert_eq!(r.body["description"], "new");
    assert_eq!(r.body["display_name"], "robot");
    let u = srv.get(&format!("/api/v4/users/{bid}"), &admin).await;
    assert_eq!(u.body["username"], "renamed");
    assert_eq!(u.body["email"], "renamed@localhost");
    expect_errors!(srv;
        update_bot(&admin, &bid, json!({"username": "bob"}))
            => 400, "app.user.save.username_exists.app_error";
    );

    // A bot cannot own a bot.
    let other = srv.create_bot(&admin, "other").await;
    expect_errors!(srv;
        post(&format!("/api/v4/bots/{bid}/assign/{}", other["user_id"].as_str().unwrap()), &admin, json!({}))
            => 403, "api.context.permissions.app_error";
    );
    let r = srv
        .post(
            &format!("/api/v4/bots/{bid}/assign/{}", id(&bob)),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(r.body["owner_id"], bob["id"]);

    // With read_bots but not manage_bots, the owner sees a 403 rather than a 404.
    let role = srv.get("/api/v4/roles/name/system_user", &admin).await;
    let mut perms = role.body["permissions"].as_array().unwrap().clone();
    perms.push(json!("read_bots"));
    srv.patch_role(&admin, id(&role.body), json!(perms.clone()))
        .await
        .assert_ok();
    expect_errors!(srv;
        update_bot(&bob_s, &bid, json!({"description": "y"}))
            => 403, "api.context.permissions.app_error";
    );
    let r = srv.get(&format!("/api/v4/bots/{bid}"), &bob_s).await;
    assert_eq!(r.status, StatusCode::OK, "own bot readable with read_bots");
    let r = srv.get("/api/v4/bots", &bob_s).await;
    assert_eq!(r.items().len(), 1, "only bob's own bots: {}", r.text);
    perms.push(json!("manage_bots"));
    perms.push(json!("create_user_access_token"));
    srv.patch_role(&admin, id(&role.body), json!(perms))
        .await
        .assert_ok();
    let r = srv
        .update_bot(&bob_s, &bid, json!({"description": "y"}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // Owning the bot with manage_bots also lets bob make its tokens.
    srv.create_token(&bob_s, &bid, "bob's bot").await;
    // But not another's bot.
    expect_errors!(srv;
        post(&format!("/api/v4/users/{}/tokens", other["user_id"].as_str().unwrap()), &bob_s, json!({"description": "x"}))
            => 403, "api.context.permissions.app_error";
    );
}

#[tokio::test]
async fn disable_enable_and_owner_deactivation_stop_bot_tokens() {
    let (srv, _admin_u, admin) = setup().await;
    let b = srv.create_bot(&admin, "robot").await;
    let bid = b["user_id"].as_str().unwrap().to_string();
    let (_, secret) = srv.create_token(&admin, &bid, "ci").await;
    assert_eq!(
        srv.get("/api/v4/users/me", &secret).await.status,
        StatusCode::OK
    );

    srv.post(&format!("/api/v4/bots/{bid}/disable"), &admin, json!({}))
        .await
        .assert_ok();
    srv.get("/api/v4/users/me", &secret)
        .await
        .assert_err(401, "api.context.session_expired.app_error");
    let r = srv
        .post(&format!("/api/v4/bots/{bid}/enable"), &admin, json!({}))
        .await;
    assert_eq!(r.body["delete_at"], 0);
    assert_eq!(
        srv.get("/api/v4/users/me", &secret).await.status,
        StatusCode::OK
    );
    // Through /users/{id}/active the bot row follows its user.
    srv.set_active(&admin, &bid, false).await.assert_ok();
    srv.get(&format!("/api/v4/bots/{bid}"), &admin)
        .await
        .assert_err(404, "store.sql_bot.get.missing.app_error");
    assert_eq!(
        srv.get("/api/v4/users/me", &secret).await.status,
        StatusCode::UNAUTHORIZED
    );
    srv.set_active(&admin, &bid, true).await.assert_ok();
    let r = srv.get(&format!("/api/v4/bots/{bid}"), &admin).await;
    assert_eq!(r.body["delete_at"], 0, "{}", r.text);
    assert_eq!(
        srv.get("/api/v4/users/me", &secret).await.status,
        StatusCode::OK
    );

    // Owner deactivated with DisableBotsWhenOwnerIsDeactivated (default on): the bot is disabled.
    let (owner, owner_s) = srv.user(&admin, "owner").await;
    let role = srv.get("/api/v4/roles/name/system_user", &admin).await;
    let mut perms = role.body["permissions"].as_array().unwrap().clone();
    for p in [
        "create_bot",
        "read_bots",
        "manage_bots",
        "create_user_access_token",
    ] {
        perms.push(json!(p));
    }
    srv.patch_role(&admin, id(&role.body), json!(perms))
        .await
        .assert_ok();
    let ob = srv.create_bot(&owner_s, "owned").await;
    let ob_id = ob["user_id"].as_str().unwrap().to_string();
    assert_eq!(ob["owner_id"], owner["id"]);
    let (_, ob_secret) = srv.create_token(&owner_s, &ob_id, "ci").await;
    assert_eq!(
        srv.get("/api/v4/users/me", &ob_secret).await.status,
        StatusCode::OK
    );
    srv.put(
        &format!("/api/v4/users/{}/active", id(&owner)),
        &admin,
        json!({"active": false}),
    )
    .await
    .assert_ok();
    assert_eq!(
        srv.get("/api/v4/users/me", &ob_secret)
            .await
            .status
            .as_u16(),
        401
    );
    let r = srv
        .get(
            &format!("/api/v4/bots/{ob_id}?include_deleted=true"),
            &admin,
        )
        .await;
    assert!(r.body["delete_at"].as_i64().unwrap() > 0, "{}", r.text);
    // A bot cannot create bots.
    let (_, robot_secret) = srv.create_token(&admin, &bid, "x").await;
    srv.create_bot_with(&robot_secret, json!({"username": "child"}))
        .await
        .assert_err(403, "api.context.permissions.app_error");
}

#[tokio::test]
async fn convert_bot_to_user() {
    let (srv, _admin_u, admin) = setup().await;
    let b = srv.create_bot(&admin, "robot").await;
    let bid = b["user_id"].as_str().unwrap().to_string();
    let (_, bob_s) = srv.user(&admin, "bob").await;

    expect_errors!(srv;
        post(&format!("/api/v4/bots/{}/convert_to_user", rustmost_model::new_id()), &admin, json!({"password": "Passw0rd!x"}))
            => 404, "store.sql_bot.get.missing.app_error";
        post(&format!("/api/v4/bots/{bid}/convert_to_user"), &admin, json!({}))
            => 400, "api.context.invalid_body_param.app_error";
        post(&format!("/api/v4/bots/{bid}/convert_to_user"), &bob_s, json!({"password": "Passw0rd!x"}))
            => 403, "api.context.permissions.app_error";
    );
    let r = srv
        .post(
            &format!("/api/v4/bots/{bid}/convert_to_user"),
            &admin,
            json!({"password": "Robot-Passw0rd!", "email": "robot@example.com"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.body.get("is_bot").is_none(), "{}", r.text);
    assert_eq!(r.body["email"], "robot@example.com");
    srv.get(&format!("/api/v4/bots/{bid}?include_deleted=true"), &admin)
        .await
        .assert_err(404, "store.sql_bot.get.missing.app_error");
    srv.login("robot", "Robot-Passw0rd!").await;

    // convert_to_bot needs manage_system, after the user lookup.
    expect_errors!(srv;
        post(&format!("/api/v4/users/{}/convert_to_bot", rustmost_model::new_id()), &bob_s, json!({}))
            => 404, "app.user.missing_account.const";
        post(&format!("/api/v4/users/{bid}/convert_to_bot"), &bob_s, json!({}))
            => 403, "api.context.permissions.app_error";
    );
}

/// Upstream validates a bot's username raw (no trimming or lower-casing) and reports an
/// over-long display name with the user id's message.
#[tokio::test]
async fn bot_usernames_are_validated_as_sent_and_long_display_names_get_upstreams_id() {
    let (srv, _admin_u, admin) = setup().await;
    // Usernames are validated as sent: no lower-casing, no trimming.
    for bad in ["MyBot", " bot ", "bot "] {
        srv.create_bot_with(&admin, json!({"username": bad}))
            .await
            .assert_err(400, "model.bot.is_valid.username.app_error");
    }
    expect_errors!(srv;
        post("/api/v4/bots", &admin, json!({"username": "longname", "display_name": "d".repeat(65)}))
            => 400, "model.bot.is_valid.user_id.app_error";
    );
    let b = srv.create_bot(&admin, "helper").await;
    let bid = b["user_id"].as_str().unwrap().to_string();
    let path = format!("/api/v4/bots/{bid}");
    expect_errors!(srv;
        put(&path, &admin, json!({"username": "Helper"}))
            => 400, "model.bot.is_valid.username.app_error";
        put(&path, &admin, json!({"display_name": "x".repeat(65)}))
            => 400, "model.bot.is_valid.user_id.app_error";
    );
    assert_eq!(srv.get(&path, &admin).await.body["username"], "helper");
}

/// `PatchBot` writes `<username>@localhost` into the bot user's e-mail every time.
#[tokio::test]
async fn patching_a_bot_resets_its_users_email() {
    let (srv, _admin_u, admin) = setup().await;
    let b = srv.create_bot(&admin, "helper").await;
    let bid = b["user_id"].as_str().unwrap().to_string();
    let path = format!("/api/v4/bots/{bid}");
    // Every patch resets the bot user's e-mail to <username>@localhost.
    srv.patch_user(&admin, &bid, json!({"email": "elsewhere@example.com"}))
        .await
        .assert_ok();
    srv.put(&path, &admin, json!({"description": "now described"}))
        .await
        .assert_ok();
    let u = srv.get(&format!("/api/v4/users/{bid}"), &admin).await;
    assert_eq!(u.body["email"], "helper@localhost", "{}", u.text);
}

/// `POST /bots/{id}/assign/me` makes the caller the owner.
#[tokio::test]
async fn assign_me_names_the_caller() {
    let (srv, admin_u, admin) = setup().await;
    let admin_id = admin_u["id"].as_str().unwrap().to_string();
    let b = srv.create_bot(&admin, "helper").await;
    let bid = b["user_id"].as_str().unwrap().to_string();
    // assign/me names the caller.
    srv.post(
        &format!("/api/v4/bots/{bid}/assign/{}", rustmost_model::new_id()),
        &admin,
        json!({}),
    )
    .await
    .assert_ok();
    let r = srv
        .post(&format!("/api/v4/bots/{bid}/assign/me"), &admin, json!({}))
        .await;
    assert_eq!(r.body["owner_id"], admin_id.as_str(), "{}", r.text);
}

/// `GET /bots/{id}` and `GET /bots` answer 304 to upstream's ETag.
#[tokio::test]
async fn bots_answer_304_to_their_etag() {
    let (srv, _admin_u, admin) = setup().await;
    let b = srv.create_bot(&admin, "helper").await;
    let bid = b["user_id"].as_str().unwrap().to_string();
    let path = format!("/api/v4/bots/{bid}");
    // ETags: upstream's format, 304 on a match, a fresh answer once the bot changes.
    let b = srv.get(&path, &admin).await.body;
    let tag = format!(
        "{}.{bid}.{}",
        rustmost_server::VERSION,
        b["update_at"].as_i64().unwrap()
    );
    let with_tag = |p: String, t: String| {
        let srv = &srv;
        let admin = admin.clone();
        async move {
            srv.http
                .get(format!("{}{p}", srv.url))
                .bearer_auth(admin)
                .header("If-None-Match", t)
                .send()
                .await
                .unwrap()
        }
    };
    let r = with_tag(path.clone(), tag.clone()).await;
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(r.headers()["etag"], tag.as_str());
    assert_eq!(r.text().await.unwrap(), "");
    let r = with_tag(path.clone(), format!("{tag}x")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let list = srv.get("/api/v4/bots", &admin).await.body;
    let list = list.as_array().unwrap();
    let newest = list
        .iter()
        .max_by_key(|b| b["update_at"].as_i64().unwrap())
        .unwrap();
    let list_tag = format!(
        "{}.{}.{}.0.{}",
        rustmost_server::VERSION,
        newest["user_id"].as_str().unwrap(),
        newest["update_at"],
        list.len()
    );
    let r = with_tag("/api/v4/bots".into(), list_tag.clone()).await;
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    let r = with_tag("/api/v4/bots?page=5".into(), list_tag).await;
    assert_eq!(r.status(), StatusCode::OK, "another page, another list");
    let r = with_tag(
        "/api/v4/bots?page=5".into(),
        format!("{}.0.0.0.0", rustmost_server::VERSION),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED, "the empty list's tag");
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    srv.put(&path, &admin, json!({"description": "changed"}))
        .await
        .assert_ok();
    assert_eq!(with_tag(path.clone(), tag).await.status(), StatusCode::OK);
}

/// `convert_to_user` checks the password and the patch before granting the admin role.
#[tokio::test]
async fn a_refused_conversion_changes_nothing() {
    let (srv, _admin_u, admin) = setup().await;
    let b = srv.create_bot(&admin, "helper").await;
    let bid = b["user_id"].as_str().unwrap().to_string();
    let path = format!("/api/v4/bots/{bid}");
    // A refused conversion changes nothing: no admin role, still a bot.
    expect_errors!(srv;
        post(&format!("{path}/convert_to_user?set_system_admin=true"), &admin, json!({"password": "short"}))
            => 400, "model.user.is_valid.pwd_min_length.app_error";
        post(&format!("{path}/convert_to_user?set_system_admin=true"), &admin, json!({"password": "Helper-Passw0rd!", "username": "admin"}))
            => 400, "app.user.save.username_exists.app_error";
    );
    let u = srv.get(&format!("/api/v4/users/{bid}"), &admin).await;
    assert_eq!(u.body["roles"], "system_user", "{}", u.text);
    assert_eq!(u.body["is_bot"], true);
    srv.get(&path, &admin).await.assert_ok();
    let r = srv
        .post(
            &format!("{path}/convert_to_user?set_system_admin=true"),
            &admin,
            json!({"password": "Helper-Passw0rd!"}),
        )
        .await;
    assert_eq!(r.body["roles"], "system_user system_admin", "{}", r.text);
}

/// `convert_to_bot` answers upstream's `BotFromUser`: the username as display name.
#[tokio::test]
async fn convert_to_bot_answers_with_the_username_as_display_name() {
    let (srv, _admin_u, admin) = setup().await;
    // convert_to_bot answers with the username as display name (upstream BotFromUser).
    let (carol, _) = srv.user(&admin, "carol").await;
    let cid = carol["id"].as_str().unwrap();
    srv.patch_user(&admin, cid, json!({"first_name": "Carol"}))
        .await
        .assert_ok();
    let r = srv
        .post(
            &format!("/api/v4/users/{cid}/convert_to_bot"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(r.body["display_name"], "carol", "{}", r.text);
}

/// `DELETE /users/{bot}` disables the bot row with its user.
#[tokio::test]
async fn deleting_a_bot_user_disables_the_bot_row() {
    let (srv, _admin_u, admin) = setup().await;
    // DELETE /users/{bot} disables the bot row with its user.
    let gone = srv.create_bot(&admin, "goner").await;
    let gid = gone["user_id"].as_str().unwrap();
    srv.delete(&format!("/api/v4/users/{gid}"), &admin)
        .await
        .assert_ok();
    srv.get(&format!("/api/v4/bots/{gid}"), &admin)
        .await
        .assert_err(404, "store.sql_bot.get.missing.app_error");
    let r = srv
        .get(&format!("/api/v4/bots/{gid}?include_deleted=true"), &admin)
        .await;
    assert!(r.body["delete_at"].as_i64().unwrap() > 0, "{}", r.text);
    let r = srv.get(&format!("/api/v4/users/{gid}"), &admin).await;
    assert!(r.body["delete_at"].as_i64().unwrap() > 0, "{}", r.text);
}
