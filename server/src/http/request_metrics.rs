//! Every request's figures for Prometheus: how many are in flight, how many
//! were answered and how long they took, per route, method and status —
//! the series axum-prometheus's layer writes, under its names and labels.
//!
//! That layer looks each series up in the recorder's registry by name and
//! labels for every request (three lookups, each building its key from
//! newly allocated label strings) and clones its own route matchers with
//! the route's service stack: at tens of thousands of requests a second a
//! tenth of the server's own time. Here the handles of a route's series are
//! looked up once and kept; a request then costs a map read and a few
//! atomic operations. axum-prometheus still installs the recorder (its
//! histogram buckets) and renders `/metrics`.

use axum::{
    body::Body,
    extract::MatchedPath,
    http::{Method, Request, StatusCode},
};
use axum_prometheus::{
    AXUM_HTTP_REQUESTS_DURATION_SECONDS, AXUM_HTTP_REQUESTS_PENDING, AXUM_HTTP_REQUESTS_TOTAL,
};
use metrics::{Counter, Gauge, Histogram};
use std::{
    collections::HashMap,
    sync::{Arc, LazyLock, RwLock},
    time::Instant,
};

/// One route and method's series.
struct Series {
    endpoint: Box<str>,
    method: &'static str,
    pending: Gauge,
    /// By status: a route answers with a handful.
    answered: RwLock<Vec<(u16, Counter, Histogram)>>,
}

impl Series {
    fn answered(&self, status: StatusCode) -> (Counter, Histogram) {
        let code = status.as_u16();
        if let Some((_, c, h)) = self
            .answered
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|(s, _, _)| *s == code)
        {
            return (c.clone(), h.clone());
        }
        let mut answered = self.answered.write().unwrap_or_else(|e| e.into_inner());
        if let Some((_, c, h)) = answered.iter().find(|(s, _, _)| *s == code) {
            return (c.clone(), h.clone());
        }
        let labels = [
            ("method", self.method.to_owned()),
            ("status", code.to_string()),
            ("endpoint", self.endpoint.to_string()),
        ];
        let counter = metrics::counter!(AXUM_HTTP_REQUESTS_TOTAL, &labels);
        let histogram = metrics::histogram!(AXUM_HTTP_REQUESTS_DURATION_SECONDS, &labels);
        answered.push((code, counter.clone(), histogram.clone()));
        (counter, histogram)
    }
}

/// Routes (the matched template, or one of the two labels of unrouted
/// paths: a finite set) to their series by method.
type Routes = HashMap<Box<str>, Vec<Arc<Series>>>;

static ROUTES: LazyLock<RwLock<Routes>> = LazyLock::new(Default::default);

fn series(endpoint: &str, method: &'static str) -> Arc<Series> {
    if let Some(s) = ROUTES
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(endpoint)
        .and_then(|by_method| by_method.iter().find(|s| s.method == method))
    {
        return s.clone();
    }
    // Handles taken before the recorder is installed would count nowhere,
    // for good.
    super::metrics_handle();
    let mut routes = ROUTES.write().unwrap_or_else(|e| e.into_inner());
    let by_method = routes.entry(endpoint.into()).or_default();
    if let Some(s) = by_method.iter().find(|s| s.method == method) {
        return s.clone();
    }
    let s = Arc::new(Series {
        endpoint: endpoint.into(),
        method,
        pending: metrics::gauge!(
            AXUM_HTTP_REQUESTS_PENDING,
            &[
                ("method", method.to_owned()),
                ("endpoint", endpoint.to_owned())
            ]
        ),
        answered: RwLock::default(),
    });
    by_method.push(s.clone());
    s
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::OPTIONS => "OPTIONS",
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        Method::PATCH => "PATCH",
        _ => "",
    }
}

/// A request being answered: counted in flight from [`InFlight::start`]
/// until it is finished or dropped (a client that went away).
pub(crate) struct InFlight {
    series: Arc<Series>,
    started: Instant,
}

impl InFlight {
    /// Inside the router (the matched route is known); `unmatched` names
    /// paths no route took.
    pub(crate) fn start(req: &Request<Body>, unmatched: fn(&str) -> &'static str) -> Self {
        let started = Instant::now();
        let endpoint = match req.extensions().get::<MatchedPath>() {
            Some(m) => m.as_str(),
            None => unmatched(req.uri().path()),
        };
        let series = series(endpoint, method_label(req.method()));
        series.pending.increment(1);
        InFlight { series, started }
    }

    /// The answer's status and how long it took.
    pub(crate) fn finish(self, status: StatusCode) {
        let (counter, histogram) = self.series.answered(status);
        counter.increment(1);
        histogram.record(self.started.elapsed().as_secs_f64());
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.series.pending.decrement(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line<'a>(text: &'a str, name: &str, parts: &[&str]) -> Option<&'a str> {
        text.lines()
            .find(|l| l.starts_with(name) && parts.iter().all(|p| l.contains(p)))
    }

    fn value(line: Option<&str>) -> f64 {
        line.and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    }

    // The recorder's upkeep runs on Tokio.
    #[tokio::test]
    async fn a_request_is_in_flight_until_answered_then_counted_by_route_method_and_status() {
        let req = Request::builder()
            .method(Method::PATCH)
            .uri("/no/such/route?token=secret")
            .body(Body::empty())
            .unwrap();
        let pending = |text: &str| {
            value(line(
                text,
                "axum_http_requests_pending{",
                &["method=\"PATCH\"", "endpoint=\"unmatched\""],
            ))
        };
        let answered = |text: &str| {
            value(line(
                text,
                "axum_http_requests_total{",
                &[
                    "method=\"PATCH\"",
                    "status=\"418\"",
                    "endpoint=\"unmatched\"",
                ],
            ))
        };

        let first = InFlight::start(&req, super::super::unmatched_route);
        let second = InFlight::start(&req, super::super::unmatched_route);
        // Taken after the first request: its series must still reach the
        // recorder however early it came.
        let handle = super::super::metrics_handle();
        let text = handle.render();
        assert_eq!(pending(&text), 2.0);
        assert_eq!(answered(&text), 0.0);

        first.finish(StatusCode::IM_A_TEAPOT);
        // A client that went away: no longer in flight, never answered.
        drop(second);
        let text = handle.render();
        assert_eq!(pending(&text), 0.0);
        assert_eq!(answered(&text), 1.0);
        assert!(line(
            &text,
            "axum_http_requests_duration_seconds_count{",
            &[
                "method=\"PATCH\"",
                "status=\"418\"",
                "endpoint=\"unmatched\""
            ],
        )
        .is_some());
        // Never the concrete path or its query.
        assert!(!text.contains("/no/such/route") && !text.contains("secret"));
    }
}
