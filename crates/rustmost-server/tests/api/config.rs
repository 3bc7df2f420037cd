//! API tests for `/api/v4/config*`: permissions, sanitizing, patch and replace, environment
//! overrides, validation, persistence and the client config.

use crate::common::{TestServer, expect_errors};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn read_needs_permission_and_secrets_are_sanitized() {
    let (s, _, t) = TestServer::start_with_admin().await;
    let (_, ut) = s.user(&t, "cfguser").await;
    expect_errors!(s;
        get("/api/v4/config", &ut) => 403, "api.context.permissions.app_error";
        req(Method::GET, "/api/v4/config", None, None)
            => 401, "api.context.session_expired.app_error";
    );
    let r = s.get("/api/v4/config", &t).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.headers["cache-control"],
        "no-cache, no-store, must-revalidate"
    );
    assert_eq!(
        r.body["SqlSettings"]["DataSource"],
        "********************************"
    );
    assert_eq!(r.body["ServiceSettings"]["EnableUserAccessTokens"], false);
    assert_eq!(r.body["ServiceSettings"]["EnableBotAccountCreation"], false);
    assert_eq!(
        r.body["ServiceSettings"]["DisableBotsWhenOwnerIsDeactivated"],
        true
    );
    s.patch_config(
        &t,
        json!({"EmailSettings": {"SMTPPassword": "hunter2-secret"}}),
    )
    .await;
    let r = s.get("/api/v4/config", &t).await;
    assert_eq!(
        r.body["EmailSettings"]["SMTPPassword"],
        "********************************"
    );
    assert!(!r.text.contains("hunter2-secret"));
    // Writing the placeholder back keeps the secret.
    let mut full = r.body.clone();
    full["TeamSettings"]["SiteName"] = json!("Renamed");
    let r = s.put("/api/v4/config", &t, full).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["TeamSettings"]["SiteName"], "Renamed");
    let file = std::fs::read_to_string(s.data_dir().join("config.json")).unwrap();
    assert!(
        file.contains("hunter2-secret"),
        "secret survives a round trip"
    );
    assert!(file.contains("\"Renamed\""));
    expect_errors!(s;
        put("/api/v4/config/patch", &ut, json!({"TeamSettings": {"SiteName": "x"}}))
            => 403, "api.context.permissions.app_error";
    );
}

#[tokio::test]
async fn patch_takes_effect_without_restart_and_persists() {
    let (s, _, t) = TestServer::start_with_admin().await;
    let r = s
        .config_patch(
            &t,
            json!({"ServiceSettings": {"EnableUserAccessTokens": true}}),
        )
        .await;
    assert_eq!(r.body["ServiceSettings"]["EnableUserAccessTokens"], true);
    assert_eq!(
        r.body["ServiceSettings"]["SessionLengthWebInHours"], 720,
        "other keys untouched"
    );
    let c = s.get("/api/v4/config/client?format=old", &t).await;
    assert_eq!(c.body["EnableUserAccessTokens"], "true");
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(s.data_dir().join("config.json")).unwrap())
            .unwrap();
    assert_eq!(file["ServiceSettings"]["EnableUserAccessTokens"], true);
    // Unknown keys are dropped; nulls leave values alone.
    let r = s
        .config_patch(
            &t,
            json!({"NoSuchSection": {"X": 1}, "ServiceSettings": {"EnableUserAccessTokens": null}}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.get("NoSuchSection").is_none());
    assert_eq!(r.body["ServiceSettings"]["EnableUserAccessTokens"], true);
    // Bad shapes and invalid values.
    expect_errors!(s;
        put("/api/v4/config/patch", &t, json!({"ServiceSettings": {"EnableUserAccessTokens": "yes"}}))
            => 400, "api.context.invalid_body_param.app_error";
        put("/api/v4/config/patch", &t, json!([1, 2]))
            => 400, "api.context.invalid_body_param.app_error";
        put("/api/v4/config/patch", &t, json!({"PasswordSettings": {"MinimumLength": 3}}))
            => 400, "model.config.is_valid.password_length.app_error";
    );
    expect_errors!(s;
        put("/api/v4/config/patch", &t, json!({"ServiceSettings": {"MaximumPersonalAccessTokenLifetimeDays": 40000}}))
            => 400, "model.config.is_valid.maximum_personal_access_token_lifetime_days.app_error";
        put("/api/v4/config/patch", &t, json!({"PluginSettings": {"EnableUploads": true}}))
            => 403, "api.config.update_config.not_allowed_security.app_error";
    );
    // SiteURL cannot be cleared once set.
    s.patch_config(
        &t,
        json!({"ServiceSettings": {"SiteURL": "http://chat.example.com"}}),
    )
    .await;
    expect_errors!(s;
        put("/api/v4/config/patch", &t, json!({"ServiceSettings": {"SiteURL": ""}}))
            => 400, "api.config.update_config.clear_siteurl.app_error";
    );
    let mut full = s.get("/api/v4/config", &t).await.body;
    full["ServiceSettings"]["SiteURL"] = json!("");
    s.put("/api/v4/config", &t, full)
        .await
        .assert_err(400, "api.config.update_config.clear_siteurl.app_error");
    // PUT replaces: missing fields take defaults.
    let r = s
        .put(
            "/api/v4/config",
            &t,
            json!({"ServiceSettings": {"SiteURL": "http://chat.example.com"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["ServiceSettings"]["EnableUserAccessTokens"], false);
    // Reload re-reads the file.
    let mut on_disk: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(s.data_dir().join("config.json")).unwrap())
            .unwrap();
    on_disk["TeamSettings"]["SiteName"] = json!("FromDisk");
    std::fs::write(s.data_dir().join("config.json"), on_disk.to_string()).unwrap();
    s.post("/api/v4/config/reload", &t, json!({}))
        .await
        .assert_ok();
    assert_eq!(
        s.get("/api/v4/config", &t).await.body["TeamSettings"]["SiteName"],
        "FromDisk"
    );
}

#[tokio::test]
async fn environment_overrides_win_and_do_not_stick() {
    let s = TestServer::start_with_env(&[
        ("MM_SERVICESETTINGS_ENABLEUSERACCESSTOKENS", "true"),
        ("MM_TEAMSETTINGS_SITENAME", "EnvName"),
    ])
    .await;
    let (_, t) = s.admin().await;
    let (_, ut) = s.user(&t, "envuser").await;
    let r = s.get("/api/v4/config", &t).await;
    assert_eq!(r.body["ServiceSettings"]["EnableUserAccessTokens"], true);
    assert_eq!(r.body["TeamSettings"]["SiteName"], "EnvName");
    let r = s
        .config_patch(
            &t,
            json!({"ServiceSettings": {"EnableUserAccessTokens": false}}),
        )
        .await;
    assert_eq!(
        r.body["ServiceSettings"]["EnableUserAccessTokens"], true,
        "env wins"
    );
    let file = std::fs::read_to_string(s.data_dir().join("config.json")).unwrap();
    assert!(!file.contains("EnvName"), "env values are never persisted");
    let e = s.get("/api/v4/config/environment", &t).await;
    assert_eq!(e.body["ServiceSettings"]["EnableUserAccessTokens"], true);
    assert_eq!(e.body["TeamSettings"]["SiteName"], true);
    assert!(e.body["ServiceSettings"].get("EnableDeveloper").is_none());
    let e = s.get("/api/v4/config/environment", &ut).await;
    assert_eq!(
        e.body,
        json!({}),
        "filtered to nothing for users without console access"
    );
}

#[tokio::test]
async fn client_config_limited_and_full() {
    let (s, _, t) = TestServer::start_with_admin().await;
    let anon = s
        .req(Method::GET, "/api/v4/config/client?format=old", None, None)
        .await;
    assert_eq!(anon.status, 200);
    assert!(
        anon.body.get("EnableUserAccessTokens").is_none(),
        "not in the limited config"
    );
    assert_eq!(anon.body["EnableBotAccountCreation"], "false");
    assert_eq!(anon.body["Version"], "10.3.0");
    let full = s.get("/api/v4/config/client?format=old", &t).await;
    assert_eq!(full.body["EnableUserAccessTokens"], "false");
    assert_eq!(full.body["MaximumPersonalAccessTokenLifetimeDays"], "0");
    expect_errors!(s;
        req(Method::GET, "/api/v4/config/client", None, None)
            => 501, "api.config.client.old_format.app_error";
        req(Method::GET, "/api/v4/config/client?format=new", None, None)
            => 400, "api.context.invalid_body_param.app_error";
    );
}

#[cfg(unix)]
fn mode(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[tokio::test]
async fn config_file_is_private_from_creation_and_written_whole() {
    let s = TestServer::start().await;
    let file = s.data_dir().join("config.json");
    assert_eq!(mode(&file), 0o600, "as first created");
    let (_, t) = s.admin().await;
    s.patch_config(&t, json!({"TeamSettings": {"SiteName": "Private"}}))
        .await;
    assert_eq!(mode(&file), 0o600, "after a write");
    let names: Vec<String> = std::fs::read_dir(s.data_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("config"))
        .collect();
    assert_eq!(names, ["config.json"], "no temporary file left");
}

#[tokio::test]
async fn replicas_are_masked_and_the_placeholder_keeps_them() {
    let (s, _, t) = TestServer::start_with_admin().await;
    s.patch_config(
        &t,
        json!({"SqlSettings": {
            "DataSourceReplicas": ["postgres://u:replica-pw@r1/db"],
            "DataSourceSearchReplicas": ["postgres://u:search-pw@s1/db"]}}),
    )
    .await;
    let r = s.get("/api/v4/config", &t).await;
    assert_eq!(r.status, 200);
    assert!(!r.text.contains("replica-pw") && !r.text.contains("search-pw"));
    assert_eq!(
        r.body["SqlSettings"]["DataSourceSearchReplicas"][0],
        "********************************"
    );
    assert_eq!(
        r.body["SqlSettings"]["AtRestEncryptKey"],
        "********************************"
    );
    // The whole masked config sent back, and a patch with the placeholder, change nothing.
    let r = s.put("/api/v4/config", &t, r.body.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = s
        .config_patch(&t, json!({"SqlSettings": {"DataSourceSearchReplicas": ["********************************"]}}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let file = std::fs::read_to_string(s.data_dir().join("config.json")).unwrap();
    assert!(
        file.contains("replica-pw") && file.contains("search-pw"),
        "{file}"
    );
    assert!(!file.contains("********************************"));
}

#[tokio::test]
async fn outgoing_integration_ports_are_checked_and_persist() {
    let (s, _, t) = TestServer::start_with_admin().await;
    let r = s.get("/api/v4/config", &t).await;
    assert_eq!(
        r.body["ServiceSettings"]["AllowedOutgoingIntegrationPorts"],
        ""
    );
    assert_eq!(
        r.body["ServiceSettings"]["OutgoingIntegrationsUseProxy"],
        false
    );
    expect_errors!(s;
        put("/api/v4/config/patch", &t, json!({"ServiceSettings": {"AllowedOutgoingIntegrationPorts": "443 http"}}))
            => 400, "model.config.is_valid.allowed_outgoing_integration_ports.app_error";
    );
    s.patch_config(
        &t,
        json!({"ServiceSettings": {"AllowedOutgoingIntegrationPorts": "443, 8000-8999"}}),
    )
    .await;
    let r = s.get("/api/v4/config", &t).await;
    assert_eq!(
        r.body["ServiceSettings"]["AllowedOutgoingIntegrationPorts"],
        "443, 8000-8999"
    );
}
