//! The user interface: the HTML shell, the router and the pages. Guest pages
//! are rendered completely on the server (they work without JavaScript);
//! the staff side hydrates into an interactive app.

pub mod board;
pub mod book;
pub mod bookings;
pub mod calendar;
pub mod clients;
mod layout;
pub mod live;
pub mod locale;
mod pages;
pub mod settings;
pub mod staff;
pub mod toast;

use crate::i18n::Locale;
use board::BoardPage;
use book::{BookPage, ManagePage};
use bookings::{BookingDetailPage, BookingsPage};
use calendar::CalendarPage;
use clients::{ClientPage, ClientsPage, DaySheetPage};
use layout::{GuestChrome, GuestLayout};
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos_meta::MetaTags;
use leptos_meta::{provide_meta_context, Link, Title};
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    path, SsrMode,
};
use pages::{HomePage, NotFound};
use settings::SettingsPage;
use staff::{AuditPage, EmployeesPage, LoginPage, ProfilePage, StaffLayout};

/// The Content-Security-Policy of every page rendered here: scripts only
/// from this site or inline with this response's nonce (Leptos puts it on
/// its hydration and resource scripts), WebAssembly compiled by the page
/// itself, nothing embedded, framed or posted elsewhere. Style attributes
/// stay allowed: the calendar positions bookings with them, and a style
/// attribute cannot run code.
#[cfg(feature = "ssr")]
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data:; \
         connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
         frame-ancestors 'none'; form-action 'self'"
    )
}

#[cfg(feature = "ssr")]
fn set_content_security_policy() {
    use leptos::nonce::use_nonce;
    if let (Some(nonce), Some(res)) = (use_nonce(), use_context::<leptos_axum::ResponseOptions>()) {
        if let Ok(value) = http::HeaderValue::from_str(&content_security_policy(&nonce)) {
            res.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
}

/// Whether the page being rendered is part of the staff app (hydrated) or
/// a guest page (complete on the server, with one small script).
#[cfg(feature = "ssr")]
fn staff_document() -> bool {
    use_context::<http::request::Parts>().is_some_and(|parts| {
        parts.uri.path() == "/staff" || parts.uri.path().starts_with("/staff/")
    })
}

/// The HTML document around the app; rendered on the server only. Staff
/// pages load the WASM app and hydrate; guest pages load no WASM at all:
/// they work as served, and `guest.js` only makes them nicer (the price
/// follows the form, the menu opens on phones).
#[cfg(feature = "ssr")]
pub fn shell(options: LeptosOptions) -> impl IntoView {
    use crate::server::assets::{guest_script, BuiltNames};
    set_content_security_policy();
    let locale = locale::current();
    let staff = staff_document();
    let stylesheet = BuiltNames::of_this_binary().stylesheet(&options.output_name);
    view! {
        <!DOCTYPE html>
        <html lang=locale.tag()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="stylesheet" id="leptos" href=stylesheet />
                {staff.then(|| view! { <HydrationScripts options /> })}
                {(!staff).then(|| view! { <script src=guest_script().path.clone() defer></script> })}
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let locale: Locale = locale::current();
    provide_context(locale);
    view! {
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg" />
        <Title formatter=|page: String| if page.is_empty() { "Studio".to_owned() } else { format!("{page} · Studio") } />
        <Router>
            <Routes fallback=|| view! { <GuestChrome><NotFound /></GuestChrome> }>
                <ParentRoute path=path!("") view=GuestLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("book/:space") view=BookPage ssr=SsrMode::Async />
                    <Route path=path!("booking/:token") view=ManagePage ssr=SsrMode::Async />
                </ParentRoute>
                <Route path=path!("staff/login") view=LoginPage />
                <ParentRoute path=path!("staff") view=StaffLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=BoardPage ssr=SsrMode::Async />
                    <Route path=path!("board") view=BoardPage ssr=SsrMode::Async />
                    <Route path=path!("bookings") view=BookingsPage ssr=SsrMode::Async />
                    <Route path=path!("bookings/:id") view=BookingDetailPage ssr=SsrMode::Async />
                    <Route path=path!("calendar") view=CalendarPage ssr=SsrMode::Async />
                    <Route path=path!("clients") view=ClientsPage ssr=SsrMode::Async />
                    <Route path=path!("clients/:phone") view=ClientPage ssr=SsrMode::Async />
                    <Route path=path!("day-sheet") view=DaySheetPage ssr=SsrMode::Async />
                    <Route path=path!("settings") view=SettingsPage ssr=SsrMode::Async />
                    <Route path=path!("profile") view=ProfilePage ssr=SsrMode::Async />
                    <Route path=path!("audit") view=AuditPage ssr=SsrMode::Async />
                    <Route path=path!("employees") view=EmployeesPage ssr=SsrMode::Async />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
