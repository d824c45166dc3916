//! Which language a page is rendered in. The server reads the locale cookie,
//! else `Accept-Language`; the browser reads it back from `<html lang>`, so
//! hydration always agrees with the server's HTML.

use crate::i18n::{Locale, Msg};
use leptos::prelude::*;

/// The locale of the current page.
pub fn current() -> Locale {
    use_context::<Locale>().unwrap_or_else(detect)
}

/// Shorthand for a translated message in the current locale.
pub fn t(msg: Msg) -> &'static str {
    current().t(msg)
}

#[cfg(feature = "ssr")]
fn detect() -> Locale {
    use axum::http::{header, request::Parts};
    let Some(parts) = use_context::<Parts>() else {
        return Locale::default();
    };
    let cookie =
        crate::server::web_session::cookie_value(&parts.headers, crate::i18n::LOCALE_COOKIE);
    let accept = parts
        .headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Locale::negotiate(cookie.as_deref(), accept)
}

#[cfg(all(feature = "hydrate", not(feature = "ssr")))]
fn detect() -> Locale {
    document()
        .document_element()
        .and_then(|html| html.get_attribute("lang"))
        .and_then(|tag| Locale::from_tag(&tag))
        .unwrap_or_default()
}

#[cfg(not(any(feature = "ssr", feature = "hydrate")))]
fn detect() -> Locale {
    Locale::default()
}
