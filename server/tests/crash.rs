//! Crash safety: the server process is killed (`kill -9`) while 200 guest
//! bookings arrive at once; after a restart every booking that was
//! acknowledged with 201 is in the database, whole, and none is there twice.

mod common;
use common::{at, Db, ServerProcess, TestDb};
use serde_json::{json, Value};
use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

async fn killed_under_write_load(db: Db) {
    let db = TestDb::new(db).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let mut env = db.env();
    env.insert("STUDIO_DB_MAX_CONNECTIONS".into(), "10".into());
    let mut process = ServerProcess::start(&env).await;
    let addr = process.addr;
    let answered = Arc::new(AtomicUsize::new(0));
    let requests: Vec<_> = (0..200u32)
        .map(|i| {
            let client = client.clone();
            let answered = answered.clone();
            tokio::spawn(async move {
                // Two spaces, twelve hours a day: every request its own slot.
                let day = 2 + i64::from(i / 24);
                let hour = 9 + (i % 24) / 2;
                let space = if i % 2 == 0 { "studio_a" } else { "studio_b" };
                let res = client
                    .post(format!("http://{addr}/api/v1/public/bookings"))
                    .json(&json!({
                        "space": space, "start_time": at(day, hour), "end_time": at(day, hour + 1),
                        "people_count": 1, "client_name": format!("Crash Guest {i}"),
                        "client_phone": format!("+7 916 700 {:02} {:02}", i / 100, i % 100),
                        "consent": true
                    }))
                    .send()
                    .await;
                let acknowledged = match res {
                    Ok(r) if r.status() == 201 => r
                        .json::<Value>()
                        .await
                        .ok()
                        .and_then(|b| b["id"].as_str().map(str::to_owned)),
                    _ => None,
                };
                answered.fetch_add(1, Ordering::SeqCst);
                acknowledged
            })
        })
        .collect();
    // Killed in the middle: some bookings answered, others in flight.
    for _ in 0..400 {
        if answered.load(Ordering::SeqCst) >= 40 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    process.child.kill().expect("kill -9");
    process.child.wait().expect("reaped");
    let mut acknowledged = Vec::new();
    for r in requests {
        if let Some(id) = r.await.unwrap() {
            acknowledged.push(id);
        }
    }
    assert!(
        !acknowledged.is_empty(),
        "no booking was acknowledged before the kill"
    );
    assert!(
        acknowledged.len() < 200,
        "every booking finished before the kill: the test proved nothing"
    );

    // The server starts again on the same database (recovery included) …
    let _again = ServerProcess::start(&env).await;
    // … and every acknowledged booking is there, once, with what its
    // transaction wrote.
    for id in &acknowledged {
        let n = db
            .scalar(&format!(
                "SELECT COUNT(*) FROM bookings b WHERE b.id = '{id}' \
                 AND EXISTS (SELECT 1 FROM consent_records c WHERE c.booking_id = b.id) \
                 AND EXISTS (SELECT 1 FROM booking_state_history h WHERE h.booking_id = b.id)"
            ))
            .await;
        assert_eq!(n, 1, "acknowledged booking {id} is missing or incomplete");
    }
    let total = db.scalar("SELECT COUNT(*) FROM bookings").await;
    let distinct = db
        .scalar("SELECT COUNT(DISTINCT client_phone_bidx) FROM bookings")
        .await;
    assert_eq!(total, distinct, "a request was stored twice");
    assert!(total >= acknowledged.len() as i64);
    // Nothing half-written: every stored booking is whole.
    let torn = db
        .scalar(
            "SELECT COUNT(*) FROM bookings b WHERE NOT EXISTS \
             (SELECT 1 FROM consent_records c WHERE c.booking_id = b.id)",
        )
        .await;
    assert_eq!(torn, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_write_load_loses_no_acknowledged_booking_on_sqlite() {
    common::within_time(killed_under_write_load(Db::Sqlite)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_write_load_loses_no_acknowledged_booking_on_postgres() {
    common::within_time(killed_under_write_load(Db::Postgres)).await
}
