//! Extractors whose rejections speak the API's error shape instead of
//! axum's plain-text defaults.

use app::error::AppError;
use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Request},
    http::StatusCode,
};

/// `axum::Json` that rejects with a 400 `bad_request` JSON error.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct ApiJson<T>(pub T);

/// `axum::extract::Query` that rejects with a 400 `bad_request` JSON error.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct ApiQuery<T>(pub T);

/// The raw request body (an uploaded image). A body past the route's
/// `DefaultBodyLimit` is the field error `file_too_large`, as a too large
/// image read in full would be; anything else unreadable a 400.
pub struct ApiBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for ApiBody {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        Bytes::from_request(req, state)
            .await
            .map(ApiBody)
            .map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    app::server::images::too_big()
                } else {
                    AppError::BadRequest {
                        message: format!("The request body could not be read: {}", e.body_text()),
                    }
                }
            })
    }
}
