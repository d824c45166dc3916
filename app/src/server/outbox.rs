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
    store::{with_pool, with_tx, Batch, Store, Tx, TxInner},
};
pub use crate::domain::notifications::{LastDelivery, OutboxRow, TELEGRAM_KINDS};
use crate::error::AppError;
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

/// A booking's event as its messages need it.
pub(crate) struct Occurred<'a> {
    pub(crate) event_id: i64,
    pub(crate) event_type: &'a str,
    pub(crate) booking_id: &'a str,
    pub(crate) payload: &'a Value,
    /// Employee id, or `None` for guests and the system.
    pub(crate) actor: Option<&'a str>,
    /// Whether the guest gave an e-mail address, when the caller knows
    /// (a booking being created, whose row the statement cannot see);
    /// `None`: the booking's row says.
    pub(crate) has_email: Option<bool>,
}

/// Called by [`super::events::record`] for every booking event, inside
/// its transaction: adds the statement writing the messages the event
/// causes to `writes` (the caller runs it last, so the rows it changed say
/// whether any message was written).
pub(crate) fn on_event(tx: &Tx, writes: &mut Batch, event: Occurred<'_>) {
    let Occurred {
        event_id,
        event_type,
        booking_id,
        payload,
        actor,
        has_email,
    } = event;
    let to = payload.get("to").and_then(Value::as_str);
    let (telegram_on, email_on) = {
        let w = tx.outbox_wiring();
        (w.telegram, w.email)
    };
    // Who made the change ("guest", "system" or an employee id): the staff
    // message says so.
    let by = payload.get("by").cloned().unwrap_or(Value::Null);
    let notice = json!({ "event": event_type, "event_id": event_id, "by": by }).to_string();
    let telegram = telegram_kind(event_type, to, actor).filter(|_| telegram_on);
    let email = email_kind(event_type, to).filter(|_| email_on);
    let hook = webhook_event(event_type);
    // The webhook body: the event, which carries no guest data. The
    // delivery id travels in a header, so every subscriber gets the same body.
    let body = json!({
        "event": hook,
        "event_id": event_id,
        "occurred_at": now_epoch(),
        "booking_id": booking_id,
        "data": payload,
    })
    .to_string();
    // Every row of the event in one statement: a booking's transaction
    // pays one round trip for its messages (on SQLite, not even one of
    // its own: it goes with the analytics writes). Delivery ids are
    // stable: the event (and the webhook) they come from, the event first,
    // so that an event's rows sit side by side at the end of the unique
    // index (one page written per booking, not one per channel prefix).
    writes.push(
        ON_EVENT,
        vec![
            format!("{event_id}-tg").into(),
            telegram.unwrap_or("").into(),
            booking_id.into(),
            event_id.into(),
            notice.into(),
            now_epoch().into(),
            telegram.is_some().into(),
            format!("{event_id}-mail").into(),
            email.unwrap_or("").into(),
            email.is_some().into(),
            format!("{event_id}-wh-").into(),
            hook.unwrap_or("").into(),
            body.into(),
            hook.is_some().into(),
            has_email.into(),
        ],
    );
}

/// The rows an event causes: the staff chat's (if that kind of event is
/// wanted), the guest's (if they gave an address) and one per webhook
/// subscribed to the event.
const ON_EVENT: &str = "INSERT INTO outbox (delivery_id, channel, kind, booking_id, webhook_id, event_id, payload, \
     next_attempt_at, created_at) \
     SELECT $1, 'telegram', $2, $3, NULL, $4, $5, $6, $6 FROM studio_settings s \
       WHERE s.id = 1 AND $7 AND (',' || s.telegram_events || ',') LIKE ('%,' || $2 || ',%') \
     UNION ALL \
     SELECT $8, 'email', $9, $3, NULL, $4, $5, $6, $6 \
       WHERE $10 AND COALESCE($15, EXISTS (SELECT 1 FROM bookings b \
         WHERE b.id = $3 AND b.client_email IS NOT NULL AND b.client_email <> '')) \
     UNION ALL \
     SELECT $11 || w.id, 'webhook', $12, $3, w.id, $4, $13, $6, $6 FROM webhooks w \
       WHERE $14 AND w.active = TRUE AND w.deleted_at IS NULL AND w.events LIKE ('%\"' || $12 || '\"%')";

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

/// The worker's own bookkeeping (claims, outcomes) does not wait for the
/// WAL flush on PostgreSQL, so it does not queue with the bookings' commits
/// for the disk. A crash may forget the last few marks: the rows are then
/// delivered again (at least once) or claimed again after their lease.
/// Nor does it count as a change kept answers must follow
/// ([`Tx::bookkeeping_only`]): the worker claims every few seconds.
async fn relaxed_commit(tx: &mut Tx) -> Result<(), AppError> {
    tx.bookkeeping_only();
    if let TxInner::Postgres(t) = &mut tx.inner {
        sqlx::query("SET LOCAL synchronous_commit = off")
            .execute(&mut **t)
            .await?;
    }
    Ok(())
}

/// Takes up to `limit` due rows for `lease_secs`; another instance (or
/// this one after a crash) takes a row again only once its lease ran out.
pub async fn claim(store: &Store, limit: i64, lease_secs: i64) -> Result<Vec<Claimed>, AppError> {
    let now = now_epoch();
    let mut tx = store.begin().await?;
    relaxed_commit(&mut tx).await?;
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

/// One delivery attempt: the row, how it went, how long it took (ms).
pub type Attempt = (Claimed, Outcome, i64);

/// Records a batch of attempts and what follows from each (done, another
/// try, or dead) in one transaction; the result of each, in order.
pub async fn finish_all(
    store: &Store,
    attempts: &[Attempt],
    policy: &RetryPolicy,
) -> Result<Vec<&'static str>, AppError> {
    if attempts.is_empty() {
        return Ok(Vec::new());
    }
    let now = now_epoch();
    let planned: Vec<Planned> = attempts
        .iter()
        .map(|(row, outcome, ms)| plan(row, outcome, *ms, policy, now))
        .collect();
    // Two statements for the whole batch, whatever its size.
    let n = planned.len();
    let log = format!(
        "INSERT INTO outbox_attempts (outbox_id, attempt, at, status_code, outcome, error, duration_ms) VALUES {}",
        placeholders(n, 7)
    );
    let update = format!(
        "UPDATE outbox SET status = v.column2, next_attempt_at = COALESCE(v.column3, outbox.next_attempt_at), \
         delivered_at = v.column4, lease_until = NULL, last_status = v.column5, last_error = v.column6 \
         FROM (VALUES {}) AS v WHERE outbox.id = v.column1",
        placeholders(n, 6)
    );
    let mut tx = store.begin().await?;
    relaxed_commit(&mut tx).await?;
    with_tx!(tx, t => {
        let mut q = sqlx::query(&log);
        for p in &planned {
            q = q
                .bind(p.id)
                .bind(p.attempt)
                .bind(now)
                .bind(p.status_code)
                .bind(p.label)
                .bind(p.error.as_deref())
                .bind(p.duration_ms);
        }
        q.execute(&mut **t).await.map(|r| r.rows_affected())
    })?;
    with_tx!(tx, t => {
        let mut q = sqlx::query(&update);
        for p in &planned {
            q = q
                .bind(p.id)
                .bind(p.status)
                .bind(p.next_attempt_at)
                .bind(p.delivered_at)
                .bind(p.status_code)
                .bind(p.error.as_deref());
        }
        q.execute(&mut **t).await.map(|r| r.rows_affected())
    })?;
    tx.commit().await?;
    Ok(planned.into_iter().map(|p| p.result).collect())
}

/// `($1, $2, …), ($k+1, …)`: `rows` tuples of `width` placeholders.
fn placeholders(rows: usize, width: usize) -> String {
    (0..rows)
        .map(|r| {
            let cells: Vec<String> = (1..=width).map(|c| format!("${}", r * width + c)).collect();
            format!("({})", cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// What an attempt writes: its log line and the row's next state.
struct Planned {
    id: i64,
    attempt: i32,
    status_code: Option<i32>,
    label: &'static str,
    error: Option<String>,
    duration_ms: i64,
    status: &'static str,
    next_attempt_at: Option<i64>,
    delivered_at: Option<i64>,
    result: &'static str,
}

fn plan(
    row: &Claimed,
    outcome: &Outcome,
    duration_ms: i64,
    policy: &RetryPolicy,
    now: i64,
) -> Planned {
    let (status_code, error, label) = match outcome {
        Outcome::Delivered { status } => (*status, None, "delivered"),
        Outcome::Failed { status, error, .. } => (*status, Some(error.clone()), "failed"),
        Outcome::Dropped { error } => (None, Some(error.clone()), "dropped"),
        Outcome::Skipped { reason } => (None, Some(reason.clone()), "skipped"),
    };
    let (status, next_attempt_at, delivered_at, result) = match outcome {
        Outcome::Delivered { .. } | Outcome::Skipped { .. } => ("done", None, Some(now), label),
        Outcome::Failed { after, .. } if row.attempts < policy.max_attempts => {
            // Times are whole seconds: one more, so a `retry_after` is
            // never cut short by the fraction already gone.
            let wait = policy
                .delay(row.attempts, rand::random::<f64>())
                .max(after.map_or(0, |a| a + 1));
            ("pending", Some(now + wait), None, "retry")
        }
        Outcome::Failed { .. } | Outcome::Dropped { .. } => ("dead", None, None, "dead"),
    };
    Planned {
        id: row.id,
        attempt: row.attempts,
        status_code: status_code.map(i32::from),
        label,
        error,
        duration_ms,
        status,
        next_attempt_at,
        delivered_at,
        result,
    }
}

const ROW_COLUMNS: &str =
    "id, delivery_id, channel, kind, booking_id, webhook_id, status, attempts, \
     next_attempt_at, last_status, last_error, created_at, delivered_at";

/// Dead rows, newest first (at most 200).
pub async fn dead(store: &Store) -> Result<Vec<OutboxRow>, AppError> {
    let sql = format!(
        "SELECT {ROW_COLUMNS} FROM outbox WHERE status = 'dead' ORDER BY id DESC LIMIT 200"
    );
    Ok(with_pool!(store, p => sqlx::query_as(&sql).fetch_all(p).await)?)
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
