//! The server-rendered pages' form posts, which work without JavaScript:
//! the booking form, the manage page's cancel button and first-run setup. A refused booking renders the
//! same page again with the guest's input and the errors next to the fields.

use super::public::request_meta;
use app::{
    domain::booking::GuestBookingRequest,
    error::AppError,
    server::{bookings, setup, AppState},
    shell,
    ui::{
        book::{BookingForm, FormOutcome},
        setup::{SetupForm, SetupOutcome},
    },
};
use axum::{
    body::Body,
    extract::{ConnectInfo, FromRequest, Path, State},
    http::{Request, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use chrono::{DateTime, Duration};
use leptos::prelude::provide_context;
use std::net::SocketAddr;

/// Turns the form into the API's request: the end is the start plus the
/// chosen number of hours.
fn to_request(space: &str, form: &BookingForm) -> GuestBookingRequest {
    // The form offers 1 to 24 hours; anything else leaves the end empty,
    // which the service refuses field by field.
    let end_time = DateTime::parse_from_rfc3339(&form.start)
        .ok()
        .filter(|_| (1..=24).contains(&form.hours))
        .and_then(|s| s.checked_add_signed(Duration::hours(form.hours)))
        .map(|e| e.to_rfc3339())
        .unwrap_or_default();
    let optional = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    GuestBookingRequest {
        space: space.to_owned(),
        start_time: form.start.clone(),
        end_time,
        people_count: form.people_count,
        client_name: form.client_name.clone(),
        client_phone: form.client_phone.clone(),
        client_email: optional(&form.client_email),
        equipment: Vec::new(),
        special_requirements: optional(&form.special_requirements),
        promo_code: optional(&form.promo_code),
        consent: form.consent.is_some(),
        website: optional(&form.website),
    }
}

pub async fn submit_booking(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(space): Path<String>,
    req: Request<Body>,
) -> Response {
    let (parts, body) = req.into_parts();
    let meta = request_meta(addr, &parts.headers);
    let form =
        match Form::<BookingForm>::from_request(Request::from_parts(parts.clone(), body), &state)
            .await
        {
            Ok(Form(f)) => f,
            Err(_) => BookingForm::default(),
        };
    let error =
        match bookings::create_guest_booking(&state, &to_request(&space, &form), &meta).await {
            Ok(created) => {
                // The page's own path: the redirect stays on the host the
                // guest used, whatever the public URL says.
                let path = created
                    .manage_url
                    .find("/booking/")
                    .map_or(created.manage_url.as_str(), |i| &created.manage_url[i..]);
                return Redirect::to(&format!("{path}?new=1")).into_response();
            }
            Err(e) => e,
        };
    let status =
        StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
    // The page is rendered for the day the guest was booking, whatever the
    // form's address said.
    let mut parts = parts;
    if app::domain::calendar::parse_date(&form.date).is_some() {
        if let Ok(uri) = format!("/book/{space}?date={}", form.date).parse() {
            parts.uri = uri;
        }
    }
    let outcome = FormOutcome {
        values: BookingForm {
            website: String::new(),
            ..form
        },
        error,
    };
    render_with(&state, parts, status, outcome).await
}

/// Renders the page of `parts`' address with `outcome` in context (what
/// was typed and why it was refused), answering with `status`.
async fn render_with<T: Clone + Send + Sync + 'static>(
    state: &AppState,
    parts: axum::http::request::Parts,
    status: StatusCode,
    outcome: T,
) -> Response {
    let options = state.leptos_options.clone();
    let handler = leptos_axum::render_app_async_with_context(
        {
            let state = state.clone();
            move || {
                provide_context(state.clone());
                provide_context(outcome.clone());
            }
        },
        move || shell(options.clone()),
    );
    // The change is made; only its page is rendered, again if it stalls.
    let rendered = super::rendered_in_time(super::RENDER_LIMIT, || {
        handler(Request::from_parts(parts.clone(), Body::empty()))
    })
    .await;
    let Some(mut response) = rendered else {
        return super::stalled_page();
    };
    *response.status_mut() = status;
    response
}

/// `POST /setup`: creates the first owner, then on to the sign-in page; a
/// refusal renders the setup page again (never with the passwords).
pub async fn submit_setup(State(state): State<AppState>, req: Request<Body>) -> Response {
    let (parts, body) = req.into_parts();
    let form =
        match Form::<SetupForm>::from_request(Request::from_parts(parts.clone(), body), &state)
            .await
        {
            Ok(Form(f)) => f,
            Err(_) => SetupForm::default(),
        };
    let done = setup::complete(
        &state.store,
        setup::SetupInput {
            token: &form.setup_token,
            username: &form.username,
            email: &form.email,
            full_name: &form.full_name,
            password: &form.password,
            password_repeat: &form.password_repeat,
        },
    )
    .await;
    let error = match done {
        Ok(_) => return Redirect::to("/staff/login").into_response(),
        Err(e) => e,
    };
    let status =
        StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
    let outcome = SetupOutcome {
        values: SetupForm {
            password: String::new(),
            password_repeat: String::new(),
            ..form
        },
        error,
    };
    render_with(&state, parts, status, outcome).await
}

pub async fn cancel_booking(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match bookings::cancel_guest_booking(&state, &token).await {
        Ok(_) => Redirect::to(&format!("/booking/{token}?cancelled=1")).into_response(),
        Err(AppError::Conflict { code, .. }) => {
            Redirect::to(&format!("/booking/{token}?error={code}")).into_response()
        }
        Err(AppError::NotFound { .. }) => {
            Redirect::to(&format!("/booking/{token}")).into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// The guest's booking as a calendar file ("add to calendar" on the
/// confirmation and manage page). Private: the link carries the token.
pub async fn booking_calendar(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Response {
    match app::server::notify::guest_calendar(&state, &token).await {
        Ok((name, ics)) => (
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    "text/calendar; charset=utf-8".to_owned(),
                ),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
                (
                    axum::http::header::CACHE_CONTROL,
                    "private, no-store".to_owned(),
                ),
            ],
            ics,
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// The manage page's data-request buttons.
#[derive(Debug, serde::Deserialize)]
pub struct DataRequestForm {
    #[serde(default)]
    kind: String,
}

/// A guest asks for a copy or the deletion of their data; staff see it on
/// their requests page with its legal due date.
pub async fn data_request(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(form): Form<DataRequestForm>,
) -> Response {
    let made = match bookings::manage_token_booking(&state, &token) {
        Ok(id) => app::server::privacy::request_from_guest(&state.store, &id, &form.kind).await,
        Err(e) => Err(e),
    };
    match made {
        Ok(r) => Redirect::to(&format!("/booking/{token}?requested={}", r.kind)).into_response(),
        Err(AppError::NotFound { .. } | AppError::Validation { .. }) => {
            Redirect::to(&format!("/booking/{token}")).into_response()
        }
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_end_is_the_start_plus_the_chosen_hours() {
        let form = BookingForm {
            start: "2026-12-01T10:00:00+03:00".into(),
            hours: 3,
            ..Default::default()
        };
        assert_eq!(
            to_request("studio_a", &form).end_time,
            "2026-12-01T13:00:00+03:00"
        );
    }

    #[test]
    fn an_absurd_number_of_hours_leaves_the_end_empty_instead_of_panicking() {
        for hours in [0, 25, i64::MAX, i64::MIN, -1] {
            let form = BookingForm {
                start: "2026-12-01T10:00:00+03:00".into(),
                hours,
                ..Default::default()
            };
            assert_eq!(to_request("studio_a", &form).end_time, "", "{hours}");
        }
    }

    #[test]
    fn empty_optional_fields_are_absent_and_consent_is_a_checkbox() {
        let form = BookingForm {
            client_email: "  ".into(),
            consent: Some("on".into()),
            ..Default::default()
        };
        let req = to_request("studio_a", &form);
        assert_eq!(req.client_email, None);
        assert!(req.consent);
        assert!(!to_request("studio_a", &BookingForm::default()).consent);
    }
}
