//! Backup and restore on both backends and across them: a round trip gives
//! back every row of every table; a backup taken while bookings are being
//! made is one consistent instant; a damaged, truncated, foreign or
//! non-backup file is refused and changes nothing; a database that holds a
//! studio is replaced only with `--force`; scheduled backups appear, are
//! pruned and show on `/health` and `/metrics`; the CLI moves a studio from
//! SQLite to PostgreSQL.

mod common;
use app::server::{
    audit,
    backup::{self, BackupError},
    bookings::{self, RequestMeta},
    store::Store,
};
use common::{at, send, Db, TestApp, TestDb};
use reqwest::Method;
use serde_json::{json, Value};
use server::config::Config;
use std::{collections::BTreeMap, path::Path};

const PASSWORD: &str = "north light over the river";

async fn open(db: &TestDb) -> Store {
    let env = db.env();
    let config = Config::from_lookup(|k| env.get(k).cloned()).expect("configuration");
    server::open_store(&config).await.expect("store")
}

/// A studio with something in every kind of record: an owner with MFA
/// off, guest and staff bookings through their whole lives, equipment, a
/// promo code, a block, a client note, a webhook and its outbox rows, and
/// the audit entries all of that wrote.
async fn studio_with_history(app: &TestApp) -> String {
    app.create_owner("owner", PASSWORD).await;
    let token = app.access_token("owner", PASSWORD).await;
    let t = Some(token.as_str());
    let (s, _) = send(
        app,
        Method::POST,
        t,
        "/api/v1/equipment",
        Some(json!({
            "name": "Profoto B10", "price": 1500, "per_hour": true, "stock": 2
        })),
    )
    .await;
    assert_eq!(s, 201);
    let (s, body) = send(
        app,
        Method::POST,
        t,
        "/api/v1/promo-codes",
        Some(json!({
            "code": "SPRING10", "percent_off": 10
        })),
    )
    .await;
    assert!(s == 200 || s == 201, "{s} {body}");
    // A photo: its files are binary columns, carried as base64.
    let (_, spaces) = send(app, Method::GET, t, "/api/v1/spaces", None).await;
    let space = spaces[0]["id"].as_str().unwrap().to_owned();
    let mut png = Vec::new();
    image::DynamicImage::from(image::RgbImage::from_fn(600, 400, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 60])
    }))
    .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
    .unwrap();
    let res = app
        .client
        .post(app.url(&format!("/api/v1/spaces/{space}/photos?alt_ru=Зал")))
        .bearer_auth(&token)
        .header("content-type", "image/png")
        .body(png)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let (s, body) = send(
        app,
        Method::POST,
        t,
        "/api/v1/blocks",
        Some(json!({
            "space": "studio_b", "start_time": at(6, 9), "end_time": at(6, 12), "reason": "Ремонт"
        })),
    )
    .await;
    assert_eq!(s, 201, "{body}");
    let (s, body) = send(
        app,
        Method::POST,
        t,
        "/api/v1/webhooks",
        Some(json!({
            "url": "http://127.0.0.1:9/hook", "events": ["booking.created"], "active": true
        })),
    )
    .await;
    assert_eq!(s, 201, "{body}");
    let mut ids = Vec::new();
    for (i, name) in ["Анна Тестова", "Ёжик Ёлкин", "O'Brien \"Quote\" Smith"]
        .iter()
        .enumerate()
    {
        let (s, b) = send(app, Method::POST, None, "/api/v1/public/bookings", Some(json!({
            "space": "studio_a", "start_time": at(3, 10 + 2 * i as u32), "end_time": at(3, 11 + 2 * i as u32),
            "people_count": 2, "client_name": name, "client_phone": format!("+7 916 555 01 2{i}"),
            "client_email": format!("guest{i}@example.com"), "promo_code": "SPRING10",
            "special_requirements": "белый фон\nи чай", "consent": true
        }))).await;
        assert_eq!(s, 201, "{b}");
        ids.push(b["id"].as_str().unwrap().to_owned());
    }
    let (s, b) = send(
        app,
        Method::POST,
        t,
        "/api/v1/bookings",
        Some(json!({
            "space": "studio_b", "start_time": at(4, 15), "end_time": at(4, 17), "people_count": 1,
            "client_name": "Boris Client", "client_phone": "+7 903 111 22 33", "source": "phone", "client_consent": true
        })),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    common::move_through(
        app,
        &token,
        &ids[0],
        &["confirmed", "in_progress", "completed"],
    )
    .await;
    common::move_through(app, &token, &ids[1], &["cancelled"]).await;
    let (s, _) = send(
        app,
        Method::PUT,
        t,
        "/api/v1/clients/+79165550120/notes",
        Some(json!({
            "notes": "Постоянный клиент"
        })),
    )
    .await;
    assert!(s == 200 || s == 204, "client note: {s}");
    // The webhook's receiver is not there: once each message has had its
    // first attempt, the next is half a minute away, and the studio holds
    // still while it is compared with its copy.
    for _ in 0..200 {
        let waiting = app
            .scalar(
                "SELECT COUNT(*) FROM outbox o WHERE NOT EXISTS \
                 (SELECT 1 FROM outbox_attempts a WHERE a.outbox_id = o.id)",
            )
            .await;
        if waiting == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    token
}

/// Every row of every table, each table's rows in one order whatever the
/// backend's collation.
async fn rows(store: &Store) -> BTreeMap<String, Vec<String>> {
    backup::contents(store)
        .await
        .expect("contents")
        .into_iter()
        .map(|(table, rows)| {
            let mut rows: Vec<String> = rows
                .into_iter()
                .map(|r| serde_json::to_string(&r).unwrap())
                .collect();
            rows.sort();
            (table, rows)
        })
        .collect()
}

async fn count(db: &TestDb, table: &str) -> i64 {
    db.scalar(&format!("SELECT COUNT(*) FROM {table}")).await
}

async fn round_trip(from: Db, to: Db) {
    let app = TestApp::spawn(from).await;
    studio_with_history(&app).await;
    let secret = app.state.signing_key.clone();
    let file = app.db.dir.path().join("studio.backup");
    let made = backup::backup(&app.state.store, &secret, &file)
        .await
        .expect("backup");
    assert_eq!(made.tables, backup::TABLES.len());
    assert!(made.rows > 40, "{made:?}");
    // Nothing of the guests' data is readable in the file.
    let raw = std::fs::read(&file).unwrap();
    for needle in [
        "Анна Тестова",
        "guest0@example.com",
        "79165550120",
        "Profoto",
    ] {
        assert!(
            !raw.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "{needle} is readable in the backup"
        );
    }
    let source = rows(&app.state.store).await;

    let target = TestDb::new(to).await;
    let store = open(&target).await;
    let restored = backup::restore(&store, &secret, &file, false)
        .await
        .expect("restore");
    assert_eq!(restored.rows, made.rows);
    let mut copy = rows(&store).await;
    // The restore is itself audited: one entry more than the source.
    let audit_rows = copy.get_mut("audit_log").unwrap();
    let restore_entry = audit_rows
        .iter()
        .position(|r| r.contains("backup.restored"))
        .expect("the restore's audit entry");
    audit_rows.remove(restore_entry);
    assert_eq!(
        source.keys().collect::<Vec<_>>(),
        copy.keys().collect::<Vec<_>>()
    );
    for (table, rows) in &source {
        assert_eq!(
            rows, &copy[table],
            "table {table} differs after the round trip"
        );
    }
    // Counted by each database itself, not by the code under test.
    for table in backup::TABLES {
        let expected = count(&app.db, table).await + i64::from(*table == "audit_log");
        assert_eq!(count(&target, table).await, expected, "{table}");
    }
    assert!(matches!(
        audit::verify(&store).await.unwrap(),
        audit::Verification::Intact { .. }
    ));
    store.close().await;

    // The restored studio works: the owner signs in, the bookings are
    // there, and new rows get fresh ids after the restored ones.
    let restored_app = TestApp::spawn_on(target, &[]).await;
    let token = restored_app.access_token("owner", PASSWORD).await;
    let (s, list) = send(
        &restored_app,
        Method::GET,
        Some(&token),
        "/api/v1/bookings?per_page=50",
        None,
    )
    .await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list["total"].as_i64(), Some(4), "{list}");
    let (s, b) = send(
        &restored_app,
        Method::POST,
        None,
        "/api/v1/public/bookings",
        Some(json!({
            "space": "studio_a", "start_time": at(5, 10), "end_time": at(5, 11), "people_count": 1,
            "client_name": "After Restore", "client_phone": "+7 916 000 00 01", "consent": true
        })),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    // The block came along: its hours are still closed.
    let (s, b) = send(
        &restored_app,
        Method::POST,
        None,
        "/api/v1/public/bookings",
        Some(json!({
            "space": "studio_b", "start_time": at(6, 10), "end_time": at(6, 11), "people_count": 1,
            "client_name": "Blocked", "client_phone": "+7 916 000 00 02", "consent": true
        })),
    )
    .await;
    assert_eq!(s, 409, "{b}");
    assert!(matches!(
        audit::verify(&restored_app.state.store).await.unwrap(),
        audit::Verification::Intact { .. }
    ));
}

macro_rules! pairs {
    ($($name:ident: $from:ident -> $to:ident),* $(,)?) => {
        $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            common::within_time(round_trip(Db::$from, Db::$to)).await
        })*
    };
}

pairs!(
    round_trip_sqlite_to_sqlite: Sqlite -> Sqlite,
    round_trip_postgres_to_postgres: Postgres -> Postgres,
    round_trip_sqlite_to_postgres: Sqlite -> Postgres,
    round_trip_postgres_to_sqlite: Postgres -> Sqlite,
);

async fn assert_empty(db: &TestDb) {
    assert_eq!(count(db, "employees").await, 0);
    assert_eq!(count(db, "bookings").await, 0);
}

both_backends! {
    async fn a_damaged_truncated_or_foreign_backup_is_refused_and_changes_nothing(app) {
        studio_with_history(&app).await;
        let secret = app.state.signing_key.clone();
        let dir = app.db.dir.path();
        let file = dir.join("good.backup");
        backup::backup(&app.state.store, &secret, &file).await.expect("backup");
        let good = std::fs::read(&file).unwrap();

        let target = TestDb::new(if app.db.url.starts_with("sqlite") { Db::Sqlite } else { Db::Postgres }).await;
        let store = open(&target).await;
        let attempt = |bytes: Vec<u8>, name: &str| {
            let path = dir.join(name);
            std::fs::write(&path, bytes).unwrap();
            path
        };
        let mut flipped = good.clone();
        let middle = good.len() / 2;
        flipped[middle] ^= 0x40;
        let p = attempt(flipped, "flipped.backup");
        let e = backup::restore(&store, &secret, &p, false).await.unwrap_err();
        assert!(matches!(e, BackupError::Damaged(_)), "{e}");
        assert!(e.to_string().contains("damaged"), "{e}");

        let p = attempt(good[..good.len() - 100].to_vec(), "cut.backup");
        let e = backup::restore(&store, &secret, &p, false).await.unwrap_err();
        assert!(matches!(e, BackupError::Incomplete(_)), "{e}");
        let p = attempt(good[..40].to_vec(), "stub.backup");
        let e = backup::restore(&store, &secret, &p, false).await.unwrap_err();
        assert!(matches!(e, BackupError::Incomplete(_) | BackupError::NotABackup(_)), "{e}");

        let e = backup::restore(&store, b"another-studio-secret-key-0123456789abcdef", &file, false)
            .await
            .unwrap_err();
        assert!(matches!(e, BackupError::Damaged(_)), "{e}");
        assert!(e.to_string().contains("another secret key"), "{e}");

        let p = attempt(b"id,name\n1,not a backup\n".to_vec(), "notes.csv");
        let e = backup::restore(&store, &secret, &p, false).await.unwrap_err();
        assert!(matches!(e, BackupError::NotABackup(_)), "{e}");
        let e = backup::restore(&store, &secret, &dir.join("missing.backup"), false).await.unwrap_err();
        assert!(matches!(e, BackupError::Io { .. }), "{e}");

        // Nothing of any attempt stayed behind, and the default studio of
        // a fresh start is still there.
        assert_empty(&target).await;
        // The good file still restores into the same database afterwards.
        backup::restore(&store, &secret, &file, false).await.expect("the good file");
        assert_eq!(count(&target, "bookings").await, 4);
        store.close().await;
    }

    async fn a_database_that_holds_a_studio_is_replaced_only_with_force(app) {
        studio_with_history(&app).await;
        let secret = app.state.signing_key.clone();
        let file = app.db.dir.path().join("a.backup");
        backup::backup(&app.state.store, &secret, &file).await.expect("backup");
        // Another studio, with its own owner and a booking.
        let other = TestApp::spawn(if app.db.url.starts_with("sqlite") { Db::Sqlite } else { Db::Postgres }).await;
        other.create_owner("someone", PASSWORD).await;
        let (s, _) = send(&other, Method::POST, None, "/api/v1/public/bookings", Some(json!({
            "space": "studio_a", "start_time": at(8, 10), "end_time": at(8, 11), "people_count": 1,
            "client_name": "Only Here", "client_phone": "+7 916 000 11 22", "consent": true
        }))).await;
        assert_eq!(s, 201);
        let e = backup::restore(&other.state.store, &secret, &file, false).await.unwrap_err();
        assert!(matches!(e, BackupError::NotEmpty { employees: 1, bookings: 1 }), "{e}");
        assert!(e.to_string().contains("--force"), "{e}");
        assert_eq!(other.scalar("SELECT COUNT(*) FROM bookings").await, 1);
        backup::restore(&other.state.store, &secret, &file, true).await.expect("forced");
        assert_eq!(other.scalar("SELECT COUNT(*) FROM bookings").await, 4);
        assert_eq!(other.scalar("SELECT COUNT(*) FROM employees WHERE username = 'someone'").await, 0);
        assert!(matches!(
            audit::verify(&other.state.store).await.unwrap(),
            audit::Verification::Intact { .. }
        ));
    }

    async fn a_backup_taken_during_concurrent_bookings_is_one_instant(app) {
        let secret = app.state.signing_key.clone();
        // Bookings keep arriving from four writers while the backup runs.
        let writers: Vec<_> = (0..4u32)
            .map(|w| {
                let state = app.state.clone();
                tokio::spawn(async move {
                    let mut made = 0;
                    for i in 0..40u32 {
                        let day = 2 + i64::from(i / 6);
                        let hour = 9 + (i % 6) * 2 + u32::from(w >= 2);
                        let space = if w % 2 == 0 { "studio_a" } else { "studio_b" };
                        let request = serde_json::from_value(json!({
                            "space": space, "start_time": at(day, hour), "end_time": at(day, hour + 1),
                            "people_count": 1, "client_name": format!("Writer {w}"),
                            "client_phone": format!("+7 916 {w:03} {i:02} 00"), "consent": true
                        }))
                        .unwrap();
                        if bookings::create_guest_booking(&state, &request, &RequestMeta::default()).await.is_ok() {
                            made += 1;
                        }
                    }
                    made
                })
            })
            .collect();
        // The backup starts once the first bookings are in, while the rest
        // are still arriving.
        while app.scalar("SELECT COUNT(*) FROM bookings").await < 12 {
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        let file = app.db.dir.path().join("busy.backup");
        backup::backup(&app.state.store, &secret, &file).await.expect("backup while busy");
        let mut made = 0;
        for w in writers {
            made += w.await.unwrap();
        }
        assert_eq!(made, 160, "every booking was accepted");

        let target = TestDb::new(if app.db.url.starts_with("sqlite") { Db::Sqlite } else { Db::Postgres }).await;
        let store = open(&target).await;
        backup::restore(&store, &secret, &file, false).await.expect("restore");
        let bookings = count(&target, "bookings").await;
        assert!(bookings > 0 && bookings < 160, "the backup was not taken mid-way ({bookings})");
        // Every booking in the snapshot has everything its transaction
        // wrote, and nothing refers to a booking outside it.
        for (what, sql) in [
            ("consent", "SELECT COUNT(*) FROM bookings b WHERE NOT EXISTS (SELECT 1 FROM consent_records c WHERE c.booking_id = b.id)"),
            ("history", "SELECT COUNT(*) FROM bookings b WHERE NOT EXISTS (SELECT 1 FROM booking_state_history h WHERE h.booking_id = b.id)"),
            ("event", "SELECT COUNT(*) FROM bookings b WHERE NOT EXISTS (SELECT 1 FROM domain_events e WHERE e.aggregate_type = 'booking' AND e.aggregate_id = b.id)"),
            ("stray event", "SELECT COUNT(*) FROM domain_events e WHERE e.aggregate_type = 'booking' AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.id = e.aggregate_id)"),
            ("rollup", "SELECT ABS(CAST(COALESCE((SELECT SUM(bookings) FROM analytics_daily), 0) AS BIGINT) - (SELECT COUNT(*) FROM bookings))"),
            ("client base", "SELECT ABS(CAST(COALESCE((SELECT SUM(bookings) FROM client_stats), 0) AS BIGINT) - (SELECT COUNT(*) FROM bookings))"),
        ] {
            assert_eq!(target.scalar(sql).await, 0, "{what}: the snapshot is torn");
        }
        store.close().await;
    }
}

/// Scheduled backups on a SQLite studio (the file restores into PostgreSQL).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_backups_appear_are_pruned_and_show_on_health() {
    common::within_time(async {
        let db = TestDb::new(Db::Sqlite).await;
        let dir = db.dir.path().join("backups");
        std::fs::create_dir_all(&dir).unwrap();
        // Three old backups (two days and more), and a file that is not one.
        let day = std::time::Duration::from_secs(86_400);
        for (i, name) in [
            "studio-20260101T000000Z.studio-backup",
            "studio-20260102T000000Z.studio-backup",
            "studio-20260103T000000Z.studio-backup",
        ]
        .iter()
        .enumerate()
        {
            let f = std::fs::File::create(dir.join(name)).unwrap();
            f.set_modified(std::time::SystemTime::now() - day * (5 - i as u32))
                .unwrap();
        }
        std::fs::write(dir.join("notes.txt"), "keep me").unwrap();
        let app = TestApp::spawn_on(
            db,
            &[
                ("STUDIO_BACKUP_DIR", dir.to_str().unwrap()),
                ("STUDIO_BACKUP_KEEP", "2"),
            ],
        )
        .await;
        let mut fresh = None;
        for _ in 0..100 {
            let found = backup::scheduled_backups(&dir);
            if found.len() == 2 && found[0].1.elapsed().unwrap() < day {
                fresh = Some(found);
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let found = fresh.expect("a scheduled backup was written and the oldest pruned");
        assert!(
            found[1]
                .0
                .ends_with("studio-20260103T000000Z.studio-backup"),
            "{found:?}"
        );
        assert!(dir.join("notes.txt").exists(), "only backups are pruned");
        assert_eq!(backup::inspect(&found[0].0).unwrap().backend, "sqlite");
        let health: Value = app.get("/health").await.json().await.unwrap();
        assert_eq!(health["status"], "ok");
        assert!(
            health["backup"]["age_seconds"].as_i64().unwrap() < 60,
            "{health}"
        );
        assert_eq!(health["backup"]["overdue"], false, "{health}");
        let metrics = app.get("/metrics").await.text().await.unwrap();
        assert!(
            metrics.contains("studio_backup_last_success_timestamp_seconds"),
            "{metrics}"
        );
        // The scheduled file restores like any other.
        let target = TestDb::new(Db::Postgres).await;
        let store = open(&target).await;
        backup::restore(&store, &app.state.signing_key, &found[0].0, false)
            .await
            .expect("restore");
        store.close().await;
    })
    .await
}

/// The CLI, as an operator moving a studio from SQLite to PostgreSQL would
/// run it, and its messages for a file it refuses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_moves_a_studio_from_sqlite_to_postgres() {
    common::within_time(async {
        let app = TestApp::spawn(Db::Sqlite).await;
        studio_with_history(&app).await;
        let file = app.db.dir.path().join("move.backup");
        let run = |db: &TestDb, args: &[&str]| {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
                .args(args)
                .envs(db.env())
                .env("STUDIO_LOG", "warn")
                .output()
                .expect("server binary");
            (
                out.status.success(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        };
        let (ok, stdout, stderr) = run(&app.db, &["backup", "--output", file.to_str().unwrap()]);
        assert!(ok, "{stderr}");
        assert!(stdout.contains("backup written"), "{stdout}");
        let target = TestDb::new(Db::Postgres).await;
        let (ok, stdout, stderr) = run(&target, &["restore", "-i", file.to_str().unwrap()]);
        assert!(ok, "{stderr}");
        assert!(
            stdout.contains("from a sqlite backup") && stdout.contains("into postgres"),
            "{stdout}"
        );
        assert_eq!(count(&target, "bookings").await, 4);
        let (ok, _, stderr) = run(&target, &["restore", "-i", file.to_str().unwrap()]);
        assert!(!ok);
        assert!(stderr.contains("already holds a studio"), "{stderr}");
        let (ok, stdout, stderr) = run(&target, &["audit-verify"]);
        assert!(ok, "{stderr}");
        assert!(stdout.contains("intact"), "{stdout}");
        let cut = app.db.dir.path().join("cut.backup");
        let bytes = std::fs::read(&file).unwrap();
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        let empty = TestDb::new(Db::Sqlite).await;
        let (ok, _, stderr) = run(&empty, &["restore", "-i", cut.to_str().unwrap()]);
        assert!(!ok);
        assert!(stderr.contains("incomplete"), "{stderr}");
        assert!(!Path::new(&format!("{}.partial", file.display())).exists());
    })
    .await
}
