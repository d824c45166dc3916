//! Staff accounts over the REST API: doors into the employees service,
//! which decides what each role may do.

use super::{
    auth::{origin, Staff},
    extract::ApiJson,
};
use app::{
    domain::employee::{EmployeeSummary, EmployeeUpdate, NewEmployee, TemporaryPassword},
    error::{AppError, ErrorBody},
    server::{
        employees,
        security::{self, SecuritySettings},
        AppState,
    },
};
use axum::{
    extract::{ConnectInfo, Path, State},
    http::{HeaderMap, StatusCode},
    Json,
};
use std::net::SocketAddr;

/// Every employee (owner and admin).
#[utoipa::path(get, path = "/api/v1/employees", tag = "employees", security(("bearer" = [])), responses(
    (status = 200, description = "Employees", body = [EmployeeSummary]),
    (status = 401, description = "Not signed in", body = ErrorBody),
    (status = 403, description = "Managers do not manage staff", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Result<Json<Vec<EmployeeSummary>>, AppError> {
    Ok(Json(
        employees::list(&state.store, &me, &origin(addr, &headers)).await?,
    ))
}

/// Adds an employee below your role; answers with a one-time password.
#[utoipa::path(post, path = "/api/v1/employees", tag = "employees", security(("bearer" = [])), request_body = NewEmployee, responses(
    (status = 201, description = "Created; hand the temporary password over once", body = TemporaryPassword),
    (status = 403, description = "Not allowed to create this role", body = ErrorBody),
    (status = 422, description = "Invalid or taken username, bad e-mail", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<NewEmployee>,
) -> Result<(StatusCode, Json<TemporaryPassword>), AppError> {
    let created = employees::create(&state.store, &me, &input, &origin(addr, &headers)).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// One employee: yourself, or someone below your role.
#[utoipa::path(get, path = "/api/v1/employees/{id}", tag = "employees", security(("bearer" = [])),
    params(("id" = String, Path, description = "Employee id")), responses(
    (status = 200, description = "The employee", body = EmployeeSummary),
    (status = 403, description = "Not allowed", body = ErrorBody),
    (status = 404, description = "No such employee", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<EmployeeSummary>, AppError> {
    Ok(Json(
        employees::get(&state.store, &me, &id, &origin(addr, &headers)).await?,
    ))
}

/// Edits an employee; a role change or disabling ends their sessions.
#[utoipa::path(put, path = "/api/v1/employees/{id}", tag = "employees", security(("bearer" = [])),
    params(("id" = String, Path, description = "Employee id")), request_body = EmployeeUpdate, responses(
    (status = 200, description = "Updated", body = EmployeeSummary),
    (status = 403, description = "Not allowed", body = ErrorBody),
    (status = 404, description = "No such employee", body = ErrorBody),
    (status = 409, description = "`last_owner`: the studio needs an active owner", body = ErrorBody),
    (status = 422, description = "Invalid fields", body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(change): ApiJson<EmployeeUpdate>,
) -> Result<Json<EmployeeSummary>, AppError> {
    Ok(Json(
        employees::update(&state.store, &me, &id, &change, &origin(addr, &headers)).await?,
    ))
}

/// Issues a one-time password and ends the employee's sessions.
#[utoipa::path(post, path = "/api/v1/employees/{id}/reset-password", tag = "employees", security(("bearer" = [])),
    params(("id" = String, Path, description = "Employee id")), responses(
    (status = 200, description = "The temporary password, shown once", body = TemporaryPassword),
    (status = 403, description = "Not allowed", body = ErrorBody),
    (status = 404, description = "No such employee", body = ErrorBody)))]
pub async fn reset_password(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<TemporaryPassword>, AppError> {
    Ok(Json(
        employees::reset_password(&state.store, &me, &id, &origin(addr, &headers)).await?,
    ))
}

/// Ends every session of an employee below your role.
#[utoipa::path(post, path = "/api/v1/employees/{id}/revoke-sessions", tag = "employees", security(("bearer" = [])),
    params(("id" = String, Path, description = "Employee id")), responses(
    (status = 204, description = "Ended"),
    (status = 403, description = "Not allowed", body = ErrorBody),
    (status = 404, description = "No such employee", body = ErrorBody)))]
pub async fn revoke_sessions(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    employees::revoke_employee_sessions(&state.store, &me, &id, &origin(addr, &headers)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Studio-wide security settings (owner and admin may read).
#[utoipa::path(get, path = "/api/v1/settings/security", tag = "employees", security(("bearer" = [])), responses(
    (status = 200, description = "The settings", body = SecuritySettings),
    (status = 403, description = "Managers do not manage staff", body = ErrorBody)))]
pub async fn get_security(
    State(state): State<AppState>,
    Staff(me): Staff,
) -> Result<Json<SecuritySettings>, AppError> {
    if !me.role.manages_staff() {
        return Err(AppError::Forbidden);
    }
    Ok(Json(security::get(&state.store).await?))
}

/// Changes the studio-wide security settings (owner only).
#[utoipa::path(put, path = "/api/v1/settings/security", tag = "employees", security(("bearer" = [])), request_body = SecuritySettings, responses(
    (status = 200, description = "Changed", body = SecuritySettings),
    (status = 403, description = "Owner only", body = ErrorBody)))]
pub async fn put_security(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(new): ApiJson<SecuritySettings>,
) -> Result<Json<SecuritySettings>, AppError> {
    Ok(Json(
        security::set(&state.store, &me, new, &origin(addr, &headers)).await?,
    ))
}
