//! Background work, on tokio in every server instance: outbox delivery,
//! guest reminders, the cancellation of bookings left unpaid and the move
//! of pending name-index rows into the index. With several instances on
//! one PostgreSQL each occurrence still happens once: outbox rows are
//! leased (`FOR UPDATE SKIP LOCKED`), a reminder is an outbox row with a
//! unique key, an automatic cancellation is a version-checked update only
//! one instance can make, and a pending name row is moved by whoever
//! deletes it. [`Jobs::stop`] ends the loops cleanly: a delivery in flight
//! finishes (or its lease runs out).

use super::{
    bookings::{record_state_change, ChangedBy},
    now_epoch,
    outbox::{self, NewMessage},
    store::{with_pool, with_tx, Backend},
    AppState,
};
use crate::{domain::booking::BookingState, error::AppError};
use std::time::Duration;
use tokio::{sync::watch, task::JoinHandle};

/// How often the jobs run.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// Between two looks at the outbox when nothing woke the worker.
    pub outbox_poll: Duration,
    /// Between two runs of reminders and unpaid auto-cancel.
    pub jobs_every: Duration,
    /// How long a claimed row is reserved for its delivery.
    pub lease_secs: i64,
    /// Rows per claim, delivered concurrently.
    pub batch: i64,
    /// How long the worker waits after a commit woke it, to take the
    /// messages of the commits right after in the same batch.
    pub gather: Duration,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            outbox_poll: Duration::from_secs(2),
            jobs_every: Duration::from_secs(60),
            lease_secs: 120,
            batch: 32,
            gather: Duration::from_millis(100),
        }
    }
}

/// The running jobs of one instance.
pub struct Jobs {
    stop: watch::Sender<bool>,
    handles: Vec<JoinHandle<()>>,
}

impl Jobs {
    pub fn start(state: AppState, schedule: Schedule) -> Jobs {
        let (stop, stopped) = watch::channel(false);
        let mut handles = vec![
            tokio::spawn(deliver_loop(state.clone(), schedule, stopped.clone())),
            tokio::spawn(schedule_loop(state.clone(), schedule, stopped.clone())),
        ];
        if state.store.backend() == Backend::Sqlite {
            handles.push(tokio::spawn(checkpoint_loop(
                state.clone(),
                stopped.clone(),
            )));
        }
        if let Some(plan) = state.backups.clone() {
            handles.push(tokio::spawn(super::backup::scheduled(
                state.store.clone(),
                state.signing_key.clone(),
                plan,
                stopped,
            )));
        }
        Jobs { stop, handles }
    }

    /// Asks the loops to end and waits for them (at most 2 s: a delivery
    /// cut short is delivered again once its lease runs out, a backup cut
    /// short leaves no file).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let all = futures_util::future::join_all(self.handles);
        if tokio::time::timeout(Duration::from_secs(2), all)
            .await
            .is_err()
        {
            tracing::warn!("background jobs did not stop within 2 s");
        }
    }
}

async fn deliver_loop(state: AppState, schedule: Schedule, mut stopped: watch::Receiver<bool>) {
    loop {
        if *stopped.borrow() {
            return;
        }
        let claimed = match outbox::claim(&state.store, schedule.batch, schedule.lease_secs).await {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e.code(), "cannot claim outbox rows");
                Vec::new()
            }
        };
        if claimed.is_empty() {
            tokio::select! {
                _ = state.store.outbox_wiring().wake.notified() => {
                    // A commit wrote messages: let the next few commits
                    // join them, so a busy studio's bookings share claims
                    // and writes instead of each waking the worker alone.
                    tokio::time::sleep(schedule.gather).await;
                }
                _ = tokio::time::sleep(schedule.outbox_poll) => {}
                _ = stopped.changed() => return,
            }
            continue;
        }
        let attempts = super::notify::deliver_all(&state, claimed).await;
        // One write for the whole batch: on SQLite every write waits for
        // the one writer, bookings included.
        match outbox::finish_all(&state.store, &attempts, &state.notifier.retry).await {
            Ok(results) => {
                for ((row, _, _), result) in attempts.iter().zip(results) {
                    metrics::counter!(
                        "studio_outbox_deliveries_total",
                        "channel" => row.channel.clone(),
                        "outcome" => result
                    )
                    .increment(1);
                    tracing::info!(
                        channel = %row.channel,
                        kind = %row.kind,
                        delivery_id = %row.delivery_id,
                        attempt = row.attempts,
                        outcome = result,
                        "outbox delivery"
                    );
                }
            }
            // The leases run out and the rows are tried again.
            Err(e) => {
                tracing::warn!(error = %e.code(), rows = attempts.len(), "cannot record outbox deliveries")
            }
        }
    }
}

/// SQLite: checkpoints the WAL every second, so a booking's commit never
/// runs the automatic checkpoint (a few milliseconds of copying and an
/// fsync that fell on whichever commit crossed the threshold, more often
/// the more a commit writes: notifications add outbox rows).
async fn checkpoint_loop(state: AppState, mut stopped: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stopped.changed() => return,
        }
        if let Err(e) = state.store.checkpoint().await {
            tracing::warn!(error = %e.code(), "cannot checkpoint the database's WAL");
        }
    }
}

async fn schedule_loop(state: AppState, schedule: Schedule, mut stopped: watch::Receiver<bool>) {
    loop {
        if let Err(e) = run_once(&state).await {
            tracing::warn!(error = %e.code(), "a background job failed; it runs again later");
        }
        tokio::select! {
            _ = tokio::time::sleep(schedule.jobs_every) => {}
            _ = stopped.changed() => return,
        }
    }
}

/// What one run of the periodic jobs did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Ran {
    pub reminders: usize,
    pub cancelled: usize,
}

/// Reminders and unpaid auto-cancel, once.
pub async fn run_once(state: &AppState) -> Result<Ran, AppError> {
    let (reminder_hours, unpaid_hours): (i32, Option<i32>) = with_pool!(&state.store, p => sqlx::query_as(
        "SELECT reminder_hours, unpaid_cancel_hours FROM studio_settings WHERE id = 1"
    )
    .fetch_one(p)
    .await)?;
    let mut ran = Ran::default();
    if state.notifier.email_configured() && reminder_hours > 0 {
        ran.reminders = reminders(state, i64::from(reminder_hours) * 3600).await?;
    }
    if let Some(hours) = unpaid_hours {
        ran.cancelled = cancel_unpaid(state, i64::from(hours)).await?;
    }
    // New name-index rows wait in a short list for this move (a booking
    // appends them there cheaply; searches read both).
    super::privacy::merge_name_index(&state.store).await?;
    // Once a day across all instances: personal data past retention.
    super::privacy::retention_if_due(&state.store).await?;
    Ok(ran)
}

/// Queues a reminder for each booking that starts within `lead` seconds
/// and was made earlier than `lead` before its start (a booking made later
/// gets none). The unique key (booking and start) makes it once per start,
/// however many instances look; a rescheduled booking is reminded again.
async fn reminders(state: &AppState, lead: i64) -> Result<usize, AppError> {
    let now = now_epoch();
    let due: Vec<(String, i64)> = with_pool!(&state.store, p => sqlx::query_as(
        "SELECT id, starts_at FROM bookings WHERE deleted_at IS NULL AND state IN ('pending', 'confirmed') \
         AND client_email IS NOT NULL AND client_email <> '' \
         AND starts_at > $1 AND starts_at <= $2 AND created_at <= starts_at - $3 ORDER BY starts_at LIMIT 500"
    )
    .bind(now)
    .bind(now + lead)
    .bind(lead)
    .fetch_all(p)
    .await)?;
    let mut queued = 0;
    for (id, starts_at) in due {
        let mut tx = state.store.begin().await?;
        let written = outbox::enqueue(
            &mut tx,
            NewMessage {
                channel: "email",
                kind: "reminder",
                booking_id: Some(&id),
                webhook_id: None,
                event_id: None,
                payload: "{}".into(),
                dedup_key: Some(format!("reminder:{id}:{starts_at}")),
                delivery_id: uuid::Uuid::new_v4().to_string(),
            },
        )
        .await?;
        tx.commit().await?;
        if written {
            queued += 1;
        }
    }
    Ok(queued)
}

/// Cancels pending bookings still unpaid `hours` after they were made.
/// The history, the event (and so the guest's e-mail and the staff
/// message) say the system did it.
async fn cancel_unpaid(state: &AppState, hours: i64) -> Result<usize, AppError> {
    let cutoff = now_epoch() - hours * 3600;
    let due: Vec<(String, i32)> = with_pool!(&state.store, p => sqlx::query_as(
        "SELECT id, version FROM bookings WHERE deleted_at IS NULL AND state = 'pending' \
         AND payment_status = 'unpaid' AND created_at <= $1 ORDER BY created_at LIMIT 200"
    )
    .bind(cutoff)
    .fetch_all(p)
    .await)?;
    let mut cancelled = 0;
    for (id, version) in due {
        let mut tx = state.store.begin().await?;
        let changed = with_tx!(tx, t => sqlx::query(
            "UPDATE bookings SET state = 'cancelled', version = version + 1, updated_at = $1 \
             WHERE id = $2 AND version = $3 AND state = 'pending' AND payment_status = 'unpaid' AND deleted_at IS NULL"
        )
        .bind(now_epoch())
        .bind(&id)
        .bind(version)
        .execute(&mut **t)
        .await
        .map(|r| r.rows_affected()))?;
        if changed == 0 {
            // Paid, changed or cancelled meanwhile (or by another instance).
            continue;
        }
        record_state_change(
            &mut tx,
            &id,
            BookingState::Pending,
            BookingState::Cancelled,
            &format!("cancelled by the system: unpaid {hours} h after booking"),
            ChangedBy::System,
            i64::from(version) + 1,
        )
        .await?;
        tx.commit().await?;
        tracing::info!(booking_id = %id, "unpaid booking cancelled by the system");
        cancelled += 1;
    }
    Ok(cancelled)
}
