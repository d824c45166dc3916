//! Analytics on both backends: a known set of bookings gives exactly the
//! figures of each definition, before and after moves, reschedules across
//! days, cancellations and deletions; the rollups always equal a
//! recomputation from the bookings; bad periods are refused by field; the
//! exports carry the same figures.

mod common;
use common::{at, date_ahead, move_through, send, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

const PASSWORD: &str = "north light over the river";

async fn guest_booking(app: &TestApp, space: &str, day: i64, from: u32, to: u32) -> Value {
    let body = json!({
        "space": space, "start_time": at(day, from), "end_time": at(day, to), "people_count": 2,
        "client_name": "Анна Тестова", "client_phone": format!("+7 916 555 {day:02} {from:02}"),
        "consent": true
    });
    let (status, created) = send(
        app,
        Method::POST,
        None,
        "/api/v1/public/bookings",
        Some(body),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    created
}

async fn staff_booking(
    app: &TestApp,
    token: &str,
    space: &str,
    day: i64,
    (from, to): (u32, u32),
    source: &str,
) -> Value {
    let body = json!({
        "space": space, "start_time": at(day, from), "end_time": at(day, to), "people_count": 1,
        "client_name": "Boris Client", "client_phone": format!("+7 903 111 {day:02} {from:02}"),
        "source": source, "client_consent": true
    });
    let (status, created) = send(
        app,
        Method::POST,
        Some(token),
        "/api/v1/bookings",
        Some(body),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    created
}

async fn summary(app: &TestApp, token: &str, query: &str) -> Value {
    let (status, body) = send(
        app,
        Method::GET,
        Some(token),
        &format!("/api/v1/analytics/summary?{query}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

fn total(b: &Value) -> i64 {
    b["total_price"].as_i64().expect("a total")
}

/// The rollups as rows of text, in a stable order.
async fn rollups(app: &TestApp) -> Vec<String> {
    let sql = "SELECT space_id, day, bookings, completed, cancelled_guest, cancelled_staff, \
               cancelled_system, no_show, revenue, booked_value, held, held_minutes, lead_minutes, \
               from_website, from_phone, from_walk_in, from_staff, hours FROM analytics_daily \
               ORDER BY space_id, day";
    let mut out = Vec::new();
    let n = app.scalar("SELECT COUNT(*) FROM analytics_daily").await;
    for i in 0..n {
        out.push(
            app.text(&format!(
                "SELECT space_id || '|' || day || '|' || bookings || '|' || completed || '|' || \
                 cancelled_guest || '|' || cancelled_staff || '|' || cancelled_system || '|' || \
                 no_show || '|' || revenue || '|' || booked_value || '|' || held || '|' || \
                 held_minutes || '|' || lead_minutes || '|' || from_website || '|' || from_phone \
                 || '|' || from_walk_in || '|' || from_staff || '|' || hours FROM ({sql}) AS r \
                 LIMIT 1 OFFSET {i}"
            ))
            .await,
        );
    }
    out
}

/// The rollups equal what a full rebuild from the bookings computes.
async fn assert_rollups_match_a_rebuild(app: &TestApp) {
    let kept = rollups(app).await;
    app::server::analytics::rebuild(&app.state.store)
        .await
        .expect("rebuild");
    assert_eq!(
        kept,
        rollups(app).await,
        "the rollups drifted from the bookings"
    );
}

both_backends! {
    async fn a_known_set_of_bookings_gives_exactly_its_figures(app) {
        let token = app.owner(PASSWORD).await;
        let (d3, d4, d5) = (date_ahead(3), date_ahead(4), date_ahead(5));
        // Studio A, day 3: completed (website).
        let a = guest_booking(&app, "studio_a", 3, 10, 12).await;
        move_through(&app, &token, a["id"].as_str().unwrap(), &["confirmed", "in_progress", "completed"]).await;
        // Studio A, day 3: cancelled by the guest from the manage link.
        let b = guest_booking(&app, "studio_a", 3, 13, 14).await;
        let manage = b["manage_url"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
        let res = app.client.post(app.url(&format!("/api/v1/public/bookings/{manage}/cancel"))).send().await.unwrap();
        assert!(res.status().is_success(), "{}", res.status());
        // Studio B, day 3: a phone booking that was a no-show.
        let c = staff_booking(&app, &token, "studio_b", 3, (15, 17), "phone").await;
        move_through(&app, &token, c["id"].as_str().unwrap(), &["no_show"]).await;
        // Studio B, day 4: a walk-in cancelled by staff.
        let d = staff_booking(&app, &token, "studio_b", 4, (10, 11), "walk_in").await;
        move_through(&app, &token, d["id"].as_str().unwrap(), &["cancelled"]).await;
        // Studio A, day 4: pending; and one deleted, which never counts.
        let e = guest_booking(&app, "studio_a", 4, 12, 13).await;
        let f = guest_booking(&app, "studio_a", 4, 14, 15).await;
        let (status, _) = send(&app, Method::DELETE, Some(&token), &format!("/api/v1/bookings/{}", f["id"].as_str().unwrap()), None).await;
        assert_eq!(status, 204);

        let s = summary(&app, &token, &format!("from={d3}&to={d4}")).await;
        assert_eq!((s["from"].as_str(), s["to"].as_str()), (Some(d3.to_string().as_str()), Some(d4.to_string().as_str())));
        assert_eq!(s["bookings"], 5, "{s}");
        assert_eq!(s["completed"], 1);
        assert_eq!(s["cancelled"], 2);
        assert_eq!(s["cancelled_by"], json!({"guest": 1, "staff": 1, "system": 0}));
        assert_eq!(s["no_show"], 1);
        assert_eq!(s["cancellation_rate"], 0.4);
        assert_eq!(s["no_show_rate"], 0.3333, "one of three bookings that held their time");
        assert_eq!(s["revenue"].as_i64(), Some(total(&a)));
        assert_eq!(s["booked_value"].as_i64(), Some(total(&a) + total(&c) + total(&e)));
        assert_eq!(s["currency"], "RUB");
        assert_eq!(s["average_duration_minutes"], 100.0, "(120 + 120 + 60) / 3");
        assert!(s["average_lead_hours"].as_f64().unwrap() > 48.0);
        assert_eq!(s["by_source"], json!({"website": 3, "phone": 1, "walk_in": 1, "staff": 0}));
        let occupancy = s["occupancy"].as_array().unwrap();
        let space = |slug: &str| occupancy.iter().find(|o| o["space"] == slug).cloned().unwrap();
        // Open 09:00-21:00: 24 open hours over two days per space.
        assert_eq!((space("studio_a")["booked_hours"].as_f64(), space("studio_a")["open_hours"].as_f64()), (Some(3.0), Some(24.0)));
        assert_eq!(space("studio_a")["ratio"], 0.125);
        assert_eq!((space("studio_b")["booked_hours"].as_f64(), space("studio_b")["ratio"].as_f64()), (Some(2.0), Some(0.0833)));
        let daily = s["daily"].as_array().unwrap();
        assert_eq!(daily.len(), 2);
        assert_eq!(daily[0], json!({"date": d3.to_string(), "bookings": 3, "completed": 1, "cancelled": 1, "no_show": 1, "revenue": total(&a)}));
        assert_eq!(daily[1], json!({"date": d4.to_string(), "bookings": 2, "completed": 0, "cancelled": 1, "no_show": 0, "revenue": 0}));

        // One space only.
        let only_b = summary(&app, &token, &format!("from={d3}&to={d4}&space=studio_b")).await;
        assert_eq!((only_b["bookings"].as_i64(), only_b["space"].as_str()), (Some(2), Some("studio_b")));
        assert_eq!(only_b["occupancy"].as_array().unwrap().len(), 1);

        // A block on day 4 takes its hours out of studio A's open time.
        let (status, block) = send(&app, Method::POST, Some(&token), "/api/v1/blocks", Some(json!({"space": "studio_a", "start_time": at(4, 18), "end_time": at(4, 21), "reason": "service"}))).await;
        assert_eq!(status, 201, "{block}");
        let s = summary(&app, &token, &format!("from={d3}&to={d4}&space=studio_a")).await;
        assert_eq!(s["occupancy"][0]["open_hours"], 21.0);

        // Rescheduling the pending booking to day 5 moves it between days.
        let (_, detail) = send(&app, Method::GET, Some(&token), &format!("/api/v1/bookings/{}", e["id"].as_str().unwrap()), None).await;
        let (status, moved) = send(&app, Method::PUT, Some(&token), &format!("/api/v1/bookings/{}", e["id"].as_str().unwrap()),
            Some(json!({"version": detail["version"], "start_time": at(5, 12), "end_time": at(5, 14)}))).await;
        assert_eq!(status, 200, "{moved}");
        let s = summary(&app, &token, &format!("from={d3}&to={d5}")).await;
        let daily = s["daily"].as_array().unwrap();
        assert_eq!((daily[1]["bookings"].as_i64(), daily[2]["bookings"].as_i64()), (Some(1), Some(1)));
        assert_eq!(s["bookings"], 5);
        assert_eq!(s["average_duration_minutes"], 120.0, "the moved booking now lasts two hours");
        // Reopening the no-show (owner, with a reason) takes it out of the no-shows.
        move_through(&app, &token, c["id"].as_str().unwrap(), &["confirmed"]).await;
        let s = summary(&app, &token, &format!("from={d3}&to={d5}")).await;
        assert_eq!((s["no_show"].as_i64(), s["bookings"].as_i64()), (Some(0), Some(5)));
        assert_rollups_match_a_rebuild(&app).await;

        // The CSV of the days says the same.
        let res = app.client.get(app.url(&format!("/api/v1/analytics/export.csv?from={d3}&to={d5}"))).bearer_auth(&token).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let csv = res.text().await.unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "date,bookings,completed,cancelled,no_show,revenue_rub");
        assert_eq!(lines[1], format!("{d3},3,1,1,0,{}.{:02}", total(&a) / 100, total(&a) % 100));
        let res = app.client.get(app.url(&format!("/api/v1/analytics/export.xlsx?from={d3}&to={d5}"))).bearer_auth(&token).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let bytes = res.bytes().await.unwrap();
        assert!(bytes.starts_with(b"PK\x03\x04") && bytes.len() > 2000, "an XLSX (zip) workbook");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'analytics_exported'").await, 2);

        // An empty period is zeros, not an error.
        let empty = summary(&app, &token, "from=2031-01-01&to=2031-01-31").await;
        assert_eq!((empty["bookings"].as_i64(), empty["cancellation_rate"].as_f64()), (Some(0), Some(0.0)));
        assert_eq!(empty["daily"].as_array().unwrap().len(), 31);
    }

    async fn bad_periods_are_refused_by_field(app) {
        let token = app.owner(PASSWORD).await;
        for (query, field, code) in [
            ("from=2026-02-01&to=2026-01-01", "to", "before_from"),
            ("from=2020-01-01&to=2023-06-01", "to", "range_too_long"),
            ("from=1st%20May&to=2026-01-01", "from", "invalid_date"),
            ("from=2026-01-01&to=2026-01-31&space=nowhere", "space", "unknown_space"),
        ] {
            let (status, body) = send(&app, Method::GET, Some(&token), &format!("/api/v1/analytics/summary?{query}"), None).await;
            assert_eq!(status, 422, "{query}: {body}");
            assert_eq!(body["error"]["fields"][field]["code"], code, "{query}: {body}");
        }
        let (status, body) = send(&app, Method::GET, Some(&token), "/api/v1/analytics/export.csv?table=secrets", None).await;
        assert_eq!((status, body["error"]["fields"]["table"]["code"].as_str()), (422, Some("unknown_table")));
        let (status, _) = send(&app, Method::GET, None, "/api/v1/analytics/summary", None).await;
        assert_eq!(status, 401);
    }

    async fn rollups_equal_a_recomputation_after_random_operations(app) {
        let token = app.owner(PASSWORD).await;
        // A fixed-seed generator: the same sequence on every run and backend.
        let mut seed: u64 = 0x5eed_2026;
        let mut next = move |n: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        let spaces = ["studio_a", "studio_b"];
        let mut ids: Vec<String> = Vec::new();
        for step in 0..80 {
            match next(5) {
                0 | 1 if ids.len() < 25 => {
                    let (day, hour) = (2 + next(5) as i64, 9 + next(10) as u32);
                    let space = spaces[next(2) as usize];
                    let source = ["phone", "walk_in", "staff"][next(3) as usize];
                    let body = json!({
                        "space": space, "start_time": at(day, hour), "end_time": at(day, hour + 1 + next(2) as u32),
                        "people_count": 1, "client_name": "Random", "client_phone": format!("+7 916 000 {:02} {:02}", step, next(100)),
                        "source": source, "client_consent": true
                    });
                    let (status, created) = send(&app, Method::POST, Some(&token), "/api/v1/bookings", Some(body)).await;
                    if status == 201 {
                        ids.push(created["id"].as_str().unwrap().to_owned());
                    } else {
                        assert_eq!(status, 409, "{created}");
                    }
                }
                2 if !ids.is_empty() => {
                    // A random legal step of the state machine (reopening included).
                    let id = ids[next(ids.len() as u64) as usize].clone();
                    let (_, detail) = send(&app, Method::GET, Some(&token), &format!("/api/v1/bookings/{id}"), None).await;
                    let choices: &[&str] = match detail["state"].as_str().unwrap_or("") {
                        "pending" => &["confirmed", "cancelled"],
                        "confirmed" => &["in_progress", "in_progress", "cancelled", "no_show"],
                        "in_progress" => &["completed", "completed", "cancelled"],
                        _ => &["confirmed"],
                    };
                    let to = choices[next(choices.len() as u64) as usize];
                    let (status, body) = send(&app, Method::POST, Some(&token), &format!("/api/v1/bookings/{id}/state"),
                        Some(json!({"target_state": to, "reason": "random"}))).await;
                    // A reopened booking may find its time taken meanwhile.
                    assert!(status == 200 || (status == 409 && to == "confirmed"), "{to}: {status} {body}");
                }
                3 if !ids.is_empty() => {
                    let id = ids[next(ids.len() as u64) as usize].clone();
                    let (_, detail) = send(&app, Method::GET, Some(&token), &format!("/api/v1/bookings/{id}"), None).await;
                    let (day, hour) = (2 + next(5) as i64, 9 + next(10) as u32);
                    let (status, body) = send(&app, Method::PUT, Some(&token), &format!("/api/v1/bookings/{id}"),
                        Some(json!({"version": detail["version"], "space": spaces[next(2) as usize].to_owned(),
                                    "start_time": at(day, hour), "end_time": at(day, hour + 1)}))).await;
                    assert!([200, 404, 409, 422].contains(&status), "{status} {body}");
                }
                4 if !ids.is_empty() => {
                    let id = ids.swap_remove(next(ids.len() as u64) as usize);
                    let (status, _) = send(&app, Method::DELETE, Some(&token), &format!("/api/v1/bookings/{id}"), None).await;
                    assert_eq!(status, 204);
                }
                _ => {}
            }
            if step % 15 == 14 {
                assert_rollups_match_a_rebuild(&app).await;
            }
        }
        // The sequence exercised what it is meant to.
        assert!(app.scalar("SELECT COUNT(*) FROM analytics_daily").await > 0);
        assert!(app.scalar("SELECT COUNT(DISTINCT state) FROM bookings").await >= 4);
        assert!(app.scalar("SELECT COUNT(*) FROM domain_events WHERE event_type = 'BookingRescheduled'").await >= 3);
        assert!(app.scalar("SELECT COUNT(*) FROM bookings WHERE deleted_at IS NOT NULL").await >= 1);
    }

    async fn rollups_are_rebuilt_for_an_old_database_or_a_new_time_zone(app) {
        let token = app.owner(PASSWORD).await;
        guest_booking(&app, "studio_a", 3, 10, 12).await;
        let period = format!("from={}&to={}", date_ahead(3), date_ahead(3));
        let before = summary(&app, &token, &period).await;
        assert_eq!(before["bookings"], 1);
        // As a database from before analytics: no rollups, no state.
        app.exec("DELETE FROM analytics_daily").await;
        app.exec("DELETE FROM analytics_counted").await;
        app.exec("DELETE FROM analytics_state").await;
        assert_eq!(summary(&app, &token, &period).await, before);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM analytics_counted").await, 1);
        // Another time zone: days are the studio's days, so they are rebuilt.
        app.exec("UPDATE studio_settings SET time_zone = 'Asia/Vladivostok'").await;
        app.state.rules_cache.invalidate();
        summary(&app, &token, &period).await;
        assert_eq!(app.text("SELECT time_zone FROM analytics_state").await, "Asia/Vladivostok");
    }
}
