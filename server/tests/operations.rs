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
        // The staff API is private, the public one is not.
        let res = app.get("/api/v1/employees").await;
        assert_eq!(res.status(), 401);
        assert_eq!(res.headers()["cache-control"], "no-store");
        let res = app.get("/api/v1/public/spaces").await;
        assert_eq!(res.status(), 200);
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

/// The value of the first series of `name` whose line holds every label.
fn series(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
        .find(|l| labels.iter().all(|label| l.contains(label)))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

both_backends! {
    async fn business_metrics_count_what_the_studio_does_without_guest_data(app) {
        use common::{at, move_through, send};
        use reqwest::Method;
        app.create_owner("owner", "north light over the river").await;
        let token = app.access_token("owner", "north light over the river").await;
        let booking = serde_json::json!({
            "space": "studio_a", "start_time": at(4, 10), "end_time": at(4, 11), "people_count": 1,
            "client_name": "Metrics Guestname", "client_phone": "+7 916 555 77 66", "consent": true
        });
        let (status, created) = send(&app, Method::POST, None, "/api/v1/public/bookings", Some(booking.clone())).await;
        assert_eq!(status, 201, "{created}");
        let (status, _) = send(&app, Method::POST, None, "/api/v1/public/bookings", Some(booking)).await;
        assert_eq!(status, 409);
        move_through(&app, &token, created["id"].as_str().unwrap(), &["confirmed"]).await;
        for username in ["owner", "nobody"] {
            let (status, _) = send(&app, Method::POST, None, "/api/v1/auth/login",
                Some(serde_json::json!({"username": username, "password": "wrong password here"}))).await;
            assert_eq!(status, 401);
        }

        let text = app.get("/metrics").await.text().await.unwrap();
        let at_least_one = |name: &str, labels: &[&str]| {
            let v = series(&text, name, labels).unwrap_or_else(|| panic!("no {name} {labels:?} in:\n{text}"));
            assert!(v >= 1.0, "{name} {labels:?} = {v}");
        };
        at_least_one("studio_bookings_created_total", &["source=\"website\""]);
        at_least_one("studio_slot_conflicts_total", &["source=\"website\""]);
        at_least_one("studio_booking_state_changes_total", &["from=\"pending\"", "to=\"confirmed\""]);
        at_least_one("studio_signin_failures_total", &["account=\"known\""]);
        at_least_one("studio_signin_failures_total", &["account=\"unknown\""]);
        assert_eq!(series(&text, "studio_database_up", &[]), Some(1.0), "{text}");
        assert!(series(&text, "studio_outbox_backlog", &[]).is_some(), "{text}");
        for secret in ["Metrics Guestname", "79165557766", "916 555"] {
            assert!(!text.contains(secret), "{secret} reached the metrics");
        }
    }
}

/// Output of the subscriber below, for one test.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A migrated SQLite store of its own, and where its log lines go.
async fn sqlite_store() -> (common::TestDb, app::server::Store, Captured) {
    let db = common::TestDb::new(common::Db::Sqlite).await;
    let store = app::server::Store::connect(&db.url, 2).await.unwrap();
    store.migrate().await.unwrap();
    (db, store, Captured::default())
}

fn logger(out: &Captured) -> impl tracing::Subscriber + Send + Sync {
    let writer = out.clone();
    tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish()
}

/// On SQLite every writer waits for the one holding the write lock: a
/// transaction that holds it for long is logged with the place that opened
/// it, so the operator sees which change stalls the studio's bookings; a
/// short one is not.
#[tokio::test]
async fn a_write_that_holds_the_database_for_long_is_logged_with_its_place() {
    use app::server::store::SLOW_WRITE;
    let (_db, store, out) = sqlite_store().await;
    let _logging = tracing::subscriber::set_default(logger(&out));

    let quick = store.begin().await.unwrap();
    quick.commit().await.unwrap();
    let (slow, line) = (store.begin().await.unwrap(), line!());
    tokio::time::sleep(SLOW_WRITE + std::time::Duration::from_millis(20)).await;
    slow.commit().await.unwrap();
    // Rolled back (dropped) after as long: logged too.
    let dropped = store.begin().await.unwrap();
    tokio::time::sleep(SLOW_WRITE + std::time::Duration::from_millis(20)).await;
    drop(dropped);

    let log = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    let slow_lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("held the database's write lock for long"))
        .collect();
    assert_eq!(slow_lines.len(), 2, "{log}");
    assert!(
        slow_lines[0].contains(&format!("{}:{line}", file!())),
        "the place that opened it: {log}"
    );
    assert!(slow_lines[0].contains("WARN"), "{log}");
    // Nothing else wrote: the turns did not wait for SQLite's lock.
    assert!(
        slow_lines
            .iter()
            .all(|l| waited_ms(l).is_some_and(|w| w < SLOW_WRITE.as_millis() as u64)),
        "{log}"
    );
    store.close().await;
}

fn waited_ms(line: &str) -> Option<u64> {
    let rest = line.split("waited_ms=").nth(1)?;
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// A write that does not take its turn (here another connection, as
/// another process would) makes the next writer wait inside SQLite's busy
/// handler: the log says so apart from the time the lock was held.
#[tokio::test]
async fn a_writer_kept_waiting_by_sqlite_itself_is_told_apart() {
    use sqlx::Connection;
    let (db, store, out) = sqlite_store().await;
    let _logging = tracing::subscriber::set_default(logger(&out));

    let mut outsider = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut outsider)
        .await
        .unwrap();
    let release = async {
        tokio::time::sleep(std::time::Duration::from_millis(120)).await;
        sqlx::query("COMMIT").execute(&mut outsider).await.unwrap();
    };
    let ((), tx) = tokio::join!(release, store.begin());
    tx.unwrap().commit().await.unwrap();

    let log = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    let line = log
        .lines()
        .find(|l| l.contains("held the database's write lock for long"))
        .unwrap_or_else(|| panic!("no warning: {log}"));
    let waited = waited_ms(line).unwrap_or_else(|| panic!("no waited_ms: {line}"));
    assert!(waited >= 100, "waited {waited} ms: {line}");
    outsider.close().await.unwrap();
    store.close().await;
}

/// PostgreSQL connections are checked when they come back to the pool and,
/// if they then sat idle, again before use: one the database server broke
/// meanwhile (a restart, an administrator's `pg_terminate_backend`) is
/// replaced, and the query that wanted it does not fail.
#[tokio::test]
async fn a_postgresql_connection_broken_while_idle_is_replaced_before_use() {
    let db = common::TestDb::new(common::Db::Postgres).await;
    let store = app::server::Store::connect(&db.url, 2).await.unwrap();
    store.ping().await.unwrap();
    store.ping().await.unwrap();
    let before: i64 = db
        .scalar(
            "SELECT COUNT(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .await;
    assert!(before >= 1, "the pool holds a connection");
    let ended = db
        .scalar(
            "SELECT COUNT(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()) t",
        )
        .await;
    assert_eq!(ended, before);
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    for _ in 0..4 {
        store.ping().await.unwrap();
    }
    store.close().await;
}
