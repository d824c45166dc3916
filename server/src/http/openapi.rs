//! The OpenAPI document, generated from the handlers' annotations.

use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Studio CRM API",
        description = "Bookings, spaces and staff of a photo studio. Errors always have the shape \
                       `{\"error\": {\"code\", \"message\", \"fields\"}}`."
    ),
    paths(
        super::health::live,
        super::health::db,
        super::health::cache,
        super::public::list_spaces,
    ),
    components(schemas(
        app::error::ErrorBody,
        app::error::ErrorDetail,
        app::error::FieldError,
        app::domain::SpaceSummary,
    )),
    tags(
        (name = "operations", description = "Health checks for orchestrators and monitoring"),
        (name = "public", description = "Guest-facing endpoints; no authentication"),
    )
)]
pub struct ApiDoc;
