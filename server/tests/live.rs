//! `/ws`: booking changes pushed to staff screens, on both backends, and
//! across two server processes sharing one PostgreSQL database.

mod common;
use chrono::{Duration as Days, Utc};
use common::{Db, ServerProcess, TestDb};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::{
    net::SocketAddr,
    process::Command,
    time::{Duration, Instant},
};
use tokio::net::TcpStream;
use tokio_tungstenite::{
    connect_async,
    tungstenite::{client::IntoClientRequest, Error as WsError, Message},
    MaybeTlsStream, WebSocketStream,
};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;
const PASSWORD: &str = "north light over the river";

async fn open(
    addr: SocketAddr,
    query: &str,
    token: Option<&str>,
    origin: Option<&str>,
) -> Result<Socket, WsError> {
    let mut req = format!("ws://{addr}/ws{query}")
        .into_client_request()
        .unwrap();
    if let Some(t) = token {
        req.headers_mut()
            .insert("authorization", format!("Bearer {t}").parse().unwrap());
    }
    if let Some(o) = origin {
        req.headers_mut().insert("origin", o.parse().unwrap());
    }
    connect_async(req).await.map(|(ws, _)| ws)
}

/// The next event of `kind` about `booking_id`, or None after `wait`.
async fn next_event(
    ws: &mut Socket,
    kind: &str,
    booking_id: &str,
    wait: Duration,
) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.next()).await.ok()??;
        if let Ok(Message::Text(text)) = msg {
            let v: Value = serde_json::from_str(&text).unwrap();
            if v["booking_id"] == booking_id && v["type"] == kind {
                return Some(v);
            }
        }
    }
}

async fn guest_booking(base: &str, client: &reqwest::Client, day: i64, hour: u32) -> String {
    let date = (Utc::now() + Days::hours(3) + Days::days(day)).date_naive();
    let res = client
        .post(format!("{base}/api/v1/public/bookings"))
        .json(&json!({
            "space": "studio_a", "start_time": format!("{date}T{hour:02}:00:00+03:00"),
            "end_time": format!("{date}T{:02}:00:00+03:00", hour + 1), "people_count": 2,
            "client_name": "Guest", "client_phone": "+7 916 111 22 33", "consent": true
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    body["id"].as_str().unwrap().to_owned()
}

async fn confirm(base: &str, client: &reqwest::Client, token: &str, id: &str) {
    let res = client
        .post(format!("{base}/api/v1/bookings/{id}/state"))
        .bearer_auth(token)
        .json(&json!({ "target_state": "confirmed" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

both_backends! {
    async fn a_transition_reaches_a_websocket_client_within_a_second(app) {
        app.create_owner("owner", PASSWORD).await;
        let token = app.access_token("owner", PASSWORD).await;
        let base = app.url("");
        let id = guest_booking(&base, &app.client, 3, 10).await;
        let mut ws = open(app.addr, "", Some(&token), None).await.expect("socket");
        let sent = Instant::now();
        confirm(&base, &app.client, &token, &id).await;
        let event = next_event(&mut ws, "BookingStateChanged", &id, Duration::from_secs(1)).await.expect("the event within 1 s");
        assert!(sent.elapsed() < Duration::from_secs(1));
        assert_eq!(event["type"], "BookingStateChanged");
        assert_eq!(event["state"], "confirmed");
        assert_eq!(event["version"], 2);
        assert!(event["event_id"].as_i64().unwrap() > 0);
        assert!(!event["by"].as_str().unwrap().is_empty());
        assert!(event["at"].as_str().unwrap().ends_with('Z'));
        // Nothing personal travels on the feed.
        assert!(event.get("client_name").is_none() && event.get("client_phone").is_none());
        // A guest's new booking is pushed too.
        let other = guest_booking(&base, &app.client, 3, 14).await;
        let created = next_event(&mut ws, "BookingCreated", &other, Duration::from_secs(1)).await.expect("created");
        assert_eq!((created["type"].as_str(), created["state"].as_str()), (Some("BookingCreated"), Some("pending")));
        ws.close(None).await.ok();
    }

    async fn a_settings_change_is_not_pushed_the_booking_after_it_is(app) {
        app.create_owner("owner", PASSWORD).await;
        let token = app.access_token("owner", PASSWORD).await;
        let base = app.url("");
        let mut ws = open(app.addr, "", Some(&token), None).await.expect("socket");
        let settings: Value = app.client.get(format!("{base}/api/v1/settings")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        let mut changed = settings.clone();
        changed["buffer_minutes"] = json!(settings["buffer_minutes"].as_i64().unwrap() + 5);
        let res = app.client.put(format!("{base}/api/v1/settings")).bearer_auth(&token).json(&changed).send().await.unwrap();
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let id = guest_booking(&base, &app.client, 3, 10).await;
        // The booking's event is the first the socket hears: the settings'
        // event (written first) is not one the feed carries.
        let msg = tokio::time::timeout(Duration::from_secs(2), ws.next()).await.expect("a message").unwrap().unwrap();
        let Message::Text(text) = msg else { panic!("a text message: {msg:?}") };
        let first: Value = serde_json::from_str(&text).unwrap();
        assert_eq!((first["type"].as_str(), first["booking_id"].as_str()), (Some("BookingCreated"), Some(id.as_str())), "{first}");
        ws.close(None).await.ok();
    }

    async fn the_socket_is_for_signed_in_staff_of_this_site(app) {
        app.create_owner("owner", PASSWORD).await;
        let token = app.access_token("owner", PASSWORD).await;
        match open(app.addr, "", None, None).await {
            Err(WsError::Http(res)) => assert_eq!(res.status(), 401),
            other => panic!("expected 401, got {other:?}"),
        }
        match open(app.addr, "", Some("forged"), None).await {
            Err(WsError::Http(res)) => assert_eq!(res.status(), 401),
            other => panic!("expected 401, got {other:?}"),
        }
        match open(app.addr, "", Some(&token), Some("https://evil.example")).await {
            Err(WsError::Http(res)) => assert_eq!(res.status(), 403),
            other => panic!("expected 403, got {other:?}"),
        }
        let same_site = format!("http://{}", app.addr);
        assert!(open(app.addr, "", Some(&token), Some(&same_site)).await.is_ok());
        // A plain GET is not an upgrade.
        let res = app.client.get(app.url("/ws")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(res.status(), 400);
    }

    async fn a_client_that_missed_too_much_is_told_to_reload(app) {
        app.create_owner("owner", PASSWORD).await;
        let token = app.access_token("owner", PASSWORD).await;
        let seen = app.scalar("SELECT COALESCE(MAX(id), 0) FROM domain_events").await;
        // More changes than a reconnect replays (1,000), made directly.
        let values: Vec<String> = (0..1001)
            .map(|i| format!("('BookingStateChanged', 'booking', 'b{i}', '{{}}', NULL, 1)"))
            .collect();
        app.exec(&format!(
            "INSERT INTO domain_events (event_type, aggregate_type, aggregate_id, payload, actor, created_at) VALUES {}",
            values.join(", ")
        ))
        .await;
        let mut ws = open(app.addr, &format!("?since={seen}"), Some(&token), None).await.expect("socket");
        let first = tokio::time::timeout(Duration::from_secs(5), ws.next()).await.expect("a message").expect("open").unwrap();
        let Message::Text(text) = first else { panic!("{first:?}") };
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["type"], "resync", "not a thousand replays: {v}");
    }

    async fn a_disabled_employees_open_socket_is_closed_at_once(app) {
        app.create_owner("owner", PASSWORD).await;
        let owner = app.access_token("owner", PASSWORD).await;
        let res = app.client.post(app.url("/api/v1/employees")).bearer_auth(&owner)
            .json(&json!({"username": "maria", "email": "maria@studio.ru", "full_name": "Maria", "role": "manager"}))
            .send().await.unwrap();
        let body: Value = res.json().await.unwrap();
        let id = body["employee"]["id"].as_str().unwrap().to_owned();
        let temporary = body["temporary_password"].as_str().unwrap().to_owned();
        let first = app.access_token("maria", &temporary).await;
        let res = app.client.post(app.url("/api/v1/auth/password")).bearer_auth(&first)
            .json(&json!({"current_password": temporary, "new_password": "a passphrase of her very own"}))
            .send().await.unwrap();
        assert_eq!(res.status(), 204);
        let manager = app.access_token("maria", "a passphrase of her very own").await;
        let mut ws = open(app.addr, "", Some(&manager), None).await.expect("socket");
        let res = app.client.put(app.url(&format!("/api/v1/employees/{id}"))).bearer_auth(&owner)
            .json(&json!({"active": false})).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let closed = tokio::time::timeout(Duration::from_secs(3), async {
            loop {
                match ws.next().await {
                    Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                    Some(Ok(_)) => continue,
                    _ => return None,
                }
            }
        })
        .await
        .expect("closed within seconds, not at the next minute");
        assert_eq!(closed, Some(4401));
    }

    async fn a_reconnecting_client_gets_what_it_missed(app) {
        app.create_owner("owner", PASSWORD).await;
        let token = app.access_token("owner", PASSWORD).await;
        let base = app.url("");
        let id = guest_booking(&base, &app.client, 4, 10).await;
        let seen = app.scalar("SELECT MAX(id) FROM domain_events").await;
        // Changes while the client is away.
        confirm(&base, &app.client, &token, &id).await;
        let res = app.client.post(app.url(&format!("/api/v1/bookings/{id}/state"))).bearer_auth(&token)
            .json(&json!({"target_state": "in_progress"})).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let mut ws = open(app.addr, &format!("?since={seen}"), Some(&token), None).await.expect("socket");
        let first = next_event(&mut ws, "BookingStateChanged", &id, Duration::from_secs(2)).await.expect("missed event 1");
        let second = next_event(&mut ws, "BookingStateChanged", &id, Duration::from_secs(2)).await.expect("missed event 2");
        assert_eq!((first["state"].as_str(), second["state"].as_str()), (Some("confirmed"), Some("in_progress")));
        assert!(second["event_id"].as_i64() > first["event_id"].as_i64());
        ws.send(Message::Close(None)).await.ok();
    }
}

/// Two server processes on one new PostgreSQL database, and an owner's
/// token (dropped in reverse: the processes stop before the database goes).
async fn two_processes() -> (TestDb, ServerProcess, ServerProcess, String) {
    let db = TestDb::new(Db::Postgres).await;
    let env = db.env();
    let a = ServerProcess::start(&env).await;
    let b = ServerProcess::start(&env).await;
    let token = common::owner_token(&env, a.addr, PASSWORD).await;
    (db, a, b, token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_server_processes_on_one_postgres_push_each_others_changes() {
    common::within_time(async {
        let (_db, process_a, process_b, token) = two_processes().await;
        let client = reqwest::Client::new();
        let (a, b) = (process_a.addr, process_b.addr);
        let app_a = format!("http://{a}");
        let id = guest_booking(&app_a, &client, 5, 10).await;
        // Listening on B; changing through A.
        let mut ws = open(b, "", Some(&token), None).await.expect("socket on B");
        let sent = Instant::now();
        confirm(&app_a, &client, &token, &id).await;
        let event = next_event(&mut ws, "BookingStateChanged", &id, Duration::from_secs(5))
            .await
            .expect("B pushes the change made through A");
        assert_eq!(event["state"], "confirmed");
        assert!(
            sent.elapsed() < Duration::from_secs(1),
            "{:?}",
            sent.elapsed()
        );
        // And the other way round.
        let mut ws_a = open(a, "", Some(&token), None).await.expect("socket on A");
        let res = client
            .post(format!("http://{b}/api/v1/bookings/{id}/state"))
            .bearer_auth(&token)
            .json(&json!({"target_state": "in_progress"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        // A's relay hears its own confirmation through PostgreSQL too, and
        // may publish it after this socket opened: skip to B's change.
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let event = next_event(&mut ws_a, "BookingStateChanged", &id, left)
                .await
                .expect("A hears B");
            if event["state"] == "in_progress" {
                break;
            }
            assert_eq!(event["state"], "confirmed", "{event}");
        }
    })
    .await
}

/// Changes committed together through one process are announced together
/// (one notification carries the ids committed while the one before it
/// was on its way): every one of them reaches the other process's screens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_committed_at_once_all_reach_the_other_process() {
    common::within_time(async {
        let (_db, process_a, process_b, token) = two_processes().await;
        let client = reqwest::Client::new();
        let app_a = format!("http://{}", process_a.addr);
        let mut ws = open(process_b.addr, "", Some(&token), None)
            .await
            .expect("socket on B");
        let made: Vec<_> = (0..24u32)
            .map(|i| {
                let (app_a, client) = (app_a.clone(), client.clone());
                tokio::spawn(async move {
                    guest_booking(&app_a, &client, 3 + i64::from(i / 8), 9 + i % 8).await
                })
            })
            .collect();
        let mut ids = std::collections::HashSet::new();
        for m in made {
            ids.insert(m.await.unwrap());
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !ids.is_empty() {
            let msg = tokio::time::timeout_at(deadline, ws.next())
                .await
                .unwrap_or_else(|_| panic!("B never pushed {} of the bookings", ids.len()))
                .expect("the socket stays open")
                .unwrap();
            if let Message::Text(text) = msg {
                let v: Value = serde_json::from_str(&text).unwrap();
                if v["type"] == "BookingCreated" {
                    ids.remove(v["booking_id"].as_str().unwrap_or(""));
                }
            }
        }
    })
    .await
}

/// SIGTERM (what `docker stop` sends): open screens are told to reconnect
/// (close code 1012, "service restart") and the process exits cleanly
/// within ten seconds, live sockets notwithstanding.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_tells_open_screens_to_reconnect_and_exits_within_ten_seconds() {
    common::within_time(async {
        let db = TestDb::new(Db::Sqlite).await;
        let client = reqwest::Client::new();
        let mut process = ServerProcess::start(&db.env()).await;
        let addr = process.addr;
        let token = common::owner_token(&db.env(), addr, PASSWORD).await;
        let mut ws = open(addr, "", Some(&token), None).await.expect("socket");
        let mut other = open(addr, "", Some(&token), None)
            .await
            .expect("second socket");
        let signalled = Instant::now();
        let sent = Command::new("kill")
            .args(["-TERM", &process.child.id().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(sent.success());
        for socket in [&mut ws, &mut other] {
            let code = tokio::time::timeout(Duration::from_secs(5), async {
                loop {
                    match socket.next().await {
                        Some(Ok(Message::Close(Some(frame)))) => {
                            return Some(u16::from(frame.code))
                        }
                        Some(Ok(_)) => continue,
                        _ => return None,
                    }
                }
            })
            .await
            .expect("the socket was closed at shutdown");
            assert_eq!(code, Some(1012), "close code");
        }
        let status = loop {
            if let Some(status) = process.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                signalled.elapsed() < Duration::from_secs(10),
                "the server did not exit within 10 s of SIGTERM"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert!(status.success(), "{status}");
        // New connections are refused once it is gone.
        assert!(client
            .get(format!("http://{addr}/health"))
            .send()
            .await
            .is_err());
    })
    .await
}

/// The relay's read of the events a notification names is planned with
/// the ids at hand every time. Kept as a prepared statement, it would get
/// one plan per connection, made from the statistics of that moment (a
/// scan of the whole table when the table was young, as under the load
/// test), and keep it for as long as the connection lives.
#[tokio::test]
async fn the_relays_read_of_announced_events_is_planned_with_its_ids() {
    common::within_time(async {
        let db = TestDb::new(Db::Postgres).await;
        let store = app::server::Store::connect(&db.url, 1).await.unwrap();
        store.migrate().await.unwrap();
        // One connection: the statements it keeps are the ones listed.
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect(&db.url)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO domain_events (event_type, aggregate_type, aggregate_id, payload, actor, created_at) \
             SELECT CASE WHEN i % 2 = 0 THEN 'BookingCreated' ELSE 'SettingsChanged' END, \
                    CASE WHEN i % 2 = 0 THEN 'booking' ELSE 'settings' END, 'b' || i, '{}', NULL, 0 \
             FROM generate_series(1, 20) i",
        )
        .persistent(false)
        .execute(&pool)
        .await
        .unwrap();
        let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM domain_events ORDER BY id")
            .persistent(false)
            .fetch_all(&pool)
            .await
            .unwrap();
        // More reads than PostgreSQL's five before it settles on a plan
        // for any values; asked newest first, answered oldest first, the
        // settings events left out.
        let asked: Vec<i64> = ids[..6].iter().rev().copied().collect();
        for _ in 0..8 {
            let events = app::server::live::announced(&pool, &asked).await.unwrap();
            let got: Vec<&str> = events.iter().map(|e| e.booking_id.as_str()).collect();
            assert_eq!(got, ["b2", "b4", "b6"]);
        }
        let kept: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_prepared_statements WHERE statement LIKE '%domain_events%'",
        )
        .persistent(false)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(kept, 0, "the read is kept as a prepared statement");
        pool.close().await;
        store.close().await;
    })
    .await;
}
