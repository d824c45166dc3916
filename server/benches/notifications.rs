//! Notifications benchmark: booking creation with every channel on (a real
//! SMTP server, a fake Telegram Bot API and a webhook receiver, all on
//! loopback) against the same studio with notifications off, and the time
//! until the messages of 1,000 bookings are all delivered.
//!
//! Two studios run side by side and bookings alternate between them, so
//! both see the same machine. SQLite by default;
//! `BENCH_DATABASE_URL=postgres://… cargo bench -p server --bench notifications`
//! for PostgreSQL. Needs maildev from end2end's npm packages (`make test`
//! installs them).

#[path = "../tests/common/maildev.rs"]
mod maildev;
#[path = "support/seed.rs"]
mod seed;
use app::{
    domain::booking::GuestBookingRequest,
    server::{
        bookings::{self, RequestMeta},
        AppState,
    },
};
use axum::{routing::post, Router};
use chrono::Duration;
use maildev::Maildev;
use seed::{bench_config, BenchDb};
use server::Application;
use sqlx::Connection;
use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Instant,
};

const BOOKINGS: usize = 1000;

/// Counts POSTs to any path; answers like Telegram does. It stands for a
/// service elsewhere, so it runs on a thread and runtime of its own, not on
/// the runtime whose booking latency is measured.
async fn counting_receiver(count: Arc<AtomicUsize>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let app = Router::new().fallback(post(move || {
                let count = count.clone();
                async move {
                    count.fetch_add(1, Ordering::SeqCst);
                    axum::Json(serde_json::json!({ "ok": true, "result": { "message_id": 1 } }))
                }
            }));
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let _ = axum::serve(listener, app).await;
        });
    });
    format!("http://{addr}")
}

struct Studio {
    state: AppState,
    url: String,
    _dir: tempfile::TempDir,
    db: BenchDb,
}

async fn studio(extra: &[(&str, String)]) -> Studio {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = BenchDb::create(dir.path(), "n").await;
    let url = db.url.clone();
    let mut settings = vec![("STUDIO_OUTBOX_POLL_MS", "200")];
    settings.extend(extra.iter().map(|(k, v)| (*k, v.as_str())));
    let config = bench_config(&url, dir.path(), &settings);
    let app = Application::build(&config).await.expect("server");
    let state = app.state().clone();
    tokio::spawn(app.run_until(std::future::pending()));
    // Bookings may be made 200 days ahead.
    exec(&url, "UPDATE studio_settings SET horizon_days = 200").await;
    state.rules_cache.invalidate();
    Studio {
        state,
        url,
        _dir: dir,
        db,
    }
}

async fn exec(url: &str, sql: &str) {
    if url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(url).await.expect("connect");
        sqlx::raw_sql(sql).execute(&mut c).await.expect(sql);
    } else {
        let mut c = sqlx::SqliteConnection::connect(url).await.expect("connect");
        sqlx::raw_sql(sql).execute(&mut c).await.expect(sql);
    }
}

async fn scalar(url: &str, sql: &str) -> i64 {
    if url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(url).await.expect("connect");
        sqlx::query_scalar(sql).fetch_one(&mut c).await.expect(sql)
    } else {
        let mut c = sqlx::SqliteConnection::connect(url).await.expect("connect");
        sqlx::query_scalar(sql).fetch_one(&mut c).await.expect(sql)
    }
}

fn request(i: usize) -> GuestBookingRequest {
    let today = (chrono::Utc::now() + Duration::hours(3)).date_naive();
    // Two spaces, twelve hours a day: 24 bookings a day from tomorrow.
    let date = today + Duration::days(1 + (i / 24) as i64);
    let space = if i.is_multiple_of(2) {
        "studio_a"
    } else {
        "studio_b"
    };
    let hour = 9 + (i % 24) / 2;
    serde_json::from_value(serde_json::json!({
        "space": space,
        "start_time": format!("{date}T{hour:02}:00:00+03:00"),
        "end_time": format!("{date}T{:02}:00:00+03:00", hour + 1),
        "people_count": 2,
        "client_name": "Bench Guest",
        "client_phone": "+7 916 555 01 23",
        "client_email": format!("guest{i}@example.com"),
        "consent": true,
    }))
    .expect("a booking request")
}

fn summary(name: &str, mut ms: Vec<f64>) -> f64 {
    ms.sort_by(f64::total_cmp);
    let n = ms.len();
    let mean = ms.iter().sum::<f64>() / n as f64;
    let pct = |p: f64| ms[((n as f64 * p) as usize).min(n - 1)];
    println!(
        "| {name:<32} | {n:>5} | {mean:>7.3} | {:>7.3} | {:>7.3} | {:>7.3} |",
        pct(0.5),
        pct(0.95),
        pct(0.99)
    );
    mean
}

#[tokio::main]
async fn main() {
    // The SMTP server stands for one on another machine: at the lowest
    // priority it does not take the cores from the measured bookings
    // (BENCH_SMTP_NICE=0 runs it at the same priority, sharing them).
    let nice: u8 = std::env::var("BENCH_SMTP_NICE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(19);
    let maildev = Maildev::start_niced(nice).await;
    let smtp = maildev.smtp;
    let telegram_count = Arc::new(AtomicUsize::new(0));
    let telegram = counting_receiver(telegram_count.clone()).await;
    let hook_count = Arc::new(AtomicUsize::new(0));
    let hook = counting_receiver(hook_count.clone()).await;

    let off = studio(&[]).await;
    let on = studio(&[
        ("STUDIO_SMTP_URL", format!("smtp://127.0.0.1:{smtp}")),
        ("STUDIO_MAIL_FROM", "Studio <studio@example.com>".into()),
        ("STUDIO_TELEGRAM_BOT_TOKEN", "123456:BENCH-token".into()),
        ("STUDIO_TELEGRAM_CHAT_ID", "-100900".into()),
        ("STUDIO_TELEGRAM_API_URL", telegram),
    ])
    .await;
    exec(
        &on.url,
        &format!(
            "INSERT INTO webhooks (id, url, events, active, secret, created_at, updated_at) \
             VALUES ('bench', '{hook}/hook', '[\"booking.created\"]', TRUE, 'whsec_bench', 0, 0)"
        ),
    )
    .await;
    let backend = on.state.store.backend().name();
    let meta = RequestMeta::default();

    // Warm-up on both.
    for (k, s) in [&off, &on].into_iter().enumerate() {
        for i in 0..10 {
            bookings::create_guest_booking(
                &s.state,
                &request(BOOKINGS + 24 * 10 + i * 2 + k),
                &meta,
            )
            .await
            .expect("warm-up booking");
        }
    }
    let warm_mails = 10;
    let (mut t_off, mut t_on) = (Vec::new(), Vec::new());
    let first = Instant::now();
    for i in 0..BOOKINGS {
        for (s, samples) in [(&off, &mut t_off), (&on, &mut t_on)] {
            let t = Instant::now();
            bookings::create_guest_booking(&s.state, &request(i), &meta)
                .await
                .expect("booking");
            samples.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    let booked_in = first.elapsed();
    println!(
        "backend: {backend}; {BOOKINGS} bookings per studio, alternating; SMTP server at nice {nice}"
    );
    println!(
        "| {:<32} | {:>5} | {:>7} | {:>7} | {:>7} | {:>7} |",
        "booking creation (ms)", "n", "mean", "p50", "p95", "p99"
    );
    println!(
        "|{:-<34}|{:->7}|{:->9}|{:->9}|{:->9}|{:->9}|",
        "", "", "", "", "", ""
    );
    let m_off = summary("notifications off", t_off);
    let m_on = summary("notifications on (3 channels)", t_on);
    println!("on / off: {:.3}", m_on / m_off);

    // Every message of the 1,000 bookings (and the warm-up) delivered.
    let expected = BOOKINGS + warm_mails;
    loop {
        let pending = scalar(
            &on.url,
            "SELECT COUNT(*) FROM outbox WHERE status <> 'done'",
        )
        .await;
        if pending == 0 {
            break;
        }
        assert!(
            first.elapsed().as_secs() < 600,
            "{pending} messages still undelivered after 10 minutes"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let all_delivered = first.elapsed();
    let mails = maildev.emails().await;
    assert_eq!(mails.len(), expected, "one confirmation per booking");
    assert_eq!(telegram_count.load(Ordering::SeqCst), expected);
    assert_eq!(hook_count.load(Ordering::SeqCst), expected);
    let dead = scalar(&on.url, "SELECT COUNT(*) FROM outbox WHERE status = 'dead'").await;
    assert_eq!(dead, 0);
    println!(
        "{} messages ({expected} e-mails, {expected} Telegram, {expected} webhooks) of {expected} bookings: \
         all delivered {:.1} s after the first booking (bookings took {:.1} s)",
        3 * expected,
        all_delivered.as_secs_f64(),
        booked_in.as_secs_f64()
    );
    for s in [off, on] {
        s.state.store.close().await;
        s.db.drop().await;
    }
    drop(maildev);
}
