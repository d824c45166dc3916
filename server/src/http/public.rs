//! The public (no authentication) part of the REST API.

use app::{domain::SpaceSummary, error::AppError, server::AppState};
use axum::{extract::State, Json};

/// The spaces guests can book, in display order.
#[utoipa::path(get, path = "/api/v1/public/spaces", tag = "public", responses(
    (status = 200, description = "Active spaces", body = [SpaceSummary]),
    (status = 503, description = "The database is not available", body = app::error::ErrorBody)))]
pub async fn list_spaces(
    State(state): State<AppState>,
) -> Result<Json<Vec<SpaceSummary>>, AppError> {
    let catalog = app::server::catalog::public_catalog(&state.store, &state.catalog_cache).await?;
    Ok(Json(catalog.spaces.clone()))
}
