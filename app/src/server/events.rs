//! Domain events, written to `domain_events` in the same transaction as the
//! change they describe, so an event exists exactly when its change does.

use super::store::{with_tx, Tx};
use crate::error::AppError;
use serde::Serialize;

/// One event to record. `payload` must not carry secrets or guest PII in
/// clear text: it is read by the live UI and by analytics.
pub struct NewEvent<'a, P: Serialize> {
    pub event_type: &'a str,
    pub aggregate_type: &'a str,
    pub aggregate_id: &'a str,
    pub payload: &'a P,
    /// Employee id, or `None` for guests and the system.
    pub actor: Option<&'a str>,
}

pub async fn record<P: Serialize>(tx: &mut Tx, event: NewEvent<'_, P>) -> Result<i64, AppError> {
    let value = serde_json::to_value(event.payload).map_err(|e| {
        tracing::error!(error = %e, "cannot serialise an event payload");
        AppError::Internal
    })?;
    let payload = value.to_string();
    let sql = "INSERT INTO domain_events (event_type, aggregate_type, aggregate_id, payload, actor, created_at) \
               VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
    let id: i64 = with_tx!(tx, c => sqlx::query_scalar(sql)
        .bind(event.event_type)
        .bind(event.aggregate_type)
        .bind(event.aggregate_id)
        .bind(&payload)
        .bind(event.actor)
        .bind(super::now_epoch())
        .fetch_one(&mut **c)
        .await)?;
    // Other instances on the same PostgreSQL database hear of the event
    // when (and only if) the transaction commits.
    if let super::store::TxInner::Postgres(t) = &mut tx.inner {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(super::live::CHANNEL)
            .bind(id.to_string())
            .execute(&mut **t)
            .await?;
    }
    // Business metrics, counted once the change commits.
    let label = |key: &str| value[key].as_str().unwrap_or("").to_owned();
    match event.event_type {
        "BookingCreated" => tx.count_on_commit(
            "studio_bookings_created_total",
            vec![("source", label("source"))],
        ),
        "BookingStateChanged" => tx.count_on_commit(
            "studio_booking_state_changes_total",
            vec![("from", label("from")), ("to", label("to"))],
        ),
        _ => {}
    }
    // A booking's day in the analytics rollups, in the same transaction.
    if event.aggregate_type == "booking" {
        super::analytics::touch(tx, event.aggregate_id).await?;
    }
    // The messages the event causes, in the same transaction.
    super::outbox::on_event(
        tx,
        id,
        event.event_type,
        event.aggregate_type,
        event.aggregate_id,
        &value,
        event.actor,
    )
    .await?;
    Ok(id)
}

/// Records that an employee's access changed (disabled, another role,
/// sessions ended), so open staff screens of that employee re-check their
/// session at once.
pub async fn access_changed(tx: &mut Tx, employee_id: &str, why: &str) -> Result<i64, AppError> {
    record(
        tx,
        NewEvent {
            event_type: "EmployeeAccessChanged",
            aggregate_type: "employee",
            aggregate_id: employee_id,
            payload: &serde_json::json!({ "why": why }),
            actor: None,
        },
    )
    .await
}
