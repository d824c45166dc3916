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
    use super::LiveStatus;
    use crate::domain::board::LiveEvent;
    use leptos::prelude::*;
    use std::{
        cell::{Cell, RefCell},
        rc::Rc,
        time::Duration,
    };
    use wasm_bindgen::{prelude::Closure, JsCast};
    use web_sys::{CloseEvent, MessageEvent, WebSocket};

    struct Conn {
        last: Cell<Option<i64>>,
        attempts: Cell<u32>,
        closed: Cell<bool>,
        socket: RefCell<Option<WebSocket>>,
        on_event: Box<dyn Fn(LiveEvent)>,
        status: RwSignal<LiveStatus>,
    }

    pub(super) fn open(
        since: Option<i64>,
        on_event: Box<dyn Fn(LiveEvent)>,
        status: RwSignal<LiveStatus>,
    ) {
        let conn = Rc::new(Conn {
            last: Cell::new(since),
            attempts: Cell::new(0),
            closed: Cell::new(false),
            socket: RefCell::new(None),
            on_event,
            status,
        });
        connect(conn.clone());
        let stored = StoredValue::new_local(conn);
        on_cleanup(move || {
            stored.with_value(|c| {
                c.closed.set(true);
                if let Some(ws) = c.socket.borrow_mut().take() {
                    let _ = ws.close();
                }
            })
        });
    }

    fn connect(conn: Rc<Conn>) {
        if conn.closed.get() {
            return;
        }
        let location = window().location();
        let scheme = if location.protocol().ok().as_deref() == Some("https:") {
            "wss"
        } else {
            "ws"
        };
        let host = location.host().unwrap_or_default();
        let url = match conn.last.get() {
            Some(since) => format!("{scheme}://{host}/ws?since={since}"),
            None => format!("{scheme}://{host}/ws"),
        };
        let Ok(ws) = WebSocket::new(&url) else {
            retry(conn);
            return;
        };
        let c = conn.clone();
        let on_open = Closure::<dyn FnMut()>::new(move || {
            c.attempts.set(0);
            c.status.set(LiveStatus::Live);
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        on_open.forget();
        let c = conn.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let Some(text) = e.data().as_string() else {
                return;
            };
            if let Ok(event) = serde_json::from_str::<LiveEvent>(&text) {
                if Some(event.event_id) > c.last.get() {
                    c.last.set(Some(event.event_id));
                }
                (c.on_event)(event);
            }
        });
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        let c = conn.clone();
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
            c.socket.borrow_mut().take();
            if c.closed.get() {
                return;
            }
            c.status.set(LiveStatus::Offline);
            if e.code() == 4401 {
                // Signed out elsewhere: the sign-in page says so.
                let _ = window().location().set_href("/staff/login");
                return;
            }
            retry(c.clone());
        });
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        on_close.forget();
        *conn.socket.borrow_mut() = Some(ws);
    }

    fn retry(conn: Rc<Conn>) {
        let n = conn.attempts.get().saturating_add(1);
        conn.attempts.set(n);
        let wait = (250u64 << n.min(6)).min(10_000);
        set_timeout(move || connect(conn), Duration::from_millis(wait));
    }
}
