//! Health, metrics, request ids and the error shape of the API.

mod common;
use serde_json::Value;

both_backends! {
    async fn the_liveness_probe_answers_ok(app) {
        let res = app.get("/health").await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body, serde_json::json!({"status": "ok"}));
    }

    async fn the_database_probe_names_its_backend(app) {
        let res = app.get("/health/db").await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["status"], "ok");
        // Which backend the test asked for, read from its own URL, not from
        // the server under test.
        let asked = if app.db.url.starts_with("sqlite:") { "sqlite" } else { "postgres" };
        assert_eq!(body["backend"], asked);
        assert!(body["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0));
    }

    async fn the_database_probe_answers_503_with_a_json_error_when_the_database_is_gone(app) {
        app.state.store.close().await;
        let res = app.get("/health/db").await;
        assert_eq!(res.status(), 503);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "database_unavailable");
        let asked = if app.db.url.starts_with("sqlite:") { "sqlite" } else { "postgres" };
        assert_eq!(body["error"]["details"]["backend"], asked);
    }

    async fn the_cache_probe_answers(app) {
        let res = app.get("/health/cache").await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["status"], "ok");
        let before = body["entries"].as_u64().unwrap();
        // Reading the catalog fills the cache, and the probe sees it.
        assert_eq!(app.get("/api/v1/public/spaces").await.status(), 200);
        let body: Value = app.get("/health/cache").await.json().await.unwrap();
        assert!(body["entries"].as_u64().unwrap() > before, "{body}");
    }

    async fn metrics_count_requests_and_latency_per_route(app) {
        assert_eq!(app.get("/health").await.status(), 200);
        let res = app.get("/metrics").await;
        assert_eq!(res.status(), 200);
        let text = res.text().await.unwrap();
        let counted = text.lines().any(|l| {
            l.starts_with("axum_http_requests_total{") && l.contains("endpoint=\"/health\"") && l.contains("status=\"200\"")
        });
        assert!(counted, "no request counter for /health in:\n{text}");
        assert!(text.lines().any(|l| l.starts_with("axum_http_requests_duration_seconds_bucket{") && l.contains("endpoint=\"/health\"")));
    }

    async fn every_response_carries_a_request_id(app) {
        let res = app.get("/health").await;
        let id = res.headers().get("x-request-id").expect("x-request-id header").to_str().unwrap().to_owned();
        assert_eq!(id.len(), 36, "a UUID, got {id}");
        let res = app.client.get(app.url("/health")).header("x-request-id", "given-by-the-proxy").send().await.unwrap();
        assert_eq!(res.headers()["x-request-id"], "given-by-the-proxy");
    }

    async fn every_response_carries_the_security_headers(app) {
        for path in ["/", "/book/studio_a", "/api/v1/public/spaces", "/no/such/page", "/docs/"] {
            let res = app.get(path).await;
            let h = res.headers();
            let csp = h["content-security-policy"].to_str().unwrap();
            for directive in ["object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"] {
                assert!(csp.contains(directive), "{path}: {csp}");
            }
            assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
            assert_eq!(h["x-frame-options"], "DENY", "{path}");
            assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        }
    }

    async fn staff_pages_are_never_cached_and_plain_http_gets_no_hsts(app) {
        let res = app.get("/staff/login").await;
        assert_eq!(res.headers()["cache-control"], "no-store");
        assert!(res.headers().get("strict-transport-security").is_none());
        let res = app.get("/").await;
        assert!(res.headers().get("cache-control").is_none_or(|v| v != "no-store"));
    }

    async fn an_unknown_api_route_answers_in_the_json_error_shape(app) {
        let res = app.get("/api/v1/no-such-thing").await;
        assert_eq!(res.status(), 404);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found");
        assert!(body["error"]["message"].as_str().unwrap().len() > 5);
        assert!(body["error"]["fields"].is_object());
    }
}
