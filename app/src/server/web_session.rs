//! The staff UI's session in cookies: the access token and the refresh
//! token, both HttpOnly and SameSite=Strict. Over https they are `__Host-`
//! cookies with `Secure` (the prefix needs it); over plain http (a studio
//! trying it out on its own machine) they keep the same rules without.
//! When the access token has expired, the refresh token renews both.

use super::{
    auth::{self, Origin, Principal, TokenPair},
    AppState,
};
use crate::error::AppError;
use axum::http::{header, request::Parts, HeaderValue};

fn names(secure: bool) -> (&'static str, &'static str) {
    if secure {
        ("__Host-studio_access", "__Host-studio_refresh")
    } else {
        ("studio_access", "studio_refresh")
    }
}

fn cookie(parts: &Parts, name: &str) -> Option<String> {
    cookie_value(&parts.headers, name)
}

/// The value of the cookie `name` in a request's headers.
pub fn cookie_value(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
}

/// `Set-Cookie` values that store a fresh pair.
pub fn set_cookies(state: &AppState, pair: &TokenPair) -> Vec<HeaderValue> {
    let (access, refresh) = names(state.secure_cookies);
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    [
        format!(
            "{access}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
            pair.access_token, pair.expires_in
        ),
        format!(
            "{refresh}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
            pair.refresh_token, state.auth.absolute_lifetime_secs
        ),
    ]
    .iter()
    .filter_map(|c| HeaderValue::from_str(c).ok())
    .collect()
}

/// `Set-Cookie` values that remove the session.
pub fn clear_cookies(state: &AppState) -> Vec<HeaderValue> {
    let (access, refresh) = names(state.secure_cookies);
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    [access, refresh]
        .iter()
        .filter_map(|n| {
            HeaderValue::from_str(&format!(
                "{n}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"
            ))
            .ok()
        })
        .collect()
}

pub fn refresh_token(state: &AppState, parts: &Parts) -> Option<String> {
    cookie(parts, names(state.secure_cookies).1)
}

pub fn origin(parts: &Parts) -> Origin {
    let ip = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default();
    let user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    Origin { ip, user_agent }
}

/// The employee behind the request's cookies. An expired access token is
/// renewed with the refresh token; the new cookies are returned to be set.
pub async fn principal(
    state: &AppState,
    parts: &Parts,
) -> Result<(Principal, Vec<HeaderValue>), AppError> {
    let (access, refresh) = names(state.secure_cookies);
    if let Some(token) = cookie(parts, access) {
        if let Ok(p) = auth::authenticate(state, &token).await {
            return Ok((p, Vec::new()));
        }
    }
    let refresh = cookie(parts, refresh).ok_or_else(|| AppError::Unauthorized {
        code: "not_authenticated".into(),
        message: "Sign in to continue.".into(),
    })?;
    let pair = auth::refresh(state, &refresh, &origin(parts)).await?;
    let principal = auth::authenticate(state, &pair.access_token).await?;
    Ok((principal, set_cookies(state, &pair)))
}

/// Cookie-authenticated requests that change state must come from this
/// site: `Sec-Fetch-Site` when the browser sends it, else `Origin` against
/// `Host`. SameSite=Strict is the first line; this is the second.
pub fn same_origin(parts: &Parts) -> bool {
    if let Some(site) = parts
        .headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
    {
        return site == "same-origin" || site == "none";
    }
    match (
        parts
            .headers
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok()),
        parts
            .headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok()),
    ) {
        (Some(origin), Some(host)) => origin.split_once("://").map(|(_, h)| h) == Some(host),
        (None, _) => true,
        _ => false,
    }
}
