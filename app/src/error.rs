//! The one error type of Mandi. Every failure a user or client can see is one of these
//! variants; each maps to an HTTP status and a stable UPPER_SNAKE code (CONVENTIONS.md).
//! Server functions return it across the wire (JSON), REST handlers render it in the
//! error envelope, and both read the same `status()`/`code()`.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Field name → what is wrong with it, in words a person can act on.
pub type FieldErrors = BTreeMap<String, String>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AppError {
    #[error("Some fields are not valid")]
    Validation { fields: FieldErrors },
    #[error("Please sign in")]
    Unauthenticated,
    /// A failed sign-in. Deliberately silent on whether the account exists.
    #[error("The e-mail, phone or password is not right")]
    BadCredentials,
    /// A wrong, expired, spent or exhausted one-time code: all look the same.
    #[error("The code is wrong or has expired")]
    InvalidCode,
    /// A webhook whose signature does not match its body under our shared secret.
    #[error("The request signature is missing or does not match")]
    InvalidSignature,
    #[error("You do not have access to this")]
    Forbidden,
    #[error("{what} not found")]
    NotFound { what: String },
    /// The request clashes with what is stored (a number already taken, a state that has
    /// moved on); `fields` names the inputs involved when there are any.
    #[error("{message}")]
    Conflict {
        message: String,
        #[serde(default, skip_serializing_if = "FieldErrors::is_empty")]
        fields: FieldErrors,
    },
    /// The cart no longer matches the shelf (a price changed, stock ran short); the
    /// fields name each line (`items.<variantId>`) and say what changed.
    #[error("{message}")]
    CartChanged { message: String, fields: FieldErrors },
    #[error("A request with this idempotency key is still being processed")]
    RequestInProgress,
    #[error("The request body is larger than {limit_bytes} bytes")]
    PayloadTooLarge { limit_bytes: u64 },
    #[error("This idempotency key was already used with a different request")]
    IdempotencyKeyReused,
    /// The first request with this idempotency key succeeded, and its answer held
    /// credentials, which are never stored; so it cannot be replayed, and running it
    /// again (a spent refresh token, say) would do harm.
    #[error(
        "A request with this idempotency key already succeeded; its answer held credentials, which are never kept, so sign in again or send a new key"
    )]
    ResponseNotReplayable,
    #[error("Too many requests; try again in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// Details are logged with the request id on the server, never sent.
    #[error("Something went wrong on our side")]
    Internal,
    #[error("The service is temporarily unavailable")]
    Unavailable { retry_after_secs: Option<u64> },
}

impl AppError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> AppError {
        AppError::Validation { fields: BTreeMap::from([(field.into(), message.into())]) }
    }

    pub fn conflict(message: impl Into<String>) -> AppError {
        AppError::Conflict { message: message.into(), fields: FieldErrors::new() }
    }

    /// A conflict that belongs beside `fields` on a form; each gets the message.
    pub fn conflict_on(fields: &[&str], message: impl Into<String>) -> AppError {
        let message = message.into();
        AppError::Conflict { fields: fields.iter().map(|f| (f.to_string(), message.clone())).collect(), message }
    }

    pub fn not_found(what: impl Into<String>) -> AppError {
        AppError::NotFound { what: what.into() }
    }

    pub fn status(&self) -> u16 {
        match self {
            AppError::Validation { .. } => 400,
            AppError::Unauthenticated
            | AppError::BadCredentials
            | AppError::InvalidCode
            | AppError::InvalidSignature => 401,
            AppError::Forbidden => 403,
            AppError::NotFound { .. } => 404,
            AppError::Conflict { .. }
            | AppError::CartChanged { .. }
            | AppError::RequestInProgress
            | AppError::ResponseNotReplayable => 409,
            AppError::PayloadTooLarge { .. } => 413,
            AppError::IdempotencyKeyReused => 422,
            AppError::RateLimited { .. } => 429,
            AppError::Internal => 500,
            AppError::Unavailable { .. } => 503,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Validation { .. } => "VALIDATION_FAILED",
            AppError::Unauthenticated | AppError::BadCredentials | AppError::InvalidCode => "UNAUTHENTICATED",
            AppError::InvalidSignature => "INVALID_SIGNATURE",
            AppError::Forbidden => "FORBIDDEN",
            AppError::NotFound { .. } => "NOT_FOUND",
            AppError::Conflict { .. } => "CONFLICT",
            AppError::CartChanged { .. } => "CART_CHANGED",
            AppError::RequestInProgress => "REQUEST_IN_PROGRESS",
            AppError::PayloadTooLarge { .. } => "PAYLOAD_TOO_LARGE",
            AppError::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            AppError::ResponseNotReplayable => "RESPONSE_NOT_REPLAYABLE",
            AppError::RateLimited { .. } => "RATE_LIMITED",
            AppError::Internal => "INTERNAL",
            AppError::Unavailable { .. } => "UNAVAILABLE",
        }
    }

    /// Whether the same request may succeed if simply sent again later.
    pub fn retryable(&self) -> bool {
        matches!(self, AppError::RequestInProgress | AppError::RateLimited { .. } | AppError::Unavailable { .. })
    }

    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            AppError::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            AppError::Unavailable { retry_after_secs } => *retry_after_secs,
            AppError::RequestInProgress => Some(1),
            _ => None,
        }
    }

    pub fn fields(&self) -> Option<&FieldErrors> {
        match self {
            AppError::Validation { fields } | AppError::CartChanged { fields, .. } => Some(fields),
            AppError::Conflict { fields, .. } if !fields.is_empty() => Some(fields),
            _ => None,
        }
    }

    /// Logs an unexpected failure (with the current request id, via the span) and
    /// returns the opaque `Internal` error that is safe to show.
    #[cfg(feature = "ssr")]
    pub fn internal(context: &str, error: impl std::fmt::Display) -> AppError {
        tracing::error!(%error, context, "internal error");
        AppError::Internal
    }
}

/// Server functions carry `AppError` itself, so an island can show field errors.
impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // Arguments that do not decode (a JSON function sent a form, a wrong
            // type) are the caller's mistake, not ours.
            ServerFnErrorErr::Args(msg)
            | ServerFnErrorErr::MissingArg(msg)
            | ServerFnErrorErr::Deserialization(msg) => AppError::validation("request", msg),
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => {
                AppError::Unavailable { retry_after_secs: None }
            }
            ServerFnErrorErr::UnsupportedRequestMethod(msg) => AppError::validation("method", msg),
            other => {
                #[cfg(feature = "ssr")]
                tracing::error!(error = %other, "server function failed");
                #[cfg(not(feature = "ssr"))]
                let _ = other;
                AppError::Internal
            }
        }
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> AppError {
        match e {
            sqlx::Error::PoolTimedOut => {
                tracing::warn!("database pool timed out");
                AppError::Unavailable { retry_after_secs: Some(1) }
            }
            other => AppError::internal("database", other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_a_distinct_code_and_a_fitting_status() {
        let all = [
            AppError::validation("page", "must be a whole number"),
            AppError::Unauthenticated,
            AppError::Forbidden,
            AppError::not_found("Product"),
            AppError::conflict("taken"),
            AppError::CartChanged { message: "changed".into(), fields: FieldErrors::new() },
            AppError::RequestInProgress,
            AppError::PayloadTooLarge { limit_bytes: 10 },
            AppError::IdempotencyKeyReused,
            AppError::ResponseNotReplayable,
            AppError::RateLimited { retry_after_secs: 30 },
            AppError::Internal,
            AppError::Unavailable { retry_after_secs: None },
        ];
        let codes: std::collections::BTreeSet<_> = all.iter().map(AppError::code).collect();
        assert_eq!(codes.len(), all.len());
        assert_eq!(AppError::BadCredentials.code(), AppError::Unauthenticated.code());
        for e in &all {
            assert!(e.code().chars().all(|c| c.is_ascii_uppercase() || c == '_'));
            assert!((400..600).contains(&e.status()));
            assert_eq!(
                e.retryable(),
                matches!(e.status(), 409 | 429 | 503)
                    && !["CONFLICT", "CART_CHANGED", "RESPONSE_NOT_REPLAYABLE"].contains(&e.code())
            );
        }
    }

    #[test]
    fn round_trips_through_the_server_function_encoding() {
        let e = AppError::validation("limit", "must be between 1 and 100");
        let back = AppError::de(e.ser());
        assert_eq!(back, e);
    }
}
