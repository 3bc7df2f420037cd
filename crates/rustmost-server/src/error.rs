//! `ApiError`, the one error type handlers return, and its rendering as Mattermost AppError JSON.
//!
//! Handlers build errors with the upstream i18n id at the call site; `IntoResponse` only parks the
//! error in the response extensions, and the `finalize` middleware (in `lib.rs`) renders it once, with the
//! request id and with `detailed_error` wiped unless developer mode is on.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rustmost_model::Permission;
use rustmost_store::StoreError;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// An error on its way to becoming an AppError response.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub id: Cow<'static, str>,
    pub params: Vec<(&'static str, String)>,
    pub detailed: String,
    pub status: StatusCode,
    /// Overrides the translated message (for messages built at run time).
    pub message: Option<String>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(id: impl Into<Cow<'static, str>>, status: StatusCode) -> Self {
        Self {
            id: id.into(),
            params: Vec::new(),
            detailed: String::new(),
            status,
            message: None,
        }
    }
    pub fn bad_request(id: impl Into<Cow<'static, str>>) -> Self {
        Self::new(id, StatusCode::BAD_REQUEST)
    }
    pub fn not_found(id: impl Into<Cow<'static, str>>) -> Self {
        Self::new(id, StatusCode::NOT_FOUND)
    }
    pub fn forbidden(id: impl Into<Cow<'static, str>>) -> Self {
        Self::new(id, StatusCode::FORBIDDEN)
    }
    pub fn unauthorized(id: impl Into<Cow<'static, str>>) -> Self {
        Self::new(id, StatusCode::UNAUTHORIZED)
    }
    pub fn not_implemented(id: impl Into<Cow<'static, str>>) -> Self {
        Self::new(id, StatusCode::NOT_IMPLEMENTED)
    }
    pub fn detail(mut self, d: impl Into<String>) -> Self {
        self.detailed = d.into();
        self
    }
    pub fn param(mut self, name: &'static str, v: impl Into<String>) -> Self {
        self.params.push((name, v.into()));
        self
    }
    pub fn message(mut self, m: impl Into<String>) -> Self {
        self.message = Some(m.into());
        self
    }

    /// 400 `api.context.invalid_url_param.app_error` for a bad path parameter.
    pub fn invalid_url_param(name: &str) -> Self {
        Self::bad_request("api.context.invalid_url_param.app_error").param("Name", name)
    }
    /// 400 `api.context.invalid_body_param.app_error` (Mattermost's `SetInvalidParam`).
    pub fn invalid_param(name: &str) -> Self {
        Self::bad_request("api.context.invalid_body_param.app_error").param("Name", name)
    }
    /// 403 `api.context.permissions.app_error` naming the missing permissions.
    pub fn permission(user_id: &str, perms: &[Permission]) -> Self {
        let names: Vec<&str> = perms.iter().map(|p| p.as_str()).collect();
        Self::forbidden("api.context.permissions.app_error")
            .detail(format!("userId={user_id}, permission={}", names.join(",")))
    }
    /// 401 `api.context.session_expired.app_error`.
    pub fn session_expired(detail: impl Into<String>) -> Self {
        Self::unauthorized("api.context.session_expired.app_error").detail(detail)
    }
    /// 500 with the cause kept for the log, never sent unless developer mode is on.
    pub fn internal(id: &'static str, cause: impl std::fmt::Display) -> Self {
        Self::new(id, StatusCode::INTERNAL_SERVER_ERROR).detail(cause.to_string())
    }

    /// The English message with template parameters filled in.
    pub fn render_message(&self) -> String {
        if let Some(m) = &self.message {
            return m.clone();
        }
        let mut msg = lookup(&self.id).unwrap_or_else(|| self.id.to_string());
        for (k, v) in &self.params {
            msg = msg.replace(&format!("{{{{.{k}}}}}"), v);
        }
        msg
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = self.status.into_response();
        res.extensions_mut().insert(self);
        res
    }
}

impl From<axum::extract::rejection::BytesRejection> for ApiError {
    fn from(e: axum::extract::rejection::BytesRejection) -> Self {
        ApiError::new("api.context.invalid_body_param.app_error", e.status())
            .param("Name", "body")
            .detail(e.body_text())
    }
}

/// Maps a store error at the call site: `NotFound` to `id` (404), anything else to a 500.
pub trait StoreResultExt<T> {
    fn or_not_found(self, id: &'static str) -> ApiResult<T>;
    fn or_internal(self, id: &'static str) -> ApiResult<T>;
    /// `NotFound` is an answer (`None`); any other failure is a 500 `id`, never "absent".
    fn optional(self, id: &'static str) -> ApiResult<Option<T>>;
    /// A unique violation whose constraint contains `constraint` becomes 400 `id`.
    fn on_conflict(self, constraint: &str, id: &'static str) -> Result<T, StoreErrorOr>;
}

/// Either an already-mapped API error or a store error still to map.
#[derive(Debug)]
pub enum StoreErrorOr {
    Api(ApiError),
    Store(StoreError),
}

impl<T> StoreResultExt<T> for Result<T, StoreError> {
    fn or_not_found(self, id: &'static str) -> ApiResult<T> {
        self.map_err(|e| match e {
            StoreError::NotFound => ApiError::not_found(id),
            other => ApiError::internal(id, other),
        })
    }
    fn or_internal(self, id: &'static str) -> ApiResult<T> {
        self.map_err(|e| ApiError::internal(id, e))
    }
    fn optional(self, id: &'static str) -> ApiResult<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(ApiError::internal(id, e)),
        }
    }
    fn on_conflict(self, constraint: &str, id: &'static str) -> Result<T, StoreErrorOr> {
        self.map_err(|e| match e {
            StoreError::Conflict { constraint: c } if c.contains(constraint) => {
                StoreErrorOr::Api(ApiError::bad_request(id))
            }
            other => StoreErrorOr::Store(other),
        })
    }
}

impl<T> StoreResultExt<T> for Result<T, StoreErrorOr> {
    fn or_not_found(self, id: &'static str) -> ApiResult<T> {
        self.map_err(|e| match e {
            StoreErrorOr::Api(a) => a,
            StoreErrorOr::Store(StoreError::NotFound) => ApiError::not_found(id),
            StoreErrorOr::Store(other) => ApiError::internal(id, other),
        })
    }
    fn or_internal(self, id: &'static str) -> ApiResult<T> {
        self.map_err(|e| match e {
            StoreErrorOr::Api(a) => a,
            StoreErrorOr::Store(other) => ApiError::internal(id, other),
        })
    }
    fn optional(self, id: &'static str) -> ApiResult<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(StoreErrorOr::Store(StoreError::NotFound)) => Ok(None),
            Err(StoreErrorOr::Api(a)) => Err(a),
            Err(StoreErrorOr::Store(e)) => Err(ApiError::internal(id, e)),
        }
    }
    fn on_conflict(self, constraint: &str, id: &'static str) -> Result<T, StoreErrorOr> {
        self.map_err(|e| match e {
            StoreErrorOr::Store(StoreError::Conflict { constraint: c })
                if c.contains(constraint) =>
            {
                StoreErrorOr::Api(ApiError::bad_request(id))
            }
            other => other,
        })
    }
}

fn messages() -> &'static BTreeMap<String, String> {
    static M: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    M.get_or_init(|| {
        let mut m: BTreeMap<String, String> =
            serde_json::from_str(include_str!("../data/i18n_en.json")).unwrap_or_default();
        for (k, v) in EXTRA_MESSAGES {
            m.entry((*k).to_string())
                .or_insert_with(|| (*v).to_string());
        }
        m
    })
}

/// The English text of an i18n id, if known.
pub fn lookup(id: &str) -> Option<String> {
    messages().get(id).cloned()
}

/// Messages for ids this server adds (not in upstream's catalogue).
const EXTRA_MESSAGES: &[(&str, &str)] = &[
    ("api.context.405.app_error", "Method not allowed."),
    (
        "api.context.404.app_error",
        "Sorry, we could not find the page.",
    ),
    (
        "api.context.body_too_large.app_error",
        "Request body is too large.",
    ),
    (
        "app.audit.get.finding.app_error",
        "We encountered an error finding the audits.",
    ),
];
