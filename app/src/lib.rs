//! Studio CRM: the code shared by the server (feature `ssr`) and the browser
//! (feature `hydrate`).
//!
//! - [`domain`]: pure rules and value types, compiled for both targets;
//! - [`error`]: the one error type, from SQL to the browser;
//! - [`html`]: text made safe for HTML;
//! - [`i18n`]: every UI string and locale-aware formatting;
//! - [`server`]: storage, services and their wiring (server only);
//! - [`ui`]: components, pages and the server functions beside them.
#![forbid(unsafe_code)]
#![recursion_limit = "512"]

pub mod domain;
pub mod error;
pub mod html;
pub mod i18n;
#[cfg(feature = "ssr")]
pub mod server;
pub mod server_types;
pub mod ui;

#[cfg(feature = "ssr")]
pub use ui::shell;
pub use ui::App;
