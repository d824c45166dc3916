//! Sessions and credentials under pressure: a page load and parallel tabs
//! renew a cookie session once without a false theft alarm, the lockout
//! counts every parallel guess, re-checks of a password or code count
//! toward it, sessions end at their idle and absolute limits, temporary
//! passwords expire, and the last owner survives two owners demoting each
//! other at once.

mod common;
use common::TestApp;
use serde_json::{json, Value};

const PASSWORD: &str = "north light over the river";

async fn login(app: &TestApp, username: &str, password: &str) -> (u16, Value) {
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

async fn refresh(app: &TestApp, token: &str) -> (u16, Value) {
    let res = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .json(&json!({ "refresh_token": token }))
        .send()
        .await
        .unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

/// The `name=value` of each `Set-Cookie` of a response.
fn set_cookies(res: &reqwest::Response) -> Vec<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect()
}

fn cookie_value(cookies: &[String], name: &str) -> Option<String> {
    cookies
        .iter()
        .find_map(|c| c.strip_prefix(&format!("{name}=")).map(str::to_owned))
}

async fn reused_alarms(app: &TestApp) -> i64 {
    app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'refresh_token_reused'")
        .await
}

both_backends! {
    async fn a_page_load_with_an_expired_access_token_renews_the_session_once(app) {
        app.create_owner("marina", PASSWORD).await;
        let (_, pair) = login(&app, "marina", PASSWORD).await;
        let refresh_token = pair["refresh_token"].as_str().unwrap();
        // The access cookie has expired and is gone: only the refresh
        // cookie comes, and the board page asks several server functions
        // who is signed in while it renders.
        let res = app
            .client
            .get(app.url("/staff/board"))
            .header("cookie", format!("studio_refresh={refresh_token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "signed in, not sent to the sign-in page");
        let cookies = set_cookies(&res);
        assert_eq!(
            cookies.iter().filter(|c| c.starts_with("studio_refresh=")).count(),
            1,
            "one renewal, set once: {cookies:?}"
        );
        assert_eq!(cookies.iter().filter(|c| c.starts_with("studio_access=")).count(), 1);
        let renewed = cookie_value(&cookies, "studio_refresh").unwrap();
        assert_ne!(renewed, refresh_token);
        assert_eq!(reused_alarms(&app).await, 0);
        // The same page loaded again with the renewed cookies renews nothing.
        let access = cookie_value(&cookies, "studio_access").unwrap();
        let res = app
            .client
            .get(app.url("/staff/board"))
            .header("cookie", format!("studio_access={access}; studio_refresh={renewed}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert!(set_cookies(&res).is_empty());
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM sessions WHERE revoked_at IS NOT NULL").await,
            0,
            "no session was ended"
        );
    }

    async fn two_tabs_renewing_at_the_same_moment_share_one_successor(app) {
        app.create_owner("marina", PASSWORD).await;
        let (_, pair) = login(&app, "marina", PASSWORD).await;
        let token = pair["refresh_token"].as_str().unwrap().to_owned();
        let tabs: Vec<_> = (0..6)
            .map(|_| {
                let client = app.client.clone();
                let url = app.url("/staff/calendar");
                let cookie = format!("studio_refresh={token}");
                tokio::spawn(async move {
                    let res = client.get(url).header("cookie", cookie).send().await.unwrap();
                    (res.status().as_u16(), cookie_value(&set_cookies(&res), "studio_refresh"))
                })
            })
            .collect();
        let mut successors = Vec::new();
        for tab in tabs {
            let (status, successor) = tab.await.unwrap();
            assert_eq!(status, 200);
            successors.push(successor.expect("renewed cookies"));
        }
        successors.dedup();
        assert_eq!(successors.len(), 1, "every tab got the same successor");
        assert_eq!(reused_alarms(&app).await, 0);
        let (status, _) = refresh(&app, &successors[0]).await;
        assert_eq!(status, 200, "the shared successor is live");
    }

    async fn a_token_presented_again_within_the_grace_answers_with_its_successor(app) {
        app.create_owner("marina", PASSWORD).await;
        let (_, pair) = login(&app, "marina", PASSWORD).await;
        let old = pair["refresh_token"].as_str().unwrap().to_owned();
        let (status, first) = refresh(&app, &old).await;
        assert_eq!(status, 200);
        let (status, again) = refresh(&app, &old).await;
        assert_eq!(status, 200);
        assert_eq!(again["refresh_token"], first["refresh_token"]);
        assert_eq!(reused_alarms(&app).await, 0);
    }

    async fn a_token_spent_before_the_grace_ends_the_whole_session(app) {
        app.create_owner("marina", PASSWORD).await;
        let (_, pair) = login(&app, "marina", PASSWORD).await;
        let old = pair["refresh_token"].as_str().unwrap().to_owned();
        let (_, next) = refresh(&app, &old).await;
        // As if the rotation happened a minute ago.
        app.exec("UPDATE sessions SET replaced_at = replaced_at - 60 WHERE replaced_at IS NOT NULL").await;
        let (status, body) = refresh(&app, &old).await;
        assert_eq!(status, 401);
        assert_eq!(body["error"]["code"], "token_reused");
        assert_eq!(reused_alarms(&app).await, 1);
        assert_eq!(refresh(&app, next["refresh_token"].as_str().unwrap()).await.0, 401, "the successor died with the family");
    }

    async fn a_rest_read_with_cookies_keeps_the_renewed_cookies(app) {
        app.create_owner("marina", PASSWORD).await;
        let (_, pair) = login(&app, "marina", PASSWORD).await;
        let token = pair["refresh_token"].as_str().unwrap();
        let res = app
            .client
            .get(app.url("/api/v1/audit/export"))
            .header("cookie", format!("studio_refresh={token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let renewed = cookie_value(&set_cookies(&res), "studio_refresh").expect("renewed cookie set");
        assert_eq!(refresh(&app, &renewed).await.0, 200, "the browser holds a live token");
    }

    async fn a_session_ends_after_its_idle_time_and_its_absolute_lifetime(app) {
        app.create_owner("marina", PASSWORD).await;
        let (_, idle) = login(&app, "marina", PASSWORD).await;
        app.exec("UPDATE sessions SET last_used_at = last_used_at - 1801").await;
        let (status, body) = refresh(&app, idle["refresh_token"].as_str().unwrap()).await;
        assert_eq!((status, body["error"]["code"].as_str()), (401, Some("session_expired")));
        let (_, old) = login(&app, "marina", PASSWORD).await;
        app.exec("UPDATE sessions SET absolute_expiry = 1 WHERE revoked_at IS NULL").await;
        let (status, body) = refresh(&app, old["refresh_token"].as_str().unwrap()).await;
        assert_eq!((status, body["error"]["code"].as_str()), (401, Some("session_expired")));
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM sessions WHERE revoked_at IS NULL").await,
            0,
            "both families are revoked"
        );
    }

    async fn twenty_parallel_wrong_passwords_lock_the_account(app) {
        app.create_owner("marina", PASSWORD).await;
        let guesses: Vec<_> = (0..20)
            .map(|i| {
                let client = app.client.clone();
                let url = app.url("/api/v1/auth/login");
                tokio::spawn(async move {
                    client
                        .post(url)
                        .json(&json!({ "username": "marina", "password": format!("wrong guess number {i}") }))
                        .send()
                        .await
                        .unwrap()
                        .status()
                        .as_u16()
                })
            })
            .collect();
        for g in guesses {
            assert!([401, 423].contains(&g.await.unwrap()));
        }
        let failures = app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'login_failed'").await;
        assert_eq!(failures, 20, "every guess was counted and audited");
        let (status, body) = login(&app, "marina", PASSWORD).await;
        assert_eq!(status, 423, "locked even for the right password: {body}");
        assert_eq!(body["error"]["code"], "account_locked");
    }

    async fn wrong_passwords_and_codes_of_a_signed_in_employee_count_toward_the_lockout(app) {
        app.create_owner("marina", PASSWORD).await;
        let token = app.access_token("marina", PASSWORD).await;
        let post = |path: &'static str, body: Value| {
            let req = app.client.post(app.url(path)).bearer_auth(&token).json(&body);
            async move { req.send().await.unwrap().status().as_u16() }
        };
        assert_eq!(post("/api/v1/auth/password", json!({"current_password": "not it at all", "new_password": "a brand new passphrase"})).await, 422);
        assert_eq!(post("/api/v1/auth/mfa/setup", json!({"password": "not it at all"})).await, 422);
        assert_eq!(post("/api/v1/auth/mfa/disable", json!({"password": "not it at all", "code": "000000"})).await, 422);
        assert_eq!(post("/api/v1/auth/password", json!({"current_password": "still not it", "new_password": "a brand new passphrase"})).await, 422);
        assert_eq!(post("/api/v1/auth/mfa/setup", json!({"password": "still not it"})).await, 423, "the fifth failure locks");
        assert_eq!(post("/api/v1/auth/mfa/setup", json!({"password": PASSWORD})).await, 423, "the right one too, while locked");
        assert_eq!(login(&app, "marina", PASSWORD).await.0, 423);
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'credential_check_failed'").await,
            5
        );
    }

    async fn a_temporary_password_expires(app) {
        app.create_owner("marina", PASSWORD).await;
        let owner = app.access_token("marina", PASSWORD).await;
        let res = app.client.post(app.url("/api/v1/employees")).bearer_auth(&owner)
            .json(&json!({"username": "maria", "email": "maria@studio.ru", "full_name": "Maria", "role": "manager"}))
            .send().await.unwrap();
        assert_eq!(res.status(), 201);
        let temporary = res.json::<Value>().await.unwrap()["temporary_password"].as_str().unwrap().to_owned();
        assert_eq!(login(&app, "maria", &temporary).await.0, 200, "fresh: usable");
        app.exec("UPDATE employees SET password_changed_at = password_changed_at - 86401 WHERE username = 'maria'").await;
        let (status, body) = login(&app, "maria", &temporary).await;
        assert_eq!((status, body["error"]["code"].as_str()), (401, Some("temporary_password_expired")));
    }

    async fn two_owners_demoting_each_other_at_once_leave_one_owner(app) {
        app.create_owner("marina", PASSWORD).await;
        let first = app.access_token("marina", PASSWORD).await;
        let res = app.client.post(app.url("/api/v1/employees")).bearer_auth(&first)
            .json(&json!({"username": "olga", "email": "olga@studio.ru", "full_name": "Olga", "role": "owner"}))
            .send().await.unwrap();
        assert_eq!(res.status(), 201);
        let body: Value = res.json().await.unwrap();
        let temporary = body["temporary_password"].as_str().unwrap().to_owned();
        let second = app.access_token("olga", &temporary).await;
        let res = app.client.post(app.url("/api/v1/auth/password")).bearer_auth(&second)
            .json(&json!({"current_password": temporary, "new_password": "the second owner's phrase"}))
            .send().await.unwrap();
        assert_eq!(res.status(), 204);
        let ids: Vec<(String, String)> = vec![
            (first.clone(), app.text("SELECT id FROM employees WHERE username = 'olga'").await),
            (second.clone(), app.text("SELECT id FROM employees WHERE username = 'marina'").await),
        ];
        let demotions: Vec<_> = ids
            .into_iter()
            .map(|(token, target)| {
                let client = app.client.clone();
                let url = app.url(&format!("/api/v1/employees/{target}"));
                tokio::spawn(async move {
                    client.put(url).bearer_auth(token).json(&json!({"role": "admin"})).send().await.unwrap().status().as_u16()
                })
            })
            .collect();
        let mut statuses = Vec::new();
        for d in demotions {
            statuses.push(d.await.unwrap());
        }
        statuses.sort();
        assert!(statuses.contains(&200), "{statuses:?}");
        assert!(!statuses.iter().all(|s| *s == 200), "both cannot win: {statuses:?}");
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM employees WHERE role = 'owner' AND active = TRUE").await,
            1
        );
    }
}
