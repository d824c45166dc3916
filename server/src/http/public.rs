//! The public (no authentication) part of the REST API: spaces,
//! availability, quotes, guest bookings and the manage link.

use super::extract::ApiJson;
use app::{
    domain::{
        booking::{
            Availability, BookingConfirmation, GuestBookingRequest, GuestBookingView, QuoteRequest,
        },
        pricing::PriceBreakdown,
        SpaceSummary,
    },
    error::{AppError, ErrorBody},
    server::{bookings, AppState},
};
use axum::{
    extract::{ConnectInfo, Path, State},
    http::{header, HeaderMap, StatusCode},
    Json,
};
use serde::Deserialize;
use std::net::SocketAddr;
use utoipa::IntoParams;

/// The spaces guests can book, in display order.
#[utoipa::path(get, path = "/api/v1/public/spaces", tag = "public", responses(
    (status = 200, description = "Active spaces", body = [SpaceSummary]),
    (status = 503, description = "The database is not available", body = ErrorBody)))]
pub async fn list_spaces(
    State(state): State<AppState>,
) -> Result<Json<Vec<SpaceSummary>>, AppError> {
    let catalog = app::server::catalog::public_catalog(&state.store, &state.catalog_cache).await?;
    Ok(Json(catalog.spaces.clone()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AvailabilityQuery {
    /// Space slug, e.g. `studio_a`.
    space: String,
    /// Studio-local date, `YYYY-MM-DD` (years 2000 to 2100).
    #[param(format = Date)]
    date: String,
    /// Only starts at which this equipment is free: `id:quantity` (or just
    /// `id` for one), comma-separated; at most 20 items, each quantity 1 to
    /// 1000 (lines for the same item are added up).
    #[serde(default)]
    equipment: Option<String>,
}

/// Read from the query string in place: the generic `Query` extractor
/// (serde_urlencoded through serde_path_to_error) was a few percent of a
/// cached availability answer, the most frequent request guests make. The
/// same decoding (`form_urlencoded`, which serde_urlencoded uses) and the
/// same rules: unknown parameters ignored, a missing or repeated one a 400.
impl<S: Send + Sync> axum::extract::FromRequestParts<S> for AvailabilityQuery {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, AppError> {
        AvailabilityQuery::parse(parts.uri.query().unwrap_or_default())
    }
}

impl AvailabilityQuery {
    fn parse(query: &str) -> Result<Self, AppError> {
        // Worded as the generic extractor words them.
        let invalid = |problem: String| {
            AppError::invalid_query(format!("Failed to deserialize query string: {problem}"))
        };
        let (mut space, mut date, mut equipment) = (None, None, None);
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let field = match &*name {
                "space" => &mut space,
                "date" => &mut date,
                "equipment" => &mut equipment,
                _ => continue,
            };
            if field.replace(value.into_owned()).is_some() {
                return Err(invalid(format!("duplicate field `{name}`")));
            }
        }
        Ok(AvailabilityQuery {
            space: space.ok_or_else(|| invalid("missing field `space`".into()))?,
            date: date.ok_or_else(|| invalid("missing field `date`".into()))?,
            equipment,
        })
    }
}

/// Free one-hour starts of a space on a date, in the studio's time zone.
#[utoipa::path(get, path = "/api/v1/public/availability", tag = "public", params(AvailabilityQuery), responses(
    (status = 200, description = "Free slots", body = Availability),
    (status = 404, description = "No such space", body = ErrorBody),
    (status = 422, description = "Bad date", body = ErrorBody)))]
pub async fn availability(
    State(state): State<AppState>,
    q: AvailabilityQuery,
) -> Result<impl axum::response::IntoResponse, AppError> {
    let kept = bookings::availability_with(
        &state,
        &q.space,
        &q.date,
        q.equipment.as_deref().unwrap_or_default(),
    )
    .await?;
    // The answer's JSON is written once while it is kept (the same bytes
    // `Json(Availability)` would write).
    Ok((
        [(
            header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        )],
        kept.json()?,
    ))
}

/// The price of a would-be booking, line by line.
#[utoipa::path(post, path = "/api/v1/public/quote", tag = "public", request_body = QuoteRequest, responses(
    (status = 200, description = "Price breakdown", body = PriceBreakdown),
    (status = 422, description = "Invalid request", body = ErrorBody),
    (status = 429, description = "Too many requests", body = ErrorBody)))]
pub async fn quote(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<QuoteRequest>,
) -> Result<Json<PriceBreakdown>, AppError> {
    Ok(Json(bookings::quote_booking(&state, &req).await?))
}

pub(crate) fn request_meta(addr: SocketAddr, headers: &HeaderMap) -> bookings::RequestMeta {
    bookings::RequestMeta {
        ip: addr.ip().to_string(),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned(),
        locale: app::i18n::Locale::negotiate(
            app::server::web_session::cookie_value(headers, app::i18n::LOCALE_COOKIE).as_deref(),
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        ),
    }
}

/// Books a space as a guest. The same rules as the website's form.
#[utoipa::path(post, path = "/api/v1/public/bookings", tag = "public", request_body = GuestBookingRequest, responses(
    (status = 201, description = "Booked; pending confirmation by the studio", body = BookingConfirmation),
    (status = 400, description = "Malformed request", body = ErrorBody),
    (status = 409, description = "`slot_unavailable`; `details.alternatives` lists the nearest free slots", body = ErrorBody),
    (status = 422, description = "Per-field problems", body = ErrorBody),
    (status = 429, description = "Too many requests", body = ErrorBody)))]
pub async fn create_booking(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<GuestBookingRequest>,
) -> Result<(StatusCode, Json<BookingConfirmation>), AppError> {
    let created =
        bookings::create_guest_booking(&state, &req, &request_meta(addr, &headers)).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// The booking behind a guest's manage link.
#[utoipa::path(get, path = "/api/v1/public/bookings/{token}", tag = "public",
    params(("token" = String, Path, description = "The token of the manage link")), responses(
    (status = 200, description = "The booking", body = GuestBookingView),
    (status = 404, description = "No booking for this link", body = ErrorBody)))]
pub async fn guest_booking(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<GuestBookingView>, AppError> {
    Ok(Json(bookings::guest_booking(&state, &token).await?))
}

/// Cancels through the manage link, within the cancellation window.
#[utoipa::path(post, path = "/api/v1/public/bookings/{token}/cancel", tag = "public",
    params(("token" = String, Path, description = "The token of the manage link")), responses(
    (status = 200, description = "Cancelled; the slot is free again", body = GuestBookingView),
    (status = 404, description = "No booking for this link", body = ErrorBody),
    (status = 409, description = "`cancellation_window_closed` or `invalid_transition`", body = ErrorBody)))]
pub async fn cancel_guest_booking(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<GuestBookingView>, AppError> {
    Ok(Json(bookings::cancel_guest_booking(&state, &token).await?))
}

/// A stored size of a space photo or the logo (`480.webp`, `960.jpg`).
/// An image's id changes whenever its content would, so browsers and
/// proxies may keep it for a year without asking again.
pub async fn media(
    State(state): State<AppState>,
    Path((id, file)): Path<(String, String)>,
) -> Result<axum::response::Response, AppError> {
    use axum::response::IntoResponse;
    match app::server::images::file(&state.store, &id, &file).await? {
        Some((content_type, bytes)) => Ok((
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            bytes,
        )
            .into_response()),
        None => Err(AppError::not_found("image")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(e: AppError) -> String {
        match e {
            AppError::BadRequest { message } => message,
            other => panic!("a 400, not {other:?}"),
        }
    }

    #[test]
    fn the_availability_query_is_decoded_like_a_form_and_checked() {
        let q = AvailabilityQuery::parse(
            "date=2027-01-05&utm_source=x&space=studio%5Fa&equipment=softbox%3A2,+profoto",
        )
        .unwrap();
        assert_eq!(q.space, "studio_a");
        assert_eq!(q.date, "2027-01-05");
        assert_eq!(q.equipment.as_deref(), Some("softbox:2, profoto"));
        let q = AvailabilityQuery::parse("space=a&date=").unwrap();
        assert_eq!((q.date.as_str(), q.equipment), ("", None));
        for (query, problem) in [
            ("date=2027-01-05", "missing field `space`"),
            ("", "missing field `space`"),
            ("space=a", "missing field `date`"),
            ("space=a&date=2027-01-05&space=b", "duplicate field `space`"),
        ] {
            let text = message(AvailabilityQuery::parse(query).unwrap_err());
            assert!(text.ends_with(problem), "{query}: {text}");
        }
    }
}
