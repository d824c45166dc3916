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
/// borrow the studio's address. Browsers drop tabs and newlines from URLs
/// and read `\` as `/`, so `/\t/evil.example` or `/\\evil.example` would
/// leave the site: a path must start with one `/` and hold only printable
/// ASCII without `\`, and percent-escapes that decode to a slash,
/// backslash or control character are refused as well.
fn safe_local_path(next: Option<&str>) -> String {
    let Some(p) = next else {
        return "/".to_owned();
    };
    let lower = p.to_ascii_lowercase();
    let printable = p.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
    let sneaky_escape = ["%2f", "%5c", "%09", "%0a", "%0d", "%00", "%20"]
        .iter()
        .any(|e| lower.contains(e));
    if p.starts_with('/') && !p.starts_with("//") && printable && !sneaky_escape {
        p.to_owned()
    } else {
        "/".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::safe_local_path;

    #[test]
    fn the_switcher_only_redirects_within_the_site() {
        assert_eq!(safe_local_path(Some("/staff")), "/staff");
        assert_eq!(
            safe_local_path(Some(
                "/book/studio_a?date=2026-12-01&start=2026-12-01T10%3A00%3A00%2B03%3A00"
            )),
            "/book/studio_a?date=2026-12-01&start=2026-12-01T10%3A00%3A00%2B03%3A00"
        );
        for evil in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "/ /evil.example",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "/%5C/evil.example",
            "/%09/evil.example",
            "evil.example",
            "",
        ] {
            assert_eq!(safe_local_path(Some(evil)), "/", "{evil:?}");
        }
        assert_eq!(safe_local_path(None), "/");
    }
}
