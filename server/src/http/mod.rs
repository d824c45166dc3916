//! The HTTP surface: Leptos pages and server functions, the REST API under
//! `/api/v1` with its OpenAPI document and docs, operations endpoints, and
//! the middleware every request passes through.

mod analytics;
mod assets;
mod audit;
mod auth;
mod bookings;
mod calendar;
mod client_ip;
mod employees;
mod extract;
mod forms;
mod health;
mod live;
mod locale;
mod notifications;
pub mod openapi;
mod public;
mod request_metrics;
mod settings;
mod throttle;

pub use client_ip::TrustedProxies;
pub use throttle::RateLimits;

/// How the HTTP surface is set up, from the configuration.
#[derive(Clone, Debug)]
pub struct HttpOptions {
    pub limits: RateLimits,
    pub trusted_proxies: TrustedProxies,
    /// When set, `/metrics` needs `Authorization: Bearer <token>`.
    pub metrics_token: Option<std::sync::Arc<[u8]>>,
}

use app::{
    error::AppError,
    server::{images, AppState},
    shell, App,
};
use axum::{
    body::Body,
    extract::{DefaultBodyLimit, MatchedPath, State},
    http::{header, HeaderValue, Request},
    response::{IntoResponse, Response},
    routing::{any, delete, get, post, put},
    Router,
};
use axum_prometheus::{
    metrics_exporter_prometheus::PrometheusHandle, PrometheusMetricLayerBuilder,
};
use leptos_axum::{file_and_error_handler, generate_route_list, AxumRouteListing, LeptosRoutes};
use std::{any::Any, sync::OnceLock};
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::{
        predicate::{DefaultPredicate, Predicate},
        CompressionLayer,
    },
    request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    trace::{DefaultOnResponse, TraceLayer},
};
use tracing::Level;
use utoipa_swagger_ui::SwaggerUi;

/// The Prometheus recorder is process-global, so it is installed once and
/// shared by every router the process builds (tests build many). Its
/// request series are written by [`request_metrics`], in [`site_policy`].
pub(crate) fn metrics_handle() -> &'static PrometheusHandle {
    static METRICS: OnceLock<PrometheusHandle> = OnceLock::new();
    METRICS.get_or_init(|| {
        PrometheusMetricLayerBuilder::new()
            .with_default_metrics()
            .build_pair()
            .1
    })
}

/// Unrouted requests share one label: raw paths would let any scanner
/// create unbounded metric series.
fn unmatched_route(path: &str) -> &'static str {
    if path.starts_with("/pkg/") {
        "/pkg/{file}"
    } else {
        "unmatched"
    }
}

/// The pages' routes, generated once per process. While Leptos generates
/// them it stops every resource of the process from loading (leptos_server's
/// `SuppressResourceLoad` is one global flag; leptos-rs/leptos#4773): a
/// resource created by a page rendering at that moment waits forever. One
/// server per process never overlaps the two, but the tests start many
/// servers in one process, and a render of one test hung whenever another
/// test's server built its router at that instant.
fn page_routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub fn router(state: AppState, options: HttpOptions) -> Router {
    let leptos_options = state.leptos_options.clone();
    let secure = state.secure_cookies;
    let routes = page_routes();
    // Installed now: the studio's own figures (jobs, backups) may be
    // recorded before the first request or scrape.
    metrics_handle();
    let throttle = throttle::Throttle::new(options.limits, state.shared.clone());
    let trusted = options.trusted_proxies.clone();
    let metrics_token = options.metrics_token.clone();
    let api = Router::new()
        .route("/api/v1/public/spaces", get(public::list_spaces))
        .route("/api/v1/public/availability", get(public::availability))
        .route(
            "/api/v1/public/quote",
            post(public::quote).layer(throttle.api()),
        )
        .route(
            "/api/v1/public/bookings",
            post(public::create_booking).layer(throttle.api()),
        )
        .route(
            "/api/v1/public/bookings/{token}",
            get(public::guest_booking),
        )
        .route(
            "/api/v1/public/bookings/{token}/cancel",
            post(public::cancel_guest_booking).layer(throttle.api()),
        )
        .merge(
            Router::new()
                .route(
                    "/api/v1/auth/login",
                    post(auth::login).layer(throttle.api()),
                )
                .route(
                    "/api/v1/auth/refresh",
                    post(auth::refresh).layer(throttle.api()),
                )
                .route("/api/v1/auth/logout", post(auth::logout))
                .route("/api/v1/employees/profile", get(auth::profile))
                .route(
                    "/api/v1/employees",
                    get(employees::list).post(employees::create),
                )
                .route(
                    "/api/v1/employees/{id}",
                    get(employees::get).put(employees::update),
                )
                .route(
                    "/api/v1/employees/{id}/reset-password",
                    post(employees::reset_password),
                )
                .route(
                    "/api/v1/employees/{id}/revoke-sessions",
                    post(employees::revoke_sessions),
                )
                .route(
                    "/api/v1/auth/password",
                    post(auth::change_password).layer(throttle.api()),
                )
                .route(
                    "/api/v1/auth/mfa/setup",
                    post(auth::mfa_setup).layer(throttle.api()),
                )
                .route(
                    "/api/v1/auth/mfa/enable",
                    post(auth::mfa_enable).layer(throttle.api()),
                )
                .route(
                    "/api/v1/auth/mfa/disable",
                    post(auth::mfa_disable).layer(throttle.api()),
                )
                .route(
                    "/api/v1/settings/security",
                    get(employees::get_security).put(employees::put_security),
                )
                .route(
                    "/api/v1/bookings",
                    get(bookings::list).post(bookings::create),
                )
                .route("/api/v1/bookings/batch", post(bookings::batch))
                .route(
                    "/api/v1/bookings/{id}",
                    get(bookings::get)
                        .put(bookings::update)
                        .delete(bookings::delete),
                )
                .route("/api/v1/bookings/{id}/state", post(bookings::transition))
                .route(
                    "/api/v1/blocks",
                    get(calendar::list_blocks).post(calendar::create_block),
                )
                .route(
                    "/api/v1/blocks/{id}",
                    put(calendar::update_block).delete(calendar::delete_block),
                )
                .route("/api/v1/settings", get(settings::get).put(settings::put))
                .route(
                    "/api/v1/settings/contacts",
                    get(settings::get_contacts).put(settings::put_contacts),
                )
                .route(
                    "/api/v1/spaces",
                    get(settings::list_spaces).post(settings::create_space),
                )
                .route("/api/v1/spaces/{id}", put(settings::update_space))
                .route(
                    "/api/v1/spaces/{id}/photos",
                    post(settings::add_photo)
                        .layer(DefaultBodyLimit::max(images::MAX_UPLOAD_BYTES)),
                )
                .route("/api/v1/photos/{id}", delete(settings::delete_photo))
                .route(
                    "/api/v1/settings/logo",
                    put(settings::put_logo)
                        .delete(settings::delete_logo)
                        .layer(DefaultBodyLimit::max(images::MAX_UPLOAD_BYTES)),
                )
                .route(
                    "/api/v1/equipment",
                    get(settings::list_equipment).post(settings::create_equipment),
                )
                .route("/api/v1/equipment/{id}", put(settings::update_equipment))
                .route(
                    "/api/v1/promo-codes",
                    get(settings::list_promos).post(settings::save_promo),
                )
                .route("/api/v1/settings/calendar-feed", get(calendar::feed_links))
                .route(
                    "/api/v1/settings/calendar-feed/rotate",
                    post(calendar::rotate_feed),
                )
                .route("/api/v1/analytics/summary", get(analytics::summary))
                .route("/api/v1/analytics/export.csv", get(analytics::export_csv))
                .route("/api/v1/analytics/export.xlsx", get(analytics::export_xlsx))
                .route("/api/v1/clients", get(calendar::list_clients))
                .route("/api/v1/clients/{phone}", get(calendar::get_client))
                .route(
                    "/api/v1/clients/{phone}/notes",
                    put(calendar::set_client_notes),
                )
                .route(
                    "/api/v1/clients/{phone}/export",
                    get(calendar::export_client),
                )
                .route(
                    "/api/v1/clients/{phone}/erase",
                    post(calendar::erase_client),
                )
                .route("/api/v1/data-requests", get(calendar::list_data_requests))
                .route(
                    "/api/v1/data-requests/{id}/close",
                    post(calendar::close_data_request),
                )
                .route(
                    "/api/v1/webhooks",
                    get(notifications::list).post(notifications::create),
                )
                .route(
                    "/api/v1/webhooks/{id}",
                    get(notifications::get)
                        .put(notifications::update)
                        .delete(notifications::delete),
                )
                .route(
                    "/api/v1/webhooks/{id}/deliveries",
                    get(notifications::deliveries),
                )
                .route(
                    "/api/v1/settings/notifications",
                    get(notifications::settings).put(notifications::put_settings),
                )
                .route(
                    "/api/v1/settings/notifications/telegram-test",
                    post(notifications::telegram_test),
                )
                .route("/api/v1/outbox/dead", get(notifications::dead))
                .route("/api/v1/outbox/{id}/retry", post(notifications::retry))
                .route("/api/v1/audit", get(audit::list))
                .route("/api/v1/audit/export", get(audit::export))
                .route("/api/v1/auth/sessions", get(auth::sessions))
                .route(
                    "/api/v1/auth/sessions/revoke-others",
                    post(auth::revoke_other_sessions),
                )
                // Never cached: see `private_pages`.
                .route("/api/v1/auth/sessions/{id}", delete(auth::revoke_session)),
        )
        // Anything else under the API is the API's own 404, not a page.
        .route("/api/v1", any(api_not_found))
        .route("/api/v1/{*rest}", any(api_not_found));

    Router::new()
        .route("/health", get(health::live))
        .route("/health/db", get(health::db))
        .route("/health/cache", get(health::cache))
        .route("/health/outbox", get(health::outbox))
        .route(
            "/metrics",
            get(
                move |State(state): State<AppState>, headers: axum::http::HeaderMap| {
                    health::metrics(state, headers, metrics_token.clone())
                },
            ),
        )
        .route("/locale", post(locale::switch))
        .route("/ws", get(live::socket))
        .route("/ics/{secret}/{file}", get(calendar::ics))
        .route("/media/{id}/{file}", get(public::media))
        .route(
            "/book/{space}",
            post(forms::submit_booking).layer(throttle.html()),
        )
        .route("/setup", post(forms::submit_setup).layer(throttle.html()))
        .route(
            "/booking/{token}/cancel",
            post(forms::cancel_booking).layer(throttle.html()),
        )
        .route(
            "/booking/{token}/calendar.ics",
            get(forms::booking_calendar),
        )
        .route(
            "/booking/{token}/data-request",
            post(forms::data_request).layer(throttle.html()),
        )
        // Merged with full paths, not nested: a nested router strips its
        // prefix from every request (a new URI) and routes it a second time.
        .merge(api)
        .merge(assets::routes(std::path::Path::new(
            state.leptos_options.site_root.as_ref(),
        )))
        // Swagger UI only points at the document (it would keep the whole
        // utoipa tree in memory to serve it).
        .route("/api/v1/openapi.json", get(openapi::document))
        .merge(
            SwaggerUi::new("/docs")
                .config(utoipa_swagger_ui::Config::new(["/api/v1/openapi.json"])),
        )
        .leptos_routes(&state, routes, move || shell(leptos_options.clone()))
        .fallback(file_and_error_handler::<AppState, _>(shell))
        // The middleware every request passes, as one layer: each
        // `Router::layer` boxes every route again, and a request then
        // clones each box and passes through a future (and a boxed body)
        // per layer. Outermost first.
        .layer(
            tower::ServiceBuilder::new()
                // HTML and JSON go out compressed when the client accepts
                // it; the built site is precompressed and the socket
                // handshake has no body.
                .layer(
                    CompressionLayer::new().compress_when(DefaultPredicate::new().and(
                        |status: axum::http::StatusCode,
                         _: axum::http::Version,
                         _: &axum::http::HeaderMap,
                         _: &axum::http::Extensions| {
                            status != axum::http::StatusCode::SWITCHING_PROTOCOLS
                        },
                    )),
                )
                .layer(SetRequestIdLayer::x_request_id(RandomRequestId))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(request_span)
                        .on_response(DefaultOnResponse::new().level(Level::INFO)),
                )
                .layer(PropagateRequestIdLayer::x_request_id())
                .layer(axum::middleware::from_fn_with_state(
                    std::sync::Arc::new(SitePolicy {
                        trusted,
                        throttle,
                        https: secure,
                    }),
                    site_policy,
                ))
                // Innermost: a panic in a handler becomes the ordinary 500
                // here, so that answer too is counted, logged, and carries
                // the headers and any renewed session cookies.
                .layer(CatchPanicLayer::custom(panic_response)),
        )
        .with_state(state)
}

/// A UUID v4 for every request that comes without an `x-request-id`, from
/// the thread's CSPRNG (`rand`'s `ThreadRng`) written on the stack.
/// tower-http's `MakeRequestUuid` asks the kernel for each one (a
/// `getrandom` system call) and formats it through a `String`: measurable at
/// tens of thousands of requests a second.
#[derive(Clone, Copy)]
struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let bytes: [u8; 16] = rand::random();
        let id = uuid::Builder::from_random_bytes(bytes).into_uuid();
        let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
        let text = id.hyphenated().encode_lower(&mut text);
        HeaderValue::from_str(text).ok().map(RequestId::new)
    }
}

async fn api_not_found() -> AppError {
    AppError::not_found("endpoint")
}

/// What [`site_policy`] needs.
struct SitePolicy {
    trusted: TrustedProxies,
    throttle: throttle::Throttle,
    /// Served over https: HSTS on every answer.
    https: bool,
}

/// The site's rules for every request, in one middleware. Each `from_fn`
/// layer clones the service stack inside it and boxes a future for every
/// request, and every `tower` layer adds its own future around the rest:
/// these were four such layers and four header layers.
/// - The request is counted in flight, and its answer by route, method
///   and status with its duration ([`request_metrics`]).
/// - The client's address goes in `ConnectInfo` (behind a trusted proxy,
///   the forwarded one) for every limiter and handler inside.
/// - The request gets its cookie-session cell, and the answer the cookies
///   of a session renewed while handling it: once, however many server
///   functions of a page asked who is signed in.
/// - Then [`private_pages`] (sign-in throttle, no-store for staff pages and
///   the staff API, HSTS) and
///   [`pages_in_time`], and the security headers.
async fn site_policy(
    State(policy): State<std::sync::Arc<SitePolicy>>,
    mut req: Request<Body>,
    next: axum::middleware::Next,
) -> Response {
    let in_flight = request_metrics::InFlight::start(&req, unmatched_route);
    client_ip::resolve(&policy.trusted, &mut req);
    let session = app::server::web_session::RequestSession::default();
    req.extensions_mut().insert(session.clone());
    let mut res = private_pages(req, next, &policy.throttle, policy.https).await;
    in_flight.finish(res.status());
    let headers = res.headers_mut();
    // Pages rendered by Leptos set their own policy with a nonce (see
    // `app::ui::content_security_policy`); everything else (the API
    // docs, error pages, JSON) gets this one: no inline script at all.
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                 img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; \
                 form-action 'self'",
            ),
        );
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Guest manage links carry their token in the path: never send it on.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    for cookie in session.renewed_cookies() {
        headers.append(header::SET_COOKIE, cookie);
    }
    res
}

/// How long one server render of a page may take before it is given up.
const RENDER_LIMIT: std::time::Duration = std::time::Duration::from_secs(20);

/// Renders a page again when a render stalls. Leptos's server rendering
/// has had rare stalls where a render waits for a notification that never
/// comes, burns no CPU and never answers (leptos-rs/leptos#4851, fixed;
/// #4578 and #4673, open; #4773, avoided by [`page_routes`]). A page `GET`
/// reads only (a renewed session is resolved once per request and shared by
/// both attempts), so it is safe to render twice; a second stall answers 503
/// with a page that says to reload, instead of a connection that never ends.
async fn pages_in_time(req: Request<Body>, next: axum::middleware::Next) -> Response {
    if !is_page_render(&req) {
        return next.run(req).await;
    }
    let (parts, _) = req.into_parts();
    let page = rendered_in_time(RENDER_LIMIT, || {
        next.clone()
            .run(Request::from_parts(parts.clone(), Body::empty()))
    })
    .await;
    page.unwrap_or_else(stalled_page)
}

/// A `GET` (or `HEAD`) of a server-rendered page: not the API, the socket,
/// files, feeds or operations endpoints.
fn is_page_render(req: &Request<Body>) -> bool {
    const NOT_PAGES: [&str; 9] = [
        "/api/", "/ws", "/pkg/", "/assets/", "/ics/", "/health", "/metrics", "/docs", "/locale",
    ];
    let path = req.uri().path();
    matches!(
        *req.method(),
        axum::http::Method::GET | axum::http::Method::HEAD
    ) && !NOT_PAGES.iter().any(|p| path.starts_with(p))
}

/// `render()` within `limit`, and once more if it stalled; `None` when
/// both attempts stalled (each stall is logged and counted).
pub(crate) async fn rendered_in_time<F, Fut>(
    limit: std::time::Duration,
    render: F,
) -> Option<Response>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    for attempt in 1..=2 {
        match tokio::time::timeout(limit, render()).await {
            Ok(res) => return Some(res),
            Err(_) => {
                metrics::counter!("studio_page_render_stalls_total").increment(1);
                tracing::warn!(
                    attempt,
                    limit_secs = limit.as_secs(),
                    "a page render stalled; it was given up"
                );
            }
        }
    }
    None
}

/// What a browser shows when a page could not be rendered in time.
pub(crate) fn stalled_page() -> Response {
    (
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::RETRY_AFTER, "1"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Studio</title></head><body>\
         <h1>The page is taking too long</h1><p>Please reload it in a moment.</p>\
         <p lang=\"ru\">Страница загружается слишком долго. Обновите её через несколько секунд.</p>\
         </body></html>",
    )
        .into_response()
}

/// The span every log line of a request sits in. It names the route
/// template, never the concrete path or query, which may carry personal
/// data or tokens.
fn request_span(req: &Request<Body>) -> tracing::Span {
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    // Field values are only evaluated when the span is enabled, and the
    // route is borrowed: a disabled span costs no allocation.
    match req.extensions().get::<MatchedPath>() {
        Some(m) => {
            tracing::info_span!("request", request_id, method = %req.method(), route = m.as_str())
        }
        None => tracing::info_span!(
            "request",
            request_id,
            method = %req.method(),
            route = unmatched_route(req.uri().path())
        ),
    }
}

/// A panic in a handler becomes the ordinary JSON 500; the panic message is
/// logged, not sent.
fn panic_response(err: Box<dyn Any + Send + 'static>) -> Response {
    let detail = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    tracing::error!(panic = detail, "handler panicked");
    AppError::Internal.into_response()
}

/// A failed server function answers 500 whatever went wrong; its body is
/// the [`AppError`], whose own status (401, 403, 409, 422, ...) is what
/// clients, logs and metrics should see.
async fn with_error_status(res: Response) -> Response {
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 256 * 1024).await else {
        return (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Internal,
        )
            .into_response();
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        if let Ok(status) = axum::http::StatusCode::from_u16(error.status_code()) {
            parts.status = status;
        }
        if let AppError::RateLimited { retry_after_secs } | AppError::Locked { retry_after_secs } =
            error
        {
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                parts.headers.insert(header::RETRY_AFTER, v);
            }
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Staff pages, server functions and the staff REST API (all of `/api/v1`
/// but the public endpoints and the OpenAPI document): nothing of theirs
/// belongs in a cache.
fn is_private(path: &str) -> bool {
    path.starts_with("/staff")
        || path.starts_with("/api/fn/")
        || (path.starts_with("/api/v1/")
            && !path.starts_with("/api/v1/public/")
            && path != "/api/v1/openapi.json")
}

/// Staff pages and server functions are private: never cached, and the
/// server functions that check a password or a code share the per-address
/// budget of the API's sign-in and MFA routes. Behind https every response also pins https (HSTS).
async fn private_pages(
    req: Request<Body>,
    next: axum::middleware::Next,
    throttle: &throttle::Throttle,
    https: bool,
) -> Response {
    let path = req.uri().path();
    let private = is_private(path);
    // Guessable secrets go through these: the password, TOTP and backup codes.
    const THROTTLED: [&str; 4] = [
        "/api/fn/staff_login",
        "/api/fn/mfa_start",
        "/api/fn/mfa_confirm",
        "/api/fn/change_password",
    ];
    if req.method() == axum::http::Method::POST && THROTTLED.contains(&path) {
        let ip = req
            .extensions()
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        let verdict = match ip {
            Some(ip) => Some(throttle.check(ip).await),
            None => None,
        };
        if let Some(Err(wait)) = verdict {
            // A server function's caller decodes the error itself (the
            // `AppError` as JSON), not the REST API's error shape.
            let error = AppError::RateLimited {
                retry_after_secs: wait,
            };
            let mut res = (
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                [(header::CONTENT_TYPE, "application/json")],
                serde_json::to_string(&error).unwrap_or_default(),
            )
                .into_response();
            if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return res;
        }
    }
    let server_fn = path.starts_with("/api/fn/");
    let mut res = pages_in_time(req, next).await;
    if server_fn && res.status() == axum::http::StatusCode::INTERNAL_SERVER_ERROR {
        res = with_error_status(res).await;
    }
    if private {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if https {
        res.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn only_page_gets_are_rendered_again() {
        let get = |path: &str| Request::get(path).body(Body::empty()).unwrap();
        for path in [
            "/",
            "/book/studio_a",
            "/booking/abc",
            "/staff",
            "/staff/board",
            "/no/such/page",
        ] {
            assert!(is_page_render(&get(path)), "{path}");
        }
        for path in [
            "/api/v1/bookings",
            "/api/fn/get_me",
            "/ws",
            "/pkg/studio.wasm",
            "/assets/guest.1.js",
            "/ics/s/f.ics",
            "/health",
            "/metrics",
            "/docs/",
            "/locale",
        ] {
            assert!(!is_page_render(&get(path)), "{path}");
        }
        let post = Request::post("/book/studio_a").body(Body::empty()).unwrap();
        assert!(!is_page_render(&post), "a form post is not repeated");
    }

    #[test]
    fn staff_pages_and_the_staff_api_are_private() {
        for path in [
            "/staff",
            "/staff/board",
            "/api/fn/board",
            "/api/v1/employees",
            "/api/v1/auth/login",
            "/api/v1/bookings/b1",
            "/api/v1/no-such-thing",
        ] {
            assert!(is_private(path), "{path}");
        }
        for path in [
            "/",
            "/book/studio_a",
            "/booking/abc",
            "/api/v1/public/spaces",
            "/api/v1/public/availability",
            "/api/v1/openapi.json",
            "/docs/",
            "/health",
        ] {
            assert!(!is_private(path), "{path}");
        }
    }

    #[test]
    fn request_ids_are_distinct_uuid_v4() {
        let req = Request::get("/").body(Body::empty()).unwrap();
        let mut make = RandomRequestId;
        let ids: std::collections::HashSet<String> = (0..1000)
            .map(|_| {
                let id = make.make_request_id(&req).expect("an id");
                let text = id.header_value().to_str().unwrap().to_owned();
                let parsed = uuid::Uuid::parse_str(&text).expect("a UUID");
                assert_eq!(parsed.get_version_num(), 4, "{text}");
                assert_eq!(parsed.get_variant(), uuid::Variant::RFC4122, "{text}");
                assert_eq!(
                    text,
                    parsed.hyphenated().to_string(),
                    "lower-case, hyphenated"
                );
                text
            })
            .collect();
        assert_eq!(ids.len(), 1000, "no id repeats");
    }

    #[tokio::test]
    async fn a_stalled_render_is_rendered_again_and_a_second_stall_gives_up() {
        let calls = AtomicUsize::new(0);
        let page = rendered_in_time(Duration::from_millis(50), || {
            let first = calls.fetch_add(1, Ordering::SeqCst) == 0;
            async move {
                if first {
                    std::future::pending::<()>().await;
                }
                "rendered".into_response()
            }
        })
        .await;
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert_eq!(page.expect("the second attempt answers").status(), 200);

        let calls = AtomicUsize::new(0);
        let page = rendered_in_time(Duration::from_millis(50), || {
            calls.fetch_add(1, Ordering::SeqCst);
            std::future::pending::<Response>()
        })
        .await;
        assert_eq!(calls.load(Ordering::SeqCst), 2, "no third attempt");
        let res = page.unwrap_or_else(stalled_page);
        assert_eq!(res.status(), 503);
        assert_eq!(res.headers()[header::RETRY_AFTER], "1");
    }
}
