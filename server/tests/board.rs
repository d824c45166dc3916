//! The booking state machine through the staff API, on both backends.

mod common;
use chrono::{Duration, Utc};
use common::TestApp;
use serde_json::{json, Value};

const PASSWORD: &str = "north light over the river";

async fn owner_and_manager(app: &TestApp) -> (String, String) {
    app.create_owner("owner", PASSWORD).await;
    let owner = app.access_token("owner", PASSWORD).await;
    let res = app
        .client
        .post(app.url("/api/v1/employees"))
        .bearer_auth(&owner)
        .json(&json!({"username": "maria", "email": "maria@studio.ru", "full_name": "Maria", "role": "manager"}))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    let temporary = body["temporary_password"].as_str().unwrap().to_owned();
    let manager = app.access_token("maria", &temporary).await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/password"))
        .bearer_auth(&manager)
        .json(
            &json!({"current_password": temporary, "new_password": "a passphrase of her very own"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    (owner, manager)
}

async fn book(app: &TestApp, day: i64, hour: u32) -> (u16, String) {
    let date = (Utc::now() + Duration::hours(3) + Duration::days(day)).date_naive();
    let res = app
        .client
        .post(app.url("/api/v1/public/bookings"))
        .json(&json!({
            "space": "studio_a", "start_time": format!("{date}T{hour:02}:00:00+03:00"),
            "end_time": format!("{date}T{:02}:00:00+03:00", hour + 1), "people_count": 2,
            "client_name": "Guest", "client_phone": "+7 916 111 22 33", "consent": true
        }))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    (status, body["id"].as_str().unwrap_or_default().to_owned())
}

async fn move_to(
    app: &TestApp,
    token: &str,
    id: &str,
    to: &str,
    reason: Option<&str>,
) -> (u16, Value) {
    let res = app
        .client
        .post(app.url(&format!("/api/v1/bookings/{id}/state")))
        .bearer_auth(token)
        .json(&json!({ "target_state": to, "reason": reason }))
        .send()
        .await
        .unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

both_backends! {
    async fn a_booking_moves_along_the_machine_and_every_step_is_recorded(app) {
        let (_, manager) = owner_and_manager(&app).await;
        let (_, id) = book(&app, 3, 10).await;
        let (status, v) = move_to(&app, &manager, &id, "confirmed", None).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!((v["state"].as_str(), v["version"].as_i64()), (Some("confirmed"), Some(2)));
        assert_eq!(move_to(&app, &manager, &id, "in_progress", None).await.0, 200);
        assert_eq!(move_to(&app, &manager, &id, "completed", Some("all good")).await.0, 200);
        let history = app.scalar(&format!("SELECT COUNT(*) FROM booking_state_history WHERE booking_id = '{id}'")).await;
        assert_eq!(history, 4, "created + three moves");
        let events = app.scalar("SELECT COUNT(*) FROM domain_events WHERE event_type = 'BookingStateChanged'").await;
        assert_eq!(events, 3);
        let audited = app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'booking_state_changed'").await;
        assert_eq!(audited, 3);
    }

    async fn an_arrow_the_machine_lacks_is_a_409(app) {
        let (_, manager) = owner_and_manager(&app).await;
        let (_, id) = book(&app, 4, 10).await;
        let (status, err) = move_to(&app, &manager, &id, "completed", None).await;
        assert_eq!(status, 409);
        assert_eq!(err["error"]["code"], "invalid_transition");
        assert_eq!(move_to(&app, &manager, "no-such-id", "confirmed", None).await.0, 404);
    }

    async fn only_owners_and_admins_reopen_and_only_with_a_reason(app) {
        let (owner, manager) = owner_and_manager(&app).await;
        let (_, id) = book(&app, 5, 12).await;
        assert_eq!(move_to(&app, &manager, &id, "cancelled", Some("guest called")).await.0, 200);
        assert_eq!(move_to(&app, &manager, &id, "confirmed", Some("guest called back")).await.0, 403);
        let (status, err) = move_to(&app, &owner, &id, "confirmed", None).await;
        assert_eq!(status, 422);
        assert_eq!(err["error"]["fields"]["reason"]["code"], "reason_required");
        assert_eq!(move_to(&app, &owner, &id, "confirmed", Some("guest called back")).await.0, 200);
    }

    async fn reopening_into_a_slot_taken_meanwhile_is_refused_by_the_database(app) {
        let (owner, manager) = owner_and_manager(&app).await;
        let (_, first) = book(&app, 6, 14).await;
        assert_eq!(move_to(&app, &manager, &first, "cancelled", None).await.0, 200);
        let (status, _) = book(&app, 6, 14).await;
        assert_eq!(status, 201, "the cancelled booking freed its slot");
        let (status, err) = move_to(&app, &owner, &first, "confirmed", Some("mistake")).await;
        assert_eq!(status, 409);
        assert_eq!(err["error"]["code"], "slot_unavailable");
        let state = app.scalar(&format!("SELECT COUNT(*) FROM bookings WHERE id = '{first}' AND state = 'cancelled'")).await;
        assert_eq!(state, 1, "nothing half-written");
    }
}

/// A local date `day` days ahead, as the studio (UTC+3) sees it.
fn date_ahead(day: i64) -> chrono::NaiveDate {
    (Utc::now() + Duration::hours(3) + Duration::days(day)).date_naive()
}

fn staff_booking(day: i64, hour: u32, name: &str, phone: &str) -> Value {
    let date = date_ahead(day);
    json!({
        "space": "studio_a", "start_time": format!("{date}T{hour:02}:00:00+03:00"),
        "end_time": format!("{date}T{:02}:00:00+03:00", hour + 2), "people_count": 3,
        "client_name": name, "client_phone": phone, "source": "phone", "client_consent": true,
        "internal_notes": "called at lunch"
    })
}

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    token: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

use reqwest::Method;

both_backends! {
    async fn staff_take_bookings_by_phone_under_the_guests_rules(app) {
        let (_, manager) = owner_and_manager(&app).await;
        let (status, b) = send(&app, Method::POST, &manager, "/api/v1/bookings",
            Some(staff_booking(7, 10, "Anna Petrova", "+7 916 555 01 02"))).await;
        assert_eq!(status, 201, "{b}");
        assert_eq!(b["state"], "confirmed", "staff bookings are confirmed unless asked");
        assert_eq!(b["source"], "phone");
        assert_eq!(b["version"], 1);
        assert_eq!(b["client_phone"], "+79165550102");
        assert_eq!(b["internal_notes"], "called at lunch");
        assert!(b["reference"].as_str().unwrap().starts_with("REF-"));
        assert_eq!(b["price_breakdown"]["hours"], 2);
        assert_eq!(b["history"][0]["to"], "confirmed");
        assert_eq!(b["audit"][0]["action"], "booking_created");

        let (status, err) = send(&app, Method::POST, &manager, "/api/v1/bookings",
            Some(staff_booking(7, 11, "Other", "+7 916 555 01 03"))).await;
        assert_eq!(status, 409);
        assert_eq!(err["error"]["code"], "slot_unavailable");
        assert!(!err["error"]["details"]["alternatives"].as_array().unwrap().is_empty());

        let mut bad = staff_booking(8, 10, "", "12");
        bad["source"] = json!("website");
        let (status, err) = send(&app, Method::POST, &manager, "/api/v1/bookings", Some(bad)).await;
        assert_eq!(status, 422);
        for field in ["client_name", "client_phone", "source"] {
            assert!(err["error"]["fields"][field].is_object(), "{field}: {err}");
        }
        let events = app.scalar("SELECT COUNT(*) FROM domain_events WHERE event_type = 'BookingCreated'").await;
        assert_eq!(events, 1);
    }

    async fn the_list_filters_searches_sorts_and_pages(app) {
        let (owner, _) = owner_and_manager(&app).await;
        for (day, hour, name, phone) in [(3, 10, "Anna Petrova", "+7 916 555 01 02"), (3, 14, "Boris Ivanov", "+7 903 777 88 99"), (5, 12, "Vera Sidorova", "+7 916 555 44 33")] {
            let (status, b) = send(&app, Method::POST, &owner, "/api/v1/bookings", Some(staff_booking(day, hour, name, phone))).await;
            assert_eq!(status, 201, "{b}");
        }
        let (_, guest) = book(&app, 3, 18).await;
        assert!(!guest.is_empty());
        let get = |q: String| { let owner = owner.clone(); let app = &app; async move { send(app, Method::GET, &owner, &format!("/api/v1/bookings?{q}"), None).await } };

        let (status, all) = get(String::new()).await;
        assert_eq!(status, 200);
        assert_eq!(all["total"], 4);
        let day3 = date_ahead(3);
        let (_, on_day) = get(format!("date={day3}")).await;
        assert_eq!(on_day["total"], 3);
        let (_, range) = get(format!("from={}&to={}", date_ahead(4), date_ahead(9))).await;
        assert_eq!(range["total"], 1);
        assert_eq!(range["items"][0]["client_name"], "Vera Sidorova");
        let (_, pending) = get("state=pending".into()).await;
        assert_eq!(pending["total"], 1, "the guest's booking waits for confirmation");
        let (_, two_states) = get("state=pending,confirmed".into()).await;
        assert_eq!(two_states["total"], 4);
        let (_, by_name) = get("q=petrov".into()).await;
        assert_eq!(by_name["total"], 1, "case-insensitive name search");
        // Phones are sealed: a search finds whole numbers, in any format.
        let (_, by_phone) = get("q=%2B7%20916%20555%2001%2002".into()).await;
        assert_eq!(by_phone["total"], 1);
        assert_eq!(by_phone["items"][0]["client_name"], "Anna Petrova");
        let (_, national) = get("q=8%20(916)%20555-44-33".into()).await;
        assert_eq!(national["items"][0]["client_name"], "Vera Sidorova");
        let (_, part) = get("q=555".into()).await;
        assert_eq!(part["total"], 0, "a part of a number reveals nothing");
        let reference = all["items"][0]["reference"].as_str().unwrap().to_owned();
        let (_, by_ref) = get(format!("q={reference}")).await;
        assert_eq!(by_ref["items"][0]["reference"], reference.as_str());
        let (_, by_space) = get("space=no_such_space".into()).await;
        assert_eq!(by_space["total"], 0);
        let (_, sorted) = get("sort=-start_time&per_page=2&page=2".into()).await;
        assert_eq!((sorted["total"].as_i64(), sorted["items"].as_array().unwrap().len()), (Some(4), 2));
        assert_eq!(sorted["items"][1]["client_name"], "Anna Petrova", "oldest last when descending");
        let (status, err) = get("sort=password&per_page=0&from=yesterday".into()).await;
        assert_eq!(status, 422);
        for field in ["sort", "per_page", "from"] {
            assert!(err["error"]["fields"][field].is_object(), "{field}: {err}");
        }
        let (status, _) = send(&app, Method::GET, "not-a-token", "/api/v1/bookings", None).await;
        assert_eq!(status, 401);
    }

    async fn edits_need_the_current_version_and_a_free_slot(app) {
        let (_, manager) = owner_and_manager(&app).await;
        let (_, first) = send(&app, Method::POST, &manager, "/api/v1/bookings", Some(staff_booking(9, 10, "Anna", "+7 916 555 01 02"))).await;
        let (_, second) = send(&app, Method::POST, &manager, "/api/v1/bookings", Some(staff_booking(9, 14, "Boris", "+7 916 555 01 03"))).await;
        let id = first["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/bookings/{id}");

        let (status, edited) = send(&app, Method::PUT, &manager, &path, Some(json!({"version": 1, "internal_notes": "bring the white backdrop", "payment_status": "paid"}))).await;
        assert_eq!(status, 200, "{edited}");
        assert_eq!((edited["version"].as_i64(), edited["payment_status"].as_str()), (Some(2), Some("paid")));

        let (status, err) = send(&app, Method::PUT, &manager, &path, Some(json!({"version": 1, "notes": "stale"}))).await;
        assert_eq!(status, 409);
        assert_eq!(err["error"]["code"], "version_conflict");
        assert_eq!(err["error"]["details"]["current_version"], 2);

        let date = date_ahead(9);
        let (status, err) = send(&app, Method::PUT, &manager, &path, Some(json!({
            "version": 2, "start_time": format!("{date}T13:00:00+03:00"), "end_time": format!("{date}T15:00:00+03:00")
        }))).await;
        assert_eq!(status, 409, "{err}");
        assert_eq!(err["error"]["code"], "slot_unavailable");
        let (status, moved) = send(&app, Method::PUT, &manager, &path, Some(json!({
            "version": 2, "start_time": format!("{date}T17:00:00+03:00"), "end_time": format!("{date}T20:00:00+03:00")
        }))).await;
        assert_eq!(status, 200, "{moved}");
        assert_eq!(moved["version"], 3);
        assert_eq!(moved["price_breakdown"]["hours"], 3, "re-priced for three hours");
        assert!(moved["start_time"].as_str().unwrap().contains("T17:00:00"));
        let rescheduled = app.scalar("SELECT COUNT(*) FROM domain_events WHERE event_type = 'BookingRescheduled'").await;
        assert_eq!(rescheduled, 1);
        // The freed 10:00 slot is bookable again; the second booking is untouched.
        let (status, _) = send(&app, Method::POST, &manager, "/api/v1/bookings", Some(staff_booking(9, 10, "Vera", "+7 916 555 01 04"))).await;
        assert_eq!(status, 201);
        let (_, other) = send(&app, Method::GET, &manager, &format!("/api/v1/bookings/{}", second["id"].as_str().unwrap()), None).await;
        assert_eq!(other["version"], 1);
        let (status, err) = send(&app, Method::PUT, &manager, &path, Some(json!({"version": 3, "client_phone": "nope", "people_count": 99}))).await;
        assert_eq!(status, 422);
        assert!(err["error"]["fields"]["client_phone"].is_object() && err["error"]["fields"]["people_count"].is_object(), "{err}");
        let (status, _) = send(&app, Method::PUT, &manager, "/api/v1/bookings/nope", Some(json!({"version": 1}))).await;
        assert_eq!(status, 404);
        let (_, detail) = send(&app, Method::GET, &manager, &path, None).await;
        let actions: Vec<&str> = detail["audit"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
        assert!(actions.contains(&"booking_rescheduled") && actions.contains(&"booking_updated"), "{actions:?}");
    }

    async fn deleting_is_for_owners_and_admins_and_keeps_the_row(app) {
        let (owner, manager) = owner_and_manager(&app).await;
        let (_, b) = send(&app, Method::POST, &manager, "/api/v1/bookings", Some(staff_booking(10, 10, "Anna", "+7 916 555 01 02"))).await;
        let id = b["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/bookings/{id}");
        let (status, _) = send(&app, Method::DELETE, &manager, &path, None).await;
        assert_eq!(status, 403);
        let denied = app.scalar(&format!("SELECT COUNT(*) FROM audit_log WHERE action = 'permission_denied' AND target_id = '{id}'")).await;
        assert_eq!(denied, 1);
        let (status, err) = send(&app, Method::DELETE, &owner, &format!("{path}?version=7"), None).await;
        assert_eq!((status, err["error"]["code"].as_str()), (409, Some("version_conflict")));
        let (status, _) = send(&app, Method::DELETE, &owner, &path, None).await;
        assert_eq!(status, 204);
        assert_eq!(send(&app, Method::GET, &owner, &path, None).await.0, 404);
        assert_eq!(send(&app, Method::DELETE, &owner, &path, None).await.0, 404);
        let kept = app.scalar(&format!("SELECT COUNT(*) FROM bookings WHERE id = '{id}' AND deleted_at IS NOT NULL")).await;
        assert_eq!(kept, 1, "soft: the row stays for the audit trail");
        let (_, list) = send(&app, Method::GET, &owner, "/api/v1/bookings", None).await;
        assert_eq!(list["total"], 0);
        let (status, _) = send(&app, Method::POST, &manager, "/api/v1/bookings", Some(staff_booking(10, 10, "Boris", "+7 916 555 01 03"))).await;
        assert_eq!(status, 201, "the slot is free again");
    }

    async fn a_batch_is_all_or_nothing(app) {
        let (owner, _) = owner_and_manager(&app).await;
        let (_, a) = send(&app, Method::POST, &owner, "/api/v1/bookings", Some(staff_booking(11, 10, "Anna", "+7 916 555 01 02"))).await;
        let (_, b) = book(&app, 11, 16).await;
        let a = a["id"].as_str().unwrap().to_owned();
        let (status, err) = send(&app, Method::POST, &owner, "/api/v1/bookings/batch", Some(json!({"operations": [
            {"op": "transition", "id": a, "target_state": "in_progress"},
            {"op": "update", "id": b, "version": 1, "internal_notes": "vip"},
            {"op": "transition", "id": b, "target_state": "completed"}
        ]}))).await;
        assert_eq!(status, 409, "{err}");
        assert_eq!(err["error"]["code"], "invalid_transition");
        assert_eq!(err["error"]["details"]["operation"], 2);
        let untouched = app.scalar(&format!("SELECT COUNT(*) FROM bookings WHERE (id = '{a}' AND state = 'confirmed' AND version = 1) OR (id = '{b}' AND version = 1)")).await;
        assert_eq!(untouched, 2, "the first two operations were rolled back");
        let (_, detail) = send(&app, Method::GET, &owner, &format!("/api/v1/bookings/{b}"), None).await;
        assert_eq!(detail["internal_notes"], "", "the note was rolled back too");
        let moves = app.scalar("SELECT COUNT(*) FROM booking_state_history WHERE to_state = 'in_progress'").await;
        assert_eq!(moves, 0);

        let (status, done) = send(&app, Method::POST, &owner, "/api/v1/bookings/batch", Some(json!({"operations": [
            {"op": "transition", "id": a, "target_state": "in_progress", "version": 1},
            {"op": "update", "id": b, "version": 1, "internal_notes": "vip"},
            {"op": "transition", "id": b, "target_state": "confirmed"},
            {"op": "delete", "id": a}
        ]}))).await;
        assert_eq!(status, 200, "{done}");
        assert_eq!(done[2]["state"], "confirmed");
        assert_eq!(done[2]["version"], 3);
        assert_eq!(done[3]["deleted"], true);
        let (status, err) = send(&app, Method::POST, &owner, "/api/v1/bookings/batch", Some(json!({"operations": []}))).await;
        assert_eq!((status, err["error"]["fields"]["operations"]["code"].as_str()), (422, Some("out_of_range")));
    }

    async fn a_move_decided_on_an_old_version_is_refused(app) {
        let (_, manager) = owner_and_manager(&app).await;
        let (_, id) = book(&app, 12, 10).await;
        let path = format!("/api/v1/bookings/{id}/state");
        let (status, _) = send(&app, Method::POST, &manager, &path, Some(json!({"target_state": "confirmed", "version": 1}))).await;
        assert_eq!(status, 200);
        let (status, err) = send(&app, Method::POST, &manager, &path, Some(json!({"target_state": "in_progress", "version": 1}))).await;
        assert_eq!((status, err["error"]["code"].as_str()), (409, Some("version_conflict")));
    }

    async fn the_booking_page_and_the_audit_log_say_what_happened_in_words(app) {
        let (owner, manager) = owner_and_manager(&app).await;
        let mut new = staff_booking(9, 10, "Anna", "+7 916 555 01 02");
        new["state"] = json!("pending");
        let (status, b) = send(&app, Method::POST, &manager, "/api/v1/bookings", Some(new)).await;
        assert_eq!(status, 201, "{b}");
        let id = b["id"].as_str().unwrap().to_owned();
        let reference = b["reference"].as_str().unwrap().to_owned();
        let date = date_ahead(9);
        // Three hours instead of two (so a new price), paid, with a note.
        let (status, edited) = send(&app, Method::PUT, &manager, &format!("/api/v1/bookings/{id}"), Some(json!({
            "version": 1, "payment_status": "paid", "notes": "white backdrop",
            "start_time": format!("{date}T12:00:00+03:00"), "end_time": format!("{date}T15:00:00+03:00"),
        }))).await;
        assert_eq!(status, 200, "{edited}");
        assert_ne!(edited["total_price"], b["total_price"], "three hours cost more than two");
        assert_eq!(move_to(&app, &manager, &id, "confirmed", None).await.0, 200);

        let page = app.client.get(app.url(&format!("/staff/bookings/{id}")))
            .header("cookie", format!("studio_access={owner}"))
            .header("accept-language", "ru")
            .send().await.unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        for words in [
            "Бронь создана: ",
            "Время изменилось с ",
            "10:00–12:00 на ",
            "12:00–15:00",
            "Цена изменилась с ",
            "Оплата изменилась с «Не оплачено» на «Оплачено»",
            "Изменено: заметки",
            "Бронь переведена из «Новые» в «Подтверждено»",
        ] {
            assert!(html.contains(words), "the booking page says {words:?}");
        }
        assert!(html.contains("Бронь создана со статусом «Новые»"), "the first history entry");
        // The trail names who acted as the history does: Maria, not "maria".
        let (_, detail) = send(&app, Method::GET, &owner, &format!("/api/v1/bookings/{id}"), None).await;
        let moved = detail["audit"].as_array().unwrap().iter()
            .find(|e| e["action"] == "booking_state_changed").unwrap_or_else(|| panic!("{detail}"));
        assert_eq!(moved["by"], "Maria", "{detail}");
        for internal in [">booking_updated", ">booking_state_changed", "&quot;before&quot;", "{\"before\"", "— created"] {
            assert!(!html.contains(internal), "the booking page shows {internal:?}");
        }

        // The audit log, as the owner's page loads it, in either language.
        for (language, signed_in, booking_words) in [
            ("ru", "Вход в систему", "Бронь переведена из «Новые» в «Подтверждено»"),
            ("en", "Signed in", "Moved from “New” to “Confirmed”"),
        ] {
            let res = app.client.post(app.url("/api/fn/audit_entries"))
                .header("cookie", format!("studio_access={owner}"))
                .header("origin", app.url(""))
                .header("accept-language", language)
                .form(&[("action", "")])
                .send().await.unwrap();
            assert_eq!(res.status(), 200);
            let log: Value = res.json().await.unwrap();
            let rows = log["rows"].as_array().unwrap();
            let row = |action: &str| rows.iter().find(|r| r["action"] == action).unwrap_or_else(|| panic!("{action} in {log}"));
            assert_eq!(row("login_succeeded")["summary"], signed_in);
            let moved = row("booking_state_changed");
            assert_eq!(moved["summary"], booking_words);
            assert!(moved["target"].as_str().unwrap().ends_with(&reference), "{moved}");
            assert_eq!(moved["target_href"], format!("/staff/bookings/{id}"));
            assert_eq!(row("employee_created")["target"], "Maria");
            // Who acted, by full name (the entry records the username).
            assert_eq!(row("employee_created")["who"], "owner (owner)");
            for r in rows {
                let summary = r["summary"].as_str().unwrap();
                assert!(!summary.is_empty() && !summary.contains('_') && !summary.contains('{') && !summary.contains(&id), "{r}");
                assert!(!r["target"].as_str().unwrap().contains(&id), "{r}");
            }
        }
    }
}
