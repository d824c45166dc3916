//! Staff sign-in and sessions, each test named after the OWASP ASVS 5.0
//! requirement it proves.

mod common;
use common::TestApp;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

const SECRET: &str = "test-secret-key-that-is-long-enough-0123456789";
const PASSWORD: &str = "north light over the river";

async fn owner(app: &TestApp) -> String {
    app.create_owner("marina", PASSWORD).await
}

async fn login(app: &TestApp, username: &str, password: &str) -> (u16, Value, Option<String>) {
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let retry = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, res.json().await.unwrap_or(Value::Null), retry)
}

async fn profile(app: &TestApp, token: &str) -> u16 {
    app.client
        .get(app.url("/api/v1/employees/profile"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
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

/// Signs claims with the server's access-token key, as an attacker who
/// knew it could, or with another key.
fn sign(claims: &Value, key: &[u8]) -> String {
    use jsonwebtoken::{encode, EncodingKey, Header};
    encode(&Header::default(), claims, &EncodingKey::from_secret(key)).unwrap()
}

fn server_key() -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(b"access-token");
    mac.finalize().into_bytes().to_vec()
}

fn b64(s: &str) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = s.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

async fn create_manager(app: &TestApp, owner_token: &str) -> String {
    let res = app
        .client
        .post(app.url("/api/v1/employees"))
        .bearer_auth(owner_token)
        .json(&json!({"username": "maria", "email": "maria@studio.ru", "full_name": "Maria", "role": "manager"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    body["temporary_password"].as_str().unwrap().to_owned()
}

async fn change_password(app: &TestApp, token: &str, current: &str, new: &str) -> (u16, Value) {
    let res = app
        .client
        .post(app.url("/api/v1/auth/password"))
        .bearer_auth(token)
        .json(&json!({"current_password": current, "new_password": new}))
        .send()
        .await
        .unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

async fn get(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let res = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

async fn post_json(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    let res = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

async fn login_with_code(app: &TestApp, code: &str) -> (u16, Value) {
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "username": "marina", "password": PASSWORD, "mfa_code": code }))
        .send()
        .await
        .unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

/// The code of the authenticator for `secret` at `offset` steps from now.
fn code(secret: &str, offset: i64) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned())
        .to_bytes()
        .unwrap();
    let totp = totp_rs::TOTP::new(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        None,
        String::new(),
    )
    .unwrap();
    let now = chrono::Utc::now().timestamp() + offset * 30;
    totp.generate(u64::try_from(now).unwrap())
}

/// Enrols the owner in MFA; returns the secret, the backup codes and the
/// code that confirmed the enrolment.
async fn enrol(app: &TestApp) -> (String, Vec<String>, String) {
    owner(app).await;
    let (_, pair, _) = login(app, "marina", PASSWORD).await;
    let token = pair["access_token"].as_str().unwrap().to_owned();
    let (status, err) = post_json(
        app,
        &token,
        "/api/v1/auth/mfa/setup",
        json!({"password": "not my password"}),
    )
    .await;
    assert_eq!(status, 422, "re-authentication is required: {err}");
    let (status, setup) = post_json(
        app,
        &token,
        "/api/v1/auth/mfa/setup",
        json!({"password": PASSWORD}),
    )
    .await;
    assert_eq!(status, 200);
    let secret = setup["secret"].as_str().unwrap().to_owned();
    assert!(setup["otpauth_url"]
        .as_str()
        .unwrap()
        .starts_with("otpauth://totp/"));
    assert!(setup["qr_svg"].as_str().unwrap().contains("<svg"));
    let (status, _) = post_json(
        app,
        &token,
        "/api/v1/auth/mfa/enable",
        json!({"code": "000000"}),
    )
    .await;
    assert_eq!(status, 422);
    let confirming = code(&secret, 0);
    let (status, codes) = post_json(
        app,
        &token,
        "/api/v1/auth/mfa/enable",
        json!({ "code": confirming }),
    )
    .await;
    assert_eq!(status, 200);
    let codes: Vec<String> = codes["backup_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    (secret, codes, confirming)
}

both_backends! {
    async fn v6_5_turning_two_factor_off_needs_the_password_and_a_code(app) {
        let (secret, backup, _) = enrol(&app).await;
        let (_, pair) = login_with_code(&app, &code(&secret, 1)).await;
        let token = pair["access_token"].as_str().unwrap().to_owned();
        let (status, _) = post_json(&app, &token, "/api/v1/auth/mfa/disable", json!({"password": PASSWORD, "code": "000000"})).await;
        assert_eq!(status, 422, "a wrong code keeps it on");
        // The current step is spent by the sign-in: a backup code does.
        let (status, body) = post_json(&app, &token, "/api/v1/auth/mfa/disable", json!({"password": PASSWORD, "code": backup[0]})).await;
        assert_eq!(status, 204, "{body}");
        let (status, body, _) = login(&app, "marina", PASSWORD).await;
        assert_eq!(status, 200, "the password alone is enough again: {body}");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM employees WHERE mfa_enabled = FALSE AND mfa_secret IS NULL").await, 1);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM mfa_backup_codes").await, 0, "the backup codes are gone");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'mfa_disabled'").await, 1);
    }

    async fn v6_5_3_a_replayed_totp_code_is_refused(app) {
        let (secret, _, confirming) = enrol(&app).await;
        assert_eq!(login(&app, "marina", PASSWORD).await.0, 401, "the password alone is not enough");
        let res = app.client.post(app.url("/api/v1/auth/login"))
            .json(&json!({ "username": "marina", "password": PASSWORD })).send().await.unwrap();
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "mfa_required");
        // The code used to confirm enrolment is spent: replaying it fails.
        let (status, body) = login_with_code(&app, &confirming).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["error"]["code"], "invalid_mfa_code");
        // The next time step is accepted once, then refused.
        assert_eq!(login_with_code(&app, &code(&secret, 1)).await.0, 200);
        assert_eq!(login_with_code(&app, &code(&secret, 1)).await.0, 401);
        let plain = app.scalar(&format!("SELECT COUNT(*) FROM employees WHERE mfa_secret LIKE '%{secret}%'")).await;
        assert_eq!(plain, 0, "the secret is not stored in clear");
    }

    async fn v6_6_a_backup_code_works_once(app) {
        let (_, codes, _) = enrol(&app).await;
        assert_eq!(login_with_code(&app, &codes[3]).await.0, 200);
        assert_eq!(login_with_code(&app, &codes[3]).await.0, 401, "spent");
        assert_eq!(login_with_code(&app, &codes[4].to_uppercase()).await.0, 200, "case does not matter");
        let audited = app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'mfa_enabled'").await;
        assert_eq!(audited, 1);
    }

    async fn v6_4_a_temporary_password_must_be_changed_before_anything_else(app) {
        owner(&app).await;
        let (_, pair, _) = login(&app, "marina", PASSWORD).await;
        let temporary = create_manager(&app, pair["access_token"].as_str().unwrap()).await;
        let (_, m, _) = login(&app, "maria", &temporary).await;
        let token = m["access_token"].as_str().unwrap().to_owned();
        let (status, me) = get(&app, &token, "/api/v1/employees/profile").await;
        assert_eq!(status, 200);
        assert_eq!(me["must_change_password"], true);
        let (status, err) = get(&app, &token, "/api/v1/auth/sessions").await;
        assert_eq!(status, 409);
        assert_eq!(err["error"]["code"], "password_change_required");
        let (status, err) = change_password(&app, &token, "not the temporary one", "a good long passphrase").await;
        assert_eq!(status, 422);
        assert_eq!(err["error"]["fields"]["current_password"]["code"], "wrong_password");
        let (status, err) = change_password(&app, &token, &temporary, "short").await;
        assert_eq!(status, 422);
        assert_eq!(err["error"]["fields"]["new_password"]["code"], "password_too_short");
        let (status, _) = change_password(&app, &token, &temporary, "a good long passphrase").await;
        assert_eq!(status, 204);
        assert_eq!(get(&app, &token, "/api/v1/auth/sessions").await.0, 200, "the session goes on");
        assert_eq!(login(&app, "maria", &temporary).await.0, 401, "the temporary password is gone");
        assert_eq!(login(&app, "maria", "a good long passphrase").await.0, 200);
    }

    async fn v6_owners_can_require_mfa_for_all_staff(app) {
        owner(&app).await;
        let (_, pair, _) = login(&app, "marina", PASSWORD).await;
        let owner_token = pair["access_token"].as_str().unwrap().to_owned();
        let temporary = create_manager(&app, &owner_token).await;
        let (_, m, _) = login(&app, "maria", &temporary).await;
        let manager = m["access_token"].as_str().unwrap().to_owned();
        assert_eq!(change_password(&app, &manager, &temporary, "a good long passphrase").await.0, 204);
        let put = |token: String, on: bool| {
            let app = &app;
            async move {
                app.client.put(app.url("/api/v1/settings/security")).bearer_auth(token)
                    .json(&json!({"require_mfa": on})).send().await.unwrap().status().as_u16()
            }
        };
        assert_eq!(put(manager.clone(), true).await, 403, "only the owner decides");
        assert_eq!(put(owner_token.clone(), true).await, 200);
        // Without MFA, the manager may set it up and nothing else.
        let (status, err) = get(&app, &manager, "/api/v1/auth/sessions").await;
        assert_eq!(status, 409);
        assert_eq!(err["error"]["code"], "mfa_enrolment_required");
        let (_, me) = get(&app, &manager, "/api/v1/employees/profile").await;
        assert_eq!(me["must_enrol_mfa"], true);
        let (status, setup) = post_json(&app, &manager, "/api/v1/auth/mfa/setup", json!({"password": "a good long passphrase"})).await;
        assert_eq!(status, 200);
        let secret = setup["secret"].as_str().unwrap();
        let (status, _) = post_json(&app, &manager, "/api/v1/auth/mfa/enable", json!({"code": code(secret, 0)})).await;
        assert_eq!(status, 200);
        assert_eq!(get(&app, &manager, "/api/v1/auth/sessions").await.0, 200);
        let changes = app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'settings_changed'").await;
        assert_eq!(changes, 1);
    }

    async fn v7_5_sessions_are_listed_and_revoked_one_or_all(app) {
        owner(&app).await;
        let (_, phone, _) = login(&app, "marina", PASSWORD).await;
        let (_, laptop, _) = login(&app, "marina", PASSWORD).await;
        let laptop_token = laptop["access_token"].as_str().unwrap();
        let (_, list) = get(&app, laptop_token, "/api/v1/auth/sessions").await;
        let list = list.as_array().unwrap().clone();
        assert_eq!(list.len(), 2);
        assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1);
        let other = list.iter().find(|s| s["current"] == false).unwrap()["id"].as_str().unwrap().to_owned();
        let res = app.client.delete(app.url(&format!("/api/v1/auth/sessions/{other}"))).bearer_auth(laptop_token).send().await.unwrap();
        assert_eq!(res.status(), 204);
        assert_eq!(profile(&app, phone["access_token"].as_str().unwrap()).await, 401, "the phone is signed out");
        assert_eq!(refresh(&app, phone["refresh_token"].as_str().unwrap()).await.0, 401);
        assert_eq!(profile(&app, laptop_token).await, 200, "this device stays");
        let (_, again, _) = login(&app, "marina", PASSWORD).await;
        let res = app.client.post(app.url("/api/v1/auth/sessions/revoke-others")).bearer_auth(laptop_token).send().await.unwrap();
        assert_eq!(res.status(), 204);
        assert_eq!(profile(&app, again["access_token"].as_str().unwrap()).await, 401);
        assert_eq!(profile(&app, laptop_token).await, 200);
    }

    async fn v6_3_1_five_wrong_passwords_lock_the_account_even_for_the_right_one(app) {
        owner(&app).await;
        for _ in 0..5 {
            let (status, body, _) = login(&app, "marina", "wrong password, surely").await;
            assert_eq!(status, 401);
            assert_eq!(body["error"]["code"], "invalid_credentials");
        }
        let (status, body, retry) = login(&app, "marina", PASSWORD).await;
        assert_eq!(status, 423, "{body}");
        assert_eq!(body["error"]["code"], "account_locked");
        let retry: u64 = retry.expect("Retry-After").parse().unwrap();
        assert!((800..=900).contains(&retry), "{retry}");
        let locks = app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'account_locked'").await;
        assert_eq!(locks, 1, "the lockout is audited");
        // When the lock ends, the right password works again.
        app.exec("UPDATE employees SET locked_until = 1").await;
        assert_eq!(login(&app, "marina", PASSWORD).await.0, 200);
    }

    async fn v6_3_8_an_unknown_user_and_a_wrong_password_get_the_same_answer(app) {
        owner(&app).await;
        let (s1, unknown, _) = login(&app, "nobody", "some long password here").await;
        let (s2, wrong, _) = login(&app, "marina", "some long password here").await;
        assert_eq!((s1, s2), (401, 401));
        assert_eq!(unknown, wrong);
        let failures = app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'login_failed'").await;
        assert_eq!(failures, 2, "both failures are audited");
    }

    async fn v9_1_1_forged_expired_and_foreign_tokens_are_refused(app) {
        let id = owner(&app).await;
        let (_, pair, _) = login(&app, "marina", PASSWORD).await;
        let access = pair["access_token"].as_str().unwrap().to_owned();
        assert_eq!(profile(&app, &access).await, 200);
        let family = {
            use sqlx::Connection;
            let url = app.db.url.clone();
            if url.starts_with("postgres") {
                let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
                sqlx::query_scalar::<_, String>("SELECT family_id FROM sessions").fetch_one(&mut c).await.unwrap()
            } else {
                let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
                sqlx::query_scalar::<_, String>("SELECT family_id FROM sessions").fetch_one(&mut c).await.unwrap()
            }
        };
        let now = chrono::Utc::now().timestamp();
        let claims = |aud: &str, nbf: i64, exp: i64| json!({
            "sub": id, "sid": family, "aud": aud, "iat": nbf, "nbf": nbf, "exp": exp, "typ": "access"
        });
        // The forging method itself works: a well-formed token is accepted.
        assert_eq!(profile(&app, &sign(&claims("studio-crm/staff", now, now + 60), &server_key())).await, 200);
        // alg "none".
        let unsigned = format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), b64(&claims("studio-crm/staff", now, now + 60).to_string()));
        assert_eq!(profile(&app, &unsigned).await, 401);
        // A wrong signature.
        assert_eq!(profile(&app, &sign(&claims("studio-crm/staff", now, now + 60), b"not the server key at all")).await, 401);
        let mut tampered = access.clone();
        tampered.pop();
        tampered.push(if access.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(profile(&app, &tampered).await, 401);
        // Expired, not yet valid, another audience.
        assert_eq!(profile(&app, &sign(&claims("studio-crm/staff", now - 1000, now - 100), &server_key())).await, 401);
        assert_eq!(profile(&app, &sign(&claims("studio-crm/staff", now + 600, now + 900), &server_key())).await, 401);
        assert_eq!(profile(&app, &sign(&claims("another-app", now, now + 60), &server_key())).await, 401);
        // No token at all.
        let res = app.get("/api/v1/employees/profile").await;
        assert_eq!(res.status(), 401);
        assert_eq!(res.headers()["cache-control"], "no-store");
    }

    async fn v7_2_4_refresh_tokens_rotate_and_a_reused_one_ends_the_session(app) {
        owner(&app).await;
        let (_, first, _) = login(&app, "marina", PASSWORD).await;
        let old = first["refresh_token"].as_str().unwrap().to_owned();
        assert!(old.len() >= 32, "at least 128 bits");
        let (status, second) = refresh(&app, &old).await;
        assert_eq!(status, 200);
        let new = second["refresh_token"].as_str().unwrap().to_owned();
        assert_ne!(old, new, "rotated");
        assert_eq!(profile(&app, second["access_token"].as_str().unwrap()).await, 200);
        // The spent token comes back after the grace for parallel tabs:
        // someone else has it.
        app.exec("UPDATE sessions SET replaced_at = replaced_at - 60 WHERE replaced_at IS NOT NULL").await;
        let (status, body) = refresh(&app, &old).await;
        assert_eq!(status, 401);
        assert_eq!(body["error"]["code"], "token_reused");
        // The whole family is revoked: the newest tokens die too.
        assert_eq!(refresh(&app, &new).await.0, 401);
        assert_eq!(profile(&app, second["access_token"].as_str().unwrap()).await, 401);
        let stored = app.scalar(&format!("SELECT COUNT(*) FROM sessions WHERE token_hash = '{new}'")).await;
        assert_eq!(stored, 0, "only hashes of refresh tokens are stored");
    }

    async fn v7_4_1_signing_out_ends_the_session(app) {
        owner(&app).await;
        let (_, pair, _) = login(&app, "marina", PASSWORD).await;
        let res = app.client.post(app.url("/api/v1/auth/logout"))
            .json(&json!({ "refresh_token": pair["refresh_token"] })).send().await.unwrap();
        assert_eq!(res.status(), 204);
        assert_eq!(profile(&app, pair["access_token"].as_str().unwrap()).await, 401);
        assert_eq!(refresh(&app, pair["refresh_token"].as_str().unwrap()).await.0, 401);
    }

    async fn v8_3_1_a_disabled_employee_is_refused_on_the_next_request(app) {
        owner(&app).await;
        let (_, pair, _) = login(&app, "marina", PASSWORD).await;
        let access = pair["access_token"].as_str().unwrap();
        assert_eq!(profile(&app, access).await, 200);
        app.exec("UPDATE employees SET active = FALSE").await;
        assert_eq!(profile(&app, access).await, 401, "not when the token expires: now");
        assert_eq!(refresh(&app, pair["refresh_token"].as_str().unwrap()).await.0, 401);
        assert_eq!(login(&app, "marina", PASSWORD).await.0, 401);
    }

    async fn v16_the_audit_viewer_filters_and_exports_csv(app) {
        owner(&app).await;
        let (_, pair, _) = login(&app, "marina", PASSWORD).await;
        let token = pair["access_token"].as_str().unwrap().to_owned();
        for _ in 0..2 {
            login(&app, "marina", "=cmd|' /C calc'!A0 is no password").await;
        }
        let (status, page) = get(&app, &token, "/api/v1/audit?action=login_failed").await;
        assert_eq!(status, 200);
        assert_eq!(page["total"], 2);
        assert!(page["entries"].as_array().unwrap().iter().all(|e| e["action"] == "login_failed"));
        let (_, all) = get(&app, &token, "/api/v1/audit").await;
        assert_eq!(all["entries"][0]["action"], "login_failed", "newest first");
        let res = app.client.get(app.url("/api/v1/audit/export?action=login_failed")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let csv = res.text().await.unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "id,at,actor_id,actor_name,action,target_type,target_id,ip,user_agent,details");
        assert_eq!(lines.len(), 3);
        assert!(!csv.contains("=cmd"), "no password, and no formula, in the export");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'audit_exported'").await, 1);
    }

    async fn v16_audit_log_chain_verifies_and_detects_an_edited_row(app) {
        owner(&app).await;
        login(&app, "marina", PASSWORD).await;
        login(&app, "marina", "a wrong password for the log").await;
        login(&app, "ghost", "a wrong password for the log").await;
        use app::server::audit::{verify, Verification};
        assert!(matches!(verify(&app.state.store).await.unwrap(), Verification::Intact { entries: 4, .. }));
        let secrets = app.scalar(&format!("SELECT COUNT(*) FROM audit_log WHERE details LIKE '%{PASSWORD}%'")).await;
        assert_eq!(secrets, 0, "no password in the log");
        app.exec("UPDATE audit_log SET actor_name = 'someone else' WHERE id = 3").await;
        assert_eq!(verify(&app.state.store).await.unwrap(), Verification::Broken { id: 3 });
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_2_1_the_sign_in_page_is_throttled_with_an_error_it_can_show() {
    common::within_time(async {
        let app = TestApp::spawn_with(
            common::Db::Sqlite,
            &[
                ("STUDIO_PUBLIC_RATE_PER_MINUTE", "1"),
                ("STUDIO_PUBLIC_BURST", "2"),
            ],
        )
        .await;
        let mut statuses = Vec::new();
        let mut last = None;
        for _ in 0..4 {
            let res = app
                .client
                .post(app.url("/api/fn/staff_login"))
                .header("origin", app.url(""))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("username=nobody&password=not+the+password")
                .send()
                .await
                .unwrap();
            statuses.push(res.status().as_u16());
            last = Some(res);
        }
        assert_eq!(statuses, [401, 401, 429, 429]);
        let res = last.unwrap();
        assert!(res.headers().contains_key("retry-after"));
        // The server function's own error encoding, which the page decodes.
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["kind"], "rate_limited", "{body}");
    })
    .await
}
