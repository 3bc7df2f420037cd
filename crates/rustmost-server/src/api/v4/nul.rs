//! NUL characters in request bodies: PostgreSQL cannot store `\u0000` in text (SQLite can), so
//! every JSON body that holds one is refused with 400 before any handler sees it, the same on
//! both backends, rather than a 500 from one database and a stored value in the other.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, FailedToBufferBody};
use axum::extract::{FromRequest, Request};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Whether a JSON text holds a NUL character: the `\u0000` escape, or a raw NUL byte (which no
/// JSON text may hold, but a lenient reader might pass on). An escaped backslash followed by
/// `u0000` is text, not a NUL.
pub fn has_nul(body: &[u8]) -> bool {
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            0 => return true,
            b'\\' => {
                if body.get(i + 1) == Some(&b'u') && body.get(i + 2..i + 6) == Some(b"0000") {
                    return true;
                }
                i += 2;
            }
            _ => i += 1,
        }
    }
    false
}

/// The middleware: bodies of writes other than file uploads are read (within the body limit,
/// a larger one refused as the handler would refuse it) and checked.
pub async fn refuse_nul(req: Request, next: Next) -> Response {
    if !matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    ) {
        return next.run(req).await;
    }
    let binary = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            let ct = ct.to_ascii_lowercase();
            ct.starts_with("multipart/") || ct.starts_with("application/octet-stream")
        });
    if binary {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    // Buffered through a bare request rather than a copy of this one's head (headers and
    // extensions cloned on every write): no layer sets a body limit, so the bare request has
    // the same (axum's default) limit the handler's extractor applies.
    let bytes = match Bytes::from_request(Request::new(body), &()).await {
        Ok(b) => b,
        Err(BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_))) => {
            return ApiError::new(
                "api.context.body_too_large.app_error",
                StatusCode::PAYLOAD_TOO_LARGE,
            )
            .into_response();
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    if has_nul(&bytes) {
        return ApiError::invalid_param("body")
            .detail("body: text may not contain the NUL character (\\u0000)")
            .into_response();
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

#[cfg(test)]
mod tests {
    use super::has_nul;

    #[test]
    fn finds_the_escape_and_the_raw_byte_but_not_an_escaped_backslash() {
        assert!(has_nul(br#"{"message":"a\u0000b"}"#));
        assert!(has_nul(b"{\"message\":\"a\0b\"}"));
        assert!(has_nul(br#"{"m":"\\\u0000"}"#));
        assert!(!has_nul(br#"{"message":"a\\u0000b"}"#));
        assert!(!has_nul(br#"{"message":"\u0001"}"#));
        assert!(!has_nul(br#"{"message":"\u0100 \u1000"}"#));
        assert!(!has_nul(b"\\"));
    }
}
