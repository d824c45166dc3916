//! Extractors whose rejections speak the API's error shape instead of
//! axum's plain-text defaults.

use app::error::AppError;
use axum::extract::{FromRequest, FromRequestParts};

/// `axum::Json` that rejects with a 400 `bad_request` JSON error.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct ApiJson<T>(pub T);

/// `axum::extract::Query` that rejects with a 400 `bad_request` JSON error.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct ApiQuery<T>(pub T);
