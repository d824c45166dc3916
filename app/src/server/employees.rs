//! Staff accounts. For now: creating the first owner (CLI `create-owner`);
//! the staff-accounts issue adds login, sessions and management.

use super::{
    events::{self, NewEvent},
    now_epoch,
    store::{is_unique_violation, with_pool, with_tx, Store},
};
use crate::{
    domain::{employee::EmployeeProfile, Email, FullName, Password, Role, Username},
    error::{AppError, FieldError},
};
use argon2::{
    password_hash::{rand_core::OsRng, PasswordHasher, SaltString},
    Argon2,
};
use std::collections::BTreeMap;

/// Input for a new employee, as typed.
pub struct NewEmployeeInput<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub full_name: &'a str,
    pub password: &'a str,
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

/// The employee's own profile.
pub async fn profile(store: &Store, employee_id: &str) -> Result<EmployeeProfile, AppError> {
    let row: Option<(String, String, String, String, String, bool)> = with_pool!(store, p => sqlx::query_as(
        "SELECT id, username, full_name, email, role, mfa_enabled FROM employees WHERE id = $1"
    )
    .bind(employee_id)
    .fetch_optional(p)
    .await)?;
    let (id, username, full_name, email, role, mfa_enabled) =
        row.ok_or_else(|| AppError::not_found("employee"))?;
    Ok(EmployeeProfile {
        id,
        username,
        full_name,
        email,
        role: Role::parse(&role).ok_or(AppError::Internal)?,
        mfa_enabled,
    })
}

/// Creates the studio's first owner. Refused once an active owner exists:
/// further staff are added by an owner from the staff UI.
#[tracing::instrument(skip_all)]
pub async fn create_owner(store: &Store, input: NewEmployeeInput<'_>) -> Result<String, AppError> {
    let mut fields = BTreeMap::new();
    let username = Username::parse(input.username)
        .map_err(|e| fields.insert("username".into(), e))
        .ok();
    let email = Email::parse(input.email)
        .map_err(|e| fields.insert("email".into(), e))
        .ok();
    let full_name = FullName::parse(input.full_name)
        .map_err(|e| fields.insert("full_name".into(), e))
        .ok();
    let password = Password::parse(input.password, input.username)
        .map_err(|e| fields.insert("password".into(), FieldError::new(e.code(), e.message())))
        .ok();
    let (Some(username), Some(email), Some(full_name), Some(password)) =
        (username, email, full_name, password)
    else {
        return Err(AppError::Validation { fields });
    };
    let hash = hash_password(&password).await?;

    let mut tx = store.begin().await?;
    let owners: i64 = with_tx!(tx, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM employees WHERE role = 'owner' AND active = TRUE"
    )
    .fetch_one(&mut **c)
    .await)?;
    if owners > 0 {
        return Err(AppError::Conflict {
            code: "owner_exists".into(),
            message: "The studio already has an owner; add staff from the employees page.".into(),
            details: None,
        });
    }
    let id = uuid::Uuid::new_v4().to_string();
    let now = now_epoch();
    let inserted = with_tx!(tx, c => sqlx::query(
        "INSERT INTO employees (id, username, email, full_name, role, active, password_hash, \
         password_changed_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, TRUE, $6, $7, $7, $7)"
    )
    .bind(&id)
    .bind(username.as_str())
    .bind(email.as_str())
    .bind(full_name.as_str())
    .bind(Role::Owner.as_str())
    .bind(&hash)
    .bind(now)
    .execute(&mut **c)
    .await
    .map(|r| r.rows_affected()));
    match inserted {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::field(
                "username",
                FieldError::new("username_taken", "This username is already taken."),
            ))
        }
        Err(e) => return Err(e.into()),
    }
    super::audit::append(
        &mut tx,
        &super::audit::Actor { name: "command line".into(), ..Default::default() },
        super::audit::Entry {
            action: "employee_created",
            target_type: "employee",
            target_id: &id,
            details: serde_json::json!({ "after": { "username": username.as_str(), "role": Role::Owner.as_str() } }),
        },
    )
    .await?;
    events::record(
        &mut tx,
        NewEvent {
            event_type: "EmployeeCreated",
            aggregate_type: "employee",
            aggregate_id: &id,
            payload: &serde_json::json!({ "role": Role::Owner.as_str(), "via": "cli" }),
            actor: None,
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(employee_id = %id, "owner account created");
    Ok(id)
}
