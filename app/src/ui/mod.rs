//! The user interface: the HTML shell, the router and the pages. Guest pages
//! are rendered completely on the server (they work without JavaScript);
//! the staff side hydrates into an interactive app.

pub mod book;
mod layout;
pub mod locale;
mod pages;

use crate::i18n::Locale;
use book::{BookPage, ManagePage};
use layout::{GuestChrome, GuestLayout, StaffLayout};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    path, SsrMode,
};
use pages::{HomePage, NotFound, StaffHome};

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
                <ParentRoute path=path!("staff") view=StaffLayout>
                    <Route path=path!("") view=StaffHome />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
