//! The live feed: every committed booking event, pushed to the open staff
//! screens over `/ws`.
//!
//! Events are written to `domain_events` in the transaction of the change
//! (see [`super::events`]); a relay task per process turns committed rows
//! into [`LiveEvent`]s on an in-process broadcast channel:
//! - PostgreSQL: once the writing transaction commits, the store announces
//!   the event's id with `pg_notify` (ids committed meanwhile together, see
//!   `store::Announcer`: a notification sent from the transaction itself
//!   would serialise the studio's commits); each listening instance reads
//!   the rows and broadcasts them. After a lost listener connection the
//!   relay catches up from the table by id.
//! - SQLite: write transactions are serialised, so ids commit in order; the
//!   relay reads rows after the last one it saw when a local commit pokes it
//!   and at least twice a second (for a second process on the same file).
//!
//! A client that reconnects passes the last event id it saw and gets what it
//! missed from the table; clients apply an event only when it carries a
//! newer version than what they show, so a repeat is harmless.

use super::store::{with_pool, DbPool, Store};
use crate::{
    domain::{board::LiveEvent, booking::BookingState},
    error::AppError,
};
use chrono::{DateTime, SecondsFormat};
use std::time::Duration;
use tokio::sync::broadcast;

/// The PostgreSQL notification channel.
pub const CHANNEL: &str = super::store::EVENTS_CHANNEL;

/// The most events a reconnecting client is sent; beyond that it is told
/// to reload (`resync`).
pub const CATCH_UP_LIMIT: i64 = 1000;

/// The in-process fan-out of committed events.
#[derive(Clone)]
pub struct Live {
    tx: broadcast::Sender<LiveEvent>,
    /// Set when the server shuts down: open sockets tell their clients to
    /// reconnect (to another instance, or to this one once it is back).
    closing: std::sync::Arc<tokio::sync::watch::Sender<bool>>,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            tx: broadcast::channel(1024).0,
            closing: std::sync::Arc::new(tokio::sync::watch::channel(false).0),
        }
    }
}

#[derive(sqlx::FromRow)]
struct EventRow {
    id: i64,
    event_type: String,
    aggregate_type: String,
    aggregate_id: String,
    payload: String,
    actor: Option<String>,
    created_at: i64,
}

impl EventRow {
    fn into_live(self) -> LiveEvent {
        let payload: serde_json::Value = serde_json::from_str(&self.payload).unwrap_or_default();
        let text = |key: &str| payload.get(key).and_then(|v| v.as_str()).map(str::to_owned);
        LiveEvent {
            kind: self.event_type,
            aggregate: self.aggregate_type,
            event_id: self.id,
            booking_id: self.aggregate_id,
            state: text("state").as_deref().and_then(BookingState::parse),
            version: payload.get("version").and_then(|v| v.as_i64()),
            by: self.actor.or_else(|| text("by")).unwrap_or_default(),
            at: DateTime::from_timestamp(self.created_at, 0)
                .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
                .unwrap_or_default(),
        }
    }
}

/// Events are read by id alone, through the primary key, and the kinds
/// the feed carries picked here ([`LIVE_AGGREGATES`]). With the kind in
/// the query, PostgreSQL chose by its statistics: taken while the table
/// was nearly empty, they made it read every event of those kinds through
/// the index by aggregate (dropped by migration 0019) and drop all but the
/// few asked for: 2 to 5 ms for each notification with 16,000 events
/// stored, and more with each booking.
///
/// Both reads are planned on every run (not kept as prepared statements):
/// a kept statement's plan for any ids is made once per connection, from
/// the statistics of that moment; made while the table was nearly empty,
/// it read the whole table for every notification, for as long as the
/// connection lived (a tenth of the machine under the load test). Planned
/// with the ids at hand, the primary key is always the way.
const SELECT: &str =
    "SELECT id, event_type, aggregate_type, aggregate_id, payload, actor, created_at \
     FROM domain_events";

/// The aggregates whose events the feed carries (not those of the
/// studio's settings, spaces, equipment or promo codes).
const LIVE_AGGREGATES: [&str; 3] = ["booking", "block", "employee"];

/// The rows the feed carries, as its events.
fn live_events(rows: Vec<EventRow>) -> impl Iterator<Item = LiveEvent> {
    rows.into_iter()
        .filter(|r| LIVE_AGGREGATES.contains(&r.aggregate_type.as_str()))
        .map(EventRow::into_live)
}

/// Booking, block and employee-access events after `since`, oldest first,
/// of the next `limit` events. Employee events are for the server's own
/// sockets (a disabled employee's screens close at once) and are not sent
/// on.
pub async fn events_since(
    store: &Store,
    since: i64,
    limit: i64,
) -> Result<Vec<LiveEvent>, AppError> {
    let sql = format!("{SELECT} WHERE id > $1 ORDER BY id LIMIT $2");
    let rows: Vec<EventRow> = with_pool!(store, p => sqlx::query_as(&sql)
        .bind(since)
        .bind(limit)
        .persistent(false)
        .fetch_all(p)
        .await)?;
    Ok(live_events(rows).collect())
}

/// The feed's events among those a PostgreSQL notification names, oldest
/// first (planned with the ids at hand: see [`SELECT`]).
pub async fn announced(pool: &sqlx::PgPool, ids: &[i64]) -> Result<Vec<LiveEvent>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE id = ANY($1) ORDER BY id");
    let rows: Vec<EventRow> = sqlx::query_as(&sql)
        .bind(ids)
        .persistent(false)
        .fetch_all(pool)
        .await?;
    Ok(live_events(rows).collect())
}

/// The newest event's id (0 when there is none).
pub async fn last_event_id(store: &Store) -> Result<i64, AppError> {
    let id: Option<i64> = with_pool!(store, p => sqlx::query_scalar(
        "SELECT MAX(id) FROM domain_events"
    )
    .fetch_one(p)
    .await)?;
    Ok(id.unwrap_or(0))
}

impl Live {
    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.tx.subscribe()
    }

    /// Changes once, when the server begins to shut down.
    pub fn closing(&self) -> tokio::sync::watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// Asks every open socket to close with "restarting".
    pub fn close_all(&self) {
        self.closing.send_replace(true);
    }

    /// Completes once no socket holds a [`Live::closing`] receiver any
    /// more: each has sent its close frame and ended. Without this wait
    /// the process could exit (ending every task) before a socket's task
    /// had run, and that screen would see its connection cut instead of
    /// being told to reconnect.
    pub async fn sockets_closed(&self) {
        self.closing.closed().await;
    }

    fn publish(&self, event: LiveEvent) {
        // No subscriber is not an error: nobody has a board open.
        let _ = self.tx.send(event);
    }

    /// Feeds the channel until the task is aborted.
    pub async fn relay(self, store: Store) {
        match &store.pool {
            DbPool::Sqlite(_) => self.poll(&store).await,
            DbPool::Postgres(pool) => self.listen(&store, pool.clone()).await,
        }
    }

    async fn poll(&self, store: &Store) {
        let mut last = loop {
            match last_event_id(store).await {
                Ok(id) => break id,
                Err(_) => tokio::time::sleep(Duration::from_secs(1)).await,
            }
        };
        loop {
            tokio::select! {
                _ = store.committed() => {},
                _ = tokio::time::sleep(Duration::from_millis(400)) => {},
            }
            match events_since(store, last, 500).await {
                Ok(events) => {
                    // Perhaps another process's (a second server on the
                    // same file): answers kept from before are not current.
                    if !events.is_empty() {
                        store.note_change();
                    }
                    for e in events {
                        last = last.max(e.event_id);
                        self.publish(e);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e.message(), "live feed: cannot read events");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    async fn listen(&self, store: &Store, pool: sqlx::PgPool) {
        let mut last = last_event_id(store).await.unwrap_or(0);
        loop {
            let mut listener = match sqlx::postgres::PgListener::connect_with(&pool).await {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "live feed: cannot listen; retrying");
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    continue;
                }
            };
            if let Err(e) = listener.listen(CHANNEL).await {
                tracing::warn!(error = %e, "live feed: LISTEN failed; retrying");
                tokio::time::sleep(Duration::from_secs(2)).await;
                continue;
            }
            // Whatever committed while nobody listened.
            self.catch_up(store, &mut last).await;
            loop {
                match listener.try_recv().await {
                    Ok(Some(note)) => {
                        // Another instance's commit (or this one's): answers
                        // kept from before it are not current.
                        store.note_change();
                        let ids: Vec<i64> = note
                            .payload()
                            .split(',')
                            .filter_map(|id| id.trim().parse().ok())
                            .collect();
                        let Some(&newest) = ids.iter().max() else {
                            continue;
                        };
                        match announced(&pool, &ids).await {
                            Ok(events) => {
                                last = last.max(newest);
                                for e in events {
                                    self.publish(e);
                                }
                            }
                            Err(e) => tracing::warn!(error = %e, "live feed: cannot read events"),
                        }
                    }
                    // The connection dropped and was re-established:
                    // notifications in between are lost, the table is not.
                    Ok(None) => self.catch_up(store, &mut last).await,
                    Err(e) => {
                        tracing::warn!(error = %e, "live feed: listener failed; reconnecting");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        break;
                    }
                }
            }
        }
    }

    async fn catch_up(&self, store: &Store, last: &mut i64) {
        if let Ok(events) = events_since(store, *last, CATCH_UP_LIMIT).await {
            if !events.is_empty() {
                store.note_change();
            }
            for e in events {
                *last = (*last).max(e.event_id);
                self.publish(e);
            }
        }
    }
}
