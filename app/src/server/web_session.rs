//! The staff UI's session in cookies: the access token and the refresh
//! token, both HttpOnly and SameSite=Strict. Over https they are `__Host-`
//! cookies with `Secure` (the prefix needs it); over plain http (a studio
//! trying it out on its own machine) they keep the same rules without.
//! When the access token has expired, the refresh token renews both.
//!
//! A request resolves its cookie session once ([`RequestSession`]): a page
//! render calls several server functions, and each spending the same
//! refresh token would look like a stolen token to the reuse detection.

use super::{
    auth::{self, TokenPair},
    credentials::{Origin, Principal},
    AppState,
};
use crate::error::AppError;
use axum::http::{header, request::Parts, HeaderValue};
use std::sync::Arc;

/// The cookie session of one request, resolved at most once. The router
/// puts one in every request's extensions and, after the handler, sets the
/// renewed cookies it holds; clones (the `Parts` a Leptos render hands to
/// each server function) share it.
#[derive(Clone, Default)]
pub struct RequestSession(Arc<tokio::sync::OnceCell<Resolved>>);

struct Resolved {
    result: Result<Principal, AppError>,
    cookies: Vec<HeaderValue>,
}

impl RequestSession {
    /// `Set-Cookie` values for a pair renewed while handling the request.
    pub fn renewed_cookies(&self) -> Vec<HeaderValue> {
        self.0.get().map(|r| r.cookies.clone()).unwrap_or_default()
    }
}

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
/// renewed with the refresh token, once per request; the renewed cookies
/// are set on the response by the router (see [`RequestSession`]).
pub async fn principal(state: &AppState, parts: &Parts) -> Result<Principal, AppError> {
    let Some(session) = parts.extensions.get::<RequestSession>() else {
        // Without the router's cell a renewal could not reach the browser:
        // only a valid access token counts.
        tracing::warn!("a cookie session was resolved outside the router");
        return resolve(state, parts, false).await.result;
    };
    session
        .0
        .get_or_init(|| resolve(state, parts, true))
        .await
        .result
        .clone()
}

async fn resolve(state: &AppState, parts: &Parts, may_renew: bool) -> Resolved {
    let (access, refresh) = names(state.secure_cookies);
    if let Some(token) = cookie(parts, access) {
        if let Ok(p) = auth::authenticate(state, &token).await {
            return Resolved {
                result: Ok(p),
                cookies: Vec::new(),
            };
        }
    }
    let not_signed_in = || AppError::Unauthorized {
        code: "not_authenticated".into(),
        message: "Sign in to continue.".into(),
    };
    let Some(refresh) = cookie(parts, refresh).filter(|_| may_renew) else {
        return Resolved {
            result: Err(not_signed_in()),
            cookies: Vec::new(),
        };
    };
    let renewed = match auth::refresh(state, &refresh, &origin(parts)).await {
        Ok(pair) => pair,
        Err(e) => {
            // A dead session's cookies are of no use to anyone; after a
            // passing fault (the database) they are kept for the next try.
            let cookies = match e {
                AppError::Unauthorized { .. } => clear_cookies(state),
                _ => Vec::new(),
            };
            return Resolved {
                result: Err(e),
                cookies,
            };
        }
    };
    Resolved {
        result: auth::authenticate(state, &renewed.access_token).await,
        cookies: set_cookies(state, &renewed),
    }
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
