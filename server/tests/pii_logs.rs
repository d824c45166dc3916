//! Guests' personal data never reaches the logs: the real server binary,
//! logging at debug level in JSON, goes through the booking journeys (guest
//! API and form, refused input, staff booking, edit, search, client base,
//! notes, export, erasure, manage page, data request) and its whole output
//! is searched for the guests' names, phones and e-mails.

mod common;
use common::{at, send_url, ServerProcess, TestDb};
use reqwest::Method;
use serde_json::json;

const NAME: &str = "Евлампия Логотестова";
const PHONE: &str = "+7 916 313-13-13";
const E164: &str = "+79163131313";
const EMAIL: &str = "evlampia.logtest@example.org";
const STAFF_NAME: &str = "Philippa Logwatcher";
const STAFF_PHONE: &str = "8 903 646 46 46";
const STAFF_EMAIL: &str = "philippa.logwatch@example.net";

async fn journeys(db: common::Db) {
    let test_db = TestDb::new(db).await;
    let logs = test_db.dir.path().join("server.log");
    let mut env = test_db.env();
    env.insert("STUDIO_LOG_FORMAT".into(), "json".into());
    let process = ServerProcess::start_logging(&env, "debug", Some(&logs)).await;
    let addr = process.addr;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = |p: &str| format!("http://{addr}{p}");
    let token = common::owner_token(&test_db.env(), addr, "north light over the river").await;
    macro_rules! call {
        ($m:expr, $p:expr, $t:expr, $b:expr $(,)?) => {
            send_url(&client, $m, url($p), $t, $b)
        };
    }

    // Guest, refused first (an invalid e-mail, a taken name), then booked.
    let guest = json!({
        "space": "studio_a", "start_time": at(3, 12), "end_time": at(3, 14), "people_count": 2,
        "client_name": NAME, "client_phone": PHONE, "client_email": format!("{NAME} <not an address>"), "consent": true
    });
    let (status, body) = call!(
        Method::POST,
        "/api/v1/public/bookings",
        None,
        Some(guest.clone()),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        !body.to_string().contains(NAME),
        "an error does not echo personal data: {body}"
    );
    let mut ok = guest.clone();
    ok["client_email"] = json!(EMAIL);
    let (status, booked) = call!(
        Method::POST,
        "/api/v1/public/bookings",
        None,
        Some(ok.clone()),
    )
    .await;
    assert_eq!(status, 201, "{booked}");
    let (status, taken) = call!(Method::POST, "/api/v1/public/bookings", None, Some(ok)).await;
    assert_eq!(status, 409, "{taken}");
    // The same guest through the form.
    let date = common::date_ahead(4).to_string();
    let res = client
        .post(url("/book/studio_a"))
        .form(&[
            ("date", date.as_str()),
            ("start", &at(4, 12)),
            ("hours", "1"),
            ("people_count", "1"),
            ("client_name", NAME),
            ("client_phone", PHONE),
            ("client_email", EMAIL),
            ("special_requirements", ""),
            ("promo_code", ""),
            ("website", ""),
            ("consent", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let manage = res.headers()["location"]
        .to_str()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(client.get(url(&manage)).send().await.unwrap().status(), 200);
    let res = client
        .post(url(&format!("{manage}/data-request")))
        .form(&[("kind", "export")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);

    // Staff: a phone booking, an edit, searches, the client, notes, export, erasure.
    let (status, staff) = call!(
        Method::POST,
        "/api/v1/bookings",
        Some(&token),
        Some(json!({
            "space": "studio_b", "start_time": at(5, 12), "end_time": at(5, 13), "people_count": 1,
            "client_name": STAFF_NAME, "client_phone": STAFF_PHONE, "client_email": STAFF_EMAIL,
            "source": "phone", "client_consent": true
        })),
    )
    .await;
    assert_eq!(status, 201, "{staff}");
    let id = staff["id"].as_str().unwrap();
    let (status, edited) = call!(Method::PUT, &format!("/api/v1/bookings/{id}"), Some(&token), Some(json!({
        "version": staff["version"], "client_name": format!("{STAFF_NAME} Jr"), "client_phone": "not a phone"
    }))).await;
    assert_eq!(status, 422, "{edited}");
    let (status, _) = call!(
        Method::PUT,
        &format!("/api/v1/bookings/{id}"),
        Some(&token),
        Some(json!({
            "version": staff["version"], "client_name": format!("{STAFF_NAME} Jr")
        })),
    )
    .await;
    assert_eq!(status, 200);
    for q in [E164, "логотест", EMAIL, "philippa"] {
        let path = format!("/api/v1/bookings?q={}", q.replace('+', "%2B"));
        assert_eq!(call!(Method::GET, &path, Some(&token), None).await.0, 200);
        let path = format!("/api/v1/clients?q={}", q.replace('+', "%2B"));
        assert_eq!(call!(Method::GET, &path, Some(&token), None).await.0, 200);
    }
    assert_eq!(
        call!(
            Method::GET,
            &format!("/api/v1/clients/{E164}"),
            Some(&token),
            None
        )
        .await
        .0,
        200
    );
    assert_eq!(
        call!(
            Method::PUT,
            &format!("/api/v1/clients/{E164}/notes"),
            Some(&token),
            Some(json!({"notes": "calls in the evening"}))
        )
        .await
        .0,
        200
    );
    assert_eq!(
        call!(
            Method::GET,
            &format!("/api/v1/clients/{E164}/export?reason=subject%20request"),
            Some(&token),
            None
        )
        .await
        .0,
        200
    );
    assert_eq!(
        call!(Method::GET, "/api/v1/data-requests", Some(&token), None)
            .await
            .0,
        200
    );
    assert_eq!(
        call!(
            Method::POST,
            &format!("/api/v1/clients/{E164}/erase"),
            Some(&token),
            Some(json!({"reason": "subject request"}))
        )
        .await
        .0,
        200
    );
    drop(process);

    let output = std::fs::read_to_string(&logs).unwrap();
    assert!(
        output.contains("booking created"),
        "the log was captured: {} bytes",
        output.len()
    );
    let digits = E164.trim_start_matches('+');
    for needle in [
        NAME,
        "Евлампия",
        "Логотестова",
        PHONE,
        E164,
        digits,
        &digits[1..],
        EMAIL,
        "evlampia",
        STAFF_NAME,
        "Logwatcher",
        STAFF_PHONE,
        "79036464646",
        STAFF_EMAIL,
        "philippa.logwatch",
    ] {
        assert!(
            !output.contains(needle),
            "{needle:?} is in the server's log output"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guest_personal_data_never_reaches_the_logs_sqlite() {
    common::within_time(journeys(common::Db::Sqlite)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guest_personal_data_never_reaches_the_logs_postgres() {
    common::within_time(journeys(common::Db::Postgres)).await
}
