//! Staff booking endpoints: doors into the bookings service. Every one
//! needs a signed-in employee; the service checks what the role may do.

use super::{
    auth::{origin, Staff},
    extract::{ApiJson, ApiQuery},
};
use app::{
    domain::{
        board::{
            BatchOutcome, BatchRequest, BookingDetail, BookingList, BookingQuery, BookingUpdate,
            StaffBookingRequest,
        },
        booking::{BookingStateView, TransitionRequest},
    },
    error::{AppError, ErrorBody},
    server::{bookings, staff_bookings, AppState},
};
use axum::{
    extract::{ConnectInfo, Path, State},
    http::{HeaderMap, StatusCode},
    Json,
};
use serde::Deserialize;
use std::net::SocketAddr;
use utoipa::IntoParams;

/// Bookings with filters, a page at a time.
#[utoipa::path(get, path = "/api/v1/bookings", tag = "bookings", security(("bearer" = [])),
    params(BookingQuery), responses(
    (status = 200, description = "A page of bookings", body = BookingList),
    (status = 422, description = "A filter is malformed", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Staff(_me): Staff,
    ApiQuery(query): ApiQuery<BookingQuery>,
) -> Result<Json<BookingList>, AppError> {
    Ok(Json(staff_bookings::list(&state, &query).await?))
}

/// A booking taken by phone, walk-in or staff; the guest's rules apply.
#[utoipa::path(post, path = "/api/v1/bookings", tag = "bookings", security(("bearer" = [])),
    request_body = StaffBookingRequest, responses(
    (status = 201, description = "Booked", body = BookingDetail),
    (status = 409, description = "`slot_unavailable`, with `details.alternatives`", body = ErrorBody),
    (status = 422, description = "Field errors", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<StaffBookingRequest>,
) -> Result<(StatusCode, Json<BookingDetail>), AppError> {
    let created = staff_bookings::create(&state, &me, &origin(addr, &headers), &req).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// One booking with its price breakdown, state history and audit trail.
#[utoipa::path(get, path = "/api/v1/bookings/{id}", tag = "bookings", security(("bearer" = [])),
    params(("id" = String, Path, description = "Booking id")), responses(
    (status = 200, description = "The booking", body = BookingDetail),
    (status = 404, description = "No such booking", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Staff(_me): Staff,
    Path(id): Path<String>,
) -> Result<Json<BookingDetail>, AppError> {
    Ok(Json(staff_bookings::detail(&state, &id).await?))
}

/// Edits a booking; new time or space reschedules it.
#[utoipa::path(put, path = "/api/v1/bookings/{id}", tag = "bookings", security(("bearer" = [])),
    params(("id" = String, Path, description = "Booking id")), request_body = BookingUpdate, responses(
    (status = 200, description = "The booking as it is now", body = BookingDetail),
    (status = 404, description = "No such booking", body = ErrorBody),
    (status = 409, description = "`version_conflict` (stale `version`) or `slot_unavailable`", body = ErrorBody),
    (status = 422, description = "Field errors", body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(changes): ApiJson<BookingUpdate>,
) -> Result<Json<BookingDetail>, AppError> {
    let detail =
        staff_bookings::update(&state, &me, &origin(addr, &headers), &id, &changes).await?;
    Ok(Json(detail))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteQuery {
    /// The version the deletion was decided on (optional).
    pub version: Option<i64>,
}

/// Soft-deletes a booking (owners and admins); its slot is free again.
#[utoipa::path(delete, path = "/api/v1/bookings/{id}", tag = "bookings", security(("bearer" = [])),
    params(("id" = String, Path, description = "Booking id"), DeleteQuery), responses(
    (status = 204, description = "Deleted"),
    (status = 403, description = "Managers cannot delete", body = ErrorBody),
    (status = 404, description = "No such booking", body = ErrorBody),
    (status = 409, description = "`version_conflict`", body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<DeleteQuery>,
) -> Result<StatusCode, AppError> {
    staff_bookings::delete(&state, &me, &origin(addr, &headers), &id, q.version).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Several operations (transition, update, delete) in one transaction:
/// all or nothing.
#[utoipa::path(post, path = "/api/v1/bookings/batch", tag = "bookings", security(("bearer" = [])),
    request_body = BatchRequest, responses(
    (status = 200, description = "Every operation went through", body = [BatchOutcome]),
    (status = 403, description = "An operation is not allowed for your role; nothing changed", body = ErrorBody),
    (status = 404, description = "An operation names no booking; nothing changed", body = ErrorBody),
    (status = 409, description = "An operation conflicts (`details.operation` says which); nothing changed", body = ErrorBody),
    (status = 422, description = "An operation's input is invalid; nothing changed", body = ErrorBody)))]
pub async fn batch(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<BatchRequest>,
) -> Result<Json<Vec<BatchOutcome>>, AppError> {
    let outcomes =
        staff_bookings::batch(&state, &me, &origin(addr, &headers), &req.operations).await?;
    Ok(Json(outcomes))
}

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
    let view = bookings::transition(&state, &me, &id, &req, &origin(addr, &headers)).await?;
    Ok(Json(view))
}
