//! Guest booking through the public API: the happy path, every refusal,
//! cancellation, DST, and no double booking under concurrent load.

mod common;
use chrono::{Duration, Utc};
use common::TestApp;
use serde_json::{json, Value};

/// A studio-local date (Moscow, UTC+3 all year) `days` from today.
fn day(days: i64) -> String {
    (Utc::now() + Duration::hours(3) + Duration::days(days))
        .date_naive()
        .to_string()
}

fn request(start: &str, end: &str) -> Value {
    json!({
        "space": "studio_a",
        "start_time": start,
        "end_time": end,
        "people_count": 3,
        "client_name": "Анна Петрова",
        "client_phone": "8 (916) 123-45-67",
        "client_email": "anna@example.com",
        "consent": true
    })
}

async fn post(app: &TestApp, body: &Value) -> (u16, Value) {
    let res = app
        .client
        .post(app.url("/api/v1/public/bookings"))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn slots(app: &TestApp, space: &str, date: &str) -> Vec<Value> {
    let res = app
        .get(&format!(
            "/api/v1/public/availability?space={space}&date={date}"
        ))
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["slots"].as_array().unwrap().clone()
}

fn field_code(body: &Value, field: &str) -> String {
    body["error"]["fields"][field]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

both_backends! {
    async fn a_valid_booking_is_created_with_a_reference_and_an_e164_phone(app) {
        let date = day(3);
        let (status, body) = post(&app, &request(&format!("{date}T10:00:00+03:00"), &format!("{date}T12:00:00+03:00"))).await;
        assert_eq!(status, 201, "{body}");
        let reference = body["reference"].as_str().unwrap();
        assert!(reference.starts_with(&format!("REF-{}-", date.replace('-', ""))), "{reference}");
        assert_eq!(reference.len(), "REF-20261121-XXXX".len());
        assert_eq!(body["client_phone"], "+79161234567");
        assert_eq!(body["state"], "pending");
        assert_eq!(body["start_time"], format!("{date}T10:00:00+03:00"));
        assert_eq!(body["total_price"], 2 * 250_000);
        assert_eq!(body["price_breakdown"]["base"], 500_000);
        // Links that leave the server are absolute (from STUDIO_PUBLIC_URL,
        // else the address the server listens on).
        assert!(
            body["manage_url"].as_str().unwrap().starts_with(&app.url("/booking/")),
            "{body}"
        );
        let events = app.scalar("SELECT COUNT(*) FROM domain_events WHERE event_type = 'BookingCreated'").await;
        assert_eq!(events, 1, "BookingCreated is recorded with the booking");
        let consents = app.scalar("SELECT COUNT(*) FROM consent_records WHERE text_version <> ''").await;
        assert_eq!(consents, 1, "the consent is recorded as proof");
    }

    async fn booking_a_taken_slot_is_a_conflict_with_alternatives(app) {
        let date = day(4);
        let body = request(&format!("{date}T10:00:00+03:00"), &format!("{date}T12:00:00+03:00"));
        assert_eq!(post(&app, &body).await.0, 201);
        let overlapping = request(&format!("{date}T11:00:00+03:00"), &format!("{date}T13:00:00+03:00"));
        let (status, err) = post(&app, &overlapping).await;
        assert_eq!(status, 409, "{err}");
        assert_eq!(err["error"]["code"], "slot_unavailable");
        let alternatives = err["error"]["details"]["alternatives"].as_array().unwrap();
        assert!(!alternatives.is_empty());
        assert!(alternatives.iter().all(|a| a["start_time"] != format!("{date}T11:00:00+03:00")));
        assert_eq!(app.scalar("SELECT COUNT(*) FROM bookings").await, 1, "nothing half-written");
        // The other space is free at that time.
        let mut other = overlapping.clone();
        other["space"] = json!("studio_b");
        assert_eq!(post(&app, &other).await.0, 201);
    }

    async fn every_invalid_request_gets_its_field_error(app) {
        let date = day(5);
        let ok = request(&format!("{date}T10:00:00+03:00"), &format!("{date}T12:00:00+03:00"));
        let far = day(200);
        let cases: Vec<(Value, &str, &str)> = vec![
            (json!({"client_phone": "12345"}), "client_phone", "invalid_phone"),
            (json!({"start_time": format!("{date}T10:30:00+03:00")}), "start_time", "not_full_hour"),
            (json!({"end_time": format!("{date}T09:00:00+03:00")}), "end_time", "end_before_start"),
            (json!({"start_time": format!("{date}T07:00:00+03:00"), "end_time": format!("{date}T09:00:00+03:00")}), "start_time", "outside_hours"),
            (json!({"end_time": format!("{date}T10:00:00+03:00")}), "end_time", "end_before_start"),
            (json!({"start_time": format!("{date}T09:00:00+03:00"), "end_time": format!("{date}T21:00:00+03:00"), "space": "studio_b"}), "end_time", "ok"),
            (json!({"people_count": 11}), "people_count", "over_capacity"),
            (json!({"consent": false}), "consent", "consent_required"),
            (json!({"space": "studio_z"}), "space", "unknown_space"),
            (json!({"start_time": "2020-01-01T10:00:00+03:00", "end_time": "2020-01-01T11:00:00+03:00"}), "start_time", "in_past"),
            (json!({"start_time": format!("{far}T10:00:00+03:00"), "end_time": format!("{far}T11:00:00+03:00")}), "start_time", "beyond_horizon"),
            (json!({"client_name": "   "}), "client_name", "invalid_full_name"),
            (json!({"client_email": "not-an-email"}), "client_email", "invalid_email"),
            (json!({"start_time": "tomorrow at ten"}), "start_time", "invalid_time"),
        ];
        for (patch, field, code) in cases {
            let mut body = ok.clone();
            for (k, v) in patch.as_object().unwrap() {
                body[k] = v.clone();
            }
            let (status, err) = post(&app, &body).await;
            if code == "ok" {
                // Twelve hours is the default maximum: allowed.
                assert_eq!(status, 201, "{err}");
                continue;
            }
            assert_eq!(status, 422, "{patch} -> {err}");
            assert_eq!(err["error"]["code"], "validation_failed");
            assert_eq!(field_code(&err, field), code, "{patch} -> {err}");
        }
        // Too short and too long, with the studio's limits tightened.
        app.exec("UPDATE studio_settings SET min_booking_minutes = 120, max_booking_minutes = 240").await;
        app.state.rules_cache.invalidate();
        let (_, err) = post(&app, &request(&format!("{date}T14:00:00+03:00"), &format!("{date}T15:00:00+03:00"))).await;
        assert_eq!(field_code(&err, "end_time"), "too_short");
        let (_, err) = post(&app, &request(&format!("{date}T14:00:00+03:00"), &format!("{date}T19:00:00+03:00"))).await;
        assert_eq!(field_code(&err, "end_time"), "too_long");
        // Malformed JSON is a 400 in the same error shape.
        let res = app.client.post(app.url("/api/v1/public/bookings")).header("content-type", "application/json").body("{").send().await.unwrap();
        assert_eq!(res.status(), 400);
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["error"]["code"], "bad_request");
    }

    async fn availability_lists_free_hours_and_hides_booked_ones(app) {
        let date = day(6);
        let before = slots(&app, "studio_a", &date).await;
        assert_eq!(before.len(), 12, "09:00–21:00");
        assert_eq!(before[0]["start_time"], format!("{date}T09:00:00+03:00"));
        assert_eq!(post(&app, &request(&format!("{date}T10:00:00+03:00"), &format!("{date}T12:00:00+03:00"))).await.0, 201);
        let after = slots(&app, "studio_a", &date).await;
        let starts: Vec<&str> = after.iter().map(|s| s["start_time"].as_str().unwrap()).collect();
        assert_eq!(after.len(), 10);
        assert!(!starts.contains(&format!("{date}T10:00:00+03:00").as_str()));
        assert!(!starts.contains(&format!("{date}T11:00:00+03:00").as_str()));
        assert_eq!(slots(&app, "studio_b", &date).await.len(), 12, "another space is unaffected");
        let res = app.get(&format!("/api/v1/public/availability?space=nope&date={date}")).await;
        assert_eq!(res.status(), 404);
        let res = app.get("/api/v1/public/availability?space=studio_a&date=31-12-2026").await;
        assert_eq!(res.status(), 422);
    }

    async fn the_cleaning_buffer_keeps_the_next_hour_free(app) {
        app.exec("UPDATE studio_settings SET buffer_minutes = 15").await;
        app.state.rules_cache.invalidate();
        let date = day(7);
        assert_eq!(post(&app, &request(&format!("{date}T10:00:00+03:00"), &format!("{date}T12:00:00+03:00"))).await.0, 201);
        let (status, _) = post(&app, &request(&format!("{date}T12:00:00+03:00"), &format!("{date}T13:00:00+03:00"))).await;
        assert_eq!(status, 409, "12:00 is inside the 15-minute buffer");
        assert_eq!(post(&app, &request(&format!("{date}T13:00:00+03:00"), &format!("{date}T14:00:00+03:00"))).await.0, 201);
    }

    async fn a_cancelled_booking_frees_its_slot(app) {
        let date = day(8);
        let body = request(&format!("{date}T15:00:00+03:00"), &format!("{date}T17:00:00+03:00"));
        let (_, created) = post(&app, &body).await;
        let token = created["manage_url"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
        let view: Value = app.get(&format!("/api/v1/public/bookings/{token}")).await.json().await.unwrap();
        assert_eq!(view["reference"], created["reference"]);
        assert_eq!(view["can_cancel"], true);
        let res = app.client.post(app.url(&format!("/api/v1/public/bookings/{token}/cancel"))).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let cancelled: Value = res.json().await.unwrap();
        assert_eq!(cancelled["state"], "cancelled");
        assert_eq!(slots(&app, "studio_a", &date).await.len(), 12);
        assert_eq!(post(&app, &body).await.0, 201, "the same slot can be booked again");
        let res = app.client.post(app.url(&format!("/api/v1/public/bookings/{token}/cancel"))).send().await.unwrap();
        assert_eq!(res.status(), 409, "a cancelled booking cannot be cancelled twice");
        let history = app.scalar("SELECT COUNT(*) FROM booking_state_history WHERE to_state = 'cancelled'").await;
        assert_eq!(history, 1);
    }

    async fn a_guest_cannot_cancel_online_inside_the_cancellation_window(app) {
        // The studio asks for three days' notice.
        app.create_owner("owner", "north light over the river").await;
        let token = app.access_token("owner", "north light over the river").await;
        let (_, mut s) = common::send(&app, reqwest::Method::GET, Some(&token), "/api/v1/settings", None).await;
        s["cancellation_hours"] = json!(72);
        assert_eq!(common::send(&app, reqwest::Method::PUT, Some(&token), "/api/v1/settings", Some(s)).await.0, 200);
        let date = day(2);
        let (status, created) = post(&app, &request(&format!("{date}T10:00:00+03:00"), &format!("{date}T12:00:00+03:00"))).await;
        assert_eq!(status, 201, "{created}");
        let manage = created["manage_url"].as_str().unwrap().to_owned();
        let token_part = manage.rsplit('/').next().unwrap();
        let res = app.client.post(app.url(&format!("/api/v1/public/bookings/{token_part}/cancel"))).send().await.unwrap();
        assert_eq!(res.status(), 409);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "cancellation_window_closed");
        // The page says so too, and the booking stands.
        let res = app.client.post(app.url(&format!("/booking/{token_part}/cancel"))).send().await.unwrap();
        assert_eq!(res.status(), 303);
        assert!(res.headers()["location"].to_str().unwrap().ends_with("error=cancellation_window_closed"));
        let view: Value = app.get(&format!("/api/v1/public/bookings/{token_part}")).await.json().await.unwrap();
        assert_eq!(view["state"], "pending");
        assert_eq!(view["can_cancel"], false);
    }

    async fn a_forged_manage_link_finds_nothing(app) {
        let date = day(9);
        let (_, created) = post(&app, &request(&format!("{date}T10:00:00+03:00"), &format!("{date}T11:00:00+03:00"))).await;
        let token = created["manage_url"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
        let forged = format!("{}{}", &token[..40], "0".repeat(24));
        assert_eq!(app.get(&format!("/api/v1/public/bookings/{forged}")).await.status(), 404);
        assert_eq!(app.get("/api/v1/public/bookings/whatever").await.status(), 404);
    }

    async fn a_quote_prices_a_booking_line_by_line(app) {
        let date = day(10);
        let res = app.client.post(app.url("/api/v1/public/quote")).json(&json!({
            "space": "studio_a", "start_time": format!("{date}T10:00:00+03:00"),
            "end_time": format!("{date}T13:00:00+03:00"), "people_count": 6
        })).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let q: Value = res.json().await.unwrap();
        assert_eq!(q["base"], 3 * 250_000);
        assert_eq!(q["extra_people"], 2 * 30_000 * 3);
        assert_eq!(q["total"], 3 * 250_000 + 2 * 30_000 * 3);
    }

    async fn a_promo_code_discounts_and_is_used_up(app) {
        app.exec("INSERT INTO promo_codes (code, percent_off, max_uses, created_at) VALUES ('SPRING', 10, 1, 0)").await;
        let date = day(11);
        let mut body = request(&format!("{date}T10:00:00+03:00"), &format!("{date}T11:00:00+03:00"));
        body["promo_code"] = json!("spring");
        let (status, created) = post(&app, &body).await;
        assert_eq!(status, 201, "{created}");
        assert_eq!(created["price_breakdown"]["discount"], 25_000);
        assert_eq!(created["total_price"], 225_000);
        let mut again = request(&format!("{date}T12:00:00+03:00"), &format!("{date}T13:00:00+03:00"));
        again["promo_code"] = json!("SPRING");
        let (status, err) = post(&app, &again).await;
        assert_eq!(status, 422);
        assert_eq!(field_code(&err, "promo_code"), "invalid_promo_code");
    }

    async fn a_robot_filling_the_honeypot_is_refused(app) {
        let date = day(12);
        let mut body = request(&format!("{date}T10:00:00+03:00"), &format!("{date}T11:00:00+03:00"));
        body["website"] = json!("http://spam.example");
        assert_eq!(post(&app, &body).await.0, 400);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM bookings").await, 0);
    }

    async fn bookings_across_a_dst_change_keep_real_hours(app) {
        // A studio in Berlin, open around the clock, booking a year ahead.
        app.exec("UPDATE studio_settings SET time_zone = 'Europe/Berlin', horizon_days = 800, lead_minutes = 0").await;
        app.exec("UPDATE working_hours SET opens_at = 0, closes_at = 1440").await;
        app.state.rules_cache.invalidate();
        // Berlin springs forward from 02:00 to 03:00 on the last Sunday of March.
        let year = chrono::Datelike::year(&Utc::now()) + 1;
        let dst_day = (25..=31)
            .map(|d| chrono::NaiveDate::from_ymd_opt(year, 3, d).unwrap())
            .find(|d| chrono::Datelike::weekday(d) == chrono::Weekday::Sun)
            .unwrap()
            .to_string();
        let day_slots = slots(&app, "studio_a", &dst_day).await;
        assert_eq!(day_slots.len(), 22, "a 23-hour day; 01:00 would end at the missing 02:00");
        assert_eq!(day_slots[0]["start_time"], format!("{dst_day}T00:00:00+01:00"));
        assert_eq!(day_slots[1]["start_time"], format!("{dst_day}T03:00:00+02:00"));
        let body = json!({
            "space": "studio_a", "start_time": format!("{dst_day}T01:00:00+01:00"),
            "end_time": format!("{dst_day}T04:00:00+02:00"), "people_count": 1,
            "client_name": "Night Owl", "client_phone": "+49 30 12345678", "consent": true
        });
        let (status, created) = post(&app, &body).await;
        assert_eq!(status, 201, "{created}");
        assert_eq!(created["price_breakdown"]["hours"], 2, "01:00–04:00 that night is two real hours");
        assert_eq!(created["client_phone"], "+493012345678");
    }
}

mod concurrency {
    use super::*;

    async fn hundred_requests_for_one_slot_make_exactly_one_booking(app: TestApp) {
        let date = day(14);
        let body = request(
            &format!("{date}T16:00:00+03:00"),
            &format!("{date}T18:00:00+03:00"),
        );
        let tasks: Vec<_> = (0..100)
            .map(|i| {
                let client = app.client.clone();
                let url = app.url("/api/v1/public/bookings");
                let mut body = body.clone();
                body["client_name"] = json!(format!("Guest {i}"));
                tokio::spawn(async move {
                    client
                        .post(url)
                        .json(&body)
                        .send()
                        .await
                        .unwrap()
                        .status()
                        .as_u16()
                })
            })
            .collect();
        let mut created = 0;
        let mut conflicts = 0;
        for t in tasks {
            match t.await.unwrap() {
                201 => created += 1,
                409 => conflicts += 1,
                other => panic!("unexpected status {other}"),
            }
        }
        assert_eq!((created, conflicts), (1, 99));
        assert_eq!(app.scalar("SELECT COUNT(*) FROM bookings").await, 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn sqlite() {
        hundred_requests_for_one_slot_make_exactly_one_booking(
            TestApp::spawn(common::Db::Sqlite).await,
        )
        .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn postgres() {
        hundred_requests_for_one_slot_make_exactly_one_booking(
            TestApp::spawn(common::Db::Postgres).await,
        )
        .await
    }
}

mod throttling {
    use super::*;

    async fn a_burst_of_bookings_from_one_address_is_throttled(app: TestApp) {
        let date = day(15);
        let mut statuses = Vec::new();
        for h in 10..14 {
            let body = request(
                &format!("{date}T{h}:00:00+03:00"),
                &format!("{date}T{}:00:00+03:00", h + 1),
            );
            let res = app
                .client
                .post(app.url("/api/v1/public/bookings"))
                .json(&body)
                .send()
                .await
                .unwrap();
            statuses.push(res.status().as_u16());
            if res.status() == 429 {
                assert!(res.headers().get("retry-after").is_some());
                let err: Value = res.json().await.unwrap();
                assert_eq!(err["error"]["code"], "rate_limited");
            }
        }
        assert_eq!(statuses, [201, 201, 429, 429]);
    }

    #[tokio::test]
    async fn sqlite() {
        let app = TestApp::spawn_with(
            common::Db::Sqlite,
            &[
                ("STUDIO_PUBLIC_RATE_PER_MINUTE", "1"),
                ("STUDIO_PUBLIC_BURST", "2"),
            ],
        )
        .await;
        a_burst_of_bookings_from_one_address_is_throttled(app).await
    }

    #[tokio::test]
    async fn postgres() {
        let app = TestApp::spawn_with(
            common::Db::Postgres,
            &[
                ("STUDIO_PUBLIC_RATE_PER_MINUTE", "1"),
                ("STUDIO_PUBLIC_BURST", "2"),
            ],
        )
        .await;
        a_burst_of_bookings_from_one_address_is_throttled(app).await
    }
}

/// The database's refusal of a second booking under a reference already
/// taken, as the server reads it: told apart from a taken slot, so the
/// server makes the booking again under another reference instead of
/// telling the guest the time is gone.
async fn refusal(url: &str, sql: &str) -> sqlx::Error {
    use sqlx::Connection;
    let result = if url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query(sql).execute(&mut c).await.map(|_| ())
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query(sql).execute(&mut c).await.map(|_| ())
    };
    result.expect_err(sql)
}

both_backends! {
    async fn a_taken_reference_is_told_apart_from_a_taken_slot(app) {
        use app::server::store::{is_overlap_violation, is_reference_taken};
        let date = day(4);
        let at = |h: u32| format!("{date}T{h:02}:00:00+03:00");
        let (s1, first) = post(&app, &request(&at(10), &at(11))).await;
        let (s2, second) = post(&app, &request(&at(14), &at(15))).await;
        assert_eq!((s1, s2), (201, 201), "{first} {second}");
        let (a, b) = (first["reference"].as_str().unwrap(), second["reference"].as_str().unwrap());
        assert_ne!(a, b);

        let taken = refusal(&app.db.url, &format!("UPDATE bookings SET reference = '{a}' WHERE reference = '{b}'")).await;
        assert!(is_reference_taken(&taken), "{taken}");
        assert!(!is_overlap_violation(&taken), "{taken}");

        let overlap = refusal(&app.db.url, &format!(
            "UPDATE bookings SET starts_at = starts_at - 14400, ends_at = ends_at - 14400, \
             blocked_until = blocked_until - 14400 WHERE reference = '{b}'"
        )).await;
        assert!(is_overlap_violation(&overlap), "{overlap}");
        assert!(!is_reference_taken(&overlap), "{overlap}");
    }
}
