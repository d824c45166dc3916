//! Per-address rate limiting of guest writes (tower_governor). The API and
//! the HTML forms share one budget per address; the API answers 429 in the
//! JSON error shape, the forms with a readable page.

use app::error::AppError;
use axum::{
    body::Body,
    http::{header, HeaderValue, StatusCode},
    response::IntoResponse,
};
use std::{sync::Arc, time::Duration};
use tower_governor::{
    governor::{GovernorConfig, GovernorConfigBuilder},
    key_extractor::PeerIpKeyExtractor,
    GovernorError, GovernorLayer,
};

/// Guest writes allowed per client address.
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    pub per_minute: u32,
    pub burst: u32,
}

type Config = GovernorConfig<
    PeerIpKeyExtractor,
    governor::middleware::NoOpMiddleware<governor::clock::QuantaInstant>,
>;
pub type Layer = GovernorLayer<
    PeerIpKeyExtractor,
    governor::middleware::NoOpMiddleware<governor::clock::QuantaInstant>,
    Body,
>;

#[derive(Clone)]
pub struct Throttle {
    config: Arc<Config>,
}

impl Throttle {
    /// Builds the shared limiter and a task that forgets idle addresses.
    pub fn new(limits: RateLimits) -> Throttle {
        let period_ms = (60_000 / u64::from(limits.per_minute.max(1))).max(1);
        let config = Arc::new(
            GovernorConfigBuilder::default()
                .per_millisecond(period_ms)
                .burst_size(limits.burst.max(1))
                .finish()
                .expect("a positive period and burst make a valid configuration"),
        );
        let limiter = config.limiter().clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                limiter.retain_recent();
            }
        });
        Throttle { config }
    }

    /// Counts one request from `ip` against the shared budget; the seconds
    /// to wait when it is spent. For routes registered by Leptos (server
    /// functions), which cannot take a layer of their own.
    pub fn check(&self, ip: std::net::IpAddr) -> Result<(), u64> {
        use governor::clock::{Clock, DefaultClock};
        self.config.limiter().check_key(&ip).map_err(|not_until| {
            not_until
                .wait_time_from(DefaultClock::default().now())
                .as_secs()
                .max(1)
        })
    }

    pub fn api(&self) -> Layer {
        GovernorLayer::new(self.config.clone()).error_handler(|e| match e {
            GovernorError::TooManyRequests { wait_time, .. } => AppError::RateLimited {
                retry_after_secs: wait_time.max(1),
            }
            .into_response(),
            _ => AppError::BadRequest {
                message: "The client address could not be read.".into(),
            }
            .into_response(),
        })
    }

    pub fn html(&self) -> Layer {
        GovernorLayer::new(self.config.clone()).error_handler(|e| {
            let wait = match e {
                GovernorError::TooManyRequests { wait_time, .. } => wait_time.max(1),
                _ => 60,
            };
            let page = format!(
                "<!DOCTYPE html><html lang=\"ru\"><head><meta charset=\"utf-8\">\
                 <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
                 <title>429</title><link rel=\"stylesheet\" href=\"/pkg/studio.css\"></head><body>\
                 <main class=\"site-main\"><section class=\"empty-state\">\
                 <p class=\"empty-state__code\" aria-hidden=\"true\">429</p>\
                 <h1>Слишком много попыток</h1><p>Подождите {wait} с и попробуйте снова.</p>\
                 <h2 lang=\"en\">Too many attempts</h2><p lang=\"en\">Please wait {wait} s and try again.</p>\
                 <a class=\"button\" href=\"/\">На главную · Home</a></section></main></body></html>"
            );
            let mut res = (StatusCode::TOO_MANY_REQUESTS, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], page)
                .into_response();
            if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            res
        })
    }
}
