//! The embedded web UI: `/` and client-side routes serve the app, assets carry their content
//! types and validators, and `/api/*` keeps answering with AppError JSON.

use crate::common::TestServer;
use reqwest::StatusCode;

#[tokio::test]
async fn root_and_client_routes_serve_the_app() {
    let s = TestServer::start().await;
    for path in [
        "/",
        "/login",
        "/admin_console/integrations/integration_management",
    ] {
        let r = s.http.get(format!("{}{path}", s.url)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let ct = r.headers()["content-type"].to_str().unwrap().to_string();
        assert!(ct.starts_with("text/html"), "{path}: {ct}");
        assert!(
            r.headers().contains_key("content-security-policy"),
            "{path}"
        );
        let body = r.text().await.unwrap();
        assert!(body.contains("/static/js/main.js"), "{path}");
    }
    s.stop().await;
}

#[tokio::test]
async fn assets_have_types_and_revalidate() {
    let s = TestServer::start().await;
    for (path, ct) in [
        ("/static/js/main.js", "text/javascript"),
        ("/static/app.css", "text/css"),
        ("/static/favicon.svg", "image/svg+xml"),
    ] {
        let r = s.http.get(format!("{}{path}", s.url)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(ct),
            "{path}"
        );
        assert_eq!(r.headers()["cache-control"], "no-cache");
        let etag = r.headers()["etag"].to_str().unwrap().to_string();
        let again = s
            .http
            .get(format!("{}{path}", s.url))
            .header("If-None-Match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
    }
    let missing = s
        .http
        .get(format!("{}/static/js/nope.js", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    s.stop().await;
}

#[tokio::test]
async fn api_paths_keep_the_apperror_404() {
    let s = TestServer::start().await;
    for path in ["/api/v4/nonexistent", "/api/v4/", "/api/v3/users", "/api"] {
        let r = s.http.get(format!("{}{path}", s.url)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["id"], "api.context.404.app_error", "{path}");
        assert_eq!(v["status_code"], 404);
    }
    // Writes to non-API paths are not the UI's business either.
    let r = s
        .http
        .post(format!("{}/login", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["id"], "api.context.404.app_error");
    s.stop().await;
}
