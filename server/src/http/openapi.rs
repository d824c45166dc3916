//! The OpenAPI document, generated from the handlers' annotations.

use utoipa::{
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    Modify, OpenApi,
};

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
        super::auth::login,
        super::auth::refresh,
        super::auth::logout,
        super::auth::profile,
        super::employees::list,
        super::employees::create,
        super::employees::get,
        super::employees::update,
        super::employees::reset_password,
        super::employees::revoke_sessions,
        super::auth::change_password,
        super::auth::sessions,
        super::auth::revoke_session,
        super::auth::revoke_other_sessions,
        super::auth::mfa_setup,
        super::auth::mfa_enable,
        super::auth::mfa_disable,
        super::employees::get_security,
        super::employees::put_security,
        super::bookings::list,
        super::bookings::create,
        super::bookings::get,
        super::bookings::update,
        super::bookings::delete,
        super::bookings::batch,
        super::bookings::transition,
        super::calendar::list_blocks,
        super::calendar::create_block,
        super::calendar::update_block,
        super::calendar::delete_block,
        super::calendar::list_clients,
        super::calendar::get_client,
        super::calendar::set_client_notes,
        super::audit::list,
        super::audit::export,
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
        app::domain::employee::EmployeeProfile,
        app::domain::employee::EmployeeSummary,
        app::domain::employee::NewEmployee,
        app::domain::employee::EmployeeUpdate,
        app::domain::employee::TemporaryPassword,
        app::domain::Role,
        app::server::auth::TokenPair,
        app::server::auth::SessionInfo,
        super::auth::PasswordChange,
        super::auth::MfaSetupRequest,
        super::auth::MfaEnableRequest,
        super::auth::MfaDisableRequest,
        app::server::mfa::MfaSetup,
        app::server::mfa::BackupCodes,
        app::server::audit::AuditView,
        app::server::audit::AuditPage,
        app::server::security::SecuritySettings,
        app::domain::booking::TransitionRequest,
        app::domain::booking::BookingStateView,
        app::domain::booking::BookingSource,
        app::domain::board::PaymentStatus,
        app::domain::board::BookingSummary,
        app::domain::board::BookingList,
        app::domain::board::BookingDetail,
        app::domain::board::StateHistoryEntry,
        app::domain::board::BookingAuditEntry,
        app::domain::board::EquipmentLine,
        app::domain::board::StaffBookingRequest,
        app::domain::board::BookingUpdate,
        app::domain::board::BatchOperation,
        app::domain::board::BatchRequest,
        app::domain::board::BatchOutcome,
        app::domain::calendar::Block,
        app::domain::calendar::BlockRequest,
        app::domain::calendar::ClientSummary,
        app::domain::calendar::ClientList,
        app::domain::calendar::ClientDetail,
        app::domain::calendar::ClientNotes,
        super::auth::LoginRequest,
        super::auth::RefreshRequest,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "operations", description = "Health checks for orchestrators and monitoring"),
        (name = "public", description = "Guest-facing endpoints; no authentication"),
        (name = "auth", description = "Staff sign-in, token refresh and sign-out"),
        (name = "employees", description = "Staff accounts; a bearer access token is required"),
        (name = "audit", description = "The tamper-evident audit log (owner and admin)"),
        (name = "bookings", description = "Bookings as the staff run them"),
    )
)]
pub struct ApiDoc;

/// Declares the bearer access token that staff endpoints require.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}
