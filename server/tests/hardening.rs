//! The edges an attacker leans on: a tamper-evident audit log that cannot
//! be re-written or cut short, bounded input that never reaches a 500,
//! client addresses behind trusted proxies only, a strict
//! Content-Security-Policy, a guarded metrics endpoint, and calendar feeds
//! that guest text cannot break.

mod common;
use common::{at, send, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

const PASSWORD: &str = "north light over the river";

async fn owner_token(app: &TestApp) -> String {
    app.create_owner("marina", PASSWORD).await;
    app.access_token("marina", PASSWORD).await
}

async fn failed_logins(app: &TestApp, n: usize) {
    for i in 0..n {
        let res = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"username": "ghost", "password": format!("a guess number {i}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
    }
}

fn checkpoint(app: &TestApp) -> Value {
    let text = std::fs::read_to_string(app.db.dir.path().join("audit.checkpoint"))
        .expect("the checkpoint is written after each audited change");
    serde_json::from_str(&text).unwrap()
}

both_backends! {
    async fn the_audit_checkpoint_follows_the_head_of_the_chain(app) {
        owner_token(&app).await;
        failed_logins(&app, 2).await;
        let last = app.scalar("SELECT MAX(id) FROM audit_log").await;
        let head = app.text(&format!("SELECT hash FROM audit_log WHERE id = {last}")).await;
        let c = checkpoint(&app);
        assert_eq!(c["last_id"], last);
        assert_eq!(c["hash"], head);
        use app::server::audit::{verify, Verification};
        match verify(&app.state.store).await.unwrap() {
            Verification::Intact { head_id, head_hash, .. } => assert_eq!((head_id, head_hash), (last, head)),
            other => panic!("{other:?}"),
        }
    }

    async fn deleting_the_newest_audit_entries_is_detected(app) {
        owner_token(&app).await;
        failed_logins(&app, 3).await;
        let last = app.scalar("SELECT MAX(id) FROM audit_log").await;
        app.exec(&format!("DELETE FROM audit_log WHERE id >= {}", last - 1)).await;
        use app::server::audit::{verify, Verification};
        assert_eq!(
            verify(&app.state.store).await.unwrap(),
            Verification::Truncated { checkpoint_id: last, last_id: last - 2 }
        );
    }

    async fn deleting_an_audit_entry_in_the_middle_is_detected(app) {
        owner_token(&app).await;
        failed_logins(&app, 3).await;
        let second = app.scalar("SELECT MIN(id) + 1 FROM audit_log").await;
        app.exec(&format!("DELETE FROM audit_log WHERE id = {second}")).await;
        use app::server::audit::{verify, Verification};
        assert_eq!(verify(&app.state.store).await.unwrap(), Verification::Broken { id: second + 1 });
    }

    async fn a_chain_re_hashed_without_the_servers_key_is_detected(app) {
        owner_token(&app).await;
        failed_logins(&app, 2).await;
        // The attacker edits an entry and recomputes every hash after it,
        // the way the old unkeyed chain allowed.
        app.exec("UPDATE audit_log SET actor_name = 'someone else' WHERE id = (SELECT MIN(id) FROM audit_log)").await;
        rehash_without_key(&app).await;
        use app::server::audit::{verify, Verification};
        let first = app.scalar("SELECT MIN(id) FROM audit_log").await;
        assert_eq!(verify(&app.state.store).await.unwrap(), Verification::Broken { id: first });
    }

    async fn a_forged_checkpoint_is_refused(app) {
        owner_token(&app).await;
        let path = app.db.dir.path().join("audit.checkpoint");
        let mut c = checkpoint(&app);
        c["last_id"] = json!(1);
        std::fs::write(&path, c.to_string()).unwrap();
        use app::server::audit::{verify, Verification};
        assert!(matches!(verify(&app.state.store).await.unwrap(), Verification::BadCheckpoint { .. }));
    }

    async fn an_unkeyed_chain_from_the_previous_release_is_checked_and_sealed_at_start(app) {
        owner_token(&app).await;
        failed_logins(&app, 2).await;
        rehash_without_key(&app).await;
        app.exec("DELETE FROM studio_meta WHERE key = 'audit_chain'").await;
        let entries = app.scalar("SELECT COUNT(*) FROM audit_log").await;
        // A restart of the server on this database.
        let env = app.db.env();
        let config = server::config::Config::from_lookup(|k| env.get(k).cloned()).unwrap();
        let store = server::open_store(&config).await.expect("start-up upgrade");
        use app::server::audit::{verify, Verification};
        assert!(matches!(verify(&store).await.unwrap(), Verification::Intact { .. }));
        let details = app.text("SELECT details FROM audit_log WHERE action = 'audit_chain_keyed'").await;
        let details: Value = serde_json::from_str(&details).unwrap();
        assert_eq!(details["entries"], entries);
        assert_eq!(details["legacy_chain_intact"], true);
        // A second start does nothing more.
        server::open_store(&config).await.unwrap();
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'audit_chain_keyed'").await, 1);
    }

    async fn huge_page_numbers_are_a_field_error_not_a_500(app) {
        let token = owner_token(&app).await;
        for path in ["/api/v1/bookings", "/api/v1/clients", "/api/v1/audit"] {
            for page in ["9223372036854775807", "100000000000000000", "0"] {
                let (status, body) = send(&app, Method::GET, Some(&token), &format!("{path}?page={page}"), None).await;
                assert_eq!(status, 422, "{path}?page={page}: {body}");
                assert_eq!(body["error"]["fields"]["page"]["code"], "out_of_range");
            }
        }
    }

    async fn dates_beyond_the_calendar_are_a_field_error_not_a_500(app) {
        let token = owner_token(&app).await;
        for (path, field) in [
            ("/api/v1/public/availability?space=studio_a&date=%2B262142-12-31", "date"),
            ("/api/v1/public/availability?space=studio_a&date=9999-12-31", "date"),
            ("/api/v1/bookings?to=%2B262142-12-31", "to"),
            ("/api/v1/blocks?to=9999-12-31", "to"),
        ] {
            let (status, body) = send(&app, Method::GET, Some(&token), path, None).await;
            assert_eq!(status, 422, "{path}: {body}");
            assert!(body["error"]["fields"].get(field).is_some(), "{path}: {body}");
        }
        let res = app.client.post(app.url("/book/studio_a"))
            .form(&[("date", "2026-12-01"), ("start", "2026-12-01T10:00:00+03:00"), ("hours", "9223372036854775807"),
                    ("people_count", "1"), ("client_name", "Anna"), ("client_phone", "+79161234567"), ("consent", "on")])
            .send().await.unwrap();
        assert_eq!(res.status(), 422, "an absurd duration is refused on the form");
    }

    async fn an_equipment_list_is_capped_and_duplicates_are_merged(app) {
        let token = owner_token(&app).await;
        let (status, item) = send(&app, Method::POST, Some(&token), "/api/v1/equipment",
            Some(json!({"name": "Softbox", "price": 50000, "stock": 3}))).await;
        assert_eq!(status, 201, "{item}");
        let id = item["id"].as_str().unwrap().to_owned();
        let quote = |equipment: Value| json!({"space": "studio_a", "start_time": at(3, 10), "end_time": at(3, 12),
            "people_count": 2, "equipment": equipment});
        let many: Vec<Value> = (0..21).map(|i| json!({"id": format!("item-{i}"), "quantity": 1})).collect();
        let (status, body) = send(&app, Method::POST, None, "/api/v1/public/quote", Some(quote(json!(many)))).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["fields"]["equipment"]["code"], "too_many_items");
        let twice = json!([{"id": id, "quantity": 1}, {"id": id, "quantity": 2}]);
        let (status, body) = send(&app, Method::POST, None, "/api/v1/public/quote", Some(quote(twice.clone()))).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["equipment"], 150_000, "one line of three softboxes");
        let mut booking = quote(twice);
        booking["client_name"] = json!("Anna");
        booking["client_phone"] = json!("+79161234567");
        booking["consent"] = json!(true);
        let (status, body) = send(&app, Method::POST, None, "/api/v1/public/bookings", Some(booking)).await;
        assert_eq!(status, 201, "duplicates do not collide in the database: {body}");
        let lines = app.scalar("SELECT COUNT(*) FROM booking_equipment").await;
        assert_eq!(lines, 1);
    }

    async fn a_nul_character_is_a_bad_request_not_a_500(app) {
        let (status, body) = send(&app, Method::GET, None, "/api/v1/public/availability?space=studio%00a&date=2026-12-01", None).await;
        assert!([400, 404, 422].contains(&status), "{status} {body}");
        let (status, body) = send(&app, Method::POST, None, "/api/v1/auth/login", Some(json!({"username": "gho\u{0}st", "password": "a long wrong password"}))).await;
        assert!([400, 401].contains(&status), "{status} {body}");
    }

    async fn a_bare_carriage_return_in_wishes_cannot_break_the_calendar_feed(app) {
        use icalendar::{CalendarComponent, Component};
        let token = owner_token(&app).await;
        let wishes = "white background\rEND:VEVENT\r\nBEGIN:VEVENT\rSUMMARY:injected";
        let (status, body) = send(&app, Method::POST, None, "/api/v1/public/bookings", Some(json!({
            "space": "studio_a", "start_time": at(2, 10), "end_time": at(2, 11), "people_count": 1,
            "client_name": "Anna", "client_phone": "+79161234567", "consent": true, "special_requirements": wishes
        }))).await;
        assert_eq!(status, 201, "{body}");
        let (_, links) = send(&app, Method::GET, Some(&token), "/api/v1/settings/calendar-feed", None).await;
        let feed = app.get(links["studio"].as_str().unwrap()).await.text().await.unwrap();
        let calendar: icalendar::Calendar = feed.parse().expect("a valid iCalendar document");
        let events: Vec<&icalendar::Event> = calendar.components.iter()
            .filter_map(|c| match c { CalendarComponent::Event(e) => Some(e), _ => None }).collect();
        assert_eq!(events.len(), 1, "no event was injected");
        assert!(events[0].get_description().unwrap().contains("white background"));
        assert!(!events.iter().any(|e| e.get_summary() == Some("injected")));
    }

    async fn html_pages_carry_a_strict_policy_with_this_responses_nonce(app) {
        let res = app.get("/").await;
        let csp = res.headers()["content-security-policy"].to_str().unwrap().to_owned();
        let html = res.text().await.unwrap();
        for directive in ["default-src 'self'", "'wasm-unsafe-eval'", "object-src 'none'", "base-uri 'none'",
                          "frame-ancestors 'none'", "form-action 'self'"] {
            assert!(csp.contains(directive), "{directive} missing in {csp}");
        }
        assert!(!csp.contains("'unsafe-inline'; ") || !csp.contains("script-src 'self' 'unsafe-inline'"));
        let nonce = csp.split("'nonce-").nth(1).and_then(|r| r.split('\'').next()).expect("a nonce");
        assert!(nonce.len() >= 16);
        for script in html.split("<script").skip(1) {
            let tag = &script[..script.find('>').unwrap()];
            if !tag.contains("src=") {
                assert!(tag.contains(&format!("nonce=\"{nonce}\"")), "an inline script without the nonce: <script{tag}>");
            }
        }
        let other = app.get("/").await.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert_ne!(other, csp, "a fresh nonce per response");
        let docs = app.get("/docs/").await.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert!(docs.contains("script-src 'self'") && !docs.contains("nonce"), "{docs}");
    }
}

/// Re-computes every hash as a plain SHA-256 chain, as someone with write
/// access to the database but without the server secret could.
async fn rehash_without_key(app: &TestApp) {
    use sha2::{Digest, Sha256};
    let n = app.scalar("SELECT COUNT(*) FROM audit_log").await;
    let first = app.scalar("SELECT MIN(id) FROM audit_log").await;
    let mut prev = "0".repeat(64);
    for id in first..first + n {
        let row = |col: &str| format!("SELECT {col} FROM audit_log WHERE id = {id}");
        let at = app.scalar(&row("at")).await;
        let actor_id = app.text(&row("COALESCE(actor_id, '')")).await;
        let actor_id = (!actor_id.is_empty()).then_some(actor_id);
        let fields: Vec<String> = {
            let mut v = Vec::new();
            for col in [
                "actor_name",
                "action",
                "target_type",
                "target_id",
                "ip",
                "user_agent",
                "details",
            ] {
                v.push(app.text(&row(col)).await);
            }
            v
        };
        let canonical = json!([
            prev, at, actor_id, fields[0], fields[1], fields[2], fields[3], fields[4], fields[5],
            fields[6]
        ])
        .to_string();
        let hash: String = Sha256::digest(canonical.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        app.exec(&format!(
            "UPDATE audit_log SET prev_hash = '{prev}', hash = '{hash}' WHERE id = {id}"
        ))
        .await;
        prev = hash;
    }
}

mod proxies {
    use super::*;

    async fn audited_ip(app: &TestApp) -> String {
        app.text("SELECT ip FROM audit_log WHERE action = 'login_failed' ORDER BY id DESC LIMIT 1")
            .await
    }

    async fn failed_login_from(app: &TestApp, forwarded_for: &str) -> u16 {
        app.client
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", forwarded_for)
            .json(&json!({"username": "ghost", "password": "a long wrong password"}))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored() {
        common::within_time(async {
            let app = TestApp::spawn(common::Db::Sqlite).await;
            failed_login_from(&app, "203.0.113.9").await;
            assert_eq!(audited_ip(&app).await, "127.0.0.1");
        })
        .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn behind_a_trusted_proxy_each_client_is_seen_and_throttled_on_its_own() {
        common::within_time(async {
            let app = TestApp::spawn_with(
                common::Db::Sqlite,
                &[
                    ("STUDIO_TRUSTED_PROXIES", "127.0.0.1/32"),
                    ("STUDIO_PUBLIC_RATE_PER_MINUTE", "1"),
                    ("STUDIO_PUBLIC_BURST", "2"),
                ],
            )
            .await;
            assert_eq!(failed_login_from(&app, "6.6.6.6, 203.0.113.9").await, 401);
            assert_eq!(
                audited_ip(&app).await,
                "203.0.113.9",
                "the right-most untrusted address"
            );
            assert_eq!(failed_login_from(&app, "203.0.113.9").await, 401);
            assert_eq!(
                failed_login_from(&app, "203.0.113.9").await,
                429,
                "that client's budget is spent"
            );
            assert_eq!(
                failed_login_from(&app, "198.51.100.4").await,
                401,
                "another client has its own"
            );
        })
        .await
    }
}

mod metrics {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn with_a_metrics_token_only_its_holder_reads_the_metrics() {
        common::within_time(async {
            let token = "a-metrics-token-for-the-scraper";
            let app =
                TestApp::spawn_with(common::Db::Sqlite, &[("STUDIO_METRICS_TOKEN", token)]).await;
            assert_eq!(app.get("/metrics").await.status(), 401);
            let wrong = app
                .client
                .get(app.url("/metrics"))
                .bearer_auth("a-metrics-token-for-the-scrapes")
                .send()
                .await
                .unwrap();
            assert_eq!(wrong.status(), 401);
            let right = app
                .client
                .get(app.url("/metrics"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            assert_eq!(right.status(), 200);
            assert!(right
                .text()
                .await
                .unwrap()
                .contains("axum_http_requests_total"));
        })
        .await
    }
}
