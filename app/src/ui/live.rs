//! The browser's end of `/ws`: one socket per open staff screen, resumed
//! after a drop from the last event it saw, with a growing pause between
//! attempts. On the server (SSR) it does nothing.

use crate::domain::board::LiveEvent;
use leptos::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveStatus {
    Connecting,
    Live,
    Offline,
}

/// Opens the live feed for this screen, starting after event `since` (or
/// from now), and calls `on_event` for every change. Closed when the screen
/// goes away.
pub fn use_live(
    since: Option<i64>,
    on_event: impl Fn(LiveEvent) + 'static,
) -> ReadSignal<LiveStatus> {
    let status = RwSignal::new(LiveStatus::Connecting);
    #[cfg(feature = "hydrate")]
    browser::open(since, Box::new(on_event), status);
    #[cfg(not(feature = "hydrate"))]
    let _ = (since, on_event);
    status.read_only()
}

#[cfg(feature = "hydrate")]
mod browser {
    //! The socket itself, on gloo-net's WebSocket (a `Stream` of messages):
    //! one task per open screen reads events, reconnects with back-off
    //! after a drop and resumes after the last event it saw; it stops when
    //! the screen is left.
    use super::LiveStatus;
    use crate::domain::board::LiveEvent;
    use futures::{channel::oneshot, future::FutureExt, StreamExt};
    use gloo_net::websocket::{futures::WebSocket, Message, State, WebSocketError};
    use leptos::prelude::*;
    use std::{cell::RefCell, rc::Rc, time::Duration};

    /// Why a connection ended.
    enum Ended {
        /// The screen was left: stop.
        Left,
        /// The session is over (close code 4401): to the sign-in page.
        SignedOut,
        /// Dropped or refused: try again.
        Dropped,
    }

    pub(super) fn open(
        since: Option<i64>,
        on_event: Box<dyn Fn(LiveEvent)>,
        status: RwSignal<LiveStatus>,
    ) {
        let (stop, stopped) = oneshot::channel::<()>();
        let stop = StoredValue::new_local(RefCell::new(Some(stop)));
        on_cleanup(move || {
            stop.with_value(|s| {
                if let Some(s) = s.borrow_mut().take() {
                    let _ = s.send(());
                }
            })
        });
        leptos::task::spawn_local(run(since, Rc::new(on_event), status, stopped));
    }

    fn address(since: Option<i64>) -> String {
        let location = window().location();
        let scheme = if location.protocol().ok().as_deref() == Some("https:") {
            "wss"
        } else {
            "ws"
        };
        let host = location.host().unwrap_or_default();
        match since {
            Some(since) => format!("{scheme}://{host}/ws?since={since}"),
            None => format!("{scheme}://{host}/ws"),
        }
    }

    async fn run(
        mut last: Option<i64>,
        on_event: Rc<Box<dyn Fn(LiveEvent)>>,
        status: RwSignal<LiveStatus>,
        stopped: oneshot::Receiver<()>,
    ) {
        let mut stopped = stopped.fuse();
        let mut attempts: u32 = 0;
        loop {
            let ended = match WebSocket::open(&address(last)) {
                Err(_) => Ended::Dropped,
                Ok(socket) => {
                    let session = follow(socket, &mut last, &on_event, status, &mut attempts);
                    futures::select! {
                        ended = session.fuse() => ended,
                        _ = stopped => Ended::Left,
                    }
                }
            };
            match ended {
                Ended::Left => return,
                Ended::SignedOut => {
                    // Signed out elsewhere: the sign-in page says so.
                    let _ = window().location().set_href("/staff/login");
                    return;
                }
                Ended::Dropped => {
                    status.set(LiveStatus::Offline);
                    attempts = attempts.saturating_add(1);
                    let wait = (250u64 << attempts.min(6)).min(10_000);
                    let pause = gloo_timers_sleep(Duration::from_millis(wait));
                    futures::select! {
                        () = pause.fuse() => {}
                        _ = stopped => return,
                    }
                }
            }
        }
    }

    /// Reads one connection until it ends.
    async fn follow(
        mut socket: WebSocket,
        last: &mut Option<i64>,
        on_event: &Rc<Box<dyn Fn(LiveEvent)>>,
        status: RwSignal<LiveStatus>,
        attempts: &mut u32,
    ) -> Ended {
        // Ready to send once the handshake is over, whichever way it went.
        let _ = futures::future::poll_fn(|cx| {
            futures::Sink::<Message>::poll_ready(std::pin::Pin::new(&mut socket), cx)
        })
        .await;
        if !matches!(socket.state(), State::Open) {
            return Ended::Dropped;
        }
        status.set(LiveStatus::Live);
        *attempts = 0;
        let (_sink, mut stream) = socket.split();
        while let Some(message) = stream.next().await {
            match message {
                Ok(Message::Text(text)) => {
                    if let Ok(event) = serde_json::from_str::<LiveEvent>(&text) {
                        if Some(event.event_id) > *last {
                            *last = Some(event.event_id);
                        }
                        (on_event)(event);
                    }
                }
                Ok(Message::Bytes(_)) => {}
                Err(WebSocketError::ConnectionClose(e)) if e.code == 4401 => {
                    return Ended::SignedOut;
                }
                Err(_) => return Ended::Dropped,
            }
        }
        Ended::Dropped
    }

    /// A pause on the browser's clock.
    async fn gloo_timers_sleep(wait: Duration) {
        let (done, waited) = oneshot::channel::<()>();
        set_timeout(
            move || {
                let _ = done.send(());
            },
            wait,
        );
        let _ = waited.await;
    }
}
