//! A year of bookings for the benchmarks: eight spaces, ten one-hour
//! bookings per space and day, half a year back and half a year ahead.
#![allow(dead_code)]

use chrono::{Duration, NaiveDate, Utc};
use sqlx::Connection;

pub const SPACES: usize = 8;
pub const BOOKINGS_PER_SPACE_DAY: i64 = 10;
pub const DAYS_BACK: i64 = 182;
pub const DAYS_AHEAD: i64 = 183;

pub fn moscow_today() -> NaiveDate {
    (Utc::now() + Duration::hours(3)).date_naive()
}

pub async fn seed(url: &str) -> usize {
    let now = Utc::now().timestamp();
    let today = moscow_today();
    let mut sql = String::from("BEGIN;\n");
    // Far enough for the load test's booking line, which books from day
    // 200 on, 96 bookings a day, as many as it can in ten seconds.
    sql.push_str("UPDATE studio_settings SET horizon_days = 1500;\n");
    for s in 2..SPACES {
        sql.push_str(&format!(
            "INSERT INTO spaces (id, slug, name, details, capacity, hourly_price, included_people, \
             extra_person_price, active, sort_order, created_at, updated_at) VALUES \
             ('bench-space-{s}', 'studio_{s}', 'Studio {s}', '{{}}', 8, 200000, 4, 20000, TRUE, {s}, {now}, {now});\n"
        ));
    }
    sql.push_str("COMMIT;\n");
    let mut rows = 0;
    let mut inserts = Vec::new();
    for day in -DAYS_BACK..DAYS_AHEAD {
        let date = today + Duration::days(day);
        // 09:00 Moscow = 06:00 UTC; ten one-hour bookings, the 11th hour free.
        let base = date.and_hms_opt(6, 0, 0).unwrap().and_utc().timestamp();
        for space in 0..SPACES {
            for h in 0..BOOKINGS_PER_SPACE_DAY {
                let hour = if h >= 5 { h + 1 } else { h };
                let start = base + hour * 3600;
                rows += 1;
                inserts.push(format!(
                    "('bench-{rows}', 'REF-BENCH-{rows}', {sid}, {start}, {end}, {end}, 2, 'Guest {rows}', \
                     '+7916{:07}', '+7916{:07}', NULL, '', NULL, 250000, 0, 0, 0, 250000, 'website', '{state}', {now}, {now})",
                    rows % 10_000_000,
                    rows % 10_000_000,
                    sid = if space < 2 {
                        format!("(SELECT id FROM spaces WHERE slug = 'studio_{}')", ["a", "b"][space])
                    } else {
                        format!("'bench-space-{space}'")
                    },
                    end = start + 3600,
                    state = if day < 0 { "completed" } else { "confirmed" },
                ));
            }
        }
    }
    let mut batches = vec![sql];
    for chunk in inserts.chunks(500) {
        batches.push(format!(
            "INSERT INTO bookings (id, reference, space_id, starts_at, ends_at, blocked_until, people_count, \
             client_name, client_phone, client_phone_display, client_email, special_requirements, promo_code, \
             price_base, price_equipment, price_extra_people, price_discount, price_total, source, state, \
             created_at, updated_at) VALUES {};",
            chunk.join(",\n")
        ));
    }
    load(url, batches).await;
    rows
}

/// Runs SQL batches, then fresh statistics, on either backend's connection.
pub async fn load(url: &str, batches: Vec<String>) {
    macro_rules! load {
        ($connection:ty) => {{
            let mut c = <$connection>::connect(url).await.expect("connect");
            for b in batches {
                sqlx::raw_sql(&b).execute(&mut c).await.expect("seed");
            }
            sqlx::raw_sql("ANALYZE")
                .execute(&mut c)
                .await
                .expect("analyze");
        }};
    }
    if url.starts_with("sqlite:") {
        load!(sqlx::SqliteConnection);
    } else {
        load!(sqlx::PgConnection);
    }
}

/// A database of its own for a benchmark: a new PostgreSQL database when
/// `BENCH_DATABASE_URL` names a server (dropped by [`BenchDb::drop`]), or a
/// SQLite file in `dir`.
pub struct BenchDb {
    pub url: String,
    postgres: Option<(String, String)>,
}

impl BenchDb {
    pub async fn create(dir: &std::path::Path, tag: &str) -> BenchDb {
        static CREATED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = CREATED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match std::env::var("BENCH_DATABASE_URL") {
            Ok(admin) if admin.starts_with("postgres") => {
                let name = format!("studio_bench_{tag}_{}_{n}", std::process::id());
                let mut c = sqlx::PgConnection::connect(&admin).await.expect("connect");
                sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\""))
                    .execute(&mut c)
                    .await
                    .expect("create");
                let base = &admin[..admin.rfind('/').expect("a database in the URL")];
                BenchDb {
                    url: format!("{base}/{name}"),
                    postgres: Some((admin.clone(), name)),
                }
            }
            _ => BenchDb {
                url: format!("sqlite://{}", dir.join(format!("bench-{n}.db")).display()),
                postgres: None,
            },
        }
    }

    pub async fn drop(self) {
        if let Some((admin, name)) = self.postgres {
            let mut c = sqlx::PgConnection::connect(&admin).await.expect("connect");
            let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&mut c)
                .await;
        }
    }
}

/// The server's configuration for a benchmark studio on `url`, with data in
/// `dir`, logging warnings only; `extra` adds or overrides variables.
pub fn bench_config(
    url: &str,
    dir: &std::path::Path,
    extra: &[(&str, &str)],
) -> server::config::Config {
    let mut env: std::collections::HashMap<String, String> = [
        ("DATABASE_URL", url.to_owned()),
        ("STUDIO_ADDR", "127.0.0.1:0".to_owned()),
        ("STUDIO_DATA_DIR", dir.display().to_string()),
        (
            "STUDIO_SECRET_KEY",
            "bench-secret-key-that-is-long-enough-0123456789".to_owned(),
        ),
        ("STUDIO_LOG", "warn".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    for (k, v) in extra {
        env.insert((*k).to_owned(), (*v).to_owned());
    }
    server::config::Config::from_lookup(|k| env.get(k).cloned()).expect("config")
}

/// Lets the server's start-up work settle and, on SQLite, checkpoints the
/// WAL the seeding (and sealing) left, so measurements start from the
/// steady state a running studio is in (its WAL is checkpointed every
/// second) rather than while a bulk load's pages are copied back.
pub async fn settle(url: &str) {
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    if url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(url).await.expect("connect");
        sqlx::raw_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut c)
            .await
            .expect("checkpoint");
    }
}
