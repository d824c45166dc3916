//! Load benchmark of the booking path with a year of bookings stored.
//!
//! Seeds a studio of eight spaces with ~30,000 bookings (half a year back,
//! half a year ahead), starts the real server on a free loopback port, then
//! measures availability and booking creation server-side (the service
//! call) and end to end over HTTP. Run with `make bench` (SQLite) or
//! `BENCH_DATABASE_URL=postgres://… make bench`. Numbers go in the README.

use app::{
    domain::booking::GuestBookingRequest,
    server::bookings::{self, RequestMeta},
};
use chrono::{Duration, NaiveDate};
use server::Application;
use std::time::Instant;

#[path = "support/seed.rs"]
mod seed;
use seed::{bench_config, load, moscow_today, seed, settle, BenchDb, DAYS_AHEAD, SPACES};

struct Stats {
    name: &'static str,
    samples: Vec<f64>,
}

impl Stats {
    fn print(mut self) {
        self.samples.sort_by(f64::total_cmp);
        let n = self.samples.len();
        let pct = |p: f64| self.samples[((n as f64 * p) as usize).min(n - 1)];
        let mean = self.samples.iter().sum::<f64>() / n as f64;
        println!(
            "| {:<40} | {:>6} | {:>8.3} | {:>8.3} | {:>8.3} | {:>8.3} |",
            self.name,
            n,
            mean,
            pct(0.50),
            pct(0.95),
            pct(0.99)
        );
    }
}

/// Books the 14:00 hour of studio_2 on each of the next 149 days over HTTP,
/// expecting `status` every time; returns the latencies.
async fn post_days(client: &reqwest::Client, addr: std::net::SocketAddr, status: u16) -> Vec<f64> {
    let today = moscow_today();
    let mut samples = Vec::new();
    for d in 1..150 {
        let date = today + Duration::days(d);
        let body = serde_json::json!({
            "space": "studio_2", "start_time": format!("{date}T14:00:00+03:00"),
            "end_time": format!("{date}T15:00:00+03:00"), "people_count": 2,
            "client_name": "Bench HTTP", "client_phone": "+7 916 555 01 23", "consent": true
        });
        let t = Instant::now();
        let res = client
            .post(format!("http://{addr}/api/v1/public/bookings"))
            .json(&body)
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), status);
        res.bytes().await.expect("body");
        samples.push(t.elapsed().as_secs_f64() * 1e3);
    }
    samples
}

/// The board over 25 days ahead: 25 days x 8 spaces x 10 = 2,000 open
/// (confirmed) bookings. Measures the data (service call) and the whole
/// server-rendered page over HTTP with a staff cookie session.
async fn board(state: &app::server::AppState, addr: std::net::SocketAddr, today: NaiveDate) {
    use app::{
        domain::{board::BoardQuery, Role},
        server::{auth, employees, staff_bookings, web_session},
    };
    let password = "north light over the river";
    employees::create_owner(
        &state.store,
        employees::NewEmployeeInput {
            username: "owner",
            email: "owner@studio.ru",
            full_name: "Bench Owner",
            password,
        },
    )
    .await
    .expect("owner");
    let origin = app::server::credentials::Origin {
        ip: "127.0.0.1".into(),
        user_agent: "bench".into(),
    };
    let pair = auth::login(state, "owner", password, None, &origin)
        .await
        .expect("login");
    let cookie = web_session::set_cookies(state, &pair)
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
        .collect::<Vec<_>>()
        .join("; ");
    let (from, to) = (today.to_string(), (today + Duration::days(24)).to_string());
    let query = BoardQuery {
        from: Some(from.clone()),
        to: Some(to.clone()),
        ..Default::default()
    };
    let spaces = state.active_spaces().await.expect("spaces");
    let markup = app::ui::board::card_markup(app::i18n::Locale::Ru, spaces);
    let data = staff_bookings::board(state, Role::Owner, &query, &markup)
        .await
        .expect("board");
    let open: usize = data.columns.iter().take(3).map(|c| c.cards.len()).sum();
    assert_eq!(open, 2000, "the board shows 2,000 open bookings");
    let mut samples = Vec::new();
    for _ in 0..100 {
        let t = Instant::now();
        staff_bookings::board(state, Role::Owner, &query, &markup)
            .await
            .expect("board");
        samples.push(t.elapsed().as_secs_f64() * 1e3);
    }
    Stats {
        name: "board, 2,000 open bookings, data",
        samples,
    }
    .print();
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/staff/board?from={from}&to={to}");
    let mut samples = Vec::new();
    let mut size = 0;
    for _ in 0..50 {
        let t = Instant::now();
        let res = client
            .get(&url)
            .header("cookie", &cookie)
            .header("accept", "text/html")
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), 200);
        let html = res.text().await.expect("body");
        samples.push(t.elapsed().as_secs_f64() * 1e3);
        size = html.len();
        assert_eq!(html.matches("class=\"card\"").count(), 2000);
    }
    Stats {
        name: "board page, 2,000 cards, SSR over HTTP",
        samples,
    }
    .print();
    println!("board page HTML: {} KB", size / 1024);
}

/// Guest bookings into the free 14:00 hour of future days, one per
/// space-day (300), through the service call; returns the latencies.
async fn create_bookings(state: &app::server::AppState, today: NaiveDate) -> Vec<f64> {
    let meta = RequestMeta {
        ip: "127.0.0.1".into(),
        user_agent: "bench".into(),
        locale: Default::default(),
    };
    let mut samples = Vec::new();
    let mut n = 0;
    'outer: for d in 1..DAYS_AHEAD - 1 {
        let date = today + Duration::days(d);
        for slug in ["studio_a", "studio_b"] {
            let req = GuestBookingRequest {
                space: slug.into(),
                start_time: format!("{date}T14:00:00+03:00"),
                end_time: format!("{date}T15:00:00+03:00"),
                people_count: 2,
                client_name: format!("Bench Guest {n}"),
                client_phone: format!("+7 916 {:03} {:04}", n / 10_000, n % 10_000),
                consent: true,
                ..Default::default()
            };
            let t = Instant::now();
            bookings::create_guest_booking(state, &req, &meta)
                .await
                .expect("booking");
            samples.push(t.elapsed().as_secs_f64() * 1e3);
            n += 1;
            if n >= 300 {
                break 'outer;
            }
        }
    }
    samples
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = BenchDb::create(dir.path(), "booking").await;
    let url = db.url.clone();
    let config = bench_config(
        &url,
        dir.path(),
        &[
            ("STUDIO_PUBLIC_RATE_PER_MINUTE", "100000000"),
            ("STUDIO_PUBLIC_BURST", "1000000"),
        ],
    );
    let app = Application::build(&config).await.expect("server");
    let state = app.state().clone();
    let addr = app.local_addr();
    let seeded = seed(&url).await;
    // The seed writes clear rows, as an old release would: seal them (the
    // start-up upgrade's work) before measuring.
    app::server::privacy::seal_clear_data(&state.store)
        .await
        .expect("seal");
    state.rules_cache.invalidate();
    tokio::spawn(app.run_until(std::future::pending()));
    let backend = state.store.backend().name();
    println!("backend: {backend}; bookings stored: {seeded}; spaces: {SPACES}");
    println!(
        "| {:<40} | {:>6} | {:>8} | {:>8} | {:>8} | {:>8} |",
        "operation (ms)", "n", "mean", "p50", "p95", "p99"
    );
    println!(
        "|{:-<42}|{:->8}|{:->10}|{:->10}|{:->10}|{:->10}|",
        "", "", "", "", "", ""
    );

    let today = moscow_today();
    let dates: Vec<String> = (1..120)
        .map(|d| (today + Duration::days(d)).to_string())
        .collect();
    let slugs = ["studio_a", "studio_b", "studio_2", "studio_5"];

    settle(&url).await;
    // Warm-up: caches, prepared statements, connections.
    for d in dates.iter().take(20) {
        bookings::availability(&state, "studio_a", d)
            .await
            .expect("availability");
    }
    // `BENCH_ONLY=create`: booking creation alone, for paired runs of two
    // builds (a release against the one before it).
    if std::env::var("BENCH_ONLY").as_deref() == Ok("create") {
        Stats {
            name: "booking creation, service call",
            samples: create_bookings(&state, today).await,
        }
        .print();
        state.store.close().await;
        db.drop().await;
        return;
    }
    // `BENCH_ONLY=board`: the board's data and page alone.
    if std::env::var("BENCH_ONLY").as_deref() == Ok("board") {
        board(&state, addr, today).await;
        state.store.close().await;
        db.drop().await;
        return;
    }
    // `BENCH_ONLY=search`: the client base at 50,000 and its searches alone.
    if std::env::var("BENCH_ONLY").as_deref() == Ok("search") {
        client_search(&state, &url).await;
        state.store.close().await;
        db.drop().await;
        return;
    }

    // The database path: what a day costs when no kept answer is current.
    let days: Vec<chrono::NaiveDate> = dates
        .iter()
        .map(|d| app::domain::calendar::parse_date(d).expect("date"))
        .collect();
    let mut samples = Vec::new();
    for i in 0..2000 {
        let t = Instant::now();
        let a =
            bookings::day_availability(&state, slugs[i % slugs.len()], days[i % days.len()], &[])
                .await
                .expect("availability");
        samples.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(a.slots.len(), 2, "the seeded days leave two free hours");
    }
    Stats {
        name: "availability, service call (database)",
        samples,
    }
    .print();
    // Kept answers: nothing committed meanwhile, within the time to live.
    let mut samples = Vec::new();
    for i in 0..2000 {
        let t = Instant::now();
        let a = bookings::availability(&state, slugs[i % 4], &dates[i % 8])
            .await
            .expect("availability");
        samples.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(a.slots.len(), 2, "the seeded days leave two free hours");
    }
    Stats {
        name: "availability, service call (kept answer)",
        samples,
    }
    .print();

    board(&state, addr, today).await;

    let client = reqwest::Client::new();
    let mut samples = Vec::new();
    for i in 0..2000 {
        let url = format!(
            "http://{addr}/api/v1/public/availability?space={}&date={}",
            slugs[i % slugs.len()],
            dates[i % dates.len()]
        );
        let t = Instant::now();
        let res = client.get(&url).send().await.expect("request");
        assert_eq!(res.status(), 200);
        res.bytes().await.expect("body");
        samples.push(t.elapsed().as_secs_f64() * 1e3);
    }
    Stats {
        name: "availability, HTTP round trip",
        samples,
    }
    .print();

    let samples = create_bookings(&state, today).await;
    Stats {
        name: "booking creation, service call",
        samples,
    }
    .print();

    let samples = post_days(&client, addr, 201).await;
    Stats {
        name: "booking creation, HTTP round trip",
        samples,
    }
    .print();
    // The same days again: every one is now taken.
    let samples = post_days(&client, addr, 409).await;
    Stats {
        name: "taken slot (409 + alternatives), HTTP",
        samples,
    }
    .print();

    client_search(&state, &url).await;

    state.store.close().await;
    db.drop().await;
}

/// The client base at 50,000+ clients: more clients (one booking each, two
/// years back) on top of the year's, sealed like every guest's data, then
/// searches by name prefix, whole phone, e-mail, and the first page.
async fn client_search(state: &app::server::AppState, url: &str) {
    const EXTRA: i64 = 25_000;
    let base = (moscow_today() - Duration::days(730))
        .and_hms_opt(6, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp();
    let names = [
        "Анна",
        "Борис",
        "Вера",
        "Глеб",
        "Дарья",
        "Егор",
        "Alice",
        "Bruno",
    ];
    let surnames = [
        "Смирнова",
        "Иванов",
        "Kuznetsova",
        "Popov",
        "Соколова",
        "Lebedev",
    ];
    let rows: Vec<String> = (0..EXTRA)
        .map(|i| {
            // Each booking an hour of its own on studio_a, two years back.
            let start = base - (i + 1) * 3600;
            format!(
                "('search-{i}', 'REF-SEARCH-{i}', (SELECT id FROM spaces WHERE slug = 'studio_a'), {start}, {end}, {end}, 1, \
                 '{} {} {i}', '+7925{i:07}', '+7925{i:07}', 'client{i}@example.com', '', NULL, 100000, 0, 0, 0, 100000, \
                 'website', 'completed', {start}, {start})",
                names[i as usize % names.len()],
                surnames[i as usize % surnames.len()],
                end = start + 3600
            )
        })
        .collect();
    let batches = rows
        .chunks(500)
        .map(|c| {
            format!(
                "INSERT INTO bookings (id, reference, space_id, starts_at, ends_at, blocked_until, people_count, \
                 client_name, client_phone, client_phone_display, client_email, special_requirements, promo_code, \
                 price_base, price_equipment, price_extra_people, price_discount, price_total, source, state, \
                 created_at, updated_at) VALUES {};",
                c.join(",\n")
            )
        })
        .collect();
    load(url, batches).await;
    let t = Instant::now();
    let sealed = app::server::privacy::seal_clear_data(&state.store)
        .await
        .expect("seal");
    println!(
        "sealed {sealed} more bookings in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let all = app::server::clients::list(state, &Default::default())
        .await
        .expect("clients");
    println!("clients: {}", all.total);
    assert!(all.total >= 50_000, "a client base of 50,000");
    for (name, queries) in [
        (
            "client search, name prefix",
            vec!["смир", "Иванов", "kuzn", "ALICE KUZN"],
        ),
        (
            "client search, whole phone",
            vec!["+79250001234", "8 925 001-22-33"],
        ),
        ("client search, e-mail", vec!["client777@example.com"]),
        ("clients, first page (no search)", vec![""]),
    ] {
        let mut samples = Vec::new();
        for i in 0..40 {
            let q = queries[i % queries.len()];
            let t = Instant::now();
            let found = app::server::clients::list(
                state,
                &app::domain::calendar::ClientQuery {
                    q: Some(q.into()).filter(|q: &String| !q.is_empty()),
                    page: None,
                },
            )
            .await
            .expect("search");
            samples.push(t.elapsed().as_secs_f64() * 1e3);
            assert!(found.total > 0, "{q} finds someone");
        }
        Stats { name, samples }.print();
    }
}
