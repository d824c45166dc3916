//! Analytics: a period's figures and its exports (CSV per table, one XLSX
//! workbook). Every employee sees the figures; money (revenue, booked
//! value, discounts, top clients) only owners and admins.

use super::{
    auth::{origin, Staff},
    extract::ApiQuery,
};
use app::{
    domain::analytics::{AnalyticsQuery, Summary},
    error::{AppError, ErrorBody, FieldError},
    server::{analytics, AppState},
};
use axum::{
    extract::{ConnectInfo, State},
    http::{header, HeaderMap},
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;
use std::net::SocketAddr;
use utoipa::IntoParams;

/// A period's figures from the daily rollups.
#[utoipa::path(get, path = "/api/v1/analytics/summary", tag = "analytics", security(("bearer" = [])),
    params(AnalyticsQuery), responses(
    (status = 200, description = "The period's figures; `revenue` and `booked_value` are absent for managers", body = Summary),
    (status = 422, description = "`from`/`to` not a date, `to` before `from`, over three years, or an unknown `space`", body = ErrorBody)))]
pub async fn summary(
    State(state): State<AppState>,
    Staff(me): Staff,
    ApiQuery(query): ApiQuery<AnalyticsQuery>,
) -> Result<Json<Summary>, AppError> {
    Ok(Json(analytics::summary(&state, &me, &query).await?))
}

/// The period of an export, and for CSV the table.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// First studio day, `YYYY-MM-DD` (default: the first of this month).
    pub from: Option<String>,
    /// Last studio day, `YYYY-MM-DD` (default: today).
    pub to: Option<String>,
    /// A space's slug; none: all spaces.
    pub space: Option<String>,
    /// CSV only: `summary`, `daily` (default), `occupancy`, `sources`,
    /// `cancellations`, `promo_codes`, `equipment`, `top_clients` (owners
    /// and admins) or `heat_map`.
    pub table: Option<String>,
}

impl ExportQuery {
    fn period(&self) -> AnalyticsQuery {
        AnalyticsQuery {
            from: self.from.clone(),
            to: self.to.clone(),
            space: self.space.clone(),
        }
    }
}

/// A file to download.
fn attachment(content_type: &str, file_name: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// One table of the period as CSV.
#[utoipa::path(get, path = "/api/v1/analytics/export.csv", tag = "analytics", security(("bearer" = [])),
    params(ExportQuery), responses(
    (status = 200, description = "CSV (RFC 4180, money in roubles)", content_type = "text/csv"),
    (status = 422, description = "Bad period, unknown space or table", body = ErrorBody)))]
pub async fn export_csv(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, AppError> {
    let table = q
        .table
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .unwrap_or("daily")
        .to_owned();
    if !analytics::TABLES.contains(&table.as_str()) {
        return Err(AppError::field(
            "table",
            FieldError::new("unknown_table", "There is no such table."),
        ));
    }
    let origin = origin(addr, &headers);
    let export = analytics::export(&state, &me, &origin, &q.period(), "csv", Some(&table)).await?;
    let Some(found) = export.tables.iter().find(|t| t.name == table) else {
        // top_clients without the right to see money.
        return Err(AppError::Forbidden);
    };
    Ok(attachment(
        "text/csv; charset=utf-8",
        &format!("{}-{table}.csv", export.name),
        analytics::csv(found).into_bytes(),
    ))
}

/// Every table of the period as one XLSX workbook, a sheet each.
#[utoipa::path(get, path = "/api/v1/analytics/export.xlsx", tag = "analytics", security(("bearer" = [])),
    params(ExportQuery), responses(
    (status = 200, description = "XLSX workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (status = 422, description = "Bad period or unknown space", body = ErrorBody)))]
pub async fn export_xlsx(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, AppError> {
    let origin = origin(addr, &headers);
    let export = analytics::export(&state, &me, &origin, &q.period(), "xlsx", None).await?;
    let tables = export.tables;
    let body = tokio::task::spawn_blocking(move || analytics::xlsx(&tables))
        .await
        .map_err(|_| AppError::Internal)??;
    Ok(attachment(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("{}.xlsx", export.name),
        body,
    ))
}
