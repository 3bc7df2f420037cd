//! The web UI: static files from `crates/rustmost-server/web/`, compiled into the binary, served
//! for every non-`/api` GET. Unknown paths get `index.html` so client-side routes survive a reload.

use crate::error::ApiError;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// One embedded file: its URL path, content type and bytes.
struct Asset {
    path: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $ct:expr) => {
        Asset {
            path: $path,
            content_type: $ct,
            bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/web", $path)),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

static ASSETS: &[Asset] = &[
    asset!("/index.html", "text/html; charset=utf-8"),
    asset!("/static/app.css", "text/css; charset=utf-8"),
    asset!("/static/favicon.svg", "image/svg+xml"),
    asset!("/static/js/main.js", JS),
    asset!("/static/js/api.js", JS),
    asset!("/static/js/dom.js", JS),
    asset!("/static/js/login.js", JS),
    asset!("/static/js/settings.js", JS),
    asset!("/static/js/console.js", JS),
    asset!("/static/js/bots.js", JS),
    asset!("/static/js/tokens.js", JS),
    asset!("/static/js/session.js", JS),
    asset!("/static/js/router.js", JS),
    asset!("/static/js/shell.js", JS),
    asset!("/static/js/chat.js", JS),
    asset!("/static/js/posts.js", JS),
    asset!("/static/js/author.js", JS),
    asset!("/static/js/markdown.js", JS),
    asset!("/static/js/composer.js", JS),
    asset!("/static/js/threads.js", JS),
    asset!("/static/js/dialogs.js", JS),
    asset!("/static/js/emoji.js", JS),
    asset!("/static/js/realtime.js", JS),
    asset!("/static/js/slash.js", JS),
    asset!("/static/js/integrations.js", JS),
];

/// The page is same-origin only; images may come from anywhere because message attachments
/// (`image_url`, `author_icon`) point at other hosts.
const CSP: &str = "default-src 'self'; img-src 'self' data: http: https:; \
                   style-src 'self'; script-src 'self'; connect-src 'self'; \
                   frame-ancestors 'self'; base-uri 'none'; form-action 'self'";

fn etags() -> &'static [String] {
    static ETAGS: OnceLock<Vec<String>> = OnceLock::new();
    ETAGS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| {
                let d = Sha256::digest(a.bytes);
                let hex: String = d[..12].iter().map(|b| format!("{b:02x}")).collect();
                format!("\"{hex}\"")
            })
            .collect()
    })
}

fn find(path: &str) -> Option<usize> {
    ASSETS.iter().position(|a| a.path == path)
}

/// The router fallback: `/api/*` (and every non-GET) keeps Mattermost's 404 AppError; other GETs
/// serve an embedded file, or `index.html` for client-side routes. A missing `/static/` file
/// is a plain 404 so a broken asset link is not masked by the HTML page.
pub async fn fallback(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path();
    let is_api = path == "/api" || path.starts_with("/api/");
    if is_api || (method != Method::GET && method != Method::HEAD) {
        return ApiError::not_found("api.context.404.app_error")
            .detail(format!("path={path}"))
            .into_response();
    }
    let idx = match find(path) {
        Some(i) if path != "/index.html" => i,
        _ if path.starts_with("/static/") => {
            return (StatusCode::NOT_FOUND, "404 page not found").into_response();
        }
        _ => find("/index.html").expect("index.html is embedded"),
    };
    serve(idx, &method, &headers)
}

fn serve(idx: usize, method: &Method, headers: &HeaderMap) -> Response {
    let asset = &ASSETS[idx];
    let etag = &etags()[idx];
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut res = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else if method == Method::HEAD {
        Response::new(Body::empty())
    } else {
        Response::new(Body::from(asset.bytes))
    };
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    // File names carry no content hash, so the browser revalidates each time (a cheap 304)
    // instead of running a stale UI against a newer server.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if asset.path == "/index.html" {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
        h.insert(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("SAMEORIGIN"),
        );
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_is_non_empty_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for a in ASSETS {
            assert!(!a.bytes.is_empty(), "{} is empty", a.path);
            assert!(seen.insert(a.path), "{} listed twice", a.path);
        }
    }

    #[test]
    fn every_script_import_is_embedded() {
        // A module the browser asks for but the binary lacks would break the UI silently.
        for a in ASSETS.iter().filter(|a| a.path.ends_with(".js")) {
            let text = std::str::from_utf8(a.bytes).unwrap();
            for line in text.lines() {
                let line = line.trim();
                if !(line.starts_with("import ") || line.starts_with("} from ")) {
                    continue;
                }
                if let Some(start) = line.find("'./") {
                    let rest = &line[start + 3..];
                    let name = &rest[..rest.find('\'').unwrap()];
                    let want = format!("/static/js/{name}");
                    assert!(find(&want).is_some(), "{} imports missing {want}", a.path);
                }
            }
        }
    }
}
