//! Blocked periods and the client base: doors into their services.

use super::{
    auth::{origin, Staff},
    extract::{ApiJson, ApiQuery},
};
use app::{
    domain::calendar::{
        Block, BlockQuery, BlockRequest, ClientDetail, ClientList, ClientNotes, ClientQuery,
    },
    error::{AppError, ErrorBody},
    server::{
        blocks, clients,
        privacy::{self, CloseRequest, DataRequest, Erasure, SubjectRequest},
        AppState,
    },
};
use axum::{
    extract::{ConnectInfo, Path, State},
    http::{HeaderMap, StatusCode},
    Json,
};
use std::net::SocketAddr;

/// Blocked periods between two studio dates.
#[utoipa::path(get, path = "/api/v1/blocks", tag = "calendar", security(("bearer" = [])),
    params(BlockQuery), responses(
    (status = 200, description = "Blocks, earliest first", body = [Block]),
    (status = 422, description = "`invalid_date`: `from` or `to` is not a date", body = ErrorBody)))]
pub async fn list_blocks(
    State(state): State<AppState>,
    Staff(_me): Staff,
    ApiQuery(query): ApiQuery<BlockQuery>,
) -> Result<Json<Vec<Block>>, AppError> {
    Ok(Json(blocks::list(&state, &query).await?))
}

/// Blocks a period of one space or of the whole studio.
#[utoipa::path(post, path = "/api/v1/blocks", tag = "calendar", security(("bearer" = [])),
    request_body = BlockRequest, responses(
    (status = 201, description = "Blocked", body = Block),
    (status = 409, description = "`booking_conflict`: live bookings in the period (`details.bookings`)", body = ErrorBody),
    (status = 422, description = "Field errors", body = ErrorBody)))]
pub async fn create_block(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<BlockRequest>,
) -> Result<(StatusCode, Json<Block>), AppError> {
    let block = blocks::create(&state, &me, &origin(addr, &headers), &req).await?;
    Ok((StatusCode::CREATED, Json(block)))
}

/// Changes a blocked period.
#[utoipa::path(put, path = "/api/v1/blocks/{id}", tag = "calendar", security(("bearer" = [])),
    params(("id" = String, Path, description = "Block id")), request_body = BlockRequest, responses(
    (status = 200, description = "Changed", body = Block),
    (status = 404, description = "No such block", body = ErrorBody),
    (status = 409, description = "`booking_conflict`", body = ErrorBody),
    (status = 422, description = "Field errors", body = ErrorBody)))]
pub async fn update_block(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<BlockRequest>,
) -> Result<Json<Block>, AppError> {
    Ok(Json(
        blocks::update(&state, &me, &origin(addr, &headers), &id, &req).await?,
    ))
}

/// Removes a blocked period.
#[utoipa::path(delete, path = "/api/v1/blocks/{id}", tag = "calendar", security(("bearer" = [])),
    params(("id" = String, Path, description = "Block id")), responses(
    (status = 204, description = "Removed"),
    (status = 404, description = "No such block", body = ErrorBody)))]
pub async fn delete_block(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    blocks::delete(&state, &me, &origin(addr, &headers), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The client base, grouped by phone; `q` searches name and phone.
#[utoipa::path(get, path = "/api/v1/clients", tag = "clients", security(("bearer" = [])),
    params(ClientQuery), responses(
    (status = 200, description = "A page of clients", body = ClientList),
    (status = 422, description = "`page` is out of range", body = ErrorBody)))]
pub async fn list_clients(
    State(state): State<AppState>,
    Staff(_me): Staff,
    ApiQuery(query): ApiQuery<ClientQuery>,
) -> Result<Json<ClientList>, AppError> {
    Ok(Json(clients::list(&state, &query).await?))
}

/// One client (by phone number) with the full history.
#[utoipa::path(get, path = "/api/v1/clients/{phone}", tag = "clients", security(("bearer" = [])),
    params(("phone" = String, Path, description = "Phone number, E.164")), responses(
    (status = 200, description = "The client", body = ClientDetail),
    (status = 404, description = "No bookings with this number", body = ErrorBody)))]
pub async fn get_client(
    State(state): State<AppState>,
    Staff(_me): Staff,
    Path(phone): Path<String>,
) -> Result<Json<ClientDetail>, AppError> {
    Ok(Json(clients::detail(&state, &phone).await?))
}

/// Replaces the staff's notes about a client.
#[utoipa::path(put, path = "/api/v1/clients/{phone}/notes", tag = "clients", security(("bearer" = [])),
    params(("phone" = String, Path, description = "Phone number, E.164")), request_body = ClientNotes, responses(
    (status = 200, description = "The client", body = ClientDetail),
    (status = 404, description = "No bookings with this number", body = ErrorBody),
    (status = 422, description = "Too long", body = ErrorBody)))]
pub async fn set_client_notes(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(phone): Path<String>,
    ApiJson(body): ApiJson<ClientNotes>,
) -> Result<Json<ClientDetail>, AppError> {
    Ok(Json(
        clients::set_notes(&state, &me, &origin(addr, &headers), &phone, &body.notes).await?,
    ))
}

/// The calendar feed links (owners and admins); the secret is made on
/// first use.
#[utoipa::path(get, path = "/api/v1/settings/calendar-feed", tag = "calendar", security(("bearer" = [])),
    responses(
    (status = 200, description = "Feed paths for the whole studio and each space", body = app::server::feeds::FeedLinks),
    (status = 403, description = "Owners and admins only", body = ErrorBody)))]
pub async fn feed_links(
    State(state): State<AppState>,
    Staff(me): Staff,
) -> Result<Json<app::server::feeds::FeedLinks>, AppError> {
    Ok(Json(app::server::feeds::feed_links(&state, &me).await?))
}

/// A new feed secret (owners): the old links stop working at once.
#[utoipa::path(post, path = "/api/v1/settings/calendar-feed/rotate", tag = "calendar", security(("bearer" = [])),
    responses(
    (status = 200, description = "The new links", body = app::server::feeds::FeedLinks),
    (status = 403, description = "Owners only", body = ErrorBody)))]
pub async fn rotate_feed(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Result<Json<app::server::feeds::FeedLinks>, AppError> {
    Ok(Json(
        app::server::feeds::rotate(&state, &me, &origin(addr, &headers)).await?,
    ))
}

/// `GET /ics/{secret}/studio.ics` or `/ics/{secret}/{space}.ics`.
pub async fn ics(
    State(state): State<AppState>,
    Path((secret, file)): Path<(String, String)>,
) -> Result<axum::response::Response, AppError> {
    use axum::{http::header, response::IntoResponse};
    let name = file
        .strip_suffix(".ics")
        .ok_or_else(|| AppError::not_found("calendar"))?;
    let space = (name != "studio").then_some(name);
    let body = app::server::feeds::feed(&state, &secret, space).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}

/// Everything held about a client (bookings, consents, notes, notifications,
/// state history, audit entries), as JSON: a data subject's access request.
/// Owners and admins; audited with who and why.
#[utoipa::path(get, path = "/api/v1/clients/{phone}/export", tag = "clients", security(("bearer" = [])),
    params(("phone" = String, Path, description = "Phone number, E.164"), SubjectRequest), responses(
    (status = 200, description = "All data held about the client", body = Object),
    (status = 403, description = "Owners and admins only", body = ErrorBody),
    (status = 404, description = "No bookings with this number", body = ErrorBody),
    (status = 422, description = "`invalid_reason`", body = ErrorBody)))]
pub async fn export_client(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(phone): Path<String>,
    ApiQuery(req): ApiQuery<SubjectRequest>,
) -> Result<Json<serde_json::Value>, AppError> {
    Ok(Json(
        privacy::export(&state, &me, &origin(addr, &headers), &phone, &req).await?,
    ))
}

/// Erases (anonymises) a client: every booking keeps its times, space,
/// state and amounts, without the person. Owners and admins; the reason is
/// required and audited.
#[utoipa::path(post, path = "/api/v1/clients/{phone}/erase", tag = "clients", security(("bearer" = [])),
    params(("phone" = String, Path, description = "Phone number, E.164")), request_body = SubjectRequest, responses(
    (status = 200, description = "Erased", body = Erasure),
    (status = 403, description = "Owners and admins only", body = ErrorBody),
    (status = 404, description = "No bookings with this number", body = ErrorBody),
    (status = 422, description = "`invalid_reason`", body = ErrorBody)))]
pub async fn erase_client(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(phone): Path<String>,
    ApiJson(req): ApiJson<SubjectRequest>,
) -> Result<Json<Erasure>, AppError> {
    Ok(Json(
        privacy::erase(&state, &me, &origin(addr, &headers), &phone, &req).await?,
    ))
}

/// Guests' requests about their data: open ones first, earliest due first.
#[utoipa::path(get, path = "/api/v1/data-requests", tag = "clients", security(("bearer" = [])),
    responses(
    (status = 200, description = "Requests", body = [DataRequest]),
    (status = 403, description = "Owners and admins only", body = ErrorBody)))]
pub async fn list_data_requests(
    State(state): State<AppState>,
    Staff(me): Staff,
) -> Result<Json<Vec<DataRequest>>, AppError> {
    Ok(Json(privacy::requests(&state, &me).await?))
}

/// Closes a guest's request, saying what was done (audited).
#[utoipa::path(post, path = "/api/v1/data-requests/{id}/close", tag = "clients", security(("bearer" = [])),
    params(("id" = String, Path, description = "Request id")), request_body = CloseRequest, responses(
    (status = 200, description = "Closed", body = DataRequest),
    (status = 403, description = "Owners and admins only", body = ErrorBody),
    (status = 404, description = "No such request", body = ErrorBody),
    (status = 409, description = "`request_closed`", body = ErrorBody),
    (status = 422, description = "`invalid_resolution`", body = ErrorBody)))]
pub async fn close_data_request(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CloseRequest>,
) -> Result<Json<DataRequest>, AppError> {
    Ok(Json(
        privacy::close_request(&state, &me, &origin(addr, &headers), &id, &body).await?,
    ))
}
