//! Staff sign-in over the REST API, and the extractor that every staff
//! endpoint uses to know who is asking.

use super::{extract::ApiJson, public::request_meta};
use app::{
    domain::employee::EmployeeProfile,
    error::{AppError, ErrorBody},
    server::{
        auth::{self, Origin, Principal, TokenPair},
        employees, AppState,
    },
};
use axum::{
    extract::{ConnectInfo, FromRequestParts, State},
    http::{header, request::Parts, HeaderMap, StatusCode},
    Json,
};
use serde::Deserialize;
use std::net::SocketAddr;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Deserialize, ToSchema)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

pub(crate) fn origin(addr: SocketAddr, headers: &HeaderMap) -> Origin {
    let meta = request_meta(addr, headers);
    Origin {
        ip: meta.ip,
        user_agent: meta.user_agent,
    }
}

/// Signs in with username and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest, responses(
    (status = 200, description = "Signed in", body = TokenPair),
    (status = 401, description = "`invalid_credentials` (the same for an unknown user and a wrong password)", body = ErrorBody),
    (status = 423, description = "`account_locked` after repeated failures; see Retry-After", body = ErrorBody),
    (status = 429, description = "Too many attempts from this address", body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<TokenPair>, AppError> {
    Ok(Json(
        auth::login(
            &state,
            &req.username,
            &req.password,
            &origin(addr, &headers),
        )
        .await?,
    ))
}

/// Exchanges a refresh token for a new pair; the old one is spent.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest, responses(
    (status = 200, description = "New tokens", body = TokenPair),
    (status = 401, description = "`invalid_token`, `session_expired`, or `token_reused` (the whole session is ended)", body = ErrorBody)))]
pub async fn refresh(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> Result<Json<TokenPair>, AppError> {
    Ok(Json(
        auth::refresh(&state, &req.refresh_token, &origin(addr, &headers)).await?,
    ))
}

/// Ends the session of a refresh token.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", request_body = RefreshRequest, responses(
    (status = 204, description = "Signed out")))]
pub async fn logout(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> Result<StatusCode, AppError> {
    auth::logout(&state, &req.refresh_token, &origin(addr, &headers)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in employee's own profile.
#[utoipa::path(get, path = "/api/v1/employees/profile", tag = "employees", security(("bearer" = [])), responses(
    (status = 200, description = "The profile", body = EmployeeProfile),
    (status = 401, description = "Not signed in", body = ErrorBody)))]
pub async fn profile(
    State(state): State<AppState>,
    Staff(me): Staff,
) -> Result<Json<EmployeeProfile>, AppError> {
    Ok(Json(
        employees::profile(&state.store, &me.employee_id).await?,
    ))
}

/// The authenticated employee of a request (`Authorization: Bearer`).
pub struct Staff(pub Principal);

impl FromRequestParts<AppState> for Staff {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| AppError::Unauthorized {
                code: "not_authenticated".into(),
                message: "Sign in to continue.".into(),
            })?;
        auth::authenticate(state, token).await.map(Staff)
    }
}
