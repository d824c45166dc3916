//! Notifications through the outbox, on both backends: a real SMTP server
//! (maildev, from end2end's npm packages), a fake Telegram Bot API and a
//! webhook receiver, each on a free port of 127.0.0.1.

mod common;

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    routing::post,
    Json, Router,
};
use common::{
    at,
    maildev::{free_port, Maildev},
    send, Db, TestApp,
};
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{json, Value};
use sha2::Sha256;
use std::{
    collections::VecDeque,
    net::SocketAddr,
    process::{Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

const OWNER_PASSWORD: &str = "correct horse battery";
const BOT_TOKEN: &str = "123456:TEST-token_abc";

// The real SMTP server: common/maildev.rs.

// ---------- fake Telegram and a webhook receiver ----------

/// How the next requests are answered: status, body, delay.
#[derive(Clone)]
struct Answer {
    status: u16,
    body: Value,
    delay: Duration,
}

#[derive(Default)]
struct Recorded {
    /// Every request: headers and body.
    requests: Vec<(HeaderMap, Bytes)>,
    /// Answers for the next requests; when empty, 200.
    plan: VecDeque<Answer>,
    /// Answer every request this way (after the plan).
    always: Option<Answer>,
}

#[derive(Clone, Default)]
struct Fake(Arc<Mutex<Recorded>>);

impl Fake {
    fn plan(&self, answers: impl IntoIterator<Item = Answer>) {
        self.0.lock().unwrap().plan.extend(answers);
    }
    fn always(&self, a: Option<Answer>) {
        self.0.lock().unwrap().always = a;
    }
    fn bodies(&self) -> Vec<Value> {
        self.0
            .lock()
            .unwrap()
            .requests
            .iter()
            .map(|(_, b)| serde_json::from_slice(b).unwrap_or(Value::Null))
            .collect()
    }
    fn requests(&self) -> Vec<(HeaderMap, Bytes)> {
        self.0.lock().unwrap().requests.clone()
    }
    async fn wait_for(&self, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if self.bodies().len() >= n {
                tokio::time::sleep(Duration::from_millis(300)).await;
                return self.bodies();
            }
            assert!(
                Instant::now() < deadline,
                "expected {n} requests, got {}",
                self.bodies().len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

async fn answer(State(fake): State<Fake>, headers: HeaderMap, body: Bytes) -> impl IntoResponse {
    let a = {
        let mut r = fake.0.lock().unwrap();
        r.requests.push((headers, body));
        r.plan.pop_front().or_else(|| r.always.clone())
    };
    let a = a.unwrap_or(Answer {
        status: 200,
        body: json!({ "ok": true, "result": { "message_id": 1 } }),
        delay: Duration::ZERO,
    });
    tokio::time::sleep(a.delay).await;
    (StatusCode::from_u16(a.status).unwrap(), Json(a.body))
}

/// Serves `path` on a free port; returns the fake and its base URL.
async fn serve_fake(path: &str) -> (Fake, String) {
    let fake = Fake::default();
    let app = Router::new()
        .route(path, post(answer))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (fake, format!("http://{addr}"))
}

async fn fake_telegram() -> (Fake, String) {
    serve_fake(&format!("/bot{BOT_TOKEN}/sendMessage")).await
}

fn failing(status: u16) -> Answer {
    Answer {
        status,
        body: json!({ "ok": false, "description": "Internal Server Error" }),
        delay: Duration::ZERO,
    }
}

// ---------- the studio ----------

struct Studio {
    app: TestApp,
    token: String,
    mail: Maildev,
    telegram: Fake,
}

async fn studio(db: Db, extra: &[(&str, &str)]) -> Studio {
    let mail = Maildev::start().await;
    let (telegram, tg_url) = fake_telegram().await;
    let smtp = format!("smtp://127.0.0.1:{}", mail.smtp);
    let mut vars: Vec<(&str, &str)> = vec![
        ("STUDIO_SMTP_URL", &smtp),
        ("STUDIO_MAIL_FROM", "Studio <studio@example.com>"),
        ("STUDIO_TELEGRAM_BOT_TOKEN", BOT_TOKEN),
        ("STUDIO_TELEGRAM_CHAT_ID", "-100777"),
        ("STUDIO_TELEGRAM_API_URL", &tg_url),
        ("STUDIO_PUBLIC_URL", "https://studio.example.com"),
        ("STUDIO_OUTBOX_POLL_MS", "100"),
        ("STUDIO_OUTBOX_RETRY_BASE", "0"),
        ("STUDIO_JOBS_INTERVAL", "1"),
    ];
    vars.extend_from_slice(extra);
    let app = TestApp::spawn_with(db, &vars).await;
    app.create_owner("owner", OWNER_PASSWORD).await;
    let token = app.access_token("owner", OWNER_PASSWORD).await;
    Studio {
        app,
        token,
        mail,
        telegram,
    }
}

fn booking(day: i64, hour: u32, email: Option<&str>) -> Value {
    json!({
        "space": "studio_a",
        "start_time": at(day, hour),
        "end_time": at(day, hour + 2),
        "people_count": 2,
        "client_name": "Анна <b>Иванова</b>",
        "client_phone": "+7 900 123-45-67",
        "client_email": email,
        "consent": true,
    })
}

async fn book_as_guest(app: &TestApp, body: &Value, lang: &str) -> Value {
    let res = app
        .client
        .post(app.url("/api/v1/public/bookings"))
        .header("Accept-Language", lang)
        .json(body)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 201);
    res.json().await.expect("JSON")
}

/// Cancels a booking through its guest's manage link.
async fn cancel_as_guest(app: &TestApp, created: &Value) {
    let token = created["manage_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap();
    let res = app
        .client
        .post(app.url(&format!("/api/v1/public/bookings/{token}/cancel")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

async fn outbox_count(app: &TestApp, filter: &str) -> i64 {
    app.scalar(&format!("SELECT COUNT(*) FROM outbox WHERE {filter}"))
        .await
}

async fn wait_until(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Declares each test on both backends.
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    crate::common::within_time(super::$name(crate::common::Db::Sqlite)).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    crate::common::within_time(super::$name(crate::common::Db::Postgres)).await
                }
            }
        )*
    };
}

both!(
    a_guest_booking_mails_the_guest_and_tells_the_staff_chat,
    a_guest_cancellation_reaches_guest_and_staff,
    staff_bookings_mail_the_guest_but_do_not_tell_the_chat,
    a_guest_without_email_gets_none,
    webhooks_are_signed_and_retried_with_one_delivery_id,
    a_message_that_keeps_failing_goes_dead_until_retried,
    telegram_rate_limits_are_honoured,
    a_slow_telegram_does_not_slow_bookings,
    one_reminder_for_bookings_made_early_enough,
    unpaid_bookings_are_cancelled_by_the_system,
    a_reschedule_by_staff_reaches_guest_and_chat,
    the_outbox_health_fails_when_deliveries_are_stuck,
    messages_sent_together_each_show_their_own_booking,
    a_new_bookings_messages_carry_its_events_id,
);

async fn a_reschedule_by_staff_reaches_guest_and_chat(db: Db) {
    let s = studio(db, &[]).await;
    let created = book_as_guest(&s.app, &booking(4, 12, Some("anna@example.com")), "en").await;
    s.mail.wait_for(1).await;
    s.telegram.wait_for(1).await;
    let id = created["id"].as_str().unwrap();
    let (status, moved) = send(
        &s.app,
        Method::PUT,
        Some(&s.token),
        &format!("/api/v1/bookings/{id}"),
        Some(json!({ "version": 1, "start_time": at(5, 15), "end_time": at(5, 17) })),
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    let mails = s.mail.wait_for(2).await;
    let notice = mails
        .iter()
        .find(|m| m["subject"].as_str().unwrap().contains("rescheduled"))
        .expect("a reschedule notice in English");
    let text = notice["text"].as_str().unwrap();
    assert!(text.contains("15:00–17:00"), "the new time: {text}");
    assert_eq!(
        notice["attachments"][0]["fileName"],
        format!("{}.ics", created["reference"].as_str().unwrap())
    );
    let sent = s.telegram.wait_for(2).await;
    assert!(
        sent[1]["text"].as_str().unwrap().contains("перенесена"),
        "{}",
        sent[1]
    );
    assert!(
        sent[1]["text"].as_str().unwrap().contains("15:00–17:00"),
        "{}",
        sent[1]
    );
}

async fn the_outbox_health_fails_when_deliveries_are_stuck(db: Db) {
    let s = studio(
        db,
        &[
            ("STUDIO_OUTBOX_ALERT_AGE", "1"),
            ("STUDIO_OUTBOX_MAX_ATTEMPTS", "100000"),
        ],
    )
    .await;
    let health = s.app.get("/health/outbox").await;
    assert_eq!(health.status(), 200);
    s.telegram.always(Some(failing(500)));
    book_as_guest(&s.app, &booking(3, 12, None), "ru").await;
    wait_until("/health/outbox to report the stuck message", async || {
        s.app.get("/health/outbox").await.status() == 503
    })
    .await;
    let h: Value = s.app.get("/health/outbox").await.json().await.unwrap();
    assert_eq!(h["backlog"], 1);
    assert!(h["oldest_due_age_seconds"].as_i64().unwrap() > 1, "{h}");
    // Telegram recovers: the message goes and the health is good again.
    s.telegram.always(None);
    wait_until("/health/outbox to recover", async || {
        s.app.get("/health/outbox").await.status() == 200
    })
    .await;
    assert_eq!(outbox_count(&s.app, "status = 'done'").await, 1);
}

async fn a_guest_booking_mails_the_guest_and_tells_the_staff_chat(db: Db) {
    let s = studio(db, &[]).await;
    let res = s
        .app
        .client
        .put(s.app.url("/api/v1/settings/contacts"))
        .bearer_auth(&s.token)
        .json(&serde_json::json!({
            "phone": "8 495 123-45-67", "map_url": "https://yandex.ru/maps/-/CDabc",
            "address": {"ru": "Москва, ул. Лесная, 5", "en": "5 Lesnaya St, Moscow"},
            "payment": {"ru": "Картой на месте", "en": "By card at the studio, before the shoot"},
            "rules": {"en": "Bring clean shoes"}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let created = book_as_guest(&s.app, &booking(3, 12, Some("anna@example.com")), "en").await;
    let reference = created["reference"].as_str().unwrap();
    let manage = created["manage_url"].as_str().unwrap();
    assert!(
        manage.starts_with("https://studio.example.com/booking/"),
        "{manage}"
    );

    let mails = s.mail.wait_for(1).await;
    assert_eq!(mails.len(), 1, "one confirmation");
    let m = &mails[0];
    assert_eq!(m["to"][0]["address"], "anna@example.com");
    assert_eq!(m["from"][0]["address"], "studio@example.com");
    let subject = m["subject"].as_str().unwrap();
    assert!(
        subject.starts_with(&format!("Booking {reference}")),
        "English, as the guest booked: {subject}"
    );
    let text = m["text"].as_str().unwrap();
    assert!(text.contains(manage), "absolute manage link: {text}");
    assert!(text.contains("12:00–14:00 (Europe/Moscow)"), "{text}");
    assert!(text.contains("Free cancellation up to"), "{text}");
    assert!(
        text.contains("Address: 5 Lesnaya St, Moscow"),
        "where, in English: {text}"
    );
    assert!(
        text.contains("Map: https://yandex.ru/maps/-/CDabc"),
        "{text}"
    );
    assert!(text.contains("Studio phone: +7 495 123-45-67"), "{text}");
    assert!(
        text.contains("How to pay:\nBy card at the studio, before the shoot"),
        "how to pay, in English: {text}"
    );
    assert!(text.contains("Studio rules:\nBring clean shoes"), "{text}");
    let html = m["html"].as_str().unwrap();
    assert!(html.contains("<h3>How to pay</h3>"), "{html}");
    assert!(html.contains("Анна &lt;b&gt;Иванова&lt;/b&gt;") || !html.contains("<b>Иванова"));
    assert!(html.contains(&format!("href=\"{manage}\"")), "{html}");
    let attachments = m["attachments"].as_array().expect("an .ics attached");
    assert_eq!(attachments[0]["fileName"], format!("{reference}.ics"));
    let raw = s.mail.raw(m["id"].as_str().unwrap()).await;
    assert!(raw.contains("text/calendar"), "{raw}");
    let ics = s
        .mail
        .attachment(
            m["id"].as_str().unwrap(),
            attachments[0]["generatedFileName"]
                .as_str()
                .unwrap_or(&format!("{reference}.ics")),
        )
        .await;
    assert!(
        ics.contains("LOCATION:Studio A\\, 5 Lesnaya St\\, Moscow"),
        "the place in the calendar: {ics}"
    );
    assert!(raw.contains("multipart/alternative"));

    let sent = s.telegram.wait_for(1).await;
    assert_eq!(sent.len(), 1, "one staff message");
    let msg = &sent[0];
    assert_eq!(msg["chat_id"], "-100777");
    assert_eq!(msg["parse_mode"], "HTML");
    let text = msg["text"].as_str().unwrap();
    assert!(text.contains(reference), "{text}");
    assert!(
        text.contains("Анна &lt;b&gt;Иванова&lt;/b&gt;"),
        "escaped: {text}"
    );
    assert!(text.contains("+7 900 123-45-67"), "{text}");
    assert!(text.contains("12:00–14:00"), "studio-local time: {text}");
    assert!(
        text.contains("https://studio.example.com/staff/bookings/"),
        "{text}"
    );
    assert_eq!(outbox_count(&s.app, "status = 'done'").await, 2);
}

/// Bookings made at the same moment are delivered in one claimed batch,
/// which reads its bookings in one query: each message still shows its own
/// booking, guest and address.
async fn messages_sent_together_each_show_their_own_booking(db: Db) {
    let s = studio(db, &[]).await;
    let guests: Vec<(String, String, String)> = (1..=5)
        .map(|k| {
            (
                format!("Гость Номер{k}"),
                format!("+7 900 111-00-0{k}"),
                format!("guest{k}@example.com"),
            )
        })
        .collect();
    let made = futures_util::future::join_all(guests.iter().enumerate().map(|(k, g)| {
        let mut body = booking(4, 9 + 2 * k as u32, Some(&g.2));
        body["client_name"] = json!(g.0);
        body["client_phone"] = json!(g.1);
        let app = &s.app;
        async move { book_as_guest(app, &body, "ru").await }
    }))
    .await;
    let references: Vec<&str> = made
        .iter()
        .map(|b| b["reference"].as_str().unwrap())
        .collect();

    let mails = s.mail.wait_for(5).await;
    assert_eq!(mails.len(), 5, "one confirmation each");
    for (k, (_, _, email)) in guests.iter().enumerate() {
        let m = mails
            .iter()
            .find(|m| m["to"][0]["address"] == email.as_str())
            .unwrap_or_else(|| panic!("no mail to {email}"));
        let subject = m["subject"].as_str().unwrap();
        assert!(
            subject.starts_with(&format!("Бронирование {}", references[k])),
            "{email} gets its own booking: {subject}"
        );
        let text = m["text"].as_str().unwrap();
        let hour = 9 + 2 * k;
        assert!(
            text.contains(&format!("{hour:02}:00–{:02}:00", hour + 2)),
            "{email}: {text}"
        );
    }
    let sent = s.telegram.wait_for(5).await;
    assert_eq!(sent.len(), 5, "one staff message each");
    for (k, (name, phone, _)) in guests.iter().enumerate() {
        let text = sent
            .iter()
            .filter_map(|m| m["text"].as_str())
            .find(|t| t.contains(references[k]))
            .unwrap_or_else(|| panic!("no staff message about {}", references[k]));
        assert!(text.contains(name.as_str()), "{text}");
        assert!(text.contains(phone.as_str()), "{text}");
    }
    assert_eq!(outbox_count(&s.app, "status = 'done'").await, 10);
}

async fn a_guest_cancellation_reaches_guest_and_staff(db: Db) {
    let s = studio(db, &[]).await;
    let created = book_as_guest(&s.app, &booking(4, 12, Some("anna@example.com")), "ru").await;
    s.mail.wait_for(1).await;
    s.telegram.wait_for(1).await;
    cancel_as_guest(&s.app, &created).await;
    let mails = s.mail.wait_for(2).await;
    assert_eq!(mails.len(), 2);
    let cancelled = mails
        .iter()
        .find(|m| m["subject"].as_str().unwrap().contains("отменено"))
        .expect("a cancellation e-mail in Russian");
    assert!(
        cancelled["attachments"].is_null()
            || cancelled["attachments"].as_array().unwrap().is_empty()
    );
    let sent = s.telegram.wait_for(2).await;
    assert_eq!(sent.len(), 2);
    assert!(
        sent[1]["text"].as_str().unwrap().contains("Гость отменил"),
        "{}",
        sent[1]
    );
}

/// A new booking takes its event's id before its writes (its messages and
/// its event are written in the same call); the events made the ordinary
/// way before and after it (a cancellation) keep counting up past it.
async fn a_new_bookings_messages_carry_its_events_id(db: Db) {
    let s = studio(db, &[]).await;
    let created_event = async |booking: &Value| {
        let id = booking["id"].as_str().unwrap();
        s.app
            .scalar(&format!(
                "SELECT id FROM domain_events WHERE event_type = 'BookingCreated' AND aggregate_id = '{id}'"
            ))
            .await
    };
    let first = book_as_guest(&s.app, &booking(3, 12, Some("anna@example.com")), "en").await;
    let e1 = created_event(&first).await;
    let id1 = first["id"].as_str().unwrap();
    assert_eq!(
        outbox_count(
            &s.app,
            &format!(
                "booking_id = '{id1}' AND event_id = {e1} AND delivery_id IN ('{e1}-tg', '{e1}-mail')"
            )
        )
        .await,
        2,
        "the chat's and the guest's messages, under the event's id"
    );
    cancel_as_guest(&s.app, &first).await;
    let cancelled = s
        .app
        .scalar(&format!(
            "SELECT id FROM domain_events WHERE event_type = 'BookingStateChanged' AND aggregate_id = '{id1}'"
        ))
        .await;
    assert!(cancelled > e1, "{cancelled} after {e1}");
    let second = book_as_guest(&s.app, &booking(4, 12, None), "en").await;
    let e3 = created_event(&second).await;
    assert!(e3 > cancelled, "{e3} after {cancelled}");
    let id3 = second["id"].as_str().unwrap();
    assert_eq!(
        outbox_count(&s.app, &format!("booking_id = '{id3}' AND event_id = {e3}")).await,
        1,
        "no address, so only the chat's message"
    );
    assert_eq!(
        outbox_count(&s.app, &format!("booking_id = '{id3}'")).await,
        1
    );
}

async fn staff_bookings_mail_the_guest_but_do_not_tell_the_chat(db: Db) {
    let s = studio(db, &[]).await;
    let (status, body) = send(
        &s.app,
        Method::POST,
        Some(&s.token),
        "/api/v1/bookings",
        Some(json!({
            "space": "studio_a",
            "start_time": at(5, 12),
            "end_time": at(5, 14),
            "people_count": 2,
            "client_name": "Пётр Петров",
            "client_phone": "+7 900 765-43-21",
            "client_email": "petr@example.com",
            "source": "phone",
            "client_consent": true,
        })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let mails = s.mail.wait_for(1).await;
    assert_eq!(mails.len(), 1);
    // The confirmation went; the chat heard nothing of the employee's own booking.
    wait_until("the outbox to drain", async || {
        outbox_count(&s.app, "status = 'pending'").await == 0
    })
    .await;
    assert_eq!(outbox_count(&s.app, "channel = 'telegram'").await, 0);
    assert!(s.telegram.bodies().is_empty());
}

async fn a_guest_without_email_gets_none(db: Db) {
    let s = studio(db, &[]).await;
    book_as_guest(&s.app, &booking(3, 12, None), "ru").await;
    s.telegram.wait_for(1).await;
    assert_eq!(outbox_count(&s.app, "channel = 'email'").await, 0);
    assert!(s.mail.emails().await.is_empty());
    assert_eq!(outbox_count(&s.app, "status <> 'done'").await, 0);
}

async fn webhooks_are_signed_and_retried_with_one_delivery_id(db: Db) {
    let s = studio(db, &[]).await;
    let (receiver, url) = serve_fake("/hook").await;
    receiver.plan([failing(500), failing(503)]);
    let (status, hook) = send(
        &s.app,
        Method::POST,
        Some(&s.token),
        "/api/v1/webhooks",
        Some(json!({ "url": format!("{url}/hook"), "events": ["booking.created", "booking.state_changed"] })),
    )
    .await;
    assert_eq!(status, 201, "{hook}");
    let secret = hook["secret"]
        .as_str()
        .expect("the secret, once")
        .to_owned();
    let id = hook["id"].as_str().unwrap().to_owned();
    let (_, listed) = send(
        &s.app,
        Method::GET,
        Some(&s.token),
        "/api/v1/webhooks",
        None,
    )
    .await;
    assert!(
        listed[0].get("secret").is_none(),
        "never shown again: {listed}"
    );
    // Bad input: field errors.
    let (status, body) = send(
        &s.app,
        Method::POST,
        Some(&s.token),
        "/api/v1/webhooks",
        Some(json!({ "url": "ftp://x", "events": ["booking.exploded"] })),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        body["error"]["fields"]["url"].is_object() && body["error"]["fields"]["events"].is_object()
    );

    let created = book_as_guest(&s.app, &booking(3, 12, None), "ru").await;
    receiver.wait_for(3).await;
    let requests = receiver.requests();
    assert_eq!(requests.len(), 3, "two failures, then delivered");
    let delivery = requests[0].0["x-studio-delivery"]
        .to_str()
        .unwrap()
        .to_owned();
    for (headers, body) in &requests {
        assert_eq!(
            headers["x-studio-delivery"],
            delivery.as_str(),
            "a stable delivery id"
        );
        assert_eq!(headers["x-studio-event"], "booking.created");
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body);
        let expected: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            headers["x-studio-signature"].to_str().unwrap(),
            format!("sha256={expected}")
        );
        let v: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(v["booking_id"], created["id"]);
        assert_eq!(v["event"], "booking.created");
        assert!(v["event_id"].is_i64(), "{v}");
        assert!(
            !String::from_utf8_lossy(body).contains("Анна"),
            "no guest data in the event"
        );
    }
    wait_until("the attempts to be recorded", async || {
        outbox_count(&s.app, "status = 'done' AND channel = 'webhook'").await == 1
    })
    .await;
    let (status, attempts) = send(
        &s.app,
        Method::GET,
        Some(&s.token),
        &format!("/api/v1/webhooks/{id}/deliveries"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let codes: Vec<i64> = attempts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status_code"].as_i64().unwrap())
        .collect();
    assert_eq!(codes, vec![200, 503, 500], "newest first");

    // Switched off: no more deliveries.
    let (status, _) = send(
        &s.app,
        Method::PUT,
        Some(&s.token),
        &format!("/api/v1/webhooks/{id}"),
        Some(
            json!({ "url": format!("{url}/hook"), "events": ["booking.created"], "active": false }),
        ),
    )
    .await;
    assert_eq!(status, 200);
    book_as_guest(&s.app, &booking(4, 12, None), "ru").await;
    s.telegram.wait_for(2).await;
    assert_eq!(receiver.requests().len(), 3);
    let (status, _) = send(
        &s.app,
        Method::DELETE,
        Some(&s.token),
        &format!("/api/v1/webhooks/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 204);
}

async fn a_message_that_keeps_failing_goes_dead_until_retried(db: Db) {
    let s = studio(db, &[("STUDIO_OUTBOX_MAX_ATTEMPTS", "3")]).await;
    s.telegram.always(Some(failing(500)));
    book_as_guest(&s.app, &booking(3, 12, None), "ru").await;
    wait_until("the message to go dead", async || {
        outbox_count(&s.app, "status = 'dead'").await == 1
    })
    .await;
    assert_eq!(s.telegram.bodies().len(), 3, "three attempts, then dead");
    let health = s.app.get("/health/outbox").await;
    assert_eq!(health.status(), 200);
    let h: Value = health.json().await.unwrap();
    assert_eq!(h["dead"], 1);
    assert_eq!(h["backlog"], 0);
    let (status, dead) = send(
        &s.app,
        Method::GET,
        Some(&s.token),
        "/api/v1/outbox/dead",
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(dead[0]["channel"], "telegram");
    assert_eq!(dead[0]["last_status"], 500);
    // Telegram is back; "retry now" delivers it.
    s.telegram.always(None);
    let id = dead[0]["id"].as_i64().unwrap();
    let (status, _) = send(
        &s.app,
        Method::POST,
        Some(&s.token),
        &format!("/api/v1/outbox/{id}/retry"),
        None,
    )
    .await;
    assert_eq!(status, 202);
    wait_until("the retried message", async || {
        outbox_count(&s.app, "status = 'done'").await == 1
    })
    .await;
    assert_eq!(s.telegram.bodies().len(), 4);
    let (status, _) = send(
        &s.app,
        Method::POST,
        Some(&s.token),
        &format!("/api/v1/outbox/{id}/retry"),
        None,
    )
    .await;
    assert_eq!(status, 404, "only dead rows are retried");
    // A manager cannot see or retry dead letters.
    let audit = s
        .app
        .scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'delivery_retried'")
        .await;
    assert_eq!(audit, 1);
}

async fn telegram_rate_limits_are_honoured(db: Db) {
    let s = studio(db, &[]).await;
    s.telegram.plan([Answer {
        status: 429,
        body: json!({ "ok": false, "error_code": 429, "description": "Too Many Requests: retry after 2", "parameters": { "retry_after": 2 } }),
        delay: Duration::ZERO,
    }]);
    let started = Instant::now();
    book_as_guest(&s.app, &booking(3, 12, None), "ru").await;
    s.telegram.wait_for(2).await;
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "the second try waited for retry_after"
    );
    assert_eq!(outbox_count(&s.app, "status = 'done'").await, 1);
}

async fn a_slow_telegram_does_not_slow_bookings(db: Db) {
    let s = studio(db, &[]).await;
    s.telegram.always(Some(Answer {
        status: 200,
        body: json!({ "ok": true }),
        delay: Duration::from_secs(30),
    }));
    for i in 0..3 {
        let started = Instant::now();
        book_as_guest(&s.app, &booking(3 + i, 12, None), "ru").await;
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "a booking waits for no notification: {:?}",
            started.elapsed()
        );
    }
    // The messages wait (the client gives up after 10 s and retries) and
    // nothing is lost.
    assert_eq!(outbox_count(&s.app, "channel = 'telegram'").await, 3);
    assert_eq!(outbox_count(&s.app, "status = 'dead'").await, 0);
}

async fn one_reminder_for_bookings_made_early_enough(db: Db) {
    let s = studio(db, &[]).await;
    let (status, body) = send(
        &s.app,
        Method::PUT,
        Some(&s.token),
        "/api/v1/settings/notifications",
        Some(json!({ "reminder_hours": 72, "unpaid_cancel_hours": null, "telegram_events": ["booking_created"] })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["telegram_configured"], true);
    let early = book_as_guest(&s.app, &booking(2, 12, Some("early@example.com")), "ru").await;
    let late = book_as_guest(&s.app, &booking(2, 16, Some("late@example.com")), "ru").await;
    s.mail.wait_for(2).await;
    // The first was made four days before its start (as if), the second
    // just now: within the reminder window, so it gets none.
    s.app
        .exec(&format!(
            "UPDATE bookings SET created_at = created_at - 345600 WHERE id = '{}'",
            early["id"].as_str().unwrap()
        ))
        .await;
    let mails = s.mail.wait_for(3).await;
    // Several runs of the job later, still one reminder.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mails_after = s.mail.emails().await;
    assert_eq!(mails_after.len(), mails.len());
    let reminders: Vec<&Value> = mails_after
        .iter()
        .filter(|m| m["subject"].as_str().unwrap().starts_with("Напоминание"))
        .collect();
    assert_eq!(reminders.len(), 1, "exactly one reminder");
    assert_eq!(reminders[0]["to"][0]["address"], "early@example.com");
    assert!(late["id"].is_string());
    assert_eq!(outbox_count(&s.app, "kind = 'reminder'").await, 1);
}

async fn unpaid_bookings_are_cancelled_by_the_system(db: Db) {
    let s = studio(db, &[]).await;
    let (status, _) = send(
        &s.app,
        Method::PUT,
        Some(&s.token),
        "/api/v1/settings/notifications",
        Some(json!({ "reminder_hours": 0, "unpaid_cancel_hours": 2, "telegram_events": ["booking_created", "booking_cancelled"] })),
    )
    .await;
    assert_eq!(status, 200);
    let old = book_as_guest(&s.app, &booking(3, 12, Some("old@example.com")), "en").await;
    let fresh = book_as_guest(&s.app, &booking(3, 16, Some("fresh@example.com")), "en").await;
    s.mail.wait_for(2).await;
    let old_id = old["id"].as_str().unwrap();
    s.app
        .exec(&format!(
            "UPDATE bookings SET created_at = created_at - 10800 WHERE id = '{old_id}'"
        ))
        .await;
    wait_until("the unpaid booking to be cancelled", async || {
        s.app
            .scalar(&format!(
                "SELECT COUNT(*) FROM bookings WHERE id = '{old_id}' AND state = 'cancelled'"
            ))
            .await
            == 1
    })
    .await;
    let fresh_state = s
        .app
        .text(&format!(
            "SELECT state FROM bookings WHERE id = '{}'",
            fresh["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(fresh_state, "pending");
    let reason = s
        .app
        .text(&format!(
            "SELECT reason FROM booking_state_history WHERE booking_id = '{old_id}' AND to_state = 'cancelled'"
        ))
        .await;
    assert!(reason.contains("system"), "{reason}");
    let mails = s.mail.wait_for(3).await;
    assert!(mails
        .iter()
        .any(|m| m["to"][0]["address"] == "old@example.com"
            && m["subject"].as_str().unwrap().contains("cancelled")));
    let sent = s.telegram.wait_for(3).await;
    assert!(
        sent.iter()
            .any(|m| m["text"].as_str().unwrap().contains("Отменена системой")),
        "{sent:?}"
    );
}

// ---------- several instances, crashes, configuration ----------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_send_each_message_once() {
    common::within_time(async {
        let s = studio(Db::Postgres, &[]).await;
        // A second instance on the same database, with the same channels.
        let mut env = s.app.db.env();
        env.insert("STUDIO_SMTP_URL".into(), format!("smtp://127.0.0.1:{}", s.mail.smtp));
        env.insert("STUDIO_MAIL_FROM".into(), "Studio <studio@example.com>".into());
        for k in [
            "STUDIO_TELEGRAM_BOT_TOKEN",
            "STUDIO_TELEGRAM_CHAT_ID",
            "STUDIO_TELEGRAM_API_URL",
            "STUDIO_OUTBOX_POLL_MS",
            "STUDIO_JOBS_INTERVAL",
        ] {
            let v = s
                .app
                .state
                .notifier
                .telegram
                .as_ref()
                .map(|t| match k {
                    "STUDIO_TELEGRAM_BOT_TOKEN" => t.token.clone(),
                    "STUDIO_TELEGRAM_CHAT_ID" => t.chat_id.clone(),
                    "STUDIO_TELEGRAM_API_URL" => t.api_url.clone(),
                    "STUDIO_OUTBOX_POLL_MS" => "50".into(),
                    _ => "1".into(),
                })
                .unwrap();
            env.insert(k.into(), v);
        }
        let config = server::config::Config::from_lookup(|k| env.get(k).cloned()).unwrap();
        let second = server::Application::build(&config).await.unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let running = tokio::spawn(second.run_until(async move {
            let _ = stopped.await;
        }));
        let (status, _) = send(
            &s.app,
            Method::PUT,
            Some(&s.token),
            "/api/v1/settings/notifications",
            Some(json!({ "reminder_hours": 72, "unpaid_cancel_hours": null, "telegram_events": ["booking_created"] })),
        )
        .await;
        assert_eq!(status, 200);
        let mut ids = Vec::new();
        for i in 0..6 {
            let b = book_as_guest(&s.app, &booking(2 + i / 3, 10 + 3 * (i as u32 % 3), Some("guest@example.com")), "ru").await;
            ids.push(b["id"].as_str().unwrap().to_owned());
        }
        s.app
            .exec("UPDATE bookings SET created_at = created_at - 864000")
            .await;
        // Six confirmations, six staff messages; reminders for the ones
        // within 72 hours; each exactly once although both instances work.
        let within: i64 = s
            .app
            .scalar(&format!(
                "SELECT COUNT(*) FROM bookings WHERE starts_at <= {}",
                chrono::Utc::now().timestamp() + 72 * 3600
            ))
            .await;
        assert!(within > 0);
        let expected = 6 + usize::try_from(within).unwrap();
        s.mail.wait_for(expected).await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(s.mail.emails().await.len(), expected);
        assert_eq!(s.telegram.bodies().len(), 6);
        let _ = stop.send(());
        let _ = running.await;
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_message_is_lost_when_the_server_is_killed_before_delivery() {
    common::within_time(async {
        let db = common::TestDb::new(Db::Sqlite).await;
        let (telegram, tg_url) = fake_telegram().await;
        // The first process's delivery hangs: it is killed with the
        // message committed but not delivered.
        telegram.always(Some(Answer {
            status: 200,
            body: json!({ "ok": true }),
            delay: Duration::from_secs(60),
        }));
        let spawn = |port: u16| {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_server"));
            cmd.envs(db.env())
                .env("STUDIO_ADDR", format!("127.0.0.1:{port}"))
                .env("STUDIO_TELEGRAM_BOT_TOKEN", BOT_TOKEN)
                .env("STUDIO_TELEGRAM_CHAT_ID", "-100777")
                .env("STUDIO_TELEGRAM_API_URL", &tg_url)
                .env("STUDIO_OUTBOX_POLL_MS", "100")
                .env("STUDIO_OUTBOX_LEASE", "2")
                .env("STUDIO_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            cmd.spawn().expect("the server starts")
        };
        let port = free_port();
        let mut first = spawn(port);
        let client = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while client.get(format!("{base}/health")).send().await.is_err() {
            assert!(Instant::now() < deadline, "the server did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let res = client
            .post(format!("{base}/api/v1/public/bookings"))
            .json(&booking(3, 12, None))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        telegram.wait_for(1).await;
        first.kill().expect("kill -9");
        let _ = first.wait();
        assert_eq!(
            db.scalar("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
                .await,
            1,
            "committed, not delivered"
        );
        // Telegram answers again; a new process takes the row once its
        // lease has run out.
        telegram.always(None);
        let port = free_port();
        let mut second = spawn(port);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if db
                .scalar("SELECT COUNT(*) FROM outbox WHERE status = 'done'")
                .await
                == 1
            {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the message was not delivered after the restart"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert_eq!(telegram.bodies().len(), 2, "at least once: delivered again");
        let _ = second.kill();
        let _ = second.wait();
    })
    .await
}

#[test]
fn invalid_notification_settings_stop_the_server_with_one_line() {
    for (vars, name) in [
        (
            vec![("STUDIO_SMTP_URL", "smtp://127.0.0.1:2525")],
            "STUDIO_MAIL_FROM",
        ),
        (
            vec![
                ("STUDIO_SMTP_URL", "ftp://x"),
                ("STUDIO_MAIL_FROM", "a@b.c"),
            ],
            "STUDIO_SMTP_URL",
        ),
        (
            vec![("STUDIO_TELEGRAM_BOT_TOKEN", "123:abc")],
            "STUDIO_TELEGRAM_CHAT_ID",
        ),
        (
            vec![
                ("STUDIO_TELEGRAM_BOT_TOKEN", "not a token"),
                ("STUDIO_TELEGRAM_CHAT_ID", "-1"),
            ],
            "STUDIO_TELEGRAM_BOT_TOKEN",
        ),
        (
            vec![("STUDIO_PUBLIC_URL", "studio.example.com")],
            "STUDIO_PUBLIC_URL",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_server"))
            .arg("migrate")
            .env_clear()
            .env("STUDIO_DATA_DIR", dir.path())
            .envs(vars.iter().copied())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{vars:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(name), "{name}: {stderr}");
    }
}
