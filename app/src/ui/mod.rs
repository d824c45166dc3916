//! The user interface: the HTML shell, the router and the pages. Guest pages
//! are rendered completely on the server (they work without JavaScript);
//! the staff side hydrates into an interactive app.

pub mod analytics;
pub mod audit_words;
pub mod board;
pub mod book;
pub mod bookings;
pub mod calendar;
pub mod clients;
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
mod guest_info;
// Guest pages are server documents: in the browser app (wasm32) only the
// stand-in below refers to them, so their views are not in the WASM.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
mod layout;
pub mod live;
pub mod locale;
pub mod modal;
pub mod owners;
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
mod pages;
pub mod privacy;
pub mod settings;
pub mod setup;
pub mod staff;
pub mod toast;

use crate::i18n::Locale;
use analytics::AnalyticsPage;
use board::BoardPage;
#[cfg(not(target_arch = "wasm32"))]
use book::{BookPage, ManagePage};
use bookings::{BookingDetailPage, BookingsPage};
use calendar::CalendarPage;
use clients::{ClientPage, ClientsPage, DaySheetPage, RequestsPage};
#[cfg(not(target_arch = "wasm32"))]
use layout::{GuestChrome, GuestLayout};
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos_meta::MetaTags;
use leptos_meta::{provide_meta_context, Link, Title};
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    path, Lazy, LazyRoute, SsrMode,
};
#[cfg(not(target_arch = "wasm32"))]
use pages::{HomePage, NotFound};
#[cfg(not(target_arch = "wasm32"))]
use privacy::PrivacyPage;
use settings::SettingsPage;
#[cfg(not(target_arch = "wasm32"))]
use setup::SetupPage;
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

/// The pages, for the chunks that hold them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Page {
    Home,
    Book,
    Manage,
    Setup,
    Privacy,
    Login,
    Board,
    Calendar,
    Bookings,
    BookingDetail,
    Clients,
    Client,
    DaySheet,
    Requests,
    Settings,
    Profile,
    Audit,
    Analytics,
    Employees,
}

// With `--split` each function below becomes a WASM chunk of its own,
// fetched when one of its pages is first shown (and preloaded when the
// server rendered it): the first staff page does not carry the code of all
// the others. Pages used together share a chunk, which keeps the number of
// chunks (each with its own imports) small. Guest pages never hydrate, so
// their chunk never reaches a browser.

#[leptos::lazy]
fn guest_pages(page: Page) -> AnyView {
    #[cfg(target_arch = "wasm32")]
    {
        server_document(page)
    }
    #[cfg(not(target_arch = "wasm32"))]
    match page {
        Page::Book => view! { <BookPage /> }.into_any(),
        Page::Manage => view! { <ManagePage /> }.into_any(),
        Page::Setup => view! { <SetupPage /> }.into_any(),
        Page::Privacy => view! { <PrivacyPage /> }.into_any(),
        _ => view! { <HomePage /> }.into_any(),
    }
}

/// In the browser app, a guest page (reached from a staff page: the brand,
/// a booking's guest link) or an unknown address is loaded whole from the
/// server, which renders it completely; the guest side's views, texts and
/// layout are then not part of the WASM at all.
#[cfg(target_arch = "wasm32")]
fn server_document<T>(_what: T) -> AnyView {
    let _ = window().location().reload();
    ().into_any()
}

/// The guest side's layout route (see [`server_document`] for the browser).
#[component]
fn GuestSide() -> impl IntoView {
    #[cfg(target_arch = "wasm32")]
    {
        server_document(())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        view! { <GuestLayout /> }.into_any()
    }
}

/// What an address that is no page shows. Under `/staff` (a hydrated
/// document) a small notice the browser app renders the same way; any other
/// address is a guest page, rendered by the server.
fn not_found() -> AnyView {
    use crate::i18n::Msg;
    use locale::t;
    let path = leptos_router::hooks::use_location()
        .pathname
        .get_untracked();
    if path == "/staff" || path.starts_with("/staff/") {
        pages::respond_with(404);
        return view! {
            <Title text=t(Msg::NotFoundTitle) />
            <section class="empty-state">
                <p class="empty-state__code" aria-hidden="true">"404"</p>
                <h1>{t(Msg::NotFoundTitle)}</h1>
                <a class="button" href="/staff/board">{t(Msg::StaffBoard)}</a>
            </section>
        }
        .into_any();
    }
    #[cfg(target_arch = "wasm32")]
    {
        server_document(())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        view! { <GuestChrome><NotFound /></GuestChrome> }.into_any()
    }
}

#[leptos::lazy]
fn login_page(_page: Page) -> AnyView {
    view! { <LoginPage /> }.into_any()
}

#[leptos::lazy]
fn board_page(_page: Page) -> AnyView {
    view! { <BoardPage /> }.into_any()
}

#[leptos::lazy]
fn calendar_page(_page: Page) -> AnyView {
    view! { <CalendarPage /> }.into_any()
}

#[leptos::lazy]
fn record_pages(page: Page) -> AnyView {
    match page {
        Page::BookingDetail => view! { <BookingDetailPage /> }.into_any(),
        Page::Clients => view! { <ClientsPage /> }.into_any(),
        Page::Requests => view! { <RequestsPage /> }.into_any(),
        Page::Client => view! { <ClientPage /> }.into_any(),
        Page::DaySheet => view! { <DaySheetPage /> }.into_any(),
        _ => view! { <BookingsPage /> }.into_any(),
    }
}

#[leptos::lazy]
fn admin_pages(page: Page) -> AnyView {
    match page {
        Page::Settings => view! { <SettingsPage /> }.into_any(),
        Page::Audit => view! { <AuditPage /> }.into_any(),
        Page::Employees => view! { <EmployeesPage /> }.into_any(),
        Page::Analytics => view! { <AnalyticsPage /> }.into_any(),
        _ => view! { <ProfilePage /> }.into_any(),
    }
}

/// Declares each page as a lazy route that shows it from its chunk. The
/// chunk is loaded before the page hydrates (`preload`): hydration cannot
/// wait for it half-way.
macro_rules! lazy_pages {
    ($($route:ident => $chunk:ident($page:ident) $preload:ident),* $(,)?) => {$(
        struct $route;

        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            async fn view(_this: Self) -> AnyView {
                $chunk(Page::$page).await
            }

            async fn preload() {
                #[cfg(target_arch = "wasm32")]
                $preload().await;
            }
        }
    )*};
}

lazy_pages! {
    HomeRoute => guest_pages(Home) __preload_guest_pages,
    BookRoute => guest_pages(Book) __preload_guest_pages,
    ManageRoute => guest_pages(Manage) __preload_guest_pages,
    SetupRoute => guest_pages(Setup) __preload_guest_pages,
    PrivacyRoute => guest_pages(Privacy) __preload_guest_pages,
    LoginRoute => login_page(Login) __preload_login_page,
    BoardRoute => board_page(Board) __preload_board_page,
    CalendarRoute => calendar_page(Calendar) __preload_calendar_page,
    BookingsRoute => record_pages(Bookings) __preload_record_pages,
    BookingDetailRoute => record_pages(BookingDetail) __preload_record_pages,
    ClientsRoute => record_pages(Clients) __preload_record_pages,
    ClientRoute => record_pages(Client) __preload_record_pages,
    DaySheetRoute => record_pages(DaySheet) __preload_record_pages,
    RequestsRoute => record_pages(Requests) __preload_record_pages,
    SettingsRoute => admin_pages(Settings) __preload_admin_pages,
    ProfileRoute => admin_pages(Profile) __preload_admin_pages,
    AuditRoute => admin_pages(Audit) __preload_admin_pages,
    EmployeesRoute => admin_pages(Employees) __preload_admin_pages,
    AnalyticsRoute => admin_pages(Analytics) __preload_admin_pages,
}

/// Loads the chunk of the page at `path` (a staff page; guest pages never
/// hydrate) and resolves once it is resident. The browser entry awaits this
/// before hydrating: otherwise hydration pauses inside the router while the
/// chunk downloads, effects of the already hydrated layout run in that pause,
/// and the page no longer matches what the server rendered. Paths the table
/// does not know fall back to the router's own fetch.
pub async fn preload_for_path(path: &str) {
    let mut segments = path.trim_matches('/').split('/');
    if segments.next() != Some("staff") {
        return;
    }
    match segments.next().unwrap_or("") {
        "" | "board" => BoardRoute::preload().await,
        "login" => LoginRoute::preload().await,
        "calendar" => CalendarRoute::preload().await,
        "bookings" | "clients" | "day-sheet" | "requests" => BookingsRoute::preload().await,
        "settings" | "profile" | "audit" | "employees" | "analytics" => {
            SettingsRoute::preload().await
        }
        _ => {}
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
            <Routes fallback=not_found>
                <ParentRoute path=path!("") view=GuestSide ssr=SsrMode::Async>
                    <Route path=path!("") view={Lazy::<HomeRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("book/:space") view={Lazy::<BookRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("booking/:token") view={Lazy::<ManageRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("setup") view={Lazy::<SetupRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("privacy") view={Lazy::<PrivacyRoute>::new()} ssr=SsrMode::Async />
                </ParentRoute>
                <Route path=path!("staff/login") view={Lazy::<LoginRoute>::new()} />
                <ParentRoute path=path!("staff") view=StaffLayout ssr=SsrMode::Async>
                    <Route path=path!("") view={Lazy::<BoardRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("board") view={Lazy::<BoardRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("bookings") view={Lazy::<BookingsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("bookings/:id") view={Lazy::<BookingDetailRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("calendar") view={Lazy::<CalendarRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("clients") view={Lazy::<ClientsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("clients/:phone") view={Lazy::<ClientRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("day-sheet") view={Lazy::<DaySheetRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("requests") view={Lazy::<RequestsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("settings") view={Lazy::<SettingsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("profile") view={Lazy::<ProfileRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("audit") view={Lazy::<AuditRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("employees") view={Lazy::<EmployeesRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("analytics") view={Lazy::<AnalyticsRoute>::new()} ssr=SsrMode::Async />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
