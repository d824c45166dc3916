//! Webhooks, notification settings and the outbox's dead letters (owners
//! and admins). Thin doors into `app::server::webhooks`, which the staff
//! settings screen uses as well.

use super::{
    auth::{origin, Staff},
    extract::ApiJson,
};
use app::{
    error::{AppError, ErrorBody},
    server::{
        outbox::OutboxRow,
        webhooks::{self, DeliveryAttempt, NotificationSettings, Webhook, WebhookInput},
        AppState,
    },
};
use axum::{
    extract::{ConnectInfo, Path, State},
    http::{HeaderMap, StatusCode},
    Json,
};
use serde::Serialize;
use std::net::SocketAddr;
use utoipa::ToSchema;

/// The webhooks, without their secrets.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "notifications", security(("bearer" = [])), responses(
    (status = 200, description = "Webhooks", body = [Webhook]),
    (status = 403, description = "Owners and admins only", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Staff(me): Staff,
) -> Result<Json<Vec<Webhook>>, AppError> {
    Ok(Json(webhooks::list(&state, &me).await?))
}

/// Adds a webhook. The answer holds its signing secret, shown only here.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "notifications", security(("bearer" = [])),
    request_body = WebhookInput, responses(
    (status = 201, description = "Added; `secret` is shown once", body = Webhook),
    (status = 403, description = "Owners and admins only", body = ErrorBody),
    (status = 422, description = "Field errors", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<WebhookInput>,
) -> Result<(StatusCode, Json<Webhook>), AppError> {
    let hook = webhooks::create(&state, &me, &origin(addr, &headers), &req).await?;
    Ok((StatusCode::CREATED, Json(hook)))
}

/// One webhook.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "notifications", security(("bearer" = [])),
    params(("id" = String, Path, description = "Webhook id")), responses(
    (status = 200, description = "The webhook", body = Webhook),
    (status = 403, description = "Owners and admins only", body = ErrorBody),
    (status = 404, description = "No such webhook", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Staff(me): Staff,
    Path(id): Path<String>,
) -> Result<Json<Webhook>, AppError> {
    Ok(Json(webhooks::get(&state, &me, &id).await?))
}

/// Changes a webhook's address, events or whether it is active.
#[utoipa::path(put, path = "/api/v1/webhooks/{id}", tag = "notifications", security(("bearer" = [])),
    params(("id" = String, Path, description = "Webhook id")), request_body = WebhookInput, responses(
    (status = 200, description = "Changed", body = Webhook),
    (status = 403, description = "Owners and admins only", body = ErrorBody),
    (status = 404, description = "No such webhook", body = ErrorBody),
    (status = 422, description = "Field errors", body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<WebhookInput>,
) -> Result<Json<Webhook>, AppError> {
    Ok(Json(
        webhooks::update(&state, &me, &origin(addr, &headers), &id, &req).await?,
    ))
}

/// Removes a webhook; its undelivered messages are dropped.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "notifications", security(("bearer" = [])),
    params(("id" = String, Path, description = "Webhook id")), responses(
    (status = 204, description = "Removed"),
    (status = 403, description = "Owners and admins only", body = ErrorBody),
    (status = 404, description = "No such webhook", body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    webhooks::delete(&state, &me, &origin(addr, &headers), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delivery attempts of a webhook, newest first, with the receiver's status.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "notifications", security(("bearer" = [])),
    params(("id" = String, Path, description = "Webhook id")), responses(
    (status = 200, description = "Attempts", body = [DeliveryAttempt]),
    (status = 403, description = "Owners and admins only", body = ErrorBody),
    (status = 404, description = "No such webhook", body = ErrorBody)))]
pub async fn deliveries(
    State(state): State<AppState>,
    Staff(me): Staff,
    Path(id): Path<String>,
) -> Result<Json<Vec<DeliveryAttempt>>, AppError> {
    Ok(Json(webhooks::deliveries(&state, &me, &id).await?))
}

/// Reminders, unpaid auto-cancel, Telegram events; whether each channel
/// is configured and how its last delivery went.
#[utoipa::path(get, path = "/api/v1/settings/notifications", tag = "notifications", security(("bearer" = [])), responses(
    (status = 200, description = "The settings", body = NotificationSettings),
    (status = 403, description = "Owners and admins only", body = ErrorBody)))]
pub async fn settings(
    State(state): State<AppState>,
    Staff(me): Staff,
) -> Result<Json<NotificationSettings>, AppError> {
    Ok(Json(webhooks::settings(&state, &me).await?))
}

/// Saves the notification settings (the channel states are ignored).
#[utoipa::path(put, path = "/api/v1/settings/notifications", tag = "notifications", security(("bearer" = [])),
    request_body = NotificationSettings, responses(
    (status = 200, description = "Saved", body = NotificationSettings),
    (status = 403, description = "Owners and admins only", body = ErrorBody),
    (status = 422, description = "Field errors", body = ErrorBody)))]
pub async fn put_settings(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<NotificationSettings>,
) -> Result<Json<NotificationSettings>, AppError> {
    Ok(Json(
        webhooks::update_settings(&state, &me, &origin(addr, &headers), &req).await?,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct Queued {
    pub delivery_id: String,
}

/// Sends a test message to the staff's Telegram chat (through the outbox).
#[utoipa::path(post, path = "/api/v1/settings/notifications/telegram-test", tag = "notifications", security(("bearer" = [])), responses(
    (status = 202, description = "Queued", body = Queued),
    (status = 403, description = "Owners and admins only", body = ErrorBody),
    (status = 409, description = "`telegram_not_configured`", body = ErrorBody)))]
pub async fn telegram_test(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Result<(StatusCode, Json<Queued>), AppError> {
    let delivery_id = webhooks::telegram_test(&state, &me, &origin(addr, &headers)).await?;
    Ok((StatusCode::ACCEPTED, Json(Queued { delivery_id })))
}

/// Deliveries that failed every attempt.
#[utoipa::path(get, path = "/api/v1/outbox/dead", tag = "notifications", security(("bearer" = [])), responses(
    (status = 200, description = "Dead deliveries, newest first", body = [OutboxRow]),
    (status = 403, description = "Owners and admins only", body = ErrorBody)))]
pub async fn dead(
    State(state): State<AppState>,
    Staff(me): Staff,
) -> Result<Json<Vec<OutboxRow>>, AppError> {
    Ok(Json(webhooks::dead(&state, &me).await?))
}

/// Puts a dead delivery back in the queue, due now.
#[utoipa::path(post, path = "/api/v1/outbox/{id}/retry", tag = "notifications", security(("bearer" = [])),
    params(("id" = String, Path, description = "Outbox row id")), responses(
    (status = 202, description = "Queued again"),
    (status = 403, description = "Owners and admins only", body = ErrorBody),
    (status = 404, description = "No such dead delivery", body = ErrorBody)))]
pub async fn retry(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    webhooks::retry(&state, &me, &origin(addr, &headers), &id).await?;
    Ok(StatusCode::ACCEPTED)
}
