//! The staff UI's real surface: every server function under `/api/fn/*`
//! called as anonymous, manager, admin and owner with the cookie session
//! the UI uses, compared with one table (as `access.rs` does for REST);
//! and cross-site calls refused before anything is written.

mod common;
use common::TestApp;
use serde_json::{json, Value};

const OWNER_PASSWORD: &str = "north light over the river";

/// A cookie session as the browser holds it after signing in.
struct Session(String);

async fn session(app: &TestApp, username: &str, password: &str) -> Session {
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let pair: Value = res.json().await.unwrap();
    Session(format!(
        "studio_access={}; studio_refresh={}",
        pair["access_token"].as_str().unwrap(),
        pair["refresh_token"].as_str().unwrap()
    ))
}

/// An employee of `role` with a password of their own; their id.
async fn employee(app: &TestApp, owner: &str, username: &str, role: &str) -> (String, Session) {
    let res = app
        .client
        .post(app.url("/api/v1/employees"))
        .bearer_auth(owner)
        .json(&json!({"username": username, "email": format!("{username}@studio.ru"), "full_name": username, "role": role}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    let temporary = body["temporary_password"].as_str().unwrap().to_owned();
    let token = app.access_token(username, &temporary).await;
    let own = "a passphrase of their very own".to_owned();
    let res = app
        .client
        .post(app.url("/api/v1/auth/password"))
        .bearer_auth(&token)
        .json(&json!({"current_password": temporary, "new_password": own}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    (
        body["employee"]["id"].as_str().unwrap().to_owned(),
        session(app, username, &own).await,
    )
}

async fn call(
    app: &TestApp,
    session: Option<&Session>,
    endpoint: &str,
    form: &[(String, String)],
) -> u16 {
    let mut req = app
        .client
        .post(app.url(&format!("/api/fn/{endpoint}")))
        .header("origin", app.url(""))
        .form(form);
    if let Some(Session(cookie)) = session {
        req = req.header("cookie", cookie);
    }
    req.send().await.unwrap().status().as_u16()
}

/// A form as posted: field names and values.
type Form = Vec<(String, String)>;

fn f(pairs: &[(&str, &str)]) -> Form {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

both_backends! {
    async fn every_server_function_answers_each_role_as_the_table_says(app) {
        app.create_owner("owner", OWNER_PASSWORD).await;
        let owner_token = app.access_token("owner", OWNER_PASSWORD).await;
        let owner = session(&app, "owner", OWNER_PASSWORD).await;
        let (_, admin) = employee(&app, &owner_token, "adam", "admin").await;
        let (_, manager) = employee(&app, &owner_token, "maria", "manager").await;
        let (other, _) = employee(&app, &owner_token, "mark", "manager").await;
        let table: Vec<(&str, Form, [u16; 4])> = vec![
            ("catalog", f(&[]), [200, 200, 200, 200]),
            ("book_page", f(&[("space", "studio_a")]), [200, 200, 200, 200]),
            ("guest_booking", f(&[("token", "nope")]), [404, 404, 404, 404]),
            ("staff_login", f(&[("username", "nobody"), ("password", "not the password")]), [401, 401, 401, 401]),
            ("me", f(&[]), [401, 200, 200, 200]),
            ("my_sessions", f(&[]), [401, 200, 200, 200]),
            ("end_session", f(&[("id", "no-such-session")]), [401, 200, 200, 200]),
            ("board", f(&[]), [401, 200, 200, 200]),
            ("board_card", f(&[("id", "nope")]), [401, 404, 404, 404]),
            ("move_booking", f(&[("id", "nope"), ("target", "confirmed"), ("version", "1")]), [401, 404, 404, 404]),
            ("bookings_list", f(&[]), [401, 200, 200, 200]),
            ("booking_detail", f(&[("id", "nope")]), [401, 404, 404, 404]),
            ("changed_since", f(&[("since", "0")]), [401, 200, 200, 200]),
            ("save_booking", f(&[("id", "nope"), ("version", "1"), ("space", "studio_a"), ("start", "2030-01-01T10:00"), ("end", "2030-01-01T11:00"),
                ("people_count", "1"), ("client_name", "A"), ("client_phone", "+79161234567"), ("client_email", ""),
                ("special_requirements", ""), ("notes", ""), ("internal_notes", ""), ("payment_status", "unpaid")]), [401, 404, 404, 404]),
            ("delete_booking", f(&[("id", "nope"), ("version", "1")]), [401, 403, 404, 404]),
            ("calendar", f(&[]), [401, 200, 200, 200]),
            ("calendar_book", f(&[("space", "studio_a"), ("start", "soon"), ("hours", "1"), ("people_count", "1"),
                ("client_name", "A"), ("client_phone", "1"), ("source", "phone")]), [401, 422, 422, 422]),
            ("calendar_quote", f(&[("space", "studio_a"), ("start", "soon"), ("hours", "1"), ("people_count", "1")]), [401, 422, 422, 422]),
            ("calendar_move", f(&[("id", "nope"), ("version", "1"), ("space", "studio_a"), ("start", "x"), ("end", "y")]), [401, 404, 404, 404]),
            ("calendar_block", f(&[("id", ""), ("space", ""), ("start", "x"), ("end", "y"), ("reason", "")]), [401, 422, 422, 422]),
            ("calendar_unblock", f(&[("id", "nope")]), [401, 404, 404, 404]),
            ("clients", f(&[]), [401, 200, 200, 200]),
            ("client", f(&[("phone", "+79990000000")]), [401, 404, 404, 404]),
            ("client_notes", f(&[("phone", "+79990000000"), ("notes", "x")]), [401, 404, 404, 404]),
            ("day_sheet", f(&[]), [401, 200, 200, 200]),
            ("client_erase", f(&[("phone", "+79990000000"), ("reason", "client's request")]), [401, 403, 404, 404]),
            ("data_requests", f(&[]), [401, 403, 200, 200]),
            ("data_request_close", f(&[("id", "nope"), ("resolution", "done")]), [401, 403, 404, 404]),
            ("privacy_page", f(&[]), [200, 200, 200, 200]),
            ("settings_page", f(&[]), [401, 403, 200, 200]),
            ("save_settings", f(&[("name", ""), ("time_zone", "Mars/Base"), ("buffer_minutes", "x"), ("min_hours", "1"),
                ("max_hours", "1"), ("lead_minutes", "0"), ("horizon_days", "1"), ("cancellation_hours", "0"),
                ("hours[0]", ""), ("holidays", "")]), [401, 403, 422, 422]),
            ("save_space", f(&[("id", ""), ("slug", "X"), ("name", ""), ("capacity", "0"), ("hourly_price", "NaN"),
                ("included_people", "0"), ("extra_person_price", "0"), ("sort_order", "0")]), [401, 403, 422, 422]),
            ("save_space_page", f(&[("id", "nope"), ("description_ru", ""), ("description_en", ""), ("included_ru", ""),
                ("included_en", ""), ("area_m2", ""), ("ceiling_m", "")]), [401, 403, 404, 404]),
            ("save_space_page", f(&[("id", "nope"), ("description_ru", ""), ("description_en", ""), ("included_ru", ""),
                ("included_en", ""), ("area_m2", "many"), ("ceiling_m", "")]), [401, 403, 422, 422]),
            ("delete_image", f(&[("id", "nope")]), [401, 403, 404, 404]),
            ("save_equipment", f(&[("id", ""), ("name", ""), ("price", "-1"), ("stock", "0")]), [401, 403, 422, 422]),
            ("save_promo", f(&[("code", "?"), ("percent_off", "x"), ("max_uses", ""), ("valid_until", "")]), [401, 403, 422, 422]),
            ("rotate_feed", f(&[]), [401, 403, 403, 200]),
            ("save_notifications", f(&[("reminder_hours", "x"), ("unpaid_cancel_hours", "")]), [401, 403, 422, 422]),
            ("telegram_test", f(&[]), [401, 403, 409, 409]),
            ("save_contacts", f(&[("phone", "12"), ("whatsapp", ""), ("telegram", ""), ("email", ""), ("address_ru", ""),
                ("address_en", ""), ("map_url", "javascript:x"), ("directions_ru", ""), ("directions_en", ""), ("rules_ru", ""), ("rules_en", ""),
                ("payment_ru", ""), ("payment_en", "")]), [401, 403, 422, 422]),
            ("retry_delivery", f(&[("id", "5")]), [401, 403, 404, 404]),
            ("audit_entries", f(&[]), [401, 403, 200, 200]),
            ("employees", f(&[]), [401, 403, 200, 200]),
            ("employee_create", f(&[("username", "?"), ("email", "x"), ("full_name", ""), ("role", "manager")]), [401, 403, 422, 422]),
            ("employee_action", f(&[("id", &other), ("action", "end_sessions")]), [401, 403, 200, 200]),
            ("require_mfa", f(&[]), [401, 200, 200, 200]),
            ("require_mfa", f(&[("require", "off")]), [401, 403, 403, 200]),
            ("change_password", f(&[("current_password", "not it at all"), ("new_password", "whatever it may be")]), [401, 422, 422, 422]),
            ("mfa_start", f(&[("password", "not it at all")]), [401, 422, 422, 422]),
            ("mfa_confirm", f(&[("code", "123456")]), [401, 409, 409, 409]),
        ];
        let mut failures = Vec::new();
        for (endpoint, form, expected) in &table {
            let mut got = [0u16; 4];
            for (i, s) in [None, Some(&manager), Some(&admin), Some(&owner)].into_iter().enumerate() {
                got[i] = call(&app, s, endpoint, form).await;
            }
            if &got != expected {
                failures.push(format!("{endpoint}: expected {expected:?}, got {got:?}"));
            }
        }
        assert!(failures.is_empty(), "[anonymous, manager, admin, owner]:\n{}", failures.join("\n"));
        // Signing out works for everyone and ends that session only.
        assert_eq!(call(&app, Some(&manager), "staff_logout", &[]).await / 100, 2);
        assert_eq!(call(&app, Some(&manager), "me", &[]).await, 401);
        assert_eq!(call(&app, Some(&owner), "me", &[]).await, 200);
    }

    async fn a_cross_site_call_is_refused_and_writes_nothing(app) {
        app.create_owner("owner", OWNER_PASSWORD).await;
        let Session(cookie) = session(&app, "owner", OWNER_PASSWORD).await;
        let form = [("username", "intruder"), ("email", "intruder@evil.example"), ("full_name", "Intruder"), ("role", "admin")];
        for (header, value) in [("sec-fetch-site", "cross-site"), ("sec-fetch-site", "same-site"), ("origin", "https://evil.example")] {
            let res = app.client.post(app.url("/api/fn/employee_create"))
                .header("cookie", &cookie)
                .header(header, value)
                .form(&form)
                .send().await.unwrap();
            assert_eq!(res.status(), 403, "{header}: {value}");
        }
        assert_eq!(app.scalar("SELECT COUNT(*) FROM employees WHERE username = 'intruder'").await, 0);
        let res = app.client.post(app.url("/api/fn/employee_create"))
            .header("cookie", &cookie)
            .header("sec-fetch-site", "same-origin")
            .form(&form)
            .send().await.unwrap();
        assert_eq!(res.status(), 200, "the same call from the studio's own page works");
    }
}
