//! Authorization (OWASP ASVS 5.0 V8): every /api/v1 route called as
//! anonymous, manager, admin and owner, compared with one table; and the
//! rules of the staff hierarchy.

mod common;
use common::TestApp;
use serde_json::{json, Value};

const OWNER_PASSWORD: &str = "north light over the river";

struct Staff {
    owner: String,
    admin: String,
    manager: String,
    owner_id: String,
    admin_id: String,
    manager_id: String,
    /// A second manager, the object of the management calls.
    other_manager_id: String,
}

async fn create(app: &TestApp, token: &str, username: &str, role: &str) -> (String, String) {
    let res = app
        .client
        .post(app.url("/api/v1/employees"))
        .bearer_auth(token)
        .json(&json!({ "username": username, "email": format!("{username}@studio.ru"), "full_name": username, "role": role }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    (
        body["employee"]["id"].as_str().unwrap().to_owned(),
        body["temporary_password"].as_str().unwrap().to_owned(),
    )
}

/// Replaces a temporary password, as the first sign-in requires; the
/// session stays.
async fn own_password(app: &TestApp, token: String, temporary: &str) -> String {
    let res = app
        .client
        .post(app.url("/api/v1/auth/password"))
        .bearer_auth(&token)
        .json(&json!({ "current_password": temporary, "new_password": "a passphrase of my very own" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    token
}

async fn staff(app: &TestApp) -> Staff {
    let owner_id = app.create_owner("owner", OWNER_PASSWORD).await;
    let owner = app.access_token("owner", OWNER_PASSWORD).await;
    let (admin_id, admin_pw) = create(app, &owner, "adam", "admin").await;
    let (manager_id, manager_pw) = create(app, &owner, "maria", "manager").await;
    let (other_manager_id, _) = create(app, &owner, "mark", "manager").await;
    Staff {
        admin: own_password(app, app.access_token("adam", &admin_pw).await, &admin_pw).await,
        manager: own_password(
            app,
            app.access_token("maria", &manager_pw).await,
            &manager_pw,
        )
        .await,
        owner,
        owner_id,
        admin_id,
        manager_id,
        other_manager_id,
    }
}

async fn call(
    app: &TestApp,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> u16 {
    let mut req = app.client.request(method.parse().unwrap(), app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap().status().as_u16()
}

both_backends! {
    async fn v8_2_every_route_answers_each_role_as_the_table_says(app) {
        let s = staff(&app).await;
        let date = (chrono::Utc::now() + chrono::Duration::days(5)).date_naive();
        let quote = json!({"space": "studio_a", "start_time": format!("{date}T10:00:00+03:00"),
            "end_time": format!("{date}T11:00:00+03:00"), "people_count": 2});
        let mut n = 0;
        let mut new_employee = || {
            n += 1;
            json!({"username": format!("new{n}"), "email": format!("new{n}@studio.ru"), "full_name": "New", "role": "manager"})
        };
        let o = &s.other_manager_id;
        // (method, path, body, [anonymous, manager, admin, owner])
        let table: Vec<(&str, String, Option<Value>, [u16; 4])> = vec![
            ("GET", "/api/v1/public/spaces".into(), None, [200, 200, 200, 200]),
            ("GET", format!("/api/v1/public/availability?space=studio_a&date={date}"), None, [200, 200, 200, 200]),
            ("POST", "/api/v1/public/quote".into(), Some(quote.clone()), [200, 200, 200, 200]),
            ("POST", "/api/v1/public/bookings".into(), Some(json!({})), [400, 400, 400, 400]),
            ("GET", "/api/v1/public/bookings/nothing".into(), None, [404, 404, 404, 404]),
            ("POST", "/api/v1/public/bookings/nothing/cancel".into(), None, [404, 404, 404, 404]),
            ("POST", "/api/v1/auth/login".into(), Some(json!({"username": "nobody", "password": "wrong but long"})), [401, 401, 401, 401]),
            ("POST", "/api/v1/auth/refresh".into(), Some(json!({"refresh_token": "nope"})), [401, 401, 401, 401]),
            ("POST", "/api/v1/auth/logout".into(), Some(json!({"refresh_token": "nope"})), [204, 204, 204, 204]),
            ("GET", "/api/v1/employees/profile".into(), None, [401, 200, 200, 200]),
            ("GET", "/api/v1/employees".into(), None, [401, 403, 200, 200]),
            ("GET", format!("/api/v1/employees/{o}"), None, [401, 403, 200, 200]),
            // The admin's own record: everyone may see themselves.
            ("GET", format!("/api/v1/employees/{}", s.admin_id), None, [401, 403, 200, 200]),
            ("GET", format!("/api/v1/employees/{}", s.owner_id), None, [401, 403, 403, 200]),
            ("PUT", format!("/api/v1/employees/{o}"), Some(json!({"position": "Front desk"})), [401, 403, 200, 200]),
            ("PUT", format!("/api/v1/employees/{}", s.owner_id), Some(json!({"position": "Founder"})), [401, 403, 403, 200]),
            ("POST", format!("/api/v1/employees/{o}/reset-password"), None, [401, 403, 200, 200]),
            ("POST", format!("/api/v1/employees/{o}/revoke-sessions"), None, [401, 403, 204, 204]),
            ("GET", "/api/v1/auth/sessions".into(), None, [401, 200, 200, 200]),
            ("GET", "/api/v1/audit".into(), None, [401, 403, 200, 200]),
            ("GET", "/api/v1/settings/security".into(), None, [401, 403, 200, 200]),
            ("POST", "/api/v1/bookings/no-such-booking/state".into(), Some(json!({"target_state": "confirmed"})), [401, 404, 404, 404]),
            ("GET", "/api/v1/bookings".into(), None, [401, 200, 200, 200]),
            ("POST", "/api/v1/bookings".into(), Some(json!({"space": "studio_a", "start_time": "soon", "end_time": "later", "people_count": 1, "client_name": "A", "client_phone": "1", "source": "phone"})), [401, 422, 422, 422]),
            ("GET", "/api/v1/bookings/no-such-booking".into(), None, [401, 404, 404, 404]),
            ("PUT", "/api/v1/bookings/no-such-booking".into(), Some(json!({"version": 1})), [401, 404, 404, 404]),
            ("DELETE", "/api/v1/bookings/no-such-booking".into(), None, [401, 403, 404, 404]),
            ("POST", "/api/v1/bookings/batch".into(), Some(json!({"operations": [{"op": "delete", "id": "no-such-booking"}]})), [401, 403, 404, 404]),
            ("GET", "/api/v1/blocks".into(), None, [401, 200, 200, 200]),
            ("POST", "/api/v1/blocks".into(), Some(json!({"start_time": "x", "end_time": "y"})), [401, 422, 422, 422]),
            ("PUT", "/api/v1/blocks/no-such-block".into(), Some(json!({"start_time": "x", "end_time": "y"})), [401, 404, 404, 404]),
            ("DELETE", "/api/v1/blocks/no-such-block".into(), None, [401, 404, 404, 404]),
            ("GET", "/api/v1/clients".into(), None, [401, 200, 200, 200]),
            ("GET", "/api/v1/settings/calendar-feed".into(), None, [401, 403, 200, 200]),
            ("GET", "/api/v1/settings".into(), None, [401, 403, 200, 200]),
            ("PUT", "/api/v1/settings".into(), Some(json!({"name": "", "time_zone": "Mars/Base", "hours": [], "buffer_minutes": 0, "min_booking_minutes": 60, "max_booking_minutes": 60, "lead_minutes": 0, "horizon_days": 1, "cancellation_hours": 0})), [401, 403, 422, 422]),
            ("GET", "/api/v1/settings/contacts".into(), None, [401, 403, 200, 200]),
            ("PUT", "/api/v1/settings/contacts".into(), Some(json!({"phone": "12", "map_url": "javascript:alert(1)"})), [401, 403, 422, 422]),
            ("GET", "/api/v1/spaces".into(), None, [401, 403, 200, 200]),
            ("POST", "/api/v1/spaces".into(), Some(json!({"slug": "X", "name": "", "capacity": 0, "hourly_price": 0, "included_people": 0})), [401, 403, 422, 422]),
            ("PUT", "/api/v1/spaces/no-such-space".into(), Some(json!({"slug": "loft", "name": "Loft", "capacity": 4, "hourly_price": 0, "included_people": 0})), [401, 403, 404, 404]),
            ("POST", "/api/v1/spaces/no-such-space/photos".into(), Some(json!({})), [401, 403, 404, 404]),
            ("DELETE", "/api/v1/photos/no-such-photo".into(), None, [401, 403, 404, 404]),
            ("PUT", "/api/v1/settings/logo".into(), Some(json!({})), [401, 403, 422, 422]),
            ("DELETE", "/api/v1/settings/logo".into(), None, [401, 403, 204, 204]),
            ("GET", "/api/v1/equipment".into(), None, [401, 200, 200, 200]),
            ("POST", "/api/v1/equipment".into(), Some(json!({"name": "", "price": -1, "stock": 0})), [401, 403, 422, 422]),
            ("PUT", "/api/v1/equipment/no-such-item".into(), Some(json!({"name": "Light", "price": 1, "stock": 1})), [401, 403, 404, 404]),
            ("GET", "/api/v1/promo-codes".into(), None, [401, 403, 200, 200]),
            ("POST", "/api/v1/promo-codes".into(), Some(json!({"code": "?"})), [401, 403, 422, 422]),
            ("POST", "/api/v1/settings/calendar-feed/rotate".into(), None, [401, 403, 403, 200]),
            ("GET", "/api/v1/clients/+79990000000".into(), None, [401, 404, 404, 404]),
            ("PUT", "/api/v1/clients/+79990000000/notes".into(), Some(json!({"notes": "x"})), [401, 404, 404, 404]),
            ("GET", "/api/v1/clients/+79990000000/export".into(), None, [401, 403, 404, 404]),
            ("POST", "/api/v1/clients/+79990000000/erase".into(), Some(json!({"reason": "client's request"})), [401, 403, 404, 404]),
            ("GET", "/api/v1/data-requests".into(), None, [401, 403, 200, 200]),
            ("POST", "/api/v1/data-requests/no-such-request/close".into(), Some(json!({"resolution": "done"})), [401, 403, 404, 404]),
            ("PUT", "/api/v1/settings/security".into(), Some(json!({"require_mfa": false})), [401, 403, 403, 200]),
            ("GET", "/api/v1/audit/export?action=login_failed".into(), None, [401, 403, 200, 200]),
            ("POST", "/api/v1/auth/mfa/setup".into(), Some(json!({"password": "not it"})), [401, 422, 422, 422]),
            ("POST", "/api/v1/auth/mfa/enable".into(), Some(json!({"code": "123456"})), [401, 409, 409, 409]),
            ("POST", "/api/v1/auth/mfa/disable".into(), Some(json!({"password": "not it", "code": "1"})), [401, 422, 422, 422]),
            ("DELETE", "/api/v1/auth/sessions/no-such-session".into(), None, [401, 204, 204, 204]),
            ("POST", "/api/v1/auth/password".into(), Some(json!({"current_password": "wrong", "new_password": "whatever it is"})), [401, 422, 422, 422]),
            ("POST", "/api/v1/auth/sessions/revoke-others".into(), None, [401, 204, 204, 204]),
            ("GET", "/api/v1/webhooks".into(), None, [401, 403, 200, 200]),
            ("POST", "/api/v1/webhooks".into(), Some(json!({"url": "ftp://x", "events": []})), [401, 403, 422, 422]),
            ("GET", "/api/v1/webhooks/no-such-hook".into(), None, [401, 403, 404, 404]),
            ("PUT", "/api/v1/webhooks/no-such-hook".into(), Some(json!({"url": "https://example.com/hook", "events": ["booking.created"]})), [401, 403, 404, 404]),
            ("DELETE", "/api/v1/webhooks/no-such-hook".into(), None, [401, 403, 404, 404]),
            ("GET", "/api/v1/webhooks/no-such-hook/deliveries".into(), None, [401, 403, 404, 404]),
            ("GET", "/api/v1/settings/notifications".into(), None, [401, 403, 200, 200]),
            ("PUT", "/api/v1/settings/notifications".into(), Some(json!({"reminder_hours": -1, "telegram_events": ["sms"]})), [401, 403, 422, 422]),
            ("POST", "/api/v1/settings/notifications/telegram-test".into(), None, [401, 403, 409, 409]),
            ("GET", "/api/v1/outbox/dead".into(), None, [401, 403, 200, 200]),
            ("POST", "/api/v1/outbox/no-such-row/retry".into(), None, [401, 403, 404, 404]),
            ("GET", "/api/v1/analytics/summary".into(), None, [401, 200, 200, 200]),
            ("GET", "/api/v1/analytics/summary?space=no-such-space".into(), None, [401, 422, 422, 422]),
            ("GET", "/api/v1/analytics/export.csv".into(), None, [401, 200, 200, 200]),
            ("GET", "/api/v1/analytics/export.csv?table=top_clients".into(), None, [401, 403, 200, 200]),
            ("GET", "/api/v1/analytics/export.xlsx".into(), None, [401, 200, 200, 200]),
        ];
        for (method, path, body, expected) in &table {
            let mut got = [0u16; 4];
            for (i, token) in [None, Some(&s.manager), Some(&s.admin), Some(&s.owner)].into_iter().enumerate() {
                got[i] = call(&app, token.map(String::as_str), method, path, body.clone()).await;
            }
            assert_eq!(&got, expected, "{method} {path} as [anonymous, manager, admin, owner]");
        }
        // Creating staff: managers cannot, admins create managers only, the owner anyone.
        let create_as = |token: Option<String>, body: Value| {
            let app = &app;
            async move { call(app, token.as_deref(), "POST", "/api/v1/employees", Some(body)).await }
        };
        assert_eq!(create_as(None, new_employee()).await, 401);
        assert_eq!(create_as(Some(s.manager.clone()), new_employee()).await, 403);
        assert_eq!(create_as(Some(s.admin.clone()), new_employee()).await, 201);
        let mut admin_body = new_employee();
        admin_body["role"] = json!("admin");
        assert_eq!(create_as(Some(s.admin.clone()), admin_body.clone()).await, 403, "an admin cannot create an admin");
        assert_eq!(create_as(Some(s.owner.clone()), admin_body).await, 201);
        // The owner ends the admin's sessions: the admin is signed out at once.
        let path = format!("/api/v1/employees/{}/revoke-sessions", s.admin_id);
        assert_eq!(call(&app, Some(&s.manager), "POST", &path, None).await, 403);
        assert_eq!(call(&app, Some(&s.owner), "POST", &path, None).await, 204);
        assert_eq!(call(&app, Some(&s.admin), "GET", "/api/v1/employees/profile", None).await, 401);
        let denials = app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'permission_denied'").await;
        assert!(denials >= 10, "refusals are audited ({denials})");
        let _ = &s.manager_id;
    }

    async fn v8_2_an_admin_cannot_edit_the_owner_or_promote_anyone_to_admin(app) {
        let s = staff(&app).await;
        let o = &s.other_manager_id;
        assert_eq!(call(&app, Some(&s.admin), "PUT", &format!("/api/v1/employees/{}", s.owner_id), Some(json!({"active": false}))).await, 403);
        assert_eq!(call(&app, Some(&s.admin), "PUT", &format!("/api/v1/employees/{o}"), Some(json!({"role": "admin"}))).await, 403);
        assert_eq!(call(&app, Some(&s.admin), "PUT", &format!("/api/v1/employees/{}", s.admin_id), Some(json!({"role": "owner"}))).await, 403, "not even oneself");
        assert_eq!(call(&app, Some(&s.manager), "PUT", &format!("/api/v1/employees/{}", s.manager_id), Some(json!({"full_name": "Maria K."}))).await, 200, "own name");
        assert_eq!(call(&app, Some(&s.manager), "PUT", &format!("/api/v1/employees/{}", s.manager_id), Some(json!({"role": "admin"}))).await, 403, "own role");
    }

    async fn v8_3_the_last_owner_can_be_neither_demoted_nor_disabled(app) {
        let s = staff(&app).await;
        let path = format!("/api/v1/employees/{}", s.owner_id);
        assert_eq!(call(&app, Some(&s.owner), "PUT", &path, Some(json!({"role": "admin"}))).await, 409);
        assert_eq!(call(&app, Some(&s.owner), "PUT", &path, Some(json!({"active": false}))).await, 409);
    }

    async fn v7_4_3_a_role_change_ends_the_employees_sessions_at_once(app) {
        let s = staff(&app).await;
        assert_eq!(call(&app, Some(&s.admin), "GET", "/api/v1/employees", None).await, 200);
        let demote = json!({"role": "manager"});
        assert_eq!(call(&app, Some(&s.owner), "PUT", &format!("/api/v1/employees/{}", s.admin_id), Some(demote)).await, 200);
        assert_eq!(call(&app, Some(&s.admin), "GET", "/api/v1/employees/profile", None).await, 401, "the old session is gone");
        let trail = app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'employee_updated' AND details LIKE '%\"before\"%'").await;
        assert_eq!(trail, 1, "the change is audited with before and after");
    }

    async fn a_reset_password_is_temporary_and_ends_sessions(app) {
        let s = staff(&app).await;
        let res = app.client.post(app.url(&format!("/api/v1/employees/{}/reset-password", s.manager_id)))
            .bearer_auth(&s.admin).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        let temporary = body["temporary_password"].as_str().unwrap();
        assert!(temporary.len() >= 12);
        assert_eq!(call(&app, Some(&s.manager), "GET", "/api/v1/employees/profile", None).await, 401);
        app.access_token("maria", temporary).await;
        let must = app.scalar(&format!("SELECT COUNT(*) FROM employees WHERE id = '{}' AND must_change_password = TRUE", s.manager_id)).await;
        assert_eq!(must, 1);
    }
}
