//! The OpenAPI document, generated from the handlers' annotations.

use axum::{
    body::Bytes,
    http::header,
    response::{IntoResponse, Response},
};
use std::sync::OnceLock;
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
        super::calendar::export_client,
        super::calendar::erase_client,
        super::calendar::list_data_requests,
        super::calendar::close_data_request,
        super::calendar::feed_links,
        super::settings::get,
        super::settings::put,
        super::settings::get_contacts,
        super::settings::put_contacts,
        super::settings::list_spaces,
        super::settings::create_space,
        super::settings::update_space,
        super::settings::add_photo,
        super::settings::delete_photo,
        super::settings::put_logo,
        super::settings::delete_logo,
        super::settings::list_equipment,
        super::settings::create_equipment,
        super::settings::update_equipment,
        super::settings::list_promos,
        super::settings::save_promo,
        super::calendar::rotate_feed,
        super::audit::list,
        super::audit::export,
        super::health::outbox,
        super::notifications::list,
        super::notifications::create,
        super::notifications::get,
        super::notifications::update,
        super::notifications::delete,
        super::notifications::deliveries,
        super::notifications::settings,
        super::notifications::put_settings,
        super::notifications::telegram_test,
        super::notifications::dead,
        super::notifications::retry,
        super::analytics::summary,
        super::analytics::export_csv,
        super::analytics::export_xlsx,
    ),
    components(schemas(
        app::error::ErrorBody,
        app::error::ErrorDetail,
        app::server::outbox::Backlog,
        app::server::outbox::OutboxRow,
        app::server::outbox::LastDelivery,
        app::server::webhooks::Webhook,
        app::server::webhooks::WebhookInput,
        app::server::webhooks::DeliveryAttempt,
        app::server::webhooks::NotificationSettings,
        super::notifications::Queued,
        app::error::FieldError,
        app::domain::SpaceSummary,
        app::domain::studio::StudioContacts,
        app::domain::studio::Localized,
        app::domain::studio::Photo,
        app::domain::studio::SpaceDetails,
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
        app::domain::analytics::Summary,
        app::domain::analytics::Occupancy,
        app::domain::analytics::DailyFigures,
        app::domain::analytics::BySource,
        app::domain::analytics::CancelledBy,
        app::domain::calendar::Block,
        app::domain::calendar::BlockRequest,
        app::domain::calendar::ClientSummary,
        app::domain::calendar::ClientList,
        app::domain::calendar::ClientDetail,
        app::domain::calendar::ClientNotes,
        app::server::feeds::FeedLinks,
        app::domain::settings::StudioSettings,
        app::domain::settings::SettingsUpdate,
        app::domain::settings::DayHours,
        app::domain::settings::Holiday,
        app::domain::settings::SpaceAdmin,
        app::domain::settings::SpaceInput,
        app::domain::settings::EquipmentItem,
        app::domain::settings::EquipmentInput,
        app::domain::settings::PromoCode,
        app::domain::settings::PromoInput,
        app::server::feeds::SpaceFeed,
        super::auth::LoginRequest,
        super::auth::RefreshRequest,
    )),
    modifiers(&BearerAuth, &CommonResponses),
    tags(
        (name = "operations", description = "Health checks for orchestrators and monitoring"),
        (name = "public", description = "Guest-facing endpoints; no authentication"),
        (name = "auth", description = "Staff sign-in, token refresh and sign-out"),
        (name = "employees", description = "Staff accounts; a bearer access token is required"),
        (name = "audit", description = "The tamper-evident audit log (owner and admin)"),
        (name = "bookings", description = "Bookings as the staff run them"),
        (name = "notifications", description = "Webhooks, notification settings and the outbox (owner and admin)"),
        (name = "analytics", description = "A period's figures and exports; money for owners and admins only"),
    )
)]
pub struct ApiDoc;

/// `GET /api/v1/openapi.json`: the document as JSON, written the first time
/// it is asked for and kept as those bytes (150 KB). The document as utoipa
/// builds it (schemas and paths in B-trees) takes about 6 MB of heap: held
/// by Swagger UI for the life of the process, it was more than half of an
/// idle server's heap (11 MB, now under 5 MB).
pub async fn document() -> Response {
    static JSON: OnceLock<Bytes> = OnceLock::new();
    let body = match JSON.get() {
        Some(body) => body.clone(),
        None => match serde_json::to_vec(&ApiDoc::openapi()) {
            Ok(json) => JSON.get_or_init(|| Bytes::from(json)).clone(),
            Err(e) => {
                tracing::error!(error = %e, "cannot write the OpenAPI document");
                return app::error::AppError::Internal.into_response();
            }
        },
    };
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

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

/// The answers every operation of a kind can give, added in one place so
/// that the document lists each status the server may return: 400 for a
/// body or query of the wrong shape, 401 without valid credentials, 409
/// while a temporary password or the studio's two-factor rule must be
/// dealt with first, 429 where guesses or guest writes are throttled, 503
/// when the database does not answer.
struct CommonResponses;

/// Operations behind the per-address throttle.
const THROTTLED: [(&str, &str); 9] = [
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/refresh"),
    ("post", "/api/v1/auth/password"),
    ("post", "/api/v1/auth/mfa/setup"),
    ("post", "/api/v1/auth/mfa/enable"),
    ("post", "/api/v1/auth/mfa/disable"),
    ("post", "/api/v1/public/quote"),
    ("post", "/api/v1/public/bookings"),
    ("post", "/api/v1/public/bookings/{token}/cancel"),
];

/// Operations open to an employee who must still replace a temporary
/// password (to see oneself and to replace it).
const BEFORE_PASSWORD_CHANGE: [(&str, &str); 2] = [
    ("get", "/api/v1/employees/profile"),
    ("post", "/api/v1/auth/password"),
];

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{
            path::{Operation, ParameterIn},
            ContentBuilder, Ref, ResponseBuilder,
        };
        let error = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build()
        };
        let add = |op: &mut Operation, status: &str, description: &str| {
            op.responses
                .responses
                .entry(status.to_owned())
                .or_insert_with(|| error(description).into());
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let ops = [
                ("get", item.get.as_mut()),
                ("put", item.put.as_mut()),
                ("post", item.post.as_mut()),
                ("delete", item.delete.as_mut()),
            ];
            for (method, op) in ops {
                let Some(op) = op else { continue };
                let has_query = op
                    .parameters
                    .iter()
                    .flatten()
                    .any(|p| p.parameter_in == ParameterIn::Query);
                if op.request_body.is_some() {
                    add(op, "400", "`bad_request`: the body is not JSON, or a field is missing or of the wrong type");
                } else if has_query {
                    add(
                        op,
                        "400",
                        "`bad_request`: a query parameter is of the wrong type",
                    );
                }
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                if secured {
                    add(op, "401", "`not_authenticated` or `invalid_token`: no valid bearer token (or cookie session)");
                    if !BEFORE_PASSWORD_CHANGE.contains(&(method, path.as_str())) {
                        add(op, "409", "`password_change_required` (a temporary password must be replaced first) or `mfa_enrolment_required` (the studio requires two-factor sign-in)");
                    }
                }
                if THROTTLED.contains(&(method, path.as_str())) {
                    add(
                        op,
                        "429",
                        "`rate_limited`: too many attempts from this address; see Retry-After",
                    );
                }
                if !path.starts_with("/health") {
                    add(op, "503", "`unavailable`: the database is not available");
                }
            }
        }
    }
}
