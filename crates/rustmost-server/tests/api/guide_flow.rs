//! The n8n credentials guide, end to end over HTTP, exactly as a Mattermost client drives it:
//! the first user (admin) enables personal access tokens, creates a user, grants
//! `system_user_access_token`; the user creates a token with a description; the token then
//! passes n8n's credential test (`GET /api/v4/users`) and `GET /api/v4/users/me`. Then the same
//! with a bot account.

use crate::common::{TestServer, expect_errors};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn the_guide_with_a_personal_access_token_and_with_a_bot() {
    let srv = TestServer::start().await;

    // The first account becomes the system admin.
    let admin_u = srv
        .create_user(None, "admin", crate::common::ADMIN_PASSWORD)
        .await;
    assert!(admin_u["roles"].as_str().unwrap().contains("system_admin"));
    let admin = srv.login("admin", crate::common::ADMIN_PASSWORD).await;

    // Before the switch, the user's profile offers no tokens: creation is refused.
    let r = srv
        .request_token(&admin, "me", json!({"description": "n8n"}))
        .await;
    r.assert_err(501, "app.user_access_token.disabled");

    // System Console > Integration Management > Enable Personal Access Tokens > Save.
    let r = srv
        .config_patch(
            &admin,
            json!({"ServiceSettings": {"EnableUserAccessTokens": true}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = srv.get("/api/v4/config/client?format=old", &admin).await;
    assert_eq!(r.body["EnableUserAccessTokens"], "true");

    // A second user.
    let user = srv
        .create_user(Some(&admin), "jane", "Jane-Passw0rd!")
        .await;
    let user_id = user["id"].as_str().unwrap();
    let jane = srv.login("jane", "Jane-Passw0rd!").await;
    // Without the role she cannot create a token.
    expect_errors!(srv;
        request_token(&jane, "me", json!({"description": "n8n"}))
            => 403, "api.context.permissions.app_error";
    );

    // Users > Member > Manage Roles > "Allow this account to generate personal access tokens".
    let r = srv
        .set_roles(&admin, user_id, "system_user system_user_access_token")
        .await;
    assert_eq!(r.text, r#"{"status":"OK"}"#);

    // Account Settings > Security > Personal Access Tokens > Create Token > description > Save.
    let r = srv
        .request_token(&jane, user_id, json!({"description": "n8n workflow"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let access_token = r.body["token"].as_str().unwrap().to_string();
    assert_eq!(r.body["description"], "n8n workflow");

    // n8n: the credential test, then the node's calls, with `Authorization: Bearer <token>`.
    let r = srv.get("/api/v4/users", &access_token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.items().iter().any(|u| u["username"] == "jane"));
    let r = srv.get("/api/v4//users", &access_token).await;
    assert_eq!(r.status, StatusCode::OK, "n8n's double slash");
    let r = srv.get("/api/v4/users/me", &access_token).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["id"], user_id);
    assert_eq!(r.body["username"], "jane");

    // "You may also create a bot account and apply the same for it."
    srv.create_bot_with(&admin, json!({"username": "n8n-bot"}))
        .await
        .assert_err(403, "api.bot.create_disabled");
    srv.enable_bot_creation(&admin).await;
    let r = srv
        .create_bot_with(
            &admin,
            json!({"username": "n8n-bot", "display_name": "n8n", "description": "automation"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let bot_id = r.body["user_id"].as_str().unwrap().to_string();
    // Integrations > Bot Accounts > Create New Token.
    let r = srv
        .request_token(&admin, &bot_id, json!({"description": "n8n bot token"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let bot_token = r.body["token"].as_str().unwrap().to_string();
    let r = srv.get("/api/v4/users", &bot_token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = srv.get("/api/v4/users/me", &bot_token).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["id"], bot_id.as_str());
    assert_eq!(r.body["is_bot"], true);
    // The bot cannot log in with a password; its token is its only credential.
    srv.try_login("n8n-bot", "anything")
        .await
        .assert_err(401, "api.user.login.bot_login_forbidden.app_error");
}
