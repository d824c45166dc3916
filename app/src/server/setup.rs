//! First-run setup: while the studio has no employee, `/setup` creates the
//! first owner for whoever holds the one-time setup token the server
//! printed at start. Only a hash of the token is stored (in `studio_meta`,
//! so every instance on the database accepts the newest token); once an
//! employee exists the page is gone (404). `server create-owner` does the
//! same from a shell.

use super::{
    employees::{self, NewEmployeeInput, Via},
    store::{with_pool, with_tx, Store},
    tokens::{constant_time_eq, hex},
};
use crate::error::{AppError, FieldError};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

const KEY: &str = "setup_token_sha256";

fn digest(token: &str) -> String {
    hex(&Sha256::digest(token.trim().as_bytes()))
}

async fn employees(store: &Store) -> Result<i64, AppError> {
    Ok(
        with_pool!(store, p => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM employees")
        .fetch_one(p)
        .await)?,
    )
}

/// At start: when the studio has no employee yet, a fresh setup token
/// (replacing any earlier one) to print for the operator; none otherwise.
pub async fn issue_token(store: &Store) -> Result<Option<String>, AppError> {
    if employees(store).await? > 0 {
        // Nothing to set up; a stale token cannot be used any more.
        forget_token(store).await?;
        return Ok(None);
    }
    let mut raw = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut raw);
    let token = hex(&raw);
    let mut tx = store.begin().await?;
    with_tx!(tx, t => sqlx::query("DELETE FROM studio_meta WHERE key = $1")
        .bind(KEY)
        .execute(&mut **t)
        .await
        .map(|_| ()))?;
    with_tx!(tx, t => sqlx::query("INSERT INTO studio_meta (key, value) VALUES ($1, $2)")
        .bind(KEY)
        .bind(digest(&token))
        .execute(&mut **t)
        .await
        .map(|_| ()))?;
    tx.commit().await?;
    Ok(Some(token))
}

/// Whether `/setup` is open: no employee yet and a token was issued.
pub async fn is_open(store: &Store) -> Result<bool, AppError> {
    if employees(store).await? > 0 {
        return Ok(false);
    }
    let stored: Option<String> = with_pool!(store, p => sqlx::query_scalar(
        "SELECT value FROM studio_meta WHERE key = $1"
    )
    .bind(KEY)
    .fetch_optional(p)
    .await)?;
    Ok(stored.is_some())
}

/// What the setup form sends.
pub struct SetupInput<'a> {
    pub token: &'a str,
    pub username: &'a str,
    pub email: &'a str,
    pub full_name: &'a str,
    pub password: &'a str,
    pub password_repeat: &'a str,
}

/// Creates the first owner when the token matches; the same checks and
/// password rules as `create-owner`. Afterwards setup is closed for good.
pub async fn complete(store: &Store, input: SetupInput<'_>) -> Result<String, AppError> {
    if !is_open(store).await? {
        return Err(AppError::not_found("page"));
    }
    let stored: Option<String> = with_pool!(store, p => sqlx::query_scalar(
        "SELECT value FROM studio_meta WHERE key = $1"
    )
    .bind(KEY)
    .fetch_optional(p)
    .await)?;
    let genuine = stored
        .as_deref()
        .is_some_and(|s| constant_time_eq(s.as_bytes(), digest(input.token).as_bytes()));
    let mut fields = BTreeMap::new();
    if !genuine {
        fields.insert(
            "setup_token".into(),
            FieldError::new(
                "invalid_setup_token",
                "This is not the setup token the server printed at its last start.",
            ),
        );
    }
    if input.password != input.password_repeat {
        fields.insert(
            "password_repeat".into(),
            FieldError::new("password_mismatch", "The two passwords differ."),
        );
    }
    // The other fields are checked by the owner's own rules, in the same
    // answer.
    let id = employees::create_owner_via(
        store,
        NewEmployeeInput {
            username: input.username,
            email: input.email,
            full_name: input.full_name,
            password: input.password,
        },
        fields,
        Via::SetupPage,
    )
    .await?;
    forget_token(store).await?;
    Ok(id)
}

/// Removes the setup token: the studio has its owner.
async fn forget_token(store: &Store) -> Result<(), AppError> {
    store
        .write_alone("DELETE FROM studio_meta WHERE key = $1", vec![KEY.into()])
        .await
        .map(|_| ())
}
