//! Duties towards the people whose data the studio holds (152-FZ, GDPR):
//! sealing data written before encryption, re-sealing under a new key,
//! retention, a client's export and erasure, and guests' requests.
//!
//! Every long job works in batches, each its own transaction, and finds
//! its remaining work from the data itself (clear values, values of an old
//! key, rows past retention): stopped half-way, it carries on where it was.

use super::{
    audit::{self, Actor, Entry},
    credentials::{actor_of, Origin, Principal},
    now_epoch,
    pii::{Vault, SEALED_PREFIX},
    store::{with_pool, with_tx, Arg, Backend, Batch, Store, Tx},
    AppState,
};
pub use crate::domain::calendar::DataRequest;
use crate::{
    domain::Phone,
    error::{AppError, FieldError},
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Rows per transaction of the long jobs.
const BATCH: i64 = 500;

/// Moves a booking's name-index rows from the name `old` (none for a new
/// booking) to `new`, the new rows naming the booking's client (`client`,
/// the phone's blind index; unused when `new` is empty).
///
/// New rows go to the pending list (`client_name_pending`, appended in one
/// statement: a booking's write stays one round trip and touches a page or
/// two instead of a dozen of the large index); [`merge_name_index`] moves
/// them later. A booking's rows are all in one of the two tables, so its
/// old rows are removed from both: in the index by their full key,
/// computed from the name; in the pending list, which is small, by the
/// booking. The pending list goes first: on PostgreSQL a merge moving them
/// at the same time either waits for this removal, or has moved them
/// before the index's removal runs (a new snapshot) and sees them there.
pub(crate) async fn index_name(
    tx: &mut Tx,
    vault: &Vault,
    booking_id: &str,
    client: &str,
    old: Option<&str>,
    new: &str,
) -> Result<(), AppError> {
    // One call on SQLite (see [`Batch`]); on PostgreSQL the statements run
    // in this order, each with a fresh snapshot.
    let mut writes = Batch::new();
    if let Some(old) = old {
        writes.push(
            "DELETE FROM client_name_pending WHERE booking_id = $1",
            vec![booking_id.into()],
        );
        let tokens = vault.name_index(old);
        if !tokens.is_empty() {
            let list: Vec<String> = (0..tokens.len()).map(|i| format!("${}", i + 2)).collect();
            let mut args = vec![Arg::from(booking_id)];
            args.extend(tokens.into_iter().map(Arg::from));
            writes.push(
                &format!(
                    "DELETE FROM client_name_index WHERE booking_id = $1 AND token IN ({})",
                    list.join(", ")
                ),
                args,
            );
        }
    }
    push_pending(&mut writes, name_rows(vault, new), booking_id, client);
    writes.run(tx).await?;
    Ok(())
}

/// The name-index tokens of `name`, each once (a name repeating a word,
/// "Анна Анна", would repeat its rows).
pub(crate) fn name_rows(vault: &Vault, name: &str) -> Vec<String> {
    let mut tokens = vault.name_index(name);
    tokens.sort_unstable();
    tokens.dedup();
    tokens
}

/// Adds to `writes` the statement appending a booking's pending name rows
/// (nothing without tokens).
pub(crate) fn push_pending(writes: &mut Batch, tokens: Vec<String>, booking: &str, client: &str) {
    if tokens.is_empty() {
        return;
    }
    let n = tokens.len();
    let values: Vec<String> = (1..=n)
        .map(|i| format!("(${i}, ${}, ${})", n + 1, n + 2))
        .collect();
    let mut args: Vec<Arg> = tokens.into_iter().map(Arg::from).collect();
    args.push(booking.into());
    args.push(client.into());
    writes.push(
        &format!(
            "INSERT INTO client_name_pending (token, booking_id, phone_bidx) VALUES {}",
            values.join(", ")
        ),
        args,
    );
}

/// Moves the pending name-index rows into the index, all in one
/// transaction (so a booking's rows move together); returns how many.
/// Run by the periodic jobs of every instance, and after sealing a
/// database in place. Searches read both tables, so when this runs only
/// bounds the pending list's length.
pub async fn merge_name_index(store: &Store) -> Result<u64, AppError> {
    let mut tx = store.begin().await?;
    let moved = match store.backend() {
        // The write lock is held from `BEGIN IMMEDIATE`: nothing can be
        // added or removed between the two statements.
        Backend::Sqlite => with_tx!(tx, t => {
            sqlx::query(
                "INSERT INTO client_name_index (token, booking_id, phone_bidx) \
                 SELECT token, booking_id, phone_bidx FROM client_name_pending WHERE true ON CONFLICT DO NOTHING",
            )
            .execute(&mut **t)
            .await?;
            sqlx::query("DELETE FROM client_name_pending")
                .execute(&mut **t)
                .await
                .map(|r| r.rows_affected())
        })?,
        // Deleting first locks the rows it moves: a booking removing its
        // rows meanwhile waits for this, or this skips the rows it removed;
        // two instances merging at once move each row once.
        Backend::Postgres => with_tx!(tx, t => sqlx::query(
            "WITH moved AS (DELETE FROM client_name_pending RETURNING token, booking_id, phone_bidx) \
             INSERT INTO client_name_index (token, booking_id, phone_bidx) \
             SELECT token, booking_id, phone_bidx FROM moved ON CONFLICT DO NOTHING",
        )
        .execute(&mut **t)
        .await
        .map(|r| r.rows_affected()))?,
    };
    tx.commit().await?;
    Ok(moved)
}

#[derive(sqlx::FromRow)]
struct PiiRow {
    id: String,
    client_name: String,
    client_phone: String,
    client_phone_display: String,
    client_email: Option<String>,
    special_requirements: String,
    notes: String,
    internal_notes: String,
    deleted_at: Option<i64>,
}

impl PiiRow {
    fn values(&self) -> [Option<&str>; 7] {
        [
            Some(&self.client_name),
            Some(&self.client_phone),
            Some(&self.client_phone_display),
            self.client_email.as_deref(),
            Some(&self.special_requirements),
            Some(&self.notes),
            Some(&self.internal_notes),
        ]
    }
}

/// Opens a value if sealed, takes it as is if not (data of a release
/// before encryption).
fn clear_of(vault: &Vault, value: &str) -> Result<String, AppError> {
    if value.starts_with(SEALED_PREFIX) {
        vault.open(value)
    } else {
        Ok(value.to_owned())
    }
}

/// Seals (or re-seals) one booking's personal fields under the current key
/// and sets its phone and e-mail indexes; `index_name` also adds its
/// name-index rows (the upgrade; a rotation leaves them, they do not depend
/// on the data key).
async fn reseal_booking(
    tx: &mut Tx,
    vault: &Vault,
    row: &PiiRow,
    index_name_too: bool,
) -> Result<(), AppError> {
    let mut clear: Vec<Option<String>> = Vec::with_capacity(7);
    for v in row.values() {
        clear.push(v.map(|v| clear_of(vault, v)).transpose()?);
    }
    let name = clear[0].clone().unwrap_or_default();
    let phone = clear[1].clone().unwrap_or_default();
    let phone_bidx = vault.phone_index(&phone);
    let email = clear[3].clone().filter(|e| !e.is_empty());
    let sealed: Vec<Option<String>> = clear.iter().map(|v| vault.seal_opt(v.as_deref())).collect();
    with_tx!(tx, t => sqlx::query(
        "UPDATE bookings SET client_name = $1, client_phone = $2, client_phone_display = $3, client_email = $4, \
         special_requirements = $5, notes = $6, internal_notes = $7, client_phone_bidx = $8, client_email_bidx = $9 \
         WHERE id = $10"
    )
    .bind(&sealed[0])
    .bind(&sealed[1])
    .bind(&sealed[2])
    .bind(&sealed[3])
    .bind(&sealed[4])
    .bind(&sealed[5])
    .bind(&sealed[6])
    .bind(&phone_bidx)
    .bind(email.as_deref().map(|e| vault.email_index(e)))
    .bind(&row.id)
    .execute(&mut **t)
    .await
    .map(|_| ()))?;
    // A deleted booking leaves every search: no name rows.
    if index_name_too && row.deleted_at.is_none() {
        index_name(tx, vault, &row.id, &phone_bidx, None, &name).await?;
    }
    Ok(())
}

const PII_COLUMNS: &str = "id, client_name, client_phone, client_phone_display, client_email, \
     special_requirements, notes, internal_notes, deleted_at";

/// Seals what an earlier release stored in clear: bookings without a phone
/// index (that are not anonymised), clear consent details, and the old
/// clear-keyed client notes. Idempotent and resumable; returns the rows
/// changed. On SQLite the file is then vacuumed, so no clear copy stays
/// in free pages or the WAL.
pub async fn seal_clear_data(store: &Store) -> Result<u64, AppError> {
    let vault = store.vault()?;
    let mut changed = 0_u64;
    loop {
        let mut tx = store.begin().await?;
        let rows: Vec<PiiRow> = with_tx!(tx, t => sqlx::query_as(&format!(
            "SELECT {PII_COLUMNS} FROM bookings WHERE client_phone_bidx IS NULL AND anonymised_at IS NULL \
             ORDER BY id LIMIT $1"
        ))
        .bind(BATCH)
        .fetch_all(&mut **t)
        .await)?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            reseal_booking(&mut tx, vault, row, true).await?;
        }
        tx.commit().await?;
        // Each batch's name rows go straight on into the index: a large
        // upgrade does not leave the pending list long.
        merge_name_index(store).await?;
        changed += rows.len() as u64;
    }
    changed += reseal_consents(store, vault, false).await?;
    // Notes keyed by the clear phone move to their blind-indexed table.
    loop {
        let mut tx = store.begin().await?;
        let rows: Vec<(String, String, i64, Option<String>)> = with_tx!(tx, t => sqlx::query_as(
            "SELECT phone, notes, updated_at, updated_by FROM client_notes ORDER BY phone LIMIT $1"
        )
        .bind(BATCH)
        .fetch_all(&mut **t)
        .await)?;
        if rows.is_empty() {
            break;
        }
        for (phone, notes, at, by) in &rows {
            with_tx!(tx, t => sqlx::query(
                "INSERT INTO client_profiles (phone_bidx, notes, updated_at, updated_by) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (phone_bidx) DO NOTHING"
            )
            .bind(vault.phone_index(phone))
            .bind(vault.seal(notes))
            .bind(at)
            .bind(by)
            .execute(&mut **t)
            .await
            .map(|_| ()))?;
            with_tx!(tx, t => sqlx::query("DELETE FROM client_notes WHERE phone = $1")
                .bind(phone)
                .execute(&mut **t)
                .await
                .map(|_| ()))?;
        }
        tx.commit().await?;
        changed += rows.len() as u64;
    }
    if changed > 0 {
        // The index columns were empty when statistics were last taken:
        // without fresh ones the planner would not use their indexes.
        // PostgreSQL also marks the new rows visible to all, so the name
        // search reads its index alone (an index-only scan).
        // SQLite's statistics are a write: in the writers' turn.
        match store.backend() {
            Backend::Sqlite => {
                store.maintain("ANALYZE").await?;
                compact(store).await?;
            }
            Backend::Postgres => {
                with_pool!(store, p => sqlx::raw_sql("VACUUM ANALYZE").execute(p).await.map(|_| ()))?;
            }
        }
    }
    Ok(changed)
}

/// SQLite: rewrites the file and empties the WAL, so replaced clear values
/// are gone from disk (secure_delete zeroes freed cells as well).
async fn compact(store: &Store) -> Result<(), AppError> {
    store
        .maintain("VACUUM; PRAGMA wal_checkpoint(TRUNCATE)")
        .await
}

/// Consent IPs and user agents not sealed (`all`: not sealed under the
/// current key).
async fn reseal_consents(store: &Store, vault: &Vault, all: bool) -> Result<u64, AppError> {
    let mut changed = 0_u64;
    let mut after = String::new();
    loop {
        let mut tx = store.begin().await?;
        let rows: Vec<(String, String, String)> = with_tx!(tx, t => sqlx::query_as(
            "SELECT id, ip, user_agent FROM consent_records WHERE id > $1 ORDER BY id LIMIT $2"
        )
        .bind(&after)
        .bind(BATCH)
        .fetch_all(&mut **t)
        .await)?;
        let Some(last) = rows.last() else { break };
        after = last.0.clone();
        for (id, ip, ua) in &rows {
            let stale = |v: &str| {
                if all {
                    !vault.is_current(v)
                } else {
                    !v.starts_with(SEALED_PREFIX)
                }
            };
            if !stale(ip) && !stale(ua) {
                continue;
            }
            with_tx!(tx, t => sqlx::query("UPDATE consent_records SET ip = $1, user_agent = $2 WHERE id = $3")
                .bind(vault.seal(&clear_of(vault, ip)?))
                .bind(vault.seal(&clear_of(vault, ua)?))
                .bind(id)
                .execute(&mut **t)
                .await
                .map(|_| ()))?;
            changed += 1;
        }
        tx.commit().await?;
    }
    Ok(changed)
}

/// What a key rotation did.
#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct Rotation {
    pub bookings: u64,
    pub consents: u64,
    pub client_notes: u64,
}

/// Re-seals every personal value not sealed under the current key
/// (`server rotate-data-key`). Values of older keys need those keys in the
/// keyring (`STUDIO_DATA_KEY_PREVIOUS`). Resumable: each batch commits,
/// and a value already under the current key is skipped.
pub async fn rotate(store: &Store) -> Result<Rotation, AppError> {
    let vault = store.vault()?;
    let mut done = Rotation::default();
    let current = format!("{SEALED_PREFIX}{}.%", vault.current_key_id());
    let mut after = String::new();
    loop {
        let mut tx = store.begin().await?;
        let rows: Vec<PiiRow> = with_tx!(tx, t => sqlx::query_as(&format!(
            "SELECT {PII_COLUMNS} FROM bookings WHERE id > $1 AND anonymised_at IS NULL AND NOT ( \
             client_name LIKE $2 AND client_phone LIKE $2 AND client_phone_display LIKE $2 \
             AND (client_email IS NULL OR client_email LIKE $2) AND special_requirements LIKE $2 \
             AND notes LIKE $2 AND internal_notes LIKE $2) ORDER BY id LIMIT $3"
        ))
        .bind(&after)
        .bind(&current)
        .bind(BATCH)
        .fetch_all(&mut **t)
        .await)?;
        let Some(last) = rows.last() else { break };
        after = last.id.clone();
        for row in &rows {
            reseal_booking(&mut tx, vault, row, false).await?;
        }
        tx.commit().await?;
        done.bookings += rows.len() as u64;
    }
    done.consents = reseal_consents(store, vault, true).await?;
    let profiles: Vec<(String, String)> = with_pool!(store, p => sqlx::query_as(
        "SELECT phone_bidx, notes FROM client_profiles WHERE notes NOT LIKE $1"
    )
    .bind(&current)
    .fetch_all(p)
    .await)?;
    for chunk in profiles.chunks(BATCH as usize) {
        let mut tx = store.begin().await?;
        for (bidx, notes) in chunk {
            with_tx!(tx, t => sqlx::query("UPDATE client_profiles SET notes = $1 WHERE phone_bidx = $2")
                .bind(vault.seal(&clear_of(vault, notes)?))
                .bind(bidx)
                .execute(&mut **t)
                .await
                .map(|_| ()))?;
        }
        tx.commit().await?;
        done.client_notes += chunk.len() as u64;
    }
    if store.backend() == Backend::Sqlite && (done.bookings + done.consents + done.client_notes) > 0
    {
        compact(store).await?;
    }
    Ok(done)
}

/// Replaces the personal fields of `ids` (name, phones, e-mail, wishes,
/// notes, consent IP and user agent) and drops their blind indexes; the
/// times, space, state, amounts and the fact of consent stay (analytics and
/// accounting keep working). Delivery errors that might quote an address
/// are cleared too.
async fn anonymise(tx: &mut Tx, vault: &Vault, ids: &[String]) -> Result<u64, AppError> {
    let now = now_epoch();
    let mut n = 0;
    for id in ids {
        let name: Option<(String, Option<i64>)> = with_tx!(tx, t => sqlx::query_as(
            "SELECT client_name, anonymised_at FROM bookings WHERE id = $1"
        )
        .bind(id)
        .fetch_optional(&mut **t)
        .await)?;
        let Some((name, None)) = name else { continue };
        let old = vault.open(&name)?;
        index_name(tx, vault, id, "", Some(&old), "").await?;
        n += with_tx!(tx, t => sqlx::query(
            "UPDATE bookings SET client_name = $1, client_phone = $2, client_phone_display = $3, client_email = NULL, \
             special_requirements = $4, notes = $5, internal_notes = $6, client_phone_bidx = NULL, \
             client_email_bidx = NULL, anonymised_at = $7 WHERE id = $8 AND anonymised_at IS NULL"
        )
        .bind(vault.seal(""))
        .bind(vault.seal(""))
        .bind(vault.seal(""))
        .bind(vault.seal(""))
        .bind(vault.seal(""))
        .bind(vault.seal(""))
        .bind(now)
        .bind(id)
        .execute(&mut **t)
        .await
        .map(|r| r.rows_affected()))?;
        for sql in [
            "UPDATE data_requests SET phone_bidx = NULL WHERE booking_id = $1",
            "UPDATE outbox SET last_error = NULL WHERE booking_id = $1",
            "UPDATE outbox_attempts SET error = NULL WHERE outbox_id IN (SELECT id FROM outbox WHERE booking_id = $1)",
        ] {
            with_tx!(tx, t => sqlx::query(sql).bind(id).execute(&mut **t).await.map(|_| ()))?;
        }
        with_tx!(tx, t => sqlx::query("UPDATE consent_records SET ip = $1, user_agent = $2 WHERE booking_id = $3")
            .bind(vault.seal(""))
            .bind(vault.seal(""))
            .bind(id)
            .execute(&mut **t)
            .await
            .map(|_| ()))?;
    }
    // Notes about clients of whom nothing identifiable is left.
    with_tx!(tx, t => sqlx::query(
        "DELETE FROM client_profiles WHERE NOT EXISTS \
         (SELECT 1 FROM bookings b WHERE b.client_phone_bidx = client_profiles.phone_bidx)"
    )
    .execute(&mut **t)
    .await
    .map(|_| ()))?;
    Ok(n)
}

/// What a retention run did (or, dry, would do).
#[derive(Debug, Default, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct RetentionRun {
    pub retention_days: i64,
    pub cutoff: i64,
    pub bookings_anonymised: u64,
    pub audit_entries_purged: u64,
    pub dry_run: bool,
}

/// The retention period in days (studio setting).
pub async fn retention_days(store: &Store) -> Result<i64, AppError> {
    let days: i32 = with_pool!(store, p => sqlx::query_scalar(
        "SELECT retention_days FROM studio_settings WHERE id = 1"
    )
    .fetch_one(p)
    .await)?;
    Ok(i64::from(days))
}

/// Anonymises bookings that ended more than the retention period before
/// `now` and purges audit entries of that age (the chain stays
/// verifiable), then audits the run with its counts.
pub async fn run_retention(
    store: &Store,
    now: i64,
    dry_run: bool,
) -> Result<RetentionRun, AppError> {
    let vault = store.vault()?;
    let days = retention_days(store).await?;
    let cutoff = now - days * 86_400;
    let mut run = RetentionRun {
        retention_days: days,
        cutoff,
        dry_run,
        ..Default::default()
    };
    if dry_run {
        let n: i64 = with_pool!(store, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM bookings WHERE ends_at < $1 AND anonymised_at IS NULL"
        )
        .bind(cutoff)
        .fetch_one(p)
        .await)?;
        run.bookings_anonymised = u64::try_from(n).unwrap_or(0);
        let mut tx = store.begin().await?;
        run.audit_entries_purged = audit::purge_older_than(&mut tx, cutoff, true).await?;
        return Ok(run);
    }
    loop {
        let mut tx = store.begin().await?;
        let ids: Vec<String> = with_tx!(tx, t => sqlx::query_scalar(
            "SELECT id FROM bookings WHERE ends_at < $1 AND anonymised_at IS NULL ORDER BY ends_at LIMIT $2"
        )
        .bind(cutoff)
        .bind(BATCH)
        .fetch_all(&mut **t)
        .await)?;
        if ids.is_empty() {
            break;
        }
        run.bookings_anonymised += anonymise(&mut tx, vault, &ids).await?;
        tx.commit().await?;
    }
    let mut tx = store.begin().await?;
    run.audit_entries_purged = audit::purge_older_than(&mut tx, cutoff, false).await?;
    audit::append(
        &mut tx,
        &Actor {
            id: None,
            name: "system".into(),
            ..Default::default()
        },
        Entry {
            action: "retention_run",
            target_type: "studio",
            target_id: "",
            details: json!(run),
        },
    )
    .await?;
    tx.commit().await?;
    if store.backend() == Backend::Sqlite && run.bookings_anonymised > 0 {
        compact(store).await?;
    }
    tracing::info!(
        anonymised = run.bookings_anonymised,
        audit_purged = run.audit_entries_purged,
        "retention run"
    );
    Ok(run)
}

/// Runs retention if the last run (of any instance) is a day old: the
/// instance that moves the marker runs it. A database seen for the first
/// time starts the clock (its first run is a day later), so starting a
/// server does not write to the audit log by itself.
pub async fn retention_if_due(store: &Store) -> Result<Option<RetentionRun>, AppError> {
    let now = now_epoch();
    let mut tx = store.begin().await?;
    with_tx!(tx, t => sqlx::query(
        "INSERT INTO studio_meta (key, value) VALUES ('retention_last_run', $1) ON CONFLICT (key) DO NOTHING"
    )
    .bind(now.to_string())
    .execute(&mut **t)
    .await
    .map(|_| ()))?;
    let claimed = with_tx!(tx, t => sqlx::query(
        "UPDATE studio_meta SET value = $1 WHERE key = 'retention_last_run' AND CAST(value AS BIGINT) <= $2"
    )
    .bind(now.to_string())
    .bind(now - 86_400)
    .execute(&mut **t)
    .await
    .map(|r| r.rows_affected()))?;
    tx.commit().await?;
    if claimed == 0 {
        return Ok(None);
    }
    run_retention(store, now, false).await.map(Some)
}

// ---------- data subject requests ----------

/// Why an export or erasure is made (audited).
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SubjectRequest {
    /// Why (e.g. "client's request of 2026-11-28"), 3 to 500 characters.
    #[schema(min_length = 3, max_length = 500)]
    #[param(min_length = 3, max_length = 500)]
    pub reason: Option<String>,
}

fn reason_of(req: &SubjectRequest, required: bool) -> Result<String, AppError> {
    let reason = req.reason.as_deref().map(str::trim).unwrap_or_default();
    if reason.is_empty() && !required {
        return Ok("data subject request".into());
    }
    let n = reason.chars().count();
    if !(3..=500).contains(&n) || reason.contains('\0') {
        return Err(AppError::field(
            "reason",
            FieldError::new("invalid_reason", "Say why, in 3 to 500 characters."),
        ));
    }
    Ok(reason.to_owned())
}

/// The client a subject request is about: who may ask (owners and
/// admins), why, and the client's bookings (404 when there are none).
struct Subject {
    reason: String,
    e164: String,
    bidx: String,
    ids: Vec<String>,
}

async fn subject(
    store: &Store,
    me: &Principal,
    phone: &str,
    req: &SubjectRequest,
    reason_required: bool,
) -> Result<Subject, AppError> {
    super::settings::require_admin(me)?;
    let reason = reason_of(req, reason_required)?;
    let phone = Phone::parse(phone).map_err(|_| AppError::not_found("client"))?;
    let bidx = store.vault()?.phone_index(phone.e164());
    let ids: Vec<String> = with_pool!(store, p => sqlx::query_scalar(
        "SELECT id FROM bookings WHERE client_phone_bidx = $1 ORDER BY starts_at"
    )
    .bind(&bidx)
    .fetch_all(p)
    .await)?;
    if ids.is_empty() {
        return Err(AppError::not_found("client"));
    }
    Ok(Subject {
        reason,
        e164: phone.e164().to_owned(),
        bidx,
        ids,
    })
}

#[derive(sqlx::FromRow)]
struct ExportBooking {
    id: String,
    reference: String,
    space: String,
    starts_at: i64,
    ends_at: i64,
    people_count: i32,
    client_name: String,
    client_phone: String,
    client_phone_display: String,
    client_email: Option<String>,
    special_requirements: String,
    notes: String,
    price_total: i64,
    payment_status: String,
    source: String,
    state: String,
    locale: String,
    created_at: i64,
    deleted_at: Option<i64>,
}

fn iso(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.to_rfc3339())
        .unwrap_or_default()
}

/// Everything the studio holds about the client with `phone`: bookings,
/// consents, the staff's notes, notifications sent, state history and the
/// audit entries about them. Owners and admins; audited with the reason.
pub async fn export(
    state: &AppState,
    me: &Principal,
    origin: &Origin,
    phone: &str,
    req: &SubjectRequest,
) -> Result<Value, AppError> {
    let store = &state.store;
    let Subject {
        reason,
        e164,
        bidx,
        ids,
    } = subject(store, me, phone, req, false).await?;
    let vault = store.vault()?;
    let mut bookings = Vec::new();
    let mut consents = Vec::new();
    let mut notifications = Vec::new();
    let mut history = Vec::new();
    let mut audit_entries = Vec::new();
    for id in &ids {
        let b: ExportBooking = with_pool!(store, p => sqlx::query_as(
            "SELECT b.id, b.reference, s.slug AS space, b.starts_at, b.ends_at, b.people_count, b.client_name, \
             b.client_phone, b.client_phone_display, b.client_email, b.special_requirements, b.notes, \
             b.price_total, b.payment_status, b.source, b.state, b.locale, b.created_at, b.deleted_at \
             FROM bookings b JOIN spaces s ON s.id = b.space_id WHERE b.id = $1"
        )
        .bind(id)
        .fetch_one(p)
        .await)?;
        bookings.push(json!({
            "id": b.id,
            "reference": b.reference,
            "space": b.space,
            "start_time": iso(b.starts_at),
            "end_time": iso(b.ends_at),
            "people_count": b.people_count,
            "client_name": vault.open(&b.client_name)?,
            "client_phone": vault.open(&b.client_phone)?,
            "client_phone_as_typed": vault.open(&b.client_phone_display)?,
            "client_email": vault.open_opt(b.client_email.as_deref())?,
            "special_requirements": vault.open(&b.special_requirements)?,
            "notes_for_client": vault.open(&b.notes)?,
            "total_price_minor": b.price_total,
            "payment_status": b.payment_status,
            "source": b.source,
            "state": b.state,
            "language": b.locale,
            "created_at": iso(b.created_at),
            "deleted_at": b.deleted_at.map(iso),
        }));
        let rows: Vec<(String, i64, String, Option<String>, String, String)> = with_pool!(store, p => sqlx::query_as(
            "SELECT text_version, given_at, method, recorded_by, ip, user_agent FROM consent_records \
             WHERE booking_id = $1 ORDER BY given_at"
        )
        .bind(id)
        .fetch_all(p)
        .await)?;
        for (version, at, method, by, ip, ua) in rows {
            consents.push(json!({
                "booking_id": id,
                "text_version": version,
                "given_at": iso(at),
                "method": method,
                "recorded_by": by,
                "ip": vault.open(&ip)?,
                "user_agent": vault.open(&ua)?,
            }));
        }
        let rows: Vec<(String, String, String, i64)> = with_pool!(store, p => sqlx::query_as(
            "SELECT channel, kind, status, created_at FROM outbox WHERE booking_id = $1 AND channel <> 'webhook' \
             ORDER BY id"
        )
        .bind(id)
        .fetch_all(p)
        .await)?;
        for (channel, kind, status, at) in rows {
            notifications.push(json!({
                "booking_id": id, "channel": channel, "kind": kind, "status": status, "queued_at": iso(at),
            }));
        }
        let rows: Vec<(Option<String>, String, String, i64)> = with_pool!(store, p => sqlx::query_as(
            "SELECT from_state, to_state, reason, at FROM booking_state_history WHERE booking_id = $1 ORDER BY id"
        )
        .bind(id)
        .fetch_all(p)
        .await)?;
        for (from, to, why, at) in rows {
            history.push(
                json!({ "booking_id": id, "from": from, "to": to, "reason": why, "at": iso(at) }),
            );
        }
        audit_entries.extend(audit_about(store, id).await?);
    }
    audit_entries.extend(audit_about(store, &bidx).await?);
    let notes: Option<String> = with_pool!(store, p => sqlx::query_scalar(
        "SELECT notes FROM client_profiles WHERE phone_bidx = $1"
    )
    .bind(&bidx)
    .fetch_optional(p)
    .await)?;
    let requests: Vec<(String, i64, i64, String)> = with_pool!(store, p => sqlx::query_as(
        "SELECT kind, created_at, due_at, status FROM data_requests WHERE phone_bidx = $1 ORDER BY created_at"
    )
    .bind(&bidx)
    .fetch_all(p)
    .await)?;
    let mut tx = store.begin().await?;
    audit::append(
        &mut tx,
        &actor_of(me, origin),
        Entry {
            action: "client_data_exported",
            target_type: "client",
            target_id: &bidx,
            details: json!({ "reason": reason, "bookings": ids.len() }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(json!({
        "client_phone": e164,
        "exported_at": iso(now_epoch()),
        "bookings": bookings,
        "consents": consents,
        "staff_notes": vault.open_opt(notes.as_deref())?.unwrap_or_default(),
        "notifications": notifications,
        "state_history": history,
        "audit_entries": audit_entries,
        "requests": requests.into_iter().map(|(kind, at, due, status)| json!({
            "kind": kind, "made_at": iso(at), "due_at": iso(due), "status": status,
        })).collect::<Vec<_>>(),
    }))
}

async fn audit_about(store: &Store, target: &str) -> Result<Vec<Value>, AppError> {
    let rows: Vec<(i64, String, String, String, String)> = with_pool!(store, p => sqlx::query_as(
        "SELECT at, actor_name, action, target_type, details FROM audit_log WHERE target_id = $1 ORDER BY id"
    )
    .bind(target)
    .fetch_all(p)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|(at, actor, action, kind, details)| {
            json!({
                "at": iso(at), "actor": actor, "action": action, "target_type": kind,
                "details": serde_json::from_str::<Value>(&details).unwrap_or(Value::Null),
            })
        })
        .collect())
}

/// What an erasure did.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Erasure {
    pub bookings_anonymised: u64,
}

/// Anonymises every booking of the client with `phone` and deletes the
/// staff's notes about them; amounts, times and states stay for the books.
/// Owners and admins; a reason is required and audited.
pub async fn erase(
    state: &AppState,
    me: &Principal,
    origin: &Origin,
    phone: &str,
    req: &SubjectRequest,
) -> Result<Erasure, AppError> {
    let store = &state.store;
    let Subject {
        reason, bidx, ids, ..
    } = subject(store, me, phone, req, true).await?;
    let vault = store.vault()?;
    let mut tx = store.begin().await?;
    let n = anonymise(&mut tx, vault, &ids).await?;
    with_tx!(tx, t => sqlx::query("DELETE FROM client_profiles WHERE phone_bidx = $1")
        .bind(&bidx)
        .execute(&mut **t)
        .await
        .map(|_| ()))?;
    audit::append(
        &mut tx,
        &actor_of(me, origin),
        Entry {
            action: "client_data_erased",
            target_type: "client",
            target_id: &bidx,
            details: json!({ "reason": reason, "bookings": n }),
        },
    )
    .await?;
    tx.commit().await?;
    if store.backend() == Backend::Sqlite {
        compact(store).await?;
    }
    Ok(Erasure {
        bookings_anonymised: n,
    })
}

// ---------- guests' requests ----------

/// `from` plus `days` working days (Saturdays and Sundays skipped; public
/// holidays are not known to the studio and count as working days, so the
/// date errs early).
pub fn working_days_after(
    from: chrono::DateTime<chrono::Utc>,
    days: u32,
) -> chrono::DateTime<chrono::Utc> {
    use chrono::{Datelike, Weekday};
    let mut t = from;
    let mut left = days;
    while left > 0 {
        t += chrono::Duration::days(1);
        if !matches!(t.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    t
}

/// A guest asks, from their manage link, for a copy of their data or its
/// deletion. One open request of a kind per booking.
pub async fn request_from_guest(
    store: &Store,
    booking_id: &str,
    kind: &str,
) -> Result<DataRequest, AppError> {
    if !matches!(kind, "export" | "erase") {
        return Err(AppError::field(
            "kind",
            FieldError::new("invalid_kind", "Ask for export or erase."),
        ));
    }
    let bidx: Option<Option<String>> = with_pool!(store, p => sqlx::query_scalar(
        "SELECT client_phone_bidx FROM bookings WHERE id = $1 AND deleted_at IS NULL"
    )
    .bind(booking_id)
    .fetch_optional(p)
    .await)?;
    let bidx = bidx.ok_or_else(|| AppError::not_found("booking"))?;
    let now = chrono::Utc::now();
    let mut tx = store.begin().await?;
    let open: Option<String> = with_tx!(tx, t => sqlx::query_scalar(
        "SELECT id FROM data_requests WHERE booking_id = $1 AND kind = $2 AND status = 'open'"
    )
    .bind(booking_id)
    .bind(kind)
    .fetch_optional(&mut **t)
    .await)?;
    let id = match open {
        Some(id) => id,
        None => {
            let id = uuid::Uuid::new_v4().to_string();
            with_tx!(tx, t => sqlx::query(
                "INSERT INTO data_requests (id, kind, booking_id, phone_bidx, created_at, due_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)"
            )
            .bind(&id)
            .bind(kind)
            .bind(booking_id)
            .bind(&bidx)
            .bind(now.timestamp())
            .bind(working_days_after(now, 10).timestamp())
            .execute(&mut **t)
            .await
            .map(|_| ()))?;
            audit::append(
                &mut tx,
                &Actor {
                    id: None,
                    name: "guest".into(),
                    ..Default::default()
                },
                Entry {
                    action: "data_request_made",
                    target_type: "booking",
                    target_id: booking_id,
                    details: json!({ "kind": kind, "request": id }),
                },
            )
            .await?;
            id
        }
    };
    tx.commit().await?;
    one_request(store, &id).await
}

#[derive(sqlx::FromRow)]
struct RequestRow {
    id: String,
    kind: String,
    reference: String,
    client_name: String,
    client_phone: String,
    anonymised_at: Option<i64>,
    created_at: i64,
    due_at: i64,
    status: String,
    closed_at: Option<i64>,
    resolution: Option<String>,
}

const REQUEST_SQL: &str =
    "SELECT r.id, r.kind, b.reference, b.client_name, b.client_phone, b.anonymised_at, \
     r.created_at, r.due_at, r.status, r.closed_at, r.resolution \
     FROM data_requests r JOIN bookings b ON b.id = r.booking_id";

fn request_view(vault: &Vault, r: RequestRow, now: i64) -> Result<DataRequest, AppError> {
    let (name, phone) = if r.anonymised_at.is_some() {
        (String::new(), String::new())
    } else {
        (vault.open(&r.client_name)?, vault.open(&r.client_phone)?)
    };
    Ok(DataRequest {
        overdue: r.status == "open" && r.due_at < now,
        id: r.id,
        kind: r.kind,
        booking_reference: r.reference,
        client_phone: phone,
        client_name: name,
        created_at: iso(r.created_at),
        due_at: iso(r.due_at),
        status: r.status,
        closed_at: r.closed_at.map(iso),
        resolution: r.resolution,
    })
}

async fn one_request(store: &Store, id: &str) -> Result<DataRequest, AppError> {
    let row: Option<RequestRow> = with_pool!(store, p => sqlx::query_as(&format!("{REQUEST_SQL} WHERE r.id = $1"))
        .bind(id)
        .fetch_optional(p)
        .await)?;
    request_view(
        store.vault()?,
        row.ok_or_else(|| AppError::not_found("request"))?,
        now_epoch(),
    )
}

/// Open requests first (earliest due first), then the last 100 closed.
pub async fn requests(state: &AppState, me: &Principal) -> Result<Vec<DataRequest>, AppError> {
    super::settings::require_admin(me)?;
    let store = &state.store;
    let mut rows: Vec<RequestRow> = with_pool!(store, p => sqlx::query_as(&format!(
        "{REQUEST_SQL} WHERE r.status = 'open' ORDER BY r.due_at, r.id"
    ))
    .fetch_all(p)
    .await)?;
    let closed: Vec<RequestRow> = with_pool!(store, p => sqlx::query_as(&format!(
        "{REQUEST_SQL} WHERE r.status = 'closed' ORDER BY r.closed_at DESC, r.id LIMIT 100"
    ))
    .fetch_all(p)
    .await)?;
    rows.extend(closed);
    let now = now_epoch();
    let vault = store.vault()?;
    rows.into_iter()
        .map(|r| request_view(vault, r, now))
        .collect()
}

/// How a request was answered.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct CloseRequest {
    /// What was done (e.g. "export sent by e-mail"), 3 to 500 characters.
    #[schema(min_length = 3, max_length = 500)]
    pub resolution: String,
}

/// Closes a request (audited with who and how).
pub async fn close_request(
    state: &AppState,
    me: &Principal,
    origin: &Origin,
    id: &str,
    body: &CloseRequest,
) -> Result<DataRequest, AppError> {
    super::settings::require_admin(me)?;
    let resolution = reason_of(
        &SubjectRequest {
            reason: Some(body.resolution.clone()),
        },
        true,
    )
    .map_err(|_| {
        AppError::field(
            "resolution",
            FieldError::new(
                "invalid_resolution",
                "Say what was done, in 3 to 500 characters.",
            ),
        )
    })?;
    let mut tx = state.store.begin().await?;
    let closed = with_tx!(tx, t => sqlx::query(
        "UPDATE data_requests SET status = 'closed', closed_at = $1, closed_by = $2, resolution = $3 \
         WHERE id = $4 AND status = 'open'"
    )
    .bind(now_epoch())
    .bind(&me.employee_id)
    .bind(&resolution)
    .bind(id)
    .execute(&mut **t)
    .await
    .map(|r| r.rows_affected()))?;
    if closed == 0 {
        let exists: Option<String> = with_tx!(tx, t => sqlx::query_scalar("SELECT status FROM data_requests WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **t)
            .await)?;
        return Err(match exists {
            None => AppError::not_found("request"),
            Some(_) => AppError::Conflict {
                code: "request_closed".into(),
                message: "This request is already closed.".into(),
                details: None,
            },
        });
    }
    audit::append(
        &mut tx,
        &actor_of(me, origin),
        Entry {
            action: "data_request_closed",
            target_type: "data_request",
            target_id: id,
            details: json!({ "resolution": resolution }),
        },
    )
    .await?;
    tx.commit().await?;
    one_request(&state.store, id).await
}

// ---------- consent texts ----------

/// One version of the consent text.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ConsentText {
    pub version: String,
    pub locale: String,
    pub body: String,
    pub published_at: i64,
}

/// The newest consent text in `locale`.
pub async fn current_consent_text(store: &Store, locale: &str) -> Result<ConsentText, AppError> {
    let row: Option<(String, String, String, i64)> = with_pool!(store, p => sqlx::query_as(
        "SELECT version, locale, body, published_at FROM consent_texts WHERE locale = $1 \
         ORDER BY published_at DESC, version DESC LIMIT 1"
    )
    .bind(locale)
    .fetch_optional(p)
    .await)?;
    let (version, locale, body, published_at) =
        row.ok_or_else(|| AppError::not_found("consent text"))?;
    Ok(ConsentText {
        version,
        locale,
        body,
        published_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn ten_working_days_skip_weekends() {
        // Friday 2026-11-27 → Friday 2026-12-11.
        let fri = chrono::Utc
            .with_ymd_and_hms(2026, 11, 27, 10, 0, 0)
            .unwrap();
        assert_eq!(
            working_days_after(fri, 10),
            chrono::Utc
                .with_ymd_and_hms(2026, 12, 11, 10, 0, 0)
                .unwrap()
        );
        // Saturday → two weeks from the Monday after, minus nothing: Fri 12-11.
        let sat = chrono::Utc
            .with_ymd_and_hms(2026, 11, 28, 10, 0, 0)
            .unwrap();
        assert_eq!(
            working_days_after(sat, 10),
            chrono::Utc
                .with_ymd_and_hms(2026, 12, 11, 10, 0, 0)
                .unwrap()
        );
    }
}
