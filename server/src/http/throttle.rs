//! Per-address rate limiting of guest writes and of everything that checks
//! a password or a code. The API and the HTML forms share one budget per
//! address; the API answers 429 in the JSON error shape, the forms with a
//! readable page.
//!
//! With Redis (`STUDIO_REDIS_URL`) the budget is the whole chain's: every
//! instance asks the same GCRA on Redis. Without it, or while Redis does not
//! answer, each instance keeps its own (governor, the same rule in memory).

use app::{error::AppError, server::shared::Shared};
use axum::{
    body::Body,
    extract::{ConnectInfo, Request, State},
    http::{header, HeaderValue, StatusCode},
    middleware::{from_fn_with_state, FromFnLayer, Next},
    response::{IntoResponse, Response},
};
use governor::{clock::DefaultClock, state::keyed::DefaultKeyedStateStore, Quota, RateLimiter};
use std::{
    future::Future,
    net::{IpAddr, SocketAddr},
    num::NonZeroU32,
    pin::Pin,
    sync::Arc,
    time::Duration,
};

/// Guest writes allowed per client address.
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    pub per_minute: u32,
    pub burst: u32,
}

type Local = RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, DefaultClock>;
type Guard = fn(State<Throttle>, Request, Next) -> Pin<Box<dyn Future<Output = Response> + Send>>;
/// A route's limiter (`.layer(throttle.api())`).
pub type Layer = FromFnLayer<Guard, Throttle, (State<Throttle>, Request)>;

#[derive(Clone)]
pub struct Throttle {
    local: Arc<Local>,
    shared: Shared,
    interval_ms: u64,
    burst: u32,
}

impl Throttle {
    /// Builds the limiter and a task that forgets idle addresses.
    pub fn new(limits: RateLimits, shared: Shared) -> Throttle {
        let interval_ms = (60_000 / u64::from(limits.per_minute.max(1))).max(1);
        let burst = limits.burst.max(1);
        let quota = Quota::with_period(Duration::from_millis(interval_ms))
            .expect("a positive period")
            .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN));
        let local = Arc::new(RateLimiter::keyed(quota));
        let forget = local.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                forget.retain_recent();
            }
        });
        Throttle {
            local,
            shared,
            interval_ms,
            burst,
        }
    }

    /// Counts one request from `ip`; the seconds to wait when the budget
    /// is spent. Also for routes registered by Leptos (server functions),
    /// which cannot take a layer of their own.
    pub async fn check(&self, ip: IpAddr) -> Result<(), u64> {
        if let Some(verdict) = self.shared.admit(ip, self.interval_ms, self.burst).await {
            return verdict;
        }
        use governor::clock::{Clock, DefaultClock};
        self.local.check_key(&ip).map_err(|not_until| {
            not_until
                .wait_time_from(DefaultClock::default().now())
                .as_secs()
                .max(1)
        })
    }

    pub fn api(&self) -> Layer {
        from_fn_with_state(self.clone(), api_guard as Guard)
    }

    pub fn html(&self) -> Layer {
        from_fn_with_state(self.clone(), html_guard as Guard)
    }
}

fn peer(req: &Request) -> Option<IpAddr> {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

fn api_guard(
    State(throttle): State<Throttle>,
    req: Request,
    next: Next,
) -> Pin<Box<dyn Future<Output = Response> + Send>> {
    Box::pin(async move {
        let Some(ip) = peer(&req) else {
            return AppError::BadRequest {
                message: "The client address could not be read.".into(),
            }
            .into_response();
        };
        match throttle.check(ip).await {
            Ok(()) => next.run(req).await,
            Err(wait) => AppError::RateLimited {
                retry_after_secs: wait,
            }
            .into_response(),
        }
    })
}

fn html_guard(
    State(throttle): State<Throttle>,
    req: Request,
    next: Next,
) -> Pin<Box<dyn Future<Output = Response> + Send>> {
    Box::pin(async move {
        let wait = match peer(&req) {
            Some(ip) => match throttle.check(ip).await {
                Ok(()) => return next.run(req).await,
                Err(wait) => wait,
            },
            None => 60,
        };
        too_many_page(wait)
    })
}

fn too_many_page(wait: u64) -> Response {
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
    let mut res = (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        Body::from(page),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}
