//! Analytics with three years of bookings: eight spaces, eleven bookings
//! per space and day for 1,095 days (~96,000 bookings, mixed states and
//! sources). Times the full rollup rebuild once, then a year's summary as
//! the service call and over HTTP, and the page data (summary, previous
//! period, a year before, heat map, promo codes, equipment, top clients).
//! `cargo bench -p server --bench analytics` (SQLite) or with
//! `BENCH_DATABASE_URL=postgres://…` (PostgreSQL). Numbers go in the README.

use app::{
    domain::analytics::{AnalyticsQuery, PeriodKind},
    server::{analytics, credentials::Principal},
};
use chrono::{Duration, NaiveDate, Utc};
use server::Application;
use std::time::Instant;

#[path = "support/seed.rs"]
mod seed;
use seed::{bench_config, load, BenchDb};

const SPACES: usize = 8;
const PER_DAY: i64 = 11;
const DAYS: i64 = 1095;

fn today() -> NaiveDate {
    (Utc::now() + Duration::hours(3)).date_naive()
}

async fn seed_three_years(url: &str) -> usize {
    let now = Utc::now().timestamp();
    let mut batches = vec![String::from("BEGIN;\n")];
    for s in 2..SPACES {
        batches[0].push_str(&format!(
            "INSERT INTO spaces (id, slug, name, details, capacity, hourly_price, included_people, \
             extra_person_price, active, sort_order, created_at, updated_at) VALUES \
             ('bench-space-{s}', 'studio_{s}', 'Studio {s}', '{{}}', 8, 200000, 4, 20000, TRUE, {s}, {now}, {now});\n"
        ));
    }
    batches[0].push_str("COMMIT;\n");
    let mut rows = 0usize;
    let mut inserts = Vec::new();
    let states = [
        "completed",
        "completed",
        "completed",
        "completed",
        "cancelled",
        "no_show",
        "completed",
    ];
    let sources = ["website", "website", "phone", "walk_in", "staff"];
    for day in -DAYS..0 {
        let date = today() + Duration::days(day);
        let base = date.and_hms_opt(6, 0, 0).unwrap().and_utc().timestamp();
        for space in 0..SPACES {
            for h in 0..PER_DAY {
                rows += 1;
                let start = base + h * 3600;
                let state = states[rows % states.len()];
                inserts.push(format!(
                    "('bench-{rows}', 'REF-BENCH-{rows}', {sid}, {start}, {end}, {end}, 2, 'Guest {client}', \
                     '+7916{client:07}', '+7916{client:07}', NULL, '', NULL, 250000, 0, 0, 0, 250000, '{source}', \
                     '{state}', {cancelled_by}, {created}, {created})",
                    client = rows % 5_000,
                    sid = if space < 2 {
                        format!("(SELECT id FROM spaces WHERE slug = 'studio_{}')", ["a", "b"][space])
                    } else {
                        format!("'bench-space-{space}'")
                    },
                    end = start + 3600,
                    source = sources[rows % sources.len()],
                    cancelled_by = if state == "cancelled" { "'guest'" } else { "NULL" },
                    created = start - 3 * 86_400,
                ));
            }
        }
    }
    for chunk in inserts.chunks(500) {
        batches.push(format!(
            "INSERT INTO bookings (id, reference, space_id, starts_at, ends_at, blocked_until, people_count, \
             client_name, client_phone, client_phone_display, client_email, special_requirements, promo_code, \
             price_base, price_equipment, price_extra_people, price_discount, price_total, source, state, \
             cancelled_by, created_at, updated_at) VALUES {};",
            chunk.join(",\n")
        ));
    }
    load(url, batches).await;
    rows
}

fn print(name: &str, mut samples: Vec<f64>) {
    samples.sort_by(f64::total_cmp);
    let n = samples.len();
    let pct = |p: f64| samples[((n as f64 * p) as usize).min(n - 1)];
    let mean = samples.iter().sum::<f64>() / n as f64;
    println!(
        "| {name:<44} | {n:>5} | {mean:>8.2} | {:>8.2} | {:>8.2} | {:>8.2} |",
        pct(0.5),
        pct(0.95),
        pct(0.99)
    );
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = BenchDb::create(dir.path(), "analytics").await;
    let url = db.url.clone();
    let config = bench_config(&url, dir.path(), &[]);
    let app = Application::build(&config).await.expect("server");
    let state = app.state().clone();
    let addr = app.local_addr();
    let seeded = seed_three_years(&url).await;
    app::server::privacy::seal_clear_data(&state.store)
        .await
        .expect("seal");
    let t = Instant::now();
    let rebuilt = analytics::rebuild(&state.store).await.expect("rebuild");
    let rebuild_ms = t.elapsed().as_secs_f64() * 1e3;
    tokio::spawn(app.run_until(std::future::pending()));
    println!(
        "backend: {}; bookings: {seeded}; rollup rows: {}; full rebuild: {rebuild_ms:.0} ms",
        state.store.backend().name(),
        rebuilt.days
    );
    println!(
        "| {:<44} | {:>5} | {:>8} | {:>8} | {:>8} | {:>8} |",
        "operation (ms)", "n", "mean", "p50", "p95", "p99"
    );
    println!(
        "|{:-<46}|{:->7}|{:->10}|{:->10}|{:->10}|{:->10}|",
        "", "", "", "", "", ""
    );

    let me = Principal {
        employee_id: "bench".into(),
        username: "bench".into(),
        role: app::domain::Role::Owner,
        session_family: String::new(),
        must_change_password: false,
        must_enrol_mfa: false,
    };
    let year = AnalyticsQuery {
        from: Some((today() - Duration::days(365)).to_string()),
        to: Some((today() - Duration::days(1)).to_string()),
        space: None,
    };
    let s = analytics::summary(&state, &me, &year)
        .await
        .expect("summary");
    assert!(s.bookings > 30_000, "a year holds {} bookings", s.bookings);
    let mut samples = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        analytics::summary(&state, &me, &year)
            .await
            .expect("summary");
        samples.push(t.elapsed().as_secs_f64() * 1e3);
    }
    print("year summary, all spaces (service)", samples);
    let one = AnalyticsQuery {
        space: Some("studio_3".into()),
        ..year.clone()
    };
    let mut samples = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        analytics::summary(&state, &me, &one)
            .await
            .expect("summary");
        samples.push(t.elapsed().as_secs_f64() * 1e3);
    }
    print("year summary, one space (service)", samples);
    let mut samples = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        analytics::page(&state, &me, &year, PeriodKind::Custom)
            .await
            .expect("page");
        samples.push(t.elapsed().as_secs_f64() * 1e3);
    }
    print("year page data (3 periods + lists)", samples);

    // Over HTTP with a bearer token.
    app::server::employees::create_owner(
        &state.store,
        app::server::employees::NewEmployeeInput {
            username: "owner",
            email: "owner@studio.ru",
            full_name: "Bench Owner",
            password: "north light over the river",
        },
    )
    .await
    .expect("owner");
    let client = reqwest::Client::new();
    let login: serde_json::Value = client
        .post(format!("http://{addr}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "owner", "password": "north light over the river"}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("token");
    let token = login["access_token"].as_str().expect("token").to_owned();
    let url = format!(
        "http://{addr}/api/v1/analytics/summary?from={}&to={}",
        year.from.as_deref().unwrap_or_default(),
        year.to.as_deref().unwrap_or_default()
    );
    let mut samples = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        let res = client
            .get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .expect("summary");
        assert_eq!(res.status(), 200);
        res.bytes().await.expect("body");
        samples.push(t.elapsed().as_secs_f64() * 1e3);
    }
    print("year summary over HTTP", samples);

    state.store.close().await;
    db.drop().await;
}
