//! The JSON envelope of `/api/v1` (CONVENTIONS.md): the same shapes a mobile client
//! decodes, so they compile for the browser too.

use crate::error::{AppError, FieldErrors};
use serde::{Deserialize, Serialize};

/// Version of the REST contract reported in every `meta`.
pub const API_VERSION: &str = "v1";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    pub request_id: String,
    pub timestamp: chrono::DateTime<chrono::Utc>,
    pub version: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    pub page: u32,
    pub limit: u32,
    pub total: u64,
    pub has_more: bool,
}

impl Pagination {
    pub fn new(page: u32, limit: u32, total: u64) -> Pagination {
        let shown = u64::from(page) * u64::from(limit);
        Pagination { page, limit, total, has_more: shown < total }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Envelope<T> {
    pub success: bool,
    pub data: T,
    pub meta: Meta,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub pagination: Option<Pagination>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    pub retryable: bool,
    pub retry_after: Option<u64>,
    /// Field name → what is wrong with it (`VALIDATION_FAILED` only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<std::collections::BTreeMap<String, String>>))]
    pub fields: Option<FieldErrors>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ErrorEnvelope {
    pub success: bool,
    pub error: ErrorBody,
    pub meta: Meta,
}

impl From<&AppError> for ErrorBody {
    fn from(e: &AppError) -> ErrorBody {
        ErrorBody {
            code: e.code().to_string(),
            message: e.to_string(),
            retryable: e.retryable(),
            retry_after: e.retry_after_secs(),
            fields: e.fields().cloned(),
        }
    }
}

/// A page of results, as services return it before a door (REST or server function)
/// renders it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub pagination: Pagination,
}

#[cfg(feature = "ssr")]
pub use ssr::*;

#[cfg(feature = "ssr")]
mod ssr {
    use super::*;
    use axum::Json;
    use axum::http::{HeaderValue, StatusCode, header};
    use axum::response::{IntoResponse, Response};

    tokio::task_local! {
        /// Set by the request-id middleware for the whole life of a request, so an
        /// error rendered deep inside a handler still carries the request's id.
        pub static REQUEST_ID: String;
    }

    pub fn current_request_id() -> String {
        REQUEST_ID.try_with(Clone::clone).unwrap_or_default()
    }

    pub fn meta() -> Meta {
        Meta { request_id: current_request_id(), timestamp: chrono::Utc::now(), version: API_VERSION.to_string() }
    }

    /// `200` with `{"success": true, "data": ...}`.
    pub fn ok<T: Serialize>(data: T) -> Response {
        Json(Envelope { success: true, data, meta: meta(), pagination: None }).into_response()
    }

    /// `200` with a page of items and its `pagination` block.
    pub fn ok_page<T: Serialize>(page: Page<T>) -> Response {
        Json(Envelope { success: true, data: page.items, meta: meta(), pagination: Some(page.pagination) })
            .into_response()
    }

    /// A refusal in the shape its caller decodes: server functions (`/_fn/…`) get
    /// `AppError`'s own JSON, as their typed client expects; everyone else the envelope.
    pub fn error_for_path(path: &str, error: AppError) -> Response {
        if !path.starts_with("/_fn/") {
            return error.into_response();
        }
        let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry_after = error.retry_after_secs();
        let mut response = (status, Json(error)).into_response();
        if let Some(secs) = retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }

    impl IntoResponse for AppError {
        fn into_response(self) -> Response {
            let status = StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let body = ErrorEnvelope { success: false, error: ErrorBody::from(&self), meta: meta() };
            let mut response = (status, Json(body)).into_response();
            if let Some(secs) = self.retry_after_secs() {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            response
        }
    }
}
