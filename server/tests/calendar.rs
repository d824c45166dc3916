//! Blocked periods, equipment stock and the client base, on both backends.

mod common;
use common::{at, date_ahead, free_hours, free_hours_at, move_through, send};
use reqwest::Method;
use serde_json::{json, Value};

const PASSWORD: &str = "north light over the river";

fn guest(
    space: &str,
    day: i64,
    from: u32,
    to: u32,
    name: &str,
    phone: &str,
    equipment: Value,
) -> Value {
    json!({
        "space": space, "start_time": at(day, from), "end_time": at(day, to), "people_count": 2,
        "client_name": name, "client_phone": phone, "consent": true, "equipment": equipment
    })
}

both_backends! {
    async fn blocks_and_bookings_never_overlap(app) {
        let token = app.owner(PASSWORD).await;
        let (status, booked) = send(&app, Method::POST, None, "/api/v1/public/bookings", Some(guest("studio_a", 6, 10, 12, "Anna", "+7 916 555 01 02", json!([])))).await;
        assert_eq!(status, 201, "{booked}");
        let block = |space: Value, from: u32, to: u32| json!({"space": space, "start_time": at(6, from), "end_time": at(6, to), "reason": "lights service"});

        let (status, err) = send(&app, Method::POST, Some(&token), "/api/v1/blocks", Some(block(json!("studio_a"), 11, 13))).await;
        assert_eq!(status, 409, "{err}");
        assert_eq!(err["error"]["code"], "booking_conflict");
        assert_eq!(err["error"]["details"]["bookings"][0]["reference"], booked["reference"]);
        let (status, err) = send(&app, Method::POST, Some(&token), "/api/v1/blocks", Some(block(Value::Null, 9, 10).tap_end(11))).await;
        assert_eq!(status, 409, "a studio-wide block covers every space: {err}");

        assert!(free_hours(&app, "studio_a", 6).await.contains(&"14:00".to_owned()));
        let (status, created) = send(&app, Method::POST, Some(&token), "/api/v1/blocks", Some(block(json!("studio_a"), 14, 16))).await;
        assert_eq!(status, 201, "{created}");
        let id = created["id"].as_str().unwrap().to_owned();
        let free = free_hours(&app, "studio_a", 6).await;
        assert!(!free.contains(&"14:00".to_owned()) && !free.contains(&"15:00".to_owned()), "{free:?}");
        assert!(free_hours(&app, "studio_b", 6).await.contains(&"14:00".to_owned()), "other spaces stay free");
        let (status, err) = send(&app, Method::POST, None, "/api/v1/public/bookings", Some(guest("studio_a", 6, 15, 16, "Boris", "+7 916 555 01 03", json!([])))).await;
        assert_eq!((status, err["error"]["code"].as_str()), (409, Some("slot_unavailable")));
        assert_eq!(app.scalar("SELECT COUNT(*) FROM domain_events WHERE event_type = 'CalendarBlockCreated'").await, 1);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'block_created'").await, 1);

        let (status, _) = send(&app, Method::PUT, Some(&token), &format!("/api/v1/blocks/{id}"), Some(block(json!("studio_a"), 11, 15))).await;
        assert_eq!(status, 409, "moving a block onto a booking is refused too");
        let (status, moved) = send(&app, Method::PUT, Some(&token), &format!("/api/v1/blocks/{id}"), Some(block(json!("studio_a"), 16, 18))).await;
        assert_eq!(status, 200, "{moved}");
        assert!(free_hours(&app, "studio_a", 6).await.contains(&"14:00".to_owned()));
        let (status, list) = send(&app, Method::GET, Some(&token), &format!("/api/v1/blocks?from={}&to={}", date_ahead(6), date_ahead(6)), None).await;
        assert_eq!((status, list.as_array().map(Vec::len)), (200, Some(1)));
        assert_eq!(list[0]["reason"], "lights service");
        let (status, _) = send(&app, Method::DELETE, Some(&token), &format!("/api/v1/blocks/{id}"), None).await;
        assert_eq!(status, 204);
        assert!(free_hours(&app, "studio_a", 6).await.contains(&"16:00".to_owned()));
        let (status, err) = send(&app, Method::POST, Some(&token), "/api/v1/blocks", Some(json!({"space": "nowhere", "start_time": at(6, 18), "end_time": at(6, 17)}))).await;
        assert_eq!(status, 422);
        assert!(err["error"]["fields"]["space"].is_object() && err["error"]["fields"]["end_time"].is_object(), "{err}");
    }

    async fn availability_keeps_the_buffer_after_each_booking(app) {
        app.owner(PASSWORD).await;
        app.exec("UPDATE studio_settings SET buffer_minutes = 60").await;
        app.state.rules_cache.invalidate();
        let (status, _) = send(&app, Method::POST, None, "/api/v1/public/bookings", Some(guest("studio_a", 8, 10, 11, "Anna", "+7 916 555 01 02", json!([])))).await;
        assert_eq!(status, 201);
        let free = free_hours(&app, "studio_a", 8).await;
        assert!(!free.contains(&"11:00".to_owned()), "the hour after a booking is its buffer: {free:?}");
        assert!(free.contains(&"12:00".to_owned()));
        let (status, err) = send(&app, Method::POST, None, "/api/v1/public/bookings", Some(guest("studio_a", 8, 11, 12, "Boris", "+7 916 555 01 03", json!([])))).await;
        assert_eq!((status, err["error"]["code"].as_str()), (409, Some("slot_unavailable")));
    }

    async fn overlapping_bookings_share_the_equipment_stock(app) {
        let token = app.owner(PASSWORD).await;
        app.exec("INSERT INTO equipment (id, name, price, per_hour, stock, active, sort_order, created_at, updated_at) \
                  VALUES ('profoto', 'Profoto B10', 150000, FALSE, 2, TRUE, 0, 0, 0)").await;
        let light = |n: i64| json!([{"id": "profoto", "quantity": n}]);
        let (status, first) = send(&app, Method::POST, None, "/api/v1/public/bookings", Some(guest("studio_a", 9, 10, 12, "Anna", "+7 916 555 01 02", light(2)))).await;
        assert_eq!(status, 201, "{first}");
        let (status, err) = send(&app, Method::POST, None, "/api/v1/public/bookings", Some(guest("studio_b", 9, 11, 12, "Boris", "+7 916 555 01 03", light(1)))).await;
        assert_eq!(status, 409, "{err}");
        assert_eq!(err["error"]["code"], "equipment_unavailable");
        assert_eq!(err["error"]["details"]["available"], 0);
        let (status, later) = send(&app, Method::POST, None, "/api/v1/public/bookings", Some(guest("studio_b", 9, 12, 13, "Boris", "+7 916 555 01 03", light(2)))).await;
        assert_eq!(status, 201, "after the first booking the lights are free again: {later}");
        // Availability asked with the lights leaves out the hours they are taken.
        let (status, with_lights) = send(&app, Method::GET, None, &format!("/api/v1/public/availability?space=studio_b&date={}&equipment=profoto:1", date_ahead(9)), None).await;
        assert_eq!(status, 200, "{with_lights}");
        let hours: Vec<&str> = with_lights["slots"].as_array().unwrap().iter().map(|s| &s["start_time"].as_str().unwrap()[11..16]).collect();
        assert!(!hours.contains(&"10:00") && !hours.contains(&"11:00") && !hours.contains(&"12:00"), "{hours:?}");
        assert!(hours.contains(&"13:00") && hours.contains(&"09:00"), "{hours:?}");
        assert!(free_hours(&app, "studio_b", 9).await.contains(&"10:00".to_owned()), "without equipment the space itself is free at 10:00");
        // Rescheduling the later booking onto the first one's time finds no lights.
        let (status, err) = send(&app, Method::PUT, Some(&token), &format!("/api/v1/bookings/{}", later["id"].as_str().unwrap()),
            Some(json!({"version": 1, "start_time": at(9, 11), "end_time": at(9, 12)}))).await;
        assert_eq!((status, err["error"]["code"].as_str()), (409, Some("equipment_unavailable")));
        // Cancelling the first gives its lights back.
        move_through(&app, &token, first["id"].as_str().unwrap(), &["cancelled"]).await;
        let (status, _) = send(&app, Method::POST, None, "/api/v1/public/bookings", Some(guest("studio_b", 9, 10, 11, "Vera", "+7 916 555 01 04", light(2)))).await;
        assert_eq!(status, 201);
        // Reopening the first would take the lights Vera now has: refused,
        // and it stays cancelled.
        let first_id = first["id"].as_str().unwrap();
        let reopen = json!({"target_state": "confirmed", "reason": "the guest is coming after all"});
        let (status, err) = send(&app, Method::POST, Some(&token), &format!("/api/v1/bookings/{first_id}/state"), Some(reopen.clone())).await;
        assert_eq!((status, err["error"]["code"].as_str()), (409, Some("equipment_unavailable")), "{err}");
        assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM bookings WHERE id = '{first_id}' AND state = 'cancelled'")).await, 1);
    }

    async fn a_reopened_booking_respects_blocked_time(app) {
        let token = app.owner(PASSWORD).await;
        let (status, booked) = send(&app, Method::POST, None, "/api/v1/public/bookings", Some(guest("studio_a", 7, 10, 12, "Anna", "+7 916 555 01 02", json!([])))).await;
        assert_eq!(status, 201, "{booked}");
        let id = booked["id"].as_str().unwrap();
        move_through(&app, &token, id, &["cancelled"]).await;
        // The freed hours are blocked for maintenance.
        let (status, block) = send(&app, Method::POST, Some(&token), "/api/v1/blocks", Some(json!({"space": Value::Null, "start_time": at(7, 11), "end_time": at(7, 13), "reason": "floor repainting"}))).await;
        assert_eq!(status, 201, "{block}");
        let reopen = json!({"target_state": "confirmed", "reason": "the guest is coming after all"});
        let (status, err) = send(&app, Method::POST, Some(&token), &format!("/api/v1/bookings/{id}/state"), Some(reopen.clone())).await;
        assert_eq!((status, err["error"]["code"].as_str()), (409, Some("slot_unavailable")), "{err}");
        assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM bookings WHERE id = '{id}' AND state = 'cancelled'")).await, 1, "nothing half-written");
        // With the block gone it can be reopened.
        let (status, _) = send(&app, Method::DELETE, Some(&token), &format!("/api/v1/blocks/{}", block["id"].as_str().unwrap()), None).await;
        assert_eq!(status, 204);
        let (status, reopened) = send(&app, Method::POST, Some(&token), &format!("/api/v1/bookings/{id}/state"), Some(reopen)).await;
        assert_eq!(status, 200, "{reopened}");
    }

    async fn the_client_base_groups_bookings_by_phone(app) {
        let token = app.owner(PASSWORD).await;
        let mut ids = Vec::new();
        for (day, phone, name) in [(3, "+7 916 555 01 02", "Anna"), (4, "8 (916) 555-01-02", "Anna Petrova"), (5, "+7 903 777 88 99", "Boris")] {
            let (status, b) = send(&app, Method::POST, None, "/api/v1/public/bookings", Some(guest("studio_a", day, 10, 12, name, phone, json!([])))).await;
            assert_eq!(status, 201, "{b}");
            ids.push(b["id"].as_str().unwrap().to_owned());
        }
        for to in ["confirmed", "in_progress", "completed"] {
            move_through(&app, &token, &ids[0], &[to]).await;
        }
        move_through(&app, &token, &ids[1], &["confirmed"]).await;
        move_through(&app, &token, &ids[1], &["no_show"]).await;
        move_through(&app, &token, &ids[2], &["cancelled"]).await;

        let (status, all) = send(&app, Method::GET, Some(&token), "/api/v1/clients", None).await;
        assert_eq!(status, 200, "{all}");
        assert_eq!(all["total"], 2);
        let anna = all["items"].as_array().unwrap().iter().find(|c| c["phone"] == "+79165550102").expect("Anna by her E.164 number");
        assert_eq!((anna["bookings"].as_i64(), anna["visits"].as_i64(), anna["no_shows"].as_i64()), (Some(2), Some(1), Some(1)));
        assert_eq!(anna["name"], "Anna Petrova", "the latest name");
        assert_eq!(anna["total_spent"], 500_000, "two hours of Studio A");
        assert_eq!(anna["last_visit"], date_ahead(3).to_string());
        let (_, by_name) = send(&app, Method::GET, Some(&token), "/api/v1/clients?q=petrova", None).await;
        assert_eq!(by_name["total"], 1);
        let (_, by_phone) = send(&app, Method::GET, Some(&token), "/api/v1/clients?q=8%20903%20777-88-99", None).await;
        assert_eq!((by_phone["total"].as_i64(), by_phone["items"][0]["cancellations"].as_i64()), (Some(1), Some(1)));

        let (status, client) = send(&app, Method::GET, Some(&token), "/api/v1/clients/+79165550102", None).await;
        assert_eq!(status, 200, "{client}");
        assert_eq!(client["history"].as_array().unwrap().len(), 2);
        assert_eq!(client["history"][0]["state"], "no_show", "newest first");
        let (status, noted) = send(&app, Method::PUT, Some(&token), "/api/v1/clients/+79165550102/notes", Some(json!({"notes": "prefers the north window"}))).await;
        assert_eq!((status, noted["notes"].as_str()), (200, Some("prefers the north window")));
        let (_, again) = send(&app, Method::PUT, Some(&token), "/api/v1/clients/+79165550102/notes", Some(json!({"notes": "prefers mornings"}))).await;
        assert_eq!(again["notes"], "prefers mornings");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'client_notes_changed'").await, 2);
        assert_eq!(send(&app, Method::GET, Some(&token), "/api/v1/clients/+79990000000", None).await.0, 404);
        assert_eq!(send(&app, Method::GET, None, "/api/v1/clients", None).await.0, 401);
    }
}

both_backends! {
    async fn the_calendar_feed_parses_and_shows_the_week_in_the_studio_zone(app) {
        use icalendar::{CalendarComponent, CalendarDateTime, Component, DatePerhapsTime};
        let token = app.owner(PASSWORD).await;
        let mut ids = Vec::new();
        for (space, day, from, to, name) in [("studio_a", 2, 10, 12, "Anna"), ("studio_b", 3, 15, 16, "Boris"), ("studio_a", 4, 12, 13, "Vera")] {
            let (status, b) = send(&app, Method::POST, None, "/api/v1/public/bookings", Some(guest(space, day, from, to, name, "+7 916 555 01 02", json!([])))).await;
            assert_eq!(status, 201, "{b}");
            ids.push(b["id"].as_str().unwrap().to_owned());
        }
        move_through(&app, &token, &ids[2], &["cancelled"]).await;
        let (status, _) = send(&app, Method::POST, Some(&token), "/api/v1/blocks", Some(json!({"space": "studio_a", "start_time": at(5, 9), "end_time": at(5, 12), "reason": "repainting"}))).await;
        assert_eq!(status, 201);

        let (status, links) = send(&app, Method::GET, Some(&token), "/api/v1/settings/calendar-feed", None).await;
        assert_eq!(status, 200, "{links}");
        let studio = links["studio"].as_str().unwrap().to_owned();
        let res = app.get(&studio).await;
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/calendar"));
        let calendar: icalendar::Calendar = res.text().await.unwrap().parse().expect("a valid iCalendar document");
        let events: Vec<&icalendar::Event> = calendar.components.iter().filter_map(|c| match c { CalendarComponent::Event(e) => Some(e), _ => None }).collect();
        let anna = events.iter().find(|e| e.get_uid() == Some(&format!("{}@studio-crm", ids[0]))).expect("Anna's booking");
        let expected_start = date_ahead(2).and_hms_opt(10, 0, 0).unwrap();
        match anna.get_start() {
            Some(DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone { date_time, tzid })) => {
                assert_eq!((date_time, tzid.as_str()), (expected_start, "Europe/Moscow"), "studio wall clock with its zone");
            }
            other => panic!("start without the studio's zone: {other:?}"),
        }
        assert!(anna.get_summary().unwrap().contains("Anna"));
        assert!(events.iter().any(|e| e.get_uid() == Some(&format!("{}@studio-crm", ids[1]))));
        assert!(!events.iter().any(|e| e.get_uid() == Some(&format!("{}@studio-crm", ids[2]))), "cancelled bookings leave the feed");
        assert!(events.iter().any(|e| e.get_summary().is_some_and(|s| s.contains("repainting"))));

        let space_b = links["spaces"].as_array().unwrap().iter().find(|s| s["space"] == "studio_b").unwrap()["url"].as_str().unwrap().to_owned();
        let only_b: icalendar::Calendar = app.get(&space_b).await.text().await.unwrap().parse().unwrap();
        let uids: Vec<String> = only_b.components.iter().filter_map(|c| match c { CalendarComponent::Event(e) => e.get_uid().map(str::to_owned), _ => None }).collect();
        assert_eq!(uids, vec![format!("{}@studio-crm", ids[1])], "a space's feed has that space only");

        assert_eq!(app.get("/ics/not-the-secret/studio.ics").await.status(), 404);
        assert_eq!(app.get(&studio.replace("studio.ics", "nowhere.ics")).await.status(), 404);
        let (status, rotated) = send(&app, Method::POST, Some(&token), "/api/v1/settings/calendar-feed/rotate", None).await;
        assert_eq!(status, 200);
        assert_ne!(rotated["studio"], links["studio"]);
        assert_eq!(app.get(&studio).await.status(), 404, "the old link stops working");
        assert_eq!(app.get(rotated["studio"].as_str().unwrap()).await.status(), 200);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'calendar_feed_rotated'").await, 1);
    }
}

both_backends! {
    async fn the_autumn_hour_keeps_the_wall_clock_grid_and_real_hours_in_price_and_feed(app) {
        use icalendar::{CalendarComponent, CalendarDateTime, Component, DatePerhapsTime};
        let token = app.owner(PASSWORD).await;
        // A studio in Berlin, open around the clock, booking a year ahead:
        // on 31 October 2027 the clock goes back from 03:00 to 02:00.
        let (_, mut s) = send(&app, Method::GET, Some(&token), "/api/v1/settings", None).await;
        s["time_zone"] = json!("Europe/Berlin");
        s["horizon_days"] = json!(730);
        s["max_booking_minutes"] = json!(600);
        s["hours"] = json!((1..=7).map(|d| json!({"weekday": d, "opens": "00:00", "closes": "24:00"})).collect::<Vec<_>>());
        let (status, saved) = send(&app, Method::PUT, Some(&token), "/api/v1/settings", Some(s)).await;
        assert_eq!(status, 200, "{saved}");
        let (status, b) = send(&app, Method::POST, None, "/api/v1/public/bookings", Some(json!({
            "space": "studio_a", "start_time": "2027-10-31T01:00:00+02:00", "end_time": "2027-10-31T04:00:00+01:00",
            "people_count": 1, "client_name": "Nachtschicht", "client_phone": "+49 30 1234567", "consent": true
        }))).await;
        assert_eq!(status, 201, "{b}");
        assert_eq!(b["price_breakdown"]["hours"], 4, "three wall-clock hours are four real ones");

        let html = app.client.get(app.url("/staff/calendar?date=2027-10-31&view=day"))
            .header("cookie", format!("studio_access={token}")).send().await.unwrap().text().await.unwrap();
        // The grid is the wall clock: the repeated hour is one row, its
        // first occurrence (as guests are offered it), and the hour after
        // it carries winter time.
        for hour in ["2027-10-31T01:00:00+02:00", "2027-10-31T02:00:00+02:00", "2027-10-31T03:00:00+01:00"] {
            assert!(html.contains(&format!("data-slot-start=\"{hour}\"")), "no row for {hour}");
        }
        assert!(!html.contains("data-slot-start=\"2027-10-31T02:00:00+01:00\""));
        assert_eq!(html.matches("class=\"cal-slot\"").count(), 24 * 2, "24 rows for each of the two spaces");
        assert!(html.contains(&format!("data-booking-id=\"{}\"", b["id"].as_str().unwrap())));

        let (_, links) = send(&app, Method::GET, Some(&token), "/api/v1/settings/calendar-feed", None).await;
        let feed: icalendar::Calendar = app.get(links["studio"].as_str().unwrap()).await.text().await.unwrap().parse().unwrap();
        let event = feed.components.iter().find_map(|c| match c { CalendarComponent::Event(e) => Some(e), _ => None }).expect("the booking");
        let wall = |t: Option<DatePerhapsTime>| match t {
            Some(DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone { date_time, tzid })) => (date_time.format("%H:%M").to_string(), tzid),
            other => panic!("{other:?}"),
        };
        assert_eq!(wall(event.get_start()), ("01:00".to_owned(), "Europe/Berlin".to_owned()));
        assert_eq!(wall(event.get_end()), ("04:00".to_owned(), "Europe/Berlin".to_owned()));
    }
}

trait TapEnd {
    fn tap_end(self, hour: u32) -> Self;
}

impl TapEnd for Value {
    /// The same block, ending at `hour` of the same day.
    fn tap_end(mut self, hour: u32) -> Self {
        self["end_time"] = json!(at(6, hour));
        self
    }
}

both_backends! {
    async fn a_kept_day_is_current_until_the_next_commit(app) {
        let token = app.owner(PASSWORD).await;
        let fourteen = "14:00".to_owned();
        // The live feed hears of the sign-in a moment after it committed
        // (and moves the generation again): let it settle first.
        let store = &app.state.store;
        let mut generation = store.generation();
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(600)).await;
            if store.generation() == generation {
                break;
            }
            generation = store.generation();
        }
        let asked = std::time::Instant::now();
        assert!(free_hours(&app, "studio_a", 7).await.contains(&fourteen));
        // Written past the server: no commit through it, so the day it
        // keeps is still taken as current …
        let from = chrono::DateTime::parse_from_rfc3339(&at(7, 14)).unwrap().timestamp();
        app.exec(&format!(
            "INSERT INTO blocked_periods (id, space_id, starts_at, ends_at, reason, created_at) \
             VALUES ('written-past-the-server', NULL, {from}, {}, 'test', 0)",
            from + 3600
        ))
        .await;
        let kept = free_hours(&app, "studio_a", 7).await;
        if asked.elapsed() < app::server::bookings::AVAILABILITY_TTL && store.generation() == generation {
            assert!(kept.contains(&fourteen), "the kept day is served: {kept:?}");
        }
        // … until anything is committed through the server: here a block
        // on another space and day.
        let (status, body) = send(&app, Method::POST, Some(&token), "/api/v1/blocks", Some(json!({"space": "studio_b", "start_time": at(9, 10), "end_time": at(9, 11), "reason": "test"}))).await;
        assert_eq!(status, 201, "{body}");
        let free = free_hours(&app, "studio_a", 7).await;
        assert!(!free.contains(&fourteen), "{free:?}");
        assert!(free.contains(&"15:00".to_owned()), "{free:?}");
        // A guest's booking and its cancellation show at once.
        let (status, booked) = send(&app, Method::POST, None, "/api/v1/public/bookings", Some(guest("studio_a", 7, 15, 16, "Anna", "+7 916 555 01 02", json!([])))).await;
        assert_eq!(status, 201, "{booked}");
        assert!(!free_hours(&app, "studio_a", 7).await.contains(&"15:00".to_owned()));
        let id = booked["id"].as_str().unwrap();
        move_through(&app, &token, id, &["cancelled"]).await;
        assert!(free_hours(&app, "studio_a", 7).await.contains(&"15:00".to_owned()));
    }

    async fn another_instance_s_booking_reaches_a_kept_day(app) {
        // A second server on the same database keeps the day …
        let other = common::ServerProcess::start(&app.db.env()).await;
        let fourteen = "14:00".to_owned();
        assert!(free_hours_at(&app.client, other.addr, "studio_a", 7).await.contains(&fourteen));
        assert!(free_hours_at(&app.client, other.addr, "studio_a", 7).await.contains(&fourteen));
        // … and hears of a booking made through the first one.
        let (status, booked) = send(&app, Method::POST, None, "/api/v1/public/bookings", Some(guest("studio_a", 7, 14, 15, "Anna", "+7 916 555 01 02", json!([])))).await;
        assert_eq!(status, 201, "{booked}");
        let made = std::time::Instant::now();
        while free_hours_at(&app.client, other.addr, "studio_a", 7).await.contains(&fourteen) {
            assert!(made.elapsed() < std::time::Duration::from_secs(5), "the other instance still offers 14:00");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}
