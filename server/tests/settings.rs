//! Studio settings, spaces, equipment and promo codes through the API, and
//! their effect on availability at once; on both backends.

mod common;
use chrono::Datelike;
use common::{at, date_ahead, free_hours, send, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

const PASSWORD: &str = "north light over the river";

async fn book(
    app: &TestApp,
    space: &str,
    day: i64,
    from: u32,
    to: u32,
    extra: Value,
) -> (u16, Value) {
    let mut body = json!({
        "space": space, "start_time": at(day, from), "end_time": at(day, to), "people_count": 2,
        "client_name": "Guest", "client_phone": "+7 916 111 22 33", "consent": true
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    send(
        app,
        Method::POST,
        None,
        "/api/v1/public/bookings",
        Some(body),
    )
    .await
}

fn weekday(day: i64) -> usize {
    date_ahead(day).weekday().number_from_monday() as usize
}

both_backends! {
    async fn settings_changes_take_effect_in_availability_at_once(app) {
        app.create_owner("owner", PASSWORD).await;
        let token = app.access_token("owner", PASSWORD).await;
        let (status, mut s) = send(&app, Method::GET, Some(&token), "/api/v1/settings", None).await;
        assert_eq!(status, 200, "{s}");
        assert_eq!(s["hours"].as_array().unwrap().len(), 7);
        assert_eq!(free_hours(&app, "studio_a", 10).await.first().map(String::as_str), Some("09:00"));

        // Shorter hours on one weekday.
        let w = weekday(10);
        s["hours"][w - 1] = json!({"weekday": w, "opens": "12:00", "closes": "15:00"});
        let (status, saved) = send(&app, Method::PUT, Some(&token), "/api/v1/settings", Some(s.clone())).await;
        assert_eq!(status, 200, "{saved}");
        assert_eq!(free_hours(&app, "studio_a", 10).await, ["12:00", "13:00", "14:00"], "at once, no stale cache");

        // A holiday closes the whole day.
        s["holidays"] = json!([{"date": date_ahead(20).to_string(), "reason": "studio party"}]);
        assert_eq!(send(&app, Method::PUT, Some(&token), "/api/v1/settings", Some(s.clone())).await.0, 200);
        assert!(free_hours(&app, "studio_a", 20).await.is_empty());

        // A buffer keeps the hour after a booking free.
        s["buffer_minutes"] = json!(60);
        assert_eq!(send(&app, Method::PUT, Some(&token), "/api/v1/settings", Some(s.clone())).await.0, 200);
        let day = if weekday(12) == w { 13 } else { 12 };
        assert_eq!(book(&app, "studio_a", day, 10, 11, json!({})).await.0, 201);
        let free = free_hours(&app, "studio_a", day).await;
        assert!(!free.contains(&"11:00".to_owned()) && free.contains(&"12:00".to_owned()), "{free:?}");

        // Hours that would strand a booking need a confirmation.
        let bw = weekday(day);
        let mut later = s.clone();
        later["hours"][bw - 1] = json!({"weekday": bw, "opens": "14:00", "closes": "20:00"});
        let (status, err) = send(&app, Method::PUT, Some(&token), "/api/v1/settings", Some(later.clone())).await;
        assert_eq!(status, 409, "{err}");
        assert_eq!(err["error"]["code"], "strands_bookings");
        assert_eq!(err["error"]["details"]["count"], 1);
        later["confirm"] = json!(true);
        assert_eq!(send(&app, Method::PUT, Some(&token), "/api/v1/settings", Some(later)).await.0, 200);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'settings_changed'").await, 4);

        // Field-level errors, nothing saved.
        let mut bad = s.clone();
        bad["time_zone"] = json!("Mars/Olympus");
        bad["hours"][2] = json!({"weekday": 3, "opens": "18:00", "closes": "09:00"});
        bad["max_booking_minutes"] = json!(60);
        bad["min_booking_minutes"] = json!(120);
        let (status, err) = send(&app, Method::PUT, Some(&token), "/api/v1/settings", Some(bad)).await;
        assert_eq!(status, 422);
        for field in ["time_zone", "hours.3", "max_booking_minutes"] {
            assert!(err["error"]["fields"][field].is_object(), "{field}: {err}");
        }
    }

    async fn spaces_equipment_and_promo_codes_are_managed_and_audited(app) {
        app.create_owner("owner", PASSWORD).await;
        let token = app.access_token("owner", PASSWORD).await;
        let loft = json!({"slug": "loft", "name": "Loft", "description": "Brick walls", "capacity": 6,
            "hourly_price": 300_000, "included_people": 4, "extra_person_price": 50_000});
        let (status, space) = send(&app, Method::POST, Some(&token), "/api/v1/spaces", Some(loft.clone())).await;
        assert_eq!(status, 201, "{space}");
        let (_, public) = send(&app, Method::GET, None, "/api/v1/public/spaces", None).await;
        assert!(public.as_array().unwrap().iter().any(|s| s["slug"] == "loft"), "on the website at once");
        assert_eq!(free_hours(&app, "loft", 5).await.first().map(String::as_str), Some("09:00"));
        // Bookings read the spaces with the cached rules: a new space, a new
        // price and a space taken off the website count at once.
        let (status, booked) = book(&app, "loft", 5, 10, 12, json!({})).await;
        assert_eq!(status, 201, "{booked}");
        assert_eq!(booked["price_breakdown"]["base"], 600_000);
        let mut dearer = loft.clone();
        dearer["hourly_price"] = json!(400_000);
        let loft_url = format!("/api/v1/spaces/{}", space["id"].as_str().unwrap());
        let (status, _) = send(&app, Method::PUT, Some(&token), &loft_url, Some(dearer)).await;
        assert_eq!(status, 200);
        let (status, booked) = book(&app, "loft", 5, 13, 15, json!({})).await;
        assert_eq!(status, 201, "{booked}");
        assert_eq!(booked["price_breakdown"]["base"], 800_000);
        let (status, err) = send(&app, Method::POST, Some(&token), "/api/v1/spaces", Some(loft.clone())).await;
        assert_eq!((status, err["error"]["fields"]["slug"]["code"].as_str()), (422, Some("slug_taken")));
        let mut hidden = loft.clone();
        hidden["active"] = json!(false);
        let (status, _) = send(&app, Method::PUT, Some(&token), &loft_url, Some(hidden)).await;
        assert_eq!(status, 200);
        let (_, public) = send(&app, Method::GET, None, "/api/v1/public/spaces", None).await;
        assert!(!public.as_array().unwrap().iter().any(|s| s["slug"] == "loft"), "off the website");
        let (status, err) = book(&app, "loft", 5, 16, 18, json!({})).await;
        assert_eq!((status, err["error"]["fields"]["space"]["code"].as_str()), (422, Some("unknown_space")), "{err}");
        let (_, all) = send(&app, Method::GET, Some(&token), "/api/v1/spaces", None).await;
        assert_eq!(all.as_array().unwrap().len(), 3, "staff still see it");

        let (status, softbox) = send(&app, Method::POST, Some(&token), "/api/v1/equipment", Some(json!({"name": "Softbox", "price": 50_000, "stock": 1}))).await;
        assert_eq!(status, 201, "{softbox}");
        let equipment = json!({"equipment": [{"id": softbox["id"], "quantity": 1}]});
        let (status, booked) = book(&app, "studio_a", 5, 10, 12, equipment).await;
        assert_eq!(status, 201, "{booked}");
        assert_eq!(booked["price_breakdown"]["equipment"], 50_000);

        let (status, promo) = send(&app, Method::POST, Some(&token), "/api/v1/promo-codes", Some(json!({"code": "spring10", "percent_off": 10}))).await;
        assert_eq!((status, promo["code"].as_str()), (200, Some("SPRING10")));
        let (status, quote) = send(&app, Method::POST, None, "/api/v1/public/quote", Some(json!({
            "space": "studio_a", "start_time": at(6, 10), "end_time": at(6, 12), "people_count": 2, "promo_code": "spring10"
        }))).await;
        assert_eq!(status, 200, "{quote}");
        assert_eq!(quote["discount"], 50_000, "10% of two hours");
        let (status, err) = send(&app, Method::POST, Some(&token), "/api/v1/promo-codes", Some(json!({"code": "BOTH", "percent_off": 10, "amount_off": 100}))).await;
        assert_eq!(status, 422, "{err}");
        // The loft was updated twice: a new price, then off the website.
        for (action, n) in [("space_created", 1), ("space_updated", 2), ("equipment_created", 1), ("promo_code_created", 1)] {
            assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM audit_log WHERE action = '{action}'")).await, n, "{action}");
        }
    }
}
