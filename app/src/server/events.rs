//! Domain events, written to `domain_events` in the same transaction as the
//! change they describe, so an event exists exactly when its change does.

use super::{
    outbox::Occurred,
    store::{Batch, Tx},
};
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
    record_with(tx, Batch::new(), event, |_| None).await
}

/// Records `event` after `change`, the writes of the change itself, which
/// go with the event's row (one call on SQLite, see [`Batch`]). A failure
/// of those writes is first offered to `refuse`, which may turn it into
/// the caller's answer (a taken slot is a 409, not a server error).
pub(crate) async fn record_with<P: Serialize>(
    tx: &mut Tx,
    mut change: Batch,
    event: NewEvent<'_, P>,
    refuse: impl Fn(&sqlx::Error) -> Option<AppError>,
) -> Result<i64, AppError> {
    let value = payload(&event)?;
    change.push(INSERT_EVENT, event_row(&event, &value));
    let id = match change.run_returning(tx).await {
        Ok(id) => id,
        Err(e) => return Err(refuse(&e).unwrap_or_else(|| e.into())),
    };
    recorded(tx, id, &event, &value);
    // A booking's day in the analytics rollups and the messages the event
    // causes, in the same transaction; their writes go in one call on
    // SQLite, the messages' statement last (its rows say whether any
    // message was written).
    if event.aggregate_type == "booking" {
        // The day's figures and the messages: neither reads the other.
        let mut writes = Batch::independent();
        super::analytics::touch(tx, event.aggregate_id, &mut writes).await?;
        super::outbox::on_event(tx, &mut writes, occurred(id, &event, &value, None));
        if writes.run(tx).await? > 0 {
            tx.mark_outbox_written();
        }
    }
    Ok(id)
}

/// Records a new booking's `event` under `id`, taken beforehand, with
/// `change`: the booking's writes and its day's rollup (see
/// `analytics::count_new`), an independent batch. The event's row and the
/// messages it causes join them, so the whole creation is one call (one
/// statement on PostgreSQL). `email` says whether the guest gave an
/// address (the booking's row is not visible to the other parts of that
/// one statement).
pub(crate) async fn record_created<P: Serialize>(
    tx: &mut Tx,
    mut change: Batch,
    event: NewEvent<'_, P>,
    id: i64,
    email: bool,
    refuse: impl Fn(&sqlx::Error) -> Option<AppError>,
) -> Result<(), AppError> {
    let value = payload(&event)?;
    let mut row = event_row(&event, &value);
    row.insert(0, id.into());
    change.push(INSERT_EVENT_AS, row);
    super::outbox::on_event(tx, &mut change, occurred(id, &event, &value, Some(email)));
    match change.run(tx).await {
        Ok(messages) if messages > 0 => tx.mark_outbox_written(),
        Ok(_) => {}
        Err(e) => return Err(refuse(&e).unwrap_or_else(|| e.into())),
    }
    recorded(tx, id, &event, &value);
    Ok(())
}

/// A booking's event as its messages need it (see [`Occurred`]).
fn occurred<'a, P: Serialize>(
    id: i64,
    event: &NewEvent<'a, P>,
    value: &'a serde_json::Value,
    has_email: Option<bool>,
) -> Occurred<'a> {
    Occurred {
        event_id: id,
        event_type: event.event_type,
        booking_id: event.aggregate_id,
        payload: value,
        actor: event.actor,
        has_email,
    }
}

fn payload<P: Serialize>(event: &NewEvent<'_, P>) -> Result<serde_json::Value, AppError> {
    serde_json::to_value(event.payload).map_err(|e| {
        tracing::error!(error = %e, "cannot serialise an event payload");
        AppError::Internal
    })
}

fn event_row<P: Serialize>(
    event: &NewEvent<'_, P>,
    value: &serde_json::Value,
) -> Vec<super::store::Arg> {
    vec![
        event.event_type.into(),
        event.aggregate_type.into(),
        event.aggregate_id.into(),
        value.to_string().into(),
        event.actor.into(),
        super::now_epoch().into(),
    ]
}

/// What follows an event's row once it is written: the announcement to
/// other instances and the business metrics, both once the transaction
/// commits.
fn recorded<P: Serialize>(
    tx: &mut Tx,
    id: i64,
    event: &NewEvent<'_, P>,
    value: &serde_json::Value,
) {
    // Every instance on the same PostgreSQL database hears of the event
    // when (and only if) the transaction commits.
    tx.announce_on_commit(id);
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
}

const INSERT_EVENT: &str = "INSERT INTO domain_events (event_type, aggregate_type, aggregate_id, payload, actor, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";

/// An event under an id taken beforehand.
const INSERT_EVENT_AS: &str = "INSERT INTO domain_events (id, event_type, aggregate_type, aggregate_id, payload, actor, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";

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
