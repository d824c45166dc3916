//! The one error type of the application. Services return it, server
//! functions carry it to the browser (via [`FromServerFnError`]) and REST
//! handlers render it as `{"error": {"code", "message", "fields"}}`.
//! Internal details are logged where they happen and never sent.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A problem with one input field: a stable code (for translation) and an
/// English message (for API clients).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FieldError {
    pub code: String,
    pub message: String,
}

impl FieldError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            code: code.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AppError {
    #[error("invalid input")]
    Validation {
        fields: BTreeMap<String, FieldError>,
    },
    #[error("bad request: {message}")]
    BadRequest { message: String },
    #[error("not authenticated: {code}")]
    Unauthorized { code: String, message: String },
    #[error("forbidden")]
    Forbidden,
    #[error("{what} not found")]
    NotFound { what: String },
    #[error("conflict: {code}")]
    Conflict {
        code: String,
        message: String,
        details: Option<serde_json::Value>,
    },
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    #[error("account locked")]
    Locked { retry_after_secs: u64 },
    #[error("service unavailable: {message}")]
    Unavailable { message: String },
    #[error("internal error")]
    Internal,
}

impl AppError {
    /// A query string that cannot be read (`detail` says why): the REST
    /// API's generic extractor and the endpoints that read their own
    /// parameters answer alike.
    pub fn invalid_query(detail: impl std::fmt::Display) -> Self {
        AppError::BadRequest {
            message: format!("The query string is not valid: {detail}"),
        }
    }

    pub fn field(field: &str, error: FieldError) -> Self {
        AppError::Validation {
            fields: BTreeMap::from([(field.to_owned(), error)]),
        }
    }

    pub fn not_found(what: &str) -> Self {
        AppError::NotFound {
            what: what.to_owned(),
        }
    }

    pub fn status_code(&self) -> u16 {
        match self {
            AppError::Validation { .. } => 422,
            AppError::BadRequest { .. } => 400,
            AppError::Unauthorized { .. } => 401,
            AppError::Forbidden => 403,
            AppError::NotFound { .. } => 404,
            AppError::Conflict { .. } => 409,
            AppError::RateLimited { .. } => 429,
            AppError::Locked { .. } => 423,
            AppError::Unavailable { .. } => 503,
            AppError::Internal => 500,
        }
    }

    /// Stable machine-readable code.
    pub fn code(&self) -> &str {
        match self {
            AppError::Validation { .. } => "validation_failed",
            AppError::BadRequest { .. } => "bad_request",
            AppError::Unauthorized { code, .. } | AppError::Conflict { code, .. } => code,
            AppError::Forbidden => "forbidden",
            AppError::NotFound { .. } => "not_found",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::Locked { .. } => "account_locked",
            AppError::Unavailable { .. } => "unavailable",
            AppError::Internal => "internal_error",
        }
    }

    /// A message fit to show a user or an API client.
    pub fn message(&self) -> String {
        match self {
            AppError::Validation { .. } => "Some fields need attention.".into(),
            AppError::BadRequest { message }
            | AppError::Unauthorized { message, .. }
            | AppError::Conflict { message, .. }
            | AppError::Unavailable { message } => message.clone(),
            AppError::Forbidden => "You are not allowed to do this.".into(),
            AppError::NotFound { what } => format!("The {what} was not found."),
            AppError::RateLimited { retry_after_secs } => {
                format!("Too many requests; try again in {retry_after_secs} seconds.")
            }
            AppError::Locked { retry_after_secs } => format!(
                "The account is locked after repeated failed sign-ins; try again in {retry_after_secs} seconds."
            ),
            AppError::Internal => "Something went wrong on our side; please try again.".into(),
        }
    }

    pub fn fields(&self) -> Option<&BTreeMap<String, FieldError>> {
        match self {
            AppError::Validation { fields } => Some(fields),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(m)
            | ServerFnErrorErr::MissingArg(m)
            | ServerFnErrorErr::Deserialization(m) => AppError::BadRequest { message: m },
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => AppError::Unavailable {
                message: "The server could not be reached.".into(),
            },
            _ => AppError::Internal,
        }
    }
}

#[cfg(feature = "ssr")]
mod http {
    //! Rendering for REST handlers.
    use super::AppError;
    use axum::{
        http::{header, HeaderValue, StatusCode},
        response::{IntoResponse, Response},
        Json,
    };
    use serde::Serialize;
    use std::collections::BTreeMap;

    /// The JSON error body of every REST endpoint.
    #[derive(Serialize, utoipa::ToSchema)]
    pub struct ErrorBody {
        pub error: ErrorDetail,
    }

    #[derive(Serialize, utoipa::ToSchema)]
    pub struct ErrorDetail {
        /// Stable machine-readable code, e.g. `validation_failed`, `slot_unavailable`.
        pub code: String,
        /// Human-readable explanation.
        pub message: String,
        /// Per-field problems for `validation_failed`.
        pub fields: BTreeMap<String, super::FieldError>,
        /// Extra data, e.g. alternative slots for a conflict.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub details: Option<serde_json::Value>,
    }

    impl From<&AppError> for ErrorBody {
        fn from(e: &AppError) -> Self {
            ErrorBody {
                error: ErrorDetail {
                    code: e.code().to_owned(),
                    message: e.message(),
                    fields: e.fields().cloned().unwrap_or_default(),
                    details: match e {
                        AppError::Conflict { details, .. } => details.clone(),
                        _ => None,
                    },
                },
            }
        }
    }

    impl IntoResponse for AppError {
        fn into_response(self) -> Response {
            let status = StatusCode::from_u16(self.status_code())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = (status, Json(ErrorBody::from(&self))).into_response();
            if let AppError::RateLimited { retry_after_secs }
            | AppError::Locked { retry_after_secs } = self
            {
                if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            response
        }
    }

    impl From<axum::extract::rejection::JsonRejection> for AppError {
        fn from(e: axum::extract::rejection::JsonRejection) -> Self {
            AppError::BadRequest {
                message: format!(
                    "The request body is not valid JSON for this endpoint: {}",
                    e.body_text()
                ),
            }
        }
    }

    impl From<axum::extract::rejection::QueryRejection> for AppError {
        fn from(e: axum::extract::rejection::QueryRejection) -> Self {
            AppError::invalid_query(e.body_text())
        }
    }

    impl From<sqlx::Error> for AppError {
        fn from(e: sqlx::Error) -> Self {
            match &e {
                sqlx::Error::RowNotFound => AppError::not_found("record"),
                // A value the database cannot store: a NUL character
                // (PostgreSQL text), an unrepresentable character, a number
                // beyond its column. The input's fault, not the server's.
                sqlx::Error::Database(db)
                    if matches!(
                        db.code().as_deref(),
                        Some("22021" | "22P05" | "22001" | "22003" | "54000")
                    ) =>
                {
                    tracing::warn!(code = ?db.code(), "the database refused a value");
                    AppError::BadRequest {
                        message: "The request holds a value that cannot be stored (such as a NUL character or a number out of range).".into(),
                    }
                }
                sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed
                | sqlx::Error::Io(_) => {
                    tracing::error!(error = %e, "database unavailable");
                    AppError::Unavailable {
                        message: "The database is not available.".into(),
                    }
                }
                _ => {
                    tracing::error!(error = %e, "database error");
                    AppError::Internal
                }
            }
        }
    }
}

#[cfg(feature = "ssr")]
pub use http::{ErrorBody, ErrorDetail};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_maps_to_its_http_status() {
        assert_eq!(
            AppError::field("x", FieldError::new("c", "m")).status_code(),
            422
        );
        assert_eq!(AppError::Forbidden.status_code(), 403);
        assert_eq!(AppError::not_found("booking").status_code(), 404);
        assert_eq!(
            AppError::RateLimited {
                retry_after_secs: 3
            }
            .status_code(),
            429
        );
        assert_eq!(AppError::Internal.status_code(), 500);
    }

    #[test]
    fn an_internal_error_says_nothing_about_its_cause() {
        assert_eq!(
            AppError::Internal.message(),
            "Something went wrong on our side; please try again."
        );
    }

    #[test]
    fn the_error_survives_the_trip_to_the_browser() {
        let e = AppError::Conflict {
            code: "slot_unavailable".into(),
            message: "taken".into(),
            details: None,
        };
        let bytes = e.ser();
        assert_eq!(AppError::de(bytes), e);
    }
}
