//! Typed path ids: each id parameter is checked by its extractor, whose 400 names the parameter,
//! and `me` is the caller wherever a `{user_id}` accepts it.

use crate::common::TestServer;

#[tokio::test]
async fn a_bad_path_id_names_its_parameter_and_me_is_the_caller() {
    let (s, admin, t) = TestServer::start_with_admin().await;
    let me = s.get("/api/v4/users/me", &t).await;
    assert_eq!(me.assert_ok()["id"], admin["id"]);
    let team = s
        .post(
            "/api/v4/teams",
            &t,
            serde_json::json!({"name": "ids", "display_name": "Ids", "type": "O"}),
        )
        .await;
    let team_id = team.assert_ok()["id"].as_str().unwrap().to_string();
    let member = s
        .get(&format!("/api/v4/teams/{team_id}/members/me"), &t)
        .await;
    assert_eq!(member.assert_ok()["user_id"], admin["id"]);

    for (path, name) in [
        ("/api/v4/users/not-an-id".to_string(), "user_id"),
        ("/api/v4/bots/not-an-id".to_string(), "bot_user_id"),
        ("/api/v4/teams/short/members/me".to_string(), "team_id"),
        (format!("/api/v4/teams/{team_id}/members/short"), "user_id"),
        ("/api/v4/channels/short/stats".to_string(), "channel_id"),
        ("/api/v4/posts/short/reactions".to_string(), "post_id"),
        ("/api/v4/users/tokens/short".to_string(), "token_id"),
        ("/api/v4/roles/short".to_string(), "role_id"),
        // Not UTF-8 once decoded: still the parameter's own 400, not a generic one.
        ("/api/v4/teams/%FF".to_string(), "team_id"),
        ("/api/v4/users/%FF/teams".to_string(), "user_id"),
    ] {
        let r = s.get(&path, &t).await;
        r.assert_err(400, "api.context.invalid_url_param.app_error");
        let msg = r.body["message"].as_str().unwrap_or_default();
        assert!(msg.contains(&format!(" {name} ")), "{path}: {msg}");
    }
}
