//! First-run setup at `/setup`: open only while the studio has no
//! employee and only to the holder of the token printed at start; every
//! bad field answered at once (never echoing a password); the owner it
//! creates signs in; afterwards the page is gone. The binary prints the
//! token on standard output, not in its log.

mod common;
use common::{Db, TestApp, TestDb};
use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    time::Duration,
};

const PASSWORD: &str = "north light over the river";

async fn post_setup(app: &TestApp, fields: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(app.url("/setup"))
        .form(fields)
        .send()
        .await
        .expect("request")
}

both_backends! {
    async fn the_setup_page_creates_the_first_owner_once(app) {
        let token = app.setup_token.clone().expect("a fresh studio has a setup token");
        assert_eq!(token.len(), 32);
        let page = app.get("/setup").await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("name=\"setup_token\""), "{html}");
        assert!(!html.contains(".wasm"), "the setup page loads no WASM");

        // A wrong token, a weak password and a mismatch: all answered at once,
        // nothing created, the passwords never sent back.
        let res = post_setup(&app, &[
            ("setup_token", "0123456789abcdef0123456789abcdef"), ("username", "marina"),
            ("full_name", "Marina Owner"), ("email", "not-an-email"),
            ("password", "short-secret"), ("password_repeat", "other-secret"),
        ]).await;
        assert_eq!(res.status(), 422);
        let html = res.text().await.unwrap();
        for message in ["Это не тот код", "Пароли не совпадают", "Введите адрес вида"] {
            assert!(html.contains(message), "{message} missing");
        }
        assert!(!html.contains("short-secret") && !html.contains("other-secret"), "a password was echoed");
        assert!(html.contains("value=\"marina\""), "what was typed is kept");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM employees").await, 0);

        let res = post_setup(&app, &[
            ("setup_token", &format!(" {token} ")), ("username", "marina"),
            ("full_name", "Marina Owner"), ("email", "marina@studio.ru"),
            ("password", PASSWORD), ("password_repeat", PASSWORD),
        ]).await;
        assert_eq!(res.status(), 303, "{}", res.text().await.unwrap_or_default());
        assert_eq!(res.headers()["location"], "/staff/login");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM employees WHERE role = 'owner'").await, 1);
        app.access_token("marina", PASSWORD).await;
        assert_eq!(
            app.text("SELECT actor_name FROM audit_log WHERE action = 'employee_created'").await,
            "setup page"
        );

        // Gone for good, with the same token or any other.
        assert_eq!(app.get("/setup").await.status(), 404);
        let res = post_setup(&app, &[
            ("setup_token", &token), ("username", "intruder"), ("full_name", "Intruder"),
            ("email", "i@evil.test"), ("password", PASSWORD), ("password_repeat", PASSWORD),
        ]).await;
        assert_eq!(res.status(), 404);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM employees").await, 1);
    }

    async fn a_studio_with_an_owner_has_no_setup_page(app) {
        app.create_owner("owner", PASSWORD).await;
        assert_eq!(app.get("/setup").await.status(), 404);
        let res = post_setup(&app, &[("setup_token", "x"), ("username", "x")]).await;
        assert_eq!(res.status(), 404);
    }
}

/// The binary prints the token on standard output at start; a restart
/// issues a new one and the old one no longer works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_prints_a_setup_token_on_standard_output() {
    common::within_time(async {
        let db = TestDb::new(Db::Sqlite).await;
        let start = |db: &TestDb| {
            let addr = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap();
            let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
                .arg("serve")
                .envs(db.env())
                .env("STUDIO_ADDR", addr.to_string())
                .env("STUDIO_LOG", "info")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("server binary");
            let stdout = child.stdout.take().unwrap();
            let line = BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .find(|l| l.contains("setup token"))
                .expect("a setup line on standard output");
            (child, addr, line)
        };
        let (mut first, addr, line) = start(&db);
        assert!(line.contains(&format!("http://{addr}/setup")), "{line}");
        let old = line.split("setup token ").nth(1).unwrap()[..32].to_owned();
        first.kill().unwrap();
        let err = first.wait_with_output().unwrap().stderr;
        assert!(
            !String::from_utf8_lossy(&err).contains(&old),
            "the token reached the log"
        );
        let (mut second, addr, line) = start(&db);
        let new = line.split("setup token ").nth(1).unwrap()[..32].to_owned();
        assert_ne!(old, new);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut status = 0;
        for _ in 0..100 {
            if let Ok(r) = client
                .post(format!("http://{addr}/setup"))
                .form(&[
                    ("setup_token", old.as_str()),
                    ("username", "marina"),
                    ("full_name", "Marina"),
                    ("email", "m@studio.ru"),
                    ("password", PASSWORD),
                    ("password_repeat", PASSWORD),
                ])
                .send()
                .await
            {
                status = r.status().as_u16();
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(status, 422, "the previous start's token still worked");
        second.kill().unwrap();
        second.wait().unwrap();
    })
    .await
}
