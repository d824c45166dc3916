//! Staff authentication (OWASP ASVS 5.0 V6, V7, V9): password sign-in with
//! per-account lockout, short-lived signed access tokens, and opaque
//! refresh tokens that rotate on every use, where presenting a rotated
//! token revokes its whole session family. Every request re-reads the
//! employee and the session, so disabling someone or changing a role takes
//! effect at once, not when a token expires.

use super::{
    audit::{self, Actor, Entry},
    employees::verify_password,
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

/// Lifetimes and lockout rules (configurable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthSettings {
    pub access_ttl_secs: i64,
    pub idle_timeout_secs: i64,
    pub absolute_lifetime_secs: i64,
    pub lockout_threshold: i32,
    pub lockout_window_secs: i64,
    pub lockout_duration_secs: i64,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            access_ttl_secs: 15 * 60,
            idle_timeout_secs: 30 * 60,
            absolute_lifetime_secs: 12 * 3600,
            lockout_threshold: 5,
            lockout_window_secs: 300,
            lockout_duration_secs: 900,
        }
    }
}

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

/// The authenticated employee behind a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub employee_id: String,
    pub username: String,
    pub role: Role,
    pub session_family: String,
    /// Signed in with a temporary password: only changing it is allowed.
    pub must_change_password: bool,
    /// The studio requires two-factor sign-in and this employee has not set
    /// it up: only setting it up is allowed.
    pub must_enrol_mfa: bool,
}

/// Where a request came from, for the audit log.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub ip: String,
    pub user_agent: String,
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
    failed_logins: i32,
    failed_window_start: Option<i64>,
    locked_until: Option<i64>,
    mfa_enabled: bool,
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
    let hash = super::employees::hash_password(&password).await?;
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
            "SELECT id, username, role, active, password_hash, failed_logins, failed_window_start, locked_until, \
             mfa_enabled FROM employees WHERE username = $1"
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
        return Err(invalid_credentials());
    };
    if let Some(until) = row.locked_until.filter(|u| *u > now) {
        audit::record(store, &actor(Some(&row.id)), failure_entry("locked")).await?;
        return Err(AppError::Locked {
            retry_after_secs: u64::try_from(until - now).unwrap_or(1).max(1),
        });
    }
    let password_ok = verify_password(password, &row.password_hash).await?;
    if !password_ok || !row.active {
        if !password_ok {
            record_failure(state, &row, &actor(Some(&row.id)), now).await?;
        } else {
            audit::record(store, &actor(Some(&row.id)), failure_entry("disabled")).await?;
        }
        return Err(invalid_credentials());
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
                    record_failure(state, &row, &actor(Some(&row.id)), now).await?;
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
    with_tx!(tx, t => sqlx::query(
        "UPDATE employees SET failed_logins = 0, failed_window_start = NULL, locked_until = NULL, last_login_at = $1 \
         WHERE id = $2"
    )
    .bind(now)
    .bind(&row.id)
    .execute(&mut **t)
    .await
    .map(|r| r.rows_affected()))?;
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

/// Counts a wrong password; the threshold within the window locks the
/// account. Stored in the database so that every instance agrees.
async fn record_failure(
    state: &AppState,
    row: &LoginRow,
    actor: &Actor,
    now: i64,
) -> Result<(), AppError> {
    let s = state.auth;
    let in_window = row
        .failed_window_start
        .is_some_and(|start| now - start <= s.lockout_window_secs);
    let (failures, window_start) = if in_window {
        (
            row.failed_logins + 1,
            row.failed_window_start.unwrap_or(now),
        )
    } else {
        (1, now)
    };
    let lock = failures >= s.lockout_threshold;
    let mut tx = state.store.begin().await?;
    with_tx!(tx, t => sqlx::query(
        "UPDATE employees SET failed_logins = $1, failed_window_start = $2, locked_until = $3 WHERE id = $4"
    )
    .bind(if lock { 0 } else { failures })
    .bind(if lock { None } else { Some(window_start) })
    .bind(lock.then_some(now + s.lockout_duration_secs))
    .bind(&row.id)
    .execute(&mut **t)
    .await
    .map(|r| r.rows_affected()))?;
    let mut entry = failure_entry("wrong_password");
    entry.target_id = "";
    audit::append(
        &mut tx,
        actor,
        Entry {
            target_id: &row.id,
            ..entry
        },
    )
    .await?;
    if lock {
        audit::append(
            &mut tx,
            actor,
            Entry {
                action: "account_locked",
                target_type: "employee",
                target_id: &row.id,
                details: serde_json::json!({ "failures": failures, "seconds": s.lockout_duration_secs }),
            },
        )
        .await?;
    }
    tx.commit().await
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
    with_pool!(store, p => sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(family)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Exchanges a refresh token for a new pair. The presented token is spent;
/// presenting it again revokes every token of its family.
#[tracing::instrument(skip_all)]
pub async fn refresh(
    state: &AppState,
    refresh_token: &str,
    origin: &Origin,
) -> Result<TokenPair, AppError> {
    let store = &state.store;
    let now = now_epoch();
    let row: Option<SessionRow> = with_pool!(store, p => sqlx::query_as(
        "SELECT id, family_id, employee_id, last_used_at, absolute_expiry, replaced_at, revoked_at \
         FROM sessions WHERE token_hash = $1"
    )
    .bind(sha256_hex(refresh_token.trim()))
    .fetch_optional(p)
    .await)?;
    let Some(row) = row else {
        return Err(invalid_token());
    };
    if row.revoked_at.is_some() {
        return Err(invalid_token());
    }
    let actor = Actor {
        id: Some(row.employee_id.clone()),
        ip: origin.ip.clone(),
        user_agent: origin.user_agent.clone(),
        ..Default::default()
    };
    if row.replaced_at.is_some() {
        revoke_family(store, &row.family_id, now).await?;
        audit::record(
            store,
            &actor,
            Entry {
                action: "refresh_token_reused",
                target_type: "session",
                target_id: &row.family_id,
                details: serde_json::json!({ "revoked": "family" }),
            },
        )
        .await?;
        return Err(AppError::Unauthorized {
            code: "token_reused".into(),
            message: "This sign-in was ended for safety; sign in again.".into(),
        });
    }
    if now - row.last_used_at > state.auth.idle_timeout_secs || now >= row.absolute_expiry {
        revoke_family(store, &row.family_id, now).await?;
        return Err(AppError::Unauthorized {
            code: "session_expired".into(),
            message: "The session has expired; sign in again.".into(),
        });
    }
    let active: Option<bool> = with_pool!(store, p => sqlx::query_scalar("SELECT active FROM employees WHERE id = $1")
        .bind(&row.employee_id)
        .fetch_optional(p)
        .await)?;
    if active != Some(true) {
        revoke_family(store, &row.family_id, now).await?;
        return Err(invalid_token());
    }
    let next = new_refresh_token();
    let mut tx = store.begin().await?;
    // Only one request can spend a token: the conditional update decides.
    let spent = with_tx!(tx, t => sqlx::query("UPDATE sessions SET replaced_at = $1 WHERE id = $2 AND replaced_at IS NULL AND revoked_at IS NULL")
        .bind(now)
        .bind(&row.id)
        .execute(&mut **t)
        .await
        .map(|r| r.rows_affected()))?;
    if spent == 0 {
        return Err(invalid_token());
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
    Ok(TokenPair {
        access_token: issue_access_token(state, &row.employee_id, &row.family_id, now)?,
        refresh_token: next,
        token_type: "Bearer".into(),
        expires_in: state.auth.access_ttl_secs,
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
    let hash: String = with_pool!(store, p => sqlx::query_scalar("SELECT password_hash FROM employees WHERE id = $1")
        .bind(&me.employee_id)
        .fetch_one(p)
        .await)?;
    if !verify_password(current, &hash).await? {
        return Err(AppError::field(
            "current_password",
            crate::error::FieldError::new("wrong_password", "The current password is not correct."),
        ));
    }
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
    let new_hash = super::employees::hash_password(&new_password).await?;
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
