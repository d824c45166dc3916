//! Staff authentication (OWASP ASVS 5.0 V6, V7, V9): password sign-in with
//! per-account lockout, short-lived signed access tokens, and opaque
//! refresh tokens that rotate on every use, where presenting a rotated
//! token revokes its whole session family. Every request re-reads the
//! employee and the session, so disabling someone or changing a role takes
//! effect at once, not when a token expires.

use super::{
    audit::{self, Actor, Entry},
    credentials::{self, verify_password, Origin, Principal},
    events::{self, NewEvent},
    now_epoch,
    store::{with_pool, with_tx, Store},
    AppState,
};
use crate::{
    domain::{Role, Username},
    error::AppError,
};
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The audience every access token is issued for and checked against.
pub const AUDIENCE: &str = "studio-crm/staff";
const ACCESS: &str = "access";

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    /// The session family the token belongs to.
    sid: String,
    aud: String,
    iat: i64,
    nbf: i64,
    exp: i64,
    typ: String,
}

/// What a successful sign-in or refresh returns.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

fn derived_key(secret: &[u8], purpose: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(purpose.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn invalid_credentials() -> AppError {
    AppError::Unauthorized {
        code: "invalid_credentials".into(),
        message: "The username or password is not correct.".into(),
    }
}

fn invalid_token() -> AppError {
    AppError::Unauthorized {
        code: "invalid_token".into(),
        message: "Sign in again.".into(),
    }
}

fn sha256_hex(s: &str) -> String {
    super::tokens::hex(&Sha256::digest(s.as_bytes()))
}

/// 256 random bits, hex: the refresh token. Only its hash is stored.
fn new_refresh_token() -> String {
    let mut raw = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut raw);
    raw.iter().map(|b| format!("{b:02x}")).collect()
}

fn issue_access_token(
    state: &AppState,
    employee_id: &str,
    family: &str,
    now: i64,
) -> Result<String, AppError> {
    let claims = Claims {
        sub: employee_id.to_owned(),
        sid: family.to_owned(),
        aud: AUDIENCE.to_owned(),
        iat: now,
        nbf: now,
        exp: now + state.auth.access_ttl_secs,
        typ: ACCESS.to_owned(),
    };
    let key = EncodingKey::from_secret(&derived_key(&state.signing_key, "access-token"));
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key).map_err(|e| {
        tracing::error!(error = %e, "cannot sign an access token");
        AppError::Internal
    })
}

/// Checks an access token: HS256 only (an allow-list: `none` and every
/// other algorithm are refused), our audience, not expired, not before its
/// time, of the access type.
fn verify_access_token(state: &AppState, token: &str) -> Result<Claims, AppError> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&[AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "nbf", "aud", "sub"]);
    validation.validate_nbf = true;
    validation.leeway = 5;
    let key = DecodingKey::from_secret(&derived_key(&state.signing_key, "access-token"));
    let data =
        jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(|_| invalid_token())?;
    if data.claims.typ != ACCESS {
        return Err(invalid_token());
    }
    Ok(data.claims)
}

#[derive(sqlx::FromRow)]
struct LoginRow {
    id: String,
    username: String,
    role: String,
    active: bool,
    password_hash: String,
    locked_until: Option<i64>,
    mfa_enabled: bool,
    must_change_password: bool,
    password_changed_at: i64,
}

/// A hash of a random password nobody knows, verified when the username
/// is unknown so that both failures cost the same argon2 work.
async fn dummy_hash() -> Result<&'static str, AppError> {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    if let Some(h) = HASH.get() {
        return Ok(h);
    }
    let mut raw = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut raw);
    let secret: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    let password = crate::domain::Password::parse(&secret, "").map_err(|_| AppError::Internal)?;
    let hash = super::credentials::hash_password(&password).await?;
    Ok(HASH.get_or_init(|| hash))
}

/// Signs an employee in with username and password.
#[tracing::instrument(skip_all)]
pub async fn login(
    state: &AppState,
    username: &str,
    password: &str,
    mfa_code: Option<&str>,
    origin: &Origin,
) -> Result<TokenPair, AppError> {
    let store = &state.store;
    let now = now_epoch();
    let attempted = username.trim().to_lowercase();
    let row: Option<LoginRow> = match Username::parse(username) {
        Err(_) => None,
        Ok(u) => with_pool!(store, p => sqlx::query_as(
            "SELECT id, username, role, active, password_hash, locked_until, mfa_enabled, must_change_password, \
             password_changed_at FROM employees WHERE username = $1"
        )
        .bind(u.as_str())
        .fetch_optional(p)
        .await)?,
    };
    let actor = |id: Option<&str>| Actor {
        id: id.map(str::to_owned),
        name: attempted.chars().take(64).collect(),
        ip: origin.ip.clone(),
        user_agent: origin.user_agent.clone(),
    };
    let Some(row) = row else {
        let _ = verify_password(password, dummy_hash().await?).await;
        audit::record(store, &actor(None), failure_entry("unknown_user")).await?;
        metrics::counter!("studio_signin_failures_total", "account" => "unknown").increment(1);
        return Err(invalid_credentials());
    };
    if let Some(until) = row.locked_until.filter(|u| *u > now) {
        audit::record(store, &actor(Some(&row.id)), failure_entry("locked")).await?;
        return Err(credentials::locked(until, now));
    }
    let password_ok = verify_password(password, &row.password_hash).await?;
    if !password_ok || !row.active {
        if !password_ok {
            let entry = Entry {
                target_id: &row.id,
                ..failure_entry("wrong_password")
            };
            // The attempt that locks gets the same answer as any wrong
            // password; the lock shows from the next attempt on.
            credentials::record_failure(store, &state.auth, &row.id, &actor(Some(&row.id)), entry)
                .await?;
        } else {
            audit::record(store, &actor(Some(&row.id)), failure_entry("disabled")).await?;
        }
        return Err(invalid_credentials());
    }
    if row.must_change_password
        && now - row.password_changed_at > state.auth.temporary_password_ttl_secs
    {
        audit::record(
            store,
            &actor(Some(&row.id)),
            failure_entry("temporary_password_expired"),
        )
        .await?;
        return Err(AppError::Unauthorized {
            code: "temporary_password_expired".into(),
            message: "This temporary password has expired; ask an administrator for a new one."
                .into(),
        });
    }
    if row.mfa_enabled {
        match mfa_code.map(str::trim).filter(|c| !c.is_empty()) {
            None => {
                return Err(AppError::Unauthorized {
                    code: "mfa_required".into(),
                    message: "Enter the code from your authenticator app.".into(),
                })
            }
            Some(code) => {
                if !super::mfa::check_code(state, &row.id, &row.username, code).await? {
                    let entry = Entry {
                        target_id: &row.id,
                        ..failure_entry("wrong_mfa_code")
                    };
                    credentials::record_failure(
                        store,
                        &state.auth,
                        &row.id,
                        &actor(Some(&row.id)),
                        entry,
                    )
                    .await?;
                    return Err(AppError::Unauthorized {
                        code: "invalid_mfa_code".into(),
                        message: "The code is not valid or was already used.".into(),
                    });
                }
            }
        }
    }
    let family = uuid::Uuid::new_v4().to_string();
    let refresh = new_refresh_token();
    let mut tx = store.begin().await?;
    // Conditional: a lock set by concurrent wrong guesses since the check
    // above is not lifted by this success.
    let cleared = with_tx!(tx, t => sqlx::query(
        "UPDATE employees SET failed_logins = 0, failed_window_start = NULL, locked_until = NULL, last_login_at = $1 \
         WHERE id = $2 AND (locked_until IS NULL OR locked_until <= $1)"
    )
    .bind(now)
    .bind(&row.id)
    .execute(&mut **t)
    .await
    .map(|r| r.rows_affected()))?;
    if cleared == 0 {
        drop(tx);
        return Err(credentials::locked(
            now + state.auth.lockout_duration_secs,
            now,
        ));
    }
    with_tx!(tx, t => sqlx::query(
        "INSERT INTO sessions (id, family_id, employee_id, token_hash, created_at, last_used_at, absolute_expiry, ip, user_agent) \
         VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8)"
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(&family)
    .bind(&row.id)
    .bind(sha256_hex(&refresh))
    .bind(now)
    .bind(now + state.auth.absolute_lifetime_secs)
    .bind(&origin.ip)
    .bind(origin.user_agent.chars().take(300).collect::<String>())
    .execute(&mut **t)
    .await
    .map(|r| r.rows_affected()))?;
    let who = Actor {
        id: Some(row.id.clone()),
        name: row.username.clone(),
        ..actor(None)
    };
    audit::append(
        &mut tx,
        &who,
        Entry {
            action: "login_succeeded",
            target_type: "employee",
            target_id: &row.id,
            details: serde_json::json!({ "role": row.role }),
        },
    )
    .await?;
    events::record(
        &mut tx,
        NewEvent {
            event_type: "EmployeeLoggedIn",
            aggregate_type: "employee",
            aggregate_id: &row.id,
            payload: &serde_json::json!({ "session": family }),
            actor: Some(&row.id),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(TokenPair {
        access_token: issue_access_token(state, &row.id, &family, now)?,
        refresh_token: refresh,
        token_type: "Bearer".into(),
        expires_in: state.auth.access_ttl_secs,
    })
}

fn failure_entry(reason: &str) -> Entry<'static> {
    Entry {
        action: "login_failed",
        target_type: "employee",
        target_id: "",
        details: serde_json::json!({ "reason": reason }),
    }
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: String,
    family_id: String,
    employee_id: String,
    last_used_at: i64,
    absolute_expiry: i64,
    replaced_at: Option<i64>,
    revoked_at: Option<i64>,
}

async fn revoke_family(store: &Store, family: &str, now: i64) -> Result<(), AppError> {
    let mut tx = store.begin().await?;
    let employee: Option<String> = with_tx!(tx, t => sqlx::query_scalar(
        "UPDATE sessions SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL RETURNING employee_id"
    )
    .bind(now)
    .bind(family)
    .fetch_all(&mut **t)
    .await)?
    .into_iter()
    .next();
    if let Some(employee) = employee {
        events::access_changed(&mut tx, &employee, "session_ended").await?;
    }
    tx.commit().await
}

/// The refresh token a token is exchanged for: derived from it with a key
/// of the server's, so a request that presents a token spent a moment ago
/// by a parallel request can be given the same successor, while the
/// database holds only hashes. Without the server secret the successor of
/// a token cannot be computed.
fn successor_token(state: &AppState, token: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(&derived_key(&state.signing_key, "refresh-successor"))
            .expect("HMAC takes keys of any length");
    mac.update(token.as_bytes());
    super::tokens::hex(&mac.finalize().into_bytes())
}

async fn session_row(store: &Store, token: &str) -> Result<Option<SessionRow>, AppError> {
    Ok(with_pool!(store, p => sqlx::query_as(
        "SELECT id, family_id, employee_id, last_used_at, absolute_expiry, replaced_at, revoked_at \
         FROM sessions WHERE token_hash = $1"
    )
    .bind(sha256_hex(token))
    .fetch_optional(p)
    .await)?)
}

fn token_pair(
    state: &AppState,
    employee_id: &str,
    family: &str,
    refresh_token: String,
    now: i64,
) -> Result<TokenPair, AppError> {
    Ok(TokenPair {
        access_token: issue_access_token(state, employee_id, family, now)?,
        refresh_token,
        token_type: "Bearer".into(),
        expires_in: state.auth.access_ttl_secs,
    })
}

/// For a token spent within the reuse grace: the live successor it was
/// exchanged for (following a chain of quick rotations), if the session
/// is still good. `None` means the presentation counts as reuse.
async fn successor_within_grace(
    state: &AppState,
    token: &str,
    family: &str,
    now: i64,
) -> Result<Option<TokenPair>, AppError> {
    let grace = state.auth.refresh_reuse_grace_secs;
    let mut current = token.to_owned();
    for _ in 0..4 {
        let next = successor_token(state, &current);
        let Some(row) = session_row(&state.store, &next).await? else {
            return Ok(None);
        };
        if row.family_id != family || row.revoked_at.is_some() || now >= row.absolute_expiry {
            return Ok(None);
        }
        match row.replaced_at {
            None => {
                if !employee_active(&state.store, &row.employee_id).await? {
                    return Ok(None);
                }
                return token_pair(state, &row.employee_id, family, next, now).map(Some);
            }
            Some(at) if now - at <= grace => current = next,
            Some(_) => return Ok(None),
        }
    }
    Ok(None)
}

async fn employee_active(store: &Store, employee_id: &str) -> Result<bool, AppError> {
    let active: Option<bool> = with_pool!(store, p => sqlx::query_scalar("SELECT active FROM employees WHERE id = $1")
        .bind(employee_id)
        .fetch_optional(p)
        .await)?;
    Ok(active == Some(true))
}

/// Exchanges a refresh token for a new pair. The presented token is spent;
/// presenting it again revokes every token of its family, except within a
/// short grace after it was spent, when it answers with the same successor
/// (two tabs of one browser refreshing at once share one cookie jar).
#[tracing::instrument(skip_all)]
pub async fn refresh(
    state: &AppState,
    refresh_token: &str,
    origin: &Origin,
) -> Result<TokenPair, AppError> {
    let store = &state.store;
    let now = now_epoch();
    let presented = refresh_token.trim();
    let Some(row) = session_row(store, presented).await? else {
        return Err(invalid_token());
    };
    if row.revoked_at.is_some() {
        return Err(invalid_token());
    }
    if let Some(spent_at) = row.replaced_at {
        if now - spent_at <= state.auth.refresh_reuse_grace_secs {
            if let Some(pair) =
                successor_within_grace(state, presented, &row.family_id, now).await?
            {
                return Ok(pair);
            }
        }
        return Err(reused(state, &row, origin, now).await?);
    }
    if now - row.last_used_at > state.auth.idle_timeout_secs || now >= row.absolute_expiry {
        revoke_family(store, &row.family_id, now).await?;
        return Err(AppError::Unauthorized {
            code: "session_expired".into(),
            message: "The session has expired; sign in again.".into(),
        });
    }
    if !employee_active(store, &row.employee_id).await? {
        revoke_family(store, &row.family_id, now).await?;
        return Err(invalid_token());
    }
    let next = successor_token(state, presented);
    let mut tx = store.begin().await?;
    // Only one request can spend a token: the conditional update decides.
    let spent = with_tx!(tx, t => sqlx::query("UPDATE sessions SET replaced_at = $1 WHERE id = $2 AND replaced_at IS NULL AND revoked_at IS NULL")
        .bind(now)
        .bind(&row.id)
        .execute(&mut **t)
        .await
        .map(|r| r.rows_affected()))?;
    if spent == 0 {
        // A parallel request spent it first: it has committed the
        // successor by now (the update waited for its lock).
        drop(tx);
        return successor_within_grace(state, presented, &row.family_id, now)
            .await?
            .ok_or_else(invalid_token);
    }
    with_tx!(tx, t => sqlx::query(
        "INSERT INTO sessions (id, family_id, employee_id, token_hash, created_at, last_used_at, absolute_expiry, ip, user_agent) \
         VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8)"
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(&row.family_id)
    .bind(&row.employee_id)
    .bind(sha256_hex(&next))
    .bind(now)
    .bind(row.absolute_expiry)
    .bind(&origin.ip)
    .bind(origin.user_agent.chars().take(300).collect::<String>())
    .execute(&mut **t)
    .await
    .map(|r| r.rows_affected()))?;
    tx.commit().await?;
    token_pair(state, &row.employee_id, &row.family_id, next, now)
}

/// A spent refresh token presented after the grace: someone else may hold
/// a copy, so the whole session ends and the audit log says so.
async fn reused(
    state: &AppState,
    row: &SessionRow,
    origin: &Origin,
    now: i64,
) -> Result<AppError, AppError> {
    revoke_family(&state.store, &row.family_id, now).await?;
    let actor = Actor {
        id: Some(row.employee_id.clone()),
        ip: origin.ip.clone(),
        user_agent: origin.user_agent.clone(),
        ..Default::default()
    };
    audit::record(
        &state.store,
        &actor,
        Entry {
            action: "refresh_token_reused",
            target_type: "session",
            target_id: &row.family_id,
            details: serde_json::json!({ "revoked": "family" }),
        },
    )
    .await?;
    Ok(AppError::Unauthorized {
        code: "token_reused".into(),
        message: "This sign-in was ended for safety; sign in again.".into(),
    })
}

/// Ends the session the refresh token belongs to.
pub async fn logout(
    state: &AppState,
    refresh_token: &str,
    origin: &Origin,
) -> Result<(), AppError> {
    let store = &state.store;
    let row: Option<(String, String, String)> = with_pool!(store, p => sqlx::query_as(
        "SELECT s.family_id, s.employee_id, e.username FROM sessions s JOIN employees e ON e.id = s.employee_id \
         WHERE s.token_hash = $1"
    )
    .bind(sha256_hex(refresh_token.trim()))
    .fetch_optional(p)
    .await)?;
    let Some((family, employee_id, username)) = row else {
        return Ok(());
    };
    revoke_family(store, &family, now_epoch()).await?;
    let actor = Actor {
        id: Some(employee_id),
        name: username,
        ip: origin.ip.clone(),
        user_agent: origin.user_agent.clone(),
    };
    audit::record(
        store,
        &actor,
        Entry {
            action: "logout",
            target_type: "session",
            target_id: &family,
            details: serde_json::json!({}),
        },
    )
    .await
}

/// The employee behind an access token, checked against the database on
/// every request: the session must be live and the employee active; the
/// role is the current one, not the one at sign-in.
pub async fn authenticate(state: &AppState, access_token: &str) -> Result<Principal, AppError> {
    let claims = verify_access_token(state, access_token)?;
    let store = &state.store;
    let live: Option<i32> = with_pool!(store, p => sqlx::query_scalar(
        "SELECT 1 FROM sessions WHERE family_id = $1 AND employee_id = $2 AND revoked_at IS NULL LIMIT 1"
    )
    .bind(&claims.sid)
    .bind(&claims.sub)
    .fetch_optional(p)
    .await)?;
    if live.is_none() {
        return Err(invalid_token());
    }
    let employee: Option<(String, String, bool, bool, bool, bool)> = with_pool!(store, p => sqlx::query_as(
        "SELECT e.username, e.role, e.active, e.must_change_password, e.mfa_enabled, s.require_mfa \
         FROM employees e CROSS JOIN studio_settings s WHERE e.id = $1 AND s.id = 1"
    )
    .bind(&claims.sub)
    .fetch_optional(p)
    .await)?;
    match employee {
        Some((username, role, true, must_change_password, mfa_enabled, require_mfa)) => {
            Ok(Principal {
                employee_id: claims.sub,
                username,
                role: Role::parse(&role).ok_or(AppError::Internal)?,
                session_family: claims.sid,
                must_change_password,
                must_enrol_mfa: require_mfa && !mfa_enabled,
            })
        }
        _ => Err(invalid_token()),
    }
}

/// Whether the session behind `me` is still live and the account active
/// (for long-lived connections that authenticated once).
pub async fn still_signed_in(store: &super::Store, me: &Principal) -> Result<bool, AppError> {
    let live: Option<i32> = with_pool!(store, p => sqlx::query_scalar(
        "SELECT 1 FROM sessions s JOIN employees e ON e.id = s.employee_id \
         WHERE s.family_id = $1 AND s.employee_id = $2 AND s.revoked_at IS NULL AND e.active = TRUE LIMIT 1"
    )
    .bind(&me.session_family)
    .bind(&me.employee_id)
    .fetch_optional(p)
    .await)?;
    Ok(live.is_some())
}

/// One signed-in device of an employee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    /// The session's id (its token family).
    pub id: String,
    /// Epoch seconds of the latest sign-in or refresh.
    pub last_used_at: i64,
    pub ip: String,
    pub user_agent: String,
    /// This is the session making the request.
    #[sqlx(skip)]
    pub current: bool,
}

/// The live sessions of an employee, newest first.
pub async fn sessions(
    store: &Store,
    employee_id: &str,
    current_family: &str,
) -> Result<Vec<SessionInfo>, AppError> {
    let mut rows: Vec<SessionInfo> = with_pool!(store, p => sqlx::query_as(
        "SELECT family_id AS id, last_used_at, ip, user_agent FROM sessions \
         WHERE employee_id = $1 AND revoked_at IS NULL AND replaced_at IS NULL ORDER BY last_used_at DESC"
    )
    .bind(employee_id)
    .fetch_all(p)
    .await)?;
    for r in &mut rows {
        r.current = r.id == current_family;
    }
    Ok(rows)
}

/// Ends one session of `employee_id`, or all but `keep`.
pub async fn revoke_sessions(
    store: &Store,
    actor: &Actor,
    employee_id: &str,
    only: Option<&str>,
    keep: Option<&str>,
) -> Result<u64, AppError> {
    let mut tx = store.begin().await?;
    let revoked = with_tx!(tx, t => sqlx::query(
        "UPDATE sessions SET revoked_at = $1 WHERE employee_id = $2 AND revoked_at IS NULL \
         AND ($3 IS NULL OR family_id = $3) AND ($4 IS NULL OR family_id <> $4)"
    )
    .bind(now_epoch())
    .bind(employee_id)
    .bind(only)
    .bind(keep)
    .execute(&mut **t)
    .await
    .map(|r| r.rows_affected()))?;
    if revoked > 0 {
        events::access_changed(&mut tx, employee_id, "sessions_revoked").await?;
    }
    audit::append(
        &mut tx,
        actor,
        Entry {
            action: "sessions_revoked",
            target_type: "employee",
            target_id: employee_id,
            details: serde_json::json!({ "session": only, "all_but": keep, "tokens": revoked }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(revoked)
}

/// Changes one's own password: the current one is required, the new one
/// must pass the policy and differ; every other session ends.
pub async fn change_password(
    state: &AppState,
    me: &Principal,
    current: &str,
    new: &str,
    origin: &Origin,
) -> Result<(), AppError> {
    let store = &state.store;
    credentials::recheck_password(
        store,
        &state.auth,
        me,
        origin,
        current,
        "current_password",
        credentials::Recheck::PasswordChange,
    )
    .await?;
    let new_password = crate::domain::Password::parse(new, &me.username).map_err(|e| {
        AppError::field(
            "new_password",
            crate::error::FieldError::new(e.code(), e.message()),
        )
    })?;
    if new == current {
        return Err(AppError::field(
            "new_password",
            crate::error::FieldError::new(
                "password_unchanged",
                "Choose a password different from the current one.",
            ),
        ));
    }
    let new_hash = credentials::hash_password(&new_password).await?;
    let now = now_epoch();
    let actor = Actor {
        id: Some(me.employee_id.clone()),
        name: me.username.clone(),
        ip: origin.ip.clone(),
        user_agent: origin.user_agent.clone(),
    };
    let mut tx = store.begin().await?;
    with_tx!(tx, t => sqlx::query(
        "UPDATE employees SET password_hash = $1, must_change_password = FALSE, password_changed_at = $2, updated_at = $2 WHERE id = $3"
    )
    .bind(&new_hash)
    .bind(now)
    .bind(&me.employee_id)
    .execute(&mut **t)
    .await
    .map(|r| r.rows_affected()))?;
    with_tx!(tx, t => sqlx::query(
        "UPDATE sessions SET revoked_at = $1 WHERE employee_id = $2 AND family_id <> $3 AND revoked_at IS NULL"
    )
    .bind(now)
    .bind(&me.employee_id)
    .bind(&me.session_family)
    .execute(&mut **t)
    .await
    .map(|r| r.rows_affected()))?;
    events::access_changed(&mut tx, &me.employee_id, "password_changed").await?;
    audit::append(
        &mut tx,
        &actor,
        Entry {
            action: "password_changed",
            target_type: "employee",
            target_id: &me.employee_id,
            details: serde_json::json!({}),
        },
    )
    .await?;
    tx.commit().await
}
