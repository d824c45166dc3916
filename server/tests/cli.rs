//! The `server` binary's subcommands, run as a studio owner would.

mod common;
use common::{Db, TestDb};
use std::{
    io::Write,
    process::{Command, Stdio},
};

fn run(db: &TestDb, args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(args)
        .envs(db.env())
        .env("STUDIO_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("server binary");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

const OWNER: [&str; 7] = [
    "create-owner",
    "--username",
    "Marina",
    "--email",
    "marina@studio.ru",
    "--full-name",
    "Marina Owner",
];

async fn migrate_prepares_a_fresh_database(db: Db) {
    let db = TestDb::new(db).await;
    let (ok, stdout, stderr) = run(&db, &["migrate"], "");
    assert!(ok, "{stderr}");
    assert!(stdout.contains("up to date"));
}

async fn create_owner_refuses_weak_or_empty_passwords(db: Db) {
    let db = TestDb::new(db).await;
    let (ok, _, stderr) = run(&db, &OWNER, "\n");
    assert!(!ok);
    assert!(stderr.contains("Enter a password"), "{stderr}");
    let (ok, _, stderr) = run(&db, &OWNER, "short\n");
    assert!(!ok);
    assert!(stderr.contains("at least 12 characters"), "{stderr}");
    let (ok, _, stderr) = run(&db, &OWNER, "password1234\n");
    assert!(!ok);
    assert!(stderr.contains("too common"), "{stderr}");
}

async fn create_owner_creates_the_first_owner_once(db: Db) {
    let db = TestDb::new(db).await;
    let (ok, stdout, stderr) = run(&db, &OWNER, "north light over the river\n");
    assert!(ok, "{stderr}");
    assert!(stdout.contains("owner 'marina' created"));
    assert!(
        !stderr.contains("north light"),
        "the password reached the output"
    );
    let (ok, _, stderr) = run(
        &db,
        &[
            "create-owner",
            "--username",
            "olga",
            "--email",
            "o@studio.ru",
            "--full-name",
            "Olga",
        ],
        "another long passphrase\n",
    );
    assert!(!ok);
    assert!(stderr.contains("already has an owner"), "{stderr}");
}

async fn create_owner_reports_every_bad_field(db: Db) {
    let db = TestDb::new(db).await;
    let (ok, _, stderr) = run(
        &db,
        &[
            "create-owner",
            "--username",
            "1x",
            "--email",
            "nope",
            "--full-name",
            " ",
        ],
        "north light over the river\n",
    );
    assert!(!ok);
    for field in ["username:", "email:", "full_name:"] {
        assert!(stderr.contains(field), "{field} not reported in {stderr}");
    }
}

async fn audit_verify_reports_an_intact_and_a_broken_chain(db: Db) {
    let db = TestDb::new(db).await;
    let (ok, _, stderr) = run(&db, &OWNER, "north light over the river\n");
    assert!(ok, "{stderr}");
    let (ok, stdout, _) = run(&db, &["audit-verify"], "");
    assert!(ok);
    assert!(stdout.contains("audit log intact"), "{stdout}");
    db.exec("INSERT INTO audit_log (at, action, prev_hash, hash) VALUES (1, 'forged', 'x', 'y')")
        .await;
    let (ok, _, stderr) = run(&db, &["audit-verify"], "");
    assert!(!ok);
    assert!(stderr.contains("audit log broken"), "{stderr}");
}

async fn analytics_rebuild_repairs_the_rollups(db: Db) {
    let db = TestDb::new(db).await;
    let (ok, _, stderr) = run(&db, &["migrate"], "");
    assert!(ok, "{stderr}");
    // A rollup row no booking stands behind, as a bug or a hand edit would leave.
    db.exec(
        "INSERT INTO analytics_daily (space_id, day, bookings, completed, cancelled_guest, \
         cancelled_staff, cancelled_system, no_show, revenue, booked_value, held, held_minutes, \
         lead_minutes, from_website, from_phone, from_walk_in, from_staff, hours) \
         SELECT id, '2026-01-01', 5, 5, 0, 0, 0, 0, 100, 100, 5, 300, 0, 5, 0, 0, 0, '' \
         FROM spaces WHERE slug = 'studio_a'",
    )
    .await;
    let (ok, stdout, stderr) = run(&db, &["analytics-rebuild"], "");
    assert!(ok, "{stderr}");
    assert!(stdout.contains("analytics rebuilt: 0 bookings"), "{stdout}");
    assert_eq!(db.scalar("SELECT COUNT(*) FROM analytics_daily").await, 0);
}

macro_rules! cli_tests {
    ($($name:ident),*) => {
        $(mod $name {
            #[tokio::test]
            async fn sqlite() { super::$name(super::Db::Sqlite).await }
            #[tokio::test]
            async fn postgres() { super::$name(super::Db::Postgres).await }
        })*
    };
}

cli_tests!(
    migrate_prepares_a_fresh_database,
    create_owner_refuses_weak_or_empty_passwords,
    create_owner_creates_the_first_owner_once,
    create_owner_reports_every_bad_field,
    audit_verify_reports_an_intact_and_a_broken_chain,
    analytics_rebuild_repairs_the_rollups
);
