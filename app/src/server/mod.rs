//! Server-only code (`ssr`): storage, services and shared state. Server
//! functions and REST handlers are thin doors into the services here.

pub mod analytics;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod blocks;
pub mod bookings;
pub mod cache;
pub mod calendar;
pub mod catalog;
pub mod clients;
pub mod credentials;
pub mod employees;
pub mod events;
pub mod feeds;
pub mod images;
pub mod jobs;
pub mod live;
pub mod mfa;
pub mod notify;
pub mod outbox;
pub mod pii;
pub mod privacy;
pub mod rules;
pub mod security;
pub mod settings;
pub mod setup;
pub mod shared;
pub mod staff_bookings;
pub mod state;
pub mod store;
pub mod tokens;
pub mod web_session;
pub mod webhooks;

pub use state::{AppState, AppStateInner};
pub use store::{Backend, Store};

/// Current time as UTC epoch seconds, the unit every stored instant uses.
pub fn now_epoch() -> i64 {
    chrono::Utc::now().timestamp()
}
