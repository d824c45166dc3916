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
use leptos_meta::{provide_meta_context, Link, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    path, SsrMode,
};
use pages::{HomePage, NotFound};
use settings::SettingsPage;
use staff::{AuditPage, EmployeesPage, LoginPage, ProfilePage, StaffLayout};

/// The HTML document around the app; rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let locale = locale::current();
    view! {
        <!DOCTYPE html>
        <html lang=locale.tag()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <HydrationScripts options />
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
        <Stylesheet id="leptos" href="/pkg/studio.css" />
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
