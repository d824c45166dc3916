//! The audit log viewer's API and CSV export (owner and admin).

use super::{
    auth::{origin, Staff},
    extract::ApiQuery,
};
use app::{
    error::{AppError, ErrorBody},
    server::{
        audit::{self, Actor, AuditFilter, AuditPage, Entry},
        AppState,
    },
};
use axum::{
    extract::{ConnectInfo, State},
    http::{header, HeaderMap},
    response::{IntoResponse, Response},
    Json,
};
use std::net::SocketAddr;

fn allowed(
    state: &AppState,
    me: &app::server::credentials::Principal,
    who: &Actor,
) -> impl std::future::Future<Output = Result<(), AppError>> {
    let (store, role, who) = (state.store.clone(), me.role, who.clone());
    async move {
        if role.manages_staff() {
            return Ok(());
        }
        let entry = Entry {
            action: "permission_denied",
            target_type: "audit_log",
            target_id: "",
            details: serde_json::json!({ "attempted": "read_audit_log" }),
        };
        audit::record(&store, &who, entry).await?;
        Err(AppError::Forbidden)
    }
}

/// Audit entries, newest first, 100 a page.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", security(("bearer" = [])), params(AuditFilter), responses(
    (status = 200, description = "A page of entries", body = AuditPage),
    (status = 403, description = "Owners and admins only", body = ErrorBody),
    (status = 422, description = "`page` is out of range", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiQuery(filter): ApiQuery<AuditFilter>,
) -> Result<Json<AuditPage>, AppError> {
    let who = app::server::credentials::actor_of(&me, &origin(addr, &headers));
    allowed(&state, &me, &who).await?;
    Ok(Json(audit::search(&state.store, &filter, Some(100)).await?))
}

/// All matching entries as CSV; the export itself is audited.
#[utoipa::path(get, path = "/api/v1/audit/export", tag = "audit", security(("bearer" = [])), params(AuditFilter), responses(
    (status = 200, description = "CSV", content_type = "text/csv"),
    (status = 403, description = "Owners and admins only", body = ErrorBody),
    (status = 422, description = "`page` is out of range", body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiQuery(filter): ApiQuery<AuditFilter>,
) -> Result<Response, AppError> {
    let who = app::server::credentials::actor_of(&me, &origin(addr, &headers));
    allowed(&state, &me, &who).await?;
    let page = audit::search(&state.store, &filter, None).await?;
    let entry = Entry {
        action: "audit_exported",
        target_type: "audit_log",
        target_id: "",
        details: serde_json::json!({ "entries": page.total, "action": filter.action, "from": filter.from, "to": filter.to }),
    };
    audit::record(&state.store, &who, entry).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit-log.csv\"",
            ),
        ],
        audit::to_csv(&page.entries),
    )
        .into_response())
}
