//! Staff booking endpoints: doors into the bookings service.

use super::{
    auth::{origin, Staff},
    extract::ApiJson,
};
use app::{
    domain::booking::{BookingStateView, TransitionRequest},
    error::{AppError, ErrorBody},
    server::{bookings, AppState},
};
use axum::{
    extract::{ConnectInfo, Path, State},
    http::HeaderMap,
    Json,
};
use std::net::SocketAddr;

/// Moves a booking along the state machine.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/state", tag = "bookings", security(("bearer" = [])),
    params(("id" = String, Path, description = "Booking id")), request_body = TransitionRequest, responses(
    (status = 200, description = "The new state and version", body = BookingStateView),
    (status = 403, description = "Reopening is for owners and admins", body = ErrorBody),
    (status = 404, description = "No such booking", body = ErrorBody),
    (status = 409, description = "`invalid_transition`, `version_conflict`, or `slot_unavailable` when reopening", body = ErrorBody),
    (status = 422, description = "`reason` is required to reopen", body = ErrorBody)))]
pub async fn transition(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<TransitionRequest>,
) -> Result<Json<BookingStateView>, AppError> {
    let reason = req.reason.unwrap_or_default();
    let view = bookings::transition(
        &state,
        &me,
        &id,
        req.target_state,
        &reason,
        &origin(addr, &headers),
    )
    .await?;
    Ok(Json(view))
}
