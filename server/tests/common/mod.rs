//! Test harness: the real server on a free port of 127.0.0.1 with a fresh
//! database per test, on SQLite (a temporary file) or PostgreSQL (a new
//! database on `TEST_DATABASE_URL`, dropped afterwards).
#![allow(dead_code)]

pub mod maildev;

use app::server::AppState;
use server::{config::Config, Application};
use std::{collections::HashMap, net::SocketAddr};
use tempfile::TempDir;
use tokio::sync::oneshot;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

pub const DEFAULT_TEST_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A fresh, empty database and a data directory, both removed on drop.
pub struct TestDb {
    pub url: String,
    pub dir: TempDir,
    pg_name: Option<String>,
}

impl TestDb {
    pub async fn new(db: Db) -> TestDb {
        let dir = tempfile::tempdir().expect("temporary directory");
        match db {
            Db::Sqlite => {
                let url = format!("sqlite://{}", dir.path().join("studio.db").display());
                TestDb {
                    url,
                    dir,
                    pg_name: None,
                }
            }
            Db::Postgres => {
                use sqlx::Connection;
                let admin = admin_url();
                let name = format!("studio_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .unwrap_or_else(|e| {
                        panic!(
                            "PostgreSQL at TEST_DATABASE_URL is needed for the postgres tests: {e}"
                        )
                    });
                sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                    .execute(&mut conn)
                    .await
                    .expect("create database");
                TestDb {
                    url: with_database(&admin, &name),
                    dir,
                    pg_name: Some(name),
                }
            }
        }
    }

    /// The environment a server process needs to use this database.
    pub fn env(&self) -> HashMap<String, String> {
        HashMap::from([
            ("DATABASE_URL".into(), self.url.clone()),
            ("STUDIO_ADDR".into(), "127.0.0.1:0".into()),
            (
                "STUDIO_DATA_DIR".into(),
                self.dir.path().display().to_string(),
            ),
            (
                "STUDIO_SECRET_KEY".into(),
                "test-secret-key-that-is-long-enough-0123456789".into(),
            ),
            ("STUDIO_DB_MAX_CONNECTIONS".into(), "5".into()),
            (
                "LEPTOS_SITE_ROOT".into(),
                self.dir.path().join("site").display().to_string(),
            ),
            // Tests send many requests from one address; the throttling
            // test sets its own limits.
            ("STUDIO_PUBLIC_RATE_PER_MINUTE".into(), "1000000".into()),
            ("STUDIO_PUBLIC_BURST".into(), "100000".into()),
        ])
    }

    /// Runs a statement directly on the database (test set-up only).
    pub async fn exec(&self, sql: &str) {
        use sqlx::{Connection, Executor};
        if self.pg_name.is_some() {
            let mut c = sqlx::PgConnection::connect(&self.url)
                .await
                .expect("connect");
            c.execute(sql).await.expect(sql);
        } else {
            let mut c = sqlx::SqliteConnection::connect(&self.url)
                .await
                .expect("connect");
            c.execute(sql).await.expect(sql);
        }
    }

    /// A single integer from the database, e.g. a `COUNT(*)`.
    pub async fn scalar(&self, sql: &str) -> i64 {
        use sqlx::Connection;
        if self.pg_name.is_some() {
            let mut c = sqlx::PgConnection::connect(&self.url)
                .await
                .expect("connect");
            sqlx::query_scalar(sql).fetch_one(&mut c).await.expect(sql)
        } else {
            let mut c = sqlx::SqliteConnection::connect(&self.url)
                .await
                .expect("connect");
            sqlx::query_scalar(sql).fetch_one(&mut c).await.expect(sql)
        }
    }
}

impl TestDb {
    /// A single text value from the database, e.g. an id.
    pub async fn text(&self, sql: &str) -> String {
        use sqlx::Connection;
        if self.pg_name.is_some() {
            let mut c = sqlx::PgConnection::connect(&self.url)
                .await
                .expect("connect");
            sqlx::query_scalar(sql).fetch_one(&mut c).await.expect(sql)
        } else {
            let mut c = sqlx::SqliteConnection::connect(&self.url)
                .await
                .expect("connect");
            sqlx::query_scalar(sql).fetch_one(&mut c).await.expect(sql)
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        // Drop runs inside the test's runtime, which cannot block; a
        // separate thread with its own runtime removes the database.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                let drop_db = async {
                    use sqlx::Connection;
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url()).await {
                        let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                        let _ = sqlx::query(&sql).execute(&mut conn).await;
                    }
                };
                // A database left behind is harmless; a test that never ends is not.
                let _ = tokio::time::timeout(std::time::Duration::from_secs(15), drop_db).await;
            });
        })
        .join();
    }
}

fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_TEST_DATABASE_URL.to_owned())
}

/// `admin` with its database name replaced by `name`.
fn with_database(admin: &str, name: &str) -> String {
    let (base, query) = match admin.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (admin, String::new()),
    };
    let authority_start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[authority_start..].find('/') {
        Some(i) => &base[..authority_start + i],
        None => base,
    };
    format!("{base}/{name}{query}")
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub state: AppState,
    pub db: TestDb,
    /// The token `/setup` takes while the studio has no employee.
    pub setup_token: Option<String>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl TestApp {
    pub async fn spawn(db: Db) -> TestApp {
        Self::spawn_with(db, &[]).await
    }

    /// Spawns with some configuration variables overridden.
    pub async fn spawn_with(db: Db, overrides: &[(&str, &str)]) -> TestApp {
        Self::spawn_on(TestDb::new(db).await, overrides).await
    }

    /// Spawns on a database the test prepared (e.g. a restored one).
    pub async fn spawn_on(db: TestDb, overrides: &[(&str, &str)]) -> TestApp {
        let mut env = db.env();
        for (k, v) in overrides {
            env.insert((*k).to_owned(), (*v).to_owned());
        }
        let config = Config::from_lookup(|k| env.get(k).cloned()).expect("test configuration");
        let app = Application::build(&config)
            .await
            .expect("the server starts");
        let addr = app.local_addr();
        let state = app.state().clone();
        let setup_token = app.setup_token().map(str::to_owned);
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(app.run_until(async move {
            let _ = rx.await;
        }));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // A request that never gets its answer fails naming its URL,
            // well before the test's own time limit.
            .timeout(std::time::Duration::from_secs(45))
            .build()
            .expect("http client");
        TestApp {
            addr,
            client,
            state,
            db,
            setup_token,
            shutdown: Some(tx),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    pub async fn exec(&self, sql: &str) {
        self.db.exec(sql).await
    }

    /// Creates the studio's first owner, as `server create-owner` does;
    /// returns the employee id.
    pub async fn create_owner(&self, username: &str, password: &str) -> String {
        app::server::employees::create_owner(
            &self.state.store,
            app::server::employees::NewEmployeeInput {
                username,
                email: &format!("{username}@studio.ru"),
                full_name: &format!("{username} (owner)"),
                password,
            },
        )
        .await
        .expect("owner")
    }

    /// Signs in over the API and returns the access token.
    pub async fn access_token(&self, username: &str, password: &str) -> String {
        let res = self
            .client
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({ "username": username, "password": password }))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), 200, "sign-in as {username}");
        let body: serde_json::Value = res.json().await.expect("JSON");
        body["access_token"]
            .as_str()
            .expect("access token")
            .to_owned()
    }

    pub async fn scalar(&self, sql: &str) -> i64 {
        self.db.scalar(sql).await
    }

    pub async fn text(&self, sql: &str) -> String {
        self.db.text(sql).await
    }

    /// Creates the owner `owner` and signs in: the access token.
    pub async fn owner(&self, password: &str) -> String {
        self.create_owner("owner", password).await;
        self.access_token("owner", password).await
    }

    /// A page's HTML as a browser asking in `lang` gets it (200 asserted).
    pub async fn page(&self, path: &str, lang: &str) -> String {
        let res = self
            .client
            .get(self.url(path))
            .header("accept-language", lang)
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), 200, "{path}");
        res.text().await.expect("HTML")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Fails a test that hangs instead of hanging the whole suite.
pub async fn within_time<F: std::future::Future<Output = ()>>(test: F) {
    tokio::time::timeout(std::time::Duration::from_secs(120), test)
        .await
        .expect("the test did not finish within 120 s");
}

/// Declares each test twice, once per backend: `name::sqlite` and
/// `name::postgres`, with `$app` a freshly spawned [`TestApp`].
#[macro_export]
macro_rules! both_backends {
    ($(async fn $name:ident($app:ident) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let $app = $crate::common::TestApp::spawn($crate::common::Db::Sqlite).await;
                    $crate::common::within_time(async move { $body }).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let $app = $crate::common::TestApp::spawn($crate::common::Db::Postgres).await;
                    $crate::common::within_time(async move { $body }).await
                }
            }
        )*
    };
}

/// A studio-local date `day` days ahead (the default studio is UTC+3).
pub fn date_ahead(day: i64) -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(3) + chrono::Duration::days(day)).date_naive()
}

/// RFC 3339 of a full hour of that date, on the studio's clock.
pub fn at(day: i64, hour: u32) -> String {
    format!("{}T{hour:02}:00:00+03:00", date_ahead(day))
}

/// One JSON request, with a bearer token when given; the status and body.
pub async fn send(
    app: &TestApp,
    method: reqwest::Method,
    token: Option<&str>,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    send_url(&app.client, method, app.url(path), token, body).await
}

/// [`send`] to any address (a server process of the test's own).
pub async fn send_url(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut req = client.request(method, url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("request");
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(serde_json::Value::Null),
    )
}

/// Moves a booking through `states` in order, as staff; each step must
/// succeed.
pub async fn move_through(app: &TestApp, token: &str, id: &str, states: &[&str]) {
    for to in states {
        let (status, body) = send(
            app,
            reqwest::Method::POST,
            Some(token),
            &format!("/api/v1/bookings/{id}/state"),
            Some(serde_json::json!({"target_state": to, "reason": "test"})),
        )
        .await;
        assert_eq!(status, 200, "{to}: {body}");
    }
}

/// The free starts (`HH:MM`) of a space on a date, from the public API.
pub async fn free_hours(app: &TestApp, space: &str, day: i64) -> Vec<String> {
    free_hours_at(&app.client, app.addr, space, day).await
}

/// [`free_hours`] from any server (a server process of the test's own).
pub async fn free_hours_at(
    client: &reqwest::Client,
    addr: SocketAddr,
    space: &str,
    day: i64,
) -> Vec<String> {
    let url = format!(
        "http://{addr}/api/v1/public/availability?space={space}&date={}",
        date_ahead(day)
    );
    let (status, body) = send_url(client, reqwest::Method::GET, url, None, None).await;
    assert_eq!(status, 200, "{body}");
    body["slots"]
        .as_array()
        .expect("slots")
        .iter()
        .map(|s| s["start_time"].as_str().expect("a start")[11..16].to_owned())
        .collect()
}

/// A `server serve` process (the real binary) on a free loopback port with
/// `env`, killed on drop.
pub struct ServerProcess {
    pub child: std::process::Child,
    pub addr: SocketAddr,
}

impl ServerProcess {
    /// Starts it and waits until `/health` answers.
    pub async fn start(env: &HashMap<String, String>) -> ServerProcess {
        Self::start_logging(env, "warn", None).await
    }

    /// Starts it logging at `level`, its standard output and error into
    /// `log` (discarded when `None`).
    pub async fn start_logging(
        env: &HashMap<String, String>,
        level: &str,
        log: Option<&std::path::Path>,
    ) -> ServerProcess {
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        // Both streams append to one file, so neither overwrites the other.
        let output = || match log {
            Some(path) => std::process::Stdio::from(
                std::fs::File::options()
                    .create(true)
                    .append(true)
                    .open(path)
                    .expect("log file"),
            ),
            None => std::process::Stdio::null(),
        };
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
            .arg("serve")
            .envs(env)
            .env("STUDIO_ADDR", addr.to_string())
            .env("STUDIO_LOG", level)
            .stdout(output())
            .stderr(output())
            .spawn()
            .expect("server binary");
        let process = ServerProcess { child, addr };
        let client = reqwest::Client::new();
        for _ in 0..300 {
            if client
                .get(format!("http://{addr}/health"))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
            {
                return process;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the server at {addr} did not start");
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Creates the owner `owner` on `env`'s database (as `create-owner` does)
/// and signs in at `addr`; the access token.
pub async fn owner_token(
    env: &HashMap<String, String>,
    addr: SocketAddr,
    password: &str,
) -> String {
    let config = Config::from_lookup(|k| env.get(k).cloned()).expect("configuration");
    let store = server::open_store(&config).await.expect("store");
    app::server::employees::create_owner(
        &store,
        app::server::employees::NewEmployeeInput {
            username: "owner",
            email: "owner@studio.ru",
            full_name: "Owner",
            password,
        },
    )
    .await
    .expect("owner");
    store.close().await;
    let res = reqwest::Client::new()
        .post(format!("http://{addr}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "owner", "password": password}))
        .send()
        .await
        .expect("sign-in");
    assert_eq!(res.status(), 200, "sign-in as owner");
    let body: serde_json::Value = res.json().await.expect("JSON");
    body["access_token"].as_str().expect("a token").to_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_database_name_is_replaced_in_the_url() {
        assert_eq!(
            super::with_database("postgres://u@h:5432/postgres", "t1"),
            "postgres://u@h:5432/t1"
        );
        assert_eq!(
            super::with_database("postgres://u@h/postgres?sslmode=disable", "t1"),
            "postgres://u@h/t1?sslmode=disable"
        );
        assert_eq!(
            super::with_database("postgres://u@h:5432", "t1"),
            "postgres://u@h:5432/t1"
        );
    }
}
