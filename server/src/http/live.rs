//! `/ws`: the live feed of booking changes for the staff screens.
//!
//! The socket is for signed-in staff only: a bearer token (API clients) or
//! the cookie session (the staff UI). Browsers always send `Origin` on a
//! WebSocket handshake and do not apply CORS to it, so a page of another
//! site could otherwise open the socket with the staff's cookies; an
//! `Origin` that is not this site is refused.

use super::extract::ApiQuery;
use app::{
    domain::board::LiveEvent,
    error::AppError,
    server::{
        auth,
        credentials::Principal,
        live::{self, CATCH_UP_LIMIT},
        web_session, AppState,
    },
};
use axum::{
    extract::{
        ws::{
            rejection::WebSocketUpgradeRejection, CloseFrame, Message, WebSocket, WebSocketUpgrade,
        },
        ConnectInfo, State,
    },
    http::{header, HeaderMap, Request},
    response::{IntoResponse, Response},
    Extension,
};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use std::{net::SocketAddr, time::Duration};
use tokio::sync::broadcast::error::RecvError;

#[derive(Debug, Deserialize)]
pub struct SocketQuery {
    /// The last event id the client saw: what came after it is sent first.
    pub since: Option<i64>,
}

/// Whether `Origin` (when sent) names this site.
fn origin_allowed(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, h)| h);
    matches!((origin_host, host), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h))
}

async fn who(
    state: &AppState,
    addr: SocketAddr,
    headers: &HeaderMap,
    session: Option<web_session::RequestSession>,
) -> Result<Principal, AppError> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let me = match bearer {
        Some(token) => auth::authenticate(state, token).await?,
        None => {
            let (mut parts, ()) = Request::new(()).into_parts();
            parts.headers = headers.clone();
            parts.extensions.insert(ConnectInfo(addr));
            if let Some(session) = session {
                parts.extensions.insert(session);
            }
            web_session::principal(state, &parts).await?
        }
    };
    if me.must_change_password || me.must_enrol_mfa {
        return Err(AppError::Forbidden);
    }
    Ok(me)
}

pub async fn socket(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    session: Option<Extension<web_session::RequestSession>>,
    ApiQuery(query): ApiQuery<SocketQuery>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    if !origin_allowed(&headers) {
        tracing::warn!("live feed: refused a cross-site WebSocket");
        return AppError::Forbidden.into_response();
    }
    let me = match who(&state, addr, &headers, session.map(|Extension(s)| s)).await {
        Ok(w) => w,
        Err(e) => return e.into_response(),
    };
    let Ok(upgrade) = upgrade else {
        return AppError::BadRequest {
            message: "Open this address as a WebSocket.".into(),
        }
        .into_response();
    };
    // Subscribe before the handshake completes: a change the client makes
    // (or learns of) once it holds the open socket is then never missed,
    // however late the upgraded connection's task starts.
    let feed = state.live.subscribe();
    // Likewise the shutdown signal: the server waits for every holder of
    // one to say goodbye (see `Live::sockets_closed`), including a socket
    // whose task has not started yet.
    let closing = state.live.closing();
    upgrade
        .on_upgrade(move |socket| serve(socket, state, me, query.since, feed, closing))
        .into_response()
}

/// Counts an open live connection on `/metrics` for as long as it lives,
/// however the connection ends.
struct OpenSocket;

impl OpenSocket {
    fn new() -> OpenSocket {
        metrics::gauge!("studio_live_connections").increment(1.0);
        OpenSocket
    }
}

impl Drop for OpenSocket {
    fn drop(&mut self) {
        metrics::gauge!("studio_live_connections").decrement(1.0);
    }
}

fn text(event: &LiveEvent) -> Message {
    Message::Text(serde_json::to_string(event).unwrap_or_default().into())
}

/// Closes the socket of a session that ended: the page goes to sign-in.
fn signed_out() -> Message {
    Message::Close(Some(CloseFrame {
        code: 4401,
        reason: "signed out".into(),
    }))
}

fn resync() -> Message {
    text(&LiveEvent {
        kind: "resync".into(),
        aggregate: String::new(),
        event_id: 0,
        booking_id: String::new(),
        state: None,
        version: None,
        by: String::new(),
        at: String::new(),
    })
}

async fn serve(
    socket: WebSocket,
    state: AppState,
    me: Principal,
    since: Option<i64>,
    mut feed: tokio::sync::broadcast::Receiver<LiveEvent>,
    mut closing: tokio::sync::watch::Receiver<bool>,
) {
    let _open = OpenSocket::new();
    let (mut sink, mut stream) = socket.split();
    // Subscribed (in `socket`) before reading the backlog: an event
    // committed in between arrives twice rather than never, and clients
    // ignore repeats.
    if let Some(since) = since {
        match live::events_since(&state.store, since, CATCH_UP_LIMIT + 1).await {
            Ok(events) if events.len() as i64 <= CATCH_UP_LIMIT => {
                for e in events.iter().filter(|e| e.aggregate != "employee") {
                    if sink.send(text(e)).await.is_err() {
                        return;
                    }
                }
            }
            _ => {
                if sink.send(resync()).await.is_err() {
                    return;
                }
            }
        }
    }
    let mut ping = tokio::time::interval(Duration::from_secs(25));
    let mut check = tokio::time::interval(Duration::from_secs(60));
    ping.tick().await;
    check.tick().await;
    loop {
        if *closing.borrow_and_update() {
            // 1012 "service restart": the client reconnects with `since`
            // and misses nothing.
            let _ = sink
                .send(Message::Close(Some(CloseFrame {
                    code: 1012,
                    reason: "server restarting".into(),
                })))
                .await;
            return;
        }
        tokio::select! {
            _ = closing.changed() => continue,
            event = feed.recv() => {
                let message = match event {
                    // Someone changed this employee's access (disabled,
                    // new role, sessions ended): check now, not at the
                    // next minute.
                    Ok(e) if e.aggregate == "employee" => {
                        if e.booking_id == me.employee_id
                            && !auth::still_signed_in(&state.store, &me).await.unwrap_or(true)
                        {
                            let _ = sink.send(signed_out()).await;
                            break;
                        }
                        continue;
                    }
                    Ok(e) => text(&e),
                    Err(RecvError::Lagged(_)) => resync(),
                    Err(RecvError::Closed) => break,
                };
                if sink.send(message).await.is_err() {
                    break;
                }
            }
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            _ = ping.tick() => {
                if sink.send(Message::Ping(Default::default())).await.is_err() {
                    break;
                }
            }
            _ = check.tick() => {
                // A revoked session or a disabled account ends the feed.
                if !auth::still_signed_in(&state.store, &me).await.unwrap_or(true) {
                    let _ = sink.send(signed_out()).await;
                    break;
                }
            }
        }
    }
}
