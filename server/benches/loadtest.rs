//! `make loadtest`: the release server in its own process, on a database
//! holding a year of bookings, loaded from outside by wrk over loopback for
//! a bounded time, on SQLite and on PostgreSQL. Every figure is set beside
//! two references measured in the same run on the same machine: an axum
//! handler that returns a fixed availability-sized JSON body (the ceiling
//! of HTTP on this machine), and a raw sqlx "check overlap, insert" loop on
//! the same database (the ceiling of a booking write). Also: idle and
//! loaded memory, cold start, and the cost of one booking write as the
//! stored history grows from a thousand to a million bookings.
//!
//! Prints Markdown tables for the README. Needs `wrk` (Debian) and the
//! release binary (`STUDIO_SERVER_BIN`); PostgreSQL at `TEST_DATABASE_URL`.

use chrono::{Duration, Utc};
use sqlx::Connection;
use std::{
    collections::HashMap,
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Instant,
};

#[path = "support/seed.rs"]
mod seed;

const PASSWORD: &str = "north light over the river";
const SECONDS: u32 = 10;

/// One wrk run: requests per second, latency percentiles (ms), and how
/// many answers were not 2xx/3xx.
struct Load {
    rps: f64,
    p50: f64,
    p99: f64,
    errors: u64,
}

fn millis(text: &str) -> f64 {
    let t = text.trim();
    let (number, unit) = t.split_at(t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len()));
    let n: f64 = number.parse().unwrap_or(f64::NAN);
    match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        _ => f64::NAN,
    }
}

/// Runs wrk against `url` (with an optional Lua script and headers).
fn wrk(url: &str, connections: u32, script: Option<&Path>, headers: &[(&str, String)]) -> Load {
    let mut cmd = Command::new("wrk");
    cmd.arg("--latency")
        .arg(format!("-t{}", connections.min(2)))
        .arg(format!("-c{connections}"))
        .arg(format!("-d{SECONDS}s"))
        .arg("--timeout")
        .arg("10s");
    if let Some(s) = script {
        cmd.arg("-s").arg(s);
    }
    for (k, v) in headers {
        cmd.arg("-H").arg(format!("{k}: {v}"));
    }
    let out = cmd.arg(url).output().expect("wrk (apt-get install wrk)");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = |prefix: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(prefix))
            .map(|l| l.trim_start()[prefix.len()..].trim().to_owned())
    };
    let rps = line("Requests/sec:")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    let p50 = line("50%").map(|v| millis(&v)).unwrap_or(f64::NAN);
    let p99 = line("99%").map(|v| millis(&v)).unwrap_or(f64::NAN);
    let errors = line("Non-2xx or 3xx responses:")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
        + line("Socket errors:")
            .map(|v| {
                v.split(',')
                    .filter_map(|p| p.split_whitespace().last()?.parse::<u64>().ok())
                    .sum()
            })
            .unwrap_or(0);
    Load {
        rps,
        p50,
        p99,
        errors,
    }
}

/// CPU time (user and system, in clock ticks) a process has used so far.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name, which is in parentheses.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime: fields 14 and 15 of the line (11 and 12 counted
    // from 0 after the name).
    field(11) + field(12)
}

/// Waits (at most 10 s) until the server has been idle for 200 ms: no
/// more than one clock tick of CPU.
async fn settle(pid: u32) {
    for _ in 0..50 {
        let before = cpu_ticks(pid);
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        if cpu_ticks(pid).saturating_sub(before) <= 1 {
            return;
        }
    }
}

/// Resident memory of a process, and its peak, in MB.
fn memory(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (kb("VmRSS:") / 1024.0, kb("VmHWM:") / 1024.0)
}

struct Server {
    child: Child,
    addr: SocketAddr,
    started_ms: f64,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// Starts the release server; the time to its first good `/health`.
async fn start(bin: &Path, env: &HashMap<String, String>) -> Server {
    let addr = free_addr();
    let t = Instant::now();
    let child = Command::new(bin)
        .arg("serve")
        .envs(env)
        .env("STUDIO_ADDR", addr.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the server binary");
    let client = reqwest::Client::new();
    loop {
        if let Ok(r) = client.get(format!("http://{addr}/health")).send().await {
            if r.status() == 200 {
                break;
            }
        }
        assert!(t.elapsed().as_secs() < 30, "the server did not start");
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    Server {
        child,
        addr,
        started_ms: t.elapsed().as_secs_f64() * 1000.0,
    }
}

/// A fresh database of `backend`: its URL, and a PostgreSQL name to drop.
async fn fresh_database(backend: &str, dir: &Path) -> (String, Option<String>) {
    if backend == "sqlite" {
        let file = dir.join(format!("load-{}.db", uuid::Uuid::new_v4().simple()));
        return (format!("sqlite://{}", file.display()), None);
    }
    let admin = admin_url();
    let name = format!("studio_load_{}", uuid::Uuid::new_v4().simple());
    let mut c = sqlx::PgConnection::connect(&admin)
        .await
        .expect("PostgreSQL");
    sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut c)
        .await
        .expect("create database");
    let base = &admin[..admin.rfind('/').expect("a database in the URL")];
    (format!("{base}/{name}"), Some(name))
}

fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

async fn drop_database(name: Option<String>) {
    if let Some(name) = name {
        if let Ok(mut c) = sqlx::PgConnection::connect(&admin_url()).await {
            let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&mut c)
                .await;
        }
    }
}

fn environment(url: &str, dir: &Path) -> HashMap<String, String> {
    HashMap::from([
        ("DATABASE_URL".into(), url.to_owned()),
        ("STUDIO_DATA_DIR".into(), dir.display().to_string()),
        (
            "STUDIO_SECRET_KEY".into(),
            "load-secret-key-that-is-long-enough-0123456789".into(),
        ),
        ("STUDIO_PUBLIC_RATE_PER_MINUTE".into(), "1000000000".into()),
        ("STUDIO_PUBLIC_BURST".into(), "100000000".into()),
        // `LOADTEST_SERVER_LOG=warn`: the server's warnings (a write that
        // held the database for long) on the bench's standard error.
        (
            "STUDIO_LOG".into(),
            std::env::var("LOADTEST_SERVER_LOG").unwrap_or_else(|_| "error".into()),
        ),
        (
            "LEPTOS_SITE_ROOT".into(),
            std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into()),
        ),
    ])
}

/// The Lua script that makes every request a new booking on a slot of its
/// own: eight spaces, twelve hours a day, from `first_day` days ahead on,
/// each by a guest of their own (one phone for thousands of bookings a
/// second would make every booking wait for the last one's update of that
/// client's row; no studio sees that).
fn booking_script(dir: &Path, first_day: i64) -> PathBuf {
    let today = seed::moscow_today();
    let first = today + Duration::days(first_day);
    let epoch = first.and_hms_opt(12, 0, 0).unwrap().and_utc().timestamp();
    let script = format!(
        r#"local spaces = {{"studio_a", "studio_b", "studio_2", "studio_3", "studio_4", "studio_5", "studio_6", "studio_7"}}
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
local n = 0
request = function()
  local k = n * 2 + tid
  n = n + 1
  local space = spaces[(k % 8) + 1]
  local slot = math.floor(k / 8)
  local day = math.floor(slot / 12)
  local hour = 9 + (slot % 12)
  local date = os.date("!%Y-%m-%d", {first_epoch} + day * 86400)
  local body = string.format('{{"space":"%s","start_time":"%sT%02d:00:00+03:00","end_time":"%sT%02d:00:00+03:00","people_count":2,"client_name":"Load Test","client_phone":"+7916%07d","consent":true}}', space, date, hour, date, hour + 1, k % 10000000)
  return wrk.format("POST", "/api/v1/public/bookings", {{["Content-Type"] = "application/json"}}, body)
end
"#,
        first_epoch = epoch
    );
    let path = dir.join("book.lua");
    std::fs::write(&path, script).unwrap();
    path
}

/// A pool of either backend, for the raw references.
#[derive(Clone)]
enum Pool {
    /// With the writers' queue the server uses too (SQLite's busy handler
    /// alone starves some writers past its timeout at 16 concurrent).
    Lite(sqlx::SqlitePool, Arc<tokio::sync::Mutex<()>>),
    Pg(sqlx::PgPool),
}

const INSERT: &str = "INSERT INTO bookings (id, reference, space_id, starts_at, ends_at, blocked_until, people_count, \
     client_name, client_phone, client_phone_display, client_email, special_requirements, promo_code, \
     price_base, price_equipment, price_extra_people, price_discount, price_total, source, state, \
     created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5, 2, 'Raw', '+79160000000', '+79160000000', NULL, '', NULL, \
     250000, 0, 0, 0, 250000, 'website', 'pending', $6, $6)";
/// Bounded from below like the server's own search (no booking holds its
/// space longer than two days), so the index does the work.
const OVERLAP: &str =
    "SELECT COUNT(*) FROM bookings WHERE space_id = $1 AND starts_at < $2 AND blocked_until > $3 \
     AND starts_at >= $3 - 172800 AND state NOT IN ('cancelled', 'no_show') AND deleted_at IS NULL";

impl Pool {
    async fn open(url: &str, size: u32) -> Pool {
        if url.starts_with("sqlite:") {
            use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
            use std::str::FromStr;
            let options = SqliteConnectOptions::from_str(url)
                .unwrap()
                .journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(std::time::Duration::from_secs(10));
            Pool::Lite(
                SqlitePoolOptions::new()
                    .max_connections(size)
                    .connect_with(options)
                    .await
                    .unwrap(),
                Arc::default(),
            )
        } else {
            Pool::Pg(
                sqlx::postgres::PgPoolOptions::new()
                    .max_connections(size)
                    .connect(url)
                    .await
                    .unwrap(),
            )
        }
    }

    async fn space(&self, slug: &str) -> String {
        let sql = "SELECT id FROM spaces WHERE slug = $1";
        match self {
            Pool::Lite(p, _) => sqlx::query_scalar(sql)
                .bind(slug)
                .fetch_one(p)
                .await
                .unwrap(),
            Pool::Pg(p) => sqlx::query_scalar(sql)
                .bind(slug)
                .fetch_one(p)
                .await
                .unwrap(),
        }
    }

    /// One transaction: is the slot free? then insert.
    async fn write(&self, space: &str, start: i64) {
        let id = uuid::Uuid::new_v4().to_string();
        let reference = format!("RAW-{}", &id[..13]);
        let now = Utc::now().timestamp();
        // The same statements on either backend's transaction.
        macro_rules! check_and_insert {
            ($tx:ident) => {{
                let clash: i64 = sqlx::query_scalar(OVERLAP)
                    .bind(space)
                    .bind(start + 3600)
                    .bind(start)
                    .fetch_one(&mut *$tx)
                    .await
                    .unwrap();
                assert_eq!(clash, 0);
                sqlx::query(INSERT)
                    .bind(&id)
                    .bind(&reference)
                    .bind(space)
                    .bind(start)
                    .bind(start + 3600)
                    .bind(now)
                    .execute(&mut *$tx)
                    .await
                    .unwrap();
                $tx.commit().await.unwrap();
            }};
        }
        match self {
            Pool::Lite(p, queue) => {
                let _turn = queue.lock().await;
                // The server in the next process writes to the same file:
                // its writers can hold SQLite's lock past one busy timeout.
                let mut attempts = 0;
                let mut tx = loop {
                    match p.begin_with("BEGIN IMMEDIATE").await {
                        Ok(tx) => break tx,
                        Err(e) if attempts < 5 && e.to_string().contains("locked") => attempts += 1,
                        Err(e) => panic!("raw writer: {e}"),
                    }
                };
                check_and_insert!(tx);
            }
            Pool::Pg(p) => {
                let mut tx = p.begin().await.unwrap();
                check_and_insert!(tx);
            }
        }
    }

    /// `n` past bookings of one space, in batches, then fresh statistics.
    async fn fill_history(&self, space: &str, n: usize) {
        let now = Utc::now().timestamp();
        let first = now / 3600 * 3600 - n as i64 * 3600 - 3600;
        for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
            let rows: Vec<String> = chunk
                .iter()
                .map(|i| {
                    let s = first + *i as i64 * 3600;
                    format!(
                        "('hist-{i}', 'HIST-{i}', '{space}', {s}, {e}, {e}, 2, 'Past', '+79160000000', '+79160000000', NULL, '', NULL, \
                         250000, 0, 0, 0, 250000, 'website', 'completed', {now}, {now})",
                        e = s + 3600
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO bookings (id, reference, space_id, starts_at, ends_at, blocked_until, people_count, \
                 client_name, client_phone, client_phone_display, client_email, special_requirements, promo_code, \
                 price_base, price_equipment, price_extra_people, price_discount, price_total, source, state, \
                 created_at, updated_at) VALUES {}",
                rows.join(",")
            );
            match self {
                Pool::Lite(p, _) => sqlx::raw_sql(&sql).execute(p).await.map(|_| ()).unwrap(),
                Pool::Pg(p) => sqlx::raw_sql(&sql).execute(p).await.map(|_| ()).unwrap(),
            }
        }
        match self {
            Pool::Lite(p, _) => sqlx::raw_sql("ANALYZE")
                .execute(p)
                .await
                .map(|_| ())
                .unwrap(),
            Pool::Pg(p) => sqlx::raw_sql("ANALYZE")
                .execute(p)
                .await
                .map(|_| ())
                .unwrap(),
        }
    }
}

/// The raw ceiling of a booking write on this database: concurrent
/// transactions that check for an overlap and insert, with nothing else.
async fn raw_write_loop(url: &str, writers: usize) -> (f64, f64, f64) {
    let pool = Pool::open(url, writers as u32).await;
    let space = pool.space("studio_a").await;
    let counter = Arc::new(AtomicU64::new(0));
    // Far beyond the seeded year: free slots for everyone.
    let base = (Utc::now() + Duration::days(900)).timestamp() / 3600 * 3600;
    let deadline = Instant::now() + std::time::Duration::from_secs(u64::from(SECONDS));
    let mut tasks = Vec::new();
    for _ in 0..writers {
        let (pool, counter, space) = (pool.clone(), counter.clone(), space.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let k = counter.fetch_add(1, Ordering::Relaxed) as i64;
                let t = Instant::now();
                pool.write(&space, base + k * 3600).await;
                latencies.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort_by(f64::total_cmp);
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    let rate = all.len() as f64 / f64::from(SECONDS);
    (rate, pct(0.5), pct(0.99))
}

/// An axum handler answering a fixed body, for the HTTP ceiling.
async fn fixed_handler(body: Vec<u8>) -> SocketAddr {
    use axum::{http::header, routing::get, Router};
    let body: &'static [u8] = Box::leak(body.into_boxed_slice());
    let router = Router::new().route(
        "/fixed",
        get(move || async move { ([(header::CONTENT_TYPE, "application/json")], body) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // Its connections send at once, as the server's do (`TCP_NODELAY`).
    let listener = server::without_nagle(listener);
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

async fn sign_in(addr: SocketAddr) -> String {
    let res = reqwest::Client::new()
        .post(format!("http://{addr}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "owner", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = res.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

fn create_owner(bin: &Path, env: &HashMap<String, String>) {
    let mut child = Command::new(bin)
        .args([
            "create-owner",
            "--username",
            "owner",
            "--email",
            "owner@studio.test",
            "--full-name",
            "Load Owner",
        ])
        .envs(env)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    assert!(child.wait().unwrap().success(), "create-owner");
}

/// A PostgreSQL checkpoint (SQLite's are the server's own).
async fn checkpoint(url: &str) {
    if !url.starts_with("sqlite:") {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::raw_sql("CHECKPOINT").execute(&mut c).await.unwrap();
    }
}

/// Overlapping live bookings of one space: must be none.
async fn overlaps(url: &str) -> i64 {
    let sql = "SELECT COUNT(*) FROM bookings a JOIN bookings b ON a.space_id = b.space_id AND a.id < b.id \
               AND a.starts_at < b.blocked_until AND b.starts_at < a.blocked_until \
               WHERE a.state NOT IN ('cancelled', 'no_show') AND b.state NOT IN ('cancelled', 'no_show') \
               AND a.deleted_at IS NULL AND b.deleted_at IS NULL AND a.starts_at > $1";
    let since = Utc::now().timestamp();
    if url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sql)
            .bind(since)
            .fetch_one(&mut c)
            .await
            .unwrap()
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sql)
            .bind(since)
            .fetch_one(&mut c)
            .await
            .unwrap()
    }
}

fn row(name: &str, l: &Load, reference: f64) {
    println!(
        "| {name:<44} | {:>9.0} | {:>8.2} | {:>8.2} | {:>6.1}% | {:>6} |",
        l.rps,
        l.p50,
        l.p99,
        100.0 * l.rps / reference,
        l.errors
    );
}

async fn backend_run(backend: &str, bin: &Path) {
    let dir = tempfile::tempdir().unwrap();
    // Cold start on a new database: migrations and the default studio.
    let (url, pg) = fresh_database(backend, dir.path()).await;
    let env = environment(&url, dir.path());
    let cold = start(bin, &env).await;
    let cold_ms = cold.started_ms;
    drop(cold);
    let seeded = seed::seed(&url).await;
    create_owner(bin, &env);
    let server = start(bin, &env).await;
    let pid = server.child.id();
    let addr = server.addr;
    let client = reqwest::Client::new();
    let date = (seed::moscow_today() + Duration::days(30)).to_string();
    let availability =
        format!("http://{addr}/api/v1/public/availability?space=studio_a&date={date}");
    let sample = client
        .get(&availability)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let fixed = fixed_handler(sample.to_vec()).await;
    let token = sign_in(addr).await;
    // Idle: the allocator gives freed pages back once they have been free
    // for a second (see `tune_allocators` in the server's main.rs).
    tokio::time::sleep(std::time::Duration::from_millis(2000)).await;
    let (idle_mb, _) = memory(pid);

    println!("\n### {backend}: {seeded} bookings stored, cold start {cold_ms:.0} ms, idle RSS {idle_mb:.1} MB\n");
    println!(
        "| {:<44} | {:>9} | {:>8} | {:>8} | {:>7} | {:>6} |",
        "wrk, 2 threads, 32 connections (16 for writes)",
        "req/s",
        "p50 ms",
        "p99 ms",
        "ratio",
        "non-2xx"
    );
    println!(
        "|{:-<46}|{:->11}|{:->10}|{:->10}|{:->9}|{:->8}|",
        "", "", "", "", "", ""
    );
    let ceiling = wrk(&format!("http://{fixed}/fixed"), 32, None, &[]);
    row("fixed JSON handler (reference)", &ceiling, ceiling.rps);
    let avail = wrk(&availability, 32, None, &[]);
    row("availability", &avail, ceiling.rps);
    let home = wrk(&format!("http://{addr}/"), 32, None, &[]);
    row("guest home page (SSR)", &home, ceiling.rps);
    let bearer = ("Authorization", format!("Bearer {token}"));
    let list = wrk(
        &format!("http://{addr}/api/v1/bookings?from={date}&to={date}"),
        32,
        None,
        std::slice::from_ref(&bearer),
    );
    row("staff booking list (JSON)", &list, ceiling.rps);
    let to = (seed::moscow_today() + Duration::days(24)).to_string();
    let board_url = format!(
        "http://{addr}/staff/board?from={}&to={to}",
        seed::moscow_today()
    );
    let cookie = [("Cookie", format!("studio_access={token}"))];
    let board = wrk(&board_url, 32, None, &cookie);
    row("board page, 2,000 open bookings (SSR)", &board, ceiling.rps);
    // One employee opening the board on an otherwise idle server: the
    // page's own time (the line above is 32 at once, queueing). wrk closes
    // its connections at the end of a line while the server still renders
    // the pages they asked for: wait for those to finish first.
    settle(pid).await;
    let board_alone = wrk(&board_url, 1, None, &cookie);
    row(
        "board page, one client at a time",
        &board_alone,
        ceiling.rps,
    );
    let script = booking_script(dir.path(), 200);
    // Both write lines start from the same state: nothing of the lines
    // before still running, and on PostgreSQL a checkpoint just made, so
    // neither pays more full-page images in the WAL for where the last
    // checkpoint happened to fall.
    settle(pid).await;
    checkpoint(&url).await;
    let writes = wrk(
        &format!("http://{addr}/api/v1/public/bookings"),
        16,
        Some(&script),
        &[],
    );
    checkpoint(&url).await;
    let (raw_rate, raw_p50, raw_p99) = raw_write_loop(&url, 16).await;
    let raw = Load {
        rps: raw_rate,
        p50: raw_p50,
        p99: raw_p99,
        errors: 0,
    };
    row("raw sqlx check-and-insert loop (reference)", &raw, raw_rate);
    row("guest booking creation, distinct slots", &writes, raw_rate);
    let (loaded_mb, peak_mb) = memory(pid);
    println!(
        "\nRSS after load {loaded_mb:.1} MB (peak {peak_mb:.1} MB); overlapping bookings: {}",
        overlaps(&url).await
    );
    drop(server);
    drop_database(pg).await;
}

/// With `n` bookings already stored in one space: the mean cost of one
/// booking write (through the database's no-overlap rule, 300 writes), and
/// availability's database read of a day inside that history (p50 and p99
/// of 300 days, each a day with 24 bookings).
async fn write_cost(backend: &str, n: usize) -> (f64, f64, f64) {
    let dir = tempfile::tempdir().unwrap();
    let (url, pg) = fresh_database(backend, dir.path()).await;
    let store = app::server::Store::connect(&url, 2).await.unwrap();
    store.migrate().await.unwrap();
    app::server::catalog::ensure_default_studio(&store)
        .await
        .unwrap();
    let pool = Pool::open(&url, 1).await;
    let space = pool.space("studio_a").await;
    pool.fill_history(&space, n).await;
    let base = (Utc::now() + Duration::days(30)).timestamp() / 3600 * 3600;
    let t = Instant::now();
    for k in 0..300 {
        pool.write(&space, base + k * 3600).await;
    }
    let per = t.elapsed().as_secs_f64() * 1000.0 / 300.0;
    drop(pool);
    // Days spread over the stored history, oldest to newest.
    let days = (n / 24).max(1) as i64;
    let first = Utc::now().timestamp() / 86_400 * 86_400 - days * 86_400;
    let mut reads = Vec::new();
    for k in 0..300 {
        let from = first + (k * days / 300) * 86_400;
        let t = Instant::now();
        let busy = app::server::bookings::busy_by_slug(&store, "studio_a", from, from + 86_400)
            .await
            .unwrap();
        reads.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(!busy.is_empty(), "a day inside the history has bookings");
    }
    reads.sort_by(f64::total_cmp);
    store.close().await;
    drop_database(pg).await;
    (per, reads[150], reads[297])
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let bin = PathBuf::from(
        std::env::var("STUDIO_SERVER_BIN").expect("STUDIO_SERVER_BIN (make loadtest sets it)"),
    );
    // `LOADTEST_ONLY=sqlite` (or `postgres`): that backend under wrk alone,
    // without the stored-history table (which fills a million bookings).
    let only = std::env::var("LOADTEST_ONLY").ok();
    for backend in ["sqlite", "postgres"] {
        if only.as_deref().is_none_or(|o| o == backend) {
            backend_run(backend, &bin).await;
        }
    }
    if only.is_some() {
        return;
    }
    println!("\n### By stored history: one booking write (mean of 300) and availability's read of a day (p50 / p99 of 300), ms\n");
    println!("| bookings in the space | SQLite write | SQLite day read | PostgreSQL write | PostgreSQL day read |");
    println!("|---:|---:|---:|---:|---:|");
    for n in [1_000, 100_000, 1_000_000] {
        let (sw, s50, s99) = write_cost("sqlite", n).await;
        let (pw, p50, p99) = write_cost("postgres", n).await;
        println!("| {n} | {sw:.3} | {s50:.3} / {s99:.3} | {pw:.3} | {p50:.3} / {p99:.3} |");
    }
}
