//! Request authentication: finding the token (Mattermost's order), resolving it to a session,
//! the query-string and CSRF rules, the `Session`/`MaybeSession` extractors, and the client's
//! address.

use crate::app;
use crate::config::Config;
use crate::error::ApiError;
use crate::state::{AppState, Session};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, Method, StatusCode, header};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// Where the token came from; the CSRF and query-string rules depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenLocation {
    Cookie,
    Header,
    Query,
}

/// Mattermost's `ParseAuthTokenFromRequest`: the `MMAUTHTOKEN` cookie, then
/// `Authorization: Bearer`, then `Authorization: Token`, then `?access_token=`.
pub fn parse_auth_token(parts: &Parts) -> Option<(String, TokenLocation)> {
    parse_auth_token_in(&parts.headers, &parts.uri)
}

/// [`parse_auth_token`] on a request's headers and URI, for a caller holding the whole request
/// (the rate limiter) that must not copy its headers to read the token.
pub fn parse_auth_token_in(
    headers: &HeaderMap,
    uri: &axum::http::Uri,
) -> Option<(String, TokenLocation)> {
    for v in headers.get_all(header::COOKIE) {
        let Ok(v) = v.to_str() else { continue };
        for c in v.split(';') {
            if let Some((k, val)) = c.trim().split_once('=')
                && k == "MMAUTHTOKEN"
                && !val.is_empty()
            {
                return Some((val.to_string(), TokenLocation::Cookie));
            }
        }
    }
    if let Some(h) = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
    {
        if h.len() > 6 && h[..6].eq_ignore_ascii_case("bearer") {
            return Some((h[6..].trim().to_string(), TokenLocation::Header));
        }
        if h.len() > 5 && h[..5].eq_ignore_ascii_case("token") {
            return Some((h[5..].trim().to_string(), TokenLocation::Header));
        }
    }
    let q = uri.query()?;
    for pair in q.split('&') {
        if let Some(v) = pair.strip_prefix("access_token=")
            && !v.is_empty()
        {
            return Some((v.to_string(), TokenLocation::Query));
        }
    }
    None
}

/// The client's address, by Mattermost's `GetIPAddress`: the first entry of the first header
/// listed in `ServiceSettings.TrustedProxyIPHeader` that holds a valid address, else the
/// connection's peer. A header not listed there is never believed: without the setting, a
/// client cannot choose the address its audits, token use and rate limits are recorded under.
pub fn client_ip(headers: &HeaderMap, extensions: &Extensions, cfg: &Config) -> Option<IpAddr> {
    if let Some(serde_json::Value::Array(names)) = cfg.get("/ServiceSettings/TrustedProxyIPHeader")
    {
        for name in names.iter().filter_map(|n| n.as_str()) {
            let first = headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .unwrap_or_default()
                .trim();
            if let Ok(ip) = first.parse::<IpAddr>() {
                return Some(ip);
            }
        }
    }
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// [`client_ip`] of a request as the text audits and token use record (empty when unknown).
pub fn request_ip(parts: &Parts, state: &AppState) -> String {
    client_ip(&parts.headers, &parts.extensions, &state.config.get())
        .map(|ip| ip.to_string())
        .unwrap_or_default()
}

/// A request's authenticated session; extracting it answers 401 when there is none.
pub struct AuthSession(pub Arc<Session>);

impl std::ops::Deref for AuthSession {
    type Target = Session;
    fn deref(&self) -> &Session {
        &self.0
    }
}

/// For routes where a session is optional: an invalid token is ignored, as Mattermost does on
/// routes that do not require a session.
pub struct MaybeSession(pub Option<Arc<Session>>);

/// The full check for session-required routes (`APISessionRequired`).
pub async fn authenticate(parts: &Parts, state: &AppState) -> Result<Arc<Session>, ApiError> {
    if let Some(s) = parts.extensions.get::<Arc<Session>>() {
        return Ok(s.clone());
    }
    let Some((token, loc)) = parse_auth_token(parts) else {
        return Err(ApiError::session_expired("UserRequired"));
    };
    let Some(session) = resolve(parts, state, &token, loc, true).await? else {
        return Err(ApiError::session_expired("token refused"));
    };
    refuse_disabled_token(state, &session)?;
    // Only a request that is let through counts as a use of its token.
    app::access_tokens::record_use(state, &session, || request_ip(parts, state));
    Ok(session)
}

/// `SessionRequired()`: humans' access-token sessions stop while the feature is off (they come
/// back when it is turned on again; nothing is deleted). Applied on routes where a session is
/// optional too, where upstream would let the token act.
fn refuse_disabled_token(state: &AppState, session: &Session) -> Result<(), ApiError> {
    if session.is_access_token()
        && !session.is_bot
        && !state.config.get().enable_user_access_tokens()
    {
        return Err(ApiError::session_expired("UserAccessToken"));
    }
    Ok(())
}

/// Upstream `ServeHTTP`'s part that runs on every route: resolves the token (`None` when it is
/// not a live session) and applies the query-string and CSRF rules, which refuse the request
/// even on routes that need no session.
async fn resolve(
    parts: &Parts,
    state: &AppState,
    token: &str,
    loc: TokenLocation,
    required: bool,
) -> Result<Option<Arc<Session>>, ApiError> {
    let session = match app::credentials::resolve(state, token).await {
        Ok(s) => s,
        Err(e) if e.status == StatusCode::INTERNAL_SERVER_ERROR => return Err(e),
        // A live token refused only because tokens are off is refused on every route.
        Err(e) if app::credentials::is_tokens_off_refusal(&e) => {
            return Err(ApiError::session_expired("UserAccessToken"));
        }
        Err(_) if !required => return Ok(None),
        Err(e) => {
            tracing::debug!(reason = %e.id, detail = %e.detailed, "token refused");
            let mut err = ApiError::session_expired("token refused");
            if e.message.is_some() {
                // A refusal that explains itself (e.g. a token id pasted as a token) keeps its
                // message; the id stays Mattermost's.
                err.message = e.message;
            }
            return Err(err);
        }
    };
    if loc == TokenLocation::Query && !session.is_oauth {
        return Err(ApiError::unauthorized(
            "api.context.token_provided.app_error",
        ));
    }
    if loc == TokenLocation::Cookie && parts.method != Method::GET {
        check_csrf(parts, state, &session).await?;
    }
    app::sessions::touch(state, &session);
    Ok(Some(session))
}

async fn check_csrf(parts: &Parts, state: &AppState, session: &Session) -> Result<(), ApiError> {
    let header_token = parts
        .headers
        .get("X-CSRF-Token")
        .and_then(|h| h.to_str().ok());
    if let (Some(h), Some(expected)) = (header_token, session.csrf())
        && !h.is_empty()
        && h == expected
    {
        return Ok(());
    }
    let xrw = parts
        .headers
        .get("X-Requested-With")
        .and_then(|h| h.to_str().ok())
        .is_some_and(|v| v == "XMLHttpRequest");
    let strict = state
        .config
        .get()
        .bool("/ServiceSettings/ExperimentalStrictCSRFEnforcement");
    if xrw && !strict {
        return Ok(());
    }
    tracing::warn!(user_id = %session.user_id, "CSRF check failed");
    Err(ApiError::session_expired(
        "CSRF Token doesn't match for UserId. Appears to be a CSRF attempt",
    ))
}

impl FromRequestParts<AppState> for AuthSession {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let s = authenticate(parts, state).await?;
        parts.extensions.insert(s.clone());
        Ok(AuthSession(s))
    }
}

impl FromRequestParts<AppState> for MaybeSession {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some((token, loc)) = parse_auth_token(parts) else {
            return Ok(MaybeSession(None));
        };
        let session = resolve(parts, state, &token, loc, false).await?;
        if let Some(s) = &session {
            refuse_disabled_token(state, s)?;
            app::access_tokens::record_use(state, s, || request_ip(parts, state));
        }
        Ok(MaybeSession(session))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(req: Request<()>) -> Parts {
        req.into_parts().0
    }

    #[test]
    fn cookie_beats_header_and_query_comes_last() {
        let p = parts(
            Request::builder()
                .uri("/api/v4/users/me?access_token=qqq")
                .header("Cookie", "a=b; MMAUTHTOKEN=ccc")
                .header("Authorization", "Bearer hhh")
                .body(())
                .unwrap(),
        );
        assert_eq!(
            parse_auth_token(&p),
            Some(("ccc".into(), TokenLocation::Cookie))
        );
        let p = parts(
            Request::builder()
                .uri("/x?access_token=qqq")
                .header("Authorization", "token hhh")
                .body(())
                .unwrap(),
        );
        assert_eq!(
            parse_auth_token(&p),
            Some(("hhh".into(), TokenLocation::Header))
        );
        let p = parts(
            Request::builder()
                .uri("/x?a=1&access_token=qqq")
                .body(())
                .unwrap(),
        );
        assert_eq!(
            parse_auth_token(&p),
            Some(("qqq".into(), TokenLocation::Query))
        );
        let p = parts(Request::builder().uri("/x").body(()).unwrap());
        assert_eq!(parse_auth_token(&p), None);
    }
}
