//! An in-process test server and one API v4 call against it, for the tests that drive a server
//! beside the binary (`cli.rs`, `db.rs`); included with `#[path]`, since each file in `tests/`
//! is a crate of its own.

use serde_json::Value;

/// Serves `state` on `listener` in a task until the returned sender fires or is dropped.
pub fn serve(
    state: rustmost_server::state::AppState,
    listener: tokio::net::TcpListener,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        rustmost_server::serve_with_listener(state, listener, async {
            let _ = rx.await;
        })
        .await
        .expect("serve");
    });
    (tx, handle)
}

/// `method path` on `url` with `tok` as the bearer token and `body` as JSON (none when null):
/// (status, JSON body or null, the `Token` header).
pub async fn call(
    http: &reqwest::Client,
    url: &str,
    method: reqwest::Method,
    path: &str,
    tok: Option<&str>,
    body: Value,
) -> (u16, Value, Option<String>) {
    let mut rb = http.request(method, format!("{url}{path}"));
    if let Some(t) = tok {
        rb = rb.bearer_auth(t);
    }
    if !body.is_null() {
        rb = rb.json(&body);
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    let token = r
        .headers()
        .get("Token")
        .map(|v| v.to_str().unwrap().to_string());
    let v = r.json::<Value>().await.unwrap_or(Value::Null);
    (status, v, token)
}
