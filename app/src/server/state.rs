//! The state every request handler and server function can reach.

use super::{catalog::CatalogCache, rules::RulesCache, store::Store};
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

/// What every handler, page and server function works with. Cloned for
/// every request (axum's `State` extractor, the Leptos context), so it is
/// one shared allocation: a clone is one reference count, not the few dozen
/// inside the store, the caches and the options (a load profile of the
/// availability endpoint spent a third of its time cloning and dropping
/// those).
#[derive(Clone)]
pub struct AppState(Arc<AppStateInner>);

impl AppState {
    pub fn new(inner: AppStateInner) -> Self {
        AppState(Arc::new(inner))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppStateInner;

    fn deref(&self) -> &AppStateInner {
        &self.0
    }
}

/// The parts of [`AppState`].
#[derive(Clone)]
pub struct AppStateInner {
    pub leptos_options: LeptosOptions,
    pub store: Store,
    pub catalog_cache: CatalogCache,
    pub rules_cache: RulesCache,
    /// Days' free starts, kept until the next commit.
    pub availability_cache: super::bookings::AvailabilityCache,
    /// Key for signed guest links (the server secret).
    pub signing_key: Arc<[u8]>,
    pub auth: super::credentials::AuthSettings,
    /// Serve staff cookies as `__Host-` and `Secure` (behind https).
    pub secure_cookies: bool,
    /// Committed booking events, for the open staff screens.
    pub live: super::live::Live,
    /// Notification channels, the public URL and the retry policy.
    pub notifier: Arc<super::notify::Notifier>,
    /// What several instances share through Redis (nothing without it).
    pub shared: super::shared::Shared,
    /// Scheduled backups, when `STUDIO_BACKUP_DIR` is set.
    pub backups: Option<Arc<super::backup::Plan>>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The state inside a server function; missing state is a wiring bug, so it
/// is logged and reported as an internal error rather than a panic.
pub fn from_context() -> Result<AppState, crate::error::AppError> {
    leptos::prelude::use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the Leptos context");
        crate::error::AppError::Internal
    })
}
