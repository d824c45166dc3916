//! Multi-factor authentication (ASVS V6.5/V6.6): TOTP (RFC 6238: SHA1, six
//! digits, 30-second steps, one step of clock drift either way) with
//! totp-rs, enrolment by QR code (qrcode, rendered as SVG), and ten
//! single-use backup codes. A time step once used is never accepted again.
//! The TOTP secret is stored encrypted (XChaCha20-Poly1305 with a key
//! derived from the server secret); backup codes only as keyed hashes.

use super::{
    audit::{self, Entry},
    credentials::{self, actor_of, Origin, Principal, Recheck},
    now_epoch,
    store::{with_pool, with_tx, Tx},
    tokens::{hex, unhex},
    AppState,
};
use crate::error::{AppError, FieldError};
use chacha20poly1305::{
    aead::{Aead, KeyInit},
    XChaCha20Poly1305, XNonce,
};
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use totp_rs::{Algorithm, TOTP};

const STEP: u64 = 30;
const ISSUER: &str = "Studio CRM";

/// What enrolment shows: the secret for manual entry, the otpauth URL and
/// its QR code.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MfaSetup {
    pub secret: String,
    pub otpauth_url: String,
    pub qr_svg: String,
}

/// The backup codes, shown once when MFA is switched on.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BackupCodes {
    pub backup_codes: Vec<String>,
}

fn key(secret: &[u8], purpose: &str) -> [u8; 32] {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(purpose.as_bytes());
    mac.finalize().into_bytes().into()
}

fn encrypt(state: &AppState, plain: &[u8]) -> Result<String, AppError> {
    let cipher = XChaCha20Poly1305::new(&key(&state.signing_key, "mfa-secret").into());
    let mut nonce = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut nonce);
    let sealed = cipher
        .encrypt(XNonce::from_slice(&nonce), plain)
        .map_err(|_| AppError::Internal)?;
    Ok(format!("{}{}", hex(&nonce), hex(&sealed)))
}

fn decrypt(state: &AppState, stored: &str) -> Result<Vec<u8>, AppError> {
    let raw = unhex(stored)
        .filter(|r| r.len() > 24)
        .ok_or(AppError::Internal)?;
    let cipher = XChaCha20Poly1305::new(&key(&state.signing_key, "mfa-secret").into());
    cipher
        .decrypt(XNonce::from_slice(&raw[..24]), &raw[24..])
        .map_err(|_| {
            tracing::error!("an MFA secret cannot be decrypted: was the server secret changed?");
            AppError::Internal
        })
}

fn totp(secret: Vec<u8>, account: &str) -> Result<TOTP, AppError> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP,
        secret,
        Some(ISSUER.to_owned()),
        account.to_owned(),
    )
    .map_err(|_| AppError::Internal)
}

/// The time step `code` matches within ±1 step of now, if any.
pub fn matching_step(totp: &TOTP, code: &str, now: u64) -> Option<i64> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = now / STEP;
    [current.saturating_sub(1), current, current + 1]
        .into_iter()
        .find(|step| totp.generate(step * STEP) == code)
        .and_then(|step| i64::try_from(step).ok())
}

fn backup_hash(state: &AppState, code: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key(&state.signing_key, "backup-code"))
        .expect("any key length");
    mac.update(code.trim().to_ascii_lowercase().replace('-', "").as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// Starts enrolment (re-authenticating with the password): a new secret,
/// pending until a code from it is confirmed.
pub async fn setup(
    state: &AppState,
    me: &Principal,
    password: &str,
    origin: &Origin,
) -> Result<MfaSetup, AppError> {
    credentials::recheck_password(
        &state.store,
        &state.auth,
        me,
        origin,
        password,
        "password",
        Recheck::MfaSetup,
    )
    .await?;
    let enabled: bool = with_pool!(&state.store, p => sqlx::query_scalar("SELECT mfa_enabled FROM employees WHERE id = $1")
        .bind(&me.employee_id)
        .fetch_one(p)
        .await)?;
    if enabled {
        return Err(AppError::Conflict {
            code: "mfa_already_enabled".into(),
            message: "Two-factor sign-in is already on.".into(),
            details: None,
        });
    }
    let mut secret = vec![0u8; 20];
    rand::thread_rng().fill_bytes(&mut secret);
    let totp = totp(secret.clone(), &me.username)?;
    let sealed = encrypt(state, &secret)?;
    state
        .store
        .write_alone(
            "UPDATE employees SET mfa_secret = $1 WHERE id = $2",
            vec![sealed.into(), me.employee_id.as_str().into()],
        )
        .await?;
    let url = totp.get_url();
    let qr_svg = qrcode::QrCode::new(url.as_bytes())
        .map_err(|_| AppError::Internal)?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .build();
    Ok(MfaSetup {
        secret: totp.get_secret_base32(),
        otpauth_url: url,
        qr_svg,
    })
}

async fn new_backup_codes(
    state: &AppState,
    tx: &mut Tx,
    employee_id: &str,
) -> Result<Vec<String>, AppError> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    with_tx!(tx, t => sqlx::query("DELETE FROM mfa_backup_codes WHERE employee_id = $1")
        .bind(employee_id)
        .execute(&mut **t)
        .await
        .map(|r| r.rows_affected()))?;
    let mut codes = Vec::with_capacity(10);
    for _ in 0..10 {
        let mut raw = [0u8; 10];
        rand::thread_rng().fill_bytes(&mut raw);
        let chars: String = raw
            .iter()
            .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
            .collect();
        let code = format!("{}-{}", &chars[..5], &chars[5..]);
        with_tx!(tx, t => sqlx::query("INSERT INTO mfa_backup_codes (employee_id, code_hash) VALUES ($1, $2)")
            .bind(employee_id)
            .bind(backup_hash(state, &code))
            .execute(&mut **t)
            .await
            .map(|r| r.rows_affected()))?;
        codes.push(code);
    }
    Ok(codes)
}

/// Confirms enrolment with a code from the authenticator; answers with the
/// backup codes, shown this once.
pub async fn enable(
    state: &AppState,
    me: &Principal,
    code: &str,
    origin: &Origin,
) -> Result<BackupCodes, AppError> {
    let row: (Option<String>, bool) = with_pool!(&state.store, p => sqlx::query_as(
        "SELECT mfa_secret, mfa_enabled FROM employees WHERE id = $1"
    )
    .bind(&me.employee_id)
    .fetch_one(p)
    .await)?;
    let (Some(sealed), false) = row else {
        return Err(AppError::Conflict {
            code: "mfa_not_pending".into(),
            message: "Start the set-up first.".into(),
            details: None,
        });
    };
    credentials::ensure_unlocked(&state.store, &me.employee_id).await?;
    let totp = totp(decrypt(state, &sealed)?, &me.username)?;
    let now = u64::try_from(now_epoch()).unwrap_or(0);
    let Some(step) = matching_step(&totp, code, now) else {
        return Err(wrong_code(
            state,
            me,
            origin,
            Recheck::MfaEnable,
            "The code does not match; try the next one.",
        )
        .await);
    };
    let mut tx = state.store.begin().await?;
    with_tx!(tx, t => sqlx::query("UPDATE employees SET mfa_enabled = TRUE, mfa_last_step = $1 WHERE id = $2")
        .bind(step)
        .bind(&me.employee_id)
        .execute(&mut **t)
        .await
        .map(|r| r.rows_affected()))?;
    let codes = new_backup_codes(state, &mut tx, &me.employee_id).await?;
    audit::append(
        &mut tx,
        &actor_of(me, origin),
        Entry {
            action: "mfa_enabled",
            target_type: "employee",
            target_id: &me.employee_id,
            details: serde_json::json!({}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(BackupCodes {
        backup_codes: codes,
    })
}

/// Refuses a wrong code where a signed-in employee re-proves who they are:
/// a field error, counted toward the same lockout as a wrong password.
async fn wrong_code(
    state: &AppState,
    me: &Principal,
    origin: &Origin,
    recheck: Recheck,
    message: &str,
) -> AppError {
    let wrong = AppError::field("code", FieldError::new("invalid_code", message));
    credentials::failed_recheck(
        &state.store,
        &state.auth,
        &actor_of(me, origin),
        &me.employee_id,
        recheck,
        wrong,
    )
    .await
}

/// Switches MFA off, with both the password and a current code.
pub async fn disable(
    state: &AppState,
    me: &Principal,
    password: &str,
    code: &str,
    origin: &Origin,
) -> Result<(), AppError> {
    credentials::recheck_password(
        &state.store,
        &state.auth,
        me,
        origin,
        password,
        "password",
        Recheck::MfaDisable,
    )
    .await?;
    if !check_code(state, &me.employee_id, &me.username, code).await? {
        return Err(wrong_code(
            state,
            me,
            origin,
            Recheck::MfaDisable,
            "The code does not match.",
        )
        .await);
    }
    let mut tx = state.store.begin().await?;
    with_tx!(tx, t => sqlx::query("UPDATE employees SET mfa_enabled = FALSE, mfa_secret = NULL, mfa_last_step = NULL WHERE id = $1")
        .bind(&me.employee_id)
        .execute(&mut **t)
        .await
        .map(|r| r.rows_affected()))?;
    with_tx!(tx, t => sqlx::query("DELETE FROM mfa_backup_codes WHERE employee_id = $1")
        .bind(&me.employee_id)
        .execute(&mut **t)
        .await
        .map(|r| r.rows_affected()))?;
    audit::append(
        &mut tx,
        &actor_of(me, origin),
        Entry {
            action: "mfa_disabled",
            target_type: "employee",
            target_id: &me.employee_id,
            details: serde_json::json!({}),
        },
    )
    .await?;
    tx.commit().await
}

/// Checks a sign-in code: a TOTP code of a step later than the last one
/// used (the step is then recorded, so the code cannot be replayed), or an
/// unused backup code (then spent). Both updates are conditional, so two
/// requests cannot spend the same code.
pub async fn check_code(
    state: &AppState,
    employee_id: &str,
    username: &str,
    code: &str,
) -> Result<bool, AppError> {
    let store = &state.store;
    let sealed: Option<String> = with_pool!(store, p => sqlx::query_scalar(
        "SELECT mfa_secret FROM employees WHERE id = $1 AND mfa_enabled = TRUE"
    )
    .bind(employee_id)
    .fetch_optional(p)
    .await)?
    .flatten();
    let Some(sealed) = sealed else {
        return Ok(false);
    };
    let totp = totp(decrypt(state, &sealed)?, username)?;
    let now = u64::try_from(now_epoch()).unwrap_or(0);
    if let Some(step) = matching_step(&totp, code, now) {
        let used = store
            .write_alone(
                "UPDATE employees SET mfa_last_step = $1 WHERE id = $2 AND (mfa_last_step IS NULL OR mfa_last_step < $1)",
                vec![step.into(), employee_id.into()],
            )
            .await?;
        return Ok(used == 1);
    }
    let spent = store
        .write_alone(
            "UPDATE mfa_backup_codes SET used_at = $1 WHERE employee_id = $2 AND code_hash = $3 AND used_at IS NULL",
            vec![
                now_epoch().into(),
                employee_id.into(),
                backup_hash(state, code).into(),
            ],
        )
        .await?;
    Ok(spent == 1)
}
