//! The public API, its OpenAPI document and the offline docs page.

mod common;
use serde_json::Value;

both_backends! {
    async fn a_fresh_database_offers_the_default_studio_spaces(app) {
        let res = app.get("/api/v1/public/spaces").await;
        assert_eq!(res.status(), 200);
        let spaces: Vec<Value> = res.json().await.unwrap();
        let slugs: Vec<&str> = spaces.iter().map(|s| s["slug"].as_str().unwrap()).collect();
        assert_eq!(slugs, ["studio_a", "studio_b"]);
        assert_eq!(spaces[0]["hourly_price"], 250_000);
        assert!(spaces[0]["capacity"].as_i64().unwrap() > 0);
    }

    async fn restarting_on_the_same_database_keeps_the_studio_as_it_is(app) {
        let env = app.db.env();
        let config = server::config::Config::from_lookup(|k| env.get(k).cloned()).unwrap();
        let store = server::open_store(&config).await.expect("second start");
        assert!(!app::server::catalog::ensure_default_studio(&store).await.unwrap(), "seeded twice");
        let spaces: Vec<Value> = app.get("/api/v1/public/spaces").await.json().await.unwrap();
        assert_eq!(spaces.len(), 2);
    }

    async fn the_openapi_document_describes_every_endpoint(app) {
        let res = app.get("/api/v1/openapi.json").await;
        assert_eq!(res.status(), 200);
        let doc: Value = res.json().await.unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        let documented = [
            ("get", "/health"), ("get", "/health/db"), ("get", "/health/cache"),
            ("get", "/api/v1/public/spaces"), ("get", "/api/v1/public/availability"),
            ("post", "/api/v1/public/quote"), ("post", "/api/v1/public/bookings"),
            ("get", "/api/v1/public/bookings/{token}"), ("post", "/api/v1/public/bookings/{token}/cancel"),
            ("post", "/api/v1/auth/login"), ("post", "/api/v1/auth/refresh"), ("post", "/api/v1/auth/logout"),
            ("post", "/api/v1/auth/password"), ("get", "/api/v1/auth/sessions"),
            ("delete", "/api/v1/auth/sessions/{id}"), ("post", "/api/v1/auth/sessions/revoke-others"),
            ("post", "/api/v1/auth/mfa/setup"), ("post", "/api/v1/auth/mfa/enable"), ("post", "/api/v1/auth/mfa/disable"),
            ("get", "/api/v1/employees/profile"), ("get", "/api/v1/employees"), ("post", "/api/v1/employees"),
            ("get", "/api/v1/employees/{id}"), ("put", "/api/v1/employees/{id}"),
            ("post", "/api/v1/employees/{id}/reset-password"), ("post", "/api/v1/employees/{id}/revoke-sessions"),
            ("get", "/api/v1/settings/security"), ("put", "/api/v1/settings/security"),
            ("get", "/api/v1/audit"), ("get", "/api/v1/audit/export"),
            ("post", "/api/v1/bookings/{id}/state"),
            ("get", "/api/v1/bookings"), ("post", "/api/v1/bookings"), ("post", "/api/v1/bookings/batch"),
            ("get", "/api/v1/bookings/{id}"), ("put", "/api/v1/bookings/{id}"), ("delete", "/api/v1/bookings/{id}"),
            ("get", "/api/v1/blocks"), ("post", "/api/v1/blocks"), ("put", "/api/v1/blocks/{id}"), ("delete", "/api/v1/blocks/{id}"),
            ("get", "/api/v1/clients"), ("get", "/api/v1/clients/{phone}"), ("put", "/api/v1/clients/{phone}/notes"),
            ("get", "/api/v1/clients/{phone}/export"), ("post", "/api/v1/clients/{phone}/erase"),
            ("get", "/api/v1/data-requests"), ("post", "/api/v1/data-requests/{id}/close"),
            ("get", "/api/v1/settings/calendar-feed"), ("post", "/api/v1/settings/calendar-feed/rotate"),
            ("get", "/api/v1/settings"), ("put", "/api/v1/settings"),
            ("get", "/api/v1/settings/contacts"), ("put", "/api/v1/settings/contacts"), ("get", "/api/v1/spaces"), ("post", "/api/v1/spaces"),
            ("put", "/api/v1/spaces/{id}"), ("get", "/api/v1/equipment"), ("post", "/api/v1/equipment"),
            ("put", "/api/v1/equipment/{id}"), ("get", "/api/v1/promo-codes"), ("post", "/api/v1/promo-codes"),
            ("get", "/health/outbox"), ("get", "/api/v1/webhooks"), ("post", "/api/v1/webhooks"),
            ("get", "/api/v1/webhooks/{id}"), ("put", "/api/v1/webhooks/{id}"), ("delete", "/api/v1/webhooks/{id}"),
            ("get", "/api/v1/webhooks/{id}/deliveries"), ("get", "/api/v1/settings/notifications"),
            ("put", "/api/v1/settings/notifications"), ("post", "/api/v1/settings/notifications/telegram-test"),
            ("get", "/api/v1/outbox/dead"), ("post", "/api/v1/outbox/{id}/retry"),
            ("get", "/api/v1/analytics/summary"), ("get", "/api/v1/analytics/export.csv"),
            ("get", "/api/v1/analytics/export.xlsx"),
            ("post", "/api/v1/spaces/{id}/photos"), ("delete", "/api/v1/photos/{id}"),
            ("put", "/api/v1/settings/logo"), ("delete", "/api/v1/settings/logo"),
        ];
        for (method, path) in documented {
            let op = &doc["paths"][path][method];
            assert!(op.is_object(), "{method} {path} is missing");
            assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()), "{method} {path} has no responses");
        }
        let paths = doc["paths"].as_object().unwrap().len();
        assert_eq!(paths, 63, "a route was added or removed: update this list and the role matrix");
        assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
        assert!(doc["components"]["schemas"]["SpaceSummary"].is_object());
    }

    async fn the_docs_page_works_without_the_internet(app) {
        let res = app.get("/docs/").await;
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        assert!(html.contains("swagger-ui"), "not the Swagger UI page");
        for attr in ["src=\"http", "href=\"http", "src=\"//", "href=\"//"] {
            assert!(!html.contains(attr), "the docs page loads something from the internet: {attr}");
        }
        let bundle = app.get("/docs/swagger-ui-bundle.js").await;
        assert_eq!(bundle.status(), 200);
        assert!(bundle.text().await.unwrap().len() > 100_000);
        // The page loads the document from the API's own route.
        let init = app.get("/docs/swagger-initializer.js").await;
        assert_eq!(init.status(), 200);
        assert!(init.text().await.unwrap().contains("\"/api/v1/openapi.json\""), "Swagger UI points at the document");
        let doc = app.get("/api/v1/openapi.json").await;
        assert_eq!(doc.headers()["content-type"], "application/json");
        let doc: Value = doc.json().await.unwrap();
        assert_eq!(doc["info"]["title"], "Studio CRM API");
    }
}
