//! Credentials: who a request is ([`Principal`], [`Origin`]), password
//! hashing, and checking a secret against the per-account lockout. Sign-in
//! (`auth`), staff management (`employees`) and two-factor sign-in (`mfa`)
//! build on this module and not on each other, so the arrows run one way.
//!
//! The lockout (ASVS V6.3) is decided by the database: every wrong password
//! or code is one atomic `failed_logins = failed_logins + 1`, so twenty
//! guesses sent at once count twenty, on every instance alike.

use super::{
    audit::{self, Actor, Entry},
    now_epoch,
    store::{with_pool, with_tx, Store},
};
use crate::{
    domain::{Password, Role},
    error::{AppError, FieldError},
};
use argon2::{
    password_hash::{rand_core::OsRng, PasswordHasher, SaltString},
    Argon2,
};

/// Lifetimes and lockout rules (configurable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthSettings {
    pub access_ttl_secs: i64,
    pub idle_timeout_secs: i64,
    pub absolute_lifetime_secs: i64,
    pub lockout_threshold: i32,
    pub lockout_window_secs: i64,
    pub lockout_duration_secs: i64,
    /// How long a temporary password (new account, reset) may be used.
    pub temporary_password_ttl_secs: i64,
    /// How long a just-rotated refresh token still answers with its
    /// successor: two tabs (or two calls of one page) refreshing at the same
    /// moment must not look like a stolen token.
    pub refresh_reuse_grace_secs: i64,
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
            temporary_password_ttl_secs: 24 * 3600,
            refresh_reuse_grace_secs: 30,
        }
    }
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

/// The audit actor for an employee acting from `origin`.
pub fn actor_of(p: &Principal, origin: &Origin) -> Actor {
    Actor {
        id: Some(p.employee_id.clone()),
        name: p.username.clone(),
        ip: origin.ip.clone(),
        user_agent: origin.user_agent.clone(),
    }
}

/// Hashes with argon2id (the crate's default parameters follow OWASP's
/// recommendation) on the blocking pool: hashing takes tens of
/// milliseconds of CPU and must not stall the async runtime.
pub async fn hash_password(password: &Password) -> Result<String, AppError> {
    let password = password.clone();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(|_| AppError::Internal)?
    .map_err(|e| {
        tracing::error!(error = %e, "password hashing failed");
        AppError::Internal
    })
}

/// Checks a password against a stored argon2 hash, on the blocking pool.
/// A malformed stored hash counts as a mismatch (and is logged).
pub async fn verify_password(password: &str, hash: &str) -> Result<bool, AppError> {
    let (password, hash) = (password.to_owned(), hash.to_owned());
    tokio::task::spawn_blocking(move || {
        use argon2::{PasswordHash, PasswordVerifier};
        match PasswordHash::new(&hash) {
            Ok(parsed) => Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok(),
            Err(_) => {
                tracing::error!("a stored password hash is not a valid PHC string");
                false
            }
        }
    })
    .await
    .map_err(|_| AppError::Internal)
}

/// The refusal for a locked account, with the seconds left.
pub fn locked(until: i64, now: i64) -> AppError {
    AppError::Locked {
        retry_after_secs: u64::try_from(until - now).unwrap_or(1).max(1),
    }
}

/// Refuses while the account is locked.
pub async fn ensure_unlocked(store: &Store, employee_id: &str) -> Result<(), AppError> {
    let until: Option<i64> = with_pool!(store, p => sqlx::query_scalar(
        "SELECT locked_until FROM employees WHERE id = $1"
    )
    .bind(employee_id)
    .fetch_optional(p)
    .await)?
    .flatten();
    let now = now_epoch();
    match until {
        Some(until) if until > now => Err(locked(until, now)),
        _ => Ok(()),
    }
}

/// Counts one wrong password or code against the account, atomically, and
/// locks it when the threshold is reached within the window. The audit
/// entries (`entry`, and `account_locked`) are written in the same
/// transaction. Returns whether this failure locked the account.
pub async fn record_failure(
    store: &Store,
    settings: &AuthSettings,
    employee_id: &str,
    actor: &Actor,
    entry: Entry<'_>,
) -> Result<bool, AppError> {
    let now = now_epoch();
    let mut tx = store.begin().await?;
    // Every SET expression reads the row as it was before this statement,
    // and concurrent updates of the row queue on its lock: the database
    // does the counting, so no failure is lost.
    let failures: Option<i32> = with_tx!(tx, t => sqlx::query_scalar(
        "UPDATE employees SET \
           failed_logins = CASE WHEN failed_window_start IS NOT NULL AND failed_window_start >= $1 \
                                THEN failed_logins + 1 ELSE 1 END, \
           failed_window_start = CASE WHEN failed_window_start IS NOT NULL AND failed_window_start >= $1 \
                                THEN failed_window_start ELSE $2 END \
         WHERE id = $3 RETURNING failed_logins"
    )
    .bind(now - settings.lockout_window_secs)
    .bind(now)
    .bind(employee_id)
    .fetch_optional(&mut **t)
    .await)?;
    let Some(failures) = failures else {
        return Err(AppError::not_found("employee"));
    };
    audit::append(&mut tx, actor, entry).await?;
    let lock = failures >= settings.lockout_threshold;
    if lock {
        with_tx!(tx, t => sqlx::query(
            "UPDATE employees SET locked_until = $1, failed_logins = 0, failed_window_start = NULL WHERE id = $2"
        )
        .bind(now + settings.lockout_duration_secs)
        .bind(employee_id)
        .execute(&mut **t)
        .await
        .map(|r| r.rows_affected()))?;
        audit::append(
            &mut tx,
            actor,
            Entry {
                action: "account_locked",
                target_type: "employee",
                target_id: employee_id,
                details: serde_json::json!({ "failures": failures, "seconds": settings.lockout_duration_secs }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    metrics::counter!("studio_signin_failures_total", "account" => "known").increment(1);
    if lock {
        metrics::counter!("studio_account_lockouts_total").increment(1);
    }
    Ok(lock)
}

/// What a re-check of a signed-in employee's secret is for, in the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recheck {
    PasswordChange,
    MfaSetup,
    MfaEnable,
    MfaDisable,
}

impl Recheck {
    fn as_str(self) -> &'static str {
        match self {
            Recheck::PasswordChange => "password_change",
            Recheck::MfaSetup => "mfa_setup",
            Recheck::MfaEnable => "mfa_enable",
            Recheck::MfaDisable => "mfa_disable",
        }
    }
}

/// Counts a failed re-check (a wrong current password or code from a
/// signed-in employee) toward the same lockout as sign-in, and returns the
/// error to answer with: the field error, or `account_locked` once locked.
pub async fn failed_recheck(
    store: &Store,
    settings: &AuthSettings,
    actor: &Actor,
    employee_id: &str,
    purpose: Recheck,
    field_error: AppError,
) -> AppError {
    let entry = Entry {
        action: "credential_check_failed",
        target_type: "employee",
        target_id: employee_id,
        details: serde_json::json!({ "purpose": purpose.as_str() }),
    };
    match record_failure(store, settings, employee_id, actor, entry).await {
        Ok(true) => locked(now_epoch() + settings.lockout_duration_secs, now_epoch()),
        Ok(false) => field_error,
        Err(e) => e,
    }
}

/// Re-checks a signed-in employee's password (to change it, or to change
/// two-factor sign-in): refused while locked; a wrong one counts toward
/// the lockout. `field` names the form field for the error.
pub async fn recheck_password(
    store: &Store,
    settings: &AuthSettings,
    me: &Principal,
    origin: &Origin,
    password: &str,
    field: &str,
    purpose: Recheck,
) -> Result<(), AppError> {
    ensure_unlocked(store, &me.employee_id).await?;
    let hash: String = with_pool!(store, p => sqlx::query_scalar("SELECT password_hash FROM employees WHERE id = $1")
        .bind(&me.employee_id)
        .fetch_one(p)
        .await)?;
    if verify_password(password, &hash).await? {
        return Ok(());
    }
    let wrong = AppError::field(
        field,
        FieldError::new("wrong_password", "The password is not correct."),
    );
    Err(failed_recheck(
        store,
        settings,
        &actor_of(me, origin),
        &me.employee_id,
        purpose,
        wrong,
    )
    .await)
}
