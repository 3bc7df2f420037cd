//! The Rustmost server: builds the state and router, wraps them in the request pipeline
//! (path normalizing, request ids, AppError rendering, panic catching), and serves them.

pub mod api;
pub mod app;
pub mod auth;
pub mod cluster;
pub mod config;
pub mod error;
pub mod listen;
pub mod ratelimit;
pub mod realtime;
pub mod state;
pub mod web;
pub mod write_cache;

use crate::config::ConfigService;
use crate::error::ApiError;
use crate::state::{AppState, Inner};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use rustmost_model::{AppErrorBody, new_id};
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

/// The Mattermost server version this API level matches; clients gate features on it.
pub const VERSION: &str = "10.3.0";
pub const BUILD_NUMBER: &str = "0";
/// Stands where Mattermost puts its build hash; free of dots because clients split
/// `X-Version-ID` on them.
pub const BUILD_HASH: &str = "rustmost";

/// Where the server finds its config and which environment it sees (tests pass their own).
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// `config.json`, or a database URL (`postgres://…`, `sqlite:…`) holding the config as
    /// upstream's `MM_CONFIG` may; `None` keeps the config in memory.
    pub config_path: Option<PathBuf>,
    /// `MM_*` overrides, normally `std::env::vars()`.
    pub env: Vec<(String, String)>,
}

/// The request id of the request being served.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// Loads the config, opens the store and seeds built-in data.
pub async fn build_state(opts: &ServerOptions) -> anyhow::Result<AppState> {
    let config = ConfigService::open(opts.config_path.clone(), opts.env.clone())
        .await
        .map_err(|e| anyhow::anyhow!("config: {e:?}"))?;
    // Subscribed before anything reads the document further, so no later save goes unheard.
    let config_feed = config
        .subscribe()
        .await
        .map_err(|e| anyhow::anyhow!("config: {e:?}"))?;
    let cfg = config.get();
    let driver = cfg.str("/SqlSettings/DriverName").to_lowercase();
    let source = cfg.str("/SqlSettings/DataSource").to_string();
    let mut pg_listener = None;
    let store: Arc<dyn rustmost_store::Store> = if source.starts_with("postgres://")
        || source.starts_with("postgresql://")
        || driver == "postgres"
    {
        if !(source.starts_with("postgres://") || source.starts_with("postgresql://")) {
            anyhow::bail!(
                "SqlSettings.DriverName \"postgres\" needs a postgres:// DataSource, got {:?}",
                source.split('@').next_back().unwrap_or_default()
            );
        }
        let store = rustmost_store_sql::PostgresStore::connect(&source).await?;
        // Other nodes may serve the same database: caches follow their changes.
        let feed = rustmost_store_sql::PgChangeFeed::connect(&source).await?;
        pg_listener = Some(cluster::Cluster::shared(Arc::new(feed)).await?);
        Arc::new(store)
    } else if driver == "sqlite" || driver == "sqlite3" || driver.is_empty() {
        let path = source
            .strip_prefix("sqlite://")
            .or(source.strip_prefix("sqlite:"))
            .unwrap_or(&source);
        if path != ":memory:"
            && let Some(dir) = std::path::Path::new(path).parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)?;
        }
        let url = if path == ":memory:" {
            "sqlite::memory:".to_string()
        } else {
            format!("sqlite:{path}")
        };
        Arc::new(rustmost_store_sql::SqliteStore::connect(&url).await?)
    } else {
        anyhow::bail!("unknown SqlSettings.DriverName {driver:?}: use \"sqlite\" or \"postgres\"");
    };
    let (cluster, listener) = match pg_listener {
        Some((c, l)) => (c, Some(l)),
        None => (cluster::Cluster::local(), None),
    };
    let state = AppState(Arc::new(Inner {
        store: store.clone(),
        config: Arc::new(config),
        roles: Default::default(),
        sessions: Default::default(),
        write_caches: Default::default(),
        cluster,
        events: Default::default(),
        clock: state::Clock::system(),
    }));
    // Listening starts before the roles load, so no change made meanwhile goes unseen.
    if let Some(l) = listener {
        // A notification lost to a crash between a commit and its NOTIFY goes unseen for at
        // most this long.
        state.sessions.set_max_age(cluster::MAX_SESSION_CACHE_AGE);
        state
            .write_caches
            .set_max_age(cluster::MAX_SESSION_CACHE_AGE);
        cluster::start_listening(&state, l);
    }
    if let Some(f) = config_feed {
        cluster::follow_config(&state, f);
        // A save between the first read and the subscription would otherwise go unseen.
        if let Err(e) = state.config.refresh().await {
            tracing::error!(error = ?e, "could not re-read the configuration");
        }
    }
    app::roles::seed_and_load(&state).await?;
    realtime::start(&state).await?;
    Ok(state)
}

/// The full HTTP application for a state.
pub fn router(state: AppState) -> Router {
    with_pipeline(
        Router::new()
            .merge(api::v4::router())
            .fallback(web::fallback)
            .method_not_allowed_fallback(method_not_allowed),
        state,
    )
}

/// Wraps routes in the request pipeline. The panic catcher sits inside `finalize`, so a panic
/// still leaves as AppError JSON with a request id; so does the rate limiter, so its 429 is
/// AppError JSON too.
fn with_pipeline(routes: Router<AppState>, state: AppState) -> Router {
    let limiters = Arc::new(ratelimit::Limiters::default());
    routes
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            panic_response,
        ))
        .layer(middleware::from_fn_with_state(
            (state.clone(), limiters),
            ratelimit::limit,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), finalize))
        .with_state(state)
}

async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    ApiError::new("api.context.405.app_error", StatusCode::METHOD_NOT_ALLOWED)
        .detail(format!("{method} {}", uri.path()))
        .into_response()
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    ApiError::new(
        "api.context.500.app_error",
        StatusCode::INTERNAL_SERVER_ERROR,
    )
    .message("An internal error occurred.")
    .into_response()
}

/// Collapses repeated slashes (n8n requests `/api/v4//users`) before routing.
fn normalize_path(mut req: Request) -> Request {
    let path = req.uri().path();
    if path.contains("//") {
        let mut collapsed = String::with_capacity(path.len());
        let mut prev_slash = false;
        for c in path.chars() {
            if c == '/' && prev_slash {
                continue;
            }
            prev_slash = c == '/';
            collapsed.push(c);
        }
        let pq = match req.uri().query() {
            Some(q) => format!("{collapsed}?{q}"),
            None => collapsed,
        };
        let mut parts = req.uri().clone().into_parts();
        if let Ok(pq) = pq.parse() {
            parts.path_and_query = Some(pq);
            if let Ok(uri) = Uri::from_parts(parts) {
                *req.uri_mut() = uri;
            }
        }
    }
    req
}

/// Stamps the request id and version headers and renders any `ApiError` as AppError JSON.
async fn finalize(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let rid = new_id();
    req.extensions_mut().insert(RequestId(rid.clone()));
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let mut res = next.run(req).await;
    if path.starts_with("/api/")
        && res.extensions().get::<ApiError>().is_none()
        && let Some(err) = framework_rejection(&res)
    {
        res = err.into_response();
    }
    if let Some(err) = res.extensions_mut().remove::<ApiError>() {
        let cfg = state.config.get();
        if err.status.is_server_error() {
            tracing::error!(%method, %path, id = %err.id, detail = %err.detailed, request_id = %rid, "request failed");
        } else {
            tracing::debug!(%method, %path, id = %err.id, status = err.status.as_u16(), "request refused");
        }
        let body = AppErrorBody {
            id: err.id.to_string(),
            message: err.render_message(),
            detailed_error: if cfg.enable_developer() {
                err.detailed.clone()
            } else {
                String::new()
            },
            request_id: rid.clone(),
            status_code: err.status.as_u16(),
        };
        let mut out =
            (err.status, serde_json::to_string(&body).unwrap_or_default()).into_response();
        out.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        for (k, v) in res.headers() {
            if k == header::SET_COOKIE
                || k == header::WWW_AUTHENTICATE
                || k == header::RETRY_AFTER
                || k.as_str().starts_with("x-ratelimit-")
            {
                out.headers_mut().append(k, v.clone());
            }
        }
        res = out;
    }
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&rid) {
        h.insert("X-Request-ID", v);
    }
    h.insert("X-Version-ID", version_id().clone());
    h.insert(
        "X-Content-Type-Options",
        HeaderValue::from_static("nosniff"),
    );
    if path.starts_with("/api/") {
        h.insert("Referrer-Policy", HeaderValue::from_static("no-referrer"));
        if method == Method::GET {
            h.insert(header::EXPIRES, HeaderValue::from_static("0"));
        }
    }
    res
}

/// `X-Version-ID`, the same on every response: made once.
fn version_id() -> &'static HeaderValue {
    static V: std::sync::OnceLock<HeaderValue> = std::sync::OnceLock::new();
    V.get_or_init(|| {
        HeaderValue::from_str(&format!("{VERSION}.{BUILD_NUMBER}.{BUILD_HASH}.false"))
            .expect("the version is ASCII")
    })
}

/// An error answered by axum itself rather than a handler (a path parameter that is not UTF-8,
/// a body over the size limit) arrives as plain text; API clients get AppError JSON instead.
fn framework_rejection(res: &Response) -> Option<ApiError> {
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return None;
    }
    let json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if json {
        return None;
    }
    Some(match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new("api.context.body_too_large.app_error", status)
        }
        StatusCode::BAD_REQUEST => ApiError::invalid_url_param("url"),
        _ => ApiError::new("api.context.invalid_param.app_error", status).param("Name", "request"),
    })
}

/// Serves `state` on an already-bound listener until `shutdown` resolves; in-flight requests
/// finish first. The listener speaks TLS when `ConnectionSecurity` is `"TLS"`, and the
/// local-mode socket is served beside it when `EnableLocalMode` is on.
pub async fn serve_with_listener(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let cfg = state.config.get();
    let tls = listen::tls_config(&cfg).map_err(|e| std::io::Error::other(format!("{e:#}")))?;
    let timeouts = listen::Timeouts::from_config(&cfg);
    // Background jobs live exactly as long as the serving does.
    let _jobs = app::jobs::start(state.clone(), app::jobs::EXPIRED_TOKEN_CLEANUP_EVERY);
    // Paths are normalized before routing; the peer address reaches handlers as `ConnectInfo`
    // (audit records and a token's last-used address), set per connection by `listen`. A body
    // whose data stops arriving for ReadTimeout fails its read.
    let hsts_state = state.clone();
    let svc = tower::ServiceBuilder::new()
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            // ReadTimeout 0 means none, as in Go: a year stands for that.
            timeouts
                .read
                .unwrap_or(std::time::Duration::from_secs(365 * 24 * 3600)),
        ))
        .map_request(|r: Request<tower_http::timeout::TimeoutBody<Body>>| {
            normalize_path(r.map(Body::new))
        })
        .map_response(move |mut res: Response| {
            strict_transport(&hsts_state, &mut res);
            res
        })
        .service(router(state.clone()));
    let svc: listen::Svc = tower::util::BoxCloneSyncService::new(svc);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = move || {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    };
    #[cfg(unix)]
    let local = if cfg.bool("/ServiceSettings/EnableLocalMode") {
        let path = PathBuf::from(cfg.str("/ServiceSettings/LocalModeSocketLocation"));
        let l = listen::bind_local(&path).map_err(|e| std::io::Error::other(format!("{e:#}")))?;
        tracing::info!(socket = %path.display(), "local mode is listening");
        Some(tokio::spawn(listen::serve_local(
            state.clone(),
            l,
            path,
            svc.clone(),
            stopped(),
        )))
    } else {
        None
    };
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });
    let r = listen::serve_tcp(state, listener, svc, tls, stopped()).await;
    #[cfg(unix)]
    if let Some(l) = local {
        let _ = l.await;
    }
    r
}

/// `TLSStrictTransport`: upstream sends the header on every response when it is on.
fn strict_transport(state: &AppState, res: &mut Response) {
    let cfg = state.config.get();
    if cfg.bool("/ServiceSettings/TLSStrictTransport")
        && let Ok(v) = HeaderValue::from_str(&format!(
            "max-age={}",
            cfg.i64("/ServiceSettings/TLSStrictTransportMaxAge")
        ))
    {
        res.headers_mut()
            .insert(header::STRICT_TRANSPORT_SECURITY, v);
    }
}

/// Turns Mattermost's `ListenAddress` (`:8065`, `127.0.0.1:8066`) into a socket address.
pub fn listen_address(s: &str) -> String {
    if let Some(port) = s.strip_prefix(':') {
        format!("0.0.0.0:{port}")
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_panicking_handler_still_answers_app_error_json() {
        let opts = ServerOptions {
            config_path: None,
            env: vec![("MM_SQLSETTINGS_DATASOURCE".into(), ":memory:".into())],
        };
        let state = build_state(&opts).await.unwrap();
        let routes: Router<AppState> = Router::new().route(
            "/api/v4/boom",
            get(|| async {
                // Opaque to the compiler, so the panic is not seen as unconditional.
                if std::hint::black_box(true) {
                    panic!("boom");
                }
                "unreachable"
            }),
        );
        let app = with_pipeline(routes, state);
        let res = app
            .oneshot(
                Request::builder()
                    .uri("/api/v4/boom")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(res.headers()[header::CONTENT_TYPE], "application/json");
        assert_eq!(res.headers()["X-Request-ID"].len(), 26);
        let body = axum::body::to_bytes(res.into_body(), 1 << 16)
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["id"], "api.context.500.app_error");
        assert_eq!(v["status_code"], 500);
    }
}
