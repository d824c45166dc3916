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
