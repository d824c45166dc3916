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
        super::public::availability,
        super::public::quote,
        super::public::create_booking,
        super::public::guest_booking,
        super::public::cancel_guest_booking,
    ),
    components(schemas(
        app::error::ErrorBody,
        app::error::ErrorDetail,
        app::error::FieldError,
        app::domain::SpaceSummary,
        app::domain::booking::Availability,
        app::domain::booking::Slot,
        app::domain::booking::QuoteRequest,
        app::domain::booking::GuestBookingRequest,
        app::domain::booking::EquipmentRequest,
        app::domain::booking::BookingConfirmation,
        app::domain::booking::GuestBookingView,
        app::domain::booking::BookingState,
        app::domain::PriceBreakdown,
    )),
    tags(
        (name = "operations", description = "Health checks for orchestrators and monitoring"),
        (name = "public", description = "Guest-facing endpoints; no authentication"),
    )
)]
pub struct ApiDoc;
