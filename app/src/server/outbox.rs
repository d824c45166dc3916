//! The transactional outbox: every notification and webhook delivery is a
//! row written in the transaction of the change that causes it, so a change
//! never commits without its messages nor a message without its change. A
//! worker in every server instance claims due rows with a lease (on
//! PostgreSQL with `FOR UPDATE SKIP LOCKED`, so instances never take the
//! same row), delivers them and retries failures with exponential backoff
//! and jitter for about a day; then the row is dead until an owner or admin
//! retries it. Delivery is at least once, each row with a stable delivery id.
//!
//! Rows hold no guest data: e-mails and staff messages are rendered from the
//! booking when they are sent; a webhook's body is the event, which by
//! design carries no personal data.

use super::{
    now_epoch,
    store::{with_pool, with_tx, Store, Tx, TxInner},
};
pub use crate::domain::notifications::{LastDelivery, OutboxRow, TELEGRAM_KINDS};
use crate::error::{AppError, FieldError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::sync::Notify;

/// Which channels are configured; only those get rows.
#[derive(Debug, Default)]
pub struct Wiring {
    pub telegram: bool,
    pub email: bool,
    /// Woken after a commit that wrote outbox rows.
    pub wake: Notify,
}

/// The events a webhook can subscribe to.
pub const WEBHOOK_EVENTS: [&str; 5] = [
    "booking.created",
    "booking.state_changed",
    "booking.rescheduled",
    "booking.updated",
    "booking.deleted",
];

fn webhook_event(event_type: &str) -> Option<&'static str> {
    Some(match event_type {
        "BookingCreated" => "booking.created",
        "BookingStateChanged" => "booking.state_changed",
        "BookingRescheduled" => "booking.rescheduled",
        "BookingUpdated" => "booking.updated",
        "BookingDeleted" => "booking.deleted",
        _ => return None,
    })
}

/// What goes to the staff chat for an event, if anything: new bookings
/// that no employee made (the one who did knows), cancellations by the
/// guest or the system, reschedules and no-shows.
fn telegram_kind(event_type: &str, to: Option<&str>, actor: Option<&str>) -> Option<&'static str> {
    match (event_type, to) {
        ("BookingCreated", _) if actor.is_none() => Some("booking_created"),
        ("BookingStateChanged", Some("cancelled")) if actor.is_none() => Some("booking_cancelled"),
        ("BookingStateChanged", Some("no_show")) => Some("no_show"),
        ("BookingRescheduled", _) => Some("booking_rescheduled"),
        _ => None,
    }
}

/// What the guest gets by e-mail for an event, if anything.
fn email_kind(event_type: &str, to: Option<&str>) -> Option<&'static str> {
    match (event_type, to) {
        ("BookingCreated", _) => Some("confirmation"),
        ("BookingRescheduled", _) => Some("rescheduled"),
        ("BookingStateChanged", Some("cancelled")) => Some("cancelled"),
        _ => None,
    }
}

/// One row to write.
pub(crate) struct NewMessage<'a> {
    pub channel: &'a str,
    pub kind: &'a str,
    pub booking_id: Option<&'a str>,
    pub webhook_id: Option<&'a str>,
    pub event_id: Option<i64>,
    pub payload: String,
    /// Rows with the same key are written once (reminders).
    pub dedup_key: Option<String>,
    pub delivery_id: String,
}

const INSERT: &str =
    "INSERT INTO outbox (delivery_id, channel, kind, booking_id, webhook_id, event_id, payload, \
     dedup_key, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
     ON CONFLICT (dedup_key) DO NOTHING";

/// Writes one row in the caller's transaction; false when a row with its
/// dedup key exists already.
pub(crate) async fn enqueue(tx: &mut Tx, m: NewMessage<'_>) -> Result<bool, AppError> {
    let written = with_tx!(tx, t => sqlx::query(INSERT)
        .bind(&m.delivery_id)
        .bind(m.channel)
        .bind(m.kind)
        .bind(m.booking_id)
        .bind(m.webhook_id)
        .bind(m.event_id)
        .bind(&m.payload)
        .bind(m.dedup_key.as_deref())
        .bind(now_epoch())
        .execute(&mut **t)
        .await
        .map(|r| r.rows_affected()))?;
    if written > 0 {
        tx.mark_outbox_written();
    }
    Ok(written > 0)
}

fn delivery_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Called by [`super::events::record`] for every event, inside its
/// transaction: writes the messages the event causes.
pub(crate) async fn on_event(
    tx: &mut Tx,
    event_id: i64,
    event_type: &str,
    aggregate_type: &str,
    aggregate_id: &str,
    payload: &Value,
    actor: Option<&str>,
) -> Result<(), AppError> {
    if aggregate_type != "booking" {
        return Ok(());
    }
    let to = payload.get("to").and_then(Value::as_str);
    let (telegram_on, email_on) = {
        let w = tx.outbox_wiring();
        (w.telegram, w.email)
    };
    // Who made the change ("guest", "system" or an employee id): the staff
    // message says so.
    let by = payload.get("by").cloned().unwrap_or(Value::Null);
    let base = json!({ "event": event_type, "event_id": event_id, "by": by }).to_string();
    // One row for the staff chat or the guest, rendered when it is sent.
    let notice = |channel, kind| NewMessage {
        channel,
        kind,
        booking_id: Some(aggregate_id),
        webhook_id: None,
        event_id: Some(event_id),
        payload: base.clone(),
        dedup_key: None,
        delivery_id: delivery_id(),
    };
    if let (true, Some(kind)) = (telegram_on, telegram_kind(event_type, to, actor)) {
        let wanted: String = with_tx!(tx, t => sqlx::query_scalar(
            "SELECT telegram_events FROM studio_settings WHERE id = 1"
        )
        .fetch_one(&mut **t)
        .await)?;
        if wanted.split(',').any(|k| k.trim() == kind) {
            enqueue(tx, notice("telegram", kind)).await?;
        }
    }
    if let (true, Some(kind)) = (email_on, email_kind(event_type, to)) {
        let has_email: i64 = with_tx!(tx, t => sqlx::query_scalar(
            "SELECT COUNT(*) FROM bookings WHERE id = $1 AND client_email IS NOT NULL AND client_email <> ''"
        )
        .bind(aggregate_id)
        .fetch_one(&mut **t)
        .await)?;
        if has_email > 0 {
            enqueue(tx, notice("email", kind)).await?;
        }
    }
    if let Some(name) = webhook_event(event_type) {
        let hooks: Vec<(String, String)> = with_tx!(tx, t => sqlx::query_as(
            "SELECT id, events FROM webhooks WHERE active = TRUE AND deleted_at IS NULL"
        )
        .fetch_all(&mut **t)
        .await)?;
        for (hook_id, events) in hooks {
            let events: Vec<String> = serde_json::from_str(&events).unwrap_or_default();
            if !events.iter().any(|e| e == name) {
                continue;
            }
            let id = delivery_id();
            let body = json!({
                "delivery_id": id,
                "event": name,
                "occurred_at": now_epoch(),
                "booking_id": aggregate_id,
                "data": payload,
            })
            .to_string();
            enqueue(
                tx,
                NewMessage {
                    channel: "webhook",
                    kind: name,
                    booking_id: Some(aggregate_id),
                    webhook_id: Some(&hook_id),
                    event_id: Some(event_id),
                    payload: body,
                    dedup_key: None,
                    delivery_id: id,
                },
            )
            .await?;
        }
    }
    Ok(())
}

/// A row taken for delivery.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    pub id: i64,
    pub delivery_id: String,
    pub channel: String,
    pub kind: String,
    pub booking_id: Option<String>,
    pub webhook_id: Option<String>,
    pub payload: String,
    pub attempts: i32,
}

/// The claim, with `$lock` after the row selection (PostgreSQL skips rows
/// another instance is claiming; SQLite has one writer at a time).
macro_rules! claim_sql {
    ($lock:literal) => {
        concat!(
            "UPDATE outbox SET lease_until = $1, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $2 \
             AND (lease_until IS NULL OR lease_until <= $2) ORDER BY next_attempt_at, id LIMIT $3",
            $lock,
            ") RETURNING id, delivery_id, channel, kind, booking_id, webhook_id, payload, attempts"
        )
    };
}

/// Takes up to `limit` due rows for `lease_secs`; another instance (or
/// this one after a crash) takes a row again only once its lease ran out.
pub async fn claim(store: &Store, limit: i64, lease_secs: i64) -> Result<Vec<Claimed>, AppError> {
    let now = now_epoch();
    let mut tx = store.begin().await?;
    let sql = match &tx.inner {
        TxInner::Sqlite(_) => claim_sql!(""),
        TxInner::Postgres(_) => claim_sql!(" FOR UPDATE SKIP LOCKED"),
    };
    let rows: Vec<Claimed> = with_tx!(tx, t => sqlx::query_as(sql)
        .bind(now + lease_secs)
        .bind(now)
        .bind(limit)
        .fetch_all(&mut **t)
        .await)?;
    tx.commit().await?;
    Ok(rows)
}

/// How a delivery attempt ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    Delivered {
        status: Option<u16>,
    },
    /// Worth another try, after `after` seconds when the other side said so.
    Failed {
        status: Option<u16>,
        error: String,
        after: Option<i64>,
    },
    /// Will never succeed (a removed webhook, an address that cannot exist).
    Dropped {
        error: String,
    },
    /// Nothing to send any more (the booking was cancelled before its
    /// reminder went): done without a message.
    Skipped {
        reason: String,
    },
}

/// When to try again and how often before giving up.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub base_secs: i64,
    pub max_attempts: i32,
    /// The longest wait between two attempts.
    pub cap_secs: i64,
}

impl Default for RetryPolicy {
    /// 13 attempts, 30 s doubling up to 8 h between them: about a day.
    fn default() -> Self {
        RetryPolicy {
            base_secs: 30,
            max_attempts: 13,
            cap_secs: 8 * 3600,
        }
    }
}

impl RetryPolicy {
    /// The wait after the `attempt`-th failure: exponential, capped, with
    /// ±25 % jitter so many failed rows do not come back at one moment.
    pub fn delay(&self, attempt: i32, jitter: f64) -> i64 {
        let exp = self
            .base_secs
            .saturating_mul(1i64 << (attempt.clamp(1, 30) - 1))
            .min(self.cap_secs);
        let factor = 0.75 + 0.5 * jitter.clamp(0.0, 1.0);
        (exp as f64 * factor).round() as i64
    }
}

/// Records the attempt and what follows from it: done, another try, or dead.
pub async fn finish(
    store: &Store,
    row: &Claimed,
    outcome: &Outcome,
    duration_ms: i64,
    policy: &RetryPolicy,
) -> Result<&'static str, AppError> {
    let now = now_epoch();
    let (status_code, error, label) = match outcome {
        Outcome::Delivered { status } => (*status, None, "delivered"),
        Outcome::Failed { status, error, .. } => (*status, Some(error.as_str()), "failed"),
        Outcome::Dropped { error } => (None, Some(error.as_str()), "dropped"),
        Outcome::Skipped { reason } => (None, Some(reason.as_str()), "skipped"),
    };
    let status_code = status_code.map(i32::from);
    let mut tx = store.begin().await?;
    with_tx!(tx, t => sqlx::query(
        "INSERT INTO outbox_attempts (outbox_id, attempt, at, status_code, outcome, error, duration_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)"
    )
    .bind(row.id)
    .bind(row.attempts)
    .bind(now)
    .bind(status_code)
    .bind(label)
    .bind(error)
    .bind(duration_ms)
    .execute(&mut **t)
    .await
    .map(|r| r.rows_affected()))?;
    let result = match outcome {
        Outcome::Delivered { .. } | Outcome::Skipped { .. } => {
            with_tx!(tx, t => sqlx::query(
                "UPDATE outbox SET status = 'done', delivered_at = $1, lease_until = NULL, last_status = $2, \
                 last_error = $3 WHERE id = $4"
            )
            .bind(now)
            .bind(status_code)
            .bind(error)
            .bind(row.id)
            .execute(&mut **t)
            .await
            .map(|r| r.rows_affected()))?;
            label
        }
        Outcome::Failed { after, .. } if row.attempts < policy.max_attempts => {
            // Times are whole seconds: one more, so a `retry_after` is
            // never cut short by the fraction already gone.
            let wait = policy
                .delay(row.attempts, rand::random::<f64>())
                .max(after.map_or(0, |a| a + 1));
            with_tx!(tx, t => sqlx::query(
                "UPDATE outbox SET next_attempt_at = $1, lease_until = NULL, last_status = $2, last_error = $3 \
                 WHERE id = $4"
            )
            .bind(now + wait)
            .bind(status_code)
            .bind(error)
            .bind(row.id)
            .execute(&mut **t)
            .await
            .map(|r| r.rows_affected()))?;
            "retry"
        }
        Outcome::Failed { .. } | Outcome::Dropped { .. } => {
            with_tx!(tx, t => sqlx::query(
                "UPDATE outbox SET status = 'dead', lease_until = NULL, last_status = $1, last_error = $2 WHERE id = $3"
            )
            .bind(status_code)
            .bind(error)
            .bind(row.id)
            .execute(&mut **t)
            .await
            .map(|r| r.rows_affected()))?;
            "dead"
        }
    };
    tx.commit().await?;
    Ok(result)
}

const ROW_COLUMNS: &str =
    "id, delivery_id, channel, kind, booking_id, webhook_id, status, attempts, \
     next_attempt_at, last_status, last_error, created_at, delivered_at";

/// Rows of one status, newest first (at most 200).
pub async fn list(store: &Store, status: &str) -> Result<Vec<OutboxRow>, AppError> {
    if !["pending", "done", "dead"].contains(&status) {
        return Err(AppError::field(
            "status",
            FieldError::new("invalid", "One of pending, done, dead."),
        ));
    }
    let sql =
        format!("SELECT {ROW_COLUMNS} FROM outbox WHERE status = $1 ORDER BY id DESC LIMIT 200");
    Ok(with_pool!(store, p => sqlx::query_as(&sql).bind(status).fetch_all(p).await)?)
}

/// Puts a dead row back in the queue, due now, with a fresh count of
/// attempts; the caller audits it.
pub async fn retry_now(tx: &mut Tx, id: i64) -> Result<(), AppError> {
    let changed = with_tx!(tx, t => sqlx::query(
        "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $1, lease_until = NULL \
         WHERE id = $2 AND status = 'dead'"
    )
    .bind(now_epoch())
    .bind(id)
    .execute(&mut **t)
    .await
    .map(|r| r.rows_affected()))?;
    if changed == 0 {
        return Err(AppError::not_found("dead delivery"));
    }
    tx.mark_outbox_written();
    Ok(())
}

/// The queue at a glance, for `/health/outbox`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Backlog {
    /// Rows not yet delivered (due or waiting for a retry).
    pub backlog: i64,
    /// Seconds since the oldest row that is due now was written (0 if none).
    pub oldest_due_age_seconds: i64,
    pub dead: i64,
}

pub async fn backlog(store: &Store) -> Result<Backlog, AppError> {
    let now = now_epoch();
    let (backlog, oldest, dead): (i64, Option<i64>, i64) = with_pool!(store, p => sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM outbox WHERE status = 'pending'), \
                (SELECT MIN(created_at) FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1), \
                (SELECT COUNT(*) FROM outbox WHERE status = 'dead')"
    )
    .bind(now)
    .fetch_one(p)
    .await)?;
    Ok(Backlog {
        backlog,
        oldest_due_age_seconds: oldest.map_or(0, |o| (now - o).max(0)),
        dead,
    })
}

pub async fn last_delivery(store: &Store, channel: &str) -> Result<Option<LastDelivery>, AppError> {
    let row: Option<(i64, String, Option<i32>)> = with_pool!(store, p => sqlx::query_as(
        "SELECT a.at, a.outcome, a.status_code FROM outbox_attempts a JOIN outbox o ON o.id = a.outbox_id \
         WHERE o.channel = $1 ORDER BY a.id DESC LIMIT 1"
    )
    .bind(channel)
    .fetch_optional(p)
    .await)?;
    Ok(row.map(|(at, outcome, status_code)| LastDelivery {
        at,
        outcome,
        status_code,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(1, 0.5), 30);
        assert_eq!(p.delay(2, 0.5), 60);
        assert_eq!(p.delay(5, 0.5), 480);
        assert_eq!(p.delay(1, 0.0), 23);
        assert_eq!(p.delay(1, 1.0), 38);
        assert_eq!(p.delay(20, 0.5), 8 * 3600);
        // Thirteen attempts wait about a day in all.
        let total: i64 = (1..p.max_attempts).map(|a| p.delay(a, 0.5)).sum();
        assert!((20 * 3600..30 * 3600).contains(&total), "{total}");
    }

    #[test]
    fn staff_hear_of_what_they_did_not_do_themselves() {
        assert_eq!(
            telegram_kind("BookingCreated", None, None),
            Some("booking_created")
        );
        assert_eq!(telegram_kind("BookingCreated", None, Some("emp")), None);
        assert_eq!(
            telegram_kind("BookingStateChanged", Some("cancelled"), None),
            Some("booking_cancelled")
        );
        assert_eq!(
            telegram_kind("BookingStateChanged", Some("cancelled"), Some("emp")),
            None
        );
        assert_eq!(
            telegram_kind("BookingStateChanged", Some("no_show"), Some("emp")),
            Some("no_show")
        );
        assert_eq!(
            telegram_kind("BookingRescheduled", None, Some("emp")),
            Some("booking_rescheduled")
        );
        assert_eq!(email_kind("BookingUpdated", None), None);
        assert_eq!(
            email_kind("BookingStateChanged", Some("cancelled")),
            Some("cancelled")
        );
    }
}
