//! The Studio CRM server: configuration, start-up, the HTTP router and the
//! command-line interface's building blocks. `main.rs` only parses the
//! command line; tests build the same [`Application`] on a free port.
#![forbid(unsafe_code)]
#![recursion_limit = "512"]

pub mod config;
pub mod http;
pub mod telemetry;

/// mimalloc instead of glibc's malloc for everything the server (and its
/// tests and benches) allocates in Rust: per-thread free lists without
/// locks, where glibc's arenas spent a tenth of a rendered page in
/// `malloc`/`free` and kept freed memory in fragmented heaps. `main`
/// tunes it (`tune_allocators`) so that freed memory goes back to the
/// system at once. SQLite allocates through it too (`sqlite_on_mimalloc`
/// in `main.rs`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use app::server::{catalog, store::StoreError, AppState, Store};
use config::Config;
use leptos::config::LeptosOptions;
use std::{
    future::{Future, IntoFuture},
    net::SocketAddr,
};
use tokio::net::{TcpListener, TcpStream};

/// Every accepted connection sends what it is given at once (`TCP_NODELAY`).
/// With Nagle's algorithm on, the end of a response written in parts (a
/// streamed page, a chunked body) waited for the client's ACK of the data
/// before it, and a client that delays its ACKs (Linux: 40 ms) waited that
/// long for the last bytes. The board's page for one client from wrk: p50
/// 17.4–18.7 ms, p90 57–58 ms, p99 61 ms before (the server's own time
/// under 25 ms for all but 3 of 1,176 pages); 14.0–14.5, 16.7–17.0 and
/// 19.3–19.6 ms with this. (Public for the load test's reference handler,
/// which serves as the server does.)
pub fn without_nagle(listener: TcpListener) -> axum::serve::TapIo<TcpListener, fn(&mut TcpStream)> {
    use axum::serve::ListenerExt;
    fn no_delay(stream: &mut TcpStream) {
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY on a connection");
        }
    }
    listener.tap_io(no_delay as fn(&mut TcpStream))
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot prepare the studio data: {0}")]
    Seed(app::error::AppError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Connects to the database, applies migrations and gives a fresh database
/// its default studio.
pub async fn open_store(config: &Config) -> Result<Store, StartupError> {
    let store = Store::connect(&config.database_url, config.db_max_connections)
        .await?
        .with_audit_seal(app::server::audit::AuditSeal::new(
            config.secret_key.bytes(),
            Some(config.data_dir.clone()),
        ))
        .with_vault(config.vault());
    store.migrate().await?;
    app::server::audit::upgrade_chain(&store)
        .await
        .map_err(StartupError::Seed)?;
    // Personal data written by a release before encryption is sealed and
    // indexed before the first request (resumable: batch by batch).
    let sealed = app::server::privacy::seal_clear_data(&store)
        .await
        .map_err(StartupError::Seed)?;
    if sealed > 0 {
        tracing::info!(
            rows = sealed,
            "sealed personal data stored in clear by an earlier release"
        );
    }
    if catalog::ensure_default_studio(&store)
        .await
        .map_err(StartupError::Seed)?
    {
        tracing::info!("fresh database: created the default studio");
    }
    // Rollups of a database from before analytics (or of another time
    // zone) are built before the first request.
    app::server::analytics::ensure_current(&store)
        .await
        .map_err(StartupError::Seed)?;
    Ok(store)
}

/// How long open live sockets get to close after the requests are done.
const SOCKETS_CLOSE_LIMIT: std::time::Duration = std::time::Duration::from_secs(1);

/// How long in-flight requests may run after a shutdown signal; the jobs
/// get what is left of ten seconds.
const DRAIN_LIMIT: std::time::Duration = std::time::Duration::from_secs(7);

pub struct Application {
    listener: TcpListener,
    state: AppState,
    http: http::HttpOptions,
    jobs: app::server::jobs::Schedule,
    setup_token: Option<String>,
}

impl Application {
    /// Prepares the database and binds the listener (port 0 picks a free one).
    pub async fn build(config: &Config) -> Result<Application, StartupError> {
        let listener =
            TcpListener::bind(config.addr)
                .await
                .map_err(|source| StartupError::Bind {
                    addr: config.addr,
                    source,
                })?;
        let local = listener.local_addr().unwrap_or(config.addr);
        let public_url = config.public_url.clone().unwrap_or_else(|| {
            if local.ip().is_unspecified() {
                tracing::warn!(
                    "STUDIO_PUBLIC_URL is not set and the server listens on all addresses: \
                     links in e-mails will name {local}; set STUDIO_PUBLIC_URL to the studio's address"
                );
            }
            format!("http://{local}")
        });
        let mut notifier = app::server::notify::Notifier::new(
            config.telegram.clone(),
            config.smtp.clone(),
            &public_url,
            config.retry,
        );
        notifier.alert_after_secs = config.outbox_alert_age_secs;
        let store = open_store(config).await?.with_outbox(notifier.wiring());
        // A studio without employees is set up at /setup with this token.
        let setup_token = app::server::setup::issue_token(&store)
            .await
            .map_err(StartupError::Seed)?;
        let leptos_options = LeptosOptions::builder()
            .output_name("studio")
            .site_root(config.site_root.to_string_lossy().into_owned())
            .site_pkg_dir("pkg")
            .site_addr(config.addr)
            // Release builds of cargo-leptos leave `hash.txt` beside the
            // binary: the staff app is then linked by its hashed names.
            .hash_files(app::server::assets::BuiltNames::of_this_binary().hashed())
            .build();
        let state = AppState::new(app::server::AppStateInner {
            leptos_options,
            store,
            catalog_cache: Default::default(),
            rules_cache: Default::default(),
            availability_cache: app::server::bookings::availability_cache(),
            signing_key: config.secret_key.bytes().into(),
            auth: config.auth,
            secure_cookies: config.secure_cookies,
            live: Default::default(),
            notifier: std::sync::Arc::new(notifier),
            backups: config.backups.clone().map(std::sync::Arc::new),
            shared: config.shared.clone(),
        });
        let http = http::HttpOptions {
            limits: http::RateLimits {
                per_minute: config.public_rate_per_minute,
                burst: config.public_burst,
            },
            trusted_proxies: config.trusted_proxies.clone(),
            metrics_token: config.metrics_token.as_ref().map(|t| t.bytes().into()),
        };
        // The +7 phone-number metadata loads on first use: load it during
        // start-up, not in the first guest's booking or the first search
        // by phone. Once, in line: nothing else runs yet. (The crate's
        // whole database waits for the first number of another country.)
        let _ = app::domain::phone::Phone::parse("+7 916 000-00-00");
        Ok(Application {
            listener,
            state,
            http,
            jobs: config.jobs,
            setup_token,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// The one-time token of `/setup`, while the studio has no employee.
    pub fn setup_token(&self) -> Option<&str> {
        self.setup_token.as_deref()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let router = http::router(self.state.clone(), self.http.clone());
        tracing::info!(addr = %self.local_addr(), backend = self.state.store.backend().name(), "serving the studio");
        let relay = tokio::spawn(self.state.live.clone().relay(self.state.store.clone()));
        let jobs = app::server::jobs::Jobs::start(self.state.clone(), self.jobs);
        // Other instances' settings changes, through Redis (when configured).
        let listener = {
            let (rules, catalog, store) = (
                self.state.rules_cache.clone(),
                self.state.catalog_cache.clone(),
                self.state.store.clone(),
            );
            tokio::spawn(self.state.shared.clone().listen(move || {
                rules.invalidate();
                catalog.invalidate();
                store.note_change();
            }))
        };
        // On the signal: stop accepting, tell live sockets to reconnect,
        // let in-flight requests finish, but exit within ten seconds in
        // all (a request still running then is cut; its transaction rolls
        // back, so nothing is half-written).
        let live = self.state.live.clone();
        let (signalled, on_signal) = tokio::sync::oneshot::channel::<()>();
        let graceful = async move {
            shutdown.await;
            tracing::info!("shutting down: no new connections, finishing requests");
            live.close_all();
            let _ = signalled.send(());
        };
        let serve = axum::serve(
            without_nagle(self.listener),
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(graceful)
        .into_future();
        let deadline = async move {
            if on_signal.await.is_ok() {
                tokio::time::sleep(DRAIN_LIMIT).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        let served = tokio::select! {
            served = serve => served,
            () = deadline => {
                tracing::warn!("requests still running after {} s; exiting", DRAIN_LIMIT.as_secs());
                Ok(())
            }
        };
        // Upgraded sockets are not the server's connections any more, so
        // `serve` does not wait for them: give their tasks a moment to
        // send their close frames (while the jobs stop).
        let _ = tokio::join!(
            tokio::time::timeout(SOCKETS_CLOSE_LIMIT, self.state.live.sockets_closed()),
            jobs.stop()
        );
        relay.abort();
        listener.abort();
        served
    }
}

/// Completes on Ctrl-C or SIGTERM (what `docker stop` sends).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod nagle_tests {
    use axum::serve::Listener;

    #[tokio::test]
    async fn accepted_connections_send_without_waiting_for_acks() {
        let bound = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = bound.local_addr().unwrap();
        let mut listener = super::without_nagle(bound);
        let _client = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (stream, _) = listener.accept().await;
        assert!(stream.nodelay().unwrap(), "TCP_NODELAY is set on accept");
    }
}
