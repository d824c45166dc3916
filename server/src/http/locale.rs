//! The language switcher's target: remembers the choice in a cookie and
//! sends the visitor back to the page they were on. Works without JavaScript.

use app::i18n::{Locale, LOCALE_COOKIE};
use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Form,
};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct SwitchLocale {
    lang: String,
    next: Option<String>,
}

pub async fn switch(Form(form): Form<SwitchLocale>) -> Response {
    let locale = Locale::from_tag(&form.lang).unwrap_or_default();
    let next = safe_local_path(form.next.as_deref());
    let cookie = format!(
        "{LOCALE_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        locale.tag()
    );
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, next)]).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// Only paths on this site: an open redirect would let a phishing link
/// borrow the studio's address.
fn safe_local_path(next: Option<&str>) -> String {
    match next {
        Some(p)
            if p.starts_with('/') && !p.starts_with("//") && !p.contains(['\\', '\r', '\n']) =>
        {
            p.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_local_path;

    #[test]
    fn the_switcher_only_redirects_within_the_site() {
        assert_eq!(safe_local_path(Some("/staff")), "/staff");
        assert_eq!(safe_local_path(Some("//evil.example")), "/");
        assert_eq!(safe_local_path(Some("https://evil.example")), "/");
        assert_eq!(safe_local_path(Some("/\\evil.example")), "/");
        assert_eq!(safe_local_path(None), "/");
    }
}
